/* cli.c -- `balloonsim` commands: dispatch and help only; every command is
 * a cmd_NAME.c of its own (commands.h).
 *
 * Why it looks like this:
 * - A const table drives everything (dispatch, the command list of --help,
 *   `CMD --help`), so a command is one row and one handler.
 * - Options are parsed with getopt_long (GNU permutation, so options may
 *   follow the scenario, `--opt=value` and `--` work), with getopt's own
 *   messages off: every usage error goes through cli_usage_error() so all
 *   read alike and exit 2.
 * - Exit codes are the bs_rc values (bs.h), which are the documented exit
 *   codes (docs/balloonsim.1). */
#include "sim/cli/cli.h"

#include "sim/cli/commands.h"
#include "sim/cli/opts.h"

#include "sim/cli/cmd_compare.h" /* the help texts of the commands */
#include "sim/cli/cmd_import.h"
#include "sim/cli/cmd_plan.h"
#include "sim/cli/cmd_sweep.h"
#include "sim/cli/cmd_tracestats.h"

#include <stdio.h>
#include <string.h>


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
     "[--baseline FILE] [--save-baseline FILE] [--fail-if EXPR] [--rank-by METRIC,...] [--by group] [-o DIR]",
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
        fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fputs("\n"
          "exit codes: 0 success; 1 a --fail-if condition held, or plan found no value\n"
          "meeting the --slo; 2 bad usage or bad input; 3 an internal error.\n"
          "See balloonsim(1) and 'balloonsim COMMAND --help'.\n",
          f);
}


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
    cli_ctx cx = {.cmd = cmd, .argc = argc, .argv = argv};
    return cmd->run(&cx, argc - 1, argv + 1);
}
