# Shared helpers for shell tests: each check prints one TAP line.
# Sourced by tests/sh/*.sh; ROOT, BUILD and MNISTLAB come from tests/run.sh.
: "${ROOT:=$(pwd)}" "${BUILD:=build}" "${MNISTLAB:=$ROOT/$BUILD/mnistlab}"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
# mnistlab's own state (recovery files of the built-in lab) stays in the test:
# a developer's real ones must not change what a test sees
export XDG_STATE_HOME="$TMP/state"

# ok NAME COMMAND...   passes when the command exits 0
ok() {
    name=$1; shift
    if "$@" > "$TMP/out" 2>&1; then echo "ok - $name"; else echo "not ok - $name"; sed 's/^/# /' "$TMP/out" | head -n 20; fi
}

# check NAME CONDITION-STRING   passes when `eval CONDITION` is true; prints context on failure
check() {
    name=$1; shift
    if eval "$1"; then echo "ok - $name"; else echo "not ok - $name"; echo "# condition: $1"; fi
}

# expect_fail_with NAME PATTERN COMMAND...  passes when the command fails (non-zero, no crash)
# and its output contains PATTERN on one line
expect_fail_with() {
    name=$1 pattern=$2; shift 2
    "$@" > "$TMP/out" 2>&1
    rc=$?
    if [ "$rc" -ne 0 ] && [ "$rc" -lt 128 ] && grep -q -- "$pattern" "$TMP/out"; then
        echo "ok - $name"
    else
        echo "not ok - $name (exit $rc)"; sed 's/^/# /' "$TMP/out" | head -n 10
    fi
}
