/* The generic estimator layer, through a tiny class defined here: nearest
 * class mean.  Checks parameters, validation, cloning, save/load. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mnistlab.h"
#include "models/estimator.h"

typedef struct ncm {
    ml_estimator base;
    double shrink;       /* a parameter in [0, 1] */
    int metric;          /* "euclidean" or "manhattan" */
    ml_tensor *means;    /* n_classes x features */
} ncm;

static const char *const ncm_params[] = {"shrink", "metric", NULL};
static const char *const ncm_attrs[] = {"means", NULL};
static const char *const metrics[] = {"euclidean", "manhattan", NULL};

static void ncm_init(ml_estimator *e) { ((ncm *)e)->shrink = 0; }
static void ncm_reset(ml_estimator *e)
{
    ml_tensor_free(((ncm *)e)->means);
    ((ncm *)e)->means = NULL;
}
static ml_status ncm_set(ml_estimator *e, const char *name, const ml_value *v)
{
    ncm *m = (ncm *)e;
    if (!strcmp(name, "shrink")) return ml_param_number(e, name, v, 0, 1, 0, &m->shrink);
    return ml_param_choice(e, name, v, metrics, &m->metric);
}
static ml_status ncm_get(const ml_estimator *e, const char *name, ml_value *v)
{
    const ncm *m = (const ncm *)e;
    *v = !strcmp(name, "shrink") ? ml_num(m->shrink) : ml_str(metrics[m->metric]);
    return ML_OK;
}
static ml_status ncm_fit(ml_estimator *e, const ml_tensor *X, const ml_tensor *y, const ml_progress *p)
{
    (void)p;
    ncm *m = (ncm *)e;
    int64_t d = X->shape[1];
    m->means = ml_tensor_new2(e->n_classes, d);
    int64_t *cnt = calloc((size_t)e->n_classes, sizeof *cnt);
    for (int64_t i = 0; i < X->shape[0]; i++) {
        int c = (int)y->data[i];
        cnt[c]++;
        for (int64_t j = 0; j < d; j++) m->means->data[c * d + j] += X->data[i * d + j];
    }
    for (int c = 0; c < e->n_classes; c++)
        for (int64_t j = 0; j < d; j++) m->means->data[c * d + j] /= cnt[c] ? (float)cnt[c] : 1.f;
    free(cnt);
    return ML_OK;
}
static ml_status ncm_predict(const ml_estimator *e, const ml_tensor *X, ml_tensor **out)
{
    const ncm *m = (const ncm *)e;
    int64_t d = X->shape[1];
    *out = ml_tensor_new1(X->shape[0]);
    for (int64_t i = 0; i < X->shape[0]; i++) {
        double best = 1e300;
        for (int c = 0; c < e->n_classes; c++) {
            double s = 0;
            for (int64_t j = 0; j < d; j++) {
                double t = X->data[i * d + j] - m->means->data[c * d + j];
                s += m->metric ? (t < 0 ? -t : t) : t * t;
            }
            if (s < best) best = s, (*out)->data[i] = (float)c;
        }
    }
    return ML_OK;
}
static ml_status ncm_attr(const ml_estimator *e, const char *name, ml_value *v)
{
    (void)name;
    v->kind = ML_VAL_TENSOR;
    v->tensor = ml_tensor_clone(((const ncm *)e)->means);
    return ML_OK;
}
static ml_status ncm_save(const ml_estimator *e, ml_mfile_w *w) { return ml_mfile_put_tensor(w, "means", ((const ncm *)e)->means); }
static ml_status ncm_load(ml_estimator *e, const ml_mfile *r) { return ml_mfile_get_tensor(r, "means", &((ncm *)e)->means); }

static const ml_estimator_class ncm_class = {
    .name = "NearestMean", .type = ML_CLASSIFIER, .size = sizeof(ncm), .params = ncm_params, .attrs = ncm_attrs,
    .init = ncm_init, .destroy = ncm_reset, .reset = ncm_reset, .set_param = ncm_set, .get_param = ncm_get,
    .fit = ncm_fit, .predict = ncm_predict, .get_attr = ncm_attr, .save = ncm_save, .load = ncm_load};

static ml_tensor *X, *y;

static int setup(void **s)
{
    (void)s;
    X = ml_tensor_new2(6, 2);
    y = ml_tensor_new1(6);
    const float xs[] = {0, 0, 0, 1, 1, 0, 10, 10, 10, 11, 11, 10};
    memcpy(X->data, xs, sizeof xs);
    for (int i = 3; i < 6; i++) y->data[i] = 1;
    return 0;
}

static int teardown(void **s)
{
    (void)s;
    ml_tensor_free(X);
    ml_tensor_free(y);
    return 0;
}

