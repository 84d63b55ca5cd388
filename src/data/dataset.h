/* mnistlab data: named datasets and where their files are found.
 *
 *   "mnist"    the 10,000 real test digits shipped with mnistlab, plus the
 *              60,000 training digits when their files are present (see
 *              scripts/fetch-mnist): 70,000 in all, training rows first.
 *   "fashion"  Fashion-MNIST from Debian's dataset-fashion-mnist (70,000).
 *   a path     any directory of IDX files named like MNIST's
 *              (*images-idx3-ubyte[.gz] with its *labels-idx1-ubyte[.gz]).
 *
 * Directories searched for "mnist", in order: $MNISTLAB_DATA (itself or its
 * mnist/ folder), $XDG_CACHE_HOME/mnistlab/mnist (~/.cache/...), the source
 * tree's data/mnist, PREFIX/share/mnistlab/mnist. */
#ifndef ML_DATA_DATASET_H
#define ML_DATA_DATASET_H

#include <stdint.h>

#include "core/error.h"
#include "core/tensor.h"

#define ML_MAX_CLASSES 256
#define ML_PATH_MAX 4096

typedef enum ml_subset { ML_SUBSET_ALL = 0, ML_SUBSET_TRAIN, ML_SUBSET_TEST } ml_subset;

typedef struct ml_dataset {
    char name[64];          /* "mnist", "fashion", or the directory's name */
    ml_tensor *X;           /* n x 28 x 28, pixels scaled to [0, 1] */
    ml_tensor *y;           /* n labels 0..n_classes-1, stored as floats */
    int n_classes;
    char classes[ML_MAX_CLASSES][32]; /* class names */
    int64_t n_train;        /* rows that came from training files (the first rows) */
    char source[ML_PATH_MAX];         /* the directory the images came from */
} ml_dataset;

ml_status ml_dataset_load(const char *name, ml_subset subset, ml_dataset *out);
void ml_dataset_free(ml_dataset *d);

/* Load one images file and its labels file into X and y (checked: 3-D uint8
 * images, 1-D uint8 labels, the same count). */
ml_status ml_load_image_pair(const char *images, const char *labels, ml_tensor **X, ml_tensor **y);

/* The folder of mnistlab's shared files (data, notebooks): $MNISTLAB_HOME,
 * the source tree's data/, or PREFIX/share/mnistlab, the first that holds
 * `rel`.  Writes the full path of `rel` into buf. */
ml_status ml_share_path(const char *rel, char *buf, size_t n);

/* Where downloads go: $MNISTLAB_DATA, else $XDG_CACHE_HOME/mnistlab/mnist. */
ml_status ml_download_dir(char *buf, size_t n);

#endif
