/* test_plan.c -- `balloonsim plan`: the bisection on synthetic monotone
 * objectives with known answers, the margins, the comparisons of an SLO,
 * and the command end to end on a scenario whose answer follows from
 * arithmetic (tests/data/sweep/mono.yaml: a host of M GiB holds M VMs of
 * 1 GiB that touch all their memory, one more and the host kills).
 * The command tests run $BALLOONSIM (set by `make test`; else ./balloonsim). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/batch/plan.h"
#include "sim/batch/expr.h"
#include "plots/plan_plot.h"
#include "tests/helpers.h"

#define MONO "tests/data/sweep/mono.yaml"

static char bin[PATH_MAX];

/* ------------------------------------------------------------------ */
/* bisection                                                           */

typedef struct oracle {
    int64_t capacity;  /* meets(v) iff v <= capacity */
    size_t calls;
    int64_t seen[64];
    int64_t fail_at;   /* a value whose evaluation fails (INT64_MIN: none) */
} oracle;

static bs_rc meets(void *ctx, int64_t v, bool *ok)
{
    oracle *o = ctx;
    if (o->calls < 64)
        o->seen[o->calls] = v;
    o->calls++;
    if (v == o->fail_at)
        return BS_ERR_INTERNAL;
    *ok = v <= o->capacity;
    return BS_OK;
}

static void bisection_finds_every_known_answer_in_log_steps(void **state)
{
    (void)state;
    /* every capacity inside [1, 100]: the answer is the capacity, in at most
     * 2 + ceil(log2(99)) = 9 evaluations, each value evaluated once */
    for (int64_t cap = 1; cap < 100; cap++) {
        oracle o = {.capacity = cap, .fail_at = INT64_MIN};
        bool found = false;
        int64_t answer = -1;
        assert_int_equal(plan_bisect(1, 100, meets, &o, &found, &answer), BS_OK);
        assert_true(found);
        assert_int_equal(answer, cap);
        assert_true(o.calls <= 9);
        assert_int_equal(o.seen[0], 1); /* the ends first: the bracket check */
        assert_int_equal(o.seen[1], 100);
        for (size_t i = 0; i < o.calls; i++)
            for (size_t j = 0; j < i; j++)
                assert_int_not_equal(o.seen[i], o.seen[j]);
        /* answer and answer + 1 were both evaluated (the report's margins) */
        bool at = false, above = false;
        for (size_t i = 0; i < o.calls; i++) {
            at = at || o.seen[i] == cap;
            above = above || o.seen[i] == cap + 1;
        }
        assert_true(at && above);
    }
}

static void bisection_edges(void **state)
{
    (void)state;
    bool found;
    int64_t answer = -1;
    /* the whole range meets: HI, after two evaluations */
    oracle all = {.capacity = 1000, .fail_at = INT64_MIN};
    assert_int_equal(plan_bisect(8, 64, meets, &all, &found, &answer), BS_OK);
    assert_true(found);
    assert_int_equal(answer, 64);
    assert_int_equal(all.calls, 2);
    /* nothing meets: no answer */
    oracle none = {.capacity = 0, .fail_at = INT64_MIN};
    assert_int_equal(plan_bisect(8, 64, meets, &none, &found, &answer), BS_OK);
    assert_false(found);
    assert_int_equal(none.calls, 2);
    /* a range of one value */
    oracle one = {.capacity = 5, .fail_at = INT64_MIN};
    assert_int_equal(plan_bisect(5, 5, meets, &one, &found, &answer), BS_OK);
    assert_true(found);
    assert_int_equal(answer, 5);
    assert_int_equal(one.calls, 1);
    oracle one_no = {.capacity = 4, .fail_at = INT64_MIN};
    assert_int_equal(plan_bisect(5, 5, meets, &one_no, &found, &answer), BS_OK);
    assert_false(found);
    /* two values, answer the lower */
    oracle two = {.capacity = 5, .fail_at = INT64_MIN};
    assert_int_equal(plan_bisect(5, 6, meets, &two, &found, &answer), BS_OK);
    assert_true(found);
    assert_int_equal(answer, 5);
    /* negative and huge ranges do not overflow the midpoint */
    oracle wide = {.capacity = -3, .fail_at = INT64_MIN};
    assert_int_equal(plan_bisect(-1000000000000, 4000000000000000000, meets, &wide, &found,
                                 &answer),
                     BS_OK);
    assert_true(found);
    assert_int_equal(answer, -3);
    /* an evaluation that fails stops the search with its code */
    oracle broken = {.capacity = 40, .fail_at = 50};
    assert_int_equal(plan_bisect(1, 100, meets, &broken, &found, &answer), BS_ERR_INTERNAL);
}

