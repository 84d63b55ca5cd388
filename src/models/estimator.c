/* The generic half of every estimator: checks, parameters, files. */
#include "models/estimator.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/split.h"

ml_estimator *ml_estimator_new(const ml_estimator_class *cls)
{
    size_t size = cls->size < sizeof(ml_estimator) ? sizeof(ml_estimator) : cls->size;
    ml_estimator *e = calloc(1, size);
    if (!e) {
        ml_fail(ML_ENOMEM, "%s: out of memory", cls->name);
        return NULL;
    }
    e->cls = cls;
    if (cls->init) cls->init(e);
    return e;
}

void ml_estimator_free(ml_estimator *e)
{
    if (!e) return;
    if (e->cls->destroy) e->cls->destroy(e);
    free(e);
}

static int known_param(const ml_estimator_class *c, const char *name)
{
    for (int i = 0; c->params && c->params[i]; i++)
        if (strcmp(c->params[i], name) == 0) return 1;
    return 0;
}

static ml_status unknown_param(const ml_estimator *e, const char *name)
{
    char known[512] = "";
    size_t off = 0;
    for (int i = 0; e->cls->params && e->cls->params[i] && off < sizeof known; i++) {
        int w = snprintf(known + off, sizeof known - off, "%s%s", i ? ", " : "", e->cls->params[i]);
        if (w < 0) break;
        off += (size_t)w;
    }
    return ml_fail(ML_EINVAL, "%s: unknown parameter '%s' (known: %s)", e->cls->name, name, known);
}

static const ml_param_spec *find_spec(const ml_estimator_class *c, const char *name)
{
    for (const ml_param_spec *s = c->param_specs; s && s->name; s++)
        if (strcmp(s->name, name) == 0) return s;
    return NULL;
}

static ml_status spec_set(ml_estimator *e, const ml_param_spec *s, const ml_value *v)
{
    char *field = (char *)e + s->offset;
    double x;
    ml_status st;
    switch (s->kind) {
    case ML_PARAM_INT:
    case ML_PARAM_INT64:
        if ((st = ml_param_number(e, s->name, v, s->lo, s->hi, 1, &x))) return st;
        if (s->kind == ML_PARAM_INT) *(int *)(void *)field = (int)x;
        else *(int64_t *)(void *)field = (int64_t)x;
        return ML_OK;
    case ML_PARAM_REAL:
        if ((st = ml_param_number(e, s->name, v, (s->flags & ML_PARAM_ABOVE_LO) ? -INFINITY : s->lo, s->hi, 0, &x)))
            return st;
        if ((s->flags & ML_PARAM_ABOVE_LO) && !(x > s->lo))
            return ml_fail(ML_EINVAL, "%s: %s must be > %g, got %g", e->cls->name, s->name, s->lo, x);
        *(double *)(void *)field = x;
        return ML_OK;
    case ML_PARAM_BOOL:
        if (v->kind != ML_VAL_BOOL && v->kind != ML_VAL_NUM)
            return ml_fail(ML_EINVAL, "%s: %s must be a boolean", e->cls->name, s->name);
        *(int *)(void *)field = v->num != 0;
        return ML_OK;
    case ML_PARAM_CHOICE: return ml_param_choice(e, s->name, v, s->choices, (int *)(void *)field);
    case ML_PARAM_SEED:
        if (v->kind == ML_VAL_NONE) {
            *(uint64_t *)(void *)field = 0;
            return ML_OK;
        }
        if ((st = ml_param_number(e, s->name, v, 0, 9007199254740992.0, 1, &x))) return st;
        *(uint64_t *)(void *)field = (uint64_t)x;
        return ML_OK;
    }
    return ml_fail(ML_EINVAL, "%s: parameter '%s' has an unknown kind", e->cls->name, s->name);
}

