/* diurnal.c -- a daily cycle between `base` and `peak`.
 *
 * Shape: base + (peak - base) * (1 + cos(2 pi (t - peak_at) / period)) / 2, so
 * the demand is `peak` at peak_at and `base` half a period later.  With
 * `hourly: [24 factors in 0..1]` the factor is instead hourly[h] at the start of
 * hour h of the 24 h day, linearly interpolated to hourly[h+1] (hour 23 runs
 * to hourly[0]); `period` and `peak_at` are then not used.
 *
 * Demand must be piecewise constant (wl.h), so the shape is stepped every
 * WL_STEP (60 s) of scenario time: the value of a step is the shape at the
 * step's start times max(0, 1 + noise * N(0,1)).  One normal is drawn per step
 * in time order, also for steps nobody asked about (a VM starting late, a VM
 * that was off), so the demand at a given time depends only on the seed and
 * the VM, not on when the VM was up. */
#include "workloads/wl.h"

#include <gsl/gsl_math.h>
#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define DAY_NS (86400LL * BS_NS_PER_S)
#define HOUR_NS (3600LL * BS_NS_PER_S)

typedef struct diurnal_cfg {
    bs_pages base, peak;
    bs_time period, peak_at;
    double noise;
    bool has_hourly;
    double hourly[24];
    /* The cosine shape at every step start of one period, when the period is
     * a whole number of steps: thousands of VMs share one spec, and a table
     * lookup replaces a cos() per VM and minute with the very same values. */
    double *table;
    int64_t n_table;
} diurnal_cfg;

#define TABLE_MAX (1 << 20) /* steps: about two years of minutes */

typedef struct diurnal_state {
    const diurnal_cfg *c;
    gsl_rng *rng;
    int64_t drawn;  /* steps whose noise has been drawn (steps 0 .. drawn-1) */
    bs_time next;   /* end of the step `value` belongs to; 0 before the first call */
    bs_pages value;
} diurnal_state;

/* Shape factor in [0, 1] at scenario time t. */
static double shape(const diurnal_cfg *c, bs_time t)
{
    if (c->has_hourly) {
        bs_time d = t % DAY_NS;
        int h = (int)(d / HOUR_NS);
        double frac = (double)(d - (bs_time)h * HOUR_NS) / (double)HOUR_NS;
        return c->hourly[h] + (c->hourly[(h + 1) % 24] - c->hourly[h]) * frac;
    }
    /* Phase in integer ns first: no precision lost over long runs. */
    bs_time r = (t - c->peak_at) % c->period;
    if (r < 0) r += c->period;
    return (1.0 + cos(2.0 * M_PI * ((double)r / (double)c->period))) / 2.0;
}

static void diurnal_free_config(void *cfg)
{
    diurnal_cfg *c = cfg;
    if (!c) return;
    free(c->table);
    free(c);
}

static bs_rc get_hourly(cfg_ctx *cx, const cfg_node *node, const char *path, diurnal_cfg *c)
{
    const cfg_node *seq = cfg_map_get(node, "hourly");
    if (!seq) return BS_OK;
    char hpath[CFG_PATH_MAX];
    cfg_path_key(hpath, path, "hourly");
    if (cfg_expect_seq(cx, seq, hpath) != BS_OK) return BS_ERR_INPUT;
    if (seq->n != 24) {
        cfg_error(cx, seq, hpath, "expected 24 hourly factors, found %zu", seq->n);
        return BS_ERR_INPUT;
    }
    bs_rc rc = BS_OK;
    for (size_t h = 0; h < 24; h++) {
        const cfg_node *it = seq->entries[h].val;
        char ipath[CFG_PATH_MAX];
        cfg_path_index(ipath, hpath, h);
        double f = 0;
        if (cfg_as_number(cx, it, ipath, &f) != BS_OK) {
            rc = BS_ERR_INPUT;
            continue;
        }
        if (f < 0 || f > 1) {
            cfg_error_expected(cx, it, ipath, "a number from 0 to 1");
            rc = BS_ERR_INPUT;
            continue;
        }
        c->hourly[h] = f;
    }
    c->has_hourly = rc == BS_OK;
    return rc;
}

