/* LogisticRegression: optimality of the fitted weights for scikit-learn's
 * objective (so that C means the same), L1 sparsity and subgradient
 * conditions, probabilities, the convergence warning, save/load, bad input.
 * Accuracies against scikit-learn on the digits: tests/lua/logreg_svc_spec.lua. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/blas.h"
#include "core/rng.h"
#include "core/tensor.h"
#include "models/estimator.h"
#include "models/logreg.h"

/* n points in d dims around K centres (overlapping so the optimum is finite). */
static void blobs(int64_t n, int64_t d, int K, uint64_t seed, ml_tensor **X, ml_tensor **y)
{
    ml_rng r;
    ml_rng_seed(&r, seed);
    *X = ml_tensor_new2(n, d);
    *y = ml_tensor_new1(n);
    for (int64_t i = 0; i < n; i++) {
        int k = (int)(i % K);
        (*y)->data[i] = (float)k;
        for (int64_t j = 0; j < d; j++)
            (*X)->data[i * d + j] = (float)(ml_rng_normal(&r) + (j % K == k ? 1.5 : 0.0) + 0.3 * j / d);
    }
}

static ml_estimator *make(const char *penalty, double C, int max_iter, double tol)
{
    ml_estimator *e = ml_estimator_new(&ml_logistic_regression_class);
    assert_non_null(e);
    ml_value v = ml_str(penalty);
    assert_int_equal(ml_estimator_set_param(e, "penalty", &v), ML_OK);
    v = ml_num(C);
    assert_int_equal(ml_estimator_set_param(e, "C", &v), ML_OK);
    v = ml_num(max_iter);
    assert_int_equal(ml_estimator_set_param(e, "max_iter", &v), ML_OK);
    v = ml_num(tol);
    assert_int_equal(ml_estimator_set_param(e, "tol", &v), ML_OK);
    return e;
}

/* Gradient of sum log-loss (double precision, straight loops) at the fitted
 * weights: gw (M x d), gb (M). */
static void loss_gradient(const ml_logreg *m, const ml_tensor *X, const ml_tensor *y, double *gw, double *gb)
{
    int64_t n = X->shape[0], d = X->shape[1];
    int M = m->n_scores, K = M == 1 ? 2 : M;
    memset(gw, 0, sizeof(double) * (size_t)(M * d));
    memset(gb, 0, sizeof(double) * (size_t)M);
    double z[16], p[16];
    for (int64_t i = 0; i < n; i++) {
        for (int k = 0; k < M; k++) {
            double s = m->intercept->data[k];
            for (int64_t j = 0; j < d; j++) s += (double)m->coef->data[k * d + j] * X->data[i * d + j];
            z[M == 1 ? 1 : k] = s;
        }
        if (M == 1) z[0] = 0;
        double mx = z[0], sum = 0;
        for (int k = 1; k < K; k++) mx = fmax(mx, z[k]);
        for (int k = 0; k < K; k++) sum += (p[k] = exp(z[k] - mx));
        int yi = (int)y->data[i];
        for (int k = 0; k < M; k++) {
            int kk = M == 1 ? 1 : k;
            double r = p[kk] / sum - (yi == kk);
            gb[k] += r;
            for (int64_t j = 0; j < d; j++) gw[k * d + j] += r * X->data[i * d + j];
        }
    }
}

