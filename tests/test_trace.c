/* test_trace.c -- trace readers (trace.h) and the `trace` workload.
 *
 * Fixtures: the real Bitbrains sample in ../shared/traces (figures from its
 * README), small files in tests/data/traces, and files written here for the
 * error cases (each message must name the trace file and line).  Expected
 * values are worked out by hand from the fixture rows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/helpers.h"
#include "sim/base/cfg.h"
#include "sim/scenario.h"
#include "workloads/trace.h"
#include "workloads/wl.h"

#define MIB_P 256LL
#define GIB_P 262144LL
#define SEC BS_NS_PER_S
#define MIN (60 * SEC)
#define HOUR (3600 * SEC)
#define DAY (24 * HOUR)
#define KIB 1024.0
#define MIB (1024.0 * 1024.0)

/* The copy shipped with the example scenarios (always there), else shared/. */
static const char *const bitbrains_paths[] = {
    "scenarios/data/bitbrains/gwa-t-12-faststorage-vm-sample.csv",
    "../shared/traces/bitbrains/gwa-t-12-faststorage-vm-sample.csv",
};

static const char *bitbrains_path(void)
{
    for (size_t i = 0; i < sizeof bitbrains_paths / sizeof *bitbrains_paths; i++)
        if (access(bitbrains_paths[i], R_OK) == 0) return bitbrains_paths[i];
    return NULL;
}

/* ---- temporary trace files ---- */

static char tmpdir[64];

static int make_tmpdir(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/bs-trace-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state)
{
    (void)state;
    DIR *d = opendir(tmpdir);
    if (!d) return -1;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char path[384];
        snprintf(path, sizeof path, "%s/%s", tmpdir, e->d_name);
        unlink(path);
    }
    closedir(d);
    return rmdir(tmpdir);
}

/* Write `text` (len bytes, or strlen) to tmpdir/name; returns the path. */
static const char *write_file(const char *name, const char *text, size_t len)
{
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    if (!len) len = strlen(text);
    assert_int_equal(fwrite(text, 1, len, f), len);
    fclose(f);
    return path;
}

static wl_series *load_ok(const char *path, wl_trace_format fmt, const char *column)
{
    cfg_errs errs = {0};
    wl_series *s = NULL;
    bs_rc rc = wl_trace_load(path, fmt, column, &errs, &s);
    if (rc != BS_OK) {
        cfg_errs_print(&errs, stderr);
        fail_msg("cannot load %s", path);
    }
    assert_int_equal(errs.n, 0);
    assert_non_null(s);
    cfg_errs_free(&errs);
    return s;
}

/* Loading must fail with exactly one error equal to `want`. */
static void load_fails(const char *name, const char *text, size_t len, wl_trace_format fmt,
                       const char *column, const char *want_fmt)
{
    const char *path = write_file(name, text, len);
    char want[512];
    snprintf(want, sizeof want, want_fmt, path);
    cfg_errs errs = {0};
    wl_series *s = (wl_series *)&errs; /* must be reset to NULL */
    assert_int_equal(wl_trace_load(path, fmt, column, &errs, &s), BS_ERR_INPUT);
    assert_null(s);
    if (errs.n != 1 || strcmp(errs.msgs[0], want) != 0) {
        cfg_errs_print(&errs, stderr);
        fail_msg("expected exactly: %s", want);
    }
    cfg_errs_free(&errs);
}

/* ---- the trace workload through YAML ---- */

typedef struct fx {
    cfg_doc *doc;
    cfg_errs errs;
    cfg_ctx cx;
    wl_spec *spec;
} fx;

static bs_rc fx_try(fx *f, const char *yaml, const char *base_dir)
{
    memset(f, 0, sizeof *f);
    assert_int_equal(cfg_doc_new(&f->doc), BS_OK);
    f->cx.errs = &f->errs;
    f->cx.doc = f->doc;
    cfg_node *root = NULL;
    assert_int_equal(cfg_parse_string(f->doc, "w.yaml", yaml, &f->errs, &root), BS_OK);
    return wl_configure_nested(&f->cx, root, "workload", base_dir, &f->spec);
}

static void fx_ok(fx *f, const char *yaml, const char *base_dir)
{
    if (fx_try(f, yaml, base_dir) != BS_OK || f->errs.n) {
        cfg_errs_print(&f->errs, stderr);
        fail_msg("workload rejected: %s", yaml);
    }
}

static void fx_free(fx *f)
{
    wl_spec_free(f->spec);
    cfg_errs_free(&f->errs);
    cfg_doc_free(f->doc);
}

static void yaml_fails(const char *yaml, const char *base_dir, const char *want)
{
    fx f;
    assert_int_equal(fx_try(&f, yaml, base_dir), BS_ERR_INPUT);
    assert_null(f.spec);
    bool found = false;
    for (size_t i = 0; i < f.errs.n; i++)
        if (strstr(f.errs.msgs[i], want)) found = true;
    if (!found) {
        cfg_errs_print(&f.errs, stderr);
        fail_msg("no error containing: %s", want);
    }
    fx_free(&f);
}

static wl_gen *gen(const wl_spec *s, bs_pages memory)
{
    wl_vm_info vm = {.name = "vm", .seed = 1, .memory = memory, .purpose = "demand"};
    wl_gen *g = NULL;
    assert_int_equal(wl_instantiate(s, &vm, &g), BS_OK);
    return g;
}

static bs_pages at(wl_gen *g, bs_time t, bs_time *next)
{
    bs_time nx = -1;
    bs_pages v = wl_advance(g, t, &nx);
    assert_true(nx > t);
    if (next) *next = nx;
    return v;
}

/* A 4-row trace, rows 300 s apart: 100, 200, 400, 300 MiB. */
static const char *const four_rows = "t,mem_mib\n0,100\n300,200\n600,400\n900,300\n";

static wl_gen *four(fx *f, const char *extra)
{
    write_file("four.csv", four_rows, 0);
    char yaml[512];
    snprintf(yaml, sizeof yaml, "type: trace\nfile: four.csv\n%s", extra);
    fx_ok(f, yaml, tmpdir);
    return gen(f->spec, 4 * GIB_P);
}

/* ---- Bitbrains ---- */

