/* cmd_validate.c -- `balloonsim validate`: load every scenario as `run`
 * would (same loader, same messages) without simulating. */
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

/* ---------------------------------------------------------------- validate */

int cmd_validate(const cli_ctx *cx, int argc, char **argv)
{
    static const struct option longs[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int c;
    cli_getopt_reset();
    while ((c = getopt_long(argc, argv, ":h", longs, NULL)) != -1) {
        if (c == 'h')
            return cli_print_cmd_help(cx->cmd);
        return cli_option_error(cx->cmd, c, argv, longs);
    }
    if (optind >= argc)
        return cli_usage_error(cx->cmd, "missing SCENARIO");
    int worst = BS_OK;
    for (int i = optind; i < argc; i++) {
        scen *sc = NULL;
        bs_rc rc = cli_load_scenario(argv[i], NULL, &sc);
        if (rc == BS_OK) {
            printf("%s: ok\n", argv[i]);
            scen_free(sc);
        }
        worst = BS_MAX(worst, (int)rc);
    }
    if (fflush(stdout) != 0)
        worst = BS_ERR_INTERNAL;
    return worst;
}
