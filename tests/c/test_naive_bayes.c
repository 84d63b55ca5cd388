/* GaussianNB: statistics on a hand case, scikit-learn's accuracy on the
 * digits, probabilities, priors, files, bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "supervised_common.h"

static void test_hand_case(void **s)
{
    (void)s;
    /* class 0: x in {1, 3}, class 1: x in {10, 14, 12}; second feature constant */
    ml_tensor *X = ml_tensor_new2(5, 2), *y = ml_tensor_new1(5);
    const float xs[] = {1, 5, 10, 5, 3, 5, 14, 5, 12, 5};
    const float ys[] = {0, 1, 0, 1, 1};
    memcpy(X->data, xs, sizeof xs);
    memcpy(y->data, ys, sizeof ys);
    ml_estimator *nb = sup_new("GaussianNB");
    assert_int_equal(ml_estimator_fit(nb, X, y, NULL), ML_OK);
    ml_value th, va, pr;
    assert_int_equal(ml_estimator_get_attr(nb, "theta", &th), ML_OK);
    assert_int_equal(ml_estimator_get_attr(nb, "var", &va), ML_OK);
    assert_int_equal(ml_estimator_get_attr(nb, "class_prior", &pr), ML_OK);
    assert_true(th.tensor->data[0] == 2 && th.tensor->data[2] == 12 && th.tensor->data[3] == 5);
    /* epsilon = 1e-9 * the largest variance over all rows (feature 0: 26) */
    double eps = 1e-9 * 26;
    assert_true(fabs(va.tensor->data[0] - (1 + eps)) < 1e-6);
    assert_true(fabs(va.tensor->data[2] - (8.0 / 3 + eps)) < 1e-6);
    assert_true(fabs(va.tensor->data[1] - eps) / eps < 1e-3);
    assert_true(fabs(pr.tensor->data[0] - 0.4) < 1e-7 && fabs(pr.tensor->data[1] - 0.6) < 1e-7);
    ml_tensor_free(th.tensor), ml_tensor_free(va.tensor), ml_tensor_free(pr.tensor);
    /* var_smoothing = 0 with a constant feature: refused, naming the parameter */
    ml_value z = ml_num(0);
    assert_int_equal(ml_estimator_set_param(nb, "var_smoothing", &z), ML_OK);
    assert_int_equal(ml_estimator_fit(nb, X, y, NULL), ML_EINVAL);
    assert_non_null(strstr(ml_last_error(), "var_smoothing"));
    ml_estimator_free(nb);
    ml_tensor_free(X), ml_tensor_free(y);
}

static void test_digits_against_sklearn(void **s)
{
    (void)s;
    sup_data d;
    assert_int_equal(sup_load(&d), 0);
    double rtr, rte;
    assert_int_equal(sup_reference("gaussian_nb", &rtr, &rte), 0);
    ml_estimator *nb = sup_new("GaussianNB");
    assert_int_equal(ml_estimator_fit(nb, d.Xtr, d.ytr, NULL), ML_OK);
    double tr = sup_score(nb, d.Xtr, d.ytr), te = sup_score(nb, d.Xte, d.yte);
    print_message("# GaussianNB: train %.5f (sklearn %.4f), test %.5f (sklearn %.4f)\n", tr, rtr, te, rte);
    /* stated tolerance: 0.001 (the fixture is rounded to 4 decimals) */
    assert_true(fabs(tr - rtr) <= 0.001);
    assert_true(fabs(te - rte) <= 0.001);
    ml_tensor *P, *pred;
    assert_int_equal(ml_estimator_predict_proba(nb, d.Xte, &P), ML_OK);
    assert_true(sup_proba_err(P) < 1e-5);
    /* predict is the argmax of predict_proba */
    assert_int_equal(ml_estimator_predict(nb, d.Xte, &pred), ML_OK);
    ml_tensor *am = ml_tensor_argmax_rows(P);
    assert_true(ml_tensor_count_equal(am, pred) >= d.Xte->shape[0] - 2); /* ties in float rounding only */
    ml_tensor_free(am), ml_tensor_free(pred), ml_tensor_free(P);
    /* save, load: identical predictions */
    char *path = sup_tmpfile();
    assert_int_equal(ml_estimator_save(nb, path), ML_OK);
    ml_estimator *l;
    assert_int_equal(ml_estimator_load(path, &l), ML_OK);
    ml_tensor *a, *b;
    assert_int_equal(ml_estimator_predict_proba(nb, d.Xte, &a), ML_OK);
    assert_int_equal(ml_estimator_predict_proba(l, d.Xte, &b), ML_OK);
    assert_memory_equal(a->data, b->data, sizeof(float) * (size_t)ml_tensor_numel(a));
    ml_tensor_free(a), ml_tensor_free(b);
    ml_estimator_free(l);
    unlink(path);
    ml_estimator_free(nb);
    sup_free(&d);
}

