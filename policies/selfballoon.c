/* selfballoon.c -- the Xen guest's self-ballooning driver, page for page.
 *
 * Linux's drivers/xen/xen-selfballoon.c (Dan Magenheimer, 2011; removed with
 * tmem in Linux 5.3) let every guest size itself, with no host-level
 * coordination: every selfballoon_interval (5 s) selfballoon_process()
 * computes, in pages,
 *
 *   goal = vm_memory_committed() + totalreserve_pages
 *          + MB2PAGES(selfballoon_reserved_mb)
 *   cur > goal: tgt = cur - (cur - goal) / selfballoon_downhysteresis  (8)
 *   cur < goal: tgt = cur + (goal - cur) / selfballoon_uphysteresis    (1)
 *   tgt = max(tgt, floor)
 *
 * where cur = totalram_pages, so the guest shrinks by 1/8 of the gap per
 * tick and grows to its goal at once.  floor is totalreserve_pages +
 * selfballoon_min_usable_mb when that is set, otherwise a piecewise linear
 * function of max_pfn - totalreserve_pages "ending in ~3% slope".  The
 * target handed to the balloon is tgt + balloon_stats.current_pages -
 * totalram_pages.  selfballoon_reserved_mb defaults to a tenth of
 * totalram_pages when the driver starts, in whole MiB (xen_selfballoon_init).
 *
 * Mapping (docs/policies.md (`selfballoon`)): totalram_pages and current_pages
 * are both `actual` (the simulated guest has no memory outside the buddy
 * allocator), Committed_AS is `committed` (a VM whose report lacks it is left
 * alone), max_pfn is `max`, totalreserve_pages is the `totalreserve` param
 * (0: the simulated kernel keeps no watermark reserve), and the driver
 * "starts" at the first tick that sees the VM (again after it reboots).
 * Frontswap (tmem) is not simulated, so frontswap self-shrinking is off and
 * adds nothing to the goal.  All arithmetic is the kernel's: unsigned 64-bit
 * page counts, integer division, shifts, and MB2PAGES() on a 32-bit
 * unsigned int (it wraps from 16 TiB on, as the original does).
 *
 * Per-VM state is only the reserve fixed at start; it lives in slots indexed
 * by scenario VM (simulator) or by name (`decide`), allocated up front. */
#include "policies/pol.h"
#include "sim/base/text.h"
#include "sim/report/output.h"
#include "sim/scenario.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SB_PAGE_SHIFT 12
#define SB_MB2PAGES(mb) ((uint64_t)(uint32_t)((uint32_t)(mb) << (20 - SB_PAGE_SHIFT)))
#define SB_PAGES2MB(p) ((uint64_t)(p) >> (20 - SB_PAGE_SHIFT))
#define SB_PPM 1000000LL /* fractions of RAM are kept in parts per million, exactly */

typedef struct sb_cfg {
    uint64_t downhys, uphys; /* selfballoon_downhysteresis, _uphysteresis */
    uint32_t min_usable_mb;  /* selfballoon_min_usable_mb; 0 = piecewise floor */
    uint64_t totalreserve;   /* totalreserve_pages */
    bool reserved_is_fraction;
    int64_t reserved_ppm;    /* fraction of totalram_pages at start, in ppm */
    uint32_t reserved_mb;    /* when given as a size */
    pol_hosts hosts;         /* with a scenario: where each host's VMs are */
} sb_cfg;

typedef struct sb_vm {
    char *name;           /* owned (snapshots); NULL in the simulator */
    const char *vname;    /* as last seen */
    bool known, seen;
    uint32_t reserved_mb; /* selfballoon_reserved_mb, fixed when the driver starts */
} sb_vm;

typedef struct sb_state {
    size_t first_vm, n_host_vms;
    sb_vm *v;
    size_t n, cap;
    size_t *order; /* known VMs in the order they appeared (for the dump) */
    size_t n_order;
} sb_state;

/* ------------------------------------------------------------------ */
/* configuration                                                       */

static void sb_free_config(void *cfg) {
    sb_cfg *c = cfg;
    if (c == NULL) return;
    pol_hosts_free(&c->hosts);
    free(c);
}