static ml_value spec_get(const ml_estimator *e, const ml_param_spec *s)
{
    const char *field = (const char *)e + s->offset;
    switch (s->kind) {
    case ML_PARAM_INT: return ml_num(*(const int *)(const void *)field);
    case ML_PARAM_INT64: return ml_num((double)*(const int64_t *)(const void *)field);
    case ML_PARAM_REAL: return ml_num(*(const double *)(const void *)field);
    case ML_PARAM_BOOL: return ml_bool(*(const int *)(const void *)field);
    case ML_PARAM_CHOICE: return ml_str(s->choices[*(const int *)(const void *)field]);
    case ML_PARAM_SEED: return ml_num((double)*(const uint64_t *)(const void *)field);
    }
    return ml_none();
}

/* The class's parameter by name, from its table or its own functions; the
 * name is known to be one of the class's (or "step__param"). */
static ml_status class_set(ml_estimator *e, const char *name, const ml_value *v)
{
    const ml_param_spec *s = find_spec(e->cls, name);
    if (s) return spec_set(e, s, v);
    if (!e->cls->set_param) return unknown_param(e, name);
    return e->cls->set_param(e, name, v);
}

static ml_status class_get(const ml_estimator *e, const char *name, ml_value *v)
{
    const ml_param_spec *s = find_spec(e->cls, name);
    if (s) {
        *v = spec_get(e, s);
        return ML_OK;
    }
    if (!e->cls->get_param) return unknown_param(e, name);
    return e->cls->get_param(e, name, v);
}

ml_status ml_estimator_set_param(ml_estimator *e, const char *name, const ml_value *v)
{
    /* Meta-estimators (Pipeline) route "step__param" themselves. */
    if (!known_param(e->cls, name) && !strstr(name, "__")) return unknown_param(e, name);
    return class_set(e, name, v);
}

ml_status ml_estimator_get_param(const ml_estimator *e, const char *name, ml_value *v)
{
    if (!known_param(e->cls, name) && !strstr(name, "__")) return unknown_param(e, name);
    return class_get(e, name, v);
}

ml_estimator *ml_estimator_clone(const ml_estimator *e)
{
    if (e->cls->clone) return e->cls->clone(e);
    ml_estimator *c = ml_estimator_new(e->cls);
    if (!c) return NULL;
    for (int i = 0; e->cls->params && e->cls->params[i]; i++) {
        ml_value v;
        if (class_get(e, e->cls->params[i], &v) || class_set(c, e->cls->params[i], &v)) {
            if (v.kind == ML_VAL_TENSOR) ml_tensor_free(v.tensor);
            ml_estimator_free(c);
            return NULL;
        }
        if (v.kind == ML_VAL_TENSOR) ml_tensor_free(v.tensor);
    }
    return c;
}

void ml_estimator_repr(const ml_estimator *e, char *buf, size_t n)
{
    size_t off = 0;
    int w = snprintf(buf, n, "%s(", e->cls->name);
    off = w > 0 ? (size_t)w : 0;
    int first = 1;
    for (int i = 0; e->cls->params && e->cls->params[i] && off < n; i++) {
        ml_value v;
        if (class_get(e, e->cls->params[i], &v)) continue;
        const char *sep = first ? "" : ", ";
        first = 0;
        switch (v.kind) {
        case ML_VAL_NONE: w = snprintf(buf + off, n - off, "%s%s=None", sep, e->cls->params[i]); break;
        case ML_VAL_NUM: w = snprintf(buf + off, n - off, "%s%s=%g", sep, e->cls->params[i], v.num); break;
        case ML_VAL_BOOL:
            w = snprintf(buf + off, n - off, "%s%s=%s", sep, e->cls->params[i], v.num ? "true" : "false");
            break;
        case ML_VAL_STR: w = snprintf(buf + off, n - off, "%s%s='%s'", sep, e->cls->params[i], v.str); break;
        case ML_VAL_TENSOR:
            ml_tensor_free(v.tensor);
            w = snprintf(buf + off, n - off, "%s%s=<tensor>", sep, e->cls->params[i]);
            break;
        }
        if (w < 0) break;
        off += (size_t)w;
    }
    if (off < n) snprintf(buf + off, n - off, ")");
}

