/* commands.h -- every command's handler, one naming scheme: cmd_<name>.
 *
 * One header so the dispatcher's table (cli.c) and the handlers agree on a
 * single list, and a command's file needs no other command's header.  Each
 * handler gets its own argv (argv[0] is the command's name) and returns the
 * process exit code (bs_rc). */
#ifndef BS_COMMANDS_H
#define BS_COMMANDS_H

#include "sim/cli/cli.h"

int cmd_run(const cli_ctx *cx, int argc, char **argv);
int cmd_validate(const cli_ctx *cx, int argc, char **argv);
int cmd_policies(const cli_ctx *cx, int argc, char **argv);
int cmd_plot(const cli_ctx *cx, int argc, char **argv);
/* `balloonsim decide POLICY SNAPSHOT [--set PARAM=VALUE]...`. */
int cmd_decide(const cli_ctx *cx, int argc, char **argv);
int cmd_compare(const cli_ctx *cx, int argc, char **argv);
int cmd_sweep(const cli_ctx *cx, int argc, char **argv);
int cmd_merge(const cli_ctx *cx, int argc, char **argv);
int cmd_plan(const cli_ctx *cx, int argc, char **argv);
/* `balloonsim import FORMAT FILE [--interval TIME]`. */
int cmd_import(const cli_ctx *cx, int argc, char **argv);
/* `balloonsim trace-stats FILE... [--trace-format F] [--format text|json]`. */
int cmd_trace_stats(const cli_ctx *cx, int argc, char **argv);

#endif
