#include "models/logreg.h"

#include <lbfgs.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/blas.h"
#include "core/parallel.h"
#include "data/split.h"

#define LR_BLOCK 32 /* rows per fused block: X block stays in cache between the two products */
/* The blocks of rows are summed in ML_GROUPS fixed groups, each into its own
 * partial gradient, added in order: the loss and gradient, hence the
 * iterations and the weights, are the same whatever the thread count
 * (partial sums per thread made them depend on it). */
#define LR_GROUPS ML_GROUPS

static const char *const lr_params[] = {"penalty", "C", "max_iter", "tol", "fit_intercept", "solver", NULL};
static const char *const lr_attrs[] = {"coef", "intercept", "n_iter", "converged", "loss", NULL};
static const char *const lr_penalties[] = {"l2", "l1", "none", NULL};
static const char *const lr_solvers[] = {"auto", "lbfgs", "owlqn", NULL};

static void lr_init(ml_estimator *e)
{
    ml_logreg *m = (ml_logreg *)e;
    m->penalty = ML_LOGREG_L2;
    m->solver = ML_LOGREG_AUTO;
    m->C = 1.0;
    m->max_iter = 100;
    m->tol = 1e-4;
    m->fit_intercept = 1;
}

static void lr_reset(ml_estimator *e)
{
    ml_logreg *m = (ml_logreg *)e;
    ml_tensor_free(m->coef);
    ml_tensor_free(m->intercept);
    m->coef = m->intercept = NULL;
    m->n_iter = m->converged = m->n_scores = 0;
    m->loss = 0;
}

static void lr_destroy(ml_estimator *e) { lr_reset(e); }

/* ---- parameters ---- */

static const ml_param_spec lr_specs[] = {
    {"solver", ML_PARAM_CHOICE, offsetof(ml_logreg, solver), 0, 0, lr_solvers, 0},
    {"C", ML_PARAM_REAL, offsetof(ml_logreg, C), 0, INFINITY, NULL, ML_PARAM_ABOVE_LO},
    {"max_iter", ML_PARAM_INT, offsetof(ml_logreg, max_iter), 1, 1e9, NULL, 0},
    {"tol", ML_PARAM_REAL, offsetof(ml_logreg, tol), 0, INFINITY, NULL, 0},
    {"fit_intercept", ML_PARAM_BOOL, offsetof(ml_logreg, fit_intercept), 0, 0, NULL, 0},
    {NULL, 0, 0, 0, 0, NULL, 0},
};

/* penalty: one of the words, or None (as "none") */
static ml_status lr_set_param(ml_estimator *e, const char *name, const ml_value *v)
{
    ml_logreg *m = (ml_logreg *)e;
    if (strcmp(name, "penalty") != 0) return ml_fail(ML_EINVAL, "LogisticRegression: unknown parameter '%s'", name);
    if (v->kind == ML_VAL_NONE) {
        m->penalty = ML_LOGREG_NONE;
        return ML_OK;
    }
    return ml_param_choice(e, name, v, lr_penalties, &m->penalty);
}

static ml_status lr_get_param(const ml_estimator *e, const char *name, ml_value *v)
{
    if (strcmp(name, "penalty") != 0) return ml_fail(ML_EINVAL, "LogisticRegression: unknown parameter '%s'", name);
    *v = ml_str(lr_penalties[((const ml_logreg *)e)->penalty]);
    return ML_OK;
}

/* ---- the fused loss and gradient ---- */

typedef struct lr_ctx {
    const float *X;
    const int32_t *y;
    int64_t n, d;
    int K, M;        /* classes, score columns (1 when K == 2) */
    const float *W;  /* M x d */
    const float *b;  /* M */
    int64_t nvar;    /* M*d + M */
    float *G;        /* per group: M*d + M */
    float *Z;        /* per worker: LR_BLOCK * M */
    double *loss;    /* per group */
} lr_ctx;

/* Softmax over one row of scores z (M columns; with M == 1 the logits are
 * [0, z]) in place into the residual P - onehot(y); returns the row's loss. */
