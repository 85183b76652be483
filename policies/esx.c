/* esx.c -- VMware ESX Server's share-based allocation with the idle memory
 * tax, its active-memory estimate and its free-memory states.
 *
 * ESX is closed source; the paper that describes its memory manager (C. A.
 * Waldspurger, "Memory Resource Management in VMware ESX Server", OSDI 2002)
 * and VMware's manuals give the rules and the defaults, and this file applies
 * them to what balloonsim's stats carry:
 *
 *   - Allocation (paper, 5.2 "Reclaiming Idle Memory").  Min-funding
 *     revocation reclaims from the VM with the lowest adjusted shares-per-page
 *     ratio rho = S / (P (f + k (1 - f))), k = 1 / (1 - tau), tau the idle
 *     memory tax (Mem.IdleTax, default 75 %), P the allocation, f the active
 *     fraction of it.  With a = f P the active bytes, P (f + k (1 - f)) =
 *     a + k (P - a) (f is at most 1: below a, the cost is P).  Revocation
 *     stops where every VM it took from has the same rho: for a level mu =
 *     1 / rho, P_i = clamp(g_i(mu), min_i, max_i) with g_i(mu) =
 *     min(mu S_i, tau a_i + (1 - tau) mu S_i) (the inverse of the cost), and
 *     mu chosen so the P_i fill the pool.  tau = 0 is a pure proportional
 *     split; higher taxes take idle memory first.  Bisection on doubles finds
 *     which piece of each g_i holds at the level; on those pieces the total is
 *     linear in mu, which is then solved exactly in 128-bit integers (tau in
 *     parts per million), so P_i are exact quotients rounded down to a byte
 *     and never add up to more than the pool.
 *   - The pool (paper, 6.3 "Dynamic Reallocation": "the system computes
 *     target allocations for VMs to drive the aggregate amount of free space
 *     above the high threshold") is memory - reserved - high threshold -
 *     the actual size of every VM not managed (balloon off, shares 0, locked).
 *   - Active memory (paper, 5.3 "Measuring Idle Memory": 100 sampled pages per
 *     30 s of VM time, f = t / n; a slow and a fast exponentially weighted
 *     moving average, plus a version of the fast one that includes the current
 *     period's counts; the maximum is used).  balloonsim has no page-touch
 *     sampling; each stats report gives the resident working set, actual -
 *     free - cache, and a page counts as touched in a period if it was in use
 *     at some report of the period: the period's sample is the largest
 *     working set seen in it.  A VM view that carries `active` (decide
 *     snapshots may) is taken as ESX's own estimate, used as it is.  The
 *     gains are not published: fast 1/2 and slow 1/8 per period are this
 *     policy's choice (parameters).  No sampling noise: the estimate is the
 *     expectation of ESX's, so runs stay deterministic.
 *   - Free-memory states (paper 6.3; VMware "Understanding Memory Resource
 *     Management in VMware ESX 4.1"): high, soft, hard and low at 6, 4, 2 and
 *     1 % of host memory.  Free memory below a state's threshold moves the
 *     host down to it (several states at once if need be); it moves back up
 *     one state per tick, and only when free memory exceeds the next higher
 *     state's threshold by `hysteresis` ("only after significantly exceeding
 *     the higher threshold", amount unpublished: 1 % of host memory here).
 *     In high, nothing is reclaimed: VMs whose allocation exceeds their size
 *     grow to it, the others keep what they have (a balloon still inflating is
 *     stopped where it is).  In soft, ESX balloons to the allocations.  In
 *     hard and low ESX swaps to the same allocations (and in low also blocks
 *     VMs above them); a policy can only set balloon targets, so there the
 *     balloon keeps the same targets and the host's own paging (the engine's
 *     double paging when the host overflows) is the swapping: the
 *     difference between soft and hard is what the host does, not the policy.
 *   - The balloon never takes more than 65 % of a VM (Mem.CtlMaxPercent,
 *     "limits the maximum amount of memory reclaimed from any virtual machine
 *     using vmmemctl, based on a percentage of its configured memory size";
 *     ESX swaps for the rest): targets are at least max - 65 % of max, the
 *     balloon's share rounded down to whole pages.
 *   - Timing: allocations are recomputed every 15 s (Mem.BalancePeriod, "the
 *     periodic time interval, in seconds, for automatic memory
 *     reallocations"); the sampling period is 30 s (the paper; Mem.SamplePeriod
 *     is 60 s in ESX 4 and later).  Reallocations that ESX also triggers on
 *     large swings of free memory are not modelled: the next tick sees them.
 *
 * State carried between ticks, per host: the free-memory state and, per VM
 * (keyed by scenario index in runs, by name in `decide` snapshots), the two
 * averages, the current period and the largest working set seen in it.  A VM
 * absent from a tick (stopped, killed) loses its estimate, as a VM that powers
 * on again starts afresh on ESX.  Tables are allocated at setup, sized from
 * the scenario, so decide() does not allocate in a run. */
