/* test_engine.c -- the model of docs/model.md, case by case, and its properties.
 *
 * Analytic cases compute the expected value from the formula in docs/model.md
 * independently of the engine (latency + delta/rate, the stall formula), and
 * compare exact nanoseconds where the model promises exactness. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/helpers.h"

static const eng_event *one_event(const th_capture *c, const char *vm, const char *what)
{
    const eng_event *e[4];
    size_t n = th_find_events(c, vm, what, e, 4);
    if (n != 1) fprintf(stderr, "expected one '%s' event for %s, found %zu\n", what, vm, n);
    assert_int_equal(n, 1);
    return e[0];
}

/* docs/model.md property 4: a change of delta on a guest with enough free memory is
 * reached exactly latency + delta/rate after it was set. */
static void target_reached_after_latency_plus_delta_over_rate(void **state)
{
    (void)state;
    scen *sc = th_load("duration: 1h\n"
                       "policy: {name: scripted, params: {targets: [{at: 10s, vm: web, target: 4GiB}]}}\n"
                       "hosts: [{memory: 64GiB, vms: [{name: web, memory: 8GiB,\n"
                       "  workload: {type: constant, size: 1GiB}}]}]\n");
    th_capture cap;
    eng_result res;
    th_run(sc, &cap, &res);
    const eng_event *t = one_event(&cap, "web", "target");
    const eng_event *r = one_event(&cap, "web", "reached");
    assert_int_equal(t->t, TH_S(10));
    assert_int_equal(t->value, 4 * TH_GIB);
    /* virtio preset: 100 ms latency, 256 MiB/s: 4 GiB takes 16 s */
    assert_int_equal(r->t, TH_S(10) + TH_S(0.1) + TH_S(4.0 * 1024 / 256));
    assert_int_equal(r->value, 4 * TH_GIB);
    assert_true(fabs(res.vms[0].v[MET_REACH_P50] - 16.1) < 1e-9);
    assert_true(fabs(res.run.v[MET_BALLOON_TRAFFIC_BYTES] - 4.0 * TH_GIB) < 4096);
    eng_result_free(&res);
    th_capture_free(&cap);
    scen_free(sc);
}

static void deflation_uses_deflate_rate(void **state)
{
    (void)state;
    scen *sc = th_load("duration: 1h\n"
                       "policy: {name: scripted, params: {targets: [{at: 1m, vm: db, target: 6GiB}]}}\n"
                       "hosts: [{memory: 64GiB, vms: [{name: db, memory: 8GiB, start_memory: 2GiB,\n"
                       "  balloon: {latency: 250ms, deflate_rate: 512MiB/s},\n"
                       "  workload: {type: constant, size: 1GiB}}]}]\n");
    th_capture cap;
    eng_result res;
    th_run(sc, &cap, &res);
    const eng_event *r = one_event(&cap, "db", "reached");
    assert_int_equal(r->t, TH_S(60) + TH_S(0.25) + TH_S(4.0 * 1024 / 512));
    eng_result_free(&res);
    th_capture_free(&cap);
    scen_free(sc);
}

/* Inflation takes free pages at inflate_rate, then cache at reclaim_rate. */
static void inflation_takes_free_then_cache_at_reclaim_rate(void **state)
{
    (void)state;
    scen *sc = th_load(
        "duration: 1h\n"
        "policy: {name: scripted, params: {targets: [{at: 0s, vm: v, target: 2GiB}]}}\n"
        "hosts: [{memory: 64GiB, vms: [{name: v, memory: 8GiB,\n"
        "  balloon: {latency: 0s, inflate_rate: 1GiB/s, reclaim_rate: 256MiB/s},\n"
        "  workload: {type: constant, size: 1GiB, cache: 3GiB}}]}]\n");
    th_capture cap;
    eng_result res;
    th_run(sc, &cap, &res);
    const eng_event *r = one_event(&cap, "v", "reached");
    /* 8 -> 4 GiB free pages at 1 GiB/s (4 s), 4 -> 2 GiB of cache at 256 MiB/s (8 s) */
    assert_int_equal(r->t, TH_S(4) + TH_S(8));
    assert_int_equal(res.vms[0].v[MET_GUEST_SWAP_OUT_BYTES], 0);
    eng_result_free(&res);
    th_capture_free(&cap);
    scen_free(sc);
}

/* Without guest swap the balloon stops at the working set and retries; it
 * finishes on the retry grid after demand falls. */
static void full_swap_blocks_inflation_until_demand_falls(void **state)
{
    (void)state;
    scen *sc = th_load(
        "duration: 1h\n"
        "policy: {name: scripted, params: {targets: [{at: 0s, vm: v, target: 2GiB}]}}\n"
        "hosts: [{memory: 64GiB, vms: [{name: v, memory: 8GiB,\n"
        "  balloon: {latency: 0s, inflate_rate: 1GiB/s, reclaim_rate: 1GiB/s, retry_delay: 1s},\n"
        "  workload: {type: steps, steps: [{at: 0s, size: 3GiB}, {at: 100500ms, size: 1GiB}]}}]}]\n");
    th_capture cap;
    eng_result res;
    th_run(sc, &cap, &res);
    /* 8 -> 3 GiB in 5 s, blocked from t = 5 s; demand falls at 100.5 s, the next
     * retry is at 101 s, then 1 GiB more at 1 GiB/s. */
    const eng_event *r = one_event(&cap, "v", "reached");
    assert_int_equal(r->t, TH_S(101) + TH_S(1));
    assert_int_equal(res.vms[0].v[MET_GUEST_OOM_KILLS], 0);
    assert_int_equal(res.vms[0].v[MET_GUEST_SWAP_OUT_BYTES], 0);
    eng_result_free(&res);
    th_capture_free(&cap);
    scen_free(sc);
}

