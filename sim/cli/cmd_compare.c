/* cmd_compare.c -- `balloonsim compare` (cmd_compare.h).
 *
 * Why it looks like this:
 * - Everything that can be wrong with the input is found before the first
 *   run: options, --fail-if and --rank-by, the baseline file, and every
 *   scenario loaded under every policy.  A typo in a CI job then costs a
 *   second, not a batch, and bad input leaves no directory behind.
 * - Common random numbers come for free: a VM's demand streams are seeded
 *   from the seed and the VM's name only (rng.h), never from the policy, so
 *   run (scenario, P, seed) and run (scenario, Q, seed) see the same demand.
 *   Seeds are 1..N so that "seed 3" means the same runs in every compare.
 * - Jobs are laid out scenario-major, then policy, then seed, and outcomes
 *   come back by index (runner.h), so every table is the same with -j 1 or
 *   -j 64.  Nothing that depends on the machine (wall time, -j, the command
 *   line) enters a report file.
 * - The table is printed on stdout in the chosen format, and all four
 *   formats are written to DIR as well, so a CI job can print text for the
 *   log and still archive json and markdown.
 * - Group and window names in --fail-if and --rank-by are checked against
 *   the union of the groups and windows of every scenario given, once they
 *   are loaded: a name one scenario lacks is not a typo if another has it
 *   (there it reads as null, so its comparisons are false). */
#include "sim/cli/cmd_compare.h"
#include "sim/base/fsutil.h"
#include "sim/cli/commands.h"
#include "sim/cli/opts.h"

#include "plots/compare_plot.h"
#include "sim/batch/baseline.h"
#include "sim/batch/compare.h"
#include "sim/batch/expr.h"
#include "sim/report/output.h"
#include "plots/plot.h"
#include "sim/batch/runner.h"
#include "sim/scenario.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CMP_MAX_SEEDS 100000

enum {
    OPT_SEEDS = 256,
    OPT_FORMAT,
    OPT_BASELINE,
    OPT_SAVE_BASELINE,
    OPT_FAIL_IF,
    OPT_RANK_BY,
    OPT_SET,
    OPT_NO_PLOTS,
    OPT_BY
};

typedef struct opts {
    const char **policies; /* the -p lists split, pointing into policy_bufs */
    size_t n_policies;
    char **policy_bufs;    /* strdup'ed -p arguments */
    size_t n_policy_bufs;
    const char **sets;
    size_t n_sets;
    const char **scenarios;
    size_t n_scenarios;
    uint64_t n_seeds;
    int jobs;
    int format;
    const char *baseline, *save_baseline, *fail_if, *rank_by, *dir;
    bool plots, quiet, by_group;
} opts;

static void free_opts(opts *o)
{
    for (size_t i = 0; i < o->n_policy_bufs; i++)
        free(o->policy_bufs[i]);
    free(o->policy_bufs);
    free(o->policies);
    free(o->sets);
    free(o->scenarios);
}

/* ---------------------------------------------------------------- options */

