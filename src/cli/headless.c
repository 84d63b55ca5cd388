/* The headless runner: mnistlab run NOTEBOOK.md, scripts and the prompt.
 *
 * Output to a file or a pipe is the report itself (the notebook with each
 * output below its cell), as plain text; to a terminal, prose and code are
 * printed as they are and outputs with colours (unless NO_COLOR).  A compact
 * progress line goes to stderr when it is a terminal. */
#include <lauxlib.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "lua/mlua.h"
#include "ml_config.h"
#include "core/fileio.h"
#include "notebook/notebook.h"
#include "notebook/runner.h"

/* ---- progress on stderr ---- */
typedef struct hl_state {
    int tty;
    double last;
    int shown;
    /* streaming a running cell's output to a terminal */
    const nb_output *out;
    int item;      /* items before this one are printed */
    size_t off;    /* bytes of that item printed (text items grow) */
    int color;
    /* fit's line on stdout (mlua_tty), shown: our own progress line keeps quiet */
    mlua_tty term;
    int term_shown;
} hl_state;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void hl_progress(void *ud, const char *stage, int64_t done, int64_t total)
{
    hl_state *h = ud;
    if (!h->tty || h->term_shown) return;
    double t = now_s();
    if (t - h->last < 0.1 && done != total) return;
    h->last = t;
    if (total > 0)
        fprintf(stderr, "\r\033[K%s %lld/%lld (%d%%)  Ctrl-C stops", stage ? stage : "working", (long long)done,
                (long long)total, (int)(100.0 * (double)done / (double)total));
    else
        fprintf(stderr, "\r\033[K%s %lld  Ctrl-C stops", stage ? stage : "working", (long long)done);
    fflush(stderr);
    h->shown = 1;
}

static void hl_clear(hl_state *h)
{
    if (h->shown) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    h->shown = 0;
    if (h->term_shown) {
        fputs("\r\033[K", stdout);
        fflush(stdout);
    }
    h->term_shown = 0;
}

/* A script or the prompt is about to print: the progress line on stderr
 * goes first (fit's own line on stdout ends where the print starts). */
static void hl_before_write(void *ud)
{
    hl_state *h = ud;
    if (h->shown) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
        h->shown = 0;
    }
}

/* mlua_tty: a line redrawn in place on stdout (fit's per-batch progress) */
static void hl_term_line(void *ud, const char *line)
{
    hl_state *h = ud;
    if (h->shown) { /* our own line, when stderr is the same terminal */
        fputs("\r\033[K", stderr);
        fflush(stderr);
        h->shown = 0;
    }
    fputs("\r\033[K", stdout);
    if (line) fputs(line, stdout);
    fflush(stdout);
    h->term_shown = line != NULL;
}

/* When stdout is a terminal, fit draws its line there (direct: print writes
 * there too, a script or the prompt; else the cells' outputs are streamed). */
static void hl_set_term(hl_state *h, lua_State *L, int direct)
{
    if (!isatty(STDOUT_FILENO)) {
        mlua_set_tty(L, NULL);
        return;
    }
    h->term = (mlua_tty){.line = hl_term_line, .ud = h, .direct = direct};
    mlua_set_tty(L, &h->term);
}

/* ---- printing to a terminal, as the output grows ---- */
static void stream(hl_state *h)
{
    const nb_output *out = h->out;
    if (!out) return;
    hl_clear(h);
    for (; h->item < out->n; h->item++, h->off = 0) {
        const nb_item *it = &out->items[h->item];
        if (it->kind == NB_ITEM_PICTURE) {
            ml_text_write(&it->pic, stdout, h->color ? ML_COLOR_ANSI256 : ML_COLOR_NONE);
        } else if (it->text) {
            if (it->kind == NB_ITEM_ERROR && h->color) fputs("\033[31m", stdout);
            fwrite(it->text + h->off, 1, it->len - h->off, stdout);
            if (it->kind == NB_ITEM_ERROR && h->color) fputs("\033[0m", stdout);
            h->off = it->len;
            if (h->item == out->n - 1 && it->kind == NB_ITEM_TEXT) break; /* it may grow */
        }
    }
    fflush(stdout);
}

