/* The memory cap of a notebook's Lua state: a runaway cell gets "not enough
 * memory" and the state goes on; tensors count against the cap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <string.h>

#include "lua/mlua.h"

int luaopen_mnistlab(lua_State *L);

static lua_State *capped(size_t mb)
{
    lua_State *L = mlua_newstate(mb << 20);
    luaL_openlibs(L);
    luaL_requiref(L, "mnistlab", luaopen_mnistlab, 1);
    lua_setglobal(L, "ml");
    return L;
}

static const char *run(lua_State *L, const char *code)
{
    lua_settop(L, 0);
    if (luaL_dostring(L, code) != LUA_OK) return lua_tostring(L, -1);
    return NULL;
}

static void test_lua_runaway(void **s)
{
    (void)s;
    lua_State *L = capped(64);
    const char *err = run(L, "local t = {} for i = 1, 1e9 do t[i] = ('x'):rep(100) .. i end");
    assert_non_null(err);
    assert_string_equal(err, "not enough memory");
    /* the state goes on */
    assert_null(run(L, "x = 1 + 1"));
    assert_null(run(L, "collectgarbage() local used, cap = ml.memory() assert(cap == 64 * 2^20) assert(used < 16 * 2^20)"));
    mlua_close(L);
}

static void test_tensor_runaway(void **s)
{
    (void)s;
    lua_State *L = capped(256);
    const char *err = run(L, "keep = {} for i = 1, 100 do keep[i] = ml.zeros(1000, 10000) end");
    assert_non_null(err);
    assert_non_null(strstr(err, "not enough memory: a tensor of 38 MB would pass the memory cap of 256 MB"));
    /* garbage is collected to make room: a loop that keeps nothing runs to the end */
    assert_null(run(L, "keep = nil for i = 1, 50 do local t = ml.zeros(1000, 10000) end"));
    assert_null(run(L, "ml.set_memory_limit(1024) local _, cap = ml.memory() assert(cap == 2^30)"));
    assert_null(run(L, "keep = {} for i = 1, 10 do keep[i] = ml.zeros(1000, 10000) end"));
    mlua_close(L);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_lua_runaway), cmocka_unit_test(test_tensor_runaway)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