static void test_priors(void **s)
{
    (void)s;
    ml_tensor *X = ml_tensor_new2(4, 1), *y = ml_tensor_new1(4);
    const float xs[] = {0, 1, 10, 11};
    const float ys[] = {0, 0, 1, 1};
    memcpy(X->data, xs, sizeof xs);
    memcpy(y->data, ys, sizeof ys);
    ml_estimator *nb = sup_new("GaussianNB");
    ml_tensor *pri = ml_tensor_new1(3);
    pri->data[0] = 0.5f, pri->data[1] = 0.25f, pri->data[2] = 0.25f;
    ml_value v = {ML_VAL_TENSOR, 0, NULL, pri};
    assert_int_equal(ml_estimator_set_param(nb, "priors", &v), ML_OK);
    assert_int_equal(ml_estimator_fit(nb, X, y, NULL), ML_EINVAL);
    assert_string_equal(ml_last_error(), "GaussianNB: priors has 3 entries but y has 2 classes");
    pri->data[0] = 0.9f;
    assert_int_equal(ml_estimator_set_param(nb, "priors", &v), ML_EINVAL);
    assert_non_null(strstr(ml_last_error(), "priors must sum to 1"));
    ml_tensor_free(pri);
    /* a strong prior moves the midpoint: 5.5 goes to the favoured class */
    pri = ml_tensor_new1(2);
    pri->data[0] = 0.999f, pri->data[1] = 0.001f;
    v.tensor = pri;
    assert_int_equal(ml_estimator_set_param(nb, "priors", &v), ML_OK);
    assert_int_equal(ml_estimator_fit(nb, X, y, NULL), ML_OK);
    ml_tensor *Q = ml_tensor_new2(1, 1), *pred;
    Q->data[0] = 5.5f;
    assert_int_equal(ml_estimator_predict(nb, Q, &pred), ML_OK);
    assert_true(pred->data[0] == 0);
    ml_tensor_free(pred), ml_tensor_free(Q), ml_tensor_free(pri);
    ml_estimator_free(nb);
    ml_tensor_free(X), ml_tensor_free(y);
}

/* fit finds NaN and infinities in its own pass (no separate scan): each is
 * refused with the common message wherever it sits, in the first row of a
 * class (the row the sums are shifted by) or later; finite values too large
 * for float squares still fit (the variances, 1e60, live in double inside
 * the model) and predict their own classes. */
static void test_nonfinite_in_own_pass(void **s)
{
    (void)s;
    const float bad[] = {NAN, INFINITY, -INFINITY};
    for (int k = 0; k < 3; k++)
        for (int pos = 0; pos < 6; pos++) {
            ml_tensor *X = ml_tensor_new2(3, 2), *y = ml_tensor_new1(3);
            const float xs[] = {1, 2, 3, 4, 5, 6}, ys[] = {0, 1, 0};
            memcpy(X->data, xs, sizeof xs), memcpy(y->data, ys, sizeof ys);
            X->data[pos] = bad[k];
            ml_estimator *nb = sup_new("GaussianNB");
            assert_int_equal(ml_estimator_fit(nb, X, y, NULL), ML_EINVAL);
            assert_string_equal(ml_last_error(), "GaussianNB: X contains NaN or infinite values");
            ml_estimator_free(nb);
            ml_tensor_free(X), ml_tensor_free(y);
        }
    ml_tensor *X = ml_tensor_new2(4, 1), *y = ml_tensor_new1(4);
    const float xs[] = {1e30f, 3e30f, -2e30f, -4e30f}, ys[] = {0, 0, 1, 1};
    memcpy(X->data, xs, sizeof xs), memcpy(y->data, ys, sizeof ys);
    ml_estimator *nb = sup_new("GaussianNB");
    assert_int_equal(ml_estimator_fit(nb, X, y, NULL), ML_OK);
    ml_value th;
    assert_int_equal(ml_estimator_get_attr(nb, "theta", &th), ML_OK);
    assert_true(fabs(th.tensor->data[0] / 2e30 - 1) < 1e-6 && fabs(th.tensor->data[1] / -3e30 - 1) < 1e-6);
    ml_tensor_free(th.tensor);
    ml_tensor *pred;
    assert_int_equal(ml_estimator_predict(nb, X, &pred), ML_OK);
    for (int i = 0; i < 4; i++) assert_true(pred->data[i] == ys[i]);
    ml_tensor_free(pred);
    ml_estimator_free(nb);
    ml_tensor_free(X), ml_tensor_free(y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_case),
        cmocka_unit_test(test_digits_against_sklearn),
        cmocka_unit_test(test_priors),
        cmocka_unit_test(test_nonfinite_in_own_pass),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
