/* test_pol_qmemman.c -- the `qmemman` policy against Qubes OS's own
 * expectations.
 *
 * Sources of the expected values:
 *   - QubesOS/qubes-core-admin qubes/tests/qmemman.py (TC_00_Qmemman_algo):
 *     test_010/011 (prefmem), test_020 (memory_needed), test_100 (balloon),
 *     test_200 (balance_when_enough_memory) and test_250 (balance, low on
 *     memory), with their domains and numbers as written there (MB(x) is
 *     int(x * 1024 * 1024));
 *   - qubes/qmemman/systemstate.py: the 50 MiB kept free, the 150 MiB / 15 MiB
 *     significance rules, the 0.9 * 50 MiB check before giving memory to an
 *     acceptor, 5 tries, do_balloon's rounds; hand calculations from these
 *     rules are written next to the cases that use them;
 *   - QubesOS/qubes-linux-utils qmemman/meminfo-writer.c: the 30000 KiB
 *     threshold and the "growing near its memory" rule.
 *
 * How a test feeds qmemman an exact Xen free memory: physinfo reports free
 * memory in KiB, so the host's free memory gives multiples of 1024 bytes;
 * memory that is assigned to a domain but not yet taken is subtracted from
 * it (get_free_xen_memory), so a domain without meminfo whose target exceeds
 * its actual memory by the rest makes it exact.  Qubes' own tests have such
 * a domain ("3": no meminfo at all).  (MEM_OVERHEAD_FACTOR is not applied in
 * the simulator: docs/policies.md (`qmemman`).) */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/helpers.h"
#include "policies/pol.h"
#include "sim/base/cfg.h"
#include "sim/scenario.h"

/* Policies under test, defined in policies/NAME.c (not in pol.h: callers
 * elsewhere find them by name through the registry). */
extern const pol_type pol_qmemman;
extern const pol_type pol_selfballoon;

#define KiB 1024LL
#define MiB (1024LL * KiB)
#define GiB (1024LL * MiB)
/* qubes/tests/qmemman.py: def MB(val): return int(val * 1024 * 1024) */
#define MB(v) ((int64_t)((v)*1024.0 * 1024.0))
#define FREE_LEFT (50 * MiB) /* XEN_FREE_MEM_LEFT */
#define NMAX 8

/* ------------------------------------------------------------------ */
/* helpers                                                             */

/* A domain as construct_dominfo() builds it: mem_used, memory_maximum,
 * memory_actual (= memory_current, and its target).  The guest reports
 * used = actual - free - cache + swap in use; used above actual is guest
 * swap, which the policy reads from `committed` (the simulated guest swaps
 * what does not fit). */
static pol_vm_view dom(const char *name, int64_t used, int64_t max, int64_t actual) {
    pol_vm_view v = {.name = name, .vm = SIZE_MAX, .actual = actual, .target = actual,
                     .max = max, .shares = 1000, .committed = -1, .active = -1,
                     .balloon = true};
    if (used <= actual) {
        v.free = v.available = actual - used;
    } else {
        v.committed = used;
    }
    return v;
}

/* "no meminfo at all": a domain without a meminfo-writer (its balloon is
 * off); `unused` bytes of its target are not taken yet. */
static pol_vm_view silent(const char *name, int64_t max, int64_t actual, int64_t unused) {
    return (pol_vm_view){.name = name, .vm = SIZE_MAX, .actual = actual, .target = actual + unused,
                         .max = max, .shares = 1000, .committed = -1, .active = -1,
                         .balloon = false};
}

/* systemstate.py get_free_xen_memory() before the unused part: physinfo's
 * free_memory (KiB) * 1024. */
static int64_t physinfo_free(int64_t free_bytes) { return free_bytes / 1024 * 1024; }

/* A large host with `free` bytes free (Xen's view: far less than memory
 * minus what the domains hold). */
static pol_host_view host(int64_t free) {
    return (pol_host_view){.name = "h", .host = SIZE_MAX, .memory = 1024 * GiB, .free = free,
                           .available = free};
}

/* A host and the `unused` bytes of a silent domain that together make
 * get_free_xen_memory() return exactly `xenfree`. */
static pol_host_view host_for_xenfree(int64_t xenfree, int64_t *unused) {
    int64_t free = (xenfree + 1023) / 1024 * 1024;
    *unused = physinfo_free(free) - xenfree;
    assert_true(*unused >= 0 && *unused < 1024);
    return host(free);
}

typedef struct qm_run {
    cfg_doc *doc;
    void *cfg, *state;
} qm_run;

/* configure (params as YAML flow text, or NULL) and state_new, as `decide`
 * does (no scenario). */
static qm_run setup(const char *params_yaml) {
    th_policy p;
    th_policy_setup(&p, &pol_qmemman, params_yaml, SIZE_MAX);
    return (qm_run){p.doc, p.cfg, p.state};
}

static void teardown_run(qm_run *r) {
    th_policy p = {&pol_qmemman, r->doc, r->cfg, r->state};
    th_policy_teardown(&p);
}

static void decide(qm_run *r, const pol_host_view *h, const pol_vm_view *v, size_t n,
                   int64_t *targets) {
    assert_int_equal(pol_decide_all(&pol_qmemman, r->cfg, r->state, 0, h, v, n, targets), BS_OK);
}

