/* sweep_result.c -- a sweep's result: runs read back and ordered into
 * points, its tables in every format, and the files of a sweep directory
 * (sweep.h).
 *
 * Every table and plot is built from run directories (see sweep.h), and
 * ordered by the values, never by completion order or -j. */
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
            bs_errf(err, len, "runs of different scenarios (%s and %s) cannot be one table",
                 a->scenario, b->scenario);
            return BS_ERR_INPUT;
        }
        if (a->content != b->content) {
            bs_errf(err, len,
                 "runs %s and %s were made from different versions of scenario %s "
                 "(the file changed between them)",
                 a->id, b->id, a->scenario);
            return BS_ERR_INPUT;
        }
        if (!same_list(a->paths, a->n_axes, b->paths, b->n_axes)) {
            bs_errf(err, len, "runs %s and %s vary different key paths", a->id, b->id);
            return BS_ERR_INPUT;
        }
        if (!same_list(a->fixed, a->n_fixed, b->fixed, b->n_fixed)) {
            bs_errf(err, len, "runs %s and %s were made with different --set/-p", a->id, b->id);
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

static bool same_scope_name(const char *a, const char *b)
{
    return (a == NULL || b == NULL) ? a == b : strcmp(a, b) == 0;
}

size_t swp_result_scope(const swp_result *r, const char *group, const char *window)
{
    if (r->n_scopes == 0) /* a hand-made result: the run only */
        return group == NULL && window == NULL ? 0 : SIZE_MAX;
    for (size_t i = 0; i < r->n_scopes; i++)
        if (same_scope_name(r->scopes[i].group, group) &&
            same_scope_name(r->scopes[i].window, window))
            return i;
    return SIZE_MAX;
}

static bs_rc add_scope_name(swp_result *r, const char *group, const char *window)
{
    if (r->n_scopes > 0 && swp_result_scope(r, group, window) != SIZE_MAX)
        return BS_OK;
    swp_scope *s = realloc(r->scopes, (r->n_scopes + 1) * sizeof *s);
    if (s == NULL)
        return BS_ERR_INTERNAL;
    r->scopes = s;
    swp_scope *n = &s[r->n_scopes];
    n->group = group ? strdup(group) : NULL;
    n->window = window ? strdup(window) : NULL;
    if ((group && !n->group) || (window && !n->window)) {
        free(n->group);
        free(n->window);
        return BS_ERR_INTERNAL;
    }
    r->n_scopes++;
    return BS_OK;
}

/* The scopes of one run of a point, owned: its own, or the run alone for
 * a run read without them. */
static bs_rc run_scopes(const swp_run *run, met_set *out)
{
    if (run->scopes.n > 0)
        return met_set_copy(&run->scopes, out);
    *out = (met_set){0};
    return met_set_add(out, NULL, NULL, &run->m);
}

/* Every scope of a point over its seeds: a seed without the scope (a run
 * of another version) has no values there. */
static bs_rc aggregate_scopes(const swp_result *r, swp_point *p)
{
    p->sm = calloc(r->n_scopes, sizeof *p->sm);
    met_values *vals = malloc(p->n_runs * sizeof *vals);
    bs_rc rc = p->sm && vals ? BS_OK : BS_ERR_INTERNAL;
    for (size_t k = 0; rc == BS_OK && k < r->n_scopes; k++) {
        for (size_t s = 0; s < p->n_runs; s++) {
            const met_values *v = met_set_find(&p->sets[s], r->scopes[k].group,
                                               r->scopes[k].window);
            vals[s] = v ? *v : (met_values){0};
        }
        cmp_aggregate(vals, p->n_runs, p->sm[k]);
    }
    free(vals);
    return rc;
}

bs_rc swp_result_build(const swp_run *runs, size_t n, swp_result *out, char *err, size_t err_len)
{
    *out = (swp_result){0};
    if (n == 0) {
        bs_errf(err, err_len, "no finished runs");
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
    /* The scopes, in table order of the runs that have them: the run first,
     * then summary.json's order (runs of one scenario all have the same,
     * unless a varied path renames a group). */
    if (rc == BS_OK)
        rc = add_scope_name(out, NULL, NULL);
    for (size_t i = 0; rc == BS_OK && i < m; i++)
        for (size_t k = 0; rc == BS_OK && k < refs[i].run->scopes.n; k++)
            rc = add_scope_name(out, refs[i].run->scopes.s[k].group,
                                refs[i].run->scopes.s[k].window);
    for (size_t i = 0; rc == BS_OK && i < m;) {
        size_t j = i + 1;
        while (j < m && memcmp(refs[j].pos, refs[i].pos, na * sizeof *pos) == 0)
            j++;
        swp_point *p = &out->points[out->n_points++];
        p->n_runs = j - i;
        p->pos = malloc((na ? na : 1) * sizeof *p->pos);
        p->seeds = malloc(p->n_runs * sizeof *p->seeds);
        p->runs = malloc(p->n_runs * sizeof *p->runs);
        p->sets = calloc(p->n_runs, sizeof *p->sets);
        if (p->pos == NULL || p->seeds == NULL || p->runs == NULL || p->sets == NULL) {
            rc = BS_ERR_INTERNAL;
            break;
        }
        memcpy(p->pos, refs[i].pos, na * sizeof *pos);
        for (size_t k = i; k < j && rc == BS_OK; k++) {
            p->seeds[k - i] = refs[k].run->seed;
            p->runs[k - i] = refs[k].run->m;
            rc = run_scopes(refs[k].run, &p->sets[k - i]);
        }
        cmp_aggregate(p->runs, p->n_runs, p->m);
        if (rc == BS_OK)
            rc = aggregate_scopes(out, p);
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
        for (size_t s = 0; r->points[p].sets && s < r->points[p].n_runs; s++)
            met_set_free(&r->points[p].sets[s]);
        free(r->points[p].sets);
        free(r->points[p].sm);
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
    for (size_t i = 0; i < r->n_scopes; i++) {
        free(r->scopes[i].group);
        free(r->scopes[i].window);
    }
    free(r->scopes);
    *r = (swp_result){0};
}

const tab_cell *swp_point_cell(const swp_result *r, const swp_point *p, const met_ref *ref)
{
    size_t k = swp_result_scope(r, ref->group, ref->window);
    if (k == SIZE_MAX)
        return NULL;
    return p->sm != NULL ? &p->sm[k][ref->id] : k == 0 ? &p->m[ref->id] : NULL;
}

/* The distinct groups and windows of the result's scopes (borrowed). */
static bs_rc result_names(const swp_result *r, const char ***groups, size_t *ng,
                          const char ***windows, size_t *nw)
{
    size_t cap = r->n_scopes ? r->n_scopes : 1;
    *groups = calloc(cap, sizeof **groups);
    *windows = calloc(cap, sizeof **windows);
    *ng = *nw = 0;
    if (*groups == NULL || *windows == NULL) {
        free(*groups);
        free(*windows);
        return BS_ERR_INTERNAL;
    }
    for (size_t i = 0; i < r->n_scopes; i++) {
        const char *g = r->scopes[i].group, *w = r->scopes[i].window;
        bool have = false;
        for (size_t k = 0; g && k < *ng; k++)
            have = have || strcmp((*groups)[k], g) == 0;
        if (g && !have)
            (*groups)[(*ng)++] = g;
        have = false;
        for (size_t k = 0; w && k < *nw; k++)
            have = have || strcmp((*windows)[k], w) == 0;
        if (w && !have)
            (*windows)[(*nw)++] = w;
    }
    return BS_OK;
}

bs_rc swp_result_check_ref(const swp_result *r, const met_ref *ref, char *err, size_t err_len)
{
    const char **g, **w;
    size_t ng, nw;
    if (result_names(r, &g, &ng, &w, &nw) != BS_OK)
        return BS_ERR_INTERNAL;
    bs_rc rc = met_ref_check(ref, g, ng, w, nw, err, err_len);
    free(g);
    free(w);
    return rc;
}

bool swp_result_has_scope_rows(const swp_result *r)
{
    size_t groups = 0;
    for (size_t i = 0; i < r->n_scopes; i++) {
        if (r->scopes[i].window != NULL)
            return true;
        groups += r->scopes[i].group != NULL;
    }
    return groups >= 2;
}

bs_rc swp_scen_names(const scen *sc, const char ***groups, size_t *n_groups,
                     const char ***windows, size_t *n_windows)
{
    *groups = calloc(sc->n_groups ? sc->n_groups : 1, sizeof **groups);
    *windows = calloc(sc->n_windows ? sc->n_windows : 1, sizeof **windows);
    if (*groups == NULL || *windows == NULL) {
        free(*groups);
        free(*windows);
        return BS_ERR_INTERNAL;
    }
    for (size_t i = 0; i < sc->n_groups; i++)
        (*groups)[i] = sc->groups[i].name;
    for (size_t i = 0; i < sc->n_windows; i++)
        (*windows)[i] = sc->windows[i].name;
    *n_groups = sc->n_groups;
    *n_windows = sc->n_windows;
    return BS_OK;
}

bs_rc swp_check_metrics(const met_ref *m, size_t n, const scen *sc, char *err, size_t err_len)
{
    const char **g, **w;
    size_t ng, nw;
    if (swp_scen_names(sc, &g, &ng, &w, &nw) != BS_OK)
        return BS_ERR_INTERNAL;
    bs_rc rc = BS_OK;
    for (size_t i = 0; rc == BS_OK && i < n; i++)
        rc = met_ref_check(&m[i], g, ng, w, nw, err, err_len);
    free(g);
    free(w);
    return rc;
}

/* ---------------------------------------------------------------- tables */

static const met_id default_metrics[] = {
    MET_GUEST_OOM_KILLS,       MET_HOST_OOM_KILLS, MET_STALL_S,
    MET_STALL_P99,             MET_BALLOON_TRAFFIC_BYTES, MET_MEAN_HOST_USED_FRACTION,
    MET_OVERCOMMIT_RATIO,
};

size_t swp_default_metrics(met_ref out[SWP_MAX_SHOWN])
{
    size_t n = sizeof default_metrics / sizeof default_metrics[0];
    for (size_t i = 0; i < n; i++)
        out[i] = (met_ref){.id = default_metrics[i]};
    return n;
}

void swp_metrics_free(met_ref *m, size_t n)
{
    for (size_t i = 0; i < n; i++)
        met_ref_free(&m[i]);
}

static bool same_ref(const met_ref *a, const met_ref *b)
{
    return a->id == b->id && same_scope_name(a->group, b->group) &&
           same_scope_name(a->window, b->window);
}

bs_rc swp_parse_metrics(const char *text, met_ref out[SWP_MAX_SHOWN], size_t *n, char *err,
                        size_t err_len)
{
    met_ref got[SWP_MAX_SHOWN];
    size_t k = 0;
    const char *p = text;
    bs_rc rc = BS_OK;
    while (rc == BS_OK) {
        const char *c = strchr(p, ',');
        size_t len = c ? (size_t)(c - p) : strlen(p);
        met_ref ref;
        char why[256];
        rc = met_ref_parse(p, len, &ref, why, sizeof why);
        if (rc == BS_ERR_INPUT)
            bs_errf(err, err_len, "%s (see docs/outputs.md for the names)", why);
        if (rc != BS_OK)
            break;
        bool dup = false;
        for (size_t i = 0; i < k; i++)
            dup = dup || same_ref(&got[i], &ref);
        if (dup) {
            met_ref_free(&ref);
        } else if (k == SWP_MAX_SHOWN) {
            met_ref_free(&ref);
            bs_errf(err, err_len, "more than %d metrics", SWP_MAX_SHOWN);
            rc = BS_ERR_INPUT;
            break;
        } else {
            got[k++] = ref;
        }
        if (c == NULL)
            break;
        p = c + 1;
    }
    if (rc != BS_OK) {
        swp_metrics_free(got, k);
        return rc;
    }
    swp_metrics_free(out, *n);
    memcpy(out, got, k * sizeof *got);
    *n = k;
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

/* "db", "@peak", "db@peak": a scope as the names of expressions write it. */
static void scope_text(const swp_scope *s, char *buf, size_t len)
{
    snprintf(buf, len, "%s%s%s", s->group ? s->group : "", s->window ? "@" : "",
             s->window ? s->window : "");
}

/* One row of a table: a point, in one scope. */
typedef struct row_ref {
    size_t point, scope;
} row_ref;

/* One value column: a metric, of a fixed scope or (scope SIZE_MAX) of the
 * row's; `none` when the scope a name asks for does not exist. */
typedef struct col_ref {
    met_id id;
    size_t scope;
    bool none;
    char name[192];
} col_ref;

typedef enum key_style { KEYS_PLAIN, KEYS_SCOPE, KEYS_GROUP_WINDOW } key_style;

/* The table of r: rows and columns as given, keys the axes, the scope (one
 * "scope" column or "group" and "window") and "runs". */
typedef struct tab_store {
    const char *key_names[SWP_MAX_AXES + 3];
    bool key_numeric[SWP_MAX_AXES + 3];
    const char **col_names;
    const char **keys;
    char (*runs)[24];
    char (*scope)[160];
    tab_cell *cells;
} tab_store;

static const tab_cell empty_cell = {.mean = NAN, .ci95 = NAN, .n = 0};

static const tab_cell *cell_of(const swp_result *r, row_ref row, const col_ref *c)
{
    const swp_point *pt = &r->points[row.point];
    if (c->none)
        return &empty_cell;
    size_t k = c->scope == SIZE_MAX ? row.scope : c->scope;
    if (pt->sm != NULL)
        return &pt->sm[k][c->id];
    return k == 0 ? &pt->m[c->id] : &empty_cell;
}

static bool make_table(const swp_result *r, const row_ref *rows, size_t nr, const col_ref *cols,
                       size_t nc, key_style style, tab_store *st, tab *t)
{
    assert(r->n_axes <= SWP_MAX_AXES);
    size_t ns = style == KEYS_PLAIN ? 0 : style == KEYS_SCOPE ? 1 : 2;
    size_t nk = r->n_axes + ns + 1;
    st->keys = calloc((nr ? nr : 1) * nk, sizeof *st->keys);
    st->runs = calloc(nr ? nr : 1, sizeof *st->runs);
    st->scope = calloc(nr ? nr : 1, sizeof *st->scope);
    st->cells = calloc((nr ? nr : 1) * (nc ? nc : 1), sizeof *st->cells);
    st->col_names = calloc(nc ? nc : 1, sizeof *st->col_names);
    if (!st->keys || !st->runs || !st->scope || !st->cells || !st->col_names)
        return false;
    for (size_t a = 0; a < r->n_axes; a++) {
        st->key_names[a] = r->axes[a];
        bool num = r->kinds[a] == SWP_NUMBER;
        for (size_t i = 0; num && i < r->n_values[a]; i++)
            num = json_number_text(r->values[a][i]);
        st->key_numeric[a] = num;
    }
    if (style == KEYS_SCOPE) {
        st->key_names[r->n_axes] = "scope";
    } else if (style == KEYS_GROUP_WINDOW) {
        st->key_names[r->n_axes] = "group";
        st->key_names[r->n_axes + 1] = "window";
    }
    st->key_names[nk - 1] = "runs";
    st->key_numeric[nk - 1] = true;
    for (size_t c = 0; c < nc; c++)
        st->col_names[c] = cols[c].name;
    for (size_t i = 0; i < nr; i++) {
        const swp_point *pt = &r->points[rows[i].point];
        const swp_scope *sc = r->n_scopes ? &r->scopes[rows[i].scope] : NULL;
        for (size_t a = 0; a < r->n_axes; a++)
            st->keys[i * nk + a] = r->values[a][pt->pos[a]];
        if (style == KEYS_SCOPE) {
            if (sc)
                scope_text(sc, st->scope[i], sizeof st->scope[i]);
            st->keys[i * nk + r->n_axes] = st->scope[i];
        } else if (style == KEYS_GROUP_WINDOW) {
            st->keys[i * nk + r->n_axes] = sc && sc->group ? sc->group : "";
            st->keys[i * nk + r->n_axes + 1] = sc && sc->window ? sc->window : "";
        }
        snprintf(st->runs[i], sizeof st->runs[i], "%zu", pt->n_runs);
        st->keys[i * nk + nk - 1] = st->runs[i];
        for (size_t c = 0; c < nc; c++)
            st->cells[i * nc + c] = *cell_of(r, rows[i], &cols[c]);
    }
    *t = (tab){.n_keys = nk,
               .n_cols = nc,
               .n_rows = nr,
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
    free(st->scope);
    free(st->cells);
    free(st->col_names);
}

/* Rows: every point in scope 0 (`which` 0), in every scope but the run (1)
 * or in every scope, the run first (2); caller frees. */
static row_ref *rows_of(const swp_result *r, int which, size_t *n)
{
    size_t ns = r->n_scopes ? r->n_scopes : 1;
    size_t per = which == 0 ? 1 : which == 1 ? ns - 1 : ns;
    row_ref *rows = malloc((r->n_points * per > 0 ? r->n_points * per : 1) * sizeof *rows);
    *n = 0;
    for (size_t p = 0; rows && p < r->n_points; p++)
        for (size_t k = which == 1 ? 1 : 0; k < (which == 0 ? 1 : ns); k++)
            rows[(*n)++] = (row_ref){p, k};
    return rows;
}

/* Every metric, each of the row's scope. */
static col_ref *all_columns(void)
{
    col_ref *c = calloc(MET_COUNT, sizeof *c);
    for (int id = 0; c && id < MET_COUNT; id++) {
        c[id] = (col_ref){.id = (met_id)id, .scope = SIZE_MAX};
        snprintf(c[id].name, sizeof c[id].name, "%s", met_info_get((met_id)id)->name);
    }
    return c;
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

static bs_rc write_tab(FILE *f, const swp_result *r, bool md, const row_ref *rows, size_t nr,
                       const col_ref *cols, size_t nc, key_style style)
{
    tab_store st = {0};
    tab t;
    bool ok = make_table(r, rows, nr, cols, nc, style, &st, &t);
    if (ok && md)
        tab_write_markdown(f, &t);
    else if (ok)
        tab_write_text(f, &t);
    free_table(&st);
    return ok ? BS_OK : BS_ERR_INTERNAL;
}

/* The per-group and per-window table of text and markdown: the shown
 * metrics (their metric, whatever scope they name) in every scope but the
 * run, without the columns no scope has a value of (a group has no host
 * metrics). */
static bs_rc write_scope_rows(FILE *f, const swp_result *r, bool md, const met_ref *shown,
                              size_t n_shown)
{
    col_ref *cols = calloc(n_shown ? n_shown : 1, sizeof *cols);
    size_t nr = 0, nc = 0;
    row_ref *rows = rows_of(r, 1, &nr);
    bs_rc rc = cols && rows ? BS_OK : BS_ERR_INTERNAL;
    for (size_t i = 0; rc == BS_OK && i < n_shown; i++) {
        bool dup = false, any = false;
        for (size_t c = 0; c < nc; c++)
            dup = dup || cols[c].id == shown[i].id;
        col_ref c = {.id = shown[i].id, .scope = SIZE_MAX};
        for (size_t k = 0; !dup && !any && k < nr; k++)
            any = cell_of(r, rows[k], &c)->n > 0;
        if (dup || !any)
            continue;
        snprintf(c.name, sizeof c.name, "%s", met_info_get(c.id)->name);
        cols[nc++] = c;
    }
    if (rc == BS_OK && nc > 0) {
        fputs(md ? "\nPer group and window (scope `GROUP`, `@WINDOW` or `GROUP@WINDOW`):\n\n"
                 : "\nPer group and window (scope GROUP, @WINDOW or GROUP@WINDOW):\n\n",
              f);
        rc = write_tab(f, r, md, rows, nr, cols, nc, KEYS_SCOPE);
    }
    free(cols);
    free(rows);
    return rc;
}

static bs_rc write_text_or_md(FILE *f, const swp_result *r, bool md, const met_ref *shown,
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
    /* The run table: each shown name from its own scope. */
    col_ref *cols = calloc(n_shown ? n_shown : 1, sizeof *cols);
    size_t nr = 0;
    row_ref *rows = rows_of(r, 0, &nr);
    bs_rc rc = cols && rows ? BS_OK : BS_ERR_INTERNAL;
    for (size_t i = 0; rc == BS_OK && i < n_shown; i++) {
        size_t k = swp_result_scope(r, shown[i].group, shown[i].window);
        cols[i] = (col_ref){.id = shown[i].id, .scope = k, .none = k == SIZE_MAX};
        met_ref_text(&shown[i], cols[i].name, sizeof cols[i].name);
    }
    if (rc == BS_OK)
        rc = write_tab(f, r, md, rows, nr, cols, n_shown, KEYS_PLAIN);
    free(cols);
    free(rows);
    if (rc == BS_OK && swp_result_has_scope_rows(r))
        rc = write_scope_rows(f, r, md, shown, n_shown);
    return rc != BS_OK ? rc : ferror(f) ? BS_ERR_INTERNAL : BS_OK;
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


/* "scopes": every point in every group and window, keyed as "points" are
 * plus "group" and "window" (null: all); every metric. */
static void write_json_scopes(FILE *f, const swp_result *r, const tab *t, const row_ref *rows,
                              size_t nr, const col_ref *cols)
{
    if (nr == 0) {
        fputs("[]", f);
        return;
    }
    fputs("[", f);
    for (size_t i = 0; i < nr; i++) {
        const swp_point *pt = &r->points[rows[i].point];
        const swp_scope *sc = &r->scopes[rows[i].scope];
        fprintf(f, "%s\n    {", i ? "," : "");
        for (size_t a = 0; a < r->n_axes; a++) {
            fputs("\n      ", f);
            txt_json_string(f, r->axes[a]);
            fputs(": ", f);
            const char *v = r->values[a][pt->pos[a]];
            if (t->key_numeric[a])
                fputs(v, f);
            else
                txt_json_string(f, v);
            putc(',', f);
        }
        fputs("\n      \"group\": ", f);
        if (sc->group)
            txt_json_string(f, sc->group);
        else
            fputs("null", f);
        fputs(",\n      \"window\": ", f);
        if (sc->window)
            txt_json_string(f, sc->window);
        else
            fputs("null", f);
        fprintf(f, ",\n      \"runs\": %zu,\n      \"metrics\": {", pt->n_runs);
        for (size_t c = 0; c < MET_COUNT; c++) {
            const tab_cell *x = cell_of(r, rows[i], &cols[c]);
            fprintf(f, "%s\n        ", c ? "," : "");
            txt_json_string(f, cols[c].name);
            fputs(": {\"mean\": ", f);
            txt_json_number(f, x->n > 0 ? x->mean : NAN);
            fputs(", \"ci95\": ", f);
            txt_json_number(f, x->n > 0 ? x->ci95 : NAN);
            fprintf(f, ", \"n\": %zu}", x->n);
        }
        fputs("\n      }\n    }", f);
    }
    fputs("\n  ]", f);
}

static bs_rc write_json(FILE *f, const swp_result *r)
{
    tab_store st = {0};
    tab t;
    size_t nr = 0, ns = 0;
    row_ref *rows = rows_of(r, 0, &nr), *srows = rows_of(r, 1, &ns);
    col_ref *cols = all_columns();
    bool ok = rows && srows && cols && make_table(r, rows, nr, cols, MET_COUNT, KEYS_PLAIN, &st, &t);
    if (ok) {
        fputs("{\n  \"scenario\": ", f);
        txt_json_string(f, r->scenario);
        fputs(",\n  \"axes\": ", f);
        json_list(f, r->axes, r->n_axes);
        fputs(",\n  \"fixed\": ", f);
        json_list(f, r->fixed, r->n_fixed);
        fprintf(f, ",\n  \"runs\": %zu,\n  \"points\": ", r->n_runs);
        tab_write_json(f, &t, "  ");
        fputs(",\n  \"scopes\": ", f);
        write_json_scopes(f, r, &t, srows, ns, cols);
        fputs("\n}\n", f);
    }
    free_table(&st);
    free(rows);
    free(srows);
    free(cols);
    return !ok ? BS_ERR_INTERNAL : ferror(f) ? BS_ERR_INTERNAL : BS_OK;
}

/* One row per point and scope, the run's first: the scope's "group" and
 * "window" columns are empty for the run. */
static bs_rc write_csv(FILE *f, const swp_result *r)
{
    static const char *const lead_names[] = {"scenario"};
    tab_store st = {0};
    tab t;
    size_t nr = 0;
    row_ref *rows = rows_of(r, 2, &nr);
    col_ref *cols = all_columns();
    bool ok = rows && cols &&
              make_table(r, rows, nr, cols, MET_COUNT, KEYS_GROUP_WINDOW, &st, &t);
    if (ok) {
        const char *lead[] = {r->scenario};
        tab_write_csv(f, &t, true, lead_names, lead, 1);
    }
    free_table(&st);
    free(rows);
    free(cols);
    return !ok ? BS_ERR_INTERNAL : ferror(f) ? BS_ERR_INTERNAL : BS_OK;
}

bs_rc swp_write_table(FILE *f, const swp_result *r, swp_format fmt, const met_ref *shown,
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
    const met_ref *shown;
    size_t n_shown;
} table_ctx;

static bs_rc fill_table(FILE *f, void *vctx)
{
    const table_ctx *c = vctx;
    return swp_write_table(f, c->r, c->fmt, c->shown, c->n_shown);
}

bs_rc swp_write_outputs(const char *dir, const swp_result *r, const met_ref *shown,
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
