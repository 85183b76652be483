/* output.h -- the run directory of docs/outputs.md.
 *
 * Every file is written under a temporary name in the run directory and renamed
 * to its final name only when the run completed (out_finish), so an interrupted
 * or failed run never leaves a half-written file under a final name.  Numbers
 * are formatted deterministically (no locale, fixed rules) so that the same
 * scenario and seed give byte-identical files. */
#ifndef BS_OUTPUT_H
#define BS_OUTPUT_H

#include "sim/base/bs.h"
#include "sim/engine.h"
#include "sim/scenario.h"

#include <stdio.h>

typedef struct out_run out_run;

typedef struct out_info {
    const char *command_line; /* argv joined, for run.json */
    double wall_s;            /* wall-clock time of the simulation */
    uint64_t events;          /* events processed */
} out_info;

/* Create `dir` (and parents, and dir/plots) and open the temporary CSVs
 * (".timeseries.csv.tmp", ...) with their header rows.  Failures print a
 * message naming the path to stderr and return BS_ERR_INTERNAL. */
bs_rc out_open(const char *dir, out_run **out);
/* The sink to hand to eng_run(); valid until out_finish/out_abort. */
const eng_sink *out_sink(out_run *o);
/* Write summary.json and run.json, then rename every file to its final name
 * (summary.json last, so its presence means the directory is complete).
 * Frees o.  On failure every temporary is removed and BS_ERR_INTERNAL returned. */
bs_rc out_finish(out_run *o, const scen *sc, const eng_result *res, const out_info *info);
/* Remove the temporary files, remove the directories out_open created if they
 * are still empty, and free o.  NULL is a no-op. */
void out_abort(out_run *o);

/* summary.json's content (also `run --format json` on stdout). */
bs_rc out_write_summary_json(FILE *f, const scen *sc, const eng_result *res);
/* The readable table of `run --format text`. */
void out_print_summary_text(FILE *f, const scen *sc, const eng_result *res);

#endif
