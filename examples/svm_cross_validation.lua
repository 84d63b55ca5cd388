-- An SVM on the digits, behind PCA, with its settings chosen by cross-validation:
-- Pipeline(PCA, SVC), GridSearchCV over C and the kernel, and cross_val_score.
-- As sklearn.pipeline.Pipeline, sklearn.svm.SVC and sklearn.model_selection.
-- 3,000 training images keep it to a few seconds.
--   build/mnistlab examples/svm_cross_validation.lua
--   LUA_CPATH="build/?.so;;" lua5.4 examples/svm_cross_validation.lua
local ml = require "mnistlab"

local ds = ml.load("mnist", {subset = "test"})
local X, y = ds.X:flatten():rows(1, 5000), ds.y:rows(1, 5000)
local Xtr, Xte, ytr, yte = ml.train_test_split(X, y, {test_size = 2000, seed = 0, stratify = true})

-- PCA to 30 components, then an SVC: one estimator, so each fold refits both.
local pipe = ml.Pipeline{{"pca", ml.PCA{n_components = 30}}, {"svc", ml.SVC{gamma = "scale"}}}

-- Parameters of a step are "<step>__<param>". 3-fold stratified CV, shuffled;
-- PCA is fitted once per fold since the grid only touches the SVC.
local grid = ml.GridSearchCV(pipe, {svc__kernel = {"linear", "rbf"}, svc__C = {1, 10}},
                             {cv = ml.StratifiedKFold{n_splits = 3, shuffle = true, seed = 0}})
grid:fit(Xtr, ytr)
print(grid:results())
print(("best: kernel %s, C %g, mean CV accuracy %.4f"):format(
  grid.best_params.svc__kernel, grid.best_params.svc__C, grid.best_score))
-- The best pipeline was refitted on all 3,000 images; the test set is used once, here.
print(("test accuracy of the best pipeline: %.4f"):format(grid:score(Xte, yte)))

-- cross_val_score: the best setting again, on 5 plain folds (KFold, no
-- shuffle); each fold fits a clone, so best_estimator itself is not touched.
local scores = ml.cross_val_score(grid.best_estimator, Xtr, ytr, {cv = ml.KFold{n_splits = 5}})
local parts = {}
for i = 1, #scores do parts[i] = ("%.3f"):format(scores[i]) end
print(("5-fold scores %s: mean %.4f"):format(table.concat(parts, " "), scores:mean()))
-- The fitted steps are there to read: the support vectors of the best SVC.
local svc = grid.best_estimator.named_steps.svc
print(("support vectors: %d of %d training images"):format(svc.support_vectors:size(1), #ytr))