static void hl_changed(void *ud) { stream(ud); }

static void print_prose(const nb_block *b, int color)
{
    if (!color) {
        fwrite(b->raw, 1, b->len, stdout);
        return;
    }
    /* headings in bold */
    const char *s = b->raw, *end = b->raw + b->len;
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        const char *e = nl ? nl + 1 : end;
        if (*s == '#') fputs("\033[1m", stdout);
        fwrite(s, 1, (size_t)(e - s - (nl ? 1 : 0)), stdout);
        if (*s == '#') fputs("\033[0m", stdout);
        if (nl) fputc('\n', stdout);
        s = e;
    }
}

/* ---- --times: wall-clock seconds per cell and per `##` section, on stderr ---- */
typedef struct hl_times {
    int on;
    int *section_of_prose; /* prose block ordinal -> the last level-2 heading in it, or -1 */
    nb_heading *heads;
    int nheads, nprose;
    int section;           /* heading index of the current section, -1 before the first */
    double section_s, total_s;
    int section_cells, cells;
} hl_times;

static void times_init(hl_times *t, const notebook *nb, int on)
{
    memset(t, 0, sizeof *t);
    t->section = -1;
    t->on = on;
    if (!on) return;
    int n = nb_headings(nb, NULL, 0);
    t->heads = calloc((size_t)(n > 0 ? n : 1), sizeof *t->heads);
    t->section_of_prose = calloc((size_t)(nb->nblocks > 0 ? nb->nblocks : 1), sizeof(int));
    if (!t->heads || !t->section_of_prose) return; /* then no section names: cells still timed */
    t->nheads = nb_headings(nb, t->heads, n);
    for (int bi = 0, k = 0; bi < nb->nblocks; bi++) {
        if (nb->blocks[bi].kind != NB_PROSE) continue;
        t->section_of_prose[t->nprose] = -1;
        for (; k < t->nheads && t->heads[k].block <= bi; k++)
            if (t->heads[k].block == bi && t->heads[k].level == 2) t->section_of_prose[t->nprose] = k;
        t->nprose++;
    }
}

static void times_section_end(hl_times *t)
{
    if (!t->on || t->section_cells == 0) return;
    fprintf(stderr, "time: section %s: %.2f s (%d cell%s)\n",
            t->section >= 0 ? t->heads[t->section].text : "(before the first ## heading)", t->section_s,
            t->section_cells, t->section_cells == 1 ? "" : "s");
    t->section_s = 0;
    t->section_cells = 0;
}

/* Prose block number `ord` (0-based, in order) is being printed. */
static void times_prose(hl_times *t, int ord)
{
    if (!t->on || !t->section_of_prose || ord >= t->nprose || t->section_of_prose[ord] < 0) return;
    times_section_end(t);
    t->section = t->section_of_prose[ord];
}

static void times_cell(hl_times *t, int cell, int line, double s)
{
    if (!t->on) return;
    fprintf(stderr, "time: cell %d (line %d): %.3f s\n", cell, line, s);
    fflush(stderr);
    t->section_s += s;
    t->total_s += s;
    t->section_cells++;
    t->cells++;
}

static void times_end(hl_times *t)
{
    if (t->on) {
        times_section_end(t);
        fprintf(stderr, "time: total: %.2f s (%d cell%s)\n", t->total_s, t->cells, t->cells == 1 ? "" : "s");
        fflush(stderr);
    }
    free(t->heads);
    free(t->section_of_prose);
}

