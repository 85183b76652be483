/* cmd_merge.c -- `balloonsim merge DIR...` (cmd_sweep.h).
 *
 * Why it looks like this:
 * - merge needs no scenario file and no grid on its command line: every run
 *   directory carries its params.json (scenario identity, assignments, seed,
 *   and the grid it was a job of), so the directories alone are the input.
 *   Shards that wrote into one shared DIR and shards copied back from other
 *   machines into several DIRs merge the same way.
 * - The table comes from swp_result_build(), the function sweep itself uses,
 *   so "merge of the shards" and "the sweep at once" print the same bytes.
 * - Gaps are reported, not fatal: a grid's jobs that no DIR holds, and runs
 *   that never finished, are listed on stderr and the table shows what
 *   exists (its runs column says how many seeds each point has). */
#include "sim/cli/cmd_sweep.h"
#include "sim/base/fsutil.h"
#include "sim/cli/commands.h"
#include "sim/cli/opts.h"

#include "sim/report/output.h"
#include "plots/plot.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { OPT_FORMAT = 256, OPT_METRICS, OPT_NO_PLOTS };

#define MAX_LISTED 20 /* missing jobs named in a note */

typedef struct runs_acc {
    swp_run *runs;
    size_t n, cap;
    size_t unfinished;
    char first_unfinished[1024];
} runs_acc;

static bool exists(const char *dir, const char *name, bool want_dir)
{
    char *p = fs_path_join(dir, name);
    struct stat st;
    bool ok = p && stat(p, &st) == 0 && (want_dir ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode));
    free(p);
    return ok;
}

/* One run directory: complete runs are kept, unfinished ones counted. */
static bs_rc add_run(runs_acc *acc, const char *dir)
{
    if (!exists(dir, "summary.json", false)) {
        if (acc->unfinished++ == 0)
            snprintf(acc->first_unfinished, sizeof acc->first_unfinished, "%s", dir);
        return BS_OK;
    }
    if (acc->n == acc->cap) {
        size_t cap = acc->cap ? acc->cap * 2 : 64;
        swp_run *r = realloc(acc->runs, cap * sizeof *r);
        if (r == NULL)
            return BS_ERR_INTERNAL;
        acc->runs = r;
        acc->cap = cap;
    }
    char err[1024];
    bs_rc rc = swp_read_run(dir, &acc->runs[acc->n], err, sizeof err);
    if (rc == BS_OK)
        acc->n++;
    else if (rc == BS_ERR_INPUT)
        fprintf(stderr, "balloonsim merge: %s\n", err);
    return rc;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A sweep directory's runs/, in name order (the table does not depend on
 * it, messages do). */
static bs_rc add_sweep_dir(runs_acc *acc, const char *dir)
{
    char *runs = fs_path_join(dir, "runs");
    DIR *d = runs ? opendir(runs) : NULL;
    if (d == NULL) {
        if (runs)
            fprintf(stderr, "balloonsim merge: cannot read %s: %s\n", runs, strerror(errno));
        free(runs);
        return runs ? BS_ERR_INPUT : BS_ERR_INTERNAL;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    bs_rc rc = BS_OK;
    struct dirent *e;
    while (rc == BS_OK && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nn = realloc(names, cap * sizeof *nn);
            if (nn == NULL) {
                rc = BS_ERR_INTERNAL;
                break;
            }
            names = nn;
        }
        names[n] = strdup(e->d_name);
        if (names[n] == NULL)
            rc = BS_ERR_INTERNAL;
        else
            n++;
    }
    closedir(d);
    if (names != NULL)
        qsort(names, n, sizeof *names, cmp_name);
    for (size_t i = 0; i < n; i++) {
        char *p = rc == BS_OK ? fs_path_join(runs, names[i]) : NULL;
        if (rc == BS_OK && p == NULL)
            rc = BS_ERR_INTERNAL;
        if (rc == BS_OK && exists(p, "params.json", false))
            rc = add_run(acc, p);
        free(p);
        free(names[i]);
    }
    free(names);
    free(runs);
    return rc;
}

static int cmp_grid_job(const void *a, const void *b)
{
    const swp_run *x = *(const swp_run *const *)a, *y = *(const swp_run *const *)b;
    if (x->grid != y->grid)
        return x->grid < y->grid ? -1 : 1;
    return x->job < y->job ? -1 : x->job > y->job;
}

/* For each grid the runs came from: the jobs no directory had. */
static void note_missing(const runs_acc *acc)
{
    const swp_run **order = malloc((acc->n ? acc->n : 1) * sizeof *order);
    if (order == NULL)
        return;
    for (size_t i = 0; i < acc->n; i++)
        order[i] = &acc->runs[i];
    qsort(order, acc->n, sizeof *order, cmp_grid_job);
    for (size_t i = 0; i < acc->n;) {
        size_t j = i;
        while (j < acc->n && order[j]->grid == order[i]->grid)
            j++;
        size_t jobs = order[i]->jobs, found = 0, listed = 0, used = 0, at = i;
        char list[512] = "";
        for (size_t job = 0; job < jobs; job++) {
            bool have = false;
            while (at < j && order[at]->job < job)
                at++;
            while (at < j && order[at]->job == job) { /* a job found twice counts once */
                have = true;
                at++;
            }
            if (have) {
                found++;
            } else if (listed++ < MAX_LISTED && used < sizeof list) {
                int w = snprintf(list + used, sizeof list - used, "%s%zu", used ? ", " : "", job);
                used += w > 0 ? (size_t)w : 0;
            }
        }
        if (found < jobs)
            fprintf(stderr,
                    "balloonsim merge: note: %zu of the %zu jobs of grid %016" PRIx64
                    " were found; missing: %s%s\n",
                    found, jobs, order[i]->grid, list, listed > MAX_LISTED ? ", ..." : "");
        i = j;
    }
    free(order);
}