static void test_bitbrains_sample(void **state)
{
    (void)state;
    const char *path = bitbrains_path();
    if (!path) skip();
    wl_series *s = load_ok(path, WL_TRACE_BITBRAINS, NULL);
    assert_int_equal(s->n, 8619);
    assert_string_equal(s->column, "Memory usage [KB]");
    assert_false(s->fraction);
    assert_true(s->t0_s == 1376314846.0); /* 2013-08-12 13:40:46 UTC */
    assert_true(s->t[0] == 0);
    assert_true(s->t[1] == 300 * SEC);
    assert_true(s->t[s->n - 1] == (1378906798LL - 1376314846LL) * SEC);
    assert_true(fabs(s->v[0] - 110448.53333333334 * KIB) < 1e-3);
    assert_true(fabs(s->v[s->n - 1] - 92272.8 * KIB) < 1e-3);
    double sum = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (i) assert_true(s->t[i] > s->t[i - 1]);
        sum += s->v[i];
    }
    assert_true(fabs(sum / (double)s->n / MIB / 120.0 - 1.0) < 0.01); /* README: mean 120 MiB */
    wl_series_free(s);

    s = load_ok(path, WL_TRACE_BITBRAINS, "Memory capacity provisioned [KB]");
    for (size_t i = 0; i < s->n; i++) assert_true(s->v[i] == 2097152.0 * KIB); /* 2 GiB */
    wl_series_free(s);
    s = load_ok(path, WL_TRACE_BITBRAINS, "6"); /* 1-based index of the same column */
    assert_string_equal(s->column, "Memory capacity provisioned [KB]");
    assert_true(s->v[100] == 2097152.0 * KIB);
    wl_series_free(s);
    s = load_ok(path, WL_TRACE_BITBRAINS, "memory usage [kb]"); /* case does not matter */
    assert_true(fabs(s->v[0] - 110448.53333333334 * KIB) < 1e-3);
    wl_series_free(s);
}

static void test_bitbrains_replay_pages(void **state)
{
    (void)state;
    const char *path = bitbrains_path();
    if (!path) skip();
    char yaml[256];
    snprintf(yaml, sizeof yaml, "type: trace\nfile: %s\nformat: bitbrains\n", path);
    fx f;
    fx_ok(&f, yaml, ".");
    wl_gen *g = gen(f.spec, 2 * 262144);
    bs_time nx;
    assert_int_equal(at(g, 0, &nx), (bs_pages)floor(110448.53333333334 * KIB / 4096)); /* 27612 */
    assert_true(nx == 300 * SEC);
    assert_int_equal(at(g, 2591952 * SEC, &nx), (bs_pages)floor(92272.8 * KIB / 4096));
    assert_true(nx == BS_TIME_NEVER); /* no loop: the last row holds */
    wl_gen_free(g);
    fx_free(&f);
}

static void test_bitbrains_separators_missing_headerless(void **state)
{
    (void)state;
    /* ";" followed by spaces or tabs; 0 usage = missing (held; leading ones take
     * the first present value). */
    const char *path = write_file(
        "bb.csv",
        "Timestamp [ms];\tCPU cores;\tCPU capacity provisioned [MHZ];\tCPU usage [MHZ];\t"
        "CPU usage [%];\tMemory capacity provisioned [KB];\tMemory usage [KB];\t"
        "Disk read throughput [KB/s];\tDisk write throughput [KB/s];\t"
        "Network received throughput [KB/s];\tNetwork transmitted throughput [KB/s]\n"
        "1000;\t1;\t2600;\t10;\t0.4;\t1048576;\t0.0;\t0;\t0;\t0;\t0\n"
        "1300; 1;  2600; 10; 0.4; 1048576; 2048; 0; 0; 0; 0\n"
        "1600;1;2600;10;0.4;1048576;0;0;0;0;0\n"
        "1900;\t1;\t2600;\t10;\t0.4;\t1048576;\t4096;\t0;\t0;\t0;\t0\n",
        0);
    wl_series *s = load_ok(path, WL_TRACE_BITBRAINS, NULL);
    assert_int_equal(s->n, 4);
    assert_int_equal(s->missing, 2);
    assert_true(s->t[3] == 900 * SEC);
    assert_true(s->v[0] == 2048 * KIB && s->v[1] == 2048 * KIB);
    assert_true(s->v[2] == 2048 * KIB && s->v[3] == 4096 * KIB);
    wl_series_free(s);
    /* A file cut from the middle (no header) uses the standard columns. */
    path = write_file("bb2.csv", "1000;\t1;\t2600;\t10;\t0.4;\t1048576;\t512;\t0;\t0;\t0;\t0\n"
                                 "1300;\t1;\t2600;\t10;\t0.4;\t1048576;\t1024;\t0;\t0;\t0;\t0\n",
                      0);
    s = load_ok(path, WL_TRACE_BITBRAINS, NULL);
    assert_int_equal(s->n, 2);
    assert_true(s->v[0] == 512 * KIB && s->v[1] == 1024 * KIB);
    wl_series_free(s);
}

static void test_bitbrains_errors(void **state)
{
    (void)state;
    const char *hdr = "Timestamp [ms];\tCPU cores;\tMemory usage [KB]\n";
    char text[256];
    snprintf(text, sizeof text, "%s1000;\t1;\t100\n1300;\t1;\tlots\n", hdr);
    load_fails("e1.csv", text, 0, WL_TRACE_BITBRAINS, NULL,
               "%s:3: expected a number in column 'Memory usage [KB]', found 'lots'");
    snprintf(text, sizeof text, "%s1000;\t1;\t100\n1300;\t1\n", hdr);
    load_fails("e2.csv", text, 0, WL_TRACE_BITBRAINS, NULL,
               "%s:3: expected at least 3 fields separated by ';', found 2");
    snprintf(text, sizeof text, "%s1000;\t1;\t0\n1300;\t1;\t0\n", hdr);
    load_fails("e3.csv", text, 0, WL_TRACE_BITBRAINS, NULL,
               "%s: expected data rows, found only missing values of 'Memory usage [KB]'");
    snprintf(text, sizeof text, "%s1000;\t1;\t5\n", hdr);
    load_fails("e4.csv", text, 0, WL_TRACE_BITBRAINS, "Memory [MB]",
               "%s:1: expected a column named 'Memory [MB]' in the header, found: Timestamp [ms], "
               "CPU cores, Memory usage [KB]");
    snprintf(text, sizeof text, "%s1300;\t1;\t5\n1000;\t1;\t5\n", hdr);
    load_fails("e5.csv", text, 0, WL_TRACE_BITBRAINS, NULL,
               "%s:3: expected a time after the previous row's (line 2), found '1000'");
    load_fails("e6.csv", "", 0, WL_TRACE_BITBRAINS, NULL, "%s: expected a header line, found none");
}

