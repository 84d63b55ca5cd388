/* mnistlab models: principal component analysis (see pca.h). */
#include "models/pca.h"

#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/blas.h"
#include "core/parallel.h"

#define PCA_BLOCK 2048 /* rows centred and multiplied at a time */
#define PCA_SLICE 8     /* blocks between two progress reports */

static const char *const pca_params[] = {"n_components", "whiten", NULL};
static const char *const pca_attrs[] = {"components",
                                        "explained_variance",
                                        "explained_variance_ratio",
                                        "cumulative_variance_ratio",
                                        "singular_values",
                                        "mean",
                                        "n_components_",
                                        "n_samples",
                                        "n_features",
                                        "noise_variance",
                                        "total_variance",
                                        "all_explained_variance_ratio",
                                        NULL};

void ml_pca_init(ml_pca *m)
{
    m->n_components = 0;
    m->whiten = 0;
}

void ml_pca_clear(ml_pca *m)
{
    free(m->components);
    free(m->mean);
    free(m->explained_variance);
    free(m->explained_variance_ratio);
    free(m->all_variance);
    m->components = m->mean = NULL;
    m->explained_variance = m->explained_variance_ratio = m->all_variance = NULL;
    m->k = m->n_all = m->n_samples = m->n_features = 0;
    m->total_variance = m->noise_variance = 0;
    m->base.fitted = 0;
}

ml_status ml_pca_set_n_components(ml_pca *m, double v)
{
    if (!(v > 0) || !isfinite(v))
        return ml_fail(ML_EINVAL,
                       "n_components: must be an integer >= 1 or a variance fraction in (0, 1) (nil keeps them all), "
                       "got %g", v);
    if (v > 1 && v != floor(v))
        return ml_fail(ML_EINVAL,
                       "n_components: %g is neither an integer nor a variance fraction in (0, 1)", v);
    if (v > 1e9) return ml_fail(ML_EINVAL, "n_components: %g is too large", v);
    m->n_components = v;
    return ML_OK;
}

int64_t ml_pca_components_for(const double *ratio_all, int64_t n, double fraction)
{
    /* scikit-learn: searchsorted(cumsum, fraction, side="right") + 1 */
    double c = 0;
    for (int64_t i = 0; i < n; i++) {
        c += ratio_all[i];
        if (c > fraction) return i + 1;
    }
    return n;
}

/* ---- column means, in double, rows in fixed groups over the threads ---- */
typedef struct mean_ctx {
    const float *x;
    int64_t d;
    double *part; /* ML_GROUPS x d */
} mean_ctx;

static void mean_task(void *vctx, int64_t b, int64_t e, int group, int worker)
{
    (void)worker;
    mean_ctx *c = vctx;
    double *acc = c->part + (int64_t)group * c->d;
    for (int64_t i = b; i < e; i++) {
        const float *row = c->x + i * c->d;
        for (int64_t j = 0; j < c->d; j++) acc[j] += row[j];
    }
}

/* ---- the covariance ----
 * Blocks of rows are handed out dynamically (an atomic counter), so that a
 * core slowed by other work takes fewer of them.  Each thread centres its
 * block, computes its rank-k update in float with single-threaded BLAS, and
 * adds it to its own double accumulator; the accumulators are summed at the
 * end.  A block's float update does not depend on the thread that made it,
 * and sums of a few dozen floats in double are exact in practice, so the
 * result does not depend on the scheduling. */
typedef struct cov_ctx {
    const float *x;
    const float *mean;
    int64_t n, d, bs, nblocks;
    int64_t next; /* next block to take (atomic) */
    float *blk;   /* threads x bs x d */
    float *bcov;  /* threads x d x d */
    double *acc;  /* threads x d x d (upper triangle) */
} cov_ctx;

