/* test_workloads.c -- the workload registry and every generated type.
 *
 * Expected values come from the documented formulas evaluated here (the cosine
 * shape, the leak line, sums of parts) or from the statistics of the model
 * (fraction of time high, OU stationary mean and variance), never from the
 * generator's own output.  1 GiB = 262144 pages, 1 MiB = 256 pages. */
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
#include "workloads/wl.h"

#define GIB_P 262144LL
#define MIB_P 256LL
#define SEC BS_NS_PER_S
#define MIN (60 * SEC)
#define HOUR (3600 * SEC)
#define DAY (24 * HOUR)

/* ---- fixture: YAML text -> spec ---- */

typedef struct fx {
    cfg_doc *doc;
    cfg_errs errs;
    cfg_ctx cx;
    wl_spec *spec;
} fx;

/* Parse `yaml` (the workload mapping itself) and configure it the way a nested
 * workload is (unknown keys reported).  Returns the rc; errors stay in f. */
static bs_rc fx_try(fx *f, const char *yaml)
{
    memset(f, 0, sizeof *f);
    assert_int_equal(cfg_doc_new(&f->doc), BS_OK);
    f->cx.errs = &f->errs;
    f->cx.doc = f->doc;
    cfg_node *root = NULL;
    bs_rc rc = cfg_parse_string(f->doc, "w.yaml", yaml, &f->errs, &root);
    if (rc != BS_OK) {
        cfg_errs_print(&f->errs, stderr);
        fail_msg("test YAML does not parse");
    }
    return wl_configure_nested(&f->cx, root, "workload", "tests/data/traces", &f->spec);
}

static void fx_ok(fx *f, const char *yaml)
{
    bs_rc rc = fx_try(f, yaml);
    if (rc != BS_OK || f->errs.n) {
        cfg_errs_print(&f->errs, stderr);
        fail_msg("workload rejected: %s", yaml);
    }
    assert_non_null(f->spec);
}

static void fx_free(fx *f)
{
    wl_spec_free(f->spec);
    cfg_errs_free(&f->errs);
    cfg_doc_free(f->doc);
}

/* Configuring must fail with a message containing every needle. */
static void expect_error(const char *yaml, const char *needle1, const char *needle2)
{
    fx f;
    bs_rc rc = fx_try(&f, yaml);
    assert_int_equal(rc, BS_ERR_INPUT);
    assert_null(f.spec);
    assert_true(f.errs.n >= 1);
    bool found = false;
    for (size_t i = 0; i < f.errs.n; i++)
        if (strstr(f.errs.msgs[i], needle1) && (!needle2 || strstr(f.errs.msgs[i], needle2)))
            found = true;
    if (!found) {
        cfg_errs_print(&f.errs, stderr);
        fail_msg("no error with '%s' / '%s'", needle1, needle2 ? needle2 : "");
    }
    fx_free(&f);
}

static wl_gen *gen_p(const wl_spec *s, const char *name, uint64_t seed, const char *purpose)
{
    wl_vm_info vm = {.name = name, .seed = seed, .memory = 4 * GIB_P, .purpose = purpose};
    wl_gen *g = NULL;
    assert_int_equal(wl_instantiate(s, &vm, &g), BS_OK);
    assert_non_null(g);
    return g;
}

static wl_gen *gen(const wl_spec *s, const char *name, uint64_t seed)
{
    return gen_p(s, name, seed, "demand");
}

static bs_pages at(wl_gen *g, bs_time t, bs_time *next)
{
    bs_time nx = -1;
    bs_pages v = wl_advance(g, t, &nx);
    assert_true(nx > t);
    if (next) *next = nx;
    return v;
}

/* Follow the change points from 0 to `horizon`; record up to max values. */
static size_t trajectory(wl_gen *g, bs_time horizon, bs_pages *vals, bs_time *times, size_t max)
{
    size_t n = 0;
    bs_time t = 0;
    while (t < horizon && n < max) {
        bs_time nx;
        vals[n] = at(g, t, &nx);
        if (times) times[n] = t;
        n++;
        t = nx;
    }
    return n;
}

/* ---- registry ---- */

static void test_registry_lists_every_type(void **state)
{
    (void)state;
    static const char *const names[] = {"constant", "steps", "diurnal", "onoff", "spikes",
                                        "randomwalk", "leak", "trace", "sum", "fleet"};
    const wl_type *const *all = wl_types();
    size_t n = 0;
    while (all[n]) n++;
    assert_int_equal(n, sizeof names / sizeof *names);
    for (size_t i = 0; i < n; i++) {
        const wl_type *t = wl_find(names[i]);
        assert_non_null(t);
        assert_string_equal(t->name, names[i]);
        assert_true(t->description && t->description[0]);
        assert_true(t->keys && t->keys[0]);
        assert_non_null(t->configure);
        assert_non_null(t->advance);
    }
    assert_null(wl_find("Constant"));
    assert_null(wl_find(NULL));
}

static void test_registry_unknown_type_lists_names(void **state)
{
    (void)state;
    expect_error("type: diurnall\n", "w.yaml:1:7: workload.type: expected a workload type",
                 "constant, steps, diurnal, onoff, spikes, randomwalk, leak, trace, sum, "
                 "fleet), "
                 "found 'diurnall'");
}

