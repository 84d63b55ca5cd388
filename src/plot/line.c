/* x-y charts: lines (several series, markers, legend), scatter (a class per
 * point: colour or marker, legend), histograms. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plot/draw.h"

static const uint32_t MARK_U[8] = {0x25CF, 0x25A0, 0x25B2, 0x25C6, 0x25CB, 0x25A1, 0x25B3, 0x25C7};
static const char MARK_A[] = "o#^x+*@%";
static const char CLASS_MARK[] = "0123456789abcdef";

static const char *nonfinite_name(double v) { return isnan(v) ? "NaN" : v > 0 ? "inf" : "-inf"; }

/* Liang-Barsky: clip the segment to [lo, hi]^2; 0 when nothing is left. */
static int clip(double *x0, double *y0, double *x1, double *y1, double xlo, double xhi, double ylo, double yhi)
{
    double t0 = 0, t1 = 1, dx = *x1 - *x0, dy = *y1 - *y0;
    double p[4] = {-dx, dx, -dy, dy}, q[4] = {*x0 - xlo, xhi - *x0, *y0 - ylo, yhi - *y0};
    for (int i = 0; i < 4; i++) {
        if (p[i] == 0) {
            if (q[i] < 0) return 0;
        } else {
            double r = q[i] / p[i];
            if (p[i] < 0) {
                if (r > t1) return 0;
                if (r > t0) t0 = r;
            } else {
                if (r < t0) return 0;
                if (r < t1) t1 = r;
            }
        }
    }
    double ax = *x0 + t0 * dx, ay = *y0 + t0 * dy, bx = *x0 + t1 * dx, by = *y0 + t1 * dy;
    *x0 = ax;
    *y0 = ay;
    *x1 = bx;
    *y1 = by;
    return 1;
}

/* Pixel coordinates of a data point. */
static void to_px(const ml_frame *f, const ml_canvas *cv, double x, double y, double *px, double *py)
{
    double fx = ml_axis_pos(&f->xa, x), fy = ml_axis_pos(&f->ya, y);
    *px = fx * (cv->cw * cv->sx - 1);
    *py = (1 - fy) * (cv->ch * cv->sy - 1);
}

static ml_status emit(ml_cells *c, ml_text *out, const ml_plot_opts *o)
{
    ml_status st = ml_cells_emit(c, out, o->color, o->ascii);
    ml_cells_free(c);
    return st;
}

