/* test_fleet.c -- the `fleet` workload (workloads/fleet.c).
 *
 * The main test generates 200 VMs (tests/data/fleet200.yaml) for 7 days and
 * measures them with trace-stats' own code (workloads/tracestats.c): every
 * statistic of the issue that calibrated the profile on Bitbrains GWA-T-12
 * must come out as the trace shows it.  Single fleets vary (a few big VMs
 * carry the sum), so the fleet-level figures are checked on the average of
 * sixteen seeds (one fleet's pooling has a standard deviation of about
 * 0.2), each seed within a wider band.  The other tests switch parts of
 * the model off so that the demand follows from the parameters by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/base/cfg.h"
#include "sim/scenario.h"
#include "workloads/tracestats.h"
#include "workloads/wl.h"

#define SCENARIO "tests/data/fleet200.yaml"
#define STEP_S 300
#define STEP_NS (STEP_S * BS_NS_PER_S)
#define DAY_STEPS 288
#define GIB_P 262144LL /* pages */
#define HOUR_NS (3600LL * BS_NS_PER_S)

#define assert_near(got, want, tol) near((got), (want), (tol), #got, __LINE__)
static void near(double got, double want, double tol, const char *what, int line)
{
    if (!(fabs(got - want) <= tol))
        fail_msg("line %d: %s = %.6g, want %.6g +- %.3g", line, what, got, want, tol);
}

#define assert_within(got, lo, hi) within((got), (lo), (hi), #got, __LINE__)
static void within(double got, double lo, double hi, const char *what, int line)
{
    if (!(got >= lo && got <= hi))
        fail_msg("line %d: %s = %.6g, want it in [%.6g, %.6g]", line, what, got, lo, hi);
}

/* ---------------------------------------------------------------- helpers */

typedef struct fx {
    cfg_doc *doc;
    cfg_errs errs;
    wl_spec *spec;
} fx;

static bs_rc fx_try(fx *f, const char *yaml)
{
    memset(f, 0, sizeof *f);
    assert_int_equal(cfg_doc_new(&f->doc), BS_OK);
    cfg_node *root = NULL;
    assert_int_equal(cfg_parse_string(f->doc, "w.yaml", yaml, &f->errs, &root), BS_OK);
    cfg_ctx cx = {.errs = &f->errs, .doc = f->doc};
    return wl_configure_nested(&cx, root, "workload", ".", &f->spec);
}

static void fx_ok(fx *f, const char *yaml)
{
    if (fx_try(f, yaml) != BS_OK) {
        cfg_errs_print(&f->errs, stderr);
        fail_msg("configuration failed");
    }
}

static void fx_free(fx *f)
{
    wl_spec_free(f->spec);
    cfg_errs_free(&f->errs);
    cfg_doc_free(f->doc);
}

static wl_gen *gen(const wl_spec *spec, const char *name, uint64_t seed, bs_pages memory)
{
    wl_vm_info info = {.name = name, .seed = seed, .memory = memory, .purpose = "demand"};
    wl_gen *g = NULL;
    assert_int_equal(wl_instantiate(spec, &info, &g), BS_OK);
    return g;
}

/* Demand (pages) of every step k = 0 .. n-1, asking at each step's start. */
static void series(wl_gen *g, size_t n, double *out)
{
    for (size_t k = 0; k < n; k++) {
        bs_time next;
        out[k] = (double)wl_advance(g, (bs_time)k * STEP_NS, &next);
        assert_true(next == (bs_time)(k + 1) * STEP_NS);
    }
}

/* ---------------------------------------------------------------- the fleet */

typedef struct fleet_run {
    wl_fleet_stats f;
    size_t size_count[6];
} fleet_run;

static const double mix_gib[6] = {4, 2, 16, 1, 8, 0.5};
static const double mix_weight[6] = {30, 22, 15, 13, 12, 8};

