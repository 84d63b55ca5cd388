#include "core/tensor.h"
#include "core/parallel.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ml_storage {
    float *data;
    size_t nbytes;
    int refcount; /* atomic */
};

#define ML_ALIGN 64

static ml_storage *storage_new(int64_t numel, int zero)
{
    if (numel < 0 || (uint64_t)numel > (SIZE_MAX - ML_ALIGN) / sizeof(float)) {
        ml_fail(ML_EINVAL, "tensor of %lld elements is too large", (long long)numel);
        return NULL;
    }
    size_t nbytes = (size_t)numel * sizeof(float);
    size_t alloc = (nbytes + ML_ALIGN - 1) / ML_ALIGN * ML_ALIGN;
    if (alloc == 0) alloc = ML_ALIGN;
    ml_storage *s = malloc(sizeof *s);
    void *p = NULL;
    if (!s || posix_memalign(&p, ML_ALIGN, alloc) != 0) {
        free(s);
        ml_fail(ML_ENOMEM, "out of memory allocating a tensor of %zu bytes", nbytes);
        return NULL;
    }
    if (zero) memset(p, 0, alloc);
    s->data = p;
    s->nbytes = nbytes;
    s->refcount = 1;
    return s;
}

static void storage_retain(ml_storage *s) { __atomic_add_fetch(&s->refcount, 1, __ATOMIC_RELAXED); }

static void storage_release(ml_storage *s)
{
    if (s && __atomic_sub_fetch(&s->refcount, 1, __ATOMIC_ACQ_REL) == 0) {
        free(s->data);
        free(s);
    }
}

/* Validate a shape and return its element count, or -1 with an error. */
static int64_t shape_numel(int ndim, const int64_t *shape)
{
    if (ndim < 1 || ndim > ML_MAXDIM) {
        ml_fail(ML_EINVAL, "tensor: %d dimensions (must be 1 to %d)", ndim, ML_MAXDIM);
        return -1;
    }
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0) {
            ml_fail(ML_EINVAL, "tensor: dimension %d is negative (%lld)", i + 1, (long long)shape[i]);
            return -1;
        }
        if (shape[i] != 0 && n > INT64_MAX / shape[i]) {
            ml_fail(ML_EINVAL, "tensor: shape overflows");
            return -1;
        }
        n *= shape[i];
    }
    return n;
}

static ml_tensor *header_new(int ndim, const int64_t *shape, float *data, ml_storage *s)
{
    ml_tensor *t = malloc(sizeof *t);
    if (!t) {
        ml_fail(ML_ENOMEM, "out of memory");
        return NULL;
    }
    t->ndim = ndim;
    for (int i = 0; i < ML_MAXDIM; i++) t->shape[i] = i < ndim ? shape[i] : 1;
    t->data = data;
    t->storage = s;
    return t;
}

static ml_tensor *tensor_alloc(int ndim, const int64_t *shape, int zero)
{
    int64_t n = shape_numel(ndim, shape);
    if (n < 0) return NULL;
    ml_storage *s = storage_new(n, zero);
    if (!s) return NULL;
    ml_tensor *t = header_new(ndim, shape, s->data, s);
    if (!t) storage_release(s);
    return t;
}

ml_tensor *ml_tensor_new(int ndim, const int64_t *shape) { return tensor_alloc(ndim, shape, 1); }
ml_tensor *ml_tensor_empty(int ndim, const int64_t *shape) { return tensor_alloc(ndim, shape, 0); }

ml_tensor *ml_tensor_new1(int64_t n) { return ml_tensor_new(1, &n); }

ml_tensor *ml_tensor_new2(int64_t rows, int64_t cols)
{
    int64_t shape[2] = {rows, cols};
    return ml_tensor_new(2, shape);
}

ml_tensor *ml_tensor_from_u8(const uint8_t *src, int ndim, const int64_t *shape, float scale)
{
    ml_tensor *t = ml_tensor_empty(ndim, shape);
    if (!t) return NULL;
    int64_t n = ml_tensor_numel(t);
    float *d = t->data;
    for (int64_t i = 0; i < n; i++) d[i] = (float)src[i] * scale;
    return t;
}