#include "policies/pol.h"
#include "sim/base/text.h"
#include "sim/report/output.h"
#include "sim/scenario.h"
#include "sim/base/units.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifndef __SIZEOF_INT128__
#error "esx.c needs a 128-bit integer type (GCC or Clang on a 64-bit target)"
#endif
__extension__ typedef __int128 esx_i128;

#define ESX_PPM 1000000LL
#define ESX_PAGE 4096LL
#define ESX_BISECT_MAX 2200 /* more than the doubles between 0 and any level */

typedef enum esx_level { ESX_HIGH, ESX_SOFT, ESX_HARD, ESX_LOW, ESX_N_LEVELS } esx_level;

static const char *const level_names[ESX_N_LEVELS] = {"high", "soft", "hard", "low"};

typedef struct esx_cfg {
    int64_t tax_ppm;           /* idle memory tax */
    bs_time sample_period;
    int64_t fast_ppm, slow_ppm; /* gains of the moving averages, per period */
    int64_t threshold_ppm[ESX_N_LEVELS]; /* free memory, of host memory */
    int64_t hysteresis_ppm;
    int64_t balloon_max_ppm;   /* of a VM's configured memory */
    size_t max_vms;            /* most VMs on one host (0: unknown, `decide`) */
} esx_cfg;

/* One VM's active-memory estimate. */
typedef struct esx_track {
    const char *name; /* the view's name (a run's scenario string) or `owned` */
    char *owned;      /* name read from a snapshot's policy_state */
    size_t vm;        /* scenario index; SIZE_MAX in snapshots */
    bool has;         /* averages valid */
    bool taken;       /* matched during the current tick */
    int64_t slow, fast; /* bytes */
    int64_t peak;     /* largest working set of the current period; -1 none */
    int64_t period;   /* index of the current period */
} esx_track;

typedef struct esx_state {
    esx_level level;
    esx_track *tr;    /* n entries, in the order of the last tick's views */
    esx_track *next;  /* scratch of the same capacity */
    size_t n;
    int64_t *active;  /* per view: the estimate used */
    int64_t *alloc;   /* per view: allocation, whole bytes */
    unsigned char *regime; /* per view: esx_regime at the level found */
    size_t cap;
} esx_state;

/* ---- configuration ---- */

static int64_t to_ppm(double frac) { return llround(frac * (double)ESX_PPM); }

/* A fraction param, read into ppm, checked against [lo, hi]. */
static bs_rc frac_param(cfg_ctx *cx, const cfg_node *params, const char *path, const char *key,
                        double dflt, double lo, double hi, const char *what, int64_t *out) {
    double v = dflt;
    bs_rc rc = cfg_get_fraction(cx, params, path, key, false, dflt, &v);
    if (rc != BS_OK) return rc;
    if (v < lo || v > hi) {
        char sub[CFG_PATH_MAX];
        cfg_path_key(sub, path, key);
        cfg_error_expected(cx, cfg_map_entry(params, key)->val, sub, what);
        return BS_ERR_INPUT;
    }
    *out = to_ppm(v);
    return BS_OK;
}

