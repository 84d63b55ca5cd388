/* mnistlab nn: layers, shapes, forward and backward passes, optimisers. */
/* The element-wise loops (bias, activations, pooling, optimiser steps) are
 * written branch-free so that the vectoriser turns them into SIMD code. */
#pragma GCC optimize("O3")
#include "nn/nn_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/blas.h"
#include "core/parallel.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define NN_HAVE_AVX 1
#endif

/* ---------------------------------------------------------------- specs */

void ml_nn_spec_init(ml_nn_spec *s, ml_nn_kind kind)
{
    memset(s, 0, sizeof *s);
    s->kind = kind;
    s->units = 1;
    s->kernel[0] = s->kernel[1] = 3;
    s->strides[0] = s->strides[1] = kind == ML_NN_MAXPOOL2D ? 0 : 1;
    s->pool[0] = s->pool[1] = 2;
    s->act = ML_ACT_LINEAR;
    s->use_bias = 1;
    s->momentum = 0.99f;
    s->eps = 1e-3f;
    s->ndim = 1;
    s->shape[0] = s->shape[1] = s->shape[2] = 1;
}

static const char *const kind_names[] = {"InputLayer", "Dense",   "Conv2D",    "MaxPooling2D",
                                         "Flatten",    "Dropout", "BatchNormalization", "Activation"};
static const char *const kind_snake[] = {"input_layer", "dense",   "conv2d",    "max_pooling2d",
                                         "flatten",     "dropout", "batch_normalization", "activation"};
static const char *const act_names[] = {"linear", "relu", "sigmoid", "tanh", "softmax"};

const char *ml_nn_kind_name(ml_nn_kind k) { return (unsigned)k < 8 ? kind_names[k] : "?"; }
const char *ml_nn_act_name(ml_nn_act a) { return (unsigned)a < 5 ? act_names[a] : "?"; }

ml_status ml_nn_act_parse(const char *s, ml_nn_act *a)
{
    if (!s || !*s || strcmp(s, "None") == 0) {
        *a = ML_ACT_LINEAR;
        return ML_OK;
    }
    for (int i = 0; i < 5; i++)
        if (strcmp(s, act_names[i]) == 0) {
            *a = (ml_nn_act)i;
            return ML_OK;
        }
    return ml_fail(ML_EINVAL, "activation: unknown '%s' (known: linear, relu, sigmoid, tanh, softmax)", s);
}

int nn_fmt_shape(char *buf, size_t n, int nd, const int64_t *shape)
{
    int k = snprintf(buf, n, "(None");
    for (int i = 0; i < nd && k < (int)n; i++) k += snprintf(buf + k, n - (size_t)k, ", %lld", (long long)shape[i]);
    if (k < (int)n) k += snprintf(buf + k, n - (size_t)k, ")");
    return k;
}

/* ---------------------------------------------------------------- build */

static void free_buffers(ml_nn *net)
{
    if (net->blk)
        for (int i = 0; i < net->n; i++) {
            nn_lbuf *b = &net->blk[i];
            free(b->y), free(b->dx), free(b->cols), free(b->mask), free(b->arg), free(b->xhat), free(b->mean),
                free(b->invstd), free(b->sg), free(b->u);
        }
    free(net->blk), free(net->blk_dcols), free(net->blk_gout), free(net->blk_grads), free(net->blk_wtmp);
    net->blk = NULL, net->blk_dcols = net->blk_gout = net->blk_grads = net->blk_wtmp = NULL;
    for (int i = 0; i < net->nws; i++) free(net->ws[i].lb);
    free(net->ws);
    net->ws = NULL;
    net->nws = 0;
    net->ws_rows = 0;
}

void ml_nn_free(ml_nn *net)
{
    if (!net) return;
    free_buffers(net);
    free(net->L), free(net->params), free(net->grads), free(net->state), free(net->m), free(net->v);
    free(net->sh_loss), free(net->sh_correct), free(net->tasks);
    free(net);
}

static ml_status misfit(const nn_layer *l, int nd, const int64_t *shape, const char *expect)
{
    char got[96];
    nn_fmt_shape(got, sizeof got, nd, shape);
    return ml_fail(ML_EINVAL, "%s (%s): input shape %s does not fit: expected %s", l->s.name, kind_names[l->s.kind],
                   got, expect);
}

/* Output size of a window sweep, with Keras's "same" padding. */
static int sweep(int in, int k, int s, int same, int *pad)
{
    if (same) {
        int out = (in + s - 1) / s;
        int tot = (out - 1) * s + k - in;
        *pad = tot > 0 ? tot / 2 : 0;
        return out;
    }
    *pad = 0;
    return in >= k ? (in - k) / s + 1 : 0;
}

static int conv1c_ok(const nn_layer *l);

/* How a convolution runs, and the buffers it needs per sample. */
static void conv_plan(nn_layer *l)
{
    const int64_t F = l->s.units, pix = (int64_t)l->Ho * l->Wo;
    l->th = (l->Ho + 1) / 2, l->tw = (l->Wo + 1) / 2;
    const int64_t tiles = (int64_t)l->th * l->tw;
    if (l->kh == 1 && l->kw == 1 && l->sh == 1 && l->sw == 1 && !l->pad_t && !l->pad_l) {
        l->conv_path = NN_CONV_1X1; /* the input is its own im2col */
        l->cols_row = 0, l->scratch_row = 0;
    } else if (conv1c_ok(l)) {
        l->conv_path = NN_CONV_ONE_CHANNEL;
        l->cols_row = 0, l->scratch_row = pix * l->K;
    } else if (l->kh == 3 && l->kw == 3 && l->sh == 1 && l->sw == 1 && l->C % 8 == 0 && F % 8 == 0 &&
               16 * tiles * 10 <= 9 * pix * 7) {
        /* F(2x2, 3x3) multiplies 16 values per 2x2 tile instead of 36: worth it
         * when the tiles do not overhang the output much */
        l->conv_path = NN_CONV_WINOGRAD;
        l->cols_row = 16 * tiles * l->C, l->scratch_row = 16 * tiles * F;
    } else {
        l->conv_path = NN_CONV_GEMM;
        l->cols_row = pix * l->K, l->scratch_row = pix * l->K;
    }
}

static int pool22(const nn_layer *l);

/* A Winograd or a one-channel 3x3 convolution followed by 2x2 pooling: the
 * convolution pools its own output and never stores it (Winograd: a tile is a
 * pooling window, and only the tiles the pooling reads are computed). */
static void plan_fusion(ml_nn *net)
{
    for (int i = 0; i + 1 < net->n; i++) {
        nn_layer *l = &net->L[i], *p = &net->L[i + 1];
        if (l->s.kind != ML_NN_CONV2D || p->s.kind != ML_NN_MAXPOOL2D || !pool22(p) ||
            (l->s.act != ML_ACT_RELU && l->s.act != ML_ACT_LINEAR))
            continue;
        int one33 = l->conv_path == NN_CONV_ONE_CHANNEL && l->kh == 3 && l->kw == 3 && l->sh == 1 && l->sw == 1 &&
                    !l->pad_t && !l->pad_l;
        if (l->conv_path != NN_CONV_WINOGRAD && !one33) continue;
        l->pool_next = 1, p->pool_prev = 1;
        if (one33) continue;
        l->th = l->Ho / 2, l->tw = l->Wo / 2;
        l->cols_row = 16 * (int64_t)l->th * l->tw * l->C, l->scratch_row = 16 * (int64_t)l->th * l->tw * l->s.units;
    }
}

static ml_status infer(ml_nn *net, nn_layer *l, int nd, const int64_t *in)
{
    l->in_nd = nd;
    int64_t size = 1;
    for (int i = 0; i < nd; i++) l->in[i] = in[i], size *= in[i];
    l->in_size = size;
    const ml_nn_spec *s = &l->s;
    if (s->units > (1 << 24) || s->kernel[0] > 4096 || s->kernel[1] > 4096 || s->pool[0] > 4096 ||
        s->pool[1] > 4096 || s->strides[0] > 4096 || s->strides[1] > 4096 || s->strides[0] < 0 || s->strides[1] < 0)
        return ml_fail(ML_EINVAL, "%s (%s): sizes out of range", s->name, kind_names[s->kind]);
    switch (s->kind) {
    case ML_NN_DENSE:
        if (s->units < 1) return ml_fail(ML_EINVAL, "%s (Dense): units must be >= 1, got %d", s->name, s->units);
        if (nd != 1) return misfit(l, nd, in, "(None, features): add Flatten() before it");
        l->out_nd = 1;
        l->out[0] = s->units;
        l->w_n = size * s->units;
        l->b_n = s->use_bias ? s->units : 0;
        break;
    case ML_NN_CONV2D:
    case ML_NN_MAXPOOL2D: {
        int conv = s->kind == ML_NN_CONV2D;
        if (nd != 3 && nd != 2) return misfit(l, nd, in, "(None, height, width, channels)");
        l->H = (int)in[0], l->W = (int)in[1], l->C = nd == 3 ? (int)in[2] : 1;
        l->kh = conv ? s->kernel[0] : s->pool[0];
        l->kw = conv ? s->kernel[1] : s->pool[1];
        l->sh = s->strides[0] > 0 ? s->strides[0] : l->kh;
        l->sw = s->strides[1] > 0 ? s->strides[1] : l->kw;
        if (l->kh < 1 || l->kw < 1 || l->sh < 1 || l->sw < 1)
            return ml_fail(ML_EINVAL, "%s (%s): %s size and strides must be >= 1", s->name, kind_names[s->kind],
                           conv ? "kernel" : "pool");
        if (conv && s->units < 1)
            return ml_fail(ML_EINVAL, "%s (Conv2D): filters must be >= 1, got %d", s->name, s->units);
        l->Ho = sweep(l->H, l->kh, l->sh, s->same, &l->pad_t);
        l->Wo = sweep(l->W, l->kw, l->sw, s->same, &l->pad_l);
        if (l->Ho < 1 || l->Wo < 1) {
            char e[160];
            snprintf(e, sizeof e, "at least %dx%d pixels for a %dx%d %s with padding \"valid\"", l->kh, l->kw, l->kh,
                     l->kw, conv ? "kernel" : "pool");
            return misfit(l, nd, in, e);
        }
        l->K = (int64_t)l->kh * l->kw * l->C;
        l->out_nd = 3;
        l->out[0] = l->Ho, l->out[1] = l->Wo, l->out[2] = conv ? s->units : l->C;
        if (conv) {
            l->w_n = l->K * s->units;
            l->b_n = s->use_bias ? s->units : 0;
            conv_plan(l);
        }
        break;
    }
    case ML_NN_FLATTEN:
        l->out_nd = 1;
        l->out[0] = size;
        break;
    case ML_NN_DROPOUT:
        if (!(s->rate >= 0 && s->rate < 1))
            return ml_fail(ML_EINVAL, "%s (Dropout): rate must be in [0, 1), got %g", s->name, s->rate);
        /* fall through */
    case ML_NN_ACTIVATION:
        l->out_nd = nd;
        memcpy(l->out, in, sizeof l->out);
        break;
    case ML_NN_BATCHNORM:
        if (!(s->eps > 0)) return ml_fail(ML_EINVAL, "%s (BatchNormalization): epsilon must be > 0", s->name);
        l->out_nd = nd;
        memcpy(l->out, in, sizeof l->out);
        l->C = (int)in[nd - 1];
        l->w_n = l->b_n = l->C;
        l->st_n = 2 * (int64_t)l->C;
        break;
    default:
        return ml_fail(ML_EINVAL, "%s: an Input may only come first", s->name);
    }
    if (s->l2 < 0) return ml_fail(ML_EINVAL, "%s: the L2 penalty must be >= 0, got %g", s->name, s->l2);
    l->out_size = 1;
    for (int i = 0; i < l->out_nd; i++) l->out_size *= l->out[i];
    if (l->out_size > ((int64_t)1 << 28) || l->w_n > ((int64_t)1 << 31) || net->np + l->w_n + l->b_n > ((int64_t)1 << 31))
        return ml_fail(ML_EINVAL, "%s (%s): too large (%lld outputs per sample, %lld weights)", s->name,
                       kind_names[s->kind], (long long)l->out_size, (long long)l->w_n);
    l->w_off = net->np;
    l->b_off = net->np + l->w_n;
    net->np += l->w_n + l->b_n;
    l->st_off = net->ns;
    net->ns += l->st_n;
    return ML_OK;
}

static void init_weights(ml_nn *net, uint64_t seed)
{
    for (int i = 0; i < net->n; i++) {
        nn_layer *l = &net->L[i];
        float *w = net->params + l->w_off, *b = net->params + l->b_off;
        if (l->s.kind == ML_NN_BATCHNORM) {
            for (int c = 0; c < l->C; c++) w[c] = 1, b[c] = 0;
            float *st = net->state + l->st_off;
            for (int c = 0; c < l->C; c++) st[c] = 0, st[l->C + c] = 1;
            continue;
        }
        if (l->w_n == 0) continue;
        double fan_in, fan_out;
        if (l->s.kind == ML_NN_DENSE) {
            fan_in = (double)l->in_size;
            fan_out = l->s.units;
        } else {
            fan_in = (double)l->K;
            fan_out = (double)l->kh * l->kw * l->s.units;
        }
        double lim = sqrt(6.0 / (fan_in + fan_out));
        ml_rng r;
        ml_rng_seed_stream(&r, seed, (uint64_t)i + 1);
        for (int64_t j = 0; j < l->w_n; j++) w[j] = (float)((2 * ml_rng_uniform(&r) - 1) * lim);
        memset(b, 0, sizeof(float) * (size_t)l->b_n);
    }
}

ml_status ml_nn_create(ml_nn **out, const ml_nn_spec *specs, int n, uint64_t seed)
{
    return nn_create(out, specs, n, seed, -1, -1);
}

ml_status nn_create(ml_nn **out, const ml_nn_spec *specs, int n, uint64_t seed, int64_t want_np, int64_t want_ns)
{
    *out = NULL;
    if (n < 1 || specs[0].kind != ML_NN_INPUT)
        return ml_fail(ML_EINVAL, "model: the first layer must be an Input (e.g. Input{28, 28, 1})");
    if (n < 2) return ml_fail(ML_EINVAL, "model: needs at least one layer after the Input");
    const ml_nn_spec *in = &specs[0];
    if (in->ndim < 1 || in->ndim > 3) return ml_fail(ML_EINVAL, "Input: shape must have 1 to 3 dimensions, got %d", in->ndim);
    int64_t in_numel = 1;
    for (int i = 0; i < in->ndim; i++) {
        if (in->shape[i] < 1 || in->shape[i] > (1 << 20))
            return ml_fail(ML_EINVAL, "Input: dimension %d must be in 1..%d, got %lld", i + 1, 1 << 20,
                           (long long)in->shape[i]);
        in_numel *= in->shape[i];
        if (in_numel > ((int64_t)1 << 28))
            return ml_fail(ML_EINVAL, "Input: more than %lld values per sample", (long long)1 << 28);
    }
    ml_nn *net = calloc(1, sizeof *net);
    if (!net) return ml_fail(ML_ENOMEM, "model: out of memory");
    net->input = *in;
    if (!net->input.name[0]) snprintf(net->input.name, sizeof net->input.name, "input_layer");
    net->in_nd = in->ndim;
    net->in_size = 1;
    for (int i = 0; i < 3; i++) net->in_shape[i] = i < in->ndim ? in->shape[i] : 1;
    for (int i = 0; i < in->ndim; i++) net->in_size *= in->shape[i];
    net->n = n - 1;
    net->L = calloc((size_t)net->n, sizeof *net->L);
    if (!net->L) {
        ml_nn_free(net);
        return ml_fail(ML_ENOMEM, "model: out of memory");
    }
    int counters[8] = {0};
    int nd = net->in_nd;
    int64_t shape[3];
    memcpy(shape, net->in_shape, sizeof shape);
    for (int i = 0; i < net->n; i++) {
        nn_layer *l = &net->L[i];
        l->s = specs[i + 1];
        if ((unsigned)l->s.kind >= 8) {
            ml_nn_free(net);
            return ml_fail(ML_EINVAL, "layer %d: unknown kind", i + 1);
        }
        int c = counters[l->s.kind]++;
        if (!l->s.name[0]) {
            if (c == 0) snprintf(l->s.name, sizeof l->s.name, "%s", kind_snake[l->s.kind]);
            else snprintf(l->s.name, sizeof l->s.name, "%s_%d", kind_snake[l->s.kind], c);
        }
        for (char *p = l->s.name; *p; p++)
            if (*p == ' ' || *p == '\t' || *p == '\n') *p = '_';
        ml_status st = infer(net, l, nd, shape);
        if (st) {
            ml_nn_free(net);
            return st;
        }
        nd = l->out_nd;
        memcpy(shape, l->out, sizeof shape);
        if (l->s.kind == ML_NN_BATCHNORM) net->has_bn = 1;
    }
    plan_fusion(net);
    net->first_param = 0;
    while (net->first_param < net->n - 1 && net->L[net->first_param].w_n + net->L[net->first_param].b_n == 0)
        net->first_param++;
    if (nd != 1) {
        char got[96];
        nn_fmt_shape(got, sizeof got, nd, shape);
        ml_nn_free(net);
        return ml_fail(ML_EINVAL, "model: the output %s must be flat (None, classes): add Flatten() and Dense", got);
    }
    if ((want_np >= 0 && net->np != want_np) || (want_ns >= 0 && net->ns != want_ns)) {
        /* checked before allocating: a small file must not make us allocate what its layers claim */
        ml_status st = ml_fail(ML_EFORMAT, "the weights do not match the layers (%lld and %lld values for %lld and %lld)",
                               (long long)want_np, (long long)want_ns, (long long)net->np, (long long)net->ns);
        ml_nn_free(net);
        return st;
    }
    net->params = calloc((size_t)net->np + 1, sizeof(float));
    net->grads = calloc((size_t)net->np + 1, sizeof(float));
    net->state = calloc((size_t)net->ns + 1, sizeof(float));
    if (!net->params || !net->grads || !net->state) {
        ml_nn_free(net);
        return ml_fail(ML_ENOMEM, "model: out of memory for %lld parameters", (long long)net->np);
    }
    if (want_np < 0) init_weights(net, seed); /* else the caller fills them */
    *out = net;
    return ML_OK;
}

