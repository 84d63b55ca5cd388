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
    free(o->tail);
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

/* ---- the size cap ---- */

static long long count_newlines(const char *s, size_t n)
{
    long long k = 0;
    const char *end = s + n;
    while (s < end && (s = memchr(s, '\n', (size_t)(end - s)))) {
        k++;
        s++;
    }
    return k;
}

/* Past the cap, the last 1/8 of it (at most 1 MB) is kept: the tail. */
static size_t tail_size(const nb_output *o)
{
    size_t c = o->limit / 8;
    if (c > ((size_t)1 << 20)) c = (size_t)1 << 20;
    if (c < 4096) c = 4096;
    return c;
}

static size_t head_budget(const nb_output *o) { return o->limit > tail_size(o) ? o->limit - tail_size(o) : 0; }

static void tail_put(nb_output *o, const char *s, size_t n)
{
    if (!o->tail) {
        o->tail_cap = tail_size(o);
        o->tail = malloc(o->tail_cap);
        o->tail_pos = 0;
        if (!o->tail) {
            o->tail_cap = 0;
            o->tail_total += n; /* counted as cut */
            return;
        }
    }
    o->tail_total += n;
    if (n > o->tail_cap) { /* only its end can stay */
        s += n - o->tail_cap;
        n = o->tail_cap;
    }
    size_t first = o->tail_cap - o->tail_pos < n ? o->tail_cap - o->tail_pos : n;
    memcpy(o->tail + o->tail_pos, s, first);
    memcpy(o->tail, s + first, n - first);
    o->tail_pos = (o->tail_pos + n) % o->tail_cap;
}

static void start_cut(nb_output *o)
{
    o->cut = 1;
    o->head_newlines = o->newlines;
    o->head_midline = o->midline;
}

void nb_output_text(nb_output *o, const char *s, size_t n)
{
    if (!n) return;
    if (!o->cut && o->limit && o->kept + n > head_budget(o)) {
        /* past the cap: keep whole lines up to it, the rest goes to the tail */
        size_t room = head_budget(o) > o->kept ? head_budget(o) - o->kept : 0, keep = 0;
        for (size_t i = room; i > 0; i--)
            if (s[i - 1] == '\n') {
                keep = i;
                break;
            }
        if (keep) nb_output_text(o, s, keep);
        start_cut(o);
        s += keep;
        n -= keep;
    }
    o->newlines += count_newlines(s, n);
    o->midline = s[n - 1] != '\n';
    if (o->cut) {
        tail_put(o, s, n);
        return;
    }
    nb_item *it = o->n && o->items[o->n - 1].kind == NB_ITEM_TEXT ? &o->items[o->n - 1] : new_item(o, NB_ITEM_TEXT);
    if (it) item_append(it, s, n);
    o->kept += n;
}

void nb_output_error(nb_output *o, const char *s)
{
    nb_item *it = new_item(o, NB_ITEM_ERROR);
    if (it) item_append(it, s, strlen(s));
}

void nb_output_note(nb_output *o, const char *s)
{
    nb_item *it = new_item(o, NB_ITEM_NOTE);
    if (it) item_append(it, s, strlen(s));
}

/* Bytes of a picture in plain text (as nb_output_plain writes it, at most). */
static size_t picture_bytes(const ml_text *t)
{
    size_t b = 0;
    for (int k = 0; k < t->nlines; k++) b += strlen(t->lines[k].text) + 1;
    return b;
}

static nb_item *add_picture(nb_output *o, const ml_text *t)
{
    nb_item *it = new_item(o, NB_ITEM_PICTURE);
    if (!it) return NULL;
    for (int i = 0; i < t->nlines; i++)
        ml_text_add(&it->pic, t->lines[i].text, t->lines[i].color, t->lines[i].ncells, 0);
    o->kept += picture_bytes(t);
    return it;
}

void nb_output_picture(nb_output *o, const ml_text *t)
{
    if (!o->cut && o->limit && o->kept + picture_bytes(t) > head_budget(o)) start_cut(o);
    if (o->cut) { /* its plain text goes to the tail */
        if (o->midline) nb_output_text(o, "\n", 1);
        for (int k = 0; k < t->nlines; k++) {
            const char *s = t->lines[k].text;
            size_t len = strlen(s);
            while (len && s[len - 1] == ' ') len--;
            if (len) nb_output_text(o, s, len);
            nb_output_text(o, "\n", 1);
        }
        return;
    }
    if (o->midline) o->newlines++; /* nb_output_plain ends the line first */
    if (add_picture(o, t)) {
        o->newlines += t->nlines;
        o->midline = 0;
    }
}

