/* Plot bindings: ml.digit, ml.digits, ml.bar, ... in matplotlib/seaborn words.
 *
 * Every function draws at the size and in the mode of the current sink
 * (mlua_get_sink: the notebook pane, or the terminal) unless the options give
 * width, height, ascii or color; shows the picture with mlua_show (unless
 * show = false) and returns a Chart: tostring(chart) is the plain text,
 * chart:lines() a table of lines, chart:save_svg(path) writes an SVG file. */
#include "lua/mlua.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plot/plot.h"
#include "plot/text.h"

#define MLUA_CHART "mnistlab.Chart"

typedef struct lchart {
    ml_text t;
    int live;
    int shown; /* drawn in the output once already */
} lchart;

/* ---- Chart userdata ---- */
static lchart *new_chart(lua_State *L)
{
    lchart *c = lua_newuserdatauv(L, sizeof *c, 0);
    ml_text_init(&c->t);
    c->live = 1;
    c->shown = 0;
    luaL_setmetatable(L, MLUA_CHART);
    return c;
}

static lchart *check_chart(lua_State *L, int i) { return luaL_checkudata(L, i, MLUA_CHART); }

int mlua_is_shown_chart(lua_State *L, int idx)
{
    const lchart *c = luaL_testudata(L, idx, MLUA_CHART);
    return c && c->shown;
}

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
    c->shown = 1;
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

/* chart:beside(other [, gap = 2]) -> a new Chart, the two side by side */
static int chart_beside(lua_State *L)
{
    lchart *a = check_chart(L, 1), *b = check_chart(L, 2);
    lua_Integer gap = luaL_optinteger(L, 3, 2);
    luaL_argcheck(L, gap >= 0 && gap <= 100, 3, "gap must be between 0 and 100");
    lchart *c = new_chart(L);
    if (ml_text_hcat(&c->t, &a->t, &b->t, (int)gap)) return mlua_fail(L);
    return 1;
}

/* chart:below(other) -> a new Chart, other under this one */
static int chart_below(lua_State *L)
{
    lchart *a = check_chart(L, 1), *b = check_chart(L, 2);
    lchart *c = new_chart(L);
    const ml_text *parts[2] = {&a->t, &b->t};
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < parts[k]->nlines; i++) {
            const ml_textline *l = &parts[k]->lines[i];
            if (ml_text_add(&c->t, l->text, l->color, l->ncells, 0)) return mlua_fail(L);
        }
    return 1;
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
    if (p->show) {
        mlua_show(L, &c->t);
        c->shown = 1;
    }
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
        /* a name that is just the number (MNIST's "7") reads better as "Class 7" */
        if (lua_type(L, -1) == LUA_TSTRING) {
            char num[32];
            snprintf(num, sizeof num, "%d", (int)label);
            if (strcmp(lua_tostring(L, -1), num) != 0) return;
        }
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
    if (N == 0) return luaL_error(L, "digits: no images to show");
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

static const char *const BAR_OPTS[] = {"title",  "xlabel", "ylabel", "labels", "classes", "legend",
                                       "horizontal", "values", "normalize", "width", "height", "ascii",
                                       "color", "show", "hue", NULL};

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
        /* the leading tables/tensors ({ml.counts(a), ml.counts(b)} also holds
         * the class count that the last call returns: ignored) */
        ns = 0;
        for (;;) {
            int ty = lua_rawgeti(L, 1, ns + 1);
            int ok = ty == LUA_TTABLE || mlua_to_tensor(L, -1) != NULL;
            lua_pop(L, 1);
            if (!ok) break;
            ns++;
        }
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
    if (mlua_opt_field(L, 2, "hue") != LUA_TNIL) return luaL_error(L, "bar: option 'hue' belongs to countplot");
    lua_pop(L, 1);
    if (mlua_opt_bool(L, 2, "normalize", 0)) {
        /* each series as fractions of its total: sets of different sizes compare */
        for (int k = 0; k < ns; k++) {
            double sum = 0;
            for (int i = 0; i < n; i++) sum += v[i * ns + k];
            if (sum > 0)
                for (int i = 0; i < n; i++) v[i * ns + k] /= sum;
        }
    }
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

/* Checks a label vector (integers 0..limit-1); returns the number of classes. */
static int check_int_labels(lua_State *L, const ml_tensor *y, const char *what, int limit)
{
    int K = 0;
    int64_t m = ml_tensor_numel(y);
    for (int64_t i = 0; i < m; i++) {
        float f = y->data[i];
        if (!(f >= 0 && f < limit && f == floorf(f)))
            luaL_error(L, "countplot: %s[%d] is %f; labels must be integers in 0..%d", what, (int)i + 1, (double)f,
                       limit - 1);
        if ((int)f + 1 > K) K = (int)f + 1;
    }
    return K;
}

/* ml.countplot(y [, {hue = groups, legend = names, ...}]): bars of the count
 * of each label 0..K-1; with hue, one bar per group in each label. */
