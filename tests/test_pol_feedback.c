/* test_pol_feedback.c -- balloonsim's own controller.
 *
 * There is no original to follow: the expected values are the rules of
 * policies/feedback.c and docs/policies.md (`feedback`) worked out by hand in
 * each test (need = demand, falling with half-life `release`; layers min,
 * need, reserve, need + headroom, spare; stall split of a shortfall in
 * proportion to need squared; spare in proportion to shares x memory;
 * pacing; dead band).  The end-to-end tests run example scenarios under
 * feedback and proportional and check that feedback has no more guest OOM
 * kills and less stall. */
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
extern const pol_type pol_proportional;
extern const pol_type pol_feedback;

#define MiB (1024LL * 1024)
#define GiB (1024LL * MiB)
#define SEC BS_NS_PER_S

/* ------------------------------------------------------------------ */
/* helpers                                                             */

typedef struct fb_run {
    cfg_doc *doc;
    void *cfg, *state;
    bs_time now;
} fb_run;

static void setup_into(fb_run *r, const char *params_yaml) {
    memset(r, 0, sizeof *r);
    th_policy p;
    th_policy_setup(&p, &pol_feedback, params_yaml, SIZE_MAX);
    r->doc = p.doc;
    r->cfg = p.cfg;
    r->state = p.state;
}

static void teardown_run(fb_run *r) {
    th_policy p = {&pol_feedback, r->doc, r->cfg, r->state};
    th_policy_teardown(&p);
}

static pol_host_view host(int64_t memory, int64_t reserved) {
    return (pol_host_view){.name = "h", .host = SIZE_MAX, .memory = memory, .reserved = reserved,
                           .free = memory / 2, .available = memory / 2};
}

/* A managed guest reporting committed memory, at `actual` = its target. */
static pol_vm_view guest(const char *name, int64_t min, int64_t max, int64_t actual,
                         int64_t committed) {
    int64_t ws = BS_MIN(committed, actual);
    return (pol_vm_view){.name = name, .vm = SIZE_MAX, .actual = actual, .target = actual,
                         .max = max, .min = min, .shares = 1000, .free = actual - ws,
                         .available = actual - ws, .committed = committed, .active = -1,
                         .balloon = true};
}

/* One tick `dt` after the previous one. */
static void tick(fb_run *r, bs_time dt, const pol_host_view *h, const pol_vm_view *v, size_t n,
                 int64_t *t) {
    r->now += dt;
    assert_int_equal(pol_decide_all(&pol_feedback, r->cfg, r->state, r->now, h, v, n, t), BS_OK);
}

static int64_t plus_headroom(double need) { return (int64_t)floor(need * 1.05); }

/* ------------------------------------------------------------------ */
/* decisions                                                           */

/* Need plus headroom: 5 % of the need, at least 128 MiB. */
static void test_need_plus_headroom(void **s) {
    (void)s;
    fb_run r;
    setup_into(&r, "{spare: keep, lend: false}");
    pol_host_view h = host(16 * GiB, GiB);
    pol_vm_view v[2] = {guest("a", GiB, 8 * GiB, 4 * GiB, 2 * GiB),
                        guest("b", GiB, 8 * GiB, 3 * GiB, 4 * GiB)};
    int64_t t[2];
    tick(&r, 10 * SEC, &h, v, 2, t);
    assert_int_equal(t[0], 2 * GiB + 128 * MiB);    /* 5 % would be 102.4 MiB */
    assert_int_equal(t[1], plus_headroom(4.0 * GiB)); /* 204.8 MiB */
    teardown_run(&r);
}

/* Spare memory goes in proportion to shares x memory: an 8 GiB and a 4 GiB
 * guest with equal shares split a 9 GiB host 6 : 3; with shares 1000 and
 * 3000 the weights are 2 : 3, the 4 GiB guest is capped at its memory and
 * the other gets the rest. */
