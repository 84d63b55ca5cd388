-- make bench stage "nn": one epoch of the lab's networks on Fashion-MNIST
-- bench: repeats=2
-- (80/20 split, validation_split 0.2 -> 44,800 training rows, Adam 1e-3,
-- batch 32), timed as fit does it (training + the validation pass), then the
-- test accuracy.  The reference is scripts/bench/nn_ref.py (PyTorch, 2 threads).
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

local only = os.getenv("MNISTLAB_BENCH_NN")
if not only or only == "mlp" then
  run("mlp 784-128-64-32-10 1 epoch", {
    ml.Input{28, 28}, ml.Flatten(),
    ml.Dense{128, activation = "relu"}, ml.Dense{64, activation = "relu"}, ml.Dense{32, activation = "relu"},
    ml.Dense{10, activation = "softmax"},
  })
end
if not only or only == "cnn" then
  run("cnn1 1 epoch", {
    ml.Input{28, 28, 1},
    ml.Conv2D{32, 3, activation = "relu"}, ml.MaxPooling2D{2},
    ml.Conv2D{64, 3, activation = "relu"}, ml.MaxPooling2D{2},
    ml.Conv2D{32, 3, activation = "relu"}, ml.Flatten(),
    ml.Dense{64, activation = "relu"}, ml.Dropout{0.1},
    ml.Dense{10, activation = "softmax"},
  })
end
