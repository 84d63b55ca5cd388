/* mnistlab models: decision tree classifier (see tree.h). */
#include "models/tree.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/blas.h"
#include "core/parallel.h"
#include "core/rng.h"

#define NBINS 256
#define LEAF (-1)

enum { CRIT_GINI, CRIT_ENTROPY, CRIT_LOG_LOSS };
static const char *const criteria[] = {"gini", "entropy", "log_loss", NULL};
static const char *const feature_modes[] = {"sqrt", "log2", "auto", NULL};

typedef struct tree {
    ml_estimator base;
    /* parameters */
    int criterion;
    double max_depth;         /* 0 = None */
    double min_samples_split; /* >= 2 integer or fraction */
    double min_samples_leaf;  /* >= 1 integer or fraction */
    int max_features_mode;    /* -1 none, 0 sqrt, 1 log2, 2 auto(=sqrt), 3 number */
    double max_features;      /* when mode 3 */
    int has_seed;
    double random_state;
    /* fitted state */
    int32_t n_nodes, cap;
    int32_t *left, *right, *feature, *n_samples;
    double *threshold, *impurity;
    float *value; /* n_nodes x n_classes: class fractions */
    double *importances;
    int depth, n_leaves;
} tree;

static const char *const tree_params[] = {"criterion",        "max_depth",    "min_samples_split",
                                          "min_samples_leaf", "max_features", "random_state",
                                          NULL};
static const char *const tree_attrs[] = {"depth", "n_leaves", "node_count", "feature_importances", "classes", NULL};

static void tree_init(ml_estimator *e)
{
    tree *t = (tree *)e;
    t->criterion = CRIT_GINI;
    t->max_depth = 0;
    t->min_samples_split = 2;
    t->min_samples_leaf = 1;
    t->max_features_mode = -1;
}

static void tree_reset(ml_estimator *e)
{
    tree *t = (tree *)e;
    free(t->left), free(t->right), free(t->feature), free(t->n_samples);
    free(t->threshold), free(t->impurity), free(t->value), free(t->importances);
    t->left = t->right = t->feature = t->n_samples = NULL;
    t->threshold = t->impurity = t->importances = NULL;
    t->value = NULL;
    t->n_nodes = t->cap = 0;
    t->depth = t->n_leaves = 0;
}

static ml_status tree_set(ml_estimator *e, const char *name, const ml_value *v)
{
    tree *t = (tree *)e;
    if (!strcmp(name, "criterion")) return ml_param_choice(e, name, v, criteria, &t->criterion);
    if (!strcmp(name, "max_depth")) {
        if (v->kind == ML_VAL_NONE) return t->max_depth = 0, ML_OK;
        return ml_param_number(e, name, v, 1, 1e9, 1, &t->max_depth);
    }
    if (!strcmp(name, "min_samples_split")) {
        double x;
        ml_status st = ml_param_number(e, name, v, 0, 1e12, 0, &x);
        if (st) return st;
        if (x > 1 && x != floor(x))
            return ml_fail(ML_EINVAL, "%s: min_samples_split must be an integer >= 2 or a fraction in (0, 1], got %g",
                           e->cls->name, x);
        if (x <= 0)
            return ml_fail(ML_EINVAL, "%s: min_samples_split must be an integer >= 2 or a fraction in (0, 1], got %g",
                           e->cls->name, x);
        t->min_samples_split = x;
        return ML_OK;
    }
    if (!strcmp(name, "min_samples_leaf")) {
        double x;
        ml_status st = ml_param_number(e, name, v, 0, 1e12, 0, &x);
        if (st) return st;
        if (x <= 0 || (x >= 1 && x != floor(x)))
            return ml_fail(ML_EINVAL, "%s: min_samples_leaf must be an integer >= 1 or a fraction in (0, 1), got %g",
                           e->cls->name, x);
        t->min_samples_leaf = x;
        return ML_OK;
    }
    if (!strcmp(name, "max_features")) {
        if (v->kind == ML_VAL_NONE) return t->max_features_mode = -1, ML_OK;
        if (v->kind == ML_VAL_STR) return ml_param_choice(e, name, v, feature_modes, &t->max_features_mode);
        double x;
        ml_status st = ml_param_number(e, name, v, 0, 1e9, 0, &x);
        if (st) return st;
        if (x <= 0 || (x > 1 && x != floor(x)))
            return ml_fail(ML_EINVAL, "%s: max_features must be an integer >= 1, a fraction in (0, 1], \"sqrt\" or "
                           "\"log2\", got %g", e->cls->name, x);
        t->max_features_mode = 3;
        t->max_features = x;
        return ML_OK;
    }
    if (!strcmp(name, "random_state")) {
        if (v->kind == ML_VAL_NONE) return t->has_seed = 0, ML_OK;
        ml_status st = ml_param_number(e, name, v, 0, 9007199254740992.0, 1, &t->random_state);
        if (!st) t->has_seed = 1;
        return st;
    }
    return ml_fail(ML_EINVAL, "%s: unknown parameter '%s'", e->cls->name, name);
}

