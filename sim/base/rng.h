/* rng.h -- seeded random streams, one per VM and purpose.
 *
 * Common random numbers (docs/model.md): a VM's demand may depend only on the
 * scenario seed and the VM itself, never on the policy or on other VMs.  A
 * stream is therefore keyed by (seed, VM instance name, purpose) and not by any
 * index, so adding a VM to a scenario leaves every other VM's draws unchanged.
 * Streams use xoshiro256** as a GSL generator type, seeded with all 64 bits
 * of the mix (rng.c says why not one of GSL's own small generators). */
#ifndef BS_RNG_H
#define BS_RNG_H

#include "sim/base/bs.h"

#include <gsl/gsl_rng.h>

/* Deterministic 64-bit seed for a stream: splitmix64 over seed, FNV-1a of the
 * name and of the purpose. */
uint64_t rng_stream_seed(uint64_t scenario_seed, const char *name, const char *purpose);
/* A new generator seeded with rng_stream_seed(); NULL when out of memory. */
gsl_rng *rng_stream_new(uint64_t scenario_seed, const char *name, const char *purpose);
/* The generator type behind every stream (xoshiro256**). */
const gsl_rng_type *rng_type(void);

#endif
