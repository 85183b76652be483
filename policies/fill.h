/* fill.h -- dividing a host's memory among VMs by levels and by stall.
 *
 * Ways to split a pool of bytes, shared by the `feedback` and `oracle`
 * policies (both must answer the same questions when the host cannot give
 * every VM what it wants, and should answer them the same way):
 *
 *   pol_fill_even:  every VM gets its lower level plus the same share of the
 *                   step to its upper level (memory above what is needed is
 *                   worth the same to everyone: headroom, cache, spare);
 *   pol_fill_shares: proportional's split by shares, above per-VM floors;
 *   pol_fill_stall: the split of a shortfall that minimises the total stall
 *                   of docs/model.md with equal tau * swap_latency and alpha = 2:
 *                   minimise sum ((d_i - x_i)^+ / d_i)^2.  The derivation is
 *                   in fill.c and docs/policies.md (`oracle`).
 *
 * pol_fill_pace then holds growth back to the memory that is free now.
 *
 * All work on compact arrays of the VMs being split (the caller leaves out
 * the others), never allocate (events and other scratch are the caller's),
 * round every share down to whole bytes and never hand out
 * more than the pool. */
#ifndef BS_POL_FILL_H
#define BS_POL_FILL_H

#include "sim/base/bs.h"

/* A breakpoint of pol_fill_stall or pol_fill_shares: scratch, 2 per VM. */
typedef struct pol_fill_ev {
    double mu;
    size_t i;
    int kind; /* 0: the VM leaves its first bound; 1: it reaches its other one */
} pol_fill_ev;

/* x_i = lo_i + floor((hi_i - lo_i) * (pool - sum lo) / sum (hi - lo)), with
 * lo_i <= hi_i.  pool <= sum lo gives lo, pool >= sum hi gives hi.  Exact
 * (128-bit) arithmetic: the same input gives the same bytes everywhere. */
void pol_fill_even(const int64_t *lo, const int64_t *hi, size_t n, int64_t pool, int64_t *x);

/* x_i in [lo_i, top_i], top_i = min(hi_i, max(d_i, lo_i)) (memory above the
 * demand d_i saves no stall, so it is never part of this split), with
 * sum x = pool when sum lo < pool < sum top, minimising
 * sum ((d_i - x_i)^+ / d_i)^2:
 *     x_i = clamp(d_i - mu * d_i^2, lo_i, top_i)
 * with the one mu >= 0 that makes the x_i add up to the pool.  pool <= sum lo
 * gives lo; pool >= sum top gives top (the rest is the caller's).  `ev` holds
 * 2n entries. */
void pol_fill_stall(const int64_t *lo, const int64_t *hi, const int64_t *d, size_t n,
                    int64_t pool, pol_fill_ev *ev, int64_t *x);

/* x_i = clamp(lambda * shares_i, lo_i, hi_i) with the one lambda that makes
 * the x_i add up to the pool (proportional's split, above floors lo_i):
 * pool <= sum lo gives lo, pool >= sum hi gives hi.  shares_i > 0; `ev` holds
 * 2n entries. */
void pol_fill_shares(const int64_t *lo, const int64_t *hi, const int64_t *shares, size_t n,
                     int64_t pool, pol_fill_ev *ev, int64_t *x);

/* Pacing: memory handed to a growing VM must be memory no guest holds now,
 * or the host pages while the others' balloons are still inflating (host
 * swap costs every VM on the host, and 8x a guest fault per page by
 * default).  On entry x holds the goals (within [lo, max]); on return every
 * shrinking VM keeps its goal and the growing ones get at most
 *     pool - sum over VMs of max(actual_i, what it keeps of its growth)
 * on top of their actual (never less than lo, never more than the goal),
 * split to minimise stall against demand d and then evenly.  Growth a VM was
 * already granted (target above actual) stays granted while it fits.
 * `base` and `goal` are scratch for n entries, `ev` for 2n. */
void pol_fill_pace(const int64_t *lo, const int64_t *actual, const int64_t *target,
                   const int64_t *d, size_t n, int64_t pool, pol_fill_ev *ev, int64_t *base,
                   int64_t *goal, int64_t *x);

#endif
