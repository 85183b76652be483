/* baseline.c -- reading a compare.json back (a baseline) and --fail-if
 * (baseline.h).
 *
 * Why it looks like this:
 * - compare.json doubles as the baseline format: one writer (compare.c),
 *   one reader (here), and a committed baseline is a file a reviewer can
 *   read.  It is read with the scenario loader's YAML tree (JSON is YAML),
 *   which brings FILE:LINE:COL messages for free; numbers are parsed with
 *   strtod from the shortest round-trip text txt_format_double wrote, so
 *   they come back exactly.
 * - --fail-if sits next to the loader because a relative threshold is only
 *   meaningful against a loaded baseline; the report module stays free of
 *   expressions.
 * - The gate evaluates on a met_set of every scope's means (the run, the
 *   groups, the windows), so GROUP.METRIC@WINDOW needs nothing here but the
 *   set; a scope the baseline lacks reads as null there and gets a note,
 *   as a result the baseline lacks does. */
#include "sim/batch/baseline.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- loading */

typedef struct loader {
    cfg_ctx cx;
    cmp_report *r;
    bool oom;
} loader;

/* A json number (or null) as the writer wrote it; exact via strtod. */
static bool read_double(loader *L, const cfg_node *n, const char *path, bool *present, double *v)
{
    if (n == NULL || cfg_is_null(n)) {
        *present = false;
        *v = NAN;
        return true;
    }
    if (n->kind == CFG_SCALAR && !n->quoted && n->value && n->value[0]) {
        char *end;
        errno = 0;
        double d = strtod(n->value, &end);
        if (*end == '\0' && errno != ERANGE && isfinite(d)) {
            *present = true;
            *v = d;
            return true;
        }
    }
    cfg_error_expected(&L->cx, n, path, "a number or null");
    return false;
}

static char *read_string(loader *L, const cfg_node *map, const char *path, const char *key)
{
    const char *s = NULL;
    if (cfg_get_string(&L->cx, map, path, key, true, NULL, &s) != BS_OK || s == NULL)
        return NULL;
    char *d = strdup(s);
    if (d == NULL)
        L->oom = true;
    return d;
}

static bool read_string_list(loader *L, const cfg_node *root, const char *key, char ***out,
                             size_t *n)
{
    const cfg_node *seq = cfg_map_get(root, key);
    *out = NULL;
    *n = 0;
    if (seq == NULL) {
        cfg_error(&L->cx, root, "", "missing required key '%s'", key);
        return false;
    }
    if (cfg_expect_seq(&L->cx, seq, key) != BS_OK)
        return false;
    *out = calloc(seq->n ? seq->n : 1, sizeof **out);
    if (*out == NULL) {
        L->oom = true;
        return false;
    }
    bool ok = true;
    for (size_t i = 0; i < seq->n; i++) {
        const cfg_node *it = seq->entries[i].val;
        char path[CFG_PATH_MAX];
        cfg_path_index(path, key, i);
        if (it->kind != CFG_SCALAR || it->value == NULL) {
            cfg_error_expected(&L->cx, it, path, "a string");
            ok = false;
            continue;
        }
        (*out)[(*n)++] = strdup(it->value);
        if ((*out)[*n - 1] == NULL) {
            L->oom = true;
            return false;
        }
    }
    return ok;
}

