/* libFuzzer harness: the model-file container, and through it every
 * estimator's loader, on arbitrary bytes. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/modelfile.h"
#include "models/estimator.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("model", 0);
    if (fd < 0) return 0;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ml_mfile *r;
    if (ml_mfile_open(&r, path, NULL) == ML_OK) {
        ml_tensor *t;
        if (ml_mfile_get_tensor(r, "t", &t) == ML_OK) ml_tensor_free(t);
        ml_mfile_close(r);
    }
    ml_estimator *e;
    if (ml_estimator_load(path, &e) == ML_OK) ml_estimator_free(e);
    close(fd);
    return 0;
}
