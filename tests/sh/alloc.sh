# Allocations that cannot be satisfied (tensors, models, IDX headers that lie
# about their size) are clean Lua errors, never a crash or an abort: in stock
# lua5.4 (no memory cap), in mnistlab under its default cap and under a small one.
. tests/sh/lib.sh

# 2^31 rows of 1x1 pixels declared, 6 bytes present; its labels likewise.
printf '\0\0\10\3\200\0\0\0\0\0\0\1\0\0\0\1abcdef' > "$TMP/huge.idx"
gzip -c "$TMP/huge.idx" > "$TMP/huge.idx.gz"
mkdir -p "$TMP/huge"
cp "$TMP/huge.idx" "$TMP/huge/t10k-images-idx3-ubyte"
printf '\0\0\10\1\200\0\0\0abc' > "$TMP/huge/t10k-labels-idx1-ubyte"
# 2^31 x 2^31 x 2^31 bytes: the sizes overflow
printf '\0\0\10\3\200\0\0\0\200\0\0\0\200\0\0\0abc' > "$TMP/overflow.idx"

cat > "$TMP/alloc.lua" <<'EOF'
local ml = ml or require "mnistlab"
local capped = arg[2] == "capped"
local function refuses(name, pattern, f)
  local ok, err = pcall(f)
  if not ok and tostring(err):find(pattern) and not tostring(err):find("\n") then
    print("ok - " .. arg[1] .. ": " .. name)
  else
    print("not ok - " .. arg[1] .. ": " .. name)
    print("# " .. (ok and "no error" or tostring(err)):gsub("\n", "\n# "))
  end
end
local dir = arg[3]
refuses("ml.zeros{1e6, 1e6}", "memory", function() return ml.zeros{1e6, 1e6} end)
refuses("ml.zeros(1e6, 1e6)", "memory", function() return ml.zeros(1e6, 1e6) end)
refuses("ml.full({1e6, 1e6}, 2)", "memory", function() return ml.full({1e6, 1e6}, 2) end)
refuses("ml.zeros(2^40, 2^40) overflows", "overflow", function() return ml.zeros(2^40, 2^40) end)
refuses("reshape past 2^63", "overflow", function() return ml.zeros(4):reshape{2^62, 4} end)
refuses("ml.arange(1e13)", "too many", function() return ml.arange(1e13) end)
if capped then
  refuses("a 1.5 GB tensor under a 64 MB cap", "not enough memory", function() return ml.zeros(2e4, 2e4) end)
end
local X = ml.zeros(20, 4)
refuses("KMeans{n_clusters = 1e9}", "n_clusters", function() return ml.KMeans{n_clusters = 1e9}:fit(X) end)
refuses("KMeans{n_clusters = 2^31}", "n_clusters", function() return ml.KMeans{n_clusters = 2^31} end)
refuses("GaussianMixture{n_components = 1e9}", "n_components", function()
  return ml.GaussianMixture{n_components = 1e9}:fit(X) end)
refuses("PCA{n_components = 1e9}", "n_components", function() return ml.PCA{n_components = 1e9}:fit(X) end)
refuses("KNeighborsClassifier{n_neighbors = 1e9}", "n_neighbors", function()
  return ml.KNeighborsClassifier{n_neighbors = 1e9}:fit(X, ml.zeros(20)) end)
refuses("Dense{1e9}", "Dense", function() return ml.Sequential{ml.Input{4}, ml.Dense{1e9}} end)
refuses("Dense{1e6} after Dense{1e6}", "too large", function()
  return ml.Sequential{ml.Input{784}, ml.Dense{1e6}, ml.Dense{1e6}} end)
refuses("Conv2D{1e6, 3}", "too large", function()
  return ml.Sequential{ml.Input{28, 28, 1}, ml.Conv2D{1e6, 3}, ml.Flatten(), ml.Dense{10}} end)