static bs_rc esx_configure(cfg_ctx *cx, const cfg_node *params, const char *path,
                           const struct scen *sc, void **cfg) {
    *cfg = NULL;
    esx_cfg c = {.tax_ppm = 750000,
                 .sample_period = 30 * BS_NS_PER_S,
                 .fast_ppm = 500000,
                 .slow_ppm = 125000,
                 .threshold_ppm = {60000, 40000, 20000, 10000},
                 .hysteresis_ppm = 10000,
                 .balloon_max_ppm = 650000};
    bs_rc rc = BS_OK;
    if (params != NULL) {
#define ESX_FRAC(key, dflt, lo, hi, what, field)                                             \
    if (frac_param(cx, params, path, key, dflt, lo, hi, what, &c.field) != BS_OK) rc = BS_ERR_INPUT
        ESX_FRAC("idle_tax", 0.75, 0, 0.99, "a tax from 0% to 99%, such as 75%", tax_ppm);
        ESX_FRAC("fast_gain", 0.5, 1e-6, 1, "a gain above 0 and at most 100%, such as 50%",
                 fast_ppm);
        ESX_FRAC("slow_gain", 0.125, 1e-6, 1, "a gain above 0 and at most 100%, such as 12.5%",
                 slow_ppm);
        ESX_FRAC("high", 0.06, 0, 1, "a fraction of host memory, such as 6%", threshold_ppm[0]);
        ESX_FRAC("soft", 0.04, 0, 1, "a fraction of host memory, such as 4%", threshold_ppm[1]);
        ESX_FRAC("hard", 0.02, 0, 1, "a fraction of host memory, such as 2%", threshold_ppm[2]);
        ESX_FRAC("low", 0.01, 0, 1, "a fraction of host memory, such as 1%", threshold_ppm[3]);
        ESX_FRAC("hysteresis", 0.01, 0, 1, "a fraction of host memory, such as 1%",
                 hysteresis_ppm);
        ESX_FRAC("balloon_max", 0.65, 0, 1, "a fraction of the VM's memory, such as 65%",
                 balloon_max_ppm);
#undef ESX_FRAC
        if (cfg_get_time(cx, params, path, "sample_period", false, c.sample_period,
                         &c.sample_period) != BS_OK) {
            rc = BS_ERR_INPUT;
        } else if (c.sample_period <= 0) {
            char sub[CFG_PATH_MAX];
            cfg_path_key(sub, path, "sample_period");
            cfg_error_expected(cx, cfg_map_entry(params, "sample_period")->val, sub,
                               "a period above 0, such as 30s");
            rc = BS_ERR_INPUT;
        }
        if (rc == BS_OK) {
            const int64_t *t = c.threshold_ppm;
            if (!(t[ESX_LOW] <= t[ESX_HARD] && t[ESX_HARD] <= t[ESX_SOFT] &&
                  t[ESX_SOFT] <= t[ESX_HIGH])) {
                cfg_error(cx, params, path,
                          "expected free-memory thresholds with low <= hard <= soft <= high");
                rc = BS_ERR_INPUT;
            }
        }
    }
    if (rc != BS_OK) return rc;
    if (sc != NULL)
        for (size_t h = 0; h < sc->n_hosts; h++) c.max_vms = BS_MAX(c.max_vms, sc->hosts[h].n_vms);
    esx_cfg *p = malloc(sizeof *p);
    if (p == NULL) return BS_ERR_INTERNAL;
    *p = c;
    *cfg = p;
    return BS_OK;
}

static void esx_free_config(void *cfg) { free(cfg); }

/* ---- state ---- */

static bs_rc reserve(esx_state *st, size_t n) {
    if (n <= st->cap) return BS_OK;
    esx_track *tr = realloc(st->tr, n * sizeof *tr);
    if (tr == NULL) return BS_ERR_INTERNAL;
    st->tr = tr;
    esx_track *next = realloc(st->next, n * sizeof *next);
    if (next == NULL) return BS_ERR_INTERNAL;
    st->next = next;
    int64_t *active = realloc(st->active, n * sizeof *active);
    if (active == NULL) return BS_ERR_INTERNAL;
    st->active = active;
    int64_t *alloc = realloc(st->alloc, n * sizeof *alloc);
    if (alloc == NULL) return BS_ERR_INTERNAL;
    st->alloc = alloc;
    unsigned char *regime = realloc(st->regime, n * sizeof *regime);
    if (regime == NULL) return BS_ERR_INTERNAL;
    st->regime = regime;
    st->cap = n;
    return BS_OK;
}