static void read_metrics(loader *L, const cfg_node *m, const char *path, tab_cell cells[MET_COUNT])
{
    cmp_empty_cells(cells);
    if (m == NULL || cfg_expect_map(&L->cx, m, path) != BS_OK)
        return;
    for (size_t i = 0; i < m->n; i++) {
        const cfg_entry *e = &m->entries[i];
        met_id id = met_find(e->key);
        if (id == MET_COUNT) /* a metric of another version: not compared */
            continue;
        char mp[CFG_PATH_MAX];
        cfg_path_key(mp, path, e->key);
        if (cfg_expect_map(&L->cx, e->val, mp) != BS_OK)
            continue;
        char p[CFG_PATH_MAX];
        bool has_mean = false, has_ci = false;
        double mean, ci;
        cfg_path_key(p, mp, "mean");
        bool ok = read_double(L, cfg_map_get(e->val, "mean"), p, &has_mean, &mean);
        cfg_path_key(p, mp, "ci95");
        ok = read_double(L, cfg_map_get(e->val, "ci95"), p, &has_ci, &ci) && ok;
        int64_t n = 0;
        ok = cfg_get_uint(&L->cx, e->val, mp, "n", true, 0, &n) == BS_OK && ok;
        if (ok && has_mean != (n > 0)) {
            cfg_error(&L->cx, e->val, mp, "a mean needs n > 0 (and n > 0 a mean)");
            ok = false;
        }
        if (ok)
            cells[id] = (tab_cell){.mean = has_mean ? mean : NAN,
                                    .ci95 = has_ci ? ci : NAN,
                                    .n = (size_t)n};
    }
}

static void read_results(loader *L, const cfg_node *seq, const char *path, cmp_scenario *sc)
{
    if (cfg_expect_seq(&L->cx, seq, path) != BS_OK)
        return;
    sc->results = calloc(seq->n ? seq->n : 1, sizeof *sc->results);
    if (sc->results == NULL) {
        L->oom = true;
        return;
    }
    for (size_t i = 0; i < seq->n; i++) {
        const cfg_node *it = seq->entries[i].val;
        char p[CFG_PATH_MAX];
        cfg_path_index(p, path, i);
        cmp_result *res = &sc->results[sc->n_results++];
        cmp_empty_cells(res->m);
        if (cfg_expect_map(&L->cx, it, p) != BS_OK)
            continue;
        res->policy = read_string(L, it, p, "policy");
        int64_t rank = 0, runs = 0;
        cfg_get_uint(&L->cx, it, p, "rank", true, 0, &rank);
        cfg_get_uint(&L->cx, it, p, "runs", true, 0, &runs);
        res->rank = (size_t)rank;
        res->runs = (size_t)runs;
        char mp[CFG_PATH_MAX];
        cfg_path_key(mp, p, "metrics");
        const cfg_node *m = cfg_map_get(it, "metrics");
        if (m == NULL)
            cfg_error(&L->cx, it, p, "missing required key 'metrics'");
        read_metrics(L, m, mp, res->m);
        for (size_t j = 0; res->policy && j + 1 < sc->n_results; j++)
            if (sc->results[j].policy && strcmp(sc->results[j].policy, res->policy) == 0)
                cfg_error(&L->cx, it, p, "policy '%s' appears twice", res->policy);
    }
}

/* The rows of one scope ("results" of a group or window): each policy's
 * cells become a scope of that policy's run-level result. */
static void read_scope_rows(loader *L, const cfg_node *seq, const char *path, cmp_scenario *sc,
                            const char *group, const char *window)
{
    if (cfg_expect_seq(&L->cx, seq, path) != BS_OK)
        return;
    for (size_t i = 0; i < seq->n && !L->oom; i++) {
        const cfg_node *it = seq->entries[i].val;
        char p[CFG_PATH_MAX];
        cfg_path_index(p, path, i);
        if (cfg_expect_map(&L->cx, it, p) != BS_OK)
            continue;
        const char *policy = NULL;
        if (cfg_get_string(&L->cx, it, p, "policy", true, NULL, &policy) != BS_OK || !policy)
            continue;
        cmp_result *res = (cmp_result *)cmp_find_result(sc, policy);
        if (res == NULL) {
            cfg_error(&L->cx, it, p, "policy '%s' has no results of the whole run", policy);
            continue;
        }
        if (cmp_cells_of(res, group, window) != NULL) {
            cfg_error(&L->cx, it, p, "policy '%s' appears twice", policy);
            continue;
        }
        cmp_cells *c = NULL;
        if (cmp_result_add_scope(res, group, window, &c) != BS_OK) {
            L->oom = true;
            return;
        }
        int64_t rank = 0, runs = 0;
        cfg_get_uint(&L->cx, it, p, "rank", true, 0, &rank);
        cfg_get_uint(&L->cx, it, p, "runs", true, 0, &runs);
        c->rank = (size_t)rank;
        c->runs = (size_t)runs;
        char mp[CFG_PATH_MAX];
        cfg_path_key(mp, p, "metrics");
        const cfg_node *m = cfg_map_get(it, "metrics");
        if (m == NULL)
            cfg_error(&L->cx, it, p, "missing required key 'metrics'");
        read_metrics(L, m, mp, c->m);
    }
}

