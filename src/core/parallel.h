/* mnistlab core: a small persistent thread pool for data-parallel loops.
 *
 * ml_parallel_for(n, fn, ctx) splits [0, n) into ml_get_threads() contiguous
 * chunks, always the same for the same n and thread count, and calls
 * fn(ctx, begin, end, worker) for each, the calling thread taking chunk 0.
 * While a loop runs, BLAS is limited to one thread so that the two never fight
 * over the cores; a loop started from inside a loop runs serially. */
#ifndef ML_CORE_PARALLEL_H
#define ML_CORE_PARALLEL_H

#include <stdint.h>

typedef void (*ml_task_fn)(void *ctx, int64_t begin, int64_t end, int worker);

/* Runs serially when n < min_chunk * 2 or one thread is set. */
void ml_parallel_for(int64_t n, int64_t min_chunk, ml_task_fn fn, void *ctx);

/* Internal hook for blas.c: resize the pool. */
void ml_parallel_set_size(int n);

#endif
