/* Neural networks from Lua, in Keras's vocabulary.
 *
 *   local net = ml.Sequential{
 *     ml.Input{28, 28, 1},
 *     ml.Conv2D{32, 3, activation = "relu"}, ml.MaxPooling2D{2},
 *     ml.Flatten(), ml.Dense{64, activation = "relu"}, ml.Dropout{0.1},
 *     ml.Dense{10, activation = "softmax"},
 *   }
 *   -- or the functional form:
 *   local inputs = ml.Input{28, 28, 1}
 *   local x = ml.Flatten()(inputs)
 *   x = ml.Dense{32, activation = "relu"}(x)
 *   local net = ml.Model(inputs, ml.Dense{10, activation = "softmax"}(x))
 *
 *   net:compile{loss = "sparse_categorical_crossentropy", optimizer = ml.Adam{learning_rate = 1e-3},
 *               metrics = {"accuracy"}}
 *   local hist = net:fit(X, y, {epochs = 10, batch_size = 32, validation_split = 0.2,
 *                               callbacks = {ml.EarlyStopping{patience = 3, restore_best_weights = true}}})
 *   hist.history.loss, hist.history.val_accuracy     -- Lua arrays, one value per epoch
 *   net:evaluate(Xte, yte) --> loss, accuracy;  net:predict(X) --> n x classes
 *   net:summary(); net:count_params(); net:save("cnn.model"); ml.load_model("cnn.model")
 */
#include "lua/mlua.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "core/modelfile.h"
#include "nn/nn.h"
#include "plot/plot.h"

#define LAYER_MT "mnistlab.nn.Layer"
#define NODE_MT "mnistlab.nn.KerasTensor"
#define MODEL_MT "mnistlab.nn.Model"
#define HISTORY_MT "mnistlab.nn.History"
#define OPT_MT "mnistlab.nn.Optimizer"
#define CB_MT "mnistlab.nn.Callback"
#define REG_MT "mnistlab.nn.Regularizer"
#define LOSS_MT "mnistlab.nn.Loss"

/* ================================================================ layers */

typedef struct llayer {
    ml_nn_spec s;
    int has_input;      /* input_shape given on the layer */
    ml_nn_spec input;
} llayer;

static llayer *push_layer(lua_State *L, ml_nn_kind kind)
{
    llayer *l = lua_newuserdatauv(L, sizeof *l, 0);
    memset(l, 0, sizeof *l);
    ml_nn_spec_init(&l->s, kind);
    ml_nn_spec_init(&l->input, ML_NN_INPUT);
    luaL_setmetatable(L, LAYER_MT);
    return l;
}

/* A shape given as {28, 28, 1} (or a number) at stack index idx. */
static int read_shape(lua_State *L, int idx, const char *what, int64_t *shape)
{
    if (lua_type(L, idx) == LUA_TNUMBER) {
        shape[0] = lua_tointeger(L, idx);
        if (shape[0] < 1) luaL_error(L, "%s: dimensions must be >= 1", what);
        return 1;
    }
    if (lua_type(L, idx) != LUA_TTABLE) luaL_error(L, "%s: expected a shape such as {28, 28, 1}", what);
    int n = (int)lua_rawlen(L, idx);
    if (n < 1 || n > 3) luaL_error(L, "%s: a shape has 1 to 3 dimensions (without the batch), got %d", what, n);
    for (int i = 0; i < n; i++) {
        lua_rawgeti(L, idx, i + 1);
        int ok;
        lua_Integer v = lua_tointegerx(L, -1, &ok);
        lua_pop(L, 1);
        if (!ok || v < 1) luaL_error(L, "%s: dimension %d must be an integer >= 1", what, i + 1);
        shape[i] = v;
    }
    return n;
}

/* A pair such as kernel_size = 3 or {3, 3}: the field on top is consumed. */
static void read_pair(lua_State *L, const char *what, int *out)
{
    if (lua_type(L, -1) == LUA_TNUMBER) {
        int ok;
        lua_Integer v = lua_tointegerx(L, -1, &ok);
        if (!ok || v < 1) luaL_error(L, "%s: must be an integer >= 1", what);
        out[0] = out[1] = (int)v;
    } else if (lua_type(L, -1) == LUA_TTABLE && lua_rawlen(L, -1) == 2) {
        for (int i = 0; i < 2; i++) {
            lua_rawgeti(L, -1, i + 1);
            int ok;
            lua_Integer v = lua_tointegerx(L, -1, &ok);
            if (!ok || v < 1) luaL_error(L, "%s: must be integers >= 1", what);
            out[i] = (int)v;
            lua_pop(L, 1);
        }
    } else {
        luaL_error(L, "%s: expected a number or a pair {h, w}", what);
    }
    lua_pop(L, 1);
}

static void common_opts(lua_State *L, int t, llayer *l)
{
    const char *name = mlua_opt_string(L, t, "name", NULL);
    if (name) snprintf(l->s.name, sizeof l->s.name, "%s", name);
    if (mlua_opt_field(L, t, "input_shape") != LUA_TNIL) {
        l->has_input = 1;
        l->input.ndim = read_shape(L, lua_gettop(L), "input_shape", l->input.shape);
    }
    lua_pop(L, 1);
}

static void read_activation(lua_State *L, int t, const char *key, llayer *l)
{
    const char *a = mlua_opt_string(L, t, key, NULL);
    if (a && ml_nn_act_parse(a, &l->s.act)) mlua_fail(L);
}

static void read_regularizer(lua_State *L, int t, llayer *l)
{
    int ty = mlua_opt_field(L, t, "kernel_regularizer");
    if (ty == LUA_TNUMBER) {
        l->s.l2 = (float)lua_tonumber(L, -1);
    } else if (ty == LUA_TTABLE) {
        lua_getfield(L, -1, "l2");
        if (!lua_isnumber(L, -1)) luaL_error(L, "kernel_regularizer: expected ml.l2(value) or a number");
        l->s.l2 = (float)lua_tonumber(L, -1);
        lua_pop(L, 1);
    } else if (ty != LUA_TNIL) {
        luaL_error(L, "kernel_regularizer: expected ml.l2(value) or a number");
    }
    lua_pop(L, 1);
    if (l->s.l2 < 0) luaL_error(L, "kernel_regularizer: the L2 factor must be >= 0");
}

static void read_padding(lua_State *L, int t, llayer *l)
{
    const char *p = mlua_opt_string(L, t, "padding", "valid");
    if (strcmp(p, "valid") == 0) l->s.same = 0;
    else if (strcmp(p, "same") == 0) l->s.same = 1;
    else luaL_error(L, "padding: expected \"valid\" or \"same\", got \"%s\"", p);
}

/* Argument 1 normalised to an option table at index 1 (a bare number or
 * string becomes its first positional entry). */
static void opts_table(lua_State *L)
{
    if (lua_isnoneornil(L, 1)) {
        lua_settop(L, 0);
        lua_newtable(L);
    } else if (lua_type(L, 1) != LUA_TTABLE) {
        lua_settop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, 1);
        lua_rawseti(L, 2, 1);
        lua_replace(L, 1);
    }
    lua_settop(L, 1);
}

static int l_input(lua_State *L)
{
    opts_table(L);
    static const char *const known[] = {"shape", "name", NULL};
    mlua_check_opts(L, 1, "Input", known);
    llayer *l = push_layer(L, ML_NN_INPUT);
    int li = lua_gettop(L);
    if (lua_getfield(L, 1, "shape") != LUA_TNIL) {
        l->s.ndim = read_shape(L, lua_gettop(L), "Input", l->s.shape);
    } else {
        lua_pushvalue(L, 1);
        if (lua_rawlen(L, 1) == 0) luaL_error(L, "Input: give a shape, e.g. ml.Input{28, 28, 1}");
        l->s.ndim = read_shape(L, lua_gettop(L), "Input", l->s.shape);
    }
    lua_pop(L, 1);
    const char *name = mlua_opt_string(L, 1, "name", NULL);
    if (name) snprintf(l->s.name, sizeof l->s.name, "%s", name);
    /* an Input is a KerasTensor whose layer is the InputLayer */
    lua_newuserdatauv(L, 1, 2);
    luaL_setmetatable(L, NODE_MT);
    lua_pushvalue(L, li);
    lua_setiuservalue(L, -2, 1);
    return 1;
}

