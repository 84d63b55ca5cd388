/* mnistlab models: Gaussian naive Bayes (scikit-learn's GaussianNB).
 *
 * Fit: per class, the mean and the variance (ddof 0) of every feature,
 * from sums of (x - the class's first row) and their squares: float over at
 * most 32 rows, then double, over blocks of rows in parallel; every variance gets epsilon = var_smoothing times
 * the largest variance of a feature over the whole data (scikit-learn's
 * rule).  Priors are the class frequencies unless `priors` is given.
 * Predict: the joint log-likelihood
 *   log prior_c - 1/2 sum_j log(2 pi var_cj) - 1/2 sum_j (x_j - mean_cj)^2 / var_cj
 * in double; predict_proba normalises it with log-sum-exp.  A label that
 * does not occur in y (classes are 0..max label) gets prior 0 and is never
 * predicted. */
#include "models/naive_bayes.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/blas.h"
#include "core/parallel.h"

typedef struct gnb {
    ml_estimator base;
    double var_smoothing;
    ml_tensor *priors; /* NULL = from the data */
    /* fitted */
    double *theta, *var;  /* C x d */
    double *log_prior;    /* C */
    double *class_count;  /* C */
    double *norm;         /* C: -1/2 sum log(2 pi var) */
    double epsilon;
} gnb;

static const char *const gnb_params[] = {"var_smoothing", "priors", NULL};
static const char *const gnb_attrs[] = {"theta", "var", "class_prior", "class_count", "epsilon", "classes", NULL};

static void gnb_init(ml_estimator *e) { ((gnb *)e)->var_smoothing = 1e-9; }

static void gnb_reset(ml_estimator *e)
{
    gnb *m = (gnb *)e;
    free(m->theta), free(m->var), free(m->log_prior), free(m->class_count), free(m->norm);
    m->theta = m->var = m->log_prior = m->class_count = m->norm = NULL;
}

static void gnb_destroy(ml_estimator *e)
{
    gnb_reset(e);
    ml_tensor_free(((gnb *)e)->priors);
    ((gnb *)e)->priors = NULL;
}

static ml_status gnb_set(ml_estimator *e, const char *name, const ml_value *v)
{
    gnb *m = (gnb *)e;
    if (!strcmp(name, "var_smoothing")) return ml_param_number(e, name, v, 0, 1e300, 0, &m->var_smoothing);
    if (!strcmp(name, "priors")) {
        if (v->kind == ML_VAL_NONE) {
            ml_tensor_free(m->priors);
            m->priors = NULL;
            return ML_OK;
        }
        if (v->kind != ML_VAL_TENSOR)
            return ml_fail(ML_EINVAL, "%s: priors must be nil or a list of class probabilities", e->cls->name);
        int64_t k = ml_tensor_numel(v->tensor);
        double s = 0;
        for (int64_t i = 0; i < k; i++) {
            float p = v->tensor->data[i];
            if (!(p >= 0) || !isfinite(p))
                return ml_fail(ML_EINVAL, "%s: priors must be non-negative, got %g at position %lld", e->cls->name,
                               (double)p, (long long)i + 1);
            s += p;
        }
        if (k == 0 || fabs(s - 1) > 1e-5)
            return ml_fail(ML_EINVAL, "%s: priors must sum to 1, got %g", e->cls->name, s);
        ml_tensor *c = ml_tensor_clone(v->tensor);
        if (!c) return ML_ENOMEM;
        ml_tensor_free(m->priors);
        m->priors = c;
        return ML_OK;
    }
    return ml_fail(ML_EINVAL, "%s: unknown parameter '%s'", e->cls->name, name);
}

static ml_status gnb_get(const ml_estimator *e, const char *name, ml_value *v)
{
    const gnb *m = (const gnb *)e;
    if (!strcmp(name, "var_smoothing")) *v = ml_num(m->var_smoothing);
    else if (!strcmp(name, "priors")) {
        if (!m->priors) *v = ml_none();
        else {
            *v = ml_none();
            v->kind = ML_VAL_TENSOR;
            v->tensor = ml_tensor_clone(m->priors);
            if (!v->tensor) return ML_ENOMEM;
        }
    } else
        return ml_fail(ML_EINVAL, "%s: unknown parameter '%s'", e->cls->name, name);
    return ML_OK;
}