/* ------------------------------------------------------------------ */
/* comparisons and margins                                              */

static void slo_comparisons_come_in_written_order_with_thresholds_in_base_units(void **state)
{
    (void)state;
    expr *e;
    char err[256];
    assert_int_equal(expr_parse("guest_oom_kills==0 && (stall_p99<5% || !(relief_max>=2m)) "
                                "&& host_free_min_bytes>1GiB",
                                &e, err, sizeof err),
                     BS_OK);
    expr_cmp c[8];
    assert_int_equal(expr_comparisons(e, c, 8), 4);
    assert_int_equal(c[0].metric, MET_GUEST_OOM_KILLS);
    assert_string_equal(c[0].op, "==");
    assert_true(c[0].threshold == 0);
    assert_int_equal(c[1].metric, MET_STALL_P99);
    assert_string_equal(c[1].op, "<");
    assert_true(fabs(c[1].threshold - 0.05) < 1e-15);
    assert_string_equal(c[1].text, "5%");
    assert_int_equal(c[2].metric, MET_RELIEF_MAX);
    assert_true(c[2].threshold == 120); /* seconds */
    assert_int_equal(c[3].metric, MET_HOST_FREE_MIN_BYTES);
    assert_true(c[3].threshold == 1073741824.0);
    assert_false(c[3].relative);
    /* fewer slots than comparisons: the count is still the whole */
    assert_int_equal(expr_comparisons(e, c, 1), 4);
    expr_free(e);
    assert_int_equal(expr_parse("stall_s>+10%", &e, err, sizeof err), BS_OK);
    assert_int_equal(expr_comparisons(e, c, 8), 1);
    assert_true(c[0].relative);
    assert_true(fabs(c[0].threshold - 0.1) < 1e-15);
    expr_free(e);
}

static void margins_take_the_worst_seed(void **state)
{
    (void)state;
    met_values runs[3];
    memset(runs, 0, sizeof runs);
    double stall[3] = {0.01, 0.04, 0.02}, kills[3] = {0, 2, 1};
    for (int i = 0; i < 3; i++) {
        runs[i].v[MET_STALL_P99] = stall[i];
        runs[i].present[MET_STALL_P99] = true;
        runs[i].v[MET_GUEST_OOM_KILLS] = kills[i];
        runs[i].present[MET_GUEST_OOM_KILLS] = true;
    }
    plan_eval ev = {.value = 7, .n_runs = 3, .runs = runs};
    plan_margin m;
    /* < : the largest value, room = threshold - it */
    expr_cmp lt = {.metric = MET_STALL_P99, .op = "<", .threshold = 0.05};
    plan_margin_of(&lt, &ev, &m);
    assert_true(m.present);
    assert_true(m.worst == 0.04);
    assert_true(fabs(m.margin - 0.01) < 1e-15);
    /* >= : the smallest value */
    expr_cmp ge = {.metric = MET_STALL_P99, .op = ">=", .threshold = 0.015};
    plan_margin_of(&ge, &ev, &m);
    assert_true(m.worst == 0.01);
    assert_true(fabs(m.margin - (0.01 - 0.015)) < 1e-15);
    /* == : the farthest, margin minus its distance */
    expr_cmp eq = {.metric = MET_GUEST_OOM_KILLS, .op = "==", .threshold = 0};
    plan_margin_of(&eq, &ev, &m);
    assert_true(m.worst == 2);
    assert_true(m.margin == -2);
    /* != : the nearest, margin its distance */
    expr_cmp ne = {.metric = MET_GUEST_OOM_KILLS, .op = "!=", .threshold = 1};
    plan_margin_of(&ne, &ev, &m);
    assert_true(m.worst == 1);
    assert_true(m.margin == 0);
    /* a run without the metric: not present, the others still count */
    runs[1].present[MET_STALL_P99] = false;
    plan_margin_of(&lt, &ev, &m);
    assert_false(m.present);
    assert_true(m.worst == 0.02);
}

