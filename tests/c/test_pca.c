/* PCA: properties, bad input, and values recorded from scikit-learn on the
 * bundled 10,000 MNIST digits (tests/fixtures/unsupervised/pca_mnist10k.txt,
 * written by scripts/record_unsupervised_fixtures.py). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/blas.h"
#include "core/rng.h"
#include "core/tensor.h"
#include "data/dataset.h"
#include "models/estimator.h"
#include "models/pca.h"
#include "helpers/fixture.h"

#define FIXTURE "tests/fixtures/unsupervised/pca_mnist10k.txt"

static ml_tensor *mnist;

static int setup(void **s)
{
    (void)s;
    ml_dataset ds;
    if (ml_dataset_load("mnist", ML_SUBSET_ALL, &ds) != ML_OK) return -1;
    mnist = ds.X;
    ds.X = NULL;
    ml_dataset_free(&ds);
    return 0;
}

static int teardown(void **s)
{
    (void)s;
    ml_tensor_free(mnist);
    return 0;
}

static void test_reference_ratios(void **s)
{
    (void)s;
    ml_pca m = {0};
    ml_pca_init(&m);
    assert_int_equal(ml_pca_fit(&m, mnist, NULL), ML_OK); /* 10000x28x28: flattened */
    assert_int_equal(m.k, 784);
    int64_t n;
    double *ref = fixture(FIXTURE, "explained_variance_ratio", &n);
    assert_non_null(ref);
    assert_int_equal(n, 784);
    double worst = 0, sum = 0;
    for (int64_t i = 0; i < n; i++) {
        double e = fabs(m.explained_variance_ratio[i] - ref[i]);
        if (e > worst) worst = e;
        sum += m.explained_variance_ratio[i];
        if (i) assert_true(m.explained_variance_ratio[i] <= m.explained_variance_ratio[i - 1]);
    }
    print_message("# max |ratio - scikit-learn| = %.3g\n", worst);
    assert_true(worst < 1e-5);
    assert_true(fabs(sum - 1) < 1e-9);
    free(ref);

    double *ev = fixture(FIXTURE, "explained_variance", &n);
    for (int64_t i = 0; i < n; i++) assert_true(fabs(m.explained_variance[i] - ev[i]) < 1e-5 * ev[0]);
    free(ev);

    double *mean = fixture(FIXTURE, "mean", &n);
    for (int64_t i = 0; i < n; i++) assert_true(fabs(m.mean[i] - mean[i]) < 1e-6);
    free(mean);

    double *c3 = fixture(FIXTURE, "components_3", &n);
    assert_int_equal(n, 3 * 784);
    for (int64_t i = 0; i < n; i++) assert_true(fabs(m.components[i] - c3[i]) < 1e-4);
    free(c3);

    /* components orthonormal */
    for (int a = 0; a < 784; a += 37)
        for (int b = a; b < 784; b += 53) {
            double d = 0;
            for (int j = 0; j < 784; j++) d += (double)m.components[a * 784 + j] * m.components[b * 784 + j];
            assert_true(fabs(d - (a == b)) < 1e-5);
        }
    ml_pca_clear(&m);
}

static void test_fraction_choice(void **s)
{
    (void)s;
    const int pct[] = {80, 90, 95, 99};
    for (int i = 0; i < 4; i++) {
        char key[32];
        snprintf(key, sizeof key, "n_components_%d", pct[i]);
        int64_t n;
        double *ref = fixture(FIXTURE, key, &n);
        assert_non_null(ref);
        ml_pca m = {0};
        ml_pca_init(&m);
        assert_int_equal(ml_pca_set_n_components(&m, pct[i] / 100.0), ML_OK);
        assert_int_equal(ml_pca_fit(&m, mnist, NULL), ML_OK);
        assert_int_equal(m.k, (int64_t)ref[0]);
        double cum = 0;
        for (int64_t c = 0; c < m.k; c++) cum += m.explained_variance_ratio[c];
        assert_true(cum > pct[i] / 100.0);
        assert_true(cum - m.explained_variance_ratio[m.k - 1] <= pct[i] / 100.0);
        free(ref);
        ml_pca_clear(&m);
    }
}

