-- Classical supervised learning from stock lua5.4: the tree, naive Bayes and
-- k-NN through the estimator binding, folds, cross-validation, grid search,
-- pipelines, metrics and bad input.  Accuracies are checked against
-- scikit-learn's, recorded on exactly our split of the bundled digits by
-- scripts/supervised_ref.py (tests/fixtures/supervised/reference.txt).
-- (LogisticRegression and SVC have their own spec: logreg_svc_spec.lua.)
local ml = require "mnistlab"

local FX = "tests/fixtures/supervised/"

local function reference(model)
  for line in io.lines(FX .. "reference.txt") do
    local name, tr, te = line:match("^(%S+) (%S+) (%S+)")
    if name == model then return tonumber(tr), tonumber(te) end
  end
  error("no reference for " .. model)
end

local function err_of(f, ...)
  local ok, e = pcall(f, ...)
  assert.is_false(ok)
  return tostring(e)
end

local ds = ml.load("mnist")
local Xtr, Xte, ytr, yte = ml.train_test_split(ds.X, ds.y, {test_size = 0.2, seed = 0})
local Xs, ys = Xtr:rows(1, 1500), ytr:rows(1, 1500)

describe("the split", function()
  it("is the one the scikit-learn fixtures were recorded on", function()
    local n = ds.X:shape()
    local rows = ml.arange(n):reshape{n, 1}
    local _, te = ml.train_test_split(rows, ds.y, {test_size = 0.2, seed = 0})
    local i = 0
    for line in io.lines(FX .. "split_test.txt") do
      i = i + 1
      assert.are.equal(tonumber(line), math.floor(te[i][1]))
    end
    assert.are.equal(2000, i)
  end)
end)

describe("DecisionTreeClassifier", function()
  local tree = ml.DecisionTreeClassifier{random_state = 0}:fit(Xtr, ytr)

  it("reaches 1.0 on the training set and scikit-learn's test accuracy within 0.02", function()
    local _, ref = reference("tree_gini")
    assert.are.equal(1.0, tree:score(Xtr, ytr))
    assert.is_true(math.abs(tree:score(Xte, yte) - ref) <= 0.02)
  end)

  it("reports depth, leaves and importances", function()
    assert.is_true(tree:get_depth() >= 15 and tree:get_depth() <= 40)
    assert.are.equal(tree.n_leaves, tree:get_n_leaves())
    assert.are.equal(2 * tree.n_leaves - 1, tree.node_count)
    local imp = tree.feature_importances
    assert.are.equal(784, imp:numel())
    assert.is_true(math.abs(imp:sum() - 1) < 1e-4)
  end)

  it("gives probabilities whose rows sum to 1", function()
    local P = tree:predict_proba(Xte:rows(1, 50))
    local r, c = P:shape()
    assert.are.equal(50, r)
    assert.are.equal(10, c)
    for i = 1, 50 do assert.is_true(math.abs(P[i]:sum() - 1) < 1e-5) end
  end)

  it("respects max_depth and the entropy criterion", function()
    local t = ml.DecisionTreeClassifier{criterion = "entropy", max_depth = 5}:fit(Xs, ys)
    assert.are.equal(5, t:get_depth())
    assert.are.equal("entropy", t.criterion)
    assert.is_true(t:score(Xs, ys) < 1)
  end)

  it("predicts identically after save and load", function()
    local path = os.tmpname()
    tree:save(path)
    local back = ml.load_model(path)
    os.remove(path)
    assert.are.equal(tree:get_n_leaves(), back:get_n_leaves())
    assert.are.equal(1, ml.accuracy_score(tree:predict(Xte), back:predict(Xte)))
    assert.are.same(tree:predict_proba(Xte:rows(1, 30)):totable(), back:predict_proba(Xte:rows(1, 30)):totable())
  end)
end)

describe("GaussianNB", function()
  it("matches scikit-learn's accuracy to 0.001", function()
    local rtr, rte = reference("gaussian_nb")
    local nb = ml.GaussianNB():fit(Xtr, ytr)
    assert.is_true(math.abs(nb:score(Xtr, ytr) - rtr) <= 0.001)
    assert.is_true(math.abs(nb:score(Xte, yte) - rte) <= 0.001)
    local P = nb:predict_proba(Xte:rows(1, 20))
    for i = 1, 20 do assert.is_true(math.abs(P[i]:sum() - 1) < 1e-5) end
    assert.are.equal(10, nb.class_prior:numel())
  end)
end)

describe("KNeighborsClassifier", function()
  it("matches scikit-learn's accuracy (k = 3) to 0.002", function()
    local _, rte = reference("knn3")
    local knn = ml.KNeighborsClassifier{n_neighbors = 3}:fit(Xtr, ytr)
    assert.is_true(math.abs(knn:score(Xte, yte) - rte) <= 0.002)
  end)
end)

