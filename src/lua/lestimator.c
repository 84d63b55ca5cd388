/* One binding for every estimator class: ml.<Name>{params} with scikit-learn's
 * methods, parameters and fitted attributes readable as fields:
 *
 *   local svc = ml.SVC{C = 10, gamma = "scale"}:fit(Xtr, ytr)
 *   print(svc, svc.n_support, svc:score(Xte, yte))
 *   svc.C = 5                      -- set_params
 *   tree:get_depth()               -- the attribute "depth", as a method
 *   svc:save("svc.model"); local m = ml.load_model("svc.model")
 */
#include "lua/mlua.h"

#include <math.h>
#include <string.h>

#include "models/estimator.h"
#include "models/pipeline.h"



/* An estimator userdata owns its model, except a step of a pipeline seen
 * through pipe.named_steps: that one borrows the step, and its user value
 * keeps the pipeline alive for as long as the step is reachable. */
typedef struct lest {
    ml_estimator *e;
    int borrowed;
} lest;

void mlua_push_estimator(lua_State *L, ml_estimator *e)
{
    if (!lua_checkstack(L, 2)) {
        ml_estimator_free(e);
        luaL_error(L, "stack overflow");
    }
    lest *u = lua_newuserdatauv(L, sizeof *u, 1);
    u->e = NULL;
    u->borrowed = 0;
    luaL_setmetatable(L, MLUA_ESTIMATOR);
    u->e = e;
}

/* pipe.named_steps: {name = step, ...}, each step borrowed from the pipeline
 * at stack index `owner`, so that pipe.named_steps.svc.C = 10 changes the
 * pipeline's own step and a fitted pipeline's steps show their attributes. */
static void push_named_steps(lua_State *L, int owner, ml_estimator *pipe)
{
    int n = ml_pipeline_n_steps(pipe);
    lua_createtable(L, 0, n);
    for (int i = 0; i < n; i++) {
        lest *u = lua_newuserdatauv(L, sizeof *u, 1);
        u->e = ml_pipeline_step(pipe, i);
        u->borrowed = 1;
        luaL_setmetatable(L, MLUA_ESTIMATOR);
        lua_pushvalue(L, owner);
        lua_setiuservalue(L, -2, 1);
        lua_setfield(L, -2, ml_pipeline_step_name(pipe, i));
    }
}

ml_estimator *mlua_check_estimator(lua_State *L, int idx)
{
    lest *u = luaL_checkudata(L, idx, MLUA_ESTIMATOR);
    if (!u->e) luaL_argerror(L, idx, "estimator has been freed");
    return u->e;
}

ml_estimator *mlua_to_estimator(lua_State *L, int idx)
{
    lest *u = luaL_testudata(L, idx, MLUA_ESTIMATOR);
    return u ? u->e : NULL;
}

/* Lua value at idx -> ml_value (strings and tensors borrowed from the stack). */
int mlua_to_value(lua_State *L, int idx, ml_value *v)
{
    memset(v, 0, sizeof *v);
    switch (lua_type(L, idx)) {
    case LUA_TNIL: v->kind = ML_VAL_NONE; return 1;
    case LUA_TNUMBER: v->kind = ML_VAL_NUM; v->num = lua_tonumber(L, idx); return 1;
    case LUA_TBOOLEAN: v->kind = ML_VAL_BOOL; v->num = lua_toboolean(L, idx); return 1;
    case LUA_TSTRING: v->kind = ML_VAL_STR; v->str = lua_tostring(L, idx); return 1;
    default:
        if ((v->tensor = mlua_to_tensor(L, idx))) {
            v->kind = ML_VAL_TENSOR;
            return 1;
        }
        return 0;
    }
}

