/* mnistlab models: a Gaussian mixture with diagonal covariances, fitted by EM.
 *
 * Meant for PCA-reduced data (tens of features).  As scikit-learn's
 * GaussianMixture(covariance_type="diag"): responsibilities initialised from
 * a KMeans run (init_params "kmeans", seeded) or from random weights
 * ("random"); reg_covar added to every variance; EM stops when the mean
 * log-likelihood per sample (lower_bound) changes by less than tol; the best
 * of n_init runs is kept and a final E-step makes predict agree with the
 * fitted parameters.  Log densities come from one GEMM of [X, X*X] with
 * [-2 mu/var, 1/var] per iteration. */
#ifndef ML_MODELS_MIXTURE_H
#define ML_MODELS_MIXTURE_H

#include <stdint.h>

#include "core/error.h"
#include "core/progress.h"
#include "core/tensor.h"
#include "models/estimator.h"

typedef struct ml_gmm {
    ml_estimator base;
    /* parameters */
    int64_t n_components;
    int covariance_type; /* 0: "diag", the one kind there is */
    int init_random; /* 0: "kmeans", 1: "random" */
    int n_init, max_iter;
    double tol, reg_covar;
    uint64_t seed;
    /* fitted state */
    int64_t k, d, n;
    double *weights;     /* k */
    double *means;       /* k x d */
    double *covariances; /* k x d */
    int32_t *labels;     /* n: most likely component of each training row */
    double lower_bound;
    int n_iter, converged;
} ml_gmm;

extern const ml_estimator_class ml_gaussian_mixture_class;

void ml_gmm_init(ml_gmm *m);
void ml_gmm_clear(ml_gmm *m);
ml_status ml_gmm_fit(ml_gmm *m, const ml_tensor *X, const ml_progress *p);
/* n x k posterior probabilities; labels = their argmax. */
ml_status ml_gmm_predict_proba(const ml_gmm *m, const ml_tensor *X, ml_tensor **out);
ml_status ml_gmm_predict(const ml_gmm *m, const ml_tensor *X, ml_tensor **out);
/* Mean log-likelihood per row (scikit-learn's score). */
ml_status ml_gmm_score(const ml_gmm *m, const ml_tensor *X, double *mean_log_likelihood);

#endif
