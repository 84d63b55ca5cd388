/* Axes with round ticks, and the frame (title, axes, labels, legend) that
 * line, scatter and histogram charts share. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "plot/draw.h"

static double nice_step(double raw, int integer)
{
    if (!(raw > 0)) return 1;
    double mag = pow(10, floor(log10(raw)));
    double f = raw / mag, nice;
    if (f <= 1.0 + 1e-9) nice = 1;
    else if (f <= 2.0 + 1e-9) nice = 2;
    else if (f <= 2.5 + 1e-9 && !integer) nice = 2.5;
    else if (f <= 5.0 + 1e-9) nice = 5;
    else nice = 10;
    double s = nice * mag;
    if (integer && s < 1) s = 1;
    return s;
}

ml_status ml_axis_init(ml_axis *a, double lo, double hi, int maxticks, int integer, int logscale, int expand,
                       const char *who)
{
    memset(a, 0, sizeof *a);
    if (!isfinite(lo) || !isfinite(hi)) return ml_fail(ML_EINVAL, "%s: axis limits must be finite", who);
    if (!isfinite(hi - lo) || fabs(lo) > 1e300 || fabs(hi) > 1e300)
        return ml_fail(ML_EINVAL, "%s: values from %g to %g span too wide a range to draw", who, lo, hi);
    if (lo > hi) {
        double t = lo;
        lo = hi;
        hi = t;
    }
    if (maxticks < 2) maxticks = 2;
    if (maxticks > 30) maxticks = 30;
    a->log = logscale;
    if (logscale) {
        if (!(lo > 0)) return ml_fail(ML_EINVAL, "%s: log scale needs values > 0, got %g", who, lo);
        if (lo < 1e-300) return ml_fail(ML_EINVAL, "%s: %g is too small for a log scale", who, lo);
        double l0 = log10(lo), l1 = log10(hi);
        if (l1 - l0 < 1e-9) {
            l0 -= 0.5;
            l1 += 0.5;
        }
        if (expand) {
            /* to the nearest 1-2-5 marks */
            static const double m[] = {1, 2, 5, 10};
            double d0 = floor(l0), d1 = floor(l1);
            double b0 = pow(10, d0), b1 = pow(10, d1);
            for (int i = 3; i >= 0; i--)
                if (m[i] * b0 <= lo * (1 + 1e-9)) {
                    l0 = log10(m[i] * b0);
                    break;
                }
            for (int i = 0; i < 4; i++)
                if (m[i] * b1 >= hi * (1 - 1e-9)) {
                    l1 = log10(m[i] * b1);
                    break;
                }
        }
        a->lo = pow(10, l0);
        a->hi = pow(10, l1);
        int k0 = (int)ceil(l0 - 1e-9), k1 = (int)floor(l1 + 1e-9);
        int ndec = k1 - k0 + 1;
        if (ndec >= 2) {
            int every = (ndec + maxticks - 1) / maxticks;
            for (int k = k0; k <= k1 && a->n < 32; k += every) a->t[a->n++] = pow(10, k);
            a->step = every;
        } else {
            static const double m[] = {1, 2, 5};
            for (int k = (int)floor(l0); k <= (int)ceil(l1) && a->n < 32; k++)
                for (int i = 0; i < 3; i++) {
                    double v = m[i] * pow(10, k);
                    if (v >= a->lo * (1 - 1e-9) && v <= a->hi * (1 + 1e-9) && a->n < 32) a->t[a->n++] = v;
                }
            a->step = 0;
        }
        return ML_OK;
    }
    if (hi - lo <= fabs(hi) * 1e-12 || hi == lo) {
        double d = lo == 0 ? 1 : fabs(lo) * 0.1;
        if (integer && d < 1) d = 1;
        lo -= d;
        hi += d;
    }
    double step = nice_step((hi - lo) / (maxticks - 1), integer);
    /* fewer ticks than asked, never more */
    /* fewer ticks than asked, never more (counting the outer ticks that expanding adds) */
    for (;;) {
        double ka = expand ? floor(lo / step + 1e-9) : ceil(lo / step - 1e-9);
        double kb = expand ? ceil(hi / step - 1e-9) : floor(hi / step + 1e-9);
        if (kb - ka + 1 <= maxticks) break;
        step = nice_step(step * 1.01, integer);
    }
    if (expand) {
        lo = floor(lo / step + 1e-9) * step;
        hi = ceil(hi / step - 1e-9) * step;
    }
    a->lo = lo;
    a->hi = hi;
    a->step = step;
    for (double k = ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9 && a->n < 32; k++) {
        double v = k * step;
        if (fabs(v) < step * 1e-9) v = 0;
        a->t[a->n++] = v;
    }
    return ML_OK;
}