/* ---- csv ---- */

static void test_csv_units_comments_default_column(void **state)
{
    (void)state;
    wl_series *s = load_ok("tests/data/traces/mem.csv", WL_TRACE_CSV, NULL);
    /* default column: the first non-time one (cpu_pct, as bytes) */
    assert_string_equal(s->column, "cpu_pct");
    assert_int_equal(s->n, 4);
    assert_true(s->v[0] == 10.0);
    wl_series_free(s);
    s = load_ok("tests/data/traces/mem.csv", WL_TRACE_CSV, "mem_mib");
    assert_int_equal(s->n, 4);
    assert_true(s->t[1] == 5 * MIN && s->t[3] == 15 * MIN); /* time_min */
    assert_true(s->v[0] == 100 * MIB && s->v[2] == 400 * MIB && s->v[3] == 300 * MIB);
    wl_series_free(s);
}

static void test_csv_time_and_size_suffixes(void **state)
{
    (void)state;
    static const struct {
        const char *tname;
        double t1;      /* second row's time as written */
        bs_time want;   /* in ns */
    } times[] = {
        {"t", 30, 30 * SEC},           {"time", 30, 30 * SEC},
        {"time_s", 30, 30 * SEC},      {"t_s", 2.5, 2500 * 1000000LL},
        {"time_ms", 1500, 1500 * 1000000LL}, {"time_us", 7, 7000},
        {"time_ns", 9, 9},             {"time_min", 2, 2 * MIN},
        {"t_h", 1.5, 90 * MIN},        {"timestamp", 30, 30 * SEC},
        {"TIME_D", 1, DAY},
    };
    for (size_t i = 0; i < sizeof times / sizeof *times; i++) {
        char text[128];
        snprintf(text, sizeof text, "%s,v\n0,1\n%g,2\n", times[i].tname, times[i].t1);
        wl_series *s = load_ok(write_file("t.csv", text, 0), WL_TRACE_CSV, NULL);
        if (s->t[1] != times[i].want)
            fail_msg("%s: %g -> %lld ns", times[i].tname, times[i].t1, (long long)s->t[1]);
        wl_series_free(s);
    }
    static const struct {
        const char *vname;
        double mult;
    } sizes[] = {
        {"mem", 1},          {"mem_bytes", 1},  {"mem_b", 1},
        {"mem_kib", KIB},    {"mem_kb", KIB},   {"mem_mib", MIB},
        {"mem_MB", MIB},     {"mem_gib", KIB * MIB}, {"mem_gb", KIB * MIB},
        {"mem_pages", 4096}, {"mem [KB]", KIB}, {"rss_tib", MIB * MIB},
    };
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        char text[128];
        snprintf(text, sizeof text, "t,%s\n0,3\n", sizes[i].vname);
        wl_series *s = load_ok(write_file("v.csv", text, 0), WL_TRACE_CSV, NULL);
        if (s->v[0] != 3 * sizes[i].mult) fail_msg("%s: %g", sizes[i].vname, s->v[0]);
        wl_series_free(s);
    }
}

static void test_csv_layout_tolerance(void **state)
{
    (void)state;
    /* time not first, quoted header, CRLF, padding, column by index, extra fields */
    const char *path = write_file("l.csv", "\"mem_kib\",\"time_s\",host\r\n"
                                           " 1024 ,0,a\r\n"
                                           "2048,60,a,extra\r\n",
                                  0);
    wl_series *s = load_ok(path, WL_TRACE_CSV, NULL);
    assert_string_equal(s->column, "mem_kib"); /* the first non-time column */
    assert_true(s->t[1] == 60 * SEC);
    assert_true(s->v[0] == 1024 * KIB && s->v[1] == 2048 * KIB);
    wl_series_free(s);
    s = load_ok(path, WL_TRACE_CSV, "1");
    assert_string_equal(s->column, "mem_kib");
    assert_true(s->v[1] == 2048 * KIB);
    wl_series_free(s);
    /* a single row is a constant */
    s = load_ok(write_file("one.csv", "t,mem\n5,4096\n", 0), WL_TRACE_CSV, NULL);
    assert_int_equal(s->n, 1);
    assert_true(s->t[0] == 0 && s->v[0] == 4096);
    assert_true(s->t0_s == 5.0);
    wl_series_free(s);
    /* negative times are fine: shifted to 0 */
    s = load_ok(write_file("neg.csv", "t,mem\n-10,1\n-4,2\n", 0), WL_TRACE_CSV, NULL);
    assert_true(s->t[1] == 6 * SEC);
    wl_series_free(s);
}

