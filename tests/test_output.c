/* test_output.c -- the run directory writer (sim/output.c).
 *
 * Scenarios and results are built by hand (no engine), so every expected
 * string below comes from docs/outputs.md or from an independent calculation written
 * next to it (strtod round trips, digit counts), not from the code under test. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/base/metrics.h"
#include "sim/base/fsutil.h"
#include "sim/base/text.h"
#include "sim/report/output.h"
#include "tests/helpers.h"

#define SEC BS_NS_PER_S

/* ------------------------------------------------------------------ */
/* helpers                                                             */

static const pol_type fake_policy = {.name = "static", .description = "test"};

/* Two hosts; VMs web-1, web-2 on "node-1" and db on "node-2". */
typedef struct fixture {
    scen sc;
    scen_host hosts[2];
    scen_vm vms[3];
    eng_result res;
    met_values mv_hosts[2], mv_vms[3];
} fixture;

static void fixture_init(fixture *fx, const char *vm0, const char *host0)
{
    memset(fx, 0, sizeof *fx);
    fx->hosts[0] = (scen_host){.name = (char *)host0, .index = 0, .first_vm = 0, .n_vms = 2};
    fx->hosts[1] = (scen_host){.name = (char *)"node-2", .index = 1, .first_vm = 2, .n_vms = 1};
    fx->vms[0] = (scen_vm){.name = (char *)vm0, .host = 0, .index = 0};
    fx->vms[1] = (scen_vm){.name = (char *)"web-2", .host = 0, .index = 1};
    fx->vms[2] = (scen_vm){.name = (char *)"db", .host = 1, .index = 2};
    fx->sc.name = (char *)"tiny";
    fx->sc.duration = 600 * SEC + 250000000; /* 600.25 s */
    fx->sc.seed = 42;
    fx->sc.policy.type = &fake_policy;
    fx->sc.hosts = fx->hosts;
    fx->sc.n_hosts = 2;
    fx->sc.vms = fx->vms;
    fx->sc.n_vms = 3;
    fx->res.hosts = fx->mv_hosts;
    fx->res.vms = fx->mv_vms;
    fx->res.n_hosts = 2;
    fx->res.n_vms = 3;
    fx->res.events = 1234;
}

static void set(met_values *mv, met_id id, double v)
{
    mv->v[id] = v;
    mv->present[id] = true;
}

static char *summary_json(const fixture *fx)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    assert_non_null(m);
    assert_int_equal(out_write_summary_json(m, &fx->sc, &fx->res), BS_OK);
    fclose(m);
    return buf;
}

/* ------------------------------------------------------------------ */
/* number formats                                                      */

static void test_format_seconds(void **state)
{
    (void)state;
    char b[40];
    txt_format_seconds(b, 0);
    assert_string_equal(b, "0");
    txt_format_seconds(b, 60 * SEC);
    assert_string_equal(b, "60");
    txt_format_seconds(b, 4100000000LL);
    assert_string_equal(b, "4.1");
    txt_format_seconds(b, 1);
    assert_string_equal(b, "0.000000001");
    txt_format_seconds(b, 250000000);
    assert_string_equal(b, "0.25");
    txt_format_seconds(b, 1000000001);
    assert_string_equal(b, "1.000000001");
    txt_format_seconds(b, 86400LL * SEC);
    assert_string_equal(b, "86400");
}

static void test_format_seconds_extremes(void **state)
{
    (void)state;
    char b[40];
    txt_format_seconds(b, -250000000);
    assert_string_equal(b, "-0.25");
    /* INT64_MAX = 9223372036854775807 ns */
    txt_format_seconds(b, INT64_MAX);
    assert_string_equal(b, "9223372036.854775807");
    txt_format_seconds(b, INT64_MIN);
    assert_string_equal(b, "-9223372036.854775808");
}