/* A tenant's SLO (cli.md, "Groups and windows"): seeds as the runs of a
 * scenario with groups db and web and a window peak report them, built by
 * hand; the run-wide values would say otherwise than the scoped ones. */
static void add_scopes(met_set *set, double db_kills, double web_p99_peak, double run_p99)
{
    met_values run = {0}, db = {0}, web = {0}, peak = {0}, web_peak = {0};
    run.v[MET_STALL_P99] = run_p99;
    run.present[MET_STALL_P99] = true;
    run.v[MET_HOST_OOM_KILLS] = db_kills + 5; /* the web tenants are killed too */
    run.present[MET_HOST_OOM_KILLS] = true;
    db.v[MET_HOST_OOM_KILLS] = db_kills;
    db.present[MET_HOST_OOM_KILLS] = true;
    web.v[MET_HOST_OOM_KILLS] = 5;
    web.present[MET_HOST_OOM_KILLS] = true;
    web_peak.v[MET_STALL_P99] = web_p99_peak;
    web_peak.present[MET_STALL_P99] = true;
    peak.v[MET_STALL_P99] = web_p99_peak / 2;
    peak.present[MET_STALL_P99] = true;
    assert_int_equal(met_set_add(set, NULL, NULL, &run), BS_OK);
    assert_int_equal(met_set_add(set, "db", NULL, &db), BS_OK);
    assert_int_equal(met_set_add(set, "web", NULL, &web), BS_OK);
    assert_int_equal(met_set_add(set, NULL, "peak", &peak), BS_OK);
    assert_int_equal(met_set_add(set, "web", "peak", &web_peak), BS_OK);
}

static void a_tenants_slo_reads_its_scopes_in_evaluation_and_margins(void **state)
{
    (void)state;
    expr *e = NULL;
    char err[256];
    const char *slo = "db.host_oom_kills==0 && web.stall_p99@peak<0.05";
    assert_int_equal(expr_parse(slo, &e, err, sizeof err), BS_OK);
    static const char *const groups[] = {"db", "web"}, *const windows[] = {"peak"};
    assert_int_equal(expr_check_names(e, groups, 2, windows, 1, err, sizeof err), BS_OK);
    /* unknown names are refused, naming those there are */
    static const char *const other[] = {"dbx", "web"};
    assert_int_equal(expr_check_names(e, other, 2, windows, 1, err, sizeof err), BS_ERR_INPUT);
    assert_non_null(strstr(err, "unknown group 'db'"));
    assert_non_null(strstr(err, "dbx, web"));
    assert_int_equal(expr_check_names(e, groups, 2, NULL, 0, err, sizeof err), BS_ERR_INPUT);
    assert_non_null(strstr(err, "unknown window 'peak'"));

    /* three seeds: the run has host OOM kills (web's) and a high p99 in all,
     * yet the db tenant's SLO holds in seeds 1 and 3 only */
    met_set sets[3] = {{0}};
    met_values runs[3];
    add_scopes(&sets[0], 0, 0.01, 0.5);
    add_scopes(&sets[1], 1, 0.02, 0.5);
    add_scopes(&sets[2], 0, 0.04, 0.5);
    size_t meeting = 0;
    for (int i = 0; i < 3; i++) {
        runs[i] = sets[i].s[0].v;
        meeting += expr_eval(e, &sets[i], NULL, NULL);
    }
    assert_int_equal(meeting, 2);
    plan_eval ev = {.value = 4, .n_runs = 3, .runs = runs, .sets = sets};
    expr_cmp c[4];
    assert_int_equal(expr_comparisons(e, c, 4), 2);
    char text[128];
    plan_cmp_text(&c[0], text, sizeof text);
    assert_string_equal(text, "db.host_oom_kills==0");
    plan_cmp_text(&c[1], text, sizeof text);
    assert_string_equal(text, "web.stall_p99@peak<0.05");
    plan_cmp_name(&c[1], text, sizeof text);
    assert_string_equal(text, "web.stall_p99@peak");
    /* margins from the scoped values: db's kills (worst 1), web's p99 at
     * peak (worst 0.04, room 0.01), not the run's 6 kills and 0.5 */
    plan_margin m;
    plan_margin_of(&c[0], &ev, &m);
    assert_true(m.present);
    assert_true(m.worst == 1);
    assert_true(m.margin == -1);
    plan_margin_of(&c[1], &ev, &m);
    assert_true(m.worst == 0.04);
    assert_true(fabs(m.margin - 0.01) < 1e-15);
    assert_true(plan_run_value(&c[1], &ev, 0) == 0.01);
    /* a seed without the scope (a run of an older version) has no value */
    plan_eval old = {.value = 4, .n_runs = 3, .runs = runs};
    assert_true(isnan(plan_run_value(&c[1], &old, 0)));
    plan_margin_of(&c[1], &old, &m);
    assert_false(m.present);
    /* the plot: a panel per scoped name, labelled with it, its values */
    plot_plan pp = {.scenario = "vps", .path = "hosts[0].vms[1].count", .suffix = "",
                    .slo_text = slo, .lo = 4, .hi = 4, .cmps = c, .n_cmps = 2, .evals = &ev,
                    .n_evals = 1};
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(plot_write_plan(f, &pp), BS_OK);
    fclose(f);
    assert_non_null(strstr(buf, "$c1 << EOD\n# value worst mean meets\n4 1 0.333333333333"));
    assert_non_null(strstr(buf, "$c2 << EOD\n# value worst mean meets\n4 0.04 0.0233333333333"));
    assert_non_null(strstr(buf, "ylabel_k[1] = 'db.host_oom_kills (count)'"));
    assert_non_null(strstr(buf, "ylabel_k[2] = 'web.stall_p99@peak (fraction)'"));
    assert_non_null(strstr(buf, "cname[2] = 'web.stall_p99@peak<0.05'"));
    free(buf);
    for (int i = 0; i < 3; i++)
        met_set_free(&sets[i]);
    expr_free(e);
}

