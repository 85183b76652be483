/* test_pol_mom.c -- the `mom` policy against oVirt MoM's own rules.
 *
 * Sources (github.com/oVirt/mom unless said otherwise):
 *   doc/balloon.rules (commit e0f3d3b7)          variant mom
 *   oVirt/vdsm static/etc/vdsm/mom.d/02-balloon.policy, 00-defines.policy
 *                                                variant vdsm
 *   mom/Entity.py StatAvg, mom/Monitor.py collect (history of
 *   sample-history-length, incomplete samples not stored), mom/Policy/
 *   Policy.py (a fresh evaluator per run), mom/Controllers/Balloon.py
 *   (int(target) KiB), mom/__init__.py (10 s policy, 5 s monitors, 10
 *   samples), tests/ParserTests.py test_basic_math ("(/ 11 2)" is 5.5: true
 *   division in the Python 3 MoM).
 *
 * Expected targets are worked out by hand in the comment next to each case
 * (in KiB, MoM's unit; a target is int(KiB) * 1024 bytes).  Each was also
 * checked by evaluating the rule files above, unchanged, under the policy
 * language's semantics (mom/Policy/Parser.py) on the same inputs. */
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
extern const pol_type pol_scripted;
extern const pol_type pol_mom;

#define KiB 1024LL
#define MiB (1024LL * KiB)
#define GiB (1024LL * MiB)
#define SEC BS_NS_PER_S

/* ------------------------------------------------------------------ */
/* helpers                                                             */

/* The policy configured from a params mapping written as YAML (NULL: no
 * params); errors are returned, not failed on. */
static bs_rc try_config(const char *params, void **cfg, cfg_errs *errs) {
    cfg_doc *doc = NULL;
    assert_int_equal(cfg_doc_new(&doc), BS_OK);
    cfg_ctx cx = {.errs = errs, .doc = doc};
    cfg_node *root = NULL;
    if (params != NULL) assert_int_equal(cfg_parse_string(doc, "params", params, errs, &root), BS_OK);
    *cfg = NULL;
    bs_rc rc = pol_mom.configure(&cx, root, "policy.params", NULL, cfg);
    if (rc == BS_OK && root != NULL) cfg_check_unknown(&cx, root, "policy.params", "(params)");
    cfg_doc_free(doc);
    return rc;
}

static void *config(const char *params) {
    cfg_errs errs = {0};
    void *cfg = NULL;
    bs_rc rc = try_config(params, &cfg, &errs);
    if (rc != BS_OK || errs.n) cfg_errs_print(&errs, stderr);
    assert_int_equal(rc, BS_OK);
    assert_int_equal(errs.n, 0);
    cfg_errs_free(&errs);
    return cfg;
}

static void *new_state(void *cfg) {
    void *st = NULL;
    assert_int_equal(pol_mom.state_new(cfg, SIZE_MAX, &st), BS_OK);
    return st;
}

typedef struct fixture {
    void *cfg, *st;
} fixture;

static fixture fx(const char *params) {
    fixture f;
    f.cfg = config(params);
    f.st = new_state(f.cfg);
    return f;
}

static void fx_free(fixture *f) {
    pol_mom.free_state(f->st);
    pol_mom.free_config(f->cfg);
}

static pol_host_view host(int64_t memory, int64_t available) {
    return (pol_host_view){.name = "h", .host = SIZE_MAX, .memory = memory, .free = available,
                           .available = available};
}

static pol_vm_view vmv(const char *name, int64_t min, int64_t max, int64_t actual, int64_t free) {
    return (pol_vm_view){.name = name, .vm = SIZE_MAX, .actual = actual, .target = actual,
                         .max = max, .min = min, .shares = 1000, .free = free,
                         .available = free, .committed = -1, .active = -1, .balloon = true};
}

/* One `balloonsim decide` call: one sample and one run. */
static void decide(fixture *f, pol_host_view h, const pol_vm_view *vms, size_t n, int64_t *t) {
    assert_int_equal(pol_decide_all(&pol_mom, f->cfg, f->st, 0, &h, vms, n, t), BS_OK);
}

static int64_t decide1(fixture *f, pol_host_view h, pol_vm_view v) {
    int64_t t;
    decide(f, h, &v, 1, &t);
    return t;
}

/* A single decision on a fresh state. */
static int64_t once(const char *params, pol_host_view h, pol_vm_view v) {
    fixture f = fx(params);
    int64_t t = decide1(&f, h, v);
    fx_free(&f);
    return t;
}

static char *dump(const void *st) {
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    assert_non_null(m);
    pol_mom.state_dump(m, st);
    assert_int_equal(fclose(m), 0);
    return buf;
}

/* state_load of a policy_state written as YAML; returns the rc, errors in errs. */
static bs_rc load(void *st, const char *yaml, cfg_errs *errs) {
    cfg_doc *doc = NULL;
    assert_int_equal(cfg_doc_new(&doc), BS_OK);
    cfg_ctx cx = {.errs = errs, .doc = doc};
    /* as in a snapshot: the value of the policy_state key */
    char text[1024];
    snprintf(text, sizeof text, "policy_state: %s\n", yaml);
    cfg_node *root = NULL;
    assert_int_equal(cfg_parse_string(doc, "snap", text, errs, &root), BS_OK);
    cfg_entry *e = cfg_map_entry(root, "policy_state");
    assert_non_null(e);
    bs_rc rc = pol_mom.state_load(&cx, e->val, "policy_state", st);
    cfg_doc_free(doc);
    return rc;
}

static bool errs_contain(const cfg_errs *e, const char *what) {
    for (size_t i = 0; i < e->n; i++)
        if (strstr(e->msgs[i], what) != NULL) return true;
    return false;
}