static void test_params(void **s)
{
    (void)s;
    ml_estimator *e = ml_estimator_new(&ncm_class);
    ml_value v = ml_num(2);
    assert_int_equal(ml_estimator_set_param(e, "shrink", &v), ML_EINVAL);
    assert_string_equal(ml_last_error(), "NearestMean: shrink must be in [0, 1], got 2");
    v = ml_str("cosine");
    assert_int_equal(ml_estimator_set_param(e, "metric", &v), ML_EINVAL);
    assert_string_equal(ml_last_error(), "NearestMean: metric = \"cosine\" is not one of \"euclidean\", \"manhattan\"");
    assert_int_equal(ml_estimator_set_param(e, "metrik", &v), ML_EINVAL);
    assert_string_equal(ml_last_error(), "NearestMean: unknown parameter 'metrik' (known: shrink, metric)");
    v = ml_num(0.5);
    assert_int_equal(ml_estimator_set_param(e, "shrink", &v), ML_OK);
    char buf[128];
    ml_estimator_repr(e, buf, sizeof buf);
    assert_string_equal(buf, "NearestMean(shrink=0.5, metric='euclidean')");
    ml_estimator *c = ml_estimator_clone(e);
    ml_estimator_repr(c, buf, sizeof buf);
    assert_string_equal(buf, "NearestMean(shrink=0.5, metric='euclidean')");
    ml_estimator_free(c);
    ml_estimator_free(e);
}

/* A class whose parameters are all declared in a table: every kind, its
 * checks and messages, and the value read back, cloned and repr'd. */
typedef struct knobs {
    ml_estimator base;
    int depth;
    int64_t width;
    double rate, gain;
    int flag, mode;
    uint64_t seed;
} knobs;

static const char *const knob_params[] = {"depth", "width", "rate", "gain", "flag", "mode", "seed", NULL};
static const char *const modes[] = {"fast", "slow", NULL};
static const ml_param_spec knob_specs[] = {
    {"depth", ML_PARAM_INT, offsetof(knobs, depth), 1, 10, NULL, 0},
    {"width", ML_PARAM_INT64, offsetof(knobs, width), 0, 1e12, NULL, 0},
    {"rate", ML_PARAM_REAL, offsetof(knobs, rate), 0, 1, NULL, 0},
    {"gain", ML_PARAM_REAL, offsetof(knobs, gain), 0, INFINITY, NULL, ML_PARAM_ABOVE_LO},
    {"flag", ML_PARAM_BOOL, offsetof(knobs, flag), 0, 0, NULL, 0},
    {"mode", ML_PARAM_CHOICE, offsetof(knobs, mode), 0, 0, modes, 0},
    {"seed", ML_PARAM_SEED, offsetof(knobs, seed), 0, 0, NULL, 0},
    {NULL, 0, 0, 0, 0, NULL, 0},
};
static void knobs_init(ml_estimator *e) { ((knobs *)e)->depth = 3, ((knobs *)e)->gain = 1; }
static const ml_estimator_class knobs_class = {
    .name = "Knobs", .type = ML_TRANSFORMER, .size = sizeof(knobs), .params = knob_params, .init = knobs_init,
    .param_specs = knob_specs};

