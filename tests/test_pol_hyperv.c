/* test_pol_hyperv.c -- the `hyperv` policy (policies/hyperv.c).
 *
 * Expected targets are worked out by hand next to each case from the sources
 * the policy follows:
 *   [HV]  Linux drivers/hv/hv_balloon.c: compute_balloon_floor() (its comment
 *         table: 16 MiB -> 16, 32 -> 24, 128 -> 72, 512 -> 168, 2048 -> 360,
 *         8192 -> 744, 32768 -> 1512 MiB), get_pages_committed() (committed
 *         + ballooned + offline hot-added + floor), post_status() every 1 s.
 *   [FIX] "hv_balloon: Fix committed value in post_status() if dynamic memory
 *         is disabled" (Shradha Gupta, Linux 6.2): the additions only once
 *         num_pages_ballooned || num_pages_added.
 *   [MS]  Microsoft, Hyper-V Dynamic Memory settings: "if the memory committed
 *         to the guest operating system is 1000 MB and the memory buffer is
 *         20%, Hyper-V will attempt to allocate an additional 20% (200 MB) for
 *         a total of 1200 MB"; "The buffer is not maintained when there is
 *         not enough physical memory"; memory weight decides who gets memory
 *         when there is not enough.
 * Sizes are in 4 KiB pages wherever the guest reports them, so values below
 * are page multiples unless said otherwise. */
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
extern const pol_type pol_hyperv;

#define KiB 1024LL
#define MiB (1024LL * KiB)
#define GiB (1024LL * MiB)
#define SEC BS_NS_PER_S

/* ------------------------------------------------------------------ */
/* helpers                                                             */

static pol_vm_view vm(const char *name, int64_t min, int64_t max, int64_t actual,
                      int64_t committed) {
    return (pol_vm_view){.name = name, .vm = SIZE_MAX, .actual = actual, .target = actual,
                         .max = max, .min = min, .shares = 1000, .committed = committed,
                         .active = -1, .balloon = true};
}

static pol_host_view host(int64_t memory) {
    return (pol_host_view){.name = "h", .host = SIZE_MAX, .memory = memory, .free = memory,
                           .available = memory};
}

/* Configure with params written as YAML flow ("{buffer: 0%}") or none. */
static void *configure(const char *params, cfg_errs *errs) {
    cfg_doc *doc = NULL;
    assert_int_equal(cfg_doc_new(&doc), BS_OK);
    cfg_node *root = NULL;
    if (params != NULL)
        assert_int_equal(cfg_parse_string(doc, "params.yaml", params, errs, &root), BS_OK);
    cfg_ctx cx = {.errs = errs, .doc = doc};
    void *cfg = NULL;
    bs_rc rc = pol_hyperv.configure(&cx, root, "policy.params", NULL, &cfg);
    if (rc == BS_OK && root != NULL) cfg_check_unknown(&cx, root, "policy.params", "buffer, guest");
    cfg_doc_free(doc);
    return rc == BS_OK ? cfg : NULL;
}

/* One decision as the engine makes it. */
static void decide(const char *params, const pol_host_view *h, const pol_vm_view *vms, size_t n,
                   int64_t *targets) {
    cfg_errs errs = {0};
    void *cfg = configure(params, &errs);
    if (errs.n) cfg_errs_print(&errs, stderr);
    assert_int_equal(errs.n, 0);
    assert_non_null(cfg);
    void *state = NULL;
    assert_int_equal(pol_hyperv.state_new(cfg, 0, &state), BS_OK);
    assert_int_equal(pol_decide_all(&pol_hyperv, cfg, state, SEC, h, vms, n, targets), BS_OK);
    pol_hyperv.free_state(state);
    pol_hyperv.free_config(cfg);
    cfg_errs_free(&errs);
}

/* The floor alone: committed 0, no buffer, the floor always reported. */
static int64_t floor_of(int64_t actual) {
    pol_vm_view v = vm("v", 0, 64 * GiB, actual, 0);
    pol_host_view h = host(1024 * GiB);
    int64_t t[1];
    decide("{buffer: 0%, guest: linux-legacy}", &h, &v, 1, t);
    return t[0];
}

/* ------------------------------------------------------------------ */
/* registration and params                                             */

