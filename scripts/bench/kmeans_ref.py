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

k4, s4 = B.time(lambda: KMeans(n_clusters=10, n_init=4, random_state=0).fit(d.Xtr))
B.report("kmeans k=10 raw n_init=4 (lab)", s4, "inertia", float(k4.inertia_))
kz4, sz4 = B.time(lambda: KMeans(n_clusters=10, n_init=4, random_state=0).fit(Z))
B.report("kmeans k=10 pca-50 n_init=4 (lab)", sz4, "ARI", adjusted_rand_score(d.ytr, kz4.labels_))
g2, sg2 = B.time(lambda: GaussianMixture(n_components=10, covariance_type="diag", n_init=2, random_state=0).fit(Z))
B.report("gmm diag k=10 pca-50 n_init=2 (lab)", sg2, "log-likelihood", float(g2.lower_bound_))
