/* The notebook in a terminal.  Like htop: one main loop (draw if needed,
 * read a key with a timeout, dispatch through the key table), layout
 * recomputed from LINES/COLS on KEY_RESIZE.  Panes: the outline of sections
 * and questions, the document with its own scroll, a title line and a status
 * line.  While a cell runs, the runner's count hook and progress callback
 * call poll(), which redraws the status line and the growing output and
 * reads the keyboard, so resizes are seen; Ctrl-C is a signal (cbreak mode)
 * that stops the cell. */
#include "tui/tui.h"

#include <errno.h>
#include <lauxlib.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/fileio.h"
#include "core/progress.h"
#include "plot/plot.h"
#include "notebook/notebook.h"
#include "notebook/runner.h"
#include "tui/doc.h"
#include "tui/recover.h"
#include "tui/term.h"

#define MIN_COLS 40
#define MIN_ROWS 12

typedef struct app {
    notebook nb;
    const char *path;
    char *path_owned; /* after "save as" */
    int builtin;      /* the shipped lab: the first save makes a copy */
    nb_runner *runner;
    nb_output **rich; /* per cell */
    int ncells;
    doc d;
    int ascii;
    /* layout */
    int rows, cols, out_w, doc_x, doc_w, doc_h, small;
    /* view */
    int top;
    int sel;     /* selected cell number (1-based), 0 if none */
    int running; /* running cell number, 0 if none */
    int rebuild, redraw;
    char status[512];
    char progress[640];
    char prog_stage[64];   /* the stage being timed, and since when, for the ETA */
    double prog_t0;
    int64_t prog_done;
    char search[128];
    int quit;
    double last_poll, last_draw;
    int out_changed;
    char *rec_ours;   /* the recovery file restored this session: gone once saved */
    int fast_errs;    /* reads that failed at once in a row (a terminal gone without SIGHUP) */
} app;

/* ---- SIGHUP, SIGTERM: keep unsaved work, then go ----
 * The handler only sets flags (and stops the running cell through the
 * runner); the recovery file is written in normal context, by tui_main on
 * its way out.  Every loop that waits for a key checks the flag. */
static volatile sig_atomic_t hangup_sig;
static void on_hangup(int sig)
{
    hangup_sig = sig;
    nb_runner_stop_all(sig);
}

