# Headless notebooks: the lab's section 1, failing cells, replace-not-append,
# byte-exact round trips through the program, Ctrl-C, saves killed midway,
# scripts and the prompt.
. tests/sh/lib.sh
LAB=data/notebooks/mnist-lab.md
unset MNISTLAB_DATASET
# Section 1 of the built-in lab (the later sections train models: too slow
# for a test); the file is cut before its second '## ' heading.
awk '/^## / && ++h == 2 { exit } { print }' "$LAB" > "$TMP/lab1.md"

# ---- the built-in lab, section 1, on the bundled 10,000 digits ----
check "the lab's section 1 is its first ## section" 'grep -q "^## 1. The data" "$TMP/lab1.md" && [ "$(grep -c "^## " "$TMP/lab1.md")" = 1 ]'
"$MNISTLAB" run "$TMP/lab1.md" --out "$TMP/report.md" > "$TMP/lab.out" 2> "$TMP/lab.err"
rc=$?
check "lab runs headless and exits 0" '[ $rc = 0 ]'
check "stdout is the report when it is not a terminal" 'cmp -s "$TMP/lab.out" "$TMP/report.md"'
check "Q1: shape of X is (10000, 28, 28)" 'grep -q "^images X:	(10000, 28, 28)$" "$TMP/report.md"'
check "Q1: shape of y is (10000,)" 'grep -q "^labels y:	(10000,)$" "$TMP/report.md"'
check "Q1: a digit is drawn with block glyphs" 'grep -q "Image 1: label 7" "$TMP/report.md" && grep -q "█" "$TMP/report.md"'
check "Q1: a 5x5 grid titled Class N" '[ "$(grep -c "Class 7 *Class 2 *Class 1 *Class 0 *Class 4" "$TMP/report.md")" = 1 ] && [ "$(grep -cE "^ *(Class [0-9] *){5}$" "$TMP/report.md")" = 5 ]'
check "Q2: 8000 rows to train" 'grep -q "^train X:	(8000, 28, 28)	 y:	(8000,)$" "$TMP/report.md"'
check "Q2: 2000 rows to test" 'grep -q "^test  X:	(2000, 28, 28)	 y:	(2000,)$" "$TMP/report.md"'
# the counts table: every row adds up, columns sum to the totals
awk '/^class +train +test +total$/ {on = 1; next}
     on && /^all / {all_tr = $2; all_te = $3; all = $4; on = 0; next}
     on { n++; if ($2 + $3 != $4) bad++; tr += $2; te += $3 }
     END { printf "%d %d %d %d %d %d %d\n", n, bad, tr, te, all_tr, all_te, all }' "$TMP/report.md" > "$TMP/counts"
check "Q3: ten classes, each row train + test = total" '[ "$(cut -d" " -f1,2 "$TMP/counts")" = "10 0" ]'
check "Q3: the counts add up to 8000 / 2000 / 10000" '[ "$(cut -d" " -f3- "$TMP/counts")" = "8000 2000 8000 2000 10000" ]'
check "Q3: class 1 has 908 training and 227 test images" 'grep -qE "^1 +908 +227 +1135$" "$TMP/report.md"'
check "Q3: two bar charts with titles" 'grep -q "Labels in the training set" "$TMP/report.md" && grep -q "Labels in the test set" "$TMP/report.md"'
check "Q3: the balance verdict" 'grep -q "rarest class 5 (714 images), most common 1 (908 images), ratio 1.27" "$TMP/report.md"'
check "every lab cell has exactly one output" '[ "$(grep -c "^\`\`\`lua$" "$TMP/report.md")" = "$(grep -c "^\`\`\`output mnistlab$" "$TMP/report.md")" ]'
check "no progress noise on stderr when it is not a terminal" '[ ! -s "$TMP/lab.err" ]'

# re-running the report replaces its outputs: the same bytes again
"$MNISTLAB" run "$TMP/report.md" --out "$TMP/report2.md" > /dev/null 2>&1
check "running a report again replaces, never appends" 'cmp -s "$TMP/report.md" "$TMP/report2.md"'
cp "$TMP/report.md" "$TMP/inplace.md"
"$MNISTLAB" run --in-place "$TMP/inplace.md" > /dev/null 2>&1
check "--in-place on a run notebook changes nothing" 'cmp -s "$TMP/report.md" "$TMP/inplace.md"'

