/* rng.h -- seeded random streams, one per VM and purpose.
 *
 * Common random numbers (model.md): a VM's demand may depend only on the
 * scenario seed and the VM itself, never on the policy or on other VMs.  A
 * stream is therefore keyed by (seed, VM instance name, purpose) and not by any
 * index, so adding a VM to a scenario leaves every other VM's draws unchanged.
 * Streams use GSL's taus2 (small state, good quality) seeded by a 64-bit mix. */
#ifndef BS_RNG_H
#define BS_RNG_H

#include "bs.h"

#include <gsl/gsl_rng.h>

/* Deterministic 64-bit seed for a stream: splitmix64 over seed, FNV-1a of the
 * name and of the purpose. */
uint64_t rng_stream_seed(uint64_t scenario_seed, const char *name, const char *purpose);
/* A new generator seeded with rng_stream_seed(); NULL when out of memory. */
gsl_rng *rng_stream_new(uint64_t scenario_seed, const char *name, const char *purpose);

#endif
