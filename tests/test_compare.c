/* test_compare.c -- `balloonsim compare` and its results model
 * (sim/compare.h).
 *
 * Library tests: the confidence-interval arithmetic against Student t values
 * from printed tables, --rank-by parsing, ranking (ties, nulls, "higher is
 * better"), baseline round trips (exact doubles, nulls, odd names), baseline
 * errors with their position, --fail-if messages, and the four formats of a
 * fixed report against tests/golden-compare/synthetic.*.  Groups and
 * windows: scoped cells aggregated over seeds, their json/csv rows and round
 * trip (tests/golden-compare/grouped*), scoped --fail-if (with a baseline
 * that has the group and one that lacks it) and --rank-by, per-scope ranks,
 * --by group tables and the group bars.
 *
 * Command tests run the built binary ($BALLOONSIM, else ./balloonsim) on the
 * small scenarios of tests/data/compare/: exit codes 0/1/2, byte-identical
 * reports for -j 1 and -j 4, stdout equal to the report file of each format,
 * and the reports of a fixed compare against tests/golden-compare/e2e/; the
 * groups and window of tests/data/compare/tenants.yaml end to end.
 * BALLOONSIM_GOLDEN_UPDATE=1 (make golden) re-records the golden files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/batch/baseline.h"
#include "sim/batch/compare.h"
#include "plots/compare_plot.h"
#include "plots/plot.h"
#include "tests/helpers.h"

#define TIGHT "tests/data/compare/tight.yaml"
#define ROOMY "tests/data/compare/roomy.yaml"
#define BADSC "tests/data/compare/bad.yaml"
#define TENANTS "tests/data/compare/tenants.yaml"
#define GOLDEN "tests/golden-compare"

static char bin[PATH_MAX];

/* ------------------------------------------------------------------ */
/* helpers                                                             */

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static bool updating(void)
{
    const char *u = getenv("BALLOONSIM_GOLDEN_UPDATE");
    return u && *u && strcmp(u, "0") != 0;
}

/* `text` must equal the golden file (or becomes it when updating). */
static void check_golden(const char *name, const char *text)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, GOLDEN "/%s", name);
    if (updating()) {
        char dir[PATH_MAX];
        snprintf(dir, sizeof dir, "%s", path);
        *strrchr(dir, '/') = '\0';
        mkdir(GOLDEN, 0777);
        mkdir(dir, 0777);
        write_text(path, text);
        return;
    }
    char *want = th_read_file(path);
    if (want == NULL)
        fail_msg("missing golden file %s (make golden records it)", path);
    if (strcmp(want, text) != 0) {
        fprintf(stderr, "--- %s\n%s\n+++ got\n%s\n", path, want, text);
        fail_msg("%s differs from the output (make golden after a deliberate change)", path);
    }
    free(want);
}

static char *written(const cmp_report *r, cmp_format fmt)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    assert_non_null(m);
    assert_int_equal(cmp_write(m, r, fmt), BS_OK);
    fclose(m);
    return buf;
}

/* The binary with ARGS, stdout/stderr/exit code captured. */
#define RUN(...) th_exec(bin, NULL, NULL, (const char *const[]){__VA_ARGS__, NULL})

/* ------------------------------------------------------------------ */
/* confidence intervals                                                */

static met_values one(double v)
{
    met_values m;
    memset(&m, 0, sizeof m);
    m.v[MET_STALL_S] = v;
    m.present[MET_STALL_S] = true;
    return m;
}

static void ci_against_t_tables(void **state)
{
    (void)state;
    tab_cell c[MET_COUNT];
    /* 1..5: mean 3, s = sqrt(2.5); t(0.975, 4) = 2.776445 (tables) */
    met_values five[] = {one(1), one(2), one(3), one(4), one(5)};
    cmp_aggregate(five, 5, c);
    assert_int_equal(c[MET_STALL_S].n, 5);
    assert_float_equal(c[MET_STALL_S].mean, 3.0, 1e-12);
    assert_float_equal(c[MET_STALL_S].ci95, 2.776445105 * sqrt(2.5) / sqrt(5.0), 1e-8);
    /* 10, 20: s = 7.0710678; t(0.975, 1) = 12.706205 */
    met_values two[] = {one(10), one(20)};
    cmp_aggregate(two, 2, c);
    assert_float_equal(c[MET_STALL_S].mean, 15.0, 1e-12);
    assert_float_equal(c[MET_STALL_S].ci95, 12.70620474 * sqrt(50.0) / sqrt(2.0), 1e-6);
    /* 2, 4, 4, 4, 5, 5, 7, 9: mean 5, s^2 = 32/7; t(0.975, 7) = 2.364624 */
    met_values eight[] = {one(2), one(4), one(4), one(4), one(5), one(5), one(7), one(9)};
    cmp_aggregate(eight, 8, c);
    assert_float_equal(c[MET_STALL_S].mean, 5.0, 1e-12);
    assert_float_equal(c[MET_STALL_S].ci95, 2.364624252 * sqrt(32.0 / 7.0) / sqrt(8.0), 1e-8);
    /* a metric no run has: null */
    assert_int_equal(c[MET_FAIRNESS].n, 0);
}

static void ci_edge_cases(void **state)
{
    (void)state;
    tab_cell c[MET_COUNT];
    met_values single[] = {one(42)};
    cmp_aggregate(single, 1, c);
    assert_int_equal(c[MET_STALL_S].n, 1);
    assert_true(c[MET_STALL_S].mean == 42);
    assert_true(isnan(c[MET_STALL_S].ci95)); /* no interval from one value */

    /* equal values: exactly that value and exactly no spread */
    met_values same[] = {one(0.1), one(0.1), one(0.1)};
    cmp_aggregate(same, 3, c);
    assert_true(c[MET_STALL_S].mean == 0.1);
    assert_true(c[MET_STALL_S].ci95 == 0.0);

    /* null in one run: averaged over the runs that have it */
    met_values mixed[] = {one(1), one(3), one(0)};
    mixed[2].present[MET_STALL_S] = false;
    cmp_aggregate(mixed, 3, c);
    assert_int_equal(c[MET_STALL_S].n, 2);
    assert_float_equal(c[MET_STALL_S].mean, 2.0, 1e-12);

    cmp_aggregate(NULL, 0, c);
    assert_int_equal(c[MET_STALL_S].n, 0);
}

/* ------------------------------------------------------------------ */
/* ranking                                                             */

