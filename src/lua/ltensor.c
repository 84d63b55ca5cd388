/* Tensors as Lua userdata.
 *
 * X[i] is row i (1-based) as a view, or a number for a 1-D tensor; #X is the
 * number of rows; X:shape() returns the dimensions.  A userdata is created
 * empty before anything is allocated, so __gc is always safe. */
#include "lua/mlua.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/error.h"

typedef struct ltensor {
    ml_tensor *t;
    size_t charged; /* bytes counted against the state's memory cap */
} ltensor;

void mlua_push_tensor(lua_State *L, ml_tensor *t, int fresh)
{
    if (!lua_checkstack(L, 2)) {
        ml_tensor_free(t);
        luaL_error(L, "stack overflow");
    }
    ltensor *u = lua_newuserdatauv(L, sizeof *u, 0); /* may raise: t must not leak */
    u->t = NULL;
    u->charged = 0;
    luaL_setmetatable(L, MLUA_TENSOR);
    u->t = t;
    if (fresh) {
        size_t bytes = ml_tensor_storage_bytes(t);
        /* Under a memory cap, tensors count against it like Lua's own memory. */
        if (!mlua_mem_charge(L, bytes)) {
            u->t = NULL;
            ml_tensor_free(t);
            luaL_error(L, "not enough memory: a tensor of %d MB would pass the memory cap of %d MB",
                       (int)(bytes >> 20), (int)(mlua_mem_cap(L) >> 20));
        }
        u->charged = bytes;
        /* Tell the collector about memory it cannot see, so that garbage
         * tensors are reclaimed without collectgarbage() by hand. */
        size_t kb = bytes / 1024;
        if (kb > 0) lua_gc(L, LUA_GCSTEP, kb > 1u << 30 ? 1 << 30 : (int)kb);
    }
}

ml_tensor *mlua_to_tensor(lua_State *L, int idx)
{
    ltensor *u = luaL_testudata(L, idx, MLUA_TENSOR);
    return u ? u->t : NULL;
}

ml_tensor *mlua_check_tensor(lua_State *L, int idx)
{
    ltensor *u = luaL_checkudata(L, idx, MLUA_TENSOR);
    if (!u->t) luaL_argerror(L, idx, "tensor has been freed");
    return u->t;
}

/* Shape of a nested Lua table of numbers (checked rectangular). */
static int table_shape(lua_State *L, int idx, int64_t *shape, int depth)
{
    if (depth >= ML_MAXDIM) luaL_error(L, "tensor: more than %d nested levels", ML_MAXDIM);
    lua_Integer n = luaL_len(L, idx);
    shape[depth] = n;
    if (n == 0) return depth + 1;
    lua_geti(L, idx, 1);
    int nd = depth + 1;
    if (lua_type(L, -1) == LUA_TTABLE) nd = table_shape(L, lua_gettop(L), shape, depth + 1);
    lua_pop(L, 1);
    return nd;
}

static void table_fill(lua_State *L, int idx, const int64_t *shape, int nd, int depth, float **out)
{
    lua_Integer n = luaL_len(L, idx);
    if (n != shape[depth]) luaL_error(L, "tensor: rows of different lengths (%d and %d)", (int)n, (int)shape[depth]);
    for (lua_Integer i = 1; i <= n; i++) {
        int ty = lua_geti(L, idx, i);
        if (depth + 1 < nd) {
            if (ty != LUA_TTABLE) luaL_error(L, "tensor: expected a table at depth %d", depth + 2);
            table_fill(L, lua_gettop(L), shape, nd, depth + 1, out);
        } else {
            int isnum;
            lua_Number v = lua_tonumberx(L, -1, &isnum);
            if (!isnum) luaL_error(L, "tensor: element %d is %s, not a number", (int)i, luaL_typename(L, -1));
            *(*out)++ = (float)v;
        }
        lua_pop(L, 1);
    }
}

