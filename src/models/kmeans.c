/* mnistlab models: k-means clustering (see kmeans.h). */
#include "models/kmeans.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/blas.h"
#include "core/parallel.h"
#include "core/rng.h"

#define KM_BLOCK 128 /* rows per GEMM in the assignment step */

static const char *const km_params[] = {"n_clusters", "init", "n_init", "max_iter", "tol", "random_state", "seed",
                                        NULL};
static const char *const km_attrs[] = {"cluster_centers", "labels", "inertia", "n_iter", "inertia_history",
                                       "counts", NULL};
static const char *const init_choices[] = {"k-means++", "random", NULL};

#define KM_FIELD(f) offsetof(ml_kmeans, f)
static const ml_param_spec km_specs[] = {
    {"n_clusters", ML_PARAM_INT64, KM_FIELD(n_clusters), 1, 1e9, NULL, 0},
    {"init", ML_PARAM_CHOICE, KM_FIELD(init_random), 0, 0, init_choices, 0},
    {"n_init", ML_PARAM_INT, KM_FIELD(n_init), 1, 1000, NULL, 0},
    {"max_iter", ML_PARAM_INT, KM_FIELD(max_iter), 1, 1e6, NULL, 0},
    {"tol", ML_PARAM_REAL, KM_FIELD(tol), 0, INFINITY, NULL, 0},
    {"random_state", ML_PARAM_SEED, KM_FIELD(seed), 0, 0, NULL, 0},
    {"seed", ML_PARAM_SEED, KM_FIELD(seed), 0, 0, NULL, 0},
    {NULL, 0, 0, 0, 0, NULL, 0},
};

void ml_kmeans_init(ml_kmeans *m)
{
    m->n_clusters = 8;
    m->init_random = 0;
    m->n_init = 1;
    m->max_iter = 300;
    m->tol = 1e-4;
    m->seed = 0;
}

void ml_kmeans_clear(ml_kmeans *m)
{
    free(m->centers);
    free(m->labels);
    free(m->history);
    m->centers = NULL;
    m->labels = NULL;
    m->history = NULL;
    m->n_history = 0;
    m->k = m->d = m->n = 0;
    m->inertia = 0;
    m->n_iter = 0;
    m->base.fitted = 0;
}

/* ---- one pass over the rows: statistics ---- */
typedef struct stats_ctx {
    const float *x;
    int64_t d;
    double *x_sq;  /* n */
    double *part;  /* groups x 2d: column sums, sums of squares */
} stats_ctx;

static void stats_task(void *vctx, int64_t b, int64_t e, int group, int worker)
{
    (void)worker;
    stats_ctx *c = vctx;
    int64_t d = c->d;
    double *s = c->part + (int64_t)group * 2 * d, *s2 = s + d;
    for (int64_t i = b; i < e; i++) {
        const float *row = c->x + i * d;
        double q = 0;
        for (int64_t j = 0; j < d; j++) {
            double v = row[j];
            s[j] += v;
            s2[j] += v * v;
            q += v * v;
        }
        c->x_sq[i] = q;
    }
}

/* ---- the assignment step ---- */
typedef struct assign_ctx {
    const float *x;
    int64_t n, d, k;
    const float *c;     /* k x d */
    const float *c_sq;  /* k */
    const double *x_sq; /* n */
    int32_t *labels;
    float *mind;        /* n: squared distance to the nearest centre, or NULL */
    double *sums;       /* groups x k x d, or NULL when centres are not updated */
    int64_t *counts;    /* groups x k */
    int64_t *changed;   /* groups */
    float *dots;        /* threads x KM_BLOCK x k */
} assign_ctx;

static void assign_task(void *vctx, int64_t b, int64_t e, int group, int worker)
{
    assign_ctx *a = vctx;
    int64_t d = a->d, k = a->k;
    float *dots = a->dots + (int64_t)worker * KM_BLOCK * k;
    double *sums = a->sums ? a->sums + (int64_t)group * k * d : NULL;
    int64_t *counts = a->counts + (int64_t)group * k;
    int64_t changed = 0;
    for (int64_t r0 = b; r0 < e; r0 += KM_BLOCK) {
        int64_t rows = e - r0 < KM_BLOCK ? e - r0 : KM_BLOCK;
        ml_gemm(0, 1, rows, k, d, 1.0f, a->x + r0 * d, d, a->c, d, 0.0f, dots, k);
        for (int64_t r = 0; r < rows; r++) {
            int64_t i = r0 + r;
            const float *dr = dots + r * k;
            int32_t best = 0;
            float bv = a->c_sq[0] - 2 * dr[0];
            for (int64_t c = 1; c < k; c++) {
                float v = a->c_sq[c] - 2 * dr[c];
                if (v < bv) {
                    bv = v;
                    best = (int32_t)c;
                }
            }
            if (a->labels[i] != best) changed++;
            a->labels[i] = best;
            if (a->mind) {
                double m = a->x_sq[i] + bv;
                a->mind[i] = m > 0 ? (float)m : 0.0f;
            }
            counts[best]++;
            if (sums) {
                const float *row = a->x + i * d;
                double *s = sums + (int64_t)best * d;
                for (int64_t j = 0; j < d; j++) s[j] += row[j];
            }
        }
    }
    a->changed[group] += changed;
}

