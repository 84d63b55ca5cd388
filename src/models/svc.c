#include "models/svc.h"

#include <limits.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/blas.h"
#include "core/parallel.h"
#include "core/rng.h"
#include "data/split.h"

#define SVC_TAU 1e-12
#define SVC_PRED_BLOCK 256

static const char *const svc_params[] = {"C", "kernel", "degree", "gamma", "coef0", "tol", "cache_size",
                                         "shrinking", "max_iter", "decision_function_shape", "probability", NULL};
static const char *const svc_attrs[] = {"support", "support_vectors", "n_support", "dual_coef", "intercept",
                                        "gamma_", "n_iter", "classes", NULL};
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
    m->probability = 0;
}

static void svc_reset(ml_estimator *e)
{
    ml_svc *m = (ml_svc *)e;
    ml_tensor_free(m->sv);
    ml_tensor_free(m->dual_coef);
    ml_tensor_free(m->rho);
    ml_tensor_free(m->support);
    ml_tensor_free(m->classes);
    free(m->sv_start);
    free(m->prob_a);
    free(m->prob_b);
    m->prob_a = m->prob_b = NULL;
    m->sv = m->dual_coef = m->rho = m->support = m->classes = NULL;
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
    } else if (strcmp(name, "probability") == 0) {
        if (v->kind != ML_VAL_BOOL && v->kind != ML_VAL_NUM)
            return ml_fail(ML_EINVAL, "SVC: probability must be a boolean");
        m->probability = v->num != 0;
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
    else if (strcmp(name, "probability") == 0) *v = ml_bool(m->probability);
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
typedef float v8sf __attribute__((vector_size(32)));
typedef int v8si __attribute__((vector_size(32)));

/* e^x for x <= 0, a vector at a time: x = n ln2 + r with |r| <= ln2/2, e^r by
 * a degree-6 polynomial (relative error about 2e-7, as expf), times 2^n
 * built in the exponent bits.  Below -87 the result is 0 (float underflow).
 * The same operations per lane at either width (SSE2: 4, AVX2: 8), so both
 * give the same bits. */
#define SVC_EXP_NEG(VF, VI, x)                                                                                    \
    do {                                                                                                          \
        const VF lo_ = (VF){0} - 87.0f;                                                                           \
        VI under_ = x < lo_; /* -1 where true */                                                                  \
        x = (VF)(((VI)lo_ & under_) | ((VI)x & ~under_));                                                         \
        VF t_ = x * 1.44269504088896341f + 0.5f;                                                                  \
        VI n_ = __builtin_convertvector(t_, VI); /* truncates toward zero */                                      \
        VF fn_ = __builtin_convertvector(n_, VF);                                                                 \
        n_ += (VI)(fn_ > t_); /* -1 where truncation rounded up: floor */                                         \
        fn_ = __builtin_convertvector(n_, VF);                                                                    \
        VF r_ = x - fn_ * 0.693359375f + fn_ * 2.12194440e-4f;                                                    \
        VF p_ = r_ * 0.0f + 1.9875691500e-4f;                                                                     \
        p_ = p_ * r_ + 1.3981999507e-3f;                                                                          \
        p_ = p_ * r_ + 8.3334519073e-3f;                                                                          \
        p_ = p_ * r_ + 4.1665795894e-2f;                                                                          \
        p_ = p_ * r_ + 1.6666665459e-1f;                                                                          \
        p_ = p_ * r_ + 5.0000001201e-1f;                                                                          \
        p_ = p_ * (r_ * r_) + r_ + 1.0f;                                                                          \
        VI bits_ = (n_ + 127) << 23;                                                                              \
        VF e_ = p_ * (VF)bits_;                                                                                   \
        x = (VF)((VI)e_ & ~under_);                                                                               \
    } while (0)

/* v[j] <- kernel value from the dot product v[j]; na = |a|^2 of the row's
 * point, nb[j] of the columns' (rbf).  A partial last vector goes through a
 * padded copy: every value is computed the same way wherever it falls. */
#define SVC_RBF_STEP(VF, VI, dv, nv)                                                                              \
    VF d2 = na + nv - 2.0f * dv;                                                                                  \
    d2 = (VF)((VI)d2 & (d2 > 0.0f)); /* negative rounding -> 0 */                                                 \
    VF e = -k->gamma * d2;                                                                                        \
    SVC_EXP_NEG(VF, VI, e);

#define SVC_POLY_STEP(VF, x)                                                                                      \
    VF r = (VF){0} + 1.0f;                                                                                        \
    x = k->gamma * x + k->coef0;                                                                                  \
    for (int ex = k->degree; ex > 0; ex >>= 1) { /* as ipow */                                                    \
        if (ex & 1) r *= x;                                                                                       \
        x *= x;                                                                                                   \
    }

#define SVC_KERNEL_BODY(VF, VI, W)                                                                                \
    int64_t j = 0, m = n % (W);                                                                                   \
    float bv[W] = {0}, bn[W] = {0};                                                                               \
    switch (k->type) {                                                                                            \
    case ML_SVC_LINEAR: break;                                                                                    \
    case ML_SVC_RBF:                                                                                              \
        for (; j + (W) <= n; j += (W)) {                                                                          \
            VF dv, nv;                                                                                            \
            memcpy(&dv, v + j, sizeof dv);                                                                        \
            memcpy(&nv, nb + j, sizeof nv);                                                                       \
            SVC_RBF_STEP(VF, VI, dv, nv)                                                                          \
            memcpy(v + j, &e, sizeof e);                                                                          \
        }                                                                                                         \
        if (m) {                                                                                                  \
            memcpy(bv, v + j, sizeof(float) * (size_t)m);                                                         \
            memcpy(bn, nb + j, sizeof(float) * (size_t)m);                                                        \
            VF dv, nv;                                                                                            \
            memcpy(&dv, bv, sizeof dv);                                                                           \
            memcpy(&nv, bn, sizeof nv);                                                                           \
            SVC_RBF_STEP(VF, VI, dv, nv)                                                                          \
            memcpy(bv, &e, sizeof e);                                                                             \
            memcpy(v + j, bv, sizeof(float) * (size_t)m);                                                         \
        }                                                                                                         \
        break;                                                                                                    \
    case ML_SVC_POLY:                                                                                             \
        for (; j + (W) <= n; j += (W)) {                                                                          \
            VF x;                                                                                                 \
            memcpy(&x, v + j, sizeof x);                                                                          \
            SVC_POLY_STEP(VF, x)                                                                                  \
            memcpy(v + j, &r, sizeof r);                                                                          \
        }                                                                                                         \
        if (m) {                                                                                                  \
            memcpy(bv, v + j, sizeof(float) * (size_t)m);                                                         \
            VF x;                                                                                                 \
            memcpy(&x, bv, sizeof x);                                                                             \
            SVC_POLY_STEP(VF, x)                                                                                  \
            memcpy(bv, &r, sizeof r);                                                                             \
            memcpy(v + j, bv, sizeof(float) * (size_t)m);                                                         \
        }                                                                                                         \
        break;                                                                                                    \
    case ML_SVC_SIGMOID:                                                                                          \
        for (; j < n; j++) v[j] = tanhf(k->gamma * v[j] + k->coef0);                                              \
        break;                                                                                                    \
    }

static void kernel_from_dots_sse(const svc_kernel *k, float *v, int64_t n, float na, const float *nb)
{
    SVC_KERNEL_BODY(v4sf, v4si, 4)
}

#if defined(__x86_64__) || defined(__i386__)
#define SVC_HAVE_AVX2 1
__attribute__((target("avx2"))) static void kernel_from_dots_avx2(const svc_kernel *k, float *v, int64_t n,
                                                                  float na, const float *nb)
{
    SVC_KERNEL_BODY(v8sf, v8si, 8)
}
#endif

/* AVX2 where the processor has it (checked once). */
static int svc_use_avx2(void)
{
#ifdef SVC_HAVE_AVX2
    static int v = -1;
    if (v < 0) v = ml_simd_allowed() && __builtin_cpu_supports("avx2");
    return v;
#else
    return 0;
#endif
}

static void kernel_from_dots(const svc_kernel *k, float *v, int64_t n, float na, const float *nb)
{
#ifdef SVC_HAVE_AVX2
    if (svc_use_avx2()) {
        kernel_from_dots_avx2(k, v, n, na, nb);
        return;
    }
#endif
    kernel_from_dots_sse(k, v, n, na, nb);
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

/* ---- skinny products: a few kernel rows against many points ----
 *
 * out[q][t] = sum_j xq[q][j] * bt[j][t] for q < nb <= 8: the points' matrix
 * is stored transposed (features x points), a vector of points at a time,
 * the nb accumulators in registers; it is read once per call and never
 * repacked (ml_gemm's packing of the whole points' matrix cost more than the
 * product itself for the one to eight rows the solver asks at a time).  Each
 * value sums its d products in order, whatever the vector width, so the SSE2
 * and AVX2 versions give the same bits. */

#define SVC_KDOTS_BODY(VT, W)                                                                                     \
    int64_t t = 0;                                                                                                \
    for (; t + (W) <= n; t += (W)) {                                                                              \
        VT acc[8];                                                                                                \
        for (int q = 0; q < nb; q++) acc[q] = (VT){0};                                                            \
        const float *b = bt + t;                                                                                  \
        for (int64_t j = 0; j < d; j++, b += ldb) {                                                               \
            VT v;                                                                                                 \
            memcpy(&v, b, sizeof v);                                                                              \
            for (int q = 0; q < nb; q++) acc[q] += xq[q * d + j] * v;                                             \
        }                                                                                                         \
        for (int q = 0; q < nb; q++) memcpy(out + q * ldo + t, &acc[q], sizeof acc[q]);                           \
    }                                                                                                             \
    for (; t < n; t++)                                                                                            \
        for (int q = 0; q < nb; q++) {                                                                            \
            float s = 0;                                                                                          \
            for (int64_t j = 0; j < d; j++) s += xq[q * d + j] * bt[j * ldb + t];                                 \
            out[q * ldo + t] = s;                                                                                 \
        }

static inline __attribute__((always_inline)) void kdots_sse(const int nb, const float *xq, int64_t d,
                                                            const float *bt, int64_t ldb, int64_t n, float *out,
                                                            int64_t ldo)
{
    SVC_KDOTS_BODY(v4sf, 4)
}

static inline __attribute__((always_inline, target("avx2"))) void kdots_avx(const int nb, const float *xq, int64_t d,
                                                                            const float *bt, int64_t ldb, int64_t n,
                                                                            float *out, int64_t ldo)
{
    SVC_KDOTS_BODY(v8sf, 8)
}

#define SVC_KDOTS_CASES X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8)
#define X(k)                                                                                                      \
    static void kdots_sse_##k(const float *xq, int64_t d, const float *bt, int64_t ldb, int64_t n, float *out,     \
                              int64_t ldo)                                                                        \
    {                                                                                                             \
        kdots_sse(k, xq, d, bt, ldb, n, out, ldo);                                                                \
    }                                                                                                             \
    __attribute__((target("avx2"))) static void kdots_avx_##k(const float *xq, int64_t d, const float *bt,         \
                                                              int64_t ldb, int64_t n, float *out, int64_t ldo)    \
    {                                                                                                             \
        kdots_avx(k, xq, d, bt, ldb, n, out, ldo);                                                                \
    }
