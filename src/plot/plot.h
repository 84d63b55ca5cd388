/* mnistlab plot: charts drawn as text (ml_text: lines of UTF-8 + colour roles).
 *
 * Every chart function appends exactly opts->height lines of exactly
 * opts->width cells to `out` (pictures with a natural size, such as images,
 * tables and horizontal bars, use it when width/height are 0).  Nothing here
 * does terminal I/O: write the result with ml_text_write, or as SVG with
 * ml_text_write_svg.  On bad input (empty or mismatched data, NaN/inf where a
 * value is needed, a box too small to draw) a function returns ML_EINVAL with
 * a message naming the chart and the problem, and appends nothing. */
#ifndef ML_PLOT_PLOT_H
#define ML_PLOT_PLOT_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "plot/text.h"

/* How lines and points are drawn. */
typedef enum ml_canvas_mode {
    ML_CANVAS_AUTO = 0, /* braille, or ASCII when opts.ascii */
    ML_CANVAS_BRAILLE,  /* 2x4 dots per cell (U+2800..) */
    ML_CANVAS_HALF,     /* 1x2 pixels per cell (half blocks) */
    ML_CANVAS_ASCII     /* 1x1: plain characters */
} ml_canvas_mode;

typedef struct ml_plot_opts {
    int width, height;     /* the box in cells; 0 = default (80 wide; natural height) */
    int ascii;             /* 1: plain ASCII glyphs only */
    int color;             /* 1: colour roles; 0: every cell uses the default role */
    ml_canvas_mode canvas; /* lines, scatter */
    const char *title, *xlabel, *ylabel;
    double xmin, xmax, ymin, ymax; /* axis limits; NaN = from the data */
    int logy;              /* log10 y axis (values must be > 0) */
    int xinteger;          /* x ticks on integers only (epochs, component indices) */
    int legend;            /* -1 auto (when there are several named series), 0 off, 1 on */
    int values;            /* bars: value labels; -1 auto (on) */
    int horizontal;        /* bars: -1 auto (horizontal when labels do not fit), 0, 1 */
    int cols;              /* image grids: images per row (0 = 5) */
    double vmin, vmax;     /* images and heatmaps: value range; NaN = data range ([0,1] for images in it) */
    int markers;           /* lines: draw a marker at each data point (-1 auto: when points are sparse) */
} ml_plot_opts;

/* Defaults: 0 width/height, UTF-8, colour on, auto canvas, NaN limits, autos -1. */
void ml_plot_opts_init(ml_plot_opts *o);

/* ---- images ---- */
/* One image (rows x cols, row-major floats, e.g. a 28x28 digit).  Natural
 * size: one cell per pixel column, one row per two pixel rows (half blocks),
 * shrunk to fit opts->width; with a title, one more line above.  Grey ramp:
 * half blocks and shades with grey colour roles; ASCII " .:-=+*#%@".  Signed
 * data (weights, PCA components) without vmin/vmax: a diverging picture,
 * shade = distance from 0, orange for positive and blue for negative (without
 * colour: blocks for positive, · - = for negative; ASCII . + # and , - =). */
ml_status ml_plot_image(ml_text *out, const float *px, int rows, int cols, const ml_plot_opts *o);
/* n images of rows x cols each (contiguous), in a grid of o->cols columns,
 * each with its title (titles may be NULL, or hold NULL entries). */
ml_status ml_plot_images(ml_text *out, const float *px, int n, int rows, int cols, const char *const *titles,
                         const ml_plot_opts *o);

/* ---- bars ---- */
/* n groups of nseries bars: v is n x nseries, row-major.  labels (n, may be
 * NULL: "0".."n-1"), series (nseries names for the legend, may be NULL).
 * Vertical bars with value labels above them (a y axis with round ticks when
 * the labels do not fit, or opts->values == 0); horizontal when asked or when
 * the category labels would not fit under vertical bars (natural height: one
 * row per bar).  Series are told apart by colour, or by their fill (█ ▓ ▒ ░,
 * ASCII # = + %) without colour.  Values must be finite and >= 0: bars start
 * at 0. */
ml_status ml_plot_bar(ml_text *out, const double *v, int n, int nseries, const char *const *labels,
                      const char *const *series, const ml_plot_opts *o);

/* ---- x-y charts ---- */
typedef struct ml_series {
    const char *name; /* legend entry (NULL or "": none) */
    const double *x;  /* NULL: 1, 2, ..., n (epochs, component indices: integer ticks) */
    const double *y;
    int n;
} ml_series;
/* Lines through each series' points, one colour (and marker) per series;
 * markers at the data points when they are sparse or when colour is off;
 * legend when several series have names. */
ml_status ml_plot_line(ml_text *out, const ml_series *s, int ns, const ml_plot_opts *o);
/* n points (x[i*xstride], y[i*ystride]).  cls: the class of each point
 * (integers 0..nclass-1, nclass <= 16; NULL: one class), shown by colour, or
 * by the marker 0-9a-f when colour is off or in ASCII; class_names label the
 * legend (NULL: the class numbers).  Each cell takes the class that has most
 * points in it. */
ml_status ml_plot_scatter(ml_text *out, const float *x, int64_t xstride, const float *y, int64_t ystride,
                          int64_t n, const float *cls, int nclass, const char *const *class_names,
                          const ml_plot_opts *o);
