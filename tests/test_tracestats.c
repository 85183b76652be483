/* test_tracestats.c -- statistics of series (workloads/tracestats.c) and the
 * `trace-stats` command (sim/cmd_tracestats.c).
 *
 * Synthetic series whose statistics follow from their construction (worked
 * out in the comments), an AR(1) process with known coefficients, and the
 * real Bitbrains sample in scenarios/data/bitbrains (a copy of
 * shared/traces, with its README: the figures checked here are that README's,
 * computed independently of this code). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/base/cfg.h"
#include "sim/cli/cli.h"
#include "sim/cli/cmd_tracestats.h"
#include "workloads/trace.h"
#include "workloads/tracestats.h"

#define BITBRAINS "scenarios/data/bitbrains/gwa-t-12-faststorage-vm-sample.csv"
#define KIB 1024.0
#define MIB (1024.0 * 1024.0)
#define GIB (1024.0 * MIB)

/* cmocka's float assertion rounds to float: too coarse for byte counts. */
#define assert_double_equal(got, want, tol) near((got), (want), (tol), #got, __LINE__)
static void near(double got, double want, double tol, const char *what, int line)
{
    if (!(fabs(got - want) <= tol))
        fail_msg("line %d: %s = %.10g, want %.10g +- %.3g", line, what, got, want, tol);
}

static wl_tstats stats_of(const double *v, const double *t, size_t n, double prov)
{
    wl_tseries s = {v, t, n, prov};
    wl_tstats st;
    assert_int_equal(wl_tstats_compute(&s, &st), BS_OK);
    return st;
}

/* Times 0, step, 2 step, ... */
static double *times(size_t n, double step)
{
    double *t = malloc(n * sizeof *t);
    assert_non_null(t);
    for (size_t i = 0; i < n; i++) t[i] = (double)i * step;
    return t;
}

/* ---------------------------------------------------------------- levels */

static void test_levels_of_1_to_100(void **state)
{
    (void)state;
    double v[100];
    for (int i = 0; i < 100; i++) v[i] = i + 1;
    double *t = times(100, 300);
    wl_tstats st = stats_of(v, t, 100, 200);
    assert_int_equal(st.n, 100);
    assert_true(st.step_s == 300);
    assert_true(st.span_s == 99 * 300);
    assert_true(st.provisioned == 200);
    assert_double_equal(st.mean, 50.5, 1e-12);
    /* Linear interpolation at (n - 1) q: 1 + 99 q. */
    assert_double_equal(st.median, 50.5, 1e-12);
    assert_double_equal(st.p95, 1 + 99 * 0.95, 1e-9);
    assert_double_equal(st.p99, 1 + 99 * 0.99, 1e-9);
    assert_true(st.max == 100);
    /* Sample variance of 1..n is n (n + 1) / 12. */
    assert_double_equal(st.cv, sqrt(100.0 * 101.0 / 12.0) / 50.5, 1e-12);
    /* Every step changes by 1 = 0.5 % of 200: over none of the levels. */
    for (int k = 0; k < WL_CHANGE_LEVELS; k++) assert_true(st.change[k] == 0);
    free(t);
}

static void test_constant_series(void **state)
{
    (void)state;
    /* Two days of a flat line: no variation, no bursts, a flat day. */
    size_t n = 2 * 288;
    double *v = malloc(n * sizeof *v), *t = times(n, 300);
    for (size_t i = 0; i < n; i++) v[i] = 7;
    wl_tstats st = stats_of(v, t, n, 0);
    assert_true(st.mean == 7 && st.median == 7 && st.p99 == 7 && st.max == 7);
    assert_true(st.cv == 0);
    assert_true(isnan(st.lag1));   /* 0 / 0 */
    assert_true(isnan(st.ar_phi)); /* ln v has no variance */
    assert_true(isnan(st.ar_sigma));
    assert_true(st.burst_fraction == 0);
    assert_int_equal(st.bursts, 0);
    assert_true(isnan(st.burst_one) && isnan(st.burst_alpha) && isnan(st.burst_gap));
    assert_true(isnan(st.change[0])); /* provisioned unknown */
    assert_true(st.daily.valid);
    for (int h = 0; h < 24; h++) assert_double_equal(st.daily.hourly[h], 1.0, 1e-12);
    assert_double_equal(st.daily.amplitude, 0.0, 1e-12);
    assert_true(isnan(st.daily.r2));
    free(v);
    free(t);
}

