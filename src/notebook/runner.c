/* Running cells: one Lua state, output captured per cell, Ctrl-C. */
#include "notebook/runner.h"

#include <lauxlib.h>
#include <lualib.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/progress.h"
#include "lua/mlua.h"

int luaopen_mnistlab(lua_State *L);

/* ---- output items ---- */

void nb_output_init(nb_output *o) { memset(o, 0, sizeof *o); }

void nb_output_free(nb_output *o)
{
    for (int i = 0; i < o->n; i++) {
        free(o->items[i].text);
        free(o->items[i].key);
        if (o->items[i].kind == NB_ITEM_PICTURE) ml_text_free(&o->items[i].pic);
    }
    free(o->items);
    memset(o, 0, sizeof *o);
}

static nb_item *new_item(nb_output *o, nb_item_kind kind)
{
    if (o->n == o->cap) {
        int cap = o->cap ? o->cap * 2 : 8;
        nb_item *it = realloc(o->items, sizeof *it * (size_t)cap);
        if (!it) return NULL;
        o->items = it;
        o->cap = cap;
    }
    nb_item *it = &o->items[o->n++];
    memset(it, 0, sizeof *it);
    it->kind = kind;
    if (kind == NB_ITEM_PICTURE) ml_text_init(&it->pic);
    return it;
}

static void item_append(nb_item *it, const char *s, size_t n)
{
    if (it->len + n + 1 > it->cap) {
        size_t cap = it->cap ? it->cap : 128;
        while (cap < it->len + n + 1) cap *= 2;
        char *t = realloc(it->text, cap);
        if (!t) return;
        it->text = t;
        it->cap = cap;
    }
    memcpy(it->text + it->len, s, n);
    it->len += n;
    it->text[it->len] = 0;
}

void nb_output_text(nb_output *o, const char *s, size_t n)
{
    nb_item *it = o->n && o->items[o->n - 1].kind == NB_ITEM_TEXT ? &o->items[o->n - 1] : new_item(o, NB_ITEM_TEXT);
    if (it) item_append(it, s, n);
}

void nb_output_error(nb_output *o, const char *s)
{
    nb_item *it = new_item(o, NB_ITEM_ERROR);
    if (it) item_append(it, s, strlen(s));
}

void nb_output_picture(nb_output *o, const ml_text *t)
{
    nb_item *it = new_item(o, NB_ITEM_PICTURE);
    if (!it) return;
    for (int i = 0; i < t->nlines; i++)
        ml_text_add(&it->pic, t->lines[i].text, t->lines[i].color, t->lines[i].ncells, 0);
}

/* The picture under `key` moves to the end: it stays below the text that
 * keeps coming (epoch lines under a growing training curve). */
void nb_output_picture_keyed(nb_output *o, const char *key, const ml_text *t)
{
    for (int i = 0; i < o->n; i++) {
        nb_item *it = &o->items[i];
        if (it->kind == NB_ITEM_PICTURE && it->key && strcmp(it->key, key) == 0) {
            ml_text_free(&it->pic);
            free(it->key);
            memmove(it, it + 1, sizeof *it * (size_t)(o->n - i - 1));
            o->n--;
            break;
        }
    }
    nb_output_picture(o, t);
    if (o->n && o->items[o->n - 1].kind == NB_ITEM_PICTURE) o->items[o->n - 1].key = strdup(key);
}

void nb_output_drop_live(nb_output *o)
{
    int w = 0;
    for (int i = 0; i < o->n; i++) {
        nb_item *it = &o->items[i];
        if (it->kind == NB_ITEM_PICTURE && it->key && strncmp(it->key, "live:", 5) == 0) {
            ml_text_free(&it->pic);
            free(it->key);
            free(it->text);
            continue;
        }
        o->items[w++] = *it;
    }
    o->n = w;
}

