/* mnistlab models: Pipeline (scikit-learn's), so that PCA then SVC is one
 * estimator inside cross-validation and grid search (see pipeline.h). */
#include "models/pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

typedef struct pipeline {
    ml_estimator base;
    int n;
    char **names;
    ml_estimator **steps;
    char desc[2048]; /* the "steps" parameter as text, kept current */
} pipeline;

/* One parameter, read-only: "steps", the steps as text (for printing). */
static const char *const pipe_params[] = {"steps", NULL};

static void describe(pipeline *p)
{
    size_t o = 0;
    p->desc[0] = 0;
    for (int i = 0; i < p->n && o < sizeof p->desc; i++) {
        char r[1024];
        ml_estimator_repr(p->steps[i], r, sizeof r);
        int w = snprintf(p->desc + o, sizeof p->desc - o, "%s%s: %s", i ? ", " : "", p->names[i], r);
        if (w < 0) break;
        o += (size_t)w;
    }
}
static const char *const pipe_attrs[] = {"n_steps", NULL};

static void pipe_destroy(ml_estimator *e)
{
    pipeline *p = (pipeline *)e;
    for (int i = 0; i < p->n; i++) {
        free(p->names[i]);
        ml_estimator_free(p->steps[i]);
    }
    free(p->names);
    free(p->steps);
    p->names = NULL;
    p->steps = NULL;
    p->n = 0;
}

