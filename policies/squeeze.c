/* squeeze.c -- Xen's squeezed (XenServer / XCP-ng), decision for decision.
 *
 * squeezed gives every ballooning domain the same fraction of its
 * [dynamic-min, dynamic-max] range, keeps a small amount of host memory
 * free, frees memory before it hands any out, and works around balloon
 * drivers that do not move.  Users of Xen hosts want those decisions, so
 * this transcribes the original (xapi-project/xen-api, ocaml/squeezed):
 *   - lib/squeeze.ml: Proportional.compute_target_adjustments and
 *     allocate_memory_in_proportion (the split), Squeezer.one_iteration (one
 *     round: stuck detection, two-phase target setting, success/failure),
 *     Stuckness_monitor (a driver with work to do that has not moved
 *     towards its target for more than 5 s is stuck and left out),
 *     change_host_free_memory (the loop: an iteration, then wait 1 s, until
 *     success or failure; every domain declared inactive in an iteration gets
 *     target = clamp(min(target, actual), dynamic-min, dynamic-max)),
 *     is_host_memory_unbalanced (whether a balancing run is needed).
 *   - src/squeeze_xen.ml: inaccuracy 4 KiB per domain; keep
 *     target_host_free_mem_kib = low_mem_emergency_pool (1 MiB) +
 *     extra_mem_to_keep (8 MiB) = 9 MiB free; free_memory_tolerance_kib 512.
 *     (Releases since CA-423173 raise the pool to 64 MiB: free_target=72MiB.)
 *   - src/squeezed.ml, src/memory_server.ml: the balance thread wakes every
 *     balance-check-interval (10 s) and runs a balancing loop only when the
 *     host is unbalanced; a request to free memory (reserve_memory, here
 *     host.request) runs the same loop aiming at request + 9 MiB free.
 *   - test/squeeze_test.ml: its scenarios are tests/test_pol_squeeze.c.
 *
 * How that maps onto ticks: out of a balancing run the policy ticks every
 * `interval` and does the unbalanced check (with a fresh stuckness monitor,
 * as the original does); when a run starts, its first iteration is made at
 * the same instant, and further iterations follow every `step` (the
 * original's wait 1.) until one ends the run with success or failure.  Each
 * run starts with fresh stuckness state, as each change_host_free_memory
 * call makes a new Squeezer.  Stuck detection therefore needs the policy to
 * see `actual` move between iterations: the default stats_interval is 1 s
 * (Xen reads memory_actual from the hypervisor, not from a guest agent).
 *
 * Units: the original counts KiB.  Views are bytes, divided down to KiB
 * (exact for page-sized values); targets go back as KiB * 1024 bytes.  The
 * host's free memory (Xen's free + scrub pages) is the view's `free`, but at
 * most memory - reserved - sum(actual): Xen backs a domain's whole
 * memory_actual, so pages a guest never touched, which a KVM-style host view
 * counts as free, are not free to squeezed (xen_free()).
 * Domains: dynamic-min = min, dynamic-max = max, target and memory_actual as
 * reported; can_balloon = balloon enabled, not locked (migrating) and shares
 * != 0 (docs/scenarios.md: 0 = never managed).  Domains that cannot balloon stay
 * in the host's list (the original keeps them there too) but get no target.
 *
 * Output: every target the iteration sets -- the AdjustTargets actions of
 * the current phase (all of them, also those equal to the current target,
 * which the original re-writes) and the resets of domains declared inactive
 * in this iteration.  A balanced host yields no targets.
 *
 * Floating point: gamma = surplus / total_range and gamma * range are the
 * OCaml float (IEEE double) operations, Int64.of_float truncates like the C
 * cast. */
#include "policies/pol.h"
#include "sim/scenario.h"
#include "sim/base/text.h"
#include "sim/base/units.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SQ_KIB 1024LL

typedef struct sq_cfg {
    int64_t free_target_kib; /* target_host_free_mem_kib (9 MiB) */
    int64_t tolerance_kib;   /* free_memory_tolerance_kib (512) */
    int64_t inaccuracy_kib;  /* per domain (4) */
    bs_time stuck_after;     /* assume_balloon_driver_stuck_after (5 s) */
    bs_time step;            /* wait between iterations of a run (1 s) */
    /* Per host of the scenario: its VMs are scen.vms[first .. first + n). */
    size_t n_hosts;
    size_t *host_first, *host_n;
} sq_cfg;

