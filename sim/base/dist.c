/* dist.c -- distribution values: `{dist: lognormal, median: 1GiB, sigma: 0.5}`.
 *
 * Parsing validates every parameter at load time (so a bad distribution is
 * reported with the scenario's other errors, never discovered mid-run) and
 * converts parameters to the field's base unit (bytes, ns, ...).  A draw is
 * one GSL call on the caller's stream and never allocates: draws happen on
 * the hot path of workload generators.
 *
 * Draws are clamped to [0, limit of the field's unit] so that a heavy tail
 * (pareto) or a normal below zero can never produce a negative or absurd
 * size or time downstream. */
#include "sim/base/dist.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct dist_def {
    const char *name;
    dist_kind kind;
    const char *keys; /* for the unknown-key message */
} dist_def;

static const dist_def dist_defs[] = {
    {"constant", DIST_CONSTANT, "dist, value"},
    {"choice", DIST_CHOICE, "dist, values, weights"},
    {"exponential", DIST_EXPONENTIAL, "dist, mean"},
    {"lognormal", DIST_LOGNORMAL, "dist, median, sigma"},
    {"pareto", DIST_PARETO, "dist, scale, shape"},
    {"uniform", DIST_UNIFORM, "dist, min, max"},
    {"normal", DIST_NORMAL, "dist, mean, sd"},
};
#define N_DIST_DEFS (sizeof dist_defs / sizeof dist_defs[0])
#define DIST_NAMES "constant, choice, exponential, lognormal, pareto, uniform, normal"

static double unit_limit(unit_kind unit) {
    switch (unit) {
    case UNIT_SIZE: return (double)UNIT_MAX_BYTES;
    case UNIT_TIME: return (double)UNIT_MAX_TIME_NS;
    default: return HUGE_VAL;
    }
}

/* A required parameter in the field's unit (or a plain number). */
static bs_rc get_param(cfg_ctx *cx, const cfg_node *map, const char *path, const char *key, unit_kind unit,
                       double *out, const cfg_node **node) {
    const cfg_node *n = cfg_map_get(map, key);
    char vp[CFG_PATH_MAX];
    *node = n;
    if (!n) {
        cfg_error(cx, map, path, "missing required key '%s'", key);
        return BS_ERR_INPUT;
    }
    cfg_path_key(vp, path, key);
    return cfg_as_value(cx, n, vp, unit, out);
}

/* Record "expected WHAT, found ..." at a parameter that parsed but is out of range. */
static bs_rc bad_param(cfg_ctx *cx, const cfg_node *n, const char *path, const char *key, const char *what) {
    char vp[CFG_PATH_MAX];
    cfg_path_key(vp, path, key);
    cfg_error_expected(cx, n, vp, what);
    return BS_ERR_INPUT;
}

static bs_rc parse_choice(cfg_ctx *cx, const cfg_node *map, const char *path, unit_kind unit, dist *out) {
    const cfg_node *vals = cfg_map_get(map, "values");
    const cfg_node *wts = cfg_map_get(map, "weights");
    char vp[CFG_PATH_MAX], wp[CFG_PATH_MAX];
    bs_rc rc = BS_OK;

    cfg_path_key(vp, path, "values");
    cfg_path_key(wp, path, "weights");
    if (!vals) {
        cfg_error(cx, map, path, "missing required key 'values'");
        return BS_ERR_INPUT;
    }
    if (vals->kind != CFG_SEQ || vals->n == 0) {
        cfg_error_expected(cx, vals, vp, "a non-empty sequence of values");
        return BS_ERR_INPUT;
    }
    size_t n = vals->n;
    double *v = calloc(n, sizeof *v);
    double *w = calloc(n, sizeof *w);
    if (!v || !w) {
        free(v), free(w);
        return BS_ERR_INTERNAL;
    }
    for (size_t i = 0; i < n; i++) {
        char ip[CFG_PATH_MAX];
        cfg_path_index(ip, vp, i);
        if (cfg_as_value(cx, vals->entries[i].val, ip, unit, &v[i]) != BS_OK) rc = BS_ERR_INPUT;
        w[i] = 1.0;
    }
    if (wts) {
        if (wts->kind != CFG_SEQ || wts->n != n) {
            char what[96];
            snprintf(what, sizeof what, "a sequence of %zu weights (one per value)", n);
            cfg_error_expected(cx, wts, wp, what);
            rc = BS_ERR_INPUT;
        } else {
            double sum = 0;
            bool ok = true;
            for (size_t i = 0; i < n; i++) {
                char ip[CFG_PATH_MAX];
                const cfg_node *wn = wts->entries[i].val;
                cfg_path_index(ip, wp, i);
                if (cfg_as_number(cx, wn, ip, &w[i]) != BS_OK) {
                    ok = false;
                } else if (w[i] < 0) {
                    cfg_error_expected(cx, wn, ip, "a weight >= 0");
                    ok = false;
                } else {
                    sum += w[i];
                }
            }
            if (ok && !(sum > 0)) {
                cfg_error_expected(cx, wts, wp, "weights that are not all 0");
                ok = false;
            }
            if (!ok) rc = BS_ERR_INPUT;
        }
    }
    if (rc == BS_OK) {
        out->table = gsl_ran_discrete_preproc(n, w);
        if (!out->table) rc = BS_ERR_INTERNAL;
    }
    free(w);
    if (rc != BS_OK) {
        free(v);
        return rc;
    }
    out->values = v;
    out->n = n;
    return BS_OK;
}

