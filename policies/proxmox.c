/* proxmox.c -- Proxmox VE's automatic ballooning, decision for decision.
 *
 * Users who run Proxmox want to know what pvestatd will do to their guests,
 * so this is a transcription of its algorithm, not a model of it.  Sources
 * (proxmox/pve-manager):
 *   - PVE/Service/pvestatd.pm, auto_balloning(): every 10 s ($updatetime),
 *     goal = int(memtotal * target / 100 - memused), target the node's
 *     `ballooning-target` (default 80, an integer percent; older releases
 *     wrote memtotal * 0.8), memused = MemTotal - MemAvailable
 *     (PVE::ProcFSTools::read_meminfo), maxchange = 100 MiB; a VM is set only
 *     when int(result) != int(current).
 *   - PVE/AutoBalloon.pm, compute_alg1(): the split itself (below).
 *   - test/balloontest.pl: its cases are tests/test_pol_proxmox.c.
 *   - qemu-server PVE/QemuServer.pm, vmstatus(): what each VM field means:
 *     balloon = query-balloon `actual`, freemem = the guest's MemFree
 *     (stat-free-memory), balloon_min = the config's `balloon` (absent or 0:
 *     no auto-ballooning), maxmem = `memory`, shares (default 1000).
 *
 * compute_alg1, as the Perl does it:
 *   - VMs taken part: balloon driver running (actual > 0), a minimum set
 *     (min > 0), not being migrated (locked), shares != 0.  Of those,
 *     "relaxed" VMs have freemem > 25 % of their minimum and actual >= min;
 *     all others are "pressured".
 *   - |goal| <= 10 MiB: nothing (dead band).
 *   - goal > 0: hand `goal` out among the pressured VMs; if that moved
 *     nothing (rest >= goal), among all of them.  goal < 0: take it from the
 *     relaxed VMs first, then from all if nothing moved.
 *   - Handing out (change_func) is a loop of passes.  Each pass computes,
 *     for every VM not yet done, desired = min + int(alloc_new / shares_total
 *     * shares), alloc_new = sum(res - min) + rest, i.e. shares split only the
 *     memory above each VM's minimum; desired is clamped to [min, max]; the
 *     VM moves towards it by at most maxchange from its ACTUAL size (so one
 *     run never moves a VM by more than maxchange however many passes run); a
 *     VM already at its desired size is done.  Passes repeat while memory is
 *     left over, something was clamped or moved, and some VM made progress.
 *
 * Quirks copied on purpose (users' hosts behave this way): while growing, a
 * VM whose share is below its current size is shrunk (the grow step checks
 * the sign of the goal, the shrink step does not); a VM's result from an
 * earlier pass is kept even when a later pass finds it done;
 * desired uses Perl's floating-point division and int() truncation, which
 * C's double arithmetic and (int64_t) cast reproduce exactly for sizes below
 * 2^53 bytes.  Perl walks its hashes in random order; every pass is
 * order-independent (desired depends only on the pass's totals, each step
 * only on the VM's actual size), so iterating in view order changes nothing.
 *
 * Not taken from the original: "VMs boot at their minimum" is how PVE starts
 * a ballooning guest; in a scenario that is `start_memory: <min>` on the VM
 * (docs/policies.md says so), not something a policy can do.
 *
 * The policy carries no state between runs, as pvestatd carries none; the
 * per-host "state" only holds scratch space so that decide() never allocates
 * (sized at setup from the scenario, grown once for `decide` snapshots). */
#include "policies/pol.h"
#include "sim/scenario.h"
#include "sim/base/units.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>

#define PVE_MIB (1024LL * 1024LL)

typedef struct pve_cfg {
    double target_pct;  /* ballooning-target, percent (80) */
    int64_t maxchange;  /* bytes a VM may move in one run (100 MiB) */
    int64_t deadband;   /* |goal| at or below this: do nothing (10 MiB) */
    double relaxed_free; /* freemem above this fraction of min: relaxed (0.25) */
    size_t max_vms;     /* most VMs on one host (0: unknown) */
} pve_cfg;

/* One VM's working values during a run (the Perl's %$res and %$done_hash). */
typedef struct pve_slot {
    int64_t res;   /* valid when has_res */
    bool has_res;
    bool done;     /* done_hash of the current change_func call */
    bool managed;  /* in @$idlist */
    bool pressured; /* in @$idlist1 (else, when managed, in @$idlist2) */
} pve_slot;

typedef struct pve_state {
    pve_slot *slot;
    size_t cap;
} pve_state;

/* Which VMs a change_func call walks. */
typedef enum pve_list { PVE_PRESSURED, PVE_RELAXED, PVE_ALL } pve_list;

/* ---- configuration ---- */

/* A size parameter in exact bytes (`--set maxchange=100MB` means 100000000
 * bytes, as PVE reads it). */
static bs_rc size_param(cfg_ctx *cx, const cfg_node *params, const char *path, const char *key,
                        int64_t *out) {
    if (params == NULL) return BS_OK;
    return cfg_get_bytes(cx, params, path, key, false, *out, out);
}