char *nb_output_plain(const nb_output *o, size_t *n)
{
    nb_item acc = {0};
    item_append(&acc, "", 0);
    for (int i = 0; i < o->n; i++) {
        const nb_item *it = &o->items[i];
        if (acc.len && acc.text[acc.len - 1] != '\n' && it->kind != NB_ITEM_TEXT) item_append(&acc, "\n", 1);
        if (it->kind == NB_ITEM_PICTURE) {
            for (int k = 0; k < it->pic.nlines; k++) {
                /* trailing blanks carry nothing in plain text */
                const char *s = it->pic.lines[k].text;
                size_t len = strlen(s);
                while (len && s[len - 1] == ' ') len--;
                item_append(&acc, s, len);
                item_append(&acc, "\n", 1);
            }
        } else if (it->text) {
            item_append(&acc, it->text, it->len);
        }
    }
    if (acc.len && acc.text[acc.len - 1] != '\n') item_append(&acc, "\n", 1);
    if (n) *n = acc.len;
    return acc.text;
}

/* ---- the runner ---- */

struct nb_runner {
    lua_State *L;
    nb_host host;
    mlua_sink sink;
    ml_progress progress;
    nb_output *out; /* the running cell's, or NULL */
    int running;
    int interrupted;
};

static nb_runner *active; /* the runner whose cell is running (for SIGINT) */

static void emit(nb_runner *r, const char *s, size_t n)
{
    if (r->out) {
        nb_output_text(r->out, s, n);
        if (r->host.changed) r->host.changed(r->host.ud);
    } else {
        fwrite(s, 1, n, stdout);
        fflush(stdout);
    }
}

static nb_runner *runner_of(lua_State *L) { return lua_touserdata(L, lua_upvalueindex(1)); }

/* print(...) into the cell's output */
static int l_print(lua_State *L)
{
    nb_runner *r = runner_of(L);
    int n = lua_gettop(L);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = 1; i <= n; i++) {
        if (i > 1) luaL_addchar(&b, '\t');
        luaL_tolstring(L, i, NULL);
        luaL_addvalue(&b);
    }
    luaL_addchar(&b, '\n');
    luaL_pushresult(&b);
    size_t len;
    const char *s = lua_tolstring(L, -1, &len);
    emit(r, s, len);
    return 0;
}

/* __nb_emit(v): one value of io.write / io.stdout:write */
static int l_emit(lua_State *L)
{
    nb_runner *r = runner_of(L);
    char num[64];
    const char *s;
    size_t len;
    if (lua_type(L, 1) == LUA_TNUMBER) {
        if (lua_isinteger(L, 1)) len = (size_t)snprintf(num, sizeof num, LUA_INTEGER_FMT, lua_tointeger(L, 1));
        else len = (size_t)snprintf(num, sizeof num, LUA_NUMBER_FMT, (LUAI_UACNUMBER)lua_tonumber(L, 1));
        s = num;
    } else {
        s = luaL_checklstring(L, 1, &len);
    }
    emit(r, s, len);
    return 0;
}

/* stdout writes from Lua go through emit; other files are untouched. */
static const char PRELUDE[] =
    "local emit = ...\n"
    "local stdout = io.stdout\n"
    "local methods = getmetatable(stdout).__index\n"
    "local fwrite = methods.write\n"
    "methods.write = function(f, ...)\n"
    "  if f ~= stdout then return fwrite(f, ...) end\n"
    "  for i = 1, select('#', ...) do\n"
    "    local v = select(i, ...)\n"
    "    local t = type(v)\n"
    "    if t ~= 'string' and t ~= 'number' then\n"
    "      error(\"bad argument #\" .. i .. \" to 'write' (string expected, got \" .. t .. \")\", 2)\n"
    "    end\n"
    "    emit(v)\n"
    "  end\n"
    "  return f\n"
    "end\n"
    "io.write = function(...) return io.output():write(...) end\n";

static void sink_show(void *ud, const ml_text *t)
{
    nb_runner *r = ud;
    if (r->out) {
        nb_output_picture(r->out, t);
        if (r->host.changed) r->host.changed(r->host.ud);
    } else {
        fflush(stdout);
        ml_text_write(t, stdout, r->sink.color ? ML_COLOR_ANSI256 : ML_COLOR_NONE);
        fflush(stdout);
    }
}

static void sink_replace(void *ud, const char *key, const ml_text *t)
{
    nb_runner *r = ud;
    if (r->out) {
        nb_output_picture_keyed(r->out, key, t);
        if (r->host.changed) r->host.changed(r->host.ud);
    } else if (strncmp(key, "live:", 5) != 0) { /* streaming to stdout: no redraw in place */
        sink_show(ud, t);
    }
}

