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
 *   ranks last (nothing measured is not better than something measured). */
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
    keys[0] = (cmp_key){.ids = {MET_GUEST_OOM_KILLS, MET_HOST_OOM_KILLS}, .n = 2};
    keys[1] = (cmp_key){.ids = {MET_STALL_S}, .n = 1};
    keys[2] = (cmp_key){.ids = {MET_BALLOON_TRAFFIC_BYTES}, .n = 1};
    *n = 3;
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

bs_rc cmp_parse_rank_by(const char *text, cmp_key keys[CMP_MAX_KEYS], size_t *n, char *err,
                        size_t err_len)
{
    if (err_len)
        err[0] = '\0';
    *n = 0;
    size_t pos = 0;
    while (true) {
        if (*n == CMP_MAX_KEYS) {
            key_error(err, err_len, pos, "more than %d criteria", CMP_MAX_KEYS);
            return BS_ERR_INPUT;
        }
        cmp_key k = {.n = 0};
        while (text[pos] == ' ')
            pos++;
        if (text[pos] == '-') {
            k.higher_better = true;
            pos++;
        }
        while (true) {
            while (text[pos] == ' ')
                pos++;
            size_t start = pos;
            while (isalnum((unsigned char)text[pos]) || text[pos] == '_')
                pos++;
            if (pos == start) {
                if (text[pos])
                    key_error(err, err_len, pos, "expected a metric name, found '%c'", text[pos]);
                else
                    key_error(err, err_len, pos, "expected a metric name, found the end");
                return BS_ERR_INPUT;
            }
            char name[64];
            snprintf(name, sizeof name, "%.*s", (int)BS_MIN(pos - start, sizeof name - 1),
                     text + start);
            met_id id = met_find(name);
            if (id == MET_COUNT) {
                key_error(err, err_len, start, "unknown metric '%s'", name);
                return BS_ERR_INPUT;
            }
            if (k.n == CMP_KEY_MAX_METRICS) {
                key_error(err, err_len, start, "more than %d metrics in one sum",
                          CMP_KEY_MAX_METRICS);
                return BS_ERR_INPUT;
            }
            k.ids[k.n++] = id;
            while (text[pos] == ' ')
                pos++;
            if (text[pos] != '+')
                break;
            pos++;
        }
        keys[(*n)++] = k;
        if (text[pos] == '\0')
            return BS_OK;
        if (text[pos] != ',') {
            key_error(err, err_len, pos, "expected ',', '+' or the end, found '%c'", text[pos]);
            return BS_ERR_INPUT;
        }
        pos++;
    }
}

void cmp_key_text(const cmp_key *k, char *buf, size_t len)
{
    size_t used = 0;
    if (len == 0)
        return;
    buf[0] = '\0';
    if (k->higher_better)
        used += (size_t)snprintf(buf, len, "-");
    for (size_t i = 0; i < k->n && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? "+" : "",
                                 met_info_get(k->ids[i])->name);
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
    if (n_keys)
        memcpy(r->keys, keys, n_keys * sizeof *keys);
    r->n_keys = n_keys;
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
        for (size_t p = 0; p < sc->n_results && sc->results; p++)
            free(sc->results[p].policy);
        free(sc->results);
        free(sc->name);
        free(sc->file);
    }
    free(r->scenarios);
    free_list(r->policies, r->n_policies);
    free_list(r->sets, r->n_sets);
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

