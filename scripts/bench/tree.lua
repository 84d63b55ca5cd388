-- bench stage: an unrestricted DecisionTreeClassifier on Fashion-MNIST
-- (56,000 x 784 pixels: exact splits), then on its PCA-50 projection
-- (continuous features: mnistlab cuts them into 256 bins; the test accuracy
-- beside scikit-learn's exact search shows what that costs).  Pair: tree_ref.py.
-- scikit-learn's unrestricted tree takes a minute or more: one run, a larger share.
-- Then the lab's 3.1 Q4: a tree on the PCA projection keeping 66, 80, 90 and
-- 95 % of the variance (the PCA fits are not timed here: the pca stage has them).
-- bench: repeats=1
-- bench: limit=600
-- bench: weight=5
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

for _, v in ipairs{0.66, 0.80, 0.90, 0.95} do
  local p = ml.PCA{n_components = v}:fit(d.Xtr)
  local Ztr, Zte = p:transform(d.Xtr), p:transform(d.Xte)
  local t, sv = B.time(function() return ml.DecisionTreeClassifier{random_state = 0}:fit(Ztr, d.ytr) end)
  B.report(("tree fit on PCA %.2f (lab)"):format(v), sv, "test accuracy", t:score(Zte, d.yte))
  io.stderr:write(string.format("tree on PCA %.2f: %d components\n", v, p.n_components_))
end