/* Workspace shared by the runs of one fit. */
typedef struct km_work {
    const float *x;
    int64_t n, d, k;
    int threads;
    double *x_sq;        /* n */
    float *x_sqf;        /* n */
    double x_sq_total;
    double tol;          /* absolute */
    /* partial sums per group of rows (ml_parallel_groups): the same
     * centres and inertia whatever the thread count */
    double *tsums;       /* ML_GROUPS x k x d */
    int64_t *tcounts;    /* ML_GROUPS x k */
    int64_t *tchanged;   /* ML_GROUPS */
    float *dots;         /* threads x KM_BLOCK x dots_cols */
    int64_t dots_cols;   /* max(k, k-means++ trials) */
    double *sums;        /* k x d */
    int64_t *counts;     /* k */
    float *c_sq;         /* k */
    float *mind;         /* n: distance to the nearest centre (predict: unused, NULL) */
    double *closest;     /* n (k-means++) */
    double *cum;         /* n */
    float *cand_d;       /* n x trials */
    /* Hamerly's bounds (distances, not squared) */
    float *ub, *lb;      /* n: upper bound to the own centre, lower bound to any other */
    float *gather;       /* threads x KM_BLOCK x d */
    int64_t *gidx;       /* threads x KM_BLOCK */
    float *half;         /* k: half the distance to the nearest other centre */
    float *delta;        /* k: how far each centre moved in the last update */
    float maxd, maxd2;   /* largest and second largest delta */
    int64_t argmaxd;
} km_work;

static void c_norms(const float *c, int64_t k, int64_t d, float *c_sq)
{
    for (int64_t a = 0; a < k; a++) {
        double s = 0;
        for (int64_t j = 0; j < d; j++) s += (double)c[a * d + j] * c[a * d + j];
        c_sq[a] = (float)s;
    }
}

/* Assign every row to its nearest centre; fills w->sums/counts (if sums) and
 * returns the number of labels that changed. */
static int64_t assign(km_work *w, const float *centers, int32_t *labels, int with_sums)
{
    int64_t k = w->k, d = w->d;
    c_norms(centers, k, d, w->c_sq);
    if (with_sums) memset(w->tsums, 0, (size_t)(ML_GROUPS * k * d) * sizeof(double));
    memset(w->tcounts, 0, (size_t)(ML_GROUPS * k) * sizeof(int64_t));
    memset(w->tchanged, 0, (size_t)ML_GROUPS * sizeof(int64_t));
    assign_ctx a = {w->x,   w->n,        w->d,       w->k,       centers,   w->c_sq, w->x_sq, labels,
                    w->mind, with_sums ? w->tsums : NULL, w->tcounts, w->tchanged, w->dots};
    ml_parallel_groups(w->n, KM_BLOCK, assign_task, &a);
    int64_t changed = 0;
    memset(w->counts, 0, (size_t)k * sizeof(int64_t));
    if (with_sums) memset(w->sums, 0, (size_t)(k * d) * sizeof(double));
    for (int t = 0; t < ML_GROUPS; t++) {
        changed += w->tchanged[t];
        for (int64_t c = 0; c < k; c++) w->counts[c] += w->tcounts[t * k + c];
        if (with_sums) {
            const double *s = w->tsums + (int64_t)t * k * d;
            for (int64_t i = 0; i < k * d; i++) w->sums[i] += s[i];
        }
    }
    return changed;
}

/* sum_i ||x_i - c_{l_i}||^2 from the cluster sums, in double. */
static double inertia_from_sums(const km_work *w, const float *centers)
{
    double s = w->x_sq_total;
    for (int64_t c = 0; c < w->k; c++) {
        double dot = 0, cc = 0;
        const float *cr = centers + c * w->d;
        const double *sr = w->sums + c * w->d;
        for (int64_t j = 0; j < w->d; j++) {
            dot += cr[j] * sr[j];
            cc += (double)cr[j] * cr[j];
        }
        s += -2 * dot + (double)w->counts[c] * cc;
    }
    return s > 0 ? s : 0;
}

/* Empty clusters take the rows farthest from their centres (scikit-learn). */
static void relocate_empty(km_work *w, int32_t *labels)
{
    int64_t k = w->k, d = w->d;
    for (int64_t c = 0; c < k; c++) {
        if (w->counts[c] > 0) continue;
        int64_t far = -1;
        float fd = -1;
        for (int64_t i = 0; i < w->n; i++)
            if (w->counts[labels[i]] > 1 && w->ub[i] > fd) {
                fd = w->ub[i];
                far = i;
            }
        if (far < 0) continue;
        int32_t old = labels[far];
        const float *row = w->x + far * d;
        for (int64_t j = 0; j < d; j++) {
            w->sums[old * d + j] -= row[j];
            w->sums[c * d + j] = row[j];
        }
        w->counts[old]--;
        w->counts[c] = 1;
        labels[far] = (int32_t)c;
        w->ub[far] = 0; /* it is the new centre */
        w->lb[far] = 0;
    }
}