/* Host of 16 GiB with 2 GiB free: host_free_percent = 2097152 / 16777216 =
 * 0.125 < 0.20 (pressure), > 0.05 (not critical); the guest's free share is
 * 0.20 * (0.125 / 0.20) = 0.125. */
#define PRESSURE host(16 * GiB, 2 * GiB)
/* 8 of 16 GiB free: no pressure (0.5). */
#define RELAXED host(16 * GiB, 8 * GiB)

/* ------------------------------------------------------------------ */
/* registration, parameters, configuration                             */

static void test_registered(void **s) {
    (void)s;
    assert_ptr_equal(pol_find("mom"), &pol_mom);
    /* mom/__init__.py: policy-engine-interval 10, guest-monitor-interval 5 */
    assert_int_equal(pol_mom.default_interval, 10 * SEC);
    assert_int_equal(pol_mom.default_stats_interval, 5 * SEC);
    /* listing order: static, proportional, scripted, then mom first */
    const pol_type *const *t = pol_types();
    size_t i = 0;
    while (t[i] != NULL && t[i] != &pol_scripted) i++;
    assert_ptr_equal(t[i + 1], &pol_mom);
}

static void test_params_table(void **s) {
    (void)s;
    /* Names and defaults of doc/balloon.rules' constants and MoM's config. */
    static const struct {
        const char *name, *dflt, *unit;
    } want[] = {
        {"variant", "mom", "name"},
        {"pressure_threshold", "20%", "fraction"},
        {"pressure_critical", "5%", "fraction"},
        {"min_guest_free_percent", "20%", "fraction"},
        {"max_balloon_change_percent", "5%", "fraction"},
        {"min_balloon_change_percent", "0.25%", "fraction"},
        {"sample_history_length", "10", "count"},
        {"monitor_interval", "5s", "time"},
        {"balloon_enabled", "true", "bool"},
    };
    size_t n = 0;
    for (const pol_param *p = pol_mom.params; p->name != NULL; p++, n++) {
        assert_true(n < sizeof want / sizeof want[0]);
        assert_string_equal(p->name, want[n].name);
        assert_string_equal(p->dflt, want[n].dflt);
        assert_string_equal(p->unit, want[n].unit);
        assert_non_null(p->description);
    }
    assert_int_equal(n, sizeof want / sizeof want[0]);
}

/* The defaults written out in the table give the same decisions as no params. */
static void test_defaults_as_written(void **s) {
    (void)s;
    const char *all = "{variant: mom, pressure_threshold: 20%, pressure_critical: 5%, "
                      "min_guest_free_percent: 20%, max_balloon_change_percent: 5%, "
                      "min_balloon_change_percent: 0.25%, sample_history_length: 10, "
                      "monitor_interval: 5s, balloon_enabled: true}";
    pol_vm_view v = vmv("g", 0, 4 * GiB, 4 * GiB, 3 * GiB);
    assert_int_equal(once(all, PRESSURE, v), once(NULL, PRESSURE, v));
    assert_int_equal(once("{}", PRESSURE, v), 3984588 * KiB);
}