static double row_residual(float *z, int M, int y)
{
    if (M == 1) {
        float t = z[0];
        /* loss = log(1 + e^t) - [y == 1] t, computed stably */
        double l = t > 0 ? t + log1p(exp(-(double)t)) : log1p(exp((double)t));
        if (y == 1) l -= t;
        float s = t >= 0 ? 1.0f / (1.0f + expf(-t)) : expf(t) / (1.0f + expf(t));
        z[0] = s - (y == 1);
        return l;
    }
    float mx = z[0];
    for (int k = 1; k < M; k++) mx = z[k] > mx ? z[k] : mx;
    double zy = (double)z[y] - mx, s = 0;
    for (int k = 0; k < M; k++) {
        float ek = expf(z[k] - mx);
        s += ek;
        z[k] = ek;
    }
    double l = log(s) - zy;
    float inv = (float)(1.0 / s);
    for (int k = 0; k < M; k++) z[k] *= inv;
    z[y] -= 1.0f;
    return l;
}

/* Blocks [begin, end) of rows, one group, into its own partial loss and gradient. */
static void lr_group(void *arg, int64_t begin, int64_t end, int g, int w)
{
    lr_ctx *c = arg;
    int M = c->M;
    int64_t d = c->d;
    float *G = c->G + (size_t)g * (size_t)c->nvar;
    float *Z = c->Z + (size_t)w * LR_BLOCK * (size_t)M;
    double loss = 0; /* G was zeroed by the caller */
    for (int64_t blk = begin; blk < end; blk++) {
        int64_t r0 = blk * LR_BLOCK;
        int64_t B = c->n - r0 < LR_BLOCK ? c->n - r0 : LR_BLOCK;
        const float *Xb = c->X + r0 * d;
        for (int64_t i = 0; i < B; i++) memcpy(Z + i * M, c->b, sizeof(float) * (size_t)M);
        ml_gemm(0, 1, B, M, d, 1.0f, Xb, d, c->W, d, 1.0f, Z, M);
        for (int64_t i = 0; i < B; i++) {
            float *z = Z + i * M;
            loss += row_residual(z, M, c->y[r0 + i]);
            for (int k = 0; k < M; k++) G[M * d + k] += z[k];
        }
        ml_gemm(1, 0, M, d, B, 1.0f, Z, M, Xb, d, 1.0f, G, d);
    }
    c->loss[g] = loss;
}

typedef struct lr_opt {
    lr_ctx c;
    ml_logreg *m;
    float *Wf;       /* M*d + M floats: W then b */
    int nvar;        /* M*d + M (unpadded) */
    const ml_progress *p;
    int cancelled;
    int stop_converged;
    int last_k;
    double last_crit; /* max |(pseudo-)gradient| / n at the last iteration */
} lr_opt;

static lbfgsfloatval_t lr_evaluate(void *inst, const lbfgsfloatval_t *x, lbfgsfloatval_t *g, const int n,
                                   const lbfgsfloatval_t step)
{
    (void)step;
    lr_opt *o = inst;
    lr_ctx *c = &o->c;
    int64_t nw = (int64_t)c->M * c->d;
    for (int i = 0; i < o->nvar; i++) o->Wf[i] = (float)x[i];
    if (!o->m->fit_intercept)
        for (int k = 0; k < c->M; k++) o->Wf[nw + k] = 0;
    c->W = o->Wf;
    c->b = o->Wf + nw;
    memset(c->G, 0, sizeof(float) * (size_t)o->nvar * LR_GROUPS);
    /* small problems stay on one thread: a group of at least 4 blocks each */
    ml_parallel_groups((c->n + LR_BLOCK - 1) / LR_BLOCK, 4, lr_group, c);
    double f = 0;
    for (int t = 0; t < LR_GROUPS; t++) f += c->loss[t];
    for (int i = 0; i < n; i++) g[i] = 0;
    for (int t = 0; t < LR_GROUPS; t++) {
        const float *Gt = c->G + (size_t)t * (size_t)o->nvar;
        for (int i = 0; i < o->nvar; i++) g[i] += Gt[i];
    }
    if (!o->m->fit_intercept)
        for (int k = 0; k < c->M; k++) g[nw + k] = 0;
    if (o->m->penalty == ML_LOGREG_L2) {
        double a = 1.0 / o->m->C, s = 0;
        for (int64_t i = 0; i < nw; i++) {
            s += x[i] * x[i];
            g[i] += a * x[i];
        }
        f += 0.5 * a * s;
    }
    return f;
}

