/* plot.h -- gnuplot scripts and pictures for a run directory.
 *
 * Scripts are written next to the data (DIR/plots/NAME.gp reading
 * ../timeseries.csv etc.) so that a user can edit and re-run them with
 * `gnuplot NAME.gp` inside DIR/plots; pictures are made by running gnuplot as
 * a child process.  Without gnuplot a run still succeeds: plot_render()
 * reports that it skipped.
 *
 * A run script is a generated header (this run's variables) followed by a
 * template, plots/NAME.gp of the source tree (plots/gp_template.h,
 * docs/plots.md).  The other writers of plots/ are compare_plot.c,
 * sweep_plot.c and plan_plot.c.
 *
 * Convention for every script (run, compare, sweep, plan): NAME.gp draws
 * NAME.png, unless the gnuplot variable `out` names another file; plot_render
 * passes a temporary name in `out` and renames it after gnuplot succeeded. */
#ifndef BS_PLOT_H
#define BS_PLOT_H

#include "sim/base/bs.h"
#include "sim/engine.h"
#include "sim/scenario.h"

#include <stdio.h>

#define PLOT_MAX_VMS 12  /* panels of memory.png, lines of stall.png */
#define PLOT_MAX_HOSTS 8 /* panels of host.png */

/* Write DIR/plots/{memory,host,stall}.gp for a run of `sc` (temp file +
 * rename each).  With `res`, the VMs shown are the PLOT_MAX_VMS with the most
 * stall_s (in scenario order); without (NULL), the first ones. */
bs_rc plot_write_run_scripts(const char *dir, const scen *sc, const eng_result *res);
/* Run gnuplot on every DIR/plots/NAME.gp (in name order, cwd DIR/plots).
 * *skipped = true (and BS_OK) when no gnuplot is in PATH.  BS_ERR_INPUT when
 * DIR/plots holds no script; BS_ERR_INTERNAL when a script failed (the others
 * are still drawn).  Messages go to stderr. */
bs_rc plot_render(const char *dir, bool *skipped);
/* Number of DIR/plots/NAME.gp scripts; 0 when the directory is missing. */
size_t plot_count_scripts(const char *dir);

/* Shared by the plot writers of run, compare and sweep directories. */
/* A gnuplot single-quoted string ('' for a quote; control characters, which
 * would end the command, become '?'). */
void plot_gp_string(FILE *f, const char *s);
/* Time axis unit chosen from a run's length so that ticks read well. */
void plot_time_unit(bs_time duration, const char **name, double *seconds);
/* A grid of about square multiplot panels for n plots. */
void plot_layout(size_t n, size_t *rows, size_t *cols);

#endif