/* Pushes a new tensor filled from the (nested) table at idx; raises on error. */
static ml_tensor *push_from_table(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    int64_t shape[ML_MAXDIM] = {0};
    int nd = table_shape(L, idx, shape, 0);
    ml_tensor *t = ml_tensor_new(nd, shape);
    if (!t) mlua_fail(L);
    mlua_push_tensor(L, t, 1); /* anchored first: freed by __gc if filling raises */
    float *p = t->data;
    table_fill(L, idx, shape, nd, 0, &p);
    return t;
}

ml_tensor *mlua_check_tensor_like(lua_State *L, int idx)
{
    ml_tensor *t = mlua_to_tensor(L, idx);
    if (t) return t;
    if (lua_type(L, idx) != LUA_TTABLE) luaL_typeerror(L, idx, "tensor or table of numbers");
    idx = lua_absindex(L, idx);
    t = push_from_table(L, idx);
    lua_replace(L, idx); /* the tensor now stands where the table was */
    return t;
}

/* ---- construction ---- */

static int l_tensor(lua_State *L)
{
    ml_tensor *src = mlua_to_tensor(L, 1);
    if (src) {
        ml_tensor *c = ml_tensor_clone(src);
        if (!c) return mlua_fail(L);
        mlua_push_tensor(L, c, 1);
        return 1;
    }
    luaL_checktype(L, 1, LUA_TTABLE);
    push_from_table(L, 1);
    return 1;
}

static int read_shape(lua_State *L, int first, int64_t *shape)
{
    int nd = 0;
    if (lua_type(L, first) == LUA_TTABLE) {
        lua_Integer n = luaL_len(L, first);
        if (n < 1 || n > ML_MAXDIM) luaL_argerror(L, first, "shape needs 1 to 4 dimensions");
        for (lua_Integer i = 1; i <= n; i++) {
            lua_geti(L, first, i);
            int isint;
            shape[nd++] = lua_tointegerx(L, -1, &isint);
            if (!isint) luaL_argerror(L, first, "shape entries must be integers");
            lua_pop(L, 1);
        }
        return nd;
    }
    int top = lua_gettop(L);
    if (top < first) luaL_argerror(L, first, "expected a shape");
    if (top - first + 1 > ML_MAXDIM) luaL_argerror(L, first, "shape needs 1 to 4 dimensions");
    for (int i = first; i <= top; i++) shape[nd++] = luaL_checkinteger(L, i);
    return nd;
}

static int l_zeros(lua_State *L)
{
    int64_t shape[ML_MAXDIM];
    int nd = read_shape(L, 1, shape);
    ml_tensor *t = ml_tensor_new(nd, shape);
    if (!t) return mlua_fail(L);
    mlua_push_tensor(L, t, 1);
    return 1;
}

static int l_full(lua_State *L)
{
    lua_Number v = luaL_checknumber(L, -1);
    lua_pop(L, 1);
    int64_t shape[ML_MAXDIM];
    int nd = read_shape(L, 1, shape);
    ml_tensor *t = ml_tensor_empty(nd, shape);
    if (!t) return mlua_fail(L);
    int64_t n = ml_tensor_numel(t);
    for (int64_t i = 0; i < n; i++) t->data[i] = (float)v;
    mlua_push_tensor(L, t, 1);
    return 1;
}

static int l_arange(lua_State *L)
{
    lua_Number a = luaL_checknumber(L, 1);
    lua_Number b = luaL_optnumber(L, 2, a);
    lua_Number step = luaL_optnumber(L, 3, 1);
    if (lua_isnoneornil(L, 2)) a = 0;
    luaL_argcheck(L, step != 0, 3, "step must not be 0");
    double cnt = ceil((b - a) / step);
    if (cnt < 0) cnt = 0;
    if (cnt > 1e10) return luaL_error(L, "arange: %f elements is too many", cnt);
    ml_tensor *t = ml_tensor_new1((int64_t)cnt);
    if (!t) return mlua_fail(L);
    for (int64_t i = 0; i < (int64_t)cnt; i++) t->data[i] = (float)(a + step * (double)i);
    mlua_push_tensor(L, t, 1);
    return 1;
}

/* ---- methods ---- */

static int m_shape(lua_State *L)
{
    ml_tensor *t = mlua_check_tensor(L, 1);
    for (int i = 0; i < t->ndim; i++) lua_pushinteger(L, t->shape[i]);
    return t->ndim;
}