static void test_csv_errors(void **state)
{
    (void)state;
    load_fails("c1.csv", "t,mem_mib\n0,1\n300,abc\n", 0, WL_TRACE_CSV, NULL,
               "%s:3: expected a number in column 'mem_mib', found 'abc'");
    load_fails("c2.csv", "t,mem\n0,1\n300,2\n200,3\n", 0, WL_TRACE_CSV, NULL,
               "%s:4: expected a time after the previous row's (line 3), found '200'");
    load_fails("c3.csv", "t,mem\n0,1\n0,2\n", 0, WL_TRACE_CSV, NULL,
               "%s:3: expected a time after the previous row's (line 2), found '0'");
    load_fails("c4.csv", "t,mem\n# no rows\n\n", 0, WL_TRACE_CSV, NULL,
               "%s: expected data rows, found none");
    load_fails("c5.csv", "# only a comment\n", 0, WL_TRACE_CSV, NULL,
               "%s: expected a header row, found none");
    load_fails("c6.csv", "when,mem\n0,1\n", 0, WL_TRACE_CSV, NULL,
               "%s:1: expected a header with a time column such as t, time_s or time_ms, found "
               "'when, mem'");
    load_fails("c7.csv", "t,mem_mib\n0,1\n", 0, WL_TRACE_CSV, "mem",
               "%s:1: expected a column named 'mem' in the header, found: t, mem_mib");
    load_fails("c8.csv", "t,cpu,mem\n0,1,2\n60,1\n", 0, WL_TRACE_CSV, "mem",
               "%s:3: expected at least 3 fields as in the header, found 2");
    load_fails("c9.csv", "t,mem\nx,1\n", 0, WL_TRACE_CSV, NULL,
               "%s:2: expected a number in time column, found 'x'");
    load_fails("c10.csv", "t,mem\n0,1\n60,nan\n", 0, WL_TRACE_CSV, NULL,
               "%s:3: expected a number in column 'mem', found 'nan'");
    load_fails("c11.csv", "t,mem\n0,1\n60,\n", 0, WL_TRACE_CSV, NULL,
               "%s:3: expected a number in column 'mem', found ''");
    load_fails("c12.csv", "t,mem\n0,1\n6\0,2\n", 15, WL_TRACE_CSV, NULL,
               "%s:3: expected text, found a NUL byte (is this a binary file?)");
    load_fails("c13.csv", "t\n0\n", 0, WL_TRACE_CSV, NULL,
               "%s:1: expected a value column besides the time column 't'");
    load_fails("c14.csv", "t,mem\n0,1\n", 0, WL_TRACE_CSV, "1",
               "%s:1: expected column 1 to be a value column from 1 to 2 other than the time "
               "column 1 (header: t, mem)");
    load_fails("c15.csv", "t_h,mem\n0,1\n1e9,2\n", 0, WL_TRACE_CSV, NULL,
               "%s:3: expected a time at most 36500 days after the first row's");
    cfg_errs errs = {0};
    wl_series *s = NULL;
    char path[128];
    snprintf(path, sizeof path, "%s/absent.csv", tmpdir);
    assert_int_equal(wl_trace_load(path, WL_TRACE_CSV, NULL, &errs, &s), BS_ERR_INPUT);
    assert_int_equal(errs.n, 1);
    char want[256];
    snprintf(want, sizeof want, "%s: cannot open: No such file or directory", path);
    assert_string_equal(errs.msgs[0], want);
    cfg_errs_free(&errs);
}

/* ---- alibaba ---- */

static void test_alibaba(void **state)
{
    (void)state;
    wl_series *s = load_ok("tests/data/traces/alibaba.csv", WL_TRACE_ALIBABA, NULL);
    /* c_1 (first in the file), sorted; t=10 has no value (held); t=20 twice:
     * the later row (55) wins. */
    assert_string_equal(s->column, "c_1");
    assert_true(s->fraction);
    assert_int_equal(s->n, 4);
    assert_int_equal(s->missing, 1);
    bs_time t[] = {0, 10 * SEC, 20 * SEC, 30 * SEC};
    double v[] = {0.40, 0.40, 0.55, 0.60};
    for (size_t i = 0; i < 4; i++) {
        assert_true(s->t[i] == t[i]);
        assert_true(fabs(s->v[i] - v[i]) < 1e-12);
    }
    wl_series_free(s);
    s = load_ok("tests/data/traces/alibaba.csv", WL_TRACE_ALIBABA, "c_2");
    assert_int_equal(s->n, 2);
    assert_true(fabs(s->v[0] - 0.20) < 1e-12 && fabs(s->v[1] - 0.10) < 1e-12);
    wl_series_free(s);

    /* Replayed: a fraction of the VM's configured memory. */
    fx f;
    fx_ok(&f, "type: trace\nfile: alibaba.csv\nformat: alibaba\n", "tests/data/traces");
    wl_gen *g = gen(f.spec, 4 * GIB_P);
    assert_int_equal(at(g, 0, NULL), (bs_pages)floor(0.40 * 4 * GIB_P));
    assert_int_equal(at(g, 25 * SEC, NULL), (bs_pages)floor(0.55 * 4 * GIB_P));
    wl_gen_free(g);
    g = gen(f.spec, 2 * GIB_P); /* same spec, another VM size */
    assert_int_equal(at(g, 30 * SEC, NULL), (bs_pages)floor(0.60 * 2 * GIB_P));
    wl_gen_free(g);
    fx_free(&f);

    load_fails("a1.csv", "c_1,m_1,0,5,40\n", 0, WL_TRACE_ALIBABA, "c_9",
               "%s: no rows for container 'c_9'");
    load_fails("a2.csv", "c_1,m_1,0,5\n", 0, WL_TRACE_ALIBABA, NULL,
               "%s:1: expected 11 fields (container_id,machine_id,time_stamp,cpu_util_percent,"
               "mem_util_percent,...), found 4");
    load_fails("a3.csv", "c_1,m_1,0,5,40\nc_1,m_1,10,5,-3\n", 0, WL_TRACE_ALIBABA, NULL,
               "%s:2: expected a percentage in mem_util_percent, found '-3'");
    load_fails("a4.csv", "c_1,m_1,zero,5,40\n", 0, WL_TRACE_ALIBABA, NULL,
               "%s:1: expected a number in time_stamp, found 'zero'");
}

/* ---- dommemstat ---- */

