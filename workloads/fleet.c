/* fleet.c -- demand calibrated on a real hosting fleet (`profile: bitbrains`).
 *
 * Why a separate generator: the hand-made shapes (diurnal, spikes, ...) give
 * every VM the same kind of life, while a real fleet is mostly idle VMs with
 * very different levels, short independent bursts and a weak common day --
 * which is exactly what decides how much overcommit ballooning can buy.  With
 * `count: 200` of this type a scenario behaves like the Bitbrains GWA-T-12
 * fleet (Shen et al., CCGrid 2015) as `balloonsim trace-stats` measures it;
 * tests/test_fleet.c checks that with the same statistics code.
 *
 * Model, per VM, in steps of `step` (5 min, the trace's sampling):
 *   demand_k = min(M, M * base * day(t_k) * exp(L_k) * B_k)
 *   - ln(mean demand / M) ~ N(mean_log_ratio, sd_log_ratio), drawn once per VM
 *     (`base` divides out E[exp L] and E[B] so the long-run mean is that ratio,
 *     before the clamp at M);
 *   - L is an AR(1) on the log level: L_k = phi L_{k-1} + sigma N(0,1), started
 *     from its stationary law N(0, sigma^2 / (1 - phi^2));
 *   - B is 1 outside bursts; a burst starts with the probability that makes
 *     bursts cover `burst_fraction` of the steps, lasts a geometric number of
 *     steps with mean `burst_length`, and multiplies demand by one factor drawn
 *     at its start from a Pareto(burst_min, burst_alpha) law truncated at
 *     burst_max (real bursts are heavy-tailed but bounded: an unbounded tail
 *     would make every VM hit its memory some time in a week, and the fleet
 *     would pool far better than real ones);
 *   - day(t) = 1 + diurnal_amplitude/2 * s(t), s rising as a half cosine from
 *     -1 at trough_at to +1 at peak_at and falling as another to the next
 *     trough (the real day is lopsided: 9 h up, 15 h down); its daily mean is 1.
 * Times of day are scenario time (t = 0 is midnight), as for `diurnal`.
 * phi and sigma are those of L, not the AR(1) that trace-stats fits to
 * ln(demand): bursts add short-lived jumps on top of L, so the measured phi is
 * lower and the measured sigma higher; the defaults are set so that the
 * measured values match the trace.
 * Draws come from the VM's own stream in time order, including steps nobody
 * observed, so the demand at a time depends only on the seed and the VM. */
#include "workloads/wl.h"

#include <gsl/gsl_math.h>
#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_NS (86400LL * BS_NS_PER_S)
#define HOUR_NS (3600LL * BS_NS_PER_S)

typedef struct fleet_cfg {
    double mean_log_ratio, sd_log_ratio;
    double phi, sigma;
    bs_time step;
    double burst_fraction, burst_length, burst_min, burst_max, burst_alpha;
    double diurnal_amplitude;
    bs_time trough_at, peak_at;
    /* derived */
    double sd_level;    /* stationary sd of L */
    double p_start;     /* per step, outside a burst */
    double p_continue;  /* per step, inside a burst */
    double trunc;       /* (burst_min / burst_max)^alpha */
    double mean_factor; /* E[exp L] * E[B] */
    bs_time rise;       /* trough -> peak, in (0, DAY_NS) */
} fleet_cfg;

/* A profile is a set of defaults; a scenario may override any of them. */
typedef struct fleet_profile {
    const char *name;
    fleet_cfg defaults;
} fleet_profile;

/* bitbrains: GWA-T-12 fastStorage (Shen et al., CCGrid 2015).  The level and
 * day come from the trace's published statistics; phi, sigma and the burst
 * parameters were fitted (docs/workloads-fleet.md) so that trace-stats on 200
 * VMs x 7 days measures what the trace shows: AR(1) of ln usage phi ~0.45 and
 * sigma ~0.35, bursts above 1.5x the median ~14 % of the time, 64 % of them
 * one sample long, Hill tail index ~2, ~10 samples apart; pooling ~2.85; a
 * daily swing of ~35 % of the mean (the clamp at M flattens the day of full
 * VMs, hence 0.38 here). */
