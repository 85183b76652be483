/* test_fill.c -- the splits shared by `feedback` and `oracle` (policies/fill.c).
 *
 * Expected values are worked out by hand in each test from the formulas of
 * fill.h (with their derivation in fill.c): the stall split
 * x_i = clamp(d_i - mu d_i^2, lo_i, top_i), the even split of a step and
 * the water level by shares, and the pacing bound
 * sum max(actual_i, x_i) <= pool. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>

#include "policies/fill.h"

#define MiB (1024LL * 1024)
#define GiB (1024LL * MiB)
#define N 8

static int64_t sum(const int64_t *x, size_t n) {
    int64_t s = 0;
    for (size_t i = 0; i < n; i++) s += x[i];
    return s;
}

/* Unclamped: S_i = deficit * d_i^2 / sum d_j^2.  Demands 1, 2 and 3 GiB, a
 * pool 1.4 GiB short: shares of the shortfall 1/14, 4/14 and 9/14. */
static void test_stall_split_squares(void **s) {
    (void)s;
    int64_t lo[3] = {0, 0, 0}, hi[3] = {4 * GiB, 4 * GiB, 4 * GiB};
    int64_t d[3] = {1 * GiB, 2 * GiB, 3 * GiB}, x[3];
    pol_fill_ev ev[6];
    int64_t deficit = 14 * GiB / 10, pool = 6 * GiB - deficit;
    pol_fill_stall(lo, hi, d, 3, pool, ev, x);
    for (size_t i = 0; i < 3; i++) {
        double want = (double)d[i] - (double)deficit * (double)(d[i] / GiB * d[i] / GiB) / 14.0;
        assert_true(fabs((double)x[i] - want) <= 1.0);
    }
    assert_true(sum(x, 3) <= pool);
    assert_true(sum(x, 3) >= pool - 3);
}

/* The split really is the minimum: moving a MiB from any VM to another never
 * lowers sum ((d - x)/d)^2. */
static void test_stall_split_is_optimal(void **s) {
    (void)s;
    int64_t lo[4] = {256 * MiB, 512 * MiB, 0, 1 * GiB};
    int64_t hi[4] = {8 * GiB, 3 * GiB, 2 * GiB, 6 * GiB};
    int64_t d[4] = {5 * GiB, 3 * GiB, 1500 * MiB, 4 * GiB}, x[4];
    pol_fill_ev ev[8];
    int64_t pool = 9 * GiB;
    pol_fill_stall(lo, hi, d, 4, pool, ev, x);
    double best = 0;
    for (size_t i = 0; i < 4; i++) best += pow((double)(d[i] - x[i]) / (double)d[i], 2);
    for (size_t a = 0; a < 4; a++)
        for (size_t b = 0; b < 4; b++) {
            if (a == b || x[a] - MiB < lo[a] || x[b] + MiB > BS_MIN(hi[b], d[b])) continue;
            double c = 0;
            for (size_t i = 0; i < 4; i++) {
                int64_t xi = x[i] + (i == a ? -MiB : i == b ? MiB : 0);
                c += pow((double)(d[i] - xi) / (double)d[i], 2);
            }
            assert_true(c >= best - 1e-12);
        }
    assert_true(sum(x, 4) <= pool && sum(x, 4) >= pool - 4);
}

/* Floors bind: a small VM cannot go below its lo, the others share the rest
 * in proportion to d^2 (2 and 4 GiB: 1 : 4). */