static int l_countplot(lua_State *L)
{
    ml_tensor *y = mlua_check_tensor_like(L, 1);
    int64_t m = ml_tensor_numel(y);
    if (m == 0) return luaL_error(L, "countplot: no labels");
    int K = check_int_labels(L, y, "y", 100000);
    ml_tensor *h = NULL;
    int G = 1;
    if (mlua_opt_field(L, 2, "hue") != LUA_TNIL) {
        h = mlua_check_tensor_like(L, lua_gettop(L));
        if (ml_tensor_numel(h) != m)
            return luaL_error(L, "countplot: %d labels but %d hue values", (int)m, (int)ml_tensor_numel(h));
        G = check_int_labels(L, h, "hue", 16);
    }
    /* the option table without hue, with default legend names */
    lua_newtable(L);
    int opts = lua_gettop(L);
    if (lua_istable(L, 2)) {
        lua_pushnil(L);
        while (lua_next(L, 2)) {
            lua_pushvalue(L, -2);
            lua_insert(L, -2);
            lua_settable(L, opts);
        }
    }
    lua_pushnil(L);
    lua_setfield(L, opts, "hue");
    if (h && lua_getfield(L, opts, "legend") == LUA_TNIL) {
        lua_createtable(L, G, 0);
        for (int g = 0; g < G; g++) {
            lua_pushfstring(L, "%d", g);
            lua_rawseti(L, -2, g + 1);
        }
        lua_setfield(L, opts, "legend");
    }
    lua_settop(L, opts);
    double *cnt = lua_newuserdatauv(L, sizeof *cnt * (size_t)K * (size_t)G, 0);
    memset(cnt, 0, sizeof *cnt * (size_t)K * (size_t)G);
    for (int64_t i = 0; i < m; i++) cnt[(int)y->data[i] * G + (h ? (int)h->data[i] : 0)] += 1;
    lua_createtable(L, G, 0); /* the series */
    for (int g = 0; g < G; g++) {
        lua_createtable(L, K, 1);
        for (int k = 0; k < K; k++) {
            lua_pushinteger(L, (lua_Integer)cnt[k * G + g]);
            lua_rawseti(L, -2, k);
        }
        if (!h) break;
        lua_rawseti(L, -2, g + 1);
    }
    if (!h) lua_remove(L, -2);
    lua_replace(L, 1);
    lua_pushvalue(L, opts);
    lua_replace(L, 2);
    lua_settop(L, 2);
    return do_bar(L, 0);
}

/* ---- numeric vectors ---- */
/* A tensor (any shape, flattened) or an array of numbers: pushes a userdata
 * of doubles and returns it; *n gets the length. */
static double *read_vec(lua_State *L, int i, int *n, const char *who, const char *what)
{
    i = lua_absindex(L, i);
    ml_tensor *t = mlua_to_tensor(L, i);
    if (t) {
        int64_t m = ml_tensor_numel(t);
        if (m > 100000000) luaL_error(L, "%s: %s has too many values", who, what);
        double *v = lua_newuserdatauv(L, sizeof *v * (size_t)(m ? m : 1), 0);
        for (int64_t j = 0; j < m; j++) v[j] = t->data[j];
        *n = (int)m;
        return v;
    }
    if (!lua_istable(L, i)) luaL_error(L, "%s: %s must be a tensor or an array of numbers, got %s", who, what,
                                       luaL_typename(L, i));
    int m = (int)lua_rawlen(L, i);
    double *v = lua_newuserdatauv(L, sizeof *v * (size_t)(m ? m : 1), 0);
    for (int j = 0; j < m; j++) {
        lua_rawgeti(L, i, j + 1);
        int isnum;
        v[j] = lua_tonumberx(L, -1, &isnum);
        if (!isnum) luaL_error(L, "%s: %s[%d] is %s, not a number", who, what, j + 1, luaL_typename(L, -1));
        lua_pop(L, 1);
    }
    *n = m;
    return v;
}

static int is_vec(lua_State *L, int i)
{
    if (mlua_to_tensor(L, i)) return 1;
    if (!lua_istable(L, i)) return 0;
    int t = lua_rawgeti(L, i, 1);
    lua_pop(L, 1);
    return t == LUA_TNUMBER;
}

/* xlim = {a, b} */
static void read_lim(lua_State *L, int oi, const char *key, double *lo, double *hi)
{
    int ty = mlua_opt_field(L, oi, key);
    if (ty == LUA_TTABLE) {
        lua_rawgeti(L, -1, 1);
        lua_rawgeti(L, -2, 2);
        if (!lua_isnil(L, -2)) *lo = luaL_checknumber(L, -2);
        if (!lua_isnil(L, -1)) *hi = luaL_checknumber(L, -1);
        lua_pop(L, 2);
    } else if (ty != LUA_TNIL) {
        luaL_error(L, "option '%s': expected {min, max}, got %s", key, lua_typename(L, ty));
    }
    lua_pop(L, 1);
}

static void read_axes_opts(lua_State *L, int oi, popts *p)
{
    read_lim(L, oi, "xlim", &p->o.xmin, &p->o.xmax);
    read_lim(L, oi, "ylim", &p->o.ymin, &p->o.ymax);
    const char *ys = mlua_opt_string(L, oi, "yscale", "linear");
    if (strcmp(ys, "log") == 0) p->o.logy = 1;
    else if (strcmp(ys, "linear") != 0) luaL_error(L, "option 'yscale': expected \"linear\" or \"log\", got \"%s\"", ys);
    p->o.logy = mlua_opt_bool(L, oi, "logy", p->o.logy);
    p->o.xinteger = mlua_opt_bool(L, oi, "xinteger", 0);
    if (mlua_opt_field(L, oi, "markers") == LUA_TBOOLEAN) p->o.markers = lua_toboolean(L, -1);
    lua_pop(L, 1);
    if (mlua_opt_field(L, oi, "legend") == LUA_TBOOLEAN) p->o.legend = lua_toboolean(L, -1);
    lua_pop(L, 1);
}

