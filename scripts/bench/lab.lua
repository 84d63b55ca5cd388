-- bench stage "lab": the whole built-in lab, every section, headless, on the
-- bench's data at full size (Fashion-MNIST: 70,000 images, the lab's own 80/20
-- split and its epochs), exactly as a student would run it:
--   mnistlab run data/notebooks/mnist-lab.md --dataset fashion --times --out REPORT
-- One row per `##` section (the seconds of its cells, from --times) and one for
-- the whole run (the sum of every cell: what the lab computes, draws and
-- prints; not the program's start).  No reference script: after the table the
-- driver adds up the reference rows of the other stages that match what the
-- lab does (scripts/bench/_lab_sum.lua) and prints the ratio.  This stage
-- leaves in $MNISTLAB_BENCH_TMP the times (lab-times.txt), the report
-- (lab-report.md) and what the summary needs from it (lab-facts.txt: the
-- epochs each network ran, the kernel the search chose, failed cells).
-- MNISTLAB_BENCH_LAB=NOTEBOOK runs another notebook instead (tests).
-- The lab takes about 10 minutes on 2 idle cores, 25 to 40 on a loaded
-- machine: it gets 40 minutes of its own, outside the shared budget.
-- bench: repeats=1
-- bench: order=95
-- bench: fixed=2400
local B = require "_bench"

local tmp = os.getenv("MNISTLAB_BENCH_TMP") or "/tmp"
local prog = os.getenv("MNISTLAB_BENCH_MNISTLAB") or "build/mnistlab"
local data = os.getenv("MNISTLAB_BENCH_DATA") or "fashion"
local lab = os.getenv("MNISTLAB_BENCH_LAB") or "data/notebooks/mnist-lab.md"
local times, report, facts = tmp .. "/lab-times.txt", tmp .. "/lab-report.md", tmp .. "/lab-facts.txt"

local function q(s) return "'" .. s:gsub("'", "'\\''") .. "'" end
-- stderr read as it comes: each section's row is out as soon as the section
-- ends, so a run stopped by the driver keeps the sections it finished
local cmd = ("%s run %s --dataset %s --times --out %s 2>&1 > /dev/null"):format(q(prog), q(lab), q(data), q(report))
io.stderr:write("lab: " .. cmd .. "\n")
local pipe = assert(io.popen(cmd))
local tf = assert(io.open(times, "w"))
local failed, total = {}, nil
for line in pipe:lines() do
  tf:write(line, "\n")
  tf:flush()
  local sec, s, n = line:match("^time: section (.-): ([%d.]+) s %((%d+) cells?%)$")
  if sec then B.report("lab: " .. sec, tonumber(s), "cells", tonumber(n)) end
  if line:find("^mnistlab: .*: cell %d+ %(line %d+%) ") then failed[#failed + 1] = line end
  total = line:match("^time: total: ([%d.]+) s") or total
end
tf:close()
local ok, how, status = pipe:close()
if not ok then
  io.stderr:write(("lab: the run ended with %s %s\n"):format(how, tostring(status)))
  for _, l in ipairs(failed) do io.stderr:write("  " .. l .. "\n") end
end
if total then B.report("lab: total (every cell)", tonumber(total), "failed cells", #failed) end

-- what the summary needs from the report: each network's epochs (the epoch
-- lines fit printed before the lab's "NAME: accuracy on its training rows"),
-- the kernel the search chose, the best model of 3.1
local out = {}
local rf = io.open(report)
if rf then
  local epochs, fence = 0, nil -- fence: inside a cell's output, its opening fence
  for line in rf:lines() do
    if not fence then
      fence = line:match("^(```+)%s*output") or line:match("^(~~~+)%s*output")
      goto next
    end
    if line:match("^[`~]+%s*$") and #line:match("^([`~]+)") >= #fence then
      fence = nil
      goto next
    end
    if line:find("^Epoch%s+%d+/%d+") then epochs = epochs + 1 end
    local name = line:match("^(.-): accuracy on its training rows")
    if name then
      out[#out + 1] = ("epochs\t%s\t%d"):format(name, epochs)
      epochs = 0
    end
    local k = line:match("^best kernel: (%a+)")
    if k then out[#out + 1] = "best_kernel\t" .. k end
    local m = line:match("^best model on the test set: (.-) %(")
    if m then out[#out + 1] = "best_31\t" .. m end
    ::next::
  end
  rf:close()
end
out[#out + 1] = ("failed_cells\t%d"):format(#failed)
out[#out + 1] = "dataset\t" .. data
local ff = assert(io.open(facts, "w"))
ff:write(table.concat(out, "\n"), "\n")
ff:close()
