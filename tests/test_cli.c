/* test_cli.c -- the balloonsim program as users and scripts call it.
 *
 * Runs the built binary (path in $BALLOONSIM, set by `make test`; else
 * ./balloonsim) as a child process with its own cwd and PATH, capturing
 * stdout, stderr and the exit code.  Expectations are docs/balloonsim.1's contract:
 * exit codes, file names, headers, messages with FILE:LINE:COL. */
#define _XOPEN_SOURCE 700 /* realpath */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/base/bs.h"
#include "sim/cli/opts.h"
#include "tests/helpers.h"

#define TINY "tests/data/cli_tiny.yaml"
#define BAD "tests/data/cli_bad.yaml"

static char bin[PATH_MAX];

/* ------------------------------------------------------------------ */
/* helpers                                                             */

/* The binary with ARGS (in cwd), stdout/stderr/exit code captured. */
#define RUN(...) th_exec(bin, NULL, NULL, (const char *const[]){__VA_ARGS__, NULL})
#define RUN_IN(cwd, ...) th_exec(bin, cwd, NULL, (const char *const[]){__VA_ARGS__, NULL})

static char *absolute(const char *rel)
{
    char *p = realpath(rel, NULL);
    assert_non_null(p);
    return p;
}

/* "FILE:LINE:COL:" with LINE given and COL a number, somewhere in `text`. */
static bool has_position(const char *text, const char *file, int line)
{
    char key[PATH_MAX + 32];
    snprintf(key, sizeof key, "%s:%d:", file, line);
    for (const char *p = text; (p = strstr(p, key)) != NULL; p++) {
        const char *c = p + strlen(key);
        if (isdigit((unsigned char)*c)) {
            while (isdigit((unsigned char)*c))
                c++;
            if (*c == ':')
                return true;
        }
    }
    return false;
}

static const char *const csv_headers[][2] = {
    {"timeseries.csv",
     "time_s,host,vm,demand_bytes,cache_bytes,actual_bytes,target_bytes,resident_bytes,"
     "guest_swapped_bytes,host_swapped_bytes,stall_fraction\n"},
    {"hosts.csv", "time_s,host,used_bytes,free_bytes,swapped_bytes\n"},
    {"events.csv", "time_s,host,vm,event,value\n"},
};

/* ------------------------------------------------------------------ */
/* top level                                                           */

static void test_version(void **state)
{
    (void)state;
    th_proc p = RUN("--version");
    assert_int_equal(p.code, 0);
    assert_string_equal(p.out, "balloonsim " BS_VERSION "\n");
    assert_string_equal(p.err, "");
    th_proc_free(&p);
}

static void test_help(void **state)
{
    (void)state;
    th_proc p = RUN("--help");
    assert_int_equal(p.code, 0);
    assert_non_null(strstr(p.out, "usage: balloonsim"));
    static const char *const cmds[] = {"run", "compare", "sweep", "merge", "plan", "decide",
                                       "validate", "import", "trace-stats", "policies",
                                       "plot"};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        char key[32];
        snprintf(key, sizeof key, "\n  %s ", cmds[i]);
        assert_non_null(strstr(p.out, key));
    }
    assert_string_equal(p.err, "");
    th_proc_free(&p);

    p = RUN("run", "--help");
    assert_int_equal(p.code, 0);
    assert_non_null(strstr(p.out, "usage: balloonsim run SCENARIO [-p POLICY] [-s SEED] [-o DIR]"
                                  " [--set PATH=VALUE]... [--format text|json] [--no-plots] [-q]"));
    assert_non_null(strstr(p.out, "--no-plots"));
    th_proc_free(&p);

    p = RUN("compare", "--help"); /* listed even before it is implemented */
    assert_int_equal(p.code, 0);
    assert_non_null(strstr(p.out, "usage: balloonsim compare SCENARIO..."));
    th_proc_free(&p);
}

