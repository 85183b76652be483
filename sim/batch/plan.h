/* plan.h -- the bisection of `plan` and the margins of its report.
 *
 * plan finds the largest whole value of one key path in [LO, HI] whose runs
 * all meet an SLO, assuming the SLO is monotone (if it holds at a value, it
 * holds at every smaller one).  The bisection is separate from the runs so
 * that it can be tested on a synthetic objective, and the margins are
 * shared by the command's report and its plot. */
#ifndef BS_PLAN_H
#define BS_PLAN_H

#include "sim/base/bs.h"
#include "sim/base/metrics.h"
#include "sim/batch/expr.h"

/* How one value did: every seed's metrics and whether all met the SLO. */
typedef struct plan_eval {
    int64_t value;
    size_t n_runs, n_meeting;
    met_values *runs;    /* per seed: the run's metrics */
    met_set *sets;       /* per seed: every scope (groups, windows), what the SLO
                          * was evaluated on; NULL: the runs only */
    bool meets;          /* every run met the SLO */
} plan_eval;

/* The value of comparison c's name ([GROUP.]METRIC[@WINDOW], c->ref; the
 * run's metric when ref is NULL) in run i of ev; NAN when it has none. */
double plan_run_value(const expr_cmp *c, const plan_eval *ev, size_t i);
/* "db.stall_p99@peak<0.05": the comparison as its name and threshold read. */
void plan_cmp_text(const expr_cmp *c, char *buf, size_t len);
/* "db.stall_p99@peak": the name of the comparison's metric. */
void plan_cmp_name(const expr_cmp *c, char *buf, size_t len);

/* A comparison's worst value over the runs of one evaluation and its margin
 * (positive: room left; negative: by how much it is missed).  For < and <=
 * the worst is the largest value, for > and >= the smallest, for == the one
 * farthest from the threshold (margin minus that distance), for != the
 * nearest (margin: that distance).  present is false when a run has no value. */
typedef struct plan_margin {
    double worst, margin;
    bool present;
} plan_margin;

void plan_margin_of(const expr_cmp *c, const plan_eval *ev, plan_margin *out);

/* The bisection itself, separated from the runs so that it can be tested on
 * a synthetic objective: meets(value) evaluates one value.  Evaluates lo and
 * hi, then bisects.  Returns BS_OK with *found and *answer, or the first
 * error of meets(). */
typedef bs_rc (*plan_meets_fn)(void *ctx, int64_t value, bool *meets);
bs_rc plan_bisect(int64_t lo, int64_t hi, plan_meets_fn meets, void *ctx, bool *found,
                  int64_t *answer);

#endif
