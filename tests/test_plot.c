/* test_plot.c -- gnuplot scripts and rendering (sim/plot.c).
 *
 * Scenarios and results are built by hand; rendering tests write tiny CSVs
 * themselves and skip when gnuplot is not installed.  Which VMs a script must
 * show is computed here from the stall values, independently of plot.c. */
#define _XOPEN_SOURCE 700 /* setenv */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plots/gp_template.h"
#include "plots/plot.h"
#include "plots/compare_plot.h"
#include "plots/plan_plot.h"
#include "plots/sweep_plot.h"
#include "tests/helpers.h"

#define SEC BS_NS_PER_S

static void spit(const char *dir, const char *name, const char *text)
{
    char *p = th_path(dir, name);
    FILE *f = fopen(p, "w");
    free(p);
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static bool is_png(const char *dir, const char *name)
{
    char *p = th_path(dir, name);
    FILE *f = fopen(p, "rb");
    free(p);
    if (f == NULL)
        return false;
    unsigned char magic[8] = {0};
    size_t n = fread(magic, 1, 8, f);
    fclose(f);
    return n == 8 && memcmp(magic, "\x89PNG\r\n\x1a\n", 8) == 0;
}

static bool have_gnuplot(void)
{
    return system("command -v gnuplot >/dev/null 2>&1") == 0;
}

static const pol_type fake_policy = {.name = "static"};

#define NV 20
#define NH 10
typedef struct fixture {
    scen sc;
    scen_host hosts[NH];
    scen_vm vms[NV];
    char hnames[NH][32], vnames[NV][32];
    eng_result res;
    met_values mv_hosts[NH], mv_vms[NV];
} fixture;

static void fixture_init(fixture *fx, size_t n_hosts, size_t n_vms)
{
    memset(fx, 0, sizeof *fx);
    for (size_t h = 0; h < n_hosts; h++) {
        snprintf(fx->hnames[h], 32, "node-%zu", h + 1);
        fx->hosts[h] = (scen_host){.name = fx->hnames[h], .index = h};
    }
    for (size_t i = 0; i < n_vms; i++) {
        snprintf(fx->vnames[i], 32, "vm-%zu", i + 1);
        fx->vms[i] = (scen_vm){.name = fx->vnames[i], .host = i % n_hosts, .index = i};
    }
    fx->sc.name = (char *)"plotted";
    fx->sc.duration = 3 * 3600 * SEC;
    fx->sc.seed = 3;
    fx->sc.policy.type = &fake_policy;
    fx->sc.hosts = fx->hosts;
    fx->sc.n_hosts = n_hosts;
    fx->sc.vms = fx->vms;
    fx->sc.n_vms = n_vms;
    fx->res.hosts = fx->mv_hosts;
    fx->res.vms = fx->mv_vms;
    fx->res.n_hosts = n_hosts;
    fx->res.n_vms = n_vms;
}

/* CSVs for `fx`: three samples per VM and host. */
static void write_csvs(const char *dir, const fixture *fx)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    fputs("time_s,host,vm,demand_bytes,cache_bytes,actual_bytes,target_bytes,resident_bytes,"
          "guest_swapped_bytes,host_swapped_bytes,stall_fraction\n",
          m);
    for (int t = 0; t < 3; t++)
        for (size_t i = 0; i < fx->sc.n_vms; i++)
            fprintf(m, "%d,%s,%s,%lld,0,%lld,%lld,0,0,0,%g\n", t * 3600,
                    fx->hosts[fx->vms[i].host].name, fx->vms[i].name, (t + 1) * (1LL << 29),
                    1LL << 31, 1LL << 31, t * 0.25);
    fclose(m);
    spit(dir, "timeseries.csv", buf);
    free(buf);
    buf = NULL;
    m = open_memstream(&buf, &len);
    fputs("time_s,host,used_bytes,free_bytes,swapped_bytes\n", m);
    for (int t = 0; t < 3; t++)
        for (size_t h = 0; h < fx->sc.n_hosts; h++)
            fprintf(m, "%d,%s,%lld,%lld,0\n", t * 3600, fx->hosts[h].name, (t + 1) * (1LL << 30),
                    (4 - t) * (1LL << 30));
    fclose(m);
    spit(dir, "hosts.csv", buf);
    free(buf);
}

