/* mom.c -- oVirt MoM's balloon rules, decision for decision.
 *
 * MoM (Memory Overcommitment Manager, github.com/oVirt/mom) does not hard-code
 * a controller: it evaluates a small Lisp policy every policy-engine-interval
 * (10 s) over the host's and each guest's last sample-history-length (10)
 * samples.  Two rule files are what people actually run, and both are here:
 *
 *   variant: mom   doc/balloon.rules of oVirt/mom (the version with
 *                  `(max guest.balloon_min ...)`, commit e0f3d3b7): under host
 *                  pressure every guest shrinks, otherwise every guest grows
 *                  back towards 20 % free.
 *   variant: vdsm  static/etc/vdsm/mom.d/02-balloon.policy of oVirt/vdsm (what
 *                  an oVirt host runs): the guest's free target follows the
 *                  host's free fraction in both directions, shrinking only when
 *                  the cluster enables balloon optimization (balloonEnabled),
 *                  and a guest below its guaranteed memory is raised to it at
 *                  once (guest_qos).
 *
 * The rules are written out here as C, step by step in the rules' own order
 * of floating-point operations, because the point of this policy is to set the
 * targets MoM sets.  What each MoM quantity is (mom/Collectors/HostMemory.py,
 * mom/HypervisorInterfaces/libvirtInterface.py and vdsmRpcBase.py):
 *
 *   Host.mem_available = MemTotal                 -> host.memory
 *   Host mem_free      = MemFree+Buffers+Cached   -> host.available
 *   guest.balloon_cur  = current balloon size     -> vm.actual (A)
 *   guest.balloon_max  = maximum memory           -> vm.max (M)
 *   guest.balloon_min  = guaranteed memory        -> vm.min (m)
 *   guest mem_unused   = the guest's MemFree      -> vm.free (F: page cache
 *                                                    counts as used, as in MoM)
 *
 * MoM works in KiB (libvirt's unit) with Python numbers: integer KiB from the
 * collectors, floats from StatAvg and the percentages, and the Balloon
 * controller truncates the result with int() before libvirt's setMemory(KiB).
 * So bytes are turned into KiB (rounded down, as a KiB counter reads), the
 * rule runs in doubles exactly as Python evaluates it (Python floats are IEEE
 * doubles, and every step here is the same operation in the same order), and
 * the target is int(KiB) * 1024 bytes.
 *
 * Averages (Entity.StatAvg) are over the samples the monitors hold: one per
 * monitor interval (host-/guest-monitor-interval, 5 s), the newest included,
 * at most sample-history-length.  The policy therefore also ticks at every
 * monitor interval to take a sample, and runs the rules only at multiples of
 * the policy interval, from the stored samples as MoM does (guest.balloon_cur
 * is the newest sample, not a fresher reading).  The history is per-host
 * state; `balloonsim decide` carries it in policy_state, one call being one
 * sample and one run.  The sums are kept in exact integer KiB, so an average
 * is the correctly rounded quotient, as Python 3's int / int.  (Python 2 MoM
 * floored that quotient to whole KiB; this follows the current, Python 3 MoM.)
 *
 * A guest enters the rules only once its monitor is ready: with variant mom a
 * guest that does not report mem_unused has an incomplete sample and sits the
 * pass out (Monitor.collect); vdsm collects it optionally and skips only the
 * balloon logic for it (`valid`), guest_qos still applies.  A VM that is gone
 * at a sample loses its history, as MoM drops a guest's monitor. */
#include "policies/pol.h"
#include "sim/base/text.h"
#include "sim/report/output.h"
#include "sim/scenario.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define KIB 1024

/* The rules' hard-coded critical offset: "(+ -0.05 host_free_percent)". */
#define MOM_CRITICAL_OFFSET (-0.05)
#define MOM_MAX_HISTORY 1000

typedef enum mom_variant { MOM_UPSTREAM, MOM_VDSM } mom_variant;

