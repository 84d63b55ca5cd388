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
 * an LRU cache of kernel rows (cache_size MB of float rows per worker thread),
 * plus, every 64 iterations, a Newton step on the free variables (the
 * problem restricted to them solved exactly, then clipped to the box): on
 * overlapping classes with a linear kernel SMO alone zigzags among a few
 * strongly coupled free variables for millions of iterations.  A missing
 * kernel row is computed together with those of the current top violators
 * (the likely next working-set members), against the active rows only while
 * the problem is shrunk (libsvm's partial rows), by a skinny product over the
 * transposed points (read once per call; a general matrix product repacks
 * the whole point matrix for each of these one-to-eight-row products); the
 * wide products (the gradient rebuilt after unshrinking, prediction's test x
 * support-vector blocks) go through ml_gemm.  The two passes of an iteration
 * run on compact copies of the active variables, four at a time with AVX2.
 * The pairs are spread over the worker threads (dynamically: the next free
 * thread takes the next pair); each pair's solution does not depend on the
 * thread count.
 *
 * Labels may have gaps ({0, 2, 5}): classes (scikit-learn's classes_) are the
 * labels present, sorted; predict returns them, decision_function has one
 * column per class in that order.
 *
 * probability = true (as scikit-learn's): fit also runs a 5-fold
 * cross-validation of every pair's problem (folds from a fixed seed) and fits
 * Platt's sigmoid to those decision values; predict_proba couples the pairs'
 * probabilities (Wu, Lin and Weng's second method).  Without it predict_proba
 * is refused.
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
    int probability;    /* default false */
    /* fitted */
    double gamma;             /* the value used */
    int n_sv;
    ml_tensor *sv;            /* n_sv x n_features */
    ml_tensor *dual_coef;     /* (K-1) x n_sv, libsvm's signs */
    ml_tensor *rho;           /* K(K-1)/2: decision = sum coef K(sv, x) - rho */
    ml_tensor *support;       /* n_sv training row indices (as floats) */
    ml_tensor *classes;       /* K labels present at fit, ascending; the solver's classes are 0..K-1 */
    double *prob_a, *prob_b;  /* K(K-1)/2 Platt sigmoids (probability = true), else NULL */
    int64_t *sv_start;        /* K + 1: class c's SVs are [sv_start[c], sv_start[c+1]) */
    int64_t n_iter;           /* SMO iterations, summed over pairs */
} ml_svc;

extern const ml_estimator_class ml_svc_class;

#endif
