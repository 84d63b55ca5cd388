/* Shared binding helpers: errors, options, progress, Ctrl-C. */
#include "lua/mlua.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "plot/text.h"

#include <langinfo.h>
#include <locale.h>
#include <unistd.h>

int mlua_fail(lua_State *L)
{
    const char *m = ml_last_error();
    return luaL_error(L, "%s", m[0] ? m : "mnistlab: unknown error");
}

void mlua_check_opts(lua_State *L, int t, const char *fname, const char *const *known)
{
    if (t == 0 || lua_isnoneornil(L, t)) return;
    luaL_checktype(L, t, LUA_TTABLE);
    lua_pushnil(L);
    while (lua_next(L, t)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING) continue; /* positional entries are the caller's business */
        const char *k = lua_tostring(L, -1);
        int ok = 0;
        for (int i = 0; known[i]; i++)
            if (strcmp(known[i], k) == 0) ok = 1;
        if (!ok) {
            luaL_Buffer b;
            luaL_buffinit(L, &b);
            for (int i = 0; known[i]; i++) {
                if (i) luaL_addstring(&b, ", ");
                luaL_addstring(&b, known[i]);
            }
            luaL_pushresult(&b);
            luaL_error(L, "%s: unknown option '%s' (known: %s)", fname, k, lua_tostring(L, -1));
        }
    }
}

int mlua_opt_field(lua_State *L, int t, const char *key)
{
    if (t == 0 || lua_type(L, t) != LUA_TTABLE) {
        lua_pushnil(L);
        return LUA_TNIL;
    }
    return lua_getfield(L, t, key);
}

double mlua_opt_number(lua_State *L, int t, const char *key, double def)
{
    int ty = mlua_opt_field(L, t, key);
    double v = def;
    if (ty == LUA_TNUMBER) v = lua_tonumber(L, -1);
    else if (ty != LUA_TNIL) luaL_error(L, "option '%s': expected a number, got %s", key, lua_typename(L, ty));
    lua_pop(L, 1);
    return v;
}

lua_Integer mlua_opt_integer(lua_State *L, int t, const char *key, lua_Integer def)
{
    int ty = mlua_opt_field(L, t, key);
    lua_Integer v = def;
    if (ty == LUA_TNUMBER) {
        int isint;
        v = lua_tointegerx(L, -1, &isint);
        if (!isint) luaL_error(L, "option '%s': expected an integer, got %s", key, lua_tostring(L, -1));
    } else if (ty != LUA_TNIL) {
        luaL_error(L, "option '%s': expected an integer, got %s", key, lua_typename(L, ty));
    }
    lua_pop(L, 1);
    return v;
}

int mlua_opt_bool(lua_State *L, int t, const char *key, int def)
{
    int ty = mlua_opt_field(L, t, key);
    int v = def;
    if (ty == LUA_TBOOLEAN) v = lua_toboolean(L, -1);
    else if (ty != LUA_TNIL) luaL_error(L, "option '%s': expected true or false, got %s", key, lua_typename(L, ty));
    lua_pop(L, 1);
    return v;
}

const char *mlua_opt_string(lua_State *L, int t, const char *key, const char *def)
{
    int ty = mlua_opt_field(L, t, key);
    const char *v = def;
    if (ty == LUA_TSTRING) v = lua_tostring(L, -1); /* stays alive: the table holds it */
    else if (ty != LUA_TNIL) luaL_error(L, "option '%s': expected a string, got %s", key, lua_typename(L, ty));
    lua_pop(L, 1);
    return v;
}

/* ---- progress ---- */
static const char PROGRESS_KEY[] = "mnistlab.progress";

void mlua_set_progress(lua_State *L, const ml_progress *p)
{
    lua_pushlightuserdata(L, (void *)p);
    lua_setfield(L, LUA_REGISTRYINDEX, PROGRESS_KEY);
}

const ml_progress *mlua_progress(lua_State *L)
{
    lua_getfield(L, LUA_REGISTRYINDEX, PROGRESS_KEY);
    const ml_progress *p = lua_touserdata(L, -1);
    lua_pop(L, 1);
    return p;
}

/* ---- Ctrl-C ---- */
static void on_sigint(int sig)
{
    (void)sig;
    ml_interrupt_request();
}

void mlua_guard_begin(lua_State *L, mlua_guard *g)
{
    g->installed = 0;
    g->old = NULL;
    if (mlua_progress(L)) return; /* the host handles SIGINT itself */
    struct sigaction *old = malloc(sizeof *old), sa;
    if (!old) return;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGINT, &sa, old) == 0) {
        g->installed = 1;
        g->old = old;
    } else {
        free(old);
    }
}

void mlua_guard_end(mlua_guard *g)
{
    if (!g->installed) return;
    sigaction(SIGINT, g->old, NULL);
    free(g->old);
    g->old = NULL;
    g->installed = 0;
}

/* ---- sink ---- */
static const char SINK_KEY[] = "mnistlab.sink";

void mlua_set_sink(lua_State *L, const mlua_sink *s)
{
    if (s) lua_pushlightuserdata(L, (void *)s);
    else lua_pushnil(L);
    lua_setfield(L, LUA_REGISTRYINDEX, SINK_KEY);
}

static int env_int(const char *name, int def)
{
    const char *v = getenv(name);
    int n = v ? atoi(v) : 0;
    return n > 0 ? n : def;
}