/* ---- fit: per-worker sums over row blocks ---- */
typedef struct fit_ctx {
    const float *X;
    const float *y;
    int64_t d;
    int C;
    const float *shift; /* C x d: the first row of each class */
    double **s1, **s2; /* per block: C x d */
    int64_t **cnt;     /* per block: C */
    int64_t n, nblocks, next;
    int failed;
} fit_ctx;

/* Built for AVX2 + FMA where the CPU has them (ifunc), SSE2 otherwise. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define NB_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define NB_CLONES
#endif

typedef double v4d __attribute__((vector_size(32)));

typedef float v8f __attribute__((vector_size(32)));

/* fa += x - shift, fq += (x - shift)^2 in float, eight lanes at a time. */
NB_CLONES
static void accumulate_row(const float *x, const float *shift, float *fa, float *fq, int64_t d)
{
    int64_t j = 0;
    for (; j + 8 <= d; j += 8) {
        v8f vx, vs, va, vq;
        memcpy(&vx, x + j, sizeof vx), memcpy(&vs, shift + j, sizeof vs);
        memcpy(&va, fa + j, sizeof va), memcpy(&vq, fq + j, sizeof vq);
        v8f t = vx - vs;
        va += t;
        vq += t * t;
        memcpy(fa + j, &va, sizeof va), memcpy(fq + j, &vq, sizeof vq);
    }
    for (; j < d; j++) {
        float t = x[j] - shift[j];
        fa[j] += t;
        fq[j] += t * t;
    }
}

/* Float partial sums over at most FLUSH_ROWS rows of a class, then added
 * into the double totals: fast, and as accurate as summing in double for
 * the variances that matter here. */
#define FLUSH_ROWS 32

static void flush(float *fa, float *fq, double *a, double *q, int64_t d)
{
    for (int64_t j = 0; j < d; j++) {
        a[j] += fa[j], q[j] += fq[j];
        fa[j] = fq[j] = 0;
    }
}

/* Rows are summed in blocks of FIT_BLOCK, each into its own slot, and the
 * slots are added in order: threads take blocks as they come (a thread the
 * system holds back does not hold up the fit) and the sums do not depend on
 * which thread did which block. */
#define FIT_BLOCK 4096

static void fit_block(fit_ctx *f, int64_t blk, int64_t n, float *fa, float *fq, int *pending)
{
    int64_t d = f->d;
    int C = f->C;
    double *s1 = f->s1[blk], *s2 = f->s2[blk];
    int64_t b = blk * FIT_BLOCK, e = b + FIT_BLOCK < n ? b + FIT_BLOCK : n;
    for (int64_t i = b; i < e; i++) {
        int c = (int)f->y[i];
        int64_t o = (int64_t)c * d;
        accumulate_row(f->X + i * d, f->shift + o, fa + o, fq + o, d);
        f->cnt[blk][c]++;
        if (++pending[c] == FLUSH_ROWS) {
            flush(fa + o, fq + o, s1 + o, s2 + o, d);
            pending[c] = 0;
        }
    }
    for (int c = 0; c < C; c++)
        if (pending[c]) {
            flush(fa + (int64_t)c * d, fq + (int64_t)c * d, s1 + (int64_t)c * d, s2 + (int64_t)c * d, d);
            pending[c] = 0;
        }
}

static void fit_task(void *ctx, int64_t b, int64_t e, int w)
{
    (void)b, (void)e, (void)w;
    fit_ctx *f = ctx;
    float *fa = calloc((size_t)f->C * (size_t)f->d * 2, sizeof *fa);
    int *pending = calloc((size_t)f->C, sizeof *pending);
    if (!fa || !pending) {
        free(fa), free(pending);
        __atomic_store_n(&f->failed, 1, __ATOMIC_RELAXED);
        return;
    }
    for (;;) {
        int64_t blk = __atomic_fetch_add(&f->next, 1, __ATOMIC_RELAXED);
        if (blk >= f->nblocks) break;
        fit_block(f, blk, f->n, fa, fa + (size_t)f->C * (size_t)f->d, pending);
    }
    free(fa), free(pending);
}