static void test_param_table(void **s)
{
    (void)s;
    ml_estimator *e = ml_estimator_new(&knobs_class);
    struct { const char *name; ml_value v; const char *msg; } bad[] = {
        {"depth", ml_num(2.5), "Knobs: depth must be an integer, got 2.5"},
        {"depth", ml_num(11), "Knobs: depth must be in [1, 10], got 11"},
        {"depth", ml_str("3"), "Knobs: depth must be a number"},
        {"width", ml_num(-1), "Knobs: width must be in [0, 1e+12], got -1"},
        {"rate", ml_num(1.5), "Knobs: rate must be in [0, 1], got 1.5"},
        {"gain", ml_num(0), "Knobs: gain must be > 0, got 0"},
        {"gain", ml_num(-INFINITY), "Knobs: gain must be finite, got -inf"},
        {"flag", ml_str("yes"), "Knobs: flag must be a boolean"},
        {"mode", ml_str("medium"), "Knobs: mode = \"medium\" is not one of \"fast\", \"slow\""},
        {"seed", ml_num(-1), "Knobs: seed must be in [0, 9.0072e+15], got -1"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(ml_estimator_set_param(e, bad[i].name, &bad[i].v), ML_EINVAL);
        assert_string_equal(ml_last_error(), bad[i].msg);
    }
    char buf[256];
    ml_estimator_repr(e, buf, sizeof buf); /* defaults, untouched by the refusals */
    assert_string_equal(buf, "Knobs(depth=3, width=0, rate=0, gain=1, flag=false, mode='fast', seed=0)");
    ml_value good[] = {ml_num(7), ml_num(4e9), ml_num(0.25), ml_num(1e-3), ml_bool(1), ml_str("slow"), ml_num(42)};
    for (int i = 0; knob_params[i]; i++) assert_int_equal(ml_estimator_set_param(e, knob_params[i], &good[i]), ML_OK);
    const knobs *k = (const knobs *)e;
    assert_true(k->depth == 7 && k->width == 4000000000LL && k->rate == 0.25 && k->gain == 1e-3 && k->flag == 1 &&
                k->mode == 1 && k->seed == 42);
    ml_estimator *c = ml_estimator_clone(e);
    char cbuf[256];
    ml_estimator_repr(e, buf, sizeof buf);
    ml_estimator_repr(c, cbuf, sizeof cbuf);
    assert_string_equal(buf, "Knobs(depth=7, width=4e+09, rate=0.25, gain=0.001, flag=true, mode='slow', seed=42)");
    assert_string_equal(cbuf, buf);
    ml_value none = ml_none(), got;
    assert_int_equal(ml_estimator_set_param(c, "seed", &none), ML_OK);
    assert_int_equal(ml_estimator_get_param(c, "seed", &got), ML_OK);
    assert_true(got.kind == ML_VAL_NUM && got.num == 0);
    ml_estimator_free(c);
    ml_estimator_free(e);
}

static void test_checks(void **s)
{
    (void)s;
    ml_estimator *e = ml_estimator_new(&ncm_class);
    ml_tensor *out;
    assert_int_equal(ml_estimator_predict(e, X, &out), ML_ESTATE);
    assert_string_equal(ml_last_error(), "NearestMean: predict before fit: call fit first");
    ml_tensor *ybad = ml_tensor_new1(5);
    assert_int_equal(ml_estimator_fit(e, X, ybad, NULL), ML_EINVAL);
    assert_string_equal(ml_last_error(), "NearestMean: X has 6 rows but y has 5 labels");
    ml_tensor_free(ybad);
    ml_tensor *yneg = ml_tensor_clone(y);
    yneg->data[2] = -1;
    assert_int_equal(ml_estimator_fit(e, X, yneg, NULL), ML_EINVAL);
    assert_string_equal(ml_last_error(), "NearestMean: y: label -1 at position 3 is not a small non-negative integer");
    ml_tensor_free(yneg);
    ml_tensor *Xnan = ml_tensor_clone(X);
    Xnan->data[3] = 0.0f / 0.0f;
    assert_int_equal(ml_estimator_fit(e, Xnan, y, NULL), ML_EINVAL);
    assert_string_equal(ml_last_error(), "NearestMean: X contains NaN or infinite values");
    ml_tensor_free(Xnan);
    assert_int_equal(ml_estimator_fit(e, X, y, NULL), ML_OK);
    ml_tensor *X3 = ml_tensor_new2(2, 3);
    assert_int_equal(ml_estimator_predict(e, X3, &out), ML_EINVAL);
    assert_string_equal(ml_last_error(), "NearestMean: X has 3 features, but the model was fitted with 2");
    ml_tensor_free(X3);
    double acc;
    assert_int_equal(ml_estimator_score(e, X, y, &acc), ML_OK);
    assert_true(acc == 1.0);
    ml_estimator_free(e);
}

static void test_save_load(void **s)
{
    (void)s;
    char path[] = "/tmp/mnistlab-est-XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    ml_estimator *e = ml_estimator_new(&ncm_class);
    ml_value v = ml_str("manhattan");
    ml_estimator_set_param(e, "metric", &v);
    assert_int_equal(ml_estimator_save(e, path), ML_ESTATE);
    assert_int_equal(ml_estimator_fit(e, X, y, NULL), ML_OK);
    assert_int_equal(ml_estimator_save(e, path), ML_OK);
    ml_estimator *l;
    /* Not in the registry: a class the library does not know is refused by name. */
    assert_int_equal(ml_estimator_load(path, &l), ML_EFORMAT);
    assert_non_null(strstr(ml_last_error(), "holds a NearestMean, which this mnistlab cannot load"));
    /* The container itself round-trips and is checked. */
    ml_mfile *r;
    assert_int_equal(ml_mfile_open(&r, path, "estimator"), ML_OK);
    ml_tensor *m;
    assert_int_equal(ml_mfile_get_tensor(r, "means", &m), ML_OK);
    assert_int_equal(m->shape[0], 2);
    assert_true(m->data[2] == 10.f + 1.f / 3.f);
    ml_tensor_free(m);
    ml_mfile_close(r);
    /* Flip one byte: the CRC refuses it. */
    FILE *f = fopen(path, "r+b");
    fseek(f, 40, SEEK_SET);
    int c = fgetc(f);
    fseek(f, 40, SEEK_SET);
    fputc(c ^ 0x20, f);
    fclose(f);
    assert_int_equal(ml_mfile_open(&r, path, NULL), ML_EFORMAT);
    assert_non_null(strstr(ml_last_error(), "checksum mismatch"));
    unlink(path);
    ml_estimator_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_params),
        cmocka_unit_test(test_param_table),
        cmocka_unit_test(test_checks),
        cmocka_unit_test(test_save_load),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
