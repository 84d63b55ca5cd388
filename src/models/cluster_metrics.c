/* mnistlab models: clustering metrics (see cluster_metrics.h). */
#include "models/cluster_metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/split.h"

/* Checked counts table (C x K, int64); the caller frees *table. */
static ml_status table(const ml_tensor *a, const ml_tensor *b, int64_t **tab, int *C, int *K, int64_t *n)
{
    if (!a || !b) return ml_fail(ML_EINVAL, "labels: missing");
    int64_t na = ml_tensor_numel(a), nb = ml_tensor_numel(b);
    if (na != nb)
        return ml_fail(ML_EINVAL, "labels_pred: has %lld labels, labels_true has %lld", (long long)nb,
                       (long long)na);
    if (na == 0) return ml_fail(ML_EINVAL, "labels_true: empty");
    ml_status st;
    if ((st = ml_check_labels(a, "labels_true", C)) || (st = ml_check_labels(b, "labels_pred", K))) return st;
    *tab = calloc((size_t)*C * (size_t)*K, sizeof **tab);
    if (!*tab) return ml_fail(ML_ENOMEM, "contingency: out of memory (%d x %d)", *C, *K);
    for (int64_t i = 0; i < na; i++) (*tab)[(int64_t)a->data[i] * *K + (int64_t)b->data[i]]++;
    *n = na;
    return ML_OK;
}

ml_status ml_contingency_matrix(const ml_tensor *y_true, const ml_tensor *y_pred, ml_tensor **out)
{
    *out = NULL;
    int64_t *tab, n;
    int C, K;
    ml_status st = table(y_true, y_pred, &tab, &C, &K, &n);
    if (st) return st;
    ml_tensor *t = ml_tensor_empty(2, (int64_t[]){C, K});
    if (!t) {
        free(tab);
        return ML_ENOMEM;
    }
    for (int64_t i = 0; i < (int64_t)C * K; i++) t->data[i] = (float)tab[i];
    free(tab);
    *out = t;
    return ML_OK;
}

ml_status ml_adjusted_rand_score(const ml_tensor *y_true, const ml_tensor *y_pred, double *ari)
{
    int64_t *tab, n;
    int C, K;
    ml_status st = table(y_true, y_pred, &tab, &C, &K, &n);
    if (st) return st;
    /* pair confusion matrix, in long double (n^2 products overflow int64 for large n) */
    long double sq = 0, a_dot = 0, b_dot = 0;
    int64_t *rs = calloc((size_t)C, sizeof *rs), *cs = calloc((size_t)K, sizeof *cs);
    if (!rs || !cs) {
        free(tab), free(rs), free(cs);
        return ml_fail(ML_ENOMEM, "adjusted_rand_score: out of memory");
    }
    for (int i = 0; i < C; i++)
        for (int j = 0; j < K; j++) {
            int64_t v = tab[(int64_t)i * K + j];
            rs[i] += v;
            cs[j] += v;
            sq += (long double)v * v;
        }
    for (int i = 0; i < C; i++)
        for (int j = 0; j < K; j++) {
            long double v = tab[(int64_t)i * K + j];
            a_dot += v * cs[j];
            b_dot += v * rs[i];
        }
    long double tp = sq - n, fp = a_dot - sq, fn = b_dot - sq;
    long double tn = (long double)n * n - fp - fn - sq;
    if (fn == 0 && fp == 0) *ari = 1.0;
    else *ari = (double)(2.0L * (tp * tn - fn * fp) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn)));
    free(tab), free(rs), free(cs);
    return ML_OK;
}

static double entropy_of(const int64_t *counts, int m, int64_t n)
{
    double h = 0;
    for (int i = 0; i < m; i++)
        if (counts[i] > 0) {
            double p = (double)counts[i] / (double)n;
            h -= p * log(p);
        }
    return h;
}