bs_rc dist_parse(cfg_ctx *cx, const cfg_node *n, const char *path, unit_kind unit, dist *out) {
    memset(out, 0, sizeof *out);
    out->kind = DIST_CONSTANT;
    out->unit = unit;
    if (!n) {
        cfg_error_expected(cx, n, path, "a value or a distribution");
        return BS_ERR_INPUT;
    }
    if (n->kind == CFG_SCALAR) return cfg_as_value(cx, n, path, unit, &out->a);
    if (n->kind != CFG_MAP) {
        char what[128];
        snprintf(what, sizeof what, "%s or a distribution such as {dist: uniform, min: ..., max: ...}",
                 unit_kind_name(unit));
        cfg_error_expected(cx, n, path, what);
        return BS_ERR_INPUT;
    }

    const char *name;
    char kp[CFG_PATH_MAX];
    if (cfg_get_string(cx, n, path, "dist", true, NULL, &name) != BS_OK) return BS_ERR_INPUT;
    const dist_def *def = NULL;
    for (size_t i = 0; i < N_DIST_DEFS; i++)
        if (strcmp(dist_defs[i].name, name) == 0) def = &dist_defs[i];
    if (!def) {
        cfg_path_key(kp, path, "dist");
        cfg_error_expected(cx, cfg_map_get(n, "dist"), kp, "one of " DIST_NAMES);
        return BS_ERR_INPUT;
    }
    out->kind = def->kind;

    bs_rc rc = BS_OK;
    const cfg_node *pa = NULL, *pb = NULL;
    switch (def->kind) {
    case DIST_CONSTANT:
        rc = get_param(cx, n, path, "value", unit, &out->a, &pa);
        break;
    case DIST_CHOICE:
        rc = parse_choice(cx, n, path, unit, out);
        break;
    case DIST_EXPONENTIAL:
        rc = get_param(cx, n, path, "mean", unit, &out->a, &pa);
        if (rc == BS_OK && !(out->a > 0)) rc = bad_param(cx, pa, path, "mean", "a mean above 0");
        break;
    case DIST_LOGNORMAL: {
        bs_rc ra = get_param(cx, n, path, "median", unit, &out->a, &pa);
        if (ra == BS_OK && !(out->a > 0)) ra = bad_param(cx, pa, path, "median", "a median above 0");
        bs_rc rb = get_param(cx, n, path, "sigma", UNIT_NUMBER, &out->b, &pb);
        if (rb == BS_OK && out->b < 0) rb = bad_param(cx, pb, path, "sigma", "a sigma >= 0");
        rc = ra != BS_OK ? ra : rb;
        break;
    }
    case DIST_PARETO: {
        bs_rc ra = get_param(cx, n, path, "scale", unit, &out->a, &pa);
        if (ra == BS_OK && !(out->a > 0)) ra = bad_param(cx, pa, path, "scale", "a scale above 0");
        bs_rc rb = get_param(cx, n, path, "shape", UNIT_NUMBER, &out->b, &pb);
        if (rb == BS_OK && !(out->b > 0)) rb = bad_param(cx, pb, path, "shape", "a shape above 0");
        rc = ra != BS_OK ? ra : rb;
        break;
    }
    case DIST_UNIFORM: {
        bs_rc ra = get_param(cx, n, path, "min", unit, &out->a, &pa);
        bs_rc rb = get_param(cx, n, path, "max", unit, &out->b, &pb);
        if (ra == BS_OK && rb == BS_OK && out->a > out->b)
            rb = bad_param(cx, pb, path, "max", "a max >= min");
        rc = ra != BS_OK ? ra : rb;
        break;
    }
    case DIST_NORMAL: {
        bs_rc ra = get_param(cx, n, path, "mean", unit, &out->a, &pa);
        bs_rc rb = get_param(cx, n, path, "sd", unit, &out->b, &pb);
        if (rb == BS_OK && out->b < 0) rb = bad_param(cx, pb, path, "sd", "an sd >= 0");
        rc = ra != BS_OK ? ra : rb;
        break;
    }
    }
    char allowed[96];
    snprintf(allowed, sizeof allowed, "%s", def->keys);
    size_t before = cx->errs ? cx->errs->n : 0;
    cfg_check_unknown(cx, n, path, allowed);
    if (rc == BS_OK && cx->errs && cx->errs->n > before) rc = BS_ERR_INPUT;
    if (rc != BS_OK) dist_free(out);
    return rc;
}

