/* Folds, cross-validation, grid search and pipelines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "models/pipeline.h"
#include "models/selection.h"
#include "supervised_common.h"

/* Every row in exactly one test fold; train = the complement, sorted. */
static void check_partition(const ml_folds *f)
{
    int64_t n = f->n;
    int *seen = calloc((size_t)n, sizeof *seen);
    int64_t *train = malloc(sizeof *train * (size_t)n);
    for (int i = 0; i < f->k; i++) {
        for (int64_t j = f->start[i]; j < f->start[i + 1]; j++) {
            assert_true(f->test[j] >= 0 && f->test[j] < n);
            seen[f->test[j]]++;
            if (j > f->start[i]) assert_true(f->test[j] > f->test[j - 1]);
        }
        int64_t ntr;
        ml_folds_train(f, i, train, &ntr);
        assert_int_equal(ntr + (f->start[i + 1] - f->start[i]), n);
        for (int64_t j = 1; j < ntr; j++) assert_true(train[j] > train[j - 1]);
        /* no training row is a test row of the same fold */
        for (int64_t j = 0, t = f->start[i]; j < ntr; j++) {
            while (t < f->start[i + 1] && f->test[t] < train[j]) t++;
            assert_true(t == f->start[i + 1] || f->test[t] != train[j]);
        }
    }
    for (int64_t r = 0; r < n; r++) assert_int_equal(seen[r], 1);
    free(seen), free(train);
}

static void test_kfold(void **s)
{
    (void)s;
    ml_folds f;
    assert_int_equal(ml_kfold(10, 3, 0, 0, &f), ML_OK);
    check_partition(&f);
    /* scikit-learn's KFold(3) on 10 rows: [0..3], [4..6], [7..9] */
    const int64_t want_start[] = {0, 4, 7, 10};
    assert_memory_equal(f.start, want_start, sizeof want_start);
    for (int64_t i = 0; i < 10; i++) assert_int_equal(f.test[i], i);
    ml_folds_free(&f);
    ml_folds a, b;
    assert_int_equal(ml_kfold(1001, 7, 1, 42, &a), ML_OK);
    assert_int_equal(ml_kfold(1001, 7, 1, 42, &b), ML_OK);
    check_partition(&a);
    assert_memory_equal(a.test, b.test, sizeof *a.test * 1001); /* same seed, same folds */
    for (int i = 0; i < 7; i++) {
        int64_t size = a.start[i + 1] - a.start[i];
        assert_true(size == 143);
    }
    ml_folds_free(&b);
    assert_int_equal(ml_kfold(1001, 7, 1, 43, &b), ML_OK);
    assert_true(memcmp(a.test, b.test, sizeof *a.test * 1001) != 0);
    ml_folds_free(&a), ml_folds_free(&b);
    assert_int_equal(ml_kfold(10, 1, 0, 0, &f), ML_EINVAL);
    assert_string_equal(ml_last_error(), "KFold: n_splits must be at least 2, got 1");
    assert_int_equal(ml_kfold(3, 5, 0, 0, &f), ML_EINVAL);
    assert_string_equal(ml_last_error(), "KFold: n_splits = 5 is more than the 3 rows");
}

static void test_stratified(void **s)
{
    (void)s;
    /* unbalanced classes: 50, 23, 7, 120 rows, interleaved */
    const int64_t counts[] = {50, 23, 7, 120};
    int64_t n = 200;
    ml_tensor *y = ml_tensor_new1(n);
    int64_t left[4];
    memcpy(left, counts, sizeof left);
    ml_rng r;
    ml_rng_seed(&r, 9);
    for (int64_t i = 0; i < n; i++) {
        int c;
        do c = (int)ml_rng_below(&r, 4); while (!left[c]);
        left[c]--;
        y->data[i] = (float)c;
    }
    for (int shuffle = 0; shuffle < 2; shuffle++) {
        ml_folds f;
        assert_int_equal(ml_stratified_kfold(y, 5, shuffle, 3, &f), ML_OK);
        check_partition(&f);
        for (int i = 0; i < 5; i++) {
            int64_t per[4] = {0, 0, 0, 0};
            for (int64_t j = f.start[i]; j < f.start[i + 1]; j++) per[(int)y->data[f.test[j]]]++;
            for (int c = 0; c < 4; c++) {
                /* each class within one row of its share */
                assert_true(per[c] == counts[c] / 5 || per[c] == counts[c] / 5 + 1);
            }
            assert_int_equal(f.start[i + 1] - f.start[i], 40);
        }
        ml_folds_free(&f);
    }
    y->data[3] = 1.5f;
    ml_folds f;
    assert_int_equal(ml_stratified_kfold(y, 5, 0, 0, &f), ML_EINVAL);
    assert_non_null(strstr(ml_last_error(), "StratifiedKFold: y: label 1.5 at position 4"));
    ml_tensor_free(y);
}

