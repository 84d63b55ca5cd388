#!/bin/sh
# examples/: every script and notebook runs (scripts through mnistlab and
# stock lua5.4, with the same output) and prints the figures it promises,
# within tolerances wide enough for another thread count or BLAS, narrow
# enough to catch a model that changed.  Every file in examples/ must be
# exercised here and listed in examples/README.md.
. "$(dirname "$0")/lib.sh"
cd "$ROOT" || exit 1
: "${LUA_CPATH:=$ROOT/$BUILD/?.so;;}"
export LUA_CPATH

covered=""

# val FILE SED-REGEX: the first \(group\) of the first line matching the regex
val() { sed -n "s/^$2.*/\\1/p" "$1" | head -n 1; }
# between X LO HI: X is a number in [LO, HI]
between() { awk -v x="$1" -v a="$2" -v b="$3" 'BEGIN { exit !(x ~ /^-?[0-9.]+$/ && x + 0 >= a && x + 0 <= b) }'; }
# seconds since the epoch, with decimals
now() { date +%s.%N; }

# run_lua FILE: runs examples/FILE with mnistlab (output in $TMP/FILE.out) and
# with stock lua5.4; both exit 0 and print the same, but for the epoch times
run_lua() {
    f=$1
    covered="$covered $f"
    t0=$(now)
    "$MNISTLAB" "examples/$f" > "$TMP/$f.out" 2>&1
    rc=$?
    echo "# $f: $(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }') s with mnistlab"
    check "$f: runs through mnistlab, exit 0" '[ $rc = 0 ]'
    [ $rc = 0 ] || sed 's/^/# /' "$TMP/$f.out" | tail -n 15
    lua5.4 "examples/$f" > "$TMP/$f.lua" 2>&1
    rc2=$?
    sed 's/^\(Epoch [0-9]*\/[0-9]*\) *[0-9.]*s /\1 /' "$TMP/$f.out" > "$TMP/$f.a"
    sed 's/^\(Epoch [0-9]*\/[0-9]*\) *[0-9.]*s /\1 /' "$TMP/$f.lua" > "$TMP/$f.b"
    check "$f: runs through stock lua5.4, exit 0, the same output" '[ $rc2 = 0 ] && cmp -s "$TMP/$f.a" "$TMP/$f.b"'
}

# run_md FILE: runs the notebook examples/FILE headless, report in $TMP/FILE.report
run_md() {
    f=$1
    covered="$covered $f"
    t0=$(now)
    "$MNISTLAB" run "examples/$f" --out "$TMP/$f.report" > "$TMP/$f.out" 2>&1
    rc=$?
    echo "# $f: $(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }') s"
    check "$f: runs through mnistlab run, exit 0 (every cell ran)" '[ $rc = 0 ]'
    [ $rc = 0 ] || grep -n -A5 -i 'error' "$TMP/$f.report" | head -n 15 | sed 's/^/# /'
}

# ---- pca.lua
run_lua pca.lua
o=$TMP/pca.lua.out
check "pca: components 1 and 2 explain about 0.100 and 0.075" \
    'between "$(val "$o" "components 1 and 2 explain \([0-9.]*\)")" 0.095 0.106 &&
     between "$(val "$o" "components 1 and 2 explain [0-9.]* and \([0-9.]*\)")" 0.070 0.080'
check "pca: 50 components explain 0.832 (+-0.01) of the variance" \
    'between "$(val "$o" "50 components explain \([0-9.]*\)")" 0.8216 0.8416'
check "pca: 95 % of the variance needs about 149 components" \
    'between "$(val "$o" "95 % of the variance needs \([0-9]*\) components of 784")" 144 154'
check "pca: image 1 (a 7) rebuilt from 50 components with a small error" \
    'between "$(val "$o" "image 1 (a 7) rebuilt from 50 components: mean squared error \([0-9.]*\)")" 0.004 0.013'
check "pca: the variance curve, the scatter and the two images are drawn" \
    'grep -q "Cumulative explained variance" "$o" && grep -q "Digits on the first two components" "$o" &&
     grep -q "original .* 50 components" "$o"'