static void test_registry_missing_type(void **state)
{
    (void)state;
    expect_error("size: 1GiB\n", "workload: missing required key 'type'", NULL);
}

static void test_registry_unknown_key_in_nested(void **state)
{
    (void)state;
    expect_error("type: constant\nsize: 1GiB\nszie: 2GiB\n", "w.yaml:3:1: workload.szie",
                 "unknown key 'szie' (expected one of: type, size)");
}

static void test_registry_not_a_mapping(void **state)
{
    (void)state;
    fx f;
    memset(&f, 0, sizeof f);
    assert_int_equal(cfg_doc_new(&f.doc), BS_OK);
    f.cx.errs = &f.errs;
    f.cx.doc = f.doc;
    cfg_node *root = NULL;
    assert_int_equal(cfg_parse_string(f.doc, "w.yaml", "w: [1, 2]\n", &f.errs, &root), BS_OK);
    const cfg_node *seq = cfg_map_get(root, "w");
    assert_int_equal(wl_configure(&f.cx, seq, "w", ".", &f.spec), BS_ERR_INPUT);
    assert_null(f.spec);
    assert_int_equal(f.errs.n, 1);
    assert_non_null(strstr(f.errs.msgs[0], "expected a mapping"));
    fx_free(&f);
}

/* ---- constant and cache ---- */

static void test_constant_rounds_down_to_pages(void **state)
{
    (void)state;
    fx f;
    fx_ok(&f, "type: constant\nsize: 1000000\n"); /* bytes: 244.14 pages */
    wl_gen *g = gen(f.spec, "vm", 1);
    bs_time nx;
    assert_int_equal(at(g, 0, &nx), 1000000 / 4096);
    assert_true(nx == BS_TIME_NEVER);
    assert_int_equal(at(g, 5 * DAY, &nx), 1000000 / 4096);
    wl_gen_free(g);
    fx_free(&f);
}

static void test_constant_distribution_drawn_once_per_vm(void **state)
{
    (void)state;
    fx f;
    fx_ok(&f, "type: constant\nsize: {dist: uniform, min: 1GiB, max: 3GiB}\n");
    bs_pages first = -1;
    bool differ = false;
    char name[32];
    for (int i = 0; i < 20; i++) {
        snprintf(name, sizeof name, "web-%d", i + 1);
        wl_gen *g = gen(f.spec, name, 42);
        bs_pages v = at(g, 0, NULL);
        assert_true(v >= GIB_P && v <= 3 * GIB_P);
        assert_int_equal(at(g, 7 * HOUR, NULL), v); /* held */
        wl_gen *again = gen(f.spec, name, 42);
        assert_int_equal(at(again, 3 * HOUR, NULL), v); /* same VM, same draw */
        wl_gen_free(again);
        if (first < 0) first = v;
        else if (v != first) differ = true;
        wl_gen_free(g);
    }
    assert_true(differ);
    fx_free(&f);
}

static void test_cache_scalar_is_constant(void **state)
{
    (void)state;
    cfg_doc *doc;
    cfg_errs errs = {0};
    assert_int_equal(cfg_doc_new(&doc), BS_OK);
    cfg_ctx cx = {.errs = &errs, .doc = doc};
    cfg_node *root;
    assert_int_equal(cfg_parse_string(doc, "c.yaml",
                                      "a: 512MiB\nb: [1GiB]\nc: {type: steps, steps: [{at: 1h, "
                                      "size: 1GiB}], bogus: 1}\nd: {type: leak, rate: 1MiB/m}\n",
                                      &errs, &root),
                     BS_OK);
    wl_spec *s = NULL;
    assert_int_equal(wl_configure_cache(&cx, cfg_map_get(root, "a"), "cache", ".", &s), BS_OK);
    wl_gen *g = gen_p(s, "vm", 1, "cache");
    assert_int_equal(at(g, 0, NULL), 512 * MIB_P);
    wl_gen_free(g);
    wl_spec_free(s);

    assert_int_equal(wl_configure_cache(&cx, cfg_map_get(root, "b"), "cache", ".", &s),
                     BS_ERR_INPUT);
    assert_null(s);
    assert_int_equal(errs.n, 1);
    assert_non_null(strstr(errs.msgs[0], "c.yaml:2:4: cache: expected a size such as 4GiB or a "
                                         "workload mapping, found a sequence"));
    /* A nested mapping: its unknown keys are reported (nobody else checks them). */
    assert_int_equal(wl_configure_cache(&cx, cfg_map_get(root, "c"), "cache", ".", &s),
                     BS_ERR_INPUT);
    assert_null(s);
    assert_int_equal(errs.n, 2);
    assert_non_null(strstr(errs.msgs[1], "cache.bogus: unknown key 'bogus'"));
    /* A valid nested workload for the cache. */
    assert_int_equal(wl_configure_cache(&cx, cfg_map_get(root, "d"), "cache", ".", &s), BS_OK);
    g = gen_p(s, "vm", 1, "cache");
    assert_int_equal(at(g, 0, NULL), 0);
    assert_int_equal(at(g, 10 * MIN, NULL), 10 * MIB_P);
    wl_gen_free(g);
    wl_spec_free(s);
    cfg_errs_free(&errs);
    cfg_doc_free(doc);
}