/* One decision from a fresh state (a `decide` snapshot without policy_state). */
static void decide_once(const pol_host_view *h, const pol_vm_view *v, size_t n, int64_t *targets) {
    qm_run r = setup(NULL);
    decide(&r, h, v, n, targets);
    teardown_run(&r);
}

static char *dump(const void *state) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    pol_qmemman.state_dump(f, state);
    assert_int_equal(fclose(f), 0);
    return buf;
}

/* A state loaded from `json` (JSON is YAML flow syntax). */
static void load(qm_run *r, const char *json) {
    cfg_errs errs = {0};
    cfg_ctx cx = {.errs = &errs, .doc = r->doc};
    cfg_node *node = NULL;
    assert_int_equal(cfg_parse_string(r->doc, "state", json, &errs, &node), BS_OK);
    bs_rc rc = pol_qmemman.state_load(&cx, node, "policy_state", r->state);
    if (errs.n) cfg_errs_print(&errs, stderr);
    assert_int_equal(rc, BS_OK);
    assert_int_equal(errs.n, 0);
    cfg_errs_free(&errs);
}

/* ------------------------------------------------------------------ */
/* qubes/tests/qmemman.py                                              */

/* A donor is cut to exactly prefmem when Xen is short of memory
 * (balance_when_low_on_memory): the way to read prefmem() from outside.
 * The acceptor "acc" needs far more than the donor gives, so the balance is
 * a low-memory one, and Xen free 0 makes it significant. */
static int64_t prefmem_of(const char *name, int64_t used, int64_t max) {
    pol_vm_view v[2] = {dom(name, used, max, max), dom("acc", MB(4096), MB(8192), MB(1024))};
    int64_t t[2];
    decide_once(&(pol_host_view){.memory = 1024 * GiB}, v, 2, t);
    assert_int_equal(t[1], POL_LEAVE); /* the quirk: acceptors get nothing here */
    return t[0];
}

/* test_010_prefmem_dom0: used 1 GiB, max 4 GiB: 1024 * 1.3 + 350 MiB. */
static void test_prefmem_dom0(void **s) {
    (void)s;
    assert_int_equal(prefmem_of("dom0", MB(1024), MB(4096)), MB(1681.2));
}

/* test_011_prefmem_domU: 1024 * 1.3 MiB. */
static void test_prefmem_domU(void **s) {
    (void)s;
    assert_int_equal(prefmem_of("vm10", MB(1024), MB(4096)), MB(1331.2));
}

/* test_010/011 second halves: used 5000 MiB > max 4096 MiB: prefmem is the
 * maximum, so the domain is balanced up to exactly its maximum. */
static void test_prefmem_capped_at_max(void **s) {
    (void)s;
    for (int k = 0; k < 2; k++) {
        pol_vm_view v[1] = {dom(k ? "dom0" : "vm10", MB(5000), MB(4096), MB(2048))};
        int64_t t[1];
        decide_once(&(pol_host_view){.memory = 1024 * GiB, .free = 8 * GiB}, v, 1, t);
        assert_int_equal(t[0], MB(4096));
    }
}

/* test_020_memory_needed: used 1 GiB, actual 2024 MiB: prefmem - actual =
 * MB(-692.800001), which is what the donor gives up. */
static void test_memory_needed_donor(void **s) {
    (void)s;
    pol_vm_view v[2] = {dom("vm10", MB(1024), MB(4096), MB(2024)),
                        dom("acc", MB(4096), MB(8192), MB(1024))};
    int64_t t[2];
    decide_once(&(pol_host_view){.memory = 1024 * GiB}, v, 2, t);
    assert_int_equal(t[0] - MB(2024), MB(-692.800001));
}

/* test_020_memory_needed: used 1 GiB, actual 1 GiB: it needs MB(307.2).
 * balance() shares memory out only when Xen's free memory (less the 50 MiB
 * kept) exceeds what domains need: at exactly MB(307.2) it is still "low"
 * and the acceptor gets int(0.999 * (actual + 1.0 * squeezed)); one byte
 * more and it gets int(0.999 * (prefmem + 1.0 * 1)). */
static void test_memory_needed_threshold(void **s) {
    (void)s;
    int64_t pref = MB(1331.2), need = MB(307.2);
    for (int more = 0; more < 2; more++) {
        int64_t unused;
        pol_host_view h = host_for_xenfree(FREE_LEFT + need + more, &unused);
        pol_vm_view v[2] = {dom("vm10", MB(1024), MB(4096), MB(1024)),
                            silent("3", MB(4096), MB(4096) - unused, unused)};
        int64_t t[2];
        decide_once(&h, v, 2, t);
        int64_t want = more ? (int64_t)(0.999 * (double)(pref + 1))
                            : (int64_t)(0.999 * (double)(MB(1024) + need));
        assert_int_equal(t[0], want);
        assert_int_equal(t[1], POL_LEAVE);
    }
}

/* The domains of test_100_balloon, with domain "1"'s mem_used. */
static void balloon_doms(pol_vm_view *v, int64_t used1, int64_t unused3) {
    v[0] = dom("dom0", MB(1024), MB(4096), MB(1736));
    v[1] = dom("1", used1, MB(4096), MB(1536));
    v[2] = dom("2", MB(4096), MB(4096), MB(4096)); /* at prefmem */
    v[3] = silent("3", MB(4096), MB(4096) - unused3, unused3); /* no meminfo at all */
}

