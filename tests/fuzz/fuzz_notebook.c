/* libFuzzer harness: the notebook reader and writer on arbitrary bytes.
 *   read then write gives back the same bytes;
 *   giving every cell an output and reading the result again finds the same
 *   cells with the same code, each with that output;
 *   doing it twice changes nothing (outputs are replaced, never appended). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "notebook/notebook.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Block index of the c-th cell (the notebook API takes block indices). */
static int cell_block(const notebook *nb, int c)
{
    int seen = 0;
    for (int b = 0; b < nb->nblocks; b++)
        if (nb->blocks[b].kind == NB_CELL && seen++ == c) return b;
    return -1;
}

static char *cell_code(const notebook *nb, int c, size_t *n)
{
    int b = cell_block(nb, c);
    if (b < 0) return NULL;
    *n = nb->blocks[b].body_len;
    return nb->blocks[b].raw + nb->blocks[b].body_off;
}

static void set_all_outputs(notebook *nb, const char *text, size_t n)
{
    int cells = nb_ncells(nb);
    for (int c = 0; c < cells; c++)
        if (nb_set_output(nb, cell_block(nb, c), text, n) != ML_OK) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    notebook nb;
    memset(&nb, 0, sizeof nb);
    if (nb_parse(&nb, (const char *)data, size) != ML_OK) return 0;
    size_t n;
    char *out = nb_serialize(&nb, &n);
    if (!out || n != size || memcmp(out, data, size) != 0) abort();
    free(out);

    int cells = nb_ncells(&nb);
    static const char result[] = "result 1\n```\nnot a fence end\n";
    set_all_outputs(&nb, result, sizeof result - 1);
    size_t n1;
    char *once = nb_serialize(&nb, &n1);

    notebook again;
    memset(&again, 0, sizeof again);
    if (!once || nb_parse(&again, once, n1) != ML_OK) abort();
    if (nb_ncells(&again) != cells) abort();
    for (int c = 0; c < cells; c++) {
        size_t a = 0, b = 0;
        const char *x = cell_code(&nb, c, &a), *y = cell_code(&again, c, &b);
        if (!x || !y) abort();
        /* closing an unterminated cell may end its last line: the same code */
        while (a && (x[a - 1] == '\n' || x[a - 1] == '\r')) a--;
        while (b && (y[b - 1] == '\n' || y[b - 1] == '\r')) b--;
        if (a != b || memcmp(x, y, a) != 0) abort();
        if (nb_output_of(&again, cell_block(&again, c)) < 0) abort();
    }
    set_all_outputs(&again, result, sizeof result - 1);
    size_t n2;
    char *twice = nb_serialize(&again, &n2);
    if (!twice || n2 != n1 || memcmp(once, twice, n1) != 0) abort();
    free(once);
    free(twice);
    nb_free(&again);
    nb_free(&nb);
    return 0;
}
