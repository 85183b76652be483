/* qmemman.c -- Qubes OS's memory balancer (qmemman), decision for decision.
 *
 * Qubes runs one daemon in dom0 that shares the host's memory among the
 * domains (QubesOS/qubes-core-admin, qubes/qmemman/).  This file follows it
 * step by step, because users compare it with what their Qubes machine does:
 *
 *   - algo.py: prefmem() = used * 1.3 (CACHE_FACTOR), at least 200 MiB
 *     (MIN_PREFMEM), capped at the domain's maximum; dom0 gets +350 MiB
 *     (DOM0_MEM_BOOST) and no floor.  memory_needed() = prefmem - actual.
 *     balance(): when the free memory covers every need, each domain gets
 *     prefmem plus a prefmem-proportional share of what is left, times 0.999,
 *     and what a maximum cuts off goes round the others
 *     (balance_when_enough_memory); otherwise donors are cut to prefmem and
 *     acceptors share what is left (balance_when_low_on_memory).  balloon():
 *     the donors that free memory for a request, with 5 % to spare.
 *   - systemstate.py: do_balance() keeps 50 MiB of Xen memory free
 *     (XEN_FREE_MEM_LEFT); memory that is assigned but not yet taken does not
 *     count as free (get_free_xen_memory); a balance is skipped when it moves
 *     less than 150 MiB in total (is_balance_req_significant); donors are
 *     set before acceptors, and an acceptor is only given memory once the
 *     donors have freed it (checked every 100 ms, at most 5 times, then the
 *     domains that did not move are marked and dropped from balancing);
 *     do_balloon() frees memory for a request, 100 ms per round, and drops
 *     domains that do not move.
 *   - meminfo-writer.c (QubesOS/qubes-linux-utils, qmemman/): the guest side.
 *     Every 100 ms it computes used = MemTotal - MemFree - Cached - Buffers +
 *     SwapTotal - SwapFree (KiB) and writes it only when it moved by more
 *     than 30000 KiB, or by more than half that when growing close to the
 *     domain's memory; qmemman rebalances when a domain writes, or when a
 *     domain appears or goes away, not on a clock.
 *
 * Mapping to what a policy sees (docs/model.md): MemTotal is `actual` (the writer
 * reads Xen's current_kb), MemFree `free`, Cached + Buffers `cache`, and the
 * guest swap in use is committed - actual when `committed` is reported (the
 * simulated guest swaps exactly the working set that does not fit; without
 * `committed`, 0).  In the simulator this makes `used` the working set D.
 * Xen's free memory is the smaller of the host's free memory and memory -
 * reserved - the actual memory of every running VM: Xen hands each domain its
 * memory in full, whereas the simulated host backs only the pages a guest has
 * touched, and qmemman must not give away what its guests already hold.
 * MEM_OVERHEAD_FACTOR is left out (phys_free() says why), and so are the
 * 16 MiB that mem_set() subtracts for the guest's own view of its target.
 *
 * One tick is one 100 ms round of the daemon (default interval and stats
 * interval 100 ms, as the writer's delay): writers run in every guest, then
 * the daemon carries on with what it was doing (waiting for donors, serving
 * a request) or rebalances if a domain wrote or the domain list changed.
 * Several writes in one tick give one balance.  VMs whose balloon is
 * disabled, whose shares are 0 or that are locked have no writer (qmemman
 * leaves them alone) but their memory still counts.
 *
 * Python's float arithmetic is reproduced with the same IEEE doubles, in
 * the same order, and int() is C's truncating cast, so targets match the
 * original to the byte (tests reproduce qubes/tests/qmemman.py).  Quirks
 * copied on purpose, see docs/policies.md (`qmemman`): balance_when_low_on_memory
 * subtracts what donors give from the memory acceptors share; inhibit_balloon_up
 * can never fire; a target the original computes below 0 (Xen rejects it)
 * is recorded as last_target but not applied. */
#include "policies/pol.h"
#include "sim/base/text.h"
#include "sim/report/output.h"
#include "sim/scenario.h"

#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define QM_MIB (1024LL * 1024)

/* systemstate.py */
#define QM_FREE_LEFT (50 * QM_MIB)         /* XEN_FREE_MEM_LEFT */
#define QM_FREE_MIN (25 * QM_MIB)          /* XEN_FREE_MEM_MIN */
#define QM_MIN_TRANSFER (150 * QM_MIB)     /* MIN_TOTAL_MEMORY_TRANSFER */
#define QM_MIN_UNDER_PREF (15 * QM_MIB)    /* MIN_MEM_CHANGE_WHEN_UNDER_PREF */
#define QM_NTRIES 5                        /* do_balance: rounds waiting for donors */
#define QM_CHECK_PERIOD 30                 /* do_balloon: CHECK_PERIOD_S / BALOON_DELAY */
#define QM_CHECK_DELTA (3 * 100 * QM_MIB)  /* CHECK_PERIOD_S * CHECK_MB_S MiB */
#define QM_INHIBIT_MARGIN (200 * 1024)     /* inhibit_balloon_up */
/* algo.py */
#define QM_SAFETY 1.05                     /* REQ_SAFETY_NET_FACTOR */
#define QM_DONOR_MIN (10 * QM_MIB)         /* balance_when_low_on_memory */
#define QM_ROUNDING 0.999                  /* "prevent rounding errors" */

/* Inputs are clamped to 2^52 bytes (4 PiB): doubles then hold them exactly
 * and sums over any realistic host cannot overflow. */
#define QM_MAX_BYTES (1LL << 52)

#define QM_NONE INT64_MIN /* no value (Python None) */

typedef struct qm_cfg {
    int64_t min_prefmem;  /* vm-min-mem */
    int64_t dom0_boost;   /* dom0-mem-boost */
    double cache_factor;  /* cache-margin-factor */
    int64_t threshold_kb; /* meminfo-writer's first argument */
    char *dom0;           /* the VM treated as dom0 ("" none) */
    pol_hosts hosts; /* with a scenario: where each host's VMs are */
} qm_cfg;

