/* test_runner.c -- the batch runner (sim/runner.h): one job equals a direct
 * engine run, outcomes land in job order whatever -j, failures stay with
 * their job, run directories are complete, and SIGINT stops a batch cleanly
 * (unfinished jobs marked, no signal left pending, the mask restored). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/engine.h"
#include "sim/batch/runner.h"
#include "sim/scenario.h"
#include "tests/helpers.h"

#define TINY "tests/data/cli_tiny.yaml"
#define TIGHT "tests/data/compare/tight.yaml"
#define BAD "tests/data/cli_bad.yaml"

static void same_values(const met_values *a, const met_values *b)
{
    for (int i = 0; i < MET_COUNT; i++) {
        assert_int_equal(a->present[i], b->present[i]);
        if (a->present[i]) {
            if (isnan(a->v[i]))
                assert_true(isnan(b->v[i]));
            else
                assert_true(a->v[i] == b->v[i]);
        }
    }
}

/* The engine's own result for a job, without the runner. */
static void direct(const char *path, const char *policy, uint64_t seed, met_values *out)
{
    scen_overrides ov = {.policy = policy, .has_seed = true, .seed = seed};
    cfg_errs errs = {0};
    scen *sc = NULL;
    assert_int_equal(scen_load(path, &ov, &errs, &sc), BS_OK);
    cfg_errs_free(&errs);
    eng_result res;
    assert_int_equal(eng_run(sc, NULL, &res), BS_OK);
    *out = res.run;
    eng_result_free(&res);
    scen_free(sc);
}

static void one_job_equals_the_engine(void **state)
{
    (void)state;
    run_job job = {.scenario = TIGHT, .policy = "proportional", .has_seed = true, .seed = 2};
    run_outcome o = {0};
    run_outcome_free(&o);
    run_one(&job, &o);
    assert_int_equal(o.rc, BS_OK);
    assert_string_equal(o.message, "");
    assert_true(o.events > 0);
    met_values want;
    direct(TIGHT, "proportional", 2, &want);
    same_values(&o.run, &want);
    /* the run itself is the first scope */
    assert_true(o.scopes.n >= 1);
    assert_null(o.scopes.s[0].group);
    assert_null(o.scopes.s[0].window);
    same_values(&o.scopes.s[0].v, &want);
    run_outcome_free(&o);
}

static void bad_scenario_is_input_error(void **state)
{
    (void)state;
    run_job job = {.scenario = BAD};
    run_outcome o = {0};
    run_outcome_free(&o);
    run_one(&job, &o);
    assert_int_equal(o.rc, BS_ERR_INPUT);
    /* every error with its position, as `validate` prints them */
    assert_non_null(strstr(o.message, BAD ":2:11: duration:"));
    assert_non_null(strstr(o.message, BAD ":8:17: hosts[0].vms[0].memory:"));

    job = (run_job){.scenario = TINY, .policy = "no-such-policy"};
    run_outcome_free(&o);
    run_one(&job, &o);
    assert_int_equal(o.rc, BS_ERR_INPUT);
    assert_non_null(strstr(o.message, "no-such-policy"));

    job = (run_job){.scenario = "tests/data/compare/does-not-exist.yaml"};
    run_outcome_free(&o);
    run_one(&job, &o);
    assert_int_equal(o.rc, BS_ERR_INPUT);
    assert_non_null(strstr(o.message, "does-not-exist.yaml"));
    run_outcome_free(&o);
}

static void sets_are_applied(void **state)
{
    (void)state;
    /* duration=1h instead of 2h: no VM-time after the first hour */
    const char *sets[] = {"duration=1h"};
    run_job job = {.scenario = TIGHT, .policy = "static", .sets = sets, .n_sets = 1};
    run_outcome half = {0}, full = {0};
    run_outcome_free(&half);
    run_one(&job, &half);
    job.n_sets = 0;
    run_outcome_free(&full);
    run_one(&job, &full);
    assert_int_equal(half.rc, BS_OK);
    assert_int_equal(full.rc, BS_OK);
    assert_true(half.events < full.events);
    run_outcome_free(&half);
    run_outcome_free(&full);
}

/* run_one_to_dir() on its own: a complete directory with the command line
 * given, the same metrics as the engine, and the wrap/unwrap hooks called
 * around the run. */
typedef struct hook_count {
    int wraps, unwraps;
} hook_count;

static const eng_sink *count_wrap(void *ctx, const eng_sink *inner)
{
    ((hook_count *)ctx)->wraps++;
    return inner;
}

static void count_unwrap(void *ctx, const eng_sink *used)
{
    (void)used;
    ((hook_count *)ctx)->unwraps++;
}

/* What the batch progress bar writes to stderr for `calls` (done, total). */
static char *bar_output(run_bar *b, const size_t (*calls)[2], size_t n, bool clear)
{
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    FILE *tmp = tmpfile();
    assert_non_null(tmp);
    dup2(fileno(tmp), STDERR_FILENO);
    for (size_t i = 0; i < n; i++)
        run_bar_draw(b, calls[i][0], calls[i][1]);
    if (clear)
        run_bar_clear(b);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    char *text = th_read_fd(fileno(tmp));
    fclose(tmp);
    return text;
}