void nb_output_finish(nb_output *o)
{
    if (!o->cut) return;
    o->cut = 0;
    size_t have = o->tail_total < o->tail_cap ? (size_t)o->tail_total : o->tail_cap;
    char *t = malloc(have + 1);
    if (!t) {
        free(o->tail);
        o->tail = NULL;
        o->tail_cap = o->tail_pos = 0;
        o->tail_total = 0;
        nb_output_note(o, "[mnistlab cut this output here: out of memory for its end]\n");
        return;
    }
    size_t start = o->tail_total < o->tail_cap ? 0 : o->tail_pos;
    for (size_t i = 0; i < have; i++) t[i] = o->tail[(start + i) % o->tail_cap];
    free(o->tail);
    o->tail = NULL;
    o->tail_cap = o->tail_pos = 0;
    unsigned long long lost = o->tail_total - have;
    o->tail_total = 0;
    size_t skip = 0;
    int tail_midline = 0;
    if (lost) { /* the ring overflowed: start the tail at a line */
        const char *nl = have ? memchr(t, '\n', have) : NULL;
        if (nl) skip = (size_t)(nl - t) + 1;
        else tail_midline = 1, skip = 0;
        lost += skip;
    }
    if (!lost) { /* everything fitted after all */
        nb_item *it = o->n && o->items[o->n - 1].kind == NB_ITEM_TEXT ? &o->items[o->n - 1] : new_item(o, NB_ITEM_TEXT);
        if (it) item_append(it, t, have);
        o->kept += have;
        free(t);
        return;
    }
    long long tail_nl = count_newlines(t + skip, have - skip);
    long long first = o->head_newlines + 1; /* the first line (1-based) cut */
    long long last = o->newlines - tail_nl; /* the last one */
    if (tail_midline) last = o->newlines + 1;
    char range[160], limit[32], note[400];
    if (first >= last)
        snprintf(range, sizeof range, "%sline %lld", o->head_midline || tail_midline ? "part of " : "", first);
    else
        snprintf(range, sizeof range, "lines %lld to %lld%s%s", first, last,
                 o->head_midline ? ", from the middle of the first" : "",
                 tail_midline ? ", to the middle of the last" : "");
    if (o->limit % ((size_t)1 << 20) == 0) snprintf(limit, sizeof limit, "%zu MB", o->limit >> 20);
    else snprintf(limit, sizeof limit, "%zu bytes", o->limit);
    snprintf(note, sizeof note,
             "[mnistlab cut this output here: %llu bytes not kept (%s); a cell keeps %s of output "
             "(MNISTLAB_OUTPUT_LIMIT): its beginning and its last %zu bytes]\n",
             lost, range, limit, have - skip);
    nb_output_note(o, note);
    nb_item *it = new_item(o, NB_ITEM_TEXT);
    if (it) item_append(it, t + skip, have - skip);
    free(t);
}

/* The picture under `key` moves to the end: it stays below the text that
 * keeps coming (epoch lines under a growing training curve).  Pictures shown
 * under a key replace each other, so they are kept whatever the cap. */
void nb_output_picture_keyed(nb_output *o, const char *key, const ml_text *t)
{
    for (int i = 0; i < o->n; i++) {
        nb_item *it = &o->items[i];
        if (it->kind == NB_ITEM_PICTURE && it->key && strcmp(it->key, key) == 0) {
            size_t b = picture_bytes(&it->pic);
            o->kept = o->kept > b ? o->kept - b : 0;
            ml_text_free(&it->pic);
            free(it->key);
            memmove(it, it + 1, sizeof *it * (size_t)(o->n - i - 1));
            o->n--;
            break;
        }
    }
    nb_item *it = add_picture(o, t);
    if (it) it->key = strdup(key);
}

