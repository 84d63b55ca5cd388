/* mnistlab models: k nearest neighbours, brute force (scikit-learn's
 * KNeighborsClassifier with algorithm="brute", Euclidean metric).
 *
 * Squared distances come from the matrix product:
 *   |a - b|^2 = |a|^2 + |b|^2 - 2 a.b
 * for blocks of KNN_BLOCK query rows against every training row, one block
 * per task (ml_parallel_for), so memory stays at threads x KNN_BLOCK x
 * n_train floats whatever the number of queries.  The k smallest are kept by
 * insertion (k is small); ties in distance keep the lower training index.
 * Votes: "uniform" counts, "distance" weighs by 1/d (a neighbour at distance
 * 0 takes all the weight, shared with any other at 0, as scikit-learn does).
 * Ties in the vote go to the lowest label. */
#include "models/knn.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/blas.h"
#include "core/parallel.h"

#define KNN_BLOCK 64

static const char *const weight_modes[] = {"uniform", "distance", NULL};

typedef struct knn {
    ml_estimator base;
    int n_neighbors;
    int weights;
    /* fitted */
    ml_tensor *X, *y;
    float *norms; /* n_train */
} knn;

static const char *const knn_params[] = {"n_neighbors", "weights", NULL};
static const char *const knn_attrs[] = {"n_samples_fit", "classes", NULL};
static const ml_param_spec knn_specs[] = {
    {"n_neighbors", ML_PARAM_INT, offsetof(knn, n_neighbors), 1, 1e6, NULL, 0},
    {"weights", ML_PARAM_CHOICE, offsetof(knn, weights), 0, 0, weight_modes, 0},
    {NULL, 0, 0, 0, 0, NULL, 0},
};

static void knn_init(ml_estimator *e) { ((knn *)e)->n_neighbors = 5; }

static void knn_reset(ml_estimator *e)
{
    knn *m = (knn *)e;
    ml_tensor_free(m->X), ml_tensor_free(m->y);
    free(m->norms);
    m->X = m->y = NULL;
    m->norms = NULL;
}

static float *row_norms(const ml_tensor *X)
{
    int64_t n = X->shape[0], d = X->shape[1];
    float *r = malloc(sizeof *r * (size_t)(n ? n : 1));
    if (!r) return NULL;
    for (int64_t i = 0; i < n; i++) {
        double s = 0;
        const float *x = X->data + i * d;
        for (int64_t j = 0; j < d; j++) s += (double)x[j] * x[j];
        r[i] = (float)s;
    }
    return r;
}

static ml_status knn_fit(ml_estimator *e, const ml_tensor *X, const ml_tensor *y, const ml_progress *p)
{
    knn *m = (knn *)e;
    knn_reset(e);
    if ((int64_t)m->n_neighbors > X->shape[0])
        return ml_fail(ML_EINVAL, "%s: n_neighbors = %d is more than the %lld training rows", e->cls->name,
                       m->n_neighbors, (long long)X->shape[0]);
    m->X = ml_tensor_clone(X);
    m->y = ml_tensor_clone(y);
    m->norms = m->X ? row_norms(m->X) : NULL;
    if (!m->X || !m->y || !m->norms) {
        knn_reset(e);
        return ml_fail(ML_ENOMEM, "%s: out of memory", e->cls->name);
    }
    /* fitting only stores the rows: one report, which may still cancel */
    ml_status st = ml_progress_update(p, "KNeighborsClassifier", X->shape[0], X->shape[0]);
    if (st) knn_reset(e);
    return st;
}

typedef struct pred_ctx {
    const knn *m;
    const float *Q;
    int64_t nq, d;
    int C, k;
    float **buf; /* per worker: KNN_BLOCK x n_train */
    float *out;
    int proba;
    int failed;
    int64_t nblocks, next; /* blocks of KNN_BLOCK queries, taken as they come */
} pred_ctx;

static void pred_task(void *ctx, int64_t b, int64_t e, int w)
{
    pred_ctx *p = ctx;
    const knn *m = p->m;
    int64_t n = m->X->shape[0], d = p->d;
    int k = p->k, C = p->C;
    float *D = p->buf[w];
    float *bd = malloc(sizeof *bd * (size_t)k);
    int64_t *bi = malloc(sizeof *bi * (size_t)k);
    double *votes = malloc(sizeof *votes * (size_t)C);
    if (!bd || !bi || !votes) {
        free(bd), free(bi), free(votes);
        __atomic_store_n(&p->failed, 1, __ATOMIC_RELAXED);
        return;
    }
    (void)b, (void)e;
    for (;;) {
        int64_t blk = __atomic_fetch_add(&p->next, 1, __ATOMIC_RELAXED);
        if (blk >= p->nblocks) break;
        int64_t r0 = blk * KNN_BLOCK;
        int64_t rows = p->nq - r0 < KNN_BLOCK ? p->nq - r0 : KNN_BLOCK;
        const float *Q = p->Q + r0 * d;
        ml_gemm(0, 1, rows, n, d, -2.f, Q, d, m->X->data, d, 0.f, D, n);
        for (int64_t r = 0; r < rows; r++) {
            const float *q = Q + r * d;
            double qs = 0;
            for (int64_t j = 0; j < d; j++) qs += (double)q[j] * q[j];
            float qn = (float)qs;
            const float *Dr = D + r * n;
            int cnt = 0;
            for (int64_t i = 0; i < n; i++) {
                float dist = Dr[i] + qn + m->norms[i];
                if (cnt == k && !(dist < bd[k - 1])) continue;
                int pos = cnt < k ? cnt++ : k - 1;
                while (pos > 0 && bd[pos - 1] > dist) {
                    bd[pos] = bd[pos - 1];
                    bi[pos] = bi[pos - 1];
                    pos--;
                }
                bd[pos] = dist;
                bi[pos] = i;
            }
            memset(votes, 0, sizeof *votes * (size_t)C);
            int zeros = 0;
            if (m->weights == 1)
                for (int j = 0; j < k; j++) zeros += bd[j] <= 0;
            for (int j = 0; j < k; j++) {
                int c = (int)m->y->data[bi[j]];
                double wgt = 1;
                if (m->weights == 1) wgt = zeros ? (bd[j] <= 0) : 1.0 / sqrt((double)bd[j]);
                votes[c] += wgt;
            }
            int64_t row = r0 + r;
            if (p->proba) {
                double s = 0;
                for (int c = 0; c < C; c++) s += votes[c];
                for (int c = 0; c < C; c++) p->out[row * C + c] = (float)(votes[c] / s);
            } else {
                int best = 0;
                for (int c = 1; c < C; c++)
                    if (votes[c] > votes[best]) best = c;
                p->out[row] = (float)best;
            }
        }
    }
    free(bd), free(bi), free(votes);
}

