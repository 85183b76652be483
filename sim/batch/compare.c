/* compare.c -- aggregation, ranking and tables of
 * `balloonsim compare` (compare.h).
 *
 * Why it looks like this:
 * - The report holds only results (no timings, no -j, no paths of run
 *   directories), so every format is a pure function of it and is
 *   byte-identical however the runs were scheduled.
 * - compare.json doubles as the baseline format; reading it back and
 *   --fail-if live in baseline.c, so this file only builds and writes.
 * - Ranking is lexicographic on criteria of means; a criterion that sums
 *   metrics ("guest_oom_kills+host_oom_kills") lets the default objective
 *   be written in the same syntax as --rank-by.  A mean that does not exist
 *   ranks last (nothing measured is not better than something measured).
 * - Groups and windows (cli.md) are scopes of a result with the same cells
 *   as the run, matched by name (never by position) when aggregated, and
 *   ranked each on its own; the run keeps its cells in cmp_result.m so that
 *   everything that only knows the run (sweep, old baselines) is unchanged.
 *   A scenario's groups and windows are not stored apart: they are the
 *   union over its results, so a loaded baseline needs nothing more.
 * - json nests the scopes as summary.json does (groups; windows with their
 *   groups) beside the run's "results", which keep their old layout, so a
 *   baseline written before groups existed still loads. */
#include "sim/batch/compare.h"
#include "sim/base/text.h"

#include "sim/report/output.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Columns of the text and markdown tables: the metrics a reviewer looks at
 * first (the json and csv tables carry all of them). */
static const met_id main_metrics[] = {
    MET_GUEST_OOM_KILLS,        MET_HOST_OOM_KILLS,
    MET_STALL_S,                MET_STALL_P99,
    MET_BALLOON_TRAFFIC_BYTES,  MET_TARGET_REVERSALS_PER_VM_HOUR,
    MET_FAIRNESS,
};
#define N_MAIN (sizeof main_metrics / sizeof main_metrics[0])

/* ---------------------------------------------------------------- keys */

void cmp_default_keys(cmp_key keys[CMP_MAX_KEYS], size_t *n)
{
    keys[0] = (cmp_key){.refs = {{.id = MET_GUEST_OOM_KILLS}, {.id = MET_HOST_OOM_KILLS}}, .n = 2};
    keys[1] = (cmp_key){.refs = {{.id = MET_STALL_S}}, .n = 1};
    keys[2] = (cmp_key){.refs = {{.id = MET_BALLOON_TRAFFIC_BYTES}}, .n = 1};
    *n = 3;
}

void cmp_keys_free(cmp_key *keys, size_t n)
{
    for (size_t k = 0; keys && k < n; k++) {
        for (size_t i = 0; i < keys[k].n; i++)
            met_ref_free(&keys[k].refs[i]);
        keys[k].n = 0;
    }
}

bs_rc cmp_keys_copy(const cmp_key *src, size_t n, cmp_key *dst)
{
    for (size_t k = 0; k < n; k++) {
        dst[k] = (cmp_key){.n = 0, .higher_better = src[k].higher_better};
        for (size_t i = 0; i < src[k].n; i++) {
            if (met_ref_copy(&src[k].refs[i], &dst[k].refs[i]) != BS_OK) {
                cmp_keys_free(dst, k + 1);
                return BS_ERR_INTERNAL;
            }
            dst[k].n = i + 1;
        }
    }
    return BS_OK;
}

bs_rc cmp_keys_check(const cmp_key *keys, size_t n, const char *const *groups, size_t n_groups,
                     const char *const *windows, size_t n_windows, char *err, size_t err_len)
{
    for (size_t k = 0; k < n; k++)
        for (size_t i = 0; i < keys[k].n; i++)
            if (met_ref_check(&keys[k].refs[i], groups, n_groups, windows, n_windows, err,
                              err_len) != BS_OK)
                return BS_ERR_INPUT;
    return BS_OK;
}

static void key_error(char *err, size_t len, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void key_error(char *err, size_t len, size_t at, const char *fmt, ...)
{
    int k = snprintf(err, len, "column %zu: ", at + 1);
    if (k < 0 || (size_t)k >= len)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err + k, len - (size_t)k, fmt, ap);
    va_end(ap);
}

/* A character of a scoped name after its first: group and window names
 * are letters, digits, '-' and '_' (scenario.md). */
static bool name_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '.' || c == '@' || c == '-';
}

static bs_rc parse_rank_by(const char *text, cmp_key keys[CMP_MAX_KEYS], size_t *n, char *err,
                           size_t err_len)
{
    size_t pos = 0;
    while (true) {
        if (*n == CMP_MAX_KEYS) {
            key_error(err, err_len, pos, "more than %d criteria", CMP_MAX_KEYS);
            return BS_ERR_INPUT;
        }
        cmp_key *k = &keys[*n];
        *k = (cmp_key){.n = 0};
        (*n)++; /* counted now so that an error frees what it holds */
        while (text[pos] == ' ')
            pos++;
        if (text[pos] == '-') {
            k->higher_better = true;
            pos++;
        }
        while (true) {
            while (text[pos] == ' ')
                pos++;
            size_t start = pos;
            if (isalnum((unsigned char)text[pos]) || text[pos] == '_')
                while (name_char(text[pos]))
                    pos++;
            if (pos == start) {
                if (text[pos])
                    key_error(err, err_len, pos, "expected a metric name, found '%c'", text[pos]);
                else
                    key_error(err, err_len, pos, "expected a metric name, found the end");
                return BS_ERR_INPUT;
            }
            if (k->n == CMP_KEY_MAX_METRICS) {
                key_error(err, err_len, start, "more than %d metrics in one sum",
                          CMP_KEY_MAX_METRICS);
                return BS_ERR_INPUT;
            }
            char why[256];
            bs_rc rc = met_ref_parse(text + start, pos - start, &k->refs[k->n], why, sizeof why);
            if (rc != BS_OK) {
                if (rc == BS_ERR_INPUT)
                    key_error(err, err_len, start, "%s", why);
                else
                    snprintf(err, err_len, "out of memory");
                return rc;
            }
            k->n++;
            while (text[pos] == ' ')
                pos++;
            if (text[pos] != '+')
                break;
            pos++;
        }
        if (text[pos] == '\0')
            return BS_OK;
        if (text[pos] != ',') {
            key_error(err, err_len, pos, "expected ',', '+' or the end, found '%c'", text[pos]);
            return BS_ERR_INPUT;
        }
        pos++;
    }
}

