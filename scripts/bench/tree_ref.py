#!/usr/bin/python3
"""scikit-learn's side of the tree stage: an unrestricted DecisionTreeClassifier
on Fashion-MNIST (56,000 x 784), then on its PCA-50 projection (continuous
features, where mnistlab bins), on the same rows as scripts/bench/tree.lua."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_common import bench, fashion_split, timed  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402
from sklearn.tree import DecisionTreeClassifier  # noqa: E402

Xtr, Xte, ytr, yte = fashion_split()
tree, s = timed(lambda: DecisionTreeClassifier(random_state=0).fit(Xtr, ytr))
bench("tree fit (unrestricted)", s, "test accuracy", tree.score(Xte, yte))
pca = PCA(n_components=50, random_state=0).fit(Xtr)
Ptr, Pte = pca.transform(Xtr), pca.transform(Xte)
tree, s = timed(lambda: DecisionTreeClassifier(random_state=0).fit(Ptr, ytr))
bench("tree fit on PCA-50", s, "test accuracy", tree.score(Pte, yte))