/* ---------------------------------------------------------------- queries */

int ml_nn_n_layers(const ml_nn *net) { return net->n; }
const ml_nn_spec *ml_nn_layer_spec(const ml_nn *net, int i)
{
    return i < 0 ? &net->input : i < net->n ? &net->L[i].s : NULL;
}
int ml_nn_layer_shape(const ml_nn *net, int i, int64_t *shape)
{
    if (i < 0) {
        memcpy(shape, net->in_shape, sizeof(int64_t) * 3);
        return net->in_nd;
    }
    memcpy(shape, net->L[i].out, sizeof(int64_t) * 3);
    return net->L[i].out_nd;
}
int64_t ml_nn_layer_params(const ml_nn *net, int i) { return net->L[i].w_n + net->L[i].b_n + net->L[i].st_n; }
int64_t ml_nn_count_params(const ml_nn *net) { return net->np + net->ns; }
int64_t ml_nn_trainable_params(const ml_nn *net) { return net->np; }
int64_t ml_nn_input_size(const ml_nn *net) { return net->in_size; }
int64_t ml_nn_output_size(const ml_nn *net) { return net->L[net->n - 1].out_size; }
float *ml_nn_params(ml_nn *net, int64_t *n)
{
    if (n) *n = net->np;
    return net->params;
}
float *ml_nn_state(ml_nn *net, int64_t *n)
{
    if (n) *n = net->ns;
    return net->state;
}
float *ml_nn_layer_array(ml_nn *net, int i, const char *which, int64_t *n)
{
    if (i < 0 || i >= net->n) return NULL;
    nn_layer *l = &net->L[i];
    int bn = l->s.kind == ML_NN_BATCHNORM;
    if (strcmp(which, bn ? "gamma" : "kernel") == 0 && l->w_n) return *n = l->w_n, net->params + l->w_off;
    if (strcmp(which, bn ? "beta" : "bias") == 0 && l->b_n) return *n = l->b_n, net->params + l->b_off;
    if (bn && strcmp(which, "moving_mean") == 0) return *n = l->C, net->state + l->st_off;
    if (bn && strcmp(which, "moving_variance") == 0) return *n = l->C, net->state + l->st_off + l->C;
    return NULL;
}

/* ---------------------------------------------------------------- buffers */

/* Blocks for `rows` rows in all and `nws` slots (per-slot arrays: the
 * parameter gradients, BN's statistics). */
static int alloc_blocks(ml_nn *net, int nws, int64_t rows)
{
    int64_t dc = 0, wt = 0;
    size_t r = (size_t)rows;
    int ok = (net->blk = calloc((size_t)net->n, sizeof *net->blk)) != NULL;
    for (int i = 0; i < net->n && ok; i++) {
        nn_layer *l = &net->L[i];
        nn_lbuf *lb = &net->blk[i];
        size_t in = r * (size_t)l->in_size, out = r * (size_t)l->out_size;
        switch (l->s.kind) {
        case ML_NN_DENSE:
        case ML_NN_ACTIVATION:
            ok = (lb->y = malloc(out * sizeof(float))) && (lb->dx = malloc(in * sizeof(float)));
            break;
        case ML_NN_CONV2D: {
            if (l->scratch_row > dc) dc = l->scratch_row;
            /* pooling fused: the convolution's own output is never stored */
            ok = (l->pool_next || (lb->y = malloc(out * sizeof(float)))) && (lb->dx = malloc(in * sizeof(float))) &&
                 (!l->cols_row || (lb->cols = malloc(r * (size_t)l->cols_row * sizeof(float))));
            if (ok && l->conv_path == NN_CONV_WINOGRAD) {
                int64_t cf = 16 * (int64_t)l->C * l->s.units, mx = l->C > l->s.units ? l->C : l->s.units;
                ok = (lb->u = malloc((size_t)nws * 2 * (size_t)cf * sizeof(float))) != NULL; /* U, U' */
                if (cf + 2 * mx > wt) wt = cf + 2 * mx;
            }
            break;
        }
        case ML_NN_MAXPOOL2D:
            ok = (lb->y = malloc(out * sizeof(float))) && (lb->dx = malloc(in * sizeof(float))) &&
                 (lb->arg = malloc(out * sizeof(int32_t)));
            break;
        case ML_NN_DROPOUT:
            ok = (lb->y = malloc(out * sizeof(float))) && (lb->mask = malloc(out * sizeof(float)));
            break;
        case ML_NN_BATCHNORM:
            ok = (lb->y = malloc(out * sizeof(float))) && (lb->dx = malloc(in * sizeof(float))) &&
                 (lb->xhat = malloc(out * sizeof(float))) &&
                 (lb->mean = malloc(sizeof(double) * (size_t)l->C * (size_t)nws)) &&
                 (lb->invstd = malloc(sizeof(double) * (size_t)l->C * (size_t)nws)) &&
                 (lb->sg = malloc(sizeof(double) * 2 * (size_t)l->C * (size_t)nws));
            break;
        default:
            break;
        }
    }
    net->dcols_row = dc;
    net->wtmp_n = wt;
    if (ok && dc) ok = (net->blk_dcols = malloc(r * (size_t)dc * sizeof(float))) != NULL;
    if (ok && wt) ok = (net->blk_wtmp = malloc((size_t)nws * (size_t)wt * sizeof(float))) != NULL;
    if (ok) ok = (net->blk_gout = malloc(r * (size_t)ml_nn_output_size(net) * sizeof(float))) != NULL;
    if (ok) ok = (net->blk_grads = malloc((size_t)nws * (size_t)(net->np + 1) * sizeof(float))) != NULL;
    return ok;
}

/* Slots for a pass of nws shards of `stride` rows: slot s's buffers hold
 * rows [s * stride, (s + 1) * stride) of the blocks, so that the slots' rows
 * follow one another (phase 2 of a training step reads them as one batch). */
static ml_status ensure_ws(ml_nn *net, int nws, int64_t stride)
{
    int64_t rows = (int64_t)nws * stride;
    if (nws > net->nws || rows > net->ws_rows) {
        int n2 = nws > net->nws ? nws : net->nws;
        int64_t r2 = rows > net->ws_rows ? rows : net->ws_rows;
        free_buffers(net);
        int ok = (net->ws = calloc((size_t)n2, sizeof *net->ws)) != NULL;
        if (ok) net->nws = n2;
        for (int s = 0; s < n2 && ok; s++) ok = (net->ws[s].lb = calloc((size_t)net->n, sizeof(nn_lbuf))) != NULL;
        if (ok) ok = alloc_blocks(net, n2, r2);
        if (!ok) {
            free_buffers(net);
            return ml_fail(ML_ENOMEM, "model: out of memory for %lld samples", (long long)r2);
        }
        net->ws_rows = r2;
    }
    const int64_t K = ml_nn_output_size(net);
    for (int s = 0; s < nws; s++) {
        nn_ws *w = &net->ws[s];
        const int64_t r0 = s * stride;
        for (int i = 0; i < net->n; i++) {
            const nn_layer *l = &net->L[i];
            const nn_lbuf *bk = &net->blk[i];
            nn_lbuf *lb = &w->lb[i];
            const int64_t in = r0 * l->in_size, out = r0 * l->out_size, C = l->C;
            lb->y = bk->y ? bk->y + out : NULL;
            lb->dx = bk->dx ? bk->dx + in : NULL;
            lb->cols = bk->cols ? bk->cols + r0 * l->cols_row : NULL;
            lb->u = bk->u ? bk->u + s * 32 * C * l->s.units : NULL;
            lb->mask = bk->mask ? bk->mask + out : NULL;
            lb->arg = bk->arg ? bk->arg + out : NULL;
            lb->xhat = bk->xhat ? bk->xhat + out : NULL;
            lb->mean = bk->mean ? bk->mean + s * C : NULL;
            lb->invstd = bk->invstd ? bk->invstd + s * C : NULL;
            lb->sg = bk->sg ? bk->sg + 2 * s * C : NULL;
        }
        w->dcols = net->blk_dcols ? net->blk_dcols + r0 * net->dcols_row : NULL;
        w->wtmp = net->blk_wtmp ? net->blk_wtmp + s * net->wtmp_n : NULL;
        w->gout = net->blk_gout + r0 * K;
        w->grads = net->blk_grads + (size_t)s * (size_t)(net->np + 1);
    }
    return ML_OK;
}

/* ---------------------------------------------------------------- activations */

static void act_forward(ml_nn_act a, float *y, int64_t n, int64_t group)
{
    switch (a) {
    case ML_ACT_RELU:
        for (int64_t i = 0; i < n; i++) y[i] = y[i] > 0.0f ? y[i] : 0.0f;
        break;
    case ML_ACT_SIGMOID:
        for (int64_t i = 0; i < n; i++) y[i] = 1.0f / (1.0f + expf(-y[i]));
        break;
    case ML_ACT_TANH:
        for (int64_t i = 0; i < n; i++) y[i] = tanhf(y[i]);
        break;
    case ML_ACT_SOFTMAX:
        for (int64_t r = 0; r < n; r += group) {
            float *p = y + r, mx = p[0];
            for (int64_t j = 1; j < group; j++) mx = p[j] > mx ? p[j] : mx;
            float s = 0;
            for (int64_t j = 0; j < group; j++) s += (p[j] = expf(p[j] - mx));
            float inv = 1.0f / s;
            for (int64_t j = 0; j < group; j++) p[j] *= inv;
        }
        break;
    default:
        break;
    }
}

/* g <- g * act'(.) given the activation's output y. */
static void act_backward(ml_nn_act a, const float *y, float *g, int64_t n, int64_t group)
{
    switch (a) {
    case ML_ACT_RELU:
        for (int64_t i = 0; i < n; i++) g[i] = y[i] > 0.0f ? g[i] : 0.0f;
        break;
    case ML_ACT_SIGMOID:
        for (int64_t i = 0; i < n; i++) g[i] *= y[i] * (1 - y[i]);
        break;
    case ML_ACT_TANH:
        for (int64_t i = 0; i < n; i++) g[i] *= 1 - y[i] * y[i];
        break;
    case ML_ACT_SOFTMAX:
        for (int64_t r = 0; r < n; r += group) {
            const float *p = y + r;
            float *q = g + r;
            double d = 0;
            for (int64_t j = 0; j < group; j++) d += (double)p[j] * q[j];
            for (int64_t j = 0; j < group; j++) q[j] = p[j] * (q[j] - (float)d);
        }
        break;
    default:
        break;
    }
}

/* ---------------------------------------------------------------- convolution */

typedef struct conv_ctx {
    const nn_layer *l;
    const float *x;
    float *cols;
    float *dx;
} conv_ctx;

static void im2col_task(void *vctx, int64_t b, int64_t e, int worker)
{
    (void)worker;
    const conv_ctx *c = vctx;
    const nn_layer *l = c->l;
    const int C = l->C, kw = l->kw;
    for (int64_t n = b; n < e; n++) {
        const float *xs = c->x + n * l->in_size;
        float *row = c->cols + n * (int64_t)l->Ho * l->Wo * l->K;
        for (int oh = 0; oh < l->Ho; oh++)
            for (int ow = 0; ow < l->Wo; ow++, row += l->K) {
                int iw0 = ow * l->sw - l->pad_l;
                for (int ki = 0; ki < l->kh; ki++) {
                    int ih = oh * l->sh + ki - l->pad_t;
                    float *dst = row + (int64_t)ki * kw * C;
                    if (ih < 0 || ih >= l->H) {
                        memset(dst, 0, sizeof(float) * (size_t)(kw * C));
                        continue;
                    }
                    const float *src = xs + ((int64_t)ih * l->W) * C;
                    if (iw0 >= 0 && iw0 + kw <= l->W) {
                        memcpy(dst, src + (int64_t)iw0 * C, sizeof(float) * (size_t)(kw * C));
                    } else {
                        for (int kj = 0; kj < kw; kj++) {
                            int iw = iw0 + kj;
                            if (iw < 0 || iw >= l->W) memset(dst + kj * C, 0, sizeof(float) * (size_t)C);
                            else memcpy(dst + kj * C, src + (int64_t)iw * C, sizeof(float) * (size_t)C);
                        }
                    }
                }
            }
    }
}

static void col2im_task(void *vctx, int64_t b, int64_t e, int worker)
{
    (void)worker;
    const conv_ctx *c = vctx;
    const nn_layer *l = c->l;
    const int C = l->C, kw = l->kw;
    for (int64_t n = b; n < e; n++) {
        float *xs = c->dx + n * l->in_size;
        memset(xs, 0, sizeof(float) * (size_t)l->in_size);
        const float *row = c->cols + n * (int64_t)l->Ho * l->Wo * l->K;
        for (int oh = 0; oh < l->Ho; oh++)
            for (int ow = 0; ow < l->Wo; ow++, row += l->K) {
                int iw0 = ow * l->sw - l->pad_l;
                for (int ki = 0; ki < l->kh; ki++) {
                    int ih = oh * l->sh + ki - l->pad_t;
                    if (ih < 0 || ih >= l->H) continue;
                    const float *src = row + (int64_t)ki * kw * C;
                    float *dst = xs + ((int64_t)ih * l->W) * C;
                    for (int kj = 0; kj < kw; kj++) {
                        int iw = iw0 + kj;
                        if (iw < 0 || iw >= l->W) continue;
                        float *restrict d = dst + (int64_t)iw * C;
                        const float *restrict sc = src + kj * C;
                        for (int ch = 0; ch < C; ch++) d[ch] += sc[ch];
                    }
                }
            }
    }
}

/* ---------------------------------------------------------------- one-channel convolution */

/* The first convolution of an image network sees one channel: im2col would
 * copy kh*kw floats per output pixel and the product, with k = 9, runs far
 * below the machine's peak.  Here each output pixel's filters are summed
 * directly, eight filters per vector, in registers, with bias and ReLU on the
 * way out; the kernel's gradient likewise, tap after tap, pixel after pixel,
 * in a fixed order (so the same on any number of threads).  Filters: a
 * multiple of 8, at most 64. */
typedef float nn_v8 __attribute__((vector_size(32)));
typedef float nn_v8u __attribute__((vector_size(32), aligned(4), may_alias));
typedef int32_t nn_i8 __attribute__((vector_size(32)));
typedef int32_t nn_i8u __attribute__((vector_size(32), aligned(4), may_alias));
/* four lanes: plain SSE2, the baseline every x86-64 has (eight-lane generic
 * vectors are split into slow pieces without AVX) */
typedef float nn_v4 __attribute__((vector_size(16)));
typedef float nn_v4u __attribute__((vector_size(16), aligned(4), may_alias));
typedef int32_t nn_i4 __attribute__((vector_size(16)));
typedef int32_t nn_i4u __attribute__((vector_size(16), aligned(4), may_alias));
#define NN_LD4(p) ((nn_v4)(*(const nn_v4u *)(const void *)(p)))
#define NN_ST4(p, v) (*(nn_v4u *)(void *)(p) = (v))
#define NN_LD(p) ((nn_v8)(*(const nn_v8u *)(const void *)(p)))
#define NN_ST(p, v) (*(nn_v8u *)(void *)(p) = (v))

static int conv1c_ok(const nn_layer *l)
{
    return l->C == 1 && l->s.units % 8 == 0 && l->s.units <= 64 && l->kh * l->kw <= 12 &&
           (l->s.act == ML_ACT_RELU || l->s.act == ML_ACT_LINEAR);
}

/* kh x kw taps given as KH, KW (constants when inlined: 3 x 3 unrolled) or 0
 * (read from the layer). */
static inline __attribute__((always_inline)) void conv1c_fwd_body(const nn_layer *l, const float *restrict x,
                                                                  const float *restrict W, const float *bias,
                                                                  float *restrict y, int64_t B, const int NV,
                                                                  const int KH, const int KW)
{
    const int H = l->H, Wd = l->W, Ho = l->Ho, Wo = l->Wo, sh = l->sh, sw = l->sw;
    const int kh = KH ? KH : l->kh, kw = KW ? KW : l->kw;
    const int F = NV * 8, relu = l->s.act == ML_ACT_RELU;
    nn_v8 b0[8];
    for (int v = 0; v < NV; v++) b0[v] = bias ? NN_LD(bias + 8 * v) : (nn_v8){0};
    for (int64_t n = 0; n < B; n++) {
        const float *xs = x + n * (int64_t)H * Wd;
        float *ys = y + n * (int64_t)Ho * Wo * F;
        for (int oh = 0; oh < Ho; oh++) {
            const int ih0 = oh * sh - l->pad_t, rows_in = ih0 >= 0 && ih0 + kh <= H;
            int ow = 0;
            if (rows_in && NV <= 4) {
                /* two pixels at a time, every tap inside the image */
                for (; ow + 1 < Wo; ow += 2) {
                    const int iw0 = ow * sw - l->pad_l;
                    if (iw0 < 0 || iw0 + sw + kw > Wd) {
                        if (iw0 < 0) break;
                        break;
                    }
                    nn_v8 a0[4], a1[4];
                    for (int v = 0; v < NV; v++) a0[v] = a1[v] = b0[v];
                    const float *xr = xs + (int64_t)ih0 * Wd + iw0;
                    for (int ki = 0; ki < kh; ki++)
                        for (int kj = 0; kj < kw; kj++) {
                            const float x0 = xr[ki * Wd + kj], x1 = xr[ki * Wd + kj + sw];
                            const float *wr = W + (ki * kw + kj) * F;
                            for (int v = 0; v < NV; v++) {
                                const nn_v8 wv = NN_LD(wr + 8 * v);
                                a0[v] += x0 * wv;
                                a1[v] += x1 * wv;
                            }
                        }
                    float *yo = ys + ((int64_t)oh * Wo + ow) * F;
                    for (int v = 0; v < NV; v++) {
                        nn_v8 p0 = a0[v], p1 = a1[v];
                        if (relu) p0 = (nn_v8)((nn_i8)p0 & (p0 > 0)), p1 = (nn_v8)((nn_i8)p1 & (p1 > 0));
                        NN_ST(yo + 8 * v, p0);
                        NN_ST(yo + F + 8 * v, p1);
                    }
                }
            }
            /* the rest, one pixel at a time, taps outside the image skipped */
            for (int ow2 = 0; ow2 < Wo; ow2++) {
                if (ow2 < ow && rows_in) continue;
                const int iw0 = ow2 * sw - l->pad_l;
                const int ki0 = ih0 < 0 ? -ih0 : 0, ki1 = ih0 + kh > H ? H - ih0 : kh;
                const int kj0 = iw0 < 0 ? -iw0 : 0, kj1 = iw0 + kw > Wd ? Wd - iw0 : kw;
                nn_v8 acc[8];
                for (int v = 0; v < NV; v++) acc[v] = b0[v];
                for (int ki = ki0; ki < ki1; ki++)
                    for (int kj = kj0; kj < kj1; kj++) {
                        const float xv = xs[(int64_t)(ih0 + ki) * Wd + iw0 + kj];
                        const float *wr = W + (ki * kw + kj) * F;
                        for (int v = 0; v < NV; v++) acc[v] += xv * NN_LD(wr + 8 * v);
                    }
                float *yo = ys + ((int64_t)oh * Wo + ow2) * F;
                for (int v = 0; v < NV; v++) {
                    nn_v8 a = acc[v];
                    if (relu) a = (nn_v8)((nn_i8)a & (a > 0));
                    NN_ST(yo + 8 * v, a);
                }
            }
        }
    }
}

