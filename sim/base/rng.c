/* rng.c -- per-VM, per-purpose random streams (see rng.h for why).
 *
 * The stream seed mixes the scenario seed with FNV-1a hashes of the VM name
 * and of the purpose through splitmix64, whose finaliser spreads every input
 * bit over the whole word: "web-1"/"demand" and "web-2"/"demand" get unrelated
 * seeds.
 *
 * The generator is xoshiro256** (Blackman and Vigna), plugged into GSL as a
 * gsl_rng_type so that every GSL distribution draws from it.  GSL's own small
 * generators (taus2, mrg, ...) seed from 32 bits only: with tens of thousands
 * of streams in a large sweep, two VMs would share a stream by the birthday
 * paradox (about 1 % at 10,000 streams).  xoshiro256** takes the whole 64-bit
 * seed (expanded by splitmix64 into its 256-bit state), is fast, and keeps
 * only 32 bytes per stream. */
#include "sim/base/rng.h"

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

typedef struct xoshiro_state {
    uint64_t s[4];
} xoshiro_state;

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t xoshiro_next(xoshiro_state *st) {
    uint64_t *s = st->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

static void xoshiro_set(void *state, unsigned long seed) {
    xoshiro_state *st = state;
    uint64_t x = (uint64_t)seed;
    for (int i = 0; i < 4; i++) {
        x += 0x9e3779b97f4a7c15ULL; /* splitmix64 sequence, as the authors advise */
        uint64_t z = x;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        st->s[i] = z ^ (z >> 31);
    }
}

/* GSL's integer interface: the top 32 bits (the best ones of xoshiro256**). */
static unsigned long xoshiro_get(void *state) { return (unsigned long)(xoshiro_next(state) >> 32); }

/* Uniform in [0, 1) with 53 random bits. */
static double xoshiro_get_double(void *state) {
    return (double)(xoshiro_next(state) >> 11) * 0x1.0p-53;
}

static const gsl_rng_type xoshiro_type = {
    "xoshiro256**",     0xffffffffUL, 0, sizeof(xoshiro_state),
    xoshiro_set,        xoshiro_get,  xoshiro_get_double,
};

const gsl_rng_type *rng_type(void) { return &xoshiro_type; }

gsl_rng *rng_stream_new(uint64_t scenario_seed, const char *name, const char *purpose) {
    gsl_rng *r = gsl_rng_alloc(&xoshiro_type);
    if (!r) return NULL;
    gsl_rng_set(r, (unsigned long)rng_stream_seed(scenario_seed, name, purpose));
    return r;
}
