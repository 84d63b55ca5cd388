#!/bin/sh
# make bench's lab stage (scripts/bench/lab.lua: a notebook run headless with
# --times, one row per ## section) and its summary (scripts/bench/_lab_sum.lua:
# the matching reference rows added up, times the lab's counts), on a small
# notebook and a made-up table so that it takes a second.
. "$(dirname "$0")/lib.sh"

cat > "$TMP/mini.md" <<'MD'
# Mini lab

## 1. The data

```lua
x = 1
```

## 3.2 Deep learning

```lua
local ds = ml.load("mnist")
local net = ml.Sequential{ml.Input{28, 28}, ml.Flatten(), ml.Dense{8, activation = "relu"},
                          ml.Dense{10, activation = "softmax"}}
net:compile{loss = "sparse_categorical_crossentropy", optimizer = "adam", metrics = {"accuracy"}}
net:fit(ds.X:rows(1, 500), ds.y:rows(1, 500), {epochs = 3, validation_split = 0.2})
print("MLP0: accuracy on its training rows 0.5")
net:fit(ds.X:rows(1, 500), ds.y:rows(1, 500), {epochs = 2, validation_split = 0.2})
print("CNN1: accuracy on its training rows 0.5")
```

## 4 Conclusion

```lua
print("ok")
```
MD

MNISTLAB_BENCH_LAB="$TMP/mini.md" MNISTLAB="$MNISTLAB" BENCH_REPEATS=1 \
    "$ROOT/scripts/bench/run" -s lab --no-ref -o "$TMP/table.md" > "$TMP/out" 2> "$TMP/err"
rc=$?
check "the lab stage runs through the driver" '[ "$rc" = 0 ]'
check "one row per ## section, then the total" \
    'grep -q "^| lab | lab: 1\. The data | [0-9.]* | - | - | cells | 1 |" "$TMP/out" &&
     grep -q "^| lab | lab: 3\.2 Deep learning | " "$TMP/out" && grep -q "^| lab | lab: 4 Conclusion | " "$TMP/out" &&
     grep -q "^| lab | lab: total (every cell) | [0-9.]* | - | - | failed cells | 0 |" "$TMP/out"'
check "the summary follows the table, and says what is missing" \
    'grep -q "^## The built-in lab, every section" "$TMP/out" && grep -q "^\*\*Incomplete" "$TMP/out" &&
     grep -q "^| 3.2 | MLP0, 3 epochs | nn: mlp0 784-32-10 1 epoch | 3 | missing |" "$TMP/out" &&
     grep -q "^| 3.2 | CNN1, 2 epochs | nn: cnn1 1 epoch | 2 | missing |" "$TMP/out"'
check "-o gets the same table and summary" 'cmp -s "$TMP/out" "$TMP/table.md"'

# the arithmetic, on a made-up table: section 3.2 = 3 x 2 + 2 x 10 = 26 s of reference
mkdir -p "$TMP/sum"
printf 'epochs\tMLP0\t3\nepochs\tCNN1\t2\nepochs\tMLP9\t4\nbest_kernel\trbf\nfailed_cells\t0\ndataset\tfashion\n' \
    > "$TMP/sum/lab-facts.txt"
{
    printf 'ours\tlab\tlab: 3.2 Deep learning\t2.6\tcells\t3\n'
    printf 'ours\tlab\tlab: 2 Unsupervised learning\t1\tcells\t3\n'
    printf 'ours\tlab\tlab: total (every cell)\t4\tfailed cells\t0\n'
    printf 'ref\tnn\tmlp0 784-32-10 1 epoch\t1\ttest accuracy\t0.8\n'   # median of 1, 2, 3: 2
    printf 'ref\tnn\tmlp0 784-32-10 1 epoch\t3\ttest accuracy\t0.8\n'
    printf 'ref\tnn\tmlp0 784-32-10 1 epoch\t2\ttest accuracy\t0.8\n'
    printf 'ref\tnn\tcnn1 1 epoch\t10\ttest accuracy\t0.9\n'
    printf 'ref\tnn\tcnn1 1 epoch [torch 1 thread]\t10\ttest accuracy\t0.9\n'
    printf 'ref\tnn\tcnn1 1 epoch [torch 2 threads]\t12\tstopped\tslower-than-1-thread\n'
    printf 'ref\tpca\tpca fit n=2\t0.5\t-\t-\n'
} > "$TMP/sum/all.tsv"
"$MNISTLAB" "$ROOT/scripts/bench/_lab_sum.lua" "$TMP/sum/all.tsv" "$TMP/sum" > "$TMP/sum.md" 2>&1
check "summary: each section's reference, and the ratio" \
    'grep -q "^| 3.2 Deep learning | 2.60 | 26.0 | 10.0x |" "$TMP/sum.md" &&
     grep -q "^| 2 Unsupervised learning | 1.00 | 0.50 | 0.5x |" "$TMP/sum.md" &&
     grep -q "^| \*\*the whole lab\*\* | \*\*4.00\*\* | \*\*26.5\*\* | \*\*6.6x\*\* |" "$TMP/sum.md"'
check "summary: a network with no reference row is named" 'grep -q "no reference row (counted in ours only): MLP9" "$TMP/sum.md"'
check "summary: the goal line" 'grep -q "at least 5x below the reference sum: reached (6.6x)" "$TMP/sum.md"'
check "summary: PyTorch with 1 and 2 threads, a stopped run as a lower bound" \
    'grep -q "^| cnn1 1 epoch | 10.0 | > 12.0 | 1 thread |" "$TMP/sum.md"'