bs_rc cmp_parse_rank_by(const char *text, cmp_key keys[CMP_MAX_KEYS], size_t *n, char *err,
                        size_t err_len)
{
    if (err_len)
        err[0] = '\0';
    *n = 0;
    bs_rc rc = parse_rank_by(text, keys, n, err, err_len);
    if (rc != BS_OK) {
        cmp_keys_free(keys, *n);
        *n = 0;
    }
    return rc;
}

void cmp_key_text(const cmp_key *k, char *buf, size_t len)
{
    size_t used = 0;
    if (len == 0)
        return;
    buf[0] = '\0';
    if (k->higher_better)
        used += (size_t)snprintf(buf, len, "-");
    for (size_t i = 0; i < k->n && used < len; i++) {
        char name[256];
        met_ref_text(&k->refs[i], name, sizeof name);
        used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? "+" : "", name);
    }
}

/* ---------------------------------------------------------------- report */

void cmp_aggregate(const met_values *runs, size_t n, tab_cell out[MET_COUNT])
{
    double *x = n ? malloc(n * sizeof *x) : NULL;
    for (int id = 0; id < MET_COUNT; id++) {
        size_t k = 0;
        for (size_t i = 0; i < n && x; i++)
            if (runs[i].present[id] && isfinite(runs[i].v[id]))
                x[k++] = runs[i].v[id];
        out[id] = (tab_cell){.mean = NAN, .ci95 = NAN, .n = k};
        if (k > 0)
            met_mean_ci95(x, k, &out[id].mean, &out[id].ci95);
        /* Equal values: exactly that value and no spread (the summed mean
         * can be an ulp off, which would print as "± 6e-18").  Values that
         * differ only in their last bits (the same rate computed along two
         * paths) have a half-width of rounding noise: below 1e-12 of the
         * mean it is reported as 0. */
        bool equal = k > 0;
        for (size_t i = 1; i < k && equal; i++)
            equal = x[i] == x[0];
        if (equal) {
            out[id].mean = x[0];
            out[id].ci95 = k > 1 ? 0.0 : NAN;
        } else if (k > 1 && out[id].ci95 <= 1e-12 * fabs(out[id].mean)) {
            out[id].ci95 = 0.0;
        }
    }
    free(x);
}

static bool same_name(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

bs_rc cmp_result_add_scope(cmp_result *res, const char *group, const char *window,
                           cmp_cells **out)
{
    cmp_cells *ns = realloc(res->scopes, (res->n_scopes + 1) * sizeof *ns);
    if (ns == NULL)
        return BS_ERR_INTERNAL;
    res->scopes = ns;
    cmp_cells *c = &ns[res->n_scopes];
    *c = (cmp_cells){.group = group ? strdup(group) : NULL,
                     .window = window ? strdup(window) : NULL};
    if ((group && c->group == NULL) || (window && c->window == NULL)) {
        free(c->group);
        free(c->window);
        return BS_ERR_INTERNAL;
    }
    cmp_empty_cells(c->m);
    res->n_scopes++;
    if (out)
        *out = c;
    return BS_OK;
}

static void free_scopes(cmp_result *res)
{
    for (size_t i = 0; i < res->n_scopes; i++) {
        free(res->scopes[i].group);
        free(res->scopes[i].window);
    }
    free(res->scopes);
    res->scopes = NULL;
    res->n_scopes = 0;
}

static cmp_cells *find_cells(const cmp_result *res, const char *group, const char *window)
{
    for (size_t i = 0; i < res->n_scopes; i++)
        if (same_name(res->scopes[i].group, group) && same_name(res->scopes[i].window, window))
            return &res->scopes[i];
    return NULL;
}

const tab_cell *cmp_cells_of(const cmp_result *res, const char *group, const char *window)
{
    if (group == NULL && window == NULL)
        return res->m;
    const cmp_cells *c = find_cells(res, group, window);
    return c ? c->m : NULL;
}

bs_rc cmp_aggregate_scopes(const met_set *runs, size_t n, cmp_result *res)
{
    free_scopes(res);
    met_values *vals = malloc((n ? n : 1) * sizeof *vals);
    if (vals == NULL)
        return BS_ERR_INTERNAL;
    bs_rc rc = BS_OK;
    /* the union of the runs' scopes, in order of first appearance */
    for (size_t r = 0; r < n && rc == BS_OK; r++) {
        for (size_t i = 0; i < runs[r].n && rc == BS_OK; i++) {
            const met_scope *sc = &runs[r].s[i];
            if ((sc->group == NULL && sc->window == NULL) || find_cells(res, sc->group, sc->window))
                continue;
            cmp_cells *c = NULL;
            rc = cmp_result_add_scope(res, sc->group, sc->window, &c);
            if (rc != BS_OK)
                break;
            for (size_t k = 0; k < n; k++) {
                const met_values *v = met_set_find(&runs[k], sc->group, sc->window);
                if (v)
                    vals[k] = *v;
                else
                    memset(&vals[k], 0, sizeof vals[k]); /* absent: null */
            }
            cmp_aggregate(vals, n, c->m);
            c->runs = n;
        }
    }
    free(vals);
    if (rc != BS_OK)
        free_scopes(res);
    return rc;
}

static bool add_name(const char ***list, size_t *n, const char *name)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*list)[i], name) == 0)
            return true;
    const char **nl = realloc(*list, (*n + 1) * sizeof *nl);
    if (nl == NULL)
        return false;
    nl[(*n)++] = name;
    *list = nl;
    return true;
}

