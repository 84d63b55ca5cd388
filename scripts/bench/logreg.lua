-- bench stage: LogisticRegression, L2, on Fashion-MNIST (56,000 x 784),
-- multinomial, lbfgs, C = 1, 100 iterations (both sides stop at max_iter).
-- Quality: test accuracy.  Pair: logreg_ref.py.  (L1: logreg_l1.lua.)  Then the
-- lab's 3.1 Q2, the same fit stopped at 25, 50 and 1000 iterations.
-- bench: repeats=1
-- bench: limit=600
-- bench: weight=4
local ml = require "mnistlab"
local B = require "_bench"
local d = B.fashion()

local l2, s = B.time(function()
  return ml.LogisticRegression{penalty = "l2", C = 1.0, max_iter = 100}:fit(d.Xtr, d.ytr)
end)
B.report("LogisticRegression l2 lbfgs 100 it", s, "test accuracy", l2:score(d.Xte, d.yte))
io.stderr:write(string.format("l2: n_iter %d, converged %s\n", l2.n_iter, tostring(l2.converged)))

for _, it in ipairs{25, 50, 1000} do
  local m, si = B.time(function() return ml.LogisticRegression{C = 1.0, max_iter = it}:fit(d.Xtr, d.ytr) end)
  B.report(("LogisticRegression l2 lbfgs %d it (lab)"):format(it), si, "test accuracy", m:score(d.Xte, d.yte))
  io.stderr:write(string.format("l2 max_iter %d: n_iter %d, converged %s\n", it, m.n_iter, tostring(m.converged)))
end
