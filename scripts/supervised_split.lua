-- Writes the 0-based row indices of mnistlab's 80/20 split (seed 0) of a
-- dataset, so that scikit-learn reference scripts fit on exactly our rows.
--   build/mnistlab scripts/supervised_split.lua          (bundled digits ->
--       tests/fixtures/supervised/split_{train,test}.txt)
--   SPLIT_DATASET=fashion SPLIT_DIR=build/bench lua5.4 scripts/supervised_split.lua
-- (arguments 1 and 2, when the host passes them, are the dataset and the folder).
local ml = require "mnistlab"
local args = rawget(_G, "arg") or {}
local name = args[1] or os.getenv("SPLIT_DATASET") or "mnist"
local dir = args[2] or os.getenv("SPLIT_DIR") or "tests/fixtures/supervised"
local ds = ml.load(name)
local n = ds.X:shape()
local rows = ml.arange(n):reshape{n, 1}
local tr, te = ml.train_test_split(rows, ds.y, {test_size = 0.2, seed = 0})
for part, t in pairs{train = tr, test = te} do
  local f = assert(io.open(dir .. "/split_" .. part .. ".txt", "w"))
  local buf = {}
  for i = 1, t:shape() do buf[#buf + 1] = string.format("%d", math.floor(t[i][1])) end
  f:write(table.concat(buf, "\n"), "\n")
  f:close()
end