/* gW (kh*kw x F) and gb (F) of B images, eight filters at a time with every
 * tap's sum in a register; the ReLU's mask from y when `mask`. */
static inline __attribute__((always_inline)) void conv1c_bwd_body(const nn_layer *l, const float *restrict x,
                                                                  const float *restrict y, const float *restrict g,
                                                                  float *restrict gW, float *restrict gb, int64_t B,
                                                                  int mask, const int KH, const int KW)
{
    const int H = l->H, Wd = l->W, Ho = l->Ho, Wo = l->Wo, sh = l->sh, sw = l->sw;
    const int kh = KH ? KH : l->kh, kw = KW ? KW : l->kw;
    const int F = l->s.units, K = kh * kw;
    /* image by image (its gradient stays in cache), the image's sums added
     * to gW in image order */
    for (int t = 0; t < K * F; t++) gW[t] = 0;
    if (gb)
        for (int f = 0; f < F; f++) gb[f] = 0;
    for (int64_t n = 0; n < B; n++) {
        const float *xs = x + n * (int64_t)H * Wd;
        for (int f = 0; f < F; f += 8) {
            nn_v8 acc[12], ab = {0};
            for (int t = 0; t < K; t++) acc[t] = (nn_v8){0};
            const float *gs = g + n * (int64_t)Ho * Wo * F + f, *yv = y + n * (int64_t)Ho * Wo * F + f;
            for (int oh = 0; oh < Ho; oh++) {
                const int ih0 = oh * sh - l->pad_t, rows_in = ih0 >= 0 && ih0 + kh <= H;
                for (int ow = 0; ow < Wo; ow++) {
                    const int64_t p = ((int64_t)oh * Wo + ow) * F;
                    nn_v8 gv = NN_LD(gs + p);
                    if (mask) gv = (nn_v8)((nn_i8)gv & (NN_LD(yv + p) > 0));
                    ab += gv;
                    const int iw0 = ow * sw - l->pad_l;
                    const float *xr = xs + (int64_t)ih0 * Wd + iw0;
                    if (rows_in && iw0 >= 0 && iw0 + kw <= Wd) {
                        for (int ki = 0; ki < kh; ki++)
                            for (int kj = 0; kj < kw; kj++) acc[ki * kw + kj] += xr[ki * Wd + kj] * gv;
                    } else {
                        for (int ki = 0; ki < kh; ki++)
                            for (int kj = 0; kj < kw; kj++) {
                                const int ih = ih0 + ki, iw = iw0 + kj;
                                if (ih >= 0 && ih < H && iw >= 0 && iw < Wd) acc[ki * kw + kj] += xr[ki * Wd + kj] * gv;
                            }
                    }
                }
            }
            for (int t = 0; t < K; t++) NN_ST(gW + (int64_t)t * F + f, NN_LD(gW + (int64_t)t * F + f) + acc[t]);
            if (gb) NN_ST(gb + f, NN_LD(gb + f) + ab);
        }
    }
}

/* The 3 x 3 case with its nine sums named, so that they stay in registers. */
static inline __attribute__((always_inline)) void conv1c_bwd33_body(const nn_layer *l, const float *restrict x,
                                                                    const float *restrict y, const float *restrict g,
                                                                    float *restrict gW, float *restrict gb, int64_t B,
                                                                    int mask)
{
    const int H = l->H, Wd = l->W, Ho = l->Ho, Wo = l->Wo, sh = l->sh, sw = l->sw, F = l->s.units;
    for (int t = 0; t < 9 * F; t++) gW[t] = 0;
    if (gb)
        for (int f = 0; f < F; f++) gb[f] = 0;
    for (int64_t n = 0; n < B; n++) {
        const float *xs = x + n * (int64_t)H * Wd;
        for (int f = 0; f < F; f += 8) {
            nn_v8 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0}, a4 = {0}, a5 = {0}, a6 = {0}, a7 = {0}, a8 = {0}, ab = {0};
            const float *gs = g + n * (int64_t)Ho * Wo * F + f, *yv = y + n * (int64_t)Ho * Wo * F + f;
            for (int oh = 0; oh < Ho; oh++) {
                const int ih0 = oh * sh - l->pad_t;
                for (int ow = 0; ow < Wo; ow++) {
                    const int64_t p = ((int64_t)oh * Wo + ow) * F;
                    nn_v8 gv = NN_LD(gs + p);
                    if (mask) gv = (nn_v8)((nn_i8)gv & (NN_LD(yv + p) > 0));
                    ab += gv;
                    const int iw0 = ow * sw - l->pad_l;
                    if (ih0 >= 0 && ih0 + 3 <= H && iw0 >= 0 && iw0 + 3 <= Wd) {
                        const float *r0 = xs + (int64_t)ih0 * Wd + iw0, *r1 = r0 + Wd, *r2 = r1 + Wd;
                        a0 += r0[0] * gv, a1 += r0[1] * gv, a2 += r0[2] * gv;
                        a3 += r1[0] * gv, a4 += r1[1] * gv, a5 += r1[2] * gv;
                        a6 += r2[0] * gv, a7 += r2[1] * gv, a8 += r2[2] * gv;
                    } else {
                        float v[9];
                        for (int t = 0; t < 9; t++) {
                            const int ih = ih0 + t / 3, iw = iw0 + t % 3;
                            v[t] = ih >= 0 && ih < H && iw >= 0 && iw < Wd ? xs[(int64_t)ih * Wd + iw] : 0.0f;
                        }
                        a0 += v[0] * gv, a1 += v[1] * gv, a2 += v[2] * gv;
                        a3 += v[3] * gv, a4 += v[4] * gv, a5 += v[5] * gv;
                        a6 += v[6] * gv, a7 += v[7] * gv, a8 += v[8] * gv;
                    }
                }
            }
            const nn_v8 a[9] = {a0, a1, a2, a3, a4, a5, a6, a7, a8};
            for (int t = 0; t < 9; t++) NN_ST(gW + (int64_t)t * F + f, NN_LD(gW + (int64_t)t * F + f) + a[t]);
            if (gb) NN_ST(gb + f, NN_LD(gb + f) + ab);
        }
    }
}

/* Fused with the 2x2 pooling above (3x3 kernel, stride 1, no padding):
 * each pooling window's four pixels from the 4x4 input patch under it, the
 * max and argmax (same comparisons, same order as the pooling layer) stored
 * in the pooling layer's buffers; the convolution's own output never is. */
static inline __attribute__((always_inline)) void conv1c_pool_fwd_body(const nn_layer *l, const float *restrict x,
                                                                       const float *restrict W, const float *bias,
                                                                       float *restrict py, int32_t *restrict pa,
                                                                       int64_t B)
{
    const int H = l->H, Wd = l->W, Wo = l->Wo, F = l->s.units, Hp = l->Ho / 2, Wp = l->Wo / 2;
    const int relu = l->s.act == ML_ACT_RELU;
    const int32_t s1 = F, s2 = Wo * F, s3 = Wo * F + F;
    const int64_t psz = (int64_t)Hp * Wp * F;
    const nn_v8 zero = {0};
    const nn_i8 lane = {0, 1, 2, 3, 4, 5, 6, 7};
    for (int64_t n = 0; n < B; n++) {
        const float *xs = x + n * (int64_t)H * Wd;
        for (int i = 0; i < Hp; i++)
            for (int j = 0; j < Wp; j++) {
                const float *xp = xs + (int64_t)(2 * i) * Wd + 2 * j;
                float xv[16];
                for (int a = 0; a < 4; a++)
                    for (int b = 0; b < 4; b++) xv[a * 4 + b] = xp[(int64_t)a * Wd + b];
                const int32_t base = (2 * i * Wo + 2 * j) * F;
                float *yo = py + n * psz + ((int64_t)i * Wp + j) * F;
                int32_t *ao = pa + n * psz + ((int64_t)i * Wp + j) * F;
                for (int f = 0; f < F; f += 8) {
                    const nn_v8 b0 = bias ? NN_LD(bias + f) : zero;
                    nn_v8 y0 = b0, y1 = b0, y2 = b0, y3 = b0;
                    for (int ki = 0; ki < 3; ki++)
                        for (int kj = 0; kj < 3; kj++) {
                            const nn_v8 wv = NN_LD(W + (ki * 3 + kj) * F + f);
                            y0 += xv[ki * 4 + kj] * wv;
                            y1 += xv[ki * 4 + kj + 1] * wv;
                            y2 += xv[(ki + 1) * 4 + kj] * wv;
                            y3 += xv[(ki + 1) * 4 + kj + 1] * wv;
                        }
                    if (relu) {
                        y0 = (nn_v8)((nn_i8)y0 & (y0 > zero)), y1 = (nn_v8)((nn_i8)y1 & (y1 > zero));
                        y2 = (nn_v8)((nn_i8)y2 & (y2 > zero)), y3 = (nn_v8)((nn_i8)y3 & (y3 > zero));
                    }
                    const nn_i8 a0 = base + f + lane;
                    nn_v8 mx = y0;
                    nn_i8 a = a0, w;
                    w = y1 > mx, a = (a & ~w) | ((a0 + s1) & w), mx = (nn_v8)(((nn_i8)mx & ~w) | ((nn_i8)y1 & w));
                    w = y2 > mx, a = (a & ~w) | ((a0 + s2) & w), mx = (nn_v8)(((nn_i8)mx & ~w) | ((nn_i8)y2 & w));
                    w = y3 > mx, a = (a & ~w) | ((a0 + s3) & w), mx = (nn_v8)(((nn_i8)mx & ~w) | ((nn_i8)y3 & w));
                    NN_ST(yo + f, mx);
                    *(nn_i8u *)(void *)(ao + f) = a;
                }
            }
    }
}

/* Its backward: the kernel's and the bias's gradients from the pooled
 * gradient, which reaches each window's argmax only (times the ReLU's mask). */
static inline __attribute__((always_inline)) void conv1c_pool_bwd_body(const nn_layer *l, const float *restrict x,
                                                                       const float *restrict py,
                                                                       const int32_t *restrict pa,
                                                                       const float *restrict g, float *restrict gW,
                                                                       float *restrict gb, int64_t B)
{
    const int H = l->H, Wd = l->W, Wo = l->Wo, F = l->s.units, Hp = l->Ho / 2, Wp = l->Wo / 2;
    const int relu = l->s.act == ML_ACT_RELU;
    const int32_t s1 = F, s2 = Wo * F, s3 = Wo * F + F;
    const int64_t psz = (int64_t)Hp * Wp * F;
    const nn_v8 zero = {0};
    const nn_i8 lane = {0, 1, 2, 3, 4, 5, 6, 7};
    for (int t = 0; t < 9 * F; t++) gW[t] = 0;
    if (gb)
        for (int f = 0; f < F; f++) gb[f] = 0;
    for (int64_t n = 0; n < B; n++) {
        const float *xs = x + n * (int64_t)H * Wd;
        for (int f = 0; f < F; f += 8) {
            nn_v8 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0}, a4 = {0}, a5 = {0}, a6 = {0}, a7 = {0}, a8 = {0}, ab = {0};
            for (int i = 0; i < Hp; i++)
                for (int j = 0; j < Wp; j++) {
                    const int64_t off = n * psz + ((int64_t)i * Wp + j) * F + f;
                    nn_i8 gm = (nn_i8)NN_LD(g + off);
                    if (relu) gm &= NN_LD(py + off) > zero;
                    const int32_t base = (2 * i * Wo + 2 * j) * F;
                    const nn_i8 k = *(const nn_i8u *)(const void *)(pa + off) - base - f - lane;
                    const nn_v8 g0 = (nn_v8)(gm & (k == 0)), g1 = (nn_v8)(gm & (k == s1)),
                                g2 = (nn_v8)(gm & (k == s2)), g3 = (nn_v8)(gm & (k == s3));
                    ab += (nn_v8)gm;
                    const float *r0 = xs + (int64_t)(2 * i) * Wd + 2 * j, *r1 = r0 + Wd, *r2 = r1 + Wd, *r3 = r2 + Wd;
                    /* pixel (0,0) sees rows 0-2, cols 0-2; (0,1) cols 1-3; (1,0) rows 1-3; (1,1) both */
                    a0 += r0[0] * g0 + r0[1] * g1 + r1[0] * g2 + r1[1] * g3;
                    a1 += r0[1] * g0 + r0[2] * g1 + r1[1] * g2 + r1[2] * g3;
                    a2 += r0[2] * g0 + r0[3] * g1 + r1[2] * g2 + r1[3] * g3;
                    a3 += r1[0] * g0 + r1[1] * g1 + r2[0] * g2 + r2[1] * g3;
                    a4 += r1[1] * g0 + r1[2] * g1 + r2[1] * g2 + r2[2] * g3;
                    a5 += r1[2] * g0 + r1[3] * g1 + r2[2] * g2 + r2[3] * g3;
                    a6 += r2[0] * g0 + r2[1] * g1 + r3[0] * g2 + r3[1] * g3;
                    a7 += r2[1] * g0 + r2[2] * g1 + r3[1] * g2 + r3[2] * g3;
                    a8 += r2[2] * g0 + r2[3] * g1 + r3[2] * g2 + r3[3] * g3;
                }
            const nn_v8 a[9] = {a0, a1, a2, a3, a4, a5, a6, a7, a8};
            for (int t = 0; t < 9; t++) NN_ST(gW + (int64_t)t * F + f, NN_LD(gW + (int64_t)t * F + f) + a[t]);
            if (gb) NN_ST(gb + f, NN_LD(gb + f) + ab);
        }
    }
}

static void conv1c_pool_fwd_any(const nn_layer *l, const float *x, const float *W, const float *bias, float *py,
                                int32_t *pa, int64_t B)
{
    conv1c_pool_fwd_body(l, x, W, bias, py, pa, B);
}
static void conv1c_pool_bwd_any(const nn_layer *l, const float *x, const float *py, const int32_t *pa,
                                const float *g, float *gW, float *gb, int64_t B)
{
    conv1c_pool_bwd_body(l, x, py, pa, g, gW, gb, B);
}
#ifdef NN_HAVE_AVX
__attribute__((target("avx2,fma"))) static void conv1c_pool_fwd_avx2(const nn_layer *l, const float *x,
                                                                     const float *W, const float *bias, float *py,
                                                                     int32_t *pa, int64_t B)
{
    conv1c_pool_fwd_body(l, x, W, bias, py, pa, B);
}
__attribute__((target("avx2,fma"))) static void conv1c_pool_bwd_avx2(const nn_layer *l, const float *x,
                                                                     const float *py, const int32_t *pa,
                                                                     const float *g, float *gW, float *gb, int64_t B)
{
    conv1c_pool_bwd_body(l, x, py, pa, g, gW, gb, B);
}
#endif

#define NN_CONV1C_FWD(l, x, W, bias, y, B)                                                                            \
    do {                                                                                                              \
        const int k33 = (l)->kh == 3 && (l)->kw == 3;                                                                 \
        switch ((l)->s.units / 8) {                                                                                   \
        case 1:                                                                                                       \
            if (k33) conv1c_fwd_body(l, x, W, bias, y, B, 1, 3, 3);                                                   \
            else conv1c_fwd_body(l, x, W, bias, y, B, 1, 0, 0);                                                       \
            break;                                                                                                    \
        case 2:                                                                                                       \
            if (k33) conv1c_fwd_body(l, x, W, bias, y, B, 2, 3, 3);                                                   \
            else conv1c_fwd_body(l, x, W, bias, y, B, 2, 0, 0);                                                       \
            break;                                                                                                    \
        case 4:                                                                                                       \
            if (k33) conv1c_fwd_body(l, x, W, bias, y, B, 4, 3, 3);                                                   \
            else conv1c_fwd_body(l, x, W, bias, y, B, 4, 0, 0);                                                       \
            break;                                                                                                    \
        default: conv1c_fwd_body(l, x, W, bias, y, B, 8, 0, 0); break;                                                \
        }                                                                                                             \
    } while (0)
#define NN_CONV1C_BWD(l, x, y, g, gW, gb, B, mask)                                                                    \
    do {                                                                                                              \
        if ((l)->kh == 3 && (l)->kw == 3) conv1c_bwd33_body(l, x, y, g, gW, gb, B, mask);                             \
        else conv1c_bwd_body(l, x, y, g, gW, gb, B, mask, 0, 0);                                                      \
    } while (0)