ml_status ml_plot_line(ml_text *out, const ml_series *s, int ns, const ml_plot_opts *opts)
{
    ml_plot_opts o;
    ml_plot_opts_resolve(&o, opts);
    if (!s || ns <= 0) return ml_fail(ML_EINVAL, "line: no series to draw");
    if (ns > 16) return ml_fail(ML_EINVAL, "line: at most 16 series, got %d", ns);
    double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
    int all_default_x = 1, maxn = 0, named = 0;
    for (int k = 0; k < ns; k++) {
        const char *nm = s[k].name ? s[k].name : "";
        if (s[k].n <= 0 || !s[k].y) return ml_fail(ML_EINVAL, "line: series %d%s%s%s is empty", k + 1,
                                                     nm[0] ? " ('" : "", nm, nm[0] ? "')" : "");
        if (s[k].name && s[k].name[0]) named = 1;
        if (s[k].x) all_default_x = 0;
        if (s[k].n > maxn) maxn = s[k].n;
        for (int i = 0; i < s[k].n; i++) {
            double x = s[k].x ? s[k].x[i] : i + 1, y = s[k].y[i];
            if (!isfinite(y))
                return ml_fail(ML_EINVAL, "line: series %d%s%s%s: y[%d] is %s; values must be finite", k + 1,
                               nm[0] ? " ('" : "", nm, nm[0] ? "')" : "", i + 1, nonfinite_name(y));
            if (!isfinite(x))
                return ml_fail(ML_EINVAL, "line: series %d%s%s%s: x[%d] is %s; values must be finite", k + 1,
                               nm[0] ? " ('" : "", nm, nm[0] ? "')" : "", i + 1, nonfinite_name(x));
            if (o.logy && y <= 0)
                return ml_fail(ML_EINVAL, "line: series %d: y[%d] = %g, but a log scale needs values > 0", k + 1,
                               i + 1, y);
            if (x < xlo) xlo = x;
            if (x > xhi) xhi = x;
            if (y < ylo) ylo = y;
            if (y > yhi) yhi = y;
        }
    }
    int legend = o.legend == 1 || (o.legend == -1 && ns > 1 && named);
    const char *names[16];
    for (int k = 0; k < ns; k++) names[k] = s[k].name ? s[k].name : "";
    int lrows = legend ? ml_legend_rows(names, ns, o.width > 0 ? o.width : 80) : 0;
    ml_frame f;
    if (ml_frame_layout(&f, &o, xlo, xhi, ylo, yhi, o.xinteger || all_default_x, lrows, "line")) return ML_EINVAL;
    int markers = o.markers;
    if (markers < 0) markers = maxn <= f.pw / 4 || (!o.color && ns > 1);
    ml_cells c;
    if (ml_cells_init(&c, f.W, f.H)) return ML_ENOMEM;
    c.ascii = o.ascii;
    ml_canvas cv;
    if (ml_canvas_init(&cv, f.pw, f.ph, o.canvas, ns)) {
        ml_cells_free(&c);
        return ML_ENOMEM;
    }
    double W1 = cv.cw * cv.sx - 1, H1 = cv.ch * cv.sy - 1;
    for (int k = 0; k < ns; k++) {
        double px0 = 0, py0 = 0;
        for (int i = 0; i < s[k].n; i++) {
            double px, py;
            to_px(&f, &cv, s[k].x ? s[k].x[i] : i + 1, s[k].y[i], &px, &py);
            if (s[k].n == 1 && px >= -0.5 && px <= W1 + 0.5 && py >= -0.5 && py <= H1 + 0.5)
                ml_canvas_dot(&cv, (int)lround(px), (int)lround(py), k);
            if (i > 0) {
                double ax = px0, ay = py0, bx = px, by = py;
                if (clip(&ax, &ay, &bx, &by, -0.49, W1 + 0.49, -0.49, H1 + 0.49))
                    ml_canvas_line(&cv, ax, ay, bx, by, k);
            }
            px0 = px;
            py0 = py;
        }
    }
    uint8_t roles[16];
    for (int k = 0; k < 16; k++) roles[k] = (uint8_t)(ML_COLOR_SERIES + k);
    ml_canvas_render(&cv, &c, f.px0, f.py0, roles, NULL);
    if (markers) {
        for (int k = 0; k < ns; k++) {
            /* dense series: a marker every `step` points (matplotlib's
             * markevery), each series shifted so that overlapping curves
             * still show all their markers */
            int room = f.pw / 10 > 1 ? f.pw / 10 : 1;
            int step = s[k].n > f.pw / 4 ? (s[k].n + room - 1) / room : 1;
            int phase = step > 1 ? (int)((long)k * step / ns) : 0;
            for (int i = 0; i < s[k].n; i++) {
                if (step > 1 && i % step != phase) continue;
                double px, py;
                to_px(&f, &cv, s[k].x ? s[k].x[i] : i + 1, s[k].y[i], &px, &py);
                if (px < -0.5 || py < -0.5 || px > W1 + 0.5 || py > H1 + 0.5) continue;
                int cx = (int)lround(px) / cv.sx, cy = (int)lround(py) / cv.sy;
                ml_cells_set(&c, f.px0 + cx, f.py0 + cy, o.ascii ? (uint32_t)MARK_A[k % 8] : MARK_U[k % 8],
                             roles[k]);
            }
        }
    }
    ml_canvas_free(&cv);
    ml_frame_draw(&c, &f, &o);
    if (legend) {
        uint32_t glyphs[16];
        for (int k = 0; k < ns; k++) {
            glyphs[k] = markers ? (o.ascii ? (uint32_t)MARK_A[k % 8] : MARK_U[k % 8]) : (o.ascii ? '-' : 0x2501);
        }
        ml_draw_legend(&c, f.legend_y, f.W, names, glyphs, roles, ns);
    }
    return emit(&c, out, &o);
}