static const fleet_profile profiles[] = {
    {"bitbrains",
     {.mean_log_ratio = -2.9,
      .sd_log_ratio = 1.2,
      .phi = 0.65,
      .sigma = 0.17,
      .step = 5 * 60 * BS_NS_PER_S,
      .burst_fraction = 0.10,
      .burst_length = 1.45,
      .burst_min = 2.0,
      .burst_max = 4.5,
      .burst_alpha = 2.0,
      .diurnal_amplitude = 0.38,
      .trough_at = 7 * HOUR_NS + HOUR_NS / 2,
      .peak_at = 16 * HOUR_NS + HOUR_NS / 2}},
};
#define N_PROFILES (sizeof profiles / sizeof *profiles)

typedef struct fleet_state {
    const fleet_cfg *c;
    gsl_rng *rng;
    double base;   /* M * exp(ratio) / mean_factor, pages */
    double memory; /* M, pages */
    int64_t k;     /* L, burst are those of step k */
    double level;  /* L */
    bool in_burst;
    double factor; /* B while in a burst */
} fleet_state;

/* ---------------------------------------------------------------- config */

static void err_at(cfg_ctx *cx, const cfg_node *node, const char *path, const char *key,
                   const char *what)
{
    char kpath[CFG_PATH_MAX];
    cfg_path_key(kpath, path, key);
    const cfg_entry *e = cfg_map_entry(node, key);
    cfg_error_expected(cx, e ? e->val : node, kpath, what);
}

/* An optional plain number within [lo, hi] (open ends when lo_open/hi_open). */
static bs_rc get_number(cfg_ctx *cx, const cfg_node *node, const char *path, const char *key,
                        double lo, bool lo_open, double hi, bool hi_open, const char *what,
                        double *out)
{
    double v = *out;
    bs_rc rc = cfg_get_number(cx, node, path, key, false, *out, &v);
    if (rc != BS_OK) return rc;
    bool ok = (lo_open ? v > lo : v >= lo) && (hi_open ? v < hi : v <= hi);
    if (!ok) {
        err_at(cx, node, path, key, what);
        return BS_ERR_INPUT;
    }
    *out = v;
    return BS_OK;
}

/* A fraction written 0.35 or 35%, within [0, hi]. */
static bs_rc get_fraction(cfg_ctx *cx, const cfg_node *node, const char *path, const char *key,
                          double hi, const char *what, double *out)
{
    const cfg_node *n = cfg_map_get(node, key);
    if (!n) return BS_OK;
    char kpath[CFG_PATH_MAX];
    cfg_path_key(kpath, path, key);
    double v = 0;
    bs_rc rc = cfg_as_value(cx, n, kpath, UNIT_FRACTION, &v);
    if (rc != BS_OK) return rc;
    if (!(v >= 0 && v <= hi)) {
        cfg_error_expected(cx, n, kpath, what);
        return BS_ERR_INPUT;
    }
    *out = v;
    return BS_OK;
}

static bs_rc get_time_of_day(cfg_ctx *cx, const cfg_node *node, const char *path, const char *key,
                             bs_time *out)
{
    bs_rc rc = cfg_get_time(cx, node, path, key, false, *out, out);
    if (rc == BS_OK && *out >= DAY_NS) {
        err_at(cx, node, path, key, "a time of day from 0 to below 24h");
        rc = BS_ERR_INPUT;
    }
    return rc;
}

static const fleet_profile *find_profile(const char *name)
{
    for (size_t i = 0; i < N_PROFILES; i++)
        if (strcmp(profiles[i].name, name) == 0) return &profiles[i];
    return NULL;
}

/* Mean of a Pareto(lo, a) variable truncated at hi (hi >= lo > 0, a > 0). */
static double trunc_pareto_mean(double lo, double hi, double a)
{
    if (hi <= lo) return lo;
    double r = hi / lo;
    if (fabs(a - 1.0) < 1e-12) return lo * log(r) / (1.0 - 1.0 / r);
    return lo * a / (1.0 - a) * (pow(r, 1.0 - a) - 1.0) / (1.0 - pow(r, -a));
}

