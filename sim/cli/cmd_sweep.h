/* cmd_sweep.h -- `balloonsim sweep` and `balloonsim merge` (docs/sweep.md), and the
 * batch execution `plan` shares with them.
 *
 * sweep expands the grid (sweep.h), checks every point before it runs
 * anything (bad input: exit 2, nothing made), runs the jobs through the
 * runner into DIR/runs/<id>/, then builds the table from the run
 * directories and writes DIR/sweep.{txt,md,json,csv} and DIR/plots/.
 * --list-jobs, --job and --shard split the same grid over other machines;
 * merge reads their run directories back into the same table.  Exit codes:
 * 0, 2 bad usage or input, 3 an internal error, a failed run or an
 * interrupted batch (the finished runs are kept: --resume goes on). */
#ifndef BS_CMD_SWEEP_H
#define BS_CMD_SWEEP_H

#include "sim/base/bs.h"
#include "sim/cli/cli.h"
#include "sim/batch/sweep.h"
#include "sim/batch/sweep_exec.h"

#define SWP_DEFAULT_DIR "out/sweep" /* -o default: out/sweep/<scenario> */

#define SWP_SWEEP_HELP                                                                             \
    "      --vary PATH=LIST    vary one scalar of the scenario: V1,V2,... or LO:HI[:STEP]\n"      \
    "                          (decimal numbers, one optional unit: 64GiB:256GiB:64GiB);\n"       \
    "                          repeatable, the grid is their product; replaces the\n"             \
    "                          scenario's sweep: block.  policy.name varies the policy\n"          \
    "      --seeds N           seeds 1..N at every point (default: sweep.seeds, else 1)\n"        \
    "  -j, --jobs N            runs at once, each in its own process (default: the\n"            \
    "                          number of CPUs; 1 runs them in this process)\n"                   \
    "  -o, --output DIR        where runs, tables and plots go (default\n"                       \
    "                          out/sweep/<scenario>)\n"                                          \
    "      --format FORMAT     the table on stdout: text (default), markdown, json, csv\n"       \
    "      --metrics LIST      metrics of the text/markdown table and of the plots\n"            \
    "                          (default guest_oom_kills,host_oom_kills,stall_s,stall_p99,\n"      \
    "                          balloon_traffic_bytes,mean_host_used_fraction,overcommit_ratio);\n" \
    "                          GROUP.METRIC, METRIC@WINDOW, GROUP.METRIC@WINDOW name a scope\n"   \
    "      --list-jobs         print one self-contained command per run, run nothing\n"          \
    "      --job K             run job K only (0-based, the K-th line of --list-jobs)\n"          \
    "      --shard I/N         run jobs I, I+N, I+2N, ... (0 <= I < N): one shard of N\n"        \
    "      --resume            skip runs whose complete output is in DIR\n"                      \
    "      --set PATH=VALUE    set one scalar in every run (repeatable), as run does\n"          \
    "  -p, --policy POLICY     run every point under POLICY (as run -p does)\n"                  \
    "      --no-plots          do not draw the PNGs (the gnuplot scripts are written)\n"          \
    "  -q, --quiet             no progress bar and no notes on stderr\n"                          \
    "  -h, --help              this help\n"                                                       \
    "\n"                                                                                          \
    "Each run goes to DIR/runs/ID/ (summary.json, params.json, run.json), ID a hash of\n"        \
    "the scenario, its PATH=VALUE assignments and the seed: adding values or seeds\n"            \
    "later keeps every existing run.  A full sweep writes DIR/sweep.{txt,md,json,csv}\n"          \
    "and DIR/plots/METRIC.gp (+ .png).  --job and --shard write runs only; 'balloonsim\n"         \
    "merge DIR' makes the table.  See docs/sweep.md and docs/distributed.md.\n"

#define SWP_MERGE_HELP                                                                             \
    "      --format FORMAT     text (default), markdown, json, csv\n"                            \
    "      --metrics LIST      metrics of the text/markdown table and of the plots\n"            \
    "                          (db.stall_s, stall_p99@peak: a group's, a window's)\n"             \
    "  -o, --output DIR        also write DIR/sweep.{txt,md,json,csv} and DIR/plots/\n"          \
    "      --no-plots          with -o: do not draw the PNGs\n"                                   \
    "  -q, --quiet             no notes on stderr\n"                                              \
    "  -h, --help              this help\n"                                                       \
    "\n"                                                                                          \
    "Each DIR is a sweep directory (its runs/ are read) or one run directory (with\n"             \
    "params.json).  Runs found twice count once; unfinished runs are skipped with a\n"            \
    "note, and so are the jobs of a grid that no DIR holds.  The runs must come from\n"           \
    "one scenario (same content) and vary the same key paths.\n"

/* ---- shared with plan ---- */


/* Parse a --set (into x->fixed) or -p; BS_ERR_INPUT after a usage error. */
bs_rc swp_exec_add_fixed(swp_exec *x, const cli_cmd *cmd, const char *arg, bool policy);
/* Check that no axis is also a fixed assignment (usage error). */
bs_rc swp_exec_check_axes(const swp_exec *x, const cli_cmd *cmd, const swp_grid *g);

/* Command-line helpers of sweep, merge and plan. */
/* BASE/<name> with the name made one path component ('/' -> '_'). */
char *swp_default_dir(const char *base, const char *name);

#endif