static void test_registered(void **s) {
    (void)s;
    assert_ptr_equal(pol_find("hyperv"), &pol_hyperv);
    /* [HV] post_status(): "Host expects the guests to post this status
     * periodically at 1 second intervals"; the balancer answers each. */
    assert_int_equal(pol_hyperv.default_interval, 1 * SEC);
    assert_int_equal(pol_hyperv.default_stats_interval, 1 * SEC);
    const pol_param *p = pol_hyperv.params;
    assert_string_equal(p[0].name, "buffer");
    assert_string_equal(p[0].dflt, "20%"); /* [MS] default buffer */
    assert_string_equal(p[1].name, "guest");
    assert_string_equal(p[1].dflt, "linux");
    assert_null(p[2].name);
}

static void test_bad_params(void **s) {
    (void)s;
    const char *bad[] = {"{buffer: 2001%}", "{buffer: -1%}", "{buffer: lots}",
                         "{guest: freebsd}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cfg_errs errs = {0};
        assert_null(configure(bad[i], &errs));
        assert_true(errs.n >= 1);
        assert_non_null(strstr(errs.msgs[0], "policy.params."));
        cfg_errs_free(&errs);
    }
    /* The documented range of Set-VMMemory -Buffer ends at 2000 %. */
    cfg_errs errs = {0};
    void *cfg = configure("{buffer: 2000%, guest: windows}", &errs);
    assert_non_null(cfg);
    assert_int_equal(errs.n, 0);
    pol_hyperv.free_config(cfg);
    cfg_errs_free(&errs);
}

/* ------------------------------------------------------------------ */
/* the guest's report                                                  */

/* [HV] compute_balloon_floor()'s own table, RAM -> floor in MiB. */
static void test_floor_table(void **s) {
    (void)s;
    static const int64_t table[][2] = {{16, 16},   {32, 24},   {128, 72},    {512, 168},
                                       {2048, 360}, {8192, 744}, {32768, 1512}};
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        assert_int_equal(floor_of(table[i][0] * MiB), table[i][1] * MiB);
}

/* [HV] each segment starts at its bound (nr_pages < bound picks the lower
 * segment): 127 MiB is on the 1/2 slope, 128 MiB on the 1/4 one; pages are
 * shifted, so an odd page count loses its half page. */
static void test_floor_segments_and_rounding(void **s) {
    (void)s;
    assert_int_equal(floor_of(127 * MiB), 8 * MiB + 127 * MiB / 2);   /* 71.5 MiB */
    assert_int_equal(floor_of(128 * MiB), 40 * MiB + 128 * MiB / 4);  /* 72 MiB */
    assert_int_equal(floor_of(2047 * MiB), 104 * MiB + 2047 * MiB / 8);
    /* 1 GiB + 1 page: 262145 pages >> 3 = 32768 pages (the odd page is lost). */
    assert_int_equal(floor_of(1 * GiB + 4 * KiB), 104 * MiB + 32768 * 4 * KiB);
    /* A part page of actual does not count: the kernel counts whole pages. */
    assert_int_equal(floor_of(1 * GiB + 100), floor_of(1 * GiB));
}

/* [MS] 1000 MB committed, 20 % buffer: 1200 MB.  A Windows guest reports its
 * committed memory as it is. */
static void test_documented_example(void **s) {
    (void)s;
    pol_vm_view v = vm("w", 0, 4 * GiB, 2 * GiB, 1000 * MiB);
    pol_host_view h = host(64 * GiB);
    int64_t t[1];
    decide("{guest: windows}", &h, &v, 1, t);
    assert_int_equal(t[0], 1200 * MiB);
}

/* [HV]+[FIX]: a ballooned Linux guest adds the floor of the RAM it holds.
 * actual 2 GiB -> floor 360 MiB; demand 1024 + 360 = 1384 MiB;
 * x 1.2 = 1660.8 MiB = 1741475020.8 bytes, rounded down. */
static void test_linux_adds_floor_when_ballooned(void **s) {
    (void)s;
    pol_vm_view v = vm("l", 0, 4 * GiB, 2 * GiB, 1 * GiB);
    pol_host_view h = host(64 * GiB);
    int64_t t[1];
    decide(NULL, &h, &v, 1, t);
    assert_int_equal(t[0], 1741475020);
}

/* [FIX] no balloon held, no hot-add: the guest reports committed alone.  The
 * quirk is copied: 1 GiB x 1.2 = 1288490188.8 bytes. */
