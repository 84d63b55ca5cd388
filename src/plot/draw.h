/* mnistlab plot, internal: drawing pieces shared by several charts. */
#ifndef ML_PLOT_DRAW_H
#define ML_PLOT_DRAW_H

#include "plot/cells.h"

/* Grey colour role for an intensity in [0, 1]. */
uint8_t ml_grey_role(double v);
/* An image scaled into cw x ch cells at (x0, y0), values mapped from [lo, hi]. */
void ml_draw_image(ml_cells *c, int x0, int y0, int cw, int ch, const float *px, int rows, int cols, double lo,
                   double hi, int ascii);
/* diverging: signed data, intensity from |v| / max(|lo|, |hi|); 2: orange
 * for positive and blue for negative cells; 1 (no colour): negative cells
 * drawn with · - = (ASCII , - =) and positive ones with blocks (. + #). */
void ml_draw_image_ex(ml_cells *c, int x0, int y0, int cw, int ch, const float *px, int rows, int cols, double lo,
                      double hi, int ascii, int diverging);

/* ---- axes ---- */
typedef struct ml_axis {
    double lo, hi; /* limits, data units */
    int log;       /* positions on log10 */
    int n;         /* ticks */
    double t[32];
    double step;   /* tick spacing (linear axes) */
} ml_axis;
/* Round ticks (1, 2, 2.5, 5 x 10^k; powers of ten on log axes) for [lo, hi],
 * at most maxticks of them; expand widens the limits to the outer ticks. */
ml_status ml_axis_init(ml_axis *a, double lo, double hi, int maxticks, int integer, int logscale, int expand,
                       const char *who);
double ml_axis_pos(const ml_axis *a, double v); /* 0 at lo, 1 at hi */
int ml_axis_label(const ml_axis *a, int i, char *buf, int n, int w);

/* The frame of an x-y chart: title, y label, plot area, axes, ticks, x label, legend rows. */
typedef struct ml_frame {
    int W, H;
    int px0, py0, pw, ph; /* plot area, cells */
    int sx, sy;           /* canvas pixels per cell */
    int margin, axis_y;
    int title_y, ylabel_y, xlabel_y, legend_y; /* -1 when absent */
    ml_axis xa, ya;
} ml_frame;
ml_status ml_frame_layout(ml_frame *f, const ml_plot_opts *o, double xlo, double xhi, double ylo, double yhi,
                          int xinteger, int legend_rows, const char *who);
void ml_frame_draw(ml_cells *c, const ml_frame *f, const ml_plot_opts *o);
/* Cell column/row (relative to the plot area) of an axis position in [0, 1]. */
int ml_frame_xcell(const ml_frame *f, double pos, int sx);
int ml_frame_ycell(const ml_frame *f, double pos, int sy);
/* A legend centred in [0, w): glyph, name, three spaces, ...; on as many
 * rows as it needs (ml_legend_rows), each centred. */
int ml_legend_rows(const char *const *names, int n, int w);
void ml_draw_legend(ml_cells *c, int y, int w, const char *const *names, const uint32_t *glyphs,
                    const uint8_t *roles, int n);

/* ---- canvases: pixels in cells ---- */
typedef struct ml_canvas {
    int cw, ch, sx, sy;
    ml_canvas_mode mode;
    int nclass;
    uint8_t *mask;    /* cw*ch: braille dots / half blocks / 1 */
    uint8_t *glyph;   /* ASCII mode: the character of each cell */
    uint32_t *votes;  /* cw*ch*nclass: pixels of each class in the cell */
} ml_canvas;
ml_status ml_canvas_init(ml_canvas *cv, int cw, int ch, ml_canvas_mode mode, int nclass);
void ml_canvas_free(ml_canvas *cv);
/* Pixel coordinates: x right from 0 to cw*sx-1, y down from 0 to ch*sy-1. */
void ml_canvas_dot(ml_canvas *cv, int px, int py, int cls);
void ml_canvas_line(ml_canvas *cv, double x0, double y0, double x1, double y1, int cls);
/* Draws the canvas at (x0, y0): each cell takes the colour role of the class
 * with most pixels there; with markers, that class's marker instead of dots. */
void ml_canvas_render(const ml_canvas *cv, ml_cells *c, int x0, int y0, const uint8_t *roles,
                      const uint32_t *markers);

#endif
