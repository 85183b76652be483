/* feedback.c -- balloonsim's own controller: demand tracking, layered
 * allocation, damping.
 *
 * Why another controller: the ones people run each look at one side.  MoM and
 * Proxmox steer the host's free memory and move every guest alike; they do
 * not ask which guest is short, so a guest in a burst can be squeezed while an
 * idle one keeps its memory.  proportional ignores demand altogether.  This
 * one estimates what every guest needs from the signals a real guest reports
 * (docs/model.md "What a policy sees") and hands the host's memory out in layers
 * of decreasing urgency, so that memory goes first where it saves stall.
 * docs/policies.md (`feedback`) gives the reasoning and the tuning runs.
 *
 * 1. What a guest needs (per VM, every tick):
 *    - observed demand d: the guest's committed memory when it reports it
 *      (Hyper-V and Xen agents do); otherwise its resident working set,
 *      actual - available, plus an estimate of what it has swapped out
 *      (swap-out minus swap-in, summed; forgotten once a report shows no
 *      paging at all);
 *    - need: follows d up at once (a burst is served at the next tick) and
 *      down with half-life `release` (a dip does not hand memory back only to
 *      ask for it again: the main damping);
 *    - peak: the same with half-life `memory`: the burst this guest has shown
 *      lately, kept as a reserve against its coming back;
 *    - boost (without committed only): a guest that still pages while its
 *      estimate says it fits is short by more than the estimate sees; it gets
 *      `pressure_step` of its memory more per tick, falling back with
 *      half-life `release` once paging stops;
 *    - down: demand collapsing to 0 is what a guest OOM kill looks like from
 *      outside (the workload's memory is freed).  Until demand comes back the
 *      need is raised at every report to actual + `kill_boost` of the way to
 *      the VM's memory, since a workload killed again the moment it restarts
 *      shows nothing else.
 * 2. Layers, per VM, each within [min, memory] and none below the one before:
 *      L0 min;  L1 need (+ boost);  L2 reserve (peak);
 *      L3 L1 plus headroom (`headroom` of the need, at least `headroom_min`);
 *      L4 memory (spare; `spare: keep` stops at L3).
 *    The pool is memory - reserved - actual of the VMs left alone (balloon
 *    disabled, shares 0, locked) - `host_reserve`.  The highest layer every
 *    VM can have, every VM gets; the next one is shared out: L2 and L3 evenly
 *    (the same fraction of every VM's step), L4 in proportion to shares x
 *    memory (equal shares: the same fraction of every VM's memory).  So every
 *    pressured guest's need (L1) is met before any idle guest keeps a reserve,
 *    headroom or spare: pressured guests grow before idle ones are spared.
 *    When not even every need fits, the shortfall is split as the oracle
 *    splits it, to minimise total stall (shares proportional to need squared,
 *    fill.c).  Reserve comes before headroom: a burst coming back kills a
 *    guest (its swap overflows), a missing headroom costs a little swapping.
 * 3. Pacing (`pace`): growth is granted only out of memory no guest holds
 *    now; the rest follows at later ticks, as the shrinking guests' balloons
 *    inflate.  Host paging costs every guest on the host, and more per page
 *    than a guest's own swap (fill.h).
 * 4. Damping: a change smaller than `deadband` (a share of the VM's memory)
 *    is not made -- a grow of a guest whose need is met, or a shrink whose
 *    memory no other guest needs this tick, unless the host is paging; and a
 *    grow smaller than a quarter of that is not made even for a guest short
 *    of its need (FB_GROW_BAND).  With the slow release this keeps target
 *    reversals rare and balloon traffic low.
 *
 * 5. Lending (`lend`, on by default).  docs/model.md: the host backs only what a
 *    guest touched (H), so memory a guest never touched costs nothing.  The
 *    layers above promise no guest memory another holds; that wastes the
 *    memory of a mostly idle fleet (MoM, which lets idle guests keep their
 *    memory, had far fewer kills on the Bitbrains-like scenarios).  With
 *    lending, while the guests' needs (+ headroom + cache) fit the pool:
 *    - backed: an estimate of H, the most A - F seen since the balloon last
 *      took A below it;
 *    - touched memory above need + headroom + cache is taken back at once
 *      when it exceeds `lend_trim` of the VM (a burst is over), and else,
 *      spread evenly over the idle guests, until `lend_free` of the pool is
 *      free on the host again: free host memory serves whichever guest
 *      bursts, a guest's own idle memory only that guest;
 *    - every other guest is lent up to backed + the host's free memory
 *      (min with pool - sum backed): whichever guest bursts alone, the host
 *      can back it; its own growth to its need comes first, in proportion
 *      when growing guests need more than is free (pacing);
 *    - changes below the dead band are not made.
 *    When the needs exceed the pool lending stops (the guaranteed split
 *    applies, paced against backed instead of actual) until they fall below
 *    FB_LEND_BACK of it.
 *
 * Per-VM state lives in the per-host state: by scenario index in a
 * simulation (slots made at setup, so ticks do not allocate), by name in
 * `balloonsim decide`, where each call is one tick of `interval` and the
 * state round-trips as policy_state {vms: {NAME: {need, peak, boost,
 * swapped, demand, backed, down}}} (bytes; down a bool). */
