/* metrics.h -- the metrics of docs/outputs.md: names, units, and a run's values.
 *
 * Accumulation happens in the engine (it owns the piecewise-linear state and
 * integrates it exactly between events); this header is the shared vocabulary:
 * the table of metric names in docs/outputs.md order, and met_values, one set of values
 * for the run, a host or a VM.  `present[i] == false` prints as null. */
#ifndef BS_METRICS_H
#define BS_METRICS_H

#include "sim/base/bs.h"

typedef enum met_id {
    MET_GUEST_OOM_KILLS,
    MET_HOST_OOM_KILLS,
    MET_DOWNTIME_S,
    MET_STALL_S,
    MET_STALL_P50,
    MET_STALL_P95,
    MET_STALL_P99,
    MET_PRESSURE_FRACTION,
    MET_RELIEF_P50,
    MET_RELIEF_P95,
    MET_RELIEF_MAX,
    MET_REACH_P50,
    MET_REACH_P95,
    MET_GUEST_SWAP_OUT_BYTES,
    MET_GUEST_SWAP_IN_BYTES,
    MET_HOST_SWAP_OUT_BYTES,
    MET_BALLOON_TRAFFIC_BYTES,
    MET_TARGET_REVERSALS_PER_VM_HOUR,
    MET_FAIRNESS,
    MET_HOST_FREE_MIN_BYTES,
    MET_MEAN_HOST_USED_FRACTION,
    MET_OVERCOMMIT_RATIO,
    MET_COUNT
} met_id;

typedef enum met_scope_mask {
    MET_SCOPE_RUN = 1,
    MET_SCOPE_HOST = 2,
    MET_SCOPE_VM = 4
} met_scope_mask;

typedef struct met_info {
    const char *name;
    const char *unit;  /* "count", "s", "fraction", "bytes", "1/h", "0-1", "ratio" */
    bool integer;      /* printed without a fraction */
    unsigned scopes;   /* met_scope_mask: where the metric has a meaning */
    const char *description;
} met_info;

const met_info *met_info_get(met_id id);
/* MET_COUNT when the name is unknown. */
met_id met_find(const char *name);

typedef struct met_values {
    double v[MET_COUNT];
    bool present[MET_COUNT];
} met_values;

/* Quantile of a time-weighted histogram over [0,1] at resolution 0.001:
 * bins[k] holds the time with stall in ((k-1)/1000, k/1000], bins[0] stall 0.
 * Returns the smallest k/1000 whose cumulative time reaches q * total. */
#define MET_STALL_BINS 1001
double met_hist_quantile(const double *bins, double q);
/* Nearest-rank quantile of n values (sorts them in place); q in (0,1]. */
double met_nearest_rank(double *values, size_t n, double q);
/* Mean of n values and the half-width of its 95 % confidence interval
 * (Student t with n - 1 degrees of freedom, GSL's quantile).  With n == 1 the
 * half-width is NAN (no interval from one value); n == 0 gives NAN for both. */
void met_mean_ci95(const double *x, size_t n, double *mean, double *half_width);
/* Jain's fairness index of n values: (sum x)^2 / (n * sum x^2); 1 when all 0. */
double met_jain(const double *x, size_t n);

/* Metrics of a part of a run (cli.md "Groups and windows"): a group of VMs
 * (one `vms:` item by its name), a window of time, or both.  A NULL group or
 * window means all of them, so the scope (NULL, NULL) is the run itself.
 * Groups carry the VM metrics only (host_free_min_bytes,
 * mean_host_used_fraction and overcommit_ratio are absent there).  A
 * met_set owns its names; its order is the order of summary.json: the run,
 * every group, then per window the window and its groups. */
typedef struct met_scope {
    char *group, *window;
    met_values v;
} met_scope;

typedef struct met_set {
    met_scope *s;
    size_t n;
} met_set;

/* NULL when the set has no such scope. */
const met_values *met_set_find(const met_set *set, const char *group, const char *window);
/* A one-scope set over the run's values in `one` (nothing to free): for
 * callers that have the run only. */
met_set met_set_view(met_scope *one, const met_values *v);
/* Appends a copy (names copied); BS_ERR_INTERNAL when out of memory. */
bs_rc met_set_add(met_set *set, const char *group, const char *window, const met_values *v);
bs_rc met_set_copy(const met_set *src, met_set *dst);
void met_set_free(met_set *set);

/* A metric name as expressions, --rank-by and --slo write it: METRIC,
 * GROUP.METRIC, METRIC@WINDOW or GROUP.METRIC@WINDOW.  The group is what
 * comes before the last '.', the window what follows the '@'. */
typedef struct met_ref {
    met_id id;
    char *group, *window; /* NULL: all */
} met_ref;

/* Parse the `len` bytes at `text`.  BS_ERR_INPUT with a message in err when
 * the metric is unknown or a part is empty; BS_ERR_INTERNAL out of memory. */
bs_rc met_ref_parse(const char *text, size_t len, met_ref *out, char *err, size_t err_len);
void met_ref_free(met_ref *r);
bs_rc met_ref_copy(const met_ref *src, met_ref *dst);
/* "db.stall_s@peak" */
void met_ref_text(const met_ref *r, char *buf, size_t len);
/* The value the name refers to in `set`, or NAN when it has none there. */
double met_ref_value(const met_ref *r, const met_set *set);
/* Is every group and window the reference names among these?  If not,
 * BS_ERR_INPUT and err says "unknown group 'dbx' in 'dbx.stall_s' (groups:
 * db, web)" or "unknown window ... (windows: peak)" / "(no windows)". */
bs_rc met_ref_check(const met_ref *r, const char *const *groups, size_t n_groups,
                    const char *const *windows, size_t n_windows, char *err, size_t err_len);

#endif