static bs_rc read_hys(cfg_ctx *cx, const cfg_node *params, const char *path, const char *key,
                      uint64_t *out) {
    int64_t v = (int64_t)*out;
    if (cfg_get_uint(cx, params, path, key, false, v, &v) != BS_OK) return BS_ERR_INPUT;
    if (v < 1 || v > UINT32_MAX) { /* sysfs refuses 0; the variable is an unsigned int */
        char sub[CFG_PATH_MAX];
        cfg_path_key(sub, path, key);
        cfg_error_expected(cx, cfg_map_entry(params, key)->val, sub,
                           "a whole number from 1 to 4294967295");
        return BS_ERR_INPUT;
    }
    *out = (uint64_t)v;
    return BS_OK;
}

/* A size in whole MiB as the driver's unsigned int sysfs files hold it. */
static bs_rc read_mb(cfg_ctx *cx, const cfg_node *n, const char *path, uint32_t *out) {
    double bytes = 0;
    if (cfg_as_value(cx, n, path, UNIT_SIZE, &bytes) != BS_OK) return BS_ERR_INPUT;
    double mb = floor(bytes / (1024.0 * 1024.0));
    if (!(mb >= 0 && mb <= (double)UINT32_MAX)) {
        cfg_error_expected(cx, n, path, "a size from 0 to below 4096TiB");
        return BS_ERR_INPUT;
    }
    *out = (uint32_t)mb;
    return BS_OK;
}

static bs_rc read_reserved(cfg_ctx *cx, const cfg_node *params, const char *path, sb_cfg *c) {
    const cfg_node *n = cfg_map_get(params, "reserved");
    if (n == NULL) return BS_OK;
    char sub[CFG_PATH_MAX];
    cfg_path_key(sub, path, "reserved");
    if (n->kind == CFG_SCALAR && n->value != NULL && strchr(n->value, '%') != NULL) {
        double f = 0;
        if (cfg_as_value(cx, n, sub, UNIT_FRACTION, &f) != BS_OK) return BS_ERR_INPUT;
        if (!(f >= 0 && f <= 1)) {
            cfg_error_expected(cx, n, sub, "a fraction from 0% to 100%, or a size such as 256MiB");
            return BS_ERR_INPUT;
        }
        c->reserved_is_fraction = true;
        c->reserved_ppm = llround(f * (double)SB_PPM);
        return BS_OK;
    }
    c->reserved_is_fraction = false;
    return read_mb(cx, n, sub, &c->reserved_mb);
}

static bs_rc sb_configure(cfg_ctx *cx, const cfg_node *params, const char *path,
                          const struct scen *sc, void **cfg) {
    *cfg = NULL;
    sb_cfg *c = calloc(1, sizeof *c);
    if (c == NULL) return BS_ERR_INTERNAL;
    c->downhys = 8;
    c->uphys = 1;
    c->reserved_is_fraction = true;
    c->reserved_ppm = SB_PPM / 10; /* totalram_pages() / 10 */
    bs_rc rc = BS_OK;
    if (params != NULL) {
        if (cfg_expect_map(cx, params, path) != BS_OK) {
            sb_free_config(c);
            return BS_ERR_INPUT;
        }
        if (read_hys(cx, params, path, "downhysteresis", &c->downhys) != BS_OK) rc = BS_ERR_INPUT;
        if (read_hys(cx, params, path, "uphysteresis", &c->uphys) != BS_OK) rc = BS_ERR_INPUT;
        if (read_reserved(cx, params, path, c) != BS_OK) rc = BS_ERR_INPUT;
        const cfg_node *mu = cfg_map_get(params, "min_usable");
        if (mu != NULL) {
            char sub[CFG_PATH_MAX];
            cfg_path_key(sub, path, "min_usable");
            if (read_mb(cx, mu, sub, &c->min_usable_mb) != BS_OK) rc = BS_ERR_INPUT;
        }
        bs_pages tr = 0;
        if (cfg_get_size(cx, params, path, "totalreserve", false, 0, &tr) != BS_OK) {
            rc = BS_ERR_INPUT;
        } else if (tr < 0) {
            char sub[CFG_PATH_MAX];
            cfg_path_key(sub, path, "totalreserve");
            cfg_error_expected(cx, cfg_map_entry(params, "totalreserve")->val, sub, "a size >= 0");
            rc = BS_ERR_INPUT;
        }
        c->totalreserve = (uint64_t)BS_MAX(tr, 0);
    }
    if (rc == BS_OK) rc = pol_hosts_init(&c->hosts, sc);
    if (rc != BS_OK) {
        sb_free_config(c);
        return rc;
    }
    *cfg = c;
    return BS_OK;
}

