/* Images (a digit, any 2-D array) and grids of images with titles. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plot/cells.h"
#include "plot/draw.h"

/* Mean of the pixels whose centres fall in [r0, r1) x [c0, c1); the nearest
 * pixel when the region is smaller than one. */
static double region_mean(const float *px, int rows, int cols, double r0, double r1, double c0, double c1,
                          double mid)
{
    int ra = (int)floor(r0 + 0.5), rb = (int)ceil(r1 - 0.5);
    int ca = (int)floor(c0 + 0.5), cb = (int)ceil(c1 - 0.5);
    if (rb <= ra) rb = ra + 1;
    if (cb <= ca) cb = ca + 1;
    if (ra < 0) ra = 0;
    if (ca < 0) ca = 0;
    if (rb > rows) rb = rows;
    if (cb > cols) cb = cols;
    if (ra >= rows) ra = rows - 1, rb = rows;
    if (ca >= cols) ca = cols - 1, cb = cols;
    double s = 0, ext = mid;
    int n = 0;
    for (int r = ra; r < rb; r++)
        for (int c = ca; c < cb; c++) {
            float v = px[(size_t)r * cols + c];
            if (isfinite(v)) {
                s += v;
                n++;
                if (fabs(v - mid) > fabs(ext - mid)) ext = v;
            }
        }
    /* shrinking: halfway between the mean and the most extreme pixel (the
     * brightest, for ink on paper), so that thin strokes stay solid instead
     * of fading to grey */
    return n == 0 ? mid : n == 1 ? s : (s / n + ext) / 2;
}

static double norm01(double v, double lo, double hi)
{
    if (!(hi > lo)) return v > lo ? 1 : 0;
    double t = (v - lo) / (hi - lo);
    return t < 0 ? 0 : t > 1 ? 1 : t;
}

uint8_t ml_grey_role(double v)
{
    /* Strong ink keeps the terminal's own foreground (visible on dark and
     * light backgrounds); fainter ink gets mid greys. */
    if (v >= 0.7) return ML_COLOR_DEFAULT;
    int lvl = 7 + (int)(v * 14.0 + 0.5); /* 232+7 .. 232+17 */
    return (uint8_t)(ML_COLOR_GREY + lvl);
}

void ml_draw_image(ml_cells *c, int x0, int y0, int cw, int ch, const float *px, int rows, int cols, double lo,
                   double hi, int ascii)
{
    ml_draw_image_ex(c, x0, y0, cw, ch, px, rows, cols, lo, hi, ascii, 0);
}

void ml_draw_image_ex(ml_cells *c, int x0, int y0, int cw, int ch, const float *px, int rows, int cols, double lo,
                      double hi, int ascii, int diverging)
{
    int colored = diverging == 2; /* 1: signed data without colour, 2: with colour */
    static const char ramp[] = " .:-=+*#%@";
    double sx = (double)cols / cw, sy = (double)rows / (2.0 * ch);
    /* diverging: intensity is the distance from 0, the colour its sign */
    double m = fabs(lo) > fabs(hi) ? fabs(lo) : fabs(hi);
    double mid = diverging ? 0 : lo;
    for (int y = 0; y < ch; y++)
        for (int x = 0; x < cw; x++) {
            double c0 = x * sx, c1 = (x + 1) * sx;
            double rt = region_mean(px, rows, cols, 2 * y * sy, (2 * y + 1) * sy, c0, c1, mid);
            double rb = region_mean(px, rows, cols, (2 * y + 1) * sy, (2 * y + 2) * sy, c0, c1, mid);
            double t, b;
            uint8_t div_role = 0;
            if (diverging) {
                t = norm01(fabs(rt), 0, m);
                b = norm01(fabs(rb), 0, m);
                double dom = fabs(rt) > fabs(rb) ? rt : rb;
                div_role = (uint8_t)(dom >= 0 ? ML_COLOR_SERIES + 1 : ML_COLOR_SERIES + 0); /* orange +, blue - */
            } else {
                t = norm01(rt, lo, hi);
                b = norm01(rb, lo, hi);
            }
            double mx = t > b ? t : b, mean = (t + b) / 2;
            uint32_t g;
            if (diverging && (ascii || !colored) && div_role == ML_COLOR_SERIES + 0) {
                /* negative without colour: a glyph family of its own */
                double v = (mx + mean) / 2;
                g = v < 0.15 ? ' ' : v < 0.4 ? (ascii ? ',' : 0x00B7) : v < 0.7 ? '-' : '=';
            } else if (diverging && ascii) {
                double v = (mx + mean) / 2;
                g = v < 0.15 ? ' ' : v < 0.4 ? '.' : v < 0.7 ? '+' : '#';
            } else if (ascii) {
                double v = (mx + mean) / 2;
                int k = (int)(v * 9.999);
                g = (uint32_t)ramp[k < 0 ? 0 : k > 9 ? 9 : k];
            } else if (t >= 0.5 && b >= 0.5) g = 0x2588;          /* █ */
            else if (t >= 0.5 && b < 0.2) g = 0x2580;             /* ▀ */
            else if (b >= 0.5 && t < 0.2) g = 0x2584;             /* ▄ */
            else if (mean < 0.1) g = ' ';
            else if (mean < 0.3) g = 0x2591;                       /* ░ */
            else if (mean < 0.5) g = 0x2592;                       /* ▒ */
            else if (mean < 0.7) g = 0x2593;                       /* ▓ */
            else g = 0x2588;
            ml_cells_set(c, x0 + x, y0 + y, g,
                         g == ' ' ? ML_COLOR_DEFAULT : diverging ? div_role : ml_grey_role(mx));
        }
}

