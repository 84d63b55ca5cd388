/* notebook: byte-exact round trips, cells and outputs, replace-not-append.
 * The notebook model lives in the program (src/notebook), not the library;
 * it depends only on core, so the test compiles it in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "notebook/notebook.c"

/* Parse then serialize: the same bytes. */
static void roundtrip(const char *text, size_t n)
{
    notebook nb;
    assert_int_equal(nb_parse(&nb, text, n), ML_OK);
    size_t m;
    char *out = nb_serialize(&nb, &m);
    assert_non_null(out);
    assert_int_equal(m, n);
    assert_memory_equal(out, text, n);
    free(out);
    nb_free(&nb);
}

static void rt(const char *s) { roundtrip(s, strlen(s)); }

static void test_roundtrip_odd_inputs(void **st)
{
    (void)st;
    rt("");
    rt("\n");
    rt("no newline at the end");
    rt("# Title\n\nprose\n\n```lua\nprint(1)\n```\n");
    rt("# Title\r\n\r\n```lua\r\nprint(1)\r\n```\r\n\r\ntext\r\n");           /* CRLF */
    rt("```lua\nprint(1)\n```");                                                /* no final newline */
    rt("```lua\nprint(1)\n");                                                   /* unterminated */
    rt("text\n```lua\nx = 1\n");                                                /* unterminated after prose */
    rt("inline ``` in prose ``` stays prose\n\n```lua\nx=1\n```\n");            /* ``` inside prose */
    rt("~~~lua\nprint('tilde')\n~~~\n\n~~~~\n```lua\nnot a cell\n```\n~~~~\n"); /* tildes, nested */
    rt("   ```lua\n   indented\n   ```\n    ```lua\n    code block, not a fence\n");
    rt("```lua\nx\n```\n\n```output mnistlab\nold\n```\n\n```output mnistlab\nnot ours (no cell above)\n```\n");
    rt("```lua\n````\nstill code\n```\n");
    rt("\xef\xbb\xbf# BOM and UTF-8: \xc3\xa9\xe2\x80\x94\n");
    const char bin[] = "a\0b\n```lua\n\0\n```\n";
    roundtrip(bin, sizeof bin - 1); /* NUL bytes */
}

static void test_blocks(void **st)
{
    (void)st;
    const char *s = "# T\n\n```lua\nx = 1\n```\n\n```output mnistlab\nold\n```\n\nmore\n\n~~~lua\ny = 2\n~~~\n"
                    "```python\nnot lua\n```\n";
    notebook nb;
    assert_int_equal(nb_parse(&nb, s, strlen(s)), ML_OK);
    assert_int_equal(nb.nblocks, 6);
    assert_int_equal(nb.blocks[0].kind, NB_PROSE);
    assert_int_equal(nb.blocks[1].kind, NB_CELL);
    assert_int_equal(nb.blocks[2].kind, NB_OUTPUT);
    assert_int_equal(nb.blocks[3].kind, NB_PROSE);
    assert_int_equal(nb.blocks[4].kind, NB_CELL);
    assert_int_equal(nb.blocks[5].kind, NB_PROSE); /* ```python is prose */
    assert_int_equal(nb_ncells(&nb), 2);
    assert_int_equal(nb_output_of(&nb, 1), 2);
    assert_int_equal(nb_output_of(&nb, 4), -1);
    assert_int_equal(nb.blocks[1].body_len, 6);
    assert_memory_equal(nb.blocks[1].raw + nb.blocks[1].body_off, "x = 1\n", 6);
    assert_memory_equal(nb.blocks[4].raw + nb.blocks[4].body_off, "y = 2\n", 6);
    assert_int_equal(nb.blocks[4].line, 13);
    nb_free(&nb);
}

static char *ser(notebook *nb)
{
    size_t n;
    char *s = nb_serialize(nb, &n);
    assert_non_null(s);
    return s;
}

static void test_replace_not_append(void **st)
{
    (void)st;
    const char *s = "intro\n\n```lua\nprint(1)\n```\n\nafter\n";
    notebook nb;
    assert_int_equal(nb_parse(&nb, s, strlen(s)), ML_OK);
    assert_int_equal(nb_set_output(&nb, 1, "one\n", 4), ML_OK);
    char *a = ser(&nb);
    assert_string_equal(a, "intro\n\n```lua\nprint(1)\n```\n\n```output mnistlab\none\n```\n\nafter\n");
    assert_int_equal(nb_set_output(&nb, 1, "two\nlines", 9), ML_OK);
    char *b = ser(&nb);
    assert_string_equal(b, "intro\n\n```lua\nprint(1)\n```\n\n```output mnistlab\ntwo\nlines\n```\n\nafter\n");
    /* read back: one output, still attached to its cell */
    notebook nb2;
    assert_int_equal(nb_parse(&nb2, b, strlen(b)), ML_OK);
    assert_int_equal(nb2.nblocks, nb.nblocks);
    assert_int_equal(nb_output_of(&nb2, 1), 2);
    assert_int_equal(nb_set_output(&nb2, 1, "two\nlines", 9), ML_OK);
    char *c = ser(&nb2);
    assert_string_equal(c, b); /* running again with the same output changes nothing */
    nb_clear_output(&nb2, 1);
    char *d = ser(&nb2);
    assert_string_equal(d, "intro\n\n```lua\nprint(1)\n```\n\nafter\n");
    free(a);
    free(b);
    free(c);
    free(d);
    nb_free(&nb);
    nb_free(&nb2);
}

