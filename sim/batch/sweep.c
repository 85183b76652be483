/* sweep.c -- run ids and the run store of sweeps (sweep.h); the grids are
 * in grid.c, result tables and output files in sweep_result.c.
 *
 * Why it looks like this:
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
 *   cfg tree is already the project's way to walk parsed documents. */
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
        bs_errf(err, len, "%s", what);
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
        bs_errf(err, len, "%s: missing or bad %s", file, what);
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
            bs_errf(err, len, "%s: \"set\": the value of '%s' is not a string", file, e->key);
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
            bs_errf(err, len, "%s: \"fixed\": expected strings PATH=VALUE", file);
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

/* A "metrics" object of summary.json into v; `where` names it in messages
 * ("metrics", "groups[1].metrics"). */
static bs_rc read_metrics(const cfg_node *metrics, met_values *v, const char *file,
                          const char *where, char *err, size_t len)
{
    *v = (met_values){0};
    for (size_t i = 0; i < metrics->n; i++) {
        const cfg_entry *e = &metrics->entries[i];
        met_id id = met_find(e->key);
        if (id == MET_COUNT || e->val->kind != CFG_SCALAR || cfg_is_null(e->val))
            continue; /* a metric of another version, or null */
        char *end;
        double x = strtod(e->val->value, &end);
        if (*end != '\0' || e->val->value[0] == '\0') {
            bs_errf(err, len, "%s: %s.%s: expected a number or null, found '%s'", file, where,
                    e->key, e->val->value);
            return BS_ERR_INPUT;
        }
        v->v[id] = x;
        v->present[id] = true;
    }
    return BS_OK;
}

/* A list of {"name", "metrics"} (summary.json's "groups", or a window's)
 * appended to r->scopes with the window `window` (NULL: the whole run). */
static bs_rc read_scope_list(const cfg_node *list, const char *window, const char *file,
                             const char *where, swp_run *r, char *err, size_t len)
{
    for (size_t i = 0; i < list->n; i++) {
        const cfg_node *item = list->entries[i].val;
        const cfg_node *name = get(item, "name", CFG_SCALAR),
                       *metrics = get(item, "metrics", CFG_MAP);
        char at[160];
        snprintf(at, sizeof at, "%s[%zu]", where, i);
        if (name == NULL || metrics == NULL || name->value[0] == '\0') {
            bs_errf(err, len, "%s: %s: expected {\"name\", \"metrics\"}", file, at);
            return BS_ERR_INPUT;
        }
        met_values v;
        strncat(at, ".metrics", sizeof at - strlen(at) - 1);
        bs_rc rc = read_metrics(metrics, &v, file, at, err, len);
        if (rc == BS_OK)
            rc = met_set_add(&r->scopes, name->value, window, &v);
        if (rc != BS_OK)
            return rc;
    }
    return BS_OK;
}

/* The scopes of summary.json in its order (met_set): the run, "groups",
 * then every window followed by its groups.  Both keys are optional: a
 * summary.json of a version before groups and windows has the run only. */
static bs_rc read_scopes(const cfg_node *root, const char *file, swp_run *r, char *err,
                         size_t len)
{
    bs_rc rc = met_set_add(&r->scopes, NULL, NULL, &r->m);
    const cfg_entry *ge = root->kind == CFG_MAP ? cfg_map_entry(root, "groups") : NULL;
    const cfg_entry *we = root->kind == CFG_MAP ? cfg_map_entry(root, "windows") : NULL;
    if (rc == BS_OK && ge != NULL && !cfg_is_null(ge->val)) {
        if (ge->val->kind != CFG_SEQ) {
            bs_errf(err, len, "%s: \"groups\": expected a list", file);
            return BS_ERR_INPUT;
        }
        rc = read_scope_list(ge->val, NULL, file, "groups", r, err, len);
    }
    if (rc == BS_OK && we != NULL && !cfg_is_null(we->val)) {
        if (we->val->kind != CFG_SEQ) {
            bs_errf(err, len, "%s: \"windows\": expected a list", file);
            return BS_ERR_INPUT;
        }
        for (size_t i = 0; rc == BS_OK && i < we->val->n; i++) {
            const cfg_node *w = we->val->entries[i].val;
            const cfg_node *name = get(w, "name", CFG_SCALAR),
                           *metrics = get(w, "metrics", CFG_MAP);
            const cfg_entry *wg = w->kind == CFG_MAP ? cfg_map_entry(w, "groups") : NULL;
            char at[160];
            if (name == NULL || metrics == NULL || name->value[0] == '\0' ||
                (wg != NULL && !cfg_is_null(wg->val) && wg->val->kind != CFG_SEQ)) {
                bs_errf(err, len, "%s: windows[%zu]: expected {\"name\", \"metrics\", \"groups\"}",
                        file, i);
                return BS_ERR_INPUT;
            }
            met_values v;
            snprintf(at, sizeof at, "windows[%zu].metrics", i);
            rc = read_metrics(metrics, &v, file, at, err, len);
            if (rc == BS_OK)
                rc = met_set_add(&r->scopes, NULL, name->value, &v);
            snprintf(at, sizeof at, "windows[%zu].groups", i);
            if (rc == BS_OK && wg != NULL && !cfg_is_null(wg->val))
                rc = read_scope_list(wg->val, name->value, file, at, r, err, len);
        }
    }
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
        bs_errf(err, len, "%s", errs.n ? errs.msgs[0] : "cannot read it");
        cfg_errs_free(&errs);
        cfg_doc_free(doc);
        return rc == BS_ERR_INTERNAL ? rc : BS_ERR_INPUT;
    }
    cfg_errs_free(&errs);
    const cfg_node *metrics = get(root, "metrics", CFG_MAP), *name = get(root, "scenario", CFG_SCALAR);
    uint64_t seed = 0;
    rc = BS_OK;
    if (metrics == NULL || name == NULL || !get_u64(root, "seed", 10, &seed)) {
        bs_errf(err, len, "%s: not a summary.json (no \"scenario\", \"seed\" or \"metrics\")", file);
        rc = BS_ERR_INPUT;
    } else if (seed != r->seed || strcmp(name->value, r->scenario) != 0) {
        bs_errf(err, len, "%s: scenario %s seed %" PRIu64 " does not match params.json (%s seed %" PRIu64 ")",
             file, name->value, seed, r->scenario, r->seed);
        rc = BS_ERR_INPUT;
    }
    if (rc == BS_OK)
        rc = read_metrics(metrics, &r->m, file, "metrics", err, len);
    if (rc == BS_OK)
        rc = read_scopes(root, file, r, err, len);
    cfg_doc_free(doc);
    return rc;
}

bs_rc swp_read_run(const char *run_dir, swp_run *out, char *err, size_t err_len)
{
    *out = (swp_run){0};
    char *p = fs_path_join(run_dir, "params.json"), *s = fs_path_join(run_dir, "summary.json");
    bs_rc rc = p && s ? BS_OK : BS_ERR_INTERNAL;
    if (rc == BS_OK && access(p, F_OK) != 0) {
        bs_errf(err, err_len, "%s: missing (not a run directory of a sweep)", p);
        rc = BS_ERR_INPUT;
    } else if (rc == BS_OK && access(s, F_OK) != 0) {
        bs_errf(err, err_len, "%s: missing (the run did not finish)", s);
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
    met_set_free(&r->scopes);
    *r = (swp_run){0};
}