static void install_hangup(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_hangup;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGHUP);
    sigaddset(&sa.sa_mask, SIGTERM);
    /* no SA_RESTART: a blocking read or wait returns at once.  A signal
     * ignored from the start (nohup) stays ignored. */
    static const int sigs[] = {SIGHUP, SIGTERM};
    for (int i = 0; i < 2; i++) {
        struct sigaction old;
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN) continue;
        sigaction(sigs[i], &sa, NULL);
    }
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void set_status(app *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_status(app *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(a->status, sizeof a->status, fmt, ap);
    va_end(ap);
    a->redraw = 1;
}

/* Block index of cell number k (1-based), or -1. */
static int cell_block(const app *a, int k)
{
    int c = 0;
    for (int i = 0; i < a->nb.nblocks; i++)
        if (a->nb.blocks[i].kind == NB_CELL && ++c == k) return i;
    return -1;
}

static int block_cell(const app *a, int b) { return b >= 0 ? nb_cell_number(&a->nb, b) : 0; }

/* ---- layout and document ---- */

static void layout(app *a)
{
    getmaxyx(stdscr, a->rows, a->cols);
    a->small = a->rows < MIN_ROWS || a->cols < MIN_COLS;
    a->out_w = a->cols >= 100 ? 30 : a->cols >= 70 ? 22 : 0;
    a->doc_x = a->out_w ? a->out_w + 1 : 0;
    a->doc_w = a->cols - a->doc_x;
    a->doc_h = a->rows - 2;
    if (a->doc_h < 1) a->doc_h = 1;
    nb_runner_set_view(a->runner, a->doc_w - 3, a->doc_h, a->ascii, term_has_color());
    a->rebuild = a->redraw = 1;
}

static void build(app *a)
{
    doc_opts o = {.width = a->doc_w - 1,
                  .ascii = a->ascii,
                  .selected = cell_block(a, a->sel),
                  .running = cell_block(a, a->running),
                  .rich = a->rich,
                  .nrich = a->ncells};
    doc_build(&a->d, &a->nb, &o);
    a->rebuild = 0;
    a->redraw = 1;
}

static int max_top(const app *a)
{
    int m = a->d.n - a->doc_h;
    return m > 0 ? m : 0;
}

static void clamp_top(app *a)
{
    if (a->top > max_top(a)) a->top = max_top(a);
    if (a->top < 0) a->top = 0;
}

/* After scrolling: keep a visible cell selected. */
static void follow_selection(app *a)
{
    int b = cell_block(a, a->sel);
    if (b >= 0 && a->d.cell_line && a->d.cell_end[b] > a->top && a->d.cell_line[b] < a->top + a->doc_h) return;
    for (int i = 0; i < a->nb.nblocks; i++) {
        if (a->nb.blocks[i].kind != NB_CELL) continue;
        int l = a->d.cell_line[i];
        if (l >= a->top && l < a->top + a->doc_h) {
            a->sel = block_cell(a, i);
            a->rebuild = 1;
            return;
        }
    }
}

/* The heading the view is in. */
static int current_heading(const app *a)
{
    int cur = -1;
    int probe = a->top + 1;
    int b = cell_block(a, a->sel);
    if (b >= 0 && a->d.cell_line && a->d.cell_line[b] >= a->top && a->d.cell_line[b] < a->top + a->doc_h)
        probe = a->d.cell_line[b];
    for (int h = 0; h < a->d.nheads; h++)
        if (a->d.heads[h].line <= probe) cur = h;
    return cur;
}

/* ---- drawing ---- */

static void put_cells(int y, int x, int w, const dline *l, int ascii)
{
    int col = 0;
    for (int i = 0; i < l->n && col < w; i++) {
        wchar_t c = l->ch[i];
        if (c == 0) continue; /* the second cell of a wide character */
        int cw = (!ascii && c >= 0x300 && wcwidth(c) == 2) ? 2 : 1;
        if (col + cw > w) break;
        attr_t at;
        short pair;
        term_role(l->role[i], &at, &pair);
        wchar_t s[2] = {c < 32 ? L'?' : c, 0};
        cchar_t cc;
        setcchar(&cc, s, at, pair, NULL);
        mvadd_wch(y, x + col, &cc);
        col += cw;
    }
}

static void put_text(int y, int x, int w, const char *s, attr_t at)
{
    /* UTF-8 text clipped to w cells (all our own strings are one cell per code point) */
    attron(at);
    move(y, x);
    int col = 0;
    while (*s && col < w) {
        int len = (unsigned char)*s < 0x80 ? 1 : (unsigned char)*s < 0xE0 ? 2 : (unsigned char)*s < 0xF0 ? 3 : 4;
        addnstr(s, len);
        s += len;
        col++;
    }
    attroff(at);
}

static void draw_small(app *a)
{
    erase();
    char msg[200];
    snprintf(msg, sizeof msg, "This terminal is %dx%d; mnistlab needs at least %dx%d. Please enlarge it (q quits).",
             a->cols, a->rows, MIN_COLS, MIN_ROWS);
    /* wrap the message over the rows we have */
    int len = (int)strlen(msg), y = 0, p = 0;
    while (p < len && y < a->rows) {
        int w = a->cols;
        int n = len - p < w ? len - p : w;
        if (p + n < len) {
            int k = n;
            while (k > 0 && msg[p + k] != ' ') k--;
            if (k > 0) n = k;
        }
        mvaddnstr(y++, 0, msg + p, n);
        p += n;
        while (msg[p] == ' ') p++;
    }
    refresh();
}

static const char *hints(const app *a)
{
    if (a->running && nb_runner_sigints() >= 1) return "stopping: Ctrl-C again stops even code that catches errors";
    if (a->running) return "running: Ctrl-C stops the cell";
    return a->cols >= 100 ? "n/p question  Tab cell  r run  a run to here  e edit  / search  s save  ? help  q quit"
                          : "n/p question  r run  a to here  e edit  / find  s save  ? help  q quit";
}

static void draw(app *a)
{
    if (a->small) {
        draw_small(a);
        a->redraw = 0;
        return;
    }
    if (a->rebuild) build(a);
    clamp_top(a);
    erase();
    /* title */
    char title[512];
    const char *base = strrchr(a->path, '/');
    base = base ? base + 1 : a->path;
    int h = current_heading(a);
    snprintf(title, sizeof title, " mnistlab  %s%s  %s", base, a->nb.dirty ? " [modified]" : "",
             h >= 0 ? a->d.heads[h].text : "");
    attron(A_REVERSE);
    mvhline(0, 0, ' ', a->cols);
    attroff(A_REVERSE);
    put_text(0, 0, a->cols, title, A_REVERSE | A_BOLD);
    /* outline */
    if (a->out_w) {
        int n = a->d.nheads, first = 0;
        if (h >= a->doc_h) first = h - a->doc_h / 2;
        for (int i = first, y = 1; i < n && y <= a->doc_h; i++) {
            const doutline *o = &a->d.heads[i];
            char line[200];
            int ind = o->level <= 2 ? 0 : 2 * (o->level - 2);
            snprintf(line, sizeof line, "%*s%s", ind, "", o->text);
            attr_t at = o->level <= 2 ? A_BOLD : A_NORMAL;
            if (i == h) {
                attron(A_REVERSE);
                mvhline(y, 0, ' ', a->out_w);
                attroff(A_REVERSE);
                at |= A_REVERSE;
            }
            put_text(y, 0, a->out_w, line, at);
            y++;
        }
        for (int y = 1; y <= a->doc_h; y++) {
            if (a->ascii) mvaddch(y, a->out_w, '|');
            else mvadd_wch(y, a->out_w, WACS_VLINE);
        }
    }
    /* document */
    for (int y = 0; y < a->doc_h && a->top + y < a->d.n; y++)
        put_cells(1 + y, a->doc_x, a->doc_w, &a->d.lines[a->top + y], a->ascii);
    /* status */
    attron(A_REVERSE);
    mvhline(a->rows - 1, 0, ' ', a->cols);
    attroff(A_REVERSE);
    char st[1024];
    if (a->running && a->progress[0]) snprintf(st, sizeof st, " %s  |  %s", a->progress, hints(a));
    else if (a->status[0]) snprintf(st, sizeof st, " %s", a->status);
    else snprintf(st, sizeof st, " %s", hints(a));
    put_text(a->rows - 1, 0, a->cols, st, A_REVERSE);
    /* scroll position */
    if (a->d.n > a->doc_h && a->cols > 20) {
        char pos[32];
        int pct = max_top(a) ? (int)(100.0 * a->top / max_top(a)) : 100;
        snprintf(pos, sizeof pos, " %3d%% ", pct);
        put_text(0, a->cols - (int)strlen(pos), (int)strlen(pos), pos, A_REVERSE);
    }
    refresh();
    a->redraw = 0;
    a->last_draw = now_s();
}

static void handle_resize(app *a)
{
    layout(a);
    build(a);
    clamp_top(a);
    draw(a);
}

/* ---- running cells ---- */

static void host_poll(void *ud)
{
    app *a = ud;
    if (hangup_sig) return; /* the terminal may be gone: nothing more is drawn */
    double t = now_s();
    if (t - a->last_poll < 0.03) return;
    a->last_poll = t;
    nodelay(stdscr, TRUE);
    wint_t ch;
    int r;
    while ((r = get_wch(&ch)) != ERR) {
        if (r == KEY_CODE_YES && ch == KEY_RESIZE) {
            layout(a);
            a->rebuild = 1;
        }
        /* other keys wait until the cell ends; Ctrl-C is a signal */
    }
    nodelay(stdscr, FALSE);
    if (a->out_changed && t - a->last_draw > 0.2) {
        a->out_changed = 0;
        a->rebuild = 1;
    }
    if (a->rebuild || a->redraw || t - a->last_draw > 0.25) draw(a);
}

/* The status line while a cell runs: the plot layer's progress bar
 * ("fit  45% ████▌░░░ 630/1400  820/s  ETA 0:05"), timed from the moment
 * this stage started (a new name, or a count that went back, starts anew:
 * each epoch of a network restarts its batch count). */
static void host_progress(void *ud, const char *stage, int64_t done, int64_t total)
{
    app *a = ud;
    double t = now_s();
    if (!stage) stage = "working";
    if (strncmp(a->prog_stage, stage, sizeof a->prog_stage - 1) != 0 || done < a->prog_done) {
        snprintf(a->prog_stage, sizeof a->prog_stage, "%s", stage);
        a->prog_t0 = t;
    }
    a->prog_done = done;
    int w = a->cols * 3 / 5;
    if (w > 90) w = 90;
    if (w < 20) w = 20;
    ml_format_progress(a->progress, sizeof a->progress, w, stage, done, total, t - a->prog_t0, a->ascii);
}

static void host_changed(void *ud)
{
    app *a = ud;
    a->out_changed = 1;
}

/* Scroll so that cell k (and as much of its output as fits) is in view. */
static void show_cell(app *a, int k)
{
    int b = cell_block(a, k);
    if (b < 0) return;
    int l = a->d.cell_line[b], e = a->d.cell_end[b];
    if (l < a->top || l >= a->top + a->doc_h) a->top = l > 0 ? l - 1 : 0;
    else if (e > a->top + a->doc_h) a->top = e - a->doc_h < l - 1 ? e - a->doc_h : l - 1;
    clamp_top(a);
}

/* Run cell k; returns its status. */
static nb_run_status run_cell(app *a, int k)
{
    int b = cell_block(a, k);
    if (b < 0) return NB_RUN_ERROR;
    nb_output *out = a->rich[k - 1];
    if (!out) {
        out = malloc(sizeof *out);
        if (!out) return NB_RUN_ERROR;
        a->rich[k - 1] = out;
    } else {
        nb_output_free(out);
    }
    nb_output_init(out);
    a->running = k;
    a->progress[0] = 0;
    a->prog_stage[0] = 0;
    a->prog_done = 0;
    snprintf(a->progress, sizeof a->progress, "running cell %d", k);
    a->status[0] = 0;
    build(a);
    show_cell(a, k);
    draw(a);
    double t0 = now_s();
    nb_run_status rs = nb_run_cell(a->runner, &a->nb, b, out);
    double dt = now_s() - t0;
    a->running = 0;
    a->progress[0] = 0;
    build(a);
    show_cell(a, k);
    if (rs == NB_RUN_OK) {
        set_status(a, "cell %d ran in %.2f s", k, dt);
    } else {
        const char *msg = "";
        for (int i = 0; i < out->n; i++)
            if (out->items[i].kind == NB_ITEM_ERROR) msg = out->items[i].text;
        char first[200];
        snprintf(first, sizeof first, "%s", msg);
        char *nl = strchr(first, '\n');
        if (nl) *nl = 0;
        set_status(a, "cell %d %s: %s", k, rs == NB_RUN_INTERRUPTED ? "stopped" : "failed", first);
    }
    flushinp(); /* keys typed while it ran are not commands */
    return rs;
}

static void run_range(app *a, int from, int to)
{
    for (int k = from; k <= to; k++) {
        if (hangup_sig) return;
        a->sel = k;
        nb_run_status rs = run_cell(a, k);
        if (rs != NB_RUN_OK) {
            if (k < to) {
                char tail[96];
                snprintf(tail, sizeof tail, " (cells %d to %d not run)", k + 1, to);
                strncat(a->status, tail, sizeof a->status - strlen(a->status) - 1);
            }
            return;
        }
    }
    if (to >= from) set_status(a, "ran cells %d to %d", from, to);
}

/* ---- reading keys ---- */

/* get_wch, watching for a terminal that went away: SIGHUP sets hangup_sig;
 * a terminal closed without it makes every read fail at once, which after
 * a hundred in a row is taken as SIGHUP too.  Returns ERR on hangup. */
static int read_key(app *a, wint_t *ch)
{
    if (hangup_sig) return ERR;
    double t0 = now_s();
    int r = get_wch(ch);
    if (r == ERR && !hangup_sig && now_s() - t0 < 0.005) {
        if (++a->fast_errs >= 100) on_hangup(SIGHUP);
    } else {
        a->fast_errs = 0;
    }
    return hangup_sig ? ERR : r;
}

/* ---- prompts ---- */

/* A line of input on the status line; returns 0 on Enter, -1 on Esc. */
static int prompt(app *a, const char *label, char *buf, size_t n)
{
    size_t len = strlen(buf);
    curs_set(1);
    for (;;) {
        attron(A_REVERSE);
        mvhline(a->rows - 1, 0, ' ', a->cols);
        mvprintw(a->rows - 1, 0, " %s%s", label, buf);
        attroff(A_REVERSE);
        refresh();
        wint_t ch;
        int r = read_key(a, &ch);
        if (hangup_sig) {
            curs_set(0);
            return -1;
        }
        if (r == ERR) continue;
        if (r == KEY_CODE_YES) {
            if (ch == KEY_RESIZE) {
                layout(a);
                draw(a);
            } else if (ch == KEY_BACKSPACE && len) {
                buf[--len] = 0;
            } else if (ch == KEY_ENTER) {
                break;
            }
            continue;
        }
        if (ch == 27) {
            curs_set(0);
            return -1;
        }
        if (ch == '\n' || ch == '\r') break;
        if ((ch == 127 || ch == 8) && len) {
            while (len && ((unsigned char)buf[len - 1] & 0xC0) == 0x80) len--; /* a whole code point */
            if (len) len--;
            buf[len] = 0;
            continue;
        }
        if (ch >= 32 && ch != 127) {
            char mb[8];
            int k = 0;
            if (ch < 0x80) mb[k++] = (char)ch;
            else if (ch < 0x800) {
                mb[k++] = (char)(0xC0 | (ch >> 6));
                mb[k++] = (char)(0x80 | (ch & 0x3F));
            } else {
                mb[k++] = (char)(0xE0 | (ch >> 12));
                mb[k++] = (char)(0x80 | ((ch >> 6) & 0x3F));
                mb[k++] = (char)(0x80 | (ch & 0x3F));
            }
            if (len + (size_t)k < n) {
                memcpy(buf + len, mb, (size_t)k);
                len += (size_t)k;
                buf[len] = 0;
            }
        }
    }
    curs_set(0);
    return 0;
}

/* y / n / c question; returns the key. */
static int ask(app *a, const char *question)
{
    for (;;) {
        attron(A_REVERSE);
        mvhline(a->rows - 1, 0, ' ', a->cols);
        attroff(A_REVERSE);
        put_text(a->rows - 1, 0, a->cols, question, A_REVERSE | A_BOLD);
        refresh();
        wint_t ch;
        int r = read_key(a, &ch);
        if (hangup_sig) return 'c';
        if (r == KEY_CODE_YES && ch == KEY_RESIZE) {
            layout(a);
            draw(a);
            continue;
        }
        if (r == OK && (ch == 'y' || ch == 'Y')) return 'y';
        if (r == OK && (ch == 'n' || ch == 'N')) return 'n';
        if (r == OK && (ch == 'c' || ch == 'C' || ch == 27)) return 'c';
    }
}

/* ---- searching ---- */

static int line_contains(const dline *l, const wchar_t *w, size_t wn)
{
    for (int i = 0; i + (int)wn <= l->n; i++) {
        size_t k = 0;
        while (k < wn && towlower((wint_t)l->ch[i + (int)k]) == towlower((wint_t)w[k])) k++;
        if (k == wn) return 1;
    }
    return 0;
}

static void search_next(app *a)
{
    if (!a->search[0]) {
        set_status(a, "nothing to search for: / then a word");
        return;
    }
    wchar_t w[128];
    size_t wn = 0;
    const char *s = a->search;
    while (*s && wn < 127) {
        int len = (unsigned char)*s < 0x80 ? 1 : (unsigned char)*s < 0xE0 ? 2 : (unsigned char)*s < 0xF0 ? 3 : 4;
        wchar_t c = (unsigned char)*s;
        if (len == 2) c = ((s[0] & 0x1F) << 6) | (s[1] & 0x3F);
        else if (len == 3) c = ((s[0] & 0x0F) << 12) | ((s[1] & 0x3F) << 6) | (s[2] & 0x3F);
        if (a->ascii) c = doc_ascii(c);
        w[wn++] = c;
        s += len;
    }
    for (int pass = 0; pass < 2; pass++) {
        int from = pass == 0 ? a->top + 1 : 0, to = pass == 0 ? a->d.n : a->top + 1;
        for (int i = from; i < to; i++)
            if (line_contains(&a->d.lines[i], w, wn)) {
                a->top = i > 2 ? i - 2 : 0;
                clamp_top(a);
                follow_selection(a);
                set_status(a, "found \"%s\"%s (/ Enter: next)", a->search, pass ? ", from the top" : "");
                return;
            }
    }
    set_status(a, "\"%s\" not found", a->search);
}

/* ---- editing ---- */

static void edit_cell(app *a)
{
    int b = cell_block(a, a->sel);
    if (b < 0) {
        set_status(a, "no cell selected: Tab selects the next cell");
        return;
    }
    const char *tmpdir = getenv("TMPDIR");
    char path[512];
    snprintf(path, sizeof path, "%s/mnistlab-cell-XXXXXX.lua", tmpdir && *tmpdir ? tmpdir : "/tmp");
    int fd = mkstemps(path, 4);
    if (fd < 0) {
        set_status(a, "cannot create a temporary file: %s", strerror(errno));
        return;
    }
    const nb_block *blk = &a->nb.blocks[b];
    size_t want = blk->body_len;
    const char *p = blk->raw + blk->body_off;
    while (want) {
        ssize_t w = write(fd, p, want);
        if (w <= 0) break;
        p += w;
        want -= (size_t)w;
    }
    close(fd);
    const char *editor = getenv("VISUAL");
    if (!editor || !*editor) editor = getenv("EDITOR");
    if (!editor || !*editor) editor = "vi";
    term_suspend();
    struct sigaction ign, old;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigaction(SIGINT, &ign, &old);
    int status = -1;
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGINT, SIG_DFL);
        execl("/bin/sh", "sh", "-c", "exec $MNISTLAB_EDITOR \"$1\"", "sh", path, (char *)NULL);
        _exit(127);
    }
    (void)editor;
    int forwarded = 0;
    if (pid > 0)
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
            if (hangup_sig && !forwarded) { /* the editor goes too; what it wrote is kept below */
                kill(pid, hangup_sig);
                forwarded = 1;
            }
        }
    sigaction(SIGINT, &old, NULL);
    if (!hangup_sig) {
        term_resume();
        layout(a);
    }
    if (pid < 0 || !WIFEXITED(status) || WEXITSTATUS(status) == 127) {
        set_status(a, "the editor (%s) could not run; set $EDITOR", editor);
        unlink(path);
        return;
    }
    FILE *f = fopen(path, "rb");
    char *code = NULL;
    size_t n = 0;
    if (f) {
        size_t cap = 4096;
        code = malloc(cap);
        size_t got;
        while (code && (got = fread(code + n, 1, cap - n, f)) > 0) {
            n += got;
            if (n == cap) {
                char *c2 = realloc(code, cap *= 2);
                if (!c2) {
                    free(code);
                    code = NULL;
                }
                code = c2;
            }
        }
        fclose(f);
    }
    unlink(path);
    if (!code) {
        set_status(a, "could not read the edited cell back");
        return;
    }
    blk = &a->nb.blocks[b];
    int same = n == blk->body_len && memcmp(code, blk->raw + blk->body_off, n) == 0;
    if (same) set_status(a, "cell %d unchanged", a->sel);
    else if (nb_set_code(&a->nb, b, code, n)) set_status(a, "%s", ml_last_error());
    else set_status(a, "cell %d edited: r runs it, s saves the notebook", a->sel);
    free(code);
    a->rebuild = 1;
}

