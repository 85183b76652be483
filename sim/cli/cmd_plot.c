/* cmd_plot.c -- `balloonsim plot DIR`: (re)draw the scripts of a run,
 * compare, sweep or plan directory. */
#include "sim/cli/commands.h"
#include "sim/cli/opts.h"

#include "sim/base/strutil.h"
#include "sim/batch/runner.h"
#include "sim/engine.h"
#include "sim/report/output.h"
#include "plots/plot.h"
#include "sim/scenario.h"
#include "policies/pol.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---------------------------------------------------------------- plot */

int cmd_plot(const cli_ctx *cx, int argc, char **argv)
{
    static const struct option longs[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int c;
    cli_getopt_reset();
    while ((c = getopt_long(argc, argv, ":h", longs, NULL)) != -1) {
        if (c == 'h')
            return cli_print_cmd_help(cx->cmd);
        return cli_option_error(cx->cmd, c, argv, longs);
    }
    if (argc - optind != 1)
        return cli_usage_error(cx->cmd, argc == optind ? "missing DIR" : "one DIR only");
    bool skipped = false;
    bs_rc rc = plot_render(argv[optind], &skipped);
    if (rc == BS_OK && skipped) {
        fputs("balloonsim plot: gnuplot not found in PATH; nothing drawn\n", stderr);
        rc = BS_ERR_INTERNAL;
    }
    return rc;
}
