#include "core/progress.h"

#include <signal.h>

static volatile sig_atomic_t interrupted;

void ml_interrupt_request(void) { interrupted = 1; }
int ml_interrupt_pending(void) { return interrupted != 0; }
void ml_interrupt_clear(void) { interrupted = 0; }

ml_status ml_progress_update(const ml_progress *p, const char *stage, int64_t done, int64_t total)
{
    if (interrupted) return ml_fail(ML_ECANCELLED, "%s: interrupted", stage ? stage : "work");
    if (p && p->fn && p->fn(p->ud, stage, done, total)) return ml_fail(ML_ECANCELLED, "%s: cancelled", stage ? stage : "work");
    if (interrupted) return ml_fail(ML_ECANCELLED, "%s: interrupted", stage ? stage : "work");
    return ML_OK;
}
