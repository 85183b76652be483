/* test_sweep.c -- sweep grids, run ids, run directories, tables (sweep.h)
 * and the `sweep` and `merge` commands end to end.
 *
 * The unit tests call sweep.h directly.  The command tests run the built
 * binary ($BALLOONSIM, set by `make test`; else ./balloonsim) on
 * the scenarios of tests/data/sweep in temporary directories: -j 1 against -j 2,
 * shards merged against one sweep, an interrupted sweep resumed, a sweep
 * through GNU parallel (skipped when `parallel` is not installed), and bad
 * input. */
#define _XOPEN_SOURCE 700 /* realpath, kill */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <gsl/gsl_cdf.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sim/base/cfg.h"
#include "sim/batch/sweep.h"
#include "tests/helpers.h"

#define SMALL "tests/data/sweep/small.yaml"
#define BAD "tests/data/sweep/bad.yaml"

static char bin[PATH_MAX];

/* ------------------------------------------------------------------ */
/* helpers                                                             */

/* balloonsim ARGS... (in cwd), waited for, output captured. */
#define RUN(...) th_exec(bin, NULL, NULL, (const char *const[]){__VA_ARGS__, NULL})
#define RUN_IN(cwd, ...) th_exec(bin, cwd, NULL, (const char *const[]){__VA_ARGS__, NULL})

/* /bin/sh -c CMD in cwd. */
static th_proc shell(const char *cwd, const char *cmd)
{
    return th_exec("/bin/sh", cwd, NULL, (const char *const[]){"-c", cmd, NULL});
}

/* Names of the run directories in DIR/runs with a summary.json, sorted. */
static size_t complete_runs(const char *dir, char names[][32], size_t max)
{
    char *runs = th_path(dir, "runs");
    DIR *d = opendir(runs);
    size_t n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char *rd = th_path(runs, e->d_name);
        char *s = th_path(rd, "summary.json");
        if (access(s, F_OK) == 0 && n < max)
            snprintf(names[n++], 32, "%.31s", e->d_name);
        free(s);
        free(rd);
    }
    if (d)
        closedir(d);
    free(runs);
    qsort(names, n, 32, (int (*)(const void *, const void *))strcmp);
    return n;
}

static size_t all_runs(const char *dir)
{
    char *runs = th_path(dir, "runs");
    DIR *d = opendir(runs);
    size_t n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    free(runs);
    return n;
}

/* ------------------------------------------------------------------ */
/* --vary                                                              */

