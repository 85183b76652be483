/* cmd_sweep.c -- `balloonsim sweep` (cmd_sweep.h), and the batch execution
 * that `plan` shares.
 *
 * Why it looks like this:
 * - Everything that can be wrong is found before the first run: options,
 *   the grid, and every point of it loaded as its run will load it.  A typo
 *   in a value costs a second, not a night of runs, and nothing is made.
 * - One grid, three ways to run it: all jobs here (-j children), one job
 *   (--job K) or every N-th (--shard I/N) for engines that already exist
 *   (GNU parallel, xargs -P, Slurm job arrays).  --list-jobs prints the
 *   command of each job with absolute paths (or the program's bare name when
 *   it was found through PATH), so a line runs the same from any directory
 *   and on any machine that sees the same files.  No line depends on the
 *   scenario's sweep: block: the grid is spelt out with --vary.
 * - A run is done when DIR/runs/<id>/summary.json exists (the runner renames
 *   it into place last); params.json goes in first.  --resume trusts exactly
 *   that, so a run killed at any moment is simply run again.
 * - The table is always built from the run directories (sweep.h), which is
 *   why a resumed sweep, a sweep at -j 1 and a merge of shards print the
 *   same bytes. */
#include "sim/cli/cmd_sweep.h"
#include "sim/base/fsutil.h"
#include "sim/cli/commands.h"
#include "sim/cli/opts.h"
#include "sim/batch/compare.h"

#include "sim/base/strutil.h"
#include "sim/report/output.h"
#include "plots/plot.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum {
    OPT_VARY = 256,
    OPT_SEEDS,
    OPT_FORMAT,
    OPT_METRICS,
    OPT_LIST_JOBS,
    OPT_JOB,
    OPT_SHARD,
    OPT_RESUME,
    OPT_SET,
    OPT_NO_PLOTS
};

/* ---------------------------------------------------------------- small */

char *swp_default_dir(const char *base, const char *name)
{
    char comp[256];
    cmp_safe_name(comp, sizeof comp, name);
    return fs_path_join(base, comp);
}

/* ---------------------------------------------------------------- exec */

bs_rc swp_exec_add_fixed(swp_exec *x, const cli_cmd *cmd, const char *arg, bool policy)
{
    swp_set s = {.origin = policy ? "-p" : "--set"};
    if (policy) {
        if (*arg == '\0')
            return cli_usage_error(cmd, "-p needs a policy name");
        s.path = "policy.name";
        s.value = arg;
    } else {
        const char *eq = strchr(arg, '=');
        if (eq == NULL || eq == arg)
            return cli_usage_error(cmd, "bad --set '%s' (expected PATH=VALUE)", arg);
        char *path = strndup(arg, (size_t)(eq - arg));
        if (path == NULL)
            return BS_ERR_INTERNAL;
        const char *why = swp_path_forbidden(path);
        if (why != NULL && strcmp(path, "seed") != 0 && strcmp(path, "name") != 0) {
            cli_usage_error(cmd, "bad --set '%s': %s", arg, why);
            free(path);
            return BS_ERR_INPUT;
        }
        if (strcmp(path, "seed") == 0) {
            free(path);
            return cli_usage_error(cmd, "bad --set '%s': use --seeds N (seeds 1..N)", arg);
        }
        s.value = eq + 1;
        s.path = path; /* owned: freed in swp_exec_close (origin "--set") */
    }
    for (size_t i = 0; i < x->n_fixed; i++) {
        if (strcmp(swp_canonical_path(x->fixed[i].path), swp_canonical_path(s.path)) == 0) {
            int rc = cli_usage_error(cmd, "%s is set twice", swp_canonical_path(s.path));
            if (!policy)
                free((char *)(uintptr_t)s.path);
            return rc;
        }
    }
    swp_set *f = realloc(x->fixed, (x->n_fixed + 1) * sizeof *f);
    if (f == NULL) {
        if (!policy)
            free((char *)(uintptr_t)s.path);
        return BS_ERR_INTERNAL;
    }
    x->fixed = f;
    x->fixed[x->n_fixed++] = s;
    return BS_OK;
}

