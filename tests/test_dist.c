/* test_dist.c -- distribution values: parsing with the field's unit, the
 * sample mean of each kind against its textbook mean (computed here, not by
 * dist_mean), clamping, determinism of the seeded streams, and errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/base/dist.h"
#include "sim/base/rng.h"

#define GiB (1024.0 * 1024.0 * 1024.0)
#define MiB (1024.0 * 1024.0)
#define N_DRAWS 200000

typedef struct fx {
    cfg_doc *doc;
    cfg_errs errs;
    cfg_ctx cx;
} fx;

static int setup(void **state) {
    fx *f = calloc(1, sizeof *f);
    if (!f || cfg_doc_new(&f->doc) != BS_OK) return -1;
    f->cx.errs = &f->errs;
    f->cx.doc = f->doc;
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fx *f = *state;
    cfg_errs_free(&f->errs);
    cfg_doc_free(f->doc);
    free(f);
    return 0;
}

/* Parse `v: TEXT` and read v as a distribution of the given unit. */
static bs_rc parse_dist(fx *f, const char *text, unit_kind unit, dist *d) {
    char buf[512];
    cfg_node *root;
    snprintf(buf, sizeof buf, "v: %s\n", text);
    assert_int_equal(cfg_parse_string(f->doc, "d.yaml", buf, &f->errs, &root), BS_OK);
    return dist_get(&f->cx, root, "", "v", true, 0, unit, d);
}

static void parse_ok(fx *f, const char *text, unit_kind unit, dist *d) {
    bs_rc rc = parse_dist(f, text, unit, d);
    if (rc != BS_OK) cfg_errs_print(&f->errs, stderr);
    assert_int_equal(rc, BS_OK);
    assert_int_equal(f->errs.n, 0);
}

static double sample_mean(const dist *d, const char *name) {
    gsl_rng *r = rng_stream_new(1, name, "test");
    double sum = 0;
    for (int i = 0; i < N_DRAWS; i++) {
        double x = dist_draw(d, r);
        assert_true(x >= 0);
        sum += x;
    }
    gsl_rng_free(r);
    return sum / N_DRAWS;
}

static void assert_close(double got, double want, double rel) {
    if (fabs(got - want) > rel * fabs(want)) fail_msg("got %.6g, want %.6g (+-%.2g%%)", got, want, rel * 100);
}

static void test_constant_scalar_and_mapping(void **state) {
    fx *f = *state;
    dist d;
    parse_ok(f, "30m", UNIT_TIME, &d);
    assert_int_equal(d.kind, DIST_CONSTANT);
    assert_true(d.a == 1800e9);
    gsl_rng *r = rng_stream_new(1, "x", "y");
    assert_true(dist_draw(&d, r) == 1800e9);
    dist_free(&d);
    parse_ok(f, "{dist: constant, value: 5m}", UNIT_TIME, &d);
    assert_true(dist_draw(&d, r) == 300e9);
    assert_true(dist_mean(&d) == 300e9);
    dist_free(&d);
    gsl_rng_free(r);
}

static void test_exponential_mean(void **state) {
    fx *f = *state;
    dist d;
    parse_ok(f, "{dist: exponential, mean: 30m}", UNIT_TIME, &d);
    assert_int_equal(d.kind, DIST_EXPONENTIAL);
    assert_close(sample_mean(&d, "exp"), 1800e9, 0.01);
    assert_true(dist_mean(&d) == 1800e9);
    dist_free(&d);
}

static void test_lognormal_mean(void **state) {
    fx *f = *state;
    dist d;
    parse_ok(f, "{dist: lognormal, median: 1GiB, sigma: 0.5}", UNIT_SIZE, &d);
    double want = GiB * exp(0.5 * 0.5 / 2); /* E = median * e^(sigma^2/2) */
    assert_close(sample_mean(&d, "logn"), want, 0.01);
    assert_close(dist_mean(&d), want, 1e-12);
    /* sigma 0 is the median itself. */
    dist z;
    parse_ok(f, "{dist: lognormal, median: 1GiB, sigma: 0}", UNIT_SIZE, &z);
    assert_close(sample_mean(&z, "logn0"), GiB, 1e-12);
    dist_free(&d);
    dist_free(&z);
}

