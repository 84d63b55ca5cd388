-- bench stage: KNeighborsClassifier (k = 5, brute force through the matrix
-- product) on Fashion-MNIST: 56,000 training rows, the first 2,000 test rows
-- classified.  Pair: knn_ref.py.
-- bench: repeats=1
local ml = require "mnistlab"
local B = require "_bench"
local d = B.fashion()
local Xq, yq = d.Xte:rows(1, 2000), d.yte:rows(1, 2000)

local knn = ml.KNeighborsClassifier{n_neighbors = 5}:fit(d.Xtr, d.ytr)
local pred, s = B.time(function() return knn:predict(Xq) end)
B.report("kNN k=5 predict 2k", s, "test accuracy", ml.accuracy_score(yq, pred))
