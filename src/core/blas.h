/* mnistlab core: the one matrix-product entry point, and the thread count.
 *
 * Every model multiplies matrices through ml_gemm()/ml_syrk(): profiling and
 * tuning happen here.  Matrices are row-major float32 with explicit leading
 * dimensions, as in CBLAS. */
#ifndef ML_CORE_BLAS_H
#define ML_CORE_BLAS_H

#include <stdint.h>

/* C = alpha * op(A) * op(B) + beta * C, op(X) = X or X^T (trans_x != 0).
 * op(A) is m x k, op(B) is k x n, C is m x n. */
void ml_gemm(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t lda,
             const float *b, int64_t ldb, float beta, float *c, int64_t ldc);

/* The same product with op(A) = A, its rows shared out in fixed groups
 * (ml_parallel_groups) with BLAS on one thread in each: the result does not
 * depend on the thread count, as threaded OpenBLAS's does in the last bits.
 * For products with many rows (a transform of a dataset). */
void ml_gemm_rows(int trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t lda,
                  const float *b, int64_t ldb, float beta, float *c, int64_t ldc);

/* Symmetric rank-k update of the upper triangle of C (n x n):
 * C = alpha * A^T A + beta * C when trans != 0 (A is k x n),
 * C = alpha * A A^T + beta * C otherwise (A is n x k).
 * ml_sym_fill_lower() copies the upper triangle to the lower. */
void ml_syrk(int trans, int64_t n, int64_t k, float alpha, const float *a, int64_t lda, float beta, float *c,
             int64_t ldc);
void ml_sym_fill_lower(int64_t n, float *c, int64_t ldc);

/* Threads used by BLAS and by ml_parallel_for().  The default is the
 * MNISTLAB_THREADS environment variable, else the number of online cores. */
void ml_set_threads(int n);
int ml_get_threads(void);

/* BLAS on one thread until ml_blas_serial_end(its result): threaded, OpenBLAS
 * rounds differently from one thread (and a caller that needs the same
 * result on any thread count asks for one).  Nests; a no-op inside a
 * parallel loop, where BLAS is on one thread already. */
int ml_blas_serial_begin(void);
void ml_blas_serial_end(int saved);

/* Whether code written for a CPU extension (AVX, AVX2+FMA) may run, given that
 * the CPU has it: 1 unless MNISTLAB_SIMD=portable, which keeps every model on
 * its portable path (to test that path, or under valgrind, whose memcheck runs
 * FMA code about 20 times slower than plain SSE). */
int ml_simd_allowed(void);

#endif
