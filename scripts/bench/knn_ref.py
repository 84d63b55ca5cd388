"""bench stage knn, scikit-learn's side: KNeighborsClassifier(k=5, algorithm="brute")
on Fashion-MNIST, 56,000 training rows, the first 2,000 test rows, same rows as knn.lua."""
# bench: repeats=1
import _bench as B
from sklearn.neighbors import KNeighborsClassifier

d = B.fashion()
Xq, yq = d.Xte[:2000], d.yte[:2000]
knn = KNeighborsClassifier(n_neighbors=5, algorithm="brute").fit(d.Xtr, d.ytr)
pred, s = B.time(lambda: knn.predict(Xq))
B.report("kNN k=5 predict 2k", s, "test accuracy", (pred == yq).mean())