static ml_status tree_get(const ml_estimator *e, const char *name, ml_value *v)
{
    const tree *t = (const tree *)e;
    if (!strcmp(name, "criterion")) *v = ml_str(criteria[t->criterion]);
    else if (!strcmp(name, "max_depth")) *v = t->max_depth > 0 ? ml_num(t->max_depth) : ml_none();
    else if (!strcmp(name, "min_samples_split")) *v = ml_num(t->min_samples_split);
    else if (!strcmp(name, "min_samples_leaf")) *v = ml_num(t->min_samples_leaf);
    else if (!strcmp(name, "max_features"))
        *v = t->max_features_mode < 0 ? ml_none()
             : t->max_features_mode < 3 ? ml_str(feature_modes[t->max_features_mode])
                                        : ml_num(t->max_features);
    else if (!strcmp(name, "random_state")) *v = t->has_seed ? ml_num(t->random_state) : ml_none();
    else return ml_fail(ML_EINVAL, "%s: unknown parameter '%s'", e->cls->name, name);
    return ML_OK;
}

/* ------------------------------------------------------------------ */
/* Binning: each feature's values -> ranks (exact) or quantile bins.   */

typedef struct binning {
    const float *X;
    int64_t n, d;
    uint8_t *Xb;  /* d x n, feature-major */
    double *mid;  /* d x NBINS: threshold between bin b and b + 1 */
    int *nbins;   /* d */
    int failed;
} binning;

#define HSIZE 1024 /* open addressing table for <= 256 distinct values */

static uint32_t fbits(float x)
{
    if (x == 0) x = 0; /* -0 and +0 are one value */
    uint32_t u;
    memcpy(&u, &x, 4);
    return u;
}

static uint32_t hslot(uint32_t u) { return (u * 2654435761u) >> 22; }

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

/* One column col[0..n-1] -> Xb row, mids, nbins. */
static int bin_column(const float *col, int64_t n, uint8_t *out, double *mid, int *nbins, float *sortbuf)
{
    uint32_t keys[HSIZE];
    int16_t rank[HSIZE];
    uint8_t used[HSIZE];
    float uniq[NBINS];
    memset(used, 0, sizeof used);
    int nu = 0, overflow = 0;
    for (int64_t i = 0; i < n && !overflow; i++) {
        uint32_t u = fbits(col[i]);
        uint32_t h = hslot(u);
        while (used[h] && keys[h] != u) h = (h + 1) & (HSIZE - 1);
        if (!used[h]) {
            if (nu == NBINS) {
                overflow = 1;
                break;
            }
            used[h] = 1;
            keys[h] = u;
            uniq[nu++] = col[i] == 0 ? 0.f : col[i];
        }
    }
    if (!overflow) {
        qsort(uniq, (size_t)nu, sizeof *uniq, cmp_float);
        for (int r = 0; r < nu; r++) {
            uint32_t u = fbits(uniq[r]);
            uint32_t h = hslot(u);
            while (keys[h] != u) h = (h + 1) & (HSIZE - 1);
            rank[h] = (int16_t)r;
        }
        for (int64_t i = 0; i < n; i++) {
            uint32_t u = fbits(col[i]);
            uint32_t h = hslot(u);
            while (keys[h] != u) h = (h + 1) & (HSIZE - 1);
            out[i] = (uint8_t)rank[h];
        }
        for (int r = 0; r + 1 < nu; r++) mid[r] = (double)uniq[r] / 2.0 + (double)uniq[r + 1] / 2.0;
        *nbins = nu;
        return 0;
    }
    /* More than 256 distinct values: quantile bins over the sorted column. */
    memcpy(sortbuf, col, sizeof *sortbuf * (size_t)n);
    qsort(sortbuf, (size_t)n, sizeof *sortbuf, cmp_float);
    float upper[NBINS];
    int nb = 0;
    int64_t i = 0;
    while (i < n && nb < NBINS) {
        int64_t target = (int64_t)((double)n * (nb + 1) / NBINS);
        if (target <= i) target = i + 1;
        if (nb == NBINS - 1) target = n;
        int64_t j = target - 1; /* last index in the bin, extended over ties */
        while (j + 1 < n && sortbuf[j + 1] == sortbuf[j]) j++;
        upper[nb++] = sortbuf[j];
        i = j + 1;
    }
    /* mids: between the largest value of bin b and the smallest of b + 1 */
    for (int b = 0; b + 1 < nb; b++) {
        float lo = upper[b];
        /* the next distinct value after upper[b] */
        int64_t a = 0, z = n;
        while (a < z) {
            int64_t m = (a + z) / 2;
            if (sortbuf[m] <= lo) a = m + 1;
            else z = m;
        }
        mid[b] = (double)lo / 2.0 + (double)sortbuf[a] / 2.0;
    }
    for (int64_t k = 0; k < n; k++) {
        float x = col[k];
        int a = 0, z = nb - 1;
        while (a < z) {
            int m = (a + z) / 2;
            if (x <= upper[m]) z = m;
            else a = m + 1;
        }
        out[k] = (uint8_t)a;
    }
    *nbins = nb;
    return 0;
}

#define FBLOCK 16

static void bin_task(void *ctx, int64_t b, int64_t e, int w)
{
    (void)w;
    binning *B = ctx;
    int64_t n = B->n, d = B->d;
    float *cols = malloc(sizeof *cols * (size_t)n * FBLOCK);
    float *sortbuf = malloc(sizeof *sortbuf * (size_t)n);
    if (!cols || !sortbuf) {
        free(cols), free(sortbuf);
        __atomic_store_n(&B->failed, 1, __ATOMIC_RELAXED);
        return;
    }
    for (int64_t f0 = b; f0 < e; f0 += FBLOCK) {
        int64_t nf = e - f0 < FBLOCK ? e - f0 : FBLOCK;
        for (int64_t i = 0; i < n; i++) {
            const float *row = B->X + i * d + f0;
            for (int64_t k = 0; k < nf; k++) cols[k * n + i] = row[k];
        }
        for (int64_t k = 0; k < nf; k++) {
            int64_t f = f0 + k;
            bin_column(cols + k * n, n, B->Xb + f * n, B->mid + f * NBINS, &B->nbins[f], sortbuf);
        }
    }
    free(cols);
    free(sortbuf);
}