/* Split "a,b,c" (one -p argument) into the policy list. */
static int add_policies(const cli_cmd *cmd, opts *o, const char *arg)
{
    char *copy = strdup(arg);
    if (copy == NULL)
        return BS_ERR_INTERNAL;
    o->policy_bufs[o->n_policy_bufs++] = copy;
    char *save = NULL;
    if (*copy == '\0' || copy[strlen(copy) - 1] == ',' || *copy == ',' || strstr(copy, ",,"))
        return cli_usage_error(cmd, "bad -p '%s' (expected POLICY,POLICY,... with no empty name)",
                               arg);
    for (char *p = strtok_r(copy, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
        for (size_t i = 0; i < o->n_policies; i++)
            if (strcmp(o->policies[i], p) == 0)
                return cli_usage_error(cmd, "policy '%s' is given twice", p);
        o->policies[o->n_policies++] = p;
    }
    return BS_OK;
}

static int parse_opts(const cli_ctx *cx, int argc, char **argv, opts *o, bool *help)
{
    static const struct option longs[] = {
        {"policy", required_argument, NULL, 'p'},
        {"seeds", required_argument, NULL, OPT_SEEDS},
        {"jobs", required_argument, NULL, 'j'},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"baseline", required_argument, NULL, OPT_BASELINE},
        {"save-baseline", required_argument, NULL, OPT_SAVE_BASELINE},
        {"fail-if", required_argument, NULL, OPT_FAIL_IF},
        {"rank-by", required_argument, NULL, OPT_RANK_BY},
        {"output", required_argument, NULL, 'o'},
        {"set", required_argument, NULL, OPT_SET},
        {"no-plots", no_argument, NULL, OPT_NO_PLOTS},
        {"by", required_argument, NULL, OPT_BY},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    static const char *const formats[] = {"text", "markdown", "json", "csv", NULL};
    const cli_cmd *cmd = cx->cmd;
    size_t cap = (size_t)argc + 1;
    /* a policy list of k names needs at least 2k - 1 characters: argc bounds
     * the -p arguments, their total length bounds the names */
    size_t names = 1;
    for (int i = 0; i < argc; i++)
        names += strlen(argv[i]) / 2 + 1;
    o->policies = calloc(names, sizeof *o->policies);
    o->policy_bufs = calloc(cap, sizeof *o->policy_bufs);
    o->sets = calloc(cap, sizeof *o->sets);
    o->scenarios = calloc(cap, sizeof *o->scenarios);
    if (!o->policies || !o->policy_bufs || !o->sets || !o->scenarios)
        return BS_ERR_INTERNAL;
    o->n_seeds = CMP_DEFAULT_SEEDS;
    o->jobs = run_default_parallelism();
    o->dir = CMP_DEFAULT_DIR;
    o->plots = true;
    int rc = BS_OK, c;
    cli_getopt_reset();
    while (rc == BS_OK && (c = getopt_long(argc, argv, ":p:j:o:qh", longs, NULL)) != -1) {
        uint64_t v;
        switch (c) {
        case 'p': rc = add_policies(cmd, o, optarg); break;
        case OPT_SEEDS:
            if (cli_parse_uint(optarg, CMP_MAX_SEEDS, &o->n_seeds) != BS_OK || o->n_seeds == 0)
                rc = cli_usage_error(cmd, "bad --seeds '%s' (expected a whole number from 1 to %d)",
                                     optarg, CMP_MAX_SEEDS);
            break;
        case 'j':
            if (cli_parse_uint(optarg, 4096, &v) != BS_OK || v == 0)
                rc = cli_usage_error(cmd, "bad -j '%s' (expected a whole number from 1 to 4096)",
                                     optarg);
            else
                o->jobs = (int)v;
            break;
        case OPT_FORMAT:
            o->format = cli_parse_format(cmd, optarg, formats);
            if (o->format < 0)
                rc = BS_ERR_INPUT;
            break;
        case OPT_BASELINE: o->baseline = optarg; break;
        case OPT_SAVE_BASELINE: o->save_baseline = optarg; break;
        case OPT_FAIL_IF: o->fail_if = optarg; break;
        case OPT_RANK_BY: o->rank_by = optarg; break;
        case 'o': o->dir = optarg; break;
        case OPT_SET:
            if (strchr(optarg, '=') == NULL || optarg[0] == '=')
                rc = cli_usage_error(cmd, "bad --set '%s' (expected PATH=VALUE)", optarg);
            o->sets[o->n_sets++] = optarg;
            break;
        case OPT_NO_PLOTS: o->plots = false; break;
        case OPT_BY:
            if (strcmp(optarg, "group") == 0)
                o->by_group = true;
            else
                rc = cli_usage_error(cmd, "bad --by '%s' (expected: group)", optarg);
            break;
        case 'q': o->quiet = true; break;
        case 'h': *help = true; return BS_OK;
        default: rc = cli_option_error(cmd, c, argv, longs); break;
        }
    }
    if (rc != BS_OK)
        return rc;
    for (int i = optind; i < argc; i++)
        o->scenarios[o->n_scenarios++] = argv[i];
    if (o->n_scenarios == 0)
        return cli_usage_error(cmd, "missing SCENARIO");
    if (o->n_policies == 0)
        return cli_usage_error(cmd, "missing -p POLICY,... (the policies to compare)");
    if (o->dir[0] == '\0')
        return cli_usage_error(cmd, "-o needs a directory name");
    if (o->save_baseline && o->save_baseline[0] == '\0')
        return cli_usage_error(cmd, "--save-baseline needs a file name");
    if (o->baseline && o->baseline[0] == '\0')
        return cli_usage_error(cmd, "--baseline needs a file name");
    return BS_OK;
}

/* "balloonsim: --fail-if: column N: ..." and the expression with a caret
 * under that column. */
static void expr_error(const char *text, const char *err)
{
    fprintf(stderr, "balloonsim: --fail-if: %s\n", err);
    size_t col = 0;
    if (sscanf(err, "column %zu", &col) == 1 && col >= 1 && col <= strlen(text) + 1 &&
        strchr(text, '\n') == NULL) {
        fprintf(stderr, "  %s\n  %*s^\n", text, (int)(col - 1), "");
    }
}

/* ---------------------------------------------------------------- checks */

typedef struct scen_info {
    char *name;
    bs_time duration, warmup;
} scen_info;

/* The union of the scenarios' group and window names (for the checks of
 * --fail-if and --rank-by). */
typedef struct scope_names {
    char **groups, **windows;
    size_t n_groups, n_windows;
} scope_names;

static bool add_unique(char ***list, size_t *n, const char *name)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*list)[i], name) == 0)
            return true;
    char **nl = realloc(*list, (*n + 1) * sizeof *nl);
    if (nl == NULL)
        return false;
    *list = nl;
    nl[*n] = strdup(name);
    if (nl[*n] == NULL)
        return false;
    (*n)++;
    return true;
}