/* Default height of an x-y chart: a quarter of the width, within the sink. */
static void default_height(lua_State *L, popts *p)
{
    if (p->height_given) return;
    const mlua_sink *s = mlua_get_sink(L);
    int h = p->o.width / 4;
    if (h < 12) h = 12;
    int sh = s->height > 0 ? s->height : 24;
    if (h > sh - 1 && sh - 1 >= 10) h = sh - 1;
    p->o.height = h;
}

static const char *const LINE_OPTS[] = {"title", "xlabel", "ylabel", "legend", "labels", "xlim", "ylim", "yscale",
                                        "logy", "xinteger", "markers", "width", "height", "ascii", "color",
                                        "canvas", "show", NULL};

/* ml.plot(y [, opts]), ml.plot(x, y [, opts]), ml.plot({y1, y2, ...} [, opts]),
 * ml.plot({{x = , y = , name = }, ...}), ml.plot({train = y1, validation = y2}) */
static int l_plot(lua_State *L)
{
    int oi = 2;
    int xi = 0, yi = 1;
    if (lua_gettop(L) >= 2 && is_vec(L, 1) && is_vec(L, 2)) {
        xi = 1;
        yi = 2;
        oi = 3;
    }
    mlua_check_opts(L, oi, "plot", LINE_OPTS);
    popts p;
    read_opts(L, oi, &p);
    read_axes_opts(L, oi, &p);
    default_height(L, &p);
    ml_series s[16];
    int ns = 0;
    luaL_checkstack(L, 64, "plot");
    lua_createtable(L, 16, 0); /* keeps names alive */
    int keep = lua_gettop(L);
    int legend_tab = mlua_opt_field(L, oi, "legend") == LUA_TTABLE ? lua_gettop(L) : 0;
    if (!legend_tab) {
        lua_pop(L, 1);
        if (mlua_opt_field(L, oi, "labels") == LUA_TTABLE) legend_tab = lua_gettop(L);
        else lua_pop(L, 1);
    }
    ml_tensor *Y = mlua_to_tensor(L, yi);
    if (Y && Y->ndim == 2 && Y->shape[1] > 1) {
        /* an n x k matrix: one series per column, as matplotlib draws it */
        int n = (int)Y->shape[0], k = (int)Y->shape[1], nx = 0;
        if (k > 16) return luaL_error(L, "plot: a matrix of %d columns is %d series; at most 16", k, k);
        const double *x = xi ? read_vec(L, xi, &nx, "plot", "x") : NULL;
        if (xi && nx != n) return luaL_error(L, "plot: x has %d values but y has %d rows", nx, n);
        for (int j = 0; j < k; j++) {
            double *col = lua_newuserdatauv(L, sizeof *col * (size_t)(n ? n : 1), 0);
            for (int i = 0; i < n; i++) col[i] = Y->data[(size_t)i * k + j];
            s[j] = (ml_series){NULL, x, col, n};
            if (legend_tab && lua_rawgeti(L, legend_tab, j + 1) == LUA_TSTRING) {
                s[j].name = lua_tostring(L, -1);
                lua_rawseti(L, keep, j + 1);
            } else if (legend_tab) {
                lua_pop(L, 1);
            }
        }
        ns = k;
    } else if (is_vec(L, yi)) {
        int n, nx = 0;
        s[0].y = read_vec(L, yi, &n, "plot", "y");
        s[0].x = xi ? read_vec(L, xi, &nx, "plot", "x") : NULL;
        if (xi && nx != n) return luaL_error(L, "plot: x has %d values but y has %d", nx, n);
        s[0].n = n;
        s[0].name = NULL;
        if (legend_tab && lua_rawgeti(L, legend_tab, 1) == LUA_TSTRING) {
            s[0].name = lua_tostring(L, -1);
            lua_rawseti(L, keep, 1);
        }
        ns = 1;
    } else if (lua_istable(L, yi)) {
        int nlist = (int)lua_rawlen(L, yi);
        if (nlist > 0) {
            for (int k = 0; k < nlist; k++) {
                if (ns == 16) return luaL_error(L, "plot: at most 16 series");
                lua_rawgeti(L, yi, k + 1);
                int e = lua_gettop(L);
                s[ns].name = NULL;
                s[ns].x = NULL;
                if (is_vec(L, e)) {
                    s[ns].y = read_vec(L, e, &s[ns].n, "plot", "series");
                } else if (lua_istable(L, e)) {
                    lua_getfield(L, e, "y");
                    if (lua_isnil(L, -1)) return luaL_error(L, "plot: series %d has no y", k + 1);
                    s[ns].y = read_vec(L, -1, &s[ns].n, "plot", "y");
                    lua_getfield(L, e, "x");
                    if (!lua_isnil(L, -1)) {
                        int nx;
                        s[ns].x = read_vec(L, -1, &nx, "plot", "x");
                        if (nx != s[ns].n)
                            return luaL_error(L, "plot: series %d: x has %d values but y has %d", k + 1, nx, s[ns].n);
                    }
                    if (lua_getfield(L, e, "name") == LUA_TSTRING || (lua_pop(L, 1), lua_getfield(L, e, "label")) == LUA_TSTRING) {
                        s[ns].name = lua_tostring(L, -1);
                        lua_rawseti(L, keep, ns + 1);
                    }
                } else {
                    return luaL_error(L, "plot: series %d must be an array, a tensor or {x=, y=, name=}", k + 1);
                }
                if (!s[ns].name && legend_tab && lua_rawgeti(L, legend_tab, k + 1) == LUA_TSTRING) {
                    s[ns].name = lua_tostring(L, -1);
                    lua_rawseti(L, keep, ns + 1);
                }
                ns++;
            }
        } else {
            /* {name = y, ...}: series in name order */
            lua_newtable(L);
            int names = lua_gettop(L);
            int m = 0;
            lua_pushnil(L);
            while (lua_next(L, yi)) {
                lua_pop(L, 1);
                if (lua_type(L, -1) != LUA_TSTRING) return luaL_error(L, "plot: expected series, got a table with non-name keys");
                lua_pushvalue(L, -1);
                lua_rawseti(L, names, ++m);
            }
            if (m > 16) return luaL_error(L, "plot: at most 16 series");
            lua_getglobal(L, "table");
            lua_getfield(L, -1, "sort");
            lua_pushvalue(L, names);
            lua_call(L, 1, 0);
            lua_pop(L, 1);
            for (int k = 0; k < m; k++) {
                lua_rawgeti(L, names, k + 1);
                s[ns].name = lua_tostring(L, -1);
                lua_gettable(L, yi);
                s[ns].x = NULL;
                s[ns].y = read_vec(L, -1, &s[ns].n, "plot", s[ns].name);
                ns++;
            }
        }
    } else {
        return luaL_error(L, "plot: expected y values (a tensor or an array), got %s", luaL_typename(L, yi));
    }
    if (ns == 0) return luaL_error(L, "plot: no series to draw");
    lchart *c = new_chart(L);
    if (ml_plot_line(&c->t, s, ns, &p.o)) return mlua_fail(L);
    return finish(L, c, &p);
}