/* ---- k-means++ ----
 * Distances from every row to the candidate centres, by blocks of rows (one
 * GEMM each, threads over the blocks), fused with the new potentials. */
typedef struct pot_ctx {
    const km_work *w;
    int64_t trials;
    const float *cand;    /* trials x d */
    const float *cand_sq; /* trials */
    double *part;         /* groups x trials */
} pot_ctx;

static void pot_task(void *vctx, int64_t b, int64_t e, int group, int worker)
{
    pot_ctx *c = vctx;
    const km_work *w = c->w;
    int64_t t = c->trials, d = w->d;
    double *acc = c->part + (int64_t)group * t;
    float *dots = w->dots + (int64_t)worker * KM_BLOCK * w->dots_cols;
    for (int64_t r0 = b; r0 < e; r0 += KM_BLOCK) {
        int64_t rows = e - r0 < KM_BLOCK ? e - r0 : KM_BLOCK;
        ml_gemm(0, 1, rows, t, d, 1.0f, w->x + r0 * d, d, c->cand, d, 0.0f, dots, t);
        for (int64_t r = 0; r < rows; r++) {
            int64_t i = r0 + r;
            float *dr = w->cand_d + i * t;
            for (int64_t j = 0; j < t; j++) {
                float v = w->x_sqf[i] - 2 * dots[r * t + j] + c->cand_sq[j];
                if (v < 0) v = 0;
                if (v > w->closest[i]) v = (float)w->closest[i];
                dr[j] = v;
                acc[j] += v;
            }
        }
    }
}

static int64_t search_cum(const double *cum, int64_t n, double v)
{
    /* first index with cum[i] > v (numpy's searchsorted side="left" on v gives
     * the first cum[i] >= v; the two differ only on exact ties) */
    int64_t lo = 0, hi = n;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (cum[mid] < v) lo = mid + 1;
        else hi = mid;
    }
    return lo < n ? lo : n - 1;
}

static ml_status init_plusplus(km_work *w, ml_rng *rng, float *centers)
{
    int64_t n = w->n, d = w->d, k = w->k;
    int64_t trials = 2 + (int64_t)log((double)k);
    const int groups = ML_GROUPS;
    float *cand = malloc((size_t)(trials * d) * sizeof(float));
    float *cand_sq = malloc((size_t)trials * sizeof(float));
    int64_t *cid = malloc((size_t)trials * sizeof(int64_t));
    double *part = malloc((size_t)(groups * trials) * sizeof(double));
    double *pots = malloc((size_t)trials * sizeof(double));
    if (!cand || !cand_sq || !cid || !part || !pots) {
        free(cand), free(cand_sq), free(cid), free(part), free(pots);
        return ml_fail(ML_ENOMEM, "KMeans: out of memory");
    }
    int64_t first = (int64_t)ml_rng_below(rng, (uint64_t)n);
    memcpy(centers, w->x + first * d, (size_t)d * sizeof(float));
    /* distances to the first centre */
    for (int64_t i = 0; i < n; i++) w->closest[i] = INFINITY;
    memcpy(cand, centers, (size_t)d * sizeof(float));
    c_norms(cand, 1, d, cand_sq);
    double pot;
    {
        memset(part, 0, (size_t)groups * sizeof(double));
        pot_ctx pc = {w, 1, cand, cand_sq, part};
        ml_parallel_groups(n, KM_BLOCK, pot_task, &pc);
        pot = 0;
        for (int t = 0; t < groups; t++) pot += part[t];
        for (int64_t i = 0; i < n; i++) w->closest[i] = w->cand_d[i];
    }
    for (int64_t c = 1; c < k; c++) {
        double s = 0;
        for (int64_t i = 0; i < n; i++) {
            s += w->closest[i];
            w->cum[i] = s;
        }
        for (int64_t j = 0; j < trials; j++) {
            double r = ml_rng_uniform(rng) * pot;
            cid[j] = search_cum(w->cum, n, r);
            memcpy(cand + j * d, w->x + cid[j] * d, (size_t)d * sizeof(float));
        }
        c_norms(cand, trials, d, cand_sq);
        memset(part, 0, (size_t)(groups * trials) * sizeof(double));
        pot_ctx pc = {w, trials, cand, cand_sq, part};
        ml_parallel_groups(n, KM_BLOCK, pot_task, &pc);
        int64_t best = 0;
        for (int64_t j = 0; j < trials; j++) {
            pots[j] = 0;
            for (int t = 0; t < groups; t++) pots[j] += part[t * trials + j];
            if (pots[j] < pots[best]) best = j;
        }
        pot = pots[best];
        for (int64_t i = 0; i < n; i++) w->closest[i] = w->cand_d[i * trials + best];
        memcpy(centers + c * d, cand + best * d, (size_t)d * sizeof(float));
    }
    free(cand), free(cand_sq), free(cid), free(part), free(pots);
    return ML_OK;
}

