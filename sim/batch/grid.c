/* grid.c -- values, axes and grids of sweeps (sweep.h).
 *
 * Why it looks like this:
 * - Ranges are expanded in exact decimal (scaled 64-bit integers), not by
 *   adding a double step: 0.1:0.5:0.1 gives "0.3", never
 *   "0.30000000000000004", and the same text every time, which matters
 *   because values are part of run ids.
 * - A grid's jobs are numbered in a fixed order (values, then seeds), so a
 *   job number names the same run in --job, --shard and --resume. */
#include "sim/batch/sweep.h"
#include "sim/base/fsutil.h"
#include "sim/base/text.h"
#include "sim/base/strutil.h"
#include "plots/plot.h"
#include "plots/sweep_plot.h"

#include "sim/batch/compare.h"
#include "sim/report/output.h"
#include "sim/base/units.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL
#define DEC_MAX_DIGITS 18 /* decimal digits that fit an int64 with room */
/* ---------------------------------------------------------------- values */

const char *swp_canonical_path(const char *path)
{
    return strcmp(path, "policy") == 0 ? "policy.name" : path;
}

const char *swp_path_forbidden(const char *path)
{
    if (strcmp(path, "seed") == 0)
        return "the seed is not varied by path: use --seeds N (seeds 1..N)";
    if (strcmp(path, "name") == 0)
        return "the scenario's name names the sweep and cannot be varied";
    if (strncmp(path, "sweep", 5) == 0 && (path[5] == '\0' || path[5] == '.' || path[5] == '['))
        return "the sweep: block cannot vary itself";
    if (strncmp(path, "include", 7) == 0 && (path[7] == '\0' || path[7] == '.' || path[7] == '['))
        return "includes are read before any value is set";
    return NULL;
}

/* A value --vary can carry and a `--set` can apply as a scalar. */
static const char *value_problem(const char *v)
{
    if (*v == '\0')
        return "an empty value";
    if (v[0] == '{' || v[0] == '[')
        return "a mapping or sequence (only scalars can be varied)";
    if (strchr(v, ','))
        return "a value with a comma (--vary separates values with commas)";
    return NULL;
}

/* "[-]DIGITS[.DIGITS]" then a unit suffix (anything else). */
typedef struct dec {
    int64_t digits; /* the number without its decimal point */
    int decimals;
    const char *suffix;
} dec;

static bool parse_dec(const char *s, dec *out)
{
    const char *p = s;
    bool neg = *p == '-';
    if (*p == '-' || *p == '+')
        p++;
    int64_t v = 0;
    int nd = 0, decimals = 0;
    bool point = false, any = false;
    for (;; p++) {
        if (*p >= '0' && *p <= '9') {
            if (++nd > DEC_MAX_DIGITS)
                return false;
            v = v * 10 + (*p - '0');
            any = true;
            decimals += point;
        } else if (*p == '.' && !point) {
            point = true;
        } else {
            break;
        }
    }
    if (!any || (point && p[-1] == '.'))
        return false;
    *out = (dec){.digits = neg ? -v : v, .decimals = decimals, .suffix = p};
    return true;
}

static bool scale_to(dec *d, int decimals)
{
    while (d->decimals < decimals) {
        if (d->digits > INT64_MAX / 10 || d->digits < INT64_MIN / 10)
            return false;
        d->digits *= 10;
        d->decimals++;
    }
    return true;
}

/* digits / 10^decimals without trailing zeros, then the suffix. */
static char *format_dec(int64_t digits, int decimals, const char *suffix)
{
    char num[64];
    uint64_t mag = digits < 0 ? (uint64_t)0 - (uint64_t)digits : (uint64_t)digits;
    uint64_t p10 = 1;
    for (int i = 0; i < decimals; i++)
        p10 *= 10;
    uint64_t whole = mag / p10, frac = mag % p10;
    int n = snprintf(num, sizeof num, "%s%" PRIu64, digits < 0 ? "-" : "", whole);
    if (frac != 0) {
        char f[32];
        snprintf(f, sizeof f, "%0*" PRIu64, decimals, frac);
        size_t len = strlen(f);
        while (len > 0 && f[len - 1] == '0')
            f[--len] = '\0';
        snprintf(num + n, sizeof num - (size_t)n, ".%s", f);
    }
    size_t need = strlen(num) + strlen(suffix) + 1;
    char *s = malloc(need);
    if (s != NULL)
        snprintf(s, need, "%s%s", num, suffix);
    return s;
}