/* ---- steps ---- */

static void test_steps_held_and_zero_before_first(void **state)
{
    (void)state;
    fx f;
    fx_ok(&f, "type: steps\nsteps: [{at: 10m, size: 1GiB}, {at: 1h, size: 6GiB}, "
              "{at: 2h, size: 512MiB}]\n");
    wl_gen *g = gen(f.spec, "vm", 1);
    bs_time nx;
    assert_int_equal(at(g, 0, &nx), 0);
    assert_true(nx == 10 * MIN);
    assert_int_equal(at(g, 10 * MIN, &nx), GIB_P);
    assert_true(nx == HOUR);
    assert_int_equal(at(g, 59 * MIN, &nx), GIB_P);
    assert_true(nx == HOUR);
    assert_int_equal(at(g, HOUR, &nx), 6 * GIB_P);
    assert_int_equal(at(g, HOUR, &nx), 6 * GIB_P); /* the same t twice */
    assert_true(nx == 2 * HOUR);
    assert_int_equal(at(g, 30 * DAY, &nx), 512 * MIB_P);
    assert_true(nx == BS_TIME_NEVER);
    wl_gen_free(g);

    g = gen(f.spec, "late", 1); /* first call past several steps */
    assert_int_equal(at(g, 90 * MIN, &nx), 6 * GIB_P);
    assert_true(nx == 2 * HOUR);
    wl_gen_free(g);
    fx_free(&f);
}

static void test_steps_errors(void **state)
{
    (void)state;
    expect_error("type: steps\nsteps:\n  - {at: 1h, size: 1GiB}\n  - {at: 1h, size: 2GiB}\n",
                 "w.yaml:4:10: workload.steps[1].at: expected a time after the previous step's 1h",
                 "found '1h'");
    expect_error("type: steps\nsteps: [{at: 2h, size: 1GiB}, {at: 30m, size: 2GiB}]\n",
                 "workload.steps[1].at: expected a time after", NULL);
    expect_error("type: steps\nsteps: []\n", "workload.steps: expected at least one step", NULL);
    expect_error("type: steps\n", "workload: missing required key 'steps'", NULL);
    expect_error("type: steps\nsteps: {at: 0s, size: 1GiB}\n", "workload.steps: expected a sequence",
                 NULL);
    expect_error("type: steps\nsteps: [{at: 0s, size: 1GiB, sise: 2}]\n",
                 "workload.steps[0].sise: unknown key 'sise' (expected one of: at, size)", NULL);
    expect_error("type: steps\nsteps: [{at: 0s}]\n",
                 "workload.steps[0]: missing required key 'size'", NULL);
}

/* ---- diurnal ---- */

static double cosine_shape(bs_time t, bs_time peak_at, bs_time period)
{
    double x = fmod((double)(t - peak_at), (double)period);
    return (1.0 + cos(2.0 * M_PI * x / (double)period)) / 2.0;
}

static void test_diurnal_peak_and_trough(void **state)
{
    (void)state;
    fx f;
    fx_ok(&f, "type: diurnal\nbase: 1GiB\npeak: 5GiB\n"); /* period 24h, peak_at 14h */
    wl_gen *g = gen(f.spec, "vm", 1);
    bs_time nx;
    assert_int_equal(at(g, 2 * HOUR, &nx), GIB_P); /* 14h + 12h, one day earlier */
    assert_true(nx == 2 * HOUR + MIN);
    assert_int_equal(at(g, 14 * HOUR, &nx), 5 * GIB_P);
    assert_int_equal(at(g, 14 * HOUR + 30 * SEC, &nx), 5 * GIB_P); /* held within the minute */
    assert_true(nx == 14 * HOUR + MIN);
    assert_int_equal(at(g, 20 * HOUR, &nx), 3 * GIB_P); /* quarter period: midway */
    assert_int_equal(at(g, 26 * HOUR, &nx), GIB_P);      /* next day's trough */
    assert_int_equal(at(g, 38 * HOUR, &nx), 5 * GIB_P);  /* next day's peak */
    /* Any minute: the formula at the minute's start. */
    bs_time t = 3 * DAY + 17 * HOUR + 13 * MIN + 41 * SEC;
    bs_time start = 3 * DAY + 17 * HOUR + 13 * MIN;
    double want = (double)GIB_P + 4.0 * (double)GIB_P * cosine_shape(start, 14 * HOUR, DAY);
    assert_int_equal(at(g, t, &nx), (bs_pages)floor(want));
    assert_true(nx == start + MIN);
    wl_gen_free(g);
    fx_free(&f);
}

static void test_diurnal_period_and_peak_at(void **state)
{
    (void)state;
    fx f;
    fx_ok(&f, "type: diurnal\nbase: 2GiB\npeak: 4GiB\nperiod: 2h\npeak_at: 30m\n");
    wl_gen *g = gen(f.spec, "vm", 1);
    assert_int_equal(at(g, 0, NULL), (bs_pages)floor(2.0 * GIB_P + 2.0 * GIB_P *
                                                     cosine_shape(0, 30 * MIN, 2 * HOUR)));
    assert_int_equal(at(g, 30 * MIN, NULL), 4 * GIB_P);
    assert_int_equal(at(g, 90 * MIN, NULL), 2 * GIB_P);
    assert_int_equal(at(g, 150 * MIN, NULL), 4 * GIB_P);
    wl_gen_free(g);
    fx_free(&f);
}