/* ------------------------------------------------------------------ */
/* Growing                                                              */

typedef struct scratch {
    uint8_t *tmp8;    /* partition buffer (n bytes) */
    uint16_t *cs;     /* classes grouped by bin */
    uint32_t *keys;   /* (bin << 16 | class) of a small node, sorted */
    int32_t *hist;    /* 2 x NBINS x C when C <= HIST_MAX_C */
    int32_t cnt[NBINS];
    int32_t cnt2[NBINS];
    int32_t pos[NBINS];
    int64_t *cl, *cr; /* class counts left / right */
} scratch;

#define HIST_MAX_C 64
#define HIST_MIN_M 2048

/* The binned data is kept physically partitioned: each candidate feature's
 * column, and the classes, hold a node's samples in one contiguous range, so
 * that a node's evaluation reads memory in order. */
typedef struct grower {
    int64_t n, d;
    int C;
    uint8_t *Xb;          /* d x n, feature-major */
    uint16_t *ycls;       /* n */
    const double *xlogx;  /* x log x for x = 0..n */
    int crit;
    int64_t msl;
    /* node being split */
    int64_t start, m;
    const int64_t *ncount; /* class counts of the node */
    const int32_t *feats;  /* candidate features to evaluate */
    double *best_proxy;
    int16_t *best_bin;     /* -1 no valid split, -2 constant */
    /* partition */
    const uint8_t *goes_left; /* m flags */
    scratch *sc;
    /* dynamic scheduling: the next feature position to take, and how many */
    int64_t next, count;
    void (*work)(const struct grower *g, int64_t b, int64_t e, int w);
} grower;

/* Small nodes: sort the (bin, class) pairs instead of counting into 256
 * bins, whose scan would cost more than the samples themselves. */
#define SMALL_M 32

static void eval_small(const grower *g, scratch *s, const uint8_t *col, const uint16_t *yn, double *proxy_out,
                       int16_t *bin_out)
{
    int64_t m = g->m;
    uint32_t *key = s->keys;
    for (int64_t i = 0; i < m; i++) {
        uint32_t k = (uint32_t)col[i] << 16 | yn[i];
        int64_t j = i;
        while (j > 0 && key[j - 1] > k) {
            key[j] = key[j - 1];
            j--;
        }
        key[j] = k;
    }
    if (key[0] >> 16 == key[m - 1] >> 16) {
        *bin_out = -2;
        *proxy_out = -INFINITY;
        return;
    }
    int C = g->C;
    int64_t *cl = s->cl, *cr = s->cr;
    memset(cl, 0, sizeof *cl * (size_t)C);
    memcpy(cr, g->ncount, sizeof *cr * (size_t)C);
    int gini = g->crit == CRIT_GINI;
    const double *xl = g->xlogx;
    int64_t sql = 0, sqr = 0, msl = g->msl;
    double el = 0, er = 0, best = -INFINITY;
    int bestb = -1;
    if (gini)
        for (int c = 0; c < C; c++) sqr += cr[c] * cr[c];
    else
        for (int c = 0; c < C; c++) er += xl[cr[c]];
    for (int64_t i = 0; i + 1 < m; i++) {
        int c = (int)(key[i] & 0xffff);
        if (gini) {
            sql += 2 * cl[c] + 1;
            sqr -= 2 * cr[c] - 1;
        } else {
            el += xl[cl[c] + 1] - xl[cl[c]];
            er += xl[cr[c] - 1] - xl[cr[c]];
        }
        cl[c]++;
        cr[c]--;
        if (key[i] >> 16 == key[i + 1] >> 16) continue;
        int64_t nl = i + 1, nr = m - nl;
        if (nl < msl) continue;
        if (nr < msl) break;
        double proxy = gini ? (double)sql / (double)nl + (double)sqr / (double)nr : el - xl[nl] + er - xl[nr];
        if (proxy > best) best = proxy, bestb = (int)(key[i] >> 16);
    }
    *proxy_out = best;
    *bin_out = (int16_t)bestb;
}

/* Scans bins lo..hi-1 given per-bin class counts (hist) or the classes
 * grouped by bin (cs); returns the best proxy and its bin. */
