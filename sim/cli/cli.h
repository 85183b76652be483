/* cli.h -- the `balloonsim` command line (docs/balloonsim.1).
 *
 * One const table of commands {name, handler, usage, summary, help} drives
 * dispatch, `--help` and the list in the top-level help, so adding a command
 * is one row plus one handler (which may live in its own file).  A handler
 * gets its own argv (argv[0] is the command name) and returns the process
 * documented exit code (docs/balloonsim.1): 0 ok, 1 condition held, 2 bad usage/input, 3 internal.
 * Nothing here calls exit(): main() returns cli_main()'s value. */
#ifndef BS_CLI_H
#define BS_CLI_H

#include "sim/base/bs.h"

typedef struct cli_cmd cli_cmd;

typedef struct cli_ctx {
    const cli_cmd *cmd;
    int argc;      /* the whole command line, for run.json */
    char **argv;
} cli_ctx;

struct cli_cmd {
    const char *name;
    int (*run)(const cli_ctx *cx, int argc, char **argv); /* a cmd_NAME of commands.h */
    const char *usage;   /* synopsis after "balloonsim " */
    const char *summary; /* one line for the command list */
    const char *help;    /* the options, for `CMD --help` */
};

/* The whole program: argv as main() got it. */
int cli_main(int argc, char **argv);

#endif