void nb_output_drop_live(nb_output *o)
{
    int w = 0;
    for (int i = 0; i < o->n; i++) {
        nb_item *it = &o->items[i];
        if (it->kind == NB_ITEM_PICTURE && it->key && strncmp(it->key, "live:", 5) == 0) {
            size_t b = picture_bytes(&it->pic);
            o->kept = o->kept > b ? o->kept - b : 0;
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
    size_t out_limit; /* cap of a cell's output */
    int protect;      /* notebook cells: see nb_runner_protect */
};

static nb_runner *active; /* the runner whose cell is running (for SIGINT) */

static void emit(nb_runner *r, const char *s, size_t n)
{
    if (r->out) {
        nb_output_text(r->out, s, n);
        if (r->host.changed) r->host.changed(r->host.ud);
    } else {
        if (r->host.before_write) r->host.before_write(r->host.ud);
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
        if (r->host.before_write) r->host.before_write(r->host.ud);
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

/* Set by nb_runner_stop_all (a signal handler): every cell stops. */
static volatile sig_atomic_t stop_all_sig;
/* Ctrl-C seen while the current chunk runs. */
static volatile sig_atomic_t sigints;

/* The first Ctrl-C is an error the code may catch (a script that stops a
 * fit and goes on).  From the second one on, and after nb_runner_stop_all,
 * the interrupt stays pending until the chunk ends: code that catches every
 * error and goes on is interrupted again at its next hook (or progress
 * update in C), so it always gets back to the notebook. */
static int sticky(void) { return sigints >= 2 || stop_all_sig; }

static void count_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    nb_runner *r = active;
    if (r && r->host.poll && !stop_all_sig) r->host.poll(r->host.ud);
    if (sticky()) ml_interrupt_request();
    if (ml_interrupt_pending()) {
        if (!sticky()) ml_interrupt_clear();
        if (r) r->interrupted = 1;
        luaL_error(L, "interrupted");
    }
}

int nb_runner_sigints(void) { return sigints; }

/* Make the running cell's hook fire at the next instruction (lua_sethook
 * may be called from a signal handler; lua.c does the same). */
static void hurry(void)
{
    if (active && active->running) lua_sethook(active->L, count_hook, LUA_MASKCOUNT, 1);
}

static void on_sigint(int sig)
{
    (void)sig;
    if (sigints < 1000) sigints++;
    ml_interrupt_request();
    hurry();
}

void nb_runner_stop_all(int sig)
{
    stop_all_sig = sig ? sig : SIGTERM;
    ml_interrupt_request();
    hurry();
}

void nb_runner_stop_clear(void)
{
    stop_all_sig = 0;
    ml_interrupt_clear();
}

int nb_runner_stopping(void) { return stop_all_sig; }

/* Megabytes from the environment, or the default. */
static size_t env_megabytes(const char *name, size_t def, double min)
{
    const char *v = getenv(name);
    if (v && *v) {
        char *end;
        double mb = strtod(v, &end);
        if (end != v && mb >= min && mb < 1e9) return (size_t)(mb * 1048576.0);
    }
    return def;
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
    size_t cap = env_megabytes("MNISTLAB_MEMORY_LIMIT", mlua_default_mem_cap(), 16);
    r->out_limit = env_megabytes("MNISTLAB_OUTPUT_LIMIT", NB_OUTPUT_LIMIT_DEFAULT, 1);
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

/* Notebook cells: nothing that ends or hangs the program (see runner.h). */
static const char PROTECT[] =
    "local exit_hint = ...\n"
    "local stdin = io.stdin\n"
    "local m = getmetatable(stdin).__index\n"
    "local fread, flines = m.read, m.lines\n"
    "local function refuse(what, level)\n"
    "  error(what .. ': a notebook cell cannot read standard input (io.open a file instead)', level or 3)\n"
    "end\n"
    "m.read = function(f, ...) if f == stdin then refuse('read') end return fread(f, ...) end\n"
    "m.lines = function(f, ...) if f == stdin then refuse('lines') end return flines(f, ...) end\n"
    "io.read = function(...)\n"
    "  local f = io.input() if f == stdin then refuse('io.read') end return fread(f, ...)\n"
    "end\n"
    "local lines = io.lines\n"
    "io.lines = function(name, ...)\n"
    "  if name ~= nil then return lines(name, ...) end\n"
    "  local f = io.input() if f == stdin then refuse('io.lines') end return flines(f, ...)\n"
    "end\n"
    "os.exit = function() error('os.exit: a notebook cell cannot end mnistlab (' .. exit_hint .. ')', 2) end\n"
    "debug.sethook = function()\n"
    "  error('debug.sethook: not in a notebook cell (mnistlab uses the hook to stop cells on Ctrl-C)', 2)\n"
    "end\n"
    "local load, loadfile = load, loadfile\n"
    "_G.load = function(chunk, name, mode, ...) return load(chunk, name, 't', ...) end\n"
    "_G.loadfile = function(name, mode, ...)\n"
    "  if name == nil then refuse('loadfile') end\n"
    "  return loadfile(name, 't', ...)\n"
    "end\n"
    "_G.dofile = function(name)\n"
    "  if name == nil then refuse('dofile') end\n"
    "  local f = assert(loadfile(name, 't'))\n"
    "  return f()\n"
    "end\n";

void nb_runner_protect(nb_runner *r, const char *exit_hint)
{
    lua_State *L = r->L;
    r->protect = 1;
    if (luaL_loadbuffer(L, PROTECT, sizeof PROTECT - 1, "=protect") == LUA_OK) {
        lua_pushstring(L, exit_hint ? exit_hint : "the cells after it still run");
        if (lua_pcall(L, 1, 0, 0) != LUA_OK) lua_pop(L, 1);
    } else {
        lua_pop(L, 1);
    }
}

static int msgh(lua_State *L)
{
    const char *msg = lua_tostring(L, 1);
    if (!msg) {
        /* an error object's __tostring may fail too: call it protected */
        if (luaL_getmetafield(L, 1, "__tostring") != LUA_TNIL) {
            lua_pushvalue(L, 1);
            if (lua_pcall(L, 1, 1, 0) == LUA_OK && lua_type(L, -1) == LUA_TSTRING) {
                msg = lua_tostring(L, -1);
            } else {
                const char *why = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "it did not return a string";
                msg = lua_pushfstring(L, "(error object is a %s value whose __tostring failed: %s)",
                                      luaL_typename(L, 1), why);
            }
        } else {
            msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
        }
    }
    luaL_traceback(L, L, msg, 1);
    return 1;
}

/* An error message is kept up to 64 KB: its beginning and its end (the
 * traceback). */
#define MSG_KEEP 65536
static void cap_message(char *msg)
{
    size_t len = strlen(msg);
    if (len <= MSG_KEEP) return;
    char mid[96];
    int k = snprintf(mid, sizeof mid, "\n[mnistlab cut %zu bytes of this message here]\n", len - MSG_KEEP);
    size_t head = MSG_KEEP / 2, tail = MSG_KEEP / 2;
    memmove(msg + head + (size_t)k, msg + len - tail, tail + 1);
    memcpy(msg + head, mid, (size_t)k);
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
    if (out && !out->limit) out->limit = r->out_limit;
    r->out = out;
    r->interrupted = 0;
    nb_run_status rs = NB_RUN_OK;
    int pending = 0;
    if (st == LUA_OK) {
        struct sigaction sa, old;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_sigint;
        sigemptyset(&sa.sa_mask);
        if (stop_all_sig) ml_interrupt_request(); /* stopping: C loops too, from the start */
        else ml_interrupt_clear();
        sigints = 0;
        active = r;
        r->running = 1;
        sigaction(SIGINT, &sa, &old);
        lua_sethook(L, count_hook, LUA_MASKCOUNT, 1000);
        st = lua_pcall(L, 0, LUA_MULTRET, base + 1);
        lua_sethook(L, NULL, 0, 0);
        /* Ctrl-C that came while the cell ended (in a long C call, or as
         * another error unwound it) still stops what comes next */
        pending = ml_interrupt_pending();
        if (pending) r->interrupted = 1;
        sigaction(SIGINT, &old, NULL);
        r->running = 0;
        active = saved_active;
        if (out) {
            nb_output_drop_live(out);
            nb_output_finish(out);
        }
        if (r->protect && !lua_gc(L, LUA_GCISRUNNING)) {
            lua_gc(L, LUA_GCRESTART);
            if (out)
                nb_output_note(out, "[mnistlab: this cell stopped the garbage collector (collectgarbage \"stop\"); "
                                    "it runs again for the next cells]\n");
        }
        /* values to print: a picture the call has just drawn is not drawn
         * a second time (ml.digit(x) at the prompt) */
        if (st == LUA_OK && values)
            for (int i = lua_gettop(L); i > base + 1; i--)
                if (mlua_is_shown_chart(L, i)) lua_remove(L, i);
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
            cap_message(msg);
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
    if (rs == NB_RUN_OK && pending) { /* it ended as Ctrl-C came */
        rs = NB_RUN_INTERRUPTED;
        if (out) nb_output_note(out, "interrupted (as the cell ended)\n");
        else fprintf(stderr, "interrupted\n");
    }
    if (rs == NB_RUN_INTERRUPTED && stop_all_sig && out) {
        nb_output_note(out, stop_all_sig == SIGHUP ? "[mnistlab got SIGHUP (the terminal went away) and stopped this cell]\n"
                            : stop_all_sig == SIGTERM ? "[mnistlab got SIGTERM and stopped this cell]\n"
                                                      : "[mnistlab was stopped by a signal and stopped this cell]\n");
        if (r->host.changed) r->host.changed(r->host.ud);
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