static void init_random(km_work *w, ml_rng *rng, float *centers)
{
    /* k distinct rows: a partial Fisher-Yates over a lazily built index */
    int64_t n = w->n, d = w->d;
    int64_t *idx = (int64_t *)w->cum; /* n slots of scratch (same size as double) */
    for (int64_t i = 0; i < n; i++) idx[i] = i;
    for (int64_t c = 0; c < w->k; c++) {
        int64_t j = c + (int64_t)ml_rng_below(rng, (uint64_t)(n - c));
        int64_t t = idx[c];
        idx[c] = idx[j];
        idx[j] = t;
        memcpy(centers + c * d, w->x + idx[c] * d, (size_t)d * sizeof(float));
    }
}

/* ---- the bounded assignment step (Hamerly, 2010) ----
 * Exactly Lloyd's assignment: a row whose upper bound to its centre is below
 * both its lower bound to the others and half the distance from its centre
 * to the nearest other one cannot change cluster, and is skipped.  The other
 * rows are gathered into blocks and get all k distances from one GEMM.  The
 * cluster sums are kept up to date by moving the rows that change cluster. */
#define KM_SLACK 1e-5f /* relative slack on the bounds, for float rounding */

typedef struct bound_ctx {
    km_work *w;
    const float *c;
    int32_t *labels;
    int first; /* no bounds yet: every row is computed */
} bound_ctx;

static void bound_flush(bound_ctx *bc, int group, int worker, int64_t cnt)
{
    km_work *w = bc->w;
    int64_t d = w->d, k = w->k;
    int64_t *idx = w->gidx + (int64_t)worker * KM_BLOCK;
    float *dots = w->dots + (int64_t)worker * KM_BLOCK * k;
    double *dsum = w->tsums + (int64_t)group * k * d;
    int64_t *dcnt = w->tcounts + (int64_t)group * k;
    const float *src = w->x + idx[0] * d;
    if (idx[cnt - 1] - idx[0] != cnt - 1) { /* not one run of rows: gather them */
        float *g = w->gather + (int64_t)worker * KM_BLOCK * d;
        for (int64_t r = 0; r < cnt; r++) memcpy(g + r * d, w->x + idx[r] * d, (size_t)d * sizeof(float));
        src = g;
    }
    ml_gemm(0, 1, cnt, k, d, 1.0f, src, d, bc->c, d, 0.0f, dots, k);
    int64_t changed = 0;
    for (int64_t r = 0; r < cnt; r++) {
        int64_t i = idx[r];
        const float *dr = dots + r * k;
        float b1 = INFINITY, b2 = INFINITY;
        int32_t best = 0;
        for (int64_t c = 0; c < k; c++) {
            float v = w->c_sq[c] - 2 * dr[c];
            if (v < b1) {
                b2 = b1;
                b1 = v;
                best = (int32_t)c;
            } else if (v < b2)
                b2 = v;
        }
        float d1 = w->x_sqf[i] + b1, d2 = w->x_sqf[i] + b2;
        w->ub[i] = sqrtf(d1 > 0 ? d1 : 0) * (1 + KM_SLACK);
        w->lb[i] = k > 1 ? sqrtf(d2 > 0 ? d2 : 0) * (1 - KM_SLACK) : INFINITY;
        int32_t old = bc->labels[i];
        if (old == best) continue;
        changed++;
        bc->labels[i] = best;
        const float *row = w->x + i * d;
        if (old >= 0) {
            double *so = dsum + (int64_t)old * d;
            for (int64_t j = 0; j < d; j++) so[j] -= row[j];
            dcnt[old]--;
        }
        double *sn = dsum + (int64_t)best * d;
        for (int64_t j = 0; j < d; j++) sn[j] += row[j];
        dcnt[best]++;
    }
    w->tchanged[group] += changed;
}

static void bound_task(void *vctx, int64_t b, int64_t e, int group, int worker)
{
    bound_ctx *bc = vctx;
    km_work *w = bc->w;
    int64_t *idx = w->gidx + (int64_t)worker * KM_BLOCK, cnt = 0;
    for (int64_t i = b; i < e; i++) {
        if (!bc->first) {
            int32_t a = bc->labels[i];
            /* the centres moved since the bounds were computed */
            w->ub[i] += w->delta[a] * (1 + KM_SLACK);
            w->lb[i] -= (a == w->argmaxd ? w->maxd2 : w->maxd) * (1 + KM_SLACK);
            float m = w->lb[i] > w->half[a] ? w->lb[i] : w->half[a];
            if (w->ub[i] <= m) continue;
        }
        idx[cnt++] = i;
        if (cnt == KM_BLOCK) {
            bound_flush(bc, group, worker, cnt);
            cnt = 0;
        }
    }
    if (cnt) bound_flush(bc, group, worker, cnt);
}

