-- Multinomial logistic regression on the digits, with an L2 and an L1 penalty:
-- the convergence warning, and how L1 sets most weights to exactly zero.
-- As sklearn.linear_model.LogisticRegression; C means the same (small C,
-- strong penalty). L2 uses L-BFGS, L1 uses OWL-QN (scikit-learn: saga).
--   build/mnistlab examples/logistic_regression.lua
--   LUA_CPATH="build/?.so;;" lua5.4 examples/logistic_regression.lua
local ml = require "mnistlab"

local ds = ml.load("mnist", {subset = "test"})
local Xtr, Xte, ytr, yte = ml.train_test_split(ds.X:flatten(), ds.y, {test_size = 0.2, seed = 0, stratify = true})

-- 100 iterations are not enough here: the fit prints a ConvergenceWarning and,
-- instead of raising, leaves it in the model's `warning` field.
local l2 = ml.LogisticRegression{penalty = "l2", C = 1.0, max_iter = 100}:fit(Xtr, ytr)
print(("L2, max_iter 100:  %d iterations, converged %s"):format(l2.n_iter, tostring(l2.converged)))
print("  warning field: " .. (l2.warning or "nil"))
print(("  train accuracy %.4f, test accuracy %.4f"):format(l2:score(Xtr, ytr), l2:score(Xte, yte)))

-- Given more iterations the solver stops by itself, at a lower objective.
local l2b = ml.LogisticRegression{C = 1.0, max_iter = 1000}:fit(Xtr, ytr)
print(("L2, max_iter 1000: %d iterations, converged %s, objective %.1f (was %.1f)"):format(
  l2b.n_iter, tostring(l2b.converged), l2b.loss, l2.loss))
print(("  train accuracy %.4f, test accuracy %.4f"):format(l2b:score(Xtr, ytr), l2b:score(Xte, yte)))

-- L1 penalty: a corner at zero, so many weights end exactly at zero.
local l1 = ml.LogisticRegression{penalty = "l1", C = 0.1, max_iter = 1000}:fit(Xtr, ytr)
local function zeros(m)                    -- how many of the 10 x 784 weights are 0
  local n = 0
  for _, w in ipairs(m.coef:reshape{-1}:totable()) do if w == 0 then n = n + 1 end end
  return n
end
print(("L1, C 0.1: converged %s, train accuracy %.4f, test accuracy %.4f"):format(
  tostring(l1.converged), l1:score(Xtr, ytr), l1:score(Xte, yte)))
print(("weights exactly zero: L1 %d of %d, L2 %d"):format(zeros(l1), l1.coef:numel(), zeros(l2b)))

-- The weights of class 0 as an image (in colour: orange pixels vote for a 0, blue ones against).
ml.digit(l1.coef[1]:reshape{28, 28}, {title = "L1 weights of class 0"})