/* Per VM: the Stuckness_monitor entry and the Squeezer's non_active list. */
typedef struct sq_slot {
    char *name;       /* owned; NULL when keyed by scenario index */
    const char *view_name; /* the engine's name (scenario memory), for state_dump */
    bool known;       /* has a monitor entry in this run */
    int64_t last_actual_kib;
    bs_time last_progress;
    bool stuck;
    bool non_active;  /* was in non_active_domids after the last iteration */
    bool seen;        /* scratch: among this iteration's views */
} sq_slot;

typedef enum sq_result { SQ_NONE, SQ_ADJUST, SQ_SUCCESS, SQ_FAILED } sq_result;

/* Per view, scratch for one iteration. */
typedef struct sq_dom {
    size_t slot;
    int64_t min, max, target, actual; /* KiB */
    bool can_balloon, active;
    int64_t new_target; /* KiB, from the split (active only) */
} sq_dom;

typedef struct sq_state {
    bool by_index;      /* slots are scenario VMs of one host (engine) */
    size_t first_vm;
    sq_slot *slot;
    size_t n_slots, cap_slots;
    sq_dom *dom;        /* scratch, cap_dom entries */
    size_t cap_dom;
    bool running;       /* inside a balancing run */
    sq_result result;   /* of the last iteration */
    bs_time last_now;
} sq_state;

enum { DIR_NONE, DIR_DOWN, DIR_UP };

/* direction_of_actual: which way the balloon still has to go.  Down means
 * the balloon deflates (memory_actual must rise), as in the original. */
static int direction(int64_t inacc, int64_t actual, int64_t target) {
    int64_t delta = actual - target;
    if ((delta < 0 ? -delta : delta) <= inacc) return DIR_NONE;
    return target > actual ? DIR_DOWN : DIR_UP;
}

static bool hit_target(int64_t inacc, int64_t actual, int64_t target) {
    return direction(inacc, actual, target) == DIR_NONE;
}

/* ---- configuration ---- */

static bs_rc size_kib_param(cfg_ctx *cx, const cfg_node *params, const char *path,
                            const char *key, int64_t *kib) {
    if (params == NULL) return BS_OK;
    const cfg_node *n = cfg_map_get(params, key);
    if (n == NULL) return BS_OK;
    char sub[CFG_PATH_MAX];
    cfg_path_key(sub, path, key);
    double bytes = 0;
    if (cfg_as_value(cx, n, sub, UNIT_SIZE, &bytes) != BS_OK) return BS_ERR_INPUT;
    *kib = (int64_t)floor(bytes / (double)SQ_KIB);
    return BS_OK;
}

static void sq_free_config(void *cfg) {
    sq_cfg *c = cfg;
    if (c == NULL) return;
    free(c->host_first);
    free(c->host_n);
    free(c);
}

static bs_rc sq_configure(cfg_ctx *cx, const cfg_node *params, const char *path,
                          const struct scen *sc, void **cfg) {
    *cfg = NULL;
    sq_cfg c = {.free_target_kib = 9 * 1024, .tolerance_kib = 512, .inaccuracy_kib = 4,
                .stuck_after = 5 * BS_NS_PER_S, .step = BS_NS_PER_S};
    bs_rc rc = BS_OK;
    if (params != NULL) {
        if (size_kib_param(cx, params, path, "free_target", &c.free_target_kib) != BS_OK)
            rc = BS_ERR_INPUT;
        if (size_kib_param(cx, params, path, "tolerance", &c.tolerance_kib) != BS_OK)
            rc = BS_ERR_INPUT;
        if (size_kib_param(cx, params, path, "inaccuracy", &c.inaccuracy_kib) != BS_OK)
            rc = BS_ERR_INPUT;
        if (cfg_get_time(cx, params, path, "stuck_after", false, c.stuck_after, &c.stuck_after) !=
            BS_OK)
            rc = BS_ERR_INPUT;
        if (cfg_get_time(cx, params, path, "step", false, c.step, &c.step) != BS_OK) {
            rc = BS_ERR_INPUT;
        } else if (c.step <= 0) {
            char sub[CFG_PATH_MAX];
            cfg_path_key(sub, path, "step");
            cfg_error_expected(cx, cfg_map_get(params, "step"), sub, "a time above 0, such as 1s");
            rc = BS_ERR_INPUT;
        }
    }
    if (rc != BS_OK) return rc;
    sq_cfg *p = malloc(sizeof *p);
    if (p == NULL) return BS_ERR_INTERNAL;
    *p = c;
    if (sc != NULL && sc->n_hosts > 0) {
        p->n_hosts = sc->n_hosts;
        p->host_first = malloc(sc->n_hosts * sizeof *p->host_first);
        p->host_n = malloc(sc->n_hosts * sizeof *p->host_n);
        if (p->host_first == NULL || p->host_n == NULL) {
            sq_free_config(p);
            return BS_ERR_INTERNAL;
        }
        for (size_t h = 0; h < sc->n_hosts; h++) {
            p->host_first[h] = sc->hosts[h].first_vm;
            p->host_n[h] = sc->hosts[h].n_vms;
        }
    }
    *cfg = p;
    return BS_OK;
}