ml_status ml_estimator_fail_nonfinite(const ml_estimator *e)
{
    return ml_fail(ML_EINVAL, "%s: X contains NaN or infinite values", e->cls->name);
}

/* X as rows x features, checked; returns a new view the caller frees. */
static ml_tensor *check_X(const ml_estimator *e, const ml_tensor *X, int fitting)
{
    if (!X) {
        ml_fail(ML_EINVAL, "%s: X is missing", e->cls->name);
        return NULL;
    }
    if (X->shape[0] == 0) {
        ml_fail(ML_EINVAL, "%s: X has no rows", e->cls->name);
        return NULL;
    }
    ml_tensor *v = ml_tensor_flatten_rows(X);
    if (!v) return NULL;
    if (!fitting && v->shape[1] != e->n_features_in) {
        ml_fail(ML_EINVAL, "%s: X has %lld features, but the model was fitted with %lld", e->cls->name,
                (long long)v->shape[1], (long long)e->n_features_in);
        ml_tensor_free(v);
        return NULL;
    }
    if (!(fitting && e->cls->fit_checks_finite) && ml_tensor_has_nonfinite(v)) {
        ml_estimator_fail_nonfinite(e);
        ml_tensor_free(v);
        return NULL;
    }
    return v;
}

ml_status ml_estimator_fit(ml_estimator *e, const ml_tensor *X, const ml_tensor *y, const ml_progress *p)
{
    ml_tensor *Xv = check_X(e, X, 1);
    if (!Xv) return ML_EINVAL;
    int nc = 0;
    if (e->cls->type == ML_CLASSIFIER || (y && e->cls->type != ML_TRANSFORMER && e->cls->type != ML_CLUSTERER)) {
        if (!y) {
            ml_tensor_free(Xv);
            return ml_fail(ML_EINVAL, "%s: fit needs the labels y", e->cls->name);
        }
    }
    if (y) {
        if (ml_tensor_numel(y) != Xv->shape[0]) {
            ml_status st = ml_fail(ML_EINVAL, "%s: X has %lld rows but y has %lld labels", e->cls->name,
                                   (long long)Xv->shape[0], (long long)ml_tensor_numel(y));
            ml_tensor_free(Xv);
            return st;
        }
        if (e->cls->type == ML_CLASSIFIER) {
            char what[96];
            snprintf(what, sizeof what, "%s: y", e->cls->name);
            ml_status st = ml_check_labels(y, what, &nc);
            if (st) {
                ml_tensor_free(Xv);
                return st;
            }
        }
    }
    if (e->fitted && e->cls->reset) e->cls->reset(e);
    e->fitted = 0;
    e->warning[0] = 0;
    e->n_features_in = Xv->shape[1];
    e->n_classes = nc;
    ml_status st = e->cls->fit(e, Xv, y, p);
    ml_tensor_free(Xv);
    if (st == ML_OK) e->fitted = 1;
    return st;
}

typedef ml_status (*apply_fn)(const ml_estimator *, const ml_tensor *, ml_tensor **);

static ml_status apply(const ml_estimator *e, apply_fn fn, const char *what, const ml_tensor *X, ml_tensor **out)
{
    *out = NULL;
    if (!fn) return ml_fail(ML_EINVAL, "%s: has no %s", e->cls->name, what);
    if (!e->fitted) return ml_fail(ML_ESTATE, "%s: %s before fit: call fit first", e->cls->name, what);
    ml_tensor *Xv = check_X(e, X, 0);
    if (!Xv) return ML_EINVAL;
    ml_status st = fn(e, Xv, out);
    ml_tensor_free(Xv);
    return st;
}

ml_status ml_estimator_predict(const ml_estimator *e, const ml_tensor *X, ml_tensor **out)
{
    return apply(e, e->cls->predict, "predict", X, out);
}

ml_status ml_estimator_predict_proba(const ml_estimator *e, const ml_tensor *X, ml_tensor **out)
{
    return apply(e, e->cls->predict_proba, "predict_proba", X, out);
}

