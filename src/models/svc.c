#include "models/svc.h"

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/blas.h"
#include "core/parallel.h"
#include "data/split.h"

#define SVC_TAU 1e-12
#define SVC_PRED_BLOCK 256

static const char *const svc_params[] = {"C", "kernel", "degree", "gamma", "coef0", "tol", "cache_size",
                                         "shrinking", "max_iter", "decision_function_shape", NULL};
static const char *const svc_attrs[] = {"support", "support_vectors", "n_support", "dual_coef", "intercept",
                                        "gamma_", "n_iter", NULL};
static const char *const svc_kernels[] = {"linear", "poly", "rbf", "sigmoid", NULL};
static const char *const svc_shapes[] = {"ovo", "ovr", NULL};

/* ---- lifecycle and parameters ---- */

static void svc_init(ml_estimator *e)
{
    ml_svc *m = (ml_svc *)e;
    m->C = 1.0;
    m->kernel = ML_SVC_RBF;
    m->degree = 3;
    m->gamma_mode = 0;
    m->coef0 = 0;
    m->tol = 1e-3;
    m->cache_size = 200;
    m->shrinking = 1;
    m->max_iter = -1;
    m->ovr = 1;
}

static void svc_reset(ml_estimator *e)
{
    ml_svc *m = (ml_svc *)e;
    ml_tensor_free(m->sv);
    ml_tensor_free(m->dual_coef);
    ml_tensor_free(m->rho);
    ml_tensor_free(m->support);
    free(m->sv_start);
    m->sv = m->dual_coef = m->rho = m->support = NULL;
    m->sv_start = NULL;
    m->n_sv = 0;
    m->n_iter = 0;
    m->gamma = 0;
}

static void svc_destroy(ml_estimator *e) { svc_reset(e); }

static ml_status svc_set_param(ml_estimator *e, const char *name, const ml_value *v)
{
    ml_svc *m = (ml_svc *)e;
    double x;
    ml_status st;
    if (strcmp(name, "C") == 0) {
        if ((st = ml_param_number(e, name, v, -INFINITY, INFINITY, 0, &x))) return st;
        if (x <= 0) return ml_fail(ML_EINVAL, "SVC: C must be > 0, got %g", x);
        m->C = x;
    } else if (strcmp(name, "kernel") == 0) {
        if (v->kind == ML_VAL_STR && strcmp(v->str, "precomputed") == 0)
            return ml_fail(ML_EINVAL, "SVC: kernel = \"precomputed\" is not supported (linear, poly, rbf, sigmoid)");
        return ml_param_choice(e, name, v, svc_kernels, &m->kernel);
    } else if (strcmp(name, "degree") == 0) {
        if ((st = ml_param_number(e, name, v, 0, 100, 1, &x))) return st;
        m->degree = (int)x;
    } else if (strcmp(name, "gamma") == 0) {
        if (v->kind == ML_VAL_STR) {
            if (strcmp(v->str, "scale") == 0) m->gamma_mode = 0;
            else if (strcmp(v->str, "auto") == 0) m->gamma_mode = 1;
            else return ml_fail(ML_EINVAL, "SVC: gamma = \"%s\" is not one of \"scale\", \"auto\" or a number > 0", v->str);
            return ML_OK;
        }
        if ((st = ml_param_number(e, name, v, -INFINITY, INFINITY, 0, &x))) return st;
        if (x <= 0) return ml_fail(ML_EINVAL, "SVC: gamma must be > 0 (or \"scale\", \"auto\"), got %g", x);
        m->gamma_mode = 2;
        m->gamma_value = x;
    } else if (strcmp(name, "coef0") == 0) {
        if ((st = ml_param_number(e, name, v, -INFINITY, INFINITY, 0, &x))) return st;
        m->coef0 = x;
    } else if (strcmp(name, "tol") == 0) {
        if ((st = ml_param_number(e, name, v, -INFINITY, INFINITY, 0, &x))) return st;
        if (x <= 0) return ml_fail(ML_EINVAL, "SVC: tol must be > 0, got %g", x);
        m->tol = x;
    } else if (strcmp(name, "cache_size") == 0) {
        if ((st = ml_param_number(e, name, v, -INFINITY, INFINITY, 0, &x))) return st;
        if (x <= 0) return ml_fail(ML_EINVAL, "SVC: cache_size must be > 0 (MB), got %g", x);
        m->cache_size = x;
    } else if (strcmp(name, "shrinking") == 0) {
        if (v->kind != ML_VAL_BOOL && v->kind != ML_VAL_NUM)
            return ml_fail(ML_EINVAL, "SVC: shrinking must be a boolean");
        m->shrinking = v->num != 0;
    } else if (strcmp(name, "max_iter") == 0) {
        if ((st = ml_param_number(e, name, v, -1, 2e9, 1, &x))) return st;
        if (x == 0) return ml_fail(ML_EINVAL, "SVC: max_iter must be -1 (no limit) or >= 1, got 0");
        m->max_iter = (int)x;
    } else if (strcmp(name, "decision_function_shape") == 0) {
        return ml_param_choice(e, name, v, svc_shapes, &m->ovr);
    } else {
        return ml_fail(ML_EINVAL, "SVC: unknown parameter '%s'", name);
    }
    return ML_OK;
}

static ml_status svc_get_param(const ml_estimator *e, const char *name, ml_value *v)
{
    const ml_svc *m = (const ml_svc *)e;
    if (strcmp(name, "C") == 0) *v = ml_num(m->C);
    else if (strcmp(name, "kernel") == 0) *v = ml_str(svc_kernels[m->kernel]);
    else if (strcmp(name, "degree") == 0) *v = ml_num(m->degree);
    else if (strcmp(name, "gamma") == 0)
        *v = m->gamma_mode == 0 ? ml_str("scale") : m->gamma_mode == 1 ? ml_str("auto") : ml_num(m->gamma_value);
    else if (strcmp(name, "coef0") == 0) *v = ml_num(m->coef0);
    else if (strcmp(name, "tol") == 0) *v = ml_num(m->tol);
    else if (strcmp(name, "cache_size") == 0) *v = ml_num(m->cache_size);
    else if (strcmp(name, "shrinking") == 0) *v = ml_bool(m->shrinking);
    else if (strcmp(name, "max_iter") == 0) *v = ml_num(m->max_iter);
    else if (strcmp(name, "decision_function_shape") == 0) *v = ml_str(svc_shapes[m->ovr]);
    else return ml_fail(ML_EINVAL, "SVC: unknown parameter '%s'", name);
    return ML_OK;
}

/* ---- kernels ---- */

typedef struct svc_kernel {
    int type;
    float gamma, coef0;
    int degree;
} svc_kernel;

static inline float ipow(float x, int n)
{
    float r = 1.0f;
    while (n > 0) {
        if (n & 1) r *= x;
        x *= x;
        n >>= 1;
    }
    return r;
}

