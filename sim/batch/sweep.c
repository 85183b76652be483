/* sweep.c -- grids, run ids, run directories and tables of sweeps (sweep.h).
 *
 * Why it looks like this:
 * - Ranges are expanded in exact decimal (scaled 64-bit integers), not by
 *   adding a double step: 0.1:0.5:0.1 gives "0.3", never
 *   "0.30000000000000004", and the same text every time, which matters
 *   because values are part of run ids.
 * - A run id hashes the scenario's *content* (its parsed tree without the
 *   sweep block, the seed and the description), not its file name or bytes:
 *   editing a comment or adding values to `sweep:` renumbers nothing, while
 *   changing the model (a duration, a VM size) does, so --resume never
 *   reuses a stale result.  Files named by `include:` and trace files are
 *   not hashed (documented in docs/sweep.md).
 * - A point is validated by loading it exactly as the runner's child will
 *   (same order: --set-like assignments, then the policy, then the seed),
 *   but from a tree whose assigned nodes carry the position the value came
 *   from, so an error in the `sweep:` block names its file, line and column.
 * - JSON written here (params.json) and by output.c (summary.json) is read
 *   back with the scenario parser: JSON is valid YAML flow syntax, and the
 *   cfg tree is already the project's way to walk parsed documents.
 * - Every table and plot is built from run directories (see sweep.h), and
 *   ordered by the values, never by completion order or -j. */
#include "sim/batch/sweep.h"
#include "sim/base/fsutil.h"
#include "sim/base/text.h"
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

static void errf(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void errf(char *err, size_t len, const char *fmt, ...)
{
    if (len == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, len, fmt, ap);
    va_end(ap);
}

/* ---------------------------------------------------------------- hashing */

static uint64_t fnv_bytes(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ s[i]) * FNV_PRIME;
    return h;
}

/* A string and its terminator: "ab","c" and "a","bc" hash apart. */
static uint64_t fnv_str(uint64_t h, const char *s)
{
    return fnv_bytes(h, s ? s : "", strlen(s ? s : "") + 1);
}

static uint64_t fnv_u64(uint64_t h, uint64_t v)
{
    unsigned char b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    return fnv_bytes(h, b, sizeof b);
}

static uint64_t hash_node(uint64_t h, const cfg_node *n, bool top)
{
    switch (n->kind) {
    case CFG_SCALAR:
        h = fnv_str(h, n->quoted ? "s'" : "s");
        return fnv_str(h, n->value);
    case CFG_SEQ:
        h = fnv_str(h, "[");
        h = fnv_u64(h, n->n);
        for (size_t i = 0; i < n->n; i++)
            h = hash_node(h, n->entries[i].val, false);
        return h;
    case CFG_MAP:
        h = fnv_str(h, "{");
        for (size_t i = 0; i < n->n; i++) {
            const char *k = n->entries[i].key;
            if (top && (strcmp(k, "sweep") == 0 || strcmp(k, "seed") == 0 ||
                        strcmp(k, "description") == 0))
                continue;
            h = fnv_str(h, k);
            h = hash_node(h, n->entries[i].val, false);
        }
        return fnv_str(h, "}");
    }
    return h;
}

uint64_t swp_tree_hash(const cfg_node *root)
{
    assert(root != NULL);
    return hash_node(FNV_OFFSET, root, true);
}

bs_rc swp_ident_load(const char *path, const scen *sc, swp_ident *out, cfg_errs *errs)
{
    *out = (swp_ident){0};
    cfg_doc *doc = NULL;
    cfg_node *root = NULL;
    if (cfg_doc_new(&doc) != BS_OK)
        return BS_ERR_INTERNAL;
    bs_rc rc = cfg_parse_file(doc, path, errs, &root);
    if (root != NULL && rc == BS_OK) {
        out->content = swp_tree_hash(root);
        out->name = strdup(sc->name);
        if (out->name == NULL)
            rc = BS_ERR_INTERNAL;
    } else if (rc == BS_OK) {
        rc = BS_ERR_INPUT;
    }
    cfg_doc_free(doc);
    return rc;
}

void swp_ident_free(swp_ident *id)
{
    free(id->name);
    *id = (swp_ident){0};
}

static int cmp_set_path(const void *a, const void *b)
{
    const swp_set *x = *(const swp_set *const *)a, *y = *(const swp_set *const *)b;
    int c = strcmp(x->path, y->path);
    return c ? c : strcmp(x->value, y->value);
}