/* ------------------------------------------------------------------ */

static void test_scripts_written(void **state)
{
    (void)state;
    char *tmp = th_make_tmpdir("plot");
    fixture fx;
    fixture_init(&fx, 2, 3);
    assert_int_equal(plot_write_run_scripts(tmp, &fx.sc, &fx.res), BS_OK);
    char *pdir = th_path(tmp, "plots");
    assert_int_equal(th_count_entries(pdir, ".gp"), 3);
    assert_int_equal(th_count_entries(pdir, "tmp"), 0);
    assert_int_equal(plot_count_scripts(tmp), 3);
    static const char *const names[] = {"memory.gp", "host.gp", "stall.gp"};
    for (int s = 0; s < 3; s++) {
        char *g = th_slurp_or_fail(pdir, names[s]);
        assert_non_null(strstr(g, "set terminal pngcairo size 1200,800"));
        assert_non_null(strstr(g, "set datafile separator ','"));
        assert_non_null(strstr(g, "every ::1"));
        assert_non_null(strstr(g, "set output out"));
        /* 3 h run: the x axis is in hours */
        assert_non_null(strstr(g, "set xlabel 'time ('.tunit.')'"));
        assert_non_null(strstr(g, "tunit = 'h'\n"));
        assert_non_null(strstr(g, "tu = 3600"));
        free(g);
    }
    char *mem = th_slurp_or_fail(pdir, "memory.gp");
    assert_non_null(strstr(mem, "if (!exists(\"out\")) out = 'memory.png'"));
    /* One pass over the CSV picks the shown VMs' rows, numbered 1..n. */
    assert_non_null(strstr(mem, "pick(s) = s eq 'vm-1' ? 1 : s eq 'vm-2' ? 2 : s eq 'vm-3' ? 3 : 0\n"));
    assert_non_null(strstr(mem, "n = 3\narray name[3] = ['vm-1', 'vm-2', 'vm-3']\n"));
    assert_non_null(strstr(mem, "plot '../timeseries.csv' every ::1 using 1:(pick(strcol(3))):4:6:7 "
                                "with table if (pick(strcol(3)) > 0)\n"));
    assert_non_null(strstr(mem, "rows = 2\ncols = 2\n"));
    assert_non_null(strstr(mem, "title_note = ''\n"));
    assert_non_null(strstr(mem, "xmax = 3\n"));
    char *host = th_slurp_or_fail(pdir, "host.gp");
    assert_non_null(strstr(host, "pick(s) = s eq 'node-1' ? 1 : s eq 'node-2' ? 2 : 0\n"));
    assert_non_null(strstr(host, "plot '../hosts.csv' every ::1 using 1:(pick(strcol(2))):3:4:5 "));
    assert_non_null(strstr(host, "($2 == k ? $5/GiB : NaN) with lines lw 1.5 title 'swapped'"));
    char *stall = th_slurp_or_fail(pdir, "stall.gp");
    assert_non_null(strstr(stall, "using 1:(pick(strcol(3))):11 with table"));
    assert_non_null(strstr(stall, "($2 == k ? $3 : NaN) with lines lw 1.5 title name[k]"));
    free(mem);
    free(host);
    free(stall);
    free(pdir);
    th_rm_rf(tmp);
    free(tmp);
}

