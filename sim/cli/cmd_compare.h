/* cmd_compare.h -- `balloonsim compare`: every policy on every scenario and
 * seed, on the same demand; a ranked table with 95 % confidence intervals,
 * plots, baselines and a --fail-if gate for CI (cli.md, docs/compare.md).
 *
 * The handler validates everything before it runs anything (bad input: exit
 * 2, no directory made), runs the batch with runner.h, builds a cmp_report
 * (compare.h) and writes DIR/compare.{txt,md,json,csv}, DIR/report.md and
 * DIR/plots/.  Exit codes: 0, 1 when --fail-if held, 2 bad usage or input,
 * 3 an internal error or an interrupted batch. */
#ifndef BS_CMD_COMPARE_H
#define BS_CMD_COMPARE_H

#include "sim/base/bs.h"
#include "sim/cli/cli.h"

/* The default of --seeds (seeds 1..N) and of -o. */
#define CMP_DEFAULT_SEEDS 5
#define CMP_DEFAULT_DIR "out/compare"

/* The command's help text (the options), for the command table. */
#define CMP_HELP                                                                                    \
    "  -p, --policy P1,P2,...  the policies to compare (repeatable); each runs with the\n"          \
    "                          scenario's policy parameters when it is the scenario's own\n"        \
    "                          policy, with its defaults otherwise\n"                              \
    "      --seeds N           seeds 1..N for every scenario and policy (default 5)\n"              \
    "  -j, --jobs N            runs at once, each in its own process (default: the\n"              \
    "                          number of CPUs; 1 runs them in this process)\n"                     \
    "      --format FORMAT     the table on stdout: text (default), markdown, json, csv\n"         \
    "      --rank-by LIST      ranking criteria, best first: METRIC or METRIC+METRIC (a\n"         \
    "                          sum), '-' before one for higher is better (default:\n"             \
    "                          guest_oom_kills+host_oom_kills,stall_s,balloon_traffic_bytes);\n"   \
    "                          a metric may name a group or window: db.stall_s@peak\n"            \
    "      --by group          text and markdown: one ranked table per group of each\n"          \
    "                          scenario instead of the whole run's\n"                            \
    "      --save-baseline FILE  write the results (json) to FILE\n"                               \
    "      --baseline FILE     results of an earlier compare, for relative thresholds\n"           \
    "      --fail-if EXPR      exit 1 when EXPR holds for any scenario and policy (on the\n"       \
    "                          means); '+10%' compares with the baseline's value:\n"             \
    "                          'guest_oom_kills>0 || stall_s>+10%'; names may be\n"               \
    "                          GROUP.METRIC, METRIC@WINDOW: 'db.host_oom_kills>0'\n"             \
    "  -o, --output DIR        where runs and reports go (default out/compare)\n"                  \
    "      --set PATH=VALUE    set one scalar of every scenario (repeatable), as run does\n"       \
    "      --no-plots          do not draw the PNGs (the gnuplot scripts are written)\n"           \
    "  -q, --quiet             no progress bar and no notes on stderr\n"                           \
    "  -h, --help              this help\n"                                                        \
    "\n"                                                                                           \
    "DIR gets SCENARIO/POLICY-sSEED/ (a run directory per run), compare.txt,\n"                    \
    "compare.md, compare.json, compare.csv (the table in every format), report.md\n"              \
    "(tables and plots) and plots/.  Every policy sees the same demand for a seed\n"               \
    "(common random numbers).  Cells are the mean over the seeds +- the half-width\n"              \
    "of its 95 % confidence interval (Student t).  See docs/compare.md.\n"

#endif