/* Max |pseudo-gradient| / n: the gradient for smooth problems; for L1 the
 * minimum-norm subgradient of the whole objective. */
static double lr_criterion(const lr_opt *o, const lbfgsfloatval_t *x, const lbfgsfloatval_t *g)
{
    int64_t nw = (int64_t)o->c.M * o->c.d;
    double mx = 0, a = o->m->penalty == ML_LOGREG_L1 ? 1.0 / o->m->C : 0;
    for (int i = 0; i < o->nvar; i++) {
        double gi = g[i];
        if (a > 0 && i < nw) {
            if (x[i] > 0) gi += a;
            else if (x[i] < 0) gi -= a;
            else if (gi + a < 0) gi += a;
            else if (gi - a > 0) gi -= a;
            else gi = 0;
        }
        if (fabs(gi) > mx) mx = fabs(gi);
    }
    return mx / (double)o->c.n;
}

static int lr_progress(void *inst, const lbfgsfloatval_t *x, const lbfgsfloatval_t *g, const lbfgsfloatval_t fx,
                       const lbfgsfloatval_t xnorm, const lbfgsfloatval_t gnorm, const lbfgsfloatval_t step, int n,
                       int k, int ls)
{
    (void)fx, (void)xnorm, (void)gnorm, (void)step, (void)n, (void)ls;
    lr_opt *o = inst;
    o->last_k = k;
    o->last_crit = lr_criterion(o, x, g);
    if (o->last_crit <= o->m->tol) {
        o->stop_converged = 1;
        return 1;
    }
    if (ml_progress_update(o->p, "logistic regression", k, o->m->max_iter) != ML_OK) {
        o->cancelled = 1;
        return 2;
    }
    return 0;
}