static int l_dense(lua_State *L)
{
    opts_table(L);
    static const char *const known[] = {"units", "activation", "use_bias", "kernel_regularizer", "name",
                                        "input_shape", "kernel_initializer", NULL};
    mlua_check_opts(L, 1, "Dense", known);
    llayer *l = push_layer(L, ML_NN_DENSE);
    lua_rawgeti(L, 1, 1);
    lua_Integer units = lua_isnil(L, -1) ? mlua_opt_integer(L, 1, "units", 0) : lua_tointeger(L, -1);
    lua_pop(L, 1);
    if (units < 1) luaL_error(L, "Dense: units must be an integer >= 1 (ml.Dense{64, activation = \"relu\"})");
    l->s.units = (int)units;
    read_activation(L, 1, "activation", l);
    lua_rawgeti(L, 1, 2);
    if (lua_type(L, -1) == LUA_TSTRING && ml_nn_act_parse(lua_tostring(L, -1), &l->s.act)) mlua_fail(L);
    lua_pop(L, 1);
    l->s.use_bias = mlua_opt_bool(L, 1, "use_bias", 1);
    const char *init = mlua_opt_string(L, 1, "kernel_initializer", "glorot_uniform");
    if (strcmp(init, "glorot_uniform") != 0)
        luaL_error(L, "Dense: kernel_initializer \"%s\" is not available (glorot_uniform)", init);
    read_regularizer(L, 1, l);
    common_opts(L, 1, l);
    return 1;
}

static int l_conv2d(lua_State *L)
{
    opts_table(L);
    static const char *const known[] = {"filters", "kernel_size", "strides", "padding", "activation", "use_bias",
                                        "kernel_regularizer", "name", "input_shape", NULL};
    mlua_check_opts(L, 1, "Conv2D", known);
    llayer *l = push_layer(L, ML_NN_CONV2D);
    lua_rawgeti(L, 1, 1);
    lua_Integer f = lua_isnil(L, -1) ? mlua_opt_integer(L, 1, "filters", 0) : lua_tointeger(L, -1);
    lua_pop(L, 1);
    if (f < 1) luaL_error(L, "Conv2D: filters must be an integer >= 1 (ml.Conv2D{32, 3, activation = \"relu\"})");
    l->s.units = (int)f;
    lua_rawgeti(L, 1, 2);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        if (mlua_opt_field(L, 1, "kernel_size") == LUA_TNIL)
            luaL_error(L, "Conv2D: kernel_size is required (ml.Conv2D{32, 3})");
    }
    read_pair(L, "Conv2D kernel_size", l->s.kernel);
    if (mlua_opt_field(L, 1, "strides") != LUA_TNIL) read_pair(L, "Conv2D strides", l->s.strides);
    else lua_pop(L, 1);
    read_padding(L, 1, l);
    read_activation(L, 1, "activation", l);
    l->s.use_bias = mlua_opt_bool(L, 1, "use_bias", 1);
    read_regularizer(L, 1, l);
    common_opts(L, 1, l);
    return 1;
}

static int l_maxpool(lua_State *L)
{
    opts_table(L);
    static const char *const known[] = {"pool_size", "strides", "padding", "name", "input_shape", NULL};
    mlua_check_opts(L, 1, "MaxPooling2D", known);
    llayer *l = push_layer(L, ML_NN_MAXPOOL2D);
    lua_rawgeti(L, 1, 1);
    if (!lua_isnil(L, -1)) read_pair(L, "MaxPooling2D pool_size", l->s.pool);
    else {
        lua_pop(L, 1);
        if (mlua_opt_field(L, 1, "pool_size") != LUA_TNIL) read_pair(L, "MaxPooling2D pool_size", l->s.pool);
        else lua_pop(L, 1);
    }
    if (mlua_opt_field(L, 1, "strides") != LUA_TNIL) read_pair(L, "MaxPooling2D strides", l->s.strides);
    else lua_pop(L, 1);
    read_padding(L, 1, l);
    common_opts(L, 1, l);
    return 1;
}

static int l_flatten(lua_State *L)
{
    opts_table(L);
    static const char *const known[] = {"name", "input_shape", NULL};
    mlua_check_opts(L, 1, "Flatten", known);
    llayer *l = push_layer(L, ML_NN_FLATTEN);
    common_opts(L, 1, l);
    return 1;
}

static int l_dropout(lua_State *L)
{
    opts_table(L);
    static const char *const known[] = {"rate", "name", "input_shape", "seed", NULL};
    mlua_check_opts(L, 1, "Dropout", known);
    llayer *l = push_layer(L, ML_NN_DROPOUT);
    lua_rawgeti(L, 1, 1);
    double r = lua_isnil(L, -1) ? mlua_opt_number(L, 1, "rate", -1) : lua_tonumber(L, -1);
    lua_pop(L, 1);
    if (!(r >= 0 && r < 1)) luaL_error(L, "Dropout: rate must be in [0, 1) (ml.Dropout{0.1})");
    l->s.rate = (float)r;
    common_opts(L, 1, l);
    return 1;
}

static int l_batchnorm(lua_State *L)
{
    opts_table(L);
    static const char *const known[] = {"momentum", "epsilon", "name", "input_shape", NULL};
    mlua_check_opts(L, 1, "BatchNormalization", known);
    llayer *l = push_layer(L, ML_NN_BATCHNORM);
    l->s.momentum = (float)mlua_opt_number(L, 1, "momentum", 0.99);
    l->s.eps = (float)mlua_opt_number(L, 1, "epsilon", 1e-3);
    if (!(l->s.momentum >= 0 && l->s.momentum <= 1)) luaL_error(L, "BatchNormalization: momentum must be in [0, 1]");
    if (!(l->s.eps > 0)) luaL_error(L, "BatchNormalization: epsilon must be > 0");
    common_opts(L, 1, l);
    return 1;
}

static int l_activation(lua_State *L)
{
    opts_table(L);
    static const char *const known[] = {"activation", "name", "input_shape", NULL};
    mlua_check_opts(L, 1, "Activation", known);
    llayer *l = push_layer(L, ML_NN_ACTIVATION);
    lua_rawgeti(L, 1, 1);
    const char *a = lua_isstring(L, -1) ? lua_tostring(L, -1) : mlua_opt_string(L, 1, "activation", NULL);
    if (!a) luaL_error(L, "Activation: name one, e.g. ml.Activation(\"relu\")");
    if (ml_nn_act_parse(a, &l->s.act)) mlua_fail(L);
    lua_pop(L, 1);
    common_opts(L, 1, l);
    return 1;
}

static int layer_tostring(lua_State *L)
{
    llayer *l = luaL_checkudata(L, 1, LAYER_MT);
    lua_pushfstring(L, "<%s%s%s>", ml_nn_kind_name(l->s.kind), l->s.name[0] ? " " : "", l->s.name);
    return 1;
}

/* layer(node) -> a new KerasTensor (functional form) */
static int layer_call(lua_State *L)
{
    llayer *l = luaL_checkudata(L, 1, LAYER_MT);
    if (!luaL_testudata(L, 2, NODE_MT))
        luaL_error(L, "%s: call a layer on the output of an Input or of another layer, e.g. "
                      "ml.Dense{10}(x)", ml_nn_kind_name(l->s.kind));
    lua_newuserdatauv(L, 1, 2);
    luaL_setmetatable(L, NODE_MT);
    lua_pushvalue(L, 1);
    lua_setiuservalue(L, -2, 1);
    lua_pushvalue(L, 2);
    lua_setiuservalue(L, -2, 2);
    return 1;
}

