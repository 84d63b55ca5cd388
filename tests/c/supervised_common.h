/* Shared by the supervised C tests (test_tree.c, test_naive_bayes.c,
 * test_knn.c, test_selection.c): the bundled digits split 80/20 with seed 0,
 * the split's row indices checked against the fixture scikit-learn was fitted
 * on, and the reference accuracies recorded by scripts/supervised_ref.py. */
#ifndef TESTS_SUPERVISED_COMMON_H
#define TESTS_SUPERVISED_COMMON_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mnistlab.h"
#include "models/estimator.h"

typedef struct sup_data {
    ml_tensor *Xtr, *Xte, *ytr, *yte;
} sup_data;

__attribute__((unused)) static int sup_read_indices(const char *path, int64_t *want, int64_t n)
{
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    long long v;
    int64_t i = 0;
    int bad = 0;
    while (fscanf(f, "%lld", &v) == 1) {
        if (i >= n || v != want[i]) bad = 1;
        i++;
    }
    fclose(f);
    return bad || i != n ? -1 : 0;
}

/* 0 on success; the split must be the one the fixtures were recorded on. */
__attribute__((unused)) static int sup_load(sup_data *d)
{
    memset(d, 0, sizeof *d);
    ml_dataset ds;
    if (ml_dataset_load("mnist", ML_SUBSET_ALL, &ds)) return -1;
    ml_split_opts o = {0.2, 0, 1, 0};
    int64_t *tr, *te, ntr, nte;
    if (ml_split_indices(ds.X->shape[0], ds.y, &o, &tr, &ntr, &te, &nte)) return -1;
    int ok = sup_read_indices("tests/fixtures/supervised/split_train.txt", tr, ntr) == 0 &&
             sup_read_indices("tests/fixtures/supervised/split_test.txt", te, nte) == 0;
    d->Xtr = ml_tensor_take_rows(ds.X, tr, ntr);
    d->Xte = ml_tensor_take_rows(ds.X, te, nte);
    d->ytr = ml_tensor_take_rows(ds.y, tr, ntr);
    d->yte = ml_tensor_take_rows(ds.y, te, nte);
    free(tr), free(te);
    ml_dataset_free(&ds);
    return ok && d->Xtr && d->Xte && d->ytr && d->yte ? 0 : -1;
}

__attribute__((unused)) static void sup_free(sup_data *d)
{
    ml_tensor_free(d->Xtr), ml_tensor_free(d->Xte), ml_tensor_free(d->ytr), ml_tensor_free(d->yte);
}

/* scikit-learn's train and test accuracy for `model` from reference.txt. */
__attribute__((unused)) static int sup_reference(const char *model, double *train, double *test)
{
    FILE *f = fopen("tests/fixtures/supervised/reference.txt", "r");
    if (!f) return -1;
    char line[256], name[64];
    int found = -1;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#') continue;
        if (sscanf(line, "%63s %lf %lf", name, train, test) == 3 && !strcmp(name, model)) {
            found = 0;
            break;
        }
    }
    fclose(f);
    return found;
}

static ml_estimator *sup_new(const char *cls)
{
    const ml_estimator_class *c = ml_estimator_find(cls);
    return c ? ml_estimator_new(c) : NULL;
}

__attribute__((unused)) static ml_status sup_set_num(ml_estimator *e, const char *name, double v)
{
    ml_value x = ml_num(v);
    return ml_estimator_set_param(e, name, &x);
}

__attribute__((unused)) static ml_status sup_set_str(ml_estimator *e, const char *name, const char *v)
{
    ml_value x = ml_str(v);
    return ml_estimator_set_param(e, name, &x);
}

__attribute__((unused)) static double sup_attr_num(const ml_estimator *e, const char *name)
{
    ml_value v;
    if (ml_estimator_get_attr(e, name, &v) || v.kind != ML_VAL_NUM) return -1;
    return v.num;
}

__attribute__((unused)) static double sup_score(const ml_estimator *e, const ml_tensor *X, const ml_tensor *y)
{
    double s = -1;
    if (ml_estimator_score(e, X, y, &s)) return -1;
    return s;
}

/* Maximum |row sum - 1| of a probability matrix. */
__attribute__((unused)) static double sup_proba_err(const ml_tensor *P)
{
    double worst = 0;
    for (int64_t i = 0; i < P->shape[0]; i++) {
        double s = 0;
        for (int64_t j = 0; j < P->shape[1]; j++) {
            float p = P->data[i * P->shape[1] + j];
            if (!(p >= 0 && p <= 1)) return 1e9;
            s += p;
        }
        if (fabs(s - 1) > worst) worst = fabs(s - 1);
    }
    return worst;
}

static char *sup_tmpfile(void)
{
    static char path[64];
    strcpy(path, "/tmp/mnistlab-sup-XXXXXX");
    int fd = mkstemp(path);
    if (fd >= 0) close(fd);
    return path;
}

#endif