static void derive(fleet_cfg *c)
{
    c->sd_level = c->sigma / sqrt(1.0 - c->phi * c->phi);
    c->p_continue = 1.0 - 1.0 / c->burst_length;
    c->p_start = c->burst_fraction / (c->burst_length * (1.0 - c->burst_fraction));
    c->trunc = pow(c->burst_min / c->burst_max, c->burst_alpha);
    double eb = 1.0 + c->burst_fraction *
                          (trunc_pareto_mean(c->burst_min, c->burst_max, c->burst_alpha) - 1.0);
    c->mean_factor = exp(c->sd_level * c->sd_level / 2.0) * eb;
    bs_time rise = (c->peak_at - c->trough_at) % DAY_NS;
    c->rise = rise < 0 ? rise + DAY_NS : rise;
}

static bs_rc fleet_configure(cfg_ctx *cx, const cfg_node *node, const char *path,
                             const char *base_dir, void **out)
{
    (void)base_dir;
    const char *pname = NULL;
    bs_rc rc = cfg_get_string(cx, node, path, "profile", false, "bitbrains", &pname);
    const fleet_profile *prof = rc == BS_OK ? find_profile(pname) : NULL;
    if (rc == BS_OK && !prof) {
        char what[128] = "a fleet profile (one of: ";
        for (size_t i = 0; i < N_PROFILES; i++) {
            size_t at = strlen(what);
            snprintf(what + at, sizeof what - at, "%s%s", i ? ", " : "", profiles[i].name);
        }
        size_t at = strlen(what);
        snprintf(what + at, sizeof what - at, ")");
        err_at(cx, node, path, "profile", what);
        rc = BS_ERR_INPUT;
    }
    fleet_cfg c = prof ? prof->defaults : profiles[0].defaults;
    rc = wl_rc_worse(rc, cfg_get_number(cx, node, path, "mean_log_ratio", false,
                                        c.mean_log_ratio, &c.mean_log_ratio));
    rc = wl_rc_worse(rc, get_number(cx, node, path, "sd_log_ratio", 0, false, INFINITY, false,
                                    "a number of 0 or more", &c.sd_log_ratio));
    rc = wl_rc_worse(rc, get_number(cx, node, path, "phi", -1, true, 1, true,
                                    "a number above -1 and below 1", &c.phi));
    rc = wl_rc_worse(rc, get_number(cx, node, path, "sigma", 0, false, INFINITY, false,
                                    "a number of 0 or more", &c.sigma));
    bs_rc r = cfg_get_time(cx, node, path, "step", false, c.step, &c.step);
    if (r == BS_OK && c.step <= 0) {
        err_at(cx, node, path, "step", "a time above 0");
        r = BS_ERR_INPUT;
    }
    rc = wl_rc_worse(rc, r);
    bs_rc rlen = get_number(cx, node, path, "burst_length", 1, false, INFINITY, false,
                            "a number of steps of 1 or more", &c.burst_length);
    bs_rc rfrac = get_fraction(cx, node, path, "burst_fraction", 1.0,
                               "a fraction from 0 to below 1", &c.burst_fraction);
    if (rfrac == BS_OK && rlen == BS_OK) {
        /* Bursts alternate with gaps of at least one step. */
        double most = c.burst_length / (c.burst_length + 1.0);
        if (c.burst_fraction > most) {
            char what[128];
            snprintf(what, sizeof what,
                     "a fraction of at most %.4g (burst_length / (burst_length + 1))", most);
            err_at(cx, node, path, "burst_fraction", what);
            rfrac = BS_ERR_INPUT;
        }
    }
    rc = wl_rc_worse(rc, wl_rc_worse(rlen, rfrac));
    bs_rc rmin = get_number(cx, node, path, "burst_min", 1, false, INFINITY, false,
                            "a factor of 1 or more", &c.burst_min);
    bs_rc rmax = get_number(cx, node, path, "burst_max", 1, false, INFINITY, false,
                            "a factor of 1 or more", &c.burst_max);
    if (rmin == BS_OK && rmax == BS_OK && c.burst_max < c.burst_min) {
        char what[96];
        snprintf(what, sizeof what, "a factor not below burst_min (%g)", c.burst_min);
        err_at(cx, node, path, "burst_max", what);
        rmax = BS_ERR_INPUT;
    }
    rc = wl_rc_worse(rc, wl_rc_worse(rmin, rmax));
    rc = wl_rc_worse(rc, get_number(cx, node, path, "burst_alpha", 0, true, INFINITY, false,
                                    "a number above 0", &c.burst_alpha));
    rc = wl_rc_worse(rc, get_fraction(cx, node, path, "diurnal_amplitude", 2.0,
                                      "a fraction from 0 to 2 (200%)", &c.diurnal_amplitude));
    bs_rc rt = get_time_of_day(cx, node, path, "trough_at", &c.trough_at);
    bs_rc rp = get_time_of_day(cx, node, path, "peak_at", &c.peak_at);
    if (rt == BS_OK && rp == BS_OK && c.trough_at == c.peak_at) {
        err_at(cx, node, path, "peak_at", "a time of day other than trough_at");
        rp = BS_ERR_INPUT;
    }
    rc = wl_rc_worse(rc, wl_rc_worse(rt, rp));
    if (rc != BS_OK) return rc;
    fleet_cfg *cp = malloc(sizeof *cp);
    if (!cp) return BS_ERR_INTERNAL;
    derive(&c);
    *cp = c;
    *out = cp;
    return BS_OK;
}

