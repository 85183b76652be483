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
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/base/bs.h"
#include "sim/base/cfg.h"
#include "sim/base/metrics.h"
#include "sim/cli/opts.h"
#include "tests/helpers.h"

#define TINY "tests/data/cli_tiny.yaml"
#define BAD "tests/data/cli_bad.yaml"
#define GROUPS "tests/data/cli_groups.yaml"

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

/* ------------------------------------------------------------------ */
/* groups and windows (cli.md "Groups and windows")                    */

/* summary.json read back as a tree (JSON is YAML): values by key path. */
typedef struct summary {
    cfg_doc *doc;
    cfg_node *root;
    char *text;
} summary;

static summary summary_load(const char *dir)
{
    summary s = {0};
    char *path = th_path(dir, "summary.json");
    s.text = th_read_file(path);
    assert_non_null(s.text);
    cfg_errs errs = {0};
    assert_int_equal(cfg_doc_new(&s.doc), BS_OK);
    bs_rc rc = cfg_parse_file(s.doc, path, &errs, &s.root);
    if (rc != BS_OK)
        cfg_errs_print(&errs, stderr);
    assert_int_equal(rc, BS_OK);
    cfg_errs_free(&errs);
    free(path);
    return s;
}

static void summary_free(summary *s)
{
    cfg_doc_free(s->doc);
    free(s->text);
}