/* test_100_balloon: a request (qvm-start's memory) with Xen free at exactly
 * 50 MiB makes do_balloon call balloon(request + 50 MiB - xenfree) =
 * balloon(MB(400)).  Donors can give only 259.6 MB: no request.  With
 * domain "1" using 512 MiB they can, and each gives its share with 5 %
 * to spare. */
static void test_balloon(void **s) {
    (void)s;
    int64_t unused;
    pol_host_view h = host_for_xenfree(FREE_LEFT, &unused);
    h.request = MB(400);
    pol_vm_view v[4];
    int64_t t[4];
    balloon_doms(v, MB(1024), unused);
    decide_once(&h, v, 4, t);
    for (int i = 0; i < 4; i++) assert_int_equal(t[i], POL_LEAVE);

    balloon_doms(v, MB(512), unused);
    decide_once(&h, v, 4, t);
    assert_int_equal(t[0], 1794242737);
    assert_int_equal(t[1], 1196296014);
    assert_int_equal(t[2], POL_LEAVE);
    assert_int_equal(t[3], POL_LEAVE);
    int64_t released = (MB(1736) - t[0]) + (MB(1536) - t[1]);
    assert_true(released > MB(400));
    assert_true(released - MB(400) < MB(21)); /* "within about 5% margin" */
}

/* The domains of test_200 and test_250. */
static void qubes_doms(pol_vm_view *v, int64_t actual0, int64_t unused3) {
    v[0] = dom("dom0", MB(1024), MB(4096), actual0);
    v[1] = dom("1", MB(1024), MB(4096), MB(1536));
    v[2] = dom("2", MB(4096), MB(4096), MB(4096));              /* at maxmem */
    v[3] = silent("3", MB(4096), MB(4096) - unused3, unused3);  /* no meminfo at all */
    v[4] = dom("4", MB(1536), MB(4096), MB(1536));              /* at prefmem, can get more */
    v[5] = dom("5", MB(512), MB(1024), MB(768));                /* low maxmem */
}

/* test_200_balance_whan_enough_memory: total_available_memory = MB(4096).
 * balance() is handed Xen free - 50 MiB, and total_available = that -
 * sum(memory_needed), with prefmem values from the test file's own MB()
 * numbers (MB(1996.8) and MB(665.6) for domains 4 and 5). */
static void test_balance_enough(void **s) {
    (void)s;
    int64_t need = (MB(1681.2) - MB(1736)) + (MB(1331.2) - MB(1536)) + 0 +
                   (MB(1996.8) - MB(1536)) + (MB(665.6) - MB(768));
    int64_t unused;
    pol_host_view h = host_for_xenfree(MB(4096) + FREE_LEFT + need, &unused);
    pol_vm_view v[6];
    qubes_doms(v, MB(1736), unused);
    int64_t t[6];
    decide_once(&h, v, 6, t);
    assert_int_equal(t[0], 3068708976);
    assert_int_equal(t[1], 2548378128);
    assert_int_equal(t[2], 4294967296); /* prefmem == maxmem == current: unchanged */
    assert_int_equal(t[3], POL_LEAVE);  /* no meminfo -> no adjustment */
    assert_int_equal(t[4], 3537898734);
    assert_int_equal(t[5], 1073741824); /* capped at its maximum */
    assert_true(t[4] > t[1]);           /* bigger prefmem -> bigger target */
}

/* test_250_balance_low_on_memory: balance(MB(50)): donors go to prefmem and,
 * because donors' memory is subtracted from what acceptors share (the
 * original's quirk, asserted by its own test), acceptors get nothing. */
static void test_balance_low(void **s) {
    (void)s;
    int64_t unused;
    pol_host_view h = host_for_xenfree(MB(50) + FREE_LEFT, &unused);
    pol_vm_view v[6];
    qubes_doms(v, MB(768), unused); /* dom0 below prefmem */
    int64_t t[6];
    qm_run r = setup(NULL);
    decide(&r, &h, v, 6, t);
    assert_int_equal(t[0], POL_LEAVE);
    assert_int_equal(t[1], 1395864371);
    assert_int_equal(t[2], POL_LEAVE);
    assert_int_equal(t[3], POL_LEAVE);
    assert_int_equal(t[4], POL_LEAVE);
    assert_int_equal(t[5], 697932185);
    /* that was the whole balance: no acceptor is waiting for the donors */
    char *d = dump(r.state);
    assert_null(strstr(d, "\"apply\""));
    free(d);
    teardown_run(&r);
}

/* ------------------------------------------------------------------ */
/* systemstate.py: when a balance is worth doing                      */

/* One domain using 1 GiB at 2 GiB, Xen free 50 MiB + extra: balance gives it
 * int(0.999 * (actual + extra)) (enough memory: prefmem + all of the rest).
 * The move is carried out only when |change| + |xenfree - 50 MiB| exceeds
 * 150 MiB: 60 MiB extra moves ~58 + 60 MiB (skipped), 80 MiB moves ~78 +
 * 80 MiB (done). */
