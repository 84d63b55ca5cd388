#!/bin/sh
# Neural networks through the mnistlab program: Ctrl-C during fit (a real
# SIGINT), and bad input that must end in a clear message, never a crash.
. "$(dirname "$0")/lib.sh"

cat > "$TMP/sigint.lua" <<'LUA'
local ds = ml.load("mnist")
local X, y = ds.X:rows(1, 4000), ds.y:rows(1, 4000)
local net = ml.Sequential{ml.Input{28, 28}, ml.Flatten(), ml.Dense{32, activation = "relu"},
                          ml.Dense{10, activation = "softmax"}}
net:compile{loss = "sparse_categorical_crossentropy", optimizer = "adam", metrics = {"accuracy"}}
-- after the first epoch the process sends itself SIGINT, as Ctrl-C would
local ok, err = pcall(net.fit, net, X, y, {epochs = 100, verbose = 0, callbacks = {function(e)
  if e == 0 then assert(io.popen("kill -INT $PPID")):close() end end}})
print("stopped:", not ok, err)
print("epochs kept:", #net.history.history.loss)
local _, acc = net:evaluate(X, y)
print(("accuracy after the interrupt > 0.8: %s"):format(acc > 0.8))
net:fit(X:rows(1, 64), y:rows(1, 64), {epochs = 1, verbose = 0})
print("fit again: ok")
LUA
"$MNISTLAB" "$TMP/sigint.lua" > "$TMP/sig.out" 2>&1
rc=$?
check "SIGINT during fit: the script goes on (exit 0)" '[ "$rc" = 0 ]'
check "SIGINT during fit: fit stopped with 'interrupted'" 'grep -q "^stopped:	true	.*interrupted" "$TMP/sig.out"'
check "SIGINT during fit: the finished epoch is kept in model.history" 'grep -q "^epochs kept:	1$" "$TMP/sig.out"'
check "SIGINT during fit: the weights so far are kept" 'grep -q "after the interrupt > 0.8: true" "$TMP/sig.out"'
check "SIGINT during fit: the next fit runs" 'grep -q "^fit again: ok" "$TMP/sig.out"'

cat > "$TMP/nocompile.lua" <<'LUA'
local net = ml.Sequential{ml.Input{4}, ml.Dense{3, activation = "softmax"}}
net:fit(ml.zeros(8, 4), ml.zeros(8))
LUA
expect_fail_with "fit before compile is a clear error" "fit: the model is not compiled" "$MNISTLAB" "$TMP/nocompile.lua"

cat > "$TMP/misfit.lua" <<'LUA'
ml.Sequential{ml.Input{28, 28, 1}, ml.Conv2D{8, 3}, ml.Dense{10}}
LUA
expect_fail_with "a misfit layer names itself and both shapes" \
    "dense (Dense): input shape (None, 26, 26, 8) does not fit: expected (None, features)" "$MNISTLAB" "$TMP/misfit.lua"

printf 'MNISTLAB garbage' > "$TMP/bad.model"
cat > "$TMP/badfile.lua" <<LUA
ml.load_model("$TMP/bad.model")
LUA
expect_fail_with "a damaged model file is refused, naming it" "$TMP/bad.model" "$MNISTLAB" "$TMP/badfile.lua"