/* With guest swap, inflation pushes working set out: S grows, stall follows. */
static void inflation_into_working_set_swaps_and_stalls(void **state)
{
    (void)state;
    scen *sc = th_load(
        "duration: 100s\n"
        "policy: {name: scripted, params: {targets: [{at: 0s, vm: v, target: 3GiB}]}}\n"
        "hosts: [{memory: 64GiB, vms: [{name: v, memory: 8GiB, swap: 4GiB, swap_latency: 1ms,\n"
        "  balloon: {latency: 0s, inflate_rate: 1GiB/s, reclaim_rate: 1GiB/s},\n"
        "  workload: {type: constant, size: 4GiB, locality: 1.0, touch_rate: 1000}}]}]\n");
    th_capture cap;
    eng_result res;
    th_run(sc, &cap, &res);
    const eng_event *r = one_event(&cap, "v", "reached");
    assert_int_equal(r->t, TH_S(5));
    assert_true(fabs(res.vms[0].v[MET_GUEST_SWAP_OUT_BYTES] - 1.0 * TH_GIB) < 4096);
    /* after 5 s: S/D = 1/4, stall = 1000 * 0.25 * 1 ms = 0.25 for 95 s; during
     * the last second of motion S grows linearly 0 -> 1 GiB: mean 0.125. */
    double expect = 0.25 * 95 + 0.125 * 1;
    assert_true(fabs(res.vms[0].v[MET_STALL_S] - expect) < 1e-6);
    assert_true(fabs(res.vms[0].v[MET_STALL_P50] - 0.25) < 1e-9);
    assert_true(fabs(res.vms[0].v[MET_PRESSURE_FRACTION] - 0.96) < 1e-9);
    eng_result_free(&res);
    th_capture_free(&cap);
    scen_free(sc);
}

static void stall_formula_with_locality(void **state)
{
    (void)state;
    /* static policy: A = start_memory = 4 GiB, D = 5 GiB, S/D = 0.2 */
    scen *sc = th_load("duration: 1000s\n"
                       "policy: static\n"
                       "hosts: [{memory: 64GiB, vms: [{name: v, memory: 8GiB, start_memory: 4GiB,\n"
                       "  swap: 2GiB, swap_latency: 2ms,\n"
                       "  workload: {type: constant, size: 5GiB, locality: 2.0, touch_rate: 5000}}]}]\n");
    th_capture cap;
    eng_result res;
    th_run(sc, &cap, &res);
    double stall = 5000 * pow(0.2, 2.0) * 0.002; /* 0.4 */
    assert_true(fabs(res.vms[0].v[MET_STALL_S] - stall * 1000) < 1e-6);
    assert_true(fabs(res.vms[0].v[MET_STALL_P99] - 0.4) < 1e-9);
    assert_true(fabs(res.vms[0].v[MET_PRESSURE_FRACTION] - 1.0) < 1e-12);
    assert_true(fabs(res.vms[0].v[MET_FAIRNESS] - 1.0) < 1e-12);
    /* the sample rows carry the same instantaneous stall */
    for (size_t i = 0; i < cap.n_vm_rows; i++)
        assert_true(fabs(cap.vm_rows[i].stall - 0.4) < 1e-9);
    eng_result_free(&res);
    th_capture_free(&cap);
    scen_free(sc);
}

static void guest_oom_kills_and_restarts(void **state)
{
    (void)state;
    scen *sc = th_load("duration: 10m\n"
                       "policy: static\n"
                       "hosts: [{memory: 64GiB, vms: [{name: v, memory: 4GiB, swap: 1GiB,\n"
                       "  restart_delay: 30s,\n"
                       "  workload: {type: steps, steps: [{at: 0s, size: 1GiB}, {at: 60s, size: 6GiB},\n"
                       "                                  {at: 200s, size: 1GiB}]}}]}]\n");
    th_capture cap;
    eng_result res;
    th_run(sc, &cap, &res);
    const eng_event *k[8];
    size_t kills = th_find_events(&cap, "v", "guest_oom", k, 8);
    /* killed at 60 s, restarts at 90, 120, 150, 180 each killed again (6 > 4 + 1),
     * restart at 210 finds 1 GiB */
    assert_int_equal(kills, 5);
    assert_int_equal(k[0]->t, TH_S(60));
    assert_int_equal(k[0]->value, 6 * TH_GIB);
    assert_int_equal(k[1]->t, TH_S(90));
    assert_int_equal(res.vms[0].v[MET_GUEST_OOM_KILLS], 5);
    assert_true(fabs(res.vms[0].v[MET_DOWNTIME_S] - 150) < 1e-9);
    assert_true(res.vms[0].v[MET_STALL_S] >= 150 - 1e-9);
    const eng_event *rs[8];
    assert_int_equal(th_find_events(&cap, "v", "restart", rs, 8), 5);
    eng_result_free(&res);
    th_capture_free(&cap);
    scen_free(sc);
}

static void deflate_on_oom_gives_pages_back(void **state)
{
    (void)state;
    scen *sc = th_load(
        "duration: 10m\n"
        "policy: {name: scripted, params: {targets: [{at: 0s, vm: v, target: 2GiB}]}}\n"
        "hosts: [{memory: 64GiB, vms: [{name: v, memory: 8GiB,\n"
        "  balloon: {deflate_on_oom: true, latency: 0s},\n"
        "  workload: {type: steps, steps: [{at: 0s, size: 1GiB}, {at: 60s, size: 5GiB}]}}]}]\n");
    th_capture cap;
    eng_result res;
    th_run(sc, &cap, &res);
    const eng_event *d = one_event(&cap, "v", "deflate_on_oom");
    assert_int_equal(d->t, TH_S(60));
    assert_int_equal(d->value, 3 * TH_GIB);
    assert_int_equal(res.vms[0].v[MET_GUEST_OOM_KILLS], 0);
    /* target unchanged: the last sample still shows T = 2 GiB, A = 5 GiB */
    const eng_vm_sample *last = &cap.vm_rows[cap.n_vm_rows - 1];
    assert_int_equal(last->target, 2 * TH_GIB);
    assert_int_equal(last->actual, 5 * TH_GIB);
    eng_result_free(&res);
    th_capture_free(&cap);
    scen_free(sc);
}

