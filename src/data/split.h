/* mnistlab data: train/test splits and label counts, as scikit-learn does them. */
#ifndef ML_DATA_SPLIT_H
#define ML_DATA_SPLIT_H

#include <stdint.h>

#include "core/error.h"
#include "core/tensor.h"

typedef struct ml_split_opts {
    double test_size; /* a fraction in (0, 1), or a count >= 1 */
    uint64_t seed;
    int shuffle;      /* default in scikit-learn: true */
    int stratify;     /* keep each class's proportion (needs labels and shuffle) */
} ml_split_opts;

/* Indices of the training and the test rows.  A fraction gives
 * ceil(n * test_size) test rows, as scikit-learn.  Stratified, each class c
 * gets round(n_c * n_test / n) test rows, by largest remainder, so that the
 * total is exact and every class is within one row of its share.
 * The index arrays are malloc'ed; free them. */
ml_status ml_split_indices(int64_t n, const ml_tensor *y, const ml_split_opts *o, int64_t **train,
                           int64_t *n_train, int64_t **test, int64_t *n_test);

/* Labels must be non-negative integers below ML_MAX_LABEL; `what` names the
 * argument in the message ("y").  Sets *n_classes to max label + 1. */
#define ML_MAX_LABEL 65536
ml_status ml_check_labels(const ml_tensor *y, const char *what, int *n_classes);

/* counts[k] = number of labels equal to k, for k < n_counts (labels checked). */
ml_status ml_label_counts(const ml_tensor *y, int64_t *counts, int n_counts);

#endif