#include "policies/pol.h"
#include "sim/base/text.h"
#include "policies/fill.h"
#include "sim/report/output.h"
#include "sim/scenario.h"
#include "sim/base/units.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifndef __SIZEOF_INT128__
#error "feedback.c needs a 128-bit integer type (GCC or Clang on a 64-bit target)"
#endif
__extension__ typedef __int128 fb_i128; /* sums of byte counts over many VMs */

#define FB_DEFAULT_INTERVAL (10 * BS_NS_PER_S)
#define FB_LAYERS 5
/* A grow smaller than this share of the dead band (1.25 % of the VM's
 * memory by default) is not made even for a guest whose need is not met:
 * for a guest whose working set is its whole memory that much in swap costs
 * 20000 pages/s x 1.25 %^2 x 1 ms = 0.3 % of its time, and such steps, paid
 * for by as small shrinks of the others, were most of the target reversals
 * in tuning (docs/policies.md (`feedback`)). */
#define FB_GROW_BAND 0.25
/* Lending stops when the guests' needs exceed the pool and starts again
 * only when they are below this share of it. */
#define FB_LEND_BACK 0.85

typedef struct fb_cfg {
    double headroom;       /* fraction of need */
    int64_t headroom_min;  /* bytes */
    bs_time release;       /* half-life of need after demand falls */
    bs_time memory;        /* half-life of the reserve */
    double kill_boost;     /* fraction of (max - actual) added after a collapse */
    double pressure_step;  /* fraction of max per tick while paging (no committed) */
    double deadband;       /* fraction of max */
    int64_t host_reserve;  /* bytes kept free on the host */
    bool spare_keep;       /* spare: keep (true) or share (false) */
    bool pace;             /* grow only into memory free now */
    bool lend;             /* let guests keep memory the host does not back */
    double lend_free;      /* fraction of the pool kept free on the host when lending */
    double lend_trim;      /* idle touched memory taken back at once above this share of max */
    bs_time interval;      /* the scenario's (decide: the default) */
    pol_hosts hosts;      /* where each host's VMs are; empty in `decide` */
} fb_cfg;

typedef struct fb_vm {
    const char *name; /* the view's (simulation) or `owned` (decide) */
    char *owned;
    bool have;        /* has seen a report */
    bs_time last;     /* time of that report's tick */
    double need, peak, boost, swapped, demand; /* bytes */
    double backed;    /* estimate of the host memory backing it (H): what it touched */
    bool down;        /* demand collapsed to 0 and has not come back */
} fb_vm;

typedef struct fb_state {
    bool no_lend; /* lending stopped: the needs did not fit the pool */
    size_t first_vm, n_direct; /* simulation: slot = view.vm - first_vm */
    fb_vm *vms;
    size_t n_vms, cap_vms;
    /* scratch for one decision, sized to the host's VMs */
    size_t cap;
    size_t *idx;
    fb_vm **rec;
    int64_t *layer[FB_LAYERS];
    int64_t *need, *x, *shares;
    int64_t *actual, *target, *base, *goal; /* for pacing */
    int64_t *want, *idle, *flo, *y;         /* for lending */
    pol_fill_ev *ev;
} fb_state;

/* ---- configuration ---- */

static void fb_free_config(void *cfg) {
    fb_cfg *c = cfg;
    if (c == NULL) return;
    pol_hosts_free(&c->hosts);
    free(c);
}

static const fb_cfg fb_defaults = {
    .headroom = 0.05,
    .headroom_min = 128LL << 20,
    .release = 300 * BS_NS_PER_S,
    .memory = 4 * 3600 * BS_NS_PER_S,
    .kill_boost = 0.5,
    .pressure_step = 0.05,
    .deadband = 0.05,
    .host_reserve = 0,
    .spare_keep = false,
    .pace = true,
    .lend = true,
    .lend_free = 0.20,
    .lend_trim = 0.25,
    .interval = FB_DEFAULT_INTERVAL,
};

/* A size in exact bytes. */
static bs_rc size_param(cfg_ctx *cx, const cfg_node *params, const char *path, const char *key,
                        int64_t *out) {
    return cfg_get_bytes(cx, params, path, key, false, *out, out);
}

