# The TUI, driven through tmux as a user would: keys in, screen captured.
# Every wait polls the pane with a timeout instead of sleeping blindly.
. tests/sh/lib.sh
if ! command -v tmux > /dev/null 2>&1; then
    echo "ok - # SKIP tmux is not installed (scripts/deps build test)"
    exit 0
fi
LAB=$ROOT/data/notebooks/mnist-lab.md
SOCK="mnistlab-test-$$"
T() { tmux -L "$SOCK" -f /dev/null "$@"; }
trap 'T kill-server 2>/dev/null; rm -rf "$TMP"' EXIT
unset MNISTLAB_DATASET NO_COLOR
export LANG=C.UTF-8 LC_ALL=C.UTF-8

# start NAME COLS ROWS COMMAND: the command runs in a shell that reports its exit
start() {
    name=$1 cols=$2 rows=$3; shift 3
    T new-session -d -s "$name" -x "$cols" -y "$rows" "cd '$TMP' && $*; echo EXITED \$?; sleep 600"
}
screen() { T capture-pane -p -t "$1"; }
# wait_for NAME PATTERN [SECONDS]: true once the pane matches (grep -E)
wait_for() {
    n=0 limit=$(( ${3:-10} * 10 ))
    while [ $n -lt $limit ]; do
        screen "$1" > "$TMP/pane" 2>/dev/null
        grep -qE -- "$2" "$TMP/pane" && return 0
        sleep 0.1
        n=$((n + 1))
    done
    echo "# timed out waiting for: $2"; sed 's/^/#   |/' "$TMP/pane"
    return 1
}
keys() { s=$1; shift; T send-keys -t "$s" "$@"; }

# ---- the whole built-in lab opens with its outline ----
start full 80 24 "'$MNISTLAB'"
check "mnistlab with no argument opens the built-in lab" 'wait_for full "^ mnistlab  mnist-lab.md" && wait_for full "1\. The data"'
check "the outline lists the later sections" 'wait_for full "^2 Unsupervised|^2\. Unsupervised"'
keys full s
check "s on the built-in lab asks for a copy's name" 'wait_for full "the built-in lab stays as shipped; save a copy as: mnist-lab.md"'
keys full Enter
check "the copy of a lab nothing ran has the same bytes" 'wait_for full "saved mnist-lab.md" && cmp -s "$TMP/mnist-lab.md" "$LAB"'
keys full q
check "q quits at once when nothing changed" 'wait_for full "EXITED 0"'
start full2 80 24 "'$MNISTLAB'"
wait_for full2 "1\. The data" > /dev/null
keys full2 Tab r
wait_for full2 "ran cell 1" 20 > /dev/null
keys full2 q
check "q on the built-in lab with outputs offers a copy, not the shipped file" \
    'wait_for full2 "Save your outputs in a copy of the lab before quitting" && ! grep -q "Save changes to" "$TMP/pane"'
keys full2 n
check "n then quits without saving" 'wait_for full2 "EXITED 0"'

