"""bench stage nb, scikit-learn's side: GaussianNB fit on Fashion-MNIST (56,000 x 784),
then predict of the 14,000 test rows, same rows as nb.lua."""
import _bench as B
from sklearn.naive_bayes import GaussianNB

d = B.fashion()
nb, s = B.time(lambda: GaussianNB().fit(d.Xtr, d.ytr))
B.report("GaussianNB fit", s, "train accuracy", nb.score(d.Xtr, d.ytr))
pred, s = B.time(lambda: nb.predict(d.Xte))
B.report("GaussianNB predict", s, "test accuracy", (pred == d.yte).mean())
_, s = B.time(lambda: GaussianNB().fit(d.Xtr, d.ytr).predict(d.Xte))
B.report("GaussianNB fit + predict", s, "-", None)