typedef float v4sf __attribute__((vector_size(16)));
typedef int v4si __attribute__((vector_size(16)));

/* e^x for four x <= 0 at once (SSE2): x = n ln2 + r with |r| <= ln2/2, e^r by
 * a degree-6 polynomial (relative error about 2e-7, as expf), times 2^n
 * built in the exponent bits.  Below -87 the result is 0 (float underflow). */
static inline v4sf exp4_neg(v4sf x)
{
    const v4sf lo = {-87.0f, -87.0f, -87.0f, -87.0f};
    v4si under = x < lo; /* -1 where true */
    x = (v4sf)(((v4si)lo & under) | ((v4si)x & ~under));
    v4sf t = x * 1.44269504088896341f + 0.5f;
    v4si n = __builtin_convertvector(t, v4si); /* truncates toward zero */
    v4sf fn = __builtin_convertvector(n, v4sf);
    n += (v4si)(fn > t); /* -1 where truncation rounded up: floor */
    fn = __builtin_convertvector(n, v4sf);
    v4sf r = x - fn * 0.693359375f + fn * 2.12194440e-4f;
    v4sf p = r * 0.0f + 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * (r * r) + r + 1.0f;
    v4si bits = (n + 127) << 23;
    v4sf e = p * (v4sf)bits;
    return (v4sf)((v4si)e & ~under);
}

/* In place: dot products -> kernel values; na is |a|^2 of the row's point,
 * nb[j] of the columns' points (rbf only). */
static void kernel_from_dots(const svc_kernel *k, float *v, int64_t n, float na, const float *nb)
{
    switch (k->type) {
    case ML_SVC_LINEAR: break;
    case ML_SVC_RBF: {
        int64_t j = 0;
        for (; j + 4 <= n; j += 4) {
            v4sf dv, nv;
            memcpy(&dv, v + j, sizeof dv);
            memcpy(&nv, nb + j, sizeof nv);
            v4sf d2 = na + nv - 2.0f * dv;
            d2 = (v4sf)((v4si)d2 & (d2 > 0.0f)); /* negative rounding -> 0 */
            v4sf e = exp4_neg(-k->gamma * d2);
            memcpy(v + j, &e, sizeof e);
        }
        for (; j < n; j++) {
            float d2 = na + nb[j] - 2.0f * v[j];
            v[j] = expf(-k->gamma * (d2 > 0 ? d2 : 0));
        }
        break;
    }
    case ML_SVC_POLY:
        for (int64_t j = 0; j < n; j++) v[j] = ipow(k->gamma * v[j] + k->coef0, k->degree);
        break;
    case ML_SVC_SIGMOID:
        for (int64_t j = 0; j < n; j++) v[j] = tanhf(k->gamma * v[j] + k->coef0);
        break;
    }
}

static void row_norms(const float *X, int64_t n, int64_t d, float *out)
{
    for (int64_t i = 0; i < n; i++) {
        const float *x = X + i * d;
        float s = 0;
        for (int64_t j = 0; j < d; j++) s += x[j] * x[j];
        out[i] = s;
    }
}

/* ---- one binary problem ---- */

typedef struct svc_problem {
    int64_t l, d;
    const float *X;     /* l x d, the problem's rows */
    const float *nrm;   /* l */
    const signed char *y;
    double C, eps;
    int64_t max_iter;   /* <= 0: none */
    int shrinking;
    svc_kernel k;
    size_t cache_bytes;
    /* out */
    double *alpha;      /* l */
    double rho;
    int64_t iters;
    int hit_max_iter;
} svc_problem;

/* LRU cache of kernel rows (full length l). */
typedef struct svc_cache {
    int64_t l;
    float **row;       /* l entries, NULL when absent */
    int64_t *prev, *next; /* LRU list of present rows; head = most recent */
    int64_t head, tail;
    int64_t n_rows, max_rows;
} svc_cache;

static void cache_free(svc_cache *c)
{
    if (c->row)
        for (int64_t i = 0; i < c->l; i++) free(c->row[i]);
    free(c->row);
    free(c->prev);
    free(c->next);
    memset(c, 0, sizeof *c);
}

static void lru_unlink(svc_cache *c, int64_t i)
{
    if (c->prev[i] >= 0) c->next[c->prev[i]] = c->next[i];
    else c->head = c->next[i];
    if (c->next[i] >= 0) c->prev[c->next[i]] = c->prev[i];
    else c->tail = c->prev[i];
}

static void lru_push_front(svc_cache *c, int64_t i)
{
    c->prev[i] = -1;
    c->next[i] = c->head;
    if (c->head >= 0) c->prev[c->head] = i;
    c->head = i;
    if (c->tail < 0) c->tail = i;
}

static ml_status cache_init(svc_cache *c, const svc_problem *p)
{
    memset(c, 0, sizeof *c);
    int64_t l = p->l;
    c->l = l;
    c->head = c->tail = -1;
    c->row = calloc((size_t)l, sizeof(float *));
    if (!c->row) return ML_ENOMEM;
    c->prev = malloc(sizeof(int64_t) * (size_t)l);
    c->next = malloc(sizeof(int64_t) * (size_t)l);
    if (!c->prev || !c->next) return ML_ENOMEM;
    c->max_rows = (int64_t)(p->cache_bytes / (sizeof(float) * (size_t)l));
    if (c->max_rows < 2) c->max_rows = 2;
    return ML_OK;
}

#define SVC_BLOCK 8 /* kernel rows computed per product: the row asked for and likely next ones */

/* A free buffer for a new row: a fresh one while under budget, else the
 * least recently used row's. */
static float *cache_slot(svc_cache *c)
{
    if (c->n_rows >= c->max_rows) {
        int64_t t = c->tail;
        lru_unlink(c, t);
        float *r = c->row[t];
        c->row[t] = NULL;
        return r;
    }
    float *r = malloc(sizeof(float) * (size_t)c->l);
    if (r) c->n_rows++;
    return r;
}

/* Row i of the kernel matrix, or NULL when out of memory.  When it is
 * missing, the missing rows among hint[0..nhint) (the current top violators,
 * the likely next working-set members) are computed with it, in one product
 * through ml_gemm; i ends up most recently used. */
