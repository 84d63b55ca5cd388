-- bench stage: an unrestricted DecisionTreeClassifier on Fashion-MNIST
-- (56,000 x 784 pixels: exact splits), then on its PCA-50 projection
-- (continuous features: mnistlab cuts them into 256 bins; the test accuracy
-- beside scikit-learn's exact search shows what that costs).  Pair: tree_ref.py.
-- scikit-learn's unrestricted tree takes a minute or more: one run, a larger share.
-- bench: repeats=1
-- bench: weight=4
local ml = require "mnistlab"
local B = require "_bench"
local d = B.fashion()

local tree, s = B.time(function() return ml.DecisionTreeClassifier{random_state = 0}:fit(d.Xtr, d.ytr) end)
B.report("tree fit (unrestricted)", s, "test accuracy", tree:score(d.Xte, d.yte))
io.stderr:write(string.format("tree: depth %d, %d leaves\n", tree:get_depth(), tree:get_n_leaves()))

local pca = ml.PCA{n_components = 50}:fit(d.Xtr)
local Ptr, Pte = pca:transform(d.Xtr), pca:transform(d.Xte)
local pt, sp = B.time(function() return ml.DecisionTreeClassifier{random_state = 0}:fit(Ptr, d.ytr) end)
B.report("tree fit on PCA-50", sp, "test accuracy", pt:score(Pte, d.yte))
io.stderr:write(string.format("tree on PCA-50: depth %d, %d leaves\n", pt:get_depth(), pt:get_n_leaves()))