bs_rc cmp_scenario_names(const cmp_scenario *sc, cmp_names *out)
{
    *out = (cmp_names){0};
    bool ok = true;
    for (size_t p = 0; p < sc->n_results && ok; p++)
        for (size_t i = 0; i < sc->results[p].n_scopes && ok; i++) {
            const cmp_cells *c = &sc->results[p].scopes[i];
            if (c->group)
                ok = add_name(&out->groups, &out->n_groups, c->group);
            if (ok && c->window)
                ok = add_name(&out->windows, &out->n_windows, c->window);
        }
    if (!ok) {
        cmp_names_free(out);
        return BS_ERR_INTERNAL;
    }
    return BS_OK;
}

void cmp_names_free(cmp_names *n)
{
    free(n->groups);
    free(n->windows);
    *n = (cmp_names){0};
}

static char *dup_or_null(const char *s, bool *ok)
{
    if (s == NULL)
        return NULL;
    char *d = strdup(s);
    if (d == NULL)
        *ok = false;
    return d;
}

static char **dup_list(const char *const *src, size_t n, bool *ok)
{
    char **d = calloc(n ? n : 1, sizeof *d);
    if (d == NULL) {
        *ok = false;
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        d[i] = dup_or_null(src[i], ok);
    return d;
}

static void free_list(char **l, size_t n)
{
    if (l == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        free(l[i]);
    free(l);
}

void cmp_empty_cells(tab_cell m[MET_COUNT])
{
    for (int id = 0; id < MET_COUNT; id++)
        m[id] = (tab_cell){.mean = NAN, .ci95 = NAN, .n = 0};
}

cmp_report *cmp_report_new(const uint64_t *seeds, size_t n_seeds, const char *const *policies,
                           size_t n_policies, const cmp_key *keys, size_t n_keys,
                           const char *const *sets, size_t n_sets,
                           const char *const *scenario_names, const char *const *scenario_files,
                           size_t n_scenarios)
{
    assert(n_keys <= CMP_MAX_KEYS);
    cmp_report *r = calloc(1, sizeof *r);
    if (r == NULL)
        return NULL;
    bool ok = true;
    r->version = dup_or_null(BS_VERSION, &ok);
    r->seeds = calloc(n_seeds ? n_seeds : 1, sizeof *r->seeds);
    ok = ok && r->seeds != NULL;
    if (r->seeds && n_seeds)
        memcpy(r->seeds, seeds, n_seeds * sizeof *seeds);
    r->n_seeds = n_seeds;
    r->policies = dup_list(policies, n_policies, &ok);
    r->n_policies = r->policies ? n_policies : 0;
    if (ok && cmp_keys_copy(keys, n_keys, r->keys) == BS_OK)
        r->n_keys = n_keys;
    else
        ok = false;
    r->sets = dup_list(sets, n_sets, &ok);
    r->n_sets = r->sets ? n_sets : 0;
    r->scenarios = calloc(n_scenarios ? n_scenarios : 1, sizeof *r->scenarios);
    ok = ok && r->scenarios != NULL;
    for (size_t s = 0; ok && s < n_scenarios; s++) {
        cmp_scenario *sc = &r->scenarios[s];
        r->n_scenarios = s + 1;
        sc->name = dup_or_null(scenario_names[s], &ok);
        sc->file = dup_or_null(scenario_files ? scenario_files[s] : scenario_names[s], &ok);
        sc->results = calloc(n_policies ? n_policies : 1, sizeof *sc->results);
        if (sc->results == NULL) {
            ok = false;
            break;
        }
        sc->n_results = n_policies;
        for (size_t p = 0; p < n_policies; p++) {
            sc->results[p].policy = dup_or_null(policies[p], &ok);
            cmp_empty_cells(sc->results[p].m);
        }
    }
    if (!ok) {
        cmp_report_free(r);
        return NULL;
    }
    return r;
}

void cmp_report_free(cmp_report *r)
{
    if (r == NULL)
        return;
    for (size_t s = 0; s < r->n_scenarios; s++) {
        cmp_scenario *sc = &r->scenarios[s];
        for (size_t p = 0; p < sc->n_results && sc->results; p++) {
            free(sc->results[p].policy);
            free_scopes(&sc->results[p]);
        }
        free(sc->results);
        free(sc->name);
        free(sc->file);
    }
    free(r->scenarios);
    free_list(r->policies, r->n_policies);
    free_list(r->sets, r->n_sets);
    cmp_keys_free(r->keys, r->n_keys);
    free(r->seeds);
    free(r->version);
    free(r);
}

const cmp_scenario *cmp_find_scenario(const cmp_report *r, const char *name)
{
    for (size_t s = 0; r && s < r->n_scenarios; s++)
        if (strcmp(r->scenarios[s].name, name) == 0)
            return &r->scenarios[s];
    return NULL;
}

const cmp_result *cmp_find_result(const cmp_scenario *s, const char *policy)
{
    for (size_t p = 0; s && p < s->n_results; p++)
        if (strcmp(s->results[p].policy, policy) == 0)
            return &s->results[p];
    return NULL;
}

static void cells_means(const tab_cell *m, met_values *out)
{
    for (int id = 0; id < MET_COUNT; id++) {
        out->present[id] = m[id].n > 0 && isfinite(m[id].mean);
        out->v[id] = out->present[id] ? m[id].mean : 0;
    }
}

void cmp_means(const cmp_result *res, met_values *out)
{
    cells_means(res->m, out);
}

bs_rc cmp_means_set(const cmp_result *res, met_set *out)
{
    *out = (met_set){0};
    met_values v;
    cells_means(res->m, &v);
    bs_rc rc = met_set_add(out, NULL, NULL, &v);
    for (size_t i = 0; rc == BS_OK && i < res->n_scopes; i++) {
        cells_means(res->scopes[i].m, &v);
        rc = met_set_add(out, res->scopes[i].group, res->scopes[i].window, &v);
    }
    if (rc != BS_OK)
        met_set_free(out);
    return rc;
}

void cmp_safe_name(char *dst, size_t cap, const char *name)
{
    assert(cap > 1);
    size_t n = 0;
    for (const char *p = name; *p && n + 1 < cap; p++)
        dst[n++] = *p == '/' ? '_' : *p;
    dst[n] = '\0';
    if (strcmp(dst, "") == 0 || strcmp(dst, ".") == 0 || strcmp(dst, "..") == 0)
        snprintf(dst, cap, "_");
}

char *cmp_run_dir(const char *dir, const char *scenario, const char *policy, uint64_t seed)
{
    char s[256], p[128];
    cmp_safe_name(s, sizeof s, scenario);
    cmp_safe_name(p, sizeof p, policy);
    size_t ld = strlen(dir), len = ld + strlen(s) + strlen(p) + 40;
    char *path = malloc(len);
    if (path)
        snprintf(path, len, "%s%s%s/%s-s%" PRIu64, dir, ld && dir[ld - 1] == '/' ? "" : "/", s, p,
                 seed);
    return path;
}

/* ---------------------------------------------------------------- ranking */

/* The criterion's value for the scope (group, window) of a result: a
 * metric's own group or window wins, the scope's fills the rest (compare.h).
 * False when a mean in it does not exist. */
static bool key_value(const cmp_key *k, const cmp_result *res, const char *group,
                      const char *window, double *v)
{
    double sum = 0;
    for (size_t i = 0; i < k->n; i++) {
        const met_ref *ref = &k->refs[i];
        const tab_cell *m = cmp_cells_of(res, ref->group ? ref->group : group,
                                         ref->window ? ref->window : window);
        if (m == NULL)
            return false;
        const tab_cell *c = &m[ref->id];
        if (c->n == 0 || !isfinite(c->mean))
            return false;
        sum += c->mean;
    }
    *v = k->higher_better ? -sum : sum;
    return true;
}

/* <0 when a is better than b in that scope, 0 when they tie on every
 * criterion. */
static int compare_results(const cmp_report *r, const cmp_result *a, const cmp_result *b,
                           const char *group, const char *window)
{
    for (size_t k = 0; k < r->n_keys; k++) {
        double va = 0, vb = 0;
        bool ha = key_value(&r->keys[k], a, group, window, &va);
        bool hb = key_value(&r->keys[k], b, group, window, &vb);
        if (ha != hb)
            return ha ? -1 : 1;
        if (ha && va != vb)
            return va < vb ? -1 : 1;
    }
    return 0;
}

/* Rank the results of sc that have the scope (group, window); the run when
 * both are NULL. */
static void rank_scope(const cmp_report *r, cmp_scenario *sc, const char *group,
                       const char *window)
{
    bool run = group == NULL && window == NULL;
    for (size_t i = 0; i < sc->n_results; i++) {
        cmp_cells *ci = run ? NULL : find_cells(&sc->results[i], group, window);
        if (!run && ci == NULL)
            continue;
        size_t better = 0;
        for (size_t j = 0; j < sc->n_results; j++)
            if ((run || find_cells(&sc->results[j], group, window)) &&
                compare_results(r, &sc->results[j], &sc->results[i], group, window) < 0)
                better++;
        if (run)
            sc->results[i].rank = better + 1;
        else
            ci->rank = better + 1;
    }
}

void cmp_rank(cmp_report *r)
{
    for (size_t s = 0; s < r->n_scenarios; s++) {
        cmp_scenario *sc = &r->scenarios[s];
        size_t n = sc->n_results;
        rank_scope(r, sc, NULL, NULL);
        for (size_t p = 0; p < n; p++)
            for (size_t i = 0; i < sc->results[p].n_scopes; i++) {
                const cmp_cells *c = &sc->results[p].scopes[i];
                bool seen = false; /* ranked with an earlier result already */
                for (size_t q = 0; q < p && !seen; q++)
                    seen = find_cells(&sc->results[q], c->group, c->window) != NULL;
                if (!seen)
                    rank_scope(r, sc, c->group, c->window);
            }
        /* Stable insertion sort by rank: ties keep -p order (a handful of
         * policies; qsort is not stable). */
        for (size_t i = 1; i < n; i++) {
            cmp_result x = sc->results[i];
            size_t j = i;
            for (; j > 0 && sc->results[j - 1].rank > x.rank; j--)
                sc->results[j] = sc->results[j - 1];
            sc->results[j] = x;
        }
    }
}

/* ---------------------------------------------------------------- tables */

/* Metrics shown in text and markdown: the main ones, then the ranking's. */
size_t cmp_shown_metrics(const cmp_report *r, met_id out[MET_COUNT])
{
    bool on[MET_COUNT] = {false};
    size_t n = 0;
    for (size_t i = 0; i < N_MAIN; i++)
        if (!on[main_metrics[i]]) {
            on[main_metrics[i]] = true;
            out[n++] = main_metrics[i];
        }
    for (size_t k = 0; k < r->n_keys; k++)
        for (size_t i = 0; i < r->keys[k].n; i++)
            if (!on[r->keys[k].refs[i].id]) {
                on[r->keys[k].refs[i].id] = true;
                out[n++] = r->keys[k].refs[i].id;
            }
    return n;
}

/* A value column: metric `id` of scope (group, window), where NULL takes
 * the row's own group or window (as key_value() does). */
typedef struct col {
    met_id id;
    const char *group, *window;
    char name[192];
} col;
#define MAX_COLS (MET_COUNT + CMP_MAX_KEYS * CMP_KEY_MAX_METRICS)

/* One row: a result in the scope (group, window). */
typedef struct row {
    const cmp_result *res;
    const char *group, *window;
    size_t rank, runs;
} row;

/* Which key columns a table has. */
typedef enum keyset {
    KS_RANKED, /* rank, policy, runs: the ranked tables, json */
    KS_CSV,    /* group, window, rank, policy, runs */
    KS_GROUP,  /* policy, group: the compact table per group */
    KS_WINDOW, /* policy, window: the table per window */
} keyset;

static const char *const ks_names[][5] = {
    {"rank", "policy", "runs"},
    {"group", "window", "rank", "policy", "runs"},
    {"policy", "group"},
    {"policy", "window"},
};
static const bool ks_numeric[][5] = {
    {true, false, true},
    {false, false, true, false, true},
    {false, false},
    {false, false},
};
static const size_t ks_n[] = {3, 5, 2, 2};

/* The storage of one tab (free_store). */
typedef struct tab_store {
    const char *col_names[MAX_COLS];
    const char **keys;   /* n x ks_n */
    char (*nums)[2][24]; /* rank and runs as text */
    tab_cell *cells;     /* n x n_cols */
} tab_store;

static bool build_table(const row *rows, size_t n, const col *cols, size_t n_cols, keyset ks,
                        tab_store *st, tab *t)
{
    size_t nk = ks_n[ks];
    st->keys = calloc(nk * (n ? n : 1), sizeof *st->keys);
    st->nums = calloc(n ? n : 1, sizeof *st->nums);
    st->cells = calloc((n ? n : 1) * (n_cols ? n_cols : 1), sizeof *st->cells);
    if (st->keys == NULL || st->nums == NULL || st->cells == NULL)
        return false;
    for (size_t c = 0; c < n_cols; c++)
        st->col_names[c] = cols[c].name;
    for (size_t i = 0; i < n; i++) {
        const row *rw = &rows[i];
        snprintf(st->nums[i][0], sizeof st->nums[i][0], "%zu", rw->rank);
        snprintf(st->nums[i][1], sizeof st->nums[i][1], "%zu", rw->runs);
        const char **k = &st->keys[nk * i];
        const char *g = rw->group ? rw->group : "", *w = rw->window ? rw->window : "";
        switch (ks) {
        case KS_RANKED:
            k[0] = st->nums[i][0], k[1] = rw->res->policy, k[2] = st->nums[i][1];
            break;
        case KS_CSV:
            k[0] = g, k[1] = w, k[2] = st->nums[i][0], k[3] = rw->res->policy;
            k[4] = st->nums[i][1];
            break;
        case KS_GROUP: k[0] = rw->res->policy, k[1] = g; break;
        case KS_WINDOW: k[0] = rw->res->policy, k[1] = w; break;
        }
        for (size_t c = 0; c < n_cols; c++) {
            const tab_cell *m = cmp_cells_of(rw->res, cols[c].group ? cols[c].group : rw->group,
                                             cols[c].window ? cols[c].window : rw->window);
            st->cells[i * n_cols + c] =
                m ? m[cols[c].id] : (tab_cell){.mean = NAN, .ci95 = NAN, .n = 0};
        }
    }
    *t = (tab){.n_keys = nk,
               .n_cols = n_cols,
               .n_rows = n,
               .key_names = ks_names[ks],
               .key_numeric = ks_numeric[ks],
               .col_names = st->col_names,
               .keys = st->keys,
               .cells = st->cells};
    return true;
}

static void free_store(tab_store *st)
{
    free(st->keys);
    free(st->nums);
    free(st->cells);
}

/* Every metric of the row's own scope (json and csv). */
static size_t all_cols(col *cols)
{
    for (int id = 0; id < MET_COUNT; id++) {
        cols[id] = (col){.id = (met_id)id};
        snprintf(cols[id].name, sizeof cols[id].name, "%s", met_info_get((met_id)id)->name);
    }
    return MET_COUNT;
}

static void add_col(col *cols, size_t *n, met_id id, const char *group, const char *window)
{
    for (size_t i = 0; i < *n; i++)
        if (cols[i].id == id && same_name(cols[i].group, group) &&
            same_name(cols[i].window, window))
            return;
    col *c = &cols[(*n)++];
    *c = (col){.id = id, .group = group, .window = window};
    met_ref ref = {.id = id, .group = (char *)group, .window = (char *)window};
    met_ref_text(&ref, c->name, sizeof c->name);
}

/* The text and markdown columns: the main metrics, then what the ranking
 * uses.  In the run's table (scoped) a key's group or window is a column of
 * its own ("db.host_oom_kills"); in the tables of a scope only the keys that
 * name no group or window add columns, read in the row's scope. */
static size_t shown_cols(const cmp_report *r, bool scoped, col *cols)
{
    size_t n = 0;
    for (size_t i = 0; i < N_MAIN; i++)
        add_col(cols, &n, main_metrics[i], NULL, NULL);
    for (size_t k = 0; k < r->n_keys; k++)
        for (size_t i = 0; i < r->keys[k].n; i++) {
            const met_ref *ref = &r->keys[k].refs[i];
            if (scoped)
                add_col(cols, &n, ref->id, ref->group, ref->window);
            else if (ref->group == NULL && ref->window == NULL)
                add_col(cols, &n, ref->id, NULL, NULL);
        }
    return n;
}

/* The run's rows, in table order. */
static row *run_rows(const cmp_scenario *sc)
{
    row *rows = calloc(sc->n_results ? sc->n_results : 1, sizeof *rows);
    for (size_t i = 0; rows && i < sc->n_results; i++)
        rows[i] = (row){.res = &sc->results[i], .rank = sc->results[i].rank,
                        .runs = sc->results[i].runs};
    return rows;
}

static size_t policy_index(const cmp_report *r, const cmp_scenario *sc, const cmp_result *res)
{
    for (size_t p = 0; p < r->n_policies; p++)
        if (strcmp(r->policies[p], res->policy) == 0)
            return p;
    return r->n_policies + (size_t)(res - sc->results);
}

/* The rows of the results that have scope (group, window), by their rank
 * in it, ties in -p order; *n of them. */
static row *scope_rows(const cmp_report *r, const cmp_scenario *sc, const char *group,
                       const char *window, size_t *n)
{
    row *rows = calloc(sc->n_results ? sc->n_results : 1, sizeof *rows);
    size_t *order = calloc(sc->n_results ? sc->n_results : 1, sizeof *order);
    *n = 0;
    if (rows == NULL || order == NULL) {
        free(rows);
        free(order);
        return NULL;
    }
    for (size_t i = 0; i < sc->n_results; i++) {
        const cmp_cells *c = find_cells(&sc->results[i], group, window);
        if (c == NULL)
            continue;
        row x = {.res = &sc->results[i], .group = c->group, .window = c->window,
                 .rank = c->rank, .runs = c->runs};
        size_t px = policy_index(r, sc, x.res), j = *n;
        for (; j > 0 && (rows[j - 1].rank > x.rank ||
                         (rows[j - 1].rank == x.rank && order[j - 1] > px)); j--) {
            rows[j] = rows[j - 1];
            order[j] = order[j - 1];
        }
        rows[j] = x;
        order[j] = px;
        (*n)++;
    }
    free(order);
    return rows;
}

/* Rows policy x group (window NULL) or policy x window (group NULL):
 * policies in the run's table order, each with its scopes in `names`. */
static row *cross_rows(const cmp_scenario *sc, const char *const *names, size_t n_names,
                       bool groups, size_t *n)
{
    size_t cap = sc->n_results * n_names;
    row *rows = calloc(cap ? cap : 1, sizeof *rows);
    *n = 0;
    for (size_t i = 0; rows && i < sc->n_results; i++)
        for (size_t k = 0; k < n_names; k++) {
            const cmp_cells *c = find_cells(&sc->results[i], groups ? names[k] : NULL,
                                            groups ? NULL : names[k]);
            if (c)
                rows[(*n)++] = (row){.res = &sc->results[i], .group = c->group,
                                     .window = c->window, .rank = c->rank, .runs = c->runs};
        }
    return rows;
}

typedef enum { OUT_TEXT, OUT_MARKDOWN, OUT_JSON, OUT_CSV } out_kind;

/* Write one table of rows (takes rows, frees them). */
static bs_rc put_table(FILE *f, out_kind kind, row *rows, size_t n, const col *cols,
                       size_t n_cols, keyset ks, const char *json_indent, bool csv_header,
                       const char *scenario)
{
    if (rows == NULL)
        return BS_ERR_INTERNAL;
    tab_store st = {0};
    tab t;
    bool ok = build_table(rows, n, cols, n_cols, ks, &st, &t);
    if (ok) {
        static const char *const lead_names[] = {"scenario"};
        const char *lead[] = {scenario};
        switch (kind) {
        case OUT_TEXT: tab_write_text(f, &t); break;
        case OUT_MARKDOWN: tab_write_markdown(f, &t); break;
        case OUT_JSON: tab_write_json(f, &t, json_indent); break;
        case OUT_CSV: tab_write_csv(f, &t, csv_header, lead_names, lead, 1); break;
        }
    }
    free_store(&st);
    free(rows);
    return ok ? BS_OK : BS_ERR_INTERNAL;
}

/* "2 seeds (1-2)", "1 seed (7)", "3 seeds (1, 5, 9)". */
static void seeds_text(const cmp_report *r, char *buf, size_t len)
{
    bool consecutive = r->n_seeds > 2;
    for (size_t i = 1; i < r->n_seeds; i++)
        consecutive = consecutive && r->seeds[i] == r->seeds[i - 1] + 1;
    size_t used = (size_t)snprintf(buf, len, "%zu seed%s (", r->n_seeds, r->n_seeds == 1 ? "" : "s");
    if (consecutive) {
        used += (size_t)snprintf(buf + used, len - used, "%" PRIu64 "-%" PRIu64, r->seeds[0],
                                 r->seeds[r->n_seeds - 1]);
    } else {
        for (size_t i = 0; i < r->n_seeds && used < len; i++)
            used += (size_t)snprintf(buf + used, len - used, "%s%" PRIu64, i ? ", " : "",
                                     r->seeds[i]);
    }
    if (used < len)
        snprintf(buf + used, len - used, ")");
}

static void objective_text(FILE *f, const cmp_report *r)
{
    for (size_t k = 0; k < r->n_keys; k++) {
        char name[512];
        const cmp_key *key = &r->keys[k];
        cmp_key plain = *key;
        plain.higher_better = false;
        cmp_key_text(&plain, name, sizeof name);
        fprintf(f, "%s%s %s", k ? ", then " : "", key->higher_better ? "highest" : "lowest", name);
    }
}

static void header_text(FILE *f, const cmp_report *r, bool markdown)
{
    char seeds[256];
    seeds_text(r, seeds, sizeof seeds);
    if (markdown)
        fputs("## balloonsim compare\n\n", f);
    else
        fputs("balloonsim compare: ", f);
    fprintf(f, "%zu scenario%s x %zu polic%s x %s", r->n_scenarios, r->n_scenarios == 1 ? "" : "s",
            r->n_policies, r->n_policies == 1 ? "y" : "ies", seeds);
    fputs(markdown ? ". " : "\n", f);
    fputs("Each cell: mean " "\xc2\xb1" " half-width of its 95 % confidence interval over the seeds "
          "(Student t).", f);
    fputs(markdown ? " " : "\n", f);
    fputs("Ranked by ", f);
    objective_text(f, r);
    fputs(".\n", f);
    if (r->n_sets) {
        fputs(markdown ? "\nEvery run with" : "Every run with", f);
        for (size_t i = 0; i < r->n_sets; i++)
            fprintf(f, "%s--set %s%s", markdown ? " `" : " ", r->sets[i], markdown ? "`" : "");
        fputs(".\n", f);
    }
}

/* A path in a markdown link: characters that would end or break it are
 * percent-encoded. */
static void md_link_path(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p <= 0x20 || strchr("()<>[]%\\\"'", *p))
            fprintf(f, "%%%02X", *p);
        else
            putc(*p, f);
    }
}