static void eval_feature(const grower *g, scratch *s, int32_t f, double *proxy_out, int16_t *bin_out)
{
    const uint8_t *col = g->Xb + (int64_t)f * g->n + g->start;
    const uint16_t *yn = g->ycls + g->start;
    int64_t m = g->m;
    int C = g->C;
    int32_t *cnt = s->cnt;
    if (m <= SMALL_M) {
        eval_small(g, s, col, yn, proxy_out, bin_out);
        return;
    }
    int use_hist = C <= HIST_MAX_C && m >= HIST_MIN_M;
    int32_t *hist = s->hist;
    /* Two copies of the counts, alternating samples, so that runs of equal
     * bins (blank pixels) do not wait on each other's increments. */
    if (use_hist) {
        int32_t *h1 = hist + NBINS * C;
        int64_t i = 0;
        for (; i + 1 < m; i += 2) {
            hist[col[i] * C + yn[i]]++;
            h1[col[i + 1] * C + yn[i + 1]]++;
        }
        if (i < m) hist[col[i] * C + yn[i]]++;
        for (int b = 0; b < NBINS; b++) {
            int32_t t = 0;
            for (int c = 0; c < C; c++) {
                int32_t v = hist[b * C + c] + h1[b * C + c];
                hist[b * C + c] = v;
                h1[b * C + c] = 0;
                t += v;
            }
            cnt[b] = t;
        }
    } else if (m >= 512) {
        int32_t *c1 = s->cnt2;
        int64_t i = 0;
        for (; i + 1 < m; i += 2) {
            cnt[col[i]]++;
            c1[col[i + 1]]++;
        }
        if (i < m) cnt[col[i]]++;
        for (int b = 0; b < NBINS; b++) cnt[b] += c1[b], c1[b] = 0;
    } else {
        for (int64_t i = 0; i < m; i++) cnt[col[i]]++;
    }
    int lo = 0, hi = NBINS - 1;
    while (cnt[lo] == 0) lo++;
    while (cnt[hi] == 0) hi--;
    if (lo == hi) {
        cnt[lo] = 0;
        if (use_hist) memset(hist + lo * C, 0, sizeof *hist * (size_t)C);
        *bin_out = -2;
        *proxy_out = -INFINITY;
        return;
    }
    uint16_t *cs = s->cs;
    if (!use_hist) {
        int32_t p = 0;
        for (int b = lo; b <= hi; b++) {
            s->pos[b] = p;
            p += cnt[b];
        }
        for (int64_t i = 0; i < m; i++) cs[s->pos[col[i]]++] = yn[i];
    }
    int64_t *cl = s->cl, *cr = s->cr;
    memset(cl, 0, sizeof *cl * (size_t)C);
    memcpy(cr, g->ncount, sizeof *cr * (size_t)C);
    double best = -INFINITY;
    int bestb = -1;
    int64_t nl = 0, msl = g->msl;
    int64_t k = 0;
    int gini = g->crit == CRIT_GINI;
    const double *xl = g->xlogx;
    int64_t sql = 0, sqr = 0;
    double el = 0, er = 0;
    if (gini)
        for (int c = 0; c < C; c++) sqr += cr[c] * cr[c];
    else
        for (int c = 0; c < C; c++) er += xl[cr[c]];
    for (int b = lo; b < hi; b++) {
        int32_t nb = cnt[b];
        if (!nb) continue;
        if (use_hist) {
            const int32_t *h = hist + b * C;
            for (int c = 0; c < C; c++) {
                int64_t t = h[c];
                if (!t) continue;
                if (gini) {
                    sql += t * (2 * cl[c] + t);
                    sqr -= t * (2 * cr[c] - t);
                } else {
                    el += xl[cl[c] + t] - xl[cl[c]];
                    er += xl[cr[c] - t] - xl[cr[c]];
                }
                cl[c] += t;
                cr[c] -= t;
            }
        } else if (gini) {
            for (int32_t j = 0; j < nb; j++, k++) {
                int c = cs[k];
                sql += 2 * cl[c] + 1;
                cl[c]++;
                sqr -= 2 * cr[c] - 1;
                cr[c]--;
            }
        } else {
            for (int32_t j = 0; j < nb; j++, k++) {
                int c = cs[k];
                el += xl[cl[c] + 1] - xl[cl[c]];
                cl[c]++;
                er += xl[cr[c] - 1] - xl[cr[c]];
                cr[c]--;
            }
        }
        nl += nb;
        int64_t nr = m - nl;
        if (nl < msl) continue;
        if (nr < msl) break;
        double proxy = gini ? (double)sql / (double)nl + (double)sqr / (double)nr : el - xl[nl] + er - xl[nr];
        if (proxy > best) best = proxy, bestb = b;
    }
    for (int b = lo; b <= hi; b++) cnt[b] = 0;
    if (use_hist) memset(hist + lo * C, 0, sizeof *hist * (size_t)C * (size_t)(hi - lo + 1));
    *proxy_out = best;
    *bin_out = (int16_t)bestb;
}

static void eval_range(const grower *g, int64_t b, int64_t e, int w)
{
    scratch *s = &g->sc[w];
    for (int64_t j = b; j < e; j++) eval_feature(g, s, g->feats[j], &g->best_proxy[j], &g->best_bin[j]);
}

/* Each thread takes small runs of features until none are left, so that a
 * thread the system holds back does not hold up the node: the results are
 * stored per feature and merged in order, the same whoever computed them. */
#define RUN 4

static void dynamic_task(void *ctx, int64_t b, int64_t e, int w)
{
    (void)b, (void)e;
    grower *g = ctx;
    for (;;) {
        int64_t j = __atomic_fetch_add(&g->next, RUN, __ATOMIC_RELAXED);
        if (j >= g->count) break;
        g->work(g, j, j + RUN < g->count ? j + RUN : g->count, w);
    }
}

static void run_dynamic(grower *g, int64_t count, void (*work)(const grower *, int64_t, int64_t, int), int nthreads)
{
    g->next = 0;
    g->count = count;
    g->work = work;
    ml_parallel_for(nthreads, 1, dynamic_task, g);
}

/* Stable partition of the node's range of each candidate column. */
static void partition_range(const grower *g, int64_t b, int64_t e, int w)
{
    uint8_t *tmp = g->sc[w].tmp8;
    const uint8_t *L = g->goes_left;
    int64_t m = g->m;
    for (int64_t j = b; j < e; j++) {
        uint8_t *col = g->Xb + (int64_t)g->feats[j] * g->n + g->start;
        int64_t nl = 0, nr = 0;
        for (int64_t i = 0; i < m; i++) {
            uint8_t v = col[i];
            col[nl] = v; /* nl <= i: never overwrites an unread value */
            tmp[nr] = v;
            nl += L[i];
            nr += !L[i];
        }
        memcpy(col + nl, tmp, (size_t)nr);
    }
}

