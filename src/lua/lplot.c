/* Plot bindings: ml.digit, ml.digits, ml.bar, ... in matplotlib/seaborn words.
 *
 * Every function draws at the size and in the mode of the current sink
 * (mlua_get_sink: the notebook pane, or the terminal) unless the options give
 * width, height, ascii or color; shows the picture with mlua_show (unless
 * show = false) and returns a Chart: tostring(chart) is the plain text,
 * chart:lines() a table of lines, chart:save_svg(path) writes an SVG file. */
#include "lua/mlua.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plot/plot.h"
#include "plot/text.h"

#define MLUA_CHART "mnistlab.Chart"

typedef struct lchart {
    ml_text t;
    int live;
} lchart;

/* ---- Chart userdata ---- */
static lchart *new_chart(lua_State *L)
{
    lchart *c = lua_newuserdatauv(L, sizeof *c, 0);
    ml_text_init(&c->t);
    c->live = 1;
    luaL_setmetatable(L, MLUA_CHART);
    return c;
}

static lchart *check_chart(lua_State *L, int i) { return luaL_checkudata(L, i, MLUA_CHART); }

static int chart_gc(lua_State *L)
{
    lchart *c = check_chart(L, 1);
    if (c->live) ml_text_free(&c->t);
    c->live = 0;
    return 0;
}

static int chart_tostring(lua_State *L)
{
    lchart *c = check_chart(L, 1);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = 0; i < c->t.nlines; i++) {
        if (i) luaL_addchar(&b, '\n');
        luaL_addstring(&b, c->t.lines[i].text);
    }
    luaL_pushresult(&b);
    return 1;
}

