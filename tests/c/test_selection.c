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


/* A pipeline whose description ("steps") runs past a few hundred characters
 * loads again once saved (the loader took string parameters of at most 255
 * bytes: found by fuzz_modelfile). */
static void test_pipeline_long_description(void **s)
{
    (void)s;
    sup_data d;
    assert_int_equal(sup_load(&d), 0);
    ml_estimator *steps[3] = {sup_new("PCA"), sup_new("PCA"), sup_new("GaussianNB")};
    if (!steps[0]) {
        for (int i = 1; i < 3; i++) ml_estimator_free(steps[i]);
        sup_free(&d);
        skip();
    }
    char n0[121], n1[121], n2[121];
    memset(n0, 'a', 120), memset(n1, 'b', 120), memset(n2, 'c', 120);
    n0[120] = n1[120] = n2[120] = 0;
    const char *names[] = {n0, n1, n2};
    ml_estimator *p;
    assert_int_equal(ml_pipeline_new(names, steps, 3, &p), ML_OK);
    char key[200];
    snprintf(key, sizeof key, "%s__n_components", n0);
    assert_int_equal(sup_set_num(p, key, 30), ML_OK);
    snprintf(key, sizeof key, "%s__n_components", n1);
    assert_int_equal(sup_set_num(p, key, 12), ML_OK);
    assert_int_equal(ml_estimator_fit(p, d.Xtr, d.ytr, NULL), ML_OK);
    ml_value v;
    assert_int_equal(ml_estimator_get_param(p, "steps", &v), ML_OK);
    char before[2048];
    snprintf(before, sizeof before, "%s", v.str);
    assert_true(strlen(before) > 400);
    char *path = sup_tmpfile();
    assert_int_equal(ml_estimator_save(p, path), ML_OK);
    ml_estimator *l;
    assert_int_equal(ml_estimator_load(path, &l), ML_OK);
    assert_int_equal(ml_estimator_get_param(l, "steps", &v), ML_OK);
    assert_string_equal(v.str, before);
    ml_tensor *a, *b;
    assert_int_equal(ml_estimator_predict(p, d.Xte, &a), ML_OK);
    assert_int_equal(ml_estimator_predict(l, d.Xte, &b), ML_OK);
    assert_int_equal(ml_tensor_count_equal(a, b), d.Xte->shape[0]);
    ml_tensor_free(a), ml_tensor_free(b);
    unlink(path);
    ml_estimator_free(l), ml_estimator_free(p);
    sup_free(&d);
}

/* PCA then SVC, on 900 digit rows. */
static ml_estimator *pca_svc(int n_components)
{
    ml_estimator *steps[2] = {sup_new("PCA"), sup_new("SVC")};
    const char *names[] = {"pca", "svc"};
    sup_set_num(steps[0], "n_components", n_components);
    ml_estimator *p;
    assert_int_equal(ml_pipeline_new(names, steps, 2, &p), ML_OK);
    return p;
}

static int count_calls(void *ud, const char *stage, int64_t done, int64_t total)
{
    (void)stage, (void)done, (void)total;
    ++*(int *)ud;
    return 0;
}

/* Fits side by side (n_jobs 2) give exactly the serial search's results: the
 * same fold scores to the bit, the same best candidate, the same refitted
 * model; fitting PCA once per fold (the grid touches only the SVC) gives the
 * scores of fitting it in every task (a grid that names a PCA parameter). */