/* ---- state ---- */

static bs_rc reserve_slots(sq_state *st, size_t n) {
    if (n <= st->cap_slots) return BS_OK;
    size_t cap = BS_MAX(n, 2 * st->cap_slots);
    sq_slot *s = realloc(st->slot, cap * sizeof *s);
    if (s == NULL) return BS_ERR_INTERNAL;
    memset(s + st->cap_slots, 0, (cap - st->cap_slots) * sizeof *s);
    st->slot = s;
    st->cap_slots = cap;
    return BS_OK;
}

static bs_rc reserve_dom(sq_state *st, size_t n) {
    if (n <= st->cap_dom) return BS_OK;
    size_t cap = BS_MAX(n, 2 * st->cap_dom);
    sq_dom *d = realloc(st->dom, cap * sizeof *d);
    if (d == NULL) return BS_ERR_INTERNAL;
    st->dom = d;
    st->cap_dom = cap;
    return BS_OK;
}

static void sq_free_state(void *state) {
    sq_state *st = state;
    if (st == NULL) return;
    for (size_t i = 0; i < st->n_slots; i++) free(st->slot[i].name);
    free(st->slot);
    free(st->dom);
    free(st);
}

static bs_rc sq_state_new(const void *cfg, size_t host, void **state) {
    const sq_cfg *c = cfg;
    sq_state *st = calloc(1, sizeof *st);
    if (st == NULL) return BS_ERR_INTERNAL;
    bs_rc rc = BS_OK;
    if (c != NULL && c->host_first != NULL && host < c->n_hosts) {
        st->by_index = true;
        st->first_vm = c->host_first[host];
        st->n_slots = c->host_n[host];
        rc = reserve_slots(st, st->n_slots);
        if (rc == BS_OK) rc = reserve_dom(st, st->n_slots);
    }
    if (rc != BS_OK) {
        sq_free_state(st);
        return rc;
    }
    *state = st;
    return BS_OK;
}

/* The slot of a view: by scenario index in the engine, by name otherwise
 * (`decide`, where a new name gets a new slot: the only growth, outside any
 * simulation). */
static bs_rc find_slot(sq_state *st, const pol_vm_view *v, size_t *out) {
    if (st->by_index && v->vm != SIZE_MAX) {
        assert(v->vm >= st->first_vm && v->vm - st->first_vm < st->n_slots);
        *out = v->vm - st->first_vm;
        st->slot[*out].view_name = v->name;
        return BS_OK;
    }
    const char *name = v->name != NULL ? v->name : "";
    for (size_t i = 0; i < st->n_slots; i++)
        if (st->slot[i].name != NULL && strcmp(st->slot[i].name, name) == 0) {
            *out = i;
            return BS_OK;
        }
    bs_rc rc = reserve_slots(st, st->n_slots + 1);
    if (rc != BS_OK) return rc;
    sq_slot *s = &st->slot[st->n_slots];
    *s = (sq_slot){0};
    s->name = strdup(name);
    if (s->name == NULL) return BS_ERR_INTERNAL;
    s->view_name = s->name;
    *out = st->n_slots++;
    return BS_OK;
}

/* A new Squeezer: no monitor entries, nobody non-active. */
static void fresh_run(sq_state *st) {
    for (size_t i = 0; i < st->n_slots; i++) {
        st->slot[i].known = false;
        st->slot[i].stuck = false;
        st->slot[i].non_active = false;
    }
}

/* ---- one iteration (Squeezer.one_iteration) ---- */

typedef struct sq_goal {
    int64_t host_target_kib;
    bool balance;        /* success = is_balanced; else free >= host_target */
} sq_goal;

