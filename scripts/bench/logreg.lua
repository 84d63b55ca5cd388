-- bench stage: LogisticRegression, L2, on Fashion-MNIST (56,000 x 784),
-- multinomial, lbfgs, C = 1, 100 iterations (both sides stop at max_iter).
-- Quality: test accuracy.  Pair: logreg_ref.py.  (L1: logreg_l1.lua.)
-- bench: repeats=1
-- bench: weight=2
local ml = require "mnistlab"
local B = require "_bench"
local d = B.fashion()

local l2, s = B.time(function()
  return ml.LogisticRegression{penalty = "l2", C = 1.0, max_iter = 100}:fit(d.Xtr, d.ytr)
end)
B.report("LogisticRegression l2 lbfgs 100 it", s, "test accuracy", l2:score(d.Xte, d.yte))
io.stderr:write(string.format("l2: n_iter %d, converged %s\n", l2.n_iter, tostring(l2.converged)))