typedef struct mom_cfg {
    mom_variant variant;
    double pressure_threshold, pressure_critical, min_guest_free;
    double max_change, min_change;
    size_t history;           /* samples averaged */
    bs_time monitor_interval; /* 0: one sample per run */
    bool balloon_enabled;     /* vdsm's balloonEnabled */
    pol_hosts hosts;      /* where each host's VMs are; empty in `decide` */
} mom_cfg;

/* One guest monitor: the newest `history` samples, oldest at `head`. */
typedef struct mom_vm {
    const char *name; /* the view's name (simulation) or `owned` (decide) */
    char *owned;
    bool seen, ready;
    size_t n, head;
    int64_t sum_cur, sum_unused; /* KiB, over the held samples */
    size_t n_unused;             /* held samples that report mem_unused */
    int64_t *actual, *free;      /* bytes; free -1: not reported */
} mom_vm;

typedef struct mom_state {
    const mom_cfg *cfg;
    bs_time interval; /* learnt from next_tick; 0 (decide): every call samples and runs */
    size_t first_vm;  /* simulation: slot = view.vm - first_vm, below n_direct */
    size_t n_direct;
    mom_vm *vms;
    size_t n_vms, cap;
    int64_t *host_avail; /* bytes, ring of `history` */
    size_t host_n, host_head;
    int64_t host_sum; /* KiB */
} mom_state;

/* ---- configuration ---- */

static void mom_free_config(void *cfg) {
    mom_cfg *c = cfg;
    if (c == NULL) return;
    pol_hosts_free(&c->hosts);
    free(c);
}

static bs_rc read_fraction(cfg_ctx *cx, const cfg_node *params, const char *path, const char *key,
                           double dflt, bool positive, double *out) {
    if (params == NULL) {
        *out = dflt;
        return BS_OK;
    }
    bs_rc rc = cfg_get_fraction(cx, params, path, key, false, dflt, out);
    if (rc == BS_OK && positive && *out <= 0) {
        char vp[CFG_PATH_MAX];
        cfg_path_key(vp, path, key);
        cfg_error_expected(cx, cfg_map_get(params, key), vp, "a fraction above 0, such as 20%");
        *out = dflt;
        return BS_ERR_INPUT;
    }
    return rc;
}

static bs_rc mom_configure(cfg_ctx *cx, const cfg_node *params, const char *path,
                           const struct scen *sc, void **cfg) {
    *cfg = NULL;
    mom_cfg *c = calloc(1, sizeof *c);
    if (c == NULL) return BS_ERR_INTERNAL;
    /* MoM's defaults: doc/balloon.rules constants, mom/__init__.py config. */
    c->variant = MOM_UPSTREAM;
    c->pressure_threshold = 0.20;
    c->pressure_critical = 0.05;
    c->min_guest_free = 0.20;
    c->max_change = 0.05;
    c->min_change = 0.0025;
    c->history = 10;
    c->monitor_interval = 5 * BS_NS_PER_S;
    c->balloon_enabled = true;

    bs_rc rc = BS_OK, r;
    if (params != NULL) {
        const char *variant = "mom";
        r = cfg_get_string(cx, params, path, "variant", false, "mom", &variant);
        if (r == BS_OK) {
            if (strcmp(variant, "mom") == 0) {
                c->variant = MOM_UPSTREAM;
            } else if (strcmp(variant, "vdsm") == 0) {
                c->variant = MOM_VDSM;
            } else {
                char vp[CFG_PATH_MAX];
                cfg_path_key(vp, path, "variant");
                cfg_error_expected(cx, cfg_map_get(params, "variant"), vp, "mom or vdsm");
                r = BS_ERR_INPUT;
            }
        }
        if (r != BS_OK) rc = r;
        int64_t h = (int64_t)c->history;
        r = cfg_get_count(cx, params, path, "sample_history_length", false, h, &h);
        if (r == BS_OK && h > MOM_MAX_HISTORY) {
            char vp[CFG_PATH_MAX];
            cfg_path_key(vp, path, "sample_history_length");
            cfg_error_expected(cx, cfg_map_get(params, "sample_history_length"), vp,
                               "a count from 1 to 1000");
            r = BS_ERR_INPUT;
        }
        if (r == BS_OK) c->history = (size_t)h;
        if (r != BS_OK) rc = r;
        r = cfg_get_time(cx, params, path, "monitor_interval", false, c->monitor_interval,
                         &c->monitor_interval);
        if (r == BS_OK && c->monitor_interval < 0) {
            char vp[CFG_PATH_MAX];
            cfg_path_key(vp, path, "monitor_interval");
            cfg_error_expected(cx, cfg_map_get(params, "monitor_interval"), vp,
                               "an interval of 0 or more, such as 5s");
            r = BS_ERR_INPUT;
        }
        if (r != BS_OK) rc = r;
        r = cfg_get_bool(cx, params, path, "balloon_enabled", false, true, &c->balloon_enabled);
        if (r != BS_OK) rc = r;
    }
    /* A zero threshold would divide by zero in the rules; MoM's evaluation
     * would then fail on every run, which no one configures on purpose. */
    r = read_fraction(cx, params, path, "pressure_threshold", 0.20, true, &c->pressure_threshold);
    if (r != BS_OK) rc = r;
    r = read_fraction(cx, params, path, "pressure_critical", 0.05, false, &c->pressure_critical);
    if (r != BS_OK) rc = r;
    r = read_fraction(cx, params, path, "min_guest_free_percent", 0.20, false, &c->min_guest_free);
    if (r != BS_OK) rc = r;
    r = read_fraction(cx, params, path, "max_balloon_change_percent", 0.05, false, &c->max_change);
    if (r != BS_OK) rc = r;
    r = read_fraction(cx, params, path, "min_balloon_change_percent", 0.0025, false,
                      &c->min_change);
    if (r != BS_OK) rc = r;

    if (rc == BS_OK && sc != NULL) {
        rc = pol_hosts_init(&c->hosts, sc);
    }
    if (rc != BS_OK) {
        mom_free_config(c);
        return rc;
    }
    *cfg = c;
    return BS_OK;
}