static ml_status knn_apply(const ml_estimator *e, const ml_tensor *X, ml_tensor **out, int proba)
{
    const knn *m = (const knn *)e;
    int64_t nq = X->shape[0], n = m->X->shape[0];
    int C = e->n_classes;
    int T = ml_get_threads();
    if (T < 1) T = 1;
    *out = proba ? ml_tensor_new2(nq, C) : ml_tensor_new1(nq);
    float **buf = calloc((size_t)T, sizeof *buf);
    int ok = *out && buf;
    for (int w = 0; ok && w < T; w++) ok = (buf[w] = malloc(sizeof **buf * (size_t)KNN_BLOCK * (size_t)n)) != NULL;
    pred_ctx p = {m, X->data, nq, X->shape[1], C, (int)m->n_neighbors, buf, ok ? (*out)->data : NULL, proba, 0,
                  (nq + KNN_BLOCK - 1) / KNN_BLOCK, 0};
    if (ok) ml_parallel_for(T, 1, pred_task, &p);
    for (int w = 0; buf && w < T; w++) free(buf[w]);
    free(buf);
    if (!ok || p.failed) {
        ml_tensor_free(*out);
        *out = NULL;
        return ml_fail(ML_ENOMEM, "%s: out of memory", e->cls->name);
    }
    return ML_OK;
}

static ml_status knn_predict(const ml_estimator *e, const ml_tensor *X, ml_tensor **out)
{
    return knn_apply(e, X, out, 0);
}

static ml_status knn_predict_proba(const ml_estimator *e, const ml_tensor *X, ml_tensor **out)
{
    return knn_apply(e, X, out, 1);
}

static ml_status knn_attr(const ml_estimator *e, const char *name, ml_value *v)
{
    const knn *m = (const knn *)e;
    if (!strcmp(name, "n_samples_fit")) {
        *v = ml_num((double)m->X->shape[0]);
        return ML_OK;
    }
    if (!strcmp(name, "classes")) {
        ml_tensor *t = ml_tensor_new1(e->n_classes);
        if (!t) return ML_ENOMEM;
        for (int c = 0; c < e->n_classes; c++) t->data[c] = (float)c;
        v->kind = ML_VAL_TENSOR;
        v->tensor = t;
        return ML_OK;
    }
    return ml_fail(ML_EINVAL, "%s: no attribute '%s'", e->cls->name, name);
}

static ml_status knn_save(const ml_estimator *e, ml_mfile_w *w)
{
    const knn *m = (const knn *)e;
    ml_status st = ml_mfile_put_tensor(w, "knn.X", m->X);
    if (!st) st = ml_mfile_put_tensor(w, "knn.y", m->y);
    return st;
}

static ml_status knn_load(ml_estimator *e, const ml_mfile *r)
{
    knn *m = (knn *)e;
    ml_status st = ml_mfile_get_tensor(r, "knn.X", &m->X);
    if (!st) st = ml_mfile_get_tensor(r, "knn.y", &m->y);
    if (st) return st;
    if (m->X->ndim != 2 || m->X->shape[1] != e->n_features_in || ml_tensor_numel(m->y) != m->X->shape[0] ||
        m->X->shape[0] < (int64_t)m->n_neighbors)
        return ml_fail(ML_EFORMAT, "%s: the stored training set has the wrong shape", ml_mfile_path(r));
    for (int64_t i = 0; i < m->X->shape[0]; i++) {
        float c = m->y->data[i];
        if (!(c >= 0 && c < e->n_classes) || c != floorf(c))
            return ml_fail(ML_EFORMAT, "%s: a stored label is out of range", ml_mfile_path(r));
    }
    m->norms = row_norms(m->X);
    return m->norms ? ML_OK : ml_fail(ML_ENOMEM, "%s: out of memory", ml_mfile_path(r));
}

const ml_estimator_class ml_knn_class = {
    .name = "KNeighborsClassifier",
    .type = ML_CLASSIFIER,
    .size = sizeof(knn),
    .params = knn_params,
    .attrs = knn_attrs,
    .init = knn_init,
    .destroy = knn_reset,
    .reset = knn_reset,
    .param_specs = knn_specs,
    .fit = knn_fit,
    .predict = knn_predict,
    .predict_proba = knn_predict_proba,
    .get_attr = knn_attr,
    .save = knn_save,
    .load = knn_load,
};
