/* mnistlab nn: private layout shared by the engine's files. */
#ifndef ML_NN_INTERNAL_H
#define ML_NN_INTERNAL_H

#include "core/rng.h"
#include "nn/nn.h"

typedef struct nn_layer {
    ml_nn_spec s;
    int in_nd, out_nd;
    int64_t in[3], out[3];       /* per-sample shapes */
    int64_t in_size, out_size;
    int64_t w_off, w_n;          /* kernel (Dense, Conv2D) or gamma (BN) in params */
    int64_t b_off, b_n;          /* bias or beta */
    int64_t st_off, st_n;        /* BN moving mean then moving variance, in state */
    /* convolution / pooling geometry (NHWC) */
    int H, W, C, Ho, Wo, kh, kw, sh, sw, pad_t, pad_l;
    int64_t K;                   /* kh * kw * C */
} nn_layer;

/* One layer's buffers in one workspace, sized for ws_cap samples. */
typedef struct nn_lbuf {
    float *y;                    /* own output */
    float *dx;                   /* gradient of the input */
    float *cols;                 /* Conv2D: im2col of the shard */
    float *mask;                 /* Dropout */
    int32_t *arg;                /* MaxPooling2D: argmax per output */
    float *xhat;                 /* BN: normalised input */
    double *mean, *invstd, *sg;  /* BN: batch statistics (C each), sums (2C) */
    const float *x;              /* input of the current pass */
    float *outp;                 /* output of the current pass (y or x) */
    int dropped;                 /* Dropout active in this pass */
    int training;                /* BN: batch statistics in this pass */
} nn_lbuf;

/* A workspace: what one shard of a batch needs for forward and backward.
 * A batch is cut into shards of fixed size, each worked through on its own
 * (in parallel), and the shards' gradients are summed in shard order: the
 * result does not depend on the number of threads. */
typedef struct nn_ws {
    nn_lbuf *lb;                 /* one per layer */
    float *dcols;                /* Conv2D backward scratch */
    float *gout;                 /* gradient of the loss wrt the output */
    float *grads;                /* this shard's parameter gradients */
    float *gx;                   /* gradient wrt the input (borrowed) */
    ml_rng rng;                  /* dropout masks */
    double loss;
    int64_t correct;
} nn_ws;

struct ml_nn {
    ml_nn_spec input;
    int in_nd;
    int64_t in_shape[3], in_size;
    int n;
    nn_layer *L;
    float *params, *grads;
    int64_t np;
    float *state;
    int64_t ns;
    nn_ws *ws;
    int nws;
    int64_t ws_cap;
    int has_bn;                  /* batch statistics: one shard per batch */
    int first_param;             /* the first layer with parameters: backward stops there */
    /* compile */
    int compiled, from_logits;
    ml_nn_optimizer opt;
    float *m, *v;
    int64_t t;
    char warning[256];
};

/* nn.c */
int nn_fmt_shape(char *buf, size_t n, int nd, const int64_t *shape); /* "(None, 26, 26, 32)" */

#endif
