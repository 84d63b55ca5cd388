#include "data/idx.h"
#include "core/fileio.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

/* ---- a byte source: a plain file, or a gzip stream decoded on the fly ---- */

typedef struct src {
    FILE *fp;
    int gz;
    z_stream zs;
    int zinit;
    int zend;               /* the last gzip member ended */
    unsigned char in[1 << 16];
    const char *path;
    uint64_t consumed;      /* payload bytes delivered */
} src;

/* Fills up to n bytes; returns the count, or -1 with an error set. */
static long long src_read(src *s, void *buf, size_t n)
{
    if (!s->gz) {
        size_t got = fread(buf, 1, n, s->fp);
        if (got < n && ferror(s->fp)) {
            ml_fail(ML_EIO, "%s: read error: %s", s->path, strerror(errno));
            return -1;
        }
        s->consumed += got;
        return (long long)got;
    }
    s->zs.next_out = buf;
    s->zs.avail_out = (uInt)n;
    while (s->zs.avail_out > 0 && !s->zend) {
        if (s->zs.avail_in == 0) {
            size_t got = fread(s->in, 1, sizeof s->in, s->fp);
            if (got == 0) {
                if (ferror(s->fp)) {
                    ml_fail(ML_EIO, "%s: read error: %s", s->path, strerror(errno));
                    return -1;
                }
                ml_fail(ML_EFORMAT, "%s: corrupt gzip data (the compressed stream ends early)", s->path);
                return -1;
            }
            s->zs.next_in = s->in;
            s->zs.avail_in = (uInt)got;
        }
        int rc = inflate(&s->zs, Z_NO_FLUSH);
        if (rc == Z_STREAM_END) {
            /* Another gzip member may follow (concatenated gzip is valid). */
            if (s->zs.avail_in == 0) {
                size_t got = fread(s->in, 1, sizeof s->in, s->fp);
                s->zs.next_in = s->in;
                s->zs.avail_in = (uInt)got;
            }
            if (s->zs.avail_in == 0) {
                s->zend = 1;
            } else if (s->zs.avail_in >= 2 && s->zs.next_in[0] == 0x1f && s->zs.next_in[1] == 0x8b) {
                inflateReset(&s->zs);
            } else {
                ml_fail(ML_EFORMAT, "%s: trailing garbage after the gzip data", s->path);
                return -1;
            }
        } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
            ml_fail(ML_EFORMAT, "%s: corrupt gzip data (%s)", s->path, s->zs.msg ? s->zs.msg : zError(rc));
            return -1;
        }
    }
    size_t got = n - s->zs.avail_out;
    s->consumed += got;
    return (long long)got;
}

static ml_status src_open(src *s, const char *path)
{
    memset(s, 0, sizeof *s);
    s->path = path;
    s->fp = fopen(path, "rb");
    if (!s->fp) return ml_fail(errno == ENOENT ? ML_ENOTFOUND : ML_EIO, "%s: %s", path, strerror(errno));
    unsigned char m[2];
    size_t got = fread(m, 1, 2, s->fp);
    rewind(s->fp);
    if (got == 2 && m[0] == 0x1f && m[1] == 0x8b) {
        s->gz = 1;
        if (inflateInit2(&s->zs, 15 + 16) != Z_OK) {
            fclose(s->fp);
            s->fp = NULL;
            return ml_fail(ML_ENOMEM, "%s: cannot start gzip decoder", path);
        }
        s->zinit = 1;
    }
    return ML_OK;
}

static void src_close(src *s)
{
    if (s->zinit) inflateEnd(&s->zs);
    if (s->fp) fclose(s->fp);
    s->fp = NULL;
    s->zinit = 0;
}

/* ---- types ---- */

const char *ml_idx_type_name(ml_idx_type t)
{
    switch (t) {
    case ML_IDX_U8: return "unsigned byte";
    case ML_IDX_I8: return "signed byte";
    case ML_IDX_I16: return "short";
    case ML_IDX_I32: return "int";
    case ML_IDX_F32: return "float";
    case ML_IDX_F64: return "double";
    }
    return "unknown";
}