static void test_spare_by_shares_and_memory(void **s) {
    (void)s;
    fb_run r;
    setup_into(&r, "{pace: false, lend: false}");
    pol_host_view h = host(9 * GiB, 0);
    pol_vm_view v[2] = {guest("a", 512 * MiB, 8 * GiB, GiB, GiB),
                        guest("b", 512 * MiB, 4 * GiB, GiB, GiB)};
    int64_t t[2];
    tick(&r, 10 * SEC, &h, v, 2, t);
    assert_true(llabs(t[0] - 6 * GiB) <= 1 && llabs(t[1] - 3 * GiB) <= 1);
    assert_true(t[0] + t[1] <= 9 * GiB);
    v[1].shares = 3000;
    tick(&r, 10 * SEC, &h, v, 2, t);
    assert_int_equal(t[1], 4 * GiB);
    assert_true(llabs(t[0] - 5 * GiB) <= 1);
    teardown_run(&r);
}

/* A pressured guest's need comes before an idle guest's spare, and it grows
 * into memory as the idle guest frees it.  p needs 6 GiB and has 4; i needs
 * 1 GiB and holds 6; 10 GiB in all.  Plan: p at 6 GiB + 5 %, i the rest.
 * Tick 1: i is shrunk, p has nothing free to grow into yet; tick 2 (i has
 * shrunk): p grows. */
static void test_pressured_first(void **s) {
    (void)s;
    fb_run r;
    setup_into(&r, "{lend: false}");
    pol_host_view h = host(10 * GiB, 0);
    pol_vm_view v[2] = {guest("p", GiB, 8 * GiB, 4 * GiB, 6 * GiB),
                        guest("i", GiB, 8 * GiB, 6 * GiB, GiB)};
    int64_t t[2];
    tick(&r, 10 * SEC, &h, v, 2, t);
    int64_t p_goal = plus_headroom(6.0 * GiB), i_goal = 10 * GiB - p_goal;
    assert_int_equal(t[0], POL_LEAVE);
    assert_true(llabs(t[1] - i_goal) <= 1);
    v[1].actual = v[1].target = t[1];
    v[1].free = v[1].available = t[1] - GiB;
    tick(&r, 10 * SEC, &h, v, 2, t);
    assert_int_equal(t[0], p_goal);
    assert_int_equal(t[1], POL_LEAVE);
    teardown_run(&r);
}

/* Not every need fits: the shortfall is split in proportion to need squared
 * (6 and 1 GiB needs, 6 GiB of pool: 36/37 and 1/37 of the 1 GiB short). */
static void test_shortfall_by_need_squared(void **s) {
    (void)s;
    fb_run r;
    setup_into(&r, "{pace: false, lend: false}");
    pol_host_view h = host(6 * GiB, 0);
    pol_vm_view v[2] = {guest("p", 512 * MiB, 8 * GiB, 2 * GiB, 6 * GiB),
                        guest("i", 512 * MiB, 8 * GiB, 3 * GiB, GiB)};
    int64_t t[2];
    tick(&r, 10 * SEC, &h, v, 2, t);
    assert_true(fabs((double)t[0] - (6.0 * GiB - 36.0 * GiB / 37)) <= 1.0);
    assert_true(fabs((double)t[1] - (1.0 * GiB - 1.0 * GiB / 37)) <= 1.0);
    assert_true(t[0] + t[1] <= 6 * GiB);
    teardown_run(&r);
}

/* The dead band (5 % of memory = 409.6 MiB here): a small shrink whose
 * memory nobody needs is not made, unless the host is paging; a small grow
 * of a guest whose need is met is not made; a grow below a quarter of the
 * band is not made even for a guest short of its need, a larger one is. */