/* One domain, as qmemman's DomainState plus its guest's meminfo-writer. */
typedef struct qm_dom {
    char *name;            /* owned copy (snapshots); NULL in the simulator */
    const char *vname;     /* the name last seen in a view */
    bool known;            /* qmemman knows the domain (seen last tick) */
    bool seen;             /* in this tick's views */
    size_t view;           /* index into this tick's views */
    bool managed;          /* runs a meminfo-writer: balloon on, shares > 0, not locked */
    bool is_dom0;
    int64_t prev_used_kb;  /* meminfo-writer's prev_used_mem (KiB) */
    int64_t mem_used;      /* bytes; QM_NONE before the first write */
    int64_t last_target;   /* what qmemman last set (bytes) */
    int64_t current;       /* memory_current = actual */
    int64_t actual;        /* memory_actual = max(current, last_target) */
    int64_t maximum;       /* memory_maximum */
    bool no_progress, slow_memset_react;
    int64_t balance_actual;  /* do_balance's prev_memactual; QM_NONE outside one */
    int64_t balloon_actual;  /* do_balloon's prev_memory_actual; QM_NONE none */
    int64_t req;           /* this domain's entry in the current request list */
    int64_t out;           /* target set this tick; QM_NONE none */
} qm_dom;

typedef enum qm_bal { QM_BAL_IDLE, QM_BAL_RUNNING, QM_BAL_OK, QM_BAL_FAILED } qm_bal;

typedef struct qm_state {
    size_t first_vm, n_host_vms; /* simulator: slot i is scen VM first_vm + i */
    qm_dom *d;
    size_t n, cap;       /* slots used / allocated */
    size_t *order;       /* known domains in the order they appeared (a Python dict's) */
    size_t n_order;
    size_t *reqs;        /* do_balance's memset_reqs, in order */
    size_t n_reqs, pos;  /* pos: the request being applied */
    int ntries;
    bool applying;       /* waiting for donors in the middle of a balance */
    bool dirty;          /* a write or a domain change not yet balanced */
    size_t *don, *acc;   /* scratch: donors and acceptors of one balance */
    qm_bal bal;          /* do_balloon */
    int64_t niter;
    int64_t ring[QM_CHECK_PERIOD];
} qm_state;

/* What one tick computes once. */
typedef struct qm_tick {
    const qm_cfg *c;
    qm_state *st;
    int64_t phys_free; /* Xen's free memory (physinfo) */
} qm_tick;

/* ------------------------------------------------------------------ */
/* configuration                                                       */

static void qm_free_config(void *cfg) {
    qm_cfg *c = cfg;
    if (c == NULL) return;
    free(c->dom0);
    pol_hosts_free(&c->hosts);
    free(c);
}

/* A size in exact bytes, as qmemman reads its config (vm_min_mem=413762560
 * is that many bytes, not a page multiple). */
static bs_rc positive_size(cfg_ctx *cx, const cfg_node *params, const char *path, const char *key,
                           int64_t dflt_bytes, bool allow_zero, int64_t *out) {
    int64_t b = dflt_bytes;
    bs_rc rc = cfg_get_bytes(cx, params, path, key, false, dflt_bytes, &b);
    if (rc != BS_OK) return rc;
    if (b < 0 || (!allow_zero && b == 0)) {
        char sub[CFG_PATH_MAX];
        cfg_path_key(sub, path, key);
        cfg_error_expected(cx, cfg_map_entry(params, key)->val, sub,
                           allow_zero ? "a size of at least 0" : "a size above 0");
        return BS_ERR_INPUT;
    }
    *out = b;
    return BS_OK;
}

static bs_rc qm_configure(cfg_ctx *cx, const cfg_node *params, const char *path,
                          const struct scen *sc, void **cfg) {
    *cfg = NULL;
    qm_cfg *c = calloc(1, sizeof *c);
    if (c == NULL) return BS_ERR_INTERNAL;
    c->min_prefmem = 200 * QM_MIB;
    c->dom0_boost = 350 * QM_MIB;
    c->cache_factor = 1.3;
    c->threshold_kb = 30000;
    const char *dom0 = "dom0";
    bs_rc rc = BS_OK;
    if (params != NULL) {
        if (cfg_expect_map(cx, params, path) != BS_OK) {
            qm_free_config(c);
            return BS_ERR_INPUT;
        }
        if (positive_size(cx, params, path, "vm_min_mem", c->min_prefmem, true, &c->min_prefmem) !=
            BS_OK)
            rc = BS_ERR_INPUT;
        if (positive_size(cx, params, path, "dom0_mem_boost", c->dom0_boost, true,
                          &c->dom0_boost) != BS_OK)
            rc = BS_ERR_INPUT;
        double f = c->cache_factor;
        if (cfg_get_number(cx, params, path, "cache_margin_factor", false, f, &f) != BS_OK) {
            rc = BS_ERR_INPUT;
        } else if (!(f > 0 && f <= 1000)) {
            char sub[CFG_PATH_MAX];
            cfg_path_key(sub, path, "cache_margin_factor");
            cfg_error_expected(cx, cfg_map_entry(params, "cache_margin_factor")->val, sub,
                               "a number above 0 and at most 1000, such as 1.3");
            rc = BS_ERR_INPUT;
        } else {
            c->cache_factor = f;
        }
        int64_t thr = c->threshold_kb * 1024;
        if (positive_size(cx, params, path, "meminfo_threshold", thr, false, &thr) != BS_OK)
            rc = BS_ERR_INPUT;
        else
            c->threshold_kb = thr / 1024;
        if (cfg_get_string(cx, params, path, "dom0", false, dom0, &dom0) != BS_OK) rc = BS_ERR_INPUT;
    }
    c->dom0 = strdup(dom0);
    if (c->dom0 == NULL) rc = BS_ERR_INTERNAL;
    if (rc == BS_OK) rc = pol_hosts_init(&c->hosts, sc);
    if (rc != BS_OK) {
        qm_free_config(c);
        return rc;
    }
    *cfg = c;
    return BS_OK;
}

/* ------------------------------------------------------------------ */
/* state                                                               */

static bs_rc reserve(qm_state *st, size_t n) {
    if (n <= st->cap) return BS_OK;
    size_t cap = BS_MAX(n, 2 * st->cap);
    qm_dom *d = realloc(st->d, cap * sizeof *d);
    if (d == NULL) return BS_ERR_INTERNAL;
    st->d = d;
    size_t **arrays[] = {&st->order, &st->reqs, &st->don, &st->acc};
    for (size_t k = 0; k < sizeof arrays / sizeof arrays[0]; k++) {
        size_t *a = realloc(*arrays[k], cap * sizeof *a);
        if (a == NULL) return BS_ERR_INTERNAL;
        *arrays[k] = a;
    }
    st->cap = cap;
    return BS_OK;
}