# --dataset / MNISTLAB_DATASET reach the first cell
mkdir -p "$TMP/mini"
cp data/mnist/t10k-images-idx3-ubyte.gz "$TMP/mini/"; cp data/mnist/t10k-labels-idx1-ubyte.gz "$TMP/mini/"
"$MNISTLAB" run --stop-on-error --dataset "$TMP/mini" "$TMP/lab1.md" > "$TMP/mini.out" 2>&1
check "--dataset DIR is what the first cell loads" 'grep -q "^Loaded mini from $TMP/mini$" "$TMP/mini.out"'
MNISTLAB_DATASET=/nonexistent "$MNISTLAB" run --stop-on-error "$TMP/lab1.md" > "$TMP/bad.out" 2>&1
rc=$?
check "a dataset that does not exist: the first cell fails clearly" '[ $rc = 1 ] && grep -q "/nonexistent" "$TMP/bad.out"'

# ---- failing cells ----
cat > "$TMP/fail.md" <<'EOF'
# Failing

```lua
x = 41
```

```lua
local t = nil
print(t.field)
```

```lua
print("later cell ran", x + 1)
```
EOF
cp "$TMP/fail.md" "$TMP/fail.orig"
"$MNISTLAB" run "$TMP/fail.md" --out "$TMP/fail-report.md" > "$TMP/fail.out" 2> "$TMP/fail.err"
rc=$?
check "a failing cell makes the exit status 1" '[ $rc = 1 ]'
check "the error and its traceback are the cell's output" 'grep -q "^cell 2:2: attempt to index a nil value (local .t.)$" "$TMP/fail-report.md" && grep -q "^stack traceback:$" "$TMP/fail-report.md"'
check "later cells still run" 'grep -q "^later cell ran	42$" "$TMP/fail-report.md"'
check "stderr names the failing cell and its line" 'grep -q "fail.md: cell 2 (line 7) failed" "$TMP/fail.err"'
check "the notebook itself is untouched without --in-place" 'cmp -s "$TMP/fail.md" "$TMP/fail.orig"'
"$MNISTLAB" run --stop-on-error "$TMP/fail.md" --out "$TMP/stop.md" > /dev/null 2>&1
rc=$?
check "--stop-on-error: exit 1, later cells not run" '[ $rc = 1 ] && grep -q "attempt to index" "$TMP/stop.md" && ! grep -q "^later cell ran" "$TMP/stop.md"' 
printf '```lua\nprint(\n```\n' > "$TMP/syntax.md"
"$MNISTLAB" run "$TMP/syntax.md" > "$TMP/syntax.out" 2>&1
rc=$?
check "a syntax error is reported as the cell's output" '[ $rc = 1 ] && grep -q "^cell 1:2: unexpected symbol near" "$TMP/syntax.out"'

# ---- byte-exact round trips through the program (nothing runs) ----
printf '# CRLF\r\n\r\ntext with ``` inside\r\n\r\n~~~python\r\nx = 1\r\n~~~\r\nno final newline' > "$TMP/rt1.md"
printf '```text\nunterminated fence, not lua\n' > "$TMP/rt2.md"
printf '\n\n   \n' > "$TMP/rt3.md"
for f in rt1 rt2 rt3; do
    cp "$TMP/$f.md" "$TMP/$f.orig"
    "$MNISTLAB" run --in-place "$TMP/$f.md" > "$TMP/$f.out" 2>&1
    check "round trip $f: same bytes after --in-place" 'cmp -s "$TMP/$f.md" "$TMP/$f.orig"'
    check "round trip $f: stdout is the notebook" 'cmp -s "$TMP/$f.out" "$TMP/$f.orig"'
done