static void cov_task(void *vctx, int64_t b, int64_t e, int worker)
{
    (void)b, (void)e;
    cov_ctx *c = vctx;
    int64_t d = c->d;
    float *blk = c->blk + (int64_t)worker * c->bs * d, *bcov = c->bcov + (int64_t)worker * d * d;
    double *acc = c->acc + (int64_t)worker * d * d;
    for (;;) {
        int64_t bi = __atomic_fetch_add(&c->next, 1, __ATOMIC_RELAXED);
        if (bi >= c->nblocks) break;
        int64_t r0 = bi * c->bs, rows = c->n - r0 < c->bs ? c->n - r0 : c->bs;
        for (int64_t i = 0; i < rows; i++) {
            const float *row = c->x + (r0 + i) * d;
            float *o = blk + i * d;
            for (int64_t j = 0; j < d; j++) o[j] = row[j] - c->mean[j];
        }
        ml_syrk(1, d, rows, 1.0f, blk, d, 0.0f, bcov, d);
        for (int64_t i = 0; i < d; i++)
            for (int64_t j = i; j < d; j++) acc[i * d + j] += bcov[i * d + j];
    }
}

static ml_status pca_fit_impl(ml_pca *m, const ml_tensor *X, const ml_progress *p)
{
    ml_tensor *X2 = ml_tensor_flatten_rows(X);
    if (!X2) return ML_ENOMEM;
    int64_t n = X2->shape[0], d = X2->shape[1];
    const float *x = X2->data;
    ml_status st = ML_OK;
    double *mean = NULL, *part = NULL, *cov = NULL, *acc = NULL;
    float *w = NULL, *z = NULL, *covf = NULL;
    float *block = NULL, *bcov = NULL, *meanf = NULL;
    lapack_int *isuppz = NULL;

    if (n < 2) {
        st = ml_fail(ML_EINVAL, "X: PCA needs at least 2 samples, got %lld", (long long)n);
        goto done;
    }
    if (d < 1) {
        st = ml_fail(ML_EINVAL, "X: PCA needs at least 1 feature");
        goto done;
    }
    int64_t kmax = n < d ? n : d;
    double nc = m->n_components;
    int fraction = nc > 0 && nc < 1;
    int64_t want = nc == 0 ? kmax : fraction ? -1 : (int64_t)nc;
    if (want > kmax) {
        st = ml_fail(ML_EINVAL,
                     "PCA: n_components=%lld must be <= min(n_samples, n_features) = min(%lld, %lld) = %lld",
                     (long long)want, (long long)n, (long long)d, (long long)kmax);
        goto done;
    }

    int threads = ml_get_threads();
    mean = calloc((size_t)d, sizeof *mean);
    part = calloc(ML_GROUPS * (size_t)d, sizeof *part);
    meanf = malloc((size_t)d * sizeof *meanf);
    cov = calloc((size_t)d * (size_t)d, sizeof *cov);
    int64_t bs = n < PCA_BLOCK ? n : PCA_BLOCK;
    block = malloc((size_t)threads * (size_t)bs * (size_t)d * sizeof *block);
    bcov = malloc((size_t)threads * (size_t)d * (size_t)d * sizeof *bcov);
    acc = calloc((size_t)threads * (size_t)d * (size_t)d, sizeof *acc);
    w = malloc((size_t)d * sizeof *w);
    if (!mean || !part || !meanf || !cov || !block || !bcov || !acc || !w) {
        st = ml_fail(ML_ENOMEM, "PCA: out of memory for %lld features", (long long)d);
        goto done;
    }

    mean_ctx mc = {x, d, part};
    ml_parallel_groups(n, 1024, mean_task, &mc);
    for (int t = 0; t < ML_GROUPS; t++)
        for (int64_t j = 0; j < d; j++) mean[j] += part[(int64_t)t * d + j];
    for (int64_t j = 0; j < d; j++) {
        mean[j] /= (double)n;
        meanf[j] = (float)mean[j];
    }

    /* covariance: slices of rows (progress between them), blocks of each
     * slice shared among the threads.  Blocks start at multiples of bs and
     * slices hold PCA_SLICE whole blocks, whatever the thread count, so that
     * every block's float update is the same on any number of threads (and
     * their double sums are exact in practice: see cov_task) */
    int64_t nblocks_all = (n + bs - 1) / bs;
    int64_t nslices = (nblocks_all + PCA_SLICE - 1) / PCA_SLICE;
    for (int64_t si = 0; si < nslices; si++) {
        int64_t r0 = si * PCA_SLICE * bs, r1 = (si + 1) * PCA_SLICE * bs < n ? (si + 1) * PCA_SLICE * bs : n;
        cov_ctx cc = {x + r0 * d, meanf, r1 - r0, d, bs, (r1 - r0 + bs - 1) / bs, 0, block, bcov, acc};
        ml_parallel_for(threads, 1, cov_task, &cc);
        if ((st = ml_progress_update(p, "pca", si + 1, nslices + 1)) != ML_OK) goto done;
    }
    for (int t = 0; t < threads; t++)
        for (int64_t i = 0; i < d; i++)
            for (int64_t j = i; j < d; j++) cov[i * d + j] += acc[((int64_t)t * d + i) * d + j];
    int64_t nblocks = nslices;
    /* the float mean's own rounding leaves a rank-one bias n*(m - mf)(m - mf)^T: remove it */
    double total = 0;
    for (int64_t i = 0; i < d; i++) {
        double di = mean[i] - meanf[i];
        for (int64_t j = i; j < d; j++) {
            double dj = mean[j] - meanf[j];
            cov[i * d + j] = (cov[i * d + j] - (double)n * di * dj) / (double)(n - 1);
        }
        total += cov[i * d + i];
    }
    if (!(total > 0)) {
        st = ml_fail(ML_EINVAL, "X: every feature is constant (total variance 0): PCA has no variance to explain");
        goto done;
    }

    /* eigendecomposition: only the top `want` pairs when few are asked */
    lapack_int neig = 0;
    int64_t keig = want > 0 && want * 4 <= d ? want : d;
    z = malloc((size_t)d * (size_t)keig * sizeof *z);
    isuppz = malloc(2 * (size_t)d * sizeof *isuppz);
    covf = malloc((size_t)d * (size_t)d * sizeof *covf);
    if (!z || !isuppz || !covf) {
        st = ml_fail(ML_ENOMEM, "PCA: out of memory for the eigenvectors");
        goto done;
    }
    /* the sums were accumulated in double; the eigensolver works in float
     * (ssyevr: a third of dsyevr's time, with eigenvalues accurate to about
     * 1e-7 of the largest, well within the 1e-5 asked of the ratios) */
    for (int64_t i = 0; i < d; i++)
        for (int64_t j = i; j < d; j++) covf[i * d + j] = covf[j * d + i] = (float)cov[i * d + j];
    /* the eigensolver's BLAS on one thread: threaded, its results depend on
     * the thread count (and it is a small share of the fit) */
    int blas_threads = ml_blas_serial_begin();
    lapack_int info;
    if (keig == d)
        info = LAPACKE_ssyevr(LAPACK_ROW_MAJOR, 'V', 'A', 'U', (lapack_int)d, covf, (lapack_int)d, 0, 0, 0, 0, 0.0f,
                              &neig, w, z, (lapack_int)keig, isuppz);
    else
        info = LAPACKE_ssyevr(LAPACK_ROW_MAJOR, 'V', 'I', 'U', (lapack_int)d, covf, (lapack_int)d, 0, 0,
                              (lapack_int)(d - keig + 1), (lapack_int)d, 0.0f, &neig, w, z, (lapack_int)keig,
                              isuppz);
    ml_blas_serial_end(blas_threads);
    if (info != 0 || neig != keig) {
        st = ml_fail(ML_EINVAL, "PCA: the eigendecomposition failed (LAPACK ssyevr info %d)", (int)info);
        goto done;
    }
    /* w ascending, z columns: eigenvectors.  Reverse to descending. */
    int64_t k = want;
    int64_t nall = keig < kmax ? keig : kmax; /* eigenvalues we know, descending */
    double *allv = malloc((size_t)nall * sizeof *allv);
    if (!allv) {
        st = ml_fail(ML_ENOMEM, "PCA: out of memory");
        goto done;
    }
    for (int64_t i = 0; i < nall; i++) {
        double v = w[keig - 1 - i];
        allv[i] = v > 0 ? v : 0;
    }
    if (keig == d) {
        /* every eigenvalue known: the total is their sum (as scikit-learn's
         * sum of squared singular values), so that the ratios add up to 1 */
        double s = 0;
        for (int64_t i = 0; i < d; i++) s += w[i] > 0 ? w[i] : 0;
        if (s > 0) total = s;
    }
    if (fraction) {
        double *ratio = malloc((size_t)nall * sizeof *ratio);
        if (!ratio) {
            free(allv);
            st = ml_fail(ML_ENOMEM, "PCA: out of memory");
            goto done;
        }
        for (int64_t i = 0; i < nall; i++) ratio[i] = allv[i] / total;
        k = ml_pca_components_for(ratio, nall, nc);
        free(ratio);
    }

    ml_pca_clear(m);
    m->n_samples = n;
    m->n_features = d;
    m->k = k;
    m->all_variance = allv;
    m->n_all = nall;
    m->total_variance = total;
    m->components = malloc((size_t)k * (size_t)d * sizeof *m->components);
    m->explained_variance = malloc((size_t)k * sizeof(double));
    m->explained_variance_ratio = malloc((size_t)k * sizeof(double));
    m->mean = meanf;
    meanf = NULL;
    if (!m->components || !m->explained_variance || !m->explained_variance_ratio) {
        ml_pca_clear(m);
        st = ml_fail(ML_ENOMEM, "PCA: out of memory");
        goto done;
    }
    for (int64_t c = 0; c < k; c++) {
        int64_t col = keig - 1 - c;
        /* sign: the entry of largest magnitude is positive */
        int64_t arg = 0;
        double best = -1;
        for (int64_t j = 0; j < d; j++) {
            double a = fabs(z[j * keig + col]);
            if (a > best) {
                best = a;
                arg = j;
            }
        }
        double s = z[arg * keig + col] < 0 ? -1.0 : 1.0;
        for (int64_t j = 0; j < d; j++) m->components[c * d + j] = (float)(s * z[j * keig + col]);
        m->explained_variance[c] = allv[c];
        m->explained_variance_ratio[c] = allv[c] / total;
    }
    /* noise variance: mean of the eigenvalues left out (scikit-learn) */
    m->noise_variance = 0;
    if (k < kmax) {
        double s = total;
        for (int64_t c = 0; c < k; c++) s -= allv[c];
        m->noise_variance = s > 0 ? s / (double)(kmax - k) : 0;
        if (keig == d) { /* exact, from the eigenvalues themselves */
            s = 0;
            for (int64_t c = k; c < kmax; c++) s += allv[c];
            m->noise_variance = s / (double)(kmax - k);
        }
    }
    m->base.n_features_in = d;
    m->base.fitted = 1;
    st = ml_progress_update(p, "pca", nblocks + 1, nblocks + 1);
    if (st == ML_ECANCELLED) st = ML_OK; /* finished anyway: keep the result */

done:
    free(mean);
    free(part);
    free(meanf);
    free(cov);
    free(acc);
    free(block);
    free(bcov);
    free(w);
    free(z);
    free(covf);
    free(isuppz);
    ml_tensor_free(X2);
    return st;
}