static const float *cache_row(svc_cache *c, const svc_problem *p, int64_t i, const int64_t *hint, int nhint,
                              float *xbuf, float *kbuf)
{
    if (c->row[i]) {
        if (c->head != i) {
            lru_unlink(c, i);
            lru_push_front(c, i);
        }
        return c->row[i];
    }
    int64_t want[SVC_BLOCK];
    int nb = 0;
    int64_t room = c->max_rows / 2; /* never evict the rows the caller holds */
    if (room > SVC_BLOCK - 1) room = SVC_BLOCK - 1;
    for (int h = 0; h < nhint && nb < room; h++) {
        int64_t t = hint[h];
        if (t < 0 || t == i || c->row[t]) continue;
        int dup = 0;
        for (int q = 0; q < nb; q++) dup |= want[q] == t;
        if (!dup) want[nb++] = t;
    }
    want[nb++] = i; /* last: most recently used */
    int64_t d = p->d;
    for (int q = 0; q < nb; q++) memcpy(xbuf + q * d, p->X + want[q] * d, sizeof(float) * (size_t)d);
    ml_gemm(0, 1, nb, c->l, d, 1.0f, xbuf, d, p->X, d, 0.0f, kbuf, c->l);
    for (int q = 0; q < nb; q++) {
        float *r = cache_slot(c);
        if (!r) return NULL;
        memcpy(r, kbuf + (int64_t)q * c->l, sizeof(float) * (size_t)c->l);
        kernel_from_dots(&p->k, r, c->l, p->nrm[want[q]], p->nrm);
        c->row[want[q]] = r;
        lru_push_front(c, want[q]);
    }
    return c->row[i];
}

/* Keep the k best (largest v) indices seen: top[0..k), vals sorted descending. */
static inline void top_push(int64_t *top, double *vals, int k, int64_t t, double v)
{
    if (v <= vals[k - 1]) return;
    int q = k - 1;
    while (q > 0 && vals[q - 1] < v) {
        vals[q] = vals[q - 1];
        top[q] = top[q - 1];
        q--;
    }
    vals[q] = v;
    top[q] = t;
}

/* On a cache miss: the top violators on each side (the likely next
 * working-set members), whose rows are computed in the same product. */
static int find_hints(const int64_t *act, int64_t na, const unsigned char *fl, const signed char *y, const double *G,
                      int64_t *hint)
{
    enum { NH = SVC_BLOCK / 2 };
    double vu[NH], vl[NH];
    for (int h = 0; h < NH; h++) {
        hint[h] = hint[NH + h] = -1;
        vu[h] = vl[h] = -INFINITY;
    }
    for (int64_t q = 0; q < na; q++) {
        int64_t t = act[q];
        double v = -y[t] * G[t];
        if (fl[t] & 1) top_push(hint, vu, NH, t, v);
        if (fl[t] & 2) top_push(hint + NH, vl, NH, t, -v);
    }
    return 2 * NH;
}

static inline int in_up(signed char y, double a, double C) { return y > 0 ? a < C : a > 0; }
static inline int in_low(signed char y, double a, double C) { return y > 0 ? a > 0 : a < C; }

/* Recompute G for the inactive rows from the support vectors:
 * G_t = -1 + y_t sum_s y_s a_s K(t, s), kernel blocks through ml_gemm. */
static ml_status reconstruct_gradient(const svc_problem *p, double *G, const int64_t *act, int64_t na)
{
    int64_t l = p->l, d = p->d;
    if (na == l) return ML_OK;
    int64_t nsv = 0;
    for (int64_t s = 0; s < l; s++) nsv += p->alpha[s] > 0;
    int64_t nin = l - na;
    int64_t *sv = malloc(sizeof(int64_t) * (size_t)(nsv ? nsv : 1));
    float *Xs = malloc(sizeof(float) * (size_t)(nsv ? nsv : 1) * (size_t)d);
    float *ns = malloc(sizeof(float) * (size_t)(nsv ? nsv : 1));
    float *coef = malloc(sizeof(float) * (size_t)(nsv ? nsv : 1));
    const int64_t B = 128;
    float *Xb = malloc(sizeof(float) * (size_t)B * (size_t)d);
    float *Kb = malloc(sizeof(float) * (size_t)B * (size_t)(nsv ? nsv : 1));
    float *nb = malloc(sizeof(float) * (size_t)B);
    int64_t *ib = malloc(sizeof(int64_t) * (size_t)B);
    ml_status st = ML_OK;
    if (!sv || !Xs || !ns || !coef || !Xb || !Kb || !nb || !ib) {
        st = ML_ENOMEM;
        goto done;
    }
    nsv = 0;
    for (int64_t s = 0; s < l; s++)
        if (p->alpha[s] > 0) {
            sv[nsv] = s;
            memcpy(Xs + nsv * d, p->X + s * d, sizeof(float) * (size_t)d);
            ns[nsv] = p->nrm[s];
            coef[nsv] = (float)(p->y[s] * p->alpha[s]);
            nsv++;
        }
    /* inactive rows: act[na..l) */
    for (int64_t b0 = 0; b0 < nin; b0 += B) {
        int64_t nbk = nin - b0 < B ? nin - b0 : B;
        for (int64_t r = 0; r < nbk; r++) {
            int64_t t = act[na + b0 + r];
            ib[r] = t;
            memcpy(Xb + r * d, p->X + t * d, sizeof(float) * (size_t)d);
            nb[r] = p->nrm[t];
        }
        if (nsv > 0) ml_gemm(0, 1, nbk, nsv, d, 1.0f, Xb, d, Xs, d, 0.0f, Kb, nsv);
        for (int64_t r = 0; r < nbk; r++) {
            float *kr = Kb + r * nsv;
            double s = 0;
            if (nsv > 0) {
                kernel_from_dots(&p->k, kr, nsv, nb[r], ns);
                for (int64_t q = 0; q < nsv; q++) s += (double)coef[q] * kr[q];
            }
            G[ib[r]] = -1.0 + p->y[ib[r]] * s;
        }
    }
done:
    free(sv);
    free(Xs);
    free(ns);
    free(coef);
    free(Xb);
    free(Kb);
    free(nb);
    free(ib);
    return st;
}