/* ------------------------------------------------------------------ */
/* state                                                               */

static bs_rc reserve(sb_state *st, size_t n) {
    if (n <= st->cap) return BS_OK;
    size_t cap = BS_MAX(n, 2 * st->cap);
    sb_vm *v = realloc(st->v, cap * sizeof *v);
    if (v == NULL) return BS_ERR_INTERNAL;
    st->v = v;
    size_t *o = realloc(st->order, cap * sizeof *o);
    if (o == NULL) return BS_ERR_INTERNAL;
    st->order = o;
    st->cap = cap;
    return BS_OK;
}

static void sb_free_state(void *state) {
    sb_state *st = state;
    if (st == NULL) return;
    for (size_t i = 0; i < st->n; i++) free(st->v[i].name);
    free(st->v);
    free(st->order);
    free(st);
}

static bs_rc sb_state_new(const void *cfg, size_t host, void **state) {
    const sb_cfg *c = cfg;
    sb_state *st = calloc(1, sizeof *st);
    if (st == NULL) return BS_ERR_INTERNAL;
    if (c != NULL) pol_hosts_range(&c->hosts, host, &st->first_vm, &st->n_host_vms);
    bs_rc rc = reserve(st, BS_MAX(st->n_host_vms, 1));
    if (rc != BS_OK) {
        sb_free_state(st);
        return rc;
    }
    for (size_t i = 0; i < st->n_host_vms; i++) st->v[i] = (sb_vm){0};
    st->n = st->n_host_vms;
    *state = st;
    return BS_OK;
}

/* By scenario index in the simulator, by name in `decide` snapshots. */
static bs_rc slot_of(sb_state *st, size_t vm, const char *name, size_t *out) {
    if (vm != SIZE_MAX && vm >= st->first_vm && vm - st->first_vm < st->n_host_vms) {
        *out = vm - st->first_vm;
        return BS_OK;
    }
    const char *nm = name != NULL ? name : "";
    for (size_t i = st->n_host_vms; i < st->n; i++)
        if (strcmp(st->v[i].name, nm) == 0) {
            *out = i;
            return BS_OK;
        }
    bs_rc rc = reserve(st, st->n + 1);
    if (rc != BS_OK) return rc;
    sb_vm *v = &st->v[st->n];
    *v = (sb_vm){.name = strdup(nm)};
    if (v->name == NULL) return BS_ERR_INTERNAL;
    *out = st->n++;
    return BS_OK;
}

/* ------------------------------------------------------------------ */
/* selfballoon_process()                                               */

static uint64_t pages_of(int64_t bytes) { return bytes > 0 ? (uint64_t)bytes >> SB_PAGE_SHIFT : 0; }

/* xen_selfballoon_init(): the reserve, from totalram_pages at start. */
static uint32_t reserved_at_start(const sb_cfg *c, uint64_t totalram) {
    if (!c->reserved_is_fraction) return c->reserved_mb;
    /* totalram < 2^50, ppm <= 10^6 < 2^20: no overflow; 10% is totalram / 10 */
    uint64_t reserve_pages = totalram * (uint64_t)c->reserved_ppm / (uint64_t)SB_PPM;
    return (uint32_t)SB_PAGES2MB(reserve_pages);
}