static void test_cross_val_and_grid(void **s)
{
    (void)s;
    sup_data d;
    assert_int_equal(sup_load(&d), 0);
    ml_folds f;
    assert_int_equal(ml_stratified_kfold(d.ytr, 3, 1, 0, &f), ML_OK);
    ml_estimator *nb = sup_new("GaussianNB");
    double scores[3];
    assert_int_equal(ml_cross_val_score(nb, d.Xtr, d.ytr, &f, NULL, scores), ML_OK);
    for (int i = 0; i < 3; i++) assert_true(scores[i] > 0.5 && scores[i] < 0.65);
    ml_estimator_free(nb);
    /* grid over a tree: max_depth 2 is far worse than 8 */
    ml_estimator *t = sup_new("DecisionTreeClassifier");
    ml_grid g = {0, NULL};
    ml_value depths[] = {ml_num(2), ml_num(8)}, crits[] = {ml_str("gini"), ml_str("entropy")};
    assert_int_equal(ml_grid_add(&g, "criterion", crits, 2), ML_OK);
    assert_int_equal(ml_grid_add(&g, "max_depth", depths, 2), ML_OK);
    assert_int_equal(ml_grid_size(&g), 4);
    int choice[2];
    ml_grid_candidate(&g, 1, choice); /* criterion gini, max_depth 8: the last parameter varies fastest */
    assert_true(choice[0] == 0 && choice[1] == 1);
    ml_search_result res;
    int calls = 0;
    ml_progress p = {NULL, &calls};
    assert_int_equal(ml_grid_search(t, &g, d.Xtr, d.ytr, &f, 1, &p, &res), ML_OK);
    assert_int_equal(res.n_candidates, 4);
    assert_true(res.mean[1] > res.mean[0] + 0.2 && res.mean[3] > res.mean[2] + 0.2);
    assert_true(res.best_index == 1 || res.best_index == 3);
    assert_true(res.rank[res.best_index] == 1);
    assert_true(res.rank[0] >= 3 && res.rank[2] >= 3);
    for (int64_t c = 0; c < 4; c++) {
        double m = (res.fold_scores[c * 3] + res.fold_scores[c * 3 + 1] + res.fold_scores[c * 3 + 2]) / 3;
        assert_true(fabs(m - res.mean[c]) < 1e-12 && res.std[c] >= 0 && res.std[c] < 0.05);
    }
    assert_non_null(res.best_estimator);
    assert_true(res.best_estimator->fitted);
    assert_true(sup_attr_num(res.best_estimator, "depth") == 8);
    assert_true(res.best_score == res.mean[res.best_index]);
    ml_search_result_free(&res);
    ml_grid_free(&g);
    /* an unknown parameter fails before any fit, naming it */
    ml_value one[] = {ml_num(1)};
    assert_int_equal(ml_grid_add(&g, "max_dept", one, 1), ML_OK);
    assert_int_equal(ml_grid_search(t, &g, d.Xtr, d.ytr, &f, 1, NULL, &res), ML_EINVAL);
    assert_string_equal(ml_last_error(), "GridSearchCV: grid parameter 'max_dept': DecisionTreeClassifier: unknown "
                                         "parameter 'max_dept' (known: criterion, max_depth, min_samples_split, "
                                         "min_samples_leaf, max_features, random_state)");
    ml_grid_free(&g);
    ml_value zero[] = {ml_num(0)};
    assert_int_equal(ml_grid_add(&g, "max_depth", zero, 1), ML_OK);
    assert_int_equal(ml_grid_search(t, &g, d.Xtr, d.ytr, &f, 1, NULL, &res), ML_EINVAL);
    assert_non_null(strstr(ml_last_error(), "grid parameter 'max_depth': DecisionTreeClassifier: max_depth must be"));
    ml_grid_free(&g);
    ml_estimator_free(t);
    ml_folds_free(&f);
    sup_free(&d);
}

static int cancel_after(void *ud, const char *stage, int64_t done, int64_t total)
{
    (void)stage, (void)done, (void)total;
    return ++*(int *)ud > 2;
}