static void esx_free_state(void *state) {
    esx_state *st = state;
    if (st == NULL) return;
    for (size_t i = 0; i < st->n; i++) free(st->tr[i].owned);
    free(st->tr);
    free(st->next);
    free(st->active);
    free(st->alloc);
    free(st->regime);
    free(st);
}

static bs_rc esx_state_new(const void *cfg, size_t host, void **state) {
    (void)host;
    const esx_cfg *c = cfg;
    esx_state *st = calloc(1, sizeof *st);
    if (st == NULL) return BS_ERR_INTERNAL;
    st->level = ESX_HIGH;
    bs_rc rc = reserve(st, c != NULL && c->max_vms > 0 ? c->max_vms : 1);
    if (rc != BS_OK) {
        esx_free_state(st);
        return rc;
    }
    *state = st;
    return BS_OK;
}

/* ---- active memory ---- */

/* One step of an exponentially weighted moving average, in whole bytes
 * (truncated towards the old value, so it stays between old and new). */
static int64_t ewma(int64_t avg, int64_t x, int64_t gain_ppm) {
    return avg + (int64_t)((esx_i128)(x - avg) * gain_ppm / ESX_PPM);
}

/* Periods are (k sp, (k + 1) sp]: a report at the end of a period belongs to
 * it.  Times at or before 0 (decide snapshots) are period 0. */
static int64_t period_of(const esx_cfg *c, bs_time now) {
    return now > 0 ? (now - 1) / c->sample_period : 0;
}

/* Resident working set: what the stats say the guest is using. */
static int64_t working_set(const pol_vm_view *v) {
    int64_t a = BS_MAX(v->actual, 0);
    int64_t ws = a - BS_MAX(v->free, 0) - BS_MAX(v->cache, 0);
    return BS_MIN(BS_MAX(ws, 0), a);
}

static void observe(const esx_cfg *c, esx_track *t, int64_t x, int64_t period) {
    if (!t->has) {
        t->has = true;
        t->slow = t->fast = t->peak = x;
        t->period = period;
        return;
    }
    if (period != t->period) {
        /* Close the stored period (its peak is its sample), start this one. */
        if (t->peak >= 0) {
            t->slow = ewma(t->slow, t->peak, c->slow_ppm);
            t->fast = ewma(t->fast, t->peak, c->fast_ppm);
        }
        t->peak = x;
        t->period = period;
        return;
    }
    t->peak = BS_MAX(t->peak, x);
}

/* max(slow, fast, fast updated with the current period so far). */
static int64_t estimate(const esx_cfg *c, const esx_track *t) {
    int64_t e = BS_MAX(t->slow, t->fast);
    if (t->peak >= 0) e = BS_MAX(e, ewma(t->fast, t->peak, c->fast_ppm));
    return e;
}

static bool same_vm(const esx_track *t, const pol_vm_view *v) {
    if (t->taken) return false;
    if (t->vm != SIZE_MAX && v->vm != SIZE_MAX) return t->vm == v->vm;
    return t->name != NULL && v->name != NULL && strcmp(t->name, v->name) == 0;
}

/* The previous tick's track of view i: views keep their order between
 * ticks, shifted by one where a VM starts or stops, so look there first. */
static esx_track *find_track(esx_state *st, size_t i, const pol_vm_view *v) {
    size_t near[3] = {i, i + 1, i - 1}; /* i - 1 wraps to SIZE_MAX when i = 0 */
    for (size_t k = 0; k < 3; k++)
        if (near[k] < st->n && same_vm(&st->tr[near[k]], v)) return &st->tr[near[k]];
    for (size_t k = 0; k < st->n; k++)
        if (same_vm(&st->tr[k], v)) return &st->tr[k];
    return NULL;
}

/* Rebuild the track table in view order, observing each VM once; tracks of
 * VMs absent from this tick are dropped. */
