#include "core/blas.h"
#include "core/parallel.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int n_threads; /* 0 until first use */

static int default_threads(void)
{
    const char *env = getenv("MNISTLAB_THREADS");
    if (env && *env) {
        int n = atoi(env);
        if (n >= 1 && n <= 256) return n;
    }
    long c = sysconf(_SC_NPROCESSORS_ONLN);
    return c >= 1 ? (int)(c > 256 ? 256 : c) : 1;
}

int ml_simd_allowed(void)
{
    static int allowed = -1;
    if (allowed < 0) {
        const char *env = getenv("MNISTLAB_SIMD");
        allowed = !(env && strcmp(env, "portable") == 0);
    }
    return allowed;
}

int ml_get_threads(void)
{
    if (n_threads == 0) ml_set_threads(default_threads());
    return n_threads;
}

void ml_set_threads(int n)
{
    if (n < 1) n = 1;
    if (n > 256) n = 256;
    n_threads = n;
    openblas_set_num_threads(n);
    ml_parallel_set_size(n);
}

void ml_gemm(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t lda,
             const float *b, int64_t ldb, float beta, float *c, int64_t ldc)
{
    if (m <= 0 || n <= 0) return;
    ml_get_threads();
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, (int)m,
                (int)n, (int)k, alpha, a, (int)lda, b, (int)ldb, beta, c, (int)ldc);
}

int ml_blas_serial_begin(void)
{
    int saved = openblas_get_num_threads();
    if (saved > 1) openblas_set_num_threads(1);
    return saved;
}

void ml_blas_serial_end(int saved)
{
    if (saved > 1) openblas_set_num_threads(saved);
}

typedef struct {
    int trans_b;
    int64_t n, k;
    float alpha, beta;
    const float *a, *b;
    int64_t lda, ldb, ldc;
    float *c;
} rows_ctx;

static void rows_task(void *vctx, int64_t begin, int64_t end, int group, int worker)
{
    (void)group, (void)worker;
    const rows_ctx *r = vctx;
    if (end > begin)
        ml_gemm(0, r->trans_b, end - begin, r->n, r->k, r->alpha, r->a + begin * r->lda, r->lda, r->b, r->ldb,
                r->beta, r->c + begin * r->ldc, r->ldc);
}

void ml_gemm_rows(int trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t lda,
                  const float *b, int64_t ldb, float beta, float *c, int64_t ldc)
{
    if (m <= 0 || n <= 0) return;
    rows_ctx r = {trans_b, n, k, alpha, beta, a, b, lda, ldb, ldc, c};
    ml_parallel_groups(m, 64, rows_task, &r);
}

void ml_syrk(int trans, int64_t n, int64_t k, float alpha, const float *a, int64_t lda, float beta, float *c,
             int64_t ldc)
{
    if (n <= 0) return;
    ml_get_threads();
    cblas_ssyrk(CblasRowMajor, CblasUpper, trans ? CblasTrans : CblasNoTrans, (int)n, (int)k, alpha, a, (int)lda,
                beta, c, (int)ldc);
}

void ml_sym_fill_lower(int64_t n, float *c, int64_t ldc)
{
    for (int64_t i = 1; i < n; i++)
        for (int64_t j = 0; j < i; j++) c[i * ldc + j] = c[j * ldc + i];
}
