#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define ML_ERRMSG_MAX 1024

static _Thread_local char errmsg[ML_ERRMSG_MAX];

/* A message cut to fit ends in "..." so that nobody reads it as whole. */
static void mark_cut(int written)
{
    if (written >= (int)sizeof errmsg) memcpy(errmsg + sizeof errmsg - 4, "...", 4);
}

ml_status ml_fail(ml_status code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    mark_cut(vsnprintf(errmsg, sizeof errmsg, fmt, ap));
    va_end(ap);
    return code;
}

ml_status ml_fail_prefix(ml_status code, const char *prefix)
{
    char old[ML_ERRMSG_MAX];
    memcpy(old, errmsg, sizeof old);
    mark_cut(snprintf(errmsg, sizeof errmsg, "%s: %s", prefix, old[0] ? old : ml_status_str(code)));
    return code;
}

const char *ml_last_error(void) { return errmsg; }

void ml_clear_error(void) { errmsg[0] = '\0'; }

const char *ml_status_str(ml_status s)
{
    switch (s) {
    case ML_OK: return "ok";
    case ML_EINVAL: return "invalid argument";
    case ML_ENOMEM: return "out of memory";
    case ML_EIO: return "input/output error";
    case ML_EFORMAT: return "malformed file";
    case ML_ESTATE: return "invalid state";
    case ML_ECANCELLED: return "cancelled";
    case ML_ENOTFOUND: return "not found";
    }
    return "unknown error";
}
