/* mnistlab models: diagonal Gaussian mixture by EM (see mixture.h). */
#include "models/mixture.h"

#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/blas.h"
#include "core/parallel.h"
#include "core/rng.h"
#include "models/kmeans.h"

static const char *const gmm_params[] = {"n_components", "covariance_type", "init_params", "n_init", "max_iter",
                                         "tol", "reg_covar", "random_state", "seed", NULL};
static const char *const gmm_attrs[] = {"weights", "means", "covariances", "labels", "lower_bound", "n_iter",
                                        "converged", NULL};
static const char *const init_choices[] = {"kmeans", "random", NULL};
static const char *const cov_choices[] = {"diag", NULL};

#define GMM_FIELD(f) offsetof(ml_gmm, f)
static const ml_param_spec gmm_specs[] = {
    {"n_components", ML_PARAM_INT64, GMM_FIELD(n_components), 1, 1e6, NULL, 0},
    {"covariance_type", ML_PARAM_CHOICE, GMM_FIELD(covariance_type), 0, 0, cov_choices, 0},
    {"init_params", ML_PARAM_CHOICE, GMM_FIELD(init_random), 0, 0, init_choices, 0},
    {"n_init", ML_PARAM_INT, GMM_FIELD(n_init), 1, 1000, NULL, 0},
    {"max_iter", ML_PARAM_INT, GMM_FIELD(max_iter), 1, 1e6, NULL, 0},
    {"tol", ML_PARAM_REAL, GMM_FIELD(tol), 0, INFINITY, NULL, 0},
    {"reg_covar", ML_PARAM_REAL, GMM_FIELD(reg_covar), 0, INFINITY, NULL, 0},
    {"random_state", ML_PARAM_SEED, GMM_FIELD(seed), 0, 0, NULL, 0},
    {"seed", ML_PARAM_SEED, GMM_FIELD(seed), 0, 0, NULL, 0},
    {NULL, 0, 0, 0, 0, NULL, 0},
};

void ml_gmm_init(ml_gmm *m)
{
    m->n_components = 1;
    m->init_random = 0;
    m->n_init = 1;
    m->max_iter = 100;
    m->tol = 1e-3;
    m->reg_covar = 1e-6;
    m->seed = 0;
}

void ml_gmm_clear(ml_gmm *m)
{
    free(m->weights);
    free(m->means);
    free(m->covariances);
    free(m->labels);
    m->weights = m->means = m->covariances = NULL;
    m->labels = NULL;
    m->k = m->d = m->n = 0;
    m->lower_bound = 0;
    m->n_iter = m->converged = 0;
    m->base.fitted = 0;
}

/* Working set of one fit: XX = [X, X*X] (n x 2d) and the float weights. */
typedef struct gmm_work {
    int64_t n, d, k;
    float *xx;      /* n x 2d */
    float *W;       /* k x 2d */
    double *bias;   /* k */
    float *Y;       /* n x k: XX W^T, then responsibilities */
    /* sums per fixed group of rows (ml_parallel_groups), added in order: the
     * same fit on any thread count */
    double *part;   /* ML_GROUPS: log-likelihood sums */
    float *G;       /* ML_GROUPS x k x 2d: Y^T XX of each group's rows */
    double *nk;     /* ML_GROUPS x k: responsibilities summed */
} gmm_work;

/* parameters (double) -> W, bias */
static void prepare(gmm_work *w, const double *weights, const double *means, const double *cov)
{
    int64_t d = w->d;
    const double log2pi = log(2 * M_PI);
    for (int64_t c = 0; c < w->k; c++) {
        double b = log(weights[c]) - 0.5 * (double)d * log2pi, q = 0;
        for (int64_t j = 0; j < d; j++) {
            double prec = 1.0 / cov[c * d + j], mu = means[c * d + j];
            w->W[c * 2 * d + j] = (float)(-2 * mu * prec);
            w->W[c * 2 * d + d + j] = (float)prec;
            b -= 0.5 * log(cov[c * d + j]);
            q += mu * mu * prec;
        }
        w->bias[c] = b - 0.5 * q;
    }
}

typedef struct estep_ctx {
    gmm_work *w;
    int32_t *labels; /* or NULL */
} estep_ctx;

