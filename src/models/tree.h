/* mnistlab models: a CART decision tree classifier (scikit-learn's
 * DecisionTreeClassifier).
 *
 * Splits are exact for features with at most 256 distinct values, which is
 * every pixel feature: each feature is first mapped to the rank of its value
 * among its sorted distinct values (one byte per cell), and every threshold
 * between two consecutive distinct values is tried, as scikit-learn's exact
 * search does.  The threshold kept is the midpoint of the two values.
 * Features with more than 256 distinct values (PCA output, for instance) are
 * cut into 256 bins of about equal counts; thresholds are then tried between
 * bins only (still midpoints of two training values).  scripts/bench/tree.lua
 * measures the test accuracy this gives on PCA-50 against scikit-learn.
 *
 * Per node and feature the samples are grouped by bin with one counting
 * pass, then scanned once while the class counts of the left side and the
 * criterion (gini: sums of squared counts; entropy: sums of n log n from a
 * table) are updated in O(1) per sample.  Features are evaluated in
 * parallel (ml_parallel_for); the result does not depend on the number of
 * threads: ties are broken by the position of the feature in a per-node
 * permutation drawn from random_state, then by the lower threshold.
 * Features found constant in a node are not tried again in its subtree.
 *
 * Parameters (scikit-learn's names and defaults): criterion "gini" |
 * "entropy" | "log_loss", max_depth (nil = unlimited), min_samples_split
 * (integer >= 2 or fraction in (0, 1]), min_samples_leaf (integer >= 1 or
 * fraction in (0, 1)), max_features (nil = all, "sqrt", "log2", integer or
 * fraction), random_state (nil means 0: fits are always reproducible).
 * Attributes: depth, n_leaves, node_count, feature_importances, classes. */
#ifndef ML_MODELS_TREE_H
#define ML_MODELS_TREE_H

#include "models/estimator.h"

extern const ml_estimator_class ml_decision_tree_class;

#endif
