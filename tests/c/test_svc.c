/* SVC: the dual's constraints (0 <= alpha <= C, sum y alpha = 0 per pair),
 * decision values recomputed by hand from the fitted attributes, a
 * non-linear problem only rbf/poly solve, the whole-matrix and the row-cache
 * paths agree, shrinking on/off agree, save/load, bad input.
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

#include "core/rng.h"
#include "core/tensor.h"
#include "models/estimator.h"
#include "models/svc.h"

/* Points in [-1, 1]^2 with noise dims; class = quadrant parity (XOR) or, for
 * K > 2, ring index by radius. */
static void data(int64_t n, int K, uint64_t seed, ml_tensor **X, ml_tensor **y)
{
    ml_rng r;
    ml_rng_seed(&r, seed);
    *X = ml_tensor_new2(n, 4);
    *y = ml_tensor_new1(n);
    for (int64_t i = 0; i < n; i++) {
        double a = 2 * ml_rng_uniform(&r) - 1, b = 2 * ml_rng_uniform(&r) - 1;
        float *x = (*X)->data + i * 4;
        x[0] = (float)a, x[1] = (float)b;
        x[2] = (float)(0.05 * ml_rng_normal(&r)), x[3] = (float)(0.05 * ml_rng_normal(&r));
        int c;
        if (K == 2) c = (a > 0) != (b > 0);
        else c = (int)(sqrt(a * a + b * b) / 1.42 * K);
        (*y)->data[i] = (float)(c >= K ? K - 1 : c);
    }
}

static ml_estimator *make(const char *kernel, double C)
{
    ml_estimator *e = ml_estimator_new(&ml_svc_class);
    ml_value v = ml_str(kernel);
    assert_int_equal(ml_estimator_set_param(e, "kernel", &v), ML_OK);
    v = ml_num(C);
    assert_int_equal(ml_estimator_set_param(e, "C", &v), ML_OK);
    return e;
}

static void test_xor_needs_a_kernel(void **s)
{
    (void)s;
    ml_tensor *X, *y;
    data(400, 2, 1, &X, &y);
    double acc;
    ml_estimator *lin = make("linear", 1), *rbf = make("rbf", 10), *poly = make("poly", 10);
    ml_value v = ml_num(2);
    ml_estimator_set_param(poly, "degree", &v);
    assert_int_equal(ml_estimator_fit(lin, X, y, NULL), ML_OK);
    assert_int_equal(ml_estimator_fit(rbf, X, y, NULL), ML_OK);
    assert_int_equal(ml_estimator_fit(poly, X, y, NULL), ML_OK);
    assert_int_equal(ml_estimator_score(lin, X, y, &acc), ML_OK);
    assert_true(acc < 0.75);
    assert_int_equal(ml_estimator_score(rbf, X, y, &acc), ML_OK);
    assert_true(acc > 0.95);
    assert_int_equal(ml_estimator_score(poly, X, y, &acc), ML_OK);
    assert_true(acc > 0.95);
    ml_tensor_free(X), ml_tensor_free(y);
    ml_estimator_free(lin), ml_estimator_free(rbf), ml_estimator_free(poly);
}