static void estep_task(void *vctx, int64_t b, int64_t e, int group, int worker)
{
    (void)worker;
    estep_ctx *c = vctx;
    gmm_work *w = c->w;
    int64_t k = w->k, d2 = 2 * w->d;
    if (e > b) ml_gemm(0, 1, e - b, k, d2, 1.0f, w->xx + b * d2, d2, w->W, d2, 0.0f, w->Y + b * k, k);
    double acc = 0;
    for (int64_t i = b; i < e; i++) {
        float *y = w->Y + i * k;
        double mx = -INFINITY;
        int32_t arg = 0;
        for (int64_t a = 0; a < k; a++) {
            double v = w->bias[a] - 0.5 * y[a];
            y[a] = (float)v;
            if (v > mx) {
                mx = v;
                arg = (int32_t)a;
            }
        }
        double s = 0;
        for (int64_t a = 0; a < k; a++) s += exp((double)y[a] - mx);
        double lse = mx + log(s);
        for (int64_t a = 0; a < k; a++) y[a] = (float)exp((double)y[a] - lse);
        acc += lse;
        if (c->labels) c->labels[i] = arg;
    }
    w->part[group] += acc;
}

/* Responsibilities into w->Y; returns the mean log-likelihood. */
static double estep(gmm_work *w, int32_t *labels)
{
    for (int t = 0; t < ML_GROUPS; t++) w->part[t] = 0;
    estep_ctx c = {w, labels};
    ml_parallel_groups(w->n, 1024, estep_task, &c);
    double s = 0;
    for (int t = 0; t < ML_GROUPS; t++) s += w->part[t];
    return s / (double)w->n;
}

static void mstep_task(void *vctx, int64_t b, int64_t e, int group, int worker)
{
    (void)worker;
    gmm_work *w = vctx;
    int64_t k = w->k, d2 = 2 * w->d;
    float *G = w->G + (int64_t)group * k * d2;
    double *nk = w->nk + (int64_t)group * k;
    if (e > b) ml_gemm(1, 0, k, d2, e - b, 1.0f, w->Y + b * k, k, w->xx + b * d2, d2, 0.0f, G, d2);
    else memset(G, 0, (size_t)(k * d2) * sizeof(float));
    for (int64_t c = 0; c < k; c++) nk[c] = 0;
    for (int64_t i = b; i < e; i++)
        for (int64_t c = 0; c < k; c++) nk[c] += w->Y[i * k + c];
}

/* Parameters from the responsibilities in w->Y. */
static void mstep(gmm_work *w, double reg, double *weights, double *means, double *cov)
{
    int64_t n = w->n, d = w->d, k = w->k, d2 = 2 * d;
    ml_parallel_groups(n, 1024, mstep_task, w);
    for (int64_t c = 0; c < k; c++) {
        double nk = 10 * DBL_EPSILON;
        for (int t = 0; t < ML_GROUPS; t++) nk += w->nk[t * k + c];
        weights[c] = nk / (double)n;
        for (int64_t j = 0; j < d; j++) {
            double g1 = 0, g2 = 0;
            for (int t = 0; t < ML_GROUPS; t++) {
                g1 += w->G[(t * k + c) * d2 + j];
                g2 += w->G[(t * k + c) * d2 + d + j];
            }
            double mu = g1 / nk, x2 = g2 / nk;
            double v = x2 - mu * mu;
            means[c * d + j] = mu;
            cov[c * d + j] = (v > 0 ? v : 0) + reg;
        }
    }
}

static ml_status check_fitted(const ml_gmm *m)
{
    if (!m->base.fitted || !m->means) return ml_fail(ML_ESTATE, "GaussianMixture: not fitted yet; call fit first");
    return ML_OK;
}

static ml_status work_alloc(gmm_work *w, const float *x, int64_t n, int64_t d, int64_t k)
{
    w->n = n;
    w->d = d;
    w->k = k;
    w->xx = malloc((size_t)(n * 2 * d) * sizeof(float));
    w->W = malloc((size_t)(k * 2 * d) * sizeof(float));
    w->bias = malloc((size_t)k * sizeof(double));
    w->Y = malloc((size_t)(n * k) * sizeof(float));
    w->part = malloc(ML_GROUPS * sizeof(double));
    w->G = malloc((size_t)(ML_GROUPS * k * 2 * d) * sizeof(float));
    w->nk = malloc((size_t)(ML_GROUPS * k) * sizeof(double));
    if (!w->xx || !w->W || !w->bias || !w->Y || !w->part || !w->G || !w->nk)
        return ml_fail(ML_ENOMEM, "GaussianMixture: out of memory for %lld x %lld", (long long)n, (long long)d);
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < d; j++) {
            float v = x[i * d + j];
            w->xx[i * 2 * d + j] = v;
            w->xx[i * 2 * d + d + j] = v * v;
        }
    return ML_OK;
}