bs_rc swp_exec_check_axes(const swp_exec *x, const cli_cmd *cmd, const swp_grid *g)
{
    for (size_t a = 0; a < g->n_axes; a++)
        for (size_t i = 0; i < x->n_fixed; i++)
            if (strcmp(g->axes[a].path, swp_canonical_path(x->fixed[i].path)) == 0)
                return cli_usage_error(cmd, "%s is both varied and set with %s", g->axes[a].path,
                                       x->fixed[i].origin);
    return BS_OK;
}

/* ---------------------------------------------------------------- sweep */

typedef struct opts {
    swp_grid grid;
    bool has_vary;
    uint64_t seeds;     /* 0: from the file */
    int parallel;
    const char *dir;
    int format;
    met_ref shown[SWP_MAX_SHOWN];
    size_t n_shown;
    bool list_jobs, plots, quiet, resume;
    bool has_job, has_shard;
    uint64_t job, shard_i, shard_n;
} opts;

/* The program as --list-jobs should name it: its bare name when the shell
 * found it through PATH, else an absolute path. */
static char *program_path(const char *argv0)
{
    if (strchr(argv0, '/') == NULL)
        return strdup(argv0);
    char *p = realpath(argv0, NULL);
    if (p == NULL)
        p = realpath("/proc/self/exe", NULL);
    return p ? p : strdup(argv0);
}

/* An absolute form of a path that may not exist yet. */
static char *absolute(const char *path)
{
    if (path[0] == '/')
        return strdup(path);
    char *real = realpath(path, NULL);
    if (real != NULL)
        return real;
    char cwd[PATH_MAX];
    if (getcwd(cwd, sizeof cwd) == NULL)
        return NULL;
    return fs_path_join(cwd, path);
}

static bs_rc list_jobs(const cli_ctx *cx, const swp_exec *x, const opts *o, const size_t *which,
                       size_t n)
{
    const swp_grid *g = &o->grid;
    char *prog = program_path(cx->argv[0]);
    char *scen_abs = absolute(x->scenario);
    char *dir_abs = absolute(x->dir);
    size_t max = 16 + 2 * (g->n_axes + x->n_fixed);
    char **argv = calloc(max, sizeof *argv);
    char **owned = calloc(max, sizeof *owned);
    bs_rc rc = prog && scen_abs && dir_abs && argv && owned ? BS_OK : BS_ERR_INTERNAL;
    size_t n_owned = 0;
    int base = 0;
    if (rc == BS_OK) {
        argv[base++] = prog;
        argv[base++] = (char *)"sweep";
        argv[base++] = scen_abs;
        for (size_t a = 0; a < g->n_axes && rc == BS_OK; a++) {
            size_t len = strlen(g->axes[a].path) + strlen(g->axes[a].spec) + 2;
            char *v = malloc(len);
            if (v == NULL) {
                rc = BS_ERR_INTERNAL;
                break;
            }
            snprintf(v, len, "%s=%s", g->axes[a].path, g->axes[a].spec);
            owned[n_owned++] = v;
            argv[base++] = (char *)"--vary";
            argv[base++] = v;
        }
        for (size_t i = 0; i < x->n_fixed && rc == BS_OK; i++) {
            const swp_set *s = &x->fixed[i];
            if (strcmp(s->origin, "-p") == 0) {
                argv[base++] = (char *)"-p";
                argv[base++] = (char *)s->value;
                continue;
            }
            size_t len = strlen(s->path) + strlen(s->value) + 2;
            char *v = malloc(len);
            if (v == NULL) {
                rc = BS_ERR_INTERNAL;
                break;
            }
            snprintf(v, len, "%s=%s", s->path, s->value);
            owned[n_owned++] = v;
            argv[base++] = (char *)"--set";
            argv[base++] = v;
        }
    }
    char seeds[32], job[32];
    snprintf(seeds, sizeof seeds, "%" PRIu64, g->seeds);
    for (size_t i = 0; rc == BS_OK && i < n; i++) {
        if (x->resume) {
            char *d = swp_exec_run_dir(x, g, which[i]);
            bool done = d && swp_run_complete(d);
            free(d);
            if (done)
                continue;
        }
        int k = base;
        argv[k++] = (char *)"--seeds";
        argv[k++] = seeds;
        argv[k++] = (char *)"-o";
        argv[k++] = dir_abs;
        snprintf(job, sizeof job, "%zu", which[i]);
        argv[k++] = (char *)"--job";
        argv[k++] = job;
        argv[k++] = (char *)"-q";
        char *line = bs_join_argv(k, argv);
        if (line == NULL) {
            rc = BS_ERR_INTERNAL;
            break;
        }
        puts(line);
        free(line);
    }
    if (rc == BS_OK && fflush(stdout) != 0)
        rc = BS_ERR_INTERNAL;
    for (size_t i = 0; i < n_owned; i++)
        free(owned[i]);
    free(owned);
    free(argv);
    free(prog);
    free(scen_abs);
    free(dir_abs);
    return rc;
}

