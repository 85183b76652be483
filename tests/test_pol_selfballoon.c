/* test_pol_selfballoon.c -- the `selfballoon` policy against Linux's
 * drivers/xen/xen-selfballoon.c.
 *
 * The driver has no test suite of its own; the expected values are hand
 * calculations, in 4 KiB pages, from selfballoon_process() and
 * xen_selfballoon_init() of the last version before its removal (Linux 5.2),
 * written next to each case:
 *   goal  = vm_memory_committed() + totalreserve_pages + MB2PAGES(reserved_mb)
 *   down  = cur - (cur - goal) / selfballoon_downhysteresis    (default 8)
 *   up    = cur + (goal - cur) / selfballoon_uphysteresis      (default 1)
 *   floor = totalreserve + MB2PAGES(min_usable_mb) when set, else by
 *           useful = max_pfn - totalreserve:  < 16 MiB: max_pfn;
 *           < 64 MiB: 16 MiB + (useful - 16 MiB) / 2;  < 512 MiB: 40 MiB +
 *           (useful - 40 MiB) / 8;  else 99 MiB + (useful - 99 MiB) / 32
 *   reserved_mb = PAGES2MB(totalram_pages / 10) when the driver starts.
 * MiB in pages: 256. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/helpers.h"
#include "policies/pol.h"
#include "sim/base/cfg.h"
#include "sim/scenario.h"

/* Policies under test, defined in policies/NAME.c (not in pol.h: callers
 * elsewhere find them by name through the registry). */
extern const pol_type pol_selfballoon;

#define KiB 1024LL
#define MiB (1024LL * KiB)
#define GiB (1024LL * MiB)
#define PG 4096LL /* bytes per page */

/* ------------------------------------------------------------------ */
/* helpers                                                             */

/* A guest with `actual` bytes (totalram_pages), Committed_AS `committed`,
 * booted with `max` (max_pfn). */
static pol_vm_view guest(const char *name, int64_t actual, int64_t committed, int64_t max) {
    return (pol_vm_view){.name = name, .vm = SIZE_MAX, .actual = actual, .target = actual,
                         .max = max, .shares = 1000, .committed = committed, .active = -1,
                         .balloon = true};
}

typedef struct sb_run {
    cfg_doc *doc;
    void *cfg, *state;
} sb_run;

static sb_run setup(const char *params_yaml) {
    th_policy p;
    th_policy_setup(&p, &pol_selfballoon, params_yaml, SIZE_MAX);
    return (sb_run){p.doc, p.cfg, p.state};
}

static void teardown_run(sb_run *r) {
    th_policy p = {&pol_selfballoon, r->doc, r->cfg, r->state};
    th_policy_teardown(&p);
}

static void decide(sb_run *r, const pol_vm_view *v, size_t n, int64_t *targets) {
    pol_host_view h = {.name = "h", .host = SIZE_MAX, .memory = 64 * GiB};
    assert_int_equal(pol_decide_all(&pol_selfballoon, r->cfg, r->state, 0, &h, v, n, targets),
                     BS_OK);
}

/* The target of one guest on its driver's first tick, with params. */
static int64_t once(const char *params, pol_vm_view v) {
    sb_run r = setup(params);
    int64_t t[1];
    decide(&r, &v, 1, t);
    teardown_run(&r);
    return t[0];
}

static char *dump(const void *state) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    pol_selfballoon.state_dump(f, state);
    assert_int_equal(fclose(f), 0);
    return buf;
}

/* ------------------------------------------------------------------ */
/* selfballoon_process()                                               */

/* 4 GiB guest (1048576 pages) committing 1 GiB (262144): reserved_mb =
 * (1048576 / 10) >> 8 = 104857 >> 8 = 409 MiB = 104704 pages; goal =
 * 366848; down by (1048576 - 366848) / 8 = 85216 -> 963360 pages. */
static void test_shrinks_by_an_eighth(void **s) {
    (void)s;
    assert_int_equal(once(NULL, guest("g", 4 * GiB, GiB, 4 * GiB)), 963360 * PG);
}