/* Labels (hue) as classes 0..K-1: a float per point and K. */
static float *read_hue(lua_State *L, int i, int64_t n, int *nclass)
{
    ml_tensor *t = mlua_check_tensor_like(L, i);
    if (ml_tensor_numel(t) != n)
        luaL_error(L, "scatter: %d points but %d hue labels", (int)n, (int)ml_tensor_numel(t));
    int K = 0;
    for (int64_t j = 0; j < n; j++) {
        float f = t->data[j];
        if (!(f >= 0 && f < 16 && f == floorf(f)))
            luaL_error(L, "scatter: hue[%d] is %f; hue labels must be integers 0..15", (int)j + 1, (double)f);
        if ((int)f + 1 > K) K = (int)f + 1;
    }
    *nclass = K;
    return t->data;
}

static const char *const SCATTER_OPTS[] = {"title", "xlabel", "ylabel", "hue", "c", "classes", "legend", "xlim",
                                           "ylim", "yscale", "logy", "width", "height", "ascii", "color",
                                           "canvas", "show", NULL};

/* ml.scatter(x, y [, opts]) or ml.scatter(P [, opts]) with P n x 2; hue = labels */
static int l_scatter(lua_State *L)
{
    const float *x, *y;
    int64_t n, xs = 1, ys = 1;
    int oi;
    ml_tensor *P = mlua_to_tensor(L, 1);
    if (P && P->ndim == 2 && P->shape[1] >= 2 && (lua_isnoneornil(L, 2) || lua_istable(L, 2)) && !mlua_to_tensor(L, 2)) {
        n = P->shape[0];
        x = P->data;
        y = P->data + 1;
        xs = ys = P->shape[1];
        oi = 2;
    } else {
        ml_tensor *tx = mlua_check_tensor_like(L, 1);
        ml_tensor *ty = mlua_check_tensor_like(L, 2);
        n = ml_tensor_numel(tx);
        if (ml_tensor_numel(ty) != n)
            return luaL_error(L, "scatter: x has %d values but y has %d", (int)n, (int)ml_tensor_numel(ty));
        x = tx->data;
        y = ty->data;
        oi = 3;
    }
    mlua_check_opts(L, oi, "scatter", SCATTER_OPTS);
    popts p;
    read_opts(L, oi, &p);
    read_axes_opts(L, oi, &p);
    default_height(L, &p);
    const float *cls = NULL;
    int nclass = 0;
    int hf = mlua_opt_field(L, oi, "hue");
    if (hf == LUA_TNIL) {
        lua_pop(L, 1);
        hf = mlua_opt_field(L, oi, "c");
    }
    if (hf != LUA_TNIL) cls = read_hue(L, lua_gettop(L), n, &nclass);
    const char *names[16] = {0};
    if (cls && mlua_opt_field(L, oi, "classes") == LUA_TTABLE) {
        int ct = lua_gettop(L);
        for (int k = 0; k < nclass; k++) {
            if (lua_geti(L, ct, k) == LUA_TSTRING) names[k] = lua_tostring(L, -1); /* the table keeps it */
            lua_pop(L, 1);
        }
    }
    if (cls && mlua_opt_field(L, oi, "legend") == LUA_TTABLE) {
        int lt = lua_gettop(L);
        for (int k = 0; k < nclass; k++) {
            if (lua_rawgeti(L, lt, k + 1) == LUA_TSTRING) names[k] = lua_tostring(L, -1);
            lua_pop(L, 1);
        }
    }
    lchart *c = new_chart(L);
    if (ml_plot_scatter(&c->t, x, xs, y, ys, n, cls, nclass, names, &p.o)) return mlua_fail(L);
    return finish(L, c, &p);
}