static int valid_name(const char *s)
{
    if (!s || !*s || strstr(s, "__")) return 0;
    for (; *s; s++)
        if (!(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
            return 0;
    return 1;
}

ml_status ml_pipeline_new(const char *const *names, ml_estimator **steps, int n, ml_estimator **out)
{
    *out = NULL;
    ml_status st = ML_OK;
    if (n < 1) st = ml_fail(ML_EINVAL, "Pipeline: steps: needs at least one step");
    for (int i = 0; !st && i < n; i++) {
        if (!valid_name(names[i]))
            st = ml_fail(ML_EINVAL, "Pipeline: step %d: name '%s' must be letters, digits and single '_'", i + 1,
                         names[i] ? names[i] : "");
        for (int j = 0; !st && j < i; j++)
            if (!strcmp(names[i], names[j])) st = ml_fail(ML_EINVAL, "Pipeline: step name '%s' is used twice", names[i]);
        if (!st && !steps[i]) st = ml_fail(ML_EINVAL, "Pipeline: step '%s' has no estimator", names[i]);
        if (!st && i < n - 1 && !steps[i]->cls->transform)
            st = ml_fail(ML_EINVAL, "Pipeline: step '%s' (%s) must be a transformer: only the last step may be a "
                         "classifier", names[i], steps[i]->cls->name);
    }
    if (!st && steps[n - 1]->cls->type != ML_CLASSIFIER)
        st = ml_fail(ML_EINVAL, "Pipeline: the last step '%s' (%s) must be a classifier", names[n - 1],
                     steps[n - 1]->cls->name);
    if (st) {
        for (int i = 0; i < n; i++) ml_estimator_free(steps[i]);
        return st;
    }
    pipeline *p = (pipeline *)ml_estimator_new(&ml_pipeline_class);
    if (p) {
        p->names = calloc((size_t)n, sizeof *p->names);
        p->steps = calloc((size_t)n, sizeof *p->steps);
    }
    if (!p || !p->names || !p->steps) {
        for (int i = 0; i < n; i++) ml_estimator_free(steps[i]);
        ml_estimator_free(&p->base);
        return ml_fail(ML_ENOMEM, "Pipeline: out of memory");
    }
    p->n = n;
    for (int i = 0; i < n; i++) {
        p->steps[i] = steps[i];
        p->names[i] = strdup(names[i]);
        if (!p->names[i]) {
            for (int j = i + 1; j < n; j++) ml_estimator_free(steps[j]);
            p->n = i + 1;
            ml_estimator_free(&p->base);
            return ml_fail(ML_ENOMEM, "Pipeline: out of memory");
        }
    }
    describe(p);
    *out = &p->base;
    return ML_OK;
}

int ml_pipeline_n_steps(const ml_estimator *e) { return ((const pipeline *)e)->n; }
const char *ml_pipeline_step_name(const ml_estimator *e, int i) { return ((const pipeline *)e)->names[i]; }
ml_estimator *ml_pipeline_step(const ml_estimator *e, int i) { return ((const pipeline *)e)->steps[i]; }

/* "svc__C" -> the step named svc and "C". */
static ml_status route(const ml_estimator *e, const char *name, ml_estimator **step, const char **rest)
{
    const pipeline *p = (const pipeline *)e;
    const char *sep = strstr(name, "__");
    if (!sep)
        return ml_fail(ML_EINVAL, "Pipeline: parameter '%s' must be written <step>__<parameter>, e.g. %s__%s", name,
                       p->n ? p->names[p->n - 1] : "svc", name);
    size_t len = (size_t)(sep - name);
    for (int i = 0; i < p->n; i++)
        if (strlen(p->names[i]) == len && !strncmp(p->names[i], name, len)) {
            *step = p->steps[i];
            *rest = sep + 2;
            return ML_OK;
        }
    char known[256] = "";
    size_t o = 0;
    for (int i = 0; i < p->n && o < sizeof known; i++) {
        int w = snprintf(known + o, sizeof known - o, "%s%s", i ? ", " : "", p->names[i]);
        if (w > 0) o += (size_t)w;
    }
    return ml_fail(ML_EINVAL, "Pipeline: parameter '%s': no step named '%.*s' (steps: %s)", name, (int)len, name,
                   known);
}

static ml_status pipe_set(ml_estimator *e, const char *name, const ml_value *v)
{
    if (!strcmp(name, "steps")) {
        /* a model file being read sets it before the steps are loaded */
        if (((pipeline *)e)->n == 0) return ML_OK;
        return ml_fail(ML_EINVAL, "Pipeline: steps are given when the pipeline is made; set a step's parameter "
                                  "as <step>__<parameter>");
    }
    ml_estimator *s;
    const char *rest;
    ml_status st = route(e, name, &s, &rest);
    if (st) return st;
    st = ml_estimator_set_param(s, rest, v);
    describe((pipeline *)e);
    return st;
}

static ml_status pipe_get(const ml_estimator *e, const char *name, ml_value *v)
{
    if (!strcmp(name, "steps")) {
        /* desc is a cache: a step's parameters can change behind the
         * pipeline's back (pipe.named_steps.svc.C = 10 in Lua), so it is
         * rebuilt from the steps each time it is read. */
        pipeline *p = (pipeline *)(uintptr_t)e;
        describe(p);
        *v = ml_str(p->desc);
        return ML_OK;
    }
    ml_estimator *s;
    const char *rest;
    ml_status st = route(e, name, &s, &rest);
    if (st) return st;
    return ml_estimator_get_param(s, rest, v);
}

static ml_estimator *pipe_clone(const ml_estimator *e)
{
    const pipeline *p = (const pipeline *)e;
    ml_estimator **steps = calloc((size_t)p->n, sizeof *steps);
    if (!steps) {
        ml_fail(ML_ENOMEM, "Pipeline: out of memory");
        return NULL;
    }
    for (int i = 0; i < p->n; i++)
        if (!(steps[i] = ml_estimator_clone(p->steps[i]))) {
            for (int j = 0; j < i; j++) ml_estimator_free(steps[j]);
            free(steps);
            return NULL;
        }
    ml_estimator *out;
    ml_status st = ml_pipeline_new((const char *const *)p->names, steps, p->n, &out);
    free(steps);
    return st ? NULL : out;
}

/* X through every step but the last; *Xt is a new tensor (or X itself when
 * there is one step: *owned is 0). */
static ml_status through(const pipeline *p, const ml_tensor *X, ml_tensor **Xt, int *owned)
{
    const ml_tensor *cur = X;
    ml_tensor *held = NULL;
    for (int i = 0; i < p->n - 1; i++) {
        ml_tensor *next;
        ml_status st = ml_estimator_transform(p->steps[i], cur, &next);
        ml_tensor_free(held);
        if (st) return ml_fail_prefix(st, p->names[i]);
        cur = held = next;
    }
    *Xt = (ml_tensor *)cur;
    *owned = held != NULL;
    return ML_OK;
}

static ml_status pipe_fit(ml_estimator *e, const ml_tensor *X, const ml_tensor *y, const ml_progress *pr)
{
    pipeline *p = (pipeline *)e;
    const ml_tensor *cur = X;
    ml_tensor *held = NULL;
    ml_status st = ML_OK;
    for (int i = 0; i < p->n && !st; i++) {
        st = ml_estimator_fit(p->steps[i], cur, y, pr);
        if (st) {
            if (st != ML_ECANCELLED) ml_fail_prefix(st, p->names[i]);
            break;
        }
        if (i == p->n - 1) break;
        ml_tensor *next;
        st = ml_estimator_transform(p->steps[i], cur, &next);
        if (st) ml_fail_prefix(st, p->names[i]);
        ml_tensor_free(held);
        cur = held = next;
    }
    ml_tensor_free(held);
    return st;
}

typedef ml_status (*apply_fn)(const ml_estimator *, const ml_tensor *, ml_tensor **);

static ml_status pipe_apply(const ml_estimator *e, const ml_tensor *X, ml_tensor **out, apply_fn fn)
{
    const pipeline *p = (const pipeline *)e;
    ml_tensor *Xt = NULL;
    int owned = 0;
    *out = NULL;
    ml_status st = through(p, X, &Xt, &owned);
    if (st) return st;
    st = fn(p->steps[p->n - 1], Xt, out);
    if (owned) ml_tensor_free(Xt);
    return st;
}

static ml_status pipe_predict(const ml_estimator *e, const ml_tensor *X, ml_tensor **out)
{
    return pipe_apply(e, X, out, ml_estimator_predict);
}

static ml_status pipe_predict_proba(const ml_estimator *e, const ml_tensor *X, ml_tensor **out)
{
    return pipe_apply(e, X, out, ml_estimator_predict_proba);
}

static ml_status pipe_decision(const ml_estimator *e, const ml_tensor *X, ml_tensor **out)
{
    return pipe_apply(e, X, out, ml_estimator_decision_function);
}

static ml_status pipe_attr(const ml_estimator *e, const char *name, ml_value *v)
{
    (void)name;
    *v = ml_num(((const pipeline *)e)->n);
    return ML_OK;
}

/* ---- files: each step is a complete model file of its own, embedded as a
 * section ("step.<i>"), with its name ("name.<i>").  Steps are written
 * through a temporary file next to nothing the user owns (TMPDIR). ---- */

static int tmp_path(char *buf, size_t n)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir) dir = "/tmp";
    snprintf(buf, n, "%s/mnistlab-step-XXXXXX", dir);
    int fd = mkstemp(buf);
    if (fd < 0) return -1;
    close(fd);
    return 0;
}