static void test_format_double_forms(void **state)
{
    (void)state;
    static const struct {
        double v;
        const char *s;
    } cases[] = {
        {0.0, "0"},
        {-0.0, "0"},
        {1.0, "1"},
        {0.1, "0.1"},
        {0.25, "0.25"},
        {-2.5, "-2.5"},
        {100.0, "100"},
        {1e16, "10000000000000000"},
        {1e17, "1e+17"},
        {1.5e20, "1.5e+20"},
        {0.00001, "0.00001"},
        {1e-7, "1e-7"},
        {123456.789, "123456.789"},
        {1.0 / 3.0, "0.3333333333333333"},
        {0.001, "0.001"},
        {5e-324, "5e-324"},
        {1.7976931348623157e308, "1.7976931348623157e+308"},
    };
    char b[40];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        txt_format_double(b, cases[i].v);
        assert_string_equal(b, cases[i].s);
    }
    txt_format_double(b, NAN);
    assert_string_equal(b, "nan");
    txt_format_double(b, INFINITY);
    assert_string_equal(b, "inf");
    txt_format_double(b, -INFINITY);
    assert_string_equal(b, "-inf");
}

/* Significant digits of a formatted number: from the first to the last
 * non-zero digit ("100" has 1, "0.00105" has 3). */
static int sig_digits(const char *s)
{
    int n = 0, last = 0;
    bool started = false;
    for (; *s && *s != 'e'; s++) {
        if (*s < '0' || *s > '9')
            continue;
        if (*s != '0')
            started = true;
        if (started) {
            n++;
            if (*s != '0')
                last = n;
        }
    }
    return last;
}

static void test_format_double_round_trip_shortest(void **state)
{
    (void)state;
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    char b[40], shorter[64];
    for (int i = 0; i < 20000; i++) {
        /* xorshift64 over raw bit patterns: every exponent range gets hit. */
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double v;
        uint64_t bits = i % 2 ? x : (x >> 12) | 0x3FF0000000000000ULL; /* half in [1,2) */
        memcpy(&v, &bits, sizeof v);
        if (!isfinite(v))
            continue;
        if (i % 3 == 0)
            v = (double)(x % 1000000) / 1000.0; /* typical fractions like 12.345 */
        txt_format_double(b, v);
        assert_true(strlen(b) < 40);
        assert_true(strtod(b, NULL) == v || (v == 0 && strtod(b, NULL) == 0));
        /* Shortest: one digit fewer no longer reads back as v. */
        int p = sig_digits(b);
        if (v != 0 && p > 1) {
            snprintf(shorter, sizeof shorter, "%.*e", p - 2, v);
            assert_true(strtod(shorter, NULL) != v);
        }
        assert_null(strchr(b, ','));
    }
}

static void test_format_double_ignores_locale(void **state)
{
    (void)state;
    const char *locales[] = {"de_DE.UTF-8", "fr_FR.UTF-8", "de_DE", "fr_FR", NULL};
    const char *got = NULL;
    for (int i = 0; locales[i] && !got; i++)
        got = setlocale(LC_NUMERIC, locales[i]);
    if (got == NULL || strcmp(localeconv()->decimal_point, ".") == 0) {
        setlocale(LC_NUMERIC, "C");
        skip(); /* no locale with a decimal comma installed here */
    }
    char b[40];
    txt_format_double(b, 0.25);
    char s[40];
    txt_format_seconds(s, 1500000000);
    setlocale(LC_NUMERIC, "C");
    assert_string_equal(b, "0.25");
    assert_string_equal(s, "1.5");
}

/* ------------------------------------------------------------------ */
/* summary.json                                                        */