static void dom_init(qm_dom *d) {
    char *name = d->name;
    *d = (qm_dom){.name = name,
                  .mem_used = QM_NONE,
                  .balance_actual = QM_NONE,
                  .balloon_actual = QM_NONE,
                  .req = QM_NONE,
                  .out = QM_NONE};
}

static void qm_free_state(void *state) {
    qm_state *st = state;
    if (st == NULL) return;
    for (size_t i = 0; i < st->n; i++) free(st->d[i].name);
    free(st->d);
    free(st->order);
    free(st->reqs);
    free(st->don);
    free(st->acc);
    free(st);
}

static bs_rc qm_state_new(const void *cfg, size_t host, void **state) {
    const qm_cfg *c = cfg;
    qm_state *st = calloc(1, sizeof *st);
    if (st == NULL) return BS_ERR_INTERNAL;
    if (c != NULL) pol_hosts_range(&c->hosts, host, &st->first_vm, &st->n_host_vms);
    bs_rc rc = reserve(st, BS_MAX(st->n_host_vms, 1));
    if (rc != BS_OK) {
        qm_free_state(st);
        return rc;
    }
    /* Simulator: one slot per VM of the host, by its index. */
    for (size_t i = 0; i < st->n_host_vms; i++) {
        st->d[i].name = NULL;
        dom_init(&st->d[i]);
    }
    st->n = st->n_host_vms;
    *state = st;
    return BS_OK;
}

/* The slot of a view's VM: by scenario index in the simulator, by name in
 * `decide` snapshots (created there, the one place a tick may allocate). */
static bs_rc slot_of(qm_state *st, const pol_vm_view *v, size_t *out) {
    if (v->vm != SIZE_MAX && v->vm >= st->first_vm && v->vm - st->first_vm < st->n_host_vms) {
        *out = v->vm - st->first_vm;
        return BS_OK;
    }
    for (size_t i = st->n_host_vms; i < st->n; i++)
        if (st->d[i].name != NULL && v->name != NULL && strcmp(st->d[i].name, v->name) == 0) {
            *out = i;
            return BS_OK;
        }
    bs_rc rc = reserve(st, st->n + 1);
    if (rc != BS_OK) return rc;
    qm_dom *d = &st->d[st->n];
    d->name = strdup(v->name != NULL ? v->name : "");
    if (d->name == NULL) return BS_ERR_INTERNAL;
    dom_init(d);
    *out = st->n++;
    return BS_OK;
}

static int64_t clamp_bytes(int64_t b) { return BS_MIN(BS_MAX(b, 0), QM_MAX_BYTES); }

/* ------------------------------------------------------------------ */
/* algo.py                                                             */

/* prefmem(): Python's min()/max() compare ints and floats exactly, and int()
 * truncates; a double holds every clamped byte count exactly. */
static int64_t prefmem(const qm_cfg *c, const qm_dom *d) {
    assert(d->mem_used != QM_NONE);
    double m = (double)d->mem_used * c->cache_factor;
    int64_t r;
    if (d->is_dom0) {
        m += (double)c->dom0_boost;
        return (double)d->maximum < m ? d->maximum : (int64_t)m;
    }
    r = (double)d->maximum < m ? d->maximum : (int64_t)m;
    return c->min_prefmem > r ? c->min_prefmem : r;
}

static int64_t memory_needed(const qm_cfg *c, const qm_dom *d) { return prefmem(c, d) - d->actual; }

/* Domains balance() and balloon() consider: a meminfo report, not marked
 * as stuck, and (simulator) ballooning allowed. */
static bool eligible(const qm_dom *d) {
    return d->known && d->managed && d->mem_used != QM_NONE && !d->no_progress;
}

static void add_req(qm_state *st, size_t slot, int64_t target) {
    st->d[slot].req = target;
    st->reqs[st->n_reqs++] = slot;
}

/* balance_when_enough_memory(): targets into st->reqs, donors first. */
static void balance_enough(const qm_tick *t, int64_t total_mem_pref, int64_t total_available) {
    qm_state *st = t->st;
    int64_t left = 0, acceptors = 0;
    size_t m = 0;
    for (size_t k = 0; k < st->n_order; k++) {
        qm_dom *d = &st->d[st->order[k]];
        if (!eligible(d)) continue;
        int64_t pref = prefmem(t->c, d);
        /* A zero total only arises with vm_min_mem 0 and nothing used: the
         * original divides by zero there; nobody gets a share. */
        double scale = total_mem_pref != 0 ? (double)pref / (double)total_mem_pref : 0.0;
        double target_nonint = (double)pref + scale * (double)total_available;
        int64_t target = (int64_t)(QM_ROUNDING * target_nonint);
        if (target > d->maximum) {
            left += target - d->maximum;
            target = d->maximum;
        } else {
            acceptors++;
        }
        d->req = target;
        st->don[m++] = st->order[k];
    }
    /* What maxima cut off goes round the acceptors, the same bonus each pass. */
    while (left > 0 && acceptors > 0) {
        int64_t new_left = 0, new_acceptors = acceptors;
        for (size_t k = 0; k < m; k++) {
            qm_dom *d = &st->d[st->don[k]];
            if (d->req < d->maximum) {
                int64_t bonus = (int64_t)(QM_ROUNDING * ((double)left / (double)acceptors));
                if (d->req + bonus >= d->maximum) {
                    new_left += d->req + bonus - d->maximum;
                    d->req = d->maximum;
                    new_acceptors--;
                } else {
                    d->req += bonus;
                }
            }
        }
        left = new_left;
        acceptors = new_acceptors;
    }
    st->n_reqs = 0;
    for (size_t k = 0; k < m; k++)
        if (st->d[st->don[k]].req < st->d[st->don[k]].actual) add_req(st, st->don[k], st->d[st->don[k]].req);
    for (size_t k = 0; k < m; k++)
        if (st->d[st->don[k]].req >= st->d[st->don[k]].actual) add_req(st, st->don[k], st->d[st->don[k]].req);
}

