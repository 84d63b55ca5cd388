/* mnistlab models: folds, cross-validation, grid search (see selection.h). */
#include "models/selection.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/rng.h"
#include "data/split.h"

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static ml_status folds_alloc(ml_folds *f, int64_t n, int k, const char *fn)
{
    memset(f, 0, sizeof *f);
    if (k < 2) return ml_fail(ML_EINVAL, "%s: n_splits must be at least 2, got %d", fn, k);
    if (n < k)
        return ml_fail(ML_EINVAL, "%s: n_splits = %d is more than the %lld rows", fn, k, (long long)n);
    f->test = malloc(sizeof *f->test * (size_t)n);
    f->start = calloc((size_t)k + 1, sizeof *f->start);
    if (!f->test || !f->start) {
        ml_folds_free(f);
        return ml_fail(ML_ENOMEM, "%s: out of memory", fn);
    }
    f->k = k;
    f->n = n;
    return ML_OK;
}

void ml_folds_free(ml_folds *f)
{
    free(f->test);
    free(f->start);
    memset(f, 0, sizeof *f);
}

ml_status ml_kfold(int64_t n, int k, int shuffle, uint64_t seed, ml_folds *f)
{
    ml_status st = folds_alloc(f, n, k, "KFold");
    if (st) return st;
    for (int64_t i = 0; i < n; i++) f->test[i] = i;
    if (shuffle) {
        ml_rng r;
        ml_rng_seed(&r, seed);
        ml_rng_shuffle(&r, f->test, n);
    }
    int64_t off = 0;
    for (int i = 0; i < k; i++) {
        int64_t size = n / k + (i < n % k);
        f->start[i] = off;
        off += size;
        qsort(f->test + f->start[i], (size_t)size, sizeof *f->test, cmp_i64);
    }
    f->start[k] = n;
    return ML_OK;
}

ml_status ml_stratified_kfold(const ml_tensor *y, int k, int shuffle, uint64_t seed, ml_folds *f)
{
    memset(f, 0, sizeof *f);
    if (!y) return ml_fail(ML_EINVAL, "StratifiedKFold: needs the labels y");
    int nc;
    ml_status st = ml_check_labels(y, "StratifiedKFold: y", &nc);
    if (st) return st;
    int64_t n = ml_tensor_numel(y);
    if ((st = folds_alloc(f, n, k, "StratifiedKFold"))) return st;
    int64_t *cstart = calloc((size_t)nc + 1, sizeof *cstart);
    int64_t *byclass = malloc(sizeof *byclass * (size_t)n);
    int64_t *fill = calloc((size_t)k, sizeof *fill);
    int64_t *size = calloc((size_t)k, sizeof *size);
    int64_t *fold_of_pos = malloc(sizeof *fold_of_pos * (size_t)n);
    if (!cstart || !byclass || !fill || !size || !fold_of_pos) {
        free(cstart), free(byclass), free(fill), free(size), free(fold_of_pos);
        ml_folds_free(f);
        return ml_fail(ML_ENOMEM, "StratifiedKFold: out of memory");
    }
    for (int64_t i = 0; i < n; i++) cstart[(int)y->data[i] + 1]++;
    for (int c = 0; c < nc; c++) cstart[c + 1] += cstart[c];
    {
        int64_t *pos = malloc(sizeof *pos * (size_t)nc);
        if (!pos) {
            free(cstart), free(byclass), free(fill), free(size), free(fold_of_pos);
            ml_folds_free(f);
            return ml_fail(ML_ENOMEM, "StratifiedKFold: out of memory");
        }
        memcpy(pos, cstart, sizeof *pos * (size_t)nc);
        for (int64_t i = 0; i < n; i++) byclass[pos[(int)y->data[i]]++] = i;
        free(pos);
    }
    ml_rng r;
    ml_rng_seed(&r, seed);
    /* class c: n_c / k rows to every fold, the n_c % k extra rows to the
     * folds that come next in a rotation shared by all classes, so that the
     * folds' sizes stay within one row of each other. */
    int rot = 0;
    for (int c = 0; c < nc; c++) {
        int64_t a = cstart[c], nc_rows = cstart[c + 1] - a;
        if (!nc_rows) continue;
        if (shuffle) ml_rng_shuffle(&r, byclass + a, nc_rows);
        int64_t base = nc_rows / k, extra = nc_rows % k, p = a;
        for (int i = 0; i < k; i++) {
            int64_t take = base + (((i - rot) % k + k) % k < extra);
            for (int64_t j = 0; j < take; j++) fold_of_pos[p++] = i;
            size[i] += take;
        }
        rot = (int)((rot + extra) % k);
    }
    for (int i = 0; i < k; i++) f->start[i + 1] = f->start[i] + size[i];
    for (int64_t p = 0; p < n; p++) {
        int64_t i = fold_of_pos[p];
        f->test[f->start[i] + fill[i]++] = byclass[p];
    }
    for (int i = 0; i < k; i++) qsort(f->test + f->start[i], (size_t)size[i], sizeof *f->test, cmp_i64);
    free(cstart), free(byclass), free(fill), free(size), free(fold_of_pos);
    return ML_OK;
}

