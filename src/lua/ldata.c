/* Data bindings: datasets, IDX files, splits, counts, threads. */
#include "lua/mlua.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/blas.h"
#include "data/dataset.h"
#include "data/idx.h"
#include "data/split.h"

/* ml.load(name [, {subset = "all"|"train"|"test"}]) -> {X=, y=, name=, classes=, n_classes=, n_train=, source=} */
static int l_load(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    static const char *const known[] = {"subset", NULL};
    mlua_check_opts(L, 2, "load", known);
    const char *sub = mlua_opt_string(L, 2, "subset", "all");
    ml_subset subset;
    if (strcmp(sub, "all") == 0) subset = ML_SUBSET_ALL;
    else if (strcmp(sub, "train") == 0) subset = ML_SUBSET_TRAIN;
    else if (strcmp(sub, "test") == 0) subset = ML_SUBSET_TEST;
    else return luaL_error(L, "load: option 'subset' must be \"all\", \"train\" or \"test\", got \"%s\"", sub);

    ml_dataset *d = malloc(sizeof *d);
    if (!d) return luaL_error(L, "load: out of memory");
    if (ml_dataset_load(name, subset, d)) {
        free(d);
        return mlua_fail(L);
    }
    ml_tensor *X = d->X, *y = d->y;
    d->X = d->y = NULL;
    lua_createtable(L, 0, 8);
    /* push_tensor takes ownership even if it raises; anchor y first. */
    int ok = lua_checkstack(L, 8);
    if (!ok) {
        ml_tensor_free(X), ml_tensor_free(y), free(d);
        return luaL_error(L, "load: stack overflow");
    }
    lua_pushstring(L, d->name);
    lua_setfield(L, -2, "name");
    lua_pushstring(L, d->source);
    lua_setfield(L, -2, "source");
    lua_pushinteger(L, d->n_classes);
    lua_setfield(L, -2, "n_classes");
    lua_pushinteger(L, d->n_train);
    lua_setfield(L, -2, "n_train");
    lua_createtable(L, d->n_classes, 1);
    for (int c = 0; c < d->n_classes && c < ML_MAX_CLASSES; c++) {
        lua_pushstring(L, d->classes[c]);
        lua_rawseti(L, -2, c); /* indexed by label: classes[0] is label 0 */
    }
    lua_setfield(L, -2, "classes");
    free(d);
    mlua_push_tensor(L, y, 1);
    lua_setfield(L, -2, "y");
    mlua_push_tensor(L, X, 1);
    lua_setfield(L, -2, "X");
    return 1;
}

static ml_idx_type parse_type(lua_State *L, const char *s)
{
    static const struct { const char *name; ml_idx_type t; } names[] = {
        {"ubyte", ML_IDX_U8}, {"uint8", ML_IDX_U8},  {"byte", ML_IDX_I8},   {"int8", ML_IDX_I8},
        {"short", ML_IDX_I16}, {"int16", ML_IDX_I16}, {"int", ML_IDX_I32},  {"int32", ML_IDX_I32},
        {"float", ML_IDX_F32}, {"float32", ML_IDX_F32}, {"double", ML_IDX_F64}, {"float64", ML_IDX_F64}};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strcmp(names[i].name, s) == 0) return names[i].t;
    luaL_error(L, "option 'type': unknown IDX type \"%s\" (ubyte, byte, short, int, float, double)", s);
    return ML_IDX_U8;
}

/* ml.load_idx(path [, {scale = 1}]) -> tensor */
static int l_load_idx(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    static const char *const known[] = {"scale", NULL};
    mlua_check_opts(L, 2, "load_idx", known);
    double scale = mlua_opt_number(L, 2, "scale", 1.0);
    ml_idx idx;
    if (ml_idx_read(path, &idx)) return mlua_fail(L);
    ml_tensor *t = ml_idx_to_tensor(&idx, (float)scale);
    ml_idx_free(&idx);
    if (!t) return mlua_fail(L);
    mlua_push_tensor(L, t, 1);
    return 1;
}