/* Binary: decision_function = dual_coef . K(sv, x) + intercept, by hand. */
static void test_binary_decision_by_hand(void **s)
{
    (void)s;
    ml_tensor *X, *y;
    data(300, 2, 2, &X, &y);
    ml_estimator *e = make("rbf", 5);
    ml_value v = ml_num(0.7);
    assert_int_equal(ml_estimator_set_param(e, "gamma", &v), ML_OK);
    assert_int_equal(ml_estimator_fit(e, X, y, NULL), ML_OK);
    ml_value sv, dc, ic, ns;
    assert_int_equal(ml_estimator_get_attr(e, "support_vectors", &sv), ML_OK);
    assert_int_equal(ml_estimator_get_attr(e, "dual_coef", &dc), ML_OK);
    assert_int_equal(ml_estimator_get_attr(e, "intercept", &ic), ML_OK);
    assert_int_equal(ml_estimator_get_attr(e, "n_support", &ns), ML_OK);
    int64_t nsv = sv.tensor->shape[0];
    assert_int_equal(dc.tensor->shape[0], 1);
    assert_int_equal(dc.tensor->shape[1], nsv);
    assert_int_equal((int64_t)(ns.tensor->data[0] + ns.tensor->data[1]), nsv);
    double sum = 0;
    for (int64_t q = 0; q < nsv; q++) {
        double c = dc.tensor->data[q];
        assert_true(fabs(c) <= 5 + 1e-4 && c != 0);
        sum += c;
    }
    assert_true(fabs(sum) < 1e-3); /* sum y alpha = 0 */
    ml_tensor *D, *pred;
    assert_int_equal(ml_estimator_decision_function(e, X, &D), ML_OK);
    assert_int_equal(ml_estimator_predict(e, X, &pred), ML_OK);
    assert_int_equal(D->ndim, 1);
    for (int64_t i = 0; i < 300; i++) {
        double f = ic.tensor->data[0];
        for (int64_t q = 0; q < nsv; q++) {
            double d2 = 0;
            for (int j = 0; j < 4; j++) {
                double t = (double)X->data[i * 4 + j] - sv.tensor->data[q * 4 + j];
                d2 += t * t;
            }
            f += dc.tensor->data[q] * exp(-0.7 * d2);
        }
        assert_true(fabs(f - D->data[i]) < 1e-3 * (1 + fabs(f)));
        if (fabs(f) > 1e-3) assert_int_equal(pred->data[i], f > 0 ? 1 : 0);
    }
    ml_tensor_free(sv.tensor), ml_tensor_free(dc.tensor), ml_tensor_free(ic.tensor), ml_tensor_free(ns.tensor);
    ml_tensor_free(D), ml_tensor_free(pred), ml_tensor_free(X), ml_tensor_free(y);
    ml_estimator_free(e);
}

/* Multiclass: per pair (a, b), coefficients of class a's SVs are in row b-1
 * and of class b's in row a; they sum to zero and stay within [-C, C].  The
 * tiny cache (rows on demand, LRU, shrinking) and the whole-matrix path give
 * the same model; ovr decision_function's argmax is the prediction. */
static void test_multiclass_dual_and_cache(void **s)
{
    (void)s;
    ml_tensor *X, *y;
    data(600, 4, 3, &X, &y);
    double C = 2;
    ml_estimator *big = make("rbf", C), *small = make("rbf", C), *noshrink = make("rbf", C);
    ml_value v = ml_num(0.01); /* MB: a few rows only */
    ml_estimator_set_param(small, "cache_size", &v);
    ml_estimator_set_param(noshrink, "cache_size", &v);
    v = ml_bool(0);
    ml_estimator_set_param(noshrink, "shrinking", &v);
    assert_int_equal(ml_estimator_fit(big, X, y, NULL), ML_OK);
    assert_int_equal(ml_estimator_fit(small, X, y, NULL), ML_OK);
    assert_int_equal(ml_estimator_fit(noshrink, X, y, NULL), ML_OK);
    ml_svc *m = (ml_svc *)big;
    int K = 4;
    int64_t nsv = m->n_sv;
    for (int a = 0; a < K; a++)
        for (int b = a + 1; b < K; b++) {
            double sum = 0;
            for (int64_t t = m->sv_start[a]; t < m->sv_start[a + 1]; t++) {
                float c = m->dual_coef->data[(b - 1) * nsv + t];
                assert_true(c >= 0 && c <= C + 1e-4);
                sum += c;
            }
            for (int64_t t = m->sv_start[b]; t < m->sv_start[b + 1]; t++) {
                float c = m->dual_coef->data[a * nsv + t];
                assert_true(c <= 0 && c >= -C - 1e-4);
                sum += c;
            }
            assert_true(fabs(sum) < 1e-3);
        }
    ml_tensor *p1, *p2, *p3, *D;
    assert_int_equal(ml_estimator_predict(big, X, &p1), ML_OK);
    assert_int_equal(ml_estimator_predict(small, X, &p2), ML_OK);
    assert_int_equal(ml_estimator_predict(noshrink, X, &p3), ML_OK);
    assert_true(ml_tensor_count_equal(p1, p2) >= 597);
    assert_true(ml_tensor_count_equal(p1, p3) >= 597);
    int64_t n2 = ((ml_svc *)small)->n_sv;
    assert_true(labs((long)(n2 - nsv)) <= nsv / 50 + 2);
    assert_int_equal(ml_estimator_decision_function(big, X, &D), ML_OK);
    assert_int_equal(D->shape[1], K);
    ml_tensor *am = ml_tensor_argmax_rows(D);
    assert_int_equal(ml_tensor_count_equal(am, p1), 600);
    double acc;
    ml_estimator_score(big, X, y, &acc);
    assert_true(acc > 0.9);
    ml_tensor_free(am), ml_tensor_free(D), ml_tensor_free(p1), ml_tensor_free(p2), ml_tensor_free(p3);
    ml_tensor_free(X), ml_tensor_free(y);
    ml_estimator_free(big), ml_estimator_free(small), ml_estimator_free(noshrink);
}

