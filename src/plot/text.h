/* mnistlab plot: the one output model of every picture.
 *
 * A picture is a block of lines; each line is UTF-8 text plus one colour
 * role per display cell.  Plots only produce ml_text; the TUI draws it with
 * ncurses colours, stdout with ANSI escapes when it is a terminal and as
 * plain text otherwise (ml_text_render). */
#ifndef ML_PLOT_TEXT_H
#define ML_PLOT_TEXT_H

#include <stdint.h>
#include <stdio.h>

#include "core/error.h"

/* Colour roles.  0 is the terminal's default; series/class colours are
 * ML_COLOR_SERIES + k (k = 0..15), grey shades ML_COLOR_GREY + level (0..23,
 * dark to light). */
enum {
    ML_COLOR_DEFAULT = 0,
    ML_COLOR_TITLE = 1,
    ML_COLOR_AXIS = 2,
    ML_COLOR_LABEL = 3,
    ML_COLOR_MUTED = 4,
    ML_COLOR_GOOD = 5,
    ML_COLOR_BAD = 6,
    ML_COLOR_WARN = 7,
    ML_COLOR_SERIES = 16,
    ML_COLOR_GREY = 40 /* .. 63 */
};

typedef struct ml_textline {
    char *text;      /* UTF-8, no newline */
    uint8_t *color;  /* one role per display cell */
    int ncells;      /* display width in cells */
} ml_textline;

typedef struct ml_text {
    ml_textline *lines;
    int nlines, cap;
} ml_text;

void ml_text_init(ml_text *t);
void ml_text_free(ml_text *t);
/* Append a line of `ncells` cells: text is UTF-8 whose display width is
 * ncells (one cell per code point); color may be NULL (all `fill`). */
ml_status ml_text_add(ml_text *t, const char *text, const uint8_t *color, int ncells, uint8_t fill);

/* How to write text out. */
typedef enum ml_color_mode { ML_COLOR_NONE = 0, ML_COLOR_ANSI256 = 1 } ml_color_mode;
/* Writes every line with '\n', colours as ANSI escapes when mode says so. */
void ml_text_write(const ml_text *t, FILE *out, ml_color_mode mode);
/* The xterm 256-colour index of a role, or -1 for the terminal's default. */
int ml_color_ansi256(uint8_t role);

#endif