static void host_overcommit_swaps_then_oom_kills_largest(void **state)
{
    (void)state;
    scen *sc = th_load("duration: 10m\n"
                       "policy: static\n"
                       "hosts: [{memory: 8GiB, swap: 1GiB, swap_latency: 10ms, vms: [\n"
                       "  {name: a, memory: 6GiB, workload: {type: constant, size: 4GiB}},\n"
                       "  {name: b, memory: 6GiB, restart_delay: 1h,\n"
                       "   workload: {type: steps, steps: [{at: 0s, size: 4GiB}, {at: 2m, size: 5GiB},\n"
                       "                                   {at: 4m, size: 6GiB}]}}]}]\n");
    th_capture cap;
    eng_result res;
    th_run(sc, &cap, &res);
    /* 0-2 min: U = 8 GiB exactly: host full, nothing swapped.  2-4 min: X = 1 GiB
     * = swap (not above it).  At 4 min X = 2 GiB > 1 GiB: b (largest H) dies. */
    assert_int_equal(th_find_events(&cap, "a", "host_oom", NULL, 0), 0);
    const eng_event *k = one_event(&cap, "b", "host_oom");
    assert_int_equal(k->t, TH_S(240));
    assert_int_equal(k->value, 6 * TH_GIB);
    assert_int_equal(res.run.v[MET_HOST_OOM_KILLS], 1);
    assert_true(fabs(res.run.v[MET_HOST_SWAP_OUT_BYTES] - 1.0 * TH_GIB) < 4096);
    assert_int_equal(res.run.v[MET_HOST_FREE_MIN_BYTES], 0);
    for (size_t i = 0; i < cap.n_host_rows; i++) {
        const eng_host_sample *h = &cap.host_rows[i];
        if (h->t < TH_S(120)) assert_int_equal(h->swapped, 0);
        if (h->t > TH_S(120) && h->t < TH_S(240)) assert_int_equal(h->swapped, TH_GIB);
    }
    /* while the host swaps 1 GiB of 9, each VM stalls 1/9 of touches * 10 ms */
    double p = 1.0 / 9.0, stall = 20000 * p * 0.010;
    assert_true(stall >= 1); /* clamped: the test scenario is harsh on purpose */
    assert_true(fabs(res.vms[0].v[MET_STALL_S] - 120) < 1e-6);
    eng_result_free(&res);
    th_capture_free(&cap);
    scen_free(sc);
}

/* model.md: the host OOM killer kills the VM with the largest H *at that
 * instant*.  A deflating balloon raises `big`'s H between its events (no
 * event of its own from the start of the move to the kill), so a choice by
 * each VM's H as of its last event would kill the small fixed reservation. */
static void host_oom_victim_is_chosen_by_h_at_that_instant(void **state)
{
    (void)state;
    scen *sc = th_load("duration: 10m\n"
                       "policy: {name: scripted, params: {targets: [{at: 10s, vm: big, target: 12GiB}]}}\n"
                       "hosts: [{memory: 10GiB, swap: 0, vms: [\n"
                       "  {name: db, memory: 3GiB, balloon: {enabled: false}, restart_delay: 1h,\n"
                       "   workload: {type: constant, size: 3GiB}},\n"
                       "  {name: big, memory: 12GiB, start_memory: 2GiB, swap: 8GiB, restart_delay: 1h,\n"
                       "   balloon: {latency: 0s, deflate_rate: 100MiB/s},\n"
                       "   workload: {type: constant, size: 8GiB}}]}]\n");
    th_capture cap;
    eng_result res;
    th_run(sc, &cap, &res);
    assert_int_equal(th_find_events(&cap, "db", "host_oom", NULL, 0), 0);
    const eng_event *k = one_event(&cap, "big", "host_oom");
    /* no host swap: X > 0 once 3 GiB + H(big) > 10 GiB: H(big) = A = 7 GiB,
     * reached 5 GiB / 100 MiB/s after 10 s (the crossing is 1 ns past it) */
    double want = 10.0 + 5.0 * 1024 / 100;
    assert_true(fabs(bs_time_to_s(k->t) - want) < 1e-6);
    assert_true(fabs((double)k->value - 7.0 * TH_GIB) < 1.0 * 1024 * 1024);
    eng_result_free(&res);
    th_capture_free(&cap);
    scen_free(sc);
}

/* A policy that records what it is shown: the views of a report are taken
 * at the instant of the report, between the VMs' own events. */
typedef struct spy {
    size_t n;
    bs_time t[64];
    int64_t actual[64], host_free[64];
} spy;

static bs_rc spy_decide(const void *cfg, void *st, bs_time now, const pol_host_view *host,
                        const pol_vm_view *vms, size_t n, int64_t *targets)
{
    (void)st;
    spy *s = (spy *)cfg; /* the test's own recorder */
    for (size_t i = 0; i < n; i++) {
        if (strcmp(vms[i].name, "big") != 0) continue;
        if (s->n < 64) {
            s->t[s->n] = now;
            s->actual[s->n] = vms[i].actual;
            s->host_free[s->n] = host->free;
            s->n++;
        }
        if (now == TH_S(10)) targets[i] = 12 * TH_GIB;
    }
    return BS_OK;
}

static const pol_type spy_type = {.name = "spy", .decide = spy_decide};

static void reports_show_a_moving_vm_at_the_report_instant(void **state)
{
    (void)state;
    scen *sc = th_load("duration: 2m\n"
                       "policy: static\n"
                       "hosts: [{memory: 64GiB, vms: [\n"
                       "  {name: db, memory: 3GiB, balloon: {enabled: false}, workload: {type: constant, size: 3GiB}},\n"
                       "  {name: big, memory: 12GiB, start_memory: 2GiB, swap: 8GiB,\n"
                       "   balloon: {latency: 0s, deflate_rate: 100MiB/s},\n"
                       "   workload: {type: constant, size: 8GiB}}]}]\n");
    assert_null(sc->policy.cfg);
    spy rec = {0};
    sc->policy.type = &spy_type;
    sc->policy.cfg = &rec;
    sc->policy.interval = TH_S(10);
    sc->policy.stats_interval = TH_S(2);
    eng_result res;
    assert_int_equal(eng_run(sc, NULL, &res), BS_OK);
    sc->policy.cfg = NULL;
    /* the move: from 10 s at 100 MiB/s until A = T = 12 GiB (102.4 s later);
     * H follows A up to the 8 GiB the guest uses */
    size_t checked = 0;
    for (size_t k = 0; k < rec.n; k++) {
        double secs = bs_time_to_s(rec.t[k]) - 10.0;
        double A = 2.0 * TH_GIB + BS_MIN(BS_MAX(secs, 0.0) * 100.0, 10.0 * 1024) * 1024 * 1024;
        double H = BS_MIN(A, 8.0 * TH_GIB);
        if (secs > 0 && secs < 102.4) checked++;
        if (!(fabs((double)rec.actual[k] - A) < 4096.5)) fail_msg("at %.3f s: actual %lld, want %.0f", bs_time_to_s(rec.t[k]), (long long)rec.actual[k], A);
        assert_true(fabs((double)rec.host_free[k] - (64.0 * TH_GIB - 3.0 * TH_GIB - H)) < 4096.5);
    }
    assert_true(checked >= 9); /* ticks at 20 .. 110 s fall inside the move */
    eng_result_free(&res);
    scen_free(sc);
}