/* The fixture's VMs, 7 days, measured as trace-stats measures. */
static void run_fleet(uint64_t seed, fleet_run *out)
{
    scen_overrides ov = {.has_seed = true, .seed = seed};
    cfg_errs errs = {0};
    scen *sc = NULL;
    if (scen_load(SCENARIO, &ov, &errs, &sc) != BS_OK) {
        cfg_errs_print(&errs, stderr);
        fail_msg("cannot load " SCENARIO);
    }
    assert_int_equal(sc->n_vms, 200);
    const size_t n = 7 * DAY_STEPS, nv = sc->n_vms;
    double *v = malloc(nv * n * sizeof *v), *t = malloc(n * sizeof *t);
    wl_tseries *ts = calloc(nv, sizeof *ts);
    wl_tstats *st = calloc(nv, sizeof *st);
    assert_true(v && t && ts && st);
    for (size_t k = 0; k < n; k++) t[k] = (double)k * STEP_S;
    memset(out->size_count, 0, sizeof out->size_count);
    for (size_t i = 0; i < nv; i++) {
        const scen_vm *vm = &sc->vms[i];
        bool known = false;
        for (int s = 0; s < 6; s++)
            if (vm->memory == (bs_pages)(mix_gib[s] * GIB_P)) out->size_count[s]++, known = true;
        assert_true(known);
        wl_gen *g = gen(vm->demand, vm->name, seed, vm->memory);
        double *vv = v + i * n;
        series(g, n, vv);
        wl_gen_free(g);
        for (size_t k = 0; k < n; k++) {
            assert_true(vv[k] >= 0 && vv[k] <= (double)vm->memory);
            vv[k] *= (double)BS_PAGE_SIZE; /* bytes, as traces are */
        }
        ts[i] = (wl_tseries){vv, t, n, (double)vm->memory * BS_PAGE_SIZE};
        assert_int_equal(wl_tstats_compute(&ts[i], &st[i]), BS_OK);
    }
    assert_int_equal(wl_fleet_compute(ts, st, nv, &out->f), BS_OK);
    free(v);
    free(t);
    free(ts);
    free(st);
    scen_free(sc);
    cfg_errs_free(&errs);
}

static void test_fleet_statistics_match_bitbrains(void **state)
{
    (void)state;
    enum { SEEDS = 16 };
    double pooling = 0, amplitude = 0, trough = 0, peak = 0;
    size_t sizes[6] = {0};
    for (uint64_t seed = 1; seed <= SEEDS; seed++) {
        fleet_run r;
        run_fleet(seed, &r);
        const wl_fleet_stats *f = &r.f;
        const wl_tstats *m = &f->median;
        for (int s = 0; s < 6; s++) sizes[s] += r.size_count[s];
        /* Per-VM mean usage lognormal over VMs: ln(usage / size) ~ N(-2.9, 1.2)
         * (standard errors 0.085 and 0.06 for 200 VMs). */
        assert_int_equal(f->ratio_vms, 200);
        assert_near(f->log_ratio_mean, -2.9, 0.3);
        assert_near(f->log_ratio_sd, 1.2, 0.2);
        /* AR(1) of ln usage per 5 min: phi ~0.45, sigma ~0.35. */
        assert_near(m->ar_phi, 0.45, 0.04);
        assert_near(m->ar_sigma, 0.35, 0.03);
        /* Bursts above 1.5x the median 13-20 % of the time, one sample long
         * 64 % of the time, Pareto tail alpha ~2, ~10 samples apart. */
        assert_within(m->burst_fraction, 0.13, 0.20);
        assert_near(m->burst_one, 0.64, 0.04);
        assert_near(m->burst_alpha, 2.0, 0.25);
        assert_near(m->burst_gap, 10.0, 1.5);
        /* One fleet's day and pooling: wide bands (see the top comment). */
        assert_true(f->daily.valid);
        assert_within(f->daily.trough_h, 6.0, 9.0);
        assert_within(f->daily.peak_h, 15.5, 18.0);
        assert_within(f->daily.amplitude, 0.25, 0.45);
        assert_within(f->pooling, 2.2, 3.6);
        pooling += f->pooling / SEEDS;
        amplitude += f->daily.amplitude / SEEDS;
        trough += f->daily.trough_h / SEEDS;
        peak += f->daily.peak_h / SEEDS;
        wl_fleet_stats_free(&r.f);
    }
    /* Aggregate day: trough at 07-08 h, peak at 16-17 h, 30-40 % of the mean
     * peak to trough; sum of per-VM peaks 2.7-3x the peak of the sum. */
    assert_within(trough, 7.0, 8.0);
    assert_within(peak, 16.0, 17.5);
    assert_within(amplitude, 0.30, 0.40);
    assert_within(pooling, 2.7, 3.0);
    /* The documented size mix: 3200 draws (binomial sd <= 0.8 points). */
    for (int s = 0; s < 6; s++)
        assert_near((double)sizes[s] / (SEEDS * 200), mix_weight[s] / 100.0, 0.045);
}

