/* opts.c -- option helpers shared by every command (opts.h).
 *
 * Why it looks like this: every usage error of every command goes through
 * cli_usage_error(), so all read alike and exit 2; getopt's own messages
 * are off (cli_getopt_reset) for that reason.  Whole numbers are parsed
 * digits-only (no sign, no spaces, no hex) because strtoull alone would
 * accept "-1" as a huge number. */
#include "sim/cli/opts.h"

#include "sim/cli/cli.h"
#include "sim/base/cfg.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_usage_error(const cli_cmd *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "balloonsim%s%s: ", cmd ? " " : "", cmd ? cmd->name : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (cmd)
        fprintf(stderr, "\nusage: balloonsim %s\nTry 'balloonsim %s --help'.\n", cmd->usage,
                cmd->name);
    else
        fputs("\nusage: balloonsim COMMAND [ARGS]...\nTry 'balloonsim --help'.\n", stderr);
    return BS_ERR_INPUT;
}

int cli_parse_format(const cli_cmd *cmd, const char *value, const char *const *allowed)
{
    for (int i = 0; allowed[i]; i++)
        if (strcmp(value, allowed[i]) == 0)
            return i;
    char list[128] = "";
    for (int i = 0; allowed[i]; i++) {
        size_t n = strlen(list);
        snprintf(list + n, sizeof list - n, "%s%s", i ? ", " : "", allowed[i]);
    }
    cli_usage_error(cmd, "bad --format '%s' (expected one of: %s)", value, list);
    return -1;
}

int cli_print_cmd_help(const cli_cmd *cmd)
{
    printf("usage: balloonsim %s\n\n%s.\n", cmd->usage, cmd->summary);
    if (cmd->help)
        printf("\noptions:\n%s", cmd->help);
    return BS_OK;
}

/* ---------------------------------------------------------------- options */

/* A getopt_long error ('?' or ':') as a usage error. */
int cli_option_error(const cli_cmd *cmd, int c, char **argv, const struct option *longs)
{
    const char *arg = optind > 0 ? argv[optind - 1] : "";
    bool is_long = strncmp(arg, "--", 2) == 0;
    if (c == ':') {
        if (is_long)
            return cli_usage_error(cmd, "option '%s' needs an argument", arg);
        return cli_usage_error(cmd, "option '-%c' needs an argument", optopt);
    }
    if (!is_long && optopt > 0 && optopt < 128)
        return cli_usage_error(cmd, "unknown option '-%c'", optopt);
    const char *eq = strchr(arg, '=');
    if (is_long && eq != NULL) {
        /* "--flag=value" for a flag that takes none */
        size_t len = (size_t)(eq - arg - 2);
        for (const struct option *o = longs; o->name; o++)
            if (o->has_arg == no_argument && strlen(o->name) == len &&
                strncmp(o->name, arg + 2, len) == 0)
                return cli_usage_error(cmd, "option '--%s' takes no argument", o->name);
    }
    return cli_usage_error(cmd, "unknown option '%s'", arg);
}

void cli_getopt_reset(void)
{
    optind = 0; /* glibc: 0 re-initialises completely, permutation state too */
    opterr = 0;
}

bs_rc cli_parse_uint(const char *s, uint64_t max, uint64_t *out)
{
    if (*s < '0' || *s > '9')
        return BS_ERR_INPUT;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v > max)
        return BS_ERR_INPUT;
    *out = (uint64_t)v;
    return BS_OK;
}

/* Load a scenario; on failure print every error (or a generic line when
 * the loader left none) to stderr. */
bs_rc cli_load_scenario(const char *path, const scen_overrides *ov, scen **sc)
{
    cfg_errs errs = {0};
    bs_rc rc = scen_load(path, ov, &errs, sc);
    if (rc != BS_OK) {
        if (errs.n > 0)
            cfg_errs_print(&errs, stderr);
        else
            fprintf(stderr, "%s: cannot load the scenario%s\n", path,
                    rc == BS_ERR_INTERNAL ? " (internal error)" : "");
        *sc = NULL;
    }
    cfg_errs_free(&errs);
    return rc;
}