static bool add_scope_names(scope_names *sn, const scen *sc)
{
    bool ok = true;
    for (size_t g = 0; ok && g < sc->n_groups; g++)
        ok = add_unique(&sn->groups, &sn->n_groups, sc->groups[g].name);
    for (size_t w = 0; ok && w < sc->n_windows; w++)
        ok = add_unique(&sn->windows, &sn->n_windows, sc->windows[w].name);
    return ok;
}

static void free_scope_names(scope_names *sn)
{
    for (size_t i = 0; i < sn->n_groups; i++)
        free(sn->groups[i]);
    for (size_t i = 0; i < sn->n_windows; i++)
        free(sn->windows[i]);
    free(sn->groups);
    free(sn->windows);
}

/* Load every scenario under every policy (seed: the first); prints every
 * error.  Fills info[s] from the first policy's load, and sn with the
 * groups and windows of all of them. */
static int check_scenarios(const opts *o, scen_info *info, scope_names *sn)
{
    int worst = BS_OK;
    for (size_t s = 0; s < o->n_scenarios; s++) {
        bool reported = false;
        for (size_t p = 0; p < o->n_policies; p++) {
            scen_overrides ov = {.sets = o->sets,
                                 .n_sets = o->n_sets,
                                 .policy = o->policies[p],
                                 .has_seed = true,
                                 .seed = 1};
            cfg_errs errs = {0};
            scen *sc = NULL;
            bs_rc rc = scen_load(o->scenarios[s], &ov, &errs, &sc);
            if (rc != BS_OK) {
                /* The scenario's own errors are the same under every policy:
                 * print them once, then only what differs. */
                if (!reported || errs.n == 0) {
                    if (errs.n > 0)
                        cfg_errs_print(&errs, stderr);
                    else
                        fprintf(stderr, "%s: cannot load the scenario%s\n", o->scenarios[s],
                                rc == BS_ERR_INTERNAL ? " (internal error)" : "");
                }
                fprintf(stderr, "balloonsim compare: %s cannot run under policy '%s'\n",
                        o->scenarios[s], o->policies[p]);
                reported = true;
                worst = BS_MAX(worst, (int)rc);
            } else if (info[s].name == NULL) {
                info[s].name = strdup(sc->name);
                info[s].duration = sc->duration;
                info[s].warmup = sc->warmup;
                if (info[s].name == NULL || !add_scope_names(sn, sc))
                    worst = BS_ERR_INTERNAL;
            }
            cfg_errs_free(&errs);
            scen_free(sc);
        }
    }
    for (size_t s = 0; worst == BS_OK && s < o->n_scenarios; s++)
        for (size_t t = 0; t < s; t++)
            if (strcmp(info[s].name, info[t].name) == 0) {
                fprintf(stderr,
                        "balloonsim compare: %s and %s are both named '%s' (results and run "
                        "directories are keyed by the name; give one another name:)\n",
                        o->scenarios[t], o->scenarios[s], info[s].name);
                worst = BS_ERR_INPUT;
                break;
            }
    return worst;
}

/* ---------------------------------------------------------------- files */