static void update_tracks(const esx_cfg *c, esx_state *st, bs_time now, const pol_vm_view *vms,
                          size_t n) {
    int64_t period = period_of(c, now);
    for (size_t k = 0; k < st->n; k++) st->tr[k].taken = false;
    for (size_t i = 0; i < n; i++) {
        const pol_vm_view *v = &vms[i];
        esx_track *old = find_track(st, i, v);
        esx_track t = {.vm = v->vm, .peak = -1};
        if (old != NULL) {
            t = *old;
            old->taken = true;
            old->owned = NULL; /* moves to the new table */
        }
        t.name = v->name != NULL ? v->name : t.owned;
        t.vm = v->vm;
        t.taken = false;
        if (v->active >= 0) {
            st->active[i] = BS_MIN(v->active, BS_MAX(v->max, 0)); /* ESX's own estimate */
        } else {
            observe(c, &t, working_set(v), period);
            st->active[i] = BS_MIN(estimate(c, &t), BS_MAX(v->max, 0));
        }
        st->next[i] = t;
    }
    for (size_t k = 0; k < st->n; k++)
        if (!st->tr[k].taken) free(st->tr[k].owned);
    esx_track *swap = st->tr;
    st->tr = st->next;
    st->next = swap;
    st->n = n;
}

/* ---- free-memory state ---- */

static int64_t of_memory(int64_t memory, int64_t ppm) {
    return (int64_t)((esx_i128)BS_MAX(memory, 0) * ppm / ESX_PPM);
}

static esx_level next_level(const esx_cfg *c, esx_level level, const pol_host_view *host) {
    int64_t free = host->free;
    int lv = (int)level;
    /* Down as far as free memory says, at once. */
    while (lv < ESX_LOW && free < of_memory(host->memory, c->threshold_ppm[lv + 1])) lv++;
    if (lv != (int)level) return (esx_level)lv;
    /* Up one state, past the next higher threshold by the hysteresis. */
    if (lv > ESX_HIGH &&
        free >= of_memory(host->memory, c->threshold_ppm[lv - 1] + c->hysteresis_ppm))
        lv--;
    return (esx_level)lv;
}

/* ---- allocation ---- */

static bool managed(const pol_vm_view *v) { return v->balloon && v->shares > 0 && !v->locked; }

static int64_t vm_hi(const pol_vm_view *v) { return BS_MIN(BS_MAX(v->max, 0), UNIT_MAX_BYTES); }
static int64_t vm_lo(const pol_vm_view *v) { return BS_MIN(BS_MAX(v->min, 0), vm_hi(v)); }

/* Where a VM's allocation stands at a level mu. */
typedef enum esx_regime {
    ESX_AT_MIN,  /* clamped to its minimum */
    ESX_AT_MAX,  /* clamped to its maximum */
    ESX_ACTIVE,  /* below its active memory: every page active, P = mu S */
    ESX_TAXED    /* above it: P = tau a + (1 - tau) mu S */
} esx_regime;

/* Allocation of a VM at level mu (double): the inverse of its taxed cost,
 * clamped; *regime says which piece applies. */
static double alloc_at(double mu, double tax, double active, const pol_vm_view *v,
                       esx_regime *regime) {
    double s = mu * (double)v->shares, g;
    esx_regime r;
    if (s <= active) {
        g = s;
        r = ESX_ACTIVE;
    } else {
        g = tax * active + (1.0 - tax) * s;
        r = ESX_TAXED;
    }
    if (g <= (double)vm_lo(v)) {
        g = (double)vm_lo(v);
        r = ESX_AT_MIN;
    } else if (g >= (double)vm_hi(v)) {
        g = (double)vm_hi(v);
        r = ESX_AT_MAX;
    }
    if (regime != NULL) *regime = r;
    return g;
}

static double total_at(double mu, double tax, const esx_state *st, const pol_vm_view *vms,
                       size_t n) {
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        if (managed(&vms[i])) sum += alloc_at(mu, tax, (double)st->active[i], &vms[i], NULL);
    return sum;
}

static bool mul_ok(esx_i128 a, esx_i128 b, esx_i128 *out) {
    return !__builtin_mul_overflow(a, b, out);
}

/* The allocations exactly, given each VM's regime: the total is linear in mu
 * there, F + (sum of t a_i over taxed VMs) / 1e6 + mu D / 1e6 = pool with
 * D = 1e6 (shares of active-regime VMs) + (1e6 - t) (shares of taxed ones),
 * so mu = N / D, N = 1e6 (pool - F) - sum t a_i, and each allocation is a
 * quotient of integers, rounded down.  False when a product would not fit
 * in 127 bits (sizes or shares far beyond real hosts) or the regimes do not
 * solve (then the caller keeps the floating-point answer). */
