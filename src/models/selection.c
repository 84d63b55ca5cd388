/* mnistlab models: folds, cross-validation, grid search (see selection.h). */
#include "models/selection.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/blas.h"
#include "core/parallel.h"
#include "core/rng.h"
#include "data/split.h"
#include "models/pipeline.h"

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static ml_status folds_alloc(ml_folds *f, int64_t n, int k, const char *fn)
{
    memset(f, 0, sizeof *f);
    if (k < 2) return ml_fail(ML_EINVAL, "%s: n_splits must be at least 2, got %d", fn, k);
    if (n < k)
        return ml_fail(ML_EINVAL, "%s: n_splits = %d is more than the %lld rows", fn, k, (long long)n);
    f->test = malloc(sizeof *f->test * (size_t)n);
    f->start = calloc((size_t)k + 1, sizeof *f->start);
    if (!f->test || !f->start) {
        ml_folds_free(f);
        return ml_fail(ML_ENOMEM, "%s: out of memory", fn);
    }
    f->k = k;
    f->n = n;
    return ML_OK;
}

void ml_folds_free(ml_folds *f)
{
    free(f->test);
    free(f->start);
    memset(f, 0, sizeof *f);
}

ml_status ml_kfold(int64_t n, int k, int shuffle, uint64_t seed, ml_folds *f)
{
    ml_status st = folds_alloc(f, n, k, "KFold");
    if (st) return st;
    for (int64_t i = 0; i < n; i++) f->test[i] = i;
    if (shuffle) {
        ml_rng r;
        ml_rng_seed(&r, seed);
        ml_rng_shuffle(&r, f->test, n);
    }
    int64_t off = 0;
    for (int i = 0; i < k; i++) {
        int64_t size = n / k + (i < n % k);
        f->start[i] = off;
        off += size;
        qsort(f->test + f->start[i], (size_t)size, sizeof *f->test, cmp_i64);
    }
    f->start[k] = n;
    return ML_OK;
}

ml_status ml_stratified_kfold(const ml_tensor *y, int k, int shuffle, uint64_t seed, ml_folds *f)
{
    memset(f, 0, sizeof *f);
    if (!y) return ml_fail(ML_EINVAL, "StratifiedKFold: needs the labels y");
    int nc;
    ml_status st = ml_check_labels(y, "StratifiedKFold: y", &nc);
    if (st) return st;
    int64_t n = ml_tensor_numel(y);
    if ((st = folds_alloc(f, n, k, "StratifiedKFold"))) return st;
    int64_t *cstart = calloc((size_t)nc + 1, sizeof *cstart);
    int64_t *byclass = malloc(sizeof *byclass * (size_t)n);
    int64_t *fill = calloc((size_t)k, sizeof *fill);
    int64_t *size = calloc((size_t)k, sizeof *size);
    int64_t *fold_of_pos = malloc(sizeof *fold_of_pos * (size_t)n);
    if (!cstart || !byclass || !fill || !size || !fold_of_pos) {
        free(cstart), free(byclass), free(fill), free(size), free(fold_of_pos);
        ml_folds_free(f);
        return ml_fail(ML_ENOMEM, "StratifiedKFold: out of memory");
    }
    for (int64_t i = 0; i < n; i++) cstart[(int)y->data[i] + 1]++;
    for (int c = 0; c < nc; c++) cstart[c + 1] += cstart[c];
    {
        int64_t *pos = malloc(sizeof *pos * (size_t)nc);
        if (!pos) {
            free(cstart), free(byclass), free(fill), free(size), free(fold_of_pos);
            ml_folds_free(f);
            return ml_fail(ML_ENOMEM, "StratifiedKFold: out of memory");
        }
        memcpy(pos, cstart, sizeof *pos * (size_t)nc);
        for (int64_t i = 0; i < n; i++) byclass[pos[(int)y->data[i]]++] = i;
        free(pos);
    }
    ml_rng r;
    ml_rng_seed(&r, seed);
    /* class c: n_c / k rows to every fold, the n_c % k extra rows to the
     * folds that come next in a rotation shared by all classes, so that the
     * folds' sizes stay within one row of each other. */
    int rot = 0;
    for (int c = 0; c < nc; c++) {
        int64_t a = cstart[c], nc_rows = cstart[c + 1] - a;
        if (!nc_rows) continue;
        if (shuffle) ml_rng_shuffle(&r, byclass + a, nc_rows);
        int64_t base = nc_rows / k, extra = nc_rows % k, p = a;
        for (int i = 0; i < k; i++) {
            int64_t take = base + (((i - rot) % k + k) % k < extra);
            for (int64_t j = 0; j < take; j++) fold_of_pos[p++] = i;
            size[i] += take;
        }
        rot = (int)((rot + extra) % k);
    }
    for (int i = 0; i < k; i++) f->start[i + 1] = f->start[i] + size[i];
    for (int64_t p = 0; p < n; p++) {
        int64_t i = fold_of_pos[p];
        f->test[f->start[i] + fill[i]++] = byclass[p];
    }
    for (int i = 0; i < k; i++) qsort(f->test + f->start[i], (size_t)size[i], sizeof *f->test, cmp_i64);
    free(cstart), free(byclass), free(fill), free(size), free(fold_of_pos);
    return ML_OK;
}