static int chart_lines(lua_State *L)
{
    lchart *c = check_chart(L, 1);
    lua_createtable(L, c->t.nlines, 0);
    for (int i = 0; i < c->t.nlines; i++) {
        lua_pushstring(L, c->t.lines[i].text);
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

static int chart_save_svg(lua_State *L)
{
    lchart *c = check_chart(L, 1);
    const char *path = luaL_checkstring(L, 2);
    if (ml_text_write_svg(&c->t, path)) return mlua_fail(L);
    lua_settop(L, 1);
    return 1;
}

static int chart_show(lua_State *L)
{
    lchart *c = check_chart(L, 1);
    mlua_show(L, &c->t);
    lua_settop(L, 1);
    return 1;
}

static int chart_size(lua_State *L)
{
    lchart *c = check_chart(L, 1);
    int w = 0;
    for (int i = 0; i < c->t.nlines; i++)
        if (c->t.lines[i].ncells > w) w = c->t.lines[i].ncells;
    lua_pushinteger(L, w);
    lua_pushinteger(L, c->t.nlines);
    return 2;
}

static int chart_len(lua_State *L)
{
    lua_pushinteger(L, check_chart(L, 1)->t.nlines);
    return 1;
}

/* ---- options ---- */
typedef struct popts {
    ml_plot_opts o;
    int show;
    int width_given, height_given;
} popts;

/* Reads the options every chart shares; sizes and modes default to the sink. */
static void read_opts(lua_State *L, int t, popts *p)
{
    const mlua_sink *s = mlua_get_sink(L);
    ml_plot_opts_init(&p->o);
    lua_Integer w = mlua_opt_integer(L, t, "width", 0), h = mlua_opt_integer(L, t, "height", 0);
    if (w < 0 || w > 10000) luaL_error(L, "option 'width': must be between 1 and 10000, got %d", (int)w);
    if (h < 0 || h > 10000) luaL_error(L, "option 'height': must be between 1 and 10000, got %d", (int)h);
    p->width_given = w > 0;
    p->height_given = h > 0;
    p->o.width = w > 0 ? (int)w : (s->width > 0 ? s->width : 80);
    p->o.height = (int)h;
    p->o.ascii = mlua_opt_bool(L, t, "ascii", s->ascii);
    p->o.color = mlua_opt_bool(L, t, "color", s->color);
    p->o.title = mlua_opt_string(L, t, "title", NULL);
    p->o.xlabel = mlua_opt_string(L, t, "xlabel", NULL);
    p->o.ylabel = mlua_opt_string(L, t, "ylabel", NULL);
    p->show = mlua_opt_bool(L, t, "show", 1);
    const char *cv = mlua_opt_string(L, t, "canvas", NULL);
    if (cv) {
        if (strcmp(cv, "braille") == 0) p->o.canvas = ML_CANVAS_BRAILLE;
        else if (strcmp(cv, "half") == 0 || strcmp(cv, "block") == 0) p->o.canvas = ML_CANVAS_HALF;
        else if (strcmp(cv, "ascii") == 0) p->o.canvas = ML_CANVAS_ASCII;
        else luaL_error(L, "option 'canvas': expected \"braille\", \"half\" or \"ascii\", got \"%s\"", cv);
    }
}

/* Shows (unless show = false) and leaves the Chart on the stack. */
static int finish(lua_State *L, lchart *c, const popts *p)
{
    if (p->show) mlua_show(L, &c->t);
    return 1;
}

/* ---- images ---- */
static const char *const IMAGE_OPTS[] = {"title", "width", "height", "ascii", "color", "show", "vmin", "vmax",
                                         "canvas", "xlabel", "ylabel", NULL};

/* An image tensor's rows and cols: 2-D, or 1-D with a square length. */
static void image_dims(lua_State *L, const ml_tensor *t, int arg, int *rows, int *cols)
{
    if (t->ndim == 2) {
        *rows = (int)t->shape[0];
        *cols = (int)t->shape[1];
    } else if (t->ndim == 1) {
        int64_t n = t->shape[0], s = (int64_t)floor(sqrt((double)n) + 0.5);
        if (s * s != n) luaL_argerror(L, arg, "a 1-D image must have a square length (784 = 28x28)");
        *rows = *cols = (int)s;
    } else if (t->ndim == 3 && (t->shape[0] == 1 || t->shape[2] == 1)) {
        *rows = (int)(t->shape[0] == 1 ? t->shape[1] : t->shape[0]);
        *cols = (int)(t->shape[0] == 1 ? t->shape[2] : t->shape[1]);
    } else {
        char b[64];
        luaL_error(L, "digit: expected one image (28x28 or 784 values), got a tensor of shape %s",
                   ml_tensor_shape_str(t, b, sizeof b));
    }
    if (*rows <= 0 || *cols <= 0) luaL_argerror(L, arg, "empty image");
}

/* ml.digit(img [, opts]) / ml.imshow */
static int l_digit(lua_State *L)
{
    ml_tensor *img = mlua_check_tensor_like(L, 1);
    mlua_check_opts(L, 2, "digit", IMAGE_OPTS);
    popts p;
    read_opts(L, 2, &p);
    p.o.vmin = mlua_opt_number(L, 2, "vmin", NAN);
    p.o.vmax = mlua_opt_number(L, 2, "vmax", NAN);
    int rows = 0, cols = 0;
    image_dims(L, img, 1, &rows, &cols);
    if (!p.width_given) p.o.width = 0; /* natural size, shrunk to the sink if needed */
    const mlua_sink *s = mlua_get_sink(L);
    int sw = s->width > 0 ? s->width : 80;
    if (!p.width_given && cols > sw) p.o.width = sw;
    lchart *c = new_chart(L);
    if (ml_plot_image(&c->t, img->data, rows, cols, &p.o)) return mlua_fail(L);
    return finish(L, c, &p);
}

/* Title of image i: classes[label] or "Class <label>". */
static void push_title(lua_State *L, int classes, double label)
{
    if (classes && lua_type(L, classes) == LUA_TTABLE) {
        lua_geti(L, classes, (lua_Integer)label);
        if (lua_isstring(L, -1)) return;
        lua_pop(L, 1);
    }
    lua_pushfstring(L, "Class %d", (int)label);
}

/* ml.digits(X [, y] [, {n = 25, cols = 5, classes = names, indices = {...}, pred = yhat}]) */
static int l_digits(lua_State *L)
{
    static const char *const known[] = {"n", "cols", "classes", "indices", "start", "pred", "title", "width",
                                        "height", "ascii", "color", "show", "vmin", "vmax", NULL};
    ml_tensor *X = mlua_check_tensor_like(L, 1);
    int oi = 3;
    ml_tensor *y = NULL;
    if (lua_istable(L, 2) && !mlua_to_tensor(L, 2) && lua_rawlen(L, 2) == 0) oi = 2; /* digits(X, opts) */
    else if (!lua_isnoneornil(L, 2)) y = mlua_check_tensor_like(L, 2);
    mlua_check_opts(L, oi, "digits", known);
    popts p;
    read_opts(L, oi, &p);
    p.o.vmin = mlua_opt_number(L, oi, "vmin", NAN);
    p.o.vmax = mlua_opt_number(L, oi, "vmax", NAN);
    lua_Integer n = mlua_opt_integer(L, oi, "n", 25);
    lua_Integer cols = mlua_opt_integer(L, oi, "cols", 5);
    lua_Integer start = mlua_opt_integer(L, oi, "start", 1);
    if (cols < 1) return luaL_error(L, "digits: option 'cols' must be >= 1, got %d", (int)cols);
    p.o.cols = (int)cols;
    int rows, icols;
    int64_t N = X->shape[0];
    if (X->ndim == 3) {
        rows = (int)X->shape[1];
        icols = (int)X->shape[2];
    } else if (X->ndim == 2) {
        int64_t m = X->shape[1], s = (int64_t)floor(sqrt((double)m) + 0.5);
        if (s * s != m) return luaL_error(L, "digits: rows of %d values are not square images", (int)m);
        rows = icols = (int)s;
    } else if (X->ndim == 4 && X->shape[3] == 1) {
        rows = (int)X->shape[1];
        icols = (int)X->shape[2];
    } else {
        char b[64];
        return luaL_error(L, "digits: expected images n x 28 x 28 (or n x 784), got %s",
                          ml_tensor_shape_str(X, b, sizeof b));
    }
    if (y && ml_tensor_numel(y) != N)
        return luaL_error(L, "digits: %d images but %d labels", (int)N, (int)ml_tensor_numel(y));
    ml_tensor *pred = NULL;
    if (mlua_opt_field(L, oi, "pred") != LUA_TNIL) {
        pred = mlua_check_tensor_like(L, lua_gettop(L));
        if (ml_tensor_numel(pred) != N)
            return luaL_error(L, "digits: %d images but %d predictions", (int)N, (int)ml_tensor_numel(pred));
    }
    int classes = 0;
    if (mlua_opt_field(L, oi, "classes") == LUA_TTABLE) classes = lua_gettop(L);
    /* which images */
    int64_t *idx = NULL;
    int k = 0;
    if (mlua_opt_field(L, oi, "indices") == LUA_TTABLE) {
        int it = lua_gettop(L);
        k = (int)lua_rawlen(L, it);
        if (k == 0) return luaL_error(L, "digits: option 'indices' is empty");
        idx = lua_newuserdatauv(L, sizeof *idx * (size_t)k, 0);
        for (int i = 0; i < k; i++) {
            lua_rawgeti(L, it, i + 1);
            int isint;
            lua_Integer v = lua_tointegerx(L, -1, &isint);
            lua_pop(L, 1);
            if (!isint || v < 1 || v > N)
                return luaL_error(L, "digits: indices[%d] must be an image number in 1..%d", i + 1, (int)N);
            idx[i] = v - 1;
        }
    } else {
        if (n < 1) return luaL_error(L, "digits: option 'n' must be >= 1, got %d", (int)n);
        if (start < 1 || start > N) return luaL_error(L, "digits: option 'start' must be in 1..%d", (int)N);
        k = (int)(n < N - start + 1 ? n : N - start + 1);
        idx = lua_newuserdatauv(L, sizeof *idx * (size_t)k, 0);
        for (int i = 0; i < k; i++) idx[i] = start - 1 + i;
    }
    if (N == 0 || k == 0) return luaL_error(L, "digits: no images to show");
    /* gather pixels and titles */
    size_t per = (size_t)rows * icols;
    float *px = lua_newuserdatauv(L, sizeof *px * per * (size_t)k, 0);
    const char **titles = lua_newuserdatauv(L, sizeof *titles * (size_t)k, 0);
    int tt = 0;
    if (y) {
        lua_createtable(L, k, 0); /* keeps the title strings alive */
        tt = lua_gettop(L);
    }
    for (int i = 0; i < k; i++) {
        memcpy(px + per * i, X->data + per * (size_t)idx[i], per * sizeof *px);
        titles[i] = NULL;
        if (y) {
            double lab = y->data[idx[i]];
            push_title(L, classes, lab);
            if (pred) {
                double pv = pred->data[idx[i]];
                if (pv != lab) {
                    lua_pushstring(L, " ≠ ");
                    push_title(L, classes, pv);
                    lua_concat(L, 3);
                }
            }
            titles[i] = lua_tostring(L, -1);
            lua_rawseti(L, tt, i + 1);
        }
    }
    if (p.height_given == 0) p.o.height = 0;
    lchart *c = new_chart(L);
    if (ml_plot_images(&c->t, px, k, rows, icols, y ? titles : NULL, &p.o)) return mlua_fail(L);
    return finish(L, c, &p);
}

/* ---- bars ---- */
/* Reads one series: a tensor, an array {v1, v2, ...}, a counts table indexed
 * from 0 (ml.counts), or a table of name = value.  Pushes a userdata holding
 * the doubles; fills *n and (when labels is non-NULL and the series names its
 * own categories) a table of labels left on the stack at *labels. */
static double *read_series(lua_State *L, int i, int *n, int *labels)
{
    i = lua_absindex(L, i);
    ml_tensor *t = mlua_to_tensor(L, i);
    if (t) {
        int64_t m = ml_tensor_numel(t);
        double *v = lua_newuserdatauv(L, sizeof *v * (size_t)(m ? m : 1), 0);
        for (int64_t j = 0; j < m; j++) v[j] = t->data[j];
        *n = (int)m;
        if (labels) *labels = 0;
        return v;
    }
    if (!lua_istable(L, i)) {
        luaL_error(L, "bar: expected counts (a table or tensor), got %s", luaL_typename(L, i));
        return NULL;
    }
    /* classify keys */
    int has0 = 0, nint = 0, nstr = 0;
    lua_Integer maxk = -1;
    lua_pushnil(L);
    while (lua_next(L, i)) {
        lua_pop(L, 1);
        if (lua_isinteger(L, -1)) {
            lua_Integer k = lua_tointeger(L, -1);
            if (k == 0) has0 = 1;
            if (k > maxk) maxk = k;
            nint++;
        } else if (lua_type(L, -1) == LUA_TSTRING) {
            nstr++;
        }
    }
    if (nint && nstr) {
        luaL_error(L, "bar: a table of values must have only number keys or only name keys");
        return NULL;
    }
    if (nstr) {
        /* name = value, drawn in sorted name order */
        lua_createtable(L, nstr, 0);
        int keys = lua_gettop(L);
        int m = 0;
        lua_pushnil(L);
        while (lua_next(L, i)) {
            lua_pop(L, 1);
            lua_pushvalue(L, -1);
            lua_rawseti(L, keys, ++m);
        }
        lua_getglobal(L, "table");
        lua_getfield(L, -1, "sort");
        lua_pushvalue(L, keys);
        lua_call(L, 1, 0);
        lua_pop(L, 1);
        double *v = lua_newuserdatauv(L, sizeof *v * (size_t)m, 0);
        for (int j = 0; j < m; j++) {
            lua_rawgeti(L, keys, j + 1);
            const char *name = lua_tostring(L, -1);
            lua_gettable(L, i);
            if (!lua_isnumber(L, -1)) {
                luaL_error(L, "bar: value of '%s' is %s, not a number", name, luaL_typename(L, -1));
                return NULL;
            }
            v[j] = lua_tonumber(L, -1);
            lua_pop(L, 1);
        }
        *n = m;
        if (labels) *labels = keys; /* stays on the stack below the values */
        return v;
    }
    int base = has0 ? 0 : 1;
    int m = nint ? (int)(maxk - base + 1) : 0;
    if (nint != m) {
        luaL_error(L, "bar: the table has gaps (keys %d..%d but %d values)", base, (int)maxk, nint);
        return NULL;
    }
    double *v = lua_newuserdatauv(L, sizeof *v * (size_t)(m ? m : 1), 0);
    for (int j = 0; j < m; j++) {
        lua_geti(L, i, j + base);
        if (!lua_isnumber(L, -1)) {
            luaL_error(L, "bar: value [%d] is %s, not a number", j + base, luaL_typename(L, -1));
            return NULL;
        }
        v[j] = lua_tonumber(L, -1);
        lua_pop(L, 1);
    }
    *n = m;
    if (labels) *labels = base == 0 ? -1 : 0; /* -1: labels are 0..n-1 (class labels) */
    return v;
}

/* Category names: opts.labels (array), else opts.classes (indexed by label),
 * else the series' own names, else 0.. (counts) or 1.. (arrays). */
static const char **bar_labels(lua_State *L, int oi, int n, int own, int zero_based)
{
    const char **lab = lua_newuserdatauv(L, sizeof *lab * (size_t)n, 0);
    int ud = lua_gettop(L);
    lua_createtable(L, n, 0);
    int keep = lua_gettop(L);
    int lt = 0, ct = 0;
    if (mlua_opt_field(L, oi, "labels") == LUA_TTABLE) lt = lua_gettop(L);
    else lua_pop(L, 1);
    if (mlua_opt_field(L, oi, "classes") == LUA_TTABLE) ct = lua_gettop(L);
    else lua_pop(L, 1);
    for (int j = 0; j < n; j++) {
        int got = 0;
        if (lt) got = lua_geti(L, lt, j + 1) != LUA_TNIL;
        else if (ct) got = lua_geti(L, ct, j + (zero_based ? 0 : 1)) != LUA_TNIL;
        else if (own > 0) got = lua_geti(L, own, j + 1) != LUA_TNIL;
        else lua_pushnil(L);
        if (!got || !lua_isstring(L, -1)) {
            lua_pop(L, 1);
            lua_pushfstring(L, "%d", j + (zero_based ? 0 : 1));
        }
        lab[j] = lua_tostring(L, -1);
        lua_rawseti(L, keep, j + 1);
    }
    lua_settop(L, keep); /* the userdata and the strings stay on the stack */
    (void)ud;
    return lab;
}

static const char *const BAR_OPTS[] = {"title", "xlabel", "ylabel", "labels", "classes", "legend", "horizontal",
                                       "values", "width", "height", "ascii", "color", "show", "hue", NULL};

static int do_bar(lua_State *L, int horizontal)
{
    mlua_check_opts(L, 2, horizontal ? "barh" : "bar", BAR_OPTS);
    popts p;
    read_opts(L, 2, &p);
    if (horizontal) p.o.horizontal = 1;
    else if (mlua_opt_field(L, 2, "horizontal") != LUA_TNIL) p.o.horizontal = lua_toboolean(L, -1);
    p.o.values = mlua_opt_bool(L, 2, "values", 1);
    /* one series, or a list of series (grouped bars) */
    int grouped = 0;
    if (lua_istable(L, 1) && !mlua_to_tensor(L, 1)) {
        int t1 = lua_rawgeti(L, 1, 1);
        grouped = t1 == LUA_TTABLE || mlua_to_tensor(L, -1) != NULL;
        lua_pop(L, 1);
    }
    int n = 0, ns = 1, own = 0;
    double *v;
    if (!grouped) {
        v = read_series(L, 1, &n, &own);
    } else {
        ns = (int)lua_rawlen(L, 1);
        if (ns > 16) return luaL_error(L, "bar: at most 16 series, got %d", ns);
        luaL_checkstack(L, 3 * ns + 8, "bar: too many series");
        double **cols = lua_newuserdatauv(L, sizeof *cols * (size_t)ns, 0);
        for (int k = 0; k < ns; k++) {
            lua_rawgeti(L, 1, k + 1);
            int m, o2 = 0;
            cols[k] = read_series(L, -1, &m, k == 0 ? &o2 : NULL);
            if (k == 0) {
                n = m;
                own = o2;
            } else if (m != n) {
                return luaL_error(L, "bar: series 1 has %d values but series %d has %d", n, k + 1, m);
            }
        }
        v = lua_newuserdatauv(L, sizeof *v * (size_t)(n * ns + 1), 0);
        for (int i = 0; i < n; i++)
            for (int k = 0; k < ns; k++) v[i * ns + k] = cols[k][i];
    }
    if (n == 0) return luaL_error(L, "bar: no values to draw");
    const char **lab = bar_labels(L, 2, n, own > 0 ? own : 0, own == -1 || mlua_to_tensor(L, 1) != NULL);
    const char **series = NULL;
    if (ns > 1) {
        series = lua_newuserdatauv(L, sizeof *series * (size_t)ns, 0);
        int lg = mlua_opt_field(L, 2, "legend") == LUA_TTABLE ? lua_gettop(L) : 0;
        if (!lg) lua_pop(L, 1);
        lua_createtable(L, ns, 0);
        int keep = lua_gettop(L);
        for (int k = 0; k < ns; k++) {
            if (!lg || lua_rawgeti(L, lg, k + 1) == LUA_TNIL || !lua_isstring(L, -1)) {
                if (lg) lua_pop(L, 1);
                lua_pushfstring(L, "series %d", k + 1);
            }
            series[k] = lua_tostring(L, -1);
            lua_rawseti(L, keep, k + 1);
        }
        if (mlua_opt_field(L, 2, "legend") == LUA_TBOOLEAN && !lua_toboolean(L, -1)) p.o.legend = 0;
        lua_pop(L, 1);
    }
    lchart *c = new_chart(L);
    if (ml_plot_bar(&c->t, v, n, ns, lab, series, &p.o)) return mlua_fail(L);
    return finish(L, c, &p);
}

/* ml.bar(counts | values | {series1, series2}, opts) */
static int l_bar(lua_State *L) { return do_bar(L, 0); }
/* ml.barh: the same, horizontal */
static int l_barh(lua_State *L) { return do_bar(L, 1); }

/* ml.countplot(y, opts): bars of the count of each label 0..K-1. */
static int l_countplot(lua_State *L)
{
    ml_tensor *y = mlua_check_tensor_like(L, 1);
    int64_t m = ml_tensor_numel(y);
    if (m == 0) return luaL_error(L, "countplot: no labels");
    int K = 0;
    for (int64_t i = 0; i < m; i++) {
        float f = y->data[i];
        if (!(f >= 0 && f < 1e6 && f == floorf(f)))
            return luaL_error(L, "countplot: label [%d] is %f; labels must be integers >= 0", (int)i + 1, (double)f);
        if ((int)f + 1 > K) K = (int)f + 1;
    }
    lua_createtable(L, K, 1);
    double *cnt = calloc((size_t)K, sizeof *cnt);
    if (!cnt) return luaL_error(L, "countplot: out of memory");
    for (int64_t i = 0; i < m; i++) cnt[(int)y->data[i]] += 1;
    for (int k = 0; k < K; k++) {
        lua_pushinteger(L, (lua_Integer)cnt[k]);
        lua_rawseti(L, -2, k);
    }
    free(cnt);
    lua_replace(L, 1);
    return do_bar(L, 0);
}

void mlua_open_plot(lua_State *L)
{
    static const luaL_Reg meta[] = {{"__gc", chart_gc}, {"__close", chart_gc}, {"__tostring", chart_tostring},
                                    {"__len", chart_len}, {NULL, NULL}};
    static const luaL_Reg methods[] = {{"lines", chart_lines}, {"save_svg", chart_save_svg}, {"show", chart_show},
                                       {"size", chart_size}, {NULL, NULL}};
    if (luaL_newmetatable(L, MLUA_CHART)) {
        luaL_setfuncs(L, meta, 0);
        luaL_newlib(L, methods);
        lua_setfield(L, -2, "__index");
        lua_pushliteral(L, "Chart");
        lua_setfield(L, -2, "__name");
    }
    lua_pop(L, 1);
    static const luaL_Reg fns[] = {{"digit", l_digit},   {"imshow", l_digit},         {"digits", l_digits},
                                   {"bar", l_bar},       {"barh", l_barh},            {"countplot", l_countplot},
                                   {NULL, NULL}};
    luaL_setfuncs(L, fns, 0);
}
