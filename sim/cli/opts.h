/* opts.h -- the option helpers every command uses: usage errors, getopt
 * errors, --format values, a getopt reset and whole numbers.
 *
 * Apart from the dispatcher (cli.h) so that a command needs only these and
 * not the table of commands. */
#ifndef BS_OPTS_H
#define BS_OPTS_H

#include "sim/base/bs.h"
#include "sim/scenario.h"

#include <stdint.h>

typedef struct cli_cmd cli_cmd;

/* Print "balloonsim CMD: MESSAGE", the usage line and a --help hint to
 * stderr; returns BS_ERR_INPUT (exit code 2). */
int cli_usage_error(const cli_cmd *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* getopt_long's '?' or ':' as a usage error (exit 2) naming the option;
 * `longs` lets it say that a --flag=value flag takes no value. */
struct option;
int cli_option_error(const cli_cmd *cmd, int c, char **argv, const struct option *longs);
/* `--format` value: index of `value` in the NULL-terminated `allowed`, or -1
 * (after a usage error has been printed). */
int cli_parse_format(const cli_cmd *cmd, const char *value, const char *const *allowed);
/* `CMD --help`: usage, summary and options of the command's table row on
 * stdout; returns BS_OK. */
int cli_print_cmd_help(const cli_cmd *cmd);
/* Reset getopt for a fresh parse of a command's argv (argv[0] = command),
 * with getopt's own messages off. */
void cli_getopt_reset(void);
/* A whole number 0..max, digits only (no sign, no spaces).  BS_ERR_INPUT
 * (and *out untouched) otherwise. */
bs_rc cli_parse_uint(const char *s, uint64_t max, uint64_t *out);

/* Load a scenario; on failure print every error (or one line when the loader
 * left none) to stderr and set *sc to NULL. */
bs_rc cli_load_scenario(const char *path, const scen_overrides *ov, scen **sc);

#endif