/* balance_when_low_on_memory().  Quirk kept: what donors give is subtracted
 * from squeezed_mem, so acceptors get nothing unless the free memory alone
 * exceeds it (qubes/tests/qmemman.py test_250 asserts exactly this). */
static void balance_low(const qm_tick *t, int64_t xen_free_memory, int64_t total_pref_acceptors,
                        size_t n_don, size_t n_acc) {
    qm_state *st = t->st;
    st->n_reqs = 0;
    int64_t squeezed = xen_free_memory;
    for (size_t k = 0; k < n_don; k++) {
        qm_dom *d = &st->d[st->don[k]];
        int64_t avail = -memory_needed(t->c, d);
        if (avail < QM_DONOR_MIN) continue; /* already about at prefmem: give up */
        squeezed -= avail;
        add_req(st, st->don[k], prefmem(t->c, d));
    }
    if (squeezed < 0) return;
    for (size_t k = 0; k < n_acc; k++) {
        qm_dom *d = &st->d[st->acc[k]];
        int64_t pref = prefmem(t->c, d);
        double scale = total_pref_acceptors != 0 ? (double)pref / (double)total_pref_acceptors : 0.0;
        double target_nonint = (double)d->actual + scale * (double)squeezed;
        int64_t target = (int64_t)(QM_ROUNDING * target_nonint);
        add_req(st, st->acc[k], BS_MIN(target, d->maximum));
    }
}

/* balance() with memory_info()'s first pass; leaves memset_reqs in st->reqs. */
static void balance(const qm_tick *t, int64_t xen_free_memory) {
    qm_state *st = t->st;
    int64_t total_needed = 0, total_pref = 0, total_pref_acceptors = 0;
    size_t n_don = 0, n_acc = 0;
    for (size_t k = 0; k < st->n_order; k++) {
        qm_dom *d = &st->d[st->order[k]];
        if (!eligible(d)) continue;
        int64_t pref = prefmem(t->c, d), need = pref - d->actual;
        if (need < 0 || d->actual >= d->maximum) {
            st->don[n_don++] = st->order[k];
        } else {
            st->acc[n_acc++] = st->order[k];
            total_pref_acceptors += pref;
        }
        total_needed += need;
        total_pref += pref;
    }
    int64_t total_available = xen_free_memory - total_needed;
    if (total_available > 0) balance_enough(t, total_pref, total_available);
    else balance_low(t, xen_free_memory, total_pref_acceptors, n_don, n_acc);
}

/* balloon(): donors for `memsize` bytes; false (empty list) when the donors
 * cannot give that much. */
static bool balloon(const qm_tick *t, int64_t memsize) {
    qm_state *st = t->st;
    int64_t available = 0;
    size_t n_don = 0;
    for (size_t k = 0; k < st->n_order; k++) {
        qm_dom *d = &st->d[st->order[k]];
        if (!eligible(d)) continue;
        int64_t need = memory_needed(t->c, d);
        if (need < 0) {
            st->don[n_don++] = st->order[k];
            d->req = -need;
            available -= need;
        }
    }
    st->n_reqs = 0;
    if (available < memsize) return false;
    double scale = (double)memsize / (double)available;
    for (size_t k = 0; k < n_don; k++) {
        qm_dom *d = &st->d[st->don[k]];
        double borrowed = (double)d->req * scale * QM_SAFETY;
        add_req(st, st->don[k], (int64_t)((double)d->actual - borrowed));
    }
    return true;
}

/* ------------------------------------------------------------------ */
/* systemstate.py                                                      */

/* get_free_xen_memory(): free memory less what is assigned but not taken. */
static int64_t xen_free(const qm_tick *t) {
    const qm_state *st = t->st;
    int64_t unused = 0;
    for (size_t k = 0; k < st->n_order; k++) {
        const qm_dom *d = &st->d[st->order[k]];
        unused += BS_MAX(0, d->last_target - d->current);
    }
    return t->phys_free - unused;
}

/* mem_set(): remember the target and hand it to the engine.  A negative one
 * makes Xen's hypercall fail in the original: it is remembered, not set. */
static void mem_set(qm_dom *d, int64_t val) {
    d->last_target = val;
    d->out = val;
}

/* refresh_memactual() */
static void refresh(qm_state *st) {
    for (size_t k = 0; k < st->n_order; k++) {
        qm_dom *d = &st->d[st->order[k]];
        d->actual = BS_MAX(d->current, d->last_target);
    }
}

/* clear_outdated_error_markers() */
static void clear_markers(const qm_tick *t) {
    qm_state *st = t->st;
    for (size_t k = 0; k < st->n_order; k++) {
        qm_dom *d = &st->d[st->order[k]];
        if (d->mem_used == QM_NONE) continue;
        if ((double)d->actual <= (double)d->last_target + (double)QM_FREE_LEFT / 2 ||
            d->actual < prefmem(t->c, d)) {
            d->slow_memset_react = false;
            d->no_progress = false;
        }
    }
}

/* is_balance_req_significant() */
static bool significant(const qm_tick *t, int64_t xenfree) {
    const qm_state *st = t->st;
    if (QM_FREE_LEFT - xenfree > QM_MIN_UNDER_PREF) return true; /* Xen free too low */
    int64_t total = 0;
    for (size_t k = 0; k < st->n_reqs; k++) {
        const qm_dom *d = &st->d[st->reqs[k]];
        int64_t change = d->req - d->last_target;
        total += change < 0 ? -change : change;
        if (0 < d->last_target && d->last_target < prefmem(t->c, d) && change > QM_MIN_UNDER_PREF)
            return true; /* below prefmem: worth it */
    }
    int64_t off = xenfree - QM_FREE_LEFT;
    return total + (off < 0 ? -off : off) > QM_MIN_TRANSFER;
}

/* do_balance()'s loop over memset_reqs from st->pos: a request is set once
 * Xen has at least 0.9 * 50 MiB free besides it; otherwise wait a round. */
static void apply(const qm_tick *t) {
    qm_state *st = t->st;
    while (st->pos < st->n_reqs) {
        qm_dom *d = &st->d[st->reqs[st->pos]];
        if ((double)(xen_free(t) - (d->req - d->actual)) < 0.9 * (double)QM_FREE_LEFT) {
            st->applying = true; /* donors have not freed it yet */
            return;
        }
        mem_set(d, d->req);
        st->pos++;
        st->ntries = QM_NTRIES;
    }
    st->applying = false;
}

