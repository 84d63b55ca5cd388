/* libFuzzer harness: the network loader (ml_nn_load: layer records, compile
 * record, weights, optimiser state) on arbitrary bytes (see fuzz_common.h for
 * the checksum).  Seeds: small networks with every kind of layer and
 * optimiser (tests/fuzz/make-seeds.lua).
 *
 * Whatever the bytes, loading either fails with a message naming the file, or
 * gives a network that can be used: its summary, saving it again (it loads
 * again), predict on a few rows of its input width (one row of output each),
 * and when compiled, evaluate and one training step. */
#include "fuzz_common.h"

#include "nn/nn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ROWS 3

static void use(ml_nn *net)
{
    free(ml_nn_summary(net, NULL));
    const char *again = fuzz_save_path();
    if (ml_nn_save(net, again) == ML_OK) {
        ml_nn *back;
        if (ml_nn_load(&back, again) != ML_OK) {
            fprintf(stderr, "saved again, it does not load: %s\n", ml_last_error());
            abort();
        }
        ml_nn_free(back);
        unlink(again);
    }
    int64_t in = ml_nn_input_size(net), classes = ml_nn_output_size(net);
    /* A file may describe a network far too big to run here: a few rows of a
     * small one are the point. */
    if (in < 1 || in > 4096 || ml_nn_count_params(net) > (1 << 20)) return;
    for (int i = 0; i < ml_nn_n_layers(net); i++) { /* nor layers of a million outputs per row */
        int64_t shape[3], size = 1;
        int nd = ml_nn_layer_shape(net, i, shape);
        for (int k = 0; k < nd; k++) size *= shape[k];
        if (size > (1 << 16)) return;
    }
    ml_tensor *X = ml_tensor_new2(ROWS, in), *y = ml_tensor_new1(ROWS);
    if (!X || !y) abort();
    uint32_t s = (uint32_t)in;
    for (int64_t i = 0; i < ROWS * in; i++) X->data[i] = i % 7 == 0 ? 0.0f : fuzz_unit(&s);
    for (int i = 0; i < ROWS; i++) y->data[i] = (float)(classes > 1 ? i % classes : 0);
    ml_tensor *out = NULL;
    if (ml_nn_predict(net, X, &out, NULL) == ML_OK &&
        (!out || out->shape[0] != ROWS || ml_tensor_numel(out) != ROWS * classes))
        abort();
    ml_tensor_free(out);
    if (ml_nn_compiled(net)) {
        double loss, acc;
        if (ml_nn_evaluate(net, X, y, &loss, &acc, NULL) == ML_OK && !(acc >= 0 && acc <= 1)) abort();
        ml_nn_train_batch(net, X->data, y->data, ROWS, 1, &loss);
    }
    ml_tensor_free(X);
    ml_tensor_free(y);
}

static void one(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = fuzz_file(data, size, path, sizeof path);
    if (fd < 0) return;
    ml_nn *net;
    if (ml_nn_load(&net, path) == ML_OK) {
        use(net);
        ml_nn_free(net);
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