/* ml.hist(values [, {bins = 20, ...}]) */
static int l_hist(lua_State *L)
{
    static const char *const known[] = {"title", "xlabel", "ylabel", "bins", "xlim", "width", "height", "ascii",
                                        "color", "show", NULL};
    mlua_check_opts(L, 2, "hist", known);
    popts p;
    read_opts(L, 2, &p);
    read_lim(L, 2, "xlim", &p.o.xmin, &p.o.xmax);
    default_height(L, &p);
    lua_Integer bins = mlua_opt_integer(L, 2, "bins", 0);
    if (bins < 0) return luaL_error(L, "hist: option 'bins' must be >= 1, got %d", (int)bins);
    int n;
    double *v = read_vec(L, 1, &n, "hist", "values");
    lchart *c = new_chart(L);
    if (ml_plot_hist(&c->t, v, n, (int)bins, &p.o)) return mlua_fail(L);
    return finish(L, c, &p);
}

/* Label names for heatmap rows/cols: a table indexed from 1 (an array) or
 * from 0 (classes); NULL entries get the index. */
static const char **names_from(lua_State *L, int t, int n)
{
    const char **v = lua_newuserdatauv(L, sizeof *v * (size_t)n, 0);
    int zero = 0;
    if (t) {
        lua_rawgeti(L, t, 0);
        zero = !lua_isnil(L, -1);
        lua_pop(L, 1);
    }
    for (int i = 0; i < n; i++) {
        v[i] = NULL;
        if (t && lua_rawgeti(L, t, i + (zero ? 0 : 1)) == LUA_TSTRING) v[i] = lua_tostring(L, -1);
        else if (t && lua_isnumber(L, -1)) v[i] = lua_tostring(L, -1); /* converted in place: the table keeps */
        if (t) lua_pop(L, 1);
    }
    return v;
}

/* ml.heatmap(M [, {labels = names, xticklabels =, yticklabels =, annot = true, title =, xlabel =, ylabel =}]) */
static int l_heatmap(lua_State *L)
{
    static const char *const known[] = {"title", "xlabel", "ylabel", "labels", "classes", "xticklabels",
                                        "yticklabels", "annot", "vmin", "vmax", "width", "height", "ascii",
                                        "color", "show", NULL};
    mlua_check_opts(L, 2, "heatmap", known);
    ml_tensor *M = mlua_check_tensor_like(L, 1);
    if (M->ndim != 2) {
        char b[64];
        return luaL_error(L, "heatmap: expected a 2-D matrix, got shape %s", ml_tensor_shape_str(M, b, sizeof b));
    }
    popts p;
    read_opts(L, 2, &p);
    p.o.vmin = mlua_opt_number(L, 2, "vmin", NAN);
    p.o.vmax = mlua_opt_number(L, 2, "vmax", NAN);
    if (mlua_opt_field(L, 2, "annot") == LUA_TBOOLEAN) p.o.values = lua_toboolean(L, -1);
    lua_pop(L, 1);
    if (!p.width_given) p.o.width = 0;
    const mlua_sink *s = mlua_get_sink(L);
    int sw = s->width > 0 ? s->width : 80;
    p.o.width = p.width_given ? p.o.width : sw;
    int rows = (int)M->shape[0], cols = (int)M->shape[1];
    int lab = 0, xl = 0, yl = 0;
    if (mlua_opt_field(L, 2, "labels") == LUA_TTABLE || (lua_pop(L, 1), mlua_opt_field(L, 2, "classes")) == LUA_TTABLE)
        lab = lua_gettop(L);
    if (mlua_opt_field(L, 2, "xticklabels") == LUA_TTABLE) xl = lua_gettop(L);
    if (mlua_opt_field(L, 2, "yticklabels") == LUA_TTABLE) yl = lua_gettop(L);
    const char **rn = names_from(L, yl ? yl : lab, rows);
    const char **cn = names_from(L, xl ? xl : lab, cols);
    double *m = lua_newuserdatauv(L, sizeof *m * (size_t)(rows * cols > 0 ? rows * cols : 1), 0);
    for (int64_t i = 0; i < (int64_t)rows * cols; i++) m[i] = M->data[i];
    lchart *c = new_chart(L);
    if (ml_plot_heatmap(&c->t, m, rows, cols, rn, cn, &p.o)) return mlua_fail(L);
    return finish(L, c, &p);
}

/* A printf format for one number: exactly one conversion among e f g (a
 * double; returns 1) or d i (the value rounded; returns 2), with flags, width
 * and precision; 0 when the format is anything else. */
static int valid_fmt_at(const char *f, size_t *at)
{
    int conv = 0, kind = 1;
    if (at) *at = 0;
    for (const char *p = f; *p; p++) {
        if (*p != '%') continue;
        if (p[1] == '%') {
            p++;
            continue;
        }
        p++;
        while (*p && strchr("-+ #0", *p)) p++;
        while (*p >= '0' && *p <= '9') p++;
        if (*p == '.') {
            p++;
            while (*p >= '0' && *p <= '9') p++;
        }
        if (at) *at = (size_t)(p - f);
        if (*p && strchr("di", *p)) kind = 2;
        else if (!*p || !strchr("eEfFgG", *p)) return 0;
        conv++;
    }
    return conv == 1 && strlen(f) < 32 ? kind : 0;
}