ml_status ml_estimator_decision_function(const ml_estimator *e, const ml_tensor *X, ml_tensor **out)
{
    return apply(e, e->cls->decision_function, "decision_function", X, out);
}

ml_status ml_estimator_transform(const ml_estimator *e, const ml_tensor *X, ml_tensor **out)
{
    return apply(e, e->cls->transform, "transform", X, out);
}

ml_status ml_estimator_inverse_transform(const ml_estimator *e, const ml_tensor *X, ml_tensor **out)
{
    *out = NULL;
    if (!e->cls->inverse_transform) return ml_fail(ML_EINVAL, "%s: has no inverse_transform", e->cls->name);
    if (!e->fitted) return ml_fail(ML_ESTATE, "%s: inverse_transform before fit: call fit first", e->cls->name);
    ml_tensor *Xv = ml_tensor_flatten_rows(X);
    if (!Xv) return ML_EINVAL;
    ml_status st = e->cls->inverse_transform(e, Xv, out);
    ml_tensor_free(Xv);
    return st;
}

ml_status ml_estimator_score(const ml_estimator *e, const ml_tensor *X, const ml_tensor *y, double *score)
{
    if (e->cls->type != ML_CLASSIFIER) return ml_fail(ML_EINVAL, "%s: score is for classifiers", e->cls->name);
    if (!y || ml_tensor_numel(y) != X->shape[0])
        return ml_fail(ML_EINVAL, "%s: score needs one label per row of X", e->cls->name);
    ml_tensor *pred;
    ml_status st = ml_estimator_predict(e, X, &pred);
    if (st) return st;
    int64_t n = ml_tensor_numel(y);
    *score = (double)ml_tensor_count_equal(pred, y) / (double)n;
    ml_tensor_free(pred);
    return ML_OK;
}

ml_status ml_estimator_get_attr(const ml_estimator *e, const char *name, ml_value *v)
{
    memset(v, 0, sizeof *v);
    if (strcmp(name, "n_features_in") == 0 && e->fitted) {
        *v = ml_num((double)e->n_features_in);
        return ML_OK;
    }
    if (strcmp(name, "warning") == 0) {
        *v = e->warning[0] ? ml_str(e->warning) : ml_none();
        return ML_OK;
    }
    int known = 0;
    for (int i = 0; e->cls->attrs && e->cls->attrs[i]; i++)
        if (strcmp(e->cls->attrs[i], name) == 0) known = 1;
    if (!known || !e->cls->get_attr) return ml_fail(ML_EINVAL, "%s: no attribute '%s'", e->cls->name, name);
    if (!e->fitted) return ml_fail(ML_ESTATE, "%s: '%s' is known only after fit", e->cls->name, name);
    return e->cls->get_attr(e, name, v);
}

/* ---- files: kind "estimator", sections "class", "param.<name>", "n_features_in",
 * "n_classes", then the class's own ---- */

/* The longest string parameter a file holds (a pipeline's "steps" is at most
 * 2 KB); saving refuses longer ones, so that whatever is saved loads. */
#define ML_PARAM_STR_MAX 65536

static ml_status save_param(ml_mfile_w *w, const char *name, const ml_value *v)
{
    char key[128];
    snprintf(key, sizeof key, "param.%s", name);
    unsigned char tag = (unsigned char)v->kind;
    unsigned char buf[1 + 8];
    switch (v->kind) {
    case ML_VAL_NONE: return ml_mfile_put(w, key, &tag, 1);
    case ML_VAL_NUM:
    case ML_VAL_BOOL: {
        buf[0] = tag;
        uint64_t u;
        memcpy(&u, &v->num, 8);
        for (int i = 0; i < 8; i++) buf[1 + i] = (unsigned char)(u >> (8 * i));
        return ml_mfile_put(w, key, buf, 9);
    }
    case ML_VAL_STR: {
        size_t n = strlen(v->str);
        if (n > ML_PARAM_STR_MAX)
            return ml_fail(ML_EINVAL, "parameter '%s' is %zu characters long, more than a model file keeps (%d)", name,
                           n, ML_PARAM_STR_MAX);
        unsigned char *s = malloc(n + 1);
        if (!s) return ml_fail(ML_ENOMEM, "out of memory");
        s[0] = tag;
        memcpy(s + 1, v->str, n);
        ml_status st = ml_mfile_put(w, key, s, n + 1);
        free(s);
        return st;
    }
    case ML_VAL_TENSOR: {
        snprintf(key, sizeof key, "tparam.%s", name);
        return ml_mfile_put_tensor(w, key, v->tensor);
    }
    }
    return ML_OK;
}

