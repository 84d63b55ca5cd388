"""bench stage tree, scikit-learn's side: an unrestricted DecisionTreeClassifier on
Fashion-MNIST (56,000 x 784), then on its PCA-50 projection, same rows as tree.lua."""
# bench: repeats=1
import sys

import _bench as B
from sklearn.decomposition import PCA
from sklearn.tree import DecisionTreeClassifier

d = B.fashion()
tree, s = B.time(lambda: DecisionTreeClassifier(random_state=0).fit(d.Xtr, d.ytr))
B.report("tree fit (unrestricted)", s, "test accuracy", tree.score(d.Xte, d.yte))
pca = PCA(n_components=50).fit(d.Xtr)
Ptr, Pte = pca.transform(d.Xtr), pca.transform(d.Xte)
pt, s = B.time(lambda: DecisionTreeClassifier(random_state=0).fit(Ptr, d.ytr))
B.report("tree fit on PCA-50", s, "test accuracy", pt.score(Pte, d.yte))

for v in (0.66, 0.80, 0.90, 0.95):
    p = PCA(n_components=v).fit(d.Xtr)
    Ztr, Zte = p.transform(d.Xtr), p.transform(d.Xte)
    t, sv = B.time(lambda: DecisionTreeClassifier(random_state=0).fit(Ztr, d.ytr))
    B.report("tree fit on PCA %.2f (lab)" % v, sv, "test accuracy", t.score(Zte, d.yte))
    sys.stderr.write("tree on PCA %.2f: %d components\n" % (v, p.n_components_))