static void test_save_load(void **s)
{
    (void)s;
    ml_tensor *X, *y;
    data(300, 3, 4, &X, &y);
    ml_estimator *e = make("poly", 3);
    assert_int_equal(ml_estimator_fit(e, X, y, NULL), ML_OK);
    char path[] = "/tmp/mnistlab-svc-XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    assert_int_equal(ml_estimator_save(e, path), ML_OK);
    ml_estimator *f = NULL;
    assert_int_equal(ml_estimator_load(path, &f), ML_OK);
    ml_tensor *a, *b;
    assert_int_equal(ml_estimator_decision_function(e, X, &a), ML_OK);
    assert_int_equal(ml_estimator_decision_function(f, X, &b), ML_OK);
    assert_memory_equal(a->data, b->data, sizeof(float) * (size_t)ml_tensor_numel(a));
    unlink(path);
    ml_tensor_free(a), ml_tensor_free(b), ml_tensor_free(X), ml_tensor_free(y);
    ml_estimator_free(e), ml_estimator_free(f);
}

static void test_bad_input(void **s)
{
    (void)s;
    ml_estimator *e = ml_estimator_new(&ml_svc_class);
    ml_value v = ml_num(0);
    assert_int_equal(ml_estimator_set_param(e, "C", &v), ML_EINVAL);
    assert_non_null(strstr(ml_last_error(), "C must be > 0"));
    v = ml_num(-2);
    assert_int_equal(ml_estimator_set_param(e, "gamma", &v), ML_EINVAL);
    assert_non_null(strstr(ml_last_error(), "gamma must be > 0"));
    v = ml_str("sometimes");
    assert_int_equal(ml_estimator_set_param(e, "gamma", &v), ML_EINVAL);
    assert_non_null(strstr(ml_last_error(), "gamma"));
    v = ml_str("cubic");
    assert_int_equal(ml_estimator_set_param(e, "kernel", &v), ML_EINVAL);
    assert_non_null(strstr(ml_last_error(), "kernel"));
    v = ml_num(NAN);
    assert_int_equal(ml_estimator_set_param(e, "C", &v), ML_EINVAL);
    assert_non_null(strstr(ml_last_error(), "C"));
    v = ml_num(2.5);
    assert_int_equal(ml_estimator_set_param(e, "degree", &v), ML_EINVAL);
    assert_non_null(strstr(ml_last_error(), "degree"));
    ml_tensor *X, *y;
    data(50, 2, 5, &X, &y);
    ml_tensor *Xt = ml_tensor_new2(5, 3), *out = NULL;
    assert_int_equal(ml_estimator_predict(e, X, &out), ML_ESTATE);
    assert_int_equal(ml_estimator_fit(e, X, y, NULL), ML_OK);
    assert_int_equal(ml_estimator_predict(e, Xt, &out), ML_EINVAL);
    assert_non_null(strstr(ml_last_error(), "features"));
    X->data[3] = INFINITY;
    assert_int_equal(ml_estimator_fit(e, X, y, NULL), ML_EINVAL);
    ml_tensor_free(X), ml_tensor_free(y), ml_tensor_free(Xt);
    ml_estimator_free(e);
}


