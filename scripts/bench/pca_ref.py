"""bench reference: scikit-learn's PCA on the rows the pca.lua stage uses (svd_solver "auto", as a
student would call it: randomized below 80 % of the 784 features, else the full SVD)."""
from sklearn.decomposition import PCA

import _bench as B

d = B.fashion()
p95, s = B.time(lambda: PCA(n_components=0.95).fit(d.Xtr))
B.report("pca fit n=0.95", s, "n_components", p95.n_components_)

p50, s50 = B.time(lambda: PCA(n_components=50, random_state=0).fit(d.Xtr))
B.report("pca fit n=50", s50, "explained variance", float(p50.explained_variance_ratio_.sum()))

_, st = B.time(lambda: p50.transform(d.Xte))
B.report("pca transform 14k", st)

for k in (2, 10, 80, 150, 220, 784):
    p, sk = B.time(lambda: PCA(n_components=k, random_state=0).fit(d.Xtr))
    B.report("pca fit n=%d" % k, sk, "explained variance", float(p.explained_variance_ratio_.sum()))