static void test_dommemstat(void **state)
{
    (void)state;
    wl_series *s = load_ok("tests/data/traces/dommemstat.log", WL_TRACE_DOMMEMSTAT, NULL);
    assert_int_equal(s->n, 3);
    assert_true(s->t[1] == 10 * SEC && s->t[2] == 30 * SEC); /* +02:00 zone honoured */
    assert_true(s->t0_s == 1714564800.0);                   /* 2024-05-01T12:00:00Z */
    assert_true(s->v[0] == (4030000.0 - 2000000.0) * KIB);  /* available - usable */
    assert_true(s->v[1] == (4030000.0 - 1500000.0) * KIB);
    assert_true(s->v[2] == s->v[1]); /* block without the fields: held */
    assert_int_equal(s->missing, 1);
    wl_series_free(s);
    s = load_ok("tests/data/traces/dommemstat.log", WL_TRACE_DOMMEMSTAT, "rss");
    assert_true(s->v[0] == 3500000 * KIB && s->v[2] == 3700000 * KIB);
    wl_series_free(s);
    /* "# t=" and bare Unix times, fields with a colon */
    s = load_ok(write_file("d.log", "# t=100\nactual 10\n\n# a comment\n# t=160.5\nactual: 20\n"
                                    "1714564800\nactual 30\n",
                           0),
                WL_TRACE_DOMMEMSTAT, "actual");
    assert_int_equal(s->n, 3);
    assert_true(s->t[1] == 60500 * 1000000LL);
    assert_true(s->v[1] == 20 * KIB && s->v[2] == 30 * KIB);
    wl_series_free(s);

    load_fails("d1.log", "actual 10\n2024-05-01T12:00:00Z\n", 0, WL_TRACE_DOMMEMSTAT, NULL,
               "%s:1: expected a timestamp line before the first field, found 'actual 10'");
    load_fails("d2.log", "2024-05-01T12:00:00Z\nactual ten\n", 0, WL_TRACE_DOMMEMSTAT, NULL,
               "%s:2: expected a timestamp or a 'field value' line of virsh dommemstat, found "
               "'actual ten'");
    load_fails("d3.log", "# t=10\nusable 1\n# t=5\nusable 2\n", 0, WL_TRACE_DOMMEMSTAT, "usable",
               "%s:3: expected a time after the previous row's (line 1), found '# t=5'");
    load_fails("d4.log", "# t=10\nactual 1\n", 0, WL_TRACE_DOMMEMSTAT, NULL,
               "%s: expected data rows, found only missing values of 'available-usable'");
    load_fails("d5.log", "2024-13-01T12:00:00Z\nactual 1\n", 0, WL_TRACE_DOMMEMSTAT, NULL,
               "%s:1: expected a timestamp or a 'field value' line of virsh dommemstat, found "
               "'2024-13-01T12:00:00Z'");
}

/* ---- replay: step, linear, loop, offset, scale, time_scale ---- */

static void test_replay_step(void **state)
{
    (void)state;
    fx f;
    wl_gen *g = four(&f, "");
    bs_time nx;
    assert_int_equal(at(g, 0, &nx), 100 * MIB_P);
    assert_true(nx == 300 * SEC);
    assert_int_equal(at(g, 299 * SEC, &nx), 100 * MIB_P);
    assert_int_equal(at(g, 300 * SEC, &nx), 200 * MIB_P);
    assert_true(nx == 600 * SEC);
    assert_int_equal(at(g, 900 * SEC, &nx), 300 * MIB_P);
    assert_true(nx == BS_TIME_NEVER);
    assert_int_equal(at(g, 40 * DAY, &nx), 300 * MIB_P);
    wl_gen_free(g);
    g = gen(f.spec, GIB_P); /* first asked late */
    assert_int_equal(at(g, 700 * SEC, &nx), 400 * MIB_P);
    assert_true(nx == 900 * SEC);
    wl_gen_free(g);
    fx_free(&f);
}

static void test_replay_linear(void **state)
{
    (void)state;
    fx f;
    wl_gen *g = four(&f, "interpolate: linear\n");
    bs_time nx;
    assert_int_equal(at(g, 0, &nx), 100 * MIB_P);
    assert_true(nx == 60 * SEC); /* rows are 300 s apart: stepped every 60 s */
    assert_int_equal(at(g, 60 * SEC, &nx), 120 * MIB_P);
    assert_int_equal(at(g, 90 * SEC, &nx), 120 * MIB_P); /* held within the step */
    assert_true(nx == 120 * SEC);
    assert_int_equal(at(g, 300 * SEC, &nx), 200 * MIB_P);
    assert_int_equal(at(g, 360 * SEC, &nx), 240 * MIB_P);
    assert_int_equal(at(g, 840 * SEC, &nx), 320 * MIB_P); /* 400 -> 300, 4/5 of the way */
    assert_int_equal(at(g, 900 * SEC, &nx), 300 * MIB_P);
    assert_true(nx == BS_TIME_NEVER); /* after the last row it holds */
    wl_gen_free(g);
    fx_free(&f);

    /* Rows finer than 60 s: a change at every row. */
    write_file("fine.csv", "time_s,mem_mib\n0,10\n10,20\n20,40\n", 0);
    fx_ok(&f, "type: trace\nfile: fine.csv\ninterpolate: linear\n", tmpdir);
    g = gen(f.spec, GIB_P);
    assert_int_equal(at(g, 0, &nx), 10 * MIB_P);
    assert_true(nx == 10 * SEC);
    assert_int_equal(at(g, 5 * SEC, &nx), 10 * MIB_P);
    assert_int_equal(at(g, 10 * SEC, &nx), 20 * MIB_P);
    assert_true(nx == 20 * SEC);
    wl_gen_free(g);
    fx_free(&f);

    /* Rows not on the minute grid: changes at rows and at grid points. */
    write_file("odd.csv", "time_s,mem_mib\n0,0\n90,90\n", 0);
    fx_ok(&f, "type: trace\nfile: odd.csv\ninterpolate: linear\n", tmpdir);
    g = gen(f.spec, GIB_P);
    assert_int_equal(at(g, 0, &nx), 0);
    assert_true(nx == 60 * SEC);
    assert_int_equal(at(g, 60 * SEC, &nx), 60 * MIB_P);
    assert_true(nx == 90 * SEC);
    assert_int_equal(at(g, 90 * SEC, &nx), 90 * MIB_P);
    wl_gen_free(g);
    fx_free(&f);
}

static void test_replay_loop(void **state)
{
    (void)state;
    fx f;
    /* period = last time 900 s + median spacing 300 s = 1200 s */
    wl_gen *g = four(&f, "loop: true\n");
    bs_time nx;
    assert_int_equal(at(g, 900 * SEC, &nx), 300 * MIB_P);
    assert_true(nx == 1200 * SEC);
    assert_int_equal(at(g, 1200 * SEC, &nx), 100 * MIB_P);
    assert_true(nx == 1500 * SEC);
    assert_int_equal(at(g, 1500 * SEC, &nx), 200 * MIB_P);
    assert_int_equal(at(g, 100 * 1200 * SEC + 650 * SEC, &nx), 400 * MIB_P);
    assert_true(nx == 100 * 1200 * SEC + 900 * SEC);
    wl_gen_free(g);
    fx_free(&f);

    g = four(&f, "loop: true\ninterpolate: linear\n");
    /* last row 300 MiB back to the first 100 MiB over 900..1200 s */
    assert_int_equal(at(g, 1020 * SEC, &nx), 220 * MIB_P);
    assert_int_equal(at(g, 1200 * SEC, &nx), 100 * MIB_P);
    assert_int_equal(at(g, 1260 * SEC, &nx), 120 * MIB_P);
    wl_gen_free(g);
    fx_free(&f);

    /* uneven spacing: 0, 10, 20, 100 -> spacings 10, 10, 80 -> median 10 */
    write_file("uneven.csv", "t,mem_mib\n0,1\n10,2\n20,3\n100,4\n", 0);
    fx_ok(&f, "type: trace\nfile: uneven.csv\nloop: true\n", tmpdir);
    g = gen(f.spec, GIB_P);
    assert_int_equal(at(g, 100 * SEC, &nx), 4 * MIB_P);
    assert_true(nx == 110 * SEC);
    assert_int_equal(at(g, 110 * SEC, &nx), MIB_P);
    wl_gen_free(g);
    fx_free(&f);
}