/* ---- state ---- */

static bs_rc vm_init(mom_vm *v, size_t history) {
    memset(v, 0, sizeof *v);
    v->actual = malloc(2 * history * sizeof *v->actual);
    if (v->actual == NULL) return BS_ERR_INTERNAL;
    v->free = v->actual + history;
    return BS_OK;
}

static void mom_free_state(void *state) {
    mom_state *st = state;
    if (st == NULL) return;
    for (size_t i = 0; i < st->n_vms; i++) {
        free(st->vms[i].actual);
        free(st->vms[i].owned);
    }
    free(st->vms);
    free(st->host_avail);
    free(st);
}

static bs_rc mom_state_new(const void *cfg, size_t host, void **state) {
    const mom_cfg *c = cfg;
    assert(c != NULL);
    *state = NULL;
    mom_state *st = calloc(1, sizeof *st);
    if (st == NULL) return BS_ERR_INTERNAL;
    st->cfg = c;
    st->host_avail = malloc(c->history * sizeof *st->host_avail);
    bs_rc rc = st->host_avail != NULL ? BS_OK : BS_ERR_INTERNAL;
    /* In a simulation every VM of the host has its slot from the start, found
     * by index: ticks neither search nor allocate. */
    size_t first, count;
    if (rc == BS_OK && pol_hosts_range(&c->hosts, host, &first, &count) && count > 0) {
        st->first_vm = first;
        st->vms = calloc(count, sizeof *st->vms);
        if (st->vms == NULL) rc = BS_ERR_INTERNAL;
        st->cap = count;
        for (size_t i = 0; rc == BS_OK && i < st->cap; i++) {
            rc = vm_init(&st->vms[i], c->history);
            if (rc == BS_OK) st->n_vms++;
        }
        if (rc == BS_OK) st->n_direct = st->cap;
    }
    if (rc != BS_OK) {
        mom_free_state(st);
        return rc;
    }
    *state = st;
    return BS_OK;
}

