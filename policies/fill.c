/* fill.c -- the splits of fill.h.
 *
 * pol_fill_stall, why the formula: docs/model.md makes a VM's stall
 *     tau * (S/D)^alpha * Lg       (S = D - A: its working set out of memory)
 * increasing and convex in its shortfall S for alpha >= 1.  A policy's view
 * carries neither tau, alpha nor the guest's swap latency Lg, so VMs are
 * taken to be alike: equal tau * Lg and alpha = 2, the default locality.
 * Then, for a pool that cannot cover every demand, we minimise
 *     sum_i (S_i / D_i)^2   subject to  sum_i S_i = deficit, 0 <= S_i <= D_i - lo_i.
 * The Lagrangian's stationarity gives 2 S_i / D_i^2 = lambda, i.e.
 *     S_i = mu * D_i^2    (mu = lambda / 2, the same for every VM),
 * so without clamps S_i = deficit * D_i^2 / sum_j D_j^2: a VM's share of the
 * shortfall grows with the square of its demand, because the same bytes
 * missing from a larger working set are a smaller fraction of it, and the
 * fraction is what stalls.  With the bounds (KKT), x_i = D_i - S_i is
 * clamp(D_i - mu D_i^2, lo_i, top_i): convexity makes this the global optimum.
 * (The model caps a stall fraction at 1, which makes it concave past the cap;
 * then sacrificing one VM entirely can be cheaper.  The split ignores the cap:
 * it is the convex relaxation, and docs/policies.md (`oracle`) says so.)
 *
 * How mu is found: the sum of the x_i is continuous, piecewise linear and
 * non-increasing in mu; VM i starts giving memory up at mu = (d_i - top_i) /
 * d_i^2 and reaches its floor at (d_i - lo_i) / d_i^2.  The 2n breakpoints are
 * sorted (heapsort: in place, O(n log n), no allocation) and walked until the
 * sum falls to the pool; inside that segment the sum is F + A - mu B (F: VMs
 * at a bound, A = sum d_i, B = sum d_i^2 over the VMs in between), which
 * gives mu exactly (F, A and B are kept in exact 128-bit integers, so VMs
 * entering and leaving cancel exactly).  mu itself is a double: a share is
 * off by far less than a byte for sizes below 2^50; the shares are rounded
 * down and any excess the rounding of mu could leave is taken back, so the sum
 * never exceeds the pool.  pol_fill_shares walks its breakpoints (lambda =
 * bound / shares) the same way. */
#include "policies/fill.h"

#include <assert.h>
#include <math.h>

#ifndef __SIZEOF_INT128__
#error "fill.c needs a 128-bit integer type (GCC or Clang on a 64-bit target)"
#endif
__extension__ typedef __int128 fill_i128;

void pol_fill_even(const int64_t *lo, const int64_t *hi, size_t n, int64_t pool, int64_t *x) {
    fill_i128 sum_lo = 0, span = 0;
    for (size_t i = 0; i < n; i++) {
        assert(lo[i] <= hi[i]);
        sum_lo += lo[i];
        span += (fill_i128)hi[i] - lo[i];
    }
    fill_i128 extra = (fill_i128)pool - sum_lo;
    if (extra <= 0 || span == 0) {
        for (size_t i = 0; i < n; i++) x[i] = lo[i];
        return;
    }
    if (extra >= span) {
        for (size_t i = 0; i < n; i++) x[i] = hi[i];
        return;
    }
    /* (hi_i - lo_i) < 2^63 times extra < span must stay below 2^127: for
     * absurd sizes (span >= 2^64) both are scaled down, extra rounded down
     * and span up, so the shares can only shrink and never overshoot. */
    while (span > (fill_i128)INT64_MAX) {
        extra >>= 1;
        span = (span + 1) >> 1;
    }
    for (size_t i = 0; i < n; i++)
        x[i] = lo[i] + (int64_t)(((fill_i128)hi[i] - lo[i]) * extra / span);
}

/* Total order: mu, then kind (a VM entering before one leaving at the same
 * mu keeps the walk's sums exact), then index: the walk is reproducible. */
