"""bench stage tree, scikit-learn's side: an unrestricted DecisionTreeClassifier on
Fashion-MNIST (56,000 x 784), then on its PCA-50 projection, same rows as tree.lua."""
# bench: repeats=1
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
