/* Pixel canvases drawn with braille dots (2x4 per cell), half blocks (1x2)
 * or plain characters (1x1, slope glyphs for lines). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plot/draw.h"

ml_status ml_canvas_init(ml_canvas *cv, int cw, int ch, ml_canvas_mode mode, int nclass)
{
    memset(cv, 0, sizeof *cv);
    if (cw <= 0 || ch <= 0) return ml_fail(ML_EINVAL, "plot: empty canvas");
    if (nclass < 1) nclass = 1;
    cv->cw = cw;
    cv->ch = ch;
    cv->mode = mode == ML_CANVAS_AUTO ? ML_CANVAS_BRAILLE : mode;
    cv->sx = cv->mode == ML_CANVAS_BRAILLE ? 2 : 1;
    cv->sy = cv->mode == ML_CANVAS_BRAILLE ? 4 : cv->mode == ML_CANVAS_HALF ? 2 : 1;
    cv->nclass = nclass;
    size_t n = (size_t)cw * ch;
    cv->mask = calloc(n, 1);
    cv->glyph = calloc(n, 1);
    cv->votes = calloc(n * (size_t)nclass, sizeof *cv->votes);
    if (!cv->mask || !cv->glyph || !cv->votes) {
        ml_canvas_free(cv);
        return ml_fail(ML_ENOMEM, "plot: out of memory");
    }
    return ML_OK;
}

void ml_canvas_free(ml_canvas *cv)
{
    free(cv->mask);
    free(cv->glyph);
    free(cv->votes);
    memset(cv, 0, sizeof *cv);
}

static inline void set_pixel(ml_canvas *cv, int px, int py, int cls, uint8_t g)
{
    if (px < 0 || py < 0) return;
    int cx = px / cv->sx, cy = py / cv->sy;
    if (cx >= cv->cw || cy >= cv->ch) return;
    size_t i = (size_t)cy * cv->cw + cx;
    int dx = px - cx * cv->sx, dy = py - cy * cv->sy;
    uint8_t bit;
    if (cv->mode == ML_CANVAS_BRAILLE) {
        static const uint8_t b[2][4] = {{0x01, 0x02, 0x04, 0x40}, {0x08, 0x10, 0x20, 0x80}};
        bit = b[dx][dy];
    } else if (cv->mode == ML_CANVAS_HALF) {
        bit = (uint8_t)(dy ? 2 : 1);
    } else {
        bit = 1;
        if (g) cv->glyph[i] = g;
    }
    cv->mask[i] |= bit;
    if (cls < 0) cls = 0;
    if (cls >= cv->nclass) cls = cv->nclass - 1;
    uint32_t *v = &cv->votes[i * (size_t)cv->nclass + (size_t)cls];
    if (*v < UINT32_MAX) (*v)++;
}

void ml_canvas_dot(ml_canvas *cv, int px, int py, int cls) { set_pixel(cv, px, py, cls, '*'); }

static void line_px(ml_canvas *cv, int x0, int y0, int x1, int y1, int cls, uint8_t g)
{
    int dx = abs(x1 - x0), dy = -abs(y1 - y0);
    int sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
    /* clip far-away segments cheaply: Bresenham over the visible box only */
    long steps = 0, maxsteps = 4L * (cv->cw * cv->sx + cv->ch * cv->sy) + 16;
    int err = dx + dy;
    for (;;) {
        set_pixel(cv, x0, y0, cls, g);
        if ((x0 == x1 && y0 == y1) || ++steps > maxsteps) break;
        int e2 = 2 * err;
        if (e2 >= dy) {
            err += dy;
            x0 += sx;
        }
        if (e2 <= dx) {
            err += dx;
            y0 += sy;
        }
    }
}

void ml_canvas_line(ml_canvas *cv, double x0, double y0, double x1, double y1, int cls)
{
    uint8_t g = '*';
    if (cv->mode == ML_CANVAS_ASCII) {
        /* the slope as seen: a cell is about twice as tall as wide */
        double ax = fabs(x1 - x0), ay = 2 * fabs(y1 - y0);
        if (ay <= 0.414 * ax) g = '-';
        else if (ay >= 2.414 * ax) g = '|';
        else g = (x1 > x0) == (y1 < y0) ? '/' : '\\';
    }
    line_px(cv, (int)lround(x0), (int)lround(y0), (int)lround(x1), (int)lround(y1), cls, g);
}

void ml_canvas_render(const ml_canvas *cv, ml_cells *c, int x0, int y0, const uint8_t *roles,
                      const uint32_t *markers)
{
    for (int y = 0; y < cv->ch; y++)
        for (int x = 0; x < cv->cw; x++) {
            size_t i = (size_t)y * cv->cw + x;
            uint8_t m = cv->mask[i];
            if (!m) continue;
            const uint32_t *v = &cv->votes[i * (size_t)cv->nclass];
            int best = 0;
            for (int k = 1; k < cv->nclass; k++)
                if (v[k] > v[best]) best = k;
            uint32_t g;
            if (markers) g = markers[best];
            else if (cv->mode == ML_CANVAS_BRAILLE) g = 0x2800 + m;
            else if (cv->mode == ML_CANVAS_HALF) g = m == 3 ? 0x2588 : m == 1 ? 0x2580 : 0x2584;
            else g = cv->glyph[i] ? cv->glyph[i] : '*';
            ml_cells_set(c, x0 + x, y0 + y, g, roles ? roles[best] : ML_COLOR_DEFAULT);
        }
}