static void test_dead_band(void **s) {
    (void)s;
    for (int k = 0; k < 2; k++) {
        int64_t extra = k ? 80 * MiB : 60 * MiB, unused;
        pol_host_view h = host_for_xenfree(FREE_LEFT + extra, &unused);
        pol_vm_view v[2] = {dom("a", MB(1024), MB(8192), MB(2048)),
                            silent("pad", MB(1), 0, unused)};
        int64_t t[2];
        decide_once(&h, v, 2, t);
        assert_int_equal(t[0], k ? (int64_t)(0.999 * (double)(MB(2048) + extra)) : POL_LEAVE);
    }
}

/* A domain below its prefmem is balanced even for a small move, if it gains
 * more than 15 MiB (MIN_MEM_CHANGE_WHEN_UNDER_PREF): used 1 GiB (prefmem
 * 1331.2 MiB) at 1300 MiB with 40 MiB extra: ~38.7 + 40 MiB < 150 MiB, but
 * it is below prefmem and gains > 15 MiB. */
static void test_below_prefmem_small_move(void **s) {
    (void)s;
    int64_t unused;
    pol_host_view h = host_for_xenfree(FREE_LEFT + 40 * MiB, &unused);
    pol_vm_view v[2] = {dom("a", MB(1024), MB(8192), MB(1300)), silent("pad", MB(1), 0, unused)};
    int64_t t[2];
    decide_once(&h, v, 2, t);
    assert_int_equal(t[0], (int64_t)(0.999 * (double)(MB(1300) + 40 * MiB)));
}

/* Xen free more than 15 MiB below the 50 MiB it keeps: always significant.
 * One domain at its balance point but Xen free only 30 MiB: it gives the
 * 20 MiB back at once although that moves far less than 150 MiB. */
static void test_xen_free_too_low(void **s) {
    (void)s;
    int64_t unused;
    pol_host_view h = host_for_xenfree(30 * MiB, &unused);
    pol_vm_view v[2] = {dom("a", MB(1024), MB(8192), MB(1500)), silent("pad", MB(1), 0, unused)};
    int64_t t[2];
    decide_once(&h, v, 2, t);
    /* enough memory (xenfree - 50 MiB - need = -20 MiB + 168.8 MiB > 0) */
    assert_int_equal(t[0], (int64_t)(0.999 * (double)(MB(1500) - 20 * MiB)));
}

/* Xen's free memory is what no domain holds: the host's free memory counts
 * pages the simulated guests have not touched, so qmemman takes memory -
 * reserved - actual of all VMs when that is smaller. */
static void test_free_is_what_no_domain_holds(void **s) {
    (void)s;
    pol_vm_view v[2] = {dom("a", MB(1024), MB(8192), MB(2048)),
                        silent("b", MB(4096), MB(4096), 0)};
    int64_t t[2];
    pol_host_view h = {.memory = MB(8192), .reserved = MB(1024), .free = MB(6000)};
    decide_once(&h, v, 2, t);
    int64_t xenfree = physinfo_free(MB(8192) - MB(1024) - MB(2048) - MB(4096));
    assert_int_equal(t[0], (int64_t)(0.999 * (double)(MB(2048) + xenfree - FREE_LEFT)));
    assert_int_equal(t[1], POL_LEAVE);
}

/* VMs whose balloon is off, whose shares are 0 or that are locked run no
 * meminfo-writer: never a target, but their memory is not Xen's. */
static void test_unmanaged_left_alone(void **s) {
    (void)s;
    pol_vm_view v[4] = {dom("off", MB(512), MB(4096), MB(4096)),
                        dom("noshares", MB(512), MB(4096), MB(4096)),
                        dom("locked", MB(512), MB(4096), MB(4096)), dom("a", MB(1024), MB(8192), MB(2048))};
    v[0].balloon = false;
    v[1].shares = 0;
    v[2].locked = true;
    int64_t t[4];
    pol_host_view h = {.memory = MB(20480), .free = MB(20480)};
    decide_once(&h, v, 4, t);
    for (int i = 0; i < 3; i++) assert_int_equal(t[i], POL_LEAVE);
    int64_t xenfree = physinfo_free(MB(20480) - 3 * MB(4096) - MB(2048));
    assert_int_equal(t[3], (int64_t)(0.999 * (double)(MB(2048) + xenfree - FREE_LEFT)));
}

/* ------------------------------------------------------------------ */
/* meminfo-writer: qmemman only acts when a guest reports                 */

/* used moves by 29 MiB (29696 KiB, not above 30000 KiB): no report, no
 * balance, even though 1 GiB more became free; by 30 MiB (30720 KiB): a
 * report, and the gigabyte is shared out. */
static void test_meminfo_threshold(void **s) {
    (void)s;
    qm_run r = setup(NULL);
    pol_vm_view v[1] = {dom("a", MB(1024), MB(8192), MB(2048))};
    int64_t t[1];
    pol_host_view h = host(MB(1024));
    decide(&r, &h, v, 1, t); /* first report: balanced */
    int64_t first = t[0];
    assert_true(first > MB(2048));
    h.free += MB(1024);
    v[0] = dom("a", MB(1024 + 29), MB(8192), MB(2048));
    decide(&r, &h, v, 1, t);
    assert_int_equal(t[0], POL_LEAVE);
    v[0] = dom("a", MB(1024 + 30), MB(8192), MB(2048));
    decide(&r, &h, v, 1, t);
    assert_true(t[0] > first + MB(900));
    teardown_run(&r);
}