static void test_most_stalled_vms_and_first_hosts(void **state)
{
    (void)state;
    char *tmp = th_make_tmpdir("plot");
    fixture fx;
    fixture_init(&fx, NH, NV);
    /* stall_s of vm-(i+1) = (7 i) mod 20: a permutation of 0..19, so the 12
     * most stalled are exactly those with a value >= 8. */
    for (size_t i = 0; i < NV; i++) {
        fx.mv_vms[i].v[MET_STALL_S] = (double)((7 * i) % 20);
        fx.mv_vms[i].present[MET_STALL_S] = true;
    }
    assert_int_equal(plot_write_run_scripts(tmp, &fx.sc, &fx.res), BS_OK);
    char *pdir = th_path(tmp, "plots");
    char *mem = th_slurp_or_fail(pdir, "memory.gp");
    char *stall = th_slurp_or_fail(pdir, "stall.gp");
    int shown = 0;
    for (size_t i = 0; i < NV; i++) {
        char key[32];
        snprintf(key, sizeof key, "eq 'vm-%zu'", i + 1);
        bool want = (7 * i) % 20 >= 8;
        assert_int_equal(strstr(mem, key) != NULL, want);
        assert_int_equal(strstr(stall, key) != NULL, want);
        shown += want;
    }
    assert_int_equal(shown, PLOT_MAX_VMS);
    assert_non_null(strstr(mem, "rows = 3\ncols = 4\n"));
    assert_non_null(strstr(mem, "title_note = ' (the 12 of 20 VMs with the most stall)'\n"));
    char *host = th_slurp_or_fail(pdir, "host.gp");
    for (size_t h = 0; h < NH; h++) {
        char key[32];
        snprintf(key, sizeof key, "eq 'node-%zu'", h + 1);
        assert_int_equal(strstr(host, key) != NULL, h < PLOT_MAX_HOSTS);
    }
    free(mem);
    free(stall);
    free(host);

    /* Without a result: the first 12 in scenario order. */
    assert_int_equal(plot_write_run_scripts(tmp, &fx.sc, NULL), BS_OK);
    mem = th_slurp_or_fail(pdir, "memory.gp");
    assert_non_null(strstr(mem, "eq 'vm-1'"));
    assert_non_null(strstr(mem, "eq 'vm-12'"));
    assert_null(strstr(mem, "eq 'vm-13'"));
    free(mem);
    free(pdir);
    th_rm_rf(tmp);
    free(tmp);
}

static void test_names_are_quoted_for_gnuplot(void **state)
{
    (void)state;
    char *tmp = th_make_tmpdir("plot");
    fixture fx;
    fixture_init(&fx, 1, 1);
    fx.vms[0].name = (char *)"it's\nhere";
    fx.sc.name = (char *)"o'k";
    assert_int_equal(plot_write_run_scripts(tmp, &fx.sc, NULL), BS_OK);
    char *pdir = th_path(tmp, "plots");
    char *mem = th_slurp_or_fail(pdir, "memory.gp");
    assert_non_null(strstr(mem, "eq 'it''s?here'"));
    assert_non_null(strstr(mem, "title_run = 'o''k'"));
    free(mem);
    free(pdir);
    th_rm_rf(tmp);
    free(tmp);
}

static void test_render_draws_pngs(void **state)
{
    (void)state;
    if (!have_gnuplot())
        skip();
    char *tmp = th_make_tmpdir("plot");
    fixture fx;
    fixture_init(&fx, 2, 3);
    fx.vms[1].name = (char *)"vm"; /* same text as the header's column name */
    write_csvs(tmp, &fx);
    assert_int_equal(plot_write_run_scripts(tmp, &fx.sc, &fx.res), BS_OK);
    bool skipped = true;
    assert_int_equal(plot_render(tmp, &skipped), BS_OK);
    assert_false(skipped);
    char *pdir = th_path(tmp, "plots");
    assert_true(is_png(pdir, "memory.png"));
    assert_true(is_png(pdir, "host.png"));
    assert_true(is_png(pdir, "stall.png"));
    assert_int_equal(th_count_entries(pdir, "tmp"), 0);
    free(pdir);
    th_rm_rf(tmp);
    free(tmp);
}

static void test_render_failing_script(void **state)
{
    (void)state;
    if (!have_gnuplot())
        skip();
    char *tmp = th_make_tmpdir("plot");
    fixture fx;
    fixture_init(&fx, 1, 1);
    write_csvs(tmp, &fx);
    assert_int_equal(plot_write_run_scripts(tmp, &fx.sc, &fx.res), BS_OK);
    char *pdir = th_path(tmp, "plots");
    spit(pdir, "broken.gp", "if (!exists(\"out\")) out = 'broken.png'\n"
                            "set terminal pngcairo\nset output out\nthis is not gnuplot\n");
    bool skipped = true;
    assert_int_equal(plot_render(tmp, &skipped), BS_ERR_INTERNAL);
    assert_false(th_exists(pdir, "broken.png"));
    assert_true(is_png(pdir, "memory.png")); /* the good ones are still drawn */
    assert_int_equal(th_count_entries(pdir, "tmp"), 0);
    free(pdir);
    th_rm_rf(tmp);
    free(tmp);
}

