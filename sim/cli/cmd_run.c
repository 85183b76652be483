/* cmd_run.c -- `balloonsim run`: one scenario into one run directory.
 *
 * The work is run_one_to_dir() (sim/batch/runner.c), shared with every batch
 * job so that a run and a compare's run write the same bytes; this file adds
 * what only an interactive run has: the progress bar on a terminal, the
 * default directory out/SCENARIO/POLICY-sSEED and the text summary.  It
 * loads and validates before it creates anything: a bad scenario leaves no
 * directory behind. */
#include "sim/cli/commands.h"
#include "sim/cli/opts.h"

#include "sim/base/strutil.h"
#include "sim/batch/compare.h"
#include "sim/batch/runner.h"
#include "sim/engine.h"
#include "sim/report/output.h"
#include "plots/plot.h"
#include "sim/scenario.h"
#include "policies/pol.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* out/<scenario>/<policy>-s<seed>, each name one path component (as every
 * batch run directory names them: cmp_safe_name). */
static char *default_dir(const scen *sc)
{
    char sname[256], pname[128];
    cmp_safe_name(sname, sizeof sname, sc->name);
    cmp_safe_name(pname, sizeof pname, sc->policy.type ? sc->policy.type->name : "policy");
    size_t len = strlen(sname) + strlen(pname) + 40;
    char *dir = malloc(len);
    if (dir)
        snprintf(dir, len, "out/%s/%s-s%" PRIu64, sname, pname, sc->seed);
    return dir;
}

/* ---------------------------------------------------------------- run */

/* Progress on a terminal: a sink in front of the output's sink that redraws
 * one line of stderr whenever the simulated time crosses another percent.
 * Samples carry the time, so no engine hook is needed. */
typedef struct progress {
    const eng_sink *inner;
    eng_sink sink;
    bs_time duration;
    bool quiet;
    int shown; /* percent on screen, -1: nothing yet */
} progress;