static void test_pareto_mean(void **state) {
    fx *f = *state;
    dist d;
    parse_ok(f, "{dist: pareto, scale: 1GiB, shape: 3}", UNIT_SIZE, &d);
    double want = 3.0 * GiB / (3.0 - 1.0); /* shape*scale/(shape-1) */
    assert_close(sample_mean(&d, "par"), want, 0.02);
    assert_close(dist_mean(&d), want, 1e-12);
    /* No draw below the scale: GSL's (a = shape, b = scale) order is right. */
    gsl_rng *r = rng_stream_new(3, "par", "min");
    for (int i = 0; i < 10000; i++) assert_true(dist_draw(&d, r) >= GiB);
    gsl_rng_free(r);
    dist_free(&d);
    dist h;
    parse_ok(f, "{dist: pareto, scale: 1GiB, shape: 1}", UNIT_SIZE, &h);
    assert_true(isinf(dist_mean(&h))); /* shape <= 1: no finite mean */
    dist_free(&h);
}

static void test_uniform_mean(void **state) {
    fx *f = *state;
    dist d;
    parse_ok(f, "{dist: uniform, min: 1GiB, max: 2GiB}", UNIT_SIZE, &d);
    assert_close(sample_mean(&d, "uni"), 1.5 * GiB, 0.005);
    gsl_rng *r = rng_stream_new(3, "uni", "range");
    for (int i = 0; i < 10000; i++) {
        double x = dist_draw(&d, r);
        assert_true(x >= GiB && x <= 2 * GiB);
    }
    gsl_rng_free(r);
    dist_free(&d);
    parse_ok(f, "{dist: uniform, min: 1GiB, max: 1GiB}", UNIT_SIZE, &d); /* min == max is allowed */
    assert_close(sample_mean(&d, "uni1"), GiB, 1e-12);
    dist_free(&d);
}

static void test_normal_mean_with_clamp(void **state) {
    fx *f = *state;
    dist d;
    parse_ok(f, "{dist: normal, mean: 1GiB, sd: 100MiB}", UNIT_SIZE, &d);
    assert_close(sample_mean(&d, "norm"), GiB, 0.005);
    dist_free(&d);
    /* sd = mean: a sixth of the draws fall below 0 and are clamped, so the
     * mean is that of max(0, X): mu*Phi(1) + sd*phi(1). */
    parse_ok(f, "{dist: normal, mean: 1GiB, sd: 1GiB}", UNIT_SIZE, &d);
    double Phi1 = 0.5 * (1 + erf(1 / sqrt(2.0))), phi1 = exp(-0.5) / sqrt(2 * M_PI);
    double want = GiB * Phi1 + GiB * phi1;
    assert_close(sample_mean(&d, "normc"), want, 0.01);
    assert_close(dist_mean(&d), want, 1e-9);
    dist_free(&d);
    parse_ok(f, "{dist: normal, mean: -5, sd: 1}", UNIT_NUMBER, &d);
    assert_true(sample_mean(&d, "neg") < 1e-3); /* almost always clamped to 0 */
    dist_free(&d);
}

static void test_choice(void **state) {
    fx *f = *state;
    dist d;
    parse_ok(f, "{dist: choice, values: [4GiB, 2GiB], weights: [3, 1]}", UNIT_SIZE, &d);
    assert_int_equal(d.n, 2);
    gsl_rng *r = rng_stream_new(9, "choice", "x");
    int n4 = 0;
    for (int i = 0; i < N_DRAWS; i++) {
        double x = dist_draw(&d, r);
        assert_true(x == 4 * GiB || x == 2 * GiB);
        n4 += x == 4 * GiB;
    }
    gsl_rng_free(r);
    assert_close((double)n4 / N_DRAWS, 0.75, 0.01);
    assert_close(dist_mean(&d), (3 * 4 * GiB + 2 * GiB) / 4, 1e-12);
    dist_free(&d);
    /* Weights default to equal. */
    parse_ok(f, "{dist: choice, values: [1s, 3s]}", UNIT_TIME, &d);
    assert_close(sample_mean(&d, "ch2"), 2e9, 0.01);
    dist_free(&d);
    /* A zero weight is never drawn. */
    parse_ok(f, "{dist: choice, values: [1, 2, 3], weights: [0, 1, 0]}", UNIT_NUMBER, &d);
    assert_close(sample_mean(&d, "ch3"), 2, 1e-12);
    dist_free(&d);
}

