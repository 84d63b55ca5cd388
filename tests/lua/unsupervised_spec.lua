-- The unsupervised area from stock lua5.4: PCA, KMeans, GaussianMixture
-- through the estimator binding, the clustering metrics, bad input, and the
-- values recorded from scikit-learn (tests/fixtures/unsupervised/, written by
-- scripts/record_unsupervised_fixtures.py).
local ml = require "mnistlab"

local FX = "tests/fixtures/unsupervised/"

-- The values of line `name` ("name count v1 v2 ...") as a Lua array.
local function fixture(file, name)
  for line in io.lines(FX .. file) do
    local key, rest = line:match("^(%S+) %d+ (.*)$")
    if key == name then
      local v = {}
      for x in rest:gmatch("%S+") do v[#v + 1] = tonumber(x) end
      return v
    end
  end
  error("fixture " .. name .. " not found in " .. file)
end

local function err_of(f, ...)
  local ok, e = pcall(f, ...)
  assert.is_false(ok)
  return tostring(e)
end

local ds = ml.load("mnist", {subset = "test"})
local X, y = ds.X, ds.y
local Xs, ys = X:rows(1, 2000), y:rows(1, 2000)

describe("PCA", function()
  local pca = ml.PCA():fit(X) -- every component, on 10000 x 28 x 28 (flattened)

  it("agrees with scikit-learn's explained variance ratios to 1e-5", function()
    local ref = fixture("pca_mnist10k.txt", "explained_variance_ratio")
    local r = pca.explained_variance_ratio
    assert.are.equal(784, #r)
    assert.are.equal(784, pca.n_components_)
    local worst, sum = 0, 0
    for i = 1, #ref do
      worst = math.max(worst, math.abs(r[i] - ref[i]))
      sum = sum + r[i]
      if i > 1 then assert.is_true(r[i] <= r[i - 1]) end
    end
    assert.is_true(worst < 1e-5, "worst difference " .. worst)
    assert.is_true(math.abs(sum - 1) < 1e-5)
    local cum = pca.cumulative_variance_ratio
    assert.is_true(math.abs(cum[784] - 1) < 1e-5)
  end)

  it("picks the number of components for a variance fraction as scikit-learn does", function()
    for _, pct in ipairs{80, 90, 95, 99} do
      local want = fixture("pca_mnist10k.txt", "n_components_" .. pct)[1]
      local p = ml.PCA{n_components = pct / 100}:fit(X)
      assert.are.equal(want, p.n_components_)
      assert.are.equal(want, p.components:size(1))
      assert.are.equal(784, p.components:size(2))
    end
  end)

  it("transforms, inverts, whitens", function()
    local p = ml.PCA{n_components = 20}:fit(Xs)
    local Z = p:transform(Xs)
    assert.are.same({2000, 20}, {Z:shape()})
    local back = p:inverse_transform(Z)
    assert.are.same({2000, 784}, {back:shape()})
    -- projected variances equal the eigenvalues
    local ev = p.explained_variance
    for c = 1, 20, 7 do
      local s, s2 = 0, 0
      for i = 1, 2000 do local v = Z[i][c]; s = s + v; s2 = s2 + v * v end
      local var = (s2 - s * s / 2000) / 1999
      assert.is_true(math.abs(var - ev[c]) < 1e-3 * ev[1])
    end
    local w = ml.PCA{n_components = 5, whiten = true}:fit(Xs)
    local Zw = w:transform(Xs)
    local s2 = 0
    for i = 1, 2000 do s2 = s2 + Zw[i][1] ^ 2 end
    assert.is_true(math.abs(s2 / 1999 - 1) < 1e-3)
    -- full rank: the reconstruction is the data
    local small = X:rows(1, 50):reshape(50, 784)
    local full = ml.PCA():fit(small)
    assert.are.equal(50, full.n_components_)
    local rec = full:inverse_transform(full:transform(small))
    local worst = 0
    for i = 1, 50, 7 do
      for j = 1, 784, 13 do worst = math.max(worst, math.abs(rec[i][j] - small[i][j])) end
    end
    assert.is_true(worst < 1e-4)
  end)

  it("refuses bad input with a clear message", function()
    assert.truthy(err_of(function() return ml.PCA{n_components = -1} end):find("n_components", 1, true))
    assert.truthy(err_of(function() return ml.PCA{n_components = 0} end)
      :find("n_components: must be an integer >= 1 or a variance fraction in (0, 1)", 1, true))
    assert.truthy(err_of(function() return ml.PCA{n_components = 1.5} end)
      :find("n_components: 1.5 is neither an integer nor a variance fraction in (0, 1)", 1, true))
    assert.truthy(err_of(function() return ml.PCA{n_components = 20}:fit(X:rows(1, 10)) end)
      :find("n_components=20 must be <= min(n_samples, n_features) = min(10, 784) = 10", 1, true))
    local bad = X:rows(1, 10):clone()
    bad[3][4][5] = 0 / 0
    assert.truthy(err_of(function() return ml.PCA():fit(bad) end):find("NaN", 1, true))
    assert.truthy(err_of(function() return ml.PCA():fit(ml.full({5, 3}, 0.5)) end)
      :find("every feature is constant", 1, true))
    assert.truthy(err_of(function() return ml.PCA():transform(Xs) end):find("fit", 1, true))
    assert.truthy(err_of(function() return ml.PCA{n_components = 3}:fit(Xs):transform(ml.zeros(4, 10)) end)
      :find("features", 1, true))
  end)

  it("saves and loads", function()
    local p = ml.PCA{n_components = 0.9}:fit(Xs)
    local path = os.tmpname()
    p:save(path)
    local q = ml.load_model(path)
    os.remove(path)
    assert.are.equal(p.n_components_, q.n_components_)
    local a, b = p:transform(X:rows(1, 3)), q:transform(X:rows(1, 3))
    for i = 1, 3 do assert.are.equal(a[i][1], b[i][1]) end
  end)
end)

describe("KMeans", function()
  local Z = ml.PCA{n_components = 30}:fit(Xs):transform(Xs)

  it("gives the same clustering for the same seed, and labels its centres", function()
    local a = ml.KMeans{n_clusters = 10, random_state = 3}:fit(Z)
    local b = ml.KMeans{n_clusters = 10, random_state = 3}:fit(Z)
    assert.are.equal(a.inertia, b.inertia)
    assert.are.equal(a.n_iter, b.n_iter)
    assert.are.equal(2000, a.labels:eq(b.labels))
    assert.are.same({10, 30}, {a.cluster_centers:shape()})
    assert.are.equal(2000, a:predict(Z):eq(a.labels))
    local h = a.inertia_history
    assert.are.equal(a.n_iter, #h)
    for i = 2, #h do assert.is_true(h[i] <= h[i - 1] * (1 + 1e-6)) end
    local counts = a.counts
    assert.are.equal(2000, counts:sum())
    assert.are.same({2000, 10}, {a:transform(Z):shape()})
  end)

  it("reaches scikit-learn's inertia on PCA-50 of the 10,000 digits", function()
    local Z50 = ml.PCA{n_components = 50}:fit(X):transform(X)
    local km = ml.KMeans{n_clusters = 10, n_init = 3, random_state = 0}:fit(Z50)
    local ref = fixture("kmeans_mnist10k.txt", "pca50_inertia_ninit10")[1]
    assert.is_true(km.inertia <= ref * 1.01, ("inertia %.1f, scikit-learn %.1f"):format(km.inertia, ref))
  end)

  it("refuses bad input with a clear message", function()
    assert.truthy(err_of(function() return ml.KMeans{n_clusters = 30}:fit(Z:rows(1, 20)) end)
      :find("n_clusters=30 is larger than the number of samples (20)", 1, true))
    assert.truthy(err_of(function() return ml.KMeans{n_clusters = 0} end):find("n_clusters", 1, true))
    assert.truthy(err_of(function() return ml.KMeans{init = "best"} end):find("init", 1, true))
    local bad = Z:rows(1, 20):clone()
    bad[2][2] = 1 / 0
    assert.truthy(err_of(function() return ml.KMeans{n_clusters = 2}:fit(bad) end):find("NaN or infinite", 1, true))
  end)
end)

describe("GaussianMixture", function()
  it("fits a diagonal mixture by EM on PCA-reduced digits", function()
    local Z = ml.PCA{n_components = 10}:fit(Xs):transform(Xs)
    local g = ml.GaussianMixture{n_components = 5, random_state = 0}:fit(Z)
    assert.is_true(g.converged)
    assert.are.same({5, 10}, {g.means:shape()})
    assert.are.same({5, 10}, {g.covariances:shape()})
    assert.is_true(math.abs(g.weights:sum() - 1) < 1e-5)
    local P = g:predict_proba(Z)
    assert.are.same({2000, 5}, {P:shape()})
    assert.is_true(math.abs(P[7]:sum() - 1) < 1e-5)
    assert.are.equal(2000, g:predict(Z):eq(g.labels))
    local g2 = ml.GaussianMixture{n_components = 5, random_state = 0}:fit(Z)
    assert.are.equal(g.lower_bound, g2.lower_bound)
    assert.truthy(err_of(function() return ml.GaussianMixture{covariance_type = "full"} end)
      :find("covariance_type", 1, true))
  end)

  it("saves and loads, predicting identically", function()
    local Z = ml.PCA{n_components = 10}:fit(Xs):transform(Xs)
    local g = ml.GaussianMixture{n_components = 5, random_state = 0}:fit(Z)
    local path = os.tmpname()
    g:save(path)
    local h = ml.load_model(path)
    os.remove(path)
    assert.are.equal(2000, g:predict(Z):eq(h:predict(Z)))
    assert.are.equal(g.lower_bound, h.lower_bound)
  end)
end)

describe("clustering metrics", function()
  local f = "metrics_mnist10k.txt"
  local yt, yp = ml.tensor(fixture(f, "y_true")), ml.tensor(fixture(f, "y_pred"))

  it("match scikit-learn", function()
    assert.is_true(math.abs(ml.adjusted_rand_score(yt, yp) - fixture(f, "ari")[1]) < 1e-12)
    assert.is_true(math.abs(ml.normalized_mutual_info_score(yt, yp) - fixture(f, "nmi")[1]) < 1e-12)
    local acc, map = ml.cluster_accuracy(yt, yp)
    assert.is_true(math.abs(acc - fixture(f, "mapped_accuracy")[1]) < 1e-12)
    local seen = {}
    for c = 0, 9 do
      assert.is_not_nil(map[c])
      assert.is_nil(seen[map[c]])
      seen[map[c]] = true
    end
    local C = ml.contingency_matrix(yt, yp)
    assert.are.same({10, 10}, {C:shape()})
    assert.are.equal(10000, C:sum())
    local ref = fixture(f, "contingency")
    assert.are.equal(ref[1], C[1][1])
    assert.are.equal(ref[100], C[10][10])
  end)

  it("take Lua arrays, leave extra clusters unmapped, and check their input", function()
    local acc, map = ml.cluster_accuracy({0, 0, 1, 1, 2, 2}, {1, 1, 0, 0, 3, 2})
    assert.is_true(math.abs(acc - 5 / 6) < 1e-12)
    assert.are.equal(1, map[0])
    assert.are.equal(0, map[1])
    local unmapped = (map[2] == nil and 1 or 0) + (map[3] == nil and 1 or 0)
    assert.are.equal(1, unmapped)
    assert.are.equal(1, ml.adjusted_rand_score({0, 0, 1, 1}, {1, 1, 0, 0}))
    assert.truthy(err_of(ml.adjusted_rand_score, {0, 1, 2}, {0, 1})
      :find("labels_pred: has 2 labels, labels_true has 3", 1, true))
    assert.truthy(err_of(ml.normalized_mutual_info_score, {0, 1}, {0, -1})
      :find("labels_pred: label -1", 1, true))
  end)
end)