static void l2_optimal(int K)
{
    ml_tensor *X, *y;
    blobs(600, 12, K, 7, &X, &y);
    double C = 0.5;
    ml_estimator *e = make("l2", C, 500, 1e-5);
    assert_int_equal(ml_estimator_fit(e, X, y, NULL), ML_OK);
    ml_logreg *m = (ml_logreg *)e;
    if (!m->converged) print_message("# %s\n", e->warning);
    assert_true(m->converged);
    assert_string_equal(e->warning, "");
    int M = K == 2 ? 1 : K;
    assert_int_equal(m->coef->shape[0], M);
    assert_int_equal(m->coef->shape[1], 12);
    double gw[16 * 12], gb[16];
    loss_gradient(m, X, y, gw, gb);
    /* stationary point of sum loss + 1/(2C) ||W||^2, intercept unpenalised */
    double worst = 0;
    for (int i = 0; i < M * 12; i++) worst = fmax(worst, fabs(gw[i] + m->coef->data[i] / C));
    for (int k = 0; k < M; k++) worst = fmax(worst, fabs(gb[k]));
    assert_true(worst / 600 < 1e-4);
    /* probabilities sum to one and agree with predict */
    ml_tensor *P, *pred;
    assert_int_equal(ml_estimator_predict_proba(e, X, &P), ML_OK);
    assert_int_equal(ml_estimator_predict(e, X, &pred), ML_OK);
    assert_int_equal(P->shape[1], K);
    for (int64_t i = 0; i < 600; i++) {
        double s = 0;
        int best = 0;
        for (int k = 0; k < K; k++) {
            s += P->data[i * K + k];
            if (P->data[i * K + k] > P->data[i * K + best]) best = k;
        }
        assert_true(fabs(s - 1) < 1e-5);
        assert_int_equal(best, (int)pred->data[i]);
    }
    double acc;
    assert_int_equal(ml_estimator_score(e, X, y, &acc), ML_OK);
    assert_true(acc > 0.8);
    ml_tensor_free(P), ml_tensor_free(pred), ml_tensor_free(X), ml_tensor_free(y);
    ml_estimator_free(e);
}

static void test_l2_multinomial_optimal(void **s) { (void)s; l2_optimal(4); }
static void test_l2_binary_optimal(void **s) { (void)s; l2_optimal(2); }

static void test_l1_sparse_and_optimal(void **s)
{
    (void)s;
    ml_tensor *X, *y;
    blobs(600, 12, 3, 11, &X, &y);
    double C = 0.01;
    ml_estimator *e = make("l1", C, 1000, 1e-5);
    assert_int_equal(ml_estimator_fit(e, X, y, NULL), ML_OK);
    ml_logreg *m = (ml_logreg *)e;
    double gw[3 * 12], gb[3];
    loss_gradient(m, X, y, gw, gb);
    int zeros = 0;
    double worst = 0;
    for (int i = 0; i < 36; i++) {
        double w = m->coef->data[i];
        if (w == 0) {
            zeros++;
            worst = fmax(worst, fabs(gw[i]) - 1 / C); /* subgradient contains 0 */
        } else {
            worst = fmax(worst, fabs(gw[i] + (w > 0 ? 1 : -1) / C));
        }
    }
    assert_true(zeros >= 6);        /* L1 gives exact zeros */
    assert_true(worst / 600 < 1e-3);
    ml_tensor_free(X), ml_tensor_free(y);
    ml_estimator_free(e);
}

static void test_max_iter_warning(void **s)
{
    (void)s;
    ml_tensor *X, *y;
    blobs(300, 8, 3, 3, &X, &y);
    ml_estimator *e = make("l2", 1e4, 2, 1e-8);
    assert_int_equal(ml_estimator_fit(e, X, y, NULL), ML_OK);
    ml_value v;
    assert_int_equal(ml_estimator_get_attr(e, "converged", &v), ML_OK);
    assert_int_equal(v.kind, ML_VAL_BOOL);
    assert_true(v.num == 0);
    assert_int_equal(ml_estimator_get_attr(e, "n_iter", &v), ML_OK);
    assert_true(v.num == 2);
    assert_non_null(strstr(e->warning, "failed to converge after 2 iterations"));
    assert_non_null(strstr(e->warning, "max_iter"));
    ml_tensor_free(X), ml_tensor_free(y);
    ml_estimator_free(e);
}

static void test_save_load(void **s)
{
    (void)s;
    ml_tensor *X, *y;
    blobs(300, 8, 3, 5, &X, &y);
    ml_estimator *e = make("l2", 1, 100, 1e-4);
    assert_int_equal(ml_estimator_fit(e, X, y, NULL), ML_OK);
    char path[] = "/tmp/mnistlab-logreg-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(ml_estimator_save(e, path), ML_OK);
    ml_estimator *f = NULL;
    assert_int_equal(ml_estimator_load(path, &f), ML_OK);
    ml_tensor *a, *b;
    assert_int_equal(ml_estimator_predict_proba(e, X, &a), ML_OK);
    assert_int_equal(ml_estimator_predict_proba(f, X, &b), ML_OK);
    assert_memory_equal(a->data, b->data, sizeof(float) * (size_t)ml_tensor_numel(a));
    ml_value v;
    assert_int_equal(ml_estimator_get_param(f, "penalty", &v), ML_OK);
    assert_string_equal(v.str, "l2");
    unlink(path);
    ml_tensor_free(a), ml_tensor_free(b), ml_tensor_free(X), ml_tensor_free(y);
    ml_estimator_free(e), ml_estimator_free(f);
}