static void save_as(app *a);

/* The restored recovery file is done with once its work is saved (or
 * dropped on purpose). */
static void drop_recovery(app *a)
{
    if (!a->rec_ours) return;
    unlink(a->rec_ours);
    free(a->rec_ours);
    a->rec_ours = NULL;
}

static int save(app *a)
{
    if (a->builtin && !a->path_owned) { /* never overwrite the shipped lab */
        save_as(a);
        return a->path_owned ? 0 : -1;
    }
    if (nb_write(&a->nb, a->path)) {
        set_status(a, "not saved: %s (w saves a copy elsewhere)", ml_last_error());
        return -1;
    }
    a->nb.dirty = 0;
    drop_recovery(a);
    set_status(a, "saved %s", a->path);
    return 0;
}

static void save_as(app *a)
{
    char buf[1024];
    const char *base = strrchr(a->path, '/');
    snprintf(buf, sizeof buf, "%s", base ? base + 1 : a->path);
    const char *label = a->builtin && !a->path_owned ? "the built-in lab stays as shipped; save a copy as: "
                                                     : "save a copy as: ";
    if (prompt(a, label, buf, sizeof buf) || !buf[0]) {
        set_status(a, "not saved");
        return;
    }
    if (nb_write(&a->nb, buf)) {
        set_status(a, "not saved: %s", ml_last_error());
        return;
    }
    char *p = strdup(buf);
    if (p) {
        free(a->path_owned);
        a->path = a->path_owned = p;
    }
    a->nb.dirty = 0;
    drop_recovery(a);
    set_status(a, "saved %s; s now saves there", a->path);
}

