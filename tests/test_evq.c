/* test_evq.c -- the intrusive event heap: order, ties, cancel, reschedule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <gsl/gsl_rng.h>
#include <stdlib.h>

#include "sim/evq.h"

static void pops_in_time_order(void **state)
{
    (void)state;
    evq q;
    assert_int_equal(evq_init(&q, 16), BS_OK);
    evq_node n[5];
    bs_time times[5] = {50, 10, 40, 20, 30};
    for (int i = 0; i < 5; i++) {
        evq_node_init(&n[i], (uint32_t)i);
        evq_schedule(&q, &n[i], times[i], EVQ_DEMAND);
    }
    bs_time last = -1;
    for (int i = 0; i < 5; i++) {
        evq_node *x = evq_pop(&q);
        assert_non_null(x);
        assert_true(x->time > last);
        last = x->time;
        assert_false(evq_queued(x));
    }
    assert_null(evq_pop(&q));
    evq_free(&q);
}

static void equal_times_order_by_class_then_sequence(void **state)
{
    (void)state;
    evq q;
    assert_int_equal(evq_init(&q, 8), BS_OK);
    evq_node sample, policy, demand1, demand2, life;
    evq_node_init(&sample, 1);
    evq_node_init(&policy, 2);
    evq_node_init(&demand1, 3);
    evq_node_init(&demand2, 4);
    evq_node_init(&life, 5);
    evq_schedule(&q, &sample, 100, EVQ_SAMPLE);
    evq_schedule(&q, &policy, 100, EVQ_POLICY);
    evq_schedule(&q, &demand1, 100, EVQ_DEMAND);
    evq_schedule(&q, &demand2, 100, EVQ_DEMAND);
    evq_schedule(&q, &life, 100, EVQ_LIFECYCLE);
    uint32_t expect[5] = {5, 3, 4, 2, 1};
    for (int i = 0; i < 5; i++) assert_int_equal(evq_pop(&q)->kind, expect[i]);
    evq_free(&q);
}

static void cancel_removes_from_anywhere(void **state)
{
    (void)state;
    evq q;
    enum { N = 64 };
    assert_int_equal(evq_init(&q, N), BS_OK);
    evq_node n[N];
    for (int i = 0; i < N; i++) {
        evq_node_init(&n[i], (uint32_t)i);
        evq_schedule(&q, &n[i], (bs_time)((i * 37) % N), EVQ_DRIVER);
    }
    for (int i = 0; i < N; i += 3) evq_cancel(&q, &n[i]);
    evq_cancel(&q, &n[0]); /* cancelling an idle node is harmless */
    bs_time last = -1;
    int count = 0;
    evq_node *x;
    while ((x = evq_pop(&q))) {
        assert_true(x->kind % 3 != 0);
        assert_true(x->time >= last);
        last = x->time;
        count++;
    }
    assert_int_equal(count, N - (N + 2) / 3);
    evq_free(&q);
}

static void reschedule_moves_and_renews_sequence(void **state)
{
    (void)state;
    evq q;
    assert_int_equal(evq_init(&q, 4), BS_OK);
    evq_node a, b;
    evq_node_init(&a, 1);
    evq_node_init(&b, 2);
    evq_schedule(&q, &a, 10, EVQ_DRIVER);
    evq_schedule(&q, &b, 10, EVQ_DRIVER);
    evq_schedule(&q, &a, 10, EVQ_DRIVER); /* a is now scheduled after b */
    assert_int_equal(q.queued, 2);
    assert_int_equal(evq_pop(&q)->kind, 2);
    assert_int_equal(evq_pop(&q)->kind, 1);
    evq_schedule(&q, &a, 30, EVQ_DRIVER);
    evq_schedule(&q, &b, 20, EVQ_DRIVER);
    evq_schedule(&q, &a, 5, EVQ_DRIVER); /* earlier */
    assert_int_equal(evq_pop(&q)->time, 5);
    assert_int_equal(evq_pop(&q)->time, 20);
    evq_free(&q);
}

/* Many events on one instant share a bucket: they come out in the order they
 * were scheduled, also when some leave and others join in between, and the
 * bucket is made again after it emptied. */