static cfg_node *at(const summary *s, const char *fmt, ...)
{
    char path[CFG_PATH_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(path, sizeof path, fmt, ap);
    va_end(ap);
    return cfg_lookup(s->root, path);
}

static const char *text_at(const summary *s, const char *path, const char *more)
{
    cfg_node *n = at(s, "%s%s", path, more);
    if (n == NULL || n->kind != CFG_SCALAR)
        fail_msg("summary.json: no scalar at %s%s", path, more);
    return n->value;
}

static double number_at(const summary *s, const char *path, const char *metric)
{
    char more[128];
    snprintf(more, sizeof more, ".metrics.%s", metric);
    const char *v = text_at(s, path, more);
    if (strcmp(v, "null") == 0)
        fail_msg("summary.json: %s%s is null", path, more);
    return strtod(v, NULL);
}

/* The keys of a metrics object, in order, joined by ',' */
static void metric_keys(const summary *s, const char *path, char *out, size_t len)
{
    cfg_node *m = at(s, "%s.metrics", path);
    assert_non_null(m);
    assert_int_equal(m->kind, CFG_MAP);
    out[0] = '\0';
    for (size_t i = 0; i < m->n; i++)
        snprintf(out + strlen(out), len - strlen(out), "%s%s", i ? "," : "", m->entries[i].key);
}

/* Every metric name of a scope, as summary.json lists them. */
static void expected_keys(unsigned scope, char *out, size_t len)
{
    out[0] = '\0';
    for (int id = 0; id < MET_COUNT; id++) {
        const met_info *info = met_info_get((met_id)id);
        if (scope == 0 || (info->scopes & scope))
            snprintf(out + strlen(out), len - strlen(out), "%s%s", out[0] ? "," : "", info->name);
    }
}

/* The text of the JSON object that follows `key` at or after `from`. */
static char *object_after(const char *from, const char *key)
{
    const char *p = strstr(from, key);
    assert_non_null(p);
    p = strchr(p, '{');
    assert_non_null(p);
    const char *e = strchr(p, '}');
    assert_non_null(e);
    return strndup(p, (size_t)(e - p + 1));
}

/* Σ over the groups of `scope` (a path: "" for the run, "windows[0]" for a
 * window) equals the scope's own value. */
static void check_adds_up(const summary *s, const char *scope, const char *metric)
{
    char run_path[64], gpath[96];
    snprintf(run_path, sizeof run_path, "%s", scope[0] ? scope : "");
    double whole = scope[0] ? number_at(s, scope, metric)
                            : strtod(text_at(s, "metrics.", metric), NULL);
    double sum = 0;
    for (size_t g = 0; g < 2; g++) {
        snprintf(gpath, sizeof gpath, "%s%sgroups[%zu]", run_path, scope[0] ? "." : "", g);
        sum += number_at(s, gpath, metric);
    }
    double tol = 1e-9 * (fabs(whole) > 1 ? fabs(whole) : 1);
    if (fabs(sum - whole) > tol)
        fail_msg("%s %s: groups add up to %.17g, the scope says %.17g", scope[0] ? scope : "run",
                 metric, sum, whole);
}

static void test_run_groups_and_windows(void **state)
{
    (void)state;
    static const char *const additive[] = {"guest_oom_kills", "host_oom_kills", "downtime_s",
                                           "stall_s", "balloon_traffic_bytes"};
    static const char *const policies[] = {"static", "proportional"};
    char *tmp = th_make_tmpdir("cli");
    for (size_t k = 0; k < 2; k++) {
        char *dir = th_path(tmp, policies[k]);
        th_proc p = RUN("run", GROUPS, "-p", policies[k], "-o", dir, "--no-plots", "-q");
        assert_int_equal(p.code, 0);
        summary s = summary_load(dir);

        /* Groups: every `vms:` item by its name, across both hosts. */
        assert_string_equal(text_at(&s, "groups[0].name", ""), "db");
        assert_string_equal(text_at(&s, "groups[1].name", ""), "web");
        assert_null(at(&s, "groups[2]"));
        static const char *const db_vms[] = {"node-1.db", "node-2.db"};
        static const char *const web_vms[] = {"node-1.web-1", "node-1.web-2", "node-2.web-1",
                                              "node-2.web-2"};
        cfg_node *dv = at(&s, "groups[0].vms"), *wv = at(&s, "groups[1].vms");
        assert_non_null(dv);
        assert_non_null(wv);
        assert_int_equal(dv->n, 2);
        assert_int_equal(wv->n, 4);
        for (size_t i = 0; i < 2; i++)
            assert_string_equal(dv->entries[i].val->value, db_vms[i]);
        for (size_t i = 0; i < 4; i++)
            assert_string_equal(wv->entries[i].val->value, web_vms[i]);

        /* Metric keys: VM metrics for groups, all for windows. */
        char want_vm[2048], want_all[2048], got[2048];
        expected_keys(MET_SCOPE_VM, want_vm, sizeof want_vm);
        expected_keys(0, want_all, sizeof want_all);
        metric_keys(&s, "groups[0]", got, sizeof got);
        assert_string_equal(got, want_vm);
        metric_keys(&s, "groups[1]", got, sizeof got);
        assert_string_equal(got, want_vm);

        /* Windows, as written, each with both groups (no vms list there). */
        assert_string_equal(text_at(&s, "windows[0].name", ""), "peak");
        assert_string_equal(text_at(&s, "windows[1].name", ""), "all");
        assert_null(at(&s, "windows[2]"));
        for (size_t w = 0; w < 2; w++) {
            char wp[64];
            snprintf(wp, sizeof wp, "windows[%zu]", w);
            metric_keys(&s, wp, got, sizeof got);
            assert_string_equal(got, want_all);
            for (size_t g = 0; g < 2; g++) {
                char gp[96];
                snprintf(gp, sizeof gp, "%s.groups[%zu]", wp, g);
                assert_string_equal(text_at(&s, gp, ".name"), g ? "web" : "db");
                assert_null(at(&s, "%s.vms", gp));
                metric_keys(&s, gp, got, sizeof got);
                assert_string_equal(got, want_vm);
            }
        }

        /* Σ over groups = the run, and = the window within a window. */
        for (size_t m = 0; m < sizeof additive / sizeof additive[0]; m++) {
            check_adds_up(&s, "", additive[m]);
            check_adds_up(&s, "windows[0]", additive[m]);
            check_adds_up(&s, "windows[1]", additive[m]);
            /* A window's counts and integrals are part of the run's. */
            assert_true(number_at(&s, "windows[0]", additive[m]) <=
                        strtod(text_at(&s, "metrics.", additive[m]), NULL));
        }
        /* Not trivially 0 = 0: the fixture kills and moves memory. */
        if (k == 0) {
            assert_true(number_at(&s, "groups[1]", "host_oom_kills") > 0);
            assert_true(number_at(&s, "windows[0]", "host_oom_kills") > 0);
        } else {
            assert_true(number_at(&s, "groups[1]", "guest_oom_kills") > 0);
            assert_true(number_at(&s, "groups[1]", "balloon_traffic_bytes") > 0);
            assert_true(number_at(&s, "windows[0].groups[1]", "stall_s") > 0);
        }
        assert_true(number_at(&s, "groups[0]", "downtime_s") == 0); /* db is never touched */

        /* A window over the whole run gives exactly the run's metrics. */
        char *run_m = object_after(s.text, "\n  \"metrics\": ");
        char *all_m = object_after(strstr(s.text, "\"name\": \"all\""), "\"metrics\": ");
        /* Same values; the window's object is indented two levels deeper. */
        char *a = run_m, *b = all_m;
        while (*a && *b) {
            if (*a == *b) { a++; b++; continue; }
            if (*b == ' ' && (b[-1] == ' ' || b[-1] == '\n')) { b++; continue; }
            break;
        }
        if (*a || *b)
            fail_msg("window 'all' differs from the run at '%.40s' / '%.40s'", a, b);
        free(run_m);
        free(all_m);
        summary_free(&s);

        /* The text summary: a group table and a line per window. */
        th_proc_free(&p);
        p = RUN("run", GROUPS, "-p", policies[k], "-o", dir, "--no-plots", "-q");
        assert_int_equal(p.code, 0);
        assert_non_null(strstr(p.out, "\ngroup  vms  guest_oom_kills  host_oom_kills"));
        assert_non_null(strstr(p.out, "\ndb       2  "));
        assert_non_null(strstr(p.out, "\nweb      4  "));
        assert_non_null(strstr(p.out, "\nwindow peak: guest_oom_kills "));
        assert_non_null(strstr(p.out, "\nwindow all: guest_oom_kills "));
        assert_non_null(strstr(p.out, "\n  db:  guest_oom_kills 0, host_oom_kills 0, downtime_s 0,"));
        /* --format json is summary.json. */
        th_proc_free(&p);
        p = RUN("run", GROUPS, "-p", policies[k], "-o", dir, "--no-plots", "-q", "--format", "json");
        assert_int_equal(p.code, 0);
        char *sj = th_slurp(dir, "summary.json");
        assert_string_equal(p.out, sj);
        free(sj);
        th_proc_free(&p);
        free(dir);
    }
    th_rm_rf(tmp);
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
        cmocka_unit_test(test_run_groups_and_windows),
        cmocka_unit_test(test_run_plots),
        cmocka_unit_test(test_run_without_gnuplot),
        cmocka_unit_test(test_plot_without_scripts),
        cmocka_unit_test(test_policies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