static void conv1c_fwd_any(const nn_layer *l, const float *x, const float *W, const float *bias, float *y, int64_t B)
{
    NN_CONV1C_FWD(l, x, W, bias, y, B);
}
static void conv1c_bwd_any(const nn_layer *l, const float *x, const float *y, const float *g, float *gW, float *gb,
                           int64_t B, int mask)
{
    NN_CONV1C_BWD(l, x, y, g, gW, gb, B, mask);
}
#ifdef NN_HAVE_AVX
__attribute__((target("avx2,fma"))) static void conv1c_fwd_avx2(const nn_layer *l, const float *x, const float *W,
                                                                const float *bias, float *y, int64_t B)
{
    NN_CONV1C_FWD(l, x, W, bias, y, B);
}
__attribute__((target("avx2,fma"))) static void conv1c_bwd_avx2(const nn_layer *l, const float *x, const float *y,
                                                                const float *g, float *gW, float *gb, int64_t B,
                                                                int mask)
{
    NN_CONV1C_BWD(l, x, y, g, gW, gb, B, mask);
}
static int nn_avx2(void)
{
    static int have = -1;
    if (have < 0) have = ml_simd_allowed() && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    return have;
}
#endif

static void conv1c_forward(const nn_layer *l, const float *x, const float *W, const float *bias, float *y, int64_t B)
{
#ifdef NN_HAVE_AVX
    if (nn_avx2()) {
        conv1c_fwd_avx2(l, x, W, bias, y, B);
        return;
    }
#endif
    conv1c_fwd_any(l, x, W, bias, y, B);
}

static void conv1c_pool_forward(const nn_layer *l, const float *x, const float *W, const float *bias, float *py,
                                int32_t *pa, int64_t B)
{
#ifdef NN_HAVE_AVX
    if (nn_avx2()) {
        conv1c_pool_fwd_avx2(l, x, W, bias, py, pa, B);
        return;
    }
#endif
    conv1c_pool_fwd_any(l, x, W, bias, py, pa, B);
}

static void conv1c_pool_backward(const nn_layer *l, const float *x, const float *py, const int32_t *pa,
                                 const float *g, float *gW, float *gb, int64_t B)
{
#ifdef NN_HAVE_AVX
    if (nn_avx2()) {
        conv1c_pool_bwd_avx2(l, x, py, pa, g, gW, gb, B);
        return;
    }
#endif
    conv1c_pool_bwd_any(l, x, py, pa, g, gW, gb, B);
}

static void conv1c_backward(const nn_layer *l, const float *x, const float *y, const float *g, float *gW, float *gb,
                            int64_t B, int mask)
{
#ifdef NN_HAVE_AVX
    if (nn_avx2()) {
        conv1c_bwd_avx2(l, x, y, g, gW, gb, B, mask);
        return;
    }
#endif
    conv1c_bwd_any(l, x, y, g, gW, gb, B, mask);
}

static void col_sums(const float *restrict g, int64_t rows, int64_t cols, float *restrict out);

/* ---------------------------------------------------------------- Winograd */

/* 3x3 convolutions with stride 1 as Winograd's F(2x2, 3x3) (Lavin & Gray,
 * 2015): each 2x2 block of outputs ("tile") is computed from the 4x4 block of
 * inputs around it in a transformed space where the convolution is an
 * element-wise product: 16 products per tile and channel pair instead of 36.
 * Per group of images, the 16 elements of the transforms become 16 matrix
 * products (tiles x C) (C x filters) through ml_gemm.  The backward pass is
 * the exact adjoint of the same computation:
 *   forward   V = B'dB (input),  U = GgG' (kernel),  M = V U,  Y = A'MA
 *   backward  dM = A dY A',  dU = V' dM,  dg = G'dU G,  dV = dM U',  dd = B dV B'
 * Inputs outside the image read as zeros, outputs outside it are dropped.
 * Everything runs in a fixed order, so the result does not depend on
 * threads; it differs from im2col + GEMM by float rounding only. */
#define NN_WINO_TILES 72 /* tiles per group of images: the transforms of a group stay in cache */

/* V[xi][t][c] for the tiles of images [n0, n0 + nb); V has ld c, xi stride T*C.
 * Eight channels per vector (C and the filters are multiples of 8). */
static inline __attribute__((always_inline)) void wino_input_body(const nn_layer *l, const float *x, int64_t n0, int nb,
                                                                  float *restrict V, const float *zeros)
{
    const int H = l->H, Wd = l->W, C = l->C, th = l->th, tw = l->tw;
    const int64_t T = (int64_t)nb * th * tw, xs = T * C;
    int64_t t = 0;
    for (int n = 0; n < nb; n++) {
        const float *img = x + (n0 + n) * l->in_size;
        for (int i = 0; i < th; i++)
            for (int j = 0; j < tw; j++, t++) {
                const float *p[16];
                for (int r = 0; r < 4; r++)
                    for (int q = 0; q < 4; q++) {
                        const int ih = 2 * i - l->pad_t + r, iw = 2 * j - l->pad_l + q;
                        const int in = ih >= 0 && ih < H && iw >= 0 && iw < Wd;
                        p[r * 4 + q] = in ? img + ((int64_t)ih * Wd + iw) * C : zeros;
                    }
                float *o = V + t * C;
                for (int c = 0; c < C; c += 8) {
                    nn_v8 d[16], u[16];
                    for (int k = 0; k < 16; k++) d[k] = NN_LD(p[k] + c);
                    for (int q = 0; q < 4; q++) { /* rows: B'd */
                        u[0 + q] = d[0 + q] - d[8 + q];
                        u[4 + q] = d[4 + q] + d[8 + q];
                        u[8 + q] = d[8 + q] - d[4 + q];
                        u[12 + q] = d[4 + q] - d[12 + q];
                    }
                    for (int r = 0; r < 4; r++) { /* columns: (B'd)B */
                        NN_ST(o + (r * 4 + 0) * xs + c, u[r * 4 + 0] - u[r * 4 + 2]);
                        NN_ST(o + (r * 4 + 1) * xs + c, u[r * 4 + 1] + u[r * 4 + 2]);
                        NN_ST(o + (r * 4 + 2) * xs + c, u[r * 4 + 2] - u[r * 4 + 1]);
                        NN_ST(o + (r * 4 + 3) * xs + c, u[r * 4 + 1] - u[r * 4 + 3]);
                    }
                }
            }
    }
}

/* U[xi][c][f] = (G g G')[xi] from the kernel W[(ki*3 + kj)*C + c][f]. */
static inline __attribute__((always_inline)) void wino_kernel_body(const nn_layer *l, const float *restrict W,
                                                                   float *restrict U)
{
    const int C = l->C, F = l->s.units;
    const int64_t CF = (int64_t)C * F;
    const nn_v8 h = {0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f};
    for (int c = 0; c < C; c++)
        for (int f = 0; f < F; f += 8) {
            nn_v8 g[9], t[12];
            for (int k = 0; k < 9; k++) g[k] = NN_LD(W + ((int64_t)k * C + c) * F + f);
            for (int q = 0; q < 3; q++) { /* rows: Gg */
                t[0 + q] = g[0 + q];
                t[3 + q] = h * (g[0 + q] + g[3 + q] + g[6 + q]);
                t[6 + q] = h * (g[0 + q] - g[3 + q] + g[6 + q]);
                t[9 + q] = g[6 + q];
            }
            float *o = U + (int64_t)c * F + f;
            for (int r = 0; r < 4; r++) { /* columns: (Gg)G' */
                NN_ST(o + (r * 4 + 0) * CF, t[r * 3 + 0]);
                NN_ST(o + (r * 4 + 1) * CF, h * (t[r * 3 + 0] + t[r * 3 + 1] + t[r * 3 + 2]));
                NN_ST(o + (r * 4 + 2) * CF, h * (t[r * 3 + 0] - t[r * 3 + 1] + t[r * 3 + 2]));
                NN_ST(o + (r * 4 + 3) * CF, t[r * 3 + 2]);
            }
        }
}

/* y = act(A'MA + bias) for the tiles of images [n0, n0 + nb). */
static inline __attribute__((always_inline)) void wino_output_body(const nn_layer *l, const float *restrict M,
                                                                   int64_t n0, int nb, const float *bias, float *y,
                                                                   float *sink)
{
    const int Ho = l->Ho, Wo = l->Wo, F = l->s.units, th = l->th, tw = l->tw, relu = l->s.act == ML_ACT_RELU;
    const int64_t T = (int64_t)nb * th * tw, ms = T * F;
    const nn_v8 zero = {0};
    int64_t t = 0;
    for (int n = 0; n < nb; n++) {
        float *img = y + (n0 + n) * l->out_size;
        for (int i = 0; i < th; i++)
            for (int j = 0; j < tw; j++, t++) {
                float *o[4];
                for (int r = 0; r < 2; r++)
                    for (int q = 0; q < 2; q++) {
                        const int oh = 2 * i + r, ow = 2 * j + q;
                        o[r * 2 + q] = oh < Ho && ow < Wo ? img + ((int64_t)oh * Wo + ow) * F : sink;
                    }
                const float *m = M + t * F;
                for (int f = 0; f < F; f += 8) {
                    nn_v8 v[16], u[8];
                    for (int k = 0; k < 16; k++) v[k] = NN_LD(m + k * ms + f);
                    for (int q = 0; q < 4; q++) { /* rows: A'M */
                        u[0 + q] = v[0 + q] + v[4 + q] + v[8 + q];
                        u[4 + q] = v[4 + q] - v[8 + q] - v[12 + q];
                    }
                    const nn_v8 b = bias ? NN_LD(bias + f) : zero;
                    for (int r = 0; r < 2; r++) { /* columns: (A'M)A */
                        nn_v8 y0 = u[r * 4 + 0] + u[r * 4 + 1] + u[r * 4 + 2] + b;
                        nn_v8 y1 = u[r * 4 + 1] - u[r * 4 + 2] - u[r * 4 + 3] + b;
                        if (relu) y0 = (nn_v8)((nn_i8)y0 & (y0 > zero)), y1 = (nn_v8)((nn_i8)y1 & (y1 > zero));
                        NN_ST(o[r * 2 + 0] + f, y0);
                        NN_ST(o[r * 2 + 1] + f, y1);
                    }
                }
            }
    }
}

/* The same, followed by 2x2 max pooling: a tile is a pooling window (the
 * layer's tiles stop at the pooled size), so the convolution's output is
 * never stored: py, pa get the pooled values and their argmax (an index into
 * the convolution's output, as the pooling layer keeps it).  The same
 * comparisons in the same order as the pooling layer. */
static inline __attribute__((always_inline)) void wino_output_pool_body(const nn_layer *l, const float *restrict M,
                                                                        int64_t n0, int nb, const float *bias,
                                                                        float *restrict py, int32_t *restrict pa)
{
    const int Wo = l->Wo, F = l->s.units, th = l->th, tw = l->tw, relu = l->s.act == ML_ACT_RELU;
    const int64_t T = (int64_t)nb * th * tw, ms = T * F, psz = (int64_t)th * tw * F;
    const int32_t s1 = F, s2 = Wo * F, s3 = Wo * F + F;
    const nn_v8 zero = {0};
    const nn_i8 lane = {0, 1, 2, 3, 4, 5, 6, 7};
    int64_t t = 0;
    for (int n = 0; n < nb; n++)
        for (int i = 0; i < th; i++)
            for (int j = 0; j < tw; j++, t++) {
                const int32_t base = (2 * i * Wo + 2 * j) * F;
                float *yo = py + (n0 + n) * psz + ((int64_t)i * tw + j) * F;
                int32_t *ao = pa + (n0 + n) * psz + ((int64_t)i * tw + j) * F;
                const float *m = M + t * F;
                for (int f = 0; f < F; f += 8) {
                    nn_v8 v[16], u[8], y[4];
                    for (int k = 0; k < 16; k++) v[k] = NN_LD(m + k * ms + f);
                    for (int q = 0; q < 4; q++) { /* rows: A'M */
                        u[0 + q] = v[0 + q] + v[4 + q] + v[8 + q];
                        u[4 + q] = v[4 + q] - v[8 + q] - v[12 + q];
                    }
                    const nn_v8 b = bias ? NN_LD(bias + f) : zero;
                    for (int r = 0; r < 2; r++) { /* columns: (A'M)A */
                        y[r * 2 + 0] = u[r * 4 + 0] + u[r * 4 + 1] + u[r * 4 + 2] + b;
                        y[r * 2 + 1] = u[r * 4 + 1] - u[r * 4 + 2] - u[r * 4 + 3] + b;
                    }
                    if (relu)
                        for (int k = 0; k < 4; k++) y[k] = (nn_v8)((nn_i8)y[k] & (y[k] > zero));
                    const nn_i8 a0 = base + f + lane;
                    nn_v8 mx = y[0];
                    nn_i8 a = a0, w;
                    w = y[1] > mx, a = (a & ~w) | ((a0 + s1) & w), mx = (nn_v8)(((nn_i8)mx & ~w) | ((nn_i8)y[1] & w));
                    w = y[2] > mx, a = (a & ~w) | ((a0 + s2) & w), mx = (nn_v8)(((nn_i8)mx & ~w) | ((nn_i8)y[2] & w));
                    w = y[3] > mx, a = (a & ~w) | ((a0 + s3) & w), mx = (nn_v8)(((nn_i8)mx & ~w) | ((nn_i8)y[3] & w));
                    NN_ST(yo + f, mx);
                    *(nn_i8u *)(void *)(ao + f) = a;
                }
            }
}

/* dM from the pooled gradient: in each window only the argmax receives the
 * gradient (times the ReLU's mask, pooled value > 0). */
static inline __attribute__((always_inline)) void wino_dout_pool_body(const nn_layer *l, const float *restrict g,
                                                                      const float *restrict py,
                                                                      const int32_t *restrict pa, int64_t n0, int nb,
                                                                      float *restrict M)
{
    const int Wo = l->Wo, F = l->s.units, th = l->th, tw = l->tw, relu = l->s.act == ML_ACT_RELU;
    const int64_t T = (int64_t)nb * th * tw, ms = T * F, psz = (int64_t)th * tw * F;
    const int32_t s1 = F, s2 = Wo * F, s3 = Wo * F + F;
    const nn_v8 zero = {0};
    const nn_i8 lane = {0, 1, 2, 3, 4, 5, 6, 7};
    int64_t t = 0;
    for (int n = 0; n < nb; n++)
        for (int i = 0; i < th; i++)
            for (int j = 0; j < tw; j++, t++) {
                const int32_t base = (2 * i * Wo + 2 * j) * F;
                const int64_t off = (n0 + n) * psz + ((int64_t)i * tw + j) * F;
                float *m = M + t * F;
                for (int f = 0; f < F; f += 8) {
                    nn_i8 gm = (nn_i8)NN_LD(g + off + f);
                    if (relu) gm &= NN_LD(py + off + f) > zero;
                    const nn_i8 k = *(const nn_i8u *)(const void *)(pa + off + f) - base - f - lane;
                    const nn_v8 a = (nn_v8)(gm & (k == 0)), b = (nn_v8)(gm & (k == s1)), c = (nn_v8)(gm & (k == s2)),
                                d = (nn_v8)(gm & (k == s3));
                    const nn_v8 u[8] = {a, b, a + c, b + d, a - c, b - d, -c, -d};
                    for (int r = 0; r < 4; r++) { /* columns: (A dY)A' */
                        NN_ST(m + (r * 4 + 0) * ms + f, u[r * 2 + 0]);
                        NN_ST(m + (r * 4 + 1) * ms + f, u[r * 2 + 0] + u[r * 2 + 1]);
                        NN_ST(m + (r * 4 + 2) * ms + f, u[r * 2 + 0] - u[r * 2 + 1]);
                        NN_ST(m + (r * 4 + 3) * ms + f, -u[r * 2 + 1]);
                    }
                }
            }
}

/* dM[xi][t][f] = (A dY A')[xi] from the output gradient g of images [n0, n0 + nb). */
static inline __attribute__((always_inline)) void wino_dout_body(const nn_layer *l, const float *g, int64_t n0, int nb,
                                                                 float *restrict M, const float *zeros)
{
    const int Ho = l->Ho, Wo = l->Wo, F = l->s.units, th = l->th, tw = l->tw;
    const int64_t T = (int64_t)nb * th * tw, ms = T * F;
    int64_t t = 0;
    for (int n = 0; n < nb; n++) {
        const float *img = g + (n0 + n) * l->out_size;
        for (int i = 0; i < th; i++)
            for (int j = 0; j < tw; j++, t++) {
                const float *p[4];
                for (int r = 0; r < 2; r++)
                    for (int q = 0; q < 2; q++) {
                        const int oh = 2 * i + r, ow = 2 * j + q;
                        p[r * 2 + q] = oh < Ho && ow < Wo ? img + ((int64_t)oh * Wo + ow) * F : zeros;
                    }
                float *m = M + t * F;
                for (int f = 0; f < F; f += 8) {
                    const nn_v8 a = NN_LD(p[0] + f), b = NN_LD(p[1] + f), c = NN_LD(p[2] + f), d = NN_LD(p[3] + f);
                    /* rows: A dY (4 x 2) */
                    const nn_v8 u[8] = {a, b, a + c, b + d, a - c, b - d, -c, -d};
                    for (int r = 0; r < 4; r++) { /* columns: (A dY)A' */
                        NN_ST(m + (r * 4 + 0) * ms + f, u[r * 2 + 0]);
                        NN_ST(m + (r * 4 + 1) * ms + f, u[r * 2 + 0] + u[r * 2 + 1]);
                        NN_ST(m + (r * 4 + 2) * ms + f, u[r * 2 + 0] - u[r * 2 + 1]);
                        NN_ST(m + (r * 4 + 3) * ms + f, -u[r * 2 + 1]);
                    }
                }
            }
    }
}