void ml_folds_train(const ml_folds *f, int i, int64_t *train, int64_t *n_train)
{
    /* Every row except fold i's test rows (sorted), in increasing order. */
    const int64_t *t = f->test + f->start[i];
    int64_t nt = f->start[i + 1] - f->start[i], j = 0, m = 0;
    for (int64_t r = 0; r < f->n; r++) {
        if (j < nt && t[j] == r) {
            j++;
            continue;
        }
        train[m++] = r;
    }
    *n_train = m;
}

/* ---- one fold's data ---- */
typedef struct fold_data {
    ml_tensor *Xtr, *ytr, *Xte, *yte;
} fold_data;

static void fold_data_free(fold_data *d)
{
    ml_tensor_free(d->Xtr), ml_tensor_free(d->ytr), ml_tensor_free(d->Xte), ml_tensor_free(d->yte);
    memset(d, 0, sizeof *d);
}

static ml_status fold_data_take(const ml_tensor *X, const ml_tensor *y, const ml_folds *f, int i, int64_t *buf,
                                fold_data *d)
{
    memset(d, 0, sizeof *d);
    int64_t ntr;
    ml_folds_train(f, i, buf, &ntr);
    const int64_t *te = f->test + f->start[i];
    int64_t nte = f->start[i + 1] - f->start[i];
    d->Xtr = ml_tensor_take_rows(X, buf, ntr);
    d->ytr = ml_tensor_take_rows(y, buf, ntr);
    d->Xte = ml_tensor_take_rows(X, te, nte);
    d->yte = ml_tensor_take_rows(y, te, nte);
    if (!d->Xtr || !d->ytr || !d->Xte || !d->yte) {
        fold_data_free(d);
        return ML_ENOMEM;
    }
    return ML_OK;
}