/* A list of named scopes under `key` of map: "groups": [{"name", "results"}]
 * of the run (window NULL) or of a window, or "windows": [{"name",
 * "results", "groups"}] (windows set).  Absent in baselines made before
 * groups existed, which load as before. */
static void read_scopes(loader *L, const cfg_node *map, const char *path, const char *key,
                        cmp_scenario *sc, const char *window, bool windows)
{
    const cfg_node *seq = cfg_map_get(map, key);
    char lp[CFG_PATH_MAX];
    cfg_path_key(lp, path, key);
    if (seq == NULL || cfg_expect_seq(&L->cx, seq, lp) != BS_OK)
        return;
    for (size_t i = 0; i < seq->n && !L->oom; i++) {
        const cfg_node *it = seq->entries[i].val;
        char p[CFG_PATH_MAX], rp[CFG_PATH_MAX];
        cfg_path_index(p, lp, i);
        if (cfg_expect_map(&L->cx, it, p) != BS_OK)
            continue;
        const char *name = NULL;
        if (cfg_get_string(&L->cx, it, p, "name", true, NULL, &name) != BS_OK || !name)
            continue;
        const cfg_node *res = cfg_map_get(it, "results");
        cfg_path_key(rp, p, "results");
        if (res == NULL)
            cfg_error(&L->cx, it, p, "missing required key 'results'");
        else
            read_scope_rows(L, res, rp, sc, windows ? NULL : name, windows ? name : window);
        if (windows)
            read_scopes(L, it, p, "groups", sc, name, false);
    }
}