/* SMO with the second-order working-set choice (WSS2) and shrinking. */
static ml_status svc_solve(svc_problem *p, const atomic_int *stop)
{
    int64_t l = p->l;
    double C = p->C;
    const signed char *y = p->y;
    double *a = p->alpha;
    double *G = malloc(sizeof(double) * (size_t)l);
    float *QD = malloc(sizeof(float) * (size_t)l);
    int64_t *act = malloc(sizeof(int64_t) * (size_t)l);
    float *xbuf = malloc(sizeof(float) * SVC_BLOCK * (size_t)p->d);
    float *kbuf = malloc(sizeof(float) * SVC_BLOCK * (size_t)l);
    unsigned char *fl = malloc((size_t)l); /* bit 0: in I_up, bit 1: in I_low */
    svc_cache cache;
    ml_status st = cache_init(&cache, p);
    if (!G || !QD || !act || !xbuf || !kbuf || !fl || st) {
        st = ML_ENOMEM;
        goto done;
    }
    for (int64_t t = 0; t < l; t++) {
        a[t] = 0;
        G[t] = -1.0;
        act[t] = t;
        fl[t] = (unsigned char)(in_up(y[t], 0, C) | in_low(y[t], 0, C) << 1);
        float dd = p->nrm[t];
        kernel_from_dots(&p->k, &dd, 1, p->nrm[t], &p->nrm[t]);
        QD[t] = dd;
    }
    int64_t na = l; /* active: act[0..na) */
    int64_t shrink_every = l < 200 ? l : 200, counter = shrink_every;
    int unshrunk = 0;
    int64_t iter = 0;
    /* The working-set choice of the next iteration is made in the same pass
     * as the gradient update (sel_valid); a shrink or unshrink redoes it. */
    int64_t hint[SVC_BLOCK];
    double Gmax = -INFINITY;
    int64_t i = -1;
    int sel_valid = 0;
    for (;;) {
        if (p->max_iter > 0 && iter >= p->max_iter) {
            p->hit_max_iter = 1;
            break;
        }
        if ((iter & 1023) == 0 && (atomic_load(stop) || ml_interrupt_pending())) {
            st = ML_ECANCELLED;
            goto done;
        }
        if (p->shrinking && --counter == 0) {
            counter = shrink_every;
            sel_valid = 0;
            /* Shrink bounded variables that cannot take part: m, M over the active set. */
            double m = -INFINITY, Mn = INFINITY;
            for (int64_t q = 0; q < na; q++) {
                int64_t t = act[q];
                double v = -y[t] * G[t];
                if ((fl[t] & 1) && v > m) m = v;
                if ((fl[t] & 2) && v < Mn) Mn = v;
            }
            if (!unshrunk && m - Mn <= 10 * p->eps) {
                /* Close to the end: bring every variable back once. */
                unshrunk = 1;
                if ((st = reconstruct_gradient(p, G, act, na))) goto done;
                na = l;
            } else {
                for (int64_t q = 0; q < na;) {
                    int64_t t = act[q];
                    double v = -y[t] * G[t];
                    int up = fl[t] & 1, low = fl[t] >> 1;
                    int shrink = (up && !low && v < Mn) || (low && !up && v > m);
                    if (shrink) {
                        act[q] = act[na - 1];
                        act[na - 1] = t;
                        na--;
                    } else {
                        q++;
                    }
                }
            }
        }
        /* i: the maximal violator in I_up */
        if (!sel_valid) {
            Gmax = -INFINITY;
            i = -1;
            for (int64_t q = 0; q < na; q++) {
                int64_t t = act[q];
                double v = -y[t] * G[t];
                if ((fl[t] & 1) && v >= Gmax) {
                    Gmax = v;
                    i = t;
                }
            }
        }
        sel_valid = 0;
        const float *Ki = NULL;
        int64_t j = -1;
        double Gmax2 = -INFINITY;
        if (i >= 0) {
            int nh = cache.row[i] ? 0 : find_hints(act, na, fl, y, G, hint);
            Ki = cache_row(&cache, p, i, hint, nh, xbuf, kbuf);
            if (!Ki) {
                st = ML_ENOMEM;
                goto done;
            }
            /* the largest b^2 / a, kept as a fraction (bb / ba) to avoid a division per row */
            double bb = 0, ba = 1;
            for (int64_t q = 0; q < na; q++) {
                int64_t t = act[q];
                if (!(fl[t] & 2)) continue;
                double v = y[t] * G[t];
                if (v > Gmax2) Gmax2 = v;
                double b = Gmax + v;
                if (b > 0) {
                    double qa = (double)QD[i] + QD[t] - 2.0 * Ki[t];
                    if (qa <= 0) qa = SVC_TAU;
                    if (b * b * ba >= bb * qa) {
                        bb = b * b;
                        ba = qa;
                        j = t;
                    }
                }
            }
        }
        if (i < 0 || j < 0 || Gmax + Gmax2 < p->eps) {
            /* Optimal on the active set: check the whole problem. */
            if (na < l) {
                if ((st = reconstruct_gradient(p, G, act, na))) goto done;
                na = l;
                counter = shrink_every; /* check the whole set before shrinking again */
                unshrunk = 1;
                continue;
            }
            break;
        }
        iter++;
        int nh = cache.row[j] ? 0 : find_hints(act, na, fl, y, G, hint);
        const float *Kj = cache_row(&cache, p, j, hint, nh, xbuf, kbuf);
        if (!Kj) {
            st = ML_ENOMEM;
            goto done;
        }
        Ki = cache_row(&cache, p, i, NULL, 0, xbuf, kbuf); /* still cached: fetching j evicted at most half */
        double ai = a[i], aj = a[j];
        double kij = Ki[j];
        double quad = (double)QD[i] + QD[j] - 2.0 * kij;
        if (quad <= 0) quad = SVC_TAU;
        if (y[i] != y[j]) {
            double delta = (-G[i] - G[j]) / quad;
            double diff = a[i] - a[j];
            a[i] += delta;
            a[j] += delta;
            if (diff > 0) {
                if (a[j] < 0) {
                    a[j] = 0;
                    a[i] = diff;
                }
            } else if (a[i] < 0) {
                a[i] = 0;
                a[j] = -diff;
            }
            if (diff > 0) {
                if (a[i] > C) {
                    a[i] = C;
                    a[j] = C - diff;
                }
            } else if (a[j] > C) {
                a[j] = C;
                a[i] = C + diff;
            }
        } else {
            double delta = (G[i] - G[j]) / quad;
            double sum = a[i] + a[j];
            a[i] -= delta;
            a[j] += delta;
            if (sum > C) {
                if (a[i] > C) {
                    a[i] = C;
                    a[j] = sum - C;
                }
                if (a[j] > C) {
                    a[j] = C;
                    a[i] = sum - C;
                }
            } else {
                if (a[j] < 0) {
                    a[j] = 0;
                    a[i] = sum;
                }
                if (a[i] < 0) {
                    a[i] = 0;
                    a[j] = sum;
                }
            }
        }
        fl[i] = (unsigned char)(in_up(y[i], a[i], C) | in_low(y[i], a[i], C) << 1);
        fl[j] = (unsigned char)(in_up(y[j], a[j], C) | in_low(y[j], a[j], C) << 1);
        double di = (a[i] - ai) * y[i], dj = (a[j] - aj) * y[j];
        Gmax = -INFINITY;
        i = -1;
        for (int64_t q = 0; q < na; q++) {
            int64_t t = act[q];
            double g = G[t] + y[t] * (di * Ki[t] + dj * Kj[t]);
            G[t] = g;
            double v = -y[t] * g;
            if ((fl[t] & 1) && v >= Gmax) {
                Gmax = v;
                i = t;
            }
        }
        sel_valid = 1;
    }
    p->iters = iter;
    if (na < l && (st = reconstruct_gradient(p, G, act, na))) goto done;
    /* rho from the free variables, else the middle of the feasible interval */
    {
        double ub = INFINITY, lb = -INFINITY, sum = 0;
        int64_t nfree = 0;
        for (int64_t t = 0; t < l; t++) {
            double yG = y[t] * G[t];
            if (a[t] >= C) {
                if (y[t] < 0) ub = fmin(ub, yG);
                else lb = fmax(lb, yG);
            } else if (a[t] <= 0) {
                if (y[t] > 0) ub = fmin(ub, yG);
                else lb = fmax(lb, yG);
            } else {
                nfree++;
                sum += yG;
            }
        }
        p->rho = nfree > 0 ? sum / (double)nfree : (ub + lb) / 2;
    }
done:
    cache_free(&cache);
    free(xbuf);
    free(kbuf);
    free(fl);
    free(G);
    free(QD);
    free(act);
    return st;
}