/* ---- help ---- */

static const char *const HELP[] = {
    "mnistlab keys",
    "",
    "n  p          next / previous question",
    "Tab  S-Tab    next / previous cell",
    "r  Enter      run the selected cell",
    "a             run every cell from the first to the selected one",
    "A             run every cell of the notebook",
    "Ctrl-C        stop the running cell; the session stays",
    "              (twice: even code that catches errors)",
    "e             edit the selected cell in $EDITOR (else vi)",
    "s             save the notebook with its outputs",
    "w             save a copy under another name (and keep working on it)",
    "/             search; / then Enter finds the next match",
    "j k  Up Down  scroll a line",
    "Space  b      scroll a page (also PgDn, PgUp)",
    "g  G          top / bottom (also Home, End)",
    "Ctrl-L        redraw",
    "q             quit (asks first if there are unsaved changes)",
    "",
    "Cells share one Lua session; the module is the global `ml`.",
    "press any key",
};

static void show_help(app *a)
{
    int n = (int)(sizeof HELP / sizeof HELP[0]);
    int w = 70 < a->cols - 2 ? 70 : a->cols - 2;
    int hgt = n + 2 < a->rows ? n + 2 : a->rows;
    int y0 = (a->rows - hgt) / 2, x0 = (a->cols - w) / 2;
    for (int y = 0; y < hgt; y++) mvhline(y0 + y, x0, ' ', w);
    if (a->ascii) {
        attron(A_BOLD);
        mvhline(y0, x0, '-', w);
        mvhline(y0 + hgt - 1, x0, '-', w);
        attroff(A_BOLD);
    } else {
        mvhline_set(y0, x0, WACS_HLINE, w);
        mvhline_set(y0 + hgt - 1, x0, WACS_HLINE, w);
    }
    for (int i = 0; i < n && i + 1 < hgt - 1; i++) put_text(y0 + 1 + i, x0 + 2, w - 4, HELP[i], i == 0 ? A_BOLD : A_NORMAL);
    refresh();
    wint_t ch;
    for (;;) { /* until a key: the main loop's read times out */
        int r = read_key(a, &ch);
        if (hangup_sig) break;
        if (r == ERR) continue;
        if (r == KEY_CODE_YES && ch == KEY_RESIZE) layout(a);
        break;
    }
    a->redraw = 1;
}

