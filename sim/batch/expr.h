/* expr.h -- the condition language of --fail-if and --slo (docs/compare.md).
 *
 *   guest_oom_kills==0 && stall_p99<0.05
 *   guest_oom_kills>0 || stall_s>+10%        (+10 %: relative to the baseline)
 *   !(relief_max >= 5m) && host_free_min_bytes > 2GiB
 *
 * A condition is parsed once into a small tree (expr_parse) and evaluated per
 * scenario and policy against a set of metric values and, for relative
 * thresholds, the baseline's values of the same metrics (expr_eval).  Metric
 * names come from the metric table; a threshold is read in the metric's unit
 * (times for *_s and relief/reach metrics, sizes for *_bytes, fractions for
 * fractions), so `relief_max>5m` and `host_free_min_bytes<2GiB` mean what they
 * say.  A comparison with a metric that is null, or a relative threshold with
 * no baseline value, is false. */
#ifndef BS_EXPR_H
#define BS_EXPR_H

#include "sim/base/bs.h"
#include "sim/base/metrics.h"

#include <stdio.h>

typedef struct expr expr;

/* Parse `text`.  On error returns BS_ERR_INPUT and writes a message naming the
 * 1-based column into err ("column 12: expected a metric name, found '&'"). */
bs_rc expr_parse(const char *text, expr **out, char *err, size_t err_len);
void expr_free(expr *e);

/* Does the condition hold?  `baseline` may be NULL (relative thresholds are then
 * false).  When `why` is not NULL, each comparison that held is described on
 * it, one line each: "stall_s = 123.4 > 110 (baseline 100 +10%)". */
bool expr_eval(const expr *e, const met_set *values, const met_set *baseline, FILE *why);
/* Names are [GROUP.]METRIC[@WINDOW] (cli.md, "Groups and windows"); a
 * scope a set lacks reads as null.  Does every group and window named exist
 * among these?  If not, BS_ERR_INPUT and err names the first unknown one and
 * lists the names that exist (bad usage: exit 2). */
bs_rc expr_check_names(const expr *e, const char *const *groups, size_t n_groups,
                       const char *const *windows, size_t n_windows, char *err, size_t err_len);
/* Whether any comparison is relative (needs --baseline). */
bool expr_uses_baseline(const expr *e);

/* One comparison of a condition, for reports that say how close values
 * are to it (plan's margins). */
typedef struct expr_cmp {
    met_id metric;      /* ref->id */
    const met_ref *ref; /* the whole name; valid while e lives */
    const char *op;     /* "==", "!=", "<", "<=", ">" or ">=" */
    double threshold;   /* absolute: in the metric's base unit (s, bytes, fraction);
                         * relative: the change (+10% = 0.1) */
    bool relative;
    const char *text;   /* the threshold as written; valid while e lives */
} expr_cmp;
/* The comparisons of e in the order written; returns their number and
 * fills up to max of them into out. */
size_t expr_comparisons(const expr *e, expr_cmp *out, size_t max);

#endif