/* The slot of a VM: by index in a simulation, by name in `decide`. */
static mom_vm *find_vm(mom_state *st, const pol_vm_view *v) {
    if (v->vm != SIZE_MAX && v->vm >= st->first_vm && v->vm - st->first_vm < st->n_direct)
        return &st->vms[v->vm - st->first_vm];
    if (v->name == NULL) return NULL;
    for (size_t i = st->n_direct; i < st->n_vms; i++)
        if (strcmp(st->vms[i].name, v->name) == 0) return &st->vms[i];
    return NULL;
}

/* A new slot by name.  Only `decide` snapshots (and state_load) get here: in
 * a simulation every VM has its slot from state_new. */
static bs_rc add_vm(mom_state *st, const char *name, mom_vm **out) {
    *out = NULL;
    if (st->n_vms == st->cap) {
        size_t cap = st->cap ? 2 * st->cap : 8;
        mom_vm *vms = realloc(st->vms, cap * sizeof *vms);
        if (vms == NULL) return BS_ERR_INTERNAL;
        st->vms = vms;
        st->cap = cap;
    }
    mom_vm *v = &st->vms[st->n_vms];
    bs_rc rc = vm_init(v, st->cfg->history);
    if (rc != BS_OK) return rc;
    v->owned = strdup(name);
    if (v->owned == NULL) {
        free(v->actual);
        return BS_ERR_INTERNAL;
    }
    v->name = v->owned;
    st->n_vms++;
    *out = v;
    return BS_OK;
}

/* Bytes to KiB as a KiB counter reads them (rounded down; never negative). */
static int64_t kib(int64_t bytes) { return bytes > 0 ? bytes / KIB : 0; }

static void vm_reset(mom_vm *v) {
    v->n = v->head = v->n_unused = 0;
    v->sum_cur = v->sum_unused = 0;
    v->ready = false;
}

/* Append a sample, dropping the oldest beyond `history` (Monitor.collect's
 * deque with popleft). */
static void vm_push(mom_vm *v, size_t history, int64_t actual, int64_t free_b) {
    size_t at;
    if (v->n == history) {
        at = v->head;
        v->sum_cur -= kib(v->actual[at]);
        if (v->free[at] >= 0) {
            v->sum_unused -= kib(v->free[at]);
            v->n_unused--;
        }
        v->head = (v->head + 1) % history;
    } else {
        at = (v->head + v->n) % history;
        v->n++;
    }
    v->actual[at] = actual;
    v->free[at] = free_b;
    v->sum_cur += kib(actual);
    if (free_b >= 0) {
        v->sum_unused += kib(free_b);
        v->n_unused++;
    }
}

static void host_push(mom_state *st, int64_t avail) {
    size_t history = st->cfg->history, at;
    if (st->host_n == history) {
        at = st->host_head;
        st->host_sum -= kib(st->host_avail[at]);
        st->host_head = (st->host_head + 1) % history;
    } else {
        at = (st->host_head + st->host_n) % history;
        st->host_n++;
    }
    st->host_avail[at] = avail;
    st->host_sum += kib(avail);
}

static size_t newest(const mom_vm *v, size_t history) { return (v->head + v->n - 1) % history; }

/* ---- the rules ---- */

/* Everything the rules read of one guest, in MoM's units (KiB). */
typedef struct mom_guest {
    int64_t cur, lo, hi; /* balloon_cur, balloon_min, balloon_max */
    double used;         /* StatAvg(balloon_cur) - StatAvg(mem_unused) */
    bool unused_valid;   /* the newest sample reports mem_unused */
} mom_guest;

/* change_big_enough: |new - cur| > min_balloon_change_percent * cur. */
static bool big_enough(const mom_cfg *c, const mom_guest *g, double val) {
    double d = val - (double)g->cur;
    if (d < 0) d = -d;
    return d > c->min_change * (double)g->cur;
}

/* The guest's desired free share under host_free_percent `hfp`: the first
 * `if` of shrink_guest (and, in vdsm, of grow_guest). */
static double scaled_free_percent(const mom_cfg *c, double hfp) {
    if (hfp <= c->pressure_critical) return MOM_CRITICAL_OFFSET + hfp;
    return c->min_guest_free * (hfp / c->pressure_threshold);
}

