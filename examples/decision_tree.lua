-- A decision tree on the digits: how deep and how many leaves, train against
-- test accuracy (overfitting), the pixels it asks about, and save/load.
-- As sklearn.tree.DecisionTreeClassifier (get_depth, get_n_leaves,
-- feature_importances_), with joblib.dump/load replaced by save/load_model.
--   build/mnistlab examples/decision_tree.lua
--   LUA_CPATH="build/?.so;;" lua5.4 examples/decision_tree.lua
local ml = require "mnistlab"

local ds = ml.load("mnist", {subset = "test"})
-- 8,000 images to learn from, 2,000 to test on; each class keeps its share.
local Xtr, Xte, ytr, yte = ml.train_test_split(ds.X:flatten(), ds.y, {test_size = 0.2, seed = 0, stratify = true})

-- Unrestricted, the tree splits until every leaf is pure: it memorises.
-- A depth limit trades training accuracy for a simpler tree.
local full
for _, depth in ipairs{false, 10, 5} do
  local tree = ml.DecisionTreeClassifier{max_depth = depth or nil, random_state = 0}:fit(Xtr, ytr)
  print(("max_depth %-4s depth %2d, %4d leaves: train accuracy %.4f, test accuracy %.4f"):format(
    depth or "None", tree:get_depth(), tree:get_n_leaves(), tree:score(Xtr, ytr), tree:score(Xte, yte)))
  full = full or tree
end

-- A pixel's importance: its share of the impurity decrease won by the splits on it.
local imp = full.feature_importances      -- 784 values that add up to 1
local order = {}
for i = 1, 784 do order[i] = i end
table.sort(order, function(a, b) return imp[a] > imp[b] end)
for k = 1, 3 do
  local p = order[k] - 1                   -- 0-based pixel number, as NumPy would print it
  print(("importance %d: pixel (row %d, column %d) %.4f"):format(k, p // 28, p % 28, imp[order[k]]))
end
ml.digit(imp:reshape{28, 28}, {title = "Pixel importances", vmin = 0, vmax = imp:max()})

-- Save the fitted tree and load it back: the same predictions.
local path = os.tmpname()
full:save(path)
local again = ml.load_model(path)
os.remove(path)
print(("loaded from a file: %d of %d test predictions equal"):format(
  again:predict(Xte):eq(full:predict(Xte)), #yte))