/* Close to its memory (used / 10 > (MemTotal + 12) / 13, i.e. used x 1.3
 * above MemTotal) a growing guest reports after half the threshold: 16 MiB
 * (16384 KiB > 15000) is reported at 1900 of 2048 MiB, not at 1024. */
static void test_meminfo_near_full(void **s) {
    (void)s;
    for (int near = 0; near < 2; near++) {
        qm_run r = setup(NULL);
        int64_t base = near ? MB(1900) : MB(1024);
        pol_vm_view v[1] = {dom("a", base, MB(8192), MB(2048))};
        int64_t t[1];
        pol_host_view h = host(MB(1024));
        decide(&r, &h, v, 1, t);
        h.free += MB(1024);
        v[0] = dom("a", base + MB(16), MB(8192), MB(2048));
        decide(&r, &h, v, 1, t);
        if (near) assert_true(t[0] != POL_LEAVE);
        else assert_int_equal(t[0], POL_LEAVE);
        teardown_run(&r);
    }
}

/* A domain going away is a rebalance (domain_list_changed) even without a
 * report. */
static void test_domain_gone_rebalances(void **s) {
    (void)s;
    qm_run r = setup(NULL);
    pol_vm_view v[2] = {dom("a", MB(1024), MB(8192), MB(2048)), dom("b", MB(1024), MB(8192), MB(2048))};
    int64_t t[2];
    pol_host_view h = host(MB(512));
    decide(&r, &h, v, 2, t);
    int64_t a1 = t[0];
    assert_true(a1 != POL_LEAVE);
    h.free += MB(2048);
    decide(&r, &h, v, 2, t); /* nothing reported: nothing done */
    assert_int_equal(t[0], POL_LEAVE);
    assert_int_equal(t[1], POL_LEAVE);
    decide(&r, &h, v, 1, t); /* b is gone */
    assert_true(t[0] > a1 + MB(1024));
    teardown_run(&r);
}

/* ------------------------------------------------------------------ */
/* donors before acceptors, and domains that do not move                */

/* A donor with 3 GiB using 512 MiB and an acceptor with 1 GiB using 2 GiB,
 * Xen free 100 MiB: enough memory (sum of needs -768 MiB).  Targets, from
 * balance_when_enough_memory: prefmem 665.6 / 2662.4 MiB, available
 * 50 MiB + 768 MiB shared 1:4. */
static void wait_doms(pol_vm_view *v, int64_t donor_actual, int64_t acc_actual) {
    v[0] = dom("donor", MB(512), MB(4096), donor_actual);
    v[1] = dom("acc", MB(2048), MB(4096), acc_actual);
}

static int64_t enough_target(int64_t pref, int64_t total_pref, int64_t avail) {
    return (int64_t)(0.999 * ((double)pref + (double)pref / (double)total_pref * (double)avail));
}

/* The donor is set at once; the acceptor only once Xen has its memory
 * besides 0.9 x 50 MiB: here on the next round, after the donor shrank. */
static void test_donors_first(void **s) {
    (void)s;
    qm_run r = setup(NULL);
    int64_t xenfree = 100 * MiB, unused;
    pol_host_view h = host_for_xenfree(xenfree, &unused);
    pol_vm_view v[3];
    wait_doms(v, MB(3072), MB(1024));
    v[2] = silent("pad", MB(1), 0, unused);
    int64_t t[3];
    decide(&r, &h, v, 3, t);
    int64_t pd = MB(665.6), pa = MB(2662.4);
    int64_t avail = xenfree - FREE_LEFT - ((pd - MB(3072)) + (pa - MB(1024)));
    int64_t want_d = enough_target(pd, pd + pa, avail), want_a = enough_target(pa, pd + pa, avail);
    assert_int_equal(t[0], want_d);
    assert_int_equal(t[1], POL_LEAVE); /* 100 MiB free cannot cover ~2.2 GiB */
    /* 100 ms later the donor is down at its target: Xen has its memory */
    v[0].actual = v[0].target = want_d;
    h.free += MB(3072) - want_d;
    decide(&r, &h, v, 3, t);
    assert_int_equal(t[0], POL_LEAVE);
    assert_int_equal(t[1], want_a);
    teardown_run(&r);
}

/* A donor that does not move: the acceptor waits 5 rounds, then gets what
 * is free (xenfree + memory_actual - 50 MiB), and the donor is marked
 * no_progress and left out of later balances.  A report that comes while
 * qmemman waits is balanced only after it gave up (the daemon holds its
 * lock): with the acceptor at 1074 MiB using 2112 MiB and Xen free at 50 MiB
 * that balance is low on memory and moves ~1 MiB, not worth doing. */