/* Value range of an image: [0,1] when the data lie in it, else min..max. */
static void image_range(const float *px, size_t n, const ml_plot_opts *o, double *lo, double *hi)
{
    double mn = INFINITY, mx = -INFINITY;
    for (size_t i = 0; i < n; i++)
        if (isfinite(px[i])) {
            if (px[i] < mn) mn = px[i];
            if (px[i] > mx) mx = px[i];
        }
    if (!isfinite(mn)) mn = 0, mx = 1;
    if (mn >= 0 && mx <= 1) mn = 0, mx = 1;
    *lo = isnan(o->vmin) ? mn : o->vmin;
    *hi = isnan(o->vmax) ? mx : o->vmax;
}

static ml_status check_pixels(const char *who, const float *px, int rows, int cols)
{
    if (!px || rows <= 0 || cols <= 0) return ml_fail(ML_EINVAL, "%s: empty image (%dx%d)", who, rows, cols);
    return ML_OK;
}

ml_status ml_plot_image(ml_text *out, const float *px, int rows, int cols, const ml_plot_opts *opts)
{
    ml_plot_opts o;
    ml_plot_opts_resolve(&o, opts);
    if (check_pixels("image", px, rows, cols)) return ML_EINVAL;
    int title = o.title && o.title[0];
    int cw = cols, ch = (rows + 1) / 2;
    if (o.width > 0 && cw > o.width) {
        cw = o.width;
        ch = (int)floor(rows * (double)cw / cols / 2 + 0.5);
    }
    if (o.height > 0 && ch > o.height - title) {
        ch = o.height - title;
        int w2 = (int)floor(cols * 2.0 * ch / rows + 0.5);
        if (w2 < cw) cw = w2;
    }
    if (ch < 1 || cw < 1)
        return ml_fail(ML_EINVAL, "image: a box of %dx%d cells is too small for a picture", o.width, o.height);
    int W = o.width > 0 ? o.width : cw, H = o.height > 0 ? o.height : ch + title;
    if (title && W < cw) W = cw;
    double lo, hi;
    image_range(px, (size_t)rows * cols, &o, &lo, &hi);
    ml_cells c;
    if (ml_cells_init(&c, W, H)) return ML_ENOMEM;
    c.ascii = o.ascii;
    int x0 = (W - cw) / 2;
    if (title) ml_cells_center(&c, 0, 0, W, o.title, ML_COLOR_TITLE);
    int div = lo < 0 && hi > 0 && isnan(o.vmin) && isnan(o.vmax) ? 1 + (o.color != 0) : 0;
    ml_draw_image_ex(&c, x0, title, cw, ch, px, rows, cols, lo, hi, o.ascii, div);
    ml_status st = ml_cells_emit(&c, out, o.color, o.ascii);
    ml_cells_free(&c);
    return st;
}

ml_status ml_plot_images(ml_text *out, const float *px, int n, int rows, int cols, const char *const *titles,
                         const ml_plot_opts *opts)
{
    ml_plot_opts o;
    ml_plot_opts_resolve(&o, opts);
    if (n <= 0) return ml_fail(ML_EINVAL, "images: no images to show");
    if (check_pixels("images", px, rows, cols)) return ML_EINVAL;
    int k = o.cols > 0 ? o.cols : 5;
    if (k > n) k = n;
    int nr = (n + k - 1) / k;
    int gap = 2;
    int W = o.width > 0 ? o.width : 80;
    int has_titles = 0;
    for (int i = 0; titles && i < n; i++)
        if (titles[i] && titles[i][0]) has_titles = 1;
    int tl = has_titles ? 1 : 0;
    int head = o.title && o.title[0] ? 1 : 0;
    /* widest images that fit the width (and the height, when given) */
    int iw = (W - gap * (k - 1)) / k;
    if (iw > cols) iw = cols;
    int ih = 0;
    for (; iw >= 1; iw--) {
        ih = (int)floor(rows * (double)iw / cols / 2 + 0.5);
        if (ih < 1) ih = 1;
        int need = head + nr * (tl + ih) + (nr - 1);
        if (o.height <= 0 || need <= o.height) break;
    }
    if (iw < 3)
    {
        if (o.height > 0)
            return ml_fail(ML_EINVAL, "images: %d images in %d columns do not fit in a box of %dx%d cells", n, k, W,
                           o.height);
        return ml_fail(ML_EINVAL, "images: %d columns of images do not fit in a width of %d cells", k, W);
    }
    int natural_w = k * iw + gap * (k - 1);
    if (o.width <= 0) W = natural_w;
    int H = o.height > 0 ? o.height : head + nr * (tl + ih) + (nr - 1);
    double lo, hi;
    image_range(px, (size_t)n * rows * cols, &o, &lo, &hi);
    ml_cells c;
    if (ml_cells_init(&c, W, H)) return ML_ENOMEM;
    c.ascii = o.ascii;
    if (head) ml_cells_center(&c, 0, 0, natural_w, o.title, ML_COLOR_TITLE);
    int div = lo < 0 && hi > 0 && isnan(o.vmin) && isnan(o.vmax) ? 1 + (o.color != 0) : 0;
    for (int i = 0; i < n; i++) {
        int gx = (i % k) * (iw + gap), gy = head + (i / k) * (tl + ih + 1);
        if (tl && titles[i]) ml_cells_center(&c, gx, gy, iw, titles[i], ML_COLOR_LABEL);
        ml_draw_image_ex(&c, gx, gy + tl, iw, ih, px + (size_t)i * rows * cols, rows, cols, lo, hi, o.ascii, div);
    }
    ml_status st = ml_cells_emit(&c, out, o.color, o.ascii);
    ml_cells_free(&c);
    return st;
}