double ml_axis_pos(const ml_axis *a, double v)
{
    if (a->log) {
        if (!(v > 0)) return -1;
        return (log10(v) - log10(a->lo)) / (log10(a->hi) - log10(a->lo));
    }
    return (v - a->lo) / (a->hi - a->lo);
}

int ml_axis_label(const ml_axis *a, int i, char *buf, int n, int w)
{
    if (a->log) return ml_fmt_num(buf, n, a->t[i], w);
    return ml_fmt_tick(buf, n, a->t[i], a->step, w);
}

/* ---- frame ---- */
static int label_width(const ml_axis *a, int maxw)
{
    int w = 1;
    for (int i = 0; i < a->n; i++) {
        char b[64];
        int k = ml_axis_label(a, i, b, sizeof b, maxw);
        if (k < 0) k = (int)strlen(b);
        if (k > w) w = k;
    }
    return w;
}

ml_status ml_frame_layout(ml_frame *f, const ml_plot_opts *o, double xlo, double xhi, double ylo, double yhi,
                          int xinteger, int legend_rows, const char *who)
{
    memset(f, 0, sizeof *f);
    int W = o->width > 0 ? o->width : 80;
    int H = o->height > 0 ? o->height : 20;
    f->W = W;
    f->H = H;
    f->sx = o->canvas == ML_CANVAS_BRAILLE ? 2 : 1;
    f->sy = o->canvas == ML_CANVAS_BRAILLE ? 4 : o->canvas == ML_CANVAS_HALF ? 2 : 1;
    int y = 0;
    f->title_y = f->ylabel_y = f->xlabel_y = f->legend_y = -1;
    if (o->title && o->title[0]) f->title_y = y++;
    if (o->ylabel && o->ylabel[0]) f->ylabel_y = y++;
    f->py0 = y;
    int below = 2 + (o->xlabel && o->xlabel[0]) + legend_rows;
    f->ph = H - y - below;
    if (f->ph < 3 || W < 16)
        return ml_fail(ML_EINVAL, "%s: a box of %dx%d cells is too small to draw (at least 16 wide and %d high)",
                       who, W, H, H - f->ph + 3);
    /* apply limits */
    if (!isnan(o->xmin)) xlo = o->xmin;
    if (!isnan(o->xmax)) xhi = o->xmax;
    if (!isnan(o->ymin)) ylo = o->ymin;
    if (!isnan(o->ymax)) yhi = o->ymax;
    /* about one tick every other row at most, so labels never crowd */
    int yt = f->ph / 2;
    if (yt < 2) yt = 2;
    if (yt > 8) yt = 8;
    int expand_y = isnan(o->ymin) && isnan(o->ymax);
    if (ml_axis_init(&f->ya, ylo, yhi, yt, 0, o->logy, expand_y, who)) return ML_EINVAL;
    if (!expand_y) {
        if (!isnan(o->ymin)) f->ya.lo = o->logy ? o->ymin : o->ymin;
        if (!isnan(o->ymax)) f->ya.hi = o->ymax;
    }
    int lw = label_width(&f->ya, 8);
    f->margin = lw + 1;
    f->px0 = f->margin;
    f->pw = W - f->margin - 1;
    if (f->pw < 8) return ml_fail(ML_EINVAL, "%s: a width of %d cells is too small to draw", who, W);
    /* x ticks: as many as fit with two spaces between labels */
    int xt = f->pw / 8 + 1;
    if (xt > 12) xt = 12;
    for (;; xt--) {
        if (ml_axis_init(&f->xa, xlo, xhi, xt < 2 ? 2 : xt, xinteger, 0, 0, who)) return ML_EINVAL;
        if (!isnan(o->xmin)) f->xa.lo = o->xmin;
        if (!isnan(o->xmax)) f->xa.hi = o->xmax;
        int xw = label_width(&f->xa, 10);
        if (xt <= 2 || f->xa.n * (xw + 2) <= f->pw) break;
    }
    f->axis_y = f->py0 + f->ph;
    y = f->axis_y + 2;
    if (o->xlabel && o->xlabel[0]) f->xlabel_y = y++;
    if (legend_rows) f->legend_y = y;
    return ML_OK;
}

int ml_frame_xcell(const ml_frame *f, double pos, int sx)
{
    int npx = f->pw * sx;
    int p = (int)floor(pos * (npx - 1) + 0.5);
    return p / sx;
}

