/* data: IDX round trips, malformed files, datasets, splits, counts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "mnistlab.h"

static char dir[64];

static int setup(void **s)
{
    (void)s;
    snprintf(dir, sizeof dir, "/tmp/mnistlab-data-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **s)
{
    (void)s;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd);
}

static const char *file(const char *name)
{
    static char p[4][256];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
    return p[k];
}

static void write_bytes(const char *path, const void *d, size_t n)
{
    FILE *f = fopen(path, "wb");
    fwrite(d, 1, n, f);
    fclose(f);
}

static void write_gz(const char *path, const void *d, size_t n)
{
    gzFile g = gzopen(path, "wb");
    gzwrite(g, d, (unsigned)n);
    gzclose(g);
}

static void test_roundtrip(void **s)
{
    (void)s;
    int64_t shape[3] = {3, 2, 2};
    ml_tensor *t = ml_tensor_new(3, shape);
    for (int i = 0; i < 12; i++) t->data[i] = (float)(i * 20 - 100);
    const ml_idx_type types[] = {ML_IDX_I16, ML_IDX_I32, ML_IDX_F32, ML_IDX_F64};
    for (int gz = 0; gz < 2; gz++)
        for (size_t k = 0; k < sizeof types / sizeof *types; k++) {
            const char *p = file(gz ? "rt.idx.gz" : "rt.idx");
            assert_int_equal(ml_idx_write(p, t, types[k], 1, gz), ML_OK);
            ml_idx idx;
            assert_int_equal(ml_idx_read(p, &idx), ML_OK);
            assert_int_equal(idx.type, types[k]);
            assert_int_equal(idx.gzipped, gz);
            assert_int_equal(idx.ndim, 3);
            assert_int_equal(idx.dims[0], 3);
            ml_tensor *r = ml_idx_to_tensor(&idx, 1);
            for (int i = 0; i < 12; i++) assert_true(r->data[i] == t->data[i]);
            ml_tensor_free(r);
            ml_idx_free(&idx);
        }
    /* ubyte with scaling, as MNIST pixels */
    for (int i = 0; i < 12; i++) t->data[i] = (float)(i * 20) / 255.0f;
    assert_int_equal(ml_idx_write(file("u8.idx"), t, ML_IDX_U8, 255, 0), ML_OK);
    ml_idx idx;
    assert_int_equal(ml_idx_read(file("u8.idx"), &idx), ML_OK);
    assert_int_equal(((uint8_t *)idx.data)[11], 220);
    ml_idx_free(&idx);
    /* values that do not fit are refused, not wrapped */
    t->data[0] = 300;
    assert_int_equal(ml_idx_write(file("bad.idx"), t, ML_IDX_U8, 1, 0), ML_EINVAL);
    assert_non_null(strstr(ml_last_error(), "value 300 at element 0 does not fit IDX type unsigned byte"));
    ml_tensor_free(t);
}

/* A valid 2x3 ubyte header + data. */
static const unsigned char good[] = {0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6};

static void expect_refused(const char *path, const char *fragment)
{
    ml_idx idx;
    ml_status st = ml_idx_read(path, &idx);
    if (st == ML_OK) fail_msg("%s was accepted", path);
    if (!strstr(ml_last_error(), fragment)) fail_msg("message for %s: \"%s\" lacks \"%s\"", path, ml_last_error(), fragment);
    if (strncmp(ml_last_error(), path, strlen(path)) != 0) fail_msg("message does not start with the file name: %s", ml_last_error());
    assert_null(strchr(ml_last_error(), '\n'));
}