static double impurity_of(int crit, const int64_t *cnt, int C, int64_t m)
{
    if (m <= 0) return 0;
    double s = 0;
    if (crit == CRIT_GINI) {
        for (int c = 0; c < C; c++) s += (double)cnt[c] * (double)cnt[c];
        return 1.0 - s / ((double)m * (double)m);
    }
    for (int c = 0; c < C; c++)
        if (cnt[c]) {
            double p = (double)cnt[c] / (double)m;
            s -= p * log2(p);
        }
    return s;
}

static int grow_nodes(tree *t, int C)
{
    if (t->n_nodes < t->cap) return 0;
    int32_t cap = t->cap ? t->cap * 2 : 1024;
    int32_t *l = realloc(t->left, sizeof *l * (size_t)cap);
    if (l) t->left = l;
    int32_t *r = realloc(t->right, sizeof *r * (size_t)cap);
    if (r) t->right = r;
    int32_t *f = realloc(t->feature, sizeof *f * (size_t)cap);
    if (f) t->feature = f;
    int32_t *ns = realloc(t->n_samples, sizeof *ns * (size_t)cap);
    if (ns) t->n_samples = ns;
    double *th = realloc(t->threshold, sizeof *th * (size_t)cap);
    if (th) t->threshold = th;
    double *im = realloc(t->impurity, sizeof *im * (size_t)cap);
    if (im) t->impurity = im;
    float *v = realloc(t->value, sizeof *v * (size_t)cap * (size_t)C);
    if (v) t->value = v;
    if (!l || !r || !f || !ns || !th || !im || !v) return -1;
    t->cap = cap;
    return 0;
}

typedef struct frame {
    int32_t start, end, depth, parent;
    int is_left;
    int32_t *feats; /* candidate features (owned) */
    int32_t nfeats;
    int64_t *count; /* class counts (owned) */
} frame;

static int64_t resolve_max_features(const tree *t, int64_t d)
{
    int64_t k;
    switch (t->max_features_mode) {
    case 0:
    case 2: k = (int64_t)sqrt((double)d); break;
    case 1: k = (int64_t)log2((double)d); break;
    case 3: k = t->max_features <= 1 && t->max_features != floor(t->max_features)
                    ? (int64_t)(t->max_features * (double)d)
                    : (t->max_features == 1 ? 1 : (int64_t)t->max_features);
        break;
    default: k = d;
    }
    if (k < 1) k = 1;
    if (k > d) k = d;
    return k;
}

