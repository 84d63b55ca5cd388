# Losing the terminal: SIGHUP (an SSH connection dropping) or SIGTERM while
# the TUI runs keeps unsaved work in a recovery file beside the notebook; the
# next start offers to restore it, discard it or keep it for later.  Driven
# through tmux; every wait polls the pane with a timeout.
. tests/sh/lib.sh
if ! command -v tmux > /dev/null 2>&1; then
    echo "ok - # SKIP tmux is not installed (scripts/deps build test)"
    exit 0
fi
SOCK="mnistlab-recovery-$$"
T() { tmux -L "$SOCK" -f /dev/null "$@"; }
trap 'T kill-server 2>/dev/null; rm -rf "$TMP"' EXIT
unset MNISTLAB_DATASET NO_COLOR MNISTLAB_OUTPUT_LIMIT
export LANG=C.UTF-8 LC_ALL=C.UTF-8 XDG_STATE_HOME="$TMP/state"

# start NAME COMMAND...: the app's pid goes to NAME.pid, the terminal's
# settings before and after to NAME.before / NAME.after, its stderr to NAME.err
start() {
    name=$1; shift
    T new-session -d -s "$name" -x 100 -y 30 \
        "cd '$TMP' && stty -g > $name.before; $* sh -c 'echo \$\$ > $name.pid; exec \"\$0\" \"\$@\"' '$MNISTLAB' rec.md 2> $name.err; echo EXITED \$?; stty -g > $name.after; sleep 600"
}
screen() { T capture-pane -p -t "$1"; }
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
pid() { cat "$TMP/$1.pid"; }
# the start-up box's text as one line (at 100 columns it spans columns 15-86)
boxed() { cut -c15-86 "$TMP/pane" | tr -s ' \n' '  ' | grep -q -- "$1"; }
# a session that lives through the whole test: the tmux server stays up
T new-session -d -s keepalive "sleep 100000"
REC=$TMP/.rec.md.mnistlab-recovery

cat > "$TMP/rec.md" <<'EOF'
# Recovery test

```lua
print("first cell", 6 * 7)
```

```lua
x = 0
while true do x = x + 1 end
```

```lua
km = ml.KMeans{n_clusters = 50, n_init = 100, max_iter = 500, random_state = 0}
km:fit(ml.load("mnist", {subset = "test"}).X)
```

```lua
local ds = ml.load("mnist", {subset = "test"})
net = ml.Sequential{ml.Input{28, 28}, ml.Flatten(), ml.Dense{64, activation = "relu"},
                    ml.Dense{10, activation = "softmax"}}
net:compile{loss = "sparse_categorical_crossentropy", optimizer = "adam"}
net:fit(ds.X, ds.y, {epochs = 1000, batch_size = 32})
```

```lua
print("cell five")
```
EOF
cp "$TMP/rec.md" "$TMP/rec.orig"
cat > "$TMP/editor.sh" <<'EOF'
#!/bin/sh
printf 'print("edited " .. 2 * 21)\n' > "$1"
EOF
chmod +x "$TMP/editor.sh"

# ---- nothing unsaved: no recovery file ----
start clean
wait_for clean "Recovery test" > /dev/null
kill -HUP "$(pid clean)"
check "SIGHUP with nothing unsaved: exits as the signal says (129)" 'wait_for clean "EXITED 129" && grep -q Hangup "$TMP/pane"'
check "SIGHUP with nothing unsaved: no recovery file" '[ ! -e "$REC" ] && ! ls "$TMP"/.rec.md.* > /dev/null 2>&1'
check "SIGHUP: the terminal is restored" 'cmp -s "$TMP/clean.before" "$TMP/clean.after"'
T kill-session -t clean