static int m_size(lua_State *L)
{
    ml_tensor *t = mlua_check_tensor(L, 1);
    if (lua_isnoneornil(L, 2)) {
        lua_createtable(L, t->ndim, 0);
        for (int i = 0; i < t->ndim; i++) {
            lua_pushinteger(L, t->shape[i]);
            lua_rawseti(L, -2, i + 1);
        }
        return 1;
    }
    lua_Integer d = luaL_checkinteger(L, 2);
    luaL_argcheck(L, d >= 1 && d <= t->ndim, 2, "dimension out of range");
    lua_pushinteger(L, t->shape[d - 1]);
    return 1;
}

static int m_dim(lua_State *L)
{
    lua_pushinteger(L, mlua_check_tensor(L, 1)->ndim);
    return 1;
}

static int m_numel(lua_State *L)
{
    lua_pushinteger(L, ml_tensor_numel(mlua_check_tensor(L, 1)));
    return 1;
}

static int64_t check_row(lua_State *L, const ml_tensor *t, lua_Integer i, int arg)
{
    if (i < 1 || i > t->shape[0])
        luaL_error(L, "index %d out of range (the tensor has %d rows, indexed from 1)", (int)i, (int)t->shape[0]);
    (void)arg;
    return (int64_t)i - 1;
}

static int m_rows(lua_State *L)
{
    ml_tensor *t = mlua_check_tensor(L, 1);
    lua_Integer a = luaL_checkinteger(L, 2);
    lua_Integer b = luaL_optinteger(L, 3, t->shape[0]);
    if (a < 1 || b > t->shape[0] || b < a - 1)
        return luaL_error(L, "rows %d..%d out of range (the tensor has %d rows, indexed from 1)", (int)a, (int)b,
                          (int)t->shape[0]);
    ml_tensor *v = ml_tensor_view_rows(t, a - 1, b - a + 1);
    if (!v) return mlua_fail(L);
    mlua_push_tensor(L, v, 0);
    return 1;
}

/* t:col(j): column j (from 1) of a 2-D tensor as a 1-D copy; t:cols(a [, b]):
 * columns a..b as a rows x (b - a + 1) copy (the first components of a PCA). */
static int m_col(lua_State *L)
{
    ml_tensor *t = mlua_check_tensor(L, 1);
    lua_Integer j = luaL_checkinteger(L, 2);
    ml_tensor *c = ml_tensor_copy_cols(t, (int64_t)j - 1, 1);
    if (!c) return mlua_fail(L);
    c->ndim = 1;
    mlua_push_tensor(L, c, 1);
    return 1;
}

static int m_cols(lua_State *L)
{
    ml_tensor *t = mlua_check_tensor(L, 1);
    lua_Integer a = luaL_checkinteger(L, 2);
    lua_Integer b = luaL_optinteger(L, 3, t->ndim == 2 ? t->shape[1] : a);
    ml_tensor *c = ml_tensor_copy_cols(t, (int64_t)a - 1, b >= a - 1 ? (int64_t)(b - a + 1) : -1);
    if (!c) return mlua_fail(L);
    mlua_push_tensor(L, c, 1);
    return 1;
}

static int m_reshape(lua_State *L)
{
    ml_tensor *t = mlua_check_tensor(L, 1);
    int64_t shape[ML_MAXDIM];
    int nd = read_shape(L, 2, shape);
    ml_tensor *v = ml_tensor_reshape(t, nd, shape);
    if (!v) return mlua_fail(L);
    mlua_push_tensor(L, v, 0);
    return 1;
}

static int m_flatten(lua_State *L)
{
    ml_tensor *t = mlua_check_tensor(L, 1);
    ml_tensor *v = ml_tensor_flatten_rows(t);
    if (!v) return mlua_fail(L);
    mlua_push_tensor(L, v, 0);
    return 1;
}

static int m_clone(lua_State *L)
{
    ml_tensor *c = ml_tensor_clone(mlua_check_tensor(L, 1));
    if (!c) return mlua_fail(L);
    mlua_push_tensor(L, c, 1);
    return 1;
}

