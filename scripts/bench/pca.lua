-- bench: order=10
-- bench: weight=2
-- bench stage: PCA on Fashion-MNIST (56,000 x 784 after the 80/20 split).
-- Steps: n_components = 0.95 (every eigenpair, then the smallest k reaching 95 %),
-- n_components = 50 (top-50 eigenpairs only), and transforming the test rows;
-- then every other size the built-in lab fits (2, 10, 80, 150, 220, 784
-- components; the lab's fractions 0.66 to 0.99 cost what 0.95 costs: the
-- whole spectrum in both libraries), for the bench's lab summary.
local ml = require "mnistlab"
local B = require "_bench"
local d = B.fashion()

local p95, s = B.time(function() return ml.PCA{n_components = 0.95}:fit(d.Xtr) end)
B.report("pca fit n=0.95", s, "n_components", p95.n_components_)

local p50, s50 = B.time(function() return ml.PCA{n_components = 50}:fit(d.Xtr) end)
local r = p50.cumulative_variance_ratio
B.report("pca fit n=50", s50, "explained variance", r[50])

local _, st = B.time(function() return p50:transform(d.Xte) end)
B.report("pca transform 14k", st, "-", nil)

for _, k in ipairs{2, 10, 80, 150, 220, 784} do
  local p, sk = B.time(function() return ml.PCA{n_components = k}:fit(d.Xtr) end)
  B.report(("pca fit n=%d"):format(k), sk, "explained variance", p.cumulative_variance_ratio[k])
end
