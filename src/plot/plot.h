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
 * half blocks and shades with grey colour roles; ASCII " .:-=+*#%@". */
ml_status ml_plot_image(ml_text *out, const float *px, int rows, int cols, const ml_plot_opts *o);
/* n images of rows x cols each (contiguous), in a grid of o->cols columns,
 * each with its title (titles may be NULL, or hold NULL entries). */
ml_status ml_plot_images(ml_text *out, const float *px, int n, int rows, int cols, const char *const *titles,
                         const ml_plot_opts *o);

/* ---- bars ---- */
/* n groups of nseries bars: v is n x nseries, row-major.  labels (n, may be
 * NULL: "0".."n-1"), series (nseries names for the legend, may be NULL).
 * Vertical bars with value labels above them; horizontal when asked or when
 * the labels would not fit under vertical bars.  Values must be finite and
 * >= 0 unless some are negative, in which case bars grow from 0 both ways
 * (horizontal only). */
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

/* ---- output ---- */
/* The chart as an SVG document (monospace cells, colours of the 256-colour
 * palette), written atomically. */
ml_status ml_text_write_svg(const ml_text *t, const char *path);
/* Plain text of the whole picture, lines joined by '\n' (malloc'd). */
char *ml_text_plain(const ml_text *t);

#endif
