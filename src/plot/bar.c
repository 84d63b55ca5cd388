/* Bar charts: vertical and horizontal, grouped, with value labels. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plot/cells.h"
#include "plot/draw.h"

/* Full-cell fill of series k: colour tells series apart; without colour the
 * fill does (solid, dark, medium, light shade; ASCII # = + %). */
static uint32_t series_fill(int k, int color, int ascii)
{
    static const uint32_t u[] = {0x2588, 0x2593, 0x2592, 0x2591};
    static const char a[] = "#=+%*o";
    if (ascii) return (uint32_t)a[color ? 0 : k % 6];
    return color ? 0x2588 : u[k % 4];
}

static uint8_t series_role(int k) { return (uint8_t)(ML_COLOR_SERIES + (k % 16)); }

static void label_of(char *buf, size_t n, const char *const *labels, int i)
{
    if (labels && labels[i]) snprintf(buf, n, "%s", labels[i]);
    else snprintf(buf, n, "%d", i);
}

/* The legend line: "█ train  █ test" centred in [x, x + w). */
static void draw_legend(ml_cells *c, int x, int y, int w, const char *const *names, int nseries, int color,
                        int ascii)
{
    int total = 0;
    for (int k = 0; k < nseries; k++) total += 2 + ml_utf8_width(names[k] ? names[k] : "") + (k ? 3 : 0);
    int px = x + (total < w ? (w - total) / 2 : 0);
    for (int k = 0; k < nseries; k++) {
        if (k) px += 3;
        ml_cells_set(c, px, y, series_fill(k, color, ascii), series_role(k));
        px += 2;
        px += ml_cells_text(c, px, y, names[k] ? names[k] : "", ML_COLOR_LABEL, x + w - px);
    }
}

static ml_status check_values(const double *v, int n, int nseries, const char *const *labels, double *vmax)
{
    if (n <= 0 || nseries <= 0 || !v) return ml_fail(ML_EINVAL, "bar: no values to draw");
    *vmax = 0;
    for (int i = 0; i < n; i++)
        for (int k = 0; k < nseries; k++) {
            double x = v[(size_t)i * nseries + k];
            char lb[64];
            label_of(lb, sizeof lb, labels, i);
            if (!isfinite(x))
                return ml_fail(ML_EINVAL, "bar: value of '%s' is %s; values must be finite", lb,
                               isnan(x) ? "NaN" : x > 0 ? "inf" : "-inf");
            if (x < 0)
                return ml_fail(ML_EINVAL, "bar: value of '%s' is %g; bars start at 0, values must be >= 0", lb, x);
            if (x > *vmax) *vmax = x;
        }
    return ML_OK;
}