static bool success_of(const sq_cfg *c, const sq_goal *g, int64_t free_kib) {
    if (g->balance) return free_kib - c->free_target_kib < c->tolerance_kib;
    return free_kib >= g->host_target_kib;
}

/* Stuckness_monitor.update over every domain on the host. */
static void monitor_update(const sq_cfg *c, sq_state *st, const sq_dom *dom, size_t n,
                           bs_time now) {
    for (size_t i = 0; i < n; i++) {
        const sq_dom *d = &dom[i];
        sq_slot *s = &st->slot[d->slot];
        int dir = direction(c->inaccuracy_kib, d->actual, d->target);
        if (!s->known) { /* new domains are making progress now, not stuck */
            s->known = true;
            s->last_actual_kib = d->actual;
            s->last_progress = now;
            s->stuck = false;
        }
        int64_t delta = d->actual - s->last_actual_kib;
        s->last_actual_kib = d->actual;
        bool progress = (delta > 0 && dir == DIR_DOWN) || (delta < 0 && dir == DIR_UP);
        if (progress) {
            s->last_progress = now;
            s->stuck = false;
        }
        if (dir != DIR_NONE && now - s->last_progress > c->stuck_after) s->stuck = true;
    }
    /* Domains that are gone lose their entry (and their non_active mark). */
    for (size_t i = 0; i < st->n_slots; i++)
        if (!st->slot[i].seen) {
            st->slot[i].known = false;
            st->slot[i].stuck = false;
            st->slot[i].non_active = false;
        }
}

/* Proportional.compute_target_adjustments over the active domains: sets
 * dom[i].new_target. */
static void split(const sq_cfg *c, sq_dom *dom, size_t n, int64_t free_kib,
                     int64_t host_target_kib) {
    int64_t max_free = free_kib, total_range = 0;
    for (size_t i = 0; i < n; i++) {
        if (!dom[i].active) continue;
        /* min_freeable: what setting target = dynamic-min surely frees */
        max_free += BS_MAX(0, dom[i].actual - dom[i].min - 2 * c->inaccuracy_kib);
        total_range += BS_MAX(0, dom[i].max - dom[i].min);
    }
    int64_t surplus = BS_MAX(0, max_free - host_target_kib);
    /* gamma' = surplus / total_range, then `constrain 0. 1.`: above 1 is 1
     * (+inf too), NaN (0/0) is 0.  With no range at all every target is its
     * dynamic-min whatever gamma is, so the division is skipped there. */
    double gamma = 0.0;
    if (total_range > 0) {
        double g = (double)surplus / (double)total_range;
        gamma = g < 0.0 ? 0.0 : g > 1.0 ? 1.0 : g;
    }
    for (size_t i = 0; i < n; i++) {
        if (!dom[i].active) continue;
        int64_t range = BS_MAX(0, dom[i].max - dom[i].min);
        dom[i].new_target = dom[i].min + (int64_t)(gamma * (double)range);
    }
}

/* One iteration at `now`.  Fills targets[] (bytes) with what it sets and
 * returns the outcome. */
static sq_result iterate(const sq_cfg *c, sq_state *st, bs_time now, int64_t free_kib,
                         const sq_goal *g, size_t n, int64_t *targets) {
    sq_dom *dom = st->dom;
    monitor_update(c, st, dom, n, now);

    /* 1. active = can balloon and not stuck; who became inactive now */
    for (size_t i = 0; i < n; i++) {
        sq_slot *s = &st->slot[dom[i].slot];
        dom[i].active = dom[i].can_balloon && !s->stuck;
    }
    /* 2. the split */
    split(c, dom, n, free_kib, g->host_target_kib);

    /* two phases: while any domain must free memory, only those move */
    bool freeing_phase = false;
    for (size_t i = 0; i < n; i++)
        if (dom[i].active && !hit_target(c->inaccuracy_kib, dom[i].actual, dom[i].new_target) &&
            dom[i].new_target < dom[i].actual)
            freeing_phase = true;
    bool all_reached = true, no_changes = true;
    for (size_t i = 0; i < n; i++) {
        sq_dom *d = &dom[i];
        if (!d->active) continue;
        if (!hit_target(c->inaccuracy_kib, d->actual, d->target)) all_reached = false;
        bool chosen = !freeing_phase ||
                      (!hit_target(c->inaccuracy_kib, d->actual, d->new_target) &&
                       d->new_target < d->actual);
        if (!chosen) {
            d->new_target = -1; /* not in this phase's actions */
            continue;
        }
        if (d->new_target != d->target) no_changes = false;
    }
    bool success = success_of(c, g, free_kib);
    sq_result res = (!all_reached || !no_changes) ? SQ_ADJUST : success ? SQ_SUCCESS : SQ_FAILED;

    for (size_t i = 0; i < n; i++) {
        sq_dom *d = &dom[i];
        sq_slot *s = &st->slot[d->slot];
        bool non_active = !d->active;
        bool declared_inactive = non_active && !s->non_active;
        s->non_active = non_active;
        if (declared_inactive && d->can_balloon) {
            /* CA-41832: an inactive domain keeps min(target, actual), within
             * its dynamic range, so it cannot wake up and take memory. */
            int64_t ideal = BS_MIN(d->target, d->actual);
            targets[i] = BS_MIN(d->max, BS_MAX(d->min, ideal)) * SQ_KIB;
        } else if (res == SQ_ADJUST && d->active && d->new_target >= 0) {
            targets[i] = d->new_target * SQ_KIB;
        }
    }
    return res;
}

