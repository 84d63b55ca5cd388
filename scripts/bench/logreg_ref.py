"""bench stage logreg, scikit-learn's side: LogisticRegression, L2, lbfgs, C = 1, 100 iterations,
on Fashion-MNIST (56,000 x 784).  Same rows as logreg.lua."""
# bench: repeats=1
import sys
import warnings

import _bench as B
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

warnings.simplefilter("ignore", ConvergenceWarning)
d = B.fashion()
m, s = B.time(lambda: LogisticRegression(C=1.0, max_iter=100).fit(d.Xtr, d.ytr))
B.report("LogisticRegression l2 lbfgs 100 it", s, "test accuracy", m.score(d.Xte, d.yte))
sys.stderr.write("l2: n_iter %d\n" % m.n_iter_[0])

for it in (25, 50, 1000):
    mi, si = B.time(lambda: LogisticRegression(C=1.0, max_iter=it).fit(d.Xtr, d.ytr))
    B.report("LogisticRegression l2 lbfgs %d it (lab)" % it, si, "test accuracy", mi.score(d.Xte, d.yte))
    sys.stderr.write("l2 max_iter %d: n_iter %d\n" % (it, mi.n_iter_[0]))