static void test_stall_split_floor(void **s) {
    (void)s;
    int64_t lo[3] = {900 * MiB, 0, 0}, hi[3] = {8 * GiB, 8 * GiB, 8 * GiB};
    int64_t d[3] = {1 * GiB, 2 * GiB, 4 * GiB}, x[3];
    pol_fill_ev ev[6];
    /* Unclamped, a 3 GiB deficit would take 3 GiB * 1/21 = 146 MiB from the
     * 1 GiB VM, more than the 124 MiB above its floor: it sits at its floor
     * and the others split 3 GiB - 124 MiB as 2^2 : 4^2 = 1 : 4. */
    int64_t pool = 7 * GiB - 3 * GiB;
    pol_fill_stall(lo, hi, d, 3, pool, ev, x);
    assert_int_equal(x[0], 900 * MiB);
    double rest = 3.0 * GiB - 124.0 * MiB;
    assert_true(fabs((double)(d[1] - x[1]) - rest / 5) <= 2);
    assert_true(fabs((double)(d[2] - x[2]) - rest * 4 / 5) <= 2);
    assert_true(sum(x, 3) <= pool);
}

/* Memory above the demand saves no stall: with room for every demand the
 * split stops at the demands (top = min(hi, max(d, lo))), whatever hi says;
 * too little for the floors gives the floors. */
static void test_stall_split_bounds(void **s) {
    (void)s;
    int64_t lo[2] = {1 * GiB, 1 * GiB}, hi[2] = {8 * GiB, 2 * GiB};
    int64_t d[2] = {3 * GiB, 5 * GiB}, x[2];
    pol_fill_ev ev[4];
    pol_fill_stall(lo, hi, d, 2, 100 * GiB, ev, x);
    assert_int_equal(x[0], 3 * GiB);
    assert_int_equal(x[1], 2 * GiB); /* capped by hi below its demand */
    pol_fill_stall(lo, hi, d, 2, GiB, ev, x);
    assert_int_equal(x[0], GiB);
    assert_int_equal(x[1], GiB);
    /* zero demand: pinned at the floor, the other takes the shortfall */
    int64_t d0[2] = {0, 4 * GiB}, hi2[2] = {8 * GiB, 8 * GiB};
    pol_fill_stall(lo, hi2, d0, 2, 4 * GiB, ev, x);
    assert_int_equal(x[0], GiB);
    assert_int_equal(x[1], 3 * GiB);
}

/* Even: the same fraction of every step (here a quarter: 1 GiB of 4). */
static void test_even(void **s) {
    (void)s;
    int64_t lo[3] = {1 * GiB, 2 * GiB, 0}, hi[3] = {3 * GiB, 2 * GiB, 2 * GiB}, x[3];
    pol_fill_even(lo, hi, 3, 4 * GiB, x);
    assert_int_equal(x[0], 1 * GiB + 2 * GiB / 4);
    assert_int_equal(x[1], 2 * GiB);
    assert_int_equal(x[2], 2 * GiB / 4);
    pol_fill_even(lo, hi, 3, 100 * GiB, x);
    assert_int_equal(sum(x, 3), 7 * GiB);
    pol_fill_even(lo, hi, 3, 0, x);
    assert_int_equal(sum(x, 3), 3 * GiB);
    /* rounding down: never more than the pool */
    int64_t l1[3] = {0, 0, 0}, h1[3] = {7, 7, 7};
    pol_fill_even(l1, h1, 3, 10, x);
    assert_true(sum(x, 3) <= 10);
    assert_int_equal(x[0], 3); /* 7 * 10 / 21 = 3.33 */
}

/* Shares: a water level lambda * s_i above each floor.  Weights 2 : 1 and a
 * pool of 9 GiB: 6 and 3 GiB; a floor above the level keeps its floor and
 * the rest is re-levelled. */
static void test_shares(void **s) {
    (void)s;
    int64_t lo[2] = {0, 0}, hi[2] = {8 * GiB, 8 * GiB}, w[2] = {2000, 1000}, x[2];
    pol_fill_ev ev[4];
    pol_fill_shares(lo, hi, w, 2, 9 * GiB, ev, x);
    assert_true(llabs(x[0] - 6 * GiB) <= 1 && llabs(x[1] - 3 * GiB) <= 1);
    assert_true(sum(x, 2) <= 9 * GiB);
    int64_t lo2[2] = {0, 5 * GiB};
    pol_fill_shares(lo2, hi, w, 2, 9 * GiB, ev, x);
    assert_int_equal(x[1], 5 * GiB);
    assert_true(llabs(x[0] - 4 * GiB) <= 1);
    /* a cap: the capped VM stays at hi, the other takes the rest */
    int64_t hi2[2] = {8 * GiB, 2 * GiB};
    pol_fill_shares(lo, hi2, w, 2, 9 * GiB, ev, x);
    assert_int_equal(x[1], 2 * GiB);
    assert_true(llabs(x[0] - 7 * GiB) <= 1);
}

