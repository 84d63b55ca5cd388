#include "core/parallel.h"
#include "core/blas.h"

#include <cblas.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <time.h>

/* A worker that has just finished, and a caller waiting for its workers,
 * first watch for up to SPIN_NS, yielding the core, before sleeping: loops
 * that follow each other closely (a training step's phases) then skip a
 * wake-up through the kernel, and a loaded machine loses little. */
#define SPIN_NS 50000

/* Until *p != v or SPIN_NS passed; returns the last value seen. */
static unsigned long spin_while_equal(const unsigned long *p, unsigned long v)
{
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        unsigned long cur = __atomic_load_n(p, __ATOMIC_ACQUIRE);
        if (cur != v) return cur;
        sched_yield();
        clock_gettime(CLOCK_MONOTONIC, &t);
        if ((t.tv_sec - t0.tv_sec) * 1000000000LL + (t.tv_nsec - t0.tv_nsec) > SPIN_NS) return cur;
    }
}

/* One job at a time: the pool's workers wait for a new generation number,
 * run their chunk, and the caller waits until all have finished. */
static struct {
    pthread_mutex_t mu;
    pthread_cond_t start, done;
    pthread_t tid[256];
    int size;          /* threads in the pool, including the caller */
    int started;       /* workers created */
    unsigned long gen; /* job generation (read without the lock by spinners) */
    unsigned long pending; /* workers still running the current job (likewise) */
    ml_task_fn fn;
    void *ctx;
    int64_t n;
    int nchunks;
} pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER, {0}, 1, 0, 0, 0, NULL,
          NULL, 0, 0};

static pthread_mutex_t job_mu = PTHREAD_MUTEX_INITIALIZER; /* one loop at a time */
static _Thread_local int in_parallel;

static void chunk_bounds(int64_t n, int nchunks, int i, int64_t *b, int64_t *e)
{
    *b = n * i / nchunks;
    *e = n * (i + 1) / nchunks;
}

static void *worker_main(void *arg)
{
    int id = (int)(intptr_t)arg;
    unsigned long seen = 0;
    in_parallel = 1;
    pthread_mutex_lock(&pool.mu);
    for (;;) {
        if (pool.gen == seen) {
            pthread_mutex_unlock(&pool.mu);
            spin_while_equal(&pool.gen, seen);
            pthread_mutex_lock(&pool.mu);
        }
        while (pool.gen == seen) pthread_cond_wait(&pool.start, &pool.mu);
        seen = pool.gen;
        int nchunks = pool.nchunks;
        ml_task_fn fn = pool.fn;
        void *ctx = pool.ctx;
        int64_t n = pool.n;
        if (id >= nchunks) continue; /* not needed this time */
        pthread_mutex_unlock(&pool.mu);
        int64_t b, e;
        chunk_bounds(n, nchunks, id, &b, &e);
        fn(ctx, b, e, id);
        pthread_mutex_lock(&pool.mu);
        if (__atomic_sub_fetch(&pool.pending, 1, __ATOMIC_RELEASE) == 0) pthread_cond_signal(&pool.done);
    }
    return NULL;
}

void ml_parallel_set_size(int n)
{
    pthread_mutex_lock(&job_mu);
    pool.size = n < 1 ? 1 : n;
    pthread_mutex_unlock(&job_mu);
}

void ml_parallel_for(int64_t n, int64_t min_chunk, ml_task_fn fn, void *ctx)
{
    if (n <= 0) return;
    int threads = ml_get_threads();
    if (min_chunk < 1) min_chunk = 1;
    int64_t maxchunks = n / min_chunk;
    int nchunks = threads < maxchunks ? threads : (int)maxchunks;
    if (nchunks <= 1 || in_parallel) {
        fn(ctx, 0, n, 0);
        return;
    }
    pthread_mutex_lock(&job_mu);
    pthread_mutex_lock(&pool.mu);
    while (pool.started < nchunks - 1) {
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        int ok = pthread_create(&pool.tid[pool.started], &attr, worker_main, (void *)(intptr_t)(pool.started + 1)) == 0;
        pthread_attr_destroy(&attr);
        if (!ok) break;
        pool.started++;
    }
    if (nchunks > pool.started + 1) nchunks = pool.started + 1;
    if (nchunks <= 1) {
        pthread_mutex_unlock(&pool.mu);
        pthread_mutex_unlock(&job_mu);
        fn(ctx, 0, n, 0);
        return;
    }
    pool.fn = fn;
    pool.ctx = ctx;
    pool.n = n;
    pool.nchunks = nchunks;
    pool.pending = nchunks - 1;
    /* BLAS goes single-threaded before any worker starts: a worker's own
     * product must never run threaded (oversubscription, and results that
     * would depend on timing) */
    openblas_set_num_threads(1);
    __atomic_add_fetch(&pool.gen, 1, __ATOMIC_RELEASE);
    pthread_cond_broadcast(&pool.start);
    pthread_mutex_unlock(&pool.mu);

    in_parallel = 1;
    int64_t b, e;
    chunk_bounds(n, nchunks, 0, &b, &e);
    fn(ctx, b, e, 0);
    in_parallel = 0;

    for (unsigned long left = __atomic_load_n(&pool.pending, __ATOMIC_ACQUIRE), seen; left > 0; left = seen)
        if ((seen = spin_while_equal(&pool.pending, left)) == left) break; /* slow: sleep */
    pthread_mutex_lock(&pool.mu);
    while (pool.pending > 0) pthread_cond_wait(&pool.done, &pool.mu);
    pthread_mutex_unlock(&pool.mu);
    openblas_set_num_threads(threads);
    pthread_mutex_unlock(&job_mu);
}

typedef struct {
    int64_t n;
    ml_group_fn fn;
    void *ctx;
} groups_ctx;

static void groups_task(void *vctx, int64_t begin, int64_t end, int worker)
{
    const groups_ctx *g = vctx;
    for (int64_t i = begin; i < end; i++)
        g->fn(g->ctx, g->n * i / ML_GROUPS, g->n * (i + 1) / ML_GROUPS, (int)i, worker);
}

void ml_parallel_groups(int64_t n, int64_t min_group, ml_group_fn fn, void *ctx)
{
    if (n <= 0) return;
    groups_ctx g = {n, fn, ctx};
    if (n >= min_group * ML_GROUPS && ml_get_threads() > 1 && !in_parallel) {
        ml_parallel_for(ML_GROUPS, 1, groups_task, &g);
        return;
    }
    /* serially: with BLAS on one thread all the same, as the pool's workers
     * run it (threaded BLAS rounds differently) */
    int blas = ml_blas_serial_begin();
    int was = in_parallel;
    in_parallel = 1;
    groups_task(&g, 0, ML_GROUPS, 0);
    in_parallel = was;
    ml_blas_serial_end(blas);
}