void swp_axis_free(swp_axis *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->values[i]);
    free(a->values);
    free(a->path);
    free(a->spec);
    free(a->origin);
    free(a->lines);
    free(a->cols);
    *a = (swp_axis){0};
}

static bs_rc axis_push(swp_axis *a, char *value, size_t *cap)
{
    if (value == NULL)
        return BS_ERR_INTERNAL;
    if (a->n == *cap) {
        size_t c = *cap ? *cap * 2 : 8;
        char **v = realloc(a->values, c * sizeof *v);
        if (v == NULL) {
            free(value);
            return BS_ERR_INTERNAL;
        }
        a->values = v;
        *cap = c;
    }
    a->values[a->n++] = value;
    return BS_OK;
}

static bs_rc axis_positions(swp_axis *a)
{
    a->lines = calloc(a->n ? a->n : 1, sizeof *a->lines);
    a->cols = calloc(a->n ? a->n : 1, sizeof *a->cols);
    return a->lines && a->cols ? BS_OK : BS_ERR_INTERNAL;
}

static bs_rc check_duplicates(const swp_axis *a, char *err, size_t len)
{
    for (size_t i = 0; i < a->n; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(a->values[i], a->values[j]) == 0) {
                bs_errf(err, len, "%s: value '%s' is listed twice", a->path, a->values[i]);
                return BS_ERR_INPUT;
            }
    return BS_OK;
}

static bs_rc parse_range_values(swp_axis *a, const char *spec, char *err, size_t len)
{
    char buf[3][128];
    const char *p = spec;
    int n = 0;
    while (n < 3) {
        const char *c = strchr(p, ':');
        size_t k = c ? (size_t)(c - p) : strlen(p);
        if (k >= sizeof buf[0]) {
            bs_errf(err, len, "%s: range bound too long", a->path);
            return BS_ERR_INPUT;
        }
        memcpy(buf[n], p, k);
        buf[n++][k] = '\0';
        if (c == NULL)
            break;
        p = c + 1;
        if (n == 3) {
            bs_errf(err, len, "%s: expected LO:HI or LO:HI:STEP, found '%s'", a->path, spec);
            return BS_ERR_INPUT;
        }
    }
    if (n < 2) {
        bs_errf(err, len, "%s: expected LO:HI or LO:HI:STEP, found '%s'", a->path, spec);
        return BS_ERR_INPUT;
    }
    dec d[3];
    static const char *const what[] = {"LO", "HI", "STEP"};
    for (int i = 0; i < n; i++) {
        if (!parse_dec(buf[i], &d[i])) {
            bs_errf(err, len,
                 "%s: %s of '%s' must be a decimal number with an optional unit "
                 "(such as 8, 0.25 or 64GiB), found '%s'",
                 a->path, what[i], spec, buf[i]);
            return BS_ERR_INPUT;
        }
    }
    if (n == 2)
        d[2] = (dec){.digits = 1, .decimals = 0, .suffix = d[0].suffix};
    if (strcmp(d[0].suffix, d[1].suffix) != 0 ||
        (d[2].suffix[0] != '\0' && strcmp(d[2].suffix, d[0].suffix) != 0)) {
        bs_errf(err, len, "%s: LO, HI and STEP of '%s' must use the same unit", a->path, spec);
        return BS_ERR_INPUT;
    }
    int decimals = BS_MAX(d[0].decimals, BS_MAX(d[1].decimals, d[2].decimals));
    for (int i = 0; i < 3; i++)
        if (!scale_to(&d[i], decimals)) {
            bs_errf(err, len, "%s: the numbers of '%s' are too long", a->path, spec);
            return BS_ERR_INPUT;
        }
    if (d[2].digits <= 0) {
        bs_errf(err, len, "%s: STEP of '%s' must be above 0", a->path, spec);
        return BS_ERR_INPUT;
    }
    if (d[0].digits > d[1].digits) {
        bs_errf(err, len, "%s: LO of '%s' is above HI", a->path, spec);
        return BS_ERR_INPUT;
    }
    /* (hi - lo) / step + 1 values; both differences fit: |x| < 10^18. */
    uint64_t count = (uint64_t)(d[1].digits - d[0].digits) / (uint64_t)d[2].digits + 1;
    if (count > SWP_MAX_VALUES) {
        bs_errf(err, len, "%s: '%s' gives %" PRIu64 " values (at most %d)", a->path, spec, count,
             SWP_MAX_VALUES);
        return BS_ERR_INPUT;
    }
    size_t cap = 0;
    for (uint64_t k = 0; k < count; k++) {
        int64_t v = d[0].digits + (int64_t)k * d[2].digits;
        if (axis_push(a, format_dec(v, decimals, d[0].suffix), &cap) != BS_OK)
            return BS_ERR_INTERNAL;
    }
    return BS_OK;
}