static void stuck_driver_ignores_targets_until_window_ends(void **state)
{
    (void)state;
    scen *sc = th_load(
        "duration: 1h\n"
        "policy: {name: scripted, params: {targets: [{at: 2m, vm: v, target: 4GiB}]}}\n"
        "hosts: [{memory: 64GiB, vms: [{name: v, memory: 8GiB,\n"
        "  balloon: {stuck: [{at: 1m, for: 10m}]},\n"
        "  workload: {type: constant, size: 1GiB}}]}]\n");
    th_capture cap;
    eng_result res;
    th_run(sc, &cap, &res);
    assert_int_equal(one_event(&cap, "v", "stuck_begin")->t, TH_S(60));
    assert_int_equal(one_event(&cap, "v", "stuck_end")->t, TH_S(660));
    const eng_event *r = one_event(&cap, "v", "reached");
    assert_int_equal(r->t, TH_S(660) + TH_S(16));
    assert_true(fabs(res.vms[0].v[MET_REACH_P50] - (660 + 16 - 120)) < 1e-9);
    eng_result_free(&res);
    th_capture_free(&cap);
    scen_free(sc);
}

static void newer_target_redirects_moving_driver_without_latency(void **state)
{
    (void)state;
    scen *sc = th_load(
        "duration: 1h\n"
        "policy: {name: scripted, params: {targets: [{at: 0s, vm: v, target: 4GiB},\n"
        "                                            {at: 5100ms, vm: v, target: 6GiB}]}}\n"
        "hosts: [{memory: 64GiB, vms: [{name: v, memory: 8GiB,\n"
        "  balloon: {latency: 100ms, inflate_rate: 1GiB/s, deflate_rate: 1GiB/s},\n"
        "  workload: {type: constant, size: 1GiB}}]}]\n");
    th_capture cap;
    eng_result res;
    th_run(sc, &cap, &res);
    const eng_event *r[4];
    /* first move ends at 4.1 s (reached 4 GiB), second starts at 5.1 s with a new latency */
    assert_int_equal(th_find_events(&cap, "v", "reached", r, 4), 2);
    assert_int_equal(r[0]->t, TH_S(4.1));
    assert_int_equal(r[1]->t, TH_S(5.1) + TH_S(0.1) + TH_S(2));
    eng_result_free(&res);
    th_capture_free(&cap);
    scen_free(sc);
    /* a change while moving: redirected at once */
    sc = th_load("duration: 1h\n"
                 "policy: {name: scripted, params: {targets: [{at: 0s, vm: v, target: 2GiB},\n"
                 "                                            {at: 2100ms, vm: v, target: 7GiB}]}}\n"
                 "hosts: [{memory: 64GiB, vms: [{name: v, memory: 8GiB,\n"
                 "  balloon: {latency: 100ms, inflate_rate: 1GiB/s, deflate_rate: 1GiB/s},\n"
                 "  workload: {type: constant, size: 1GiB}}]}]\n");
    th_run(sc, &cap, &res);
    assert_int_equal(th_find_events(&cap, "v", "reached", r, 4), 1);
    /* at 2.1 s A = 6 GiB; up 1 GiB to 7 GiB at 1 GiB/s, no second latency */
    assert_int_equal(r[0]->t, TH_S(3.1));
    eng_result_free(&res);
    th_capture_free(&cap);
    scen_free(sc);
}

static void disabled_balloon_keeps_full_memory(void **state)
{
    (void)state;
    scen *sc = th_load("duration: 1h\n"
                       "policy: {name: proportional, interval: 10s}\n"
                       "hosts: [{memory: 16GiB, reserved: 1GiB, vms: [\n"
                       "  {name: db, memory: 8GiB, start_memory: 2GiB, balloon: {enabled: false},\n"
                       "   workload: {type: constant, size: 6GiB}},\n"
                       "  {name: web, count: 2, memory: 8GiB, workload: {type: constant, size: 2GiB}}]}]\n");
    th_capture cap;
    eng_result res;
    th_run(sc, &cap, &res);
    assert_int_equal(th_find_events(&cap, "db", "target", NULL, 0), 0);
    for (size_t i = 0; i < cap.n_vm_rows; i++) {
        const eng_vm_sample *r = &cap.vm_rows[i];
        if (strcmp(r->vm, "db") == 0) {
            assert_int_equal(r->actual, 8 * TH_GIB);
            assert_int_equal(r->target, 8 * TH_GIB);
        }
    }
    /* proportional: (16 - 1 - 8) GiB split over the two web VMs */
    const eng_event *t = one_event(&cap, "web-1", "target");
    assert_int_equal(t->value, 7 * TH_GIB / 2);
    assert_int_equal(res.run.v[MET_GUEST_SWAP_OUT_BYTES], 0);
    eng_result_free(&res);
    th_capture_free(&cap);
    scen_free(sc);
}

static void free_page_reporting_returns_freed_memory(void **state)
{
    (void)state;
    scen *sc = th_load(
        "duration: 10m\n"
        "sample_interval: 1s\n"
        "policy: static\n"
        "hosts: [{memory: 64GiB, vms: [{name: v, memory: 8GiB,\n"
        "  balloon: {free_page_reporting: true, reporting_delay: 2s},\n"
        "  workload: {type: steps, steps: [{at: 0s, size: 6GiB}, {at: 60s, size: 1025MiB}]}}]}]\n");
    th_capture cap;
    eng_result res;
    th_run(sc, &cap, &res);
    for (size_t i = 0; i < cap.n_vm_rows; i++) {
        const eng_vm_sample *r = &cap.vm_rows[i];
        if (r->t < TH_S(62)) assert_int_equal(r->resident, 6 * TH_GIB);
        /* 4.999 GiB freed: reported in whole 2 MiB blocks, 1 MiB stays behind */
        if (r->t >= TH_S(62)) assert_int_equal(r->resident, 1026 * TH_MIB);
    }
    eng_result_free(&res);
    th_capture_free(&cap);
    scen_free(sc);
    /* without reporting, the host keeps backing what the guest touched once */
    sc = th_load("duration: 10m\n"
                 "policy: static\n"
                 "hosts: [{memory: 64GiB, vms: [{name: v, memory: 8GiB,\n"
                 "  workload: {type: steps, steps: [{at: 0s, size: 6GiB}, {at: 60s, size: 1GiB}]}}]}]\n");
    th_run(sc, &cap, &res);
    assert_int_equal(cap.vm_rows[cap.n_vm_rows - 1].resident, 6 * TH_GIB);
    eng_result_free(&res);
    th_capture_free(&cap);
    scen_free(sc);
}

