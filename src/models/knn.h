/* mnistlab models: k nearest neighbours by brute force through the matrix
 * product (scikit-learn's KNeighborsClassifier, Euclidean).  Parameters:
 * n_neighbors (5), weights "uniform" | "distance".  See knn.c. */
#ifndef ML_MODELS_KNN_H
#define ML_MODELS_KNN_H

#include "models/estimator.h"

extern const ml_estimator_class ml_knn_class;

#endif
