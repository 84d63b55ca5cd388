# Cells that misbehave (runaway recursion, os.exit, reading stdin, a removed
# hook, a stopped collector, megabytes of output): each ends as a message in
# its own output and the next cell runs, headless and in the TUI.
. tests/sh/lib.sh
AWK=$ROOT/tests/fixtures/notebook/awkward.md
export MNISTLAB_MEMORY_LIMIT=256
unset MNISTLAB_OUTPUT_LIMIT MNISTLAB_DATASET NO_COLOR
export LANG=C.UTF-8 LC_ALL=C.UTF-8

# ---- the awkward notebook, headless ----
cp "$AWK" "$TMP/awkward.md"
"$MNISTLAB" run "$TMP/awkward.md" --out "$TMP/awk.md" > "$TMP/awk.out" 2> "$TMP/awk.err" < /dev/null
rc=$?
R=$TMP/awk.md
check "awkward notebook: exit 1 (cells failed), not killed" '[ $rc = 1 ]'
check "awkward notebook: stdout is the report" 'cmp -s "$TMP/awk.out" "$R"'
check "awkward notebook: every cell has its own output" '[ "$(grep -c "^\`\`\`output mnistlab$" "$R")" = 20 ]'
check "runaway Lua recursion: stack overflow" 'grep -q "^cell 1:1: stack overflow$" "$R"'
check "recursion through a C metamethod: C stack overflow" 'grep -q "^cell 2:1: C stack overflow$" "$R"'
check "recursion through string.gsub: C stack overflow" 'grep -qx "C stack overflow" "$R"'
check "pcall nested until the C stack ends: the innermost fails cleanly" 'grep -q "^true	C stack overflow$" "$R"'
check "string.rep too large" 'grep -q "^cell 5:1: resulting string too large$" "$R"'
check "string.rep past the memory cap: not enough memory" 'grep -qx "not enough memory" "$R"'
check "error(nil)" 'grep -q "^(error object is a nil value)$" "$R"'
check "an error object whose __tostring fails" 'grep -q "^(error object is a table value whose __tostring failed: cell 8:1: x)$" "$R"'
check "yield outside a coroutine" 'grep -q "^attempt to yield from outside a coroutine$" "$R"'
check "an error inside a coroutine" 'grep -q "^cell 10:2: cell 10:1: inside the coroutine$" "$R"'
check "resuming the running coroutine" 'grep -q "^false	cannot resume non-suspended coroutine$" "$R"'
check "io.read() is refused, not waited for" 'grep -q "^cell 12:1: io.read: a notebook cell cannot read standard input" "$R"'
check "io.lines() is refused" 'grep -q "^cell 13:1: io.lines: a notebook cell cannot read standard input" "$R"'
check "collectgarbage(\"stop\"): the cell says the collector runs again" 'grep -q "^collector stopped$" "$R" && grep -q "^\[mnistlab: this cell stopped the garbage collector" "$R"'
check "debug.sethook is refused (the hook stops cells)" 'grep -q "^cell 15:1: debug.sethook: not in a notebook cell" "$R" && ! grep -q "^the hook is gone	" "$R"'
check "os.exit(true) does not end the run" 'grep -q "^cell 16:1: os.exit: a notebook cell cannot end mnistlab (the cells after it still run)$" "$R"'
check "os.exit() does not end the run" 'grep -q "^cell 17:1: os.exit: a notebook cell cannot end mnistlab" "$R"'
check "binary chunks are refused" 'grep -q "attempt to load a binary chunk" "$R"'
check "a 1 MB error message is cut in the middle" 'grep -q "^\[mnistlab cut [0-9]* bytes of this message here\]$" "$R" && [ "$(wc -c < "$R")" -lt 200000 ]'
check "the last cell ran, with the collector running" 'grep -q "^last cell ran; collector running:	true$" "$R"'
check "stderr names each failing cell" '[ "$(grep -c "awkward.md: cell [0-9]* (line [0-9]*) failed" "$TMP/awk.err")" = 15 ]'