static void test_summary_json_header_and_nulls(void **state)
{
    (void)state;
    fixture fx;
    fixture_init(&fx, "web-1", "node-1");
    set(&fx.res.run, MET_GUEST_OOM_KILLS, 2.0);
    set(&fx.res.run, MET_GUEST_SWAP_OUT_BYTES, 4294967296.0);
    set(&fx.res.run, MET_STALL_S, 12.5);
    set(&fx.res.run, MET_FAIRNESS, 1.0 / 3.0);
    set(&fx.res.run, MET_REACH_P50, NAN); /* present but not a number: still null */
    char *j = summary_json(&fx);
    const char *head = "{\n  \"scenario\": \"tiny\",\n  \"policy\": \"static\",\n"
                       "  \"seed\": 42,\n  \"duration_s\": 600.25,\n  \"metrics\": {\n"
                       "    \"guest_oom_kills\": 2,\n    \"host_oom_kills\": null,\n";
    assert_memory_equal(j, head, strlen(head));
    assert_non_null(strstr(j, "    \"guest_swap_out_bytes\": 4294967296,\n"));
    assert_non_null(strstr(j, "    \"stall_s\": 12.5,\n"));
    assert_non_null(strstr(j, "    \"fairness\": 0.3333333333333333,\n"));
    assert_non_null(strstr(j, "    \"reach_p50\": null,\n"));
    assert_non_null(strstr(j, "    \"stall_p50\": null,\n"));
    /* The last run metric closes the object without a trailing comma. */
    assert_non_null(strstr(j, "    \"overcommit_ratio\": null\n  },\n  \"hosts\": [\n"));
    assert_string_equal(j + strlen(j) - 4, "]\n}\n");
    free(j);
}

static void test_summary_json_key_order_and_scopes(void **state)
{
    (void)state;
    fixture fx;
    fixture_init(&fx, "web-1", "node-1");
    char *j = summary_json(&fx);
    /* Run metrics in docs/outputs.md's order: each name found after the previous. */
    static const char *const order[] = {
        "guest_oom_kills", "host_oom_kills", "downtime_s", "stall_s", "stall_p50", "stall_p95",
        "stall_p99", "pressure_fraction", "relief_p50", "relief_p95", "relief_max", "reach_p50",
        "reach_p95", "guest_swap_out_bytes", "guest_swap_in_bytes", "host_swap_out_bytes",
        "balloon_traffic_bytes", "target_reversals_per_vm_hour", "fairness",
        "host_free_min_bytes", "mean_host_used_fraction", "overcommit_ratio"};
    const char *at = j;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        char key[64];
        snprintf(key, sizeof key, "\"%s\":", order[i]);
        const char *p = strstr(at, key);
        assert_non_null(p);
        at = p + 1;
    }
    /* Hosts carry all 22 metrics, VMs all but the three host-only ones. */
    const char *hosts = strstr(j, "\"hosts\": [");
    const char *vms = strstr(j, "\"vms\": [");
    assert_non_null(hosts);
    assert_non_null(vms);
    int in_hosts = 0, in_vms = 0;
    for (const char *p = hosts; (p = strstr(p, "\": null")) != NULL; p++)
        *(p < vms ? &in_hosts : &in_vms) += 1;
    assert_int_equal(in_hosts, 2 * 22);
    assert_int_equal(in_vms, 3 * 19);
    assert_null(strstr(vms, "host_free_min_bytes"));
    assert_null(strstr(vms, "mean_host_used_fraction"));
    assert_null(strstr(vms, "overcommit_ratio"));
    assert_non_null(strstr(hosts, "\"name\": \"node-2\","));
    assert_non_null(strstr(vms, "      \"name\": \"db\",\n      \"host\": \"node-2\",\n"
                                "      \"metrics\": {\n"));
    free(j);
}

/* Groups web (web-1, web-2) and db (db), a window "peak", and scopes in
 * eng_result.scopes built by hand (met_set_add), each scope's stall_s a
 * distinct number so that a value found under the wrong name shows. */
typedef struct scoped {
    fixture fx;
    scen_group groups[2];
    size_t web_vms[2], db_vms[1];
    scen_window windows[1];
} scoped;