int cli_run_notebook(const char *path, const cli_opts *o)
{
    notebook nb;
    if (nb_read(&nb, path)) {
        fprintf(stderr, "mnistlab: %s\n", ml_last_error());
        return 2;
    }
    int tty = isatty(STDOUT_FILENO);
    int color = tty && o->color;
    hl_state h = {.tty = isatty(STDERR_FILENO), .color = color};
    nb_host host = {.progress = hl_progress, .changed = tty ? hl_changed : NULL, .ud = &h};
    nb_runner *r = nb_runner_new(&host);
    if (!r) {
        fprintf(stderr, "mnistlab: %s\n", ml_last_error());
        nb_free(&nb);
        return 2;
    }
    nb_runner_set_view(r, o->width > 0 ? o->width : 80, 24, o->ascii, color);
    hl_set_term(&h, nb_runner_lua(r), 0);
    nb_runner_protect(r, NULL); /* os.exit, stdin: an error in the cell, the next cell runs */

    hl_times tm;
    times_init(&tm, &nb, o->times);
    int failed = 0, stopped = 0, ncell = 0, nprose = 0;
    for (int i = 0; i < nb.nblocks; i++) {
        nb_block *b = &nb.blocks[i];
        if (b->kind == NB_PROSE) {
            if (!stopped) times_prose(&tm, nprose);
            nprose++;
            print_prose(b, color);
            continue;
        }
        if (b->kind == NB_OUTPUT) { /* an old output: printed only if its cell did not run */
            if (stopped) fwrite(b->raw, 1, b->len, stdout);
            continue;
        }
        ncell++;
        if (color) fputs("\033[2m", stdout);
        fwrite(b->raw, 1, b->len, stdout);
        if (b->len && b->raw[b->len - 1] != '\n') fputc('\n', stdout);
        if (color) fputs("\033[0m", stdout);
        fflush(stdout);
        if (stopped) continue;
        nb_output out;
        nb_output_init(&out);
        h.out = &out;
        h.item = 0;
        h.off = 0;
        double t0 = now_s();
        nb_run_status rs = nb_run_cell(r, &nb, i, &out);
        double cell_s = now_s() - t0;
        hl_clear(&h);
        b = &nb.blocks[i]; /* the block array may have moved */
        int ob = nb_output_of(&nb, i);
        if (tty) {
            stream(&h); /* what is left */
            h.out = NULL;
        } else if (ob >= 0) {
            /* the output block as the report has it (the cell's text above
             * already ended with its line end) */
            const nb_block *obk = &nb.blocks[ob];
            fwrite(obk->raw, 1, obk->len, stdout);
        }
        fflush(stdout);
        nb_output_free(&out);
        times_cell(&tm, ncell, b->line, cell_s);
        if (ob >= 0) i = ob; /* the new output is printed already */
        if (rs != NB_RUN_OK) {
            failed++;
            fprintf(stderr, "mnistlab: %s: cell %d (line %d) %s\n", path, ncell, b->line,
                    rs == NB_RUN_INTERRUPTED ? "was interrupted" : "failed");
            if (o->stop_on_error || rs == NB_RUN_INTERRUPTED) stopped = 1;
        }
    }
    fflush(stdout);
    times_end(&tm);
    int rc = failed ? 1 : 0;
    if (o->out && nb_write(&nb, o->out)) {
        fprintf(stderr, "mnistlab: %s\n", ml_last_error());
        rc = 2;
    }
    if (o->in_place && nb_write(&nb, path)) {
        fprintf(stderr, "mnistlab: %s\n", ml_last_error());
        rc = 2;
    }
    nb_runner_free(r);
    nb_free(&nb);
    return rc;
}

/* ---- scripts ---- */
int cli_run_script(const char *path, int argc, char **argv, const cli_opts *o)
{
    char *code;
    size_t n;
    if (ml_read_file(path, &code, &n)) {
        fprintf(stderr, "mnistlab: %s\n", ml_last_error());
        return 1;
    }
    if (n && code[0] == '#') /* a #! line: keep the line count */
        for (size_t i = 0; i < n && code[i] != '\n'; i++) code[i] = ' ';
    hl_state h = {.tty = isatty(STDERR_FILENO)};
    nb_host host = {.progress = hl_progress, .before_write = hl_before_write, .ud = &h};
    nb_runner *r = nb_runner_new(&host);
    if (!r) {
        fprintf(stderr, "mnistlab: %s\n", ml_last_error());
        free(code);
        return 1;
    }
    nb_runner_set_view(r, o->width > 0 ? o->width : 0, 0, o->ascii, isatty(STDOUT_FILENO) && o->color);
    if (o->width <= 0) {
        const char *cols = getenv("COLUMNS");
        nb_runner_set_view(r, cols && atoi(cols) > 0 ? atoi(cols) : 80, 24, o->ascii,
                           isatty(STDOUT_FILENO) && o->color);
    }
    lua_State *L = nb_runner_lua(r);
    hl_set_term(&h, L, 1);
    lua_createtable(L, argc, 1);
    lua_pushstring(L, path);
    lua_rawseti(L, -2, 0);
    for (int i = 0; i < argc; i++) {
        lua_pushstring(L, argv[i]);
        lua_rawseti(L, -2, i + 1);
    }
    lua_setglobal(L, "arg");
    fflush(stdout);
    nb_run_status rs = nb_runner_run(r, code, n, path, NULL, 0);
    hl_clear(&h);
    free(code);
    nb_runner_free(r);
    return rs == NB_RUN_OK ? 0 : 1;
}

