/* test_pol_oracle.c -- the `oracle` policy: targets from the truth.
 *
 * There is no original to follow: the expected values come from the rules
 * in policies/oracle.c and docs/policies.md (`oracle`), worked out by hand in
 * each test -- peak demand plus affordable cache within [min, max]; a
 * shortfall split in proportion to demand squared (minimum of sum (S/D)^2,
 * fill.c); no truth: committed or actual - available, plus cache.  The
 * decisions read a fake truth that records the window it is asked about.
 * The end-to-end test runs every built-in policy on one small contended
 * scenario and checks that none stalls less than the oracle. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/helpers.h"
#include "policies/pol.h"
#include "sim/base/cfg.h"
#include "sim/scenario.h"

/* Policies under test, defined in policies/NAME.c (not in pol.h: callers
 * elsewhere find them by name through the registry). */
extern const pol_type pol_feedback;
extern const pol_type pol_oracle;

#define MiB (1024LL * 1024)
#define GiB (1024LL * MiB)
#define SEC BS_NS_PER_S
#define NMAX 8

/* ------------------------------------------------------------------ */
/* helpers                                                             */

/* The truth: per scenario VM index, the peaks to report, and the window
 * of the last question. */
typedef struct fake_truth {
    int64_t d[NMAX], k[NMAX];
    bs_time from, to;
    int calls;
} fake_truth;

static int64_t ft_demand(const void *ctx, size_t vm, bs_time from, bs_time to) {
    fake_truth *ft = (fake_truth *)(uintptr_t)ctx; /* a test object, not const */
    assert_true(vm < NMAX);
    ft->from = from;
    ft->to = to;
    ft->calls++;
    return ft->d[vm];
}

static int64_t ft_cache(const void *ctx, size_t vm, bs_time from, bs_time to) {
    const fake_truth *ft = ctx;
    (void)from, (void)to;
    return ft->k[vm];
}

typedef struct orc_run {
    cfg_doc *doc;
    void *cfg, *state;
    fake_truth ft;
    pol_truth truth;
} orc_run;

static void setup_into(orc_run *r, const char *params_yaml) {
    memset(r, 0, sizeof *r);
    th_policy p;
    th_policy_setup(&p, &pol_oracle, params_yaml, 0);
    r->doc = p.doc;
    r->cfg = p.cfg;
    r->state = p.state;
    r->truth = (pol_truth){.ctx = &r->ft, .peak_demand = ft_demand, .peak_cache = ft_cache};
}

static void teardown_run(orc_run *r) {
    th_policy p = {&pol_oracle, r->doc, r->cfg, r->state};
    th_policy_teardown(&p);
}

static pol_host_view host(int64_t memory, int64_t reserved, const pol_truth *truth) {
    return (pol_host_view){.name = "h", .host = 0, .memory = memory, .reserved = reserved,
                           .free = memory / 2, .available = memory / 2, .truth = truth};
}

/* A managed VM at scenario index `vm`, currently at `actual` (= target). */
static pol_vm_view vm(size_t index, int64_t min, int64_t max, int64_t actual) {
    static const char *const names[NMAX] = {"v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7"};
    return (pol_vm_view){.name = names[index], .vm = index, .actual = actual, .target = actual,
                         .max = max, .min = min, .shares = 1000, .committed = -1,
                         .active = -1, .balloon = true};
}

static void decide(orc_run *r, bs_time now, const pol_host_view *h, const pol_vm_view *v,
                   size_t n, int64_t *t) {
    assert_int_equal(pol_decide_all(&pol_oracle, r->cfg, r->state, now, h, v, n, t), BS_OK);
}

/* ------------------------------------------------------------------ */
/* decisions                                                           */

/* Room for everything: each target is its peak demand plus its peak cache. */
static void test_peaks_fit(void **s) {
    (void)s;
    orc_run r;
    setup_into(&r, NULL);
    r.ft.d[0] = 3 * GiB, r.ft.k[0] = GiB;
    r.ft.d[1] = 2 * GiB, r.ft.k[1] = 512 * MiB;
    pol_host_view h = host(32 * GiB, GiB, &r.truth);
    pol_vm_view v[2] = {vm(0, GiB, 8 * GiB, GiB), vm(1, GiB, 8 * GiB, 6 * GiB)};
    int64_t t[2];
    decide(&r, 100 * SEC, &h, v, 2, t);
    assert_int_equal(t[0], 4 * GiB);
    assert_int_equal(t[1], 2 * GiB + 512 * MiB);
    teardown_run(&r);
}