static ml_status bar_horizontal(ml_text *out, const double *v, int n, int nseries, const char *const *labels,
                                const char *const *series, const ml_plot_opts *o, double vmax)
{
    int W = o->width > 0 ? o->width : 80;
    int head = o->title && o->title[0];
    int ylab = o->ylabel && o->ylabel[0];
    int xlab = o->xlabel && o->xlabel[0];
    int legend = nseries > 1 && series && o->legend != 0;
    int rows = n * nseries + (nseries > 1 ? n - 1 : 0);
    int need = head + ylab + rows + xlab + legend;
    int H = o->height > 0 ? o->height : need;
    if (H < need)
        return ml_fail(ML_EINVAL, "bar: %d bars need %d rows, the box has %d", n * nseries, need, H);
    /* label column */
    int lw = 0;
    for (int i = 0; i < n; i++) {
        char lb[256];
        label_of(lb, sizeof lb, labels, i);
        int w = ml_utf8_width(lb);
        if (w > lw) lw = w;
    }
    if (lw > W / 3) lw = W / 3;
    int values = o->values != 0;
    int vw = 0;
    if (values)
        for (int i = 0; i < n * nseries; i++) {
            char b[64];
            ml_fmt_num(b, sizeof b, v[i], 12);
            int w = (int)strlen(b);
            if (w > vw) vw = w;
        }
    int bw = W - lw - 2 - (values ? vw + 1 : 0);
    if (bw < 4 && values) {
        values = 0;
        bw = W - lw - 2;
    }
    if (bw < 4 || lw < 1) return ml_fail(ML_EINVAL, "bar: a width of %d cells is too small for these bars", W);
    ml_cells c;
    if (ml_cells_init(&c, W, H)) return ML_ENOMEM;
    c.ascii = o->ascii;
    int y = 0;
    if (head) ml_cells_center(&c, 0, y++, W, o->title, ML_COLOR_TITLE);
    if (ylab) ml_cells_text(&c, 0, y++, o->ylabel, ML_COLOR_LABEL, W);
    uint32_t vline = o->ascii ? '|' : 0x2502;
    for (int i = 0; i < n; i++) {
        char lb[256], fit[512];
        label_of(lb, sizeof lb, labels, i);
        for (int k = 0; k < nseries; k++, y++) {
            if (k == 0) {
                int w = ml_fit(fit, sizeof fit, lb, lw, o->ascii);
                ml_cells_text(&c, lw - w, y, fit, ML_COLOR_LABEL, w);
            }
            ml_cells_set(&c, lw + 1, y, vline, ML_COLOR_AXIS);
            double x = v[(size_t)i * nseries + k];
            long e8 = vmax > 0 ? lround(x / vmax * bw * 8) : 0;
            if (x > 0 && e8 == 0) e8 = 1;
            int full = (int)(e8 / 8), rem = (int)(e8 % 8);
            int x0 = lw + 2;
            uint32_t fill = series_fill(k, o->color, o->ascii);
            for (int j = 0; j < full; j++) ml_cells_set(&c, x0 + j, y, fill, series_role(k));
            int end = x0 + full;
            if (rem) {
                if (o->ascii) {
                    if (rem >= 4) ml_cells_set(&c, end++, y, fill, series_role(k));
                } else if (fill == 0x2588) {
                    ml_cells_set(&c, end++, y, 0x2590 - (uint32_t)rem, series_role(k)); /* ▏..▉ */
                } else if (rem >= 4) {
                    ml_cells_set(&c, end++, y, fill, series_role(k));
                }
            }
            if (values) {
                char b[64];
                ml_fmt_num(b, sizeof b, x, 12);
                ml_cells_text(&c, end + 1, y, b, ML_COLOR_LABEL, vw);
            }
        }
        if (nseries > 1 && i < n - 1) y++;
    }
    if (xlab) ml_cells_center(&c, lw + 2, y++, bw, o->xlabel, ML_COLOR_LABEL);
    if (legend) draw_legend(&c, 0, y++, W, series, nseries, o->color, o->ascii);
    ml_status st = ml_cells_emit(&c, out, o->color, o->ascii);
    ml_cells_free(&c);
    return st;
}

