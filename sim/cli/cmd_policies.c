/* cmd_policies.c -- `balloonsim policies`: the registry's policies with
 * their parameters, as text or JSON. */
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

enum { OPT_FORMAT = 256 };

/* ---------------------------------------------------------------- policies */

int cmd_policies(const cli_ctx *cx, int argc, char **argv)
{
    static const struct option longs[] = {{"format", required_argument, NULL, OPT_FORMAT},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    static const char *const formats[] = {"text", "json", NULL};
    int format = 0, c;
    cli_getopt_reset();
    while ((c = getopt_long(argc, argv, ":h", longs, NULL)) != -1) {
        if (c == 'h')
            return cli_print_cmd_help(cx->cmd);
        if (c != OPT_FORMAT)
            return cli_option_error(cx->cmd, c, argv, longs);
        format = cli_parse_format(cx->cmd, optarg, formats);
        if (format < 0)
            return BS_ERR_INPUT;
    }
    if (optind < argc)
        return cli_usage_error(cx->cmd, "unexpected argument '%s'", argv[optind]);
    pol_print_list(stdout, format == 1);
    return fflush(stdout) == 0 && !ferror(stdout) ? BS_OK : BS_ERR_INTERNAL;
}