/* A half-life: a time above 0. */
static bs_rc half_life(cfg_ctx *cx, const cfg_node *params, const char *path, const char *key,
                       bs_time *out) {
    bs_time dflt = *out;
    bs_rc rc = cfg_get_time(cx, params, path, key, false, dflt, out);
    if (rc == BS_OK && *out <= 0) {
        char sub[CFG_PATH_MAX];
        cfg_path_key(sub, path, key);
        cfg_error_expected(cx, cfg_map_get(params, key), sub, "a time above 0, such as 5m");
        *out = dflt;
        return BS_ERR_INPUT;
    }
    return rc;
}

static bs_rc fb_configure(cfg_ctx *cx, const cfg_node *params, const char *path,
                          const struct scen *sc, void **cfg) {
    *cfg = NULL;
    fb_cfg *c = malloc(sizeof *c);
    if (c == NULL) return BS_ERR_INTERNAL;
    *c = fb_defaults;
    bs_rc rc = BS_OK;
    if (params != NULL) {
        if (cfg_get_fraction(cx, params, path, "headroom", false, c->headroom, &c->headroom) != BS_OK)
            rc = BS_ERR_INPUT;
        if (size_param(cx, params, path, "headroom_min", &c->headroom_min) != BS_OK) rc = BS_ERR_INPUT;
        if (half_life(cx, params, path, "release", &c->release) != BS_OK) rc = BS_ERR_INPUT;
        if (half_life(cx, params, path, "memory", &c->memory) != BS_OK) rc = BS_ERR_INPUT;
        if (cfg_get_fraction(cx, params, path, "kill_boost", false, c->kill_boost,
                             &c->kill_boost) != BS_OK)
            rc = BS_ERR_INPUT;
        if (cfg_get_fraction(cx, params, path, "pressure_step", false, c->pressure_step,
                             &c->pressure_step) != BS_OK)
            rc = BS_ERR_INPUT;
        if (cfg_get_fraction(cx, params, path, "deadband", false, c->deadband, &c->deadband) != BS_OK)
            rc = BS_ERR_INPUT;
        if (size_param(cx, params, path, "host_reserve", &c->host_reserve) != BS_OK) rc = BS_ERR_INPUT;
        if (cfg_get_bool(cx, params, path, "pace", false, c->pace, &c->pace) != BS_OK)
            rc = BS_ERR_INPUT;
        if (cfg_get_bool(cx, params, path, "lend", false, c->lend, &c->lend) != BS_OK)
            rc = BS_ERR_INPUT;
        if (cfg_get_fraction(cx, params, path, "lend_trim", false, c->lend_trim,
                             &c->lend_trim) != BS_OK)
            rc = BS_ERR_INPUT;
        if (cfg_get_fraction(cx, params, path, "lend_free", false, c->lend_free,
                             &c->lend_free) != BS_OK)
            rc = BS_ERR_INPUT;
        const char *spare = "share";
        if (cfg_get_string(cx, params, path, "spare", false, "share", &spare) != BS_OK) {
            rc = BS_ERR_INPUT;
        } else if (strcmp(spare, "share") == 0 || strcmp(spare, "keep") == 0) {
            c->spare_keep = strcmp(spare, "keep") == 0;
        } else {
            char sub[CFG_PATH_MAX];
            cfg_path_key(sub, path, "spare");
            cfg_error_expected(cx, cfg_map_get(params, "spare"), sub, "share or keep");
            rc = BS_ERR_INPUT;
        }
    }
    if (rc == BS_OK && sc != NULL) {
        c->interval = sc->policy.interval;
        rc = pol_hosts_init(&c->hosts, sc);
    }
    if (rc != BS_OK) {
        fb_free_config(c);
        return rc;
    }
    *cfg = c;
    return BS_OK;
}

/* ---- state ---- */

static void scratch_release(fb_state *st) {
    free(st->idx);
    free(st->rec);
    for (size_t k = 0; k < FB_LAYERS; k++) free(st->layer[k]);
    free(st->need);
    free(st->x);
    free(st->shares);
    free(st->actual);
    free(st->target);
    free(st->base);
    free(st->goal);
    free(st->want);
    free(st->idle);
    free(st->flo);
    free(st->y);
    free(st->ev);
}

