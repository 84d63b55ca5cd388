-- bench: order=20
-- bench: weight=2
-- bench stage: KMeans, 10 clusters, one k-means++ initialisation, on the
-- 56,000 Fashion-MNIST training rows (raw pixels and PCA-50), and a diagonal
-- Gaussian mixture on PCA-50.  Quality: inertia (lower is better), ARI with
-- the true labels, mean log-likelihood.  Then the same as the built-in lab
-- runs them (n_init = 4 for KMeans, 2 for the mixture), for the lab summary.
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

local k4, s4 = B.time(function() return ml.KMeans{n_clusters = 10, n_init = 4, random_state = 0}:fit(d.Xtr) end)
B.report("kmeans k=10 raw n_init=4 (lab)", s4, "inertia", k4.inertia)
local kz4, sz4 = B.time(function() return ml.KMeans{n_clusters = 10, n_init = 4, random_state = 0}:fit(Z) end)
B.report("kmeans k=10 pca-50 n_init=4 (lab)", sz4, "ARI", ml.adjusted_rand_score(d.ytr, kz4.labels))
local g2, sg2 = B.time(function()
  return ml.GaussianMixture{n_components = 10, covariance_type = "diag", n_init = 2, random_state = 0}:fit(Z)
end)
B.report("gmm diag k=10 pca-50 n_init=2 (lab)", sg2, "log-likelihood", g2.lower_bound)