describe("folds", function()
  it("partition the rows (KFold)", function()
    local folds = ml.KFold{n_splits = 4, shuffle = true, seed = 1}:split(103)
    assert.are.equal(4, #folds)
    local seen = {}
    for _, f in ipairs(folds) do
      assert.are.equal(103, #f.train + #f.test)
      for _, r in ipairs(f.test) do
        assert.is_nil(seen[r])
        seen[r] = true
      end
    end
    for r = 1, 103 do assert.is_true(seen[r]) end
  end)

  it("hand out each fold's rows (kf:each), as cross_val_score uses them", function()
    local kf = ml.StratifiedKFold{n_splits = 3, shuffle = true, seed = 1}
    local scores, n = {}, 0
    for i, Xa, ya, Xb, yb in kf:each(Xs, ys) do
      assert.are.equal(1500, Xa:size(1) + Xb:size(1))
      assert.are.equal(Xa:size(1), ya:numel())
      n = n + Xb:size(1)
      scores[i] = ml.GaussianNB():fit(Xa, ya):score(Xb, yb)
    end
    assert.are.equal(1500, n)
    local cv = ml.cross_val_score(ml.GaussianNB(), Xs, ys, {cv = kf})
    for i = 1, 3 do assert.is_true(math.abs(cv[i] - scores[i]) < 1e-6) end
  end)

  it("keep each class's proportion (StratifiedKFold)", function()
    local kf = ml.StratifiedKFold{n_splits = 5, shuffle = true, seed = 0}
    assert.are.equal(5, kf:get_n_splits())
    local counts = ml.counts(ys)
    for _, f in ipairs(kf:split(Xs, ys)) do
      local per = {}
      for _, r in ipairs(f.test) do
        local c = math.floor(ys[r])
        per[c] = (per[c] or 0) + 1
      end
      for c = 0, 9 do
        local share = counts[c] / 5
        assert.is_true(math.abs((per[c] or 0) - share) < 1, "class " .. c)
      end
    end
  end)
end)

describe("cross_val_score and GridSearchCV", function()
  it("score every fold", function()
    local s = ml.cross_val_score(ml.GaussianNB(), Xs, ys, {cv = 5})
    assert.are.equal(5, s:numel())
    assert.is_true(s:mean() > 0.45 and s:mean() < 0.75)
  end)

  it("search a grid, rank it and refit the best", function()
    local gs = ml.GridSearchCV(ml.DecisionTreeClassifier(), {max_depth = {2, 8}, criterion = {"gini", "entropy"}},
                               {cv = 3}):fit(Xs, ys)
    assert.are.equal(8, gs.best_params.max_depth)
    local r = gs.cv_results
    assert.are.equal(4, #r.params)
    assert.are.equal("gini", r.params[1].criterion) -- sorted keys, last varying fastest
    assert.are.equal(2, r.params[1].max_depth)
    assert.are.equal(8, r.params[2].max_depth)
    assert.are.equal(1, r.rank_test_score[gs.best_index])
    assert.are.equal(gs.best_score, r.mean_test_score[gs.best_index])
    assert.is_not_nil(r.split2_test_score)
    assert.are.equal(8, gs.best_estimator:get_depth())
    assert.are.equal(gs.best_estimator:score(Xte, yte), gs:score(Xte, yte))
    local text = gs:results()
    assert.truthy(text:match("^rank%s+mean%s+std%s+params\n"))
    assert.truthy(text:find('criterion="entropy", max_depth=8', 1, true))
  end)

  it("refuse a grid with an unknown parameter, naming it", function()
    local e = err_of(ml.GridSearchCV, ml.DecisionTreeClassifier(), {max_dept = {1, 2}})
    assert.truthy(e:find("GridSearchCV: grid parameter 'max_dept': DecisionTreeClassifier: unknown parameter", 1, true))
    e = err_of(ml.cross_val_score, ml.GaussianNB(), Xs, ys, {folds = 3})
    assert.truthy(e:find("cross_val_score: unknown option 'folds'", 1, true))
  end)
end)

describe("Pipeline", function()
  it("is one estimator: PCA then a tree, parameters as step__param", function()
    local pipe = ml.Pipeline{{"pca", ml.PCA{n_components = 20}}, {"tree", ml.DecisionTreeClassifier{max_depth = 8}}}
    pipe:set_params{tree__max_depth = 6}
    pipe:fit(Xs, ys)
    local acc = pipe:score(Xte, yte)
    assert.is_true(acc > 0.55 and acc < 0.9)
    local path = os.tmpname()
    pipe:save(path)
    local back = ml.load_model(path)
    os.remove(path)
    assert.are.equal(acc, back:score(Xte, yte))
    local gs = ml.GridSearchCV(pipe, {pca__n_components = {5, 20}}, {cv = 3}):fit(Xs, ys)
    assert.are.equal(20, gs.best_params.pca__n_components)
    local e = err_of(function() pipe:set_params{svc__C = 1} end)
    assert.truthy(e:find("no step named 'svc' (steps: pca, tree)", 1, true))
    e = err_of(ml.Pipeline, {{"nb", ml.GaussianNB()}, {"tree", ml.DecisionTreeClassifier()}})
    assert.truthy(e:find("step 'nb' (GaussianNB) must be a transformer", 1, true))
    local mp = ml.make_pipeline(ml.PCA{n_components = 10}, ml.GaussianNB())
    assert.is_true(mp:fit(Xs, ys):score(Xte, yte) > 0.6)
  end)

  it("shows its steps by name: named_steps reads and changes the pipeline's own steps", function()
    local pipe = ml.Pipeline{{"pca", ml.PCA{n_components = 20}}, {"tree", ml.DecisionTreeClassifier{max_depth = 8}}}
    local steps = pipe.named_steps
    assert.are.equal(20, steps.pca.n_components)
    assert.is_false(steps.tree.fitted)
    steps.tree.max_depth = 3                      -- the pipeline's own step
    assert.truthy(tostring(pipe):find("max_depth=3", 1, true))
    pipe:fit(Xs, ys)
    assert.are.equal(3, pipe.named_steps.tree:get_depth())
    assert.are.equal(20, pipe.named_steps.pca.explained_variance_ratio:size(1))
    -- a step outlives the pipeline variable: it keeps the pipeline alive
    local tree = pipe.named_steps.tree
    local acc = pipe:score(Xte, yte)
    pipe = nil
    collectgarbage(); collectgarbage()
    assert.is_true(tree.fitted)
    assert.are.equal(3, tree:get_depth())
    -- the depth set through named_steps is the one the pipeline fitted with
    local P = ml.PCA{n_components = 20}:fit(Xs)
    local alone = ml.DecisionTreeClassifier{max_depth = 3}:fit(P:transform(Xs), ys)
    assert.are.equal(alone:score(P:transform(Xte), yte), acc)
    local e = err_of(function() return ml.PCA{}.named_steps end)
    assert.truthy(e:find("PCA: no method, parameter or attribute 'named_steps'", 1, true))
  end)
end)

describe("metrics", function()
  it("confusion_matrix counts true x predicted", function()
    local cm = ml.confusion_matrix({0, 1, 2, 2, 1, 0}, {0, 2, 2, 2, 1, 1})
    assert.are.same({{1, 1, 0}, {0, 1, 1}, {0, 0, 2}}, cm:totable())
  end)

  it("classification_report gives a table that prints as scikit-learn's text", function()
    local r = ml.classification_report({0, 1, 2, 2, 1}, {0, 2, 2, 2, 1})
    assert.are.equal(1, select("#", ml.classification_report({0, 1}, {0, 1})))
    local text = r.text
    assert.are.equal(text, tostring(r))
    assert.are.equal(0.5, r[1].recall)
    assert.are.equal(2, r[2].support)
    assert.are.equal(0.8, r.accuracy)
    assert.is_true(math.abs(r.macro_avg.f1 - (1 + 2 / 3 + 0.8) / 3) < 1e-12)
    assert.are.equal(
      "              precision    recall  f1-score   support\n\n" ..
      "           0       1.00      1.00      1.00         1\n" ..
      "           1       1.00      0.50      0.67         2\n" ..
      "           2       0.67      1.00      0.80         2\n\n" ..
      "    accuracy                           0.80         5\n" ..
      "   macro avg       0.89      0.83      0.82         5\n" ..
      "weighted avg       0.87      0.80      0.79         5\n", text)
    local named = tostring(ml.classification_report({0, 1}, {0, 1}, {target_names = {"zero", "one"}}))
    assert.truthy(named:find("        zero       1.00", 1, true))
  end)
end)

describe("bad input", function()
  it("gets a clear error naming the argument", function()
    local t = ml.DecisionTreeClassifier()
    assert.truthy(err_of(t.predict, t, Xs):find("DecisionTreeClassifier: predict before fit: call fit first", 1, true))
    local yb = ys:clone()
    yb[3] = 1.5
    assert.truthy(err_of(t.fit, t, Xs, yb):find("y: label 1.5 at position 3 is not a small non-negative integer", 1, true))
    assert.truthy(err_of(t.fit, t, Xs, ytr):find("X has 1500 rows but y has 8000 labels", 1, true))
    local Xn = Xs:rows(1, 10):clone()
    Xn[2][5][5] = 0 / 0
    assert.truthy(err_of(t.fit, t, Xn, ys:rows(1, 10)):find("X contains NaN or infinite values", 1, true))
    t:fit(Xs, ys)
    assert.truthy(err_of(t.predict, t, ml.zeros{3, 10}):find("X has 10 features, but the model was fitted with 784", 1, true))
    assert.truthy(err_of(ml.DecisionTreeClassifier, {max_depth = -1}):find("max_depth must be", 1, true))
    assert.truthy(err_of(ml.GaussianNB, {var_smoothing = -1}):find("GaussianNB: var_smoothing must be >= 0", 1, true))
    assert.truthy(err_of(ml.confusion_matrix, {0, 1}, {0}):find("confusion_matrix: y_true has 2 labels but y_pred has 1", 1, true))
  end)
end)