/* Write `path` through a temporary next to it and a rename: the table in
 * format `what`, or report.md when `what` < 0. */
static bs_rc write_file(const char *path, const cmp_report *r, int what)
{
    size_t len = strlen(path);
    char *tmp = malloc(len + 16);
    if (tmp == NULL)
        return BS_ERR_INTERNAL;
    /* ".NAME.tmp" in the same directory, so that rename() is atomic */
    const char *slash = strrchr(path, '/');
    size_t dirlen = slash ? (size_t)(slash - path + 1) : 0;
    snprintf(tmp, len + 16, "%.*s.%s.tmp", (int)dirlen, path, path + dirlen);
    FILE *f = fopen(tmp, "w");
    if (f == NULL) {
        fprintf(stderr, "balloonsim: cannot create %s: %s\n", tmp, strerror(errno));
        free(tmp);
        return BS_ERR_INTERNAL;
    }
    bs_rc rc = what < 0 ? cmp_write_report(f, r) : cmp_write(f, r, (cmp_format)what);
    bool bad = ferror(f) != 0;
    if (fclose(f) != 0 || bad)
        rc = BS_ERR_INTERNAL;
    if (rc == BS_OK && rename(tmp, path) != 0)
        rc = BS_ERR_INTERNAL;
    if (rc != BS_OK) {
        fprintf(stderr, "balloonsim: cannot write %s: %s\n", path, strerror(errno));
        unlink(tmp);
    }
    free(tmp);
    return rc;
}

static bs_rc write_reports(const char *dir, const cmp_report *r)
{
    static const struct {
        const char *name;
        int what;
    } files[] = {{"compare.txt", CMP_TEXT}, {"compare.md", CMP_MARKDOWN},
                 {"compare.json", CMP_JSON}, {"compare.csv", CMP_CSV},
                 {"report.md", -1}};
    bs_rc rc = fs_mkdirs(dir);
    for (size_t i = 0; i < sizeof files / sizeof files[0] && rc == BS_OK; i++) {
        char *path = fs_path_join(dir, files[i].name);
        rc = path ? write_file(path, r, files[i].what) : BS_ERR_INTERNAL;
        free(path);
    }
    return rc;
}

/* ---------------------------------------------------------------- baseline */

static void baseline_notes(const cmp_report *r, const cmp_report *b, const char *path)
{
    bool same_seeds = r->n_seeds == b->n_seeds;
    for (size_t i = 0; same_seeds && i < r->n_seeds; i++)
        same_seeds = r->seeds[i] == b->seeds[i];
    if (!same_seeds)
        fprintf(stderr, "note: %s was made with %zu seed%s, this compare uses %zu\n", path,
                b->n_seeds, b->n_seeds == 1 ? "" : "s", r->n_seeds);
    bool same_sets = r->n_sets == b->n_sets;
    for (size_t i = 0; same_sets && i < r->n_sets; i++)
        same_sets = strcmp(r->sets[i], b->sets[i]) == 0;
    if (!same_sets)
        fprintf(stderr, "note: %s was made with other --set overrides\n", path);
    if (b->version && strcmp(b->version, BS_VERSION) != 0)
        fprintf(stderr, "note: %s was made by balloonsim %s (this is %s)\n", path, b->version,
                BS_VERSION);
}

/* ---------------------------------------------------------------- main */

static void print_failures(const opts *o, const run_job *jobs, const run_outcome *out, size_t n,
                           const scen_info *info)
{
    for (size_t i = 0; i < n; i++) {
        if (out[i].rc == BS_OK)
            continue;
        size_t s = i / (o->n_policies * o->n_seeds);
        fprintf(stderr, "balloonsim compare: %s / %s / seed %" PRIu64 " failed: %s\n",
                info[s].name, jobs[i].policy, jobs[i].seed, out[i].message);
    }
}

/* Every group and window --fail-if and --rank-by name must be one of the
 * scenarios' (bad usage otherwise). */
static int check_names(const cli_cmd *cmd, const opts *o, const expr *fail_if,
                       const cmp_key *keys, size_t n_keys, const scope_names *sn)
{
    char err[1024];
    const char *const *g = (const char *const *)sn->groups;
    const char *const *w = (const char *const *)sn->windows;
    if (fail_if && expr_check_names(fail_if, g, sn->n_groups, w, sn->n_windows, err,
                                    sizeof err) != BS_OK)
        return cli_usage_error(cmd, "--fail-if '%s': %s", o->fail_if, err);
    if (cmp_keys_check(keys, n_keys, g, sn->n_groups, w, sn->n_windows, err, sizeof err) != BS_OK)
        return cli_usage_error(cmd, "--rank-by '%s': %s", o->rank_by ? o->rank_by : "", err);
    return BS_OK;
}

