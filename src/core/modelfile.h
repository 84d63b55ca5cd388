/* mnistlab core: the one container for saved models.
 *
 * Layout (little-endian):
 *   "MNISTLAB" (8 bytes)  u32 format version  u16 kind length, kind bytes
 *   u32 section count, then per section: u16 name length, name, u64 size, bytes
 *   u32 CRC-32 (zlib) of everything before it.
 * Writing is atomic (core/fileio.h).  Reading checks the magic, the format
 * version, the kind, every length against the file size, and the CRC, and
 * refuses a bad file with one line naming it and the problem. */
#ifndef ML_CORE_MODELFILE_H
#define ML_CORE_MODELFILE_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/tensor.h"

#define ML_MFILE_VERSION 1

typedef struct ml_mfile_w ml_mfile_w;
typedef struct ml_mfile ml_mfile;

/* Writing: sections are kept in memory and written by commit. */
ml_status ml_mfile_create(ml_mfile_w **w, const char *path, const char *kind);
ml_status ml_mfile_put(ml_mfile_w *w, const char *name, const void *data, size_t n);
ml_status ml_mfile_put_tensor(ml_mfile_w *w, const char *name, const ml_tensor *t);
ml_status ml_mfile_put_f64(ml_mfile_w *w, const char *name, double v);
ml_status ml_mfile_put_i64(ml_mfile_w *w, const char *name, int64_t v);
ml_status ml_mfile_put_str(ml_mfile_w *w, const char *name, const char *s);
/* Writes the file atomically and frees w (also on failure). */
ml_status ml_mfile_commit(ml_mfile_w *w);
void ml_mfile_abort(ml_mfile_w *w);

/* Reading: expect_kind NULL accepts any kind. */
ml_status ml_mfile_open(ml_mfile **r, const char *path, const char *expect_kind);
const char *ml_mfile_kind(const ml_mfile *r);
const char *ml_mfile_path(const ml_mfile *r);
/* Borrowed pointer into the loaded file, or NULL when the section is absent. */
const void *ml_mfile_get(const ml_mfile *r, const char *name, size_t *n);
/* Missing or malformed sections are errors naming the file and the section. */
ml_status ml_mfile_get_tensor(const ml_mfile *r, const char *name, ml_tensor **t);
ml_status ml_mfile_get_f64(const ml_mfile *r, const char *name, double *v);
ml_status ml_mfile_get_i64(const ml_mfile *r, const char *name, int64_t *v);
/* A section of exactly `count` doubles, copied into a new malloc'ed array. */
ml_status ml_mfile_get_f64s(const ml_mfile *r, const char *name, size_t count, double **dst);
/* Copies into buf (NUL-terminated). */
ml_status ml_mfile_get_str(const ml_mfile *r, const char *name, char *buf, size_t n);
void ml_mfile_close(ml_mfile *r);

#endif