/* ------------------------------------------------------------------ */
/* the command                                                          */

/* The binary with ARGS, stdout/stderr/exit code captured. */
#define RUN(...) th_exec(bin, NULL, NULL, (const char *const[]){__VA_ARGS__, NULL})

static void plan_finds_the_capacity_of_a_monotone_scenario(void **state)
{
    (void)state;
    char *dir = th_make_tmpdir("plan");
    /* 16 GiB of host, 1 GiB VMs: 16 fit (16 / 1), the 17th is killed */
    th_proc p = RUN("plan", MONO, "--vary", "hosts[0].vms[0].count=1:40", "--slo",
                    "host_oom_kills==0", "--seeds", "2", "-o", dir, "-q", "--format", "json",
                    "--no-plots");
    assert_int_equal(p.code, 0);
    assert_non_null(strstr(p.out, "\"answer\": 16,"));
    assert_non_null(strstr(p.out, "\"at_answer\": {\"value\": 16, \"meets\": true"));
    assert_non_null(strstr(p.out, "\"above_answer\": {\"value\": 17, \"meets\": false"));
    /* the report files and the plot script */
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/plan.json", dir);
    assert_int_equal(access(path, F_OK), 0);
    snprintf(path, sizeof path, "%s/plan.txt", dir);
    assert_int_equal(access(path, F_OK), 0);
    snprintf(path, sizeof path, "%s/plots/plan.gp", dir);
    assert_int_equal(access(path, F_OK), 0);
    /* another host size moves the answer with it: 24 GiB / 1 GiB */
    th_proc q = RUN("plan", MONO, "--vary", "hosts[0].vms[0].count=1:40", "--slo",
                    "host_oom_kills==0", "--set", "hosts[0].memory=24GiB", "-o", dir, "-q");
    assert_int_equal(q.code, 0);
    assert_non_null(strstr(q.out, "answer: hosts[0].vms[0].count = 24\n"));
    assert_non_null(strstr(q.out, "Every run with --set hosts[0].memory=24GiB."));
    assert_non_null(strstr(q.out, "monotone"));
    /* a value with a unit; when HI meets the SLO, HI is the answer (and
     * the capacity may be higher): 10 VMs of 1 GiB fit a 64 GiB host */
    th_proc r = RUN("plan", MONO, "--vary", "hosts[0].memory=10GiB:64GiB", "--set",
                    "hosts[0].vms[0].count=10", "--slo", "host_oom_kills==0", "-o", dir, "-q",
                    "--format", "json");
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, "\"answer\": 64,\n  \"answer_value\": \"64GiB\""));
    assert_non_null(strstr(r.out, "\"unit\": \"GiB\""));
    th_proc_free(&p), th_proc_free(&q), th_proc_free(&r);
    th_rm_rf(dir);
    free(dir);
}

