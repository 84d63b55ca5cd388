# `make install PREFIX=...` from a copy of the tree that is then deleted: the installed program, Lua
# module and C library must find their data on their own, and pkg-config must build a C program.
. tests/sh/lib.sh
src="$TMP/src"; prefix="$TMP/prefix"
mkdir -p "$src"
cp -R Makefile mnistlab.pc.in README.md src data man examples scripts "$src"/
if ! make -C "$src" -s -j2 install PREFIX="$prefix" > "$TMP/build.log" 2>&1; then
    echo "not ok - make install"; sed 's/^/# /' "$TMP/build.log" | tail -n 20; exit 0
fi
echo "ok - make install PREFIX=$prefix"
rm -rf "$src"

check "binary, libraries, header, .pc, Lua module, man page, data installed" '
  [ -x "$prefix/bin/mnistlab" ] && [ -f "$prefix/lib/libmnistlab.a" ] && [ -f "$prefix/lib/libmnistlab.so" ] &&
  [ -f "$prefix/include/mnistlab/mnistlab.h" ] && [ -f "$prefix/include/mnistlab/core/tensor.h" ] &&
  [ -f "$prefix/lib/pkgconfig/mnistlab.pc" ] && [ -f "$prefix/lib/lua/5.4/mnistlab.so" ] &&
  [ -f "$prefix/share/man/man1/mnistlab.1" ] && [ -f "$prefix/share/mnistlab/mnist/t10k-images-idx3-ubyte.gz" ]'
if [ -d data/notebooks ]; then
    check "notebooks installed" '[ -n "$(ls "$prefix/share/mnistlab/notebooks")" ]'
fi

cat > "$TMP/load.lua" <<'LUA'
local ml = require "mnistlab"
local ds = ml.load("mnist")
assert(#ds.X == 10000, "rows " .. #ds.X)
print("ok")
LUA
ok "the installed program runs a script that loads the bundled data" "$prefix/bin/mnistlab" "$TMP/load.lua"
ok "stock lua5.4 loads the installed module and finds the data" \
  env LUA_CPATH="$prefix/lib/lua/5.4/?.so;;" lua5.4 "$TMP/load.lua"

cat > "$TMP/prog.c" <<'C'
/* The C library alone, through its one public header: data, a model, a chart. */
#include <mnistlab.h>
#include <stdio.h>
int main(void)
{
    ml_dataset d;
    if (ml_dataset_load("mnist", ML_SUBSET_TEST, &d)) { fprintf(stderr, "%s\n", ml_last_error()); return 1; }
    printf("%lld\n", (long long)d.X->shape[0]);
    ml_estimator *pca = ml_estimator_new(&ml_pca_class);
    ml_value k = ml_num(2);
    ml_tensor *few = ml_tensor_view_rows(d.X, 0, 500);
    if (ml_estimator_set_param(pca, "n_components", &k) || ml_estimator_fit(pca, few, NULL, NULL)) {
        fprintf(stderr, "%s\n", ml_last_error());
        return 1;
    }
    ml_tensor *Z;
    if (ml_estimator_transform(pca, few, &Z)) return 1;
    printf("%lld %lld\n", (long long)Z->shape[0], (long long)Z->shape[1]);
    double v[3] = {1, 2, 3};
    const char *labels[3] = {"a", "b", "c"};
    ml_plot_opts o;
    ml_plot_opts_init(&o);
    o.width = 30, o.height = 8, o.ascii = 1;
    ml_text t;
    ml_text_init(&t);
    if (ml_plot_bar(&t, v, 3, 1, labels, NULL, &o)) { fprintf(stderr, "%s\n", ml_last_error()); return 1; }
    printf("%d\n", t.nlines);
    ml_text_free(&t);
    ml_tensor_free(Z), ml_tensor_free(few), ml_estimator_free(pca), ml_dataset_free(&d);
    return 0;
}
C
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
ok "a C program builds against the shared library with pkg-config, without a warning" \
  sh -c "cc -Wall -Werror -o '$TMP/prog' '$TMP/prog.c' \$(pkg-config --cflags --libs mnistlab)"
LD_LIBRARY_PATH="$prefix/lib" "$TMP/prog" > "$TMP/prog.out" 2>&1
check "it loads the installed data, fits a PCA and draws a chart" 'grep -qx 10000 "$TMP/prog.out" && grep -qx "500 2" "$TMP/prog.out" && [ "$(tail -n 1 "$TMP/prog.out")" -ge 3 ] || { sed "s/^/# /" "$TMP/prog.out"; false; }'
ok "and against the static library" \
  sh -c "cc -o '$TMP/prog-static' '$TMP/prog.c' \$(pkg-config --cflags mnistlab) '$prefix/lib/libmnistlab.a' \$(pkg-config --libs-only-other --libs --static mnistlab | sed 's/-lmnistlab//')"
