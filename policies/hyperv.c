/* hyperv.c -- Hyper-V Dynamic Memory, as the host's memory balancer drives a
 * Linux guest.
 *
 * Hyper-V's balancer is closed source; what it does is documented by
 * Microsoft and what it is fed is open (the Linux guest driver), so the policy
 * is the documented rule applied to exactly what the guest reports:
 *
 *   - Demand.  The guest posts a status message every second (hv_balloon.c,
 *     dm_thread_func(): "The host expects us to post information on the
 *     memory pressure every second"; post_status()).  Its num_committed is
 *     get_pages_committed(): vm_memory_committed() (the view's `committed`)
 *     plus the pages the balloon holds, plus hot-added pages not yet online,
 *     plus compute_balloon_floor() -- and, since Linux 6.2 ("hv_balloon: Fix
 *     committed value in post_status() if dynamic memory is disabled"), the
 *     three additions only once the balloon holds pages or memory was
 *     hot-added (num_pages_ballooned || num_pages_added).  The host knows the
 *     pages it ballooned (the guest's balloon responses list them), so the
 *     demand it sizes the VM for is committed + floor; balloonsim has no
 *     hot-add, so "the balloon holds pages" is actual < max.  The floor is a
 *     function of totalram_pages(), which shrinks with the balloon (the driver
 *     calls adjust_managed_page_count() for every ballooned page), i.e. of the
 *     view's `actual`; it is computed in 4 KiB pages with the driver's shifts.
 *   - Target.  "Memory buffer: ... if the memory committed to the guest
 *     operating system is 1000 MB and the memory buffer is 20%, Hyper-V will
 *     attempt to allocate an additional 20% (200 MB) for a total of 1200 MB"
 *     (Microsoft, Hyper-V Dynamic Memory configuration): desired = demand +
 *     demand * buffer, rounded down to a byte, within [minimum, maximum]
 *     RAM (the view's min and max).  Memory is added and removed alike, with
 *     or without pressure: Dynamic Memory gives back what is not needed.
 *   - Shortage.  "The buffer is not maintained when there is not enough
 *     physical memory available ... Memory weight provides Hyper-V with a way
 *     to determine how to distribute memory among virtual machines if there is
 *     not enough physical memory" (same page; "memory priority" in 2008 R2
 *     SP1: higher-priority VMs get memory first).  The split is not
 *     published; this policy gives every VM its minimum first and splits the
 *     rest by weight (the view's shares), each VM capped at its desired size:
 *     x_i = min(desired_i, min_i + lambda * w_i), with the water level lambda
 *     found exactly (128-bit cross-multiplication, no floating point), so
 *     targets never add up to more than the host has.
 *
 * The pool is the host's memory minus reserved minus the actual size of every
 * VM the policy does not manage (balloon off, shares 0, locked, or no
 * committed figure: a guest without the Dynamic Memory driver reports none).
 * The policy carries nothing between ticks (the balancer reacts to each
 * report); the per-host state is only scratch space so that decide() does not
 * allocate. */
#include "policies/pol.h"
#include "sim/scenario.h"
#include "sim/base/units.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifndef __SIZEOF_INT128__
#error "hyperv.c needs a 128-bit integer type (GCC or Clang on a 64-bit target)"
#endif
__extension__ typedef __int128 hv_i128;

#define HV_PPM 1000000LL
#define HV_PAGE 4096LL
#define HV_BUFFER_MAX 20.0 /* 2000 %, Set-VMMemory -Buffer's upper bound */

/* What the guest's driver adds to its committed memory (param `guest`). */
typedef enum hv_guest {
    HV_GUEST_LINUX,        /* Linux >= 6.2: floor once the balloon holds pages */
    HV_GUEST_LINUX_LEGACY, /* Linux < 6.2: floor always */
    HV_GUEST_WINDOWS       /* committed as is */
} hv_guest;

static const char *const guest_names[] = {"linux", "linux-legacy", "windows"};
#define HV_N_GUESTS (sizeof guest_names / sizeof guest_names[0])

typedef struct hv_cfg {
    int64_t buffer_ppm; /* memory buffer, parts per million of demand */
    hv_guest guest;
    size_t max_vms;     /* most VMs on one host (0: unknown, `decide`) */
} hv_cfg;

