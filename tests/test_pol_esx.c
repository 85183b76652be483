/* test_pol_esx.c -- the `esx` policy (policies/esx.c).
 *
 * Expected targets are worked out by hand next to each case from the sources
 * the policy follows:
 *   [W02] C. A. Waldspurger, "Memory Resource Management in VMware ESX
 *         Server", OSDI 2002: 5.2 the adjusted shares-per-page ratio
 *         rho = S / (P (f + k (1 - f))), k = 1 / (1 - tau), "tau = 0
 *         specifies pure share-based isolation", default tax 75 %; 5.3
 *         sampling per 30 s period, slow and fast moving averages and a
 *         current-period version, maximum taken; 6.3 free-memory states high,
 *         soft, hard, low at 6, 4, 2, 1 %, allocations that "drive the
 *         aggregate amount of free space above the high threshold", a lower
 *         state when free memory drops below its threshold, back up only
 *         "after significantly exceeding the higher threshold".
 *   [ADM] VMware ESX Server administration guide, advanced memory options:
 *         Mem.CtlMaxPercent 65 (the balloon's limit, of configured memory),
 *         Mem.BalancePeriod 15 s, Mem.IdleTax 75, Mem.SamplePeriod 30 s.
 * Host sizes are chosen so that thresholds are whole bytes: 100 GiB x 6 % is
 * exactly 6 GiB. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policies/pol.h"
#include "sim/base/cfg.h"
#include "sim/scenario.h"
#include "tests/helpers.h"

/* Policies under test, defined in policies/NAME.c (not in pol.h: callers
 * elsewhere find them by name through the registry). */
extern const pol_type pol_esx;

#define KiB 1024LL
#define MiB (1024LL * KiB)
#define GiB (1024LL * MiB)
#define SEC BS_NS_PER_S

/* ------------------------------------------------------------------ */
/* helpers                                                             */

/* A VM whose active memory is known (the view carries ESX's estimate). */
static pol_vm_view vm(const char *name, int64_t max, int64_t actual, int64_t active) {
    return (pol_vm_view){.name = name, .vm = SIZE_MAX, .actual = actual, .target = actual,
                         .max = max, .min = 0, .shares = 1000, .committed = -1,
                         .active = active, .balloon = true};
}

/* A VM whose stats give a resident working set `ws` (active unknown):
 * free = actual - ws - cache, with 256 MiB of cache. */
static pol_vm_view vm_ws(const char *name, int64_t max, int64_t actual, int64_t ws) {
    pol_vm_view v = vm(name, max, actual, -1);
    v.cache = 256 * MiB;
    v.free = actual - ws - v.cache;
    v.available = v.free + v.cache;
    return v;
}

/* 100 GiB host: high 6, soft 4, hard 2, low 1 GiB, hysteresis 1 GiB. */
static pol_host_view host(int64_t reserved, int64_t free) {
    return (pol_host_view){.name = "h", .host = SIZE_MAX, .memory = 100 * GiB,
                           .reserved = reserved, .free = free, .available = free};
}

typedef struct fx {
    void *cfg, *state;
} fx;

static fx open_fx(const char *params) {
    cfg_errs errs = {0};
    cfg_doc *doc = NULL;
    assert_int_equal(cfg_doc_new(&doc), BS_OK);
    cfg_node *root = NULL;
    if (params != NULL)
        assert_int_equal(cfg_parse_string(doc, "params.yaml", params, &errs, &root), BS_OK);
    cfg_ctx cx = {.errs = &errs, .doc = doc};
    fx f = {0};
    assert_int_equal(pol_esx.configure(&cx, root, "policy.params", NULL, &f.cfg), BS_OK);
    if (errs.n) cfg_errs_print(&errs, stderr);
    assert_int_equal(errs.n, 0);
    assert_int_equal(pol_esx.state_new(f.cfg, 0, &f.state), BS_OK);
    cfg_doc_free(doc);
    cfg_errs_free(&errs);
    return f;
}

static void close_fx(fx *f) {
    pol_esx.free_state(f->state);
    pol_esx.free_config(f->cfg);
}

static void tick(fx *f, bs_time now, const pol_host_view *h, const pol_vm_view *vms, size_t n,
                 int64_t *targets) {
    assert_int_equal(pol_decide_all(&pol_esx, f->cfg, f->state, now, h, vms, n, targets), BS_OK);
}

/* One decision on a fresh state. */
static void decide(const char *params, const pol_host_view *h, const pol_vm_view *vms, size_t n,
                   int64_t *targets) {
    fx f = open_fx(params);
    tick(&f, 15 * SEC, h, vms, n, targets);
    close_fx(&f);
}

