"""bench stage logreg_l1, scikit-learn's side: LogisticRegression, L1, saga, C = 0.1, tol = 1e-4,
20 epochs, on Fashion-MNIST (56,000 x 784).  Same rows as logreg_l1.lua."""
# bench: repeats=1
import sys
import warnings

import numpy as np
import _bench as B
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

warnings.simplefilter("ignore", ConvergenceWarning)
d = B.fashion()
m, s = B.time(lambda: LogisticRegression(penalty="l1", solver="saga", C=0.1, tol=1e-4, max_iter=20)
              .fit(d.Xtr, d.ytr))
B.report("LogisticRegression l1 C=0.1", s, "test accuracy", m.score(d.Xte, d.yte))
P = m.predict_proba(d.Xtr)
obj = -np.log(P[np.arange(len(d.ytr)), d.ytr]).sum() + np.abs(m.coef_).sum() / 0.1
sys.stderr.write("l1: n_iter %d, %d non-zero weights, objective %.1f\n" % (m.n_iter_[0], (m.coef_ != 0).sum(), obj))
