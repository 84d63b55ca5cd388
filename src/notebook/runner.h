/* mnistlab notebooks: running cells in one Lua state.
 *
 * The runner owns one lua_State with the mnistlab module preloaded (also as
 * the global `ml`).  While a cell runs, print, io.write to stdout and every
 * picture (mlua_show) land in the cell's output, a list of rich items; the
 * report keeps their plain text, the TUI draws them with colours.  Ctrl-C
 * (SIGINT) stops the running cell, in Lua code through a count hook and in C
 * loops through ml_progress_update; the state stays usable.  The headless
 * runner and the TUI share this code.
 *
 * A cell's output is kept up to a size cap (NB_OUTPUT_LIMIT_DEFAULT, or
 * MNISTLAB_OUTPUT_LIMIT megabytes): past it, the beginning and the last part
 * are kept and a note between them says which lines were cut. */
#ifndef ML_NOTEBOOK_RUNNER_H
#define ML_NOTEBOOK_RUNNER_H

#include <lua.h>
#include <stddef.h>
#include <stdint.h>

#include "notebook/notebook.h"
#include "plot/text.h"

/* ---- a cell's output ---- */
/* NOTE: a line from mnistlab itself about the output (what was cut, a
 * collector restarted), shown muted. */
typedef enum nb_item_kind { NB_ITEM_TEXT = 0, NB_ITEM_PICTURE = 1, NB_ITEM_ERROR = 2, NB_ITEM_NOTE = 3 } nb_item_kind;

typedef struct nb_item {
    nb_item_kind kind;
    char *key; /* PICTURE shown under a key (mlua_show_keyed), or NULL */
    char *text; /* TEXT and ERROR: UTF-8 */
    size_t len, cap;
    ml_text pic; /* PICTURE */
} nb_item;

typedef struct nb_output {
    nb_item *items;
    int n, cap;
    /* The size cap, in bytes of plain text (0: none; the runner sets it).
     * Below it everything is kept.  Past it, text and pictures (as plain
     * text) go to `tail`, a ring holding the last tail_cap bytes, and
     * nb_output_finish() adds a note saying which lines were cut, then the
     * tail. */
    size_t limit;
    size_t kept;            /* plain-text bytes held in items */
    long long newlines;     /* '\n' seen in everything written */
    int midline;            /* the last byte written does not end a line */
    int cut;                /* past the cap */
    long long head_newlines; /* '\n' kept before the cut */
    int head_midline;       /* the cut starts in the middle of a line */
    char *tail;
    size_t tail_cap, tail_pos; /* ring: next write at tail_pos */
    unsigned long long tail_total; /* bytes that went to the ring */
} nb_output;

/* Default cap of one cell's output: 32 MB. */
#define NB_OUTPUT_LIMIT_DEFAULT ((size_t)32 << 20)

void nb_output_init(nb_output *o);
void nb_output_free(nb_output *o);
void nb_output_text(nb_output *o, const char *s, size_t n);
void nb_output_error(nb_output *o, const char *s);
void nb_output_note(nb_output *o, const char *s);
/* After the cell: the note about a cut and the kept tail (does nothing if
 * nothing was cut; may be called again). */
void nb_output_finish(nb_output *o);
void nb_output_picture(nb_output *o, const ml_text *t);
/* Replace the picture shown under `key`, or add it.  Keys beginning with
 * "live:" are transient: nb_output_drop_live() removes them when the cell
 * ends (a training curve that grows while fit runs). */
void nb_output_picture_keyed(nb_output *o, const char *key, const ml_text *t);
void nb_output_drop_live(nb_output *o);
/* Plain text of every item, each picture line ending with '\n'; the result
 * ends with '\n' unless empty.  malloc'ed; NULL only when out of memory. */
char *nb_output_plain(const nb_output *o, size_t *n);

/* ---- the runner ---- */
typedef struct nb_host {
    /* Long C work reports progress (may be NULL). */
    void (*progress)(void *ud, const char *stage, int64_t done, int64_t total);
    /* Called often while a cell runs (from the Lua count hook and progress):
     * read the keyboard, redraw.  May be NULL. */
    void (*poll)(void *ud);
    /* The running cell's output grew (may be NULL). */
    void (*changed)(void *ud);
    /* Without a cell output (a script, the prompt), about to write to stdout:
     * a host that draws a progress line on the terminal clears it.  May be NULL. */
    void (*before_write)(void *ud);
    void *ud;
} nb_host;

typedef enum nb_run_status { NB_RUN_OK = 0, NB_RUN_ERROR = 1, NB_RUN_INTERRUPTED = 2 } nb_run_status;

typedef struct nb_runner nb_runner;

/* NULL (with a message in ml_last_error) if Lua cannot start. */
nb_runner *nb_runner_new(const nb_host *host);
void nb_runner_free(nb_runner *r);
lua_State *nb_runner_lua(nb_runner *r);
/* Size and mode of pictures (width/height in cells). */
void nb_runner_set_view(nb_runner *r, int width, int height, int ascii, int color);

/* Notebook cells must neither end nor hang the program: os.exit, reading
 * standard input, and debug.sethook (which would remove the hook that stops
 * cells) raise an error in the cell instead; load, loadfile and dofile take
 * source text only (malformed bytecode can crash Lua); a collector stopped
 * by a cell is restarted when it ends, with a note in its output.  `exit_hint`
 * ends the os.exit message (e.g. "q quits"; NULL: the cells after it still
 * run).  Scripts and the prompt keep stock Lua's behaviour. */
void nb_runner_protect(nb_runner *r, const char *exit_hint);

/* Async-signal-safe: stop the running cell as soon as possible (between two
 * Lua instructions, or at the next progress update of a C loop), and every
 * cell started later, until nb_runner_stop_clear().  `sig` (SIGHUP, SIGTERM)
 * is named in the cell's message.  For a program that must go away cleanly. */
void nb_runner_stop_all(int sig);
void nb_runner_stop_clear(void);
/* The signal passed to nb_runner_stop_all, or 0. */
int nb_runner_stopping(void);
/* Ctrl-C seen while the current chunk runs: the first stops it with an
 * error that code may catch; from the second on, nothing can catch it. */
int nb_runner_sigints(void);

/* Run a chunk.  `name` names it in messages ("cell 3").  Output goes to
 * `out`, or to stdout when out is NULL.  With `values`, the results of an
 * expression are printed (the interactive prompt). */
nb_run_status nb_runner_run(nb_runner *r, const char *code, size_t n, const char *name, nb_output *out,
                            int values);

/* Run cell `block` of nb, and store its output in the notebook (replacing
 * the old one; an empty output removes it).  `out` (may be NULL) receives
 * the rich output. */
nb_run_status nb_run_cell(nb_runner *r, notebook *nb, int block, nb_output *out);

/* Number of the cell (1-based) at block index b. */
int nb_cell_number(const notebook *nb, int b);

#endif
