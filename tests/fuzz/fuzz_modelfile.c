/* libFuzzer harness: the model-file container, and through it every
 * estimator's loader, on arbitrary bytes (see fuzz_common.h for the checksum).
 * Seeds: a small saved model of every class (tests/fuzz/make-seeds.lua).
 *
 * Whatever the bytes, loading either fails with a message naming the file, or
 * gives a model that can be used: every attribute, repr, clone, and predict,
 * predict_proba, decision_function, transform, inverse_transform and score on
 * a few rows of the width it was fitted on, each giving one row of output per
 * row of input or a clean error; and saved again, it loads again. */
#include "fuzz_common.h"

#include "core/modelfile.h"
#include "models/estimator.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ROWS 3

static void check_rows(const ml_tensor *out)
{
    if (out && (out->ndim < 1 || out->shape[0] != ROWS)) abort();
}

static void use(ml_estimator *e)
{
    char repr[1024];
    ml_estimator_repr(e, repr, sizeof repr);
    for (int i = 0; e->cls->attrs && e->cls->attrs[i]; i++) {
        ml_value v;
        if (ml_estimator_get_attr(e, e->cls->attrs[i], &v) == ML_OK && v.kind == ML_VAL_TENSOR)
            ml_tensor_free(v.tensor);
    }
    ml_estimator_free(ml_estimator_clone(e));
    const char *again = fuzz_save_path();
    if (ml_estimator_save(e, again) == ML_OK) {
        ml_estimator *back;
        if (ml_estimator_load(again, &back) != ML_OK) {
            fprintf(stderr, "saved again, it does not load: %s\n", ml_last_error());
            abort();
        }
        ml_estimator_free(back);
        unlink(again);
    }

    int64_t nf = e->n_features_in;
    if (nf < 1 || nf > 4096) return; /* a file may claim a huge width; a few rows of it are not the point */
    ml_tensor *X = ml_tensor_new2(ROWS, nf), *y = ml_tensor_new1(ROWS);
    if (!X || !y) abort();
    uint32_t s = (uint32_t)nf;
    for (int64_t i = 0; i < ROWS * nf; i++) X->data[i] = i % 5 == 0 ? 0.0f : fuzz_unit(&s);
    for (int i = 0; i < ROWS; i++) y->data[i] = (float)(e->n_classes > 1 ? i % e->n_classes : 0);

    ml_status (*const fns[])(const ml_estimator *, const ml_tensor *, ml_tensor **) = {
        ml_estimator_predict, ml_estimator_predict_proba, ml_estimator_decision_function};
    for (size_t k = 0; k < sizeof fns / sizeof *fns; k++) {
        ml_tensor *out = NULL;
        if (fns[k](e, X, &out) == ML_OK) check_rows(out);
        ml_tensor_free(out);
    }
    ml_tensor *Z = NULL;
    if (ml_estimator_transform(e, X, &Z) == ML_OK) {
        check_rows(Z);
        ml_tensor *back = NULL;
        if (ml_estimator_inverse_transform(e, Z, &back) == ML_OK) check_rows(back);
        ml_tensor_free(back);
    }
    ml_tensor_free(Z);
    double score;
    if (ml_estimator_score(e, X, y, &score) == ML_OK && !(score >= 0 && score <= 1)) abort();
    ml_tensor_free(X);
    ml_tensor_free(y);
}

static void one(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = fuzz_file(data, size, path, sizeof path);
    if (fd < 0) return;
    ml_mfile *r;
    if (ml_mfile_open(&r, path, NULL) == ML_OK) {
        ml_tensor *t;
        if (ml_mfile_get_tensor(r, "t", &t) == ML_OK) ml_tensor_free(t);
        ml_mfile_close(r);
    }
    ml_estimator *e;
    if (ml_estimator_load(path, &e) == ML_OK) {
        use(e);
        ml_estimator_free(e);
    } else {
        const char *m = ml_last_error();
        if (!strstr(m, path) || strchr(m, '\n')) abort();
    }
    close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    one(data, size);
    uint8_t *fixed = fuzz_fix_crc(data, size);
    if (fixed) {
        one(fixed, size);
        free(fixed);
    }
    return 0;
}