static int valid_fmt(const char *f) { return valid_fmt_at(f, NULL); }

/* Formats one table value: strings as they are, integers plainly, other
 * numbers with fmt (a printf format for one double; default "%.4f"). */
static const char *cell_string(lua_State *L, int idx, const char *fmt)
{
    idx = lua_absindex(L, idx);
    switch (lua_type(L, idx)) {
    case LUA_TNIL: return "";
    case LUA_TBOOLEAN: return lua_toboolean(L, idx) ? "yes" : "no";
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx) && !(fmt && valid_fmt(fmt) == 2))
            return lua_pushfstring(L, "%I", lua_tointeger(L, idx));
        else {
            double v = lua_tonumber(L, idx);
            char b[64];
            if (!isfinite(v)) snprintf(b, sizeof b, "%s", isnan(v) ? "nan" : v > 0 ? "inf" : "-inf");
            else if (fmt && valid_fmt(fmt) == 2) {
                /* an integer conversion: the value rounded, through a format of our own */
                char f2[48];
                size_t k;
                valid_fmt_at(fmt, &k);
                snprintf(f2, sizeof f2, "%.*sll%s", (int)k, fmt, fmt + k);
                snprintf(b, sizeof b, f2, (long long)llround(fabs(v) < 9e18 ? v : 0));
            } else if (fmt) snprintf(b, sizeof b, fmt, v);
            else snprintf(b, sizeof b, "%.4f", v); /* floats keep their decimals: 1.0 -> 1.0000 */
            return lua_pushstring(L, b);
        }
    default: return luaL_tolstring(L, idx, NULL);
    }
}