static ml_status read_all(const char *path, unsigned char **data, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return ml_fail(ML_EIO, "%s: cannot read back a pipeline step", path);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    *data = malloc(len > 0 ? (size_t)len : 1);
    if (!*data || len < 0 || fread(*data, 1, (size_t)len, f) != (size_t)len) {
        fclose(f);
        free(*data);
        *data = NULL;
        return ml_fail(ML_EIO, "%s: cannot read back a pipeline step", path);
    }
    fclose(f);
    *n = (size_t)len;
    return ML_OK;
}

static ml_status pipe_save(const ml_estimator *e, ml_mfile_w *w)
{
    const pipeline *p = (const pipeline *)e;
    ml_status st = ml_mfile_put_i64(w, "pipeline.n", p->n);
    char path[4096] = "";
    if (!st && tmp_path(path, sizeof path)) st = ml_fail(ML_EIO, "Pipeline: cannot create a temporary file");
    for (int i = 0; !st && i < p->n; i++) {
        char key[64];
        snprintf(key, sizeof key, "pipeline.name.%d", i);
        st = ml_mfile_put_str(w, key, p->names[i]);
        if (!st) st = ml_estimator_save(p->steps[i], path);
        unsigned char *data = NULL;
        size_t n = 0;
        if (!st) st = read_all(path, &data, &n);
        snprintf(key, sizeof key, "pipeline.step.%d", i);
        if (!st) st = ml_mfile_put(w, key, data, n);
        free(data);
    }
    if (path[0]) unlink(path);
    return st;
}