static const char *busy_host =
    "duration: 6h\n"
    "seed: 7\n"
    "sample_interval: 30s\n"
    "policy: {name: proportional, interval: 10s}\n"
    "hosts:\n"
    "  - {name: node, count: 2, memory: 24GiB, reserved: 1GiB, swap: 4GiB,\n"
    "     ksm: {enabled: true, sharing: 10%},\n"
    "     vms: [\n"
    "      {name: web, count: 4, memory: 6GiB, min: 1GiB, swap: 1GiB,\n"
    "       workload: {type: diurnal, base: 1GiB, peak: 5GiB, period: 2h, peak_at: 1h, noise: 10%,\n"
    "                  cache: 512MiB}},\n"
    "      {name: db, memory: 8GiB, balloon: {enabled: false}, workload: {type: constant, size: 6GiB}},\n"
    "      {name: batch, memory: 8GiB, min: 2GiB, start: 1h, stop: 5h, swap: 2GiB,\n"
    "       balloon: {driver: vmware, stuck: [{at: 2h, for: 20m}]},\n"
    "       workload: {type: steps, steps: [{at: 0s, size: 2GiB}, {at: 3h, size: 7GiB}]}}]}\n";

/* docs/model.md properties 1 and 2 on every sample of a busy, overcommitted run. */
static void properties_hold_on_every_sample(void **state)
{
    (void)state;
    scen *sc = th_load(busy_host);
    th_capture cap;
    eng_result res;
    th_run(sc, &cap, &res);
    assert_true(cap.n_vm_rows > 0);
    for (size_t i = 0; i < cap.n_vm_rows; i++) {
        const eng_vm_sample *r = &cap.vm_rows[i];
        size_t v = scen_find_vm(sc, r->vm);
        assert_true(v != SIZE_MAX);
        const scen_vm *c = &sc->vms[v];
        if (r->actual == 0) continue; /* off or down */
        int64_t M = bs_pages_to_bytes(c->memory), m = bs_pages_to_bytes(c->min);
        assert_true(r->target >= m && r->target <= M);
        assert_true(r->actual >= m - 1 && r->actual <= M + 1);
        assert_true(r->resident <= r->actual + 1);
        if (!c->balloon.enabled) assert_int_equal(r->actual, M);
        assert_true(r->stall >= 0 && r->stall <= 1);
    }
    /* per host and sample: used + free = memory, used + X = reserved + sum H (1 - s) */
    for (size_t i = 0; i < cap.n_host_rows; i++) {
        const eng_host_sample *h = &cap.host_rows[i];
        const scen_host *hc = NULL;
        for (size_t k = 0; k < sc->n_hosts; k++)
            if (strcmp(sc->hosts[k].name, h->host) == 0) hc = &sc->hosts[k];
        assert_non_null(hc);
        assert_int_equal(h->used + h->free, bs_pages_to_bytes(hc->memory));
        double sum = 0;
        for (size_t j = 0; j < cap.n_vm_rows; j++)
            if (cap.vm_rows[j].t == h->t && strcmp(cap.vm_rows[j].host, h->host) == 0)
                sum += (double)cap.vm_rows[j].resident;
        double rhs = (double)bs_pages_to_bytes(hc->reserved) + sum * (1 - hc->ksm_sharing);
        assert_true(fabs((double)(h->used + h->swapped) - rhs) <= 1.0);
    }
    eng_result_free(&res);
    th_capture_free(&cap);
    scen_free(sc);
}

/* Property 3: a host that fits every VM's maximum never swaps; under static a VM
 * swaps only while D > start_memory.  Property 5: static never sets targets. */
static void roomy_host_never_swaps_and_static_never_targets(void **state)
{
    (void)state;
    scen *sc = th_load("duration: 4h\n"
                       "policy: static\n"
                       "hosts: [{memory: 32GiB, reserved: 2GiB, vms: [\n"
                       "  {name: w, count: 3, memory: 10GiB, start_memory: 3GiB, swap: 8GiB,\n"
                       "   workload: {type: diurnal, base: 1GiB, peak: 6GiB, period: 2h, noise: 20%}}]}]\n");
    th_capture cap;
    eng_result res;
    th_run(sc, &cap, &res);
    assert_int_equal(res.run.v[MET_HOST_SWAP_OUT_BYTES], 0);
    assert_int_equal(res.run.v[MET_HOST_OOM_KILLS], 0);
    assert_int_equal(th_find_events(&cap, NULL, "target", NULL, 0), 0);
    size_t swapping = 0;
    for (size_t i = 0; i < cap.n_vm_rows; i++) {
        const eng_vm_sample *r = &cap.vm_rows[i];
        assert_int_equal(r->host_swapped, 0);
        assert_int_equal(r->target, 3 * TH_GIB);
        assert_int_equal(r->guest_swapped > 0, r->demand > 3 * TH_GIB);
        swapping += r->guest_swapped > 0;
    }
    assert_true(swapping > 0); /* the case is not vacuous */
    eng_result_free(&res);
    th_capture_free(&cap);
    scen_free(sc);
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 1099511628211ULL;
    return h;
}

static uint64_t digest(const th_capture *c, const eng_result *res)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < c->n_vm_rows; i++) {
        const eng_vm_sample *r = &c->vm_rows[i];
        h = fnv(h, &r->t, sizeof r->t);
        h = fnv(h, &r->demand, 7 * sizeof r->demand);
        h = fnv(h, &r->stall, sizeof r->stall);
    }
    for (size_t i = 0; i < c->n_events; i++) {
        h = fnv(h, &c->events[i].t, sizeof c->events[i].t);
        h = fnv(h, &c->events[i].value, sizeof c->events[i].value);
        h = fnv(h, c->events[i].event, strlen(c->events[i].event));
    }
    h = fnv(h, res->run.v, sizeof res->run.v);
    return h;
}