/* Never below min, never above max. */
static void test_bounds(void **s) {
    (void)s;
    orc_run r;
    setup_into(&r, NULL);
    r.ft.d[0] = 10 * GiB;                   /* more than its memory */
    r.ft.d[1] = 100 * MiB, r.ft.k[1] = 0;   /* less than its min */
    r.ft.d[2] = 3 * GiB, r.ft.k[2] = 8 * GiB; /* cache up to the cap */
    pol_host_view h = host(64 * GiB, 0, &r.truth);
    pol_vm_view v[3] = {vm(0, GiB, 8 * GiB, GiB), vm(1, GiB, 8 * GiB, GiB),
                        vm(2, GiB, 6 * GiB, GiB)};
    int64_t t[3];
    decide(&r, 0, &h, v, 3, t);
    assert_int_equal(t[0], 8 * GiB);
    assert_int_equal(t[1], GiB);
    assert_int_equal(t[2], 6 * GiB);
    teardown_run(&r);
}

/* Every working set fits, only part of the cache: each VM gets the same
 * share of its cache (here half: pool = sum D + half of sum K). */
static void test_cache_it_can_afford(void **s) {
    (void)s;
    orc_run r;
    setup_into(&r, NULL);
    r.ft.d[0] = 2 * GiB, r.ft.k[0] = 2 * GiB;
    r.ft.d[1] = 3 * GiB, r.ft.k[1] = GiB;
    pol_host_view h = host(8 * GiB, GiB + GiB / 2, &r.truth); /* pool 6.5 = 5 + 3/2 GiB */
    pol_vm_view v[2] = {vm(0, 512 * MiB, 8 * GiB, GiB), vm(1, 512 * MiB, 8 * GiB, GiB)};
    int64_t t[2];
    decide(&r, 0, &h, v, 2, t);
    assert_int_equal(t[0], 3 * GiB);
    assert_int_equal(t[1], 3 * GiB + GiB / 2);
    teardown_run(&r);
}

/* Not every peak fits: shortfall S_i = deficit * D_i^2 / sum D_j^2.
 * D = 2, 4, 6 GiB in a 10 GiB pool: deficit 2 GiB, shares 4/56, 16/56,
 * 36/56. */
static void test_deficit_split_by_demand_squared(void **s) {
    (void)s;
    orc_run r;
    setup_into(&r, NULL);
    r.ft.d[0] = 2 * GiB, r.ft.d[1] = 4 * GiB, r.ft.d[2] = 6 * GiB;
    r.ft.k[0] = r.ft.k[1] = r.ft.k[2] = GiB; /* no cache in a deficit */
    pol_host_view h = host(11 * GiB, GiB, &r.truth);
    pol_vm_view v[3] = {vm(0, 512 * MiB, 8 * GiB, 512 * MiB), vm(1, 512 * MiB, 8 * GiB, 512 * MiB),
                        vm(2, 512 * MiB, 8 * GiB, 512 * MiB)};
    int64_t t[3];
    decide(&r, 0, &h, v, 3, t);
    const double sq[3] = {4, 16, 36};
    int64_t sum = 0;
    for (size_t i = 0; i < 3; i++) {
        double want = (double)r.ft.d[i] - 2.0 * (double)GiB * sq[i] / 56.0;
        assert_true(fabs((double)t[i] - want) <= 1.0);
        sum += t[i];
    }
    assert_true(sum <= 10 * GiB && sum >= 10 * GiB - 3);
    teardown_run(&r);
}

/* The minimums do not even fit: everyone at min. */
static void test_minimums_exceed_pool(void **s) {
    (void)s;
    orc_run r;
    setup_into(&r, NULL);
    r.ft.d[0] = r.ft.d[1] = 4 * GiB;
    pol_host_view h = host(4 * GiB, GiB, &r.truth);
    pol_vm_view v[2] = {vm(0, 2 * GiB, 8 * GiB, 2 * GiB), vm(1, 2 * GiB, 8 * GiB, 2 * GiB)};
    int64_t t[2];
    decide(&r, 0, &h, v, 2, t);
    assert_int_equal(t[0], 2 * GiB);
    assert_int_equal(t[1], 2 * GiB);
    teardown_run(&r);
}

