/* proportional.c -- share-weighted water-filling of host memory.
 *
 * The simplest policy that uses ballooning at all: every tick, the memory the
 * host can give to managed guests (the pool) is divided among them in
 * proportion to their shares, each kept within [min, max].  What a clamp cuts
 * off (or adds) goes to the others, until no clamp changes anything: the
 * unique fixed point is x_i = clamp(lambda * s_i, min_i, max_i) with the level
 * lambda chosen so that the x_i add up to the pool.
 *
 * The pool is memory - reserved - actual of every VM the policy does not
 * manage: balloon disabled, shares 0 ("never managed") or locked (being
 * migrated, `decide` snapshots).  Those VMs are left alone.
 *
 * lambda is found exactly, not by floating-point search: the sum is piecewise
 * linear in lambda with breakpoints min_i/s_i and max_i/s_i, so sorting the 2n
 * breakpoints (O(n log n)) and walking them finds the segment where the sum
 * meets the pool.  All comparisons are cross-multiplied in 128-bit integers,
 * so the same input gives the same bytes on every machine, targets are whole
 * bytes rounded down and never add up to more than the pool.  The sort needs
 * scratch space; it lives in the per-host state, allocated at setup (sized
 * from the scenario), so ticks do not allocate. */
#include "policies/pol.h"
#include "sim/scenario.h"
#include "sim/base/units.h"

#include <assert.h>
#include <stdlib.h>

#ifndef __SIZEOF_INT128__
#error "proportional.c needs a 128-bit integer type (GCC or Clang on a 64-bit target)"
#endif
/* Products of a byte count (< 2^62) and shares (< 2^63) need 125 bits. */
__extension__ typedef __int128 prop_i128;

#define FREE_MARK (-2) /* in targets[] during the walk: between its bounds */

typedef struct prop_cfg {
    size_t max_vms; /* most VMs on one host (0: unknown, `decide`) */
} prop_cfg;

/* A breakpoint: at lambda = bound / shares, VM `i` leaves its min (kind 0)
 * or reaches its max (kind 1). */
typedef struct prop_event {
    int64_t bound, shares;
    size_t i;
    int kind;
} prop_event;

/* What one VM contributes to a decision: if every VM's input and the host's
 * are the same as at the previous tick, so are the targets. */
typedef struct prop_input {
    size_t vm;
    int64_t actual, min, max, shares;
    bool managed;
} prop_input;

typedef struct prop_state {
    prop_input *last_in; /* cap entries: the previous tick's inputs */
    int64_t *last_targets;
    size_t last_n;
    int64_t last_memory, last_reserved;
    bool have_last;
    prop_event *ev; /* 2 * cap entries */
    size_t *order;  /* 2 * cap entries: ev sorted by event_cmp, kept between ticks */
    size_t n_order; /* entries of `order` valid from the previous tick */
    size_t cap;
} prop_state;

static bs_rc prop_configure(cfg_ctx *cx, const cfg_node *params, const char *path,
                            const struct scen *sc, void **cfg) {
    (void)cx, (void)params, (void)path; /* no params: the caller reports any */
    prop_cfg *c = malloc(sizeof *c);
    if (c == NULL) return BS_ERR_INTERNAL;
    c->max_vms = 0;
    if (sc != NULL)
        for (size_t h = 0; h < sc->n_hosts; h++) c->max_vms = BS_MAX(c->max_vms, sc->hosts[h].n_vms);
    *cfg = c;
    return BS_OK;
}

static void prop_free_config(void *cfg) { free(cfg); }

static bs_rc state_reserve(prop_state *st, size_t n) {
    if (n <= st->cap) return BS_OK;
    prop_event *ev = realloc(st->ev, 2 * n * sizeof *ev);
    if (ev == NULL) return BS_ERR_INTERNAL;
    st->ev = ev;
    size_t *order = realloc(st->order, 2 * n * sizeof *order);
    if (order == NULL) return BS_ERR_INTERNAL;
    st->order = order;
    prop_input *in = realloc(st->last_in, n * sizeof *in);
    if (in == NULL) return BS_ERR_INTERNAL;
    st->last_in = in;
    int64_t *lt = realloc(st->last_targets, n * sizeof *lt);
    if (lt == NULL) return BS_ERR_INTERNAL;
    st->last_targets = lt;
    st->have_last = false;
    st->n_order = 0;
    st->cap = n;
    return BS_OK;
}