/* The same data gives the same weights, bit for bit, and the same number of
 * iterations whatever the thread count (rows are summed in fixed groups). */
static void fit_with_threads(int threads, const char *penalty, const ml_tensor *X, const ml_tensor *y, float *coef,
                             int *n_iter)
{
    int keep = ml_get_threads();
    ml_set_threads(threads);
    ml_estimator *e = make(penalty, 0.5, 200, 1e-6);
    assert_int_equal(ml_estimator_fit(e, X, y, NULL), ML_OK);
    ml_set_threads(keep);
    const ml_logreg *m = (const ml_logreg *)e;
    memcpy(coef, m->coef->data, sizeof(float) * (size_t)ml_tensor_numel(m->coef));
    ml_value v;
    assert_int_equal(ml_estimator_get_attr(e, "n_iter", &v), ML_OK);
    *n_iter = (int)v.num;
    ml_estimator_free(e);
}

static void test_same_weights_any_threads(void **s)
{
    (void)s;
    ml_tensor *X, *y;
    blobs(4000, 40, 5, 11, &X, &y); /* 125 blocks of rows: every thread count below runs in parallel */
    const char *penalties[] = {"l2", "l1"};
    for (int p = 0; p < 2; p++) {
        float a[5 * 40], b[5 * 40];
        int ia, ib;
        fit_with_threads(1, penalties[p], X, y, a, &ia);
        for (int t = 2; t <= 4; t++) {
            fit_with_threads(t, penalties[p], X, y, b, &ib);
            assert_int_equal(ia, ib);
            assert_memory_equal(a, b, sizeof a);
        }
    }
    ml_tensor_free(X), ml_tensor_free(y);
}

static void test_bad_input(void **s)
{
    (void)s;
    ml_estimator *e = ml_estimator_new(&ml_logistic_regression_class);
    ml_value v = ml_num(0);
    assert_int_equal(ml_estimator_set_param(e, "C", &v), ML_EINVAL);
    assert_non_null(strstr(ml_last_error(), "C must be > 0"));
    v = ml_num(-1);
    assert_int_equal(ml_estimator_set_param(e, "C", &v), ML_EINVAL);
    v = ml_num(NAN);
    assert_int_equal(ml_estimator_set_param(e, "C", &v), ML_EINVAL);
    assert_non_null(strstr(ml_last_error(), "C"));
    v = ml_str("elasticnet");
    assert_int_equal(ml_estimator_set_param(e, "penalty", &v), ML_EINVAL);
    assert_non_null(strstr(ml_last_error(), "penalty"));
    v = ml_num(0);
    assert_int_equal(ml_estimator_set_param(e, "max_iter", &v), ML_EINVAL);
    assert_non_null(strstr(ml_last_error(), "max_iter"));
    v = ml_str("l1");
    assert_int_equal(ml_estimator_set_param(e, "penalty", &v), ML_OK);
    v = ml_str("lbfgs");
    assert_int_equal(ml_estimator_set_param(e, "solver", &v), ML_OK);
    ml_tensor *X, *y;
    blobs(60, 4, 3, 1, &X, &y);
    assert_int_equal(ml_estimator_fit(e, X, y, NULL), ML_EINVAL);
    assert_non_null(strstr(ml_last_error(), "solver"));
    /* one class only */
    ml_tensor *y1 = ml_tensor_new1(60);
    v = ml_str("auto");
    ml_estimator_set_param(e, "solver", &v);
    assert_int_equal(ml_estimator_fit(e, X, y1, NULL), ML_EINVAL);
    assert_non_null(strstr(ml_last_error(), "2 classes"));
    /* NaN in X */
    X->data[5] = NAN;
    assert_int_equal(ml_estimator_fit(e, X, y, NULL), ML_EINVAL);
    assert_non_null(strstr(ml_last_error(), "NaN"));
    ml_tensor_free(X), ml_tensor_free(y), ml_tensor_free(y1);
    ml_estimator_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_l2_multinomial_optimal), cmocka_unit_test(test_l2_binary_optimal),
        cmocka_unit_test(test_l1_sparse_and_optimal),  cmocka_unit_test(test_max_iter_warning),
        cmocka_unit_test(test_save_load),              cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_same_weights_any_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