# a script keeps os.exit: it is a program of its own
printf 'print("before")\nos.exit(3)\nprint("after")\n' > "$TMP/exit.lua"
"$MNISTLAB" "$TMP/exit.lua" > "$TMP/exit.out" 2>&1
rc=$?
check "mnistlab SCRIPT.lua: os.exit(3) ends the script with status 3" '[ $rc = 3 ] && [ "$(cat "$TMP/exit.out")" = before ]'

# Ctrl-C reaches the notebook even through code that catches every error:
# the first one is an error such code catches, the second one is not
printf '```lua\nwhile true do pcall(function() while true do end end) end\n```\n\n```lua\nprint("not reached")\n```\n' > "$TMP/pcall.md"
"$MNISTLAB" run "$TMP/pcall.md" > "$TMP/pcall.out" 2>&1 &
pid=$!
i=0
while [ $i -lt 100 ] && ! grep -q "while true" "$TMP/pcall.out" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
sleep 0.3
kill -INT $pid
sleep 1
alive=no
kill -0 $pid 2>/dev/null && alive=yes
kill -INT $pid 2>/dev/null
i=0
while [ $i -lt 100 ] && kill -0 $pid 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
kill -0 $pid 2>/dev/null && kill -9 $pid
wait $pid
rc=$?
check "one SIGINT is caught by a loop that pcall()s every error" '[ $alive = yes ]'
check "a second SIGINT stops it: exit 1, the next cell not run" '[ $rc = 1 ] && grep -q "^interrupted$" "$TMP/pcall.out" && ! grep -q "^not reached" "$TMP/pcall.out"'

# ---- megabytes of output, headless ----
printf '```lua\nfor i = 1, 200000 do print(i, ("x"):rep(40)) end\n```\n\n```lua\nprint("next cell")\n```\n' > "$TMP/big.md"
"$MNISTLAB" run "$TMP/big.md" --out "$TMP/big-report.md" > /dev/null 2>&1
rc=$?
check "200,000 printed lines (9 MB): the report keeps them all" '[ $rc = 0 ] && [ "$(grep -c "^[0-9]*	x\{40\}$" "$TMP/big-report.md")" = 200000 ] && grep -q "^next cell$" "$TMP/big-report.md"'
check "under the cap, no cut note" '! grep -q "mnistlab cut" "$TMP/big-report.md"'
MNISTLAB_OUTPUT_LIMIT=1 "$MNISTLAB" run "$TMP/big.md" --out "$TMP/cut-report.md" > /dev/null 2>&1
rc=$?
# which lines survived: the first and last numbered ones, and the note's own numbers
first_cut=$(sed -n 's/^\[mnistlab cut this output here: [0-9]* bytes not kept (lines \([0-9]*\) to \([0-9]*\)).*/\1/p' "$TMP/cut-report.md")
last_cut=$(sed -n 's/^\[mnistlab cut this output here: [0-9]* bytes not kept (lines \([0-9]*\) to \([0-9]*\)).*/\2/p' "$TMP/cut-report.md")
awk -F'\t' '/^[0-9]+\tx+$/ { print $1 }' "$TMP/cut-report.md" > "$TMP/kept"
check "over MNISTLAB_OUTPUT_LIMIT=1 (MB): one note says which lines were cut" '[ $rc = 0 ] && [ "$(grep -c "mnistlab cut this output here" "$TMP/cut-report.md")" = 1 ] && [ -n "$first_cut" ] && [ -n "$last_cut" ]'
check "the report keeps lines 1 to the cut, and the cut's end to 200000, nothing else" '[ "$(head -n 1 "$TMP/kept")" = 1 ] && [ "$(tail -n 1 "$TMP/kept")" = 200000 ] && [ "$(wc -l < "$TMP/kept")" = $((200000 - (last_cut - first_cut + 1))) ] && grep -qx "$((first_cut - 1))" "$TMP/kept" && grep -qx "$((last_cut + 1))" "$TMP/kept" && ! grep -qx "$first_cut" "$TMP/kept" && ! grep -qx "$last_cut" "$TMP/kept"'
check "the cut report stays near the cap" '[ "$(wc -c < "$TMP/cut-report.md")" -lt 1100000 ] && grep -q "^next cell$" "$TMP/cut-report.md"'
MNISTLAB_OUTPUT_LIMIT=1 "$MNISTLAB" run "$TMP/cut-report.md" --out "$TMP/cut-again.md" > /dev/null 2>&1
check "running the cut report again gives the same report" 'cmp -s "$TMP/cut-report.md" "$TMP/cut-again.md"'