static char *dump(const fx *f) {
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    assert_non_null(m);
    pol_esx.state_dump(m, f->state);
    assert_int_equal(fclose(m), 0);
    return buf;
}

static void assert_dump(const fx *f, const char *want) {
    char *got = dump(f);
    assert_string_equal(got, want);
    free(got);
}

/* Load `yaml` (a policy_state mapping) into a fresh state; returns the rc
 * and the number of errors. */
static bs_rc load(fx *f, const char *yaml, size_t *n_errs) {
    cfg_errs errs = {0};
    cfg_doc *doc = NULL;
    assert_int_equal(cfg_doc_new(&doc), BS_OK);
    cfg_node *root = NULL;
    assert_int_equal(cfg_parse_string(doc, "snap.yaml", yaml, &errs, &root), BS_OK);
    cfg_ctx cx = {.errs = &errs, .doc = doc};
    bs_rc rc = pol_esx.state_load(&cx, root, "policy_state", f->state);
    if (rc == BS_OK) cfg_check_unknown(&cx, root, "policy_state", "state, vms");
    *n_errs = errs.n;
    cfg_doc_free(doc);
    cfg_errs_free(&errs);
    return rc;
}

/* ------------------------------------------------------------------ */
/* registration and params                                             */

static void test_registered(void **s) {
    (void)s;
    assert_ptr_equal(pol_find("esx"), &pol_esx);
    assert_int_equal(pol_esx.default_interval, 15 * SEC); /* [ADM] Mem.BalancePeriod */
    const pol_param *p = pol_esx.params;
    const char *want[][2] = {{"idle_tax", "75%"}, {"sample_period", "30s"}, {"fast_gain", "50%"},
                             {"slow_gain", "12.5%"}, {"high", "6%"}, {"soft", "4%"},
                             {"hard", "2%"}, {"low", "1%"}, {"hysteresis", "1%"},
                             {"balloon_max", "65%"}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        assert_string_equal(p[i].name, want[i][0]);
        assert_string_equal(p[i].dflt, want[i][1]);
    }
    assert_null(p[sizeof want / sizeof want[0]].name);
}