static void same_seed_same_results_other_seed_other_demand(void **state)
{
    (void)state;
    scen *sc = th_load(busy_host);
    th_capture a, b;
    eng_result ra, rb;
    th_run(sc, &a, &ra);
    th_run(sc, &b, &rb);
    assert_true(a.n_events > 10);
    assert_int_equal(digest(&a, &ra), digest(&b, &rb));
    eng_result_free(&rb);
    th_capture_free(&b);
    scen_free(sc);
    /* another seed changes the noise */
    char *other = strdup(busy_host);
    memcpy(strstr(other, "seed: 7"), "seed: 8", 7);
    sc = th_load(other);
    th_run(sc, &b, &rb);
    assert_int_not_equal(digest(&a, &ra), digest(&b, &rb));
    free(other);
    eng_result_free(&ra);
    eng_result_free(&rb);
    th_capture_free(&a);
    th_capture_free(&b);
    scen_free(sc);
}

/* Common random numbers: a VM's demand does not depend on the policy. */
static void demand_is_the_same_under_every_policy(void **state)
{
    (void)state;
    const char *policies[] = {"static", "proportional"};
    int64_t *demand[2] = {NULL, NULL};
    size_t n[2];
    for (int p = 0; p < 2; p++) {
        char yaml[2048];
        snprintf(yaml, sizeof yaml,
                 "duration: 3h\npolicy: %s\nseed: 3\n"
                 "hosts: [{memory: 16GiB, vms: [{name: w, count: 3, memory: 8GiB, swap: 2GiB,\n"
                 "  workload: {type: diurnal, base: 1GiB, peak: 7GiB, period: 1h, noise: 30%%}}]}]\n",
                 policies[p]);
        scen *sc = th_load(yaml);
        th_capture cap;
        eng_result res;
        th_run(sc, &cap, &res);
        n[p] = cap.n_vm_rows;
        demand[p] = malloc(n[p] * sizeof **demand);
        size_t k = 0;
        for (size_t i = 0; i < cap.n_vm_rows; i++)
            /* compare only while up: a guest OOM kill zeroes demand */
            demand[p][k++] = cap.vm_rows[i].stall < 1 ? cap.vm_rows[i].demand : -1;
        eng_result_free(&res);
        th_capture_free(&cap);
        scen_free(sc);
    }
    assert_int_equal(n[0], n[1]);
    size_t compared = 0;
    for (size_t i = 0; i < n[0]; i++) {
        if (demand[0][i] < 0 || demand[1][i] < 0) continue;
        assert_int_equal(demand[0][i], demand[1][i]);
        compared++;
    }
    assert_true(compared > n[0] / 2);
    free(demand[0]);
    free(demand[1]);
}

static void warmup_discards_early_kills(void **state)
{
    (void)state;
    scen *sc = th_load("duration: 1h\nwarmup: 10m\n"
                       "policy: static\n"
                       "hosts: [{memory: 64GiB, vms: [{name: v, memory: 4GiB, restart_delay: 1m,\n"
                       "  workload: {type: steps, steps: [{at: 0s, size: 1GiB}, {at: 5m, size: 5GiB},\n"
                       "                                  {at: 6m, size: 1GiB}, {at: 30m, size: 5GiB},\n"
                       "                                  {at: 31m, size: 1GiB}]}}]}]\n");
    th_capture cap;
    eng_result res;
    th_run(sc, &cap, &res);
    /* Each spike kills twice: the restart at the spike's end runs before the
     * demand change of the same instant (lifecycle events come first), finds
     * 5 GiB still, and is killed again.  Only the kills after warmup count. */
    const eng_event *k[4];
    assert_int_equal(th_find_events(&cap, "v", "guest_oom", k, 4), 4);
    assert_int_equal(k[1]->t, TH_S(360));
    assert_int_equal(k[2]->t, TH_S(1800));
    assert_int_equal(res.vms[0].v[MET_GUEST_OOM_KILLS], 2);
    assert_true(fabs(res.vms[0].v[MET_DOWNTIME_S] - 120) < 1e-9);
    eng_result_free(&res);
    th_capture_free(&cap);
    scen_free(sc);
}

static void vm_lifecycle_start_stop_and_samples_off(void **state)
{
    (void)state;
    scen *sc = th_load("duration: 1h\nsample_interval: 10m\n"
                       "policy: static\n"
                       "hosts: [{memory: 64GiB, vms: [{name: v, memory: 4GiB, start: 15m, stop: 35m,\n"
                       "  workload: {type: constant, size: 1GiB}}]}]\n");
    th_capture cap;
    eng_result res;
    th_run(sc, &cap, &res);
    assert_int_equal(one_event(&cap, "v", "start")->t, TH_S(900));
    assert_int_equal(one_event(&cap, "v", "stop")->t, TH_S(2100));
    assert_int_equal(cap.n_vm_rows, 7); /* 0, 10, ..., 60 min */
    for (size_t i = 0; i < cap.n_vm_rows; i++) {
        bool on = cap.vm_rows[i].t >= TH_S(900) && cap.vm_rows[i].t < TH_S(2100);
        assert_int_equal(cap.vm_rows[i].actual, on ? 4 * TH_GIB : 0);
        assert_int_equal(cap.vm_rows[i].demand, on ? TH_GIB : 0);
    }
    eng_result_free(&res);
    th_capture_free(&cap);
    scen_free(sc);
}

static void target_below_floor_is_clamped_to_min(void **state)
{
    (void)state;
    scen *sc = th_load(
        "duration: 1h\n"
        "policy: {name: scripted, params: {targets: [{at: 0s, vm: v, target: 512MiB}]}}\n"
        "hosts: [{memory: 64GiB, vms: [{name: v, memory: 4GiB, min: 1GiB,\n"
        "  workload: {type: constant, size: 256MiB}}]}]\n");
    th_capture cap;
    eng_result res;
    th_run(sc, &cap, &res);
    assert_int_equal(one_event(&cap, "v", "target")->value, TH_GIB);
    assert_int_equal(one_event(&cap, "v", "reached")->value, TH_GIB);
    eng_result_free(&res);
    th_capture_free(&cap);
    scen_free(sc);
}

