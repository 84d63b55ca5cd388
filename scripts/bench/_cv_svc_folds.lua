-- Writes the folds of the cv_svc stage (StratifiedKFold, 5 folds, shuffled,
-- seed 0, over the first CV_ROWS training rows of the bench split, or over
-- MNISTLAB_BENCH_FOLDS_ROWS of them: 0 for all) to $MNISTLAB_BENCH_FOLDS_OUT,
-- one line of 0-based test rows per fold, so that cv_svc_ref.py runs
-- GridSearchCV (and the full-size fold fits) on exactly our folds.
local ml = require "mnistlab"
local B = require "_bench"
local C = require "_cv_svc_conf"
local d = B.fashion()
local rows = tonumber(os.getenv("MNISTLAB_BENCH_FOLDS_ROWS") or "") or C.rows
if rows <= 0 then rows = d.ytr:size(1) end
local y = d.ytr:rows(1, rows)
local folds = ml.StratifiedKFold{n_splits = 5, shuffle = true, seed = 0}:split(rows, y)
local out = assert(io.open(assert(os.getenv("MNISTLAB_BENCH_FOLDS_OUT"), "MNISTLAB_BENCH_FOLDS_OUT unset"), "w"))
for _, f in ipairs(folds) do
  local parts = {}
  for i, r in ipairs(f.test) do parts[i] = string.format("%d", r - 1) end
  out:write(table.concat(parts, " "), "\n")
end
out:close()
