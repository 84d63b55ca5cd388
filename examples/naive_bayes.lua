-- Gaussian naive Bayes on the digits: one Gaussian per class and pixel,
-- pixels taken as independent. Fast, and a lesson in what a wrong assumption
-- costs. As sklearn.naive_bayes.GaussianNB (theta_, var_, class_prior_).
--   build/mnistlab examples/naive_bayes.lua
--   LUA_CPATH="build/?.so;;" lua5.4 examples/naive_bayes.lua
local ml = require "mnistlab"

local ds = ml.load("mnist", {subset = "test"})
local Xtr, Xte, ytr, yte = ml.train_test_split(ds.X:flatten(), ds.y, {test_size = 0.2, seed = 0, stratify = true})

local nb = ml.GaussianNB():fit(Xtr, ytr)
print(("GaussianNB (var_smoothing 1e-9): train accuracy %.4f, test accuracy %.4f"):format(
  nb:score(Xtr, ytr), nb:score(Xte, yte)))
-- theta: the mean image of each class (10 x 784); class_prior: each class's share.
print(("prior of class 1: %.4f; mean ink of class 1: %.4f, of class 0: %.4f"):format(
  nb.class_prior[2], nb.theta[2]:mean(), nb.theta[1]:mean()))

-- Pixels blank in every image of a class have a variance near zero, so one
-- stray dark pixel rules that class out. var_smoothing adds a share of the
-- largest variance to every variance; more of it helps a lot here.
local best, best_s = 0, nil
for _, s in ipairs{1e-9, 1e-3, 1e-2, 1e-1} do
  local m = ml.GaussianNB{var_smoothing = s}:fit(Xtr, ytr)
  local acc = m:score(Xte, yte)
  print(("var_smoothing %-6g test accuracy %.4f"):format(s, acc))
  if acc > best then best, best_s = acc, s end
end
-- (Choosing var_smoothing on the test set is for show only: use a validation set or cross-validation.)

-- Where the plain model goes wrong: true class by row, predicted class by column.
local pred = nb:predict(Xte)
ml.heatmap(ml.confusion_matrix(yte, pred), {title = "GaussianNB, var_smoothing 1e-9: confusion matrix",
                                            xlabel = "predicted", ylabel = "true class"})
print(("best var_smoothing on this split: %g (%.4f)"):format(best_s, best))
