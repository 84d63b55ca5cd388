/* Cell rectangles, UTF-8 and number formatting shared by every chart. */
#include "plot/cells.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ml_plot_opts_init(ml_plot_opts *o)
{
    memset(o, 0, sizeof *o);
    o->color = 1;
    o->canvas = ML_CANVAS_AUTO;
    o->xmin = o->xmax = o->ymin = o->ymax = NAN;
    o->vmin = o->vmax = NAN;
    o->legend = -1;
    o->values = -1;
    o->horizontal = -1;
    o->markers = -1;
}

void ml_plot_opts_resolve(ml_plot_opts *dst, const ml_plot_opts *src)
{
    if (src) *dst = *src;
    else ml_plot_opts_init(dst);
    if (dst->ascii) dst->canvas = ML_CANVAS_ASCII;
    else if (dst->canvas == ML_CANVAS_AUTO) dst->canvas = ML_CANVAS_BRAILLE;
}

ml_status ml_cells_init(ml_cells *c, int w, int h)
{
    memset(c, 0, sizeof *c);
    if (w <= 0 || h <= 0) return ml_fail(ML_EINVAL, "plot: box of %dx%d cells is empty", w, h);
    if ((int64_t)w * h > 4000000) return ml_fail(ML_EINVAL, "plot: box of %dx%d cells is too large", w, h);
    size_t n = (size_t)w * (size_t)h;
    c->ch = malloc(n * sizeof *c->ch);
    c->col = calloc(n, 1);
    if (!c->ch || !c->col) {
        ml_cells_free(c);
        return ml_fail(ML_ENOMEM, "plot: out of memory");
    }
    for (size_t i = 0; i < n; i++) c->ch[i] = ' ';
    c->w = w;
    c->h = h;
    return ML_OK;
}

void ml_cells_free(ml_cells *c)
{
    free(c->ch);
    free(c->col);
    memset(c, 0, sizeof *c);
}

void ml_cells_set(ml_cells *c, int x, int y, uint32_t cp, uint8_t col)
{
    if (x < 0 || y < 0 || x >= c->w || y >= c->h) return;
    c->ch[(size_t)y * c->w + x] = cp;
    c->col[(size_t)y * c->w + x] = col;
}

uint32_t ml_cells_get(const ml_cells *c, int x, int y)
{
    if (x < 0 || y < 0 || x >= c->w || y >= c->h) return 0;
    return c->ch[(size_t)y * c->w + x];
}

int ml_cells_text(ml_cells *c, int x, int y, const char *s, uint8_t col, int maxw)
{
    int n = 0;
    while (*s && (maxw < 0 || n < maxw)) {
        uint32_t cp = ml_utf8_next(&s);
        if (cp < 32) cp = ' ';
        ml_cells_set(c, x + n, y, cp, col);
        n++;
    }
    return n;
}

void ml_cells_center(ml_cells *c, int x, int y, int w, const char *s, uint8_t col)
{
    char buf[512];
    int n = ml_fit(buf, sizeof buf, s, w, c->ascii);
    ml_cells_text(c, x + (w - n) / 2, y, buf, col, n);
}

ml_status ml_cells_emit(const ml_cells *c, ml_text *out, int color, int ascii)
{
    char *line = malloc((size_t)c->w * 4 + 1);
    uint8_t *roles = malloc((size_t)c->w);
    if (!line || !roles) {
        free(line);
        free(roles);
        return ml_fail(ML_ENOMEM, "plot: out of memory");
    }
    ml_status st = ML_OK;
    for (int y = 0; y < c->h && !st; y++) {
        char *p = line;
        for (int x = 0; x < c->w; x++) {
            uint32_t cp = c->ch[(size_t)y * c->w + x];
            if (cp == 0 || cp < 32) cp = ' ';
            if (ascii && cp > 126) cp = '?';
            p += ml_utf8_put(p, cp);
            roles[x] = color ? c->col[(size_t)y * c->w + x] : ML_COLOR_DEFAULT;
        }
        *p = 0;
        st = ml_text_add(out, line, roles, c->w, 0);
    }
    free(line);
    free(roles);
    return st;
}

