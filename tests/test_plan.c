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
        cmocka_unit_test(plan_finds_the_capacity_of_a_monotone_scenario),
        cmocka_unit_test(plan_without_an_answer_exits_1),
        cmocka_unit_test(plan_bad_input_exits_2_with_a_clear_message),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