/* ml.table(rows [, {header = {...}, columns = {...}, align = "lrr", fmt = "%.3f" | {per column}, title =}]) */
static int l_table(lua_State *L)
{
    static const char *const known[] = {"header", "columns", "align", "fmt", "title", "width", "ascii", "color",
                                        "show", NULL};
    luaL_checktype(L, 1, LUA_TTABLE);
    mlua_check_opts(L, 2, "table", known);
    popts p;
    read_opts(L, 2, &p);
    if (!p.width_given) p.o.width = 0;
    int nrows = (int)lua_rawlen(L, 1);
    luaL_checkstack(L, 32, "table");
    int hdr = mlua_opt_field(L, 2, "header") == LUA_TTABLE ? lua_gettop(L) : 0;
    int colt = mlua_opt_field(L, 2, "columns") == LUA_TTABLE ? lua_gettop(L) : 0;
    int fmtt = 0;
    const char *fmt1 = NULL;
    int ft = mlua_opt_field(L, 2, "fmt");
    if (ft == LUA_TSTRING) fmt1 = lua_tostring(L, -1);
    else if (ft == LUA_TTABLE) fmtt = lua_gettop(L);
    else if (ft != LUA_TNIL) return luaL_error(L, "option 'fmt': expected a format string or a table of them");
    if (fmt1 && !valid_fmt(fmt1)) return luaL_error(L, "table: fmt \"%s\" must format one number (e.g. \"%%.3f\")", fmt1);
    const char *align = mlua_opt_string(L, 2, "align", NULL);
    /* records or arrays? */
    int records = 0;
    if (nrows > 0) {
        lua_rawgeti(L, 1, 1);
        if (!lua_istable(L, -1)) return luaL_error(L, "table: row 1 must be a table, got %s", luaL_typename(L, -1));
        records = lua_rawlen(L, -1) == 0;
        lua_pop(L, 1);
    }
    /* the record keys of each column */
    lua_newtable(L);
    int keys = lua_gettop(L);
    int ncols = 0;
    if (records) {
        if (colt) {
            ncols = (int)lua_rawlen(L, colt);
            for (int j = 1; j <= ncols; j++) {
                lua_rawgeti(L, colt, j);
                lua_rawseti(L, keys, j);
            }
        } else if (hdr) {
            /* header names lowercased as keys ("Validation" -> validation) */
            ncols = (int)lua_rawlen(L, hdr);
            for (int j = 1; j <= ncols; j++) {
                lua_rawgeti(L, hdr, j);
                const char *h = lua_tostring(L, -1);
                luaL_Buffer b;
                luaL_buffinit(L, &b);
                for (const char *q = h ? h : ""; *q; q++) luaL_addchar(&b, (char)(*q >= 'A' && *q <= 'Z' ? *q + 32 : *q));
                luaL_pushresult(&b);
                lua_rawseti(L, keys, j);
                lua_pop(L, 1);
            }
        } else {
            /* preferred order for result rows, then the other keys sorted */
            static const char *const pref[] = {"model", "params", "train", "validation", "test", NULL};
            lua_newtable(L);
            int seen = lua_gettop(L);
            for (int i = 1; i <= nrows; i++) {
                lua_rawgeti(L, 1, i);
                lua_pushnil(L);
                while (lua_next(L, -2)) {
                    lua_pop(L, 1);
                    lua_pushvalue(L, -1);
                    lua_pushboolean(L, 1);
                    lua_rawset(L, seen);
                }
                lua_pop(L, 1);
            }
            for (int k = 0; pref[k]; k++) {
                lua_getfield(L, seen, pref[k]);
                if (lua_toboolean(L, -1)) {
                    lua_pushstring(L, pref[k]);
                    lua_rawseti(L, keys, ++ncols);
                    lua_pushnil(L);
                    lua_setfield(L, seen, pref[k]);
                }
                lua_pop(L, 1);
            }
            lua_newtable(L);
            int rest = lua_gettop(L), nr = 0;
            lua_pushnil(L);
            while (lua_next(L, seen)) {
                lua_pop(L, 1);
                if (lua_type(L, -1) == LUA_TSTRING) {
                    lua_pushvalue(L, -1);
                    lua_rawseti(L, rest, ++nr);
                }
            }
            lua_getglobal(L, "table");
            lua_getfield(L, -1, "sort");
            lua_pushvalue(L, rest);
            lua_call(L, 1, 0);
            lua_pop(L, 1);
            for (int k = 1; k <= nr; k++) {
                lua_rawgeti(L, rest, k);
                lua_rawseti(L, keys, ++ncols);
            }
            lua_pop(L, 2);
        }
    } else {
        for (int i = 1; i <= nrows; i++) {
            lua_rawgeti(L, 1, i);
            if (!lua_istable(L, -1)) return luaL_error(L, "table: row %d must be a table, got %s", i, luaL_typename(L, -1));
            int m = (int)lua_rawlen(L, -1);
            if (m > ncols) ncols = m;
            lua_pop(L, 1);
        }
        if (hdr && (int)lua_rawlen(L, hdr) > ncols) ncols = (int)lua_rawlen(L, hdr);
    }
    if (ncols == 0) return luaL_error(L, "table: no columns (give rows, a header or columns)");
    if (ncols > 64) return luaL_error(L, "table: at most 64 columns, got %d", ncols);
    if (hdr && (int)lua_rawlen(L, hdr) != ncols && !(records && !colt))
        return luaL_error(L, "table: header has %d names for %d columns", (int)lua_rawlen(L, hdr), ncols);
    /* the strings: a Lua table keeps them alive */
    lua_createtable(L, nrows * ncols + ncols, 0);
    int store = lua_gettop(L);
    const char **cells = lua_newuserdatauv(L, sizeof *cells * (size_t)(nrows * ncols + 1), 0);
    const char **header = NULL;
    if (hdr || records) header = lua_newuserdatauv(L, sizeof *header * (size_t)ncols, 0);
    for (int j = 0; j < ncols && header; j++) {
        if (hdr) lua_rawgeti(L, hdr, j + 1);
        else {
            /* a record key as a title: "validation" -> "Validation" */
            lua_rawgeti(L, keys, j + 1);
            const char *k = luaL_tolstring(L, -1, NULL);
            lua_pushfstring(L, "%c%s", k[0] >= 'a' && k[0] <= 'z' ? k[0] - 32 : k[0], k[0] ? k + 1 : "");
            lua_replace(L, -3);
            lua_pop(L, 1);
        }
        header[j] = lua_isnil(L, -1) ? "" : luaL_tolstring(L, -1, NULL);
        if (!lua_isnil(L, -1)) lua_remove(L, -2);
        lua_rawseti(L, store, nrows * ncols + j + 1);
    }
    for (int i = 0; i < nrows; i++) {
        lua_rawgeti(L, 1, i + 1);
        int row = lua_gettop(L);
        if (!lua_istable(L, row)) return luaL_error(L, "table: row %d must be a table, got %s", i + 1, luaL_typename(L, row));
        for (int j = 0; j < ncols; j++) {
            if (records) {
                lua_rawgeti(L, keys, j + 1);
                lua_gettable(L, row);
            } else {
                lua_rawgeti(L, row, j + 1);
            }
            const char *f = fmt1;
            if (fmtt) {
                lua_rawgeti(L, fmtt, j + 1);
                if (lua_isstring(L, -1)) {
                    f = lua_tostring(L, -1);
                    if (!valid_fmt(f)) return luaL_error(L, "table: fmt[%d] \"%s\" must format one number", j + 1, f);
                } else {
                    f = NULL;
                }
                lua_pop(L, 1); /* fmtt keeps the string */
            }
            const char *str = cell_string(L, -1, f);
            if (lua_gettop(L) > row + 1) lua_remove(L, -2); /* keep only the string */
            else lua_pushstring(L, str), lua_remove(L, -2);
            cells[(size_t)i * ncols + j] = lua_tostring(L, -1);
            lua_rawseti(L, store, i * ncols + j + 1);
        }
        lua_pop(L, 1);
    }
    if (align && (int)strlen(align) != ncols)
        return luaL_error(L, "table: align \"%s\" has %d letters for %d columns", align, (int)strlen(align), ncols);
    lchart *c = new_chart(L);
    if (ml_plot_table(&c->t, cells, nrows, ncols, header, align, &p.o)) return mlua_fail(L);
    /* natural width, but never wider than the pane: then squeeze the text columns */
    const mlua_sink *s = mlua_get_sink(L);
    int sw = s->width > 0 ? s->width : 80;
    if (!p.width_given && c->t.nlines > 0 && c->t.lines[0].ncells > sw) {
        ml_text_free(&c->t);
        ml_text_init(&c->t);
        p.o.width = sw;
        if (ml_plot_table(&c->t, cells, nrows, ncols, header, align, &p.o)) return mlua_fail(L);
    }
    return finish(L, c, &p);
}