void ml_tensor_free(ml_tensor *t)
{
    if (!t) return;
    storage_release(t->storage);
    free(t);
}

int64_t ml_tensor_numel(const ml_tensor *t)
{
    int64_t n = 1;
    for (int i = 0; i < t->ndim; i++) n *= t->shape[i];
    return n;
}

int64_t ml_tensor_rowsize(const ml_tensor *t)
{
    int64_t n = 1;
    for (int i = 1; i < t->ndim; i++) n *= t->shape[i];
    return n;
}

size_t ml_tensor_storage_bytes(const ml_tensor *t) { return t->storage ? t->storage->nbytes : 0; }

int ml_tensor_same_shape(const ml_tensor *a, const ml_tensor *b)
{
    if (a->ndim != b->ndim) return 0;
    for (int i = 0; i < a->ndim; i++)
        if (a->shape[i] != b->shape[i]) return 0;
    return 1;
}

const char *ml_tensor_shape_str(const ml_tensor *t, char *buf, size_t n)
{
    size_t off = 0;
    buf[0] = '\0';
    for (int i = 0; i < t->ndim && off < n; i++) {
        int w = snprintf(buf + off, n - off, "%s%lld", i ? "x" : "", (long long)t->shape[i]);
        if (w < 0) break;
        off += (size_t)w;
    }
    return buf;
}

static ml_tensor *view(const ml_tensor *t, int ndim, const int64_t *shape, float *data)
{
    ml_tensor *v = header_new(ndim, shape, data, t->storage);
    if (v) storage_retain(t->storage);
    return v;
}

ml_tensor *ml_tensor_view_row(const ml_tensor *t, int64_t i)
{
    if (t->ndim < 2) {
        ml_fail(ML_EINVAL, "tensor: a row view needs at least 2 dimensions, this one has 1");
        return NULL;
    }
    if (i < 0 || i >= t->shape[0]) {
        ml_fail(ML_EINVAL, "tensor: row %lld out of range (0 to %lld)", (long long)i, (long long)t->shape[0] - 1);
        return NULL;
    }
    return view(t, t->ndim - 1, t->shape + 1, t->data + i * ml_tensor_rowsize(t));
}

ml_tensor *ml_tensor_view_rows(const ml_tensor *t, int64_t start, int64_t count)
{
    if (start < 0 || count < 0 || start > t->shape[0] || count > t->shape[0] - start) {
        ml_fail(ML_EINVAL, "tensor: rows %lld..%lld out of range (tensor has %lld rows)", (long long)start,
                (long long)(start + count - 1), (long long)t->shape[0]);
        return NULL;
    }
    int64_t shape[ML_MAXDIM];
    memcpy(shape, t->shape, sizeof shape);
    shape[0] = count;
    return view(t, t->ndim, shape, t->data + start * ml_tensor_rowsize(t));
}

ml_tensor *ml_tensor_reshape(const ml_tensor *t, int ndim, const int64_t *shape)
{
    if (ndim < 1 || ndim > ML_MAXDIM) {
        ml_fail(ML_EINVAL, "reshape: %d dimensions (must be 1 to %d)", ndim, ML_MAXDIM);
        return NULL;
    }
    int64_t s[ML_MAXDIM], known = 1, total = ml_tensor_numel(t);
    int infer = -1;
    for (int i = 0; i < ndim; i++) {
        s[i] = shape[i];
        if (s[i] == -1) {
            if (infer >= 0) {
                ml_fail(ML_EINVAL, "reshape: only one dimension may be -1");
                return NULL;
            }
            infer = i;
        } else if (s[i] < 0) {
            ml_fail(ML_EINVAL, "reshape: dimension %d is negative (%lld)", i + 1, (long long)s[i]);
            return NULL;
        } else {
            if (s[i] != 0 && known > INT64_MAX / s[i]) {
                ml_fail(ML_EINVAL, "reshape: shape overflows");
                return NULL;
            }
            known *= s[i];
        }
    }
    if (infer >= 0) {
        if (known == 0 || total % known != 0) {
            ml_fail(ML_EINVAL, "reshape: cannot infer a dimension for %lld elements", (long long)total);
            return NULL;
        }
        s[infer] = total / known;
        known = total;
    }
    if (known != total) {
        char buf[64];
        ml_fail(ML_EINVAL, "reshape: %s has %lld elements, the new shape %lld", ml_tensor_shape_str(t, buf, sizeof buf),
                (long long)total, (long long)known);
        return NULL;
    }
    return view(t, ndim, s, t->data);
}

