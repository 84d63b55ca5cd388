/* libFuzzer harness: the IDX reader (plain and gzip) on arbitrary bytes.
 * Whatever the input, ml_idx_read either succeeds with a payload of exactly
 * the declared size, or fails with a one-line message naming the file. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "data/idx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("idx", 0);
    if (fd < 0) return 0;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ml_idx idx;
    if (ml_idx_read(path, &idx) == ML_OK) {
        size_t n = ml_idx_type_size(idx.type);
        for (int i = 0; i < idx.ndim; i++) n *= idx.dims[i];
        if (n != idx.nbytes) abort();
        volatile unsigned char sum = 0;
        for (size_t i = 0; i < idx.nbytes; i++) sum ^= ((unsigned char *)idx.data)[i];
        if (idx.ndim <= 4) {
            ml_tensor *t = ml_idx_to_tensor(&idx, 1.0f);
            ml_tensor_free(t);
        }
        ml_idx_free(&idx);
    } else {
        const char *m = ml_last_error();
        if (strncmp(m, path, strlen(path)) != 0 || strchr(m, '\n')) abort();
    }
    close(fd);
    return 0;
}