/* Python's max(a, b) of the rules: the first argument unless the second is
 * larger. */
static double py_max(double a, double b) { return b > a ? b : a; }

/* (max guest.balloon_min (+ guest_used_mem (* share guest.balloon_cur))).
 * The product is its own statement so that no compiler may fuse it with the
 * sum into one fma (C allows contraction only within an expression): Python
 * rounds both. */
static double guest_floor(const mom_guest *g, double share) {
    double part = share * (double)g->cur;
    double want = g->used + part;
    return py_max((double)g->lo, want);
}

/* shrink_guest: returns true and the new size when the rule sets a target. */
static bool shrink_guest(const mom_cfg *c, const mom_guest *g, double free_pct, double *out) {
    double cur = (double)g->cur;
    double floor_ = guest_floor(g, free_pct);
    double size = cur * (1 - c->max_change);
    if (size < floor_) size = floor_;
    if (size <= cur && big_enough(c, g, size)) {
        *out = size;
        return true;
    }
    return false;
}

/* grow_guest: only a guest below its maximum; the floor first, then the cap
 * (the order of the rules: a floor above balloon_max still ends at the cap). */
static bool grow_guest(const mom_cfg *c, const mom_guest *g, double free_pct, double *out) {
    if (!(g->cur < g->hi)) return false;
    double cur = (double)g->cur;
    double floor_ = guest_floor(g, free_pct);
    double size = cur * (1 + c->max_change);
    if (size < floor_) size = floor_;
    if (size > (double)g->hi) size = (double)g->hi;
    if (big_enough(c, g, size)) {
        *out = size;
        return true;
    }
    return false;
}

/* The Balloon controller: int(target) KiB (truncation), handed to libvirt in
 * KiB; here in bytes. */
static int64_t to_target(double size_kib) { return (int64_t)size_kib * KIB; }

static bool managed(const pol_vm_view *v) { return v->balloon && v->shares > 0 && !v->locked; }

static void sample(mom_state *st, const pol_host_view *host, const pol_vm_view *vms, size_t n) {
    const mom_cfg *c = st->cfg;
    host_push(st, host->available >= 0 ? host->available : host->free);
    for (size_t i = 0; i < st->n_vms; i++) st->vms[i].seen = false;
    for (size_t i = 0; i < n; i++) {
        mom_vm *v = find_vm(st, &vms[i]);
        if (v == NULL) continue; /* no name and no index: cannot be tracked */
        if (v->name == NULL) v->name = vms[i].name;
        v->seen = true;
        int64_t free_b = vms[i].free >= 0 ? vms[i].free : -1;
        if (c->variant == MOM_UPSTREAM && free_b < 0) {
            /* mem_unused is mandatory for GuestMemory: an incomplete sample
             * is not stored and the monitor is not ready. */
            v->ready = false;
            continue;
        }
        vm_push(v, c->history, vms[i].actual, free_b);
        v->ready = true;
    }
    for (size_t i = 0; i < st->n_vms; i++)
        if (!st->vms[i].seen) vm_reset(&st->vms[i]);
}

