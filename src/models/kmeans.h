/* mnistlab models: k-means clustering (Lloyd's algorithm).
 *
 * Initialisation: k-means++ with scikit-learn's greedy local trials (2 +
 * floor(ln k) candidates per centre, keeping the one that lowers the
 * potential most), or "random" (k distinct rows).  Each of the n_init runs
 * draws from its own stream of the seed (core/rng.h), so results do not
 * depend on the thread count; the run with the lowest inertia is kept.
 *
 * Iterations: Lloyd's, exactly, accelerated with Hamerly's bounds: a row whose
 * upper bound to its centre is below both its lower bound to the other
 * centres and half the distance from its centre to the nearest other one
 * cannot change cluster and is skipped; the other rows get their squared
 * distances ||x||^2 - 2 x.c + ||c||^2 from one GEMM per block of rows, rows
 * split over the threads (BLAS single-threaded inside).  The cluster sums (in
 * double) follow the rows that change cluster.  The inertia is computed in
 * double from the cluster sums, so it is exact up to rounding and never
 * increases from one iteration to the next.  Convergence as in
 * scikit-learn: labels unchanged (strict), or the squared shift of the
 * centres summed over clusters at most tol * (mean variance of the features).
 * An empty cluster is moved to the row farthest from its centre.
 *
 * Defaults follow scikit-learn (n_clusters 8, max_iter 300, tol 1e-4), with
 * n_init = 1 (scikit-learn's "auto" for k-means++) and random_state = 0 so that
 * a notebook gives the same clusters every run. */
#ifndef ML_MODELS_KMEANS_H
#define ML_MODELS_KMEANS_H

#include <stdint.h>

#include "core/error.h"
#include "core/progress.h"
#include "core/tensor.h"
#include "models/estimator.h"

typedef struct ml_kmeans {
    ml_estimator base;
    /* parameters */
    int64_t n_clusters;
    int init_random; /* 0: "k-means++", 1: "random" */
    int n_init;
    int max_iter;
    double tol;
    uint64_t seed;
    /* fitted state */
    int64_t k, d, n;
    float *centers;   /* k x d */
    int32_t *labels;  /* n (rows seen by fit) */
    double inertia;
    int n_iter;
    double *history;  /* inertia at each iteration of the kept run (n_iter entries) */
    int n_history;
} ml_kmeans;

extern const ml_estimator_class ml_kmeans_class;

void ml_kmeans_init(ml_kmeans *m);
void ml_kmeans_clear(ml_kmeans *m);
/* Checks X (finite, at least n_clusters rows) and fits. */
ml_status ml_kmeans_fit(ml_kmeans *m, const ml_tensor *X, const ml_progress *p);
/* Index of the nearest centre for each row (a float tensor of n labels). */
ml_status ml_kmeans_predict(const ml_kmeans *m, const ml_tensor *X, ml_tensor **labels);
/* Distances to every centre (n x k), as scikit-learn's transform. */
ml_status ml_kmeans_transform(const ml_kmeans *m, const ml_tensor *X, ml_tensor **dist);

#endif