static void scoped_init(scoped *s, bool with_window)
{
    fixture_init(&s->fx, "web-1", "node-1");
    s->web_vms[0] = 0;
    s->web_vms[1] = 1;
    s->db_vms[0] = 2;
    s->groups[0] = (scen_group){.name = (char *)"web", .n_vms = 2, .vms = s->web_vms};
    s->groups[1] = (scen_group){.name = (char *)"db", .n_vms = 1, .vms = s->db_vms};
    s->windows[0] = (scen_window){.name = (char *)"peak", .start = 12 * 3600 * SEC,
                                  .end = 16 * 3600 * SEC, .every = 24 * 3600 * SEC};
    s->fx.sc.groups = s->groups;
    s->fx.sc.n_groups = 2;
    s->fx.sc.windows = with_window ? s->windows : NULL;
    s->fx.sc.n_windows = with_window ? 1 : 0;
    met_values v;
    memset(&v, 0, sizeof v);
    for (int id = 0; id < MET_COUNT; id++) /* every scope: every metric present */
        set(&v, (met_id)id, 0.0);
    met_set *set_ = &s->fx.res.scopes;
    struct { const char *g, *w; double stall; } sc[] = {
        {NULL, NULL, 30.0}, {"web", NULL, 20.0}, {"db", NULL, 10.0},
        {NULL, "peak", 3.0}, {"web", "peak", 2.0}, {"db", "peak", 1.0}};
    size_t n = with_window ? 6 : 3;
    for (size_t i = 0; i < n; i++) {
        set(&v, MET_STALL_S, sc[i].stall);
        assert_int_equal(met_set_add(set_, sc[i].g, sc[i].w, &v), BS_OK);
    }
    s->fx.res.run = s->fx.res.scopes.s[0].v;
}

/* Number of `"key": ` members between p and end. */
static int count_between(const char *p, const char *end, const char *what)
{
    int n = 0;
    for (; (p = strstr(p, what)) != NULL && p < end; p++)
        n++;
    return n;
}

static void test_summary_json_groups_and_windows(void **state)
{
    (void)state;
    scoped s;
    scoped_init(&s, true);
    char *j = summary_json(&s.fx);
    /* cli.md's key order: ..., hosts, groups, windows, vms. */
    const char *hosts = strstr(j, "\n  \"hosts\": [");
    const char *groups = strstr(j, "\n  \"groups\": [");
    const char *windows = strstr(j, "\n  \"windows\": [");
    const char *vms = strstr(j, "\n  \"vms\": [");
    assert_non_null(hosts);
    assert_non_null(groups);
    assert_non_null(windows);
    assert_non_null(vms);
    assert_true(hosts < groups && groups < windows && windows < vms);
    /* A group: its name, its instances, its VM metrics. */
    assert_non_null(strstr(groups, "    {\n      \"name\": \"web\",\n"
                                   "      \"vms\": [\"web-1\", \"web-2\"],\n"
                                   "      \"metrics\": {\n        \"guest_oom_kills\": 0,"));
    assert_non_null(strstr(groups, "      \"name\": \"db\",\n      \"vms\": [\"db\"],\n"));
    /* 2 groups x 19 VM metrics; the three host-only ones are absent. */
    assert_int_equal(count_between(groups, windows, "\": 0"), 2 * 19 - 2);
    assert_int_equal(count_between(groups, windows, "\"stall_s\": "), 2);
    assert_true(count_between(groups, windows, "overcommit_ratio") == 0);
    assert_true(count_between(groups, windows, "host_free_min_bytes") == 0);
    const char *g_web = strstr(groups, "\"stall_s\": 20,");
    const char *g_db = strstr(groups, "\"stall_s\": 10,");
    assert_true(g_web != NULL && g_web < windows && g_db != NULL && g_db < windows && g_web < g_db);
    /* The window: every metric (22), then its groups (VM metrics, no vms list). */
    assert_non_null(strstr(windows, "    {\n      \"name\": \"peak\",\n      \"metrics\": {\n"));
    const char *wgroups = strstr(windows, "      \"groups\": [\n        {\n"
                                          "          \"name\": \"web\",\n"
                                          "          \"metrics\": {\n");
    assert_non_null(wgroups);
    assert_true(wgroups < vms);
    /* "windows", "name", "metrics" and the 22 metrics */
    assert_int_equal(count_between(windows, wgroups, "\": "), 3 + 22);
    assert_int_equal(count_between(windows, wgroups, "\"overcommit_ratio\": 0\n"), 1);
    assert_non_null(strstr(windows, "\"stall_s\": 3,"));
    assert_true(strstr(wgroups, "\"stall_s\": 2,") < strstr(wgroups, "\"stall_s\": 1,"));
    assert_int_equal(count_between(wgroups, vms, "\"name\": "), 2);
    assert_int_equal(count_between(wgroups, vms, "\"vms\""), 0);
    assert_int_equal(count_between(wgroups, vms, "\": 0"), 2 * 19 - 2);
    assert_non_null(strstr(wgroups, "          }\n        }\n      ]\n    }\n  ],\n  \"vms\": ["));
    free(j);
    met_set_free(&s.fx.res.scopes);
}