# ---- section 1 at 80x24 and at 200x50: digit grid, counts ----
# (the later sections train models: too slow to run in a test)
awk '/^## / && ++h == 2 { exit } { print }' "$LAB" > "$TMP/mnist-lab.md"
for size in 80x24 200x50; do
    cols=${size%x*} rows=${size#*x}
    s="lab$cols"
    start "$s" "$cols" "$rows" "'$MNISTLAB' mnist-lab.md"
    check "$size: opens the lab with its outline" 'wait_for $s "Q3\. Are the classes" && wait_for $s "1\. The data"'
    check "$size: the status line names the keys" 'grep -qE "r runs a cell|r run" "$TMP/pane" && grep -q "? " "$TMP/pane"'
    if [ "$cols" = 80 ]; then
        keys "$s" n n
        check "n moves to the next question" 'wait_for $s "^ mnistlab  mnist-lab.md  Q1\. What is the shape"'
        keys "$s" n p
        check "p moves back" 'wait_for $s "^ mnistlab  mnist-lab.md  Q1\. What is the shape" && grep -q "print(\"images X:\", shape(X))" "$TMP/pane"'
        keys "$s" n a
        check "a runs every cell up to the selected one (Q2's split)" 'wait_for $s "ran cells 1 to 5" 20 && grep -qE "train X: +\(8000, 28, 28\)" "$TMP/pane"'
    fi
    keys "$s" A
    check "$size: A runs every cell" 'wait_for $s "ran cells 1 to 8" 20'
    keys "$s" / "Class 7" Enter
    check "$size: the 5x5 grid is on screen, titled Class N" 'wait_for $s "Class 7 +Class 2 +Class 1 +Class 0 +Class 4" && wait_for $s "Class 1 +Class 4 +Class 9 +Class 5 +Class 9"'
    check "$size: the grid's digits are drawn" 'grep -qE "[█▓▒░▄▀]{3}" "$TMP/pane"'
    keys "$s" / "class  " Enter
    check "$size: the label counts are on screen" 'wait_for $s "all +8000 +2000 +10000" && wait_for $s "1 +908 +227 +1135"'
    keys "$s" / "Labels in the training" Enter
    check "$size: the bar chart of the training labels" 'wait_for $s "Labels in the training set" && wait_for $s "908"'
    T resize-window -t "$s" -x 20 -y 10
    check "$size: at 20x10 it says politely that it is too small" 'wait_for $s "needs at least"'
    T resize-window -t "$s" -x "$cols" -y "$rows"
    check "$size: back at $size it draws the notebook again" 'wait_for $s "Labels in the training set" && ! grep -q "needs at least" "$TMP/pane"'
    keys "$s" q
    check "$size: q asks before dropping unsaved outputs" 'wait_for $s "Save changes to .* before quitting"'
    keys "$s" n
    check "$size: then quits with status 0" 'wait_for $s "EXITED 0"'
done

# ---- errors, Ctrl-C, the session survives ----
cp "$ROOT/tests/fixtures/notebook/tui.md" "$TMP/tui.md"
start err 80 24 "'$MNISTLAB' tui.md"
wait_for err "TUI test notebook" > /dev/null
keys err r
check "an erroring cell shows its error" 'wait_for err "deliberate failure in cell one" && wait_for err "cell 1 failed"'
keys err Tab r
check "an endless cell runs and says Ctrl-C stops it" 'wait_for err "running, Ctrl-C stops"'
keys err C-c
check "Ctrl-C stops it; the app stays up" 'wait_for err "cell 2 stopped: interrupted" && ! grep -q EXITED "$TMP/pane"'
keys err Tab r
check "the next cell still runs in the same session" 'wait_for err "after the loop: 42"'
keys err "?"
check "? shows every key" 'wait_for err "mnistlab keys" && grep -q "run every cell from the first" "$TMP/pane"'
sleep 1
check "the help stays until a key is pressed" 'wait_for err "mnistlab keys"'
keys err Escape

# ---- Ctrl-C inside a long C computation (KMeans polls ml_progress_update) ----
cat > "$TMP/long.md" <<'EOF'
```lua
km = ml.KMeans{n_clusters = 50, n_init = 100, max_iter = 500, random_state = 0}
km:fit(ml.load("mnist", {subset = "test"}).X)
```

```lua
print("next cell", 6 * 7)
```
EOF
start long 80 24 "'$MNISTLAB' long.md"
wait_for long "cell 1" > /dev/null
keys long r
check "a long C loop shows its progress on the status line, as a bar with an ETA" 'wait_for long "kmeans [0-9]+/100 +[0-9]+% [░▏▎▍▌▋▊▉█]+ [0-9]+/500 .*ETA"'
keys long C-c
check "Ctrl-C stops the C loop; the app stays up" 'wait_for long "cell 1 stopped: .*interrupted" && ! grep -q EXITED "$TMP/pane"'
keys long Tab r
check "the Lua state is still usable afterwards" 'wait_for long "next cell +42"'
keys long q n

# ---- edit in $EDITOR, save, reopen ----
cat > "$TMP/editor.sh" <<'EOF'
#!/bin/sh
printf 'print("edited " .. 2 * 21)\n' > "$1"
EOF
chmod +x "$TMP/editor.sh"
keys err q
wait_for err "Save changes" > /dev/null
keys err n
wait_for err "EXITED 0" > /dev/null
T kill-session -t err
start edit 80 24 "EDITOR='$TMP/editor.sh' '$MNISTLAB' tui.md"
wait_for edit "TUI test notebook" > /dev/null
keys edit Tab Tab e
check "e edits the selected cell in \$EDITOR" 'wait_for edit "cell 3 edited" && grep -q "print(\"edited \" .. 2 \* 21)" "$TMP/pane"'
keys edit r
check "the edited cell runs" 'wait_for edit "edited 42"'
keys edit s
check "s saves" 'wait_for edit "saved tui.md"'
keys edit w BSpace BSpace BSpace BSpace BSpace BSpace "copy.md" Enter
check "w saves a copy under another name" 'wait_for edit "saved copy.md" && cmp -s "$TMP/copy.md" "$TMP/tui.md"'
keys edit q
check "quitting after a save does not ask" 'wait_for edit "EXITED 0"'
check "the saved notebook holds the edit and its output" 'grep -q "print(\"edited \" .. 2 \* 21)" "$TMP/tui.md" && grep -q "^edited 42$" "$TMP/tui.md"'
start reopen 80 24 "'$MNISTLAB' tui.md"
keys reopen G
check "the saved notebook reopens with its stored output" 'wait_for reopen "edited 42"'
keys reopen q
wait_for reopen "EXITED" > /dev/null

# ---- ASCII, NO_COLOR, a non-UTF-8 locale ----
start ascii 80 24 "'$MNISTLAB' --ascii mnist-lab.md"
wait_for ascii "1\. The data" > /dev/null
keys ascii A
wait_for ascii "ran cells 1 to 8" 20 > /dev/null
keys ascii / "Class 7" Enter
check "--ascii: the grid is drawn" 'wait_for ascii "Class 7 +Class 2"'
check "--ascii: nothing but ASCII on screen" '! LC_ALL=C grep -q "[^ -~]" "$TMP/pane"'
keys ascii q n
wait_for ascii EXITED > /dev/null
start clocale 80 24 "LANG=C LC_ALL=C '$MNISTLAB' '$LAB'"
check "a non-UTF-8 locale falls back to ASCII" 'wait_for clocale "1\. The data" && ! LC_ALL=C grep -q "[^ -~]" "$TMP/pane"'
keys clocale q
start nocolor 80 24 "NO_COLOR=1 TERM=xterm-256color '$MNISTLAB' '$LAB'"
wait_for nocolor "1\. The data" > /dev/null
T capture-pane -e -p -t nocolor > "$TMP/esc"
check "NO_COLOR: no colours on screen, TERM=xterm-256color works" '! grep -qE "\[(3[0-7]|38;5;[0-9]+)m" "$TMP/esc"'
keys nocolor q

# ---- the terminal is restored on a fatal signal ----
start sig 80 24 "stty -g > before; sh -c 'echo \$\$ > app.pid; exec \"\$0\" \"\$1\"' '$MNISTLAB' '$LAB'; stty -g > after"
wait_for sig "1\. The data" > /dev/null
kill -TERM "$(cat "$TMP/app.pid")"
check "SIGTERM ends the app with the terminal restored" 'wait_for sig "EXITED" && grep -q "Terminated" "$TMP/pane" && cmp -s "$TMP/before" "$TMP/after"'
