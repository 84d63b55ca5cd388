/* Lua bindings for classical supervised learning beyond the generic
 * estimator binding: folds, cross-validation, grid search, pipelines and
 * metrics, in scikit-learn's vocabulary.
 *
 *   local kf = ml.StratifiedKFold{n_splits = 5, shuffle = true, seed = 0}
 *   for i, fold in ipairs(kf:split(X, y)) do ... fold.train, fold.test ... end  -- 1-based row numbers
 *   for i, Xtr, ytr, Xte, yte in kf:each(X, y) do ... end                      -- one fold's rows at a time
 *   local scores = ml.cross_val_score(model, X, y, {cv = 5, n_jobs = nil})      -- tensor of k accuracies
 *   local pipe = ml.Pipeline{{"pca", ml.PCA{n_components = 50}}, {"svc", ml.SVC{}}}
 *   local gs = ml.GridSearchCV(pipe, {svc__kernel = {"linear", "poly", "rbf"}}, {cv = 5}):fit(X, y)
 *   gs.best_params, gs.best_score, gs.cv_results, gs.best_estimator, gs:predict(X), print(gs:results())
 *   ml.confusion_matrix(y, pred), ml.classification_report(y, pred, {target_names = names})
 */
#include "lua/mlua.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/estimator.h"
#include "models/metrics.h"
#include "models/pipeline.h"
#include "models/selection.h"

#define MLUA_CV "mnistlab.CrossValidator"
#define MLUA_GRID "mnistlab.GridSearchCV"

/* ---------------- folds ---------------- */

typedef struct lcv {
    int k, shuffle, stratified;
    lua_Integer seed;
} lcv;

static void read_cv_opts(lua_State *L, int t, const char *fn, lcv *c, int stratified)
{
    static const char *const known[] = {"n_splits", "shuffle", "seed", "random_state", NULL};
    mlua_check_opts(L, t, fn, known);
    lua_Integer k = mlua_opt_integer(L, t, "n_splits", 5);
    if (k < 2 || k > 1000000) luaL_error(L, "%s: n_splits must be at least 2, got %d", fn, (int)k);
    c->k = (int)k;
    c->shuffle = mlua_opt_bool(L, t, "shuffle", 0);
    c->seed = mlua_opt_integer(L, t, "random_state", 0);
    c->seed = mlua_opt_integer(L, t, "seed", c->seed);
    c->stratified = stratified;
}

static int new_cv(lua_State *L, int stratified)
{
    lcv c;
    read_cv_opts(L, 1, stratified ? "StratifiedKFold" : "KFold", &c, stratified);
    lcv *u = lua_newuserdatauv(L, sizeof *u, 0);
    *u = c;
    luaL_setmetatable(L, MLUA_CV);
    return 1;
}

static int l_kfold(lua_State *L) { return new_cv(L, 0); }
static int l_stratified_kfold(lua_State *L) { return new_cv(L, 1); }

/* Folds for n rows (labels y needed when stratified). */
static void make_folds(lua_State *L, const lcv *c, int64_t n, const ml_tensor *y, ml_folds *f)
{
    ml_status st = c->stratified ? ml_stratified_kfold(y, c->k, c->shuffle, (uint64_t)c->seed, f)
                                 : ml_kfold(n, c->k, c->shuffle, (uint64_t)c->seed, f);
    if (st) mlua_fail(L);
}

/* kf:split(X [, y]) -> {{train = {...}, test = {...}}, ...}, 1-based row numbers */
static int cv_split(lua_State *L)
{
    lcv *c = luaL_checkudata(L, 1, MLUA_CV);
    int64_t n;
    ml_tensor *y = NULL;
    if (lua_isinteger(L, 2)) n = lua_tointeger(L, 2);
    else n = mlua_check_tensor(L, 2)->shape[0];
    if (!lua_isnoneornil(L, 3)) y = mlua_check_tensor_like(L, 3);
    if (c->stratified && !y) return luaL_error(L, "StratifiedKFold: split needs the labels y");
    if (y && ml_tensor_numel(y) != n)
        return luaL_error(L, "split: X has %d rows but y has %d labels", (int)n, (int)ml_tensor_numel(y));
    ml_folds f;
    make_folds(L, c, n, y, &f);
    int64_t *train = malloc(sizeof *train * (size_t)n);
    if (!train || !lua_checkstack(L, 8)) {
        free(train);
        ml_folds_free(&f);
        return luaL_error(L, "split: out of memory");
    }
    lua_createtable(L, f.k, 0);
    for (int i = 0; i < f.k; i++) {
        int64_t ntr;
        ml_folds_train(&f, i, train, &ntr);
        lua_createtable(L, 0, 2);
        lua_createtable(L, (int)ntr, 0);
        for (int64_t j = 0; j < ntr; j++) {
            lua_pushinteger(L, train[j] + 1);
            lua_rawseti(L, -2, j + 1);
        }
        lua_setfield(L, -2, "train");
        int64_t nte = f.start[i + 1] - f.start[i];
        lua_createtable(L, (int)nte, 0);
        for (int64_t j = 0; j < nte; j++) {
            lua_pushinteger(L, f.test[f.start[i] + j] + 1);
            lua_rawseti(L, -2, j + 1);
        }
        lua_setfield(L, -2, "test");
        lua_rawseti(L, -2, i + 1);
    }
    free(train);
    ml_folds_free(&f);
    return 1;
}

