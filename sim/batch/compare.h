/* compare.h -- the results of `balloonsim compare`: aggregation over seeds,
 * ranking and the four table formats (baselines and --fail-if: baseline.h).
 *
 * A cmp_report is everything a compare produced, independent of how it ran
 * (-j, wall time, directories): per scenario and policy, each metric's mean
 * over the seeds and the half-width of its 95 % confidence interval (Student
 * t, met_mean_ci95).  Its json form is both compare.json and the baseline
 * file of --save-baseline/--baseline, and cmp_load() reads it back exactly
 * (write, load, write gives the same bytes), so a CI job can gate on a
 * committed file.  The command line lives in cmd_compare.c; this module
 * does no simulation and is tested on its own.
 *
 * Besides the run, every result carries its scopes (cli.md "Groups and
 * windows"): the same cells per group, per window and per group of a
 * window, aggregated over the seeds in the same way, each ranked on its own
 * by the same keys. */
#ifndef BS_COMPARE_H
#define BS_COMPARE_H

#include "sim/base/bs.h"
#include "sim/base/cfg.h"
#include "sim/base/metrics.h"
#include "sim/report/table.h"

#include <stdio.h>

typedef enum cmp_format { CMP_TEXT, CMP_MARKDOWN, CMP_JSON, CMP_CSV } cmp_format;

/* One ranking criterion: the sum of the means of `refs` (one or more
 * metrics, "guest_oom_kills+host_oom_kills", each possibly scoped:
 * "db.host_oom_kills", "stall_p99@peak"), lower is better unless
 * higher_better (written with a leading '-': "-db.fairness").  The refs own
 * their names: cmp_keys_free(). */
#define CMP_KEY_MAX_METRICS 8
typedef struct cmp_key {
    met_ref refs[CMP_KEY_MAX_METRICS];
    size_t n;
    bool higher_better;
} cmp_key;
#define CMP_MAX_KEYS 16

/* One scope of a result: a group (window NULL), a window (group NULL) or a
 * group within a window. */
typedef struct cmp_cells {
    char *group, *window;
    size_t rank;             /* among the results of its scenario that have this scope */
    size_t runs;
    tab_cell m[MET_COUNT];
} cmp_cells;

typedef struct cmp_result {
    char *policy;
    size_t rank;             /* 1-based; equal results share a rank (1, 1, 3) */
    size_t runs;             /* runs (seeds) behind the numbers */
    tab_cell m[MET_COUNT];   /* the run, per metric: mean, ci95 half-width, values */
    cmp_cells *scopes;       /* every group and window, in summary.json order */
    size_t n_scopes;
} cmp_result;

typedef struct cmp_scenario {
    char *name;          /* the scenario's name: what baselines match on */
    char *file;          /* as given on the command line */
    cmp_result *results; /* one per policy; table order after cmp_rank() */
    size_t n_results;
} cmp_scenario;

typedef struct cmp_report {
    char *version;       /* balloonsim version that made it */
    uint64_t *seeds;
    size_t n_seeds;
    char **policies;     /* as given to -p */
    size_t n_policies;
    cmp_key keys[CMP_MAX_KEYS];
    size_t n_keys;
    char **sets;         /* --set overrides applied to every run */
    size_t n_sets;
    cmp_scenario *scenarios;
    size_t n_scenarios;
    /* Presentation, not results (never in json or csv): text and markdown
     * print one ranked table per group instead of the run's (--by group). */
    bool by_group;
} cmp_report;

/* The default objective: guest_oom_kills+host_oom_kills, then stall_s, then
 * balloon_traffic_bytes, each lower is better. */
void cmp_default_keys(cmp_key keys[CMP_MAX_KEYS], size_t *n);
/* "METRIC[+METRIC...],..." with an optional '-' before a criterion for
 * "higher is better"; a metric is [GROUP.]METRIC[@WINDOW].  On error
 * BS_ERR_INPUT and "column N: ..." in err (nothing to free); on BS_OK the
 * caller frees keys with cmp_keys_free(). */
bs_rc cmp_parse_rank_by(const char *text, cmp_key keys[CMP_MAX_KEYS], size_t *n, char *err,
                        size_t err_len);
/* "guest_oom_kills+host_oom_kills", "-db.fairness". */
void cmp_key_text(const cmp_key *k, char *buf, size_t len);
void cmp_keys_free(cmp_key *keys, size_t n);
/* Deep copies; BS_ERR_INTERNAL (dst left empty) when out of memory. */
bs_rc cmp_keys_copy(const cmp_key *src, size_t n, cmp_key *dst);
/* Does every group and window the keys name exist among these?  As
 * met_ref_check (BS_ERR_INPUT, err names it and lists what exists). */
