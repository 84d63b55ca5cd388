/* luaopen_mnistlab: the one entry point, the same for stock lua5.4
 * (require "mnistlab") and inside the mnistlab program.
 *
 * Each area registers its functions into the module table.  Areas that land
 * later (plots, models, nn) define their mlua_open_* in their own file; the
 * weak declarations in mlua.h let the module build before they exist. */
#include "lua/mlua.h"
#include "ml_config.h"

int luaopen_mnistlab(lua_State *L);

int luaopen_mnistlab(lua_State *L)
{
    lua_newtable(L);
    mlua_open_tensor(L);
    mlua_open_data(L);
    mlua_open_results(L);
    mlua_open_estimators(L);
    void (*const later[])(lua_State *) = {mlua_open_plot, mlua_open_unsupervised, mlua_open_supervised,
                                          mlua_open_nn, mlua_open_extra};
    for (size_t i = 0; i < sizeof later / sizeof *later; i++)
        if (later[i]) later[i](L);
    lua_pushliteral(L, ML_VERSION);
    lua_setfield(L, -2, "version");
    return 1;
}
