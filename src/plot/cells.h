/* mnistlab plot, internal: a rectangle of cells (code point + colour role)
 * that every chart draws into before it becomes ml_text, plus the small
 * text helpers charts share (UTF-8, fitting strings, number formats).
 * Not part of the public API: include plot/plot.h. */
#ifndef ML_PLOT_CELLS_H
#define ML_PLOT_CELLS_H

#include <stdint.h>

#include "plot/plot.h"
#include "plot/text.h"

typedef struct ml_cells {
    int w, h;
    uint32_t *ch;   /* w*h code points */
    uint8_t *col;   /* w*h colour roles */
    int ascii;      /* text helpers end cut strings with '~' instead of U+2026 */
} ml_cells;

ml_status ml_cells_init(ml_cells *c, int w, int h); /* all blanks, default colour */
void ml_cells_free(ml_cells *c);
/* Out-of-range positions are ignored. */
void ml_cells_set(ml_cells *c, int x, int y, uint32_t cp, uint8_t col);
uint32_t ml_cells_get(const ml_cells *c, int x, int y);
/* Writes UTF-8 text at (x, y), at most maxw cells (maxw < 0: to the edge).
 * Returns the number of cells written. */
int ml_cells_text(ml_cells *c, int x, int y, const char *s, uint8_t col, int maxw);
/* Text centred in [x, x + w). */
void ml_cells_center(ml_cells *c, int x, int y, int w, const char *s, uint8_t col);
/* Appends the rows to out.  color == 0: every role becomes the default;
 * ascii: any non-ASCII code point left is written as '?' (a safety net). */
ml_status ml_cells_emit(const ml_cells *c, ml_text *out, int color, int ascii);

/* ---- text helpers ---- */
/* Display width (code points) of a UTF-8 string. */
int ml_utf8_width(const char *s);
/* Encodes cp; returns bytes written (buf holds >= 4). */
int ml_utf8_put(char *buf, uint32_t cp);
/* Decodes one code point at *s, advancing it; invalid bytes give U+FFFD. */
uint32_t ml_utf8_next(const char **s);
/* Copies s into buf so that it takes at most w cells; too long strings end
 * with an ellipsis ("…", or "~" in ASCII).  Returns the width written. */
int ml_fit(char *buf, int bufsize, const char *s, int w, int ascii);

/* A number in at most w cells, never cut: tries the plain form (integers
 * without decimals, else up to 4 significant digits), then fewer digits, then
 * k/M/G/T suffixes, then scientific.  Returns the width, or -1 if it cannot
 * fit (buf then holds the shortest form). */
int ml_fmt_num(char *buf, int bufsize, double v, int w);
/* Like ml_fmt_num for a tick: `step` is the tick spacing, so ticks 0, 0.25, 0.5
 * get the decimals that tell them apart. */
int ml_fmt_tick(char *buf, int bufsize, double v, double step, int w);

/* Options with defaults applied (NULL gives all defaults). */
void ml_plot_opts_resolve(ml_plot_opts *dst, const ml_plot_opts *src);

#endif