static void test_linux_no_floor_before_ballooning(void **s) {
    (void)s;
    pol_vm_view v = vm("l", 0, 4 * GiB, 4 * GiB, 1 * GiB);
    pol_host_view h = host(64 * GiB);
    int64_t t[1];
    decide(NULL, &h, &v, 1, t);
    assert_int_equal(t[0], 1288490188);
    /* Before Linux 6.2 the floor of 4 GiB (232 + 256 = 488 MiB) was always
     * added: (1024 + 488) x 1.2 = 1814.4 MiB = 1902536294.4 bytes. */
    decide("{guest: linux-legacy}", &h, &v, 1, t);
    assert_int_equal(t[0], 1902536294);
}

/* The protocol counts pages: a committed figure that is not a page multiple
 * loses its part page (1000000000 bytes = 244140.625 pages -> 244140 pages =
 * 999997440 bytes; x 1.2 = 1199996928). */
static void test_committed_in_whole_pages(void **s) {
    (void)s;
    pol_vm_view v = vm("w", 0, 4 * GiB, 4 * GiB, 1000000000);
    pol_host_view h = host(64 * GiB);
    int64_t t[1];
    decide("{guest: windows}", &h, &v, 1, t);
    assert_int_equal(t[0], 1199996928);
}

/* [MS] the VM is sized within [Minimum RAM, Maximum RAM]. */
static void test_clamped_to_min_and_max(void **s) {
    (void)s;
    pol_vm_view v[2] = {vm("small", 1 * GiB, 4 * GiB, 4 * GiB, 100 * MiB),
                        vm("big", 0, 4 * GiB, 3 * GiB, 6 * GiB)};
    pol_host_view h = host(64 * GiB);
    int64_t t[2];
    decide("{guest: windows}", &h, v, 2, t);
    assert_int_equal(t[0], 1 * GiB); /* 120 MiB wanted, minimum 1 GiB */
    assert_int_equal(t[1], 4 * GiB); /* 7.2 GiB wanted, maximum 4 GiB */
}

/* Memory is given back when the guest needs less, host pressure or not. */
static void test_shrinks_without_pressure(void **s) {
    (void)s;
    pol_vm_view v = vm("w", 0, 16 * GiB, 16 * GiB, 2 * GiB);
    pol_host_view h = host(256 * GiB);
    int64_t t[1];
    decide("{guest: windows, buffer: 50%}", &h, &v, 1, t);
    assert_int_equal(t[0], 3 * GiB);
}

/* ------------------------------------------------------------------ */
/* shortage                                                            */

/* [MS] not enough memory: buffers go, minimums first, the rest by weight.
 * Pool 10 GiB; each wants 5 GiB (windows, committed 5 GiB, buffer 0), min
 * 1 GiB; weights 1000, 2000, 1000.  R = 10 - 3 = 7 GiB, rooms 4 GiB each;
 * lambda * 4000 = 7 GiB -> 1.75 GiB per 1000 of weight, nobody capped:
 * 2.75, 4.5, 2.75 GiB. */
static void test_short_minimums_then_weight(void **s) {
    (void)s;
    pol_vm_view v[3] = {vm("a", 1 * GiB, 8 * GiB, 5 * GiB, 5 * GiB),
                        vm("b", 1 * GiB, 8 * GiB, 5 * GiB, 5 * GiB),
                        vm("c", 1 * GiB, 8 * GiB, 5 * GiB, 5 * GiB)};
    v[1].shares = 2000;
    pol_host_view h = host(10 * GiB);
    int64_t t[3];
    decide("{guest: windows, buffer: 0%}", &h, v, 3, t);
    assert_int_equal(t[0], 2 * GiB + 768 * MiB);
    assert_int_equal(t[1], 4 * GiB + 512 * MiB);
    assert_int_equal(t[2], 2 * GiB + 768 * MiB);
    assert_int_equal(t[0] + t[1] + t[2], 10 * GiB);
}

/* A VM that wants little is capped at what it wants; the others share what
 * it leaves.  Pool 10 GiB, min 1 GiB each; "a" wants 2 GiB (room 1 GiB), "b"
 * and "c" want 8 GiB (room 7 GiB), equal weights.  R = 7 GiB: a is capped
 * (1 GiB of room), 6 GiB left -> 3 GiB each: a 2, b 4, c 4 GiB. */
static void test_short_capped_at_desired(void **s) {
    (void)s;
    pol_vm_view v[3] = {vm("a", 1 * GiB, 8 * GiB, 5 * GiB, 2 * GiB),
                        vm("b", 1 * GiB, 8 * GiB, 5 * GiB, 8 * GiB),
                        vm("c", 1 * GiB, 8 * GiB, 5 * GiB, 8 * GiB)};
    pol_host_view h = host(10 * GiB);
    int64_t t[3];
    decide("{guest: windows, buffer: 0%}", &h, v, 3, t);
    assert_int_equal(t[0], 2 * GiB);
    assert_int_equal(t[1], 4 * GiB);
    assert_int_equal(t[2], 4 * GiB);
}

