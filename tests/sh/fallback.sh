# mnistlab NOTEBOOK.md with no terminal to draw on (TERM=dumb, unset or
# unknown; standard input or output not a terminal) runs the notebook
# headless, as `mnistlab run` does, after a one-line hint on stderr.
. tests/sh/lib.sh
unset MNISTLAB_DATASET NO_COLOR
export LANG=C.UTF-8 LC_ALL=C.UTF-8
cat > "$TMP/nb.md" <<'EOF'
# Fallback

```lua
print("answer", 6 * 7)
```
EOF
cp "$TMP/nb.md" "$TMP/nb.orig"
printf '```lua\nerror("boom")\n```\n\n```lua\nprint("after")\n```\n' > "$TMP/fail.md"

# ---- standard output is a file: the report, as `mnistlab run` prints it ----
"$MNISTLAB" run "$TMP/nb.md" > "$TMP/run.out" 2> /dev/null
"$MNISTLAB" "$TMP/nb.md" > "$TMP/fb.out" 2> "$TMP/fb.err" < /dev/null
rc=$?
check "stdout not a terminal: runs headless, exit 0" '[ $rc = 0 ]'
check "stdout not a terminal: prints what mnistlab run prints" 'cmp -s "$TMP/fb.out" "$TMP/run.out" && grep -q "^answer	42$" "$TMP/fb.out"'
check "the hint is one line on stderr, saying why" '[ "$(wc -l < "$TMP/fb.err")" = 1 ] && grep -q "^mnistlab: standard input is not a terminal, so .*nb.md runs headless" "$TMP/fb.err"'
check "the hint says how to get a report" 'grep -q "mnistlab run .*nb.md --out report.md" "$TMP/fb.err"'
check "the notebook itself is untouched" 'cmp -s "$TMP/nb.md" "$TMP/nb.orig"'
"$MNISTLAB" "$TMP/fail.md" > "$TMP/fail.out" 2> "$TMP/fail.err" < /dev/null
rc=$?
check "a failing cell: exit status 1 as with run, later cells ran" '[ $rc = 1 ] && grep -q "^after$" "$TMP/fail.out" && grep -q "fail.md: cell 1 (line 1) failed" "$TMP/fail.err"'
"$MNISTLAB" "$TMP/missing.md" > /dev/null 2> "$TMP/missing.err" < /dev/null
rc=$?
check "a missing notebook: exit 2, named" '[ $rc = 2 ] && grep -q "missing.md" "$TMP/missing.err"'

# ---- on a terminal (tmux) whose TERM cannot draw the view ----
if ! command -v tmux > /dev/null 2>&1; then
    echo "ok - # SKIP tmux is not installed (scripts/deps build test)"
    exit 0
fi
SOCK="mnistlab-fallback-$$"
T() { tmux -L "$SOCK" -f /dev/null "$@"; }
trap 'T kill-server 2>/dev/null; rm -rf "$TMP"' EXIT
# start NAME COMMAND: stderr goes to NAME.err beside the pane
start() {
    name=$1; shift
    T new-session -d -s "$name" -x 200 -y 30 "cd '$TMP' && $* 2> $name.err; echo EXITED \$?; sleep 600"
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

start dumb "TERM=dumb '$MNISTLAB' nb.md"
check "TERM=dumb: runs headless on the terminal, exit 0" 'wait_for dumb "EXITED 0" && grep -qE "^answer +42" "$TMP/pane"'
check "TERM=dumb: the hint says why and how" 'grep -q "^mnistlab: TERM=dumb cannot show it, so nb.md runs headless .*TERM=xterm-256color.*mnistlab run nb.md --out report.md" "$TMP/dumb.err" && [ "$(wc -l < "$TMP/dumb.err")" = 1 ]'
T capture-pane -e -p -t dumb > "$TMP/esc"
check "TERM=dumb: no escape codes" '! grep -q "$(printf "\033")\[[0-9;]*m" "$TMP/esc"'

start unset "env -u TERM '$MNISTLAB' nb.md"
check "TERM unset: runs headless, exit 0" 'wait_for unset "EXITED 0" && grep -qE "^answer +42" "$TMP/pane"'
check "TERM unset: the hint says so" 'grep -q "^mnistlab: TERM is not set, so nb.md runs headless" "$TMP/unset.err"'

start unknown "TERM=no-such-terminal-type '$MNISTLAB' nb.md"
check "TERM unknown: runs headless instead of exiting in ncurses" 'wait_for unknown "EXITED 0" && grep -qE "^answer +42" "$TMP/pane"'
check "TERM unknown: the hint names it" 'grep -q "^mnistlab: TERM=no-such-terminal-type is not in the terminfo database" "$TMP/unknown.err"'

start stdin "'$MNISTLAB' nb.md < /dev/null"
check "stdin not a terminal: runs headless on the terminal" 'wait_for stdin "EXITED 0" && grep -qE "^answer +42" "$TMP/pane"'
check "stdin not a terminal: the hint says so" 'grep -q "^mnistlab: standard input is not a terminal" "$TMP/stdin.err"'

start fail "TERM=dumb '$MNISTLAB' fail.md"
check "TERM=dumb, a failing cell: exit status 1 as with run" 'wait_for fail "EXITED 1" && grep -q "^after" "$TMP/pane"'

# a real terminal still gets the view
start view "TERM=xterm-256color '$MNISTLAB' nb.md"
check "TERM=xterm-256color: the notebook view opens" 'wait_for view "^ mnistlab  nb.md" && ! grep -q "runs headless" "$TMP/view.err"'
T send-keys -t view q
check "and quits with status 0" 'wait_for view "EXITED 0"'