/* ---- navigation ---- */

static void goto_heading(app *a, int dir)
{
    int cur = -1;
    for (int h = 0; h < a->d.nheads; h++)
        if (a->d.heads[h].line <= a->top + 1) cur = h;
    int h = cur;
    for (;;) {
        h += dir;
        if (h < 0 || h >= a->d.nheads) {
            set_status(a, dir > 0 ? "this is the last question" : "this is the first question");
            return;
        }
        if (a->d.heads[h].level >= 2) break;
    }
    if (dir < 0 && cur >= 0 && a->d.heads[cur].line < a->top && h == cur - 1) h = cur; /* back to this one's start */
    a->top = a->d.heads[h].line;
    clamp_top(a);
    /* select the question's first cell */
    int end = h + 1 < a->d.nheads ? a->d.heads[h + 1].line : a->d.n;
    for (int i = 0; i < a->nb.nblocks; i++)
        if (a->nb.blocks[i].kind == NB_CELL && a->d.cell_line[i] >= a->d.heads[h].line && a->d.cell_line[i] < end) {
            a->sel = block_cell(a, i);
            break;
        }
    a->status[0] = 0;
    a->rebuild = 1;
}

static void next_cell(app *a, int dir)
{
    int k = a->sel + dir;
    if (k < 1 || k > a->ncells) return;
    a->sel = k;
    build(a);
    int b = cell_block(a, k);
    int l = a->d.cell_line[b], e = a->d.cell_end[b];
    if (l < a->top || e > a->top + a->doc_h) a->top = l > 1 ? l - 1 : 0;
    clamp_top(a);
    a->rebuild = 1;
}

static void scroll_by(app *a, int n)
{
    a->top += n;
    clamp_top(a);
    follow_selection(a);
    a->redraw = 1;
}

/* ---- the key table ---- */

typedef void (*key_fn)(app *a);

