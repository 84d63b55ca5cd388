/* mnistlab TUI: the notebook laid out as display lines for a given width.
 *
 * Prose is rendered from Markdown with md4c (headings, paragraphs wrapped to
 * the pane, lists, quotes, emphasis, inline code, code blocks, tables); cells
 * are framed code; outputs are the rich items of this session's runs or the
 * stored plain text.  Every cell of a line carries a colour role (below);
 * ncurses turns roles into attributes (tui.c). */
#ifndef ML_TUI_DOC_H
#define ML_TUI_DOC_H

#include <stdint.h>
#include <wchar.h>

#include "notebook/notebook.h"
#include "notebook/runner.h"

/* Interface roles; picture roles are TR_PICTURE + the plot role (0..63). */
enum {
    TR_TEXT = 0,
    TR_H1,
    TR_H2,
    TR_H3,
    TR_EM,
    TR_STRONG,
    TR_CODE,     /* inline code and code blocks in prose */
    TR_CELL,     /* a cell's code */
    TR_CELLHDR,  /* a cell's frame */
    TR_CELLSEL,  /* the selected cell's frame */
    TR_OUTPUT,   /* stored output text */
    TR_ERROR,
    TR_MUTED,
    TR_LINK,
    TR_RUNNING,
    TR_NUI,      /* number of interface roles */
    TR_PICTURE = 64
};

typedef struct dline {
    wchar_t *ch;     /* one per display cell (wide characters take 2: the second is 0) */
    uint8_t *role;
    int n;
    int block;       /* notebook block it belongs to */
} dline;

typedef struct doutline {
    int level;       /* heading level */
    int line;        /* display line */
    int block;
    char text[160];
} doutline;

typedef struct doc {
    dline *lines;
    int n, cap;
    doutline *heads;
    int nheads, hcap;
    int *cell_line;  /* per block: first display line (-1 if none) */
    int *cell_end;   /* per block: one past its last line (output included for cells) */
    int nblocks;
} doc;

typedef struct doc_opts {
    int width;          /* cells */
    int ascii;
    int selected;       /* selected cell's block, or -1 */
    int running;        /* running cell's block, or -1 */
    nb_output **rich;   /* per cell (number - 1): this session's output, or NULL */
    int nrich;
} doc_opts;

void doc_build(doc *d, const notebook *nb, const doc_opts *o);
void doc_free(doc *d);

/* ASCII replacement of a character (for --ascii and non-UTF-8 locales). */
wchar_t doc_ascii(wchar_t c);

#endif