/* ml.idx_info(path) -> {type = "unsigned byte", shape = {...}, gzip = bool} */
static int l_idx_info(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    ml_idx idx;
    if (ml_idx_read(path, &idx)) return mlua_fail(L);
    lua_createtable(L, 0, 3);
    lua_pushstring(L, ml_idx_type_name(idx.type));
    lua_setfield(L, -2, "type");
    lua_pushboolean(L, idx.gzipped);
    lua_setfield(L, -2, "gzip");
    lua_createtable(L, idx.ndim, 0);
    for (int i = 0; i < idx.ndim; i++) {
        lua_pushinteger(L, idx.dims[i]);
        lua_rawseti(L, -2, i + 1);
    }
    lua_setfield(L, -2, "shape");
    ml_idx_free(&idx);
    return 1;
}

/* ml.save_idx(path, t [, {type = "ubyte", scale = 1, gzip = <path ends in .gz>}]) */
static int l_save_idx(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    ml_tensor *t = mlua_check_tensor_like(L, 2);
    static const char *const known[] = {"type", "scale", "gzip", NULL};
    mlua_check_opts(L, 3, "save_idx", known);
    ml_idx_type ty = parse_type(L, mlua_opt_string(L, 3, "type", "ubyte"));
    double scale = mlua_opt_number(L, 3, "scale", 1.0);
    size_t n = strlen(path);
    int gz = mlua_opt_bool(L, 3, "gzip", n > 3 && strcmp(path + n - 3, ".gz") == 0);
    if (ml_idx_write(path, t, ty, (float)scale, gz)) return mlua_fail(L);
    lua_pushboolean(L, 1);
    return 1;
}

/* Pushes the rows idx[0..n-1] of t as a new tensor. */
static int push_rows(lua_State *L, const ml_tensor *t, const int64_t *idx, int64_t n)
{
    ml_tensor *r = ml_tensor_take_rows(t, idx, n);
    if (!r) return 0;
    mlua_push_tensor(L, r, 1);
    return 1;
}

/* ml.train_test_split(X [, y] [, {test_size = 0.25, seed = 0, shuffle = true, stratify = false}])
 *   -> Xtrain, Xtest [, ytrain, ytest]   (scikit-learn's order)
 * stratify = true stratifies on y; stratify = a label tensor stratifies on it. */
static int l_train_test_split(lua_State *L)
{
    ml_tensor *X = mlua_check_tensor(L, 1);
    ml_tensor *y = mlua_to_tensor(L, 2);
    int opt = y ? 3 : 2;
    if (!y && !lua_isnoneornil(L, 2) && !lua_istable(L, 2)) luaL_typeerror(L, 2, "label tensor or options table");
    static const char *const known[] = {"test_size", "seed", "random_state", "shuffle", "stratify", NULL};
    mlua_check_opts(L, opt, "train_test_split", known);
    ml_split_opts o;
    o.test_size = mlua_opt_number(L, opt, "test_size", 0.25);
    lua_Integer seed = mlua_opt_integer(L, opt, "random_state", 0);
    seed = mlua_opt_integer(L, opt, "seed", seed);
    o.seed = (uint64_t)seed;
    o.shuffle = mlua_opt_bool(L, opt, "shuffle", 1);
    const ml_tensor *strat = NULL;
    int ty = mlua_opt_field(L, opt, "stratify");
    if (ty == LUA_TBOOLEAN) {
        if (lua_toboolean(L, -1)) {
            if (!y) return luaL_error(L, "train_test_split: stratify = true needs the labels y");
            strat = y;
        }
    } else if (ty != LUA_TNIL) {
        strat = mlua_to_tensor(L, -1);
        if (!strat) return luaL_error(L, "train_test_split: option 'stratify' must be true, false or a label tensor");
    }
    lua_pop(L, 1); /* strat, if a tensor, stays referenced by the options table */
    o.stratify = strat != NULL;
    if (y && y->shape[0] != X->shape[0])
        return luaL_error(L, "train_test_split: X has %d rows but y has %d", (int)X->shape[0], (int)y->shape[0]);

    int64_t *tr, *te, ntr, nte;
    if (ml_split_indices(X->shape[0], strat ? strat : y, &o, &tr, &ntr, &te, &nte)) return mlua_fail(L);
    /* Raising while holding tr/te would leak them: collect results first. */
    int ok = lua_checkstack(L, 4) && push_rows(L, X, tr, ntr) && push_rows(L, X, te, nte);
    if (ok && y) ok = push_rows(L, y, tr, ntr) && push_rows(L, y, te, nte);
    free(tr);
    free(te);
    if (!ok) return mlua_fail(L);
    return y ? 4 : 2;
}

