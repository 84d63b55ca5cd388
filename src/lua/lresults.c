/* The results registry: every model the lab trains records its accuracies
 * here, and the lab's final table reads them back (never typed in).
 *
 *   ml.record{model = "Decision tree", params = "max_depth=None", train = 1.0,
 *             validation = nil, test = 0.87}
 *   ml.results()        -> array of rows (copies), in the order recorded
 *   ml.clear_results()
 * Recording a model name again replaces its row (re-running a cell). */
#include "lua/mlua.h"

#include <string.h>

static const char RESULTS_KEY[] = "mnistlab.results";

static void push_results(lua_State *L)
{
    if (lua_getfield(L, LUA_REGISTRYINDEX, RESULTS_KEY) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_setfield(L, LUA_REGISTRYINDEX, RESULTS_KEY);
    }
}

static void copy_field(lua_State *L, int from, int to, const char *key, int want_number)
{
    int ty = lua_getfield(L, from, key);
    if (ty != LUA_TNIL && want_number && ty != LUA_TNUMBER)
        luaL_error(L, "record: '%s' must be a number (an accuracy in [0, 1]), got %s", key, lua_typename(L, ty));
    if (ty == LUA_TNUMBER && want_number) {
        lua_Number v = lua_tonumber(L, -1);
        if (!(v >= 0 && v <= 1)) luaL_error(L, "record: '%s' = %f is not an accuracy in [0, 1]", key, v);
    }
    lua_setfield(L, to, key);
}

static int l_record(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    static const char *const known[] = {"model", "params", "train", "validation", "test", "n_params", "seconds", NULL};
    mlua_check_opts(L, 1, "record", known);
    if (lua_getfield(L, 1, "model") != LUA_TSTRING) return luaL_error(L, "record: 'model' (a name) is required");
    const char *name = lua_tostring(L, -1);
    lua_newtable(L);
    int row = lua_gettop(L);
    lua_pushvalue(L, -2);
    lua_setfield(L, row, "model");
    if (lua_getfield(L, 1, "params") != LUA_TNIL) luaL_tolstring(L, -1, NULL), lua_remove(L, -2);
    lua_setfield(L, row, "params");
    copy_field(L, 1, row, "train", 1);
    copy_field(L, 1, row, "validation", 1);
    copy_field(L, 1, row, "test", 1);
    if (lua_getfield(L, 1, "n_params") != LUA_TNIL && !lua_isinteger(L, -1))
        return luaL_error(L, "record: 'n_params' must be an integer");
    lua_setfield(L, row, "n_params");
    if (lua_getfield(L, 1, "seconds") != LUA_TNIL && lua_type(L, -1) != LUA_TNUMBER)
        return luaL_error(L, "record: 'seconds' must be a number");
    lua_setfield(L, row, "seconds");

    push_results(L);
    int res = lua_gettop(L);
    lua_Integer n = luaL_len(L, res), at = n + 1;
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, res, i);
        lua_getfield(L, -1, "model");
        if (strcmp(lua_tostring(L, -1), name) == 0) at = i;
        lua_pop(L, 2);
    }
    lua_pushvalue(L, row);
    lua_rawseti(L, res, at);
    return 0;
}

static int l_results(lua_State *L)
{
    push_results(L);
    int res = lua_gettop(L);
    lua_Integer n = luaL_len(L, res);
    lua_createtable(L, (int)n, 0);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, res, i);
        int src = lua_gettop(L);
        lua_newtable(L);
        lua_pushnil(L);
        while (lua_next(L, src)) {
            lua_pushvalue(L, -2);
            lua_insert(L, -2);
            lua_settable(L, -4);
        }
        lua_rawseti(L, -3, i);
        lua_pop(L, 1);
    }
    return 1;
}

static int l_clear_results(lua_State *L)
{
    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, RESULTS_KEY);
    return 0;
}

static const luaL_Reg functions[] = {
    {"record", l_record}, {"results", l_results}, {"clear_results", l_clear_results}, {NULL, NULL}};

void mlua_open_results(lua_State *L) { luaL_setfuncs(L, functions, 0); }
