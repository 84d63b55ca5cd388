-- bench stage: the lab's kernel search.  GridSearchCV over a Pipeline (PCA-50,
-- then SVC) with kernel in {linear, poly, rbf}, 5 stratified folds (shuffled,
-- seed 0), refit on the best; on the first 10,000 rows of the Fashion-MNIST
-- training split (_cv_svc_conf.lua says why).  Quality: the best mean CV
-- accuracy, then the refitted model's test accuracy.  Pair: cv_svc_ref.py,
-- which uses exactly these folds (_cv_svc_folds.lua).
-- bench: repeats=1
-- bench: weight=2
local ml = require "mnistlab"
local B = require "_bench"
local C = require "_cv_svc_conf"
local d = B.fashion()
local X, y = d.Xtr:rows(1, C.rows), d.ytr:rows(1, C.rows)

local kf = ml.StratifiedKFold{n_splits = 5, shuffle = true, seed = 0}
local pipe = ml.Pipeline{{"pca", ml.PCA{n_components = 50}}, {"svc", ml.SVC{}}}
local gs, s = B.time(function()
  return ml.GridSearchCV(pipe, {svc__kernel = {"linear", "poly", "rbf"}}, {cv = kf}):fit(X, y)
end)
B.report("GridSearchCV PCA-50+SVC kernel, 5-fold", s, "best CV accuracy", gs.best_score)
B.report("GridSearchCV best model, test", 0, "test accuracy", gs:score(d.Xte, d.yte))
io.stderr:write(string.format("cv_svc: best kernel %s\n%s\n", gs.best_params.svc__kernel, gs:results()))