static int ev_cmp(const pol_fill_ev *a, const pol_fill_ev *b) {
    if (a->mu != b->mu) return a->mu < b->mu ? -1 : 1;
    if (a->kind != b->kind) return a->kind - b->kind;
    return a->i < b->i ? -1 : a->i > b->i;
}

static void sift_down(pol_fill_ev *ev, size_t root, size_t n) {
    for (;;) {
        size_t child = 2 * root + 1;
        if (child >= n) return;
        if (child + 1 < n && ev_cmp(&ev[child], &ev[child + 1]) < 0) child++;
        if (ev_cmp(&ev[root], &ev[child]) >= 0) return;
        pol_fill_ev t = ev[root];
        ev[root] = ev[child];
        ev[child] = t;
        root = child;
    }
}

static void heapsort_ev(pol_fill_ev *ev, size_t n) {
    if (n < 2) return;
    for (size_t k = n / 2; k-- > 0;) sift_down(ev, k, n);
    for (size_t end = n - 1; end > 0; end--) {
        pol_fill_ev t = ev[0];
        ev[0] = ev[end];
        ev[end] = t;
        sift_down(ev, 0, end);
    }
}

/* Demands are capped at a PiB in the stall split, so that sums of d^2 over
 * up to 2^26 VMs fit in 127 bits (any real VM is far below). */
#define FILL_MAX_D (1LL << 50)

static int64_t top_of(int64_t lo, int64_t hi, int64_t d) {
    int64_t t = BS_MAX(d, lo);
    return BS_MIN(t, hi);
}

void pol_fill_stall(const int64_t *lo, const int64_t *hi, const int64_t *d, size_t n,
                    int64_t pool, pol_fill_ev *ev, int64_t *x) {
    fill_i128 sum_lo = 0, sum_top = 0;
    for (size_t i = 0; i < n; i++) {
        assert(lo[i] <= hi[i]);
        x[i] = top_of(lo[i], hi[i], BS_MIN(d[i], FILL_MAX_D));
        sum_lo += lo[i];
        sum_top += x[i];
    }
    if (pool >= sum_top) return; /* every VM at its demand (or bound) */
    if (pool <= sum_lo) {
        for (size_t i = 0; i < n; i++) x[i] = lo[i];
        return;
    }

    size_t ne = 0;
    for (size_t i = 0; i < n; i++) {
        if (x[i] <= lo[i]) continue; /* d_i <= lo_i: pinned, nothing to give */
        double di = (double)BS_MIN(d[i], FILL_MAX_D), d2 = di * di; /* > 0: d_i > lo_i */
        ev[ne++] = (pol_fill_ev){.mu = (di - (double)x[i]) / d2, .i = i, .kind = 0};
        ev[ne++] = (pol_fill_ev){.mu = (di - (double)lo[i]) / d2, .i = i, .kind = 1};
    }
    heapsort_ev(ev, ne);

    /* Walk: F = bytes of VMs at a bound, A and B over the VMs in between,
     * kept exactly (d^2 < 2^124) so that entering and leaving cancel. */
    fill_i128 F = sum_top, A = 0, B = 0;
    double mu = -1;
    for (size_t k = 0; k < ne; k++) {
        const pol_fill_ev *e = &ev[k];
        if (B > 0 && (double)(F + A - pool) <= e->mu * (double)B) {
            mu = (double)(F + A - pool) / (double)B;
            break;
        }
        fill_i128 di = BS_MIN(d[e->i], FILL_MAX_D);
        if (e->kind == 0) {
            F -= x[e->i];
            A += di;
            B += di * di;
        } else {
            F += lo[e->i];
            A -= di;
            B -= di * di;
        }
    }
    if (mu < 0) mu = ev[ne - 1].mu; /* rounding kept the walk above the pool: all at lo */

    fill_i128 sum = 0;
    for (size_t i = 0; i < n; i++) {
        if (x[i] > lo[i]) {
            double di = (double)BS_MIN(d[i], FILL_MAX_D);
            double v = floor(di - mu * di * di);
            if (v < (double)lo[i]) v = (double)lo[i];
            if (v < (double)x[i]) x[i] = (int64_t)v;
        }
        sum += x[i];
    }
    /* mu is exact up to rounding: take back any byte too many, in VM order. */
    for (size_t i = 0; i < n && sum > pool; i++) {
        fill_i128 give = BS_MIN(sum - pool, (fill_i128)(x[i] - lo[i]));
        x[i] -= (int64_t)give;
        sum -= give;
    }
}

