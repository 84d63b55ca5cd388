/* Can the notebook view run here?  Asked before anything is drawn, so that
 * the program can run the notebook headless instead (cli/main.c).  Kept apart
 * from term.c: ncurses' <term.h> defines many short macro names. */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <term.h>
#include <unistd.h>

#include "tui/tui.h"

const char *tui_unavailable(const char **advice)
{
    static char why[200];
    const char *dummy;
    if (!advice) advice = &dummy;
    *advice = "run it from a terminal";
    if (!isatty(STDIN_FILENO)) return "standard input is not a terminal";
    if (!isatty(STDOUT_FILENO)) return "standard output is not a terminal";
    const char *t = getenv("TERM");
    *advice = "set TERM to your terminal's type, e.g. TERM=xterm-256color";
    if (!t || !*t) return "TERM is not set";
    if (strcmp(t, "dumb") == 0) return "TERM=dumb cannot show it";
    int err = 0;
    if (setupterm((char *)t, STDOUT_FILENO, &err) != OK) {
        snprintf(why, sizeof why, "TERM=%.100s is %s", t,
                 err == 1 ? "a hard-copy terminal" : err == 0 ? "not in the terminfo database" : "unknown (no terminfo database)");
        return why;
    }
    const char *cup = tigetstr("cup");
    int ok = cup && cup != (char *)-1;
    del_curterm(cur_term);
    if (!ok) {
        snprintf(why, sizeof why, "TERM=%.100s cannot move the cursor", t);
        return why;
    }
    return NULL;
}
