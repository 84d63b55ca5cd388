"""bench reference: scikit-learn's KMeans and GaussianMixture on the rows kmeans.lua uses."""
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.metrics import adjusted_rand_score
from sklearn.mixture import GaussianMixture

import _bench as B

d = B.fashion()
km, s = B.time(lambda: KMeans(n_clusters=10, n_init=1, random_state=0).fit(d.Xtr))
B.report("kmeans k=10 raw", s, "inertia", float(km.inertia_))

Z = PCA(n_components=50, random_state=0).fit(d.Xtr).transform(d.Xtr)
kz, sz = B.time(lambda: KMeans(n_clusters=10, n_init=1, random_state=0).fit(Z))
B.report("kmeans k=10 pca-50", sz, "ARI", adjusted_rand_score(d.ytr, kz.labels_))

g, sg = B.time(lambda: GaussianMixture(n_components=10, covariance_type="diag", random_state=0).fit(Z))
B.report("gmm diag k=10 pca-50", sg, "log-likelihood", float(g.lower_bound_))
