/* mnistlab models: multinomial logistic regression (scikit-learn's
 * LogisticRegression).
 *
 * Objective, as scikit-learn scales it so that C means the same:
 *   sum_i log-loss(x_i, y_i) + 1/(2C) ||W||^2        penalty "l2"
 *   sum_i log-loss(x_i, y_i) + 1/C ||W||_1            penalty "l1"
 *   sum_i log-loss(x_i, y_i)                          penalty "none"
 * The intercept is never penalised.  Smooth problems are solved by L-BFGS,
 * L1 by OWL-QN (both from liblbfgs).  Each evaluation of the loss and its
 * gradient is one fused pass over X in row blocks (Z = Xb W^T, softmax,
 * G += (P - Y)^T Xb, all through ml_gemm), split over the threads.
 *
 * Stopping: the largest component of the (pseudo-)gradient of the objective,
 * divided by the number of rows, falls to `tol` (scikit-learn >= 1.4's
 * lbfgs criterion on its mean-scaled loss), or max_iter iterations: then
 * `converged` is 0 and e->warning says so.
 *
 * Two classes give one score column (coef 1 x d), as scikit-learn's binary
 * case; more give one per class (coef K x d). */
#ifndef ML_MODELS_LOGREG_H
#define ML_MODELS_LOGREG_H

#include "models/estimator.h"

enum { ML_LOGREG_L2 = 0, ML_LOGREG_L1, ML_LOGREG_NONE };
enum { ML_LOGREG_AUTO = 0, ML_LOGREG_LBFGS, ML_LOGREG_OWLQN };

typedef struct ml_logreg {
    ml_estimator base;
    /* parameters */
    int penalty;      /* ML_LOGREG_L2 ("l2", default), L1, NONE ("none" or None) */
    int solver;       /* "auto" (default: lbfgs, owlqn for l1), "lbfgs", "owlqn" */
    double C;         /* > 0, default 1 */
    int max_iter;     /* >= 1, default 100 */
    double tol;       /* >= 0, default 1e-4 */
    int fit_intercept; /* default true */
    /* fitted */
    int n_scores;     /* 1 for two classes, else n_classes */
    ml_tensor *coef;  /* n_scores x n_features */
    ml_tensor *intercept; /* n_scores */
    int n_iter;
    int converged;
    double loss;      /* objective value at the end */
} ml_logreg;

extern const ml_estimator_class ml_logistic_regression_class;

#endif
