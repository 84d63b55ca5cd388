-- Writes the bench split's row indices (0-based; line 1 train, line 2 test) to
-- $MNISTLAB_BENCH_SPLIT_OUT, so that the Python reference scripts use exactly
-- the rows the Lua stages use (see _bench.py).
local ml = require "mnistlab"
local B = require "_bench"
local name = os.getenv("MNISTLAB_BENCH_DATA") or "fashion"
local ds = ml.load(name)
local n = ds.y:size(1)
local idx = ml.arange(n)
local tr, te = ml.train_test_split(idx, ds.y, {test_size = B.test_size, seed = B.seed, stratify = true})
local out = assert(io.open(assert(os.getenv("MNISTLAB_BENCH_SPLIT_OUT"), "MNISTLAB_BENCH_SPLIT_OUT unset"), "w"))
for _, t in ipairs{tr, te} do
  local v = t:totable()
  local parts = {}
  for i = 1, #v do parts[i] = string.format("%d", v[i]) end
  out:write(table.concat(parts, " "), "\n")
end
out:close()
