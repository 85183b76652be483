/* cmd_plan.h -- `balloonsim plan`: capacity planning by bisection (docs/sweep.md).
 *
 * plan finds the largest whole value of one key path (VMs per host, say) in
 * [LO, HI] whose runs all meet a service-level objective, assuming that the
 * objective is monotone: if it holds at a value, it holds at every smaller
 * one.  It evaluates LO and HI first (the assumption demands that LO meets
 * and HI fails; if HI meets, HI is the answer, if LO fails there is none),
 * then bisects, so a range of R values costs about log2(R) + 2 evaluations
 * of N seeds each.  The report gives the answer, how close the worst seed
 * is to each threshold at the answer and at answer + 1, every evaluation,
 * and a plot.  Runs are sweep runs (sweep.h) in DIR/runs/<id>/, so --resume
 * and a later sweep over the same scenario reuse them. */
#ifndef BS_CMD_PLAN_H
#define BS_CMD_PLAN_H

#include "sim/base/bs.h"
#include "sim/cli/cli.h"
#include "sim/batch/expr.h"
#include "sim/batch/plan.h"
#include "sim/batch/sweep.h"

#include <stdio.h>

#define PLAN_DEFAULT_DIR "out/plan" /* -o default: out/plan/<scenario> */

#define PLAN_HELP                                                                                  \
    "      --vary PATH=LO:HI   the key path to size and its range, whole numbers with one\n"      \
    "                          optional unit (hosts[0].vms[0].count=8:64)\n"                      \
    "      --slo EXPR          what every run must meet, in the condition language of\n"        \
    "                          --fail-if: 'guest_oom_kills==0 && stall_p99<0.05'; one\n"          \
    "                          tenant's: 'db.host_oom_kills==0 && web.stall_p99@peak<0.05'\n"     \
    "      --seeds N           seeds 1..N per value (default: sweep.seeds, else 1)\n"            \
    "      --format FORMAT     the report on stdout: text (default) or json\n"                   \
    "  -j, --jobs N            runs at once (default: the number of CPUs)\n"                     \
    "  -o, --output DIR        runs, plan.txt, plan.json and plots/plan.gp (default\n"           \
    "                          out/plan/<scenario>)\n"                                           \
    "      --set PATH=VALUE    set one scalar in every run (repeatable), as run does\n"          \
    "  -p, --policy POLICY     plan for POLICY (as run -p does)\n"                               \
    "      --resume            reuse runs whose complete output is in DIR\n"                     \
    "      --no-plots          do not draw the PNG (the gnuplot script is written)\n"             \
    "  -q, --quiet             no notes on stderr\n"                                              \
    "  -h, --help              this help\n"                                                       \
    "\n"                                                                                          \
    "The answer is the largest value in [LO, HI] at which every seed meets the SLO,\n"           \
    "found by bisection: the SLO is assumed to hold at every value below one where it\n"        \
    "holds (more VMs never help).  Exit code 1 when no value meets the SLO.  json has\n"         \
    "\"answer\" (null when none).  See docs/sweep.md.\n"

#endif
