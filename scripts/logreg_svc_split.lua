-- Writes the 0-based row indices of mnistlab's stratified 80/20 split (seed 0)
-- of the bundled 10,000 digits to tests/fixtures/supervised/logreg_svc_split.txt
-- (line 1 train, line 2 test), so that scripts/logreg_svc_ref.py fits
-- scikit-learn on exactly the rows tests/lua/logreg_svc_spec.lua uses.
--   LUA_CPATH="build/?.so;;" lua5.4 scripts/logreg_svc_split.lua [out]
local ml = require "mnistlab"
local args = rawget(_G, "arg") or {}
local out = args[1] or "tests/fixtures/supervised/logreg_svc_split.txt"
local ds = ml.load("mnist")
local n = ds.y:size(1)
local tr, te = ml.train_test_split(ml.arange(n), ds.y, {test_size = 0.2, seed = 0, stratify = true})
local f = assert(io.open(out, "w"))
for _, t in ipairs{tr, te} do
  local v, parts = t:totable(), {}
  for i = 1, #v do parts[i] = string.format("%d", v[i]) end
  f:write(table.concat(parts, " "), "\n")
end
f:close()