static void test_malformed(void **s)
{
    (void)s;
    write_bytes(file("good.idx"), good, sizeof good);
    ml_idx idx;
    assert_int_equal(ml_idx_read(file("good.idx"), &idx), ML_OK);
    ml_idx_free(&idx);

    write_bytes(file("empty.idx"), "", 0);
    expect_refused(file("empty.idx"), "truncated header (0 of 4 bytes)");
    write_bytes(file("short.idx"), good, 6);
    expect_refused(file("short.idx"), "truncated header (2 of 8 bytes of dimensions)");
    unsigned char b[64];
    memcpy(b, good, sizeof good);
    b[0] = 0x50;
    write_bytes(file("magic.idx"), b, sizeof good);
    expect_refused(file("magic.idx"), "not an IDX file (bad magic 50 00 08 02");
    memcpy(b, good, sizeof good);
    b[2] = 0x0A;
    write_bytes(file("dtype.idx"), b, sizeof good);
    expect_refused(file("dtype.idx"), "unknown data type code 0x0a");
    memcpy(b, good, sizeof good);
    b[3] = 0;
    write_bytes(file("ndim0.idx"), b, sizeof good);
    expect_refused(file("ndim0.idx"), "0 dimensions");
    /* 65536^3 overflows the byte limit */
    unsigned char ov[] = {0, 0, 8, 3, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0};
    write_bytes(file("overflow.idx"), ov, sizeof ov);
    expect_refused(file("overflow.idx"), "dimensions overflow");
    /* 0xffffffff x 0xffffffff x 4 bytes: overflows 64-bit products too */
    unsigned char ov2[] = {0, 0, 0x0D, 2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    write_bytes(file("overflow2.idx"), ov2, sizeof ov2);
    expect_refused(file("overflow2.idx"), "dimensions overflow");
    memcpy(b, good, sizeof good);
    b[11] = 200; /* claims 2x200 */
    write_bytes(file("lying.idx"), b, sizeof good);
    expect_refused(file("lying.idx"), "truncated: the header declares 2x200 unsigned byte (400 bytes of data), the file holds 6");
    memcpy(b, good, sizeof good);
    memcpy(b + sizeof good, "garbage", 7);
    write_bytes(file("trailing.idx"), b, sizeof good + 7);
    expect_refused(file("trailing.idx"), "trailing data after the 6 bytes the header declares");

    /* gzip */
    write_gz(file("good.idx.gz"), good, sizeof good);
    assert_int_equal(ml_idx_read(file("good.idx.gz"), &idx), ML_OK);
    assert_int_equal(idx.gzipped, 1);
    ml_idx_free(&idx);
    write_gz(file("lying.idx.gz"), (memcpy(b, good, sizeof good), b[11] = 200, b), sizeof good);
    expect_refused(file("lying.idx.gz"), "truncated: the header declares 2x200");
    write_gz(file("trail.idx.gz"), (memcpy(b, good, sizeof good), memcpy(b + sizeof good, "xx", 2), b), sizeof good + 2);
    expect_refused(file("trail.idx.gz"), "trailing data after the 6 bytes");
    /* corrupt: flip a byte in the deflate stream; cut the stream short; garbage after it */
    char *gz;
    size_t n;
    assert_int_equal(ml_read_file(file("good.idx.gz"), &gz, &n), ML_OK);
    memcpy(b, gz, n);
    b[n - 6] ^= 0xff; /* inside the CRC/size trailer */
    write_bytes(file("crc.idx.gz"), b, n);
    expect_refused(file("crc.idx.gz"), "corrupt gzip data");
    write_bytes(file("cut.idx.gz"), gz, n - 10);
    expect_refused(file("cut.idx.gz"), "corrupt gzip data (the compressed stream ends early)");
    memcpy(b, gz, n);
    memcpy(b + n, "junk", 4);
    write_bytes(file("junk.idx.gz"), b, n + 4);
    expect_refused(file("junk.idx.gz"), "trailing garbage after the gzip data");
    memcpy(b, gz, n);
    b[12] ^= 0x55; /* inside the deflate data */
    write_bytes(file("flip.idx.gz"), b, n);
    expect_refused(file("flip.idx.gz"), "corrupt gzip data");
    free(gz);
    expect_refused(file("missing.idx"), "No such file or directory");
}

static void test_mnist_dataset(void **s)
{
    (void)s;
    ml_dataset d;
    assert_int_equal(ml_dataset_load("mnist", ML_SUBSET_TEST, &d), ML_OK);
    assert_int_equal(d.X->ndim, 3);
    assert_int_equal(d.X->shape[0], 10000);
    assert_int_equal(d.X->shape[1], 28);
    assert_int_equal(d.X->shape[2], 28);
    assert_int_equal(ml_tensor_numel(d.y), 10000);
    assert_int_equal(d.n_classes, 10);
    assert_true(d.y->data[0] == 7.f && d.y->data[1] == 2.f && d.y->data[9999] == 6.f);
    assert_true(ml_tensor_min(d.X) == 0.f && ml_tensor_max(d.X) == 1.f);
    int64_t counts[10];
    assert_int_equal(ml_label_counts(d.y, counts, 10), ML_OK);
    const int64_t expect[10] = {980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009};
    for (int k = 0; k < 10; k++) assert_int_equal(counts[k], expect[k]);
    ml_dataset_free(&d);
    assert_int_equal(ml_dataset_load("no-such-dataset", ML_SUBSET_ALL, &d), ML_ENOTFOUND);
    assert_non_null(strstr(ml_last_error(), "unknown dataset"));
    /* a directory of IDX files */
    ml_tensor *X = ml_tensor_new2(4, 4), *y = ml_tensor_new1(4);
    int64_t sh[3] = {4, 2, 2};
    ml_tensor *X3 = ml_tensor_reshape(X, 3, sh);
    y->data[3] = 2;
    assert_int_equal(ml_idx_write(file("train-images-idx3-ubyte"), X3, ML_IDX_U8, 255, 0), ML_OK);
    assert_int_equal(ml_idx_write(file("train-labels-idx1-ubyte.gz"), y, ML_IDX_U8, 1, 1), ML_OK);
    assert_int_equal(ml_dataset_load(dir, ML_SUBSET_ALL, &d), ML_OK);
    assert_int_equal(d.X->shape[0], 4);
    assert_int_equal(d.n_train, 4);
    assert_int_equal(d.n_classes, 3);
    ml_dataset_free(&d);
    ml_tensor_free(X), ml_tensor_free(X3), ml_tensor_free(y);
}

static ml_tensor *labels(int n, int classes)
{
    ml_tensor *y = ml_tensor_new1(n);
    for (int i = 0; i < n; i++) y->data[i] = (float)((i * 7 + i / 3) % classes);
    return y;
}

static void test_split(void **s)
{
    (void)s;
    ml_dataset d;
    assert_int_equal(ml_dataset_load("mnist", ML_SUBSET_TEST, &d), ML_OK);
    ml_split_opts o = {0.2, 0, 1, 1};
    int64_t *tr, *te, ntr, nte;
    assert_int_equal(ml_split_indices(10000, d.y, &o, &tr, &ntr, &te, &nte), ML_OK);
    assert_int_equal(ntr, 8000);
    assert_int_equal(nte, 2000);
    /* a partition */
    char *seen = calloc(10000, 1);
    for (int64_t i = 0; i < ntr; i++) seen[tr[i]]++;
    for (int64_t i = 0; i < nte; i++) seen[te[i]]++;
    for (int i = 0; i < 10000; i++) assert_int_equal(seen[i], 1);
    free(seen);
    /* every class's test count within one of its exact share */
    int64_t all[10], tc[10] = {0};
    ml_label_counts(d.y, all, 10);
    for (int64_t i = 0; i < nte; i++) tc[(int)d.y->data[te[i]]]++;
    for (int k = 0; k < 10; k++) {
        double exact = all[k] * 0.2;
        assert_true(tc[k] >= exact - 1 && tc[k] <= exact + 1);
    }
    /* same seed, same split; another seed, another */
    int64_t *tr2, *te2, n2, m2;
    assert_int_equal(ml_split_indices(10000, d.y, &o, &tr2, &n2, &te2, &m2), ML_OK);
    assert_memory_equal(te, te2, sizeof *te * 2000);
    free(tr2), free(te2);
    o.seed = 1;
    assert_int_equal(ml_split_indices(10000, d.y, &o, &tr2, &n2, &te2, &m2), ML_OK);
    assert_memory_not_equal(te, te2, sizeof *te * 2000);
    free(tr2), free(te2), free(tr), free(te);
    ml_dataset_free(&d);

    /* fraction -> ceil, count, no shuffle keeps order */
    ml_tensor *y = labels(101, 3);
    ml_split_opts f = {0.25, 3, 1, 0};
    assert_int_equal(ml_split_indices(101, y, &f, &tr, &ntr, &te, &nte), ML_OK);
    assert_int_equal(nte, 26);
    free(tr), free(te);
    ml_split_opts c = {10, 3, 0, 0};
    assert_int_equal(ml_split_indices(101, y, &c, &tr, &ntr, &te, &nte), ML_OK);
    assert_int_equal(nte, 10);
    assert_int_equal(tr[0], 0);
    assert_int_equal(te[0], 91);
    free(tr), free(te);
    /* bad sizes */
    ml_split_opts bad = {1.5, 0, 1, 0};
    assert_int_equal(ml_split_indices(101, y, &bad, &tr, &ntr, &te, &nte), ML_EINVAL);
    assert_string_equal(ml_last_error(), "test_size: 1.5 is neither a fraction in (0, 1) nor a whole count");
    bad.test_size = 101;
    assert_int_equal(ml_split_indices(101, y, &bad, &tr, &ntr, &te, &nte), ML_EINVAL);
    bad.test_size = -0.2;
    assert_int_equal(ml_split_indices(101, y, &bad, &tr, &ntr, &te, &nte), ML_EINVAL);
    ml_split_opts ns = {0.2, 0, 0, 1};
    assert_int_equal(ml_split_indices(101, y, &ns, &tr, &ntr, &te, &nte), ML_EINVAL);
    assert_string_equal(ml_last_error(), "stratify: a stratified split needs shuffle = true");
    y->data[5] = 1.5f;
    ml_split_opts st = {0.2, 0, 1, 1};
    assert_int_equal(ml_split_indices(101, y, &st, &tr, &ntr, &te, &nte), ML_EINVAL);
    assert_string_equal(ml_last_error(), "y: label 1.5 at position 6 is not a small non-negative integer");
    ml_tensor_free(y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_mnist_dataset),
        cmocka_unit_test(test_split),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