static void check_values(const char *arg, const char *path, const char *const *want, size_t n)
{
    swp_axis a;
    char err[512] = "";
    bs_rc rc = swp_parse_vary(arg, &a, err, sizeof err);
    if (rc != BS_OK)
        fail_msg("%s: %s", arg, err);
    assert_string_equal(a.path, path);
    assert_int_equal(a.n, n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(a.values[i], want[i]);
    swp_axis_free(&a);
}

static void vary_lists_and_ranges_give_exact_values(void **state)
{
    (void)state;
    check_values("hosts[0].vms[0].count=8,12, 16", "hosts[0].vms[0].count",
                 (const char *const[]){"8", "12", "16"}, 3);
    /* decimal steps in exact decimal: no 0.30000000000000004 */
    check_values("policy.params.target=0.1:0.5:0.1", "policy.params.target",
                 (const char *const[]){"0.1", "0.2", "0.3", "0.4", "0.5"}, 5);
    check_values("hosts[0].memory=64GiB:256GiB:64GiB", "hosts[0].memory",
                 (const char *const[]){"64GiB", "128GiB", "192GiB", "256GiB"}, 4);
    check_values("x.y=3:5", "x.y", (const char *const[]){"3", "4", "5"}, 3);
    check_values("x.y=1:2:0.25", "x.y", (const char *const[]){"1", "1.25", "1.5", "1.75", "2"}, 5);
    /* a step that does not land on HI stops before it; STEP may omit the unit */
    check_values("d=10m:45m:15", "d", (const char *const[]){"10m", "25m", "40m"}, 3);
    /* `policy` and `policy.name` are the same key */
    check_values("policy=mom,static", "policy.name", (const char *const[]){"mom", "static"}, 2);
}

static void check_bad(const char *arg, const char *want)
{
    swp_axis a;
    char err[512] = "";
    assert_int_equal(swp_parse_vary(arg, &a, err, sizeof err), BS_ERR_INPUT);
    if (strstr(err, want) == NULL)
        fail_msg("%s: message '%s' lacks '%s'", arg, err, want);
}

static void vary_rejects_bad_input_with_a_reason(void **state)
{
    (void)state;
    check_bad("count", "expected PATH=");
    check_bad("=1,2", "expected PATH=");
    check_bad("a.b=", "no values");
    check_bad("a.b=5:1", "LO of '5:1' is above HI");
    check_bad("a.b=1:5:0", "STEP of '1:5:0' must be above 0");
    check_bad("a.b=1GiB:2MiB", "same unit");
    check_bad("a.b=x:5", "must be a decimal number");
    check_bad("a.b=1:2:3:4", "expected LO:HI or LO:HI:STEP");
    check_bad("a.b=1,2,1", "listed twice");
    check_bad("a.b=1,,2", "empty value");
    check_bad("a.b={x: 1}", "only scalars");
    check_bad("seed=1,2", "--seeds");
    check_bad("name=a,b", "cannot be varied");
    check_bad("sweep.seeds=1,2", "cannot vary itself");
    check_bad("a.b=1:1000000", "at most");
}

static void plan_range_takes_whole_numbers_only(void **state)
{
    (void)state;
    char *path, *suffix, err[256];
    int64_t lo, hi;
    assert_int_equal(swp_parse_range("hosts[0].vms[0].count=8:64", &path, &lo, &hi, &suffix, err,
                                     sizeof err),
                     BS_OK);
    assert_string_equal(path, "hosts[0].vms[0].count");
    assert_int_equal(lo, 8);
    assert_int_equal(hi, 64);
    assert_string_equal(suffix, "");
    free(path);
    free(suffix);
    assert_int_equal(swp_parse_range("hosts[0].memory=64GiB:512GiB", &path, &lo, &hi, &suffix,
                                     err, sizeof err),
                     BS_OK);
    assert_string_equal(suffix, "GiB");
    assert_int_equal(lo, 64);
    assert_int_equal(hi, 512);
    free(path);
    free(suffix);
    static const char *const bad[] = {"a=8:64:2", "a=1.5:3", "a=8", "a=9:8", "a=1GiB:2",
                                      "=1:2", "seed=1:3"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(swp_parse_range(bad[i], &path, &lo, &hi, &suffix, err, sizeof err),
                         BS_ERR_INPUT);
}

/* ------------------------------------------------------------------ */
/* grids and ids                                                       */

static void grid_of(swp_grid *g, const char *const *varies, size_t n, uint64_t seeds)
{
    *g = (swp_grid){0};
    char err[256];
    for (size_t i = 0; i < n; i++) {
        swp_axis a;
        assert_int_equal(swp_parse_vary(varies[i], &a, err, sizeof err), BS_OK);
        assert_int_equal(swp_grid_add(g, &a, err, sizeof err), BS_OK);
    }
    assert_int_equal(swp_grid_finish(g, seeds, err, sizeof err), BS_OK);
}

static void grid_jobs_cover_every_point_and_seed_once_seeds_outermost(void **state)
{
    (void)state;
    swp_grid g;
    grid_of(&g, (const char *const[]){"a=1,2", "b=x,y,z"}, 2, 2);
    assert_int_equal(g.points, 6);
    assert_int_equal(g.jobs, 12);
    bool seen[2][3][2] = {{{false}}};
    for (size_t k = 0; k < g.jobs; k++) {
        size_t idx[2];
        uint64_t seed;
        swp_grid_job(&g, k, idx, &seed);
        assert_false(seen[idx[0]][idx[1]][seed - 1]);
        seen[idx[0]][idx[1]][seed - 1] = true;
        /* every point once at seed 1 before any point at seed 2 */
        assert_int_equal(seed, k < 6 ? 1 : 2);
        /* row-major: the last axis varies fastest */
        assert_int_equal(idx[0], (k % 6) / 3);
        assert_int_equal(idx[1], k % 3);
    }
    /* a second axis with the same path is refused */
    swp_axis a;
    char err[256];
    assert_int_equal(swp_parse_vary("a=3", &a, err, sizeof err), BS_OK);
    assert_int_equal(swp_grid_add(&g, &a, err, sizeof err), BS_ERR_INPUT);
    assert_non_null(strstr(err, "varied twice"));
    swp_axis_free(&a);
    swp_grid_free(&g);
    /* at most SWP_MAX_AXES paths */
    swp_grid many = {0};
    for (int i = 0; i <= SWP_MAX_AXES; i++) {
        char arg[32];
        snprintf(arg, sizeof arg, "p%d=1,2", i);
        assert_int_equal(swp_parse_vary(arg, &a, err, sizeof err), BS_OK);
        bs_rc rc = swp_grid_add(&many, &a, err, sizeof err);
        assert_int_equal(rc, i < SWP_MAX_AXES ? BS_OK : BS_ERR_INPUT);
        if (rc != BS_OK)
            swp_axis_free(&a);
    }
    assert_non_null(strstr(err, "more than 32 varied paths"));
    /* 2^32 points x seeds is beyond the run limit */
    assert_int_equal(swp_grid_finish(&many, 1, err, sizeof err), BS_ERR_INPUT);
    swp_grid_free(&many);
}

static void run_id(const swp_ident *id, const swp_grid *g, size_t k, char out[SWP_ID_LEN + 1],
                   uint64_t *seed_out)
{
    size_t idx[8];
    uint64_t seed;
    swp_grid_job(g, k, idx, &seed);
    swp_set sets[8];
    for (size_t a = 0; a < g->n_axes; a++)
        sets[a] = (swp_set){.path = g->axes[a].path, .value = g->axes[a].values[idx[a]]};
    swp_run_id(id, sets, g->n_axes, seed, out);
    if (seed_out)
        *seed_out = seed;
}

static void run_ids_survive_added_values_and_seeds(void **state)
{
    (void)state;
    swp_ident ident = {.name = "s", .content = 42};
    swp_grid small, big;
    grid_of(&small, (const char *const[]){"n=8,12", "policy.name=mom,static"}, 2, 2);
    grid_of(&big, (const char *const[]){"n=4,8,12,16", "policy.name=proxmox,mom,static"}, 2, 5);
    /* every run of the small grid is found, same id, in the big one */
    for (size_t k = 0; k < small.jobs; k++) {
        char id[SWP_ID_LEN + 1];
        size_t idx[2];
        uint64_t seed;
        run_id(&ident, &small, k, id, NULL);
        swp_grid_job(&small, k, idx, &seed);
        bool found = false;
        for (size_t j = 0; j < big.jobs && !found; j++) {
            size_t jdx[2];
            uint64_t js;
            swp_grid_job(&big, j, jdx, &js);
            if (js != seed || strcmp(big.axes[0].values[jdx[0]], small.axes[0].values[idx[0]]) ||
                strcmp(big.axes[1].values[jdx[1]], small.axes[1].values[idx[1]]))
                continue;
            char id2[SWP_ID_LEN + 1];
            run_id(&ident, &big, j, id2, NULL);
            assert_string_equal(id, id2);
            found = true;
        }
        assert_true(found);
    }
    /* and all ids of the big grid differ */
    char (*ids)[SWP_ID_LEN + 1] = calloc(big.jobs, sizeof *ids);
    for (size_t k = 0; k < big.jobs; k++) {
        run_id(&ident, &big, k, ids[k], NULL);
        for (size_t j = 0; j < k; j++)
            assert_string_not_equal(ids[j], ids[k]);
    }
    free(ids);
    swp_grid_free(&small);
    swp_grid_free(&big);
}

/* FNV-1a 64, written out again from its definition. */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static void run_id_is_the_documented_hash_and_ignores_order(void **state)
{
    (void)state;
    swp_ident ident = {.name = "cap", .content = 0x0102030405060708ULL};
    swp_set ab[] = {{.path = "policy", .value = "mom"}, {.path = "hosts[0].vms[0].count", .value = "12"}};
    swp_set ba[] = {ab[1], ab[0]};
    char id1[SWP_ID_LEN + 1], id2[SWP_ID_LEN + 1], want[SWP_ID_LEN + 1];
    swp_run_id(&ident, ab, 2, 3, id1);
    swp_run_id(&ident, ba, 2, 3, id2);
    assert_string_equal(id1, id2);
    /* docs/sweep.md: NUL-terminated strings "balloonsim-run-1", the name, the
     * content hash as 8 little-endian bytes, PATH and VALUE per assignment
     * sorted by path ("policy" counts as "policy.name"), "seed", the seed as
     * 8 little-endian bytes. */
    uint64_t h = 14695981039346656037ULL;
    h = fnv(h, "balloonsim-run-1", 17);
    h = fnv(h, "cap", 4);
    unsigned char le[8];
    for (int i = 0; i < 8; i++)
        le[i] = (unsigned char)(ident.content >> (8 * i));
    h = fnv(h, le, 8);
    h = fnv(h, "hosts[0].vms[0].count", 22);
    h = fnv(h, "12", 3);
    h = fnv(h, "policy.name", 12);
    h = fnv(h, "mom", 4);
    h = fnv(h, "seed", 5);
    for (int i = 0; i < 8; i++)
        le[i] = (unsigned char)(3ULL >> (8 * i));
    h = fnv(h, le, 8);
    snprintf(want, sizeof want, "%016" PRIx64, h);
    assert_string_equal(id1, want);
    /* anything that changes the run changes the id */
    swp_run_id(&ident, ab, 2, 4, id2);
    assert_string_not_equal(id1, id2);
    swp_set other[] = {{.path = "policy", .value = "mom"}, {.path = "hosts[0].vms[0].count", .value = "13"}};
    swp_run_id(&ident, other, 2, 3, id2);
    assert_string_not_equal(id1, id2);
    swp_ident edited = {.name = "cap", .content = 7};
    swp_run_id(&edited, ab, 2, 3, id2);
    assert_string_not_equal(id1, id2);
}

static uint64_t hash_of(const char *yaml)
{
    cfg_doc *doc;
    cfg_node *root = NULL;
    cfg_errs errs = {0};
    assert_int_equal(cfg_doc_new(&doc), BS_OK);
    assert_int_equal(cfg_parse_string(doc, "t.yaml", yaml, &errs, &root), BS_OK);
    uint64_t h = swp_tree_hash(root);
    cfg_doc_free(doc);
    cfg_errs_free(&errs);
    return h;
}

static void content_hash_ignores_comments_sweep_seed_and_description(void **state)
{
    (void)state;
    uint64_t base = hash_of("name: x\nduration: 1h\nhosts: [{memory: 8GiB}]\n");
    assert_int_equal(base, hash_of("# a comment\nname:   x\nduration: 1h   # why\n"
                                   "hosts:\n  - memory: 8GiB\n"));
    assert_int_equal(base, hash_of("name: x\nduration: 1h\nseed: 7\ndescription: d\n"
                                   "hosts: [{memory: 8GiB}]\nsweep: {seeds: 3}\n"));
    /* a change of the model is a new content */
    assert_int_not_equal(base, hash_of("name: x\nduration: 2h\nhosts: [{memory: 8GiB}]\n"));
    assert_int_not_equal(base, hash_of("name: x\nduration: 1h\nhosts: [{memory: 9GiB}]\n"));
    /* a nested `seed` is not the top-level one */
    assert_int_not_equal(hash_of("a: {seed: 1}\n"), hash_of("a: {seed: 2}\n"));
}

/* ------------------------------------------------------------------ */
/* run directories and results                                          */

static void fake_run(swp_run *r, const char *id, const char *count, size_t rank, const char *policy,
                     size_t prank, uint64_t seed, double stall)
{
    *r = (swp_run){.seed = seed, .n_axes = 2, .content = 9, .job = 0, .jobs = 1};
    snprintf(r->id, sizeof r->id, "%s", id);
    r->scenario = strdup("s");
    r->version = strdup("0");
    r->paths = calloc(2, sizeof *r->paths);
    r->values = calloc(2, sizeof *r->values);
    r->ranks = calloc(2, sizeof *r->ranks);
    r->paths[0] = strdup("n");
    r->paths[1] = strdup("policy.name");
    r->values[0] = strdup(count);
    r->values[1] = strdup(policy);
    r->ranks[0] = rank;
    r->ranks[1] = prank;
    r->m.v[MET_STALL_S] = stall;
    r->m.present[MET_STALL_S] = true;
}

static void results_order_values_as_numbers_and_lists_and_average_seeds(void **state)
{
    (void)state;
    /* counts 10, 9, 2 (text order would put 10 first); policies in list
     * order zeta before alpha (alphabetical order would not) */
    swp_run runs[8];
    fake_run(&runs[0], "0000000000000001", "10", 2, "zeta", 0, 1, 4);
    fake_run(&runs[1], "0000000000000002", "9", 1, "zeta", 0, 1, 1);
    fake_run(&runs[2], "0000000000000003", "2", 0, "zeta", 0, 1, 0);
    fake_run(&runs[3], "0000000000000004", "10", 2, "alpha", 1, 1, 7);
    fake_run(&runs[4], "0000000000000005", "10", 2, "zeta", 0, 2, 6);
    fake_run(&runs[5], "0000000000000006", "10", 2, "zeta", 0, 3, 11);
    /* the same run twice (two copies of a shard) counts once */
    fake_run(&runs[6], "0000000000000006", "10", 2, "zeta", 0, 3, 11);
    fake_run(&runs[7], "0000000000000007", "2", 0, "alpha", 1, 1, 0.5);
    swp_result r;
    char err[256];
    assert_int_equal(swp_result_build(runs, 8, &r, err, sizeof err), BS_OK);
    assert_int_equal(r.n_runs, 7);
    assert_int_equal(r.kinds[0], SWP_NUMBER);
    assert_int_equal(r.kinds[1], SWP_TEXT);
    static const char *const want[][2] = {
        {"2", "zeta"}, {"2", "alpha"}, {"9", "zeta"}, {"10", "zeta"}, {"10", "alpha"}};
    assert_int_equal(r.n_points, 5);
    for (size_t p = 0; p < 5; p++) {
        assert_string_equal(r.values[0][r.points[p].pos[0]], want[p][0]);
        assert_string_equal(r.values[1][r.points[p].pos[1]], want[p][1]);
    }
    /* point (10, zeta): seeds 1, 2, 3 with stall 4, 6, 11 */
    const swp_point *pt = &r.points[3];
    assert_int_equal(pt->n_runs, 3);
    assert_int_equal(pt->seeds[0], 1);
    assert_int_equal(pt->seeds[2], 3);
    const tab_cell *c = &pt->m[MET_STALL_S];
    assert_int_equal(c->n, 3);
    assert_true(fabs(c->mean - 7.0) < 1e-12);
    /* sd of 4, 6, 11: sqrt(((-3)^2 + 1 + 4^2) / 2) = sqrt(13); t(0.975, 2) */
    double half = gsl_cdf_tdist_Pinv(0.975, 2) * sqrt(13.0) / sqrt(3.0);
    assert_true(fabs(c->ci95 - half) < 1e-9);
    /* a metric no run has is empty */
    assert_int_equal(pt->m[MET_FAIRNESS].n, 0);
    swp_result_free(&r);

    /* runs of two scenarios are not one table */
    free(runs[7].scenario);
    runs[7].scenario = strdup("other");
    assert_int_equal(swp_result_build(runs, 8, &r, err, sizeof err), BS_ERR_INPUT);
    assert_non_null(strstr(err, "different scenarios"));
    for (size_t i = 0; i < 8; i++)
        swp_run_free(&runs[i]);
}

static void params_and_summary_read_back(void **state)
{
    (void)state;
    char *dir = th_make_tmpdir("sweep");
    char *rd = th_path(dir, "runs/abc");
    swp_grid g;
    grid_of(&g, (const char *const[]){"hosts[0].vms[0].count=8,12", "policy.name=mom,static"}, 2, 2);
    swp_ident ident = {.name = "cap \"q\"", .content = 0xfedcba9876543210ULL};
    swp_set fixed[] = {{.path = "duration", .value = "2h", .origin = "--set"}};
    char id[SWP_ID_LEN + 1];
    run_id(&ident, &g, 5, id, NULL); /* job 5: count 8, static, seed 2 */
    assert_int_equal(swp_write_params(rd, &ident, &g, 5, fixed, 1, id), BS_OK);
    assert_false(swp_run_complete(rd)); /* no summary.json yet */
    swp_run r;
    char err[512];
    assert_int_equal(swp_read_run(rd, &r, err, sizeof err), BS_ERR_INPUT);
    assert_non_null(strstr(err, "did not finish"));
    char *sp = th_path(rd, "summary.json");
    FILE *f = fopen(sp, "w");
    fputs("{\"scenario\": \"cap \\\"q\\\"\", \"seed\": 2, \"metrics\": {\"stall_s\": 0.1, "
          "\"reach_p50\": null, \"guest_oom_kills\": 3, \"no_such_metric\": 1}}\n",
          f);
    fclose(f);
    assert_true(swp_run_complete(rd));
    if (swp_read_run(rd, &r, err, sizeof err) != BS_OK)
        fail_msg("%s", err);
    assert_string_equal(r.id, id);
    assert_string_equal(r.scenario, "cap \"q\"");
    assert_int_equal(r.content, 0xfedcba9876543210ULL);
    assert_int_equal(r.seed, 2);
    assert_int_equal(r.job, 5);
    assert_int_equal(r.jobs, 8);
    assert_int_equal(r.grid, swp_grid_signature(&g));
    assert_int_equal(r.n_axes, 2);
    assert_string_equal(r.paths[0], "hosts[0].vms[0].count");
    assert_string_equal(r.values[0], "8");
    assert_int_equal(r.ranks[0], 0);
    assert_string_equal(r.values[1], "static");
    assert_int_equal(r.ranks[1], 1);
    assert_int_equal(r.n_fixed, 1);
    assert_string_equal(r.fixed[0], "duration=2h");
    assert_true(r.m.present[MET_STALL_S] && r.m.v[MET_STALL_S] == 0.1);
    assert_true(r.m.present[MET_GUEST_OOM_KILLS] && r.m.v[MET_GUEST_OOM_KILLS] == 3);
    assert_false(r.m.present[MET_REACH_P50]);
    swp_run_free(&r);
    swp_grid_free(&g);
    free(sp);
    free(rd);
    th_rm_rf(dir);
    free(dir);
}

/* ------------------------------------------------------------------ */
/* the commands                                                        */

static void sweep_output_does_not_depend_on_j(void **state)
{
    (void)state;
    char *dir = th_make_tmpdir("sweep");
    char *a = th_path(dir, "a"), *b = th_path(dir, "b");
    th_proc p1 = RUN("sweep", SMALL, "-o", a, "-j", "1", "-q", "--format", "json", "--no-plots");
    th_proc p2 = RUN("sweep", SMALL, "-o", b, "-j", "2", "-q", "--format", "json", "--no-plots");
    assert_int_equal(p1.code, 0);
    assert_int_equal(p2.code, 0);
    assert_string_equal(p1.out, p2.out);
    assert_non_null(strstr(p1.out, "\"scenario\": \"sweep-small\""));
    assert_non_null(strstr(p1.out, "\"runs\": 12"));
    /* 3 counts x 2 policies x 2 seeds, and every format's file */
    char names[32][32];
    assert_int_equal(complete_runs(a, names, 32), 12);
    static const char *const files[] = {"sweep.txt", "sweep.md", "sweep.json", "sweep.csv",
                                        "plots/stall_s.gp"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char *fa = th_path(a, files[i]), *fb = th_path(b, files[i]);
        char *sa = th_read_file(fa), *sb = th_read_file(fb);
        assert_non_null(sa);
        assert_string_equal(sa, sb);
        free(sa), free(sb), free(fa), free(fb);
    }
    char *js = th_path(a, "sweep.json");
    char *jtext = th_read_file(js);
    assert_string_equal(jtext, p1.out); /* stdout is the file of its format */
    free(jtext), free(js);
    th_proc_free(&p1);
    th_proc_free(&p2);
    free(a), free(b);
    th_rm_rf(dir);
    free(dir);
}

static void merged_shards_equal_one_sweep(void **state)
{
    (void)state;
    char *dir = th_make_tmpdir("sweep");
    char *all = th_path(dir, "all"), *s0 = th_path(dir, "s0"), *s1 = th_path(dir, "s1"),
         *s2 = th_path(dir, "s2"), *shared = th_path(dir, "shared");
    th_proc full = RUN("sweep", SMALL, "-o", all, "-j", "2", "-q", "--no-plots");
    assert_int_equal(full.code, 0);
    /* three shards into three directories (three machines) ... */
    const char *dirs[] = {s0, s1, s2};
    for (int i = 0; i < 3; i++) {
        char shard[16];
        snprintf(shard, sizeof shard, "%d/3", i);
        th_proc p = RUN("sweep", SMALL, "-o", dirs[i], "--shard", shard, "-j", "1", "-q");
        assert_int_equal(p.code, 0);
        assert_string_equal(p.out, ""); /* a shard makes no table */
        assert_int_equal(all_runs(dirs[i]), 4);
        th_proc_free(&p);
    }
    th_proc m = RUN("merge", s0, s1, s2);
    assert_int_equal(m.code, 0);
    assert_string_equal(m.out, full.out);
    assert_string_equal(m.err, ""); /* nothing missing */
    /* ... or into one shared directory, one job at a time */
    for (int k = 0; k < 12; k++) {
        char job[16];
        snprintf(job, sizeof job, "%d", k);
        th_proc p = RUN("sweep", SMALL, "-o", shared, "--job", job, "-q");
        assert_int_equal(p.code, 0);
        th_proc_free(&p);
    }
    th_proc m2 = RUN("merge", shared);
    assert_string_equal(m2.out, full.out);
    /* every format agrees too */
    th_proc mj = RUN("merge", s0, s1, s2, "--format", "csv");
    char *csv_path = th_path(all, "sweep.csv");
    char *csv = th_read_file(csv_path);
    assert_string_equal(mj.out, csv);
    /* a shard alone: a table of what is there, and a note of what is not */
    th_proc part = RUN("merge", s1);
    assert_int_equal(part.code, 0);
    assert_non_null(strstr(part.err, "4 of the 12 jobs"));
    assert_non_null(strstr(part.err, "missing: 0, 2, 3, 5, 6, 8, 9, 11"));
    /* a run directory given alone is one run */
    char names[16][32];
    assert_int_equal(complete_runs(s0, names, 16), 4);
    char *runs = th_path(s0, "runs"), *one = th_path(runs, names[0]);
    th_proc single = RUN("merge", one);
    assert_int_equal(single.code, 0);
    assert_non_null(strstr(single.out, "1 point x 1 seed"));
    /* not a sweep directory */
    th_proc bad = RUN("merge", dir);
    assert_int_equal(bad.code, 2);
    assert_non_null(strstr(bad.err, "neither a sweep directory"));
    free(runs), free(one), free(csv), free(csv_path);
    th_proc_free(&full), th_proc_free(&m), th_proc_free(&m2), th_proc_free(&mj), th_proc_free(&part);
    th_proc_free(&single), th_proc_free(&bad);
    free(all), free(s0), free(s1), free(s2), free(shared);
    th_rm_rf(dir);
    free(dir);
}

static bool same_file(const struct stat *a, const struct stat *b)
{
    return a->st_ino == b->st_ino && a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
           a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

static void interrupted_sweep_resumes_without_redoing_finished_runs(void **state)
{
    (void)state;
    char *dir = th_make_tmpdir("sweep");
    char *a = th_path(dir, "a"), *b = th_path(dir, "b");
    /* long runs (30 simulated days, a 1 s policy) so that ^C lands mid-way */
    const char *argv[] = {bin, "sweep", SMALL, "--set", "duration=30d", "--set",
                          "policy.interval=1s", "--vary", "hosts[0].vms[0].count=2,3,4,5",
                          "--seeds", "2", "-j", "1", "-o", a, "--no-plots", NULL};
    int out, err;
    th_tmp_fds(&out, &err);
    pid_t pid = th_start(NULL, NULL, argv, out, err);
    char names[16][32];
    size_t done = 0;
    for (int i = 0; i < 600 && (done = complete_runs(a, names, 16)) < 1; i++)
        nanosleep(&(struct timespec){0, 50000000}, NULL);
    assert_true(done >= 1);
    kill(pid, SIGINT);
    th_proc p = th_finish(pid, out, err);
    assert_int_equal(p.code, 3);
    assert_non_null(strstr(p.err, "--resume"));
    assert_string_equal(p.out, ""); /* no table from part of a grid */
    size_t kept = complete_runs(a, names, 16);
    assert_true(kept >= 1 && kept < 8);
    struct stat before[16];
    for (size_t i = 0; i < kept; i++) {
        char *rd = th_path(a, "runs"), *r = th_path(rd, names[i]), *s = th_path(r, "summary.json");
        assert_int_equal(stat(s, &before[i]), 0);
        free(rd), free(r), free(s);
    }
    /* --resume runs the rest only ... */
    th_proc r = RUN("sweep", SMALL, "--set", "duration=30d", "--set", "policy.interval=1s", "--vary",
                    "hosts[0].vms[0].count=2,3,4,5", "--seeds", "2", "-j", "2", "-o", a, "--resume",
                    "--no-plots");
    assert_int_equal(r.code, 0);
    char msg[64];
    snprintf(msg, sizeof msg, "%zu of 8 runs were complete already", kept);
    assert_non_null(strstr(r.err, msg));
    assert_int_equal(complete_runs(a, names, 16), 8);
    /* the runs finished before ^C are untouched: same inode and mtime */
    size_t untouched = 0;
    for (size_t j = 0; j < 8; j++) {
        struct stat now;
        char *rd = th_path(a, "runs"), *rr = th_path(rd, names[j]), *s = th_path(rr, "summary.json");
        assert_int_equal(stat(s, &now), 0);
        for (size_t i = 0; i < kept; i++)
            untouched += same_file(&before[i], &now);
        free(rd), free(rr), free(s);
    }
    assert_int_equal(untouched, kept);
    /* ... and its table is the one of a sweep never interrupted */
    th_proc full = RUN("sweep", SMALL, "--set", "duration=30d", "--set", "policy.interval=1s",
                       "--vary", "hosts[0].vms[0].count=2,3,4,5", "--seeds", "2", "-j", "2", "-o", b,
                       "-q", "--no-plots");
    assert_int_equal(full.code, 0);
    assert_string_equal(r.out, full.out);
    th_proc_free(&p), th_proc_free(&r), th_proc_free(&full);
    free(a), free(b);
    th_rm_rf(dir);
    free(dir);
}

static void added_values_and_seeds_keep_existing_runs(void **state)
{
    (void)state;
    char *dir = th_make_tmpdir("sweep");
    char *a = th_path(dir, "a");
    th_proc p1 = RUN("sweep", SMALL, "--vary", "hosts[0].vms[0].count=2,4", "-o", a, "-q",
                     "--no-plots", "--seeds", "1");
    assert_int_equal(p1.code, 0);
    char first[16][32];
    assert_int_equal(complete_runs(a, first, 16), 2);
    struct stat st[2];
    for (int i = 0; i < 2; i++) {
        char *rd = th_path(a, "runs"), *r = th_path(rd, first[i]), *s = th_path(r, "summary.json");
        assert_int_equal(stat(s, &st[i]), 0);
        free(rd), free(r), free(s);
    }
    /* more values (before and after) and another seed */
    th_proc p2 = RUN("sweep", SMALL, "--vary", "hosts[0].vms[0].count=1,2,4,6", "-o", a,
                     "--resume", "--no-plots", "--seeds", "2");
    assert_int_equal(p2.code, 0);
    assert_non_null(strstr(p2.err, "2 of 8 runs were complete already"));
    char now[16][32];
    assert_int_equal(complete_runs(a, now, 16), 8);
    for (int i = 0; i < 2; i++) {
        char *rd = th_path(a, "runs"), *r = th_path(rd, first[i]), *s = th_path(r, "summary.json");
        struct stat n;
        assert_int_equal(stat(s, &n), 0);
        assert_true(same_file(&st[i], &n));
        free(rd), free(r), free(s);
    }
    th_proc_free(&p1), th_proc_free(&p2);
    free(a);
    th_rm_rf(dir);
    free(dir);
}

static void list_jobs_lines_run_anywhere_and_through_gnu_parallel(void **state)
{
    (void)state;
    char *dir = th_make_tmpdir("sweep");
    char *a = th_path(dir, "a"), *g = th_path(dir, "gp"), *ref = th_path(dir, "ref");
    char *scen = realpath(SMALL, NULL);
    assert_non_null(scen);
    /* relative -o: the lines name the absolute directory */
    th_proc l = RUN_IN(dir, "sweep", scen, "-o", "a", "--list-jobs");
    assert_int_equal(l.code, 0);
    size_t lines = 0;
    for (const char *s = l.out; (s = strchr(s, '\n')) != NULL; s++)
        lines++;
    assert_int_equal(lines, 12);
    assert_non_null(strstr(l.out, " --job 0 "));
    assert_non_null(strstr(l.out, " --job 11 "));
    assert_non_null(strstr(l.out, a)); /* absolute */
    assert_non_null(strstr(l.out, scen));
    assert_int_equal(access(a, F_OK), -1); /* listing makes nothing */
    /* line 6 run by a shell in another directory makes job 6's run */
    const char *line = l.out;
    for (int i = 0; i < 6; i++)
        line = strchr(line, '\n') + 1;
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%.*s", (int)(strchr(line, '\n') - line), line);
    th_proc one = shell("/", cmd);
    assert_int_equal(one.code, 0);
    char names[4][32];
    assert_int_equal(complete_runs(a, names, 4), 1);
    char *rd = th_path(a, "runs"), *r = th_path(rd, names[0]), *pp = th_path(r, "params.json");
    char *params = th_read_file(pp);
    assert_non_null(strstr(params, "\"job\": 6,"));
    free(params), free(pp), free(r), free(rd);
    /* --resume lists what is left */
    th_proc l2 = RUN_IN(dir, "sweep", scen, "-o", "a", "--list-jobs", "--resume");
    lines = 0;
    for (const char *s = l2.out; (s = strchr(s, '\n')) != NULL; s++)
        lines++;
    assert_int_equal(lines, 11);
    assert_null(strstr(l2.out, " --job 6 "));

    /* GNU parallel (make deps installs it): the same table as -j */
    th_proc have = shell(NULL, "command -v parallel");
    if (have.code != 0) {
        fprintf(stderr, "note: GNU parallel is not installed; its test is skipped "
                        "('make deps' as root installs it)\n");
    } else {
        char pcmd[PATH_MAX * 3];
        snprintf(pcmd, sizeof pcmd,
                 "'%s' sweep '%s' -o '%s' --list-jobs | parallel -j 2 --joblog '%s/joblog' "
                 "&& '%s' merge '%s'",
                 bin, scen, g, dir, bin, g);
        th_proc par = shell(dir, pcmd);
        assert_int_equal(par.code, 0);
        th_proc direct = RUN("sweep", scen, "-o", ref, "-j", "2", "-q", "--no-plots");
        assert_int_equal(direct.code, 0);
        assert_string_equal(par.out, direct.out);
        char all[16][32];
        assert_int_equal(complete_runs(g, all, 16), 12);
        th_proc_free(&par), th_proc_free(&direct);
    }
    th_proc_free(&have);
    th_proc_free(&l), th_proc_free(&l2), th_proc_free(&one);
    free(scen), free(a), free(g), free(ref);
    th_rm_rf(dir);
    free(dir);
}

static void bad_vary_input_exits_2_with_a_clear_message_and_makes_nothing(void **state)
{
    (void)state;
    char *dir = th_make_tmpdir("sweep");
    char *a = th_path(dir, "a");
    static const struct {
        const char *arg, *want;
    } cases[] = {
        {"hosts[0].vms[0].count", "bad --vary: expected PATH=V1,V2,... or PATH=LO:HI[:STEP]"},
        {"hosts[0].vms[0].count=9:3", "LO of '9:3' is above HI"},
        {"seed=1,2", "use --seeds N"},
        /* values are checked as the runs will load them, before any run */
        {"hosts[0].vms[0].count=2,lots", "--vary: hosts[0].vms[0].count: expected a whole number"},
        {"hosts[0].vms[0].cuont=1,2", "unknown key 'cuont'"},
        {"policy.name=mom,nosuch", "expected a policy (one of: "},
        {"hosts[3].memory=1GiB,2GiB", "index 3 is out of range"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        th_proc p = RUN("sweep", SMALL, "--vary", cases[i].arg, "-o", a);
        assert_int_equal(p.code, 2);
        if (strstr(p.err, cases[i].want) == NULL)
            fail_msg("--vary %s: stderr lacks '%s':\n%s", cases[i].arg, cases[i].want, p.err);
        assert_string_equal(p.out, "");
        assert_int_equal(access(a, F_OK), -1);
        th_proc_free(&p);
    }
    /* other options */
    static const char *const opts[][2] = {{"--job", "12"}, {"--shard", "3/3"}, {"--seeds", "0"},
                                          {"-j", "0"}, {"--metrics", "stall"}};
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
        th_proc p = RUN("sweep", SMALL, opts[i][0], opts[i][1], "-o", a);
        assert_int_equal(p.code, 2);
        assert_non_null(strstr(p.err, opts[i][1]));
        th_proc_free(&p);
    }
    /* the sweep: block's bad values, each at its file, line and column */
    th_proc p = RUN("sweep", BAD, "-o", a);
    assert_int_equal(p.code, 2);
    assert_non_null(strstr(p.err, BAD ":14:32: hosts[0].vms[0].count: expected a whole number"));
    assert_non_null(strstr(p.err, BAD ":15:27: policy.name: expected a policy"));
    assert_int_equal(access(a, F_OK), -1);
    /* no grid at all */
    th_proc none = RUN("sweep", "tests/data/sweep/mono.yaml", "-o", a);
    assert_int_equal(none.code, 2);
    assert_non_null(strstr(none.err, "no sweep: block"));
    th_proc_free(&p), th_proc_free(&none);
    free(a);
    th_rm_rf(dir);
    free(dir);
}

int main(void)
{
    const char *b = getenv("BALLOONSIM");
    snprintf(bin, sizeof bin, "%s", b && *b ? b : "./balloonsim");
    if (bin[0] != '/') {
        char *abs = realpath(bin, NULL);
        if (abs) {
            snprintf(bin, sizeof bin, "%s", abs);
            free(abs);
        }
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(vary_lists_and_ranges_give_exact_values),
        cmocka_unit_test(vary_rejects_bad_input_with_a_reason),
        cmocka_unit_test(plan_range_takes_whole_numbers_only),
        cmocka_unit_test(grid_jobs_cover_every_point_and_seed_once_seeds_outermost),
        cmocka_unit_test(run_ids_survive_added_values_and_seeds),
        cmocka_unit_test(run_id_is_the_documented_hash_and_ignores_order),
        cmocka_unit_test(content_hash_ignores_comments_sweep_seed_and_description),
        cmocka_unit_test(results_order_values_as_numbers_and_lists_and_average_seeds),
        cmocka_unit_test(params_and_summary_read_back),
        cmocka_unit_test(sweep_output_does_not_depend_on_j),
        cmocka_unit_test(merged_shards_equal_one_sweep),
        cmocka_unit_test(interrupted_sweep_resumes_without_redoing_finished_runs),
        cmocka_unit_test(added_values_and_seeds_keep_existing_runs),
        cmocka_unit_test(list_jobs_lines_run_anywhere_and_through_gnu_parallel),
        cmocka_unit_test(bad_vary_input_exits_2_with_a_clear_message_and_makes_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