static int run_compare(const cli_cmd *cmd, const opts *o, expr *fail_if, const cmp_key *keys,
                       size_t n_keys)
{
    size_t S = o->n_scenarios, P = o->n_policies, N = (size_t)o->n_seeds;
    size_t n = S * P * N;
    scen_info *info = calloc(S, sizeof *info);
    uint64_t *seeds = calloc(N, sizeof *seeds);
    run_job *jobs = calloc(n, sizeof *jobs);
    run_outcome *out = calloc(n, sizeof *out);
    met_values *vals = calloc(N, sizeof *vals);
    const char **names = calloc(S, sizeof *names);
    met_set *sets = calloc(N, sizeof *sets);
    scope_names sn = {0};
    cmp_report *base = NULL, *r = NULL;
    int rc = info && seeds && jobs && out && vals && names && sets ? BS_OK : BS_ERR_INTERNAL;
    for (size_t k = 0; rc == BS_OK && k < N; k++)
        seeds[k] = k + 1;

    if (rc == BS_OK && o->baseline) {
        cfg_errs errs = {0};
        rc = cmp_load(o->baseline, &errs, &base);
        if (rc != BS_OK) {
            if (errs.n)
                cfg_errs_print(&errs, stderr);
            else
                fprintf(stderr, "balloonsim compare: cannot read the baseline %s\n", o->baseline);
        }
        cfg_errs_free(&errs);
    }
    if (rc == BS_OK)
        rc = check_scenarios(o, info, &sn);
    if (rc == BS_OK)
        rc = check_names(cmd, o, fail_if, keys, n_keys, &sn);
    /* the input is good: a DIR that cannot be made fails now, not per run */
    if (rc == BS_OK)
        rc = fs_mkdirs(o->dir);

    /* jobs: scenario-major, then policy, then seed */
    for (size_t i = 0; rc == BS_OK && i < n; i++) {
        size_t s = i / (P * N), p = (i / N) % P, k = i % N;
        char *dir = cmp_run_dir(o->dir, info[s].name, o->policies[p], seeds[k]);
        if (dir == NULL) {
            rc = BS_ERR_INTERNAL;
            break;
        }
        jobs[i] = (run_job){.scenario = o->scenarios[s],
                            .policy = o->policies[p],
                            .has_seed = true,
                            .seed = seeds[k],
                            .sets = o->sets,
                            .n_sets = o->n_sets,
                            .out_dir = dir,
                            .summary_only = false,
                            .plots = false};
    }
    if (rc == BS_OK) {
        run_bar b = run_bar_start(!o->quiet && isatty(STDERR_FILENO), false);
        bs_rc brc = run_batch(jobs, n, o->jobs, out, run_bar_draw, &b);
        run_bar_clear(&b);
        size_t finished = 0;
        for (size_t i = 0; i < n; i++)
            finished += strcmp(out[i].message, "interrupted") != 0 || out[i].rc == BS_OK;
        if (brc != BS_OK) {
            fprintf(stderr, "balloonsim compare: stopped: %zu of %zu runs finished\n", finished, n);
            rc = BS_ERR_INTERNAL;
        } else {
            for (size_t i = 0; i < n; i++)
                rc = BS_MAX(rc, (int)out[i].rc);
            if (rc != BS_OK)
                print_failures(o, jobs, out, n, info);
        }
    }

    if (rc == BS_OK) {
        for (size_t s = 0; s < S; s++)
            names[s] = info[s].name;
        r = cmp_report_new(seeds, N, o->policies, P, keys, n_keys, o->sets, o->n_sets, names,
                           o->scenarios, S);
        if (r == NULL)
            rc = BS_ERR_INTERNAL;
    }
    if (rc == BS_OK) {
        for (size_t s = 0; s < S; s++) {
            for (size_t p = 0; p < P; p++) {
                for (size_t k = 0; k < N; k++) {
                    vals[k] = out[(s * P + p) * N + k].run;
                    sets[k] = out[(s * P + p) * N + k].scopes; /* borrowed */
                }
                cmp_result *res = &r->scenarios[s].results[p];
                cmp_aggregate(vals, N, res->m);
                res->runs = N;
                if (rc == BS_OK)
                    rc = cmp_aggregate_scopes(sets, N, res);
            }
        }
        r->by_group = o->by_group;
        cmp_rank(r);
        if (rc == BS_OK)
            rc = write_reports(o->dir, r);
    }
    if (rc == BS_OK) {
        cmp_plot_scen *ps = calloc(S, sizeof *ps);
        bs_rc prc = ps ? BS_OK : BS_ERR_INTERNAL;
        for (size_t s = 0; ps && s < S; s++)
            ps[s] = (cmp_plot_scen){.duration = info[s].duration, .warmup = info[s].warmup};
        if (prc == BS_OK)
            prc = cmp_plot_write(o->dir, r, ps);
        free(ps);
        if (prc == BS_OK && o->plots) {
            bool skipped = false;
            prc = plot_render(o->dir, &skipped);
            if (prc == BS_OK && skipped && !o->quiet)
                fputs("plots skipped: gnuplot not found\n", stderr);
        }
        /* the results are complete: a plotting problem is a warning */
        if (prc != BS_OK)
            fprintf(stderr, "balloonsim compare: warning: the plots in %s/plots are incomplete\n",
                    o->dir);
    }
    if (rc == BS_OK && o->save_baseline)
        rc = write_file(o->save_baseline, r, CMP_JSON);
    if (rc == BS_OK) {
        rc = cmp_write(stdout, r, (cmp_format)o->format);
        if (fflush(stdout) != 0 || ferror(stdout))
            rc = BS_ERR_INTERNAL;
    }
    if (rc == BS_OK && base && !o->quiet)
        baseline_notes(r, base, o->baseline);
    if (rc == BS_OK && !o->quiet)
        fprintf(stderr, "compare directory: %s\n", o->dir);
    if (rc == BS_OK && fail_if && cmp_fail_if(r, fail_if, base, o->baseline, stderr))
        rc = BS_FAIL_CONDITION;

    for (size_t i = 0; jobs && i < n; i++)
        free((char *)jobs[i].out_dir);
    for (size_t s = 0; info && s < S; s++)
        free(info[s].name);
    cmp_report_free(r);
    cmp_report_free(base);
    free_scope_names(&sn);
    free(sets);
    free(names);
    free(vals);
    if (out)
        for (size_t i = 0; i < n; i++) run_outcome_free(&out[i]);
    free(out);
    free(jobs);
    free(seeds);
    free(info);
    return rc;
}

