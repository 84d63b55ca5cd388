/* mnistlab core: a growable string, for text built piece by piece (model
 * summaries, SVG documents, file sections).  After an allocation failure the
 * buffer stops growing and `failed` is set: check it once at the end. */
#ifndef ML_CORE_STRBUF_H
#define ML_CORE_STRBUF_H

#include <stddef.h>

typedef struct ml_strbuf {
    char *s;     /* NUL-terminated once anything was added; NULL before */
    size_t n;    /* length, without the NUL */
    size_t cap;
    int failed;  /* an allocation failed */
} ml_strbuf;

void ml_strbuf_printf(ml_strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ml_strbuf_add(ml_strbuf *b, const char *s, size_t n);
void ml_strbuf_free(ml_strbuf *b);

#endif