/* ---- UTF-8 ---- */
int ml_utf8_put(char *b, uint32_t cp)
{
    if (cp < 0x80) {
        b[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        b[0] = (char)(0xC0 | (cp >> 6));
        b[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        b[0] = (char)(0xE0 | (cp >> 12));
        b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    b[0] = (char)(0xF0 | (cp >> 18));
    b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    b[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

uint32_t ml_utf8_next(const char **sp)
{
    const unsigned char *s = (const unsigned char *)*sp;
    uint32_t cp;
    int n;
    if (s[0] < 0x80) {
        *sp += 1;
        return s[0];
    } else if ((s[0] & 0xE0) == 0xC0) {
        cp = s[0] & 0x1F;
        n = 1;
    } else if ((s[0] & 0xF0) == 0xE0) {
        cp = s[0] & 0x0F;
        n = 2;
    } else if ((s[0] & 0xF8) == 0xF0) {
        cp = s[0] & 0x07;
        n = 3;
    } else {
        *sp += 1;
        return 0xFFFD;
    }
    for (int i = 1; i <= n; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *sp += i;
            return 0xFFFD;
        }
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    *sp += n + 1;
    return cp;
}

int ml_utf8_width(const char *s)
{
    int n = 0;
    while (*s) {
        ml_utf8_next(&s);
        n++;
    }
    return n;
}

int ml_fit(char *buf, int bufsize, const char *s, int w, int ascii)
{
    if (bufsize <= 0) return 0;
    buf[0] = 0;
    if (w <= 0) return 0;
    int total = ml_utf8_width(s);
    int keep = total <= w ? total : w - 1;
    char *p = buf, *end = buf + bufsize - 5;
    int n = 0;
    const char *q = s;
    while (*q && n < keep && p < end) {
        uint32_t cp = ml_utf8_next(&q);
        if (cp < 32) cp = ' ';
        if (ascii && cp > 126) cp = '?';
        p += ml_utf8_put(p, cp);
        n++;
    }
    if (total > w && p < end + 4) {
        p += ml_utf8_put(p, ascii ? '~' : 0x2026);
        n++;
    }
    *p = 0;
    return n;
}

/* ---- numbers ---- */
static void strip_zeros(char *b)
{
    char *e = strchr(b, 'e');
    char exp[16] = "";
    if (e) {
        snprintf(exp, sizeof exp, "%s", e);
        *e = 0;
    }
    if (strchr(b, '.')) {
        size_t n = strlen(b);
        while (n > 0 && b[n - 1] == '0') b[--n] = 0;
        if (n > 0 && b[n - 1] == '.') b[--n] = 0;
    }
    if (e) strcat(b, exp);
}

int ml_fmt_num(char *buf, int bufsize, double v, int w)
{
    char t[64];
    if (isnan(v)) snprintf(t, sizeof t, "nan");
    else if (isinf(v)) snprintf(t, sizeof t, v > 0 ? "inf" : "-inf");
    else {
        double a = fabs(v);
        /* plain: integers exactly, others with up to 4 significant digits */
        if (a < 1e15 && v == floor(v)) snprintf(t, sizeof t, "%.0f", v);
        else if (a >= 1e-4 && a < 1e15) {
            snprintf(t, sizeof t, "%.4g", v);
            strip_zeros(t);
            if (strchr(t, 'e')) {
                int dec = a >= 1 ? 0 : (int)ceil(-log10(a)) + 3;
                snprintf(t, sizeof t, "%.*f", dec, v);
                strip_zeros(t);
            }
        } else {
            snprintf(t, sizeof t, "%.3g", v);
            strip_zeros(t);
        }
        if ((int)strlen(t) > w) {
            /* fewer significant digits */
            for (int sig = 3; sig >= 1 && (int)strlen(t) > w; sig--) {
                if (a >= 1e-3 && a < 1e4) {
                    snprintf(t, sizeof t, "%.*g", sig, v);
                    strip_zeros(t);
                }
            }
        }
        if ((int)strlen(t) > w && a >= 1000) {
            static const char suf[] = "kMGTPE";
            double s = a;
            int k = -1;
            while (s >= 1000 && k < 5) {
                s /= 1000;
                k++;
            }
            for (int sig = 3; sig >= 2; sig--) {
                snprintf(t, sizeof t, "%s%.*g%c", v < 0 ? "-" : "", sig, s, suf[k]);
                if ((int)strlen(t) <= w) break;
            }
        }
        if ((int)strlen(t) > w) {
            for (int sig = 2; sig >= 0; sig--) {
                snprintf(t, sizeof t, "%.*e", sig, v);
                /* 1.5e+06 -> 1.5e6 */
                char *e = strchr(t, 'e');
                if (e) {
                    char *d = e + 1;
                    int neg = *d == '-';
                    if (*d == '+' || *d == '-') d++;
                    while (*d == '0' && d[1]) d++;
                    char tmp[16];
                    snprintf(tmp, sizeof tmp, "e%s%s", neg ? "-" : "", d);
                    strcpy(e, tmp);
                }
                if ((int)strlen(t) <= w) break;
            }
        }
    }
    snprintf(buf, (size_t)bufsize, "%s", t);
    int n = (int)strlen(buf);
    return n <= w ? n : -1;
}

int ml_fmt_tick(char *buf, int bufsize, double v, double step, int w)
{
    if (fabs(v) < step * 1e-9) v = 0;
    double a = fabs(v);
    if (step > 0 && a < 1e7 && (a == 0 || a >= 1e-4)) {
        int dec = 0;
        if (step < 1) dec = (int)ceil(-log10(step) - 1e-9);
        /* 0.25 steps need two decimals */
        double scaled = step * pow(10, dec);
        if (fabs(scaled - floor(scaled + 0.5)) > 1e-6 && dec < 10) dec++;
        char t[64];
        snprintf(t, sizeof t, "%.*f", dec, v);
        if ((int)strlen(t) <= w) {
            snprintf(buf, (size_t)bufsize, "%s", t);
            return (int)strlen(buf);
        }
    }
    return ml_fmt_num(buf, bufsize, v, w);
}
