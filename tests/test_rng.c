/* test_rng.c -- sim/base/rng: what rng.h promises for common random numbers.
 * A stream depends on (seed, name, purpose) only: the same key gives the same
 * draws, any other key a different and uncorrelated stream, and creating or
 * drawing from other streams in between changes nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "sim/base/rng.h"

#define N 4096

static void draw(uint64_t seed, const char *name, const char *purpose, unsigned long *out)
{
    gsl_rng *r = rng_stream_new(seed, name, purpose);
    assert_non_null(r);
    for (size_t i = 0; i < N; i++) out[i] = gsl_rng_get(r);
    gsl_rng_free(r);
}

static void same_key_same_stream(void **state)
{
    (void)state;
    static unsigned long a[N], b[N];
    draw(42, "vm-1", "demand", a);
    gsl_rng *other = rng_stream_new(42, "vm-2", "demand"); /* in between: no effect */
    assert_non_null(other);
    for (int i = 0; i < 100; i++) gsl_rng_get(other);
    draw(42, "vm-1", "demand", b);
    gsl_rng_free(other);
    assert_memory_equal(a, b, sizeof a);
    assert_true(rng_stream_seed(42, "vm-1", "demand") == rng_stream_seed(42, "vm-1", "demand"));
}

static size_t equal_draws(const unsigned long *a, const unsigned long *b)
{
    size_t n = 0;
    for (size_t i = 0; i < N; i++) n += a[i] == b[i];
    return n;
}

/* Pearson correlation of the draws as uniforms in [0, 1). */
static double correlation(const unsigned long *a, const unsigned long *b)
{
    double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
    for (size_t i = 0; i < N; i++) {
        double x = (double)a[i] / 18446744073709551616.0, y = (double)b[i] / 18446744073709551616.0;
        sa += x, sb += y, saa += x * x, sbb += y * y, sab += x * y;
    }
    double cov = sab / N - (sa / N) * (sb / N);
    return cov / sqrt((saa / N - (sa / N) * (sa / N)) * (sbb / N - (sb / N) * (sb / N)));
}

static void different_keys_independent_streams(void **state)
{
    (void)state;
    static unsigned long base[N], other[N];
    draw(42, "vm-1", "demand", base);
    const struct {
        uint64_t seed;
        const char *name, *purpose;
    } keys[] = {{43, "vm-1", "demand"}, {42, "vm-2", "demand"}, {42, "vm-1", "cache"},
                {42, "vm-1demand", ""}, {42, "", "vm-1demand"}};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        assert_true(rng_stream_seed(keys[k].seed, keys[k].name, keys[k].purpose) !=
                    rng_stream_seed(42, "vm-1", "demand"));
        draw(keys[k].seed, keys[k].name, keys[k].purpose, other);
        assert_true(equal_draws(base, other) == 0);
        /* |r| of two independent streams of 4096 uniforms: sd 1/64 */
        assert_true(fabs(correlation(base, other)) < 5.0 / 64);
    }
}

static void generator_is_full_range_and_uniform(void **state)
{
    (void)state;
    assert_non_null(rng_type());
    gsl_rng *r = rng_stream_new(7, "vm", "purpose");
    assert_non_null(r);
    assert_ptr_equal(r->type, rng_type());
    assert_true(gsl_rng_min(r) == 0);
    double sum = 0;
    for (size_t i = 0; i < N; i++) {
        double u = gsl_rng_uniform(r);
        assert_true(u >= 0 && u < 1);
        sum += u;
    }
    /* mean of N uniforms: sd sqrt(1/12/N) ~ 0.0045 */
    assert_true(fabs(sum / N - 0.5) < 0.025);
    gsl_rng_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_key_same_stream),
        cmocka_unit_test(different_keys_independent_streams),
        cmocka_unit_test(generator_is_full_range_and_uniform),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