ml_status ml_pca_fit(ml_pca *m, const ml_tensor *X, const ml_progress *p)
{
    if (!X) return ml_fail(ML_EINVAL, "X: missing");
    if (ml_tensor_has_nonfinite(X)) return ml_fail(ML_EINVAL, "X: contains NaN or infinite values");
    return pca_fit_impl(m, X, p);
}

static ml_status check_fitted(const ml_pca *m)
{
    if (!m->base.fitted || !m->components)
        return ml_fail(ML_ESTATE, "PCA: not fitted yet; call fit first");
    return ML_OK;
}

ml_status ml_pca_transform(const ml_pca *m, const ml_tensor *X, ml_tensor **out)
{
    *out = NULL;
    ml_status st = check_fitted(m);
    if (st) return st;
    ml_tensor *X2 = ml_tensor_flatten_rows(X);
    if (!X2) return ML_ENOMEM;
    int64_t n = X2->shape[0], d = X2->shape[1], k = m->k;
    if (d != m->n_features) {
        ml_tensor_free(X2);
        return ml_fail(ML_EINVAL, "X: has %lld features, but PCA was fitted with %lld", (long long)d,
                       (long long)m->n_features);
    }
    ml_tensor *Z = ml_tensor_empty(2, (int64_t[]){n, k});
    float *shift = malloc((size_t)(k ? k : 1) * sizeof *shift);
    if (!Z || !shift) {
        ml_tensor_free(X2);
        ml_tensor_free(Z);
        free(shift);
        return ml_fail(ML_ENOMEM, "PCA.transform: out of memory");
    }
    for (int64_t c = 0; c < k; c++) {
        double s = 0;
        for (int64_t j = 0; j < d; j++) s += (double)m->components[c * d + j] * m->mean[j];
        shift[c] = (float)s;
    }
    ml_gemm_rows(1, n, k, d, 1.0f, X2->data, d, m->components, d, 0.0f, Z->data, k);
    for (int64_t i = 0; i < n; i++) {
        float *z = Z->data + i * k;
        for (int64_t c = 0; c < k; c++) z[c] -= shift[c];
        if (m->whiten)
            for (int64_t c = 0; c < k; c++)
                z[c] = m->explained_variance[c] > 0 ? (float)(z[c] / sqrt(m->explained_variance[c])) : 0.0f;
    }
    free(shift);
    ml_tensor_free(X2);
    *out = Z;
    return ML_OK;
}