static void test_diurnal_hourly_interpolates(void **state)
{
    (void)state;
    char yaml[512];
    int w = snprintf(yaml, sizeof yaml, "type: diurnal\nbase: 1GiB\npeak: 5GiB\nhourly: [");
    for (int h = 0; h < 24; h++) w += snprintf(yaml + w, sizeof yaml - (size_t)w, "%s%.2f", h ? ", " : "", h * 0.04);
    snprintf(yaml + w, sizeof yaml - (size_t)w, "]\n");
    fx f;
    fx_ok(&f, yaml);
    wl_gen *g = gen(f.spec, "vm", 1);
    double span = 4.0 * GIB_P;
    assert_int_equal(at(g, 0, NULL), GIB_P);                                  /* hourly[0] = 0 */
    assert_int_equal(at(g, 10 * HOUR, NULL), (bs_pages)floor(GIB_P + span * 0.40));
    assert_int_equal(at(g, 10 * HOUR + 30 * MIN, NULL), (bs_pages)floor(GIB_P + span * 0.42));
    assert_int_equal(at(g, 23 * HOUR + 30 * MIN, NULL), (bs_pages)floor(GIB_P + span * 0.46));
    assert_int_equal(at(g, DAY + 10 * HOUR, NULL), (bs_pages)floor(GIB_P + span * 0.40));
    wl_gen_free(g);
    fx_free(&f);
}

static void test_diurnal_noise_statistics_and_catch_up(void **state)
{
    (void)state;
    fx f;
    fx_ok(&f, "type: diurnal\nbase: 1GiB\npeak: 1GiB\nnoise: 20%\n");
    wl_gen *g = gen(f.spec, "vm", 9);
    const int n = 20000;
    double sum = 0, sq = 0;
    bool varies = false;
    bs_pages v10h = 0;
    for (int k = 0; k < n; k++) {
        bs_pages v = at(g, (bs_time)k * MIN, NULL);
        assert_true(v >= 0);
        if (v != GIB_P) varies = true;
        if ((bs_time)k * MIN == 10 * HOUR) v10h = v;
        sum += (double)v;
        sq += (double)v * (double)v;
    }
    double mean = sum / n, sd = sqrt(sq / n - mean * mean);
    assert_true(varies);
    assert_true(fabs(mean / GIB_P - 1.0) < 0.01);   /* E[1 + 0.2 N] = 1 */
    assert_true(fabs(sd / GIB_P - 0.2) < 0.01);     /* sd of 0.2 N */
    wl_gen_free(g);
    /* A VM first asked at 10h sees what the VM followed from 0 saw. */
    g = gen(f.spec, "vm", 9);
    assert_int_equal(at(g, 10 * HOUR + 20 * SEC, NULL), v10h);
    wl_gen_free(g);
    fx_free(&f);
}

static void test_diurnal_errors(void **state)
{
    (void)state;
    expect_error("type: diurnal\nbase: 4GiB\npeak: 2GiB\n",
                 "w.yaml:3:7: workload.peak: expected a size not below base (4GiB), found '2GiB'",
                 NULL);
    expect_error("type: diurnal\nbase: 1GiB\npeak: 2GiB\nhourly: [0.5, 0.5]\n",
                 "workload.hourly: expected 24 hourly factors, found 2", NULL);
    expect_error("type: diurnal\nbase: 1GiB\npeak: 2GiB\nhourly: [0,0,0,0,0,0,0,0,0,0,0,0,"
                 "0,0,0,0,0,0,0,1.5,0,0,0,0]\n",
                 "workload.hourly[19]: expected a number from 0 to 1, found '1.5'", NULL);
    expect_error("type: diurnal\nbase: 1GiB\npeak: 2GiB\nperiod: 0s\n",
                 "workload.period: expected a time above 0, found '0s'", NULL);
    expect_error("type: diurnal\nbase: 1GiB\npeak: 2GiB\nnoise: -0.1\n", "workload.noise", NULL);
    expect_error("type: diurnal\npeak: 2GiB\n", "workload: missing required key 'base'", NULL);
}

/* ---- onoff ---- */

static void test_onoff_fraction_high(void **state)
{
    (void)state;
    fx f;
    fx_ok(&f, "type: onoff\nlow: 1GiB\nhigh: 3GiB\nhigh_for: {dist: exponential, mean: 10m}\n"
              "low_for: {dist: exponential, mean: 30m}\n");
    wl_gen *g = gen(f.spec, "batch", 3);
    const bs_time horizon = 200 * DAY;
    bs_time t = 0, high = 0, nx;
    bs_pages prev = -1;
    size_t changes = 0;
    assert_int_equal(at(g, 0, NULL), GIB_P); /* starts low */
    while (t < horizon) {
        bs_pages v = at(g, t, &nx);
        assert_true(v == GIB_P || v == 3 * GIB_P);
        if (v != prev) changes++;
        prev = v;
        bs_time end = BS_MIN(nx, horizon);
        if (v == 3 * GIB_P) high += end - t;
        t = end;
    }
    double frac = (double)high / (double)horizon;
    assert_true(fabs(frac - 10.0 / 40.0) < 0.02);
    /* about 2 * horizon / 40m changes */
    double expect_changes = 2.0 * (double)horizon / (double)(40 * MIN);
    assert_true(fabs((double)changes / expect_changes - 1.0) < 0.05);
    wl_gen_free(g);
    fx_free(&f);
}

