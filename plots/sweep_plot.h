/* sweep_plot.h -- gnuplot scripts of a sweep directory (DIR/plots/METRIC.gp).
 *
 * Kept apart from sim/batch/sweep.c so that every picture balloonsim draws
 * lives in plots/; the sweep module only hands over its table of points. */
#ifndef BS_SWEEP_PLOT_H
#define BS_SWEEP_PLOT_H

#include "sim/base/bs.h"
#include "sim/base/metrics.h"
#include "sim/batch/sweep.h"

/* PDIR/METRIC.gp for each shown metric (temporary + rename each), after
 * removing the scripts and pictures of metrics not shown: they would redraw
 * old numbers.  Without axes nothing is on x, so no script is written.
 * Plots: the metric against the first numeric axis (else the first axis),
 * one line per combination of the other axes, mean with its 95 % band. */
bs_rc plot_write_sweep_scripts(const char *pdir, const swp_result *r, const met_id *shown,
                               size_t n_shown);

#endif
