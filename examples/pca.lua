-- PCA on the MNIST digits: how much of the variance k components keep, the
-- images on the first two components, and one image rebuilt from 50 of them.
-- As sklearn.decomposition.PCA: fit, transform, inverse_transform, and fitted
-- attributes such as explained_variance_ratio.
--   build/mnistlab examples/pca.lua
--   LUA_CPATH="build/?.so;;" lua5.4 examples/pca.lua
local ml = require "mnistlab"

-- The 10,000 bundled test digits: X is 10000 x 28 x 28 in [0, 1], y the labels.
local ds = ml.load("mnist", {subset = "test"})
local X = ds.X:flatten()                  -- 10000 x 784: one row per image

-- Keep 50 components (n_components may also be a fraction: 0.95 keeps 95 %).
local pca = ml.PCA{n_components = 50}:fit(X)
local ratio = pca.explained_variance_ratio    -- a Lua array, 1-based
print(("components 1 and 2 explain %.4f and %.4f of the variance"):format(ratio[1], ratio[2]))
print(("50 components explain %.4f of the variance"):format(pca.cumulative_variance_ratio[50]))
print(("95 %% of the variance needs %d components of 784"):format(ml.PCA{n_components = 0.95}:fit(X).n_components_))
ml.plot(pca.cumulative_variance_ratio, {title = "Cumulative explained variance", xlabel = "components",
                                        ylim = {0, 1}, height = 12})

-- Two components are enough for a picture: 1,000 images, coloured by class
-- (without colours, each point is drawn as its class digit).
local pca2 = ml.PCA{n_components = 2}:fit(X)
local P = pca2:transform(X:rows(1, 1000))     -- 1000 x 2
ml.scatter(P, {hue = ds.y:rows(1, 1000), title = "Digits on the first two components",
               xlabel = "component 1", ylabel = "component 2", height = 16})

-- Rebuild the first image from its 50 numbers: transform, then inverse_transform.
local img = X:rows(1, 1)
local back = pca:inverse_transform(pca:transform(img))
local err = ((back - img) * (back - img)):mean()
print(("image 1 (a %d) rebuilt from 50 components: mean squared error %.4f"):format(ds.y[1], err))
local pair = ml.zeros(2, 784)
pair[1], pair[2] = img, back
ml.digits(pair, ml.tensor{0, 1}, {n = 2, cols = 2, classes = {[0] = "original", [1] = "50 components"},
                                  vmin = 0, vmax = 1})
