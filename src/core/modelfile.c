#include "core/modelfile.h"
#include "core/fileio.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static const char MAGIC[8] = {'M', 'N', 'I', 'S', 'T', 'L', 'A', 'B'};

/* ---- a growable byte buffer ---- */
typedef struct buf {
    unsigned char *p;
    size_t n, cap;
    int failed;
} buf;

static void put(buf *b, const void *d, size_t n)
{
    if (b->failed) return;
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + n) cap *= 2;
        unsigned char *np = realloc(b->p, cap);
        if (!np) {
            b->failed = 1;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->n, d, n);
    b->n += n;
}

static void put_le(buf *b, uint64_t v, int bytes)
{
    unsigned char s[8];
    for (int i = 0; i < bytes; i++) s[i] = (unsigned char)(v >> (8 * i));
    put(b, s, (size_t)bytes);
}

static uint64_t get_le(const unsigned char *p, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* ---- writer ---- */
struct ml_mfile_w {
    char *path;
    buf body;      /* sections */
    uint32_t count;
    char kind[64];
};

ml_status ml_mfile_create(ml_mfile_w **w, const char *path, const char *kind)
{
    *w = calloc(1, sizeof **w);
    if (!*w || !((*w)->path = strdup(path))) {
        free(*w);
        *w = NULL;
        return ml_fail(ML_ENOMEM, "%s: out of memory", path);
    }
    snprintf((*w)->kind, sizeof (*w)->kind, "%s", kind);
    return ML_OK;
}

ml_status ml_mfile_put(ml_mfile_w *w, const char *name, const void *data, size_t n)
{
    size_t len = strlen(name);
    if (len > 255) return ml_fail(ML_EINVAL, "%s: section name too long", w->path);
    put_le(&w->body, len, 2);
    put(&w->body, name, len);
    put_le(&w->body, n, 8);
    put(&w->body, data, n);
    w->count++;
    return w->body.failed ? ml_fail(ML_ENOMEM, "%s: out of memory", w->path) : ML_OK;
}

ml_status ml_mfile_put_tensor(ml_mfile_w *w, const char *name, const ml_tensor *t)
{
    /* u32 ndim, i64 dims, then float32 data (little-endian hosts store as is) */
    buf b = {0};
    put_le(&b, (uint64_t)t->ndim, 4);
    for (int i = 0; i < t->ndim; i++) put_le(&b, (uint64_t)t->shape[i], 8);
    int64_t n = ml_tensor_numel(t);
    for (int64_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &t->data[i], 4);
        put_le(&b, u, 4);
    }
    ml_status st = b.failed ? ml_fail(ML_ENOMEM, "%s: out of memory", w->path) : ml_mfile_put(w, name, b.p, b.n);
    free(b.p);
    return st;
}

ml_status ml_mfile_put_f64(ml_mfile_w *w, const char *name, double v)
{
    uint64_t u;
    memcpy(&u, &v, 8);
    unsigned char s[8];
    for (int i = 0; i < 8; i++) s[i] = (unsigned char)(u >> (8 * i));
    return ml_mfile_put(w, name, s, 8);
}

ml_status ml_mfile_put_i64(ml_mfile_w *w, const char *name, int64_t v)
{
    unsigned char s[8];
    for (int i = 0; i < 8; i++) s[i] = (unsigned char)((uint64_t)v >> (8 * i));
    return ml_mfile_put(w, name, s, 8);
}

ml_status ml_mfile_put_str(ml_mfile_w *w, const char *name, const char *s)
{
    return ml_mfile_put(w, name, s, strlen(s));
}

void ml_mfile_abort(ml_mfile_w *w)
{
    if (!w) return;
    free(w->body.p);
    free(w->path);
    free(w);
}

ml_status ml_mfile_commit(ml_mfile_w *w)
{
    buf out = {0};
    size_t klen = strlen(w->kind);
    put(&out, MAGIC, 8);
    put_le(&out, ML_MFILE_VERSION, 4);
    put_le(&out, klen, 2);
    put(&out, w->kind, klen);
    put_le(&out, w->count, 4);
    put(&out, w->body.p ? w->body.p : (const unsigned char *)"", w->body.n);
    uLong crc = out.failed ? 0 : crc32(crc32(0L, Z_NULL, 0), out.p, (uInt)out.n);
    put_le(&out, crc, 4);
    ml_status st = out.failed || w->body.failed ? ml_fail(ML_ENOMEM, "%s: out of memory", w->path)
                                                : ml_write_file_atomic(w->path, out.p, out.n);
    free(out.p);
    ml_mfile_abort(w);
    return st;
}