const mlua_sink *mlua_get_sink(lua_State *L)
{
    lua_getfield(L, LUA_REGISTRYINDEX, SINK_KEY);
    const mlua_sink *s = lua_touserdata(L, -1);
    lua_pop(L, 1);
    if (s) return s;
    static mlua_sink def; /* rebuilt each call: the environment may change */
    memset(&def, 0, sizeof def);
    def.width = env_int("COLUMNS", 80);
    def.height = env_int("LINES", 24);
    const char *cs = setlocale(LC_CTYPE, NULL);
    if (cs && strcmp(cs, "C") == 0) setlocale(LC_CTYPE, ""); /* stock lua5.4 never calls setlocale */
    const char *codeset = nl_langinfo(CODESET);
    def.ascii = !(codeset && (strcmp(codeset, "UTF-8") == 0 || strcmp(codeset, "utf8") == 0));
    const char *term = getenv("TERM");
    def.color = isatty(STDOUT_FILENO) && !getenv("NO_COLOR") && !(term && strcmp(term, "dumb") == 0);
    return &def;
}

void mlua_show(lua_State *L, const ml_text *t)
{
    const mlua_sink *s = mlua_get_sink(L);
    if (s->show) {
        s->show(s->ud, t);
        return;
    }
    fflush(stdout);
    ml_text_write(t, stdout, s->color ? ML_COLOR_ANSI256 : ML_COLOR_NONE);
    fflush(stdout);
}

void mlua_show_keyed(lua_State *L, const char *key, const ml_text *t)
{
    const mlua_sink *s = mlua_get_sink(L);
    if (s->replace) s->replace(s->ud, key, t);
    else mlua_show(L, t);
}

/* ---- the terminal line ---- */
static const char TTY_KEY[] = "mnistlab.tty";

void mlua_set_tty(lua_State *L, const mlua_tty *t)
{
    if (t) lua_pushlightuserdata(L, (void *)t);
    else lua_pushboolean(L, 0); /* "none", not "unset" */
    lua_setfield(L, LUA_REGISTRYINDEX, TTY_KEY);
}

static void default_tty_line(void *ud, const char *line)
{
    (void)ud;
    fputs("\r\033[K", stdout);
    if (line) fputs(line, stdout);
    fflush(stdout);
}

const mlua_tty *mlua_get_tty(lua_State *L)
{
    lua_getfield(L, LUA_REGISTRYINDEX, TTY_KEY);
    int set = !lua_isnil(L, -1);
    const mlua_tty *t = lua_touserdata(L, -1);
    lua_pop(L, 1);
    if (set) return t;
    /* stock lua5.4: no host registered a sink nor a progress hook */
    if (mlua_progress(L)) return NULL;
    lua_getfield(L, LUA_REGISTRYINDEX, SINK_KEY);
    int hosted = lua_touserdata(L, -1) != NULL;
    lua_pop(L, 1);
    if (hosted || !isatty(STDOUT_FILENO)) return NULL;
    static const mlua_tty def = {default_tty_line, NULL, 1, 0};
    return &def;
}

/* ---- memory cap ---- */
typedef struct mem {
    size_t used;     /* Lua's own allocations */
    size_t external; /* tensor storage charged to this state */
    size_t cap;      /* 0: none */
} mem;

static void *capped_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    mem *m = ud;
    if (!ptr) osize = 0;
    if (nsize == 0) {
        free(ptr);
        m->used -= osize;
        return NULL;
    }
    if (m->cap && nsize > osize && m->used + m->external + (nsize - osize) > m->cap) return NULL;
    void *p = realloc(ptr, nsize);
    if (p) m->used = m->used - osize + nsize;
    return p;
}

static mem *state_mem(lua_State *L)
{
    void *ud;
    return lua_getallocf(L, &ud) == capped_alloc ? ud : NULL;
}

static int panic(lua_State *L)
{
    fprintf(stderr, "mnistlab: unprotected Lua error: %s\n", lua_tostring(L, -1));
    return 0;
}

lua_State *mlua_newstate(size_t cap)
{
    mem *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->cap = cap;
    lua_State *L = lua_newstate(capped_alloc, m);
    if (!L) {
        free(m);
        return NULL;
    }
    lua_atpanic(L, panic);
    return L;
}

void mlua_close(lua_State *L)
{
    if (!L) return;
    mem *m = state_mem(L);
    lua_close(L);
    free(m);
}

size_t mlua_default_mem_cap(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGE_SIZE);
    if (pages <= 0 || size <= 0) return 0;
    return (size_t)pages * (size_t)size / 2;
}

size_t mlua_mem_cap(lua_State *L)
{
    mem *m = state_mem(L);
    return m ? m->cap : 0;
}

size_t mlua_mem_used(lua_State *L)
{
    mem *m = state_mem(L);
    return m ? m->used + m->external : (size_t)lua_gc(L, LUA_GCCOUNT, 0) * 1024;
}

void mlua_set_mem_cap(lua_State *L, size_t cap)
{
    mem *m = state_mem(L);
    if (m) m->cap = cap;
}

int mlua_mem_charge(lua_State *L, size_t bytes)
{
    mem *m = state_mem(L);
    if (!m) return 1;
    if (m->cap && m->used + m->external + bytes > m->cap) {
        lua_gc(L, LUA_GCCOLLECT, 0);
        if (m->used + m->external + bytes > m->cap) return 0;
    }
    m->external += bytes;
    return 1;
}

void mlua_mem_uncharge(lua_State *L, size_t bytes)
{
    mem *m = state_mem(L);
    if (m) m->external -= bytes < m->external ? bytes : m->external;
}