/* Pushes v; a tensor in v is handed to Lua (owned). */
void mlua_push_value(lua_State *L, ml_value *v)
{
    switch (v->kind) {
    case ML_VAL_NONE: lua_pushnil(L); break;
    case ML_VAL_NUM:
        if (v->num == floor(v->num) && fabs(v->num) < 9007199254740992.0) lua_pushinteger(L, (lua_Integer)v->num);
        else lua_pushnumber(L, v->num);
        break;
    case ML_VAL_BOOL: lua_pushboolean(L, v->num != 0); break;
    case ML_VAL_STR: lua_pushstring(L, v->str); break;
    case ML_VAL_TENSOR:
        v->kind = ML_VAL_NONE;
        mlua_push_tensor(L, v->tensor, 1);
        break;
    }
}

static void set_param_from_stack(lua_State *L, ml_estimator *e, const char *name, int idx)
{
    ml_value v;
    if (!mlua_to_value(L, idx, &v))
        luaL_error(L, "%s: parameter '%s' cannot be a %s", e->cls->name, name, luaL_typename(L, idx));
    ml_status st = ml_estimator_set_param(e, name, &v);
    if (st) mlua_fail(L);
}

/* Sets every string-keyed field of the table at idx as a parameter. */
static void set_params_from_table(lua_State *L, ml_estimator *e, int idx)
{
    idx = lua_absindex(L, idx);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        if (lua_type(L, -2) == LUA_TSTRING) set_param_from_stack(L, e, lua_tostring(L, -2), lua_gettop(L));
        else luaL_error(L, "%s: parameters are given by name, e.g. {C = 10}", e->cls->name);
        lua_pop(L, 1);
    }
}

static int l_new(lua_State *L)
{
    const ml_estimator_class *cls = lua_touserdata(L, lua_upvalueindex(1));
    int has_params = !lua_isnoneornil(L, 1);
    if (has_params) luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    ml_estimator *e = ml_estimator_new(cls);
    if (!e) return mlua_fail(L);
    mlua_push_estimator(L, e); /* anchored: collected if a parameter is refused */
    if (has_params) set_params_from_table(L, e, 1);
    return 1;
}

/* Raise for a failed status; Ctrl-C becomes "interrupted" and is cleared. */
int mlua_fail_status(lua_State *L, int st)
{
    if (st == ML_ECANCELLED) {
        ml_interrupt_clear();
        return luaL_error(L, "interrupted: %s", ml_last_error());
    }
    return mlua_fail(L);
}

static void print_warning(lua_State *L, const ml_estimator *e)
{
    if (!e->warning[0]) return;
    if (lua_getglobal(L, "print") == LUA_TFUNCTION) {
        lua_pushfstring(L, "warning: %s: %s", e->cls->name, e->warning);
        lua_call(L, 1, 0);
    } else {
        lua_pop(L, 1);
    }
}

static int m_fit(lua_State *L)
{
    ml_estimator *e = mlua_check_estimator(L, 1);
    ml_tensor *X = mlua_check_tensor(L, 2);
    ml_tensor *y = lua_isnoneornil(L, 3) ? NULL : mlua_check_tensor_like(L, 3);
    mlua_guard g;
    mlua_guard_begin(L, &g);
    ml_status st = ml_estimator_fit(e, X, y, mlua_progress(L));
    mlua_guard_end(&g);
    if (st) return mlua_fail_status(L, st);
    print_warning(L, e);
    lua_settop(L, 1);
    return 1;
}

typedef ml_status (*apply_fn)(const ml_estimator *, const ml_tensor *, ml_tensor **);

static int apply(lua_State *L, apply_fn fn)
{
    ml_estimator *e = mlua_check_estimator(L, 1);
    ml_tensor *X = mlua_check_tensor_like(L, 2);
    ml_tensor *out;
    mlua_guard g;
    mlua_guard_begin(L, &g);
    ml_status st = fn(e, X, &out);
    mlua_guard_end(&g);
    if (st) return mlua_fail_status(L, st);
    mlua_push_tensor(L, out, 1);
    return 1;
}

