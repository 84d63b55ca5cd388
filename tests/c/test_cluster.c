/* Clustering: KMeans properties and quality against scikit-learn, the metrics
 * against values recorded from scikit-learn (tests/fixtures/unsupervised/,
 * written by scripts/record_unsupervised_fixtures.py), the Gaussian mixture,
 * and bad input. */
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
#include "models/cluster_metrics.h"
#include "models/estimator.h"
#include "models/kmeans.h"
#include "models/mixture.h"
#include "models/pca.h"
#include "helpers/fixture.h"

#define FX "tests/fixtures/unsupervised/"

static double fixture1(const char *path, const char *name)
{
    int64_t n = 0;
    double *v = fixture(path, name, &n);
    double x = v && n > 0 ? v[0] : NAN;
    free(v);
    return x;
}

static ml_tensor *tensor_of(const double *v, int64_t n)
{
    ml_tensor *t = ml_tensor_new1(n);
    for (int64_t i = 0; i < n; i++) t->data[i] = (float)v[i];
    return t;
}

static ml_tensor *X10k, *y10k, *Z50;

static int setup(void **s)
{
    (void)s;
    ml_dataset ds;
    if (ml_dataset_load("mnist", ML_SUBSET_ALL, &ds) != ML_OK) return -1;
    X10k = ds.X;
    y10k = ds.y;
    ds.X = ds.y = NULL;
    ml_dataset_free(&ds);
    ml_pca p = {0};
    ml_pca_init(&p);
    ml_pca_set_n_components(&p, 50);
    if (ml_pca_fit(&p, X10k, NULL) || ml_pca_transform(&p, X10k, &Z50)) return -1;
    ml_pca_clear(&p);
    return 0;
}

static int teardown(void **s)
{
    (void)s;
    ml_tensor_free(X10k);
    ml_tensor_free(y10k);
    ml_tensor_free(Z50);
    return 0;
}

/* ---- metrics ---- */

static void test_metrics_reference(void **s)
{
    (void)s;
    const char *f = FX "metrics_mnist10k.txt";
    int64_t n, m;
    double *a = fixture(f, "y_true", &n), *b = fixture(f, "y_pred", &m);
    assert_non_null(a);
    assert_int_equal(n, m);
    ml_tensor *ta = tensor_of(a, n), *tb = tensor_of(b, n), *C = NULL;
    double v;
    assert_int_equal(ml_adjusted_rand_score(ta, tb, &v), ML_OK);
    assert_true(fabs(v - fixture1(f, "ari")) < 1e-12);
    assert_int_equal(ml_normalized_mutual_info_score(ta, tb, &v), ML_OK);
    assert_true(fabs(v - fixture1(f, "nmi")) < 1e-12);
    assert_int_equal(ml_cluster_accuracy(ta, tb, &v, NULL, 0), ML_OK);
    assert_true(fabs(v - fixture1(f, "mapped_accuracy")) < 1e-12);
    assert_int_equal(ml_contingency_matrix(ta, tb, &C), ML_OK);
    int64_t nc;
    double *ref = fixture(f, "contingency", &nc);
    assert_int_equal(ml_tensor_numel(C), nc);
    for (int64_t i = 0; i < nc; i++) assert_true(C->data[i] == (float)ref[i]);
    free(ref);
    ml_tensor_free(C);
    ml_tensor_free(ta);
    ml_tensor_free(tb);
    free(a);
    free(b);

    /* 3 classes, 5 clusters: a rectangular assignment */
    a = fixture(f, "small_true", &n);
    b = fixture(f, "small_pred", &m);
    ta = tensor_of(a, n);
    tb = tensor_of(b, n);
    int64_t map[5];
    assert_int_equal(ml_adjusted_rand_score(ta, tb, &v), ML_OK);
    assert_true(fabs(v - fixture1(f, "small_ari")) < 1e-12);
    assert_int_equal(ml_normalized_mutual_info_score(ta, tb, &v), ML_OK);
    assert_true(fabs(v - fixture1(f, "small_nmi")) < 1e-12);
    assert_int_equal(ml_cluster_accuracy(ta, tb, &v, map, 5), ML_OK);
    assert_true(fabs(v - fixture1(f, "small_mapped_accuracy")) < 1e-12);
    int mapped = 0;
    for (int j = 0; j < 5; j++) mapped += map[j] >= 0;
    assert_int_equal(mapped, 3);
    /* swapped: more classes than clusters */
    double v2;
    assert_int_equal(ml_cluster_accuracy(tb, ta, &v2, NULL, 0), ML_OK);
    assert_true(fabs(v - v2) < 1e-12);
    ml_tensor_free(ta);
    ml_tensor_free(tb);
    free(a);
    free(b);
}