void cmp_means(const cmp_result *res, met_values *out)
{
    for (int id = 0; id < MET_COUNT; id++) {
        out->present[id] = res->m[id].n > 0 && isfinite(res->m[id].mean);
        out->v[id] = out->present[id] ? res->m[id].mean : 0;
    }
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

/* The criterion's value; false when a mean in it does not exist. */
static bool key_value(const cmp_key *k, const cmp_result *res, double *v)
{
    double sum = 0;
    for (size_t i = 0; i < k->n; i++) {
        const tab_cell *c = &res->m[k->ids[i]];
        if (c->n == 0 || !isfinite(c->mean))
            return false;
        sum += c->mean;
    }
    *v = k->higher_better ? -sum : sum;
    return true;
}

/* <0 when a is better than b, 0 when they tie on every criterion. */
static int compare_results(const cmp_report *r, const cmp_result *a, const cmp_result *b)
{
    for (size_t k = 0; k < r->n_keys; k++) {
        double va = 0, vb = 0;
        bool ha = key_value(&r->keys[k], a, &va), hb = key_value(&r->keys[k], b, &vb);
        if (ha != hb)
            return ha ? -1 : 1;
        if (ha && va != vb)
            return va < vb ? -1 : 1;
    }
    return 0;
}

void cmp_rank(cmp_report *r)
{
    for (size_t s = 0; s < r->n_scenarios; s++) {
        cmp_scenario *sc = &r->scenarios[s];
        size_t n = sc->n_results;
        for (size_t i = 0; i < n; i++) {
            size_t better = 0;
            for (size_t j = 0; j < n; j++)
                better += compare_results(r, &sc->results[j], &sc->results[i]) < 0;
            sc->results[i].rank = better + 1;
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
            if (!on[r->keys[k].ids[i]]) {
                on[r->keys[k].ids[i]] = true;
                out[n++] = r->keys[k].ids[i];
            }
    return n;
}

/* A scenario's table with the given metric columns (NULL: all of them);
 * its storage is allocated into *st (free_store). */
typedef struct tab_store {
    const char *col_names[MET_COUNT];
    const char **keys;  /* n x 3 */
    char (*nums)[2][24]; /* rank and runs as text */
    tab_cell *cells;    /* n x MET_COUNT */
} tab_store;

static const char *const key_names[] = {"rank", "policy", "runs"};
static const bool key_numeric[] = {true, false, true};

static bool scenario_table(const cmp_scenario *sc, const met_id *cols, size_t n_cols,
                           tab_store *st, tab *t)
{
    size_t n = sc->n_results;
    st->keys = calloc(3 * (n ? n : 1), sizeof *st->keys);
    st->nums = calloc(n ? n : 1, sizeof *st->nums);
    st->cells = calloc((n ? n : 1) * (n_cols ? n_cols : 1), sizeof *st->cells);
    if (st->keys == NULL || st->nums == NULL || st->cells == NULL)
        return false;
    met_id all[MET_COUNT];
    if (cols == NULL) { /* every metric, in table order */
        for (int id = 0; id < MET_COUNT; id++)
            all[id] = (met_id)id;
        cols = all;
        n_cols = MET_COUNT;
    }
    for (size_t c = 0; c < n_cols; c++)
        st->col_names[c] = met_info_get(cols[c])->name;
    for (size_t i = 0; i < n; i++) {
        const cmp_result *res = &sc->results[i];
        snprintf(st->nums[i][0], sizeof st->nums[i][0], "%zu", res->rank);
        snprintf(st->nums[i][1], sizeof st->nums[i][1], "%zu", res->runs);
        st->keys[3 * i] = st->nums[i][0];
        st->keys[3 * i + 1] = res->policy;
        st->keys[3 * i + 2] = st->nums[i][1];
        for (size_t c = 0; c < n_cols; c++)
            st->cells[i * n_cols + c] = res->m[cols[c]];
    }
    *t = (tab){.n_keys = 3,
               .n_cols = n_cols,
               .n_rows = n,
               .key_names = key_names,
               .key_numeric = key_numeric,
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

static void md_images(FILE *f, const cmp_scenario *sc)
{
    static const char *const what[][2] = {
        {"metrics", "each metric per policy"},
        {"stall-cdf", "stall distribution per policy"},
        {"memory", "memory of each policy's most-stalled VM"},
    };
    char safe[256];
    cmp_safe_name(safe, sizeof safe, sc->name);
    for (size_t i = 0; i < sizeof what / sizeof what[0]; i++) {
        fprintf(f, "\n![%s](plots/", what[i][1]);
        md_link_path(f, safe);
        fprintf(f, "-%s.png)\n", what[i][0]);
    }
}

static bs_rc write_text_or_md(FILE *f, const cmp_report *r, bool markdown, bool images)
{
    met_id cols[MET_COUNT];
    size_t n_cols = cmp_shown_metrics(r, cols);
    header_text(f, r, markdown);
    for (size_t s = 0; s < r->n_scenarios; s++) {
        const cmp_scenario *sc = &r->scenarios[s];
        tab_store st = {0};
        tab t;
        if (!scenario_table(sc, cols, n_cols, &st, &t)) {
            free_store(&st);
            return BS_ERR_INTERNAL;
        }
        if (markdown) {
            fputs("\n### ", f);
            for (const char *p = sc->name; *p; p++) {
                if (strchr("\\`*_[]#<>|", *p))
                    putc('\\', f);
                putc(*p, f);
            }
            fputs("\n\n", f);
            tab_write_markdown(f, &t);
            if (images)
                md_images(f, sc);
        } else {
            fprintf(f, "\nscenario %s (%s)\n", sc->name, sc->file);
            tab_write_text(f, &t);
        }
        free_store(&st);
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
    for (size_t s = 0; s < r->n_scenarios; s++) {
        const cmp_scenario *sc = &r->scenarios[s];
        tab_store st = {0};
        tab t;
        if (!scenario_table(sc, NULL, MET_COUNT, &st, &t)) {
            free_store(&st);
            return BS_ERR_INTERNAL;
        }
        fprintf(f, "%s\n    {\n      \"name\": ", s ? "," : "");
        txt_json_string(f, sc->name);
        fputs(",\n      \"file\": ", f);
        txt_json_string(f, sc->file);
        fputs(",\n      \"results\": ", f);
        tab_write_json(f, &t, "      ");
        fputs("\n    }", f);
        free_store(&st);
    }
    fprintf(f, "%s]\n}\n", r->n_scenarios ? "\n  " : "");
    return ferror(f) ? BS_ERR_INTERNAL : BS_OK;
}

static bs_rc write_csv(FILE *f, const cmp_report *r)
{
    static const char *const lead_names[] = {"scenario"};
    for (size_t s = 0; s < r->n_scenarios; s++) {
        const cmp_scenario *sc = &r->scenarios[s];
        tab_store st = {0};
        tab t;
        if (!scenario_table(sc, NULL, MET_COUNT, &st, &t)) {
            free_store(&st);
            return BS_ERR_INTERNAL;
        }
        const char *lead[] = {sc->name};
        tab_write_csv(f, &t, s == 0, lead_names, lead, 1);
        free_store(&st);
    }
    if (r->n_scenarios == 0) { /* the header alone */
        tab t = {.n_keys = 3, .n_cols = 0, .key_names = key_names, .key_numeric = key_numeric};
        tab_store st = {0};
        for (int id = 0; id < MET_COUNT; id++)
            st.col_names[id] = met_info_get((met_id)id)->name;
        t.n_cols = MET_COUNT;
        t.col_names = st.col_names;
        tab_write_csv(f, &t, true, lead_names, NULL, 1);
    }
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