static void test_parallel_search_identical(void **s)
{
    (void)s;
    sup_data d;
    assert_int_equal(sup_load(&d), 0);
    int threads = ml_get_threads();
    ml_set_threads(2); /* two workers even on one core */
    ml_tensor *X = ml_tensor_view_rows(d.Xtr, 0, 900), *y = ml_tensor_view_rows(d.ytr, 0, 900);
    ml_folds f;
    assert_int_equal(ml_stratified_kfold(y, 4, 1, 3, &f), ML_OK);
    ml_estimator *pipe = pca_svc(20);
    ml_grid g = {0, NULL};
    ml_value kernels[] = {ml_str("linear"), ml_str("poly"), ml_str("rbf")};
    assert_int_equal(ml_grid_add(&g, "svc__kernel", kernels, 3), ML_OK);
    ml_search_result r1, r2, r3;
    int calls = 0;
    ml_progress pr = {count_calls, &calls};
    assert_int_equal(ml_grid_search_jobs(pipe, &g, X, y, &f, 1, 1, &pr, &r1), ML_OK);
    assert_true(calls > 12);
    calls = 0;
    assert_int_equal(ml_grid_search_jobs(pipe, &g, X, y, &f, 1, 2, &pr, &r2), ML_OK);
    assert_true(calls > 0);
    assert_memory_equal(r1.fold_scores, r2.fold_scores, sizeof(double) * 12);
    assert_memory_equal(r1.mean, r2.mean, sizeof(double) * 3);
    assert_int_equal(r1.best_index, r2.best_index);
    for (int c = 0; c < 3; c++) assert_true(r1.mean[c] > 0.8);
    ml_tensor *a, *b;
    assert_int_equal(ml_estimator_decision_function(r1.best_estimator, d.Xte, &a), ML_OK);
    assert_int_equal(ml_estimator_decision_function(r2.best_estimator, d.Xte, &b), ML_OK);
    assert_memory_equal(a->data, b->data, sizeof(float) * (size_t)ml_tensor_numel(a));
    ml_tensor_free(a), ml_tensor_free(b);
    /* automatic n_jobs: the same again */
    assert_int_equal(ml_grid_search(pipe, &g, X, y, &f, 0, NULL, &r3), ML_OK);
    assert_memory_equal(r1.fold_scores, r3.fold_scores, sizeof(double) * 12);
    assert_null(r3.best_estimator);
    ml_search_result_free(&r3);
    /* PCA fitted in every task (its parameter is in the grid): the same scores */
    ml_value nc[] = {ml_num(20)};
    assert_int_equal(ml_grid_add(&g, "pca__n_components", nc, 1), ML_OK);
    assert_int_equal(ml_grid_search_jobs(pipe, &g, X, y, &f, 0, 1, NULL, &r3), ML_OK);
    for (int c = 0; c < 3; c++) /* parameters sorted: pca__ first, so the order of candidates is the same */
        for (int i = 0; i < 4; i++) assert_true(r3.fold_scores[c * 4 + i] == r1.fold_scores[c * 4 + i]);
    ml_search_result_free(&r3);
    /* cross_val_score, serial and side by side */
    double s1[4], s2[4];
    ml_estimator *svc = sup_new("SVC");
    ml_tensor *Z;
    ml_estimator *pca = sup_new("PCA");
    sup_set_num(pca, "n_components", 15);
    assert_int_equal(ml_estimator_fit(pca, X, NULL, NULL), ML_OK);
    assert_int_equal(ml_estimator_transform(pca, X, &Z), ML_OK);
    assert_int_equal(ml_cross_val_score_jobs(svc, Z, y, &f, 1, NULL, s1), ML_OK);
    assert_int_equal(ml_cross_val_score_jobs(svc, Z, y, &f, -1, NULL, s2), ML_OK);
    assert_memory_equal(s1, s2, sizeof s1);
    assert_int_equal(ml_cross_val_score_jobs(pipe, X, y, &f, 2, NULL, s2), ML_OK);
    for (int i = 0; i < 4; i++) assert_true(s2[i] > 0.8);
    ml_search_result_free(&r1), ml_search_result_free(&r2);
    ml_tensor_free(Z);
    ml_estimator_free(pca), ml_estimator_free(svc), ml_estimator_free(pipe);
    ml_grid_free(&g);
    ml_folds_free(&f);
    ml_tensor_free(X), ml_tensor_free(y);
    ml_set_threads(threads);
    sup_free(&d);
}

static int cancel_on_svc(void *ud, const char *stage, int64_t done, int64_t total)
{
    (void)done, (void)total;
    return strncmp(stage, "SVC", 3) == 0 && ++*(int *)ud > 3;
}

