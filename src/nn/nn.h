/* mnistlab nn: a small, fast neural-network engine (no Lua, no terminal).
 *
 * A network is a chain of layers described by ml_nn_spec records (what Keras
 * calls a Sequential model; the functional form with one input and one output
 * reduces to the same chain).  Data are float32 rows; images are NHWC
 * (samples, height, width, channels), so an (n, 28, 28) tensor feeds an
 * Input of (28, 28, 1) unchanged.  Trainable parameters live in one flat
 * array, their gradients in another, so that an optimiser is one loop.
 * Every heavy product goes through ml_gemm(); convolution is im2col + GEMM.
 *
 * Determinism: the initial weights come from the model's seed, the shuffling
 * and the dropout masks from fit's seed, each through its own RNG stream;
 * reductions run in a fixed order, so a seed gives the same weights whatever
 * the thread count (up to BLAS's own float rounding). */
#ifndef ML_NN_NN_H
#define ML_NN_NN_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/progress.h"
#include "core/tensor.h"

typedef enum ml_nn_kind {
    ML_NN_INPUT,
    ML_NN_DENSE,
    ML_NN_CONV2D,
    ML_NN_MAXPOOL2D,
    ML_NN_FLATTEN,
    ML_NN_DROPOUT,
    ML_NN_BATCHNORM,
    ML_NN_ACTIVATION
} ml_nn_kind;

typedef enum ml_nn_act { ML_ACT_LINEAR, ML_ACT_RELU, ML_ACT_SIGMOID, ML_ACT_TANH, ML_ACT_SOFTMAX } ml_nn_act;

/* One layer's configuration, as the user wrote it.  ml_nn_spec_init() fills
 * Keras's defaults for a kind; then set what differs. */
typedef struct ml_nn_spec {
    ml_nn_kind kind;
    char name[48];          /* "" = automatic: dense, dense_1, conv2d, ... */
    int units;              /* Dense: output units; Conv2D: filters */
    int kernel[2];          /* Conv2D kernel size */
    int strides[2];         /* Conv2D / MaxPooling2D strides (pooling: 0 = pool size) */
    int same;               /* padding: 0 "valid", 1 "same" */
    int pool[2];            /* MaxPooling2D pool size */
    ml_nn_act act;          /* Dense, Conv2D, Activation */
    int use_bias;           /* Dense, Conv2D */
    float rate;             /* Dropout */
    float l2;               /* L2 penalty on the kernel: loss += l2 * sum(W^2) */
    float momentum, eps;    /* BatchNormalization */
    int ndim;               /* Input: 1..3 dims per sample */
    int64_t shape[3];
} ml_nn_spec;

void ml_nn_spec_init(ml_nn_spec *s, ml_nn_kind kind);
const char *ml_nn_kind_name(ml_nn_kind k);   /* "Dense", "Conv2D", ... */
const char *ml_nn_act_name(ml_nn_act a);     /* "relu", ... */
/* "relu" -> ML_ACT_RELU; ML_EINVAL naming the choices otherwise. */
ml_status ml_nn_act_parse(const char *s, ml_nn_act *a);

typedef struct ml_nn ml_nn; /* opaque */

/* Builds a network: specs[0] must be an Input.  Shapes are checked layer by
 * layer (a misfit names the layer and both shapes); weights are initialised
 * as Keras does (Glorot uniform kernels, zero biases, BN gamma 1 beta 0)
 * from `seed`. */
ml_status ml_nn_create(ml_nn **net, const ml_nn_spec *specs, int n, uint64_t seed);
void ml_nn_free(ml_nn *net);

/* Layers (the Input is not counted, as in Keras's summary). */
int ml_nn_n_layers(const ml_nn *net);
const ml_nn_spec *ml_nn_layer_spec(const ml_nn *net, int i); /* borrowed; name filled in */
/* Per-sample output shape of layer i (-1: the input), returns ndim. */
int ml_nn_layer_shape(const ml_nn *net, int i, int64_t *shape);
int64_t ml_nn_layer_params(const ml_nn *net, int i);       /* trainable + non-trainable */
int64_t ml_nn_count_params(const ml_nn *net);               /* everything */
int64_t ml_nn_trainable_params(const ml_nn *net);
int64_t ml_nn_input_size(const ml_nn *net);                 /* features per sample */
int64_t ml_nn_output_size(const ml_nn *net);                /* classes */
/* The trainable parameters (flat, layer after layer: kernel, bias, gamma,
 * beta) and the non-trainable state (BN moving mean and variance). */
float *ml_nn_params(ml_nn *net, int64_t *n);
float *ml_nn_state(ml_nn *net, int64_t *n);
/* Views of layer i's arrays: which = "kernel", "bias", "gamma", "beta",
 * "moving_mean", "moving_variance"; NULL when absent. */
float *ml_nn_layer_array(ml_nn *net, int i, const char *which, int64_t *n);

/* Keras's summary, as text (owned by the caller, free()).  title is the
 * model's name ("sequential"). */
char *ml_nn_summary(const ml_nn *net, const char *title);