/* is_host_memory_unbalanced: a fresh Squeezer's first iteration would set
 * some target to a new value. */
static bool unbalanced(const sq_cfg *c, sq_state *st, bs_time now, int64_t free_kib,
                       const sq_goal *g, size_t n, int64_t *targets) {
    fresh_run(st);
    sq_result r = iterate(c, st, now, free_kib, g, n, targets);
    bool changes = false;
    for (size_t i = 0; i < n; i++) {
        if (r == SQ_ADJUST && st->dom[i].active && st->dom[i].new_target >= 0 &&
            st->dom[i].new_target != st->dom[i].target)
            changes = true;
        targets[i] = POL_LEAVE; /* a check sets nothing */
    }
    return changes;
}

/* Xen's free memory: what no domain holds.  Xen allocates a domain's whole
 * memory_actual, so free <= memory - reserved - sum(actual); the host view's
 * `free` also counts pages a guest never touched (a KVM-style host), which a
 * Xen host could never hand out.  The smaller of the two is what squeezed
 * would read; for a snapshot that describes a Xen host it is `free` itself. */
static int64_t xen_free(const pol_host_view *host, const pol_vm_view *vms, size_t n) {
    int64_t left = host->memory - BS_MAX(host->reserved, 0);
    for (size_t i = 0; i < n; i++) left -= BS_MAX(vms[i].actual, 0);
    return BS_MAX(0, BS_MIN(host->free, left));
}

static bs_rc sq_decide(const void *cfg, void *state, bs_time now, const pol_host_view *host,
                       const pol_vm_view *vms, size_t n, int64_t *targets) {
    static const sq_cfg dflt = {.free_target_kib = 9 * 1024, .tolerance_kib = 512,
                                .inaccuracy_kib = 4, .stuck_after = 5 * BS_NS_PER_S,
                                .step = BS_NS_PER_S};
    const sq_cfg *c = cfg != NULL ? cfg : &dflt;
    sq_state tmp = {0};
    sq_state *st = state != NULL ? state : &tmp;
    bs_rc rc = reserve_dom(st, n);

    for (size_t i = 0; i < st->n_slots; i++) st->slot[i].seen = false;
    for (size_t i = 0; i < n && rc == BS_OK; i++) {
        const pol_vm_view *v = &vms[i];
        sq_dom *d = &st->dom[i];
        rc = find_slot(st, v, &d->slot);
        if (rc != BS_OK) break;
        st->slot[d->slot].seen = true;
        d->min = v->min / SQ_KIB;
        d->max = v->max / SQ_KIB;
        d->target = v->target / SQ_KIB;
        d->actual = v->actual / SQ_KIB;
        d->can_balloon = v->balloon && !v->locked && v->shares != 0;
        d->active = false;
        d->new_target = -1;
    }
    if (rc == BS_OK) {
        int64_t free_kib = xen_free(host, vms, n) / SQ_KIB;
        int64_t request_kib = BS_MAX(host->request, 0) / SQ_KIB;
        sq_goal g = {.host_target_kib = request_kib + c->free_target_kib,
                     .balance = request_kib == 0};
        st->last_now = now;
        bool go = st->running;
        if (!go && g.balance) {
            /* the balance thread: run only when the host is unbalanced */
            go = unbalanced(c, st, now, free_kib, &g, n, targets);
            if (!go) fresh_run(st); /* the check's monitor is thrown away */
        } else if (!go) {
            /* change_host_free_memory skips the loop when the memory is
             * already free and every balloonable domain is at its target */
            bool all_reached = true;
            for (size_t i = 0; i < n; i++)
                if (st->dom[i].can_balloon &&
                    !hit_target(c->inaccuracy_kib, st->dom[i].actual, st->dom[i].target))
                    all_reached = false;
            go = !(g.host_target_kib <= free_kib && all_reached);
        }
        if (go) {
            if (!st->running) fresh_run(st);
            st->result = iterate(c, st, now, free_kib, &g, n, targets);
            st->running = st->result == SQ_ADJUST;
        } else {
            st->result = SQ_NONE;
        }
    }
    if (st == &tmp) {
        for (size_t i = 0; i < tmp.n_slots; i++) free(tmp.slot[i].name);
        free(tmp.slot);
        free(tmp.dom);
    }
    return rc;
}