static void test_single_sample(void **state)
{
    (void)state;
    double v = 5, t = 1000;
    wl_tstats st = stats_of(&v, &t, 1, 10);
    assert_true(st.mean == 5 && st.median == 5 && st.max == 5);
    assert_true(isnan(st.step_s) && st.span_s == 0);
    assert_true(isnan(st.cv) && isnan(st.lag1) && isnan(st.ar_phi));
    assert_true(isnan(st.change[0]));
    assert_false(st.daily.valid);
}

static void test_lag1_of_alternating(void **state)
{
    (void)state;
    /* +1, -1, ... around a mean of 0 (n even): sum of products of neighbours
     * is -(n - 1), sum of squares n. */
    double v[10], t[10];
    for (int i = 0; i < 10; i++) v[i] = 10 + (i % 2 ? -1 : 1), t[i] = i;
    wl_tstats st = stats_of(v, t, 10, 0);
    assert_double_equal(st.lag1, -9.0 / 10.0, 1e-12);
}

/* ---------------------------------------------------------------- AR(1) */

static void test_ar1_recovers_phi_and_sigma(void **state)
{
    (void)state;
    /* ln v = -3 + x, x_k = 0.7 x_{k-1} + 0.2 e_k: least squares on 20000 pairs
     * has standard errors of about 0.005 (phi) and 0.001 (sigma). */
    size_t n = 20000;
    double *v = malloc(n * sizeof *v), *t = times(n, 300);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2);
    gsl_rng_set(r, 42);
    double x = 0;
    for (size_t i = 0; i < n; i++) {
        x = 0.7 * x + 0.2 * gsl_ran_gaussian(r, 1.0);
        v[i] = exp(-3 + x);
    }
    wl_tstats st = stats_of(v, t, n, 1);
    assert_double_equal(st.ar_phi, 0.7, 0.02);
    assert_double_equal(st.ar_sigma, 0.2, 0.005);
    gsl_rng_free(r);
    free(v);
    free(t);
}

static void test_ar1_skips_zero_samples(void **state)
{
    (void)state;
    /* ln 0 does not exist: pairs touching a 0 are left out.  Pairs (1,2),
     * (2,4) and (8,16) remain: ln y = ln 2 + ln x exactly: phi 1, sigma 0. */
    double v[] = {1, 2, 4, 0, 8, 16}, t[] = {0, 1, 2, 3, 4, 5};
    wl_tstats st = stats_of(v, t, 6, 0);
    assert_double_equal(st.ar_phi, 1.0, 1e-12);
    assert_double_equal(st.ar_sigma, 0.0, 1e-7);
}

/* ---------------------------------------------------------------- bursts */

static void test_bursts_by_hand(void **state)
{
    (void)state;
    /* Median 1, threshold 1.5.  Runs: [3] (one sample), [2, 2.5], [6] (one
     * sample); 4 of 12 samples above; gaps between runs 3 and 2 samples
     * (the stretches before the first and after the last run do not count). */
    double v[] = {1, 1, 3, 1, 1, 1, 2, 2.5, 1, 1, 6, 1};
    double t[12];
    for (int i = 0; i < 12; i++) t[i] = i;
    wl_tstats st = stats_of(v, t, 12, 0);
    assert_double_equal(st.median, 1, 1e-12);
    assert_double_equal(st.burst_fraction, 4.0 / 12.0, 1e-12);
    assert_int_equal(st.bursts, 3);
    assert_double_equal(st.burst_one, 2.0 / 3.0, 1e-12);
    assert_double_equal(st.burst_alpha, 3.0 / (log(3 / 1.5) + log(2.5 / 1.5) + log(6 / 1.5)),
                        1e-12);
    assert_double_equal(st.burst_gap, 2.5, 1e-12);
}