static void test_dead_band(void **s) {
    (void)s;
    fb_run r;
    setup_into(&r, "{spare: keep, lend: false}");
    pol_host_view h = host(16 * GiB, 0);
    pol_vm_view v[1] = {guest("a", GiB, 8 * GiB, 2 * GiB + 200 * MiB, 2 * GiB)};
    int64_t t[1];
    tick(&r, 10 * SEC, &h, v, 1, t);
    assert_int_equal(t[0], POL_LEAVE); /* 72 MiB shrink */
    h.swap_used = 4096;
    tick(&r, 10 * SEC, &h, v, 1, t);
    assert_int_equal(t[0], 2 * GiB + 128 * MiB);
    h.swap_used = 0;
    v[0].actual = v[0].target = 2 * GiB + 100 * MiB; /* need met, 28 MiB short of the plan */
    tick(&r, 10 * SEC, &h, v, 1, t);
    assert_int_equal(t[0], POL_LEAVE);
    teardown_run(&r);

    setup_into(&r, "{spare: keep, headroom: 0, headroom_min: 0, lend: false}");
    v[0] = guest("a", GiB, 8 * GiB, 1950 * MiB, 2 * GiB); /* 98 MiB < 102.4 MiB */
    v[0].committed = 2 * GiB;
    tick(&r, 10 * SEC, &h, v, 1, t);
    assert_int_equal(t[0], POL_LEAVE);
    v[0].actual = v[0].target = 1900 * MiB; /* 148 MiB */
    tick(&r, 10 * SEC, &h, v, 1, t);
    assert_int_equal(t[0], 2 * GiB);
    teardown_run(&r);
}

/* Need follows demand up at once and down with half-life `release` (5 min):
 * 4 GiB, then 2 GiB for 5 minutes: need 3 GiB.  The reserve (`memory`) is
 * made negligible here to see the need alone. */
static void test_release(void **s) {
    (void)s;
    fb_run r;
    setup_into(&r, "{spare: keep, memory: 1s, lend: false}");
    pol_host_view h = host(16 * GiB, 0);
    pol_vm_view v[1] = {guest("a", GiB, 8 * GiB, 2 * GiB, 4 * GiB)};
    int64_t t[1];
    tick(&r, 10 * SEC, &h, v, 1, t);
    assert_int_equal(t[0], plus_headroom(4.0 * GiB));
    v[0] = guest("a", GiB, 8 * GiB, t[0], 2 * GiB);
    tick(&r, 300 * SEC, &h, v, 1, t);
    assert_int_equal(t[0], plus_headroom(3.0 * GiB));
    teardown_run(&r);
}

/* The reserve: the recent peak, falling with half-life `memory` (4 h), kept
 * while the host has room.  After 5 minutes at 2 GiB the reserve is
 * 2 + 2 x 2^(-300/14400) GiB, above the need plus headroom (a 1 % dead
 * band lets the 234 MiB shrink through). */
static void test_reserve(void **s) {
    (void)s;
    fb_run r;
    setup_into(&r, "{spare: keep, deadband: 1%, lend: false}");
    pol_host_view h = host(16 * GiB, 0);
    pol_vm_view v[1] = {guest("a", GiB, 8 * GiB, 2 * GiB, 4 * GiB)};
    int64_t t[1];
    tick(&r, 10 * SEC, &h, v, 1, t);
    v[0] = guest("a", GiB, 8 * GiB, t[0], 2 * GiB);
    tick(&r, 300 * SEC, &h, v, 1, t);
    double peak = 2.0 * GiB + 2.0 * GiB * exp2(-300.0 / 14400.0);
    assert_true(fabs((double)t[0] - peak) <= 1.0);
    teardown_run(&r);
}

/* A collapse of demand to 0 is taken for a guest OOM kill: need rises to
 * actual + half the way to the VM's memory, and again at every report while
 * the workload stays down. */
static void test_kill_raises_need(void **s) {
    (void)s;
    fb_run r;
    setup_into(&r, "{spare: keep, lend: false}");
    pol_host_view h = host(16 * GiB, 0);
    pol_vm_view v[1] = {guest("a", GiB, 8 * GiB, 2 * GiB, 2 * GiB)};
    int64_t t[1];
    tick(&r, 10 * SEC, &h, v, 1, t);
    v[0] = guest("a", GiB, 8 * GiB, 2 * GiB, 0); /* killed */
    tick(&r, 10 * SEC, &h, v, 1, t);
    double need = 2.0 * GiB + 0.5 * 6.0 * GiB;
    assert_int_equal(t[0], plus_headroom(need));
    v[0] = guest("a", GiB, 8 * GiB, t[0], 0); /* killed again as it restarts */
    tick(&r, 10 * SEC, &h, v, 1, t);
    double need2 = (double)v[0].actual + 0.5 * (8.0 * GiB - (double)v[0].actual);
    assert_int_equal(t[0], plus_headroom(need2));
    v[0] = guest("a", GiB, 8 * GiB, t[0], 3 * GiB); /* back: no further rise */
    tick(&r, 10 * SEC, &h, v, 1, t);
    assert_int_equal(t[0], POL_LEAVE);
    teardown_run(&r);
}

