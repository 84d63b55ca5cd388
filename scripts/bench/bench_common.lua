-- Shared by the supervised bench stages (tree.lua, nb.lua, knn.lua):
-- Fashion-MNIST, mnistlab's 80/20 split (seed 0), a wall clock and the
-- BENCH line format of scripts/bench.
local ml = require "mnistlab"
local M = {}

function M.fashion()
  local ds = ml.load("fashion")
  local Xtr, Xte, ytr, yte = ml.train_test_split(ds.X, ds.y, {test_size = 0.2, seed = 0})
  return Xtr, Xte, ytr, yte
end

local function now()
  if ml.clock then return ml.clock() end
  local f = io.popen("date +%s.%N")
  local s = f:read("n")
  f:close()
  return s
end

-- seconds, results... of fn()
function M.timed(fn)
  local t0 = now()
  local r = table.pack(fn())
  return now() - t0, table.unpack(r, 1, r.n)
end

function M.bench(step, seconds, qname, q)
  io.write(string.format("BENCH\t%s\t%.4f\t%s\t%s\n", step, seconds, qname or "-",
                         q and string.format("%.4f", q) or "-"))
  io.flush()
end

return M