static void test_metrics_edges(void **s)
{
    (void)s;
    float one[6] = {0, 0, 0, 0, 0, 0}, perm_a[6] = {0, 0, 1, 1, 2, 2}, perm_b[6] = {2, 2, 0, 0, 1, 1};
    ml_tensor *t1 = ml_tensor_new1(6), *ta = ml_tensor_new1(6), *tb = ml_tensor_new1(6);
    memcpy(t1->data, one, sizeof one);
    memcpy(ta->data, perm_a, sizeof perm_a);
    memcpy(tb->data, perm_b, sizeof perm_b);
    double v;
    assert_int_equal(ml_adjusted_rand_score(t1, t1, &v), ML_OK);
    assert_true(v == 1.0);
    assert_int_equal(ml_normalized_mutual_info_score(t1, t1, &v), ML_OK);
    assert_true(v == 1.0);
    assert_int_equal(ml_adjusted_rand_score(ta, tb, &v), ML_OK); /* a relabelling */
    assert_true(fabs(v - 1) < 1e-12);
    assert_int_equal(ml_normalized_mutual_info_score(ta, tb, &v), ML_OK);
    assert_true(fabs(v - 1) < 1e-12);
    assert_int_equal(ml_cluster_accuracy(ta, tb, &v, NULL, 0), ML_OK);
    assert_true(v == 1.0);
    assert_int_equal(ml_normalized_mutual_info_score(t1, ta, &v), ML_OK);
    assert_true(v == 0.0);

    ml_tensor *short_t = ml_tensor_new1(5);
    assert_int_equal(ml_adjusted_rand_score(ta, short_t, &v), ML_EINVAL);
    assert_string_equal(ml_last_error(), "labels_pred: has 5 labels, labels_true has 6");
    tb->data[3] = -1;
    assert_int_equal(ml_cluster_accuracy(ta, tb, &v, NULL, 0), ML_EINVAL);
    assert_string_equal(ml_last_error(), "labels_pred: label -1 at position 4 is not a small non-negative integer");
    ml_tensor_free(short_t);
    ml_tensor_free(t1);
    ml_tensor_free(ta);
    ml_tensor_free(tb);
}

static void test_hungarian(void **s)
{
    (void)s;
    /* brute force over all permutations of 5 columns for random 4 x 5 costs */
    ml_rng r;
    ml_rng_seed(&r, 3);
    for (int trial = 0; trial < 20; trial++) {
        double cost[20];
        for (int i = 0; i < 20; i++) cost[i] = (double)ml_rng_below(&r, 50);
        int64_t as[4];
        double got = ml_linear_assignment(cost, 4, 5, as);
        double best = INFINITY;
        for (int a = 0; a < 5; a++)
            for (int b = 0; b < 5; b++)
                for (int c = 0; c < 5; c++)
                    for (int d = 0; d < 5; d++) {
                        if (a == b || a == c || a == d || b == c || b == d || c == d) continue;
                        double t = cost[a] + cost[5 + b] + cost[10 + c] + cost[15 + d];
                        if (t < best) best = t;
                    }
        assert_true(got == best);
        double check = 0;
        for (int i = 0; i < 4; i++) check += cost[i * 5 + as[i]];
        assert_true(check == got);
    }
}

/* ---- KMeans ---- */