typedef struct hv_state {
    int64_t *lo;      /* per view: minimum (managed VMs) */
    int64_t *room;    /* per view: desired - minimum */
    int64_t *w;       /* per view: weight after shifting */
    size_t *order;    /* managed VMs with room, by room / w */
    size_t cap;
} hv_state;

/* ---- the guest's report ---- */

/* hv_balloon.c compute_balloon_floor(): a continuous piecewise linear function
 * of the guest's RAM in 4 KiB pages (16 MiB -> 16, 128 -> 72, 512 -> 168,
 * 2048 -> 360, 8192 -> 744, 32768 -> 1512 MiB, per the driver's comment). */
static int64_t floor_pages(int64_t nr_pages) {
#define HV_MB2PAGES(mb) ((int64_t)(mb) << 8) /* 2^20 / 4 KiB */
    if (nr_pages < 0) nr_pages = 0;
    if (nr_pages < HV_MB2PAGES(128)) return HV_MB2PAGES(8) + (nr_pages >> 1);
    if (nr_pages < HV_MB2PAGES(512)) return HV_MB2PAGES(40) + (nr_pages >> 2);
    if (nr_pages < HV_MB2PAGES(2048)) return HV_MB2PAGES(104) + (nr_pages >> 3);
    if (nr_pages < HV_MB2PAGES(8192)) return HV_MB2PAGES(232) + (nr_pages >> 4);
    return HV_MB2PAGES(488) + (nr_pages >> 5);
#undef HV_MB2PAGES
}

/* Demand in bytes as the host sees it: the guest's num_committed (pages)
 * less the ballooned pages the host already knows about. */
static int64_t demand_of(const hv_cfg *c, const pol_vm_view *v) {
    int64_t pages = BS_MAX(v->committed, 0) / HV_PAGE; /* the protocol counts pages */
    bool add_floor = c->guest == HV_GUEST_LINUX_LEGACY ||
                     (c->guest == HV_GUEST_LINUX && v->actual < v->max);
    if (add_floor) pages += floor_pages(BS_MAX(v->actual, 0) / HV_PAGE);
    return BS_MIN(pages, UNIT_MAX_BYTES / HV_PAGE) * HV_PAGE;
}

/* ---- configuration ---- */

static bs_rc hv_configure(cfg_ctx *cx, const cfg_node *params, const char *path,
                          const struct scen *sc, void **cfg) {
    *cfg = NULL;
    hv_cfg c = {.buffer_ppm = 200000, .guest = HV_GUEST_LINUX};
    bs_rc rc = BS_OK;
    if (params != NULL) {
        const cfg_node *b = cfg_map_get(params, "buffer");
        if (b != NULL) {
            /* Not cfg_get_fraction: Hyper-V's buffer goes up to 2000 %. */
            char sub[CFG_PATH_MAX];
            cfg_path_key(sub, path, "buffer");
            double frac = 0;
            if (cfg_as_value(cx, b, sub, UNIT_FRACTION, &frac) != BS_OK) {
                rc = BS_ERR_INPUT;
            } else if (!(frac >= 0 && frac <= HV_BUFFER_MAX)) {
                cfg_error_expected(cx, b, sub, "a buffer from 0% to 2000%, such as 20%");
                rc = BS_ERR_INPUT;
            } else {
                c.buffer_ppm = llround(frac * (double)HV_PPM);
            }
        }
        const char *g = NULL;
        if (cfg_get_string(cx, params, path, "guest", false, "linux", &g) != BS_OK) {
            rc = BS_ERR_INPUT;
        } else {
            size_t k = 0;
            while (k < HV_N_GUESTS && strcmp(g, guest_names[k]) != 0) k++;
            if (k == HV_N_GUESTS) {
                char sub[CFG_PATH_MAX];
                cfg_path_key(sub, path, "guest");
                cfg_error_expected(cx, cfg_map_entry(params, "guest")->val, sub,
                                   "one of linux, linux-legacy, windows");
                rc = BS_ERR_INPUT;
            } else {
                c.guest = (hv_guest)k;
            }
        }
    }
    if (rc != BS_OK) return rc;
    if (sc != NULL)
        for (size_t h = 0; h < sc->n_hosts; h++) c.max_vms = BS_MAX(c.max_vms, sc->hosts[h].n_vms);
    hv_cfg *p = malloc(sizeof *p);
    if (p == NULL) return BS_ERR_INTERNAL;
    *p = c;
    *cfg = p;
    return BS_OK;
}