/* Uneven division is rounded down per VM (never more than the pool): no
 * minimums, a pool of 1 GiB + 1 byte and 3 equal weights: floor(pool / 3)
 * each. */
static void test_short_rounds_down(void **s) {
    (void)s;
    pol_vm_view v[3] = {vm("a", 0, 8 * GiB, 4 * GiB, 4 * GiB), vm("b", 0, 8 * GiB, 4 * GiB, 4 * GiB),
                        vm("c", 0, 8 * GiB, 4 * GiB, 4 * GiB)};
    pol_host_view h = host(1 * GiB + 1);
    int64_t t[3];
    decide("{guest: windows, buffer: 0%}", &h, v, 3, t);
    for (int i = 0; i < 3; i++) assert_int_equal(t[i], (1 * GiB + 1) / 3);
}

/* Not even the minimums fit: everyone at Minimum RAM (never below). */
static void test_short_below_minimums(void **s) {
    (void)s;
    pol_vm_view v[2] = {vm("a", 3 * GiB, 8 * GiB, 5 * GiB, 6 * GiB),
                        vm("b", 2 * GiB, 8 * GiB, 5 * GiB, 6 * GiB)};
    pol_host_view h = host(4 * GiB);
    int64_t t[2];
    decide("{guest: windows}", &h, v, 2, t);
    assert_int_equal(t[0], 3 * GiB);
    assert_int_equal(t[1], 2 * GiB);
}

/* VMs the balancer does not manage are left alone and hold what they have:
 * balloon off, shares 0, locked (migrating), no committed report.  Pool =
 * 16 - reserved 2 - (1 + 2 + 3 + 4) = 4 GiB for "m", which wants 6 GiB. */
static void test_unmanaged_left_alone(void **s) {
    (void)s;
    pol_vm_view v[5] = {vm("off", 0, 8 * GiB, 1 * GiB, 1 * GiB), vm("zero", 0, 8 * GiB, 2 * GiB, 1 * GiB),
                        vm("mig", 0, 8 * GiB, 3 * GiB, 1 * GiB), vm("nodm", 0, 8 * GiB, 4 * GiB, -1),
                        vm("m", 0, 8 * GiB, 5 * GiB, 6 * GiB)};
    v[0].balloon = false;
    v[1].shares = 0;
    v[2].locked = true;
    pol_host_view h = host(16 * GiB);
    h.reserved = 2 * GiB;
    int64_t t[5];
    decide("{guest: windows, buffer: 0%}", &h, v, 5, t);
    for (int i = 0; i < 4; i++) assert_int_equal(t[i], POL_LEAVE);
    assert_int_equal(t[4], 4 * GiB);
}

/* A stuck driver (the guest ignores its target, actual stays above it):
 * the balancer answers each report on its own, so the same report gives the
 * same target again -- nothing builds up -- and the other VMs' shares are
 * computed as usual.  Pool 10 GiB, windows guests, buffer 0: "stuck" wants
 * 8 GiB (committed), "ok" 8 GiB; min 1 GiB each; R = 8 GiB split evenly:
 * 5 GiB each, whatever "stuck" holds (its 7 GiB is not subtracted: it is
 * managed, its target stands). */
static void test_stuck_driver(void **s) {
    (void)s;
    pol_vm_view v[2] = {vm("stuck", 1 * GiB, 8 * GiB, 7 * GiB, 8 * GiB),
                        vm("ok", 1 * GiB, 8 * GiB, 5 * GiB, 8 * GiB)};
    v[0].target = 5 * GiB; /* set earlier, never reached */
    pol_host_view h = host(10 * GiB);
    int64_t t[2];
    for (int k = 0; k < 3; k++) {
        decide("{guest: windows, buffer: 0%}", &h, v, 2, t);
        assert_int_equal(t[0], 5 * GiB);
        assert_int_equal(t[1], 5 * GiB);
    }
}

