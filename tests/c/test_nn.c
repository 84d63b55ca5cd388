/* Neural networks: numerical gradient checks for every layer and loss,
 * learning on the bundled digits, save/load, Ctrl-C, determinism across
 * thread counts, and bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/blas.h"
#include "core/progress.h"
#include "core/rng.h"
#include "core/tensor.h"
#include "data/dataset.h"
#include "nn/nn.h"

/* ---- helpers ---- */

static ml_nn_spec input_spec(int nd, int64_t a, int64_t b, int64_t c)
{
    ml_nn_spec s;
    ml_nn_spec_init(&s, ML_NN_INPUT);
    s.ndim = nd;
    s.shape[0] = a, s.shape[1] = b, s.shape[2] = c;
    return s;
}

static ml_nn_spec dense(int units, ml_nn_act act)
{
    ml_nn_spec s;
    ml_nn_spec_init(&s, ML_NN_DENSE);
    s.units = units;
    s.act = act;
    return s;
}

static ml_nn_spec conv(int filters, int k, int stride, int same, ml_nn_act act)
{
    ml_nn_spec s;
    ml_nn_spec_init(&s, ML_NN_CONV2D);
    s.units = filters;
    s.kernel[0] = s.kernel[1] = k;
    s.strides[0] = s.strides[1] = stride;
    s.same = same;
    s.act = act;
    return s;
}

static ml_nn_spec simple(ml_nn_kind k)
{
    ml_nn_spec s;
    ml_nn_spec_init(&s, k);
    return s;
}

static void fill_uniform(float *x, int64_t n, uint64_t seed, float lo, float hi)
{
    ml_rng r;
    ml_rng_seed(&r, seed);
    for (int64_t i = 0; i < n; i++) x[i] = lo + (hi - lo) * ml_rng_uniformf(&r);
}

static ml_nn *build(const ml_nn_spec *specs, int n, int from_logits)
{
    ml_nn *net = NULL;
    assert_int_equal(ml_nn_create(&net, specs, n, 7), ML_OK);
    ml_nn_optimizer o;
    ml_nn_optimizer_init(&o, ML_OPT_ADAM);
    assert_int_equal(ml_nn_compile(net, from_logits, &o), ML_OK);
    return net;
}

/* Relative error between the analytic and the central-difference gradient
 * (all parameters, and the input when check_x), asserted below `tol`. */
static float gc_h = 1e-2f;
static void gradcheck(ml_nn *net, int64_t B, int training, uint64_t dseed, int check_x, double tol)
{
    int64_t d = ml_nn_input_size(net), K = ml_nn_output_size(net), np = 0;
    float *x = malloc(sizeof(float) * (size_t)(B * d)), *y = malloc(sizeof(float) * (size_t)B);
    fill_uniform(x, B * d, 11, -1, 1);
    for (int64_t i = 0; i < B; i++) y[i] = (float)(i % K);
    float *p = ml_nn_params(net, &np);
    float *g = malloc(sizeof(float) * (size_t)np), *gx = malloc(sizeof(float) * (size_t)(B * d));
    double loss, lp, lm;
    assert_int_equal(ml_nn_loss_grad(net, x, y, B, training, dseed, &loss, g, check_x ? gx : NULL), ML_OK);
    assert_true(isfinite(loss));
    const float h = gc_h;
    double num2 = 0, diff2 = 0, an2 = 0;
    for (int64_t j = 0; j < np; j++) {
        float keep = p[j];
        p[j] = keep + h;
        ml_nn_loss_grad(net, x, y, B, training, dseed, &lp, NULL, NULL);
        p[j] = keep - h;
        ml_nn_loss_grad(net, x, y, B, training, dseed, &lm, NULL, NULL);
        p[j] = keep;
        double num = (lp - lm) / (2.0 * h);
        num2 += num * num, an2 += (double)g[j] * g[j], diff2 += (num - g[j]) * (num - g[j]);
    }
    double rel = sqrt(diff2) / fmax(sqrt(num2), sqrt(an2));
    print_message("# params %lld: relative gradient error %.3g\n", (long long)np, rel);
    assert_true(an2 > 0);
    assert_true(rel < tol);
    if (check_x) {
        num2 = diff2 = an2 = 0;
        for (int64_t j = 0; j < B * d; j++) {
            float keep = x[j];
            x[j] = keep + h;
            ml_nn_loss_grad(net, x, y, B, training, dseed, &lp, NULL, NULL);
            x[j] = keep - h;
            ml_nn_loss_grad(net, x, y, B, training, dseed, &lm, NULL, NULL);
            x[j] = keep;
            double num = (lp - lm) / (2.0 * h);
            num2 += num * num, an2 += (double)gx[j] * gx[j], diff2 += (num - gx[j]) * (num - gx[j]);
        }
        rel = sqrt(diff2) / fmax(sqrt(num2), sqrt(an2));
        print_message("# input %lld: relative gradient error %.3g\n", (long long)(B * d), rel);
        assert_true(an2 > 0);
        assert_true(rel < tol);
    }
    free(x), free(y), free(g), free(gx);
}

