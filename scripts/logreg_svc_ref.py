#!/usr/bin/python3
"""Record scikit-learn's reference values for LogisticRegression and SVC on the
bundled 10,000 digits (tests/lua/logreg_svc_spec.lua).

The split is mnistlab's own stratified 80/20 split (seed 0): the row indices are
written by scripts/logreg_svc_split.lua (run first if the file is missing), and
scikit-learn is fitted on exactly those rows.
Run from the source tree:  /usr/bin/python3 scripts/logreg_svc_ref.py
Writes tests/fixtures/supervised/logreg_svc_reference.txt, one line per model:
    <name> train=<acc> test=<acc> [objective=<value>] [nnz=<count>] [n_support=<count>] [seconds=<s>]
The objective is scikit-learn's: sum of log-losses + 1/(2C)||W||^2 (l2) or 1/C ||W||_1 (l1).
"""
import gzip
import os
import subprocess
import sys
import time
import warnings

import numpy as np
import sklearn
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.svm import SVC

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "tests", "fixtures", "supervised")
SPLIT = os.path.join(FIX, "logreg_svc_split.txt")


def idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def objective(m, X, y, penalty, C):
    P = m.predict_proba(X)
    loss = -np.log(np.clip(P[np.arange(len(y)), y], 1e-300, None)).sum()
    W = m.coef_.astype(np.float64)
    if penalty == "l2":
        return loss + 0.5 / C * (W * W).sum()
    return loss + 1.0 / C * np.abs(W).sum()


def main():
    if not os.path.exists(SPLIT):
        env = dict(os.environ, LUA_CPATH=os.path.join(ROOT, "build", "?.so") + ";;")
        subprocess.run(["lua5.4", os.path.join(ROOT, "scripts", "logreg_svc_split.lua"), SPLIT], check=True,
                       env=env, cwd=ROOT)
    X = idx(os.path.join(ROOT, "data/mnist/t10k-images-idx3-ubyte.gz")).reshape(10000, -1)
    X = X.astype(np.float32) / np.float32(255)
    y = idx(os.path.join(ROOT, "data/mnist/t10k-labels-idx1-ubyte.gz")).astype(np.int64)
    with open(SPLIT) as f:
        tr = np.array(f.readline().split(), dtype=np.int64)
        te = np.array(f.readline().split(), dtype=np.int64)
    Xtr, Xte, ytr, yte = X[tr], X[te], y[tr], y[te]
    lines = ["# scikit-learn %s on data/mnist, rows of logreg_svc_split.txt (stratified 80/20, seed 0)"
             % sklearn.__version__]

    def put(name, m, Xa, Xb, extra, seconds):
        line = "%s train=%.4f test=%.4f" % (name, m.score(Xa, ytr), m.score(Xb, yte))
        for k, v in extra:
            line += " %s=%s" % (k, v)
        line += " seconds=%.2f" % seconds
        print(line, flush=True)
        lines.append(line)

    warnings.simplefilter("ignore", ConvergenceWarning)
    logregs = [
        ("logreg_l2_C1_it100", "l2", dict(C=1.0, max_iter=100)),
        ("logreg_l2_C0.01", "l2", dict(C=0.01, max_iter=2000)),
        ("logreg_l1_C0.1", "l1", dict(C=0.1, penalty="l1", solver="saga", tol=1e-4, max_iter=2000)),
    ]
    for name, pen, kw in logregs:
        t = time.perf_counter()
        m = LogisticRegression(**kw).fit(Xtr, ytr)
        s = time.perf_counter() - t
        extra = [("objective", "%.4f" % objective(m, Xtr, ytr, pen, kw["C"])), ("n_iter", int(m.n_iter_[0])),
                 ("nnz", int((m.coef_ != 0).sum()))]
        put(name, m, Xtr, Xte, extra, s)

    svcs = [
        ("svc_rbf", dict()),
        ("svc_linear", dict(kernel="linear")),
        ("svc_poly", dict(kernel="poly")),
        ("svc_rbf_C10", dict(C=10)),
    ]
    for name, kw in svcs:
        t = time.perf_counter()
        m = SVC(**kw).fit(Xtr, ytr)
        s = time.perf_counter() - t
        put(name, m, Xtr, Xte, [("n_support", int(m.n_support_.sum()))], s)
    pca = PCA(n_components=50, random_state=0).fit(Xtr)
    Ptr, Pte = pca.transform(Xtr), pca.transform(Xte)
    t = time.perf_counter()
    m = SVC().fit(Ptr, ytr)
    s = time.perf_counter() - t
    put("svc_rbf_pca50", m, Ptr, Pte, [("n_support", int(m.n_support_.sum()))], s)

    out = os.path.join(FIX, "logreg_svc_reference.txt")
    with open(out + ".tmp", "w") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(out + ".tmp", out)


if __name__ == "__main__":
    sys.exit(main())
