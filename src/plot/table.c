/* Tables: header, alignment, column widths from the content, box-drawing or
 * ASCII rules; too wide tables shrink their widest text columns. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plot/draw.h"

int ml_is_number_text(const char *s)
{
    if (!s) return 0;
    while (*s == ' ') s++;
    if (!*s) return 0;
    char *end;
    strtod(s, &end);
    if (end == s) return 0;
    if (*end == '%') end++;
    while (*end == ' ') end++;
    return *end == 0;
}

/* Greedy word wrap of s into lines of at most w cells: segment k is code
 * points [a[k], b[k]) of cp.  At most maxl lines; returns the count and sets
 * *cut when text remained. */
#define WRAP_MAX 8
static int wrap(const uint32_t *cp, int n, int w, int *a, int *b, int maxl, int *cut)
{
    int k = 0, i = 0;
    *cut = 0;
    while (i < n && k < maxl) {
        while (i < n && cp[i] == ' ' && k > 0) i++; /* no leading spaces on continued lines */
        if (i >= n) break;
        int end = i + w;
        if (end >= n) {
            a[k] = i;
            b[k++] = n;
            i = n;
            break;
        }
        int brk = -1;
        for (int j = end; j > i; j--)
            if (cp[j] == ' ') {
                brk = j;
                break;
            }
        a[k] = i;
        b[k++] = brk > i ? brk : end;
        i = brk > i ? brk + 1 : end;
    }
    if (i < n) *cut = 1;
    if (k == 0) {
        a[0] = b[0] = 0;
        k = 1;
    }
    return k;
}

static int to_cps(const char *s, uint32_t *cp, int max)
{
    int n = 0;
    while (*s && n < max) {
        uint32_t c = ml_utf8_next(&s);
        cp[n++] = c < 32 ? ' ' : c;
    }
    return n;
}