/* Waiting did not help: mark the donors that did not move, give the
 * acceptor what is free, and abort the balance. */
static void give_up(const qm_tick *t) {
    qm_state *st = t->st;
    for (size_t k = 0; k < st->pos; k++) {
        qm_dom *d = &st->d[st->reqs[k]];
        if ((double)d->actual > (double)d->last_target + (double)QM_FREE_LEFT / 4) {
            if (d->balance_actual == d->actual) d->no_progress = true;
            else d->slow_memset_react = true;
        }
    }
    qm_dom *d = &st->d[st->reqs[st->pos]];
    mem_set(d, xen_free(t) + d->actual - QM_FREE_LEFT);
    st->applying = false;
}

/* One round of waiting in do_balance (one tick = one BALOON_DELAY). */
static void continue_apply(const qm_tick *t) {
    qm_state *st = t->st;
    if (--st->ntries <= 0) {
        give_up(t);
        return;
    }
    apply(t);
}

static void do_balance(const qm_tick *t) {
    qm_state *st = t->st;
    clear_markers(t);
    int64_t xenfree = xen_free(t);
    balance(t, xenfree - QM_FREE_LEFT);
    if (!significant(t, xenfree)) {
        st->n_reqs = 0;
        return;
    }
    for (size_t k = 0; k < st->n_order; k++) {
        qm_dom *d = &st->d[st->order[k]];
        d->balance_actual = d->actual;
    }
    st->pos = 0;
    st->ntries = QM_NTRIES;
    apply(t);
}

/* inhibit_balloon_up(): memory_actual >= last_target by construction, so
 * this never fires; kept as the original has it. */
static void inhibit_balloon_up(const qm_tick *t) {
    qm_state *st = t->st;
    for (size_t k = 0; k < st->n_order; k++) {
        qm_dom *d = &st->d[st->order[k]];
        if (d->actual + QM_INHIBIT_MARGIN < d->last_target) mem_set(d, d->actual);
    }
}

/* One 100 ms round of do_balloon(request). */
static void balloon_round(const qm_tick *t, int64_t memsize) {
    qm_state *st = t->st;
    if (st->bal == QM_BAL_IDLE) {
        st->bal = QM_BAL_RUNNING;
        st->niter = 0;
        for (size_t k = 0; k < st->n_order; k++) {
            st->d[st->order[k]].no_progress = false;
            st->d[st->order[k]].balloon_actual = QM_NONE;
        }
    }
    int64_t xenfree = xen_free(t);
    if (xenfree >= memsize + QM_FREE_MIN) {
        inhibit_balloon_up(t);
        st->bal = QM_BAL_OK;
        return;
    }
    size_t slot = (size_t)(st->niter % QM_CHECK_PERIOD);
    if (st->niter >= QM_CHECK_PERIOD && xenfree < st->ring[slot] + QM_CHECK_DELTA) {
        st->bal = QM_BAL_FAILED; /* less than 100 MB/s over 3 s */
        return;
    }
    st->ring[slot] = xenfree;
    for (size_t k = 0; k < st->n_order; k++) {
        qm_dom *d = &st->d[st->order[k]];
        if (d->balloon_actual != QM_NONE && d->balloon_actual == d->actual) d->no_progress = true;
    }
    bool ok = balloon(t, memsize + QM_FREE_LEFT - xenfree);
    for (size_t k = 0; k < st->n_order; k++) st->d[st->order[k]].balloon_actual = QM_NONE;
    if (!ok || st->n_reqs == 0) {
        st->n_reqs = 0;
        st->bal = QM_BAL_FAILED;
        return;
    }
    for (size_t k = 0; k < st->n_reqs; k++) {
        qm_dom *d = &st->d[st->reqs[k]];
        mem_set(d, d->req);
        d->balloon_actual = d->actual;
    }
    st->n_reqs = 0;
    st->niter++;
}

/* ------------------------------------------------------------------ */
/* one tick                                                            */

/* meminfo-writer.c's parse(), in KiB: true when the guest writes. */
static bool meminfo_writer(const qm_cfg *c, qm_dom *d, const pol_vm_view *v) {
    int64_t actual = clamp_bytes(v->actual);
    int64_t total = actual / 1024; /* MemTotal = Xen's current_kb */
    int64_t swap = v->committed >= 0 ? BS_MAX(0, clamp_bytes(v->committed) - actual) : 0;
    int64_t used = total - clamp_bytes(v->cache) / 1024 - clamp_bytes(v->free) / 1024 + swap / 1024;
    if (used < 0) return false;
    int64_t diff = used - d->prev_used_kb;
    if (diff < 0) diff = -diff;
    if (diff > c->threshold_kb || d->prev_used_kb == 0 ||
        (used > d->prev_used_kb && used / 10 > (total + 12) / 13 && diff > c->threshold_kb / 2)) {
        d->prev_used_kb = used;
        d->mem_used = used * 1024; /* sanitize_and_parse_meminfo() */
        return true;
    }
    return false;
}

/* Take in this tick's views: domains appear and go away, writers run. */
static bs_rc sync(const qm_cfg *c, qm_state *st, const pol_vm_view *vms, size_t n) {
    for (size_t k = 0; k < st->n_order; k++) st->d[st->order[k]].seen = false;
    for (size_t i = 0; i < n; i++) {
        size_t s = SIZE_MAX;
        bs_rc rc = slot_of(st, &vms[i], &s);
        if (rc != BS_OK) return rc;
        qm_dom *d = &st->d[s];
        const pol_vm_view *v = &vms[i];
        if (d->seen) continue; /* the same VM twice in one snapshot: first wins */
        if (!d->known) {
            /* add_domain(): last_target from xenstore's memory/target */
            dom_init(d);
            d->known = true;
            d->last_target = clamp_bytes(v->target);
            st->order[st->n_order++] = s;
            st->dirty = true;
        }
        if (d->last_target == QM_NONE) d->last_target = clamp_bytes(v->target); /* loaded without */
        d->seen = true;
        d->view = i;
        d->vname = v->name;
        d->out = QM_NONE;
        d->current = clamp_bytes(v->actual);
        d->maximum = clamp_bytes(v->max);
        d->managed = v->balloon && !v->locked && v->shares > 0;
        d->is_dom0 = c->dom0[0] != '\0' && v->name != NULL && strcmp(v->name, c->dom0) == 0;
        if (!d->managed) d->last_target = clamp_bytes(v->target); /* nobody else sets it */
        else if (meminfo_writer(c, d, v)) st->dirty = true;
    }
    /* del_domain(): gone from the views */
    size_t w = 0;
    for (size_t k = 0; k < st->n_order; k++) {
        qm_dom *d = &st->d[st->order[k]];
        if (d->seen) {
            st->order[w++] = st->order[k];
            continue;
        }
        d->known = false;
        st->dirty = true;
        size_t rw = 0, pos = st->pos;
        for (size_t r = 0; r < st->n_reqs; r++) {
            if (st->reqs[r] == st->order[k]) {
                if (r < st->pos) pos--;
                continue;
            }
            st->reqs[rw++] = st->reqs[r];
        }
        st->n_reqs = rw;
        st->pos = pos;
    }
    st->n_order = w;
    if (st->applying && st->pos >= st->n_reqs) st->applying = false;
    return BS_OK;
}

