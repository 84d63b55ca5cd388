#!/bin/sh
# Runs every test and ends with one line: "N passed, N failed".
#   C unit tests (cmocka, build/tests/test_*), Lua specs (busted, tests/lua),
#   shell tests (tests/sh/*.sh).  Every suite speaks TAP; this script counts.
# Environment: BUILD (default build), SANITIZE=1 for the sanitizer build,
# TESTS=pattern to run only suites whose name contains it.
set -u
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD=${BUILD:-build}
export BUILD ROOT
export MNISTLAB="$ROOT/$BUILD/mnistlab"
export LUA_CPATH="$ROOT/$BUILD/?.so;;"
export LUA_PATH="$ROOT/tests/lua/?.lua;;"
export CMOCKA_MESSAGE_OUTPUT=TAP
# Test runs must not see a user's data or settings.
unset MNISTLAB_DATA MNISTLAB_HOME NO_COLOR
export XDG_CACHE_HOME="$ROOT/$BUILD/test-cache"
# One log folder per run, so that runs side by side do not clobber each other's logs.
LOGDIR="$ROOT/$BUILD/test-logs/run-$$"
rm -rf "$LOGDIR"; mkdir -p "$LOGDIR" "$XDG_CACHE_HOME"
find "$ROOT/$BUILD/test-logs" -mindepth 1 -maxdepth 1 -mmin +120 -exec rm -rf {} + 2>/dev/null

if [ "${SANITIZE:-0}" = 1 ]; then
    # Stock lua5.4 is not instrumented: it gets the sanitizer runtimes preloaded
    # for the module, through a wrapper first on PATH.  Only lua5.4: other tools
    # (curl, python3) must not run with them.
    sanbin="$ROOT/$BUILD/sanbin"
    mkdir -p "$sanbin"
    printf '#!/bin/sh
LD_PRELOAD="%s %s" exec /usr/bin/lua5.4 "$@"
' \
        "$(gcc -print-file-name=libasan.so)" "$(gcc -print-file-name=libubsan.so)" > "$sanbin/lua5.4"
    chmod +x "$sanbin/lua5.4"
    export PATH="$sanbin:$PATH"
    export ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1:abort_on_error=0:halt_on_error=1"
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
fi

passed=0
failed=0
failures=""

# Count one suite's TAP output.  $1 name, $2 log, $3 exit status.
tally() {
    name=$1 log=$2 rc=$3
    p=$(grep -c '^ok' "$log")
    f=$(grep -c '^not ok' "$log")
    if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
        f=1
        echo "not ok - $name exited with status $rc" >> "$log"
    fi
    if [ "${SANITIZE:-0}" = 1 ] && grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$log"; then
        f=$((f + 1))
        echo "not ok - $name: sanitizer report" >> "$log"
    fi
    passed=$((passed + p))
    failed=$((failed + f))
    printf '%-40s %4d passed, %d failed\n' "$name" "$p" "$f"
    if [ "$f" != 0 ]; then
        failures="$failures $name"
        grep -E '^not ok' "$log" | sed 's/^/    /'
        grep -E '^#' "$log" | head -n 30 | sed 's/^/    /'
        [ "${SANITIZE:-0}" = 1 ] && grep -A12 -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$log" | head -n 30 | sed 's/^/    /'
    fi
}

want() { [ -z "${TESTS:-}" ] || case "$1" in *"$TESTS"*) return 0 ;; *) return 1 ;; esac; }

for bin in "$BUILD"/tests/test_*; do
    [ -x "$bin" ] || continue
    name="c/$(basename "$bin")"
    want "$name" || continue
    log="$LOGDIR/$(basename "$bin").log"
    (cd "$ROOT" && "$bin") > "$log" 2>&1
    tally "$name" "$log" $?
done

for spec in tests/lua/*_spec.lua; do
    [ -e "$spec" ] || continue
    name="lua/$(basename "$spec" .lua)"
    want "$name" || continue
    log="$LOGDIR/$(basename "$spec").log"
    lua5.4 /usr/bin/busted -o TAP "$spec" > "$log" 2>&1
    tally "$name" "$log" $?
done

for t in tests/sh/*.sh; do
    [ -e "$t" ] || continue
    [ "$t" = tests/sh/lib.sh ] && continue
    name="sh/$(basename "$t" .sh)"
    want "$name" || continue
    log="$LOGDIR/$(basename "$t").log"
    sh "$t" > "$log" 2>&1
    tally "$name" "$log" $?
done

echo
[ -n "$failures" ] && echo "failing suites:$failures (logs in $LOGDIR)"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
