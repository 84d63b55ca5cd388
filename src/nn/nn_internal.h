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
    /* Conv2D: how it runs (NN_CONV_*), Winograd's tiles, the floats per
     * sample its kept (cols) and passing (scratch) buffers need */
    int conv_path, th, tw;
    int64_t cols_row, scratch_row;
    int pool_next;               /* Conv2D: computes the next layer's 2x2 pooling too */
    int pool_prev;               /* MaxPooling2D: computed by the convolution below */
} nn_layer;
enum { NN_CONV_GEMM, NN_CONV_1X1, NN_CONV_ONE_CHANNEL, NN_CONV_WINOGRAD };

/* One layer's buffers in one slot (see nn_ws). */
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
    float *gin;                  /* Dense, after backward: gradient wrt its pre-activation output */
    float *u;                    /* Conv2D, Winograd: the transformed kernel (16 x C x filters) */
    int dropped;                 /* Dropout active in this pass */
    int training;                /* BN: batch statistics in this pass */
} nn_lbuf;

/* A slot: the buffers one shard of a batch needs for forward and backward.
 * A batch is cut into shards of a fixed number of rows.  Training runs in two
 * phases: (1) each shard, on its own slot and in parallel, goes forward and
 * back, keeping the gradient wrt every layer's output, and the convolution
 * and normalisation layers' parameter gradients of the shard; (2) the
 * parameters, cut into fixed blocks (nn_task), are worked through in
 * parallel: a Dense kernel's gradient is one product over the whole batch
 * (the slots' rows lie one after the other in memory), the others are the
 * shards' gradients summed in shard order, then the weight penalty and the
 * optimiser's update of the block.  No result depends on which thread ran
 * what: the weights are the same whatever the number of threads.  In
 * inference a slot belongs to a thread, which runs shard after shard. */
typedef struct nn_ws {
    nn_lbuf *lb;                 /* one per layer */
    float *dcols;                /* Conv2D scratch (stride rows x the largest scratch_row) */
    float *wtmp;                 /* Winograd: the kernel's gradient (16 x C x filters), zeros, a sink */
    float *gout;                 /* gradient of the loss wrt the output */
    float *grads;                /* this shard's parameter gradients (Conv2D, BN) */
    float *gx;                   /* gradient wrt the input (borrowed) */
    ml_rng rng;                  /* dropout masks */
} nn_ws;

/* A block of parameters for phase 2 of a training step. */
typedef struct nn_task {
    int layer;
    int kind;                    /* NN_T_DENSE_W, NN_T_DENSE_B, NN_T_SUM */
    int64_t off, n;              /* parameters [off, off + n) */
    int64_t r0, r1;              /* NN_T_DENSE_W: kernel rows (inputs) r0..r1-1 */
} nn_task;
enum { NN_T_DENSE_W, NN_T_DENSE_B, NN_T_SUM };

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
    nn_ws *ws;                   /* slots */
    int nws;
    int64_t ws_rows;             /* rows the blocks below hold (all slots together) */
    nn_lbuf *blk;                /* per layer: the blocks the slots' buffers point into */
    float *blk_dcols, *blk_gout, *blk_grads, *blk_wtmp;
    int64_t dcols_row;           /* dcols floats per row */
    int64_t wtmp_n;              /* wtmp floats per slot */
    double *sh_loss;             /* per shard of the running pass */
    int64_t *sh_correct;
    int sh_cap;
    nn_task *tasks;              /* phase 2 of a training step */
    int ntasks;
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
/* ml_nn_create for a loader: want_np trainable parameters and want_ns state
 * values (-1: any), checked before anything is allocated; the weights are
 * left at zero when want_np >= 0. */
ml_status nn_create(ml_nn **out, const ml_nn_spec *specs, int n, uint64_t seed, int64_t want_np, int64_t want_ns);

#endif