# ---- an output and an edit unsaved, then SIGHUP ----
start hup "EDITOR='$TMP/editor.sh'"
wait_for hup "Recovery test" > /dev/null
keys hup r
wait_for hup "cell 1 ran" > /dev/null
keys hup Tab Tab Tab Tab e
check "the fifth cell is edited in \$EDITOR" 'wait_for hup "cell 5 edited"'
kill -HUP "$(pid hup)"
check "SIGHUP with unsaved work: exit 129, the terminal restored" 'wait_for hup "EXITED 129" && cmp -s "$TMP/hup.before" "$TMP/hup.after"'
check "the notebook itself is byte-identical" 'cmp -s "$TMP/rec.md" "$TMP/rec.orig"'
check "the recovery file holds the new output" '[ -f "$REC" ] && grep -q "^first cell	42$" "$REC"'
check "the recovery file holds the edit" 'grep -q "^print(\"edited \" .. 2 \* 21)$" "$REC" && ! grep -q "print(\"cell five\")" "$REC"'
check "its first line names the notebook and the signal" 'head -n 1 "$REC" | grep -q "^<!-- mnistlab-recovery v1 time=[0-9]* signal=1 .*notebook=.*/rec.md -->$"'
check "without its first line it is the notebook, as a save would write it" 'tail -n +2 "$REC" | grep -c "^\`\`\`output mnistlab$" | grep -qx 1'
check "stderr says where the work went" 'grep -q "SIGHUP: the unsaved changes to rec.md are kept in .rec.md.mnistlab-recovery; the next start offers to restore them" "$TMP/hup.err"'
T kill-session -t hup

# ---- the next start offers it: keep for later ----
start keep
check "the next start offers to restore it, with its time" 'wait_for keep "Unsaved work on rec.md was kept" && grep -qE "stopped by SIGHUP at [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}" "$TMP/pane"'
check "the offer says what changed and lists restore / discard / keep" 'boxed "1 cell edited, 1 output new or changed" && grep -q "r  restore them" "$TMP/pane" && grep -q "d  discard them" "$TMP/pane" && grep -q "k  keep the file for later" "$TMP/pane"'
keys keep k
check "k keeps the file, the notebook opens as it is on disk" 'wait_for keep "1 recovery file kept for later" && ! grep -q "\[modified\]" "$TMP/pane" && [ -f "$REC" ]'
keys keep q
check "nothing changed: q quits at once" 'wait_for keep "EXITED 0"'
T kill-session -t keep

# ---- restore: the work comes back unsaved; the file on disk waits for s ----
start restore
wait_for restore "Unsaved work on rec.md was kept" > /dev/null
keys restore r
check "r restores: the notebook is modified, with the edit and the output" 'wait_for restore "restored the unsaved work of" && grep -q "rec.md \[modified\]" "$TMP/pane" && grep -qE "first cell +42" "$TMP/pane"'
keys restore G
check "the restored edit is there" 'wait_for restore "edited \" \.\. 2 \* 21"'
check "restoring leaves the notebook on disk untouched" 'cmp -s "$TMP/rec.md" "$TMP/rec.orig" && [ -f "$REC" ]'
keys restore s
check "s saves the restored work and drops the recovery file" 'wait_for restore "saved rec.md" && [ ! -e "$REC" ] && grep -q "^first cell	42$" "$TMP/rec.md" && grep -q "^print(\"edited \" .. 2 \* 21)$" "$TMP/rec.md"'
keys restore q
wait_for restore "EXITED 0" > /dev/null
T kill-session -t restore
cp "$TMP/rec.orig" "$TMP/rec.md"

# ---- SIGTERM, then discard ----
start term
wait_for term "Recovery test" > /dev/null
keys term r
wait_for term "cell 1 ran" > /dev/null
kill -TERM "$(pid term)"
check "SIGTERM with unsaved work: exit 143, the recovery file written" 'wait_for term "EXITED 143" && grep -q Terminated "$TMP/pane" && [ -f "$REC" ] && cmp -s "$TMP/rec.md" "$TMP/rec.orig"'
T kill-session -t term
start discard
check "the offer names SIGTERM" 'wait_for discard "stopped by SIGTERM at"'
keys discard d
check "d discards: the recovery file is deleted, the notebook as on disk" 'wait_for discard "1 recovery file deleted" && [ ! -e "$REC" ] && ! grep -q "\[modified\]" "$TMP/pane"'
keys discard q
wait_for discard "EXITED 0" > /dev/null
T kill-session -t discard