static void hv_free_config(void *cfg) { free(cfg); }

static bs_rc reserve(hv_state *st, size_t n) {
    if (n <= st->cap) return BS_OK;
    int64_t *lo = realloc(st->lo, n * sizeof *lo);
    if (lo == NULL) return BS_ERR_INTERNAL;
    st->lo = lo;
    int64_t *room = realloc(st->room, n * sizeof *room);
    if (room == NULL) return BS_ERR_INTERNAL;
    st->room = room;
    int64_t *w = realloc(st->w, n * sizeof *w);
    if (w == NULL) return BS_ERR_INTERNAL;
    st->w = w;
    size_t *order = realloc(st->order, n * sizeof *order);
    if (order == NULL) return BS_ERR_INTERNAL;
    st->order = order;
    st->cap = n;
    return BS_OK;
}

static void hv_free_state(void *state) {
    hv_state *st = state;
    if (st == NULL) return;
    free(st->lo);
    free(st->room);
    free(st->w);
    free(st->order);
    free(st);
}

static bs_rc hv_state_new(const void *cfg, size_t host, void **state) {
    (void)host;
    const hv_cfg *c = cfg;
    hv_state *st = calloc(1, sizeof *st);
    if (st == NULL) return BS_ERR_INTERNAL;
    bs_rc rc = reserve(st, c != NULL && c->max_vms > 0 ? c->max_vms : 1);
    if (rc != BS_OK) {
        hv_free_state(st);
        return rc;
    }
    *state = st;
    return BS_OK;
}

/* ---- the split ---- */

static bool managed(const pol_vm_view *v) {
    return v->balloon && v->shares > 0 && !v->locked && v->committed >= 0;
}

/* room_a / w_a < room_b / w_b, exactly; ties by index (a total order). */
static bool before(const hv_state *st, size_t a, size_t b) {
    hv_i128 l = (hv_i128)st->room[a] * st->w[b], r = (hv_i128)st->room[b] * st->w[a];
    if (l != r) return l < r;
    return a < b;
}

/* Heapsort: O(n log n) and no allocation (qsort may allocate). */
static void sift(const hv_state *st, size_t *a, size_t root, size_t n) {
    for (;;) {
        size_t child = 2 * root + 1;
        if (child >= n) return;
        if (child + 1 < n && before(st, a[child], a[child + 1])) child++;
        if (!before(st, a[root], a[child])) return;
        size_t t = a[root];
        a[root] = a[child];
        a[child] = t;
        root = child;
    }
}

static void sort_by_level(const hv_state *st, size_t *a, size_t n) {
    for (size_t k = n / 2; k-- > 0;) sift(st, a, k, n);
    for (size_t end = n; end-- > 1;) {
        size_t t = a[0];
        a[0] = a[end];
        a[end] = t;
        sift(st, a, 0, end);
    }
}

/* Weights are relative; if their sum would not fit in 63 bits they are all
 * shifted right by the smallest amount that makes it fit (each keeps >= 1). */
static int weight_shift(const pol_vm_view *vms, size_t n) {
    for (int k = 0; k < 63; k++) {
        hv_i128 sum = 0;
        for (size_t i = 0; i < n; i++)
            if (managed(&vms[i])) sum += BS_MAX(vms[i].shares >> k, 1);
        if (sum <= INT64_MAX) return k;
    }
    return 63;
}