/* 1 GiB guest (262144 pages) committing 2 GiB (524288): reserved 102 MiB
 * (26214 >> 8) = 26112 pages; goal 550400: up the whole gap at once, past
 * its memory (the balloon, not the driver, stops at the maximum). */
static void test_grows_at_once(void **s) {
    (void)s;
    assert_int_equal(once(NULL, guest("g", GiB, 2 * GiB, 4 * GiB)), 550400 * PG);
}

/* cur == goal: no change.  2 GiB guest (524288 pages), reserved 204 MiB
 * (52428 >> 8) = 52224 pages, committed 472064 pages. */
static void test_at_goal(void **s) {
    (void)s;
    assert_int_equal(once(NULL, guest("g", 2 * GiB, 472064 * PG, 4 * GiB)), 2 * GiB);
}

/* Integer division: a gap of 15 pages moves 1 page down (15 / 8), a gap of
 * 7 pages none. */
static void test_integer_steps(void **s) {
    (void)s;
    int64_t goal_without_committed = 52224; /* 2 GiB guest: reserved 204 MiB */
    int64_t cur = 524288;
    assert_int_equal(once(NULL, guest("g", cur * PG, (cur - 15 - goal_without_committed) * PG, 4 * GiB)),
                     (cur - 1) * PG);
    assert_int_equal(once(NULL, guest("g", cur * PG, (cur - 7 - goal_without_committed) * PG, 4 * GiB)),
                     cur * PG);
}

/* Committed_AS is read in whole pages (rounded down), and so is memory. */
static void test_pages_rounded_down(void **s) {
    (void)s;
    /* as test_grows_at_once, with 4095 extra bytes committed and actual */
    assert_int_equal(once(NULL, guest("g", GiB + 4095, 2 * GiB + 4095, 4 * GiB)), 550400 * PG);
}

/* down/up hysteresis params: 4 and 2.  4 GiB guest committing 1 GiB: gap
 * 681728 / 4 = 170432 -> 878144.  1 GiB guest to 550400: 288256 / 2 =
 * 144128 -> 406272. */
static void test_hysteresis_params(void **s) {
    (void)s;
    const char *p = "{downhysteresis: 4, uphysteresis: 2}";
    assert_int_equal(once(p, guest("g", 4 * GiB, GiB, 4 * GiB)), 878144 * PG);
    assert_int_equal(once(p, guest("g", GiB, 2 * GiB, 4 * GiB)), 406272 * PG);
}

/* reserved as a size (256 MiB = 65536 pages) or a fraction (20 %:
 * 1048576 * 200000 / 10^6 = 209715 pages >> 8 = 819 MiB = 209664). */
static void test_reserved_param(void **s) {
    (void)s;
    /* 4 GiB committing 1 GiB: goal 262144 + 65536; gap 720896 / 8 = 90112 */
    assert_int_equal(once("{reserved: 256MiB}", guest("g", 4 * GiB, GiB, 4 * GiB)),
                     (1048576 - 90112) * PG);
    /* goal 262144 + 209664 = 471808; gap 576768 / 8 = 72096 */
    assert_int_equal(once("{reserved: 20%}", guest("g", 4 * GiB, GiB, 4 * GiB)),
                     (1048576 - 72096) * PG);
    /* 0: the goal is Committed_AS alone (kernels before the 10 % default) */
    assert_int_equal(once("{reserved: 0}", guest("g", 4 * GiB, GiB, 4 * GiB)),
                     (1048576 - 786432 / 8) * PG);
}

/* totalreserve_pages (64 MiB = 16384 pages) is in the goal: 4 GiB guest
 * committing 1 GiB: goal 366848 + 16384 = 383232, gap 665344 / 8 = 83168. */
static void test_totalreserve(void **s) {
    (void)s;
    assert_int_equal(once("{totalreserve: 64MiB}", guest("g", 4 * GiB, GiB, 4 * GiB)),
                     (1048576 - 83168) * PG);
}