ml_status ml_plot_table(ml_text *out, const char *const *cells, int nrows, int ncols, const char *const *header,
                        const char *align, const ml_plot_opts *opts)
{
    ml_plot_opts o;
    ml_plot_opts_resolve(&o, opts);
    if (ncols <= 0) return ml_fail(ML_EINVAL, "table: no columns");
    if (nrows < 0 || (nrows > 0 && !cells)) return ml_fail(ML_EINVAL, "table: no rows");
    if (ncols > 64) return ml_fail(ML_EINVAL, "table: at most 64 columns, got %d", ncols);
    if (align && (int)strlen(align) < ncols)
        return ml_fail(ML_EINVAL, "table: align \"%s\" names %d columns, the table has %d", align,
                       (int)strlen(align), ncols);
    int w[64], minw[64];
    char al[64];
    for (int j = 0; j < ncols; j++) {
        w[j] = header && header[j] ? ml_utf8_width(header[j]) : 0;
        int numeric = 1, any = 0;
        for (int i = 0; i < nrows; i++) {
            const char *s = cells[(size_t)i * ncols + j];
            if (!s || !*s) continue;
            any = 1;
            int k = ml_utf8_width(s);
            if (k > w[j]) w[j] = k;
            if (!ml_is_number_text(s)) numeric = 0;
        }
        if (w[j] < 1) w[j] = 1;
        al[j] = align ? align[j] : (numeric && any ? 'r' : 'l');
        if (al[j] != 'l' && al[j] != 'r' && al[j] != 'c')
            return ml_fail(ML_EINVAL, "table: align letter '%c' must be l, r or c", al[j]);
        /* numbers are never cut: their column keeps its width; text columns
         * first shrink no further than their longest word (wrapping between
         * words), and only then down to 3 cells */
        if (numeric) minw[j] = w[j];
        else {
            int lw = 1;
            for (int i = -1; i < nrows; i++) {
                const char *str = i < 0 ? (header && header[j] ? header[j] : "") : cells[(size_t)i * ncols + j];
                int run = 0;
                for (const char *q = str ? str : ""; *q;) {
                    uint32_t cpt = ml_utf8_next(&q);
                    run = cpt == ' ' ? 0 : run + 1;
                    if (run > lw) lw = run;
                }
            }
            minw[j] = lw < w[j] ? lw : w[j];
        }
    }
    int natural = 1;
    for (int j = 0; j < ncols; j++) natural += w[j] + 3;
    int W = o.width > 0 ? o.width : natural;
    /* shrink the widest shrinkable column until the table fits */
    int total = natural;
    for (int pass = 0; total > W; ) {
        int best = -1;
        for (int j = 0; j < ncols; j++)
            if (w[j] > minw[j] && (best < 0 || w[j] - minw[j] > w[best] - minw[best])) best = j;
        if (best < 0) {
            if (pass == 0) {
                /* words must break now: text columns may go down to 3 cells */
                pass = 1;
                for (int j = 0; j < ncols; j++)
                    if (minw[j] > 3 && !(al[j] == 'r' && !align)) minw[j] = 3;
                continue;
            }
            return ml_fail(ML_EINVAL, "table: %d columns need %d cells, the box has %d", ncols, total, W);
        }
        w[best]--;
        total--;
    }
    /* rows grow to hold wrapped text */
    int head = o.title && o.title[0];
    int need = head + 2 + (header ? 2 : 0);
    int *rowh = malloc(sizeof *rowh * (size_t)(nrows > 0 ? nrows : 1));
    uint32_t *cp = malloc(sizeof *cp * 1024);
    if (!rowh || !cp) {
        free(rowh);
        free(cp);
        return ml_fail(ML_ENOMEM, "table: out of memory");
    }
    for (int i = 0; i < nrows; i++) {
        rowh[i] = 1;
        for (int j = 0; j < ncols; j++) {
            const char *str = cells[(size_t)i * ncols + j];
            int a[WRAP_MAX], b[WRAP_MAX], cut;
            int k = wrap(cp, to_cps(str ? str : "", cp, 1024), w[j], a, b, WRAP_MAX, &cut);
            if (k > rowh[i]) rowh[i] = k;
        }
        need += rowh[i];
    }
    /* when a row wraps, rules between rows show where each one ends */
    int wrapped = 0;
    for (int i = 0; i < nrows; i++)
        if (rowh[i] > 1) wrapped = 1;
    if (wrapped && nrows > 1) need += nrows - 1;
    int H = o.height > 0 ? o.height : need;
    ml_cells c;
    if (H < need || ml_cells_init(&c, W, H)) {
        free(rowh);
        free(cp);
        if (H < need)
            return ml_fail(ML_EINVAL, "table: %d rows need a height of %d, the box has %d", nrows, need, H);
        return ML_ENOMEM;
    }
    c.ascii = o.ascii;
    int y = 0;
    if (head) ml_cells_center(&c, 0, y++, total, o.title, ML_COLOR_TITLE);
    /* rules: 0 top, 1 under the header, 2 bottom */
    static const uint32_t U[3][4] = {{0x250C, 0x2500, 0x252C, 0x2510},
                                     {0x251C, 0x2500, 0x253C, 0x2524},
                                     {0x2514, 0x2500, 0x2534, 0x2518}};
    uint32_t vbar = o.ascii ? '|' : 0x2502;
    int nitems = 2 + (header ? 2 : 0) + nrows; /* rules, header, rows */
    for (int item = 0; item < nitems; item++) {
        int kind, row = -1; /* kind: 0..2 rule (top, under header, bottom), 3 header, 4 row */
        if (item == 0) kind = 0;
        else if (header && item == 1) kind = 3;
        else if (header && item == 2) kind = 1;
        else if (item == nitems - 1) kind = 2;
        else {
            kind = 4;
            row = item - 1 - (header ? 2 : 0);
        }
        if (kind <= 2) {
            int x = 0;
            for (int j = 0; j < ncols; j++) {
                ml_cells_set(&c, x++, y, o.ascii ? '+' : (j ? U[kind][2] : U[kind][0]), ML_COLOR_AXIS);
                for (int q = 0; q < w[j] + 2; q++) ml_cells_set(&c, x++, y, o.ascii ? '-' : U[kind][1], ML_COLOR_AXIS);
            }
            ml_cells_set(&c, x, y, o.ascii ? '+' : U[kind][3], ML_COLOR_AXIS);
            y++;
            continue;
        }
        int hgt = kind == 3 ? 1 : rowh[row];
        int x = 0;
        for (int j = 0; j < ncols; j++) {
            for (int r = 0; r < hgt; r++) ml_cells_set(&c, x, y + r, vbar, ML_COLOR_AXIS);
            x += 2;
            const char *str = kind == 3 ? (header[j] ? header[j] : "") : cells[(size_t)row * ncols + j];
            if (!str) str = "";
            uint8_t role = kind == 3 ? ML_COLOR_TITLE : ML_COLOR_DEFAULT;
            if (kind == 3) {
                char f[1024];
                int k = ml_fit(f, sizeof f, str, w[j], o.ascii);
                int pad = al[j] == 'r' ? w[j] - k : al[j] == 'c' ? (w[j] - k) / 2 : 0;
                ml_cells_text(&c, x + pad, y, f, role, k);
            } else {
                int n = to_cps(str, cp, 1024);
                int a[WRAP_MAX], b[WRAP_MAX], cut;
                int k = wrap(cp, n, w[j], a, b, WRAP_MAX, &cut);
                for (int r = 0; r < k; r++) {
                    int len = b[r] - a[r];
                    int pad = al[j] == 'r' ? w[j] - len : al[j] == 'c' ? (w[j] - len) / 2 : 0;
                    for (int q = 0; q < len; q++) {
                        uint32_t g = cp[a[r] + q];
                        if (o.ascii && g > 126) g = '?';
                        ml_cells_set(&c, x + pad + q, y + r, g, role);
                    }
                    if (cut && r == k - 1 && len > 0)
                        ml_cells_set(&c, x + pad + len - 1, y + r, o.ascii ? '~' : 0x2026, role);
                }
            }
            x += w[j] + 1;
        }
        for (int r = 0; r < hgt; r++) ml_cells_set(&c, x, y + r, vbar, ML_COLOR_AXIS);
        y += hgt;
        if (kind == 4 && wrapped && row < nrows - 1) {
            x = 0;
            for (int j = 0; j < ncols; j++) {
                ml_cells_set(&c, x++, y, o.ascii ? '+' : U[1][j ? 2 : 0], ML_COLOR_AXIS);
                for (int q = 0; q < w[j] + 2; q++) ml_cells_set(&c, x++, y, o.ascii ? '-' : U[1][1], ML_COLOR_AXIS);
            }
            ml_cells_set(&c, x, y, o.ascii ? '+' : U[1][3], ML_COLOR_AXIS);
            y++;
        }
    }
    free(rowh);
    free(cp);
    ml_status st = ml_cells_emit(&c, out, o.color, o.ascii);
    ml_cells_free(&c);
    return st;
}