static void test_bad_params(void **s) {
    (void)s;
    const char *bad[] = {"{idle_tax: 100%}", "{sample_period: 0s}", "{soft: 7%}",
                         "{hard: 5%}",       "{fast_gain: 0}",      "{balloon_max: 120%}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        th_expect_one_error(&pol_esx, bad[i], "policy.params", "policy.params");
}

/* ------------------------------------------------------------------ */
/* allocation                                                          */

/* [W02] tau = 0: pure share-based allocation.  Pool = 100 - 0 - 6 = 94 GiB
 * (below 4 GiB free: soft state, so targets are set); shares 1:3 ->
 * 23.5 and 70.5 GiB, whatever the VMs use. */
static void test_tax_zero_is_share_split(void **s) {
    (void)s;
    pol_vm_view v[2] = {vm("a", 80 * GiB, 80 * GiB, 1 * GiB), vm("b", 80 * GiB, 80 * GiB, 80 * GiB)};
    v[1].shares = 3000;
    pol_host_view h = host(0, 3 * GiB);
    int64_t t[2];
    decide("{idle_tax: 0%, balloon_max: 100%}", &h, v, 2, t);
    assert_int_equal(t[0], 23 * GiB + 512 * MiB);
    assert_int_equal(t[1], 70 * GiB + 512 * MiB);
}

/* [W02] the idle memory tax at its default 75 %: k = 4, an idle page costs
 * four active ones.  Pool = 100 - 84 - 6 = 10 GiB, equal shares.  "idle" has
 * nothing active, "busy" all 16 GiB: equal rho needs 1000 / (4 P_idle) =
 * 1000 / P_busy, P_idle + P_busy = 10 -> 2 and 8 GiB. */
static void test_tax_idle_against_active(void **s) {
    (void)s;
    pol_vm_view v[2] = {vm("idle", 16 * GiB, 8 * GiB, 0), vm("busy", 16 * GiB, 8 * GiB, 16 * GiB)};
    pol_host_view h = host(84 * GiB, 3 * GiB);
    int64_t t[2];
    decide("{balloon_max: 100%}", &h, v, 2, t);
    assert_int_equal(t[0], 2 * GiB);
    assert_int_equal(t[1], 8 * GiB);
    /* With the 65 % balloon limit, idle keeps 16 - 10.4 = 5.6 GiB (rounded
     * to pages: 10.4 GiB = 2726297.6 pages -> 2726297 pages ballooned). */
    decide(NULL, &h, v, 2, t);
    assert_int_equal(t[0], 16 * GiB - 2726297 * 4 * KiB);
    assert_int_equal(t[1], 8 * GiB);
}

/* Same with 1 GiB of the idle VM active: its cost is a + 4 (P - a), busy's is
 * P (all active).  1 + 4 (P_i - 1) = P_b and P_i + P_b = 10 -> P_i = 2.6,
 * P_b = 7.4 GiB (both rho = 1000 / 7.4 GiB), rounded down to bytes:
 * 2.6 GiB = 2791728742.4, 7.4 GiB = 7945689497.6. */
static void test_tax_partly_active(void **s) {
    (void)s;
    pol_vm_view v[2] = {vm("idle", 16 * GiB, 8 * GiB, 1 * GiB),
                        vm("busy", 16 * GiB, 8 * GiB, 16 * GiB)};
    pol_host_view h = host(84 * GiB, 3 * GiB);
    int64_t t[2];
    decide("{balloon_max: 100%}", &h, v, 2, t);
    assert_int_equal(t[0], 2791728742);
    assert_int_equal(t[1], 7945689497);
    assert_true(t[0] + t[1] <= 10 * GiB);
}

/* Minimum and maximum bound the allocation; what they cut off goes to the
 * others.  Pool 10 GiB, tax 0, equal shares: "floor" has min 6 GiB (its 5
 * would be below), "cap" has max 1 GiB; "rest" gets 10 - 6 - 1 = 3 GiB. */
static void test_min_and_max(void **s) {
    (void)s;
    pol_vm_view v[3] = {vm("floor", 16 * GiB, 8 * GiB, 0), vm("cap", 1 * GiB, 1 * GiB, 0),
                        vm("rest", 16 * GiB, 8 * GiB, 0)};
    v[0].min = 6 * GiB;
    pol_host_view h = host(84 * GiB, 3 * GiB);
    int64_t t[3];
    decide("{idle_tax: 0%, balloon_max: 100%}", &h, v, 3, t);
    assert_int_equal(t[0], 6 * GiB);
    assert_int_equal(t[1], 1 * GiB);
    assert_int_equal(t[2], 3 * GiB);
}

/* [ADM] Mem.CtlMaxPercent: the balloon takes at most 65 % of the VM, in
 * whole pages.  3 GiB x 0.65 = 2093796556.8 bytes = 511180.8 pages -> 511180
 * pages = 2093793280 bytes; target 3 GiB - that = 1127432192.  The pool
 * (100 - 93 - 6 = 1 GiB, split by shares 1:2) would give "a" 341.3 MiB. */
static void test_balloon_cap(void **s) {
    (void)s;
    pol_vm_view v[2] = {vm("a", 3 * GiB, 3 * GiB, 0), vm("b", 3 * GiB, 3 * GiB, 0)};
    v[1].shares = 2000;
    pol_host_view h = host(93 * GiB, 3 * GiB);
    int64_t t[2];
    decide("{idle_tax: 0%}", &h, v, 2, t);
    assert_int_equal(t[0], 1127432192);
    assert_int_equal(t[1], 1127432192);
    /* Without the limit the shares decide: 1/3 and 2/3 of 1 GiB. */
    decide("{idle_tax: 0%, balloon_max: 100%}", &h, v, 2, t);
    assert_int_equal(t[0], GiB / 3);
    assert_int_equal(t[1], 2 * GiB / 3);
}

/* Unmanaged VMs (balloon off, shares 0, locked) are left alone; what they
 * hold leaves the pool.  Pool = 100 - 0 - 6 - (10 + 20 + 30) = 34 GiB for
 * "m", whose max is 40 GiB. */
static void test_unmanaged(void **s) {
    (void)s;
    pol_vm_view v[4] = {vm("off", 64 * GiB, 10 * GiB, 0), vm("zero", 64 * GiB, 20 * GiB, 0),
                        vm("mig", 64 * GiB, 30 * GiB, 0), vm("m", 40 * GiB, 40 * GiB, 40 * GiB)};
    v[0].balloon = false;
    v[1].shares = 0;
    v[2].locked = true;
    pol_host_view h = host(0, 3 * GiB);
    int64_t t[4];
    decide(NULL, &h, v, 4, t);
    for (int i = 0; i < 3; i++) assert_int_equal(t[i], POL_LEAVE);
    assert_int_equal(t[3], 34 * GiB);
}

/* Enough for every VM's maximum: allocations are the maxima (nothing to
 * revoke), so in the soft state a ballooned VM is given its memory back. */
static void test_enough_for_all(void **s) {
    (void)s;
    pol_vm_view v[2] = {vm("a", 8 * GiB, 2 * GiB, 0), vm("b", 8 * GiB, 8 * GiB, 0)};
    pol_host_view h = host(0, 3 * GiB);
    int64_t t[2];
    decide(NULL, &h, v, 2, t);
    assert_int_equal(t[0], 8 * GiB);
    assert_int_equal(t[1], 8 * GiB);
}

/* ------------------------------------------------------------------ */
/* free-memory states                                                  */

/* [W02] 6.3, one VM whose allocation (pool 100 - 80 - 6 = 14 GiB) is below
 * what it holds; balloon limit off to see the allocation itself. */
static void test_states(void **s) {
    (void)s;
    fx f = open_fx("{balloon_max: 100%}");
    int64_t t[1];
    pol_vm_view v = vm("v", 64 * GiB, 64 * GiB, 1 * GiB);
    bs_time now = 0;

    /* 5 GiB free: under the high threshold but above soft; starting high,
     * nothing is reclaimed. */
    pol_host_view h = host(80 * GiB, 5 * GiB);
    tick(&f, now += 15 * SEC, &h, &v, 1, t);
    assert_int_equal(t[0], POL_LEAVE);
    assert_dump(&f, "{\"state\": \"high\", \"vms\": {}}");

    /* Below 4 GiB: soft, balloon to the allocation. */
    h = host(80 * GiB, 4 * GiB - 1);
    tick(&f, now += 15 * SEC, &h, &v, 1, t);
    assert_int_equal(t[0], 14 * GiB);
    assert_dump(&f, "{\"state\": \"soft\", \"vms\": {}}");

    /* 6.5 GiB free: above high, but not by the 1 GiB hysteresis: still soft. */
    v.target = 14 * GiB;
    v.actual = 20 * GiB;
    h = host(80 * GiB, 6 * GiB + 512 * MiB);
    tick(&f, now += 15 * SEC, &h, &v, 1, t);
    assert_int_equal(t[0], 14 * GiB);
    assert_dump(&f, "{\"state\": \"soft\", \"vms\": {}}");

    /* 7 GiB: back to high; the inflation under way stops where it is. */
    h = host(80 * GiB, 7 * GiB);
    tick(&f, now += 15 * SEC, &h, &v, 1, t);
    assert_int_equal(t[0], 20 * GiB);
    assert_dump(&f, "{\"state\": \"high\", \"vms\": {}}");

    /* Still high, balloon at rest: the VM keeps what it has. */
    v.target = 20 * GiB;
    tick(&f, now += 15 * SEC, &h, &v, 1, t);
    assert_int_equal(t[0], POL_LEAVE);

    /* In high, growing to the allocation is not reclaiming. */
    v.target = v.actual = 10 * GiB;
    tick(&f, now += 15 * SEC, &h, &v, 1, t);
    assert_int_equal(t[0], 14 * GiB);

    /* Half a GiB free: straight down to low; the targets are the soft ones
     * (ESX's swapping is the host's own paging in the simulator). */
    v.target = v.actual = 20 * GiB;
    h = host(80 * GiB, 512 * MiB);
    tick(&f, now += 15 * SEC, &h, &v, 1, t);
    assert_int_equal(t[0], 14 * GiB);
    assert_dump(&f, "{\"state\": \"low\", \"vms\": {}}");

    /* Plenty free again: up one state per tick. */
    h = host(80 * GiB, 50 * GiB);
    const char *up[] = {"hard", "soft", "high", "high"};
    for (size_t i = 0; i < 4; i++) {
        tick(&f, now += 15 * SEC, &h, &v, 1, t);
        char want[64];
        snprintf(want, sizeof want, "{\"state\": \"%s\", \"vms\": {}}", up[i]);
        assert_dump(&f, want);
    }
    close_fx(&f);
}

/* A stuck driver (the guest ignores its target): in soft the policy keeps
 * asking for the allocation, the same each tick, without escalating; once
 * the host is back in high, the unfinished inflation is called off (target =
 * what the VM holds).  Pool 100 - 80 - 6 = 14 GiB for the one VM. */
static void test_stuck_driver(void **s) {
    (void)s;
    fx f = open_fx("{balloon_max: 100%}");
    int64_t t[1];
    pol_vm_view v = vm("v", 64 * GiB, 64 * GiB, 1 * GiB);
    pol_host_view h = host(80 * GiB, 3 * GiB);
    for (int k = 1; k <= 4; k++) {
        tick(&f, k * 15 * SEC, &h, &v, 1, t);
        assert_int_equal(t[0], 14 * GiB);
        v.target = 14 * GiB; /* set, never reached: actual stays 64 GiB */
    }
    h = host(80 * GiB, 7 * GiB);
    tick(&f, 75 * SEC, &h, &v, 1, t);
    assert_int_equal(t[0], 64 * GiB);
    close_fx(&f);
}

/* Each step down needs free memory below that state's own threshold; each
 * step up needs the next higher threshold plus the hysteresis. */
static void test_state_thresholds(void **s) {
    (void)s;
    fx f = open_fx(NULL);
    int64_t t[1];
    pol_vm_view v = vm("v", 8 * GiB, 8 * GiB, 8 * GiB);
    struct {
        int64_t free;
        const char *state;
    } steps[] = {
        {4 * GiB, "high"},     /* exactly at soft: not below it */
        {2 * GiB, "soft"},     /* below 4, not below 2 */
        {2 * GiB - 1, "hard"}, /* below 2 */
        {5 * GiB - 1, "hard"}, /* needs 4 + 1 to go up */
        {5 * GiB, "soft"},
        {1 * GiB - 1, "low"},
        {3 * GiB, "hard"}, /* 2 + 1 */
    };
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        pol_host_view h = host(0, steps[i].free);
        tick(&f, (bs_time)(i + 1) * 15 * SEC, &h, &v, 1, t);
        char want[64];
        snprintf(want, sizeof want, "{\"state\": \"%s\", \"vms\": {}}", steps[i].state);
        assert_dump(&f, want);
    }
    close_fx(&f);
}