/* The target in pages for one guest. */
static uint64_t process(const sb_cfg *c, uint32_t reserved_mb, uint64_t cur, uint64_t committed,
                        uint64_t max_pfn) {
    uint64_t tgt = cur; /* default is no change */
    uint64_t goal = committed + c->totalreserve + SB_MB2PAGES(reserved_mb);
    if (cur > goal) tgt = cur - (cur - goal) / c->downhys;
    else if (cur < goal) tgt = cur + (goal - cur) / c->uphys;
    uint64_t useful = max_pfn - c->totalreserve; /* unsigned, as in the kernel */
    uint64_t floor_pages;
    if (c->min_usable_mb != 0) floor_pages = c->totalreserve + SB_MB2PAGES(c->min_usable_mb);
    /* piecewise linear function ending in ~3% slope */
    else if (useful < SB_MB2PAGES(16)) floor_pages = max_pfn; /* not worth ballooning */
    else if (useful < SB_MB2PAGES(64))
        floor_pages = c->totalreserve + SB_MB2PAGES(16) + ((useful - SB_MB2PAGES(16)) >> 1);
    else if (useful < SB_MB2PAGES(512))
        floor_pages = c->totalreserve + SB_MB2PAGES(40) + ((useful - SB_MB2PAGES(40)) >> 3);
    else
        floor_pages = c->totalreserve + SB_MB2PAGES(99) + ((useful - SB_MB2PAGES(99)) >> 5);
    if (tgt < floor_pages) tgt = floor_pages;
    /* balloon_set_new_target(tgt + current_pages - totalram_pages): equal here */
    return tgt;
}

static bool managed(const pol_vm_view *v) {
    return v->balloon && !v->locked && v->shares > 0 && v->committed >= 0;
}

static bs_rc tick(const sb_cfg *c, sb_state *st, const pol_vm_view *vms, size_t n, int64_t *targets) {
    bs_rc rc = reserve(st, n);
    if (rc != BS_OK) return rc;
    for (size_t k = 0; k < st->n_order; k++) st->v[st->order[k]].seen = false;
    for (size_t i = 0; i < n; i++) {
        const pol_vm_view *v = &vms[i];
        size_t s = SIZE_MAX;
        rc = slot_of(st, v->vm, v->name, &s);
        if (rc != BS_OK) return rc;
        sb_vm *g = &st->v[s];
        uint64_t cur = pages_of(v->actual);
        if (!g->known) { /* the driver starts with the guest */
            g->known = true;
            g->reserved_mb = reserved_at_start(c, cur);
            st->order[st->n_order++] = s;
        }
        g->seen = true;
        g->vname = v->name;
        if (!managed(v)) continue;
        uint64_t tgt = process(c, g->reserved_mb, cur, pages_of(v->committed), pages_of(v->max));
        targets[i] = tgt > (uint64_t)(INT64_MAX >> SB_PAGE_SHIFT) ? INT64_MAX & ~(BS_PAGE_SIZE - 1)
                                                                   : (int64_t)(tgt << SB_PAGE_SHIFT);
    }
    /* A guest gone from the views starts its driver afresh when it is back. */
    size_t w = 0;
    for (size_t k = 0; k < st->n_order; k++) {
        sb_vm *g = &st->v[st->order[k]];
        if (g->seen) st->order[w++] = st->order[k];
        else g->known = false;
    }
    st->n_order = w;
    return BS_OK;
}

static bs_rc sb_decide(const void *cfg, void *state, bs_time now, const pol_host_view *host,
                       const pol_vm_view *vms, size_t n, int64_t *targets) {
    (void)now, (void)host; /* per guest: nothing host-wide */
    const sb_cfg *c = cfg;
    assert(c != NULL);
    if (state != NULL) return tick(c, state, vms, n, targets);
    void *tmp = NULL;
    bs_rc rc = sb_state_new(cfg, SIZE_MAX, &tmp);
    if (rc == BS_OK) rc = tick(c, tmp, vms, n, targets);
    sb_free_state(tmp);
    return rc;
}

/* ------------------------------------------------------------------ */
/* policy_state: {"VM": {"reserved_mb": N}, ...}                        */

