/* Shared by the model-file harnesses: the input as a file, the same bytes with
 * a correct checksum, and a mutator that knows the container's sections.
 *
 * A model file ends with a CRC-32 of everything before it, so almost every
 * mutation of a valid file is refused at the checksum and the loaders behind
 * it are never reached.  Each input is therefore tried twice: as it is (the
 * container's own checks, the checksum among them), and with its last four
 * bytes replaced by the right CRC, which takes it to the kind's loader.
 *
 * Byte-level mutations rarely keep the section table consistent, and the
 * interesting lies are in the values (a count of 0 or 2^31, a NaN, a tensor
 * whose shape does not match its neighbour's, a section one element short).
 * Half of the mutations are therefore made on the parsed sections (see
 * fuzz_mutate_sections) and written back with a correct table and CRC. */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

/* The bytes as an anonymous file: *fd and its /proc path, or -1. */
static int fuzz_file(const uint8_t *data, size_t size, char *path, size_t n)
{
    int fd = memfd_create("model", 0);
    if (fd < 0) return -1;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return -1;
    }
    snprintf(path, n, "/proc/self/fd/%d", fd);
    return fd;
}

/* A copy of data whose last 4 bytes are the CRC-32 of the rest (little-endian),
 * or NULL when too short or when the input already has it. */
static uint8_t *fuzz_fix_crc(const uint8_t *data, size_t size)
{
    if (size < 8) return NULL;
    uint32_t crc = (uint32_t)crc32(crc32(0L, Z_NULL, 0), data, (uInt)(size - 4));
    uint8_t le[4] = {(uint8_t)crc, (uint8_t)(crc >> 8), (uint8_t)(crc >> 16), (uint8_t)(crc >> 24)};
    if (memcmp(data + size - 4, le, 4) == 0) return NULL;
    uint8_t *copy = malloc(size);
    if (!copy) return NULL;
    memcpy(copy, data, size - 4);
    memcpy(copy + size - 4, le, 4);
    return copy;
}

/* A path for saving a loaded model again: on tmpfs when there is one, as
 * every save is flushed to disk. */
static const char *fuzz_save_path(void)
{
    static char path[128];
    if (!path[0])
        snprintf(path, sizeof path, "%s/mnistlab-fuzz-%d.model", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp",
                 (int)getpid());
    return path;
}

/* Deterministic inputs in [0, 1) for using a loaded model. */
static float fuzz_unit(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return (float)(*s >> 8) / 16777216.0f;
}

/* ---- structure-aware mutation (the libFuzzer build only: make fuzz-build defines ML_LIBFUZZER) ---- */
#ifdef ML_LIBFUZZER

#define FZ_MAXSEC 128

typedef struct fz_sec {
    char name[256];
    size_t nl;
    uint8_t *data;
    size_t n;
} fz_sec;

typedef struct fz_file {
    uint8_t head[8 + 4 + 2 + 255];
    size_t nhead;
    fz_sec sec[FZ_MAXSEC];
    int count;
} fz_file;

