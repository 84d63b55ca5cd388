/* mnistlab core: float32 n-d tensors.
 *
 * A tensor is a small header (shape, data pointer) over reference-counted,
 * 64-byte aligned, contiguous storage.  Views (one image, a range of rows, a
 * reshape) share the storage of their parent and keep it alive: freeing the
 * parent first is safe.  Every function returning ml_tensor* returns NULL on
 * failure, with the reason in ml_last_error().  The caller owns each returned
 * tensor and releases it with ml_tensor_free(). */
#ifndef ML_CORE_TENSOR_H
#define ML_CORE_TENSOR_H

#include <stdint.h>
#include <stddef.h>

#include "core/error.h"

#define ML_MAXDIM 4

typedef struct ml_storage ml_storage; /* opaque, reference-counted */

typedef struct ml_tensor {
    int ndim;                  /* 1..ML_MAXDIM */
    int64_t shape[ML_MAXDIM];  /* unused dimensions are 1 */
    float *data;               /* first element; row-major, contiguous */
    ml_storage *storage;       /* owner of the memory */
} ml_tensor;

/* New zero-filled tensor.  Dimensions may be 0 (an empty tensor). */
ml_tensor *ml_tensor_new(int ndim, const int64_t *shape);
ml_tensor *ml_tensor_new1(int64_t n);
ml_tensor *ml_tensor_new2(int64_t rows, int64_t cols);
/* Like ml_tensor_new, without zeroing (the caller fills every element). */
ml_tensor *ml_tensor_empty(int ndim, const int64_t *shape);

/* From bytes, each multiplied by `scale` (1/255.f maps pixels to [0, 1]). */
ml_tensor *ml_tensor_from_u8(const uint8_t *src, int ndim, const int64_t *shape, float scale);

void ml_tensor_free(ml_tensor *t); /* NULL is fine */

int64_t ml_tensor_numel(const ml_tensor *t);
/* Number of elements in one row, i.e. the product of all but the first dim. */
int64_t ml_tensor_rowsize(const ml_tensor *t);
/* Bytes of storage this tensor keeps alive (its whole storage, not the view). */
size_t ml_tensor_storage_bytes(const ml_tensor *t);
/* 1 if the two tensors have the same number of dims and the same shape. */
int ml_tensor_same_shape(const ml_tensor *a, const ml_tensor *b);
/* "10000x28x28" into buf. */
const char *ml_tensor_shape_str(const ml_tensor *t, char *buf, size_t n);

/* Views: share storage. */
ml_tensor *ml_tensor_view_row(const ml_tensor *t, int64_t i);               /* t[i], 0-based, ndim >= 2 */
ml_tensor *ml_tensor_view_rows(const ml_tensor *t, int64_t start, int64_t count);
/* One dimension may be -1 (inferred). */
ml_tensor *ml_tensor_reshape(const ml_tensor *t, int ndim, const int64_t *shape);
/* A 2-D view rows x rowsize (28x28 images become 784 features). */
ml_tensor *ml_tensor_flatten_rows(const ml_tensor *t);

/* Copies. */
ml_tensor *ml_tensor_clone(const ml_tensor *t);
/* Columns [start, start + count) of a 2-D tensor (rows x count), 0-based. */
ml_tensor *ml_tensor_copy_cols(const ml_tensor *t, int64_t start, int64_t count);
/* Rows idx[0..n-1] of t, in that order. */
ml_tensor *ml_tensor_take_rows(const ml_tensor *t, const int64_t *idx, int64_t n);
/* Rows of a and then rows of b (same row shape). */
ml_tensor *ml_tensor_concat_rows(const ml_tensor *a, const ml_tensor *b);

/* Reductions over all elements (double accumulation). */
double ml_tensor_sum(const ml_tensor *t);
double ml_tensor_mean(const ml_tensor *t);       /* NaN for an empty tensor */
float ml_tensor_min(const ml_tensor *t);
float ml_tensor_max(const ml_tensor *t);
int64_t ml_tensor_argmax(const ml_tensor *t);    /* 0-based flat index, -1 if empty */
/* out[i] = argmax of row i (rows x rowsize view); out has shape[0] elements. */
ml_tensor *ml_tensor_argmax_rows(const ml_tensor *t);
/* Number of positions where a and b are equal (same numel required), or -1. */
int64_t ml_tensor_count_equal(const ml_tensor *a, const ml_tensor *b);
/* 1 if any element is NaN or infinite. */
int ml_tensor_has_nonfinite(const ml_tensor *t);

#endif
