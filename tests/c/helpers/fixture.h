/* Reference values recorded from scikit-learn, one per line:
 * "name count v1 v2 ...".  Linked into every C test. */
#ifndef ML_TESTS_FIXTURE_H
#define ML_TESTS_FIXTURE_H

#include <stdint.h>

/* The values of line `name` in the file at `path` (malloc'ed; *n gets the
 * count), or NULL when the file or the line is missing. */
double *fixture(const char *path, const char *name, int64_t *n);

#endif
