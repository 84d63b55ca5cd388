/* Heatmaps: a matrix with row and column labels; the numbers themselves when
 * they fit (a confusion matrix reads at a glance), shading otherwise. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plot/draw.h"

static void lab(char *b, size_t n, const char *const *labels, int i)
{
    if (labels && labels[i]) snprintf(b, n, "%s", labels[i]);
    else snprintf(b, n, "%d", i);
}

/* The number shown in a cell: integers as such, others with 2 decimals when
 * every value lies in [-1, 1] (ratios, correlations), else 3 significant digits. */
static int cell_text(char *b, size_t n, double v, int all_int, int small)
{
    if (all_int) return snprintf(b, n, "%.0f", v);
    if (small) {
        if (v == 0) return snprintf(b, n, "0");
        return snprintf(b, n, "%.2f", v);
    }
    int k = ml_fmt_num(b, (int)n, v, 6);
    return k < 0 ? (int)strlen(b) : k;
}

ml_status ml_plot_heatmap(ml_text *out, const double *m, int rows, int cols, const char *const *row_labels,
                          const char *const *col_labels, const ml_plot_opts *opts)
{
    ml_plot_opts o;
    ml_plot_opts_resolve(&o, opts);
    if (!m || rows <= 0 || cols <= 0) return ml_fail(ML_EINVAL, "heatmap: empty matrix (%dx%d)", rows, cols);
    double lo = INFINITY, hi = -INFINITY;
    int all_int = 1, small = 1;
    for (int i = 0; i < rows * cols; i++) {
        double v = m[i];
        if (!isfinite(v))
            return ml_fail(ML_EINVAL, "heatmap: value at row %d, column %d is %s; values must be finite",
                           i / cols + 1, i % cols + 1, isnan(v) ? "NaN" : "inf");
        if (v < lo) lo = v;
        if (v > hi) hi = v;
        if (v != floor(v) || fabs(v) > 1e9) all_int = 0;
        if (fabs(v) > 1) small = 0;
    }
    if (!isnan(o.vmin)) lo = o.vmin;
    if (!isnan(o.vmax)) hi = o.vmax;
    int W = o.width > 0 ? o.width : 80;
    /* row label column: wide enough for the labels and the y label */
    int rl = 0;
    for (int i = 0; i < rows; i++) {
        char b[256];
        lab(b, sizeof b, row_labels, i);
        int w = ml_utf8_width(b);
        if (w > rl) rl = w;
    }
    int ylw = o.ylabel ? ml_utf8_width(o.ylabel) : 0;
    if (ylw > rl) rl = ylw;
    if (rl > W / 4) rl = W / 4;
    if (rl < 1) rl = 1;
    /* cell width: numbers and column labels */
    int numw = 0, clw = 0;
    for (int i = 0; i < rows * cols; i++) {
        char b[64];
        int w = cell_text(b, sizeof b, m[i], all_int, small);
        if (w > numw) numw = w;
    }
    for (int j = 0; j < cols; j++) {
        char b[256];
        lab(b, sizeof b, col_labels, j);
        int w = ml_utf8_width(b);
        if (w > clw) clw = w;
    }
    int avail = W - rl - 1;
    int numbers = o.values != 0 && (numw + 1) * cols <= avail;
    int cw;
    if (numbers) {
        cw = numw + 1;
        if (clw + 1 > cw && (clw + 1) * cols <= avail) cw = clw + 1;
        if (cw < 4 && 4 * cols <= avail) cw = 4; /* a little air */
    } else {
        cw = avail / cols;
        if (cw > 4) cw = 4;
        if (clw + 1 <= avail / cols && clw + 1 > cw) cw = clw + 1;
    }
    if (cw < 1) return ml_fail(ML_EINVAL, "heatmap: %d columns do not fit in %d cells", cols, W);
    int head = o.title && o.title[0];
    int xl = o.xlabel && o.xlabel[0];
    int scale = !numbers; /* a shade legend when the numbers are not shown */
    int need = head + xl + 1 + rows + scale;
    int H = o.height > 0 ? o.height : need;
    if (H < need) return ml_fail(ML_EINVAL, "heatmap: %d rows need a height of %d, the box has %d", rows, need, H);
    ml_cells c;
    if (ml_cells_init(&c, W, H)) return ML_ENOMEM;
    c.ascii = o.ascii;
    int y = 0, gx = rl + 1, gw = cw * cols;
    if (head) ml_cells_center(&c, 0, y++, W, o.title, ML_COLOR_TITLE);
    if (xl) ml_cells_center(&c, gx, y++, gw, o.xlabel, ML_COLOR_LABEL);
    /* header: y label, column labels (every k-th when they do not fit) */
    if (o.ylabel) {
        char b[256];
        int w = ml_fit(b, sizeof b, o.ylabel, rl, o.ascii);
        ml_cells_text(&c, 0, y, b, ML_COLOR_LABEL, w);
    }
    int every = 1;
    while (every < cols && (clw + 1) > cw * every) every++;
    for (int j = 0; j < cols; j += every) {
        char b[256], f[512];
        lab(b, sizeof b, col_labels, j);
        int w = ml_fit(f, sizeof f, b, cw * every - 1, o.ascii);
        int x = numbers ? gx + (j + 1) * cw - w : gx + j * cw + (cw - w) / 2;
        if (x < gx + j * cw) x = gx + j * cw;
        ml_cells_text(&c, x, y, f, ML_COLOR_LABEL, w);
    }
    y++;
    static const uint32_t shade_u[5] = {' ', 0x2591, 0x2592, 0x2593, 0x2588};
    static const char shade_a[] = " .:+#";
    for (int i = 0; i < rows; i++, y++) {
        char b[256], f[512];
        lab(b, sizeof b, row_labels, i);
        int w = ml_fit(f, sizeof f, b, rl, o.ascii);
        ml_cells_text(&c, rl - w, y, f, ML_COLOR_LABEL, w);
        for (int j = 0; j < cols; j++) {
            double v = m[(size_t)i * cols + j];
            /* halves: no overflow when the values span most of the doubles */
            double t = hi > lo ? (v * 0.5 - lo * 0.5) / (hi * 0.5 - lo * 0.5) : (v > lo ? 1 : 0.5);
            if (!(t >= 0)) t = 0;
            if (t > 1) t = 1;
            int x0 = gx + j * cw;
            if (numbers) {
                char nb[64];
                int nw = cell_text(nb, sizeof nb, v, all_int, small);
                if (v == 0) {
                    /* zeros recede: a dot */
                    ml_cells_set(&c, x0 + cw - 1, y, o.ascii ? '.' : 0x00B7, ML_COLOR_MUTED);
                } else {
                    uint8_t role = t >= 0.5 ? ML_COLOR_TITLE : ml_grey_role(0.25 + t);
                    ml_cells_text(&c, x0 + cw - nw, y, nb, role, nw);
                }
            } else {
                int k = (int)(t * 4.999);
                if (k == 0 && v > lo) k = 1;
                for (int q = 0; q < cw; q++)
                    ml_cells_set(&c, x0 + q, y, o.ascii ? (uint32_t)shade_a[k] : shade_u[k], ml_grey_role(t));
            }
        }
    }
    if (scale) {
        /* "░ low … █ high" */
        char a[64], b2[64], line[256];
        ml_fmt_num(a, sizeof a, lo, 8);
        ml_fmt_num(b2, sizeof b2, hi, 8);
        if (o.ascii) snprintf(line, sizeof line, "scale: . %s  : ... #  %s", a, b2);
        else snprintf(line, sizeof line, "scale: ░ %s  ▒ ▓ █ %s", a, b2);
        ml_cells_text(&c, gx, y, line, ML_COLOR_MUTED, W - gx);
    }
    ml_status st = ml_cells_emit(&c, out, o.color, o.ascii);
    ml_cells_free(&c);
    return st;
}
