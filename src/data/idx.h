/* mnistlab data: IDX files (the format MNIST ships in), plain or gzip.
 *
 * Reading validates everything a file claims before trusting it: the magic,
 * the type code, the number of dimensions, each size, that their product does
 * not overflow, that the data is all there and that nothing follows it.  A bad
 * file is refused with one line naming the file and the reason. */
#ifndef ML_DATA_IDX_H
#define ML_DATA_IDX_H

#include <stdint.h>
#include <stddef.h>

#include "core/error.h"
#include "core/tensor.h"

typedef enum ml_idx_type {
    ML_IDX_U8 = 0x08,
    ML_IDX_I8 = 0x09,
    ML_IDX_I16 = 0x0B,
    ML_IDX_I32 = 0x0C,
    ML_IDX_F32 = 0x0D,
    ML_IDX_F64 = 0x0E
} ml_idx_type;

#define ML_IDX_MAXDIM 8
/* Largest payload accepted (bytes), a guard against lying headers. */
#define ML_IDX_MAX_BYTES ((uint64_t)1 << 36)

typedef struct ml_idx {
    ml_idx_type type;
    int ndim;
    uint32_t dims[ML_IDX_MAXDIM];
    int gzipped;       /* the file was gzip-compressed */
    size_t nbytes;     /* payload size */
    void *data;        /* payload in host byte order; malloc'ed */
} ml_idx;

/* "unsigned byte", "float", ... */
const char *ml_idx_type_name(ml_idx_type t);
size_t ml_idx_type_size(ml_idx_type t); /* 0 for an unknown code */

/* Read an IDX file (gzip detected from its content).  On failure *out is
 * left empty and the message reads "PATH: reason". */
ml_status ml_idx_read(const char *path, ml_idx *out);
void ml_idx_free(ml_idx *idx);

/* The payload as a float tensor with the file's shape (ndim <= 4), each value
 * multiplied by `scale` (1/255.f for pixels). */
ml_tensor *ml_idx_to_tensor(const ml_idx *idx, float scale);

/* Write a tensor as IDX of the given type (values rounded and range-checked
 * for integer types); gzip when `gzip` is non-zero.  Atomic. */
ml_status ml_idx_write(const char *path, const ml_tensor *t, ml_idx_type type, float scale, int gzip);

#endif