ml_status ml_plot_scatter(ml_text *out, const float *x, int64_t xstride, const float *y, int64_t ystride,
                          int64_t n, const float *cls, int nclass, const char *const *class_names,
                          const ml_plot_opts *opts)
{
    ml_plot_opts o;
    ml_plot_opts_resolve(&o, opts);
    if (n <= 0 || !x || !y) return ml_fail(ML_EINVAL, "scatter: no points to draw");
    if (cls && (nclass < 1 || nclass > 16))
        return ml_fail(ML_EINVAL, "scatter: hue has %d classes; at most 16 can be told apart", nclass);
    if (!cls) nclass = 1;
    double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
    for (int64_t i = 0; i < n; i++) {
        double a = x[i * xstride], b = y[i * ystride];
        if (!isfinite(a)) return ml_fail(ML_EINVAL, "scatter: x[%lld] is %s; values must be finite", (long long)i + 1, nonfinite_name(a));
        if (!isfinite(b)) return ml_fail(ML_EINVAL, "scatter: y[%lld] is %s; values must be finite", (long long)i + 1, nonfinite_name(b));
        if (o.logy && b <= 0)
            return ml_fail(ML_EINVAL, "scatter: y[%lld] = %g, but a log scale needs values > 0", (long long)i + 1, b);
        if (cls) {
            float k = cls[i];
            if (!(k >= 0 && k < nclass && k == floorf(k)))
                return ml_fail(ML_EINVAL, "scatter: hue[%lld] is %g; classes must be integers in 0..%d",
                               (long long)i + 1, (double)k, nclass - 1);
        }
        if (a < xlo) xlo = a;
        if (a > xhi) xhi = a;
        if (b < ylo) ylo = b;
        if (b > yhi) yhi = b;
    }
    int legend = o.legend == 1 || (o.legend == -1 && nclass > 1);
    int use_marks = nclass > 1 && (!o.color || o.canvas == ML_CANVAS_ASCII);
    const char *names[16];
    char nb[16][64];
    for (int k = 0; k < nclass; k++) {
        if (class_names && class_names[k]) names[k] = class_names[k];
        else {
            snprintf(nb[k], sizeof nb[k], "%d", k);
            names[k] = nb[k];
        }
        /* with markers the legend maps marker -> name ("0 T-shirt"); a name
         * equal to its marker needs no repeat */
        if (use_marks && strcmp(names[k], (char[]){CLASS_MARK[k], 0}) == 0) names[k] = "";
    }
    int lrows = legend ? ml_legend_rows(names, nclass, o.width > 0 ? o.width : 80) : 0;
    ml_frame f;
    if (ml_frame_layout(&f, &o, xlo, xhi, ylo, yhi, o.xinteger, lrows, "scatter")) return ML_EINVAL;
    ml_cells c;
    if (ml_cells_init(&c, f.W, f.H)) return ML_ENOMEM;
    c.ascii = o.ascii;
    ml_canvas cv;
    if (ml_canvas_init(&cv, f.pw, f.ph, o.canvas, nclass)) {
        ml_cells_free(&c);
        return ML_ENOMEM;
    }
    double W1 = cv.cw * cv.sx - 1, H1 = cv.ch * cv.sy - 1;
    double xl = f.xa.lo, xs = W1 / (f.xa.hi - f.xa.lo);
    int logy = f.ya.log;
    double yl = logy ? log10(f.ya.lo) : f.ya.lo;
    double ys = H1 / ((logy ? log10(f.ya.hi) : f.ya.hi) - yl);
    for (int64_t i = 0; i < n; i++) {
        double b = y[i * ystride];
        double px = (x[i * xstride] - xl) * xs;
        double py = H1 - ((logy ? log10(b) : b) - yl) * ys;
        if (px < -0.5 || py < -0.5 || px > W1 + 0.5 || py > H1 + 0.5) continue;
        ml_canvas_dot(&cv, (int)(px + 0.5), (int)(py + 0.5), cls ? (int)cls[i] : 0);
    }
    uint8_t roles[16];
    uint32_t marks[16];
    for (int k = 0; k < 16; k++) {
        roles[k] = (uint8_t)(ML_COLOR_SERIES + k);
        marks[k] = (uint32_t)CLASS_MARK[k];
    }
    ml_canvas_render(&cv, &c, f.px0, f.py0, roles, use_marks ? marks : NULL);
    ml_canvas_free(&cv);
    ml_frame_draw(&c, &f, &o);
    if (legend) {
        uint32_t glyphs[16];
        for (int k = 0; k < nclass; k++) glyphs[k] = use_marks ? marks[k] : o.ascii ? '*' : 0x25CF;
        ml_draw_legend(&c, f.legend_y, f.W, names, glyphs, roles, nclass);
    }
    return emit(&c, out, &o);
}