static void work_free(gmm_work *w)
{
    free(w->xx), free(w->W), free(w->bias), free(w->Y), free(w->part), free(w->G), free(w->nk);
    memset(w, 0, sizeof *w);
}

static ml_status gmm_fit_impl(ml_gmm *m, const ml_tensor *X, const ml_progress *p)
{
    ml_tensor *X2 = ml_tensor_flatten_rows(X);
    if (!X2) return ML_ENOMEM;
    int64_t n = X2->shape[0], d = X2->shape[1], k = m->n_components;
    ml_status st = ML_OK;
    gmm_work w = {0};
    double *wt = NULL, *mu = NULL, *cv = NULL, *bw = NULL, *bm = NULL, *bc = NULL;
    int32_t *labels = NULL;
    if (n < 2 || n < k) {
        st = ml_fail(ML_EINVAL, "GaussianMixture: n_components=%lld needs at least as many samples, got %lld",
                     (long long)k, (long long)n);
        goto done;
    }
    if ((st = work_alloc(&w, X2->data, n, d, k))) goto done;
    wt = malloc((size_t)k * sizeof(double));
    mu = malloc((size_t)(k * d) * sizeof(double));
    cv = malloc((size_t)(k * d) * sizeof(double));
    bw = malloc((size_t)k * sizeof(double));
    bm = malloc((size_t)(k * d) * sizeof(double));
    bc = malloc((size_t)(k * d) * sizeof(double));
    labels = malloc((size_t)n * sizeof(int32_t));
    if (!wt || !mu || !cv || !bw || !bm || !bc || !labels) {
        st = ml_fail(ML_ENOMEM, "GaussianMixture: out of memory");
        goto done;
    }
    double best = -INFINITY;
    int best_iter = 0, best_conv = 0;
    m->base.warning[0] = 0;
    for (int run = 0; run < m->n_init; run++) {
        /* initial responsibilities */
        if (m->init_random) {
            ml_rng rng;
            ml_rng_seed_stream(&rng, m->seed, (uint64_t)run);
            for (int64_t i = 0; i < n; i++) {
                double s = 0;
                for (int64_t c = 0; c < k; c++) s += (w.Y[i * k + c] = ml_rng_uniformf(&rng));
                for (int64_t c = 0; c < k; c++) w.Y[i * k + c] = (float)(w.Y[i * k + c] / s);
            }
        } else {
            ml_kmeans km = {0};
            ml_kmeans_init(&km);
            km.n_clusters = k;
            km.n_init = 1;
            km.seed = m->seed + (uint64_t)run;
            if ((st = ml_kmeans_fit(&km, X2, NULL))) {
                ml_kmeans_clear(&km);
                goto done;
            }
            memset(w.Y, 0, (size_t)(n * k) * sizeof(float));
            for (int64_t i = 0; i < n; i++) w.Y[i * k + km.labels[i]] = 1.0f;
            ml_kmeans_clear(&km);
        }
        mstep(&w, m->reg_covar, wt, mu, cv);
        double lb = -INFINITY;
        int conv = 0, it;
        for (it = 1; it <= m->max_iter; it++) {
            double prev = lb;
            prepare(&w, wt, mu, cv);
            lb = estep(&w, NULL);
            mstep(&w, m->reg_covar, wt, mu, cv);
            if (fabs(lb - prev) < m->tol) {
                conv = 1;
                break;
            }
            if ((st = ml_progress_update(p, "gaussian mixture", it, m->max_iter))) goto done;
        }
        if (it > m->max_iter) it = m->max_iter;
        if (lb > best || run == 0) {
            best = lb;
            best_iter = it;
            best_conv = conv;
            memcpy(bw, wt, (size_t)k * sizeof(double));
            memcpy(bm, mu, (size_t)(k * d) * sizeof(double));
            memcpy(bc, cv, (size_t)(k * d) * sizeof(double));
        }
    }
    if (!best_conv)
        snprintf(m->base.warning, sizeof m->base.warning,
                 "EM did not converge in max_iter=%d iterations; increase max_iter or tol",
                 m->max_iter);
    /* a final E-step so that the labels follow the kept parameters */
    prepare(&w, bw, bm, bc);
    estep(&w, labels);
    ml_gmm_clear(m);
    m->k = k;
    m->d = d;
    m->n = n;
    m->weights = bw;
    m->means = bm;
    m->covariances = bc;
    m->labels = labels;
    bw = bm = bc = NULL;
    labels = NULL;
    m->lower_bound = best;
    m->n_iter = best_iter;
    m->converged = best_conv;
    m->base.n_features_in = d;
    m->base.fitted = 1;
done:
    work_free(&w);
    free(wt), free(mu), free(cv), free(bw), free(bm), free(bc), free(labels);
    ml_tensor_free(X2);
    return st;
}

