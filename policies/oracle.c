/* oracle.c -- the bound: targets from the true present and future demand.
 *
 * Every other policy guesses demand from stale, partial stats.  The oracle is
 * told the truth (pol_host_view.truth, filled by the engine because
 * needs_truth is set: a second copy of each VM's workload generator runs
 * ahead of the simulation on the same seed), so comparing a policy with it
 * says how much is left to gain.  It is "the bound no online policy can
 * beat" in the sense of docs/model.md: no stats delay, no estimation error, no
 * reaction time; it still pays the driver's latency and rates like everyone.
 *
 * Each tick, for each managed VM (balloon enabled, shares > 0, not locked;
 * the others are left alone and their actual memory is not in the pool):
 *   D = peak working-set demand over [now, now + lookahead],
 *   K = peak page-cache demand over the same window (param cache: true).
 * The window must cover what it takes a target to be met: the time to the
 * next tick (interval), the driver's latency and the move itself (delta /
 * rate); `lookahead: auto` is 2 * interval + 30 s, which covers 10 GiB at
 * virtio's 1 GiB/s deflate and a few GiB at its 256 MiB/s inflate with the
 * default 10 s interval.  A longer window costs memory held early; a shorter
 * one lets demand arrive before the memory does.
 *
 * Then, with pool = memory - reserved - actual of the unmanaged VMs:
 *   - every D + K fits: target = clamp(D + K, min, max);
 *   - every D fits, not all the cache: target = clamp(D, min, max) plus the
 *     same share of each VM's cache step (cache has no stall cost in the
 *     model: no VM's cache is worth more than another's);
 *   - not every D fits: the shortfall is split to minimise total stall,
 *     S_i proportional to D_i^2 (equal tau * Lg and alpha = 2 assumed, the
 *     view carrying neither; derivation in fill.c), never below min;
 *   - even the minimums do not fit: everyone at min.
 * Memory no VM needs stays free on the host.  Targets never leave [min, max].
 * With `pace` (default), growth is then held to memory no guest holds now
 * (fill.h): a guest deflating at 1 GiB/s would otherwise fill up before its
 * neighbour, inflating at 256 MiB/s, has let go, and the host would page --
 * which stalls every VM on it, far more than the shortfall it cures.
 *
 * Without the truth (`balloonsim decide`, or a view with no scenario index)
 * "demand now" stands in for the peak: the VM's committed memory when the
 * guest reports it, else actual - available (its resident working set), and
 * its resident cache for K -- so the target is at most actual - free.  That
 * is what the oracle would do with a lookahead of zero and perfect stats.
 *
 * Stateless between ticks; the per-host state is scratch space sized from
 * the scenario, so decide() does not allocate (a `decide` snapshot larger
 * than that grows it once). */
#include "policies/pol.h"
#include "policies/fill.h"
#include "sim/scenario.h"
#include "sim/base/units.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define ORC_DEFAULT_INTERVAL (10 * BS_NS_PER_S)
#define ORC_AUTO_SLACK (30 * BS_NS_PER_S) /* auto lookahead: 2 * interval + this */

typedef struct orc_cfg {
    bs_time lookahead; /* resolved: > 0 */
    bool cache;
    bool pace;
    size_t max_vms;
} orc_cfg;

typedef struct orc_state {
    size_t cap;
    size_t *idx;          /* view index of each managed VM */
    int64_t *lo, *hi_d, *hi_k, *d, *x;
    int64_t *actual, *target, *base, *goal; /* for pacing */
    pol_fill_ev *ev;      /* 2 * cap */
} orc_state;

static bs_time auto_lookahead(bs_time interval) { return 2 * interval + ORC_AUTO_SLACK; }