size_t ml_idx_type_size(ml_idx_type t)
{
    switch (t) {
    case ML_IDX_U8:
    case ML_IDX_I8: return 1;
    case ML_IDX_I16: return 2;
    case ML_IDX_I32:
    case ML_IDX_F32: return 4;
    case ML_IDX_F64: return 8;
    }
    return 0;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Reads and checks magic and dims; sets out->nbytes. */
static ml_status read_header(src *s, ml_idx *out)
{
    unsigned char h[4];
    long long got = src_read(s, h, 4);
    if (got < 0) return ML_EFORMAT;
    if (got < 4)
        return ml_fail(ML_EFORMAT, "%s: truncated header (%lld of 4 bytes)", s->path, got);
    if (h[0] != 0 || h[1] != 0)
        return ml_fail(ML_EFORMAT, "%s: not an IDX file (bad magic %02x %02x %02x %02x, expected 00 00 TT NN)",
                       s->path, h[0], h[1], h[2], h[3]);
    out->type = (ml_idx_type)h[2];
    size_t esize = ml_idx_type_size(out->type);
    if (esize == 0)
        return ml_fail(ML_EFORMAT,
                       "%s: unknown data type code 0x%02x (IDX knows 0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E)",
                       s->path, h[2]);
    out->ndim = h[3];
    if (out->ndim < 1 || out->ndim > ML_IDX_MAXDIM)
        return ml_fail(ML_EFORMAT, "%s: %d dimensions (supported: 1 to %d)", s->path, out->ndim, ML_IDX_MAXDIM);
    unsigned char d[4 * ML_IDX_MAXDIM];
    size_t need = 4 * (size_t)out->ndim;
    got = src_read(s, d, need);
    if (got < 0) return ML_EFORMAT;
    if ((size_t)got < need)
        return ml_fail(ML_EFORMAT, "%s: truncated header (%lld of %zu bytes of dimensions)", s->path, got, need);
    uint64_t total = esize;
    for (int i = 0; i < out->ndim; i++) {
        out->dims[i] = be32(d + 4 * i);
        if (out->dims[i] != 0 && total > ML_IDX_MAX_BYTES / out->dims[i])
            return ml_fail(ML_EFORMAT, "%s: dimensions overflow (the sizes multiply past %llu bytes)", s->path,
                           (unsigned long long)ML_IDX_MAX_BYTES);
        total *= out->dims[i];
    }
    out->nbytes = (size_t)total;
    return ML_OK;
}

static void fmt_dims(const ml_idx *x, char *buf, size_t n)
{
    size_t off = 0;
    buf[0] = 0;
    for (int i = 0; i < x->ndim && off < n; i++) {
        int w = snprintf(buf + off, n - off, "%s%u", i ? "x" : "", x->dims[i]);
        if (w < 0) break;
        off += (size_t)w;
    }
}

static ml_status size_mismatch(const char *path, const ml_idx *x, uint64_t have, int more)
{
    char dims[128];
    fmt_dims(x, dims, sizeof dims);
    if (more)
        return ml_fail(ML_EFORMAT, "%s: trailing data after the %zu bytes the header declares (%s %s)", path,
                       x->nbytes, dims, ml_idx_type_name(x->type));
    return ml_fail(ML_EFORMAT, "%s: truncated: the header declares %s %s (%zu bytes of data), the file holds %llu",
                   path, dims, ml_idx_type_name(x->type), x->nbytes, (unsigned long long)have);
}

static void swap_to_host(void *data, size_t nbytes, size_t esize)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    (void)data, (void)nbytes, (void)esize; /* IDX is big-endian already */
    return;
#endif
    unsigned char *p = data;
    if (esize == 1) return;
    for (size_t i = 0; i + esize <= nbytes; i += esize)
        for (size_t a = 0, b = esize - 1; a < b; a++, b--) {
            unsigned char t = p[i + a];
            p[i + a] = p[i + b];
            p[i + b] = t;
        }
}