static void test_summary_json_no_windows_and_missing_scopes(void **state)
{
    (void)state;
    scoped s;
    scoped_init(&s, false);
    char *j = summary_json(&s.fx);
    /* No windows: an empty array, never a missing key. */
    assert_non_null(strstr(j, "\n    }\n  ],\n  \"windows\": [],\n  \"vms\": [\n"));
    free(j);
    /* A result without group scopes (built by hand) still lists the groups,
     * their metrics null. */
    met_set_free(&s.fx.res.scopes);
    s.fx.res.scopes = (met_set){0};
    j = summary_json(&s.fx);
    const char *groups = strstr(j, "\n  \"groups\": [");
    const char *windows = strstr(j, "\n  \"windows\": []");
    assert_non_null(groups);
    assert_non_null(windows);
    assert_int_equal(count_between(groups, windows, "\": null"), 2 * 19);
    free(j);
}

static void test_summary_json_escapes_strings(void **state)
{
    (void)state;
    fixture fx;
    fixture_init(&fx, "we\"b\\1\n", "node\t1");
    fx.sc.name = (char *)"a\x01z";
    char *j = summary_json(&fx);
    assert_non_null(strstr(j, "\"scenario\": \"a\\u0001z\""));
    assert_non_null(strstr(j, "\"name\": \"we\\\"b\\\\1\\n\""));
    assert_non_null(strstr(j, "\"host\": \"node\\t1\""));
    free(j);
}

static void test_summary_json_no_hosts_no_vms(void **state)
{
    (void)state;
    fixture fx;
    fixture_init(&fx, "web-1", "node-1");
    fx.sc.n_hosts = fx.res.n_hosts = 0;
    fx.sc.n_vms = fx.res.n_vms = 0;
    char *j = summary_json(&fx);
    assert_non_null(strstr(j, "  },\n  \"hosts\": [],\n  \"groups\": [],\n"
                              "  \"windows\": [],\n  \"vms\": []\n}\n"));
    free(j);
}

static void test_summary_json_large_integers(void **state)
{
    (void)state;
    fixture fx;
    fixture_init(&fx, "web-1", "node-1");
    set(&fx.res.run, MET_BALLOON_TRAFFIC_BYTES, 4611686018427387904.0); /* 2^62 */
    set(&fx.res.run, MET_HOST_FREE_MIN_BYTES, 3.9999999); /* integer metric: rounded */
    set(&fx.res.run, MET_GUEST_SWAP_IN_BYTES, -0.0);
    char *j = summary_json(&fx);
    assert_non_null(strstr(j, "\"balloon_traffic_bytes\": 4611686018427387904,"));
    assert_non_null(strstr(j, "\"host_free_min_bytes\": 4,"));
    assert_non_null(strstr(j, "\"guest_swap_in_bytes\": 0,"));
    free(j);
}

/* ------------------------------------------------------------------ */
/* text summary                                                        */

static void test_summary_text(void **state)
{
    (void)state;
    fixture fx;
    fixture_init(&fx, "web-1", "node-1");
    set(&fx.res.run, MET_GUEST_OOM_KILLS, 3);
    set(&fx.res.run, MET_STALL_P99, 0.125);
    set(&fx.mv_vms[2], MET_STALL_S, 7.5);
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    out_print_summary_text(m, &fx.sc, &fx.res);
    fclose(m);
    assert_non_null(strstr(buf, "scenario  tiny\n"));
    assert_non_null(strstr(buf, "policy    static\n"));
    assert_non_null(strstr(buf, "seed      42\n"));
    /* Every metric line puts its unit at the same column (values aligned). */
    int unit_col = -1, lines = 0;
    for (int id = 0; id < MET_COUNT; id++) {
        const met_info *info = met_info_get((met_id)id);
        char key[64];
        snprintf(key, sizeof key, "\n%s ", info->name);
        char *line = strstr(buf, key);
        assert_non_null(line);
        line++;
        char *eol = strchr(line, '\n');
        int col = (int)(eol - line) - (int)strlen(info->unit);
        assert_memory_equal(line + col, info->unit, strlen(info->unit));
        if (unit_col < 0)
            unit_col = col;
        assert_int_equal(col, unit_col);
        lines++;
    }
    assert_int_equal(lines, MET_COUNT);
    /* Values: integer, fraction, and "-" for a missing one. */
    assert_non_null(strstr(buf, " 3  count\n"));
    assert_non_null(strstr(buf, " 0.125  fraction\n"));
    assert_non_null(strstr(buf, " -  s\n")); /* downtime_s, relief_*, reach_* absent */
    /* The per-VM table names every VM with its host. */
    assert_non_null(strstr(buf, "\ndb     node-2"));
    assert_non_null(strstr(buf, "\nweb-1  node-1"));
    assert_non_null(strstr(buf, "7.5"));
    free(buf);
}