static void test_transform_reference(void **s)
{
    (void)s;
    ml_pca m = {0};
    ml_pca_init(&m);
    assert_int_equal(ml_pca_set_n_components(&m, 50), ML_OK);
    assert_int_equal(ml_pca_fit(&m, mnist, NULL), ML_OK); /* top-k eigenpairs only */
    assert_int_equal(m.k, 50);
    int64_t n;
    double *nv = fixture(FIXTURE, "noise_variance_50", &n);
    assert_true(fabs(m.noise_variance - nv[0]) < 1e-5 * nv[0] + 1e-7);
    free(nv);

    ml_tensor *five = ml_tensor_view_rows(mnist, 0, 5), *Z = NULL, *back = NULL;
    assert_int_equal(ml_pca_transform(&m, five, &Z), ML_OK);
    assert_int_equal(Z->shape[0], 5);
    assert_int_equal(Z->shape[1], 50);
    double *zr = fixture(FIXTURE, "transform_50_rows5", &n);
    assert_int_equal(n, 250);
    for (int64_t i = 0; i < n; i++) assert_true(fabs(Z->data[i] - zr[i]) < 2e-3);
    free(zr);
    assert_int_equal(ml_pca_inverse_transform(&m, Z, &back), ML_OK);
    double *ir = fixture(FIXTURE, "inverse_50_row0", &n);
    assert_int_equal(n, 784);
    for (int64_t i = 0; i < n; i++) assert_true(fabs(back->data[i] - ir[i]) < 1e-4);
    free(ir);
    ml_tensor_free(back);
    ml_tensor_free(Z);
    ml_tensor_free(five);
    ml_pca_clear(&m);
}

static void test_fewer_samples_than_features(void **s)
{
    (void)s;
    ml_tensor *X = ml_tensor_view_rows(mnist, 0, 500);
    ml_pca m = {0};
    ml_pca_init(&m);
    assert_int_equal(ml_pca_fit(&m, X, NULL), ML_OK);
    assert_int_equal(m.k, 500);
    int64_t n;
    double *ref = fixture(FIXTURE, "explained_variance_ratio_500rows", &n);
    assert_int_equal(n, 500);
    for (int64_t i = 0; i < n; i++) assert_true(fabs(m.explained_variance_ratio[i] - ref[i]) < 1e-5);
    free(ref);
    ml_pca_clear(&m);

    /* more components than samples: a clear error */
    ml_tensor *ten = ml_tensor_view_rows(mnist, 0, 10);
    assert_int_equal(ml_pca_set_n_components(&m, 20), ML_OK);
    assert_int_equal(ml_pca_fit(&m, ten, NULL), ML_EINVAL);
    assert_string_equal(ml_last_error(),
                        "PCA: n_components=20 must be <= min(n_samples, n_features) = min(10, 784) = 10");
    ml_tensor_free(ten);
    ml_tensor_free(X);
}

