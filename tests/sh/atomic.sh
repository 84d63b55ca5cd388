# SIGKILL storm: a writer replacing a file over and over is killed at random moments; every time, the
# file is whole, the old version or the new one, never a mix.  (core/fileio.h's atomic writes.)
. tests/sh/lib.sh
cat > "$TMP/writer.lua" <<'LUA'
local ml = require "mnistlab"
local path = arg[1]
local a, b = ml.full(1000, 1000, 1), ml.full(1000, 1000, 2)
ml.save_idx(path, a)
io.open(path .. ".ready", "w"):close()
while true do ml.save_idx(path, b) ml.save_idx(path, a) end
LUA
cat > "$TMP/check.lua" <<'LUA'
local ml = require "mnistlab"
local t = ml.load_idx(arg[1])
local n = t:numel()
assert(n == 1000000, "size " .. n)
assert(t:min() == t:max() and (t:min() == 1 or t:min() == 2), "mixed content")
LUA
bad=0
i=0
while [ $i -lt 25 ]; do
    rm -f "$TMP/f.idx.ready"
    "$MNISTLAB" "$TMP/writer.lua" "$TMP/f.idx" &
    pid=$!
    while [ ! -e "$TMP/f.idx.ready" ]; do sleep 0.01; done
    sleep "0.0$(( (i * 37) % 10 ))$(( (i * 13) % 10 ))"
    kill -9 $pid 2>/dev/null
    wait $pid 2>/dev/null
    if ! "$MNISTLAB" "$TMP/check.lua" "$TMP/f.idx" > "$TMP/check.out" 2>&1; then
        bad=$((bad + 1)); sed 's/^/# /' "$TMP/check.out"
    fi
    i=$((i + 1))
done
check "25 kills during saves: the file was always whole (old or new)" '[ $bad -eq 0 ]'