/* gW[(ki*3 + kj)*C + c][f] = (G' dU G) of dU[xi][c][f]. */
static inline __attribute__((always_inline)) void wino_dkernel_body(const nn_layer *l, const float *restrict dU,
                                                                    float *restrict gW)
{
    const int C = l->C, F = l->s.units;
    const int64_t CF = (int64_t)C * F;
    const nn_v8 h = {0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f};
    for (int c = 0; c < C; c++)
        for (int f = 0; f < F; f += 8) {
            nn_v8 d[16], t[12];
            for (int k = 0; k < 16; k++) d[k] = NN_LD(dU + k * CF + (int64_t)c * F + f);
            for (int q = 0; q < 4; q++) { /* rows: G'dU (3 x 4) */
                t[0 + q] = d[0 + q] + h * (d[4 + q] + d[8 + q]);
                t[4 + q] = h * (d[4 + q] - d[8 + q]);
                t[8 + q] = h * (d[4 + q] + d[8 + q]) + d[12 + q];
            }
            for (int r = 0; r < 3; r++) { /* columns: (G'dU)G */
                NN_ST(gW + ((int64_t)(r * 3 + 0) * C + c) * F + f, t[r * 4 + 0] + h * (t[r * 4 + 1] + t[r * 4 + 2]));
                NN_ST(gW + ((int64_t)(r * 3 + 1) * C + c) * F + f, h * (t[r * 4 + 1] - t[r * 4 + 2]));
                NN_ST(gW + ((int64_t)(r * 3 + 2) * C + c) * F + f, h * (t[r * 4 + 1] + t[r * 4 + 2]) + t[r * 4 + 3]);
            }
        }
}

/* dx += B dV B' for the tiles of images [n0, n0 + nb) (dx zeroed before). */
static inline __attribute__((always_inline)) void wino_dinput_body(const nn_layer *l, const float *restrict V,
                                                                   int64_t n0, int nb, float *dx, float *sink)
{
    const int H = l->H, Wd = l->W, C = l->C, th = l->th, tw = l->tw;
    const int64_t T = (int64_t)nb * th * tw, vs = T * C;
    int64_t t = 0;
    for (int n = 0; n < nb; n++) {
        float *img = dx + (n0 + n) * l->in_size;
        for (int i = 0; i < th; i++)
            for (int j = 0; j < tw; j++, t++) {
                float *o[16];
                for (int r = 0; r < 4; r++)
                    for (int q = 0; q < 4; q++) {
                        const int ih = 2 * i - l->pad_t + r, iw = 2 * j - l->pad_l + q;
                        const int in = ih >= 0 && ih < H && iw >= 0 && iw < Wd;
                        o[r * 4 + q] = in ? img + ((int64_t)ih * Wd + iw) * C : sink;
                    }
                const float *v = V + t * C;
                for (int c = 0; c < C; c += 8) {
                    nn_v8 d[16], u[16];
                    for (int k = 0; k < 16; k++) d[k] = NN_LD(v + k * vs + c);
                    for (int q = 0; q < 4; q++) { /* rows: B dV */
                        u[0 + q] = d[0 + q];
                        u[4 + q] = d[4 + q] - d[8 + q] + d[12 + q];
                        u[8 + q] = d[4 + q] + d[8 + q] - d[0 + q];
                        u[12 + q] = -d[12 + q];
                    }
                    for (int r = 0; r < 4; r++) { /* columns: (B dV)B' */
                        float *o0 = o[r * 4 + 0] + c, *o1 = o[r * 4 + 1] + c, *o2 = o[r * 4 + 2] + c,
                              *o3 = o[r * 4 + 3] + c;
                        NN_ST(o0, NN_LD(o0) + u[r * 4 + 0]);
                        NN_ST(o1, NN_LD(o1) + (u[r * 4 + 1] - u[r * 4 + 2] + u[r * 4 + 3]));
                        NN_ST(o2, NN_LD(o2) + (u[r * 4 + 1] + u[r * 4 + 2] - u[r * 4 + 0]));
                        NN_ST(o3, NN_LD(o3) - u[r * 4 + 3]);
                    }
                }
            }
    }
}

/* Each transform twice: for CPUs with AVX2 (eight lanes native) and for the
 * x86-64 baseline (the same code, each vector split in two). */
#define NN_WINO_FUNCS(SUF, ATTR)                                                                                      \
    ATTR static void wino_input_##SUF(const nn_layer *l, const float *x, int64_t n0, int nb, float *V,             \
                                      const float *zeros)                                                           \
    {                                                                                                                 \
        wino_input_body(l, x, n0, nb, V, zeros);                                                                      \
    }                                                                                                                 \
    ATTR static void wino_kernel_##SUF(const nn_layer *l, const float *W, float *U) { wino_kernel_body(l, W, U); }  \
    ATTR static void wino_output_##SUF(const nn_layer *l, const float *M, int64_t n0, int nb, const float *bias,    \
                                       float *y, float *sink)                                                       \
    {                                                                                                                 \
        wino_output_body(l, M, n0, nb, bias, y, sink);                                                                \
    }                                                                                                                 \
    ATTR static void wino_dout_##SUF(const nn_layer *l, const float *g, int64_t n0, int nb, float *M,              \
                                     const float *zeros)                                                            \
    {                                                                                                                 \
        wino_dout_body(l, g, n0, nb, M, zeros);                                                                       \
    }                                                                                                                 \
    ATTR static void wino_dkernel_##SUF(const nn_layer *l, const float *dU, float *gW)                              \
    {                                                                                                                 \
        wino_dkernel_body(l, dU, gW);                                                                                 \
    }                                                                                                                 \
    ATTR static void wino_output_pool_##SUF(const nn_layer *l, const float *M, int64_t n0, int nb,                \
                                            const float *bias, float *py, int32_t *pa)                              \
    {                                                                                                                 \
        wino_output_pool_body(l, M, n0, nb, bias, py, pa);                                                            \
    }                                                                                                                 \
    ATTR static void wino_dout_pool_##SUF(const nn_layer *l, const float *g, const float *py, const int32_t *pa,    \
                                          int64_t n0, int nb, float *M)                                             \
    {                                                                                                                 \
        wino_dout_pool_body(l, g, py, pa, n0, nb, M);                                                                 \
    }                                                                                                                 \
    ATTR static void wino_dinput_##SUF(const nn_layer *l, const float *V, int64_t n0, int nb, float *dx,           \
                                       float *sink)                                                                 \
    {                                                                                                                 \
        wino_dinput_body(l, V, n0, nb, dx, sink);                                                                     \
    }
NN_WINO_FUNCS(any, )
#ifdef NN_HAVE_AVX
NN_WINO_FUNCS(avx2, __attribute__((target("avx2,fma"))))
#define NN_WINO(fn) (nn_avx2() ? fn##_avx2 : fn##_any)
#else
#define NN_WINO(fn) fn##_any
#endif

/* pool: the pooling layer's buffers when it is fused (l->pool_next), else NULL. */
static void wino_forward(const nn_layer *l, nn_lbuf *lb, nn_ws *w, const float *x, const float *W, const float *bias,
                         int64_t B, nn_lbuf *pool)
{
    const int C = l->C, F = l->s.units, mx = C > F ? C : F;
    const int64_t tiles = (int64_t)l->th * l->tw, G = NN_WINO_TILES / tiles > 1 ? NN_WINO_TILES / tiles : 1;
    float *zeros = w->wtmp + 16 * (int64_t)C * F, *sink = zeros + mx;
    memset(zeros, 0, sizeof(float) * (size_t)mx);
    NN_WINO(wino_kernel)(l, W, lb->u);
    /* U' too (filters x C per element): the backward's dM U' is then a plain
     * product, half again as fast as a transposed one */
    float *Ut = lb->u + 16 * (int64_t)C * F;
    for (int xi = 0; xi < 16; xi++)
        for (int c = 0; c < C; c++)
            for (int f = 0; f < F; f++)
                Ut[((int64_t)xi * F + f) * C + c] = lb->u[((int64_t)xi * C + c) * F + f];
    for (int64_t n0 = 0; n0 < B; n0 += G) {
        const int nb = (int)(B - n0 < G ? B - n0 : G);
        const int64_t T = nb * tiles;
        float *V = lb->cols + n0 * l->cols_row, *M = w->dcols;
        NN_WINO(wino_input)(l, x, n0, nb, V, zeros);
        for (int xi = 0; xi < 16; xi++)
            ml_gemm(0, 0, T, F, C, 1, V + xi * T * C, C, lb->u + xi * (int64_t)C * F, F, 0, M + xi * T * F, F);
        if (pool) NN_WINO(wino_output_pool)(l, M, n0, nb, bias, pool->y, pool->arg);
        else NN_WINO(wino_output)(l, M, n0, nb, bias, lb->y, sink);
    }
    if (l->s.act != ML_ACT_RELU && l->s.act != ML_ACT_LINEAR) act_forward(l->s.act, lb->y, B * l->out_size, F);
}

/* g: the gradient wrt the pre-activation output (activation applied), or
 * with pool (fused), the gradient wrt the pooled output. */
static void wino_backward(const nn_layer *l, nn_lbuf *lb, nn_ws *w, const float *g, float *gW, float *gb, int64_t B,
                          int need_dx, const nn_lbuf *pool)
{
    const int C = l->C, F = l->s.units, mx = C > F ? C : F;
    const int64_t tiles = (int64_t)l->th * l->tw, CF = (int64_t)C * F;
    const int64_t G = NN_WINO_TILES / tiles > 1 ? NN_WINO_TILES / tiles : 1;
    float *dU = w->wtmp, *zeros = dU + 16 * CF, *sink = zeros + mx; /* wtmp: dU, zeros, a sink */
    memset(zeros, 0, sizeof(float) * (size_t)mx);
    if (need_dx) memset(lb->dx, 0, sizeof(float) * (size_t)(B * l->in_size));
    for (int64_t n0 = 0; n0 < B; n0 += G) {
        const int nb = (int)(B - n0 < G ? B - n0 : G);
        const int64_t T = nb * tiles;
        float *V = lb->cols + n0 * l->cols_row, *M = w->dcols;
        if (pool) NN_WINO(wino_dout_pool)(l, g, pool->y, pool->arg, n0, nb, M);
        else NN_WINO(wino_dout)(l, g, n0, nb, M, zeros);
        for (int xi = 0; xi < 16; xi++)
            ml_gemm(1, 0, C, F, T, 1, V + xi * T * C, C, M + xi * T * F, F, n0 ? 1 : 0, dU + xi * CF, F);
        if (!need_dx) continue;
        /* V is no longer needed: dV goes in its place */
        for (int xi = 0; xi < 16; xi++)
            ml_gemm(0, 0, T, C, F, 1, M + xi * T * F, F, lb->u + 16 * CF + xi * CF, C, 0, V + xi * T * C, C);
        NN_WINO(wino_dinput)(l, V, n0, nb, lb->dx, sink);
    }
    NN_WINO(wino_dkernel)(l, dU, gW);
    if (gb && pool && l->s.act == ML_ACT_RELU) {
        /* the gradient reaches one output per window: the pooled one, if > 0 */
        const int64_t rows = B * (int64_t)l->th * l->tw;
        memset(gb, 0, sizeof(float) * (size_t)F);
        for (int64_t r = 0; r < rows; r++)
            for (int f = 0; f < F; f++) gb[f] += pool->y[r * F + f] > 0.0f ? g[r * F + f] : 0.0f;
    } else if (gb) {
        col_sums(g, pool ? B * (int64_t)l->th * l->tw : B * (int64_t)l->Ho * l->Wo, F, gb);
    }
}

/* ---------------------------------------------------------------- pooling */

typedef struct pool_ctx {
    const nn_layer *l;
    nn_lbuf *lb;
    const float *x;
    const float *g;
    int mask; /* backward: also the ReLU's mask of the layer below (y > 0) */
} pool_ctx;

/* 2 x 2 windows, stride 2, every window inside the input: the common case, without the general
 * loop's bookkeeping.  The same comparisons in the same order as the general
 * loop, so the same results. */
static int pool22(const nn_layer *l)
{
    return l->kh == 2 && l->kw == 2 && l->sh == 2 && l->sw == 2 && !l->pad_t && !l->pad_l && 2 * l->Ho <= l->H &&
           2 * l->Wo <= l->W;
}

static void pool_fwd_task(void *vctx, int64_t b, int64_t e, int worker)
{
    (void)worker;
    pool_ctx *c = vctx;
    const nn_layer *l = c->l;
    const int C = l->C;
    if (pool22(l)) {
        const int64_t rowC = (int64_t)l->W * C;
        for (int64_t n = b; n < e; n++) {
            const float *xs = c->x + n * l->in_size;
            float *restrict ys = c->lb->y + n * l->out_size;
            int32_t *restrict as = c->lb->arg + n * l->out_size;
            for (int oh = 0; oh < l->Ho; oh++)
                for (int ow = 0; ow < l->Wo; ow++) {
                    const int32_t base = (int32_t)(2 * oh * rowC + 2 * ow * C);
                    const float *restrict p0 = xs + base, *restrict p1 = p0 + C, *restrict p2 = p0 + rowC,
                                          *restrict p3 = p2 + C;
                    float *restrict yo = ys + ((int64_t)oh * l->Wo + ow) * C;
                    int32_t *restrict ao = as + ((int64_t)oh * l->Wo + ow) * C;
                    int ch = 0;
                    const nn_i4 lane = {0, 1, 2, 3};
                    for (; ch + 4 <= C; ch += 4) {
                        nn_v4 m = NN_LD4(p0 + ch), v;
                        nn_i4 a = base + ch + lane, w;
                        v = NN_LD4(p1 + ch), w = v > m, a = (a & ~w) | ((base + C + ch + lane) & w);
                        m = (nn_v4)(((nn_i4)m & ~w) | ((nn_i4)v & w));
                        v = NN_LD4(p2 + ch), w = v > m, a = (a & ~w) | ((base + (int32_t)rowC + ch + lane) & w);
                        m = (nn_v4)(((nn_i4)m & ~w) | ((nn_i4)v & w));
                        v = NN_LD4(p3 + ch), w = v > m, a = (a & ~w) | ((base + (int32_t)rowC + C + ch + lane) & w);
                        m = (nn_v4)(((nn_i4)m & ~w) | ((nn_i4)v & w));
                        NN_ST4(yo + ch, m);
                        *(nn_i4u *)(void *)(ao + ch) = a;
                    }
                    for (; ch < C; ch++) {
                        float m = p0[ch];
                        int32_t a = base + ch;
                        a = p1[ch] > m ? base + C + ch : a, m = p1[ch] > m ? p1[ch] : m;
                        a = p2[ch] > m ? base + (int32_t)rowC + ch : a, m = p2[ch] > m ? p2[ch] : m;
                        a = p3[ch] > m ? base + (int32_t)rowC + C + ch : a, m = p3[ch] > m ? p3[ch] : m;
                        yo[ch] = m, ao[ch] = a;
                    }
                }
        }
        return;
    }
    for (int64_t n = b; n < e; n++) {
        const float *xs = c->x + n * l->in_size;
        float *ys = c->lb->y + n * l->out_size;
        int32_t *as = c->lb->arg + n * l->out_size;
        for (int oh = 0; oh < l->Ho; oh++)
            for (int ow = 0; ow < l->Wo; ow++) {
                float *restrict yo = ys + ((int64_t)oh * l->Wo + ow) * C;
                int32_t *restrict ao = as + ((int64_t)oh * l->Wo + ow) * C;
                int first = 1;
                for (int ki = 0; ki < l->kh; ki++) {
                    int ih = oh * l->sh + ki - l->pad_t;
                    if (ih < 0 || ih >= l->H) continue;
                    for (int kj = 0; kj < l->kw; kj++) {
                        int iw = ow * l->sw + kj - l->pad_l;
                        if (iw < 0 || iw >= l->W) continue;
                        int32_t base = (int32_t)(((int64_t)ih * l->W + iw) * C);
                        const float *restrict xi = xs + base;
                        if (first) {
                            for (int ch = 0; ch < C; ch++) yo[ch] = xi[ch], ao[ch] = base + ch;
                            first = 0;
                        } else {
                            for (int ch = 0; ch < C; ch++) {
                                float xv = xi[ch], yv = yo[ch];
                                int32_t m = -(int32_t)(xv > yv); /* all ones where x wins */
                                yo[ch] = xv > yv ? xv : yv;
                                ao[ch] = (ao[ch] & ~m) | ((base + ch) & m);
                            }
                        }
                    }
                }
            }
    }
}

