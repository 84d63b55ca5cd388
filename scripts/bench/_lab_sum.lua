-- The bench's lab summary, printed by scripts/bench/run after its table when
-- the lab stage ran:  mnistlab scripts/bench/_lab_sum.lua ALL.TSV TMPDIR
--
-- Ours: the built-in lab run headless at full size (lab.lua), per `##` section
-- and in all.  The reference: for each step the lab performs, the row of this
-- same bench run that measures the matching scikit-learn or PyTorch work,
-- times the number of times the lab does it (the median of the row's runs).
-- Every count is a count of the same work, measured at the lab's size, except
-- where the "how" column says otherwise.  What no reference row measures
-- (loading, pictures, tables, transforms, cheap predictions, the networks'
-- evaluation after training, sections 1 and 4) counts in our total only: the
-- ratio leans towards the reference.
local tsv, tmp = arg[1], arg[2]
assert(tsv and tmp, "usage: _lab_sum.lua ALL.TSV TMPDIR")

-- ---- the medians of this run: t[side][stage .. "\t" .. step], q[...] quality ----
local runs, qual = {ours = {}, ref = {}}, {ours = {}, ref = {}}
for line in io.lines(tsv) do
  local side, stage, step, s, qn, qv = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)$")
  if side and runs[side] and tonumber(s) then
    local k = stage .. "\t" .. step
    runs[side][k] = runs[side][k] or {}
    table.insert(runs[side][k], tonumber(s))
    if qv ~= "-" then qual[side][k] = qn .. " " .. qv end
  end
end
local function median(v)
  if not v or #v == 0 then return nil end
  table.sort(v)
  local n = #v
  return n % 2 == 1 and v[(n + 1) / 2] or (v[n / 2] + v[n / 2 + 1]) / 2
end
local med = {ours = {}, ref = {}}
for side, rows in pairs(runs) do
  for k, v in pairs(rows) do med[side][k] = median(v) end
end
local function ref(stage, step) return med.ref[stage .. "\t" .. step] end