static void test_render_without_gnuplot(void **state)
{
    (void)state;
    char *tmp = th_make_tmpdir("plot");
    fixture fx;
    fixture_init(&fx, 1, 1);
    write_csvs(tmp, &fx);
    assert_int_equal(plot_write_run_scripts(tmp, &fx.sc, &fx.res), BS_OK);
    char *old = getenv("PATH") ? strdup(getenv("PATH")) : NULL;
    setenv("PATH", tmp, 1); /* a directory without gnuplot */
    bool skipped = false;
    bs_rc rc = plot_render(tmp, &skipped);
    if (old) {
        setenv("PATH", old, 1);
        free(old);
    }
    assert_int_equal(rc, BS_OK);
    assert_true(skipped);
    char *pdir = th_path(tmp, "plots");
    assert_int_equal(th_count_entries(pdir, ".png"), 0);
    free(pdir);
    th_rm_rf(tmp);
    free(tmp);
}

static void test_render_needs_scripts(void **state)
{
    (void)state;
    char *tmp = th_make_tmpdir("plot");
    bool skipped = true;
    assert_int_equal(plot_count_scripts(tmp), 0);
    assert_int_equal(plot_render(tmp, &skipped), BS_ERR_INPUT); /* no plots/ at all */
    assert_false(skipped);
    char *pdir = th_path(tmp, "plots");
    assert_int_equal(mkdir(pdir, 0777), 0);
    spit(pdir, "notes.txt", "not a script\n");
    spit(pdir, ".hidden.gp", "# a temporary, not a script\n");
    assert_int_equal(plot_count_scripts(tmp), 0);
    assert_int_equal(plot_render(tmp, &skipped), BS_ERR_INPUT);
    free(pdir);
    th_rm_rf(tmp);
    free(tmp);
}

/* ------------------------------------------------------------ templates */

/* The binary carries exactly the .gp files of plots/, byte for byte. */
static void test_embedded_templates_equal_files(void **state)
{
    (void)state;
    static const char *const want[] = {"compare-memory", "compare-metrics", "compare-stall-cdf", "host",
                                       "memory", "plan", "stall", "sweep"};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        assert_non_null(plot_gp_embedded(want[i]));
    assert_true(plot_gp_n_files >= 3);
    for (size_t i = 0; i < plot_gp_n_files; i++) {
        const plot_gp_file *e = &plot_gp_files[i];
        char file[256];
        snprintf(file, sizeof file, "%s.gp", e->name);
        char *text = th_slurp_or_fail("plots", file);
        assert_int_equal(strlen(text), e->len);
        assert_memory_equal(text, e->text, e->len);
        free(text);
    }
}

/* A written script is the generated header followed by the whole template. */
static void test_script_is_header_plus_template(void **state)
{
    (void)state;
    char *tmp = th_make_tmpdir("plot");
    fixture fx;
    fixture_init(&fx, 2, 3);
    assert_int_equal(plot_write_run_scripts(tmp, &fx.sc, &fx.res), BS_OK);
    char *pdir = th_path(tmp, "plots");
    static const char *const names[] = {"memory", "host", "stall"};
    for (int s = 0; s < 3; s++) {
        char file[32];
        snprintf(file, sizeof file, "%s.gp", names[s]);
        char *g = th_slurp_or_fail(pdir, file);
        char *t = th_slurp_or_fail("plots", file);
        size_t lg = strlen(g), lt = strlen(t);
        assert_true(lg > lt);
        assert_string_equal(g + lg - lt, t);
        assert_non_null(strstr(g, "title_run = 'plotted'.' / static / seed 3'\n"));
        free(g);
        free(t);
    }
    free(pdir);
    th_rm_rf(tmp);
    free(tmp);
}