static int node_tostring(lua_State *L)
{
    lua_getiuservalue(L, 1, 1);
    llayer *l = lua_touserdata(L, -1);
    lua_pushfstring(L, "<KerasTensor from %s>", ml_nn_kind_name(l->s.kind));
    return 1;
}

/* ================================================================ models */

typedef struct lmodel {
    ml_nn *net;
    char name[64];
    int n;               /* specs, the Input first */
    ml_nn_spec *specs;
    uint64_t seed;
} lmodel;

static lmodel *check_model(lua_State *L, int idx)
{
    lmodel *m = luaL_checkudata(L, idx, MODEL_MT);
    if (!m->net) luaL_error(L, "model: it has been freed");
    return m;
}

static int model_gc(lua_State *L)
{
    lmodel *m = luaL_checkudata(L, 1, MODEL_MT);
    ml_nn_free(m->net);
    free(m->specs);
    m->net = NULL;
    m->specs = NULL;
    return 0;
}

/* Pushes a new model userdata built from specs (taken over). */
static lmodel *push_model(lua_State *L, ml_nn_spec *specs, int n, const char *name, uint64_t seed)
{
    lmodel *m = lua_newuserdatauv(L, sizeof *m, 1);
    memset(m, 0, sizeof *m);
    luaL_setmetatable(L, MODEL_MT);
    m->specs = specs;
    m->n = n;
    m->seed = seed;
    snprintf(m->name, sizeof m->name, "%s", name);
    lua_newtable(L);
    lua_setiuservalue(L, -2, 1);
    if (ml_nn_create(&m->net, specs, n, seed)) mlua_fail(L);
    return m;
}

/* Appends the spec of the layer (or Input node) at idx to the list. */
static void add_spec(lua_State *L, int idx, ml_nn_spec **specs, int *n, const int *cap)
{
    llayer *l = NULL;
    if (luaL_testudata(L, idx, NODE_MT)) {
        lua_getiuservalue(L, idx, 1);
        l = lua_touserdata(L, -1);
        lua_pop(L, 1);
        if (l->s.kind != ML_NN_INPUT)
            luaL_error(L, "Sequential: item %d is the output of a layer; give layers (or an Input first)", *n + 1);
    } else {
        l = luaL_testudata(L, idx, LAYER_MT);
    }
    if (!l) luaL_error(L, "Sequential: item %d is not a layer (got %s)", *n + 1, luaL_typename(L, idx));
    if (*n + 2 > *cap) luaL_error(L, "Sequential: too many layers");
    if (l->s.kind == ML_NN_INPUT && *n > 0) luaL_error(L, "Sequential: an Input may only come first");
    if (*n == 0 && l->s.kind != ML_NN_INPUT) {
        if (!l->has_input)
            luaL_error(L, "Sequential: start with ml.Input{...} (or give the first layer input_shape = {...})");
        (*specs)[(*n)++] = l->input;
    }
    (*specs)[(*n)++] = l->s;
}

static int l_sequential(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    static const char *const known[] = {"name", "seed", NULL};
    mlua_check_opts(L, 1, "Sequential", known);
    const char *name = mlua_opt_string(L, 1, "name", "sequential");
    lua_Integer seed = mlua_opt_integer(L, 1, "seed", 0);
    int len = (int)lua_rawlen(L, 1), n = 0, cap = len + 2;
    /* collected in a Lua-owned buffer, so that an error in the middle leaks nothing */
    ml_nn_spec *specs = lua_newuserdatauv(L, sizeof *specs * (size_t)cap, 0);
    for (int i = 1; i <= len; i++) {
        lua_rawgeti(L, 1, i);
        add_spec(L, lua_gettop(L), &specs, &n, &cap);
        lua_pop(L, 1);
    }
    if (n < 2) return luaL_error(L, "Sequential: needs an Input and at least one layer");
    ml_nn_spec *own = malloc(sizeof *own * (size_t)n);
    if (!own) return luaL_error(L, "Sequential: out of memory");
    memcpy(own, specs, sizeof *own * (size_t)n);
    specs = own;
    push_model(L, specs, n, name, (uint64_t)seed);
    return 1;
}

/* ml.Model(inputs, outputs) or ml.Model{inputs = ..., outputs = ..., name = ...} */
static int l_model(lua_State *L)
{
    const char *name = "functional";
    lua_Integer seed = 0;
    if (lua_type(L, 1) == LUA_TTABLE) {
        static const char *const known[] = {"inputs", "outputs", "name", "seed", NULL};
        mlua_check_opts(L, 1, "Model", known);
        name = mlua_opt_string(L, 1, "name", name);
        seed = mlua_opt_integer(L, 1, "seed", 0);
        lua_getfield(L, 1, "inputs");
        lua_getfield(L, 1, "outputs");
    } else {
        if (lua_type(L, 3) == LUA_TTABLE) {
            static const char *const known[] = {"name", "seed", NULL};
            mlua_check_opts(L, 3, "Model", known);
            name = mlua_opt_string(L, 3, "name", name);
            seed = mlua_opt_integer(L, 3, "seed", 0);
        }
        lua_pushvalue(L, 1);
        lua_pushvalue(L, 2);
    }
    int in = lua_gettop(L) - 1, out = lua_gettop(L);
    if (!luaL_testudata(L, in, NODE_MT) || !luaL_testudata(L, out, NODE_MT))
        return luaL_error(L, "Model: give the Input and the output of the last layer: ml.Model(inputs, outputs)");
    /* walk back from the output to the input */
    int count = 0;
    lua_pushvalue(L, out);
    while (!lua_rawequal(L, -1, in)) {
        if (lua_getiuservalue(L, -1, 2) == LUA_TNIL)
            return luaL_error(L, "Model: the outputs are not computed from these inputs");
        lua_remove(L, -2);
        if (++count > 10000) return luaL_error(L, "Model: too many layers");
    }
    lua_pop(L, 1);
    ml_nn_spec *specs = malloc(sizeof *specs * (size_t)(count + 1));
    if (!specs) return luaL_error(L, "Model: out of memory");
    lua_getiuservalue(L, in, 1);
    specs[0] = ((llayer *)lua_touserdata(L, -1))->s;
    lua_pop(L, 1);
    int k = count;
    lua_pushvalue(L, out);
    while (k > 0) {
        lua_getiuservalue(L, -1, 1);
        specs[k--] = ((llayer *)lua_touserdata(L, -1))->s;
        lua_pop(L, 1);
        lua_getiuservalue(L, -1, 2);
        lua_remove(L, -2);
    }
    lua_pop(L, 1);
    if (count < 1) {
        free(specs);
        return luaL_error(L, "Model: needs at least one layer after the Input");
    }
    push_model(L, specs, count + 1, name, (uint64_t)seed);
    return 1;
}

/* model:add(layer): Keras's Sequential.add (weights are initialised afresh
 * and the model must be compiled again). */
static int m_add(lua_State *L)
{
    lmodel *m = check_model(L, 1);
    int cap = m->n + 2, n = m->n;
    ml_nn_spec *tmp = lua_newuserdatauv(L, sizeof *tmp * (size_t)cap, 0);
    memcpy(tmp, m->specs, sizeof *tmp * (size_t)n);
    add_spec(L, 2, &tmp, &n, &cap);
    ml_nn_spec *specs = malloc(sizeof *specs * (size_t)n);
    if (!specs) return luaL_error(L, "add: out of memory");
    memcpy(specs, tmp, sizeof *specs * (size_t)n);
    ml_nn *net = NULL;
    if (ml_nn_create(&net, specs, n, m->seed)) {
        free(specs);
        return mlua_fail(L);
    }
    ml_nn_free(m->net);
    free(m->specs);
    m->net = net, m->specs = specs, m->n = n;
    lua_settop(L, 1);
    return 1;
}

/* ---------------------------------------------------------------- model fields */

static void push_shape(lua_State *L, int nd, const int64_t *shape)
{
    lua_createtable(L, nd, 0);
    for (int i = 0; i < nd; i++) {
        lua_pushinteger(L, shape[i]);
        lua_rawseti(L, -2, i + 1);
    }
}