static void test_burst_threshold_is_strict(void **state)
{
    (void)state;
    /* Exactly 1.5x the median is not a burst; a run at the end still counts. */
    double v[] = {2, 2, 3, 2, 2, 3.5, 4}, t[] = {0, 1, 2, 3, 4, 5, 6};
    wl_tstats st = stats_of(v, t, 7, 0);
    assert_double_equal(st.median, 2, 1e-12);
    assert_int_equal(st.bursts, 1);
    assert_double_equal(st.burst_fraction, 2.0 / 7.0, 1e-12);
    assert_double_equal(st.burst_one, 0.0, 1e-12);
    assert_double_equal(st.burst_alpha, 1.0 / log(4 / 3.0), 1e-12);
    assert_true(isnan(st.burst_gap)); /* one burst: no gap between two */
}

static void test_bursts_need_a_positive_median(void **state)
{
    (void)state;
    double v[] = {0, 0, 0, 5, 0}, t[] = {0, 1, 2, 3, 4};
    wl_tstats st = stats_of(v, t, 5, 0);
    assert_true(isnan(st.burst_fraction));
    assert_int_equal(st.bursts, 0);
}

/* ---------------------------------------------------------------- changes */

static void test_changes_by_hand(void **state)
{
    (void)state;
    /* Steps of 2, 6, 12, 0 % of provisioned 100: over 1 %: 3 of 4; over 5 %:
     * 2; over 10 %: 1.  Decreases count as much as increases. */
    double v[] = {50, 52, 46, 58, 58}, t[] = {0, 1, 2, 3, 4};
    wl_tstats st = stats_of(v, t, 5, 100);
    assert_double_equal(st.change[0], 3.0 / 4.0, 1e-12);
    assert_double_equal(st.change[1], 2.0 / 4.0, 1e-12);
    assert_double_equal(st.change[2], 1.0 / 4.0, 1e-12);
}

/* ---------------------------------------------------------------- daily */

static void test_daily_of_a_cosine(void **state)
{
    (void)state;
    /* 10 + 2 cos(2 pi (t - 15h) / 24h) every 5 min for 3 days: peak 15 h,
     * trough 3 h, (12 - 8) / 10 = 0.4 (hourly means shave sinc(pi/24) ~ 0.3 %
     * off); hour of day explains nearly all the variance. */
    size_t n = 3 * 288;
    double *v = malloc(n * sizeof *v), *t = times(n, 300);
    for (size_t i = 0; i < n; i++) v[i] = 10 + 2 * cos(2 * M_PI * (t[i] - 15 * 3600.0) / 86400.0);
    wl_tstats st = stats_of(v, t, n, 0);
    assert_true(st.daily.valid);
    assert_double_equal(st.daily.peak_h, 15.0, 0.1);
    assert_double_equal(st.daily.trough_h, 3.0, 0.1);
    assert_double_equal(st.daily.amplitude, 0.4, 0.004);
    assert_true(st.daily.r2 > 0.99 && st.daily.r2 <= 1.0);
    assert_double_equal(st.daily.hourly[15], 1.2, 0.01);
    assert_double_equal(st.daily.hourly[3], 0.8, 0.01);
    free(v);
    free(t);
}

static void test_daily_uses_the_clock(void **state)
{
    (void)state;
    /* The same curve with Unix times starting 2013-08-12 13:40 UTC: hours are
     * those of the clock (UTC), not counted from the first sample. */
    size_t n = 3 * 288;
    double *v = malloc(n * sizeof *v), *t = times(n, 300);
    for (size_t i = 0; i < n; i++) {
        t[i] += 1376314800.0; /* 13:40 UTC */
        v[i] = 10 + 2 * cos(2 * M_PI * (t[i] - 15 * 3600.0) / 86400.0);
    }
    wl_tstats st = stats_of(v, t, n, 0);
    assert_double_equal(st.daily.peak_h, 15.0, 0.1);
    free(v);
    free(t);
}

static void test_daily_needs_every_hour(void **state)
{
    (void)state;
    /* Half a day of samples: hours 12..23 are empty. */
    size_t n = 144;
    double *v = malloc(n * sizeof *v), *t = times(n, 300);
    for (size_t i = 0; i < n; i++) v[i] = 1 + (double)(i % 7);
    wl_tstats st = stats_of(v, t, n, 0);
    assert_false(st.daily.valid);
    assert_true(isnan(st.daily.peak_h) && isnan(st.daily.amplitude) && isnan(st.daily.r2));
    free(v);
    free(t);
}

/* ---------------------------------------------------------------- fleet */