/* ---- one-vs-one training ---- */

typedef struct svc_fit_ctx {
    const float *X;
    int64_t n, d;
    int K;
    const int64_t *order; /* training rows grouped by class (stable) */
    const int64_t *start; /* K + 1 */
    const float *nrm;     /* norms of the rows of X */
    svc_kernel k;
    double C, eps;
    size_t cache_bytes;
    int shrinking;
    int64_t max_iter;
    int npairs;
    int *pa, *pb;
    double **alpha; /* per pair, l values: class a's rows then class b's */
    double *rho;
    int64_t *iters;
    int *hitmax;
    atomic_int next, done, stop, err;
    const ml_progress *p;
    int cancelled;
} svc_fit_ctx;

static void svc_fit_worker(void *arg, int64_t begin, int64_t end, int w)
{
    (void)begin, (void)end;
    svc_fit_ctx *c = arg;
    int64_t d = c->d;
    for (;;) {
        if (atomic_load(&c->stop)) break;
        int q = atomic_fetch_add(&c->next, 1);
        if (q >= c->npairs) break;
        int a = c->pa[q], b = c->pb[q];
        int64_t na = c->start[a + 1] - c->start[a], nb = c->start[b + 1] - c->start[b], l = na + nb;
        svc_problem p;
        memset(&p, 0, sizeof p);
        float *Xp = malloc(sizeof(float) * (size_t)l * (size_t)d);
        float *np = malloc(sizeof(float) * (size_t)l);
        signed char *yp = malloc((size_t)l);
        double *al = malloc(sizeof(double) * (size_t)l);
        ml_status st = ML_ENOMEM;
        if (Xp && np && yp && al) {
            for (int64_t r = 0; r < l; r++) {
                int64_t row = r < na ? c->order[c->start[a] + r] : c->order[c->start[b] + r - na];
                memcpy(Xp + r * d, c->X + row * d, sizeof(float) * (size_t)d);
                np[r] = c->nrm[row];
                yp[r] = r < na ? 1 : -1;
            }
            p.l = l;
            p.d = d;
            p.X = Xp;
            p.nrm = np;
            p.y = yp;
            p.C = c->C;
            p.eps = c->eps;
            p.max_iter = c->max_iter;
            p.shrinking = c->shrinking;
            p.k = c->k;
            p.cache_bytes = c->cache_bytes;
            p.alpha = al;
            st = svc_solve(&p, &c->stop);
        }
        free(Xp);
        free(np);
        free(yp);
        if (st != ML_OK) {
            free(al);
            if (st != ML_ECANCELLED) atomic_store(&c->err, (int)st);
            atomic_store(&c->stop, 1);
            break;
        }
        c->alpha[q] = al;
        c->rho[q] = p.rho;
        c->iters[q] = p.iters;
        c->hitmax[q] = p.hit_max_iter;
        int done = atomic_fetch_add(&c->done, 1) + 1;
        if (w == 0 && ml_progress_update(c->p, "SVC", done, c->npairs) != ML_OK) {
            c->cancelled = 1;
            atomic_store(&c->stop, 1);
            break;
        }
    }
}

