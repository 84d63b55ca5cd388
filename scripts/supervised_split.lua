-- Writes the row indices (0-based) of the 80/20 split, seed 0, of the bundled
-- 10,000 digits, so that scripts/supervised_ref.py fits scikit-learn on
-- exactly our training rows.  Run: build/mnistlab scripts/supervised_split.lua
-- (or LUA_CPATH="build/?.so;;" lua5.4 scripts/supervised_split.lua).
local ml = require "mnistlab"
local ds = ml.load("mnist")
local n = ds.X:shape()
local rows = ml.arange(n):reshape{n, 1}
local tr, te = ml.train_test_split(rows, ds.y, {test_size = 0.2, seed = 0})
local dir = arg and arg[1] or "tests/fixtures/supervised"
for name, t in pairs{train = tr, test = te} do
  local f = assert(io.open(dir .. "/split_" .. name .. ".txt", "w"))
  local m = t:shape()
  for i = 1, m do f:write(string.format("%d\n", math.floor(t[i][1]))) end
  f:close()
end