static void md_image(FILE *f, const cmp_scenario *sc, const char *what, const char *suffix)
{
    char safe[256];
    cmp_safe_name(safe, sizeof safe, sc->name);
    fprintf(f, "\n![%s](plots/", what);
    md_link_path(f, safe);
    fprintf(f, "-%s.png)\n", suffix);
}

static void md_images(FILE *f, const cmp_scenario *sc)
{
    static const char *const what[][2] = {
        {"metrics", "each metric per policy"},
        {"stall-cdf", "stall distribution per policy"},
        {"memory", "memory of each policy's most-stalled VM"},
    };
    for (size_t i = 0; i < sizeof what / sizeof what[0]; i++)
        md_image(f, sc, what[i][1], what[i][0]);
}

static void md_escaped(FILE *f, const char *s)
{
    for (const char *p = s; *p; p++) {
        if (strchr("\\`*_[]#<>|", *p))
            putc('\\', f);
        putc(*p, f);
    }
}

/* "\n### NAME — what\n\n" in markdown (level: the number of '#'),
 * "\nNAME — what\n" in text. */
static void title(FILE *f, bool markdown, int level, const char *scenario, const char *what,
                  const char *name)
{
    if (markdown) {
        fprintf(f, "\n%.*s ", level, "######");
        md_escaped(f, scenario);
        fputs(" \xe2\x80\x94 ", f);
        fputs(what, f);
        if (name) {
            putc(' ', f);
            md_escaped(f, name);
        }
        fputs("\n\n", f);
    } else {
        fprintf(f, "\n%s \xe2\x80\x94 %s%s%s\n", scenario, what, name ? " " : "", name ? name : "");
    }
}

