# The architecture shows in the includes: a lower layer never includes a higher one.
. tests/sh/lib.sh
rank() {
    case "$1" in
    core) echo 0 ;; data) echo 1 ;; models|nn) echo 2 ;; plot) echo 3 ;; lua) echo 4 ;;
    notebook) echo 5 ;; tui) echo 6 ;; cli) echo 7 ;; *) echo 99 ;;
    esac
}
bad=""
for f in src/*/*.c src/*/*.h; do
    layer=$(basename "$(dirname "$f")")
    r=$(rank "$layer")
    for inc in $(sed -n 's/^#include "\([a-z]*\)\/.*/\1/p' "$f" | sort -u); do
        ir=$(rank "$inc")
        [ "$ir" = 99 ] && continue
        # models and nn are peers; plot sits above models (it may draw their results)
        if [ "$ir" -gt "$r" ] && ! { [ "$layer" = nn ] && [ "$inc" = models ]; }; then bad="$bad $f->$inc"; fi
    done
done
check "no lower layer includes a higher one" '[ -z "$bad" ] || { echo "# $bad"; false; }'
check "the C library (core..plot) never includes Lua or ncurses" \
  '! grep -lE "#include [<\"](lua|lauxlib|lualib|curses|ncurses)" src/core/* src/data/* src/models/* src/nn/* src/plot/* 2>/dev/null | grep -q .'
check "nothing in the library calls exit() or abort()" \
  '! grep -nE "\b(exit|abort)\s*\(" src/core/*.c src/data/*.c src/models/*.c src/nn/*.c src/plot/*.c 2>/dev/null | grep -v "^\s*//" | grep -q .'
check "only the TUI includes ncurses" '! grep -lE "#include [<\"](curses|ncurses)" src/*/*.[ch] | grep -v "^src/tui/" | grep -q .'
