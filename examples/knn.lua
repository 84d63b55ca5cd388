-- k nearest neighbours on the digits: no training at all, a vote among the k
-- closest training images (Euclidean distance on the 784 pixels).
-- As sklearn.neighbors.KNeighborsClassifier (n_neighbors, weights, predict_proba).
--   build/mnistlab examples/knn.lua
--   LUA_CPATH="build/?.so;;" lua5.4 examples/knn.lua
local ml = require "mnistlab"

local ds = ml.load("mnist", {subset = "test"})
local Xtr, Xte, ytr, yte = ml.train_test_split(ds.X:flatten(), ds.y, {test_size = 0.2, seed = 0, stratify = true})

-- fit only stores the 8,000 images; predict compares each test image with all of them.
-- Choosing k on the test set is for show: a real search would cross-validate (see svm_cross_validation.lua).
local ks, accs = {1, 3, 5, 9, 15}, {}
for i, k in ipairs(ks) do
  local knn = ml.KNeighborsClassifier{n_neighbors = k}:fit(Xtr, ytr)
  accs[i] = knn:score(Xte, yte)
  print(("n_neighbors %2d: test accuracy %.4f"):format(k, accs[i]))
end
ml.plot(ks, accs, {title = "Test accuracy against k", xlabel = "n_neighbors", markers = true, height = 10})

-- weights = "distance": closer neighbours count more.
local knn = ml.KNeighborsClassifier{n_neighbors = 5, weights = "distance"}:fit(Xtr, ytr)
local pred = knn:predict(Xte)
print(("n_neighbors 5, weights distance: test accuracy %.4f"):format(ml.accuracy_score(yte, pred)))

-- predict_proba: the share of the (weighted) votes each class got. Show the
-- first mistake and how the vote was split.
for i = 1, #yte do
  if pred[i] ~= yte[i] then
    local p = knn:predict_proba(Xte:rows(i, i))[1]
    print(("test image %d: a %d taken for a %d (votes: %.2f for %d, %.2f for %d)"):format(
      i, yte[i], pred[i], p[pred[i] + 1], pred[i], p[yte[i] + 1], yte[i]))
    ml.digit(Xte[i]:reshape{28, 28}, {title = ("true %d, predicted %d"):format(yte[i], pred[i])})
    break
  end
end
