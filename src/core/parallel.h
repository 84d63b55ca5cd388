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

/* Sums that do not depend on the thread count.  [0, n) is cut into
 * ML_GROUPS fixed ranges, whatever the thread count, and the groups are
 * shared out among the threads: fn(ctx, begin, end, group, worker).  A loop
 * that keeps its partial sums per group and adds them in group order gets
 * the same bits on 1, 2 or 8 threads (partial sums per thread did not).
 * Scratch space is per worker (worker < ml_get_threads()).  Serial when a
 * group would hold fewer than min_group items. */
#define ML_GROUPS 12 /* divides evenly among 1, 2, 3, 4 and 6 threads */
typedef void (*ml_group_fn)(void *ctx, int64_t begin, int64_t end, int group, int worker);
void ml_parallel_groups(int64_t n, int64_t min_group, ml_group_fn fn, void *ctx);

/* Internal hook for blas.c: resize the pool. */
void ml_parallel_set_size(int n);

#endif