bs_rc cmp_keys_check(const cmp_key *keys, size_t n, const char *const *groups, size_t n_groups,
                     const char *const *windows, size_t n_windows, char *err, size_t err_len);

/* Mean and 95 % half-width of each metric over n runs; a metric that is
 * null in some runs is averaged over the runs that have it (its n says how
 * many), and is null (n = 0) when none has it. */
void cmp_aggregate(const met_values *runs, size_t n, tab_cell out[MET_COUNT]);
/* The scopes of res (every one but the run) from n runs' scope sets, each
 * aggregated as cmp_aggregate does; scopes are matched by name, not
 * position, in the order of their first appearance (a run lacking one
 * counts as null there).  Replaces res->scopes; BS_ERR_INTERNAL when out
 * of memory. */
bs_rc cmp_aggregate_scopes(const met_set *runs, size_t n, cmp_result *res);
/* Append an empty scope (all null) to res; its address in *out. */
bs_rc cmp_result_add_scope(cmp_result *res, const char *group, const char *window,
                           cmp_cells **out);
/* The cells of one scope: the run's when both are NULL; NULL when the
 * result has no such scope. */
const tab_cell *cmp_cells_of(const cmp_result *res, const char *group, const char *window);

/* An empty report: copies of every string; scenarios[i] gets n_policies
 * results named after the policies with no values.  NULL when out of memory. */
cmp_report *cmp_report_new(const uint64_t *seeds, size_t n_seeds, const char *const *policies,
                           size_t n_policies, const cmp_key *keys, size_t n_keys,
                           const char *const *sets, size_t n_sets,
                           const char *const *scenario_names, const char *const *scenario_files,
                           size_t n_scenarios);
void cmp_report_free(cmp_report *r);

/* Rank every scenario's results by the keys (a null value ranks last) and
 * sort them into table order: by rank, ties in -p order.  Every scope is
 * ranked too (cmp_cells.rank), by the keys applied to that scope: a key's
 * own group or window wins, the scope's fills what it leaves open
 * (`stall_s` ranks group db by db.stall_s; `db.stall_s` ranks window peak
 * by db.stall_s@peak). */
void cmp_rank(cmp_report *r);

/* The tables: text and markdown show the main metrics (and any metric the
 * ranking uses), json and csv every metric.  json and csv carry every scope
 * (json: per scenario "groups": [{"name", "results"}] and "windows":
 * [{"name", "results", "groups"}]; csv: rows with the group and window
 * columns filled).  Text and markdown add, per scenario, a table per group
 * (policy x group) when it has two groups or more, and a table per window
 * (policy x window) when it has windows; with r->by_group, one ranked table
 * per group replaces the run's. */
bs_rc cmp_write(FILE *f, const cmp_report *r, cmp_format fmt);
/* report.md: the markdown tables, each followed by its scenario's plots
 * (plots/SCENARIO-{metrics,stall-cdf,memory}.png, see cmp_plot.h). */
bs_rc cmp_write_report(FILE *f, const cmp_report *r);
const cmp_scenario *cmp_find_scenario(const cmp_report *r, const char *name);
const cmp_result *cmp_find_result(const cmp_scenario *s, const char *policy);
/* The means as metric values (a mean of no values is absent). */
void cmp_means(const cmp_result *res, met_values *out);
/* The means of every scope (the run first, then res->scopes) as a set
 * (met_set_free); BS_ERR_INTERNAL when out of memory. */
bs_rc cmp_means_set(const cmp_result *res, met_set *out);

/* The groups and windows of a scenario: the union over its results, in
 * order of first appearance (borrowed names; cmp_names_free frees the
 * arrays only). */
typedef struct cmp_names {
    const char **groups;
    size_t n_groups;
    const char **windows;
    size_t n_windows;
} cmp_names;
bs_rc cmp_scenario_names(const cmp_scenario *sc, cmp_names *out);
void cmp_names_free(cmp_names *n);

/* The metrics of the text and markdown tables (and of the bar charts): the
 * main ones, then any other metric the ranking uses.  Returns how many. */
size_t cmp_shown_metrics(const cmp_report *r, met_id out[MET_COUNT]);

/* A name as one path component: '/' becomes '_', and "", "." and ".."
 * become "_" (a scenario name must not climb out of the directory). */
void cmp_safe_name(char *dst, size_t cap, const char *name);
/* DIR/<scenario>/<policy>-s<seed>, both names made safe; caller frees. */
char *cmp_run_dir(const char *dir, const char *scenario, const char *policy, uint64_t seed);

/* Every metric absent (mean and ci95 NaN, n = 0). */
void cmp_empty_cells(tab_cell m[MET_COUNT]);

#endif
