/* mnistlab models: the scikit-learn estimator protocol in C.
 *
 * Every classical model (and PCA, KMeans, the mixture) is a class: a table
 * of functions plus an instance struct whose first member is ml_estimator.
 * The generic layer (estimator.c) does what is common: parameter names,
 * validation of X and y, "predict before fit", feature counts, cloning with
 * the same parameters, accuracy, saving and loading through the model file
 * container.  One generic Lua binding (src/lua/lestimator.c) then exposes
 * each registered class as ml.<Name>{params}.
 *
 * X reaching a class's functions is always 2-D (rows x features, images
 * flattened), finite, with the fitted feature count; y (classifiers) holds
 * labels 0..n_classes-1 checked by ml_check_labels. */
#ifndef ML_MODELS_ESTIMATOR_H
#define ML_MODELS_ESTIMATOR_H

#include <stdint.h>
#include <stddef.h>

#include "core/error.h"
#include "core/modelfile.h"
#include "core/progress.h"
#include "core/tensor.h"

typedef enum ml_value_kind {
    ML_VAL_NONE = 0, /* scikit-learn's None */
    ML_VAL_NUM,
    ML_VAL_STR,
    ML_VAL_BOOL,
    ML_VAL_TENSOR
} ml_value_kind;

/* A parameter or attribute value.  Strings are borrowed.  A tensor returned
 * by get_attr is owned by the caller (return a view or a copy). */
typedef struct ml_value {
    ml_value_kind kind;
    double num; /* NUM, BOOL (0/1) */
    const char *str;
    ml_tensor *tensor;
} ml_value;

static inline ml_value ml_num(double x) { ml_value v = {ML_VAL_NUM, x, NULL, NULL}; return v; }
static inline ml_value ml_str(const char *s) { ml_value v = {ML_VAL_STR, 0, s, NULL}; return v; }
static inline ml_value ml_bool(int b) { ml_value v = {ML_VAL_BOOL, b != 0, NULL, NULL}; return v; }
static inline ml_value ml_none(void) { ml_value v = {ML_VAL_NONE, 0, NULL, NULL}; return v; }

typedef struct ml_estimator ml_estimator;

typedef enum ml_estimator_type {
    ML_CLASSIFIER = 1, /* fit(X, y), predict -> labels, score = accuracy */
    ML_TRANSFORMER,    /* fit(X), transform */
    ML_CLUSTERER       /* fit(X), predict -> cluster ids */
} ml_estimator_type;

/* Declarative parameters.  Most parameters are a number in a range, a
 * boolean, one of a few words or a seed; a class lists those in a table
 * (field offsets into its instance struct) and the generic layer checks,
 * stores and reads them, with messages naming the class and the parameter.
 * Parameters with rules of their own (None meaning "no limit", a number or
 * a word) stay in the class's set_param/get_param. */
typedef enum ml_param_kind {
    ML_PARAM_INT,    /* int field: an integer in [lo, hi] */
    ML_PARAM_INT64,  /* int64_t field: an integer in [lo, hi] */
    ML_PARAM_REAL,   /* double field: a number in [lo, hi] (or (lo, hi] with ML_PARAM_ABOVE_LO) */
    ML_PARAM_BOOL,   /* int field: true or false */
    ML_PARAM_CHOICE, /* int field: the index of one of `choices` */
    ML_PARAM_SEED,   /* uint64_t field: an integer in [0, 2^53]; None (no seed) is 0 */
} ml_param_kind;

#define ML_PARAM_ABOVE_LO 1 /* flags: the lower bound is excluded ("C must be > 0") */

typedef struct ml_param_spec {
    const char *name;
    ml_param_kind kind;
    size_t offset;
    double lo, hi;
    const char *const *choices;
    int flags;
} ml_param_spec;