static void rank_by_parsing(void **state)
{
    (void)state;
    cmp_key k[CMP_MAX_KEYS];
    size_t n = 0;
    char err[256], txt[256];
    assert_int_equal(cmp_parse_rank_by("guest_oom_kills+host_oom_kills,-fairness, stall_s", k, &n,
                                       err, sizeof err), BS_OK);
    assert_int_equal(n, 3);
    assert_int_equal(k[0].n, 2);
    assert_int_equal(k[0].refs[1].id, MET_HOST_OOM_KILLS);
    assert_false(k[0].higher_better);
    assert_true(k[1].higher_better);
    assert_int_equal(k[1].refs[0].id, MET_FAIRNESS);
    assert_int_equal(k[2].refs[0].id, MET_STALL_S);
    cmp_key_text(&k[1], txt, sizeof txt);
    assert_string_equal(txt, "-fairness");
    cmp_key_text(&k[0], txt, sizeof txt);
    assert_string_equal(txt, "guest_oom_kills+host_oom_kills");
    cmp_keys_free(k, n);

    /* the default objective reads back as the documented text */
    cmp_default_keys(k, &n);
    assert_int_equal(n, 3);
    cmp_key_text(&k[0], txt, sizeof txt);
    assert_string_equal(txt, "guest_oom_kills+host_oom_kills");
    cmp_key_text(&k[2], txt, sizeof txt);
    assert_string_equal(txt, "balloon_traffic_bytes");

    static const struct {
        const char *text, *err;
    } bad[] = {
        {"stall", "column 1: unknown metric 'stall'"},
        {"stall_s,", "column 9: expected a metric name, found the end"},
        {"stall_s+", "column 9: expected a metric name, found the end"},
        {"stall_s fairness", "column 9: expected ',', '+' or the end, found 'f'"},
        {"", "column 1: expected a metric name, found the end"},
        {"--stall_s", "column 2: expected a metric name, found '-'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(cmp_parse_rank_by(bad[i].text, k, &n, err, sizeof err), BS_ERR_INPUT);
        assert_string_equal(err, bad[i].err);
    }
}

static cmp_report *report_of(size_t n_pol, const char *const *pols, const cmp_key *keys,
                             size_t n_keys)
{
    static const uint64_t seeds[] = {1, 2, 3};
    const char *names[] = {"s"};
    return cmp_report_new(seeds, 3, pols, n_pol, keys, n_keys, NULL, 0, names, NULL, 1);
}

static void set(cmp_result *r, met_id id, double mean)
{
    r->m[id] = (tab_cell){.mean = mean, .ci95 = 0, .n = 3};
}

static void ranking(void **state)
{
    (void)state;
    static const char *const pols[] = {"a", "b", "c", "d", "e"};
    cmp_key keys[CMP_MAX_KEYS];
    size_t n_keys;
    cmp_default_keys(keys, &n_keys);
    cmp_report *r = report_of(5, pols, keys, n_keys);
    assert_non_null(r);
    cmp_result *res = r->scenarios[0].results;
    /* a: 1 kill; b: 0 kills, stall 50; c: 0 kills, stall 50, less traffic;
     * d: like c (a tie); e: no stall value at all (ranks last) */
    double kills[] = {1, 0, 0, 0, 0}, stall[] = {0, 50, 50, 50, NAN}, traffic[] = {0, 9, 5, 5, 0};
    for (int i = 0; i < 5; i++) {
        set(&res[i], MET_GUEST_OOM_KILLS, kills[i]);
        set(&res[i], MET_HOST_OOM_KILLS, 0);
        if (!isnan(stall[i]))
            set(&res[i], MET_STALL_S, stall[i]);
        set(&res[i], MET_BALLOON_TRAFFIC_BYTES, traffic[i]);
    }
    cmp_rank(r);
    /* table order: c and d share rank 1 in -p order, then b; e has no stall
     * but fewer kills than a, and the first criterion decides */
    const char *order[] = {"c", "d", "b", "e", "a"};
    size_t ranks[] = {1, 1, 3, 4, 5};
    for (int i = 0; i < 5; i++) {
        assert_string_equal(res[i].policy, order[i]);
        assert_int_equal(res[i].rank, ranks[i]);
    }
    cmp_report_free(r);

    /* higher is better */
    assert_int_equal(cmp_parse_rank_by("-fairness", keys, &n_keys, (char[64]){0}, 64), BS_OK);
    r = report_of(3, pols, keys, n_keys);
    cmp_keys_free(keys, n_keys); /* the report holds copies */
    res = r->scenarios[0].results;
    set(&res[0], MET_FAIRNESS, 0.5);
    set(&res[1], MET_FAIRNESS, 0.9);
    set(&res[2], MET_FAIRNESS, 0.7);
    cmp_rank(r);
    assert_string_equal(res[0].policy, "b");
    assert_string_equal(res[1].policy, "c");
    assert_string_equal(res[2].policy, "a");
    cmp_report_free(r);
}

/* ------------------------------------------------------------------ */
/* a fixed report                                                      */

/* Two scenarios (one with a name that needs quoting everywhere), three
 * policies, metric values from a formula, some nulls and a one-value cell. */
static cmp_report *synthetic(void)
{
    static const uint64_t seeds[] = {1, 2, 3};
    static const char *const pols[] = {"static", "proportional", "mom"};
    static const char *const sets[] = {"duration=1h"};
    static const char *const names[] = {"peak", "odd | \"name\", \xc3\xa9"};
    static const char *const files[] = {"scenarios/peak.yaml", "x/odd.yaml"};
    cmp_key keys[CMP_MAX_KEYS];
    size_t n_keys;
    cmp_default_keys(keys, &n_keys);
    cmp_report *r = cmp_report_new(seeds, 3, pols, 3, keys, n_keys, sets, 1, names, files, 2);
    assert_non_null(r);
    for (size_t s = 0; s < 2; s++) {
        for (size_t p = 0; p < 3; p++) {
            cmp_result *res = &r->scenarios[s].results[p];
            res->runs = 3;
            for (int id = 0; id < MET_COUNT; id++) {
                double base = (double)(id + 1) * (double)(3 - p) * 1.5 + (double)s / 3.0;
                if (met_info_get((met_id)id)->integer)
                    base = floor(base) * (strcmp(met_info_get((met_id)id)->unit, "bytes") == 0
                                              ? 1073741824.0 : 1.0);
                res->m[id] = (tab_cell){.mean = base, .ci95 = base / 7.0, .n = 3};
            }
            res->m[MET_GUEST_OOM_KILLS].mean = p == 2 ? 0 : 2;
            res->m[MET_GUEST_OOM_KILLS].ci95 = 0;
            res->m[MET_REACH_P50] = (tab_cell){.mean = NAN, .ci95 = NAN, .n = 0};
            res->m[MET_REACH_P95] = (tab_cell){.mean = 0.1 + 0.2, .ci95 = NAN, .n = 1};
            res->m[MET_FAIRNESS].mean = 1.0 / 3.0;
        }
    }
    cmp_rank(r);
    return r;
}

static void formats_against_golden(void **state)
{
    (void)state;
    cmp_report *r = synthetic();
    static const struct {
        cmp_format f;
        const char *name;
    } fm[] = {{CMP_TEXT, "synthetic.txt"}, {CMP_MARKDOWN, "synthetic.md"},
              {CMP_JSON, "synthetic.json"}, {CMP_CSV, "synthetic.csv"}};
    for (size_t i = 0; i < 4; i++) {
        char *s = written(r, fm[i].f);
        check_golden(fm[i].name, s);
        /* a function of the report alone */
        char *again = written(r, fm[i].f);
        assert_string_equal(s, again);
        free(s);
        free(again);
    }
    /* mom (no kills) ranks first in both scenarios */
    assert_string_equal(r->scenarios[0].results[0].policy, "mom");
    cmp_report_free(r);
}

static void same_numbers_in_every_format(void **state)
{
    (void)state;
    cmp_report *r = synthetic();
    char *csv = written(r, CMP_CSV), *json = written(r, CMP_JSON);
    /* the stall_s mean of the first row, from csv (column 11) and json */
    assert_true(strncmp(csv, "scenario,group,window,rank,policy,runs,", 39) == 0);
    char *row = strchr(csv, '\n') + 1;
    const char *p = row;
    for (int i = 0; i < 12; i++) /* scenario,group,window,rank,policy,runs,... */
        p = strchr(p, ',') + 1;
    double from_csv = strtod(p, NULL);
    const char *j = strstr(json, "\"stall_s\": {\"mean\": ");
    assert_non_null(j);
    double from_json = strtod(j + strlen("\"stall_s\": {\"mean\": "), NULL);
    assert_true(from_csv == r->scenarios[0].results[0].m[MET_STALL_S].mean);
    assert_true(from_json == from_csv);
    free(csv);
    free(json);
    cmp_report_free(r);
}

/* ------------------------------------------------------------------ */
/* baselines                                                           */

static bool same_str(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* The same scopes in the same order with the same cells, exactly. */
static void same_scopes(const cmp_result *x, const cmp_result *y)
{
    assert_int_equal(x->n_scopes, y->n_scopes);
    for (size_t i = 0; i < x->n_scopes; i++) {
        const cmp_cells *a = &x->scopes[i], *b = &y->scopes[i];
        assert_true(same_str(a->group, b->group));
        assert_true(same_str(a->window, b->window));
        assert_int_equal(a->rank, b->rank);
        assert_int_equal(a->runs, b->runs);
        for (int id = 0; id < MET_COUNT; id++) {
            assert_int_equal(a->m[id].n, b->m[id].n);
            if (a->m[id].n)
                assert_true(a->m[id].mean == b->m[id].mean);
            assert_int_equal(isfinite(a->m[id].ci95), isfinite(b->m[id].ci95));
            if (isfinite(a->m[id].ci95))
                assert_true(a->m[id].ci95 == b->m[id].ci95);
        }
    }
}

static void same_report(const cmp_report *a, const cmp_report *b)
{
    assert_string_equal(a->version, b->version);
    assert_int_equal(a->n_seeds, b->n_seeds);
    for (size_t i = 0; i < a->n_seeds; i++)
        assert_true(a->seeds[i] == b->seeds[i]);
    assert_int_equal(a->n_policies, b->n_policies);
    for (size_t i = 0; i < a->n_policies; i++)
        assert_string_equal(a->policies[i], b->policies[i]);
    assert_int_equal(a->n_sets, b->n_sets);
    assert_int_equal(a->n_keys, b->n_keys);
    for (size_t k = 0; k < a->n_keys; k++) {
        char x[256], y[256];
        cmp_key_text(&a->keys[k], x, sizeof x);
        cmp_key_text(&b->keys[k], y, sizeof y);
        assert_string_equal(x, y);
    }
    assert_int_equal(a->n_scenarios, b->n_scenarios);
    for (size_t s = 0; s < a->n_scenarios; s++) {
        const cmp_scenario *x = &a->scenarios[s], *y = &b->scenarios[s];
        assert_string_equal(x->name, y->name);
        assert_string_equal(x->file, y->file);
        assert_int_equal(x->n_results, y->n_results);
        for (size_t p = 0; p < x->n_results; p++) {
            assert_string_equal(x->results[p].policy, y->results[p].policy);
            assert_int_equal(x->results[p].rank, y->results[p].rank);
            assert_int_equal(x->results[p].runs, y->results[p].runs);
            for (int id = 0; id < MET_COUNT; id++) {
                const tab_cell *c = &x->results[p].m[id], *d = &y->results[p].m[id];
                assert_int_equal(c->n, d->n);
                if (c->n)
                    assert_true(c->mean == d->mean); /* exact, not close */
                assert_int_equal(isfinite(c->ci95), isfinite(d->ci95));
                if (isfinite(c->ci95))
                    assert_true(c->ci95 == d->ci95);
            }
            same_scopes(&x->results[p], &y->results[p]);
        }
    }
}

static void baseline_round_trip(void **state)
{
    (void)state;
    cmp_report *r = synthetic();
    /* doubles that need all 17 digits, tiny and huge ones */
    cmp_result *res = (cmp_result *)cmp_find_result(&r->scenarios[1], "mom");
    res->m[MET_STALL_S].mean = 0.1 + 0.2;
    res->m[MET_STALL_S].ci95 = 1e-300;
    res->m[MET_BALLOON_TRAFFIC_BYTES].mean = 9007199254740993.0 * 1024;
    res->m[MET_PRESSURE_FRACTION].mean = nextafter(1.0, 0.0);
    /* scopes of one policy only, with names that need quoting and the same
     * odd doubles: they come back exactly, in their order */
    static const char *const sg[] = {"db \"1\"", NULL, "db \"1\""};
    static const char *const sw[] = {NULL, "peak-\xc3\xa9", "peak-\xc3\xa9"};
    for (size_t i = 0; i < 3; i++) {
        cmp_cells *c = NULL;
        assert_int_equal(cmp_result_add_scope(res, sg[i], sw[i], &c), BS_OK);
        c->rank = 1;
        c->runs = 3;
        c->m[MET_STALL_S] = (tab_cell){.mean = 0.1 + 0.2 + (double)i, .ci95 = 1e-300, .n = 3};
        c->m[MET_FAIRNESS] = (tab_cell){.mean = nextafter(1.0, 0.0), .ci95 = NAN, .n = 1};
    }
    char *d = th_make_tmpdir("compare"), *path = th_path(d, "base.json");
    char *json = written(r, CMP_JSON);
    write_text(path, json);
    cfg_errs errs = {0};
    cmp_report *back = NULL;
    assert_int_equal(cmp_load(path, &errs, &back), BS_OK);
    assert_int_equal(errs.n, 0);
    same_report(r, back);
    /* write, load, write: the same bytes */
    char *again = written(back, CMP_JSON);
    assert_string_equal(json, again);
    /* lookups by name */
    const cmp_scenario *sc = cmp_find_scenario(back, "odd | \"name\", \xc3\xa9");
    assert_non_null(sc);
    assert_non_null(cmp_find_result(sc, "mom"));
    assert_null(cmp_find_result(sc, "esx"));
    assert_null(cmp_find_scenario(back, "nope"));
    met_values m;
    cmp_means(cmp_find_result(sc, "mom"), &m);
    assert_true(m.present[MET_STALL_S] && m.v[MET_STALL_S] == 0.1 + 0.2);
    assert_false(m.present[MET_REACH_P50]);
    const tab_cell *gw = cmp_cells_of(cmp_find_result(sc, "mom"), "db \"1\"", "peak-\xc3\xa9");
    assert_non_null(gw);
    assert_true(gw[MET_STALL_S].mean == 0.1 + 0.2 + 2.0);
    assert_null(cmp_cells_of(cmp_find_result(sc, "static"), "db \"1\"", NULL));
    free(again);
    free(json);
    cmp_report_free(back);
    cmp_report_free(r);
    th_rm_rf(d);
    free(d);
    free(path);
}

static void baseline_errors_have_positions(void **state)
{
    (void)state;
    char *d = th_make_tmpdir("compare"), *path = th_path(d, "bad.json");
    write_text(path, "{\n"
                     "  \"version\": \"0.1.0\",\n"
                     "  \"seeds\": [1, 2],\n"
                     "  \"policies\": [\"static\"],\n"
                     "  \"rank_by\": [\"stall_s\", \"bogus\"],\n"
                     "  \"sets\": [],\n"
                     "  \"scenarios\": [{\"name\": \"s\", \"file\": \"s.yaml\", \"results\": [\n"
                     "    {\"policy\": \"static\", \"rank\": 1, \"runs\": 2, \"metrics\": {\n"
                     "      \"stall_s\": {\"mean\": twelve, \"ci95\": null, \"n\": 2}}}]}]\n"
                     "}\n");
    cfg_errs errs = {0};
    cmp_report *r = NULL;
    assert_int_equal(cmp_load(path, &errs, &r), BS_ERR_INPUT);
    assert_null(r);
    char *all = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&all, &len);
    cfg_errs_print(&errs, m);
    fclose(m);
    char want[PATH_MAX + 128];
    snprintf(want, sizeof want, "%s:5:26: rank_by[1]:", path);
    assert_non_null(strstr(all, want));
    snprintf(want, sizeof want, "%s:9:27: scenarios[0].results[0].metrics.stall_s.mean:", path);
    assert_non_null(strstr(all, want));
    assert_non_null(strstr(all, "twelve"));
    free(all);
    cfg_errs_free(&errs);

    write_text(path, "");
    assert_int_equal(cmp_load(path, &errs, &r), BS_ERR_INPUT);
    cfg_errs_free(&errs);
    write_text(path, "[1, 2]\n");
    assert_int_equal(cmp_load(path, &errs, &r), BS_ERR_INPUT);
    cfg_errs_free(&errs);
    th_rm_rf(d);
    free(d);
    free(path);
}

/* ------------------------------------------------------------------ */
/* --fail-if                                                           */

static char *fail_if_text(const cmp_report *r, const char *cond, const cmp_report *base,
                          bool *held)
{
    expr *e = NULL;
    char err[256];
    assert_int_equal(expr_parse(cond, &e, err, sizeof err), BS_OK);
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    *held = cmp_fail_if(r, e, base, "base.json", m);
    fclose(m);
    expr_free(e);
    return buf;
}

static void fail_if_messages(void **state)
{
    (void)state;
    static const char *const pols[] = {"p", "q"};
    cmp_key keys[CMP_MAX_KEYS];
    size_t n_keys;
    cmp_default_keys(keys, &n_keys);
    cmp_report *r = report_of(2, pols, keys, n_keys), *base = report_of(1, pols, keys, n_keys);
    set(&r->scenarios[0].results[0], MET_STALL_S, 123);
    set(&r->scenarios[0].results[1], MET_STALL_S, 100);
    set(&base->scenarios[0].results[0], MET_STALL_S, 100);
    bool held;
    char *out = fail_if_text(r, "stall_s>+10%", base, &held);
    assert_true(held);
    /* p tripped it (123 > 110); q has no baseline entry: a note, not a hit */
    assert_string_equal(out,
                        "fail-if: s / p: stall_s = 123 > 110 (baseline 100 +10%)\n"
                        "note: base.json has no results for s / q: its relative conditions are "
                        "false there\n");
    free(out);

    out = fail_if_text(r, "stall_s>+30%", base, &held);
    assert_false(held);
    free(out);

    out = fail_if_text(r, "stall_s >= 100 && guest_oom_kills > 0", NULL, &held);
    assert_false(held); /* guest_oom_kills has no value here: false */
    free(out);

    out = fail_if_text(r, "stall_s >= 100", NULL, &held);
    assert_true(held);
    assert_string_equal(out, "fail-if: s / p: stall_s = 123 >= 100\n"
                             "fail-if: s / q: stall_s = 100 >= 100\n");
    free(out);

    out = fail_if_text(r, "!(stall_s < 110)", NULL, &held);
    assert_true(held);
    assert_string_equal(out, "fail-if: s / p: the condition holds\n");
    free(out);
    cmp_report_free(r);
    cmp_report_free(base);
}

/* ------------------------------------------------------------------ */
/* groups and windows                                                  */

/* One run's scopes as the engine orders them: the run, groups db and web,
 * window peak and its groups.  `k` varies the values; `shuffled` lists the
 * scopes in another order (matching is by name); `no_web_peak` leaves
 * web@peak out. */
static met_set scopes_of_run(double k, bool shuffled, bool no_web_peak)
{
    static const char *const g[] = {NULL, "db", "web", NULL, "db", "web"};
    static const char *const w[] = {NULL, NULL, NULL, "peak", "peak", "peak"};
    static const size_t order[][6] = {{0, 1, 2, 3, 4, 5}, {0, 5, 3, 2, 4, 1}};
    met_set set = {0};
    for (size_t j = 0; j < 6; j++) {
        size_t i = order[shuffled][j];
        if (no_web_peak && i == 5)
            continue;
        met_values v;
        memset(&v, 0, sizeof v);
        for (int id = 0; id < MET_COUNT; id++) {
            /* groups lack the host metrics, as the engine's do */
            if (g[i] && id >= MET_HOST_FREE_MIN_BYTES)
                continue;
            v.present[id] = true;
            v.v[id] = (double)(i + 1) * 10 + (double)id + k * (double)(i + 1);
        }
        assert_int_equal(met_set_add(&set, g[i], w[i], &v), BS_OK);
    }
    return set;
}

static void scoped_cells_aggregate_over_seeds(void **state)
{
    (void)state;
    met_set runs[3] = {scopes_of_run(0, false, false), scopes_of_run(1, true, false),
                       scopes_of_run(5, false, true)};
    cmp_result res = {0};
    cmp_empty_cells(res.m);
    assert_int_equal(cmp_aggregate_scopes(runs, 3, &res), BS_OK);
    /* every scope but the run, in the first run's (summary.json) order */
    assert_int_equal(res.n_scopes, 5);
    static const char *const g[] = {"db", "web", NULL, "db", "web"};
    static const char *const w[] = {NULL, NULL, "peak", "peak", "peak"};
    for (size_t i = 0; i < 5; i++) {
        assert_true(same_str(res.scopes[i].group, g[i]));
        assert_true(same_str(res.scopes[i].window, w[i]));
        assert_int_equal(res.scopes[i].runs, 3);
    }
    /* db: the same arithmetic as cmp_aggregate on the three runs' db values,
     * though run 2 lists its scopes in another order */
    met_values db[3];
    for (int k = 0; k < 3; k++)
        db[k] = *met_set_find(&runs[k], "db", NULL);
    tab_cell want[MET_COUNT];
    cmp_aggregate(db, 3, want);
    const tab_cell *got = cmp_cells_of(&res, "db", NULL);
    assert_non_null(got);
    for (int id = 0; id < MET_COUNT; id++) {
        assert_int_equal(got[id].n, want[id].n);
        if (want[id].n) {
            assert_true(got[id].mean == want[id].mean);
            assert_true(got[id].ci95 == want[id].ci95);
        }
    }
    /* stall_s of db: 20 + 3 + {0, 2, 10} -> mean 27, t(0.975, 2) s / sqrt 3 */
    double x[] = {23, 25, 33}, mean, hw;
    met_mean_ci95(x, 3, &mean, &hw);
    assert_true(got[MET_STALL_S].mean == mean);
    assert_float_equal(got[MET_STALL_S].mean, 27.0, 1e-12);
    assert_float_equal(got[MET_STALL_S].ci95, 4.302652730 * sqrt(28.0) / sqrt(3.0), 1e-7);
    /* a group has no host metric: null there, not 0 */
    assert_int_equal(got[MET_HOST_FREE_MIN_BYTES].n, 0);
    /* web@peak is missing from the third run: averaged over the two others */
    const tab_cell *wp = cmp_cells_of(&res, "web", "peak");
    assert_non_null(wp);
    assert_int_equal(wp[MET_STALL_S].n, 2);
    assert_float_equal(wp[MET_STALL_S].mean, (63.0 + 69.0) / 2, 1e-12);
    /* the run itself is not a scope here (it is res.m), unknown ones absent */
    assert_null(cmp_cells_of(&res, "nope", NULL));
    assert_true(cmp_cells_of(&res, NULL, NULL) == res.m);
    for (int k = 0; k < 3; k++)
        met_set_free(&runs[k]);
    for (size_t i = 0; i < res.n_scopes; i++) {
        free(res.scopes[i].group);
        free(res.scopes[i].window);
    }
    free(res.scopes);
}

/* Like synthetic(), with groups db and web and a window peak (with its
 * groups) in every result: the values of a scope differ per policy, so the
 * group rankings differ from the run's. */
static cmp_report *grouped(const cmp_key *keys, size_t n_keys)
{
    static const uint64_t seeds[] = {1, 2};
    static const char *const pols[] = {"static", "proportional", "mom"};
    static const char *const names[] = {"vps"};
    static const char *const files[] = {"scenarios/vps.yaml"};
    cmp_key def[CMP_MAX_KEYS];
    if (keys == NULL) {
        cmp_default_keys(def, &n_keys);
        keys = def;
    }
    cmp_report *r = cmp_report_new(seeds, 2, pols, 3, keys, n_keys, NULL, 0, names, files, 1);
    assert_non_null(r);
    static const char *const g[] = {"db", "web", NULL, "db", "web"};
    static const char *const w[] = {NULL, NULL, "peak", "peak", "peak"};
    for (size_t p = 0; p < 3; p++) {
        cmp_result *res = &r->scenarios[0].results[p];
        res->runs = 2;
        for (int id = 0; id < MET_COUNT; id++)
            res->m[id] = (tab_cell){.mean = (double)(id + 1) * (double)(p + 1), .ci95 = 0.5,
                                    .n = 2};
        for (size_t i = 0; i < 5; i++) {
            cmp_cells *c = NULL;
            assert_int_equal(cmp_result_add_scope(res, g[i], w[i], &c), BS_OK);
            c->runs = 2;
            for (int id = 0; id < MET_HOST_FREE_MIN_BYTES; id++)
                c->m[id] = (tab_cell){.mean = (double)(id + 1) * (double)(3 - p) + (double)i / 4,
                                      .ci95 = 0.25, .n = 2};
        }
        /* the database is killed under static only, and more at peak */
        res->m[MET_HOST_OOM_KILLS] = (tab_cell){.mean = p == 0 ? 865 : 0, .ci95 = 0, .n = 2};
        res->m[MET_GUEST_OOM_KILLS] = (tab_cell){.mean = 0, .ci95 = 0, .n = 2};
        for (size_t i = 0; i < 5; i++) {
            cmp_cells *c = &res->scopes[i];
            /* db's kills are all of the run's (web has none), 500 of them at peak */
            bool db = same_str(c->group, "db") || c->group == NULL;
            c->m[MET_HOST_OOM_KILLS] = (tab_cell){.mean = p == 0 && db ? (c->window ? 500 : 865) : 0,
                                                  .ci95 = 0, .n = 2};
            c->m[MET_GUEST_OOM_KILLS] = (tab_cell){.mean = 0, .ci95 = 0, .n = 2};
        }
    }
    cmp_rank(r);
    return r;
}

static void grouped_formats_and_round_trip(void **state)
{
    (void)state;
    cmp_report *r = grouped(NULL, 0);
    static const struct {
        cmp_format f;
        const char *name;
    } fm[] = {{CMP_TEXT, "grouped.txt"}, {CMP_MARKDOWN, "grouped.md"},
              {CMP_JSON, "grouped.json"}, {CMP_CSV, "grouped.csv"}};
    for (size_t i = 0; i < 4; i++) {
        char *s = written(r, fm[i].f);
        check_golden(fm[i].name, s);
        free(s);
    }
    /* json carries groups and windows with their groups; csv their rows */
    char *json = written(r, CMP_JSON), *csv = written(r, CMP_CSV);
    assert_non_null(strstr(json, "\n      \"groups\": [\n        {\n          \"name\": \"db\",\n"
                                 "          \"results\": [\n"));
    assert_non_null(strstr(json, "\n      \"windows\": [\n        {\n          \"name\": \"peak\",\n"));
    assert_non_null(strstr(json, "\n          \"groups\": [\n            {\n"
                                 "              \"name\": \"db\",\n"));
    assert_non_null(strstr(csv, "\nvps,db,,"));
    assert_non_null(strstr(csv, "\nvps,,peak,"));
    assert_non_null(strstr(csv, "\nvps,web,peak,"));
    /* 3 run rows + 5 scopes x 3 policies + the header */
    size_t lines = 0;
    for (const char *p = csv; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 1 + 3 + 15);

    /* write, load, write: the same bytes, every scope back exactly */
    char *d = th_make_tmpdir("compare"), *path = th_path(d, "grouped.json");
    write_text(path, json);
    cfg_errs errs = {0};
    cmp_report *back = NULL;
    assert_int_equal(cmp_load(path, &errs, &back), BS_OK);
    assert_int_equal(errs.n, 0);
    same_report(r, back);
    char *again = written(back, CMP_JSON), *csv_again = written(back, CMP_CSV);
    assert_string_equal(json, again);
    assert_string_equal(csv, csv_again);
    const cmp_result *st = cmp_find_result(&back->scenarios[0], "static");
    assert_true(cmp_cells_of(st, "db", "peak")[MET_HOST_OOM_KILLS].mean == 500);
    free(again);
    free(csv_again);
    cmp_report_free(back);

    /* a group row of a policy without run results, a policy twice */
    char *bad = strdup(json);
    char *at = strstr(bad, "\"groups\": [\n        {\n          \"name\": \"db\"");
    assert_non_null(at);
    char *pol = strstr(at, "\"policy\": \"");
    assert_non_null(pol);
    memcpy(pol + strlen("\"policy\": \""), "zz", 2); /* "static" -> "zztic" */
    write_text(path, bad);
    assert_int_equal(cmp_load(path, &errs, &back), BS_ERR_INPUT);
    assert_true(errs.n > 0);
    char *all = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&all, &len);
    cfg_errs_print(&errs, m);
    fclose(m);
    assert_non_null(strstr(all, "scenarios[0].groups[0].results["));
    assert_non_null(strstr(all, "has no results of the whole run"));
    free(all);
    cfg_errs_free(&errs);
    free(bad);
    th_rm_rf(d);
    free(d);
    free(path);
    free(json);
    free(csv);
    cmp_report_free(r);
}