ml_tensor *ml_tensor_flatten_rows(const ml_tensor *t)
{
    int64_t shape[2] = {t->shape[0], ml_tensor_rowsize(t)};
    if (t->ndim == 1) shape[1] = 1;
    return view(t, 2, shape, t->data);
}

ml_tensor *ml_tensor_copy_cols(const ml_tensor *t, int64_t start, int64_t count)
{
    if (t->ndim != 2) {
        ml_fail(ML_EINVAL, "columns need a 2-D tensor (rows x columns), this one has %d dimension%s", t->ndim,
                t->ndim == 1 ? "" : "s");
        return NULL;
    }
    int64_t n = t->shape[0], k = t->shape[1];
    if (start < 0 || count < 0 || start + count > k) {
        ml_fail(ML_EINVAL, "columns %lld..%lld out of range (the tensor has %lld columns)", (long long)start + 1,
                (long long)(start + count), (long long)k);
        return NULL;
    }
    int64_t shape[2] = {n, count};
    ml_tensor *c = ml_tensor_empty(2, shape);
    if (!c) return NULL;
    for (int64_t i = 0; i < n; i++) memcpy(c->data + i * count, t->data + i * k + start, (size_t)count * sizeof(float));
    return c;
}

ml_tensor *ml_tensor_clone(const ml_tensor *t)
{
    ml_tensor *c = ml_tensor_empty(t->ndim, t->shape);
    if (c) memcpy(c->data, t->data, (size_t)ml_tensor_numel(t) * sizeof(float));
    return c;
}

ml_tensor *ml_tensor_take_rows(const ml_tensor *t, const int64_t *idx, int64_t n)
{
    int64_t rs = ml_tensor_rowsize(t);
    for (int64_t i = 0; i < n; i++)
        if (idx[i] < 0 || idx[i] >= t->shape[0]) {
            ml_fail(ML_EINVAL, "take_rows: index %lld out of range (tensor has %lld rows)", (long long)idx[i],
                    (long long)t->shape[0]);
            return NULL;
        }
    int64_t shape[ML_MAXDIM];
    memcpy(shape, t->shape, sizeof shape);
    shape[0] = n;
    ml_tensor *r = ml_tensor_empty(t->ndim, shape);
    if (!r) return NULL;
    for (int64_t i = 0; i < n; i++) memcpy(r->data + i * rs, t->data + idx[i] * rs, (size_t)rs * sizeof(float));
    return r;
}

ml_tensor *ml_tensor_concat_rows(const ml_tensor *a, const ml_tensor *b)
{
    if (a->ndim != b->ndim || ml_tensor_rowsize(a) != ml_tensor_rowsize(b)) {
        char sa[64], sb[64];
        ml_fail(ML_EINVAL, "concat: row shapes differ (%s and %s)", ml_tensor_shape_str(a, sa, sizeof sa),
                ml_tensor_shape_str(b, sb, sizeof sb));
        return NULL;
    }
    int64_t shape[ML_MAXDIM];
    memcpy(shape, a->shape, sizeof shape);
    shape[0] = a->shape[0] + b->shape[0];
    ml_tensor *r = ml_tensor_empty(a->ndim, shape);
    if (!r) return NULL;
    size_t na = (size_t)ml_tensor_numel(a), nb = (size_t)ml_tensor_numel(b);
    memcpy(r->data, a->data, na * sizeof(float));
    memcpy(r->data + na, b->data, nb * sizeof(float));
    return r;
}

double ml_tensor_sum(const ml_tensor *t)
{
    int64_t n = ml_tensor_numel(t);
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += t->data[i];
    return s;
}

double ml_tensor_mean(const ml_tensor *t)
{
    int64_t n = ml_tensor_numel(t);
    return n ? ml_tensor_sum(t) / (double)n : NAN;
}