ml_status ml_pca_inverse_transform(const ml_pca *m, const ml_tensor *Z, ml_tensor **out)
{
    *out = NULL;
    ml_status st = check_fitted(m);
    if (st) return st;
    ml_tensor *Z2 = ml_tensor_flatten_rows(Z);
    if (!Z2) return ML_ENOMEM;
    int64_t n = Z2->shape[0], k = Z2->shape[1], d = m->n_features;
    if (k != m->k) {
        ml_tensor_free(Z2);
        return ml_fail(ML_EINVAL, "Z: has %lld columns, but PCA kept %lld components", (long long)k,
                       (long long)m->k);
    }
    ml_tensor *Xr = ml_tensor_empty(2, (int64_t[]){n, d});
    if (!Xr) {
        ml_tensor_free(Z2);
        return ml_fail(ML_ENOMEM, "PCA.inverse_transform: out of memory");
    }
    const float *src = Z2->data;
    ml_tensor *scaled = NULL;
    if (m->whiten) {
        scaled = ml_tensor_clone(Z2);
        if (!scaled) {
            ml_tensor_free(Z2);
            ml_tensor_free(Xr);
            return ML_ENOMEM;
        }
        for (int64_t i = 0; i < n; i++)
            for (int64_t c = 0; c < k; c++)
                scaled->data[i * k + c] = (float)(scaled->data[i * k + c] * sqrt(m->explained_variance[c]));
        src = scaled->data;
    }
    for (int64_t i = 0; i < n; i++) memcpy(Xr->data + i * d, m->mean, (size_t)d * sizeof(float));
    ml_gemm_rows(0, n, d, k, 1.0f, src, k, m->components, d, 1.0f, Xr->data, d);
    ml_tensor_free(scaled);
    ml_tensor_free(Z2);
    *out = Xr;
    return ML_OK;
}