/* Labels with gaps: classes are the labels present, sorted; predictions are
 * labels; the model is the one fitted on the labels renumbered 0..K-1. */
static void test_gap_labels(void **s)
{
    (void)s;
    ml_tensor *X, *y;
    data(300, 3, 6, &X, &y);
    const float map[3] = {0, 2, 5};
    ml_tensor *yg = ml_tensor_clone(y);
    for (int64_t i = 0; i < 300; i++) yg->data[i] = map[(int)y->data[i]];
    ml_estimator *a = make("rbf", 2), *b = make("rbf", 2);
    assert_int_equal(ml_estimator_fit(a, X, y, NULL), ML_OK);
    assert_int_equal(ml_estimator_fit(b, X, yg, NULL), ML_OK);
    ml_value cl;
    assert_int_equal(ml_estimator_get_attr(b, "classes", &cl), ML_OK);
    assert_int_equal(ml_tensor_numel(cl.tensor), 3);
    for (int k = 0; k < 3; k++) assert_true(cl.tensor->data[k] == map[k]);
    ml_tensor_free(cl.tensor);
    ml_tensor *pa, *pb, *da, *db;
    assert_int_equal(ml_estimator_predict(a, X, &pa), ML_OK);
    assert_int_equal(ml_estimator_predict(b, X, &pb), ML_OK);
    for (int64_t i = 0; i < 300; i++) assert_true(pb->data[i] == map[(int)pa->data[i]]);
    assert_int_equal(ml_estimator_decision_function(a, X, &da), ML_OK);
    assert_int_equal(ml_estimator_decision_function(b, X, &db), ML_OK);
    assert_int_equal(db->shape[1], 3);
    assert_memory_equal(da->data, db->data, sizeof(float) * 900);
    double acc;
    assert_int_equal(ml_estimator_score(b, X, yg, &acc), ML_OK);
    assert_true(acc > 0.9);
    /* save and load keep the labels */
    char path[] = "/tmp/mnistlab-svc-XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    assert_int_equal(ml_estimator_save(b, path), ML_OK);
    ml_estimator *c = NULL;
    assert_int_equal(ml_estimator_load(path, &c), ML_OK);
    unlink(path);
    ml_tensor *pc;
    assert_int_equal(ml_estimator_predict(c, X, &pc), ML_OK);
    assert_memory_equal(pb->data, pc->data, sizeof(float) * 300);
    ml_tensor_free(pa), ml_tensor_free(pb), ml_tensor_free(pc), ml_tensor_free(da), ml_tensor_free(db);
    ml_estimator_free(c);
    /* two classes, 3 and 7: decision_function > 0 for 7, as scikit-learn */
    ml_tensor *X2, *y2;
    data(200, 2, 7, &X2, &y2);
    for (int64_t i = 0; i < 200; i++) y2->data[i] = y2->data[i] > 0 ? 7.0f : 3.0f;
    assert_int_equal(ml_estimator_fit(a, X2, y2, NULL), ML_OK);
    ml_tensor *p2, *d2;
    assert_int_equal(ml_estimator_predict(a, X2, &p2), ML_OK);
    assert_int_equal(ml_estimator_decision_function(a, X2, &d2), ML_OK);
    assert_int_equal(d2->ndim, 1);
    for (int64_t i = 0; i < 200; i++) {
        assert_true(p2->data[i] == 3.0f || p2->data[i] == 7.0f);
        if (fabsf(d2->data[i]) > 1e-4f) assert_true((p2->data[i] == 7.0f) == (d2->data[i] > 0));
    }
    ml_tensor_free(p2), ml_tensor_free(d2), ml_tensor_free(X2), ml_tensor_free(y2);
    /* one class only */
    for (int64_t i = 0; i < 300; i++) yg->data[i] = 5;
    assert_int_equal(ml_estimator_fit(b, X, yg, NULL), ML_EINVAL);
    assert_non_null(strstr(ml_last_error(), "at least 2 classes"));
    ml_tensor_free(X), ml_tensor_free(y), ml_tensor_free(yg);
    ml_estimator_free(a), ml_estimator_free(b);
}