/* Histogram of n values in `bins` equal bins (0: Sturges' rule). */
ml_status ml_plot_hist(ml_text *out, const double *v, int64_t n, int bins, const ml_plot_opts *o);

/* ---- matrices and tables ---- */
/* rows x cols values (row-major) with row and column labels (NULL: 0..).
 * Each value is written in its cell when all fit (integers as integers;
 * zeros as a dim dot; brighter for larger values), else cells are shaded
 * (░▒▓█, ASCII .:+#) with a scale line.  xlabel names the columns (e.g.
 * "predicted"), ylabel the rows ("true").  Natural height: title + xlabel +
 * header + rows (+ scale). */
ml_status ml_plot_heatmap(ml_text *out, const double *m, int rows, int cols, const char *const *row_labels,
                          const char *const *col_labels, const ml_plot_opts *o);
/* nrows x ncols cells (row-major strings, NULL = empty); header (ncols, may be
 * NULL); align: one letter per column, 'l', 'r' or 'c' (NULL: numbers right,
 * text left).  Column widths from the content; rules in box drawing (ASCII
 * + - |).  Natural width unless opts->width; a table wider than its box
 * narrows its text columns, first down to their longest word, and wraps their
 * text onto more lines (rules then separate the rows); numbers are never cut.
 * Natural height: title + rules + header + rows. */
ml_status ml_plot_table(ml_text *out, const char *const *cells, int nrows, int ncols, const char *const *header,
                        const char *align, const ml_plot_opts *o);
/* 1 when s reads as a number ("0.95", "-3", "1e-4", "97.5%"). */
int ml_is_number_text(const char *s);

/* ---- progress and training lines (text for the TUI status line or a terminal) ---- */
/* "stage  45% ████████▌░░░░░ 1234/5000  820/s  ETA 0:05", exactly `width`
 * cells (<= 0: natural); parts are dropped (rate, ETA, bar) when narrow.
 * total <= 0: unknown ("stage 1234  820/s  0:03").  Returns the width. */
int ml_format_progress(char *buf, size_t n, int width, const char *stage, int64_t done, int64_t total,
                       double elapsed, int ascii);
/* Keras-like: "Epoch  3/10 - 3.2s 2ms/step - loss: 0.2960 - accuracy: 0.9155
 * - val_loss: 0.1654 - val_accuracy: 0.9518" (steps <= 0: no per-step time).
 * In a narrow width, "accuracy" becomes "acc", then the timing goes.  Values
 * always keep 4 decimals.  Returns the width in cells. */
int ml_format_epoch(char *buf, size_t n, int width, int epoch, int epochs, int64_t steps, double seconds,
                    const char *const *names, const double *values, int nvalues, int ascii);
/* Keras's per-batch line.  While the epoch runs (done < total):
 * " 700/1400 [==============>...............] - ETA: 1s - loss: 0.4123 - accuracy: 0.8512"
 * (seconds: the time so far, for the ETA); once done == total:
 * "1400/1400 [==============================] - 3.2s 2ms/step - loss: ... - val_accuracy: ..."
 * (seconds: the epoch's).  The count is padded to the width of total, the
 * bar is ASCII.  Fits `width` (<= 0: natural): the bar narrows (to 10
 * columns), "accuracy" becomes "acc", the per-step time goes, then the bar,
 * then the values.  Returns the width in cells. */
int ml_format_steps(char *buf, size_t n, int width, int64_t done, int64_t total, double seconds,
                    const char *const *names, const double *values, int nvalues, int ascii);
/* A progress line driven by the core's progress hook: call ml_pbar_update
 * from the ml_progress callback; it returns 1 when p->line was redrawn (at
 * most every 0.1 s, and always at the end), 0 otherwise.  A new stage name
 * restarts the clock. */
typedef struct ml_pbar {
    int width, ascii;
    double t0, last_draw;
    char stage[96];
    char line[1024];
} ml_pbar;
void ml_pbar_start(ml_pbar *p, int width, int ascii);
int ml_pbar_update(ml_pbar *p, const char *stage, int64_t done, int64_t total);

/* ---- composition ---- */
/* a and b side by side with `gap` spaces between (appended to out). */
ml_status ml_text_hcat(ml_text *out, const ml_text *a, const ml_text *b, int gap);
/* Training curves: an accuracy chart and a loss chart, train vs validation
 * (any array may be NULL), x = epochs 1..n.  Side by side when the width is
 * >= 120, else stacked with a blank line between; the pair fills width x
 * height (default 80 x 34, or 18 side by side). */
ml_status ml_plot_history(ml_text *out, const double *loss, const double *acc, const double *val_loss,
                          const double *val_acc, int n, const ml_plot_opts *o);

/* ---- output ---- */
/* The chart as an SVG document, written atomically: a dark page with the
 * cells' colours of the 256-colour palette; blocks, partial blocks, shades and
 * braille dots become rectangles (crisp at any zoom), other glyphs text in a
 * monospace font. */
ml_status ml_text_write_svg(const ml_text *t, const char *path);
/* Plain text of the whole picture, lines joined by '\n' (malloc'd). */
char *ml_text_plain(const ml_text *t);

#endif
