# Every fuzz harness replays its seed corpus and every input that ever crashed it
# (tests/fuzz/regressions/<name>/): found bugs stay fixed.
. tests/sh/lib.sh
for bin in "$BUILD"/tests/replay_*; do
    [ -x "$bin" ] || continue
    name=${bin##*/replay_}
    set -- tests/fuzz/corpus/"$name"/* tests/fuzz/regressions/"$name"/*
    files=""
    for f in "$@"; do [ -f "$f" ] && files="$files $f"; done
    [ -n "$files" ] || continue
    # shellcheck disable=SC2086
    if "$bin" $files > "$TMP/replay.log" 2>&1; then
        echo "ok - $name harness replays $(echo $files | wc -w) inputs"
    else
        echo "not ok - $name harness failed on its corpus"; tail -n 20 "$TMP/replay.log" | sed 's/^/# /'
    fi
done