static void test_usage_errors(void **state)
{
    (void)state;
    th_proc p = RUN("frobnicate");
    assert_int_equal(p.code, 2);
    assert_non_null(strstr(p.err, "unknown command 'frobnicate'"));
    assert_string_equal(p.out, "");
    th_proc_free(&p);

    p = th_exec(bin, NULL, NULL, (const char *const[]){NULL});
    assert_int_equal(p.code, 2);
    assert_non_null(strstr(p.err, "usage: balloonsim"));
    th_proc_free(&p);

    p = RUN("--frobnicate");
    assert_int_equal(p.code, 2);
    th_proc_free(&p);

    p = RUN("compare", TINY); /* no -p: a usage error, nothing is run */
    assert_int_equal(p.code, 2);
    assert_non_null(strstr(p.err, "balloonsim compare: missing -p"));
    th_proc_free(&p);
}

static void test_run_bad_options(void **state)
{
    (void)state;
    th_proc p = RUN("run", TINY, "--bogus");
    assert_int_equal(p.code, 2);
    assert_non_null(strstr(p.err, "unknown option '--bogus'"));
    assert_non_null(strstr(p.err, "usage: balloonsim run SCENARIO"));
    th_proc_free(&p);

    p = RUN("run", TINY, "-x");
    assert_int_equal(p.code, 2);
    assert_non_null(strstr(p.err, "unknown option '-x'"));
    th_proc_free(&p);

    p = RUN("run", TINY, "-p");
    assert_int_equal(p.code, 2);
    assert_non_null(strstr(p.err, "'-p' needs an argument"));
    th_proc_free(&p);

    static const char *const bad_seeds[] = {"abc", "-1", "12x", "", "99999999999999999999999"};
    for (size_t i = 0; i < sizeof bad_seeds / sizeof bad_seeds[0]; i++) {
        p = RUN("run", TINY, "-s", bad_seeds[i]);
        assert_int_equal(p.code, 2);
        assert_non_null(strstr(p.err, "bad seed"));
        th_proc_free(&p);
    }

    p = RUN("run", TINY, "--format", "xml");
    assert_int_equal(p.code, 2);
    assert_non_null(strstr(p.err, "bad --format 'xml'"));
    th_proc_free(&p);

    p = RUN("run", TINY, "--set", "no-equals-sign");
    assert_int_equal(p.code, 2);
    th_proc_free(&p);

    p = RUN("run");
    assert_int_equal(p.code, 2);
    assert_non_null(strstr(p.err, "missing SCENARIO"));
    th_proc_free(&p);

    p = RUN("run", TINY, TINY);
    assert_int_equal(p.code, 2);
    th_proc_free(&p);

    p = RUN("policies", "--format", "yaml");
    assert_int_equal(p.code, 2);
    th_proc_free(&p);

    p = RUN("plot");
    assert_int_equal(p.code, 2);
    th_proc_free(&p);
}

/* ------------------------------------------------------------------ */
/* validate                                                            */

static void test_validate_good(void **state)
{
    (void)state;
    th_proc p = RUN("validate", TINY);
    assert_int_equal(p.code, 0);
    assert_string_equal(p.out, TINY ": ok\n");
    assert_string_equal(p.err, "");
    th_proc_free(&p);
}

static void test_validate_bad(void **state)
{
    (void)state;
    th_proc p = RUN("validate", BAD);
    assert_int_equal(p.code, 2);
    assert_string_equal(p.out, "");
    /* Both errors, each with file:line:col and its key path. */
    assert_true(has_position(p.err, BAD, 2));
    assert_true(has_position(p.err, BAD, 8));
    assert_non_null(strstr(p.err, "duration"));
    assert_non_null(strstr(p.err, "hosts[0].vms[0].memory"));
    th_proc_free(&p);

    /* Several files: every good one says ok, every error is printed, exit 2. */
    p = RUN("validate", BAD, TINY, "tests/data/no-such-file.yaml");
    assert_int_equal(p.code, 2);
    assert_string_equal(p.out, TINY ": ok\n");
    assert_true(has_position(p.err, BAD, 8));
    assert_non_null(strstr(p.err, "tests/data/no-such-file.yaml"));
    th_proc_free(&p);

    p = RUN("validate");
    assert_int_equal(p.code, 2);
    th_proc_free(&p);
}

/* ------------------------------------------------------------------ */
/* run                                                                 */