static ml_status lr_fit(ml_estimator *e, const ml_tensor *X, const ml_tensor *y, const ml_progress *p)
{
    ml_logreg *m = (ml_logreg *)e;
    ml_status st;
    if (!X || X->ndim < 2) return ml_fail(ML_EINVAL, "X: must be 2-D (rows x features)");
    if (!y) return ml_fail(ML_EINVAL, "y: LogisticRegression needs labels");
    int64_t n = X->shape[0], d = ml_tensor_rowsize(X);
    if (ml_tensor_numel(y) != n)
        return ml_fail(ML_EINVAL, "y: %lld labels for %lld rows of X", (long long)ml_tensor_numel(y), (long long)n);
    if (n < 1 || d < 1) return ml_fail(ML_EINVAL, "X: empty");
    int K;
    if ((st = ml_check_labels(y, "y", &K))) return st;
    if (e->n_classes > K) K = e->n_classes;
    if (K < 2) return ml_fail(ML_EINVAL, "y: LogisticRegression needs at least 2 classes, got 1");
    if (m->penalty == ML_LOGREG_L1 && m->solver == ML_LOGREG_LBFGS)
        return ml_fail(ML_EINVAL, "solver: lbfgs supports penalty 'l2' or 'none'; use 'owlqn' (or 'auto') for 'l1'");
    /* NaN and infinities were refused by ml_estimator_fit */
    int M = K == 2 ? 1 : K;
    if ((int64_t)M * d + M > 0x3fffffff) return ml_fail(ML_EINVAL, "X: too many features x classes");
    int nvar = (int)(M * d + M);
    int npad = (nvar + 15) / 16 * 16;
    int nth = ml_get_threads();

    lr_reset(e);
    lr_opt o;
    memset(&o, 0, sizeof o);
    o.m = m;
    o.p = p;
    o.nvar = nvar;
    o.c.X = X->data;
    o.c.n = n;
    o.c.d = d;
    o.c.K = K;
    o.c.M = M;
    o.c.nvar = nvar;
    int32_t *yi = malloc(sizeof(int32_t) * (size_t)n);
    o.Wf = malloc(sizeof(float) * (size_t)nvar);
    o.c.G = malloc(sizeof(float) * (size_t)nvar * LR_GROUPS);
    o.c.Z = malloc(sizeof(float) * LR_BLOCK * (size_t)M * (size_t)nth);
    o.c.loss = calloc(LR_GROUPS, sizeof(double));
    lbfgsfloatval_t *x = lbfgs_malloc(npad);
    m->coef = ml_tensor_new2(M, d);
    m->intercept = ml_tensor_new1(M);
    if (!yi || !o.Wf || !o.c.G || !o.c.Z || !o.c.loss || !x || !m->coef || !m->intercept) {
        st = ml_fail(ML_ENOMEM, "LogisticRegression: out of memory (%lld x %lld)", (long long)n, (long long)d);
        goto done;
    }
    for (int64_t i = 0; i < n; i++) yi[i] = (int32_t)y->data[i];
    o.c.y = yi;
    for (int i = 0; i < npad; i++) x[i] = 0;

    lbfgs_parameter_t par;
    lbfgs_parameter_init(&par);
    par.m = 10;
    par.epsilon = 0;   /* our own test in lr_progress */
    par.past = 0;
    par.max_iterations = m->max_iter;
    par.max_linesearch = 50;
    if (m->penalty == ML_LOGREG_L1) {
        par.orthantwise_c = 1.0 / m->C;
        par.orthantwise_start = 0;
        par.orthantwise_end = (int)(M * d);
        par.linesearch = LBFGS_LINESEARCH_BACKTRACKING;
    }
    lbfgsfloatval_t fx = 0;
    int ret = lbfgs(npad, x, &fx, lr_evaluate, lr_progress, &o, &par);

    for (int64_t i = 0; i < M * d; i++) m->coef->data[i] = (float)x[i];
    for (int k = 0; k < M; k++) m->intercept->data[k] = m->fit_intercept ? (float)x[M * d + k] : 0.0f;
    m->n_scores = M;
    m->n_iter = o.last_k;
    m->loss = fx;
    e->n_classes = K;
    e->n_features_in = d;
    e->warning[0] = '\0';
    const char *solver = m->penalty == ML_LOGREG_L1 ? "owlqn" : "lbfgs";
    if (o.cancelled) {
        st = ml_fail(ML_ECANCELLED, "LogisticRegression: cancelled after %d iterations", o.last_k);
        m->converged = 0;
        e->fitted = 1; /* consistent: the weights so far */
        goto done;
    }
    if (o.stop_converged || ret == LBFGS_SUCCESS || ret == LBFGS_ALREADY_MINIMIZED) {
        m->converged = 1;
    } else if (ret == LBFGSERR_MAXIMUMITERATION) {
        m->converged = 0;
        snprintf(e->warning, sizeof e->warning,
                 "ConvergenceWarning: %s failed to converge after %d iterations (max |gradient|/n = %.3g > "
                 "tol = %.3g); increase max_iter or scale the data",
                 solver, m->max_iter, o.last_crit, m->tol);
    } else if (ret < 0 && ret != LBFGSERR_ROUNDING_ERROR && ret != LBFGSERR_MAXIMUMLINESEARCH &&
               ret != LBFGSERR_MINIMUMSTEP && ret != LBFGSERR_MAXIMUMSTEP && ret != LBFGSERR_WIDTHTOOSMALL &&
               ret != LBFGSERR_INCREASEGRADIENT && ret != LBFGSERR_OUTOFINTERVAL && ret != LBFGSERR_INCORRECT_TMINMAX) {
        st = ml_fail(ret == LBFGSERR_OUTOFMEMORY ? ML_ENOMEM : ML_EINVAL,
                     "LogisticRegression: the %s solver failed (liblbfgs status %d)", solver, ret);
        goto done;
    } else {
        /* The line search could not go further: float32 precision reached. */
        m->converged = o.last_crit <= m->tol;
        if (!m->converged)
            snprintf(e->warning, sizeof e->warning,
                     "ConvergenceWarning: %s stopped after %d iterations: the line search made no further progress "
                     "(max |gradient|/n = %.3g > tol = %.3g)",
                     solver, o.last_k, o.last_crit, m->tol);
    }
    e->fitted = 1;
    st = ML_OK;
done:
    if (st != ML_OK && !e->fitted) lr_reset(e);
    free(yi);
    free(o.Wf);
    free(o.c.G);
    free(o.c.Z);
    free(o.c.loss);
    lbfgs_free(x);
    return st;
}