static ml_status tree_fit(ml_estimator *e, const ml_tensor *X, const ml_tensor *y, const ml_progress *p)
{
    tree *t = (tree *)e;
    tree_reset(e);
    int64_t n = X->shape[0], d = X->shape[1];
    int C = e->n_classes;
    if (n >= INT32_MAX) return ml_fail(ML_EINVAL, "%s: X has too many rows", e->cls->name);
    int64_t msl = t->min_samples_leaf >= 1 ? (int64_t)t->min_samples_leaf
                                           : (int64_t)ceil(t->min_samples_leaf * (double)n);
    int64_t mss = t->min_samples_split > 1 ? (int64_t)t->min_samples_split
                                           : (int64_t)ceil(t->min_samples_split * (double)n);
    if (mss < 2) mss = 2;
    if (msl < 1) msl = 1;
    int64_t max_depth = t->max_depth > 0 ? (int64_t)t->max_depth : INT32_MAX;
    int64_t kfeat = resolve_max_features(t, d);
    int crit = t->criterion == CRIT_GINI ? CRIT_GINI : CRIT_ENTROPY;
    int nthreads = ml_get_threads();
    if (nthreads < 1) nthreads = 1;

    ml_status st = ML_OK;
    binning B = {X->data, n, d, NULL, NULL, NULL, 0};
    uint16_t *ycls = malloc(sizeof *ycls * (size_t)n);
    uint16_t *ytmp = malloc(sizeof *ytmp * (size_t)n);
    uint8_t *goes_left = malloc((size_t)n);
    double *xlogx = malloc(sizeof *xlogx * (size_t)(n + 1));
    double *best_proxy = malloc(sizeof *best_proxy * (size_t)d);
    int16_t *best_bin = malloc(sizeof *best_bin * (size_t)d);
    int32_t *order = malloc(sizeof *order * (size_t)d);
    scratch *sc = calloc((size_t)nthreads, sizeof *sc);
    size_t stack_cap = 256;
    frame *stack = calloc(stack_cap, sizeof *stack);
    int nstack = 0;
    B.Xb = malloc((size_t)n * (size_t)d);
    B.mid = malloc(sizeof *B.mid * (size_t)d * NBINS);
    B.nbins = calloc((size_t)d, sizeof *B.nbins);
    t->importances = calloc((size_t)d, sizeof *t->importances);
    int ok = ycls && ytmp && goes_left && xlogx && best_proxy && best_bin && order && sc && stack && B.Xb && B.mid &&
             B.nbins && t->importances;
    for (int w = 0; ok && w < nthreads; w++) {
        sc[w].tmp8 = malloc((size_t)n);
        sc[w].cs = malloc(sizeof *sc[w].cs * (size_t)n);
        sc[w].keys = malloc(sizeof *sc[w].keys * SMALL_M);
        sc[w].hist = C <= HIST_MAX_C ? calloc((size_t)2 * NBINS * (size_t)C, sizeof *sc[w].hist) : NULL;
        sc[w].cl = calloc((size_t)C, sizeof *sc[w].cl);
        sc[w].cr = calloc((size_t)C, sizeof *sc[w].cr);
        ok = sc[w].tmp8 && sc[w].cs && sc[w].keys && (sc[w].hist || C > HIST_MAX_C) && sc[w].cl && sc[w].cr;
    }
    if (!ok) {
        st = ml_fail(ML_ENOMEM, "%s: out of memory for %lld x %lld", e->cls->name, (long long)n, (long long)d);
        goto done;
    }
    ml_parallel_for(d, 8, bin_task, &B);
    if (B.failed) {
        st = ml_fail(ML_ENOMEM, "%s: out of memory while binning features", e->cls->name);
        goto done;
    }
    for (int64_t i = 0; i < n; i++) ycls[i] = (uint16_t)y->data[i];
    xlogx[0] = 0;
    for (int64_t i = 1; i <= n; i++) xlogx[i] = (double)i * log((double)i);

    ml_rng rng;
    ml_rng_seed(&rng, t->has_seed ? (uint64_t)t->random_state : 0);

    grower g = {n, d, C, B.Xb, ycls, xlogx, crit, msl, 0, 0, NULL, NULL, best_proxy, best_bin, goes_left, sc, 0, 0, NULL};

    /* root frame */
    {
        frame *r = &stack[nstack++];
        memset(r, 0, sizeof *r);
        r->start = 0, r->end = (int32_t)n, r->depth = 0, r->parent = -1;
        r->feats = malloc(sizeof *r->feats * (size_t)(d ? d : 1));
        r->count = calloc((size_t)C, sizeof *r->count);
        if (!r->feats || !r->count) {
            st = ml_fail(ML_ENOMEM, "%s: out of memory", e->cls->name);
            goto done;
        }
        int32_t nf = 0;
        for (int64_t f = 0; f < d; f++)
            if (B.nbins[f] > 1) r->feats[nf++] = (int32_t)f;
        r->nfeats = nf;
        for (int64_t i = 0; i < n; i++) r->count[ycls[i]]++;
    }
    int64_t settled = 0;
    int since = 0;
    while (nstack > 0) {
        frame fr = stack[--nstack];
        if (grow_nodes(t, C)) {
            free(fr.feats), free(fr.count);
            st = ml_fail(ML_ENOMEM, "%s: out of memory for the tree", e->cls->name);
            goto done;
        }
        int32_t id = t->n_nodes++;
        if (fr.parent >= 0) {
            if (fr.is_left) t->left[fr.parent] = id;
            else t->right[fr.parent] = id;
        }
        int64_t m = fr.end - fr.start;
        double imp = impurity_of(crit, fr.count, C, m);
        t->n_samples[id] = (int32_t)m;
        t->impurity[id] = imp;
        t->left[id] = t->right[id] = LEAF;
        t->feature[id] = -2;
        t->threshold[id] = -2;
        for (int c = 0; c < C; c++) t->value[(int64_t)id * C + c] = (float)((double)fr.count[c] / (double)m);
        if (fr.depth > t->depth) t->depth = fr.depth;

        int pure = 0;
        for (int c = 0; c < C; c++)
            if (fr.count[c] == m) pure = 1;
        int leaf = pure || m < mss || fr.depth >= max_depth || m < 2 * msl || fr.nfeats == 0;
        int32_t best_f = -1, best_b = -1, nchild = 0;
        if (!leaf) {
            /* candidates in a random order: ties go to the earlier one */
            memcpy(order, fr.feats, sizeof *order * (size_t)fr.nfeats);
            for (int32_t i = fr.nfeats - 1; i > 0; i--) {
                int32_t j = (int32_t)ml_rng_below(&rng, (uint64_t)i + 1);
                int32_t tt = order[i];
                order[i] = order[j];
                order[j] = tt;
            }
            g.start = fr.start;
            g.m = m;
            g.ncount = fr.count;
            double best = -INFINITY;
            int32_t visited = 0, found = 0;
            while (visited < fr.nfeats && found < kfeat) {
                int32_t batch = kfeat >= fr.nfeats ? fr.nfeats - visited : (int32_t)(kfeat - found);
                if (batch > fr.nfeats - visited) batch = fr.nfeats - visited;
                g.feats = order + visited;
                g.best_proxy = best_proxy + visited;
                g.best_bin = best_bin + visited;
                if (m * batch < 32768 || nthreads == 1) eval_range(&g, 0, batch, 0);
                else run_dynamic(&g, batch, eval_range, nthreads);
                for (int32_t j = visited; j < visited + batch; j++) {
                    if (best_bin[j] == -2) continue;
                    found++;
                    if (best_bin[j] >= 0 && best_proxy[j] > best) {
                        best = best_proxy[j];
                        best_f = order[j];
                        best_b = best_bin[j];
                    }
                }
                visited += batch;
            }
            /* features found constant here stay constant below */
            for (int32_t j = 0; j < fr.nfeats; j++) {
                if (j < visited && best_bin[j] == -2) continue;
                order[nchild++] = order[j];
            }
            if (best_f < 0) leaf = 1;
        }
        if (leaf) {
            t->n_leaves++;
            settled += m;
            free(fr.feats);
            free(fr.count);
        } else {
            const uint8_t *col = B.Xb + (int64_t)best_f * n + fr.start;
            uint16_t *yc = ycls + fr.start;
            int64_t nl = 0, nr = 0;
            int64_t *lcount = calloc((size_t)C, sizeof *lcount);
            int64_t *rcount = calloc((size_t)C, sizeof *rcount);
            int32_t *lfeats = malloc(sizeof *lfeats * (size_t)(nchild ? nchild : 1));
            if ((size_t)nstack + 2 > stack_cap) {
                frame *ns = realloc(stack, sizeof *ns * stack_cap * 2);
                if (ns) stack = ns, stack_cap *= 2;
            }
            if (!lcount || !rcount || !lfeats || (size_t)nstack + 2 > stack_cap) {
                free(lcount), free(rcount), free(lfeats), free(fr.feats), free(fr.count);
                st = ml_fail(ML_ENOMEM, "%s: out of memory", e->cls->name);
                goto done;
            }
            for (int64_t i = 0; i < m; i++) goes_left[i] = col[i] <= best_b;
            /* the classes, then every candidate column of the children */
            for (int64_t i = 0; i < m; i++) {
                uint16_t c = yc[i];
                if (goes_left[i]) yc[nl++] = c, lcount[c]++;
                else ytmp[nr++] = c, rcount[c]++;
            }
            memcpy(yc + nl, ytmp, sizeof *ytmp * (size_t)nr);
            g.start = fr.start;
            g.m = m;
            g.feats = order;
            if (m * nchild < 65536 || nthreads == 1) partition_range(&g, 0, nchild, 0);
            else run_dynamic(&g, nchild, partition_range, nthreads);
            t->feature[id] = best_f;
            t->threshold[id] = B.mid[(int64_t)best_f * NBINS + best_b];
            double il = impurity_of(crit, lcount, C, nl);
            double ir = impurity_of(crit, rcount, C, nr);
            t->importances[best_f] += (double)m * imp - (double)nl * il - (double)nr * ir;
            /* right pushed first so that the left subtree is numbered first */
            memcpy(lfeats, order, sizeof *lfeats * (size_t)nchild);
            memcpy(fr.feats, order, sizeof *fr.feats * (size_t)nchild);
            frame R = {fr.start + (int32_t)nl, fr.end, fr.depth + 1, id, 0, fr.feats, nchild, rcount};
            frame Lf = {fr.start, fr.start + (int32_t)nl, fr.depth + 1, id, 1, lfeats, nchild, lcount};
            stack[nstack++] = R;
            stack[nstack++] = Lf;
            free(fr.count);
        }
        if (++since >= 64) {
            since = 0;
            if ((st = ml_progress_update(p, "tree", settled, n))) goto done;
        }
    }
done:
    for (int i = 0; i < nstack; i++) free(stack[i].feats), free(stack[i].count);
    free(stack);
    for (int w = 0; sc && w < nthreads; w++)
        free(sc[w].tmp8), free(sc[w].cs), free(sc[w].keys), free(sc[w].hist), free(sc[w].cl), free(sc[w].cr);
    free(sc);
    free(ycls), free(ytmp), free(goes_left), free(xlogx), free(best_proxy), free(best_bin), free(order);
    free(B.Xb), free(B.mid), free(B.nbins);
    if (st) return st;
    double tot = 0;
    for (int64_t f = 0; f < d; f++) tot += t->importances[f];
    if (tot > 0)
        for (int64_t f = 0; f < d; f++) t->importances[f] /= tot;
    return ML_OK;
}