static void test_stuck_donor(void **s) {
    (void)s;
    qm_run r = setup(NULL);
    int64_t xenfree = 100 * MiB, unused;
    pol_host_view h = host_for_xenfree(xenfree, &unused);
    pol_vm_view v[3];
    wait_doms(v, MB(3072), MB(1024));
    v[2] = silent("pad", MB(1), 0, unused);
    int64_t t[3];
    decide(&r, &h, v, 3, t);
    assert_true(t[0] != POL_LEAVE && t[1] == POL_LEAVE);
    v[1] = dom("acc", MB(2048 + 64), MB(4096), MB(1024)); /* reports while qmemman waits */
    for (int round = 1; round <= 4; round++) {
        decide(&r, &h, v, 3, t);
        assert_int_equal(t[0], POL_LEAVE);
        assert_int_equal(t[1], POL_LEAVE);
    }
    decide(&r, &h, v, 3, t); /* fifth round: give up */
    assert_int_equal(t[0], POL_LEAVE);
    assert_int_equal(t[1], xenfree + MB(1024) - FREE_LEFT);
    char *d = dump(r.state);
    assert_non_null(strstr(d, "\"donor\": {\"meminfo_kb\": 524288, \"mem_used\": 536870912, "));
    assert_non_null(strstr(d, "\"no_progress\": true"));
    assert_non_null(strstr(d, "\"pending_balance\": false"));
    free(d);
    /* the acceptor reports more use: the balance leaves the donor out */
    v[1] = dom("acc", MB(2048 + 128), MB(4096), MB(1024));
    h.free += 8 * GiB;
    decide(&r, &h, v, 3, t);
    assert_int_equal(t[0], POL_LEAVE);
    assert_true(t[1] > MB(2048));
    teardown_run(&r);
}

/* do_balloon drops a domain whose memory did not move since the last round
 * (no_progress); without it the donors cannot free the request: it fails. */
static void test_balloon_stuck_domain(void **s) {
    (void)s;
    qm_run r = setup(NULL);
    int64_t unused;
    pol_host_view h = host_for_xenfree(FREE_LEFT, &unused);
    h.request = MB(400);
    pol_vm_view v[4];
    balloon_doms(v, MB(512), unused);
    int64_t t[4];
    decide(&r, &h, v, 4, t);
    assert_int_equal(t[1], 1196296014);
    decide(&r, &h, v, 4, t); /* nobody moved: both donors dropped */
    for (int i = 0; i < 4; i++) assert_int_equal(t[i], POL_LEAVE);
    char *d = dump(r.state);
    assert_non_null(strstr(d, "\"balloon\": {\"status\": \"failed\""));
    free(d);
    teardown_run(&r);
}

/* A request already covered (Xen free >= request + 25 MiB) sets nothing,
 * and while it is served (the client holds the lock) nothing is balanced. */
static void test_request_covered(void **s) {
    (void)s;
    qm_run r = setup(NULL);
    pol_vm_view v[1] = {dom("a", MB(1024), MB(8192), MB(2048))};
    int64_t t[1];
    pol_host_view h = host(MB(2048));
    h.request = MB(500);
    decide(&r, &h, v, 1, t);
    assert_int_equal(t[0], POL_LEAVE);
    v[0] = dom("a", MB(1500), MB(8192), MB(2048));
    decide(&r, &h, v, 1, t);
    assert_int_equal(t[0], POL_LEAVE);
    h.request = 0; /* served: the pending reports are balanced */
    decide(&r, &h, v, 1, t);
    assert_true(t[0] != POL_LEAVE);
    teardown_run(&r);
}

/* ------------------------------------------------------------------ */
/* parameters and state                                                */

/* vm_min_mem raises the floor of prefmem; cache_margin_factor scales it;
 * dom0 "" makes "dom0" an ordinary domain. */
static void test_params(void **s) {
    (void)s;
    const char *yaml[3] = {"{vm_min_mem: 1GiB}", "{cache_margin_factor: 2}", "{dom0: ''}"};
    int64_t want[3] = {GiB, MB(2048), MB(1331.2)};
    const char *name[3] = {"vm", "vm", "dom0"};
    for (int k = 0; k < 3; k++) {
        qm_run r = setup(yaml[k]);
        int64_t used = k == 0 ? MB(256) : MB(1024);
        pol_vm_view v[2] = {dom(name[k], used, MB(4096), MB(4096)),
                            dom("acc", MB(4096), MB(8192), MB(1024))};
        int64_t t[2];
        decide(&r, &(pol_host_view){.memory = 1024 * GiB}, v, 2, t);
        assert_int_equal(t[0], want[k]);
        teardown_run(&r);
    }
}

static void test_bad_params(void **s) {
    (void)s;
    const char *bad[] = {"{cache_margin_factor: 0}", "{cache_margin_factor: x}",
                         "{vm_min_mem: -1MiB}", "{meminfo_threshold: 0}", "[1, 2]"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++)
        th_expect_one_error(&pol_qmemman, bad[k], "policy.params", "policy.params");
}

static void test_listed(void **s) {
    (void)s;
    assert_ptr_equal(pol_find("qmemman"), &pol_qmemman);
    const pol_type *const *t = pol_types();
    size_t iq = SIZE_MAX, is = SIZE_MAX;
    for (size_t i = 0; t[i] != NULL; i++) {
        if (t[i] == &pol_qmemman) iq = i;
        if (t[i] == &pol_selfballoon) is = i;
    }
    assert_true(iq != SIZE_MAX && is == iq + 1);
    const char *names[] = {"vm_min_mem", "dom0_mem_boost", "cache_margin_factor",
                           "meminfo_threshold", "dom0"};
    for (size_t k = 0; k < 5; k++) assert_string_equal(pol_qmemman.params[k].name, names[k]);
    assert_null(pol_qmemman.params[5].name);
    assert_int_equal(pol_qmemman.default_interval, BS_NS_PER_S / 10);
}