static void progress_bar(void **state)
{
    (void)state;
    static const size_t calls[][2] = {{1, 4}, {2, 4}};
    run_bar off = run_bar_start(false, true);
    char *t = bar_output(&off, calls, 2, true);
    assert_string_equal(t, ""); /* off: nothing, not even the clearing */
    free(t);
    run_bar plain = run_bar_start(true, false);
    t = bar_output(&plain, calls, 2, false);
    assert_string_equal(t, "\r[##########..............................] 1/4 runs"
                           "\r[####################....................] 2/4 runs");
    free(t);
    run_bar eta = run_bar_start(true, true);
    t = bar_output(&eta, calls + 1, 1, true);
    assert_non_null(strstr(t, "] 2/4 runs, ETA "));
    assert_non_null(strstr(t, "s   \r")); /* then cleared */
    free(t);
}

static void run_one_to_dir_basic(void **state)
{
    (void)state;
    char *d = th_make_tmpdir("runner-dir");
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/one", d);
    scen_overrides ov = {.has_seed = true, .seed = 4};
    cfg_errs errs = {0};
    scen *sc = NULL;
    assert_int_equal(scen_load(TINY, &ov, &errs, &sc), BS_OK);
    cfg_errs_free(&errs);
    hook_count hc = {0};
    run_dir_opts o = {.command_line = "balloonsim run x", .who = "test", .wrap = count_wrap,
                      .unwrap = count_unwrap, .ctx = &hc};
    eng_result res;
    bool sim_failed = true;
    assert_int_equal(run_one_to_dir(sc, dir, &o, &res, &sim_failed), BS_OK);
    assert_false(sim_failed);
    assert_int_equal(hc.wraps, 1);
    assert_int_equal(hc.unwraps, 1);
    met_values want;
    direct(TINY, NULL, 4, &want);
    same_values(&res.run, &want);
    eng_result_free(&res);
    static const char *const files[] = {"summary.json", "timeseries.csv", "hosts.csv",
                                        "events.csv", "run.json", "plots/memory.gp"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        assert_true(th_exists(dir, files[i]));
    char *run = th_slurp(dir, "run.json");
    assert_non_null(strstr(run, "\"balloonsim run x\""));
    free(run);
    scen_free(sc);
    th_rm_rf(d);
    free(d);
}

static void full_and_summary_only_directories(void **state)
{
    (void)state;
    char *d = th_make_tmpdir("runner");
    char full[1024], small[1024];
    snprintf(full, sizeof full, "%s/full", d);
    snprintf(small, sizeof small, "%s/a/b/small", d);
    run_job job = {.scenario = TINY, .has_seed = true, .seed = 4, .out_dir = full};
    run_outcome o = {0};
    run_outcome_free(&o);
    run_one(&job, &o);
    assert_int_equal(o.rc, BS_OK);
    static const char *const files[] = {"summary.json", "timeseries.csv", "hosts.csv",
                                        "events.csv", "run.json", "plots/memory.gp"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        assert_true(th_exists(full, files[i]));
    char *run = th_slurp(full, "run.json");
    assert_non_null(run);
    /* the command that repeats this job alone */
    char want[1200];
    snprintf(want, sizeof want, "\"command_line\": \"balloonsim run " TINY " -s 4 -o %s\"", full);
    assert_non_null(strstr(run, want));
    free(run);
    char *sum = th_slurp(full, "summary.json");
    assert_non_null(strstr(sum, "\"seed\": 4,"));
    free(sum);

    job.out_dir = small;
    job.summary_only = true;
    run_outcome_free(&o);
    run_one(&job, &o);
    assert_int_equal(o.rc, BS_OK);
    assert_true(th_exists(small, "summary.json"));
    assert_true(th_exists(small, "run.json"));
    assert_false(th_exists(small, "timeseries.csv"));
    assert_false(th_exists(small, "plots"));
    assert_false(th_exists(small, ".summary.json.tmp"));
    /* the same summary as the full directory's */
    char *a = th_slurp(full, "summary.json"), *b = th_slurp(small, "summary.json");
    assert_string_equal(a, b);
    free(a);
    free(b);
    run_outcome_free(&o);
    th_rm_rf(d);
    free(d);
}

#define NJOBS 7
static void jobs(run_job *j)
{
    static const char *const pols[] = {"static", "proportional"};
    for (int i = 0; i < NJOBS; i++)
        j[i] = (run_job){.scenario = TIGHT, .policy = pols[i % 2], .has_seed = true,
                         .seed = (uint64_t)(1 + i / 2)};
    j[3].scenario = BAD; /* a failure in the middle stays with its job */
}

typedef struct count {
    size_t calls, last_done, total;
} count;

static void counting(void *ctx, size_t done, size_t total)
{
    count *c = ctx;
    c->calls++;
    assert_true(done > c->last_done);
    c->last_done = done;
    c->total = total;
}

static void batch_order_and_parallelism(void **state)
{
    (void)state;
    run_job j[NJOBS];
    jobs(j);
    run_outcome o1[NJOBS], o4[NJOBS];
    count c1 = {0}, c4 = {0};
    assert_int_equal(run_batch(j, NJOBS, 1, o1, counting, &c1), BS_OK);
    assert_int_equal(run_batch(j, NJOBS, 4, o4, counting, &c4), BS_OK);
    assert_int_equal(c1.calls, NJOBS);
    assert_int_equal(c4.calls, NJOBS);
    assert_int_equal(c4.total, NJOBS);
    for (int i = 0; i < NJOBS; i++) {
        assert_int_equal(o1[i].rc, o4[i].rc);
        assert_string_equal(o1[i].message, o4[i].message);
        if (i == 3) {
            assert_int_equal(o4[i].rc, BS_ERR_INPUT);
            assert_non_null(strstr(o4[i].message, BAD ":2:11:"));
            continue;
        }
        assert_int_equal(o4[i].rc, BS_OK);
        assert_int_equal(o1[i].events, o4[i].events);
        same_values(&o1[i].run, &o4[i].run);
        /* the scopes came through the pipe whole */
        assert_int_equal(o1[i].scopes.n, o4[i].scopes.n);
        for (size_t k = 0; k < o4[i].scopes.n; k++) same_values(&o1[i].scopes.s[k].v, &o4[i].scopes.s[k].v);
        /* job i's own result, not another's */
        met_values want;
        direct(j[i].scenario, j[i].policy, j[i].seed, &want);
        same_values(&o4[i].run, &want);
    }
    /* more processes than jobs, and no jobs at all */
    for (int i = 0; i < NJOBS; i++) run_outcome_free(&o4[i]);
    assert_int_equal(run_batch(j, 2, 64, o4, NULL, NULL), BS_OK);
    same_values(&o4[1].run, &o1[1].run);
    for (int i = 0; i < NJOBS; i++) run_outcome_free(&o1[i]);
    for (int i = 0; i < 2; i++) run_outcome_free(&o4[i]);
    assert_int_equal(run_batch(NULL, 0, 4, NULL, NULL, NULL), BS_OK);
}

static void raise_sigint_once(void *ctx, size_t done, size_t total)
{
    (void)total;
    size_t *at = ctx;
    if (done == *at)
        raise(SIGINT); /* blocked inside run_batch: pending until it looks */
}

static void interrupted(int parallel)
{
    run_job j[8];
    for (int i = 0; i < 8; i++)
        j[i] = (run_job){.scenario = TIGHT, .policy = "proportional", .has_seed = true,
                         .seed = (uint64_t)(i + 1)};
    run_outcome o[8];
    size_t at = 1;
    assert_int_equal(run_batch(j, 8, parallel, o, raise_sigint_once, &at), BS_ERR_INTERNAL);
    /* we are still alive: the SIGINT was consumed, and the mask is back */
    sigset_t pending, mask;
    sigpending(&pending);
    assert_false(sigismember(&pending, SIGINT));
    sigprocmask(SIG_BLOCK, NULL, &mask);
    assert_false(sigismember(&mask, SIGINT));
    assert_false(sigismember(&mask, SIGCHLD));
    size_t ok = 0, stopped = 0;
    for (int i = 0; i < 8; i++) {
        if (o[i].rc == BS_OK) {
            ok++;
        } else {
            assert_int_equal(o[i].rc, BS_ERR_INTERNAL);
            assert_string_equal(o[i].message, "interrupted");
            stopped++;
        }
    }
    assert_true(ok >= 1);
    assert_true(stopped >= 8 - 1 - (size_t)parallel); /* nothing new after the signal */
    for (int i = 0; i < 8; i++) run_outcome_free(&o[i]);
    assert_int_equal(o[7].rc, BS_ERR_INTERNAL);
}

static void sigint_in_process(void **state)
{
    (void)state;
    interrupted(1);
}

static void sigint_with_children(void **state)
{
    (void)state;
    interrupted(2);
}

static void default_parallelism(void **state)
{
    (void)state;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    assert_int_equal(run_default_parallelism(), n < 1 ? 1 : (int)n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_job_equals_the_engine),
        cmocka_unit_test(bad_scenario_is_input_error),
        cmocka_unit_test(sets_are_applied),
        cmocka_unit_test(full_and_summary_only_directories),
        cmocka_unit_test(run_one_to_dir_basic),
        cmocka_unit_test(progress_bar),
        cmocka_unit_test(batch_order_and_parallelism),
        cmocka_unit_test(sigint_in_process),
        cmocka_unit_test(sigint_with_children),
        cmocka_unit_test(default_parallelism),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