static uint64_t fz_le(const uint8_t *p, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static void fz_put_le(uint8_t *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static void fz_free(fz_file *f)
{
    for (int i = 0; i < f->count; i++) free(f->sec[i].data);
    f->count = 0;
}

/* 0 when data is a container with a readable section table (CRC not checked). */
static int fz_parse(const uint8_t *d, size_t n, fz_file *f)
{
    memset(f, 0, sizeof *f);
    if (n < 8 + 4 + 2 + 4 + 4 || memcmp(d, "MNISTLAB", 8) != 0) return -1;
    size_t klen = (size_t)fz_le(d + 12, 2), off = 14 + klen, end = n - 4;
    if (klen > 255 || off + 4 > end) return -1;
    f->nhead = off;
    memcpy(f->head, d, off);
    uint32_t count = (uint32_t)fz_le(d + off, 4);
    off += 4;
    if (count > FZ_MAXSEC) return -1;
    for (uint32_t i = 0; i < count; i++) {
        fz_sec *s = &f->sec[f->count];
        if (end - off < 2) break;
        s->nl = (size_t)fz_le(d + off, 2);
        off += 2;
        if (s->nl > 255 || end - off < s->nl + 8) break;
        memcpy(s->name, d + off, s->nl);
        off += s->nl;
        uint64_t sz = fz_le(d + off, 8);
        off += 8;
        if (sz > end - off) break;
        s->data = malloc(sz ? sz : 1);
        if (!s->data) break;
        memcpy(s->data, d + off, sz);
        s->n = (size_t)sz;
        off += sz;
        f->count++;
    }
    return f->count ? 0 : (fz_free(f), -1);
}

/* Writes f with a correct count and CRC; returns the size, 0 if over max. */
static size_t fz_write(const fz_file *f, uint8_t *out, size_t max)
{
    size_t n = f->nhead + 4 + 4;
    for (int i = 0; i < f->count; i++) n += 2 + f->sec[i].nl + 8 + f->sec[i].n;
    if (n > max) return 0;
    size_t off = f->nhead;
    memcpy(out, f->head, off);
    fz_put_le(out + off, (uint64_t)f->count, 4);
    off += 4;
    for (int i = 0; i < f->count; i++) {
        const fz_sec *s = &f->sec[i];
        fz_put_le(out + off, s->nl, 2);
        memcpy(out + off + 2, s->name, s->nl);
        off += 2 + s->nl;
        fz_put_le(out + off, s->n, 8);
        off += 8;
        memcpy(out + off, s->data, s->n);
        off += s->n;
    }
    fz_put_le(out + off, (uint32_t)crc32(crc32(0L, Z_NULL, 0), out, (uInt)off), 4);
    return off + 4;
}

static uint32_t fz_rand(uint32_t *s)
{
    *s ^= *s << 13, *s ^= *s >> 17, *s ^= *s << 5;
    return *s;
}

static uint64_t fz_interesting_int(uint32_t *r)
{
    static const int64_t v[] = {0, 1, -1, 2, 3, 4, 7, 8, 10, 16, 255, 256, 1000, 4096, 65535, 65536, 65537,
                                (1 << 20), (1 << 24) + 1, INT32_MAX, (int64_t)INT32_MAX + 1, (int64_t)1 << 31 << 1,
                                (int64_t)1 << 40, INT64_MAX, INT64_MIN};
    return (uint64_t)v[fz_rand(r) % (sizeof v / sizeof *v)];
}

static double fz_interesting_double(uint32_t *r)
{
    static const double v[] = {0.0, -0.0, 1.0, -1.0, 0.5, 2.0, 1e-300, 1e300, -1e300, 4.9e-324, 3.0e38, 1e39};
    uint32_t k = fz_rand(r) % (sizeof v / sizeof *v + 3);
    if (k == sizeof v / sizeof *v) return __builtin_nan("");
    if (k == sizeof v / sizeof *v + 1) return __builtin_inf();
    if (k == sizeof v / sizeof *v + 2) return -__builtin_inf();
    return v[k];
}

static float fz_interesting_float(uint32_t *r)
{
    static const float v[] = {0.0f, -1.0f, 1.0f, 0.5f, 2.0f, 3.0f, 1e30f, -1e30f, 1e-40f, 65536.0f, 2147483648.0f};
    uint32_t k = fz_rand(r) % (sizeof v / sizeof *v + 2);
    if (k == sizeof v / sizeof *v) return __builtin_nanf("");
    if (k == sizeof v / sizeof *v + 1) return __builtin_inff();
    return v[k];
}

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max);

/* One change to one section: a number replaced by an edge value, a tensor's
 * shape changed, the section grown or shrunk by whole elements, a byte-level
 * mutation of its content, or the section dropped or copied from another. */
static void fz_mutate_section(fz_file *f, uint32_t *r)
{
    fz_sec *s = &f->sec[fz_rand(r) % (uint32_t)f->count];
    switch (fz_rand(r) % 8) {
    case 0: /* an 8-byte integer or double (count, size, parameter) */
        if (s->n == 8) {
            if (fz_rand(r) & 1) fz_put_le(s->data, fz_interesting_int(r), 8);
            else {
                double x = fz_interesting_double(r);
                memcpy(s->data, &x, 8);
            }
        } else if (s->n == 9) { /* a tagged parameter: tag, then a double */
            double x = fz_interesting_double(r);
            memcpy(s->data + 1, &x, 8);
        }
        break;
    case 1: /* a tensor's ndim or one of its dimensions */
        if (s->n >= 12) {
            uint32_t nd = (uint32_t)fz_le(s->data, 4);
            if (nd >= 1 && nd <= 8 && s->n >= 4 + 8 * (size_t)nd && (fz_rand(r) & 3)) {
                size_t at = 4 + 8 * (fz_rand(r) % nd);
                uint64_t d = fz_le(s->data + at, 8);
                uint64_t nv = fz_rand(r) & 1 ? fz_interesting_int(r) : d + (fz_rand(r) & 1 ? 1 : -1);
                fz_put_le(s->data + at, nv, 8);
            } else {
                fz_put_le(s->data, fz_rand(r) % 10, 4);
            }
        }
        break;
    case 2: /* one float of the content */
        if (s->n >= 4) {
            float x = fz_interesting_float(r);
            size_t at = (fz_rand(r) % (s->n / 4)) * 4;
            memcpy(s->data + at, &x, 4);
        }
        break;
    case 3: { /* shorter or longer by whole elements (4 or 8 bytes), or emptied */
        size_t unit = fz_rand(r) & 1 ? 4 : 8, k = 1 + fz_rand(r) % 3;
        size_t nn = fz_rand(r) % 5 == 0 ? 0 : fz_rand(r) & 1 ? s->n + k * unit : (s->n > k * unit ? s->n - k * unit : 0);
        if (nn > (1u << 16)) break;
        uint8_t *p = realloc(s->data, nn ? nn : 1);
        if (!p) break;
        for (size_t i = s->n; i < nn; i++) p[i] = (uint8_t)fz_rand(r);
        s->data = p;
        s->n = nn;
        break;
    }
    case 4:
    case 5: { /* libFuzzer's own mutations, inside this section only */
        size_t cap = s->n + 64;
        uint8_t *p = realloc(s->data, cap);
        if (!p) break;
        s->data = p;
        s->n = LLVMFuzzerMutate(p, s->n, cap);
        break;
    }
    case 6: /* drop the section */
        if (f->count > 1) {
            free(s->data);
            *s = f->sec[--f->count];
        }
        break;
    case 7: { /* another section's content under this name */
        fz_sec *o = &f->sec[fz_rand(r) % (uint32_t)f->count];
        if (o == s) break;
        uint8_t *p = malloc(o->n ? o->n : 1);
        if (!p) break;
        memcpy(p, o->data, o->n);
        free(s->data);
        s->data = p;
        s->n = o->n;
        break;
    }
    }
}

/* LLVMFuzzerCustomMutator for a harness: half the time the sections, else bytes. */
static size_t fuzz_mutate_sections(uint8_t *data, size_t size, size_t max, unsigned int seed)
{
    uint32_t r = seed | 1;
    fz_file f;
    if ((fz_rand(&r) & 1) == 0 || fz_parse(data, size, &f) != 0) return LLVMFuzzerMutate(data, size, max);
    int changes = 1 + (int)(fz_rand(&r) % 3);
    for (int i = 0; i < changes; i++) fz_mutate_section(&f, &r);
    size_t n = fz_write(&f, data, max);
    fz_free(&f);
    return n ? n : LLVMFuzzerMutate(data, size, max);
}

/* One thread: inputs replay the same way, and no pool is woken per input. */
#include "core/blas.h"
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    ml_set_threads(1);
    return 0;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max, unsigned int seed);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max, unsigned int seed)
{
    return fuzz_mutate_sections(data, size, max, seed);
}
#endif /* ML_LIBFUZZER */

#endif