/* One assignment step with bounds; w->sums/counts follow the labels.
 * Returns the number of rows that changed cluster. */
static int64_t assign_bounded(km_work *w, const float *centers, int32_t *labels, int first)
{
    int64_t k = w->k, d = w->d;
    c_norms(centers, k, d, w->c_sq);
    for (int64_t a = 0; a < k; a++) {
        double mn = INFINITY;
        for (int64_t b = 0; b < k; b++) {
            if (a == b) continue;
            double s = 0;
            for (int64_t j = 0; j < d; j++) {
                double t = (double)centers[a * d + j] - centers[b * d + j];
                s += t * t;
            }
            if (s < mn) mn = s;
        }
        w->half[a] = k > 1 ? (float)(0.5 * sqrt(mn)) * (1 - KM_SLACK) : INFINITY;
    }
    memset(w->tsums, 0, (size_t)(ML_GROUPS * k * d) * sizeof(double));
    memset(w->tcounts, 0, (size_t)(ML_GROUPS * k) * sizeof(int64_t));
    memset(w->tchanged, 0, (size_t)ML_GROUPS * sizeof(int64_t));
    bound_ctx bc = {w, centers, labels, first};
    ml_parallel_groups(w->n, KM_BLOCK, bound_task, &bc);
    int64_t changed = 0;
    for (int t = 0; t < ML_GROUPS; t++) {
        changed += w->tchanged[t];
        for (int64_t c = 0; c < k; c++) w->counts[c] += w->tcounts[t * k + c];
        const double *s = w->tsums + (int64_t)t * k * d;
        for (int64_t i = 0; i < k * d; i++) w->sums[i] += s[i];
    }
    return changed;
}

/* One run of Lloyd's algorithm from a fresh initialisation. */
static ml_status run_once(ml_kmeans *m, km_work *w, int run, float *centers, float *next, int32_t *labels,
                          double *history, int *n_iter, double *inertia, const ml_progress *p)
{
    int64_t k = w->k, d = w->d;
    ml_rng rng;
    ml_rng_seed_stream(&rng, m->seed, (uint64_t)run);
    if (m->init_random) init_random(w, &rng, centers);
    else {
        ml_status st = init_plusplus(w, &rng, centers);
        if (st) return st;
    }
    for (int64_t i = 0; i < w->n; i++) labels[i] = -1;
    memset(w->sums, 0, (size_t)(k * d) * sizeof(double));
    memset(w->counts, 0, (size_t)k * sizeof(int64_t));
    int strict = 0, it;
    char stage[48];
    if (m->n_init > 1) snprintf(stage, sizeof stage, "kmeans %d/%d", run + 1, m->n_init);
    else snprintf(stage, sizeof stage, "kmeans");
    for (it = 0; it < m->max_iter; it++) {
        int64_t changed = assign_bounded(w, centers, labels, it == 0);
        history[it] = inertia_from_sums(w, centers);
        relocate_empty(w, labels);
        double shift = 0;
        w->maxd = w->maxd2 = 0;
        w->argmaxd = -1;
        for (int64_t c = 0; c < k; c++) {
            double inv = w->counts[c] > 0 ? 1.0 / (double)w->counts[c] : 0, dc = 0;
            for (int64_t j = 0; j < d; j++) {
                float v = w->counts[c] > 0 ? (float)(w->sums[c * d + j] * inv) : centers[c * d + j];
                double df = (double)v - centers[c * d + j];
                dc += df * df;
                next[c * d + j] = v;
            }
            shift += dc;
            float dd = (float)sqrt(dc);
            w->delta[c] = dd;
            if (dd > w->maxd) {
                w->maxd2 = w->maxd;
                w->maxd = dd;
                w->argmaxd = c;
            } else if (dd > w->maxd2)
                w->maxd2 = dd;
        }
        memcpy(centers, next, (size_t)(k * d) * sizeof(float));
        if (changed == 0) {
            strict = 1;
            break;
        }
        if (shift <= w->tol) break;
        ml_status st = ml_progress_update(p, stage, it + 1, m->max_iter);
        if (st) {
            *n_iter = it + 1;
            return st;
        }
    }
    *n_iter = it < m->max_iter ? it + 1 : m->max_iter;
    /* labels for the final centres (unchanged labels: the sums are current) */
    if (!strict) assign_bounded(w, centers, labels, 0);
    *inertia = inertia_from_sums(w, centers);
    if (!strict && *n_iter >= m->max_iter)
        snprintf(m->base.warning, sizeof m->base.warning,
                 "run %d stopped after max_iter=%d iterations without converging; increase max_iter or tol", run + 1, m->max_iter);
    return ML_OK;
}

static void work_free(km_work *w)
{
    free(w->ub), free(w->lb), free(w->gather), free(w->gidx), free(w->half), free(w->delta);
    free(w->x_sq), free(w->x_sqf), free(w->tsums), free(w->tcounts), free(w->tchanged), free(w->dots);
    free(w->sums), free(w->counts), free(w->c_sq), free(w->mind), free(w->closest), free(w->cum), free(w->cand_d);
}

