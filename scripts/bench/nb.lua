-- bench stage: GaussianNB on Fashion-MNIST (56,000 x 784): fit, then predict
-- the 14,000 test rows.  Pair: nb_ref.py.
local ml = require "mnistlab"
local B = require "_bench"
local d = B.fashion()

local nb, s = B.time(function() return ml.GaussianNB():fit(d.Xtr, d.ytr) end)
B.report("GaussianNB fit", s, "train accuracy", nb:score(d.Xtr, d.ytr))
local pred, sp = B.time(function() return nb:predict(d.Xte) end)
B.report("GaussianNB predict", sp, "test accuracy", ml.accuracy_score(d.yte, pred))
local _, sb = B.time(function() return ml.GaussianNB():fit(d.Xtr, d.ytr):predict(d.Xte) end)
B.report("GaussianNB fit + predict", sb, "-", nil)
