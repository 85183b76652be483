/* baseline.h -- a compare.json read back as a cmp_report (the baseline of
 * --baseline) and the --fail-if gate over a report.
 *
 * Separate from compare.h because reading results back and judging them is
 * a different concern from building and writing them: the writer must not
 * need the expression language, the gate needs both. */
#ifndef BS_BASELINE_H
#define BS_BASELINE_H

#include "sim/base/bs.h"
#include "sim/base/cfg.h"
#include "sim/batch/compare.h"
#include "sim/batch/expr.h"

#include <stdio.h>

/* Read a file cmp_write(CMP_JSON) wrote.  BS_ERR_INPUT with every problem
 * in errs ("FILE:LINE:COL: KEYPATH: ..."). */
bs_rc cmp_load(const char *path, cfg_errs *errs, cmp_report **out);

/* Evaluate --fail-if for every scenario and policy (report order) against
 * the means, relative thresholds against `baseline` (may be NULL; named
 * `baseline_name` in notes).  Each hit is one line on `msgs`:
 *   "fail-if: SCENARIO / POLICY: stall_s = 123 > 110 (baseline 100 +10%)"
 * and a (scenario, policy) the baseline lacks gets one "note:" line when the
 * condition has relative thresholds.  Returns whether it held anywhere. */
bool cmp_fail_if(const cmp_report *r, const expr *e, const cmp_report *baseline,
                 const char *baseline_name, FILE *msgs);

#endif
