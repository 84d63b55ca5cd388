-- The plot bindings from stock lua5.4: every chart returns a Chart of exactly
-- its box, in the vocabulary of matplotlib/seaborn; bad input gives a clear
-- error.  Pictures are built with show = false so that TAP output stays clean.
local ml = require "mnistlab"

local function box(chart, w, h)
  local cw, ch = chart:size()
  assert.are.equal(w, cw)
  assert.are.equal(h, ch)
  for _, l in ipairs(chart:lines()) do
    assert.are.equal(w, utf8.len(l))
  end
end

local function is_ascii(s)
  return not s:find("[\128-\255]")
end

local ds = ml.load("mnist", {subset = "test"})
local X, y = ds.X, ds.y

describe("digits", function()
  it("draws one digit in 28 x 14 cells with half blocks", function()
    local c = ml.digit(X[1], {show = false})
    box(c, 28, 14)
    local s = tostring(c)
    assert.truthy(s:find("█") and (s:find("▀") or s:find("▄")))
    assert.are.equal(14, #c)
  end)

  it("falls back to a character ramp in ASCII, with a title", function()
    local c = ml.digit(X[1], {ascii = true, title = "Class 7", show = false})
    box(c, 28, 15)
    assert.is_true(is_ascii(tostring(c)))
    assert.truthy(c:lines()[1]:find("Class 7", 1, true))
    assert.truthy(tostring(c):find("@", 1, true))
  end)

  it("accepts a flat 784 vector and a Lua table of rows", function()
    local flat = {}
    for i = 1, 784 do flat[i] = ((i - 1) % 28) / 27 end
    box(ml.digit(flat, {show = false}), 28, 14)
    box(ml.imshow({{0, 1}, {1, 0}}, {show = false}), 2, 1)
  end)

  it("grids 25 digits titled by class in 80 columns", function()
    local c = ml.digits(X, y, {n = 25, cols = 5, width = 80, show = false})
    local lines = c:lines()
    box(c, 80, 5 * 8 + 4)
    assert.truthy(lines[1]:find("Class 7", 1, true))
    assert.truthy(lines[1]:find("Class 2", 1, true))
    assert.truthy(lines[1]:find("Class 4", 1, true)) -- the 5th digit, first row
  end)

  it("titles with class names when given, and marks wrong predictions", function()
    local names = {[0] = "T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                   "Boot"}
    local c = ml.digits(X, y, {n = 5, classes = names, width = 80, show = false})
    assert.truthy(c:lines()[1]:find("Sneaker", 1, true)) -- label 7
    local pred = {}
    for i = 1, #y do pred[i] = y[i] end
    pred[1] = 1
    c = ml.digits(X, y, {n = 5, pred = pred, width = 80, show = false})
    assert.truthy(c:lines()[1]:find("≠", 1, true))
  end)

  it("rejects bad input clearly", function()
    assert.has_error(function() ml.digit(X, {show = false}) end,
      "digit: expected one image (28x28 or 784 values), got a tensor of shape 10000x28x28")
    assert.has_error(function() ml.digits(X, {1, 2}, {show = false}) end, "digits: 10000 images but 2 labels")
    assert.has_error(function() ml.digits(X, y, {n = 0, show = false}) end)
    assert.has_error(function() ml.digits(X, y, {cols = 5, width = 12, show = false}) end)
    assert.has_error(function() ml.digit(X[1], {colour = true}) end)
  end)
end)

describe("bars", function()
  local counts = ml.counts(y)

  it("draws the counts table of ml.counts (indexed from 0) with value labels", function()
    local c = ml.bar(counts, {title = "Labels", xlabel = "digit", ylabel = "count", width = 80, height = 16,
                              show = false})
    box(c, 80, 16)
    local s = tostring(c)
    assert.truthy(s:find("1135", 1, true)) -- the count of 1s
    assert.truthy(s:find("892", 1, true))
    local last_labels = c:lines()[15]
    for d = 0, 9 do assert.truthy(last_labels:find(tostring(d), 1, true)) end
  end)

  it("turns horizontal for long class names, or on request (barh)", function()
    local names = {[0] = "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
                   "Bag", "Ankle boot"}
    local c = ml.bar(counts, {classes = names, width = 70, show = false})
    assert.are.equal(10, #c)
    assert.truthy(c:lines()[1]:find("T-shirt/top │", 1, true))
    c = ml.barh({a = 3, b = 5}, {width = 40, show = false})
    box(c, 40, 2)
    assert.truthy(c:lines()[2]:find("b │", 1, true))
  end)

  it("groups series with a legend and counts a label vector (countplot)", function()
    local c = ml.bar({counts, counts}, {legend = {"train", "test"}, width = 80, height = 16, show = false})
    box(c, 80, 16)
    assert.truthy(c:lines()[16]:find("train", 1, true))
    local c2 = ml.countplot(y, {width = 80, height = 16, show = false})
    assert.are.equal(tostring(ml.bar(counts, {width = 80, height = 16, show = false})), tostring(c2))
  end)

  it("is plain ASCII in ASCII mode", function()
    local c = ml.bar(counts, {ascii = true, width = 60, height = 12, show = false})
    box(c, 60, 12)
    assert.is_true(is_ascii(tostring(c)))
  end)

  it("rejects bad input", function()
    assert.has_error(function() ml.bar({}, {show = false}) end, "bar: no values to draw")
    assert.has_error(function() ml.bar({1, 0 / 0}, {show = false}) end, "bar: value of '2' is NaN; values must be finite")
    assert.has_error(function() ml.bar({{1, 2}, {1}}, {show = false}) end, "bar: series 1 has 2 values but series 2 has 1")
    assert.has_error(function() ml.bar({1, "x"}, {show = false}) end)
  end)
end)

describe("lines and scatter", function()
  it("draws several series with a legend in exactly the box", function()
    for _, canvas in ipairs({"braille", "half", "ascii"}) do
      local c = ml.plot({{0.5, 0.3, 0.2}, {0.6, 0.4, 0.35}}, {legend = {"train", "validation"}, canvas = canvas,
                                                             title = "Loss", xlabel = "epoch", width = 60,
                                                             height = 15, show = false})
      box(c, 60, 15)
      assert.truthy(c:lines()[15]:find("validation", 1, true))
    end
  end)

  it("takes x and y, named series, and {x=, y=, name=} tables", function()
    box(ml.plot({1, 2, 3}, {1, 4, 9}, {width = 40, height = 10, show = false}), 40, 10)
    local c = ml.plot({train = {1, 2, 3}, validation = {2, 2, 2}}, {width = 50, height = 12, show = false})
    assert.truthy(tostring(c):find("train", 1, true))
    c = ml.plot({{x = {0, 10}, y = {1, 2}, name = "a"}}, {width = 40, height = 10, legend = true, show = false})
    assert.truthy(tostring(c):find("10", 1, true))
  end)

  it("draws each column of an n x k matrix as a series", function()
    local M = ml.tensor({{1, 2}, {2, 3}, {3, 3.5}, {4, 3.7}})
    local c = ml.plot(M, {legend = {"a", "b"}, width = 50, height = 12, show = false})
    box(c, 50, 12)
    assert.truthy(c:lines()[12]:find("● a   ■ b", 1, true))
  end)

  it("uses a log y axis", function()
    local v = {}
    for i = 1, 50 do v[i] = 0.1 * math.exp(-i / 8) end
    local c = ml.plot(v, {yscale = "log", width = 60, height = 14, show = false})
    assert.truthy(tostring(c):find("0.01", 1, true))
    assert.has_error(function() ml.plot({1, -1}, {logy = true, show = false}) end)
  end)

  it("scatters an n x 2 projection coloured by hue, or marked by class without colour", function()
    local P = ml.tensor({{0, 0}, {1, 1}, {2, 0}, {3, 1}})
    local c = ml.scatter(P, {hue = {0, 1, 2, 1}, color = false, width = 40, height = 12, show = false})
    box(c, 40, 12)
    local s = tostring(c)
    assert.truthy(s:find("0", 1, true) and s:find("2", 1, true))
    c = ml.scatter({0, 1}, {0, 1}, {hue = {0, 1}, classes = {[0] = "cat", "dog"}, width = 40, height = 12,
                                    show = false})
    assert.truthy(tostring(c):find("dog", 1, true))
  end)

  it("draws a histogram", function()
    local v = {}
    for i = 1, 1000 do v[i] = (i % 37) / 37 end
    box(ml.hist(v, {bins = 10, width = 50, height = 12, show = false}), 50, 12)
  end)

  it("rejects bad input", function()
    assert.has_error(function() ml.plot({}, {show = false}) end, "plot: no series to draw")
    assert.has_error(function() ml.plot({1, 0 / 0}, {show = false}) end,
      "line: series 1: y[2] is NaN; values must be finite")
    assert.has_error(function() ml.plot({1, 2}, {1}, {show = false}) end, "plot: x has 2 values but y has 1")
    assert.has_error(function() ml.plot({1, 2}, {width = 5, show = false}) end)
    assert.has_error(function() ml.scatter({1, 2}, {1}, {show = false}) end, "scatter: x has 2 values but y has 1")
    assert.has_error(function() ml.scatter({1, 2}, {1, 2}, {hue = {0}, show = false}) end,
      "scatter: 2 points but 1 hue labels")
    assert.has_error(function() ml.plot({1, 2}, {yscale = "cubic"}) end)
  end)
end)

describe("heatmaps and tables", function()
  it("writes a confusion matrix's numbers with labels", function()
    local cm = {{50, 2, 0}, {1, 47, 3}, {0, 0, 49}}
    local c = ml.heatmap(cm, {labels = {"cat", "dog", "eel"}, xlabel = "predicted", ylabel = "true", width = 40,
                              show = false})
    local lines = c:lines()
    box(c, 40, 5)
    assert.truthy(lines[2]:find("true", 1, true) and lines[2]:find("eel", 1, true))
    assert.truthy(lines[4]:find("dog%s+1%s+47%s+3"))
    assert.truthy(lines[3]:find("·", 1, true)) -- zeros recede
  end)

  it("tabulates result records and arrays, with formats and alignment", function()
    local rows = {{model = "MLP0", params = "784-32-10", train = 0.97123, validation = 0.95, test = 0.9561},
                  {model = "Tree", params = "depth 44", train = 1.0, test = 0.871}}
    local c = ml.table(rows, {show = false})
    local s = tostring(c)
    assert.truthy(c:lines()[2]:find("Model", 1, true))
    assert.truthy(s:find("0.9712", 1, true))
    assert.truthy(s:find("1.0000", 1, true)) -- floats keep their decimals
    c = ml.table({{"a", 1, 2.5}, {"bb", 22, 3.25}}, {header = {"name", "n", "x"}, fmt = {nil, nil, "%.2f"},
                                                      ascii = true, show = false})
    assert.is_true(is_ascii(tostring(c)))
    assert.truthy(tostring(c):find("| bb   | 22 | 3.25 |", 1, true))
    assert.has_error(function() ml.table({{1}}, {fmt = "%s", show = false}) end)
    assert.has_error(function() ml.table({{1, 2}}, {align = "l", show = false}) end)
  end)
end)

describe("training history and progress", function()
  local hist = {loss = {0.5, 0.3, 0.25, 0.2}, accuracy = {0.85, 0.9, 0.92, 0.93},
                val_loss = {0.4, 0.33, 0.3, 0.31}, val_accuracy = {0.88, 0.9, 0.91, 0.91}}

  it("draws accuracy and loss, train vs validation, stacked or side by side", function()
    local c = ml.plot_history(hist, {width = 80, height = 30, show = false})
    box(c, 80, 30)
    local s = tostring(c)
    assert.truthy(s:find("Accuracy", 1, true) and s:find("Loss", 1, true) and s:find("validation", 1, true))
    c = ml.plot_history({history = hist}, {width = 130, height = 16, show = false})
    box(c, 130, 16)
    assert.truthy(c:lines()[1]:find("Accuracy.*Loss"))
    assert.has_error(function() ml.plot_history({loss = {1, 2}, val_loss = {1}}, {show = false}) end)
  end)

  it("formats progress and Keras-like epoch lines", function()
    local p = ml.progress_line("epoch 1/10", 300, 1500, 2.5, {width = 70, ascii = true})
    assert.are.equal(70, #p)
    assert.truthy(p:find("300/1500", 1, true) and p:find("ETA", 1, true))
    local e = ml.epoch_line(3, 10, {loss = 0.3, accuracy = 0.9, val_loss = 0.31, val_accuracy = 0.91},
      {seconds = 3.2, steps = 1500, width = 200})
    assert.are.equal("Epoch  3/10 - 3.2s 2ms/step - loss: 0.3000 - accuracy: 0.9000 - val_loss: 0.3100 - "
      .. "val_accuracy: 0.9100", e)
  end)
end)

describe("charts", function()
  it("compose side by side and one below the other", function()
    local a = ml.bar({3, 5, 2}, {width = 30, height = 8, show = false, title = "train"})
    local b = ml.bar({1, 2, 1}, {width = 30, height = 8, show = false, title = "test"})
    local side = a:beside(b)
    box(side, 62, 8)
    assert.truthy(side:lines()[1]:find("train.*test"))
    box(a:beside(b, 4), 64, 8)
    box(a:below(b), 30, 16)
  end)

  it("save as SVG and convert to text", function()
    local c = ml.bar({1, 2, 3}, {width = 30, height = 8, show = false})
    local path = os.tmpname()
    assert.are.equal(c, c:save_svg(path))
    local f = assert(io.open(path))
    local svg = f:read("a")
    f:close()
    os.remove(path)
    assert.truthy(svg:find("<svg", 1, true) and svg:find("<rect", 1, true))
    assert.has_error(function() c:save_svg("/nonexistent-dir/x.svg") end)
  end)
end)

describe("class balance", function()
  local ds2 = ml.load("mnist", {subset = "test"})
  local _, _, ytr, yte = ml.train_test_split(ds2.X, ds2.y, {test_size = 0.2, seed = 0, stratify = true})

  it("compares two sets as fractions, even straight from ml.counts", function()
    local c = ml.bar({ml.counts(ytr), ml.counts(yte)}, {legend = {"train", "test"}, normalize = true,
                                                         width = 80, height = 14, show = false})
    box(c, 80, 14)
    local s = tostring(c)
    assert.truthy(s:find("0.10", 1, true) and s:find("test", 1, true))
  end)

  it("counts labels per hue group (countplot)", function()
    local yy, hue = {}, {}
    for i = 1, 6 do yy[i] = i % 3; hue[i] = i <= 4 and 0 or 1 end
    local c = ml.countplot(yy, {hue = hue, legend = {"a", "b"}, horizontal = true, width = 40, show = false})
    local lines = c:lines()
    -- label 0 (i = 3, 6): one in a, one in b
    assert.truthy(lines[1]:find("0 │.* 1%s*$"))
    assert.truthy(lines[2]:find("│.* 1%s*$"))
    assert.truthy(lines[4]:find("1 │.* 2%s*$")) -- label 1: both in a
    assert.truthy(lines[5]:find("│ 0%s*$"))
    assert.has_error(function() ml.countplot(yy, {hue = {0}, show = false}) end, "countplot: 6 labels but 1 hue values")
    assert.has_error(function() ml.bar({1, 2}, {hue = {0, 1}, show = false}) end, "bar: option 'hue' belongs to countplot")
  end)
end)