static bs_rc parse_list_values(swp_axis *a, const char *spec, char *err, size_t len)
{
    size_t cap = 0;
    const char *p = spec;
    while (true) {
        const char *c = strchr(p, ',');
        size_t k = c ? (size_t)(c - p) : strlen(p);
        while (k > 0 && (*p == ' ' || *p == '\t'))
            p++, k--;
        while (k > 0 && (p[k - 1] == ' ' || p[k - 1] == '\t'))
            k--;
        char *v = strndup(p, k);
        if (v == NULL)
            return BS_ERR_INTERNAL;
        const char *why = value_problem(v);
        if (why != NULL) {
            bs_errf(err, len, "%s: %s in '%s'", a->path, why, spec);
            free(v);
            return BS_ERR_INPUT;
        }
        if (axis_push(a, v, &cap) != BS_OK)
            return BS_ERR_INTERNAL;
        if (a->n > SWP_MAX_VALUES) {
            bs_errf(err, len, "%s: more than %d values", a->path, SWP_MAX_VALUES);
            return BS_ERR_INPUT;
        }
        if (c == NULL)
            break;
        p = c + 1;
    }
    return BS_OK;
}

bs_rc swp_parse_vary(const char *arg, swp_axis *out, char *err, size_t err_len)
{
    *out = (swp_axis){0};
    const char *eq = strchr(arg, '=');
    if (eq == NULL || eq == arg) {
        bs_errf(err, err_len, "expected PATH=V1,V2,... or PATH=LO:HI[:STEP], found '%s'", arg);
        return BS_ERR_INPUT;
    }
    char *path = strndup(arg, (size_t)(eq - arg));
    if (path == NULL)
        return BS_ERR_INTERNAL;
    const char *why = swp_path_forbidden(path);
    if (why != NULL) {
        bs_errf(err, err_len, "%s: %s", path, why);
        free(path);
        return BS_ERR_INPUT;
    }
    out->path = strdup(swp_canonical_path(path));
    free(path);
    out->spec = strdup(eq + 1);
    out->origin = strdup("--vary");
    if (out->path == NULL || out->spec == NULL || out->origin == NULL) {
        swp_axis_free(out);
        return BS_ERR_INTERNAL;
    }
    const char *spec = eq + 1;
    bs_rc rc;
    if (*spec == '\0') {
        bs_errf(err, err_len, "%s: no values after '='", out->path);
        rc = BS_ERR_INPUT;
    } else if (spec[0] == '{' || spec[0] == '[') {
        bs_errf(err, err_len, "%s: %s in '%s'", out->path, value_problem(spec), spec);
        rc = BS_ERR_INPUT;
    } else if (strchr(spec, ':') != NULL && strchr(spec, ',') == NULL) {
        rc = parse_range_values(out, spec, err, err_len);
    } else {
        rc = parse_list_values(out, spec, err, err_len);
    }
    if (rc == BS_OK)
        rc = check_duplicates(out, err, err_len);
    if (rc == BS_OK)
        rc = axis_positions(out);
    if (rc != BS_OK)
        swp_axis_free(out);
    return rc;
}