static ml_status svc_fit(ml_estimator *e, const ml_tensor *X, const ml_tensor *y, const ml_progress *prog)
{
    ml_svc *m = (ml_svc *)e;
    ml_status st;
    if (!X || X->ndim < 2) return ml_fail(ML_EINVAL, "SVC: X must be 2-D (rows x features)");
    if (!y) return ml_fail(ML_EINVAL, "SVC: fit needs the labels y");
    int64_t n = X->shape[0], d = ml_tensor_rowsize(X);
    if (ml_tensor_numel(y) != n)
        return ml_fail(ML_EINVAL, "SVC: X has %lld rows but y has %lld labels", (long long)n,
                       (long long)ml_tensor_numel(y));
    if (n < 1 || d < 1) return ml_fail(ML_EINVAL, "SVC: X is empty");
    if (ml_tensor_has_nonfinite(X)) return ml_fail(ML_EINVAL, "SVC: X contains NaN or infinite values");
    int K;
    if ((st = ml_check_labels(y, "SVC: y", &K))) return st;
    if (e->n_classes > K) K = e->n_classes;
    int64_t *count = calloc((size_t)K + 1, sizeof(int64_t));
    if (!count) return ML_ENOMEM;
    for (int64_t i = 0; i < n; i++) count[(int)y->data[i]]++;
    int present = 0;
    for (int c = 0; c < K; c++) present += count[c] > 0;
    if (present < 2) {
        free(count);
        return ml_fail(ML_EINVAL, "SVC: y needs at least 2 classes, got %d", present);
    }
    for (int c = 0; c < K; c++)
        if (count[c] == 0) {
            free(count);
            return ml_fail(ML_EINVAL, "SVC: y has no row of class %d (labels must be 0..%d, each present)", c,
                           K - 1);
        }

    svc_reset(e);
    /* gamma */
    double gamma = 1.0;
    if (m->gamma_mode == 2) {
        gamma = m->gamma_value;
    } else if (m->gamma_mode == 1) {
        gamma = 1.0 / (double)d;
    } else {
        double s = 0, s2 = 0;
        int64_t N = n * d;
        for (int64_t i = 0; i < N; i++) {
            s += X->data[i];
            s2 += (double)X->data[i] * X->data[i];
        }
        double mean = s / (double)N, var = s2 / (double)N - mean * mean;
        gamma = var > 0 ? 1.0 / ((double)d * var) : 1.0;
    }
    m->gamma = gamma;

    int npairs = K * (K - 1) / 2;
    svc_fit_ctx c;
    memset(&c, 0, sizeof c);
    c.X = X->data;
    c.n = n;
    c.d = d;
    c.K = K;
    c.k.type = m->kernel;
    c.k.gamma = (float)gamma;
    c.k.coef0 = (float)m->coef0;
    c.k.degree = m->degree;
    c.C = m->C;
    c.eps = m->tol;
    c.cache_bytes = (size_t)(m->cache_size * 1024.0 * 1024.0);
    c.shrinking = m->shrinking;
    c.max_iter = m->max_iter > 0 ? m->max_iter : (n * 100 > 10000000 ? n * 100 : 10000000);
    c.npairs = npairs;
    c.p = prog;
    int64_t *order = malloc(sizeof(int64_t) * (size_t)n);
    int64_t *start = malloc(sizeof(int64_t) * ((size_t)K + 1));
    float *nrm = malloc(sizeof(float) * (size_t)n);
    c.pa = malloc(sizeof(int) * (size_t)npairs);
    c.pb = malloc(sizeof(int) * (size_t)npairs);
    c.alpha = calloc((size_t)npairs, sizeof(double *));
    c.rho = calloc((size_t)npairs, sizeof(double));
    c.iters = calloc((size_t)npairs, sizeof(int64_t));
    c.hitmax = calloc((size_t)npairs, sizeof(int));
    int64_t *fill = calloc((size_t)K, sizeof(int64_t));
    char *is_sv = calloc((size_t)n, 1);
    if (!order || !start || !nrm || !c.pa || !c.pb || !c.alpha || !c.rho || !c.iters || !c.hitmax || !fill ||
        !is_sv) {
        st = ml_fail(ML_ENOMEM, "SVC: out of memory");
        goto done;
    }
    start[0] = 0;
    for (int k = 0; k < K; k++) start[k + 1] = start[k] + count[k];
    for (int64_t i = 0; i < n; i++) {
        int k = (int)y->data[i];
        order[start[k] + fill[k]++] = i;
    }
    row_norms(X->data, n, d, nrm);
    c.order = order;
    c.start = start;
    c.nrm = nrm;
    for (int a = 0, q = 0; a < K; a++)
        for (int b = a + 1; b < K; b++, q++) {
            c.pa[q] = a;
            c.pb[q] = b;
        }
    atomic_init(&c.next, 0);
    atomic_init(&c.done, 0);
    atomic_init(&c.stop, 0);
    atomic_init(&c.err, 0);
    ml_parallel_for(ml_get_threads() < npairs ? ml_get_threads() : npairs, 1, svc_fit_worker, &c);
    if (c.cancelled) {
        st = ml_fail(ML_ECANCELLED, "SVC: cancelled after %d of %d class pairs", atomic_load(&c.done), npairs);
        goto done;
    }
    if (atomic_load(&c.err)) {
        st = ml_fail(ML_ENOMEM, "SVC: out of memory while training (cache_size = %g MB)", m->cache_size);
        goto done;
    }
    if (atomic_load(&c.done) < npairs) { /* cancelled by an interrupt seen in a solver */
        st = ml_fail(ML_ECANCELLED, "SVC: cancelled after %d of %d class pairs", atomic_load(&c.done), npairs);
        goto done;
    }

    /* Support vectors: rows with a non-zero coefficient in any of their pairs. */
    for (int q = 0; q < npairs; q++) {
        int a = c.pa[q], b = c.pb[q];
        int64_t na = count[a], nb = count[b];
        for (int64_t r = 0; r < na + nb; r++)
            if (c.alpha[q][r] > 0) is_sv[r < na ? start[a] + r : start[b] + r - na] = 1;
    }
    int64_t nsv = 0;
    m->sv_start = malloc(sizeof(int64_t) * ((size_t)K + 1));
    int64_t *svpos = malloc(sizeof(int64_t) * (size_t)n); /* position in `order` -> SV index or -1 */
    if (!m->sv_start || !svpos) {
        free(svpos);
        st = ml_fail(ML_ENOMEM, "SVC: out of memory");
        goto done;
    }
    for (int k = 0; k < K; k++) {
        m->sv_start[k] = nsv;
        for (int64_t r = start[k]; r < start[k + 1]; r++) svpos[r] = is_sv[r] ? nsv++ : -1;
    }
    m->sv_start[K] = nsv;
    m->n_sv = (int)nsv;
    m->sv = ml_tensor_new2(nsv, d);
    m->support = ml_tensor_new1(nsv);
    m->dual_coef = ml_tensor_new2(K - 1, nsv);
    m->rho = ml_tensor_new1(npairs);
    if (!m->sv || !m->support || !m->dual_coef || !m->rho) {
        free(svpos);
        st = ml_fail(ML_ENOMEM, "SVC: out of memory");
        goto done;
    }
    for (int64_t r = 0; r < n; r++)
        if (svpos[r] >= 0) {
            memcpy(m->sv->data + svpos[r] * d, X->data + order[r] * d, sizeof(float) * (size_t)d);
            m->support->data[svpos[r]] = (float)order[r];
        }
    int hit = 0;
    for (int q = 0; q < npairs; q++) {
        int a = c.pa[q], b = c.pb[q];
        int64_t na = count[a], nb = count[b];
        for (int64_t r = 0; r < na + nb; r++) {
            double al = c.alpha[q][r];
            if (al <= 0) continue;
            if (r < na) m->dual_coef->data[(int64_t)(b - 1) * nsv + svpos[start[a] + r]] = (float)al;
            else m->dual_coef->data[(int64_t)a * nsv + svpos[start[b] + r - na]] = (float)-al;
        }
        m->rho->data[q] = (float)c.rho[q];
        m->n_iter += c.iters[q];
        hit |= c.hitmax[q];
    }
    free(svpos);
    if (hit)
        snprintf(e->warning, sizeof e->warning,
                 "ConvergenceWarning: the solver stopped at max_iter = %lld iterations in some class pairs; "
                 "consider scaling the data or raising max_iter",
                 (long long)c.max_iter);
    e->n_classes = K;
    e->n_features_in = d;
    st = ML_OK;
done:
    if (st != ML_OK) svc_reset(e);
    if (c.alpha)
        for (int q = 0; q < npairs; q++) free(c.alpha[q]);
    free(c.alpha);
    free(c.rho);
    free(c.iters);
    free(c.hitmax);
    free(c.pa);
    free(c.pb);
    free(order);
    free(start);
    free(nrm);
    free(fill);
    free(is_sv);
    free(count);
    return st;
}

/* ---- prediction ---- */

typedef struct svc_pred_ctx {
    const ml_svc *m;
    const float *X;
    int64_t n, d;
    int K, npairs;
    const float *svn; /* norms of the SVs */
    float *Kbuf;      /* per worker: SVC_PRED_BLOCK x n_sv */
    float *xn;        /* per worker: SVC_PRED_BLOCK */
    const float *coef; /* npairs x n_sv: each pair's coefficients, zero outside its two classes */
    float *out;       /* n x npairs, one-vs-one decision values */
} svc_pred_ctx;

