/* test_engine_scopes.c -- the engine's groups and windows (cli.md, "Groups
 * and windows"): group sums equal the run, a window over the whole run is the
 * run, windows over known episodes, repeating windows add up, and what
 * happens at an edge belongs to the window that starts there. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "sim/engine.h"
#include "tests/helpers.h"

static const met_values *scope(const eng_result *r, const char *group, const char *window)
{
    const met_values *v = met_set_find(&r->scopes, group, window);
    if (!v) fail_msg("no scope %s / %s", group ? group : "-", window ? window : "-");
    return v;
}

static void close_to(double got, double want, const char *what)
{
    double tol = 1e-9 * fmax(1.0, fabs(want));
    if (!(fabs(got - want) <= tol)) fail_msg("%s: got %.17g, want %.17g", what, got, want);
}

#define TWO_GROUPS                                                                              \
    "hosts:\n"                                                                                  \
    "  - name: node\n"                                                                          \
    "    count: 2\n"                                                                            \
    "    memory: 16GiB\n"                                                                       \
    "    swap: 4GiB\n"                                                                          \
    "    vms:\n"                                                                                \
    "      - {name: db, count: 2, memory: 6GiB, balloon: {enabled: false},\n"                   \
    "         workload: {type: diurnal, base: 2GiB, peak: 5GiB, peak_at: 14h, noise: 5%}}\n"    \
    "      - {name: web, count: 3, memory: 6GiB, min: 1GiB, swap: 1GiB,\n"                      \
    "         workload: {type: diurnal, base: 1GiB, peak: 5GiB, peak_at: 14h, noise: 5%}}\n"

static const met_id additive[] = {MET_GUEST_OOM_KILLS,      MET_HOST_OOM_KILLS,
                                  MET_DOWNTIME_S,           MET_STALL_S,
                                  MET_GUEST_SWAP_OUT_BYTES, MET_GUEST_SWAP_IN_BYTES,
                                  MET_HOST_SWAP_OUT_BYTES,  MET_BALLOON_TRAFFIC_BYTES};
#define N_ADDITIVE (sizeof additive / sizeof additive[0])

static void groups_are_vms_items_across_hosts_and_add_up(void **state)
{
    (void)state;
    scen *sc = th_load("duration: 48h\nseed: 3\npolicy: proportional\n" TWO_GROUPS);
    assert_int_equal(sc->n_groups, 2);
    assert_string_equal(sc->groups[0].name, "db");
    assert_string_equal(sc->groups[1].name, "web");
    assert_int_equal(sc->groups[0].n_vms, 4); /* 2 per host, 2 hosts */
    assert_int_equal(sc->groups[1].n_vms, 6);
    assert_string_equal(sc->vms[sc->groups[0].vms[2]].name, "node-2.db-1");
    eng_result res;
    assert_int_equal(eng_run(sc, NULL, &res), BS_OK);
    assert_int_equal(res.scopes.n, 3); /* run, db, web; no windows */
    assert_null(res.scopes.s[0].group);
    assert_memory_equal(&res.scopes.s[0].v, &res.run, sizeof res.run);
    const met_values *db = scope(&res, "db", NULL), *web = scope(&res, "web", NULL);
    /* the case must not be trivial: something to add up */
    assert_true(res.run.v[MET_STALL_S] > 0);
    assert_true(res.run.v[MET_BALLOON_TRAFFIC_BYTES] > 0);
    for (size_t k = 0; k < N_ADDITIVE; k++)
        close_to(db->v[additive[k]] + web->v[additive[k]], res.run.v[additive[k]], met_info_get(additive[k])->name);
    /* disabled balloons never move */
    assert_true(db->v[MET_BALLOON_TRAFFIC_BYTES] == 0);
    /* host-only metrics have no meaning for a group */
    assert_false(db->present[MET_HOST_FREE_MIN_BYTES]);
    assert_false(db->present[MET_OVERCOMMIT_RATIO]);
    assert_false(db->present[MET_MEAN_HOST_USED_FRACTION]);
    assert_true(db->present[MET_FAIRNESS]);
    eng_result_free(&res);
    scen_free(sc);

    /* with the host swapping: the VMs' shares of its swap-out add up too */
    sc = th_load("duration: 24h\nseed: 3\npolicy: static\n" TWO_GROUPS);
    assert_int_equal(eng_run(sc, NULL, &res), BS_OK);
    assert_true(res.run.v[MET_HOST_SWAP_OUT_BYTES] > 0);
    db = scope(&res, "db", NULL);
    web = scope(&res, "web", NULL);
    for (size_t k = 0; k < N_ADDITIVE; k++)
        close_to(db->v[additive[k]] + web->v[additive[k]], res.run.v[additive[k]], met_info_get(additive[k])->name);
    double per_vm = 0;
    for (size_t i = 0; i < res.n_vms; i++) per_vm += res.vms[i].v[MET_HOST_SWAP_OUT_BYTES];
    close_to(per_vm, res.run.v[MET_HOST_SWAP_OUT_BYTES], "sum of the VMs' host_swap_out_bytes");
    eng_result_free(&res);
    scen_free(sc);
}