static bool solve_exact(const esx_cfg *c, esx_state *st, const pol_vm_view *vms, size_t n,
                        esx_i128 pool) {
    const esx_i128 M = ESX_PPM, t = c->tax_ppm;
    esx_i128 F = 0, T = 0, D = 0, x;
    for (size_t i = 0; i < n; i++) {
        const pol_vm_view *v = &vms[i];
        if (!managed(v)) continue;
        switch ((esx_regime)st->regime[i]) {
        case ESX_AT_MIN: F += vm_lo(v); break;
        case ESX_AT_MAX: F += vm_hi(v); break;
        case ESX_ACTIVE: D += M * v->shares; break;
        case ESX_TAXED:
            T += t * st->active[i];
            D += (M - t) * v->shares;
            break;
        }
    }
    if (D <= 0 || D > ((esx_i128)1 << 100)) return false;
    esx_i128 N;
    if (!mul_ok(pool - F, M, &N)) return false;
    N -= T;
    if (N < 0) return false;
    for (size_t i = 0; i < n; i++) {
        const pol_vm_view *v = &vms[i];
        if (!managed(v)) continue;
        esx_i128 p;
        switch ((esx_regime)st->regime[i]) {
        case ESX_AT_MIN: p = vm_lo(v); break;
        case ESX_AT_MAX: p = vm_hi(v); break;
        case ESX_ACTIVE:
            if (!mul_ok(N, v->shares, &x)) return false;
            p = x / D;
            break;
        default: { /* taxed: (t a D + (1e6 - t) S N) / (1e6 D) */
            esx_i128 y;
            if (!mul_ok(t * st->active[i], D, &x) || !mul_ok((M - t) * v->shares, N, &y) ||
                __builtin_add_overflow(x, y, &x))
                return false;
            p = x / (M * D);
            break;
        }
        }
        st->alloc[i] = (int64_t)BS_MIN(BS_MAX(p, (esx_i128)vm_lo(v)), (esx_i128)vm_hi(v));
    }
    return true;
}

/* Fill st->alloc for managed VMs so that they add up to the pool. */
static void allocate(const esx_cfg *c, esx_state *st, const pol_vm_view *vms, size_t n,
                     esx_i128 pool) {
    double tax = (double)c->tax_ppm / (double)ESX_PPM;
    esx_i128 sum_lo = 0, sum_hi = 0;
    double mu_hi = 0;
    for (size_t i = 0; i < n; i++) {
        const pol_vm_view *v = &vms[i];
        if (!managed(v)) continue;
        sum_lo += vm_lo(v);
        sum_hi += vm_hi(v);
        /* At this level even an idle VM reaches its max. */
        mu_hi = fmax(mu_hi, (double)vm_hi(v) / ((1.0 - tax) * (double)v->shares));
    }
    if (pool >= sum_hi || pool <= sum_lo) {
        for (size_t i = 0; i < n; i++)
            if (managed(&vms[i])) st->alloc[i] = pool >= sum_hi ? vm_hi(&vms[i]) : vm_lo(&vms[i]);
        return;
    }
    /* Bisection down to adjacent doubles finds the segment of the piecewise
     * linear total that holds the level; the level itself is then solved
     * exactly on that segment. */
    double lo = 0, hi = mu_hi, dpool = (double)pool;
    for (int it = 0; it < ESX_BISECT_MAX; it++) {
        double mid = lo + (hi - lo) / 2;
        if (!(mid > lo && mid < hi)) break;
        if (total_at(mid, tax, st, vms, n) <= dpool) lo = mid;
        else hi = mid;
    }
    for (size_t i = 0; i < n; i++) {
        if (!managed(&vms[i])) continue;
        esx_regime r;
        double g = alloc_at(lo, tax, (double)st->active[i], &vms[i], &r);
        st->regime[i] = (unsigned char)r;
        st->alloc[i] = (int64_t)floor(g); /* the answer if the exact solve cannot run */
    }
    if (!solve_exact(c, st, vms, n, pool)) {
        for (size_t i = 0; i < n; i++)
            if (managed(&vms[i]))
                st->alloc[i] = (int64_t)floor(alloc_at(lo, tax, (double)st->active[i], &vms[i], NULL));
    }
}