static void test_onoff_constant_phases(void **state)
{
    (void)state;
    fx f;
    fx_ok(&f, "type: onoff\nlow: 1GiB\nhigh: 2GiB\nhigh_for: 10m\nlow_for: 20m\n");
    wl_gen *g = gen(f.spec, "vm", 1);
    bs_time nx;
    assert_int_equal(at(g, 0, &nx), GIB_P);
    assert_true(nx == 20 * MIN);
    assert_int_equal(at(g, 20 * MIN, &nx), 2 * GIB_P);
    assert_true(nx == 30 * MIN);
    assert_int_equal(at(g, 30 * MIN, &nx), GIB_P);
    assert_int_equal(at(g, 5 * HOUR + 25 * MIN, &nx), 2 * GIB_P); /* 10 cycles of 30m + 25m */
    assert_true(nx == 5 * HOUR + 30 * MIN);
    wl_gen_free(g);
    fx_free(&f);
}

static void test_onoff_errors(void **state)
{
    (void)state;
    expect_error("type: onoff\nlow: 1GiB\nhigh: 2GiB\nhigh_for: 0s\nlow_for: 1m\n",
                 "workload.high_for: expected a duration above 0, found '0s'", NULL);
    expect_error("type: onoff\nlow: 1GiB\nhigh: 2GiB\nhigh_for: 1m\n",
                 "workload: missing required key 'low_for'", NULL);
}

/* ---- spikes ---- */

static void test_spikes_mean_load(void **state)
{
    (void)state;
    fx f;
    /* 6 per hour, each 256 MiB for 10 minutes: on average 1 spike in flight. */
    fx_ok(&f, "type: spikes\nbase: 1GiB\nrate: 6/h\nsize: 256MiB\nlength: 10m\n");
    wl_gen *g = gen(f.spec, "vm", 5);
    const bs_time horizon = 200 * DAY;
    bs_time t = 0, nx;
    double area = 0; /* spike-count x ns */
    size_t arrivals = 0;
    bs_pages prev = GIB_P;
    int max_in_flight = 0;
    while (t < horizon) {
        bs_pages v = at(g, t, &nx);
        assert_true(v >= GIB_P);
        assert_int_equal((v - GIB_P) % (256 * MIB_P), 0); /* whole spikes add up */
        int k = (int)((v - GIB_P) / (256 * MIB_P));
        if (k > max_in_flight) max_in_flight = k;
        if (v > prev) arrivals += (size_t)((v - prev) / (256 * MIB_P));
        prev = v;
        bs_time end = BS_MIN(nx, horizon);
        area += (double)k * (double)(end - t);
        t = end;
    }
    assert_true(fabs(area / (double)horizon - 1.0) < 0.05);
    double expect = 6.0 * 24 * 200;
    assert_true(fabs((double)arrivals / expect - 1.0) < 0.05);
    assert_true(max_in_flight >= 3); /* overlaps happen and add */
    wl_gen_free(g);
    fx_free(&f);
}

static void test_spikes_rate_spellings(void **state)
{
    (void)state;
    static const char *const same[] = {"6/h", "1/10m", "0.1/m", "144/d", "1/600s", "6/1h"};
    bs_pages ref[300];
    size_t nref = 0;
    for (size_t i = 0; i < sizeof same / sizeof *same; i++) {
        char yaml[160];
        snprintf(yaml, sizeof yaml,
                 "type: spikes\nbase: 0\nrate: %s\nsize: {dist: exponential, mean: 100MiB}\n"
                 "length: {dist: exponential, mean: 5m}\n",
                 same[i]);
        fx f;
        fx_ok(&f, yaml);
        wl_gen *g = gen(f.spec, "vm", 11);
        bs_pages vals[300];
        size_t n = trajectory(g, 30 * DAY, vals, NULL, 300);
        assert_int_equal(n, 300);
        if (i == 0) {
            memcpy(ref, vals, sizeof vals);
            nref = n;
        } else {
            assert_memory_equal(ref, vals, nref * sizeof *vals);
        }
        wl_gen_free(g);
        fx_free(&f);
    }
}

static void test_spikes_zero_rate_and_errors(void **state)
{
    (void)state;
    fx f;
    fx_ok(&f, "type: spikes\nbase: 1GiB\nrate: 0/h\nsize: 1GiB\nlength: 1m\n");
    wl_gen *g = gen(f.spec, "vm", 1);
    bs_time nx;
    assert_int_equal(at(g, 5 * DAY, &nx), GIB_P);
    assert_true(nx == BS_TIME_NEVER);
    wl_gen_free(g);
    fx_free(&f);
    static const char *const bad[] = {"3", "3/", "/h", "x/h", "3/xyz", "-1/h", "3/h/2", "3/0s"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char yaml[128], want[128];
        snprintf(yaml, sizeof yaml, "type: spikes\nbase: 0\nrate: \"%s\"\nsize: 1GiB\nlength: 1m\n",
                 bad[i]);
        snprintf(want, sizeof want, "found '%s'", bad[i]);
        expect_error(yaml, "workload.rate: expected a count per time such as 3/h or 1/30m", want);
    }
}