static int parse_opts(const cli_ctx *cx, int argc, char **argv, opts *o, swp_exec *x)
{
    static const struct option longs[] = {
        {"vary", required_argument, NULL, OPT_VARY},
        {"seeds", required_argument, NULL, OPT_SEEDS},
        {"jobs", required_argument, NULL, 'j'},
        {"output", required_argument, NULL, 'o'},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"metrics", required_argument, NULL, OPT_METRICS},
        {"list-jobs", no_argument, NULL, OPT_LIST_JOBS},
        {"job", required_argument, NULL, OPT_JOB},
        {"shard", required_argument, NULL, OPT_SHARD},
        {"resume", no_argument, NULL, OPT_RESUME},
        {"set", required_argument, NULL, OPT_SET},
        {"policy", required_argument, NULL, 'p'},
        {"no-plots", no_argument, NULL, OPT_NO_PLOTS},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    static const char *const formats[] = {"text", "markdown", "json", "csv", NULL};
    const cli_cmd *cmd = cx->cmd;
    char err[1024];
    int rc = BS_OK, c;
    cli_getopt_reset();
    while (rc == BS_OK && (c = getopt_long(argc, argv, ":j:o:p:qh", longs, NULL)) != -1) {
        switch (c) {
        case OPT_VARY: {
            swp_axis a;
            rc = swp_parse_vary(optarg, &a, err, sizeof err);
            if (rc == BS_OK) {
                rc = swp_grid_add(&o->grid, &a, err, sizeof err);
                if (rc != BS_OK)
                    swp_axis_free(&a);
            }
            if (rc == BS_ERR_INPUT)
                cli_usage_error(cmd, "bad --vary: %s", err);
            o->has_vary = true;
            break;
        }
        case OPT_SEEDS:
            if (cli_parse_uint(optarg, SWP_MAX_SEEDS, &o->seeds) != BS_OK || o->seeds == 0)
                rc = cli_usage_error(cmd, "bad --seeds '%s' (expected a whole number from 1 to %d)",
                                     optarg, SWP_MAX_SEEDS);
            break;
        case 'j': {
            uint64_t j;
            if (cli_parse_uint(optarg, 4096, &j) != BS_OK || j == 0)
                rc = cli_usage_error(cmd, "bad -j '%s' (expected a whole number from 1 to 4096)",
                                     optarg);
            else
                o->parallel = (int)j;
            break;
        }
        case 'o':
            if (*optarg == '\0')
                rc = cli_usage_error(cmd, "-o needs a directory name");
            o->dir = optarg;
            break;
        case OPT_FORMAT:
            o->format = cli_parse_format(cmd, optarg, formats);
            if (o->format < 0)
                rc = BS_ERR_INPUT;
            break;
        case OPT_METRICS:
            if (swp_parse_metrics(optarg, o->shown, &o->n_shown, err, sizeof err) != BS_OK)
                rc = cli_usage_error(cmd, "bad --metrics: %s", err);
            break;
        case OPT_LIST_JOBS: o->list_jobs = true; break;
        case OPT_JOB:
            if (cli_parse_uint(optarg, SIZE_MAX, &o->job) != BS_OK)
                rc = cli_usage_error(cmd, "bad --job '%s' (expected a job number from 0)", optarg);
            o->has_job = true;
            break;
        case OPT_SHARD: {
            const char *slash = strchr(optarg, '/');
            char a[32];
            bool ok = slash && (size_t)(slash - optarg) < sizeof a;
            if (ok) {
                snprintf(a, sizeof a, "%.*s", (int)(slash - optarg), optarg);
                ok = (cli_parse_uint(a, SIZE_MAX, &o->shard_i) == BS_OK) &&
                     (cli_parse_uint(slash + 1, SIZE_MAX, &o->shard_n) == BS_OK) && o->shard_n > 0 &&
                     o->shard_i < o->shard_n;
            }
            if (!ok)
                rc = cli_usage_error(cmd,
                                     "bad --shard '%s' (expected I/N with 0 <= I < N, such as "
                                     "0/4)",
                                     optarg);
            o->has_shard = true;
            break;
        }
        case OPT_RESUME: o->resume = true; break;
        case OPT_SET: rc = swp_exec_add_fixed(x, cmd, optarg, false); break;
        case 'p': rc = swp_exec_add_fixed(x, cmd, optarg, true); break;
        case OPT_NO_PLOTS: o->plots = false; break;
        case 'q': o->quiet = true; break;
        case 'h': return -1;
        default: rc = cli_option_error(cmd, c, argv, longs); break;
        }
    }
    if (rc == BS_OK && argc - optind == 0)
        rc = cli_usage_error(cmd, "missing SCENARIO");
    else if (rc == BS_OK && argc - optind > 1)
        rc = cli_usage_error(cmd, "one SCENARIO only (got '%s' too)", argv[optind + 1]);
    if (rc == BS_OK && o->has_job && o->has_shard)
        rc = cli_usage_error(cmd, "--job and --shard exclude each other");
    if (rc == BS_OK)
        x->scenario = argv[optind];
    return rc;
}