static void push_table_rec(lua_State *L, const ml_tensor *t, int d, const float **p)
{
    luaL_checkstack(L, 3, "tensor too deep");
    lua_createtable(L, (int)t->shape[d], 0);
    for (int64_t i = 0; i < t->shape[d]; i++) {
        if (d + 1 < t->ndim) push_table_rec(L, t, d + 1, p);
        else lua_pushnumber(L, *(*p)++);
        lua_rawseti(L, -2, i + 1);
    }
}

static int m_totable(lua_State *L)
{
    ml_tensor *t = mlua_check_tensor(L, 1);
    const float *p = t->data;
    push_table_rec(L, t, 0, &p);
    return 1;
}

static int m_sum(lua_State *L)
{
    lua_pushnumber(L, ml_tensor_sum(mlua_check_tensor(L, 1)));
    return 1;
}

static int m_mean(lua_State *L)
{
    lua_pushnumber(L, ml_tensor_mean(mlua_check_tensor(L, 1)));
    return 1;
}

static int m_min(lua_State *L)
{
    lua_pushnumber(L, ml_tensor_min(mlua_check_tensor(L, 1)));
    return 1;
}

static int m_max(lua_State *L)
{
    lua_pushnumber(L, ml_tensor_max(mlua_check_tensor(L, 1)));
    return 1;
}

/* t:argmax() -> 1-based flat position; t:argmax(2) -> per row, the 0-based
 * column, i.e. the class label when columns are classes (numpy's axis=1). */
static int m_argmax(lua_State *L)
{
    ml_tensor *t = mlua_check_tensor(L, 1);
    if (lua_isnoneornil(L, 2)) {
        int64_t i = ml_tensor_argmax(t);
        if (i < 0) return luaL_error(L, "argmax of an empty tensor");
        lua_pushinteger(L, i + 1);
        return 1;
    }
    lua_Integer axis = luaL_checkinteger(L, 2);
    luaL_argcheck(L, axis == 2 && t->ndim == 2, 2, "argmax(2) is for a 2-D tensor (rows of scores)");
    ml_tensor *r = ml_tensor_argmax_rows(t);
    if (!r) return mlua_fail(L);
    mlua_push_tensor(L, r, 1);
    return 1;
}

/* Number of equal elements: (pred:eq(y)) / #y is the accuracy. */
static int m_eq(lua_State *L)
{
    ml_tensor *a = mlua_check_tensor(L, 1), *b = mlua_check_tensor(L, 2);
    int64_t c = ml_tensor_count_equal(a, b);
    if (c < 0) return mlua_fail(L);
    lua_pushinteger(L, c);
    return 1;
}

/* ---- elementwise arithmetic with a number or a same-shaped tensor ---- */

typedef enum { OP_ADD, OP_SUB, OP_MUL, OP_DIV } arith_op;

static float apply(arith_op op, float a, float b)
{
    switch (op) {
    case OP_ADD: return a + b;
    case OP_SUB: return a - b;
    case OP_MUL: return a * b;
    case OP_DIV: return a / b;
    }
    return 0;
}

static int arith(lua_State *L, arith_op op)
{
    ml_tensor *a = mlua_to_tensor(L, 1), *b = mlua_to_tensor(L, 2);
    const ml_tensor *shape_of = a ? a : b;
    if (!shape_of) return luaL_error(L, "arithmetic needs a tensor");
    if (a && b && !ml_tensor_same_shape(a, b)) {
        char sa[64], sb[64];
        return luaL_error(L, "tensor arithmetic: shapes %s and %s differ", ml_tensor_shape_str(a, sa, sizeof sa),
                          ml_tensor_shape_str(b, sb, sizeof sb));
    }
    float sa = a ? 0 : (float)luaL_checknumber(L, 1), sb = b ? 0 : (float)luaL_checknumber(L, 2);
    ml_tensor *r = ml_tensor_empty(shape_of->ndim, shape_of->shape);
    if (!r) return mlua_fail(L);
    int64_t n = ml_tensor_numel(r);
    for (int64_t i = 0; i < n; i++) r->data[i] = apply(op, a ? a->data[i] : sa, b ? b->data[i] : sb);
    mlua_push_tensor(L, r, 1);
    return 1;
}