/* Xen's free memory as physinfo reports it (in KiB).  MEM_OVERHEAD_FACTOR
 * (1 / 1.00781) is left out: on Xen it turns free memory, which includes the
 * per-page overhead every byte given to a domain also costs, into assignable
 * bytes; the simulated host has no such overhead (a byte a donor gives back
 * is one assignable byte), and with the factor every large move would leave
 * the last acceptor 0.78 % short of the 0.9 x 50 MiB check. */
static int64_t phys_free(const pol_host_view *host, const pol_vm_view *vms, size_t n) {
    int64_t held = 0;
    for (size_t i = 0; i < n; i++) held += clamp_bytes(vms[i].actual);
    int64_t unallocated = clamp_bytes(host->memory) - clamp_bytes(host->reserved) - held;
    int64_t free = BS_MAX(0, BS_MIN(clamp_bytes(host->free), unallocated));
    return free / 1024 * 1024;
}

static bs_rc tick(const qm_cfg *c, qm_state *st, const pol_host_view *host, const pol_vm_view *vms,
                  size_t n, int64_t *targets) {
    bs_rc rc = reserve(st, n);
    if (rc == BS_OK) rc = sync(c, st, vms, n);
    if (rc != BS_OK) return rc;
    qm_tick t = {.c = c, .st = st, .phys_free = phys_free(host, vms, n)};
    refresh(st);

    /* The daemon's global lock: a balance waiting for donors finishes first,
     * then a request, then balancing resumes. */
    if (st->applying) continue_apply(&t);
    int64_t request = BS_MAX(0, BS_MIN(host->request, QM_MAX_BYTES));
    if (request == 0) {
        st->bal = QM_BAL_IDLE;
        st->niter = 0;
    }
    if (!st->applying) {
        if (request > 0 && (st->bal == QM_BAL_IDLE || st->bal == QM_BAL_RUNNING)) {
            refresh(st);
            balloon_round(&t, request);
        } else if (st->bal != QM_BAL_OK && st->dirty) {
            /* do_balance() after the queued meminfo / domain-list events */
            st->dirty = false;
            refresh(st);
            do_balance(&t);
        }
    }
    for (size_t k = 0; k < st->n_order; k++) {
        const qm_dom *d = &st->d[st->order[k]];
        if (d->seen && d->managed && d->out != QM_NONE && d->out >= 0) targets[d->view] = d->out;
    }
    return BS_OK;
}

static bs_rc qm_decide(const void *cfg, void *state, bs_time now, const pol_host_view *host,
                       const pol_vm_view *vms, size_t n, int64_t *targets) {
    (void)now;
    const qm_cfg *c = cfg;
    assert(c != NULL);
    if (state != NULL) return tick(c, state, host, vms, n, targets);
    void *tmp = NULL; /* a caller without state_new: one tick from scratch */
    bs_rc rc = qm_state_new(cfg, SIZE_MAX, &tmp);
    if (rc == BS_OK) rc = tick(c, tmp, host, vms, n, targets);
    qm_free_state(tmp);
    return rc;
}

/* ------------------------------------------------------------------ */
/* policy_state for `balloonsim decide`                                */

static const char *const bal_names[] = {"idle", "running", "ok", "failed"};

static void qm_state_dump(FILE *f, const void *state) {
    const qm_state *st = state;
    fputs("{\"vms\": {", f);
    for (size_t k = 0; k < st->n_order; k++) {
        const qm_dom *d = &st->d[st->order[k]];
        if (k) fputs(", ", f);
        txt_json_string(f, d->name != NULL ? d->name : d->vname);
        fprintf(f, ": {\"meminfo_kb\": %" PRId64 ", \"mem_used\": ", d->prev_used_kb);
        if (d->mem_used == QM_NONE) fputs("null", f);
        else fprintf(f, "%" PRId64, d->mem_used);
        fprintf(f, ", \"last_target\": %" PRId64 ", \"no_progress\": %s, \"slow_memset_react\": %s",
                d->last_target, d->no_progress ? "true" : "false",
                d->slow_memset_react ? "true" : "false");
        if (st->applying && d->balance_actual != QM_NONE)
            fprintf(f, ", \"actual_at_balance\": %" PRId64, d->balance_actual);
        if (st->bal == QM_BAL_RUNNING && d->balloon_actual != QM_NONE)
            fprintf(f, ", \"actual_at_balloon\": %" PRId64, d->balloon_actual);
        fputc('}', f);
    }
    fprintf(f, "}, \"pending_balance\": %s", st->dirty ? "true" : "false");
    if (st->applying) {
        fputs(", \"apply\": {\"requests\": [", f);
        for (size_t k = 0; k < st->n_reqs; k++) {
            const qm_dom *d = &st->d[st->reqs[k]];
            fputs(k ? ", {\"vm\": " : "{\"vm\": ", f);
            txt_json_string(f, d->name != NULL ? d->name : d->vname);
            fprintf(f, ", \"target\": %" PRId64 "}", d->req);
        }
        fprintf(f, "], \"next\": %zu, \"tries\": %d}", st->pos, st->ntries);
    }
    if (st->bal != QM_BAL_IDLE) {
        fprintf(f, ", \"balloon\": {\"status\": \"%s\", \"iterations\": %" PRId64 ", \"free_history\": [",
                bal_names[st->bal], st->niter);
        int64_t m = BS_MIN(st->niter, QM_CHECK_PERIOD);
        for (int64_t k = 0; k < m; k++) fprintf(f, k ? ", %" PRId64 : "%" PRId64, st->ring[k]);
        fputs("]}", f);
    }
    fputs("}", f);
}

