/* Lua bindings for the unsupervised area: clustering metrics.
 *
 * PCA, KMeans and GaussianMixture come through the generic estimator binding
 * (lestimator.c); this file adds the functions that judge a clustering:
 *
 *   ml.contingency_matrix(y_true, labels)          -- C x K tensor of counts
 *   ml.adjusted_rand_score(y_true, labels)         -- number
 *   ml.normalized_mutual_info_score(y_true, labels)
 *   ml.cluster_accuracy(y_true, labels)            -- accuracy, {[cluster] = class}
 *   ml.now()                                       -- monotonic wall clock, seconds
 *
 * Labels are 0-based (tensors or Lua arrays of numbers).  The mapping's keys
 * are cluster ids (0-based, like KMeans.labels); a cluster left without a
 * class (more clusters than classes) is absent from it. */
#include "lua/mlua.h"

#include <stdlib.h>
#include <time.h>

#include "models/cluster_metrics.h"
#include "models/estimator.h"
#include "models/kmeans.h"
#include "models/mixture.h"
#include "models/pca.h"

/* Strong references: they pull the model objects out of the static library,
 * where the registry's weak references alone would not. */
const ml_estimator_class *const mlua_unsupervised_classes[] = {&ml_pca_class, &ml_kmeans_class,
                                                               &ml_gaussian_mixture_class, NULL};

static void two_labels(lua_State *L, ml_tensor **a, ml_tensor **b)
{
    *a = mlua_check_tensor_like(L, 1);
    *b = mlua_check_tensor_like(L, 2);
}

static int l_contingency(lua_State *L)
{
    ml_tensor *a, *b, *out;
    two_labels(L, &a, &b);
    if (ml_contingency_matrix(a, b, &out)) return mlua_fail(L);
    mlua_push_tensor(L, out, 1);
    return 1;
}

static int l_ari(lua_State *L)
{
    ml_tensor *a, *b;
    double v;
    two_labels(L, &a, &b);
    if (ml_adjusted_rand_score(a, b, &v)) return mlua_fail(L);
    lua_pushnumber(L, v);
    return 1;
}

static int l_nmi(lua_State *L)
{
    ml_tensor *a, *b;
    double v;
    two_labels(L, &a, &b);
    if (ml_normalized_mutual_info_score(a, b, &v)) return mlua_fail(L);
    lua_pushnumber(L, v);
    return 1;
}

static int l_cluster_accuracy(lua_State *L)
{
    ml_tensor *a, *b;
    double v;
    two_labels(L, &a, &b);
    int64_t n = ml_tensor_numel(b), k = 0;
    for (int64_t i = 0; i < n; i++)
        if (b->data[i] >= (float)k && b->data[i] < 65536.0f) k = (int64_t)b->data[i] + 1;
    int64_t *map = malloc((size_t)(k ? k : 1) * sizeof *map);
    if (!map) return luaL_error(L, "cluster_accuracy: out of memory");
    if (ml_cluster_accuracy(a, b, &v, map, k)) {
        free(map);
        return mlua_fail(L);
    }
    lua_pushnumber(L, v);
    lua_createtable(L, 0, (int)k);
    for (int64_t j = 0; j < k; j++) {
        if (map[j] < 0) continue;
        lua_pushinteger(L, (lua_Integer)map[j]);
        lua_seti(L, -2, (lua_Integer)j);
    }
    free(map);
    return 2;
}

static int l_now(lua_State *L)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    lua_pushnumber(L, (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9);
    return 1;
}

void mlua_open_unsupervised(lua_State *L)
{
    static const luaL_Reg fns[] = {{"contingency_matrix", l_contingency},
                                   {"adjusted_rand_score", l_ari},
                                   {"normalized_mutual_info_score", l_nmi},
                                   {"cluster_accuracy", l_cluster_accuracy},
                                   {NULL, NULL}};
    luaL_setfuncs(L, fns, 0);
    /* ml.now may come from another area too: keep the first */
    if (lua_getfield(L, -1, "now") == LUA_TNIL) {
        lua_pop(L, 1);
        lua_pushcfunction(L, l_now);
        lua_setfield(L, -2, "now");
    } else
        lua_pop(L, 1);
    (void)mlua_unsupervised_classes;
}
