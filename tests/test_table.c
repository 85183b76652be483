/* test_table.c -- result tables (sim/table.h): number rounding, alignment of
 * text and markdown, csv and json with missing values.  Expected texts are
 * laid out by hand from the documented rules (widths, two-space gaps, "±"
 * one column wide), not recorded from the code. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/report/table.h"

__attribute__((noinline)) static char *capture(void (*fn)(FILE *, const tab *), const tab *t)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    assert_non_null(m);
    fn(m, t);
    fclose(m);
    return buf;
}

static void csv_plain(FILE *f, const tab *t)
{
    tab_write_csv(f, t, true, NULL, NULL, 0);
}

static void json_plain(FILE *f, const tab *t)
{
    tab_write_json(f, t, "");
}

/* rank | policy | stall_s | x, two rows: a full cell, a missing one, a cell
 * of one value (no interval). */
static const char *const key_names[] = {"rank", "policy"};
static const bool key_numeric[] = {true, false};
static const char *const col_names[] = {"stall_s", "x"};

static tab sample(const char **keys, tab_cell *cells)
{
    keys[0] = "1";
    keys[1] = "a";
    keys[2] = "2";
    keys[3] = "long-name";
    cells[0] = (tab_cell){.mean = 12.5, .ci95 = 1.25, .n = 2};
    cells[1] = (tab_cell){.mean = NAN, .ci95 = NAN, .n = 0};
    cells[2] = (tab_cell){.mean = 3, .ci95 = NAN, .n = 1};
    cells[3] = (tab_cell){.mean = 7, .ci95 = 0.5, .n = 2};
    return (tab){.n_keys = 2,
                 .n_cols = 2,
                 .n_rows = 2,
                 .key_names = key_names,
                 .key_numeric = key_numeric,
                 .col_names = col_names,
                 .keys = keys,
                 .cells = cells};
}

static void number_format(void **state)
{
    (void)state;
    char b[40];
    tab_format_number(b, 17054.313777);
    assert_string_equal(b, "17054.3");
    tab_format_number(b, 0.355);
    assert_string_equal(b, "0.355");
    tab_format_number(b, 25769828352.0); /* whole above 10^6: no exponent */
    assert_string_equal(b, "25769828352");
    tab_format_number(b, 999999.4);
    assert_string_equal(b, "999999");
    tab_format_number(b, 999999.6); /* would be 1e+06 at 6 digits */
    assert_string_equal(b, "1000000");
    tab_format_number(b, -2.5);
    assert_string_equal(b, "-2.5");
    tab_format_number(b, 1e-7);
    assert_string_equal(b, "1e-07");
    tab_format_number(b, -0.0);
    assert_string_equal(b, "0");
    tab_format_number(b, NAN);
    assert_string_equal(b, "nan");
    tab_format_number(b, -INFINITY);
    assert_string_equal(b, "-inf");
}

static void text_aligns_means_and_intervals(void **state)
{
    (void)state;
    const char *keys[4];
    tab_cell cells[4];
    tab t = sample(keys, cells);
    char *out = capture(tab_write_text, &t);
    /* widths: rank 4, policy 9, stall_s 4 + 3 + 4 = 11, x 1 + 3 + 3 = 7 */
    assert_string_equal(out,
                        "rank  policy         stall_s        x\n"
                        "   1  a          12.5 \xc2\xb1 1.25  -\n"
                        "   2  long-name     3         7 \xc2\xb1 0.5\n");
    free(out);
}

static void text_without_intervals_has_no_pm(void **state)
{
    (void)state;
    const char *keys[] = {"only"};
    const char *const names[] = {"name"};
    const char *const cols[] = {"v"};
    tab_cell cells[] = {{.mean = 1234567, .ci95 = NAN, .n = 1}};
    tab t = {.n_keys = 1, .n_cols = 1, .n_rows = 1, .key_names = names, .col_names = cols,
             .keys = keys, .cells = cells};
    char *out = capture(tab_write_text, &t);
    assert_string_equal(out, "name        v\nonly  1234567\n");
    assert_null(strstr(out, "\xc2\xb1"));
    free(out);
}