/* VMs with ballooning disabled, shares 0 or locked are left alone, and what
 * they hold is not in the pool: 10 GiB - 3 - 2 - 1 leaves 4 GiB for v0. */
static void test_left_alone(void **s) {
    (void)s;
    orc_run r;
    setup_into(&r, NULL);
    r.ft.d[0] = 6 * GiB;
    r.ft.d[1] = r.ft.d[2] = r.ft.d[3] = GiB;
    pol_host_view h = host(10 * GiB, 0, &r.truth);
    pol_vm_view v[4] = {vm(0, GiB, 8 * GiB, GiB), vm(1, GiB, 8 * GiB, 3 * GiB),
                        vm(2, GiB, 8 * GiB, 2 * GiB), vm(3, GiB, 8 * GiB, GiB)};
    v[1].balloon = false;
    v[2].shares = 0;
    v[3].locked = true;
    int64_t t[4];
    decide(&r, 0, &h, v, 4, t);
    assert_int_equal(t[0], 4 * GiB);
    assert_int_equal(t[1], POL_LEAVE);
    assert_int_equal(t[2], POL_LEAVE);
    assert_int_equal(t[3], POL_LEAVE);
    teardown_run(&r);
}

/* The window asked of the truth: [now, now + lookahead]; auto is
 * 2 x interval + 30 s (50 s at the default 10 s, 70 s at a scenario's 20 s). */
static void test_lookahead_window(void **s) {
    (void)s;
    orc_run r;
    setup_into(&r, "{lookahead: 1m}");
    r.ft.d[0] = GiB;
    pol_host_view h = host(8 * GiB, 0, &r.truth);
    pol_vm_view v[1] = {vm(0, 0, 4 * GiB, GiB)};
    int64_t t[1];
    decide(&r, 100 * SEC, &h, v, 1, t);
    assert_int_equal(r.ft.from, 100 * SEC);
    assert_int_equal(r.ft.to, 160 * SEC);
    teardown_run(&r);

    setup_into(&r, "{lookahead: auto}");
    r.ft.d[0] = GiB;
    h.truth = &r.truth;
    decide(&r, 10 * SEC, &h, v, 1, t);
    assert_int_equal(r.ft.to - r.ft.from, 50 * SEC);
    teardown_run(&r);

    scen *sc = th_load("duration: 1m\n"
                       "policy: {name: oracle, interval: 20s}\n"
                       "hosts: [{memory: 8GiB, vms: [{name: a, memory: 4GiB,\n"
                       "  workload: {type: constant, size: 1GiB}}]}]\n");
    fake_truth ft = {.d = {GiB}};
    pol_truth tr = {.ctx = &ft, .peak_demand = ft_demand, .peak_cache = ft_cache};
    void *state = NULL;
    assert_int_equal(pol_oracle.state_new(sc->policy.cfg, 0, &state), BS_OK);
    h.truth = &tr;
    assert_int_equal(pol_decide_all(&pol_oracle, sc->policy.cfg, state, 0, &h, v, 1, t), BS_OK);
    assert_int_equal(ft.to - ft.from, 70 * SEC);
    pol_oracle.free_state(state);
    scen_free(sc);
}

/* Without the truth (`decide`): committed when the guest reports it, else
 * actual - available; the resident cache on top. */
static void test_without_truth(void **s) {
    (void)s;
    orc_run r;
    setup_into(&r, NULL);
    pol_host_view h = host(32 * GiB, 0, NULL);
    pol_vm_view v[2] = {vm(0, 512 * MiB, 8 * GiB, 4 * GiB), vm(1, 512 * MiB, 8 * GiB, 4 * GiB)};
    v[0].vm = v[1].vm = SIZE_MAX;
    v[0].available = GiB + GiB / 2, v[0].cache = GiB / 2, v[0].free = GiB;
    v[1].committed = 2 * GiB, v[1].cache = GiB / 4, v[1].available = GiB, v[1].free = 3 * GiB / 4;
    int64_t t[2];
    decide(&r, 0, &h, v, 2, t);
    assert_int_equal(t[0], 3 * GiB); /* = actual - free */
    assert_int_equal(t[1], 2 * GiB + GiB / 4);
    assert_int_equal(r.ft.calls, 0);
    teardown_run(&r);

    /* a truth, but a view with no scenario index: the same fallback */
    setup_into(&r, "{cache: false}");
    h.truth = &r.truth;
    decide(&r, 0, &h, v, 2, t);
    assert_int_equal(t[0], 2 * GiB + GiB / 2);
    assert_int_equal(t[1], 2 * GiB);
    assert_int_equal(r.ft.calls, 0);
    teardown_run(&r);
}