static void k_quit(app *a)
{
    if (a->nb.dirty) {
        char q[600];
        if (a->builtin && !a->path_owned) /* the first save asks for a copy's name: say so */
            snprintf(q, sizeof q, " Save your outputs in a copy of the lab before quitting? y: name the copy, n: quit "
                                  "without saving, c: cancel");
        else
            snprintf(q, sizeof q, " Save changes to %s before quitting? y: save, n: quit without saving, c: cancel",
                     a->path);
        int r = ask(a, q);
        if (r == 'c') {
            set_status(a, "not quitting");
            return;
        }
        if (hangup_sig) return;
        if (r == 'y' && save(a)) return;
        if (r == 'n') drop_recovery(a); /* its work is dropped on purpose */
    }
    a->quit = 1;
}
static void k_help(app *a) { show_help(a); }
static void k_next_q(app *a) { goto_heading(a, 1); }
static void k_prev_q(app *a) { goto_heading(a, -1); }
static void k_next_cell(app *a) { next_cell(a, 1); }
static void k_prev_cell(app *a) { next_cell(a, -1); }
static void k_run(app *a)
{
    if (!a->sel) {
        set_status(a, "no cell selected: Tab selects the next cell");
        return;
    }
    run_cell(a, a->sel);
}
static void k_run_to(app *a)
{
    if (!a->sel) {
        set_status(a, "no cell selected: Tab selects the next cell");
        return;
    }
    run_range(a, 1, a->sel);
}
static void k_run_all(app *a) { run_range(a, 1, a->ncells); }
static void k_edit(app *a) { edit_cell(a); }
static void k_save(app *a) { save(a); }
static void k_save_as(app *a) { save_as(a); }
static void k_search(app *a)
{
    char buf[128];
    buf[0] = 0;
    if (prompt(a, "search: ", buf, sizeof buf)) {
        a->redraw = 1;
        return;
    }
    if (buf[0]) snprintf(a->search, sizeof a->search, "%s", buf);
    search_next(a);
}
static void k_down(app *a) { scroll_by(a, 1); }
static void k_up(app *a) { scroll_by(a, -1); }
static void k_pgdn(app *a) { scroll_by(a, a->doc_h - 2 > 1 ? a->doc_h - 2 : 1); }
static void k_pgup(app *a) { scroll_by(a, -(a->doc_h - 2 > 1 ? a->doc_h - 2 : 1)); }
static void k_home(app *a) { scroll_by(a, -a->d.n); }
static void k_end(app *a) { scroll_by(a, a->d.n); }
static void k_redraw(app *a)
{
    clearok(stdscr, TRUE);
    a->redraw = 1;
}

typedef struct keybind {
    int code; /* a character, or KEY_x + 0x10000 */
    key_fn fn;
} keybind;

#define FK(k) ((k) + 0x10000)
static const keybind KEYS[] = {
    {'q', k_quit},          {'Q', k_quit},          {'?', k_help},          {FK(KEY_F(1)), k_help},
    {'n', k_next_q},        {']', k_next_q},        {'p', k_prev_q},        {'[', k_prev_q},
    {'\t', k_next_cell},    {FK(KEY_BTAB), k_prev_cell}, {'r', k_run},      {'\n', k_run},
    {'\r', k_run},          {FK(KEY_ENTER), k_run}, {'a', k_run_to},        {'A', k_run_all},
    {'e', k_edit},          {'s', k_save},          {'w', k_save_as},          {'/', k_search},        {'j', k_down},
    {FK(KEY_DOWN), k_down}, {'k', k_up},            {FK(KEY_UP), k_up},     {' ', k_pgdn},
    {FK(KEY_NPAGE), k_pgdn}, {'b', k_pgup},         {FK(KEY_PPAGE), k_pgup}, {'g', k_home},
    {FK(KEY_HOME), k_home}, {'G', k_end},           {FK(KEY_END), k_end},   {12, k_redraw},
};

static void dispatch(app *a, int code)
{
    if (a->small && code != 'q' && code != 'Q') return;
    for (size_t i = 0; i < sizeof KEYS / sizeof KEYS[0]; i++)
        if (KEYS[i].code == code) {
            if (code != '?') a->status[0] = 0;
            KEYS[i].fn(a);
            return;
        }
    set_status(a, "unknown key: ? lists the keys");
}

/* ---- recovery files: offered at start, written on SIGHUP/SIGTERM ---- */

/* A box in the middle of the screen with `lines` (wrapped to fit); waits for
 * one of `keys` (Esc gives the last).  Returns the key, 0 on hangup. */
static int dialog(app *a, const char *const *lines, int n, const char *keys)
{
    for (;;) {
        int w = a->cols - 4 < 76 ? a->cols - 4 : 76;
        if (w < 20) w = 20;
        /* wrap at spaces into rows of w - 4 */
        char rows[40][160];
        int nr = 0;
        for (int i = 0; i < n && nr < 40; i++) {
            const char *p = lines[i];
            int first = 1;
            /* "k  what k does": its wrapped lines are indented under the text */
            int hang = p[0] && p[1] == ' ' && p[2] == ' ' ? 3 : 0;
            while ((*p || first) && nr < 40) {
                int avail = w - 4 - (first ? 0 : hang), len = (int)strlen(p);
                int cut = len;
                if (len > avail) {
                    cut = avail;
                    while (cut > 0 && p[cut] != ' ') cut--;
                    if (cut == 0) cut = avail;
                }
                snprintf(rows[nr++], sizeof rows[0], "%*s%.*s", first ? 0 : hang, "", cut, p);
                p += cut;
                while (*p == ' ') p++;
                first = 0;
            }
        }
        int h = nr + 2 < a->rows ? nr + 2 : a->rows;
        int y0 = (a->rows - h) / 2, x0 = (a->cols - w) / 2;
        if (x0 < 0) x0 = 0;
        for (int y = 0; y < h; y++) mvhline(y0 + y, x0, ' ', w);
        if (a->ascii) {
            mvhline(y0, x0, '-', w);
            mvhline(y0 + h - 1, x0, '-', w);
        } else {
            mvhline_set(y0, x0, WACS_HLINE, w);
            mvhline_set(y0 + h - 1, x0, WACS_HLINE, w);
        }
        for (int i = 0; i < nr && i + 1 < h - 1; i++) put_text(y0 + 1 + i, x0 + 2, w - 4, rows[i], i == 0 ? A_BOLD : A_NORMAL);
        refresh();
        wint_t ch;
        int r = read_key(a, &ch);
        if (hangup_sig) return 0;
        if (r == KEY_CODE_YES && ch == KEY_RESIZE) {
            layout(a);
            build(a);
            draw(a);
            continue;
        }
        if (r != OK) continue;
        if (ch == 27) return keys[strlen(keys) - 1];
        if (ch < 128 && strchr(keys, (int)(ch | 0x20))) return (int)(ch | 0x20);
    }
}

