/* test_text.c -- sim/base/text: JSON escapes, CSV quoting, number round trip.
 * (Fixed-value number cases live in test_output.c, which predates text.c.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/base/text.h"

/* What fn writes for s, as a malloc'd string. */
static char *capture(void (*fn)(FILE *, const char *), const char *s) {
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    assert_non_null(m);
    fn(m, s);
    fclose(m);
    return buf;
}

static void expect_written(void (*fn)(FILE *, const char *), const char *in, const char *want) {
    char *got = capture(fn, in);
    assert_string_equal(got, want);
    free(got);
}

static void json_escapes(void **state) {
    (void)state;
    expect_written(txt_json_string, NULL, "null");
    expect_written(txt_json_string, "", "\"\"");
    expect_written(txt_json_string, "plain vm-1", "\"plain vm-1\"");
    expect_written(txt_json_string, "a\"b\\c", "\"a\\\"b\\\\c\"");
    expect_written(txt_json_string, "\n\r\t\b\f", "\"\\n\\r\\t\\b\\f\"");
    expect_written(txt_json_string, "\x01\x1f", "\"\\u0001\\u001f\"");
    expect_written(txt_json_string, "\xc2\xb1", "\"\xc2\xb1\""); /* UTF-8 passes */
    expect_written(txt_json_string, "/\x7f", "\"/\x7f\"");
}

static void csv_quoting(void **state) {
    (void)state;
    expect_written(txt_csv_field, NULL, "");
    expect_written(txt_csv_field, "", "");
    expect_written(txt_csv_field, "vm-1", "vm-1");
    expect_written(txt_csv_field, "a,b", "\"a,b\"");
    expect_written(txt_csv_field, "say \"hi\"", "\"say \"\"hi\"\"\"");
    expect_written(txt_csv_field, "two\nlines", "\"two\nlines\"");
    expect_written(txt_csv_field, "cr\r", "\"cr\r\"");
}

/* Every finite double reads back exactly, whatever its magnitude. */
static void double_round_trip(void **state) {
    (void)state;
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    char b[40];
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double v;
        memcpy(&v, &x, sizeof v);
        if (!isfinite(v)) continue;
        txt_format_double(b, v);
        assert_true(strtod(b, NULL) == v || (v == 0 && strtod(b, NULL) == 0));
        assert_null(strchr(b, ','));
    }
    const double edge[] = {1e-5, 9.999e-6, 1e16, 1e17, 5e-324, 1.7976931348623157e308, 0.1, -2.5};
    for (size_t i = 0; i < sizeof edge / sizeof edge[0]; i++) {
        txt_format_double(b, edge[i]);
        assert_true(strtod(b, NULL) == edge[i]);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(json_escapes),
        cmocka_unit_test(csv_quoting),
        cmocka_unit_test(double_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