/* ---- gradient checks ---- */

static void test_grad_dense_softmax_l2(void **state)
{
    (void)state;
    ml_nn_spec s[] = {input_spec(1, 6, 1, 1), dense(5, ML_ACT_TANH), dense(4, ML_ACT_SOFTMAX)};
    s[1].l2 = 0.05f;
    s[2].l2 = 0.01f;
    ml_nn *net = build(s, 3, 0);
    gradcheck(net, 5, 1, 0, 1, 1e-2);
    ml_nn_free(net);
}

static void test_grad_logits_sigmoid(void **state)
{
    (void)state;
    ml_nn_spec s[] = {input_spec(1, 7, 1, 1), dense(6, ML_ACT_SIGMOID), dense(3, ML_ACT_LINEAR)};
    ml_nn *net = build(s, 3, 1);
    assert_string_equal(ml_nn_warning(net), "");
    gradcheck(net, 4, 1, 0, 1, 1e-2);
    ml_nn_free(net);
}

static void test_grad_probabilities_relu(void **state)
{
    (void)state;
    /* a sigmoid output read as probabilities (normalised, as Keras does) */
    ml_nn_spec s[] = {input_spec(1, 5, 1, 1), dense(8, ML_ACT_RELU), dense(3, ML_ACT_SIGMOID)};
    ml_nn *net = build(s, 3, 0);
    gradcheck(net, 6, 1, 0, 1, 2e-2);
    ml_nn_free(net);
}

static void test_grad_softmax_from_logits_warns(void **state)
{
    (void)state;
    ml_nn_spec s[] = {input_spec(1, 4, 1, 1), dense(3, ML_ACT_SOFTMAX)};
    ml_nn *net = build(s, 2, 1);
    assert_non_null(strstr(ml_nn_warning(net), "softmax"));
    assert_non_null(strstr(ml_nn_warning(net), "dense"));
    gradcheck(net, 4, 1, 0, 1, 1e-2);
    ml_nn_free(net);
}

static void test_grad_conv_valid_pool(void **state)
{
    (void)state;
    ml_nn_spec s[] = {input_spec(3, 7, 7, 2), conv(3, 3, 1, 0, ML_ACT_TANH), simple(ML_NN_MAXPOOL2D),
                      simple(ML_NN_FLATTEN), dense(4, ML_ACT_SOFTMAX)};
    s[1].l2 = 0.02f;
    ml_nn *net = build(s, 5, 0);
    int64_t sh[3];
    assert_int_equal(ml_nn_layer_shape(net, 0, sh), 3);
    assert_int_equal(sh[0], 5), assert_int_equal(sh[1], 5), assert_int_equal(sh[2], 3);
    assert_int_equal(ml_nn_layer_shape(net, 1, sh), 3);
    assert_int_equal(sh[0], 2), assert_int_equal(sh[1], 2);
    gradcheck(net, 3, 1, 0, 1, 1e-2);
    ml_nn_free(net);
}

static void test_grad_conv_same_stride_batchnorm(void **state)
{
    (void)state;
    ml_nn_spec act;
    ml_nn_spec_init(&act, ML_NN_ACTIVATION);
    act.act = ML_ACT_SOFTMAX;
    ml_nn_spec s[] = {input_spec(3, 6, 5, 1), conv(4, 3, 2, 1, ML_ACT_SIGMOID), simple(ML_NN_BATCHNORM),
                      simple(ML_NN_FLATTEN), dense(3, ML_ACT_LINEAR), act};
    ml_nn *net = build(s, 6, 0);
    int64_t sh[3];
    ml_nn_layer_shape(net, 0, sh);
    assert_int_equal(sh[0], 3), assert_int_equal(sh[1], 3), assert_int_equal(sh[2], 4);
    gradcheck(net, 5, 1, 0, 1, 1e-2);
    /* inference mode: moving statistics */
    gradcheck(net, 5, 0, 0, 1, 1e-2);
    ml_nn_free(net);
}

static void test_grad_conv_1x1_and_pool_same(void **state)
{
    (void)state;
    ml_nn_spec pool = simple(ML_NN_MAXPOOL2D);
    pool.pool[0] = pool.pool[1] = 2;
    pool.same = 1;
    ml_nn_spec s[] = {input_spec(3, 5, 5, 3), conv(2, 1, 1, 0, ML_ACT_TANH), pool, simple(ML_NN_FLATTEN),
                      dense(3, ML_ACT_SOFTMAX)};
    ml_nn *net = build(s, 5, 0);
    int64_t sh[3];
    ml_nn_layer_shape(net, 1, sh);
    assert_int_equal(sh[0], 3), assert_int_equal(sh[1], 3), assert_int_equal(sh[2], 2);
    gc_h = 1e-3f;
    gradcheck(net, 3, 1, 0, 1, 1e-2);
    gc_h = 1e-2f;
    ml_nn_free(net);
}