static void one_instant_is_a_fifo(void **state)
{
    (void)state;
    enum { N = 1000 };
    evq q;
    assert_int_equal(evq_init(&q, N), BS_OK);
    evq_node n[N];
    for (int i = 0; i < N; i++) {
        evq_node_init(&n[i], (uint32_t)i);
        evq_schedule(&q, &n[i], 60, EVQ_DEMAND);
    }
    assert_int_equal(q.n, 1); /* one instant */
    for (int i = 0; i < N; i += 10) evq_cancel(&q, &n[i]);
    for (int i = 0; i < N; i += 10) evq_schedule(&q, &n[i], 60, EVQ_DEMAND); /* to the end */
    int expect = 1;
    for (int k = 0; k < N; k++) {
        evq_node *x = evq_pop(&q);
        if (k < N - N / 10) {
            if (expect % 10 == 0) expect++;
            assert_int_equal(x->kind, expect);
            expect++;
        } else {
            assert_int_equal(x->kind, (k - (N - N / 10)) * 10);
        }
    }
    assert_int_equal(q.n, 0);
    assert_int_equal(q.queued, 0);
    evq_schedule(&q, &n[5], 60, EVQ_DEMAND); /* the instant again, from an empty queue */
    assert_ptr_equal(evq_pop(&q), &n[5]);
    evq_free(&q);
}

/* Random operations against a brute-force model of the queue. */
static void matches_reference_under_random_operations(void **state)
{
    (void)state;
    enum { N = 200, OPS = 20000 };
    evq q;
    assert_int_equal(evq_init(&q, N), BS_OK);
    evq_node n[N];
    for (int i = 0; i < N; i++) evq_node_init(&n[i], (uint32_t)i);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2);
    gsl_rng_set(r, 7);
    for (int op = 0; op < OPS; op++) {
        int i = (int)gsl_rng_uniform_int(r, N);
        unsigned what = (unsigned)gsl_rng_uniform_int(r, 3);
        if (what == 0) {
            evq_schedule(&q, &n[i], (bs_time)gsl_rng_uniform_int(r, 1000),
                         (evq_class)gsl_rng_uniform_int(r, 7));
        } else if (what == 1) {
            evq_cancel(&q, &n[i]);
        } else if (q.queued > 0) {
            /* the popped node must precede every other queued node */
            const evq_node *top = evq_peek(&q);
            for (int j = 0; j < N; j++) {
                if (!evq_queued(&n[j]) || &n[j] == top) continue;
                uint64_t ts = evq_node_seq(&q, top), js = evq_node_seq(&q, &n[j]);
                bool before = top->time < n[j].time ||
                              (top->time == n[j].time &&
                               (top->cls < n[j].cls || (top->cls == n[j].cls && ts < js)));
                assert_true(before);
            }
            evq_pop(&q);
        }
        size_t queued = 0;
        for (int j = 0; j < N; j++) queued += evq_queued(&n[j]);
        assert_int_equal(queued, q.queued);
    }
    gsl_rng_free(r);
    evq_free(&q);
}

/* More instants than the pool was sized for: the schedule that finds no free
 * bucket leaves its node idle and says so (no read before the pool), and what
 * was queued before stays intact. */
static void exhausted_pool_is_reported(void **state)
{
    (void)state;
    evq q;
    assert_int_equal(evq_init(&q, 1), BS_OK);
    evq_node a, b;
    evq_node_init(&a, 1);
    evq_node_init(&b, 2);
    evq_schedule(&q, &a, 10, EVQ_DRIVER);
    assert_false(evq_exhausted(&q));
    evq_schedule(&q, &b, 20, EVQ_DRIVER); /* a second instant: no bucket left */
    assert_true(evq_exhausted(&q));
    assert_false(evq_queued(&b));
    assert_int_equal(q.queued, 1);
    assert_ptr_equal(evq_pop(&q), &a);
    assert_null(evq_pop(&q));
    evq_free(&q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pops_in_time_order),
        cmocka_unit_test(equal_times_order_by_class_then_sequence),
        cmocka_unit_test(cancel_removes_from_anywhere),
        cmocka_unit_test(reschedule_moves_and_renews_sequence),
        cmocka_unit_test(one_instant_is_a_fifo),
        cmocka_unit_test(matches_reference_under_random_operations),
        cmocka_unit_test(exhausted_pool_is_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