static bs_rc prop_state_new(const void *cfg, size_t host, void **state) {
    (void)host;
    const prop_cfg *c = cfg;
    prop_state *st = calloc(1, sizeof *st);
    if (st == NULL) return BS_ERR_INTERNAL;
    bs_rc rc = state_reserve(st, c != NULL ? c->max_vms : 0);
    if (rc != BS_OK) {
        free(st);
        return rc;
    }
    *state = st;
    return BS_OK;
}

static void prop_free_state(void *state) {
    prop_state *st = state;
    if (st == NULL) return;
    free(st->ev);
    free(st->order);
    free(st->last_in);
    free(st->last_targets);
    free(st);
}

static bool managed(const pol_vm_view *v) { return v->balloon && v->shares > 0 && !v->locked; }

/* Bounds kept in [0, 2^62] so that the 128-bit products cannot overflow. */
static int64_t clamp_bytes(int64_t b) { return BS_MIN(BS_MAX(b, 0), UNIT_MAX_BYTES); }

/* Order by lambda = bound/shares (cross-multiplied, exact), then kind, then
 * VM: a total order, so qsort's instability cannot show. */
static int event_cmp(const void *a, const void *b) {
    const prop_event *x = a, *y = b;
    prop_i128 l = (prop_i128)x->bound * y->shares, r = (prop_i128)y->bound * x->shares;
    if (l != r) return l < r ? -1 : 1;
    if (x->kind != y->kind) return x->kind - y->kind;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* Sort the breakpoints into st->order.  Between ticks they rarely move, so
 * the previous tick's order is the starting point and an insertion sort
 * finishes in O(n) when nothing changed (the common case), instead of a full
 * sort every tick. */
static void sort_events(prop_state *st, size_t ne) {
    if (st->n_order != ne)
        for (size_t k = 0; k < ne; k++) st->order[k] = k;
    st->n_order = ne;
    for (size_t k = 1; k < ne; k++) {
        size_t cur = st->order[k], j = k;
        while (j > 0 && event_cmp(&st->ev[st->order[j - 1]], &st->ev[cur]) > 0) {
            st->order[j] = st->order[j - 1];
            j--;
        }
        st->order[j] = cur;
    }
}

/* Shares are relative.  If their sum would not fit in 63 bits (absurd, but
 * the input allows it), they are all shifted right by the smallest amount
 * that makes it fit (a managed VM keeps at least 1). */
static int shares_shift(const pol_vm_view *vms, size_t n) {
    for (int k = 0; k < 63; k++) {
        prop_i128 sum = 0;
        for (size_t i = 0; i < n; i++)
            if (managed(&vms[i])) sum += BS_MAX(vms[i].shares >> k, 1);
        if (sum <= INT64_MAX) return k;
    }
    return 63;
}

static bs_rc divide(prop_state *st, const pol_host_view *host, const pol_vm_view *vms, size_t n,
                    int64_t *targets) {
    int shift = shares_shift(vms, n);
    prop_i128 pool = clamp_bytes(host->memory) - (prop_i128)BS_MAX(host->reserved, 0);
    prop_i128 sum_lo = 0, sum_hi = 0;
    size_t ne = 0;
    for (size_t i = 0; i < n; i++) {
        const pol_vm_view *v = &vms[i];
        if (!managed(v)) {
            pool -= BS_MAX(v->actual, 0);
            continue;
        }
        int64_t hi = clamp_bytes(v->max), lo = BS_MIN(clamp_bytes(v->min), hi);
        int64_t s = BS_MAX(v->shares >> shift, 1);
        sum_lo += lo;
        sum_hi += hi;
        targets[i] = lo; /* pinned at min until its first breakpoint */
        st->ev[ne++] = (prop_event){.bound = lo, .shares = s, .i = i, .kind = 0};
        st->ev[ne++] = (prop_event){.bound = hi, .shares = s, .i = i, .kind = 1};
    }
    if (ne == 0) return BS_OK;
    if (pool <= sum_lo) return BS_OK; /* everyone at min (already set) */
    if (pool >= sum_hi) {
        for (size_t k = 0; k < ne; k++)
            if (st->ev[k].kind == 1) targets[st->ev[k].i] = st->ev[k].bound;
        return BS_OK;
    }
    sort_events(st, ne);

    /* Walk the breakpoints.  Between two of them the total is
     * C + lambda * S (C: VMs pinned at min or max, S: shares of the others);
     * stop at the first breakpoint where it reaches the pool.  C < pool there,
     * so every product stays below 2^126. */
    prop_i128 c = sum_lo, s = 0;
    size_t k = 0;
    for (; k < ne; k++) {
        const prop_event *e = &st->ev[st->order[k]];
        if (c * e->shares + (prop_i128)e->bound * s >= pool * e->shares) break;
        if (e->kind == 0) {
            c -= e->bound;
            s += e->shares;
            targets[e->i] = FREE_MARK;
        } else {
            c += e->bound;
            s -= e->shares;
            targets[e->i] = e->bound;
        }
    }
    /* sum_lo < pool < sum_hi: the total reaches the pool at some breakpoint,
     * with some VM free to grow. */
    assert(k < ne && s > 0 && c <= pool);
    prop_i128 rest = pool - c; /* = lambda * s, lambda in the segment found */
    for (size_t i = 0; i < n; i++) {
        if (!managed(&vms[i]) || targets[i] != FREE_MARK) continue;
        int64_t si = BS_MAX(vms[i].shares >> shift, 1);
        targets[i] = (int64_t)(rest * si / s); /* non-negative: division rounds down */
    }
    return BS_OK;
}

static prop_input input_of(const pol_vm_view *v) {
    bool m = managed(v);
    return (prop_input){.vm = v->vm,
                        .actual = m ? 0 : v->actual,
                        .min = m ? v->min : 0,
                        .max = m ? v->max : 0,
                        .shares = m ? v->shares : 0,
                        .managed = m};
}

static bool same_input(const prop_input *a, const prop_input *b) {
    return a->vm == b->vm && a->actual == b->actual && a->min == b->min && a->max == b->max &&
           a->shares == b->shares && a->managed == b->managed;
}

/* Ticks mostly see the same inputs as the last one (the split depends on
 * bounds and shares, not on demand): answer those in O(n) from memory. */
static bool repeat_last(const prop_state *st, const pol_host_view *host, const pol_vm_view *vms,
                        size_t n, int64_t *targets) {
    if (!st->have_last || st->last_n != n || st->last_memory != host->memory ||
        st->last_reserved != host->reserved)
        return false;
    for (size_t i = 0; i < n; i++) {
        prop_input in = input_of(&vms[i]);
        if (!same_input(&in, &st->last_in[i])) return false;
    }
    for (size_t i = 0; i < n; i++) targets[i] = st->last_targets[i];
    return true;
}

static void remember(prop_state *st, const pol_host_view *host, const pol_vm_view *vms, size_t n,
                     const int64_t *targets) {
    for (size_t i = 0; i < n; i++) {
        st->last_in[i] = input_of(&vms[i]);
        st->last_targets[i] = targets[i];
    }
    st->last_n = n;
    st->last_memory = host->memory;
    st->last_reserved = host->reserved;
    st->have_last = true;
}

static bs_rc prop_decide(const void *cfg, void *state, bs_time now, const pol_host_view *host,
                         const pol_vm_view *vms, size_t n, int64_t *targets) {
    (void)cfg, (void)now;
    prop_state tmp = {0};
    prop_state *st = state != NULL ? state : &tmp; /* a caller without state_new: slow path */
    bs_rc rc = state_reserve(st, n);
    if (rc == BS_OK && repeat_last(st, host, vms, n, targets)) return BS_OK;
    if (rc == BS_OK) rc = divide(st, host, vms, n, targets);
    if (rc == BS_OK) remember(st, host, vms, n, targets);
    free(tmp.ev);
    free(tmp.order);
    free(tmp.last_in);
    free(tmp.last_targets);
    return rc;
}

const pol_type pol_proportional = {
    .name = "proportional",
    .description = "every interval, splits the host's memory minus reserved minus the memory "
                   "of VMs whose balloon is disabled (or whose shares are 0) among the others "
                   "in proportion to shares, clamped to [min, memory]; what is clamped off is "
                   "re-split among the rest",
    .params = NULL,
    .default_interval = 10 * BS_NS_PER_S,
    .configure = prop_configure,
    .free_config = prop_free_config,
    .state_new = prop_state_new,
    .free_state = prop_free_state,
    .decide = prop_decide,
};