/* One input channel and a multiple of 8 filters: the direct convolution
 * (no im2col).  Its output against a plain loop over the kernel as saved
 * (kh, kw, C, filters), valid and same padding, stride 1 and 2; then its
 * gradients, with the ReLU's mask applied by the pooling above, by the
 * convolution itself (no gradient wrt the input needed), and before the
 * product for the input's gradient. */
static void check_conv_output(int C, int F, int k, int stride, int same)
{
    ml_nn_spec s[] = {input_spec(3, 7, 6, C), conv(F, k, stride, same, ML_ACT_RELU), simple(ML_NN_FLATTEN)};
    ml_nn *net = build(s, 3, 0);
    int64_t sh[3], nk = 0, nb = 0;
    ml_nn_layer_shape(net, 0, sh);
    const float *W = ml_nn_layer_array(net, 0, "kernel", &nk), *bias = ml_nn_layer_array(net, 0, "bias", &nb);
    float *b = ml_nn_layer_array(net, 0, "bias", &nb);
    for (int f = 0; f < F; f++) b[f] = 0.05f * (float)(f - 8);
    ml_tensor *X = ml_tensor_new2(2, 42 * C), *out = NULL;
    fill_uniform(X->data, 84 * C, 3, -1, 1);
    assert_int_equal(ml_nn_predict(net, X, &out, NULL), ML_OK);
    int pad_t = 0, pad_l = 0;
    if (same) {
        int th = (int)((sh[0] - 1) * stride + k - 7), tw = (int)((sh[1] - 1) * stride + k - 6);
        pad_t = th > 0 ? th / 2 : 0, pad_l = tw > 0 ? tw / 2 : 0;
    }
    double md = 0;
    for (int n = 0; n < 2; n++)
        for (int oh = 0; oh < sh[0]; oh++)
            for (int ow = 0; ow < sh[1]; ow++)
                for (int f = 0; f < F; f++) {
                    double acc = bias[f];
                    for (int ki = 0; ki < k; ki++)
                        for (int kj = 0; kj < k; kj++) {
                            int ih = oh * stride + ki - pad_t, iw = ow * stride + kj - pad_l;
                            if (ih < 0 || ih >= 7 || iw < 0 || iw >= 6) continue;
                            for (int c = 0; c < C; c++) {
                                const float xv = X->data[(n * 42 + ih * 6 + iw) * C + c];
                                acc += (double)xv * W[((ki * k + kj) * C + c) * F + f];
                            }
                        }
                    acc = acc > 0 ? acc : 0;
                    double got = out->data[((n * sh[0] + oh) * sh[1] + ow) * F + f];
                    md = fmax(md, fabs(got - acc));
                }
    print_message("# conv %d -> %d channels %dx%d stride %d %s: max difference %.3g\n", C, F, k, k, stride,
                  same ? "same" : "valid", md);
    assert_true(md < 1e-5);
    ml_tensor_free(X), ml_tensor_free(out);
    ml_nn_free(net);
}

/* A convolution followed by 2x2 pooling does the pooling itself (one input
 * channel, or Winograd): the same outputs as a separate ReLU and pooling. */
static void check_conv_pool_fused(int C)
{
    ml_nn_spec act = simple(ML_NN_ACTIVATION);
    act.act = ML_ACT_RELU;
    ml_nn_spec f1[] = {input_spec(3, 9, 8, C), conv(16, 3, 1, 0, ML_ACT_RELU), simple(ML_NN_MAXPOOL2D),
                       simple(ML_NN_FLATTEN)};
    ml_nn_spec f2[] = {input_spec(3, 9, 8, C), conv(16, 3, 1, 0, ML_ACT_LINEAR), act, simple(ML_NN_MAXPOOL2D),
                       simple(ML_NN_FLATTEN)};
    ml_nn *a = build(f1, 4, 0), *b = build(f2, 5, 0);
    int64_t na = 0, nb = 0;
    float *pa = ml_nn_params(a, &na), *pb = ml_nn_params(b, &nb);
    assert_int_equal(na, nb);
    fill_uniform(pa, na, 8, -0.3f, 0.3f);
    memcpy(pb, pa, sizeof(float) * (size_t)na);
    ml_tensor *X = ml_tensor_new2(3, 9 * 8 * C), *oa = NULL, *ob = NULL;
    fill_uniform(X->data, 3 * 9 * 8 * C, 4, -1, 1);
    assert_int_equal(ml_nn_predict(a, X, &oa, NULL), ML_OK);
    assert_int_equal(ml_nn_predict(b, X, &ob, NULL), ML_OK);
    assert_int_equal(ml_tensor_numel(oa), 3 * 3 * 3 * 16);
    double md = 0;
    for (int64_t i = 0; i < ml_tensor_numel(oa); i++) md = fmax(md, fabs((double)oa->data[i] - ob->data[i]));
    print_message("# %d channel(s), convolution with its pooling vs apart: max difference %.3g\n", C, md);
    assert_true(md < 1e-5);
    ml_tensor_free(X), ml_tensor_free(oa), ml_tensor_free(ob);
    ml_nn_free(a), ml_nn_free(b);
}