/* The lowest target the balloon may reach: max less its 65 %, in pages. */
static int64_t balloon_floor(const esx_cfg *c, const pol_vm_view *v) {
    int64_t hi = vm_hi(v);
    int64_t most = (int64_t)((esx_i128)hi * c->balloon_max_ppm / ESX_PPM);
    return hi - most / ESX_PAGE * ESX_PAGE;
}

static bs_rc esx_decide(const void *cfg, void *state, bs_time now, const pol_host_view *host,
                        const pol_vm_view *vms, size_t n, int64_t *targets) {
    const esx_cfg *c = cfg;
    esx_state *st = state;
    assert(c != NULL && st != NULL); /* state_new is part of the contract */
    bs_rc rc = reserve(st, n);
    if (rc != BS_OK) return rc;

    update_tracks(c, st, now, vms, n);
    st->level = next_level(c, st->level, host);

    esx_i128 pool = (esx_i128)BS_MAX(host->memory, 0) - BS_MAX(host->reserved, 0) -
                    of_memory(host->memory, c->threshold_ppm[ESX_HIGH]);
    for (size_t i = 0; i < n; i++)
        if (!managed(&vms[i])) pool -= BS_MAX(vms[i].actual, 0);
    allocate(c, st, vms, n, pool > 0 ? pool : 0);

    for (size_t i = 0; i < n; i++) {
        const pol_vm_view *v = &vms[i];
        if (!managed(v)) continue;
        int64_t want = st->alloc[i];
        want = BS_MIN(BS_MAX(want, balloon_floor(c, v)), vm_hi(v));
        if (st->level != ESX_HIGH) {
            targets[i] = want; /* soft: balloon; hard, low: same targets, host pages */
        } else if (want > v->actual) {
            targets[i] = want; /* growing is not reclaiming */
        } else if (v->target < v->actual) {
            targets[i] = BS_MAX(v->actual, 0); /* stop an inflation in progress */
        }
        /* else: high, and the VM keeps what it has */
    }
    return BS_OK;
}

/* ---- policy_state for `balloonsim decide` ---- */

static void esx_state_dump(FILE *f, const void *state) {
    const esx_state *st = state;
    fprintf(f, "{\"state\": \"%s\", \"vms\": {", level_names[st->level]);
    bool first = true;
    for (size_t i = 0; i < st->n; i++) {
        const esx_track *t = &st->tr[i];
        if (!t->has) continue;
        if (!first) fputs(", ", f);
        first = false;
        txt_json_string(f, t->name);
        fprintf(f, ": {\"slow\": %lld, \"fast\": %lld, \"period\": %lld", (long long)t->slow,
                (long long)t->fast, (long long)t->period);
        if (t->peak >= 0) fprintf(f, ", \"peak\": %lld", (long long)t->peak);
        fputs("}", f);
    }
    fputs("}}", f);
}

static bs_rc load_track(cfg_ctx *cx, const cfg_entry *e, const char *path, esx_track *t) {
    char sub[CFG_PATH_MAX];
    cfg_path_key(sub, path, e->key);
    if (cfg_expect_map(cx, e->val, sub) != BS_OK) return BS_ERR_INPUT;
    bs_rc rc = BS_OK;
    int64_t peak = -1;
    *t = (esx_track){.vm = SIZE_MAX, .has = true, .peak = -1};
    if (cfg_get_uint(cx, e->val, sub, "slow", true, 0, &t->slow) != BS_OK) rc = BS_ERR_INPUT;
    if (cfg_get_uint(cx, e->val, sub, "fast", true, 0, &t->fast) != BS_OK) rc = BS_ERR_INPUT;
    if (cfg_get_uint(cx, e->val, sub, "period", false, 0, &t->period) != BS_OK) rc = BS_ERR_INPUT;
    if (cfg_map_entry(e->val, "peak") != NULL &&
        cfg_get_uint(cx, e->val, sub, "peak", false, 0, &peak) != BS_OK)
        rc = BS_ERR_INPUT;
    if (cfg_map_entry(e->val, "peak") != NULL) t->peak = peak;
    cfg_check_unknown(cx, e->val, sub, "slow, fast, period, peak");
    for (size_t k = 0; k < e->val->n; k++)
        if (!e->val->entries[k].used) rc = BS_ERR_INPUT;
    if (rc != BS_OK) return rc;
    t->owned = strdup(e->key);
    if (t->owned == NULL) return BS_ERR_INTERNAL;
    t->name = t->owned;
    return BS_OK;
}