static bs_rc write_scenario_text(FILE *f, const cmp_report *r, const cmp_scenario *sc,
                                 bool markdown, bool images)
{
    out_kind kind = markdown ? OUT_MARKDOWN : OUT_TEXT;
    col run_cols[MAX_COLS], scope_cols[MAX_COLS];
    size_t n_run = shown_cols(r, true, run_cols), n_scope = shown_cols(r, false, scope_cols);
    cmp_names nm;
    if (cmp_scenario_names(sc, &nm) != BS_OK)
        return BS_ERR_INTERNAL;
    bs_rc rc = BS_OK;
    if (r->by_group && nm.n_groups > 0) {
        /* one ranked table per group, in place of the run's */
        for (size_t g = 0; g < nm.n_groups && rc == BS_OK; g++) {
            size_t n = 0;
            row *rows = scope_rows(r, sc, nm.groups[g], NULL, &n);
            title(f, markdown, 3, sc->name, "group", nm.groups[g]);
            rc = put_table(f, kind, rows, n, scope_cols, n_scope, KS_RANKED, "", false, NULL);
        }
        if (images && rc == BS_OK)
            md_images(f, sc);
    } else {
        if (markdown) {
            fputs("\n### ", f);
            md_escaped(f, sc->name);
            fputs("\n\n", f);
        } else {
            fprintf(f, "\nscenario %s (%s)\n", sc->name, sc->file);
        }
        rc = put_table(f, kind, run_rows(sc), sc->n_results, run_cols, n_run, KS_RANKED, "",
                       false, NULL);
        if (images && rc == BS_OK)
            md_images(f, sc);
        /* with one group, its table would be the run's again */
        if (rc == BS_OK && nm.n_groups >= 2) {
            size_t n = 0;
            row *rows = cross_rows(sc, nm.groups, nm.n_groups, true, &n);
            title(f, markdown, 4, sc->name, "per group", NULL);
            rc = put_table(f, kind, rows, n, scope_cols, n_scope, KS_GROUP, "", false, NULL);
        }
    }
    if (images && rc == BS_OK && nm.n_groups >= 2)
        md_image(f, sc, "each metric per policy and group", "groups");
    if (rc == BS_OK && nm.n_windows > 0) {
        size_t n = 0;
        row *rows = cross_rows(sc, nm.windows, nm.n_windows, false, &n);
        title(f, markdown, 4, sc->name, "per window", NULL);
        rc = put_table(f, kind, rows, n, scope_cols, n_scope, KS_WINDOW, "", false, NULL);
    }
    cmp_names_free(&nm);
    return rc;
}

