/* cli.c -- `balloonsim` commands: dispatch and help, and (until they get
 * files of their own) run, validate, policies and plot.
 *
 * Why it looks like this:
 * - A const table drives everything (dispatch, the command list of --help,
 *   `CMD --help`), so a command is one row and one handler.
 * - Options are parsed with getopt_long (GNU permutation, so options may
 *   follow the scenario, `--opt=value` and `--` work), with getopt's own
 *   messages off: every usage error goes through cli_usage_error() so all
 *   read alike and exit 2.
 * - `run` loads and validates before it creates anything: a bad scenario
 *   leaves no directory behind.  The directory itself is written by
 *   run_one_to_dir() (runner.h), the same code every batch job uses, so
 *   `run -o` and a run of compare/sweep/plan always hold the same files.
 * - Exit codes are the bs_rc values (bs.h), which are cli.md's codes. */
#include "sim/cli/cli.h"

#include "sim/cli/commands.h"
#include "sim/cli/opts.h"
#include "sim/base/strutil.h"
#include "sim/batch/runner.h"
#include "sim/cli/cmd_compare.h"
#include "sim/cli/cmd_import.h"
#include "sim/cli/cmd_plan.h"
#include "sim/cli/cmd_sweep.h"
#include "sim/cli/cmd_tracestats.h"
#include "sim/decide.h"
#include "sim/engine.h"
#include "sim/report/output.h"
#include "plots/plot.h"
#include "sim/scenario.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int cmd_run(const cli_ctx *cx, int argc, char **argv);
static int cmd_validate(const cli_ctx *cx, int argc, char **argv);
static int cmd_policies(const cli_ctx *cx, int argc, char **argv);
static int cmd_plot(const cli_ctx *cx, int argc, char **argv);