static ml_status gnb_fit(ml_estimator *e, const ml_tensor *X, const ml_tensor *y, const ml_progress *p)
{
    gnb *m = (gnb *)e;
    gnb_reset(e);
    int64_t n = X->shape[0], d = X->shape[1];
    int C = e->n_classes;
    if (m->priors && ml_tensor_numel(m->priors) != C)
        return ml_fail(ML_EINVAL, "%s: priors has %lld entries but y has %d classes", e->cls->name,
                       (long long)ml_tensor_numel(m->priors), C);
    int T = ml_get_threads();
    if (T < 1) T = 1;
    int64_t NBK = (n + FIT_BLOCK - 1) / FIT_BLOCK;
    size_t cd = (size_t)C * (size_t)d;
    fit_ctx f = {X->data, y->data, d, C, X->data, calloc((size_t)NBK, sizeof(double *)),
                 calloc((size_t)NBK, sizeof(double *)), calloc((size_t)NBK, sizeof(int64_t *)), n, NBK, 0, 0};
    m->theta = malloc(sizeof *m->theta * cd);
    m->var = malloc(sizeof *m->var * cd);
    m->log_prior = malloc(sizeof *m->log_prior * (size_t)C);
    m->class_count = malloc(sizeof *m->class_count * (size_t)C);
    m->norm = malloc(sizeof *m->norm * (size_t)C);
    int ok = f.s1 && f.s2 && f.cnt && m->theta && m->var && m->log_prior && m->class_count && m->norm;
    for (int64_t w = 0; ok && w < NBK; w++) {
        f.s1[w] = calloc(cd, sizeof **f.s1);
        f.s2[w] = calloc(cd, sizeof **f.s2);
        f.cnt[w] = calloc((size_t)C, sizeof **f.cnt);
        ok = f.s1[w] && f.s2[w] && f.cnt[w];
    }
    ml_status st = ml_progress_update(p, "GaussianNB", 0, n);
    float *shift = NULL;
    if (st) goto done;
    if (!ok) {
        st = ml_fail(ML_ENOMEM, "%s: out of memory", e->cls->name);
        goto done;
    }
    /* shift each class by its first row: constant features sum exactly to 0 */
    shift = calloc(cd, sizeof *shift);
    if (!shift) {
        st = ml_fail(ML_ENOMEM, "%s: out of memory", e->cls->name);
        goto done;
    }
    {
        int left = C;
        char *seen = calloc((size_t)C, 1);
        for (int64_t i = 0; seen && i < n && left > 0; i++) {
            int c = (int)y->data[i];
            if (seen[c]) continue;
            seen[c] = 1, left--;
            memcpy(shift + (int64_t)c * d, X->data + i * d, sizeof *shift * (size_t)d);
        }
        free(seen);
    }
    f.shift = shift;
    ml_parallel_for(T, 1, fit_task, &f);
    if (f.failed) {
        st = ml_fail(ML_ENOMEM, "%s: out of memory", e->cls->name);
        goto done;
    }
    for (int64_t w = 1; w < NBK; w++) {
        for (size_t k = 0; k < cd; k++) f.s1[0][k] += f.s1[w][k], f.s2[0][k] += f.s2[w][k];
        for (int c = 0; c < C; c++) f.cnt[0][c] += f.cnt[w][c];
    }
    /* X is not scanned for NaN and infinities before this fit (the class sets
     * fit_checks_finite): any such value makes its class's sums non-finite,
     * so the sums tell, and only then is X scanned.  Finite sums of squares
     * can also overflow in float for finite values beyond ~1e19: redo those
     * sums in double, as a slow path for data no image has. */
    {
        int finite = 1;
        for (size_t k = 0; k < cd && finite; k++) finite = isfinite(f.s1[0][k]) && isfinite(f.s2[0][k]);
        if (!finite) {
            if (ml_tensor_has_nonfinite(X)) {
                st = ml_estimator_fail_nonfinite(e);
                goto done;
            }
            memset(f.s1[0], 0, cd * sizeof **f.s1);
            memset(f.s2[0], 0, cd * sizeof **f.s2);
            for (int64_t i = 0; i < n; i++) {
                int64_t o = (int64_t)y->data[i] * d;
                const float *x = X->data + i * d;
                for (int64_t j = 0; j < d; j++) {
                    double t = (double)x[j] - (double)shift[o + j];
                    f.s1[0][o + j] += t, f.s2[0][o + j] += t * t;
                }
            }
        }
    }
    /* variance of each feature over all rows, for epsilon: the classes'
     * means and variances combined */
    double maxvar = 0;
    for (int64_t j = 0; j < d; j++) {
        double tot = 0;
        for (int c = 0; c < C; c++) {
            int64_t k = (int64_t)c * d + j;
            tot += f.s1[0][k] + (double)f.cnt[0][c] * (double)shift[k];
        }
        double mu = tot / (double)n, v = 0;
        for (int c = 0; c < C; c++) {
            int64_t k = (int64_t)c * d + j;
            double nc = (double)f.cnt[0][c];
            if (nc == 0) continue;
            double mc = f.s1[0][k] / nc, vc = f.s2[0][k] / nc - mc * mc;
            double dm = mc + (double)shift[k] - mu;
            v += nc * ((vc > 0 ? vc : 0) + dm * dm);
        }
        v /= (double)n;
        if (v > maxvar) maxvar = v;
    }
    m->epsilon = m->var_smoothing * maxvar;
    for (int c = 0; c < C; c++) {
        double nc = (double)f.cnt[0][c];
        m->class_count[c] = nc;
        double norm = 0;
        for (int64_t j = 0; j < d; j++) {
            int64_t k = (int64_t)c * d + j;
            double mu = nc > 0 ? f.s1[0][k] / nc : 0, v = nc > 0 ? f.s2[0][k] / nc - mu * mu : 0;
            if (v < 0) v = 0;
            m->theta[k] = mu + (double)shift[k];
            m->var[k] = v + m->epsilon;
            norm -= 0.5 * log(2 * M_PI * m->var[k]);
        }
        m->norm[c] = norm;
        double prior = m->priors ? (double)m->priors->data[c] : nc / (double)n;
        m->log_prior[c] = prior > 0 ? log(prior) : -INFINITY;
    }
    for (int c = 0; c < C; c++)
        for (int64_t j = 0; j < d; j++)
            if (!(m->var[(int64_t)c * d + j] > 0) && f.cnt[0][c] > 0) {
                st = ml_fail(ML_EINVAL,
                             "%s: feature %lld has zero variance in class %d; raise var_smoothing above 0",
                             e->cls->name, (long long)j + 1, c);
                goto done;
            }
done:
    free(shift);
    for (int64_t w = 0; w < NBK; w++) {
        if (f.s1) free(f.s1[w]);
        if (f.s2) free(f.s2[w]);
        if (f.cnt) free(f.cnt[w]);
    }
    free(f.s1), free(f.s2), free(f.cnt);
    if (!st) st = ml_progress_update(p, "GaussianNB", n, n);
    if (st) gnb_reset(e);
    return st;
}