/* ------------------------------------------------------------------ */
/* Prediction                                                           */

typedef struct apply_ctx {
    const tree *t;
    const float *X;
    int64_t d;
    int C;
    float *out;
    int proba;
} apply_ctx;

static int32_t leaf_of(const tree *t, const float *x)
{
    int32_t k = 0;
    while (t->left[k] != LEAF) k = (double)x[t->feature[k]] <= t->threshold[k] ? t->left[k] : t->right[k];
    return k;
}

static void apply_task(void *ctx, int64_t b, int64_t e, int w)
{
    (void)w;
    apply_ctx *a = ctx;
    int C = a->C;
    for (int64_t i = b; i < e; i++) {
        int32_t k = leaf_of(a->t, a->X + i * a->d);
        const float *v = a->t->value + (int64_t)k * C;
        if (a->proba) {
            memcpy(a->out + i * C, v, sizeof *v * (size_t)C);
        } else {
            int best = 0;
            for (int c = 1; c < C; c++)
                if (v[c] > v[best]) best = c;
            a->out[i] = (float)best;
        }
    }
}

static ml_status tree_apply(const ml_estimator *e, const ml_tensor *X, ml_tensor **out, int proba)
{
    int64_t n = X->shape[0];
    *out = proba ? ml_tensor_new2(n, e->n_classes) : ml_tensor_new1(n);
    if (!*out) return ML_ENOMEM;
    apply_ctx a = {(const tree *)e, X->data, X->shape[1], e->n_classes, (*out)->data, proba};
    ml_parallel_for(n, 512, apply_task, &a);
    return ML_OK;
}

static ml_status tree_predict(const ml_estimator *e, const ml_tensor *X, ml_tensor **out)
{
    return tree_apply(e, X, out, 0);
}

static ml_status tree_predict_proba(const ml_estimator *e, const ml_tensor *X, ml_tensor **out)
{
    return tree_apply(e, X, out, 1);
}