static bs_rc write_text_or_md(FILE *f, const cmp_report *r, bool markdown, bool images)
{
    header_text(f, r, markdown);
    for (size_t s = 0; s < r->n_scenarios; s++) {
        bs_rc rc = write_scenario_text(f, r, &r->scenarios[s], markdown, images);
        if (rc != BS_OK)
            return rc;
    }
    return ferror(f) ? BS_ERR_INTERNAL : BS_OK;
}

static void json_string_list(FILE *f, char *const *l, size_t n)
{
    fputs("[", f);
    for (size_t i = 0; i < n; i++) {
        if (i)
            fputs(", ", f);
        txt_json_string(f, l[i]);
    }
    fputs("]", f);
}

static bool has_scope(const cmp_scenario *sc, const char *group, const char *window)
{
    for (size_t i = 0; i < sc->n_results; i++)
        if (find_cells(&sc->results[i], group, window))
            return true;
    return false;
}

/* "KEY": [{"name": NAME, "results": [...]}, ...] for the groups of window
 * (NULL: the run's groups), each object's lines starting with `ind`. */
static bs_rc json_groups(FILE *f, const cmp_report *r, const cmp_scenario *sc,
                         const cmp_names *nm, const char *window, const char *ind)
{
    col cols[MAX_COLS];
    size_t nc = all_cols(cols);
    char inner[64];
    snprintf(inner, sizeof inner, "%s    ", ind);
    fputs("\"groups\": [", f);
    size_t k = 0;
    bs_rc rc = BS_OK;
    for (size_t g = 0; g < nm->n_groups && rc == BS_OK; g++) {
        if (!has_scope(sc, nm->groups[g], window))
            continue;
        fprintf(f, "%s\n%s  {\n%s    \"name\": ", k++ ? "," : "", ind, ind);
        txt_json_string(f, nm->groups[g]);
        fprintf(f, ",\n%s    \"results\": ", ind);
        size_t n = 0;
        row *rows = scope_rows(r, sc, nm->groups[g], window, &n);
        rc = put_table(f, OUT_JSON, rows, n, cols, nc, KS_RANKED, inner, false, NULL);
        fprintf(f, "\n%s  }", ind);
    }
    if (k)
        fprintf(f, "\n%s]", ind);
    else
        fputs("]", f);
    return rc;
}

