/* mnistlab core: a seeded random number generator.
 *
 * xoshiro256** seeded through splitmix64: the same seed gives the same stream
 * on every machine and compiler.  State is explicit (no hidden global).
 * Parallel work derives one stream per task with ml_rng_seed_stream(), so a
 * result never depends on the number of threads. */
#ifndef ML_CORE_RNG_H
#define ML_CORE_RNG_H

#include <stdint.h>

typedef struct ml_rng {
    uint64_t s[4];
    double spare;   /* second normal deviate from Box-Muller */
    int has_spare;
} ml_rng;

void ml_rng_seed(ml_rng *r, uint64_t seed);
/* Stream `stream` of seed `seed`: independent of ml_rng_seed(seed) and of other streams. */
void ml_rng_seed_stream(ml_rng *r, uint64_t seed, uint64_t stream);

uint64_t ml_rng_u64(ml_rng *r);
uint32_t ml_rng_u32(ml_rng *r);
double ml_rng_uniform(ml_rng *r);             /* [0, 1), 53 bits */
float ml_rng_uniformf(ml_rng *r);             /* [0, 1), 24 bits */
uint64_t ml_rng_below(ml_rng *r, uint64_t n); /* uniform in [0, n), unbiased; 0 if n == 0 */
double ml_rng_normal(ml_rng *r);              /* standard normal */
/* Fisher-Yates shuffle of a[0..n-1]. */
void ml_rng_shuffle(ml_rng *r, int64_t *a, int64_t n);

#endif