static void test_replay_offset_scale_time_scale(void **state)
{
    (void)state;
    fx f;
    bs_time nx;
    wl_gen *g = four(&f, "offset: 5m\n");
    assert_int_equal(at(g, 0, &nx), 200 * MIB_P);
    assert_true(nx == 300 * SEC);
    assert_int_equal(at(g, 300 * SEC, &nx), 400 * MIB_P);
    assert_int_equal(at(g, 600 * SEC, &nx), 300 * MIB_P);
    assert_true(nx == BS_TIME_NEVER);
    wl_gen_free(g);
    fx_free(&f);

    g = four(&f, "offset: 1h\nloop: true\n"); /* 3600 s = 3 periods of 1200 s */
    assert_int_equal(at(g, 0, &nx), 100 * MIB_P);
    assert_true(nx == 300 * SEC);
    wl_gen_free(g);
    fx_free(&f);

    g = four(&f, "scale: 0.5\n");
    assert_int_equal(at(g, 0, &nx), 50 * MIB_P);
    assert_int_equal(at(g, 600 * SEC, &nx), 200 * MIB_P);
    wl_gen_free(g);
    fx_free(&f);

    g = four(&f, "scale: 3\n");
    assert_int_equal(at(g, 300 * SEC, &nx), 600 * MIB_P);
    wl_gen_free(g);
    fx_free(&f);

    g = four(&f, "time_scale: 2\n"); /* rows at 0, 600, 1200, 1800 s */
    assert_int_equal(at(g, 599 * SEC, &nx), 100 * MIB_P);
    assert_true(nx == 600 * SEC);
    assert_int_equal(at(g, 1800 * SEC, &nx), 300 * MIB_P);
    wl_gen_free(g);
    fx_free(&f);

    g = four(&f, "time_scale: 0.1\noffset: 30s\n"); /* rows at 0, 30, 60, 90 s; offset scaled time */
    assert_int_equal(at(g, 0, &nx), 200 * MIB_P);
    assert_true(nx == 30 * SEC);
    assert_int_equal(at(g, 30 * SEC, &nx), 400 * MIB_P);
    wl_gen_free(g);
    fx_free(&f);
}

static void test_replay_config_errors(void **state)
{
    (void)state;
    write_file("four.csv", four_rows, 0);
    yaml_fails("type: trace\nfile: four.csv\nformat: xml\n", tmpdir,
               "w.yaml:3:9: workload.format: expected a trace format (one of: csv, bitbrains, "
               "alibaba, dommemstat), found 'xml'");
    yaml_fails("type: trace\nfile: four.csv\ninterpolate: cubic\n", tmpdir,
               "w.yaml:3:14: workload.interpolate: expected step or linear, found 'cubic'");
    yaml_fails("type: trace\nfile: four.csv\ntime_scale: 0\n", tmpdir,
               "workload.time_scale: expected a number above 0, found '0'");
    yaml_fails("type: trace\nfile: four.csv\nscale: -1\n", tmpdir,
               "workload.scale: expected a number of 0 or more, found '-1'");
    yaml_fails("type: trace\nfile: four.csv\nloop: yes\n", tmpdir, "workload.loop");
    yaml_fails("type: trace\nformat: csv\n", tmpdir, "workload: missing required key 'file'");
    yaml_fails("type: trace\nfile: four.csv\ncolumns: mem\n", tmpdir,
               "workload.columns: unknown key 'columns' (expected one of: type, file, directory, "
               "pattern, loop_files, format, column, scale, time_scale, offset, loop, "
               "interpolate)");
    char want[256];
    snprintf(want, sizeof want,
             "w.yaml:2:7: workload.file: cannot open trace '%s/nope.csv': No such file or "
             "directory",
             tmpdir);
    yaml_fails("type: trace\nfile: nope.csv\n", tmpdir, want);
    /* Errors inside the trace name the trace file and line, joined to the
     * scenario's errors. */
    write_file("bad.csv", "t,mem_mib\n0,1\n60,abc\n", 0);
    snprintf(want, sizeof want, "%s/bad.csv:3: expected a number in column 'mem_mib', found 'abc'",
             tmpdir);
    yaml_fails("type: trace\nfile: bad.csv\n", tmpdir, want);
    yaml_fails("type: trace\nfile: four.csv\ntime_scale: 1e-12\n", tmpdir,
               "workload.time_scale: expected a time_scale that keeps rows at least 1 ns apart");
}

static void test_format_names(void **state)
{
    (void)state;
    static const char *const names[] = {"csv", "bitbrains", "alibaba", "dommemstat"};
    for (size_t i = 0; i < 4; i++) {
        wl_trace_format f;
        assert_int_equal(wl_trace_format_parse(names[i], &f), BS_OK);
        assert_string_equal(wl_trace_format_name(f), names[i]);
    }
    wl_trace_format f;
    assert_int_equal(wl_trace_format_parse("CSV", &f), BS_ERR_INPUT);
    assert_int_equal(wl_trace_format_parse("", &f), BS_ERR_INPUT);
}

/* ---- the `directory:` form ---- */

/* tests/data/traces/dir: 01-web.csv, 02-db.csv, 03-cache.csv (rows at 0, 60,
 * 120 s of 100/110/120, 200/210/220, 300/310/320 MiB), plus a hidden file and
 * a directory named 04-sub.csv that must both be skipped. */