/* The solution meets the optimality conditions to the solver's tolerance,
 * whatever path it took (shrinking, the Newton steps on the free variables,
 * partial kernel rows): for every training point, y f(x) >= 1 when alpha = 0,
 * = 1 when free, <= 1 at C (within a few tol).  Overlapping classes and a
 * linear kernel: many points at C, few free ones. */
static void test_kkt_linear_overlap(void **s)
{
    (void)s;
    ml_rng r;
    ml_rng_seed(&r, 11);
    int64_t n = 1500, d = 6;
    ml_tensor *X = ml_tensor_new2(n, d), *y = ml_tensor_new1(n);
    for (int64_t i = 0; i < n; i++) {
        int c = (int)(i % 2);
        y->data[i] = (float)c;
        for (int64_t j = 0; j < d; j++)
            X->data[i * d + j] = (float)(ml_rng_normal(&r) * (j + 1) * 0.5 + (c ? 0.6 : -0.6));
    }
    double C = 3;
    for (int shrink = 0; shrink < 2; shrink++) {
        ml_estimator *e = make("linear", C);
        ml_value v = ml_bool(shrink);
        ml_estimator_set_param(e, "shrinking", &v);
        assert_int_equal(ml_estimator_fit(e, X, y, NULL), ML_OK);
        ml_svc *m = (ml_svc *)e;
        ml_tensor *D;
        assert_int_equal(ml_estimator_decision_function(e, X, &D), ML_OK);
        /* alpha of each training row from dual_coef (class 1's coefficients are negative: libsvm's signs) */
        double *alpha = calloc((size_t)n, sizeof(double));
        for (int64_t q = 0; q < m->n_sv; q++) alpha[(int64_t)m->support->data[q]] = fabs(m->dual_coef->data[q]);
        int64_t nfree = 0, nbound = 0;
        for (int64_t i = 0; i < n; i++) {
            double yf = (y->data[i] > 0 ? 1 : -1) * (double)D->data[i];
            double tol = 4e-3;
            if (alpha[i] <= 0) assert_true(yf >= 1 - tol);
            else if (alpha[i] >= C - 1e-5) {
                assert_true(yf <= 1 + tol);
                nbound++;
            } else {
                assert_true(fabs(yf - 1) <= tol);
                nfree++;
            }
        }
        assert_true(nbound > 100 && nfree >= 2);
        free(alpha);
        ml_tensor_free(D);
        ml_estimator_free(e);
    }
    ml_tensor_free(X), ml_tensor_free(y);
}

static void test_predict_proba_needs_probability(void **s)
{
    (void)s;
    ml_tensor *X, *y;
    data(100, 2, 8, &X, &y);
    ml_estimator *e = make("rbf", 1);
    assert_int_equal(ml_estimator_fit(e, X, y, NULL), ML_OK);
    ml_tensor *P = NULL;
    assert_int_equal(ml_estimator_predict_proba(e, X, &P), ML_EINVAL);
    assert_string_equal(ml_last_error(), "SVC: predict_proba needs probability = true");
    ml_value v = ml_str("yes");
    assert_int_equal(ml_estimator_set_param(e, "probability", &v), ML_EINVAL);
    assert_string_equal(ml_last_error(), "SVC: probability must be a boolean");
    ml_tensor_free(X), ml_tensor_free(y);
    ml_estimator_free(e);
}

