/* mnistlab nn: Keras's summary text, and saving/loading a network. */
#include "nn/nn_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/modelfile.h"
#include "core/strbuf.h"

/* ---------------------------------------------------------------- summary */

static void mem_str(char *buf, size_t n, int64_t bytes)
{
    static const char *const units[] = {"Byte", "KB", "MB", "GB"};
    double v = (double)bytes;
    int u = 0;
    while (v >= 1024 && u < 3) v /= 1024, u++;
    snprintf(buf, n, "%.2f %s", v, units[u]);
}

char *ml_nn_summary(const ml_nn *net, const char *title)
{
    ml_strbuf b = {0};
    const char *rule = "_________________________________________________________________";
    const char *dbl = "=================================================================";
    ml_strbuf_printf(&b, "Model: \"%s\"\n%s\n", title ? title : "sequential", rule);
    ml_strbuf_printf(&b, " %-28s%-26s%-10s\n%s\n", "Layer (type)", "Output Shape", "Param #", dbl);
    for (int i = 0; i < net->n; i++) {
        const nn_layer *l = &net->L[i];
        char name[128], shape[96];
        snprintf(name, sizeof name, "%s (%s)", l->s.name, ml_nn_kind_name(l->s.kind));
        nn_fmt_shape(shape, sizeof shape, l->out_nd, l->out);
        long long np = (long long)(l->w_n + l->b_n + l->st_n);
        /* Keras wraps a long "name (Type)" over lines of 27 characters. */
        size_t len = strlen(name);
        ml_strbuf_printf(&b, " %-27.27s %-25s %-10lld\n", name, shape, np);
        for (size_t off = 27; off < len; off += 27) ml_strbuf_printf(&b, " %-27.27s\n", name + off);
        ml_strbuf_printf(&b, "%s\n", i + 1 < net->n ? "" : dbl);
    }
    int64_t tot = net->np + net->ns;
    char m1[32], m2[32], m3[32];
    mem_str(m1, sizeof m1, tot * 4);
    mem_str(m2, sizeof m2, net->np * 4);
    mem_str(m3, sizeof m3, net->ns * 4);
    ml_strbuf_printf(&b, "Total params: %lld (%s)\nTrainable params: %lld (%s)\nNon-trainable params: %lld (%s)\n%s\n",
              (long long)tot, m1, (long long)net->np, m2, (long long)net->ns, m3, rule);
    if (b.failed) {
        free(b.s);
        ml_fail(ML_ENOMEM, "summary: out of memory");
        return NULL;
    }
    return b.s;
}

/* ---------------------------------------------------------------- files */

#define NN_KIND "mnistlab.nn"
#define NN_FORMAT 1

static void spec_line(ml_strbuf *b, const ml_nn_spec *s)
{
    ml_strbuf_printf(b, "%d %s %d %d %d %d %d %d %d %d %d %d %.9g %.9g %.9g %.9g %d %lld %lld %lld\n", (int)s->kind,
              s->name[0] ? s->name : "-", s->units, s->kernel[0], s->kernel[1], s->strides[0], s->strides[1],
              s->same, s->pool[0], s->pool[1], (int)s->act, s->use_bias, (double)s->rate, (double)s->l2,
              (double)s->momentum, (double)s->eps, s->ndim, (long long)s->shape[0], (long long)s->shape[1],
              (long long)s->shape[2]);
}

static int spec_parse(const char *line, ml_nn_spec *s)
{
    int kind, act;
    double rate, l2, mom, eps;
    long long sh[3];
    char name[64];
    memset(s, 0, sizeof *s);
    int k = sscanf(line, "%d %47s %d %d %d %d %d %d %d %d %d %d %lg %lg %lg %lg %d %lld %lld %lld", &kind, name,
                   &s->units, &s->kernel[0], &s->kernel[1], &s->strides[0], &s->strides[1], &s->same, &s->pool[0],
                   &s->pool[1], &act, &s->use_bias, &rate, &l2, &mom, &eps, &s->ndim, &sh[0], &sh[1], &sh[2]);
    if (k != 20 || kind < 0 || kind > ML_NN_ACTIVATION || act < 0 || act > ML_ACT_SOFTMAX || s->ndim < 1 ||
        s->ndim > 3)
        return -1;
    s->kind = (ml_nn_kind)kind;
    s->act = (ml_nn_act)act;
    s->rate = (float)rate, s->l2 = (float)l2, s->momentum = (float)mom, s->eps = (float)eps;
    for (int i = 0; i < 3; i++) s->shape[i] = sh[i];
    if (strcmp(name, "-") != 0) snprintf(s->name, sizeof s->name, "%.47s", name);
    return 0;
}

