#!/usr/bin/python3
"""Record scikit-learn's accuracies on the bundled 10,000 digits for the
supervised tests (tests/lua/supervised_spec.lua, tests/c/test_*.c).

The split is ours: scripts/supervised_split.lua writes the 0-based row
indices of mnistlab's 80/20 split (seed 0) to split_train.txt and
split_test.txt, and this script fits scikit-learn on exactly those rows.
Run from the source tree:  /usr/bin/python3 scripts/supervised_ref.py
Writes tests/fixtures/supervised/reference.txt: "<model> <train acc> <test acc>".
"""
import gzip
import os
import sys

import numpy as np
import sklearn
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.tree import DecisionTreeClassifier

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "tests", "fixtures", "supervised")


def idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def main():
    X = idx(os.path.join(ROOT, "data/mnist/t10k-images-idx3-ubyte.gz")).reshape(10000, -1)
    X = (X.astype(np.float32) / np.float32(255))
    y = idx(os.path.join(ROOT, "data/mnist/t10k-labels-idx1-ubyte.gz")).astype(np.int64)
    tr = np.loadtxt(os.path.join(FIX, "split_train.txt"), dtype=np.int64)
    te = np.loadtxt(os.path.join(FIX, "split_test.txt"), dtype=np.int64)
    Xtr, Xte, ytr, yte = X[tr], X[te], y[tr], y[te]
    models = [
        ("tree_gini", DecisionTreeClassifier(random_state=0)),
        ("tree_entropy", DecisionTreeClassifier(criterion="entropy", random_state=0)),
        ("tree_depth8", DecisionTreeClassifier(max_depth=8, random_state=0)),
        ("gaussian_nb", GaussianNB()),
        ("knn3", KNeighborsClassifier(n_neighbors=3)),
        ("knn5_distance", KNeighborsClassifier(n_neighbors=5, weights="distance")),
    ]
    lines = ["# scikit-learn %s on data/mnist, rows of split_train.txt / split_test.txt" % sklearn.__version__,
             "# model train_accuracy test_accuracy"]
    for name, m in models:
        m.fit(Xtr, ytr)
        a, b = m.score(Xtr, ytr), m.score(Xte, yte)
        extra = ""
        if name.startswith("tree"):
            extra = " depth=%d leaves=%d" % (m.get_depth(), m.get_n_leaves())
        lines.append("%s %.4f %.4f%s" % (name, a, b, extra))
        print(lines[-1], file=sys.stderr)
    with open(os.path.join(FIX, "reference.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
