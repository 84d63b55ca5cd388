#include "data/split.h"
#include "core/rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

ml_status ml_check_labels(const ml_tensor *y, const char *what, int *n_classes)
{
    int64_t n = ml_tensor_numel(y);
    float mx = -1;
    for (int64_t i = 0; i < n; i++) {
        float v = y->data[i];
        if (!(v >= 0 && v < ML_MAX_LABEL) || v != floorf(v))
            return ml_fail(ML_EINVAL, "%s: label %g at position %lld is not a small non-negative integer", what,
                           (double)v, (long long)i + 1);
        if (v > mx) mx = v;
    }
    if (n_classes) *n_classes = (int)mx + 1;
    return ML_OK;
}

ml_status ml_label_counts(const ml_tensor *y, int64_t *counts, int n_counts)
{
    int nc;
    ml_status st = ml_check_labels(y, "y", &nc);
    if (st) return st;
    memset(counts, 0, sizeof *counts * (size_t)n_counts);
    int64_t n = ml_tensor_numel(y);
    for (int64_t i = 0; i < n; i++) {
        int k = (int)y->data[i];
        if (k < n_counts) counts[k]++;
    }
    return ML_OK;
}

typedef struct { double frac; int cls; } share_rem;

static int by_remainder(const void *a, const void *b)
{
    const share_rem *x = a, *y = b;
    if (x->frac != y->frac) return x->frac < y->frac ? 1 : -1;
    return x->cls - y->cls;
}

ml_status ml_split_indices(int64_t n, const ml_tensor *y, const ml_split_opts *o, int64_t **train,
                           int64_t *n_train, int64_t **test, int64_t *n_test)
{
    *train = *test = NULL;
    *n_train = *n_test = 0;
    double ts = o->test_size;
    int64_t nte;
    if (!(ts > 0) || !isfinite(ts))
        return ml_fail(ML_EINVAL, "test_size: must be a fraction in (0, 1) or a count >= 1, got %g", ts);
    if (ts < 1) {
        nte = (int64_t)ceil(ts * (double)n);
    } else {
        if (ts != floor(ts))
            return ml_fail(ML_EINVAL, "test_size: %g is neither a fraction in (0, 1) nor a whole count", ts);
        nte = (int64_t)ts;
    }
    if (nte >= n || nte < 1)
        return ml_fail(ML_EINVAL, "test_size: %lld test rows out of %lld leaves no training or no test rows",
                       (long long)nte, (long long)n);
    if (o->stratify && !o->shuffle)
        return ml_fail(ML_EINVAL, "stratify: a stratified split needs shuffle = true");
    if (y && ml_tensor_numel(y) != n)
        return ml_fail(ML_EINVAL, "y: %lld labels for %lld rows", (long long)ml_tensor_numel(y), (long long)n);
    if (o->stratify && !y) return ml_fail(ML_EINVAL, "stratify: needs the labels");

    int64_t ntr = n - nte;
    int64_t *tr = malloc(sizeof *tr * (size_t)(ntr ? ntr : 1));
    int64_t *te = malloc(sizeof *te * (size_t)nte);
    int64_t *perm = malloc(sizeof *perm * (size_t)n);
    if (!tr || !te || !perm) {
        free(tr), free(te), free(perm);
        return ml_fail(ML_ENOMEM, "train_test_split: out of memory");
    }
    for (int64_t i = 0; i < n; i++) perm[i] = i;
    ml_rng rng;
    ml_rng_seed(&rng, o->seed);

    if (!o->shuffle) {
        memcpy(tr, perm, sizeof *tr * (size_t)ntr);
        memcpy(te, perm + ntr, sizeof *te * (size_t)nte);
    } else if (!o->stratify) {
        ml_rng_shuffle(&rng, perm, n);
        memcpy(te, perm, sizeof *te * (size_t)nte);
        memcpy(tr, perm + nte, sizeof *tr * (size_t)ntr);
    } else {
        int nc;
        ml_status st = ml_check_labels(y, "y", &nc);
        int64_t *count = st ? NULL : calloc((size_t)nc, sizeof *count);
        int64_t *take = st ? NULL : calloc((size_t)nc, sizeof *take);
        int64_t *start = st ? NULL : calloc((size_t)nc + 1, sizeof *start);
        share_rem *rem = st ? NULL : calloc((size_t)nc, sizeof *rem);
        if (st || !count || !take || !start || !rem) {
            free(count), free(take), free(start), free(rem), free(tr), free(te), free(perm);
            return st ? st : ml_fail(ML_ENOMEM, "train_test_split: out of memory");
        }
        for (int64_t i = 0; i < n; i++) count[(int)y->data[i]]++;
        /* Largest share_rem: floor of each share, then one more to the classes
         * with the largest fractional parts until the total is exact. */
        int64_t given = 0;
        for (int c = 0; c < nc; c++) {
            double share = (double)count[c] * (double)nte / (double)n;
            take[c] = (int64_t)floor(share);
            rem[c].frac = share - (double)take[c];
            rem[c].cls = c;
            given += take[c];
        }
        qsort(rem, (size_t)nc, sizeof *rem, by_remainder);
        for (int i = 0; given < nte && i < nc; i++) {
            if (take[rem[i].cls] < count[rem[i].cls]) take[rem[i].cls]++, given++;
        }
        /* Group rows by class (counting sort), shuffle within each class. */
        for (int c = 0; c < nc; c++) start[c + 1] = start[c] + count[c];
        memset(count, 0, sizeof *count * (size_t)nc);
        for (int64_t i = 0; i < n; i++) {
            int c = (int)y->data[i];
            perm[start[c] + count[c]++] = i;
        }
        int64_t a = 0, b = 0;
        for (int c = 0; c < nc; c++) {
            int64_t *g = perm + start[c];
            ml_rng_shuffle(&rng, g, count[c]);
            for (int64_t k = 0; k < count[c]; k++) {
                if (k < take[c]) te[b++] = g[k];
                else tr[a++] = g[k];
            }
        }
        ml_rng_shuffle(&rng, tr, ntr);
        ml_rng_shuffle(&rng, te, nte);
        free(count), free(take), free(start), free(rem);
    }
    free(perm);
    *train = tr;
    *test = te;
    *n_train = ntr;
    *n_test = nte;
    return ML_OK;
}