bs_rc swp_parse_range(const char *arg, char **path, int64_t *lo, int64_t *hi, char **suffix,
                      char *err, size_t err_len)
{
    *path = *suffix = NULL;
    const char *eq = strchr(arg, '=');
    if (eq == NULL || eq == arg) {
        bs_errf(err, err_len, "expected PATH=LO:HI (whole numbers), found '%s'", arg);
        return BS_ERR_INPUT;
    }
    char *p = strndup(arg, (size_t)(eq - arg));
    if (p == NULL)
        return BS_ERR_INTERNAL;
    const char *why = swp_path_forbidden(p);
    if (why != NULL) {
        bs_errf(err, err_len, "%s: %s", p, why);
        free(p);
        return BS_ERR_INPUT;
    }
    const char *spec = eq + 1, *colon = strchr(spec, ':');
    char a[64], b[64];
    dec da, db;
    bool ok = colon != NULL && strchr(colon + 1, ':') == NULL &&
              (size_t)(colon - spec) < sizeof a && strlen(colon + 1) < sizeof b;
    if (ok) {
        snprintf(a, sizeof a, "%.*s", (int)(colon - spec), spec);
        snprintf(b, sizeof b, "%s", colon + 1);
        ok = parse_dec(a, &da) && parse_dec(b, &db) && da.decimals == 0 && db.decimals == 0;
    }
    if (!ok) {
        bs_errf(err, err_len, "%s: expected LO:HI with whole numbers (such as 8:64), found '%s'", p,
             spec);
        free(p);
        return BS_ERR_INPUT;
    }
    if (strcmp(da.suffix, db.suffix) != 0) {
        bs_errf(err, err_len, "%s: LO and HI of '%s' must use the same unit", p, spec);
        free(p);
        return BS_ERR_INPUT;
    }
    if (da.digits > db.digits) {
        bs_errf(err, err_len, "%s: LO of '%s' is above HI", p, spec);
        free(p);
        return BS_ERR_INPUT;
    }
    *suffix = strdup(da.suffix);
    *path = strdup(swp_canonical_path(p));
    free(p);
    if (*suffix == NULL || *path == NULL) {
        free(*suffix);
        free(*path);
        *path = *suffix = NULL;
        return BS_ERR_INTERNAL;
    }
    *lo = da.digits;
    *hi = db.digits;
    return BS_OK;
}

/* ---------------------------------------------------------------- grids */

bs_rc swp_grid_add(swp_grid *g, swp_axis *a, char *err, size_t err_len)
{
    if (g->n_axes >= SWP_MAX_AXES) {
        bs_errf(err, err_len, "more than %d varied paths", SWP_MAX_AXES);
        return BS_ERR_INPUT;
    }
    for (size_t i = 0; i < g->n_axes; i++)
        if (strcmp(g->axes[i].path, a->path) == 0) {
            bs_errf(err, err_len, "%s is varied twice", a->path);
            return BS_ERR_INPUT;
        }
    swp_axis *axes = realloc(g->axes, (g->n_axes + 1) * sizeof *axes);
    if (axes == NULL)
        return BS_ERR_INTERNAL;
    g->axes = axes;
    g->axes[g->n_axes++] = *a;
    *a = (swp_axis){0};
    return BS_OK;
}