/* kf:each(X, y): for i, Xtr, ytr, Xte, yte in kf:each(X, y) do ... end, one
 * fold's rows copied at a time. */
#define MLUA_FOLDS "mnistlab.Folds"

static int folds_gc(lua_State *L)
{
    ml_folds *f = luaL_checkudata(L, 1, MLUA_FOLDS);
    ml_folds_free(f);
    return 0;
}

static int push_rows_of(lua_State *L, const ml_tensor *t, const int64_t *idx, int64_t n)
{
    ml_tensor *r = ml_tensor_take_rows(t, idx, n);
    if (!r) return 0;
    mlua_push_tensor(L, r, 1);
    return 1;
}

static int each_next(lua_State *L)
{
    ml_folds *f = luaL_checkudata(L, lua_upvalueindex(1), MLUA_FOLDS);
    ml_tensor *X = mlua_check_tensor(L, lua_upvalueindex(2));
    ml_tensor *y = mlua_check_tensor(L, lua_upvalueindex(3));
    lua_Integer i = lua_tointeger(L, lua_upvalueindex(4));
    if (i >= f->k) return 0;
    lua_pushinteger(L, i + 1);
    lua_replace(L, lua_upvalueindex(4));
    int64_t *train = malloc(sizeof *train * (size_t)f->n);
    if (!train) return luaL_error(L, "each: out of memory");
    int64_t ntr;
    ml_folds_train(f, (int)i, train, &ntr);
    const int64_t *te = f->test + f->start[i];
    int64_t nte = f->start[i + 1] - f->start[i];
    luaL_checkstack(L, 6, "each");
    lua_pushinteger(L, i + 1);
    int ok = push_rows_of(L, X, train, ntr) && push_rows_of(L, y, train, ntr) && push_rows_of(L, X, te, nte) &&
             push_rows_of(L, y, te, nte);
    free(train);
    if (!ok) return mlua_fail(L);
    return 5;
}

static int cv_each(lua_State *L)
{
    lcv *c = luaL_checkudata(L, 1, MLUA_CV);
    ml_tensor *X = mlua_check_tensor(L, 2);
    ml_tensor *y = mlua_check_tensor_like(L, 3);
    if (ml_tensor_numel(y) != X->shape[0])
        return luaL_error(L, "each: X has %d rows but y has %d labels", (int)X->shape[0], (int)ml_tensor_numel(y));
    ml_folds *f = lua_newuserdatauv(L, sizeof *f, 0);
    memset(f, 0, sizeof *f);
    luaL_setmetatable(L, MLUA_FOLDS);
    make_folds(L, c, X->shape[0], y, f);
    lua_pushvalue(L, 2);
    lua_pushvalue(L, 3);
    lua_pushinteger(L, 0);
    lua_pushcclosure(L, each_next, 4);
    return 1;
}

static int cv_get_n_splits(lua_State *L)
{
    lua_pushinteger(L, ((lcv *)luaL_checkudata(L, 1, MLUA_CV))->k);
    return 1;
}

static int cv_index(lua_State *L)
{
    lcv *c = luaL_checkudata(L, 1, MLUA_CV);
    const char *k = luaL_checkstring(L, 2);
    if (!strcmp(k, "split")) lua_pushcfunction(L, cv_split);
    else if (!strcmp(k, "each")) lua_pushcfunction(L, cv_each);
    else if (!strcmp(k, "n_splits")) lua_pushinteger(L, c->k);
    else if (!strcmp(k, "get_n_splits")) lua_pushcfunction(L, cv_get_n_splits);
    else if (!strcmp(k, "shuffle")) lua_pushboolean(L, c->shuffle);
    else if (!strcmp(k, "seed") || !strcmp(k, "random_state")) lua_pushinteger(L, c->seed);
    else return luaL_error(L, "%s: no field '%s'", c->stratified ? "StratifiedKFold" : "KFold", k);
    return 1;
}