static void test_fleet_by_hand(void **state)
{
    (void)state;
    /* The sum covers the time all VMs have data: from the latest first sample
     * (C's, 1) to the earliest last one (A's and B's, 3): grid 1, 2, 3 (1 s).
     * Each VM adds its latest sample at or before a grid time:
     *   A (0..3: 1 5 1 1)        -> 5 1 1
     *   B (0..3: 2 2 6 2)        -> 2 6 2
     *   C (1..4: 10 20 10 10)    -> 10 20 10
     *   D (0.5..3.5: 100 200 100 300) -> 100 200 100 (300 comes after 3)
     * Sum 117, 227, 113; peaks on the same grid 5 + 6 + 20 + 200 = 231. */
    double tab[] = {0, 1, 2, 3}, tc[] = {1, 2, 3, 4}, td[] = {0.5, 1.5, 2.5, 3.5};
    double a[] = {1, 5, 1, 1}, b[] = {2, 2, 6, 2}, c[] = {10, 20, 10, 10},
           d[] = {100, 200, 100, 300};
    wl_tseries s[4] = {{a, tab, 4, 8}, {b, tab, 4, 8}, {c, tc, 4, 4}, {d, td, 4, 0}};
    wl_tstats st[4];
    for (int i = 0; i < 4; i++) assert_int_equal(wl_tstats_compute(&s[i], &st[i]), BS_OK);
    wl_fleet_stats f;
    assert_int_equal(wl_fleet_compute(s, st, 4, &f), BS_OK);
    assert_int_equal(f.vms, 4);
    assert_true(f.grid_step_s == 1);
    assert_int_equal(f.grid_n, 3);
    assert_double_equal(f.sum_peak, 227, 1e-12);
    assert_double_equal(f.sum_mean, (117 + 227 + 113) / 3.0, 1e-12);
    assert_double_equal(f.peaks_sum, 231, 1e-12);
    assert_double_equal(f.pooling, 231.0 / 227.0, 1e-12);
    /* Sizes: "8" twice, "4" once; D's is unknown. */
    assert_int_equal(f.n_sizes, 2);
    assert_true(f.sizes[0].size == 8 && f.sizes[0].count == 2);
    assert_true(f.sizes[1].size == 4 && f.sizes[1].count == 1);
    /* ln(mean / provisioned) of A (2/8), B (3/8), C (12.5/4). */
    double lr[] = {log(2.0 / 8), log(3.0 / 8), log(12.5 / 4)};
    double m = (lr[0] + lr[1] + lr[2]) / 3, ss = 0;
    for (int i = 0; i < 3; i++) ss += (lr[i] - m) * (lr[i] - m);
    assert_int_equal(f.ratio_vms, 3);
    assert_double_equal(f.log_ratio_mean, m, 1e-12);
    assert_double_equal(f.log_ratio_sd, sqrt(ss / 2), 1e-12);
    /* Medians over VMs: means 2, 3, 12.5, 175 -> 7.75; maxima 5, 6, 20, 300 -> 13. */
    assert_double_equal(f.median.mean, 7.75, 1e-12);
    assert_double_equal(f.median.max, 13, 1e-12);
    assert_false(f.daily.valid); /* 2 seconds are not a day */
    wl_fleet_stats_free(&f);
}

static void test_fleet_without_common_time(void **state)
{
    (void)state;
    /* One VM ends before the other starts: no sum, no pooling. */
    double t1[] = {0, 1}, t2[] = {5, 6}, v[] = {1, 2};
    wl_tseries s[2] = {{v, t1, 2, 0}, {v, t2, 2, 0}};
    wl_tstats st[2];
    for (int i = 0; i < 2; i++) assert_int_equal(wl_tstats_compute(&s[i], &st[i]), BS_OK);
    wl_fleet_stats f;
    assert_int_equal(wl_fleet_compute(s, st, 2, &f), BS_OK);
    assert_int_equal(f.grid_n, 0);
    assert_true(isnan(f.pooling) && isnan(f.sum_peak));
    assert_false(f.daily.valid);
    assert_double_equal(f.median.mean, 1.5, 1e-12); /* per-VM figures still there */
    wl_fleet_stats_free(&f);
}