void ml_folds_train(const ml_folds *f, int i, int64_t *train, int64_t *n_train)
{
    /* Every row except fold i's test rows (sorted), in increasing order. */
    const int64_t *t = f->test + f->start[i];
    int64_t nt = f->start[i + 1] - f->start[i], j = 0, m = 0;
    for (int64_t r = 0; r < f->n; r++) {
        if (j < nt && t[j] == r) {
            j++;
            continue;
        }
        train[m++] = r;
    }
    *n_train = m;
}

/* ---- one fold's data ---- */
typedef struct fold_data {
    ml_tensor *Xtr, *ytr, *Xte, *yte;
} fold_data;

static void fold_data_free(fold_data *d)
{
    ml_tensor_free(d->Xtr), ml_tensor_free(d->ytr), ml_tensor_free(d->Xte), ml_tensor_free(d->yte);
    memset(d, 0, sizeof *d);
}

static ml_status fold_data_take(const ml_tensor *X, const ml_tensor *y, const ml_folds *f, int i, int64_t *buf,
                                fold_data *d)
{
    memset(d, 0, sizeof *d);
    int64_t ntr;
    ml_folds_train(f, i, buf, &ntr);
    const int64_t *te = f->test + f->start[i];
    int64_t nte = f->start[i + 1] - f->start[i];
    d->Xtr = ml_tensor_take_rows(X, buf, ntr);
    d->ytr = ml_tensor_take_rows(y, buf, ntr);
    d->Xte = ml_tensor_take_rows(X, te, nte);
    d->yte = ml_tensor_take_rows(y, te, nte);
    if (!d->Xtr || !d->ytr || !d->Xte || !d->yte) {
        fold_data_free(d);
        return ml_fail(ML_ENOMEM, "out of memory for the rows of fold %d", i + 1);
    }
    return ML_OK;
}