/* ---- compile ---- */
typedef enum ml_nn_opt_kind { ML_OPT_SGD, ML_OPT_ADAM, ML_OPT_RMSPROP } ml_nn_opt_kind;
typedef struct ml_nn_optimizer {
    ml_nn_opt_kind kind;
    double learning_rate;   /* SGD 0.01, Adam 1e-3, RMSprop 1e-3 */
    double momentum;        /* SGD, RMSprop: 0 */
    int nesterov;           /* SGD */
    double beta_1, beta_2;  /* Adam: 0.9, 0.999 */
    double rho;             /* RMSprop: 0.9 */
    double epsilon;         /* 1e-7 */
} ml_nn_optimizer;
void ml_nn_optimizer_init(ml_nn_optimizer *o, ml_nn_opt_kind kind);

/* Loss: sparse categorical cross-entropy (the only one).  A softmax output
 * with from_logits = 1 compiles, with a warning (ml_nn_warning). */
ml_status ml_nn_compile(ml_nn *net, int from_logits, const ml_nn_optimizer *opt);
int ml_nn_compiled(const ml_nn *net);
const char *ml_nn_warning(const ml_nn *net); /* "" when none */
void ml_nn_get_compile(const ml_nn *net, int *from_logits, ml_nn_optimizer *opt);

/* ---- training ---- */
typedef struct ml_nn_logs {
    int epoch;             /* 0-based */
    int epochs;
    int64_t steps;         /* batches in the epoch */
    double seconds;
    double loss, accuracy;
    double val_loss, val_accuracy; /* NaN without validation data */
} ml_nn_logs;

/* Called after each epoch; a non-zero return stops training after it. */
typedef int (*ml_nn_epoch_fn)(void *ud, const ml_nn_logs *logs);

typedef struct ml_nn_fit_opts {
    int epochs;                  /* 1 */
    int64_t batch_size;          /* 32 */
    double validation_split;     /* 0: the last fraction of X is held out (as Keras) */
    const ml_tensor *x_val, *y_val; /* or explicit validation data */
    int shuffle;                 /* 1 */
    uint64_t seed;               /* shuffling and dropout */
    /* EarlyStopping (patience < 0: off) */
    int es_patience;
    char es_monitor[32];         /* "val_loss" (default), "loss", "accuracy", "val_accuracy" */
    double es_min_delta;
    int es_restore_best;
    /* ModelCheckpoint (path[0] == 0: off) */
    char ck_path[1024];
    char ck_monitor[32];
    int ck_save_best_only;
    ml_nn_epoch_fn on_epoch;
    void *ud;
} ml_nn_fit_opts;
void ml_nn_fit_opts_init(ml_nn_fit_opts *o);

/* Per-epoch history (grown by fit, freed by ml_nn_history_free). */
typedef struct ml_nn_history {
    int n, cap;
    double *loss, *accuracy, *val_loss, *val_accuracy;
    int has_val;
    int stopped_epoch;      /* EarlyStopping: the epoch it stopped at (0-based), -1 if not */
    int best_epoch;         /* the epoch whose weights were restored, -1 if none */
    int interrupted;        /* Ctrl-C or the progress callback */
    int64_t interrupted_batch;
    /* While fit runs, for a progress line: the mean loss (without the weight
     * penalty) and accuracy of the running epoch's batches so far. */
    double run_loss, run_accuracy;
} ml_nn_history;
void ml_nn_history_free(ml_nn_history *h);

/* X: n rows of ml_nn_input_size() values (any shape with that row size);
 * y: n labels in 0..classes-1.  Cancelling (Ctrl-C, the progress callback)
 * returns ML_ECANCELLED between batches with the weights of the last batch
 * and the history of the finished epochs. */
ml_status ml_nn_fit(ml_nn *net, const ml_tensor *X, const ml_tensor *y, const ml_nn_fit_opts *o, ml_nn_history *h,
                    const ml_progress *p);
/* One training step on a batch (used by tests): returns the batch loss. */
ml_status ml_nn_train_batch(ml_nn *net, const float *x, const float *y, int64_t b, uint64_t seed, double *loss);

/* Inference: probabilities (or logits, as the output layer gives) n x classes. */
ml_status ml_nn_predict(ml_nn *net, const ml_tensor *X, ml_tensor **out, const ml_progress *p);
/* Loss (with the L2 penalties, as Keras reports it) and accuracy. */
ml_status ml_nn_evaluate(ml_nn *net, const ml_tensor *X, const ml_tensor *y, double *loss, double *accuracy,
                         const ml_progress *p);

/* ---- gradients (tests) ---- */
/* Loss of a batch (training-mode forward with dropout off unless
 * dropout_seed != 0) and, when grad != NULL, the gradient of every trainable
 * parameter into grad (ml_nn_params order) and of the input into gx (may be
 * NULL).  Deterministic for a given dropout_seed. */
ml_status ml_nn_loss_grad(ml_nn *net, const float *x, const float *y, int64_t b, int training, uint64_t dropout_seed,
                          double *loss, float *grad, float *gx);

/* ---- files (core/modelfile.h container, kind "mnistlab.nn") ---- */
ml_status ml_nn_save(const ml_nn *net, const char *path);
ml_status ml_nn_load(ml_nn **net, const char *path);

#endif
