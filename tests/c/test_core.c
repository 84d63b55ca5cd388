/* core: tensors and views, RNG streams, parallel loops, atomic files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mnistlab.h"
#include "core/strbuf.h"

static void test_tensor_views(void **s)
{
    (void)s;
    int64_t shape[3] = {4, 2, 3};
    ml_tensor *t = ml_tensor_new(3, shape);
    assert_non_null(t);
    assert_int_equal(ml_tensor_numel(t), 24);
    assert_int_equal(ml_tensor_rowsize(t), 6);
    assert_int_equal((uintptr_t)t->data % 64, 0);
    for (int i = 0; i < 24; i++) t->data[i] = (float)i;

    ml_tensor *row = ml_tensor_view_row(t, 2);
    assert_int_equal(row->ndim, 2);
    assert_int_equal(row->shape[0], 2);
    assert_int_equal(row->shape[1], 3);
    assert_true(row->data[0] == 12.f);
    row->data[1] = -1; /* a view writes through */
    assert_true(t->data[13] == -1.f);

    ml_tensor *rows = ml_tensor_view_rows(t, 1, 2);
    assert_int_equal(rows->shape[0], 2);
    assert_true(rows->data[0] == 6.f);
    assert_null(ml_tensor_view_rows(t, 3, 2));
    assert_string_equal(ml_last_error(), "tensor: rows 3..4 out of range (tensor has 4 rows)");
    assert_null(ml_tensor_view_row(t, 4));

    int64_t ns[2] = {-1, 4};
    ml_tensor *r = ml_tensor_reshape(t, 2, ns);
    assert_int_equal(r->shape[0], 6);
    int64_t bad[2] = {5, 5};
    assert_null(ml_tensor_reshape(t, 2, bad));
    assert_string_equal(ml_last_error(), "reshape: 4x2x3 has 24 elements, the new shape 25");

    ml_tensor *flat = ml_tensor_flatten_rows(t);
    assert_int_equal(flat->ndim, 2);
    assert_int_equal(flat->shape[1], 6);

    /* Views keep the storage alive after the parent is freed. */
    ml_tensor_free(t);
    assert_true(row->data[0] == 12.f);
    assert_true(flat->data[23] == 23.f);
    ml_tensor_free(row);
    ml_tensor_free(rows);
    ml_tensor_free(r);
    ml_tensor_free(flat);
}

static void test_tensor_ops(void **s)
{
    (void)s;
    uint8_t px[6] = {0, 51, 102, 153, 204, 255};
    int64_t shape[2] = {2, 3};
    ml_tensor *t = ml_tensor_from_u8(px, 2, shape, 1.0f / 255.0f);
    assert_float_equal(t->data[5], 1.0, 1e-7);
    assert_float_equal(t->data[1], 0.2, 1e-7);
    assert_float_equal(ml_tensor_sum(t), 3.0, 1e-6);
    assert_float_equal(ml_tensor_mean(t), 0.5, 1e-6);
    assert_int_equal(ml_tensor_argmax(t), 5);
    ml_tensor *am = ml_tensor_argmax_rows(t);
    assert_true(am->data[0] == 2.f && am->data[1] == 2.f);
    int64_t idx[3] = {1, 0, 1};
    ml_tensor *tk = ml_tensor_take_rows(t, idx, 3);
    assert_int_equal(tk->shape[0], 3);
    assert_true(tk->data[0] == t->data[3] && tk->data[3] == t->data[0]);
    ml_tensor *cat = ml_tensor_concat_rows(t, tk);
    assert_int_equal(cat->shape[0], 5);
    assert_int_equal(ml_tensor_count_equal(t, t), 6);
    assert_false(ml_tensor_has_nonfinite(t));
    t->data[0] = NAN;
    assert_true(ml_tensor_has_nonfinite(t));
    int64_t huge[2] = {INT64_MAX / 2, 4};
    assert_null(ml_tensor_new(2, huge));
    int64_t neg[1] = {-3};
    assert_null(ml_tensor_new(1, neg));
    assert_string_equal(ml_last_error(), "tensor: dimension 1 is negative (-3)");
    ml_tensor_free(t);
    ml_tensor_free(am);
    ml_tensor_free(tk);
    ml_tensor_free(cat);
}