/* ---- predict ---- */
typedef struct pred_ctx {
    const gnb *m;
    const float *X;
    int64_t d;
    int C;
    double *inv; /* C x d: 1 / var */
    float *out;
    int proba;
    int failed;
    int64_t n, next; /* rows, and the next block of PRED_BLOCK rows to take */
} pred_ctx;

#define PRED_BLOCK 128

/* sum_j (x_j - mu_j)^2 * iv_j in double, four lanes at a time. */
NB_CLONES
static double weighted_sq(const double *x, const double *mu, const double *iv, int64_t d)
{
    v4d acc0 = {0, 0, 0, 0}, acc1 = {0, 0, 0, 0};
    int64_t j = 0;
    for (; j + 8 <= d; j += 8) {
        v4d a0, m0, w0, a1, m1, w1;
        memcpy(&a0, x + j, sizeof a0), memcpy(&m0, mu + j, sizeof m0), memcpy(&w0, iv + j, sizeof w0);
        memcpy(&a1, x + j + 4, sizeof a1), memcpy(&m1, mu + j + 4, sizeof m1), memcpy(&w1, iv + j + 4, sizeof w1);
        v4d t0 = a0 - m0, t1 = a1 - m1;
        acc0 += t0 * t0 * w0;
        acc1 += t1 * t1 * w1;
    }
    acc0 += acc1;
    double s = acc0[0] + acc0[1] + acc0[2] + acc0[3];
    for (; j < d; j++) {
        double t = x[j] - mu[j];
        s += t * t * iv[j];
    }
    return s;
}