static void run_rules(mom_state *st, const pol_host_view *host, const pol_vm_view *vms, size_t n,
                      int64_t *targets) {
    const mom_cfg *c = st->cfg;
    int64_t total = kib(host->memory);
    /* No host sample yet (HostMonitor not ready: do_controls returns), or a
     * division by zero that would abort MoM's evaluation. */
    if (st->host_n == 0 || total <= 0) return;
    /* (/ (Host.StatAvg "mem_free") Host.mem_available) */
    double hfp = ((double)st->host_sum / (double)st->host_n) / (double)total;
    bool pressure = hfp < c->pressure_threshold;
    double scaled = scaled_free_percent(c, hfp);

    for (size_t i = 0; i < n; i++) {
        const pol_vm_view *vv = &vms[i];
        if (!managed(vv)) continue;
        mom_vm *v = find_vm(st, vv);
        if (v == NULL || !v->ready || v->n == 0) continue; /* not in Guests */
        size_t last = newest(v, c->history);
        mom_guest g = {.cur = kib(v->actual[last]), .lo = kib(vv->min), .hi = kib(vv->max),
                       .unused_valid = v->free[last] >= 0};
        double avg_cur = (double)v->sum_cur / (double)v->n;
        double avg_unused = v->n_unused ? (double)v->sum_unused / (double)v->n_unused : 0.0;
        g.used = avg_cur - avg_unused;

        double size = 0;
        bool set = false;
        if (c->variant == MOM_UPSTREAM) {
            /* doc/balloon.rules: shrink everyone under pressure, else grow
             * towards min_guest_free_percent. */
            set = pressure ? shrink_guest(c, &g, scaled, &size)
                           : grow_guest(c, &g, c->min_guest_free, &size);
        } else {
            /* 02-balloon.policy: balloon_logic only for guests whose
             * mem_unused is valid; both ways use the scaled free share. */
            if (g.unused_valid)
                set = pressure && c->balloon_enabled ? shrink_guest(c, &g, scaled, &size)
                                                     : grow_guest(c, &g, scaled, &size);
            /* guest_qos, evaluated after: a guest below its guaranteed memory
             * goes straight back to it (the last Control wins). */
            if (g.cur < g.lo) {
                size = (double)g.lo;
                set = true;
            }
        }
        if (set) targets[i] = to_target(size);
    }
}

static bs_rc mom_decide(const void *cfg, void *state, bs_time now, const pol_host_view *host,
                        const pol_vm_view *vms, size_t n, int64_t *targets) {
    (void)cfg;
    mom_state *st = state;
    assert(st != NULL);
    const mom_cfg *c = st->cfg;
    bool take = true, run = true;
    if (st->interval > 0 && now >= 0) {
        bs_time mi = c->monitor_interval > 0 ? c->monitor_interval : st->interval;
        take = now % mi == 0;
        run = now % st->interval == 0;
    }
    if (take) {
        /* Snapshot VMs not seen before get a monitor (never in a simulation:
         * every VM has its slot from state_new). */
        for (size_t i = 0; i < n; i++) {
            if (find_vm(st, &vms[i]) != NULL || vms[i].name == NULL) continue;
            mom_vm *v;
            bs_rc rc = add_vm(st, vms[i].name, &v);
            if (rc != BS_OK) return rc;
        }
        sample(st, host, vms, n);
    }
    if (run) run_rules(st, host, vms, n, targets);
    return BS_OK;
}

/* Ticks at every monitor interval (samples) and every policy interval (runs). */
static bs_time mom_next_tick(const void *cfg, void *state, size_t host, bs_time now,
                             bs_time interval) {
    (void)host;
    const mom_cfg *c = cfg;
    mom_state *st = state;
    if (st != NULL) st->interval = interval;
    bs_time mi = c->monitor_interval > 0 ? c->monitor_interval : interval;
    bs_time a = now < 0 ? interval : (now / interval + 1) * interval;
    bs_time b = now < 0 ? mi : (now / mi + 1) * mi;
    return BS_MIN(a, b);
}

/* ---- `decide` state: {host: {available: [...]}, vms: {NAME: {actual: [...],
 * free: [...]}}}, bytes, oldest sample first (free null: not reported). */

static bs_rc load_list(cfg_ctx *cx, const cfg_node *n, const char *path, bool nulls,
                       int64_t *out, size_t *len) {
    *len = 0;
    if (cfg_expect_seq(cx, n, path) != BS_OK) return BS_ERR_INPUT;
    bs_rc rc = BS_OK;
    for (size_t i = 0; i < n->n; i++) {
        char ip[CFG_PATH_MAX];
        cfg_path_index(ip, path, i);
        const cfg_node *item = n->entries[i].val;
        n->entries[i].used = true;
        int64_t b = -1;
        if (!(nulls && cfg_is_null(item))) {
            double d;
            if (cfg_as_value(cx, item, ip, UNIT_SIZE, &d) != BS_OK) {
                rc = BS_ERR_INPUT;
                continue;
            }
            b = (int64_t)d;
        }
        out[i] = b;
    }
    *len = n->n;
    return rc;
}

