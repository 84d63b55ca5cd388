/* mnistlab: the command line.
 *
 *   mnistlab info FILE        type and shape of an IDX file, or why it is refused
 *   mnistlab SCRIPT.lua ARGS  run a Lua script with the module loaded
 *   mnistlab --version | --help */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/progress.h"
#include "data/idx.h"
#include "ml_config.h"

int luaopen_mnistlab(lua_State *L);

static void usage(FILE *f)
{
    fprintf(f,
            "usage: mnistlab [options] [NOTEBOOK.md | SCRIPT.lua [ARGS...]]\n"
            "       mnistlab info FILE\n"
            "\n"
            "  info FILE      print an IDX file's type and shape (exit 1 if it is malformed)\n"
            "  SCRIPT.lua     run a Lua script; require \"mnistlab\" is available\n"
            "  -h, --help     this text\n"
            "  --version      print the version\n"
            "\n"
            "See mnistlab(1).\n");
}

static int cmd_info(int argc, char **argv)
{
    if (argc < 1) {
        fprintf(stderr, "mnistlab info: expected a file name\n");
        return 2;
    }
    int rc = 0;
    for (int i = 0; i < argc; i++) {
        ml_idx idx;
        if (ml_idx_read(argv[i], &idx)) {
            fprintf(stderr, "mnistlab: %s\n", ml_last_error());
            rc = 1;
            continue;
        }
        printf("%s: IDX%s, %s, %d dimension%s, shape (", argv[i], idx.gzipped ? " (gzip)" : "",
               ml_idx_type_name(idx.type), idx.ndim, idx.ndim == 1 ? "" : "s");
        for (int d = 0; d < idx.ndim; d++) printf("%s%u", d ? ", " : "", idx.dims[d]);
        printf("%s), %zu bytes of data\n", idx.ndim == 1 ? "," : "", idx.nbytes);
        ml_idx_free(&idx);
    }
    return rc;
}

/* ---- Lua scripts, with Ctrl-C reaching both Lua code and C loops ---- */

static lua_State *running;

static void stop_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    lua_sethook(L, NULL, 0, 0);
    ml_interrupt_clear();
    luaL_error(L, "interrupted");
}

static void on_sigint(int sig)
{
    (void)sig;
    ml_interrupt_request();
    if (running) lua_sethook(running, stop_hook, LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
}

static int traceback(lua_State *L)
{
    const char *msg = lua_tostring(L, 1);
    if (!msg) msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    luaL_traceback(L, L, msg, 1);
    return 1;
}

static int run_script(const char *path, int argc, char **argv)
{
    lua_State *L = luaL_newstate();
    if (!L) {
        fprintf(stderr, "mnistlab: cannot create a Lua state\n");
        return 1;
    }
    luaL_openlibs(L);
    luaL_requiref(L, "mnistlab", luaopen_mnistlab, 0);
    lua_pop(L, 1);
    lua_createtable(L, argc, 1);
    lua_pushstring(L, path);
    lua_rawseti(L, -2, 0);
    for (int i = 0; i < argc; i++) {
        lua_pushstring(L, argv[i]);
        lua_rawseti(L, -2, i + 1);
    }
    lua_setglobal(L, "arg");

    lua_pushcfunction(L, traceback);
    int rc = luaL_loadfile(L, path);
    if (rc == LUA_OK) {
        for (int i = 0; i < argc; i++) lua_pushstring(L, argv[i]);
        running = L;
        struct sigaction sa, old;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_sigint;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, &old);
        rc = lua_pcall(L, argc, 0, 1);
        sigaction(SIGINT, &old, NULL);
        running = NULL;
    }
    if (rc != LUA_OK) fprintf(stderr, "mnistlab: %s\n", lua_tostring(L, -1));
    lua_close(L);
    return rc == LUA_OK ? 0 : 1;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        usage(stdout);
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
        printf("mnistlab %s\n", ML_VERSION);
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "info") == 0) return cmd_info(argc - 2, argv + 2);
    if (argc >= 2 && ends_with(argv[1], ".lua")) return run_script(argv[1], argc - 2, argv + 2);
    usage(stderr);
    return 2;
}