static void pool_bwd_task(void *vctx, int64_t b, int64_t e, int worker)
{
    (void)worker;
    pool_ctx *c = vctx;
    const nn_layer *l = c->l;
    if (pool22(l)) {
        /* every input the windows cover written once (no zeroing first); the
         * last row and column are outside every window when H, W are odd */
        const int C = l->C, Wd = l->W, mask = c->mask;
        const int32_t rowC = Wd * C, k1 = C, k2 = rowC, k3 = rowC + C;
        for (int64_t n = b; n < e; n++) {
            float *restrict dx = c->lb->dx + n * l->in_size;
            const float *restrict g = c->g + n * l->out_size, *restrict y = c->lb->y + n * l->out_size;
            const int32_t *restrict a = c->lb->arg + n * l->out_size;
            for (int oh = 0; oh < l->Ho; oh++) {
                for (int ow = 0; ow < l->Wo; ow++) {
                    const int32_t base = 2 * oh * rowC + 2 * ow * C;
                    const int64_t j = ((int64_t)oh * l->Wo + ow) * C;
                    float *restrict d0 = dx + base, *restrict d1 = d0 + C, *restrict d2 = d0 + rowC,
                                    *restrict d3 = d2 + C;
                    const float *restrict gj = g + j, *restrict yj = y + j;
                    const int32_t *restrict aj = a + j;
                    int ch = 0;
                    const nn_i4 lane = {0, 1, 2, 3};
                    for (; ch + 4 <= C; ch += 4) {
                        nn_i4 gv = (nn_i4)NN_LD4(gj + ch);
                        if (mask) gv &= NN_LD4(yj + ch) > 0;
                        const nn_i4 k = *(const nn_i4u *)(const void *)(aj + ch) - base - ch - lane;
                        NN_ST4(d0 + ch, (nn_v4)(gv & (k == 0)));
                        NN_ST4(d1 + ch, (nn_v4)(gv & (k == k1)));
                        NN_ST4(d2 + ch, (nn_v4)(gv & (k == k2)));
                        NN_ST4(d3 + ch, (nn_v4)(gv & (k == k3)));
                    }
                    if (mask) {
                        for (; ch < C; ch++) {
                            const float gl = gj[ch], gv = yj[ch] > 0.0f ? gl : 0.0f;
                            const int32_t k = aj[ch] - base - ch;
                            d0[ch] = k == 0 ? gv : 0.0f;
                            d1[ch] = k == k1 ? gv : 0.0f;
                            d2[ch] = k == k2 ? gv : 0.0f;
                            d3[ch] = k == k3 ? gv : 0.0f;
                        }
                    } else {
                        for (; ch < C; ch++) {
                            const float gv = gj[ch];
                            const int32_t k = aj[ch] - base - ch;
                            d0[ch] = k == 0 ? gv : 0.0f;
                            d1[ch] = k == k1 ? gv : 0.0f;
                            d2[ch] = k == k2 ? gv : 0.0f;
                            d3[ch] = k == k3 ? gv : 0.0f;
                        }
                    }
                }
                if (Wd & 1) memset(dx + 2 * oh * rowC + (int64_t)(Wd - 1) * C, 0, sizeof(float) * (size_t)C),
                            memset(dx + (2 * oh + 1) * rowC + (int64_t)(Wd - 1) * C, 0, sizeof(float) * (size_t)C);
            }
            if (l->H & 1) memset(dx + (int64_t)(l->H - 1) * rowC, 0, sizeof(float) * (size_t)rowC);
        }
        return;
    }
    for (int64_t n = b; n < e; n++) {
        float *dx = c->lb->dx + n * l->in_size;
        const float *g = c->g + n * l->out_size;
        const int32_t *a = c->lb->arg + n * l->out_size;
        memset(dx, 0, sizeof(float) * (size_t)l->in_size);
        if (c->mask) {
            const float *y = c->lb->y + n * l->out_size;
            for (int64_t j = 0; j < l->out_size; j++) dx[a[j]] += y[j] > 0.0f ? g[j] : 0.0f;
        } else {
            for (int64_t j = 0; j < l->out_size; j++) dx[a[j]] += g[j];
        }
    }
}

/* ---------------------------------------------------------------- forward */

/* y = act(y + bias) over rows x cols (bias may be NULL). */
static void bias_act(float *restrict y, const float *restrict bias, int64_t rows, int64_t cols, ml_nn_act a)
{
    if (bias && a == ML_ACT_RELU) {
        for (int64_t r = 0; r < rows; r++) {
            float *restrict yr = y + r * cols;
            for (int64_t j = 0; j < cols; j++) {
                float v = yr[j] + bias[j];
                yr[j] = v > 0.0f ? v : 0.0f;
            }
        }
        return;
    }
    if (bias)
        for (int64_t r = 0; r < rows; r++) {
            float *restrict yr = y + r * cols;
            for (int64_t j = 0; j < cols; j++) yr[j] += bias[j];
        }
    act_forward(a, y, rows * cols, cols);
}

static int is_1x1(const nn_layer *l)
{
    return l->kh == 1 && l->kw == 1 && l->sh == 1 && l->sw == 1 && !l->pad_t && !l->pad_l;
}

static void layer_forward(ml_nn *net, const nn_layer *l, nn_lbuf *lb, nn_ws *w, const float *x, int64_t B,
                          int training)
{
    const float *W = net->params + l->w_off, *bias = net->params + l->b_off;
    lb->x = x;
    lb->outp = lb->y;
    switch (l->s.kind) {
    case ML_NN_DENSE: {
        int64_t o = l->s.units;
        ml_gemm(0, 0, B, o, l->in_size, 1, x, l->in_size, W, o, 0, lb->y, o);
        bias_act(lb->y, l->b_n ? bias : NULL, B, o, l->s.act);
        break;
    }
    case ML_NN_CONV2D: {
        if (l->conv_path == NN_CONV_ONE_CHANNEL) {
            if (l->pool_next) conv1c_pool_forward(l, x, W, l->b_n ? bias : NULL, lb[1].y, lb[1].arg, B);
            else conv1c_forward(l, x, W, l->b_n ? bias : NULL, lb->y, B);
            break;
        }
        if (l->conv_path == NN_CONV_WINOGRAD) {
            wino_forward(l, lb, w, x, W, l->b_n ? bias : NULL, B, l->pool_next ? lb + 1 : NULL);
            break;
        }
        conv_ctx c = {l, x, lb->cols, NULL};
        int64_t rows = B * l->Ho * l->Wo, o = l->s.units;
        if (is_1x1(l)) c.cols = (float *)x; /* the input is its own im2col */
        else ml_parallel_for(B, 2, im2col_task, &c);
        ml_gemm(0, 0, rows, o, l->K, 1, c.cols, l->K, W, o, 0, lb->y, o);
        bias_act(lb->y, l->b_n ? bias : NULL, rows, o, l->s.act);
        break;
    }
    case ML_NN_MAXPOOL2D: {
        if (l->pool_prev) break; /* done by the convolution below */
        pool_ctx c = {l, lb, x, NULL, 0};
        ml_parallel_for(B, 4, pool_fwd_task, &c);
        break;
    }
    case ML_NN_FLATTEN:
        lb->outp = (float *)x;
        break;
    case ML_NN_DROPOUT: {
        lb->dropped = training && l->s.rate > 0;
        if (!lb->dropped) {
            lb->outp = (float *)x;
            break;
        }
        /* one draw from the shard's stream keys a counter-based hash per
         * element (a well-mixed 32-bit integer hash): vectorisable, where a
         * generator call per element cost a fifth of a dropout MLP's step */
        const int64_t n = B * l->out_size;
        const float keep = 1.0f - l->s.rate, scale = 1.0f / keep;
        const uint64_t key = ml_rng_u64(&w->rng);
        const uint32_t k0 = (uint32_t)key, k1 = (uint32_t)(key >> 32);
        const uint32_t thr = (uint32_t)((double)keep * 4294967296.0 > 4294967295.0 ? 4294967295.0
                                                                                     : (double)keep * 4294967296.0);
        float *restrict mask = lb->mask, *restrict y = lb->y;
        for (int64_t i = 0; i < n; i++) {
            uint32_t h = (uint32_t)i * 0x9E3779B1U + k0;
            h ^= h >> 16, h *= 0x7feb352dU, h ^= k1;
            h ^= h >> 15, h *= 0x846ca68bU, h ^= h >> 16;
            mask[i] = h < thr ? scale : 0.0f;
            y[i] = x[i] * mask[i];
        }
        break;
    }
    case ML_NN_ACTIVATION:
        memcpy(lb->y, x, sizeof(float) * (size_t)(B * l->out_size));
        act_forward(l->s.act, lb->y, B * l->out_size, l->out[l->out_nd - 1]);
        break;
    case ML_NN_BATCHNORM: {
        const int C = l->C;
        int64_t rows = B * l->in_size / C;
        float *st = net->state + l->st_off;
        double *mean = lb->mean, *invstd = lb->invstd;
        lb->training = training;
        if (training) {
            for (int c = 0; c < C; c++) mean[c] = 0, invstd[c] = 0;
            for (int64_t r = 0; r < rows; r++)
                for (int c = 0; c < C; c++) mean[c] += x[r * C + c];
            for (int c = 0; c < C; c++) mean[c] /= (double)rows;
            for (int64_t r = 0; r < rows; r++)
                for (int c = 0; c < C; c++) {
                    double d = x[r * C + c] - mean[c];
                    invstd[c] += d * d;
                }
            float mom = l->s.momentum;
            for (int c = 0; c < C; c++) {
                double var = invstd[c] / (double)rows;
                st[c] = st[c] * mom + (float)mean[c] * (1 - mom);
                st[C + c] = st[C + c] * mom + (float)var * (1 - mom);
                invstd[c] = 1.0 / sqrt(var + l->s.eps);
            }
        } else {
            for (int c = 0; c < C; c++) mean[c] = st[c], invstd[c] = 1.0 / sqrt((double)st[C + c] + l->s.eps);
        }
        for (int64_t r = 0; r < rows; r++)
            for (int c = 0; c < C; c++) {
                float h = (float)((x[r * C + c] - mean[c]) * invstd[c]);
                lb->xhat[r * C + c] = h;
                lb->y[r * C + c] = W[c] * h + bias[c];
            }
        break;
    }
    default:
        break;
    }
}

static const float *forward(ml_nn *net, nn_ws *w, const float *x, int64_t B, int training)
{
    for (int i = 0; i < net->n; i++) {
        layer_forward(net, &net->L[i], &w->lb[i], w, x, B, training);
        x = w->lb[i].outp;
    }
    return x;
}

/* ---------------------------------------------------------------- backward */

static void col_sums(const float *restrict g, int64_t rows, int64_t cols, float *restrict out)
{
    memset(out, 0, sizeof(float) * (size_t)cols);
    for (int64_t r = 0; r < rows; r++) {
        const float *restrict gr = g + r * cols;
        for (int64_t j = 0; j < cols; j++) out[j] += gr[j];
    }
}

/* g: gradient wrt this layer's output (may be modified in place).  Returns
 * the gradient wrt the input, or NULL when need_dx is 0.  Parameter
 * gradients go to w->grads (the L2 penalty is added once, after the shards
 * are summed). */
static float *layer_backward(ml_nn *net, const nn_layer *l, nn_lbuf *lb, nn_ws *w, float *g, int64_t B, int need_dx,
                             int skip_act, int mask_below)
{
    const float *W = net->params + l->w_off;
    float *gW = w->grads + l->w_off, *gb = w->grads + l->b_off;
    switch (l->s.kind) {
    case ML_NN_DENSE: {
        int64_t o = l->s.units, in = l->in_size;
        if (!skip_act) act_backward(l->s.act, lb->y, g, B * o, o);
        lb->gin = g; /* the kernel's and the bias's gradients: phase 2, over the whole batch */
        if (!need_dx) return NULL;
        ml_gemm(0, 1, B, in, o, 1, g, o, W, o, 0, lb->dx, in);
        return lb->dx;
    }
    case ML_NN_CONV2D: {
        int64_t rows = B * l->Ho * l->Wo, o = l->s.units;
        int one = is_1x1(l);
        const float *cols = one ? lb->x : lb->cols;
        if (l->conv_path == NN_CONV_WINOGRAD) {
            if (!skip_act && !l->pool_next) act_backward(l->s.act, lb->y, g, rows * o, o);
            wino_backward(l, lb, w, g, gW, l->b_n ? gb : NULL, B, need_dx, l->pool_next ? lb + 1 : NULL);
            return need_dx ? lb->dx : NULL;
        }
        if (l->conv_path == NN_CONV_ONE_CHANNEL && l->pool_next && need_dx) {
            /* the input's gradient too (gradient checks): the pooled gradient
             * spread over the convolution's output first, as the pooling would */
            pool_ctx c = {l + 1, lb + 1, NULL, g, l->s.act == ML_ACT_RELU};
            pool_bwd_task(&c, 0, B, 0);
            g = lb[1].dx;
            conv1c_backward(l, lb->x, g, g, gW, l->b_n ? gb : NULL, B, 0); /* no mask: y unread */
        } else if (l->conv_path == NN_CONV_ONE_CHANNEL && l->pool_next) {
            conv1c_pool_backward(l, lb->x, lb[1].y, lb[1].arg, g, gW, l->b_n ? gb : NULL, B);
        } else if (l->conv_path == NN_CONV_ONE_CHANNEL) {
            /* without dx the ReLU's mask is applied on the fly */
            int mask = !skip_act && l->s.act == ML_ACT_RELU && !need_dx;
            if (!skip_act && !mask) act_backward(l->s.act, lb->y, g, rows * o, o);
            conv1c_backward(l, lb->x, lb->y, g, gW, l->b_n ? gb : NULL, B, mask);
        } else {
            if (!skip_act) act_backward(l->s.act, lb->y, g, rows * o, o);
            ml_gemm(1, 0, l->K, o, rows, 1, cols, l->K, g, o, 0, gW, o);
            if (l->b_n) col_sums(g, rows, o, gb);
        }
        if (!need_dx) return NULL;
        if (one) {
            ml_gemm(0, 1, rows, l->K, o, 1, g, o, W, o, 0, lb->dx, l->K);
            return lb->dx;
        }
        ml_gemm(0, 1, rows, l->K, o, 1, g, o, W, o, 0, w->dcols, l->K);
        conv_ctx c = {l, NULL, w->dcols, lb->dx};
        ml_parallel_for(B, 2, col2im_task, &c);
        return lb->dx;
    }
    case ML_NN_MAXPOOL2D: {
        if (l->pool_prev) return g; /* the convolution below takes the pooled gradient */
        if (!need_dx) return NULL;
        pool_ctx c = {l, lb, NULL, g, mask_below};
        ml_parallel_for(B, 4, pool_bwd_task, &c);
        return lb->dx;
    }
    case ML_NN_FLATTEN:
        return g;
    case ML_NN_DROPOUT:
        if (lb->dropped) {
            int64_t n = B * l->out_size;
            for (int64_t i = 0; i < n; i++) g[i] *= lb->mask[i];
        }
        return g;
    case ML_NN_ACTIVATION:
        if (!skip_act) act_backward(l->s.act, lb->y, g, B * l->out_size, l->out[l->out_nd - 1]);
        return g;
    case ML_NN_BATCHNORM: {
        const int C = l->C;
        int64_t rows = B * l->in_size / C;
        double *sg = lb->sg; /* sum g, sum g*xhat */
        for (int c = 0; c < 2 * C; c++) sg[c] = 0;
        for (int64_t r = 0; r < rows; r++)
            for (int c = 0; c < C; c++) {
                sg[c] += g[r * C + c];
                sg[C + c] += (double)g[r * C + c] * lb->xhat[r * C + c];
            }
        for (int c = 0; c < C; c++) gW[c] = (float)sg[C + c], gb[c] = (float)sg[c];
        if (!need_dx) return NULL;
        if (!lb->training) {
            for (int64_t r = 0; r < rows; r++)
                for (int c = 0; c < C; c++) lb->dx[r * C + c] = (float)(W[c] * lb->invstd[c] * g[r * C + c]);
        } else {
            double inv_n = 1.0 / (double)rows;
            for (int64_t r = 0; r < rows; r++)
                for (int c = 0; c < C; c++) {
                    double dxh = (double)g[r * C + c] - sg[c] * inv_n - lb->xhat[r * C + c] * sg[C + c] * inv_n;
                    lb->dx[r * C + c] = (float)(W[c] * lb->invstd[c] * dxh);
                }
        }
        return lb->dx;
    }
    default:
        return NULL;
    }
}

/* ---------------------------------------------------------------- loss */

static double reg_loss(const ml_nn *net)
{
    double s = 0;
    for (int i = 0; i < net->n; i++) {
        const nn_layer *l = &net->L[i];
        if (l->s.l2 <= 0 || l->s.kind == ML_NN_BATCHNORM) continue;
        const float *w = net->params + l->w_off;
        double q = 0;
        for (int64_t j = 0; j < l->w_n; j++) q += (double)w[j] * w[j];
        s += l->s.l2 * q;
    }
    return s;
}

static ml_nn_act output_act(const ml_nn *net)
{
    for (int i = net->n - 1; i >= 0; i--) {
        const nn_layer *l = &net->L[i];
        if (l->s.kind == ML_NN_DENSE || l->s.kind == ML_NN_CONV2D || l->s.kind == ML_NN_ACTIVATION) return l->s.act;
        if (l->s.kind != ML_NN_DROPOUT && l->s.kind != ML_NN_FLATTEN) return ML_ACT_LINEAR;
    }
    return ML_ACT_LINEAR;
}

/* Sum over the rows of the cross-entropy (not divided by B), the number
 * right, and when g != NULL the gradient of the loss times `scale` (1/batch)
 * wrt the output (or wrt the softmax's input when *fused is set). */
static double xent(const ml_nn *net, const float *out, const float *y, int64_t B, float *g, float scale, int *fused,
                   int64_t *correct)
{
    const int64_t K = ml_nn_output_size(net);
    const float eps = 1e-7f;
    int fuse = !net->from_logits && output_act(net) == ML_ACT_SOFTMAX && net->L[net->n - 1].s.kind != ML_NN_DROPOUT;
    if (fused) *fused = fuse;
    double loss = 0;
    int64_t right = 0;
    for (int64_t r = 0; r < B; r++) {
        const float *o = out + r * K;
        int t = (int)y[r];
        int64_t am = 0;
        for (int64_t j = 1; j < K; j++)
            if (o[j] > o[am]) am = j;
        right += am == t;
        float *gr = g ? g + r * K : NULL;
        if (net->from_logits) {
            float mx = o[0];
            for (int64_t j = 1; j < K; j++) mx = o[j] > mx ? o[j] : mx;
            double s = 0;
            for (int64_t j = 0; j < K; j++) s += exp((double)o[j] - mx);
            loss += log(s) + mx - o[t];
            if (gr)
                for (int64_t j = 0; j < K; j++) gr[j] = ((float)(exp((double)o[j] - mx) / s) - (j == t)) * scale;
        } else if (fuse) {
            float p = o[t] < eps ? eps : o[t] > 1 - eps ? 1 - eps : o[t];
            loss -= log(p);
            if (gr)
                for (int64_t j = 0; j < K; j++) gr[j] = (o[j] - (j == t)) * scale;
        } else {
            double S = 0;
            for (int64_t j = 0; j < K; j++) S += o[j];
            if (S < eps) S = eps;
            double q = o[t] / S;
            q = q < eps ? eps : q > 1 - eps ? 1 - eps : q;
            loss -= log(q);
            if (gr) {
                double ot = o[t] > eps ? o[t] : eps;
                for (int64_t j = 0; j < K; j++) gr[j] = (float)((1.0 / S - (j == t ? 1.0 / ot : 0.0)) * scale);
            }
        }
    }
    if (correct) *correct = right;
    return loss;
}