static void svc_pred_worker(void *arg, int64_t begin, int64_t end, int w)
{
    svc_pred_ctx *c = arg;
    const ml_svc *m = c->m;
    int64_t nsv = m->n_sv, d = c->d;
    float *Kb = c->Kbuf + (size_t)w * SVC_PRED_BLOCK * (size_t)nsv;
    float *xn = c->xn + (size_t)w * SVC_PRED_BLOCK;
    svc_kernel k = {m->kernel, (float)m->gamma, (float)m->coef0, m->degree};
    for (int64_t blk = begin; blk < end; blk++) {
        int64_t r0 = blk * SVC_PRED_BLOCK;
        int64_t B = c->n - r0 < SVC_PRED_BLOCK ? c->n - r0 : SVC_PRED_BLOCK;
        const float *Xb = c->X + r0 * d;
        ml_gemm(0, 1, B, nsv, d, 1.0f, Xb, d, m->sv->data, d, 0.0f, Kb, nsv);
        row_norms(Xb, B, d, xn);
        for (int64_t r = 0; r < B; r++) {
            float *kr = Kb + r * nsv;
            kernel_from_dots(&k, kr, nsv, xn[r], c->svn);
            float *o = c->out + (r0 + r) * c->npairs;
            for (int q = 0; q < c->npairs; q++) o[q] = -m->rho->data[q];
        }
        /* every pair's decision values at once: out += K(block, SV) coef^T */
        ml_gemm(0, 1, B, c->npairs, nsv, 1.0f, Kb, nsv, c->coef, nsv, 1.0f, c->out + r0 * c->npairs, c->npairs);
    }
}

static ml_status svc_check_X(const ml_svc *m, const ml_tensor *X)
{
    if (!m->sv) return ml_fail(ML_ESTATE, "SVC: not fitted yet; call fit first");
    if (!X || X->ndim < 2) return ml_fail(ML_EINVAL, "SVC: X must be 2-D (rows x features)");
    if (ml_tensor_rowsize(X) != m->sv->shape[1])
        return ml_fail(ML_EINVAL, "SVC: X has %lld features, but the model was fitted with %lld",
                       (long long)ml_tensor_rowsize(X), (long long)m->sv->shape[1]);
    return ML_OK;
}

/* n x npairs one-vs-one decision values (libsvm's signs: > 0 votes for the lower class). */
static ml_status svc_ovo(const ml_svc *m, const ml_tensor *X, ml_tensor **out)
{
    ml_status st = svc_check_X(m, X);
    if (st) return st;
    int K = m->base.n_classes, npairs = K * (K - 1) / 2;
    int64_t n = X->shape[0], d = m->sv->shape[1], nsv = m->n_sv;
    int nth = ml_get_threads();
    svc_pred_ctx c = {m, X->data, n, d, K, npairs, NULL, NULL, NULL, NULL, NULL};
    float *coef = calloc((size_t)npairs * (size_t)(nsv ? nsv : 1), sizeof(float));
    float *svn = malloc(sizeof(float) * (size_t)(nsv ? nsv : 1));
    c.Kbuf = malloc(sizeof(float) * (size_t)nth * SVC_PRED_BLOCK * (size_t)(nsv ? nsv : 1));
    c.xn = malloc(sizeof(float) * (size_t)nth * SVC_PRED_BLOCK);
    ml_tensor *o = ml_tensor_new2(n, npairs);
    if (!svn || !c.Kbuf || !c.xn || !o || !coef) {
        free(coef);
        free(svn);
        free(c.Kbuf);
        free(c.xn);
        ml_tensor_free(o);
        return ml_fail(ML_ENOMEM, "SVC: out of memory");
    }
    row_norms(m->sv->data, nsv, d, svn);
    for (int a = 0, q = 0; a < K; a++)
        for (int b = a + 1; b < K; b++, q++) {
            float *cq = coef + (int64_t)q * nsv;
            for (int64_t t = m->sv_start[a]; t < m->sv_start[a + 1]; t++)
                cq[t] = m->dual_coef->data[(int64_t)(b - 1) * nsv + t];
            for (int64_t t = m->sv_start[b]; t < m->sv_start[b + 1]; t++)
                cq[t] = m->dual_coef->data[(int64_t)a * nsv + t];
        }
    c.coef = coef;
    c.svn = svn;
    c.out = o->data;
    ml_parallel_for((n + SVC_PRED_BLOCK - 1) / SVC_PRED_BLOCK, 1, svc_pred_worker, &c);
    free(coef);
    free(svn);
    free(c.Kbuf);
    free(c.xn);
    *out = o;
    return ML_OK;
}

static ml_status svc_predict(const ml_estimator *e, const ml_tensor *X, ml_tensor **out)
{
    const ml_svc *m = (const ml_svc *)e;
    ml_tensor *D;
    ml_status st = svc_ovo(m, X, &D);
    if (st) return st;
    int K = e->n_classes, npairs = K * (K - 1) / 2;
    int64_t n = X->shape[0];
    ml_tensor *y = ml_tensor_new1(n);
    int *votes = calloc((size_t)K, sizeof(int));
    if (!y || !votes) {
        ml_tensor_free(D);
        ml_tensor_free(y);
        free(votes);
        return ML_ENOMEM;
    }
    for (int64_t i = 0; i < n; i++) {
        memset(votes, 0, sizeof(int) * (size_t)K);
        const float *dv = D->data + i * npairs;
        for (int a = 0, q = 0; a < K; a++)
            for (int b = a + 1; b < K; b++, q++) votes[dv[q] > 0 ? a : b]++;
        int best = 0;
        for (int k = 1; k < K; k++)
            if (votes[k] > votes[best]) best = k;
        y->data[i] = (float)best;
    }
    free(votes);
    ml_tensor_free(D);
    *out = y;
    return ML_OK;
}

static ml_status svc_decision_function(const ml_estimator *e, const ml_tensor *X, ml_tensor **out)
{
    const ml_svc *m = (const ml_svc *)e;
    ml_tensor *D;
    ml_status st = svc_ovo(m, X, &D);
    if (st) return st;
    int K = e->n_classes, npairs = K * (K - 1) / 2;
    int64_t n = X->shape[0];
    if (K == 2) { /* scikit-learn: one value per row, > 0 for class 1 */
        for (int64_t i = 0; i < n; i++) D->data[i] = -D->data[i];
        ml_tensor *v = ml_tensor_reshape(D, 1, &n);
        ml_tensor_free(D);
        if (!v) return ML_ENOMEM;
        *out = v;
        return ML_OK;
    }
    if (!m->ovr) {
        *out = D;
        return ML_OK;
    }
    /* "ovr": votes plus confidences squashed into (-1/3, 1/3), as scikit-learn */
    ml_tensor *o = ml_tensor_new2(n, K);
    double *conf = calloc((size_t)K, sizeof(double));
    if (!o || !conf) {
        ml_tensor_free(D);
        ml_tensor_free(o);
        free(conf);
        return ML_ENOMEM;
    }
    for (int64_t i = 0; i < n; i++) {
        float *r = o->data + i * K;
        memset(conf, 0, sizeof(double) * (size_t)K);
        const float *dv = D->data + i * npairs;
        for (int a = 0, q = 0; a < K; a++)
            for (int b = a + 1; b < K; b++, q++) {
                conf[a] += dv[q];
                conf[b] -= dv[q];
                r[dv[q] > 0 ? a : b] += 1.0f;
            }
        for (int k = 0; k < K; k++) r[k] += (float)(conf[k] / (3.0 * (fabs(conf[k]) + 1.0)));
    }
    free(conf);
    ml_tensor_free(D);
    *out = o;
    return ML_OK;
}

