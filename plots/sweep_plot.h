/* sweep_plot.h -- gnuplot scripts of a sweep directory (DIR/plots/METRIC.gp).
 *
 * Kept apart from sim/batch/sweep.c so that every picture balloonsim draws
 * lives in plots/; the sweep module only hands over its table of points. */
#ifndef BS_SWEEP_PLOT_H
#define BS_SWEEP_PLOT_H

#include "sim/base/bs.h"
#include "sim/base/metrics.h"
#include "sim/batch/sweep.h"

/* PDIR/NAME.gp for each shown metric name (temporary + rename each; NAME
 * is the name as written, "stall_s" or "db.stall_s@peak"), after removing
 * the scripts and pictures of metric names not shown: they would redraw old
 * numbers.  Without axes nothing is on x, so no script is written.  Plots:
 * the metric, of the scope its name gives, against the first numeric axis
 * (else the first axis), one line per combination of the other axes, mean
 * with its 95 % band, titled and labelled with the name. */
bs_rc plot_write_sweep_scripts(const char *pdir, const swp_result *r, const met_ref *shown,
                               size_t n_shown);

#endif
