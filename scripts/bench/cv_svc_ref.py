"""bench stage cv_svc, scikit-learn's side: GridSearchCV over Pipeline(PCA(50), SVC()) with
kernel in {linear, poly, rbf}, 5 folds (mnistlab's StratifiedKFold folds, read through
_cv_svc_folds.lua), refit on the best; first 10,000 rows of the Fashion-MNIST training split.
Then, as cv_svc.lua, one fold of the lab's search at full size (44,800 rows to fit, 11,200 to
score) per kernel: the lab summary counts it 5 times (measured once per kernel, not extrapolated
in size).  Their sum times 5 stands for the whole 15-fit search at full size, which cv_svc.lua
measures on our side: an extrapolation (the folds differ a little), labelled as such."""
# bench: repeats=1
import os
import subprocess
import sys

import numpy as np
import _bench as B
from sklearn.decomposition import PCA
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.svm import SVC

ROWS = 10000  # _cv_svc_conf.lua


def folds(n):
    tmp = os.environ.get("MNISTLAB_BENCH_TMP", "/tmp")
    name = os.environ.get("MNISTLAB_BENCH_DATA", "fashion")
    path = os.path.join(tmp, "cv-svc-folds-%s-%d.txt" % (name, n))
    prog = os.environ.get("MNISTLAB_BENCH_MNISTLAB", os.path.join(B.ROOT, "build", "mnistlab"))
    env = dict(os.environ, MNISTLAB_BENCH_FOLDS_OUT=path, MNISTLAB_BENCH_FOLDS_ROWS=str(n))
    env["LUA_PATH"] = os.path.join(B.ROOT, "scripts", "bench", "?.lua") + ";;"
    subprocess.run([prog, os.path.join(B.ROOT, "scripts", "bench", "_cv_svc_folds.lua")], check=True, env=env,
                   stdout=subprocess.DEVNULL)
    out = []
    with open(path) as f:
        for line in f:
            te = np.array(line.split(), dtype=np.int64)
            mask = np.ones(n, dtype=bool)
            mask[te] = False
            out.append((np.flatnonzero(mask), te))
    return out


d = B.fashion()
X, y = d.Xtr[:ROWS], d.ytr[:ROWS]
cv = folds(ROWS)
pipe = Pipeline([("pca", PCA(n_components=50)), ("svc", SVC())])
gs, s = B.time(lambda: GridSearchCV(pipe, {"svc__kernel": ["linear", "poly", "rbf"]}, cv=cv).fit(X, y))
B.report("GridSearchCV PCA-50+SVC kernel, 5-fold", s, "best CV accuracy", gs.best_score_)
B.report("GridSearchCV best model, test", 0, "test accuracy", gs.score(d.Xte, d.yte))
sys.stderr.write("cv_svc: best kernel %s\n" % gs.best_params_["svc__kernel"])

# one fold of the lab's search, at full size, per kernel
tr, te = folds(len(d.ytr))[0]
Xa, ya, Xb, yb = d.Xtr[tr], d.ytr[tr], d.Xtr[te], d.ytr[te]
fold_total = 0.0
for k in ("linear", "poly", "rbf"):
    p = Pipeline([("pca", PCA(n_components=50)), ("svc", SVC(kernel=k, C=1.0, gamma="scale"))])
    _, sf = B.time(lambda: p.fit(Xa, ya))
    acc, ss = B.time(lambda: p.score(Xb, yb))
    B.report("cv fold %s: fit 44.8k (lab)" % k, sf, "fold accuracy", acc)
    B.report("cv fold %s: score 11.2k (lab)" % k, ss)
    fold_total += sf + ss
# not measured: the first fold's three fits and scores, times the 5 folds
B.report("full 56k search, 15 fits + scores (reference: 5 x its fold, extrapolated)", 5 * fold_total)