/* ---- attributes and files ---- */

static ml_status put_tensor(ml_value *v, ml_tensor *t)
{
    if (!t) return ML_ENOMEM;
    *v = ml_none();
    v->kind = ML_VAL_TENSOR;
    v->tensor = t;
    return ML_OK;
}

static ml_status svc_get_attr(const ml_estimator *e, const char *name, ml_value *v)
{
    const ml_svc *m = (const ml_svc *)e;
    if (!m->sv) return ml_fail(ML_ESTATE, "SVC: '%s' is known only after fit", name);
    int K = e->n_classes;
    if (strcmp(name, "support_vectors") == 0) return put_tensor(v, ml_tensor_clone(m->sv));
    if (strcmp(name, "support") == 0) return put_tensor(v, ml_tensor_clone(m->support));
    if (strcmp(name, "n_support") == 0) {
        ml_tensor *t = ml_tensor_new1(K);
        if (t)
            for (int k = 0; k < K; k++) t->data[k] = (float)(m->sv_start[k + 1] - m->sv_start[k]);
        return put_tensor(v, t);
    }
    if (strcmp(name, "dual_coef") == 0 || strcmp(name, "intercept") == 0) {
        int dc = name[0] == 'd';
        ml_tensor *t = dc ? ml_tensor_clone(m->dual_coef) : ml_tensor_new1(m->rho->shape[0]);
        if (!t) return ML_ENOMEM;
        if (!dc)
            for (int64_t q = 0; q < m->rho->shape[0]; q++) t->data[q] = -m->rho->data[q];
        if (K == 2) { /* scikit-learn flips both for two classes */
            int64_t nn = ml_tensor_numel(t);
            for (int64_t i = 0; i < nn; i++) t->data[i] = -t->data[i];
        }
        return put_tensor(v, t);
    }
    if (strcmp(name, "gamma_") == 0) *v = ml_num(m->gamma);
    else if (strcmp(name, "n_iter") == 0) *v = ml_num((double)m->n_iter);
    else return ml_fail(ML_EINVAL, "SVC: unknown attribute '%s'", name);
    return ML_OK;
}

static ml_status svc_save(const ml_estimator *e, ml_mfile_w *w)
{
    const ml_svc *m = (const ml_svc *)e;
    ml_status st;
    int K = e->n_classes;
    ml_tensor *ns = ml_tensor_new1(K);
    if (!ns) return ML_ENOMEM;
    for (int k = 0; k < K; k++) ns->data[k] = (float)(m->sv_start[k + 1] - m->sv_start[k]);
    st = ml_mfile_put_tensor(w, "n_support", ns);
    ml_tensor_free(ns);
    if (!st) st = ml_mfile_put_tensor(w, "support_vectors", m->sv);
    if (!st) st = ml_mfile_put_tensor(w, "support", m->support);
    if (!st) st = ml_mfile_put_tensor(w, "dual_coef", m->dual_coef);
    if (!st) st = ml_mfile_put_tensor(w, "rho", m->rho);
    if (!st) st = ml_mfile_put_f64(w, "gamma", m->gamma);
    if (!st) st = ml_mfile_put_i64(w, "n_iter", m->n_iter);
    return st;
}

static ml_status svc_load(ml_estimator *e, const ml_mfile *r)
{
    ml_svc *m = (ml_svc *)e;
    ml_tensor *ns = NULL;
    ml_status st;
    int K = e->n_classes;
    const char *path = ml_mfile_path(r);
    svc_reset(e);
    if ((st = ml_mfile_get_tensor(r, "n_support", &ns))) goto bad;
    if ((st = ml_mfile_get_tensor(r, "support_vectors", &m->sv))) goto bad;
    if ((st = ml_mfile_get_tensor(r, "support", &m->support))) goto bad;
    if ((st = ml_mfile_get_tensor(r, "dual_coef", &m->dual_coef))) goto bad;
    if ((st = ml_mfile_get_tensor(r, "rho", &m->rho))) goto bad;
    if ((st = ml_mfile_get_f64(r, "gamma", &m->gamma))) goto bad;
    if ((st = ml_mfile_get_i64(r, "n_iter", &m->n_iter))) goto bad;
    int64_t nsv = m->sv->shape[0];
    if (K < 2 || ml_tensor_numel(ns) != K || m->sv->ndim != 2 || m->sv->shape[1] != e->n_features_in ||
        ml_tensor_numel(m->support) != nsv || m->dual_coef->ndim != 2 || m->dual_coef->shape[0] != K - 1 ||
        m->dual_coef->shape[1] != nsv || ml_tensor_numel(m->rho) != K * (K - 1) / 2 || !(m->gamma > 0)) {
        st = ml_fail(ML_EFORMAT, "%s: SVC sections do not fit together", path);
        goto bad;
    }
    m->sv_start = malloc(sizeof(int64_t) * ((size_t)K + 1));
    if (!m->sv_start) {
        st = ML_ENOMEM;
        goto bad;
    }
    m->sv_start[0] = 0;
    for (int k = 0; k < K; k++) {
        float c = ns->data[k];
        if (!(c >= 0) || c != floorf(c)) {
            st = ml_fail(ML_EFORMAT, "%s: SVC n_support is malformed", path);
            goto bad;
        }
        m->sv_start[k + 1] = m->sv_start[k] + (int64_t)c;
    }
    if (m->sv_start[K] != nsv) {
        st = ml_fail(ML_EFORMAT, "%s: SVC n_support does not add up to the support vectors", path);
        goto bad;
    }
    m->n_sv = (int)nsv;
    ml_tensor_free(ns);
    return ML_OK;
bad:
    ml_tensor_free(ns);
    svc_reset(e);
    return st;
}

const ml_estimator_class ml_svc_class = {
    .name = "SVC",
    .type = ML_CLASSIFIER,
    .size = sizeof(ml_svc),
    .params = svc_params,
    .attrs = svc_attrs,
    .init = svc_init,
    .destroy = svc_destroy,
    .reset = svc_reset,
    .set_param = svc_set_param,
    .get_param = svc_get_param,
    .fit = svc_fit,
    .predict = svc_predict,
    .decision_function = svc_decision_function,
    .get_attr = svc_get_attr,
    .save = svc_save,
    .load = svc_load,
};