static bs_rc mom_state_load(cfg_ctx *cx, const cfg_node *node, const char *path, void *state) {
    mom_state *st = state;
    assert(st != NULL);
    if (node == NULL || cfg_is_null(node)) return BS_OK;
    if (cfg_expect_map(cx, node, path) != BS_OK) return BS_ERR_INPUT;
    const mom_cfg *c = st->cfg;
    bs_rc rc = BS_OK;
    size_t errs_before = cx->errs->n; /* unknown keys do not return an rc */
    char p[CFG_PATH_MAX], q[CFG_PATH_MAX];

    /* Lists longer than the history keep their newest samples, as the
     * monitors' deques would. */
    const cfg_node *h = cfg_map_get(node, "host");
    if (h != NULL) {
        cfg_path_key(p, path, "host");
        if (cfg_expect_map(cx, h, p) != BS_OK) {
            rc = BS_ERR_INPUT;
        } else {
            const cfg_node *a = cfg_map_get(h, "available");
            if (a != NULL) {
                cfg_path_key(q, p, "available");
                size_t len = 0;
                int64_t *buf = malloc((a->n ? a->n : 1) * sizeof *buf);
                if (buf == NULL) return BS_ERR_INTERNAL;
                if (load_list(cx, a, q, false, buf, &len) == BS_OK) {
                    st->host_n = st->host_head = 0;
                    st->host_sum = 0;
                    for (size_t i = 0; i < len; i++) host_push(st, buf[i]);
                } else {
                    rc = BS_ERR_INPUT;
                }
                free(buf);
            }
            cfg_check_unknown(cx, h, p, "available");
        }
    }
    const cfg_node *vs = cfg_map_get(node, "vms");
    if (vs != NULL) {
        cfg_path_key(p, path, "vms");
        if (cfg_expect_map(cx, vs, p) != BS_OK) return BS_ERR_INPUT;
        for (size_t k = 0; k < vs->n; k++) {
            const char *name = vs->entries[k].key;
            const cfg_node *vn = vs->entries[k].val;
            vs->entries[k].used = true;
            cfg_path_key(q, p, name);
            if (cfg_expect_map(cx, vn, q) != BS_OK) {
                rc = BS_ERR_INPUT;
                continue;
            }
            const cfg_node *an = cfg_map_get(vn, "actual"), *fn = cfg_map_get(vn, "free");
            cfg_check_unknown(cx, vn, q, "actual, free");
            if (an == NULL || fn == NULL) {
                cfg_error(cx, vn, q, "missing required key '%s'", an == NULL ? "actual" : "free");
                rc = BS_ERR_INPUT;
                continue;
            }
            size_t cap = BS_MAX(an->n, fn->n) + 1, la = 0, lf = 0;
            int64_t *buf = malloc(2 * cap * sizeof *buf);
            if (buf == NULL) return BS_ERR_INTERNAL;
            char ap[CFG_PATH_MAX], fp[CFG_PATH_MAX];
            cfg_path_key(ap, q, "actual");
            cfg_path_key(fp, q, "free");
            bs_rc r1 = load_list(cx, an, ap, false, buf, &la);
            bs_rc r2 = load_list(cx, fn, fp, true, buf + cap, &lf);
            if (r1 == BS_OK && r2 == BS_OK && la != lf) {
                cfg_error(cx, fn, fp,
                          "expected as many samples as 'actual' (%zu), found %zu", la, lf);
                r1 = BS_ERR_INPUT;
            }
            if (r1 != BS_OK || r2 != BS_OK) {
                free(buf);
                rc = BS_ERR_INPUT;
                continue;
            }
            pol_vm_view key = {.name = name, .vm = SIZE_MAX};
            mom_vm *v = find_vm(st, &key);
            bs_rc ra = v != NULL ? BS_OK : add_vm(st, name, &v);
            if (ra != BS_OK) {
                free(buf);
                return ra;
            }
            vm_reset(v);
            for (size_t i = 0; i < la; i++) {
                if (c->variant == MOM_UPSTREAM && buf[cap + i] < 0) continue; /* never stored */
                vm_push(v, c->history, buf[i], buf[cap + i]);
            }
            v->ready = v->n > 0;
            free(buf);
        }
    }
    if (cx->errs->n > errs_before && rc == BS_OK) rc = BS_ERR_INPUT;
    return rc;
}

