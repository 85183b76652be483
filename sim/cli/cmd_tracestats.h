/* cmd_tracestats.h -- `balloonsim trace-stats`: statistics of real traces.
 *
 * Users compare their own fleet with the generators (above all `fleet`) and
 * pick parameters from what this prints; the statistics themselves live in
 * workloads/tracestats.c so that the generator's test measures its output with
 * the same code.  Each FILE is one VM; with more than one, the files are also
 * taken together as a fleet (size mix, spread of levels, the daily cycle of
 * the sum, pooling).  Output depends only on the files and the options. */
#ifndef BS_CMD_TRACESTATS_H
#define BS_CMD_TRACESTATS_H

#include "sim/base/bs.h"
#include "sim/base/cfg.h"
#include "sim/cli/cli.h"

#include <stdio.h>

/* How to read FILEs: a format for all, or a guess per file. */
typedef struct cli_tstats_opts {
    bool guess;      /* true: cli_trace_guess_format() per file */
    int format;      /* wl_trace_format when !guess */
    bool json;       /* false: text */
} cli_tstats_opts;

/* The format of a trace file by a look at its first lines: bitbrains when a
 * data line has ';' between fields, alibaba when rows look like
 * "c_ID,m_ID,TIME,..." (or the header starts "container_id"), dommemstat when
 * lines are "field value" pairs of virsh dommemstat, csv otherwise (also when
 * the file cannot be read: loading it reports why).  Returns a
 * wl_trace_format. */
int cli_trace_guess_format(const char *path);

/* Statistics of `paths` to `out`.  Every error of every file goes to `errs`
 * (FILE:LINE: message) and nothing is printed when there is one:
 * BS_ERR_INPUT. */
bs_rc cli_trace_stats(const char *const *paths, size_t n, const cli_tstats_opts *opts, FILE *out,
                      cfg_errs *errs);

#endif