void swp_run_id(const swp_ident *ident, const swp_set *sets, size_t n, uint64_t seed,
                char out[SWP_ID_LEN + 1])
{
    /* Few assignments: sort pointers on the stack when they fit. */
    const swp_set *local[32];
    const swp_set **order = n <= 32 ? local : malloc(n * sizeof *order);
    uint64_t h = fnv_str(FNV_OFFSET, "balloonsim-run-1");
    h = fnv_str(h, ident->name);
    h = fnv_u64(h, ident->content);
    if (order != NULL) {
        for (size_t i = 0; i < n; i++)
            order[i] = &sets[i];
        qsort(order, n, sizeof *order, cmp_set_path);
        for (size_t i = 0; i < n; i++) {
            h = fnv_str(h, swp_canonical_path(order[i]->path));
            h = fnv_str(h, order[i]->value);
        }
        if (order != local)
            free(order);
    } else { /* out of memory: unsorted, still deterministic for one order */
        for (size_t i = 0; i < n; i++) {
            h = fnv_str(h, swp_canonical_path(sets[i].path));
            h = fnv_str(h, sets[i].value);
        }
    }
    h = fnv_str(h, "seed");
    h = fnv_u64(h, seed);
    snprintf(out, SWP_ID_LEN + 1, "%016" PRIx64, h);
}

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
                errf(err, len, "%s: value '%s' is listed twice", a->path, a->values[i]);
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
            errf(err, len, "%s: range bound too long", a->path);
            return BS_ERR_INPUT;
        }
        memcpy(buf[n], p, k);
        buf[n++][k] = '\0';
        if (c == NULL)
            break;
        p = c + 1;
        if (n == 3) {
            errf(err, len, "%s: expected LO:HI or LO:HI:STEP, found '%s'", a->path, spec);
            return BS_ERR_INPUT;
        }
    }
    if (n < 2) {
        errf(err, len, "%s: expected LO:HI or LO:HI:STEP, found '%s'", a->path, spec);
        return BS_ERR_INPUT;
    }
    dec d[3];
    static const char *const what[] = {"LO", "HI", "STEP"};
    for (int i = 0; i < n; i++) {
        if (!parse_dec(buf[i], &d[i])) {
            errf(err, len,
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
        errf(err, len, "%s: LO, HI and STEP of '%s' must use the same unit", a->path, spec);
        return BS_ERR_INPUT;
    }
    int decimals = BS_MAX(d[0].decimals, BS_MAX(d[1].decimals, d[2].decimals));
    for (int i = 0; i < 3; i++)
        if (!scale_to(&d[i], decimals)) {
            errf(err, len, "%s: the numbers of '%s' are too long", a->path, spec);
            return BS_ERR_INPUT;
        }
    if (d[2].digits <= 0) {
        errf(err, len, "%s: STEP of '%s' must be above 0", a->path, spec);
        return BS_ERR_INPUT;
    }
    if (d[0].digits > d[1].digits) {
        errf(err, len, "%s: LO of '%s' is above HI", a->path, spec);
        return BS_ERR_INPUT;
    }
    /* (hi - lo) / step + 1 values; both differences fit: |x| < 10^18. */
    uint64_t count = (uint64_t)(d[1].digits - d[0].digits) / (uint64_t)d[2].digits + 1;
    if (count > SWP_MAX_VALUES) {
        errf(err, len, "%s: '%s' gives %" PRIu64 " values (at most %d)", a->path, spec, count,
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
            errf(err, len, "%s: %s in '%s'", a->path, why, spec);
            free(v);
            return BS_ERR_INPUT;
        }
        if (axis_push(a, v, &cap) != BS_OK)
            return BS_ERR_INTERNAL;
        if (a->n > SWP_MAX_VALUES) {
            errf(err, len, "%s: more than %d values", a->path, SWP_MAX_VALUES);
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
        errf(err, err_len, "expected PATH=V1,V2,... or PATH=LO:HI[:STEP], found '%s'", arg);
        return BS_ERR_INPUT;
    }
    char *path = strndup(arg, (size_t)(eq - arg));
    if (path == NULL)
        return BS_ERR_INTERNAL;
    const char *why = swp_path_forbidden(path);
    if (why != NULL) {
        errf(err, err_len, "%s: %s", path, why);
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
        errf(err, err_len, "%s: no values after '='", out->path);
        rc = BS_ERR_INPUT;
    } else if (spec[0] == '{' || spec[0] == '[') {
        errf(err, err_len, "%s: %s in '%s'", out->path, value_problem(spec), spec);
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
        errf(err, err_len, "expected PATH=LO:HI (whole numbers), found '%s'", arg);
        return BS_ERR_INPUT;
    }
    char *p = strndup(arg, (size_t)(eq - arg));
    if (p == NULL)
        return BS_ERR_INTERNAL;
    const char *why = swp_path_forbidden(p);
    if (why != NULL) {
        errf(err, err_len, "%s: %s", p, why);
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
        errf(err, err_len, "%s: expected LO:HI with whole numbers (such as 8:64), found '%s'", p,
             spec);
        free(p);
        return BS_ERR_INPUT;
    }
    if (strcmp(da.suffix, db.suffix) != 0) {
        errf(err, err_len, "%s: LO and HI of '%s' must use the same unit", p, spec);
        free(p);
        return BS_ERR_INPUT;
    }
    if (da.digits > db.digits) {
        errf(err, err_len, "%s: LO of '%s' is above HI", p, spec);
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
        errf(err, err_len, "more than %d varied paths", SWP_MAX_AXES);
        return BS_ERR_INPUT;
    }
    for (size_t i = 0; i < g->n_axes; i++)
        if (strcmp(g->axes[i].path, a->path) == 0) {
            errf(err, err_len, "%s is varied twice", a->path);
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
            errf(err, err_len, "%s:%d:%d: sweep.vary.%s: %s", vals->file, e->line, e->col, e->key,
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
                errf(err, err_len, "%s:%d:%d: sweep.vary.%s[%zu]: %s", v->file, v->line, v->col,
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
                    errf(err, err_len, "%s:%d:%d: sweep.vary.%s[%zu]: value '%s' is listed twice",
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
        errf(err, err_len, "seeds must be from 1 to %d", SWP_MAX_SEEDS);
        return BS_ERR_INPUT;
    }
    size_t points = 1;
    for (size_t i = 0; i < g->n_axes; i++) {
        assert(g->axes[i].n > 0);
        if (points > SWP_MAX_JOBS / g->axes[i].n) {
            errf(err, err_len, "the grid has more than %d points", SWP_MAX_JOBS);
            return BS_ERR_INPUT;
        }
        points *= g->axes[i].n;
    }
    if (points > SWP_MAX_JOBS / seeds) {
        errf(err, err_len, "%zu points x %" PRIu64 " seeds is more than %d runs", points, seeds,
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

uint64_t swp_grid_signature(const swp_grid *g)
{
    uint64_t h = fnv_str(FNV_OFFSET, "balloonsim-grid-1");
    for (size_t i = 0; i < g->n_axes; i++) {
        h = fnv_str(h, g->axes[i].path);
        h = fnv_u64(h, g->axes[i].n);
        for (size_t j = 0; j < g->axes[i].n; j++)
            h = fnv_str(h, g->axes[i].values[j]);
    }
    return fnv_u64(h, g->seeds);
}

/* ---------------------------------------------------------------- one run */

static bool is_policy(const char *path)
{
    return strcmp(swp_canonical_path(path), "policy.name") == 0;
}

bs_rc swp_load_point(const char *path, const swp_set *sets, size_t n, uint64_t seed,
                     cfg_errs *errs, scen **out)
{
    *out = NULL;
    cfg_doc *doc = NULL;
    cfg_node *root = NULL;
    if (cfg_doc_new(&doc) != BS_OK)
        return BS_ERR_INTERNAL;
    bs_rc prc = cfg_parse_file(doc, path, errs, &root);
    if (root == NULL) {
        cfg_doc_free(doc);
        return prc != BS_OK ? prc : BS_ERR_INPUT;
    }
    cfg_ctx cx = {errs, doc};
    bs_rc rc = BS_OK;
    /* The loader turns `policy: NAME` into a mapping before it applies
     * --set; do the same so that policy.params.X can be assigned. */
    cfg_entry *pe = root->kind == CFG_MAP ? cfg_map_entry(root, "policy") : NULL;
    if (pe != NULL && pe->val->kind == CFG_SCALAR && !cfg_is_null(pe->val)) {
        cfg_node *m = cfg_new_map(doc, pe->val->file, pe->val->line, pe->val->col);
        if (m == NULL || cfg_map_set(doc, m, "name", pe->val) != BS_OK)
            rc = BS_ERR_INTERNAL;
        else
            pe->val = m;
    }
    const char *policy = NULL;
    for (size_t i = 0; rc != BS_ERR_INTERNAL && i < n; i++) {
        const swp_set *s = &sets[i];
        if (is_policy(s->path)) {
            if (pol_find(s->value) == NULL) {
                char names[512] = "";
                size_t used = 0;
                const pol_type *const *t = pol_types();
                for (size_t k = 0; t[k] && used < sizeof names; k++)
                    used += (size_t)snprintf(names + used, sizeof names - used, "%s%s",
                                             k ? ", " : "", t[k]->name);
                cfg_error_at(&cx, s->origin, s->line, s->col, "policy.name",
                             "expected a policy (one of: %s), found '%s'", names, s->value);
                rc = BS_ERR_INPUT;
            } else {
                policy = s->value;
            }
            continue;
        }
        bs_rc r = cfg_set_path(doc, root, s->path, s->value, s->origin, errs);
        if (r != BS_OK) {
            rc = r;
            continue;
        }
        cfg_node *v = cfg_lookup(root, s->path);
        if (v != NULL && s->line > 0) { /* errors about the value point at it */
            v->file = cfg_intern(doc, s->origin);
            v->line = s->line;
            v->col = s->col;
            if (v->file == NULL)
                rc = BS_ERR_INTERNAL;
        }
    }
    if (rc == BS_ERR_INTERNAL) {
        cfg_doc_free(doc);
        return rc;
    }
    scen_overrides ov = {.policy = policy, .has_seed = true, .seed = seed};
    /* Takes the doc: errors in the rest of the file are reported too. */
    bs_rc lrc = scen_load_tree(doc, root, path, &ov, errs, out);
    if (lrc == BS_OK && (rc != BS_OK || prc != BS_OK)) {
        scen_free(*out);
        *out = NULL;
        return rc != BS_OK ? rc : prc;
    }
    return lrc != BS_OK ? lrc : rc;
}

bs_rc swp_job_make(const char *scenario, const swp_set *sets, size_t n, uint64_t seed,
                   const char *out_dir, run_job *job)
{
    *job = (run_job){.scenario = scenario, .has_seed = true, .seed = seed, .summary_only = true};
    char **strs = calloc(n ? n : 1, sizeof *strs);
    if (strs == NULL)
        return BS_ERR_INTERNAL;
    job->sets = (const char *const *)strs;
    for (size_t i = 0; i < n; i++) {
        if (is_policy(sets[i].path)) {
            job->policy = sets[i].value;
            continue;
        }
        size_t len = strlen(sets[i].path) + strlen(sets[i].value) + 2;
        char *s = malloc(len);
        if (s == NULL) {
            swp_job_free(job);
            return BS_ERR_INTERNAL;
        }
        snprintf(s, len, "%s=%s", sets[i].path, sets[i].value);
        strs[job->n_sets++] = s;
    }
    if (out_dir != NULL) {
        job->out_dir = strdup(out_dir);
        if (job->out_dir == NULL) {
            swp_job_free(job);
            return BS_ERR_INTERNAL;
        }
    }
    return BS_OK;
}

void swp_job_free(run_job *job)
{
    char **strs = (char **)(uintptr_t)job->sets;
    for (size_t i = 0; strs && i < job->n_sets; i++)
        free(strs[i]);
    free(strs);
    free((char *)(uintptr_t)job->out_dir);
    *job = (run_job){0};
}

/* ---------------------------------------------------------------- files */

bs_rc swp_write_file(const char *path, bs_rc (*fill)(FILE *f, void *ctx), void *ctx)
{
    const char *slash = strrchr(path, '/');
    size_t dl = slash ? (size_t)(slash - path + 1) : 0;
    size_t len = strlen(path) + 8;
    char *tmp = malloc(len);
    if (tmp == NULL)
        return BS_ERR_INTERNAL;
    snprintf(tmp, len, "%.*s.%s.tmp", (int)dl, path, path + dl);
    FILE *f = fopen(tmp, "w");
    if (f == NULL) {
        fprintf(stderr, "balloonsim: cannot create %s: %s\n", tmp, strerror(errno));
        free(tmp);
        return BS_ERR_INTERNAL;
    }
    bs_rc rc = fill(f, ctx);
    bool bad = ferror(f) != 0;
    if ((fclose(f) != 0 || bad) && rc == BS_OK) {
        fprintf(stderr, "balloonsim: cannot write %s: %s\n", tmp, strerror(errno));
        rc = BS_ERR_INTERNAL;
    }
    if (rc == BS_OK && rename(tmp, path) != 0) {
        fprintf(stderr, "balloonsim: cannot rename %s to %s: %s\n", tmp, path, strerror(errno));
        rc = BS_ERR_INTERNAL;
    }
    if (rc != BS_OK)
        unlink(tmp);
    free(tmp);
    return rc;
}

typedef struct params_ctx {
    const swp_ident *ident;
    const swp_grid *g;
    size_t job;
    const swp_set *fixed;
    size_t n_fixed;
    const char *id;
} params_ctx;

static bs_rc fill_params(FILE *f, void *vctx)
{
    const params_ctx *c = vctx;
    const swp_grid *g = c->g;
    size_t idx[SWP_MAX_AXES];
    uint64_t seed;
    swp_grid_job(g, c->job, idx, &seed);
    fputs("{\n  \"id\": ", f);
    txt_json_string(f, c->id);
    fputs(",\n  \"scenario\": ", f);
    txt_json_string(f, c->ident->name);
    fprintf(f, ",\n  \"content\": \"%016" PRIx64 "\",\n  \"version\": ", c->ident->content);
    txt_json_string(f, BS_VERSION);
    fprintf(f, ",\n  \"seed\": %" PRIu64 ",\n  \"set\": {", seed);
    for (size_t i = 0; i < g->n_axes; i++) {
        fprintf(f, "%s\n    ", i ? "," : "");
        txt_json_string(f, g->axes[i].path);
        fputs(": ", f);
        txt_json_string(f, g->axes[i].values[idx[i]]);
    }
    fprintf(f, "%s},\n  \"fixed\": [", g->n_axes ? "\n  " : "");
    for (size_t i = 0; i < c->n_fixed; i++) {
        char buf[CFG_PATH_MAX + 512];
        snprintf(buf, sizeof buf, "%s=%s", swp_canonical_path(c->fixed[i].path), c->fixed[i].value);
        fputs(i ? ", " : "", f);
        txt_json_string(f, buf);
    }
    fprintf(f, "],\n  \"grid\": {\n    \"signature\": \"%016" PRIx64 "\",\n    \"job\": %zu,\n"
               "    \"jobs\": %zu,\n    \"seeds\": %" PRIu64 ",\n    \"axes\": [",
            swp_grid_signature(g), c->job, g->jobs, g->seeds);
    for (size_t i = 0; i < g->n_axes; i++) {
        fprintf(f, "%s\n      {\"path\": ", i ? "," : "");
        txt_json_string(f, g->axes[i].path);
        fputs(", \"values\": [", f);
        for (size_t j = 0; j < g->axes[i].n; j++) {
            fputs(j ? ", " : "", f);
            txt_json_string(f, g->axes[i].values[j]);
        }
        fputs("]}", f);
    }
    fprintf(f, "%s]\n  }\n}\n", g->n_axes ? "\n    " : "");
    return ferror(f) ? BS_ERR_INTERNAL : BS_OK;
}

bs_rc swp_write_params(const char *run_dir, const swp_ident *ident, const swp_grid *g, size_t job,
                       const swp_set *fixed, size_t n_fixed, const char *id)
{
    bs_rc rc = fs_mkdirs(run_dir);
    if (rc != BS_OK)
        return rc;
    char *path = fs_path_join(run_dir, "params.json");
    if (path == NULL)
        return BS_ERR_INTERNAL;
    params_ctx c = {ident, g, job, fixed, n_fixed, id};
    rc = swp_write_file(path, fill_params, &c);
    free(path);
    return rc;
}

bool swp_run_complete(const char *run_dir)
{
    char *p = fs_path_join(run_dir, "params.json"), *s = fs_path_join(run_dir, "summary.json");
    bool ok = p && s && access(p, F_OK) == 0 && access(s, F_OK) == 0;
    free(p);
    free(s);
    return ok;
}

static const cfg_node *get(const cfg_node *map, const char *key, cfg_kind kind)
{
    if (map == NULL || map->kind != CFG_MAP)
        return NULL;
    const cfg_entry *e = cfg_map_entry(map, key);
    return e != NULL && e->val->kind == kind ? e->val : NULL;
}

static bool get_u64(const cfg_node *map, const char *key, int base, uint64_t *out)
{
    const cfg_node *n = get(map, key, CFG_SCALAR);
    if (n == NULL || n->value[0] == '\0' || n->value[0] == '-')
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(n->value, &end, base);
    if (errno != 0 || *end != '\0')
        return false;
    *out = v;
    return true;
}

static bool valid_id(const char *s)
{
    if (strlen(s) != SWP_ID_LEN)
        return false;
    for (; *s; s++)
        if (!strchr("0123456789abcdef", *s))
            return false;
    return true;
}

static bs_rc read_params(const char *file, swp_run *r, char *err, size_t len)
{
    cfg_doc *doc = NULL;
    cfg_node *root = NULL;
    cfg_errs errs = {0};
    if (cfg_doc_new(&doc) != BS_OK)
        return BS_ERR_INTERNAL;
    bs_rc rc = cfg_parse_file(doc, file, &errs, &root);
    const char *what = NULL;
    if (rc != BS_OK || root == NULL) {
        what = errs.n ? errs.msgs[0] : "cannot read it";
        errf(err, len, "%s", what);
        cfg_errs_free(&errs);
        cfg_doc_free(doc);
        return rc == BS_ERR_INTERNAL ? rc : BS_ERR_INPUT;
    }
    cfg_errs_free(&errs);
    const cfg_node *id = get(root, "id", CFG_SCALAR), *name = get(root, "scenario", CFG_SCALAR),
                   *ver = get(root, "version", CFG_SCALAR), *set = get(root, "set", CFG_MAP),
                   *fixed = get(root, "fixed", CFG_SEQ), *grid = get(root, "grid", CFG_MAP);
    const cfg_node *axes = get(grid, "axes", CFG_SEQ);
    uint64_t job = 0, jobs = 0;
    if (id == NULL || !valid_id(id->value))
        what = "\"id\" (16 hex digits)";
    else if (name == NULL)
        what = "\"scenario\"";
    else if (!get_u64(root, "content", 16, &r->content))
        what = "\"content\" (hex)";
    else if (ver == NULL)
        what = "\"version\"";
    else if (!get_u64(root, "seed", 10, &r->seed))
        what = "\"seed\"";
    else if (set == NULL || set->n > SWP_MAX_AXES)
        what = "\"set\" (a mapping of at most 32 paths)";
    else if (fixed == NULL)
        what = "\"fixed\" (a list)";
    else if (grid == NULL || axes == NULL || !get_u64(grid, "signature", 16, &r->grid) ||
             !get_u64(grid, "job", 10, &job) || !get_u64(grid, "jobs", 10, &jobs) || job >= jobs)
        what = "\"grid\" {signature, job, jobs, seeds, axes}";
    if (what != NULL) {
        errf(err, len, "%s: missing or bad %s", file, what);
        cfg_doc_free(doc);
        return BS_ERR_INPUT;
    }
    r->job = (size_t)job;
    r->jobs = (size_t)jobs;
    snprintf(r->id, sizeof r->id, "%s", id->value);
    r->scenario = strdup(name->value);
    r->version = strdup(ver->value);
    r->n_axes = set->n;
    r->paths = calloc(set->n + 1, sizeof *r->paths);
    r->values = calloc(set->n + 1, sizeof *r->values);
    r->ranks = calloc(set->n + 1, sizeof *r->ranks);
    r->fixed = calloc(fixed->n + 1, sizeof *r->fixed);
    rc = r->scenario && r->version && r->paths && r->values && r->ranks && r->fixed
             ? BS_OK
             : BS_ERR_INTERNAL;
    for (size_t i = 0; rc == BS_OK && i < set->n; i++) {
        const cfg_entry *e = &set->entries[i];
        if (e->val->kind != CFG_SCALAR) {
            errf(err, len, "%s: \"set\": the value of '%s' is not a string", file, e->key);
            rc = BS_ERR_INPUT;
            break;
        }
        r->paths[i] = strdup(e->key);
        r->values[i] = strdup(e->val->value);
        if (r->paths[i] == NULL || r->values[i] == NULL)
            rc = BS_ERR_INTERNAL;
        /* Its place in the grid's list of the axis (SIZE_MAX: not listed). */
        r->ranks[i] = SIZE_MAX;
        for (size_t a = 0; a < axes->n; a++) {
            const cfg_node *ax = axes->entries[a].val;
            const cfg_node *p = get(ax, "path", CFG_SCALAR), *vals = get(ax, "values", CFG_SEQ);
            if (p == NULL || vals == NULL || strcmp(p->value, e->key) != 0)
                continue;
            for (size_t j = 0; j < vals->n; j++)
                if (vals->entries[j].val->kind == CFG_SCALAR &&
                    strcmp(vals->entries[j].val->value, e->val->value) == 0)
                    r->ranks[i] = j;
        }
    }
    for (size_t i = 0; rc == BS_OK && i < fixed->n; i++) {
        const cfg_node *v = fixed->entries[i].val;
        if (v->kind != CFG_SCALAR) {
            errf(err, len, "%s: \"fixed\": expected strings PATH=VALUE", file);
            rc = BS_ERR_INPUT;
            break;
        }
        r->fixed[i] = strdup(v->value);
        if (r->fixed[i] == NULL)
            rc = BS_ERR_INTERNAL;
        r->n_fixed = i + 1;
    }
    cfg_doc_free(doc);
    return rc;
}

static bs_rc read_summary(const char *file, swp_run *r, char *err, size_t len)
{
    cfg_doc *doc = NULL;
    cfg_node *root = NULL;
    cfg_errs errs = {0};
    if (cfg_doc_new(&doc) != BS_OK)
        return BS_ERR_INTERNAL;
    bs_rc rc = cfg_parse_file(doc, file, &errs, &root);
    if (rc != BS_OK || root == NULL) {
        errf(err, len, "%s", errs.n ? errs.msgs[0] : "cannot read it");
        cfg_errs_free(&errs);
        cfg_doc_free(doc);
        return rc == BS_ERR_INTERNAL ? rc : BS_ERR_INPUT;
    }
    cfg_errs_free(&errs);
    const cfg_node *metrics = get(root, "metrics", CFG_MAP), *name = get(root, "scenario", CFG_SCALAR);
    uint64_t seed = 0;
    rc = BS_OK;
    if (metrics == NULL || name == NULL || !get_u64(root, "seed", 10, &seed)) {
        errf(err, len, "%s: not a summary.json (no \"scenario\", \"seed\" or \"metrics\")", file);
        rc = BS_ERR_INPUT;
    } else if (seed != r->seed || strcmp(name->value, r->scenario) != 0) {
        errf(err, len, "%s: scenario %s seed %" PRIu64 " does not match params.json (%s seed %" PRIu64 ")",
             file, name->value, seed, r->scenario, r->seed);
        rc = BS_ERR_INPUT;
    }
    r->m = (met_values){0};
    for (size_t i = 0; rc == BS_OK && i < metrics->n; i++) {
        const cfg_entry *e = &metrics->entries[i];
        met_id id = met_find(e->key);
        if (id == MET_COUNT || e->val->kind != CFG_SCALAR || cfg_is_null(e->val))
            continue; /* a metric of another version, or null */
        char *end;
        double v = strtod(e->val->value, &end);
        if (*end != '\0' || e->val->value[0] == '\0') {
            errf(err, len, "%s: metrics.%s: expected a number or null, found '%s'", file, e->key,
                 e->val->value);
            rc = BS_ERR_INPUT;
            break;
        }
        r->m.v[id] = v;
        r->m.present[id] = true;
    }
    cfg_doc_free(doc);
    return rc;
}

bs_rc swp_read_run(const char *run_dir, swp_run *out, char *err, size_t err_len)
{
    *out = (swp_run){0};
    char *p = fs_path_join(run_dir, "params.json"), *s = fs_path_join(run_dir, "summary.json");
    bs_rc rc = p && s ? BS_OK : BS_ERR_INTERNAL;
    if (rc == BS_OK && access(p, F_OK) != 0) {
        errf(err, err_len, "%s: missing (not a run directory of a sweep)", p);
        rc = BS_ERR_INPUT;
    } else if (rc == BS_OK && access(s, F_OK) != 0) {
        errf(err, err_len, "%s: missing (the run did not finish)", s);
        rc = BS_ERR_INPUT;
    }
    if (rc == BS_OK)
        rc = read_params(p, out, err, err_len);
    if (rc == BS_OK)
        rc = read_summary(s, out, err, err_len);
    free(p);
    free(s);
    if (rc != BS_OK)
        swp_run_free(out);
    return rc;
}

void swp_run_free(swp_run *r)
{
    for (size_t i = 0; i < r->n_axes; i++) {
        free(r->paths ? r->paths[i] : NULL);
        free(r->values ? r->values[i] : NULL);
    }
    for (size_t i = 0; i < r->n_fixed; i++)
        free(r->fixed[i]);
    free(r->paths);
    free(r->values);
    free(r->ranks);
    free(r->fixed);
    free(r->scenario);
    free(r->version);
    *r = (swp_run){0};
}

/* ---------------------------------------------------------------- results */

/* How an axis's values compare: as numbers when all of them read as one kind. */
static swp_axis_kind axis_kind(char *const *values, size_t n, double *parsed)
{
    static const struct {
        swp_axis_kind kind;
        unit_kind unit;
    } kinds[] = {{SWP_NUMBER, UNIT_NUMBER},
                 {SWP_SIZE, UNIT_SIZE},
                 {SWP_TIME, UNIT_TIME},
                 {SWP_FRACTION, UNIT_FRACTION}};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        bool all = n > 0;
        for (size_t i = 0; i < n && all; i++)
            all = unit_parse(kinds[k].unit, values[i], &parsed[i], NULL) == BS_OK &&
                  isfinite(parsed[i]);
        if (all)
            return kinds[k].kind;
    }
    return SWP_TEXT;
}


/* One distinct value of an axis while it is being ordered. */
typedef struct val_order {
    const char *text;
    size_t rank;  /* smallest place in an axis list it had */
    double num;
    bool numeric;
} val_order;

static int cmp_val_text(const void *a, const void *b)
{
    const val_order *x = a, *y = b;
    int c = strcmp(x->text, y->text);
    if (c)
        return c;
    return x->rank < y->rank ? -1 : x->rank > y->rank;
}

static int cmp_val_order(const void *a, const void *b)
{
    const val_order *x = a, *y = b;
    if (x->numeric) {
        if (x->num != y->num)
            return x->num < y->num ? -1 : 1;
    } else if (x->rank != y->rank) {
        return x->rank < y->rank ? -1 : 1;
    }
    return strcmp(x->text, y->text);
}

/* A run on its way into a point; carries its own axis count so that the
 * comparators need no context. */
typedef struct run_ref {
    const swp_run *run;
    size_t *pos;   /* per axis: index into the ordered distinct values */
    size_t n_axes;
    size_t input;  /* place in the caller's array (ties) */
} run_ref;

static int cmp_ref_id(const void *a, const void *b)
{
    const run_ref *x = a, *y = b;
    int c = strcmp(x->run->id, y->run->id);
    return c ? c : (x->input < y->input ? -1 : x->input > y->input);
}

static int cmp_ref_point(const void *a, const void *b)
{
    const run_ref *x = a, *y = b;
    for (size_t i = 0; i < x->n_axes; i++)
        if (x->pos[i] != y->pos[i])
            return x->pos[i] < y->pos[i] ? -1 : 1;
    if (x->run->seed != y->run->seed)
        return x->run->seed < y->run->seed ? -1 : 1;
    return x->input < y->input ? -1 : x->input > y->input;
}

static bool same_list(char *const *a, size_t na, char *const *b, size_t nb)
{
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++)
        if (strcmp(a[i], b[i]) != 0)
            return false;
    return true;
}

static bs_rc check_alike(const swp_run *runs, size_t n, char *err, size_t len)
{
    const swp_run *a = &runs[0];
    for (size_t i = 1; i < n; i++) {
        const swp_run *b = &runs[i];
        if (strcmp(a->scenario, b->scenario) != 0) {
            errf(err, len, "runs of different scenarios (%s and %s) cannot be one table",
                 a->scenario, b->scenario);
            return BS_ERR_INPUT;
        }
        if (a->content != b->content) {
            errf(err, len,
                 "runs %s and %s were made from different versions of scenario %s "
                 "(the file changed between them)",
                 a->id, b->id, a->scenario);
            return BS_ERR_INPUT;
        }
        if (!same_list(a->paths, a->n_axes, b->paths, b->n_axes)) {
            errf(err, len, "runs %s and %s vary different key paths", a->id, b->id);
            return BS_ERR_INPUT;
        }
        if (!same_list(a->fixed, a->n_fixed, b->fixed, b->n_fixed)) {
            errf(err, len, "runs %s and %s were made with different --set/-p", a->id, b->id);
            return BS_ERR_INPUT;
        }
    }
    return BS_OK;
}

static char **dup_strings(char *const *src, size_t n)
{
    char **d = calloc(n + 1, sizeof *d);
    for (size_t i = 0; d && i < n; i++) {
        d[i] = strdup(src[i]);
        if (d[i] == NULL) {
            for (size_t j = 0; j < i; j++)
                free(d[j]);
            free(d);
            return NULL;
        }
    }
    return d;
}

/* Order the distinct values of axis `a` and give every ref its position. */
static bs_rc order_axis(swp_result *r, size_t a, run_ref *refs, size_t n)
{
    val_order *all = malloc(n * sizeof *all);
    if (all == NULL)
        return BS_ERR_INTERNAL;
    for (size_t i = 0; i < n; i++)
        all[i] = (val_order){.text = refs[i].run->values[a], .rank = refs[i].run->ranks[a]};
    qsort(all, n, sizeof *all, cmp_val_text);
    size_t d = 0; /* distinct, keeping the smallest rank (first after the sort) */
    for (size_t i = 0; i < n; i++)
        if (d == 0 || strcmp(all[d - 1].text, all[i].text) != 0)
            all[d++] = all[i];
    char **texts = malloc(d * sizeof *texts);
    double *num = malloc(d * sizeof *num);
    bs_rc rc = texts && num ? BS_OK : BS_ERR_INTERNAL;
    if (rc == BS_OK) {
        for (size_t i = 0; i < d; i++)
            texts[i] = (char *)all[i].text;
        r->kinds[a] = axis_kind(texts, d, num);
        for (size_t i = 0; i < d; i++) {
            all[i].numeric = r->kinds[a] != SWP_TEXT;
            all[i].num = num[i];
        }
        qsort(all, d, sizeof *all, cmp_val_order);
        for (size_t i = 0; i < d; i++)
            texts[i] = (char *)all[i].text;
        r->values[a] = dup_strings(texts, d);
        r->n_values[a] = d;
        if (r->values[a] == NULL)
            rc = BS_ERR_INTERNAL;
    }
    /* Position of each ref's value: a binary search over a text-sorted copy
     * of (text, position). */
    if (rc == BS_OK) {
        for (size_t i = 0; i < d; i++) {
            all[i].text = r->values[a][i];
            all[i].rank = i;
        }
        qsort(all, d, sizeof *all, cmp_val_text);
        for (size_t i = 0; i < n; i++) {
            val_order key = {.text = refs[i].run->values[a], .rank = 0};
            size_t lo = 0, hi = d;
            while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if (strcmp(all[mid].text, key.text) < 0)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            assert(lo < d && strcmp(all[lo].text, key.text) == 0);
            refs[i].pos[a] = all[lo].rank;
        }
    }
    free(all);
    free(texts);
    free(num);
    return rc;
}

bs_rc swp_result_build(const swp_run *runs, size_t n, swp_result *out, char *err, size_t err_len)
{
    *out = (swp_result){0};
    if (n == 0) {
        errf(err, err_len, "no finished runs");
        return BS_ERR_INPUT;
    }
    bs_rc rc = check_alike(runs, n, err, err_len);
    if (rc != BS_OK)
        return rc;
    size_t na = runs[0].n_axes;
    run_ref *refs = calloc(n, sizeof *refs);
    size_t *pos = calloc(n * (na ? na : 1), sizeof *pos);
    out->scenario = strdup(runs[0].scenario);
    out->content = runs[0].content;
    out->n_axes = na;
    out->axes = dup_strings(runs[0].paths, na);
    out->fixed = dup_strings(runs[0].fixed, runs[0].n_fixed);
    out->n_fixed = runs[0].n_fixed;
    out->kinds = calloc(na + 1, sizeof *out->kinds);
    out->values = calloc(na + 1, sizeof *out->values);
    out->n_values = calloc(na + 1, sizeof *out->n_values);
    if (!refs || !pos || !out->scenario || !out->axes || !out->fixed || !out->kinds ||
        !out->values || !out->n_values)
        rc = BS_ERR_INTERNAL;
    size_t m = 0;
    if (rc == BS_OK) {
        for (size_t i = 0; i < n; i++)
            refs[i] = (run_ref){.run = &runs[i], .pos = pos + i * (na ? na : 1), .n_axes = na,
                                .input = i};
        /* The same run found twice (two copies of a shard): count it once. */
        qsort(refs, n, sizeof *refs, cmp_ref_id);
        for (size_t i = 0; i < n; i++)
            if (m == 0 || strcmp(refs[m - 1].run->id, refs[i].run->id) != 0)
                refs[m++] = refs[i];
        out->n_runs = m;
    }
    for (size_t a = 0; rc == BS_OK && a < na; a++)
        rc = order_axis(out, a, refs, m);
    if (rc == BS_OK) {
        qsort(refs, m, sizeof *refs, cmp_ref_point);
        out->points = calloc(m, sizeof *out->points);
        if (out->points == NULL)
            rc = BS_ERR_INTERNAL;
    }
    for (size_t i = 0; rc == BS_OK && i < m;) {
        size_t j = i + 1;
        while (j < m && memcmp(refs[j].pos, refs[i].pos, na * sizeof *pos) == 0)
            j++;
        swp_point *p = &out->points[out->n_points++];
        p->n_runs = j - i;
        p->pos = malloc((na ? na : 1) * sizeof *p->pos);
        p->seeds = malloc(p->n_runs * sizeof *p->seeds);
        p->runs = malloc(p->n_runs * sizeof *p->runs);
        if (p->pos == NULL || p->seeds == NULL || p->runs == NULL) {
            rc = BS_ERR_INTERNAL;
            break;
        }
        memcpy(p->pos, refs[i].pos, na * sizeof *pos);
        for (size_t k = i; k < j; k++) {
            p->seeds[k - i] = refs[k].run->seed;
            p->runs[k - i] = refs[k].run->m;
        }
        cmp_aggregate(p->runs, p->n_runs, p->m);
        i = j;
    }
    free(refs);
    free(pos);
    if (rc != BS_OK)
        swp_result_free(out);
    return rc;
}

void swp_result_free(swp_result *r)
{
    for (size_t p = 0; r->points && p < r->n_points; p++) {
        free(r->points[p].pos);
        free(r->points[p].seeds);
        free(r->points[p].runs);
    }
    free(r->points);
    for (size_t a = 0; a < r->n_axes; a++) {
        free(r->axes ? r->axes[a] : NULL);
        for (size_t i = 0; r->values && r->values[a] && i < r->n_values[a]; i++)
            free(r->values[a][i]);
        free(r->values ? r->values[a] : NULL);
    }
    free(r->axes);
    free(r->values);
    free(r->n_values);
    free(r->kinds);
    for (size_t i = 0; r->fixed && i < r->n_fixed; i++)
        free(r->fixed[i]);
    free(r->fixed);
    free(r->scenario);
    *r = (swp_result){0};
}

/* ---------------------------------------------------------------- tables */

static const met_id default_metrics[] = {
    MET_GUEST_OOM_KILLS,       MET_HOST_OOM_KILLS, MET_STALL_S,
    MET_STALL_P99,             MET_BALLOON_TRAFFIC_BYTES, MET_MEAN_HOST_USED_FRACTION,
    MET_OVERCOMMIT_RATIO,
};

size_t swp_default_metrics(met_id out[MET_COUNT])
{
    size_t n = sizeof default_metrics / sizeof default_metrics[0];
    memcpy(out, default_metrics, sizeof default_metrics);
    return n;
}

bs_rc swp_parse_metrics(const char *text, met_id out[MET_COUNT], size_t *n, char *err,
                        size_t err_len)
{
    *n = 0;
    const char *p = text;
    while (true) {
        const char *c = strchr(p, ',');
        size_t k = c ? (size_t)(c - p) : strlen(p);
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)BS_MIN(k, sizeof name - 1), p);
        met_id id = k < sizeof name ? met_find(name) : MET_COUNT;
        if (id == MET_COUNT) {
            errf(err, err_len, "unknown metric '%.*s' (see docs/outputs.md for the names)",
                 (int)BS_MIN(k, (size_t)200), p);
            return BS_ERR_INPUT;
        }
        bool dup = false;
        for (size_t i = 0; i < *n; i++)
            dup = dup || out[i] == id;
        if (!dup)
            out[(*n)++] = id;
        if (c == NULL)
            break;
        p = c + 1;
    }
    return BS_OK;
}

/* A JSON number as the grammar of RFC 8259 has it (so that a numeric key
 * can be written bare). */
static bool json_number_text(const char *s)
{
    const char *p = s;
    if (*p == '-')
        p++;
    if (*p == '0')
        p++;
    else if (*p >= '1' && *p <= '9')
        while (*p >= '0' && *p <= '9')
            p++;
    else
        return false;
    if (*p == '.') {
        p++;
        if (!(*p >= '0' && *p <= '9'))
            return false;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!(*p >= '0' && *p <= '9'))
            return false;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    return *p == '\0';
}

/* The table of r with the given metric columns (all when cols is NULL). */
typedef struct tab_store {
    const char *key_names[SWP_MAX_AXES + 1];
    bool key_numeric[SWP_MAX_AXES + 1];
    const char *col_names[MET_COUNT];
    const char **keys;
    char (*runs)[24];
    tab_cell *cells;
} tab_store;

static bool make_table(const swp_result *r, const met_id *cols, size_t n_cols, tab_store *st,
                       tab *t)
{
    static const met_id all[MET_COUNT] = {
        0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10,
        11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21,
    };
    _Static_assert(MET_COUNT == 22, "all lists every metric");
    if (cols == NULL) {
        cols = all;
        n_cols = MET_COUNT;
    }
    assert(r->n_axes <= SWP_MAX_AXES);
    size_t nk = r->n_axes + 1, np = r->n_points;
    st->keys = calloc((np ? np : 1) * nk, sizeof *st->keys);
    st->runs = calloc(np ? np : 1, sizeof *st->runs);
    st->cells = calloc((np ? np : 1) * (n_cols ? n_cols : 1), sizeof *st->cells);
    if (st->keys == NULL || st->runs == NULL || st->cells == NULL)
        return false;
    for (size_t a = 0; a + 1 < nk; a++) {
        st->key_names[a] = r->axes[a];
        bool num = r->kinds[a] == SWP_NUMBER;
        for (size_t i = 0; num && i < r->n_values[a]; i++)
            num = json_number_text(r->values[a][i]);
        st->key_numeric[a] = num;
    }
    st->key_names[nk - 1] = "runs";
    st->key_numeric[nk - 1] = true;
    for (size_t c = 0; c < n_cols; c++)
        st->col_names[c] = met_info_get(cols[c])->name;
    for (size_t p = 0; p < np; p++) {
        const swp_point *pt = &r->points[p];
        for (size_t a = 0; a + 1 < nk; a++)
            st->keys[p * nk + a] = r->values[a][pt->pos[a]];
        snprintf(st->runs[p], sizeof st->runs[p], "%zu", pt->n_runs);
        st->keys[p * nk + nk - 1] = st->runs[p];
        for (size_t c = 0; c < n_cols; c++)
            st->cells[p * n_cols + c] = pt->m[cols[c]];
    }
    *t = (tab){.n_keys = nk,
               .n_cols = n_cols,
               .n_rows = np,
               .key_names = st->key_names,
               .key_numeric = st->key_numeric,
               .col_names = st->col_names,
               .keys = st->keys,
               .cells = st->cells};
    return true;
}

static void free_table(tab_store *st)
{
    free(st->keys);
    free(st->runs);
    free(st->cells);
}

/* "12 points x 3 seeds (1-3)" when every point has the same seeds, else
 * "12 points, 35 runs". */
static void size_text(const swp_result *r, char *buf, size_t len)
{
    bool same = r->n_points > 0;
    const swp_point *p0 = same ? &r->points[0] : NULL;
    for (size_t p = 1; same && p < r->n_points; p++) {
        const swp_point *q = &r->points[p];
        same = q->n_runs == p0->n_runs &&
               memcmp(q->seeds, p0->seeds, q->n_runs * sizeof *q->seeds) == 0;
    }
    int k = snprintf(buf, len, "%zu point%s", r->n_points, r->n_points == 1 ? "" : "s");
    if (k < 0 || (size_t)k >= len)
        return;
    if (!same) {
        snprintf(buf + k, len - (size_t)k, ", %zu runs (not the same seeds at every point)",
                 r->n_runs);
        return;
    }
    bool consecutive = true;
    for (size_t i = 1; i < p0->n_runs; i++)
        consecutive = consecutive && p0->seeds[i] == p0->seeds[i - 1] + 1;
    k += snprintf(buf + k, len - (size_t)k, " x %zu seed%s (", p0->n_runs,
                  p0->n_runs == 1 ? "" : "s");
    if (consecutive && p0->n_runs > 1) {
        k += snprintf(buf + k, len - (size_t)k, "%" PRIu64 "-%" PRIu64, p0->seeds[0],
                      p0->seeds[p0->n_runs - 1]);
    } else {
        for (size_t i = 0; i < p0->n_runs && (size_t)k < len; i++)
            k += snprintf(buf + k, len - (size_t)k, "%s%" PRIu64, i ? ", " : "", p0->seeds[i]);
    }
    if ((size_t)k < len)
        snprintf(buf + k, len - (size_t)k, ")");
}

static void md_escaped(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (strchr("\\`*_[]#<>|", *s))
            putc('\\', f);
        putc(*s, f);
    }
}

static bs_rc write_text_or_md(FILE *f, const swp_result *r, bool md, const met_id *shown,
                              size_t n_shown)
{
    char size[256];
    size_text(r, size, sizeof size);
    if (md) {
        fputs("## balloonsim sweep: ", f);
        md_escaped(f, r->scenario);
        fprintf(f, "\n\n%s. ", size);
    } else {
        fprintf(f, "balloonsim sweep: %s, %s\n", r->scenario, size);
    }
    fputs("Each cell: mean \xc2\xb1 half-width of its 95 % confidence interval over the seeds "
          "(Student t).\n",
          f);
    if (r->n_fixed) {
        fputs(md ? "\nEvery run with" : "Every run with", f);
        for (size_t i = 0; i < r->n_fixed; i++)
            fprintf(f, md ? " `--set %s`" : " --set %s", r->fixed[i]);
        fputs(".\n", f);
    }
    fputs("\n", f);
    tab_store st = {0};
    tab t;
    bool ok = make_table(r, shown, n_shown, &st, &t);
    if (ok && md)
        tab_write_markdown(f, &t);
    else if (ok)
        tab_write_text(f, &t);
    free_table(&st);
    return !ok ? BS_ERR_INTERNAL : ferror(f) ? BS_ERR_INTERNAL : BS_OK;
}

static void json_list(FILE *f, char *const *l, size_t n)
{
    fputs("[", f);
    for (size_t i = 0; i < n; i++) {
        fputs(i ? ", " : "", f);
        txt_json_string(f, l[i]);
    }
    fputs("]", f);
}

static bs_rc write_json(FILE *f, const swp_result *r)
{
    tab_store st = {0};
    tab t;
    if (!make_table(r, NULL, 0, &st, &t)) {
        free_table(&st);
        return BS_ERR_INTERNAL;
    }
    fputs("{\n  \"scenario\": ", f);
    txt_json_string(f, r->scenario);
    fputs(",\n  \"axes\": ", f);
    json_list(f, r->axes, r->n_axes);
    fputs(",\n  \"fixed\": ", f);
    json_list(f, r->fixed, r->n_fixed);
    fprintf(f, ",\n  \"runs\": %zu,\n  \"points\": ", r->n_runs);
    tab_write_json(f, &t, "  ");
    fputs("\n}\n", f);
    free_table(&st);
    return ferror(f) ? BS_ERR_INTERNAL : BS_OK;
}

static bs_rc write_csv(FILE *f, const swp_result *r)
{
    static const char *const lead_names[] = {"scenario"};
    tab_store st = {0};
    tab t;
    if (!make_table(r, NULL, 0, &st, &t)) {
        free_table(&st);
        return BS_ERR_INTERNAL;
    }
    const char *lead[] = {r->scenario};
    tab_write_csv(f, &t, true, lead_names, lead, 1);
    free_table(&st);
    return ferror(f) ? BS_ERR_INTERNAL : BS_OK;
}

bs_rc swp_write_table(FILE *f, const swp_result *r, swp_format fmt, const met_id *shown,
                      size_t n_shown)
{
    switch (fmt) {
    case SWP_FMT_TEXT: return write_text_or_md(f, r, false, shown, n_shown);
    case SWP_FMT_MARKDOWN: return write_text_or_md(f, r, true, shown, n_shown);
    case SWP_FMT_JSON: return write_json(f, r);
    case SWP_FMT_CSV: return write_csv(f, r);
    }
    return BS_ERR_INTERNAL;
}

/* ---------------------------------------------------------------- plots */

typedef struct table_ctx {
    const swp_result *r;
    swp_format fmt;
    const met_id *shown;
    size_t n_shown;
} table_ctx;

static bs_rc fill_table(FILE *f, void *vctx)
{
    const table_ctx *c = vctx;
    return swp_write_table(f, c->r, c->fmt, c->shown, c->n_shown);
}

bs_rc swp_write_outputs(const char *dir, const swp_result *r, const met_id *shown,
                        size_t n_shown)
{
    static const struct {
        const char *name;
        swp_format fmt;
    } files[] = {{"sweep.txt", SWP_FMT_TEXT},
                 {"sweep.md", SWP_FMT_MARKDOWN},
                 {"sweep.json", SWP_FMT_JSON},
                 {"sweep.csv", SWP_FMT_CSV}};
    char *pdir = fs_path_join(dir, "plots");
    bs_rc rc = pdir ? fs_mkdirs(pdir) : BS_ERR_INTERNAL;
    for (size_t i = 0; rc == BS_OK && i < sizeof files / sizeof files[0]; i++) {
        char *path = fs_path_join(dir, files[i].name);
        table_ctx c = {r, files[i].fmt, shown, n_shown};
        rc = path ? swp_write_file(path, fill_table, &c) : BS_ERR_INTERNAL;
        free(path);
    }
    if (rc == BS_OK)
        rc = plot_write_sweep_scripts(pdir, r, shown, n_shown);
    free(pdir);
    return rc;
}