/* A whole number of bytes (signed: qmemman can remember a negative target). */
static bs_rc get_int(cfg_ctx *cx, const cfg_node *map, const char *path, const char *key,
                     bool nullable, int64_t *out) {
    const cfg_node *n = cfg_map_get(map, key);
    if (n == NULL) return BS_OK;
    char sub[CFG_PATH_MAX];
    cfg_path_key(sub, path, key);
    if (nullable && cfg_is_null(n)) {
        *out = QM_NONE;
        return BS_OK;
    }
    if (n->kind == CFG_SCALAR && !cfg_is_null(n)) {
        const char *p = n->value;
        char *end = NULL;
        long long v = strtoll(p, &end, 10);
        if (end != p && *end == '\0' && v > -QM_MAX_BYTES && v < QM_MAX_BYTES) {
            *out = v;
            return BS_OK;
        }
    }
    cfg_error_expected(cx, n, sub, nullable ? "a whole number of bytes or null" : "a whole number");
    return BS_ERR_INPUT;
}

static bs_rc load_vm(cfg_ctx *cx, qm_state *st, const cfg_entry *e, const char *path) {
    char vpath[CFG_PATH_MAX];
    cfg_path_key(vpath, path, e->key);
    if (cfg_expect_map(cx, e->val, vpath) != BS_OK) return BS_ERR_INPUT;
    pol_vm_view v = {.name = e->key, .vm = SIZE_MAX};
    size_t s = SIZE_MAX;
    bs_rc rc = reserve(st, st->n + 1);
    if (rc == BS_OK) rc = slot_of(st, &v, &s);
    if (rc != BS_OK) return rc;
    qm_dom *d = &st->d[s];
    if (d->known) {
        cfg_error(cx, e->val, vpath, "VM '%s' appears twice", e->key);
        return BS_ERR_INPUT;
    }
    dom_init(d);
    d->known = true;
    st->order[st->n_order++] = s;
    const cfg_node *m = e->val;
    int64_t kb = 0;
    rc = BS_OK;
    if (cfg_get_uint(cx, m, vpath, "meminfo_kb", false, 0, &kb) != BS_OK) rc = BS_ERR_INPUT;
    d->prev_used_kb = kb;
    if (get_int(cx, m, vpath, "mem_used", true, &d->mem_used) != BS_OK) rc = BS_ERR_INPUT;
    if (d->mem_used != QM_NONE && d->mem_used < 0) {
        cfg_error_expected(cx, cfg_map_get(m, "mem_used"), vpath, "a whole number of bytes >= 0");
        rc = BS_ERR_INPUT;
    }
    /* Absent: read from the snapshot's target when the VM is seen. */
    d->last_target = QM_NONE;
    if (get_int(cx, m, vpath, "last_target", false, &d->last_target) != BS_OK) rc = BS_ERR_INPUT;
    if (cfg_get_bool(cx, m, vpath, "no_progress", false, false, &d->no_progress) != BS_OK) rc = BS_ERR_INPUT;
    if (cfg_get_bool(cx, m, vpath, "slow_memset_react", false, false, &d->slow_memset_react) != BS_OK)
        rc = BS_ERR_INPUT;
    if (get_int(cx, m, vpath, "actual_at_balance", false, &d->balance_actual) != BS_OK) rc = BS_ERR_INPUT;
    if (get_int(cx, m, vpath, "actual_at_balloon", false, &d->balloon_actual) != BS_OK) rc = BS_ERR_INPUT;
    cfg_check_unknown(cx, m, vpath,
                      "meminfo_kb, mem_used, last_target, no_progress, slow_memset_react, "
                      "actual_at_balance, actual_at_balloon");
    for (size_t i = 0; i < m->n; i++)
        if (!m->entries[i].used) rc = BS_ERR_INPUT;
    return rc;
}

static size_t find_known(const qm_state *st, const char *name) {
    for (size_t k = 0; k < st->n_order; k++) {
        const qm_dom *d = &st->d[st->order[k]];
        if (d->name != NULL && strcmp(d->name, name) == 0) return st->order[k];
    }
    return SIZE_MAX;
}

static bs_rc load_apply(cfg_ctx *cx, qm_state *st, const cfg_node *a, const char *path) {
    if (cfg_expect_map(cx, a, path) != BS_OK) return BS_ERR_INPUT;
    bs_rc rc = BS_OK;
    char sub[CFG_PATH_MAX];
    cfg_path_key(sub, path, "requests");
    const cfg_node *list = cfg_map_get(a, "requests");
    st->n_reqs = 0;
    if (list == NULL || cfg_expect_seq(cx, list, sub) != BS_OK) {
        if (list == NULL) cfg_error(cx, a, path, "missing required key 'requests'");
        return BS_ERR_INPUT;
    }
    for (size_t i = 0; i < list->n; i++) {
        char ip[CFG_PATH_MAX];
        cfg_path_index(ip, sub, i);
        const cfg_node *item = list->entries[i].val;
        if (cfg_expect_map(cx, item, ip) != BS_OK) {
            rc = BS_ERR_INPUT;
            continue;
        }
        const char *name = NULL;
        int64_t target = 0;
        if (cfg_get_string(cx, item, ip, "vm", true, NULL, &name) != BS_OK ||
            get_int(cx, item, ip, "target", false, &target) != BS_OK) {
            rc = BS_ERR_INPUT;
            continue;
        }
        size_t s = find_known(st, name);
        if (s == SIZE_MAX) {
            char kp[CFG_PATH_MAX];
            cfg_path_key(kp, ip, "vm");
            cfg_error_expected(cx, cfg_map_get(item, "vm"), kp, "a VM listed under policy_state.vms");
            rc = BS_ERR_INPUT;
            continue;
        }
        cfg_check_unknown(cx, item, ip, "vm, target");
        if (st->n_reqs < st->cap) add_req(st, s, target);
    }
    int64_t next = 0, tries = QM_NTRIES;
    if (cfg_get_uint(cx, a, path, "next", false, 0, &next) != BS_OK) rc = BS_ERR_INPUT;
    if (cfg_get_uint(cx, a, path, "tries", false, QM_NTRIES, &tries) != BS_OK) rc = BS_ERR_INPUT;
    cfg_check_unknown(cx, a, path, "requests, next, tries");
    if (rc == BS_OK && ((size_t)next >= st->n_reqs || tries < 1 || tries > QM_NTRIES)) {
        cfg_error(cx, a, path, "expected next < number of requests and tries from 1 to %d",
                  QM_NTRIES);
        rc = BS_ERR_INPUT;
    }
    if (rc == BS_OK) {
        st->pos = (size_t)next;
        st->ntries = (int)tries;
        st->applying = true;
    } else {
        st->n_reqs = 0;
    }
    return rc;
}

