/* mnistlab TUI: the notebook in a terminal (ncursesw). */
#ifndef ML_TUI_TUI_H
#define ML_TUI_TUI_H

typedef struct tui_opts {
    int ascii; /* plain ASCII glyphs only */
    int color; /* colours allowed (NO_COLOR unset, no --no-color) */
    int builtin; /* the built-in lab: saving asks for a copy's name instead of overwriting it */
} tui_opts;

/* NULL when the notebook view can run here; else why not (standard input or
 * output is not a terminal, TERM unset, dumb or unknown, a terminal that
 * cannot move its cursor), and in *advice (if not NULL) how to get it. */
const char *tui_unavailable(const char **advice);

/* Opens the notebook at `path` and runs until the user quits.  Returns the
 * program's exit status (0, or 1 if the notebook cannot be opened). */
int tui_main(const char *path, const tui_opts *o);

#endif
