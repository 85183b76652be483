/* sweep.h -- the grid of `sweep` and `plan`: axes, jobs, run ids, the run
 * directories and the table of points (docs/sweep.md).  One header for
 * three files of one concept each: grid.c (values, axes, grids), sweep.c
 * (run ids and the run store), sweep_result.c (results, tables, the sweep
 * directory's files); the plots are plots/sweep_plot.c.
 *
 * A sweep is a Cartesian product of axes (a key path and its values) times
 * seeds 1..N.  Job k of a grid is seed k / points + 1 at point k % points,
 * points numbered row-major (the first axis varies slowest): an interrupted
 * sweep has covered every point once before it repeats any.  Jobs number a
 * grid; run ids name runs: an id is a hash of what makes the run what it is
 * (the scenario's name and content, every PATH=VALUE, the seed), so a run
 * keeps its id and its directory DIR/runs/<id>/ when values or seeds are
 * added to a sweep, and --resume, --job and merge all agree on it.
 *
 * A run directory holds params.json (written first: which grid, job,
 * assignments and seed) and summary.json (written last by the runner: its
 * presence means complete).  Tables and plots are built from run
 * directories only, never from what a child reported through its pipe, so
 * a sweep, a resumed sweep and a merge of shards read the same bytes and
 * print the same table.  This module runs nothing itself; cmd_sweep.c,
 * cmd_plan.c and cmd_merge.c drive it. */
#ifndef BS_SWEEP_H
#define BS_SWEEP_H

#include "sim/base/bs.h"
#include "sim/base/cfg.h"
#include "sim/base/metrics.h"
#include "sim/batch/runner.h"
#include "sim/scenario.h"
#include "sim/report/table.h"

#include <stdio.h>

#define SWP_ID_LEN 16               /* hex digits of a run id */
#define SWP_MAX_VALUES 100000       /* values of one axis */
#define SWP_MAX_JOBS 10000000       /* runs of one grid */
#define SWP_MAX_SEEDS 1000000
#define SWP_MAX_AXES 32             /* varied paths of one grid */

/* One assignment "PATH=VALUE" of a run, and where its value came from (for
 * messages: a scenario file's position, or "--vary"/"--set" with line 0). */
typedef struct swp_set {
    const char *path;   /* "policy.name" stands for the policy (as -p runs it) */
    const char *value;
    const char *origin;
    int line, col;
} swp_set;

typedef struct swp_axis {
    char *path;
    char **values;
    size_t n;
    char *spec;         /* the values as --vary takes them ("8:24:4", "mom,proxmox") */
    char *origin;       /* file of the `sweep:` block, or "--vary" */
    int *lines, *cols;  /* per value; 0 for --vary */
} swp_axis;

typedef struct swp_grid {
    swp_axis *axes;
    size_t n_axes;
    uint64_t seeds;     /* seeds 1..seeds */
    size_t points;      /* product of the axis sizes (1 without axes) */
    size_t jobs;        /* points x seeds */
} swp_grid;

/* ---- --vary and the sweep: block ---- */

/* "PATH=V1,V2,..." or "PATH=LO:HI[:STEP]" (STEP 1 when absent; LO, HI and
 * STEP decimal numbers with one optional unit suffix shared by all three,
 * "64GiB:256GiB:64GiB"; values computed exactly in decimal).  On error
 * BS_ERR_INPUT and a message in err (without the option name). */
bs_rc swp_parse_vary(const char *arg, swp_axis *out, char *err, size_t err_len);
/* plan's "PATH=LO:HI": whole numbers (with an optional shared unit suffix). */
bs_rc swp_parse_range(const char *arg, char **path, int64_t *lo, int64_t *hi, char **suffix,
                      char *err, size_t err_len);
/* Paths no sweep may vary ("seed": use --seeds; "name", "sweep..."); NULL
 * when `path` may be varied, else why not. */
const char *swp_path_forbidden(const char *path);
/* "policy" and "policy.name" both name the policy: the canonical form. */
const char *swp_canonical_path(const char *path);

void swp_axis_free(swp_axis *a);
/* Append an axis (moved into the grid; *a is zeroed).  BS_ERR_INPUT when
 * its path is already an axis, or beyond SWP_MAX_AXES. */
bs_rc swp_grid_add(swp_grid *g, swp_axis *a, char *err, size_t err_len);
/* The axes of a validated `sweep:` block (scen.sweep) and its seeds
 * (1 when absent).  Values keep their file positions. */
bs_rc swp_grid_from_block(swp_grid *g, const cfg_node *sweep, uint64_t *seeds, char *err,
                          size_t err_len);