static void a_change_to_current_actual_is_reached_at_once(void **state)
{
    (void)state;
    scen *sc = th_load(
        "duration: 1h\n"
        "policy: {name: scripted, params: {targets: [{at: 1m, vm: v, target: 2GiB},\n"
        "                                            {at: 2m, vm: v, target: 4GiB}]}}\n"
        "hosts: [{memory: 64GiB, vms: [{name: v, memory: 4GiB, start_memory: 2GiB,\n"
        "  workload: {type: constant, size: 256MiB}}]}]\n");
    th_capture cap;
    eng_result res;
    th_run(sc, &cap, &res);
    /* T starts at 2 GiB: the first entry changes nothing; the second moves 2 GiB */
    const eng_event *r[4];
    assert_int_equal(th_find_events(&cap, "v", "target", r, 4), 1);
    assert_int_equal(th_find_events(&cap, "v", "reached", r, 4), 1);
    assert_int_equal(r[0]->t, TH_S(120.1) + TH_S(2));
    eng_result_free(&res);
    th_capture_free(&cap);
    scen_free(sc);
}

/* A new target equal to the actual size, set while the driver moves towards
 * an older one, stops the driver where it is (found by the squeeze tests: the
 * motion used to go on past the VM's max). */
static void redirect_to_current_actual_stops_the_motion(void **state)
{
    (void)state;
    scen *sc = th_load("duration: 30s\nsample_interval: 1s\n"
                       "policy: {name: scripted, params: {targets: [{at: 10s, vm: a, target: 5GiB},\n"
                       "                                            {at: 11s, vm: a, target: 4GiB}]}}\n"
                       "hosts: [{memory: 64GiB, vms: [{name: a, memory: 6GiB, start_memory: 4GiB, swap: 8GiB,\n"
                       "  balloon: {driver: xen}, workload: {type: constant, size: 6GiB}}]}]\n");
    th_capture cap;
    eng_result res;
    th_run(sc, &cap, &res);
    /* xen: 1 s latency, so at 11 s the driver is just starting to move: A = 4 GiB */
    for (size_t i = 0; i < cap.n_vm_rows; i++) {
        assert_true(cap.vm_rows[i].actual <= 6 * TH_GIB);
        if (cap.vm_rows[i].t >= TH_S(11)) assert_int_equal(cap.vm_rows[i].actual, 4 * TH_GIB);
    }
    eng_result_free(&res);
    th_capture_free(&cap);
    scen_free(sc);
}

/* The hyperv guest keeps available memory above hv_balloon's floor, computed
 * from its current RAM (which the balloon shrinks): with D = 1 GiB the balloon
 * stops where A - 1 GiB = 104 MiB + A/8, at A = 1128/0.875 MiB. */
static void hyperv_guest_stops_at_the_hv_balloon_floor(void **state)
{
    (void)state;
    scen *sc = th_load("duration: 1m\nsample_interval: 10s\n"
                       "policy: {name: scripted, params: {targets: [{at: 0s, vm: w, target: 512MiB}]}}\n"
                       "hosts: [{memory: 64GiB, vms: [{name: w, memory: 4GiB, swap: 2GiB,\n"
                       "  balloon: {driver: hyperv, latency: 0s},\n"
                       "  workload: {type: constant, size: 1GiB}}]}]\n");
    th_capture cap;
    eng_result res;
    th_run(sc, &cap, &res);
    double want = 1128.0 / 0.875 * TH_MIB;
    const eng_vm_sample *last = &cap.vm_rows[cap.n_vm_rows - 1];
    assert_true(fabs((double)last->actual - want) < 4096);
    assert_int_equal(last->guest_swapped, 0);
    assert_int_equal(th_find_events(&cap, "w", "reached", NULL, 0), 0);
    eng_result_free(&res);
    th_capture_free(&cap);
    scen_free(sc);
}

/* A report after a target change shows the new target even when nothing else
 * about the VM moved yet (its driver's latency is longer than the report
 * interval): stats reports may reuse an unchanged VM's last report, but never
 * with a stale target. */
typedef struct target_probe {
    int64_t seen[8];
    size_t n;
} target_probe;

static bs_rc tprobe_state_new(const void *cfg, size_t host, void **state)
{
    (void)host;
    *state = (void *)cfg;
    return BS_OK;
}

static bs_rc tprobe_decide(const void *cfg, void *state, bs_time now, const pol_host_view *host,
                           const pol_vm_view *vms, size_t n, int64_t *targets)
{
    (void)cfg, (void)now, (void)host;
    target_probe *p = state;
    assert_int_equal(n, 1);
    if (p->n < 8) p->seen[p->n++] = vms[0].target;
    targets[0] = 2 * TH_GIB; /* the same target every tick */
    return BS_OK;
}

static void reports_show_a_new_target_of_an_unmoving_vm(void **state)
{
    (void)state;
    scen *sc = th_load("duration: 1m\n"
                       "policy: {name: proportional, interval: 10s, stats_interval: 10s}\n"
                       "hosts: [{memory: 64GiB, vms: [{name: v, memory: 8GiB,\n"
                       "  balloon: {latency: 30s},\n"
                       "  workload: {type: constant, size: 1GiB}}]}]\n");
    target_probe probe = {{0}, 0};
    pol_type probe_type = {.name = "tprobe", .default_interval = TH_S(10),
                           .state_new = tprobe_state_new, .decide = tprobe_decide};
    const pol_type *saved_type = sc->policy.type;
    void *saved_cfg = sc->policy.cfg;
    sc->policy.type = &probe_type;
    sc->policy.cfg = &probe;
    eng_result res;
    assert_int_equal(eng_run(sc, NULL, &res), BS_OK);
    assert_true(probe.n >= 3);
    assert_int_equal(probe.seen[0], 8 * TH_GIB); /* before the first target */
    for (size_t i = 1; i < probe.n; i++) assert_int_equal(probe.seen[i], 2 * TH_GIB);
    sc->policy.type = saved_type;
    sc->policy.cfg = saved_cfg;
    eng_result_free(&res);
    scen_free(sc);
}

/* Pages a guest OOM kill frees, or deflate on OOM keeps in memory, never went
 * to guest swap: only what fits in swap counts as swapped out. */
