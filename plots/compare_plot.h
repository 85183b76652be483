/* cmp_plot.h -- the plots of a compare directory.
 *
 * Per scenario, three (four) gnuplot scripts in DIR/plots (plot.h's conventions:
 * NAME.gp draws NAME.png, or the file in the gnuplot variable `out`):
 *   SCENARIO-metrics.gp    a bar per policy for each metric of the text
 *                          table, with its 95 % confidence interval
 *   SCENARIO-stall-cdf.gp  the distribution of the stall fraction per
 *                          policy, over every sampled (time, VM) point of
 *                          every seed's timeseries.csv after warmup
 *   SCENARIO-memory.gp     one panel per policy: demand, actual and target
 *                          over time of that policy's most-stalled VM
 *                          (highest stall_s in the first seed's summary.json)
 *   SCENARIO-groups.gp     only with two groups or more: a cluster of bars
 *                          per policy, one bar per group, for each metric
 *                          of the text table that groups have
 * The numbers of the first two are written into the scripts (datablocks),
 * so they draw without the run directories; the third reads the run
 * directory's timeseries.csv like a run's own memory.gp does. */
#ifndef BS_CMP_PLOT_H
#define BS_CMP_PLOT_H

#include "sim/base/bs.h"
#include "sim/batch/compare.h"

/* What the scripts need to know of each scenario beyond the report. */
typedef struct cmp_plot_scen {
    bs_time duration, warmup;
} cmp_plot_scen;

/* Write the scripts for every scenario of `r` (scen[i] describes
 * r->scenarios[i]); the run directories are DIR/<scenario>/<policy>-s<seed>.
 * Problems reading a run directory leave that series out with a warning on
 * stderr; BS_ERR_INTERNAL only when a script cannot be written. */
bs_rc cmp_plot_write(const char *dir, const cmp_report *r, const cmp_plot_scen *scen);

#endif