/* A state dumped in the middle of waiting for donors and loaded again
 * dumps the same, and carries on exactly as the state in memory does. */
static void test_state_round_trip(void **s) {
    (void)s;
    qm_run a = setup(NULL), b = setup(NULL);
    int64_t xenfree = 100 * MiB, unused;
    pol_host_view h = host_for_xenfree(xenfree, &unused);
    pol_vm_view v[3];
    wait_doms(v, MB(3072), MB(1024));
    v[2] = silent("pad", MB(1), 0, unused);
    int64_t t[3], u[3];
    decide(&a, &h, v, 3, t);
    decide(&a, &h, v, 3, t);
    char *da = dump(a.state);
    assert_non_null(strstr(da, "\"apply\": {\"requests\": [{\"vm\": \"donor\""));
    load(&b, da);
    char *db = dump(b.state);
    assert_string_equal(da, db);
    for (int round = 0; round < 4; round++) {
        decide(&a, &h, v, 3, t);
        decide(&b, &h, v, 3, u);
        for (int i = 0; i < 3; i++) assert_int_equal(t[i], u[i]);
    }
    assert_int_equal(t[1], xenfree + MB(1024) - FREE_LEFT); /* gave up in both */
    free(da);
    free(db);
    teardown_run(&a);
    teardown_run(&b);
}

static void test_bad_state(void **s) {
    (void)s;
    const char *bad[] = {"{vms: {a: {mem_used: x}}}", "{vms: {a: {no_progress: 3}}}",
                         "{vms: {a: {colour: red}}}", "{vms: [1]}",
                         "{vms: {a: {}}, apply: {requests: [{vm: b, target: 1}]}}",
                         "{balloon: {status: sleeping}}"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        qm_run r = setup(NULL);
        cfg_errs errs = {0};
        cfg_ctx cx = {.errs = &errs, .doc = r.doc};
        cfg_node *node = NULL;
        assert_int_equal(cfg_parse_string(r.doc, "state", bad[k], &errs, &node), BS_OK);
        assert_int_equal(pol_qmemman.state_load(&cx, node, "policy_state", r.state), BS_ERR_INPUT);
        assert_true(errs.n >= 1);
        assert_non_null(strstr(errs.msgs[0], "policy_state"));
        cfg_errs_free(&errs);
        teardown_run(&r);
    }
}

/* ------------------------------------------------------------------ */
/* end to end                                                          */

static int64_t target_at(const th_capture *c, const char *vm, bs_time t, int64_t start) {
    int64_t v = start;
    for (size_t i = 0; i < c->n_events; i++) {
        const eng_event *e = &c->events[i];
        if (e->t > t) break;
        if (e->vm && strcmp(e->vm, vm) == 0 && strcmp(e->event, "target") == 0) v = e->value;
    }
    return v;
}

static bs_time first_target_after(const th_capture *c, const char *vm, bs_time t) {
    for (size_t i = 0; i < c->n_events; i++) {
        const eng_event *e = &c->events[i];
        if (e->t > t && e->vm && strcmp(e->vm, vm) == 0 && strcmp(e->event, "target") == 0)
            return e->t;
    }
    return BS_TIME_NEVER;
}

/* The scenario of the end-to-end runs: two guests on 7 GiB of guest memory,
 * one using 1 GiB throughout, one using 512 MiB then 2.5 GiB from t = 60 s;
 * `driver` is their balloon mapping. */
static scen *two_guests(const char *driver) {
    char yaml[1024];
    snprintf(yaml, sizeof yaml,
             "duration: 3m\n"
             "policy: qmemman\n"
             "vm_defaults: {memory: 6GiB, start_memory: 2GiB, swap: 4GiB, balloon: %s}\n"
             "hosts: [{memory: 8GiB, reserved: 1GiB, vms: [\n"
             "  {name: a, workload: {type: constant, size: 1GiB}},\n"
             "  {name: b, workload: {type: steps, steps: [{at: 0s, size: 512MiB},\n"
             "                                            {at: 60s, size: 2560MiB}]}}]}]\n",
             driver);
    return th_load(yaml);
}

/* A Xen guest's balloon answers within one 100 ms round.  qmemman gives each
 * guest its used memory x 1.3 plus a share of the rest in proportion to
 * that, keeps about 50 MiB of Xen memory free (plus 0.1 %), and after the
 * step takes memory from the donor before it gives it to the acceptor. */
