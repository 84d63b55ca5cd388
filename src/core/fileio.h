/* mnistlab core: files that survive a crash.
 *
 * ml_afile writes to a temporary file beside the target, then flushes it to
 * disk and renames it over the target: a crash or kill at any point leaves the
 * old file or the new one, never a mix. */
#ifndef ML_CORE_FILEIO_H
#define ML_CORE_FILEIO_H

#include <stdio.h>
#include <stddef.h>

#include "core/error.h"

typedef struct ml_afile {
    FILE *fp;   /* write here */
    char *path; /* target */
    char *tmp;  /* temporary beside it */
} ml_afile;

ml_status ml_afile_open(ml_afile *f, const char *path);
/* Flush, fsync, rename over the target, fsync the directory.  Frees f. */
ml_status ml_afile_commit(ml_afile *f);
/* Close and remove the temporary.  Frees f.  Safe on a zeroed ml_afile. */
void ml_afile_abort(ml_afile *f);

/* Whole file in one call. */
ml_status ml_write_file_atomic(const char *path, const void *data, size_t n);
/* Reads a whole file into a malloc'ed, NUL-terminated buffer. */
ml_status ml_read_file(const char *path, char **data, size_t *n);

#endif
