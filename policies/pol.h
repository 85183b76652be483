/* pol.h -- balloon policies behind one vtable.
 *
 * A policy is a const pol_type found by name in policies/registry.c.  It sees
 * only what real stats channels carry (docs/model.md "What a policy sees"): a
 * pol_host_view and one pol_vm_view per running VM of one host, as of the last
 * stats report.  It answers with targets in bytes, exactly as computed (the
 * engine rounds down to pages when applying).  The same decide() serves the
 * simulation and `balloonsim decide`, so a decision test on a snapshot tests
 * what runs.  NULL hooks mean "default": no parameters, no state, a tick every
 * interval. */
#ifndef BS_POL_H
#define BS_POL_H

#include "sim/base/bs.h"
#include "sim/base/cfg.h"

#include <stdio.h>

struct scen; /* sim/scenario.h */

#define POL_LEAVE (-1) /* in targets[]: the policy leaves this VM alone */

typedef struct pol_vm_view {
    const char *name;
    size_t vm;          /* index into scen.vms (SIZE_MAX in `decide` snapshots) */
    int64_t actual;     /* bytes: current guest memory A */
    int64_t target;     /* bytes: current target T */
    int64_t max;        /* bytes: configured memory M */
    int64_t min;        /* bytes: floor m */
    int64_t shares;     /* 0 = never managed */
    int64_t free;       /* bytes: F */
    int64_t available;  /* bytes: F + C */
    int64_t cache;      /* bytes: C */
    int64_t committed;  /* bytes: D, as Hyper-V/Xen guest agents report it; -1 unknown */
    int64_t active;     /* bytes: ESX-style active estimate; -1 unknown */
    int64_t swap_in;    /* bytes swapped in since the previous report */
    int64_t swap_out;   /* bytes swapped out since the previous report */
    int64_t major_faults; /* faults since the previous report */
    bool balloon;       /* ballooning enabled for this VM */
    bool locked;        /* being migrated: leave alone (decide snapshots only) */
} pol_vm_view;

/* The truth no real policy sees: only the `oracle` policy asks for it (its
 * pol_type sets needs_truth), to give the bound no online policy can beat.  The
 * engine answers from a second copy of each VM's workload generator running
 * ahead of the simulation (same seed, so the very same demand). */
typedef struct pol_truth {
    const void *ctx;
    /* Highest working-set demand D (bytes) of scenario VM `vm` over [from, to]. */
    int64_t (*peak_demand)(const void *ctx, size_t vm, bs_time from, bs_time to);
    /* Highest page-cache demand K (bytes) over [from, to]; 0 without cache. */
    int64_t (*peak_cache)(const void *ctx, size_t vm, bs_time from, bs_time to);
} pol_truth;

typedef struct pol_host_view {
    const char *name;
    size_t host;        /* index into scen.hosts (SIZE_MAX in snapshots) */
    int64_t memory;     /* bytes: physical RAM */
    int64_t reserved;   /* bytes: host OS and hypervisor */
    int64_t free;       /* bytes */
    int64_t available;  /* bytes */
    int64_t swap_used;  /* bytes */
    int64_t swap_total; /* bytes */
    int64_t request;    /* bytes someone asks the policy to free (squeezed); 0 none */
    const pol_truth *truth; /* NULL unless the policy's type sets needs_truth */
} pol_host_view;

typedef struct pol_param {
    const char *name;
    const char *dflt;        /* default as the user would write it: "20%", "100MiB" */
    const char *unit;        /* "fraction", "size", "time", "count", "name", ... */
    const char *description;
} pol_param;

typedef struct pol_type {
    const char *name;
    const char *description;
    const pol_param *params; /* terminated by {NULL}; NULL: no parameters */
    bs_time default_interval;
    bs_time default_stats_interval; /* 0: 5 s */
    /* Read params (a mapping, or NULL when absent) into a config.  Must mark
     * the keys it reads; the caller reports unknown params afterwards.  `sc`
     * may be NULL (`decide`): names of VMs cannot be checked then. */
    bs_rc (*configure)(cfg_ctx *cx, const cfg_node *params, const char *path,
                       const struct scen *sc, void **cfg);
    void (*free_config)(void *cfg);
    /* Per-host carried state (moving averages, ...); NULL: stateless. */
    bs_rc (*state_new)(const void *cfg, size_t host, void **state);
    void (*free_state)(void *state);
    /* One decision.  targets[i] is for vms[i]: bytes, or POL_LEAVE.  All
     * entries are preset to POL_LEAVE by the caller. */
    bs_rc (*decide)(const void *cfg, void *state, bs_time now, const pol_host_view *host,
                    const pol_vm_view *vms, size_t n, int64_t *targets);
    /* When to tick next after `now` (> now); NULL: now + interval.  The first
     * call has now = -1 (the NULL default then ticks first at `interval`).
     * BS_TIME_NEVER: no more ticks. */
    bs_time (*next_tick)(const void *cfg, void *state, size_t host, bs_time now,
                         bs_time interval);
    /* Only the oracle: the engine fills pol_host_view.truth. */
    bool needs_truth;
    /* `balloonsim decide` carries a policy's state between calls: it is read
     * from the snapshot's `policy_state:` mapping (node NULL when absent) into
     * a state made by state_new, and printed back as "policy_state".
     * state_load must mark what it reads (unknown keys are reported by the
     * caller) and record errors in cx; state_dump writes one JSON object
     * (deterministic key order).  NULL: the policy carries nothing ({}). */
    bs_rc (*state_load)(cfg_ctx *cx, const cfg_node *node, const char *path, void *state);
    void (*state_dump)(FILE *f, const void *state);
    /* For `balloonsim policies` (text): when it ticks, if not every interval
     * ("at the script's times"); NULL: "every interval". */
    const char *ticks;
} pol_type;

const pol_type *pol_find(const char *name); /* NULL when unknown (or name NULL) */
const pol_type *const *pol_types(void); /* NULL-terminated, in listing order */

/* `balloonsim policies [--format text|json]`.  JSON (docs/outputs.md):
 * [{"name", "description", "params": [{"name", "default", "unit",
 * "description"}]}], a required parameter's "default" is null; one trailing
 * newline.  Text: each policy, its interval default and a table of params. */
void pol_print_list(FILE *f, bool json);

/* Preset targets[0..n) to POL_LEAVE, then call type->decide (if any): the one
 * entry point of the engine and of `balloonsim decide`. */
bs_rc pol_decide_all(const pol_type *type, const void *cfg, void *state, bs_time now,
                     const pol_host_view *host, const pol_vm_view *vms, size_t n,
                     int64_t *targets);

/* Where each host's VMs sit in scen.vms, kept by policies whose per-host
 * state needs it (state_new only gets the host's index).  Empty (n == 0)
 * without a scenario, as in `decide`. */
typedef struct pol_hosts {
    size_t n;
    size_t *first, *count; /* host h: vms[first[h] .. first[h] + count[h]) */
} pol_hosts;

bs_rc pol_hosts_init(pol_hosts *h, const struct scen *sc); /* sc may be NULL */
void pol_hosts_free(pol_hosts *h);
/* false when unknown (no scenario, or host out of range) */
bool pol_hosts_range(const pol_hosts *h, size_t host, size_t *first, size_t *count);

/* The built-in types (one file each in policies/) are declared and listed
 * in policies/registry.c only; find them with pol_find() / pol_types(). */

#endif