/* Random low-rank data: reconstruction, projected variances, whitening. */
static void test_properties(void **s)
{
    (void)s;
    const int64_t n = 400, d = 30;
    ml_tensor *X = ml_tensor_new2(n, d);
    ml_rng r;
    ml_rng_seed(&r, 7);
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < d; j++) X->data[i * d + j] = (float)(ml_rng_normal(&r) * (1.0 + j % 7) + 3.0);
    ml_pca m = {0};
    ml_pca_init(&m);
    assert_int_equal(ml_pca_fit(&m, X, NULL), ML_OK);
    assert_int_equal(m.k, d);
    ml_tensor *Z = NULL, *back = NULL;
    assert_int_equal(ml_pca_transform(&m, X, &Z), ML_OK);
    /* projected variance of each component = its eigenvalue, and zero mean */
    for (int64_t c = 0; c < d; c++) {
        double mu = 0, v = 0;
        for (int64_t i = 0; i < n; i++) mu += Z->data[i * d + c];
        mu /= (double)n;
        for (int64_t i = 0; i < n; i++) v += (Z->data[i * d + c] - mu) * (Z->data[i * d + c] - mu);
        v /= (double)(n - 1);
        assert_true(fabs(mu) < 1e-4);
        assert_true(fabs(v - m.explained_variance[c]) < 1e-4 * m.explained_variance[0]);
    }
    /* full rank: exact reconstruction, to float precision (float
     * eigenvectors are orthonormal to a few 1e-7: the error is relative to
     * the data's scale; 1.4e-4 here on 1 thread, with values up to ~30) */
    assert_int_equal(ml_pca_inverse_transform(&m, Z, &back), ML_OK);
    double worst = 0, scale = 0;
    for (int64_t i = 0; i < n * d; i++) {
        worst = fmax(worst, fabs(back->data[i] - X->data[i]));
        scale = fmax(scale, fabs(X->data[i]));
    }
    print_message("# worst reconstruction error %.3g (largest value %.3g)\n", worst, scale);
    assert_true(worst < 2e-5 * scale);
    ml_tensor_free(back);
    ml_tensor_free(Z);

    /* whitening: unit variance; inverse undoes it */
    m.whiten = 1;
    assert_int_equal(ml_pca_transform(&m, X, &Z), ML_OK);
    for (int64_t c = 0; c < d; c += 5) {
        double v = 0;
        for (int64_t i = 0; i < n; i++) v += Z->data[i * d + c] * Z->data[i * d + c];
        assert_true(fabs(v / (double)(n - 1) - 1) < 1e-3);
    }
    assert_int_equal(ml_pca_inverse_transform(&m, Z, &back), ML_OK);
    worst = 0;
    for (int64_t i = 0; i < n * d; i++) worst = fmax(worst, fabs(back->data[i] - X->data[i]));
    print_message("# worst reconstruction error after whitening %.3g\n", worst);
    assert_true(worst < 1e-4 * scale);
    ml_tensor_free(back);
    ml_tensor_free(Z);
    ml_pca_clear(&m);
    ml_tensor_free(X);
}

/* Any thread count gives the same fit and transform, bit for bit: row blocks
 * do not depend on it, and the eigensolver's BLAS runs on one thread. */
static void test_same_fit_any_threads(void **s)
{
    (void)s;
    ml_tensor *X = ml_tensor_view_rows(mnist, 0, 7000); /* 4 blocks of rows */
    int th = ml_get_threads();
    ml_pca a = {0};
    ml_pca_init(&a);
    ml_pca_set_n_components(&a, 40);
    ml_set_threads(1);
    assert_int_equal(ml_pca_fit(&a, X, NULL), ML_OK);
    ml_tensor *Za = NULL;
    assert_int_equal(ml_pca_transform(&a, X, &Za), ML_OK);
    for (int t = 2; t <= 4; t++) {
        ml_pca b = {0};
        ml_pca_init(&b);
        ml_pca_set_n_components(&b, 40);
        ml_set_threads(t);
        assert_int_equal(ml_pca_fit(&b, X, NULL), ML_OK);
        assert_int_equal(a.k, b.k);
        assert_memory_equal(a.components, b.components, (size_t)(a.k * 784) * sizeof(float));
        assert_memory_equal(a.explained_variance, b.explained_variance, (size_t)a.k * sizeof(double));
        ml_tensor *Zb = NULL; /* and the transform */
        assert_int_equal(ml_pca_transform(&b, X, &Zb), ML_OK);
        assert_memory_equal(Za->data, Zb->data, (size_t)ml_tensor_numel(Za) * sizeof(float));
        ml_tensor_free(Zb);
        ml_pca_clear(&b);
    }
    ml_set_threads(th);
    ml_tensor_free(Za);
    ml_pca_clear(&a);
    ml_tensor_free(X);
}

static void test_constant_features(void **s)
{
    (void)s;
    const int64_t n = 50, d = 6;
    ml_tensor *X = ml_tensor_new2(n, d);
    ml_rng r;
    ml_rng_seed(&r, 1);
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < d; j++) X->data[i * d + j] = j >= 3 ? 0.5f : (float)ml_rng_normal(&r);
    ml_pca m = {0};
    ml_pca_init(&m);
    assert_int_equal(ml_pca_fit(&m, X, NULL), ML_OK);
    double sum = 0;
    for (int64_t c = 0; c < d; c++) sum += m.explained_variance_ratio[c];
    assert_true(fabs(sum - 1) < 1e-9);
    for (int64_t c = 3; c < d; c++) assert_true(m.explained_variance_ratio[c] < 1e-6);
    for (int64_t c = 0; c < 3; c++)
        for (int64_t j = 3; j < d; j++) assert_true(fabs(m.components[c * d + j]) < 1e-5);
    ml_pca_clear(&m);
    /* every feature constant: nothing to explain */
    for (int64_t i = 0; i < n * d; i++) X->data[i] = 0.25f;
    assert_int_equal(ml_pca_fit(&m, X, NULL), ML_EINVAL);
    assert_string_equal(ml_last_error(),
                        "X: every feature is constant (total variance 0): PCA has no variance to explain");
    ml_tensor_free(X);
}