static void progress_draw(progress *p, bs_time t)
{
    int pct = p->duration > 0 ? (int)(100.0 * (double)t / (double)p->duration) : 100;
    pct = BS_MAX(0, BS_MIN(100, pct));
    if (pct == p->shown)
        return;
    p->shown = pct;
    char bar[41];
    int fill = pct * 40 / 100;
    for (int i = 0; i < 40; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[40] = '\0';
    fprintf(stderr, "\r[%s] %3d%%", bar, pct);
    fflush(stderr);
}

static bs_rc progress_vm(void *ctx, const eng_vm_sample *row)
{
    progress *p = ctx;
    return p->inner->vm_sample ? p->inner->vm_sample(p->inner->ctx, row) : BS_OK;
}

static bs_rc progress_host(void *ctx, const eng_host_sample *row)
{
    progress *p = ctx;
    progress_draw(p, row->t);
    return p->inner->host_sample ? p->inner->host_sample(p->inner->ctx, row) : BS_OK;
}

static bs_rc progress_event(void *ctx, const eng_event *ev)
{
    progress *p = ctx;
    return p->inner->event ? p->inner->event(p->inner->ctx, ev) : BS_OK;
}

/* The sink to run with (a run_dir_opts wrap): the output's, wrapped when a
 * bar is wanted. */
static const eng_sink *progress_wrap(void *ctx, const eng_sink *inner)
{
    progress *p = ctx;
    if (p->quiet || !isatty(STDERR_FILENO))
        return inner;
    p->inner = inner;
    p->shown = -1;
    p->sink = (eng_sink){.ctx = p, .vm_sample = progress_vm, .host_sample = progress_host,
                         .event = progress_event};
    return &p->sink;
}

static void progress_clear(void *ctx, const eng_sink *used)
{
    const progress *p = ctx;
    if (used == &p->sink && p->shown >= 0)
        fprintf(stderr, "\r%*s\r", 48, "");
}

enum { OPT_SET = 256, OPT_FORMAT, OPT_NO_PLOTS };

int cmd_run(const cli_ctx *cx, int argc, char **argv)
{
    static const struct option longs[] = {
        {"policy", required_argument, NULL, 'p'}, {"seed", required_argument, NULL, 's'},
        {"output", required_argument, NULL, 'o'}, {"set", required_argument, NULL, OPT_SET},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"no-plots", no_argument, NULL, OPT_NO_PLOTS}, {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    static const char *const formats[] = {"text", "json", NULL};
    const cli_cmd *cmd = cx->cmd;
    /* Before getopt_long permutes argv (cx->argv shares its array). */
    char *cmdline = bs_join_argv(cx->argc, cx->argv);
    const char **sets = calloc((size_t)argc + 1, sizeof *sets);
    if (sets == NULL || cmdline == NULL) {
        free(sets);
        free(cmdline);
        return BS_ERR_INTERNAL;
    }
    scen_overrides ov = {.sets = sets};
    const char *dir_opt = NULL;
    int format = 0;
    bool plots = true, quiet = false;
    int rc = BS_OK, c;
    cli_getopt_reset();
    while (rc == BS_OK && (c = getopt_long(argc, argv, ":p:s:o:qh", longs, NULL)) != -1) {
        switch (c) {
        case 'p': ov.policy = optarg; break;
        case 's':
            if (cli_parse_uint(optarg, INT64_MAX, &ov.seed) != BS_OK)
                rc = cli_usage_error(cmd, "bad seed '%s' (expected a whole number from 0 to 9223372036854775807)", optarg);
            ov.has_seed = true;
            break;
        case 'o': dir_opt = optarg; break;
        case OPT_SET:
            if (strchr(optarg, '=') == NULL || optarg[0] == '=')
                rc = cli_usage_error(cmd, "bad --set '%s' (expected PATH=VALUE)", optarg);
            sets[ov.n_sets++] = optarg;
            break;
        case OPT_FORMAT:
            format = cli_parse_format(cmd, optarg, formats);
            if (format < 0)
                rc = BS_ERR_INPUT;
            break;
        case OPT_NO_PLOTS: plots = false; break;
        case 'q': quiet = true; break;
        case 'h':
            free(sets);
            free(cmdline);
            return cli_print_cmd_help(cmd);
        default: rc = cli_option_error(cmd, c, argv, longs); break;
        }
    }
    if (rc == BS_OK && argc - optind == 0)
        rc = cli_usage_error(cmd, "missing SCENARIO");
    else if (rc == BS_OK && argc - optind > 1)
        rc = cli_usage_error(cmd, "one SCENARIO only (got '%s' too)", argv[optind + 1]);
    if (rc == BS_OK && dir_opt != NULL && dir_opt[0] == '\0')
        rc = cli_usage_error(cmd, "-o needs a directory name");
    scen *sc = NULL;
    if (rc == BS_OK)
        rc = cli_load_scenario(argv[optind], &ov, &sc);
    free(sets);
    if (rc != BS_OK) {
        free(cmdline);
        return rc;
    }

    char *dir = dir_opt ? strdup(dir_opt) : default_dir(sc);
    eng_result res = {0};
    bool have_res = false;
    if (dir == NULL)
        rc = BS_ERR_INTERNAL;
    if (rc == BS_OK) {
        progress bar = {.duration = sc->duration, .quiet = quiet, .shown = -1};
        run_dir_opts ro = {.command_line = cmdline, .plots = plots, .say_skipped = true,
                           .who = "balloonsim run", .wrap = progress_wrap,
                           .unwrap = progress_clear, .ctx = &bar};
        bool sim_failed = false;
        rc = run_one_to_dir(sc, dir, &ro, &res, &sim_failed);
        if (rc != BS_OK && sim_failed)
            fprintf(stderr, "balloonsim run: %s: the simulation failed%s\n", argv[optind],
                    rc == BS_ERR_INTERNAL ? " (internal error)" : "");
        have_res = rc == BS_OK;
    }
    if (rc == BS_OK) {
        if (format == 1)
            rc = out_write_summary_json(stdout, sc, &res);
        else
            out_print_summary_text(stdout, sc, &res);
        if (fflush(stdout) != 0)
            rc = BS_ERR_INTERNAL;
        if (!quiet)
            fprintf(stderr, "run directory: %s\n", dir);
    }
    if (have_res)
        eng_result_free(&res);
    free(cmdline);
    free(dir);
    scen_free(sc);
    return rc;
}
