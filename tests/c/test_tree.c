/* DecisionTreeClassifier: exactness, parameters, determinism, files, bad
 * input, and accuracy against scikit-learn on the bundled digits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "supervised_common.h"

/* n distinct points with random labels: integer coordinates (<= 256
 * distinct values per feature, so every split is exact). */
static void random_points(int64_t n, int64_t d, int classes, uint64_t seed, ml_tensor **X, ml_tensor **y)
{
    ml_rng r;
    ml_rng_seed(&r, seed);
    *X = ml_tensor_new2(n, d);
    *y = ml_tensor_new1(n);
    for (int64_t i = 0; i < n; i++) {
        for (int64_t j = 0; j < d; j++) (*X)->data[i * d + j] = (float)ml_rng_below(&r, 200) / 7.f;
        (*y)->data[i] = (float)ml_rng_below(&r, (uint64_t)classes);
    }
    /* distinct rows: the first coordinate takes n distinct values, scrambled
     * (n must not be a multiple of 37) */
    for (int64_t i = 0; i < n; i++) (*X)->data[i * d] = (float)((i * 37) % n) / (float)n;
}

static void test_unrestricted_fits_training_set(void **s)
{
    (void)s;
    ml_tensor *X, *y;
    random_points(500, 4, 5, 1, &X, &y);
    const char *crit[] = {"gini", "entropy"};
    for (int k = 0; k < 2; k++) {
        ml_estimator *t = sup_new("DecisionTreeClassifier");
        assert_int_equal(sup_set_str(t, "criterion", crit[k]), ML_OK);
        assert_int_equal(ml_estimator_fit(t, X, y, NULL), ML_OK);
        assert_true(sup_score(t, X, y) == 1.0);
        double leaves = sup_attr_num(t, "n_leaves"), nodes = sup_attr_num(t, "node_count");
        assert_true(leaves >= 5 && leaves <= 500);
        assert_true(nodes == 2 * leaves - 1); /* a binary tree */
        ml_estimator_free(t);
    }
    /* continuous features (more than 256 distinct values each): binned, still 1.0 on distinct rows */
    ml_rng r;
    ml_rng_seed(&r, 2);
    ml_tensor *Xc = ml_tensor_new2(2000, 3);
    for (int64_t i = 0; i < 2000 * 3; i++) Xc->data[i] = (float)ml_rng_normal(&r);
    ml_tensor *yc = ml_tensor_new1(2000);
    for (int64_t i = 0; i < 2000; i++) yc->data[i] = (float)ml_rng_below(&r, 3);
    ml_estimator *t = sup_new("DecisionTreeClassifier");
    assert_int_equal(ml_estimator_fit(t, Xc, yc, NULL), ML_OK);
    assert_true(sup_score(t, Xc, yc) == 1.0);
    ml_estimator_free(t);
    ml_tensor_free(Xc), ml_tensor_free(yc), ml_tensor_free(X), ml_tensor_free(y);
}

static void test_xor_shape_and_thresholds(void **s)
{
    (void)s;
    /* XOR on two features: depth 2, 4 leaves, thresholds at the midpoints */
    ml_tensor *X = ml_tensor_new2(8, 2), *y = ml_tensor_new1(8);
    const float xs[] = {0, 0, 0, 1, 1, 0, 1, 1, 0, 0, 0, 1, 1, 0, 1, 1};
    const float ys[] = {0, 1, 1, 0, 0, 1, 1, 0};
    memcpy(X->data, xs, sizeof xs);
    memcpy(y->data, ys, sizeof ys);
    ml_estimator *t = sup_new("DecisionTreeClassifier");
    assert_int_equal(ml_estimator_fit(t, X, y, NULL), ML_OK);
    assert_true(sup_attr_num(t, "depth") == 2);
    assert_true(sup_attr_num(t, "n_leaves") == 4);
    assert_true(sup_score(t, X, y) == 1.0);
    /* 0.49 is left of the 0.5 threshold, 0.51 right of it */
    ml_tensor *Q = ml_tensor_new2(2, 2), *pred;
    const float qs[] = {0.49f, 0.51f, 0.51f, 0.51f};
    memcpy(Q->data, qs, sizeof qs);
    assert_int_equal(ml_estimator_predict(t, Q, &pred), ML_OK);
    assert_true(pred->data[0] == 1 && pred->data[1] == 0);
    ml_tensor_free(pred), ml_tensor_free(Q);
    /* importances: both features used equally on this symmetric problem... at least sum to 1 */
    ml_value v;
    assert_int_equal(ml_estimator_get_attr(t, "feature_importances", &v), ML_OK);
    assert_true(fabs(v.tensor->data[0] + v.tensor->data[1] - 1) < 1e-6);
    ml_tensor_free(v.tensor);
    /* max_depth = 1 cannot solve XOR */
    assert_int_equal(sup_set_num(t, "max_depth", 1), ML_OK);
    assert_int_equal(ml_estimator_fit(t, X, y, NULL), ML_OK);
    assert_true(sup_attr_num(t, "depth") == 1);
    assert_true(sup_score(t, X, y) == 0.5);
    ml_estimator_free(t);
    ml_tensor_free(X), ml_tensor_free(y);
}

