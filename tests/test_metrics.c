/* test_metrics.c -- the metric table and the order statistics behind it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "sim/base/metrics.h"

static void table_names_match_cli_md(void **state)
{
    (void)state;
    /* docs/outputs.md's metric table, in its order */
    const char *names[] = {"guest_oom_kills", "host_oom_kills", "downtime_s", "stall_s",
                           "stall_p50", "stall_p95", "stall_p99", "pressure_fraction",
                           "relief_p50", "relief_p95", "relief_max", "reach_p50", "reach_p95",
                           "guest_swap_out_bytes", "guest_swap_in_bytes", "host_swap_out_bytes",
                           "balloon_traffic_bytes", "target_reversals_per_vm_hour", "fairness",
                           "host_free_min_bytes", "mean_host_used_fraction", "overcommit_ratio"};
    assert_int_equal(sizeof names / sizeof *names, MET_COUNT);
    for (int i = 0; i < MET_COUNT; i++) {
        assert_string_equal(met_info_get((met_id)i)->name, names[i]);
        assert_int_equal(met_find(names[i]), i);
    }
    assert_int_equal(met_find("stall"), MET_COUNT);
    /* per VM: all but the three host-level metrics */
    for (int i = 0; i < MET_COUNT; i++) {
        bool host_only = i == MET_HOST_FREE_MIN_BYTES || i == MET_MEAN_HOST_USED_FRACTION ||
                         i == MET_OVERCOMMIT_RATIO;
        assert_int_equal((met_info_get((met_id)i)->scopes & MET_SCOPE_VM) != 0, !host_only);
    }
}

static void histogram_quantiles(void **state)
{
    (void)state;
    double bins[MET_STALL_BINS] = {0};
    bins[0] = 90;   /* 90 s at stall 0 */
    bins[50] = 9;   /* 9 s at stall in (0.049, 0.050] */
    bins[400] = 1;  /* 1 s at 0.4 */
    assert_true(met_hist_quantile(bins, 0.50) == 0);
    assert_true(met_hist_quantile(bins, 0.90) == 0);
    assert_true(fabs(met_hist_quantile(bins, 0.95) - 0.05) < 1e-12);
    assert_true(fabs(met_hist_quantile(bins, 0.99) - 0.05) < 1e-12);
    assert_true(fabs(met_hist_quantile(bins, 0.995) - 0.4) < 1e-12);
    double empty[MET_STALL_BINS] = {0};
    assert_true(isnan(met_hist_quantile(empty, 0.5)));
}

static void nearest_rank(void **state)
{
    (void)state;
    double v[] = {15, 20, 35, 40, 50};
    /* the textbook example: P30 = 20, P40 = 20, P50 = 35, P100 = 50 */
    assert_true(met_nearest_rank(v, 5, 0.30) == 20);
    assert_true(met_nearest_rank(v, 5, 0.40) == 20);
    assert_true(met_nearest_rank(v, 5, 0.50) == 35);
    assert_true(met_nearest_rank(v, 5, 1.00) == 50);
    double one[] = {7};
    assert_true(met_nearest_rank(one, 1, 0.95) == 7);
    assert_true(isnan(met_nearest_rank(NULL, 0, 0.5)));
}

static void jain_index(void **state)
{
    (void)state;
    double equal[] = {0.8, 0.8, 0.8};
    assert_true(fabs(met_jain(equal, 3) - 1) < 1e-12);
    double one_gets_all[] = {1, 0, 0, 0};
    assert_true(fabs(met_jain(one_gets_all, 4) - 0.25) < 1e-12);
    double half[] = {1, 0.5};
    assert_true(fabs(met_jain(half, 2) - 2.25 / 2.5) < 1e-12);
}

static void confidence_interval_uses_student_t(void **state)
{
    (void)state;
    double x[] = {1, 2, 3, 4, 5};
    double mean, half;
    met_mean_ci95(x, 5, &mean, &half);
    /* sd = sqrt(2.5); t(0.975, 4) = 2.776445105 */
    assert_true(fabs(mean - 3) < 1e-12);
    assert_true(fabs(half - 2.776445105 * sqrt(2.5) / sqrt(5)) < 1e-8);
    double y[] = {10, 12};
    met_mean_ci95(y, 2, &mean, &half);
    /* t(0.975, 1) = 12.7062047 */
    assert_true(fabs(half - 12.70620474 * sqrt(2) / sqrt(2)) < 1e-6);
    met_mean_ci95(y, 1, &mean, &half);
    assert_true(mean == 10 && isnan(half));
}

/* Every satisfaction 0 (all VMs starved or down the whole time): Jain's
 * formula is 0/0, and metrics.h and docs/outputs.md define it as 1 -- an
 * equal share of nothing is fair, and never NaN. */
static void jain_index_all_zero_is_one(void **state)
{
    (void)state;
    double zero[] = {0, 0, 0, 0};
    assert_true(met_jain(zero, 4) == 1.0);
    assert_true(met_jain(zero, 1) == 1.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(table_names_match_cli_md),
        cmocka_unit_test(histogram_quantiles),
        cmocka_unit_test(nearest_rank),
        cmocka_unit_test(jain_index),
        cmocka_unit_test(jain_index_all_zero_is_one),
        cmocka_unit_test(confidence_interval_uses_student_t),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