refuses("IDX declaring 2^31 rows in 22 bytes", "truncated: the header declares 2147483648",
        function() return ml.load_idx(dir .. "/huge.idx") end)
refuses("gzipped IDX declaring 2^31 rows", "truncated: the header declares 2147483648",
        function() return ml.load_idx(dir .. "/huge.idx.gz") end)
refuses("a dataset folder of such files", "truncated: the header declares 2147483648",
        function() return ml.load(dir .. "/huge") end)
refuses("IDX whose dimensions overflow", "dimensions overflow", function() return ml.load_idx(dir .. "/overflow.idx") end)
-- and the session goes on
local t = ml.zeros(3, 3)
print((t:sum() == 0 and "ok" or "not ok") .. " - " .. arg[1] .. ": the session goes on after the errors")
EOF

# A network file whose layers claim 1.6e9 weights while it holds 303: refused
# before anything is allocated (no 7 GB of zeros to fill first).
echo 'ml.Sequential{ml.Input{100}, ml.Dense{3}}:save(arg[1])' > "$TMP/save.lua"
"$MNISTLAB" "$TMP/save.lua" "$TMP/small.model"
cat > "$TMP/liar.py" <<'PY'
import struct, sys, zlib
d = open(sys.argv[1], "rb").read()
klen = struct.unpack_from("<H", d, 12)[0]
head, off = d[:14 + klen], 14 + klen
count = struct.unpack_from("<I", d, off)[0]
off += 4
out = b""
for _ in range(count):
    nl = struct.unpack_from("<H", d, off)[0]
    name = d[off + 2:off + 2 + nl]
    off += 2 + nl
    size = struct.unpack_from("<Q", d, off)[0]
    off += 8
    body = d[off:off + size]
    off += size
    if name == b"arch":
        body = body.replace(b"\n1 dense 3 ", b"\n1 dense 16000000 ")
    out += struct.pack("<H", nl) + name + struct.pack("<Q", len(body)) + body
data = head + struct.pack("<I", count) + out
open(sys.argv[2], "wb").write(data + struct.pack("<I", zlib.crc32(data)))
PY
python3 "$TMP/liar.py" "$TMP/small.model" "$TMP/liar.model"
echo 'print(select(2, pcall(ml.load_model, arg[1])))' > "$TMP/load.lua"
if [ "${SANITIZE:-0}" = 1 ]; then # ASan reserves terabytes of address space: no ulimit -v
    "$MNISTLAB" "$TMP/load.lua" "$TMP/liar.model" > "$TMP/liar.out" 2>&1
else
    (ulimit -v 1500000; "$MNISTLAB" "$TMP/load.lua" "$TMP/liar.model") > "$TMP/liar.out" 2>&1
fi
check "a network file claiming 1.6e9 weights in 303 is refused before allocating them" \
    'grep -q "liar.model: .*the weights do not match the layers" "$TMP/liar.out"'

run() { # how, command...
    how=$1; shift
    "$@" > "$TMP/run.out" 2>&1
    rc=$?
    cat "$TMP/run.out" | grep -E '^(not )?ok|^#'
    if [ "$rc" -ne 0 ]; then echo "not ok - $how: exit status $rc"; tail -n 5 "$TMP/run.out" | sed 's/^/# /'; fi
}
if command -v lua5.4 > /dev/null 2>&1 && [ -e "$ROOT/$BUILD/mnistlab.so" ]; then
    run "lua5.4, no cap" env LUA_CPATH="$ROOT/$BUILD/?.so;;" lua5.4 "$TMP/alloc.lua" "lua5.4, no cap" free "$TMP"
fi
run "mnistlab, default cap" "$MNISTLAB" "$TMP/alloc.lua" "mnistlab, default cap" default "$TMP"
run "mnistlab, 64 MB cap" env MNISTLAB_MEMORY_LIMIT=64 "$MNISTLAB" "$TMP/alloc.lua" "mnistlab, 64 MB cap" capped "$TMP"
