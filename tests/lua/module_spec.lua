-- The Lua module from stock lua5.4: tensors, data, splits, errors, memory.
local ml = require "mnistlab"

local function rss_mb()
  local f = assert(io.open("/proc/self/statm"))
  local _, res = f:read("n", "n")
  f:close()
  return res * 4096 / 2^20
end

describe("the module", function()
  it("loads from stock lua5.4 with a version", function()
    assert.is_string(ml.version)
    assert.is_function(ml.load)
  end)
end)

describe("mnist", function()
  local ds = ml.load("mnist")

  it("has 10,000 images of 28x28 and 10,000 labels", function()
    assert.are.same({10000, 28, 28}, {ds.X:shape()})
    assert.are.equal(10000, #ds.y)
    assert.are.equal(10, ds.n_classes)
    assert.are.equal("0", ds.classes[0])
    assert.are.equal(7, ds.y[1])
    assert.is_true(ds.X:min() == 0 and ds.X:max() == 1)
  end)

  it("splits 80/20, stratified, keeping every class within one sample", function()
    local Xtr, Xte, ytr, yte = ml.train_test_split(ds.X, ds.y, {test_size = 0.2, seed = 0, stratify = true})
    assert.are.same({8000, 28, 28}, {Xtr:shape()})
    assert.are.same({2000, 28, 28}, {Xte:shape()})
    assert.are.equal(8000, #ytr)
    assert.are.equal(2000, #yte)
    local all, tr, te = ml.counts(ds.y), ml.counts(ytr), ml.counts(yte)
    for k = 0, 9 do
      assert.are.equal(all[k], tr[k] + te[k])
      assert.is_true(math.abs(te[k] - all[k] * 0.2) <= 1, "class " .. k)
      assert.is_true(math.abs(tr[k] - all[k] * 0.8) <= 1, "class " .. k)
    end
    -- rows travel with their labels: the same seed gives the same split
    local _, Xte2, _, yte2 = ml.train_test_split(ds.X, ds.y, {test_size = 0.2, seed = 0, stratify = true})
    assert.are.equal(2000, yte:eq(yte2))
    assert.are.equal(2000 * 784, Xte:eq(Xte2))
  end)

  it("splits without labels, and by count", function()
    local a, b = ml.train_test_split(ds.X, {test_size = 100})
    assert.are.equal(9900, #a)
    assert.are.equal(100, #b)
  end)

  it("gives one image as a view, indexed from 1", function()
    local img = ds.X[22]
    assert.are.same({28, 28}, {img:shape()})
    assert.are.equal(ds.X[22][10][14], img[10][14])
    assert.has_error(function() return ds.X[0] end, "index 0 out of range (the tensor has 10000 rows, indexed from 1)")
    assert.has_error(function() return ds.X[10001] end)
    local r = ds.X:rows(11, 20)
    assert.are.equal(10, #r)
    assert.are.equal(ds.X[11]:sum(), r[1]:sum())
  end)

  it("counts labels", function()
    local c, n = ml.counts(ds.y)
    assert.are.equal(10, n)
    assert.are.same({980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009},
      {c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9]})
  end)
end)

describe("tensors", function()
  it("give columns as copies: col(j) 1-D, cols(a, b) 2-D, with clear errors", function()
    local t = ml.tensor{{1, 2, 3}, {4, 5, 6}}
    assert.are.same({2, 5}, t:col(2):totable())
    assert.are.same({{2, 3}, {5, 6}}, t:cols(2):totable())
    assert.are.same({{1, 2}, {4, 5}}, t:cols(1, 2):totable())
    assert.are.same({2, 0}, {t:cols(3, 2):shape()})
    local c = t:col(1)
    c[1] = 100
    assert.are.equal(1, t[1][1]) -- a copy, not a view
    assert.has_error(function() t:col(4) end, "columns 4..4 out of range (the tensor has 3 columns)")
    assert.has_error(function() t:cols(0, 2) end, "columns 0..2 out of range (the tensor has 3 columns)")
    assert.has_error(function() ml.tensor{1, 2}:col(1) end,
                     "columns need a 2-D tensor (rows x columns), this one has 1 dimension")
  end)

  it("are built from tables and reduce", function()
    local t = ml.tensor{{1, 2, 3}, {4, 5, 6}}
    assert.are.same({2, 3}, {t:shape()})
    assert.are.equal(21, t:sum())
    assert.are.equal(3.5, t:mean())
    assert.are.equal(6, t:argmax())
    assert.are.same({2, 2}, t:argmax(2):totable())
    assert.are.same({{2, 4, 6}, {8, 10, 12}}, (t * 2):totable())
    assert.are.same({{0, 0, 0}, {0, 0, 0}}, (t - t):totable())
    assert.are.same({3, 2}, {t:reshape(3, 2):shape()})
    assert.are.same({6}, {t:reshape(-1):shape()})
    assert.are.equal(6, t:reshape{-1}:numel())
    assert.are.equal(2, ml.tensor{1, 2, 3}:eq(ml.tensor{1, 0, 3}))
    assert.are.equal(0.75, ml.accuracy_score(ml.tensor{1, 2, 3, 4}, {1, 2, 3, 0}))
  end)

  it("print like numpy, with edges only when large", function()
    assert.are.equal("tensor([1, 2, 3], shape=(3,))", tostring(ml.tensor{1, 2, 3}))
    assert.are.equal("tensor([[0.5000, 1.2500],\n        [3.0000, 4.0000]], shape=(2, 2))",
      tostring(ml.tensor{{0.5, 1.25}, {3, 4}}))
    local s = tostring(ml.arange(2000))
    assert.are.equal("tensor([0, 1, 2, ..., 1997, 1998, 1999], shape=(2000,))", s)
  end)

  it("turn C errors into Lua errors with the message", function()
    assert.has_error(function() ml.tensor{{1, 2}, {3}} end, "tensor: rows of different lengths (1 and 2)")
    assert.has_error(function() ml.tensor{1, 2}:reshape(3) end, "reshape: 2 has 2 elements, the new shape 3")
    assert.has_error(function() ml.load_idx("/nonexistent.idx") end, "/nonexistent.idx: No such file or directory")
    assert.has_error(function() ml.train_test_split(ml.zeros(10, 2), {test_size = 2.5}) end,
      "test_size: 2.5 is neither a fraction in (0, 1) nor a whole count")
    assert.has_error(function() ml.train_test_split(ml.zeros(10, 2), {tests_size = 0.2}) end)
    assert.has_error(function() ml.load("nope") end,
      'nope: unknown dataset (use "mnist", "fashion" or a folder of IDX files)')
    assert.has_error(function() ml.counts(ml.tensor{1, -2}) end,
      "counts: y: label -2 at position 2 is not a small non-negative integer")
  end)

  it("round-trip through IDX files", function()
    local path = os.tmpname()
    local t = ml.tensor{{0, 1}, {2, 255}}
    ml.save_idx(path, t)
    local info = ml.idx_info(path)
    assert.are.same({2, 2}, info.shape)
    assert.are.equal("unsigned byte", info.type)
    assert.are.same(t:totable(), ml.load_idx(path):totable())
    local scaled = ml.load_idx(path, {scale = 1 / 255})
    assert.are.near(2 / 255, scaled[2][1], 1e-7)
    assert.are.equal(1, scaled[2][2])
    os.remove(path)
  end)

  it("give their memory back without collectgarbage() by hand", function()
    collectgarbage()
    local before = rss_mb()
    local peak = before
    for _ = 1, 60 do
      local big = ml.zeros(10000, 1000) -- 40 MB each, 2.4 GB in all
      big[1] = 1
      peak = math.max(peak, rss_mb())
    end
    assert.is_true(peak - before < 800, string.format("RSS grew by %.0f MB", peak - before))
  end)

  it("stay valid when their parent is collected", function()
    local row
    do
      local t = ml.arange(12):reshape(3, 4)
      row = t[2]
    end
    collectgarbage()
    collectgarbage()
    assert.are.same({4, 5, 6, 7}, row:totable())
  end)
end)