/* "2 cells edited, 3 outputs new or changed" */
static void summarize(const notebook *old, const notebook *cur, char *buf, size_t n)
{
    int a = nb_ncells(old), b = nb_ncells(cur);
    if (a != b) {
        snprintf(buf, n, "%d cells (the notebook on disk has %d)", b, a);
        return;
    }
    int edited = 0, outs = 0;
    for (int i = 0, j = 0; i < old->nblocks && j < cur->nblocks; i++, j++) {
        while (i < old->nblocks && old->blocks[i].kind != NB_CELL) i++;
        while (j < cur->nblocks && cur->blocks[j].kind != NB_CELL) j++;
        if (i >= old->nblocks || j >= cur->nblocks) break;
        const nb_block *x = &old->blocks[i], *y = &cur->blocks[j];
        edited += x->body_len != y->body_len || memcmp(x->raw + x->body_off, y->raw + y->body_off, x->body_len) != 0;
        int ox = nb_output_of(old, i), oy = nb_output_of(cur, j);
        if (ox < 0 || oy < 0) outs += ox != oy && (ox < 0) != (oy < 0);
        else outs += old->blocks[ox].len != cur->blocks[oy].len ||
                     memcmp(old->blocks[ox].raw, cur->blocks[oy].raw, old->blocks[ox].len) != 0;
    }
    char e[64] = "", o[64] = "";
    if (edited) snprintf(e, sizeof e, "%d cell%s edited", edited, edited == 1 ? "" : "s");
    if (outs) snprintf(o, sizeof o, "%d output%s new or changed", outs, outs == 1 ? "" : "s");
    if (!edited && !outs) snprintf(buf, n, "the cells and outputs are the same, other text changed");
    else snprintf(buf, n, "%s%s%s", e, edited && outs ? ", " : "", o);
}

static void free_rich(app *a)
{
    for (int i = 0; i < a->ncells; i++)
        if (a->rich[i]) {
            nb_output_free(a->rich[i]);
            free(a->rich[i]);
        }
    free(a->rich);
    a->rich = NULL;
}

/* The recovered document becomes the notebook, unsaved: the file on disk
 * stays as it is until the user saves. */
static int restore(app *a, const rec_file *r)
{
    notebook nb2;
    nb_output **rich2 = NULL;
    if (nb_parse(&nb2, r->doc, r->n)) return -1;
    rich2 = calloc((size_t)nb_ncells(&nb2) + 1, sizeof *rich2);
    nb2.path = strdup(a->path);
    if (!rich2 || !nb2.path) {
        free(rich2);
        nb_free(&nb2);
        return -1;
    }
    free_rich(a);
    nb_free(&a->nb);
    a->nb = nb2;
    a->nb.dirty = 1;
    a->rich = rich2;
    a->ncells = nb_ncells(&a->nb);
    a->sel = a->ncells ? 1 : 0;
    a->top = 0;
    free(a->rec_ours);
    a->rec_ours = strdup(r->path);
    a->rebuild = 1;
    return 0;
}

/* At start: each recovery file of this notebook, newest first, is offered
 * (restore, discard, keep for later); one that cannot be used is reported. */
static void offer_recovery(app *a)
{
    rec_file *rf = NULL;
    int n = rec_find(a->path, &rf);
    int restored = -1, kept = 0, deleted = 0;
    char done[600] = "";
    for (int i = 0; i < n && !hangup_sig; i++) {
        rec_file *r = &rf[i];
        if (restored >= 0) {
            kept++;
            continue;
        }
        char when[64] = "an unknown time";
        struct tm tmv;
        if (r->when && localtime_r(&r->when, &tmv)) strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tmv);
        /* beside the notebook, its name is enough */
        const char *slash = strrchr(a->path, '/'), *rslash = strrchr(r->path, '/');
        int beside = (slash ? (size_t)(slash - a->path) : 0) == (rslash ? (size_t)(rslash - r->path) : 0) &&
                     (!slash || strncmp(a->path, r->path, (size_t)(slash - a->path)) == 0);
        const char *shown = beside && rslash ? rslash + 1 : r->path;
        const char *base = slash ? slash + 1 : a->path;
        char l1[PATH_MAX + 200], l2[PATH_MAX + 300], l3[400], l4[300];
        int key;
        if (r->unreadable || r->damaged) {
            snprintf(l1, sizeof l1, "A recovery file of %s cannot be used", base);
            snprintf(l2, sizeof l2, "%s (%s) %s: %s.", shown, when, r->unreadable ? "cannot be read" : "is damaged",
                     r->why);
            const char *lines[] = {l1, "", l2, "", "d  delete it",
                                   "k  keep it (to look at it yourself; this comes back at the next start)"};
            key = dialog(a, lines, 6, "dk");
        } else {
            char sum[200];
            notebook rec;
            if (nb_parse(&rec, r->doc, r->n) == ML_OK) {
                summarize(&a->nb, &rec, sum, sizeof sum);
                nb_free(&rec);
            } else {
                snprintf(sum, sizeof sum, "its contents");
            }
            snprintf(l1, sizeof l1, "Unsaved work on %s was kept", base);
            snprintf(l2, sizeof l2, "When mnistlab was stopped by %s at %s, the unsaved changes went to %s: %s.",
                     r->sig ? rec_signame(r->sig) : "a signal", when, shown, sum);
            snprintf(l3, sizeof l3, "%s",
                     r->orig_changed ? "Careful: the notebook has changed on disk since then." : "");
            snprintf(l4, sizeof l4, "r  restore them, as unsaved changes (%s stays as it is until you save)", base);
            const char *lines[] = {l1, "", l2, l3, l4, "d  discard them (delete the recovery file)",
                                   "k  keep the file for later (this comes back at the next start)"};
            key = dialog(a, lines, 7, "rdk");
            if (key == 'r') {
                if (restore(a, r) == 0) {
                    restored = i;
                    snprintf(done, sizeof done, "restored the unsaved work of %s: s saves it to %s", when, base);
                    continue;
                }
                snprintf(done, sizeof done, "could not restore %s (out of memory); it is kept", shown);
                kept++;
                continue;
            }
        }
        if (key == 'd') {
            if (unlink(r->path) == 0) deleted++;
            else {
                snprintf(done, sizeof done, "could not delete %s: %s", r->path, strerror(errno));
                kept++;
            }
        } else if (key == 'k') {
            kept++;
        }
    }
    if (n) {
        char more[200] = "";
        if (kept)
            snprintf(more, sizeof more, "%s%d recovery file%s kept for later", done[0] ? "; " : "", kept,
                     kept == 1 ? "" : "s");
        else if (deleted && !done[0])
            snprintf(more, sizeof more, "%d recovery file%s deleted", deleted, deleted == 1 ? "" : "s");
        set_status(a, "%s%s", done, more);
    }
    rec_free(rf, n);
    a->redraw = 1;
}