static bs_rc diurnal_configure(cfg_ctx *cx, const cfg_node *node, const char *path,
                               const char *base_dir, void **out)
{
    (void)base_dir;
    diurnal_cfg *c = calloc(1, sizeof *c);
    if (!c) return BS_ERR_INTERNAL;
    bs_rc rb = cfg_get_size(cx, node, path, "base", true, 0, &c->base);
    bs_rc rp = cfg_get_size(cx, node, path, "peak", true, 0, &c->peak);
    bs_rc rc = wl_rc_worse(rb, rp);
    if (rb == BS_OK && rp == BS_OK && c->peak < c->base) {
        char ppath[CFG_PATH_MAX], b[64], what[128];
        cfg_path_key(ppath, path, "peak");
        unit_format_size(b, sizeof b, (double)bs_pages_to_bytes(c->base));
        snprintf(what, sizeof what, "a size not below base (%s)", b);
        cfg_error_expected(cx, cfg_map_entry(node, "peak")->val, ppath, what);
        rc = BS_ERR_INPUT;
    }
    bs_rc r = cfg_get_time(cx, node, path, "period", false, DAY_NS, &c->period);
    if (r == BS_OK && c->period <= 0) {
        char tpath[CFG_PATH_MAX];
        cfg_path_key(tpath, path, "period");
        cfg_error_expected(cx, cfg_map_entry(node, "period")->val, tpath, "a time above 0");
        r = BS_ERR_INPUT;
    }
    rc = wl_rc_worse(rc, r);
    rc = wl_rc_worse(rc, cfg_get_time(cx, node, path, "peak_at", false, 14 * HOUR_NS,
                                      &c->peak_at));
    /* Noise may exceed 1 (a very noisy guest), so not cfg_get_fraction (0..1). */
    const cfg_node *nn = cfg_map_get(node, "noise");
    if (nn) {
        char npath[CFG_PATH_MAX];
        cfg_path_key(npath, path, "noise");
        r = cfg_as_value(cx, nn, npath, UNIT_FRACTION, &c->noise);
        if (r == BS_OK && !(c->noise >= 0)) {
            cfg_error_expected(cx, nn, npath, "a fraction of 0 or more");
            r = BS_ERR_INPUT;
        }
        rc = wl_rc_worse(rc, r);
    }
    rc = wl_rc_worse(rc, get_hourly(cx, node, path, c));
    if (rc == BS_OK && !c->has_hourly && c->period % WL_STEP == 0 &&
        c->period / WL_STEP <= TABLE_MAX) {
        c->n_table = c->period / WL_STEP;
        c->table = malloc((size_t)c->n_table * sizeof *c->table);
        if (!c->table) rc = BS_ERR_INTERNAL;
        for (int64_t k = 0; rc == BS_OK && k < c->n_table; k++) c->table[k] = shape(c, k * WL_STEP);
    }
    if (rc != BS_OK) {
        diurnal_free_config(c);
        return rc;
    }
    *out = c;
    return BS_OK;
}

static bs_rc diurnal_instantiate(const void *cfg, const wl_vm_info *vm, gsl_rng *rng,
                                 void **out)
{
    (void)vm;
    diurnal_state *s = calloc(1, sizeof *s);
    if (!s) return BS_ERR_INTERNAL;
    s->c = cfg;
    s->rng = rng;
    *out = s;
    return BS_OK;
}

static bs_pages diurnal_advance(void *state, bs_time t, bs_time *next)
{
    diurnal_state *s = state;
    const diurnal_cfg *c = s->c;
    if (t < s->next) {
        *next = s->next;
        return s->value;
    }
    int64_t k = t / WL_STEP;
    double factor = 1.0;
    if (c->noise > 0) {
        double g = 0;
        for (; s->drawn <= k; s->drawn++) g = gsl_ran_gaussian_ziggurat(s->rng, 1.0);
        factor = GSL_MAX_DBL(0.0, 1.0 + c->noise * g);
    }
    bs_time start = k * WL_STEP;
    double f = c->table ? c->table[k % c->n_table] : shape(c, start);
    double v = (double)c->base + (double)(c->peak - c->base) * f;
    s->value = wl_pages_clamp(v * factor);
    s->next = wl_time_add(start, WL_STEP);
    *next = s->next;
    return s->value;
}

const wl_type wl_type_diurnal = {
    .name = "diurnal",
    .description = "a daily cycle from base to peak (cosine or hourly factors), stepped each minute",
    .keys = "base, peak, period, peak_at, noise, hourly",
    .configure = diurnal_configure,
    .free_config = diurnal_free_config,
    .instantiate = diurnal_instantiate,
    .free_state = free,
    .advance = diurnal_advance,
};