static void dump_ring(FILE *f, const int64_t *ring, size_t head, size_t n, size_t history) {
    fputc('[', f);
    for (size_t i = 0; i < n; i++) {
        int64_t b = ring[(head + i) % history];
        if (i) fputs(", ", f);
        if (b < 0) fputs("null", f);
        else fprintf(f, "%lld", (long long)b);
    }
    fputc(']', f);
}

static void mom_state_dump(FILE *f, const void *state) {
    const mom_state *st = state;
    assert(st != NULL);
    size_t history = st->cfg->history;
    fputs("{\"host\": {\"available\": ", f);
    dump_ring(f, st->host_avail, st->host_head, st->host_n, history);
    fputs("}, \"vms\": {", f);
    bool first = true;
    for (size_t i = 0; i < st->n_vms; i++) {
        const mom_vm *v = &st->vms[i];
        if (v->n == 0 || v->name == NULL) continue;
        if (!first) fputs(", ", f);
        first = false;
        txt_json_string(f, v->name);
        fputs(": {\"actual\": ", f);
        dump_ring(f, v->actual, v->head, v->n, history);
        fputs(", \"free\": ", f);
        dump_ring(f, v->free, v->head, v->n, history);
        fputc('}', f);
    }
    fputs("}}", f);
}

static const pol_param mom_params[] = {
    {"variant", "mom", "name",
     "mom: MoM's doc/balloon.rules; vdsm: the rules oVirt hosts run (vdsm mom.d/"
     "02-balloon.policy): the guest's free share follows the host's both ways, shrinking only "
     "with balloon_enabled, and a guest below its min goes straight back to it"},
    {"pressure_threshold", "20%", "fraction",
     "host free (MemFree+Buffers+Cached, averaged) below this share of host memory: shrink "
     "guests (above 0)"},
    {"pressure_critical", "5%", "fraction",
     "at or below this, pressure is critical: a guest's free share becomes host free - 5% "
     "(below 0: it is pushed into swap)"},
    {"min_guest_free_percent", "20%", "fraction",
     "free memory (MemFree) a guest keeps without host pressure, as a share of its current "
     "memory; scaled by host free / pressure_threshold under pressure"},
    {"max_balloon_change_percent", "5%", "fraction",
     "most a run changes a guest, as a share of its current memory (a floor can exceed it)"},
    {"min_balloon_change_percent", "0.25%", "fraction",
     "changes not larger than this share of current memory are skipped"},
    {"sample_history_length", "10", "count",
     "samples in the moving averages (MoM's sample-history-length, 1 to 1000)"},
    {"monitor_interval", "5s", "time",
     "how often a sample is taken (MoM's host-/guest-monitor-interval; 0: once per run)"},
    {"balloon_enabled", "true", "bool",
     "variant vdsm only: the cluster's memory balloon optimization (vdsm's balloonEnabled); "
     "false: guests only grow"},
    {NULL, NULL, NULL, NULL},
};

const pol_type pol_mom = {
    .name = "mom",
    .description = "oVirt MoM's balloon rules: under host pressure (free < 20%) guests shrink "
                   "towards a free share scaled by host pressure, otherwise they grow back; at "
                   "most 5% per run, averages of the last 10 samples (variant vdsm: the rules "
                   "oVirt ships)",
    .params = mom_params,
    .default_interval = 10 * BS_NS_PER_S, /* MoM's policy-engine-interval */
    .default_stats_interval = 5 * BS_NS_PER_S, /* guest-monitor-interval */
    .configure = mom_configure,
    .free_config = mom_free_config,
    .state_new = mom_state_new,
    .free_state = mom_free_state,
    .decide = mom_decide,
    .next_tick = mom_next_tick,
    .state_load = mom_state_load,
    .state_dump = mom_state_dump,
};
