/* mnistlab TUI: the one module that owns the terminal.
 *
 * term_start() sets ncurses up (cbreak, so that Ctrl-C stays a signal that
 * stops a running cell; keypad; no echo; colours by role unless NO_COLOR);
 * term_stop() restores the terminal, and so do exit() and the fatal signals
 * (SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL, SIGQUIT), which then take their
 * default action.  SIGHUP and SIGTERM are handled by tui.c, which keeps the
 * unsaved work in a recovery file, then calls term_stop() and ends with the
 * signal. */
#ifndef ML_TUI_TERM_H
#define ML_TUI_TERM_H

#include <curses.h>
#include <stdint.h>

int term_start(int color);
void term_stop(void);
/* Around a child program that uses the terminal ($EDITOR). */
void term_suspend(void);
void term_resume(void);
/* ncurses attributes and colour pair of a display role (doc.h). */
void term_role(uint8_t role, attr_t *attr, short *pair);
int term_has_color(void);

#endif