# ---- clustering.lua
run_lua clustering.lua
o=$TMP/clustering.lua.out
check "clustering: KMeans inertia about 300,600" \
    'between "$(val "$o" "KMeans: inertia \([0-9.]*\)")" 290000 311000'
check "clustering: the mixture converged" 'grep -q "^GaussianMixture: converged true after [0-9]* EM steps" "$o"'
check "clustering: KMeans ARI 0.38, NMI 0.50, mapped accuracy 0.55 (+-0.05)" \
    'between "$(val "$o" "KMeans  *ARI \([0-9.]*\)")" 0.33 0.43 &&
     between "$(val "$o" "KMeans  *ARI [0-9.]*  NMI \([0-9.]*\)")" 0.45 0.55 &&
     between "$(val "$o" "KMeans  *ARI [0-9.]*  NMI [0-9.]*  mapped accuracy \([0-9.]*\)")" 0.50 0.60'
check "clustering: GaussianMixture ARI 0.25, NMI 0.51, mapped accuracy 0.49 (+-0.05)" \
    'between "$(val "$o" "GaussianMixture  *ARI \([0-9.]*\)")" 0.20 0.30 &&
     between "$(val "$o" "GaussianMixture  *ARI [0-9.]*  NMI \([0-9.]*\)")" 0.45 0.56 &&
     between "$(val "$o" "GaussianMixture  *ARI [0-9.]*  NMI [0-9.]*  mapped accuracy \([0-9.]*\)")" 0.43 0.54'
check "clustering: the inertia curve and the contingency table are drawn" \
    'grep -q "KMeans inertia per iteration" "$o" && grep -q "class (rows) against KMeans cluster" "$o"'

# ---- decision_tree.lua
run_lua decision_tree.lua
o=$TMP/decision_tree.lua.out
check "decision tree, unrestricted: train accuracy 1, test accuracy 0.75..0.85" \
    'grep -q "^max_depth None .*train accuracy 1.0000," "$o" &&
     between "$(val "$o" "max_depth None .*test accuracy \([0-9.]*\)")" 0.75 0.85'
check "decision tree, unrestricted: depth 15..35, 600..1000 leaves" \
    'between "$(val "$o" "max_depth None  *depth *\([0-9]*\),")" 15 35 &&
     between "$(val "$o" "max_depth None .*, *\([0-9]*\) leaves")" 600 1000'
check "decision tree, max_depth 10: depth 10, train 0.90..0.97, test 0.75..0.85" \
    'grep -q "^max_depth 10   depth 10," "$o" &&
     between "$(val "$o" "max_depth 10 .*train accuracy \([0-9.]*\)")" 0.90 0.97 &&
     between "$(val "$o" "max_depth 10 .*test accuracy \([0-9.]*\)")" 0.75 0.85'
check "decision tree, max_depth 5: at most 32 leaves, test 0.58..0.70" \
    'between "$(val "$o" "max_depth 5  .*, *\([0-9]*\) leaves")" 2 32 &&
     between "$(val "$o" "max_depth 5  .*test accuracy \([0-9.]*\)")" 0.58 0.70'
check "decision tree: three most important pixels, the first 0.03..0.07, and their picture" \
    '[ "$(grep -c "^importance [123]: pixel (row [0-9]*, column [0-9]*) 0\.[0-9]*$" "$o")" = 3 ] &&
     between "$(val "$o" "importance 1: pixel ([^)]*) \([0-9.]*\)")" 0.03 0.07 && grep -q "Pixel importances" "$o"'
check "decision tree: saved and loaded, the same 2000 predictions" \
    'grep -q "^loaded from a file: 2000 of 2000 test predictions equal$" "$o"'

# ---- naive_bayes.lua
run_lua naive_bayes.lua
o=$TMP/naive_bayes.lua.out
check "naive Bayes, var_smoothing 1e-9: train and test accuracy 0.52..0.64" \
    'between "$(val "$o" "GaussianNB (var_smoothing 1e-9): train accuracy \([0-9.]*\)")" 0.53 0.64 &&
     between "$(val "$o" "GaussianNB (var_smoothing 1e-9): .*test accuracy \([0-9.]*\)")" 0.52 0.63'