static void test_bad_input(void **s)
{
    (void)s;
    ml_pca m = {0};
    ml_pca_init(&m);
    assert_int_equal(ml_pca_set_n_components(&m, -0.5), ML_EINVAL);
    assert_string_equal(ml_last_error(),
                        "n_components: must be an integer >= 1 or a variance fraction in (0, 1) (nil keeps them "
                        "all), got -0.5");
    assert_int_equal(ml_pca_set_n_components(&m, 0), ML_EINVAL);
    assert_int_equal(ml_pca_set_n_components(&m, 1.5), ML_EINVAL);
    assert_string_equal(ml_last_error(),
                        "n_components: 1.5 is neither an integer nor a variance fraction in (0, 1)");
    assert_int_equal(ml_pca_set_n_components(&m, NAN), ML_EINVAL);

    ml_tensor *X = ml_tensor_new2(5, 3);
    for (int i = 0; i < 15; i++) X->data[i] = (float)(i * i % 7);
    X->data[4] = NAN;
    assert_int_equal(ml_pca_fit(&m, X, NULL), ML_EINVAL);
    assert_string_equal(ml_last_error(), "X: contains NaN or infinite values");
    ml_tensor *one = ml_tensor_view_rows(X, 0, 1);
    assert_int_equal(ml_pca_fit(&m, one, NULL), ML_EINVAL);
    assert_string_equal(ml_last_error(), "X: PCA needs at least 2 samples, got 1");
    ml_tensor *Z = NULL;
    assert_int_equal(ml_pca_transform(&m, X, &Z), ML_ESTATE);
    ml_tensor_free(one);
    ml_tensor_free(X);
}

/* Through the estimator layer: parameters, attributes, save and load. */
static void test_estimator(void **s)
{
    (void)s;
    ml_estimator *e = ml_estimator_new(&ml_pca_class);
    assert_non_null(e);
    ml_value v = ml_num(0.9);
    assert_int_equal(ml_estimator_set_param(e, "n_components", &v), ML_OK);
    ml_tensor *X = ml_tensor_view_rows(mnist, 0, 2000);
    assert_int_equal(ml_estimator_fit(e, X, NULL, NULL), ML_OK);
    assert_int_equal(ml_estimator_get_attr(e, "n_components_", &v), ML_OK);
    int64_t k = (int64_t)v.num;
    assert_true(k > 10 && k < 200);
    assert_int_equal(ml_estimator_get_attr(e, "cumulative_variance_ratio", &v), ML_OK);
    assert_int_equal(v.kind, ML_VAL_TENSOR);
    assert_true(v.tensor->data[k - 1] > 0.9f);
    ml_tensor_free(v.tensor);
    const char *path = "build/test-pca.model";
    assert_int_equal(ml_estimator_save(e, path), ML_OK);
    ml_estimator *e2 = NULL;
    assert_int_equal(ml_estimator_load(path, &e2), ML_OK);
    ml_tensor *Z1 = NULL, *Z2 = NULL;
    assert_int_equal(ml_estimator_transform(e, X, &Z1), ML_OK);
    assert_int_equal(ml_estimator_transform(e2, X, &Z2), ML_OK);
    assert_true(ml_tensor_same_shape(Z1, Z2));
    assert_int_equal(memcmp(Z1->data, Z2->data, (size_t)ml_tensor_numel(Z1) * sizeof(float)), 0);
    ml_tensor_free(Z1);
    ml_tensor_free(Z2);
    ml_estimator_free(e2);
    remove(path);
    ml_tensor_free(X);
    ml_estimator_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_ratios),
        cmocka_unit_test(test_fraction_choice),
        cmocka_unit_test(test_transform_reference),
        cmocka_unit_test(test_fewer_samples_than_features),
        cmocka_unit_test(test_properties),
        cmocka_unit_test(test_same_fit_any_threads),
        cmocka_unit_test(test_constant_features),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_estimator),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
