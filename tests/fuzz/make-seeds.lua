-- Writes the seed corpora of the model-file fuzzers: one small saved model of
-- every estimator class (tests/fuzz/corpus/modelfile/) and networks with every
-- kind of layer and optimiser (tests/fuzz/corpus/nnfile/).  Each file stays
-- small (a few KB: tiny models fitted on a few rows) so that mutations land in
-- the structure rather than in weights.  Run with our own program:
--   build/mnistlab tests/fuzz/make-seeds.lua [corpus folder]
-- The seeds are committed; rerun when a saved format changes.
local dir = arg[1] or "tests/fuzz/corpus"
local est, nn = dir .. "/modelfile/", dir .. "/nnfile/"
os.execute(("mkdir -p '%s' '%s'"):format(est, nn))

-- 36 rows of 6 features in 3 classes: a class-dependent pattern plus noise
-- from a fixed linear congruential generator (the files are reproducible).
local seed = 12345
local function rnd()
  seed = (seed * 1103515245 + 12345) % 2147483648
  return seed / 2147483648
end
local rows, labels = {}, {}
for i = 1, 36 do
  local c = (i - 1) % 3
  local r = {}
  for j = 1, 6 do r[j] = ((j + c) % 3 == 0 and 0.8 or 0.1) + 0.2 * rnd() end
  rows[i], labels[i] = r, c
end
local X, y = ml.tensor(rows), ml.tensor(labels)
local yb = ml.tensor((function() local t = {} for i = 1, 36 do t[i] = labels[i] == 0 and 1 or 0 end return t end)())

local function save(m, name)
  m:save(est .. name .. ".model")
end
save(ml.DecisionTreeClassifier{random_state = 0}:fit(X, y), "tree")
save(ml.DecisionTreeClassifier{criterion = "entropy", max_depth = 2, random_state = 0}:fit(X, y), "tree-entropy")
save(ml.GaussianNB():fit(X, y), "gaussiannb")
save(ml.LogisticRegression{max_iter = 50}:fit(X, y), "logreg")
save(ml.LogisticRegression{max_iter = 50}:fit(X, yb), "logreg-binary")
save(ml.LogisticRegression{penalty = "l1", C = 0.5, max_iter = 500}:fit(X, y), "logreg-l1")
for _, k in ipairs{"linear", "poly", "rbf", "sigmoid"} do
  save(ml.SVC{kernel = k, C = 1}:fit(X, y), "svc-" .. k)
end
save(ml.SVC{kernel = "rbf", decision_function_shape = "ovr"}:fit(X, yb), "svc-binary")
save(ml.KNeighborsClassifier{n_neighbors = 3}:fit(X:rows(1, 12), y:rows(1, 12)), "knn")
save(ml.KNeighborsClassifier{n_neighbors = 2, weights = "distance"}:fit(X:rows(1, 9), y:rows(1, 9)), "knn-distance")
save(ml.PCA{n_components = 2}:fit(X), "pca")
save(ml.PCA{n_components = 3, whiten = true}:fit(X), "pca-whiten")
save(ml.KMeans{n_clusters = 3, n_init = 1, random_state = 0}:fit(X), "kmeans")
save(ml.GaussianMixture{n_components = 2, random_state = 0}:fit(X), "gaussianmixture")
save(ml.Pipeline{{"pca", ml.PCA{n_components = 3}}, {"svc", ml.SVC{kernel = "rbf"}}}:fit(X, y), "pipeline-pca-svc")
save(ml.Pipeline{{"pca", ml.PCA{n_components = 2}}, {"tree", ml.DecisionTreeClassifier{max_depth = 3}}}:fit(X, y),
     "pipeline-pca-tree")
-- GridSearchCV is not a model class: what it saves is its best estimator (a Pipeline above).

-- Networks on 4x4 images (16 inputs), 3 classes.
local Xi = X:rows(1, 24)
local img = {}
for i = 1, 24 do
  local r = {}
  for j = 1, 16 do r[j] = rows[i][(j - 1) % 6 + 1] end
  img[i] = r
end
Xi = ml.tensor(img):reshape{24, 4, 4}
local yi = y:rows(1, 24)
local function fit_save(net, name, opt)
  if opt then
    net:compile{loss = "sparse_categorical_crossentropy", optimizer = opt, metrics = {"accuracy"}}
    net:fit(Xi, yi, {epochs = 1, batch_size = 8, verbose = 0})
  end
  net:save(nn .. name .. ".model")
end
fit_save(ml.Sequential{ml.Input{4, 4}, ml.Flatten(), ml.Dense{5, activation = "relu"},
                       ml.Dense{3, activation = "softmax"}}, "mlp-adam", ml.Adam{learning_rate = 1e-2})
fit_save(ml.Sequential{ml.Input{16}, ml.Dense{4, activation = "tanh", kernel_regularizer = ml.l2(1e-3)},
                       ml.Dropout{0.2}, ml.Dense{3}, ml.Activation{"softmax"}}, "mlp-sgd",
         ml.SGD{learning_rate = 0.1, momentum = 0.9, nesterov = true})
fit_save(ml.Sequential{ml.Input{4, 4, 1}, ml.Conv2D{2, 2, activation = "relu"}, ml.BatchNormalization(),
                       ml.MaxPooling2D{2}, ml.Flatten(), ml.Dropout{0.1}, ml.Dense{3, activation = "softmax"}},
         "cnn-rmsprop", ml.RMSprop{learning_rate = 1e-3})
fit_save(ml.Sequential{ml.Input{4, 4, 1}, ml.Conv2D{2, 3, padding = "same", strides = 2, activation = "sigmoid"},
                       ml.Flatten(), ml.Dense{3, activation = "softmax"}}, "cnn-uncompiled")
fit_save(ml.Sequential{ml.Input{4, 4}, ml.Flatten(), ml.BatchNormalization(), ml.Dense{3}}, "bn-logits")