ml_status ml_gmm_fit(ml_gmm *m, const ml_tensor *X, const ml_progress *p)
{
    if (!X) return ml_fail(ML_EINVAL, "X: missing");
    if (ml_tensor_has_nonfinite(X)) return ml_fail(ML_EINVAL, "X: contains NaN or infinite values");
    return gmm_fit_impl(m, X, p);
}

/* E-step on new data: w->Y gets the posteriors; *ll the mean log-likelihood. */
static ml_status posterior(const ml_gmm *m, const ml_tensor *X, gmm_work *w, int32_t *labels, double *ll)
{
    ml_status st = check_fitted(m);
    if (st) return st;
    ml_tensor *X2 = ml_tensor_flatten_rows(X);
    if (!X2) return ML_ENOMEM;
    if (X2->shape[1] != m->d) {
        st = ml_fail(ML_EINVAL, "X: has %lld features, but GaussianMixture was fitted with %lld",
                     (long long)X2->shape[1], (long long)m->d);
        ml_tensor_free(X2);
        return st;
    }
    st = work_alloc(w, X2->data, X2->shape[0], m->d, m->k);
    ml_tensor_free(X2);
    if (st) return st;
    prepare(w, m->weights, m->means, m->covariances);
    double v = estep(w, labels);
    if (ll) *ll = v;
    return ML_OK;
}

ml_status ml_gmm_predict_proba(const ml_gmm *m, const ml_tensor *X, ml_tensor **out)
{
    *out = NULL;
    gmm_work w = {0};
    ml_status st = posterior(m, X, &w, NULL, NULL);
    if (!st) {
        ml_tensor *t = ml_tensor_empty(2, (int64_t[]){w.n, w.k});
        if (!t) st = ML_ENOMEM;
        else {
            memcpy(t->data, w.Y, (size_t)(w.n * w.k) * sizeof(float));
            *out = t;
        }
    }
    work_free(&w);
    return st;
}

ml_status ml_gmm_predict(const ml_gmm *m, const ml_tensor *X, ml_tensor **out)
{
    *out = NULL;
    gmm_work w = {0};
    int64_t n = X ? X->shape[0] : 0;
    int32_t *labels = malloc((size_t)(n ? n : 1) * sizeof *labels);
    if (!labels) return ml_fail(ML_ENOMEM, "GaussianMixture.predict: out of memory");
    ml_status st = posterior(m, X, &w, labels, NULL);
    if (!st) {
        ml_tensor *t = ml_tensor_empty(1, (int64_t[]){w.n});
        if (!t) st = ML_ENOMEM;
        else {
            for (int64_t i = 0; i < w.n; i++) t->data[i] = (float)labels[i];
            *out = t;
        }
    }
    free(labels);
    work_free(&w);
    return st;
}

ml_status ml_gmm_score(const ml_gmm *m, const ml_tensor *X, double *ll)
{
    gmm_work w = {0};
    ml_status st = posterior(m, X, &w, NULL, ll);
    work_free(&w);
    return st;
}

/* ---- the estimator class ---- */

static void cls_init(ml_estimator *e) { ml_gmm_init((ml_gmm *)e); }
static void cls_destroy(ml_estimator *e) { ml_gmm_clear((ml_gmm *)e); }

static ml_status cls_fit(ml_estimator *e, const ml_tensor *X, const ml_tensor *y, const ml_progress *p)
{
    (void)y;
    return gmm_fit_impl((ml_gmm *)e, X, p);
}

static ml_status cls_predict(const ml_estimator *e, const ml_tensor *X, ml_tensor **out)
{
    return ml_gmm_predict((const ml_gmm *)e, X, out);
}

static ml_status cls_proba(const ml_estimator *e, const ml_tensor *X, ml_tensor **out)
{
    return ml_gmm_predict_proba((const ml_gmm *)e, X, out);
}

static ml_tensor *dtensor(const double *v, int ndim, int64_t r, int64_t c)
{
    ml_tensor *t = ml_tensor_empty(ndim, (int64_t[]){r, c});
    if (t)
        for (int64_t i = 0; i < r * (ndim == 2 ? c : 1); i++) t->data[i] = (float)v[i];
    return t;
}