static void test_determinism_by_seed(void **state) {
    fx *f = *state;
    dist d;
    parse_ok(f, "{dist: lognormal, median: 1GiB, sigma: 1}", UNIT_SIZE, &d);
    gsl_rng *a = rng_stream_new(42, "web-1", "memory");
    gsl_rng *b = rng_stream_new(42, "web-1", "memory");
    gsl_rng *c = rng_stream_new(43, "web-1", "memory");
    gsl_rng *e = rng_stream_new(42, "web-2", "memory");
    int same_c = 0, same_e = 0;
    for (int i = 0; i < 100; i++) {
        double x = dist_draw(&d, a), y = dist_draw(&d, b), z = dist_draw(&d, c), w = dist_draw(&d, e);
        assert_true(x == y);
        same_c += x == z;
        same_e += x == w;
    }
    assert_true(same_c < 5);
    assert_true(same_e < 5);
    gsl_rng_free(a), gsl_rng_free(b), gsl_rng_free(c), gsl_rng_free(e);
    dist_free(&d);
}

static void test_clamped_to_unit_limit(void **state) {
    fx *f = *state;
    dist d;
    /* A tail this heavy overflows any size: draws stop at 2^62 bytes. */
    parse_ok(f, "{dist: pareto, scale: 1TiB, shape: 0.01}", UNIT_SIZE, &d);
    gsl_rng *r = rng_stream_new(1, "tail", "x");
    double mx = 0;
    for (int i = 0; i < 10000; i++) mx = fmax(mx, dist_draw(&d, r));
    gsl_rng_free(r);
    assert_true(mx == ldexp(1.0, 62));
    dist_free(&d);
}

static void test_default_when_absent(void **state) {
    fx *f = *state;
    cfg_node *root;
    assert_int_equal(cfg_parse_string(f->doc, "d.yaml", "x: 1\n", &f->errs, &root), BS_OK);
    dist d;
    assert_int_equal(dist_get(&f->cx, root, "", "v", false, 7.5, UNIT_NUMBER, &d), BS_OK);
    assert_int_equal(d.kind, DIST_CONSTANT);
    assert_true(d.a == 7.5);
    assert_int_equal(dist_get(&f->cx, root, "", "v", true, 7.5, UNIT_NUMBER, &d), BS_ERR_INPUT);
    assert_string_equal(f->errs.msgs[0], "d.yaml:1:1: (top level): missing required key 'v'");
}

/* Parse must fail with exactly one error containing `needle`. */
static void bad(fx *f, const char *text, unit_kind unit, const char *needle) {
    dist d;
    cfg_errs_free(&f->errs);
    assert_int_equal(parse_dist(f, text, unit, &d), BS_ERR_INPUT);
    assert_null(d.values);
    assert_null(d.table);
    bool found = false;
    for (size_t i = 0; i < f->errs.n; i++) found |= strstr(f->errs.msgs[i], needle) != NULL;
    if (!found) {
        cfg_errs_print(&f->errs, stderr);
        fail_msg("no error containing: %s", needle);
    }
}

static void test_errors(void **state) {
    fx *f = *state;
    bad(f, "{mean: 1s}", UNIT_TIME, "d.yaml:1:4: v: missing required key 'dist'");
    bad(f, "{dist: gamma, mean: 1s}", UNIT_TIME,
        "v.dist: expected one of constant, choice, exponential, lognormal, pareto, uniform, normal, found 'gamma'");
    bad(f, "{dist: exponential, mean: 1s, median: 2s}", UNIT_TIME,
        "v.median: unknown key 'median' (expected one of: dist, mean)");
    bad(f, "{dist: exponential, mean: 0s}", UNIT_TIME, "v.mean: expected a mean above 0, found '0s'");
    bad(f, "{dist: exponential, mean: 1GiB}", UNIT_TIME, "v.mean: expected a time such as 30s, found '1GiB'");
    bad(f, "{dist: exponential}", UNIT_TIME, "v: missing required key 'mean'");
    bad(f, "{dist: lognormal, median: 1GiB, sigma: -1}", UNIT_SIZE, "v.sigma: expected a sigma >= 0");
    bad(f, "{dist: lognormal, median: 0, sigma: 1}", UNIT_SIZE, "v.median: expected a median above 0");
    bad(f, "{dist: pareto, scale: 1GiB, shape: 0}", UNIT_SIZE, "v.shape: expected a shape above 0");
    bad(f, "{dist: uniform, min: 2GiB, max: 1GiB}", UNIT_SIZE, "v.max: expected a max >= min, found '1GiB'");
    bad(f, "{dist: normal, mean: 1GiB, sd: -1GiB}", UNIT_SIZE, "v.sd: expected a size that is not negative");
    bad(f, "{dist: normal, mean: 1, sd: -1}", UNIT_NUMBER, "v.sd: expected an sd >= 0");
    bad(f, "{dist: choice, values: []}", UNIT_SIZE, "v.values: expected a non-empty sequence of values");
    bad(f, "{dist: choice, values: [1GiB, 2GiB], weights: [1]}", UNIT_SIZE,
        "v.weights: expected a sequence of 2 weights (one per value), found a sequence");
    bad(f, "{dist: choice, values: [1GiB, 2GiB], weights: [0, 0]}", UNIT_SIZE,
        "v.weights: expected weights that are not all 0");
    bad(f, "{dist: choice, values: [1GiB, 2GiB], weights: [1, -1]}", UNIT_SIZE,
        "v.weights[1]: expected a weight >= 0, found '-1'");
    bad(f, "{dist: choice, values: [1GiB, x]}", UNIT_SIZE, "v.values[1]: expected a size such as 4GiB, found 'x'");
    bad(f, "[1, 2]", UNIT_SIZE, "v: expected a size such as 4GiB or a distribution");
    bad(f, "", UNIT_SIZE, "v: expected a size such as 4GiB, found nothing");
}