int cmd_compare(const cli_ctx *cx, int argc, char **argv)
{
    opts o = {0};
    bool help = false;
    int rc = parse_opts(cx, argc, argv, &o, &help);
    if (rc == BS_OK && help) {
        free_opts(&o);
        printf("usage: balloonsim %s\n\n%s.\n\noptions:\n%s", cx->cmd->usage, cx->cmd->summary,
               CMP_HELP);
        return fflush(stdout) == 0 ? BS_OK : BS_ERR_INTERNAL;
    }
    expr *fail_if = NULL;
    if (rc == BS_OK && o.fail_if) {
        char err[256];
        if (expr_parse(o.fail_if, &fail_if, err, sizeof err) != BS_OK) {
            expr_error(o.fail_if, err);
            rc = BS_ERR_INPUT;
        } else if (expr_uses_baseline(fail_if) && o.baseline == NULL) {
            rc = cli_usage_error(cx->cmd,
                                 "--fail-if '%s' compares with a baseline (+N%%): give "
                                 "--baseline FILE",
                                 o.fail_if);
        }
    }
    cmp_key keys[CMP_MAX_KEYS];
    size_t n_keys = 0;
    cmp_default_keys(keys, &n_keys);
    if (rc == BS_OK && o.rank_by) {
        char err[256];
        if (cmp_parse_rank_by(o.rank_by, keys, &n_keys, err, sizeof err) != BS_OK)
            rc = cli_usage_error(cx->cmd, "bad --rank-by '%s': %s", o.rank_by, err);
    }
    if (rc == BS_OK)
        rc = run_compare(cx->cmd, &o, fail_if, keys, n_keys);
    cmp_keys_free(keys, n_keys);
    expr_free(fail_if);
    free_opts(&o);
    return rc;
}
