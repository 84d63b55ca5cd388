/* mnistlab models: classification metrics (scikit-learn's accuracy_score,
 * confusion_matrix, precision_recall_fscore_support, classification_report).
 *
 * Labels are checked (small non-negative integers); y_true and y_pred must
 * have the same length, and the message names the argument at fault.  The
 * classes reported are those that occur in y_true or y_pred, in increasing
 * order, as scikit-learn does; a class never predicted has precision 0 and
 * one never true has recall 0 (scikit-learn's zero_division default, without
 * the warning). */
#ifndef ML_MODELS_METRICS_H
#define ML_MODELS_METRICS_H

#include <stdint.h>

#include "core/error.h"
#include "core/tensor.h"

ml_status ml_accuracy(const ml_tensor *y_true, const ml_tensor *y_pred, double *acc);

/* cm[i][j] = number of rows with true label i and predicted label j, for
 * i, j < n_classes; n_classes 0 means max label + 1 over both. */
ml_status ml_confusion_matrix(const ml_tensor *y_true, const ml_tensor *y_pred, int n_classes, ml_tensor **cm);

typedef struct ml_class_report {
    int n;               /* classes reported */
    int *label;          /* n: the label of each row */
    double *precision, *recall, *f1;
    int64_t *support;    /* n: true rows of the class */
    double accuracy;
    double macro[3], weighted[3]; /* precision, recall, F1 */
    int64_t total;
} ml_class_report;

ml_status ml_classification_report(const ml_tensor *y_true, const ml_tensor *y_pred, ml_class_report *r);
void ml_class_report_free(ml_class_report *r);
/* scikit-learn's text layout.  names[label] (may be NULL, or have NULL
 * entries) replaces the label number; digits is the number of decimals (2).
 * *out is malloc'ed. */
ml_status ml_class_report_format(const ml_class_report *r, const char *const *names, int n_names, int digits,
                                 char **out);

#endif