static int progress_fn(void *ud, const char *stage, int64_t done, int64_t total)
{
    nb_runner *r = ud;
    if (r->host.progress) r->host.progress(r->host.ud, stage, done, total);
    if (r->host.poll) r->host.poll(r->host.ud);
    return 0; /* ml_progress_update itself sees the interrupt flag */
}

static void count_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    nb_runner *r = active;
    if (r && r->host.poll) r->host.poll(r->host.ud);
    if (ml_interrupt_pending()) {
        ml_interrupt_clear();
        if (r) r->interrupted = 1;
        luaL_error(L, "interrupted");
    }
}

static void on_sigint(int sig)
{
    (void)sig;
    ml_interrupt_request();
    /* the count hook (every few thousand instructions) sees the flag; make
     * it fire at once */
    if (active && active->running) lua_sethook(active->L, count_hook, LUA_MASKCOUNT, 1);
}

nb_runner *nb_runner_new(const nb_host *host)
{
    nb_runner *r = calloc(1, sizeof *r);
    if (!r) {
        ml_fail(ML_ENOMEM, "notebook: out of memory");
        return NULL;
    }
    if (host) r->host = *host;
    /* Cells allocate under a cap (Lua's memory and tensors): a runaway cell
     * gets "not enough memory" and the notebook stays.  MNISTLAB_MEMORY_LIMIT
     * (megabytes) overrides the default, half of physical memory. */
    size_t cap = mlua_default_mem_cap();
    const char *lim = getenv("MNISTLAB_MEMORY_LIMIT");
    if (lim && atof(lim) >= 16) cap = (size_t)(atof(lim) * 1048576.0);
    r->L = mlua_newstate(cap);
    if (!r->L) {
        free(r);
        ml_fail(ML_ENOMEM, "notebook: cannot create a Lua state");
        return NULL;
    }
    lua_State *L = r->L;
    luaL_openlibs(L);
    luaL_requiref(L, "mnistlab", luaopen_mnistlab, 0);
    lua_setglobal(L, "ml");
    lua_pushlightuserdata(L, r);
    lua_pushcclosure(L, l_print, 1);
    lua_setglobal(L, "print");
    if (luaL_loadbuffer(L, PRELUDE, sizeof PRELUDE - 1, "=prelude") == LUA_OK) {
        lua_pushlightuserdata(L, r);
        lua_pushcclosure(L, l_emit, 1);
        if (lua_pcall(L, 1, 0, 0) != LUA_OK) lua_pop(L, 1);
    } else {
        lua_pop(L, 1);
    }
    r->sink.show = sink_show;
    r->sink.replace = sink_replace;
    r->sink.ud = r;
    r->sink.width = 80;
    r->sink.height = 24;
    const mlua_sink *def = mlua_get_sink(L);
    r->sink.ascii = def->ascii;
    r->sink.color = def->color;
    mlua_set_sink(L, &r->sink);
    r->progress.fn = progress_fn;
    r->progress.ud = r;
    mlua_set_progress(L, &r->progress);
    return r;
}

void nb_runner_free(nb_runner *r)
{
    if (!r) return;
    if (active == r) active = NULL;
    mlua_close(r->L);
    free(r);
}

lua_State *nb_runner_lua(nb_runner *r) { return r->L; }

void nb_runner_set_view(nb_runner *r, int width, int height, int ascii, int color)
{
    r->sink.width = width > 0 ? width : 80;
    r->sink.height = height > 0 ? height : 24;
    r->sink.ascii = ascii;
    r->sink.color = color;
}

static int msgh(lua_State *L)
{
    const char *msg = lua_tostring(L, 1);
    if (!msg) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) msg = lua_tostring(L, -1);
        else msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
    luaL_traceback(L, L, msg, 1);
    return 1;
}

/* Drop the runner's own frames ("[C]: in ?") from the end of a traceback. */
static void trim_traceback(char *s)
{
    for (;;) {
        char *nl = strrchr(s, '\n');
        if (!nl) return;
        const char *last = nl + 1;
        while (*last == '\t') last++;
        if (strcmp(last, "[C]: in ?") == 0) *nl = 0;
        else return;
    }
}