/* ------------------------------------------------------------------ */
/* active memory                                                       */

/* [W02] 5.3 with gains 1/2 (fast) and 1/8 (slow), 30 s periods, ticks every
 * 15 s; a period's sample is the largest working set reported in it.
 *   15 s, 30 s (period 0): 1 GiB -> slow = fast = 1 GiB, peak 1 GiB
 *   45 s (period 1): 3 GiB; period 0 closes: slow, fast stay 1 GiB;
 *        estimate = max(1, 1, 1 + (3 - 1) / 2) = 2 GiB
 *   75 s (period 2): 1 GiB; period 1 closes with 3 GiB: slow = 1 + 2/8 =
 *        1.25 GiB, fast = 1 + 2/2 = 2 GiB; estimate 2 GiB (fast)
 *   105 s (period 3): period 2 closes with 1 GiB: slow = 1.25 - 0.25/8 =
 *        1.21875 GiB, fast = 2 - 1/2 = 1.5 GiB.
 * Up quickly, down slowly, as the paper's Figure 6 shows. */
static void test_moving_averages(void **s) {
    (void)s;
    fx f = open_fx(NULL);
    int64_t t[1];
    pol_host_view h = host(0, 50 * GiB);
    struct {
        bs_time at;
        int64_t ws;
        const char *want;
    } steps[] = {
        {15, 1 * GiB, "\"slow\": 1073741824, \"fast\": 1073741824, \"period\": 0, \"peak\": 1073741824"},
        {30, 1 * GiB, "\"slow\": 1073741824, \"fast\": 1073741824, \"period\": 0, \"peak\": 1073741824"},
        {45, 3 * GiB, "\"slow\": 1073741824, \"fast\": 1073741824, \"period\": 1, \"peak\": 3221225472"},
        {60, 2 * GiB, "\"slow\": 1073741824, \"fast\": 1073741824, \"period\": 1, \"peak\": 3221225472"},
        {75, 1 * GiB, "\"slow\": 1342177280, \"fast\": 2147483648, \"period\": 2, \"peak\": 1073741824"},
        {90, 1 * GiB, "\"slow\": 1342177280, \"fast\": 2147483648, \"period\": 2, \"peak\": 1073741824"},
        {105, 1 * GiB, "\"slow\": 1308622848, \"fast\": 1610612736, \"period\": 3, \"peak\": 1073741824"},
    };
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        pol_vm_view v = vm_ws("v", 8 * GiB, 8 * GiB, steps[i].ws);
        tick(&f, steps[i].at * SEC, &h, &v, 1, t);
        char want[256];
        snprintf(want, sizeof want, "{\"state\": \"high\", \"vms\": {\"v\": {%s}}}", steps[i].want);
        assert_dump(&f, want);
    }
    close_fx(&f);
}

