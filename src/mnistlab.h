/* mnistlab: the C library's one public header.
 *
 * Layers, lowest first: core (tensors, RNG, errors, matrix product, threads,
 * progress, files), data (IDX, datasets, splits), models, nn, plot.  None of
 * them knows anything of Lua or of terminals.  Link with
 * `pkg-config --libs mnistlab`. */
#ifndef MNISTLAB_H
#define MNISTLAB_H

#include "core/error.h"
#include "core/tensor.h"
#include "core/rng.h"
#include "core/blas.h"
#include "core/parallel.h"
#include "core/progress.h"
#include "core/fileio.h"
#include "core/modelfile.h"
#include "core/strbuf.h"
#include "data/idx.h"
#include "data/dataset.h"
#include "data/split.h"
#include "models/cluster_metrics.h"
#include "models/estimator.h"
#include "models/kmeans.h"
#include "models/knn.h"
#include "models/logreg.h"
#include "models/metrics.h"
#include "models/mixture.h"
#include "models/naive_bayes.h"
#include "models/pca.h"
#include "models/pipeline.h"
#include "models/selection.h"
#include "models/svc.h"
#include "models/tree.h"
#include "nn/nn.h"
#include "plot/plot.h"
#include "plot/text.h"

#define MNISTLAB_VERSION "0.1.0"

#endif