static ml_status pipe_load(ml_estimator *e, const ml_mfile *r)
{
    pipeline *p = (pipeline *)e;
    int64_t n;
    ml_status st = ml_mfile_get_i64(r, "pipeline.n", &n);
    if (st) return st;
    if (n < 1 || n > 64) return ml_fail(ML_EFORMAT, "%s: implausible number of pipeline steps", ml_mfile_path(r));
    char **names = calloc((size_t)n, sizeof *names);
    ml_estimator **steps = calloc((size_t)n, sizeof *steps);
    char path[4096] = "";
    if (!names || !steps) st = ml_fail(ML_ENOMEM, "Pipeline: out of memory");
    if (!st && tmp_path(path, sizeof path)) st = ml_fail(ML_EIO, "Pipeline: cannot create a temporary file");
    for (int i = 0; !st && i < n; i++) {
        char key[64], name[128];
        snprintf(key, sizeof key, "pipeline.name.%d", i);
        if ((st = ml_mfile_get_str(r, key, name, sizeof name))) break;
        for (char *c = name; *c; c++) /* quoted in messages: one line */
            if ((unsigned char)*c < 0x20 || *c == 0x7f) *c = '?';
        names[i] = strdup(name);
        snprintf(key, sizeof key, "pipeline.step.%d", i);
        size_t len;
        const void *data = ml_mfile_get(r, key, &len);
        if (!data) {
            st = ml_fail(ML_EFORMAT, "%s: pipeline step %d is missing", ml_mfile_path(r), i + 1);
            break;
        }
        FILE *f = fopen(path, "wb");
        if (!f || fwrite(data, 1, len, f) != len) st = ml_fail(ML_EIO, "%s: cannot write a temporary file", path);
        if (f && fclose(f)) st = ml_fail(ML_EIO, "%s: cannot write a temporary file", path);
        if (!st) st = ml_estimator_load(path, &steps[i]);
        if (st) ml_fail_prefix(st, ml_mfile_path(r));
    }
    if (path[0]) unlink(path);
    if (!st) {
        ml_estimator *tmp;
        st = ml_pipeline_new((const char *const *)names, steps, (int)n, &tmp);
        if (st) ml_fail_prefix(st, ml_mfile_path(r)); /* e.g. a last step that is not a classifier */
        if (!st) {
            /* move the steps into e */
            pipeline *q = (pipeline *)tmp;
            p->n = q->n, p->names = q->names, p->steps = q->steps;
            q->n = 0, q->names = NULL, q->steps = NULL;
            ml_estimator_free(tmp);
            describe(p);
        }
        for (int i = 0; i < n; i++) free(names[i]);
    } else {
        for (int i = 0; names && i < n; i++) free(names[i]);
        for (int i = 0; steps && i < n; i++) ml_estimator_free(steps[i]);
    }
    free(names);
    free(steps);
    return st;
}

const ml_estimator_class ml_pipeline_class = {
    .name = "Pipeline",
    .type = ML_CLASSIFIER,
    .size = sizeof(pipeline),
    .params = pipe_params,
    .attrs = pipe_attrs,
    .destroy = pipe_destroy,
    .set_param = pipe_set,
    .get_param = pipe_get,
    .fit = pipe_fit,
    .predict = pipe_predict,
    .predict_proba = pipe_predict_proba,
    .decision_function = pipe_decision,
    .get_attr = pipe_attr,
    .save = pipe_save,
    .load = pipe_load,
    .clone = pipe_clone,
};
