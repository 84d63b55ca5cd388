-- LogisticRegression and SVC from stock lua5.4, checked against scikit-learn
-- fitted on exactly our stratified 80/20 split (seed 0) of the bundled digits:
-- tests/fixtures/supervised/logreg_svc_reference.txt, recorded by
-- scripts/logreg_svc_ref.py on the rows of logreg_svc_split.txt.
local ml = require "mnistlab"

local FX = "tests/fixtures/supervised/"

-- {train =, test =, objective =, nnz =, n_support =} of one reference line
local function reference(model)
  for line in io.lines(FX .. "logreg_svc_reference.txt") do
    local name, rest = line:match("^(%S+) (.*)$")
    if name == model then
      local r = {}
      for k, v in rest:gmatch("([%w_]+)=(%S+)") do r[k] = tonumber(v) end
      return r
    end
  end
  error("no reference for " .. model)
end

local function err_of(f, ...)
  local ok, e = pcall(f, ...)
  assert.is_false(ok)
  return tostring(e)
end

local function nonzero(t)
  local n = 0
  for _, v in ipairs(t:reshape{-1}:totable()) do if v ~= 0 then n = n + 1 end end
  return n
end

local function within(x, ref, tol, what)
  assert(math.abs(x - ref) <= tol, string.format("%s: %.4f, scikit-learn %.4f (tolerance %g)", what, x, ref, tol))
end

local ds = ml.load("mnist")
local Xtr, Xte, ytr, yte = ml.train_test_split(ds.X, ds.y, {test_size = 0.2, seed = 0, stratify = true})

describe("the split", function()
  it("is the one the scikit-learn fixtures were recorded on", function()
    local tr, te = ml.train_test_split(ml.arange(10000), ds.y, {test_size = 0.2, seed = 0, stratify = true})
    local f = assert(io.open(FX .. "logreg_svc_split.txt"))
    local want_tr, want_te = f:read("l"), f:read("l")
    f:close()
    local function join(t)
      local p = {}
      for i, v in ipairs(t:totable()) do p[i] = string.format("%d", v) end
      return table.concat(p, " ")
    end
    assert.are.equal(want_tr, join(tr))
    assert.are.equal(want_te, join(te))
  end)
end)

describe("LogisticRegression", function()
  it("L2, 100 iterations: warns like scikit-learn and matches its accuracy and objective", function()
    local ref = reference("logreg_l2_C1_it100")
    local m = ml.LogisticRegression{C = 1.0, max_iter = 100}:fit(Xtr, ytr)
    assert.is_false(m.converged)
    assert.are.equal(100, m.n_iter)
    assert.truthy(m.warning:find("lbfgs failed to converge after 100 iterations", 1, true))
    assert.truthy(m.warning:find("increase max_iter", 1, true))
    within(m:score(Xtr, ytr), ref.train, 0.01, "train accuracy")
    within(m:score(Xte, yte), ref.test, 0.01, "test accuracy")
    -- the same objective (sum of losses + ||W||^2 / 2C), reached at least as far
    assert.is_true(m.loss <= ref.objective * 1.002)
    local coef, b = m.coef, m.intercept
    assert.are.same({10, 784}, {coef:shape()})
    assert.are.same({10}, {b:shape()})
  end)

  it("L2, C = 0.01: converges to scikit-learn's optimum", function()
    local ref = reference("logreg_l2_C0.01")
    local m = ml.LogisticRegression{C = 0.01, max_iter = 2000}:fit(Xtr, ytr)
    assert.is_true(m.converged)
    assert.is_nil(m.warning)
    within(m.loss / ref.objective, 1, 1e-4, "objective ratio")
    within(m:score(Xtr, ytr), ref.train, 0.003, "train accuracy")
    within(m:score(Xte, yte), ref.test, 0.003, "test accuracy")
    -- probabilities: rows sum to 1, argmax is the prediction
    local P, pred = m:predict_proba(Xte), m:predict(Xte)
    assert.are.same({2000, 10}, {P:shape()})
    local am = P:argmax(2)
    for i = 1, 2000, 7 do
      local s = 0
      for k = 1, 10 do s = s + P[i][k] end
      assert.is_true(math.abs(s - 1) < 1e-5)
    end
    assert.are.equal(2000, am:eq(pred))
  end)

  it("L1, C = 0.1: sparse weights and scikit-learn's (saga) objective and accuracy", function()
    local ref = reference("logreg_l1_C0.1")
    local m = ml.LogisticRegression{penalty = "l1", C = 0.1, max_iter = 2000}:fit(Xtr, ytr)
    assert.is_true(m.converged)
    within(m.loss / ref.objective, 1, 1e-3, "objective ratio")
    within(m:score(Xte, yte), ref.test, 0.01, "test accuracy")
    local nnz = nonzero(m.coef)
    assert.is_true(nnz < 7840 * 0.15)
    within(nnz / ref.nnz, 1, 0.2, "non-zero weights ratio")
  end)

  it("saves and loads: identical probabilities", function()
    local m = ml.LogisticRegression{C = 0.01, max_iter = 30}:fit(Xtr:rows(1, 1000), ytr:rows(1, 1000))
    local path = os.tmpname()
    m:save(path)
    local m2 = ml.load_model(path)
    os.remove(path)
    local d = m:predict_proba(Xte) - m2:predict_proba(Xte)
    assert.are.same({0, 0}, {d:min(), d:max()})
    assert.are.equal(30, m2.n_iter)
  end)

  it("refuses bad parameters and data with a message naming them", function()
    assert.truthy(err_of(ml.LogisticRegression, {C = 0}):find("C must be > 0", 1, true))
    assert.truthy(err_of(ml.LogisticRegression, {C = -1}):find("C must be > 0", 1, true))
    assert.truthy(err_of(ml.LogisticRegression, {penalty = "elasticnet"}):find("penalty", 1, true))
    assert.truthy(err_of(ml.LogisticRegression, {max_iter = 0}):find("max_iter", 1, true))
    assert.truthy(err_of(ml.LogisticRegression, {C = 0 / 0}):find("C", 1, true))
    local m = ml.LogisticRegression{}
    assert.truthy(err_of(m.predict, m, Xte):find("before fit", 1, true))
    local Xbad = Xtr:rows(1, 50):clone()
    Xbad[3][4][5] = 0 / 0
    assert.truthy(err_of(m.fit, m, Xbad, ytr:rows(1, 50)):find("NaN", 1, true))
    m:fit(Xtr:rows(1, 200), ytr:rows(1, 200))
    assert.truthy(err_of(m.predict, m, ml.zeros{3, 10}):find("features", 1, true))
  end)
end)

