/* mnistlab models: classification metrics (see metrics.h). */
#include "models/metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/split.h"

static ml_status check_pair(const ml_tensor *a, const ml_tensor *b, const char *fn, int *nc)
{
    if (!a || !b) return ml_fail(ML_EINVAL, "%s: y_true and y_pred are required", fn);
    if (ml_tensor_numel(a) != ml_tensor_numel(b))
        return ml_fail(ML_EINVAL, "%s: y_true has %lld labels but y_pred has %lld", fn,
                       (long long)ml_tensor_numel(a), (long long)ml_tensor_numel(b));
    if (ml_tensor_numel(a) == 0) return ml_fail(ML_EINVAL, "%s: y_true is empty", fn);
    char what[64];
    int na, nb;
    snprintf(what, sizeof what, "%s: y_true", fn);
    ml_status st = ml_check_labels(a, what, &na);
    if (st) return st;
    snprintf(what, sizeof what, "%s: y_pred", fn);
    if ((st = ml_check_labels(b, what, &nb))) return st;
    *nc = na > nb ? na : nb;
    return ML_OK;
}

ml_status ml_accuracy(const ml_tensor *y_true, const ml_tensor *y_pred, double *acc)
{
    int nc;
    ml_status st = check_pair(y_true, y_pred, "accuracy_score", &nc);
    if (st) return st;
    *acc = (double)ml_tensor_count_equal(y_true, y_pred) / (double)ml_tensor_numel(y_true);
    return ML_OK;
}

ml_status ml_confusion_matrix(const ml_tensor *y_true, const ml_tensor *y_pred, int n_classes, ml_tensor **cm)
{
    *cm = NULL;
    int nc;
    ml_status st = check_pair(y_true, y_pred, "confusion_matrix", &nc);
    if (st) return st;
    if (n_classes < 0) return ml_fail(ML_EINVAL, "confusion_matrix: n_classes must be >= 0, got %d", n_classes);
    if (n_classes == 0) n_classes = nc;
    if ((int64_t)n_classes * n_classes > (int64_t)1 << 28)
        return ml_fail(ML_EINVAL, "confusion_matrix: %d classes is too many", n_classes);
    *cm = ml_tensor_new2(n_classes, n_classes);
    if (!*cm) return ML_ENOMEM;
    int64_t n = ml_tensor_numel(y_true);
    for (int64_t i = 0; i < n; i++) {
        int a = (int)y_true->data[i], b = (int)y_pred->data[i];
        if (a < n_classes && b < n_classes) (*cm)->data[(int64_t)a * n_classes + b] += 1;
    }
    return ML_OK;
}

void ml_class_report_free(ml_class_report *r)
{
    free(r->label), free(r->precision), free(r->recall), free(r->f1), free(r->support);
    memset(r, 0, sizeof *r);
}

ml_status ml_classification_report(const ml_tensor *y_true, const ml_tensor *y_pred, ml_class_report *r)
{
    memset(r, 0, sizeof *r);
    int nc;
    ml_status st = check_pair(y_true, y_pred, "classification_report", &nc);
    if (st) return st;
    int64_t *tp = calloc((size_t)nc, sizeof *tp), *npred = calloc((size_t)nc, sizeof *npred),
            *ntrue = calloc((size_t)nc, sizeof *ntrue);
    if (!tp || !npred || !ntrue) {
        free(tp), free(npred), free(ntrue);
        return ml_fail(ML_ENOMEM, "classification_report: out of memory");
    }
    int64_t n = ml_tensor_numel(y_true), correct = 0;
    for (int64_t i = 0; i < n; i++) {
        int a = (int)y_true->data[i], b = (int)y_pred->data[i];
        ntrue[a]++, npred[b]++;
        if (a == b) tp[a]++, correct++;
    }
    int k = 0;
    for (int c = 0; c < nc; c++) k += ntrue[c] || npred[c];
    r->n = k;
    r->label = malloc(sizeof *r->label * (size_t)k);
    r->precision = malloc(sizeof(double) * (size_t)k);
    r->recall = malloc(sizeof(double) * (size_t)k);
    r->f1 = malloc(sizeof(double) * (size_t)k);
    r->support = malloc(sizeof *r->support * (size_t)k);
    if (!r->label || !r->precision || !r->recall || !r->f1 || !r->support) {
        free(tp), free(npred), free(ntrue);
        ml_class_report_free(r);
        return ml_fail(ML_ENOMEM, "classification_report: out of memory");
    }
    int j = 0;
    for (int c = 0; c < nc; c++) {
        if (!ntrue[c] && !npred[c]) continue;
        double p = npred[c] ? (double)tp[c] / (double)npred[c] : 0;
        double q = ntrue[c] ? (double)tp[c] / (double)ntrue[c] : 0;
        r->label[j] = c;
        r->precision[j] = p;
        r->recall[j] = q;
        r->f1[j] = p + q > 0 ? 2 * p * q / (p + q) : 0;
        r->support[j] = ntrue[c];
        for (int m = 0; m < 3; m++) {
            double v = m == 0 ? p : m == 1 ? q : r->f1[j];
            r->macro[m] += v / k;
            r->weighted[m] += v * (double)ntrue[c] / (double)n;
        }
        j++;
    }
    r->accuracy = (double)correct / (double)n;
    r->total = n;
    free(tp), free(npred), free(ntrue);
    return ML_OK;
}

ml_status ml_class_report_format(const ml_class_report *r, const char *const *names, int n_names, int digits,
                                 char **out)
{
    if (digits < 0 || digits > 10) return ml_fail(ML_EINVAL, "classification_report: digits must be 0 to 10");
    char lab[64];
    int width = 12; /* len("weighted avg") */
    for (int i = 0; i < r->n; i++) {
        int l = r->label[i];
        int w = names && l < n_names && names[l] ? (int)strlen(names[l])
                                                  : snprintf(lab, sizeof lab, "%d", l);
        if (w > width) width = w;
    }
    if (width > 40) width = 40;
    /* scikit-learn's layout: label column, then columns of width 9 after one space */
    size_t cap = (size_t)(r->n + 8) * (size_t)(width + 4 * (digits + 12) + 16) + 64;
    char *s = malloc(cap);
    if (!s) return ml_fail(ML_ENOMEM, "classification_report: out of memory");
    size_t o = 0;
#define EMIT(...) o += (size_t)snprintf(s + o, cap - o, __VA_ARGS__)
    EMIT("%*s  %9s %9s %9s %9s\n\n", width, "", "precision", "recall", "f1-score", "support");
    for (int i = 0; i < r->n; i++) {
        int l = r->label[i];
        if (names && l < n_names && names[l]) snprintf(lab, sizeof lab, "%.40s", names[l]);
        else snprintf(lab, sizeof lab, "%d", l);
        EMIT("%*s  %9.*f %9.*f %9.*f %9lld\n", width, lab, digits, r->precision[i], digits, r->recall[i], digits,
             r->f1[i], (long long)r->support[i]);
    }
    EMIT("\n%*s  %9s %9s %9.*f %9lld\n", width, "accuracy", "", "", digits, r->accuracy, (long long)r->total);
    EMIT("%*s  %9.*f %9.*f %9.*f %9lld\n", width, "macro avg", digits, r->macro[0], digits, r->macro[1], digits,
         r->macro[2], (long long)r->total);
    EMIT("%*s  %9.*f %9.*f %9.*f %9lld\n", width, "weighted avg", digits, r->weighted[0], digits, r->weighted[1],
         digits, r->weighted[2], (long long)r->total);
#undef EMIT
    *out = s;
    return ML_OK;
}