/* ml.counts(y) -> {[0] = n0, [1] = n1, ...}, n_classes */
static int l_counts(lua_State *L)
{
    ml_tensor *y = mlua_check_tensor_like(L, 1);
    int nc;
    if (ml_check_labels(y, "counts: y", &nc)) return mlua_fail(L);
    int64_t n = ml_tensor_numel(y);
    if (n == 0) nc = 0;
    lua_createtable(L, nc, 1);
    for (int c = 0; c < nc; c++) {
        lua_pushinteger(L, 0);
        lua_rawseti(L, -2, c);
    }
    for (int64_t i = 0; i < n; i++) {
        int c = (int)y->data[i];
        lua_rawgeti(L, -1, c);
        lua_Integer v = lua_tointeger(L, -1);
        lua_pop(L, 1);
        lua_pushinteger(L, v + 1);
        lua_rawseti(L, -2, c);
    }
    lua_pushinteger(L, nc);
    return 2;
}

/* ml.accuracy_score(y_true, y_pred) -> fraction equal */
static int l_accuracy_score(lua_State *L)
{
    ml_tensor *a = mlua_check_tensor_like(L, 1), *b = mlua_check_tensor_like(L, 2);
    if (ml_tensor_numel(a) != ml_tensor_numel(b))
        return luaL_error(L, "accuracy_score: y_true has %d labels, y_pred %d", (int)ml_tensor_numel(a),
                          (int)ml_tensor_numel(b));
    int64_t n = ml_tensor_numel(a);
    if (n == 0) return luaL_error(L, "accuracy_score: no labels");
    lua_pushnumber(L, (double)ml_tensor_count_equal(a, b) / (double)n);
    return 1;
}

static int l_set_threads(lua_State *L)
{
    lua_Integer n = luaL_checkinteger(L, 1);
    luaL_argcheck(L, n >= 1 && n <= 256, 1, "thread count must be 1 to 256");
    ml_set_threads((int)n);
    return 0;
}

static int l_get_threads(lua_State *L)
{
    lua_pushinteger(L, ml_get_threads());
    return 1;
}

/* ml.memory() -> used_bytes, cap_bytes (cap 0: none) */
static int l_memory(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)mlua_mem_used(L));
    lua_pushinteger(L, (lua_Integer)mlua_mem_cap(L));
    return 2;
}

/* ml.set_memory_limit(megabytes): inside the program (stock lua5.4 has no cap and ignores it). */
static int l_set_memory_limit(lua_State *L)
{
    lua_Number mb = luaL_checknumber(L, 1);
    luaL_argcheck(L, mb >= 16, 1, "the memory limit must be at least 16 MB");
    mlua_set_mem_cap(L, (size_t)(mb * 1048576.0));
    return 0;
}

static const luaL_Reg functions[] = {{"load", l_load},
                                     {"memory", l_memory},
                                     {"set_memory_limit", l_set_memory_limit},
                                     {"load_idx", l_load_idx},
                                     {"save_idx", l_save_idx},
                                     {"idx_info", l_idx_info},
                                     {"train_test_split", l_train_test_split},
                                     {"counts", l_counts},
                                     {"accuracy_score", l_accuracy_score},
                                     {"set_threads", l_set_threads},
                                     {"get_threads", l_get_threads},
                                     {NULL, NULL}};

void mlua_open_data(lua_State *L) { luaL_setfuncs(L, functions, 0); }