/* Pacing: growth only into memory no guest holds now; pace: false sets the
 * plan at once.  v1 shrinks from 6 to 2 GiB but still holds 6: of the 4 GiB
 * v0 wants, only the 1 GiB free now is granted. */
static void test_pace(void **s) {
    (void)s;
    orc_run r;
    setup_into(&r, NULL);
    r.ft.d[0] = 6 * GiB, r.ft.d[1] = 2 * GiB;
    pol_host_view h = host(10 * GiB, GiB, &r.truth);
    pol_vm_view v[2] = {vm(0, GiB, 8 * GiB, 2 * GiB), vm(1, GiB, 8 * GiB, 6 * GiB)};
    int64_t t[2];
    decide(&r, 0, &h, v, 2, t);
    assert_int_equal(t[0], 3 * GiB);
    assert_int_equal(t[1], 2 * GiB);
    teardown_run(&r);

    setup_into(&r, "{pace: false}");
    r.ft.d[0] = 6 * GiB, r.ft.d[1] = 2 * GiB;
    h.truth = &r.truth;
    decide(&r, 0, &h, v, 2, t);
    assert_int_equal(t[0], 6 * GiB);
    assert_int_equal(t[1], 2 * GiB);
    teardown_run(&r);
}

static void test_listed(void **s) {
    (void)s;
    const pol_type *t = pol_find("oracle");
    assert_ptr_equal(t, &pol_oracle);
    assert_true(t->needs_truth);
    const char *names[] = {"lookahead", "cache", "pace"};
    size_t k = 0;
    for (; t->params[k].name != NULL; k++) assert_string_equal(t->params[k].name, names[k]);
    assert_int_equal(k, 3);
    assert_string_equal(t->params[0].dflt, "auto");
    /* listed after feedback, last */
    const pol_type *const *all = pol_types();
    size_t n = 0;
    while (all[n] != NULL) n++;
    assert_ptr_equal(all[n - 1], &pol_oracle);
    assert_ptr_equal(all[n - 2], &pol_feedback);
}