/* The jobs this invocation is about: all, --job K or --shard I/N. */
static size_t *select_jobs(const opts *o, size_t *n)
{
    const swp_grid *g = &o->grid;
    size_t cap = o->has_job ? 1 : o->has_shard ? (g->jobs + o->shard_n - 1) / o->shard_n : g->jobs;
    size_t *w = malloc((cap ? cap : 1) * sizeof *w);
    if (w == NULL)
        return NULL;
    *n = 0;
    if (o->has_job) {
        w[(*n)++] = (size_t)o->job;
    } else {
        size_t start = o->has_shard ? (size_t)o->shard_i : 0, step = o->has_shard ? o->shard_n : 1;
        for (size_t k = start; k < g->jobs; k += step)
            w[(*n)++] = k;
    }
    return w;
}

static int finish_table(const swp_exec *x, const opts *o, const size_t *which, size_t n)
{
    swp_run *runs = NULL;
    swp_result r = {0};
    char err[1024];
    bs_rc rc = swp_exec_collect(x, &o->grid, which, n, &runs);
    if (rc == BS_OK) {
        rc = swp_result_build(runs, n, &r, err, sizeof err);
        if (rc != BS_OK)
            fprintf(stderr, "balloonsim sweep: %s\n", err);
    }
    if (rc == BS_OK)
        rc = swp_write_outputs(x->dir, &r, o->shown, o->n_shown);
    if (rc == BS_OK && o->plots && o->grid.n_axes > 0) {
        bool skipped = false;
        bs_rc prc = plot_render(x->dir, &skipped);
        if (prc == BS_OK && skipped && !o->quiet)
            fputs("plots skipped: gnuplot not found\n", stderr);
        if (prc != BS_OK)
            fprintf(stderr, "balloonsim sweep: warning: the plots in %s/plots are incomplete\n",
                    x->dir);
    }
    if (rc == BS_OK) {
        rc = swp_write_table(stdout, &r, (swp_format)o->format, o->shown, o->n_shown);
        if (fflush(stdout) != 0)
            rc = BS_ERR_INTERNAL;
        if (!o->quiet)
            fprintf(stderr, "sweep directory: %s\n", x->dir);
    }
    swp_result_free(&r);
    for (size_t i = 0; runs && i < n; i++)
        swp_run_free(&runs[i]);
    free(runs);
    return rc;
}