/* On SIGHUP/SIGTERM: the unsaved work to a recovery file (none when nothing
 * differs from the file on disk).  Returns its path, or NULL (err says why
 * when writing failed). */
static char *keep_unsaved(app *a, int sig, char *err, size_t errn)
{
    err[0] = 0;
    if (!a->nb.dirty) return NULL;
    size_t n;
    char *text = nb_serialize(&a->nb, &n);
    if (!text) {
        snprintf(err, errn, "%s", ml_last_error());
        return NULL;
    }
    char *disk = NULL;
    size_t dn = 0;
    int same = 0;
    if (ml_read_file(a->path, &disk, &dn) == ML_OK) {
        same = dn == n && memcmp(disk, text, n) == 0;
        free(disk);
    }
    char *rec = NULL;
    if (!same) {
        rec = rec_write(a->path, text, n, sig, a->rec_ours, a->builtin && !a->path_owned);
        if (!rec) snprintf(err, errn, "%s", ml_last_error());
    } else if (a->rec_ours) {
        unlink(a->rec_ours); /* restored, and the notebook on disk is the same now */
    }
    free(text);
    return rec;
}

/* ---- idle Ctrl-C ---- */
static volatile sig_atomic_t idle_sigint;
static void on_idle_sigint(int sig)
{
    (void)sig;
    idle_sigint = 1;
}

int tui_main(const char *path, const tui_opts *opts)
{
    app a;
    memset(&a, 0, sizeof a);
    a.path = path;
    a.ascii = opts->ascii;
    a.builtin = opts->builtin;
    if (nb_read(&a.nb, path)) {
        /* a notebook gone since its work was kept: start empty, restore is offered */
        rec_file *rf = NULL;
        int nrec = access(path, F_OK) != 0 ? rec_find(path, &rf) : 0;
        rec_free(rf, nrec);
        if (!nrec || nb_parse(&a.nb, "", 0)) {
            fprintf(stderr, "mnistlab: %s\n", ml_last_error());
            return 1;
        }
    }
    nb_host host = {.progress = host_progress, .poll = host_poll, .changed = host_changed, .ud = &a};
    a.runner = nb_runner_new(&host);
    if (!a.runner) {
        fprintf(stderr, "mnistlab: %s\n", ml_last_error());
        nb_free(&a.nb);
        return 1;
    }
    /* a cell can neither read the keyboard (ncurses owns it) nor end the program */
    nb_runner_protect(a.runner, "q quits");
    a.ncells = nb_ncells(&a.nb);
    a.rich = calloc((size_t)a.ncells + 1, sizeof *a.rich);
    if (!a.rich || term_start(opts->color)) {
        fprintf(stderr, "mnistlab: cannot start the terminal (is TERM set?)\n");
        nb_runner_free(a.runner);
        nb_free(&a.nb);
        free(a.rich);
        return 1;
    }
    install_hangup();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_idle_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    /* MNISTLAB_EDITOR carries the editor to the child shell */
    const char *ed = getenv("VISUAL");
    if (!ed || !*ed) ed = getenv("EDITOR");
    setenv("MNISTLAB_EDITOR", ed && *ed ? ed : "vi", 1);

    a.sel = a.ncells ? 1 : 0;
    layout(&a);
    build(&a);
    set_status(&a, "%s", "welcome: n/p move between questions, r runs a cell, ? lists the keys");
    timeout(500);
    draw(&a);
    offer_recovery(&a);
    while (!a.quit && !hangup_sig) {
        if (a.rebuild) build(&a);
        if (a.redraw) draw(&a);
        wint_t ch;
        timeout(500);
        int r = read_key(&a, &ch);
        if (hangup_sig) break;
        if (idle_sigint) {
            idle_sigint = 0;
            ml_interrupt_clear();
            set_status(&a, "nothing is running (q quits)");
        }
        if (r == ERR) continue;
        if (r == KEY_CODE_YES) {
            if (ch == KEY_RESIZE) {
                handle_resize(&a);
                continue;
            }
            dispatch(&a, FK((int)ch));
        } else {
            dispatch(&a, (int)ch);
        }
    }
    /* SIGHUP or SIGTERM: unsaved work to a recovery file before anything
     * touches the terminal (it may be gone), then the terminal restored, and
     * the signal's own end (the shell sees "Hangup" / "Terminated") */
    int sig = hangup_sig;
    char *rec = NULL, err[600];
    if (sig) rec = keep_unsaved(&a, sig, err, sizeof err);
    term_stop();
    if (rec)
        fprintf(stderr, "mnistlab: %s: the unsaved changes to %s are kept in %s; the next start offers to restore them\n",
                rec_signame(sig), a.path, rec);
    else if (sig && err[0])
        fprintf(stderr, "mnistlab: %s: could not keep the unsaved changes to %s: %s\n", rec_signame(sig), a.path, err);
    free(rec);
    free_rich(&a);
    free(a.path_owned);
    free(a.rec_ours);
    doc_free(&a.d);
    nb_runner_free(a.runner);
    nb_free(&a.nb);
    if (sig) {
        signal(sig, SIG_DFL);
        raise(sig);
        return 128 + sig;
    }
    return 0;
}
