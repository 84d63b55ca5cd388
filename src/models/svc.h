/* mnistlab models: support vector classification (scikit-learn's SVC).
 *
 * C-SVC with kernels "linear", "rbf" (default), "poly" and "sigmoid";
 * gamma "scale" (1 / (n_features * X.var()), the default), "auto"
 * (1 / n_features) or a number.  Several classes: one-vs-one, one binary
 * problem per pair of classes, prediction by votes (ties to the lower class),
 * decision_function "ovr"-shaped as scikit-learn's default (votes plus
 * scaled confidences) or "ovo" (one column per pair).
 *
 * Each binary problem is solved by SMO with the second-order working-set
 * choice of Fan, Chen and Lin (2005), with shrinking of bounded variables and
 * an LRU cache of kernel rows (cache_size MB of float rows per worker thread).
 * Kernel values come from dot products through ml_gemm: a missing row is
 * computed in one product together with the missing rows of the current top
 * violators (the likely next working-set members); the gradient after
 * unshrinking and prediction use test x support-vector blocks.  The pairs are
 * spread over the worker threads (dynamically: the next free thread takes
 * the next pair).
 *
 * Fitted attributes use scikit-learn's layout: support (indices into the
 * training rows, grouped by class), support_vectors, n_support (per class),
 * dual_coef ((n_classes - 1) x n_SV, libsvm's one-vs-one layout), intercept
 * (one per pair; for two classes signs follow scikit-learn). */
#ifndef ML_MODELS_SVC_H
#define ML_MODELS_SVC_H

#include "models/estimator.h"

enum { ML_SVC_LINEAR = 0, ML_SVC_POLY, ML_SVC_RBF, ML_SVC_SIGMOID };

typedef struct ml_svc {
    ml_estimator base;
    /* parameters */
    double C;           /* > 0, default 1 */
    int kernel;         /* default rbf */
    int degree;         /* poly, default 3 */
    int gamma_mode;     /* 0 "scale" (default), 1 "auto", 2 a number */
    double gamma_value; /* when gamma_mode == 2 */
    double coef0;       /* poly and sigmoid, default 0 */
    double tol;         /* > 0, default 1e-3 */
    double cache_size;  /* MB per worker, default 200 */
    int shrinking;      /* default true */
    int max_iter;       /* -1 (no limit, default) or >= 1, per pair */
    int ovr;            /* decision_function_shape: 1 "ovr" (default), 0 "ovo" */
    /* fitted */
    double gamma;             /* the value used */
    int n_sv;
    ml_tensor *sv;            /* n_sv x n_features */
    ml_tensor *dual_coef;     /* (K-1) x n_sv, libsvm's signs */
    ml_tensor *rho;           /* K(K-1)/2: decision = sum coef K(sv, x) - rho */
    ml_tensor *support;       /* n_sv training row indices (as floats) */
    int64_t *sv_start;        /* K + 1: class c's SVs are [sv_start[c], sv_start[c+1]) */
    int64_t n_iter;           /* SMO iterations, summed over pairs */
} ml_svc;

extern const ml_estimator_class ml_svc_class;

#endif