static void test_output_edge_cases(void **st)
{
    (void)st;
    notebook nb;
    /* CRLF document: new text follows its line ends */
    const char *s = "```lua\r\nprint(1)\r\n```\r\n";
    assert_int_equal(nb_parse(&nb, s, strlen(s)), ML_OK);
    assert_int_equal(nb_set_output(&nb, 0, "a\nb\n", 4), ML_OK);
    char *a = ser(&nb);
    assert_string_equal(a, "```lua\r\nprint(1)\r\n```\r\n\r\n```output mnistlab\r\na\r\nb\r\n```\r\n");
    free(a);
    nb_free(&nb);
    /* mixed line ends: new text follows the more common one, not the first
     * line's */
    s = "```lua\r\nprint(1)\n```\n";
    assert_int_equal(nb_parse(&nb, s, strlen(s)), ML_OK);
    assert_int_equal(nb_set_output(&nb, 0, "a\n", 2), ML_OK);
    a = ser(&nb);
    assert_string_equal(a, "```lua\r\nprint(1)\n```\n\n```output mnistlab\na\n```\n");
    free(a);
    nb_free(&nb);
    /* no final newline, and an unterminated cell: closed before its output */
    s = "```lua\nprint(1)";
    assert_int_equal(nb_parse(&nb, s, strlen(s)), ML_OK);
    assert_int_equal(nb_set_output(&nb, 0, "1\n", 2), ML_OK);
    a = ser(&nb);
    assert_string_equal(a, "```lua\nprint(1)\n```\n\n```output mnistlab\n1\n```\n");
    notebook nb2;
    assert_int_equal(nb_parse(&nb2, a, strlen(a)), ML_OK);
    assert_int_equal(nb_output_of(&nb2, 0), 1);
    nb_free(&nb2);
    free(a);
    nb_free(&nb);
    /* output containing a fence: a longer fence keeps it inside */
    s = "```lua\nx\n```\n";
    assert_int_equal(nb_parse(&nb, s, strlen(s)), ML_OK);
    assert_int_equal(nb_set_output(&nb, 0, "```\ninside\n````\n", 16), ML_OK);
    a = ser(&nb);
    assert_string_equal(a, "```lua\nx\n```\n\n`````output mnistlab\n```\ninside\n````\n`````\n");
    assert_int_equal(nb_parse(&nb2, a, strlen(a)), ML_OK);
    assert_int_equal(nb2.nblocks, 2);
    assert_int_equal(nb2.blocks[1].kind, NB_OUTPUT);
    nb_free(&nb2);
    free(a);
    nb_free(&nb);
}

static void test_set_code(void **st)
{
    (void)st;
    notebook nb;
    const char *s = "~~~lua\nold()\n~~~\nafter\n";
    assert_int_equal(nb_parse(&nb, s, strlen(s)), ML_OK);
    assert_int_equal(nb_set_code(&nb, 0, "new()\nmore()", 12), ML_OK);
    char *a = ser(&nb);
    assert_string_equal(a, "~~~lua\nnew()\nmore()\n~~~\nafter\n");
    free(a);
    /* code with a line that would close the fence gets a longer fence */
    assert_int_equal(nb_set_code(&nb, 0, "~~~\n", 4), ML_OK);
    a = ser(&nb);
    assert_string_equal(a, "~~~~lua\n~~~\n~~~~\nafter\n");
    notebook nb2;
    assert_int_equal(nb_parse(&nb2, a, strlen(a)), ML_OK);
    assert_int_equal(nb2.blocks[0].kind, NB_CELL);
    assert_memory_equal(nb2.blocks[0].raw + nb2.blocks[0].body_off, "~~~\n", 4);
    nb_free(&nb2);
    free(a);
    nb_free(&nb);
}

static void test_headings(void **st)
{
    (void)st;
    const char *s = "# Lab\n\n## 1. Data\n\n```\n# not a heading\n```\n\n### Q1. Shape ###\n\n#hashtag\n"
                    "```lua\n-- # comment\n```\n\n## 2. Next\n";
    notebook nb;
    assert_int_equal(nb_parse(&nb, s, strlen(s)), ML_OK);
    nb_heading h[8];
    int n = nb_headings(&nb, h, 8);
    assert_int_equal(n, 4);
    assert_string_equal(h[0].text, "Lab");
    assert_int_equal(h[1].level, 2);
    assert_string_equal(h[1].text, "1. Data");
    assert_int_equal(h[2].level, 3);
    assert_string_equal(h[2].text, "Q1. Shape");
    assert_string_equal(h[3].text, "2. Next");
    nb_free(&nb);
}

static void test_files(void **st)
{
    (void)st;
    char dir[] = "/tmp/mnistlab-nb-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/a.md", dir);
    notebook nb;
    assert_int_equal(nb_read(&nb, path), ML_ENOTFOUND);
    assert_non_null(strstr(ml_last_error(), "a.md"));
    const char *s = "x\r\n```lua\r\ny\r\n```";
    assert_int_equal(nb_parse(&nb, s, strlen(s)), ML_OK);
    assert_int_equal(nb_write(&nb, path), ML_OK);
    nb_free(&nb);
    assert_int_equal(nb_read(&nb, path), ML_OK);
    char *a = ser(&nb);
    assert_string_equal(a, s);
    free(a);
    nb_free(&nb);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_odd_inputs), cmocka_unit_test(test_blocks),
        cmocka_unit_test(test_replace_not_append),   cmocka_unit_test(test_output_edge_cases),
        cmocka_unit_test(test_set_code),             cmocka_unit_test(test_headings),
        cmocka_unit_test(test_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