/* An old baseline (no "groups" or "windows" keys) loads, and its scopes are
 * absent. */
static void baseline_without_groups_loads(void **state)
{
    (void)state;
    cfg_errs errs = {0};
    cmp_report *b = NULL;
    assert_int_equal(cmp_load("tests/data/compare/baseline-before-groups.json", &errs, &b), BS_OK);
    assert_true(b->n_scenarios > 0);
    assert_int_equal(b->scenarios[0].results[0].n_scopes, 0);
    cmp_names nm;
    assert_int_equal(cmp_scenario_names(&b->scenarios[0], &nm), BS_OK);
    assert_int_equal(nm.n_groups, 0);
    assert_int_equal(nm.n_windows, 0);
    cmp_names_free(&nm);
    cmp_report_free(b);
    cfg_errs_free(&errs);
}

static void fail_if_on_groups_and_windows(void **state)
{
    (void)state;
    cmp_report *r = grouped(NULL, 0);
    bool held;
    char *out = fail_if_text(r, "db.host_oom_kills>0", NULL, &held);
    assert_true(held);
    assert_string_equal(out, "fail-if: vps / static: db.host_oom_kills = 865 > 0\n");
    free(out);
    out = fail_if_text(r, "web.host_oom_kills>0", NULL, &held);
    assert_false(held);
    assert_string_equal(out, "");
    free(out);
    out = fail_if_text(r, "db.host_oom_kills@peak>=500 || stall_p99@peak>100", NULL, &held);
    assert_true(held);
    assert_non_null(strstr(out, "fail-if: vps / static: db.host_oom_kills@peak = 500 >= 500\n"));
    free(out);

    /* relative, against a baseline with the group: the same report is not
     * worse; a baseline where db had less downtime is */
    cmp_report *base = grouped(NULL, 0);
    out = fail_if_text(r, "db.downtime_s>+0%", base, &held);
    assert_false(held);
    assert_string_equal(out, "");
    free(out);
    cmp_result *bm = (cmp_result *)cmp_find_result(&base->scenarios[0], "mom");
    cmp_cells *bdb = NULL;
    for (size_t i = 0; i < bm->n_scopes; i++)
        if (same_str(bm->scopes[i].group, "db") && bm->scopes[i].window == NULL)
            bdb = &bm->scopes[i];
    assert_non_null(bdb);
    double now = cmp_cells_of(cmp_find_result(&r->scenarios[0], "mom"), "db", NULL)[MET_DOWNTIME_S]
                     .mean;
    bdb->m[MET_DOWNTIME_S].mean = now / 2;
    out = fail_if_text(r, "db.downtime_s>+0%", base, &held);
    assert_true(held);
    char want[256];
    snprintf(want, sizeof want, "fail-if: vps / mom: db.downtime_s = %.6g > %.6g (baseline %.6g +0%%)\n",
             now, now / 2, now / 2);
    assert_string_equal(out, want);
    free(out);
    cmp_report_free(base);

    /* a baseline without groups: the relative condition on db is false,
     * with a note per policy; the run-level one still works */
    base = grouped(NULL, 0);
    for (size_t p = 0; p < base->scenarios[0].n_results; p++) {
        cmp_result *res = &base->scenarios[0].results[p];
        for (size_t i = 0; i < res->n_scopes; i++) {
            free(res->scopes[i].group);
            free(res->scopes[i].window);
        }
        free(res->scopes);
        res->scopes = NULL;
        res->n_scopes = 0;
    }
    out = fail_if_text(r, "db.downtime_s>-50%", base, &held);
    assert_false(held);
    assert_non_null(strstr(out, "note: base.json has no group 'db' for vps / static: its relative "
                                "conditions on it are false there\n"));
    assert_non_null(strstr(out, "for vps / mom:"));
    free(out);
    out = fail_if_text(r, "downtime_s>-50% || web.stall_s@peak>+0%", base, &held);
    assert_true(held);
    assert_non_null(strstr(out, "no group 'web' in window 'peak' for vps / static"));
    assert_non_null(strstr(out, "fail-if: vps / static: downtime_s = "));
    free(out);
    cmp_report_free(base);
    cmp_report_free(r);
}