/* BALLOONSIM_PLOTS=DIR: DIR/NAME.gp replaces the embedded template; one
 * missing from DIR falls back to the embedded copy. */
static void test_override_dir(void **state)
{
    (void)state;
    char *tmp = th_make_tmpdir("plot");
    char *tdir = th_path(tmp, "mine");
    assert_int_equal(mkdir(tdir, 0755), 0);
    spit(tdir, "memory.gp", "# my style\nset terminal pngcairo size 640,480\n");
    setenv("BALLOONSIM_PLOTS", tdir, 1);
    fixture fx;
    fixture_init(&fx, 2, 3);
    bs_rc rc = plot_write_run_scripts(tmp, &fx.sc, &fx.res);
    unsetenv("BALLOONSIM_PLOTS");
    assert_int_equal(rc, BS_OK);
    char *pdir = th_path(tmp, "plots");
    char *mem = th_slurp_or_fail(pdir, "memory.gp");
    assert_non_null(strstr(mem, "pick(s) = s eq 'vm-1'"));
    assert_non_null(strstr(mem, "\n# my style\nset terminal pngcairo size 640,480\n"));
    assert_null(strstr(mem, "1200,800"));
    char *host = th_slurp_or_fail(pdir, "host.gp");
    char *t = th_slurp_or_fail("plots", "host.gp");
    assert_non_null(strstr(host, t));
    free(t);
    free(host);
    free(mem);
    /* Unknown names fail clearly, with or without an override. */
    char *text;
    size_t len;
    assert_int_equal(plot_gp_template("no-such-picture", &text, &len), BS_ERR_INPUT);
    free(pdir);
    free(tdir);
    th_rm_rf(tmp);
    free(tmp);
}

/* Does the script g end with the whole template plots/NAME.gp? */
static void assert_ends_with_template(const char *g, const char *name)
{
    char file[64];
    snprintf(file, sizeof file, "%s.gp", name);
    char *t = th_slurp_or_fail("plots", file);
    size_t lg = strlen(g), lt = strlen(t);
    assert_true(lg > lt);
    assert_string_equal(g + lg - lt, t);
    free(t);
}

/* A template override directory holding only NAME.gp, set in the
 * environment; the caller unsets BALLOONSIM_PLOTS. */
static char *override_only(const char *tmp, const char *name)
{
    char *tdir = th_path(tmp, "mine");
    assert_int_equal(mkdir(tdir, 0755), 0);
    char file[64];
    snprintf(file, sizeof file, "%s.gp", name);
    spit(tdir, file, "# my style\nset terminal pngcairo size 640,480\n");
    setenv("BALLOONSIM_PLOTS", tdir, 1);
    return tdir;
}

/* A sweep of one numeric axis, two points of one seed each, stall_s only. */
static void sweep_script(const char *pdir)
{
    char *axes[] = {"hosts[0].vms[0].count"};
    swp_axis_kind kinds[] = {SWP_NUMBER};
    char *vals[] = {"16", "32"};
    char **values[] = {vals};
    size_t n_values[] = {2};
    size_t pos[2][1] = {{0}, {1}};
    swp_point pts[2];
    memset(pts, 0, sizeof pts);
    for (int p = 0; p < 2; p++) {
        pts[p].pos = pos[p];
        pts[p].n_runs = 1;
        pts[p].m[MET_STALL_S].n = 1;
        pts[p].m[MET_STALL_S].mean = 10.0 * (p + 1);
    }
    swp_result r = {.scenario = "sw", .axes = axes, .kinds = kinds, .values = values,
                    .n_values = n_values, .n_axes = 1, .points = pts, .n_points = 2,
                    .n_runs = 2};
    met_ref shown[] = {{.id = MET_STALL_S}};
    assert_int_equal(plot_write_sweep_scripts(pdir, &r, shown, 1), BS_OK);
}

