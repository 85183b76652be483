/* wl.h -- workload generators: what each guest demands over time.
 *
 * A workload type is a const struct of function pointers (Redis dictType
 * style) found by name in one registry (workloads/registry.c).  Configuration
 * and instantiation are split:
 *   - wl_configure() reads and validates one `workload:` mapping once per VM
 *     entry, loading trace files at that point so that their errors are
 *     reported with the scenario's other errors;
 *   - wl_instantiate() makes the per-VM generator with its own random stream
 *     (common random numbers, see rng.h).
 * Demand is piecewise constant: a generator holds its current value and the
 * time of its next change; the engine schedules one event at that time.
 * Continuous shapes (diurnal, linear trace interpolation, leaks) are stepped at
 * a documented resolution.  wl_advance() must not allocate: it is on the hot
 * path. */
#ifndef BS_WL_H
#define BS_WL_H

#include "sim/base/bs.h"
#include "sim/base/cfg.h"

#include <gsl/gsl_rng.h>

typedef struct wl_spec wl_spec; /* parsed configuration, shared by VM instances */
typedef struct wl_gen wl_gen;   /* one VM's generator */

/* What a generator may know about the VM it drives. */
typedef struct wl_vm_info {
    const char *name;     /* instance name, keys the random stream */
    uint64_t seed;        /* scenario seed */
    bs_pages memory;      /* configured memory M (fleet profiles are relative to it) */
    const char *purpose;  /* "demand" or "cache": distinct streams for the two */
    /* Which of its entry's instances this VM is (0-based; with a host count,
     * host instance h's VM c is h * count + c) and how many the entry makes:
     * a `trace` directory gives instance k the k-th file. */
    size_t instance;
    size_t instances;
} wl_vm_info;

typedef struct wl_type {
    const char *name;        /* `type:` value */
    const char *description; /* one line for docs and listings */
    /* The type's own keys, comma separated ("base, peak, ..."), for the
     * "unknown key (expected one of: ...)" message; `type` not included. */
    const char *keys;
    /* Read the type's keys from `node` (a mapping; `type` already consumed) and
     * validate them.  `base_dir` resolves relative trace paths.  Must mark the
     * keys it reads as used; the caller reports unknown keys afterwards. */
    bs_rc (*configure)(cfg_ctx *cx, const cfg_node *node, const char *path,
                       const char *base_dir, void **cfg);
    void (*free_config)(void *cfg);
    /* Per-VM state; `rng` is owned by the generator from then on (wl_gen frees
     * it after free_state; the state only borrows it). */
    bs_rc (*instantiate)(const void *cfg, const wl_vm_info *vm, gsl_rng *rng, void **state);
    void (*free_state)(void *state);
    /* Bring the state to time t (t never decreases between calls; the first
     * call is at the VM's first use, possibly t > 0).  Returns the demand in
     * pages at t and sets *next to the time of the next change (> t), or
     * BS_TIME_NEVER. */
    bs_pages (*advance)(void *state, bs_time t, bs_time *next);
    /* Can one spec serve `instances` VMs (a VM entry's count times its host
     * entry's)?  Reports an error in cx when not (a trace directory with fewer
     * files than VMs).  NULL: any number. */
    bs_rc (*check_instances)(cfg_ctx *cx, const void *cfg, size_t instances);
} wl_type;

const wl_type *wl_find(const char *name);
/* NULL-terminated list of every registered type, for docs and `validate`. */
const wl_type *const *wl_types(void);

/* Configure a `workload:` mapping (or a nested one: sum parts, cache).  The
 * keys `cache`, `locality`, `touch_rate` are not read here: scenario.c reads
 * them (wl_configure_cache for `cache`). */
bs_rc wl_configure(cfg_ctx *cx, const cfg_node *node, const char *path, const char *base_dir,
                   wl_spec **out);
/* `cache:` is a size (constant page cache) or a nested workload mapping. */
bs_rc wl_configure_cache(cfg_ctx *cx, const cfg_node *node, const char *path,
                         const char *base_dir, wl_spec **out);
void wl_spec_free(wl_spec *spec);
/* The scenario loader's check that `spec` can drive `instances` VMs (see
 * wl_type.check_instances); errors go to cx. */
bs_rc wl_check_instances(cfg_ctx *cx, const wl_spec *spec, size_t instances);

bs_rc wl_instantiate(const wl_spec *spec, const wl_vm_info *vm, wl_gen **out);
/* Demand in pages at time t (t non-decreasing); *next = time of next change. */
bs_pages wl_advance(wl_gen *g, bs_time t, bs_time *next);
void wl_gen_free(wl_gen *g);

/* ---- for the type implementations (workloads/NAME.c) ---- */

/* The built-in types are declared and registered by name in registry.c only. */

/* Continuous shapes (diurnal, leak, linear traces) change at most this often. */
#define WL_STEP (60 * BS_NS_PER_S)

/* wl_configure for a mapping nobody else checks (sum parts, a `cache:`
 * workload): also reports its unknown keys. */
bs_rc wl_configure_nested(cfg_ctx *cx, const cfg_node *node, const char *path,
                          const char *base_dir, wl_spec **out);

/* A `cache:` written as a bare size: a constant spec's config from the node. */
bs_rc wl_constant_configure_scalar(cfg_ctx *cx, const cfg_node *n, const char *path, void **cfg);

/* Worse of two return codes, so validation can go on and report everything. */
static inline bs_rc wl_rc_worse(bs_rc a, bs_rc b) { return a > b ? a : b; }

/* Page count from a (possibly fractional, negative or huge) page value:
 * rounded down, clamped to [0, UNIT_MAX_BYTES / page]. */
static inline bs_pages wl_pages_clamp(double pages)
{
    const double max = (double)(UNIT_MAX_BYTES / BS_PAGE_SIZE);
    if (!(pages > 0.0)) return 0; /* also NaN */
    if (pages >= max) return (bs_pages)max;
    return (bs_pages)pages;
}

/* a + b for times, saturating at BS_TIME_NEVER (b >= 0). */
static inline bs_time wl_time_add(bs_time a, bs_time b)
{
    return a > BS_TIME_NEVER - b ? BS_TIME_NEVER : a + b;
}

#endif