static bs_rc hv_decide(const void *cfg, void *state, bs_time now, const pol_host_view *host,
                       const pol_vm_view *vms, size_t n, int64_t *targets) {
    (void)now;
    const hv_cfg *c = cfg;
    assert(c != NULL);
    hv_state tmp = {0};
    hv_state *st = state != NULL ? state : &tmp; /* a caller without state_new */
    bs_rc rc = reserve(st, n);
    if (rc != BS_OK) goto out;

    hv_i128 pool = (hv_i128)BS_MAX(host->memory, 0) - BS_MAX(host->reserved, 0);
    hv_i128 sum_lo = 0, sum_desired = 0;
    int shift = weight_shift(vms, n);
    for (size_t i = 0; i < n; i++) {
        const pol_vm_view *v = &vms[i];
        if (!managed(v)) {
            pool -= BS_MAX(v->actual, 0);
            continue;
        }
        int64_t hi = BS_MIN(BS_MAX(v->max, 0), UNIT_MAX_BYTES);
        int64_t lo = BS_MIN(BS_MAX(v->min, 0), hi);
        int64_t demand = demand_of(c, v);
        hv_i128 want = (hv_i128)demand + (hv_i128)demand * c->buffer_ppm / HV_PPM;
        int64_t desired = (int64_t)(want > hi ? hi : want < lo ? lo : want);
        targets[i] = desired;
        st->lo[i] = lo;
        st->room[i] = desired - lo;
        st->w[i] = BS_MAX(v->shares >> shift, 1);
        sum_lo += lo;
        sum_desired += desired;
    }
    if (sum_desired <= pool) goto out; /* enough for everyone's buffer */
    if (sum_lo >= pool) {
        /* Not even the minimums fit: Hyper-V never goes below Minimum RAM. */
        for (size_t i = 0; i < n; i++)
            if (managed(&vms[i])) targets[i] = st->lo[i];
        goto out;
    }

    /* Minimums first; the rest R by weight, each VM capped at its desired
     * size.  total(lambda) = sum min(room_i, lambda w_i) is piecewise linear
     * with breakpoints room_i / w_i; walk them in order until it reaches R.
     * C (rooms of capped VMs) stays below R <= 2^62 and S (weights of the
     * others) below 2^63, so every product fits in 126 bits. */
    hv_i128 R = pool - sum_lo, C = 0, S = 0;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (managed(&vms[i]) && st->room[i] > 0) {
            st->order[m++] = i;
            S += st->w[i];
        }
    sort_by_level(st, st->order, m);
    size_t k = 0;
    for (; k < m; k++) {
        size_t j = st->order[k];
        if (C * st->w[j] + (hv_i128)st->room[j] * S >= R * st->w[j]) break;
        C += st->room[j]; /* VM j gets all of its desired size */
        S -= st->w[j];
    }
    /* sum_lo < pool < sum_desired: the level is reached with a VM uncapped. */
    assert(k < m && S > 0 && C < R);
    hv_i128 rest = R - C;
    for (; k < m; k++) {
        size_t j = st->order[k];
        targets[j] = st->lo[j] + (int64_t)(rest * st->w[j] / S);
    }
    /* Capped VMs (and those without room) keep their desired size, set above. */

out:
    if (st == &tmp) {
        free(tmp.lo);
        free(tmp.room);
        free(tmp.w);
        free(tmp.order);
    }
    return rc;
}

static const pol_param hv_params[] = {
    {"buffer", "20%", "fraction",
     "memory buffer: the VM is sized to demand x (1 + buffer) (Hyper-V allows 5% to 2000%; "
     "0% to 2000% accepted)"},
    {"guest", "linux", "name",
     "what the guest adds to its committed memory: linux (hv_balloon since Linux 6.2: the "
     "balloon floor, once the balloon holds pages), linux-legacy (before 6.2: the floor "
     "always), windows (nothing)"},
    {NULL, NULL, NULL, NULL},
};

const pol_type pol_hyperv = {
    .name = "hyperv",
    .description = "Hyper-V Dynamic Memory: each VM is sized to its guest-reported demand "
                   "(committed + hv_balloon's floor) x (1 + buffer) within [min, memory]; "
                   "when the host is short, minimums first and the rest by weight (shares)",
    .params = hv_params,
    .default_interval = 1 * BS_NS_PER_S,
    .default_stats_interval = 1 * BS_NS_PER_S,
    .configure = hv_configure,
    .free_config = hv_free_config,
    .state_new = hv_state_new,
    .free_state = hv_free_state,
    .decide = hv_decide,
};
