/* mnistlab Lua bindings: helpers shared by every binding file.
 *
 * One luaopen_mnistlab (lmnistlab.c) registers each area: tensors
 * (ltensor.c), data (ldata.c), and the later model, nn and plot areas.
 * Conventions: options come as a table read by mlua_opt_*() helpers that name
 * the option in any error; C errors become Lua errors carrying the library's
 * message, raised only after C temporaries are freed. */
#ifndef ML_LUA_MLUA_H
#define ML_LUA_MLUA_H

#include <lauxlib.h>
#include <lua.h>

#include "core/progress.h"
#include "core/tensor.h"

#define MLUA_TENSOR "mnistlab.Tensor"

/* ---- tensors ---- */
/* Push a tensor, taking ownership (freed if the push fails).  `fresh` says
 * the storage is new, so its size is reported to the collector. */
void mlua_push_tensor(lua_State *L, ml_tensor *t, int fresh);
ml_tensor *mlua_check_tensor(lua_State *L, int idx);
ml_tensor *mlua_to_tensor(lua_State *L, int idx); /* NULL if not a tensor */
/* A tensor argument, or a (nested) Lua array of numbers, which is converted
 * and replaced on the stack by the new tensor (so the collector owns it). */
ml_tensor *mlua_check_tensor_like(lua_State *L, int idx);

/* ---- memory cap ---- */
/* A Lua state whose allocations, tensors included, stay under `cap` bytes
 * (0: no cap).  Past it, Lua raises "not enough memory" in the cell that asked
 * and everything else stays.  States made by luaL_newstate (stock lua5.4)
 * have no cap and the functions below do nothing for them. */
lua_State *mlua_newstate(size_t cap);
/* Closes a state from mlua_newstate (or luaL_newstate) and frees its accounting. */
void mlua_close(lua_State *L);
/* Half of physical memory: the program's default cap. */
size_t mlua_default_mem_cap(void);
size_t mlua_mem_cap(lua_State *L);      /* 0 when uncapped */
size_t mlua_mem_used(lua_State *L);     /* Lua's memory plus tensors */
void mlua_set_mem_cap(lua_State *L, size_t cap);
/* Tensor storage accounting (ltensor.c): 0 if `bytes` would pass the cap
 * even after a full collection. */
int mlua_mem_charge(lua_State *L, size_t bytes);
void mlua_mem_uncharge(lua_State *L, size_t bytes);

/* ---- errors ---- */
/* Raise the library's last error as a Lua error (never returns). */
int mlua_fail(lua_State *L);

/* ---- options (t is the stack index of the option table, or 0/none) ---- */
void mlua_check_opts(lua_State *L, int t, const char *fname, const char *const *known);
double mlua_opt_number(lua_State *L, int t, const char *key, double def);
lua_Integer mlua_opt_integer(lua_State *L, int t, const char *key, lua_Integer def);
int mlua_opt_bool(lua_State *L, int t, const char *key, int def);
const char *mlua_opt_string(lua_State *L, int t, const char *key, const char *def);
/* Pushes the field (any type) and returns its type. */
int mlua_opt_field(lua_State *L, int t, const char *key);

/* ---- where pictures and output go ---- */
/* The host (the notebook runner, the TUI) registers a sink: pictures then
 * land in the running cell's output.  From stock lua5.4 there is none and
 * pictures are written to stdout (ANSI colours when it is a terminal and
 * NO_COLOR is unset). */
struct ml_text;
typedef struct mlua_sink {
    void (*show)(void *ud, const struct ml_text *t); /* a picture */
    void *ud;
    int width;   /* cells available for a picture (0: $COLUMNS or 80) */
    int height;  /* rows available (0: $LINES or 24) */
    int ascii;   /* plain ASCII only: no UTF-8 glyphs */
    int color;   /* colours allowed */
    /* Optional: replace the picture shown earlier in the running cell under
     * the same key (a chart that grows while work runs, e.g. a training curve
     * after each epoch), or add it if there is none.  NULL: show() is used. */
    void (*replace)(void *ud, const char *key, const struct ml_text *t);
} mlua_sink;
void mlua_set_sink(lua_State *L, const mlua_sink *s); /* s must outlive the state; NULL removes */
/* The sink in force, or a default built from the environment (never NULL). */
const mlua_sink *mlua_get_sink(lua_State *L);
/* Shows a picture through the sink, else on stdout. */
void mlua_show(lua_State *L, const struct ml_text *t);
/* Shows a picture that replaces the one shown before under the same key in
 * the running cell (redrawn in place in the TUI).  Without a sink that can
 * replace, it is shown like any picture. */
