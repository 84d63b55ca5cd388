/* KNeighborsClassifier: hand cases, scikit-learn's accuracy on the digits,
 * memory-bounded blocks (more queries than one block), files, bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "supervised_common.h"

static void test_hand_case(void **s)
{
    (void)s;
    /* 1-D: class 0 at 0, 1, 2; class 1 at 10, 11 */
    ml_tensor *X = ml_tensor_new2(5, 1), *y = ml_tensor_new1(5);
    const float xs[] = {0, 1, 2, 10, 11};
    const float ys[] = {0, 0, 0, 1, 1};
    memcpy(X->data, xs, sizeof xs);
    memcpy(y->data, ys, sizeof ys);
    ml_estimator *k = sup_new("KNeighborsClassifier");
    assert_int_equal(sup_set_num(k, "n_neighbors", 3), ML_OK);
    assert_int_equal(ml_estimator_fit(k, X, y, NULL), ML_OK);
    ml_tensor *Q = ml_tensor_new2(3, 1), *pred, *P;
    Q->data[0] = 1.5f, Q->data[1] = 9.f, Q->data[2] = 6.4f;
    assert_int_equal(ml_estimator_predict(k, Q, &pred), ML_OK);
    /* 9: neighbours 10, 11, 2 -> class 1; 6.4: 10, 2, 11 -> class 1 (2 votes) */
    assert_true(pred->data[0] == 0 && pred->data[1] == 1 && pred->data[2] == 1);
    assert_int_equal(ml_estimator_predict_proba(k, Q, &P), ML_OK);
    assert_true(fabs(P->data[0] - 1) < 1e-6 && fabs(P->data[2] - 1.f / 3) < 1e-6);
    ml_tensor_free(pred), ml_tensor_free(P);
    /* distance weights: 6.4 is 3.6 from 10, 4.4 from 2, 4.6 from 11 */
    assert_int_equal(sup_set_str(k, "weights", "distance"), ML_OK);
    assert_int_equal(ml_estimator_fit(k, X, y, NULL), ML_OK);
    assert_int_equal(ml_estimator_predict_proba(k, Q, &P), ML_OK);
    double w0 = 1 / 4.4, w1 = 1 / 3.6 + 1 / 4.6;
    assert_true(fabs(P->data[2 * 2 + 1] - w1 / (w0 + w1)) < 1e-4);
    ml_tensor_free(P);
    /* a query on a training point takes that point's label */
    Q->data[2] = 2;
    assert_int_equal(ml_estimator_predict_proba(k, Q, &P), ML_OK);
    assert_true(P->data[2 * 2] == 1.f);
    ml_tensor_free(P), ml_tensor_free(Q);
    /* n_neighbors above the training rows */
    assert_int_equal(sup_set_num(k, "n_neighbors", 6), ML_OK);
    assert_int_equal(ml_estimator_fit(k, X, y, NULL), ML_EINVAL);
    assert_non_null(strstr(ml_last_error(), "n_neighbors = 6 is more than the 5 training rows"));
    assert_int_equal(sup_set_num(k, "n_neighbors", 0), ML_EINVAL);
    assert_non_null(strstr(ml_last_error(), "n_neighbors"));
    ml_estimator_free(k);
    ml_tensor_free(X), ml_tensor_free(y);
}

static void test_digits_against_sklearn(void **s)
{
    (void)s;
    sup_data d;
    assert_int_equal(sup_load(&d), 0);
    const struct { const char *ref; int k; const char *w; } cases[] = {{"knn3", 3, "uniform"},
                                                                      {"knn5_distance", 5, "distance"}};
    for (int c = 0; c < 2; c++) {
        double rtr, rte;
        assert_int_equal(sup_reference(cases[c].ref, &rtr, &rte), 0);
        ml_estimator *k = sup_new("KNeighborsClassifier");
        sup_set_num(k, "n_neighbors", cases[c].k);
        sup_set_str(k, "weights", cases[c].w);
        assert_int_equal(ml_estimator_fit(k, d.Xtr, d.ytr, NULL), ML_OK);
        double te = sup_score(k, d.Xte, d.yte);
        print_message("# %s: test %.4f (sklearn %.4f)\n", cases[c].ref, te, rte);
        assert_true(fabs(te - rte) <= 0.002); /* stated tolerance: 0.002 (ties in distance) */
        if (c == 0) {
            char *path = sup_tmpfile();
            assert_int_equal(ml_estimator_save(k, path), ML_OK);
            ml_estimator *l;
            assert_int_equal(ml_estimator_load(path, &l), ML_OK);
            ml_tensor *a, *b;
            assert_int_equal(ml_estimator_predict(k, d.Xte, &a), ML_OK);
            assert_int_equal(ml_estimator_predict(l, d.Xte, &b), ML_OK);
            assert_int_equal(ml_tensor_count_equal(a, b), d.Xte->shape[0]);
            ml_tensor_free(a), ml_tensor_free(b);
            ml_estimator_free(l);
            unlink(path);
        }
        ml_estimator_free(k);
    }
    sup_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_case),
        cmocka_unit_test(test_digits_against_sklearn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
