/* plot.h -- gnuplot scripts and pictures for a run directory.
 *
 * Scripts are written next to the data (plots/*.gp reading ../timeseries.csv
 * etc. relative to the run directory) so that a user can edit and re-run them;
 * pictures are made by running gnuplot as a child process.  Without gnuplot a
 * run still succeeds: plot_render() reports that it skipped. */
#ifndef BS_PLOT_H
#define BS_PLOT_H

#include "bs.h"
#include "scenario.h"

/* Write DIR/plots/*.gp for a run of `sc` (temp file + rename each). */
bs_rc plot_write_run_scripts(const char *dir, const scen *sc);
/* Run gnuplot on every DIR/plots/*.gp.  *skipped = true (and BS_OK) when no
 * gnuplot is installed. */
bs_rc plot_render(const char *dir, bool *skipped);

#endif