ml_status ml_nn_save(const ml_nn *net, const char *path)
{
    ml_strbuf arch = {0};
    spec_line(&arch, &net->input);
    for (int i = 0; i < net->n; i++) spec_line(&arch, &net->L[i].s);
    ml_strbuf comp = {0};
    const ml_nn_optimizer *o = &net->opt;
    ml_strbuf_printf(&comp, "%d %d %d %.17g %.17g %d %.17g %.17g %.17g %.17g %lld\n", net->compiled, net->from_logits,
              (int)o->kind, o->learning_rate, o->momentum, o->nesterov, o->beta_1, o->beta_2, o->rho, o->epsilon,
              (long long)net->t);
    if (arch.failed || comp.failed) {
        free(arch.s), free(comp.s);
        return ml_fail(ML_ENOMEM, "%s: out of memory", path);
    }
    ml_mfile_w *w = NULL;
    ml_status st = ml_mfile_create(&w, path, NN_KIND);
    if (!st) st = ml_mfile_put_i64(w, "format", NN_FORMAT);
    if (!st) st = ml_mfile_put_str(w, "arch", arch.s);
    if (!st) st = ml_mfile_put_str(w, "compile", comp.s);
    if (!st) st = ml_mfile_put(w, "params", net->params, sizeof(float) * (size_t)net->np);
    if (!st) st = ml_mfile_put(w, "state", net->state, sizeof(float) * (size_t)net->ns);
    if (!st && net->compiled && net->m) {
        st = ml_mfile_put(w, "opt_m", net->m, sizeof(float) * (size_t)net->np);
        if (!st) st = ml_mfile_put(w, "opt_v", net->v, sizeof(float) * (size_t)net->np);
    }
    free(arch.s), free(comp.s);
    if (st) {
        if (w) ml_mfile_abort(w);
        return st;
    }
    return ml_mfile_commit(w);
}

static ml_status bad(const char *path, const char *what)
{
    return ml_fail(ML_EFORMAT, "%s: not a valid network file (%s)", path, what);
}

ml_status ml_nn_load(ml_nn **out, const char *path)
{
    *out = NULL;
    ml_mfile *r = NULL;
    ml_status st = ml_mfile_open(&r, path, NN_KIND);
    if (st) return st;
    int64_t fmt = 0;
    size_t na = 0, nc = 0, np = 0, ns = 0;
    const char *arch = ml_mfile_get(r, "arch", &na);
    const char *comp = ml_mfile_get(r, "compile", &nc);
    const void *params = ml_mfile_get(r, "params", &np);
    const void *state = ml_mfile_get(r, "state", &ns);
    if ((st = ml_mfile_get_i64(r, "format", &fmt))) goto done;
    if (fmt != NN_FORMAT) {
        st = ml_fail(ML_EFORMAT, "%s: network format %lld is not supported (this version reads %d)", path,
                     (long long)fmt, NN_FORMAT);
        goto done;
    }
    if (!arch || !comp || !params || !state) {
        st = bad(path, "a section is missing");
        goto done;
    }
    /* copy the text (it need not be NUL-terminated) and parse one spec per line */
    char *text = malloc(na + 1);
    ml_nn_spec *specs = malloc(sizeof *specs * (na / 20 + 2));
    if (!text || !specs) {
        free(text), free(specs);
        st = ml_fail(ML_ENOMEM, "%s: out of memory", path);
        goto done;
    }
    memcpy(text, arch, na);
    text[na] = 0;
    int n = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (spec_parse(line, &specs[n])) {
            free(text), free(specs);
            st = bad(path, "a layer record is malformed");
            goto done;
        }
        n++;
    }
    free(text);
    ml_nn *net = NULL;
    if (np % sizeof(float) || ns % sizeof(float)) {
        free(specs);
        st = bad(path, "the weights do not match the layers");
        goto done;
    }
    st = nn_create(&net, specs, n, 0, (int64_t)(np / sizeof(float)), (int64_t)(ns / sizeof(float)));
    free(specs);
    if (st) {
        st = ml_fail_prefix(ML_EFORMAT, path);
        goto done;
    }
    if (np != sizeof(float) * (size_t)net->np || ns != sizeof(float) * (size_t)net->ns) {
        ml_nn_free(net);
        st = bad(path, "the weights do not match the layers");
        goto done;
    }
    memcpy(net->params, params, np);
    memcpy(net->state, state, ns);
    char cbuf[512];
    size_t k = nc < sizeof cbuf - 1 ? nc : sizeof cbuf - 1;
    memcpy(cbuf, comp, k);
    cbuf[k] = 0;
    int compiled, from_logits, kind, nesterov;
    long long t;
    ml_nn_optimizer o;
    ml_nn_optimizer_init(&o, ML_OPT_ADAM);
    if (sscanf(cbuf, "%d %d %d %lg %lg %d %lg %lg %lg %lg %lld", &compiled, &from_logits, &kind, &o.learning_rate,
               &o.momentum, &nesterov, &o.beta_1, &o.beta_2, &o.rho, &o.epsilon, &t) != 11 ||
        kind < 0 || kind > ML_OPT_RMSPROP) {
        ml_nn_free(net);
        st = bad(path, "the compile record is malformed");
        goto done;
    }
    o.kind = (ml_nn_opt_kind)kind;
    o.nesterov = nesterov;
    if (compiled) {
        if ((st = ml_nn_compile(net, from_logits, &o))) {
            ml_nn_free(net);
            ml_fail_prefix(ML_EFORMAT, path);
            goto done;
        }
        size_t nm = 0, nv = 0;
        const void *m = ml_mfile_get(r, "opt_m", &nm), *v = ml_mfile_get(r, "opt_v", &nv);
        if (m && v && nm == np && nv == np) {
            memcpy(net->m, m, np);
            memcpy(net->v, v, np);
            net->t = t;
        }
    }
    *out = net;
done:
    ml_mfile_close(r);
    return st;
}
