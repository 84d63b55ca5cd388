"""Shared by the supervised bench references (tree_ref.py, nb_ref.py, knn_ref.py):
Fashion-MNIST as mnistlab loads it, split on exactly mnistlab's rows.

mnistlab's 80/20 split (seed 0) uses its own generator, so the row indices
are exported once by scripts/supervised_split.lua into build/bench/ and
read here; both sides then fit and score the same rows."""
import gzip
import os
import subprocess
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FASHION = os.environ.get("MNISTLAB_FASHION", "/usr/share/datasets/fashion-mnist")


def _idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def _split_indices():
    d = os.path.join(ROOT, "build", "bench")
    tr, te = os.path.join(d, "split_train.txt"), os.path.join(d, "split_test.txt")
    if not (os.path.exists(tr) and os.path.exists(te)):
        os.makedirs(d, exist_ok=True)
        env = dict(os.environ, SPLIT_DATASET="fashion", SPLIT_DIR=d,
                   LUA_CPATH=os.path.join(ROOT, "build", "?.so") + ";;")
        subprocess.run(["lua5.4", os.path.join(ROOT, "scripts", "supervised_split.lua")], check=True, env=env,
                       cwd=ROOT)
    return np.loadtxt(tr, dtype=np.int64), np.loadtxt(te, dtype=np.int64)


def fashion_split():
    """Xtr, Xte, ytr, yte: float32 in [0, 1], 784 features, mnistlab's rows (train then t10k, as ml.load)."""
    X = np.concatenate([_idx(os.path.join(FASHION, "train-images-idx3-ubyte.gz")),
                        _idx(os.path.join(FASHION, "t10k-images-idx3-ubyte.gz"))]).reshape(70000, -1)
    y = np.concatenate([_idx(os.path.join(FASHION, "train-labels-idx1-ubyte.gz")),
                        _idx(os.path.join(FASHION, "t10k-labels-idx1-ubyte.gz"))]).astype(np.int64)
    X = X.astype(np.float32) / np.float32(255)
    tr, te = _split_indices()
    return X[tr], X[te], y[tr], y[te]


def bench(step, seconds, quality_name="-", quality="-"):
    q = quality if isinstance(quality, str) else "%.4f" % quality
    print("BENCH\t%s\t%.4f\t%s\t%s" % (step, seconds, quality_name, q), flush=True)


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0