static void swap_out_counts_only_what_swap_holds(void **state)
{
    (void)state;
    scen *sc = th_load("duration: 10m\npolicy: static\n"
                       "hosts: [{memory: 64GiB, vms: [{name: v, memory: 1GiB, restart_delay: 1h,\n"
                       "  workload: {type: steps, steps: [{at: 0s, size: 512MiB}, {at: 1m, size: 2GiB}]}}]}]\n");
    th_capture cap;
    eng_result res;
    th_run(sc, &cap, &res);
    assert_int_equal(res.vms[0].v[MET_GUEST_OOM_KILLS], 1);
    assert_int_equal(res.vms[0].v[MET_GUEST_SWAP_OUT_BYTES], 0);
    eng_result_free(&res);
    th_capture_free(&cap);
    scen_free(sc);
    sc = th_load("duration: 10m\n"
                 "policy: {name: scripted, params: {targets: [{at: 0s, vm: v, target: 512MiB}]}}\n"
                 "hosts: [{memory: 64GiB, vms: [{name: v, memory: 2GiB, swap: 256MiB,\n"
                 "  balloon: {deflate_on_oom: true, latency: 0s},\n"
                 "  workload: {type: steps, steps: [{at: 0s, size: 128MiB}, {at: 1m, size: 1GiB}]}}]}]\n");
    th_run(sc, &cap, &res);
    /* A = 512 MiB; D = 1 GiB: the guest takes 256 MiB back (A = 768 MiB) and
     * 256 MiB, all the swap it has, goes out */
    assert_int_equal(one_event(&cap, "v", "deflate_on_oom")->value, 256 * TH_MIB);
    assert_int_equal(res.vms[0].v[MET_GUEST_OOM_KILLS], 0);
    assert_int_equal(res.vms[0].v[MET_GUEST_SWAP_OUT_BYTES], 256 * TH_MIB);
    eng_result_free(&res);
    th_capture_free(&cap);
    scen_free(sc);
}

/* The oracle's window on the truth: peak demand over [now, now + 10 min]
 * from a generator running ahead, asked by a test policy at every tick. */
typedef struct truth_probe {
    bs_time at[8];
    int64_t peak[8], cache[8];
    size_t n;
} truth_probe;

static bs_rc probe_state_new(const void *cfg, size_t host, void **state)
{
    (void)host;
    *state = (void *)cfg; /* the probe record itself */
    return BS_OK;
}

static bs_rc probe_decide(const void *cfg, void *state, bs_time now, const pol_host_view *host,
                          const pol_vm_view *vms, size_t n, int64_t *targets)
{
    (void)cfg, (void)targets;
    truth_probe *p = state;
    assert_non_null(host->truth);
    assert_int_equal(n, 1);
    if (p->n < 8) {
        p->at[p->n] = now;
        p->peak[p->n] = host->truth->peak_demand(host->truth->ctx, vms[0].vm, now, now + TH_S(600));
        p->cache[p->n] = host->truth->peak_cache(host->truth->ctx, vms[0].vm, now, now + TH_S(600));
        p->n++;
    }
    return BS_OK;
}

static void truth_gives_future_peaks(void **state)
{
    (void)state;
    scen *sc = th_load("duration: 20m\n"
                       "policy: {name: proportional, interval: 1m}\n"
                       "hosts: [{memory: 64GiB, vms: [{name: v, memory: 8GiB,\n"
                       "  workload: {type: steps, steps: [{at: 0s, size: 1GiB}, {at: 5m, size: 3GiB},\n"
                       "                                  {at: 12m, size: 2GiB}], cache: 512MiB}}]}]\n");
    truth_probe probe = {0};
    pol_type probe_type = {.name = "probe", .default_interval = TH_S(60), .state_new = probe_state_new,
                           .decide = probe_decide, .needs_truth = true};
    const pol_type *saved_type = sc->policy.type;
    sc->policy.type = &probe_type;
    void *saved_cfg = sc->policy.cfg;
    sc->policy.cfg = &probe;
    eng_result res;
    assert_int_equal(eng_run(sc, NULL, &res), BS_OK);
    assert_true(probe.n >= 8);
    /* ticks at 1, 2, ... min: the window [t, t + 10 min] sees 3 GiB until the
     * 12 min change leaves it behind */
    for (size_t i = 0; i < probe.n; i++) {
        assert_int_equal(probe.at[i], TH_S(60.0 * (double)(i + 1)));
        assert_int_equal(probe.peak[i], 3 * TH_GIB);
        assert_int_equal(probe.cache[i], 512 * TH_MIB);
    }
    sc->policy.cfg = saved_cfg;
    sc->policy.type = saved_type;
    eng_result_free(&res);
    scen_free(sc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(target_reached_after_latency_plus_delta_over_rate),
        cmocka_unit_test(deflation_uses_deflate_rate),
        cmocka_unit_test(inflation_takes_free_then_cache_at_reclaim_rate),
        cmocka_unit_test(full_swap_blocks_inflation_until_demand_falls),
        cmocka_unit_test(inflation_into_working_set_swaps_and_stalls),
        cmocka_unit_test(stall_formula_with_locality),
        cmocka_unit_test(guest_oom_kills_and_restarts),
        cmocka_unit_test(deflate_on_oom_gives_pages_back),
        cmocka_unit_test(host_overcommit_swaps_then_oom_kills_largest),
        cmocka_unit_test(host_oom_victim_is_chosen_by_h_at_that_instant),
        cmocka_unit_test(reports_show_a_moving_vm_at_the_report_instant),
        cmocka_unit_test(stuck_driver_ignores_targets_until_window_ends),
        cmocka_unit_test(newer_target_redirects_moving_driver_without_latency),
        cmocka_unit_test(disabled_balloon_keeps_full_memory),
        cmocka_unit_test(free_page_reporting_returns_freed_memory),
        cmocka_unit_test(properties_hold_on_every_sample),
        cmocka_unit_test(roomy_host_never_swaps_and_static_never_targets),
        cmocka_unit_test(same_seed_same_results_other_seed_other_demand),
        cmocka_unit_test(demand_is_the_same_under_every_policy),
        cmocka_unit_test(warmup_discards_early_kills),
        cmocka_unit_test(vm_lifecycle_start_stop_and_samples_off),
        cmocka_unit_test(target_below_floor_is_clamped_to_min),
        cmocka_unit_test(a_change_to_current_actual_is_reached_at_once),
        cmocka_unit_test(truth_gives_future_peaks),
        cmocka_unit_test(swap_out_counts_only_what_swap_holds),
        cmocka_unit_test(reports_show_a_new_target_of_an_unmoving_vm),
        cmocka_unit_test(hyperv_guest_stops_at_the_hv_balloon_floor),
        cmocka_unit_test(redirect_to_current_actual_stops_the_motion),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
