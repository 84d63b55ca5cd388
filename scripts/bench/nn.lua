-- make bench stage "nn": one epoch of each network the built-in lab trains, on
-- Fashion-MNIST (80/20 split, validation_split 0.2 -> 44,800 training rows,
-- Adam 1e-3, batch 32), timed as fit does it (training + the validation pass),
-- then the test accuracy.  The reference is scripts/bench/nn_ref.py (PyTorch,
-- 1 and 2 threads).  The lab's networks (section 3.2), one row per distinct
-- architecture:
--   mlp0                       MLP0, 784-32-10 (10 epochs in the lab)
--   mlp1 784-128-10            MLP1 (10)
--   mlp 784-128x4-10           MLP2 (10), MLP3 (30), MLP3 + early stopping (up to 30)
--   mlp 784-128x4-10 dropout   MLP3 + dropout 0.2 (30)
--   mlp 784-128x4-10 L2        MLP3 + L2 1e-4 (30)
--   mlp 784-128-64-32-10       MLP4 (10); the issue's MLP criterion
--   mlp5                       MLP5, 784-128-128-64-10, dropout 0.15 (10)
--   cnn0                       CNN0, conv64-pool-dense64 (15)
--   cnn1                       CNN1, conv32-pool-conv64-pool-conv32-dense64-dropout 0.1 (15); the issue's CNN criterion
-- MNISTLAB_BENCH_NN=mlp (the issue's MLP only), cnn (CNN1 only) or lab (the others).
-- bench: repeats=2
-- bench: limit=1500
-- bench: weight=7
local ml = require "mnistlab"
local B = require "_bench"
local d = B.fashion()

local function run(step, layers)
  local net = ml.Sequential(layers)
  net:compile{loss = "sparse_categorical_crossentropy", optimizer = ml.Adam{learning_rate = 1e-3},
              metrics = {"accuracy"}}
  local _, s = B.time(function()
    return net:fit(d.Xtr, d.ytr, {epochs = 1, batch_size = 32, validation_split = 0.2, seed = 0, verbose = 0})
  end)
  local _, acc = net:evaluate(d.Xte, d.yte)
  B.report(step, s, "test accuracy", acc)
end

-- Dense layers as the lab's hidden(): relu, an optional L2 on the kernel, an
-- optional dropout after each hidden layer.
local function mlp(sizes, opts)
  opts = opts or {}
  local layers = {ml.Input{28, 28}, ml.Flatten()}
  for _, n in ipairs(sizes) do
    layers[#layers + 1] = ml.Dense{n, activation = "relu", kernel_regularizer = opts.l2 and ml.l2(opts.l2)}
    if opts.dropout then layers[#layers + 1] = ml.Dropout{opts.dropout} end
  end
  layers[#layers + 1] = ml.Dense{10, activation = "softmax"}
  return layers
end

local only = os.getenv("MNISTLAB_BENCH_NN")
local function want(what) return not only or only == what end
if want("lab") then
  run("mlp0 784-32-10 1 epoch", mlp{32})
  run("mlp1 784-128-10 1 epoch", mlp{128})
  run("mlp 784-128x4-10 1 epoch", mlp{128, 128, 128, 128})
  run("mlp 784-128x4-10 dropout 0.2 1 epoch", mlp({128, 128, 128, 128}, {dropout = 0.2}))
  run("mlp 784-128x4-10 L2 1e-4 1 epoch", mlp({128, 128, 128, 128}, {l2 = 1e-4}))
end
if want("mlp") then
  run("mlp 784-128-64-32-10 1 epoch", mlp{128, 64, 32})
end
if want("lab") then
  run("mlp5 784-128-128-64-10 dropout 0.15 1 epoch", mlp({128, 128, 64}, {dropout = 0.15}))
  run("cnn0 1 epoch", {
    ml.Input{28, 28, 1},
    ml.Conv2D{64, 3, activation = "relu"}, ml.MaxPooling2D{2},
    ml.Flatten(), ml.Dense{64, activation = "relu"},
    ml.Dense{10, activation = "softmax"},
  })
end
if want("cnn") then
  run("cnn1 1 epoch", {
    ml.Input{28, 28, 1},
    ml.Conv2D{32, 3, activation = "relu"}, ml.MaxPooling2D{2},
    ml.Conv2D{64, 3, activation = "relu"}, ml.MaxPooling2D{2},
    ml.Conv2D{32, 3, activation = "relu"}, ml.Flatten(),
    ml.Dense{64, activation = "relu"}, ml.Dropout{0.1},
    ml.Dense{10, activation = "softmax"},
  })
end