/* ---- randomwalk ---- */

static void test_randomwalk_ou_statistics(void **state)
{
    (void)state;
    fx f;
    fx_ok(&f, "type: randomwalk\nmean: 4GiB\nsd: 512MiB\nreversion: 10m\n"); /* step 60s */
    wl_gen *g = gen(f.spec, "vm", 2);
    bs_time nx;
    assert_int_equal(at(g, 0, &nx), 4 * GIB_P); /* starts at the mean */
    assert_true(nx == MIN);
    const int n = 200000;
    double sum = 0, sq = 0, lag = 0, prev = 0;
    for (int k = 0; k < n; k++) {
        double x = (double)at(g, (bs_time)k * MIN + 7 * SEC, &nx);
        assert_true(nx == (bs_time)(k + 1) * MIN);
        sum += x;
        sq += x * x;
        if (k) lag += (x - 4.0 * GIB_P) * (prev - 4.0 * GIB_P);
        prev = x;
    }
    double mean = sum / n, var = sq / n - mean * mean;
    double sd = 512.0 * MIB_P;
    assert_true(fabs(mean / (4.0 * GIB_P) - 1.0) < 0.01);
    assert_true(fabs(var / (sd * sd) - 1.0) < 0.06);
    double rho = lag / (n - 1) / var;
    assert_true(fabs(rho - exp(-0.1)) < 0.02); /* e^(-step/reversion) */
    wl_gen_free(g);
    fx_free(&f);
}

static void test_randomwalk_clamped(void **state)
{
    (void)state;
    fx f;
    fx_ok(&f, "type: randomwalk\nmean: 4GiB\nsd: 1GiB\nreversion: 1h\nstep: 10s\n"
              "min: 3900MiB\nmax: 4200MiB\n");
    wl_gen *g = gen(f.spec, "vm", 2);
    bool hit_min = false, hit_max = false;
    for (int k = 0; k < 20000; k++) {
        bs_time nx;
        bs_pages v = at(g, (bs_time)k * 10 * SEC, &nx);
        assert_true(nx == (bs_time)(k + 1) * 10 * SEC);
        assert_true(v >= 3900 * MIB_P && v <= 4200 * MIB_P);
        hit_min |= v == 3900 * MIB_P;
        hit_max |= v == 4200 * MIB_P;
    }
    assert_true(hit_min && hit_max);
    wl_gen_free(g);
    fx_free(&f);
}

static void test_randomwalk_errors(void **state)
{
    (void)state;
    expect_error("type: randomwalk\nmean: 1GiB\nsd: 1GiB\nreversion: 0s\n",
                 "workload.reversion: expected a time above 0, found '0s'", NULL);
    expect_error("type: randomwalk\nmean: 1GiB\nsd: 1GiB\nreversion: 1h\nstep: 0\n",
                 "workload.step: expected a time above 0", NULL);
    expect_error("type: randomwalk\nmean: 1GiB\nsd: 1GiB\nreversion: 1h\nmin: 2GiB\nmax: 1GiB\n",
                 "workload.max: expected a size not below min (2GiB), found '1GiB'", NULL);
    expect_error("type: randomwalk\nmean: 1GiB\nreversion: 1h\n",
                 "workload: missing required key 'sd'", NULL);
}

/* ---- leak ---- */

static void test_leak_slope(void **state)
{
    (void)state;
    fx f;
    fx_ok(&f, "type: leak\nstart: 1GiB\nrate: 60MiB/h\n"); /* 1 MiB per minute */
    wl_gen *g = gen(f.spec, "vm", 1);
    bs_time nx;
    assert_int_equal(at(g, 0, &nx), GIB_P);
    assert_true(nx == MIN);
    assert_int_equal(at(g, 90 * SEC, &nx), GIB_P + MIB_P);
    assert_true(nx == 2 * MIN);
    assert_int_equal(at(g, HOUR, &nx), GIB_P + 60 * MIB_P);
    assert_int_equal(at(g, 10 * DAY + 30 * SEC, &nx), GIB_P + 10 * 24 * 60 * MIB_P);
    wl_gen_free(g);
    fx_free(&f);
}

static void test_leak_reset(void **state)
{
    (void)state;
    fx f;
    fx_ok(&f, "type: leak\nrate: 1MiB/m\nreset_every: 150s\n"); /* start 0 */
    wl_gen *g = gen(f.spec, "vm", 1);
    bs_time nx;
    assert_int_equal(at(g, 0, &nx), 0);
    assert_int_equal(at(g, 120 * SEC, &nx), 2 * MIB_P);
    assert_true(nx == 150 * SEC); /* the reset, not the next minute */
    assert_int_equal(at(g, 150 * SEC, &nx), 0);
    assert_true(nx == 210 * SEC);
    assert_int_equal(at(g, 210 * SEC, &nx), MIB_P);
    assert_true(nx == 270 * SEC);
    assert_int_equal(at(g, 300 * SEC + 61 * SEC, &nx), MIB_P); /* 2nd reset at 300s */
    wl_gen_free(g);
    fx_free(&f);
    expect_error("type: leak\nrate: 1MiB/m\nreset_every: 0s\n",
                 "workload.reset_every: expected a time above 0", NULL);
    expect_error("type: leak\nstart: 1GiB\n", "workload: missing required key 'rate'", NULL);
}

