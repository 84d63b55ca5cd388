/* accuracy, confusion matrix, classification report (scikit-learn's text). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mnistlab.h"
#include "models/metrics.h"

static ml_tensor *vec(const float *v, int n)
{
    ml_tensor *t = ml_tensor_new1(n);
    memcpy(t->data, v, sizeof *v * (size_t)n);
    return t;
}

static void test_confusion_and_accuracy(void **s)
{
    (void)s;
    const float a[] = {0, 1, 2, 2, 1, 0}, b[] = {0, 2, 2, 2, 1, 1};
    ml_tensor *yt = vec(a, 6), *yp = vec(b, 6), *cm;
    double acc;
    assert_int_equal(ml_accuracy(yt, yp, &acc), ML_OK);
    assert_true(fabs(acc - 4.0 / 6) < 1e-12);
    assert_int_equal(ml_confusion_matrix(yt, yp, 0, &cm), ML_OK);
    const float want[] = {1, 1, 0, 0, 1, 1, 0, 0, 2};
    assert_int_equal(cm->shape[0], 3);
    assert_memory_equal(cm->data, want, sizeof want);
    ml_tensor_free(cm);
    assert_int_equal(ml_confusion_matrix(yt, yp, 4, &cm), ML_OK);
    assert_int_equal(cm->shape[1], 4);
    assert_true(ml_tensor_sum(cm) == 6);
    ml_tensor_free(cm);
    ml_tensor_free(yt), ml_tensor_free(yp);
}

static void test_report_text(void **s)
{
    (void)s;
    /* scikit-learn 1.2: classification_report([0,1,2,2,1], [0,2,2,2,1]) */
    const float a[] = {0, 1, 2, 2, 1}, b[] = {0, 2, 2, 2, 1};
    ml_tensor *yt = vec(a, 5), *yp = vec(b, 5);
    ml_class_report r;
    assert_int_equal(ml_classification_report(yt, yp, &r), ML_OK);
    assert_int_equal(r.n, 3);
    assert_true(fabs(r.precision[2] - 2.0 / 3) < 1e-12 && r.recall[1] == 0.5 && r.support[2] == 2);
    char *text;
    assert_int_equal(ml_class_report_format(&r, NULL, 0, 2, &text), ML_OK);
    assert_string_equal(text,
                        "              precision    recall  f1-score   support\n\n"
                        "           0       1.00      1.00      1.00         1\n"
                        "           1       1.00      0.50      0.67         2\n"
                        "           2       0.67      1.00      0.80         2\n\n"
                        "    accuracy                           0.80         5\n"
                        "   macro avg       0.89      0.83      0.82         5\n"
                        "weighted avg       0.87      0.80      0.79         5\n");
    free(text);
    const char *names[] = {"zero", "one", "two"};
    assert_int_equal(ml_class_report_format(&r, names, 3, 3, &text), ML_OK);
    assert_non_null(strstr(text, "         two      0.667     1.000     0.800         2\n"));
    free(text);
    ml_class_report_free(&r);
    /* a class only predicted: precision 0, recall 0, support 0 */
    const float c[] = {0, 0}, d[] = {0, 3};
    ml_tensor *t2 = vec(c, 2), *p2 = vec(d, 2);
    assert_int_equal(ml_classification_report(t2, p2, &r), ML_OK);
    assert_int_equal(r.n, 2);
    assert_int_equal(r.label[1], 3);
    assert_true(r.precision[1] == 0 && r.recall[1] == 0 && r.support[1] == 0);
    ml_class_report_free(&r);
    ml_tensor_free(t2), ml_tensor_free(p2), ml_tensor_free(yt), ml_tensor_free(yp);
}

static void test_bad_input(void **s)
{
    (void)s;
    const float a[] = {0, 1, 2}, b[] = {0, 1}, c[] = {0, -1, 2};
    ml_tensor *t3 = vec(a, 3), *t2 = vec(b, 2), *bad = vec(c, 3), *cm;
    double acc;
    assert_int_equal(ml_accuracy(t3, t2, &acc), ML_EINVAL);
    assert_string_equal(ml_last_error(), "accuracy_score: y_true has 3 labels but y_pred has 2");
    assert_int_equal(ml_confusion_matrix(t3, bad, 0, &cm), ML_EINVAL);
    assert_string_equal(ml_last_error(),
                        "confusion_matrix: y_pred: label -1 at position 2 is not a small non-negative integer");
    ml_class_report r;
    assert_int_equal(ml_classification_report(bad, t3, &r), ML_EINVAL);
    assert_non_null(strstr(ml_last_error(), "classification_report: y_true: label -1"));
    ml_tensor_free(t3), ml_tensor_free(t2), ml_tensor_free(bad);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_confusion_and_accuracy),
        cmocka_unit_test(test_report_text),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