static void test_fleet_medians_skip_undefined(void **state)
{
    (void)state;
    /* A flat VM has no AR(1); the median is over the two VMs that have one. */
    double t[] = {0, 1, 2, 3};
    double flat[] = {4, 4, 4, 4}, up[] = {1, 2, 4, 8}, down[] = {8, 4, 2, 1};
    wl_tseries s[3] = {{flat, t, 4, 0}, {up, t, 4, 0}, {down, t, 4, 0}};
    wl_tstats st[3];
    for (int i = 0; i < 3; i++) assert_int_equal(wl_tstats_compute(&s[i], &st[i]), BS_OK);
    assert_true(isnan(st[0].ar_phi));
    wl_fleet_stats f;
    assert_int_equal(wl_fleet_compute(s, st, 3, &f), BS_OK);
    assert_double_equal(f.median.ar_phi, 1.0, 1e-9); /* both exactly ln-linear, slope 1 */
    assert_int_equal(f.ratio_vms, 0);
    assert_true(isnan(f.log_ratio_mean));
    assert_int_equal(f.n_sizes, 0);
    /* Sum 13, 10, 10, 13: peaks 4 + 8 + 8 = 20. */
    assert_double_equal(f.pooling, 20.0 / 13.0, 1e-12);
    wl_fleet_stats_free(&f);
}

/* ---------------------------------------------------------------- Bitbrains */

static void test_bitbrains_sample_matches_its_readme(void **state)
{
    (void)state;
    cfg_errs errs = {0};
    wl_series *s = NULL;
    assert_int_equal(wl_trace_load(BITBRAINS, WL_TRACE_BITBRAINS, NULL, &errs, &s), BS_OK);
    double *t = malloc(s->n * sizeof *t);
    for (size_t i = 0; i < s->n; i++) t[i] = s->t0_s + (double)s->t[i] / 1e9;
    wl_tstats st = stats_of(s->v, t, s->n, 2 * GIB);
    /* README: mean 120 MiB = 5.9 %, median 5.4 %, p95 8.5 %, p99 19.9 %,
     * max 40.3 %, CV 0.48, lag-1 0.47; steps over 1 / 5 / 10 %: 48 / 2.8 /
     * 1.7 %; hour of day explains 3 % -- each to its last printed digit. */
    assert_int_equal(st.n, 8619);
    assert_true(st.step_s == 300);
    assert_double_equal(st.mean / MIB, 120, 0.5);
    assert_double_equal(100 * st.mean / (2 * GIB), 5.9, 0.05);
    assert_double_equal(100 * st.median / (2 * GIB), 5.4, 0.05);
    assert_double_equal(100 * st.p95 / (2 * GIB), 8.5, 0.05);
    assert_double_equal(100 * st.p99 / (2 * GIB), 19.9, 0.05);
    assert_double_equal(100 * st.max / (2 * GIB), 40.3, 0.05);
    assert_double_equal(st.cv, 0.48, 0.005);
    assert_double_equal(st.lag1, 0.47, 0.005);
    assert_double_equal(100 * st.change[0], 48, 0.5);
    assert_double_equal(100 * st.change[1], 2.8, 0.05);
    assert_double_equal(100 * st.change[2], 1.7, 0.05);
    assert_double_equal(100 * st.daily.r2, 3, 0.5);
    /* Not in the README, but what the fleet profile's figures are made of:
     * a real VM has short bursts with a heavy tail. */
    assert_true(st.burst_one > 0.6 && st.burst_alpha > 1.5 && st.burst_alpha < 4);
    free(t);
    wl_series_free(s);
    cfg_errs_free(&errs);
}

/* ---------------------------------------------------------------- command */

/* Run cli_trace_stats on `paths`; returns rc, output in *out (caller frees),
 * errors in errs. */
static bs_rc run_stats(const char *const *paths, size_t n, bool guess, int fmt, bool json,
                       char **out, cfg_errs *errs)
{
    size_t len = 0;
    FILE *f = open_memstream(out, &len);
    assert_non_null(f);
    cli_tstats_opts o = {.guess = guess, .format = fmt, .json = json};
    bs_rc rc = cli_trace_stats(paths, n, &o, f, errs);
    fclose(f);
    return rc;
}

