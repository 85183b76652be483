/* scripted.c -- replay of an operator's target changes.
 *
 * `params.targets: [{at: 1h, vm: web-2, target: 4GiB}, ...]` sets exactly
 * those targets at those times, as `virsh setmem` would: the way to reproduce
 * an incident or to test the driver model with a known input.  The policy is
 * stateless; everything is worked out at configure time:
 *   - entries sorted by `at`, file order kept for equal times, so the last
 *     entry in the file wins when two set the same VM at the same instant;
 *   - per host, the sorted times of the entries whose VM lives there, so
 *     next_tick() is a binary search and a host is only woken for its own VMs.
 * Targets are reported in whole bytes exactly as written (rounded down only
 * when a size has a fractional byte); the engine clamps to [min, max] and
 * rounds to pages when it applies them.  An entry whose VM is not running at
 * its time (not among the views) is dropped. */
#include "policies/pol.h"
#include "sim/scenario.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct scr_entry {
    bs_time at;
    int64_t target; /* bytes */
    size_t vm;      /* index into scen.vms; SIZE_MAX when configured without a scenario */
    size_t host;    /* scen.vms[vm].host; SIZE_MAX without a scenario */
    size_t order;   /* position in the file */
    char *name;
} scr_entry;

typedef struct scr_cfg {
    scr_entry *e; /* sorted by (at, order) */
    size_t n;
    /* With a scenario: times of host h's entries, sorted, are
     * host_at[host_start[h] .. host_start[h + 1]). */
    size_t n_hosts;
    size_t *host_start;
    bs_time *host_at;
} scr_cfg;

#define SCR_KEYS "at, vm, target"
#define SCR_NAMES_SHOWN 5 /* valid names listed in an unknown-VM message */

static void scr_free_config(void *cfg) {
    scr_cfg *c = cfg;
    if (c == NULL) return;
    for (size_t i = 0; i < c->n; i++) free(c->e[i].name);
    free(c->e);
    free(c->host_start);
    free(c->host_at);
    free(c);
}

static int entry_cmp(const void *a, const void *b) {
    const scr_entry *x = a, *y = b;
    if (x->at != y->at) return x->at < y->at ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* "web-1, web-2, db, ..." : a few names, enough to spot a typo. */
static void some_names(const scen *sc, char *buf, size_t len) {
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sc->n_vms && i < SCR_NAMES_SHOWN; i++) {
        int w = snprintf(buf + used, len - used, "%s%s", i ? ", " : "", sc->vms[i].name);
        if (w < 0 || (size_t)w >= len - used) break;
        used += (size_t)w;
    }
    if (sc->n_vms > SCR_NAMES_SHOWN && used + 5 < len) strcat(buf, ", ...");
}

/* One `{at, vm, target}` item.  Records every error it finds; returns
 * BS_ERR_INPUT if there was any. */