int ml_frame_ycell(const ml_frame *f, double pos, int sy)
{
    int npx = f->ph * sy;
    int p = (int)floor((1 - pos) * (npx - 1) + 0.5);
    return p / sy;
}

void ml_frame_draw(ml_cells *c, const ml_frame *f, const ml_plot_opts *o)
{
    int ascii = o->ascii;
    if (f->title_y >= 0) ml_cells_center(c, 0, f->title_y, f->W, o->title, ML_COLOR_TITLE);
    if (f->ylabel_y >= 0) ml_cells_text(c, 0, f->ylabel_y, o->ylabel, ML_COLOR_LABEL, f->W);
    int ax = f->px0 - 1;
    for (int y = f->py0; y < f->axis_y; y++) ml_cells_set(c, ax, y, ascii ? '|' : 0x2502, ML_COLOR_AXIS);
    ml_cells_set(c, ax, f->axis_y, ascii ? '+' : 0x2514, ML_COLOR_AXIS);
    for (int x = f->px0; x < f->px0 + f->pw; x++) ml_cells_set(c, x, f->axis_y, ascii ? '-' : 0x2500, ML_COLOR_AXIS);
    /* y ticks (ticks that would share a row with a drawn one are skipped) */
    int last_row = -1;
    for (int i = f->ya.n - 1; i >= 0; i--) {
        double pos = ml_axis_pos(&f->ya, f->ya.t[i]);
        if (pos < -1e-9 || pos > 1 + 1e-9) continue;
        int row = f->py0 + ml_frame_ycell(f, pos, f->sy);
        if (row == last_row) continue;
        last_row = row;
        char b[64];
        int w = ml_axis_label(&f->ya, i, b, sizeof b, f->margin - 1);
        if (w < 0) continue; /* never cut a number */
        ml_cells_text(c, ax - w, row, b, ML_COLOR_LABEL, w);
        ml_cells_set(c, ax, row, ascii ? '+' : 0x2524, ML_COLOR_AXIS);
    }
    /* x ticks, left to right, skipping any label that would touch the previous */
    int free_x = 0;
    for (int i = 0; i < f->xa.n; i++) {
        double pos = ml_axis_pos(&f->xa, f->xa.t[i]);
        if (pos < -1e-9 || pos > 1 + 1e-9) continue;
        int col = f->px0 + ml_frame_xcell(f, pos, f->sx);
        char b[64];
        int w = ml_axis_label(&f->xa, i, b, sizeof b, 10);
        if (w < 0) continue;
        int lx = col - (w - 1) / 2;
        if (lx + w > f->W) lx = f->W - w;
        if (lx < free_x) continue;
        ml_cells_set(c, col, f->axis_y, ascii ? '+' : 0x252C, ML_COLOR_AXIS);
        ml_cells_text(c, lx, f->axis_y + 1, b, ML_COLOR_LABEL, w);
        free_x = lx + w + 1;
    }
    if (f->xlabel_y >= 0) ml_cells_center(c, f->px0, f->xlabel_y, f->pw, o->xlabel, ML_COLOR_LABEL);
}

/* Legend items fill rows greedily: "glyph name", three spaces between items. */
static int item_w(const char *name) { return 2 + ml_utf8_width(name ? name : ""); }

int ml_legend_rows(const char *const *names, int n, int w)
{
    int rows = n > 0, used = 0;
    for (int k = 0; k < n; k++) {
        int iw = item_w(names[k]);
        if (used && used + 3 + iw > w) {
            rows++;
            used = 0;
        }
        used += (used ? 3 : 0) + iw;
    }
    return rows;
}

void ml_draw_legend(ml_cells *c, int y, int w, const char *const *names, const uint32_t *glyphs,
                    const uint8_t *roles, int n)
{
    int k = 0;
    while (k < n) {
        /* the items of this row */
        int end = k, used = 0;
        while (end < n) {
            int iw = item_w(names[end]);
            if (used && used + 3 + iw > w) break;
            used += (used ? 3 : 0) + iw;
            end++;
        }
        int px = used < w ? (w - used) / 2 : 0;
        for (int j = k; j < end; j++) {
            if (j > k) px += 3;
            ml_cells_set(c, px, y, glyphs[j], roles[j]);
            px += 2;
            px += ml_cells_text(c, px, y, names[j] ? names[j] : "", ML_COLOR_LABEL, w - px);
        }
        k = end;
        y++;
    }
}