static void test_rng_seed_mix(void **state) {
    (void)state;
    /* Keyed by (seed, name, purpose); each part matters, and the mix is a
     * pure function. */
    uint64_t s = rng_stream_seed(1, "web-1", "demand");
    assert_true(s == rng_stream_seed(1, "web-1", "demand"));
    assert_true(s != rng_stream_seed(2, "web-1", "demand"));
    assert_true(s != rng_stream_seed(1, "web-2", "demand"));
    assert_true(s != rng_stream_seed(1, "web-1", "cache"));
    /* Swapping name and purpose is a different stream. */
    assert_true(rng_stream_seed(1, "a", "b") != rng_stream_seed(1, "b", "a"));
    /* The generator is xoshiro256**. */
    gsl_rng *r = rng_stream_new(1, "web-1", "demand");
    assert_string_equal(gsl_rng_name(r), "xoshiro256**");
    gsl_rng_free(r);
}

/* xoshiro256** from state {1, 2, 3, 4}: the reference implementation's first
 * outputs are 11520, 0, 1509978240, 1215971899390074240, ...; GSL's integer
 * interface returns their top 32 bits. */
static void test_rng_matches_reference_xoshiro(void **state) {
    (void)state;
    gsl_rng *r = gsl_rng_alloc(rng_type());
    uint64_t *s = gsl_rng_state(r);
    s[0] = 1, s[1] = 2, s[2] = 3, s[3] = 4;
    const uint64_t expect[] = {11520ULL, 0ULL, 1509978240ULL, 1215971899390074240ULL};
    for (int i = 0; i < 4; i++) assert_true(gsl_rng_get(r) == (unsigned long)(expect[i] >> 32));
    assert_true(gsl_rng_max(r) == 0xffffffffUL && gsl_rng_min(r) == 0);
    gsl_rng_free(r);
}

/* All 64 bits of the stream seed matter: seeds that differ only in their high
 * half give different streams (GSL's own small generators would not). */
static void test_rng_uses_the_whole_seed(void **state) {
    (void)state;
    gsl_rng *a = gsl_rng_alloc(rng_type()), *b = gsl_rng_alloc(rng_type());
    gsl_rng_set(a, 0x0000000100000007UL);
    gsl_rng_set(b, 0x0000000200000007UL);
    int same = 0;
    for (int i = 0; i < 100; i++) same += gsl_rng_get(a) == gsl_rng_get(b);
    assert_true(same < 5);
    /* and the doubles are uniform on [0, 1) */
    double sum = 0;
    for (int i = 0; i < 100000; i++) {
        double u = gsl_rng_uniform(a);
        assert_true(u >= 0 && u < 1);
        sum += u;
    }
    assert_true(fabs(sum / 100000 - 0.5) < 0.005);
    gsl_rng_free(a);
    gsl_rng_free(b);
}

int main(void) {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_constant_scalar_and_mapping),
        T(test_rng_matches_reference_xoshiro),
        T(test_rng_uses_the_whole_seed),
        T(test_exponential_mean),
        T(test_lognormal_mean),
        T(test_pareto_mean),
        T(test_uniform_mean),
        T(test_normal_mean_with_clamp),
        T(test_choice),
        T(test_determinism_by_seed),
        T(test_clamped_to_unit_limit),
        T(test_default_when_absent),
        T(test_errors),
        T(test_rng_seed_mix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
