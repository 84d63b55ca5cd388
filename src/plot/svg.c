/* Any chart as SVG (for reports) and as one plain string.
 *
 * Each cell becomes geometry where the glyph is geometry (blocks, partial
 * blocks and shades become rectangles, braille dots become small squares),
 * so bars, images and curves are crisp at any zoom; other glyphs are text in
 * a monospace font, positioned per run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fileio.h"
#include "core/strbuf.h"
#include "plot/cells.h"

#define CW 8.4  /* cell width in px (0.6 em at 14 px) */
#define CH 17.0 /* line height */

static void rgb_of(int idx, int *r, int *g, int *b)
{
    static const int base[16][3] = {{0, 0, 0},       {205, 0, 0},     {0, 205, 0},     {205, 205, 0},
                                    {0, 0, 238},     {205, 0, 205},   {0, 205, 205},   {229, 229, 229},
                                    {127, 127, 127}, {255, 0, 0},     {0, 255, 0},     {255, 255, 0},
                                    {92, 92, 255},   {255, 0, 255},   {0, 255, 255},   {255, 255, 255}};
    if (idx < 0) { /* the default foreground of our dark page */
        *r = *g = *b = 0xdd;
    } else if (idx < 16) {
        *r = base[idx][0];
        *g = base[idx][1];
        *b = base[idx][2];
    } else if (idx < 232) {
        static const int lv[6] = {0, 95, 135, 175, 215, 255};
        int i = idx - 16;
        *r = lv[i / 36];
        *g = lv[(i / 6) % 6];
        *b = lv[i % 6];
    } else {
        *r = *g = *b = 8 + 10 * (idx - 232);
    }
}

static void fill_of(uint8_t role, char *buf, size_t n)
{
    int r, g, b;
    rgb_of(ml_color_ansi256(role), &r, &g, &b);
    snprintf(buf, n, "#%02x%02x%02x", r, g, b);
}

/* Geometry for block and braille glyphs; 0 if the glyph is text. */
static int cell_geometry(ml_strbuf *s, uint32_t cp, double x, double y, const char *fill)
{
    if (cp == 0x2588) ml_strbuf_printf(s, "<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' fill='%s'/>", x, y, CW, CH, fill);
    else if (cp == 0x2580) ml_strbuf_printf(s, "<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' fill='%s'/>", x, y, CW, CH / 2, fill);
    else if (cp >= 0x2581 && cp <= 0x2587) {
        double h = CH * (double)(cp - 0x2580) / 8;
        ml_strbuf_printf(s, "<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' fill='%s'/>", x, y + CH - h, CW, h, fill);
    } else if (cp >= 0x2589 && cp <= 0x258F) {
        double w = CW * (double)(0x2590 - cp) / 8;
        ml_strbuf_printf(s, "<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' fill='%s'/>", x, y, w, CH, fill);
    } else if (cp >= 0x2591 && cp <= 0x2593) {
        double op = 0.25 * (double)(cp - 0x2590);
        ml_strbuf_printf(s, "<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' fill='%s' fill-opacity='%.2f'/>", x, y, CW, CH,
               fill, op);
    } else if (cp > 0x2800 && cp <= 0x28FF) {
        static const int dx[8] = {0, 0, 0, 1, 1, 1, 0, 1}, dy[8] = {0, 1, 2, 0, 1, 2, 3, 3};
        unsigned bits = cp - 0x2800;
        for (int i = 0; i < 8; i++)
            if (bits & (1u << i))
                ml_strbuf_printf(s, "<rect x='%.1f' y='%.1f' width='2.4' height='2.4' fill='%s'/>",
                       x + 1.5 + dx[i] * CW / 2, y + 1.5 + dy[i] * CH / 4, fill);
    } else return cp == 0x2800;
    return 1;
}

ml_status ml_text_write_svg(const ml_text *t, const char *path)
{
    if (!t || !path || !path[0]) return ml_fail(ML_EINVAL, "save_svg: no file name");
    int w = 1;
    for (int i = 0; i < t->nlines; i++)
        if (t->lines[i].ncells > w) w = t->lines[i].ncells;
    ml_strbuf s = {0};
    double W = w * CW + 16, H = t->nlines * CH + 16;
    ml_strbuf_printf(&s,
           "<?xml version='1.0' encoding='UTF-8'?>\n"
           "<svg xmlns='http://www.w3.org/2000/svg' width='%.0f' height='%.0f' viewBox='0 0 %.0f %.0f'>\n"
           "<rect width='100%%' height='100%%' fill='#1c1c1c'/>\n"
           "<g transform='translate(8 8)' font-family='DejaVu Sans Mono, Menlo, Consolas, monospace' "
           "font-size='14' xml:space='preserve'>\n",
           W, H, W, H);
    for (int i = 0; i < t->nlines; i++) {
        const ml_textline *l = &t->lines[i];
        const char *p = l->text;
        double y = i * CH;
        int cell = 0;
        /* a run of text glyphs of one colour */
        char run[4096];
        size_t rn = 0;
        int run_x = 0, run_cells = 0, run_role = -1;
        for (;;) {
            uint32_t cp = *p ? ml_utf8_next(&p) : 0;
            uint8_t role = cp && cell < l->ncells ? l->color[cell] : 0;
            char fill[16];
            fill_of(role, fill, sizeof fill);
            /* a space continues a run of text, or is nothing */
            int geom = cp ? (cp == ' ' ? !run_cells : 0) : 1;
            if (cp && cp != ' ') {
                ml_strbuf tmp = {0};
                geom = cell_geometry(&tmp, cp, cell * CW, y, fill);
                if (geom && tmp.s) ml_strbuf_printf(&s, "%s", tmp.s);
                free(tmp.s);
            }
            /* flush the run when it ends */
            if (run_cells && (geom || role != run_role || rn > sizeof run - 16)) {
                char rf[16];
                fill_of((uint8_t)run_role, rf, sizeof rf);
                run[rn] = 0;
                ml_strbuf_printf(&s, "<text x='%.1f' y='%.1f' fill='%s' textLength='%.1f' lengthAdjust='spacingAndGlyphs'>%s</text>\n",
                       run_x * CW, y + CH * 0.78, rf, run_cells * CW, run);
                rn = 0;
                run_cells = 0;
            }
            if (!cp) break;
            if (!geom) {
                if (!run_cells) {
                    run_x = cell;
                    run_role = role;
                }
                const char *esc = cp == '<' ? "&lt;" : cp == '>' ? "&gt;" : cp == '&' ? "&amp;" : cp == '\'' ? "&apos;" : NULL;
                if (esc) {
                    memcpy(run + rn, esc, strlen(esc));
                    rn += strlen(esc);
                } else {
                    rn += (size_t)ml_utf8_put(run + rn, cp);
                }
                run_cells++;
            }
            cell++;
        }
    }
    ml_strbuf_printf(&s, "</g>\n</svg>\n");
    if (s.failed) {
        free(s.s);
        return ml_fail(ML_ENOMEM, "save_svg: out of memory");
    }
    ml_status st = ml_write_file_atomic(path, s.s, s.n);
    free(s.s);
    return st;
}

char *ml_text_plain(const ml_text *t)
{
    size_t n = 1;
    for (int i = 0; i < t->nlines; i++) n += strlen(t->lines[i].text) + 1;
    char *s = malloc(n), *p = s;
    if (!s) return NULL;
    for (int i = 0; i < t->nlines; i++) {
        size_t k = strlen(t->lines[i].text);
        memcpy(p, t->lines[i].text, k);
        p += k;
        if (i < t->nlines - 1) *p++ = '\n';
    }
    *p = 0;
    return s;
}