/* The estimate is what the tax applies to: at 45 s above, "v" counts 2 GiB
 * active (max of slow 1, fast 1, current 2).  With "w" fully active (view's
 * active = max 16 GiB) and a 10 GiB pool (100 - 84 - 6): taxed v has cost
 * 2 + 4 (P_v - 2), w's is P_w; equal at P_v + P_w = 10: 4 P_v - 6 = 10 - P_v
 * -> P_v = 3.2 GiB = 3435973836.8, P_w = 6.8 GiB = 7301444403.2. */
static void test_estimate_drives_allocation(void **s) {
    (void)s;
    fx f = open_fx("{balloon_max: 100%}");
    int64_t t[2];
    pol_host_view h = host(84 * GiB, 50 * GiB); /* high: no targets yet */
    pol_vm_view v[2] = {vm_ws("v", 16 * GiB, 8 * GiB, 1 * GiB), vm("w", 16 * GiB, 8 * GiB, 16 * GiB)};
    tick(&f, 15 * SEC, &h, v, 2, t);
    tick(&f, 30 * SEC, &h, v, 2, t);
    v[0] = vm_ws("v", 16 * GiB, 8 * GiB, 3 * GiB);
    h = host(84 * GiB, 3 * GiB); /* soft */
    tick(&f, 45 * SEC, &h, v, 2, t);
    assert_int_equal(t[0], 3435973836);
    assert_int_equal(t[1], 7301444403);
    close_fx(&f);
}