static void markdown_table(void **state)
{
    (void)state;
    const char *keys[4];
    tab_cell cells[4];
    tab t = sample(keys, cells);
    keys[3] = "a|b"; /* escaped: "a\|b", 4 characters */
    char *out = capture(tab_write_markdown, &t);
    /* widths: rank 4, policy 6, stall_s 11, x 7 (each padded by a space) */
    assert_string_equal(out,
                        "| rank | policy |     stall_s |       x |\n"
                        "|-----:|--------|------------:|--------:|\n"
                        "|    1 | a      | 12.5 \xc2\xb1 1.25 | -       |\n"
                        "|    2 | a\\|b   |    3        | 7 \xc2\xb1 0.5 |\n");
    free(out);
}

static void csv_splits_mean_and_interval(void **state)
{
    (void)state;
    const char *keys[4];
    tab_cell cells[4];
    tab t = sample(keys, cells);
    keys[3] = "say \"hi\", twice";
    char *out = capture(csv_plain, &t);
    assert_string_equal(out, "rank,policy,stall_s_mean,stall_s_ci95,x_mean,x_ci95\n"
                             "1,a,12.5,1.25,,\n"
                             "2,\"say \"\"hi\"\", twice\",3,,7,0.5\n");
    free(out);

    /* lead columns, and rows without the header */
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    static const char *const lead_names[] = {"scenario"};
    const char *lead[] = {"s1"};
    tab_write_csv(m, &t, false, lead_names, lead, 1);
    fclose(m);
    assert_string_equal(buf, "s1,1,a,12.5,1.25,,\n"
                             "s1,2,\"say \"\"hi\"\", twice\",3,,7,0.5\n");
    free(buf);
}

static void csv_numbers_are_exact(void **state)
{
    (void)state;
    const char *keys[] = {"p"};
    const char *const names[] = {"policy"};
    const char *const cols[] = {"v"};
    tab_cell cells[] = {{.mean = 1.0 / 3.0, .ci95 = 0.1 + 0.2, .n = 3}};
    tab t = {.n_keys = 1, .n_cols = 1, .n_rows = 1, .key_names = names, .col_names = cols,
             .keys = keys, .cells = cells};
    char *out = capture(csv_plain, &t);
    char *row = strchr(out, '\n') + 1;
    double mean = strtod(row + 2, NULL);
    double ci = strtod(strchr(row + 2, ',') + 1, NULL);
    assert_true(mean == 1.0 / 3.0);
    assert_true(ci == 0.1 + 0.2);
    free(out);
}

static void json_rows(void **state)
{
    (void)state;
    const char *keys[4];
    tab_cell cells[4];
    tab t = sample(keys, cells);
    char *out = capture(json_plain, &t);
    assert_string_equal(out,
                        "[\n"
                        "  {\n"
                        "    \"rank\": 1,\n"
                        "    \"policy\": \"a\",\n"
                        "    \"metrics\": {\n"
                        "      \"stall_s\": {\"mean\": 12.5, \"ci95\": 1.25, \"n\": 2},\n"
                        "      \"x\": {\"mean\": null, \"ci95\": null, \"n\": 0}\n"
                        "    }\n"
                        "  },\n"
                        "  {\n"
                        "    \"rank\": 2,\n"
                        "    \"policy\": \"long-name\",\n"
                        "    \"metrics\": {\n"
                        "      \"stall_s\": {\"mean\": 3, \"ci95\": null, \"n\": 1},\n"
                        "      \"x\": {\"mean\": 7, \"ci95\": 0.5, \"n\": 2}\n"
                        "    }\n"
                        "  }\n"
                        "]");
    free(out);
}

static void empty_table(void **state)
{
    (void)state;
    tab t = {.n_keys = 2, .n_cols = 2, .n_rows = 0, .key_names = key_names,
             .key_numeric = key_numeric, .col_names = col_names};
    char *out = capture(json_plain, &t);
    assert_string_equal(out, "[]");
    free(out);
    out = capture(tab_write_text, &t);
    assert_string_equal(out, "rank  policy  stall_s  x\n");
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(number_format),
        cmocka_unit_test(text_aligns_means_and_intervals),
        cmocka_unit_test(text_without_intervals_has_no_pm),
        cmocka_unit_test(markdown_table),
        cmocka_unit_test(csv_splits_mean_and_interval),
        cmocka_unit_test(csv_numbers_are_exact),
        cmocka_unit_test(json_rows),
        cmocka_unit_test(empty_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
