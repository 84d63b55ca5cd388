/* mnistlab models: Gaussian naive Bayes (scikit-learn's GaussianNB).
 * Parameters: var_smoothing (1e-9), priors (nil or one probability per
 * class).  Attributes: theta, var, class_prior, class_count, epsilon,
 * classes.  See naive_bayes.c for the method. */
#ifndef ML_MODELS_NAIVE_BAYES_H
#define ML_MODELS_NAIVE_BAYES_H

#include "models/estimator.h"

extern const ml_estimator_class ml_gaussian_nb_class;

#endif