static const char *data_dir(void)
{
    static char path[1024];
    char cwd[900];
    assert_non_null(getcwd(cwd, sizeof cwd));
    snprintf(path, sizeof path, "%s/tests/data/traces/dir", cwd);
    return path;
}

static wl_gen *gen_instance(const wl_spec *s, size_t k, size_t n)
{
    wl_vm_info vm = {.name = "vm", .seed = 1, .memory = 4 * GIB_P, .purpose = "demand",
                     .instance = k, .instances = n};
    wl_gen *g = NULL;
    assert_int_equal(wl_instantiate(s, &vm, &g), BS_OK);
    return g;
}

/* A scenario with one host (count hosts) and one VM entry (count vms). */
static bs_rc dir_scenario(int hosts, int vms, const char *extra, cfg_errs *errs, scen **out)
{
    char yaml[2048];
    snprintf(yaml, sizeof yaml,
             "duration: 1h\n"
             "hosts:\n"
             "  - name: node\n"
             "    count: %d\n"
             "    memory: 64GiB\n"
             "    vms:\n"
             "      - name: web\n"
             "        count: %d\n"
             "        memory: 4GiB\n"
             "        workload:\n"
             "          type: trace\n"
             "          directory: %s\n"
             "%s",
             hosts, vms, data_dir(), extra);
    return th_try_load(yaml, errs, out);
}

static void test_replay_directory_maps_files_in_name_order(void **state)
{
    (void)state;
    cfg_errs errs = {0};
    scen *sc = NULL;
    if (dir_scenario(1, 3, "", &errs, &sc) != BS_OK) cfg_errs_print(&errs, stderr);
    assert_non_null(sc);
    assert_int_equal(sc->n_vms, 3);
    /* Instance k of the entry replays the k-th file by name. */
    const bs_pages first[3] = {100 * MIB_P, 200 * MIB_P, 300 * MIB_P};
    for (size_t k = 0; k < 3; k++) {
        const scen_vm *v = &sc->vms[k];
        assert_int_equal(v->entry_index, k);
        assert_int_equal(v->entry_count, 3);
        wl_gen *g = gen_instance(v->demand, v->entry_index, v->entry_count);
        bs_time nx;
        assert_int_equal(at(g, 0, &nx), first[k]);
        assert_int_equal(nx, 60 * SEC);
        assert_int_equal(at(g, 60 * SEC, NULL), first[k] + 10 * MIB_P);
        assert_int_equal(at(g, 10 * HOUR, NULL), first[k] + 20 * MIB_P);
        wl_gen_free(g);
    }
    /* The engine hands the instance to the workload: web-k demands file k. */
    th_capture cap = {0};
    eng_result res = {0};
    th_run(sc, &cap, &res);
    size_t seen = 0;
    for (size_t i = 0; i < cap.n_vm_rows; i++) {
        const eng_vm_sample *r = &cap.vm_rows[i];
        if (r->t != 60 * SEC) continue;
        size_t k = (size_t)(r->vm[strlen(r->vm) - 1] - '1');
        assert_true(k < 3);
        assert_int_equal(r->demand, (first[k] + 10 * MIB_P) * BS_PAGE_SIZE);
        seen++;
    }
    assert_int_equal(seen, 3);
    th_capture_free(&cap);
    eng_result_free(&res);
    scen_free(sc);
    cfg_errs_free(&errs);
}

static void test_replay_directory_fewer_files_than_vms(void **state)
{
    (void)state;
    cfg_errs errs = {0};
    scen *sc = NULL;
    assert_int_equal(dir_scenario(1, 4, "", &errs, &sc), BS_ERR_INPUT);
    assert_null(sc);
    char want[1200];
    snprintf(want, sizeof want,
             ":12:22: hosts[0].vms[0].workload.directory: expected at least 4 trace files (one "
             "per VM instance of this entry), found 3 in '%s' (loop_files: true reuses them)",
             data_dir());
    assert_int_equal(errs.n, 1);
    assert_non_null(strstr(errs.msgs[0], want));
    cfg_errs_free(&errs);

    /* A host count multiplies the instances: 2 hosts x 2 VMs need 4 files. */
    errs = (cfg_errs){0};
    assert_int_equal(dir_scenario(2, 2, "", &errs, &sc), BS_ERR_INPUT);
    assert_int_equal(errs.n, 1);
    assert_non_null(strstr(errs.msgs[0], "expected at least 4 trace files"));
    cfg_errs_free(&errs);

    /* Exactly as many files as VMs is fine; fewer VMs than files too. */
    errs = (cfg_errs){0};
    assert_int_equal(dir_scenario(1, 2, "", &errs, &sc), BS_OK);
    scen_free(sc);
    cfg_errs_free(&errs);
}

static void test_replay_directory_loop_files_wraps(void **state)
{
    (void)state;
    cfg_errs errs = {0};
    scen *sc = NULL;
    assert_int_equal(dir_scenario(2, 4, "          loop_files: true\n", &errs, &sc), BS_OK);
    assert_int_equal(sc->n_vms, 8);
    /* node-2.web-1 is the entry's instance 4 (host 1 x count 4 + 0): file 4 mod 3 = 1. */
    size_t i = scen_find_vm(sc, "node-2.web-1");
    assert_true(i < sc->n_vms);
    const scen_vm *v = &sc->vms[i];
    assert_int_equal(v->entry_index, 4);
    assert_int_equal(v->entry_count, 8);
    wl_gen *g = gen_instance(v->demand, v->entry_index, v->entry_count);
    assert_int_equal(at(g, 0, NULL), 200 * MIB_P);
    wl_gen_free(g);
    /* node-1.web-4: instance 3 -> file 0. */
    v = &sc->vms[scen_find_vm(sc, "node-1.web-4")];
    assert_int_equal(v->entry_index, 3);
    g = gen_instance(v->demand, v->entry_index, v->entry_count);
    assert_int_equal(at(g, 0, NULL), 100 * MIB_P);
    wl_gen_free(g);
    scen_free(sc);
    cfg_errs_free(&errs);
}

