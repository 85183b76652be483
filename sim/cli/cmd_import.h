/* cmd_import.h -- `balloonsim import`: other simulators' inputs as scenarios.
 *
 * The converters write a scenario YAML (docs/scenarios.md) so that users of another
 * tool can move their test cases over and keep them in balloonsim's format.
 * Conversion is text to text: the result is meant to be read and edited, so
 * it carries comments saying what was mapped how and what could not be.
 * The output depends only on the input file's content, its base name and the
 * options (byte-identical for the same input).  docs/import.md describes the
 * formats and every mapping decision. */
#ifndef BS_CMD_IMPORT_H
#define BS_CMD_IMPORT_H

#include "sim/base/bs.h"
#include "sim/base/cfg.h"
#include "sim/cli/cli.h"

#include <stdio.h>

/* The MoM simulator's fixed 2 s loop (mom.fake.conf: every interval 2 s). */
#define CLI_MOM_INTERVAL (2 * BS_NS_PER_S)

typedef struct cli_import_opts {
    bs_time interval; /* time between two samples; 0: CLI_MOM_INTERVAL */
    /* Notes about lossy mappings (samples dropped, gaps, VMs never on), one
     * line each; NULL: none printed. */
    FILE *notes;
} cli_import_opts;

/* Convert the MoM-simulator input file `path` into a scenario on `out`.
 * Errors ("FILE:LINE:COL: expected ..., found ...") are all collected in
 * `errs` and nothing is written when there is one: BS_ERR_INPUT.  opts may
 * be NULL. */
bs_rc cli_import_mom(const char *path, const cli_import_opts *opts, FILE *out, cfg_errs *errs);

#endif