static char *summary_text(const fixture *fx)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    assert_non_null(m);
    out_print_summary_text(m, &fx->sc, &fx->res);
    fclose(m);
    return buf;
}

static void test_summary_text_groups_and_windows(void **state)
{
    (void)state;
    scoped s;
    scoped_init(&s, true);
    set(&s.fx.res.scopes.s[2].v, MET_GUEST_OOM_KILLS, 4); /* db */
    set(&s.fx.res.scopes.s[5].v, MET_STALL_P99, 0.004);  /* db@peak */
    char *buf = summary_text(&s.fx);
    /* The group table after the run's metrics and before the per-VM table. */
    const char *head = strstr(buf, "\ngroup  vms  guest_oom_kills  host_oom_kills  downtime_s"
                                   "  stall_s  stall_p99  pressure_fraction  fairness\n");
    assert_non_null(head);
    assert_true(strstr(buf, "\noverco") < head);
    assert_true(head < strstr(buf, "\nvm "));
    assert_non_null(strstr(head, "\nweb      2                0               0           0"
                                 "       20          0                  0         0\n"));
    assert_non_null(strstr(head, "\ndb       1                4               0"));
    /* A line per window, and per group under it (names padded to align). */
    assert_non_null(strstr(buf, "\nwindow peak: guest_oom_kills 0, host_oom_kills 0, "
                                "downtime_s 0, stall_s 3, stall_p99 0, pressure_fraction 0, "
                                "fairness 0\n  web: guest_oom_kills 0"));
    assert_non_null(strstr(buf, "\n  db:  guest_oom_kills 0, host_oom_kills 0, downtime_s 0, "
                                "stall_s 1, stall_p99 0.004, "));
    free(buf);
    met_set_free(&s.fx.res.scopes);
}

static void test_summary_text_one_group_no_window(void **state)
{
    (void)state;
    scoped s;
    scoped_init(&s, false);
    s.fx.sc.n_groups = 1; /* one group: it equals the run, no table */
    char *buf = summary_text(&s.fx);
    assert_null(strstr(buf, "\ngroup "));
    assert_null(strstr(buf, "window "));
    free(buf);
    met_set_free(&s.fx.res.scopes);
}

/* ------------------------------------------------------------------ */
/* files                                                               */

static void write_rows(out_run *o)
{
    const eng_sink *s = out_sink(o);
    eng_vm_sample v = {.t = 60 * SEC, .host = "node-1", .vm = "web-1", .demand = 1,
                       .cache = 2, .actual = 3, .target = 4, .resident = 5,
                       .guest_swapped = 6, .host_swapped = 7, .stall = 0.25};
    assert_int_equal(s->vm_sample(s->ctx, &v), BS_OK);
    eng_host_sample h = {.t = 4100000000LL, .host = "node-1", .used = 10, .free = 20,
                         .swapped = 0};
    assert_int_equal(s->host_sample(s->ctx, &h), BS_OK);
    eng_event e = {.t = 1, .host = "node-1", .vm = NULL, .event = "host_oom", .value = 99};
    assert_int_equal(s->event(s->ctx, &e), BS_OK);
}

