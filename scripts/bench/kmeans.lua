-- bench: order=20
-- bench stage: KMeans, 10 clusters, one k-means++ initialisation, on the
-- 56,000 Fashion-MNIST training rows (raw pixels and PCA-50), and a diagonal
-- Gaussian mixture on PCA-50.  Quality: inertia (lower is better), ARI with
-- the true labels, mean log-likelihood.
local ml = require "mnistlab"
local B = require "_bench"
local d = B.fashion()

local km, s = B.time(function() return ml.KMeans{n_clusters = 10, n_init = 1, random_state = 0}:fit(d.Xtr) end)
B.report("kmeans k=10 raw", s, "inertia", km.inertia)

local Z = ml.PCA{n_components = 50}:fit(d.Xtr):transform(d.Xtr)
local kz, sz = B.time(function() return ml.KMeans{n_clusters = 10, n_init = 1, random_state = 0}:fit(Z) end)
B.report("kmeans k=10 pca-50", sz, "ARI", ml.adjusted_rand_score(d.ytr, kz.labels))

local g, sg = B.time(function()
  return ml.GaussianMixture{n_components = 10, covariance_type = "diag", random_state = 0}:fit(Z)
end)
B.report("gmm diag k=10 pca-50", sg, "log-likelihood", g.lower_bound)