/* Nothing to manage, or no VMs: no targets, no crash. */
static void test_empty(void **s) {
    (void)s;
    pol_host_view h = host(16 * GiB);
    int64_t t[1] = {123};
    decide(NULL, &h, NULL, 0, t);
    assert_int_equal(t[0], 123);
    pol_vm_view v = vm("off", 0, 8 * GiB, 8 * GiB, 1 * GiB);
    v.balloon = false;
    decide(NULL, &h, &v, 1, t);
    assert_int_equal(t[0], POL_LEAVE);
}

/* decide() without per-host state (a caller that skips state_new) gives the
 * same answer. */
static void test_without_state(void **s) {
    (void)s;
    cfg_errs errs = {0};
    void *cfg = configure(NULL, &errs);
    pol_vm_view v = vm("l", 0, 4 * GiB, 2 * GiB, 1 * GiB);
    pol_host_view h = host(64 * GiB);
    int64_t t[1];
    assert_int_equal(pol_decide_all(&pol_hyperv, cfg, NULL, SEC, &h, &v, 1, t), BS_OK);
    assert_int_equal(t[0], 1741475020);
    pol_hyperv.free_config(cfg);
    cfg_errs_free(&errs);
}

/* ------------------------------------------------------------------ */
/* end to end                                                          */

static int64_t last_target(const th_capture *c, const char *vmname, bs_time before) {
    int64_t t = -1;
    for (size_t i = 0; i < c->n_events; i++) {
        const eng_event *e = &c->events[i];
        if (e->t < before && e->vm && strcmp(e->vm, vmname) == 0 && strcmp(e->event, "target") == 0)
            t = e->value;
    }
    return t;
}

/* One Linux guest on a roomy host follows its demand within seconds, at
 * (demand + floor) x 1.2.  Steady state (A = T), in 4 KiB pages:
 * T = floor(1.2 x (D + floor(T))).  D = 2 GiB = 524288 pages, on the 1/16
 * slope: T = 1.2 (524288 + 59392 + T/16) -> T = 700416 / 0.925 = 757206.5;
 * check 757206: floor(757206 / 16) = 47325, 1.2 x (524288 + 59392 + 47325)
 * = 757206 exactly.  D = 3 GiB = 786432 pages: T = 1.2 x 845824 / 0.925 =
 * 1097285.2; check 1097284: floor(/16) = 68580, 1.2 x (786432 + 59392 +
 * 68580) = 1097284.8 -> 1097284 whole pages.  (The engine's guest refuses to
 * balloon below D + the floor of its configured 8 GiB, 744 MiB: 2792 and
 * 3816 MiB, below both targets, so it does not interfere.) */
static void test_e2e_follows_demand(void **s) {
    (void)s;
    scen *sc = th_load("duration: 2m\n"
                       "policy: hyperv\n"
                       "hosts: [{memory: 64GiB, vms: [{name: lx, memory: 8GiB, swap: 2GiB,\n"
                       "  balloon: {driver: hyperv},\n"
                       "  workload: {type: steps, steps: [{at: 0s, size: 2GiB}, {at: 60s, size: 3GiB}]}}]}]\n");
    th_capture cap;
    eng_result res;
    th_run(sc, &cap, &res);
    assert_int_equal(last_target(&cap, "lx", TH_S(60)), 757206 * 4 * KiB);
    assert_int_equal(last_target(&cap, "lx", TH_S(120)), 1097284 * 4 * KiB);
    /* It got there within seconds of the step (1 s reports, 1 s latency,
     * 512 MiB/s hot-add).  The 20 % buffer did not cover a +1 GiB step: the
     * guest swapped out what the step exceeded it by, 3 GiB - 757206 pages,
     * and read it back once memory was added. */
    const eng_event *r[64];
    size_t nr = th_find_events(&cap, "lx", "reached", r, 64);
    assert_true(nr >= 2);
    bool reached_after_step = false;
    for (size_t i = 0; i < nr && i < 64; i++)
        if (r[i]->t > TH_S(60) && r[i]->t < TH_S(75) && r[i]->value == 1097284 * 4 * KiB)
            reached_after_step = true;
    assert_true(reached_after_step);
    assert_int_equal(res.vms[0].v[MET_GUEST_SWAP_OUT_BYTES], 3 * GiB - 757206 * 4 * KiB);
    assert_int_equal(res.vms[0].v[MET_GUEST_SWAP_IN_BYTES], 3 * GiB - 757206 * 4 * KiB);
    assert_int_equal(res.vms[0].v[MET_GUEST_OOM_KILLS], 0);
    eng_result_free(&res);
    th_capture_free(&cap);
    scen_free(sc);
}