ml_status ml_plot_hist(ml_text *out, const double *v, int64_t n, int bins, const ml_plot_opts *opts)
{
    ml_plot_opts o;
    ml_plot_opts_resolve(&o, opts);
    if (n <= 0 || !v) return ml_fail(ML_EINVAL, "hist: no values");
    double lo = INFINITY, hi = -INFINITY;
    for (int64_t i = 0; i < n; i++) {
        if (!isfinite(v[i]))
            return ml_fail(ML_EINVAL, "hist: value [%lld] is %s; values must be finite", (long long)i + 1,
                           nonfinite_name(v[i]));
        if (v[i] < lo) lo = v[i];
        if (v[i] > hi) hi = v[i];
    }
    if (!isnan(o.xmin)) lo = o.xmin;
    if (!isnan(o.xmax)) hi = o.xmax;
    if (hi <= lo) {
        hi = lo + 0.5;
        lo -= 0.5;
    }
    if (!isfinite(hi - lo) || fabs(lo) > 1e300 || fabs(hi) > 1e300)
        return ml_fail(ML_EINVAL, "hist: values from %g to %g span too wide a range to draw", lo, hi);
    if (bins <= 0) {
        bins = (int)ceil(log2((double)n) + 1); /* Sturges */
        if (bins < 5) bins = 5;
        if (bins > 50) bins = 50;
    }
    if (bins > 1000) return ml_fail(ML_EINVAL, "hist: %d bins is too many (at most 1000)", bins);
    double *cnt = calloc((size_t)bins, sizeof *cnt);
    if (!cnt) return ml_fail(ML_ENOMEM, "hist: out of memory");
    double cmax = 0;
    for (int64_t i = 0; i < n; i++) {
        if (v[i] < lo || v[i] > hi) continue;
        double fb = (v[i] - lo) / (hi - lo) * bins;
        int b = fb >= bins ? bins - 1 : fb > 0 ? (int)fb : 0;
        cnt[b] += 1;
    }
    for (int b = 0; b < bins; b++)
        if (cnt[b] > cmax) cmax = cnt[b];
    ml_plot_opts fo = o;
    fo.xmin = lo;
    fo.xmax = hi;
    fo.logy = 0;
    if (isnan(fo.ymin)) fo.ymin = NAN;
    ml_frame f;
    ml_status st = ml_frame_layout(&f, &fo, lo, hi, 0, cmax, 0, 0, "hist");
    if (st) {
        free(cnt);
        return st;
    }
    ml_cells c;
    if (ml_cells_init(&c, f.W, f.H)) {
        free(cnt);
        return ML_ENOMEM;
    }
    c.ascii = o.ascii;
    double top = f.ya.hi > 0 ? f.ya.hi : 1;
    for (int cx = 0; cx < f.pw; cx++) {
        int b = (int)((cx + 0.5) / f.pw * bins);
        if (b >= bins) b = bins - 1;
        /* a one-column gap between bins when bins are wide enough */
        int b_next = (int)((cx + 1.5) / f.pw * bins);
        int edge = f.pw / bins >= 3 && b_next != b && cx < f.pw - 1;
        if (edge) continue;
        long e8 = lround(cnt[b] / top * f.ph * 8);
        if (cnt[b] > 0 && e8 == 0) e8 = 1;
        int full = (int)(e8 / 8), rem = (int)(e8 % 8);
        for (int j = 0; j < full && j < f.ph; j++)
            ml_cells_set(&c, f.px0 + cx, f.axis_y - 1 - j, o.ascii ? '#' : 0x2588, ML_COLOR_SERIES);
        if (rem && full < f.ph) {
            uint32_t g = o.ascii ? (rem >= 4 ? '#' : 0) : 0x2580 + (uint32_t)rem;
            if (g) ml_cells_set(&c, f.px0 + cx, f.axis_y - 1 - full, g, ML_COLOR_SERIES);
        }
    }
    free(cnt);
    ml_frame_draw(&c, &f, &fo);
    return emit(&c, out, &o);
}
