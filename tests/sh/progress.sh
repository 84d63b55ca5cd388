#!/bin/sh
# fit's Keras-like progress (verbose = 1): on a terminal, a line redrawn in
# place per batch (at most ~10 times a second); off a terminal, only the
# finished line of each epoch.  Driven through a pseudo-terminal (script(1))
# for the bytes, and tmux for what the screen shows.
. "$(dirname "$0")/lib.sh"
unset NO_COLOR
export LANG=C.UTF-8 LC_ALL=C.UTF-8

# about a second per epoch: 3,200 rows in batches of 4
cat > "$TMP/fit.lua" <<'LUA'
local ml = ml or require "mnistlab"
local ds = ml.load("mnist")
local X, y = ds.X:rows(1, 4000), ds.y:rows(1, 4000)
local net = ml.Sequential{ml.Input{28, 28}, ml.Flatten(), ml.Dense{512, activation = "relu"},
                          ml.Dense{10, activation = "softmax"}}
net:compile{loss = "sparse_categorical_crossentropy", optimizer = "adam", metrics = {"accuracy"}}
net:fit(X, y, {epochs = 2, batch_size = 4, validation_split = 0.2, seed = 1, verbose = tonumber(os.getenv("V") or "1")})
print("done")
LUA
printf '# Fit\n\n```lua\ndofile("%s")\n```\n' "$TMP/fit.lua" > "$TMP/fit.md"

# ---- off a terminal: the finished lines only, the same for verbose 1 and 2 ----
"$MNISTLAB" "$TMP/fit.lua" > "$TMP/pipe1" 2> "$TMP/pipe1.err"
V=2 "$MNISTLAB" "$TMP/fit.lua" > "$TMP/pipe2" 2> /dev/null
check "off a terminal: one finished line per epoch, no redraws" \
    '[ "$(grep -c "^Epoch [12]/2 .*val_loss: [0-9.]*" "$TMP/pipe1")" = 2 ] && ! grep -q "$(printf "\r")" "$TMP/pipe1" "$TMP/pipe1.err"'
check "off a terminal: verbose 1 and 2 print the same lines" \
    '[ "$(sed "s/[0-9.]*m\{0,1\}s\(\/step\)\{0,1\}//g" "$TMP/pipe1")" = "$(sed "s/[0-9.]*m\{0,1\}s\(\/step\)\{0,1\}//g" "$TMP/pipe2")" ]'

if ! command -v script > /dev/null 2>&1; then
    echo "ok - # SKIP script(1) is not installed (bsdutils)"
    exit 0