static bs_rc read_entry(cfg_ctx *cx, const cfg_node *item, const char *path, const scen *sc,
                        scr_entry *out) {
    bs_rc rc = cfg_expect_map(cx, item, path);
    if (rc != BS_OK) return rc;
    char sub[CFG_PATH_MAX];

    if (cfg_get_time(cx, item, path, "at", true, 0, &out->at) != BS_OK) {
        rc = BS_ERR_INPUT;
    } else if (out->at < 0) {
        cfg_path_key(sub, path, "at");
        cfg_error_expected(cx, cfg_map_entry(item, "at")->val, sub, "a time >= 0");
        rc = BS_ERR_INPUT;
    }

    const char *name = NULL;
    if (cfg_get_string(cx, item, path, "vm", true, NULL, &name) != BS_OK || name == NULL) {
        rc = BS_ERR_INPUT;
    } else if (sc != NULL) {
        out->vm = scen_find_vm(sc, name);
        if (out->vm == SIZE_MAX) {
            char names[256], what[320];
            some_names(sc, names, sizeof names);
            snprintf(what, sizeof what, "the name of a VM of the scenario (%s)", names);
            cfg_path_key(sub, path, "vm");
            cfg_error_expected(cx, cfg_map_entry(item, "vm")->val, sub, what);
            rc = BS_ERR_INPUT;
        } else {
            out->host = sc->vms[out->vm].host;
        }
    }

    const cfg_node *tn = cfg_map_get(item, "target");
    if (tn == NULL) {
        cfg_error(cx, item, path, "missing required key 'target'");
        rc = BS_ERR_INPUT;
    } else {
        /* Exact bytes, not pages: the policy reports what the script says. */
        if (cfg_get_bytes(cx, item, path, "target", true, 0, &out->target) != BS_OK) rc = BS_ERR_INPUT;
    }

    cfg_check_unknown(cx, item, path, SCR_KEYS);
    for (size_t i = 0; i < item->n; i++)
        if (!item->entries[i].used) rc = BS_ERR_INPUT;

    if (rc == BS_OK && name != NULL) {
        out->name = strdup(name);
        if (out->name == NULL) return BS_ERR_INTERNAL;
    }
    return rc;
}

/* Per-host sorted times, for next_tick (counting sort by host, then sort). */
static bs_rc index_hosts(scr_cfg *c, const scen *sc) {
    c->n_hosts = sc->n_hosts;
    c->host_start = calloc(c->n_hosts + 1, sizeof *c->host_start);
    c->host_at = malloc((c->n ? c->n : 1) * sizeof *c->host_at);
    if (c->host_start == NULL || c->host_at == NULL) return BS_ERR_INTERNAL;
    for (size_t i = 0; i < c->n; i++) {
        assert(c->e[i].host < c->n_hosts);
        c->host_start[c->e[i].host + 1]++;
    }
    for (size_t h = 0; h < c->n_hosts; h++) c->host_start[h + 1] += c->host_start[h];
    /* Entries are already in time order: filling each host's slice in that
     * order leaves it sorted. */
    size_t *fill = calloc(c->n_hosts ? c->n_hosts : 1, sizeof *fill);
    if (fill == NULL) return BS_ERR_INTERNAL;
    for (size_t i = 0; i < c->n; i++) {
        size_t h = c->e[i].host;
        c->host_at[c->host_start[h] + fill[h]++] = c->e[i].at;
    }
    free(fill);
    return BS_OK;
}

static bs_rc scr_configure(cfg_ctx *cx, const cfg_node *params, const char *path,
                           const struct scen *sc, void **cfg) {
    *cfg = NULL;
    if (params == NULL) {
        /* No node to point at: the loader passes NULL when `params` is absent. */
        cfg_error(cx, NULL, path, "missing required key 'targets' (the scripted policy needs "
                                  "params.targets: [{at: TIME, vm: NAME, target: SIZE}, ...])");
        return BS_ERR_INPUT;
    }
    if (cfg_expect_map(cx, params, path) != BS_OK) return BS_ERR_INPUT;
    const cfg_node *list = cfg_map_get(params, "targets");
    if (list == NULL) {
        cfg_error(cx, params, path, "missing required key 'targets'");
        return BS_ERR_INPUT;
    }
    char lpath[CFG_PATH_MAX];
    cfg_path_key(lpath, path, "targets");
    if (cfg_expect_seq(cx, list, lpath) != BS_OK) return BS_ERR_INPUT;
    if (list->n == 0) {
        cfg_error(cx, list, lpath,
                  "expected a non-empty list of {at, vm, target}, found an empty sequence");
        return BS_ERR_INPUT;
    }

    scr_cfg *c = calloc(1, sizeof *c);
    if (c == NULL) return BS_ERR_INTERNAL;
    c->e = calloc(list->n, sizeof *c->e);
    if (c->e == NULL) {
        free(c);
        return BS_ERR_INTERNAL;
    }
    c->n = list->n;
    bs_rc rc = BS_OK;
    for (size_t i = 0; i < list->n; i++) {
        char ipath[CFG_PATH_MAX];
        cfg_path_index(ipath, lpath, i);
        c->e[i] = (scr_entry){.vm = SIZE_MAX, .host = SIZE_MAX, .order = i};
        bs_rc r = read_entry(cx, list->entries[i].val, ipath, sc, &c->e[i]);
        if (r != BS_OK && rc != BS_ERR_INTERNAL) rc = r;
        if (rc == BS_ERR_INTERNAL) break; /* out of memory: stop here */
    }
    if (rc == BS_OK) {
        qsort(c->e, c->n, sizeof *c->e, entry_cmp);
        if (sc != NULL) rc = index_hosts(c, sc);
    }
    if (rc != BS_OK) {
        scr_free_config(c);
        return rc;
    }
    *cfg = c;
    return BS_OK;
}