static void test_guess_format(void **state)
{
    (void)state;
    assert_int_equal(cli_trace_guess_format(BITBRAINS), WL_TRACE_BITBRAINS);
    assert_int_equal(cli_trace_guess_format("tests/data/traces/alibaba.csv"), WL_TRACE_ALIBABA);
    assert_int_equal(cli_trace_guess_format("tests/data/traces/dommemstat.log"),
                     WL_TRACE_DOMMEMSTAT);
    assert_int_equal(cli_trace_guess_format("tests/data/traces/mem.csv"), WL_TRACE_CSV);
    assert_int_equal(cli_trace_guess_format("tests/data/no-such-file"), WL_TRACE_CSV);
}

static void test_command_text_bitbrains(void **state)
{
    (void)state;
    const char *paths[] = {BITBRAINS};
    cfg_errs errs = {0};
    char *out = NULL;
    assert_int_equal(run_stats(paths, 1, true, 0, false, &out, &errs), BS_OK);
    assert_int_equal(errs.n, 0);
    assert_non_null(strstr(out, "(bitbrains, Memory usage [KB]): 8619 samples every 300 s"));
    assert_non_null(strstr(out, "provisioned 2GiB"));
    assert_non_null(strstr(out, "mean 5.9 %, median 5.4 %, p95 8.5 %, p99 19.9 %, max 40.3 %"));
    assert_non_null(strstr(out, "cv 0.48, lag-1 autocorrelation 0.47"));
    assert_non_null(strstr(out, "steps over 1 %: 47.9 %, over 5 %: 2.8 %, over 10 %: 1.7 %"));
    assert_null(strstr(out, "fleet:")); /* one file: no fleet section */
    free(out);
    cfg_errs_free(&errs);
}

static void test_command_json_fleet(void **state)
{
    (void)state;
    /* The same VM twice is a fleet that pools nothing: sum of peaks = peak of
     * the sum, pooling exactly 1.  The JSON parses (YAML is a superset). */
    const char *paths[] = {BITBRAINS, BITBRAINS};
    cfg_errs errs = {0};
    char *out = NULL;
    assert_int_equal(run_stats(paths, 2, false, WL_TRACE_BITBRAINS, true, &out, &errs), BS_OK);
    cfg_doc *doc = NULL;
    cfg_node *root = NULL;
    assert_int_equal(cfg_doc_new(&doc), BS_OK);
    assert_int_equal(cfg_parse_string(doc, "out.json", out, &errs, &root), BS_OK);
    cfg_node *n = cfg_lookup(root, "traces[1].samples");
    assert_non_null(n);
    assert_string_equal(n->value, "8619");
    n = cfg_lookup(root, "traces[0].provisioned");
    assert_string_equal(n->value, "2147483648");
    n = cfg_lookup(root, "traces[0].level_of_provisioned.median");
    assert_double_equal(strtod(n->value, NULL), 0.054, 0.0005);
    n = cfg_lookup(root, "fleet.pooling");
    assert_non_null(n);
    assert_double_equal(strtod(n->value, NULL), 1.0, 1e-12);
    n = cfg_lookup(root, "fleet.sizes[0].count");
    assert_string_equal(n->value, "2");
    n = cfg_lookup(root, "fleet.log_ratio.sd");
    assert_string_equal(n->value, "0");
    n = cfg_lookup(root, "traces[0].daily.hourly[23]");
    assert_non_null(n);
    free(out);
    cfg_doc_free(doc);
    cfg_errs_free(&errs);
}

static void test_command_null_without_provisioned(void **state)
{
    (void)state;
    /* A csv does not say how big the VM is: shares of it are null. */
    const char *paths[] = {"tests/data/traces/mem.csv"};
    cfg_errs errs = {0};
    char *out = NULL;
    assert_int_equal(run_stats(paths, 1, true, 0, true, &out, &errs), BS_OK);
    assert_non_null(strstr(out, "\"provisioned\": null"));
    assert_non_null(strstr(out, "\"level_of_provisioned\": null"));
    assert_non_null(strstr(out, "\"changes\": null"));
    assert_non_null(strstr(out, "\"fleet\": null"));
    free(out);
    cfg_errs_free(&errs);
}