/* ---- the estimator class ---- */

static void cls_init(ml_estimator *e) { ml_pca_init((ml_pca *)e); }
static void cls_destroy(ml_estimator *e) { ml_pca_clear((ml_pca *)e); }
static void cls_reset(ml_estimator *e) { ml_pca_clear((ml_pca *)e); }

static ml_status cls_set_param(ml_estimator *e, const char *name, const ml_value *v)
{
    ml_pca *m = (ml_pca *)e;
    if (!strcmp(name, "n_components")) {
        if (v->kind == ML_VAL_NONE) {
            m->n_components = 0;
            return ML_OK;
        }
        if (v->kind != ML_VAL_NUM)
            return ml_fail(ML_EINVAL, "PCA: n_components: expected a number (an integer or a fraction in (0, 1)) or nil");
        return ml_pca_set_n_components(m, v->num);
    }
    if (!strcmp(name, "whiten")) {
        if (v->kind != ML_VAL_BOOL && v->kind != ML_VAL_NUM)
            return ml_fail(ML_EINVAL, "PCA: whiten: expected a boolean");
        m->whiten = v->num != 0;
        return ML_OK;
    }
    return ml_fail(ML_EINVAL, "PCA: unknown parameter '%s'", name);
}

static ml_status cls_get_param(const ml_estimator *e, const char *name, ml_value *v)
{
    const ml_pca *m = (const ml_pca *)e;
    if (!strcmp(name, "n_components")) {
        *v = m->n_components == 0 ? ml_none() : ml_num(m->n_components);
        return ML_OK;
    }
    if (!strcmp(name, "whiten")) {
        *v = ml_bool(m->whiten);
        return ML_OK;
    }
    return ml_fail(ML_EINVAL, "PCA: unknown parameter '%s'", name);
}