static ml_status check_xy(const ml_tensor *X, const ml_tensor *y, const ml_folds *f, const char *fn)
{
    if (!X || !y) return ml_fail(ML_EINVAL, "%s: needs X and y", fn);
    if (ml_tensor_numel(y) != X->shape[0])
        return ml_fail(ML_EINVAL, "%s: X has %lld rows but y has %lld labels", fn, (long long)X->shape[0],
                       (long long)ml_tensor_numel(y));
    if (y->ndim != 1) return ml_fail(ML_EINVAL, "%s: y must be a vector of labels", fn);
    if (f->n != X->shape[0])
        return ml_fail(ML_EINVAL, "%s: cv was made for %lld rows but X has %lld", fn, (long long)f->n,
                       (long long)X->shape[0]);
    return ML_OK;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Fits a clone on the fold and scores it. */
static ml_status fit_score(const ml_estimator *proto, const fold_data *d, const ml_progress *p, double *score,
                           double *seconds)
{
    ml_estimator *e = ml_estimator_clone(proto);
    if (!e) return ML_ENOMEM;
    double t0 = now_seconds();
    ml_status st = ml_estimator_fit(e, d->Xtr, d->ytr, p);
    if (seconds) *seconds = now_seconds() - t0;
    if (!st) st = ml_estimator_score(e, d->Xte, d->yte, score);
    ml_estimator_free(e);
    return st;
}

ml_status ml_cross_val_score(const ml_estimator *est, const ml_tensor *X, const ml_tensor *y, const ml_folds *f,
                             const ml_progress *p, double *scores)
{
    ml_status st = check_xy(X, y, f, "cross_val_score");
    if (st) return st;
    int64_t *buf = malloc(sizeof *buf * (size_t)f->n);
    if (!buf) return ml_fail(ML_ENOMEM, "cross_val_score: out of memory");
    for (int i = 0; i < f->k && !st; i++) {
        char stage[64];
        snprintf(stage, sizeof stage, "cv %d/%d", i + 1, f->k);
        if ((st = ml_progress_update(p, stage, i, f->k))) break;
        fold_data d;
        if ((st = fold_data_take(X, y, f, i, buf, &d))) break;
        st = fit_score(est, &d, p, &scores[i], NULL);
        fold_data_free(&d);
        if (st && st != ML_ECANCELLED) ml_fail_prefix(st, "cross_val_score");
    }
    free(buf);
    if (!st) st = ml_progress_update(p, "cv", f->k, f->k);
    return st;
}

/* ---- grids ---- */

ml_status ml_grid_add(ml_grid *g, const char *name, const ml_value *values, int n_values)
{
    if (n_values < 1) return ml_fail(ML_EINVAL, "GridSearchCV: grid parameter '%s' has no values", name);
    for (int i = 0; i < g->n_params; i++)
        if (!strcmp(g->params[i].name, name))
            return ml_fail(ML_EINVAL, "GridSearchCV: grid parameter '%s' is given twice", name);
    for (int i = 0; i < n_values; i++)
        if (values[i].kind == ML_VAL_TENSOR)
            return ml_fail(ML_EINVAL, "GridSearchCV: grid parameter '%s': value %d is a tensor (numbers, strings, "
                           "booleans or nil only)", name, i + 1);
    ml_grid_param *np = realloc(g->params, sizeof *np * (size_t)(g->n_params + 1));
    if (!np) return ml_fail(ML_ENOMEM, "GridSearchCV: out of memory");
    g->params = np;
    ml_grid_param *q = &g->params[g->n_params];
    q->name = strdup(name);
    q->values = calloc((size_t)n_values, sizeof *q->values);
    q->n_values = n_values;
    if (!q->name || !q->values) {
        free(q->name), free(q->values);
        return ml_fail(ML_ENOMEM, "GridSearchCV: out of memory");
    }
    g->n_params++;
    for (int i = 0; i < n_values; i++) {
        q->values[i] = values[i];
        if (values[i].kind == ML_VAL_STR) {
            q->values[i].str = strdup(values[i].str);
            if (!q->values[i].str) return ml_fail(ML_ENOMEM, "GridSearchCV: out of memory");
        }
    }
    return ML_OK;
}

void ml_grid_free(ml_grid *g)
{
    for (int i = 0; i < g->n_params; i++) {
        for (int j = 0; j < g->params[i].n_values; j++)
            if (g->params[i].values[j].kind == ML_VAL_STR) free((char *)g->params[i].values[j].str);
        free(g->params[i].values);
        free(g->params[i].name);
    }
    free(g->params);
    memset(g, 0, sizeof *g);
}

int64_t ml_grid_size(const ml_grid *g)
{
    int64_t n = 1;
    for (int i = 0; i < g->n_params; i++) n *= g->params[i].n_values;
    return n;
}

void ml_grid_candidate(const ml_grid *g, int64_t c, int *choice)
{
    for (int i = g->n_params - 1; i >= 0; i--) {
        choice[i] = (int)(c % g->params[i].n_values);
        c /= g->params[i].n_values;
    }
}

static ml_status set_candidate(ml_estimator *e, const ml_grid *g, const int *choice)
{
    for (int i = 0; i < g->n_params; i++) {
        ml_status st = ml_estimator_set_param(e, g->params[i].name, &g->params[i].values[choice[i]]);
        if (st) return ml_fail_prefix(st, "GridSearchCV");
    }
    return ML_OK;
}

void ml_search_result_free(ml_search_result *r)
{
    free(r->choice), free(r->fold_scores), free(r->mean), free(r->std), free(r->rank), free(r->fit_seconds);
    ml_estimator_free(r->best_estimator);
    memset(r, 0, sizeof *r);
}

ml_status ml_grid_search(const ml_estimator *est, const ml_grid *g, const ml_tensor *X, const ml_tensor *y,
                         const ml_folds *f, int refit, const ml_progress *p, ml_search_result *out)
{
    memset(out, 0, sizeof *out);
    ml_status st = check_xy(X, y, f, "GridSearchCV");
    if (st) return st;
    int64_t nc = ml_grid_size(g);
    if (nc < 1 || nc > 1000000) return ml_fail(ML_EINVAL, "GridSearchCV: the grid has %lld candidates", (long long)nc);
    /* every value of every parameter, on a clone, before any work */
    {
        ml_estimator *c = ml_estimator_clone(est);
        if (!c) return ML_ENOMEM;
        for (int i = 0; i < g->n_params && !st; i++)
            for (int j = 0; j < g->params[i].n_values && !st; j++) {
                st = ml_estimator_set_param(c, g->params[i].name, &g->params[i].values[j]);
                if (st) {
                    char pre[160];
                    snprintf(pre, sizeof pre, "GridSearchCV: grid parameter '%s'", g->params[i].name);
                    ml_fail_prefix(st, pre);
                }
            }
        ml_estimator_free(c);
        if (st) return st;
    }
    int np = g->n_params > 0 ? g->n_params : 1;
    out->n_candidates = nc;
    out->k = f->k;
    out->choice = calloc((size_t)(nc * np), sizeof *out->choice);
    out->fold_scores = calloc((size_t)(nc * f->k), sizeof *out->fold_scores);
    out->mean = calloc((size_t)nc, sizeof *out->mean);
    out->std = calloc((size_t)nc, sizeof *out->std);
    out->rank = calloc((size_t)nc, sizeof *out->rank);
    out->fit_seconds = calloc((size_t)nc, sizeof *out->fit_seconds);
    int64_t *buf = malloc(sizeof *buf * (size_t)f->n);
    ml_estimator **cand = calloc((size_t)nc, sizeof *cand);
    if (!out->choice || !out->fold_scores || !out->mean || !out->std || !out->rank || !out->fit_seconds || !buf ||
        !cand) {
        st = ml_fail(ML_ENOMEM, "GridSearchCV: out of memory");
        goto done;
    }
    for (int64_t c = 0; c < nc && !st; c++) {
        ml_grid_candidate(g, c, out->choice + c * np);
        cand[c] = ml_estimator_clone(est);
        if (!cand[c]) st = ML_ENOMEM;
        else st = set_candidate(cand[c], g, out->choice + c * np);
    }
    if (st) goto done;
    /* folds outside, candidates inside: each fold's rows are copied once */
    int64_t total = nc * f->k + (refit ? 1 : 0), done_fits = 0;
    for (int i = 0; i < f->k && !st; i++) {
        fold_data d;
        if ((st = fold_data_take(X, y, f, i, buf, &d))) break;
        for (int64_t c = 0; c < nc && !st; c++) {
            char stage[64];
            snprintf(stage, sizeof stage, "grid search %lld/%lld", (long long)done_fits + 1, (long long)total);
            if ((st = ml_progress_update(p, stage, done_fits, total))) break;
            double secs;
            st = fit_score(cand[c], &d, p, &out->fold_scores[c * f->k + i], &secs);
            if (st && st != ML_ECANCELLED) {
                char pre[96];
                snprintf(pre, sizeof pre, "GridSearchCV: candidate %lld, fold %d", (long long)c + 1, i + 1);
                ml_fail_prefix(st, pre);
            }
            out->fit_seconds[c] += secs / f->k;
            done_fits++;
        }
        fold_data_free(&d);
    }
    if (st) goto done;
    for (int64_t c = 0; c < nc; c++) {
        double s = 0, q = 0;
        for (int i = 0; i < f->k; i++) s += out->fold_scores[c * f->k + i];
        double mu = s / f->k;
        for (int i = 0; i < f->k; i++) {
            double t = out->fold_scores[c * f->k + i] - mu;
            q += t * t;
        }
        out->mean[c] = mu;
        out->std[c] = sqrt(q / f->k);
    }
    out->best_index = 0;
    for (int64_t c = 0; c < nc; c++) {
        int r = 1;
        for (int64_t o = 0; o < nc; o++)
            if (out->mean[o] > out->mean[c]) r++;
        out->rank[c] = r;
        if (out->mean[c] > out->mean[out->best_index]) out->best_index = c;
    }
    out->best_score = out->mean[out->best_index];
    if (refit) {
        if ((st = ml_progress_update(p, "grid search: refit", done_fits, total))) goto done;
        out->best_estimator = cand[out->best_index];
        cand[out->best_index] = NULL;
        st = ml_estimator_fit(out->best_estimator, X, y, p);
        if (st && st != ML_ECANCELLED) ml_fail_prefix(st, "GridSearchCV: refit");
    }
done:
    for (int64_t c = 0; cand && c < nc; c++) ml_estimator_free(cand[c]);
    free(cand);
    free(buf);
    if (st) ml_search_result_free(out);
    return st;
}