/* ---- reader ---- */
typedef struct section {
    char name[256];
    const unsigned char *data;
    size_t n;
} section;

struct ml_mfile {
    char *path;
    char kind[64];
    unsigned char *raw;
    size_t nraw;
    section *sec;
    uint32_t count;
};

void ml_mfile_close(ml_mfile *r)
{
    if (!r) return;
    free(r->path);
    free(r->raw);
    free(r->sec);
    free(r);
}

static ml_status bad(ml_mfile *r, const char *path, const char *why)
{
    ml_mfile_close(r);
    return ml_fail(ML_EFORMAT, "%s: %s", path, why);
}

ml_status ml_mfile_open(ml_mfile **out, const char *path, const char *expect_kind)
{
    *out = NULL;
    ml_mfile *r = calloc(1, sizeof *r);
    if (!r) return ml_fail(ML_ENOMEM, "%s: out of memory", path);
    char *raw;
    size_t n;
    ml_status st = ml_read_file(path, &raw, &n);
    if (st) {
        free(r);
        return st;
    }
    r->raw = (unsigned char *)raw;
    r->nraw = n;
    r->path = strdup(path);
    const unsigned char *p = r->raw;
    if (n < 8 || memcmp(p, MAGIC, 8) != 0) return bad(r, path, "not a mnistlab model file (bad magic)");
    if (n < 8 + 4 + 2 + 4 + 4) return bad(r, path, "truncated model file");
    uint32_t ver = (uint32_t)get_le(p + 8, 4);
    if (ver != ML_MFILE_VERSION) {
        ml_mfile_close(r);
        return ml_fail(ML_EFORMAT, "%s: model file format version %u, this mnistlab reads version %d", path, ver,
                       ML_MFILE_VERSION);
    }
    uint32_t want = (uint32_t)get_le(p + n - 4, 4);
    uint32_t have = (uint32_t)crc32(crc32(0L, Z_NULL, 0), p, (uInt)(n - 4));
    if (want != have) return bad(r, path, "checksum mismatch: the model file is damaged");
    size_t off = 12, end = n - 4;
    size_t klen = (size_t)get_le(p + off, 2);
    off += 2;
    if (klen >= sizeof r->kind || off + klen + 4 > end) return bad(r, path, "malformed header");
    memcpy(r->kind, p + off, klen);
    r->kind[klen] = 0;
    for (char *c = r->kind; *c; c++) /* quoted in messages: one line, no terminal controls */
        if ((unsigned char)*c < 0x20 || *c == 0x7f) *c = '?';
    off += klen;
    r->count = (uint32_t)get_le(p + off, 4);
    off += 4;
    if (r->count > (end - off) / 10) return bad(r, path, "malformed section table");
    r->sec = calloc(r->count ? r->count : 1, sizeof *r->sec);
    if (!r->sec) {
        ml_mfile_close(r);
        return ml_fail(ML_ENOMEM, "%s: out of memory", path);
    }
    for (uint32_t i = 0; i < r->count; i++) {
        if (end - off < 2) return bad(r, path, "truncated section");
        size_t nl = (size_t)get_le(p + off, 2);
        off += 2;
        if (nl > 255 || end - off < nl + 8) return bad(r, path, "truncated section");
        memcpy(r->sec[i].name, p + off, nl);
        off += nl;
        uint64_t sz = get_le(p + off, 8);
        off += 8;
        if (sz > end - off) return bad(r, path, "a section runs past the end of the file");
        r->sec[i].data = p + off;
        r->sec[i].n = (size_t)sz;
        off += (size_t)sz;
    }
    if (off != end) return bad(r, path, "trailing bytes after the last section");
    if (expect_kind && strcmp(expect_kind, r->kind) != 0) {
        ml_status wrong = ml_fail(ML_EFORMAT, "%s: holds a %s model, not a %s", path, r->kind, expect_kind);
        ml_mfile_close(r);
        return wrong;
    }
    *out = r;
    return ML_OK;
}