static ml_status kmeans_fit_impl(ml_kmeans *m, const ml_tensor *X, const ml_progress *p)
{
    ml_tensor *X2 = ml_tensor_flatten_rows(X);
    if (!X2) return ML_ENOMEM;
    int64_t n = X2->shape[0], d = X2->shape[1], k = m->n_clusters;
    ml_status st = ML_OK;
    km_work w = {0};
    float *centers = NULL, *next = NULL, *best_c = NULL;
    int32_t *labels = NULL, *best_l = NULL;
    double *hist = NULL, *best_h = NULL;
    if (n < k) {
        st = ml_fail(ML_EINVAL, "KMeans: n_clusters=%lld is larger than the number of samples (%lld)", (long long)k,
                     (long long)n);
        goto done;
    }
    int threads = ml_get_threads();
    int64_t trials = 2 + (int64_t)log((double)k);
    w.x = X2->data;
    w.n = n;
    w.d = d;
    w.k = k;
    w.threads = threads;
    w.x_sq = malloc((size_t)n * sizeof(double));
    w.x_sqf = malloc((size_t)n * sizeof(float));
    w.tsums = malloc((size_t)(ML_GROUPS * k * d) * sizeof(double));
    w.tcounts = malloc((size_t)(ML_GROUPS * k) * sizeof(int64_t));
    w.tchanged = malloc((size_t)ML_GROUPS * sizeof(int64_t));
    w.dots_cols = k > trials ? k : trials;
    w.dots = malloc((size_t)(threads * KM_BLOCK * w.dots_cols) * sizeof(float));
    w.sums = malloc((size_t)(k * d) * sizeof(double));
    w.counts = malloc((size_t)k * sizeof(int64_t));
    w.c_sq = malloc((size_t)k * sizeof(float));
    w.closest = malloc((size_t)n * sizeof(double));
    w.cum = malloc((size_t)n * sizeof(double));
    w.cand_d = malloc((size_t)(n * trials) * sizeof(float));
    w.ub = malloc((size_t)n * sizeof(float));
    w.lb = malloc((size_t)n * sizeof(float));
    w.gather = malloc((size_t)(threads * KM_BLOCK * d) * sizeof(float));
    w.gidx = malloc((size_t)(threads * KM_BLOCK) * sizeof(int64_t));
    w.half = malloc((size_t)k * sizeof(float));
    w.delta = malloc((size_t)k * sizeof(float));
    centers = malloc((size_t)(k * d) * sizeof(float));
    next = malloc((size_t)(k * d) * sizeof(float));
    best_c = malloc((size_t)(k * d) * sizeof(float));
    labels = malloc((size_t)n * sizeof(int32_t));
    best_l = malloc((size_t)n * sizeof(int32_t));
    hist = malloc((size_t)m->max_iter * sizeof(double));
    best_h = malloc((size_t)m->max_iter * sizeof(double));
    double *part = calloc((size_t)(ML_GROUPS * 2 * d), sizeof(double));
    if (!w.x_sq || !w.x_sqf || !w.tsums || !w.tcounts || !w.tchanged || !w.dots || !w.sums || !w.counts ||
        !w.c_sq || !w.closest || !w.cum || !w.cand_d || !w.ub || !w.lb || !w.gather || !w.gidx ||
        !w.half || !w.delta || !centers || !next || !best_c || !labels ||
        !best_l || !hist || !best_h || !part) {
        free(part);
        st = ml_fail(ML_ENOMEM, "KMeans: out of memory for %lld x %lld", (long long)n, (long long)d);
        goto done;
    }
    stats_ctx sc = {w.x, d, w.x_sq, part};
    ml_parallel_groups(n, 1024, stats_task, &sc);
    double var_sum = 0;
    for (int64_t j = 0; j < d; j++) {
        double s = 0, s2 = 0;
        for (int t = 0; t < ML_GROUPS; t++) {
            s += part[(int64_t)t * 2 * d + j];
            s2 += part[(int64_t)t * 2 * d + d + j];
        }
        double mu = s / (double)n, v = s2 / (double)n - mu * mu;
        var_sum += v > 0 ? v : 0;
    }
    free(part);
    w.tol = m->tol * var_sum / (double)d;
    w.x_sq_total = 0;
    for (int64_t i = 0; i < n; i++) {
        w.x_sq_total += w.x_sq[i];
        w.x_sqf[i] = (float)w.x_sq[i];
    }

    double best = INFINITY;
    int best_iter = 0;
    m->base.warning[0] = 0;
    for (int run = 0; run < m->n_init; run++) {
        int n_iter = 0;
        double inertia = 0;
        st = run_once(m, &w, run, centers, next, labels, hist, &n_iter, &inertia, p);
        if (st) goto done;
        if (inertia < best) {
            best = inertia;
            best_iter = n_iter;
            memcpy(best_c, centers, (size_t)(k * d) * sizeof(float));
            memcpy(best_l, labels, (size_t)n * sizeof(int32_t));
            memcpy(best_h, hist, (size_t)n_iter * sizeof(double));
        }
    }
    ml_kmeans_clear(m);
    m->k = k;
    m->d = d;
    m->n = n;
    m->centers = best_c;
    m->labels = best_l;
    m->history = best_h;
    m->n_history = best_iter;
    m->n_iter = best_iter;
    m->inertia = best;
    best_c = NULL;
    best_l = NULL;
    best_h = NULL;
    m->base.n_features_in = d;
    m->base.fitted = 1;
done:
    work_free(&w);
    free(centers), free(next), free(best_c), free(labels), free(best_l), free(hist), free(best_h);
    ml_tensor_free(X2);
    return st;
}