static void test_kmeans_properties(void **s)
{
    (void)s;
    ml_kmeans a = {0}, b = {0};
    ml_kmeans_init(&a);
    ml_kmeans_init(&b);
    a.n_clusters = b.n_clusters = 10;
    a.seed = b.seed = 5;
    assert_int_equal(ml_kmeans_fit(&a, Z50, NULL), ML_OK);
    assert_int_equal(ml_kmeans_fit(&b, Z50, NULL), ML_OK);
    /* same seed, same clustering */
    assert_int_equal(a.n_iter, b.n_iter);
    assert_true(a.inertia == b.inertia);
    assert_int_equal(memcmp(a.labels, b.labels, (size_t)a.n * sizeof(int32_t)), 0);
    /* inertia never increases */
    assert_true(a.n_history >= 2);
    for (int i = 1; i < a.n_history; i++) assert_true(a.history[i] <= a.history[i - 1] * (1 + 1e-12));
    assert_true(a.inertia <= a.history[a.n_history - 1] * (1 + 1e-12));
    /* the reported inertia is the sum of squared distances to the assigned centres */
    double direct = 0;
    int64_t d = a.d;
    for (int64_t i = 0; i < a.n; i++) {
        const float *x = Z50->data + i * d, *c = a.centers + (int64_t)a.labels[i] * d;
        for (int64_t j = 0; j < d; j++) direct += ((double)x[j] - c[j]) * ((double)x[j] - c[j]);
    }
    assert_true(fabs(direct - a.inertia) < 1e-6 * a.inertia);
    /* labels are the nearest centres: predict agrees */
    ml_tensor *pred = NULL;
    assert_int_equal(ml_kmeans_predict(&a, Z50, &pred), ML_OK);
    int64_t agree = 0;
    for (int64_t i = 0; i < a.n; i++) agree += pred->data[i] == (float)a.labels[i];
    assert_true(agree >= a.n - 2); /* float ties aside */
    ml_tensor_free(pred);
    /* any thread count gives the same clustering, bit for bit (sums are
     * kept per fixed group of rows, not per thread) */
    int th = ml_get_threads();
    for (int t = 1; t <= 4; t++) {
        ml_set_threads(t);
        ml_kmeans_clear(&b);
        assert_int_equal(ml_kmeans_fit(&b, Z50, NULL), ML_OK);
        assert_int_equal(a.n_iter, b.n_iter);
        assert_true(a.inertia == b.inertia);
        assert_memory_equal(a.centers, b.centers, (size_t)(a.k * a.d) * sizeof(float));
        assert_memory_equal(a.labels, b.labels, (size_t)a.n * sizeof(int32_t));
    }
    ml_set_threads(th);
    ml_kmeans_clear(&a);
    ml_kmeans_clear(&b);
}

static void test_kmeans_quality(void **s)
{
    (void)s;
    const char *f = FX "kmeans_mnist10k.txt";
    ml_kmeans m = {0};
    ml_kmeans_init(&m);
    m.n_clusters = 10;
    m.n_init = 10;
    assert_int_equal(ml_kmeans_fit(&m, Z50, NULL), ML_OK);
    double ref = fixture1(f, "pca50_inertia_ninit10");
    print_message("# PCA-50 inertia %.1f, scikit-learn (n_init=10) %.1f, ratio %.5f\n", m.inertia, ref,
                  m.inertia / ref);
    assert_true(m.inertia <= ref * 1.01);
    ml_kmeans_clear(&m);

    /* raw pixels, one init: inertia and agreement with the digits near scikit-learn's */
    ml_kmeans_init(&m);
    m.n_clusters = 10;
    assert_int_equal(ml_kmeans_fit(&m, X10k, NULL), ML_OK);
    double ref_raw = fixture1(f, "raw_inertia_ninit1");
    print_message("# raw inertia %.1f, scikit-learn %.1f, ratio %.5f\n", m.inertia, ref_raw, m.inertia / ref_raw);
    assert_true(m.inertia <= ref_raw * 1.02);
    ml_tensor *lab = ml_tensor_new1(m.n);
    for (int64_t i = 0; i < m.n; i++) lab->data[i] = (float)m.labels[i];
    double ari, nmi;
    assert_int_equal(ml_adjusted_rand_score(y10k, lab, &ari), ML_OK);
    assert_int_equal(ml_normalized_mutual_info_score(y10k, lab, &nmi), ML_OK);
    print_message("# raw ARI %.3f NMI %.3f (scikit-learn %.3f %.3f)\n", ari, nmi, fixture1(f, "raw_ari"),
                  fixture1(f, "raw_nmi"));
    assert_true(ari > 0.25 && nmi > 0.4);
    ml_tensor_free(lab);
    ml_kmeans_clear(&m);
}

