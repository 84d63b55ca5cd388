"""Shared helpers for the reference side of `make bench` stages (scripts/bench/<stage>_ref.py).

    import _bench as B                   (the driver puts scripts/bench on PYTHONPATH)
    d = B.fashion()                      # same rows as the Lua side: Xtr, ytr, Xte, yte (float32, [0, 1])
    model, s = B.time(lambda: PCA(n_components=0.95).fit(d.Xtr))
    B.report("pca fit n=0.95", s, "n_components", model.n_components_)

The 80/20 split is mnistlab's own (stratified, seed 0): the row indices come
from build/mnistlab (scripts/bench/_split.lua), so both sides see the same data.
"""
import gzip
import os
import subprocess
import sys
import time as _time
import types

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_CACHE = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
DIRS = {  # where mnistlab's loader looks, in its order
    "fashion": [os.environ.get("MNISTLAB_FASHION", "/usr/share/datasets/fashion-mnist")],
    "mnist": [d for d in (os.environ.get("MNISTLAB_DATA"), os.path.join(_CACHE, "mnistlab", "mnist"),
                          os.path.join(ROOT, "data", "mnist")) if d],
}


def _idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def _find(name, stem):
    for d in DIRS.get(name, [name]):
        for ext in (".gz", ""):
            p = os.path.join(d, stem + ext)
            if os.path.exists(p):
                return p
    return None


def _load(name):
    X, y = [], []
    for part in ("train", "t10k"):
        xi, yi = _find(name, part + "-images-idx3-ubyte"), _find(name, part + "-labels-idx1-ubyte")
        if xi and yi:
            X.append(_idx(xi))
            y.append(_idx(yi))
    return np.concatenate(X), np.concatenate(y)


def _split_indices(n):
    tmp = os.environ.get("MNISTLAB_BENCH_TMP", "/tmp")
    name = os.environ.get("MNISTLAB_BENCH_DATA", "fashion")
    path = os.path.join(tmp, "split-%s-%d.txt" % (name, n))
    if not os.path.exists(path):
        prog = os.environ.get("MNISTLAB_BENCH_MNISTLAB", os.path.join(ROOT, "build", "mnistlab"))
        env = dict(os.environ, MNISTLAB_BENCH_SPLIT_OUT=path)
        subprocess.run([prog, os.path.join(ROOT, "scripts", "bench", "_split.lua")], check=True, env=env,
                       stdout=subprocess.DEVNULL)
    with open(path) as f:
        tr = np.array(f.readline().split(), dtype=np.int64)
        te = np.array(f.readline().split(), dtype=np.int64)
    return tr, te


def fashion():
    name = os.environ.get("MNISTLAB_BENCH_DATA", "fashion")
    X8, y = _load(name)
    X = X8.reshape(len(X8), -1).astype(np.float32) / np.float32(255)
    tr, te = _split_indices(len(X))
    return types.SimpleNamespace(Xtr=X[tr], Xte=X[te], ytr=y[tr].astype(np.int64), yte=y[te].astype(np.int64),
                                 name=name)


def time_it(fn):
    t0 = _time.perf_counter()
    r = fn()
    return r, _time.perf_counter() - t0


time = time_it  # B.time(fn) -> (result, seconds)


def _fmt(v):
    if v is None:
        return "-"
    if isinstance(v, (int, np.integer)) or (isinstance(v, float) and v.is_integer() and abs(v) < 1e15):
        return "%d" % v
    if isinstance(v, (float, np.floating)):
        return "%.6g" % v
    return str(v)


def report(step, seconds, qname="-", qvalue=None):
    sys.stdout.write("BENCH\t%s\t%.6f\t%s\t%s\n" % (step, seconds, qname or "-", _fmt(qvalue)))
    sys.stdout.flush()