/* Fix the seeds and count points and jobs; BS_ERR_INPUT beyond the limits. */
bs_rc swp_grid_finish(swp_grid *g, uint64_t seeds, char *err, size_t err_len);
void swp_grid_free(swp_grid *g);
/* Job k: the value index of every axis (n_axes entries) and the seed. */
void swp_grid_job(const swp_grid *g, size_t k, size_t *value_index, uint64_t *seed);
/* Hash of the axes, their values and the seeds: equal grids number their
 * jobs alike (merge uses it to tell which runs of a grid are missing). */
uint64_t swp_grid_signature(const swp_grid *g);

/* ---- identity ---- */

typedef struct swp_ident {
    char *name;         /* the scenario's name */
    uint64_t content;   /* swp_tree_hash of the file */
} swp_ident;

/* Hash of a scenario tree without its top-level `sweep`, `seed` and
 * `description` (they do not change a run's results): formatting, comments
 * and the sweep block can change without renumbering any run. */
uint64_t swp_tree_hash(const cfg_node *root);
/* Name and content hash of the scenario file (name: the loaded scenario's). */
bs_rc swp_ident_load(const char *path, const scen *sc, swp_ident *out, cfg_errs *errs);
void swp_ident_free(swp_ident *id);
/* FNV-1a 64 of "balloonsim-run-1", the name, the content hash, the
 * assignments sorted by path and the seed, as 16 hex digits. */
void swp_run_id(const swp_ident *ident, const swp_set *sets, size_t n, uint64_t seed,
                char out[SWP_ID_LEN + 1]);

/* ---- one run ---- */

/* Load the scenario as the runner will run it with these assignments (sets
 * in order, then the policy, then the seed), with every error at the
 * assignment's origin.  For validation before anything runs. */
bs_rc swp_load_point(const char *path, const swp_set *sets, size_t n, uint64_t seed,
                     cfg_errs *errs, scen **out);
/* The runner's job for these assignments: *strings receives the
 * "PATH=VALUE" texts job->sets points to (caller frees both *strings and
 * job->sets with swp_job_free). */
bs_rc swp_job_make(const char *scenario, const swp_set *sets, size_t n, uint64_t seed,
                   const char *out_dir, run_job *job);
void swp_job_free(run_job *job);

/* What a run directory says about its run. */
typedef struct swp_run {
    char id[SWP_ID_LEN + 1];
    char *scenario;     /* name */
    uint64_t content;
    char *version;
    uint64_t seed;
    char **paths, **values; /* the varied assignments, in axis order */
    size_t *ranks;          /* each value's place in its axis's list */
    size_t n_axes;
    char **fixed;           /* "PATH=VALUE" applied to every point (--set, -p) */
    size_t n_fixed;
    uint64_t grid;          /* swp_grid_signature */
    size_t job, jobs;
    met_values m;           /* from summary.json: the run's metrics */
    met_set scopes;         /* every scope of summary.json: s[0] the run (= m),
                             * then its "groups", then per window the window and
                             * its groups (met_set order).  A summary.json of an
                             * older version without groups or windows gives the
                             * run only; a hand-made swp_run may leave it empty */
} swp_run;

/* params.json of job k of g in run_dir (created), temporary + rename.
 * `fixed` are the assignments common to every point. */
bs_rc swp_write_params(const char *run_dir, const swp_ident *ident, const swp_grid *g, size_t job,
                       const swp_set *fixed, size_t n_fixed, const char *id);
/* Whether run_dir holds a complete run (params.json and summary.json). */
bool swp_run_complete(const char *run_dir);
/* Read params.json and summary.json (its "metrics", "groups" and
 * "windows" with their groups).  BS_ERR_INPUT with a message naming the
 * file when either is missing or not what this module writes. */
bs_rc swp_read_run(const char *run_dir, swp_run *out, char *err, size_t err_len);
void swp_run_free(swp_run *r);

/* ---- the table ---- */

typedef struct swp_point {
    size_t *pos;            /* per axis: index into swp_result.values[axis] */
    size_t n_runs;
    uint64_t *seeds;        /* ascending */
    met_values *runs;       /* per seed: the run's metrics */
    met_set *sets;          /* per seed: every scope (owned; NULL in a hand-made point) */
    tab_cell m[MET_COUNT];  /* mean and 95 % half-width over the seeds */
    tab_cell (*sm)[MET_COUNT]; /* per scope of swp_result.scopes (sm[0] == m); a
                             * scope a seed lacks counts as null there.  NULL in a
                             * hand-made point: the run only */
} swp_point;

/* The name of a scope: (NULL, NULL) the run, (g, NULL) a group, (NULL, w) a
 * window, (g, w) a group in a window (met_set). */