static void test_conv_one_channel_direct(void **state)
{
    (void)state;
    check_conv_output(1, 16, 3, 1, 0);
    check_conv_output(1, 16, 3, 2, 1);
    check_conv_output(1, 16, 2, 1, 1);
    check_conv_pool_fused(1);
    ml_nn_spec s1[] = {input_spec(3, 7, 7, 1), conv(8, 3, 1, 0, ML_ACT_RELU), simple(ML_NN_MAXPOOL2D),
                       simple(ML_NN_FLATTEN), dense(3, ML_ACT_SOFTMAX)};
    ml_nn *net = build(s1, 5, 0);
    gc_h = 3e-4f; /* small steps: fewer ReLU kinks crossed */
    gradcheck(net, 3, 1, 0, 0, 1e-2); /* mask from the pooling */
    gradcheck(net, 3, 1, 0, 1, 1e-2); /* and the input's gradient */
    ml_nn_free(net);
    ml_nn_spec s2[] = {input_spec(3, 6, 6, 1), conv(16, 3, 2, 1, ML_ACT_RELU), simple(ML_NN_FLATTEN),
                       dense(3, ML_ACT_SOFTMAX)};
    net = build(s2, 4, 0);
    gradcheck(net, 3, 1, 0, 0, 1e-2); /* mask in the convolution */
    gc_h = 1e-2f;
    ml_nn_free(net);
}

/* 3x3, stride 1, channels and filters multiples of 8: Winograd's F(2x2, 3x3).
 * Output against a plain loop (valid: tiles inside; same: tiles overhanging
 * and padding), then the gradients of the kernel, the bias and the input. */
static void test_conv_winograd(void **state)
{
    (void)state;
    check_conv_output(8, 16, 3, 1, 0);
    check_conv_output(16, 8, 3, 1, 1);
    ml_nn_spec s1[] = {input_spec(3, 6, 6, 8), conv(8, 3, 1, 0, ML_ACT_TANH), simple(ML_NN_FLATTEN),
                       dense(3, ML_ACT_SOFTMAX)};
    ml_nn *net = build(s1, 4, 0);
    gradcheck(net, 3, 1, 0, 1, 1e-2);
    ml_nn_free(net);
    /* followed by 2x2 pooling, which the convolution then does itself */
    check_conv_pool_fused(8);
    ml_nn_spec s2[] = {input_spec(3, 5, 5, 8), conv(16, 3, 1, 1, ML_ACT_RELU), simple(ML_NN_MAXPOOL2D),
                       simple(ML_NN_FLATTEN), dense(3, ML_ACT_SOFTMAX)};
    net = build(s2, 5, 0);
    gc_h = 3e-4f;
    gradcheck(net, 3, 1, 0, 1, 1e-2);
    gc_h = 1e-2f;
    ml_nn_free(net);
}

static void test_grad_dropout_batchnorm_dense(void **state)
{
    (void)state;
    ml_nn_spec drop = simple(ML_NN_DROPOUT);
    drop.rate = 0.3f;
    ml_nn_spec s[] = {input_spec(1, 6, 1, 1), dense(8, ML_ACT_RELU), drop, simple(ML_NN_BATCHNORM),
                      dense(4, ML_ACT_SOFTMAX)};
    ml_nn *net = build(s, 5, 0);
    gc_h = 1e-3f;
    gradcheck(net, 6, 1, 99, 1, 2e-2);
    gc_h = 1e-2f;
    ml_nn_free(net);
}

static void test_grad_sharded_batch(void **state)
{
    (void)state;
    /* 40 rows: three shards whose gradients are summed, L2 added once */
    ml_nn_spec drop = simple(ML_NN_DROPOUT);
    drop.rate = 0.25f;
    ml_nn_spec s[] = {input_spec(3, 5, 5, 1), conv(3, 3, 1, 1, ML_ACT_TANH), simple(ML_NN_FLATTEN), drop,
                      dense(4, ML_ACT_SOFTMAX)};
    s[1].l2 = 0.03f;
    s[4].l2 = 0.01f;
    ml_nn *net = build(s, 5, 0);
    gradcheck(net, 40, 1, 5, 1, 1e-2);
    ml_nn_free(net);
}

/* ---- learning ---- */

static ml_dataset digits;
static int have_digits;

static int setup_digits(void **state)
{
    (void)state;
    have_digits = ml_dataset_load("mnist", ML_SUBSET_ALL, &digits) == ML_OK;
    return 0;
}

static int teardown_digits(void **state)
{
    (void)state;
    if (have_digits) ml_dataset_free(&digits);
    return 0;
}