/* ---------------------------------------------------------------- by hand */

static void test_flat_level_is_the_ratio(void **state)
{
    (void)state;
    /* No noise, bursts, day or spread: demand = M * exp(mean_log_ratio). */
    fx f;
    fx_ok(&f, "type: fleet\nprofile: bitbrains\nmean_log_ratio: -1.3862943611198906\n"
              "sd_log_ratio: 0\nsigma: 0\nburst_fraction: 0\ndiurnal_amplitude: 0\n");
    wl_gen *g = gen(f.spec, "a", 1, 4 * GIB_P);
    double v[100];
    series(g, 100, v);
    for (int k = 0; k < 100; k++) assert_near(v[k], GIB_P, 1.0); /* 25 % of 4 GiB */
    wl_gen_free(g);
    fx_free(&f);
}

static void test_day_shape(void **state)
{
    (void)state;
    /* Factor 1 + A/2 s(t): s = -1 at 07:30, +1 at 16:30, 0 halfway up (12:00)
     * and halfway down (00:00, 7.5 h after the peak). */
    fx f;
    fx_ok(&f, "type: fleet\nmean_log_ratio: -1\nsd_log_ratio: 0\nsigma: 0\n"
              "burst_fraction: 0\ndiurnal_amplitude: 40%\n");
    wl_gen *g = gen(f.spec, "a", 1, 8 * GIB_P);
    const double level = 8.0 * GIB_P * exp(-1);
    const struct {
        bs_time at;
        double factor;
    } want[] = {
        {0, 1.0},
        {7 * HOUR_NS + HOUR_NS / 2, 0.8},
        {12 * HOUR_NS, 1.0},
        {16 * HOUR_NS + HOUR_NS / 2, 1.2},
        {24 * HOUR_NS, 1.0},
        {24 * HOUR_NS + 7 * HOUR_NS + HOUR_NS / 2, 0.8},
        {24 * HOUR_NS + 7 * HOUR_NS + HOUR_NS / 2 + 60 * BS_NS_PER_S, 0.8}, /* same step */
        {48 * HOUR_NS + 16 * HOUR_NS + HOUR_NS / 2, 1.2},
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        bs_time next;
        double v = (double)wl_advance(g, want[i].at, &next);
        assert_near(v, level * want[i].factor, 1.0);
        assert_true(next == (want[i].at / STEP_NS + 1) * STEP_NS);
    }
    wl_gen_free(g);
    fx_free(&f);
}

static void test_bursts_by_construction(void **state)
{
    (void)state;
    /* Fixed factor 3 (burst_min = burst_max), nothing else moving: a step is
     * in a burst iff demand is 3x the quiet level.  Bursts cover 20 % of the
     * steps, last 2 steps on average (geometric: half of them one step), and
     * the long-run mean is still M * exp(mean_log_ratio). */
    fx f;
    fx_ok(&f, "type: fleet\nmean_log_ratio: -3\nsd_log_ratio: 0\nsigma: 0\n"
              "diurnal_amplitude: 0\nburst_fraction: 0.2\nburst_length: 2\n"
              "burst_min: 3\nburst_max: 3\n");
    const size_t n = 200000;
    double *v = malloc(n * sizeof *v);
    wl_gen *g = gen(f.spec, "a", 7, 16 * GIB_P);
    series(g, n, v);
    const double quiet = 16.0 * GIB_P * exp(-3) / (1 + 0.2 * (3 - 1));
    size_t in = 0, runs = 0, ones = 0, len = 0;
    double sum = 0;
    for (size_t k = 0; k <= n; k++) {
        bool b = false;
        if (k < n) {
            sum += v[k];
            b = fabs(v[k] - 3 * quiet) <= 1.0;
            assert_true(b || fabs(v[k] - quiet) <= 1.0);
        }
        if (b) {
            in++, len++;
            continue;
        }
        if (len) runs++, ones += len == 1;
        len = 0;
    }
    assert_near((double)in / (double)n, 0.2, 0.01);
    assert_near((double)in / (double)runs, 2.0, 0.05);
    assert_near((double)ones / (double)runs, 0.5, 0.02);
    assert_near(sum / (double)n / (16.0 * GIB_P), exp(-3), 0.03 * exp(-3));
    wl_gen_free(g);
    free(v);
    fx_free(&f);
}