# ---- outputs: print, io.write, io.stdout:write, pictures; other files untouched ----
cat > "$TMP/io.md" <<EOF
\`\`\`lua
print("a", 1, 2.5, nil, true)
io.write("w", 3, " ", 0.25, "\n")
io.stdout:write("direct\n")
local f = assert(io.open("$TMP/side.txt", "w")); f:write("file\n"); f:close()
ml.digit(ml.load("mnist", {subset = "test"}).X[2], {ascii = true, title = "two"})
\`\`\`
EOF
"$MNISTLAB" run "$TMP/io.md" --out "$TMP/io-report.md" > /dev/null 2>&1
check "print, io.write and io.stdout:write land in the output" 'grep -q "^a	1	2.5	nil	true$" "$TMP/io-report.md" && grep -q "^w3 0.25$" "$TMP/io-report.md" && grep -q "^direct$" "$TMP/io-report.md"'
check "writes to other files go to the file" '[ "$(cat "$TMP/side.txt")" = file ]'
check "a picture is part of the output" 'grep -q "two" "$TMP/io-report.md" && grep -q "#" "$TMP/io-report.md"'

# ---- Ctrl-C (SIGINT) stops the running cell ----
printf '```lua\nprint("start")\n```\n\n```lua\nwhile true do end\n```\n\n```lua\nprint("not reached")\n```\n' > "$TMP/loop.md"
"$MNISTLAB" run "$TMP/loop.md" --out "$TMP/loop-report.md" > "$TMP/loop.out" 2>&1 &
pid=$!
i=0
while [ $i -lt 50 ] && ! grep -q start "$TMP/loop.out" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
sleep 0.2
kill -INT $pid
wait $pid
rc=$?
check "SIGINT stops an endless cell: exit 1, not killed" '[ $rc = 1 ]'
check "the interrupted cell says so in the report" 'grep -q "^interrupted$" "$TMP/loop-report.md"'

# ---- a save killed midway leaves the old notebook or the new one ----
printf '```lua\nfor i = 1, 200000 do print(("line %%d of a long output"):format(i)) end\n```\n' > "$TMP/big.md"
cp "$TMP/big.md" "$TMP/big.old"
"$MNISTLAB" run "$TMP/big.md" --out "$TMP/big.new" > /dev/null 2>&1
torn=0
for d in 0.05 0.1 0.15 0.2 0.25 0.3 0.35 0.4; do
    cp "$TMP/big.old" "$TMP/big.md"
    "$MNISTLAB" run --in-place "$TMP/big.md" > /dev/null 2>&1 &
    pid=$!
    sleep $d
    kill -9 $pid 2>/dev/null
    wait $pid 2>/dev/null
    cmp -s "$TMP/big.md" "$TMP/big.old" || cmp -s "$TMP/big.md" "$TMP/big.new" || torn=$((torn + 1))
    "$MNISTLAB" run "$TMP/big.md" > /dev/null 2>&1 || torn=$((torn + 1))
done
check "kill -9 during --in-place never leaves a torn notebook" '[ $torn = 0 ]'

# ---- scripts, the prompt, usage ----
printf 'print("script", arg[1], ml.load("mnist", {subset = "test"}).X:size(1))\n' > "$TMP/s.lua"
"$MNISTLAB" "$TMP/s.lua" first > "$TMP/s.out" 2>&1
check "mnistlab SCRIPT.lua runs with ml and arg" 'grep -q "^script	first	10000$" "$TMP/s.out"'
printf 'error("script failure")\n' > "$TMP/e.lua"
expect_fail_with "a failing script exits non-zero with its message" "e.lua:1: script failure" "$MNISTLAB" "$TMP/e.lua"
printf 'x = 20\nx * 2 + 2\nfor i = 1, 2 do\n  print("loop", i)\nend\n' | "$MNISTLAB" -i > "$TMP/repl.out" 2>&1
check "mnistlab -i: expressions print, statements span lines" '[ "$(cat "$TMP/repl.out")" = "$(printf "42\nloop\t1\nloop\t2")" ]'
printf 'd = ml.load("mnist")\nml.digit(d.X[1])\nc = ml.bar({1, 2}, {show = false})\n' > "$TMP/pic.lua"
"$MNISTLAB" --ascii "$TMP/pic.lua" > "$TMP/pic.out" 2>&1
"$MNISTLAB" -i --ascii < "$TMP/pic.lua" > "$TMP/repl2.out" 2>&1
printf 'c\n' | cat "$TMP/pic.lua" - | "$MNISTLAB" -i --ascii > "$TMP/repl3.out" 2>&1
check "mnistlab -i: a picture a call drew is not printed again as its value; one not shown yet is" \
    '[ -s "$TMP/pic.out" ] && cmp -s "$TMP/pic.out" "$TMP/repl2.out" &&
     [ "$(grep -c "#####" "$TMP/repl3.out")" -ge 2 ] && [ "$(grep -c "#####" "$TMP/repl2.out")" = 0 ]'
expect_fail_with "run without a notebook" "expected a notebook" "$MNISTLAB" run
expect_fail_with "run on a missing notebook names it" "nope.md" "$MNISTLAB" run "$TMP/nope.md"
expect_fail_with "an unknown option is refused" "unknown option '--frobnicate'" "$MNISTLAB" --frobnicate
ok "info still works" "$MNISTLAB" info data/mnist/t10k-labels-idx1-ubyte.gz

# ---- the example notebook ----
"$MNISTLAB" run examples/notebook-basics.md --out "$TMP/basics.md" > /dev/null 2>&1
rc=$?
check "examples/notebook-basics.md runs: exit 0, four outputs" '[ $rc = 0 ] && [ "$(grep -c "^\`\`\`output mnistlab$" "$TMP/basics.md")" = 4 ] && grep -q "^the first image is 28 x 28 pixels$" "$TMP/basics.md"'
