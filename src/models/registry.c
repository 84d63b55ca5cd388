/* The estimator classes linked into the library.  Each is defined in its own
 * model file; the weak references let the library build while a model is
 * still being written (a missing class is simply not listed). */
#include "models/estimator.h"

#define CLASS(sym) extern const ml_estimator_class sym __attribute__((weak));
CLASS(ml_pca_class)
CLASS(ml_kmeans_class)
CLASS(ml_gaussian_mixture_class)
CLASS(ml_decision_tree_class)
CLASS(ml_gaussian_nb_class)
CLASS(ml_knn_class)
CLASS(ml_logistic_regression_class)
CLASS(ml_svc_class)
CLASS(ml_pipeline_class)
#undef CLASS

const ml_estimator_class *const *ml_estimator_classes(void)
{
    static const ml_estimator_class *list[16];
    static int done;
    if (!done) {
        const ml_estimator_class *all[] = {&ml_pca_class,          &ml_kmeans_class,
                                           &ml_gaussian_mixture_class, &ml_decision_tree_class,
                                           &ml_gaussian_nb_class,  &ml_knn_class,
                                           &ml_logistic_regression_class, &ml_svc_class,
                                           &ml_pipeline_class};
        int n = 0;
        for (size_t i = 0; i < sizeof all / sizeof *all; i++)
            if (all[i]) list[n++] = all[i];
        list[n] = NULL;
        done = 1;
    }
    return list;
}
