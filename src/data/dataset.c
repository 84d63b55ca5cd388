#include "data/dataset.h"
#include "data/idx.h"
#include "data/split.h"
#include "ml_config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const fashion_classes[10] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

#define FASHION_SYSTEM_DIR "/usr/share/datasets/fashion-mnist"

static int is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* dir/base or dir/base.gz, whichever exists. */
static int find_variant(const char *dir, const char *base, char *out, size_t n)
{
    snprintf(out, n, "%s/%s", dir, base);
    if (is_file(out)) return 1;
    snprintf(out, n, "%s/%s.gz", dir, base);
    return is_file(out);
}

ml_status ml_load_image_pair(const char *images, const char *labels, ml_tensor **X, ml_tensor **y)
{
    *X = *y = NULL;
    ml_idx xi, yi;
    ml_status st = ml_idx_read(images, &xi);
    if (st) return st;
    if (xi.type != ML_IDX_U8 || xi.ndim != 3) {
        ml_idx_free(&xi);
        return ml_fail(ML_EFORMAT, "%s: expected images (3 dimensions of unsigned bytes), found %d dimensions of %s",
                       images, xi.ndim, ml_idx_type_name(xi.type));
    }
    if ((st = ml_idx_read(labels, &yi))) {
        ml_idx_free(&xi);
        return st;
    }
    if (yi.type != ML_IDX_U8 || yi.ndim != 1 || yi.dims[0] != xi.dims[0]) {
        ml_fail(ML_EFORMAT, "%s: expected %u labels (1 dimension of unsigned bytes), found %u values in %d dimensions",
                labels, xi.dims[0], yi.dims[0], yi.ndim);
        ml_idx_free(&xi);
        ml_idx_free(&yi);
        return ML_EFORMAT;
    }
    *X = ml_idx_to_tensor(&xi, 1.0f / 255.0f);
    *y = ml_idx_to_tensor(&yi, 1.0f);
    ml_idx_free(&xi);
    ml_idx_free(&yi);
    if (!*X || !*y) {
        ml_tensor_free(*X);
        ml_tensor_free(*y);
        *X = *y = NULL;
        return ML_ENOMEM;
    }
    return ML_OK;
}

/* Appends (X2, y2) to the accumulated (*X, *y). */
static ml_status append(ml_tensor **X, ml_tensor **y, ml_tensor *X2, ml_tensor *y2)
{
    if (!*X) {
        *X = X2, *y = y2;
        return ML_OK;
    }
    ml_tensor *nx = ml_tensor_concat_rows(*X, X2), *ny = nx ? ml_tensor_concat_rows(*y, y2) : NULL;
    ml_tensor_free(X2);
    ml_tensor_free(y2);
    if (!nx || !ny) {
        ml_tensor_free(nx);
        return ML_EINVAL;
    }
    ml_tensor_free(*X);
    ml_tensor_free(*y);
    *X = nx, *y = ny;
    return ML_OK;
}

static ml_status load_pair_into(ml_dataset *d, const char *img, const char *lab, int is_train)
{
    ml_tensor *X2, *y2;
    ml_status st = ml_load_image_pair(img, lab, &X2, &y2);
    if (st) return st;
    int64_t rows = X2->shape[0];
    if ((st = append(&d->X, &d->y, X2, y2))) return st;
    if (is_train) d->n_train += rows;
    return ML_OK;
}

/* Candidate folders for MNIST's files, in search order. */
static int mnist_dirs(char dirs[][ML_PATH_MAX], int max)
{
    int n = 0;
    const char *env = getenv("MNISTLAB_DATA");
    if (env && *env && n < max) {
        snprintf(dirs[n++], ML_PATH_MAX, "%s/mnist", env);
        if (n < max) snprintf(dirs[n++], ML_PATH_MAX, "%s", env);
    }
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    if (xdg && *xdg && n < max) snprintf(dirs[n++], ML_PATH_MAX, "%s/mnistlab/mnist", xdg);
    else if (home && *home && n < max) snprintf(dirs[n++], ML_PATH_MAX, "%s/.cache/mnistlab/mnist", home);
    if (n < max) snprintf(dirs[n++], ML_PATH_MAX, "%s/data/mnist", ML_SRCDIR);
    if (n < max) snprintf(dirs[n++], ML_PATH_MAX, "%s/share/mnistlab/mnist", ML_PREFIX);
    return n;
}