typedef struct swp_scope {
    char *group, *window;
} swp_scope;

typedef enum swp_axis_kind { SWP_TEXT, SWP_NUMBER, SWP_SIZE, SWP_TIME, SWP_FRACTION } swp_axis_kind;

typedef struct swp_result {
    char *scenario;
    uint64_t content;
    char **axes;            /* paths */
    swp_axis_kind *kinds;   /* how each axis's values order and plot */
    char ***values;         /* per axis: its distinct values, in table order */
    size_t *n_values;
    size_t n_axes;
    char **fixed;
    size_t n_fixed;
    swp_point *points;      /* table order */
    size_t n_points;
    size_t n_runs;
    swp_scope *scopes;      /* every scope of any run, scopes[0] the run, then in
                             * summary.json order (n_scopes 0: the run only) */
    size_t n_scopes;
} swp_result;

/* Group runs into points and order them: per axis numerically when every
 * value reads as a number (or every one as a size, a time, a fraction), else
 * in the order of the axis's list, and aggregate every scope over the seeds.
 * Runs with the same id count once.
 * BS_ERR_INPUT when the runs belong to different scenarios (name or
 * content) or vary different paths.  The runs are left untouched. */
bs_rc swp_result_build(const swp_run *runs, size_t n, swp_result *out, char *err, size_t err_len);
void swp_result_free(swp_result *r);

typedef enum swp_format { SWP_FMT_TEXT, SWP_FMT_MARKDOWN, SWP_FMT_JSON, SWP_FMT_CSV } swp_format;

/* Index of a scope in r->scopes, SIZE_MAX when no run has it. */
size_t swp_result_scope(const swp_result *r, const char *group, const char *window);
/* The aggregated cell of a metric name ([GROUP.]METRIC[@WINDOW]) at point p,
 * NULL when the result has no such scope. */
const tab_cell *swp_point_cell(const swp_result *r, const swp_point *p, const met_ref *ref);
/* Are the groups and windows a name refers to among the result's?  If not,
 * BS_ERR_INPUT and err names it and lists those there are (met_ref_check). */
bs_rc swp_result_check_ref(const swp_result *r, const met_ref *ref, char *err, size_t err_len);
/* Does the result have per-group or per-window rows worth a table of their
 * own in text and markdown: two groups or more, or any window? */
bool swp_result_has_scope_rows(const swp_result *r);

/* The metrics of text and markdown tables and of plots: names
 * [GROUP.]METRIC[@WINDOW] (met_ref, owned by the array). */
#define SWP_MAX_SHOWN 64

/* The table: text and markdown show the `shown` metrics (each from its
 * scope, headed by its name) and, when the result has scope rows, a second
 * table of the shown metrics per group and window; json and csv every
 * metric of every scope.  Byte-identical for the same runs. */
bs_rc swp_write_table(FILE *f, const swp_result *r, swp_format fmt, const met_ref *shown,
                      size_t n_shown);
/* The default metrics of text, markdown and plots (run scope). */
size_t swp_default_metrics(met_ref out[SWP_MAX_SHOWN]);
/* "stall_s,db.stall_p99@peak": the metrics; BS_ERR_INPUT with a message on a
 * bad name (unknown groups and windows are checked later, against the
 * scenario: swp_check_metrics).  Replaces what out held (frees it). */
bs_rc swp_parse_metrics(const char *text, met_ref out[SWP_MAX_SHOWN], size_t *n, char *err,
                        size_t err_len);
void swp_metrics_free(met_ref *m, size_t n);
/* Every group and window the names refer to exists in the scenario (its
 * groups and windows)?  If not, BS_ERR_INPUT naming the first unknown one. */
bs_rc swp_check_metrics(const met_ref *m, size_t n, const scen *sc, char *err, size_t err_len);
/* The names of a scenario's groups and windows (for expr_check_names):
 * arrays of borrowed names, caller frees the arrays. */
bs_rc swp_scen_names(const scen *sc, const char ***groups, size_t *n_groups,
                     const char ***windows, size_t *n_windows);
/* DIR/sweep.{txt,md,json,csv} and DIR/plots/NAME.gp for each shown metric
 * (temporary + rename each).  Plots: the metric (of its scope) against the
 * first numeric axis (else the first axis), one line per combination of the
 * other axes (one per policy), mean with its 95 % band. */
bs_rc swp_write_outputs(const char *dir, const swp_result *r, const met_ref *shown,
                        size_t n_shown);
/* Write `path` through a temporary in the same directory: fill() writes the
 * content; renamed only when complete. */
bs_rc swp_write_file(const char *path, bs_rc (*fill)(FILE *f, void *ctx), void *ctx);

#endif