/* ---- sum ---- */

static void test_sum_adds_parts(void **state)
{
    (void)state;
    fx f;
    fx_ok(&f, "type: sum\nparts:\n  - {type: constant, size: 1GiB}\n"
              "  - {type: steps, steps: [{at: 1h, size: 2GiB}, {at: 3h, size: 0}]}\n"
              "  - {type: leak, rate: 1MiB/m}\n");
    wl_gen *g = gen(f.spec, "vm", 1);
    bs_time nx;
    assert_int_equal(at(g, 0, &nx), GIB_P);
    assert_true(nx == MIN); /* the leak's step comes first */
    assert_int_equal(at(g, HOUR, &nx), GIB_P + 2 * GIB_P + 60 * MIB_P);
    assert_int_equal(at(g, 3 * HOUR, &nx), GIB_P + 180 * MIB_P);
    wl_gen_free(g);
    fx_free(&f);
}

static void test_sum_next_is_min_over_parts(void **state)
{
    (void)state;
    fx f;
    fx_ok(&f, "type: sum\nparts:\n  - {type: steps, steps: [{at: 0s, size: 1GiB}, {at: 90m, size: 0}]}\n"
              "  - {type: steps, steps: [{at: 30m, size: 1GiB}, {at: 2h, size: 0}]}\n");
    wl_gen *g = gen(f.spec, "vm", 1);
    bs_time nx;
    assert_int_equal(at(g, 0, &nx), GIB_P);
    assert_true(nx == 30 * MIN);
    assert_int_equal(at(g, 30 * MIN, &nx), 2 * GIB_P);
    assert_true(nx == 90 * MIN);
    assert_int_equal(at(g, 90 * MIN, &nx), GIB_P);
    assert_true(nx == 2 * HOUR);
    assert_int_equal(at(g, 2 * HOUR, &nx), 0);
    assert_true(nx == BS_TIME_NEVER);
    wl_gen_free(g);
    fx_free(&f);
}

/* Identical parts draw from their own streams; adding a part leaves the
 * others' draws unchanged. */
static void test_sum_parts_independent(void **state)
{
    (void)state;
    const char *rw = "{type: randomwalk, mean: 2GiB, sd: 256MiB, reversion: 30m}";
    char two[256], three[320];
    snprintf(two, sizeof two, "type: sum\nparts: [%s, %s]\n", rw, rw);
    snprintf(three, sizeof three, "type: sum\nparts: [%s, %s, {type: constant, size: 1GiB}]\n",
             rw, rw);
    char one[160];
    snprintf(one, sizeof one, "type: sum\nparts: [%s]\n", rw);
    fx f1, f2, f3;
    fx_ok(&f1, one);
    fx_ok(&f2, two);
    fx_ok(&f3, three);
    wl_gen *g1 = gen(f1.spec, "vm", 4), *g2 = gen(f2.spec, "vm", 4), *g3 = gen(f3.spec, "vm", 4);
    bool parts_differ = false;
    for (int k = 1; k < 500; k++) {
        bs_time t = (bs_time)k * MIN;
        bs_pages a = at(g1, t, NULL), b = at(g2, t, NULL), c = at(g3, t, NULL);
        assert_int_equal(c, b + GIB_P);
        if (b != 2 * a) parts_differ = true; /* part 1 is not a copy of part 0 */
    }
    assert_true(parts_differ);
    wl_gen_free(g1);
    wl_gen_free(g2);
    wl_gen_free(g3);
    fx_free(&f1);
    fx_free(&f2);
    fx_free(&f3);
}

static void test_sum_errors(void **state)
{
    (void)state;
    expect_error("type: sum\nparts: []\n", "workload.parts: expected at least one workload", NULL);
    expect_error("type: sum\nparts: [{type: constant}]\n",
                 "workload.parts[0]: missing required key 'size'", NULL);
    expect_error("type: sum\nparts: [{type: constant, size: 1GiB, cache: 1GiB}]\n",
                 "workload.parts[0].cache: unknown key 'cache' (expected one of: type, size)", NULL);
    expect_error("type: sum\nparts: [{type: nope}]\n", "workload.parts[0].type: expected a "
                                                       "workload type",
                 NULL);
    expect_error("type: sum\nparts: [{type: sum, parts: [{type: leak}]}]\n",
                 "workload.parts[0].parts[0]: missing required key 'rate'", NULL);
}

/* ---- determinism: common random numbers ---- */