ml_status ml_estimator_save(const ml_estimator *e, const char *path)
{
    if (!e->fitted) return ml_fail(ML_ESTATE, "%s: save before fit: there is nothing to save yet", e->cls->name);
    if (!e->cls->save) return ml_fail(ML_EINVAL, "%s: cannot be saved", e->cls->name);
    ml_mfile_w *w;
    ml_status st = ml_mfile_create(&w, path, "estimator");
    if (st) return st;
    st = ml_mfile_put_str(w, "class", e->cls->name);
    for (int i = 0; !st && e->cls->params && e->cls->params[i]; i++) {
        ml_value v;
        st = class_get(e, e->cls->params[i], &v);
        if (!st) st = save_param(w, e->cls->params[i], &v);
        if (v.kind == ML_VAL_TENSOR) ml_tensor_free(v.tensor);
    }
    if (!st) st = ml_mfile_put_i64(w, "n_features_in", e->n_features_in);
    if (!st) st = ml_mfile_put_i64(w, "n_classes", e->n_classes);
    if (!st) st = e->cls->save(e, w);
    if (st) {
        ml_mfile_abort(w);
        return st;
    }
    return ml_mfile_commit(w);
}

const ml_estimator_class *ml_estimator_find(const char *name)
{
    const ml_estimator_class *const *c = ml_estimator_classes();
    for (int i = 0; c[i]; i++)
        if (strcmp(c[i]->name, name) == 0) return c[i];
    return NULL;
}