/* Without committed memory: resident working set (actual - available) plus
 * the swapped-out estimate; a guest that pages although that fits gets
 * 5 % of its memory more. */
static void test_without_committed(void **s) {
    (void)s;
    fb_run r;
    setup_into(&r, "{spare: keep, lend: false}");
    pol_host_view h = host(16 * GiB, 0);
    /* swapping (as in the model: nothing available while the working set
     * does not fit): 3 GiB resident + 512 MiB swapped out */
    pol_vm_view v[1] = {guest("a", GiB, 8 * GiB, 3 * GiB, 5 * GiB)};
    v[0].committed = -1;
    v[0].available = v[0].free = 0;
    v[0].swap_out = 512 * MiB;
    v[0].major_faults = 100;
    int64_t t[1];
    tick(&r, 10 * SEC, &h, v, 1, t);
    assert_int_equal(t[0], plus_headroom(3.5 * GiB));
    teardown_run(&r);

    setup_into(&r, "{spare: keep, lend: false}");
    v[0].swap_out = 0;
    /* paging although 3 GiB of its 5 are available: short by more than the
     * estimate sees */
    v[0] = guest("a", GiB, 8 * GiB, 5 * GiB, 2 * GiB);
    v[0].committed = -1;
    v[0].swap_in = 100 * MiB;
    v[0].major_faults = 25600;
    tick(&r, 10 * SEC, &h, v, 1, t);
    /* need 2 GiB + 409.6 MiB; 5 % of it is below the 128 MiB minimum */
    assert_int_equal(t[0], (int64_t)floor(2.0 * GiB + 0.05 * 8.0 * GiB + 128.0 * MiB));
    teardown_run(&r);
}

/* Balloon disabled, shares 0, locked: left alone, their memory out of the
 * pool (16 - 4 - 2 - 2 = 8 GiB left: a gets its need, not more). */
static void test_left_alone(void **s) {
    (void)s;
    fb_run r;
    setup_into(&r, "{pace: false, lend: false}");
    pol_host_view h = host(16 * GiB, 0);
    pol_vm_view v[4] = {guest("a", GiB, 16 * GiB, GiB, 9 * GiB), guest("b", GiB, 8 * GiB, 4 * GiB, GiB),
                        guest("c", GiB, 8 * GiB, 2 * GiB, GiB), guest("d", GiB, 8 * GiB, 2 * GiB, GiB)};
    v[1].balloon = false;
    v[2].shares = 0;
    v[3].locked = true;
    int64_t t[4];
    tick(&r, 10 * SEC, &h, v, 4, t);
    assert_int_equal(t[0], 8 * GiB);
    assert_int_equal(t[1], POL_LEAVE);
    assert_int_equal(t[2], POL_LEAVE);
    assert_int_equal(t[3], POL_LEAVE);
    teardown_run(&r);
}

static char *dump_state(void *state) {
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    assert_non_null(m);
    pol_feedback.state_dump(m, state);
    fclose(m);
    return buf;
}


/* Lending: memory a guest never touched costs the host nothing (docs/model.md,
 * host residency), so idle guests keep up to their whole memory while the
 * host's free memory could back any one of them bursting alone -- even
 * though their sizes add up to more than the pool. */