static void test_rng(void **s)
{
    (void)s;
    ml_rng a, b;
    ml_rng_seed(&a, 42);
    ml_rng_seed(&b, 42);
    for (int i = 0; i < 100; i++) assert_true(ml_rng_u64(&a) == ml_rng_u64(&b));
    /* The stream is fixed across machines: pin the first values. */
    ml_rng_seed(&a, 0);
    uint64_t first = ml_rng_u64(&a);
    ml_rng_seed(&a, 0);
    assert_true(ml_rng_u64(&a) == first);
    ml_rng_seed(&a, 0);
    assert_true(first == UINT64_C(0x99ec5f36cb75f2b4));
    /* Streams differ from each other and from the plain seed. */
    ml_rng_seed_stream(&a, 7, 0);
    ml_rng_seed_stream(&b, 7, 1);
    assert_true(ml_rng_u64(&a) != ml_rng_u64(&b));
    /* below() is in range and roughly uniform; normal() has mean 0, variance 1. */
    int64_t counts[10] = {0};
    double sum = 0, sq = 0;
    for (int i = 0; i < 100000; i++) {
        counts[ml_rng_below(&a, 10)]++;
        double z = ml_rng_normal(&a);
        sum += z;
        sq += z * z;
    }
    for (int k = 0; k < 10; k++) assert_true(counts[k] > 9500 && counts[k] < 10500);
    assert_float_equal(sum / 100000, 0.0, 0.02);
    assert_float_equal(sq / 100000, 1.0, 0.02);
    int64_t perm[50];
    for (int i = 0; i < 50; i++) perm[i] = i;
    ml_rng_shuffle(&a, perm, 50);
    int seen[50] = {0};
    for (int i = 0; i < 50; i++) seen[perm[i]]++;
    for (int i = 0; i < 50; i++) assert_int_equal(seen[i], 1);
}

static void add_range(void *ctx, int64_t b, int64_t e, int worker)
{
    (void)worker;
    double *out = ctx;
    for (int64_t i = b; i < e; i++) out[i] = (double)i * 2;
}

static void test_parallel_and_gemm(void **s)
{
    (void)s;
    ml_set_threads(2);
    assert_int_equal(ml_get_threads(), 2);
    double *v = calloc(10001, sizeof *v);
    for (int rep = 0; rep < 50; rep++) ml_parallel_for(10001, 16, add_range, v);
    for (int i = 0; i < 10001; i++) assert_true(v[i] == 2.0 * i);
    free(v);
    /* gemm and syrk against plain loops */
    float A[6] = {1, 2, 3, 4, 5, 6}, B[6] = {1, 0, -1, 2, 0.5f, 1}, C[4], G[9];
    ml_gemm(0, 0, 2, 2, 3, 1, A, 3, B, 2, 0, C, 2); /* (2x3)(3x2) */
    assert_float_equal(C[0], 1 * 1 + 2 * -1 + 3 * 0.5, 1e-6);
    assert_float_equal(C[3], 4 * 0 + 5 * 2 + 6 * 1, 1e-6);
    ml_syrk(1, 3, 2, 1, A, 3, 0, G, 3); /* A^T A, 3x3 */
    ml_sym_fill_lower(3, G, 3);
    assert_float_equal(G[0], 1 + 16, 1e-6);
    assert_float_equal(G[5], 2 * 3 + 5 * 6, 1e-6);
    assert_float_equal(G[7], G[5], 0);
}

static int cancel_at_3(void *ud, const char *stage, int64_t done, int64_t total)
{
    (void)ud, (void)stage, (void)total;
    return done >= 3;
}