nb_run_status nb_runner_run(nb_runner *r, const char *code, size_t n, const char *name, nb_output *out,
                            int values)
{
    lua_State *L = r->L;
    char chunk[128];
    snprintf(chunk, sizeof chunk, "=%s", name ? name : "cell");
    int base = lua_gettop(L);
    lua_pushcfunction(L, msgh);
    int st = LUA_ERRSYNTAX;
    if (values) { /* an expression prints its values, as in lua5.4's prompt */
        lua_pushfstring(L, "return %s", code);
        size_t len;
        const char *ret = lua_tolstring(L, -1, &len);
        st = luaL_loadbuffer(L, ret, len, chunk);
        lua_remove(L, -2);
        if (st != LUA_OK) lua_pop(L, 1);
    }
    if (st != LUA_OK) st = luaL_loadbuffer(L, code, n, chunk);

    nb_output *saved_out = r->out;
    nb_runner *saved_active = active;
    r->out = out;
    r->interrupted = 0;
    nb_run_status rs = NB_RUN_OK;
    if (st == LUA_OK) {
        struct sigaction sa, old;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_sigint;
        sigemptyset(&sa.sa_mask);
        ml_interrupt_clear();
        active = r;
        r->running = 1;
        sigaction(SIGINT, &sa, &old);
        lua_sethook(L, count_hook, LUA_MASKCOUNT, 1000);
        st = lua_pcall(L, 0, LUA_MULTRET, base + 1);
        lua_sethook(L, NULL, 0, 0);
        sigaction(SIGINT, &old, NULL);
        r->running = 0;
        active = saved_active;
        if (out) nb_output_drop_live(out);
        if (st == LUA_OK && values && lua_gettop(L) > base + 1) {
            int nres = lua_gettop(L) - base - 1;
            lua_getglobal(L, "print");
            lua_insert(L, base + 2);
            if (lua_pcall(L, nres, 0, base + 1) != LUA_OK) st = LUA_ERRRUN;
        }
    }
    if (st != LUA_OK) {
        const char *m = lua_tostring(L, -1);
        char *msg = strdup(m ? m : "(error)");
        if (msg) {
            trim_traceback(msg);
            if (r->interrupted || strncmp(msg, "interrupted", 11) == 0 || strstr(msg, ": interrupted"))
                rs = NB_RUN_INTERRUPTED;
            else
                rs = NB_RUN_ERROR;
            if (out) {
                size_t len = strlen(msg);
                if (len && msg[len - 1] != '\n') {
                    char *m2 = realloc(msg, len + 2);
                    if (m2) {
                        msg = m2;
                        strcpy(msg + len, "\n");
                    }
                }
                nb_output_error(out, msg);
                if (r->host.changed) r->host.changed(r->host.ud);
            } else {
                fflush(stdout);
                fprintf(stderr, "%s\n", msg);
            }
            free(msg);
        } else {
            rs = NB_RUN_ERROR;
        }
    }
    ml_interrupt_clear();
    lua_settop(L, base);
    r->out = saved_out;
    return rs;
}

int nb_cell_number(const notebook *nb, int b)
{
    int k = 0;
    for (int i = 0; i <= b && i < nb->nblocks; i++) k += nb->blocks[i].kind == NB_CELL;
    return k;
}

nb_run_status nb_run_cell(nb_runner *r, notebook *nb, int block, nb_output *out)
{
    nb_output local;
    nb_output_init(&local);
    if (!out) out = &local;
    const nb_block *b = &nb->blocks[block];
    char name[32];
    snprintf(name, sizeof name, "cell %d", nb_cell_number(nb, block));
    /* the code is copied: the notebook may change while it runs (TUI) */
    char *code = malloc(b->body_len + 1);
    nb_run_status rs;
    if (!code) {
        nb_output_error(out, "notebook: out of memory\n");
        rs = NB_RUN_ERROR;
    } else {
        memcpy(code, b->raw + b->body_off, b->body_len);
        code[b->body_len] = 0;
        rs = nb_runner_run(r, code, b->body_len, name, out, 0);
        free(code);
    }
    size_t n;
    char *plain = nb_output_plain(out, &n);
    if (plain && n) nb_set_output(nb, block, plain, n);
    else if (plain) nb_clear_output(nb, block);
    free(plain);
    nb->dirty = 1;
    nb_output_free(&local);
    return rs;
}