/* A view that carries `active` is ESX's own estimate: used as it is, no
 * averaging, nothing recorded for it. */
static void test_known_active_used_as_is(void **s) {
    (void)s;
    fx f = open_fx("{balloon_max: 100%}");
    int64_t t[2];
    pol_vm_view v[2] = {vm("idle", 16 * GiB, 8 * GiB, 0), vm("busy", 16 * GiB, 8 * GiB, 16 * GiB)};
    pol_host_view h = host(84 * GiB, 3 * GiB);
    for (int k = 1; k <= 3; k++) {
        tick(&f, k * 15 * SEC, &h, v, 2, t);
        assert_int_equal(t[0], 2 * GiB); /* as test_tax_idle_against_active */
        assert_int_equal(t[1], 8 * GiB);
    }
    assert_dump(&f, "{\"state\": \"soft\", \"vms\": {}}");
    close_fx(&f);
}

/* A VM missing from a tick (stopped, killed) loses its estimate; when it is
 * back it starts afresh from its first report, as a VM powered on again. */
static void test_vm_drops_out(void **s) {
    (void)s;
    fx f = open_fx(NULL);
    int64_t t[2];
    pol_host_view h = host(0, 50 * GiB);
    pol_vm_view v[2] = {vm_ws("a", 8 * GiB, 8 * GiB, 3 * GiB), vm_ws("b", 8 * GiB, 8 * GiB, 1 * GiB)};
    tick(&f, 15 * SEC, &h, v, 2, t);
    tick(&f, 30 * SEC, &h, &v[1], 1, t);
    assert_dump(&f, "{\"state\": \"high\", \"vms\": {\"b\": {\"slow\": 1073741824, \"fast\": "
                    "1073741824, \"period\": 0, \"peak\": 1073741824}}}");
    v[0] = vm_ws("a", 8 * GiB, 8 * GiB, 2 * GiB);
    tick(&f, 45 * SEC, &h, v, 2, t);
    assert_dump(&f, "{\"state\": \"high\", \"vms\": {\"a\": {\"slow\": 2147483648, \"fast\": "
                    "2147483648, \"period\": 1, \"peak\": 2147483648}, \"b\": {\"slow\": "
                    "1073741824, \"fast\": 1073741824, \"period\": 1, \"peak\": 1073741824}}}");
    close_fx(&f);
}

/* ------------------------------------------------------------------ */
/* policy_state for `balloonsim decide`                                */