bs_rc swp_grid_from_block(swp_grid *g, const cfg_node *sweep, uint64_t *seeds, char *err,
                          size_t err_len)
{
    *seeds = 1;
    const cfg_entry *se = cfg_map_entry(sweep, "seeds");
    if (se != NULL && se->val->kind == CFG_SCALAR)
        *seeds = strtoull(se->val->value, NULL, 10); /* validated by the loader */
    const cfg_entry *ve = cfg_map_entry(sweep, "vary");
    if (ve == NULL || ve->val->kind != CFG_MAP)
        return BS_OK;
    const cfg_node *vary = ve->val;
    for (size_t i = 0; i < vary->n; i++) {
        const cfg_entry *e = &vary->entries[i];
        const cfg_node *vals = e->val;
        const char *why = swp_path_forbidden(e->key);
        if (why != NULL) {
            bs_errf(err, err_len, "%s:%d:%d: sweep.vary.%s: %s", vals->file, e->line, e->col, e->key,
                 why);
            return BS_ERR_INPUT;
        }
        swp_axis a = {0};
        a.path = strdup(swp_canonical_path(e->key));
        a.origin = strdup(vals->file);
        a.values = calloc(vals->n ? vals->n : 1, sizeof *a.values);
        bs_rc rc = a.path && a.origin && a.values ? BS_OK : BS_ERR_INTERNAL;
        a.lines = calloc(vals->n ? vals->n : 1, sizeof *a.lines);
        a.cols = calloc(vals->n ? vals->n : 1, sizeof *a.cols);
        if (a.lines == NULL || a.cols == NULL)
            rc = BS_ERR_INTERNAL;
        size_t speclen = 1;
        for (size_t j = 0; rc == BS_OK && j < vals->n; j++) {
            const cfg_node *v = vals->entries[j].val;
            const char *prob = value_problem(v->value);
            if (prob != NULL) {
                bs_errf(err, err_len, "%s:%d:%d: sweep.vary.%s[%zu]: %s", v->file, v->line, v->col,
                     e->key, j, prob);
                rc = BS_ERR_INPUT;
                break;
            }
            a.values[j] = strdup(v->value);
            if (a.values[j] == NULL) {
                rc = BS_ERR_INTERNAL;
                break;
            }
            a.lines[j] = v->line;
            a.cols[j] = v->col;
            a.n = j + 1;
            speclen += strlen(v->value) + 1;
        }
        if (rc == BS_OK) {
            a.spec = malloc(speclen);
            if (a.spec == NULL) {
                rc = BS_ERR_INTERNAL;
            } else {
                a.spec[0] = '\0';
                for (size_t j = 0; j < a.n; j++) {
                    if (j)
                        strcat(a.spec, ",");
                    strcat(a.spec, a.values[j]);
                }
            }
        }
        for (size_t j = 0; rc == BS_OK && j < a.n; j++)
            for (size_t k = 0; k < j; k++)
                if (strcmp(a.values[j], a.values[k]) == 0 && rc == BS_OK) {
                    bs_errf(err, err_len, "%s:%d:%d: sweep.vary.%s[%zu]: value '%s' is listed twice",
                         vals->file, a.lines[j], a.cols[j], e->key, j, a.values[j]);
                    rc = BS_ERR_INPUT;
                }
        if (rc == BS_OK)
            rc = swp_grid_add(g, &a, err, err_len);
        if (rc != BS_OK) {
            swp_axis_free(&a);
            return rc;
        }
    }
    return BS_OK;
}

bs_rc swp_grid_finish(swp_grid *g, uint64_t seeds, char *err, size_t err_len)
{
    if (seeds < 1 || seeds > SWP_MAX_SEEDS) {
        bs_errf(err, err_len, "seeds must be from 1 to %d", SWP_MAX_SEEDS);
        return BS_ERR_INPUT;
    }
    size_t points = 1;
    for (size_t i = 0; i < g->n_axes; i++) {
        assert(g->axes[i].n > 0);
        if (points > SWP_MAX_JOBS / g->axes[i].n) {
            bs_errf(err, err_len, "the grid has more than %d points", SWP_MAX_JOBS);
            return BS_ERR_INPUT;
        }
        points *= g->axes[i].n;
    }
    if (points > SWP_MAX_JOBS / seeds) {
        bs_errf(err, err_len, "%zu points x %" PRIu64 " seeds is more than %d runs", points, seeds,
             SWP_MAX_JOBS);
        return BS_ERR_INPUT;
    }
    g->seeds = seeds;
    g->points = points;
    g->jobs = points * (size_t)seeds;
    return BS_OK;
}

void swp_grid_free(swp_grid *g)
{
    for (size_t i = 0; i < g->n_axes; i++)
        swp_axis_free(&g->axes[i]);
    free(g->axes);
    *g = (swp_grid){0};
}

void swp_grid_job(const swp_grid *g, size_t k, size_t *value_index, uint64_t *seed)
{
    assert(g->points > 0 && k < g->jobs);
    *seed = (uint64_t)(k / g->points) + 1;
    size_t p = k % g->points;
    for (size_t i = g->n_axes; i-- > 0;) {
        value_index[i] = p % g->axes[i].n;
        p /= g->axes[i].n;
    }
}