static void pred_rows(pred_ctx *p, int64_t b, int64_t e, double *J, double *xd);

/* Rows are independent: threads take blocks of rows as they come. */
static void pred_task(void *ctx, int64_t b0, int64_t e0, int w)
{
    (void)b0, (void)e0, (void)w;
    pred_ctx *p = ctx;
    int C = p->C;
    int64_t d = p->d;
    double jll[256];
    double *J = C <= 256 ? jll : malloc(sizeof *J * (size_t)C);
    double *xd = malloc(sizeof *xd * (size_t)d);
    if (!J || !xd) {
        if (J != jll) free(J);
        free(xd);
        __atomic_store_n(&p->failed, 1, __ATOMIC_RELAXED);
        return;
    }
    for (;;) {
        int64_t b = __atomic_fetch_add(&p->next, PRED_BLOCK, __ATOMIC_RELAXED);
        if (b >= p->n) break;
        pred_rows(p, b, b + PRED_BLOCK < p->n ? b + PRED_BLOCK : p->n, J, xd);
    }
    if (J != jll) free(J);
    free(xd);
}

static void pred_rows(pred_ctx *p, int64_t b, int64_t e, double *J, double *xd)
{
    int C = p->C;
    int64_t d = p->d;
    for (int64_t i = b; i < e; i++) {
        const float *x = p->X + i * d;
        for (int64_t j = 0; j < d; j++) xd[j] = x[j];
        for (int c = 0; c < C; c++) {
            double s = weighted_sq(xd, p->m->theta + (int64_t)c * d, p->inv + (int64_t)c * d, d);
            J[c] = p->m->log_prior[c] + p->m->norm[c] - 0.5 * s;
        }
        int best = 0;
        for (int c = 1; c < C; c++)
            if (J[c] > J[best]) best = c;
        if (!p->proba) {
            p->out[i] = (float)best;
            continue;
        }
        double mx = J[best], z = 0;
        for (int c = 0; c < C; c++) z += exp(J[c] - mx);
        double lz = mx + log(z);
        for (int c = 0; c < C; c++) p->out[i * C + c] = (float)exp(J[c] - lz);
    }
}

static ml_status gnb_apply(const ml_estimator *e, const ml_tensor *X, ml_tensor **out, int proba)
{
    const gnb *m = (const gnb *)e;
    int C = e->n_classes;
    int64_t n = X->shape[0], d = X->shape[1];
    size_t cd = (size_t)C * (size_t)d;
    double *inv = malloc(sizeof *inv * cd);
    *out = proba ? ml_tensor_new2(n, C) : ml_tensor_new1(n);
    if (!inv || !*out) {
        free(inv);
        ml_tensor_free(*out);
        *out = NULL;
        return ml_fail(ML_ENOMEM, "%s: out of memory", e->cls->name);
    }
    for (size_t k = 0; k < cd; k++) inv[k] = 1.0 / m->var[k];
    pred_ctx p = {m, X->data, d, C, inv, (*out)->data, proba, 0, n, 0};
    int T = ml_get_threads();
    ml_parallel_for(T < 1 ? 1 : T, 1, pred_task, &p);
    free(inv);
    if (p.failed) {
        ml_tensor_free(*out);
        *out = NULL;
        return ml_fail(ML_ENOMEM, "%s: out of memory", e->cls->name);
    }
    return ML_OK;
}

static ml_status gnb_predict(const ml_estimator *e, const ml_tensor *X, ml_tensor **out)
{
    return gnb_apply(e, X, out, 0);
}

static ml_status gnb_predict_proba(const ml_estimator *e, const ml_tensor *X, ml_tensor **out)
{
    return gnb_apply(e, X, out, 1);
}

