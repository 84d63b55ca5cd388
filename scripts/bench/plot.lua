-- bench stage: rendering charts as text at 120x40 (braille canvas).
-- Steps: a 10,000-point line chart; the 56,000-point scatter of the
-- 2-component PCA projection of the Fashion-MNIST training rows, coloured by
-- label.  The issue's criterion: that scatter costs under 5 % of the PCA fit
-- that produced it, measured here in the same run (quality column: the ratio).
-- Render times are the mean of several renders (each is milliseconds).
local ml = require "mnistlab"
local B = require "_bench"
local d = B.fashion()

local W, H = 120, 40
local function render_mean(reps, fn)
  local _, s = B.time(function()
    for _ = 1, reps do fn() end
    return true
  end)
  return s / reps
end

-- a 10,000-point line: a noisy decaying curve
local y = {}
for i = 1, 10000 do
  y[i] = math.exp(-i / 2500) + 0.05 * math.sin(i / 7)
end
local yt = ml.tensor(y)
local line_s = render_mean(10, function()
  return ml.plot(yt, {width = W, height = H, canvas = "braille", color = true, show = false,
                      title = "10,000 points"})
end)
B.report("plot line 10k 120x40", line_s, "-", nil)

-- the PCA projection the scatter shows, and its fit time
local pca, fit_s = B.time(function() return ml.PCA{n_components = 2}:fit(d.Xtr) end)
local P = pca:transform(d.Xtr)
assert(P:size(1) == 56000 and P:size(2) == 2, "expected a 56000 x 2 projection")
local scatter_s = render_mean(5, function()
  return ml.scatter(P, {hue = d.ytr, width = W, height = H, canvas = "braille", color = true, show = false,
                        title = "PCA projection", xlabel = "PC1", ylabel = "PC2"})
end)
B.report("pca fit n=2 (for the scatter)", fit_s, "-", nil)
B.report("plot scatter 56k 120x40", scatter_s, "fraction of pca fit", scatter_s / fit_s)