static void test_kmeans_bad_input(void **s)
{
    (void)s;
    ml_kmeans m = {0};
    ml_kmeans_init(&m);
    m.n_clusters = 20;
    ml_tensor *X = ml_tensor_view_rows(Z50, 0, 10);
    assert_int_equal(ml_kmeans_fit(&m, X, NULL), ML_EINVAL);
    assert_string_equal(ml_last_error(), "KMeans: n_clusters=20 is larger than the number of samples (10)");
    ml_tensor *bad = ml_tensor_clone(X);
    bad->data[7] = NAN;
    m.n_clusters = 2;
    assert_int_equal(ml_kmeans_fit(&m, bad, NULL), ML_EINVAL);
    assert_string_equal(ml_last_error(), "X: contains NaN or infinite values");
    ml_tensor *pred = NULL;
    assert_int_equal(ml_kmeans_predict(&m, X, &pred), ML_ESTATE);
    /* k == n: every row its own cluster, inertia 0 */
    m.n_clusters = 10;
    assert_int_equal(ml_kmeans_fit(&m, X, NULL), ML_OK);
    assert_true(m.inertia < 1e-6);
    ml_kmeans_clear(&m);
    /* duplicated rows: fewer distinct points than clusters still works */
    ml_tensor *dup = ml_tensor_new2(12, 2);
    for (int i = 0; i < 12; i++) dup->data[i * 2] = (float)(i % 3);
    m.n_clusters = 5;
    assert_int_equal(ml_kmeans_fit(&m, dup, NULL), ML_OK);
    assert_true(m.inertia < 1e-6);
    ml_kmeans_clear(&m);
    ml_tensor_free(dup);
    ml_tensor_free(bad);
    ml_tensor_free(X);

    /* through the estimator layer: parameter checks */
    ml_estimator *e = ml_estimator_new(&ml_kmeans_class);
    ml_value v = ml_num(0);
    assert_int_equal(ml_estimator_set_param(e, "n_clusters", &v), ML_EINVAL);
    v = ml_str("bogus");
    assert_int_equal(ml_estimator_set_param(e, "init", &v), ML_EINVAL);
    v = ml_str("random");
    assert_int_equal(ml_estimator_set_param(e, "init", &v), ML_OK);
    v = ml_num(4);
    assert_int_equal(ml_estimator_set_param(e, "n_clusters", &v), ML_OK);
    ml_tensor *small = ml_tensor_view_rows(Z50, 0, 500);
    assert_int_equal(ml_estimator_fit(e, small, NULL, NULL), ML_OK);
    assert_int_equal(ml_estimator_get_attr(e, "counts", &v), ML_OK);
    double tot = 0;
    for (int i = 0; i < 4; i++) tot += v.tensor->data[i];
    assert_true(tot == 500);
    ml_tensor_free(v.tensor);
    const char *path = "build/test-kmeans.model";
    assert_int_equal(ml_estimator_save(e, path), ML_OK);
    ml_estimator *e2 = NULL;
    assert_int_equal(ml_estimator_load(path, &e2), ML_OK);
    ml_tensor *p1 = NULL, *p2 = NULL;
    assert_int_equal(ml_estimator_predict(e, small, &p1), ML_OK);
    assert_int_equal(ml_estimator_predict(e2, small, &p2), ML_OK);
    assert_int_equal(ml_tensor_count_equal(p1, p2), 500);
    remove(path);
    ml_tensor_free(p1);
    ml_tensor_free(p2);
    ml_tensor_free(small);
    ml_estimator_free(e2);
    ml_estimator_free(e);
}