static ml_tensor *from_doubles(const double *a, int64_t rows, int64_t cols, int is_log)
{
    ml_tensor *t = cols ? ml_tensor_new2(rows, cols) : ml_tensor_new1(rows);
    if (!t) return NULL;
    int64_t n = rows * (cols ? cols : 1);
    for (int64_t i = 0; i < n; i++) t->data[i] = (float)(is_log ? exp(a[i]) : a[i]);
    return t;
}

static ml_status gnb_attr(const ml_estimator *e, const char *name, ml_value *v)
{
    const gnb *m = (const gnb *)e;
    int C = e->n_classes;
    int64_t d = e->n_features_in;
    ml_tensor *t = NULL;
    if (!strcmp(name, "epsilon")) {
        *v = ml_num(m->epsilon);
        return ML_OK;
    }
    if (!strcmp(name, "theta")) t = from_doubles(m->theta, C, d, 0);
    else if (!strcmp(name, "var")) t = from_doubles(m->var, C, d, 0);
    else if (!strcmp(name, "class_prior")) t = from_doubles(m->log_prior, C, 0, 1);
    else if (!strcmp(name, "class_count")) t = from_doubles(m->class_count, C, 0, 0);
    else if (!strcmp(name, "classes")) {
        t = ml_tensor_new1(C);
        for (int c = 0; t && c < C; c++) t->data[c] = (float)c;
    } else
        return ml_fail(ML_EINVAL, "%s: no attribute '%s'", e->cls->name, name);
    if (!t) return ML_ENOMEM;
    v->kind = ML_VAL_TENSOR;
    v->tensor = t;
    return ML_OK;
}

static ml_status gnb_save(const ml_estimator *e, ml_mfile_w *w)
{
    const gnb *m = (const gnb *)e;
    size_t C = (size_t)e->n_classes, cd = C * (size_t)e->n_features_in;
    ml_status st = ml_mfile_put(w, "gnb.theta", m->theta, cd * 8);
    if (!st) st = ml_mfile_put(w, "gnb.var", m->var, cd * 8);
    if (!st) st = ml_mfile_put(w, "gnb.log_prior", m->log_prior, C * 8);
    if (!st) st = ml_mfile_put(w, "gnb.class_count", m->class_count, C * 8);
    if (!st) st = ml_mfile_put_f64(w, "gnb.epsilon", m->epsilon);
    return st;
}

static ml_status gnb_load(ml_estimator *e, const ml_mfile *r)
{
    gnb *m = (gnb *)e;
    size_t C = (size_t)e->n_classes, cd = C * (size_t)e->n_features_in;
    ml_status st;
    if ((st = ml_mfile_get_f64s(r, "gnb.theta", cd, &m->theta)) || (st = ml_mfile_get_f64s(r, "gnb.var", cd, &m->var)) ||
        (st = ml_mfile_get_f64s(r, "gnb.log_prior", C, &m->log_prior)) ||
        (st = ml_mfile_get_f64s(r, "gnb.class_count", C, &m->class_count)) ||
        (st = ml_mfile_get_f64(r, "gnb.epsilon", &m->epsilon)))
        return st;
    m->norm = malloc(sizeof *m->norm * C);
    if (!m->norm) return ML_ENOMEM;
    for (size_t c = 0; c < C; c++) {
        double norm = 0;
        for (int64_t j = 0; j < e->n_features_in; j++) {
            double v = m->var[c * (size_t)e->n_features_in + (size_t)j];
            if (!(v > 0) || !isfinite(v))
                return ml_fail(ML_EFORMAT, "%s: a variance is not positive", ml_mfile_path(r));
            norm -= 0.5 * log(2 * M_PI * v);
        }
        m->norm[c] = norm;
    }
    return ML_OK;
}

const ml_estimator_class ml_gaussian_nb_class = {
    .name = "GaussianNB",
    .type = ML_CLASSIFIER,
    .size = sizeof(gnb),
    .params = gnb_params,
    .attrs = gnb_attrs,
    .init = gnb_init,
    .destroy = gnb_destroy,
    .reset = gnb_reset,
    .set_param = gnb_set,
    .get_param = gnb_get,
    .fit = gnb_fit,
    .predict = gnb_predict,
    .predict_proba = gnb_predict_proba,
    .get_attr = gnb_attr,
    .save = gnb_save,
    .load = gnb_load,
    .fit_checks_finite = 1,
};