static ml_nn *mlp(int hidden)
{
    ml_nn_spec s[] = {input_spec(2, 28, 28, 1), simple(ML_NN_FLATTEN), dense(hidden, ML_ACT_RELU),
                      dense(10, ML_ACT_SOFTMAX)};
    return build(s, 4, 0);
}

static void test_mlp_learns_digits(void **state)
{
    (void)state;
    assert_true(have_digits);
    ml_tensor *Xtr = ml_tensor_view_rows(digits.X, 0, 8000), *ytr = ml_tensor_view_rows(digits.y, 0, 8000);
    ml_tensor *Xte = ml_tensor_view_rows(digits.X, 8000, 2000), *yte = ml_tensor_view_rows(digits.y, 8000, 2000);
    ml_nn *net = mlp(64);
    ml_nn_fit_opts o;
    ml_nn_fit_opts_init(&o);
    o.epochs = 3;
    o.validation_split = 0.2;
    ml_nn_history h;
    assert_int_equal(ml_nn_fit(net, Xtr, ytr, &o, &h, NULL), ML_OK);
    assert_int_equal(h.n, 3);
    assert_true(h.has_val);
    assert_true(h.loss[2] < h.loss[0]);
    assert_true(h.accuracy[2] > 0.9);
    double loss, acc;
    assert_int_equal(ml_nn_evaluate(net, Xte, yte, &loss, &acc, NULL), ML_OK);
    print_message("# MLP 784-64-10, 3 epochs on 6,400 digits: test accuracy %.4f, loss %.4f\n", acc, loss);
    assert_true(acc >= 0.92);
    assert_true(loss < 0.3);
    ml_nn_history_free(&h);
    ml_nn_free(net);
    ml_tensor_free(Xtr), ml_tensor_free(ytr), ml_tensor_free(Xte), ml_tensor_free(yte);
}

static void test_cnn_overfits_small_batch(void **state)
{
    (void)state;
    assert_true(have_digits);
    ml_nn_spec s[] = {input_spec(3, 28, 28, 1), conv(8, 3, 1, 0, ML_ACT_RELU), simple(ML_NN_MAXPOOL2D),
                      conv(8, 3, 2, 1, ML_ACT_RELU), simple(ML_NN_FLATTEN), dense(10, ML_ACT_SOFTMAX)};
    ml_nn *net = NULL;
    assert_int_equal(ml_nn_create(&net, s, 6, 3), ML_OK);
    ml_nn_optimizer o;
    ml_nn_optimizer_init(&o, ML_OPT_ADAM);
    o.learning_rate = 3e-3;
    assert_int_equal(ml_nn_compile(net, 0, &o), ML_OK);
    double loss = 0, first = 0;
    for (int it = 0; it < 150; it++) {
        assert_int_equal(ml_nn_train_batch(net, digits.X->data, digits.y->data, 32, 1, &loss), ML_OK);
        if (it == 0) first = loss;
    }
    double l2, acc;
    ml_tensor *X = ml_tensor_view_rows(digits.X, 0, 32), *y = ml_tensor_view_rows(digits.y, 0, 32);
    assert_int_equal(ml_nn_evaluate(net, X, y, &l2, &acc, NULL), ML_OK);
    print_message("# tiny CNN on 32 digits: loss %.4f -> %.5f, accuracy %.3f\n", first, l2, acc);
    assert_true(first > 1.5);
    assert_true(l2 < 0.01);
    assert_true(acc == 1.0);
    ml_tensor_free(X), ml_tensor_free(y);
    ml_nn_free(net);
}

static void test_optimizers_descend(void **state)
{
    (void)state;
    assert_true(have_digits);
    ml_nn_opt_kind kinds[] = {ML_OPT_SGD, ML_OPT_SGD, ML_OPT_RMSPROP, ML_OPT_ADAM};
    for (int k = 0; k < 4; k++) {
        ml_nn_spec s[] = {input_spec(2, 28, 28, 1), simple(ML_NN_FLATTEN), dense(32, ML_ACT_RELU),
                          dense(10, ML_ACT_SOFTMAX)};
        ml_nn *net = NULL;
        ml_nn_create(&net, s, 4, 1);
        ml_nn_optimizer o;
        ml_nn_optimizer_init(&o, kinds[k]);
        if (k == 1) o.momentum = 0.9, o.nesterov = 1;
        if (k == 0) o.learning_rate = 0.1;
        assert_int_equal(ml_nn_compile(net, 0, &o), ML_OK);
        double l0, l1;
        ml_tensor *X = ml_tensor_view_rows(digits.X, 0, 500), *y = ml_tensor_view_rows(digits.y, 0, 500);
        ml_nn_evaluate(net, X, y, &l0, NULL, NULL);
        for (int it = 0; it < 60; it++) ml_nn_train_batch(net, X->data + (it % 15) * 32 * 784, y->data + (it % 15) * 32, 32, 1, NULL);
        ml_nn_evaluate(net, X, y, &l1, NULL, NULL);
        print_message("# optimizer %d: loss %.3f -> %.3f\n", k, l0, l1);
        assert_true(l1 < 0.5 * l0);
        ml_tensor_free(X), ml_tensor_free(y);
        ml_nn_free(net);
    }
}