static void whole_run_window_is_the_run(void **state)
{
    (void)state;
    static const char *const heads[] = {
        "duration: 24h\nseed: 5\npolicy: proportional\nwindows: [{name: all, start: 0, end: 24h}]\n",
        "duration: 24h\nseed: 5\nwarmup: 2h\npolicy: mom\nwindows: [{name: all, start: 0, end: 7d}]\n",
        "duration: 24h\nseed: 5\npolicy: static\nwindows: [{name: all, start: 0, end: 1d, every: 1d}]\n",
    };
    for (size_t c = 0; c < sizeof heads / sizeof heads[0]; c++) {
        char yaml[4096];
        snprintf(yaml, sizeof yaml, "%s%s", heads[c], TWO_GROUPS);
        scen *sc = th_load(yaml);
        eng_result res;
        assert_int_equal(eng_run(sc, NULL, &res), BS_OK);
        const met_values *all = scope(&res, NULL, "all");
        for (int m = 0; m < MET_COUNT; m++) {
            assert_int_equal(all->present[m], res.run.present[m]);
            if (res.run.present[m] && all->v[m] != res.run.v[m])
                fail_msg("case %zu: %s@all = %.17g, run %.17g", c, met_info_get((met_id)m)->name, all->v[m],
                         res.run.v[m]);
        }
        for (size_t g = 0; g < sc->n_groups; g++) {
            const met_values *a = scope(&res, sc->groups[g].name, "all"), *b = scope(&res, sc->groups[g].name, NULL);
            for (int m = 0; m < MET_COUNT; m++) {
                assert_int_equal(a->present[m], b->present[m]);
                if (b->present[m]) assert_true(a->v[m] == b->v[m]);
            }
        }
        eng_result_free(&res);
        scen_free(sc);
    }
}

static void daily_window_over_two_days_is_its_two_days(void **state)
{
    (void)state;
    scen *sc = th_load("duration: 48h\nseed: 3\npolicy: proportional\n"
                       "windows:\n"
                       "  - {name: peak, start: 12h, end: 16h, every: 1d}\n"
                       "  - {name: day1, start: 12h, end: 16h}\n"
                       "  - {name: day2, start: 36h, end: 40h}\n" TWO_GROUPS);
    eng_result res;
    assert_int_equal(eng_run(sc, NULL, &res), BS_OK);
    /* run, 2 groups, and per window itself and 2 groups */
    assert_int_equal(res.scopes.n, 3 + 3 * 3);
    const met_values *p = scope(&res, NULL, "peak"), *d1 = scope(&res, NULL, "day1"),
                     *d2 = scope(&res, NULL, "day2");
    assert_true(p->v[MET_STALL_S] > 0);
    for (size_t k = 0; k < N_ADDITIVE; k++)
        close_to(p->v[additive[k]], d1->v[additive[k]] + d2->v[additive[k]], met_info_get(additive[k])->name);
    /* time averages: two equal halves average */
    close_to(p->v[MET_MEAN_HOST_USED_FRACTION],
             0.5 * (d1->v[MET_MEAN_HOST_USED_FRACTION] + d2->v[MET_MEAN_HOST_USED_FRACTION]), "used fraction");
    assert_true(p->v[MET_HOST_FREE_MIN_BYTES] == fmin(d1->v[MET_HOST_FREE_MIN_BYTES], d2->v[MET_HOST_FREE_MIN_BYTES]));
    /* within a window, groups add up too */
    const met_values *pd = scope(&res, "db", "peak"), *pw = scope(&res, "web", "peak");
    for (size_t k = 0; k < N_ADDITIVE; k++)
        close_to(pd->v[additive[k]] + pw->v[additive[k]], p->v[additive[k]], met_info_get(additive[k])->name);
    /* the peak is where the stall is: more of it inside 8 h of windows than
     * outside them would be for an even spread (8 of 48 h) */
    assert_true(p->v[MET_STALL_S] > res.run.v[MET_STALL_S] * 8.0 / 48.0);
    eng_result_free(&res);
    scen_free(sc);
}

/* One VM, never ballooned: 4 GiB of memory, demand 6 GiB in [2h, 3h), so it
 * swaps 2 GiB for exactly that hour at a constant stall level. */
#define EPISODE                                                                                 \
    "hosts: [{memory: 64GiB, vms: [{name: solo, memory: 4GiB, swap: 4GiB,\n"                   \
    "  workload: {type: steps, touch_rate: 100, steps: [{at: 0s, size: 1GiB}, {at: 2h, size: 6GiB},\n" \
    "                                  {at: 3h, size: 1GiB}]}}]}]\n"

