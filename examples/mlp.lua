-- A multilayer perceptron on the digits, in Keras's words: Sequential, compile,
-- fit with a validation split, the History, evaluate, summary, save and load.
-- As tf.keras: the same layer names, options and printed lines.
--   build/mnistlab examples/mlp.lua
--   LUA_CPATH="build/?.so;;" lua5.4 examples/mlp.lua
local ml = require "mnistlab"

local ds = ml.load("mnist", {subset = "test"})
-- Networks take the 28 x 28 images as they are; Flatten makes rows of 784.
local Xtr, Xte, ytr, yte = ml.train_test_split(ds.X, ds.y, {test_size = 0.2, seed = 0, stratify = true})

local model = ml.Sequential{
  ml.Input{28, 28},
  ml.Flatten(),
  ml.Dense{64, activation = "relu"},
  ml.Dropout{0.1},                          -- only active during fit
  ml.Dense{10, activation = "softmax"},     -- one probability per class
  seed = 0,                                 -- the initial weights
}
model:compile{loss = "sparse_categorical_crossentropy", optimizer = ml.Adam{learning_rate = 1e-3},
              metrics = {"accuracy"}}
model:summary()                             -- Keras's table: 784*64+64 + 64*10+10 weights

-- As in Keras, validation_split holds out the *last* 20 % of the training rows.
-- verbose = 2: one line per epoch.
local hist = model:fit(Xtr, ytr, {epochs = 8, batch_size = 32, validation_split = 0.2, verbose = 2})
local h = hist.history                      -- loss, accuracy, val_loss, val_accuracy: one value per epoch
print(("after %d epochs: train accuracy %.4f, validation accuracy %.4f"):format(
  #h.loss, h.accuracy[#h.loss], h.val_accuracy[#h.loss]))
ml.plot({train = h.loss, validation = h.val_loss}, {title = "loss per epoch", xlabel = "epoch",
                                                   xinteger = true, height = 10})

-- evaluate returns the loss and the metric on data the network never saw.
local loss, acc = model:evaluate(Xte, yte)
print(("test loss %.4f, test accuracy %.4f"):format(loss, acc))

-- A network file holds the architecture, weights and optimiser state.
local path = os.tmpname()
model:save(path)
local again = ml.load_model(path)
os.remove(path)
print(("reloaded: %d parameters, test accuracy %.4f"):format(again:count_params(), select(2, again:evaluate(Xte, yte))))