/* ---- prediction ---- */

static ml_status lr_check_X(const ml_logreg *m, const ml_tensor *X)
{
    if (!m->coef) return ml_fail(ML_ESTATE, "LogisticRegression: not fitted yet; call fit first");
    if (!X || X->ndim < 2) return ml_fail(ML_EINVAL, "X: must be 2-D (rows x features)");
    if (ml_tensor_rowsize(X) != m->coef->shape[1])
        return ml_fail(ML_EINVAL, "X: %lld features, but LogisticRegression was fitted with %lld",
                       (long long)ml_tensor_rowsize(X), (long long)m->coef->shape[1]);
    return ML_OK;
}

/* Scores n x M. */
static ml_tensor *lr_scores(const ml_logreg *m, const ml_tensor *X)
{
    int64_t n = X->shape[0], d = m->coef->shape[1];
    int M = m->n_scores;
    ml_tensor *Z = ml_tensor_new2(n, M);
    if (!Z) return NULL;
    for (int64_t i = 0; i < n; i++) memcpy(Z->data + i * M, m->intercept->data, sizeof(float) * (size_t)M);
    ml_gemm(0, 1, n, M, d, 1.0f, X->data, d, m->coef->data, d, 1.0f, Z->data, M);
    return Z;
}

static ml_status lr_decision_function(const ml_estimator *e, const ml_tensor *X, ml_tensor **out)
{
    const ml_logreg *m = (const ml_logreg *)e;
    ml_status st = lr_check_X(m, X);
    if (st) return st;
    ml_tensor *Z = lr_scores(m, X);
    if (!Z) return ML_ENOMEM;
    if (m->n_scores == 1) { /* scikit-learn: one score per row */
        ml_tensor *v = ml_tensor_reshape(Z, 1, &X->shape[0]);
        ml_tensor_free(Z);
        if (!v) return ML_ENOMEM;
        Z = v;
    }
    *out = Z;
    return ML_OK;
}

static ml_status lr_predict_proba(const ml_estimator *e, const ml_tensor *X, ml_tensor **out)
{
    const ml_logreg *m = (const ml_logreg *)e;
    ml_status st = lr_check_X(m, X);
    if (st) return st;
    int64_t n = X->shape[0];
    int K = m->n_scores == 1 ? 2 : m->n_scores;
    ml_tensor *Z = lr_scores(m, X);
    ml_tensor *P = Z ? ml_tensor_new2(n, K) : NULL;
    if (!P) {
        ml_tensor_free(Z);
        return ML_ENOMEM;
    }
    for (int64_t i = 0; i < n; i++) {
        float *p = P->data + i * K;
        const float *z = Z->data + i * m->n_scores;
        if (m->n_scores == 1) {
            double s = 1.0 / (1.0 + exp(-(double)z[0]));
            p[0] = (float)(1 - s);
            p[1] = (float)s;
            continue;
        }
        float mx = z[0];
        for (int k = 1; k < K; k++) mx = z[k] > mx ? z[k] : mx;
        double s = 0;
        for (int k = 0; k < K; k++) s += (p[k] = expf(z[k] - mx));
        for (int k = 0; k < K; k++) p[k] = (float)(p[k] / s);
    }
    ml_tensor_free(Z);
    *out = P;
    return ML_OK;
}

static ml_status lr_predict(const ml_estimator *e, const ml_tensor *X, ml_tensor **out)
{
    const ml_logreg *m = (const ml_logreg *)e;
    ml_status st = lr_check_X(m, X);
    if (st) return st;
    int64_t n = X->shape[0];
    ml_tensor *Z = lr_scores(m, X);
    ml_tensor *y = Z ? ml_tensor_new1(n) : NULL;
    if (!y) {
        ml_tensor_free(Z);
        return ML_ENOMEM;
    }
    int M = m->n_scores;
    for (int64_t i = 0; i < n; i++) {
        const float *z = Z->data + i * M;
        if (M == 1) {
            y->data[i] = z[0] > 0 ? 1.0f : 0.0f;
            continue;
        }
        int best = 0;
        for (int k = 1; k < M; k++)
            if (z[k] > z[best]) best = k;
        y->data[i] = (float)best;
    }
    ml_tensor_free(Z);
    *out = y;
    return ML_OK;
}