static bs_rc load_balloon(cfg_ctx *cx, qm_state *st, const cfg_node *b, const char *path) {
    if (cfg_expect_map(cx, b, path) != BS_OK) return BS_ERR_INPUT;
    bs_rc rc = BS_OK;
    const char *status = "idle";
    if (cfg_get_string(cx, b, path, "status", false, status, &status) != BS_OK) rc = BS_ERR_INPUT;
    st->bal = QM_BAL_IDLE;
    bool found = false;
    for (int k = 0; k < 4; k++)
        if (strcmp(status, bal_names[k]) == 0) {
            st->bal = (qm_bal)k;
            found = true;
        }
    if (!found) {
        char sub[CFG_PATH_MAX];
        cfg_path_key(sub, path, "status");
        cfg_error_expected(cx, cfg_map_get(b, "status"), sub, "idle, running, ok or failed");
        rc = BS_ERR_INPUT;
    }
    if (cfg_get_uint(cx, b, path, "iterations", false, 0, &st->niter) != BS_OK) rc = BS_ERR_INPUT;
    const cfg_node *hist = cfg_map_get(b, "free_history");
    if (hist != NULL) {
        char sub[CFG_PATH_MAX];
        cfg_path_key(sub, path, "free_history");
        if (cfg_expect_seq(cx, hist, sub) != BS_OK || hist->n > QM_CHECK_PERIOD) {
            if (hist->kind == CFG_SEQ)
                cfg_error(cx, hist, sub, "expected at most %d values", QM_CHECK_PERIOD);
            rc = BS_ERR_INPUT;
        } else {
            for (size_t i = 0; i < hist->n; i++) {
                double v = 0;
                char ip[CFG_PATH_MAX];
                cfg_path_index(ip, sub, i);
                if (cfg_as_number(cx, hist->entries[i].val, ip, &v) != BS_OK) rc = BS_ERR_INPUT;
                else st->ring[i] = (int64_t)v;
            }
        }
    }
    cfg_check_unknown(cx, b, path, "status, iterations, free_history");
    return rc;
}

static bs_rc qm_state_load(cfg_ctx *cx, const cfg_node *node, const char *path, void *state) {
    qm_state *st = state;
    if (node == NULL) return BS_OK;
    if (cfg_expect_map(cx, node, path) != BS_OK) return BS_ERR_INPUT;
    bs_rc rc = BS_OK;
    const cfg_node *vms = cfg_map_get(node, "vms");
    if (vms != NULL) {
        char vp[CFG_PATH_MAX];
        cfg_path_key(vp, path, "vms");
        if (cfg_expect_map(cx, vms, vp) != BS_OK) {
            rc = BS_ERR_INPUT;
        } else {
            for (size_t i = 0; i < vms->n; i++) {
                bs_rc r = load_vm(cx, st, &vms->entries[i], vp);
                if (r == BS_ERR_INTERNAL) return r;
                if (r != BS_OK) rc = r;
            }
        }
    }
    if (cfg_get_bool(cx, node, path, "pending_balance", false, false, &st->dirty) != BS_OK)
        rc = BS_ERR_INPUT;
    const cfg_node *a = cfg_map_get(node, "apply");
    if (a != NULL) {
        char ap[CFG_PATH_MAX];
        cfg_path_key(ap, path, "apply");
        if (load_apply(cx, st, a, ap) != BS_OK) rc = BS_ERR_INPUT;
    }
    const cfg_node *b = cfg_map_get(node, "balloon");
    if (b != NULL) {
        char bp[CFG_PATH_MAX];
        cfg_path_key(bp, path, "balloon");
        if (load_balloon(cx, st, b, bp) != BS_OK) rc = BS_ERR_INPUT;
    }
    return rc;
}

static const pol_param qm_params[] = {
    {"vm_min_mem", "200MiB", "size",
     "MIN_PREFMEM (qmemman.conf vm-min-mem): a VM's preferred memory is never below this"},
    {"dom0_mem_boost", "350MiB", "size",
     "DOM0_MEM_BOOST (qmemman.conf dom0-mem-boost): added to dom0's preferred memory"},
    {"cache_margin_factor", "1.3", "number",
     "CACHE_FACTOR (qmemman.conf cache-margin-factor): preferred memory = used x this"},
    {"meminfo_threshold", "30000KiB", "size",
     "the guests' meminfo-writer reports used memory when it moved by more than this "
     "(half of it when growing near the VM's memory)"},
    {"dom0", "dom0", "name", "the VM treated as Qubes' dom0 (boost, no floor); \"\" for none"},
    {NULL, NULL, NULL, NULL},
};

const pol_type pol_qmemman = {
    .name = "qmemman",
    .description = "Qubes OS qmemman: preferred memory = used x 1.3 (at least 200 MiB), keeps "
                   "50 MiB of Xen memory free, shares the rest in proportion to preferred "
                   "memory, donors before acceptors; rebalances when a guest's used memory "
                   "moves by 30000 KiB and the change is worth 150 MiB",
    .params = qm_params,
    .default_interval = BS_NS_PER_S / 10,       /* the daemon's 100 ms rounds */
    .default_stats_interval = BS_NS_PER_S / 10, /* meminfo-writer's 100 ms delay */
    .configure = qm_configure,
    .free_config = qm_free_config,
    .state_new = qm_state_new,
    .free_state = qm_free_state,
    .decide = qm_decide,
    .state_load = qm_state_load,
    .state_dump = qm_state_dump,
};