# ---- the same in the TUI (tmux) ----
if ! command -v tmux > /dev/null 2>&1; then
    echo "ok - # SKIP tmux is not installed (scripts/deps build test)"
    exit 0
fi
SOCK="mnistlab-misbehave-$$"
T() { tmux -L "$SOCK" -f /dev/null "$@"; }
trap 'T kill-server 2>/dev/null; rm -rf "$TMP"' EXIT
start() {
    name=$1 cols=$2 rows=$3; shift 3
    T new-session -d -s "$name" -x "$cols" -y "$rows" "cd '$TMP' && $*; echo EXITED \$?; sleep 600"
}
wait_for() {
    n=0 limit=$(( ${3:-10} * 10 ))
    while [ $n -lt $limit ]; do
        T capture-pane -p -t "$1" > "$TMP/pane" 2>/dev/null
        grep -qE -- "$2" "$TMP/pane" && return 0
        sleep 0.1
        n=$((n + 1))
    done
    echo "# timed out waiting for: $2"; sed 's/^/#   |/' "$TMP/pane"
    return 1
}
keys() { s=$1; shift; T send-keys -t "$s" "$@"; }

cp "$AWK" "$TMP/awkward.md"
start awk 100 30 "'$MNISTLAB' awkward.md"
wait_for awk "Cells that misbehave" > /dev/null
# run each cell in turn; the status line gives each one's first line
status() { tail -n 1 "$TMP/pane"; }
: > "$TMP/tui-status"
k=1
while [ $k -le 20 ]; do
    keys awk r
    if wait_for awk "^ cell $k (failed|ran|stopped)" 20 > /dev/null; then status >> "$TMP/tui-status"; else echo "cell $k: no status" >> "$TMP/tui-status"; fi
    keys awk Tab
    k=$((k + 1))
done
S=$TMP/tui-status
check "TUI: all 20 cells ran, one after the other" '[ "$(grep -c "^ cell [0-9]* \(failed\|ran\)" "$S")" = 20 ]'
check "TUI: runaway recursion" 'grep -q "^ cell 1 failed: cell 1:1: stack overflow" "$S" && grep -q "^ cell 2 failed: cell 2:1: C stack overflow" "$S" && grep -q "^ cell 3 failed: C stack overflow" "$S"'
check "TUI: string.rep too large, and past the memory cap" 'grep -q "^ cell 5 failed: cell 5:1: resulting string too large" "$S" && grep -q "^ cell 6 failed: not enough memory" "$S"'
check "TUI: error(nil), a failing __tostring" 'grep -q "^ cell 7 failed: (error object is a nil value)" "$S" && grep -q "^ cell 8 failed: (error object is a table value whose __tostring failed" "$S"'
check "TUI: coroutine misuse" 'grep -q "^ cell 9 failed: attempt to yield from outside a coroutine" "$S" && grep -q "^ cell 10 failed: .*inside the coroutine" "$S"'
check "TUI: io.read() and io.lines() are refused" 'grep -q "^ cell 12 failed: cell 12:1: io.read: a notebook cell cannot read standard input" "$S" && grep -q "^ cell 13 failed: cell 13:1: io.lines" "$S"'
check "TUI: debug.sethook is refused" 'grep -q "^ cell 15 failed: cell 15:1: debug.sethook: not in a notebook cell" "$S"'
check "TUI: os.exit(true) and os.exit() do not end the app" 'grep -q "^ cell 16 failed: cell 16:1: os.exit: a notebook cell cannot end mnistlab (q quits)" "$S" && grep -q "^ cell 17 failed: cell 17:1: os.exit" "$S"'
check "TUI: the last cell ran with the collector running again" 'grep -q "^ cell 20 ran" "$S" && grep -q "last cell ran; collector running: *true" "$TMP/pane"'
check "TUI: the app is still up" '! grep -q EXITED "$TMP/pane"'
keys awk / "collector stopped" Enter
check "TUI: the collector note is under its cell" 'wait_for awk "this cell stopped the garbage collector"'
keys awk q n
check "TUI: quits normally afterwards" 'wait_for awk "EXITED 0"'