static bs_rc scratch_reserve(fb_state *st, size_t n) {
    if (n <= st->cap) return BS_OK;
    fb_state g = {.cap = n};
    bool ok = (g.idx = malloc(n * sizeof *g.idx)) != NULL;
    ok = (g.rec = malloc(n * sizeof *g.rec)) != NULL && ok;
    for (size_t k = 0; k < FB_LAYERS; k++) ok = (g.layer[k] = malloc(n * sizeof(int64_t))) != NULL && ok;
    ok = (g.need = malloc(n * sizeof *g.need)) != NULL && ok;
    ok = (g.x = malloc(n * sizeof *g.x)) != NULL && ok;
    ok = (g.shares = malloc(n * sizeof *g.shares)) != NULL && ok;
    ok = (g.actual = malloc(n * sizeof *g.actual)) != NULL && ok;
    ok = (g.target = malloc(n * sizeof *g.target)) != NULL && ok;
    ok = (g.base = malloc(n * sizeof *g.base)) != NULL && ok;
    ok = (g.goal = malloc(n * sizeof *g.goal)) != NULL && ok;
    ok = (g.want = malloc(n * sizeof *g.want)) != NULL && ok;
    ok = (g.idle = malloc(n * sizeof *g.idle)) != NULL && ok;
    ok = (g.flo = malloc(n * sizeof *g.flo)) != NULL && ok;
    ok = (g.y = malloc(n * sizeof *g.y)) != NULL && ok;
    ok = (g.ev = malloc(2 * n * sizeof *g.ev)) != NULL && ok;
    if (!ok) {
        scratch_release(&g);
        return BS_ERR_INTERNAL;
    }
    scratch_release(st);
    st->cap = n;
    st->idx = g.idx;
    st->rec = g.rec;
    for (size_t k = 0; k < FB_LAYERS; k++) st->layer[k] = g.layer[k];
    st->need = g.need;
    st->x = g.x;
    st->shares = g.shares;
    st->actual = g.actual;
    st->target = g.target;
    st->base = g.base;
    st->goal = g.goal;
    st->want = g.want;
    st->idle = g.idle;
    st->flo = g.flo;
    st->y = g.y;
    st->ev = g.ev;
    return BS_OK;
}

static void fb_free_state(void *state) {
    fb_state *st = state;
    if (st == NULL) return;
    for (size_t i = 0; i < st->n_vms; i++) free(st->vms[i].owned);
    free(st->vms);
    scratch_release(st);
    free(st);
}

static bs_rc fb_state_new(const void *cfg, size_t host, void **state) {
    const fb_cfg *c = cfg != NULL ? cfg : &fb_defaults;
    *state = NULL;
    fb_state *st = calloc(1, sizeof *st);
    if (st == NULL) return BS_ERR_INTERNAL;
    bs_rc rc = BS_OK;
    /* In a simulation every VM of the host has its slot from the start. */
    size_t first, count;
    if (pol_hosts_range(&c->hosts, host, &first, &count) && count > 0) {
        st->first_vm = first;
        st->vms = calloc(count, sizeof *st->vms);
        if (st->vms == NULL) rc = BS_ERR_INTERNAL;
        else st->n_vms = st->cap_vms = st->n_direct = count;
        if (rc == BS_OK) rc = scratch_reserve(st, count);
    }
    if (rc != BS_OK) {
        fb_free_state(st);
        return rc;
    }
    *state = st;
    return BS_OK;
}

static fb_vm *find_vm(fb_state *st, size_t vm, const char *name) {
    if (vm != SIZE_MAX && vm >= st->first_vm && vm - st->first_vm < st->n_direct)
        return &st->vms[vm - st->first_vm];
    if (name == NULL) return NULL;
    for (size_t i = st->n_direct; i < st->n_vms; i++)
        if (strcmp(st->vms[i].name, name) == 0) return &st->vms[i];
    return NULL;
}

/* A slot by name: `decide` snapshots (and state_load) only. */
static bs_rc add_vm(fb_state *st, const char *name, fb_vm **out) {
    *out = NULL;
    if (st->n_vms == st->cap_vms) {
        size_t cap = st->cap_vms ? 2 * st->cap_vms : 8;
        fb_vm *v = realloc(st->vms, cap * sizeof *v);
        if (v == NULL) return BS_ERR_INTERNAL;
        st->vms = v;
        st->cap_vms = cap;
    }
    fb_vm *v = &st->vms[st->n_vms];
    *v = (fb_vm){0};
    v->owned = strdup(name);
    if (v->owned == NULL) return BS_ERR_INTERNAL;
    v->name = v->owned;
    st->n_vms++;
    *out = v;
    return BS_OK;
}

/* ---- the controller ---- */

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi) { return BS_MIN(BS_MAX(v, lo), hi); }

/* Weight of a VM in the split of spare memory: shares x memory (MiB), both
 * capped at 2^31 so that the product fits. */
static int64_t spare_weight(const pol_vm_view *v) {
    int64_t s = clamp64(v->shares, 1, INT64_C(1) << 31);
    int64_t mib = clamp64(v->max >> 20, 1, INT64_C(1) << 31);
    return s * mib;
}

static bool managed(const pol_vm_view *v) { return v->balloon && v->shares > 0 && !v->locked; }

/* A byte level in double, clamped to [lo, hi] and rounded down. */
static int64_t level(double b, int64_t lo, int64_t hi) {
    if (!(b > (double)lo)) return lo; /* NaN too */
    if (b >= (double)hi) return hi;
    return clamp64((int64_t)b, lo, hi);
}

/* Exponential approach of `from` to `to` over dt with half-life hl. */
static double decay(double from, double to, double dt_ns, bs_time hl) {
    return to + (from - to) * exp2(-dt_ns / (double)hl);
}