describe("SVC", function()
  for _, case in ipairs{{"svc_rbf", {}}, {"svc_linear", {kernel = "linear"}}, {"svc_poly", {kernel = "poly"}}} do
    it(case[1] .. ": scikit-learn's accuracy within 0.003 and its support vectors within 1%", function()
      local ref = reference(case[1])
      local m = ml.SVC(case[2]):fit(Xtr, ytr)
      within(m:score(Xte, yte), ref.test, 0.003, "test accuracy")
      within(m:score(Xtr, ytr), ref.train, 0.003, "train accuracy")
      local nsv = m.support_vectors:shape()
      within(nsv / ref.n_support, 1, 0.01, "support vector ratio")
      assert.are.equal(nsv, m.n_support:sum())
    end)
  end

  it("on PCA-50: scikit-learn's accuracy; ovr decision_function agrees with predict", function()
    local ref = reference("svc_rbf_pca50")
    local pca = ml.PCA{n_components = 50}:fit(Xtr)
    local Ptr, Pte = pca:transform(Xtr), pca:transform(Xte)
    local m = ml.SVC{kernel = "rbf", C = 1, gamma = "scale"}:fit(Ptr, ytr)
    within(m:score(Pte, yte), ref.test, 0.004, "test accuracy")
    local D, pred = m:decision_function(Pte), m:predict(Pte)
    assert.are.same({2000, 10}, {D:shape()})
    -- votes (integer parts) add up to the 45 pairs; argmax differs from the
    -- vote-based prediction only on tied votes, as in scikit-learn
    for i = 1, 2000, 13 do
      local votes = 0
      for k = 1, 10 do votes = votes + math.floor(D[i][k] + 0.5) end
      assert.are.equal(45, votes)
    end
    assert.is_true(D:argmax(2):eq(pred) >= 1980)
    assert.are.same({9, (m.support_vectors:shape())}, {m.dual_coef:shape()})
    assert.are.same({45}, {m.intercept:shape()})
    local ovo = ml.SVC{decision_function_shape = "ovo"}:fit(Ptr:rows(1, 600), ytr:rows(1, 600))
    assert.are.same({2000, 45}, {ovo:decision_function(Pte):shape()})
  end)

  it("saves and loads: identical decision values", function()
    local m = ml.SVC{kernel = "poly", degree = 2}:fit(Xtr:rows(1, 800), ytr:rows(1, 800))
    local path = os.tmpname()
    m:save(path)
    local m2 = ml.load_model(path)
    os.remove(path)
    local d = m:decision_function(Xte) - m2:decision_function(Xte)
    assert.are.same({0, 0}, {d:min(), d:max()})
  end)

  it("refuses bad parameters and data with a message naming them", function()
    assert.truthy(err_of(ml.SVC, {C = 0}):find("C must be > 0", 1, true))
    assert.truthy(err_of(ml.SVC, {kernel = "cubic"}):find("kernel", 1, true))
    assert.truthy(err_of(ml.SVC, {gamma = -1}):find("gamma must be > 0", 1, true))
    assert.truthy(err_of(ml.SVC, {gamma = "sometimes"}):find("gamma", 1, true))
    assert.truthy(err_of(ml.SVC, {degree = 1.5}):find("degree", 1, true))
    local m = ml.SVC{}
    assert.truthy(err_of(m.predict, m, Xte):find("before fit", 1, true))
    local y = ytr:rows(1, 50):clone()
    y[1] = 1.5
    assert.truthy(err_of(m.fit, m, Xtr:rows(1, 50), y):find("y", 1, true))
    assert.truthy(err_of(m.fit, m, Xtr:rows(1, 50), ytr:rows(1, 40)):find("labels", 1, true))
    assert.truthy(err_of(ml.SVC, {probability = "yes"}):find("probability", 1, true))
  end)

  it("takes labels with gaps: classes, predictions in the original labels", function()
    local X = Xtr:rows(1, 600)
    local y = ytr:rows(1, 600):clone()
    local keep = {}
    for i = 1, 600 do
      local v = y[i]
      if v == 1 then y[i] = 5 elseif v ~= 0 then y[i] = 2 end
    end
    local m = ml.SVC{}:fit(X, y)
    assert.are.same({0, 2, 5}, m.classes:totable())
    local pred = m:predict(Xte)
    for i = 1, 2000, 17 do keep[pred[i]] = true end
    for k in pairs(keep) do assert.truthy(k == 0 or k == 2 or k == 5) end
    assert.are.same({2000, 3}, {m:decision_function(Xte):shape()})
    assert.truthy(err_of(m.predict_proba, m, Xte):find("predict_proba needs probability = true", 1, true))
    -- probability = true: Platt scaling, one column per class, rows summing to 1
    local mp = ml.SVC{probability = true}:fit(X, y)
    local P = mp:predict_proba(Xte)
    assert.are.same({2000, 3}, {P:shape()})
    local pp = mp:predict(Xte)
    local agree = 0
    for i = 1, 2000, 7 do
      local s, best = 0, 1
      for k = 1, 3 do
        s = s + P[i][k]
        if P[i][k] > P[i][best] then best = k end
      end
      assert.is_true(math.abs(s - 1) < 1e-5)
      if ({0, 2, 5})[best] == pp[i] then agree = agree + 1 end
    end
    assert.is_true(agree >= 270)
  end)

  it("n_jobs: fits side by side give the serial search's scores; a bad n_jobs is refused", function()
    local pipe = ml.Pipeline{{"pca", ml.PCA{n_components = 20}}, {"svc", ml.SVC{}}}
    local X, y = Xtr:rows(1, 900), ytr:rows(1, 900)
    local grid = {svc__kernel = {"linear", "poly", "rbf"}}
    local a = ml.GridSearchCV(pipe, grid, {cv = 3, n_jobs = 1}):fit(X, y)
    local b = ml.GridSearchCV(pipe, grid, {cv = 3, n_jobs = -1}):fit(X, y)
    local c = ml.GridSearchCV(pipe, grid, {cv = 3}):fit(X, y)
    for _, k in ipairs{"split0_test_score", "split1_test_score", "split2_test_score", "mean_test_score"} do
      assert.are.same(a.cv_results[k], b.cv_results[k])
      assert.are.same(a.cv_results[k], c.cv_results[k])
    end
    assert.are.same(a.best_params, b.best_params)
    local s1 = ml.cross_val_score(pipe, X, y, {cv = 3, n_jobs = 1})
    local s2 = ml.cross_val_score(pipe, X, y, {cv = 3, n_jobs = 2})
    assert.are.same(s1:totable(), s2:totable())
    for _, bad in ipairs{0, -2, 1.5, "2", 257} do
      assert.truthy(err_of(ml.GridSearchCV, pipe, grid, {n_jobs = bad}):find("option 'n_jobs' must be", 1, true))
      assert.truthy(err_of(ml.cross_val_score, pipe, X, y, {n_jobs = bad}):find("option 'n_jobs' must be", 1, true))
    end
  end)

  it("chooses its kernel inside a Pipeline by cross-validation", function()
    local pipe = ml.Pipeline{{"pca", ml.PCA{n_components = 30}}, {"svc", ml.SVC{}}}
    local gs = ml.GridSearchCV(pipe, {svc__kernel = {"linear", "rbf"}}, {cv = 3})
      :fit(Xtr:rows(1, 1500), ytr:rows(1, 1500))
    assert.is_true(gs.best_score > 0.85)
    assert.is_true(gs:score(Xte, yte) > 0.85)
  end)
end)