static void read_report(loader *L, const cfg_node *root)
{
    cmp_report *r = L->r;
    if (cfg_expect_map(&L->cx, root, "") != BS_OK)
        return;
    r->version = read_string(L, root, "", "version");
    const cfg_node *seeds = cfg_map_get(root, "seeds");
    if (seeds == NULL) {
        cfg_error(&L->cx, root, "", "missing required key 'seeds'");
    } else if (cfg_expect_seq(&L->cx, seeds, "seeds") == BS_OK) {
        r->seeds = calloc(seeds->n ? seeds->n : 1, sizeof *r->seeds);
        if (r->seeds == NULL) {
            L->oom = true;
            return;
        }
        for (size_t i = 0; i < seeds->n; i++) {
            const cfg_node *it = seeds->entries[i].val;
            char p[CFG_PATH_MAX];
            cfg_path_index(p, "seeds", i);
            char *end = NULL;
            errno = 0;
            unsigned long long v = it->kind == CFG_SCALAR && it->value && isdigit((unsigned char)it->value[0])
                                       ? strtoull(it->value, &end, 10) : 0;
            if (end == NULL || *end != '\0' || errno != 0)
                cfg_error_expected(&L->cx, it, p, "a whole number");
            else
                r->seeds[r->n_seeds++] = (uint64_t)v;
        }
    }
    read_string_list(L, root, "policies", &r->policies, &r->n_policies);
    char **rank_by = NULL;
    size_t n_rank = 0;
    if (read_string_list(L, root, "rank_by", &rank_by, &n_rank)) {
        const cfg_node *seq = cfg_map_get(root, "rank_by");
        for (size_t i = 0; i < n_rank; i++) {
            char err[256];
            size_t n = 0;
            cmp_key k[CMP_MAX_KEYS];
            char p[CFG_PATH_MAX];
            cfg_path_index(p, "rank_by", i);
            if (cmp_parse_rank_by(rank_by[i], k, &n, err, sizeof err) != BS_OK || n != 1) {
                cfg_error(&L->cx, seq->entries[i].val, p, "expected a ranking criterion: %s",
                          err[0] ? err : "one criterion per item");
                cmp_keys_free(k, n);
            } else if (r->n_keys == CMP_MAX_KEYS) {
                cfg_error(&L->cx, seq->entries[i].val, p, "more than %d criteria", CMP_MAX_KEYS);
                cmp_keys_free(k, n);
            } else {
                r->keys[r->n_keys++] = k[0]; /* its names move into the report */
            }
        }
    }
    for (size_t i = 0; rank_by && i < n_rank; i++)
        free(rank_by[i]);
    free(rank_by);
    read_string_list(L, root, "sets", &r->sets, &r->n_sets);
    const cfg_node *scs = cfg_map_get(root, "scenarios");
    if (scs == NULL) {
        cfg_error(&L->cx, root, "", "missing required key 'scenarios'");
        return;
    }
    if (cfg_expect_seq(&L->cx, scs, "scenarios") != BS_OK)
        return;
    r->scenarios = calloc(scs->n ? scs->n : 1, sizeof *r->scenarios);
    if (r->scenarios == NULL) {
        L->oom = true;
        return;
    }
    for (size_t i = 0; i < scs->n && !L->oom; i++) {
        const cfg_node *it = scs->entries[i].val;
        char p[CFG_PATH_MAX];
        cfg_path_index(p, "scenarios", i);
        cmp_scenario *sc = &r->scenarios[r->n_scenarios++];
        if (cfg_expect_map(&L->cx, it, p) != BS_OK)
            continue;
        sc->name = read_string(L, it, p, "name");
        sc->file = read_string(L, it, p, "file");
        const cfg_node *res = cfg_map_get(it, "results");
        char rp[CFG_PATH_MAX];
        cfg_path_key(rp, p, "results");
        if (res == NULL)
            cfg_error(&L->cx, it, p, "missing required key 'results'");
        else
            read_results(L, res, rp, sc);
        if (!L->oom) {
            read_scopes(L, it, p, "groups", sc, NULL, false);
            read_scopes(L, it, p, "windows", sc, NULL, true);
        }
        for (size_t j = 0; sc->name && j + 1 < r->n_scenarios; j++)
            if (r->scenarios[j].name && strcmp(r->scenarios[j].name, sc->name) == 0)
                cfg_error(&L->cx, it, p, "scenario '%s' appears twice", sc->name);
    }
}

bs_rc cmp_load(const char *path, cfg_errs *errs, cmp_report **out)
{
    *out = NULL;
    cfg_doc *doc = NULL;
    if (cfg_doc_new(&doc) != BS_OK)
        return BS_ERR_INTERNAL;
    cfg_node *root = NULL;
    size_t before = errs->n;
    bs_rc rc = cfg_parse_file(doc, path, errs, &root);
    if (rc == BS_OK && root == NULL)
        rc = BS_ERR_INPUT;
    if (rc == BS_OK && root->kind == CFG_MAP && root->n == 0) {
        cfg_error_at(&(cfg_ctx){.errs = errs, .doc = doc}, path, 1, 1, NULL,
                     "expected a compare result (json), found an empty file");
        rc = BS_ERR_INPUT;
    }
    loader L = {.cx = {.errs = errs, .doc = doc}};
    if (rc == BS_OK) {
        L.r = calloc(1, sizeof *L.r);
        if (L.r == NULL)
            rc = BS_ERR_INTERNAL;
    }
    if (rc == BS_OK) {
        read_report(&L, root);
        if (L.oom)
            rc = BS_ERR_INTERNAL;
        else if (errs->n > before)
            rc = BS_ERR_INPUT;
    }
    cfg_doc_free(doc);
    if (rc != BS_OK) {
        cmp_report_free(L.r);
        return rc;
    }
    *out = L.r;
    return BS_OK;
}

/* ---------------------------------------------------------------- fail-if */