static void test_burst_factors_stay_in_range(void **state)
{
    (void)state;
    /* Default burst law (truncated Pareto on [2, 4.5)), nothing else moving. */
    fx f;
    fx_ok(&f, "type: fleet\nmean_log_ratio: -4\nsd_log_ratio: 0\nsigma: 0\n"
              "diurnal_amplitude: 0\n");
    const size_t n = 50000;
    double *v = malloc(n * sizeof *v);
    wl_gen *g = gen(f.spec, "a", 3, 16 * GIB_P);
    series(g, n, v);
    double quiet = INFINITY, hi = 0;
    for (size_t k = 0; k < n; k++) quiet = fmin(quiet, v[k]), hi = fmax(hi, v[k]);
    size_t bursts = 0, tail = 0;
    for (size_t k = 0; k < n; k++) {
        double x = v[k] / quiet;
        assert_true(x < 1.0001 || (x > 1.999 && x < 4.5));
        bursts += x > 1.5;
        tail += x > 3.0;
    }
    /* Truncated Pareto(2, alpha 2) at 4.5: P(X > 3) = ((2/3)^2 - (2/4.5)^2) /
     * (1 - (2/4.5)^2) = 0.3114. */
    assert_near((double)tail / (double)bursts, 0.3114, 0.03);
    wl_gen_free(g);
    free(v);
    fx_free(&f);
}

static void test_mean_level_with_everything_on(void **state)
{
    (void)state;
    /* Noise, bursts and the day on, no spread over VMs: the long-run mean is
     * M * exp(mean_log_ratio) (normalisation by E[exp L] and E[B]). */
    fx f;
    fx_ok(&f, "type: fleet\nmean_log_ratio: -2\nsd_log_ratio: 0\n");
    const size_t n = 7 * DAY_STEPS;
    double *v = malloc(n * sizeof *v), sum = 0;
    for (int i = 0; i < 100; i++) {
        char name[16];
        snprintf(name, sizeof name, "vm-%d", i);
        wl_gen *g = gen(f.spec, name, 5, 4 * GIB_P);
        series(g, n, v);
        for (size_t k = 0; k < n; k++) sum += v[k];
        wl_gen_free(g);
    }
    assert_near(sum / (100.0 * (double)n) / (4.0 * GIB_P), exp(-2), 0.03 * exp(-2));
    free(v);
    fx_free(&f);
}

static void test_demand_clamped_to_memory(void **state)
{
    (void)state;
    /* A level above the memory: always exactly M. */
    fx f;
    fx_ok(&f, "type: fleet\nmean_log_ratio: 3\nsd_log_ratio: 0\n");
    wl_gen *g = gen(f.spec, "a", 1, GIB_P);
    double v[1000];
    series(g, 1000, v);
    for (int k = 0; k < 1000; k++) assert_true(v[k] == GIB_P);
    wl_gen_free(g);
    fx_free(&f);
}

static void test_same_vm_same_demand(void **state)
{
    (void)state;
    /* Common random numbers: the demand depends on seed and VM name only,
     * also when a generator is first asked late (catching up in order). */
    fx f;
    fx_ok(&f, "type: fleet\n");
    const size_t n = 3 * DAY_STEPS;
    double a[3 * DAY_STEPS], c[3 * DAY_STEPS];
    wl_gen *ga = gen(f.spec, "web-1", 9, 2 * GIB_P), *gb = gen(f.spec, "web-1", 9, 2 * GIB_P);
    wl_gen *gc = gen(f.spec, "web-2", 9, 2 * GIB_P);
    series(ga, n, a);
    series(gc, n, c);
    bs_time next;
    double late = (double)wl_advance(gb, (bs_time)(n - 1) * STEP_NS + 7, &next);
    assert_true(late == a[n - 1]);
    size_t differ = 0;
    for (size_t k = 0; k < n; k++) differ += a[k] != c[k];
    assert_true(differ > n / 2);
    wl_gen_free(ga);
    wl_gen_free(gb);
    wl_gen_free(gc);
    fx_free(&f);
}