/* The Linux 6.2 rule end to end (the quirk is copied): a 4 GiB guest at full
 * size with 3200 MiB committed reports no floor, so it is asked for
 * 3200 x 1.2 = 3840 MiB; once ballooned it reports the floor of what it holds
 * (232 + ~240 MiB), (3200 + 472) x 1.2 > 4096 MiB: back to 4 GiB, where the
 * floor disappears again.  Each round: 1 s to start inflating (latency),
 * then the next report sees it, 1 s to deflate: a 3 s cycle.  Before 6.2
 * the floor of 4 GiB was always there: (3200 + 488) x 1.2 > 4096, the VM is
 * never touched. */
static void test_e2e_linux_62_alternation(void **s) {
    (void)s;
    const char *yaml = "duration: 30s\n"
                       "policy: {name: hyperv, params: {guest: %s}}\n"
                       "hosts: [{memory: 64GiB, vms: [{name: q, memory: 4GiB,\n"
                       "  balloon: {driver: hyperv}, workload: {type: constant, size: 3200MiB}}]}]\n";
    char buf[512];
    snprintf(buf, sizeof buf, yaml, "linux");
    scen *sc = th_load(buf);
    th_capture cap;
    eng_result res;
    th_run(sc, &cap, &res);
    const eng_event *t[64];
    size_t nt = th_find_events(&cap, "q", "target", t, 64);
    assert_true(nt >= 16);
    for (size_t i = 0; i < nt && i < 64; i++)
        assert_int_equal(t[i]->value, i % 2 == 0 ? 3840 * MiB : 4 * GiB);
    eng_result_free(&res);
    th_capture_free(&cap);
    scen_free(sc);

    snprintf(buf, sizeof buf, yaml, "linux-legacy");
    sc = th_load(buf);
    th_run(sc, &cap, &res);
    assert_int_equal(th_find_events(&cap, "q", "target", t, 64), 0);
    eng_result_free(&res);
    th_capture_free(&cap);
    scen_free(sc);
}

/* Short host: both guests want more than there is; the one with twice the
 * weight ends with more, and neither goes below its minimum. */
static void test_e2e_weight_when_short(void **s) {
    (void)s;
    scen *sc = th_load("duration: 2m\n"
                       "policy: {name: hyperv, params: {guest: windows, buffer: 0%}}\n"
                       "hosts: [{memory: 12GiB, reserved: 2GiB, swap: 16GiB, vms: [\n"
                       "  {name: lo, memory: 8GiB, min: 2GiB, shares: 1000, swap: 8GiB,\n"
                       "   balloon: {driver: hyperv}, workload: {type: constant, size: 7GiB}},\n"
                       "  {name: hi, memory: 8GiB, min: 2GiB, shares: 2000, swap: 8GiB,\n"
                       "   balloon: {driver: hyperv}, workload: {type: constant, size: 7GiB}}]}]\n");
    th_capture cap;
    eng_result res;
    th_run(sc, &cap, &res);
    /* Pool 10 GiB, minimums 2 + 2, R = 6 GiB split 1:2 -> 4 GiB and 6 GiB. */
    assert_int_equal(last_target(&cap, "lo", TH_S(120)), 4 * GiB);
    assert_int_equal(last_target(&cap, "hi", TH_S(120)), 6 * GiB);
    eng_result_free(&res);
    th_capture_free(&cap);
    scen_free(sc);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registered),
        cmocka_unit_test(test_bad_params),
        cmocka_unit_test(test_floor_table),
        cmocka_unit_test(test_floor_segments_and_rounding),
        cmocka_unit_test(test_documented_example),
        cmocka_unit_test(test_linux_adds_floor_when_ballooned),
        cmocka_unit_test(test_linux_no_floor_before_ballooning),
        cmocka_unit_test(test_committed_in_whole_pages),
        cmocka_unit_test(test_clamped_to_min_and_max),
        cmocka_unit_test(test_shrinks_without_pressure),
        cmocka_unit_test(test_short_minimums_then_weight),
        cmocka_unit_test(test_short_capped_at_desired),
        cmocka_unit_test(test_short_rounds_down),
        cmocka_unit_test(test_short_below_minimums),
        cmocka_unit_test(test_unmanaged_left_alone),
        cmocka_unit_test(test_stuck_driver),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_without_state),
        cmocka_unit_test(test_e2e_follows_demand),
        cmocka_unit_test(test_e2e_linux_62_alternation),
        cmocka_unit_test(test_e2e_weight_when_short),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