/* Update one VM's estimates from its report. */
static void observe(const fb_cfg *c, fb_vm *r, const pol_vm_view *v, bs_time now) {
    double dt = 0;
    if (r->have) dt = now > r->last ? (double)(now - r->last) : (double)c->interval;
    double max = (double)clamp64(v->max, 0, UNIT_MAX_BYTES);
    double actual = (double)clamp64(v->actual, 0, UNIT_MAX_BYTES);
    /* Backing: the host holds what the guest touched, min(D, A) + C = A - F
     * at the report, until the balloon takes it (docs/model.md, host residency). */
    double touched = v->free >= 0 ? actual - (double)v->free : actual;
    r->backed = BS_MIN(actual, BS_MAX(r->backed, touched));
    double d;
    if (v->committed >= 0) {
        d = (double)v->committed;
        r->swapped = 0;
        r->boost = 0;
    } else {
        bool paging = v->swap_in > 0 || v->major_faults > 0;
        r->swapped += (double)BS_MAX(v->swap_out, 0) - (double)BS_MAX(v->swap_in, 0);
        if (r->swapped < 0 || (v->swap_out <= 0 && v->swap_in <= 0 && v->major_faults <= 0))
            r->swapped = 0;
        d = (double)BS_MAX(v->actual - v->available, 0) + r->swapped;
        /* Still paging although the estimate fits: it is short by more. */
        r->boost = paging && d <= actual ? BS_MIN(r->boost + c->pressure_step * max, max)
                                         : decay(r->boost, 0, dt, c->release);
    }

    r->need = !r->have || d >= r->need ? d : decay(r->need, d, dt, c->release);
    r->peak = !r->have || d >= r->peak ? d : decay(r->peak, d, dt, c->memory);
    /* Down: see the top of the file. */
    if (r->have && r->demand > 0 && d <= 0) r->down = true;
    if (d > 0) r->down = false;
    if (r->down) r->need = BS_MAX(r->need, actual + c->kill_boost * (max - actual));
    r->demand = d;
    r->have = true;
    r->last = now;
}

/* Lending (see the top of the file): st->x holds the guaranteed split on
 * entry, the targets on return.  Returns false when the guests' needs do
 * not fit the pool: then nothing is lent and the guaranteed split stands. */
static bool lend(const fb_cfg *c, fb_state *st, const pol_host_view *host,
                 const pol_vm_view *vms, size_t m, fb_i128 pool) {
    fb_i128 s_idle = 0, s_b = 0, s_lo = 0;
    for (size_t j = 0; j < m; j++) {
        const pol_vm_view *v = &vms[st->idx[j]];
        const fb_vm *r = st->rec[j];
        int64_t hi = clamp64(v->max, 0, UNIT_MAX_BYTES), lo = clamp64(v->min, 0, hi);
        double need = r->need + r->boost;
        double room = BS_MAX(need * c->headroom, (double)c->headroom_min);
        double cache = (double)BS_MAX(v->cache, 0);
        int64_t b = level(r->backed, 0, hi);
        st->idle[j] = level(need + room + cache, lo, hi); /* the backing it uses */
        st->actual[j] = b;
        s_idle += st->idle[j];
        s_b += b;
    }
    /* Needs beyond the pool: stop lending (the guaranteed, stall-minimising
     * split applies) until they fall well below it again (FB_LEND_BACK), so
     * that a host near its limit does not switch at every tick. */
    if (s_idle > pool) st->no_lend = true;
    else if ((double)s_idle <= FB_LEND_BACK * (double)pool) st->no_lend = false;
    if (st->no_lend) return false;
    for (size_t j = 0; j < m; j++) {
        st->flo[j] = BS_MIN(st->actual[j], st->idle[j]);
        s_lo += st->flo[j];
    }
    /* Host memory free now: what a guest bursting alone can touch. */
    fb_i128 avail = (fb_i128)clamp64(host->free, 0, UNIT_MAX_BYTES) -
                    clamp64(host->swap_used, 0, UNIT_MAX_BYTES) -
                    clamp64(c->host_reserve, 0, UNIT_MAX_BYTES);
    avail = BS_MIN(avail, pool - s_b);
    if (avail < 0) avail = 0;
    /* Take back touched memory idle guests hold until the host has
     * `lend_free` of the pool free again: free host memory serves whichever
     * guest bursts, a guest's own idle memory only that guest. */
    fb_i128 goal = (fb_i128)(c->lend_free * (double)(pool > 0 ? pool : 0));
    fb_i128 keep = s_b - BS_MAX(goal - avail, 0);
    if (keep < s_lo) keep = s_lo;
    int64_t K = keep >= UNIT_MAX_BYTES ? UNIT_MAX_BYTES : (int64_t)keep;
    pol_fill_even(st->flo, st->actual, m, K, st->y);
    bool host_pressure = host->swap_used > 0;
    fb_i128 grow = 0;
    for (size_t j = 0; j < m; j++) grow += BS_MAX(st->idle[j] - st->actual[j], 0);
    for (size_t j = 0; j < m; j++) {
        const pol_vm_view *v = &vms[st->idx[j]];
        int64_t hi = clamp64(v->max, 0, UNIT_MAX_BYTES), lo = clamp64(v->min, 0, hi);
        int64_t cur = clamp64(v->target, lo, hi), b = st->actual[j];
        double band = c->deadband * (double)hi;
        int64_t t;
        if ((double)(b - st->idle[j]) >= c->lend_trim * (double)hi) {
            t = BS_MAX(st->idle[j], lo); /* a burst is over: give back what it touched */
        } else if ((double)(b - st->y[j]) >= band || (host_pressure && st->y[j] < b)) {
            t = BS_MAX(st->y[j], lo); /* give back idle touched memory */
        } else {
            /* Lent: untouched memory costs the host nothing until touched;
             * at most what the host could back if this guest burst alone
             * (its own growth to its need first, in proportion when the
             * growing guests together need more than is free). */
            fb_i128 g = BS_MAX(st->idle[j] - b, 0);
            if (grow > avail && grow > 0) g = g * avail / grow;
            fb_i128 top = (fb_i128)b + BS_MAX(g, avail);
            t = top >= hi ? hi : (int64_t)top;
            t = clamp64(t, lo, hi);
            if ((double)(t > cur ? t - cur : cur - t) < band && !(t < cur && host_pressure))
                t = cur;
        }
        st->x[j] = t;
    }
    return true;
}