static ml_status cls_get_attr(const ml_estimator *e, const char *name, ml_value *v)
{
    const ml_gmm *m = (const ml_gmm *)e;
    memset(v, 0, sizeof *v);
    ml_status st = check_fitted(m);
    if (st) return st;
    ml_tensor *t = NULL;
    if (!strcmp(name, "weights")) t = dtensor(m->weights, 1, m->k, 1);
    else if (!strcmp(name, "means")) t = dtensor(m->means, 2, m->k, m->d);
    else if (!strcmp(name, "covariances")) t = dtensor(m->covariances, 2, m->k, m->d);
    else if (!strcmp(name, "labels")) {
        if (!m->labels) return ml_fail(ML_ESTATE, "GaussianMixture: labels are known only after fit (not after load)");
        t = ml_tensor_empty(1, (int64_t[]){m->n});
        if (t)
            for (int64_t i = 0; i < m->n; i++) t->data[i] = (float)m->labels[i];
    } else if (!strcmp(name, "lower_bound")) {
        *v = ml_num(m->lower_bound);
        return ML_OK;
    } else if (!strcmp(name, "n_iter")) {
        *v = ml_num(m->n_iter);
        return ML_OK;
    } else if (!strcmp(name, "converged")) {
        *v = ml_bool(m->converged);
        return ML_OK;
    } else
        return ml_fail(ML_EINVAL, "GaussianMixture: no attribute '%s'", name);
    if (!t) return ml_fail(ML_ENOMEM, "GaussianMixture: out of memory");
    v->kind = ML_VAL_TENSOR;
    v->tensor = t;
    return ML_OK;
}

static ml_status cls_save(const ml_estimator *e, ml_mfile_w *w)
{
    const ml_gmm *m = (const ml_gmm *)e;
    ml_status st;
    size_t kd = (size_t)(m->k * m->d) * sizeof(double);
    if ((st = ml_mfile_put_i64(w, "k", m->k)) || (st = ml_mfile_put_i64(w, "d", m->d)) ||
        (st = ml_mfile_put_f64(w, "lower_bound", m->lower_bound)) ||
        (st = ml_mfile_put_i64(w, "n_iter", m->n_iter)) || (st = ml_mfile_put_i64(w, "converged", m->converged)) ||
        (st = ml_mfile_put(w, "weights", m->weights, (size_t)m->k * sizeof(double))) ||
        (st = ml_mfile_put(w, "means", m->means, kd)) || (st = ml_mfile_put(w, "covariances", m->covariances, kd)))
        return st;
    return ML_OK;
}

static ml_status cls_load(ml_estimator *e, const ml_mfile *r)
{
    ml_gmm *m = (ml_gmm *)e;
    ml_gmm_clear(m);
    int64_t k, d, it, conv;
    ml_status st;
    if ((st = ml_mfile_get_i64(r, "k", &k)) || (st = ml_mfile_get_i64(r, "d", &d)) ||
        (st = ml_mfile_get_f64(r, "lower_bound", &m->lower_bound)) || (st = ml_mfile_get_i64(r, "n_iter", &it)) ||
        (st = ml_mfile_get_i64(r, "converged", &conv)))
        return st;
    if (k < 1 || d < 1 || k > (int64_t)1 << 20 || d > (int64_t)1 << 20)
        return ml_fail(ML_EFORMAT, "%s: GaussianMixture sizes are inconsistent", ml_mfile_path(r));
    size_t kd = (size_t)(k * d);
    if ((st = ml_mfile_get_f64s(r, "weights", (size_t)k, &m->weights)) ||
        (st = ml_mfile_get_f64s(r, "means", kd, &m->means)) ||
        (st = ml_mfile_get_f64s(r, "covariances", kd, &m->covariances))) {
        ml_gmm_clear(m);
        return st;
    }
    m->k = k;
    m->d = d;
    m->n_iter = (int)it;
    m->converged = (int)conv;
    m->base.n_features_in = d;
    m->base.fitted = 1;
    return ML_OK;
}

const ml_estimator_class ml_gaussian_mixture_class = {
    .name = "GaussianMixture",
    .type = ML_CLUSTERER,
    .size = sizeof(ml_gmm),
    .params = gmm_params,
    .attrs = gmm_attrs,
    .init = cls_init,
    .destroy = cls_destroy,
    .reset = cls_destroy,
    .param_specs = gmm_specs,
    .fit = cls_fit,
    .predict = cls_predict,
    .predict_proba = cls_proba,
    .get_attr = cls_get_attr,
    .save = cls_save,
    .load = cls_load,
};