/* ---- save / load ---- */

static void test_save_load_identical(void **state)
{
    (void)state;
    assert_true(have_digits);
    ml_nn_spec drop = simple(ML_NN_DROPOUT);
    drop.rate = 0.1f;
    ml_nn_spec s[] = {input_spec(3, 28, 28, 1), conv(4, 3, 1, 1, ML_ACT_RELU), simple(ML_NN_BATCHNORM),
                      simple(ML_NN_MAXPOOL2D), simple(ML_NN_FLATTEN), dense(16, ML_ACT_TANH), drop,
                      dense(10, ML_ACT_SOFTMAX)};
    snprintf(s[5].name, sizeof s[5].name, "hidden");
    ml_nn *net = build(s, 8, 0);
    ml_tensor *X = ml_tensor_view_rows(digits.X, 0, 256), *y = ml_tensor_view_rows(digits.y, 0, 256);
    ml_nn_fit_opts o;
    ml_nn_fit_opts_init(&o);
    ml_nn_history h;
    assert_int_equal(ml_nn_fit(net, X, y, &o, &h, NULL), ML_OK);
    ml_nn_history_free(&h);
    char path[] = "/tmp/test_nn_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(ml_nn_save(net, path), ML_OK);
    ml_nn *back = NULL;
    assert_int_equal(ml_nn_load(&back, path), ML_OK);
    assert_int_equal(ml_nn_count_params(back), ml_nn_count_params(net));
    assert_string_equal(ml_nn_layer_spec(back, 4)->name, "hidden");
    ml_tensor *p1, *p2;
    assert_int_equal(ml_nn_predict(net, X, &p1, NULL), ML_OK);
    assert_int_equal(ml_nn_predict(back, X, &p2, NULL), ML_OK);
    assert_memory_equal(p1->data, p2->data, sizeof(float) * (size_t)ml_tensor_numel(p1));
    char *s1 = ml_nn_summary(net, "m"), *s2 = ml_nn_summary(back, "m");
    assert_string_equal(s1, s2);
    free(s1), free(s2);
    /* a damaged file: one flipped byte */
    FILE *f = fopen(path, "r+b");
    fseek(f, 200, SEEK_SET);
    int c = fgetc(f);
    fseek(f, 200, SEEK_SET);
    fputc(c ^ 0x55, f);
    fclose(f);
    ml_nn *bad = NULL;
    assert_int_not_equal(ml_nn_load(&bad, path), ML_OK);
    assert_null(bad);
    assert_non_null(strstr(ml_last_error(), path));
    /* a truncated file */
    assert_int_equal(truncate(path, 40), 0);
    assert_int_not_equal(ml_nn_load(&bad, path), ML_OK);
    assert_non_null(strstr(ml_last_error(), path));
    unlink(path);
    ml_tensor_free(p1), ml_tensor_free(p2);
    ml_tensor_free(X), ml_tensor_free(y);
    ml_nn_free(net), ml_nn_free(back);
}

/* ---- Ctrl-C ---- */

static int interrupt_at(void *ud, const char *stage, int64_t done, int64_t total)
{
    (void)total;
    int *calls = ud;
    ++*calls;
    if (strcmp(stage, "epoch 2/5") == 0 && done == 10) ml_interrupt_request(); /* as SIGINT's handler does */
    return 0;
}

static void test_interrupt_keeps_weights_and_history(void **state)
{
    (void)state;
    assert_true(have_digits);
    ml_tensor *X = ml_tensor_view_rows(digits.X, 0, 1000), *y = ml_tensor_view_rows(digits.y, 0, 1000);
    ml_nn *net = mlp(16);
    int64_t np;
    float *p = ml_nn_params(net, &np);
    float *before = malloc(sizeof(float) * (size_t)np);
    memcpy(before, p, sizeof(float) * (size_t)np);
    int calls = 0;
    ml_progress prog = {interrupt_at, &calls};
    ml_nn_fit_opts o;
    ml_nn_fit_opts_init(&o);
    o.epochs = 5;
    o.validation_split = 0.1;
    ml_nn_history h;
    ml_interrupt_clear();
    assert_int_equal(ml_nn_fit(net, X, y, &o, &h, &prog), ML_ECANCELLED);
    ml_interrupt_clear();
    assert_true(h.interrupted);
    assert_int_equal(h.interrupted_batch, 10);
    assert_int_equal(h.n, 1);
    assert_true(isfinite(h.loss[0]) && isfinite(h.val_loss[0]));
    int changed = 0;
    for (int64_t i = 0; i < np; i++) changed |= p[i] != before[i], assert_true(isfinite(p[i]));
    assert_true(changed);
    /* the model is still usable */
    double acc;
    assert_int_equal(ml_nn_evaluate(net, X, y, NULL, &acc, NULL), ML_OK);
    assert_true(acc > 0.5);
    free(before);
    ml_nn_history_free(&h);
    ml_nn_free(net);
    ml_tensor_free(X), ml_tensor_free(y);
}