static bs_rc write_json(FILE *f, const cmp_report *r)
{
    fputs("{\n  \"version\": ", f);
    txt_json_string(f, r->version ? r->version : BS_VERSION);
    fputs(",\n  \"seeds\": [", f);
    for (size_t i = 0; i < r->n_seeds; i++)
        fprintf(f, "%s%" PRIu64, i ? ", " : "", r->seeds[i]);
    fputs("],\n  \"policies\": ", f);
    json_string_list(f, r->policies, r->n_policies);
    fputs(",\n  \"rank_by\": [", f);
    for (size_t k = 0; k < r->n_keys; k++) {
        char name[512];
        cmp_key_text(&r->keys[k], name, sizeof name);
        if (k)
            fputs(", ", f);
        txt_json_string(f, name);
    }
    fputs("],\n  \"sets\": ", f);
    json_string_list(f, r->sets, r->n_sets);
    fputs(",\n  \"scenarios\": [", f);
    col cols[MAX_COLS];
    size_t nc = all_cols(cols);
    for (size_t s = 0; s < r->n_scenarios; s++) {
        const cmp_scenario *sc = &r->scenarios[s];
        cmp_names nm;
        if (cmp_scenario_names(sc, &nm) != BS_OK)
            return BS_ERR_INTERNAL;
        fprintf(f, "%s\n    {\n      \"name\": ", s ? "," : "");
        txt_json_string(f, sc->name);
        fputs(",\n      \"file\": ", f);
        txt_json_string(f, sc->file);
        fputs(",\n      \"results\": ", f);
        bs_rc rc = put_table(f, OUT_JSON, run_rows(sc), sc->n_results, cols, nc, KS_RANKED,
                             "      ", false, NULL);
        /* the scopes, as summary.json nests them: groups, then windows
         * with their groups */
        fputs(",\n      ", f);
        if (rc == BS_OK)
            rc = json_groups(f, r, sc, &nm, NULL, "      ");
        fputs(",\n      \"windows\": [", f);
        for (size_t w = 0; w < nm.n_windows && rc == BS_OK; w++) {
            fprintf(f, "%s\n        {\n          \"name\": ", w ? "," : "");
            txt_json_string(f, nm.windows[w]);
            fputs(",\n          \"results\": ", f);
            size_t n = 0;
            row *rows = scope_rows(r, sc, NULL, nm.windows[w], &n);
            rc = put_table(f, OUT_JSON, rows, n, cols, nc, KS_RANKED, "          ", false, NULL);
            fputs(",\n          ", f);
            if (rc == BS_OK)
                rc = json_groups(f, r, sc, &nm, nm.windows[w], "          ");
            fputs("\n        }", f);
        }
        fputs(nm.n_windows ? "\n      ]" : "]", f);
        fputs("\n    }", f);
        cmp_names_free(&nm);
        if (rc != BS_OK)
            return rc;
    }
    fprintf(f, "%s]\n}\n", r->n_scenarios ? "\n  " : "");
    return ferror(f) ? BS_ERR_INTERNAL : BS_OK;
}