static void test_files_headers_and_rows(void **state)
{
    (void)state;
    char *tmp = th_make_tmpdir("output");
    char *dir = th_path(tmp, "run");
    fixture fx;
    fixture_init(&fx, "web-1", "node-1");
    out_run *o = NULL;
    assert_int_equal(out_open(dir, &o), BS_OK);
    write_rows(o);
    out_info info = {.command_line = "balloonsim run 'a b'.yaml", .wall_s = 0.5,
                     .events = 1234};
    assert_int_equal(out_finish(o, &fx.sc, &fx.res, &info), BS_OK);

    char *ts = th_slurp_or_fail(dir, "timeseries.csv");
    assert_string_equal(ts,
                        "time_s,host,vm,demand_bytes,cache_bytes,actual_bytes,target_bytes,"
                        "resident_bytes,guest_swapped_bytes,host_swapped_bytes,stall_fraction\n"
                        "60,node-1,web-1,1,2,3,4,5,6,7,0.25\n");
    char *hs = th_slurp_or_fail(dir, "hosts.csv");
    assert_string_equal(hs, "time_s,host,used_bytes,free_bytes,swapped_bytes\n"
                            "4.1,node-1,10,20,0\n");
    char *ev = th_slurp_or_fail(dir, "events.csv");
    assert_string_equal(ev, "time_s,host,vm,event,value\n0.000000001,node-1,,host_oom,99\n");
    char *rj = th_slurp_or_fail(dir, "run.json");
    assert_string_equal(rj, "{\n  \"version\": \"" BS_VERSION "\",\n"
                            "  \"command_line\": \"balloonsim run 'a b'.yaml\",\n"
                            "  \"wall_time_s\": 0.5,\n  \"events\": 1234\n}\n");
    char *sj = th_slurp_or_fail(dir, "summary.json");
    char *expect = summary_json(&fx);
    assert_string_equal(sj, expect);
    assert_true(th_exists(dir, "plots"));
    assert_int_equal(th_count_entries(dir, "tmp"), 0);
    assert_int_equal(th_count_entries(dir, ""), 6); /* 5 files and plots/ */
    free(ts);
    free(hs);
    free(ev);
    free(rj);
    free(sj);
    free(expect);
    th_rm_rf(tmp);
    free(dir);
    free(tmp);
}

static void test_no_final_file_before_finish(void **state)
{
    (void)state;
    char *tmp = th_make_tmpdir("output");
    fixture fx;
    fixture_init(&fx, "web-1", "node-1");
    out_run *o = NULL;
    assert_int_equal(out_open(tmp, &o), BS_OK);
    write_rows(o);
    static const char *const finals[] = {"timeseries.csv", "hosts.csv", "events.csv",
                                         "summary.json", "run.json"};
    for (size_t i = 0; i < 5; i++)
        assert_false(th_exists(tmp, finals[i]));
    assert_true(th_exists(tmp, ".timeseries.csv.tmp"));
    assert_int_equal(out_finish(o, &fx.sc, &fx.res, NULL), BS_OK);
    for (size_t i = 0; i < 5; i++)
        assert_true(th_exists(tmp, finals[i]));
    th_rm_rf(tmp);
    free(tmp);
}

static void test_abort_leaves_nothing(void **state)
{
    (void)state;
    char *tmp = th_make_tmpdir("output");
    char *dir = th_path(tmp, "a/b/c");
    out_run *o = NULL;
    assert_int_equal(out_open(dir, &o), BS_OK);
    assert_true(th_exists(dir, "plots"));
    write_rows(o);
    out_abort(o);
    /* Every directory out_open made is gone again, the parent stays. */
    assert_int_equal(th_count_entries(tmp, ""), 0);
    assert_int_equal(access(tmp, F_OK), 0);
    free(dir);

    /* An existing directory with the user's files keeps them. */
    char *keep = th_path(tmp, "keep.txt");
    FILE *f = fopen(keep, "w");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(out_open(tmp, &o), BS_OK);
    out_abort(o);
    assert_int_equal(th_count_entries(tmp, ""), 1);
    assert_true(th_exists(tmp, "keep.txt"));
    free(keep);
    out_abort(NULL);
    th_rm_rf(tmp);
    free(tmp);
}

