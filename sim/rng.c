/* rng.c -- per-VM, per-purpose random streams (see rng.h for why).
 *
 * The stream seed mixes the scenario seed with FNV-1a hashes of the VM name
 * and of the purpose through splitmix64, whose finaliser spreads every input
 * bit over the whole word: "web-1"/"demand" and "web-2"/"demand" get unrelated
 * seeds.  GSL's taus2 only uses the low 32 bits of the seed it is given, so
 * the 64-bit mix is folded to 32 bits first (XOR of the halves) instead of
 * letting the high half be thrown away. */
#include "rng.h"

static uint64_t splitmix64(uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static uint64_t fnv1a(const char *s) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        h ^= *p;
        h *= 0x100000001b3ULL;
    }
    return h;
}

uint64_t rng_stream_seed(uint64_t scenario_seed, const char *name, const char *purpose) {
    uint64_t x = splitmix64(scenario_seed);
    x = splitmix64(x ^ fnv1a(name));
    x = splitmix64(x ^ fnv1a(purpose));
    return x;
}

gsl_rng *rng_stream_new(uint64_t scenario_seed, const char *name, const char *purpose) {
    gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2);
    if (!r) return NULL;
    uint64_t s = rng_stream_seed(scenario_seed, name, purpose);
    gsl_rng_set(r, (unsigned long)((s ^ (s >> 32)) & 0xffffffffULL));
    return r;
}