/* sweep METRIC.gp: the sweep's data and titles, then plots/sweep.gp. */
static void test_sweep_script_template(void **state)
{
    (void)state;
    char *tmp = th_make_tmpdir("plot");
    sweep_script(tmp);
    char *g = th_slurp_or_fail(tmp, "stall_s.gp");
    assert_non_null(strstr(g, "$s1 << EOD\n# x mean low high\n16 10 10 10\n32 20 20 20\nEOD\n"));
    assert_non_null(strstr(g, "\nns = 1\n"));
    assert_non_null(strstr(g, "\nxlabel_text = 'hosts[0].vms[0].count'\n"));
    assert_non_null(strstr(g, "\nylabel_text = 'stall_s (s)'\n"));
    assert_non_null(strstr(g, "\nkey_title = ''\n"));
    assert_non_null(strstr(g, "\nnxt = 0\n"));
    assert_non_null(strstr(g, "\narray sname[1] = ['stall_s']\n"));
    assert_ends_with_template(g, "sweep");
    free(g);
    char *tdir = override_only(tmp, "sweep");
    sweep_script(tmp);
    unsetenv("BALLOONSIM_PLOTS");
    g = th_slurp_or_fail(tmp, "stall_s.gp");
    assert_non_null(strstr(g, "\nns = 1\n"));
    assert_non_null(strstr(g, "\n# my style\nset terminal pngcairo size 640,480\n"));
    assert_null(strstr(g, "1000,650"));
    free(g);
    free(tdir);
    th_rm_rf(tmp);
    free(tmp);
}

/* A plan of one comparison (stall_s<5) over two values of one seed each. */
static char *plan_script(void)
{
    met_values runs[2];
    memset(runs, 0, sizeof runs);
    for (int i = 0; i < 2; i++) {
        runs[i].present[MET_STALL_S] = true;
        runs[i].v[MET_STALL_S] = 2.0 + 6.0 * i;
    }
    plan_eval evals[2] = {{.value = 32, .n_runs = 1, .n_meeting = 0, .runs = &runs[1]},
                          {.value = 16, .n_runs = 1, .n_meeting = 1, .runs = &runs[0],
                           .meets = true}};
    expr_cmp cmp = {.metric = MET_STALL_S, .op = "<", .threshold = 5, .text = "5"};
    plot_plan p = {.scenario = "pl", .path = "hosts[0].vms[0].count", .suffix = "",
                   .slo_text = "stall_s<5", .lo = 16, .hi = 32, .cmps = &cmp, .n_cmps = 1,
                   .evals = evals, .n_evals = 2, .found = true, .answer = 16};
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(plot_write_plan(f, &p), BS_OK);
    fclose(f);
    return buf;
}

/* plan.gp: the plan's data, labels and answer, then plots/plan.gp. */
static void test_plan_script_template(void **state)
{
    (void)state;
    char *g = plan_script();
    assert_non_null(strstr(g, "$c1 << EOD\n# value worst mean meets\n16 2 2 1\n32 8 8 0\nEOD\n"));
    assert_non_null(strstr(g, "\nnc = 1\nheight = 350\nrows = 1\n"));
    assert_non_null(strstr(g, "\ntitle_plan = 'plan pl: hosts[0].vms[0].count (every seed "
                              "must meet: stall_s<5)'\n"));
    assert_non_null(strstr(g, "\nx_lo = 16\nx_hi = 32\nfound = 1\nanswer = 16\n"));
    assert_non_null(strstr(g, "\nylabel_k[1] = 'stall_s (s)'\ncname[1] = 'stall_s<5'\n"));
    assert_non_null(strstr(g, "\narray thr[1] = [5]\narray yfix[1] = [0]\n"));
    assert_ends_with_template(g, "plan");
    free(g);
    char *tmp = th_make_tmpdir("plot");
    char *tdir = override_only(tmp, "plan");
    g = plan_script();
    unsetenv("BALLOONSIM_PLOTS");
    assert_non_null(strstr(g, "\nnc = 1\n"));
    assert_non_null(strstr(g, "\n# my style\nset terminal pngcairo size 640,480\n"));
    assert_null(strstr(g, "size 1000,height"));
    free(g);
    free(tdir);
    th_rm_rf(tmp);
    free(tmp);
}