static void plan_without_an_answer_exits_1(void **state)
{
    (void)state;
    char *dir = th_make_tmpdir("plan");
    th_proc p = RUN("plan", MONO, "--vary", "hosts[0].vms[0].count=20:40", "--slo",
                    "host_oom_kills==0", "-o", dir, "-q", "--format", "json");
    assert_int_equal(p.code, 1);
    assert_non_null(strstr(p.out, "\"answer\": null"));
    th_proc t = RUN("plan", MONO, "--vary", "hosts[0].vms[0].count=20:40", "--slo",
                    "host_oom_kills==0", "-o", dir, "-q", "--resume");
    assert_int_equal(t.code, 1);
    assert_non_null(strstr(t.out, "answer: none: the SLO fails at LO = 20 already"));
    th_proc_free(&p), th_proc_free(&t);
    th_rm_rf(dir);
    free(dir);
}

static void plan_bad_input_exits_2_with_a_clear_message(void **state)
{
    (void)state;
    char *dir = th_make_tmpdir("plan");
    char out[PATH_MAX];
    snprintf(out, sizeof out, "%s/never", dir);
    static const struct {
        const char *vary, *slo, *want;
    } cases[] = {
        {"hosts[0].vms[0].count=1:40", "host_oom_kills=0", "--slo: column 15: expected a comparison"},
        {"hosts[0].vms[0].count=1:40", "stall_p99 < ", "--slo: column 13: expected a value"},
        {"hosts[0].vms[0].count=1:40", "nosuch==0", "--slo: column 1: unknown metric 'nosuch'"},
        {"hosts[0].vms[0].count=1:40", "stall_s>+10%", "needs a baseline"},
        {"hosts[0].vms[0].count=1:40:2", "host_oom_kills==0", "expected LO:HI with whole numbers"},
        {"hosts[0].vms[0].count=1.5:4", "host_oom_kills==0", "expected LO:HI with whole numbers"},
        {"hosts[0].vms[0].count=9:3", "host_oom_kills==0", "LO of '9:3' is above HI"},
        {"hosts[0].vms[0].count", "host_oom_kills==0", "expected PATH=LO:HI"},
        {"hosts[0].vms[0].count=0:3", "host_oom_kills==0",
         "--vary: hosts[0].vms[0].count: expected a whole number from 1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        th_proc p = RUN("plan", MONO, "--vary", cases[i].vary, "--slo", cases[i].slo, "-o", out);
        assert_int_equal(p.code, 2);
        if (strstr(p.err, cases[i].want) == NULL)
            fail_msg("--vary %s --slo '%s': stderr lacks '%s':\n%s", cases[i].vary, cases[i].slo,
                     cases[i].want, p.err);
        assert_int_equal(access(out, F_OK), -1);
        th_proc_free(&p);
    }
    th_proc m = RUN("plan", MONO, "--slo", "host_oom_kills==0");
    assert_int_equal(m.code, 2);
    assert_non_null(strstr(m.err, "missing --vary"));
    th_proc s = RUN("plan", MONO, "--vary", "hosts[0].vms[0].count=1:3");
    assert_int_equal(s.code, 2);
    assert_non_null(strstr(s.err, "missing --slo"));
    th_proc_free(&m), th_proc_free(&s);
    th_rm_rf(dir);
    free(dir);
}

int main(void)
{
    const char *b = getenv("BALLOONSIM");
    snprintf(bin, sizeof bin, "%s", b && *b ? b : "./balloonsim");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bisection_finds_every_known_answer_in_log_steps),
        cmocka_unit_test(bisection_edges),
        cmocka_unit_test(slo_comparisons_come_in_written_order_with_thresholds_in_base_units),
        cmocka_unit_test(margins_take_the_worst_seed),
        cmocka_unit_test(a_tenants_slo_reads_its_scopes_in_evaluation_and_margins),
        cmocka_unit_test(plan_finds_the_capacity_of_a_monotone_scenario),
        cmocka_unit_test(plan_without_an_answer_exits_1),
        cmocka_unit_test(plan_bad_input_exits_2_with_a_clear_message),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