/* ---- the prompt ---- */
static volatile sig_atomic_t prompt_sigint;
static void on_prompt_sigint(int sig)
{
    (void)sig;
    prompt_sigint = 1;
}

int cli_repl(const cli_opts *o)
{
    hl_state h = {.tty = isatty(STDERR_FILENO)};
    nb_host host = {.progress = hl_progress, .before_write = hl_before_write, .ud = &h};
    nb_runner *r = nb_runner_new(&host);
    if (!r) {
        fprintf(stderr, "mnistlab: %s\n", ml_last_error());
        return 1;
    }
    const char *cols = getenv("COLUMNS");
    nb_runner_set_view(r, cols && atoi(cols) > 0 ? atoi(cols) : 80, 24, o->ascii, isatty(STDOUT_FILENO) && o->color);
    hl_set_term(&h, nb_runner_lua(r), 1);
    int tty = isatty(STDIN_FILENO);
    if (tty) { /* no SA_RESTART: Ctrl-C interrupts the read */
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_prompt_sigint;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);
    }
    if (tty)
        printf("mnistlab %s (Lua %s), the module is `ml`. Ctrl-C stops a computation, Ctrl-D quits.\n",
               ML_VERSION, LUA_VERSION_MAJOR "." LUA_VERSION_MINOR);
    lua_State *L = nb_runner_lua(r);
    char line[4096];
    char *chunk = NULL;
    size_t clen = 0;
    int rc = 0;
    for (;;) {
        if (tty) {
            fputs(chunk ? ">> " : "> ", stdout);
            fflush(stdout);
        }
        if (!fgets(line, sizeof line, stdin)) {
            if (prompt_sigint && !feof(stdin)) { /* Ctrl-C at the prompt drops the line */
                prompt_sigint = 0;
                clearerr(stdin);
                free(chunk);
                chunk = NULL;
                clen = 0;
                fputs("\n", stdout);
                continue;
            }
            break;
        }
        size_t ln = strlen(line);
        char *nc = realloc(chunk, clen + ln + 1);
        if (!nc) break;
        chunk = nc;
        memcpy(chunk + clen, line, ln + 1);
        clen += ln;
        /* incomplete statement? wait for more lines, as lua5.4 does */
        int st = luaL_loadbuffer(L, chunk, clen, "=stdin");
        if (st == LUA_ERRSYNTAX) {
            size_t ml;
            const char *msg = lua_tolstring(L, -1, &ml);
            int incomplete = msg && ml >= 5 && strcmp(msg + ml - 5, "<eof>") == 0;
            lua_pop(L, 1);
            /* an expression (`1 + 1`) does not compile as a statement */
            lua_pushfstring(L, "return %s", chunk);
            int st2 = luaL_loadbuffer(L, lua_tostring(L, -1), lua_rawlen(L, -1), "=stdin");
            lua_pop(L, 2);
            if (incomplete && st2 != LUA_OK) continue;
        } else {
            lua_pop(L, 1);
        }
        if (nb_runner_run(r, chunk, clen, "stdin", NULL, 1) != NB_RUN_OK) rc = 1;
        hl_clear(&h);
        free(chunk);
        chunk = NULL;
        clen = 0;
    }
    if (tty) putchar('\n');
    free(chunk);
    nb_runner_free(r);
    return tty ? 0 : rc;
}