/* ---------------------------------------------------------------- generator */

static void burst_start(fleet_state *s)
{
    const fleet_cfg *c = s->c;
    double u = gsl_rng_uniform(s->rng);
    s->in_burst = true;
    s->factor = c->burst_min * pow(1.0 - u * (1.0 - c->trunc), -1.0 / c->burst_alpha);
}

static bs_rc fleet_instantiate(const void *cfg, const wl_vm_info *vm, gsl_rng *rng, void **out)
{
    const fleet_cfg *c = cfg;
    fleet_state *s = calloc(1, sizeof *s);
    if (!s) return BS_ERR_INTERNAL;
    s->c = c;
    s->rng = rng;
    s->memory = (double)vm->memory;
    double ratio = exp(c->mean_log_ratio + gsl_ran_gaussian_ziggurat(rng, 1.0) * c->sd_log_ratio);
    s->base = s->memory * ratio / c->mean_factor;
    /* Step 0 from the stationary laws: no warm-up transient at t = 0. */
    s->k = 0;
    s->level = c->sd_level * gsl_ran_gaussian_ziggurat(rng, 1.0);
    s->factor = 1.0;
    if (gsl_rng_uniform(rng) < c->burst_fraction) burst_start(s);
    *out = s;
    return BS_OK;
}

/* s(t) in [-1, 1]: -1 at trough_at, +1 at peak_at, half cosines between. */
static double day_shape(const fleet_cfg *c, bs_time t)
{
    bs_time x = (t - c->trough_at) % DAY_NS;
    if (x < 0) x += DAY_NS;
    if (x < c->rise) return -cos(M_PI * (double)x / (double)c->rise);
    return cos(M_PI * (double)(x - c->rise) / (double)(DAY_NS - c->rise));
}

static void step_once(fleet_state *s)
{
    const fleet_cfg *c = s->c;
    s->level = c->phi * s->level + c->sigma * gsl_ran_gaussian_ziggurat(s->rng, 1.0);
    double u = gsl_rng_uniform(s->rng);
    if (s->in_burst) {
        if (u >= c->p_continue) {
            s->in_burst = false;
            s->factor = 1.0;
        }
    } else if (u < c->p_start) {
        burst_start(s);
    }
}

static bs_pages fleet_advance(void *state, bs_time t, bs_time *next)
{
    fleet_state *s = state;
    const fleet_cfg *c = s->c;
    int64_t k = t / c->step;
    for (; s->k < k; s->k++) step_once(s);
    bs_time start = k * c->step;
    double day = 1.0 + c->diurnal_amplitude / 2.0 * day_shape(c, start);
    double v = s->base * day * exp(s->level) * s->factor;
    *next = k >= BS_TIME_NEVER / c->step - 1 ? BS_TIME_NEVER : (k + 1) * c->step;
    return wl_pages_clamp(GSL_MIN_DBL(v, s->memory));
}

const wl_type wl_type_fleet = {
    .name = "fleet",
    .description = "a real hosting fleet's demand relative to the VM's memory "
                   "(profile: bitbrains), stepped every 5 minutes",
    .keys = "profile, mean_log_ratio, sd_log_ratio, phi, sigma, step, burst_fraction, "
            "burst_length, burst_min, burst_max, burst_alpha, diurnal_amplitude, trough_at, "
            "peak_at",
    .configure = fleet_configure,
    .free_config = free,
    .instantiate = fleet_instantiate,
    .free_state = free,
    .advance = fleet_advance,
};