# megabytes of output: head, note, tail; scrolling stays quick
printf '```lua\nfor i = 1, 200000 do print(i, ("x"):rep(40)) end\n```\n\n```lua\nprint(("y"):rep(500000))\n```\n\n```lua\nprint("after the flood")\n```\n' > "$TMP/flood.md"
start flood 80 24 "MNISTLAB_OUTPUT_LIMIT=4 '$MNISTLAB' flood.md"
wait_for flood "cell 1" > /dev/null
keys flood A
check "TUI: 200,000 lines and a 500 KB line run to the end" 'wait_for flood "ran cells 1 to 3" 60'
keys flood g
check "TUI: the head of the output is on screen" 'wait_for flood "^ *│ +1 +x{40}" && grep -qE "│ +2 +x{40}" "$TMP/pane"'
keys flood / "lines not shown" Enter
check "TUI: a note says how many lines are not shown" 'wait_for flood "\.\.\. [0-9]+ lines not shown"'
keys flood / "mnistlab cut" Enter
check "TUI: the cut note names the lines the cap cut" 'wait_for flood "mnistlab cut this output here: [0-9]+ bytes not kept" && grep -qE "\(lines [0-9]+ to [0-9]+\)" "$TMP/pane"'
keys flood / "200000  " Enter
check "TUI: the tail of the output is on screen" 'wait_for flood "│ +200000 +x{40}" && grep -qE "│ +199999 +x{40}" "$TMP/pane"'
check "TUI: a 500 KB line wraps a few rows, then says how much is left" 'grep -q "more bytes on this line" "$TMP/pane" || { keys flood / "more bytes" Enter; wait_for flood "more bytes on this line"; }'
# scrolling: a page down and back up answers at once
keys flood g
wait_for flood "^ *│ +1 +x{40}" > /dev/null
keys flood Space Space Space
check "TUI: Space pages down through the big output" 'wait_for flood "│ +6[0-9] +x{40}" 5'
keys flood G
check "TUI: G goes to the end, past the flood" 'wait_for flood "after the flood" 5'
keys flood q n
check "TUI: quits after the flood" 'wait_for flood "EXITED 0"'

# Ctrl-C twice in the TUI stops a loop that catches every error
printf '```lua\nwhile true do pcall(function() while true do end end) end\n```\n\n```lua\nprint("still here", 6 * 7)\n```\n' > "$TMP/pcall.md"
start pcall 80 24 "'$MNISTLAB' pcall.md"
wait_for pcall "cell 1" > /dev/null
keys pcall r
wait_for pcall "running: Ctrl-C stops the cell" > /dev/null
keys pcall C-c
check "TUI: the first Ctrl-C is caught by the cell; the status line says to press it again" 'wait_for pcall "stopping: Ctrl-C again stops even code that catches errors"'
keys pcall C-c
check "TUI: the second Ctrl-C stops it" 'wait_for pcall "cell 1 stopped: interrupted"'
keys pcall Tab r
check "TUI: the next cell runs" 'wait_for pcall "still here +42"'
keys pcall q n
wait_for pcall "EXITED 0" > /dev/null