static bs_time sq_next_tick(const void *cfg, void *state, size_t host, bs_time now,
                            bs_time interval) {
    (void)host;
    const sq_cfg *c = cfg;
    const sq_state *st = state;
    if (now < 0) return interval;
    if (st != NULL && st->running && c != NULL) return now + c->step;
    return now + interval;
}

/* ---- policy_state for `decide` ----
 * {"running": bool, "result": "none|adjust|success|failed",
 *  "vms": {NAME: {"actual": bytes, "stalled_for": seconds, "stuck": bool,
 *                 "inactive": bool}}}
 * Only VMs with a monitor entry (in a run) are listed.  stalled_for is the
 * time since the VM last moved towards its target, as of the last decision:
 * times are relative, because `decide` decides at now = 0 every time. */

static const char *const result_names[] = {"none", "adjust", "success", "failed"};

static void print_seconds(FILE *f, bs_time ns) {
    /* exact: whole seconds, then up to 9 decimals without trailing zeros */
    if (ns < 0) {
        fputc('-', f);
        ns = -ns;
    }
    long long s = (long long)(ns / BS_NS_PER_S), frac = (long long)(ns % BS_NS_PER_S);
    if (frac == 0) {
        fprintf(f, "%lld", s);
        return;
    }
    char buf[16];
    snprintf(buf, sizeof buf, "%09lld", frac);
    size_t len = strlen(buf);
    while (len > 0 && buf[len - 1] == '0') buf[--len] = '\0';
    fprintf(f, "%lld.%s", s, buf);
}

static void sq_state_dump(FILE *f, const void *state) {
    const sq_state *st = state;
    fputs("{\"running\": ", f);
    fputs(st->running ? "true" : "false", f);
    fprintf(f, ", \"result\": \"%s\", \"vms\": {", result_names[st->result]);
    bool first = true;
    for (size_t i = 0; i < st->n_slots; i++) {
        const sq_slot *s = &st->slot[i];
        if (!s->known) continue;
        fputs(first ? "" : ", ", f);
        first = false;
        txt_json_string(f, s->view_name != NULL ? s->view_name : "");
        fprintf(f, ": {\"actual\": %lld, \"stalled_for\": ", (long long)(s->last_actual_kib * SQ_KIB));
        print_seconds(f, st->last_now - s->last_progress);
        fprintf(f, ", \"stuck\": %s, \"inactive\": %s}", s->stuck ? "true" : "false",
                s->non_active ? "true" : "false");
    }
    fputs("}}", f);
}

static bs_rc load_vm(cfg_ctx *cx, const cfg_node *node, const char *path, sq_slot *s) {
    bs_rc rc = cfg_expect_map(cx, node, path);
    if (rc != BS_OK) return rc;
    const cfg_node *a = cfg_map_get(node, "actual");
    char sub[CFG_PATH_MAX];
    if (a != NULL) {
        double bytes = 0;
        cfg_path_key(sub, path, "actual");
        if (cfg_as_value(cx, a, sub, UNIT_SIZE, &bytes) != BS_OK) rc = BS_ERR_INPUT;
        else s->last_actual_kib = (int64_t)floor(bytes / (double)SQ_KIB);
    } else {
        cfg_error(cx, node, path, "missing required key 'actual'");
        rc = BS_ERR_INPUT;
    }
    bs_time stalled = 0;
    if (cfg_get_time(cx, node, path, "stalled_for", false, 0, &stalled) != BS_OK) rc = BS_ERR_INPUT;
    s->last_progress = -stalled; /* relative to the next decision at now = 0 */
    if (cfg_get_bool(cx, node, path, "stuck", false, false, &s->stuck) != BS_OK) rc = BS_ERR_INPUT;
    if (cfg_get_bool(cx, node, path, "inactive", false, false, &s->non_active) != BS_OK)
        rc = BS_ERR_INPUT;
    cfg_check_unknown(cx, node, path, "actual, stalled_for, stuck, inactive");
    for (size_t i = 0; i < node->n; i++)
        if (!node->entries[i].used) rc = BS_ERR_INPUT;
    s->known = true;
    return rc;
}

