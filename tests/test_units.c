/* test_units.c -- the value syntax of docs/scenarios.md: every unit, limits, bad text.
 * Expected values are computed here from the unit definitions (2^30, 10^9,
 * 3600 s, ...), never copied from the parser's output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "sim/base/units.h"

#define KiB 1024.0
#define MiB (1024.0 * KiB)
#define GiB (1024.0 * MiB)
#define TiB (1024.0 * GiB)
#define PiB (1024.0 * TiB)
#define SEC 1e9

static double size_ok(const char *text) {
    double v = -1;
    const char *why = NULL;
    if (unit_parse_size(text, &v, &why) != BS_OK) fail_msg("size '%s' rejected: %s", text, why);
    return v;
}

static const char *size_bad(const char *text) {
    double v = 12345;
    const char *why = NULL;
    if (unit_parse_size(text, &v, &why) == BS_OK) fail_msg("size '%s' accepted as %g", text, v);
    assert_non_null(why);
    assert_true(v == 12345); /* output untouched on error */
    return why;
}

static double time_ok(const char *text) {
    double v = -1;
    const char *why = NULL;
    if (unit_parse_time(text, &v, &why) != BS_OK) fail_msg("time '%s' rejected: %s", text, why);
    return v;
}

static const char *time_bad(const char *text) {
    double v;
    const char *why = NULL;
    if (unit_parse_time(text, &v, &why) == BS_OK) fail_msg("time '%s' accepted as %g", text, v);
    assert_non_null(why);
    return why;
}

static double rate_ok(const char *text) {
    double v = -1;
    const char *why = NULL;
    if (unit_parse_rate(text, &v, &why) != BS_OK) fail_msg("rate '%s' rejected: %s", text, why);
    return v;
}

static void rate_bad(const char *text) {
    double v;
    const char *why = NULL;
    if (unit_parse_rate(text, &v, &why) == BS_OK) fail_msg("rate '%s' accepted as %g", text, v);
    assert_non_null(why);
}

static void test_size_binary_units(void **state) {
    (void)state;
    assert_true(size_ok("4GiB") == 4 * GiB);
    assert_true(size_ok("512MiB") == 512 * MiB);
    assert_true(size_ok("64KiB") == 64 * KiB);
    assert_true(size_ok("2TiB") == 2 * TiB);
    assert_true(size_ok("1PiB") == PiB);
    /* QEMU -m style single letters are binary too. */
    assert_true(size_ok("4G") == 4 * GiB);
    assert_true(size_ok("512M") == 512 * MiB);
    assert_true(size_ok("64K") == 64 * KiB);
    assert_true(size_ok("2T") == 2 * TiB);
}

static void test_size_decimal_units(void **state) {
    (void)state;
    assert_true(size_ok("4GB") == 4e9);
    assert_true(size_ok("512MB") == 512e6);
    assert_true(size_ok("64KB") == 64e3);
    assert_true(size_ok("2TB") == 2e12);
    assert_true(size_ok("0.3GB") == 3e8); /* no 299999999.99 from binary fractions */
}

static void test_size_bytes_and_fractions(void **state) {
    (void)state;
    assert_true(size_ok("100") == 100);
    assert_true(size_ok("100B") == 100);
    assert_true(size_ok("0") == 0);
    assert_true(size_ok("1.5GiB") == 1.5 * GiB);
    assert_true(size_ok("0.5KiB") == 512);
    assert_true(size_ok("+2MiB") == 2 * MiB);
    assert_true(size_ok("1e3") == 1000); /* a whole number written with an exponent */
}

static void test_size_case_and_space(void **state) {
    (void)state;
    assert_true(size_ok("4gib") == 4 * GiB);
    assert_true(size_ok("4GIB") == 4 * GiB);
    assert_true(size_ok("4Gb") == 4e9); /* bytes, not bits: GB in any case */
    assert_true(size_ok("4 GB") == 4e9);
    assert_true(size_ok("4 GiB") == 4 * GiB);
}

static void test_size_bad(void **state) {
    (void)state;
    assert_non_null(strstr(size_bad("-1GiB"), "not negative"));
    assert_non_null(strstr(size_bad("-1"), "not negative"));
    assert_non_null(strstr(size_bad("1.5"), "whole number of bytes"));
    assert_non_null(strstr(size_bad("1.5B"), "whole number of bytes"));
    size_bad("");
    size_bad("GiB");
    size_bad("4XB");
    size_bad("4 ");
    size_bad("4  GiB");
    size_bad(" 4GiB");
    size_bad("4GiB ");
    size_bad("0x10");
    size_bad("inf");
    size_bad("nan");
    size_bad("4GiB4");
    size_bad("1,5GiB");
}