static void test_open_fails_on_a_file(void **state)
{
    (void)state;
    char *tmp = th_make_tmpdir("output");
    char *file = th_path(tmp, "file");
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fclose(f);
    char *dir = th_path(file, "run");
    out_run *o = (out_run *)(uintptr_t)1;
    assert_int_equal(out_open(dir, &o), BS_ERR_INTERNAL);
    assert_null(o);
    assert_int_equal(out_open(file, &o), BS_ERR_INTERNAL);
    assert_int_equal(th_count_entries(tmp, ""), 1);
    th_rm_rf(tmp);
    free(dir);
    free(file);
    free(tmp);
}

static void test_csv_quoting(void **state)
{
    (void)state;
    char *tmp = th_make_tmpdir("output");
    fixture fx;
    fixture_init(&fx, "web-1", "node-1");
    out_run *o = NULL;
    assert_int_equal(out_open(tmp, &o), BS_OK);
    const eng_sink *s = out_sink(o);
    eng_vm_sample v = {.t = 0, .host = "h\"q", .vm = "a,b", .stall = 1.0};
    assert_int_equal(s->vm_sample(s->ctx, &v), BS_OK);
    eng_event e = {.t = 2 * SEC, .host = "plain", .vm = "line\nbreak", .event = "start",
                   .value = 4096};
    assert_int_equal(s->event(s->ctx, &e), BS_OK);
    eng_host_sample h = {.t = 0, .host = "sp ace", .used = 1, .free = 2, .swapped = 3};
    assert_int_equal(s->host_sample(s->ctx, &h), BS_OK);
    assert_int_equal(out_finish(o, &fx.sc, &fx.res, NULL), BS_OK);
    char *ts = th_slurp_or_fail(tmp, "timeseries.csv");
    assert_non_null(strstr(ts, "\n0,\"h\"\"q\",\"a,b\",0,0,0,0,0,0,0,1\n"));
    char *ev = th_slurp_or_fail(tmp, "events.csv");
    assert_non_null(strstr(ev, "\n2,plain,\"line\nbreak\",start,4096\n"));
    char *hs = th_slurp_or_fail(tmp, "hosts.csv");
    assert_non_null(strstr(hs, "\n0,sp ace,1,2,3\n")); /* spaces need no quotes */
    free(ts);
    free(ev);
    free(hs);
    th_rm_rf(tmp);
    free(tmp);
}

static void test_out_mkdirs(void **state)
{
    (void)state;
    char *tmp = th_make_tmpdir("output");
    char *dir = th_path(tmp, "x//y/z/");
    assert_int_equal(fs_mkdirs(dir), BS_OK);
    assert_true(th_exists(tmp, "x/y/z"));
    assert_int_equal(fs_mkdirs(dir), BS_OK); /* already there: fine */
    th_rm_rf(tmp);
    free(dir);
    free(tmp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_seconds),
        cmocka_unit_test(test_format_seconds_extremes),
        cmocka_unit_test(test_format_double_forms),
        cmocka_unit_test(test_format_double_round_trip_shortest),
        cmocka_unit_test(test_format_double_ignores_locale),
        cmocka_unit_test(test_summary_json_header_and_nulls),
        cmocka_unit_test(test_summary_json_key_order_and_scopes),
        cmocka_unit_test(test_summary_json_escapes_strings),
        cmocka_unit_test(test_summary_json_no_hosts_no_vms),
        cmocka_unit_test(test_summary_json_large_integers),
        cmocka_unit_test(test_summary_json_groups_and_windows),
        cmocka_unit_test(test_summary_json_no_windows_and_missing_scopes),
        cmocka_unit_test(test_summary_text),
        cmocka_unit_test(test_summary_text_groups_and_windows),
        cmocka_unit_test(test_summary_text_one_group_no_window),
        cmocka_unit_test(test_files_headers_and_rows),
        cmocka_unit_test(test_no_final_file_before_finish),
        cmocka_unit_test(test_abort_leaves_nothing),
        cmocka_unit_test(test_open_fails_on_a_file),
        cmocka_unit_test(test_csv_quoting),
        cmocka_unit_test(test_out_mkdirs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