bs_rc dist_get(cfg_ctx *cx, const cfg_node *map, const char *path, const char *key, bool required, double dflt,
               unit_kind unit, dist *out) {
    memset(out, 0, sizeof *out);
    out->kind = DIST_CONSTANT;
    out->unit = unit;
    out->a = dflt;
    const cfg_node *n = cfg_map_get(map, key);
    if (!n) {
        if (!required) return BS_OK;
        cfg_error(cx, map, path, "missing required key '%s'", key);
        return BS_ERR_INPUT;
    }
    char kp[CFG_PATH_MAX];
    cfg_path_key(kp, path, key);
    bs_rc rc = dist_parse(cx, n, kp, unit, out);
    if (rc != BS_OK) {
        out->kind = DIST_CONSTANT;
        out->a = dflt;
    }
    return rc;
}

double dist_draw(const dist *d, gsl_rng *rng) {
    double x = 0;
    switch (d->kind) {
    case DIST_CONSTANT: x = d->a; break;
    case DIST_CHOICE: x = d->values[gsl_ran_discrete(rng, d->table)]; break;
    case DIST_EXPONENTIAL: x = gsl_ran_exponential(rng, d->a); break;
    case DIST_LOGNORMAL: x = gsl_ran_lognormal(rng, log(d->a), d->b); break;
    case DIST_PARETO: x = gsl_ran_pareto(rng, d->b, d->a); break;
    case DIST_UNIFORM: x = gsl_ran_flat(rng, d->a, d->b); break;
    case DIST_NORMAL: x = d->a + gsl_ran_gaussian(rng, d->b); break;
    }
    if (!(x > 0)) return 0; /* also maps NaN to 0 */
    double lim = unit_limit(d->unit);
    return x > lim ? lim : x;
}

double dist_mean(const dist *d) {
    switch (d->kind) {
    case DIST_CONSTANT: return d->a > 0 ? d->a : 0;
    case DIST_CHOICE: {
        /* Weights are kept only inside GSL's table; recover them as the
         * probability of each outcome. */
        double m = 0, tot = 0;
        for (size_t i = 0; i < d->n; i++) {
            double p = gsl_ran_discrete_pdf(i, d->table);
            m += p * (d->values[i] > 0 ? d->values[i] : 0);
            tot += p;
        }
        return tot > 0 ? m / tot : 0;
    }
    case DIST_EXPONENTIAL: return d->a;
    case DIST_LOGNORMAL: return d->a * exp(d->b * d->b / 2);
    case DIST_PARETO: return d->b > 1 ? d->b * d->a / (d->b - 1) : HUGE_VAL;
    case DIST_UNIFORM: return (d->a + d->b) / 2;
    case DIST_NORMAL: {
        /* Draws are clamped at 0: E[max(0, X)] = mu Phi(mu/sd) + sd phi(mu/sd). */
        if (d->b == 0) return d->a > 0 ? d->a : 0;
        double z = d->a / d->b;
        return d->a * gsl_cdf_ugaussian_P(z) + d->b * gsl_ran_ugaussian_pdf(z);
    }
    }
    return 0;
}

void dist_free(dist *d) {
    if (!d) return;
    free(d->values);
    if (d->table) gsl_ran_discrete_free(d->table);
    d->values = NULL;
    d->table = NULL;
    d->n = 0;
}