check "naive Bayes: more var_smoothing, better: 0.1 gives 0.78..0.85 and is the best" \
    'a=$(val "$o" "var_smoothing 1e-09 *test accuracy \([0-9.]*\)"); b=$(val "$o" "var_smoothing 0.01 *test accuracy \([0-9.]*\)");
     c=$(val "$o" "var_smoothing 0.1 *test accuracy \([0-9.]*\)");
     between "$c" 0.78 0.85 && awk -v a="$a" -v b="$b" -v c="$c" "BEGIN { exit !(a + 0.1 < b && b <= c) }" &&
     grep -q "^best var_smoothing on this split: 0.1 " "$o"'
check "naive Bayes: prior of class 1 about 0.11, and the confusion matrix" \
    'between "$(val "$o" "prior of class 1: \([0-9.]*\)")" 0.10 0.13 && grep -q "confusion matrix" "$o"'

# ---- logistic_regression.lua
run_lua logistic_regression.lua
o=$TMP/logistic_regression.lua.out
check "logistic regression L2, 100 iterations: a ConvergenceWarning, printed and in the warning field" \
    'grep -q "^L2, max_iter 100:  100 iterations, converged false$" "$o" &&
     grep -q "^warning: LogisticRegression: ConvergenceWarning: " "$o" &&
     grep -q "^  warning field: ConvergenceWarning: lbfgs failed to converge after 100 iterations" "$o"'
check "logistic regression L2: train 0.96..0.99, test 0.88..0.93" \
    'between "$(val "$o" "  train accuracy \([0-9.]*\)")" 0.96 0.99 &&
     between "$(val "$o" "  train accuracy [0-9.]*, test accuracy \([0-9.]*\)")" 0.88 0.93'
check "logistic regression L2, 1000 allowed: converges after 101..400 iterations, at a lower objective" \
    'between "$(val "$o" "L2, max_iter 1000: \([0-9]*\) iterations, converged true")" 101 400 &&
     awk -v a="$(val "$o" "L2, max_iter 1000: .*objective \([0-9.]*\)")" \
         -v b="$(val "$o" "L2, max_iter 1000: .*(was \([0-9.]*\))")" "BEGIN { exit !(a > 0 && a < b) }"'
check "logistic regression L1: converged, test 0.86..0.91" \
    'between "$(val "$o" "L1, C 0.1: converged true, .*test accuracy \([0-9.]*\)")" 0.86 0.91'
check "logistic regression: L1 zeroes 6500..7500 of 7840 weights, L2 only the 1200 of blank pixels" \
    'between "$(val "$o" "weights exactly zero: L1 \([0-9]*\) of 7840, L2 1200")" 6500 7500 &&
     grep -q "L1 weights of class 0" "$o"'

# ---- svm_cross_validation.lua
run_lua svm_cross_validation.lua
o=$TMP/svm_cross_validation.lua.out
check "svm: the grid's table has 4 candidates ranked 1 to 4" \
    '[ "$(grep -c "^[1-4]  *0\.[0-9]*  *0\.[0-9]*  *svc__C=[0-9]*, svc__kernel=" "$o")" = 4 ] &&
     [ "$(grep "^[1-4]  *0\.[0-9]*  *0\.[0-9]*  *svc__C=" "$o" | cut -c1 | sort | tr -d "\n")" = 1234 ]'
check "svm: rbf beats linear; best mean CV accuracy 0.92..0.96" \
    'grep -q "^best: kernel rbf, C [0-9]*, mean CV accuracy" "$o" &&
     between "$(val "$o" "best: .*mean CV accuracy \([0-9.]*\)")" 0.92 0.96'
check "svm: test accuracy of the best pipeline 0.92..0.97" \
    'between "$(val "$o" "test accuracy of the best pipeline: \([0-9.]*\)")" 0.92 0.97'
check "svm: cross_val_score gives 5 fold scores, mean 0.92..0.96" \
    'grep -q "^5-fold scores 0\.[0-9]* 0\.[0-9]* 0\.[0-9]* 0\.[0-9]* 0\.[0-9]*: mean" "$o" &&
     between "$(val "$o" "5-fold scores .*: mean \([0-9.]*\)")" 0.92 0.96'
check "svm: 1100..1800 support vectors of 3000 images" \
    'between "$(val "$o" "support vectors: \([0-9]*\) of 3000 training images")" 1100 1800'