/* Layers, allocation and damping for the m managed VMs collected in st. */
static void allocate(const fb_cfg *c, fb_state *st, const pol_host_view *host,
                     const pol_vm_view *vms, size_t m, fb_i128 pool, int64_t *targets) {
    /* Layers. */
    fb_i128 sum[FB_LAYERS] = {0};
    for (size_t j = 0; j < m; j++) {
        const pol_vm_view *v = &vms[st->idx[j]];
        const fb_vm *r = st->rec[j];
        int64_t hi = clamp64(v->max, 0, UNIT_MAX_BYTES), lo = clamp64(v->min, 0, hi);
        double need = r->need + r->boost;
        double room = BS_MAX(need * c->headroom, (double)c->headroom_min);
        int64_t *L[FB_LAYERS];
        for (size_t k = 0; k < FB_LAYERS; k++) L[k] = &st->layer[k][j];
        *L[0] = lo;
        *L[1] = level(need, lo, hi);
        *L[2] = BS_MAX(*L[1], level(r->peak, lo, hi));
        *L[3] = BS_MAX(*L[2], level(need + room, lo, hi));
        *L[4] = c->spare_keep ? *L[3] : hi;
        st->need[j] = level(need, 0, UNIT_MAX_BYTES);
        for (size_t k = 0; k < FB_LAYERS; k++) sum[k] += *L[k];
    }

    /* Allocation: the highest layer everyone can have and a share of the
     * next; below L1, the stall-minimising split. */
    int64_t p = pool <= 0 ? 0 : pool >= UNIT_MAX_BYTES ? UNIT_MAX_BYTES : (int64_t)pool;
    if (pool < sum[1]) {
        pol_fill_stall(st->layer[0], st->layer[1], st->need, m, p, st->ev, st->x);
    } else {
        size_t k = 1;
        while (k + 1 < FB_LAYERS && sum[k + 1] <= pool) k++;
        if (k + 1 == FB_LAYERS) {
            memcpy(st->x, st->layer[k], m * sizeof *st->x);
        } else if (k + 1 < FB_LAYERS - 1) {
            pol_fill_even(st->layer[k], st->layer[k + 1], m, p, st->x);
        } else { /* spare: by shares x memory */
            for (size_t j = 0; j < m; j++) st->shares[j] = spare_weight(&vms[st->idx[j]]);
            pol_fill_shares(st->layer[k], st->layer[k + 1], st->shares, m, p, st->ev, st->x);
        }
    }

    /* Damping: skip small changes the budget does not need.  Grows first:
     * each skipped grow leaves memory for a skipped shrink. */
    fb_i128 slack = pool;
    for (size_t j = 0; j < m; j++) slack -= st->x[j];
    bool host_pressure = host->swap_used > 0;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t j = 0; j < m; j++) {
            const pol_vm_view *v = &vms[st->idx[j]];
            int64_t hi = clamp64(v->max, 0, UNIT_MAX_BYTES), lo = clamp64(v->min, 0, hi);
            int64_t cur = clamp64(v->target, lo, hi), x = st->x[j];
            double band = c->deadband * (double)hi;
            if (pass == 0 && x > cur &&
                (double)(x - cur) < (cur >= st->layer[1][j] ? band : band * FB_GROW_BAND)) {
                slack += x - cur;
                st->x[j] = cur;
            } else if (pass == 1 && x < cur && (double)(cur - x) < band && !host_pressure &&
                       slack >= cur - x) {
                slack -= cur - x;
                st->x[j] = cur;
            }
        }
    }
    if (c->lend && lend(c, st, host, vms, m, pool)) {
        /* targets set */
    } else if (c->pace) {
        for (size_t j = 0; j < m; j++) {
            const pol_vm_view *v = &vms[st->idx[j]];
            st->actual[j] = clamp64(v->actual, 0, UNIT_MAX_BYTES);
            /* lent memory nobody touched is not held on the host */
            if (c->lend) st->actual[j] = BS_MIN(st->actual[j], level(st->rec[j]->backed, 0, UNIT_MAX_BYTES));
            st->target[j] = clamp64(v->target, 0, UNIT_MAX_BYTES);
        }
        pol_fill_pace(st->layer[0], st->actual, st->target, st->need, m, p, st->ev, st->base,
                      st->goal, st->x);
    }
    for (size_t j = 0; j < m; j++) {
        const pol_vm_view *v = &vms[st->idx[j]];
        if (st->x[j] != v->target) targets[st->idx[j]] = st->x[j];
    }
}

