-- bench stage: SVC (rbf, C = 1, gamma = "scale") on the PCA-50 projection of
-- Fashion-MNIST (56,000 training rows): fit, then predict the 14,000 test rows.
-- The PCA is fitted outside the timed steps.  Pair: svc_ref.py.
-- bench: repeats=1
-- bench: order=80
-- bench: weight=3
local ml = require "mnistlab"
local B = require "_bench"
local d = B.fashion()

local pca = ml.PCA{n_components = 50}:fit(d.Xtr)
local Ptr, Pte = pca:transform(d.Xtr), pca:transform(d.Xte)
local svc, s = B.time(function() return ml.SVC{kernel = "rbf", C = 1.0}:fit(Ptr, d.ytr) end)
local pred, sp = B.time(function() return svc:predict(Pte) end)
B.report("SVC rbf PCA-50 fit", s, "test accuracy", ml.accuracy_score(d.yte, pred))
B.report("SVC rbf PCA-50 predict", sp, "-", nil)
io.stderr:write(string.format("svc: %d support vectors\n", svc.support_vectors:shape()))