static const cli_cmd commands[] = {
    {"run", cmd_run,
     "run SCENARIO [-p POLICY] [-s SEED] [-o DIR] [--set PATH=VALUE]... [--format text|json] "
     "[--no-plots] [-q]",
     "one simulation; prints a summary; writes the run directory",
     "  -p, --policy POLICY   run under POLICY instead of the scenario's policy\n"
     "                        (with its own defaults unless the file names the same policy)\n"
     "  -s, --seed SEED       seed (a whole number) instead of the scenario's\n"
     "  -o, --output DIR      run directory (default: out/<scenario>/<policy>-s<seed>/)\n"
     "      --set PATH=VALUE  set one scalar of the scenario by key path, as a sweep does;\n"
     "                        repeatable, applied before -p and -s\n"
     "                        (example: --set hosts[0].vms[0].count=12)\n"
     "      --format FORMAT   summary on stdout: text (a table, default) or json\n"
     "                        (the content of summary.json)\n"
     "      --no-plots        do not draw the PNGs (DIR/plots/*.gp are still written)\n"
     "  -q, --quiet           no progress bar and no notes on stderr (errors and\n"
     "                        warnings still); the bar is only drawn on a terminal\n"
     "  -h, --help            this help\n"
     "\n"
     "The run directory gets summary.json, timeseries.csv, hosts.csv, events.csv,\n"
     "run.json and plots/ (see balloonsim(1)).\n"},
    {"compare", cmd_compare,
     "compare SCENARIO... -p P1,P2,... [--seeds N] [-j N] [--format text|markdown|json|csv] "
     "[--baseline FILE] [--save-baseline FILE] [--fail-if EXPR] [--rank-by METRIC,...] [-o DIR]",
     "every policy on every scenario and seed, on the same demand; a ranked table", CMP_HELP},
    {"sweep", cmd_sweep,
     "sweep SCENARIO [--vary PATH=LIST]... [--seeds N] [-j N] [-o DIR] "
     "[--format text|markdown|json|csv] [--list-jobs] [--job K] [--shard I/N] [--resume]",
     "the scenario's sweep: grid; one run per point and seed; a table and plots", SWP_SWEEP_HELP},
    {"merge", cmd_merge, "merge DIR... [--format text|markdown|json|csv]",
     "joins run directories of separate --job runs into one sweep result", SWP_MERGE_HELP},
    {"plan", cmd_plan, "plan SCENARIO --vary PATH=LO:HI --slo EXPR [--seeds N] [--format text|json]",
     "the largest value of PATH whose runs all meet the SLO (capacity planning)", PLAN_HELP},
    {"decide", cmd_decide, "decide POLICY SNAPSHOT [--set PARAM=VALUE]...",
     "what the policy would set as targets for one stats snapshot (JSON)",
     "      --set PARAM=VALUE\n"
     "                        set one policy parameter (repeatable; see 'balloonsim\n"
     "                        policies'); a value starting with { or [ is YAML flow\n"
     "                        (example: --set maxchange=100MB --set target=80%)\n"
     "  -h, --help            this help\n"
     "\n"
     "SNAPSHOT is a YAML file: host: {memory, free, available, swap_used, ...},\n"
     "an optional policy_state: {...} and vms: [{name, memory, min, actual, ...}]\n"
     "(see balloonsim(1)).  Prints one line on stdout:\n"
     "  {\"targets\": {\"VM\": BYTES, ...}, \"policy_state\": {...}}\n"
     "with whole bytes as the policy computed them; a VM it leaves alone is absent.\n"
     "Exit code 2 for an unknown policy, a bad snapshot or a bad --set.\n"},
    {"validate", cmd_validate, "validate SCENARIO...",
     "checks scenario files and prints every error; runs nothing",
     "  -h, --help            this help\n"
     "\n"
     "Every error of every file goes to stderr as FILE:LINE:COL: KEYPATH: message;\n"
     "each good file prints \"FILE: ok\" on stdout.  Exit code 2 if any file is bad.\n"},
    {"import", cmd_import, "import mom-simulator FILE.csv [--interval TIME]",
     "prints a scenario YAML equivalent to a MoM-simulator input file",
     "      --interval TIME   time between two samples of the file (default 2s, the\n"
     "                        MoM simulator's loop); also the policy's interval\n"
     "  -h, --help            this help\n"
     "\n"
     "FILE: a first line 'HOST_KIB, HOST_USE_KIB, ...', then one line per VM\n"
     "'MAX_KIB, BALLOON_KIB, USED_KIB, ...' (cMAX_KIB: no balloon driver; -1: VM off);\n"
     "'#' lines are comments.  The scenario goes to stdout, notes about what could\n"
     "not be mapped exactly to stderr (see docs/import.md).  Exit code 2 for a bad\n"
     "file, with every error as FILE:LINE:COL: message.\n"},
    {"trace-stats", cmd_trace_stats,
     "trace-stats FILE... [--trace-format csv|bitbrains|alibaba|dommemstat] [--format text|json]",
     "statistics of real traces to compare with the generators",
     "      --trace-format F  how to read every FILE: csv, bitbrains, alibaba or\n"
     "                        dommemstat (default: guessed per file -- ';' between\n"
     "                        fields is bitbrains, 'c_ID,m_ID,...' rows alibaba,\n"
     "                        'field value' lines dommemstat, anything else csv)\n"
     "      --format FORMAT   text (default) or json (every number at full precision,\n"
     "                        null for a statistic without data)\n"
     "  -h, --help            this help\n"
     "\n"
     "Each FILE is one VM: levels (as a share of provisioned memory when the trace\n"
     "says it), variation and AR(1) of ln usage, changes per step, bursts above\n"
     "1.5x the median, the daily cycle.  With several FILEs, also the fleet: size\n"
     "mix, spread of levels, medians over VMs, the daily cycle of the sum and the\n"
     "pooling ratio (sum of per-VM peaks / peak of the sum).  See\n"
     "docs/workloads-fleet.md.  Exit code 2 for a missing or bad file (every error\n"
     "as FILE:LINE: message).\n"},
    {"policies", cmd_policies, "policies [--format text|json]",
     "the policies, each with its parameters, units and defaults",
     "      --format FORMAT   text (default) or json:\n"
     "                        [{\"name\", \"description\", \"params\": [{\"name\", \"default\",\n"
     "                        \"unit\", \"description\"}]}]\n"
     "  -h, --help            this help\n"},
    {"plot", cmd_plot, "plot DIR", "(re)draws the plots of a run, compare, sweep or plan directory with gnuplot",
     "  -h, --help            this help\n"
     "\n"
     "Runs gnuplot on every DIR/plots/*.gp (NAME.gp draws NAME.png).  Exit code 2\n"
     "when DIR/plots holds no script, 3 when gnuplot is missing or fails.\n"},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static const cli_cmd *find_command(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

/* ---------------------------------------------------------------- help */

static void print_top_help(FILE *f)
{
    fputs("usage: balloonsim COMMAND [ARGS]...\n"
          "       balloonsim COMMAND --help\n"
          "       balloonsim --help | --version\n"
          "\n"
          "Discrete-event simulator of memory ballooning across many VMs.\n"
          "\n"
          "commands:\n",
          f);
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(f, "  %-12s %s%s\n", commands[i].name, commands[i].summary,
                commands[i].run ? "" : " (not implemented yet)");
    fputs("\n"
          "exit codes: 0 success; 1 a --fail-if condition held, or plan found no value\n"
          "meeting the --slo; 2 bad usage or bad input; 3 an internal error.\n"
          "See balloonsim(1) and 'balloonsim COMMAND --help'.\n",
          f);
}


/* out/<scenario>/<policy>-s<seed>: a name is one path component, so '/'
 * becomes '_' and "." / ".." / "" become "_" (a name must not climb out). */
static void safe_component(char *dst, size_t cap, const char *name)
{
    size_t n = 0;
    for (const char *p = name; *p && n + 1 < cap; p++)
        dst[n++] = *p == '/' ? '_' : *p;
    dst[n] = '\0';
    if (strcmp(dst, "") == 0 || strcmp(dst, ".") == 0 || strcmp(dst, "..") == 0)
        snprintf(dst, cap, "_");
}

static char *default_dir(const scen *sc)
{
    char sname[256], pname[128];
    safe_component(sname, sizeof sname, sc->name);
    safe_component(pname, sizeof pname, sc->policy.type ? sc->policy.type->name : "policy");
    size_t len = strlen(sname) + strlen(pname) + 40;
    char *dir = malloc(len);
    if (dir)
        snprintf(dir, len, "out/%s/%s-s%" PRIu64, sname, pname, sc->seed);
    return dir;
}

/* Load a scenario; on failure print every error (or a generic line when
 * the loader left none) to stderr. */
static bs_rc load(const char *path, const scen_overrides *ov, scen **sc)
{
    cfg_errs errs = {0};
    bs_rc rc = scen_load(path, ov, &errs, sc);
    if (rc != BS_OK) {
        if (errs.n > 0)
            cfg_errs_print(&errs, stderr);
        else
            fprintf(stderr, "%s: cannot load the scenario%s\n", path,
                    rc == BS_ERR_INTERNAL ? " (internal error)" : "");
        *sc = NULL;
    }
    cfg_errs_free(&errs);
    return rc;
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

static int cmd_run(const cli_ctx *cx, int argc, char **argv)
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
        rc = load(argv[optind], &ov, &sc);
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

/* ---------------------------------------------------------------- validate */

static int cmd_validate(const cli_ctx *cx, int argc, char **argv)
{
    static const struct option longs[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int c;
    cli_getopt_reset();
    while ((c = getopt_long(argc, argv, ":h", longs, NULL)) != -1) {
        if (c == 'h')
            return cli_print_cmd_help(cx->cmd);
        return cli_option_error(cx->cmd, c, argv, longs);
    }
    if (optind >= argc)
        return cli_usage_error(cx->cmd, "missing SCENARIO");
    int worst = BS_OK;
    for (int i = optind; i < argc; i++) {
        scen *sc = NULL;
        bs_rc rc = load(argv[i], NULL, &sc);
        if (rc == BS_OK) {
            printf("%s: ok\n", argv[i]);
            scen_free(sc);
        }
        worst = BS_MAX(worst, (int)rc);
    }
    if (fflush(stdout) != 0)
        worst = BS_ERR_INTERNAL;
    return worst;
}

/* ---------------------------------------------------------------- policies */

static int cmd_policies(const cli_ctx *cx, int argc, char **argv)
{
    static const struct option longs[] = {{"format", required_argument, NULL, OPT_FORMAT},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    static const char *const formats[] = {"text", "json", NULL};
    int format = 0, c;
    cli_getopt_reset();
    while ((c = getopt_long(argc, argv, ":h", longs, NULL)) != -1) {
        if (c == 'h')
            return cli_print_cmd_help(cx->cmd);
        if (c != OPT_FORMAT)
            return cli_option_error(cx->cmd, c, argv, longs);
        format = cli_parse_format(cx->cmd, optarg, formats);
        if (format < 0)
            return BS_ERR_INPUT;
    }
    if (optind < argc)
        return cli_usage_error(cx->cmd, "unexpected argument '%s'", argv[optind]);
    pol_print_list(stdout, format == 1);
    return fflush(stdout) == 0 && !ferror(stdout) ? BS_OK : BS_ERR_INTERNAL;
}

/* ---------------------------------------------------------------- plot */

static int cmd_plot(const cli_ctx *cx, int argc, char **argv)
{
    static const struct option longs[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int c;
    cli_getopt_reset();
    while ((c = getopt_long(argc, argv, ":h", longs, NULL)) != -1) {
        if (c == 'h')
            return cli_print_cmd_help(cx->cmd);
        return cli_option_error(cx->cmd, c, argv, longs);
    }
    if (argc - optind != 1)
        return cli_usage_error(cx->cmd, argc == optind ? "missing DIR" : "one DIR only");
    bool skipped = false;
    bs_rc rc = plot_render(argv[optind], &skipped);
    if (rc == BS_OK && skipped) {
        fputs("balloonsim plot: gnuplot not found in PATH; nothing drawn\n", stderr);
        rc = BS_ERR_INTERNAL;
    }
    return rc;
}

/* ---------------------------------------------------------------- decide */


/* ---------------------------------------------------------------- main */

static bool is_help(const char *a)
{
    return strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0;
}

int cli_main(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error(NULL, "missing COMMAND");
    const char *name = argv[1];
    if (is_help(name)) {
        print_top_help(stdout);
        return fflush(stdout) == 0 ? BS_OK : BS_ERR_INTERNAL;
    }
    if (strcmp(name, "--version") == 0 || strcmp(name, "-V") == 0) {
        printf("balloonsim %s\n", BS_VERSION);
        return fflush(stdout) == 0 ? BS_OK : BS_ERR_INTERNAL;
    }
    const cli_cmd *cmd = find_command(name);
    if (cmd == NULL) {
        if (name[0] == '-')
            return cli_usage_error(NULL, "unknown option '%s'", name);
        return cli_usage_error(NULL, "unknown command '%s'", name);
    }
    if (cmd->run == NULL) {
        for (int i = 2; i < argc; i++)
            if (is_help(argv[i]))
                return cli_print_cmd_help(cmd);
        fprintf(stderr, "balloonsim: '%s' is not implemented yet\n", cmd->name);
        return BS_ERR_INPUT;
    }
    cli_ctx cx = {.cmd = cmd, .argc = argc, .argv = argv};
    return cmd->run(&cx, argc - 1, argv + 1);
}