static void rank_by_scoped_names(void **state)
{
    (void)state;
    cmp_key k[CMP_MAX_KEYS];
    size_t n = 0;
    char err[256], txt[256];
    assert_int_equal(cmp_parse_rank_by("-db.fairness, db.host_oom_kills+web.stall_p99@peak,"
                                       "stall_s@first-hour",
                                       k, &n, err, sizeof err), BS_OK);
    assert_int_equal(n, 3);
    assert_true(k[0].higher_better);
    assert_int_equal(k[0].refs[0].id, MET_FAIRNESS);
    assert_string_equal(k[0].refs[0].group, "db");
    assert_null(k[0].refs[0].window);
    assert_string_equal(k[1].refs[1].window, "peak");
    assert_string_equal(k[2].refs[0].window, "first-hour");
    cmp_key_text(&k[0], txt, sizeof txt);
    assert_string_equal(txt, "-db.fairness");
    cmp_key_text(&k[1], txt, sizeof txt);
    assert_string_equal(txt, "db.host_oom_kills+web.stall_p99@peak");

    /* unknown groups and windows name themselves and what exists */
    static const char *const groups[] = {"db", "web"}, *const windows[] = {"peak"};
    assert_int_equal(cmp_keys_check(k, n, groups, 2, windows, 1, err, sizeof err), BS_ERR_INPUT);
    assert_string_equal(err, "unknown window 'first-hour' in 'stall_s@first-hour' (windows: peak)");
    assert_int_equal(cmp_keys_check(k, 2, groups, 2, windows, 1, err, sizeof err), BS_OK);
    assert_int_equal(cmp_keys_check(k, 1, groups + 1, 1, windows, 1, err, sizeof err), BS_ERR_INPUT);
    assert_string_equal(err, "unknown group 'db' in 'db.fairness' (groups: web)");

    /* ranking by the database's kills: static (865) is last, and the run
     * table shows the scoped column */
    cmp_report *r = grouped(k + 1, 1);
    cmp_keys_free(k, n);
    const cmp_scenario *sc = &r->scenarios[0];
    assert_string_equal(sc->results[2].policy, "static");
    assert_int_equal(sc->results[2].rank, 3);
    char *text = written(r, CMP_TEXT);
    assert_non_null(strstr(text, "Ranked by lowest db.host_oom_kills+web.stall_p99@peak.\n"));
    assert_non_null(strstr(text, "  db.host_oom_kills  web.stall_p99@peak\n"));
    free(text);
    char *json = written(r, CMP_JSON);
    assert_non_null(strstr(json, "\"rank_by\": [\"db.host_oom_kills+web.stall_p99@peak\"]"));
    free(json);
    cmp_report_free(r);

    /* errors keep their columns */
    static const struct {
        const char *text, *err;
    } bad[] = {
        {"db.stall", "column 1: unknown metric 'stall'"},
        {"stall_s,.stall_s", "column 9: expected a metric name, found '.'"},
        {"db.stall_s@", "column 1: 'db.stall_s@': expected [GROUP.]METRIC[@WINDOW]"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(cmp_parse_rank_by(bad[i].text, k, &n, err, sizeof err), BS_ERR_INPUT);
        assert_string_equal(err, bad[i].err);
        assert_int_equal(n, 0);
    }
}

/* Every scope is ranked on its own by the same keys: under the default
 * objective static (db killed) is last in the run and in group db, but in
 * group web, where nobody is killed, the lowest stall wins. */
static void scopes_ranked_by_the_same_keys(void **state)
{
    (void)state;
    cmp_report *r = grouped(NULL, 0);
    const cmp_scenario *sc = &r->scenarios[0];
    const cmp_result *st = cmp_find_result(sc, "static"), *mom = cmp_find_result(sc, "mom");
    const cmp_result *prop = cmp_find_result(sc, "proportional");
    assert_int_equal(st->rank, 3);
    size_t rank_of[3][5];
    const cmp_result *res[] = {st, prop, mom};
    for (int p = 0; p < 3; p++)
        for (size_t i = 0; i < 5; i++)
            rank_of[p][i] = res[p]->scopes[i].rank;
    /* db: static killed -> 3; proportional vs mom on stall: mom's is lower */
    assert_int_equal(rank_of[0][0], 3);
    assert_int_equal(rank_of[2][0], 1);
    assert_int_equal(rank_of[1][0], 2);
    /* web: no kills anywhere; stall (3 - p) x 4: mom lowest, static highest */
    assert_int_equal(rank_of[2][1], 1);
    assert_int_equal(rank_of[0][1], 3);
    /* higher is better on a scoped key reverses it */
    cmp_key k[CMP_MAX_KEYS];
    size_t n;
    assert_int_equal(cmp_parse_rank_by("-stall_s", k, &n, (char[64]){0}, 64), BS_OK);
    cmp_report *h = grouped(k, n);
    cmp_keys_free(k, n);
    assert_int_equal(cmp_find_result(&h->scenarios[0], "static")->scopes[1].rank, 1);
    cmp_report_free(h);
    cmp_report_free(r);
}

static void by_group_tables(void **state)
{
    (void)state;
    cmp_report *r = grouped(NULL, 0);
    r->by_group = true;
    char *text = written(r, CMP_TEXT), *md = written(r, CMP_MARKDOWN);
    check_golden("grouped-by-group.txt", text);
    check_golden("grouped-by-group.md", md);
    /* one ranked table per group, titled, instead of the run's */
    assert_null(strstr(text, "scenario vps ("));
    const char *db = strstr(text, "\nvps \xe2\x80\x94 group db\nrank  policy        runs  "
                                  "guest_oom_kills  host_oom_kills");
    const char *web = strstr(text, "\nvps \xe2\x80\x94 group web\n");
    assert_non_null(db);
    assert_non_null(web);
    assert_true(db < web);
    /* in db, mom ranks 1 and static (865 kills) 3 */
    const char *l1 = strstr(db, "\n   1  mom "), *l3 = strstr(db, "\n   3  static ");
    assert_non_null(l1);
    assert_non_null(l3);
    assert_true(l3 < web);
    assert_non_null(strstr(l3, "865 \xc2\xb1 0"));
    /* the window table follows */
    assert_non_null(strstr(text, "\nvps \xe2\x80\x94 per window\npolicy        window"));
    assert_non_null(strstr(md, "\n### vps \xe2\x80\x94 group db\n\n| rank |"));
    /* json and csv do not depend on it */
    char *json = written(r, CMP_JSON);
    r->by_group = false;
    char *json2 = written(r, CMP_JSON), *plain = written(r, CMP_TEXT);
    assert_string_equal(json, json2);
    /* without --by group: the run's table, then the compact one per group */
    const char *run = strstr(plain, "\nscenario vps (scenarios/vps.yaml)\n");
    const char *pg = strstr(plain, "\nvps \xe2\x80\x94 per group\npolicy        group");
    assert_non_null(run);
    assert_non_null(pg);
    assert_true(run < pg);
    assert_non_null(strstr(pg, "\nstatic        db   "));
    free(json);
    free(json2);
    free(plain);
    free(text);
    free(md);
    cmp_report_free(r);
}

/* A scenario with one group gets no per-group table (it would be the run's
 * again), and the report links the group plot only with two groups. */
static void one_group_no_group_table(void **state)
{
    (void)state;
    cmp_report *r = report_of(1, (const char *const[]){"p"}, NULL, 0);
    cmp_result *res = &r->scenarios[0].results[0];
    cmp_cells *c = NULL;
    assert_int_equal(cmp_result_add_scope(res, "app", NULL, &c), BS_OK);
    char *text = written(r, CMP_TEXT);
    assert_null(strstr(text, "per group"));
    free(text);
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    assert_int_equal(cmp_write_report(m, r), BS_OK);
    fclose(m);
    assert_null(strstr(buf, "-groups.png"));
    free(buf);
    cmp_report_free(r);
    r = grouped(NULL, 0);
    m = open_memstream(&buf, &len);
    assert_int_equal(cmp_write_report(m, r), BS_OK);
    fclose(m);
    assert_non_null(strstr(buf, "#### vps \xe2\x80\x94 per group\n"));
    assert_non_null(strstr(buf, "](plots/vps-groups.png)\n"));
    free(buf);
    cmp_report_free(r);
}

/* Two groups: SCENARIO-groups.gp with a cluster per policy (db's kills in
 * static's row) and gnuplot draws it; one group: no such script. */
static void group_bars_script(void **state)
{
    (void)state;
    cmp_report *r = grouped(NULL, 0);
    char *d = th_make_tmpdir("compare");
    cmp_plot_scen ps = {.duration = 3600 * BS_NS_PER_S, .warmup = 0};
    assert_int_equal(cmp_plot_write(d, r, &ps), BS_OK);
    char *pdir = th_path(d, "plots");
    char *g = th_slurp(pdir, "vps-groups.gp");
    assert_non_null(g);
    assert_non_null(strstr(g, "\nscenario = 'vps'\n$data << EOD\n\"static\" "));
    assert_non_null(strstr(g, "\nnp = 3\nnseeds = 2\nnm = 7\nng = 2\n"));
    assert_non_null(strstr(g, "\narray gname[2] = ['db', 'web']\n"));
    /* static's row: guest_oom_kills db, web, then host_oom_kills db = 865 */
    assert_non_null(strstr(g, "\n\"static\" 0 0 0 0 865 0 0 0 "));
    const char *tmpl = strstr(g, "# Template compare-groups.gp");
    assert_non_null(tmpl);
    free(g);
    bool skipped = false;
    assert_int_equal(plot_render(d, &skipped), BS_OK);
    if (!skipped) {
        char *png = th_path(pdir, "vps-groups.png");
        struct stat st;
        assert_int_equal(stat(png, &st), 0);
        assert_true(st.st_size > 1000);
        free(png);
    }
    cmp_report_free(r);
    if (getenv("KEEP_GROUPS_PLOT"))
        fprintf(stderr, "kept %s\n", d);
    else
        th_rm_rf(d);
    free(d);
    free(pdir);

    r = report_of(1, (const char *const[]){"p"}, NULL, 0);
    assert_int_equal(cmp_result_add_scope(&r->scenarios[0].results[0], "app", NULL, NULL), BS_OK);
    d = th_make_tmpdir("compare");
    pdir = th_path(d, "plots");
    assert_int_equal(cmp_plot_write(d, r, &ps), BS_OK);
    char *none = th_path(pdir, "s-groups.gp"), *metrics = th_path(pdir, "s-metrics.gp");
    assert_int_equal(access(none, F_OK), -1);
    assert_int_equal(access(metrics, F_OK), 0);
    free(none);
    free(metrics);
    cmp_report_free(r);
    th_rm_rf(d);
    free(d);
    free(pdir);
}

/* ------------------------------------------------------------------ */
/* the command                                                         */

static void exit_codes_and_messages(void **state)
{
    (void)state;
    char *d = th_make_tmpdir("compare"), *out = th_path(d, "out");
    th_proc p = RUN("compare", ROOMY, "-p", "static", "--seeds", "2", "-o", out, "--fail-if",
                    "stall_s >", "-q");
    assert_int_equal(p.code, 2);
    assert_non_null(strstr(p.err, "balloonsim: --fail-if: column 10: expected a value after '>'"));
    assert_int_equal(access(out, F_OK), -1); /* nothing was made */
    th_proc_free(&p);

    /* more bad conditions, each with its column (the parser is expr.c's) and
     * a caret under it; a good one runs */
    static const struct {
        const char *cond, *err, *caret;
    } conds[] = {
        {"stal_s>1", "column 1: unknown metric 'stal_s'", "\n  stal_s>1\n  ^\n"},
        {"stall_s>1 &&", "column 13: expected a metric name, found the end",
         "\n  stall_s>1 &&\n              ^\n"},
        {"(stall_s>1", "column 11: expected ')' to close the '(' at column 1",
         "\n  (stall_s>1\n            ^\n"},
        {"stall_s>+x%", "column 9: expected a relative change such as +10%", "\n          ^\n"},
    };
    for (size_t i = 0; i < sizeof conds / sizeof conds[0]; i++) {
        p = RUN("compare", ROOMY, "-p", "static", "-o", out, "-q", "--fail-if", conds[i].cond);
        assert_int_equal(p.code, 2);
        char want[256];
        snprintf(want, sizeof want, "balloonsim: --fail-if: %s", conds[i].err);
        assert_non_null(strstr(p.err, want));
        assert_non_null(strstr(p.err, conds[i].caret));
        assert_int_equal(access(out, F_OK), -1);
        th_proc_free(&p);
    }

    p = RUN("compare", ROOMY, BADSC, "-p", "static,proportional", "-o", out, "-q");
    assert_int_equal(p.code, 2);
    assert_non_null(strstr(p.err, BADSC ":4:7: seed:"));
    assert_int_equal(access(out, F_OK), -1);
    th_proc_free(&p);

    p = RUN("compare", ROOMY, "-p", "static,nosuch", "-o", out, "-q");
    assert_int_equal(p.code, 2);
    assert_non_null(strstr(p.err, "nosuch"));
    assert_int_equal(access(out, F_OK), -1);
    th_proc_free(&p);

    p = RUN("compare", ROOMY, "-o", out);
    assert_int_equal(p.code, 2);
    assert_non_null(strstr(p.err, "missing -p"));
    th_proc_free(&p);

    p = RUN("compare", ROOMY, "-p", "static,static", "-o", out);
    assert_int_equal(p.code, 2);
    assert_non_null(strstr(p.err, "policy 'static' is given twice"));
    th_proc_free(&p);

    p = RUN("compare", ROOMY, "-p", "static", "--fail-if", "stall_s>+5%", "-o", out);
    assert_int_equal(p.code, 2);
    assert_non_null(strstr(p.err, "give --baseline FILE"));
    th_proc_free(&p);

    p = RUN("compare", ROOMY, "-p", "static", "--rank-by", "stall_s,nope", "-o", out);
    assert_int_equal(p.code, 2);
    assert_non_null(strstr(p.err, "column 9: unknown metric 'nope'"));
    th_proc_free(&p);

    p = RUN("compare", ROOMY, "-p", "static", "--seeds", "0", "-o", out);
    assert_int_equal(p.code, 2);
    th_proc_free(&p);

    p = RUN("compare", ROOMY, ROOMY, "-p", "static", "-o", out, "-q");
    assert_int_equal(p.code, 2); /* two scenarios named "roomy" */
    assert_non_null(strstr(p.err, "both named 'roomy'"));
    th_proc_free(&p);

    /* absolute condition that holds: exit 1, named per scenario and policy */
    p = RUN("compare", ROOMY, TIGHT, "-p", "static,proportional", "--seeds", "2", "-o", out,
            "--no-plots", "-q", "--fail-if", "stall_s > 1m");
    assert_int_equal(p.code, 1);
    assert_non_null(strstr(p.err, "fail-if: tight / static: stall_s = "));
    assert_null(strstr(p.err, "fail-if: roomy"));
    assert_non_null(strstr(p.out, "scenario tight"));
    th_proc_free(&p);

    p = RUN("compare", ROOMY, "-p", "static", "--seeds", "2", "-o", out, "--no-plots", "-q",
            "--fail-if", "stall_s > 1m");
    assert_int_equal(p.code, 0);
    assert_string_equal(p.err, "");
    th_proc_free(&p);
    th_rm_rf(d);
    free(d);
    free(out);
}

static const char *const report_files[] = {"compare.txt", "compare.md", "compare.json",
                                           "compare.csv", "report.md"};

static void same_for_any_parallelism(void **state)
{
    (void)state;
    char *d = th_make_tmpdir("compare"), *a = th_path(d, "j1"), *b = th_path(d, "j4");
    th_proc p = RUN("compare", TIGHT, ROOMY, "-p", "static,proportional", "--seeds", "3", "-j", "1",
                    "-o", a, "--no-plots", "-q");
    assert_int_equal(p.code, 0);
    th_proc q = RUN("compare", TIGHT, ROOMY, "-p", "static,proportional", "--seeds", "3", "-j", "4",
                    "-o", b, "--no-plots", "-q");
    assert_int_equal(q.code, 0);
    assert_string_equal(p.out, q.out);
    for (size_t i = 0; i < sizeof report_files / sizeof report_files[0]; i++) {
        char *x = th_slurp(a, report_files[i]), *y = th_slurp(b, report_files[i]);
        assert_non_null(x);
        assert_non_null(y);
        assert_string_equal(x, y);
        free(x);
        free(y);
    }
    /* every run directory, too */
    static const char *const runs[] = {"tight/static-s1", "tight/proportional-s3",
                                       "roomy/proportional-s2"};
    for (size_t i = 0; i < 3; i++) {
        char *ra = th_path(a, runs[i]), *rb = th_path(b, runs[i]);
        char *x = th_slurp(ra, "summary.json"), *y = th_slurp(rb, "summary.json");
        assert_non_null(x);
        assert_string_equal(x, y);
        free(x);
        free(y);
        free(ra);
        free(rb);
    }
    /* the plot scripts are there even with --no-plots */
    char *gp = th_slurp(a, "plots/tight-metrics.gp");
    assert_non_null(gp);
    free(gp);
    th_proc_free(&p);
    th_proc_free(&q);
    th_rm_rf(d);
    free(d);
    free(a);
    free(b);
}

static void formats_on_stdout_and_golden(void **state)
{
    (void)state;
    static const char *const fmts[] = {"text", "markdown", "json", "csv"};
    char *d = th_make_tmpdir("compare"), *out = th_path(d, "out");
    for (size_t i = 0; i < 4; i++) {
        th_proc p = RUN("compare", TIGHT, ROOMY, "-p", "static,proportional", "--seeds", "3", "-o",
                        out, "--no-plots", "-q", "--format", fmts[i], "-j", "2");
        assert_int_equal(p.code, 0);
        char *file = th_slurp(out, report_files[i]);
        assert_non_null(file);
        assert_string_equal(p.out, file);
        char golden[64];
        snprintf(golden, sizeof golden, "e2e/%s", report_files[i]);
        check_golden(golden, file);
        free(file);
        th_proc_free(&p);
    }
    th_rm_rf(d);
    free(d);
    free(out);
}

static void baseline_gate(void **state)
{
    (void)state;
    char *d = th_make_tmpdir("compare"), *out = th_path(d, "out"), *base = th_path(d, "base.json");
    th_proc p = RUN("compare", TIGHT, "-p", "static,proportional", "--seeds", "2", "-o", out,
                    "--no-plots", "-q", "--save-baseline", base);
    assert_int_equal(p.code, 0);
    char *saved = th_read_file(base), *json = th_slurp(out, "compare.json");
    assert_non_null(saved);
    assert_string_equal(saved, json); /* the baseline is compare.json */
    free(saved);
    free(json);
    th_proc_free(&p);

    /* the same results against themselves: nothing is worse */
    p = RUN("compare", TIGHT, "-p", "static,proportional", "--seeds", "2", "-o", out,
            "--no-plots", "-q", "--baseline", base, "--fail-if", "stall_s>+0% || fairness<-0%");
    assert_int_equal(p.code, 0);
    assert_string_equal(p.err, "");
    th_proc_free(&p);

    /* a threshold below the baseline: tripped, with the numbers */
    p = RUN("compare", TIGHT, "-p", "static,proportional", "--seeds", "2", "-o", out,
            "--no-plots", "-q", "--baseline", base, "--fail-if", "stall_s>-50%");
    assert_int_equal(p.code, 1);
    assert_non_null(strstr(p.err, "fail-if: tight / static: stall_s = "));
    assert_non_null(strstr(p.err, "(baseline "));
    assert_non_null(strstr(p.err, " -50%)\n"));
    th_proc_free(&p);

    /* a policy the baseline lacks: a note, and its relative test is false */
    p = RUN("compare", TIGHT, "-p", "static,mom", "--seeds", "2", "-o", out, "--no-plots",
            "--baseline", base, "--fail-if", "stall_s>+0%");
    assert_int_equal(p.code, 0);
    assert_non_null(strstr(p.err, "has no results for tight / mom"));
    th_proc_free(&p);

    /* a broken baseline is bad input */
    write_text(base, "{\"version\": \"0.1.0\"}\n");
    p = RUN("compare", TIGHT, "-p", "static", "--seeds", "2", "-o", out, "--no-plots", "-q",
            "--baseline", base, "--fail-if", "stall_s>+0%");
    assert_int_equal(p.code, 2);
    assert_non_null(strstr(p.err, "missing required key 'seeds'"));
    th_proc_free(&p);
    th_rm_rf(d);
    free(d);
    free(out);
    free(base);
}

/* The groups (db, web) and the window (peak) of tests/data/compare/tenants.yaml
 * through the command: scoped --fail-if and --rank-by, bad names, --by
 * group, and a baseline with and without the group. */
static void groups_and_windows_end_to_end(void **state)
{
    (void)state;
    char *d = th_make_tmpdir("compare"), *out = th_path(d, "out"), *base = th_path(d, "base.json");
    /* unknown names: exit 2, nothing made, the names that exist listed */
    th_proc p = RUN("compare", TENANTS, "-p", "static", "-o", out, "-q", "--fail-if",
                    "dbx.host_oom_kills>0");
    assert_int_equal(p.code, 2);
    assert_non_null(strstr(p.err, "unknown group 'dbx' in 'dbx.host_oom_kills' (groups: db, web)"));
    assert_int_equal(access(out, F_OK), -1);
    th_proc_free(&p);
    p = RUN("compare", TENANTS, "-p", "static", "-o", out, "-q", "--rank-by", "stall_s@night");
    assert_int_equal(p.code, 2);
    assert_non_null(strstr(p.err, "unknown window 'night' in 'stall_s@night' (windows: peak)"));
    assert_int_equal(access(out, F_OK), -1);
    th_proc_free(&p);
    /* names are checked against the union of the scenarios' names: app is
     * tight's group, db the tenants' one */
    p = RUN("compare", TIGHT, "-p", "static", "-o", out, "-q", "--fail-if", "db.stall_s>0");
    assert_int_equal(p.code, 2);
    assert_non_null(strstr(p.err, "unknown group 'db' in 'db.stall_s' (groups: app)"));
    th_proc_free(&p);
    p = RUN("compare", TIGHT, TENANTS, "-p", "static,proportional", "--seeds", "2", "-o", out,
            "--no-plots", "-q", "--fail-if", "db.host_oom_kills>0 || app.stall_s@peak>0",
            "--save-baseline", base);
    assert_int_equal(p.code, 1);
    /* the database is killed under static only; tight has neither db nor
     * a peak window, so nothing trips there */
    assert_non_null(strstr(p.err, "fail-if: tenants / static: db.host_oom_kills = "));
    assert_null(strstr(p.err, "tenants / proportional"));
    assert_null(strstr(p.err, "fail-if: tight"));
    /* the text table shows the groups and the window */
    assert_non_null(strstr(p.out, "\ntenants \xe2\x80\x94 per group\npolicy        group  "));
    assert_non_null(strstr(p.out, "\ntenants \xe2\x80\x94 per window\npolicy        window  "));
    assert_null(strstr(p.out, "tight \xe2\x80\x94 per group")); /* one group: none */
    th_proc_free(&p);

    /* the json has them, and the saved baseline is that json */
    char *json = th_slurp(out, "compare.json"), *saved = th_read_file(base);
    assert_non_null(json);
    assert_string_equal(json, saved);
    assert_non_null(strstr(json, "\"name\": \"db\""));
    assert_non_null(strstr(json, "\"name\": \"peak\""));
    free(saved);
    cfg_errs errs = {0};
    cmp_report *b = NULL;
    assert_int_equal(cmp_load(base, &errs, &b), BS_OK);
    char *again = written(b, CMP_JSON);
    assert_string_equal(json, again); /* write, load, write with real scopes */
    free(again);
    free(json);
    const cmp_scenario *tsc = cmp_find_scenario(b, "tenants");
    assert_non_null(tsc);
    const cmp_result *st = cmp_find_result(tsc, "static");
    const tab_cell *db = cmp_cells_of(st, "db", NULL), *run = st->m;
    const tab_cell *web = cmp_cells_of(st, "web", NULL);
    assert_non_null(db);
    assert_non_null(web);
    assert_true(db[MET_HOST_OOM_KILLS].mean > 0);
    /* group counts add up to the run's (cli.md), seed by seed, so the means too */
    assert_float_equal(db[MET_HOST_OOM_KILLS].mean + web[MET_HOST_OOM_KILLS].mean,
                       run[MET_HOST_OOM_KILLS].mean, 1e-9);
    assert_non_null(cmp_cells_of(st, "db", "peak"));

    /* against itself: db.downtime_s did not grow */
    p = RUN("compare", TENANTS, "-p", "static,proportional", "--seeds", "2", "-o", out,
            "--no-plots", "-q", "--baseline", base, "--fail-if", "db.downtime_s>+0%");
    assert_int_equal(p.code, 0);
    assert_string_equal(p.err, "");
    th_proc_free(&p);

    /* against a baseline where the database was down half as long: tripped */
    cmp_result *bst = (cmp_result *)st;
    tab_cell *bdb = (tab_cell *)cmp_cells_of(bst, "db", NULL);
    double was = bdb[MET_DOWNTIME_S].mean;
    assert_true(was > 0);
    bdb[MET_DOWNTIME_S].mean = was / 2;
    char *half = written(b, CMP_JSON);
    write_text(base, half);
    free(half);
    p = RUN("compare", TENANTS, "-p", "static,proportional", "--seeds", "2", "-o", out,
            "--no-plots", "-q", "--baseline", base, "--fail-if", "db.downtime_s>+0%");
    assert_int_equal(p.code, 1);
    assert_non_null(strstr(p.err, "fail-if: tenants / static: db.downtime_s = "));
    assert_non_null(strstr(p.err, " +0%)\n"));
    th_proc_free(&p);

    /* a baseline without groups: false, with a note (not quiet) */
    for (size_t s = 0; s < b->n_scenarios; s++)
        for (size_t i = 0; i < b->scenarios[s].n_results; i++) {
            cmp_result *res = &b->scenarios[s].results[i];
            for (size_t k = 0; k < res->n_scopes; k++) {
                free(res->scopes[k].group);
                free(res->scopes[k].window);
            }
            free(res->scopes);
            res->scopes = NULL;
            res->n_scopes = 0;
        }
    char *flat = written(b, CMP_JSON);
    write_text(base, flat);
    free(flat);
    p = RUN("compare", TENANTS, "-p", "static", "--seeds", "2", "-o", out, "--no-plots",
            "--baseline", base, "--fail-if", "db.downtime_s>-50%");
    assert_int_equal(p.code, 0);
    assert_non_null(strstr(p.err, "note: "));
    assert_non_null(strstr(p.err, " has no group 'db' for tenants / static: its relative "
                                  "conditions on it are false there\n"));
    th_proc_free(&p);
    cmp_report_free(b);
    cfg_errs_free(&errs);

    /* --by group: one ranked table per group on stdout and in compare.txt;
     * json unchanged by it */
    p = RUN("compare", TENANTS, "-p", "static,proportional", "--seeds", "2", "-o", out,
            "--no-plots", "-q", "--by", "group", "--rank-by", "-db.fairness,stall_s");
    assert_int_equal(p.code, 0);
    const char *gdb = strstr(p.out, "\ntenants \xe2\x80\x94 group db\nrank  policy ");
    const char *gweb = strstr(p.out, "\ntenants \xe2\x80\x94 group web\nrank  policy ");
    assert_non_null(gdb);
    assert_non_null(gweb);
    assert_true(gdb < gweb);
    assert_null(strstr(p.out, "scenario tenants ("));
    assert_non_null(strstr(p.out, "Ranked by highest db.fairness, then lowest stall_s.\n"));
    char *txt = th_slurp(out, "compare.txt");
    assert_string_equal(txt, p.out);
    free(txt);
    th_proc_free(&p);
    p = RUN("compare", TENANTS, "-p", "static", "-o", out, "-q", "--by", "policy");
    assert_int_equal(p.code, 2);
    assert_non_null(strstr(p.err, "bad --by 'policy' (expected: group)"));
    th_proc_free(&p);

    /* report.md: the per-group table and the group bars */
    p = RUN("compare", TENANTS, "-p", "static,proportional", "--seeds", "2", "-o", out, "-q");
    assert_int_equal(p.code, 0);
    char *rep = th_slurp(out, "report.md");
    assert_non_null(strstr(rep, "\n#### tenants \xe2\x80\x94 per group\n"));
    assert_non_null(strstr(rep, "](plots/tenants-groups.png)\n"));
    free(rep);
    char *pdir = th_path(out, "plots");
    char *gp = th_slurp(pdir, "tenants-groups.gp");
    assert_non_null(gp);
    assert_non_null(strstr(gp, "\narray gname[2] = ['db', 'web']\n"));
    free(gp);
    free(pdir);
    th_proc_free(&p);
    th_rm_rf(d);
    free(d);
    free(out);
    free(base);
}

static int setup(void **state)
{
    (void)state;
    const char *b = getenv("BALLOONSIM");
    snprintf(bin, sizeof bin, "%s", b && *b ? b : "./balloonsim");
    if (access(bin, X_OK) != 0) {
        fprintf(stderr, "test_compare: no balloonsim binary at %s (make balloonsim)\n", bin);
        return -1;
    }
    return 0;
}

int main(void)
{
    const struct CMUnitTest lib[] = {
        cmocka_unit_test(ci_against_t_tables),
        cmocka_unit_test(ci_edge_cases),
        cmocka_unit_test(rank_by_parsing),
        cmocka_unit_test(ranking),
        cmocka_unit_test(formats_against_golden),
        cmocka_unit_test(same_numbers_in_every_format),
        cmocka_unit_test(baseline_round_trip),
        cmocka_unit_test(baseline_errors_have_positions),
        cmocka_unit_test(fail_if_messages),
        cmocka_unit_test(scoped_cells_aggregate_over_seeds),
        cmocka_unit_test(grouped_formats_and_round_trip),
        cmocka_unit_test(baseline_without_groups_loads),
        cmocka_unit_test(fail_if_on_groups_and_windows),
        cmocka_unit_test(rank_by_scoped_names),
        cmocka_unit_test(scopes_ranked_by_the_same_keys),
        cmocka_unit_test(by_group_tables),
        cmocka_unit_test(one_group_no_group_table),
        cmocka_unit_test(group_bars_script),
    };
    const struct CMUnitTest cmd[] = {
        cmocka_unit_test(exit_codes_and_messages),
        cmocka_unit_test(same_for_any_parallelism),
        cmocka_unit_test(formats_on_stdout_and_golden),
        cmocka_unit_test(baseline_gate),
        cmocka_unit_test(groups_and_windows_end_to_end),
    };
    int failed = cmocka_run_group_tests_name("compare library", lib, NULL, NULL);
    failed += cmocka_run_group_tests_name("compare command", cmd, setup, NULL);
    return failed;
}
