/* test_expr.c -- the --fail-if / --slo condition language. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/batch/expr.h"

static met_values vals(void)
{
    met_values v;
    memset(&v, 0, sizeof v);
    for (int i = 0; i < MET_COUNT; i++) v.present[i] = true;
    v.v[MET_GUEST_OOM_KILLS] = 0;
    v.v[MET_STALL_P99] = 0.04;
    v.v[MET_STALL_S] = 120;
    v.v[MET_RELIEF_MAX] = 400;                      /* s */
    v.v[MET_HOST_FREE_MIN_BYTES] = 3.0 * (1 << 30); /* 3 GiB */
    v.v[MET_PRESSURE_FRACTION] = 0.2;
    return v;
}

static bool holds(const char *text, const met_values *v, const met_values *base)
{
    expr *e;
    char err[256];
    bs_rc rc = expr_parse(text, &e, err, sizeof err);
    if (rc != BS_OK) fail_msg("'%s' did not parse: %s", text, err);
    met_scope vs, bs;
    met_set vset = met_set_view(&vs, v), bset = base ? met_set_view(&bs, base) : (met_set){0};
    bool r = expr_eval(e, &vset, base ? &bset : NULL, NULL);
    expr_free(e);
    return r;
}

static void absolute_comparisons_and_logic(void **state)
{
    (void)state;
    met_values v = vals();
    assert_true(holds("guest_oom_kills==0 && stall_p99<0.05", &v, NULL));
    assert_false(holds("guest_oom_kills>0", &v, NULL));
    assert_true(holds("guest_oom_kills>0 || stall_s>=120", &v, NULL));
    assert_false(holds("stall_s>120", &v, NULL));
    assert_true(holds("!(stall_s>120)", &v, NULL));
    assert_true(holds("stall_s != 121", &v, NULL));
    assert_true(holds("  ( guest_oom_kills == 0 )&&(stall_p99<=0.04)", &v, NULL));
    /* && binds tighter than || */
    assert_true(holds("stall_s>1000 && stall_s>0 || guest_oom_kills==0", &v, NULL));
    assert_false(holds("stall_s>1000 && (stall_s>0 || guest_oom_kills==0)", &v, NULL));
}

static void thresholds_take_the_metric_unit(void **state)
{
    (void)state;
    met_values v = vals();
    assert_true(holds("relief_max > 5m", &v, NULL));   /* 400 s > 300 s */
    assert_false(holds("relief_max > 7m", &v, NULL));  /* 420 s */
    assert_true(holds("host_free_min_bytes < 4GiB", &v, NULL));
    assert_true(holds("host_free_min_bytes >= 3GiB", &v, NULL));
    assert_true(holds("pressure_fraction == 20%", &v, NULL));
    assert_true(holds("stall_p99 < 5%", &v, NULL));
}

static void relative_thresholds_use_the_baseline(void **state)
{
    (void)state;
    met_values v = vals(), base = vals();
    base.v[MET_STALL_S] = 100;
    assert_true(holds("stall_s>+10%", &v, &base));  /* 120 > 110 */
    assert_false(holds("stall_s>+25%", &v, &base)); /* 120 > 125 */
    assert_true(holds("stall_s>=-5%", &v, &base));
    /* no baseline, or a null baseline value: a relative comparison is false */
    assert_false(holds("stall_s>+10%", &v, NULL));
    base.present[MET_STALL_S] = false;
    assert_false(holds("stall_s>+10%", &v, &base));
    expr *e;
    char err[128];
    assert_int_equal(expr_parse("guest_oom_kills>0 || stall_s>+10%", &e, err, sizeof err), BS_OK);
    assert_true(expr_uses_baseline(e));
    expr_free(e);
    assert_int_equal(expr_parse("guest_oom_kills>0", &e, err, sizeof err), BS_OK);
    assert_false(expr_uses_baseline(e));
    expr_free(e);
}

static void null_metrics_compare_false(void **state)
{
    (void)state;
    met_values v = vals();
    v.present[MET_REACH_P95] = false;
    assert_false(holds("reach_p95 > 1", &v, NULL));
    assert_false(holds("reach_p95 <= 1", &v, NULL));
    assert_true(holds("!(reach_p95 > 1)", &v, NULL));
}

static void why_lists_what_tripped(void **state)
{
    (void)state;
    met_values v = vals(), base = vals();
    base.v[MET_STALL_S] = 100;
    expr *e;
    char err[128];
    assert_int_equal(expr_parse("guest_oom_kills>0 || stall_s>+10%", &e, err, sizeof err), BS_OK);
    char buf[512] = {0};
    FILE *f = fmemopen(buf, sizeof buf, "w");
    met_scope vs, bs;
    met_set vset = met_set_view(&vs, &v), bset = met_set_view(&bs, &base);
    assert_true(expr_eval(e, &vset, &bset, f));
    fclose(f);
    assert_non_null(strstr(buf, "stall_s = 120 > 110 (baseline 100 +10%)"));
    assert_null(strstr(buf, "guest_oom_kills"));
    expr_free(e);
}

static void errors_name_the_column(void **state)
{
    (void)state;
    struct {
        const char *text, *msg;
    } bad[] = {
        {"", "column 1: expected a metric name, found the end"},
        {"stall_s", "column 8: expected a comparison"},
        {"stall_s >", "column 10: expected a value after '>', found the end"},
        {"stal_s > 1", "column 1: unknown metric 'stal_s'"},
        {"stall_s > 1 &&", "column 15: expected a metric name, found the end"},
        {"stall_s > 1 & x", "column 13: expected '&&', '||' or the end, found '&'"},
        {"(stall_s > 1", "column 13: expected ')' to close the '(' at column 1"},
        {"relief_max > 5 parsecs", "column 16: expected '&&', '||' or the end"},
        {"relief_max > fast", "column 14: expected a time"},
        {"stall_s > +ten%", "column 11: expected a relative change such as +10%"},
        {"host_free_min_bytes < lots", "column 23: expected a size"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        expr *e = NULL;
        char err[256];
        assert_int_equal(expr_parse(bad[i].text, &e, err, sizeof err), BS_ERR_INPUT);
        assert_null(e);
        if (strncmp(err, bad[i].msg, strlen(bad[i].msg)) != 0)
            fail_msg("'%s': got \"%s\", want \"%s...\"", bad[i].text, err, bad[i].msg);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(absolute_comparisons_and_logic),
        cmocka_unit_test(thresholds_take_the_metric_unit),
        cmocka_unit_test(relative_thresholds_use_the_baseline),
        cmocka_unit_test(null_metrics_compare_false),
        cmocka_unit_test(why_lists_what_tripped),
        cmocka_unit_test(errors_name_the_column),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