static void test_command_errors_name_every_file(void **state)
{
    (void)state;
    char bad[] = "/tmp/bs-tstats-XXXXXX";
    int fd = mkstemp(bad);
    assert_true(fd >= 0);
    const char *text = "t,mem_mib\n0,1\n60,abc\n";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    const char *paths[] = {"tests/data/no-such-trace.csv", bad, BITBRAINS};
    cfg_errs errs = {0};
    char *out = NULL;
    assert_int_equal(run_stats(paths, 3, false, WL_TRACE_CSV, false, &out, &errs), BS_ERR_INPUT);
    assert_string_equal(out, ""); /* nothing printed when a file is bad */
    /* The missing file, the garbage line (3), and the bitbrains file read as
     * csv (no time column in its header, line 1). */
    assert_int_equal(errs.n, 3);
    assert_non_null(strstr(errs.msgs[0], "tests/data/no-such-trace.csv: cannot open"));
    char want[64];
    snprintf(want, sizeof want, "%s:3:", bad);
    assert_non_null(strstr(errs.msgs[1], want));
    assert_non_null(strstr(errs.msgs[1], "'abc'"));
    assert_non_null(strstr(errs.msgs[2], BITBRAINS ":1:"));
    unlink(bad);
    free(out);
    cfg_errs_free(&errs);
}

static void test_command_refuses_mixing_fractions_and_bytes(void **state)
{
    (void)state;
    const char *paths[] = {"tests/data/traces/alibaba.csv", "tests/data/traces/mem.csv"};
    cfg_errs errs = {0};
    char *out = NULL;
    assert_int_equal(run_stats(paths, 2, true, 0, false, &out, &errs), BS_ERR_INPUT);
    assert_int_equal(errs.n, 1);
    assert_non_null(strstr(errs.msgs[0], "tests/data/traces/mem.csv: expected values in fractions"));
    free(out);
    cfg_errs_free(&errs);
}

static void test_command_usage(void **state)
{
    (void)state;
    /* Exit codes of docs/outputs.md: 2 for bad usage and bad input, 0 for --help. */
    char *a1[] = {"balloonsim", "trace-stats", NULL};
    assert_int_equal(cli_main(2, a1), BS_ERR_INPUT);
    char *a2[] = {"balloonsim", "trace-stats", "--trace-format", "xml", BITBRAINS, NULL};
    assert_int_equal(cli_main(5, a2), BS_ERR_INPUT);
    char *a3[] = {"balloonsim", "trace-stats", "--format", "yaml", BITBRAINS, NULL};
    assert_int_equal(cli_main(5, a3), BS_ERR_INPUT);
    char *a4[] = {"balloonsim", "trace-stats", "tests/data/no-such-trace.csv", NULL};
    assert_int_equal(cli_main(3, a4), BS_ERR_INPUT);
    char *a5[] = {"balloonsim", "trace-stats", "--bogus", BITBRAINS, NULL};
    assert_int_equal(cli_main(4, a5), BS_ERR_INPUT);
    char *a6[] = {"balloonsim", "trace-stats", "--help", NULL};
    assert_int_equal(cli_main(3, a6), BS_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_levels_of_1_to_100),
        cmocka_unit_test(test_constant_series),
        cmocka_unit_test(test_single_sample),
        cmocka_unit_test(test_lag1_of_alternating),
        cmocka_unit_test(test_ar1_recovers_phi_and_sigma),
        cmocka_unit_test(test_ar1_skips_zero_samples),
        cmocka_unit_test(test_bursts_by_hand),
        cmocka_unit_test(test_burst_threshold_is_strict),
        cmocka_unit_test(test_bursts_need_a_positive_median),
        cmocka_unit_test(test_changes_by_hand),
        cmocka_unit_test(test_daily_of_a_cosine),
        cmocka_unit_test(test_daily_uses_the_clock),
        cmocka_unit_test(test_daily_needs_every_hour),
        cmocka_unit_test(test_fleet_by_hand),
        cmocka_unit_test(test_fleet_without_common_time),
        cmocka_unit_test(test_fleet_medians_skip_undefined),
        cmocka_unit_test(test_bitbrains_sample_matches_its_readme),
        cmocka_unit_test(test_guess_format),
        cmocka_unit_test(test_command_text_bitbrains),
        cmocka_unit_test(test_command_json_fleet),
        cmocka_unit_test(test_command_null_without_provisioned),
        cmocka_unit_test(test_command_errors_name_every_file),
        cmocka_unit_test(test_command_refuses_mixing_fractions_and_bytes),
        cmocka_unit_test(test_command_usage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