static void test_state_round_trip(void **s) {
    (void)s;
    const char *yaml = "{state: hard, vms: {web-1: {slow: 100, fast: 200, period: 7, peak: 300}, "
                       "db: {slow: 5, fast: 6, period: 0}}}";
    fx f = open_fx(NULL);
    size_t ne = 0;
    assert_int_equal(load(&f, yaml, &ne), BS_OK);
    assert_int_equal(ne, 0);
    const char *want = "{\"state\": \"hard\", \"vms\": {\"web-1\": {\"slow\": 100, \"fast\": 200, "
                       "\"period\": 7, \"peak\": 300}, \"db\": {\"slow\": 5, \"fast\": 6, "
                       "\"period\": 0}}}";
    assert_dump(&f, want);
    /* The dump is valid YAML that loads back to itself. */
    char *first = dump(&f);
    fx g = open_fx(NULL);
    assert_int_equal(load(&g, first, &ne), BS_OK);
    assert_dump(&g, want);
    free(first);
    close_fx(&g);
    close_fx(&f);
}

/* A loaded estimate is the one a snapshot's VM continues with (decide's now
 * is 0: period 0).  db: slow 1 GiB, fast 3 GiB, peak none -> estimate 3 GiB;
 * this report (1 GiB) is in the same period: peak 1 GiB, and the estimate
 * stays max(1, 3, 3 + (1 - 3)/2 = 2) = 3 GiB. */
static void test_state_continues(void **s) {
    (void)s;
    fx f = open_fx("{balloon_max: 100%}");
    size_t ne = 0;
    assert_int_equal(load(&f, "{state: soft, vms: {db: {slow: 1073741824, fast: 3221225472, "
                              "period: 0}}}",
                          &ne),
                     BS_OK);
    pol_vm_view v[2] = {vm_ws("db", 16 * GiB, 8 * GiB, 1 * GiB), vm("w", 16 * GiB, 8 * GiB, 16 * GiB)};
    v[0].vm = v[1].vm = SIZE_MAX;
    pol_host_view h = host(84 * GiB, 5 * GiB); /* between soft and high: stays soft */
    int64_t t[2];
    tick(&f, 0, &h, v, 2, t);
    /* a = 3 GiB: 3 + 4 (P - 3) = P_w, P + P_w = 10 -> P = 19/5 = 3.8 GiB. */
    assert_int_equal(t[0], 4080218931); /* 3.8 GiB = 4080218931.2 */
    assert_int_equal(t[1], 6657199308); /* 6.2 GiB = 6657199308.8 */
    assert_dump(&f, "{\"state\": \"soft\", \"vms\": {\"db\": {\"slow\": 1073741824, \"fast\": "
                    "3221225472, \"period\": 0, \"peak\": 1073741824}}}");
    close_fx(&f);
}

static void test_state_load_errors(void **s) {
    (void)s;
    const char *bad[] = {"{state: medium}", "{vms: {a: {slow: 1}}}",
                         "{vms: {a: {slow: 1, fast: 2, ghost: 3}}}", "{vms: {a: {slow: -1, fast: 2}}}",
                         "{vms: [a]}", "{vms: 3}", "{vms: {a: 5}}", "{state: 2}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fx f = open_fx(NULL);
        size_t ne = 0;
        assert_int_equal(load(&f, bad[i], &ne), BS_ERR_INPUT);
        assert_true(ne >= 1);
        close_fx(&f);
    }
    /* No policy_state at all: a fresh state. */
    fx f = open_fx(NULL);
    cfg_errs errs = {0};
    cfg_ctx cx = {.errs = &errs};
    assert_int_equal(pol_esx.state_load(&cx, NULL, "policy_state", f.state), BS_OK);
    assert_dump(&f, "{\"state\": \"high\", \"vms\": {}}");
    close_fx(&f);
}

/* ------------------------------------------------------------------ */
/* end to end                                                          */

static size_t count_targets(const th_capture *c, const char *vmname, bs_time from, bs_time to) {
    size_t k = 0;
    for (size_t i = 0; i < c->n_events; i++) {
        const eng_event *e = &c->events[i];
        if (e->t >= from && e->t < to && strcmp(e->event, "target") == 0 && e->vm &&
            strcmp(e->vm, vmname) == 0)
            k++;
    }
    return k;
}

static int64_t last_target(const th_capture *c, const char *vmname) {
    int64_t t = -1;
    for (size_t i = 0; i < c->n_events; i++) {
        const eng_event *e = &c->events[i];
        if (strcmp(e->event, "target") == 0 && e->vm && strcmp(e->vm, vmname) == 0) t = e->value;
    }
    return t;
}

/* ESX's characteristic behaviour on an overcommitted 16 GiB host (two 8 GiB
 * VMs, equal shares): no ballooning at all while free memory stays above the
 * soft threshold, however overcommitted; once "busy" grows and free memory
 * falls, the idle memory tax makes "idle" (which touched 8 GiB once and now
 * uses 1 GiB) give up far more than an even split would. */
