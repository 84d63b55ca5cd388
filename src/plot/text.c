#include "plot/text.h"

#include <stdlib.h>
#include <string.h>

void ml_text_init(ml_text *t) { memset(t, 0, sizeof *t); }

void ml_text_free(ml_text *t)
{
    for (int i = 0; i < t->nlines; i++) {
        free(t->lines[i].text);
        free(t->lines[i].color);
    }
    free(t->lines);
    memset(t, 0, sizeof *t);
}

ml_status ml_text_add(ml_text *t, const char *text, const uint8_t *color, int ncells, uint8_t fill)
{
    if (t->nlines == t->cap) {
        int ncap = t->cap ? t->cap * 2 : 16;
        ml_textline *nl = realloc(t->lines, sizeof *nl * (size_t)ncap);
        if (!nl) return ml_fail(ML_ENOMEM, "text: out of memory");
        t->lines = nl;
        t->cap = ncap;
    }
    ml_textline *l = &t->lines[t->nlines];
    l->text = strdup(text);
    l->color = malloc((size_t)(ncells > 0 ? ncells : 1));
    if (!l->text || !l->color) {
        free(l->text);
        free(l->color);
        return ml_fail(ML_ENOMEM, "text: out of memory");
    }
    if (color) memcpy(l->color, color, (size_t)ncells);
    else memset(l->color, fill, (size_t)(ncells > 0 ? ncells : 1));
    l->ncells = ncells;
    t->nlines++;
    return ML_OK;
}

/* xterm-256 colour of each role. */
int ml_color_ansi256(uint8_t role)
{
    static const int series[16] = {33, 208, 40, 160, 135, 94, 212, 244, 178, 44, 27, 202, 34, 124, 99, 130};
    if (role >= ML_COLOR_GREY && role < ML_COLOR_GREY + 24) return 232 + (role - ML_COLOR_GREY);
    if (role >= ML_COLOR_SERIES && role < ML_COLOR_SERIES + 16) return series[role - ML_COLOR_SERIES];
    switch (role) {
    case ML_COLOR_TITLE: return 15;
    case ML_COLOR_AXIS: return 245;
    case ML_COLOR_LABEL: return 250;
    case ML_COLOR_MUTED: return 240;
    case ML_COLOR_GOOD: return 70;
    case ML_COLOR_BAD: return 196;
    case ML_COLOR_WARN: return 214;
    }
    return -1;
}

void ml_text_write(const ml_text *t, FILE *out, ml_color_mode mode)
{
    for (int i = 0; i < t->nlines; i++) {
        const ml_textline *l = &t->lines[i];
        if (mode == ML_COLOR_NONE) {
            fputs(l->text, out);
            fputc('\n', out);
            continue;
        }
        int cur = -1, cell = 0;
        for (const unsigned char *p = (const unsigned char *)l->text; *p;) {
            int len = *p < 0x80 ? 1 : *p < 0xE0 ? 2 : *p < 0xF0 ? 3 : 4;
            int c = cell < l->ncells ? ml_color_ansi256(l->color[cell]) : -1;
            if (c != cur) {
                if (c < 0) fputs("\x1b[0m", out);
                else fprintf(out, "\x1b[38;5;%dm", c);
                cur = c;
            }
            for (int k = 0; k < len && p[k]; k++) fputc(p[k], out);
            p += len;
            cell++;
        }
        if (cur >= 0) fputs("\x1b[0m", out);
        fputc('\n', out);
    }
}