static ml_status lr_get_attr(const ml_estimator *e, const char *name, ml_value *v)
{
    const ml_logreg *m = (const ml_logreg *)e;
    if (!m->coef) return ml_fail(ML_ESTATE, "%s: LogisticRegression is not fitted yet; call fit first", name);
    if (strcmp(name, "coef") == 0 || strcmp(name, "intercept") == 0) {
        ml_tensor *t = ml_tensor_clone(name[0] == 'c' ? m->coef : m->intercept);
        if (!t) return ML_ENOMEM;
        *v = ml_none();
        v->kind = ML_VAL_TENSOR;
        v->tensor = t;
        return ML_OK;
    }
    if (strcmp(name, "n_iter") == 0) *v = ml_num(m->n_iter);
    else if (strcmp(name, "converged") == 0) *v = ml_bool(m->converged);
    else if (strcmp(name, "loss") == 0) *v = ml_num(m->loss);
    else return ml_fail(ML_EINVAL, "%s: unknown attribute of LogisticRegression", name);
    return ML_OK;
}

/* ---- files ---- */

static ml_status lr_save(const ml_estimator *e, ml_mfile_w *w)
{
    const ml_logreg *m = (const ml_logreg *)e;
    ml_status st;
    if ((st = ml_mfile_put_tensor(w, "coef", m->coef))) return st;
    if ((st = ml_mfile_put_tensor(w, "intercept", m->intercept))) return st;
    if ((st = ml_mfile_put_i64(w, "n_iter", m->n_iter))) return st;
    if ((st = ml_mfile_put_i64(w, "converged", m->converged))) return st;
    return ml_mfile_put_f64(w, "loss", m->loss);
}

static ml_status lr_load(ml_estimator *e, const ml_mfile *r)
{
    ml_logreg *m = (ml_logreg *)e;
    ml_status st;
    int64_t it = 0, conv = 0;
    lr_reset(e);
    if ((st = ml_mfile_get_tensor(r, "coef", &m->coef))) goto bad;
    if ((st = ml_mfile_get_tensor(r, "intercept", &m->intercept))) goto bad;
    if ((st = ml_mfile_get_i64(r, "n_iter", &it))) goto bad;
    if ((st = ml_mfile_get_i64(r, "converged", &conv))) goto bad;
    if ((st = ml_mfile_get_f64(r, "loss", &m->loss))) goto bad;
    if (m->coef->ndim != 2 || m->intercept->ndim != 1 || m->intercept->shape[0] != m->coef->shape[0] ||
        m->coef->shape[0] < 1) {
        st = ml_fail(ML_EFORMAT, "%s: LogisticRegression coef and intercept do not match", ml_mfile_path(r));
        goto bad;
    }
    m->n_scores = (int)m->coef->shape[0];
    m->n_iter = (int)it;
    m->converged = conv != 0;
    e->n_features_in = m->coef->shape[1];
    e->n_classes = m->n_scores == 1 ? 2 : m->n_scores;
    return ML_OK;
bad:
    lr_reset(e);
    return st;
}

const ml_estimator_class ml_logistic_regression_class = {
    .name = "LogisticRegression",
    .type = ML_CLASSIFIER,
    .size = sizeof(ml_logreg),
    .params = lr_params,
    .attrs = lr_attrs,
    .init = lr_init,
    .destroy = lr_destroy,
    .reset = lr_reset,
    .param_specs = lr_specs,
    .set_param = lr_set_param,
    .get_param = lr_get_param,
    .fit = lr_fit,
    .predict = lr_predict,
    .predict_proba = lr_predict_proba,
    .decision_function = lr_decision_function,
    .get_attr = lr_get_attr,
    .save = lr_save,
    .load = lr_load,
};