static int cv_tostring(lua_State *L)
{
    lcv *c = luaL_checkudata(L, 1, MLUA_CV);
    lua_pushfstring(L, "%s(n_splits=%d, shuffle=%s, random_state=%d)", c->stratified ? "StratifiedKFold" : "KFold",
                    c->k, c->shuffle ? "true" : "false", (int)c->seed);
    return 1;
}

/* The cv option: nil (5), an integer k (stratified, no shuffle: scikit-learn's
 * default for classifiers) or a KFold/StratifiedKFold object. */
static void cv_from_opt(lua_State *L, int t, const char *fn, lcv *c)
{
    int ty = mlua_opt_field(L, t, "cv");
    c->k = 5, c->shuffle = 0, c->seed = 0, c->stratified = 1;
    if (ty == LUA_TNUMBER) {
        if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 2)
            luaL_error(L, "%s: option 'cv' must be an integer >= 2 or a KFold/StratifiedKFold", fn);
        c->k = (int)lua_tointeger(L, -1);
    } else if (ty != LUA_TNIL) {
        lcv *u = luaL_testudata(L, -1, MLUA_CV);
        if (!u) luaL_error(L, "%s: option 'cv' must be an integer >= 2 or a KFold/StratifiedKFold", fn);
        *c = *u;
    }
    lua_pop(L, 1);
}

/* The n_jobs option (scikit-learn's): nil (automatic: fits side by side on
 * every thread when they gain from it, see selection.h), -1 (every thread)
 * or 1 to 256 fits at a time. */
static int n_jobs_opt(lua_State *L, int t, const char *fn)
{
    int ty = mlua_opt_field(L, t, "n_jobs");
    int n = ML_N_JOBS_AUTO;
    if (ty != LUA_TNIL) {
        if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) == 0 || lua_tointeger(L, -1) < -1 ||
            lua_tointeger(L, -1) > 256)
            luaL_error(L, "%s: option 'n_jobs' must be nil (automatic), -1 (every thread) or 1 to 256, got %s", fn,
                       luaL_tolstring(L, -1, NULL));
        n = (int)lua_tointeger(L, -1);
    }
    lua_pop(L, 1);
    return n;
}

/* ---------------- cross_val_score ---------------- */

static int l_cross_val_score(lua_State *L)
{
    ml_estimator *e = mlua_check_estimator(L, 1);
    ml_tensor *X = mlua_check_tensor(L, 2);
    ml_tensor *y = mlua_check_tensor_like(L, 3);
    static const char *const known[] = {"cv", "n_jobs", NULL};
    mlua_check_opts(L, 4, "cross_val_score", known);
    lcv c;
    cv_from_opt(L, 4, "cross_val_score", &c);
    int n_jobs = n_jobs_opt(L, 4, "cross_val_score");
    if (ml_tensor_numel(y) != X->shape[0])
        return luaL_error(L, "cross_val_score: X has %d rows but y has %d labels", (int)X->shape[0],
                          (int)ml_tensor_numel(y));
    ml_folds f;
    make_folds(L, &c, X->shape[0], y, &f);
    ml_tensor *scores = ml_tensor_new1(f.k);
    double *s = malloc(sizeof *s * (size_t)f.k);
    if (!scores || !s) {
        ml_tensor_free(scores), free(s), ml_folds_free(&f);
        return luaL_error(L, "cross_val_score: out of memory");
    }
    mlua_guard g;
    mlua_guard_begin(L, &g);
    ml_status st = ml_cross_val_score_jobs(e, X, y, &f, n_jobs, mlua_progress(L), s);
    mlua_guard_end(&g);
    ml_folds_free(&f);
    if (st) {
        ml_tensor_free(scores), free(s);
        return mlua_fail_status(L, st);
    }
    for (int i = 0; i < scores->shape[0]; i++) scores->data[i] = (float)s[i];
    free(s);
    mlua_push_tensor(L, scores, 1);
    return 1;
}

/* ---------------- Pipeline ---------------- */

static int build_pipeline(lua_State *L, int n, const char **names, int first_est, int stride)
{
    ml_estimator **steps = calloc((size_t)n, sizeof *steps);
    if (!steps) return luaL_error(L, "Pipeline: out of memory");
    for (int i = 0; i < n; i++) {
        ml_estimator *src = mlua_to_estimator(L, first_est + i * stride);
        if (!src || !(steps[i] = ml_estimator_clone(src))) {
            for (int j = 0; j < i; j++) ml_estimator_free(steps[j]);
            free(steps);
            if (!src) return luaL_error(L, "Pipeline: step %d ('%s') is not an estimator", i + 1, names[i]);
            return mlua_fail(L);
        }
    }
    ml_estimator *p;
    ml_status st = ml_pipeline_new(names, steps, n, &p);
    free(steps);
    if (st) return mlua_fail(L);
    mlua_push_estimator(L, p);
    return 1;
}

