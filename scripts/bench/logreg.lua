-- bench stage: LogisticRegression on Fashion-MNIST (56,000 x 784), multinomial.
--   L2, lbfgs, C = 1, 100 iterations (both sides stop at max_iter);
--   L1, C = 0.1, tol = 1e-3, max_iter = 100: OWL-QN here, saga in scikit-learn.
-- Quality: test accuracy.  Pair: logreg_ref.py.
-- bench: repeats=1
local ml = require "mnistlab"
local B = require "_bench"
local d = B.fashion()

local l2, s = B.time(function()
  return ml.LogisticRegression{penalty = "l2", C = 1.0, max_iter = 100}:fit(d.Xtr, d.ytr)
end)
B.report("LogisticRegression l2 lbfgs 100 it", s, "test accuracy", l2:score(d.Xte, d.yte))
io.stderr:write(string.format("l2: n_iter %d, converged %s\n", l2.n_iter, tostring(l2.converged)))

local l1, s1 = B.time(function()
  return ml.LogisticRegression{penalty = "l1", C = 0.1, tol = 1e-3, max_iter = 100}:fit(d.Xtr, d.ytr)
end)
B.report("LogisticRegression l1 C=0.1", s1, "test accuracy", l1:score(d.Xte, d.yte))
local coef, nnz = l1.coef, 0
for _, v in ipairs(coef:reshape{-1}:totable()) do if v ~= 0 then nnz = nnz + 1 end end
io.stderr:write(string.format("l1: n_iter %d, converged %s, %d non-zero weights\n", l1.n_iter, tostring(l1.converged), nnz))