/* probability = true: Platt sigmoids from a 5-fold cross-validation per pair,
 * coupled: rows sum to 1, the argmax is nearly always the vote, the classes
 * are told apart, save and load give the same numbers. */
static void test_predict_proba(void **s)
{
    (void)s;
    ml_tensor *X, *y;
    data(600, 4, 9, &X, &y);
    for (int64_t i = 0; i < 600; i++) y->data[i] = y->data[i] * 2; /* labels 0, 2, 4, 6 */
    ml_estimator *e = make("rbf", 2);
    ml_value v = ml_bool(1);
    assert_int_equal(ml_estimator_set_param(e, "probability", &v), ML_OK);
    assert_int_equal(ml_estimator_fit(e, X, y, NULL), ML_OK);
    ml_tensor *P, *pred;
    assert_int_equal(ml_estimator_predict_proba(e, X, &P), ML_OK);
    assert_int_equal(ml_estimator_predict(e, X, &pred), ML_OK);
    assert_int_equal(P->shape[0], 600);
    assert_int_equal(P->shape[1], 4);
    int agree = 0;
    double ll = 0;
    for (int64_t i = 0; i < 600; i++) {
        double sum = 0;
        int best = 0;
        for (int k = 0; k < 4; k++) {
            float p = P->data[i * 4 + k];
            assert_true(p >= 0 && p <= 1);
            sum += p;
            if (p > P->data[i * 4 + best]) best = k;
        }
        assert_true(fabs(sum - 1) < 1e-5);
        agree += best * 2 == (int)pred->data[i];
        ll -= log(P->data[i * 4 + (int)y->data[i] / 2]);
    }
    assert_true(agree >= 570);
    assert_true(ll / 600 < 0.35);
    char path[] = "/tmp/mnistlab-svc-XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    assert_int_equal(ml_estimator_save(e, path), ML_OK);
    ml_estimator *f = NULL;
    assert_int_equal(ml_estimator_load(path, &f), ML_OK);
    unlink(path);
    ml_tensor *P2;
    assert_int_equal(ml_estimator_predict_proba(f, X, &P2), ML_OK);
    assert_memory_equal(P->data, P2->data, sizeof(float) * 2400);
    /* two classes */
    ml_tensor *X2, *y2;
    data(300, 2, 10, &X2, &y2);
    assert_int_equal(ml_estimator_fit(e, X2, y2, NULL), ML_OK);
    ml_tensor *P3, *D3;
    assert_int_equal(ml_estimator_predict_proba(e, X2, &P3), ML_OK);
    assert_int_equal(ml_estimator_decision_function(e, X2, &D3), ML_OK);
    for (int64_t i = 0; i < 300; i++) {
        assert_true(fabsf(P3->data[2 * i] + P3->data[2 * i + 1] - 1) < 1e-6f);
        if (fabsf(D3->data[i]) > 0.5f) assert_true((P3->data[2 * i + 1] > 0.5f) == (D3->data[i] > 0));
    }
    ml_tensor_free(P), ml_tensor_free(P2), ml_tensor_free(P3), ml_tensor_free(D3), ml_tensor_free(pred);
    ml_tensor_free(X), ml_tensor_free(y), ml_tensor_free(X2), ml_tensor_free(y2);
    ml_estimator_free(e), ml_estimator_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xor_needs_a_kernel),        cmocka_unit_test(test_binary_decision_by_hand),
        cmocka_unit_test(test_multiclass_dual_and_cache), cmocka_unit_test(test_save_load),
        cmocka_unit_test(test_bad_input),                 cmocka_unit_test(test_gap_labels),
        cmocka_unit_test(test_kkt_linear_overlap),        cmocka_unit_test(test_predict_proba_needs_probability),
        cmocka_unit_test(test_predict_proba),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