/* selfballoon_min_usable_mb: the floor is totalreserve + min_usable.  2 GiB
 * guest committing nothing: goal 52224 (reserved 204 MiB); down to 524288 -
 * 59008 = 465280, under the floor of 1900 MiB = 486400 pages. */
static void test_min_usable_floor(void **s) {
    (void)s;
    assert_int_equal(once("{min_usable: 1900MiB}", guest("g", 2 * GiB, 0, 2 * GiB)), 486400 * PG);
    /* 1800 MiB = 460800 pages: not binding */
    assert_int_equal(once("{min_usable: 1800MiB}", guest("g", 2 * GiB, 0, 2 * GiB)), 465280 * PG);
}

/* The piecewise floor.  A guest booted with less than 16 MiB is not worth
 * ballooning: floor = max_pfn. */
static void test_floor_tiny_guest(void **s) {
    (void)s;
    assert_int_equal(once(NULL, guest("g", 8 * MiB, 0, 12 * MiB)), 12 * MiB);
}

/* 48 MiB booted (useful 12288 pages): floor 4096 + (12288 - 4096) / 2 =
 * 8192.  At 34 MiB (8704 pages), reserved (870 >> 8) = 3 MiB = 768: down
 * to 8704 - 7936 / 8 = 7712, raised to 8192. */
static void test_floor_small_guest(void **s) {
    (void)s;
    assert_int_equal(once(NULL, guest("g", 34 * MiB, 0, 48 * MiB)), 8192 * PG);
}

/* The floor jumps where its pieces meet (copied as is): booted with 64 MiB
 * (useful 16384) it is 10240 + (16384 - 10240) / 8 = 11008 pages, with one
 * page less 4096 + 12287 / 2 = 10239; at 512 MiB (131072) it is 25344 +
 * 105728 / 32 = 28648, one page less 10240 + 120831 / 8 = 25343. */
static void test_floor_discontinuities(void **s) {
    (void)s;
    /* a guest down at 16 MiB committing nothing always hits the floor */
    assert_int_equal(once(NULL, guest("g", 16 * MiB, 0, 64 * MiB)), 11008 * PG);
    assert_int_equal(once(NULL, guest("g", 16 * MiB, 0, 64 * MiB - PG)), 10239 * PG);
    assert_int_equal(once(NULL, guest("g", 16 * MiB, 0, 512 * MiB)), 28648 * PG);
    assert_int_equal(once(NULL, guest("g", 16 * MiB, 0, 512 * MiB - PG)), 25343 * PG);
}

/* MB2PAGES() shifts an unsigned int: 16 TiB = 16777216 MiB << 8 wraps to 0,
 * so such a reserve counts for nothing (the original's overflow, copied). */
static void test_mb2pages_wraps(void **s) {
    (void)s;
    assert_int_equal(once("{reserved: 16TiB}", guest("g", 4 * GiB, GiB, 4 * GiB)),
                     once("{reserved: 0}", guest("g", 4 * GiB, GiB, 4 * GiB)));
    /* 16 TiB - 1 MiB does not wrap: the goal is far above, up at once */
    assert_int_equal(once("{reserved: 16777215MiB}", guest("g", 4 * GiB, GiB, 4 * GiB)),
                     (262144 + 16777215LL * 256) * PG);
}

/* ------------------------------------------------------------------ */
/* per guest, its own state                                            */

/* reserved_mb is fixed when the driver starts: a guest that started at
 * 4 GiB keeps 409 MiB when it is at 2 GiB; after it reboots (gone from the
 * views, then back) it is recomputed from its size then. */
static void test_reserve_fixed_at_start(void **s) {
    (void)s;
    sb_run r = setup(NULL);
    pol_vm_view v[2] = {guest("g", 4 * GiB, GiB, 4 * GiB), guest("other", GiB, GiB, GiB)};
    int64_t t[2];
    decide(&r, v, 2, t);
    v[0] = guest("g", 2 * GiB, GiB, 4 * GiB);
    decide(&r, v, 2, t);
    /* goal 262144 + 104704 = 366848; gap (524288 - 366848) / 8 = 19680 */
    assert_int_equal(t[0], (524288 - 19680) * PG);
    decide(&r, &v[1], 1, t); /* g is gone */
    decide(&r, v, 2, t);     /* and back at 2 GiB: reserved 204 MiB */
    /* goal 262144 + 52224 = 314368; gap 209920 / 8 = 26240 */
    assert_int_equal(t[0], (524288 - 26240) * PG);
    teardown_run(&r);
}