static ml_status cls_fit(ml_estimator *e, const ml_tensor *X, const ml_tensor *y, const ml_progress *p)
{
    (void)y;
    return pca_fit_impl((ml_pca *)e, X, p);
}

static ml_status cls_transform(const ml_estimator *e, const ml_tensor *X, ml_tensor **out)
{
    return ml_pca_transform((const ml_pca *)e, X, out);
}

static ml_status cls_inverse(const ml_estimator *e, const ml_tensor *X, ml_tensor **out)
{
    return ml_pca_inverse_transform((const ml_pca *)e, X, out);
}

static ml_tensor *vec_tensor(const double *v, int64_t n)
{
    ml_tensor *t = ml_tensor_empty(1, (int64_t[]){n});
    if (t)
        for (int64_t i = 0; i < n; i++) t->data[i] = (float)v[i];
    return t;
}

static ml_status tensor_value(ml_tensor *t, ml_value *v)
{
    if (!t) return ml_fail(ML_ENOMEM, "PCA: out of memory");
    v->kind = ML_VAL_TENSOR;
    v->tensor = t;
    return ML_OK;
}

static ml_status cls_get_attr(const ml_estimator *e, const char *name, ml_value *v)
{
    const ml_pca *m = (const ml_pca *)e;
    ml_status st = check_fitted(m);
    if (st) return st;
    int64_t k = m->k, d = m->n_features;
    memset(v, 0, sizeof *v);
    if (!strcmp(name, "components")) {
        ml_tensor *t = ml_tensor_empty(2, (int64_t[]){k, d});
        if (t) memcpy(t->data, m->components, (size_t)(k * d) * sizeof(float));
        return tensor_value(t, v);
    }
    if (!strcmp(name, "mean")) {
        ml_tensor *t = ml_tensor_empty(1, (int64_t[]){d});
        if (t) memcpy(t->data, m->mean, (size_t)d * sizeof(float));
        return tensor_value(t, v);
    }
    if (!strcmp(name, "explained_variance")) return tensor_value(vec_tensor(m->explained_variance, k), v);
    if (!strcmp(name, "explained_variance_ratio"))
        return tensor_value(vec_tensor(m->explained_variance_ratio, k), v);
    if (!strcmp(name, "cumulative_variance_ratio") || !strcmp(name, "singular_values") ||
        !strcmp(name, "all_explained_variance_ratio")) {
        int all = name[0] == 'a';
        int64_t n = all ? m->n_all : k;
        ml_tensor *t = ml_tensor_empty(1, (int64_t[]){n});
        if (t) {
            double c = 0;
            for (int64_t i = 0; i < n; i++) {
                if (name[0] == 's')
                    t->data[i] = (float)sqrt(m->explained_variance[i] * (double)(m->n_samples - 1));
                else if (all)
                    t->data[i] = (float)(m->all_variance[i] / m->total_variance);
                else {
                    c += m->explained_variance_ratio[i];
                    t->data[i] = (float)c;
                }
            }
        }
        return tensor_value(t, v);
    }
    if (!strcmp(name, "n_components_")) *v = ml_num((double)k);
    else if (!strcmp(name, "n_samples")) *v = ml_num((double)m->n_samples);
    else if (!strcmp(name, "n_features")) *v = ml_num((double)d);
    else if (!strcmp(name, "noise_variance")) *v = ml_num(m->noise_variance);
    else if (!strcmp(name, "total_variance")) *v = ml_num(m->total_variance);
    else return ml_fail(ML_EINVAL, "PCA: no attribute '%s'", name);
    return ML_OK;
}