static bs_rc pve_configure(cfg_ctx *cx, const cfg_node *params, const char *path,
                           const struct scen *sc, void **cfg) {
    *cfg = NULL;
    pve_cfg c = {.target_pct = 80, .maxchange = 100 * PVE_MIB, .deadband = 10 * PVE_MIB,
                 .relaxed_free = 0.25};
    bs_rc rc = BS_OK;
    if (params != NULL) {
        double frac = 0.8;
        if (cfg_get_fraction(cx, params, path, "target", false, 0.8, &frac) != BS_OK)
            rc = BS_ERR_INPUT;
        /* PVE keeps ballooning-target as a whole percent and computes
         * memtotal * pct / 100: 77.5 % acts as 77 % there, so it does here
         * (docs/policies.md).  80 % parses as 0.8, and 0.8 * 100 must be 80,
         * not 79.99999999999999 truncated to 79. */
        double pct = frac * 100.0;
        c.target_pct = fabs(pct - nearbyint(pct)) < 1e-9 ? nearbyint(pct) : floor(pct);
        if (size_param(cx, params, path, "maxchange", &c.maxchange) != BS_OK) rc = BS_ERR_INPUT;
        if (size_param(cx, params, path, "deadband", &c.deadband) != BS_OK) rc = BS_ERR_INPUT;
        if (cfg_get_fraction(cx, params, path, "relaxed_free", false, 0.25, &c.relaxed_free) !=
            BS_OK)
            rc = BS_ERR_INPUT;
    }
    if (rc != BS_OK) return rc;
    if (sc != NULL)
        for (size_t h = 0; h < sc->n_hosts; h++) c.max_vms = BS_MAX(c.max_vms, sc->hosts[h].n_vms);
    pve_cfg *p = malloc(sizeof *p);
    if (p == NULL) return BS_ERR_INTERNAL;
    *p = c;
    *cfg = p;
    return BS_OK;
}

static void pve_free_config(void *cfg) { free(cfg); }

static bs_rc reserve(pve_state *st, size_t n) {
    if (n <= st->cap) return BS_OK;
    pve_slot *s = realloc(st->slot, n * sizeof *s);
    if (s == NULL) return BS_ERR_INTERNAL;
    st->slot = s;
    st->cap = n;
    return BS_OK;
}

static bs_rc pve_state_new(const void *cfg, size_t host, void **state) {
    (void)host;
    const pve_cfg *c = cfg;
    pve_state *st = calloc(1, sizeof *st);
    if (st == NULL) return BS_ERR_INTERNAL;
    if (reserve(st, c != NULL ? c->max_vms : 0) != BS_OK) {
        free(st);
        return BS_ERR_INTERNAL;
    }
    *state = st;
    return BS_OK;
}

static void pve_free_state(void *state) {
    pve_state *st = state;
    if (st == NULL) return;
    free(st->slot);
    free(st);
}

/* ---- the algorithm ---- */

/* pvestatd: goal = int(memtotal * target / 100 - memused), memused =
 * MemTotal - MemAvailable.  Perl multiplies the integers exactly, divides
 * and subtracts in doubles (exactly when the quotient is whole) and int()
 * truncates towards zero: the same doubles here give the same bytes while
 * memtotal * target stays below 2^53. */
static int64_t goal_of(const pve_cfg *c, const pol_host_view *h) {
    int64_t used = h->memory - h->available;
    double g = (double)h->memory * c->target_pct / 100.0 - (double)used;
    if (g >= 9.2e18) return INT64_MAX;
    if (g <= -9.2e18) return -INT64_MAX;
    return (int64_t)g; /* truncation, as Perl's int() */
}

/* Shares as compute_alg1 weighs them: `$d->{shares} || 1000`. */
static int64_t weight(const pol_vm_view *v) { return v->shares ? v->shares : 1000; }

static bool in_list(const pve_slot *s, pve_list which) {
    if (!s->managed) return false;
    if (which == PVE_ALL) return true;
    return (which == PVE_PRESSURED) == s->pressured;
}

static int64_t current(const pve_slot *s, const pol_vm_view *v) {
    return s->has_res ? s->res : v->actual;
}

