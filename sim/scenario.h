/* scenario.h -- a scenario file, loaded, validated and expanded.
 *
 * scen_load() reads the YAML (includes, vm_defaults, --set overrides), checks
 * everything docs/scenarios.md says, collects every error, and on success returns a
 * scen with every host and VM *instance* expanded (counts applied, names
 * assigned, distributions drawn from the seeded streams).  Nothing in a scen
 * changes during a run: the engine keeps run state elsewhere, so one scen can
 * be run under several policies. */
#ifndef BS_SCENARIO_H
#define BS_SCENARIO_H

#include "sim/base/bs.h"
#include "sim/base/cfg.h"
#include "policies/pol.h"
#include "workloads/wl.h"

typedef struct scen_stuck {
    bs_time at, len; /* window [at, at + len) in which the driver ignores targets */
} scen_stuck;

typedef enum scen_preset { PRESET_VIRTIO, PRESET_VMWARE, PRESET_HYPERV, PRESET_XEN } scen_preset;

typedef struct scen_balloon {
    bool enabled;
    scen_preset preset;
    bs_time latency;
    double inflate_rate, reclaim_rate, deflate_rate; /* bytes per second, > 0 */
    bs_time retry_delay;
    bool deflate_on_oom;
    bool free_page_reporting;
    bs_time reporting_delay;
    double max_balloon_fraction; /* vmware: 0.65; others 1.0 */
    bool hyperv_floor;           /* hyperv: refuse to inflate below hv_balloon's floor */
    size_t n_stuck;
    scen_stuck *stuck; /* sorted by `at`, non-overlapping */
} scen_balloon;

typedef struct scen_vm {
    char *name;        /* instance name: web-3, node-2.web-3 */
    size_t group;      /* index into scen.groups: its `vms:` item's name */
    size_t host;       /* index into scen.hosts */
    size_t index;      /* index into scen.vms (scenario order) */
    /* This instance's place among its `vms:` entry's instances (0-based) and
     * their number (count x the host entry's count); host instance h's
     * instance c is h * count + c.  The engine passes them to the workload
     * (wl_vm_info.instance/instances): a trace directory maps files by them. */
    size_t entry_index, entry_count;
    bs_pages memory;   /* M */
    bs_pages min;      /* m */
    bs_pages start_memory;
    bs_pages swap;     /* guest swap */
    bs_time swap_latency;
    int64_t shares;
    bs_time start, stop; /* stop = BS_TIME_NEVER when absent */
    bs_time restart_delay;
    scen_balloon balloon;
    wl_spec *demand;   /* shared by the instances of one entry; not owned */
    wl_spec *cache;    /* NULL: no page cache */
    double locality;   /* alpha */
    double touch_rate; /* tau, pages per second */
} scen_vm;

typedef struct scen_host {
    char *name;
    size_t index;
    bs_pages memory, reserved, swap;
    bs_time swap_latency;
    double ksm_sharing; /* 0 when ksm disabled */
    size_t first_vm, n_vms; /* its VMs are scen.vms[first_vm .. first_vm + n_vms) */
} scen_host;

/* A group: the instances of every `vms:` item with one name (cli.md,
 * "Groups and windows"), in order of first appearance. */
typedef struct scen_group {
    char *name;
    size_t n_vms;
    size_t *vms; /* indices into scen.vms, ascending */
} scen_group;

/* A window: the union of [start + k*every, end + k*every) for k >= 0 within
 * [warmup, duration); every == 0 means once. */
typedef struct scen_window {
    char *name;
    bs_time start, end, every;
} scen_window;

/* Whether t lies in the window (before clipping to [warmup, duration)). */
bool scen_window_contains(const scen_window *w, bs_time t);
/* The first instant > t at which the window opens or closes, BS_TIME_NEVER
 * when it never changes again. */
bs_time scen_window_next_edge(const scen_window *w, bs_time t);

typedef struct scen_policy {
    const pol_type *type;
    void *cfg;            /* type->configure's result (owned) */
    bs_time interval;
    bs_time stats_interval;
} scen_policy;

typedef struct scen {
    char *file;        /* path as given */
    char *name;
    char *description; /* may be NULL */
    bs_time duration, warmup, sample_interval;
    uint64_t seed;
    scen_policy policy;
    scen_host *hosts;
    size_t n_hosts;
    scen_vm *vms;      /* grouped by host, hosts in order, VMs in scenario order */
    size_t n_vms;
    scen_group *groups;
    size_t n_groups;
    scen_window *windows; /* as written */
    size_t n_windows;
    const cfg_node *sweep; /* validated `sweep:` block, NULL when absent */
    cfg_doc *doc;      /* owns the tree and every wl_spec */
    wl_spec **specs;   /* every spec made, for freeing */
    size_t n_specs;
} scen;

/* Overrides from the command line, applied in this order after includes:
 * each --set, then policy (-p), then seed (-s). */
typedef struct scen_overrides {
    const char *const *sets; /* "PATH=VALUE" strings */
    size_t n_sets;
    const char *policy;      /* NULL: as the file says */
    bool has_seed;
    uint64_t seed;
} scen_overrides;

/* On BS_ERR_INPUT the errors are in *errs (all of them) and *out is NULL. */
bs_rc scen_load(const char *path, const scen_overrides *ov, cfg_errs *errs, scen **out);
/* Load from a tree already in hand (sweeps vary the tree, then load it).
 * Takes ownership of `doc` in every case: it becomes sc->doc on success and
 * is freed on failure (load a copy to keep a base tree).  `include:` keys in
 * the tree are resolved relative to `path`.  ov may be NULL. */
bs_rc scen_load_tree(cfg_doc *doc, cfg_node *root, const char *path,
                     const scen_overrides *ov, cfg_errs *errs, scen **out);
void scen_free(scen *sc);

/* Driver preset defaults (numbers and sources documented in docs/model.md). */
void scen_balloon_preset(scen_preset preset, scen_balloon *out);
const char *scen_preset_name(scen_preset preset);

/* Index of a VM instance by name, or SIZE_MAX. */
size_t scen_find_vm(const scen *sc, const char *name);

#endif
