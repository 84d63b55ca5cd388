#!/usr/bin/env python3
"""Records scikit-learn's reference values for mnistlab's unsupervised tests.

Reads the bundled MNIST test set (data/mnist, 10,000 digits, pixels / 255),
runs scikit-learn's PCA, KMeans, GaussianMixture and clustering metrics, and
writes tests/fixtures/unsupervised/*.txt: one line per value,
    name count v1 v2 ...
so that the C and Lua tests read them without a parser of their own.
Run from the source tree:  /usr/bin/python3 scripts/record_unsupervised_fixtures.py
"""
import gzip
import os
import sys

import numpy as np
import sklearn
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
from sklearn.metrics.cluster import contingency_matrix
from sklearn.mixture import GaussianMixture
from scipy.optimize import linear_sum_assignment

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "fixtures", "unsupervised")


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def flip_components(c):
    """Largest-|value| entry of each component positive (mnistlab's rule)."""
    idx = np.argmax(np.abs(c), axis=1)
    signs = np.sign(c[np.arange(c.shape[0]), idx])
    return c * signs[:, None]


class Writer:
    def __init__(self, name):
        self.path = os.path.join(OUT, name)
        self.f = open(self.path + ".tmp", "w")
        self.f.write("# scikit-learn %s, numpy %s; written by scripts/record_unsupervised_fixtures.py\n"
                     % (sklearn.__version__, np.__version__))

    def put(self, name, values):
        values = np.atleast_1d(np.asarray(values, dtype=np.float64)).ravel()
        self.f.write("%s %d %s\n" % (name, values.size, " ".join(repr(float(v)) for v in values)))

    def close(self):
        self.f.close()
        os.replace(self.path + ".tmp", self.path)


def main():
    os.makedirs(OUT, exist_ok=True)
    X8 = read_idx(os.path.join(ROOT, "data", "mnist", "t10k-images-idx3-ubyte.gz"))
    y = read_idx(os.path.join(ROOT, "data", "mnist", "t10k-labels-idx1-ubyte.gz")).astype(np.int64)
    X = X8.reshape(len(X8), -1).astype(np.float64) / 255.0

    # ---- PCA on all 10,000 digits, every component, in double precision ----
    w = Writer("pca_mnist10k.txt")
    pca = PCA(svd_solver="full").fit(X)
    w.put("explained_variance_ratio", pca.explained_variance_ratio_)
    w.put("explained_variance", pca.explained_variance_[:50])
    w.put("mean", pca.mean_)
    w.put("components_3", flip_components(pca.components_[:3]))
    for f in (0.8, 0.9, 0.95, 0.99):
        w.put("n_components_%d" % round(f * 100), PCA(n_components=f, svd_solver="full").fit(X).n_components_)
    p50 = PCA(n_components=50, svd_solver="full").fit(X)
    Z = p50.transform(X[:5])
    w.put("noise_variance_50", p50.noise_variance_)
    # first five rows projected (signs made to follow mnistlab's rule)
    idx = np.argmax(np.abs(p50.components_), axis=1)
    signs = np.sign(p50.components_[np.arange(50), idx])
    w.put("transform_50_rows5", Z * signs[None, :])
    w.put("inverse_50_row0", p50.inverse_transform(p50.transform(X[:1])))
    # fewer samples than features: the first 500 digits
    w.put("explained_variance_ratio_500rows", PCA(svd_solver="full").fit(X[:500]).explained_variance_ratio_)
    w.close()

    # ---- KMeans, 10 clusters, on the first 50 principal components ----
    w = Writer("kmeans_mnist10k.txt")
    Z50 = p50.transform(X)
    km = KMeans(n_clusters=10, n_init=10, random_state=0).fit(Z50)
    w.put("pca50_inertia_ninit10", km.inertia_)
    km1 = KMeans(n_clusters=10, n_init=1, random_state=0).fit(Z50)
    w.put("pca50_inertia_ninit1", km1.inertia_)
    kmr = KMeans(n_clusters=10, n_init=1, random_state=0).fit(X)
    w.put("raw_inertia_ninit1", kmr.inertia_)
    w.put("raw_ari", adjusted_rand_score(y, kmr.labels_))
    w.put("raw_nmi", normalized_mutual_info_score(y, kmr.labels_))
    w.close()

    # ---- metrics on fixed label vectors (true digits vs sklearn's clusters) ----
    w = Writer("metrics_mnist10k.txt")
    pred = km.labels_
    w.put("y_true", y)
    w.put("y_pred", pred)
    w.put("ari", adjusted_rand_score(y, pred))
    w.put("nmi", normalized_mutual_info_score(y, pred))
    C = contingency_matrix(y, pred)
    w.put("contingency", C)
    r, c = linear_sum_assignment(-C)
    w.put("mapped_accuracy", C[r, c].sum() / len(y))
    # a small rectangular case: 3 classes, 5 clusters
    a = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 0, 1])
    b = np.array([4, 4, 3, 1, 1, 0, 2, 2, 2, 3, 4, 1])
    w.put("small_true", a)
    w.put("small_pred", b)
    w.put("small_ari", adjusted_rand_score(a, b))
    w.put("small_nmi", normalized_mutual_info_score(a, b))
    Cs = contingency_matrix(a, b)
    r, c = linear_sum_assignment(-Cs)
    w.put("small_mapped_accuracy", Cs[r, c].sum() / len(a))
    w.close()

    # ---- diagonal Gaussian mixture on PCA-20 ----
    w = Writer("gmm_mnist10k.txt")
    Z20 = Z50[:, :20]
    g = GaussianMixture(n_components=10, covariance_type="diag", random_state=0).fit(Z20)
    w.put("pca20_lower_bound", g.lower_bound_)
    w.put("pca20_score", g.score(Z20))
    w.put("pca20_ari", adjusted_rand_score(y, g.predict(Z20)))
    w.close()
    print("wrote", OUT, file=sys.stderr)


if __name__ == "__main__":
    main()