/* change_func($res, $idlist, $bytes): returns what is left of `bytes`. */
static int64_t change(const pve_cfg *c, pve_slot *slot, const pol_vm_view *vms, size_t n,
                      pve_list which, int64_t bytes) {
    int64_t rest = bytes;
    bool repeat = true;
    int64_t progress = 1;
    for (size_t i = 0; i < n; i++) slot[i].done = false;

    while (rest != 0 && repeat && progress != 0) {
        repeat = false;
        progress = 0;
        int64_t shares_total = 0, alloc_old = 0;
        for (size_t i = 0; i < n; i++) {
            if (!in_list(&slot[i], which) || slot[i].done) continue;
            alloc_old += current(&slot[i], &vms[i]) - vms[i].min;
            shares_total += weight(&vms[i]);
        }
        int64_t changes = 0;
        int64_t alloc_new = alloc_old + rest;
        for (size_t i = 0; i < n; i++) {
            pve_slot *s = &slot[i];
            const pol_vm_view *d = &vms[i];
            if (!in_list(s, which) || s->done) continue;
            /* Only reached with a VM in the list, so shares_total > 0. */
            double share = (double)alloc_new / (double)shares_total * (double)weight(d);
            int64_t desired = d->min + (int64_t)share;
            if (desired > d->max) {
                desired = d->max;
                repeat = true;
            } else if (desired < d->min) {
                desired = d->min;
                repeat = true;
            }
            int64_t balloon;
            if (bytes > 0 && desired - d->actual > 0) { /* grow */
                int64_t nw = d->actual + c->maxchange;
                balloon = nw > desired ? desired : nw;
            } else if (desired - d->actual < 0) { /* shrink */
                int64_t nw = d->actual - c->maxchange;
                balloon = nw > desired ? nw : desired;
            } else {
                s->done = true;
                continue;
            }
            int64_t diff = balloon - d->actual;
            if (diff != 0) {
                int64_t old = current(s, d);
                s->res = balloon;
                s->has_res = true;
                int64_t ch = balloon - old;
                if (ch != 0) {
                    changes += ch;
                    progress += diff > 0 ? diff : -diff;
                    repeat = true;
                }
            }
        }
        rest -= changes;
    }
    return rest;
}

static bs_rc pve_decide(const void *cfg, void *state, bs_time now, const pol_host_view *host,
                        const pol_vm_view *vms, size_t n, int64_t *targets) {
    (void)now;
    static const pve_cfg dflt = {.target_pct = 80, .maxchange = 100 * PVE_MIB,
                                 .deadband = 10 * PVE_MIB, .relaxed_free = 0.25};
    const pve_cfg *c = cfg != NULL ? cfg : &dflt;
    pve_state tmp = {0};
    pve_state *st = state != NULL ? state : &tmp; /* a caller without state_new */
    bs_rc rc = reserve(st, n);
    if (rc != BS_OK) return rc;
    pve_slot *slot = st->slot;

    for (size_t i = 0; i < n; i++) {
        const pol_vm_view *v = &vms[i];
        pve_slot *s = &slot[i];
        *s = (pve_slot){0};
        /* compute_alg1's skips: no running balloon driver ($d->{balloon} is
         * the query-balloon actual: absent or 0), no `balloon:` minimum in the
         * config, a migration lock, shares set to 0. */
        if (!v->balloon || v->actual == 0 || v->min == 0 || v->locked || v->shares == 0) continue;
        s->managed = true;
        /* freemem && freemem > balloon_min * 0.25 && balloon >= balloon_min */
        bool relaxed = v->free != 0 && (double)v->free > (double)v->min * c->relaxed_free &&
                       v->actual >= v->min;
        s->pressured = !relaxed;
    }

    int64_t goal = goal_of(c, host);
    if (goal > c->deadband) {
        /* prioritise VMs with memory pressure; nobody moved: all of them */
        int64_t rest = change(c, slot, vms, n, PVE_PRESSURED, goal);
        if (rest >= goal) change(c, slot, vms, n, PVE_ALL, rest);
    } else if (goal < -c->deadband) {
        /* prioritise VMs with enough free memory; nobody moved: all of them */
        int64_t rest = change(c, slot, vms, n, PVE_RELAXED, goal);
        if (rest <= goal) change(c, slot, vms, n, PVE_ALL, rest);
    }

    /* pvestatd sets a VM only when int(result) != int(current). */
    for (size_t i = 0; i < n; i++)
        if (slot[i].has_res && slot[i].res != vms[i].actual) targets[i] = slot[i].res;
    free(tmp.slot);
    return BS_OK;
}

static const pol_param pve_params[] = {
    {"target", "80%", "fraction",
     "keep host memory use (MemTotal - MemAvailable) at this share of MemTotal: the node's "
     "ballooning-target"},
    {"maxchange", "100MiB", "size", "most a VM's size may move in one run (from its actual size)"},
    {"deadband", "10MiB", "size", "do nothing while |goal| is at most this"},
    {"relaxed_free", "25%", "fraction",
     "a VM whose guest free memory exceeds this share of its min (and whose actual is at least "
     "min) is shrunk first and grown last; the others are grown first"},
    {NULL, NULL, NULL, NULL},
};

const pol_type pol_proxmox = {
    .name = "proxmox",
    .description = "Proxmox VE auto-ballooning (pvestatd + AutoBalloon.pm compute_alg1): every "
                   "10 s moves host memory use towards target% of RAM, goal split by shares over "
                   "the memory above each VM's min, at most maxchange per VM per run, pressured "
                   "VMs grow first and relaxed VMs shrink first; VMs with min 0 or shares 0 are "
                   "left alone",
    .params = pve_params,
    .default_interval = 10 * BS_NS_PER_S,
    .configure = pve_configure,
    .free_config = pve_free_config,
    .state_new = pve_state_new,
    .free_state = pve_free_state,
    .decide = pve_decide,
};
