-- Bench stage "tree": an unrestricted DecisionTreeClassifier on Fashion-MNIST
-- (56,000 x 784 pixels: exact splits), then on its PCA-50 projection
-- (continuous features: mnistlab bins them; the test accuracy beside
-- scikit-learn's exact search shows what that costs).  Pair: tree_ref.py.
package.path = "scripts/bench/?.lua;" .. package.path
local ml = require "mnistlab"
local B = require "bench_common"
local Xtr, Xte, ytr, yte = B.fashion()
local s, tree = B.timed(function() return ml.DecisionTreeClassifier{random_state = 0}:fit(Xtr, ytr) end)
B.bench("tree fit (unrestricted)", s, "test accuracy", tree:score(Xte, yte))
io.stderr:write(string.format("tree: depth %d, %d leaves\n", tree:get_depth(), tree:get_n_leaves()))
local pca = ml.PCA{n_components = 50}:fit(Xtr)
local Ptr, Pte = pca:transform(Xtr), pca:transform(Xte)
s, tree = B.timed(function() return ml.DecisionTreeClassifier{random_state = 0}:fit(Ptr, ytr) end)
B.bench("tree fit on PCA-50", s, "test accuracy", tree:score(Pte, yte))
io.stderr:write(string.format("tree on PCA-50: depth %d, %d leaves, train %.4f\n", tree:get_depth(),
                              tree:get_n_leaves(), tree:score(Ptr, ytr)))