static void test_progress(void **s)
{
    (void)s;
    ml_progress p = {cancel_at_3, NULL};
    assert_int_equal(ml_progress_update(&p, "fit", 2, 10), ML_OK);
    assert_int_equal(ml_progress_update(&p, "fit", 3, 10), ML_ECANCELLED);
    assert_int_equal(ml_progress_update(NULL, "fit", 3, 10), ML_OK);
    ml_interrupt_request();
    assert_int_equal(ml_progress_update(NULL, "kmeans", 1, 10), ML_ECANCELLED);
    assert_string_equal(ml_last_error(), "kmeans: interrupted");
    ml_interrupt_clear();
    assert_int_equal(ml_progress_update(NULL, "kmeans", 1, 10), ML_OK);
}

static void test_atomic_file(void **s)
{
    (void)s;
    char dir[] = "/tmp/mnistlab-core-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/notes.md", dir);
    assert_int_equal(ml_write_file_atomic(path, "old\n", 4), ML_OK);
    chmod(path, 0640);
    /* An aborted write leaves the old file and no temporary behind. */
    ml_afile f;
    assert_int_equal(ml_afile_open(&f, path), ML_OK);
    fputs("half of a new", f.fp);
    ml_afile_abort(&f);
    char *data;
    size_t n;
    assert_int_equal(ml_read_file(path, &data, &n), ML_OK);
    assert_string_equal(data, "old\n");
    free(data);
    assert_int_equal(ml_write_file_atomic(path, "new\n", 4), ML_OK);
    assert_int_equal(ml_read_file(path, &data, &n), ML_OK);
    assert_string_equal(data, "new\n");
    free(data);
    struct stat st;
    stat(path, &st);
    assert_int_equal(st.st_mode & 0777, 0640); /* mode kept */
    char cmd[300];
    snprintf(cmd, sizeof cmd, "test $(ls -A %s | wc -l) -eq 1", dir);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(ml_write_file_atomic("/nonexistent-dir/x", "a", 1), ML_EIO);
    assert_non_null(strstr(ml_last_error(), "/nonexistent-dir/x: cannot create a temporary file beside it"));
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_strbuf(void **s)
{
    (void)s;
    ml_strbuf b = {0};
    for (int i = 0; i < 1000; i++) ml_strbuf_printf(&b, "%d,", i);
    ml_strbuf_add(&b, "end", 3);
    assert_false(b.failed);
    assert_int_equal(b.n, strlen(b.s));
    assert_int_equal(strncmp(b.s, "0,1,2,", 6), 0);
    assert_string_equal(b.s + b.n - 7, "999,end");
    ml_strbuf_free(&b);
    assert_null(b.s);
}

/* Error messages: a prefix goes in front; one too long for the buffer is cut
 * and ends in "..." */
static void test_error_messages(void **s)
{
    (void)s;
    assert_int_equal(ml_fail(ML_EINVAL, "n_neighbors must be at least 1, got %d", 0), ML_EINVAL);
    assert_int_equal(ml_fail_prefix(ML_EINVAL, "KNeighborsClassifier"), ML_EINVAL);
    assert_string_equal(ml_last_error(), "KNeighborsClassifier: n_neighbors must be at least 1, got 0");
    ml_clear_error();
    ml_fail_prefix(ML_ENOMEM, "fit");
    assert_string_equal(ml_last_error(), "fit: out of memory");
    char path[3000];
    memset(path, 'a', sizeof path - 1);
    path[sizeof path - 1] = '\0';
    ml_fail(ML_EIO, "%s: cannot open", path);
    size_t n = strlen(ml_last_error());
    assert_true(n > 1000 && n < sizeof path);
    assert_string_equal(ml_last_error() + n - 4, "a...");
    ml_fail(ML_EIO, "short");
    ml_fail_prefix(ML_EIO, path);
    n = strlen(ml_last_error());
    assert_string_equal(ml_last_error() + n - 3, "...");
    ml_clear_error();
    assert_string_equal(ml_last_error(), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tensor_views), cmocka_unit_test(test_tensor_ops),
        cmocka_unit_test(test_rng),          cmocka_unit_test(test_parallel_and_gemm),
        cmocka_unit_test(test_progress),     cmocka_unit_test(test_atomic_file),
        cmocka_unit_test(test_strbuf),       cmocka_unit_test(test_error_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