/* ml.Pipeline{{"pca", ml.PCA{...}}, {"svc", ml.SVC{...}}}: the steps are
 * copied (same parameters, unfitted), as the pipeline fits its own. */
static int l_pipeline(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    int n = (int)luaL_len(L, 1);
    if (n < 1) return luaL_error(L, "Pipeline: steps: give a list of {name, estimator} pairs");
    if (n > 64) return luaL_error(L, "Pipeline: steps: at most 64 steps");
    const char *names[64];
    lua_settop(L, 1);
    luaL_checkstack(L, 2 * n + 4, "Pipeline");
    for (int i = 0; i < n; i++) {
        if (lua_rawgeti(L, 1, i + 1) != LUA_TTABLE)
            return luaL_error(L, "Pipeline: step %d must be a pair {name, estimator}", i + 1);
        int t = lua_gettop(L);
        if (lua_rawgeti(L, t, 1) != LUA_TSTRING)
            return luaL_error(L, "Pipeline: step %d: the name must be a string", i + 1);
        names[i] = lua_tostring(L, -1);
        lua_rawgeti(L, t, 2);
        if (!mlua_to_estimator(L, -1)) return luaL_error(L, "Pipeline: step %d ('%s') is not an estimator", i + 1, names[i]);
        lua_remove(L, t); /* keep: name, estimator */
    }
    return build_pipeline(L, n, names, 3, 2);
}

/* ml.make_pipeline(est1, est2, ...): names are the class names in lower case. */
static int l_make_pipeline(lua_State *L)
{
    int n = lua_gettop(L);
    if (n < 1) return luaL_error(L, "make_pipeline: give the estimators");
    if (n > 64) return luaL_error(L, "make_pipeline: at most 64 steps");
    const char *names[64];
    luaL_checkstack(L, n + 4, "make_pipeline");
    for (int i = 0; i < n; i++) {
        ml_estimator *e = mlua_to_estimator(L, i + 1);
        if (!e) return luaL_error(L, "make_pipeline: argument %d is not an estimator", i + 1);
        const char *s = e->cls->name;
        size_t len = strlen(s);
        char buf[64];
        size_t m = len < sizeof buf - 1 ? len : sizeof buf - 1;
        for (size_t k = 0; k < m; k++) buf[k] = (char)(s[k] >= 'A' && s[k] <= 'Z' ? s[k] - 'A' + 'a' : s[k]);
        buf[m] = 0;
        lua_pushstring(L, buf);
        names[i] = lua_tostring(L, -1);
    }
    return build_pipeline(L, n, names, 1, 1);
}

/* ---------------- GridSearchCV ---------------- */

typedef struct lgrid {
    lcv cv;
    int refit;
    int n_jobs;
    int fitted;
    int64_t best_index;
    double best_score;
} lgrid;

enum { GS_MODEL = 1, GS_GRID, GS_RESULTS, GS_BEST, GS_NUV = GS_BEST };

static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

/* Builds the C grid from the Lua table at idx: {name = {values...}} or
 * {name = value}.  Keys sorted, as scikit-learn's ParameterGrid. */
static void build_grid(lua_State *L, int idx, ml_grid *g)
{
    memset(g, 0, sizeof *g);
    idx = lua_absindex(L, idx);
    const char *keys[256];
    int nk = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING) {
            lua_pop(L, 1);
            luaL_error(L, "GridSearchCV: grid keys must be parameter names, e.g. {C = {1, 10}}");
        }
        if (nk == 256) luaL_error(L, "GridSearchCV: at most 256 grid parameters");
        keys[nk++] = lua_tostring(L, -1); /* anchored by the grid table */
    }
    if (nk == 0) luaL_error(L, "GridSearchCV: the grid is empty");
    qsort(keys, (size_t)nk, sizeof *keys, cmp_str);
    for (int i = 0; i < nk; i++) {
        lua_getfield(L, idx, keys[i]);
        int nv = lua_istable(L, -1) ? (int)luaL_len(L, -1) : 1;
        if (lua_istable(L, -1) && nv == 0) {
            ml_grid_free(g);
            luaL_error(L, "GridSearchCV: grid parameter '%s' has no values", keys[i]);
        }
        ml_value *vals = calloc((size_t)nv, sizeof *vals);
        if (!vals) {
            ml_grid_free(g);
            luaL_error(L, "GridSearchCV: out of memory");
        }
        int bad = 0;
        for (int j = 0; j < nv && !bad; j++) {
            if (lua_istable(L, -1)) lua_rawgeti(L, -1, j + 1);
            else lua_pushvalue(L, -1);
            if (!mlua_to_value(L, -1, &vals[j]) || vals[j].kind == ML_VAL_TENSOR) bad = j + 1;
            lua_pop(L, 1); /* strings stay anchored by the grid table */
        }
        if (bad) {
            free(vals);
            ml_grid_free(g);
            luaL_error(L, "GridSearchCV: grid parameter '%s': value %d must be a number, string, boolean or nil",
                       keys[i], bad);
        }
        ml_status st = ml_grid_add(g, keys[i], vals, nv);
        free(vals);
        lua_pop(L, 1);
        if (st) {
            ml_grid_free(g);
            mlua_fail(L);
        }
    }
}