static ml_status cls_save(const ml_estimator *e, ml_mfile_w *w)
{
    const ml_pca *m = (const ml_pca *)e;
    ml_status st;
    int64_t k = m->k, d = m->n_features;
    if ((st = ml_mfile_put_i64(w, "n_samples", m->n_samples)) || (st = ml_mfile_put_i64(w, "n_features", d)) ||
        (st = ml_mfile_put_i64(w, "k", k)) || (st = ml_mfile_put_i64(w, "n_all", m->n_all)) ||
        (st = ml_mfile_put_f64(w, "total_variance", m->total_variance)) ||
        (st = ml_mfile_put_f64(w, "noise_variance", m->noise_variance)) ||
        (st = ml_mfile_put(w, "components", m->components, (size_t)(k * d) * sizeof(float))) ||
        (st = ml_mfile_put(w, "mean", m->mean, (size_t)d * sizeof(float))) ||
        (st = ml_mfile_put(w, "explained_variance", m->explained_variance, (size_t)k * sizeof(double))) ||
        (st = ml_mfile_put(w, "all_variance", m->all_variance, (size_t)m->n_all * sizeof(double))))
        return st;
    return ML_OK;
}

static ml_status get_blob(const ml_mfile *r, const char *name, void **dst, size_t want)
{
    size_t n = 0;
    const void *src = ml_mfile_get(r, name, &n);
    if (!src || n != want)
        return ml_fail(ML_EFORMAT, "%s: section '%s' is missing or has the wrong size", ml_mfile_path(r), name);
    *dst = malloc(want ? want : 1);
    if (!*dst) return ml_fail(ML_ENOMEM, "PCA: out of memory");
    memcpy(*dst, src, want);
    return ML_OK;
}

static ml_status cls_load(ml_estimator *e, const ml_mfile *r)
{
    ml_pca *m = (ml_pca *)e;
    ml_pca_clear(m);
    int64_t ns, d, k, nall;
    ml_status st;
    if ((st = ml_mfile_get_i64(r, "n_samples", &ns)) || (st = ml_mfile_get_i64(r, "n_features", &d)) ||
        (st = ml_mfile_get_i64(r, "k", &k)) || (st = ml_mfile_get_i64(r, "n_all", &nall)) ||
        (st = ml_mfile_get_f64(r, "total_variance", &m->total_variance)) ||
        (st = ml_mfile_get_f64(r, "noise_variance", &m->noise_variance)))
        return st;
    if (d < 1 || k < 1 || k > d || nall < k || nall > d || ns < 2 || d > (int64_t)1 << 24)
        return ml_fail(ML_EFORMAT, "%s: PCA sizes are inconsistent", ml_mfile_path(r));
    void *comp = NULL, *mean = NULL, *ev = NULL, *all = NULL;
    if ((st = get_blob(r, "components", &comp, (size_t)(k * d) * sizeof(float))) ||
        (st = get_blob(r, "mean", &mean, (size_t)d * sizeof(float))) ||
        (st = get_blob(r, "explained_variance", &ev, (size_t)k * sizeof(double))) ||
        (st = get_blob(r, "all_variance", &all, (size_t)nall * sizeof(double)))) {
        free(comp);
        free(mean);
        free(ev);
        free(all);
        return st;
    }
    m->components = comp;
    m->mean = mean;
    m->explained_variance = ev;
    m->all_variance = all;
    m->explained_variance_ratio = malloc((size_t)k * sizeof(double));
    if (!m->explained_variance_ratio) {
        ml_pca_clear(m);
        return ml_fail(ML_ENOMEM, "PCA: out of memory");
    }
    for (int64_t c = 0; c < k; c++) m->explained_variance_ratio[c] = m->explained_variance[c] / m->total_variance;
    m->n_samples = ns;
    m->n_features = d;
    m->k = k;
    m->n_all = nall;
    m->base.n_features_in = d;
    m->base.fitted = 1;
    return ML_OK;
}

const ml_estimator_class ml_pca_class = {
    .name = "PCA",
    .type = ML_TRANSFORMER,
    .size = sizeof(ml_pca),
    .params = pca_params,
    .attrs = pca_attrs,
    .init = cls_init,
    .destroy = cls_destroy,
    .reset = cls_reset,
    .set_param = cls_set_param,
    .get_param = cls_get_param,
    .fit = cls_fit,
    .transform = cls_transform,
    .inverse_transform = cls_inverse,
    .get_attr = cls_get_attr,
    .save = cls_save,
    .load = cls_load,
};