-- ---- what the lab stage left ----
local facts = {epochs = {}, order = {}}
local ff = io.open(tmp .. "/lab-facts.txt")
if ff then
  for line in ff:lines() do
    local k, a, b = line:match("^([^\t]+)\t([^\t]*)\t?(.*)$")
    if k == "epochs" then
      facts.epochs[a] = tonumber(b)
      facts.order[#facts.order + 1] = a
    elseif k then
      facts[k] = a
    end
  end
  ff:close()
end
local sections, total = {}, nil
for k, s in pairs(med.ours) do
  local stage, step = k:match("^([^\t]*)\t(.*)$")
  if stage == "lab" then
    local name = step:match("^lab: (.*)$")
    if name == "total (every cell)" then total = s
    elseif name then sections[#sections + 1] = {name = name, s = s} end
  end
end
-- in the lab's order: by the number heading each section ("1.", "2", "3.1", ...)
local function secnum(name) return (name:match("^([%d%.]*%d)") or name) end
table.sort(sections, function(a, b)
  local x, y = {}, {}
  for n in secnum(a.name):gmatch("%d+") do x[#x + 1] = tonumber(n) end
  for n in secnum(b.name):gmatch("%d+") do y[#y + 1] = tonumber(n) end
  for i = 1, math.max(#x, #y) do
    if (x[i] or -1) ~= (y[i] or -1) then return (x[i] or -1) < (y[i] or -1) end
  end
  return a.name < b.name
end)

-- ---- the lab's steps and their reference rows ----
-- {section, the lab's step, stage, step, count, how}; how = nil: measured at the lab's size, count = how
-- many times the lab does it.
local MEASURED = "measured as the lab does it"
local steps = {}
local function add(sec, what, stage, step, count, how)
  steps[#steps + 1] = {sec = sec, what = what, stage = stage, step = step, count = count, how = how or MEASURED}
end
-- 2 Unsupervised learning
add("2", "PCA, 2 components (the scatter)", "pca", "pca fit n=2", 1)
add("2", "PCA, 784 components (2.1 Q1; the reconstructions)", "pca", "pca fit n=784", 2)
add("2", "PCA, 80 components", "pca", "pca fit n=80", 1)
add("2", "PCA, 220 components", "pca", "pca fit n=220", 1)
add("2", "PCA, 80/90/95/99 % of the variance (2.1 Q2)", "pca", "pca fit n=0.95", 4,
    "the 95 % fit measured, counted 4 times: every fraction is the same full decomposition in both libraries")
add("2", "PCA, 10 components (reconstruction)", "pca", "pca fit n=10", 1)
add("2", "PCA, 50 components (reconstruction; clustering)", "pca", "pca fit n=50", 2)
add("2", "PCA, 150 components (reconstruction)", "pca", "pca fit n=150", 1)
add("2", "KMeans, 10 clusters, n_init 4, raw pixels", "kmeans", "kmeans k=10 raw n_init=4 (lab)", 1)
add("2", "KMeans, 10 clusters, n_init 4, PCA-50", "kmeans", "kmeans k=10 pca-50 n_init=4 (lab)", 1)
add("2", "Gaussian mixture, diagonal, n_init 2, PCA-50", "kmeans", "gmm diag k=10 pca-50 n_init=2 (lab)", 1)
-- 3.1 Classical supervised learning
add("3.1", "decision tree, raw pixels", "tree", "tree fit (unrestricted)", 1)
add("3.1", "Gaussian naive Bayes, fit", "nb", "GaussianNB fit", 1)
add("3.1", "Gaussian naive Bayes, scores on 56,000 + 14,000 rows", "nb", "GaussianNB predict", 5,
    "predict of the 14,000 test rows measured, x5 for 70,000 rows (linear in rows)")
add("3.1", "logistic regression L2, 100 iterations", "logreg", "LogisticRegression l2 lbfgs 100 it", 1)
for _, it in ipairs{25, 50, 1000} do
  add("3.1", ("logistic regression L2, %d iterations (Q2)"):format(it), "logreg",
      ("LogisticRegression l2 lbfgs %d it (lab)"):format(it), 1)
end
add("3.1", "logistic regression L1, C 0.1", "logreg_l1", "LogisticRegression l1 C=0.1", 1,
    "scikit-learn's saga, stopped after 20 epochs unconverged (the lab's fit runs to its own stopping test): a lower bound")
for _, k in ipairs{"linear", "poly", "rbf"} do
  add("3.1", ("kernel search: %s, 5 folds, fit 44,800 rows"):format(k), "cv_svc", ("cv fold %s: fit 44.8k (lab)"):format(k),
      5, "one fold measured at full size, x5 folds")
  add("3.1", ("kernel search: %s, 5 folds, score 11,200 rows"):format(k), "cv_svc",
      ("cv fold %s: score 11.2k (lab)"):format(k), 5, "one fold measured at full size, x5 folds")
end
local kernel = facts.best_kernel or "rbf"
if kernel == "rbf" then
  add("3.1", "kernel search: refit of the best (rbf) on 56,000 rows", "pca", "pca fit n=50", 1)
  add("3.1", "", "svc", "SVC rbf PCA-50 fit", 1)
  add("3.1", "SVC: scores on 56,000 + 14,000 rows", "svc", "SVC rbf PCA-50 predict", 5,
      "predict of the 14,000 test rows measured, x5 for 70,000 rows (linear in rows)")
  if facts.best_31 and facts.best_31:find("SVC") then
    add("3.1", "the best model's mistakes: SVC predicts the test rows", "svc", "SVC rbf PCA-50 predict", 1)
  end
else
  add("3.1", ("kernel search: refit of the best (%s) on 56,000 rows"):format(kernel), "cv_svc",
      ("cv fold %s: fit 44.8k (lab)"):format(kernel), 1.5625,
      "extrapolated: the 44,800-row fold fit x (56,000 / 44,800)^2")
  add("3.1", "SVC: scores on 56,000 + 14,000 rows", "cv_svc", ("cv fold %s: score 11.2k (lab)"):format(kernel), 6.25,
      "the 11,200-row fold score x 6.25 for 70,000 rows (linear in rows)")
end
add("3.1", "PCA, 66/80/90/95 % of the variance (Q4)", "pca", "pca fit n=0.95", 4,
    "the 95 % fit measured, counted 4 times: the same full decomposition")
for _, v in ipairs{"0.66", "0.80", "0.90", "0.95"} do
  add("3.1", ("tree on PCA %s (Q4)"):format(v), "tree", ("tree fit on PCA %s (lab)"):format(v), 1)
end
-- 3.2 Deep learning: one epoch of each architecture, times the epochs the lab ran
local NETS = {
  ["MLP0"] = "mlp0 784-32-10 1 epoch",
  ["MLP1"] = "mlp1 784-128-10 1 epoch",
  ["MLP2"] = "mlp 784-128x4-10 1 epoch",
  ["MLP3"] = "mlp 784-128x4-10 1 epoch",
  ["MLP3 + early stopping"] = "mlp 784-128x4-10 1 epoch",
  ["MLP3 + dropout"] = "mlp 784-128x4-10 dropout 0.2 1 epoch",
  ["MLP3 + L2"] = "mlp 784-128x4-10 L2 1e-4 1 epoch",
  ["MLP4"] = "mlp 784-128-64-32-10 1 epoch",
  ["MLP5"] = "mlp5 784-128-128-64-10 dropout 0.15 1 epoch",
  ["CNN0"] = "cnn0 1 epoch",
  ["CNN1"] = "cnn1 1 epoch",
}
local unmatched = {}
for _, name in ipairs(facts.order) do
  local e = facts.epochs[name]
  if NETS[name] then
    add("3.2", ("%s, %d epochs"):format(name, e), "nn", NETS[name], e,
        "one epoch measured (training + validation pass), x the epochs the lab ran")
  else
    unmatched[#unmatched + 1] = name
  end
end

-- ---- sums ----
local refsec, reftotal, missing, mapped = {}, 0, {}, {}
for _, s in ipairs(steps) do
  mapped[s.sec] = true
  local r = ref(s.stage, s.step)
  if r then
    s.s = r * s.count
    refsec[s.sec] = (refsec[s.sec] or 0) + s.s
    reftotal = reftotal + s.s
  else
    missing[#missing + 1] = s.stage .. ": " .. s.step
  end
end

local function secs(x)
  if not x then return "-" end
  return x >= 100 and ("%.0f"):format(x) or x >= 10 and ("%.1f"):format(x) or ("%.2f"):format(x)
end
local function ratio(r, o) return (r and o and o > 0) and ("%.1fx"):format(r / o) or "-" end
local function p(...) io.write(string.format(...), "\n") end

p("## The built-in lab, every section, against the matching reference rows of this run")
p("")
p("Ours: `mnistlab run data/notebooks/mnist-lab.md --dataset %s --times` (the lab's own split and epochs;",
  facts.dataset or "fashion")
p("the seconds of its cells, per `##` section, with everything they draw and print). Reference: for each step")
p("the lab performs, the scikit-learn / PyTorch row of the table above that measures it, times the number of")
p("times the lab does it (below). PyTorch rows are the faster of 1 and 2 threads.")
if tonumber(facts.failed_cells or "0") > 0 then
  p("")
  p("**%s cell(s) of the lab failed in this run: its times are not the whole lab.**", facts.failed_cells)
end
p("")
p("| section | ours s | reference s | reference / ours |")
p("|---|---:|---:|---:|")
for _, sec in ipairs(sections) do
  local r = refsec[secnum(sec.name)]
  local none = mapped[secnum(sec.name)] and "missing" or "- (nothing to match)"
  p("| %s | %s | %s | %s |", sec.name, secs(sec.s), r and secs(r) or none, ratio(r, sec.s))
end
p("| **the whole lab** | **%s** | **%s** | **%s** |", secs(total), secs(reftotal), ratio(reftotal, total))
p("")
if #missing > 0 then
  p("**Incomplete: %d reference row(s) missing from this run (stopped, failed or not run), counted as 0, so the",
    #missing)
  p("ratio is a lower bound:** %s.", table.concat(missing, "; "))
  p("")
end
if #unmatched > 0 then
  p("Networks of the lab with no reference row (counted in ours only): %s.", table.concat(unmatched, ", "))
  p("")
end
if total and total > 0 then
  local r = reftotal / total
  p("Issue 8's goal, the lab at least 5x below the reference sum: %s (%.1fx).", r >= 5 and "reached" or "NOT reached", r)
  p("")
end
p("The reference sum, step by step (seconds: the median of the row in this run, times x):")
p("")
p("| section | the lab's step | reference row (stage: step) | x | seconds | how |")
p("|---|---|---|---:|---:|---|")
for _, s in ipairs(steps) do
  local x = math.type(s.count) == "integer" and tostring(s.count) or ("%.4g"):format(s.count)
  p("| %s | %s | %s: %s | %s | %s | %s |", s.sec, s.what, s.stage, s.step, x, s.s and secs(s.s) or "missing", s.how)
end
p("| | **sum** | | | **%s** | |", secs(reftotal))
p("")
p("Not on the reference side (they count in ours only): loading the data, pictures and tables, PCA")
p("transforms and reconstructions, KMeans' prediction of the test rows, the tree's and the logistic")
p("regressions' scores, the networks' evaluation after training (train, validation and test rows),")
p("sections 1 and 4.")
-- PyTorch with 1 and 2 threads, side by side
local rows = {}
for k, s1 in pairs(med.ref) do
  local stage, step = k:match("^([^\t]*)\t(.*) %[torch 1 thread%]$")
  if stage then
    local s2 = med.ref[stage .. "\t" .. step .. " [torch 2 threads]"]
    local q2 = qual.ref[stage .. "\t" .. step .. " [torch 2 threads]"] or ""
    rows[#rows + 1] = {step, s1, s2, q2:find("^stopped") and true or false}
  end
end
if #rows > 0 then
  table.sort(rows, function(a, b) return a[1] < b[1] end)
  p("")
  p("PyTorch, one epoch, 1 thread against 2 (the faster is the reference; a 2-thread epoch is stopped once it")
  p("has taken longer than the 1-thread one: then its seconds are a lower bound):")
  p("")
  p("| network | 1 thread s | 2 threads s | used |")
  p("|---|---:|---:|---|")
  for _, r in ipairs(rows) do
    local two = r[3] and ((r[4] and "> " or "") .. secs(r[3])) or "-"
    local used = (r[4] or not r[3] or r[2] <= r[3]) and "1 thread" or "2 threads"
    p("| %s | %s | %s | %s |", r[1], secs(r[2]), two, used)
  end
end
