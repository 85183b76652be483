/* dist.h -- the distribution values of docs/scenarios.md.
 *
 * `{dist: lognormal, median: 1GiB, sigma: 0.5}` and friends; a plain scalar is a
 * constant.  Parameters take the unit of the field (unit_kind), converted to the
 * field's base unit (bytes, ns, ...).  Draws use GSL on a caller's stream. */
#ifndef BS_DIST_H
#define BS_DIST_H

#include "sim/base/bs.h"
#include "sim/base/cfg.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

typedef enum dist_kind {
    DIST_CONSTANT, /* value */
    DIST_CHOICE,   /* values, weights (default equal) */
    DIST_EXPONENTIAL, /* mean */
    DIST_LOGNORMAL,   /* median, sigma */
    DIST_PARETO,      /* scale, shape */
    DIST_UNIFORM,     /* min, max */
    DIST_NORMAL       /* mean, sd; draws below 0 are clamped to 0 */
} dist_kind;

typedef struct dist {
    dist_kind kind;
    unit_kind unit;
    double a, b;     /* value | mean | median,sigma | scale,shape | min,max | mean,sd */
    size_t n;        /* choice: number of values */
    double *values;  /* choice values (owned) */
    gsl_ran_discrete_t *table; /* choice weights (owned) */
} dist;

/* Parse a scalar (constant) or a {dist: ...} mapping.  Records errors in cx. */
bs_rc dist_parse(cfg_ctx *cx, const cfg_node *n, const char *path, unit_kind unit, dist *out);
/* Convenience: the entry `key` of `map`, required or with a constant default. */
bs_rc dist_get(cfg_ctx *cx, const cfg_node *map, const char *path, const char *key,
               bool required, double dflt, unit_kind unit, dist *out);
/* Never negative, and never above the unit's limit (2^62 bytes, 36500 days):
 * a heavy tail cannot overflow downstream arithmetic.  No allocation. */
double dist_draw(const dist *d, gsl_rng *rng);
/* For docs and sanity checks; accounts for the clamp at 0 of normal draws;
 * +inf for a pareto with shape <= 1. */
double dist_mean(const dist *d);
void dist_free(dist *d);

#endif