static void test_run_writes_directory(void **state)
{
    (void)state;
    char *tmp = th_make_tmpdir("cli");
    char *dir = th_path(tmp, "r1");
    th_proc p = RUN("run", TINY, "-o", dir, "--no-plots");
    assert_int_equal(p.code, 0);
    static const char *const files[] = {"summary.json", "timeseries.csv", "hosts.csv",
                                        "events.csv", "run.json", "plots/memory.gp",
                                        "plots/host.gp", "plots/stall.gp"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        assert_true(th_exists(dir, files[i]));
    assert_int_equal(th_count_entries(dir, "tmp"), 0);
    char *pdir = th_path(dir, "plots");
    assert_int_equal(th_count_entries(pdir, "tmp"), 0);
    assert_int_equal(th_count_entries(pdir, ".png"), 0); /* --no-plots */
    free(pdir);
    for (size_t i = 0; i < 3; i++) {
        char *c = th_slurp(dir, csv_headers[i][0]);
        assert_non_null(c);
        assert_memory_equal(c, csv_headers[i][1], strlen(csv_headers[i][1]));
        free(c);
    }
    /* 11 samples (0..600 s every 60 s) of 2 VMs, one host. */
    char *ts = th_slurp(dir, "timeseries.csv");
    int rows = 0;
    for (const char *c = ts; *c; c++)
        rows += *c == '\n';
    assert_int_equal(rows, 1 + 11 * 2);
    assert_non_null(strstr(ts, "\n600,node,web-2,"));
    free(ts);
    char *sj = th_slurp(dir, "summary.json");
    assert_memory_equal(sj, "{\n  \"scenario\": \"cli-tiny\",\n  \"policy\": \"static\",\n"
                            "  \"seed\": 7,\n  \"duration_s\": 600,\n",
                        strlen("{\n  \"scenario\": \"cli-tiny\",\n  \"policy\": \"static\",\n"
                               "  \"seed\": 7,\n  \"duration_s\": 600,\n"));
    assert_non_null(strstr(sj, "\"name\": \"web-1\",\n      \"host\": \"node\""));
    free(sj);
    char *rj = th_slurp(dir, "run.json");
    assert_non_null(strstr(rj, "\"version\": \"" BS_VERSION "\""));
    assert_non_null(strstr(rj, "\"command_line\": \""));
    assert_non_null(strstr(rj, "run " TINY " -o "));
    free(rj);
    /* The text summary on stdout, the directory on stderr. */
    assert_non_null(strstr(p.out, "scenario  cli-tiny\n"));
    assert_non_null(strstr(p.out, "stall_p99"));
    assert_non_null(strstr(p.err, dir));
    th_proc_free(&p);
    th_rm_rf(tmp);
    free(dir);
    free(tmp);
}

static void test_run_json_format_and_quiet(void **state)
{
    (void)state;
    char *tmp = th_make_tmpdir("cli");
    th_proc p = RUN("run", TINY, "-o", tmp, "--format", "json", "--no-plots", "-q");
    assert_int_equal(p.code, 0);
    char *sj = th_slurp(tmp, "summary.json");
    assert_string_equal(p.out, sj);
    assert_string_equal(p.err, "");
    free(sj);
    th_proc_free(&p);
    th_rm_rf(tmp);
    free(tmp);
}

static void test_run_bad_scenario_creates_nothing(void **state)
{
    (void)state;
    char *tmp = th_make_tmpdir("cli");
    char *bad = absolute(BAD);
    char *dir = th_path(tmp, "never");
    th_proc p = RUN("run", BAD, "-o", dir);
    assert_int_equal(p.code, 2);
    assert_true(has_position(p.err, BAD, 2));
    assert_string_equal(p.out, "");
    assert_int_equal(access(dir, F_OK), -1);
    th_proc_free(&p);

    /* Default directory: nothing under out/ either. */
    p = RUN_IN(tmp, "run", bad);
    assert_int_equal(p.code, 2);
    assert_int_equal(th_count_entries(tmp, ""), 0);
    th_proc_free(&p);

    p = RUN_IN(tmp, "run", "missing.yaml");
    assert_int_equal(p.code, 2);
    assert_non_null(strstr(p.err, "missing.yaml"));
    assert_int_equal(th_count_entries(tmp, ""), 0);
    th_proc_free(&p);

    /* An unknown policy is bad input too. */
    p = RUN("run", TINY, "-p", "no-such-policy", "-o", dir);
    assert_int_equal(p.code, 2);
    assert_int_equal(access(dir, F_OK), -1);
    th_proc_free(&p);
    th_rm_rf(tmp);
    free(bad);
    free(dir);
    free(tmp);
}

static void test_run_default_directory(void **state)
{
    (void)state;
    char *tmp = th_make_tmpdir("cli");
    char *tiny = absolute(TINY);
    th_proc p = RUN_IN(tmp, "run", tiny, "--no-plots", "-q");
    assert_int_equal(p.code, 0);
    assert_true(th_exists(tmp, "out/cli-tiny/static-s7/summary.json"));
    th_proc_free(&p);
    p = RUN_IN(tmp, "run", tiny, "--no-plots", "-q", "-s", "9", "-p", "proportional");
    assert_int_equal(p.code, 0);
    char *sub = th_path(tmp, "out/cli-tiny/proportional-s9");
    char *sj = th_slurp(sub, "summary.json");
    assert_non_null(sj);
    assert_non_null(strstr(sj, "\"policy\": \"proportional\",\n  \"seed\": 9,"));
    free(sj);
    free(sub);
    th_proc_free(&p);
    th_rm_rf(tmp);
    free(tiny);
    free(tmp);
}

static void test_run_set_override(void **state)
{
    (void)state;
    char *tmp = th_make_tmpdir("cli");
    th_proc p = RUN("run", TINY, "-o", tmp, "--no-plots", "-q", "--set", "duration=2m", "--format",
                    "json");
    assert_int_equal(p.code, 0);
    assert_non_null(strstr(p.out, "\"duration_s\": 120,"));
    th_proc_free(&p);
    th_rm_rf(tmp);
    free(tmp);
}

static void test_run_is_deterministic(void **state)
{
    (void)state;
    char *tmp = th_make_tmpdir("cli");
    char *a = th_path(tmp, "a"), *b = th_path(tmp, "b");
    th_proc p = RUN("run", TINY, "-o", a, "--no-plots", "-q", "-s", "123");
    assert_int_equal(p.code, 0);
    th_proc_free(&p);
    /* Options in another order, the other output format: same files. */
    p = RUN("run", "--format=json", "-s", "123", TINY, "--output", b, "--no-plots", "-q");
    assert_int_equal(p.code, 0);
    th_proc_free(&p);
    static const char *const same[] = {"summary.json", "timeseries.csv", "hosts.csv",
                                       "events.csv"};
    for (size_t i = 0; i < 4; i++) {
        char *x = th_slurp(a, same[i]), *y = th_slurp(b, same[i]);
        assert_non_null(x);
        assert_non_null(y);
        assert_string_equal(x, y);
        free(x);
        free(y);
    }
    th_rm_rf(tmp);
    free(a);
    free(b);
    free(tmp);
}

static void test_run_plots(void **state)
{
    (void)state;
    if (system("command -v gnuplot >/dev/null 2>&1") != 0)
        skip();
    char *tmp = th_make_tmpdir("cli");
    th_proc p = RUN("run", TINY, "-o", tmp, "-q");
    assert_int_equal(p.code, 0);
    char *pdir = th_path(tmp, "plots");
    assert_true(th_exists(pdir, "memory.png"));
    assert_true(th_exists(pdir, "host.png"));
    assert_true(th_exists(pdir, "stall.png"));
    assert_int_equal(th_count_entries(pdir, "tmp"), 0);
    th_proc_free(&p);

    /* balloonsim plot DIR redraws, from any cwd. */
    char *png = th_path(pdir, "memory.png");
    assert_int_equal(unlink(png), 0);
    p = RUN_IN("/", "plot", tmp);
    assert_int_equal(p.code, 0);
    assert_true(th_exists(pdir, "memory.png"));
    th_proc_free(&p);
    free(png);
    free(pdir);
    th_rm_rf(tmp);
    free(tmp);
}

static void test_run_without_gnuplot(void **state)
{
    (void)state;
    char *tmp = th_make_tmpdir("cli");
    char *empty = th_path(tmp, "empty-bin");
    assert_int_equal(mkdir(empty, 0777), 0);
    char *dir = th_path(tmp, "run");
    th_proc p = th_exec(bin, NULL, empty, (const char *const[]){"run", TINY, "-o", dir, "-q", NULL});
    assert_int_equal(p.code, 0);
    assert_non_null(strstr(p.err, "plots skipped: gnuplot not found"));
    assert_true(th_exists(dir, "summary.json"));
    assert_true(th_exists(dir, "plots/memory.gp"));
    th_proc_free(&p);

    /* `plot` cannot do its job without gnuplot: exit 3. */
    p = th_exec(bin, NULL, empty, (const char *const[]){"plot", dir, NULL});
    assert_int_equal(p.code, 3);
    th_proc_free(&p);
    th_rm_rf(tmp);
    free(dir);
    free(empty);
    free(tmp);
}

static void test_plot_without_scripts(void **state)
{
    (void)state;
    char *tmp = th_make_tmpdir("cli");
    th_proc p = RUN("plot", tmp);
    assert_int_equal(p.code, 2);
    assert_non_null(strstr(p.err, "no gnuplot scripts"));
    th_proc_free(&p);
    th_rm_rf(tmp);
    free(tmp);
}

static void test_policies(void **state)
{
    (void)state;
    th_proc p = RUN("policies");
    assert_int_equal(p.code, 0);
    assert_non_null(strstr(p.out, "static"));
    assert_non_null(strstr(p.out, "proportional"));
    assert_non_null(strstr(p.out, "scripted"));
    th_proc_free(&p);
    p = RUN("policies", "--format", "json");
    assert_int_equal(p.code, 0);
    assert_int_equal(p.out[0], '[');
    assert_non_null(strstr(p.out, "\"name\": \"static\""));
    th_proc_free(&p);
}

/* cli_parse_uint: digits only, the bound inclusive, *out untouched on error. */
static void test_parse_uint(void **state)
{
    (void)state;
    uint64_t v = 7;
    assert_int_equal(cli_parse_uint("0", 10, &v), BS_OK);
    assert_int_equal(v, 0);
    assert_int_equal(cli_parse_uint("10", 10, &v), BS_OK);
    assert_int_equal(v, 10);
    v = 7;
    assert_int_equal(cli_parse_uint("11", 10, &v), BS_ERR_INPUT);
    assert_int_equal(cli_parse_uint("", 10, &v), BS_ERR_INPUT);
    assert_int_equal(cli_parse_uint("-1", 10, &v), BS_ERR_INPUT);
    assert_int_equal(cli_parse_uint("+1", 10, &v), BS_ERR_INPUT);
    assert_int_equal(cli_parse_uint(" 1", 10, &v), BS_ERR_INPUT);
    assert_int_equal(cli_parse_uint("1 ", 10, &v), BS_ERR_INPUT);
    assert_int_equal(cli_parse_uint("1x", 10, &v), BS_ERR_INPUT);
    assert_int_equal(cli_parse_uint("0x1", 10, &v), BS_ERR_INPUT);
    assert_int_equal(v, 7);
    assert_int_equal(cli_parse_uint("18446744073709551615", UINT64_MAX, &v), BS_OK);
    assert_true(v == UINT64_MAX);
    assert_int_equal(cli_parse_uint("18446744073709551616", UINT64_MAX, &v), BS_ERR_INPUT);
    assert_int_equal(cli_parse_uint("9223372036854775807", INT64_MAX, &v), BS_OK);
    assert_int_equal(cli_parse_uint("9223372036854775808", INT64_MAX, &v), BS_ERR_INPUT);
}

int main(void)
{
    const char *env = getenv("BALLOONSIM");
    const char *rel = env && *env ? env : "./balloonsim";
    if (realpath(rel, bin) == NULL) {
        fprintf(stderr, "test_cli: no balloonsim binary at %s (set BALLOONSIM)\n", rel);
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_uint),
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_help),
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_run_bad_options),
        cmocka_unit_test(test_validate_good),
        cmocka_unit_test(test_validate_bad),
        cmocka_unit_test(test_run_writes_directory),
        cmocka_unit_test(test_run_json_format_and_quiet),
        cmocka_unit_test(test_run_bad_scenario_creates_nothing),
        cmocka_unit_test(test_run_default_directory),
        cmocka_unit_test(test_run_set_override),
        cmocka_unit_test(test_run_is_deterministic),
        cmocka_unit_test(test_run_plots),
        cmocka_unit_test(test_run_without_gnuplot),
        cmocka_unit_test(test_plot_without_scripts),
        cmocka_unit_test(test_policies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