static int m_predict(lua_State *L) { return apply(L, ml_estimator_predict); }
static int m_predict_proba(lua_State *L) { return apply(L, ml_estimator_predict_proba); }
static int m_decision_function(lua_State *L) { return apply(L, ml_estimator_decision_function); }
static int m_transform(lua_State *L) { return apply(L, ml_estimator_transform); }
static int m_inverse_transform(lua_State *L) { return apply(L, ml_estimator_inverse_transform); }

static int m_fit_transform(lua_State *L)
{
    lua_settop(L, 3);
    lua_pushcfunction(L, m_fit);
    lua_pushvalue(L, 1), lua_pushvalue(L, 2), lua_pushvalue(L, 3);
    lua_call(L, 3, 0);
    lua_settop(L, 2);
    return apply(L, ml_estimator_transform);
}

static int m_fit_predict(lua_State *L)
{
    lua_settop(L, 3);
    lua_pushcfunction(L, m_fit);
    lua_pushvalue(L, 1), lua_pushvalue(L, 2), lua_pushvalue(L, 3);
    lua_call(L, 3, 0);
    lua_settop(L, 2);
    return apply(L, ml_estimator_predict);
}

static int m_score(lua_State *L)
{
    ml_estimator *e = mlua_check_estimator(L, 1);
    ml_tensor *X = mlua_check_tensor(L, 2);
    ml_tensor *y = mlua_check_tensor_like(L, 3);
    double s;
    mlua_guard g;
    mlua_guard_begin(L, &g);
    ml_status st = ml_estimator_score(e, X, y, &s);
    mlua_guard_end(&g);
    if (st) return mlua_fail_status(L, st);
    lua_pushnumber(L, s);
    return 1;
}

static int m_get_params(lua_State *L)
{
    ml_estimator *e = mlua_check_estimator(L, 1);
    lua_newtable(L);
    for (int i = 0; e->cls->params && e->cls->params[i]; i++) {
        ml_value v;
        if (ml_estimator_get_param(e, e->cls->params[i], &v)) return mlua_fail(L);
        mlua_push_value(L, &v);
        lua_setfield(L, -2, e->cls->params[i]);
    }
    return 1;
}