# ---- SIGHUP while a cell runs: it stops between instructions or batches ----
for case in "2 loop" "3 kmeans" "4 nn"; do
    k=${case% *} what=${case#* }
    rm -f "$REC"
    start "run$what"
    wait_for "run$what" "Recovery test" > /dev/null
    i=1
    while [ $i -lt "$k" ]; do keys "run$what" Tab; i=$((i + 1)); done
    keys "run$what" r
    case $what in
        loop) wait_for "run$what" "cell $k: running" > /dev/null ;;
        kmeans) wait_for "run$what" "kmeans [0-9]+/100" 30 > /dev/null ;;
        nn) wait_for "run$what" "epoch [0-9]+/1000" 30 > /dev/null ;;
    esac
    sleep 0.5
    kill -HUP "$(pid "run$what")"
    check "SIGHUP during a running cell ($what): the app ends within seconds, terminal restored" 'wait_for "run$what" "EXITED 129" 15 && cmp -s "$TMP/run$what.before" "$TMP/run$what.after"'
    check "SIGHUP during a running cell ($what): the recovery file says the cell was interrupted" '[ -f "$REC" ] && grep -q "interrupted" "$REC" && grep -q "^\[mnistlab got SIGHUP (the terminal went away) and stopped this cell\]$" "$REC" && cmp -s "$TMP/rec.md" "$TMP/rec.orig"'
    T kill-session -t "run$what"
done

# ---- the terminal really goes away (tmux closes the pane: the kernel sends SIGHUP) ----
rm -f "$REC"
start gone
wait_for gone "Recovery test" > /dev/null
keys gone r
wait_for gone "cell 1 ran" > /dev/null
T kill-session -t gone
i=0
while [ $i -lt 100 ] && kill -0 "$(pid gone)" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
check "the terminal closed under the app: it ends" '! kill -0 "$(pid gone)" 2>/dev/null'
check "the terminal closed under the app: the unsaved output is in the recovery file" '[ -f "$REC" ] && grep -q "^first cell	42$" "$REC" && cmp -s "$TMP/rec.md" "$TMP/rec.orig"'

# ---- SIGHUP ignored from the start (as nohup does): kept ignored; when the
# terminal closes, reads fail at once and the work is kept all the same ----
mv "$REC" "$TMP/rec.gone"
T new-session -d -s ign -x 100 -y 30 \
    "cd '$TMP' && sh -c 'trap \"\" HUP; echo \$\$ > ign.pid; exec \"\$0\" rec.md' '$MNISTLAB'; echo EXITED \$?; sleep 600"
wait_for ign "Recovery test" > /dev/null
keys ign r
wait_for ign "cell 1 ran" > /dev/null
kill -HUP "$(pid ign)"
sleep 0.5
check "SIGHUP ignored from the start stays ignored" 'wait_for ign "cell 1 ran" && kill -0 "$(pid ign)" && [ ! -e "$REC" ]'
T kill-session -t ign
i=0
while [ $i -lt 100 ] && kill -0 "$(pid ign)" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
check "then the terminal closes: the app notices, keeps the work and ends" '! kill -0 "$(pid ign)" 2>/dev/null && [ -f "$REC" ] && grep -q "^first cell	42$" "$REC"'
mv "$TMP/rec.gone" "$REC"

# ---- a file kept for later is never overwritten: the next one gets -2 ----
start keep2
wait_for keep2 "Unsaved work on rec.md was kept" > /dev/null
keys keep2 k
wait_for keep2 "kept for later" > /dev/null
keys keep2 Tab Tab Tab Tab r
wait_for keep2 "cell 5 ran" > /dev/null
cp "$REC" "$TMP/rec.kept"
kill -HUP "$(pid keep2)"
check "a second recovery goes to its own file; the kept one is untouched" 'wait_for keep2 "EXITED 129" && cmp -s "$REC" "$TMP/rec.kept" && grep -q "^cell five$" "$REC-2" && ! grep -q "^cell five$" "$REC"'
T kill-session -t keep2
start both
check "the newest is offered first" 'wait_for both "Unsaved work on rec.md was kept" && boxed "went to .rec.md.mnistlab-recovery-2:"'
keys both d
check "then the older one" 'sleep 0.5 && wait_for both "Unsaved work on rec.md was kept" && boxed "went to .rec.md.mnistlab-recovery:" && [ ! -e "$REC-2" ]'
keys both d
check "both discarded" 'wait_for both "2 recovery files deleted" && [ ! -e "$REC" ]'
keys both q
wait_for both "EXITED 0" > /dev/null
T kill-session -t both