static void test_pipeline(void **s)
{
    (void)s;
    sup_data d;
    assert_int_equal(sup_load(&d), 0);
    ml_estimator *steps[2] = {sup_new("PCA"), sup_new("DecisionTreeClassifier")};
    if (!steps[0]) {
        ml_estimator_free(steps[1]);
        sup_free(&d);
        skip();
    }
    const char *names[] = {"pca", "tree"};
    ml_estimator *p;
    assert_int_equal(ml_pipeline_new(names, steps, 2, &p), ML_OK);
    assert_int_equal(sup_set_num(p, "pca__n_components", 20), ML_OK);
    assert_int_equal(sup_set_num(p, "tree__max_depth", 10), ML_OK);
    ml_value v;
    assert_int_equal(ml_estimator_get_param(p, "tree__max_depth", &v), ML_OK);
    assert_true(v.num == 10);
    assert_int_equal(sup_set_num(p, "svc__C", 1), ML_EINVAL);
    assert_string_equal(ml_last_error(), "Pipeline: parameter 'svc__C': no step named 'svc' (steps: pca, tree)");
    assert_int_equal(sup_set_num(p, "tree__depth", 1), ML_EINVAL);
    assert_non_null(strstr(ml_last_error(), "DecisionTreeClassifier: unknown parameter 'depth'"));
    assert_int_equal(ml_estimator_fit(p, d.Xtr, d.ytr, NULL), ML_OK);
    double acc = sup_score(p, d.Xte, d.yte);
    assert_true(acc > 0.7 && acc < 0.9);
    /* the same as doing the steps by hand */
    ml_estimator *pca = sup_new("PCA"), *tree = sup_new("DecisionTreeClassifier");
    sup_set_num(pca, "n_components", 20);
    sup_set_num(tree, "max_depth", 10);
    ml_tensor *Ztr, *Zte, *a, *b;
    assert_int_equal(ml_estimator_fit(pca, d.Xtr, NULL, NULL), ML_OK);
    assert_int_equal(ml_estimator_transform(pca, d.Xtr, &Ztr), ML_OK);
    assert_int_equal(ml_estimator_transform(pca, d.Xte, &Zte), ML_OK);
    assert_int_equal(ml_estimator_fit(tree, Ztr, d.ytr, NULL), ML_OK);
    assert_int_equal(ml_estimator_predict(tree, Zte, &a), ML_OK);
    assert_int_equal(ml_estimator_predict(p, d.Xte, &b), ML_OK);
    assert_int_equal(ml_tensor_count_equal(a, b), d.Xte->shape[0]);
    ml_tensor_free(Ztr), ml_tensor_free(Zte), ml_tensor_free(a);
    /* clone: same parameters, unfitted */
    ml_estimator *c = ml_estimator_clone(p);
    assert_non_null(c);
    assert_false(c->fitted);
    assert_int_equal(ml_estimator_get_param(c, "pca__n_components", &v), ML_OK);
    assert_true(v.num == 20);
    /* save and load: identical predictions */
    char *path = sup_tmpfile();
    assert_int_equal(ml_estimator_save(p, path), ML_OK);
    ml_estimator *l;
    assert_int_equal(ml_estimator_load(path, &l), ML_OK);
    assert_int_equal(ml_estimator_predict(l, d.Xte, &a), ML_OK);
    assert_int_equal(ml_tensor_count_equal(a, b), d.Xte->shape[0]);
    ml_tensor_free(a), ml_tensor_free(b);
    unlink(path);
    /* cross-validation of the pipeline, cancelled from the progress hook */
    ml_folds f;
    assert_int_equal(ml_kfold(d.Xtr->shape[0], 4, 1, 0, &f), ML_OK);
    int calls = 0;
    ml_progress pr = {cancel_after, &calls};
    double scores[4];
    assert_int_equal(ml_cross_val_score(c, d.Xtr, d.ytr, &f, &pr, scores), ML_ECANCELLED);
    ml_folds_free(&f);
    /* a classifier in the middle is refused */
    ml_estimator *bad[2] = {sup_new("GaussianNB"), sup_new("DecisionTreeClassifier")};
    const char *bn[] = {"nb", "tree"};
    ml_estimator *q;
    assert_int_equal(ml_pipeline_new(bn, bad, 2, &q), ML_EINVAL);
    assert_non_null(strstr(ml_last_error(), "step 'nb' (GaussianNB) must be a transformer"));
    ml_estimator_free(l), ml_estimator_free(c), ml_estimator_free(p), ml_estimator_free(pca), ml_estimator_free(tree);
    sup_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kfold),
        cmocka_unit_test(test_stratified),
        cmocka_unit_test(test_cross_val_and_grid),
        cmocka_unit_test(test_pipeline),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