/* ml.plot_history(hist [, opts]): hist.loss, hist.accuracy, hist.val_loss,
 * hist.val_accuracy (arrays or tensors; hist.history also accepted). */
static int l_plot_history(lua_State *L)
{
    static const char *const known[] = {"width", "height", "ascii", "color", "canvas", "show", NULL};
    luaL_checktype(L, 1, LUA_TTABLE);
    mlua_check_opts(L, 2, "plot_history", known);
    popts p;
    read_opts(L, 2, &p);
    int h = 1;
    if (lua_getfield(L, 1, "history") == LUA_TTABLE) h = lua_gettop(L);
    static const char *const keys[4] = {"loss", "accuracy", "val_loss", "val_accuracy"};
    static const char *const alt[4] = {NULL, "acc", NULL, "val_acc"};
    double *v[4] = {0};
    int n = -1;
    for (int k = 0; k < 4; k++) {
        int ty = lua_getfield(L, h, keys[k]);
        if (ty == LUA_TNIL && alt[k]) {
            lua_pop(L, 1);
            ty = lua_getfield(L, h, alt[k]);
        }
        if (ty == LUA_TNIL) continue;
        int m;
        v[k] = read_vec(L, -1, &m, "plot_history", keys[k]);
        if (n >= 0 && m != n)
            return luaL_error(L, "plot_history: %s has %d epochs but the other curves have %d", keys[k], m, n);
        n = m;
    }
    if (n < 0) return luaL_error(L, "plot_history: expected a history with loss, accuracy, val_loss, val_accuracy");
    if (!p.height_given) {
        const mlua_sink *s = mlua_get_sink(L);
        int side = p.o.width >= 120;
        int sh = s->height > 0 ? s->height : 24;
        int want = side ? 20 : 36;
        if (side && want > sh - 1 && sh - 1 >= 14) want = sh - 1;
        p.o.height = want;
    }
    lchart *c = new_chart(L);
    if (ml_plot_history(&c->t, v[0], v[1], v[2], v[3], n, &p.o)) return mlua_fail(L);
    return finish(L, c, &p);
}

/* ml.progress_line(stage, done, total, elapsed [, {width =, ascii =}]) -> string */
static int l_progress_line(lua_State *L)
{
    const char *stage = luaL_optstring(L, 1, "");
    lua_Integer done = luaL_checkinteger(L, 2), total = luaL_optinteger(L, 3, 0);
    double el = luaL_optnumber(L, 4, 0);
    static const char *const known[] = {"width", "ascii", NULL};
    mlua_check_opts(L, 5, "progress_line", known);
    const mlua_sink *s = mlua_get_sink(L);
    int w = (int)mlua_opt_integer(L, 5, "width", s->width > 0 ? s->width : 80);
    int ascii = mlua_opt_bool(L, 5, "ascii", s->ascii);
    char b[1024];
    ml_format_progress(b, sizeof b, w, stage, done, total, el, ascii);
    lua_pushstring(L, b);
    return 1;
}

/* ml.epoch_line(epoch, epochs, {loss = , accuracy = , val_loss = , val_accuracy = } [, {seconds =, steps =, width =}]) */
static int l_epoch_line(lua_State *L)
{
    int epoch = (int)luaL_checkinteger(L, 1), epochs = (int)luaL_optinteger(L, 2, 0);
    luaL_checktype(L, 3, LUA_TTABLE);
    static const char *const known[] = {"seconds", "steps", "width", "ascii", NULL};
    mlua_check_opts(L, 4, "epoch_line", known);
    double secs = mlua_opt_number(L, 4, "seconds", 0);
    lua_Integer steps = mlua_opt_integer(L, 4, "steps", 0);
    const mlua_sink *s = mlua_get_sink(L);
    int w = (int)mlua_opt_integer(L, 4, "width", s->width > 0 ? s->width : 80);
    static const char *const order[] = {"loss", "accuracy", "val_loss", "val_accuracy", NULL};
    const char *names[16];
    double vals[16];
    int nv = 0;
    for (int k = 0; order[k]; k++) {
        if (lua_getfield(L, 3, order[k]) == LUA_TNUMBER) {
            names[nv] = order[k];
            vals[nv++] = lua_tonumber(L, -1);
        }
        lua_pop(L, 1);
    }
    char b[1024];
    ml_format_epoch(b, sizeof b, w, epoch, epochs, steps, secs, names, vals, nv, 0);
    lua_pushstring(L, b);
    return 1;
}

void mlua_open_plot(lua_State *L)
{
    static const luaL_Reg meta[] = {{"__gc", chart_gc}, {"__close", chart_gc}, {"__tostring", chart_tostring},
                                    {"__len", chart_len}, {NULL, NULL}};
    static const luaL_Reg methods[] = {{"lines", chart_lines}, {"save_svg", chart_save_svg}, {"show", chart_show},
                                       {"size", chart_size}, {"beside", chart_beside}, {"below", chart_below},
                                       {NULL, NULL}};
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
                                   {"plot", l_plot},     {"line", l_plot},            {"scatter", l_scatter},
                                   {"hist", l_hist},     {"heatmap", l_heatmap},      {"table", l_table},
                                   {"plot_history", l_plot_history},                  {"progress_line", l_progress_line},
                                   {"epoch_line", l_epoch_line},                      {NULL, NULL}};
    luaL_setfuncs(L, fns, 0);
}