/* ---------------------------------------------------------------- shards */

#define NN_SHARD 16 /* rows per shard in training (fixed: the result does not depend on threads) */
#define NN_TASK 16384 /* parameters per block in phase 2 */

/* Layer i pools the output of a ReLU convolution: its backward can apply the
 * ReLU's mask (the pooled value > 0), sparing a pass over the larger map. */
static int relu_pool(const ml_nn *net, int i)
{
    return net->L[i].s.kind == ML_NN_MAXPOOL2D && i > 0 && net->L[i - 1].s.kind == ML_NN_CONV2D &&
           net->L[i - 1].s.act == ML_ACT_RELU;
}

/* Rows per shard in inference: as many as keep a shard's buffers within a
 * few MB (cache, and the memory cap), at most 128; not the thread count's
 * business, so that predictions are the same on any number of threads. */
static int64_t eval_shard(const ml_nn *net)
{
    int64_t row = net->L[net->n - 1].out_size;
    for (int i = 0; i < net->n; i++)
        row += (net->L[i].pool_next ? 0 : net->L[i].out_size) + net->L[i].cols_row + net->L[i].scratch_row;
    int64_t sh = ((int64_t)4 << 20) / (4 * (row > 0 ? row : 1));
    return sh < 4 ? 4 : sh > 128 ? 128 : sh;
}

/* Rows to copy into a batch's buffers first: batch row r is source row
 * idx[r] (fit's shuffled order).  Each shard copies its own rows, in
 * parallel, into the cache of the core that will use them. */
typedef struct nn_gather {
    const float *x, *y;
    const int64_t *idx;
} nn_gather;

typedef struct shard_ctx {
    ml_nn *net;
    const nn_gather *gather;
    const float *x, *y;
    int64_t B, sh;
    int nsh;
    int training, backward, need_gx;
    int per_worker; /* inference: slot = worker, else slot = shard */
    uint64_t seed, step;
    float *out;
    int next;       /* the next shard to take */
} shard_ctx;

/* Phase 1: each taker of shards works them through until none is left. */
static void shard_task(void *vctx, int64_t b, int64_t e, int worker)
{
    (void)b, (void)e;
    shard_ctx *c = vctx;
    ml_nn *net = c->net;
    const int64_t d = net->in_size, K = ml_nn_output_size(net);
    for (;;) {
        int s = __atomic_fetch_add(&c->next, 1, __ATOMIC_RELAXED);
        if (s >= c->nsh) break;
        nn_ws *w = &net->ws[c->per_worker ? worker : s];
        int64_t r0 = s * c->sh, n = c->B - r0 < c->sh ? c->B - r0 : c->sh;
        if (c->gather)
            for (int64_t r = r0; r < r0 + n; r++) {
                const int64_t k = c->gather->idx[r];
                memcpy((float *)c->x + r * d, c->gather->x + k * d, sizeof(float) * (size_t)d);
                ((float *)c->y)[r] = c->gather->y[k];
            }
        if (c->training) ml_rng_seed_stream(&w->rng, c->seed, 2 + (c->step << 12) + (uint64_t)s);
        const float *out = forward(net, w, c->x + r0 * d, n, c->training);
        if (c->out) memcpy(c->out + r0 * K, out, sizeof(float) * (size_t)(n * K));
        net->sh_loss[s] = 0, net->sh_correct[s] = 0, w->gx = NULL;
        if (!c->y) continue;
        int fused = 0;
        net->sh_loss[s] = xent(net, out, c->y + r0, n, c->backward ? w->gout : NULL, 1.0f / (float)c->B, &fused,
                               &net->sh_correct[s]);
        if (!c->backward) continue;
        float *g = w->gout;
        const int last = c->need_gx ? 0 : net->first_param; /* below it nothing to learn */
        int masked = 0; /* the layer below the pooling: its ReLU's mask already applied */
        for (int i = net->n - 1; i >= last && g; i--) {
            const int mask_below = i > last && relu_pool(net, i);
            g = layer_backward(net, &net->L[i], &w->lb[i], w, g, n, i > last || c->need_gx,
                               (fused && i == net->n - 1) || masked, mask_below);
            masked = mask_below;
        }
        w->gx = g;
    }
}

/* The parameter blocks of phase 2, largest first. */
static ml_status build_tasks(ml_nn *net)
{
    int cap = 0, n = 0;
    for (int pass = 0; pass < 2; pass++) {
        n = 0;
        for (int i = 0; i < net->n; i++) {
            const nn_layer *l = &net->L[i];
            if (l->w_n == 0 && l->b_n == 0) continue;
            if (l->s.kind == ML_NN_DENSE) {
                int64_t o = l->s.units, rows = NN_TASK / o > 0 ? NN_TASK / o : 1;
                for (int64_t r = 0; r < l->in_size; r += rows) {
                    int64_t r1 = r + rows < l->in_size ? r + rows : l->in_size;
                    if (pass) net->tasks[n] = (nn_task){i, NN_T_DENSE_W, l->w_off + r * o, (r1 - r) * o, r, r1};
                    n++;
                }
                if (l->b_n) {
                    if (pass) net->tasks[n] = (nn_task){i, NN_T_DENSE_B, l->b_off, l->b_n, 0, 0};
                    n++;
                }
                continue;
            }
            /* kernel and bias apart: the weight penalty is on the kernel only */
            for (int part = 0; part < 2; part++) {
                int64_t off = part ? l->b_off : l->w_off, cnt = part ? l->b_n : l->w_n;
                for (int64_t j = 0; j < cnt; j += NN_TASK) {
                    int64_t len = cnt - j < NN_TASK ? cnt - j : NN_TASK;
                    if (pass) net->tasks[n] = (nn_task){i, NN_T_SUM, off + j, len, 0, 0};
                    n++;
                }
            }
        }
        if (!pass) {
            cap = n;
            free(net->tasks);
            if (!(net->tasks = malloc(sizeof(nn_task) * (size_t)(cap + 1))))
                return ml_fail(ML_ENOMEM, "model: out of memory");
        }
    }
    /* largest first (stable), so that the threads end together */
    for (int a = 1; a < n; a++) {
        nn_task t = net->tasks[a];
        int b = a;
        for (; b > 0 && net->tasks[b - 1].n < t.n; b--) net->tasks[b] = net->tasks[b - 1];
        net->tasks[b] = t;
    }
    net->ntasks = n;
    return ML_OK;
}

typedef struct opt_ctx {
    ml_nn *net;
    float alpha; /* Adam's bias-corrected step */
} opt_ctx;
static void opt_task(void *vctx, int64_t b, int64_t e, int worker);

typedef struct phase2_ctx {
    ml_nn *net;
    int64_t B;
    int nsh, step;
    opt_ctx oc;
    int next;
} phase2_ctx;

static void phase2_task(void *vctx, int64_t b, int64_t e, int worker)
{
    (void)b, (void)e, (void)worker;
    phase2_ctx *c = vctx;
    ml_nn *net = c->net;
    for (;;) {
        int k = __atomic_fetch_add(&c->next, 1, __ATOMIC_RELAXED);
        if (k >= net->ntasks) break;
        const nn_task *t = &net->tasks[k];
        const nn_layer *l = &net->L[t->layer];
        float *restrict g = net->grads + t->off;
        if (t->kind == NN_T_DENSE_W) {
            /* the slots' rows follow one another: slot 0's pointers see the whole batch */
            const nn_lbuf *lb = &net->ws[0].lb[t->layer];
            int64_t o = l->s.units, in = l->in_size;
            ml_gemm(1, 0, t->r1 - t->r0, o, c->B, 1, lb->x + t->r0, in, lb->gin, o, 0, g, o);
        } else if (t->kind == NN_T_DENSE_B) {
            col_sums(net->ws[0].lb[t->layer].gin, c->B, l->s.units, g);
        } else {
            memcpy(g, net->ws[0].grads + t->off, sizeof(float) * (size_t)t->n);
            for (int s = 1; s < c->nsh; s++) {
                const float *restrict gs = net->ws[s].grads + t->off;
                for (int64_t j = 0; j < t->n; j++) g[j] += gs[j];
            }
        }
        if (l->s.l2 > 0 && l->s.kind != ML_NN_BATCHNORM && t->off < l->w_off + l->w_n) {
            const float *restrict w = net->params + t->off;
            const float k2 = 2 * l->s.l2;
            for (int64_t j = 0; j < t->n; j++) g[j] += k2 * w[j];
        }
        if (c->step) opt_task(&c->oc, t->off, t->off + t->n, 0);
    }
}

/* One pass over B rows: forward, and with `backward` the gradients into
 * net->grads (L2 included), and with `step` the optimiser's update.
 * Returns the summed loss (without L2) and the number right. */
static ml_status run_batch(ml_nn *net, const nn_gather *gather, const float *x, const float *y, int64_t B,
                           int training, int backward, int step, int need_gx, uint64_t seed, float *out, double *loss,
                           int64_t *correct)
{
    const int threads = ml_get_threads();
    int64_t sh;
    if (backward || training) sh = net->has_bn ? B : NN_SHARD;
    else sh = eval_shard(net);
    if (sh > B) sh = B;
    if (sh < 1) sh = 1;
    int nsh = (int)((B + sh - 1) / sh), per_worker = !backward && !training;
    int workers = nsh < threads ? nsh : threads;
    ml_status st = ensure_ws(net, per_worker ? workers : nsh, sh);
    if (st) return st;
    if (nsh > net->sh_cap) {
        free(net->sh_loss), free(net->sh_correct);
        net->sh_loss = malloc(sizeof(double) * (size_t)nsh);
        net->sh_correct = malloc(sizeof(int64_t) * (size_t)nsh);
        net->sh_cap = net->sh_loss && net->sh_correct ? nsh : 0;
        if (!net->sh_cap) return ml_fail(ML_ENOMEM, "model: out of memory");
    }
    if (backward && !net->tasks && (st = build_tasks(net))) return st;
    shard_ctx c = {net, gather, x, y, B, sh, nsh, training, backward, need_gx, per_worker, seed, (uint64_t)net->t,
                   out, 0};
    ml_parallel_for(workers, 1, shard_task, &c);
    double ls = 0;
    int64_t right = 0;
    for (int s = 0; s < nsh; s++) ls += net->sh_loss[s], right += net->sh_correct[s];
    if (backward) {
        phase2_ctx p = {net, B, nsh, step && net->compiled, {net, 0}, 0};
        if (p.step) {
            net->t++;
            if (net->opt.kind == ML_OPT_ADAM)
                p.oc.alpha = (float)(net->opt.learning_rate * sqrt(1 - pow(net->opt.beta_2, (double)net->t)) /
                                     (1 - pow(net->opt.beta_1, (double)net->t)));
        }
        ml_parallel_for(net->ntasks < threads ? net->ntasks : threads, 1, phase2_task, &p);
    }
    if (loss) *loss = ls;
    if (correct) *correct = right;
    return ML_OK;
}

ml_status ml_nn_loss_grad(ml_nn *net, const float *x, const float *y, int64_t b, int training, uint64_t dropout_seed,
                          double *loss, float *grad, float *gx)
{
    /* dropout only when asked */
    float saved[64];
    int ns = 0;
    for (int i = 0; i < net->n && ns < 64; i++)
        if (net->L[i].s.kind == ML_NN_DROPOUT) {
            saved[ns++] = net->L[i].s.rate;
            if (!dropout_seed) net->L[i].s.rate = 0;
        }
    int64_t t = net->t;
    net->t = 0;
    double l = 0;
    ml_status st = run_batch(net, NULL, x, y, b, training, 1, 0, gx != NULL, dropout_seed, NULL, &l, NULL);
    net->t = t;
    ns = 0;
    for (int i = 0; i < net->n && ns < 64; i++)
        if (net->L[i].s.kind == ML_NN_DROPOUT) net->L[i].s.rate = saved[ns++];
    if (st) return st;
    *loss = l / (double)b + reg_loss(net);
    if (grad) memcpy(grad, net->grads, sizeof(float) * (size_t)net->np);
    if (gx) {
        int64_t sh = net->has_bn ? b : NN_SHARD, d = net->in_size;
        for (int64_t s = 0; s * sh < b; s++) {
            int64_t n = b - s * sh < sh ? b - s * sh : sh;
            memcpy(gx + s * sh * d, net->ws[s].gx, sizeof(float) * (size_t)(n * d));
        }
    }
    return ML_OK;
}

/* ---------------------------------------------------------------- optimisers */

void ml_nn_optimizer_init(ml_nn_optimizer *o, ml_nn_opt_kind kind)
{
    memset(o, 0, sizeof *o);
    o->kind = kind;
    o->learning_rate = kind == ML_OPT_SGD ? 0.01 : 1e-3;
    o->beta_1 = 0.9;
    o->beta_2 = 0.999;
    o->rho = 0.9;
    o->epsilon = 1e-7;
}

ml_status ml_nn_compile(ml_nn *net, int from_logits, const ml_nn_optimizer *opt)
{
    if (!(opt->learning_rate > 0))
        return ml_fail(ML_EINVAL, "optimizer: learning_rate must be > 0, got %g", opt->learning_rate);
    if (opt->momentum < 0 || opt->momentum >= 1)
        return ml_fail(ML_EINVAL, "optimizer: momentum must be in [0, 1), got %g", opt->momentum);
    if (opt->kind == ML_OPT_ADAM && (!(opt->beta_1 >= 0 && opt->beta_1 < 1) || !(opt->beta_2 >= 0 && opt->beta_2 < 1)))
        return ml_fail(ML_EINVAL, "Adam: beta_1 and beta_2 must be in [0, 1)");
    if (opt->kind == ML_OPT_RMSPROP && !(opt->rho >= 0 && opt->rho < 1))
        return ml_fail(ML_EINVAL, "RMSprop: rho must be in [0, 1), got %g", opt->rho);
    if (!(opt->epsilon > 0)) return ml_fail(ML_EINVAL, "optimizer: epsilon must be > 0, got %g", opt->epsilon);
    float *m = calloc((size_t)net->np + 1, sizeof(float)), *v = calloc((size_t)net->np + 1, sizeof(float));
    if (!m || !v) {
        free(m), free(v);
        return ml_fail(ML_ENOMEM, "compile: out of memory");
    }
    free(net->m), free(net->v);
    net->m = m, net->v = v;
    net->t = 0;
    net->opt = *opt;
    net->from_logits = from_logits != 0;
    net->compiled = 1;
    net->warning[0] = 0;
    ml_nn_act out = output_act(net);
    if (from_logits && out == ML_ACT_SOFTMAX)
        snprintf(net->warning, sizeof net->warning,
                 "compile: from_logits = true, but the output layer %s already applies a softmax: the loss "
                 "will apply a second one (use activation = \"linear\" or from_logits = false)",
                 net->L[net->n - 1].s.name);
    else if (!from_logits && (out == ML_ACT_LINEAR || out == ML_ACT_RELU || out == ML_ACT_TANH))
        /* the reverse mistake, as common: scores read as probabilities, and
         * the network does not learn (Keras trains it silently) */
        snprintf(net->warning, sizeof net->warning,
                 "compile: the output layer %s gives scores, not probabilities (activation \"%s\"), but the "
                 "loss reads probabilities (from_logits = false): use activation = \"softmax\" or "
                 "from_logits = true",
                 net->L[net->n - 1].s.name, ml_nn_act_name(out));
    return ML_OK;
}

int ml_nn_compiled(const ml_nn *net) { return net->compiled; }
const char *ml_nn_warning(const ml_nn *net) { return net->warning; }
void ml_nn_get_compile(const ml_nn *net, int *from_logits, ml_nn_optimizer *opt)
{
    if (from_logits) *from_logits = net->from_logits;
    if (opt) *opt = net->opt;
}

#ifdef NN_HAVE_AVX
/* Adam over [b, e) eight at a time on CPUs with AVX; returns where it stopped.
 * The same operations as the SSE and scalar loops, so the same results. */
__attribute__((target("avx"))) static int64_t adam_avx(float *restrict p, float *restrict m, float *restrict v,
                                                       const float *restrict g, int64_t b, int64_t e, float b1,
                                                       float b2, float alpha, float eps)
{
    const __m256 vb1 = _mm256_set1_ps(b1), vb1c = _mm256_set1_ps(1 - b1), vb2 = _mm256_set1_ps(b2),
                 vb2c = _mm256_set1_ps(1 - b2), va = _mm256_set1_ps(alpha), ve = _mm256_set1_ps(eps);
    for (; b + 8 <= e; b += 8) {
        __m256 gi = _mm256_loadu_ps(g + b);
        __m256 mi = _mm256_add_ps(_mm256_mul_ps(vb1, _mm256_loadu_ps(m + b)), _mm256_mul_ps(vb1c, gi));
        __m256 vi =
            _mm256_add_ps(_mm256_mul_ps(vb2, _mm256_loadu_ps(v + b)), _mm256_mul_ps(vb2c, _mm256_mul_ps(gi, gi)));
        _mm256_storeu_ps(m + b, mi);
        _mm256_storeu_ps(v + b, vi);
        __m256 step = _mm256_div_ps(_mm256_mul_ps(va, mi), _mm256_add_ps(_mm256_sqrt_ps(vi), ve));
        _mm256_storeu_ps(p + b, _mm256_sub_ps(_mm256_loadu_ps(p + b), step));
    }
    return b;
}
#endif