static bs_rc esx_state_load(cfg_ctx *cx, const cfg_node *node, const char *path, void *state) {
    esx_state *st = state;
    if (node == NULL) return BS_OK;
    if (cfg_expect_map(cx, node, path) != BS_OK) return BS_ERR_INPUT;
    bs_rc rc = BS_OK;
    const char *lv = NULL;
    if (cfg_get_string(cx, node, path, "state", false, "high", &lv) != BS_OK) {
        rc = BS_ERR_INPUT;
    } else {
        size_t k = 0;
        while (k < ESX_N_LEVELS && strcmp(lv, level_names[k]) != 0) k++;
        if (k == ESX_N_LEVELS) {
            char sub[CFG_PATH_MAX];
            cfg_path_key(sub, path, "state");
            cfg_error_expected(cx, cfg_map_entry(node, "state")->val, sub,
                               "one of high, soft, hard, low");
            rc = BS_ERR_INPUT;
        } else {
            st->level = (esx_level)k;
        }
    }
    const cfg_node *list = cfg_map_get(node, "vms");
    if (list == NULL || cfg_is_null(list)) return rc;
    char vpath[CFG_PATH_MAX];
    cfg_path_key(vpath, path, "vms");
    if (cfg_expect_map(cx, list, vpath) != BS_OK) return BS_ERR_INPUT;
    if (reserve(st, st->n + list->n) != BS_OK) return BS_ERR_INTERNAL;
    for (size_t k = 0; k < list->n; k++) {
        esx_track t;
        bs_rc r = load_track(cx, &list->entries[k], vpath, &t);
        list->entries[k].used = true;
        if (r == BS_ERR_INTERNAL) return r;
        if (r != BS_OK) {
            rc = r;
            continue;
        }
        st->tr[st->n++] = t;
    }
    return rc;
}

static const pol_param esx_params[] = {
    {"idle_tax", "75%", "fraction",
     "idle memory tax (Mem.IdleTax): an idle page costs 1/(1 - tax) active pages; 0% is a "
     "pure share split (0% to 99%)"},
    {"sample_period", "30s", "time",
     "period over which active memory is sampled (Mem.SamplePeriod; 60s in ESX 4 and later)"},
    {"fast_gain", "50%", "fraction", "gain per period of the fast moving average of active memory"},
    {"slow_gain", "12.5%", "fraction", "gain per period of the slow moving average of active memory"},
    {"high", "6%", "fraction",
     "free memory, of host memory, that allocations aim to keep; below it nothing is reclaimed "
     "until free memory falls under `soft`"},
    {"soft", "4%", "fraction", "free memory below which the host balloons (soft state)"},
    {"hard", "2%", "fraction", "free memory below which ESX also swaps (hard state)"},
    {"low", "1%", "fraction", "free memory below which ESX also blocks VMs (low state)"},
    {"hysteresis", "1%", "fraction",
     "how far above the next higher threshold free memory must be to go back up one state"},
    {"balloon_max", "65%", "fraction",
     "most of a VM's memory the balloon may take (Mem.CtlMaxPercent)"},
    {NULL, NULL, NULL, NULL},
};

const pol_type pol_esx = {
    .name = "esx",
    .description = "VMware ESX: share-based allocation with the idle memory tax (min-funding "
                   "revocation on shares per taxed page), active memory from slow and fast "
                   "moving averages, ballooning when free memory falls to the soft state "
                   "(6/4/2/1 % thresholds), at most 65 % of a VM ballooned",
    .params = esx_params,
    .default_interval = 15 * BS_NS_PER_S,
    .configure = esx_configure,
    .free_config = esx_free_config,
    .state_new = esx_state_new,
    .free_state = esx_free_state,
    .decide = esx_decide,
    .state_load = esx_state_load,
    .state_dump = esx_state_dump,
};
