/* mnistlab models: model selection (scikit-learn's KFold, StratifiedKFold,
 * cross_val_score, GridSearchCV).
 *
 * Folds: fold i's test rows are test[start[i] .. start[i + 1]), sorted;
 * its training rows are every other row, in increasing order.  Without
 * shuffle KFold's folds are consecutive runs, the first n % k one row longer,
 * exactly as scikit-learn's.  StratifiedKFold deals each class's rows (in
 * order, or shuffled with the seed) into the k folds so that every class is
 * split as evenly as it can be (each fold within one row of n_c / k) and the
 * folds' sizes differ by at most one row.  Its assignment is not scikit-
 * learn's row for row (that one depends on numpy's generator).
 *
 * Cross-validation clones the estimator for every fit (same parameters,
 * unfitted), fits on the training rows and scores accuracy on the test rows.
 * A Pipeline whose candidates differ only in the last step's parameters has
 * its other steps (PCA) fitted once per fold instead of once per candidate:
 * the same calls, the same results.  Between fits the search reports
 * "grid search <done>/<total>" (or "cv ...") and stops with ML_ECANCELLED when
 * the hook or Ctrl-C asks.
 *
 * n_jobs (scikit-learn's): how many fits run side by side, each on one
 * thread.  ML_N_JOBS_AUTO (nil in Lua) runs them side by side, on every
 * thread, when what each task fits is an SVC (its fits do not depend on the
 * thread count, and a whole fit per core wastes less than one fit's class
 * pairs spread over the cores), else one at a time with each fit using every
 * thread; -1 is every thread, k >= 1 at most k.  Scores and their order are
 * those of the serial search (for SVC fits identical to the bit), whichever
 * worker ran which fit (side by side, the candidates that took longest so far
 * go first); the error reported is the first in task order.  Memory: each job holds one fit (for SVC, up to
 * cache_size MB of kernel rows) and, when nothing is fitted once per fold, a
 * copy of its fold's rows. */
#ifndef ML_MODELS_SELECTION_H
#define ML_MODELS_SELECTION_H

#include <stdint.h>

#include "core/error.h"
#include "core/progress.h"
#include "core/tensor.h"
#include "models/estimator.h"

typedef struct ml_folds {
    int k;
    int64_t n;
    int64_t *test;  /* n indices, fold by fold */
    int64_t *start; /* k + 1 offsets into test */
} ml_folds;

ml_status ml_kfold(int64_t n, int k, int shuffle, uint64_t seed, ml_folds *f);
ml_status ml_stratified_kfold(const ml_tensor *y, int k, int shuffle, uint64_t seed, ml_folds *f);
void ml_folds_free(ml_folds *f);
/* Training rows of fold i into train (room for n), their count in *n_train. */
void ml_folds_train(const ml_folds *f, int i, int64_t *train, int64_t *n_train);

#define ML_N_JOBS_AUTO 0
/* ML_OK for ML_N_JOBS_AUTO, -1 or 1..256; else a message naming fn. */
ml_status ml_check_n_jobs(int n_jobs, const char *fn);

/* scores[i] = accuracy of a clone of est fitted on fold i's training rows,
 * on its test rows.  scores has room for f->k. */
ml_status ml_cross_val_score_jobs(const ml_estimator *est, const ml_tensor *X, const ml_tensor *y,
                                  const ml_folds *f, int n_jobs, const ml_progress *p, double *scores);
/* The same with n_jobs = ML_N_JOBS_AUTO. */
ml_status ml_cross_val_score(const ml_estimator *est, const ml_tensor *X, const ml_tensor *y, const ml_folds *f,
                             const ml_progress *p, double *scores);

/* A parameter grid: every combination of the values, the last parameter
 * varying fastest (scikit-learn's ParameterGrid, once its keys are sorted). */
typedef struct ml_grid_param {
    char *name;
    int n_values;
    ml_value *values; /* strings owned by the grid; tensors not allowed */
} ml_grid_param;

typedef struct ml_grid {
    int n_params;
    ml_grid_param *params;
} ml_grid;

/* Adds a parameter with copies of the values. */
ml_status ml_grid_add(ml_grid *g, const char *name, const ml_value *values, int n_values);
void ml_grid_free(ml_grid *g);
int64_t ml_grid_size(const ml_grid *g);
/* Candidate c's value index for each parameter, into choice[n_params]. */
void ml_grid_candidate(const ml_grid *g, int64_t c, int *choice);

typedef struct ml_search_result {
    int64_t n_candidates;
    int k;                  /* folds */
    int *choice;            /* n_candidates x n_params */
    double *fold_scores;    /* n_candidates x k */
    double *mean, *std;     /* n_candidates (std with ddof 0, as scikit-learn) */
    int *rank;              /* 1 = best; ties share the lower rank */
    double *fit_seconds;    /* n_candidates: mean fit time per fold (steps fitted once per fold included) */
    int64_t best_index;
    double best_score;
    ml_estimator *best_estimator; /* refitted on all rows (NULL when refit = 0) */
} ml_search_result;

/* Every parameter of the grid is checked on a clone before any fit, so that a
 * grid with an unknown parameter or a bad value fails at once, naming it. */
ml_status ml_grid_search_jobs(const ml_estimator *est, const ml_grid *g, const ml_tensor *X, const ml_tensor *y,
                              const ml_folds *f, int refit, int n_jobs, const ml_progress *p, ml_search_result *out);
/* The same with n_jobs = ML_N_JOBS_AUTO. */
ml_status ml_grid_search(const ml_estimator *est, const ml_grid *g, const ml_tensor *X, const ml_tensor *y,
                         const ml_folds *f, int refit, const ml_progress *p, ml_search_result *out);
void ml_search_result_free(ml_search_result *r);

#endif