static int model_layers(lua_State *L, lmodel *m)
{
    int n = ml_nn_n_layers(m->net);
    lua_createtable(L, n, 0);
    for (int i = 0; i < n; i++) {
        const ml_nn_spec *s = ml_nn_layer_spec(m->net, i);
        int64_t sh[3];
        int nd = ml_nn_layer_shape(m->net, i, sh);
        lua_createtable(L, 0, 5);
        lua_pushstring(L, s->name);
        lua_setfield(L, -2, "name");
        lua_pushstring(L, ml_nn_kind_name(s->kind));
        lua_setfield(L, -2, "class_name");
        push_shape(L, nd, sh);
        lua_setfield(L, -2, "output_shape");
        lua_pushinteger(L, ml_nn_layer_params(m->net, i));
        lua_setfield(L, -2, "params");
        if (s->kind == ML_NN_DENSE || s->kind == ML_NN_CONV2D || s->kind == ML_NN_ACTIVATION) {
            lua_pushstring(L, ml_nn_act_name(s->act));
            lua_setfield(L, -2, "activation");
        }
        static const char *const arrays[] = {"kernel", "bias", "gamma", "beta", "moving_mean", "moving_variance"};
        for (int a = 0; a < 6; a++) {
            int64_t cnt = 0;
            float *p = ml_nn_layer_array(m->net, i, arrays[a], &cnt);
            if (!p) continue;
            ml_tensor *t = NULL;
            if (a == 0 && s->kind == ML_NN_CONV2D)
                t = ml_tensor_new(4, (int64_t[]){s->kernel[0], s->kernel[1], cnt / ((int64_t)s->kernel[0] * s->kernel[1] * s->units), s->units});
            else if (a == 0)
                t = ml_tensor_new2(cnt / s->units, s->units);
            else
                t = ml_tensor_new1(cnt);
            if (!t) return mlua_fail(L);
            memcpy(t->data, p, sizeof(float) * (size_t)cnt);
            mlua_push_tensor(L, t, 1);
            lua_setfield(L, -2, arrays[a]);
        }
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

static int model_index(lua_State *L)
{
    lmodel *m = check_model(L, 1);
    const char *k = luaL_checkstring(L, 2);
    if (luaL_getmetafield(L, 1, "__methods") == LUA_TTABLE) {
        if (lua_getfield(L, -1, k) != LUA_TNIL) return 1;
        lua_pop(L, 2);
    }
    lua_getiuservalue(L, 1, 1);
    if (lua_getfield(L, -1, k) != LUA_TNIL) return 1;
    lua_pop(L, 2);
    if (strcmp(k, "name") == 0) return lua_pushstring(L, m->name), 1;
    if (strcmp(k, "layers") == 0) return model_layers(L, m);
    if (strcmp(k, "input_shape") == 0 || strcmp(k, "output_shape") == 0) {
        int64_t sh[3];
        int nd = ml_nn_layer_shape(m->net, k[0] == 'i' ? -1 : ml_nn_n_layers(m->net) - 1, sh);
        push_shape(L, nd, sh);
        return 1;
    }
    if (strcmp(k, "warning") == 0) {
        const char *w = ml_nn_warning(m->net);
        if (w[0]) lua_pushstring(L, w);
        else lua_pushnil(L);
        return 1;
    }
    if (strcmp(k, "compiled") == 0) return lua_pushboolean(L, ml_nn_compiled(m->net)), 1;
    lua_pushnil(L);
    return 1;
}

static int model_newindex(lua_State *L)
{
    check_model(L, 1);
    const char *k = luaL_checkstring(L, 2);
    if (strcmp(k, "history") != 0) return luaL_error(L, "model: field '%s' is read-only", k);
    lua_getiuservalue(L, 1, 1);
    lua_pushvalue(L, 3);
    lua_setfield(L, -2, k);
    return 0;
}

static int model_tostring(lua_State *L)
{
    lmodel *m = check_model(L, 1);
    lua_pushfstring(L, "<Model \"%s\": %d layers, %I params%s>", m->name, ml_nn_n_layers(m->net),
                    (lua_Integer)ml_nn_count_params(m->net), ml_nn_compiled(m->net) ? "" : ", not compiled");
    return 1;
}

static void lua_print_string(lua_State *L, const char *s)
{
    if (lua_getglobal(L, "print") == LUA_TFUNCTION) {
        lua_pushstring(L, s);
        lua_call(L, 1, 0);
    } else {
        lua_pop(L, 1);
        fputs(s, stdout);
        fputc('\n', stdout);
    }
}

static int m_summary(lua_State *L)
{
    lmodel *m = check_model(L, 1);
    char *s = ml_nn_summary(m->net, m->name);
    if (!s) return mlua_fail(L);
    size_t n = strlen(s);
    if (n && s[n - 1] == '\n') s[n - 1] = 0;
    lua_pushstring(L, s);
    free(s);
    int quiet = lua_type(L, 2) == LUA_TTABLE && !mlua_opt_bool(L, 2, "print", 1);
    if (!quiet) {
        lua_pushvalue(L, -1);
        lua_print_string(L, lua_tostring(L, -1));
        lua_pop(L, 1);
    }
    return 1;
}

static int m_count_params(lua_State *L)
{
    lmodel *m = check_model(L, 1);
    lua_pushinteger(L, ml_nn_count_params(m->net));
    return 1;
}

/* ---------------------------------------------------------------- optimisers, losses, callbacks */

static int make_optimizer(lua_State *L, const char *kind)
{
    opts_table(L);
    static const char *const known[] = {"learning_rate", "momentum", "nesterov", "beta_1", "beta_2", "rho",
                                        "epsilon", NULL};
    mlua_check_opts(L, 1, kind, known);
    lua_rawgeti(L, 1, 1);
    if (lua_isnumber(L, -1)) {
        lua_setfield(L, 1, "learning_rate");
    } else {
        lua_pop(L, 1);
    }
    lua_newtable(L);
    lua_pushstring(L, kind);
    lua_setfield(L, -2, "name");
    static const char *const keys[] = {"learning_rate", "momentum", "nesterov", "beta_1", "beta_2", "rho", "epsilon"};
    for (int i = 0; i < 7; i++) {
        lua_getfield(L, 1, keys[i]);
        if (!lua_isnil(L, -1) && (i == 2 ? !lua_isboolean(L, -1) : !lua_isnumber(L, -1)))
            return luaL_error(L, "%s: option '%s' must be a %s", kind, keys[i], i == 2 ? "boolean" : "number");
        lua_setfield(L, -2, keys[i]);
    }
    luaL_setmetatable(L, OPT_MT);
    return 1;
}
static int l_adam(lua_State *L) { return make_optimizer(L, "Adam"); }
static int l_sgd(lua_State *L) { return make_optimizer(L, "SGD"); }
static int l_rmsprop(lua_State *L) { return make_optimizer(L, "RMSprop"); }

static int l_l2(lua_State *L)
{
    double v = lua_type(L, 1) == LUA_TTABLE ? mlua_opt_number(L, 1, "l2", 0.01) : luaL_optnumber(L, 1, 0.01);
    if (!(v >= 0)) return luaL_error(L, "l2: the factor must be >= 0, got %f", v);
    lua_newtable(L);
    lua_pushnumber(L, v);
    lua_setfield(L, -2, "l2");
    luaL_setmetatable(L, REG_MT);
    return 1;
}

static int l_scce(lua_State *L)
{
    opts_table(L);
    static const char *const known[] = {"from_logits", NULL};
    mlua_check_opts(L, 1, "SparseCategoricalCrossentropy", known);
    int fl = mlua_opt_bool(L, 1, "from_logits", 0);
    lua_newtable(L);
    lua_pushstring(L, "sparse_categorical_crossentropy");
    lua_setfield(L, -2, "name");
    lua_pushboolean(L, fl);
    lua_setfield(L, -2, "from_logits");
    luaL_setmetatable(L, LOSS_MT);
    return 1;
}

static int make_callback(lua_State *L, const char *kind, const char *const *known)
{
    opts_table(L);
    mlua_check_opts(L, 1, kind, known);
    lua_newtable(L);
    lua_pushstring(L, kind);
    lua_setfield(L, -2, "kind");
    for (int i = 0; known[i]; i++) {
        lua_getfield(L, 1, known[i]);
        lua_setfield(L, -2, known[i]);
    }
    lua_rawgeti(L, 1, 1);
    if (!lua_isnil(L, -1)) lua_setfield(L, -2, strcmp(kind, "ModelCheckpoint") == 0 ? "filepath" : "patience");
    else lua_pop(L, 1);
    luaL_setmetatable(L, CB_MT);
    return 1;
}

static int l_early_stopping(lua_State *L)
{
    static const char *const known[] = {"monitor", "patience", "min_delta", "restore_best_weights", "mode",
                                        "verbose", NULL};
    return make_callback(L, "EarlyStopping", known);
}

static int l_checkpoint(lua_State *L)
{
    static const char *const known[] = {"filepath", "path", "monitor", "save_best_only", "verbose", NULL};
    return make_callback(L, "ModelCheckpoint", known);
}

static int l_lambda_callback(lua_State *L)
{
    static const char *const known[] = {"on_epoch_end", NULL};
    return make_callback(L, "LambdaCallback", known);
}

/* ---------------------------------------------------------------- compile */

static int m_compile(lua_State *L)
{
    lmodel *m = check_model(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    static const char *const known[] = {"loss", "optimizer", "metrics", "from_logits", NULL};
    mlua_check_opts(L, 2, "compile", known);
    int from_logits = mlua_opt_bool(L, 2, "from_logits", 0);
    int ty = mlua_opt_field(L, 2, "loss");
    if (ty == LUA_TNIL) return luaL_error(L, "compile: loss is required (loss = \"sparse_categorical_crossentropy\")");
    if (ty == LUA_TTABLE) {
        lua_getfield(L, -1, "from_logits");
        from_logits = from_logits || lua_toboolean(L, -1);
        lua_pop(L, 1);
    } else if (ty != LUA_TSTRING || strcmp(lua_tostring(L, -1), "sparse_categorical_crossentropy") != 0) {
        return luaL_error(L, "compile: loss '%s' is not available (sparse_categorical_crossentropy: integer labels "
                             "0..classes-1)", luaL_tolstring(L, -1, NULL));
    }
    lua_pop(L, 1);
    ml_nn_optimizer o;
    ty = mlua_opt_field(L, 2, "optimizer");
    const char *oname = "rmsprop"; /* Keras's default */
    int ot = 0;
    if (ty == LUA_TSTRING) oname = lua_tostring(L, -1);
    else if (ty == LUA_TTABLE) {
        lua_getfield(L, -1, "name");
        oname = lua_tostring(L, -1);
        lua_pop(L, 1);
        ot = lua_gettop(L);
        if (!oname) return luaL_error(L, "compile: optimizer must be ml.Adam{...}, ml.SGD{...}, ml.RMSprop{...} or a name");
    } else if (ty != LUA_TNIL) {
        return luaL_error(L, "compile: optimizer must be ml.Adam{...}, ml.SGD{...}, ml.RMSprop{...} or a name");
    }
    if (strcasecmp(oname, "adam") == 0) ml_nn_optimizer_init(&o, ML_OPT_ADAM);
    else if (strcasecmp(oname, "sgd") == 0) ml_nn_optimizer_init(&o, ML_OPT_SGD);
    else if (strcasecmp(oname, "rmsprop") == 0) ml_nn_optimizer_init(&o, ML_OPT_RMSPROP);
    else return luaL_error(L, "compile: optimizer '%s' is unknown (adam, sgd, rmsprop)", oname);
    if (ot) {
        o.learning_rate = mlua_opt_number(L, ot, "learning_rate", o.learning_rate);
        o.momentum = mlua_opt_number(L, ot, "momentum", o.momentum);
        o.nesterov = mlua_opt_bool(L, ot, "nesterov", o.nesterov);
        o.beta_1 = mlua_opt_number(L, ot, "beta_1", o.beta_1);
        o.beta_2 = mlua_opt_number(L, ot, "beta_2", o.beta_2);
        o.rho = mlua_opt_number(L, ot, "rho", o.rho);
        o.epsilon = mlua_opt_number(L, ot, "epsilon", o.epsilon);
    }
    lua_pop(L, 1);
    ty = mlua_opt_field(L, 2, "metrics");
    if (ty == LUA_TTABLE) {
        int n = (int)lua_rawlen(L, -1);
        for (int i = 1; i <= n; i++) {
            lua_rawgeti(L, -1, i);
            const char *mname = lua_tostring(L, -1);
            if (!mname || (strcmp(mname, "accuracy") != 0 && strcmp(mname, "acc") != 0 &&
                           strcmp(mname, "sparse_categorical_accuracy") != 0))
                return luaL_error(L, "compile: metric '%s' is not available (accuracy)", mname ? mname : "?");
            lua_pop(L, 1);
        }
    } else if (ty != LUA_TNIL) {
        return luaL_error(L, "compile: metrics must be a list such as {\"accuracy\"}");
    }
    lua_pop(L, 1);
    if (ml_nn_compile(m->net, from_logits, &o)) return mlua_fail(L);
    const char *w = ml_nn_warning(m->net);
    if (w[0]) {
        lua_pushfstring(L, "warning: %s", w);
        lua_print_string(L, lua_tostring(L, -1));
        lua_pop(L, 1);
    }
    lua_settop(L, 1);
    return 1;
}

/* ---------------------------------------------------------------- fit */

/* ---- verbose = 1 on a terminal: Keras's line, redrawn in place per batch ----
 * Driven by the core's progress hook (every batch), at most 10 redraws a
 * second.  Where print goes straight to the terminal (a script, the prompt,
 * stock lua5.4), Keras's two lines per epoch: "Epoch 3/10", then
 * "1400/1400 [====...] - 3.2s 2ms/step - loss: ... - val_accuracy: ...".
 * Where the output is a cell's, shown as it grows (mnistlab run on a
 * terminal), the line is only drawn while the epoch runs and the cell gets
 * the same epoch line as a report. */
typedef struct fit_tty {
    lua_State *L;
    const mlua_tty *tty;
    const ml_progress *host;  /* forwarded to (Ctrl-C, the host's polling) */
    const ml_nn_history *h;   /* the running epoch's loss and accuracy */
    int epochs, epoch;        /* epoch: 1-based, the running one */
    double t0, last;
    int shown;
} fit_tty;

static double fit_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int tty_width(const mlua_tty *t)
{
    if (t->width > 0) return t->width;
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
    const char *c = getenv("COLUMNS");
    int n = c ? atoi(c) : 0;
    return n > 0 ? n : 80;
}

/* print(s), errors swallowed: we are inside a C loop */
static void print_quietly(lua_State *L, const char *s)
{
    lua_getglobal(L, "print");
    lua_pushstring(L, s);
    if (lua_pcall(L, 1, 0, 0) != LUA_OK) lua_pop(L, 1);
}

static void tty_clear(fit_tty *f)
{
    if (f && f->shown) {
        f->tty->line(f->tty->ud, NULL);
        f->shown = 0;
    }
}

/* The line for `done` of `total` batches; the header in front of it when the
 * output is not direct (one line, "Epoch 3/10  700/1400 [...] ..."). */
static void tty_draw(fit_tty *f, int64_t done, int64_t total, double seconds, const double *vals, int nvals)
{
    static const char *const names[4] = {"loss", "accuracy", "val_loss", "val_accuracy"};
    char head[64] = "", line[1024];
    int width = tty_width(f->tty) - 1; /* the last column would wrap on some terminals */
    if (!f->tty->direct) {
        snprintf(head, sizeof head, "Epoch %d/%d  ", f->epoch, f->epochs);
        width -= (int)strlen(head);
    }
    char steps[960];
    ml_format_steps(steps, sizeof steps, width > 10 ? width : 10, done, total, seconds, names, vals, nvals, 0);
    snprintf(line, sizeof line, "%s%s", head, steps);
    f->tty->line(f->tty->ud, line);
    f->shown = 1;
}

static int tty_progress(void *ud, const char *stage, int64_t done, int64_t total)
{
    fit_tty *f = ud;
    double t = fit_now();
    if (done == 0) { /* an epoch starts */
        f->epoch++;
        f->t0 = t;
        f->last = -1;
        if (f->tty->direct) {
            char head[64];
            snprintf(head, sizeof head, "Epoch %d/%d", f->epoch, f->epochs);
            tty_clear(f);
            print_quietly(f->L, head);
        }
    }
    if (done >= total || f->last < 0 || t - f->last >= 0.1) { /* 10 redraws a second at most */
        f->last = t;
        double vals[2] = {f->h->run_loss, f->h->run_accuracy};
        tty_draw(f, done, total, t - f->t0, vals, done > 0 ? 2 : 0);
    }
    /* then the host's hook (Ctrl-C, polling), which sees our line shown and
     * keeps its own quiet */
    return f->host && f->host->fn ? f->host->fn(f->host->ud, stage, done, total) : 0;
}

typedef struct fit_ud {
    lua_State *L;
    int verbose;
    int lambdas;        /* stack index of a table of on_epoch_end functions */
    int failed;         /* a Lua callback raised: its message is on the registry */
    int64_t steps;
    /* The curve so far, for the live chart (loss, accuracy, val_loss, val_accuracy). */
    double *curve[4];
    int n;
    fit_tty *tty;       /* verbose = 1 on a terminal, else NULL */
} fit_ud;

/* Where the host can redraw a picture in place (the notebook runner, the
 * TUI), the training curves grow after each epoch while fit runs; the chart
 * is transient ("live:"), gone when the cell ends. */
static void live_curve(fit_ud *u, const ml_nn_logs *lg)
{
    lua_State *L = u->L;
    const mlua_sink *s = mlua_get_sink(L);
    if (!s->replace || lg->epochs < 2) return;
    if (!u->curve[0]) {
        for (int k = 0; k < 4; k++) u->curve[k] = calloc((size_t)lg->epochs, sizeof(double));
        if (!u->curve[0] || !u->curve[1] || !u->curve[2] || !u->curve[3]) return;
    }
    if (u->n >= lg->epochs) return;
    u->curve[0][u->n] = lg->loss;
    u->curve[1][u->n] = lg->accuracy;
    u->curve[2][u->n] = lg->val_loss;
    u->curve[3][u->n] = lg->val_accuracy;
    u->n++;
    if (u->n < 2) return;
    int val = !isnan(lg->val_loss);
    ml_plot_opts po;
    ml_plot_opts_init(&po);
    po.width = s->width > 0 ? s->width : 80;
    po.ascii = s->ascii;
    po.color = s->color;
    ml_text t;
    ml_text_init(&t);
    if (ml_plot_history(&t, u->curve[0], u->curve[1], val ? u->curve[2] : NULL, val ? u->curve[3] : NULL, u->n,
                        &po) == ML_OK)
        mlua_show_keyed(L, "live:fit", &t);
    ml_text_free(&t);
}

/* The per-epoch line, in the plotting area's Keras-like format, sized to the pane. */
static void fmt_epoch(lua_State *L, char *buf, size_t n, const ml_nn_logs *lg, int has_val)
{
    const char *names[4] = {"loss", "accuracy", "val_loss", "val_accuracy"};
    double vals[4] = {lg->loss, lg->accuracy, lg->val_loss, lg->val_accuracy};
    const mlua_sink *s = mlua_get_sink(L);
    ml_format_epoch(buf, n, s->width > 0 ? s->width : 80, lg->epoch + 1, lg->epochs, lg->steps, lg->seconds, names,
                    vals, has_val ? 4 : 2, s->ascii);
}

static int on_epoch(void *vud, const ml_nn_logs *lg)
{
    fit_ud *u = vud;
    lua_State *L = u->L;
    int has_val = !isnan(lg->val_loss);
    tty_clear(u->tty);
    if (u->tty && u->tty->tty->direct) { /* Keras's finished line, for good */
        double vals[4] = {lg->loss, lg->accuracy, lg->val_loss, lg->val_accuracy};
        char line[1024];
        static const char *const names[4] = {"loss", "accuracy", "val_loss", "val_accuracy"};
        /* at its natural width: it stays, so it may wrap (as Keras's does) */
        ml_format_steps(line, sizeof line, 0, lg->steps, lg->steps, lg->seconds, names, vals, has_val ? 4 : 2, 0);
        print_quietly(L, line);
    }
    live_curve(u, lg);
    if (u->verbose && !(u->tty && u->tty->tty->direct)) {
        char line[320];
        fmt_epoch(L, line, sizeof line, lg, has_val);
        print_quietly(L, line);
    }
    int n = u->lambdas ? (int)lua_rawlen(L, u->lambdas) : 0;
    for (int i = 1; i <= n; i++) {
        lua_rawgeti(L, u->lambdas, i);
        lua_pushinteger(L, lg->epoch);
        lua_createtable(L, 0, 4);
        lua_pushnumber(L, lg->loss);
        lua_setfield(L, -2, "loss");
        lua_pushnumber(L, lg->accuracy);
        lua_setfield(L, -2, "accuracy");
        if (!isnan(lg->val_loss)) {
            lua_pushnumber(L, lg->val_loss);
            lua_setfield(L, -2, "val_loss");
            lua_pushnumber(L, lg->val_accuracy);
            lua_setfield(L, -2, "val_accuracy");
        }
        if (lua_pcall(L, 2, 1, 0) != LUA_OK) {
            lua_setfield(L, LUA_REGISTRYINDEX, "mnistlab.nn.cberror");
            u->failed = 1;
            return 1;
        }
        int stop = lua_toboolean(L, -1) && lua_type(L, -1) == LUA_TBOOLEAN; /* returning true stops */
        lua_pop(L, 1);
        if (stop) return 1;
    }
    return 0;
}

static void push_array(lua_State *L, const double *v, int n)
{
    lua_createtable(L, n, 0);
    for (int i = 0; i < n; i++) {
        lua_pushnumber(L, v[i]);
        lua_rawseti(L, -2, i + 1);
    }
}

static void push_history(lua_State *L, const ml_nn_history *h, const ml_nn_fit_opts *o, int64_t steps,
                         int64_t samples)
{
    lua_createtable(L, 0, 4);
    lua_createtable(L, 0, 4);
    push_array(L, h->loss, h->n);
    lua_setfield(L, -2, "loss");
    push_array(L, h->accuracy, h->n);
    lua_setfield(L, -2, "accuracy");
    if (h->has_val) {
        push_array(L, h->val_loss, h->n);
        lua_setfield(L, -2, "val_loss");
        push_array(L, h->val_accuracy, h->n);
        lua_setfield(L, -2, "val_accuracy");
    }
    lua_setfield(L, -2, "history");
    lua_createtable(L, h->n, 0);
    for (int i = 0; i < h->n; i++) {
        lua_pushinteger(L, i);
        lua_rawseti(L, -2, i + 1);
    }
    lua_setfield(L, -2, "epoch");
    lua_createtable(L, 0, 3);
    lua_pushinteger(L, o->epochs);
    lua_setfield(L, -2, "epochs");
    lua_pushinteger(L, steps);
    lua_setfield(L, -2, "steps");
    lua_pushinteger(L, o->batch_size);
    lua_setfield(L, -2, "batch_size");
    lua_pushinteger(L, samples);
    lua_setfield(L, -2, "samples");
    lua_setfield(L, -2, "params");
    lua_pushboolean(L, h->interrupted);
    lua_setfield(L, -2, "interrupted");
    if (h->stopped_epoch >= 0) {
        lua_pushinteger(L, h->stopped_epoch);
        lua_setfield(L, -2, "stopped_epoch");
    }
    if (h->best_epoch >= 0) {
        lua_pushinteger(L, h->best_epoch);
        lua_setfield(L, -2, "best_epoch");
    }
    luaL_setmetatable(L, HISTORY_MT);
}

static int history_tostring(lua_State *L)
{
    lua_getfield(L, 1, "history");
    lua_getfield(L, -1, "loss");
    lua_Integer n = lua_istable(L, -1) ? (lua_Integer)lua_rawlen(L, -1) : 0;
    lua_pushfstring(L, "<History: %I epochs>", n);
    return 1;
}

/* X at idx as a tensor with the model's input row size (images (n, 28, 28)
 * feed Input{28, 28, 1} as they are). */
static ml_tensor *check_x(lua_State *L, int idx)
{
    return mlua_check_tensor_like(L, idx);
}

static int m_fit(lua_State *L)
{
    lmodel *m = check_model(L, 1);
    ml_tensor *X = check_x(L, 2);
    ml_tensor *y = mlua_check_tensor_like(L, 3);
    int t = lua_istable(L, 4) ? 4 : 0;
    static const char *const known[] = {"epochs", "batch_size", "validation_split", "validation_data", "shuffle",
                                        "seed", "callbacks", "verbose", NULL};
    mlua_check_opts(L, t, "fit", known);
    ml_nn_fit_opts o;
    ml_nn_fit_opts_init(&o);
    lua_Integer ep = mlua_opt_integer(L, t, "epochs", 1);
    lua_Integer bs = mlua_opt_integer(L, t, "batch_size", 32);
    if (ep < 0 || ep > 1000000) return luaL_error(L, "fit: epochs must be >= 0, got %I", ep);
    if (bs < 1) return luaL_error(L, "fit: batch_size must be >= 1, got %I", bs);
    o.epochs = (int)ep;
    o.batch_size = bs;
    o.validation_split = mlua_opt_number(L, t, "validation_split", 0);
    o.shuffle = mlua_opt_bool(L, t, "shuffle", 1);
    o.seed = (uint64_t)mlua_opt_integer(L, t, "seed", 0);
    int verbose = (int)mlua_opt_integer(L, t, "verbose", 1);
    if (mlua_opt_field(L, t, "validation_data") != LUA_TNIL) {
        int vd = lua_gettop(L);
        if (!lua_istable(L, vd) || lua_rawlen(L, vd) < 2)
            return luaL_error(L, "fit: validation_data must be {X_val, y_val}");
        lua_rawgeti(L, vd, 1);
        o.x_val = check_x(L, lua_gettop(L));
        lua_rawgeti(L, vd, 2);
        o.y_val = mlua_check_tensor_like(L, lua_gettop(L));
    }
    /* the tensors above stay on the stack until we return */
    lua_newtable(L);
    int lambdas = lua_gettop(L);
    int es_cb = 0;
    if (mlua_opt_field(L, t, "callbacks") != LUA_TNIL) {
        int cbs = lua_gettop(L);
        if (!lua_istable(L, cbs)) return luaL_error(L, "fit: callbacks must be a list");
        int n = (int)lua_rawlen(L, cbs);
        for (int i = 1; i <= n; i++) {
            luaL_checkstack(L, 8, "fit: too many callbacks");
            lua_rawgeti(L, cbs, i);
            int cb = lua_gettop(L);
            if (lua_isfunction(L, cb)) {
                lua_pushvalue(L, cb);
                lua_rawseti(L, lambdas, (lua_Integer)lua_rawlen(L, lambdas) + 1);
                lua_pop(L, 1);
                continue;
            }
            if (!luaL_testudata(L, cb, CB_MT) && !(lua_istable(L, cb) && lua_getmetatable(L, cb) &&
                                                   (luaL_getmetatable(L, CB_MT), lua_rawequal(L, -1, -2))))
                return luaL_error(L, "fit: callback %d is not ml.EarlyStopping, ml.ModelCheckpoint, "
                                     "ml.LambdaCallback or a function", i);
            lua_settop(L, cb);
            lua_getfield(L, cb, "kind");
            const char *kind = lua_tostring(L, -1);
            lua_pop(L, 1);
            if (strcmp(kind, "EarlyStopping") == 0) {
                es_cb = cb;
                o.es_patience = (int)mlua_opt_integer(L, cb, "patience", 0);
                if (o.es_patience < 0) return luaL_error(L, "EarlyStopping: patience must be >= 0");
                snprintf(o.es_monitor, sizeof o.es_monitor, "%s", mlua_opt_string(L, cb, "monitor", "val_loss"));
                o.es_min_delta = fabs(mlua_opt_number(L, cb, "min_delta", 0));
                o.es_restore_best = mlua_opt_bool(L, cb, "restore_best_weights", 0);
            } else if (strcmp(kind, "ModelCheckpoint") == 0) {
                const char *p = mlua_opt_string(L, cb, "filepath", NULL);
                if (!p) p = mlua_opt_string(L, cb, "path", NULL);
                if (!p || !*p) return luaL_error(L, "ModelCheckpoint: a file path is required");
                if (strlen(p) >= sizeof o.ck_path) return luaL_error(L, "ModelCheckpoint: path too long");
                snprintf(o.ck_path, sizeof o.ck_path, "%s", p);
                snprintf(o.ck_monitor, sizeof o.ck_monitor, "%s", mlua_opt_string(L, cb, "monitor", "val_loss"));
                o.ck_save_best_only = mlua_opt_bool(L, cb, "save_best_only", 0);
            } else {
                if (lua_getfield(L, cb, "on_epoch_end") == LUA_TFUNCTION)
                    lua_rawseti(L, lambdas, (lua_Integer)lua_rawlen(L, lambdas) + 1);
                else
                    lua_pop(L, 1);
            }
            /* keep cb on the stack (es_cb refers to it) */
        }
    }
    if (verbose < 0 || verbose > 2) return luaL_error(L, "fit: verbose must be 0, 1 or 2, got %d", verbose);
    ml_nn_history h;
    fit_ud u = {L, verbose, lambdas, 0, 0, {NULL, NULL, NULL, NULL}, 0, NULL};
    const ml_progress *progress = mlua_progress(L);
    fit_tty ft = {L, mlua_get_tty(L), progress, &h, o.epochs, 0, 0, -1, 0};
    ml_progress tty_hook = {tty_progress, &ft};
    if (verbose == 1 && ft.tty && ft.tty->line) {
        u.tty = &ft;
        progress = &tty_hook;
    }
    o.on_epoch = on_epoch;
    o.ud = &u;
    mlua_guard g;
    mlua_guard_begin(L, &g);
    ml_status st = ml_nn_fit(m->net, X, y, &o, &h, progress);
    mlua_guard_end(&g);
    tty_clear(u.tty);
    for (int k = 0; k < 4; k++) free(u.curve[k]);
    char err[512];
    snprintf(err, sizeof err, "%s", ml_last_error());
    int64_t ntrain = o.x_val ? X->shape[0] : (int64_t)((double)X->shape[0] * (1 - o.validation_split));
    int64_t steps = (ntrain + o.batch_size - 1) / (o.batch_size > 0 ? o.batch_size : 1);
    if (st != ML_OK && st != ML_ECANCELLED) {
        ml_nn_history_free(&h);
        if (u.failed) {
            lua_getfield(L, LUA_REGISTRYINDEX, "mnistlab.nn.cberror");
            return lua_error(L);
        }
        return luaL_error(L, "%s", err);
    }
    push_history(L, &h, &o, steps, ntrain);
    lua_getiuservalue(L, 1, 1);
    lua_pushvalue(L, -2);
    lua_setfield(L, -2, "history");
    lua_pop(L, 1);
    if (es_cb) {
        lua_pushinteger(L, h.stopped_epoch >= 0 ? h.stopped_epoch : 0);
        lua_setfield(L, es_cb, "stopped_epoch");
        if (h.best_epoch >= 0) {
            lua_pushinteger(L, h.best_epoch);
            lua_setfield(L, es_cb, "best_epoch");
        }
        if (verbose && h.stopped_epoch >= 0) {
            char line[160];
            snprintf(line, sizeof line, "Epoch %d: early stopping%s", h.stopped_epoch + 1,
                     h.best_epoch >= 0 ? "" : "");
            lua_print_string(L, line);
            if (h.best_epoch >= 0) {
                snprintf(line, sizeof line, "Restoring model weights from the end of the best epoch: %d.",
                         h.best_epoch + 1);
                lua_print_string(L, line);
            }
        }
    }
    int interrupted = h.interrupted, done = h.n;
    int64_t batch = h.interrupted_batch;
    ml_nn_history_free(&h);
    if (u.failed) {
        lua_getfield(L, LUA_REGISTRYINDEX, "mnistlab.nn.cberror");
        return lua_error(L);
    }
    if (st == ML_ECANCELLED) {
        if (g.installed || !mlua_progress(L)) ml_interrupt_clear();
        (void)interrupted;
        return luaL_error(L,
                          "fit: interrupted at epoch %d/%d, batch %d/%d: the weights so far and the history of "
                          "the %d finished epoch%s are kept (model.history)",
                          done + 1, o.epochs, (int)batch, (int)steps, done, done == 1 ? "" : "s");
    }
    return 1;
}

/* ---------------------------------------------------------------- evaluate, predict */

static int m_evaluate(lua_State *L)
{
    lmodel *m = check_model(L, 1);
    ml_tensor *X = check_x(L, 2);
    ml_tensor *y = mlua_check_tensor_like(L, 3);
    if (lua_istable(L, 4)) {
        static const char *const known[] = {"batch_size", "verbose", NULL};
        mlua_check_opts(L, 4, "evaluate", known);
        if (mlua_opt_integer(L, 4, "batch_size", 32) < 1) return luaL_error(L, "evaluate: batch_size must be >= 1");
    }
    double loss, acc;
    mlua_guard g;
    mlua_guard_begin(L, &g);
    ml_status st = ml_nn_evaluate(m->net, X, y, &loss, &acc, mlua_progress(L));
    mlua_guard_end(&g);
    if (st) {
        if (st == ML_ECANCELLED && g.installed) ml_interrupt_clear();
        return mlua_fail(L);
    }
    lua_pushnumber(L, loss);
    lua_pushnumber(L, acc);
    return 2;
}

static int m_predict(lua_State *L)
{
    lmodel *m = check_model(L, 1);
    ml_tensor *X = check_x(L, 2);
    if (lua_istable(L, 3)) {
        static const char *const known[] = {"batch_size", "verbose", NULL};
        mlua_check_opts(L, 3, "predict", known);
    }
    ml_tensor *out = NULL;
    mlua_guard g;
    mlua_guard_begin(L, &g);
    ml_status st = ml_nn_predict(m->net, X, &out, mlua_progress(L));
    mlua_guard_end(&g);
    if (st) {
        if (st == ML_ECANCELLED && g.installed) ml_interrupt_clear();
        return mlua_fail(L);
    }
    mlua_push_tensor(L, out, 1);
    return 1;
}

/* ---------------------------------------------------------------- files */

static int m_save(lua_State *L)
{
    lmodel *m = check_model(L, 1);
    const char *path = luaL_checkstring(L, 2);
    if (ml_nn_save(m->net, path)) return mlua_fail(L);
    lua_settop(L, 1);
    return 1;
}

static int load_nn(lua_State *L, const char *path)
{
    ml_nn *net = NULL;
    if (ml_nn_load(&net, path)) return mlua_fail(L);
    int n = ml_nn_n_layers(net) + 1;
    ml_nn_spec *specs = malloc(sizeof *specs * (size_t)n);
    if (!specs) {
        ml_nn_free(net);
        return luaL_error(L, "%s: out of memory", path);
    }
    for (int i = 0; i < n; i++) specs[i] = *ml_nn_layer_spec(net, i - 1);
    lmodel *m = lua_newuserdatauv(L, sizeof *m, 1);
    memset(m, 0, sizeof *m);
    luaL_setmetatable(L, MODEL_MT);
    m->net = net, m->specs = specs, m->n = n;
    const char *base = strrchr(path, '/');
    snprintf(m->name, sizeof m->name, "%s", base ? base + 1 : path);
    lua_newtable(L);
    lua_setiuservalue(L, -2, 1);
    return 1;
}

static int l_load_model(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    ml_mfile *r = NULL;
    if (ml_mfile_open(&r, path, NULL)) return mlua_fail(L);
    int is_nn = strcmp(ml_mfile_kind(r), "mnistlab.nn") == 0;
    ml_mfile_close(r);
    if (is_nn) return load_nn(L, path);
    /* not a network: the estimators' loader, when there is one */
    lua_pushvalue(L, lua_upvalueindex(1));
    if (!lua_isfunction(L, -1)) return luaL_error(L, "%s: not a network file", path);
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return lua_gettop(L);
}

/* ================================================================ registration */

static const luaL_Reg model_methods[] = {
    {"compile", m_compile}, {"fit", m_fit},         {"evaluate", m_evaluate}, {"predict", m_predict},
    {"summary", m_summary}, {"count_params", m_count_params}, {"save", m_save}, {"add", m_add},
    {NULL, NULL}};

static const luaL_Reg module_fns[] = {
    {"Input", l_input},
    {"Dense", l_dense},
    {"Conv2D", l_conv2d},
    {"MaxPooling2D", l_maxpool},
    {"MaxPool2D", l_maxpool},
    {"Flatten", l_flatten},
    {"Dropout", l_dropout},
    {"BatchNormalization", l_batchnorm},
    {"Activation", l_activation},
    {"Sequential", l_sequential},
    {"Model", l_model},
    {"Adam", l_adam},
    {"SGD", l_sgd},
    {"RMSprop", l_rmsprop},
    {"l2", l_l2},
    {"SparseCategoricalCrossentropy", l_scce},
    {"EarlyStopping", l_early_stopping},
    {"ModelCheckpoint", l_checkpoint},
    {"LambdaCallback", l_lambda_callback},
    {NULL, NULL}};

static int opt_tostring(lua_State *L)
{
    lua_getfield(L, 1, "name");
    const char *name = lua_tostring(L, -1);
    if (lua_getfield(L, 1, "learning_rate") == LUA_TNUMBER)
        lua_pushfstring(L, "<%s learning_rate=%f>", name ? name : "optimizer", lua_tonumber(L, -1));
    else
        lua_pushfstring(L, "<%s>", name ? name : "optimizer");
    return 1;
}

void mlua_open_nn(lua_State *L)
{
    luaL_newmetatable(L, LAYER_MT);
    lua_pushcfunction(L, layer_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pushcfunction(L, layer_call);
    lua_setfield(L, -2, "__call");
    lua_pop(L, 1);

    luaL_newmetatable(L, NODE_MT);
    lua_pushcfunction(L, node_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pop(L, 1);

    luaL_newmetatable(L, MODEL_MT);
    lua_newtable(L);
    luaL_setfuncs(L, model_methods, 0);
    lua_setfield(L, -2, "__methods");
    lua_pushcfunction(L, model_index);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, model_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushcfunction(L, model_gc);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, model_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pop(L, 1);

    luaL_newmetatable(L, HISTORY_MT);
    lua_pushcfunction(L, history_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pushstring(L, "History");
    lua_setfield(L, -2, "__name");
    lua_pop(L, 1);

    luaL_newmetatable(L, OPT_MT);
    lua_pushcfunction(L, opt_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pop(L, 1);
    luaL_newmetatable(L, CB_MT);
    lua_pop(L, 1);
    luaL_newmetatable(L, REG_MT);
    lua_pop(L, 1);
    luaL_newmetatable(L, LOSS_MT);
    lua_pop(L, 1);

    luaL_setfuncs(L, module_fns, 0);
    /* ml.load_model: networks here, everything else to the estimators' loader */
    lua_getfield(L, -1, "load_model");
    lua_pushcclosure(L, l_load_model, 1);
    lua_setfield(L, -2, "load_model");
}