float ml_tensor_min(const ml_tensor *t)
{
    int64_t n = ml_tensor_numel(t);
    float m = n ? t->data[0] : NAN;
    for (int64_t i = 1; i < n; i++)
        if (t->data[i] < m) m = t->data[i];
    return m;
}

float ml_tensor_max(const ml_tensor *t)
{
    int64_t n = ml_tensor_numel(t);
    float m = n ? t->data[0] : NAN;
    for (int64_t i = 1; i < n; i++)
        if (t->data[i] > m) m = t->data[i];
    return m;
}

static int64_t argmax_range(const float *d, int64_t n)
{
    if (n <= 0) return -1;
    int64_t best = 0;
    for (int64_t i = 1; i < n; i++)
        if (d[i] > d[best]) best = i;
    return best;
}

int64_t ml_tensor_argmax(const ml_tensor *t) { return argmax_range(t->data, ml_tensor_numel(t)); }

ml_tensor *ml_tensor_argmax_rows(const ml_tensor *t)
{
    int64_t rows = t->shape[0], rs = ml_tensor_rowsize(t);
    if (t->ndim < 2 || rs == 0) {
        ml_fail(ML_EINVAL, "argmax: rows need at least one column");
        return NULL;
    }
    ml_tensor *r = ml_tensor_new1(rows);
    if (!r) return NULL;
    for (int64_t i = 0; i < rows; i++) r->data[i] = (float)argmax_range(t->data + i * rs, rs);
    return r;
}

int64_t ml_tensor_count_equal(const ml_tensor *a, const ml_tensor *b)
{
    int64_t n = ml_tensor_numel(a);
    if (n != ml_tensor_numel(b)) {
        ml_fail(ML_EINVAL, "count_equal: %lld and %lld elements", (long long)n, (long long)ml_tensor_numel(b));
        return -1;
    }
    int64_t c = 0;
    for (int64_t i = 0; i < n; i++) c += a->data[i] == b->data[i];
    return c;
}

/* NaN and infinities are the floats whose exponent bits are all ones.  The
 * test works on the bits, four floats at a time in 16-byte vectors (plain
 * SSE2 is as fast as AVX2 here: the scan is bound by memory bandwidth, and a
 * scalar loop, which compilers do not vectorise at -O2, runs at a fifth of
 * it).  Large tensors are scanned by all threads: every fit runs this check. */
typedef uint32_t nf_v4u __attribute__((vector_size(16)));

static int range_nonfinite(const float *d, int64_t n)
{
    const uint32_t E = 0x7f800000u;
    nf_v4u hit = {0, 0, 0, 0};
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        nf_v4u a, b, c, e;
        memcpy(&a, d + i, 16), memcpy(&b, d + i + 4, 16);
        memcpy(&c, d + i + 8, 16), memcpy(&e, d + i + 12, 16);
        hit |= (nf_v4u)((a & E) == E) | (nf_v4u)((b & E) == E) | (nf_v4u)((c & E) == E) |
               (nf_v4u)((e & E) == E);
    }
    uint32_t any = hit[0] | hit[1] | hit[2] | hit[3];
    for (; i < n; i++) {
        uint32_t u;
        memcpy(&u, &d[i], 4);
        any |= (uint32_t)((u & E) == E);
    }
    return any != 0;
}

typedef struct nonfinite_job {
    const float *d;
    int found[256];
} nonfinite_job;

static void nonfinite_task(void *ctx, int64_t b, int64_t e, int worker)
{
    nonfinite_job *j = ctx;
    int found = 0;
    for (int64_t i = b; i < e && !found; i += 1 << 16) found = range_nonfinite(j->d + i, (e - i) < (1 << 16) ? e - i : 1 << 16);
    j->found[worker] = found;
}

int ml_tensor_has_nonfinite(const ml_tensor *t)
{
    int64_t n = ml_tensor_numel(t);
    if (n < (1 << 20)) return range_nonfinite(t->data, n);
    nonfinite_job j;
    memset(&j, 0, sizeof j);
    j.d = t->data;
    ml_parallel_for(n, 1 << 18, nonfinite_task, &j);
    for (int w = 0; w < 256; w++)
        if (j.found[w]) return 1;
    return 0;
}