ml_status ml_normalized_mutual_info_score(const ml_tensor *y_true, const ml_tensor *y_pred, double *nmi)
{
    int64_t *tab, n;
    int C, K;
    ml_status st = table(y_true, y_pred, &tab, &C, &K, &n);
    if (st) return st;
    int64_t *rs = calloc((size_t)C, sizeof *rs), *cs = calloc((size_t)K, sizeof *cs);
    if (!rs || !cs) {
        free(tab), free(rs), free(cs);
        return ml_fail(ML_ENOMEM, "normalized_mutual_info_score: out of memory");
    }
    for (int i = 0; i < C; i++)
        for (int j = 0; j < K; j++) {
            rs[i] += tab[(int64_t)i * K + j];
            cs[j] += tab[(int64_t)i * K + j];
        }
    int uc = 0, uk = 0;
    for (int i = 0; i < C; i++) uc += rs[i] > 0;
    for (int j = 0; j < K; j++) uk += cs[j] > 0;
    if (uc == 1 && uk == 1) {
        *nmi = 1.0;
    } else {
        double mi = 0;
        for (int i = 0; i < C; i++)
            for (int j = 0; j < K; j++) {
                int64_t v = tab[(int64_t)i * K + j];
                if (v == 0) continue;
                mi += (double)v / (double)n * log((double)v * (double)n / ((double)rs[i] * (double)cs[j]));
            }
        if (mi < 0) mi = 0;
        if (mi == 0) *nmi = 0.0;
        else *nmi = mi / ((entropy_of(rs, C, n) + entropy_of(cs, K, n)) / 2);
    }
    free(tab), free(rs), free(cs);
    return ML_OK;
}

double ml_linear_assignment(const double *cost, int64_t r, int64_t c, int64_t *assign)
{
    /* Potentials u (rows), v (columns); p[j] = row matched to column j (1-based, 0 = none). */
    double *u = calloc((size_t)r + 1, sizeof *u), *v = calloc((size_t)c + 1, sizeof *v);
    double *minv = malloc(((size_t)c + 1) * sizeof *minv);
    int64_t *p = calloc((size_t)c + 1, sizeof *p), *way = calloc((size_t)c + 1, sizeof *way);
    char *used = malloc((size_t)c + 1);
    double total = 0;
    if (!u || !v || !minv || !p || !way || !used) {
        total = NAN;
        goto done;
    }
    for (int64_t i = 1; i <= r; i++) {
        p[0] = i;
        int64_t j0 = 0;
        for (int64_t j = 0; j <= c; j++) {
            minv[j] = INFINITY;
            used[j] = 0;
        }
        do {
            used[j0] = 1;
            int64_t i0 = p[j0], j1 = 0;
            double delta = INFINITY;
            for (int64_t j = 1; j <= c; j++) {
                if (used[j]) continue;
                double cur = cost[(i0 - 1) * c + (j - 1)] - u[i0] - v[j];
                if (cur < minv[j]) {
                    minv[j] = cur;
                    way[j] = j0;
                }
                if (minv[j] < delta) {
                    delta = minv[j];
                    j1 = j;
                }
            }
            for (int64_t j = 0; j <= c; j++) {
                if (used[j]) {
                    u[p[j]] += delta;
                    v[j] -= delta;
                } else
                    minv[j] -= delta;
            }
            j0 = j1;
        } while (p[j0] != 0);
        do {
            int64_t j1 = way[j0];
            p[j0] = p[j1];
            j0 = j1;
        } while (j0);
    }
    for (int64_t j = 1; j <= c; j++)
        if (p[j]) {
            assign[p[j] - 1] = j - 1;
            total += cost[(p[j] - 1) * c + (j - 1)];
        }
done:
    free(u), free(v), free(minv), free(p), free(way), free(used);
    return total;
}

ml_status ml_cluster_accuracy(const ml_tensor *y_true, const ml_tensor *y_pred, double *acc, int64_t *mapping,
                              int64_t n_map)
{
    int64_t *tab, n;
    int C, K;
    ml_status st = table(y_true, y_pred, &tab, &C, &K, &n);
    if (st) return st;
    /* rows = the smaller side */
    int clusters_rows = K <= C;
    int64_t r = clusters_rows ? K : C, c = clusters_rows ? C : K;
    double *cost = malloc((size_t)(r * c) * sizeof *cost);
    int64_t *as = malloc((size_t)r * sizeof *as);
    if (!cost || !as) {
        free(tab), free(cost), free(as);
        return ml_fail(ML_ENOMEM, "cluster_accuracy: out of memory");
    }
    for (int64_t i = 0; i < r; i++)
        for (int64_t j = 0; j < c; j++)
            cost[i * c + j] = -(double)(clusters_rows ? tab[j * K + i] : tab[i * K + j]);
    double total = ml_linear_assignment(cost, r, c, as);
    if (isnan(total)) {
        free(tab), free(cost), free(as);
        return ml_fail(ML_ENOMEM, "cluster_accuracy: out of memory");
    }
    *acc = -total / (double)n;
    if (mapping) {
        for (int64_t j = 0; j < n_map; j++) mapping[j] = -1;
        for (int64_t i = 0; i < r; i++) {
            int64_t cl = clusters_rows ? i : as[i], cls = clusters_rows ? as[i] : i;
            if (cl < n_map) mapping[cl] = cls;
        }
    }
    free(tab), free(cost), free(as);
    return ML_OK;
}