static bs_rc fb_decide(const void *cfg, void *state, bs_time now, const pol_host_view *host,
                       const pol_vm_view *vms, size_t n, int64_t *targets) {
    const fb_cfg *c = cfg != NULL ? cfg : &fb_defaults;
    fb_state tmp = {0};
    fb_state *st = state != NULL ? state : &tmp; /* a caller without state_new */
    bs_rc rc = scratch_reserve(st, n);

    fb_i128 pool = (fb_i128)clamp64(host->memory, 0, UNIT_MAX_BYTES) -
                   clamp64(host->reserved, 0, UNIT_MAX_BYTES) -
                   clamp64(c->host_reserve, 0, UNIT_MAX_BYTES);
    size_t m = 0;
    for (size_t i = 0; rc == BS_OK && i < n; i++) {
        const pol_vm_view *v = &vms[i];
        if (!managed(v)) {
            pool -= clamp64(v->actual, 0, UNIT_MAX_BYTES);
            continue;
        }
        fb_vm *r = find_vm(st, v->vm, v->name);
        if (r == NULL && v->name != NULL) rc = add_vm(st, v->name, &r);
        if (r == NULL) continue; /* no index, no name: cannot be tracked */
        if (r->name == NULL) r->name = v->name;
        st->idx[m] = i;
        st->rec[m] = r;
        observe(c, r, v, now);
        m++;
    }
    if (rc == BS_OK && m > 0) allocate(c, st, host, vms, m, pool, targets);
    if (st == &tmp) {
        for (size_t i = 0; i < tmp.n_vms; i++) free(tmp.vms[i].owned);
        free(tmp.vms);
        scratch_release(&tmp);
    }
    return rc;
}

/* ---- `decide` state: {vms: {NAME: {need, peak, boost, swapped, demand,
 * down}}}, bytes (down: a bool) ---- */

#define FB_STATE_KEYS "need, peak, boost, swapped, demand, backed, down"
#define FB_NUM_KEYS 6

static bs_rc fb_state_load(cfg_ctx *cx, const cfg_node *node, const char *path, void *state) {
    fb_state *st = state;
    assert(st != NULL);
    if (node == NULL || cfg_is_null(node)) return BS_OK;
    if (cfg_expect_map(cx, node, path) != BS_OK) return BS_ERR_INPUT;
    const cfg_node *vs = cfg_map_get(node, "vms");
    if (vs == NULL) return BS_OK;
    char p[CFG_PATH_MAX], q[CFG_PATH_MAX], kp[CFG_PATH_MAX];
    cfg_path_key(p, path, "vms");
    if (cfg_expect_map(cx, vs, p) != BS_OK) return BS_ERR_INPUT;
    bs_rc rc = BS_OK;
    static const char *const keys[FB_NUM_KEYS] = {"need", "peak", "boost", "swapped", "demand",
                                                      "backed"};
    for (size_t e = 0; e < vs->n; e++) {
        const char *name = vs->entries[e].key;
        const cfg_node *vn = vs->entries[e].val;
        vs->entries[e].used = true;
        cfg_path_key(q, p, name);
        if (cfg_expect_map(cx, vn, q) != BS_OK) {
            rc = BS_ERR_INPUT;
            continue;
        }
        double val[FB_NUM_KEYS] = {0};
        bool bad = false, down = false;
        for (size_t k = 0; k < FB_NUM_KEYS; k++) {
            const cfg_node *kn = cfg_map_get(vn, keys[k]);
            if (kn == NULL) continue;
            cfg_path_key(kp, q, keys[k]);
            if (cfg_as_value(cx, kn, kp, UNIT_SIZE, &val[k]) != BS_OK) bad = true;
            else if (val[k] < 0) {
                cfg_error_expected(cx, kn, kp, "a size of 0 or more");
                bad = true;
            }
        }
        if (cfg_get_bool(cx, vn, q, "down", false, false, &down) != BS_OK) bad = true;
        cfg_check_unknown(cx, vn, q, FB_STATE_KEYS);
        for (size_t k = 0; k < vn->n; k++)
            if (!vn->entries[k].used) bad = true;
        if (bad) {
            rc = BS_ERR_INPUT;
            continue;
        }
        fb_vm *r = find_vm(st, SIZE_MAX, name);
        if (r == NULL) {
            bs_rc ra = add_vm(st, name, &r);
            if (ra != BS_OK) return ra;
        }
        r->need = val[0];
        r->peak = val[1];
        r->boost = val[2];
        r->swapped = val[3];
        r->demand = val[4];
        r->backed = val[5];
        r->down = down;
        r->have = true;
        r->last = 0; /* `decide` ticks at 0: the next call is one interval later */
    }
    return rc;
}

