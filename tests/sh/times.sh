#!/bin/sh
# mnistlab run --times: seconds per cell, per `##` section and in all, on
# stderr; stdout and the report are the same as without it.
. "$(dirname "$0")/lib.sh"

cat > "$TMP/nb.md" <<'MD'
# Timed

```lua
x = 1
```

## 1. First part

```lua
-- wall time, not os.clock(): that counts the CPU time of every thread, and
-- OpenBLAS's workers spin for a while after they start
os.execute("sleep 0.2")
```

```lua
print("two")
```

## 2 Second part

Some prose.

### A question

```lua
print("three")
```

```lua
error("boom")
```
MD

"$MNISTLAB" run --times "$TMP/nb.md" --out "$TMP/timed.md" > "$TMP/out" 2> "$TMP/err"
rc=$?
"$MNISTLAB" run "$TMP/nb.md" --out "$TMP/plain.md" > "$TMP/out0" 2> /dev/null
check "--times: the run's status is unchanged (1: a cell failed)" '[ "$rc" = 1 ]'
check "--times: one line per cell, with its line number" \
    '[ "$(grep -c "^time: cell [0-9]* (line [0-9]*): [0-9.]* s$" "$TMP/err")" = 5 ] &&
     grep -q "^time: cell 2 (line 9): " "$TMP/err"'
check "--times: the slow cell takes its time" \
    'awk "/^time: cell 2 /{ exit !(\$(NF-1) >= 0.19) }" "$TMP/err"'
check "--times: cells before the first ## heading have a section of their own" \
    'grep -q "^time: section (before the first ## heading): [0-9.]* s (1 cell)$" "$TMP/err"'
check "--times: one line per ## section, named by its heading, after its last cell" \
    'grep -q "^time: section 1\. First part: [0-9]*\.[0-9][0-9] s (2 cells)$" "$TMP/err" &&
     grep -q "^time: section 2 Second part: [0-9.]* s (2 cells)$" "$TMP/err" &&
     [ "$(grep -n "section 1\. First" "$TMP/err" | cut -d: -f1)" -lt "$(grep -n "cell 4 " "$TMP/err" | cut -d: -f1)" ]'
check "--times: ### headings do not start a section" '! grep -q "section A question" "$TMP/err"'
check "--times: the total comes last" \
    'tail -n 1 "$TMP/err" | grep -q "^time: total: [0-9]*\.[0-9][0-9] s (5 cells)$" &&
     tail -n 1 "$TMP/err" | awk "{ exit !(\$3 >= 0.19) }"'
check "--times: stdout and the report are the same as without it" \
    'cmp -s "$TMP/out" "$TMP/out0" && cmp -s "$TMP/timed.md" "$TMP/plain.md"'
"$MNISTLAB" run "$TMP/nb.md" > /dev/null 2> "$TMP/err0"
check "without --times: no time lines" '! grep -q "^time:" "$TMP/err0"'
"$MNISTLAB" run --stop-on-error --times "$TMP/nb.md" > /dev/null 2> "$TMP/err1"
check "--times with --stop-on-error: the cells that ran, then the total" \
    'tail -n 1 "$TMP/err1" | grep -q "^time: total: [0-9.]* s (5 cells)$"'