static const char *const stochastic[] = {
    "type: constant\nsize: {dist: lognormal, median: 1GiB, sigma: 0.5}\n",
    "type: diurnal\nbase: 1GiB\npeak: 3GiB\nnoise: 0.1\n",
    "type: onoff\nlow: 1GiB\nhigh: 2GiB\nhigh_for: {dist: exponential, mean: 5m}\n"
    "low_for: {dist: exponential, mean: 5m}\n",
    "type: spikes\nbase: 1GiB\nrate: 20/h\nsize: {dist: uniform, min: 1MiB, max: 1GiB}\n"
    "length: {dist: exponential, mean: 2m}\n",
    "type: randomwalk\nmean: 2GiB\nsd: 512MiB\nreversion: 10m\n",
    "type: sum\nparts: [{type: randomwalk, mean: 2GiB, sd: 512MiB, reversion: 10m}, "
    "{type: onoff, low: 0, high: 1GiB, high_for: {dist: exponential, mean: 5m}, "
    "low_for: {dist: exponential, mean: 5m}}]\n",
};

static void sample(wl_gen *g, bs_pages *out, size_t n)
{
    for (size_t k = 0; k < n; k++) out[k] = at(g, (bs_time)k * MIN, NULL);
}

static void test_determinism_and_independence(void **state)
{
    (void)state;
    enum { N = 400 };
    for (size_t i = 0; i < sizeof stochastic / sizeof *stochastic; i++) {
        fx f;
        fx_ok(&f, stochastic[i]);
        static bs_pages a[N], a2[N], b[N], c[N], d[N];
        wl_gen *ga = gen(f.spec, "web-1", 7);
        wl_gen *gb = gen(f.spec, "web-2", 7);   /* another VM, made in between */
        wl_gen *ga2 = gen(f.spec, "web-1", 7);
        wl_gen *gc = gen(f.spec, "web-1", 8);   /* another seed */
        wl_gen *gd = gen_p(f.spec, "web-1", 7, "cache"); /* another purpose */
        sample(gb, b, N); /* advancing another VM first changes nothing */
        sample(ga, a, N);
        sample(gc, c, N);
        sample(ga2, a2, N);
        sample(gd, d, N);
        assert_memory_equal(a, a2, sizeof a);
        if (memcmp(a, b, sizeof a) == 0) fail_msg("workload %zu: same values for two VM names", i);
        if (memcmp(a, c, sizeof a) == 0) fail_msg("workload %zu: same values for two seeds", i);
        if (memcmp(a, d, sizeof a) == 0) fail_msg("workload %zu: same values for two purposes", i);
        wl_gen_free(ga);
        wl_gen_free(gb);
        wl_gen_free(ga2);
        wl_gen_free(gc);
        wl_gen_free(gd);
        fx_free(&f);
    }
}

/* A VM that starts late (first call at t > 0) sees the same demand from then
 * on as one followed from 0, and repeated calls at one t agree. */
static void test_late_start_matches(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof stochastic / sizeof *stochastic; i++) {
        fx f;
        fx_ok(&f, stochastic[i]);
        wl_gen *early = gen(f.spec, "db", 3), *late = gen(f.spec, "db", 3);
        for (bs_time t = 0; t < 6 * HOUR; t += 7 * SEC) (void)at(early, t, NULL);
        for (bs_time t = 6 * HOUR; t < 9 * HOUR; t += 13 * SEC) {
            bs_time n1, n2, n3;
            bs_pages v1 = at(early, t, &n1), v2 = at(late, t, &n2), v3 = at(late, t, &n3);
            assert_int_equal(v1, v2);
            assert_int_equal(v2, v3);
            assert_true(n1 == n2 && n2 == n3);
        }
        wl_gen_free(early);
        wl_gen_free(late);
        fx_free(&f);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry_lists_every_type),
        cmocka_unit_test(test_registry_unknown_type_lists_names),
        cmocka_unit_test(test_registry_missing_type),
        cmocka_unit_test(test_registry_unknown_key_in_nested),
        cmocka_unit_test(test_registry_not_a_mapping),
        cmocka_unit_test(test_constant_rounds_down_to_pages),
        cmocka_unit_test(test_constant_distribution_drawn_once_per_vm),
        cmocka_unit_test(test_cache_scalar_is_constant),
        cmocka_unit_test(test_steps_held_and_zero_before_first),
        cmocka_unit_test(test_steps_errors),
        cmocka_unit_test(test_diurnal_peak_and_trough),
        cmocka_unit_test(test_diurnal_period_and_peak_at),
        cmocka_unit_test(test_diurnal_hourly_interpolates),
        cmocka_unit_test(test_diurnal_noise_statistics_and_catch_up),
        cmocka_unit_test(test_diurnal_errors),
        cmocka_unit_test(test_onoff_fraction_high),
        cmocka_unit_test(test_onoff_constant_phases),
        cmocka_unit_test(test_onoff_errors),
        cmocka_unit_test(test_spikes_mean_load),
        cmocka_unit_test(test_spikes_rate_spellings),
        cmocka_unit_test(test_spikes_zero_rate_and_errors),
        cmocka_unit_test(test_randomwalk_ou_statistics),
        cmocka_unit_test(test_randomwalk_clamped),
        cmocka_unit_test(test_randomwalk_errors),
        cmocka_unit_test(test_leak_slope),
        cmocka_unit_test(test_leak_reset),
        cmocka_unit_test(test_sum_adds_parts),
        cmocka_unit_test(test_sum_next_is_min_over_parts),
        cmocka_unit_test(test_sum_parts_independent),
        cmocka_unit_test(test_sum_errors),
        cmocka_unit_test(test_determinism_and_independence),
        cmocka_unit_test(test_late_start_matches),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