ml_status ml_estimator_load(const char *path, ml_estimator **out)
{
    *out = NULL;
    ml_mfile *r;
    ml_status st = ml_mfile_open(&r, path, "estimator");
    if (st) return st;
    char cname[64];
    if ((st = ml_mfile_get_str(r, "class", cname, sizeof cname))) goto done;
    const ml_estimator_class *cls = ml_estimator_find(cname);
    for (char *c = cname; *c; c++) /* quoted in the message: one line, no terminal controls */
        if ((unsigned char)*c < 0x20 || *c == 0x7f) *c = '?';
    if (!cls || !cls->load) {
        st = ml_fail(ML_EFORMAT, "%s: holds a %s, which this mnistlab cannot load", path, cname);
        goto done;
    }
    ml_estimator *e = ml_estimator_new(cls);
    if (!e) {
        st = ML_ENOMEM;
        goto done;
    }
    for (int i = 0; !st && cls->params && cls->params[i]; i++) {
        char key[128];
        snprintf(key, sizeof key, "param.%s", cls->params[i]);
        size_t n;
        const unsigned char *d = ml_mfile_get(r, key, &n);
        ml_value v = ml_none();
        char *sbuf = NULL; /* a string parameter's text */
        if (!d) {
            snprintf(key, sizeof key, "tparam.%s", cls->params[i]);
            if (!ml_mfile_get(r, key, NULL)) continue; /* a parameter newer than the file: keep the default */
            ml_tensor *t;
            if ((st = ml_mfile_get_tensor(r, key, &t))) break;
            v.kind = ML_VAL_TENSOR;
            v.tensor = t;
        } else if (n >= 1 && d[0] == ML_VAL_NONE) {
        } else if (n == 9 && (d[0] == ML_VAL_NUM || d[0] == ML_VAL_BOOL)) {
            uint64_t u = 0;
            for (int k = 0; k < 8; k++) u |= (uint64_t)d[1 + k] << (8 * k);
            v.kind = d[0];
            memcpy(&v.num, &u, 8);
        } else if (n >= 1 && d[0] == ML_VAL_STR && n - 1 <= ML_PARAM_STR_MAX) {
            /* as long as it was written: a pipeline's "steps" is the
             * description of every step, and may run to kilobytes */
            if (!(sbuf = malloc(n))) {
                st = ml_fail(ML_ENOMEM, "%s: out of memory", path);
                break;
            }
            memcpy(sbuf, d + 1, n - 1);
            sbuf[n - 1] = 0;
            for (char *c = sbuf; *c; c++) /* may be quoted in a message: one line */
                if ((unsigned char)*c < 0x20 || *c == 0x7f) *c = '?';
            v.kind = ML_VAL_STR;
            v.str = sbuf;
        } else {
            st = ml_fail(ML_EFORMAT, "%s: parameter '%s' is malformed", path, cls->params[i]);
            break;
        }
        st = class_set(e, cls->params[i], &v);
        if (v.kind == ML_VAL_TENSOR) ml_tensor_free(v.tensor);
        free(sbuf);
        if (st) ml_fail_prefix(st, path);
    }
    int64_t nf = 0, nc = 0;
    if (!st) st = ml_mfile_get_i64(r, "n_features_in", &nf);
    if (!st) st = ml_mfile_get_i64(r, "n_classes", &nc);
    if (!st && (nf < 1 || nf > ((int64_t)1 << 31) || nc < 0 || nc > 65536))
        st = ml_fail(ML_EFORMAT, "%s: implausible feature or class count", path);
    if (!st) {
        e->n_features_in = nf;
        e->n_classes = (int)nc;
        st = cls->load(e, r);
    }
    if (st) {
        ml_estimator_free(e);
        goto done;
    }
    e->fitted = 1;
    *out = e;
done:
    ml_mfile_close(r);
    return st;
}

/* ---- parameter helpers ---- */

ml_status ml_param_number(const ml_estimator *e, const char *name, const ml_value *v, double lo, double hi,
                          int integer, double *out)
{
    if (v->kind != ML_VAL_NUM && v->kind != ML_VAL_BOOL)
        return ml_fail(ML_EINVAL, "%s: %s must be a number", e->cls->name, name);
    double x = v->num;
    if (!isfinite(x)) return ml_fail(ML_EINVAL, "%s: %s must be finite, got %g", e->cls->name, name, x);
    if (integer && x != floor(x)) return ml_fail(ML_EINVAL, "%s: %s must be an integer, got %g", e->cls->name, name, x);
    if (x < lo || x > hi) {
        if (hi >= 1e300) return ml_fail(ML_EINVAL, "%s: %s must be >= %g, got %g", e->cls->name, name, lo, x);
        return ml_fail(ML_EINVAL, "%s: %s must be in [%g, %g], got %g", e->cls->name, name, lo, hi, x);
    }
    *out = x;
    return ML_OK;
}

ml_status ml_param_choice(const ml_estimator *e, const char *name, const ml_value *v, const char *const *choices,
                          int *out)
{
    char list[256] = "";
    size_t off = 0;
    for (int i = 0; choices[i]; i++) {
        if (v->kind == ML_VAL_STR && strcmp(v->str, choices[i]) == 0) {
            *out = i;
            return ML_OK;
        }
        int w = snprintf(list + off, sizeof list - off, "%s\"%s\"", i ? ", " : "", choices[i]);
        if (w > 0 && (size_t)w < sizeof list - off) off += (size_t)w;
    }
    if (v->kind != ML_VAL_STR) return ml_fail(ML_EINVAL, "%s: %s must be one of %s", e->cls->name, name, list);
    return ml_fail(ML_EINVAL, "%s: %s = \"%s\" is not one of %s", e->cls->name, name, v->str, list);
}