static void window_over_a_known_pressure_episode(void **state)
{
    (void)state;
    scen *sc = th_load("duration: 4h\npolicy: static\n"
                       "windows:\n"
                       "  - {name: before, start: 1h, end: 150m}\n"
                       "  - {name: after, start: 150m, end: 4h}\n"
                       "  - {name: quiet, start: 0, end: 2h}\n" EPISODE);
    eng_result res;
    assert_int_equal(eng_run(sc, NULL, &res), BS_OK);
    double level = res.run.v[MET_STALL_S] / 3600.0; /* the hour of swapping */
    assert_true(level > 0 && level < 1);
    const met_values *b = scope(&res, NULL, "before"), *a = scope(&res, NULL, "after"),
                     *q = scope(&res, NULL, "quiet");
    close_to(b->v[MET_STALL_S], level * 1800, "stall_s@before");
    close_to(a->v[MET_STALL_S], level * 1800, "stall_s@after");
    assert_true(q->v[MET_STALL_S] == 0);
    close_to(b->v[MET_PRESSURE_FRACTION], 1800.0 / 5400.0, "pressure_fraction@before");
    close_to(a->v[MET_PRESSURE_FRACTION], 1800.0 / 5400.0, "pressure_fraction@after");
    /* the episode starts in `before`: its whole hour belongs there */
    close_to(b->v[MET_RELIEF_MAX], 3600, "relief_max@before");
    assert_false(a->present[MET_RELIEF_MAX]);
    /* the swap-out happens at 2 h, inside `before` */
    close_to(b->v[MET_GUEST_SWAP_OUT_BYTES], 2.0 * TH_GIB, "swap out@before");
    assert_true(a->v[MET_GUEST_SWAP_OUT_BYTES] == 0);
    /* stall quantiles over the window's own time: half of `before` stalls */
    close_to(b->v[MET_STALL_P99], res.run.v[MET_STALL_P99], "stall_p99@before");
    assert_true(b->v[MET_STALL_P50] <= level + 1e-3);
    assert_true(q->v[MET_STALL_P99] == 0);
    eng_result_free(&res);
    scen_free(sc);
}

static void an_event_at_an_edge_belongs_to_the_window_that_starts_there(void **state)
{
    (void)state;
    /* at 2 h demand exceeds memory + swap: a guest OOM at exactly 2 h */
    scen *sc = th_load("duration: 4h\npolicy: static\n"
                       "windows:\n"
                       "  - {name: first, start: 1h, end: 2h}\n"
                       "  - {name: second, start: 2h, end: 3h}\n"
                       "hosts: [{memory: 64GiB, vms: [{name: solo, memory: 4GiB, swap: 1GiB,\n"
                       "  restart_delay: 30m,\n"
                       "  workload: {type: steps, steps: [{at: 0s, size: 1GiB}, {at: 2h, size: 6GiB}]}}]}]\n");
    eng_result res;
    assert_int_equal(eng_run(sc, NULL, &res), BS_OK);
    assert_true(res.run.v[MET_GUEST_OOM_KILLS] >= 1);
    const met_values *f = scope(&res, NULL, "first"), *s = scope(&res, NULL, "second");
    assert_true(f->v[MET_GUEST_OOM_KILLS] == 0);
    assert_true(s->v[MET_GUEST_OOM_KILLS] >= 1);
    assert_true(f->v[MET_DOWNTIME_S] == 0);
    assert_true(s->v[MET_DOWNTIME_S] >= 1800 - 1e-6);
    eng_result_free(&res);
    scen_free(sc);
}

static void windows_are_clipped_to_warmup_and_duration(void **state)
{
    (void)state;
    scen *sc = th_load("duration: 4h\nwarmup: 150m\npolicy: static\n"
                       "windows:\n"
                       "  - {name: early, start: 0, end: 1h}\n"
                       "  - {name: across, start: 2h, end: 3h}\n"
                       "  - {name: late, start: 5h, end: 6h}\n" EPISODE);
    eng_result res;
    assert_int_equal(eng_run(sc, NULL, &res), BS_OK);
    const met_values *e = scope(&res, NULL, "early"), *x = scope(&res, NULL, "across"),
                     *l = scope(&res, NULL, "late");
    /* nothing measured before warmup or after the end */
    assert_true(e->v[MET_STALL_S] == 0);
    assert_false(e->present[MET_STALL_P50]);
    assert_false(l->present[MET_STALL_P50]);
    /* `across` keeps [150m, 3h): the run's measured stall of that half hour */
    close_to(x->v[MET_STALL_S], res.run.v[MET_STALL_S], "stall_s@across");
    eng_result_free(&res);
    scen_free(sc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(groups_are_vms_items_across_hosts_and_add_up),
        cmocka_unit_test(whole_run_window_is_the_run),
        cmocka_unit_test(daily_window_over_two_days_is_its_two_days),
        cmocka_unit_test(window_over_a_known_pressure_episode),
        cmocka_unit_test(an_event_at_an_edge_belongs_to_the_window_that_starts_there),
        cmocka_unit_test(windows_are_clipped_to_warmup_and_duration),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
