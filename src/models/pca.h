/* mnistlab models: principal component analysis.
 *
 * Fit: the column means (double), the covariance of the centred rows with a
 * BLAS rank-k update (float products over blocks of rows, summed in double),
 * then its eigendecomposition with LAPACK (ssyevr: every eigenpair, or only
 * the top k when an integer k is small).  This is scikit-learn's PCA with
 * svd_solver="covariance_eigh"; the variances agree with its SVD to float
 * precision.
 *
 * n_components: nil (scikit-learn's None; 0 in the struct) keeps
 * min(n_samples, n_features);
 * an integer k >= 1 keeps k; a fraction f in (0, 1) keeps the smallest k
 * whose cumulative explained variance ratio exceeds f (scikit-learn's rule).
 * The value 1 means one component, not 100 %; use 0 for all of them.
 *
 * Signs: each component is flipped so that its entry of largest absolute
 * value is positive (the first such entry on ties), which is scikit-learn's
 * svd_flip(u_based_decision=False), the rule its PCA uses since 1.5.
 *
 * Constant features add nothing to the total variance: they get zero weight
 * in every component with a non-zero variance, and trailing components with
 * variance 0 have ratio 0.  Data in which every feature is constant has no
 * variance to explain and is refused.
 *
 * X may have any leading shape: rows x (anything) is flattened to rows x
 * features (28x28 images give 784 features). */
#ifndef ML_MODELS_PCA_H
#define ML_MODELS_PCA_H

#include <stdint.h>

#include "core/error.h"
#include "core/progress.h"
#include "core/tensor.h"
#include "models/estimator.h"

typedef struct ml_pca {
    ml_estimator base;
    /* parameters */
    double n_components; /* 0 = all; integer >= 1; or a fraction in (0, 1) */
    int whiten;
    /* fitted state (NULL / 0 before fit) */
    int64_t n_samples, n_features, k;
    float *components;           /* k x n_features, rows orthonormal */
    float *mean;                 /* n_features */
    double *explained_variance;  /* k, descending (divided by n_samples - 1) */
    double *explained_variance_ratio; /* k */
    double *all_variance;        /* min(n_samples, n_features): every eigenvalue, descending */
    int64_t n_all;
    double total_variance;       /* trace of the covariance */
    double noise_variance;       /* mean of the discarded eigenvalues (0 if none) */
} ml_pca;

extern const ml_estimator_class ml_pca_class;

/* ---- direct C use (no estimator layer needed) ----
 * ml_pca_init() sets the defaults (all components, no whitening) on a zeroed
 * struct; ml_pca_clear() frees the fitted state. */
void ml_pca_init(ml_pca *m);
void ml_pca_clear(ml_pca *m);
/* Validates n_components (an integer >= 1 or a fraction in (0, 1)); every
 * component is kept when m->n_components is 0 (ml_pca_init's default, nil
 * from Lua). */
ml_status ml_pca_set_n_components(ml_pca *m, double n_components);
/* Checks X (finite, enough rows) and fits. */
ml_status ml_pca_fit(ml_pca *m, const ml_tensor *X, const ml_progress *p);
/* Z = (X - mean) components^T, divided by sqrt(explained_variance) when whitening. */
ml_status ml_pca_transform(const ml_pca *m, const ml_tensor *X, ml_tensor **Z);
/* X = Z components + mean (Z multiplied back by sqrt(explained_variance) when whitening). */
ml_status ml_pca_inverse_transform(const ml_pca *m, const ml_tensor *Z, ml_tensor **X);

/* Smallest k whose cumulative ratio exceeds `fraction` (ratios of all the
 * fitted eigenvalues; needs a fit with every component kept or a fraction). */
int64_t ml_pca_components_for(const double *ratio_all, int64_t n, double fraction);

#endif
