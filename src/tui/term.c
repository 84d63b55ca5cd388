/* Terminal set-up, tear-down and colours by role. */
#include "tui/term.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plot/text.h"
#include "tui/doc.h"

static volatile sig_atomic_t active;
static int colors;         /* colours in use */
static int picture_pairs;  /* pairs for picture roles exist */

enum { PAIR_UI = 1, PAIR_PICTURE = 32 };

static void restore(void)
{
    if (active) {
        active = 0;
        endwin();
    }
}

static void on_fatal(int sig)
{
    /* endwin is not async-signal-safe, but leaving the terminal raw is worse
     * (htop does the same); then die of the signal as if we had not caught it */
    restore();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void install_fatal(void)
{
    /* SIGHUP and SIGTERM are the TUI's own (tui.c): unsaved work is kept first */
    static const int sigs[] = {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL, SIGQUIT};
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_fatal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND;
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) sigaction(sigs[i], &sa, NULL);
}

/* Nearest of the 8 basic colours to an xterm-256 index. */
static short basic_color(int x)
{
    if (x < 0) return -1;
    if (x < 16) return (short)(x % 8);
    int r, g, b;
    if (x >= 232) {
        int v = 8 + (x - 232) * 10;
        r = g = b = v;
    } else {
        x -= 16;
        static const int lv[6] = {0, 95, 135, 175, 215, 255};
        r = lv[x / 36];
        g = lv[(x / 6) % 6];
        b = lv[x % 6];
    }
    if (abs(r - g) < 40 && abs(g - b) < 40) return -1; /* greys: the default colour */
    int best = 0, bd = 1 << 30;
    for (int c = 1; c < 8; c++) {
        int cr = (c & 1) ? 205 : 0, cg = (c & 2) ? 205 : 0, cb = (c & 4) ? 205 : 0;
        int dd = (r - cr) * (r - cr) + (g - cg) * (g - cg) + (b - cb) * (b - cb);
        if (dd < bd) {
            bd = dd;
            best = c;
        }
    }
    return (short)best;
}

int term_start(int color)
{
    /* newterm, unlike initscr, returns NULL instead of exiting when the
     * terminal cannot be used */
    if (!newterm(NULL, stdout, stdin)) return -1;
    active = 1;
    atexit(restore);
    install_fatal();
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    curs_set(0);
    set_escdelay(25);
    colors = 0;
    picture_pairs = 0;
    if (color && has_colors()) {
        start_color();
        use_default_colors();
        colors = 1;
        /* interface roles */
        static const short fg[TR_NUI] = {
            [TR_TEXT] = -1,     [TR_H1] = COLOR_CYAN,   [TR_H2] = COLOR_CYAN,     [TR_H3] = COLOR_YELLOW,
            [TR_EM] = -1,       [TR_STRONG] = -1,       [TR_CODE] = COLOR_GREEN,  [TR_CELL] = -1,
            [TR_CELLHDR] = COLOR_BLUE, [TR_CELLSEL] = COLOR_YELLOW, [TR_OUTPUT] = -1, [TR_ERROR] = COLOR_RED,
            [TR_MUTED] = COLOR_BLUE, [TR_LINK] = COLOR_CYAN, [TR_RUNNING] = COLOR_MAGENTA};
        for (int r = 0; r < TR_NUI; r++) init_pair((short)(PAIR_UI + r), fg[r], -1);
        if (COLOR_PAIRS >= PAIR_PICTURE + 64) {
            picture_pairs = 1;
            for (int r = 0; r < 64; r++) {
                int x = ml_color_ansi256((uint8_t)r);
                short f = COLORS >= 256 ? (short)x : basic_color(x);
                init_pair((short)(PAIR_PICTURE + r), f, -1);
            }
        }
    }
    return 0;
}

void term_stop(void) { restore(); }

void term_suspend(void)
{
    def_prog_mode();
    endwin();
}

void term_resume(void)
{
    reset_prog_mode();
    curs_set(0);
    clearok(stdscr, TRUE);
    refresh();
}

int term_has_color(void) { return colors; }

void term_role(uint8_t role, attr_t *attr, short *pair)
{
    *pair = 0;
    *attr = A_NORMAL;
    if (role >= TR_PICTURE) {
        int r = role - TR_PICTURE;
        if (colors && picture_pairs) *pair = (short)(PAIR_PICTURE + r);
        if (r == ML_COLOR_TITLE) *attr = A_BOLD;
        else if (r == ML_COLOR_BAD) *attr = A_BOLD;
        return;
    }
    switch (role) {
    case TR_H1: *attr = A_BOLD | A_UNDERLINE; break;
    case TR_H2: *attr = A_BOLD; break;
    case TR_H3: *attr = A_BOLD; break;
    case TR_EM: *attr = A_UNDERLINE; break;
    case TR_STRONG: *attr = A_BOLD; break;
    case TR_CODE: *attr = colors ? A_NORMAL : A_DIM; break;
    case TR_CELLHDR: *attr = A_DIM; break;
    case TR_CELLSEL: *attr = A_BOLD; break;
    case TR_ERROR: *attr = A_BOLD; break;
    case TR_MUTED: *attr = A_DIM; break;
    case TR_LINK: *attr = A_UNDERLINE; break;
    case TR_RUNNING: *attr = A_BOLD | A_REVERSE; break;
    default: break;
    }
    if (colors && role < TR_NUI) *pair = (short)(PAIR_UI + role);
}