void mlua_show_keyed(lua_State *L, const char *key, const struct ml_text *t);
/* Is the value at idx a Chart that has been shown already?  (A prompt that
 * prints an expression's values skips it: the picture is on screen once.) */
int mlua_is_shown_chart(lua_State *L, int idx);

/* ---- a line redrawn in place on the terminal (fit's Keras-like progress) ----
 * A host whose output reaches a terminal as it is written registers one;
 * inside the program without it (a report, a pipe, the TUI's pane) there is
 * none.  From stock lua5.4 (no host) there is a default when stdout is a
 * terminal: drawn on stdout, direct. */
typedef struct mlua_tty {
    /* Draws `line` (no line end) over the previous one; NULL clears it.  Until
     * it is cleared, a host that draws its own progress line keeps quiet. */
    void (*line)(void *ud, const char *line);
    void *ud;
    /* 1: print writes straight to this terminal (a script, the prompt);
     * 0: into a cell's output, shown on it as it grows (mnistlab run). */
    int direct;
    int width; /* its columns (0: ask stdout, else $COLUMNS, else 80) */
} mlua_tty;
void mlua_set_tty(lua_State *L, const mlua_tty *t); /* t must outlive the state; NULL removes */
const mlua_tty *mlua_get_tty(lua_State *L);          /* NULL: no terminal line */

/* ---- long work: progress and Ctrl-C ---- */
/* The host (the mnistlab program) registers its progress sink; from stock
 * lua5.4 there is none.  p must outlive the state. */
void mlua_set_progress(lua_State *L, const ml_progress *p);
const ml_progress *mlua_progress(lua_State *L);

/* Around a long C call: from stock lua5.4, Ctrl-C is caught and reaches the C
 * loop through the library's interrupt flag; inside the program, its own
 * handler does the same. */
typedef struct mlua_guard {
    int installed;
    void *old; /* struct sigaction */
} mlua_guard;
void mlua_guard_begin(lua_State *L, mlua_guard *g);
void mlua_guard_end(mlua_guard *g);

/* Area registration, called by luaopen_mnistlab with the module table on top. */
void mlua_open_tensor(lua_State *L);
void mlua_open_data(lua_State *L);
void mlua_open_results(lua_State *L);
void mlua_open_estimators(lua_State *L);

/* ---- estimators (lestimator.c) ---- */
struct ml_estimator;
struct ml_value;
#define MLUA_ESTIMATOR "mnistlab.Estimator"
void mlua_push_estimator(lua_State *L, struct ml_estimator *e); /* takes ownership */
struct ml_estimator *mlua_check_estimator(lua_State *L, int idx);
struct ml_estimator *mlua_to_estimator(lua_State *L, int idx);   /* NULL if not one */
/* Lua value <-> ml_value (numbers, strings, booleans, nil, tensors). */
int mlua_to_value(lua_State *L, int idx, struct ml_value *v);    /* 0 if unsupported type */
void mlua_push_value(lua_State *L, struct ml_value *v);          /* a tensor is handed to Lua */
/* Raise for a failed status; ML_ECANCELLED becomes "interrupted: ..." and the
 * interrupt flag is cleared. */
int mlua_fail_status(lua_State *L, int status);
/* Defined by later areas, each in its own file (lplot.c, lunsupervised.c,
 * lsupervised.c, lnn.c); weak so that the module builds without them. */
void mlua_open_plot(lua_State *L) __attribute__((weak));
void mlua_open_unsupervised(lua_State *L) __attribute__((weak));
void mlua_open_supervised(lua_State *L) __attribute__((weak));
void mlua_open_nn(lua_State *L) __attribute__((weak));
void mlua_open_extra(lua_State *L) __attribute__((weak));

#endif
