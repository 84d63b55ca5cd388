/* mnistlab core: progress reports and cancellation.
 *
 * Long-running work takes a `const ml_progress *` (NULL is fine) and calls
 * ml_progress_update() between iterations, batches or nodes, from the thread
 * that called it.  The update returns ML_ECANCELLED when the callback returns
 * non-zero or when an interrupt is pending (Ctrl-C: a signal handler calls
 * ml_interrupt_request()); the work then stops, leaves its result consistent,
 * and returns that status.  The library never draws anything itself. */
#ifndef ML_CORE_PROGRESS_H
#define ML_CORE_PROGRESS_H

#include <stdint.h>

#include "core/error.h"

/* Return non-zero to ask the work to stop.  `stage` names what runs
 * ("kmeans", "epoch 3/10", ...); total may be 0 when unknown. */
typedef int (*ml_progress_fn)(void *ud, const char *stage, int64_t done, int64_t total);

typedef struct ml_progress {
    ml_progress_fn fn;
    void *ud;
} ml_progress;

ml_status ml_progress_update(const ml_progress *p, const char *stage, int64_t done, int64_t total);

/* Async-signal-safe: may be called from a signal handler. */
void ml_interrupt_request(void);
int ml_interrupt_pending(void);
void ml_interrupt_clear(void);

#endif