/* Pacing: a VM grows only into memory that no guest holds now.  Pool 10 GiB,
 * a shrinking VM still holds 6 GiB, the growing one 3 GiB: 1 GiB of growth
 * now, all of it once the other has shrunk. */
static void test_pace(void **s) {
    (void)s;
    int64_t lo[2] = {GiB, GiB}, d[2] = {7 * GiB, 2 * GiB};
    int64_t base[2], goal[2], x[2];
    pol_fill_ev ev[4];
    int64_t actual[2] = {3 * GiB, 6 * GiB}, target[2] = {3 * GiB, 6 * GiB};
    x[0] = 7 * GiB;
    x[1] = 3 * GiB;
    pol_fill_pace(lo, actual, target, d, 2, 10 * GiB, ev, base, goal, x);
    assert_int_equal(x[0], 4 * GiB);
    assert_int_equal(x[1], 3 * GiB);
    /* next tick: the second VM has shrunk */
    int64_t a2[2] = {4 * GiB, 3 * GiB}, t2[2] = {4 * GiB, 3 * GiB};
    x[0] = 7 * GiB;
    x[1] = 3 * GiB;
    pol_fill_pace(lo, a2, t2, d, 2, 10 * GiB, ev, base, goal, x);
    assert_int_equal(x[0], 7 * GiB);
    assert_int_equal(x[1], 3 * GiB);
}

/* Growth already granted (target above actual) stays granted while it fits;
 * when actuals did not fall (a stuck driver) grants are taken back down to
 * what the budget allows, never below actual.  Among growers the free
 * memory goes first where it saves stall. */
static void test_pace_grants(void **s) {
    (void)s;
    int64_t lo[3] = {0, 0, 0}, d[3] = {4 * GiB, 4 * GiB, GiB};
    int64_t base[3], goal[3], x[3];
    pol_fill_ev ev[6];
    /* VM 0 was granted 3 -> 4 GiB; VM 1 asks 2 -> 4 GiB; VM 2 (2 GiB) is
     * asked to shrink to 1 GiB.  Pool 9: held 4 + 2 + 2, budget 1 GiB. */
    int64_t actual[3] = {3 * GiB, 2 * GiB, 2 * GiB}, target[3] = {4 * GiB, 2 * GiB, 2 * GiB};
    x[0] = 4 * GiB;
    x[1] = 4 * GiB;
    x[2] = GiB;
    pol_fill_pace(lo, actual, target, d, 3, 9 * GiB, ev, base, goal, x);
    assert_int_equal(x[0], 4 * GiB);
    assert_int_equal(x[1], 3 * GiB);
    assert_int_equal(x[2], GiB);
    /* pool 6: even the grant does not fit (held 8): back to the actuals */
    x[0] = 4 * GiB;
    x[1] = 4 * GiB;
    x[2] = GiB;
    pol_fill_pace(lo, actual, target, d, 3, 6 * GiB, ev, base, goal, x);
    assert_int_equal(x[0], 3 * GiB);
    assert_int_equal(x[1], 2 * GiB);
    assert_int_equal(x[2], GiB);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stall_split_squares),
        cmocka_unit_test(test_stall_split_is_optimal),
        cmocka_unit_test(test_stall_split_floor),
        cmocka_unit_test(test_stall_split_bounds),
        cmocka_unit_test(test_even),
        cmocka_unit_test(test_shares),
        cmocka_unit_test(test_pace),
        cmocka_unit_test(test_pace_grants),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
