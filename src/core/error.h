/* mnistlab core: one error convention for the whole library.
 *
 * Every fallible function returns an ml_status.  On failure it has also left a
 * one-line message (the file or argument first, then the problem) in a
 * per-thread buffer that ml_last_error() returns.  Nothing in the library calls
 * exit() or abort() on bad input. */
#ifndef ML_CORE_ERROR_H
#define ML_CORE_ERROR_H

#include <stddef.h>

typedef enum ml_status {
    ML_OK = 0,
    ML_EINVAL,     /* a bad argument */
    ML_ENOMEM,     /* an allocation failed */
    ML_EIO,        /* a file could not be read or written */
    ML_EFORMAT,    /* a file's contents are malformed */
    ML_ESTATE,     /* e.g. predict before fit */
    ML_ECANCELLED, /* the progress hook or Ctrl-C asked the work to stop */
    ML_ENOTFOUND   /* a file or dataset was not found */
} ml_status;

/* Record a message (printf-style) and return `code`, so callers can write
 * `return ml_fail(ML_EINVAL, "test_size: must be in (0, 1), got %g", t);` */
ml_status ml_fail(ml_status code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prefix the current message with "prefix: " (used to add a file name). */
ml_status ml_fail_prefix(ml_status code, const char *prefix);

/* The last message recorded on this thread ("" if none).  Borrowed. */
const char *ml_last_error(void);
void ml_clear_error(void);

/* A short name for a status: "invalid argument", "out of memory", ... */
const char *ml_status_str(ml_status s);

#endif
