/* plan_plot.h -- the gnuplot script of a plan directory (DIR/plots/plan.gp).
 *
 * The plan command describes what it found in a plot_plan; this module
 * turns it into the script, so that the command's state stays private. */
#ifndef BS_PLAN_PLOT_H
#define BS_PLAN_PLOT_H

#include "sim/base/bs.h"
#include "sim/batch/expr.h"
#include "sim/batch/plan.h"

#include <stdint.h>
#include <stdio.h>

typedef struct plot_plan {
    const char *scenario;          /* the scenario's name */
    const char *path, *suffix;     /* the planned key path and its unit suffix */
    const char *slo_text;
    int64_t lo, hi;
    const expr_cmp *cmps;          /* the SLO's comparisons: one panel each */
    size_t n_cmps;
    const plan_eval *evals;        /* any order; drawn by value */
    size_t n_evals;
    bool found;
    int64_t answer;
} plot_plan;

/* The whole plan.gp into f: per comparison of the SLO, the worst seed's
 * value and the mean against the planned value, the threshold and the
 * answer. */
bs_rc plot_write_plan(FILE *f, const plot_plan *p);

#endif
