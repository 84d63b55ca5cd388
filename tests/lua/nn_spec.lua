-- Neural networks from stock lua5.4, in Keras's vocabulary: building,
-- summary, training on the bundled digits, callbacks, save/load, Ctrl-C, errors.
local ml = require "mnistlab"

local ds = ml.load("mnist")
local Xtr, ytr = ds.X:rows(1, 3000), ds.y:rows(1, 3000)
local Xte, yte = ds.X:rows(8001, 10000), ds.y:rows(8001, 10000)

-- Runs fn with print captured; returns the printed lines joined by "\n".
local function capture(fn)
  local lines, old = {}, _G.print
  _G.print = function(...)
    local t = table.pack(...)
    for i = 1, t.n do t[i] = tostring(t[i]) end
    lines[#lines + 1] = table.concat(t, "\t")
  end
  local ok, err = pcall(fn)
  _G.print = old
  if not ok then error(err, 0) end
  return table.concat(lines, "\n")
end

local function mlp(hidden)
  local net = ml.Sequential{
    ml.Input{28, 28}, ml.Flatten(),
    ml.Dense{hidden, activation = "relu"},
    ml.Dense{10, activation = "softmax"},
  }
  net:compile{loss = "sparse_categorical_crossentropy", optimizer = ml.Adam{learning_rate = 1e-3},
              metrics = {"accuracy"}}
  return net
end

local function max_abs_diff(a, b)
  local d = a - b
  return math.max(math.abs(d:min()), math.abs(d:max()))
end

describe("building networks", function()
  it("prints Keras's summary of the lab's CNN1 with its 56,426 parameters", function()
    local net = ml.Sequential{
      ml.Input{28, 28, 1},
      ml.Conv2D{32, 3, activation = "relu"}, ml.MaxPooling2D{2},
      ml.Conv2D{64, 3, activation = "relu"}, ml.MaxPooling2D{2},
      ml.Conv2D{32, 3, activation = "relu"}, ml.Flatten(),
      ml.Dense{64, activation = "relu"}, ml.Dropout{0.1},
      ml.Dense{10, activation = "softmax"},
    }
    assert.are.equal(56426, net:count_params())
    local out = capture(function() net:summary() end)
    assert.truthy(out:find('Model: "sequential"', 1, true))
    assert.truthy(out:find(" conv2d (Conv2D)             (None, 26, 26, 32)        320", 1, true))
    assert.truthy(out:find(" conv2d_1 (Conv2D)           (None, 11, 11, 64)        18496", 1, true))
    assert.truthy(out:find(" dense_1 (Dense)             (None, 10)                650", 1, true))
    assert.truthy(out:find("Total params: 56426 (220.41 KB)", 1, true))
    assert.are.same({28, 28, 1}, net.input_shape)
    assert.are.same({10}, net.output_shape)
    assert.are.equal(9, #net.layers)
    assert.are.equal("MaxPooling2D", net.layers[2].class_name)
    assert.are.same({3, 3, 1, 32}, {net.layers[1].kernel:shape()})
  end)

  it("builds the same network in the functional form", function()
    local inputs = ml.Input{28, 28}
    local x = ml.Flatten()(inputs)
    x = ml.Dense{32, activation = "relu"}(x)
    local outputs = ml.Dense{10, activation = "softmax"}(x)
    local net = ml.Model(inputs, outputs)
    assert.are.equal(25450, net:count_params()) -- the lab's MLP0: 784*32+32 + 32*10+10
    local net2 = ml.Model{inputs = inputs, outputs = outputs, name = "mlp0"}
    assert.are.equal("mlp0", net2.name)
    assert.has_error(function() ml.Model(ml.Input{4}, outputs) end,
      "Model: the outputs are not computed from these inputs")
  end)

  it("accepts strides, 'same' padding, batch normalisation, L2 and add()", function()
    local net = ml.Sequential{
      ml.Input{28, 28, 1},
      ml.Conv2D{8, {5, 5}, strides = 2, padding = "same", activation = "tanh",
                kernel_regularizer = ml.l2(1e-4)},
      ml.BatchNormalization(), ml.Activation("relu"), ml.MaxPooling2D{pool_size = 2},
      ml.Flatten(),
    }
    net:add(ml.Dense{10, activation = "softmax"})
    assert.are.same({14, 14, 8}, net.layers[1].output_shape)
    assert.are.same({7, 7, 8}, net.layers[4].output_shape)
    -- BN: gamma, beta trainable; moving mean and variance not
    assert.are.equal(208 + 32 + 3930, net:count_params())
    local s = net:summary{print = false}
    assert.truthy(s:find("Non-trainable params: 16 (64.00 Byte)", 1, true))
  end)
end)

describe("training", function()
  it("an MLP reaches 91% on held-out digits in 3 epochs, with a Keras-like History", function()
    local net = mlp(64)
    local hist
    local out = capture(function()
      hist = net:fit(ds.X:rows(1, 8000), ds.y:rows(1, 8000),
                     {epochs = 3, batch_size = 32, validation_split = 0.2, seed = 1})
    end)
    assert.truthy(out:find("^Epoch 1/3 "))
    assert.truthy(out:find("\nEpoch 3/3 "))
    assert.truthy(out:find("loss: %d%.%d%d%d%d.-acc[a-z]*: %d%.%d%d%d%d.-val_loss: %d%.%d%d%d%d"))
    local h = hist.history
    assert.are.equal(3, #h.loss)
    assert.are.equal(3, #h.val_accuracy)
    assert.are.same({0, 1, 2}, hist.epoch)
    assert.is_true(h.loss[3] < h.loss[1])
    assert.is_true(h.accuracy[3] > 0.85)
    assert.is_true(h.val_accuracy[3] > 0.85)
    assert.are.equal(hist, net.history)
    local loss, acc = net:evaluate(Xte, yte)
    assert.is_true(acc >= 0.91, "test accuracy " .. acc)
    assert.is_true(loss < 0.4)
    local P = net:predict(Xte)
    assert.are.same({2000, 10}, {P:shape()})
    assert.is_true(math.abs(P:rows(1, 1):sum() - 1) < 1e-5)
  end)

  it("prints as Keras's verbose says: 0 nothing, 1 and 2 one line per epoch off a terminal", function()
    local X, y = ds.X:rows(1, 640), ds.y:rows(1, 640)
    local function run(v)
      return capture(function() mlp(8):fit(X, y, {epochs = 2, validation_split = 0.25, seed = 1, verbose = v}) end)
    end
    assert.are.equal("", run(0))
    local one, two = run(1), run(2)
    assert.truthy(one:find("^Epoch 1/2 [^\n]*val_loss: %d%.%d%d%d%d[^\n]*\nEpoch 2/2 [^\n]*$"))
    local function untimed(s) return (s:gsub("%d+%.%ds", "T"):gsub("%d+[mu]s/step", "S")) end
    assert.are.equal(untimed(one), untimed(two))
    local ok, err = pcall(run, 3)
    assert.is_false(ok)
    assert.truthy(err:find("verbose must be 0, 1 or 2", 1, true))
  end)

  it("gives the same weights for the same seed, and honours validation_data", function()
    local a, b = mlp(16), mlp(16)
    local opts = {epochs = 1, validation_data = {Xte, yte}, seed = 3, verbose = 0}
    a:fit(Xtr, ytr, opts)
    local hb = b:fit(Xtr, ytr, opts)
    assert.are.equal(0, max_abs_diff(a:predict(Xte), b:predict(Xte)))
    local _, acc = b:evaluate(Xte, yte)
    assert.is_true(math.abs(hb.history.val_accuracy[1] - acc) < 1e-9)
  end)

  it("early stopping stops and restores the best weights", function()
    local net = mlp(16)
    local es = ml.EarlyStopping{monitor = "val_loss", patience = 1, min_delta = 10, restore_best_weights = true}
    local hist
    local out = capture(function()
      hist = net:fit(Xtr, ytr, {epochs = 10, validation_split = 0.2, callbacks = {es}})
    end)
    assert.are.equal(2, #hist.history.loss)
    assert.are.equal(1, es.stopped_epoch)
    assert.are.equal(0, hist.best_epoch)
    assert.truthy(out:find("Epoch 2: early stopping", 1, true))
    local vl = net:evaluate(Xtr:rows(2401, 3000), ytr:rows(2401, 3000))
    assert.is_true(math.abs(vl - hist.history.val_loss[1]) < 1e-5)
  end)

  it("a softmax output with from_logits = true earns a warning", function()
    local net = ml.Sequential{ml.Input{4}, ml.Dense{3, activation = "softmax"}}
    local out = capture(function()
      net:compile{loss = ml.SparseCategoricalCrossentropy{from_logits = true}, optimizer = "adam"}
    end)
    assert.truthy(out:find("warning: compile: from_logits = true", 1, true))
    assert.truthy(net.warning:find("dense", 1, true))
    local ok = ml.Sequential{ml.Input{4}, ml.Dense{3}}
    ok:compile{loss = ml.SparseCategoricalCrossentropy{from_logits = true}, optimizer = ml.SGD{momentum = 0.9}}
    assert.is_nil(ok.warning)
  end)

  it("a linear output read as probabilities (from_logits = false) earns a warning too", function()
    local net = ml.Sequential{ml.Input{4}, ml.Dense{3}}
    local out = capture(function() net:compile{loss = "sparse_categorical_crossentropy", optimizer = "adam"} end)
    assert.truthy(out:find('warning: compile: the output layer dense gives scores, not probabilities ' ..
                           '(activation "linear")', 1, true))
    assert.truthy(net.warning:find('use activation = "softmax" or from_logits = true', 1, true))
    local relu = ml.Sequential{ml.Input{4}, ml.Dense{3, activation = "relu"}}
    relu:compile{loss = "sparse_categorical_crossentropy", optimizer = "adam"}
    assert.truthy(relu.warning:find('(activation "relu")', 1, true))
    local ok = ml.Sequential{ml.Input{4}, ml.Dense{3, activation = "softmax"}}
    ok:compile{loss = "sparse_categorical_crossentropy", optimizer = "adam"}
    assert.is_nil(ok.warning)
  end)

  it("LambdaCallback sees each epoch's logs and can stop training", function()
    local net, seen = mlp(8), {}
    local hist = net:fit(Xtr, ytr, {epochs = 5, verbose = 0, callbacks = {
      ml.LambdaCallback{on_epoch_end = function(epoch, logs)
        seen[#seen + 1] = logs.loss
        return epoch == 1 -- true stops
      end}}})
    assert.are.equal(2, #seen)
    assert.are.equal(2, #hist.history.loss)
    assert.are.equal(seen[2], hist.history.loss[2])
  end)
end)

describe("files", function()
  local path = os.tmpname()
  after_each(function() os.remove(path) end)

  it("save then load predicts identically", function()
    local net = ml.Sequential{
      ml.Input{28, 28, 1}, ml.Conv2D{4, 3, activation = "relu"}, ml.BatchNormalization(),
      ml.MaxPooling2D{2}, ml.Flatten(), ml.Dropout{0.2}, ml.Dense{10, activation = "softmax"},
    }
    net:compile{loss = "sparse_categorical_crossentropy", optimizer = ml.RMSprop{learning_rate = 1e-3}}
    net:fit(Xtr:rows(1, 500), ytr:rows(1, 500), {epochs = 1, verbose = 0})
    net:save(path)
    local back = ml.load_model(path)
    assert.are.equal(net:count_params(), back:count_params())
    assert.are.equal(0, max_abs_diff(net:predict(Xte), back:predict(Xte)))
    -- compiled with its optimizer: training goes on
    back:fit(Xtr:rows(1, 64), ytr:rows(1, 64), {epochs = 1, verbose = 0})
  end)

  it("ModelCheckpoint writes the best model", function()
    local net = mlp(8)
    local hist = net:fit(Xtr, ytr, {epochs = 3, validation_split = 0.2, verbose = 0,
                       callbacks = {ml.ModelCheckpoint{path, monitor = "val_accuracy", save_best_only = true}}})
    local back = ml.load_model(path)
    local _, a1 = back:evaluate(Xtr:rows(2401, 3000), ytr:rows(2401, 3000))
    local best = math.max(table.unpack(hist.history.val_accuracy))
    assert.is_true(math.abs(a1 - best) < 1e-9, "accuracy " .. a1 .. " vs " .. best)
  end)

  it("refuses a damaged file with a message naming it", function()
    mlp(8):save(path)
    local f = assert(io.open(path, "r+b"))
    f:seek("set", 300)
    local c = f:read(1)
    f:seek("set", 300)
    f:write(string.char(c:byte() ~ 0x5a))
    f:close()
    local ok, err = pcall(ml.load_model, path)
    assert.is_false(ok)
    assert.truthy(err:find(path, 1, true))
  end)
end)

describe("Ctrl-C", function()
  it("a SIGINT stops fit between batches, keeping the weights and the history so far", function()
    local net = mlp(32)
    local before = net:predict(Xte)
    local ok, err = pcall(function()
      net:fit(Xtr, ytr, {epochs = 50, verbose = 0, callbacks = {
        function(epoch)
          -- (not os.execute: system() ignores SIGINT while it waits)
          if epoch == 0 then assert(io.popen("kill -INT $PPID")):close() end
        end}})
    end)
    assert.is_false(ok)
    assert.truthy(err:find("fit: interrupted at epoch 2/50", 1, true))
    assert.are.equal(1, #net.history.history.loss)
    assert.is_true(net.history.interrupted)
    assert.is_true(max_abs_diff(before, net:predict(Xte)) > 0)
    local _, acc = net:evaluate(Xte, yte)
    assert.is_true(acc > 0.5)
    -- and the next fit runs normally
    local hist = net:fit(Xtr:rows(1, 64), ytr:rows(1, 64), {epochs = 1, verbose = 0})
    assert.are.equal(1, #hist.history.loss)
  end)
end)

describe("bad input", function()
  it("names the layer and both shapes when a layer does not fit", function()
    local ok, err = pcall(ml.Sequential, {ml.Input{28, 28, 1}, ml.Dense{10}})
    assert.is_false(ok)
    assert.truthy(err:find("dense (Dense): input shape (None, 28, 28, 1) does not fit: expected (None, features)",
      1, true))
    ok, err = pcall(ml.Sequential, {ml.Input{6, 6, 1}, ml.MaxPooling2D{2}, ml.Conv2D{4, 5}})
    assert.truthy(err:find("conv2d (Conv2D): input shape (None, 3, 3, 1)", 1, true))
  end)

  it("refuses fit before compile, bad labels, batch_size 0, wrong X, unknown options", function()
    local net = ml.Sequential{ml.Input{28, 28}, ml.Flatten(), ml.Dense{10, activation = "softmax"}}
    assert.has_error(function() net:fit(Xtr, ytr) end,
      "fit: the model is not compiled: call compile{...} first")
    net:compile{loss = "sparse_categorical_crossentropy", optimizer = "adam"}
    local bad = ytr:clone()
    bad[7] = 10
    local ok, err = pcall(net.fit, net, Xtr, bad, {verbose = 0})
    assert.truthy(err:find("y: label 10 (row 7) is out of range for the output layer dense (10 units)", 1, true))
    assert.has_error(function() net:fit(Xtr, ytr, {batch_size = 0}) end, "fit: batch_size must be >= 1, got 0")
    ok, err = pcall(net.fit, net, ml.zeros(10, 5), ml.zeros(10))
    assert.truthy(err:find("X: shape 10x5 does not fit the model's input (None, 28, 28)", 1, true))
    ok, err = pcall(net.fit, net, Xtr, ytr, {epoch = 3})
    assert.truthy(err:find("fit: unknown option 'epoch'", 1, true))
    ok, err = pcall(net.compile, net, {loss = "mse"})
    assert.truthy(err:find("compile: loss 'mse' is not available", 1, true))
    ok, err = pcall(ml.Dense, {0})
    assert.truthy(err:find("Dense: units must be", 1, true))
    ok, err = pcall(ml.Dense, {4, activation = "swish"})
    assert.truthy(err:find("activation: unknown 'swish'", 1, true))
    ok, err = pcall(ml.load_model, "/nonexistent/x.model")
    assert.truthy(err:find("/nonexistent/x.model", 1, true))
  end)
end)
