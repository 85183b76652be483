/* plan.c -- bisection and margins of `plan` (plan.h).
 *
 * Evaluating LO and HI first checks the monotonicity assumption at the ends
 * (LO must meet, HI must fail) before bisecting, so a range of R values costs
 * about log2(R) + 2 evaluations. */
#include "sim/batch/plan.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- bisection */

bs_rc plan_bisect(int64_t lo, int64_t hi, plan_meets_fn meets, void *ctx, bool *found,
                  int64_t *answer)
{
    assert(lo <= hi);
    bool ok_lo = false, ok_hi = false;
    *found = false;
    bs_rc rc = meets(ctx, lo, &ok_lo);
    if (rc == BS_OK && lo != hi)
        rc = meets(ctx, hi, &ok_hi);
    else
        ok_hi = ok_lo;
    if (rc != BS_OK)
        return rc;
    if (ok_hi) { /* the whole range meets it */
        *found = true;
        *answer = hi;
        return BS_OK;
    }
    if (!ok_lo) /* nothing does (under the assumption) */
        return BS_OK;
    /* Invariant: lo meets, hi does not. */
    while (hi - lo > 1) {
        int64_t mid = lo + (hi - lo) / 2;
        bool ok = false;
        rc = meets(ctx, mid, &ok);
        if (rc != BS_OK)
            return rc;
        if (ok)
            lo = mid;
        else
            hi = mid;
    }
    *found = true;
    *answer = lo;
    return BS_OK;
}

/* ---------------------------------------------------------------- margins */

double plan_run_value(const expr_cmp *c, const plan_eval *ev, size_t i)
{
    if (c->ref != NULL && ev->sets != NULL)
        return met_ref_value(c->ref, &ev->sets[i]);
    if (c->ref != NULL && (c->ref->group != NULL || c->ref->window != NULL))
        return NAN; /* a scope and only the run's values: none */
    const met_values *m = &ev->runs[i];
    return m->present[c->metric] ? m->v[c->metric] : NAN;
}

void plan_cmp_name(const expr_cmp *c, char *buf, size_t len)
{
    if (c->ref != NULL)
        met_ref_text(c->ref, buf, len);
    else
        snprintf(buf, len, "%s", met_info_get(c->metric)->name);
}

void plan_cmp_text(const expr_cmp *c, char *buf, size_t len)
{
    char name[192];
    plan_cmp_name(c, name, sizeof name);
    snprintf(buf, len, "%s%s%s", name, c->op, c->text);
}

void plan_margin_of(const expr_cmp *c, const plan_eval *ev, plan_margin *out)
{
    *out = (plan_margin){.worst = NAN, .margin = NAN, .present = ev->n_runs > 0};
    double t = c->threshold;
    bool have = false;
    for (size_t i = 0; i < ev->n_runs; i++) {
        double v = plan_run_value(c, ev, i);
        if (!isfinite(v)) {
            out->present = false;
            continue;
        }
        double worse; /* how bad v is: larger is worse */
        if (strcmp(c->op, "<") == 0 || strcmp(c->op, "<=") == 0)
            worse = v;
        else if (strcmp(c->op, ">") == 0 || strcmp(c->op, ">=") == 0)
            worse = -v;
        else if (strcmp(c->op, "==") == 0)
            worse = fabs(v - t);
        else
            worse = -fabs(v - t);
        double cur;
        if (!have) {
            cur = 0;
        } else if (strcmp(c->op, "<") == 0 || strcmp(c->op, "<=") == 0) {
            cur = out->worst;
        } else if (strcmp(c->op, ">") == 0 || strcmp(c->op, ">=") == 0) {
            cur = -out->worst;
        } else if (strcmp(c->op, "==") == 0) {
            cur = fabs(out->worst - t);
        } else {
            cur = -fabs(out->worst - t);
        }
        if (!have || worse > cur)
            out->worst = v;
        have = true;
    }
    if (!have)
        return;
    double w = out->worst;
    if (strcmp(c->op, "<") == 0 || strcmp(c->op, "<=") == 0)
        out->margin = t - w;
    else if (strcmp(c->op, ">") == 0 || strcmp(c->op, ">=") == 0)
        out->margin = w - t;
    else if (strcmp(c->op, "==") == 0)
        out->margin = -fabs(w - t);
    else
        out->margin = fabs(w - t);
}