static void test_e2e_proportional_to_used(void **s) {
    (void)s;
    scen *sc = two_guests("{latency: 10ms, inflate_rate: 64GiB/s, reclaim_rate: 64GiB/s, "
                          "deflate_rate: 64GiB/s}");
    th_capture cap;
    eng_result res;
    th_run(sc, &cap, &res);
    /* settled before the step: 1.3 GiB : 0.65 GiB, within a few bytes */
    int64_t a = target_at(&cap, "a", TH_S(59), 2 * GiB), b = target_at(&cap, "b", TH_S(59), 2 * GiB);
    assert_true(fabs((double)a / (double)b - 2.0) < 1e-6);
    int64_t left = 7 * GiB - a - b; /* Xen free once both are there */
    assert_true(left >= 50 * MiB && left < 50 * MiB + 8 * MiB);
    /* after the step: 1 : 2.5, and again about 50 MiB left */
    a = target_at(&cap, "a", TH_S(179), 0);
    b = target_at(&cap, "b", TH_S(179), 0);
    assert_true(fabs((double)b / (double)a - 2.5) < 1e-6);
    left = 7 * GiB - a - b;
    assert_true(left >= 50 * MiB && left < 50 * MiB + 8 * MiB);
    /* donors first: a shrinks at the step, b grows a round later */
    bs_time ta = first_target_after(&cap, "a", TH_S(60) - 1), tb = first_target_after(&cap, "b", TH_S(60) - 1);
    assert_int_equal(ta, TH_S(60));
    assert_int_equal(tb, TH_S(60.1));
    /* two balances in all: the first reports and the step */
    const eng_event *ev[16];
    assert_int_equal(th_find_events(&cap, "a", "target", ev, 16), 2);
    assert_int_equal(th_find_events(&cap, "b", "target", ev, 16), 2);
    for (size_t i = 0; i < cap.n_host_rows; i++) assert_int_equal(cap.host_rows[i].swapped, 0);
    eng_result_free(&res);
    th_capture_free(&cap);
    scen_free(sc);
}

/* With the Xen preset's driver (1 s before it acts) the donor has not moved
 * after qmemman's five 100 ms rounds: the acceptor is given only what Xen
 * has free (xenfree + its memory - 50 MiB), 0.5 s after the donor was set,
 * and gets the rest only at a later report. */
static void test_e2e_slow_donor(void **s) {
    (void)s;
    scen *sc = two_guests("{driver: xen}");
    th_capture cap;
    eng_result res;
    th_run(sc, &cap, &res);
    bs_time ta = first_target_after(&cap, "a", TH_S(60) - 1), tb = first_target_after(&cap, "b", TH_S(60) - 1);
    assert_int_equal(ta, TH_S(60));
    assert_int_equal(tb, TH_S(60.5));
    int64_t a0 = target_at(&cap, "a", TH_S(59), 0), b0 = target_at(&cap, "b", TH_S(59), 0);
    int64_t b1 = target_at(&cap, "b", TH_S(60.5), 0);
    /* Xen free before the step: 7 GiB - a0 - b0 (both reached their targets);
     * b's memory_actual is its target b0 */
    int64_t xenfree = (7 * GiB - a0 - b0) / 1024 * 1024;
    assert_int_equal(b1, xenfree + b0 - FREE_LEFT);
    eng_result_free(&res);
    th_capture_free(&cap);
    scen_free(sc);
}

/* Small changes of use do not move anything: a guest whose use wanders by
 * 10 MiB (less than 30000 KiB) never reports again, so after the first
 * balance qmemman sets no target at all. */
static void test_e2e_quiet_when_use_is_steady(void **s) {
    (void)s;
    scen *sc = th_load("duration: 2m\n"
                       "policy: qmemman\n"
                       "hosts: [{memory: 8GiB, vms: [\n"
                       "  {name: a, memory: 8GiB, start_memory: 4GiB, workload: {type: steps, steps: [\n"
                       "     {at: 0s, size: 1GiB}, {at: 30s, size: 1034MiB}, {at: 60s, size: 1GiB}]}}]}]\n");
    th_capture cap;
    eng_result res;
    th_run(sc, &cap, &res);
    const eng_event *ev[64];
    size_t n = th_find_events(&cap, "a", "target", ev, 64);
    assert_int_equal(n, 1);
    assert_int_equal(ev[0]->t, TH_S(0.1)); /* the first report, at the first round */
    eng_result_free(&res);
    th_capture_free(&cap);
    scen_free(sc);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prefmem_dom0),
        cmocka_unit_test(test_prefmem_domU),
        cmocka_unit_test(test_prefmem_capped_at_max),
        cmocka_unit_test(test_memory_needed_donor),
        cmocka_unit_test(test_memory_needed_threshold),
        cmocka_unit_test(test_balloon),
        cmocka_unit_test(test_balance_enough),
        cmocka_unit_test(test_balance_low),
        cmocka_unit_test(test_dead_band),
        cmocka_unit_test(test_below_prefmem_small_move),
        cmocka_unit_test(test_xen_free_too_low),
        cmocka_unit_test(test_free_is_what_no_domain_holds),
        cmocka_unit_test(test_unmanaged_left_alone),
        cmocka_unit_test(test_meminfo_threshold),
        cmocka_unit_test(test_meminfo_near_full),
        cmocka_unit_test(test_domain_gone_rebalances),
        cmocka_unit_test(test_donors_first),
        cmocka_unit_test(test_stuck_donor),
        cmocka_unit_test(test_balloon_stuck_domain),
        cmocka_unit_test(test_request_covered),
        cmocka_unit_test(test_params),
        cmocka_unit_test(test_bad_params),
        cmocka_unit_test(test_listed),
        cmocka_unit_test(test_state_round_trip),
        cmocka_unit_test(test_bad_state),
        cmocka_unit_test(test_e2e_proportional_to_used),
        cmocka_unit_test(test_e2e_slow_donor),
        cmocka_unit_test(test_e2e_quiet_when_use_is_steady),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
