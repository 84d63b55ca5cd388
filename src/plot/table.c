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
        /* numbers are never cut: their column keeps its width */
        minw[j] = numeric ? w[j] : (w[j] < 3 ? w[j] : 3);
    }
    int boxed = 1;
    int natural = 1;
    for (int j = 0; j < ncols; j++) natural += w[j] + 3;
    int W = o.width > 0 ? o.width : natural;
    /* shrink the widest shrinkable column until the table fits */
    int total = natural;
    while (total > W) {
        int best = -1;
        for (int j = 0; j < ncols; j++)
            if (w[j] > minw[j] && (best < 0 || w[j] > w[best])) best = j;
        if (best < 0)
            return ml_fail(ML_EINVAL, "table: %d columns need %d cells, the box has %d", ncols, total, W);
        w[best]--;
        total--;
    }
    int head = o.title && o.title[0];
    int need = head + 2 + (header ? 2 : 0) + nrows;
    int H = o.height > 0 ? o.height : need;
    if (H < need) return ml_fail(ML_EINVAL, "table: %d rows need a height of %d, the box has %d", nrows, need, H);
    ml_cells c;
    if (ml_cells_init(&c, W, H)) return ML_ENOMEM;
    c.ascii = o.ascii;
    int y = 0;
    if (head) ml_cells_center(&c, 0, y++, total, o.title, ML_COLOR_TITLE);
    /* rules: 0 top, 1 under the header, 2 bottom */
    static const uint32_t U[3][4] = {{0x250C, 0x2500, 0x252C, 0x2510},
                                     {0x251C, 0x2500, 0x253C, 0x2524},
                                     {0x2514, 0x2500, 0x2534, 0x2518}};
    uint32_t vbar = o.ascii ? '|' : 0x2502;
    (void)boxed;
    for (int pass = 0; pass < nrows + 3 + (header ? 1 : 0); pass++) {
        /* order: top rule, [header, rule], rows, bottom rule */
        int kind; /* 0..2 rule, 3 header, 4 row */
        int row = -1;
        if (pass == 0) kind = 0;
        else if (header && pass == 1) kind = 3;
        else if (header && pass == 2) kind = 1;
        else if (pass == nrows + 1 + (header ? 2 : 0)) kind = 2;
        else {
            kind = 4;
            row = pass - 1 - (header ? 2 : 0);
        }
        if (kind == 4 && (row < 0 || row >= nrows)) continue;
        if (kind <= 2) {
            int x = 0;
            for (int j = 0; j < ncols; j++) {
                ml_cells_set(&c, x++, y, o.ascii ? '+' : (j ? U[kind][2] : U[kind][0]), ML_COLOR_AXIS);
                for (int q = 0; q < w[j] + 2; q++) ml_cells_set(&c, x++, y, o.ascii ? '-' : U[kind][1], ML_COLOR_AXIS);
            }
            ml_cells_set(&c, x, y, o.ascii ? '+' : U[kind][3], ML_COLOR_AXIS);
        } else {
            int x = 0;
            for (int j = 0; j < ncols; j++) {
                ml_cells_set(&c, x, y, vbar, ML_COLOR_AXIS);
                x += 2;
                const char *s = kind == 3 ? (header[j] ? header[j] : "") : cells[(size_t)row * ncols + j];
                if (!s) s = "";
                char f[1024];
                int k = ml_fit(f, sizeof f, s, w[j], o.ascii);
                int pad = al[j] == 'r' ? w[j] - k : al[j] == 'c' ? (w[j] - k) / 2 : 0;
                ml_cells_text(&c, x + pad, y, f, kind == 3 ? ML_COLOR_TITLE : ML_COLOR_DEFAULT, k);
                x += w[j] + 1;
            }
            ml_cells_set(&c, x, y, vbar, ML_COLOR_AXIS);
        }
        y++;
    }
    ml_status st = ml_cells_emit(&c, out, o.color, o.ascii);
    ml_cells_free(&c);
    return st;
}