ml_status ml_download_dir(char *buf, size_t n)
{
    char dirs[4][ML_PATH_MAX];
    int k = mnist_dirs(dirs, 4);
    if (k == 0) return ml_fail(ML_ENOTFOUND, "no download folder: set MNISTLAB_DATA or HOME");
    const char *env = getenv("MNISTLAB_DATA");
    snprintf(buf, n, "%s", env && *env ? env : dirs[0]);
    return ML_OK;
}

/* First folder holding both files of a pair. */
static int find_pair(char dirs[][ML_PATH_MAX], int nd, const char *img, const char *lab, char *ip, char *lp)
{
    for (int i = 0; i < nd; i++)
        if (find_variant(dirs[i], img, ip, ML_PATH_MAX) && find_variant(dirs[i], lab, lp, ML_PATH_MAX)) return 1;
    return 0;
}

static ml_status load_standard(ml_dataset *d, char dirs[][ML_PATH_MAX], int nd, ml_subset subset, const char *what)
{
    char ip[ML_PATH_MAX], lp[ML_PATH_MAX];
    ml_status st;
    if (subset != ML_SUBSET_TEST && find_pair(dirs, nd, "train-images-idx3-ubyte", "train-labels-idx1-ubyte", ip, lp)) {
        if ((st = load_pair_into(d, ip, lp, 1))) return st;
        snprintf(d->source, sizeof d->source, "%.*s", (int)(strrchr(ip, '/') - ip), ip);
    } else if (subset == ML_SUBSET_TRAIN) {
        return ml_fail(ML_ENOTFOUND, "%s: the training files are not present (looked in %s and %d other folders)",
                       what, dirs[0], nd - 1);
    }
    if (subset != ML_SUBSET_TRAIN) {
        if (!find_pair(dirs, nd, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", ip, lp))
            return ml_fail(ML_ENOTFOUND, "%s: t10k-images-idx3-ubyte(.gz) not found (looked in %s and %d other folders)",
                           what, dirs[0], nd - 1);
        if ((st = load_pair_into(d, ip, lp, 0))) return st;
        if (!d->source[0]) snprintf(d->source, sizeof d->source, "%.*s", (int)(strrchr(ip, '/') - ip), ip);
    }
    return ML_OK;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Every *images-idx3-ubyte[.gz] with its labels file; train files first. */
static ml_status load_directory(ml_dataset *d, const char *dir, ml_subset subset)
{
    DIR *dp = opendir(dir);
    if (!dp) return ml_fail(ML_ENOTFOUND, "%s: cannot open the folder", dir);
    char *names[256];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(dp)) && n < 256)
        if (strstr(e->d_name, "images-idx3-ubyte")) names[n++] = strdup(e->d_name);
    closedir(dp);
    qsort(names, (size_t)n, sizeof *names, cmp_str);
    ml_status st = ML_OK;
    int loaded = 0;
    for (int pass = 0; pass < 2 && !st; pass++) { /* training files, then the others */
        for (int i = 0; i < n && !st; i++) {
            if (!names[i]) continue;
            int train = strstr(names[i], "train") != NULL;
            if (train != (pass == 0)) continue;
            if ((train && subset == ML_SUBSET_TEST) || (!train && subset == ML_SUBSET_TRAIN)) continue;
            char lab[512], ip[ML_PATH_MAX], lp[ML_PATH_MAX];
            snprintf(lab, sizeof lab, "%s", names[i]);
            char *p = strstr(lab, "images-idx3");
            memcpy(p, "labels-idx1", 11);
            size_t ln = strlen(lab);
            if (ln > 3 && strcmp(lab + ln - 3, ".gz") == 0) lab[ln - 3] = 0; /* either form may be gzipped */
            snprintf(ip, sizeof ip, "%s/%s", dir, names[i]);
            if (!find_variant(dir, lab, lp, sizeof lp)) {
                st = ml_fail(ML_ENOTFOUND, "%s: no labels file %s beside it", ip, lab);
                break;
            }
            st = load_pair_into(d, ip, lp, train);
            loaded++;
        }
    }
    for (int i = 0; i < n; i++) free(names[i]);
    if (!st && !loaded) st = ml_fail(ML_ENOTFOUND, "%s: no *images-idx3-ubyte files with labels found", dir);
    if (!st) snprintf(d->source, sizeof d->source, "%s", dir);
    return st;
}

ml_status ml_dataset_load(const char *name, ml_subset subset, ml_dataset *d)
{
    memset(d, 0, sizeof *d);
    ml_status st;
    int fashion = strcmp(name, "fashion") == 0 || strcmp(name, "fashion-mnist") == 0 || strcmp(name, "fashion_mnist") == 0;
    if (strcmp(name, "mnist") == 0) {
        char dirs[6][ML_PATH_MAX];
        int nd = mnist_dirs(dirs, 6);
        st = load_standard(d, dirs, nd, subset, "mnist");
        snprintf(d->name, sizeof d->name, "mnist");
    } else if (fashion) {
        char dirs[3][ML_PATH_MAX];
        int nd = 0;
        const char *env = getenv("MNISTLAB_DATA");
        if (env && *env) snprintf(dirs[nd++], ML_PATH_MAX, "%s/fashion-mnist", env);
        snprintf(dirs[nd++], ML_PATH_MAX, "%s", FASHION_SYSTEM_DIR);
        st = load_standard(d, dirs, nd, subset, "fashion");
        if (st == ML_ENOTFOUND)
            st = ml_fail(ML_ENOTFOUND, "fashion: Fashion-MNIST not found in %s (install Debian's dataset-fashion-mnist: "
                                       "make bench-deps)", FASHION_SYSTEM_DIR);
        snprintf(d->name, sizeof d->name, "fashion");
    } else if (is_dir(name)) {
        st = load_directory(d, name, subset);
        const char *base = strrchr(name, '/');
        snprintf(d->name, sizeof d->name, "%s", base && base[1] ? base + 1 : name);
    } else {
        st = ml_fail(ML_ENOTFOUND, "%s: unknown dataset (use \"mnist\", \"fashion\" or a folder of IDX files)", name);
    }
    if (st) {
        ml_dataset_free(d);
        return st;
    }
    if ((st = ml_check_labels(d->y, d->source, &d->n_classes))) {
        ml_dataset_free(d);
        return st;
    }
    if (fashion && d->n_classes < 10) d->n_classes = 10;
    if (!fashion && strcmp(d->name, "mnist") == 0 && d->n_classes < 10) d->n_classes = 10;
    for (int c = 0; c < d->n_classes && c < ML_MAX_CLASSES; c++) {
        if (fashion && c < 10) snprintf(d->classes[c], sizeof d->classes[c], "%s", fashion_classes[c]);
        else snprintf(d->classes[c], sizeof d->classes[c], "%d", c);
    }
    return ML_OK;
}

void ml_dataset_free(ml_dataset *d)
{
    ml_tensor_free(d->X);
    ml_tensor_free(d->y);
    d->X = d->y = NULL;
}

ml_status ml_share_path(const char *rel, char *buf, size_t n)
{
    const char *env = getenv("MNISTLAB_HOME");
    if (env && *env) {
        snprintf(buf, n, "%s/%s", env, rel);
        if (access(buf, R_OK) == 0) return ML_OK;
    }
    snprintf(buf, n, "%s/data/%s", ML_SRCDIR, rel);
    if (access(buf, R_OK) == 0) return ML_OK;
    snprintf(buf, n, "%s/share/mnistlab/%s", ML_PREFIX, rel);
    if (access(buf, R_OK) == 0) return ML_OK;
    return ml_fail(ML_ENOTFOUND, "%s: not found in %s/data or %s/share/mnistlab", rel, ML_SRCDIR, ML_PREFIX);
}