static void test_size_limit(void **state) {
    (void)state;
    /* 2^62 bytes = 4096 PiB is the largest size. */
    assert_true(size_ok("4096PiB") == ldexp(1.0, 62));
    assert_non_null(strstr(size_bad("4097PiB"), "at most"));
    size_bad("1e30");
}

static void test_time_units(void **state) {
    (void)state;
    assert_true(time_ok("10ns") == 10);
    assert_true(time_ok("100us") == 100e3);
    assert_true(time_ok("250ms") == 250e6);
    assert_true(time_ok("30s") == 30 * SEC);
    assert_true(time_ok("5m") == 300 * SEC);
    assert_true(time_ok("5min") == 300 * SEC);
    assert_true(time_ok("2h") == 7200 * SEC);
    assert_true(time_ok("1d") == 86400 * SEC);
    assert_true(time_ok("2H") == 7200 * SEC);
    assert_true(time_ok("30 s") == 30 * SEC);
}

static void test_time_bare_and_compound(void **state) {
    (void)state;
    assert_true(time_ok("90") == 90 * SEC);
    assert_true(time_ok("0") == 0);
    assert_true(time_ok("0.5") == 0.5 * SEC);
    assert_true(time_ok("1.5h") == 5400 * SEC);
    assert_true(time_ok("1h30m") == 5400 * SEC);
    assert_true(time_ok("1h 30m") == 5400 * SEC);
    assert_true(time_ok("1d2h3m4s5ms") == (86400 + 7200 + 180 + 4) * SEC + 5e6);
    assert_true(time_ok("0.1s") == 1e8);
}

static void test_time_bad(void **state) {
    (void)state;
    assert_non_null(strstr(time_bad("-1s"), "not negative"));
    time_bad("");
    time_bad("s");
    time_bad("1x");
    time_bad("1h30");   /* a bare number is seconds only on its own */
    time_bad("30m1h");  /* compound parts go from large to small */
    time_bad("1m1m");
    time_bad("1h-30m");
    time_bad("1h ");
    time_bad("nan");
    time_bad("1e999s");
}

static void test_time_limit(void **state) {
    (void)state;
    assert_true(time_ok("36500d") == 36500.0 * 86400 * SEC);
    assert_non_null(strstr(time_bad("36501d"), "36500d"));
    time_bad("876001h");
}

static void test_rate(void **state) {
    (void)state;
    assert_true(rate_ok("256MiB/s") == 256 * MiB);
    assert_true(rate_ok("60MiB/m") == MiB);
    assert_true(rate_ok("60MiB/min") == MiB);
    assert_true(rate_ok("3600KiB/h") == KiB);
    assert_true(rate_ok("10MiB/30m") == 10 * MiB / 1800);
    assert_true(rate_ok("3/h") == 3.0 / 3600); /* counts per time reuse the rate syntax */
    assert_true(rate_ok("0.5/s") == 0.5);
    assert_true(rate_ok("0MiB/s") == 0); /* the getter, not the parser, demands > 0 */
    rate_bad("256MiB");
    rate_bad("-1MiB/s");
    rate_bad("1MiB/0s");
    rate_bad("/s");
    rate_bad("1MiB/");
    rate_bad("1MiB/x");
    rate_bad("1XiB/s");
}