ml_status ml_kmeans_fit(ml_kmeans *m, const ml_tensor *X, const ml_progress *p)
{
    if (!X) return ml_fail(ML_EINVAL, "X: missing");
    if (ml_tensor_has_nonfinite(X)) return ml_fail(ML_EINVAL, "X: contains NaN or infinite values");
    return kmeans_fit_impl(m, X, p);
}

static ml_status check_X(const ml_kmeans *m, const ml_tensor *X, ml_tensor **X2)
{
    if (!m->base.fitted || !m->centers) return ml_fail(ML_ESTATE, "KMeans: not fitted yet; call fit first");
    *X2 = ml_tensor_flatten_rows(X);
    if (!*X2) return ML_ENOMEM;
    if ((*X2)->shape[1] != m->d) {
        ml_tensor_free(*X2);
        return ml_fail(ML_EINVAL, "X: has %lld features, but KMeans was fitted with %lld",
                       (long long)(*X2)->shape[1], (long long)m->d);
    }
    return ML_OK;
}

ml_status ml_kmeans_predict(const ml_kmeans *m, const ml_tensor *X, ml_tensor **out)
{
    *out = NULL;
    ml_tensor *X2;
    ml_status st = check_X(m, X, &X2);
    if (st) return st;
    int64_t n = X2->shape[0], k = m->k, d = m->d;
    int threads = ml_get_threads();
    km_work w = {0};
    w.x = X2->data;
    w.n = n;
    w.d = d;
    w.k = k;
    w.threads = threads;
    w.tcounts = malloc((size_t)(ML_GROUPS * k) * sizeof(int64_t));
    w.tchanged = malloc((size_t)ML_GROUPS * sizeof(int64_t));
    w.dots = malloc((size_t)(threads * KM_BLOCK * k) * sizeof(float));
    w.counts = malloc((size_t)k * sizeof(int64_t));
    w.c_sq = malloc((size_t)k * sizeof(float));
    int32_t *labels = malloc((size_t)(n ? n : 1) * sizeof(int32_t));
    ml_tensor *t = ml_tensor_empty(1, (int64_t[]){n});
    if (!w.tcounts || !w.tchanged || !w.dots || !w.counts || !w.c_sq || !labels || !t) {
        st = ml_fail(ML_ENOMEM, "KMeans.predict: out of memory");
        ml_tensor_free(t);
    } else {
        for (int64_t i = 0; i < n; i++) labels[i] = -1;
        assign(&w, m->centers, labels, 0);
        for (int64_t i = 0; i < n; i++) t->data[i] = (float)labels[i];
        *out = t;
    }
    free(labels);
    work_free(&w);
    ml_tensor_free(X2);
    return st;
}

ml_status ml_kmeans_transform(const ml_kmeans *m, const ml_tensor *X, ml_tensor **out)
{
    *out = NULL;
    ml_tensor *X2;
    ml_status st = check_X(m, X, &X2);
    if (st) return st;
    int64_t n = X2->shape[0], k = m->k, d = m->d;
    ml_tensor *D = ml_tensor_empty(2, (int64_t[]){n, k});
    float *c_sq = malloc((size_t)k * sizeof(float));
    if (!D || !c_sq) {
        ml_tensor_free(D);
        free(c_sq);
        ml_tensor_free(X2);
        return ml_fail(ML_ENOMEM, "KMeans.transform: out of memory");
    }
    c_norms(m->centers, k, d, c_sq);
    ml_gemm(0, 1, n, k, d, 1.0f, X2->data, d, m->centers, d, 0.0f, D->data, k);
    for (int64_t i = 0; i < n; i++) {
        const float *row = X2->data + i * d;
        double q = 0;
        for (int64_t j = 0; j < d; j++) q += (double)row[j] * row[j];
        for (int64_t c = 0; c < k; c++) {
            double v = q - 2.0 * D->data[i * k + c] + c_sq[c];
            D->data[i * k + c] = (float)sqrt(v > 0 ? v : 0);
        }
    }
    free(c_sq);
    ml_tensor_free(X2);
    *out = D;
    return ML_OK;
}

/* ---- the estimator class ---- */