/* A compare directory of one scenario and two policies without run
 * directories: the CDF and memory scripts draw "no samples" / "no data"
 * (with warnings on stderr), the bars the report's numbers. */
static void compare_scripts(const char *dir)
{
    uint64_t seeds[] = {1};
    const char *pols[] = {"static", "mom"}, *names[] = {"cs"}, *files[] = {"cs.yaml"};
    cmp_key keys[CMP_MAX_KEYS];
    size_t nk;
    cmp_default_keys(keys, &nk);
    cmp_report *r = cmp_report_new(seeds, 1, pols, 2, keys, nk, NULL, 0, names, files, 1);
    assert_non_null(r);
    cmp_plot_scen ps = {.duration = 600 * SEC, .warmup = 0};
    assert_int_equal(cmp_plot_write(dir, r, &ps), BS_OK);
    cmp_report_free(r);
}

/* compare SCENARIO-*.gp: the scenario's numbers and names, then
 * plots/compare-*.gp; BALLOONSIM_PLOTS replaces one of the three. */
static void test_compare_scripts_template(void **state)
{
    (void)state;
    char *tmp = th_make_tmpdir("plot");
    compare_scripts(tmp);
    char *pdir = th_path(tmp, "plots");
    char *g = th_slurp_or_fail(pdir, "cs-metrics.gp");
    assert_non_null(strstr(g, "\nscenario = 'cs'\n$data << EOD\n\"static\" "));
    assert_non_null(strstr(g, "\nnp = 2\nnseeds = 1\n"));
    assert_non_null(strstr(g, "\nx_hi = 1.6\narray ytop["));
    assert_non_null(strstr(g, "\narray mtitle["));
    assert_ends_with_template(g, "compare-metrics");
    free(g);
    g = th_slurp_or_fail(pdir, "cs-stall-cdf.gp");
    assert_non_null(strstr(g, "\nnseeds = 1\nncdf = 0\narray cdf_id[1] = [0]\n"
                              "array cdf_name[1] = ['']\n"));
    assert_ends_with_template(g, "compare-stall-cdf");
    free(g);
    g = th_slurp_or_fail(pdir, "cs-memory.gp");
    assert_non_null(strstr(g, "\ntunit = 'min'\nxmax = 10\nseed = '1'\nnp = 2\n"));
    assert_non_null(strstr(g, "\narray pname[2] = ['static', 'mom']\narray has[2] = [0, 0]\n"));
    assert_non_null(strstr(g, "\narray csvfile[2] = ['../cs/static-s1/timeseries.csv', "
                              "'../cs/mom-s1/timeseries.csv']\n"));
    assert_ends_with_template(g, "compare-memory");
    free(g);
    char *tdir = override_only(tmp, "compare-memory");
    compare_scripts(tmp);
    unsetenv("BALLOONSIM_PLOTS");
    g = th_slurp_or_fail(pdir, "cs-memory.gp");
    assert_non_null(strstr(g, "\nnp = 2\n"));
    assert_non_null(strstr(g, "\n# my style\nset terminal pngcairo size 640,480\n"));
    assert_null(strstr(g, "1200,800"));
    free(g);
    g = th_slurp_or_fail(pdir, "cs-metrics.gp");
    assert_ends_with_template(g, "compare-metrics");
    free(g);
    free(tdir);
    free(pdir);
    th_rm_rf(tmp);
    free(tmp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scripts_written),
        cmocka_unit_test(test_embedded_templates_equal_files),
        cmocka_unit_test(test_script_is_header_plus_template),
        cmocka_unit_test(test_override_dir),
        cmocka_unit_test(test_sweep_script_template),
        cmocka_unit_test(test_plan_script_template),
        cmocka_unit_test(test_compare_scripts_template),
        cmocka_unit_test(test_most_stalled_vms_and_first_hosts),
        cmocka_unit_test(test_names_are_quoted_for_gnuplot),
        cmocka_unit_test(test_render_draws_pngs),
        cmocka_unit_test(test_render_failing_script),
        cmocka_unit_test(test_render_without_gnuplot),
        cmocka_unit_test(test_render_needs_scripts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