static void test_lend_untouched(void **s) {
    (void)s;
    fb_run r;
    setup_into(&r, NULL);
    pol_host_view h = host(16 * GiB, GiB);
    h.free = h.available = 13 * GiB; /* the two guests touched 1 GiB each */
    pol_vm_view v[2] = {guest("a", GiB, 8 * GiB, 4 * GiB, GiB),
                        guest("b", GiB, 8 * GiB, 4 * GiB, GiB)};
    int64_t t[2];
    tick(&r, 10 * SEC, &h, v, 2, t);
    assert_int_equal(t[0], 8 * GiB); /* 1 GiB touched + 13 GiB free >= 8 GiB */
    assert_int_equal(t[1], 8 * GiB);
    teardown_run(&r);
    /* Without lending the targets stay within the pool. */
    setup_into(&r, "{lend: false}");
    tick(&r, 10 * SEC, &h, v, 2, t);
    assert_true(t[0] + t[1] <= 15 * GiB);
    teardown_run(&r);
    /* With little host memory free a guest is lent only that much. */
    setup_into(&r, NULL);
    h.free = h.available = 2 * GiB;
    tick(&r, 10 * SEC, &h, v, 2, t);
    assert_int_equal(t[0], 3 * GiB); /* 1 GiB touched + 2 GiB free: 1 GiB below */
    assert_int_equal(t[1], 3 * GiB); /* its target, more than the 400 MiB band */
    teardown_run(&r);
}

/* After a burst the memory it touched stays backed by the host; once the
 * need has fallen by more than `lend_trim` of the VM's memory the guest is
 * taken down to need + headroom at once (and lent again later). */
static void test_lend_takes_back_burst(void **s) {
    (void)s;
    fb_run r;
    setup_into(&r, NULL);
    pol_host_view h = host(32 * GiB, GiB);
    h.free = h.available = 25 * GiB;
    pol_vm_view v[1] = {guest("a", GiB, 8 * GiB, 8 * GiB, 6 * GiB)};
    int64_t t[1];
    tick(&r, 10 * SEC, &h, v, 1, t); /* burst: 6 GiB touched */
    v[0] = guest("a", GiB, 8 * GiB, 8 * GiB, GiB);
    tick(&r, 3600 * SEC, &h, v, 1, t); /* an hour later demand is 1 GiB */
    double need = (double)GiB + 5.0 * (double)GiB * exp2(-3600.0 / 300.0);
    assert_int_equal(t[0], (int64_t)floor(need + 128.0 * (double)MiB));
    teardown_run(&r);
}

/* `balloonsim decide` carries the estimates by name: what is dumped loads
 * back to the same state, and a loaded need drives the next decision. */
static void test_state_round_trip(void **s) {
    (void)s;
    fb_run r;
    setup_into(&r, NULL);
    pol_host_view h = host(16 * GiB, 0);
    pol_vm_view v[2] = {guest("web \"1\"", GiB, 8 * GiB, 2 * GiB, 3 * GiB),
                        guest("db", GiB, 8 * GiB, 2 * GiB, 0)};
    int64_t t[2];
    tick(&r, 0, &h, v, 2, t);
    v[1].committed = GiB;
    tick(&r, 0, &h, v, 2, t);
    v[1].committed = 0; /* collapse: down */
    tick(&r, 0, &h, v, 2, t);
    char *text = dump_state(r.state);
    assert_non_null(strstr(text, "\"down\": true"));

    cfg_doc *doc;
    cfg_errs errs = {0};
    assert_int_equal(cfg_doc_new(&doc), BS_OK);
    cfg_node *node = NULL;
    assert_int_equal(cfg_parse_string(doc, "state", text, &errs, &node), BS_OK);
    cfg_ctx cx = {.errs = &errs, .doc = doc};
    void *st2 = NULL;
    assert_int_equal(pol_feedback.state_new(r.cfg, SIZE_MAX, &st2), BS_OK);
    assert_int_equal(pol_feedback.state_load(&cx, node, "policy_state", st2), BS_OK);
    assert_int_equal(errs.n, 0);
    char *again = dump_state(st2);
    assert_string_equal(text, again);

    /* a need carried in the state outweighs a small demand now */
    cfg_node *n2 = NULL;
    assert_int_equal(cfg_parse_string(doc, "state2",
                                      "{vms: {db: {need: 4GiB, peak: 4GiB, demand: 1GiB}}}",
                                      &errs, &n2),
                     BS_OK);
    void *st3 = NULL;
    assert_int_equal(pol_feedback.state_new(r.cfg, SIZE_MAX, &st3), BS_OK);
    assert_int_equal(pol_feedback.state_load(&cx, n2, "policy_state", st3), BS_OK);
    pol_vm_view one[1] = {guest("db", GiB, 8 * GiB, 2 * GiB, GiB)};
    int64_t t1[1];
    assert_int_equal(pol_decide_all(&pol_feedback, r.cfg, st3, 0, &h, one, 1, t1), BS_OK);
    /* one interval (10 s) of release from 4 GiB towards 1 GiB, reserve 4 GiB */
    assert_true(t1[0] >= 4 * GiB - 1);

    /* bad state: unknown key, negative size */
    cfg_node *n3 = NULL;
    assert_int_equal(cfg_parse_string(doc, "state3", "{vms: {db: {nede: 1, peak: -5}}}", &errs,
                                      &n3),
                     BS_OK);
    assert_int_equal(pol_feedback.state_load(&cx, n3, "policy_state", st3), BS_ERR_INPUT);
    assert_true(errs.n >= 2);

    pol_feedback.free_state(st2);
    pol_feedback.free_state(st3);
    cfg_errs_free(&errs);
    cfg_doc_free(doc);
    free(text);
    free(again);
    teardown_run(&r);
}