int cmd_merge(const cli_ctx *cx, int argc, char **argv)
{
    static const struct option longs[] = {{"format", required_argument, NULL, OPT_FORMAT},
                                          {"metrics", required_argument, NULL, OPT_METRICS},
                                          {"output", required_argument, NULL, 'o'},
                                          {"no-plots", no_argument, NULL, OPT_NO_PLOTS},
                                          {"quiet", no_argument, NULL, 'q'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    static const char *const formats[] = {"text", "markdown", "json", "csv", NULL};
    const cli_cmd *cmd = cx->cmd;
    met_ref shown[SWP_MAX_SHOWN];
    size_t n_shown = swp_default_metrics(shown);
    const char *out_dir = NULL;
    int format = 0, rc = BS_OK, c;
    bool plots = true, quiet = false;
    char err[1024];
    cli_getopt_reset();
    while (rc == BS_OK && (c = getopt_long(argc, argv, ":o:qh", longs, NULL)) != -1) {
        switch (c) {
        case OPT_FORMAT:
            format = cli_parse_format(cmd, optarg, formats);
            if (format < 0)
                rc = BS_ERR_INPUT;
            break;
        case OPT_METRICS:
            if (swp_parse_metrics(optarg, shown, &n_shown, err, sizeof err) != BS_OK)
                rc = cli_usage_error(cmd, "bad --metrics: %s", err);
            break;
        case 'o':
            if (*optarg == '\0')
                rc = cli_usage_error(cmd, "-o needs a directory name");
            out_dir = optarg;
            break;
        case OPT_NO_PLOTS: plots = false; break;
        case 'q': quiet = true; break;
        case 'h':
            printf("usage: balloonsim %s\n\n%s.\n\noptions:\n%s", cmd->usage, cmd->summary,
                   cmd->help);
            swp_metrics_free(shown, n_shown);
            return fflush(stdout) == 0 ? BS_OK : BS_ERR_INTERNAL;
        default: rc = cli_option_error(cmd, c, argv, longs); break;
        }
    }
    if (rc == BS_OK && optind >= argc)
        rc = cli_usage_error(cmd, "missing DIR");
    runs_acc acc = {0};
    for (int i = optind; rc == BS_OK && i < argc; i++) {
        const char *d = argv[i];
        if (exists(d, "params.json", false)) {
            rc = add_run(&acc, d);
        } else if (exists(d, "runs", true)) {
            rc = add_sweep_dir(&acc, d);
        } else {
            fprintf(stderr,
                    "balloonsim merge: %s: neither a sweep directory (no runs/) nor a run "
                    "directory (no params.json)\n",
                    d);
            rc = BS_ERR_INPUT;
        }
    }
    if (rc == BS_OK && acc.unfinished && !quiet)
        fprintf(stderr, "balloonsim merge: note: %zu unfinished run%s skipped (%s%s)\n",
                acc.unfinished, acc.unfinished == 1 ? "" : "s", acc.first_unfinished,
                acc.unfinished > 1 ? ", ..." : "");
    if (rc == BS_OK && acc.n == 0) {
        fprintf(stderr, "balloonsim merge: no finished runs in the directories given\n");
        rc = BS_ERR_INPUT;
    }
    if (rc == BS_OK && !quiet)
        note_missing(&acc);
    swp_result r = {0};
    if (rc == BS_OK) {
        rc = swp_result_build(acc.runs, acc.n, &r, err, sizeof err);
        if (rc != BS_OK)
            fprintf(stderr, "balloonsim merge: %s\n", err);
    }
    /* merge has no scenario: the groups and windows are the runs'. */
    for (size_t i = 0; rc == BS_OK && i < n_shown; i++) {
        rc = swp_result_check_ref(&r, &shown[i], err, sizeof err);
        if (rc == BS_ERR_INPUT)
            cli_usage_error(cmd, "bad --metrics: %s", err);
    }
    if (rc == BS_OK && out_dir != NULL) {
        rc = swp_write_outputs(out_dir, &r, shown, n_shown);
        if (rc == BS_OK && plots && r.n_axes > 0) {
            bool skipped = false;
            bs_rc prc = plot_render(out_dir, &skipped);
            if (prc == BS_OK && skipped && !quiet)
                fputs("plots skipped: gnuplot not found\n", stderr);
            if (prc != BS_OK)
                fprintf(stderr, "balloonsim merge: warning: the plots in %s/plots are incomplete\n",
                        out_dir);
        }
    }
    if (rc == BS_OK) {
        rc = swp_write_table(stdout, &r, (swp_format)format, shown, n_shown);
        if (fflush(stdout) != 0)
            rc = BS_ERR_INTERNAL;
    }
    swp_result_free(&r);
    for (size_t i = 0; i < acc.n; i++)
        swp_run_free(&acc.runs[i]);
    free(acc.runs);
    swp_metrics_free(shown, n_shown);
    return rc;
}