static void test_bad_params(void **s) {
    (void)s;
    const char *bad[] = {"{lookahead: 0s}", "{lookahead: soon}", "{cache: maybe}",
                         "{pace: 3}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        th_expect_one_error(&pol_oracle, bad[i], "policy.params", "policy.params.");
}

/* ------------------------------------------------------------------ */
/* end to end                                                          */

/* Load inline YAML with `-p POLICY`; NULL when the policy cannot run this
 * scenario unconfigured (scripted needs its targets). */
static scen *load_as(const char *yaml, const char *policy) {
    char path[] = "/tmp/balloonsim-oracle-XXXXXX.yaml";
    int fd = mkstemps(path, 5);
    assert_true(fd >= 0);
    size_t len = strlen(yaml);
    assert_int_equal(write(fd, yaml, len), (ssize_t)len);
    close(fd);
    scen_overrides ov = {.policy = policy};
    cfg_errs errs = {0};
    scen *sc = NULL;
    bs_rc rc = scen_load(path, &ov, &errs, &sc);
    unlink(path);
    cfg_errs_free(&errs);
    return rc == BS_OK ? sc : NULL;
}

/* Three guests whose bursts overlap for half an hour on a host that cannot
 * hold them all (15 GiB of demand, 11 GiB of pool): every policy stalls
 * there, and none less than the oracle. */
static const char *contended =
    "duration: 3h\n"
    "seed: 7\n"
    "hosts:\n"
    "  - memory: 12GiB\n"
    "    reserved: 1GiB\n"
    "    swap: 4GiB\n"
    "    vms:\n"
    "      - {name: a, memory: 8GiB, min: 1GiB, swap: 4GiB,\n"
    "         workload: {type: steps, steps: [{at: 0s, size: 2GiB}, {at: 30m, size: 6GiB},\n"
    "                                         {at: 1h30m, size: 2GiB}]}}\n"
    "      - {name: b, memory: 8GiB, min: 1GiB, swap: 4GiB,\n"
    "         workload: {type: steps, steps: [{at: 0s, size: 5GiB}, {at: 20m, size: 2GiB},\n"
    "                                         {at: 1h, size: 6GiB}, {at: 2h, size: 3GiB}]}}\n"
    "      - {name: c, memory: 6GiB, min: 1GiB, swap: 2GiB,\n"
    "         workload: {type: diurnal, base: 2GiB, peak: 3GiB, peak_at: 1h15m, noise: 5%}}\n";

static void test_e2e_oracle_is_the_bound(void **s) {
    (void)s;
    scen *sc = load_as(contended, "oracle");
    assert_non_null(sc);
    eng_result res;
    assert_int_equal(eng_run(sc, NULL, &res), BS_OK);
    double bound = res.run.v[MET_STALL_S];
    assert_true(bound > 0); /* the overlap cannot be served: a real contest */
    assert_int_equal((int)res.run.v[MET_GUEST_OOM_KILLS], 0);
    eng_result_free(&res);
    scen_free(sc);

    size_t ran = 0;
    for (const pol_type *const *t = pol_types(); *t != NULL; t++) {
        if (*t == &pol_oracle) continue;
        scen *o = load_as(contended, (*t)->name);
        if (o == NULL) continue;
        assert_int_equal(eng_run(o, NULL, &res), BS_OK);
        if (res.run.v[MET_STALL_S] < bound)
            fail_msg("%s stalls %.1f s, less than the oracle's %.1f s", (*t)->name,
                     res.run.v[MET_STALL_S], bound);
        eng_result_free(&res);
        scen_free(o);
        ran++;
    }
    assert_true(ran >= 9); /* static, proportional and the seven real controllers at least */
}

/* Characteristic: the oracle moves before the demand does.  A step from 1 to
 * 5 GiB at 1h is met by a target set within the lookahead before it, so the
 * guest never swaps. */
static void test_e2e_ahead_of_demand(void **s) {
    (void)s;
    scen *sc = th_load("duration: 2h\n"
                       "sample_interval: 10s\n"
                       "policy: oracle\n"
                       "hosts: [{memory: 16GiB, vms: [{name: a, memory: 8GiB, min: 512MiB,\n"
                       "  start_memory: 1GiB, swap: 1GiB,\n"
                       "  workload: {type: steps, steps: [{at: 0s, size: 1GiB},\n"
                       "                                  {at: 1h, size: 5GiB}]}}]}]\n");
    th_capture cap;
    eng_result res;
    th_run(sc, &cap, &res);
    const eng_event *ev[256];
    size_t n = th_find_events(&cap, "a", "target", ev, 256);
    bool early = false;
    for (size_t i = 0; i < n; i++) {
        assert_true(ev[i]->value >= 512 * MiB && ev[i]->value <= 8 * GiB);
        if (ev[i]->t < 3600 * SEC && ev[i]->t >= 3600 * SEC - 50 * SEC && ev[i]->value >= 5 * GiB)
            early = true;
    }
    assert_true(early);
    for (size_t i = 0; i < cap.n_vm_rows; i++) assert_int_equal(cap.vm_rows[i].guest_swapped, 0);
    assert_true(res.run.v[MET_STALL_S] == 0);
    eng_result_free(&res);
    th_capture_free(&cap);
    scen_free(sc);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_peaks_fit),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_cache_it_can_afford),
        cmocka_unit_test(test_deficit_split_by_demand_squared),
        cmocka_unit_test(test_minimums_exceed_pool),
        cmocka_unit_test(test_left_alone),
        cmocka_unit_test(test_lookahead_window),
        cmocka_unit_test(test_without_truth),
        cmocka_unit_test(test_pace),
        cmocka_unit_test(test_listed),
        cmocka_unit_test(test_bad_params),
        cmocka_unit_test(test_e2e_oracle_is_the_bound),
        cmocka_unit_test(test_e2e_ahead_of_demand),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