static ml_status tree_attr(const ml_estimator *e, const char *name, ml_value *v)
{
    const tree *t = (const tree *)e;
    if (!strcmp(name, "depth")) *v = ml_num(t->depth);
    else if (!strcmp(name, "n_leaves")) *v = ml_num(t->n_leaves);
    else if (!strcmp(name, "node_count")) *v = ml_num(t->n_nodes);
    else if (!strcmp(name, "feature_importances")) {
        ml_tensor *f = ml_tensor_new1(e->n_features_in);
        if (!f) return ML_ENOMEM;
        for (int64_t j = 0; j < e->n_features_in; j++) f->data[j] = (float)t->importances[j];
        v->kind = ML_VAL_TENSOR;
        v->tensor = f;
    } else if (!strcmp(name, "classes")) {
        ml_tensor *c = ml_tensor_new1(e->n_classes);
        if (!c) return ML_ENOMEM;
        for (int k = 0; k < e->n_classes; k++) c->data[k] = (float)k;
        v->kind = ML_VAL_TENSOR;
        v->tensor = c;
    } else
        return ml_fail(ML_EINVAL, "%s: no attribute '%s'", e->cls->name, name);
    return ML_OK;
}

/* ------------------------------------------------------------------ */
/* Files: int32 and float64 arrays little-endian (the container's byte  */
/* order; mnistlab builds on little-endian machines only).              */

static ml_status tree_save(const ml_estimator *e, ml_mfile_w *w)
{
    const tree *t = (const tree *)e;
    size_t nn = (size_t)t->n_nodes;
    ml_status st = ml_mfile_put_i64(w, "tree.n_nodes", t->n_nodes);
    if (!st) st = ml_mfile_put_i64(w, "tree.depth", t->depth);
    if (!st) st = ml_mfile_put_i64(w, "tree.n_leaves", t->n_leaves);
    if (!st) st = ml_mfile_put(w, "tree.left", t->left, nn * 4);
    if (!st) st = ml_mfile_put(w, "tree.right", t->right, nn * 4);
    if (!st) st = ml_mfile_put(w, "tree.feature", t->feature, nn * 4);
    if (!st) st = ml_mfile_put(w, "tree.n_samples", t->n_samples, nn * 4);
    if (!st) st = ml_mfile_put(w, "tree.threshold", t->threshold, nn * 8);
    if (!st) st = ml_mfile_put(w, "tree.impurity", t->impurity, nn * 8);
    if (!st) st = ml_mfile_put(w, "tree.value", t->value, nn * (size_t)e->n_classes * 4);
    if (!st) st = ml_mfile_put(w, "tree.importances", t->importances, (size_t)e->n_features_in * 8);
    return st;
}

static ml_status get_array(const ml_mfile *r, const char *name, void **dst, size_t want)
{
    size_t n;
    const void *p = ml_mfile_get(r, name, &n);
    if (!p || n != want)
        return ml_fail(ML_EFORMAT, "%s: section '%s' is missing or has the wrong size", ml_mfile_path(r), name);
    *dst = malloc(want ? want : 1);
    if (!*dst) return ml_fail(ML_ENOMEM, "%s: out of memory", ml_mfile_path(r));
    memcpy(*dst, p, want);
    return ML_OK;
}

static ml_status tree_load(ml_estimator *e, const ml_mfile *r)
{
    tree *t = (tree *)e;
    int64_t nn, depth, leaves;
    ml_status st = ml_mfile_get_i64(r, "tree.n_nodes", &nn);
    if (!st) st = ml_mfile_get_i64(r, "tree.depth", &depth);
    if (!st) st = ml_mfile_get_i64(r, "tree.n_leaves", &leaves);
    if (st) return st;
    if (nn < 1 || nn >= INT32_MAX || e->n_classes < 1)
        return ml_fail(ML_EFORMAT, "%s: implausible tree size", ml_mfile_path(r));
    size_t z = (size_t)nn;
    if ((st = get_array(r, "tree.left", (void **)&t->left, z * 4)) ||
        (st = get_array(r, "tree.right", (void **)&t->right, z * 4)) ||
        (st = get_array(r, "tree.feature", (void **)&t->feature, z * 4)) ||
        (st = get_array(r, "tree.n_samples", (void **)&t->n_samples, z * 4)) ||
        (st = get_array(r, "tree.threshold", (void **)&t->threshold, z * 8)) ||
        (st = get_array(r, "tree.impurity", (void **)&t->impurity, z * 8)) ||
        (st = get_array(r, "tree.value", (void **)&t->value, z * (size_t)e->n_classes * 4)) ||
        (st = get_array(r, "tree.importances", (void **)&t->importances, (size_t)e->n_features_in * 8)))
        return st;
    t->n_nodes = t->cap = (int32_t)nn;
    t->depth = (int)depth;
    t->n_leaves = (int)leaves;
    /* children come after their parent (depth-first numbering): no cycles */
    for (int64_t k = 0; k < nn; k++) {
        int32_t l = t->left[k], rr = t->right[k];
        int bad = (l == LEAF) != (rr == LEAF);
        if (l != LEAF) bad |= l <= k || l >= nn || rr <= k || rr >= nn || t->feature[k] < 0 ||
                              t->feature[k] >= e->n_features_in;
        if (bad) return ml_fail(ML_EFORMAT, "%s: node %lld of the tree is malformed", ml_mfile_path(r), (long long)k);
    }
    return ML_OK;
}

const ml_estimator_class ml_decision_tree_class = {
    .name = "DecisionTreeClassifier",
    .type = ML_CLASSIFIER,
    .size = sizeof(tree),
    .params = tree_params,
    .attrs = tree_attrs,
    .init = tree_init,
    .destroy = tree_reset,
    .reset = tree_reset,
    .set_param = tree_set,
    .get_param = tree_get,
    .fit = tree_fit,
    .predict = tree_predict,
    .predict_proba = tree_predict_proba,
    .get_attr = tree_attr,
    .save = tree_save,
    .load = tree_load,
};
