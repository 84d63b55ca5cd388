"""bench stage svc, scikit-learn's side: SVC (rbf, C = 1, gamma = "scale") on the PCA-50
projection of Fashion-MNIST (56,000 training rows), then predict of the 14,000 test rows.
Same rows as svc.lua; the PCA is fitted outside the timed steps.  libsvm is single-threaded
and takes minutes here: one run."""
# bench: repeats=1
import sys

import _bench as B
from sklearn.decomposition import PCA
from sklearn.svm import SVC

d = B.fashion()
pca = PCA(n_components=50).fit(d.Xtr)
Ptr, Pte = pca.transform(d.Xtr), pca.transform(d.Xte)
m, s = B.time(lambda: SVC(kernel="rbf", C=1.0).fit(Ptr, d.ytr))
pred, sp = B.time(lambda: m.predict(Pte))
B.report("SVC rbf PCA-50 fit", s, "test accuracy", (pred == d.yte).mean())
B.report("SVC rbf PCA-50 predict", sp, "-", None)
sys.stderr.write("svc: %d support vectors\n" % m.n_support_.sum())