static void test_step_override(void **state)
{
    (void)state;
    fx f;
    fx_ok(&f, "type: fleet\nstep: 1m\n");
    wl_gen *g = gen(f.spec, "a", 1, GIB_P);
    bs_time next;
    wl_advance(g, 90 * BS_NS_PER_S, &next);
    assert_true(next == 120 * BS_NS_PER_S);
    wl_gen_free(g);
    fx_free(&f);
}

/* ---------------------------------------------------------------- errors */

static void expect_errors(const char *yaml, const char *const *want, size_t n_want)
{
    fx f;
    assert_int_equal(fx_try(&f, yaml), BS_ERR_INPUT);
    assert_null(f.spec);
    if (f.errs.n != n_want) cfg_errs_print(&f.errs, stderr);
    assert_int_equal(f.errs.n, n_want);
    for (size_t i = 0; i < n_want; i++) {
        bool found = false;
        for (size_t j = 0; j < f.errs.n; j++) found |= strstr(f.errs.msgs[j], want[i]) != NULL;
        if (!found) {
            cfg_errs_print(&f.errs, stderr);
            fail_msg("no error containing \"%s\"", want[i]);
        }
    }
    fx_free(&f);
}

static void test_config_errors_all_reported(void **state)
{
    (void)state;
    const char *want[] = {
        "w.yaml:2:10: workload.profile: expected a fleet profile (one of: bitbrains), found "
        "'azure'",
        "w.yaml:3:6: workload.phi: expected a number above -1 and below 1, found '1'",
        "w.yaml:4:8: workload.sigma: expected a number of 0 or more, found '-0.1'",
        "workload.burst_max: expected a factor not below burst_min (3), found '2.5'",
        "workload.burst_alpha: expected a number above 0, found '0'",
        "workload.trough_at: expected a time of day from 0 to below 24h, found '25h'",
        "workload.step: expected a time above 0, found '0s'",
        "workload.diurnal_amplitude: expected a fraction from 0 to 2 (200%), found '250%'",
    };
    expect_errors("type: fleet\nprofile: azure\nphi: 1\nsigma: -0.1\nburst_min: 3\n"
                  "burst_max: 2.5\nburst_alpha: 0\ntrough_at: 25h\nstep: 0s\n"
                  "diurnal_amplitude: 250%\n",
                  want, sizeof want / sizeof *want);
}

static void test_config_burst_fraction_limit(void **state)
{
    (void)state;
    /* Bursts of 1 step with gaps of at least 1 step cover at most half. */
    const char *w1[] = {"workload.burst_fraction: expected a fraction of at most 0.5 "
                        "(burst_length / (burst_length + 1)), found '0.6'"};
    expect_errors("type: fleet\nburst_fraction: 0.6\nburst_length: 1\n", w1, 1);
    const char *w2[] = {"workload.burst_length: expected a number of steps of 1 or more, "
                        "found '0.5'"};
    expect_errors("type: fleet\nburst_length: 0.5\n", w2, 1);
    const char *w3[] = {"workload.peak_at: expected a time of day other than trough_at"};
    expect_errors("type: fleet\ntrough_at: 6h\npeak_at: 6h\n", w3, 1);
    const char *w4[] = {"unknown key 'burst_rate' (expected one of: type, profile, "
                        "mean_log_ratio, sd_log_ratio, phi, sigma, step, burst_fraction"};
    expect_errors("type: fleet\nburst_rate: 0.1\n", w4, 1);
    /* Limits themselves are fine. */
    fx f;
    fx_ok(&f, "type: fleet\nburst_fraction: 0.5\nburst_length: 1\nphi: -0.99\n"
              "burst_min: 1\nburst_max: 1\ndiurnal_amplitude: 200%\npeak_at: 0s\n");
    fx_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fleet_statistics_match_bitbrains),
        cmocka_unit_test(test_flat_level_is_the_ratio),
        cmocka_unit_test(test_day_shape),
        cmocka_unit_test(test_bursts_by_construction),
        cmocka_unit_test(test_burst_factors_stay_in_range),
        cmocka_unit_test(test_mean_level_with_everything_on),
        cmocka_unit_test(test_demand_clamped_to_memory),
        cmocka_unit_test(test_same_vm_same_demand),
        cmocka_unit_test(test_step_override),
        cmocka_unit_test(test_config_errors_all_reported),
        cmocka_unit_test(test_config_burst_fraction_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