/* ---- determinism ---- */

static float *train_with_threads(int threads, int64_t *np)
{
    ml_set_threads(threads);
    ml_nn_spec drop = simple(ML_NN_DROPOUT);
    drop.rate = 0.2f;
    ml_nn_spec s[] = {input_spec(3, 28, 28, 1), conv(6, 3, 1, 0, ML_ACT_RELU), simple(ML_NN_MAXPOOL2D),
                      simple(ML_NN_FLATTEN), drop, dense(10, ML_ACT_SOFTMAX)};
    ml_nn *net = build(s, 6, 0);
    ml_tensor *X = ml_tensor_view_rows(digits.X, 0, 640), *y = ml_tensor_view_rows(digits.y, 0, 640);
    ml_nn_fit_opts o;
    ml_nn_fit_opts_init(&o);
    o.epochs = 2;
    o.seed = 5;
    ml_nn_history h;
    assert_int_equal(ml_nn_fit(net, X, y, &o, &h, NULL), ML_OK);
    ml_nn_history_free(&h);
    float *p = ml_nn_params(net, np);
    float *copy = malloc(sizeof(float) * (size_t)*np);
    memcpy(copy, p, sizeof(float) * (size_t)*np);
    ml_nn_free(net);
    ml_tensor_free(X), ml_tensor_free(y);
    return copy;
}

static void test_same_seed_any_threads(void **state)
{
    (void)state;
    assert_true(have_digits);
    int keep = ml_get_threads();
    int64_t n1, n2;
    float *a = train_with_threads(1, &n1), *b = train_with_threads(2, &n2);
    ml_set_threads(keep);
    assert_int_equal(n1, n2);
    double md = 0;
    for (int64_t i = 0; i < n1; i++) md = fmax(md, fabs((double)a[i] - b[i]));
    print_message("# 1 vs 2 threads: max weight difference %.3g\n", md);
    assert_true(md < 1e-3);
    free(a), free(b);
}

/* ---- bad input ---- */

static void test_bad_input(void **state)
{
    (void)state;
    ml_nn *net = NULL;
    /* a Dense on images */
    ml_nn_spec s1[] = {input_spec(3, 28, 28, 1), dense(10, ML_ACT_SOFTMAX)};
    assert_int_equal(ml_nn_create(&net, s1, 2, 0), ML_EINVAL);
    assert_null(net);
    assert_non_null(strstr(ml_last_error(), "dense (Dense)"));
    assert_non_null(strstr(ml_last_error(), "(None, 28, 28, 1)"));
    assert_non_null(strstr(ml_last_error(), "(None, features)"));
    /* a kernel larger than its input */
    ml_nn_spec s2[] = {input_spec(3, 8, 8, 1), conv(4, 3, 1, 0, ML_ACT_RELU), simple(ML_NN_MAXPOOL2D),
                       conv(4, 5, 1, 0, ML_ACT_RELU), simple(ML_NN_FLATTEN), dense(2, ML_ACT_SOFTMAX)};
    assert_int_equal(ml_nn_create(&net, s2, 6, 0), ML_EINVAL);
    assert_non_null(strstr(ml_last_error(), "conv2d_1 (Conv2D)"));
    assert_non_null(strstr(ml_last_error(), "(None, 3, 3, 4)"));
    assert_non_null(strstr(ml_last_error(), "5x5"));
    /* a Conv2D on flat rows */
    ml_nn_spec s3[] = {input_spec(1, 784, 1, 1), conv(4, 3, 1, 0, ML_ACT_RELU)};
    assert_int_equal(ml_nn_create(&net, s3, 2, 0), ML_EINVAL);
    assert_non_null(strstr(ml_last_error(), "(None, 784)"));
    assert_non_null(strstr(ml_last_error(), "(None, height, width, channels)"));
    /* fit before compile, batch size 0, labels out of range, wrong X */
    ml_nn_spec s4[] = {input_spec(1, 4, 1, 1), dense(3, ML_ACT_SOFTMAX)};
    assert_int_equal(ml_nn_create(&net, s4, 2, 0), ML_OK);
    ml_tensor *X = ml_tensor_new2(6, 4), *y = ml_tensor_new1(6), *X5 = ml_tensor_new2(6, 5);
    ml_nn_fit_opts o;
    ml_nn_fit_opts_init(&o);
    ml_nn_history h;
    assert_int_equal(ml_nn_fit(net, X, y, &o, &h, NULL), ML_ESTATE);
    assert_non_null(strstr(ml_last_error(), "compile"));
    ml_nn_optimizer opt;
    ml_nn_optimizer_init(&opt, ML_OPT_SGD);
    opt.learning_rate = -1;
    assert_int_equal(ml_nn_compile(net, 0, &opt), ML_EINVAL);
    assert_non_null(strstr(ml_last_error(), "learning_rate"));
    opt.learning_rate = 0.1;
    assert_int_equal(ml_nn_compile(net, 0, &opt), ML_OK);
    o.batch_size = 0;
    assert_int_equal(ml_nn_fit(net, X, y, &o, &h, NULL), ML_EINVAL);
    assert_non_null(strstr(ml_last_error(), "batch_size"));
    o.batch_size = 32;
    y->data[4] = 3;
    assert_int_equal(ml_nn_fit(net, X, y, &o, &h, NULL), ML_EINVAL);
    assert_non_null(strstr(ml_last_error(), "label 3"));
    assert_non_null(strstr(ml_last_error(), "0..2"));
    y->data[4] = 1.5f;
    assert_int_equal(ml_nn_fit(net, X, y, &o, &h, NULL), ML_EINVAL);
    y->data[4] = 1;
    assert_int_equal(ml_nn_fit(net, X5, y, &o, &h, NULL), ML_EINVAL);
    assert_non_null(strstr(ml_last_error(), "6x5"));
    assert_non_null(strstr(ml_last_error(), "(None, 4)"));
    o.validation_split = 1.5;
    assert_int_equal(ml_nn_fit(net, X, y, &o, &h, NULL), ML_EINVAL);
    o.validation_split = 0;
    o.es_patience = 2;
    assert_int_equal(ml_nn_fit(net, X, y, &o, &h, NULL), ML_EINVAL);
    assert_non_null(strstr(ml_last_error(), "val_loss"));
    ml_nn *none = NULL;
    assert_int_not_equal(ml_nn_load(&none, "/nonexistent/model.nn"), ML_OK);
    assert_non_null(strstr(ml_last_error(), "/nonexistent/model.nn"));
    assert_null(none);
    ml_tensor_free(X), ml_tensor_free(y), ml_tensor_free(X5);
    ml_nn_free(net);
}