static void test_digits_against_sklearn(void **s)
{
    (void)s;
    sup_data d;
    assert_int_equal(sup_load(&d), 0);
    const struct { const char *ref, *crit; int depth; } cases[] = {
        {"tree_gini", "gini", 0}, {"tree_entropy", "entropy", 0}, {"tree_depth8", "gini", 8}};
    for (int k = 0; k < 3; k++) {
        double rtr, rte;
        assert_int_equal(sup_reference(cases[k].ref, &rtr, &rte), 0);
        ml_estimator *t = sup_new("DecisionTreeClassifier");
        sup_set_str(t, "criterion", cases[k].crit);
        if (cases[k].depth) sup_set_num(t, "max_depth", cases[k].depth);
        assert_int_equal(ml_estimator_fit(t, d.Xtr, d.ytr, NULL), ML_OK);
        double tr = sup_score(t, d.Xtr, d.ytr), te = sup_score(t, d.Xte, d.yte);
        print_message("# %s: train %.4f (sklearn %.4f), test %.4f (sklearn %.4f), depth %g, leaves %g\n",
                      cases[k].ref, tr, rtr, te, rte, sup_attr_num(t, "depth"), sup_attr_num(t, "n_leaves"));
        /* stated tolerance: train within 0.01, test within 0.02 (ties between
         * equally good splits are broken differently) */
        assert_true(fabs(tr - rtr) <= 0.01);
        assert_true(fabs(te - rte) <= 0.02);
        ml_tensor *P;
        assert_int_equal(ml_estimator_predict_proba(t, d.Xte, &P), ML_OK);
        assert_true(P->shape[0] == d.Xte->shape[0] && P->shape[1] == 10);
        assert_true(sup_proba_err(P) < 1e-5);
        ml_tensor_free(P);
        ml_estimator_free(t);
    }
    sup_free(&d);
}

static void test_deterministic_over_threads(void **s)
{
    (void)s;
    sup_data d;
    assert_int_equal(sup_load(&d), 0);
    int saved = ml_get_threads();
    ml_tensor *pred[2];
    double nodes[2];
    for (int k = 0; k < 2; k++) {
        ml_set_threads(k ? 2 : 1);
        ml_estimator *t = sup_new("DecisionTreeClassifier");
        sup_set_num(t, "random_state", 3);
        sup_set_str(t, "max_features", "sqrt");
        assert_int_equal(ml_estimator_fit(t, d.Xtr, d.ytr, NULL), ML_OK);
        nodes[k] = sup_attr_num(t, "node_count");
        assert_int_equal(ml_estimator_predict(t, d.Xte, &pred[k]), ML_OK);
        ml_estimator_free(t);
    }
    ml_set_threads(saved);
    assert_true(nodes[0] == nodes[1]);
    assert_int_equal(ml_tensor_count_equal(pred[0], pred[1]), d.Xte->shape[0]);
    ml_tensor_free(pred[0]), ml_tensor_free(pred[1]);
    sup_free(&d);
}

static void test_leaf_limits(void **s)
{
    (void)s;
    ml_tensor *X, *y;
    random_points(400, 3, 4, 5, &X, &y);
    ml_estimator *t = sup_new("DecisionTreeClassifier");
    assert_int_equal(sup_set_num(t, "min_samples_leaf", 20), ML_OK);
    assert_int_equal(ml_estimator_fit(t, X, y, NULL), ML_OK);
    assert_true(sup_attr_num(t, "n_leaves") <= 400 / 20);
    assert_true(sup_score(t, X, y) < 1.0);
    assert_int_equal(sup_set_num(t, "min_samples_leaf", 1), ML_OK);
    assert_int_equal(sup_set_num(t, "min_samples_split", 401), ML_OK);
    assert_int_equal(ml_estimator_fit(t, X, y, NULL), ML_OK);
    assert_true(sup_attr_num(t, "n_leaves") == 1); /* the root cannot be split */
    ml_estimator_free(t);
    ml_tensor_free(X), ml_tensor_free(y);
}