static bs_rc sq_state_load(cfg_ctx *cx, const cfg_node *node, const char *path, void *state) {
    sq_state *st = state;
    if (node == NULL) return BS_OK;
    if (cfg_expect_map(cx, node, path) != BS_OK) return BS_ERR_INPUT;
    bs_rc rc = BS_OK;
    if (cfg_get_bool(cx, node, path, "running", false, false, &st->running) != BS_OK)
        rc = BS_ERR_INPUT;
    const char *result = "none";
    if (cfg_get_string(cx, node, path, "result", false, "none", &result) != BS_OK) {
        rc = BS_ERR_INPUT;
    } else {
        bool found = false;
        for (int r = SQ_NONE; r <= SQ_FAILED; r++)
            if (strcmp(result, result_names[r]) == 0) {
                st->result = (sq_result)r;
                found = true;
            }
        if (!found) {
            char sub[CFG_PATH_MAX];
            cfg_path_key(sub, path, "result");
            cfg_error_expected(cx, cfg_map_get(node, "result"), sub,
                               "one of: none, adjust, success, failed");
            rc = BS_ERR_INPUT;
        }
    }
    const cfg_node *vmsn = cfg_map_get(node, "vms");
    if (vmsn != NULL && !cfg_is_null(vmsn)) {
        char vpath[CFG_PATH_MAX];
        cfg_path_key(vpath, path, "vms");
        if (cfg_expect_map(cx, vmsn, vpath) != BS_OK) return BS_ERR_INPUT;
        for (size_t i = 0; i < vmsn->n; i++) {
            vmsn->entries[i].used = true;
            pol_vm_view key = {.name = vmsn->entries[i].key, .vm = SIZE_MAX};
            size_t k = 0;
            bs_rc r = find_slot(st, &key, &k);
            if (r == BS_ERR_INTERNAL) return r;
            char ipath[CFG_PATH_MAX];
            cfg_path_key(ipath, vpath, vmsn->entries[i].key);
            if (load_vm(cx, vmsn->entries[i].val, ipath, &st->slot[k]) != BS_OK) rc = BS_ERR_INPUT;
        }
    }
    return rc;
}

static const pol_param sq_params[] = {
    {"free_target", "9MiB", "size",
     "host memory kept free (target_host_free_mem_kib: 1 MiB emergency pool + 8 MiB; "
     "72MiB since CA-423173)"},
    {"tolerance", "512KiB", "size",
     "the host counts as balanced while free - free_target is below this"},
    {"inaccuracy", "4KiB", "size", "how far actual may stay from target and count as reached"},
    {"stuck_after", "5s", "time",
     "a driver with work to do that has not moved towards its target for longer is stuck "
     "and left out"},
    {"step", "1s", "time", "wait between iterations of a balancing run"},
    {NULL, NULL, NULL, NULL},
};

const pol_type pol_squeeze = {
    .name = "squeeze",
    .description = "Xen squeezed (xen-api squeeze.ml): every interval, if the host is "
                   "unbalanced, runs iterations every step until done: every balloonable VM "
                   "at the same fraction of its [min, max] range, free_target kept free (plus "
                   "host.request), memory freed before any is handed out, drivers that do not "
                   "move for stuck_after left out",
    .params = sq_params,
    .default_interval = 10 * BS_NS_PER_S,
    .default_stats_interval = BS_NS_PER_S,
    .configure = sq_configure,
    .free_config = sq_free_config,
    .state_new = sq_state_new,
    .free_state = sq_free_state,
    .decide = sq_decide,
    .next_tick = sq_next_tick,
    .state_load = sq_state_load,
    .state_dump = sq_state_dump,
};