static int m_set_params(lua_State *L)
{
    ml_estimator *e = mlua_check_estimator(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    set_params_from_table(L, e, 2);
    lua_settop(L, 1);
    return 1;
}

static int m_clone(lua_State *L)
{
    ml_estimator *c = ml_estimator_clone(mlua_check_estimator(L, 1));
    if (!c) return mlua_fail(L);
    mlua_push_estimator(L, c);
    return 1;
}

static int m_save(lua_State *L)
{
    ml_estimator *e = mlua_check_estimator(L, 1);
    const char *path = luaL_checkstring(L, 2);
    if (ml_estimator_save(e, path)) return mlua_fail(L);
    lua_pushboolean(L, 1);
    return 1;
}

static int l_load_model(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    ml_estimator *e;
    if (ml_estimator_load(path, &e)) return mlua_fail(L);
    mlua_push_estimator(L, e);
    return 1;
}

static int attr_method(lua_State *L)
{
    ml_estimator *e = mlua_check_estimator(L, 1);
    ml_value v;
    if (ml_estimator_get_attr(e, lua_tostring(L, lua_upvalueindex(1)), &v)) return mlua_fail(L);
    mlua_push_value(L, &v);
    return 1;
}

static const luaL_Reg methods[] = {{"fit", m_fit},
                                   {"predict", m_predict},
                                   {"predict_proba", m_predict_proba},
                                   {"decision_function", m_decision_function},
                                   {"transform", m_transform},
                                   {"inverse_transform", m_inverse_transform},
                                   {"fit_transform", m_fit_transform},
                                   {"fit_predict", m_fit_predict},
                                   {"score", m_score},
                                   {"get_params", m_get_params},
                                   {"set_params", m_set_params},
                                   {"clone", m_clone},
                                   {"save", m_save},
                                   {NULL, NULL}};

static int has_name(const char *const *list, const char *name)
{
    for (int i = 0; list && list[i]; i++)
        if (strcmp(list[i], name) == 0) return 1;
    return 0;
}

static int mm_index(lua_State *L)
{
    ml_estimator *e = mlua_check_estimator(L, 1);
    const char *key = luaL_checkstring(L, 2);
    luaL_getmetatable(L, MLUA_ESTIMATOR);
    lua_getfield(L, -1, "__methods");
    if (lua_getfield(L, -1, key) != LUA_TNIL) return 1;
    lua_pop(L, 3);
    ml_value v;
    if (has_name(e->cls->params, key)) {
        if (ml_estimator_get_param(e, key, &v)) return mlua_fail(L);
        mlua_push_value(L, &v);
        return 1;
    }
    if (has_name(e->cls->attrs, key) || strcmp(key, "warning") == 0 || strcmp(key, "n_features_in") == 0) {
        if (strcmp(key, "warning") != 0 && !e->fitted)
            return luaL_error(L, "%s: '%s' is known only after fit", e->cls->name, key);
        if (ml_estimator_get_attr(e, key, &v)) return mlua_fail(L);
        mlua_push_value(L, &v);
        return 1;
    }
    if (strcmp(key, "fitted") == 0) {
        lua_pushboolean(L, e->fitted);
        return 1;
    }
    if (strcmp(key, "named_steps") == 0 && e->cls == &ml_pipeline_class) {
        push_named_steps(L, 1, e);
        return 1;
    }
    if (strncmp(key, "get_", 4) == 0 && has_name(e->cls->attrs, key + 4)) {
        lua_pushstring(L, key + 4);
        lua_pushcclosure(L, attr_method, 1);
        return 1;
    }
    return luaL_error(L, "%s: no method, parameter or attribute '%s'", e->cls->name, key);
}

static int mm_newindex(lua_State *L)
{
    ml_estimator *e = mlua_check_estimator(L, 1);
    const char *key = luaL_checkstring(L, 2);
    set_param_from_stack(L, e, key, 3);
    return 0;
}

static int mm_tostring(lua_State *L)
{
    lest *u = luaL_checkudata(L, 1, MLUA_ESTIMATOR);
    if (!u->e) {
        lua_pushliteral(L, "estimator(freed)");
        return 1;
    }
    char buf[1024];
    ml_estimator_repr(u->e, buf, sizeof buf);
    lua_pushstring(L, buf);
    return 1;
}

static int mm_gc(lua_State *L)
{
    lest *u = luaL_checkudata(L, 1, MLUA_ESTIMATOR);
    if (!u->borrowed) ml_estimator_free(u->e);
    u->e = NULL;
    return 0;
}

static const luaL_Reg metamethods[] = {{"__index", mm_index},
                                       {"__newindex", mm_newindex},
                                       {"__tostring", mm_tostring},
                                       {"__gc", mm_gc},
                                       {NULL, NULL}};

void mlua_open_estimators(lua_State *L)
{
    luaL_newmetatable(L, MLUA_ESTIMATOR);
    luaL_setfuncs(L, metamethods, 0);
    luaL_newlib(L, methods);
    lua_setfield(L, -2, "__methods");
    lua_pushliteral(L, "Estimator");
    lua_setfield(L, -2, "__name");
    lua_pop(L, 1);
    const ml_estimator_class *const *c = ml_estimator_classes();
    for (int i = 0; c[i]; i++) {
        lua_pushlightuserdata(L, (void *)c[i]);
        lua_pushcclosure(L, l_new, 1);
        lua_setfield(L, -2, c[i]->name);
    }
    lua_pushcfunction(L, l_load_model);
    lua_setfield(L, -2, "load_model");
}