/* ---- Gaussian mixture ---- */

static void test_gmm(void **s)
{
    (void)s;
    const char *f = FX "gmm_mnist10k.txt";
    /* the first 20 principal components, as the fixture */
    ml_tensor *Z20 = ml_tensor_new2(Z50->shape[0], 20);
    for (int64_t i = 0; i < Z50->shape[0]; i++) memcpy(Z20->data + i * 20, Z50->data + i * 50, 20 * sizeof(float));
    ml_gmm g = {0};
    ml_gmm_init(&g);
    g.n_components = 10;
    assert_int_equal(ml_gmm_fit(&g, Z20, NULL), ML_OK);
    double ref = fixture1(f, "pca20_lower_bound");
    double score;
    assert_int_equal(ml_gmm_score(&g, Z20, &score), ML_OK);
    print_message("# GMM lower bound %.4f (scikit-learn %.4f), score %.4f, %d iterations\n", g.lower_bound, ref,
                  score, g.n_iter);
    /* a local optimum as good as scikit-learn's, within 0.5 % */
    assert_true(g.lower_bound > ref - 0.005 * fabs(ref));
    assert_true(fabs(score - g.lower_bound) < 0.01);
    double wsum = 0;
    for (int c = 0; c < 10; c++) wsum += g.weights[c];
    assert_true(fabs(wsum - 1) < 1e-6);
    ml_tensor *proba = NULL;
    assert_int_equal(ml_gmm_predict_proba(&g, Z20, &proba), ML_OK);
    for (int64_t i = 0; i < 100; i++) {
        double rs = 0;
        for (int c = 0; c < 10; c++) rs += proba->data[i * 10 + c];
        assert_true(fabs(rs - 1) < 1e-5);
    }
    ml_tensor_free(proba);
    ml_tensor *lab = ml_tensor_new1(g.n);
    for (int64_t i = 0; i < g.n; i++) lab->data[i] = (float)g.labels[i];
    double ari;
    assert_int_equal(ml_adjusted_rand_score(y10k, lab, &ari), ML_OK);
    print_message("# GMM ARI %.3f (scikit-learn %.3f)\n", ari, fixture1(f, "pca20_ari"));
    assert_true(ari > 0.2);
    ml_tensor_free(lab);
    /* same seed, same fit */
    ml_gmm h = {0};
    ml_gmm_init(&h);
    h.n_components = 10;
    assert_int_equal(ml_gmm_fit(&h, Z20, NULL), ML_OK);
    assert_true(h.lower_bound == g.lower_bound);
    ml_gmm_clear(&h);
    /* and on any thread count, bit for bit */
    int th = ml_get_threads();
    for (int t = 1; t <= 4; t++) {
        ml_set_threads(t);
        ml_gmm_init(&h);
        h.n_components = 10;
        assert_int_equal(ml_gmm_fit(&h, Z20, NULL), ML_OK);
        assert_int_equal(h.n_iter, g.n_iter);
        assert_true(h.lower_bound == g.lower_bound);
        assert_memory_equal(h.means, g.means, 10 * 20 * sizeof(double));
        ml_gmm_clear(&h);
    }
    ml_set_threads(th);
    ml_gmm_clear(&g);
    /* bad input */
    ml_tensor *few = ml_tensor_view_rows(Z20, 0, 5);
    g.n_components = 10;
    assert_int_equal(ml_gmm_fit(&g, few, NULL), ML_EINVAL);
    assert_string_equal(ml_last_error(),
                        "GaussianMixture: n_components=10 needs at least as many samples, got 5");
    ml_tensor_free(few);
    ml_tensor_free(Z20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metrics_reference), cmocka_unit_test(test_metrics_edges),
        cmocka_unit_test(test_hungarian),         cmocka_unit_test(test_kmeans_properties),
        cmocka_unit_test(test_kmeans_quality),    cmocka_unit_test(test_kmeans_bad_input),
        cmocka_unit_test(test_gmm),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