/* A caller without state_new (no carried state) still gets a decision. */
static void test_without_state(void **s) {
    (void)s;
    pol_host_view h = host(16 * GiB, 0);
    pol_vm_view v[1] = {guest("a", GiB, 8 * GiB, 4 * GiB, 2 * GiB)};
    int64_t t[1];
    assert_int_equal(pol_decide_all(&pol_feedback, NULL, NULL, 0, &h, v, 1, t), BS_OK);
    assert_true(t[0] >= 2 * GiB && t[0] <= 8 * GiB);
}

static void test_listed(void **s) {
    (void)s;
    const pol_type *t = pol_find("feedback");
    assert_ptr_equal(t, &pol_feedback);
    assert_false(t->needs_truth);
    const char *names[] = {"headroom", "headroom_min", "release", "memory", "kill_boost",
                           "pressure_step", "deadband", "host_reserve", "spare", "pace",
                           "lend", "lend_free", "lend_trim"};
    size_t k = 0;
    for (; t->params[k].name != NULL; k++) {
        assert_true(k < sizeof names / sizeof *names);
        assert_string_equal(t->params[k].name, names[k]);
        assert_non_null(t->params[k].dflt);
        assert_non_null(t->params[k].description);
    }
    assert_int_equal(k, sizeof names / sizeof *names);
    assert_int_equal(t->default_interval, 10 * SEC);
}