/* No Committed_AS in the report, balloon off, shares 0 or locked: left
 * alone.  Every other guest is sized on its own (no host coordination). */
static void test_left_alone(void **s) {
    (void)s;
    sb_run r = setup(NULL);
    pol_vm_view v[5] = {guest("nocommit", 4 * GiB, -1, 4 * GiB), guest("off", 4 * GiB, GiB, 4 * GiB),
                        guest("noshares", 4 * GiB, GiB, 4 * GiB), guest("locked", 4 * GiB, GiB, 4 * GiB),
                        guest("g", 4 * GiB, GiB, 4 * GiB)};
    v[1].balloon = false;
    v[2].shares = 0;
    v[3].locked = true;
    int64_t t[5];
    decide(&r, v, 5, t);
    for (int i = 0; i < 4; i++) assert_int_equal(t[i], POL_LEAVE);
    assert_int_equal(t[4], 963360 * PG);
    teardown_run(&r);
}

/* policy_state round trip: each guest's reserve, by name. */
static void test_state_round_trip(void **s) {
    (void)s;
    sb_run a = setup(NULL), b = setup(NULL);
    pol_vm_view v[2] = {guest("g", 4 * GiB, GiB, 4 * GiB), guest("h\"q", GiB, GiB, GiB)};
    int64_t t[2], u[2];
    decide(&a, v, 2, t);
    char *da = dump(a.state);
    assert_string_equal(da, "{\"g\": {\"reserved_mb\": 409}, \"h\\\"q\": {\"reserved_mb\": 102}}");
    cfg_errs errs = {0};
    cfg_ctx cx = {.errs = &errs, .doc = b.doc};
    cfg_node *node = NULL;
    assert_int_equal(cfg_parse_string(b.doc, "state", da, &errs, &node), BS_OK);
    assert_int_equal(pol_selfballoon.state_load(&cx, node, "policy_state", b.state), BS_OK);
    assert_int_equal(errs.n, 0);
    char *db = dump(b.state);
    assert_string_equal(da, db);
    v[0] = guest("g", 2 * GiB, GiB, 4 * GiB);
    decide(&a, v, 2, t);
    decide(&b, v, 2, u);
    assert_int_equal(t[0], u[0]);
    assert_int_equal(t[0], (524288 - 19680) * PG); /* the 409 MiB carried over */
    free(da);
    free(db);
    cfg_errs_free(&errs);
    teardown_run(&a);
    teardown_run(&b);
}

static void test_bad_state(void **s) {
    (void)s;
    const char *bad[] = {"{g: 3}", "{g: {reserved_mb: -1}}", "{g: {reserved_mb: 4294967296}}",
                         "{g: {}}", "{g: {reserved_mb: 1, colour: red}}"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        sb_run r = setup(NULL);
        cfg_errs errs = {0};
        cfg_ctx cx = {.errs = &errs, .doc = r.doc};
        cfg_node *node = NULL;
        assert_int_equal(cfg_parse_string(r.doc, "state", bad[k], &errs, &node), BS_OK);
        assert_int_equal(pol_selfballoon.state_load(&cx, node, "policy_state", r.state),
                         BS_ERR_INPUT);
        assert_true(errs.n >= 1);
        assert_non_null(strstr(errs.msgs[0], "policy_state.g"));
        cfg_errs_free(&errs);
        teardown_run(&r);
    }
}

/* ------------------------------------------------------------------ */
/* parameters                                                          */