ml_status ml_plot_bar(ml_text *out, const double *v, int n, int nseries, const char *const *labels,
                      const char *const *series, const ml_plot_opts *opts)
{
    ml_plot_opts o;
    ml_plot_opts_resolve(&o, opts);
    double vmax = 0;
    if (check_values(v, n, nseries, labels, &vmax)) return ML_EINVAL;
    if (o.horizontal == 1) return bar_horizontal(out, v, n, nseries, labels, series, &o, vmax);

    int W = o.width > 0 ? o.width : 80;
    int head = o.title && o.title[0];
    int ylab = o.ylabel && o.ylabel[0];
    int xlab = o.xlabel && o.xlabel[0];
    int legend = nseries > 1 && series && o.legend != 0;
    int H = o.height > 0 ? o.height : 14 + head + ylab + xlab + legend;
    int P = H - head - ylab - xlab - legend - 2; /* bar rows */
    /* slots: one per group */
    int gs = W / n;
    int gap = gs >= 8 ? 2 : gs >= 3 ? 1 : 0;
    int bw = (gs - gap) / nseries;
    int maxbw = nseries == 1 ? 9 : 5;
    if (bw > maxbw) bw = maxbw;
    /* do the labels fit under the bars? */
    int fits = 1;
    for (int i = 0; i < n; i++) {
        char lb[256];
        label_of(lb, sizeof lb, labels, i);
        if (ml_utf8_width(lb) > gs - (gs > 2)) fits = 0;
    }
    if (o.horizontal == -1 && (!fits || bw < 1)) {
        ml_plot_opts oh = o;
        oh.height = opts && opts->height > 0 ? opts->height : 0;
        return bar_horizontal(out, v, n, nseries, labels, series, &oh, vmax);
    }
    if (bw < 1) return ml_fail(ML_EINVAL, "bar: %d bars do not fit in %d columns", n * nseries, W);
    if (P < 2) return ml_fail(ML_EINVAL, "bar: a height of %d rows is too small for a bar chart", H);

    /* value labels: the room above each bar */
    int values = o.values != 0;
    int room = nseries == 1 ? (gs - (gs > 2 ? 1 : 0)) : bw - 1;
    if (values)
        for (int i = 0; i < n * nseries && values; i++) {
            char b[64];
            if (ml_fmt_num(b, sizeof b, v[i], room) < 0) values = 0;
        }
    /* without value labels, a y axis with round ticks tells the heights */
    ml_axis ya;
    int M = 0;
    double top_v = vmax;
    if (!values) {
        int nt = P / 2 + 1;
        if (nt > 6) nt = 6;
        if (ml_axis_init(&ya, 0, vmax > 0 ? vmax : 1, nt, 0, 0, 1, "bar")) return ML_EINVAL;
        top_v = ya.hi;
        for (int i = 0; i < ya.n; i++) {
            char b[64];
            int w = ml_axis_label(&ya, i, b, sizeof b, 8);
            if (w > M) M = w;
        }
        M += 1;
        gs = (W - M) / n;
        gap = gs >= 8 ? 2 : gs >= 3 ? 1 : 0;
        bw = (gs - gap) / nseries;
        if (bw > maxbw) bw = maxbw;
        if (bw < 1) return ml_fail(ML_EINVAL, "bar: %d bars do not fit in %d columns", n * nseries, W);
    }
    int units = (P - (values ? 1 : 0)) * 8;
    ml_cells c;
    if (ml_cells_init(&c, W, H)) return ML_ENOMEM;
    c.ascii = o.ascii;
    int y = 0;
    if (head) ml_cells_center(&c, 0, y++, W, o.title, ML_COLOR_TITLE);
    if (ylab) ml_cells_text(&c, 0, y++, o.ylabel, ML_COLOR_LABEL, W);
    int top = y, base = top + P; /* base: the axis row */
    int used = n * gs;
    int x0 = M + (W - M - used) / 2;
    if (!values) {
        for (int yy = top; yy < base; yy++) ml_cells_set(&c, M - 1, yy, o.ascii ? '|' : 0x2502, ML_COLOR_AXIS);
        ml_cells_set(&c, M - 1, base, o.ascii ? '+' : 0x2514, ML_COLOR_AXIS);
        int last = -1;
        for (int i = 0; i < ya.n; i++) {
            int row = base - (int)lround(ya.t[i] / top_v * P);
            if (row < top || row == last) continue;
            last = row;
            char b[64];
            int w = ml_axis_label(&ya, i, b, sizeof b, 8);
            if (w < 0) continue;
            ml_cells_text(&c, M - 1 - w, row, b, ML_COLOR_LABEL, w);
            if (row < base) ml_cells_set(&c, M - 1, row, o.ascii ? '+' : 0x2524, ML_COLOR_AXIS);
        }
        for (int x = M; x < x0; x++) ml_cells_set(&c, x, base, o.ascii ? '-' : 0x2500, ML_COLOR_AXIS);
    }
    for (int i = 0; i < n; i++) {
        int gx = x0 + i * gs;
        int group_w = bw * nseries;
        int bx0 = gx + (gs - group_w) / 2;
        for (int k = 0; k < nseries; k++) {
            double x = v[(size_t)i * nseries + k];
            long e8 = top_v > 0 ? lround(x / top_v * units) : 0;
            if (x > 0 && e8 == 0) e8 = 1;
            int full = (int)(e8 / 8), rem = (int)(e8 % 8);
            uint32_t fill = series_fill(k, o.color, o.ascii);
            int bx = bx0 + k * bw;
            for (int j = 0; j < full; j++)
                for (int q = 0; q < bw; q++) ml_cells_set(&c, bx + q, base - 1 - j, fill, series_role(k));
            int topy = base - 1 - full;
            if (rem) {
                uint32_t g = 0;
                if (o.ascii) g = rem >= 4 ? fill : 0;
                else if (fill == 0x2588) g = 0x2580 + (uint32_t)rem; /* ▁..▇ */
                else g = rem >= 4 ? fill : 0;
                if (g) {
                    for (int q = 0; q < bw; q++) ml_cells_set(&c, bx + q, topy, g, series_role(k));
                    topy--;
                }
            }
            if (values) {
                char b[64];
                int w = ml_fmt_num(b, sizeof b, x, room);
                int lx = nseries == 1 ? gx + (gs - w) / 2 : bx + (bw - w) / 2;
                ml_cells_text(&c, lx, topy, b, ML_COLOR_LABEL, w);
            }
        }
        char lb[256], fit[512];
        label_of(lb, sizeof lb, labels, i);
        int w = ml_fit(fit, sizeof fit, lb, gs - (gs > 2), o.ascii);
        ml_cells_text(&c, gx + (gs - w) / 2, base + 1, fit, ML_COLOR_LABEL, w);
    }
    for (int x = x0; x < x0 + used; x++) ml_cells_set(&c, x, base, o.ascii ? '-' : 0x2500, ML_COLOR_AXIS);
    y = base + 2;
    if (xlab) ml_cells_center(&c, x0, y++, used, o.xlabel, ML_COLOR_LABEL);
    if (legend) draw_legend(&c, 0, y++, W, series, nseries, o.color, o.ascii);
    ml_status st = ml_cells_emit(&c, out, o.color, o.ascii);
    ml_cells_free(&c);
    return st;
}
