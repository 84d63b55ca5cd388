-- bench stage: LogisticRegression, L1, C = 0.1, tol = 1e-4, on Fashion-MNIST
-- (56,000 x 784): OWL-QN here (until its own stopping test, at most 500
-- iterations), saga in scikit-learn (20 epochs: more would not fit the bench's
-- time shares; it stops there with a ConvergenceWarning, as it does at 100).
-- Quality: test accuracy.  Pair: logreg_l1_ref.py.
-- bench: repeats=1
-- bench: order=85
-- bench: weight=3
local ml = require "mnistlab"
local B = require "_bench"
local d = B.fashion()

local l1, s = B.time(function()
  return ml.LogisticRegression{penalty = "l1", C = 0.1, tol = 1e-4, max_iter = 500}:fit(d.Xtr, d.ytr)
end)
B.report("LogisticRegression l1 C=0.1", s, "test accuracy", l1:score(d.Xte, d.yte))
local nnz = 0
for _, v in ipairs(l1.coef:reshape{-1}:totable()) do if v ~= 0 then nnz = nnz + 1 end end
io.stderr:write(string.format("l1: n_iter %d, converged %s, %d non-zero weights, objective %.1f\n", l1.n_iter,
  tostring(l1.converged), nnz, l1.loss))