static void test_fraction_and_number(void **state) {
    (void)state;
    double v;
    const char *why;
    assert_int_equal(unit_parse_fraction("0.2", &v, &why), BS_OK);
    assert_true(v == 0.2);
    assert_int_equal(unit_parse_fraction("20%", &v, &why), BS_OK);
    assert_true(v == 0.2);
    assert_int_equal(unit_parse_fraction("20 %", &v, &why), BS_OK);
    assert_true(v == 0.2);
    assert_int_equal(unit_parse_fraction("150%", &v, &why), BS_OK); /* range is the getter's business */
    assert_true(v == 1.5);
    assert_int_equal(unit_parse_fraction("20%%", &v, &why), BS_ERR_INPUT);
    assert_int_equal(unit_parse_fraction("%", &v, &why), BS_ERR_INPUT);
    assert_int_equal(unit_parse_fraction("abc", &v, &why), BS_ERR_INPUT);
    assert_string_equal(why, "a fraction such as 0.2 or 20%");

    assert_int_equal(unit_parse_number("2.0", &v, &why), BS_OK);
    assert_true(v == 2.0);
    assert_int_equal(unit_parse_number("-3", &v, &why), BS_OK);
    assert_true(v == -3);
    assert_int_equal(unit_parse_number("1e3", &v, &why), BS_OK);
    assert_true(v == 1000);
    assert_int_equal(unit_parse_number("nan", &v, &why), BS_ERR_INPUT);
    assert_int_equal(unit_parse_number("inf", &v, &why), BS_ERR_INPUT);
    assert_int_equal(unit_parse_number("1e999", &v, &why), BS_ERR_INPUT);
    assert_int_equal(unit_parse_number("2x", &v, &why), BS_ERR_INPUT);
    assert_int_equal(unit_parse_number("", &v, &why), BS_ERR_INPUT);
}

static void test_dispatch_and_count(void **state) {
    (void)state;
    double v;
    const char *why;
    assert_int_equal(unit_parse(UNIT_SIZE, "1KiB", &v, &why), BS_OK);
    assert_true(v == 1024);
    assert_int_equal(unit_parse(UNIT_TIME, "1m", &v, &why), BS_OK);
    assert_true(v == 60 * SEC); /* "m" is minutes for a time ... */
    assert_int_equal(unit_parse(UNIT_SIZE, "1m", &v, &why), BS_OK);
    assert_true(v == MiB); /* ... and MiB for a size */
    assert_int_equal(unit_parse(UNIT_COUNT, "3", &v, &why), BS_OK);
    assert_true(v == 3);
    assert_int_equal(unit_parse(UNIT_COUNT, "3.5", &v, &why), BS_ERR_INPUT);
    assert_string_equal(why, unit_kind_name(UNIT_COUNT));
    assert_string_equal(unit_kind_name(UNIT_SIZE), "a size such as 4GiB");
    assert_string_equal(unit_kind_name(UNIT_TIME), "a time such as 30s");
}

static void test_format_size(void **state) {
    (void)state;
    char buf[64];
    unit_format_size(buf, sizeof buf, 4 * GiB);
    assert_string_equal(buf, "4GiB");
    unit_format_size(buf, sizeof buf, 1.5 * GiB);
    assert_string_equal(buf, "1.5GiB");
    unit_format_size(buf, sizeof buf, 512);
    assert_string_equal(buf, "512B");
    unit_format_size(buf, sizeof buf, 0);
    assert_string_equal(buf, "0B");
    unit_format_size(buf, sizeof buf, 1e9);
    assert_true(size_ok(buf) == 1e9); /* not a round binary size: still exact */
    unit_format_size(buf, sizeof buf, 1e9 + 1);
    assert_true(size_ok(buf) == 1e9 + 1);
}

static void test_format_time(void **state) {
    (void)state;
    char buf[64];
    unit_format_time(buf, sizeof buf, 5400 * BS_NS_PER_S);
    assert_string_equal(buf, "1h30m");
    unit_format_time(buf, sizeof buf, 250000000);
    assert_string_equal(buf, "250ms");
    unit_format_time(buf, sizeof buf, 0);
    assert_string_equal(buf, "0s");
    unit_format_time(buf, sizeof buf, BS_TIME_NEVER);
    assert_string_equal(buf, "never");
    const bs_time samples[] = {1, 999, 1500000000LL, 86400LL * BS_NS_PER_S + 1, 3 * 3600LL * BS_NS_PER_S + 7};
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        unit_format_time(buf, sizeof buf, samples[i]);
        assert_true(time_ok(buf) == (double)samples[i]);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_size_binary_units),
        cmocka_unit_test(test_size_decimal_units),
        cmocka_unit_test(test_size_bytes_and_fractions),
        cmocka_unit_test(test_size_case_and_space),
        cmocka_unit_test(test_size_bad),
        cmocka_unit_test(test_size_limit),
        cmocka_unit_test(test_time_units),
        cmocka_unit_test(test_time_bare_and_compound),
        cmocka_unit_test(test_time_bad),
        cmocka_unit_test(test_time_limit),
        cmocka_unit_test(test_rate),
        cmocka_unit_test(test_fraction_and_number),
        cmocka_unit_test(test_dispatch_and_count),
        cmocka_unit_test(test_format_size),
        cmocka_unit_test(test_format_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