int cmd_sweep(const cli_ctx *cx, int argc, char **argv)
{
    const cli_cmd *cmd = cx->cmd;
    opts o = {.parallel = run_default_parallelism(), .plots = true};
    o.n_shown = swp_default_metrics(o.shown);
    swp_exec x = {.cmd = "sweep"};
    char err[1024];
    int rc = parse_opts(cx, argc, argv, &o, &x);
    if (rc < 0) {
        printf("usage: balloonsim %s\n\n%s.\n\noptions:\n%s", cmd->usage, cmd->summary, cmd->help);
        swp_grid_free(&o.grid);
        swp_metrics_free(o.shown, o.n_shown);
        swp_exec_close(&x);
        return fflush(stdout) == 0 ? BS_OK : BS_ERR_INTERNAL;
    }
    if (rc == BS_OK)
        rc = swp_exec_open(&x);
    /* The grid: --vary, else the scenario's sweep: block. */
    uint64_t file_seeds = 1;
    if (rc == BS_OK && !o.has_vary) {
        if (x.sweep == NULL) {
            rc = cli_usage_error(cmd, "%s has no sweep: block; say what to vary with --vary PATH=LIST",
                                 x.scenario);
        } else {
            rc = swp_grid_from_block(&o.grid, x.sweep, &file_seeds, err, sizeof err);
            if (rc == BS_ERR_INPUT)
                fprintf(stderr, "%s\n", err);
        }
    } else if (rc == BS_OK && x.sweep != NULL) {
        const cfg_entry *se = cfg_map_entry(x.sweep, "seeds");
        if (se != NULL && se->val->kind == CFG_SCALAR)
            file_seeds = strtoull(se->val->value, NULL, 10);
    }
    if (rc == BS_OK) {
        rc = swp_grid_finish(&o.grid, o.seeds ? o.seeds : file_seeds, err, sizeof err);
        if (rc == BS_ERR_INPUT)
            cli_usage_error(cmd, "%s", err);
    }
    if (rc == BS_OK)
        rc = swp_exec_check_axes(&x, cmd, &o.grid);
    /* Groups and windows named in --metrics must be the scenario's: bad
     * usage before anything runs. */
    if (rc == BS_OK) {
        rc = swp_check_metrics(o.shown, o.n_shown, x.base, err, sizeof err);
        if (rc == BS_ERR_INPUT)
            cli_usage_error(cmd, "bad --metrics: %s", err);
    }
    if (rc == BS_OK && o.has_job && o.job >= o.grid.jobs)
        rc = cli_usage_error(cmd, "--job %" PRIu64 " is out of range: the grid has %zu jobs (0 to %zu)",
                             o.job, o.grid.jobs, o.grid.jobs - 1);
    if (rc == BS_OK) {
        x.dir = o.dir ? strdup(o.dir) : swp_default_dir(SWP_DEFAULT_DIR, x.ident.name);
        if (x.dir == NULL)
            rc = BS_ERR_INTERNAL;
    }
    size_t n = 0, *which = rc == BS_OK ? select_jobs(&o, &n) : NULL;
    if (rc == BS_OK && which == NULL)
        rc = BS_ERR_INTERNAL;
    if (rc == BS_OK)
        rc = swp_exec_validate(&x, &o.grid, which, n);
    x.parallel = o.parallel;
    x.resume = o.resume;
    x.quiet = o.quiet;
    x.bar = !o.quiet;
    if (rc == BS_OK && o.list_jobs) {
        rc = list_jobs(cx, &x, &o, which, n);
    } else if (rc == BS_OK) {
        size_t ran = 0;
        rc = swp_exec_run(&x, &o.grid, which, n, &ran);
        if (rc == BS_OK && !o.quiet && ran < n)
            fprintf(stderr, "balloonsim sweep: %zu of %zu runs were complete already (--resume)\n",
                    n - ran, n);
        if (rc == BS_OK && (o.has_job || o.has_shard)) {
            if (!o.quiet)
                fprintf(stderr, "balloonsim sweep: %zu run%s in %s/runs; 'balloonsim merge %s' makes the table\n",
                        n, n == 1 ? "" : "s", x.dir, x.dir);
        } else if (rc == BS_OK) {
            rc = finish_table(&x, &o, which, n);
        }
    }
    free(which);
    swp_grid_free(&o.grid);
    swp_metrics_free(o.shown, o.n_shown);
    swp_exec_close(&x);
    return rc;
}