static void sb_state_dump(FILE *f, const void *state) {
    const sb_state *st = state;
    fputc('{', f);
    for (size_t k = 0; k < st->n_order; k++) {
        const sb_vm *g = &st->v[st->order[k]];
        if (k) fputs(", ", f);
        txt_json_string(f, g->name != NULL ? g->name : g->vname);
        fprintf(f, ": {\"reserved_mb\": %" PRIu32 "}", g->reserved_mb);
    }
    fputc('}', f);
}

static bs_rc sb_state_load(cfg_ctx *cx, const cfg_node *node, const char *path, void *state) {
    sb_state *st = state;
    if (node == NULL) return BS_OK;
    if (cfg_expect_map(cx, node, path) != BS_OK) return BS_ERR_INPUT;
    bs_rc rc = BS_OK;
    for (size_t i = 0; i < node->n; i++) {
        cfg_entry *e = &node->entries[i];
        e->used = true;
        char vp[CFG_PATH_MAX];
        cfg_path_key(vp, path, e->key);
        if (cfg_expect_map(cx, e->val, vp) != BS_OK) {
            rc = BS_ERR_INPUT;
            continue;
        }
        int64_t mb = 0;
        if (cfg_get_uint(cx, e->val, vp, "reserved_mb", true, 0, &mb) != BS_OK) {
            rc = BS_ERR_INPUT;
            continue;
        }
        cfg_check_unknown(cx, e->val, vp, "reserved_mb");
        bool unknown = false;
        for (size_t k = 0; k < e->val->n; k++) unknown |= !e->val->entries[k].used;
        if (unknown) {
            rc = BS_ERR_INPUT;
            continue;
        }
        if (mb > UINT32_MAX) {
            char kp[CFG_PATH_MAX];
            cfg_path_key(kp, vp, "reserved_mb");
            cfg_error_expected(cx, cfg_map_get(e->val, "reserved_mb"), kp,
                               "a whole number from 0 to 4294967295");
            rc = BS_ERR_INPUT;
            continue;
        }
        size_t s = SIZE_MAX;
        bs_rc r = slot_of(st, SIZE_MAX, e->key, &s);
        if (r != BS_OK) return r;
        sb_vm *g = &st->v[s];
        if (g->known) {
            cfg_error(cx, e->val, vp, "VM '%s' appears twice", e->key);
            rc = BS_ERR_INPUT;
            continue;
        }
        g->known = true;
        g->reserved_mb = (uint32_t)mb;
        st->order[st->n_order++] = s;
    }
    return rc;
}

static const pol_param sb_params[] = {
    {"downhysteresis", "8", "count",
     "selfballoon_downhysteresis: shrink by 1/N of the gap to the goal per interval"},
    {"uphysteresis", "1", "count",
     "selfballoon_uphysteresis: grow by 1/N of the gap to the goal per interval (1: at once)"},
    {"reserved", "10%", "size or fraction",
     "selfballoon_reserved_mb: added to Committed_AS in the goal; a fraction is of the "
     "guest's RAM when its driver starts; whole MiB, rounded down"},
    {"min_usable", "0", "size",
     "selfballoon_min_usable_mb: floor above totalreserve; 0 uses the driver's piecewise "
     "floor (about 3 % of memory above 512 MiB); whole MiB, rounded down"},
    {"totalreserve", "0", "size",
     "the guest kernel's totalreserve_pages (watermark reserves), added to goal and floor"},
    {NULL, NULL, NULL, NULL},
};

const pol_type pol_selfballoon = {
    .name = "selfballoon",
    .description = "Xen guest self-ballooning (Linux xen-selfballoon.c), per guest with no host "
                   "coordination: goal = Committed_AS + a reserve (10% of RAM); every 5 s shrink "
                   "by 1/8 of the gap, grow to the goal at once, never below a floor",
    .params = sb_params,
    .default_interval = 5 * BS_NS_PER_S,       /* selfballoon_interval = 5 (x HZ) */
    .default_stats_interval = 5 * BS_NS_PER_S, /* the driver reads its own counters */
    .configure = sb_configure,
    .free_config = sb_free_config,
    .state_new = sb_state_new,
    .free_state = sb_free_state,
    .decide = sb_decide,
    .state_load = sb_state_load,
    .state_dump = sb_state_dump,
};