static void test_bad_params(void **s) {
    (void)s;
    const char *bad[] = {"{release: 0s}", "{memory: never}", "{spare: hoard}", "{headroom: lots}",
                         "{pace: 2}", "{headroom_min: big}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        th_expect_one_error(&pol_feedback, bad[i], "policy.params", "policy.params.");
}

/* ------------------------------------------------------------------ */
/* end to end                                                          */

static void run_file(const char *path, const char *policy, eng_result *res) {
    scen_overrides ov = {.policy = policy};
    cfg_errs errs = {0};
    scen *sc = NULL;
    bs_rc rc = scen_load(path, &ov, &errs, &sc);
    if (rc != BS_OK) cfg_errs_print(&errs, stderr);
    cfg_errs_free(&errs);
    assert_int_equal(rc, BS_OK);
    assert_int_equal(eng_run(sc, NULL, res), BS_OK);
    scen_free(sc);
}

/* On the example scenarios, feedback kills no more guests than proportional
 * and stalls less. */
static void beats_proportional(const char *path) {
    eng_result fb, prop;
    run_file(path, "feedback", &fb);
    run_file(path, "proportional", &prop);
    if (!(fb.run.v[MET_GUEST_OOM_KILLS] <= prop.run.v[MET_GUEST_OOM_KILLS]) ||
        !(fb.run.v[MET_STALL_S] < prop.run.v[MET_STALL_S]))
        fail_msg("%s: feedback %g kills %.1f s stall, proportional %g kills %.1f s", path,
                 fb.run.v[MET_GUEST_OOM_KILLS], fb.run.v[MET_STALL_S],
                 prop.run.v[MET_GUEST_OOM_KILLS], prop.run.v[MET_STALL_S]);
    eng_result_free(&fb);
    eng_result_free(&prop);
}

static void test_e2e_stuck_driver(void **s) {
    (void)s;
    beats_proportional("scenarios/stuck-driver.yaml");
}

static void test_e2e_host_swap(void **s) {
    (void)s;
    beats_proportional("scenarios/host-swap-no-balloon.yaml");
}

static void test_e2e_default(void **s) {
    (void)s;
    beats_proportional("scenarios/default.yaml");
}

/* Characteristic: memory follows need.  An idle guest and a guest whose
 * demand rises to 6 GiB at 30m share 11 GiB.  proportional splits them
 * 5.5 : 5.5 and the busy guest swaps for good; feedback gives the busy guest
 * its need (plus headroom) within a minute and the idle guest the rest, and
 * then leaves both alone. */
static void test_e2e_memory_follows_need(void **s) {
    (void)s;
    const char *yaml = "duration: 2h\n"
                       "sample_interval: 10s\n"
                       "policy: feedback\n"
                       "hosts: [{memory: 12GiB, reserved: 1GiB, vms: [\n"
                       "  {name: idle, memory: 8GiB, min: 512MiB, swap: 2GiB,\n"
                       "   workload: {type: constant, size: 1GiB}},\n"
                       "  {name: busy, memory: 8GiB, min: 512MiB, swap: 6GiB,\n"
                       "   workload: {type: steps, steps: [{at: 0s, size: 1GiB},\n"
                       "                                   {at: 30m, size: 6GiB}]}}]}]\n";
    scen *sc = th_load(yaml);
    th_capture cap;
    eng_result res;
    th_run(sc, &cap, &res);
    for (size_t i = 0; i < cap.n_vm_rows; i++) {
        const eng_vm_sample *row = &cap.vm_rows[i];
        if (row->t >= 1860 * SEC && strcmp(row->vm, "busy") == 0) {
            assert_int_equal(row->guest_swapped, 0);
            assert_true(row->target >= 6 * GiB);
        }
        assert_int_equal(row->host_swapped, 0);
    }
    assert_int_equal((int)res.run.v[MET_GUEST_OOM_KILLS], 0);
    assert_true(res.run.v[MET_TARGET_REVERSALS_PER_VM_HOUR] <= 1.0);
    double fb_stall = res.run.v[MET_STALL_S];
    eng_result_free(&res);
    th_capture_free(&cap);
    scen_free(sc);

    sc = th_load(yaml);
    sc->policy.type->free_config(sc->policy.cfg);
    cfg_errs errs = {0};
    cfg_ctx cx = {.errs = &errs, .doc = sc->doc};
    sc->policy.type = &pol_proportional;
    sc->policy.cfg = NULL;
    assert_int_equal(pol_proportional.configure(&cx, NULL, "policy.params", sc, &sc->policy.cfg),
                     BS_OK);
    assert_int_equal(eng_run(sc, NULL, &res), BS_OK);
    assert_true(fb_stall * 10 < res.run.v[MET_STALL_S]);
    eng_result_free(&res);
    cfg_errs_free(&errs);
    scen_free(sc);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_need_plus_headroom),
        cmocka_unit_test(test_spare_by_shares_and_memory),
        cmocka_unit_test(test_pressured_first),
        cmocka_unit_test(test_shortfall_by_need_squared),
        cmocka_unit_test(test_dead_band),
        cmocka_unit_test(test_release),
        cmocka_unit_test(test_reserve),
        cmocka_unit_test(test_kill_raises_need),
        cmocka_unit_test(test_without_committed),
        cmocka_unit_test(test_left_alone),
        cmocka_unit_test(test_lend_untouched),
        cmocka_unit_test(test_lend_takes_back_burst),
        cmocka_unit_test(test_state_round_trip),
        cmocka_unit_test(test_without_state),
        cmocka_unit_test(test_listed),
        cmocka_unit_test(test_bad_params),
        cmocka_unit_test(test_e2e_stuck_driver),
        cmocka_unit_test(test_e2e_host_swap),
        cmocka_unit_test(test_e2e_default),
        cmocka_unit_test(test_e2e_memory_follows_need),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