const char *ml_mfile_kind(const ml_mfile *r) { return r->kind; }
const char *ml_mfile_path(const ml_mfile *r) { return r->path; }

const void *ml_mfile_get(const ml_mfile *r, const char *name, size_t *n)
{
    for (uint32_t i = 0; i < r->count; i++)
        if (strcmp(r->sec[i].name, name) == 0) {
            if (n) *n = r->sec[i].n;
            return r->sec[i].data;
        }
    if (n) *n = 0;
    return NULL;
}

static const unsigned char *need(const ml_mfile *r, const char *name, size_t size, size_t *n)
{
    size_t have;
    const unsigned char *d = ml_mfile_get(r, name, &have);
    if (!d) {
        ml_fail(ML_EFORMAT, "%s: section '%s' is missing", r->path, name);
        return NULL;
    }
    if (size && have != size) {
        ml_fail(ML_EFORMAT, "%s: section '%s' has %zu bytes, expected %zu", r->path, name, have, size);
        return NULL;
    }
    if (n) *n = have;
    return d;
}

ml_status ml_mfile_get_f64(const ml_mfile *r, const char *name, double *v)
{
    const unsigned char *d = need(r, name, 8, NULL);
    if (!d) return ML_EFORMAT;
    uint64_t u = get_le(d, 8);
    memcpy(v, &u, 8);
    return ML_OK;
}

ml_status ml_mfile_get_i64(const ml_mfile *r, const char *name, int64_t *v)
{
    const unsigned char *d = need(r, name, 8, NULL);
    if (!d) return ML_EFORMAT;
    *v = (int64_t)get_le(d, 8);
    return ML_OK;
}

ml_status ml_mfile_get_f64s(const ml_mfile *r, const char *name, size_t count, double **dst)
{
    *dst = NULL;
    const unsigned char *d = need(r, name, count * sizeof(double), NULL);
    if (!d) return ML_EFORMAT;
    *dst = malloc(count ? count * sizeof(double) : 1);
    if (!*dst) return ml_fail(ML_ENOMEM, "%s: out of memory", r->path);
    memcpy(*dst, d, count * sizeof(double));
    return ML_OK;
}

ml_status ml_mfile_get_str(const ml_mfile *r, const char *name, char *out, size_t n)
{
    size_t have;
    const unsigned char *d = need(r, name, 0, &have);
    if (!d) return ML_EFORMAT;
    if (have >= n) return ml_fail(ML_EFORMAT, "%s: section '%s' is too long", r->path, name);
    memcpy(out, d, have);
    out[have] = 0;
    return ML_OK;
}

ml_status ml_mfile_get_tensor(const ml_mfile *r, const char *name, ml_tensor **t)
{
    *t = NULL;
    size_t n;
    const unsigned char *d = need(r, name, 0, &n);
    if (!d) return ML_EFORMAT;
    if (n < 4) return ml_fail(ML_EFORMAT, "%s: tensor '%s' is truncated", r->path, name);
    uint32_t nd = (uint32_t)get_le(d, 4);
    if (nd < 1 || nd > ML_MAXDIM || n < 4 + 8 * (size_t)nd)
        return ml_fail(ML_EFORMAT, "%s: tensor '%s' has a bad shape", r->path, name);
    int64_t shape[ML_MAXDIM];
    uint64_t count = 1;
    for (uint32_t i = 0; i < nd; i++) {
        uint64_t s = get_le(d + 4 + 8 * i, 8);
        if (s > (uint64_t)1 << 40 || (s && count > ((uint64_t)1 << 40) / s))
            return ml_fail(ML_EFORMAT, "%s: tensor '%s' has a bad shape", r->path, name);
        shape[i] = (int64_t)s;
        count *= s;
    }
    size_t off = 4 + 8 * (size_t)nd;
    if ((n - off) != count * 4)
        return ml_fail(ML_EFORMAT, "%s: tensor '%s' holds %zu bytes, its shape needs %llu", r->path, name, n - off,
                       (unsigned long long)(count * 4));
    ml_tensor *x = ml_tensor_empty((int)nd, shape);
    if (!x) return ML_ENOMEM;
    for (uint64_t i = 0; i < count; i++) {
        uint32_t u = (uint32_t)get_le(d + off + 4 * i, 4);
        memcpy(&x->data[i], &u, 4);
    }
    *t = x;
    return ML_OK;
}