void pol_fill_shares(const int64_t *lo, const int64_t *hi, const int64_t *shares, size_t n,
                     int64_t pool, pol_fill_ev *ev, int64_t *x) {
    fill_i128 sum_lo = 0, sum_hi = 0;
    for (size_t i = 0; i < n; i++) {
        assert(lo[i] <= hi[i] && shares[i] > 0);
        sum_lo += lo[i];
        sum_hi += hi[i];
    }
    if (pool <= sum_lo || pool >= sum_hi) {
        for (size_t i = 0; i < n; i++) x[i] = pool <= sum_lo ? lo[i] : hi[i];
        return;
    }
    size_t ne = 0;
    for (size_t i = 0; i < n; i++) {
        double s = (double)shares[i];
        ev[ne++] = (pol_fill_ev){.mu = (double)lo[i] / s, .i = i, .kind = 0};
        ev[ne++] = (pol_fill_ev){.mu = (double)hi[i] / s, .i = i, .kind = 1};
    }
    heapsort_ev(ev, ne);
    /* Between breakpoints the sum is F + lambda * S (F: VMs at a bound, S:
     * shares of the others); find where it reaches the pool. */
    fill_i128 F = sum_lo, S = 0;
    double lambda = -1;
    for (size_t k = 0; k < ne; k++) {
        const pol_fill_ev *e = &ev[k];
        if (S > 0 && e->mu * (double)S >= (double)(pool - F)) {
            lambda = (double)(pool - F) / (double)S;
            break;
        }
        if (e->kind == 0) {
            F -= lo[e->i];
            S += shares[e->i];
        } else {
            F += hi[e->i];
            S -= shares[e->i];
        }
    }
    if (lambda < 0) lambda = ev[ne - 1].mu; /* rounding: everyone at hi */
    fill_i128 sum = 0;
    for (size_t i = 0; i < n; i++) {
        double v = floor(lambda * (double)shares[i]);
        x[i] = v <= (double)lo[i] ? lo[i] : v >= (double)hi[i] ? hi[i] : (int64_t)v;
        sum += x[i];
    }
    for (size_t i = 0; i < n && sum > pool; i++) { /* rounding of lambda: give back */
        fill_i128 give = BS_MIN(sum - pool, (fill_i128)(x[i] - lo[i]));
        x[i] -= (int64_t)give;
        sum -= give;
    }
}

void pol_fill_pace(const int64_t *lo, const int64_t *actual, const int64_t *target,
                   const int64_t *d, size_t n, int64_t pool, pol_fill_ev *ev, int64_t *base,
                   int64_t *goal, int64_t *x) {
    fill_i128 held = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t a = BS_MAX(actual[i], 0);
        goal[i] = x[i];
        if (x[i] <= a) { /* shrinking or staying: holds its actual until it has shrunk */
            base[i] = x[i];
            held += a;
        } else {
            base[i] = BS_MAX(lo[i], BS_MIN(x[i], BS_MAX(a, target[i])));
            held += base[i];
        }
    }
    fill_i128 budget = (fill_i128)pool - held;
    if (budget < 0) { /* actuals did not fall as planned (a stuck driver): retract grants */
        for (size_t i = 0; i < n; i++) {
            int64_t a = BS_MAX(actual[i], 0);
            if (goal[i] <= a) continue;
            int64_t b = BS_MAX(lo[i], BS_MIN(goal[i], a));
            budget += base[i] - b;
            base[i] = b;
        }
        if (budget < 0) budget = 0;
    }
    fill_i128 sum = 0;
    for (size_t i = 0; i < n; i++) sum += base[i];
    fill_i128 total = sum + budget;
    int64_t p = total > INT64_MAX ? INT64_MAX : (int64_t)total;
    pol_fill_stall(base, goal, d, n, p, ev, x); /* growth that relieves stall first */
    sum = 0;
    for (size_t i = 0; i < n; i++) {
        base[i] = x[i];
        sum += x[i];
    }
    if (sum < total) pol_fill_even(base, goal, n, p, x); /* then headroom, evenly */
}