static bs_rc write_csv(FILE *f, const cmp_report *r)
{
    col cols[MAX_COLS];
    size_t nc = all_cols(cols);
    bs_rc rc = BS_OK;
    bool header = true;
    for (size_t s = 0; s < r->n_scenarios && rc == BS_OK; s++) {
        const cmp_scenario *sc = &r->scenarios[s];
        cmp_names nm;
        if (cmp_scenario_names(sc, &nm) != BS_OK)
            return BS_ERR_INTERNAL;
        rc = put_table(f, OUT_CSV, run_rows(sc), sc->n_results, cols, nc, KS_CSV, "", header,
                       sc->name);
        header = false;
        /* the scopes in summary.json order: groups, then each window
         * followed by its groups */
        for (size_t w = 0; w <= nm.n_windows && rc == BS_OK; w++) {
            const char *win = w == 0 ? NULL : nm.windows[w - 1];
            size_t n = 0;
            if (win) {
                row *rows = scope_rows(r, sc, NULL, win, &n);
                rc = put_table(f, OUT_CSV, rows, n, cols, nc, KS_CSV, "", false, sc->name);
            }
            for (size_t g = 0; g < nm.n_groups && rc == BS_OK; g++) {
                row *rows = scope_rows(r, sc, nm.groups[g], win, &n);
                rc = put_table(f, OUT_CSV, rows, n, cols, nc, KS_CSV, "", false, sc->name);
            }
        }
        cmp_names_free(&nm);
    }
    if (rc == BS_OK && header) /* no scenario: the header alone */
        rc = put_table(f, OUT_CSV, calloc(1, sizeof(row)), 0, cols, nc, KS_CSV, "", true, NULL);
    if (rc != BS_OK)
        return rc;
    return ferror(f) ? BS_ERR_INTERNAL : BS_OK;
}

bs_rc cmp_write(FILE *f, const cmp_report *r, cmp_format fmt)
{
    switch (fmt) {
    case CMP_TEXT: return write_text_or_md(f, r, false, false);
    case CMP_MARKDOWN: return write_text_or_md(f, r, true, false);
    case CMP_JSON: return write_json(f, r);
    case CMP_CSV: return write_csv(f, r);
    }
    return BS_ERR_INTERNAL;
}

bs_rc cmp_write_report(FILE *f, const cmp_report *r)
{
    return write_text_or_md(f, r, true, true);
}