static bool same_name(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* A note per scope that the relative comparisons of e name and the
 * baseline's result lacks (a baseline made before groups, say): those
 * comparisons are false, as for a result the baseline lacks. */
static void scope_notes(const expr *e, const met_set *bset, const char *baseline_name,
                        const char *scenario, const char *policy, FILE *msgs)
{
    expr_cmp cmps[64];
    size_t n = BS_MIN(expr_comparisons(e, cmps, 64), (size_t)64);
    for (size_t i = 0; i < n; i++) {
        const met_ref *ref = cmps[i].ref;
        if (!cmps[i].relative || (ref->group == NULL && ref->window == NULL) ||
            met_set_find(bset, ref->group, ref->window) != NULL)
            continue;
        bool said = false; /* one note per scope */
        for (size_t j = 0; j < i && !said; j++)
            said = cmps[j].relative && same_name(cmps[j].ref->group, ref->group) &&
                   same_name(cmps[j].ref->window, ref->window);
        if (said)
            continue;
        char what[256];
        if (ref->group && ref->window)
            snprintf(what, sizeof what, "group '%s' in window '%s'", ref->group, ref->window);
        else if (ref->group)
            snprintf(what, sizeof what, "group '%s'", ref->group);
        else
            snprintf(what, sizeof what, "window '%s'", ref->window);
        fprintf(msgs, "note: %s has no %s for %s / %s: its relative conditions on it are false "
                      "there\n",
                baseline_name ? baseline_name : "the baseline", what, scenario, policy);
    }
}

bool cmp_fail_if(const cmp_report *r, const expr *e, const cmp_report *baseline,
                 const char *baseline_name, FILE *msgs)
{
    bool any = false, relative = expr_uses_baseline(e);
    for (size_t s = 0; s < r->n_scenarios; s++) {
        const cmp_scenario *sc = &r->scenarios[s];
        const cmp_scenario *bsc = cmp_find_scenario(baseline, sc->name);
        for (size_t p = 0; p < sc->n_results; p++) {
            const cmp_result *res = &sc->results[p];
            const cmp_result *bres = cmp_find_result(bsc, res->policy);
            /* every scope's means: names may be GROUP.METRIC@WINDOW; when
             * memory runs out the run alone is judged */
            met_values v, b;
            met_scope vs, bs;
            met_set vset = {0}, bset = {0};
            bool v_owned = cmp_means_set(res, &vset) == BS_OK;
            if (!v_owned) {
                cmp_means(res, &v);
                vset = met_set_view(&vs, &v);
            }
            bool b_owned = bres && cmp_means_set(bres, &bset) == BS_OK;
            if (bres && !b_owned) {
                cmp_means(bres, &b);
                bset = met_set_view(&bs, &b);
            }
            if (relative && bres == NULL && baseline != NULL)
                fprintf(msgs,
                        "note: %s has no results for %s / %s: its relative conditions are "
                        "false there\n",
                        baseline_name ? baseline_name : "the baseline", sc->name, res->policy);
            else if (relative && bres != NULL)
                scope_notes(e, &bset, baseline_name, sc->name, res->policy, msgs);
            char *why = NULL;
            size_t len = 0;
            FILE *m = open_memstream(&why, &len);
            bool held = expr_eval(e, &vset, bres ? &bset : NULL, m);
            if (m)
                fclose(m);
            if (held) {
                any = true;
                size_t printed = 0;
                for (char *line = why; line && *line;) {
                    char *nl = strchr(line, '\n');
                    size_t n = nl ? (size_t)(nl - line) : strlen(line);
                    fprintf(msgs, "fail-if: %s / %s: %.*s\n", sc->name, res->policy, (int)n, line);
                    printed++;
                    line = nl ? nl + 1 : line + n;
                }
                if (printed == 0) /* a condition that held through a '!' */
                    fprintf(msgs, "fail-if: %s / %s: the condition holds\n", sc->name,
                            res->policy);
            }
            free(why);
            if (v_owned)
                met_set_free(&vset);
            if (b_owned)
                met_set_free(&bset);
        }
    }
    return any;
}