# ---- knn.lua
run_lua knn.lua
o=$TMP/knn.lua.out
check "knn: five values of k, each 0.93..0.97" \
    '[ "$(grep -c "^n_neighbors *[0-9]*: test accuracy" "$o")" = 5 ] &&
     ( for k in 1 3 5 9 15; do between "$(val "$o" "n_neighbors *$k: test accuracy \([0-9.]*\)")" 0.93 0.97 || exit 1; done )'
check "knn: distance weights 0.94..0.97, and the accuracy chart" \
    'between "$(val "$o" "n_neighbors 5, weights distance: test accuracy \([0-9.]*\)")" 0.94 0.97 &&
     grep -q "Test accuracy against k" "$o"'
check "knn: the first mistake, with its votes, is drawn" \
    'grep -q "^test image [0-9]*: a [0-9] taken for a [0-9] (votes: 0\.[0-9]* for [0-9], [01]\.[0-9]* for [0-9])$" "$o" &&
     grep -q "true [0-9], predicted [0-9]" "$o"'

# ---- mlp.lua
run_lua mlp.lua
o=$TMP/mlp.lua.out
check "mlp: the summary counts 50890 parameters" 'grep -q "^Total params: 50890 " "$o" && grep -q "^ dense_1 (Dense) " "$o"'
check "mlp: one line per epoch with validation metrics" \
    '[ "$(grep -c "^Epoch [1-8]/8 .*val_loss: [0-9.]* .*val_acc" "$o")" = 8 ]'
check "mlp: after 8 epochs, train 0.94..0.98, validation 0.92..0.96" \
    'between "$(val "$o" "after 8 epochs: train accuracy \([0-9.]*\)")" 0.94 0.98 &&
     between "$(val "$o" "after 8 epochs: .*validation accuracy \([0-9.]*\)")" 0.92 0.96 && grep -q "loss per epoch" "$o"'
check "mlp: test accuracy 0.92..0.96, the same after save and load" \
    'a=$(val "$o" "test loss [0-9.]*, test accuracy \([0-9.]*\)"); between "$a" 0.92 0.96 &&
     grep -q "^reloaded: 50890 parameters, test accuracy $a$" "$o"'

# ---- neural_networks.md
run_md neural_networks.md
o=$TMP/neural_networks.md.report
check "neural_networks.md: four outputs, three charts of curves" \
    '[ "$(grep -c "^\`\`\`output mnistlab$" "$o")" = 4 ] && [ "$(grep -c "^ *Accuracy *$" "$o")" = 2 ] &&
     grep -q "validation accuracy per epoch" "$o"'
check "neural_networks.md: MLP test accuracy 0.92..0.96, CNN 0.94..0.98, the CNN better, with fewer weights" \
    'm=$(val "$o" "MLP: 50890 parameters, .*test accuracy \([0-9.]*\)"); c=$(val "$o" "CNN: 27210 parameters, .*test accuracy \([0-9.]*\)");
     between "$m" 0.92 0.96 && between "$c" 0.94 0.98 && awk -v m="$m" -v c="$c" "BEGIN { exit !(c > m) }"'

# ---- notebook-basics.md (also in notebook.sh)
run_md notebook-basics.md
check "notebook-basics.md: four outputs" \
    '[ "$(grep -c "^\`\`\`output mnistlab$" "$TMP/notebook-basics.md.report")" = 4 ]'

# ---- every example is run here, listed in the README, and short
missing="" unlisted="" long=""
for p in examples/*; do
    f=${p#examples/}
    [ "$f" = README.md ] && continue
    case " $covered " in *" $f "*) ;; *) missing="$missing $f" ;; esac
    grep -q "($f)" examples/README.md || unlisted="$unlisted $f"
    case $f in *.lua) [ "$(wc -l < "$p")" -le 60 ] || long="$long $f" ;; esac
done
check "every file in examples/ is run by this suite (missing:${missing:- none})" '[ -z "$missing" ]'
check "every example is listed in examples/README.md (unlisted:${unlisted:- none})" '[ -z "$unlisted" ]'
check "every script is at most 60 lines (longer:${long:- none})" '[ -z "$long" ]'
