-- The cv_svc stage's size, shared by cv_svc.lua and _cv_svc_folds.lua (keep
-- cv_svc_ref.py's ROWS equal): scikit-learn's GridSearchCV over 15 SVC fits on
-- all 56,000 rows would take most of an hour, so the search runs on the first
-- 10,000 rows of the (shuffled, stratified) training split.
return {rows = 10000}