static void test_replay_directory_pattern_and_options(void **state)
{
    (void)state;
    char yaml[1400];
    fx f;
    /* The pattern picks 01 and 03; scale and offset apply to every file. */
    snprintf(yaml, sizeof yaml,
             "type: trace\ndirectory: %s\npattern: \"0[13]-*.csv\"\nscale: 2\noffset: 60s\n",
             data_dir());
    fx_ok(&f, yaml, ".");
    wl_gen *g = gen_instance(f.spec, 1, 2);
    assert_int_equal(at(g, 0, NULL), 2 * 310 * MIB_P);
    wl_gen_free(g);
    assert_int_equal(wl_check_instances(&f.cx, f.spec, 2), BS_OK);
    assert_int_equal(f.errs.n, 0);
    assert_int_equal(wl_check_instances(&f.cx, f.spec, 3), BS_ERR_INPUT);
    assert_int_equal(f.errs.n, 1);
    assert_non_null(strstr(f.errs.msgs[0], "found 2 in"));
    fx_free(&f);

    /* Relative to the scenario's directory. */
    fx_ok(&f, "type: trace\ndirectory: dir\n", "tests/data/traces");
    g = gen_instance(f.spec, 2, 3);
    assert_int_equal(at(g, 0, NULL), 300 * MIB_P);
    wl_gen_free(g);
    /* A `file:` trace serves any number of instances. */
    fx_free(&f);
    fx_ok(&f, "type: trace\nfile: dir/02-db.csv\n", "tests/data/traces");
    assert_int_equal(wl_check_instances(&f.cx, f.spec, 1000), BS_OK);
    g = gen_instance(f.spec, 7, 1000);
    assert_int_equal(at(g, 0, NULL), 200 * MIB_P);
    wl_gen_free(g);
    fx_free(&f);
}

static void test_replay_directory_config_errors(void **state)
{
    (void)state;
    char yaml[1400];
    snprintf(yaml, sizeof yaml, "type: trace\ndirectory: %s\npattern: \"*.json\"\n", data_dir());
    char want[1200];
    snprintf(want, sizeof want,
             "w.yaml:2:12: workload.directory: expected trace files matching '*.json' in '%s', "
             "found none",
             data_dir());
    yaml_fails(yaml, ".", want);
    yaml_fails("type: trace\ndirectory: no-such-dir\n", "tests/data",
               "w.yaml:2:12: workload.directory: cannot open trace directory 'no-such-dir': ");
    yaml_fails("type: trace\nfile: a.csv\ndirectory: dir\n", "tests/data/traces",
               "w.yaml:3:12: workload.directory: expected either 'file' or 'directory', "
               "found both");
    yaml_fails("type: trace\nformat: csv\n", ".",
               "w.yaml:1:1: workload: missing required key 'file' (or 'directory')");
    yaml_fails("type: trace\nfile: dir/01-web.csv\npattern: \"*\"\n", "tests/data/traces",
               "w.yaml:3:10: workload.pattern: 'pattern' applies only to 'directory', not to "
               "'file'");
    yaml_fails("type: trace\nfile: dir/01-web.csv\nloop_files: true\n", "tests/data/traces",
               "workload.loop_files: 'loop_files' applies only to 'directory'");
    snprintf(yaml, sizeof yaml, "type: trace\ndirectory: %s\nloop_files: maybe\n", data_dir());
    yaml_fails(yaml, ".", "workload.loop_files: expected");
}

/* Every bad file of a directory is reported, each by its own file and line. */
static void test_replay_directory_bad_files(void **state)
{
    (void)state;
    write_file("dirbad-1.csv", "t,mem_mib\n0,100\n60,120\n", 0);
    write_file("dirbad-2.csv", "t,mem_mib\n0,100\n60,oops\n", 0);
    write_file("dirbad-3.csv", "t,mem_mib\n0,100\n60,120\n30,130\n", 0);
    char yaml[1400];
    snprintf(yaml, sizeof yaml, "type: trace\ndirectory: %s\npattern: \"dirbad-*.csv\"\n", tmpdir);
    fx f;
    assert_int_equal(fx_try(&f, yaml, "."), BS_ERR_INPUT);
    assert_null(f.spec);
    char want2[256], want3[256];
    snprintf(want2, sizeof want2, "%s/dirbad-2.csv:3: expected a number in column 'mem_mib', "
                                  "found 'oops'", tmpdir);
    snprintf(want3, sizeof want3, "%s/dirbad-3.csv:4: expected a time after the previous row's "
                                  "(line 3), found '30'", tmpdir);
    assert_int_equal(f.errs.n, 2);
    assert_string_equal(f.errs.msgs[0], want2);
    assert_string_equal(f.errs.msgs[1], want3);
    fx_free(&f);

    /* Nested in a sum, the directory is checked against the instances too. */
    snprintf(yaml, sizeof yaml,
             "type: sum\nparts:\n  - {type: constant, size: 1GiB}\n"
             "  - {type: trace, directory: %s}\n",
             data_dir());
    fx_ok(&f, yaml, ".");
    assert_int_equal(wl_check_instances(&f.cx, f.spec, 3), BS_OK);
    assert_int_equal(wl_check_instances(&f.cx, f.spec, 5), BS_ERR_INPUT);
    assert_non_null(strstr(f.errs.msgs[0], "workload.parts[1].directory: expected at least 5"));
    fx_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bitbrains_sample),
        cmocka_unit_test(test_bitbrains_replay_pages),
        cmocka_unit_test(test_bitbrains_separators_missing_headerless),
        cmocka_unit_test(test_bitbrains_errors),
        cmocka_unit_test(test_csv_units_comments_default_column),
        cmocka_unit_test(test_csv_time_and_size_suffixes),
        cmocka_unit_test(test_csv_layout_tolerance),
        cmocka_unit_test(test_csv_errors),
        cmocka_unit_test(test_alibaba),
        cmocka_unit_test(test_dommemstat),
        cmocka_unit_test(test_replay_step),
        cmocka_unit_test(test_replay_linear),
        cmocka_unit_test(test_replay_loop),
        cmocka_unit_test(test_replay_offset_scale_time_scale),
        cmocka_unit_test(test_replay_config_errors),
        cmocka_unit_test(test_format_names),
        cmocka_unit_test(test_replay_directory_maps_files_in_name_order),
        cmocka_unit_test(test_replay_directory_fewer_files_than_vms),
        cmocka_unit_test(test_replay_directory_loop_files_wraps),
        cmocka_unit_test(test_replay_directory_pattern_and_options),
        cmocka_unit_test(test_replay_directory_config_errors),
        cmocka_unit_test(test_replay_directory_bad_files),
    };
    return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