static int mm_add(lua_State *L) { return arith(L, OP_ADD); }
static int mm_sub(lua_State *L) { return arith(L, OP_SUB); }
static int mm_mul(lua_State *L) { return arith(L, OP_MUL); }
static int mm_div(lua_State *L) { return arith(L, OP_DIV); }

static int mm_unm(lua_State *L)
{
    ml_tensor *a = mlua_check_tensor(L, 1);
    ml_tensor *r = ml_tensor_empty(a->ndim, a->shape);
    if (!r) return mlua_fail(L);
    int64_t n = ml_tensor_numel(r);
    for (int64_t i = 0; i < n; i++) r->data[i] = -a->data[i];
    mlua_push_tensor(L, r, 1);
    return 1;
}

/* ---- tostring, numpy-style: edges only for large tensors ---- */

typedef struct fmt {
    int integral;   /* all values are integers */
    int sci;        /* use exponent notation */
    int summarize;  /* print edge items only */
} fmt;

#define EDGE 3

static void add_value(luaL_Buffer *b, const fmt *f, float v)
{
    char s[48];
    if (isnan(v)) snprintf(s, sizeof s, "nan");
    else if (isinf(v)) snprintf(s, sizeof s, v > 0 ? "inf" : "-inf");
    else if (f->integral) snprintf(s, sizeof s, "%.0f", (double)v);
    else if (f->sci) snprintf(s, sizeof s, "%.4e", (double)v);
    else snprintf(s, sizeof s, "%.4f", (double)v);
    luaL_addstring(b, s);
}

static void add_rec(luaL_Buffer *b, const ml_tensor *t, const fmt *f, int d, const float *p, int indent)
{
    int64_t n = t->shape[d], stride = 1;
    for (int k = d + 1; k < t->ndim; k++) stride *= t->shape[k];
    luaL_addchar(b, '[');
    for (int64_t i = 0; i < n; i++) {
        if (f->summarize && n > 2 * EDGE && i == EDGE) {
            luaL_addstring(b, d + 1 == t->ndim ? "..., " : "...,\n");
            if (d + 1 < t->ndim)
                for (int s = 0; s < indent + 1; s++) luaL_addchar(b, ' ');
            i = n - EDGE;
        }
        if (d + 1 == t->ndim) {
            add_value(b, f, p[i]);
        } else {
            add_rec(b, t, f, d + 1, p + i * stride, indent + 1);
        }
        if (i + 1 < n) {
            if (d + 1 == t->ndim) {
                luaL_addstring(b, ", ");
            } else {
                luaL_addchar(b, ',');
                for (int k = d + 1; k < t->ndim; k++) luaL_addchar(b, '\n');
                for (int s = 0; s < indent + 1; s++) luaL_addchar(b, ' ');
            }
        }
    }
    luaL_addchar(b, ']');
}

static int mm_tostring(lua_State *L)
{
    ltensor *u = luaL_checkudata(L, 1, MLUA_TENSOR);
    if (!u->t) {
        lua_pushliteral(L, "tensor(freed)");
        return 1;
    }
    ml_tensor *t = u->t;
    int64_t n = ml_tensor_numel(t);
    fmt f = {1, 0, n > 1000};
    float amax = 0, amin = INFINITY;
    for (int64_t i = 0; i < n; i++) {
        float v = t->data[i];
        if (!isfinite(v)) continue;
        if (v != floorf(v)) f.integral = 0;
        float a = fabsf(v);
        if (a > amax) amax = a;
        if (a > 0 && a < amin) amin = a;
    }
    if (!f.integral && (amax >= 1e5f || (amin < 1e-4f && amax > 0))) f.sci = 1;
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_addstring(&b, "tensor(");
    if (n == 0) {
        luaL_addstring(&b, "[]");
    } else {
        add_rec(&b, t, &f, 0, t->data, 7);
    }
    luaL_addstring(&b, ", shape=(");
    for (int i = 0; i < t->ndim; i++) {
        char s[32];
        snprintf(s, sizeof s, "%s%lld", i ? ", " : "", (long long)t->shape[i]);
        luaL_addstring(&b, s);
    }
    luaL_addstring(&b, t->ndim == 1 ? ",))" : "))");
    luaL_pushresult(&b);
    return 1;
}