/* ml.GridSearchCV(model, grid, {cv = 5, refit = true, n_jobs = nil}) */
static int l_grid_search(lua_State *L)
{
    ml_estimator *e = mlua_check_estimator(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    static const char *const known[] = {"cv", "refit", "n_jobs", NULL};
    mlua_check_opts(L, 3, "GridSearchCV", known);
    lgrid gsv;
    memset(&gsv, 0, sizeof gsv);
    cv_from_opt(L, 3, "GridSearchCV", &gsv.cv);
    gsv.refit = mlua_opt_bool(L, 3, "refit", 1);
    gsv.n_jobs = n_jobs_opt(L, 3, "GridSearchCV");
    /* check the grid now: an unknown parameter or a bad value fails here */
    ml_grid g;
    build_grid(L, 2, &g);
    ml_estimator *c = ml_estimator_clone(e);
    ml_status st = c ? ML_OK : ML_ENOMEM;
    for (int i = 0; !st && i < g.n_params; i++)
        for (int j = 0; !st && j < g.params[i].n_values; j++) {
            st = ml_estimator_set_param(c, g.params[i].name, &g.params[i].values[j]);
            if (st) {
                char pre[160];
                snprintf(pre, sizeof pre, "GridSearchCV: grid parameter '%s'", g.params[i].name);
                ml_fail_prefix(st, pre);
            }
        }
    ml_estimator_free(c);
    ml_grid_free(&g);
    if (st) return mlua_fail(L);
    lgrid *u = lua_newuserdatauv(L, sizeof *u, GS_NUV);
    *u = gsv;
    luaL_setmetatable(L, MLUA_GRID);
    lua_pushvalue(L, 1);
    lua_setiuservalue(L, -2, GS_MODEL);
    lua_pushvalue(L, 2);
    lua_setiuservalue(L, -2, GS_GRID);
    return 1;
}

static void push_params_of(lua_State *L, const ml_grid *g, const int *choice)
{
    lua_createtable(L, 0, g->n_params);
    for (int i = 0; i < g->n_params; i++) {
        ml_value v = g->params[i].values[choice[i]];
        mlua_push_value(L, &v);
        lua_setfield(L, -2, g->params[i].name);
    }
}

static int gs_fit(lua_State *L)
{
    lgrid *u = luaL_checkudata(L, 1, MLUA_GRID);
    ml_tensor *X = mlua_check_tensor(L, 2);
    ml_tensor *y = mlua_check_tensor_like(L, 3);
    lua_settop(L, 3);
    lua_getiuservalue(L, 1, GS_MODEL); /* 4 */
    ml_estimator *e = mlua_check_estimator(L, 4);
    lua_getiuservalue(L, 1, GS_GRID); /* 5 */
    if (ml_tensor_numel(y) != X->shape[0])
        return luaL_error(L, "GridSearchCV: X has %d rows but y has %d labels", (int)X->shape[0],
                          (int)ml_tensor_numel(y));
    ml_grid g;
    build_grid(L, 5, &g);
    ml_folds f;
    ml_status st = u->cv.stratified ? ml_stratified_kfold(y, u->cv.k, u->cv.shuffle, (uint64_t)u->cv.seed, &f)
                                    : ml_kfold(X->shape[0], u->cv.k, u->cv.shuffle, (uint64_t)u->cv.seed, &f);
    if (st) {
        ml_grid_free(&g);
        return mlua_fail(L);
    }
    ml_search_result r;
    mlua_guard gd;
    mlua_guard_begin(L, &gd);
    st = ml_grid_search_jobs(e, &g, X, y, &f, u->refit, u->n_jobs, mlua_progress(L), &r);
    mlua_guard_end(&gd);
    ml_folds_free(&f);
    if (st) {
        ml_grid_free(&g);
        return mlua_fail_status(L, st);
    }
    if (!lua_checkstack(L, 16)) {
        ml_search_result_free(&r);
        ml_grid_free(&g);
        return luaL_error(L, "GridSearchCV: stack overflow");
    }
    /* results, scikit-learn's cv_results_ columns (Lua arrays, 1-based) */
    int np = g.n_params > 0 ? g.n_params : 1;
    lua_createtable(L, 0, 8);
    lua_createtable(L, (int)r.n_candidates, 0);
    for (int64_t c = 0; c < r.n_candidates; c++) {
        push_params_of(L, &g, r.choice + c * np);
        lua_rawseti(L, -2, c + 1);
    }
    lua_setfield(L, -2, "params");
    const struct { const char *name; const double *v; } cols[] = {
        {"mean_test_score", r.mean}, {"std_test_score", r.std}, {"mean_fit_time", r.fit_seconds}};
    for (size_t k = 0; k < sizeof cols / sizeof *cols; k++) {
        lua_createtable(L, (int)r.n_candidates, 0);
        for (int64_t c = 0; c < r.n_candidates; c++) {
            lua_pushnumber(L, cols[k].v[c]);
            lua_rawseti(L, -2, c + 1);
        }
        lua_setfield(L, -2, cols[k].name);
    }
    lua_createtable(L, (int)r.n_candidates, 0);
    for (int64_t c = 0; c < r.n_candidates; c++) {
        lua_pushinteger(L, r.rank[c]);
        lua_rawseti(L, -2, c + 1);
    }
    lua_setfield(L, -2, "rank_test_score");
    for (int i = 0; i < r.k; i++) {
        lua_createtable(L, (int)r.n_candidates, 0);
        for (int64_t c = 0; c < r.n_candidates; c++) {
            lua_pushnumber(L, r.fold_scores[c * r.k + i]);
            lua_rawseti(L, -2, c + 1);
        }
        char key[48];
        snprintf(key, sizeof key, "split%d_test_score", i);
        lua_setfield(L, -2, key);
    }
    lua_pushinteger(L, r.k);
    lua_setfield(L, -2, "n_splits");
    lua_setiuservalue(L, 1, GS_RESULTS);
    u->best_index = r.best_index;
    u->best_score = r.best_score;
    u->fitted = 1;
    if (r.best_estimator) {
        mlua_push_estimator(L, r.best_estimator);
        r.best_estimator = NULL;
    } else {
        lua_pushnil(L);
    }
    lua_setiuservalue(L, 1, GS_BEST);
    ml_search_result_free(&r);
    ml_grid_free(&g);
    lua_settop(L, 1);
    return 1;
}

static lgrid *check_fitted(lua_State *L, const char *what)
{
    lgrid *u = luaL_checkudata(L, 1, MLUA_GRID);
    if (!u->fitted) luaL_error(L, "GridSearchCV: %s before fit: call fit first", what);
    return u;
}

static int gs_delegate(lua_State *L)
{
    const char *method = lua_tostring(L, lua_upvalueindex(1));
    check_fitted(L, method);
    int nargs = lua_gettop(L) - 1;
    lua_getiuservalue(L, 1, GS_BEST);
    if (lua_isnil(L, -1)) return luaL_error(L, "GridSearchCV: %s needs refit = true", method);
    lua_getfield(L, -1, method);
    lua_insert(L, 2); /* gs, method, args..., best */
    lua_insert(L, 3); /* gs, method, best, args... */
    lua_call(L, nargs + 1, LUA_MULTRET);
    return lua_gettop(L) - 1;
}

/* gs:results() -> a printable table of candidates:
 *   rank  mean    std     params */
typedef struct sbuf {
    char *s;
    size_t n, cap;
} sbuf;

static void sb_add(sbuf *b, const char *t)
{
    size_t l = strlen(t);
    if (b->n + l + 1 > b->cap) {
        size_t c = (b->cap ? b->cap * 2 : 256) + l;
        char *ns = realloc(b->s, c);
        if (!ns) return;
        b->s = ns;
        b->cap = c;
    }
    memcpy(b->s + b->n, t, l + 1);
    b->n += l;
}

static double col_num(lua_State *L, int t, const char *col, int c)
{
    lua_getfield(L, t, col);
    lua_rawgeti(L, -1, c);
    double v = lua_tonumber(L, -1);
    lua_pop(L, 2);
    return v;
}

static int gs_results(lua_State *L)
{
    check_fitted(L, "results");
    lua_settop(L, 1);
    lua_getiuservalue(L, 1, GS_RESULTS); /* 2 */
    lua_getfield(L, 2, "params");        /* 3 */
    int n = (int)luaL_len(L, 3);
    sbuf b = {NULL, 0, 0};
    char line[160];
    snprintf(line, sizeof line, "%-5s %-7s %-7s %s\n", "rank", "mean", "std", "params");
    sb_add(&b, line);
    for (int c = 1; c <= n; c++) {
        snprintf(line, sizeof line, "%-5d %-7.4f %-7.4f ", (int)col_num(L, 2, "rank_test_score", c),
                 col_num(L, 2, "mean_test_score", c), col_num(L, 2, "std_test_score", c));
        sb_add(&b, line);
        lua_rawgeti(L, 3, c); /* 4: params of candidate c */
        const char *keys[256];
        int nk = 0;
        lua_pushnil(L);
        while (lua_next(L, 4)) {
            lua_pop(L, 1);
            if (nk < 256) keys[nk++] = lua_tostring(L, -1);
        }
        qsort(keys, (size_t)nk, sizeof *keys, cmp_str);
        for (int k = 0; k < nk; k++) {
            lua_getfield(L, 4, keys[k]);
            int str = lua_type(L, -1) == LUA_TSTRING;
            const char *v = luaL_tolstring(L, -1, NULL);
            snprintf(line, sizeof line, "%s%s=%s%.60s%s", k ? ", " : "", keys[k], str ? "\"" : "", v, str ? "\"" : "");
            sb_add(&b, line);
            lua_pop(L, 2);
        }
        sb_add(&b, "\n");
        lua_settop(L, 3);
    }
    lua_pushstring(L, b.s ? b.s : "");
    free(b.s);
    return 1;
}

static int gs_index(lua_State *L)
{
    lgrid *u = luaL_checkudata(L, 1, MLUA_GRID);
    const char *k = luaL_checkstring(L, 2);
    static const char *const delegated[] = {"predict", "predict_proba", "decision_function", "score", NULL};
    if (!strcmp(k, "fit")) return lua_pushcfunction(L, gs_fit), 1;
    if (!strcmp(k, "results")) return lua_pushcfunction(L, gs_results), 1;
    for (int i = 0; delegated[i]; i++)
        if (!strcmp(k, delegated[i])) {
            lua_pushstring(L, k);
            lua_pushcclosure(L, gs_delegate, 1);
            return 1;
        }
    if (!strcmp(k, "estimator")) return lua_getiuservalue(L, 1, GS_MODEL), 1;
    if (!strcmp(k, "param_grid")) return lua_getiuservalue(L, 1, GS_GRID), 1;
    if (!strcmp(k, "n_splits")) return lua_pushinteger(L, u->cv.k), 1;
    if (!strcmp(k, "fitted")) return lua_pushboolean(L, u->fitted), 1;
    if (!strcmp(k, "best_score") || !strcmp(k, "best_index") || !strcmp(k, "best_params") ||
        !strcmp(k, "cv_results") || !strcmp(k, "best_estimator")) {
        if (!u->fitted) return luaL_error(L, "GridSearchCV: '%s' is known only after fit", k);
        if (!strcmp(k, "best_score")) lua_pushnumber(L, u->best_score);
        else if (!strcmp(k, "best_index")) lua_pushinteger(L, u->best_index + 1);
        else if (!strcmp(k, "best_estimator")) lua_getiuservalue(L, 1, GS_BEST);
        else {
            lua_getiuservalue(L, 1, GS_RESULTS);
            if (!strcmp(k, "best_params")) {
                lua_getfield(L, -1, "params");
                lua_rawgeti(L, -1, u->best_index + 1);
            }
        }
        return 1;
    }
    return luaL_error(L, "GridSearchCV: no method or field '%s'", k);
}

static int gs_tostring(lua_State *L)
{
    lgrid *u = luaL_checkudata(L, 1, MLUA_GRID);
    lua_getiuservalue(L, 1, GS_MODEL);
    lua_pushfstring(L, "GridSearchCV(estimator=%s, cv=%d%s)", luaL_tolstring(L, -1, NULL), u->cv.k,
                    u->fitted ? ", fitted" : "");
    return 1;
}

/* ---------------- metrics ---------------- */

static int l_confusion_matrix(lua_State *L)
{
    ml_tensor *a = mlua_check_tensor_like(L, 1);
    ml_tensor *b = mlua_check_tensor_like(L, 2);
    static const char *const known[] = {"n_classes", NULL};
    mlua_check_opts(L, 3, "confusion_matrix", known);
    lua_Integer nc = mlua_opt_integer(L, 3, "n_classes", 0);
    if (nc < 0 || nc > 65536) return luaL_error(L, "confusion_matrix: option 'n_classes' must be 0 to 65536");
    ml_tensor *cm;
    if (ml_confusion_matrix(a, b, (int)nc, &cm)) return mlua_fail(L);
    mlua_push_tensor(L, cm, 1);
    return 1;
}

/* A report's __tostring: its text, so that print(report) prints what
 * scikit-learn's print(classification_report(...)) does. */
static int report_tostring(lua_State *L)
{
    lua_getfield(L, 1, "text");
    if (!lua_isstring(L, -1)) lua_pushliteral(L, "classification report");
    return 1;
}

/* ml.classification_report(y_true, y_pred [, {target_names = {...}, digits = 2}])
 *   -> {[label] = {precision=, recall=, f1=, support=}, accuracy=, macro_avg={...}, weighted_avg={...},
 *       text = scikit-learn's text}, printed as its text */
static int l_classification_report(lua_State *L)
{
    ml_tensor *a = mlua_check_tensor_like(L, 1);
    ml_tensor *b = mlua_check_tensor_like(L, 2);
    static const char *const known[] = {"target_names", "digits", NULL};
    mlua_check_opts(L, 3, "classification_report", known);
    lua_Integer digits = mlua_opt_integer(L, 3, "digits", 2);
    if (digits < 0 || digits > 10) return luaL_error(L, "classification_report: option 'digits' must be 0 to 10");
    const char *names[1024];
    int n_names = 0;
    if (mlua_opt_field(L, 3, "target_names") == LUA_TTABLE) {
        /* a list (1-based: names[1] is label 0) or a table indexed by label from 0 (ds.classes) */
        int zero = lua_rawgeti(L, -1, 0) == LUA_TSTRING;
        lua_pop(L, 1);
        int len = (int)luaL_len(L, -1) + zero;
        for (int i = 0; i < len && i < 1024; i++) {
            lua_rawgeti(L, -1, zero ? i : i + 1);
            names[i] = lua_isstring(L, -1) ? lua_tostring(L, -1) : NULL; /* anchored by the option table */
            lua_pop(L, 1);
            n_names = i + 1;
        }
    } else if (!lua_isnil(L, -1)) {
        return luaL_error(L, "classification_report: option 'target_names' must be a list of names");
    }
    lua_pop(L, 1);
    ml_class_report r;
    if (ml_classification_report(a, b, &r)) return mlua_fail(L);
    char *text;
    if (ml_class_report_format(&r, names, n_names, (int)digits, &text)) {
        ml_class_report_free(&r);
        return mlua_fail(L);
    }
    if (!lua_checkstack(L, 8)) {
        free(text);
        ml_class_report_free(&r);
        return luaL_error(L, "classification_report: stack overflow");
    }
    lua_createtable(L, r.n, 4);
    for (int i = 0; i < r.n; i++) {
        lua_createtable(L, 0, 4);
        lua_pushnumber(L, r.precision[i]);
        lua_setfield(L, -2, "precision");
        lua_pushnumber(L, r.recall[i]);
        lua_setfield(L, -2, "recall");
        lua_pushnumber(L, r.f1[i]);
        lua_setfield(L, -2, "f1");
        lua_pushinteger(L, r.support[i]);
        lua_setfield(L, -2, "support");
        lua_rawseti(L, -2, r.label[i]);
    }
    lua_pushnumber(L, r.accuracy);
    lua_setfield(L, -2, "accuracy");
    const char *avg[2] = {"macro_avg", "weighted_avg"};
    for (int k = 0; k < 2; k++) {
        const double *v = k ? r.weighted : r.macro;
        lua_createtable(L, 0, 4);
        lua_pushnumber(L, v[0]);
        lua_setfield(L, -2, "precision");
        lua_pushnumber(L, v[1]);
        lua_setfield(L, -2, "recall");
        lua_pushnumber(L, v[2]);
        lua_setfield(L, -2, "f1");
        lua_pushinteger(L, r.total);
        lua_setfield(L, -2, "support");
        lua_setfield(L, -2, avg[k]);
    }
    lua_pushstring(L, text);
    lua_setfield(L, -2, "text");
    free(text);
    ml_class_report_free(&r);
    if (luaL_newmetatable(L, "mnistlab.classification_report")) {
        lua_pushcfunction(L, report_tostring);
        lua_setfield(L, -2, "__tostring");
    }
    lua_setmetatable(L, -2);
    return 1;
}

static const luaL_Reg functions[] = {{"KFold", l_kfold},
                                     {"StratifiedKFold", l_stratified_kfold},
                                     {"cross_val_score", l_cross_val_score},
                                     {"GridSearchCV", l_grid_search},
                                     {"Pipeline", l_pipeline},
                                     {"make_pipeline", l_make_pipeline},
                                     {"confusion_matrix", l_confusion_matrix},
                                     {"classification_report", l_classification_report},
                                     {NULL, NULL}};

void mlua_open_supervised(lua_State *L)
{
    luaL_newmetatable(L, MLUA_FOLDS);
    lua_pushcfunction(L, folds_gc);
    lua_setfield(L, -2, "__gc");
    lua_pop(L, 1);
    luaL_newmetatable(L, MLUA_CV);
    lua_pushcfunction(L, cv_index);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, cv_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pop(L, 1);
    luaL_newmetatable(L, MLUA_GRID);
    lua_pushcfunction(L, gs_index);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, gs_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pop(L, 1);
    luaL_setfuncs(L, functions, 0);
}