# ---- damaged or unreadable recovery files are reported, never a crash ----
printf 'not a recovery file\n' > "$REC"
start bad1
check "a file that is not a recovery file: reported as damaged" 'wait_for bad1 "cannot be used" && boxed "is damaged: its first line is not a mnistlab recovery header"'
keys bad1 k
check "k keeps it; the notebook opens" 'wait_for bad1 "kept for later" && [ -f "$REC" ]'
keys bad1 q
wait_for bad1 "EXITED 0" > /dev/null
T kill-session -t bad1
# a real one, then cut short, then one byte changed
rm -f "$REC"
start mk
wait_for mk "Recovery test" > /dev/null
keys mk r
wait_for mk "cell 1 ran" > /dev/null
kill -HUP "$(pid mk)"
wait_for mk "EXITED 129" > /dev/null
T kill-session -t mk
cp "$REC" "$TMP/rec.good"
head -c -20 "$TMP/rec.good" > "$REC"
start bad2
check "a truncated recovery file: reported as such" 'wait_for bad2 "cannot be used" && boxed "is damaged: it holds [0-9]* bytes of the [0-9]* it had when written (truncated)"'
keys bad2 d
check "d deletes it" 'wait_for bad2 "1 recovery file deleted" && [ ! -e "$REC" ]'
keys bad2 q
wait_for bad2 "EXITED 0" > /dev/null
T kill-session -t bad2
sed 's/^first cell	42$/first cell	43/' "$TMP/rec.good" > "$REC"
start bad3
check "a recovery file changed by a byte: the checksum says so" 'wait_for bad3 "cannot be used" && boxed "is damaged: its checksum does not match"'
keys bad3 d
wait_for bad3 "deleted" > /dev/null
keys bad3 q
wait_for bad3 "EXITED 0" > /dev/null
T kill-session -t bad3
mkdir "$REC"
start bad4
check "a recovery file that cannot be read: reported" 'wait_for bad4 "cannot be used" && boxed "cannot be read"'
keys bad4 k
check "the app goes on" 'wait_for bad4 "kept for later" && ! grep -q EXITED "$TMP/pane"'
keys bad4 q
wait_for bad4 "EXITED 0" > /dev/null
T kill-session -t bad4
rmdir "$REC"

# ---- a notebook deleted since: its recovery file is still offered ----
cp "$TMP/rec.good" "$REC"
rm "$TMP/rec.md"
start deleted
check "the notebook is gone: the offer comes anyway" 'wait_for deleted "Unsaved work on rec.md was kept" && boxed "changed on disk since"'
keys deleted r
check "restoring brings the notebook back, unsaved" 'wait_for deleted "restored the unsaved work" && grep -q "rec.md \[modified\]" "$TMP/pane" && [ ! -e "$TMP/rec.md" ]'
keys deleted s
check "s writes it again" 'wait_for deleted "saved rec.md" && grep -q "^first cell	42$" "$TMP/rec.md" && [ ! -e "$REC" ]'
keys deleted q
wait_for deleted "EXITED 0" > /dev/null
T kill-session -t deleted

# ---- the built-in lab: its folder is the program's, the file goes to the state folder ----
LABDIR=$(dirname "$(ls "$ROOT"/data/notebooks/mnist-lab.md)")
startlab() {
    name=$1
    T new-session -d -s "$name" -x 100 -y 30 \
        "cd '$TMP' && sh -c 'echo \$\$ > $name.pid; exec \"\$0\"' '$MNISTLAB' 2> $name.err; echo EXITED \$?; sleep 600"
}
startlab lab
wait_for lab "mnist-lab.md" > /dev/null
keys lab r
wait_for lab "cell 1 ran" 30 > /dev/null
kill -HUP "$(pid lab)"
check "the built-in lab: SIGHUP keeps its work in \$XDG_STATE_HOME/mnistlab/recovery" 'wait_for lab "EXITED 129" && ls "$TMP"/state/mnistlab/recovery/*%mnist-lab.md.mnistlab-recovery > /dev/null 2>&1 && ! ls "$LABDIR"/.mnist-lab.md.mnistlab-recovery* > /dev/null 2>&1'
T kill-session -t lab
startlab lab2
check "the built-in lab: the next start offers it" 'wait_for lab2 "Unsaved work on mnist-lab.md was kept"'
keys lab2 d
check "the built-in lab: d deletes it" 'wait_for lab2 "1 recovery file deleted" && ! ls "$TMP"/state/mnistlab/recovery/*mnist-lab.md.mnistlab-recovery > /dev/null 2>&1'
keys lab2 q
wait_for lab2 "EXITED 0" > /dev/null
