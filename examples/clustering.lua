-- Clustering the digits without their labels: KMeans and a Gaussian mixture on
-- the first 50 principal components, judged against the true classes.
-- As sklearn.cluster.KMeans and sklearn.mixture.GaussianMixture, with
-- sklearn.metrics.adjusted_rand_score and normalized_mutual_info_score.
--   build/mnistlab examples/clustering.lua
--   LUA_CPATH="build/?.so;;" lua5.4 examples/clustering.lua
local ml = require "mnistlab"

local ds = ml.load("mnist", {subset = "test"})
local X, y = ds.X:flatten(), ds.y           -- 10000 x 784, labels 0..9
-- Distances on 50 components instead of 784 pixels: faster, and what PCA drops is mostly noise.
local Z = ml.PCA{n_components = 50}:fit_transform(X)

-- KMeans: 10 centres, 4 starts from k-means++ (the best inertia wins).
local km = ml.KMeans{n_clusters = 10, n_init = 4, random_state = 0}:fit(Z)
print(("KMeans: inertia %.1f after %d iterations"):format(km.inertia, km.n_iter))
ml.plot(km.inertia_history, {title = "KMeans inertia per iteration (best start)", xlabel = "iteration",
                             height = 10})

-- A mixture of 10 Gaussians with diagonal covariances, fitted by EM.
local gmm = ml.GaussianMixture{n_components = 10, covariance_type = "diag", random_state = 0}:fit(Z)
print(("GaussianMixture: converged %s after %d EM steps, mean log-likelihood %.2f"):format(
  tostring(gmm.converged), gmm.n_iter, gmm.lower_bound))

-- Cluster numbers are arbitrary, so we compare partitions, not labels:
-- ARI (1 = same partition, ~0 = random), NMI (0..1), and the accuracy after
-- mapping each cluster to one class (Hungarian algorithm).
for _, m in ipairs{{"KMeans", km.labels}, {"GaussianMixture", gmm:predict(Z)}} do
  local acc = ml.cluster_accuracy(y, m[2])
  print(("%-16s ARI %.3f  NMI %.3f  mapped accuracy %.3f"):format(m[1],
    ml.adjusted_rand_score(y, m[2]), ml.normalized_mutual_info_score(y, m[2]), acc))
end

-- Which classes share a cluster? Rows: true class, columns: KMeans cluster.
ml.heatmap(ml.contingency_matrix(y, km.labels), {title = "class (rows) against KMeans cluster (columns)",
                                                 xlabel = "cluster", ylabel = "class"})