static void test_save_load(void **s)
{
    (void)s;
    sup_data d;
    assert_int_equal(sup_load(&d), 0);
    ml_estimator *t = sup_new("DecisionTreeClassifier");
    sup_set_num(t, "max_depth", 12);
    sup_set_str(t, "criterion", "entropy");
    assert_int_equal(ml_estimator_fit(t, d.Xtr, d.ytr, NULL), ML_OK);
    char *path = sup_tmpfile();
    assert_int_equal(ml_estimator_save(t, path), ML_OK);
    ml_estimator *l;
    assert_int_equal(ml_estimator_load(path, &l), ML_OK);
    ml_tensor *a, *b, *pa, *pb;
    assert_int_equal(ml_estimator_predict(t, d.Xte, &a), ML_OK);
    assert_int_equal(ml_estimator_predict(l, d.Xte, &b), ML_OK);
    assert_int_equal(ml_tensor_count_equal(a, b), d.Xte->shape[0]);
    assert_int_equal(ml_estimator_predict_proba(t, d.Xte, &pa), ML_OK);
    assert_int_equal(ml_estimator_predict_proba(l, d.Xte, &pb), ML_OK);
    assert_memory_equal(pa->data, pb->data, sizeof(float) * (size_t)ml_tensor_numel(pa));
    assert_true(sup_attr_num(l, "depth") == sup_attr_num(t, "depth"));
    ml_value v;
    assert_int_equal(ml_estimator_get_param(l, "criterion", &v), ML_OK);
    assert_string_equal(v.str, "entropy");
    ml_tensor_free(a), ml_tensor_free(b), ml_tensor_free(pa), ml_tensor_free(pb);
    ml_estimator_free(l);
    /* a damaged file is refused */
    FILE *f = fopen(path, "r+b");
    fseek(f, 200, SEEK_SET);
    int c = fgetc(f);
    fseek(f, 200, SEEK_SET);
    fputc(c ^ 1, f);
    fclose(f);
    assert_int_not_equal(ml_estimator_load(path, &l), ML_OK);
    assert_non_null(strstr(ml_last_error(), path));
    unlink(path);
    ml_estimator_free(t);
    sup_free(&d);
}

static int stop_now(void *ud, const char *stage, int64_t done, int64_t total)
{
    (void)stage, (void)done, (void)total;
    ++*(int *)ud;
    return 1;
}

static void test_cancel(void **s)
{
    (void)s;
    ml_tensor *X, *y;
    random_points(3000, 4, 5, 7, &X, &y);
    ml_estimator *t = sup_new("DecisionTreeClassifier");
    int calls = 0;
    ml_progress p = {stop_now, &calls};
    assert_int_equal(ml_estimator_fit(t, X, y, &p), ML_ECANCELLED);
    assert_true(calls >= 1);
    ml_tensor *out;
    assert_int_equal(ml_estimator_predict(t, X, &out), ML_ESTATE); /* no half tree is used */
    assert_int_equal(ml_estimator_fit(t, X, y, NULL), ML_OK);       /* and a new fit works */
    assert_true(sup_score(t, X, y) == 1.0);
    ml_estimator_free(t);
    ml_tensor_free(X), ml_tensor_free(y);
}

static void test_bad_input(void **s)
{
    (void)s;
    ml_estimator *t = sup_new("DecisionTreeClassifier");
    ml_tensor *X = ml_tensor_new2(4, 2), *y = ml_tensor_new1(4), *out;
    assert_int_equal(ml_estimator_predict(t, X, &out), ML_ESTATE);
    assert_string_equal(ml_last_error(), "DecisionTreeClassifier: predict before fit: call fit first");
    assert_int_equal(sup_set_num(t, "max_depth", 0), ML_EINVAL);
    assert_string_equal(ml_last_error(), "DecisionTreeClassifier: max_depth must be in [1, 1e+09], got 0");
    assert_int_equal(sup_set_str(t, "criterion", "mse"), ML_EINVAL);
    assert_non_null(strstr(ml_last_error(), "criterion"));
    assert_int_equal(sup_set_num(t, "min_samples_leaf", 0), ML_EINVAL);
    assert_non_null(strstr(ml_last_error(), "min_samples_leaf"));
    assert_int_equal(sup_set_num(t, "max_features", 1.5), ML_EINVAL);
    assert_non_null(strstr(ml_last_error(), "max_features"));
    y->data[1] = 2.5f;
    assert_int_equal(ml_estimator_fit(t, X, y, NULL), ML_EINVAL);
    assert_non_null(strstr(ml_last_error(), "y: label 2.5 at position 2"));
    y->data[1] = 1;
    X->data[3] = 1.f / 0.f;
    assert_int_equal(ml_estimator_fit(t, X, y, NULL), ML_EINVAL);
    assert_non_null(strstr(ml_last_error(), "NaN or infinite"));
    X->data[3] = 0;
    assert_int_equal(ml_estimator_fit(t, X, y, NULL), ML_OK);
    ml_tensor *X3 = ml_tensor_new2(2, 3);
    assert_int_equal(ml_estimator_predict(t, X3, &out), ML_EINVAL);
    assert_string_equal(ml_last_error(), "DecisionTreeClassifier: X has 3 features, but the model was fitted with 2");
    ml_tensor_free(X3), ml_tensor_free(X), ml_tensor_free(y);
    ml_estimator_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unrestricted_fits_training_set),
        cmocka_unit_test(test_xor_shape_and_thresholds),
        cmocka_unit_test(test_digits_against_sklearn),
        cmocka_unit_test(test_deterministic_over_threads),
        cmocka_unit_test(test_leaf_limits),
        cmocka_unit_test(test_save_load),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