static void cls_init(ml_estimator *e) { ml_kmeans_init((ml_kmeans *)e); }
static void cls_destroy(ml_estimator *e) { ml_kmeans_clear((ml_kmeans *)e); }

static ml_status cls_fit(ml_estimator *e, const ml_tensor *X, const ml_tensor *y, const ml_progress *p)
{
    (void)y;
    return kmeans_fit_impl((ml_kmeans *)e, X, p);
}

static ml_status cls_predict(const ml_estimator *e, const ml_tensor *X, ml_tensor **out)
{
    return ml_kmeans_predict((const ml_kmeans *)e, X, out);
}

static ml_status cls_transform(const ml_estimator *e, const ml_tensor *X, ml_tensor **out)
{
    return ml_kmeans_transform((const ml_kmeans *)e, X, out);
}

static ml_status cls_get_attr(const ml_estimator *e, const char *name, ml_value *v)
{
    const ml_kmeans *m = (const ml_kmeans *)e;
    memset(v, 0, sizeof *v);
    if (!m->base.fitted) return ml_fail(ML_ESTATE, "KMeans: not fitted yet; call fit first");
    ml_tensor *t = NULL;
    if (!strcmp(name, "cluster_centers")) {
        t = ml_tensor_empty(2, (int64_t[]){m->k, m->d});
        if (t) memcpy(t->data, m->centers, (size_t)(m->k * m->d) * sizeof(float));
    } else if (!strcmp(name, "labels")) {
        t = ml_tensor_empty(1, (int64_t[]){m->n});
        if (t)
            for (int64_t i = 0; i < m->n; i++) t->data[i] = (float)m->labels[i];
    } else if (!strcmp(name, "inertia_history")) {
        t = ml_tensor_empty(1, (int64_t[]){m->n_history});
        if (t)
            for (int i = 0; i < m->n_history; i++) t->data[i] = (float)m->history[i];
    } else if (!strcmp(name, "counts")) {
        t = ml_tensor_new1(m->k);
        if (t && m->labels)
            for (int64_t i = 0; i < m->n; i++) t->data[m->labels[i]] += 1;
    } else if (!strcmp(name, "inertia")) {
        *v = ml_num(m->inertia);
        return ML_OK;
    } else if (!strcmp(name, "n_iter")) {
        *v = ml_num(m->n_iter);
        return ML_OK;
    } else
        return ml_fail(ML_EINVAL, "KMeans: no attribute '%s'", name);
    if (!t) return ml_fail(ML_ENOMEM, "KMeans: out of memory");
    v->kind = ML_VAL_TENSOR;
    v->tensor = t;
    return ML_OK;
}

static ml_status cls_save(const ml_estimator *e, ml_mfile_w *w)
{
    const ml_kmeans *m = (const ml_kmeans *)e;
    ml_status st;
    if ((st = ml_mfile_put_i64(w, "k", m->k)) || (st = ml_mfile_put_i64(w, "d", m->d)) ||
        (st = ml_mfile_put_i64(w, "n_iter", m->n_iter)) || (st = ml_mfile_put_f64(w, "inertia", m->inertia)) ||
        (st = ml_mfile_put(w, "centers", m->centers, (size_t)(m->k * m->d) * sizeof(float))))
        return st;
    return ML_OK;
}

static ml_status cls_load(ml_estimator *e, const ml_mfile *r)
{
    ml_kmeans *m = (ml_kmeans *)e;
    ml_kmeans_clear(m);
    int64_t k, d, it;
    ml_status st;
    if ((st = ml_mfile_get_i64(r, "k", &k)) || (st = ml_mfile_get_i64(r, "d", &d)) ||
        (st = ml_mfile_get_i64(r, "n_iter", &it)) || (st = ml_mfile_get_f64(r, "inertia", &m->inertia)))
        return st;
    size_t sz = 0;
    const void *c = ml_mfile_get(r, "centers", &sz);
    if (k < 1 || d < 1 || k > (int64_t)1 << 24 || d > (int64_t)1 << 24 || !c ||
        sz != (size_t)(k * d) * sizeof(float))
        return ml_fail(ML_EFORMAT, "%s: KMeans centres are missing or inconsistent", ml_mfile_path(r));
    m->centers = malloc(sz);
    if (!m->centers) return ml_fail(ML_ENOMEM, "KMeans: out of memory");
    memcpy(m->centers, c, sz);
    m->k = k;
    m->d = d;
    m->n_iter = (int)it;
    m->base.n_features_in = d;
    m->base.fitted = 1;
    return ML_OK;
}

const ml_estimator_class ml_kmeans_class = {
    .name = "KMeans",
    .type = ML_CLUSTERER,
    .size = sizeof(ml_kmeans),
    .params = km_params,
    .attrs = km_attrs,
    .init = cls_init,
    .destroy = cls_destroy,
    .reset = cls_destroy,
    .param_specs = km_specs,
    .fit = cls_fit,
    .predict = cls_predict,
    .transform = cls_transform,
    .get_attr = cls_get_attr,
    .save = cls_save,
    .load = cls_load,
};