/* The update of parameters [b, e): element-wise, so any split gives the same result. */
static void opt_task(void *vctx, int64_t b, int64_t e, int worker)
{
    (void)worker;
    const opt_ctx *c = vctx;
    ml_nn *net = c->net;
    const ml_nn_optimizer *o = &net->opt;
    float *restrict p = net->params, *restrict m = net->m, *restrict v = net->v;
    const float *restrict g = net->grads;
    const float lr = (float)o->learning_rate, eps = (float)o->epsilon;
    switch (o->kind) {
    case ML_OPT_ADAM: {
        const float b1 = (float)o->beta_1, b2 = (float)o->beta_2, alpha = c->alpha;
#ifdef NN_HAVE_AVX
        if (ml_simd_allowed() && __builtin_cpu_supports("avx")) b = adam_avx(p, m, v, g, b, e, b1, b2, alpha, eps);
#endif
#if defined(__SSE2__)
        /* sqrtf() keeps errno semantics, which stops the vectoriser: SSE by hand */
        const __m128 vb1 = _mm_set1_ps(b1), vb1c = _mm_set1_ps(1 - b1), vb2 = _mm_set1_ps(b2),
                     vb2c = _mm_set1_ps(1 - b2), va = _mm_set1_ps(alpha), ve = _mm_set1_ps(eps);
        for (; b + 4 <= e; b += 4) {
            __m128 gi = _mm_loadu_ps(g + b);
            __m128 mi = _mm_add_ps(_mm_mul_ps(vb1, _mm_loadu_ps(m + b)), _mm_mul_ps(vb1c, gi));
            __m128 vi = _mm_add_ps(_mm_mul_ps(vb2, _mm_loadu_ps(v + b)), _mm_mul_ps(vb2c, _mm_mul_ps(gi, gi)));
            _mm_storeu_ps(m + b, mi);
            _mm_storeu_ps(v + b, vi);
            __m128 step = _mm_div_ps(_mm_mul_ps(va, mi), _mm_add_ps(_mm_sqrt_ps(vi), ve));
            _mm_storeu_ps(p + b, _mm_sub_ps(_mm_loadu_ps(p + b), step));
        }
#endif
        for (int64_t i = b; i < e; i++) {
            float gi = g[i];
            float mi = b1 * m[i] + (1 - b1) * gi;
            float vi = b2 * v[i] + (1 - b2) * gi * gi;
            m[i] = mi, v[i] = vi;
            p[i] -= alpha * mi / (sqrtf(vi) + eps);
        }
        break;
    }
    case ML_OPT_SGD: {
        const float mu = (float)o->momentum;
        if (mu == 0) {
            for (int64_t i = b; i < e; i++) p[i] -= lr * g[i];
        } else if (o->nesterov) {
            for (int64_t i = b; i < e; i++) {
                float mi = mu * m[i] - lr * g[i];
                m[i] = mi;
                p[i] += mu * mi - lr * g[i];
            }
        } else {
            for (int64_t i = b; i < e; i++) {
                float mi = mu * m[i] - lr * g[i];
                m[i] = mi;
                p[i] += mi;
            }
        }
        break;
    }
    case ML_OPT_RMSPROP: {
        const float rho = (float)o->rho, mu = (float)o->momentum;
        for (int64_t i = b; i < e; i++) {
            float vi = rho * v[i] + (1 - rho) * g[i] * g[i];
            v[i] = vi;
            float inc = lr * g[i] / (sqrtf(vi) + eps);
            if (mu > 0) {
                m[i] = mu * m[i] + inc;
                p[i] -= m[i];
            } else {
                p[i] -= inc;
            }
        }
        break;
    }
    }
}

/* ---------------------------------------------------------------- labels, inputs */

static ml_status check_xy(const ml_nn *net, const ml_tensor *X, const ml_tensor *y, const char *xn, const char *yn)
{
    char buf[64], want[96];
    int64_t rs = X->ndim >= 2 ? ml_tensor_rowsize(X) : 0;
    if (rs != net->in_size) {
        nn_fmt_shape(want, sizeof want, net->in_nd, net->in_shape);
        return ml_fail(ML_EINVAL, "%s: shape %s does not fit the model's input %s (%lld values per row)", xn,
                       ml_tensor_shape_str(X, buf, sizeof buf), want, (long long)net->in_size);
    }
    if (!y) return ML_OK;
    if (ml_tensor_numel(y) != X->shape[0])
        return ml_fail(ML_EINVAL, "%s: %lld labels for %lld rows of %s", yn, (long long)ml_tensor_numel(y),
                       (long long)X->shape[0], xn);
    int64_t K = ml_nn_output_size(net);
    for (int64_t i = 0; i < X->shape[0]; i++) {
        float v = y->data[i];
        if (!(v >= 0 && v < (float)K) || v != floorf(v))
            return ml_fail(ML_EINVAL,
                           "%s: label %g (row %lld) is out of range for the output layer %s (%lld units): labels "
                           "must be integers in 0..%lld",
                           yn, v, (long long)i + 1, net->L[net->n - 1].s.name, (long long)K, (long long)K - 1);
    }
    return ML_OK;
}

/* ---------------------------------------------------------------- inference */

static ml_status run_eval(ml_nn *net, const ml_tensor *X, const ml_tensor *y, float *out, double *loss,
                          int64_t *correct, const ml_progress *p)
{
    const int64_t n = X->shape[0], chunk = 256, K = ml_nn_output_size(net);
    ml_status st = ML_OK;
    double ls = 0;
    int64_t right = 0;
    for (int64_t s = 0; s < n; s += chunk) {
        int64_t b = n - s < chunk ? n - s : chunk, c = 0;
        double l = 0;
        if ((s / chunk) % 8 == 0 && (st = ml_progress_update(p, "predict", s, n))) return st;
        if ((st = run_batch(net, NULL, X->data + s * net->in_size, y ? y->data + s : NULL, b, 0, 0, 0, 0, 0,
                            out ? out + s * K : NULL, &l, &c)))
            return st;
        ls += l, right += c;
    }
    if (loss) *loss = n ? ls / (double)n + reg_loss(net) : NAN;
    if (correct) *correct = right;
    return ML_OK;
}

ml_status ml_nn_predict(ml_nn *net, const ml_tensor *X, ml_tensor **out, const ml_progress *p)
{
    *out = NULL;
    ml_status st = check_xy(net, X, NULL, "X", "y");
    if (st) return st;
    ml_tensor *t = ml_tensor_new2(X->shape[0], ml_nn_output_size(net));
    if (!t) return ML_ENOMEM;
    if ((st = run_eval(net, X, NULL, t->data, NULL, NULL, p))) {
        ml_tensor_free(t);
        return st;
    }
    *out = t;
    return ML_OK;
}

ml_status ml_nn_evaluate(ml_nn *net, const ml_tensor *X, const ml_tensor *y, double *loss, double *accuracy,
                         const ml_progress *p)
{
    if (!net->compiled) return ml_fail(ML_ESTATE, "evaluate: the model is not compiled: call compile{...} first");
    ml_status st = check_xy(net, X, y, "X", "y");
    if (st) return st;
    int64_t right = 0;
    if ((st = run_eval(net, X, y, NULL, loss, &right, p))) return st;
    if (accuracy) *accuracy = X->shape[0] ? (double)right / (double)X->shape[0] : NAN;
    return ML_OK;
}

/* ---------------------------------------------------------------- training */

void ml_nn_fit_opts_init(ml_nn_fit_opts *o)
{
    memset(o, 0, sizeof *o);
    o->epochs = 1;
    o->batch_size = 32;
    o->shuffle = 1;
    o->es_patience = -1;
    snprintf(o->es_monitor, sizeof o->es_monitor, "val_loss");
    snprintf(o->ck_monitor, sizeof o->ck_monitor, "val_loss");
}

void ml_nn_history_free(ml_nn_history *h)
{
    if (!h) return;
    free(h->loss), free(h->accuracy), free(h->val_loss), free(h->val_accuracy);
    memset(h, 0, sizeof *h);
}

static int hist_push(ml_nn_history *h, const ml_nn_logs *lg)
{
    if (h->n == h->cap) {
        int cap = h->cap ? h->cap * 2 : 16;
        double *a = realloc(h->loss, sizeof(double) * (size_t)cap);
        if (a) h->loss = a;
        double *b = realloc(h->accuracy, sizeof(double) * (size_t)cap);
        if (b) h->accuracy = b;
        double *c = realloc(h->val_loss, sizeof(double) * (size_t)cap);
        if (c) h->val_loss = c;
        double *d = realloc(h->val_accuracy, sizeof(double) * (size_t)cap);
        if (d) h->val_accuracy = d;
        if (!a || !b || !c || !d) return -1;
        h->cap = cap;
    }
    h->loss[h->n] = lg->loss, h->accuracy[h->n] = lg->accuracy;
    h->val_loss[h->n] = lg->val_loss, h->val_accuracy[h->n] = lg->val_accuracy;
    h->n++;
    return 0;
}

ml_status ml_nn_train_batch(ml_nn *net, const float *x, const float *y, int64_t b, uint64_t seed, double *loss)
{
    if (!net->compiled) return ml_fail(ML_ESTATE, "fit: the model is not compiled: call compile{...} first");
    double l = 0;
    ml_status st = run_batch(net, NULL, x, y, b, 1, 1, 1, 0, seed, NULL, &l, NULL);
    if (st) return st;
    if (loss) *loss = l / (double)b + reg_loss(net);
    return ML_OK;
}

static double monitor_value(const char *name, const ml_nn_logs *lg, int *maximise)
{
    *maximise = strstr(name, "acc") != NULL;
    if (strcmp(name, "loss") == 0) return lg->loss;
    if (strcmp(name, "accuracy") == 0) return lg->accuracy;
    if (strcmp(name, "val_accuracy") == 0) return lg->val_accuracy;
    return lg->val_loss;
}

static ml_status check_monitor(const char *what, const char *name, int has_val)
{
    static const char *const ok[] = {"loss", "accuracy", "val_loss", "val_accuracy"};
    int found = 0;
    for (int i = 0; i < 4; i++) found |= strcmp(ok[i], name) == 0;
    if (!found)
        return ml_fail(ML_EINVAL, "%s: monitor '%s' is unknown (loss, accuracy, val_loss, val_accuracy)", what, name);
    if (!has_val && strncmp(name, "val_", 4) == 0)
        return ml_fail(ML_EINVAL, "%s: monitor '%s' needs validation data (validation_split or validation_data)",
                       what, name);
    return ML_OK;
}

static double now_s(void);

ml_status ml_nn_fit(ml_nn *net, const ml_tensor *X, const ml_tensor *y, const ml_nn_fit_opts *o, ml_nn_history *h,
                    const ml_progress *p)
{
    memset(h, 0, sizeof *h);
    h->stopped_epoch = h->best_epoch = -1;
    if (!net->compiled) return ml_fail(ML_ESTATE, "fit: the model is not compiled: call compile{...} first");
    if (o->batch_size < 1) return ml_fail(ML_EINVAL, "batch_size: must be >= 1, got %lld", (long long)o->batch_size);
    if (o->epochs < 0) return ml_fail(ML_EINVAL, "epochs: must be >= 0, got %d", o->epochs);
    if (!(o->validation_split >= 0 && o->validation_split < 1))
        return ml_fail(ML_EINVAL, "validation_split: must be in [0, 1), got %g", o->validation_split);
    ml_status st = check_xy(net, X, y, "X", "y");
    if (st) return st;
    int64_t n = X->shape[0], n_train = n;
    ml_tensor *xv = NULL, *yv = NULL;
    if (o->x_val || o->y_val) {
        if (!o->x_val || !o->y_val) return ml_fail(ML_EINVAL, "validation_data: needs both X and y");
        if ((st = check_xy(net, o->x_val, o->y_val, "validation_data X", "validation_data y"))) return st;
        xv = ml_tensor_reshape(o->x_val, 2, (int64_t[]){o->x_val->shape[0], net->in_size});
        yv = ml_tensor_reshape(o->y_val, 1, (int64_t[]){o->x_val->shape[0]});
    } else if (o->validation_split > 0) {
        n_train = (int64_t)((double)n * (1 - o->validation_split));
        if (n_train < 1 || n_train >= n) {
            return ml_fail(ML_EINVAL, "validation_split: %g of %lld rows leaves an empty part", o->validation_split,
                           (long long)n);
        }
        ml_tensor *x2 = ml_tensor_reshape(X, 2, (int64_t[]){n, net->in_size});
        xv = x2 ? ml_tensor_view_rows(x2, n_train, n - n_train) : NULL;
        ml_tensor_free(x2);
        ml_tensor *y1 = ml_tensor_reshape(y, 1, (int64_t[]){n});
        yv = y1 ? ml_tensor_view_rows(y1, n_train, n - n_train) : NULL;
        ml_tensor_free(y1);
    }
    int has_val = xv != NULL;
    if ((o->x_val || o->validation_split > 0) && (!xv || !yv)) {
        ml_tensor_free(xv), ml_tensor_free(yv);
        return ML_ENOMEM;
    }
    if (n_train < 1) {
        ml_tensor_free(xv), ml_tensor_free(yv);
        return ml_fail(ML_EINVAL, "X: no rows to train on");
    }
    if ((o->es_patience >= 0 && (st = check_monitor("EarlyStopping", o->es_monitor, has_val))) ||
        (o->ck_path[0] && (st = check_monitor("ModelCheckpoint", o->ck_monitor, has_val)))) {
        ml_tensor_free(xv), ml_tensor_free(yv);
        return st;
    }
    const int64_t B = o->batch_size < n_train ? o->batch_size : n_train;
    const int64_t steps = (n_train + B - 1) / B, d = net->in_size;
    int64_t *idx = malloc(sizeof(int64_t) * (size_t)n_train);
    float *xb = malloc(sizeof(float) * (size_t)(B * d)), *yb = malloc(sizeof(float) * (size_t)B);
    float *best = NULL;
    if (o->es_patience >= 0 && o->es_restore_best) best = malloc(sizeof(float) * (size_t)(net->np + net->ns + 1));
    if (!idx || !xb || !yb || (o->es_patience >= 0 && o->es_restore_best && !best)) {
        free(idx), free(xb), free(yb), free(best);
        ml_tensor_free(xv), ml_tensor_free(yv);
        return st ? st : ml_fail(ML_ENOMEM, "fit: out of memory");
    }
    for (int64_t i = 0; i < n_train; i++) idx[i] = i;
    ml_rng rs;
    ml_rng_seed_stream(&rs, o->seed, 1);
    double es_best = 0, ck_best = 0;
    int es_wait = 0, have_es_best = 0, have_ck_best = 0;
    char stage[64];
    st = ML_OK;
    for (int ep = 0; ep < o->epochs && st == ML_OK; ep++) {
        double t0 = now_s();
        if (o->shuffle) ml_rng_shuffle(&rs, idx, n_train);
        snprintf(stage, sizeof stage, "epoch %d/%d", ep + 1, o->epochs);
        double lsum = 0;
        int64_t right = 0;
        for (int64_t s = 0; s < steps; s++) {
            if ((st = ml_progress_update(p, stage, s, steps))) {
                h->interrupted = 1;
                h->interrupted_batch = s;
                break;
            }
            int64_t b0 = s * B, b = n_train - b0 < B ? n_train - b0 : B;
            const nn_gather gat = {X->data, y->data, idx + b0}; /* copied into xb, yb by the shards */
            int64_t c = 0;
            double l = 0;
            if ((st = run_batch(net, &gat, xb, yb, b, 1, 1, 1, 0, o->seed, NULL, &l, &c))) break;
            lsum += l;
            right += c;
            h->run_loss = lsum / (double)(b0 + b);
            h->run_accuracy = (double)right / (double)(b0 + b);
        }
        if (st) {
            if (st != ML_ECANCELLED) h->interrupted = 0;
            break;
        }
        (void)ml_progress_update(p, stage, steps, steps);
        ml_nn_logs lg = {ep, o->epochs, steps, 0, lsum / (double)n_train + reg_loss(net),
                         (double)right / (double)n_train, NAN, NAN};
        if (has_val) {
            int64_t c = 0;
            if ((st = run_eval(net, xv, yv, NULL, &lg.val_loss, &c, NULL))) break;
            lg.val_accuracy = (double)c / (double)xv->shape[0];
        }
        lg.seconds = now_s() - t0;
        if (hist_push(h, &lg)) {
            st = ml_fail(ML_ENOMEM, "fit: out of memory");
            break;
        }
        h->has_val = has_val;
        int stop = 0;
        if (o->es_patience >= 0) {
            int mx;
            double v = monitor_value(o->es_monitor, &lg, &mx);
            int better = !have_es_best || (mx ? v > es_best + o->es_min_delta : v < es_best - o->es_min_delta);
            if (better) {
                es_best = v, have_es_best = 1, es_wait = 0;
                if (best) {
                    memcpy(best, net->params, sizeof(float) * (size_t)net->np);
                    memcpy(best + net->np, net->state, sizeof(float) * (size_t)net->ns);
                    h->best_epoch = ep;
                }
            } else if (++es_wait >= o->es_patience) {
                h->stopped_epoch = ep;
                stop = 1;
            }
        }
        if (o->ck_path[0]) {
            int mx;
            double v = monitor_value(o->ck_monitor, &lg, &mx);
            int better = !have_ck_best || (mx ? v > ck_best : v < ck_best);
            if (better) ck_best = v, have_ck_best = 1;
            if (!o->ck_save_best_only || better) {
                if ((st = ml_nn_save(net, o->ck_path))) break;
            }
        }
        if (o->on_epoch && o->on_epoch(o->ud, &lg)) stop = 1;
        if (stop) break;
    }
    if (best && h->best_epoch >= 0 && st != ML_ECANCELLED) {
        memcpy(net->params, best, sizeof(float) * (size_t)net->np);
        memcpy(net->state, best + net->np, sizeof(float) * (size_t)net->ns);
    }
    free(idx), free(xb), free(yb), free(best);
    ml_tensor_free(xv), ml_tensor_free(yv);
    return st;
}

#include <time.h>
static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}