typedef struct ml_estimator_class {
    const char *name;              /* "SVC": the Lua constructor's name and the saved kind */
    ml_estimator_type type;
    size_t size;                   /* bytes of the instance struct */
    const char *const *params;     /* NULL-terminated parameter names, in repr order */
    const char *const *attrs;      /* NULL-terminated fitted attribute names */

    void (*init)(ml_estimator *e); /* set parameter defaults (memory is zeroed) */
    /* Free everything the instance owns (fitted state, owned strings); may be
     * called on an instance that was never fitted. */
    void (*destroy)(ml_estimator *e);
    /* Free the fitted state only (before a re-fit).  May be NULL if fit
     * handles it. */
    void (*reset)(ml_estimator *e);

    /* Parameters handled by the generic layer (ml_param_spec above),
     * terminated by an entry with a NULL name; may be NULL.  Names found
     * there never reach set_param/get_param. */
    const ml_param_spec *param_specs;
    /* Validate and store the other parameters; the message names the
     * parameter ("C: must be > 0").  May be NULL when param_specs has all. */
    ml_status (*set_param)(ml_estimator *e, const char *name, const ml_value *v);
    ml_status (*get_param)(const ml_estimator *e, const char *name, ml_value *v);

    ml_status (*fit)(ml_estimator *e, const ml_tensor *X, const ml_tensor *y, const ml_progress *p);
    /* Each may be NULL when the class does not provide it. */
    ml_status (*predict)(const ml_estimator *e, const ml_tensor *X, ml_tensor **out);
    ml_status (*predict_proba)(const ml_estimator *e, const ml_tensor *X, ml_tensor **out);
    ml_status (*decision_function)(const ml_estimator *e, const ml_tensor *X, ml_tensor **out);
    ml_status (*transform)(const ml_estimator *e, const ml_tensor *X, ml_tensor **out);
    ml_status (*inverse_transform)(const ml_estimator *e, const ml_tensor *X, ml_tensor **out);
    ml_status (*get_attr)(const ml_estimator *e, const char *name, ml_value *v);

    /* Fitted state to/from the model file (parameters are saved by the
     * generic layer through get_param/set_param). */
    ml_status (*save)(const ml_estimator *e, ml_mfile_w *w);
    ml_status (*load)(ml_estimator *e, const ml_mfile *r);

    /* Optional: an unfitted copy with the same parameters, for classes whose
     * parameters are not a flat list (Pipeline holds estimators).  NULL: the
     * generic clone copies every parameter in `params`. */
    ml_estimator *(*clone)(const ml_estimator *e);

    /* Nonzero: fit finds NaN or infinite values in X itself, on its way through
     * the data, and fails with ml_estimator_fail_nonfinite(); the generic
     * check skips its own pass over X before fit (for models whose fit is a
     * single memory-bound pass, that scan would cost as much as the fit). */
    int fit_checks_finite;
} ml_estimator_class;

struct ml_estimator {
    const ml_estimator_class *cls;
    int fitted;
    int64_t n_features_in; /* columns seen by fit */
    int n_classes;         /* classifiers: max label + 1 seen by fit */
    /* A warning from the last fit (e.g. "lbfgs failed to converge after 100
     * iterations; increase max_iter"), "" if none. */
    char warning[256];
};

/* ---- lifecycle ---- */
ml_estimator *ml_estimator_new(const ml_estimator_class *cls);
/* The error every estimator gives for NaN or infinite values in X. */
ml_status ml_estimator_fail_nonfinite(const ml_estimator *e);
void ml_estimator_free(ml_estimator *e);
/* A new, unfitted estimator with the same parameters. */
ml_estimator *ml_estimator_clone(const ml_estimator *e);

/* ---- parameters ---- */
ml_status ml_estimator_set_param(ml_estimator *e, const char *name, const ml_value *v);
ml_status ml_estimator_get_param(const ml_estimator *e, const char *name, ml_value *v);
/* "SVC(C=10, kernel='rbf', gamma='scale')" */
void ml_estimator_repr(const ml_estimator *e, char *buf, size_t n);

/* ---- work (checks, then the class's function) ---- */
ml_status ml_estimator_fit(ml_estimator *e, const ml_tensor *X, const ml_tensor *y, const ml_progress *p);
ml_status ml_estimator_predict(const ml_estimator *e, const ml_tensor *X, ml_tensor **out);
ml_status ml_estimator_predict_proba(const ml_estimator *e, const ml_tensor *X, ml_tensor **out);
ml_status ml_estimator_decision_function(const ml_estimator *e, const ml_tensor *X, ml_tensor **out);
ml_status ml_estimator_transform(const ml_estimator *e, const ml_tensor *X, ml_tensor **out);
ml_status ml_estimator_inverse_transform(const ml_estimator *e, const ml_tensor *X, ml_tensor **out);
/* Accuracy for classifiers. */
ml_status ml_estimator_score(const ml_estimator *e, const ml_tensor *X, const ml_tensor *y, double *score);
ml_status ml_estimator_get_attr(const ml_estimator *e, const char *name, ml_value *v);

/* ---- files ---- */
ml_status ml_estimator_save(const ml_estimator *e, const char *path);
ml_status ml_estimator_load(const char *path, ml_estimator **out);

/* ---- the classes ---- */
/* NULL-terminated list of every class linked in. */
const ml_estimator_class *const *ml_estimator_classes(void);
const ml_estimator_class *ml_estimator_find(const char *name);

/* Helpers for classes' set_param: check a value's kind and range with a
 * message naming the class and the parameter. */
ml_status ml_param_number(const ml_estimator *e, const char *name, const ml_value *v, double lo, double hi,
                          int integer, double *out);
/* One of the NULL-terminated choices; *out is its index. */
ml_status ml_param_choice(const ml_estimator *e, const char *name, const ml_value *v, const char *const *choices,
                          int *out);

#endif
