/* The notebook runner's Lua state: the memory cap, and pictures redrawn in
 * place (a training curve that grows while fit runs, then goes). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "notebook/notebook.c"
#include "notebook/runner.c"

static int max_live;
static nb_output *watched;

static void on_changed(void *ud)
{
    (void)ud;
    int live = 0;
    for (int i = 0; i < watched->n; i++)
        if (watched->items[i].kind == NB_ITEM_PICTURE && watched->items[i].key &&
            strcmp(watched->items[i].key, "live:fit") == 0) {
            live++;
            /* below the epoch lines: at most the newest line follows it until the next redraw */
            assert_true(i >= watched->n - 2);
        }
    if (live > max_live) max_live = live;
}

static void test_live_curve(void **s)
{
    (void)s;
    nb_host host = {NULL, NULL, on_changed, NULL};
    nb_runner *r = nb_runner_new(&host);
    assert_non_null(r);
    nb_output out;
    nb_output_init(&out);
    watched = &out;
    const char *code =
        "local X = ml.load('mnist').X:rows(1, 64)\n"
        "local y = ml.load('mnist').y:rows(1, 64)\n"
        "local net = ml.Sequential{ml.Input{28, 28}, ml.Flatten(), ml.Dense{10, activation = 'softmax'}}\n"
        "net:compile{loss = 'sparse_categorical_crossentropy', optimizer = ml.Adam{}, metrics = {'accuracy'}}\n"
        "net:fit(X, y, {epochs = 4, validation_split = 0.25})\n";
    assert_int_equal(nb_runner_run(r, code, strlen(code), "cell 1", &out, 0), NB_RUN_OK);
    assert_int_equal(max_live, 1); /* shown, and replaced rather than added each epoch */
    for (int i = 0; i < out.n; i++) assert_null(out.items[i].key); /* transient: gone at the end */
    char *plain = nb_output_plain(&out, NULL);
    assert_non_null(strstr(plain, "Epoch 4/4"));
    assert_null(strstr(plain, "Accuracy"));
    free(plain);
    nb_output_free(&out);
    nb_runner_free(r);
}

static void test_memory_cap(void **s)
{
    (void)s;
    setenv("MNISTLAB_MEMORY_LIMIT", "64", 1);
    nb_runner *r = nb_runner_new(NULL);
    unsetenv("MNISTLAB_MEMORY_LIMIT");
    nb_output out;
    nb_output_init(&out);
    const char *runaway = "t = {} for i = 1, 1e9 do t[i] = ('x'):rep(64) .. i end";
    assert_int_equal(nb_runner_run(r, runaway, strlen(runaway), "cell 1", &out, 0), NB_RUN_ERROR);
    char *plain = nb_output_plain(&out, NULL);
    assert_non_null(strstr(plain, "not enough memory"));
    free(plain);
    nb_output_free(&out);
    nb_output_init(&out);
    const char *next = "t = nil collectgarbage() print(ml.tensor{1, 2, 3}:sum())";
    assert_int_equal(nb_runner_run(r, next, strlen(next), "cell 2", &out, 0), NB_RUN_OK);
    plain = nb_output_plain(&out, NULL);
    assert_string_equal(plain, "6.0\n");
    free(plain);
    nb_output_free(&out);
    nb_runner_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_live_curve), cmocka_unit_test(test_memory_cap)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