static bs_rc orc_configure(cfg_ctx *cx, const cfg_node *params, const char *path,
                           const struct scen *sc, void **cfg) {
    *cfg = NULL;
    bs_time interval = sc != NULL ? sc->policy.interval : ORC_DEFAULT_INTERVAL;
    orc_cfg c = {.lookahead = auto_lookahead(interval), .cache = true, .pace = true};
    bs_rc rc = BS_OK;
    if (params != NULL) {
        const cfg_node *n = cfg_map_get(params, "lookahead");
        if (n != NULL && !(n->kind == CFG_SCALAR && n->value != NULL &&
                           strcmp(n->value, "auto") == 0)) {
            char sub[CFG_PATH_MAX];
            cfg_path_key(sub, path, "lookahead");
            bs_time t = 0;
            if (cfg_as_time(cx, n, sub, &t) != BS_OK) {
                rc = BS_ERR_INPUT;
            } else if (t <= 0) {
                cfg_error_expected(cx, n, sub, "auto or a time above 0, such as 1m");
                rc = BS_ERR_INPUT;
            } else {
                c.lookahead = t;
            }
        }
        if (cfg_get_bool(cx, params, path, "cache", false, true, &c.cache) != BS_OK)
            rc = BS_ERR_INPUT;
        if (cfg_get_bool(cx, params, path, "pace", false, true, &c.pace) != BS_OK)
            rc = BS_ERR_INPUT;
    }
    if (rc != BS_OK) return rc;
    if (sc != NULL)
        for (size_t h = 0; h < sc->n_hosts; h++) c.max_vms = BS_MAX(c.max_vms, sc->hosts[h].n_vms);
    orc_cfg *p = malloc(sizeof *p);
    if (p == NULL) return BS_ERR_INTERNAL;
    *p = c;
    *cfg = p;
    return BS_OK;
}

static void orc_free_config(void *cfg) { free(cfg); }

static void state_release(orc_state *st) {
    free(st->idx);
    free(st->lo);
    free(st->hi_d);
    free(st->hi_k);
    free(st->d);
    free(st->x);
    free(st->actual);
    free(st->target);
    free(st->base);
    free(st->goal);
    free(st->ev);
}

static bs_rc state_reserve(orc_state *st, size_t n) {
    if (n <= st->cap) return BS_OK;
    orc_state g = {.cap = n};
    g.idx = malloc(n * sizeof *g.idx);
    g.lo = malloc(n * sizeof *g.lo);
    g.hi_d = malloc(n * sizeof *g.hi_d);
    g.hi_k = malloc(n * sizeof *g.hi_k);
    g.d = malloc(n * sizeof *g.d);
    g.x = malloc(n * sizeof *g.x);
    g.actual = malloc(n * sizeof *g.actual);
    g.target = malloc(n * sizeof *g.target);
    g.base = malloc(n * sizeof *g.base);
    g.goal = malloc(n * sizeof *g.goal);
    g.ev = malloc(2 * n * sizeof *g.ev);
    if (!g.idx || !g.lo || !g.hi_d || !g.hi_k || !g.d || !g.x || !g.actual || !g.target ||
        !g.base || !g.goal || !g.ev) {
        state_release(&g);
        return BS_ERR_INTERNAL;
    }
    state_release(st);
    *st = g;
    return BS_OK;
}

static bs_rc orc_state_new(const void *cfg, size_t host, void **state) {
    (void)host;
    const orc_cfg *c = cfg;
    orc_state *st = calloc(1, sizeof *st);
    if (st == NULL) return BS_ERR_INTERNAL;
    if (state_reserve(st, c != NULL ? c->max_vms : 0) != BS_OK) {
        free(st);
        return BS_ERR_INTERNAL;
    }
    *state = st;
    return BS_OK;
}

static void orc_free_state(void *state) {
    orc_state *st = state;
    if (st == NULL) return;
    state_release(st);
    free(st);
}

static bool managed(const pol_vm_view *v) { return v->balloon && v->shares > 0 && !v->locked; }

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi) { return BS_MIN(BS_MAX(v, lo), hi); }

/* Working-set and cache demand to plan for: the truth's peaks over the
 * window, or (no truth) what the stats say the VM holds now. */
static void demand_of(const orc_cfg *c, bs_time now, const pol_host_view *host,
                      const pol_vm_view *v, int64_t *d, int64_t *k) {
    const pol_truth *tr = host->truth;
    if (tr != NULL && v->vm != SIZE_MAX && now >= 0) {
        bs_time to = now > INT64_MAX - c->lookahead ? INT64_MAX : now + c->lookahead;
        *d = tr->peak_demand(tr->ctx, v->vm, now, to);
        *k = c->cache && tr->peak_cache != NULL ? tr->peak_cache(tr->ctx, v->vm, now, to) : 0;
    } else {
        *d = v->committed >= 0 ? v->committed : BS_MAX(v->actual - v->available, 0);
        *k = c->cache ? BS_MAX(v->cache, 0) : 0;
    }
    *d = clamp64(*d, 0, UNIT_MAX_BYTES);
    *k = clamp64(*k, 0, UNIT_MAX_BYTES);
}