ml_status ml_idx_read(const char *path, ml_idx *out)
{
    memset(out, 0, sizeof *out);
    src s;
    ml_status st = src_open(&s, path);
    if (st) return st;
    out->gzipped = s.gz;
    if ((st = read_header(&s, out))) {
        /* In a gzip file, a bad header may be the first sign of a damaged
         * stream: read on a little to tell which it is. */
        if (s.gz) {
            char msg[1024];
            snprintf(msg, sizeof msg, "%s", ml_last_error());
            unsigned char *sink = malloc(1 << 16);
            long long got = sink ? 1 : 0;
            for (int k = 0; k < 256 && got > 0; k++) got = src_read(&s, sink, 1 << 16);
            free(sink);
            if (got >= 0) ml_fail(st, "%s", msg);
        }
        goto fail;
    }
    size_t hlen = 4 + 4 * (size_t)out->ndim;

    if (!s.gz) { /* a plain file's size is known: check it before allocating */
        struct stat sb;
        if (fstat(fileno(s.fp), &sb) == 0 && S_ISREG(sb.st_mode)) {
            uint64_t have = (uint64_t)sb.st_size - hlen;
            if (have != out->nbytes) {
                st = size_mismatch(path, out, have, have > out->nbytes);
                goto fail;
            }
        }
    }
    /* Grow the buffer as data arrives, so a lying gzip header costs nothing. */
    size_t cap = out->nbytes < (1u << 20) ? out->nbytes : (1u << 20), len = 0;
    unsigned char *buf = malloc(cap ? cap : 1);
    if (!buf) {
        st = ml_fail(ML_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    while (len < out->nbytes) {
        if (len == cap) {
            size_t ncap = cap * 2 < out->nbytes ? cap * 2 : out->nbytes;
            unsigned char *nb = realloc(buf, ncap);
            if (!nb) {
                free(buf);
                st = ml_fail(ML_ENOMEM, "%s: out of memory for %zu bytes", path, out->nbytes);
                goto fail;
            }
            buf = nb;
            cap = ncap;
        }
        long long got = src_read(&s, buf + len, cap - len);
        if (got < 0) {
            free(buf);
            st = ML_EFORMAT;
            goto fail;
        }
        if (got == 0) break;
        len += (size_t)got;
    }
    if (len < out->nbytes) {
        free(buf);
        st = size_mismatch(path, out, len, 0);
        goto fail;
    }
    unsigned char extra;
    long long more = src_read(&s, &extra, 1);
    if (more != 0) {
        free(buf);
        st = more < 0 ? ML_EFORMAT : size_mismatch(path, out, len, 1);
        goto fail;
    }
    src_close(&s);
    swap_to_host(buf, out->nbytes, ml_idx_type_size(out->type));
    out->data = buf;
    return ML_OK;

fail:
    src_close(&s);
    memset(out, 0, sizeof *out);
    return st;
}


void ml_idx_free(ml_idx *idx)
{
    if (!idx) return;
    free(idx->data);
    memset(idx, 0, sizeof *idx);
}

ml_tensor *ml_idx_to_tensor(const ml_idx *idx, float scale)
{
    if (idx->ndim > ML_MAXDIM) {
        ml_fail(ML_EINVAL, "IDX data has %d dimensions; tensors hold at most %d", idx->ndim, ML_MAXDIM);
        return NULL;
    }
    int64_t shape[ML_MAXDIM];
    for (int i = 0; i < idx->ndim; i++) shape[i] = idx->dims[i];
    if (idx->type == ML_IDX_U8) return ml_tensor_from_u8(idx->data, idx->ndim, shape, scale);
    ml_tensor *t = ml_tensor_empty(idx->ndim, shape);
    if (!t) return NULL;
    int64_t n = ml_tensor_numel(t);
    const void *d = idx->data;
    for (int64_t i = 0; i < n; i++) {
        double v;
        switch (idx->type) {
        case ML_IDX_I8: v = ((const int8_t *)d)[i]; break;
        case ML_IDX_I16: v = ((const int16_t *)d)[i]; break;
        case ML_IDX_I32: v = ((const int32_t *)d)[i]; break;
        case ML_IDX_F32: v = ((const float *)d)[i]; break;
        case ML_IDX_F64: v = ((const double *)d)[i]; break;
        default: v = ((const uint8_t *)d)[i]; break;
        }
        t->data[i] = (float)(v * scale);
    }
    return t;
}

ml_status ml_idx_write(const char *path, const ml_tensor *t, ml_idx_type type, float scale, int gzip)
{
    size_t esize = ml_idx_type_size(type);
    if (esize == 0) return ml_fail(ML_EINVAL, "%s: unknown IDX type code 0x%02x", path, (unsigned)type);
    int64_t n = ml_tensor_numel(t);
    for (int i = 0; i < t->ndim; i++)
        if (t->shape[i] > UINT32_MAX) return ml_fail(ML_EINVAL, "%s: dimension %d too large for IDX", path, i + 1);
    size_t hlen = 4 + 4 * (size_t)t->ndim, total = hlen + (size_t)n * esize;
    unsigned char *buf = malloc(total);
    if (!buf) return ml_fail(ML_ENOMEM, "%s: out of memory", path);
    buf[0] = buf[1] = 0;
    buf[2] = (unsigned char)type;
    buf[3] = (unsigned char)t->ndim;
    for (int i = 0; i < t->ndim; i++) {
        uint32_t d = (uint32_t)t->shape[i];
        unsigned char *p = buf + 4 + 4 * i;
        p[0] = (unsigned char)(d >> 24), p[1] = (unsigned char)(d >> 16), p[2] = (unsigned char)(d >> 8),
        p[3] = (unsigned char)d;
    }
    static const double lo[] = {[ML_IDX_U8] = 0, [ML_IDX_I8] = -128, [ML_IDX_I16] = -32768, [ML_IDX_I32] = -2147483648.0};
    static const double hi[] = {[ML_IDX_U8] = 255, [ML_IDX_I8] = 127, [ML_IDX_I16] = 32767, [ML_IDX_I32] = 2147483647.0};
    unsigned char *p = buf + hlen;
    for (int64_t i = 0; i < n; i++, p += esize) {
        double v = (double)t->data[i] * scale;
        if (type != ML_IDX_F32 && type != ML_IDX_F64) {
            v = nearbyint(v);
            if (!(v >= lo[type] && v <= hi[type])) {
                free(buf);
                return ml_fail(ML_EINVAL, "%s: value %g at element %lld does not fit IDX type %s", path,
                               (double)t->data[i] * scale, (long long)i, ml_idx_type_name(type));
            }
        }
        switch (type) {
        case ML_IDX_U8: *p = (uint8_t)v; break;
        case ML_IDX_I8: *(int8_t *)p = (int8_t)v; break;
        case ML_IDX_I16: { int16_t x = (int16_t)v; memcpy(p, &x, 2); break; }
        case ML_IDX_I32: { int32_t x = (int32_t)v; memcpy(p, &x, 4); break; }
        case ML_IDX_F32: { float x = (float)v; memcpy(p, &x, 4); break; }
        case ML_IDX_F64: memcpy(p, &v, 8); break;
        }
    }
    swap_to_host(buf + hlen, (size_t)n * esize, esize); /* host -> big endian (little-endian hosts) */

    ml_status st;
    if (!gzip) {
        st = ml_write_file_atomic(path, buf, total);
    } else {
        uLongf clen = compressBound((uLong)total) + 32;
        unsigned char *cbuf = malloc(clen);
        z_stream zs;
        memset(&zs, 0, sizeof zs);
        if (!cbuf || deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
            free(cbuf);
            free(buf);
            return ml_fail(ML_ENOMEM, "%s: out of memory", path);
        }
        zs.next_in = buf;
        zs.avail_in = (uInt)total;
        zs.next_out = cbuf;
        zs.avail_out = (uInt)clen;
        int rc = deflate(&zs, Z_FINISH);
        size_t outlen = clen - zs.avail_out;
        deflateEnd(&zs);
        st = rc == Z_STREAM_END ? ml_write_file_atomic(path, cbuf, outlen)
                                : ml_fail(ML_EIO, "%s: gzip compression failed", path);
        free(cbuf);
    }
    free(buf);
    return st;
}