static int mm_len(lua_State *L)
{
    lua_pushinteger(L, mlua_check_tensor(L, 1)->shape[0]);
    return 1;
}

static int mm_gc(lua_State *L)
{
    ltensor *u = luaL_checkudata(L, 1, MLUA_TENSOR);
    ml_tensor_free(u->t);
    u->t = NULL;
    mlua_mem_uncharge(L, u->charged);
    u->charged = 0;
    return 0;
}

static int mm_index(lua_State *L)
{
    if (lua_type(L, 2) == LUA_TSTRING) {
        luaL_getmetatable(L, MLUA_TENSOR);
        lua_getfield(L, -1, "__methods");
        lua_pushvalue(L, 2);
        lua_rawget(L, -2);
        return 1;
    }
    ml_tensor *t = mlua_check_tensor(L, 1);
    int isint;
    lua_Integer i = lua_tointegerx(L, 2, &isint);
    if (!isint) return luaL_error(L, "tensor index must be an integer or a method name, got %s", luaL_typename(L, 2));
    int64_t r = check_row(L, t, i, 2);
    if (t->ndim == 1) {
        lua_pushnumber(L, t->data[r]);
        return 1;
    }
    ml_tensor *v = ml_tensor_view_row(t, r);
    if (!v) return mlua_fail(L);
    mlua_push_tensor(L, v, 0);
    return 1;
}

static int mm_newindex(lua_State *L)
{
    ml_tensor *t = mlua_check_tensor(L, 1);
    lua_Integer i = luaL_checkinteger(L, 2);
    int64_t r = check_row(L, t, i, 2);
    if (t->ndim == 1) {
        t->data[r] = (float)luaL_checknumber(L, 3);
        return 0;
    }
    int64_t rs = ml_tensor_rowsize(t);
    ml_tensor *src = mlua_to_tensor(L, 3);
    if (src) {
        if (ml_tensor_numel(src) != rs) return luaL_error(L, "row assignment: %d elements for a row of %d", (int)ml_tensor_numel(src), (int)rs);
        memmove(t->data + r * rs, src->data, (size_t)rs * sizeof(float));
    } else {
        float v = (float)luaL_checknumber(L, 3);
        for (int64_t k = 0; k < rs; k++) t->data[r * rs + k] = v;
    }
    return 0;
}

static const luaL_Reg methods[] = {
    {"shape", m_shape}, {"size", m_size},       {"dim", m_dim},         {"numel", m_numel},
    {"rows", m_rows},   {"col", m_col},         {"cols", m_cols},
    {"reshape", m_reshape}, {"flatten", m_flatten}, {"clone", m_clone},
    {"totable", m_totable}, {"sum", m_sum},     {"mean", m_mean},       {"min", m_min},
    {"max", m_max},     {"argmax", m_argmax},   {"eq", m_eq},           {NULL, NULL}};

static const luaL_Reg metamethods[] = {
    {"__index", mm_index}, {"__newindex", mm_newindex}, {"__len", mm_len}, {"__tostring", mm_tostring},
    {"__gc", mm_gc},       {"__close", mm_gc},          {"__add", mm_add}, {"__sub", mm_sub},
    {"__mul", mm_mul},     {"__div", mm_div},           {"__unm", mm_unm}, {NULL, NULL}};

static const luaL_Reg functions[] = {
    {"tensor", l_tensor}, {"zeros", l_zeros}, {"full", l_full}, {"arange", l_arange}, {NULL, NULL}};

void mlua_open_tensor(lua_State *L)
{
    luaL_newmetatable(L, MLUA_TENSOR);
    luaL_setfuncs(L, metamethods, 0);
    luaL_newlib(L, methods);
    lua_setfield(L, -2, "__methods");
    lua_pushliteral(L, "Tensor");
    lua_setfield(L, -2, "__name");
    lua_pop(L, 1);
    luaL_setfuncs(L, functions, 0);
}
