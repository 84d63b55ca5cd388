/* mnistlab notebooks: Markdown documents whose ```lua blocks are cells.
 *
 * A notebook is a list of blocks that together hold every byte that was
 * read: prose, a lua cell, and the output of the cell above it.  Writing a
 * notebook that nothing changed gives back the same bytes (CRLF, a missing
 * final newline and unterminated fences included).
 *
 * An output is a fenced block whose info string is OUTPUT_INFO ("output
 * mnistlab") placed right below its cell (blank lines between are allowed);
 * it belongs to that cell, and running the cell again replaces it.
 *
 * This file knows nothing of Lua, md4c or ncurses (the C tests include it). */
#ifndef ML_NOTEBOOK_NOTEBOOK_H
#define ML_NOTEBOOK_NOTEBOOK_H

#include <stddef.h>

#include "core/error.h"

#define NB_OUTPUT_INFO "output mnistlab"

typedef enum nb_kind { NB_PROSE = 0, NB_CELL = 1, NB_OUTPUT = 2 } nb_kind;

typedef struct nb_block {
    nb_kind kind;
    char *raw;       /* the exact bytes of the block (owned) */
    size_t len;
    /* cells and outputs: the body between the fences, inside raw */
    size_t body_off, body_len;
    size_t fence_off; /* outputs: where the opening fence starts (blank lines before it belong to the output) */
    int closed;      /* the fence was closed (cells and outputs) */
    int line;        /* 1-based line of the block's first byte in the file as read */
} nb_block;

typedef struct notebook {
    nb_block *blocks;
    int nblocks, cap;
    int crlf;        /* the document uses CRLF line ends: new text follows */
    int dirty;       /* changed since read or saved */
    char *path;      /* where it was read from (may be NULL) */
} notebook;

/* Parse a document (bytes need not be NUL-terminated).  Never fails on
 * content; only on memory. */
ml_status nb_parse(notebook *nb, const char *text, size_t n);
ml_status nb_read(notebook *nb, const char *path);
void nb_free(notebook *nb);

/* The whole document: malloc'ed, NUL-terminated (*n excludes the NUL). */
char *nb_serialize(const notebook *nb, size_t *n);
/* Atomic write (temporary file beside it, fsync, rename). */
ml_status nb_write(const notebook *nb, const char *path);

/* Index of the output block of cell `c`, or -1. */
int nb_output_of(const notebook *nb, int c);
/* Replace (or insert) the output of cell `c` with `text` (plain text, lines
 * separated by '\n'; converted to CRLF if the document uses it). */
ml_status nb_set_output(notebook *nb, int c, const char *text, size_t n);
/* Remove the output of cell `c` if any. */
void nb_clear_output(notebook *nb, int c);
/* Replace the code of cell `c` (keeps its fences). */
ml_status nb_set_code(notebook *nb, int c, const char *code, size_t n);

/* Headings (ATX '#' lines outside fenced blocks) for the outline. */
typedef struct nb_heading {
    int level;       /* 1..6 */
    int block;       /* prose block holding it */
    size_t off;      /* byte offset of the line within that block */
    char text[160];  /* the heading's text, trimmed */
} nb_heading;
/* Fills up to max headings; returns how many there are in all. */
int nb_headings(const notebook *nb, nb_heading *out, int max);

/* Count of cells. */
int nb_ncells(const notebook *nb);

#endif