static ml_status check_xy(const ml_tensor *X, const ml_tensor *y, const ml_folds *f, const char *fn)
{
    if (!X || !y) return ml_fail(ML_EINVAL, "%s: needs X and y", fn);
    if (ml_tensor_numel(y) != X->shape[0])
        return ml_fail(ML_EINVAL, "%s: X has %lld rows but y has %lld labels", fn, (long long)X->shape[0],
                       (long long)ml_tensor_numel(y));
    if (y->ndim != 1) return ml_fail(ML_EINVAL, "%s: y must be a vector of labels", fn);
    if (f->n != X->shape[0])
        return ml_fail(ML_EINVAL, "%s: cv was made for %lld rows but X has %lld", fn, (long long)f->n,
                       (long long)X->shape[0]);
    return ML_OK;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

ml_status ml_check_n_jobs(int n_jobs, const char *fn)
{
    if (n_jobs == ML_N_JOBS_AUTO || n_jobs == -1 || (n_jobs >= 1 && n_jobs <= 256)) return ML_OK;
    return ml_fail(ML_EINVAL, "%s: n_jobs must be nil (automatic), -1 (every thread) or 1 to 256, got %d", fn,
                   n_jobs);
}

/* ---- the engine: every (fold, candidate) fit, serially or n_jobs at a time ----
 *
 * Tasks are numbered fold by fold, candidates inside (task = fold * nc + c),
 * as the serial order.  A Pipeline whose candidates differ only in its last
 * step has its other steps fitted once per fold, before the tasks ("hoisted":
 * the same calls a pipeline's fit makes, done once instead of once per
 * candidate); the tasks then fit the last step on the transformed rows.
 * Otherwise each task fits a whole clone on its fold's rows, copied when the
 * fold's first task starts and freed when its last one ends.
 *
 * With several jobs, each worker of the pool takes the next task; nested
 * parallel loops (and BLAS) run single-threaded inside a task.  Only worker 0,
 * the calling thread, reports progress; the others' fits see a hook that
 * only asks them to stop when the search stops (an error, the hook's answer,
 * Ctrl-C).  Every task's score lands in its own slot, so the results do not
 * depend on which worker ran what or when; the error reported is the first
 * one in task order among the fits that ran (the serial search's, unless a
 * fit stopped early because a later one failed). */

typedef struct cv_fold {
    fold_data d;         /* the rows (hoisted: transformed by the prefix) */
    int users;           /* tasks of this fold not finished (lazy copies) */
    double prefix_seconds;
} cv_fold;

typedef struct cv_engine {
    const char *fn;            /* "GridSearchCV" or "cross_val_score" */
    const ml_tensor *X, *y;
    const ml_folds *f;
    int64_t nc;
    ml_estimator *const *cand; /* nc candidates (complete estimators) */
    int hoist;                 /* steps fitted once per fold (0: none) */
    int lazy;                  /* fold rows copied on demand (not hoisted) */
    int njobs;
    const ml_progress *p;
    int64_t ntasks;
    cv_fold *folds;
    double *score, *seconds;   /* [c * k + i] */
    ml_status *status;         /* per task */
    char (*msg)[256];          /* per task, when status is an error */
    atomic_llong next, done;
    /* side by side with the folds' rows at hand (hoisted), the longest tasks
     * first: each worker takes the task whose candidate took longest so far
     * (one not yet measured first, in task order), so that the run does
     * not end on one long fit while the other cores wait */
    int longest_first;
    char *started;             /* per task */
    double *cand_secs;         /* per candidate: fit seconds of its finished tasks, summed */
    int *cand_done;
    atomic_int stop;           /* 1: stop taking tasks and stop the running fits */
    atomic_int cancelled;      /* the hook or Ctrl-C asked to stop */
    pthread_mutex_t mu;
} cv_engine;

/* The fits of workers other than 0: stop when the search stops. */
static int hook_quiet(void *ud, const char *stage, int64_t done, int64_t total)
{
    (void)stage, (void)done, (void)total;
    return atomic_load(&((cv_engine *)ud)->stop);
}

/* Worker 0's fits: the caller's hook, and stop when the search stops. */
static int hook_main(void *ud, const char *stage, int64_t done, int64_t total)
{
    cv_engine *g = ud;
    if (atomic_load(&g->stop)) return 1;
    if (g->p && g->p->fn && g->p->fn(g->p->ud, stage, done, total)) {
        atomic_store(&g->cancelled, 1);
        return 1;
    }
    return 0;
}

static ml_status fold_acquire(cv_engine *g, int i, int64_t *buf, fold_data **d)
{
    ml_status st = ML_OK;
    if (g->lazy) {
        pthread_mutex_lock(&g->mu);
        if (!g->folds[i].d.Xtr) st = fold_data_take(g->X, g->y, g->f, i, buf, &g->folds[i].d);
        pthread_mutex_unlock(&g->mu);
    }
    *d = &g->folds[i].d;
    return st;
}

static void fold_release(cv_engine *g, int i)
{
    if (!g->lazy) return;
    pthread_mutex_lock(&g->mu);
    if (--g->folds[i].users == 0) fold_data_free(&g->folds[i].d);
    pthread_mutex_unlock(&g->mu);
}

/* The next task to run, or ntasks when none is left. */
static int64_t next_task(cv_engine *g)
{
    if (!g->longest_first) return atomic_fetch_add(&g->next, 1);
    pthread_mutex_lock(&g->mu);
    int64_t best = g->ntasks;
    double best_est = -1;
    for (int64_t t = 0; t < g->ntasks; t++) {
        if (g->started[t]) continue;
        int64_t c = t % g->nc;
        double est = g->cand_done[c] ? g->cand_secs[c] / g->cand_done[c] : INFINITY;
        if (est > best_est) {
            best_est = est;
            best = t;
        }
    }
    if (best < g->ntasks) g->started[best] = 1;
    pthread_mutex_unlock(&g->mu);
    return best;
}

static ml_status run_task(cv_engine *g, int64_t task, int64_t *buf, const ml_progress *hook)
{
    int k = g->f->k;
    int i = (int)(task / g->nc);
    int64_t c = task % g->nc;
    fold_data *d;
    ml_status st = fold_acquire(g, i, buf, &d);
    if (st) return st;
    const ml_estimator *proto = g->cand[c];
    if (g->hoist) proto = ml_pipeline_step(proto, ml_pipeline_n_steps(proto) - 1);
    ml_estimator *e = ml_estimator_clone(proto);
    if (!e) st = ML_ENOMEM;
    double t0 = now_seconds();
    if (!st) st = ml_estimator_fit(e, d->Xtr, d->ytr, hook);
    double secs = now_seconds() - t0;
    g->seconds[c * k + i] = secs + g->folds[i].prefix_seconds;
    if (g->longest_first && !st) {
        pthread_mutex_lock(&g->mu);
        g->cand_secs[c] += secs;
        g->cand_done[c]++;
        pthread_mutex_unlock(&g->mu);
    }
    if (!st) st = ml_estimator_score(e, d->Xte, d->yte, &g->score[c * k + i]);
    ml_estimator_free(e);
    fold_release(g, i);
    return st;
}

static void cv_worker(void *arg, int64_t begin, int64_t end, int w)
{
    (void)begin, (void)end;
    cv_engine *g = arg;
    ml_progress hook = {w == 0 ? hook_main : hook_quiet, g};
    int64_t *buf = g->lazy ? malloc(sizeof *buf * (size_t)g->f->n) : NULL;
    for (;;) {
        if (atomic_load(&g->stop)) break;
        int64_t task = next_task(g);
        if (task >= g->ntasks) break;
        ml_status st = ML_OK;
        if (g->lazy && !buf) st = ml_fail(ML_ENOMEM, "out of memory");
        if (!st && w == 0) {
            char stage[64];
            long long done = (long long)atomic_load(&g->done);
            snprintf(stage, sizeof stage, "%s %lld/%lld", g->nc > 1 ? "grid search" : "cv", done + 1,
                     (long long)g->ntasks);
            if ((st = ml_progress_update(&hook, stage, done, g->ntasks))) atomic_store(&g->cancelled, 1);
        }
        if (!st) st = run_task(g, task, buf, &hook);
        if (st == ML_ECANCELLED && ml_interrupt_pending()) atomic_store(&g->cancelled, 1);
        g->status[task] = st;
        if (st) {
            snprintf(g->msg[task], sizeof g->msg[task], "%s", ml_last_error());
            atomic_store(&g->stop, 1);
        }
        atomic_fetch_add(&g->done, 1);
    }
    free(buf);
}

/* The steps of a pipeline to fit once per fold: all but the last when no
 * candidate's parameters differ outside the last step (grid names all start
 * with "<last step>__"), else 0. */
static int hoistable(const ml_estimator *est, const ml_grid *g)
{
    if (est->cls != &ml_pipeline_class) return 0;
    int n = ml_pipeline_n_steps(est);
    if (n < 2) return 0;
    const char *last = ml_pipeline_step_name(est, n - 1);
    size_t len = strlen(last);
    for (int i = 0; g && i < g->n_params; i++) {
        const char *name = g->params[i].name;
        if (strncmp(name, last, len) != 0 || strncmp(name + len, "__", 2) != 0) return 0;
    }
    return n - 1;
}

/* Jobs for n_jobs: automatic runs the fits side by side only for estimators
 * that gain from it and give the same bits on one thread as on several: SVC
 * (its class pairs are solved one per thread, each single-threaded, so a
 * fit's result does not depend on the threads, and a whole fit per thread
 * leaves no core idle while the hardest pair finishes).  Others keep their
 * own parallelism inside each fit, one fit at a time. */
static int resolve_jobs(int n_jobs, const ml_estimator *fitted, int64_t ntasks)
{
    int threads = ml_get_threads();
    int jobs;
    if (n_jobs == ML_N_JOBS_AUTO) jobs = strcmp(fitted->cls->name, "SVC") == 0 ? threads : 1;
    else if (n_jobs == -1) jobs = threads;
    else jobs = n_jobs < threads ? n_jobs : threads;
    if (jobs > ntasks) jobs = (int)ntasks;
    return jobs < 1 ? 1 : jobs;
}

/* Fits the hoisted steps of est on every fold (serially: each uses every
 * thread), keeping each fold's transformed rows. */
static ml_status hoist_folds(cv_engine *g, const ml_estimator *est)
{
    int k = g->f->k;
    int64_t *buf = malloc(sizeof *buf * (size_t)g->f->n);
    if (!buf) return ml_fail(ML_ENOMEM, "%s: out of memory", g->fn);
    ml_status st = ML_OK;
    for (int i = 0; i < k && !st; i++) {
        char stage[96];
        snprintf(stage, sizeof stage, "%s: fold %d/%d, %s", g->nc > 1 ? "grid search" : "cv", i + 1, k,
                 ml_pipeline_step_name(est, 0));
        if ((st = ml_progress_update(g->p, stage, i, k))) break;
        fold_data *d = &g->folds[i].d;
        if ((st = fold_data_take(g->X, g->y, g->f, i, buf, d))) break;
        double t0 = now_seconds();
        for (int s = 0; s < g->hoist && !st; s++) {
            ml_estimator *step = ml_estimator_clone(ml_pipeline_step(est, s));
            const char *name = ml_pipeline_step_name(est, s);
            if (!step) st = ML_ENOMEM;
            if (!st && (st = ml_estimator_fit(step, d->Xtr, d->ytr, g->p)) && st != ML_ECANCELLED)
                ml_fail_prefix(st, name);
            ml_tensor *a = NULL, *b = NULL;
            if (!st && (st = ml_estimator_transform(step, d->Xtr, &a))) ml_fail_prefix(st, name);
            if (!st && (st = ml_estimator_transform(step, d->Xte, &b))) ml_fail_prefix(st, name);
            if (!st) {
                ml_tensor_free(d->Xtr), ml_tensor_free(d->Xte);
                d->Xtr = a, d->Xte = b;
            } else {
                ml_tensor_free(a), ml_tensor_free(b);
            }
            ml_estimator_free(step);
        }
        g->folds[i].prefix_seconds = now_seconds() - t0;
        if (st && st != ML_ECANCELLED) {
            char pre[96];
            snprintf(pre, sizeof pre, "%s: fold %d", g->fn, i + 1);
            ml_fail_prefix(st, pre);
        }
    }
    free(buf);
    return st;
}

/* Runs every task of the candidates; scores and seconds are [c * k + i]. */
static ml_status cv_run(const char *fn, const ml_estimator *est, const ml_grid *grid, ml_estimator *const *cand,
                        int64_t nc, const ml_tensor *X, const ml_tensor *y, const ml_folds *f, int n_jobs,
                        const ml_progress *p, double *score, double *seconds)
{
    int k = f->k;
    cv_engine g;
    memset(&g, 0, sizeof g);
    g.fn = fn;
    g.X = X, g.y = y, g.f = f;
    g.nc = nc;
    g.cand = cand;
    g.p = p;
    g.ntasks = nc * k;
    g.score = score, g.seconds = seconds;
    g.hoist = hoistable(est, grid);
    g.lazy = !g.hoist;
    const ml_estimator *fitted = g.hoist ? ml_pipeline_step(cand[0], g.hoist) : cand[0];
    g.njobs = resolve_jobs(n_jobs, fitted, g.ntasks);
    g.longest_first = g.njobs > 1 && g.hoist && nc > 1 && g.ntasks <= 100000;
    g.folds = calloc((size_t)k, sizeof *g.folds);
    g.status = calloc((size_t)g.ntasks, sizeof *g.status);
    g.msg = calloc((size_t)g.ntasks, sizeof *g.msg);
    g.started = calloc((size_t)g.ntasks, 1);
    g.cand_secs = calloc((size_t)nc, sizeof *g.cand_secs);
    g.cand_done = calloc((size_t)nc, sizeof *g.cand_done);
    if (!g.folds || !g.status || !g.msg || !g.started || !g.cand_secs || !g.cand_done) {
        free(g.folds), free(g.status), free(g.msg), free(g.started), free(g.cand_secs), free(g.cand_done);
        return ml_fail(ML_ENOMEM, "%s: out of memory", fn);
    }
    for (int i = 0; i < k; i++) g.folds[i].users = (int)nc;
    atomic_init(&g.next, 0);
    atomic_init(&g.done, 0);
    atomic_init(&g.stop, 0);
    atomic_init(&g.cancelled, 0);
    pthread_mutex_init(&g.mu, NULL);
    ml_status st = g.hoist ? hoist_folds(&g, est) : ML_OK;
    if (!st) {
        if (g.njobs > 1) ml_parallel_for(g.njobs, 1, cv_worker, &g);
        else cv_worker(&g, 0, 1, 0);
        /* the first failure in task order, as the serial search reports it;
         * tasks stopped because another failed do not count */
        int64_t first = -1;
        for (int64_t t = 0; t < g.ntasks && first < 0; t++)
            if (g.status[t] && g.status[t] != ML_ECANCELLED) first = t;
        if (first >= 0) {
            st = ml_fail(g.status[first], "%s", g.msg[first]);
            char pre[96];
            if (nc > 1)
                snprintf(pre, sizeof pre, "%s: candidate %lld, fold %d", fn, (long long)(first % nc) + 1,
                         (int)(first / nc) + 1);
            else
                snprintf(pre, sizeof pre, "%s", fn);
            ml_fail_prefix(st, pre);
        } else if (atomic_load(&g.cancelled) || atomic_load(&g.done) < g.ntasks || atomic_load(&g.stop)) {
            int64_t t = 0;
            while (t < g.ntasks && g.status[t] != ML_ECANCELLED) t++;
            st = ml_fail(ML_ECANCELLED, "%s", t < g.ntasks && g.msg[t][0] ? g.msg[t] : "cancelled");
        }
    }
    for (int i = 0; i < k; i++) fold_data_free(&g.folds[i].d);
    pthread_mutex_destroy(&g.mu);
    free(g.folds), free(g.status), free(g.msg), free(g.started), free(g.cand_secs), free(g.cand_done);
    return st;
}

ml_status ml_cross_val_score_jobs(const ml_estimator *est, const ml_tensor *X, const ml_tensor *y,
                                  const ml_folds *f, int n_jobs, const ml_progress *p, double *scores)
{
    ml_status st = check_xy(X, y, f, "cross_val_score");
    if (!st) st = ml_check_n_jobs(n_jobs, "cross_val_score");
    if (st) return st;
    double *secs = malloc(sizeof *secs * (size_t)f->k);
    if (!secs) return ml_fail(ML_ENOMEM, "cross_val_score: out of memory");
    ml_estimator *const cand[1] = {(ml_estimator *)est};
    st = cv_run("cross_val_score", est, NULL, cand, 1, X, y, f, n_jobs, p, scores, secs);
    free(secs);
    if (!st) st = ml_progress_update(p, "cv", f->k, f->k);
    return st;
}

ml_status ml_cross_val_score(const ml_estimator *est, const ml_tensor *X, const ml_tensor *y, const ml_folds *f,
                             const ml_progress *p, double *scores)
{
    return ml_cross_val_score_jobs(est, X, y, f, ML_N_JOBS_AUTO, p, scores);
}

/* ---- grids ---- */

ml_status ml_grid_add(ml_grid *g, const char *name, const ml_value *values, int n_values)
{
    if (n_values < 1) return ml_fail(ML_EINVAL, "GridSearchCV: grid parameter '%s' has no values", name);
    for (int i = 0; i < g->n_params; i++)
        if (!strcmp(g->params[i].name, name))
            return ml_fail(ML_EINVAL, "GridSearchCV: grid parameter '%s' is given twice", name);
    for (int i = 0; i < n_values; i++)
        if (values[i].kind == ML_VAL_TENSOR)
            return ml_fail(ML_EINVAL, "GridSearchCV: grid parameter '%s': value %d is a tensor (numbers, strings, "
                           "booleans or nil only)", name, i + 1);
    ml_grid_param *np = realloc(g->params, sizeof *np * (size_t)(g->n_params + 1));
    if (!np) return ml_fail(ML_ENOMEM, "GridSearchCV: out of memory");
    g->params = np;
    ml_grid_param *q = &g->params[g->n_params];
    q->name = strdup(name);
    q->values = calloc((size_t)n_values, sizeof *q->values);
    q->n_values = n_values;
    if (!q->name || !q->values) {
        free(q->name), free(q->values);
        return ml_fail(ML_ENOMEM, "GridSearchCV: out of memory");
    }
    g->n_params++;
    for (int i = 0; i < n_values; i++) {
        q->values[i] = values[i];
        if (values[i].kind == ML_VAL_STR) {
            q->values[i].str = strdup(values[i].str);
            if (!q->values[i].str) return ml_fail(ML_ENOMEM, "GridSearchCV: out of memory");
        }
    }
    return ML_OK;
}

void ml_grid_free(ml_grid *g)
{
    for (int i = 0; i < g->n_params; i++) {
        for (int j = 0; j < g->params[i].n_values; j++)
            if (g->params[i].values[j].kind == ML_VAL_STR) free((char *)g->params[i].values[j].str);
        free(g->params[i].values);
        free(g->params[i].name);
    }
    free(g->params);
    memset(g, 0, sizeof *g);
}

int64_t ml_grid_size(const ml_grid *g)
{
    int64_t n = 1;
    for (int i = 0; i < g->n_params; i++) n *= g->params[i].n_values;
    return n;
}

void ml_grid_candidate(const ml_grid *g, int64_t c, int *choice)
{
    for (int i = g->n_params - 1; i >= 0; i--) {
        choice[i] = (int)(c % g->params[i].n_values);
        c /= g->params[i].n_values;
    }
}

static ml_status set_candidate(ml_estimator *e, const ml_grid *g, const int *choice)
{
    for (int i = 0; i < g->n_params; i++) {
        ml_status st = ml_estimator_set_param(e, g->params[i].name, &g->params[i].values[choice[i]]);
        if (st) return ml_fail_prefix(st, "GridSearchCV");
    }
    return ML_OK;
}

void ml_search_result_free(ml_search_result *r)
{
    free(r->choice), free(r->fold_scores), free(r->mean), free(r->std), free(r->rank), free(r->fit_seconds);
    ml_estimator_free(r->best_estimator);
    memset(r, 0, sizeof *r);
}

ml_status ml_grid_search_jobs(const ml_estimator *est, const ml_grid *g, const ml_tensor *X, const ml_tensor *y,
                              const ml_folds *f, int refit, int n_jobs, const ml_progress *p, ml_search_result *out)
{
    memset(out, 0, sizeof *out);
    ml_status st = check_xy(X, y, f, "GridSearchCV");
    if (!st) st = ml_check_n_jobs(n_jobs, "GridSearchCV");
    if (st) return st;
    int64_t nc = ml_grid_size(g);
    if (nc < 1 || nc > 1000000) return ml_fail(ML_EINVAL, "GridSearchCV: the grid has %lld candidates", (long long)nc);
    /* every value of every parameter, on a clone, before any work */
    {
        ml_estimator *c = ml_estimator_clone(est);
        if (!c) return ML_ENOMEM;
        for (int i = 0; i < g->n_params && !st; i++)
            for (int j = 0; j < g->params[i].n_values && !st; j++) {
                st = ml_estimator_set_param(c, g->params[i].name, &g->params[i].values[j]);
                if (st) {
                    char pre[160];
                    snprintf(pre, sizeof pre, "GridSearchCV: grid parameter '%s'", g->params[i].name);
                    ml_fail_prefix(st, pre);
                }
            }
        ml_estimator_free(c);
        if (st) return st;
    }
    int np = g->n_params > 0 ? g->n_params : 1;
    int k = f->k;
    out->n_candidates = nc;
    out->k = k;
    out->choice = calloc((size_t)(nc * np), sizeof *out->choice);
    out->fold_scores = calloc((size_t)(nc * k), sizeof *out->fold_scores);
    out->mean = calloc((size_t)nc, sizeof *out->mean);
    out->std = calloc((size_t)nc, sizeof *out->std);
    out->rank = calloc((size_t)nc, sizeof *out->rank);
    out->fit_seconds = calloc((size_t)nc, sizeof *out->fit_seconds);
    double *secs = calloc((size_t)(nc * k), sizeof *secs);
    ml_estimator **cand = calloc((size_t)nc, sizeof *cand);
    if (!out->choice || !out->fold_scores || !out->mean || !out->std || !out->rank || !out->fit_seconds || !secs ||
        !cand) {
        st = ml_fail(ML_ENOMEM, "GridSearchCV: out of memory");
        goto done;
    }
    for (int64_t c = 0; c < nc && !st; c++) {
        ml_grid_candidate(g, c, out->choice + c * np);
        cand[c] = ml_estimator_clone(est);
        if (!cand[c]) st = ML_ENOMEM;
        else st = set_candidate(cand[c], g, out->choice + c * np);
    }
    if (st) goto done;
    if ((st = cv_run("GridSearchCV", est, g, cand, nc, X, y, f, n_jobs, p, out->fold_scores, secs))) goto done;
    for (int64_t c = 0; c < nc; c++) {
        double s = 0, q = 0, t = 0;
        for (int i = 0; i < k; i++) {
            s += out->fold_scores[c * k + i];
            t += secs[c * k + i];
        }
        double mu = s / k;
        for (int i = 0; i < k; i++) {
            double d = out->fold_scores[c * k + i] - mu;
            q += d * d;
        }
        out->mean[c] = mu;
        out->std[c] = sqrt(q / k);
        out->fit_seconds[c] = t / k;
    }
    out->best_index = 0;
    for (int64_t c = 0; c < nc; c++) {
        int r = 1;
        for (int64_t o = 0; o < nc; o++)
            if (out->mean[o] > out->mean[c]) r++;
        out->rank[c] = r;
        if (out->mean[c] > out->mean[out->best_index]) out->best_index = c;
    }
    out->best_score = out->mean[out->best_index];
    if (refit) {
        int64_t total = nc * k + 1;
        if ((st = ml_progress_update(p, "grid search: refit", total - 1, total))) goto done;
        out->best_estimator = cand[out->best_index];
        cand[out->best_index] = NULL;
        st = ml_estimator_fit(out->best_estimator, X, y, p);
        if (st && st != ML_ECANCELLED) ml_fail_prefix(st, "GridSearchCV: refit");
    }
done:
    for (int64_t c = 0; cand && c < nc; c++) ml_estimator_free(cand[c]);
    free(cand);
    free(secs);
    if (st) ml_search_result_free(out);
    return st;
}

ml_status ml_grid_search(const ml_estimator *est, const ml_grid *g, const ml_tensor *X, const ml_tensor *y,
                         const ml_folds *f, int refit, const ml_progress *p, ml_search_result *out)
{
    return ml_grid_search_jobs(est, g, X, y, f, refit, ML_N_JOBS_AUTO, p, out);
}