static void fb_state_dump(FILE *f, const void *state) {
    const fb_state *st = state;
    assert(st != NULL);
    fputs("{\"vms\": {", f);
    bool first = true;
    for (size_t i = 0; i < st->n_vms; i++) {
        const fb_vm *r = &st->vms[i];
        if (!r->have || r->name == NULL) continue;
        if (!first) fputs(", ", f);
        first = false;
        txt_json_string(f, r->name);
        /* Rounded down to whole bytes: a reloaded state differs from the
         * carried one by less than a byte per value. */
        fprintf(f,
                ": {\"need\": %lld, \"peak\": %lld, \"boost\": %lld, \"swapped\": %lld, "
                "\"demand\": %lld, \"backed\": %lld, \"down\": %s}",
                (long long)floor(r->need), (long long)floor(r->peak), (long long)floor(r->boost),
                (long long)floor(r->swapped), (long long)floor(r->demand),
                (long long)floor(r->backed), r->down ? "true" : "false");
    }
    fputs("}}", f);
}

static const pol_param fb_params[] = {
    {"headroom", "5%", "fraction",
     "free memory a guest keeps above its estimated need, as a share of the need"},
    {"headroom_min", "128MiB", "size", "at least this much headroom"},
    {"release", "5m", "time",
     "half-life with which the need estimate follows demand down (it follows it up at once)"},
    {"memory", "4h", "time",
     "half-life of the reserve: the recent peak demand kept, as far as the host allows, "
     "against a burst coming back"},
    {"kill_boost", "50%", "fraction",
     "after a workload collapse (demand to 0: a guest OOM kill), raise need and reserve to "
     "actual + this share of (max - actual)"},
    {"pressure_step", "5%", "fraction",
     "without committed memory in the stats: extra memory per tick, as a share of max, for a "
     "guest that pages although its estimate fits"},
    {"deadband", "5%", "fraction",
     "changes smaller than this share of the VM's max are not made unless needed"},
    {"host_reserve", "0", "size", "host memory never handed out"},
    {"spare", "share", "name",
     "memory no layer needs -- share: split in proportion to shares x memory (no VM below its "
     "layers); keep: left free on the host"},
    {"pace", "true", "bool",
     "grow a VM only into memory no guest holds now, so that the host never pages while the "
     "others' balloons inflate"},
    {"lend", "true", "bool",
     "let guests keep memory they never touched (it costs the host nothing): each up to what "
     "it touched plus the host's free memory; off: targets never add up to more than the pool"},
    {"lend_free", "20%", "fraction",
     "when lending: touched memory idle guests hold is taken back until this share of the "
     "pool is free on the host"},
    {"lend_trim", "25%", "fraction",
     "when lending: a guest holding more than this share of its memory in touched memory above "
     "its need + headroom is taken down to it at once (a burst is over)"},
    {NULL, NULL, NULL, NULL},
};

const pol_type pol_feedback = {
    .name = "feedback",
    .description = "balloonsim's own controller: estimates each guest's need from its stats "
                   "(committed, or resident working set plus swap, paging), follows bursts at "
                   "once and dips slowly, and hands memory out in layers -- needs first, then "
                   "each guest's recent peak, then headroom, then spare -- so pressured guests "
                   "grow before idle ones keep headroom; small changes are damped; while the host has "
                   "room, guests are lent memory they never touched, which costs it nothing",
    .params = fb_params,
    .default_interval = FB_DEFAULT_INTERVAL,
    .configure = fb_configure,
    .free_config = fb_free_config,
    .state_new = fb_state_new,
    .free_state = fb_free_state,
    .decide = fb_decide,
    .state_load = fb_state_load,
    .state_dump = fb_state_dump,
};
