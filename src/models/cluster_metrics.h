/* mnistlab models: judging a clustering against true labels.
 *
 * Labels on both sides are non-negative integers stored as floats (true
 * classes 0..C-1, cluster ids 0..K-1, as KMeans.labels gives them); they are
 * checked with ml_check_labels.  Definitions follow scikit-learn:
 *   contingency[i][j] = rows with true class i and cluster j (C x K);
 *   adjusted Rand index: the Rand index corrected for chance (1 = identical
 *     partitions, about 0 = random; 1.0 when both sides are a single cluster
 *     or all singletons, as scikit-learn);
 *   normalised mutual information: I(T;P) / mean(H(T), H(P)) (the arithmetic
 *     mean, scikit-learn's default; 1.0 when both entropies are 0);
 *   mapped accuracy: map each cluster to at most one class with the optimal
 *     one-to-one assignment (Hungarian algorithm, maximising the rows that
 *     agree), then the fraction of rows whose cluster maps to their class. */
#ifndef ML_MODELS_CLUSTER_METRICS_H
#define ML_MODELS_CLUSTER_METRICS_H

#include <stdint.h>

#include "core/error.h"
#include "core/tensor.h"

/* A new C x K tensor of counts.  `what` prefixes error messages. */
ml_status ml_contingency_matrix(const ml_tensor *y_true, const ml_tensor *y_pred, ml_tensor **out);
ml_status ml_adjusted_rand_score(const ml_tensor *y_true, const ml_tensor *y_pred, double *ari);
ml_status ml_normalized_mutual_info_score(const ml_tensor *y_true, const ml_tensor *y_pred, double *nmi);
/* Accuracy after the best one-to-one mapping of clusters to classes.
 * mapping (may be NULL) receives, for each cluster j < n_map, its class or
 * -1 when it has none (more clusters than classes). */
ml_status ml_cluster_accuracy(const ml_tensor *y_true, const ml_tensor *y_pred, double *acc, int64_t *mapping,
                              int64_t n_map);

/* Minimum-cost assignment on an r x c cost matrix (row-major), r <= c:
 * assign[i] = column of row i, all distinct; returns the total cost.  The
 * Hungarian algorithm with potentials, O(r^2 c). */
double ml_linear_assignment(const double *cost, int64_t r, int64_t c, int64_t *assign);

#endif
