#!/bin/sh
# Lab section 3.1, part A (tree, naive Bayes, Q3, confusion matrix, Q4), run
# headless on the bundled digits: the numbers the prose reads must be there.
. tests/sh/lib.sh
LAB=data/notebooks/mnist-lab.md
unset MNISTLAB_DATASET

"$MNISTLAB" run "$LAB" --out "$TMP/report.md" > "$TMP/lab.out" 2> "$TMP/lab.err"
rc=$?
check "the lab runs headless and exits 0" '[ $rc = 0 ]'
# only section 3.1 from here on
sed -n '/^## 3.1 /,/^## [^3]/p' "$TMP/report.md" > "$TMP/s31.md"
check "section 3.1 is in the report" '[ -s "$TMP/s31.md" ]'
check "the unrestricted tree scores 1.000 on the training set" \
  'grep -qE "^Decision tree: train accuracy 1\.000, test accuracy 0\.[78][0-9]{2}$" "$TMP/s31.md"'
check "the tree reports its depth and leaves" 'grep -qE "^depth [0-9]+, [0-9]+ leaves, [0-9.]+ training images per leaf$" "$TMP/s31.md"'
check "naive Bayes stays below 0.6 on both sets" \
  'grep -qE "^Gaussian naive Bayes: train accuracy 0\.[45][0-9]{2}, test accuracy 0\.[45][0-9]{2}$" "$TMP/s31.md"'
check "the confusion matrix of the best model is drawn" 'grep -q "Confusion matrix of " "$TMP/s31.md"'
check "the classification report has scikit-learn's header" \
  'grep -qE "^ +precision +recall +f1-score +support$" "$TMP/s31.md"'
# Q4: five rows (raw pixels and four variance fractions), every tree at 1.000 on train
# (table frames are "│" in UTF-8 locales, "|" otherwise)
rows=$(grep -cE "^(│|\|) (raw pixels|[0-9]+ % of the variance) +(│|\|) +[0-9]+ (│|\|) +[0-9]+ (│|\|) +[0-9]+ (│|\|) 1\.000 (│|\|) 0\.[0-9]{3} (│|\|)$" "$TMP/s31.md")
check "Q4: a table of 5 trees, each 1.000 on train (got $rows rows)" '[ "$rows" = 5 ]'
check "Q4: 66 % of the variance" 'grep -qE "^(│|\|) 66 % of the variance" "$TMP/s31.md"'