static void test_bad_params(void **s) {
    (void)s;
    const char *bad[] = {"{downhysteresis: 0}", "{uphysteresis: -1}", "{uphysteresis: 1.5}",
                         "{reserved: 150%}", "{reserved: lots}", "{min_usable: x}",
                         "{totalreserve: -4KiB}", "3"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++)
        th_expect_one_error(&pol_selfballoon, bad[k], "policy.params", "policy.params");
}

static void test_listed(void **s) {
    (void)s;
    assert_ptr_equal(pol_find("selfballoon"), &pol_selfballoon);
    const char *names[] = {"downhysteresis", "uphysteresis", "reserved", "min_usable",
                           "totalreserve"};
    const char *dflt[] = {"8", "1", "10%", "0", "0"};
    for (size_t k = 0; k < 5; k++) {
        assert_string_equal(pol_selfballoon.params[k].name, names[k]);
        assert_string_equal(pol_selfballoon.params[k].dflt, dflt[k]);
    }
    assert_null(pol_selfballoon.params[5].name);
    assert_int_equal(pol_selfballoon.default_interval, 5 * BS_NS_PER_S);
}

/* ------------------------------------------------------------------ */
/* end to end                                                          */

/* A 4 GiB Xen guest using 1 GiB: every 5 s its driver closes 1/8 of the gap
 * to 1 GiB + 409 MiB (the Xen driver gets there within the 5 s); at 60 s
 * it needs 3 GiB and goes straight to 3 GiB + 409 MiB at the next tick. */
static void test_e2e_down_slowly_up_at_once(void **s) {
    (void)s;
    scen *sc = th_load("duration: 90s\n"
                       "policy: selfballoon\n"
                       "hosts: [{memory: 16GiB, vms: [{name: g, memory: 4GiB, swap: 4GiB,\n"
                       "  balloon: {driver: xen},\n"
                       "  workload: {type: steps, steps: [{at: 0s, size: 1GiB}, {at: 60s, size: 3GiB}]}}]}]\n");
    th_capture cap;
    eng_result res;
    th_run(sc, &cap, &res);
    const eng_event *ev[64];
    size_t n = th_find_events(&cap, "g", "target", ev, 64);
    assert_true(n >= 12);
    int64_t goal = 262144 + 104704; /* pages */
    /* first tick at 5 s: 1048576 - 681728 / 8 */
    assert_int_equal(ev[0]->t, TH_S(5));
    assert_int_equal(ev[0]->value, 963360 * PG);
    int64_t cur = 963360;
    size_t k = 1;
    for (; k < n && ev[k]->t < TH_S(60); k++) {
        assert_int_equal(ev[k]->t, ev[k - 1]->t + TH_S(5)); /* every 5 s */
        cur -= (cur - goal) / 8; /* from where the last target took it */
        assert_int_equal(ev[k]->value, cur * PG);
    }
    assert_int_equal(k, 11); /* 5 s .. 55 s */
    assert_int_equal(ev[k]->t, TH_S(60));
    assert_int_equal(ev[k]->value, (786432 + 104704) * PG);
    eng_result_free(&res);
    th_capture_free(&cap);
    scen_free(sc);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shrinks_by_an_eighth),
        cmocka_unit_test(test_grows_at_once),
        cmocka_unit_test(test_at_goal),
        cmocka_unit_test(test_integer_steps),
        cmocka_unit_test(test_pages_rounded_down),
        cmocka_unit_test(test_hysteresis_params),
        cmocka_unit_test(test_reserved_param),
        cmocka_unit_test(test_totalreserve),
        cmocka_unit_test(test_min_usable_floor),
        cmocka_unit_test(test_floor_tiny_guest),
        cmocka_unit_test(test_floor_small_guest),
        cmocka_unit_test(test_floor_discontinuities),
        cmocka_unit_test(test_mb2pages_wraps),
        cmocka_unit_test(test_reserve_fixed_at_start),
        cmocka_unit_test(test_left_alone),
        cmocka_unit_test(test_state_round_trip),
        cmocka_unit_test(test_bad_state),
        cmocka_unit_test(test_bad_params),
        cmocka_unit_test(test_listed),
        cmocka_unit_test(test_e2e_down_slowly_up_at_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