static void test_config_errors(void **s) {
    (void)s;
    static const struct {
        const char *params, *msg;
    } bad[] = {
        {"{variant: ovirt}", "expected mom or vdsm"},
        {"{pressure_threshold: 0}", "a fraction above 0"},
        {"{pressure_threshold: 120%}", "a fraction from 0 to 1"},
        {"{max_balloon_change_percent: -5%}", "a fraction from 0 to 1"},
        {"{sample_history_length: 0}", "policy.params.sample_history_length"},
        {"{sample_history_length: 1001}", "a count from 1 to 1000"},
        {"{monitor_interval: -5s}", "policy.params.monitor_interval"},
        {"{balloon_enabled: yes}", "true or false"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cfg_errs errs = {0};
        void *cfg = NULL;
        bs_rc rc = try_config(bad[i].params, &cfg, &errs);
        if (!errs_contain(&errs, bad[i].msg)) {
            fprintf(stderr, "case %s:\n", bad[i].params);
            cfg_errs_print(&errs, stderr);
        }
        assert_int_equal(rc, BS_ERR_INPUT);
        assert_null(cfg);
        assert_true(errs_contain(&errs, bad[i].msg));
        cfg_errs_free(&errs);
    }
}

/* ------------------------------------------------------------------ */
/* doc/balloon.rules: shrink_guest                                     */

/* Guest 4 GiB (4194304 KiB) with 3 GiB free under PRESSURE:
 * used = 4194304 - 3145728 = 1048576; floor = max(0, 1048576 + 0.125 *
 * 4194304) = 1572864; 5 % step: 4194304 * (1 - 0.05) = 3984588.8, above the
 * floor, a change of 209715.2 > 0.0025 * 4194304: int -> 3984588 KiB. */
static void test_shrink_step_is_capped(void **s) {
    (void)s;
    assert_int_equal(once(NULL, PRESSURE, vmv("g", 0, 4 * GiB, 4 * GiB, 3 * GiB)), 3984588 * KiB);
}

/* 600 MiB free: used = 4194304 - 614400 = 3579904; floor = 3579904 + 524288
 * = 4104192 (4008 MiB) > 3984588.8: the guest keeps its share of free
 * memory, the step is smaller than 5 %. */
static void test_shrink_stops_at_guest_free_share(void **s) {
    (void)s;
    assert_int_equal(once(NULL, PRESSURE, vmv("g", 0, 4 * GiB, 4 * GiB, 600 * MiB)),
                     4104192 * KiB);
}

/* 400 MiB free: floor = 3786752 + 524288 = 4311040 > balloon_cur: shrink_guest
 * sets nothing (balloon_size <= balloon_cur fails), and does not grow it
 * either although the host is the one short of memory. */
static void test_shrink_never_grows(void **s) {
    (void)s;
    assert_int_equal(once(NULL, PRESSURE, vmv("g", 0, 4 * GiB, 4 * GiB, 400 * MiB)), POL_LEAVE);
}

/* balloon_min (guaranteed memory) 3994 MiB = 4089856 KiB is the floor:
 * max(4089856, 1048576 + 524288) = 4089856 > 3984588.8. */
static void test_shrink_respects_balloon_min(void **s) {
    (void)s;
    assert_int_equal(once(NULL, PRESSURE, vmv("g", 3994 * MiB, 4 * GiB, 4 * GiB, 3 * GiB)),
                     4089856 * KiB);
}

/* Critical pressure: 640 MiB free of 16 GiB, host_free_percent = 655360 /
 * 16777216 = 0.0390625 <= 0.05: guest_free_percent = -0.05 + 0.0390625 =
 * -0.0109375 ("force guest to swap by making free memory negative").  A
 * guest with no free memory at all (used = 4194304) is still shrunk, below
 * what it uses: floor = 4194304 - 0.0109375 * 4194304 = 4148428.8 ->
 * 4148428 KiB. */
static void test_critical_pressure_pushes_into_swap(void **s) {
    (void)s;
    pol_vm_view v = vmv("g", 0, 4 * GiB, 4 * GiB, 0);
    int64_t t = once(NULL, host(16 * GiB, 640 * MiB), v);
    assert_int_equal(t, 4148428 * KiB);
    assert_true(t < v.actual - v.free); /* below the memory it uses */
    /* Just above critical (0.0625): the share is 0.0625 and the guest is left
     * alone, its floor being above what it has. */
    assert_int_equal(once(NULL, host(16 * GiB, 1 * GiB), v), POL_LEAVE);
}

/* ------------------------------------------------------------------ */
/* doc/balloon.rules: grow_guest                                        */

/* No pressure, guest at 2 GiB of 4 with 1.5 GiB free: floor = 524288 + 0.20
 * * 2097152 = 943718.4; 5 % step 2097152 * 1.05 = 2202009.6 -> 2202009. */
static void test_grow_step(void **s) {
    (void)s;
    assert_int_equal(once(NULL, RELAXED, vmv("g", 0, 4 * GiB, 2 * GiB, 1536 * MiB)),
                     2202009 * KiB);
}

/* No free memory: the floor (used + 20 % of current) = 2097152 + 419430.4 =
 * 2516582.4 is above the 5 % step and wins: -> 2516582. */
static void test_grow_floor_beats_step(void **s) {
    (void)s;
    assert_int_equal(once(NULL, RELAXED, vmv("g", 0, 4 * GiB, 2 * GiB, 0)), 2516582 * KiB);
}

/* The cap and the dead band: 8 MiB below balloon_max the step is capped at
 * 4194304, a change of 8192 KiB, not above 0.0025 * 4186112 = 10465.28:
 * skipped.  12 MiB below: 12288 > 10455.04, so the guest goes to its max. */
static void test_grow_cap_and_dead_band(void **s) {
    (void)s;
    assert_int_equal(once(NULL, RELAXED, vmv("g", 0, 4 * GiB, 4 * GiB - 8 * MiB, 0)), POL_LEAVE);
    assert_int_equal(once(NULL, RELAXED, vmv("g", 0, 4 * GiB, 4 * GiB - 12 * MiB, 2 * GiB)),
                     4 * GiB);
    /* At its max there is nothing to do ("only work to do if ballooned"). */
    assert_int_equal(once(NULL, RELAXED, vmv("g", 0, 4 * GiB, 4 * GiB, 0)), POL_LEAVE);
}

/* The threshold is strict: (< host_free_percent pressure_threshold).  2 GiB
 * free of 10 GiB is exactly 0.2 (2097152 / 10485760): no pressure, the
 * guest grows as in test_grow_step. */
static void test_threshold_is_strict(void **s) {
    (void)s;
    pol_vm_view v = vmv("g", 0, 4 * GiB, 2 * GiB, 1536 * MiB);
    assert_int_equal(once(NULL, host(10 * GiB, 2 * GiB), v), 2202009 * KiB);
    /* One KiB less free: pressure; the guest (2097152 cur) shrinks 5 %. */
    assert_int_equal(once(NULL, host(10 * GiB, 2 * GiB - KiB), v), 1992294 * KiB);
}

/* The tunables are the rules' defvars. */
static void test_params_change_the_rule(void **s) {
    (void)s;
    pol_vm_view v = vmv("g", 0, 4 * GiB, 4 * GiB, 3 * GiB);
    /* 10 % steps: 4194304 * 0.9 = 3774873.6 -> 3774873 */
    assert_int_equal(once("{max_balloon_change_percent: 10%}", PRESSURE, v), 3774873 * KiB);
    /* threshold 10 %: 12.5 % free is no pressure; at its max: nothing. */
    assert_int_equal(once("{pressure_threshold: 10%}", PRESSURE, v), POL_LEAVE);
    /* a 6 % dead band swallows the 5 % step */
    assert_int_equal(once("{min_balloon_change_percent: 6%}", PRESSURE, v), POL_LEAVE);
    /* guest free 50 % (scaled to 0.3125): floor = 1048576 + 1310720 =
     * 2359296 < 3984588.8: still the 5 % step; with 600 MiB free the floor
     * 3579904 + 1310720 = 4890624 is above balloon_cur: nothing. */
    assert_int_equal(once("{min_guest_free_percent: 50%}", PRESSURE, v), 3984588 * KiB);
    assert_int_equal(once("{min_guest_free_percent: 50%}", PRESSURE,
                          vmv("g", 0, 4 * GiB, 4 * GiB, 600 * MiB)),
                     POL_LEAVE);
}

/* MoM computes in KiB and truncates: a guest of 1000 MB (976562.5 KiB, read
 * as 976562) with 500 MB free (488281): 976562 * 0.95 = 927733.9 ->
 * 927733 KiB = 949998592 bytes, not 0.95 * 10^9 = 950000000. */
static void test_kib_truncation(void **s) {
    (void)s;
    pol_vm_view v = vmv("g", 0, 2000000000, 1000000000, 500000000);
    assert_int_equal(once(NULL, PRESSURE, v), 949998592);
}

/* ------------------------------------------------------------------ */
/* averages, history, passes                                           */

/* guest.StatAvg: samples of mem_unused 0, 0, 1800 MiB average to 600 MiB,
 * so the third run acts as test_shrink_stops_at_guest_free_share (4104192),
 * not on the newest sample alone (which would give the 5 % step). */
static void test_guest_average(void **s) {
    (void)s;
    fixture f = fx(NULL);
    assert_int_equal(decide1(&f, PRESSURE, vmv("g", 0, 4 * GiB, 4 * GiB, 0)), POL_LEAVE);
    assert_int_equal(decide1(&f, PRESSURE, vmv("g", 0, 4 * GiB, 4 * GiB, 0)), POL_LEAVE);
    assert_int_equal(decide1(&f, PRESSURE, vmv("g", 0, 4 * GiB, 4 * GiB, 1800 * MiB)),
                     4104192 * KiB);
    fx_free(&f);
}

/* sample-history-length 10: after 2 samples with 3 GiB free and 10 with 400
 * MiB, the average is 400 MiB (the first two fell out of the deque): the
 * floor is above balloon_cur, nothing.  With 12 samples kept the average is
 * (2 * 3145728 + 10 * 409600) / 12 = 865621.33, used = 3328682.67, floor =
 * 3852970.67 < 3984588.8: the 5 % step. */
static void test_history_window(void **s) {
    (void)s;
    const char *params[] = {NULL, "{sample_history_length: 12}"};
    const int64_t want[] = {POL_LEAVE, 3984588 * KiB};
    for (size_t k = 0; k < 2; k++) {
        fixture f = fx(params[k]);
        int64_t t = 0;
        for (int i = 0; i < 12; i++)
            t = decide1(&f, PRESSURE, vmv("g", 0, 4 * GiB, 4 * GiB, i < 2 ? 3 * GiB : 400 * MiB));
        assert_int_equal(t, want[k]);
        fx_free(&f);
    }
}

/* Host.StatAvg: free 2 GiB then 4 GiB averages to 3 GiB, 18.75 % < 20 %:
 * still pressure, the 5 % step; a fresh history with 4 GiB alone (25 %) is
 * no pressure and the guest at its max is left alone. */
static void test_host_average(void **s) {
    (void)s;
    pol_vm_view v = vmv("g", 0, 4 * GiB, 4 * GiB, 3 * GiB);
    fixture f = fx(NULL);
    assert_int_equal(decide1(&f, host(16 * GiB, 2 * GiB), v), 3984588 * KiB);
    assert_int_equal(decide1(&f, host(16 * GiB, 4 * GiB), v), 3984588 * KiB);
    fx_free(&f);
    assert_int_equal(once(NULL, host(16 * GiB, 4 * GiB), v), POL_LEAVE);
}

/* A stuck driver: balloon_cur does not move, so every run asks for the same
 * 5 % below it -- the rules work from balloon_cur, not from the last
 * target, and never run away. */
static void test_stuck_driver(void **s) {
    (void)s;
    fixture f = fx(NULL);
    for (int i = 0; i < 15; i++) {
        pol_vm_view v = vmv("g", 0, 4 * GiB, 4 * GiB, 3 * GiB);
        v.target = 3984588 * KiB; /* the target it never reached */
        assert_int_equal(decide1(&f, PRESSURE, v), 3984588 * KiB);
    }
    fx_free(&f);
}

/* Balloon off, locked (migrating) and never-managed VMs are left alone; the
 * others still get their targets. */
static void test_unmanaged_left_alone(void **s) {
    (void)s;
    pol_vm_view v[4];
    for (int i = 0; i < 4; i++) v[i] = vmv("g", 0, 4 * GiB, 4 * GiB, 3 * GiB);
    v[0].name = "off", v[0].balloon = false;
    v[1].name = "locked", v[1].locked = true;
    v[2].name = "never", v[2].shares = 0;
    v[3].name = "managed";
    int64_t t[4];
    fixture f = fx(NULL);
    decide(&f, PRESSURE, v, 4, t);
    assert_int_equal(t[0], POL_LEAVE);
    assert_int_equal(t[1], POL_LEAVE);
    assert_int_equal(t[2], POL_LEAVE);
    assert_int_equal(t[3], 3984588 * KiB);
    fx_free(&f);
}

/* A VM missing from a pass has gone away: its monitor and history go with
 * it (GuestManager drops the guest).  Back with 400 MiB free, its average is
 * that sample alone -- floor above balloon_cur, nothing -- not (3 GiB + 400
 * MiB) / 2 which would give the 5 % step. */
static void test_vm_dropping_out_loses_history(void **s) {
    (void)s;
    fixture f = fx(NULL);
    pol_vm_view two[2] = {vmv("a", 0, 4 * GiB, 4 * GiB, 3 * GiB),
                          vmv("b", 0, 4 * GiB, 4 * GiB, 3 * GiB)};
    int64_t t[2];
    decide(&f, PRESSURE, two, 2, t);
    assert_int_equal(t[1], 3984588 * KiB);
    decide(&f, PRESSURE, two, 1, t); /* b is gone */
    char *d = dump(f.st);
    assert_null(strstr(d, "\"b\""));
    free(d);
    two[1].free = 400 * MiB;
    decide(&f, PRESSURE, two, 2, t);
    assert_int_equal(t[0], 3984588 * KiB);
    assert_int_equal(t[1], POL_LEAVE);
    fx_free(&f);
}

/* MoM's HostMonitor must be ready, and Host.mem_available (MemTotal) must not
 * be 0, or no policy runs at all. */
static void test_no_host_memory(void **s) {
    (void)s;
    assert_int_equal(once(NULL, host(0, 0), vmv("g", 0, 4 * GiB, 4 * GiB, 3 * GiB)), POL_LEAVE);
}

/* Variant mom: GuestMemory's mem_unused is mandatory, a guest that does not
 * report it (free -1) sits the pass out, and its stored samples stay. */
static void test_mom_guest_without_stats(void **s) {
    (void)s;
    fixture f = fx(NULL);
    assert_int_equal(decide1(&f, RELAXED, vmv("g", 0, 4 * GiB, 2 * GiB, 1536 * MiB)),
                     2202009 * KiB);
    assert_int_equal(decide1(&f, RELAXED, vmv("g", 0, 4 * GiB, 2 * GiB, -1)), POL_LEAVE);
    char *d = dump(f.st);
    assert_non_null(strstr(d, "\"g\": {\"actual\": [2147483648], \"free\": [1610612736]}"));
    free(d);
    fx_free(&f);
}

/* ------------------------------------------------------------------ */
/* variant vdsm: 02-balloon.policy                                     */

/* No pressure, host half free: guest_free_percent = 0.20 * (0.5 / 0.20) =
 * 0.5, so the guest grows to used + 50 % of current: 2097152 + 1048576 =
 * 3145728 (3 GiB), where doc/balloon.rules stops at 20 %: 2516582. */
static void test_vdsm_grows_to_host_free_share(void **s) {
    (void)s;
    pol_vm_view v = vmv("g", 0, 4 * GiB, 2 * GiB, 0);
    assert_int_equal(once("{variant: vdsm}", RELAXED, v), 3 * GiB);
    assert_int_equal(once("{variant: mom}", RELAXED, v), 2516582 * KiB);
}

/* balloonEnabled (the cluster's balloon optimization): without it grow_guest
 * runs even under pressure -- a guest at its max is left alone, one at 3 GiB
 * with 2 GiB free grows 5 % (3145728 * 1.05 = 3303014.4); with it, the same
 * guests shrink 5 % (4194304 * 0.95 = 3984588.8, 3145728 * 0.95 =
 * 2988441.6). */
static void test_vdsm_balloon_enabled(void **s) {
    (void)s;
    pol_vm_view v[2] = {vmv("full", 0, 4 * GiB, 4 * GiB, 3 * GiB),
                        vmv("part", 0, 4 * GiB, 3 * GiB, 2 * GiB)};
    int64_t t[2];
    fixture f = fx("{variant: vdsm, balloon_enabled: false}");
    decide(&f, PRESSURE, v, 2, t);
    assert_int_equal(t[0], POL_LEAVE);
    assert_int_equal(t[1], 3303014 * KiB);
    fx_free(&f);
    f = fx("{variant: vdsm}");
    decide(&f, PRESSURE, v, 2, t);
    assert_int_equal(t[0], 3984588 * KiB);
    assert_int_equal(t[1], 2988441 * KiB);
    fx_free(&f);
}

/* guest_qos: a guest below its guaranteed memory (1 GiB < 1.5 GiB) is set
 * to it, even under pressure where shrink_guest would do nothing.  The
 * upstream rules have no such rule: under pressure it stays; without
 * pressure grow_guest's floor reaches the same 1.5 GiB. */
static void test_vdsm_guest_qos(void **s) {
    (void)s;
    pol_vm_view v = vmv("g", 1536 * MiB, 4 * GiB, 1 * GiB, 512 * MiB);
    assert_int_equal(once("{variant: vdsm}", PRESSURE, v), 1536 * MiB);
    assert_int_equal(once("{variant: mom}", PRESSURE, v), POL_LEAVE);
    assert_int_equal(once("{variant: mom}", RELAXED, v), 1536 * MiB);
}

/* vdsm collects mem_unused optionally; `(valid guest.balloon_cur (guest.Stat
 * "mem_unused"))` skips the balloon logic for a guest without it, while
 * guest_qos still raises one below its min. */
static void test_vdsm_missing_mem_unused(void **s) {
    (void)s;
    pol_vm_view v[2] = {vmv("low", 1536 * MiB, 4 * GiB, 1 * GiB, -1),
                        vmv("ok", 0, 4 * GiB, 2 * GiB, -1)};
    int64_t t[2];
    fixture f = fx("{variant: vdsm}");
    decide(&f, RELAXED, v, 2, t);
    assert_int_equal(t[0], 1536 * MiB);
    assert_int_equal(t[1], POL_LEAVE);
    /* Reported again: the average is over the samples that have it. */
    v[1].free = 0;
    decide(&f, RELAXED, v, 2, t);
    assert_int_equal(t[1], 3 * GiB); /* as test_vdsm_grows_to_host_free_share */
    char *d = dump(f.st);
    assert_non_null(strstr(d, "\"ok\": {\"actual\": [2147483648, 2147483648], \"free\": [null, 0]}"));
    free(d);
    fx_free(&f);
}

/* Critical pressure in grow_guest too (balloon disabled): the share is
 * -0.0109375, the floor below current, so a ballooned guest still grows 5 %. */
static void test_vdsm_critical_without_balloon(void **s) {
    (void)s;
    pol_vm_view v = vmv("g", 0, 4 * GiB, 2 * GiB, 0);
    assert_int_equal(once("{variant: vdsm, balloon_enabled: false}", host(16 * GiB, 640 * MiB), v),
                     2202009 * KiB);
}

/* ------------------------------------------------------------------ */
/* policy_state for `balloonsim decide`                                */

static void test_state_dump_and_load(void **s) {
    (void)s;
    fixture f = fx(NULL);
    pol_vm_view v[2] = {vmv("a", 0, 4 * GiB, 4 * GiB, 0), vmv("b \"q\"", 0, 4 * GiB, 4 * GiB, 0)};
    int64_t t[2];
    decide(&f, PRESSURE, v, 2, t);
    v[0].free = 1000;
    decide(&f, host(16 * GiB, 3 * GiB), v, 2, t);
    char *d = dump(f.st);
    assert_string_equal(d, "{\"host\": {\"available\": [2147483648, 3221225472]}, \"vms\": "
                           "{\"a\": {\"actual\": [4294967296, 4294967296], \"free\": [0, 1000]}, "
                           "\"b \\\"q\\\"\": {\"actual\": [4294967296, 4294967296], "
                           "\"free\": [0, 0]}}}");
    /* JSON is YAML: what is dumped loads back to the same state. */
    fixture g = fx(NULL);
    cfg_errs errs = {0};
    assert_int_equal(load(g.st, d, &errs), BS_OK);
    assert_int_equal(errs.n, 0);
    char *d2 = dump(g.st);
    assert_string_equal(d2, d);
    /* and decides as the original: the same third sample gives the same
     * targets on both */
    int64_t t2[2];
    decide(&f, PRESSURE, v, 2, t);
    decide(&g, PRESSURE, v, 2, t2);
    assert_memory_equal(t, t2, sizeof t);
    free(d);
    free(d2);
    cfg_errs_free(&errs);
    fx_free(&g);
    fx_free(&f);
}

/* The test_guest_average history handed in as policy_state: the one call
 * adds the third sample and acts on the average. */
static void test_state_feeds_the_average(void **s) {
    (void)s;
    fixture f = fx(NULL);
    cfg_errs errs = {0};
    assert_int_equal(load(f.st, "{host: {available: [2GiB, 2GiB]}, "
                                "vms: {g: {actual: [4GiB, 4GiB], free: [0, 0]}}}",
                          &errs),
                     BS_OK);
    assert_int_equal(decide1(&f, PRESSURE, vmv("g", 0, 4 * GiB, 4 * GiB, 1800 * MiB)),
                     4104192 * KiB);
    cfg_errs_free(&errs);
    fx_free(&f);
}

/* Longer lists keep their newest samples, as the monitors' deques do. */
static void test_state_load_trims(void **s) {
    (void)s;
    fixture f = fx("{sample_history_length: 2}");
    cfg_errs errs = {0};
    assert_int_equal(load(f.st, "{host: {available: [1, 2, 3]}, "
                                "vms: {g: {actual: [10, 20, 30], free: [4, 5, 6]}}}",
                          &errs),
                     BS_OK);
    char *d = dump(f.st);
    assert_string_equal(d, "{\"host\": {\"available\": [2, 3]}, \"vms\": {\"g\": {\"actual\": "
                           "[20, 30], \"free\": [5, 6]}}}");
    free(d);
    cfg_errs_free(&errs);
    fx_free(&f);
}

static void test_state_load_errors(void **s) {
    (void)s;
    static const struct {
        const char *yaml, *msg;
    } bad[] = {
        {"[1, 2]", "expected a mapping"},
        {"{host: [1]}", "policy_state.host"},
        {"{host: {available: 5}}", "policy_state.host.available"},
        {"{host: {available: [1GiB, lots]}}", "policy_state.host.available[1]"},
        {"{host: {available: [1], free: [2]}}", "unknown key 'free'"},
        {"{vms: {g: {actual: [1, 2], free: [1]}}}", "as many samples as 'actual' (2), found 1"},
        {"{vms: {g: {actual: [1]}}}", "missing required key 'free'"},
        {"{vms: {g: {actual: [null], free: [1]}}}", "policy_state.vms.g.actual[0]"},
        {"{vms: {g: {actual: [1], free: [1], target: [1]}}}", "unknown key 'target'"},
        {"{vms: {g: 5}}", "policy_state.vms.g"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fixture f = fx(NULL);
        cfg_errs errs = {0};
        bs_rc rc = load(f.st, bad[i].yaml, &errs);
        if (!errs_contain(&errs, bad[i].msg)) {
            fprintf(stderr, "case %s:\n", bad[i].yaml);
            cfg_errs_print(&errs, stderr);
        }
        assert_int_equal(rc, BS_ERR_INPUT);
        assert_true(errs_contain(&errs, bad[i].msg));
        cfg_errs_free(&errs);
        fx_free(&f);
    }
    /* No policy_state at all: an empty history, nothing dumped. */
    fixture f = fx(NULL);
    cfg_ctx cx = {0};
    assert_int_equal(pol_mom.state_load(&cx, NULL, "policy_state", f.st), BS_OK);
    char *d = dump(f.st);
    assert_string_equal(d, "{\"host\": {\"available\": []}, \"vms\": {}}");
    free(d);
    fx_free(&f);
}

/* ------------------------------------------------------------------ */
/* ticks: monitors sample, the policy engine runs                      */

static void test_ticks(void **s) {
    (void)s;
    static const struct {
        const char *params;
        bs_time interval, want[8];
    } cases[] = {
        /* MoM's defaults: monitors every 5 s, policy every 10 s */
        {NULL, 10, {5, 10, 15, 20, 25, 30, 35, 40}},
        /* vdsm's mom.conf: both every 15 s */
        {"{monitor_interval: 15s}", 15, {15, 30, 45, 60, 75, 90, 105, 120}},
        /* neither divides the other: the union of both */
        {"{monitor_interval: 10s}", 15, {10, 15, 20, 30, 40, 45, 50, 60}},
        /* 0: one sample per run */
        {"{monitor_interval: 0}", 10, {10, 20, 30, 40, 50, 60, 70, 80}},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        fixture f = fx(cases[k].params);
        bs_time now = -1;
        for (size_t i = 0; i < 8; i++) {
            now = pol_mom.next_tick(f.cfg, f.st, 0, now, cases[k].interval * SEC);
            assert_int_equal(now, cases[k].want[i] * SEC);
        }
        fx_free(&f);
    }
}

/* In a simulation a monitor tick only samples, and the run at the policy
 * interval averages the samples of every tick.  5 s: a sample, no decision
 * even under pressure.  10 s: free 0 and 1800 MiB average to 921600 KiB,
 * used = 3272704, floor = 3796992 < 3984588.8: the 5 % step.  15 s: a
 * sample only.  20 s: (0 + 1843200 + 0 + 0) / 4 = 460800, used = 3733504,
 * floor = 4257792 > balloon_cur: nothing -- had only the run ticks sampled,
 * the average of 1843200 and 0 would have given the 5 % step again. */
static void test_monitor_ticks_only_sample(void **s) {
    (void)s;
    fixture f = fx(NULL);
    bs_time now = pol_mom.next_tick(f.cfg, f.st, 0, -1, 10 * SEC);
    const int64_t free_at[] = {0, 1800 * MiB, 0, 0};
    const int64_t want[] = {POL_LEAVE, 3984588 * KiB, POL_LEAVE, POL_LEAVE};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(now, (bs_time)(i + 1) * 5 * SEC);
        pol_host_view h = PRESSURE;
        pol_vm_view v = vmv("g", 0, 4 * GiB, 4 * GiB, free_at[i]);
        int64_t t;
        assert_int_equal(pol_decide_all(&pol_mom, f.cfg, f.st, now, &h, &v, 1, &t), BS_OK);
        assert_int_equal(t, want[i]);
        now = pol_mom.next_tick(f.cfg, f.st, 0, now, 10 * SEC);
    }
    char *d = dump(f.st);
    assert_non_null(strstr(d, "\"free\": [0, 1887436800, 0, 0]"));
    free(d);
    fx_free(&f);
}

/* ------------------------------------------------------------------ */
/* end to end                                                          */

/* Two 4 GiB guests on an 8 GiB host.  "idle" touched 3.5 GiB during its
 * first 20 s and then needs 512 MiB, but the host still backs what it
 * touched; "busy" needs 3 GiB throughout.  Host free is 1.5 GiB = 18.75 %:
 * MoM's pressure.  What MoM does (doc/balloon.rules):
 *  - at 10 s "busy" (1 GiB free, floor 3 + 0.1875 * 4 = 3.75 GiB) gets the
 *    5 % step, 3984588 KiB; "idle" (0.5 GiB free, floor 4.25 GiB) nothing;
 *  - from 20 s "idle" is shrunk 5 % of its current size per run, freeing
 *    host memory once its size falls below what the host backs;
 *  - once host free is back above 20 %, every guest grows back 5 % per run
 *    to its maximum: the characteristic swing around the threshold.
 * Targets change only at multiples of the 10 s policy interval, although
 * the policy also ticks at the 5 s monitor interval. */
static const char *pressure_yaml(const char *params) {
    static char buf[1024];
    snprintf(buf, sizeof buf,
             "name: mom-e2e\n"
             "duration: 5m\n"
             "sample_interval: 10s\n"
             "policy: { name: mom, params: %s }\n"
             "hosts:\n"
             "  - name: node\n"
             "    memory: 8GiB\n"
             "    vms:\n"
             "      - name: idle\n"
             "        memory: 4GiB\n"
             "        workload: { type: steps, steps: [ {at: 0s, size: 3584MiB}, "
             "{at: 20s, size: 512MiB} ] }\n"
             "      - name: busy\n"
             "        memory: 4GiB\n"
             "        workload: { type: constant, size: 3GiB }\n",
             params);
    return buf;
}

static void test_e2e_pressure_swing(void **s) {
    (void)s;
    scen *sc = th_load(pressure_yaml("{}"));
    th_capture cap = {0};
    eng_result res;
    th_run(sc, &cap, &res);
    const eng_event *ev[256];
    size_t n = th_find_events(&cap, NULL, "target", ev, 256);
    assert_true(n > 4 && n < 256);
    /* the first decision */
    assert_int_equal(ev[0]->t, 10 * SEC);
    assert_string_equal(ev[0]->vm, "busy");
    assert_int_equal(ev[0]->value, 3984588 * KiB);
    const char *names[2] = {"idle", "busy"};
    bool shrank = false, grew_after = false;
    bs_time last_shrink = 0;
    for (int k = 0; k < 2; k++) {
        int64_t prev = 4 * GiB; /* A reaches each target well within a run */
        for (size_t i = 0; i < n; i++) {
            if (strcmp(ev[i]->vm, names[k]) != 0) continue;
            assert_int_equal(ev[i]->t % (10 * SEC), 0);
            double r = (double)ev[i]->value / (double)prev;
            /* at most 5 % of the current size per run (less the KiB and
             * page rounding, under 8 KiB), never above the max */
            assert_true((double)(ev[i]->value + 8 * KiB) >= 0.95 * (double)prev);
            assert_true((double)ev[i]->value <= 1.05 * (double)prev);
            assert_true(ev[i]->value <= 4 * GiB);
            if (r < 1) {
                shrank = true;
                last_shrink = BS_MAX(last_shrink, ev[i]->t);
            }
            prev = ev[i]->value;
        }
        assert_int_equal(prev, 4 * GiB); /* back at the max in the end */
    }
    assert_true(shrank);
    for (size_t i = 0; i < n; i++)
        if (ev[i]->t > last_shrink && ev[i]->value > 0) grew_after = true;
    assert_true(grew_after);
    /* "idle" was shrunk below what the host backed: host free rose above
     * the 20 % threshold and stayed there */
    const eng_host_sample *last = &cap.host_rows[cap.n_host_rows - 1];
    assert_true((double)last->free / (double)(8 * GiB) >= 0.20);
    assert_true((double)cap.host_rows[0].free / (double)(8 * GiB) < 0.20);
    eng_result_free(&res);
    th_capture_free(&cap);
    scen_free(sc);
}

/* The same host with vdsm's rules and the cluster's balloon optimization
 * off: nothing is ever shrunk, and the guests, at their max, are never
 * touched.  With it on, the first decision is the same 5 % step. */
static void test_e2e_vdsm_balloon_disabled(void **s) {
    (void)s;
    scen *sc = th_load(pressure_yaml("{variant: vdsm, balloon_enabled: false}"));
    th_capture cap = {0};
    eng_result res;
    th_run(sc, &cap, &res);
    assert_int_equal(th_find_events(&cap, NULL, "target", NULL, 0), 0);
    eng_result_free(&res);
    th_capture_free(&cap);
    scen_free(sc);

    sc = th_load(pressure_yaml("{variant: vdsm}"));
    cap = (th_capture){0};
    th_run(sc, &cap, &res);
    const eng_event *ev[1];
    assert_true(th_find_events(&cap, NULL, "target", ev, 1) > 0);
    assert_int_equal(ev[0]->t, 10 * SEC);
    assert_int_equal(ev[0]->value, 3984588 * KiB);
    eng_result_free(&res);
    th_capture_free(&cap);
    scen_free(sc);
}

/* Guests booted at half their memory on a roomy host: grow_guest deflates
 * their balloons by 5 % of their size per run (the floor, used + 20 %, is
 * lower), each target int(KiB * 1.05) and then rounded down to a page by the
 * engine, until capped at the maximum. */
static void test_e2e_grow_from_start_memory(void **s) {
    (void)s;
    scen *sc = th_load("name: mom-grow\n"
                       "duration: 4m\n"
                       "policy: mom\n"
                       "hosts:\n"
                       "  - name: node\n"
                       "    memory: 32GiB\n"
                       "    vms:\n"
                       "      - name: g\n"
                       "        memory: 4GiB\n"
                       "        start_memory: 2GiB\n"
                       "        workload: { type: constant, size: 512MiB }\n");
    th_capture cap = {0};
    eng_result res;
    th_run(sc, &cap, &res);
    const eng_event *ev[64];
    size_t n = th_find_events(&cap, "g", "target", ev, 64);
    int64_t cur = 2 * GiB;
    size_t k = 0;
    while (cur < 4 * GiB) {
        double size = (double)(cur / KiB) * 1.05;
        int64_t want = (int64_t)size * KiB;
        if (want > 4 * GiB) want = 4 * GiB;
        want -= want % 4096;
        assert_true(k < n);
        assert_int_equal(ev[k]->t, (bs_time)(k + 1) * 10 * SEC);
        assert_int_equal(ev[k]->value, want);
        cur = want;
        k++;
    }
    assert_int_equal(k, 15); /* 2 GiB * 1.05^15 > 4 GiB > 2 GiB * 1.05^14 */
    assert_int_equal(n, k);  /* and then nothing more to do */
    eng_result_free(&res);
    th_capture_free(&cap);
    scen_free(sc);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registered),
        cmocka_unit_test(test_params_table),
        cmocka_unit_test(test_defaults_as_written),
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_shrink_step_is_capped),
        cmocka_unit_test(test_shrink_stops_at_guest_free_share),
        cmocka_unit_test(test_shrink_never_grows),
        cmocka_unit_test(test_shrink_respects_balloon_min),
        cmocka_unit_test(test_critical_pressure_pushes_into_swap),
        cmocka_unit_test(test_grow_step),
        cmocka_unit_test(test_grow_floor_beats_step),
        cmocka_unit_test(test_grow_cap_and_dead_band),
        cmocka_unit_test(test_threshold_is_strict),
        cmocka_unit_test(test_params_change_the_rule),
        cmocka_unit_test(test_kib_truncation),
        cmocka_unit_test(test_guest_average),
        cmocka_unit_test(test_history_window),
        cmocka_unit_test(test_host_average),
        cmocka_unit_test(test_stuck_driver),
        cmocka_unit_test(test_unmanaged_left_alone),
        cmocka_unit_test(test_vm_dropping_out_loses_history),
        cmocka_unit_test(test_no_host_memory),
        cmocka_unit_test(test_mom_guest_without_stats),
        cmocka_unit_test(test_vdsm_grows_to_host_free_share),
        cmocka_unit_test(test_vdsm_balloon_enabled),
        cmocka_unit_test(test_vdsm_guest_qos),
        cmocka_unit_test(test_vdsm_missing_mem_unused),
        cmocka_unit_test(test_vdsm_critical_without_balloon),
        cmocka_unit_test(test_state_dump_and_load),
        cmocka_unit_test(test_state_feeds_the_average),
        cmocka_unit_test(test_state_load_trims),
        cmocka_unit_test(test_state_load_errors),
        cmocka_unit_test(test_ticks),
        cmocka_unit_test(test_monitor_ticks_only_sample),
        cmocka_unit_test(test_e2e_pressure_swing),
        cmocka_unit_test(test_e2e_vdsm_balloon_disabled),
        cmocka_unit_test(test_e2e_grow_from_start_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