/* First index in sorted a[0..n) with a[i] > t. */
static size_t upper_bound(const bs_time *a, size_t n, bs_time t) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a[mid] <= t) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* First entry with at > t (entries are sorted by at). */
static size_t first_entry_after(const scr_cfg *c, bs_time t) {
    size_t lo = 0, hi = c->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->e[mid].at <= t) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

static bs_time scr_next_tick(const void *cfg, void *state, size_t host, bs_time now,
                             bs_time interval) {
    (void)state, (void)interval;
    const scr_cfg *c = cfg;
    assert(c != NULL);
    if (c->host_at == NULL) {
        /* No scenario (`decide`): every entry could concern this host. */
        size_t k = first_entry_after(c, now);
        return k < c->n ? c->e[k].at : BS_TIME_NEVER;
    }
    if (host >= c->n_hosts) return BS_TIME_NEVER;
    const bs_time *a = c->host_at + c->host_start[host];
    size_t n = c->host_start[host + 1] - c->host_start[host];
    size_t k = upper_bound(a, n, now);
    return k < n ? a[k] : BS_TIME_NEVER;
}

static bool same_vm(const scr_entry *e, const pol_vm_view *v) {
    if (e->vm != SIZE_MAX && v->vm != SIZE_MAX) return e->vm == v->vm;
    return v->name != NULL && strcmp(e->name, v->name) == 0;
}

static bs_rc scr_decide(const void *cfg, void *state, bs_time now, const pol_host_view *host,
                        const pol_vm_view *vms, size_t n, int64_t *targets) {
    (void)state, (void)host;
    const scr_cfg *c = cfg;
    assert(c != NULL);
    /* First entry at `now`, then every entry at `now` in file order, so the
     * last one for a VM wins.  O(k n) for k entries at this instant: k is
     * tiny in any script, and a lookup table would cost an allocation. */
    if (now < 0) return BS_OK; /* entries have at >= 0 */
    for (size_t k = first_entry_after(c, now - 1); k < c->n && c->e[k].at == now; k++)
        for (size_t i = 0; i < n; i++)
            if (same_vm(&c->e[k], &vms[i])) {
                targets[i] = c->e[k].target;
                break;
            }
    return BS_OK;
}

static const pol_param scr_params[] = {
    {"targets", NULL, "list",
     "[{at: TIME, vm: NAME, target: SIZE}, ...]: at TIME, set VM NAME's target to SIZE "
     "(required, non-empty; the last entry wins for the same time and VM)"},
    {NULL, NULL, NULL, NULL},
};

const pol_type pol_scripted = {
    .name = "scripted",
    .description = "sets exactly the targets of params.targets at their times "
                   "(replays an operator's virsh setmem)",
    .params = scr_params,
    .default_interval = 10 * BS_NS_PER_S, /* unused: ticks at the script's times */
    .configure = scr_configure,
    .free_config = scr_free_config,
    .decide = scr_decide,
    .next_tick = scr_next_tick,
    .ticks = "ticks at the script's times",
};