/* Side by side: a failing fit is reported as the serial search reports it
 * (the first task in order), a cancel from the hook stops every worker;
 * n_jobs out of range is refused naming it. */
static void test_parallel_search_errors(void **s)
{
    (void)s;
    int threads = ml_get_threads();
    ml_set_threads(2);
    /* two classes, sorted: KFold's first folds train on one class only */
    int64_t n = 120;
    ml_tensor *X = ml_tensor_new2(n, 3), *y = ml_tensor_new1(n);
    for (int64_t i = 0; i < n; i++) {
        y->data[i] = i < n / 2 ? 0.0f : 1.0f;
        for (int j = 0; j < 3; j++) X->data[i * 3 + j] = (float)((i * 7 + j * 13) % 11) + y->data[i];
    }
    ml_folds f;
    assert_int_equal(ml_kfold(n, 2, 0, 0, &f), ML_OK);
    ml_estimator *svc = sup_new("SVC");
    ml_grid g = {0, NULL};
    ml_value cs[] = {ml_num(1), ml_num(10), ml_num(100)};
    assert_int_equal(ml_grid_add(&g, "C", cs, 3), ML_OK);
    ml_search_result r;
    char serial[512];
    assert_int_equal(ml_grid_search_jobs(svc, &g, X, y, &f, 1, 1, NULL, &r), ML_EINVAL);
    snprintf(serial, sizeof serial, "%s", ml_last_error());
    assert_string_equal(serial, "GridSearchCV: candidate 1, fold 1: SVC: y needs at least 2 classes, got 1");
    assert_int_equal(ml_grid_search_jobs(svc, &g, X, y, &f, 1, 2, NULL, &r), ML_EINVAL);
    assert_string_equal(ml_last_error(), serial);
    double sc[2];
    assert_int_equal(ml_cross_val_score_jobs(svc, X, y, &f, 2, NULL, sc), ML_EINVAL);
    assert_string_equal(ml_last_error(), "cross_val_score: SVC: y needs at least 2 classes, got 1");
    ml_folds_free(&f);
    /* a cancel from the hook, seen by worker 0's fit */
    sup_data d;
    assert_int_equal(sup_load(&d), 0);
    ml_tensor *Xs = ml_tensor_view_rows(d.Xtr, 0, 1500), *ys = ml_tensor_view_rows(d.ytr, 0, 1500);
    assert_int_equal(ml_stratified_kfold(ys, 3, 0, 0, &f), ML_OK);
    int calls = 0;
    ml_progress pr = {cancel_on_svc, &calls};
    assert_int_equal(ml_grid_search_jobs(svc, &g, Xs, ys, &f, 1, 2, &pr, &r), ML_ECANCELLED);
    /* n_jobs */
    assert_int_equal(ml_grid_search_jobs(svc, &g, Xs, ys, &f, 1, -2, NULL, &r), ML_EINVAL);
    assert_string_equal(ml_last_error(), "GridSearchCV: n_jobs must be nil (automatic), -1 (every thread) or 1 to "
                                         "256, got -2");
    assert_int_equal(ml_check_n_jobs(300, "cross_val_score"), ML_EINVAL);
    assert_non_null(strstr(ml_last_error(), "cross_val_score: n_jobs must be"));
    assert_int_equal(ml_check_n_jobs(ML_N_JOBS_AUTO, "x"), ML_OK);
    assert_int_equal(ml_check_n_jobs(-1, "x"), ML_OK);
    ml_folds_free(&f);
    ml_tensor_free(Xs), ml_tensor_free(ys);
    sup_free(&d);
    ml_grid_free(&g);
    ml_estimator_free(svc);
    ml_tensor_free(X), ml_tensor_free(y);
    ml_set_threads(threads);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kfold),
        cmocka_unit_test(test_stratified),
        cmocka_unit_test(test_cross_val_and_grid),
        cmocka_unit_test(test_pipeline),
        cmocka_unit_test(test_pipeline_long_description),
        cmocka_unit_test(test_parallel_search_identical),
        cmocka_unit_test(test_parallel_search_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