static bs_rc orc_decide(const void *cfg, void *state, bs_time now, const pol_host_view *host,
                        const pol_vm_view *vms, size_t n, int64_t *targets) {
    static const orc_cfg dflt = {.lookahead = 2 * ORC_DEFAULT_INTERVAL + ORC_AUTO_SLACK,
                                 .cache = true, .pace = true};
    const orc_cfg *c = cfg != NULL ? cfg : &dflt;
    orc_state tmp = {0};
    orc_state *st = state != NULL ? state : &tmp; /* a caller without state_new */
    bs_rc rc = state_reserve(st, n);
    if (rc != BS_OK) return rc;

    int64_t pool = clamp64(host->memory, 0, UNIT_MAX_BYTES) - clamp64(host->reserved, 0, UNIT_MAX_BYTES);
    size_t m = 0;
    __extension__ __int128 sum_lo = 0, sum_d = 0, sum_k = 0;
    for (size_t i = 0; i < n; i++) {
        const pol_vm_view *v = &vms[i];
        if (!managed(v)) {
            pool -= clamp64(v->actual, 0, UNIT_MAX_BYTES);
            continue;
        }
        int64_t hi = clamp64(v->max, 0, UNIT_MAX_BYTES), lo = clamp64(v->min, 0, hi);
        int64_t d, k;
        demand_of(c, now, host, v, &d, &k);
        st->idx[m] = i;
        st->lo[m] = lo;
        st->d[m] = d;
        st->hi_d[m] = clamp64(d, lo, hi);
        st->hi_k[m] = clamp64(k > hi - d ? hi : d + k, lo, hi); /* no overflow */
        st->actual[m] = clamp64(v->actual, 0, UNIT_MAX_BYTES);
        st->target[m] = clamp64(v->target, 0, UNIT_MAX_BYTES);
        sum_lo += lo;
        sum_d += st->hi_d[m];
        sum_k += st->hi_k[m];
        m++;
    }
    if (m == 0) {
        /* nothing to manage */
    } else if (pool >= sum_k) {
        memcpy(st->x, st->hi_k, m * sizeof *st->x);
    } else if (pool >= sum_d) {
        pol_fill_even(st->hi_d, st->hi_k, m, pool, st->x); /* the cache it can afford */
    } else if (pool > sum_lo) {
        pol_fill_stall(st->lo, st->hi_d, st->d, m, pool, st->ev, st->x);
    } else {
        memcpy(st->x, st->lo, m * sizeof *st->x);
    }
    if (m > 0 && c->pace)
        pol_fill_pace(st->lo, st->actual, st->target, st->d, m, pool > 0 ? pool : 0, st->ev,
                      st->base, st->goal, st->x);
    for (size_t j = 0; j < m; j++) {
        assert(st->x[j] >= st->lo[j] && st->x[j] <= st->hi_k[j]);
        targets[st->idx[j]] = st->x[j];
    }
    state_release(&tmp);
    return BS_OK;
}

static const pol_param orc_params[] = {
    {"lookahead", "auto", "time",
     "plan for the peak demand over [now, now + lookahead]; it must cover the interval, the "
     "driver's latency and the move itself; auto: 2 x interval + 30s (50s at 10s)"},
    {"cache", "true", "bool",
     "also give each VM the page cache it will need, as far as the host's memory allows after "
     "every working set"},
    {"pace", "true", "bool",
     "grow a VM only into memory no guest holds now (the others shrink first), so that the "
     "host never pages while balloons move; false: set the plan at once"},
    {NULL, NULL, NULL, NULL},
};

const pol_type pol_oracle = {
    .name = "oracle",
    .description = "the bound: sees each VM's true demand over the next lookahead and sets "
                   "targets to its peak (plus cache the host can afford); when the host cannot "
                   "hold every peak, splits the shortfall to minimise total stall (shares of it "
                   "proportional to demand squared), never below min",
    .params = orc_params,
    .default_interval = ORC_DEFAULT_INTERVAL,
    .configure = orc_configure,
    .free_config = orc_free_config,
    .state_new = orc_state_new,
    .free_state = orc_free_state,
    .decide = orc_decide,
    .needs_truth = true,
};