/* ---- summary ---- */

static void test_summary_like_keras(void **state)
{
    (void)state;
    ml_nn_spec drop = simple(ML_NN_DROPOUT);
    drop.rate = 0.1f;
    ml_nn_spec s[] = {input_spec(3, 28, 28, 1), conv(32, 3, 1, 0, ML_ACT_RELU), simple(ML_NN_MAXPOOL2D),
                      conv(64, 3, 1, 0, ML_ACT_RELU), simple(ML_NN_MAXPOOL2D), conv(32, 3, 1, 0, ML_ACT_RELU),
                      simple(ML_NN_FLATTEN), dense(64, ML_ACT_RELU), drop, dense(10, ML_ACT_SOFTMAX)};
    ml_nn *net = NULL;
    assert_int_equal(ml_nn_create(&net, s, 10, 0), ML_OK);
    /* Keras: 320 + 18496 + 18464 + 18496 + 650 */
    assert_int_equal(ml_nn_count_params(net), 56426);
    char *t = ml_nn_summary(net, "cnn1");
    assert_non_null(strstr(t, "Model: \"cnn1\"\n"));
    assert_non_null(strstr(t, " conv2d (Conv2D)             (None, 26, 26, 32)        320       \n"));
    assert_non_null(strstr(t, " conv2d_2 (Conv2D)           (None, 3, 3, 32)          18464     \n"));
    assert_non_null(strstr(t, " flatten (Flatten)           (None, 288)               0         \n"));
    assert_non_null(strstr(t, "Total params: 56426 (220.41 KB)\n"));
    assert_non_null(strstr(t, "Non-trainable params: 0 (0.00 Byte)\n"));
    free(t);
    ml_nn_free(net);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grad_dense_softmax_l2),
        cmocka_unit_test(test_grad_logits_sigmoid),
        cmocka_unit_test(test_grad_probabilities_relu),
        cmocka_unit_test(test_grad_softmax_from_logits_warns),
        cmocka_unit_test(test_grad_conv_valid_pool),
        cmocka_unit_test(test_grad_conv_same_stride_batchnorm),
        cmocka_unit_test(test_grad_conv_1x1_and_pool_same),
        cmocka_unit_test(test_conv_one_channel_direct),
        cmocka_unit_test(test_conv_winograd),
        cmocka_unit_test(test_grad_dropout_batchnorm_dense),
        cmocka_unit_test(test_grad_sharded_batch),
        cmocka_unit_test(test_summary_like_keras),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_mlp_learns_digits),
        cmocka_unit_test(test_cnn_overfits_small_batch),
        cmocka_unit_test(test_optimizers_descend),
        cmocka_unit_test(test_save_load_identical),
        cmocka_unit_test(test_interrupt_keeps_weights_and_history),
        cmocka_unit_test(test_same_seed_any_threads),
    };
    return cmocka_run_group_tests_name("nn", tests, setup_digits, teardown_digits);
}
