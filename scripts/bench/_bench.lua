-- Shared helpers for the Lua side of `make bench` stages (scripts/bench/<stage>.lua).
--   local B = require "_bench"          (scripts/bench is on LUA_PATH when the driver runs a stage)
--   local d = B.fashion()               -- {Xtr, ytr, Xte, yte}: Fashion-MNIST, 80/20 stratified, seed 0
--   local model, s = B.time(function() return ml.PCA{n_components = 0.95}:fit(d.Xtr) end)
--   B.report("pca fit n=0.95", s, "n_components", model.n_components_)
-- A stage prints one line per measured step on stdout:
--   BENCH<TAB><step><TAB><seconds><TAB><quality name><TAB><quality value>
-- and the driver pairs it with the reference script's line of the same step name.
local ml = require "mnistlab"
local B = {}

B.seed = 0
B.test_size = 0.2

-- The dataset every stage uses: full MNIST (70,000) when installed and
-- MNISTLAB_BENCH_DATA=mnist, else Fashion-MNIST (70,000); 80/20, stratified, seed 0.
function B.fashion()
  local name = os.getenv("MNISTLAB_BENCH_DATA") or "fashion"
  local ds = ml.load(name)
  local Xtr, Xte, ytr, yte = ml.train_test_split(ds.X, ds.y,
    {test_size = B.test_size, seed = B.seed, stratify = true})
  return {Xtr = Xtr, Xte = Xte, ytr = ytr, yte = yte, name = name}
end

-- Wall-clock seconds of fn(); returns fn's results, then the seconds.
function B.time(fn, ...)
  collectgarbage()
  local t0 = ml.now()
  local r = table.pack(fn(...))
  local s = ml.now() - t0
  r[r.n + 1] = s
  return table.unpack(r, 1, r.n + 1)
end

local function fmt(v)
  if v == nil then return "-" end
  if math.type(v) == "integer" then return tostring(v) end
  if type(v) == "number" then
    if v == math.floor(v) and math.abs(v) < 1e15 then return string.format("%d", v) end
    return string.format("%.6g", v)
  end
  return tostring(v)
end

function B.report(step, seconds, qname, qvalue)
  io.write(string.format("BENCH\t%s\t%.6f\t%s\t%s\n", step, seconds, qname or "-", fmt(qvalue)))
  io.flush()
end

return B