static const char *E2E =
    "duration: 30m\n"
    "policy: {name: esx, params: {idle_tax: %s}}\n"
    "hosts: [{memory: 16GiB, swap: 16GiB, vms: [\n"
    "  {name: idle, memory: 8GiB, swap: 4GiB, balloon: {driver: vmware},\n"
    "   workload: {type: steps, steps: [{at: 0s, size: 8GiB}, {at: 5m, size: 1GiB}]}},\n"
    "  {name: busy, memory: 8GiB, swap: 4GiB, balloon: {driver: vmware},\n"
    "   workload: {type: steps, steps: [{at: 0s, size: 1GiB}, {at: 10m, size: 7800MiB}]}}]}]\n";

static void run_e2e(const char *tax, th_capture *cap, eng_result *res, scen **sc) {
    char yaml[1024];
    snprintf(yaml, sizeof yaml, E2E, tax);
    *sc = th_load(yaml);
    th_run(*sc, cap, res);
}

static void test_e2e_idle_tax(void **s) {
    (void)s;
    th_capture cap75, cap0;
    eng_result res75, res0;
    scen *sc75, *sc0;
    run_e2e("75%", &cap75, &res75, &sc75);
    run_e2e("0%", &cap0, &res0, &sc0);
    /* Before busy grows the host has 7 GiB free (8 + 1 touched): high state,
     * no target at all although 16 GiB of VMs sit on 16 GiB. */
    assert_int_equal(count_targets(&cap75, "idle", 0, TH_S(600)), 0);
    assert_int_equal(count_targets(&cap75, "busy", 0, TH_S(600)), 0);
    /* Then 15.6 GiB touched: soft or below, targets are set. */
    assert_true(count_targets(&cap75, "idle", TH_S(600), TH_S(1800)) > 0);
    /* Pool 16 GiB - 6 % = 16149077033 bytes.  Without the tax, equal shares:
     * 8074538516 each, applied in whole pages (1971322); busy (7800 MiB of
     * demand) is held below its working set. */
    int64_t even = 1971322 * 4 * KiB;
    assert_int_equal(last_target(&cap0, "idle"), even);
    assert_int_equal(last_target(&cap0, "busy"), even);
    /* With the tax, busy is never held to an even split (its first target,
     * while the fast average still catches up with its growth, is a little
     * below 8 GiB), then keeps all its 8 GiB; idle is ballooned well below
     * the even split (towards the rest of the pool, 7.04 GiB, until free
     * memory is back in the high state and reclaiming stops). */
    for (size_t i = 0; i < cap75.n_events; i++) {
        const eng_event *e = &cap75.events[i];
        if (strcmp(e->event, "target") == 0 && strcmp(e->vm, "busy") == 0)
            assert_true(e->value > even + 256 * MiB);
    }
    assert_int_equal(last_target(&cap75, "busy"), 8 * GiB);
    assert_true(last_target(&cap75, "idle") < even - 256 * MiB);
    assert_true(last_target(&cap75, "idle") >= 16149077033LL - 8 * GiB - 4096);
    /* busy swaps less with the tax than without. */
    assert_true(res75.vms[1].v[MET_GUEST_SWAP_OUT_BYTES] < res0.vms[1].v[MET_GUEST_SWAP_OUT_BYTES]);
    eng_result_free(&res75);
    eng_result_free(&res0);
    th_capture_free(&cap75);
    th_capture_free(&cap0);
    scen_free(sc75);
    scen_free(sc0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registered),
        cmocka_unit_test(test_bad_params),
        cmocka_unit_test(test_tax_zero_is_share_split),
        cmocka_unit_test(test_tax_idle_against_active),
        cmocka_unit_test(test_tax_partly_active),
        cmocka_unit_test(test_min_and_max),
        cmocka_unit_test(test_balloon_cap),
        cmocka_unit_test(test_unmanaged),
        cmocka_unit_test(test_enough_for_all),
        cmocka_unit_test(test_states),
        cmocka_unit_test(test_state_thresholds),
        cmocka_unit_test(test_stuck_driver),
        cmocka_unit_test(test_moving_averages),
        cmocka_unit_test(test_estimate_drives_allocation),
        cmocka_unit_test(test_known_active_used_as_is),
        cmocka_unit_test(test_vm_drops_out),
        cmocka_unit_test(test_state_round_trip),
        cmocka_unit_test(test_state_continues),
        cmocka_unit_test(test_state_load_errors),
        cmocka_unit_test(test_e2e_idle_tax),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