SVC_KDOTS_CASES
#undef X

static void kdots(int nb, const float *xq, int64_t d, const float *bt, int64_t ldb, int64_t n, float *out,
                  int64_t ldo)
{
    int avx = svc_use_avx2();
    for (int q0 = 0; q0 < nb; q0 += 8) {
        int k = nb - q0 < 8 ? nb - q0 : 8;
        const float *x = xq + q0 * d;
        float *o = out + q0 * ldo;
        if (avx) {
            switch (k) {
#define X(c)                                                                                                      \
    case c: kdots_avx_##c(x, d, bt, ldb, n, o, ldo); break;
                SVC_KDOTS_CASES
#undef X
            }
        } else {
            switch (k) {
#define X(c)                                                                                                      \
    case c: kdots_sse_##c(x, d, bt, ldb, n, o, ldo); break;
                SVC_KDOTS_CASES
#undef X
            }
        }
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

#define SVC_NEWTON_MAX 96   /* free variables at most in a Newton step */
#define SVC_NEWTON_EVERY 64 /* iterations between Newton steps */
#define SVC_FULL INT_MIN /* a cached row's epoch when it holds all l values */
#define SVC_BLOCK 8      /* kernel rows computed per product: the row asked for and likely next ones */
#define SVC_MISS_BLOCK 256 /* values completed per product in a stale row */

/* LRU cache of kernel rows, each l floats indexed by training row.  A row
 * computed while the problem was shrunk holds only the values of the rows
 * active then (libsvm computes such partial rows too; the others are NaN): it
 * is valid as long as the active set only shrinks, and after an unshrink (a
 * new epoch) its missing values are computed when it is next used. */
typedef struct svc_cache {
    int64_t l;
    float **row;          /* l entries, NULL when absent */
    int *epoch;           /* per present row: SVC_FULL or the epoch it was computed in */
    int64_t *prev, *next; /* LRU list of present rows; head = most recent */
    int64_t head, tail;
    int64_t n_rows, max_rows;
} svc_cache;

/* The solver's state.  The active set is kept as ascending row indices
 * act[0..na), with compact per-position copies of what the two passes of an
 * iteration read (gradient, label, diagonal, bound flags), so that those
 * passes stream through memory; only kernel values are fetched by index. */
typedef struct svc_solver {
    const svc_problem *p;
    int64_t l, d;
    double C;
    double *G;           /* l: gradient by row (current for active rows once written back) */
    float *QD;           /* l: K(t, t) */
    int32_t *act;        /* na active rows, ascending */
    int64_t na;
    double *Ga;          /* gradient, by active position */
    double *ya;          /* +1 / -1 */
    float *QDa;
    unsigned char *fla;  /* bit 0: in I_up, bit 1: in I_low */
    float *XT;           /* d x l: X transposed, for kernel rows */
    float *Xa, *nrma;    /* active rows of X (transposed, d x na) and their norms, rebuilt when a partial row is needed */
    int xa_valid;
    int epoch;           /* + 1 at every unshrink */
    svc_cache cache;
    float *xbuf, *kbuf;  /* SVC_BLOCK x d, SVC_BLOCK x l */
    double *nt_M, *nt_u, *nt_v; /* Newton step: SVC_NEWTON_MAX^2, SVC_NEWTON_MAX, SVC_NEWTON_MAX */
    int32_t *miss;       /* l: rows a stale kernel row lacks */
    float *xm, *nrmm, *km; /* SVC_MISS_BLOCK x d, SVC_MISS_BLOCK, SVC_MISS_BLOCK */
} svc_solver;

/* ---- the two passes of an SMO iteration ----
 *
 * update: G[q] += y[q] (di Ki[act[q]] + dj Kj[act[q]]) over the active
 * positions, returning the next i (the largest -y G in I_up, the last one on
 * ties) and its value.  select: for the chosen i, the j in I_low of the
 * largest b^2 / a (b = Gmax + y G > 0, a = QD_i + QD_j - 2 K_ij), kept as a
 * fraction to avoid a division per row, and the largest y G in I_low.  An
 * AVX2 version runs four positions at a time (the same operations per
 * position; a tie between positions of different lanes may resolve
 * differently from the scalar order). */
typedef struct svc_pass {
    const int32_t *act;
    double *Ga;
    const double *ya;
    const float *QDa;
    const unsigned char *fla;
    int64_t na;
} svc_pass;

/* Positions [q, na) one at a time, from the best so far (Gmax, qi): the
 * whole pass without AVX2, the tail after the last four with it. */
static int64_t update_from(const svc_pass *s, const float *Ki, const float *Kj, double di, double dj, int64_t q,
                           double Gmax, int64_t qi, double *gmax)
{
    for (; q < s->na; q++) {
        int32_t t = s->act[q];
        double g = s->Ga[q] + s->ya[q] * (di * Ki[t] + dj * Kj[t]);
        s->Ga[q] = g;
        double v = -s->ya[q] * g;
        if ((s->fla[q] & 1) && v >= Gmax) {
            Gmax = v;
            qi = q;
        }
    }
    *gmax = Gmax;
    return qi;
}

static int64_t pass_update_scalar(const svc_pass *s, const float *Ki, const float *Kj, double di, double dj,
                                  double *gmax)
{
    return update_from(s, Ki, Kj, di, dj, 0, -INFINITY, -1, gmax);
}

/* Likewise for the second choice, from the best so far (Gmax2, bb/ba, qj). */
static int64_t select_from(const svc_pass *s, const float *Ki, double QDi, double Gmax, int64_t q, double Gmax2,
                           double bb, double ba, int64_t qj, double *gmax2)
{
    for (; q < s->na; q++) {
        if (!(s->fla[q] & 2)) continue;
        double v = s->ya[q] * s->Ga[q];
        if (v > Gmax2) Gmax2 = v;
        double b = Gmax + v;
        if (b > 0) {
            double qa = QDi + s->QDa[q] - 2.0 * Ki[s->act[q]];
            if (qa <= 0) qa = SVC_TAU;
            if (b * b * ba >= bb * qa) {
                bb = b * b;
                ba = qa;
                qj = q;
            }
        }
    }
    *gmax2 = Gmax2;
    return qj;
}

static int64_t pass_select_scalar(const svc_pass *s, const float *Ki, double QDi, double Gmax, double *gmax2)
{
    return select_from(s, Ki, QDi, Gmax, 0, -INFINITY, 0, 1, -1, gmax2);
}

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

/* lane masks from four flag bytes: bit set -> all ones */
__attribute__((target("avx2"))) static inline __m256d flag_mask(const unsigned char *f, int bit)
{
    int32_t w;
    memcpy(&w, f, 4);
    __m256i v = _mm256_cvtepu8_epi64(_mm_cvtsi32_si128(w));
    v = _mm256_and_si256(v, _mm256_set1_epi64x(bit));
    return _mm256_castsi256_pd(_mm256_cmpeq_epi64(v, _mm256_set1_epi64x(bit)));
}

__attribute__((target("avx2"))) static int64_t pass_update_avx2(const svc_pass *s, const float *Ki, const float *Kj,
                                                                double di, double dj, double *gmax)
{
    __m256d vdi = _mm256_set1_pd(di), vdj = _mm256_set1_pd(dj);
    __m256d best = _mm256_set1_pd(-INFINITY), bidx = _mm256_set1_pd(-1);
    __m256d idx = _mm256_setr_pd(0, 1, 2, 3), four = _mm256_set1_pd(4), sign = _mm256_set1_pd(-0.0);
    int64_t q = 0, na = s->na;
    for (; q + 4 <= na; q += 4) {
        int32_t a0 = s->act[q];
        __m256d ki, kj;
        if (s->act[q + 3] - a0 == 3) { /* ascending: four consecutive rows */
            ki = _mm256_cvtps_pd(_mm_loadu_ps(Ki + a0));
            kj = _mm256_cvtps_pd(_mm_loadu_ps(Kj + a0));
        } else {
            __m128i t = _mm_loadu_si128((const __m128i *)(s->act + q));
            ki = _mm256_cvtps_pd(_mm_i32gather_ps(Ki, t, 4));
            kj = _mm256_cvtps_pd(_mm_i32gather_ps(Kj, t, 4));
        }
        __m256d y = _mm256_loadu_pd(s->ya + q);
        __m256d g = _mm256_loadu_pd(s->Ga + q);
        g = _mm256_add_pd(g, _mm256_mul_pd(y, _mm256_add_pd(_mm256_mul_pd(vdi, ki), _mm256_mul_pd(vdj, kj))));
        _mm256_storeu_pd(s->Ga + q, g);
        __m256d v = _mm256_mul_pd(_mm256_xor_pd(y, sign), g);
        __m256d take = _mm256_and_pd(flag_mask(s->fla + q, 1), _mm256_cmp_pd(v, best, _CMP_GE_OQ));
        best = _mm256_blendv_pd(best, v, take);
        bidx = _mm256_blendv_pd(bidx, idx, take);
        idx = _mm256_add_pd(idx, four);
    }
    double bv[4], bi[4];
    _mm256_storeu_pd(bv, best);
    _mm256_storeu_pd(bi, bidx);
    double Gmax = -INFINITY;
    int64_t qi = -1;
    for (int l = 0; l < 4; l++)
        if (bi[l] >= 0 && (bv[l] > Gmax || (bv[l] == Gmax && (int64_t)bi[l] > qi))) {
            Gmax = bv[l];
            qi = (int64_t)bi[l];
        }
    return update_from(s, Ki, Kj, di, dj, q, Gmax, qi, gmax);
}

__attribute__((target("avx2"))) static int64_t pass_select_avx2(const svc_pass *s, const float *Ki, double QDi,
                                                                double Gmax, double *gmax2)
{
    __m256d vG = _mm256_set1_pd(Gmax), vQ = _mm256_set1_pd(QDi), two = _mm256_set1_pd(2.0);
    __m256d tau = _mm256_set1_pd(SVC_TAU), zero = _mm256_setzero_pd(), ninf = _mm256_set1_pd(-INFINITY);
    __m256d g2 = ninf, bb = zero, ba = _mm256_set1_pd(1), bidx = _mm256_set1_pd(-1);
    __m256d idx = _mm256_setr_pd(0, 1, 2, 3), four = _mm256_set1_pd(4);
    int64_t q = 0, na = s->na;
    for (; q + 4 <= na; q += 4) {
        __m256d low = flag_mask(s->fla + q, 2);
        __m256d v = _mm256_mul_pd(_mm256_loadu_pd(s->ya + q), _mm256_loadu_pd(s->Ga + q));
        g2 = _mm256_max_pd(g2, _mm256_blendv_pd(ninf, v, low));
        __m256d b = _mm256_add_pd(vG, v);
        __m256d ok = _mm256_and_pd(low, _mm256_cmp_pd(b, zero, _CMP_GT_OQ));
        if (_mm256_movemask_pd(ok)) {
            int32_t a0 = s->act[q];
            __m256d ki;
            if (s->act[q + 3] - a0 == 3) {
                ki = _mm256_cvtps_pd(_mm_loadu_ps(Ki + a0));
            } else {
                __m128i t = _mm_loadu_si128((const __m128i *)(s->act + q));
                ki = _mm256_cvtps_pd(_mm_i32gather_ps(Ki, t, 4));
            }
            __m256d qd = _mm256_cvtps_pd(_mm_loadu_ps(s->QDa + q));
            __m256d qa = _mm256_sub_pd(_mm256_add_pd(vQ, qd), _mm256_mul_pd(two, ki));
            qa = _mm256_blendv_pd(qa, tau, _mm256_cmp_pd(qa, zero, _CMP_LE_OQ));
            __m256d b2 = _mm256_mul_pd(b, b);
            __m256d take = _mm256_and_pd(
                ok, _mm256_cmp_pd(_mm256_mul_pd(b2, ba), _mm256_mul_pd(bb, qa), _CMP_GE_OQ));
            bb = _mm256_blendv_pd(bb, b2, take);
            ba = _mm256_blendv_pd(ba, qa, take);
            bidx = _mm256_blendv_pd(bidx, idx, take);
        }
        idx = _mm256_add_pd(idx, four);
    }
    double vb[4], va[4], vi[4], vg[4];
    _mm256_storeu_pd(vb, bb);
    _mm256_storeu_pd(va, ba);
    _mm256_storeu_pd(vi, bidx);
    _mm256_storeu_pd(vg, g2);
    double Gmax2 = -INFINITY, BB = 0, BA = 1;
    int64_t qj = -1;
    for (int l = 0; l < 4; l++) {
        if (vg[l] > Gmax2) Gmax2 = vg[l];
        if (vi[l] < 0) continue;
        double lhs = vb[l] * BA, rhs = BB * va[l];
        if (qj < 0 || lhs > rhs || (lhs == rhs && (int64_t)vi[l] > qj)) {
            BB = vb[l];
            BA = va[l];
            qj = (int64_t)vi[l];
        }
    }
    return select_from(s, Ki, QDi, Gmax, q, Gmax2, BB, BA, qj, gmax2);
}
#endif

static int64_t pass_update(const svc_pass *s, const float *Ki, const float *Kj, double di, double dj, double *gmax)
{
#ifdef SVC_HAVE_AVX2
    if (svc_use_avx2()) return pass_update_avx2(s, Ki, Kj, di, dj, gmax);
#endif
    return pass_update_scalar(s, Ki, Kj, di, dj, gmax);
}

static int64_t pass_select(const svc_pass *s, const float *Ki, double QDi, double Gmax, double *gmax2)
{
#ifdef SVC_HAVE_AVX2
    if (svc_use_avx2()) return pass_select_avx2(s, Ki, QDi, Gmax, gmax2);
#endif
    return pass_select_scalar(s, Ki, QDi, Gmax, gmax2);
}

static void cache_free(svc_cache *c)
{
    if (c->row)
        for (int64_t i = 0; i < c->l; i++) free(c->row[i]);
    free(c->row);
    free(c->epoch);
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
    c->epoch = malloc(sizeof(int) * (size_t)l);
    c->prev = malloc(sizeof(int64_t) * (size_t)l);
    c->next = malloc(sizeof(int64_t) * (size_t)l);
    if (!c->row || !c->epoch || !c->prev || !c->next) return ML_ENOMEM;
    c->max_rows = (int64_t)(p->cache_bytes / (sizeof(float) * (size_t)l));
    if (c->max_rows < 2) c->max_rows = 2;
    return ML_OK;
}

static inline int row_valid(const svc_solver *s, int64_t i)
{
    return s->cache.row[i] && (s->cache.epoch[i] == SVC_FULL || s->cache.epoch[i] == s->epoch);
}

/* A buffer for row t: its own stale one, a fresh one while under budget,
 * else the least recently used row's.  The row is unlinked from the LRU list
 * and detached. */
static float *cache_slot(svc_cache *c, int64_t t)
{
    float *r;
    if (c->row[t]) {
        lru_unlink(c, t);
        r = c->row[t];
    } else if (c->n_rows >= c->max_rows) {
        int64_t v = c->tail;
        lru_unlink(c, v);
        r = c->row[v];
        c->row[v] = NULL;
    } else {
        r = malloc(sizeof(float) * (size_t)c->l);
        if (r) c->n_rows++;
    }
    c->row[t] = NULL;
    return r;
}

/* Completes row i, computed in an earlier epoch, at the active rows it lacks
 * (marked NaN).  Returns the row, or NULL when out of memory. */
static const float *cache_complete(svc_solver *s, int64_t i)
{
    svc_cache *c = &s->cache;
    const svc_problem *p = s->p;
    float *r = c->row[i];
    int64_t d = s->d, nm = 0;
    int32_t *miss = s->miss;
    for (int64_t q = 0; q < s->na; q++)
        if (isnan(r[s->act[q]])) miss[nm++] = s->act[q];
    for (int64_t b0 = 0; b0 < nm; b0 += SVC_MISS_BLOCK) {
        int64_t nb = nm - b0 < SVC_MISS_BLOCK ? nm - b0 : SVC_MISS_BLOCK;
        for (int64_t q = 0; q < nb; q++) {
            memcpy(s->xm + q * d, p->X + (int64_t)miss[b0 + q] * d, sizeof(float) * (size_t)d);
            s->nrmm[q] = p->nrm[miss[b0 + q]];
        }
        ml_gemm(0, 1, 1, nb, d, 1.0f, p->X + i * d, d, s->xm, d, 0.0f, s->km, nb);
        kernel_from_dots(&p->k, s->km, nb, p->nrm[i], s->nrmm);
        for (int64_t q = 0; q < nb; q++) r[miss[b0 + q]] = s->km[q];
    }
    c->epoch[i] = s->na == s->l ? SVC_FULL : s->epoch;
    if (c->head != i) {
        lru_unlink(c, i);
        lru_push_front(c, i);
    }
    return r;
}

/* Row i of the kernel matrix (valid at the active rows), or NULL when out of
 * memory.  A row from an earlier epoch is completed; a missing row is
 * computed together with the missing rows among hint[0..nhint) (the current
 * top violators, the likely next working-set members), in one skinny product
 * against the active rows only; i ends up most recently used. */
static const float *cache_row(svc_solver *s, int64_t i, const int64_t *hint, int nhint)
{
    svc_cache *c = &s->cache;
    const svc_problem *p = s->p;
    if (row_valid(s, i)) {
        if (c->head != i) {
            lru_unlink(c, i);
            lru_push_front(c, i);
        }
        return c->row[i];
    }
    if (c->row[i]) return cache_complete(s, i);
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
    int64_t d = s->d, l = s->l, na = s->na;
    for (int q = 0; q < nb; q++) memcpy(s->xbuf + q * d, p->X + want[q] * d, sizeof(float) * (size_t)d);
    if (na == l) {
        kdots(nb, s->xbuf, d, s->XT, l, l, s->kbuf, l);
        for (int q = 0; q < nb; q++) {
            float *r = cache_slot(c, want[q]);
            if (!r) return NULL;
            memcpy(r, s->kbuf + (int64_t)q * l, sizeof(float) * (size_t)l);
            kernel_from_dots(&p->k, r, l, p->nrm[want[q]], p->nrm);
            c->row[want[q]] = r;
            c->epoch[want[q]] = SVC_FULL;
            lru_push_front(c, want[q]);
        }
    } else {
        if (!s->xa_valid) {
            for (int64_t q = 0; q < na; q++) {
                const float *x = p->X + (int64_t)s->act[q] * d;
                for (int64_t j = 0; j < d; j++) s->Xa[j * na + q] = x[j];
                s->nrma[q] = p->nrm[s->act[q]];
            }
            s->xa_valid = 1;
        }
        kdots(nb, s->xbuf, d, s->Xa, na, na, s->kbuf, na);
        for (int q = 0; q < nb; q++) {
            float *kr = s->kbuf + (int64_t)q * na;
            kernel_from_dots(&p->k, kr, na, p->nrm[want[q]], s->nrma);
            float *r = cache_slot(c, want[q]);
            if (!r) return NULL;
            memset(r, 0xff, sizeof(float) * (size_t)l); /* NaN: not computed */
            for (int64_t k = 0; k < na; k++) r[s->act[k]] = kr[k];
            c->row[want[q]] = r;
            c->epoch[want[q]] = s->epoch;
            lru_push_front(c, want[q]);
        }
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
static int find_hints(const svc_solver *s, int64_t *hint)
{
    enum { NH = SVC_BLOCK / 2 };
    double vu[NH], vl[NH];
    for (int h = 0; h < NH; h++) {
        hint[h] = hint[NH + h] = -1;
        vu[h] = vl[h] = -INFINITY;
    }
    for (int64_t q = 0; q < s->na; q++) {
        double v = -s->ya[q] * s->Ga[q];
        if (s->fla[q] & 1) top_push(hint, vu, NH, s->act[q], v);
        if (s->fla[q] & 2) top_push(hint + NH, vl, NH, s->act[q], -v);
    }
    return 2 * NH;
}

static inline int in_up(double y, double a, double C) { return y > 0 ? a < C : a > 0; }
static inline int in_low(double y, double a, double C) { return y > 0 ? a > 0 : a < C; }
static inline unsigned char flags(double y, double a, double C)
{
    return (unsigned char)(in_up(y, a, C) | in_low(y, a, C) << 1);
}

/* G for the rows marked inactive (inact[t] != 0) from the support vectors:
 * G_t = -1 + y_t sum_s y_s a_s K(t, s).  Linear kernel: through
 * w = sum_s y_s a_s x_s; others: kernel blocks through ml_gemm. */
static ml_status reconstruct_gradient(const svc_problem *p, double *G, const unsigned char *inact)
{
    int64_t l = p->l, d = p->d;
    int64_t nsv = 0, nin = 0;
    for (int64_t s = 0; s < l; s++) {
        nsv += p->alpha[s] > 0;
        nin += inact[s] != 0;
    }
    if (nin == 0) return ML_OK;
    if (p->k.type == ML_SVC_LINEAR) {
        double *w = calloc((size_t)d, sizeof(double));
        if (!w) return ML_ENOMEM;
        for (int64_t s = 0; s < l; s++)
            if (p->alpha[s] > 0) {
                double c = p->y[s] * p->alpha[s];
                const float *x = p->X + s * d;
                for (int64_t j = 0; j < d; j++) w[j] += c * x[j];
            }
        for (int64_t t = 0; t < l; t++)
            if (inact[t]) {
                const float *x = p->X + t * d;
                double v = 0;
                for (int64_t j = 0; j < d; j++) v += w[j] * x[j];
                G[t] = -1.0 + p->y[t] * v;
            }
        free(w);
        return ML_OK;
    }
    if (nsv == 0) {
        for (int64_t t = 0; t < l; t++)
            if (inact[t]) G[t] = -1.0;
        return ML_OK;
    }
    float *Xs = malloc(sizeof(float) * (size_t)nsv * (size_t)d);
    float *ns = malloc(sizeof(float) * (size_t)nsv);
    float *coef = malloc(sizeof(float) * (size_t)nsv);
    const int64_t B = 128;
    float *Xb = malloc(sizeof(float) * (size_t)B * (size_t)d);
    float *Kb = malloc(sizeof(float) * (size_t)B * (size_t)nsv);
    float *nb = malloc(sizeof(float) * (size_t)B);
    int64_t *ib = malloc(sizeof(int64_t) * (size_t)B);
    ml_status st = ML_OK;
    if (!Xs || !ns || !coef || !Xb || !Kb || !nb || !ib) {
        st = ML_ENOMEM;
        goto done;
    }
    nsv = 0;
    for (int64_t s = 0; s < l; s++)
        if (p->alpha[s] > 0) {
            memcpy(Xs + nsv * d, p->X + s * d, sizeof(float) * (size_t)d);
            ns[nsv] = p->nrm[s];
            coef[nsv] = (float)(p->y[s] * p->alpha[s]);
            nsv++;
        }
    for (int64_t t0 = 0; t0 < l;) {
        int64_t nbk = 0;
        for (; t0 < l && nbk < B; t0++)
            if (inact[t0]) {
                ib[nbk] = t0;
                memcpy(Xb + nbk * d, p->X + t0 * d, sizeof(float) * (size_t)d);
                nb[nbk] = p->nrm[t0];
                nbk++;
            }
        if (!nbk) break;
        ml_gemm(0, 1, nbk, nsv, d, 1.0f, Xb, d, Xs, d, 0.0f, Kb, nsv);
        for (int64_t r = 0; r < nbk; r++) {
            float *kr = Kb + r * nsv;
            kernel_from_dots(&p->k, kr, nsv, nb[r], ns);
            double sum = 0;
            for (int64_t q = 0; q < nsv; q++) sum += (double)coef[q] * kr[q];
            G[ib[r]] = -1.0 + p->y[ib[r]] * sum;
        }
    }
done:
    free(Xs);
    free(ns);
    free(coef);
    free(Xb);
    free(Kb);
    free(nb);
    free(ib);
    return st;
}

/* Brings every row back into the active set: the active gradient written
 * back, the others' recomputed; partial kernel rows become stale. */
static ml_status unshrink(svc_solver *s, unsigned char *mark)
{
    const svc_problem *p = s->p;
    int64_t l = s->l;
    memset(mark, 1, (size_t)l);
    for (int64_t q = 0; q < s->na; q++) {
        s->G[s->act[q]] = s->Ga[q];
        mark[s->act[q]] = 0;
    }
    ml_status st = reconstruct_gradient(p, s->G, mark);
    if (st) return st;
    for (int64_t t = 0; t < l; t++) {
        s->act[t] = (int32_t)t;
        s->Ga[t] = s->G[t];
        s->ya[t] = p->y[t];
        s->QDa[t] = s->QD[t];
        s->fla[t] = flags(p->y[t], p->alpha[t], s->C);
    }
    if (s->na < l) s->epoch++;
    s->na = l;
    s->xa_valid = 0;
    return ML_OK;
}

/* ---- a Newton step on the free variables ----
 *
 * SMO moves two variables at a time; when the free variables (0 < a < C)
 * are few but strongly coupled (a linear kernel on overlapping classes: at
 * most d + 1 of them, ill-conditioned), it zigzags for hundreds of
 * thousands of iterations.  Every so often the solver solves the problem
 * restricted to the free variables exactly (the others held): minimise
 * 1/2 D' Q_FF D + G_F' D subject to y_F' D = 0, by a Cholesky factorisation
 * of Q_FF (plus a tiny ridge for its null space), then steps along D as far
 * as the box allows (at most the whole step).  The objective decreases, the
 * stopping rule is SMO's own, so the solution meets the same tolerance. */

/* Cholesky of the n x n matrix a (lower, in place); 0 when not positive. */
static int chol(double *a, int n)
{
    for (int j = 0; j < n; j++) {
        double s = a[j * n + j];
        for (int k = 0; k < j; k++) s -= a[j * n + k] * a[j * n + k];
        if (!(s > 0)) return 0;
        s = sqrt(s);
        a[j * n + j] = s;
        for (int i = j + 1; i < n; i++) {
            double t = a[i * n + j];
            for (int k = 0; k < j; k++) t -= a[i * n + k] * a[j * n + k];
            a[i * n + j] = t / s;
        }
    }
    return 1;
}

static void chol_solve(const double *L, int n, double *b)
{
    for (int i = 0; i < n; i++) {
        double t = b[i];
        for (int k = 0; k < i; k++) t -= L[i * n + k] * b[k];
        b[i] = t / L[i * n + i];
    }
    for (int i = n - 1; i >= 0; i--) {
        double t = b[i];
        for (int k = i + 1; k < n; k++) t -= L[k * n + i] * b[k];
        b[i] = t / L[i * n + i];
    }
}

/* Returns 1 when a step was taken (alphas, flags and the active gradient
 * changed), 0 when none was, -1 when out of memory. */
static int newton_step(svc_solver *s)
{
    const svc_problem *p = s->p;
    double C = s->C, *a = p->alpha;
    int64_t pos[SVC_NEWTON_MAX];
    int n = 0;
    for (int64_t q = 0; q < s->na; q++)
        if (s->fla[q] == 3) {
            if (n == SVC_NEWTON_MAX) return 0;
            pos[n++] = q;
        }
    if (n < 3 || s->cache.max_rows < n + SVC_BLOCK + 2) return 0; /* no row held here is evicted */
    const float *K[SVC_NEWTON_MAX];
    for (int f = 0; f < n; f++) {
        K[f] = cache_row(s, s->act[pos[f]], NULL, 0);
        if (!K[f]) return -1;
    }
    double *M = s->nt_M, *u = s->nt_u, *v = s->nt_v;
    double tr = 0;
    for (int f = 0; f < n; f++) {
        int32_t tf = s->act[pos[f]];
        for (int g = 0; g <= f; g++) {
            double q = s->ya[pos[f]] * s->ya[pos[g]] * K[g][tf];
            M[f * n + g] = M[g * n + f] = q;
        }
        tr += M[f * n + f];
    }
    /* kernel values are floats: a ridge well above their rounding */
    double ridge = 1e-5 * (tr / n) + 1e-12;
    for (int f = 0; f < n; f++) M[f * n + f] += ridge;
    if (!chol(M, n)) return 0;
    for (int f = 0; f < n; f++) {
        u[f] = s->Ga[pos[f]];
        v[f] = s->ya[pos[f]];
    }
    chol_solve(M, n, u);
    chol_solve(M, n, v);
    double yu = 0, yv = 0;
    for (int f = 0; f < n; f++) {
        yu += s->ya[pos[f]] * u[f];
        yv += s->ya[pos[f]] * v[f];
    }
    if (!(yv > 0)) return 0;
    double lam = -yu / yv, step = 1, gd = 0;
    int lim = -1;
    for (int f = 0; f < n; f++) {
        double dlt = -(u[f] + lam * v[f]); /* the change of a */
        u[f] = dlt;
        gd += s->Ga[pos[f]] * dlt;
        double at = a[s->act[pos[f]]], t = INFINITY;
        if (dlt > 0) t = (C - at) / dlt;
        else if (dlt < 0) t = -at / dlt;
        if (t < step) {
            step = t;
            lim = f;
        }
    }
    if (!(gd < 0) || !(step > 1e-12)) return 0;
    for (int f = 0; f < n; f++) {
        int64_t t = s->act[pos[f]];
        double na_ = a[t] + step * u[f];
        if (f == lim) na_ = u[f] > 0 ? C : 0;
        if (na_ < 0) na_ = 0;
        if (na_ > C) na_ = C;
        v[f] = (na_ - a[t]) * s->ya[pos[f]]; /* y_f times the actual change */
        a[t] = na_;
        s->fla[pos[f]] = flags(s->ya[pos[f]], na_, C);
    }
    for (int f = 0; f < n; f++) {
        double c = v[f];
        if (c == 0) continue;
        const float *Kf = K[f];
        for (int64_t q = 0; q < s->na; q++) s->Ga[q] += s->ya[q] * c * Kf[s->act[q]];
    }
    return 1;
}

/* SMO with the second-order working-set choice (WSS2) and shrinking. */
static ml_status svc_solve(svc_problem *p, const atomic_int *stop)
{
    int64_t l = p->l, d = p->d;
    double C = p->C;
    double *a = p->alpha;
    svc_solver s;
    memset(&s, 0, sizeof s);
    s.p = p;
    s.l = l;
    s.d = d;
    s.C = C;
    s.G = malloc(sizeof(double) * (size_t)l);
    s.QD = malloc(sizeof(float) * (size_t)l);
    s.act = malloc(sizeof(int32_t) * (size_t)l);
    s.Ga = malloc(sizeof(double) * (size_t)l);
    s.ya = malloc(sizeof(double) * (size_t)l);
    s.QDa = malloc(sizeof(float) * (size_t)l);
    s.fla = malloc((size_t)l);
    s.Xa = malloc(sizeof(float) * (size_t)l * (size_t)d);
    s.XT = malloc(sizeof(float) * (size_t)l * (size_t)d);
    s.nrma = malloc(sizeof(float) * (size_t)l);
    s.xbuf = malloc(sizeof(float) * SVC_BLOCK * (size_t)d);
    s.kbuf = malloc(sizeof(float) * SVC_BLOCK * (size_t)l);
    s.miss = malloc(sizeof(int32_t) * (size_t)l);
    s.nt_M = malloc(sizeof(double) * SVC_NEWTON_MAX * SVC_NEWTON_MAX);
    s.nt_u = malloc(sizeof(double) * SVC_NEWTON_MAX);
    s.nt_v = malloc(sizeof(double) * SVC_NEWTON_MAX);
    s.xm = malloc(sizeof(float) * SVC_MISS_BLOCK * (size_t)d);
    s.nrmm = malloc(sizeof(float) * SVC_MISS_BLOCK);
    s.km = malloc(sizeof(float) * SVC_MISS_BLOCK);
    unsigned char *mark = malloc((size_t)l);
    ml_status st = cache_init(&s.cache, p);
    if (!s.G || !s.QD || !s.act || !s.Ga || !s.ya || !s.QDa || !s.fla || !s.Xa || !s.nrma || !s.xbuf || !s.kbuf || !s.XT ||
        !s.miss || !s.xm || !s.nrmm || !s.km || !s.nt_M || !s.nt_u ||
        !s.nt_v || !mark || st) {
        st = ML_ENOMEM;
        goto done;
    }
    for (int64_t t = 0; t < l; t++)
        for (int64_t j = 0; j < d; j++) s.XT[j * l + t] = p->X[t * d + j];
    for (int64_t t = 0; t < l; t++) {
        a[t] = 0;
        s.G[t] = -1.0;
        float dd = p->nrm[t];
        kernel_from_dots(&p->k, &dd, 1, p->nrm[t], &p->nrm[t]);
        s.QD[t] = dd;
        s.act[t] = (int32_t)t;
        s.Ga[t] = -1.0;
        s.ya[t] = p->y[t];
        s.QDa[t] = dd;
        s.fla[t] = flags(p->y[t], 0, C);
    }
    s.na = l;
    int64_t shrink_every = l < 200 ? l : 200, counter = shrink_every;
    int unshrunk = 0;
    int64_t iter = 0;
    /* The working-set choice of the next iteration is made in the same pass
     * as the gradient update (sel_valid); a shrink or unshrink redoes it. */
    int64_t hint[SVC_BLOCK];
    double Gmax = -INFINITY;
    int64_t qi = -1;
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
            for (int64_t q = 0; q < s.na; q++) {
                double v = -s.ya[q] * s.Ga[q];
                if ((s.fla[q] & 1) && v > m) m = v;
                if ((s.fla[q] & 2) && v < Mn) Mn = v;
            }
            if (!unshrunk && m - Mn <= 10 * p->eps) {
                /* Close to the end: bring every variable back once. */
                unshrunk = 1;
                if ((st = unshrink(&s, mark))) goto done;
            } else {
                /* stable: the active rows stay in ascending order */
                int64_t w = 0;
                for (int64_t q = 0; q < s.na; q++) {
                    double v = -s.ya[q] * s.Ga[q];
                    int up = s.fla[q] & 1, low = s.fla[q] >> 1;
                    if ((up && !low && v < Mn) || (low && !up && v > m)) continue;
                    s.act[w] = s.act[q];
                    s.Ga[w] = s.Ga[q];
                    s.ya[w] = s.ya[q];
                    s.QDa[w] = s.QDa[q];
                    s.fla[w] = s.fla[q];
                    w++;
                }
                if (w < s.na) {
                    s.na = w;
                    s.xa_valid = 0;
                }
            }
        }
        /* i: the maximal violator in I_up */
        if (!sel_valid) {
            Gmax = -INFINITY;
            qi = -1;
            for (int64_t q = 0; q < s.na; q++) {
                double v = -s.ya[q] * s.Ga[q];
                if ((s.fla[q] & 1) && v >= Gmax) {
                    Gmax = v;
                    qi = q;
                }
            }
        }
        sel_valid = 0;
        const float *Ki = NULL;
        int64_t qj = -1;
        double Gmax2 = -INFINITY;
        if (qi >= 0) {
            int64_t i = s.act[qi];
            int nh = row_valid(&s, i) ? 0 : find_hints(&s, hint);
            Ki = cache_row(&s, i, hint, nh);
            if (!Ki) {
                st = ML_ENOMEM;
                goto done;
            }
            svc_pass ps = {s.act, s.Ga, s.ya, s.QDa, s.fla, s.na};
            qj = pass_select(&ps, Ki, s.QD[i], Gmax, &Gmax2);
        }
        if (qi < 0 || qj < 0 || Gmax + Gmax2 < p->eps) {
            /* Optimal on the active set: check the whole problem. */
            if (s.na < l) {
                if ((st = unshrink(&s, mark))) goto done;
                counter = shrink_every; /* check the whole set before shrinking again */
                unshrunk = 1;
                continue;
            }
            break;
        }
        iter++;
        int64_t i = s.act[qi], j = s.act[qj];
        int nh = row_valid(&s, j) ? 0 : find_hints(&s, hint);
        const float *Kj = cache_row(&s, j, hint, nh);
        if (!Kj) {
            st = ML_ENOMEM;
            goto done;
        }
        Ki = cache_row(&s, i, NULL, 0); /* still cached: fetching j evicted at most half */
        double yi = s.ya[qi], yj = s.ya[qj];
        double ai = a[i], aj = a[j];
        double quad = (double)s.QD[i] + s.QD[j] - 2.0 * Ki[j];
        if (quad <= 0) quad = SVC_TAU;
        if (yi != yj) {
            double delta = (-s.Ga[qi] - s.Ga[qj]) / quad;
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
            double delta = (s.Ga[qi] - s.Ga[qj]) / quad;
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
        s.fla[qi] = flags(yi, a[i], C);
        s.fla[qj] = flags(yj, a[j], C);
        double di = (a[i] - ai) * yi, dj = (a[j] - aj) * yj;
        {
            svc_pass ps = {s.act, s.Ga, s.ya, s.QDa, s.fla, s.na};
            qi = pass_update(&ps, Ki, Kj, di, dj, &Gmax);
        }
        sel_valid = 1;
        if (iter % SVC_NEWTON_EVERY == 0) {
            int r = newton_step(&s);
            if (r < 0) {
                st = ML_ENOMEM;
                goto done;
            }
            if (r > 0) sel_valid = 0; /* the gradient moved: choose i again */
        }
    }
    p->iters = iter;
    if ((st = unshrink(&s, mark))) goto done; /* the whole gradient */
    /* rho from the free variables, else the middle of the feasible interval */
    {
        double ub = INFINITY, lb = -INFINITY, sum = 0;
        int64_t nfree = 0;
        for (int64_t t = 0; t < l; t++) {
            double yG = p->y[t] * s.G[t];
            if (a[t] >= C) {
                if (p->y[t] < 0) ub = fmin(ub, yG);
                else lb = fmax(lb, yG);
            } else if (a[t] <= 0) {
                if (p->y[t] > 0) ub = fmin(ub, yG);
                else lb = fmax(lb, yG);
            } else {
                nfree++;
                sum += yG;
            }
        }
        p->rho = nfree > 0 ? sum / (double)nfree : (ub + lb) / 2;
    }
done:
    cache_free(&s.cache);
    free(s.G);
    free(s.QD);
    free(s.act);
    free(s.Ga);
    free(s.ya);
    free(s.QDa);
    free(s.fla);
    free(s.Xa);
    free(s.XT);
    free(s.nrma);
    free(s.xbuf);
    free(s.kbuf);
    free(s.miss);
    free(s.nt_M);
    free(s.nt_u);
    free(s.nt_v);
    free(s.xm);
    free(s.nrmm);
    free(s.km);
    free(mark);
    return st;
}

/* ---- probability estimates (probability = true) ----
 *
 * As libsvm and scikit-learn: for each pair, decision values out of a 5-fold
 * cross-validation of the pair's problem (folds from a fixed seed), to which
 * Platt's sigmoid P(first class | f) = 1 / (1 + exp(A f + B)) is fitted by
 * Newton's method with backtracking on the regularised targets of Lin, Lin
 * and Weng (2007); at prediction the pairs' probabilities are coupled into
 * one distribution by the second method of Wu, Lin and Weng (2004). */
#define SVC_PROB_FOLDS 5

/* f(x) = sum_s y_s a_s K(x, s) - rho for the nq rows xq of a fitted problem. */
static ml_status problem_decision(const svc_problem *p, const float *xq, const float *nq, int64_t n, double *out)
{
    int64_t l = p->l, d = p->d, nsv = 0;
    for (int64_t s = 0; s < l; s++) nsv += p->alpha[s] > 0;
    if (nsv == 0) {
        for (int64_t i = 0; i < n; i++) out[i] = -p->rho;
        return ML_OK;
    }
    const int64_t B = 128;
    float *Xs = malloc(sizeof(float) * (size_t)nsv * (size_t)d);
    float *ns = malloc(sizeof(float) * (size_t)nsv);
    double *coef = malloc(sizeof(double) * (size_t)nsv);
    float *Kb = malloc(sizeof(float) * (size_t)B * (size_t)nsv);
    ml_status st = ML_OK;
    if (!Xs || !ns || !coef || !Kb) {
        st = ML_ENOMEM;
        goto done;
    }
    nsv = 0;
    for (int64_t s = 0; s < l; s++)
        if (p->alpha[s] > 0) {
            memcpy(Xs + nsv * d, p->X + s * d, sizeof(float) * (size_t)d);
            ns[nsv] = p->nrm[s];
            coef[nsv] = p->y[s] * p->alpha[s];
            nsv++;
        }
    for (int64_t i0 = 0; i0 < n; i0 += B) {
        int64_t nb = n - i0 < B ? n - i0 : B;
        ml_gemm(0, 1, nb, nsv, d, 1.0f, xq + i0 * d, d, Xs, d, 0.0f, Kb, nsv);
        for (int64_t r = 0; r < nb; r++) {
            float *kr = Kb + r * nsv;
            kernel_from_dots(&p->k, kr, nsv, nq[i0 + r], ns);
            double sum = 0;
            for (int64_t q = 0; q < nsv; q++) sum += coef[q] * kr[q];
            out[i0 + r] = sum - p->rho;
        }
    }
done:
    free(Xs);
    free(ns);
    free(coef);
    free(Kb);
    return st;
}

/* Decision values of every row of p from the problem fitted on the other
 * folds (libsvm's: a fold whose training part has one class only gives +1 or
 * -1). */
static ml_status pair_cv_decisions(const svc_problem *p, uint64_t stream, const atomic_int *stop, double *dec)
{
    int64_t l = p->l, d = p->d;
    int64_t *perm = malloc(sizeof(int64_t) * (size_t)l);
    float *Xs = malloc(sizeof(float) * (size_t)l * (size_t)d), *Xq = malloc(sizeof(float) * (size_t)l * (size_t)d);
    float *ns = malloc(sizeof(float) * (size_t)l), *nq = malloc(sizeof(float) * (size_t)l);
    signed char *ys = malloc((size_t)l);
    double *as = malloc(sizeof(double) * (size_t)l), *dq = malloc(sizeof(double) * (size_t)l);
    ml_status st = ML_OK;
    if (!perm || !Xs || !Xq || !ns || !nq || !ys || !as || !dq) {
        st = ML_ENOMEM;
        goto done;
    }
    ml_rng r;
    ml_rng_seed_stream(&r, 0, stream);
    for (int64_t t = 0; t < l; t++) perm[t] = t;
    ml_rng_shuffle(&r, perm, l);
    for (int f = 0; f < SVC_PROB_FOLDS && !st; f++) {
        int64_t b = f * l / SVC_PROB_FOLDS, e = (f + 1) * l / SVC_PROB_FOLDS, m = 0, pos = 0, neg = 0;
        for (int64_t k = 0; k < l; k++) {
            if (k >= b && k < e) continue;
            int64_t t = perm[k];
            memcpy(Xs + m * d, p->X + t * d, sizeof(float) * (size_t)d);
            ns[m] = p->nrm[t];
            ys[m] = p->y[t];
            pos += p->y[t] > 0;
            neg += p->y[t] < 0;
            m++;
        }
        for (int64_t k = b; k < e; k++) {
            memcpy(Xq + (k - b) * d, p->X + perm[k] * d, sizeof(float) * (size_t)d);
            nq[k - b] = p->nrm[perm[k]];
        }
        if (pos == 0 || neg == 0) {
            for (int64_t k = b; k < e; k++) dec[perm[k]] = pos > 0 ? 1 : neg > 0 ? -1 : 0;
            continue;
        }
        svc_problem sp = *p;
        sp.l = m;
        sp.X = Xs;
        sp.nrm = ns;
        sp.y = ys;
        sp.alpha = as;
        sp.iters = 0;
        sp.hit_max_iter = 0;
        if ((st = svc_solve(&sp, stop))) break;
        if ((st = problem_decision(&sp, Xq, nq, e - b, dq))) break;
        for (int64_t k = b; k < e; k++) dec[perm[k]] = dq[k - b];
    }
done:
    free(perm);
    free(Xs);
    free(Xq);
    free(ns);
    free(nq);
    free(ys);
    free(as);
    free(dq);
    return st;
}

/* log(1 + exp(-|z|)) + max(z, 0) - t z, the cross-entropy of target t at
 * P = 1 / (1 + exp(z)), written to stay finite. */
static double sigmoid_loss(double z, double t)
{
    return z >= 0 ? t * z + log1p(exp(-z)) : (t - 1) * z + log1p(exp(z));
}

/* Platt's A, B for decision values dec and labels y (+1 / -1). */
static void sigmoid_train(int64_t l, const double *dec, const signed char *y, double *A, double *B)
{
    double n1 = 0, n0 = 0;
    for (int64_t t = 0; t < l; t++) {
        if (y[t] > 0) n1++;
        else n0++;
    }
    double hi = (n1 + 1) / (n1 + 2), lo = 1 / (n0 + 2);
    double a = 0, b = log((n0 + 1) / (n1 + 1)), fval = 0;
    for (int64_t t = 0; t < l; t++) fval += sigmoid_loss(dec[t] * a + b, y[t] > 0 ? hi : lo);
    for (int it = 0; it < 100; it++) {
        /* gradient and Hessian (with a tiny ridge) */
        double h11 = 1e-12, h22 = 1e-12, h21 = 0, g1 = 0, g2 = 0;
        for (int64_t t = 0; t < l; t++) {
            double z = dec[t] * a + b, pr, qr;
            if (z >= 0) {
                pr = exp(-z) / (1 + exp(-z));
                qr = 1 / (1 + exp(-z));
            } else {
                pr = 1 / (1 + exp(z));
                qr = exp(z) / (1 + exp(z));
            }
            double w = pr * qr, g = (y[t] > 0 ? hi : lo) - pr;
            h11 += dec[t] * dec[t] * w;
            h22 += w;
            h21 += dec[t] * w;
            g1 += dec[t] * g;
            g2 += g;
        }
        if (fabs(g1) < 1e-5 && fabs(g2) < 1e-5) break;
        double det = h11 * h22 - h21 * h21;
        double da = -(h22 * g1 - h21 * g2) / det, db = -(-h21 * g1 + h11 * g2) / det, gd = g1 * da + g2 * db;
        double step = 1;
        while (step >= 1e-10) {
            double na = a + step * da, nb = b + step * db, nf = 0;
            for (int64_t t = 0; t < l; t++) nf += sigmoid_loss(dec[t] * na + nb, y[t] > 0 ? hi : lo);
            if (nf < fval + 1e-4 * step * gd) {
                a = na, b = nb, fval = nf;
                break;
            }
            step /= 2;
        }
        if (step < 1e-10) break; /* no decrease along the Newton direction */
    }
    *A = a;
    *B = b;
}

/* p[0..k) from the pairs' probabilities r[i * k + j] (class i over j). */
static void couple(int k, const double *r, double *Q, double *Qp, double *p)
{
    for (int t = 0; t < k; t++) {
        p[t] = 1.0 / k;
        Q[t * k + t] = 0;
        for (int j = 0; j < k; j++)
            if (j != t) {
                Q[t * k + t] += r[j * k + t] * r[j * k + t];
                Q[t * k + j] = -r[j * k + t] * r[t * k + j];
            }
    }
    double eps = 0.005 / k;
    int max_iter = k > 100 ? k : 100;
    for (int it = 0; it < max_iter; it++) {
        double pQp = 0;
        for (int t = 0; t < k; t++) {
            Qp[t] = 0;
            for (int j = 0; j < k; j++) Qp[t] += Q[t * k + j] * p[j];
            pQp += p[t] * Qp[t];
        }
        double worst = 0;
        for (int t = 0; t < k; t++) worst = fmax(worst, fabs(Qp[t] - pQp));
        if (worst < eps) break;
        for (int t = 0; t < k; t++) {
            double diff = (pQp - Qp[t]) / Q[t * k + t];
            p[t] += diff;
            pQp = (pQp + diff * (diff * Q[t * k + t] + 2 * Qp[t])) / ((1 + diff) * (1 + diff));
            for (int j = 0; j < k; j++) {
                Qp[j] = (Qp[j] + diff * Q[t * k + j]) / (1 + diff);
                p[j] /= 1 + diff;
            }
        }
    }
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
    int shrinking, probability;
    int64_t max_iter;
    int npairs;
    int *pa, *pb;
    double **alpha; /* per pair, l values: class a's rows then class b's */
    double *rho;
    double *prob_a, *prob_b; /* per pair, probability = true */
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
            if (!st && c->probability) {
                double *dec = malloc(sizeof(double) * (size_t)l);
                st = dec ? pair_cv_decisions(&p, (uint64_t)q, &c->stop, dec) : ML_ENOMEM;
                if (!st) sigmoid_train(l, dec, yp, &c->prob_a[q], &c->prob_b[q]);
                free(dec);
            }
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
    /* classes: the labels present, sorted (gaps allowed, as scikit-learn's
     * classes_); the solver works with their indices */
    int L;
    if ((st = ml_check_labels(y, "SVC: y", &L))) return st;
    if (e->n_classes > L) L = e->n_classes;
    int64_t *lcount = calloc((size_t)L + 1, sizeof(int64_t));
    int *idx_of = malloc(sizeof(int) * ((size_t)L + 1));
    if (!lcount || !idx_of) {
        free(lcount);
        free(idx_of);
        return ml_fail(ML_ENOMEM, "SVC: out of memory");
    }
    for (int64_t i = 0; i < n; i++) lcount[(int)y->data[i]]++;
    int K = 0;
    for (int c = 0; c < L; c++) idx_of[c] = lcount[c] > 0 ? K++ : -1;
    if (K < 2) {
        free(lcount);
        free(idx_of);
        return ml_fail(ML_EINVAL, "SVC: y needs at least 2 classes, got %d", K);
    }
    ml_tensor *classes = ml_tensor_new1(K);
    int64_t *count = calloc((size_t)K + 1, sizeof(int64_t));
    if (!classes || !count) {
        free(lcount);
        free(idx_of);
        free(count);
        ml_tensor_free(classes);
        return ml_fail(ML_ENOMEM, "SVC: out of memory");
    }
    for (int c = 0; c < L; c++)
        if (idx_of[c] >= 0) {
            classes->data[idx_of[c]] = (float)c;
            count[idx_of[c]] = lcount[c];
        }
    free(lcount);

    svc_reset(e);
    m->classes = classes;
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
    c.probability = m->probability;
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
    c.prob_a = calloc((size_t)npairs, sizeof(double));
    c.prob_b = calloc((size_t)npairs, sizeof(double));
    int64_t *fill = calloc((size_t)K, sizeof(int64_t));
    char *is_sv = calloc((size_t)n, 1);
    if (!order || !start || !nrm || !c.pa || !c.pb || !c.alpha || !c.rho || !c.iters || !c.hitmax || !fill ||
        !is_sv || !c.prob_a || !c.prob_b) {
        st = ml_fail(ML_ENOMEM, "SVC: out of memory");
        goto done;
    }
    start[0] = 0;
    for (int k = 0; k < K; k++) start[k + 1] = start[k] + count[k];
    for (int64_t i = 0; i < n; i++) {
        int k = idx_of[(int)y->data[i]];
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
    if (m->probability) {
        m->prob_a = c.prob_a;
        m->prob_b = c.prob_b;
        c.prob_a = c.prob_b = NULL;
    }
    e->n_classes = L; /* the labels' range, as every classifier; m->classes the ones present */
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
    free(c.prob_a);
    free(c.prob_b);
    free(c.pa);
    free(c.pb);
    free(order);
    free(start);
    free(nrm);
    free(fill);
    free(is_sv);
    free(count);
    free(idx_of);
    return st;
}

/* ---- prediction ---- */

/* Classes present at fit (the solver's classes 0..K-1). */
static int svc_nc(const ml_svc *m) { return (int)ml_tensor_numel(m->classes); }

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
    int K = svc_nc(m), npairs = K * (K - 1) / 2;
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
    int K = svc_nc(m), npairs = K * (K - 1) / 2;
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
        y->data[i] = m->classes->data[best];
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
    int K = svc_nc(m), npairs = K * (K - 1) / 2;
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

/* Probabilities (probability = true): each pair's sigmoid of its decision
 * value, coupled over the pairs; one column per class. */
static ml_status svc_predict_proba(const ml_estimator *e, const ml_tensor *X, ml_tensor **out)
{
    const ml_svc *m = (const ml_svc *)e;
    if (!m->probability) return ml_fail(ML_EINVAL, "SVC: predict_proba needs probability = true");
    if (!m->prob_a) return ml_fail(ML_ESTATE, "SVC: predict_proba needs a model fitted with probability = true");
    ml_tensor *D;
    ml_status st = svc_ovo(m, X, &D);
    if (st) return st;
    int K = svc_nc(m), npairs = K * (K - 1) / 2;
    int64_t n = X->shape[0];
    ml_tensor *P = ml_tensor_new2(n, K);
    double *r = malloc(sizeof(double) * (size_t)K * (size_t)K);
    double *Q = malloc(sizeof(double) * (size_t)K * (size_t)K);
    double *Qp = malloc(sizeof(double) * (size_t)K), *pr = malloc(sizeof(double) * (size_t)K);
    if (!P || !r || !Q || !Qp || !pr) {
        ml_tensor_free(D), ml_tensor_free(P);
        free(r), free(Q), free(Qp), free(pr);
        return ml_fail(ML_ENOMEM, "SVC: out of memory");
    }
    for (int64_t i = 0; i < n; i++) {
        const float *dv = D->data + i * npairs;
        for (int a = 0, q = 0; a < K; a++)
            for (int b = a + 1; b < K; b++, q++) {
                double z = dv[q] * m->prob_a[q] + m->prob_b[q];
                double pa = z >= 0 ? exp(-z) / (1 + exp(-z)) : 1 / (1 + exp(z));
                pa = fmin(fmax(pa, 1e-7), 1 - 1e-7);
                r[a * K + b] = pa;
                r[b * K + a] = 1 - pa;
            }
        if (K == 2) {
            pr[0] = r[1];
            pr[1] = r[2];
        } else {
            couple(K, r, Q, Qp, pr);
        }
        for (int k = 0; k < K; k++) P->data[i * K + k] = (float)pr[k];
    }
    ml_tensor_free(D);
    free(r), free(Q), free(Qp), free(pr);
    *out = P;
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
    int K = svc_nc(m);
    if (strcmp(name, "classes") == 0) return put_tensor(v, ml_tensor_clone(m->classes));
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
    int K = svc_nc(m);
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
    /* the labels present, when they are not 0..n_classes-1 (then the
     * sections do not fit n_classes, and a mnistlab that predates this
     * section refuses the file instead of predicting indices) */
    if (!st && K != e->n_classes) st = ml_mfile_put_tensor(w, "classes", m->classes);
    if (!st && m->prob_a) st = ml_mfile_put(w, "prob_a", m->prob_a, sizeof(double) * (size_t)(K * (K - 1) / 2));
    if (!st && m->prob_b) st = ml_mfile_put(w, "prob_b", m->prob_b, sizeof(double) * (size_t)(K * (K - 1) / 2));
    return st;
}

static ml_status svc_load(ml_estimator *e, const ml_mfile *r)
{
    ml_svc *m = (ml_svc *)e;
    ml_tensor *ns = NULL;
    ml_status st;
    int L = e->n_classes, K = L;
    const char *path = ml_mfile_path(r);
    svc_reset(e);
    if (ml_mfile_get(r, "classes", NULL)) {
        if ((st = ml_mfile_get_tensor(r, "classes", &m->classes))) goto bad;
        K = (int)ml_tensor_numel(m->classes);
        for (int k = 0; k < K; k++) {
            float c = m->classes->data[k];
            if (!(c >= 0 && c < L && c == floorf(c) && (k == 0 || c > m->classes->data[k - 1]))) {
                st = ml_fail(ML_EFORMAT, "%s: SVC classes are malformed", path);
                goto bad;
            }
        }
    } else { /* files without the section: labels 0..n_classes-1 */
        m->classes = ml_tensor_new1(K > 0 ? K : 1);
        if (!m->classes) {
            st = ML_ENOMEM;
            goto bad;
        }
        for (int k = 0; k < K; k++) m->classes->data[k] = (float)k;
    }
    if ((st = ml_mfile_get_tensor(r, "n_support", &ns))) goto bad;
    if ((st = ml_mfile_get_tensor(r, "support_vectors", &m->sv))) goto bad;
    if ((st = ml_mfile_get_tensor(r, "support", &m->support))) goto bad;
    if ((st = ml_mfile_get_tensor(r, "dual_coef", &m->dual_coef))) goto bad;
    if ((st = ml_mfile_get_tensor(r, "rho", &m->rho))) goto bad;
    if ((st = ml_mfile_get_f64(r, "gamma", &m->gamma))) goto bad;
    if ((st = ml_mfile_get_i64(r, "n_iter", &m->n_iter))) goto bad;
    int64_t nsv = m->sv->shape[0];
    /* K <= 46340: the K (K - 1) / 2 pairs stay within an int */
    if (K < 2 || K > 46340 || ml_tensor_numel(ns) != K || m->sv->ndim != 2 || m->sv->shape[1] != e->n_features_in ||
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
        if (!(c >= 0 && c <= (float)nsv) || c != floorf(c)) { /* also keeps the cast below defined */
            st = ml_fail(ML_EFORMAT, "%s: SVC n_support is malformed", path);
            goto bad;
        }
        m->sv_start[k + 1] = m->sv_start[k] + (int64_t)c;
    }
    if (m->sv_start[K] != nsv) {
        st = ml_fail(ML_EFORMAT, "%s: SVC n_support does not add up to the support vectors", path);
        goto bad;
    }
    if (m->probability) {
        size_t np = (size_t)(K * (K - 1) / 2);
        if ((st = ml_mfile_get_f64s(r, "prob_a", np, &m->prob_a)) ||
            (st = ml_mfile_get_f64s(r, "prob_b", np, &m->prob_b)))
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
    .predict_proba = svc_predict_proba,
    .decision_function = svc_decision_function,
    .get_attr = svc_get_attr,
    .save = svc_save,
    .load = svc_load,
};
