/* randomwalk.c -- a mean-reverting random demand (Ornstein-Uhlenbeck).
 *
 * Real guests wander around a level rather than drifting off, so a plain
 * random walk is the wrong model.  The OU process is sampled with its exact
 * discretisation every `step`:
 *     x' = mean + (x - mean) e^(-step/reversion)
 *             + sd sqrt(1 - e^(-2 step/reversion)) N(0,1),
 * whose stationary law is N(mean, sd^2) for any step, then clamped to
 * [min, max] (the clamped value is what the next step starts from).  x starts at
 * `mean` (clamped) at t = 0 and steps happen at multiples of `step` of scenario
 * time, drawn in order even when nobody observed them, so the value at a time
 * depends only on the seed and the VM. */
#include "workloads/wl.h"

#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct rw_cfg {
    double mean, min, max; /* pages; max = INFINITY when unbounded */
    bs_time step;
    double keep;  /* e^(-step/reversion) */
    double noise; /* sd sqrt(1 - e^(-2 step/reversion)), pages */
} rw_cfg;

typedef struct rw_state {
    const rw_cfg *c;
    gsl_rng *rng;
    int64_t k; /* x is the value of step k, valid on [k step, (k+1) step) */
    double x;
} rw_state;

static bs_rc positive_time(cfg_ctx *cx, const cfg_node *node, const char *path, const char *key,
                           bs_time v)
{
    if (v > 0) return BS_OK;
    char kpath[CFG_PATH_MAX];
    cfg_path_key(kpath, path, key);
    cfg_error_expected(cx, cfg_map_entry(node, key)->val, kpath, "a time above 0");
    return BS_ERR_INPUT;
}

static bs_rc rw_configure(cfg_ctx *cx, const cfg_node *node, const char *path,
                          const char *base_dir, void **out)
{
    (void)base_dir;
    bs_pages mean = 0, sd = 0, min = 0, max = -1;
    bs_time rev = 0, step = 0;
    bs_rc rc = cfg_get_size(cx, node, path, "mean", true, 0, &mean);
    rc = wl_rc_worse(rc, cfg_get_size(cx, node, path, "sd", true, 0, &sd));
    bs_rc r = cfg_get_time(cx, node, path, "reversion", true, 0, &rev);
    if (r == BS_OK) r = positive_time(cx, node, path, "reversion", rev);
    rc = wl_rc_worse(rc, r);
    r = cfg_get_time(cx, node, path, "step", false, WL_STEP, &step);
    if (r == BS_OK && cfg_map_entry(node, "step")) r = positive_time(cx, node, path, "step", step);
    rc = wl_rc_worse(rc, r);
    bs_rc rmin = cfg_get_size(cx, node, path, "min", false, 0, &min);
    bs_rc rmax = cfg_get_size(cx, node, path, "max", false, -1, &max); /* -1: unbounded */
    rc = wl_rc_worse(rc, wl_rc_worse(rmin, rmax));
    if (rmin == BS_OK && rmax == BS_OK && max >= 0 && max < min) {
        char kpath[CFG_PATH_MAX], b[64], what[128];
        cfg_path_key(kpath, path, "max");
        unit_format_size(b, sizeof b, (double)bs_pages_to_bytes(min));
        snprintf(what, sizeof what, "a size not below min (%s)", b);
        cfg_error_expected(cx, cfg_map_entry(node, "max")->val, kpath, what);
        rc = BS_ERR_INPUT;
    }
    if (rc != BS_OK) return rc;
    rw_cfg *c = malloc(sizeof *c);
    if (!c) return BS_ERR_INTERNAL;
    c->mean = (double)mean;
    c->min = (double)min;
    c->max = max < 0 ? INFINITY : (double)max;
    c->step = step;
    double ratio = (double)step / (double)rev;
    c->keep = exp(-ratio);
    c->noise = (double)sd * sqrt(-expm1(-2.0 * ratio));
    *out = c;
    return BS_OK;
}

static double clamp(const rw_cfg *c, double x) { return x < c->min ? c->min : x > c->max ? c->max : x; }

static bs_rc rw_instantiate(const void *cfg, const wl_vm_info *vm, gsl_rng *rng, void **out)
{
    (void)vm;
    rw_state *s = malloc(sizeof *s);
    if (!s) return BS_ERR_INTERNAL;
    s->c = cfg;
    s->rng = rng;
    s->k = 0;
    s->x = clamp(s->c, s->c->mean);
    *out = s;
    return BS_OK;
}

static bs_pages rw_advance(void *state, bs_time t, bs_time *next)
{
    rw_state *s = state;
    const rw_cfg *c = s->c;
    int64_t k = t / c->step;
    for (; s->k < k; s->k++) {
        double x = c->mean + (s->x - c->mean) * c->keep +
                   c->noise * gsl_ran_gaussian_ziggurat(s->rng, 1.0);
        s->x = clamp(c, x);
    }
    *next = k >= BS_TIME_NEVER / c->step - 1 ? BS_TIME_NEVER : (k + 1) * c->step;
    return wl_pages_clamp(s->x);
}

const wl_type wl_type_randomwalk = {
    .name = "randomwalk",
    .description = "mean-reverting random demand (Ornstein-Uhlenbeck), clamped to [min, max]",
    .keys = "mean, sd, reversion, step, min, max",
    .configure = rw_configure,
    .free_config = free,
    .instantiate = rw_instantiate,
    .free_state = free,
    .advance = rw_advance,
};