fi
# ---- on a terminal (a pty), a script: Keras's two lines per epoch ----
t0=$(date +%s)
COLUMNS=100 script -qec "'$MNISTLAB' '$TMP/fit.lua'" "$TMP/ts" > /dev/null 2>&1
rc=$?
secs=$(($(date +%s) - t0 + 1))
tr '\r' '\n' < "$TMP/ts" | sed 's/\x1b\[K//g' > "$TMP/ts.lines"
check "pty: the script ran" '[ "$rc" = 0 ] && grep -q "^done" "$TMP/ts.lines"'
check "pty: 'Epoch 1/2' on a line of its own, as Keras" 'grep -q "^Epoch 1/2$" "$TMP/ts.lines" && grep -q "^Epoch 2/2$" "$TMP/ts.lines"'
check "pty: the line is redrawn in place with the count, the bar, the ETA and the running metrics" \
    '[ "$(grep -cE "^ *[0-9]+/800 \[=*>\.+\] - ETA: [0-9:]+s? - loss: [0-9.]+ - accuracy: [0-9.]+$" "$TMP/ts.lines")" -ge 3 ] &&
     grep -q "$(printf "\r\033\\[K")" "$TMP/ts"'
check "pty: each epoch ends with Keras's finished line" \
    '[ "$(grep -cE "^800/800 \[={30}\] - [0-9.:]+s? [0-9]+[mu]?s/step - loss: [0-9.]+ - accuracy: [0-9.]+ - val_loss: [0-9.]+ - val_accuracy: [0-9.]+$" "$TMP/ts.lines")" = 2 ]'
redraws=$(grep -ao "$(printf "\r\033\\[K")" "$TMP/ts" | wc -l)
check "pty: at most about 10 redraws a second ($redraws in ${secs}s)" '[ "$redraws" -le $((secs * 10 + 12)) ]'
check "pty: our own stderr progress line keeps quiet while fit draws" '! grep -q "Ctrl-C stops" "$TMP/ts.lines"'

# stock lua5.4 with the module: the same, on stdout
if command -v lua5.4 > /dev/null 2>&1 && [ -e "$ROOT/$BUILD/mnistlab.so" ]; then
    COLUMNS=100 LUA_CPATH="$ROOT/$BUILD/?.so;;" script -qec "lua5.4 '$TMP/fit.lua'" "$TMP/ts2" > /dev/null 2>&1
    tr '\r' '\n' < "$TMP/ts2" | sed 's/\x1b\[K//g' > "$TMP/ts2.lines"
    check "lua5.4 on a pty: the header, the redrawn line and the finished line" \
        'grep -q "^Epoch 2/2$" "$TMP/ts2.lines" && grep -qE "^ *[0-9]+/800 \[=*>\.+\] - ETA" "$TMP/ts2.lines" &&
         [ "$(grep -cE "^800/800 \[={30}\] - .* - val_accuracy: [0-9.]+$" "$TMP/ts2.lines")" = 2 ]'
fi

# ---- mnistlab run on a terminal: the line while the epoch runs, then the report's line ----
COLUMNS=100 script -qec "'$MNISTLAB' run '$TMP/fit.md' --out '$TMP/report-tty.md'" "$TMP/ts3" > /dev/null 2>&1
tr '\r' '\n' < "$TMP/ts3" | sed 's/\x1b\[[0-9;]*[A-Za-z]//g' > "$TMP/ts3.lines"
"$MNISTLAB" run "$TMP/fit.md" --out "$TMP/report-pipe.md" > /dev/null 2>&1
check "run on a pty: the line with its epoch, redrawn in place" \
    'grep -qE "^Epoch 1/2  +[0-9]+/800 \[=*>\.+\] - ETA" "$TMP/ts3.lines"'
check "run on a pty: the cell gets the report's epoch lines" \
    '[ "$(grep -cE "^Epoch [12]/2 .*val_loss" "$TMP/ts3.lines")" = 2 ]'
untimed() { sed 's/[0-9.]*m\{0,1\}s\(\/step\)\{0,1\}//g' "$1"; }
check "run on a pty: the report is the same as off a terminal" '[ "$(untimed "$TMP/report-tty.md")" = "$(untimed "$TMP/report-pipe.md")" ]'

# ---- what the screen shows (tmux): no half line left behind ----
if command -v tmux > /dev/null 2>&1; then
    SOCK="mnistlab-progress-$$"
    T() { tmux -L "$SOCK" -f /dev/null "$@"; }
    trap 'T kill-server 2>/dev/null; rm -rf "$TMP"' EXIT
    T new-session -d -s fit -x 100 -y 30 "'$MNISTLAB' '$TMP/fit.lua'; echo EXITED \$?; sleep 600"
    seen=0 n=0
    while [ $n -lt 600 ]; do
        T capture-pane -p -t fit > "$TMP/pane" 2>/dev/null
        grep -qE "^ *[0-9]+/800 \[=*>\.+\] - ETA" "$TMP/pane" && seen=1
        grep -q "^EXITED" "$TMP/pane" && break
        sleep 0.1
        n=$((n + 1))
    done
    check "tmux: the running line is on screen while fit runs" '[ "$seen" = 1 ]'
    check "tmux: at the end, Keras's lines and nothing half drawn" \
        'grep -q "^EXITED 0" "$TMP/pane" && [ "$(grep -c "^Epoch [12]/2$" "$TMP/pane")" = 2 ] &&
         [ "$(grep -cE "^800/800 \[={30}\] - " "$TMP/pane")" = 2 ] && ! grep -q "ETA" "$TMP/pane"'
    # a print after work that drew our stderr progress line starts on a clean line
    cat > "$TMP/after.lua" <<'LUA'
local ml = require "mnistlab"
local X = ml.load("mnist").X
local net = ml.Sequential{ml.Input{28, 28}, ml.Flatten(), ml.Dense{10, activation = "softmax"}}
local p = net:predict(X)
print("after", #p)
LUA
    T new-session -d -s after -x 100 -y 10 "'$MNISTLAB' '$TMP/after.lua'; echo EXITED \$?; sleep 600"
    n=0
    while [ $n -lt 300 ]; do
        T capture-pane -p -t after > "$TMP/pane2" 2>/dev/null
        grep -q "^EXITED" "$TMP/pane2" && break
        sleep 0.1
        n=$((n + 1))
    done
    check "tmux: a script's print after a progress line starts on a clean line" \
        'grep -qE "^after +10000$" "$TMP/pane2" && ! grep -q "Ctrl-C stops" "$TMP/pane2"'
fi
