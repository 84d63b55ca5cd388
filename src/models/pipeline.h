/* mnistlab models: Pipeline, scikit-learn's: a chain of transformers ending
 * with a classifier, itself an estimator (fit, predict, predict_proba,
 * decision_function, score, clone, save/load), so that PCA then SVC is one
 * model inside cross_val_score and GridSearchCV.
 *
 * Parameters are addressed "<step>__<parameter>" ("svc__C", "pca__n_components");
 * a name without "__" or an unknown step is refused, naming the steps.
 * Fitting fits each step on the output of the previous one's transform.
 * Saved files embed each step as a complete model file of its own. */
#ifndef ML_MODELS_PIPELINE_H
#define ML_MODELS_PIPELINE_H

#include "models/estimator.h"

extern const ml_estimator_class ml_pipeline_class;

/* Takes ownership of steps[0..n-1] (also on failure); names are copied.
 * Every step but the last must have transform; the last must be a classifier. */
ml_status ml_pipeline_new(const char *const *names, ml_estimator **steps, int n, ml_estimator **out);
int ml_pipeline_n_steps(const ml_estimator *e);
const char *ml_pipeline_step_name(const ml_estimator *e, int i);
/* Borrowed. */
ml_estimator *ml_pipeline_step(const ml_estimator *e, int i);

#endif
