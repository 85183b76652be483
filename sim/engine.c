/* engine.c -- the discrete-event core: VMs, balloon drivers, hosts, metrics.
 *
 * Between two events every quantity of docs/model.md is linear in time (or
 * constant): actual memory A moves at the driver's rate, host residency H
 * either holds or tracks A, demand D and cache demand K hold.  The driver
 * therefore schedules its next event at the next *breakpoint* of that linear
 * piece (target reached, free pages exhausted so the rate changes, swap
 * starting, H starting to track A, the swap floor), and every integral (stall,
 * pressure, satisfaction, host use) is computed in closed form over the piece.
 * Nothing is stepped in small time increments, and per-event work is O(1) plus
 * the O(log n) of the queue; hosts carry running sums so that a VM's change
 * never walks its neighbours.  Work that is O(VMs on a host) happens only where
 * the model itself is host-wide: stats reports, policy ticks, samples, the
 * start and end of host swapping, and the host OOM killer.
 *
 * The one approximation (docs/model.md): the host-swap part of a VM's stall
 * uses the host's swap ratio X/sum(H) averaged over the VM's own piece, which
 * is exact unless the stall clamp at 1 is hit while the host swaps. */
#include "sim/engine.h"

#include "sim/evq.h"
#include "policies/pol.h"

#include <assert.h>
#include <math.h>
#include <sys/mman.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum node_kind {
    K_VM_LIFE,    /* start or stop */
    K_VM_RESTART, /* workload restart after a guest OOM, reboot after a host OOM */
    K_VM_DEMAND,
    K_VM_DRIVER,
    K_VM_REPORT, /* free page reporting */
    K_VM_STUCK,
    K_HOST_CROSS,
    K_HOST_STATS,
    K_HOST_TICK,
    K_SAMPLE,
    K_WARMUP,
    K_WINDOW
};

typedef enum drv_phase {
    DRV_IDLE,    /* A == T, or nothing to do */
    DRV_PENDING, /* a target is waiting for the driver's latency */
    DRV_ACTIVE   /* moving towards T, or blocked and retrying */
} drv_phase;

/* Growable list of durations (reach, relief), in seconds. */
typedef struct dur_list {
    double *v;
    size_t n, cap;
} dur_list;

typedef struct vm_acc {
    double exist_s, up_s, down_s, stall_s, pressure_s, sat_s;
    double zero_stall_s; /* time at stall exactly 0 (kept out of hist) */
    double *hist;        /* MET_STALL_BINS, allocated at the first stall */
    double swap_out, swap_in, host_swap_out, traffic; /* pages */
    uint64_t guest_oom, host_oom, reversals;
    dur_list reach, relief;
} vm_acc;

struct host_run;

/* What a host accumulates for the run-level metrics (and per window). */
typedef struct host_acc {
    double used_int_s, swap_out; /* byte-pages x s of used memory; pages swapped out */
    double free_min;             /* pages */
} host_acc;

/* A window of the scenario while the run goes (cli.md, "Groups and
 * windows"): its own accumulators for every VM and host, filled by the same
 * code that fills the run's while the window is open.  Integrals follow the
 * open flag, which its edge events switch after bringing every VM and host
 * to the edge; instant quantities (counts, jumps) and durations are placed by
 * the time they happen or start at (win_hits), so the order of events at an
 * edge does not matter. */
typedef struct win_run {
    const scen_window *cfg;
    bool open;
    bs_time opened_at;
    double measured_s;  /* the window's time within [warmup, duration) */
    vm_acc *acc;        /* per VM */
    host_acc *hacc;     /* per host */
    double *hist_arena; /* MET_STALL_BINS per VM, as eng.hist_arena */
    evq_node ev_edge;
} win_run;

typedef struct vm_run {
    /* Fields read by every stats report come first, so that the O(VMs) loops
     * touch few cache lines per VM. */
    _Alignas(64) const scen_vm *cfg;
    bool on;      /* booted and not stopped or killed */
    bool wl_down; /* workload killed by a guest OOM, waiting to restart */
    bool booting; /* killed by the host OOM killer, waiting to boot again */
    bool stopped;
    /* the linear piece that started at t0 (first cache line: what a stats
     * report tests to skip an unchanged VM) */
    bs_time t0;
    double A;              /* pages */
    double a_rate;         /* pages per ns */
    bs_pages T, D;         /* target, effective demand */
    double H;              /* pages */
    bs_pages K;            /* cache demand */
    double h_rate;         /* pages per ns; 0 whenever a_rate is */
    double tau, alpha;     /* cfg->touch_rate and cfg->locality, kept hot */
    /* cumulative counters for stats reports (pages / faults) */
    double c_swap_out, c_swap_in, c_faults;
    double r_swap_out, r_swap_in, r_faults;
    struct host_run *host;
    bs_pages wl_D;         /* the workload's own demand (D is 0 while down) */
    /* driver */
    drv_phase phase;
    bool blocked;
    bs_time blocked_since;
    double goal; /* breakpoint the pending driver event lands on */
    bool stuck;
    size_t next_stuck;
    bool stuck_open;
    bool report_pending;
    /* target bookkeeping */
    bs_time target_set_at;
    bool reach_open;
    int last_dir;
    /* pressure */
    bool guest_pressured, pressured;
    bs_time episode_start;
    /* workloads */
    wl_gen *wl, *wl_cache;
    bs_time wl_next, cache_next;
    /* host-side running values at t0 */
    double P_at_t0, Q_at_t0;
    double R0_at_t0, R1_at_t0; /* the host's R0, R1 at t0 */
    double H_mark, hrate_mark; /* H and its slope when vm_begin() ran */
    evq_node ev_life, ev_restart, ev_demand, ev_driver, ev_report, ev_stuck;
    vm_acc acc;
} vm_run;

typedef struct host_run {
    const scen_host *cfg;
    size_t index;
    vm_run *vms;
    size_t n;
    /* linear piece of sum(H) since t0 */
    bs_time t0;
    double SH, sh;     /* pages, pages per ns */
    double P, Q;       /* integral of X/sum(H) dt, time with X > 0 (s) */
    bool swapping;
    double X_last;
    /* Host swap-out shared among its VMs by their H at each increase:
     * R0 = sum of dX / sum(H), R1 = sum of t dX / sum(H) (t in s).  A VM
     * whose H is linear in t over its piece owns H0 dR0 + h (dR1 - t0 dR0)
     * of it, so the VMs' shares add up to the host's swap-out exactly while
     * each VM is integrated only at its own events. */
    double R0, R1;
    /* policy */
    void *pol_state;
    pol_vm_view *views;
    size_t n_views;
    int64_t *targets;
    bs_pages *known_T; /* per view: T as reported, to skip no-op targets */
    const struct vm_run **view_src; /* per view: the VM it was last filled from */
    bs_time last_report, next_tick;
    evq_node ev_cross, ev_stats, ev_tick;
    host_acc acc; /* metrics */
} host_run;

/* A copy of a VM's workload generator running ahead of the simulation, for
 * the oracle: the change points from the oldest one still needed onwards. */
typedef struct lookahead {
    wl_gen *gen;
    bool started;
    bs_time next;     /* the generator's next change */
    bs_time *t;       /* change points: value v[i] holds from t[i] to t[i + 1] */
    bs_pages *v;
    size_t head, n, cap;
} lookahead;

typedef struct eng {
    const scen *sc;
    const eng_sink *sink;
    evq q;
    vm_run *vms;
    host_run *hosts;
    evq_node ev_sample, ev_warmup;
    bs_time measure_from;
    uint64_t events;
    bs_rc rc;
    lookahead *la_demand, *la_cache; /* per VM, only for a policy that sees ahead (oracle) */
    double *hist_arena;   /* MET_STALL_BINS per VM, mapped at setup, touched on use */
    size_t hist_bytes, vms_bytes;
    pol_truth truth;
    win_run *win;         /* sc->n_windows */
    size_t n_win;
    size_t *open;         /* indices of the open windows: what each piece also feeds */
    size_t n_open;
    vm_acc **hits;        /* scratch of win_hits(), n_win entries */
} eng;

#define EPS 1e-6 /* pages: below this, two amounts are the same */
#define REPORT_BLOCK 512 /* free page reporting works in 2 MiB blocks */

/* ---------------------------------------------------------------- helpers */

static double rate_pages_per_ns(double bytes_per_s)
{
    return bytes_per_s / (double)BS_PAGE_SIZE / (double)BS_NS_PER_S;
}

/* Time to move `pages` at `bytes_per_s`, rounded up to whole ns.  Computed
 * in bytes so that exact cases (1 GiB at 256 MiB/s) come out exact. */
static bs_time move_time(double pages, double bytes_per_s)
{
    double ns = pages * (double)BS_PAGE_SIZE * (double)BS_NS_PER_S / bytes_per_s;
    double c = ceil(ns - 1e-3);
    if (c < 1) c = 1;
    if (c > (double)INT64_MAX / 4) return BS_TIME_NEVER / 2;
    return (bs_time)c;
}

/* Rounded to the nearest byte (pages are never negative here). */
static int64_t pages_to_bytes_d(double pages)
{
    double b = pages * (double)BS_PAGE_SIZE;
    return b >= 0 ? (int64_t)(b + 0.5) : -(int64_t)(0.5 - b);
}

static bool dur_push(dur_list *l, double v)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 8;
        double *nv = realloc(l->v, cap * sizeof *nv);
        if (!nv) return false;
        l->v = nv;
        l->cap = cap;
    }
    l->v[l->n++] = v;
    return true;
}

static void emit(eng *E, bs_time t, const vm_run *vm, const host_run *h, const char *what,
                 int64_t value)
{
    if (!E->sink || !E->sink->event || E->rc) return;
    eng_event ev = {t, h ? h->cfg->name : vm->host->cfg->name, vm ? vm->cfg->name : NULL, what,
                    value};
    E->rc = E->sink->event(E->sink->ctx, &ev);
}

static bool measuring(const eng *E, bs_time t) { return t >= E->measure_from; }

static double host_U(const host_run *h, double SH)
{
    return (double)h->cfg->reserved + (1.0 - h->cfg->ksm_sharing) * SH;
}

static double host_X(const host_run *h, double SH)
{
    double x = host_U(h, SH) - (double)h->cfg->memory;
    return x > 0 ? x : 0;
}

/* Resident working set plus resident cache, the pages the guest has touched. */
static double vm_R(const vm_run *vm, double A)
{
    double ws = BS_MIN((double)vm->D, A);
    double cache = BS_MIN((double)vm->K, A - ws);
    return ws + (cache > 0 ? cache : 0);
}

/* x^a for the skew exponents: the common a = 1, 2 (and 2, 3 for a + 1) are
 * exact products, which are cheaper than pow() and give the same value. */
static double powa(double x, double a)
{
    if (a == 2.0) return x * x;
    if (a == 1.0) return x;
    if (a == 3.0) return x * x * x;
    return pow(x, a);
}

static int stall_bin(double v)
{
    if (v <= 0) return 0;
    int k = (int)ceil(v * 1000.0 - 1e-9);
    if (k < 1) k = 1;
    if (k > 1000) k = 1000;
    return k;
}

/* Each VM's histogram is a slice of one anonymous mapping made at setup:
 * untouched slices cost no memory (most VMs of a large run never stall), the
 * kernel hands out zeroed pages, and nothing is allocated while the run goes.
 * The slice is attached at the VM's first stall. */
static void hist_add(vm_acc *acc, double *slice, int bin, double secs)
{
    if (secs <= 0) return;
    if (bin == 0) {
        acc->zero_stall_s += secs;
        return;
    }
    if (!acc->hist) acc->hist = slice;
    acc->hist[bin] += secs;
}

/* Time at a stall level: into the VM's histogram and each open window's. */
static void stall_time(eng *E, vm_run *vm, int bin, double secs)
{
    size_t i = (size_t)(vm - E->vms);
    hist_add(&vm->acc, E->hist_arena + i * MET_STALL_BINS, bin, secs);
    for (size_t k = 0; k < E->n_open; k++) {
        win_run *w = &E->win[E->open[k]];
        hist_add(&w->acc[i], w->hist_arena + i * MET_STALL_BINS, bin, secs);
    }
}

/* The accumulators of VM i in the windows that hold instant t (within
 * [warmup, duration)), into E->hits; returns how many. */
static size_t win_hits(eng *E, const vm_run *vm, bs_time t)
{
    if (E->n_win == 0 || t < E->sc->warmup) return 0;
    size_t i = (size_t)(vm - E->vms), n = 0;
    for (size_t w = 0; w < E->n_win; w++)
        if (scen_window_contains(E->win[w].cfg, t)) E->hits[n++] = &E->win[w].acc[i];
    return n;
}

/* for each vm_acc *A of VM vm's windows holding t */
#define WIN_EACH(E, vm, t, A)                                                                   \
    for (vm_acc *A, **A##_p = (E)->hits, **A##_end = (E)->hits + win_hits((E), (vm), (t));      \
         A##_p < A##_end && (A = *A##_p, true); A##_p++)

/* The host's accumulators in each open window. */
#define WIN_HOST_EACH(E, h, HA)                                                                 \
    for (size_t HA##_k = 0; HA##_k < (E)->n_open; HA##_k++)                                      \
        for (host_acc *HA = &(E)->win[(E)->open[HA##_k]].hacc[(h)->index]; HA; HA = NULL)

/* ------------------------------------------------------------- host piece */

static void host_book_swap(host_run *h, bs_time t, double dX, double SH)
{
    if (dX <= 0 || SH <= 0) return;
    h->R0 += dX / SH;
    h->R1 += bs_time_to_s(t) * dX / SH;
}

/* Close the host's linear piece at t: integrals of swapping and use. */
static void host_advance(eng *E, host_run *h, bs_time t)
{
    if (t <= h->t0) return;
    double dt_ns = (double)(t - h->t0), dt = dt_ns / (double)BS_NS_PER_S;
    double SH1 = h->SH + h->sh * dt_ns;
    if (SH1 < 0) SH1 = 0;
    double mem = (double)h->cfg->memory;
    double U0 = host_U(h, h->SH), U1 = host_U(h, SH1);
    double used0 = BS_MIN(U0, mem), used1 = BS_MIN(U1, mem);
    double used_int = 0.5 * (used0 + used1) * dt;
    h->acc.used_int_s += used_int;
    double free_lo = mem - BS_MAX(used0, used1);
    if (free_lo < h->acc.free_min && measuring(E, h->t0)) h->acc.free_min = free_lo;
    WIN_HOST_EACH(E, h, ha) {
        ha->used_int_s += used_int;
        if (free_lo < ha->free_min) ha->free_min = free_lo;
    }
    if (h->swapping) {
        /* integral of (a + b s)/(c + d s) over the piece, s in ns */
        double a = U0 - mem, b = (1.0 - h->cfg->ksm_sharing) * h->sh, c = h->SH, d = h->sh;
        double integral_ns;
        if (c <= 0)
            integral_ns = 0;
        else if (fabs(d) * dt_ns < 1e-9 * c)
            integral_ns = (a * dt_ns + 0.5 * b * dt_ns * dt_ns) / c;
        else
            integral_ns = (b / d) * dt_ns + (a - b * c / d) / d * log1p(d * dt_ns / c);
        if (integral_ns < 0) integral_ns = 0;
        h->P += integral_ns / (double)BS_NS_PER_S;
        h->Q += dt;
        double X1 = host_X(h, SH1);
        if (X1 > h->X_last) {
            h->acc.swap_out += X1 - h->X_last;
            host_book_swap(h, t, X1 - h->X_last, SH1);
            WIN_HOST_EACH(E, h, ha) ha->swap_out += X1 - h->X_last;
        }
        h->X_last = X1;
    }
    h->SH = SH1;
    h->t0 = t;
}

static void host_schedule_cross(eng *E, host_run *h, bs_time t)
{
    double one_minus_s = 1.0 - h->cfg->ksm_sharing;
    double mem = (double)h->cfg->memory, res = (double)h->cfg->reserved;
    double sh_swap = (mem - res) / one_minus_s;                          /* X starts */
    double sh_oom = (mem + (double)h->cfg->swap - res) / one_minus_s;   /* X > swap */
    double goal = NAN;
    if (h->sh > 0) {
        if (h->SH < sh_swap - EPS)
            goal = sh_swap;
        else if (h->SH <= sh_oom + EPS)
            goal = sh_oom;
    } else if (h->sh < 0 && h->swapping) {
        goal = sh_swap;
    }
    if (isnan(goal) || h->sh == 0) {
        evq_cancel(&E->q, &h->ev_cross);
        return;
    }
    double ns = ceil(BS_MAX((goal - h->SH) / h->sh, 0.0)) + 1;
    if (ns >= (double)(E->sc->duration - t)) { /* not within this run */
        evq_cancel(&E->q, &h->ev_cross);
        return;
    }
    evq_schedule(&E->q, &h->ev_cross, t + (bs_time)ns, EVQ_HOST);
}

static void vm_begin(eng *E, vm_run *vm, bs_time t);
static void vm_end(eng *E, vm_run *vm, bs_time t);
static void vm_host_kill(eng *E, vm_run *vm, bs_time t);

/* A VM's actual size and host-resident memory at instant t, between its
 * events (its piece is linear from t0): what anything outside the VM's own
 * events must read instead of the A and H of its last update. */
static double vm_A_at(const vm_run *vm, bs_time t)
{
    if (!vm->on) return 0;
    return BS_MAX(0.0, vm->A + vm->a_rate * (double)(t - vm->t0));
}

static double vm_H_at(const vm_run *vm, bs_time t)
{
    if (!vm->on) return 0;
    if (vm->h_rate == 0 && vm->a_rate == 0) return vm->H;
    return BS_MAX(0.0, BS_MIN(vm_A_at(vm, t), vm->H + vm->h_rate * (double)(t - vm->t0)));
}

/* A jump of the host's swap at instant t, into the windows holding t. */
static void win_host_swap(eng *E, host_run *h, bs_time t, double pages)
{
    if (E->n_win == 0 || t < E->sc->warmup) return;
    for (size_t w = 0; w < E->n_win; w++)
        if (scen_window_contains(E->win[w].cfg, t)) E->win[w].hacc[h->index].swap_out += pages;
}

/* After VMs changed: OOM-kill while X exceeds host swap, follow the start and
 * end of host swapping, and schedule the next threshold crossing. */
static void host_check(eng *E, host_run *h, bs_time t)
{
    for (;;) {
        double X = host_X(h, h->SH);
        if (X <= (double)h->cfg->swap + EPS) break;
        /* the largest H at this instant (model.md), not as of each VM's
         * last event: a deflating balloon raises H between events */
        vm_run *victim = NULL;
        double victim_H = 0;
        for (size_t i = 0; i < h->n; i++) {
            vm_run *vm = &h->vms[i];
            if (!vm->on) continue;
            double H = vm_H_at(vm, t);
            if (!victim || H > victim_H + EPS) {
                victim = vm;
                victim_H = H;
            }
        }
        if (!victim || victim_H <= 0) break;
        vm_host_kill(E, victim, t);
    }
    double X = host_X(h, h->SH);
    bool swapping = X > EPS;
    if (swapping != h->swapping) {
        if (swapping && measuring(E, t)) {
            h->acc.swap_out += X;
            host_book_swap(h, t, X, h->SH);
            win_host_swap(E, h, t, X);
        }
        h->swapping = swapping;
        h->X_last = X;
        /* every VM's pressure may start or end: model-wide, so O(VMs) */
        for (size_t i = 0; i < h->n; i++) {
            vm_run *vm = &h->vms[i];
            if (!vm->on) continue;
            vm_begin(E, vm, t);
            vm_end(E, vm, t);
        }
    } else if (swapping && X > h->X_last) {
        if (measuring(E, t)) {
            h->acc.swap_out += X - h->X_last;
            host_book_swap(h, t, X - h->X_last, h->SH);
            win_host_swap(E, h, t, X - h->X_last);
        }
        h->X_last = X;
    } else if (swapping) {
        h->X_last = X;
    }
    host_schedule_cross(E, h, t);
}

/* --------------------------------------------------------------- VM piece */

/* Integrate the VM's piece [t0, t] into its accumulators and move state to t. */
/* What one piece adds to a VM's accumulators (and to each open window's). */
typedef struct piece {
    double exist_s, up_s, down_s, stall_s, pressure_s, sat_s;
    double swap_out, swap_in, traffic, host_swap_out; /* pages */
} piece;

static void acc_add_piece(vm_acc *acc, const piece *p)
{
    acc->traffic += p->traffic;
    acc->exist_s += p->exist_s;
    acc->down_s += p->down_s;
    acc->stall_s += p->stall_s;
    acc->up_s += p->up_s;
    acc->swap_out += p->swap_out;
    acc->swap_in += p->swap_in;
    acc->pressure_s += p->pressure_s;
    acc->sat_s += p->sat_s;
    acc->host_swap_out += p->host_swap_out;
}

static void piece_commit(eng *E, vm_run *vm, const piece *p)
{
    acc_add_piece(&vm->acc, p);
    size_t i = (size_t)(vm - E->vms);
    for (size_t k = 0; k < E->n_open; k++) acc_add_piece(&E->win[E->open[k]].acc[i], p);
}

/* The VM's share of the host swap-out booked since its t0, for a piece that
 * ends at the instant it began (H is what it is now). */
static void vm_take_swap_share(eng *E, vm_run *vm)
{
    host_run *h = vm->host;
    double dR0 = h->R0 - vm->R0_at_t0;
    vm->R0_at_t0 = h->R0;
    vm->R1_at_t0 = h->R1;
    if (!vm->on || dR0 <= 0) return;
    piece pc = {.host_swap_out = vm->H * dR0};
    piece_commit(E, vm, &pc);
}

static void vm_advance(eng *E, vm_run *vm, bs_time t)
{
    if (t <= vm->t0) {
        /* a booking at this instant after the VM's last look is still its
         * own: its H may change next */
        if (vm->host->R0 != vm->R0_at_t0) vm_take_swap_share(E, vm);
        return;
    }
    host_run *h = vm->host;
    double dt_ns = (double)(t - vm->t0), dt = dt_ns / (double)BS_NS_PER_S;
    piece pc = {0};
    if (vm->booting) {
        pc.exist_s = dt;
        pc.down_s = dt;
        pc.stall_s = dt;
        stall_time(E, vm, 1000, dt);
        piece_commit(E, vm, &pc);
    }
    if (!vm->on) {
        vm->t0 = t;
        vm->P_at_t0 = h->P;
        vm->Q_at_t0 = h->Q;
        vm->R0_at_t0 = h->R0;
        vm->R1_at_t0 = h->R1;
        return;
    }
    double A0 = vm->A, A1 = vm->A + vm->a_rate * dt_ns;
    double H0 = vm->H, H1 = vm->H + vm->h_rate * dt_ns;
    if (A1 < 0) A1 = 0;
    if (H1 < 0) H1 = 0;
    pc.traffic = fabs(A1 - A0);
    pc.exist_s = dt;
    double dP = h->P - vm->P_at_t0, dQ = h->Q - vm->Q_at_t0;
    double dR0 = h->R0 - vm->R0_at_t0;
    if (dR0 > 0) {
        double dR1 = h->R1 - vm->R1_at_t0, t0_s = bs_time_to_s(vm->t0);
        double own = H0 * dR0 + vm->h_rate * (double)BS_NS_PER_S * (dR1 - t0_s * dR0);
        pc.host_swap_out = own > 0 ? own : 0;
    }
    if (vm->wl_down) {
        pc.down_s = dt;
        pc.stall_s = dt;
        stall_time(E, vm, 1000, dt);
    } else {
        const scen_vm *c = vm->cfg;
        double D = (double)vm->D;
        double S0 = BS_MAX(0.0, D - A0), S1 = BS_MAX(0.0, D - A1);
        pc.up_s = dt;
        if (S1 > S0) {
            pc.swap_out = S1 - S0;
            vm->c_swap_out += S1 - S0;
        } else if (S0 > S1) {
            pc.swap_in = S0 - S1;
            vm->c_swap_in += S0 - S1;
        }
        double Hmid = 0.5 * (H0 + H1);
        if (vm->guest_pressured)
            pc.pressure_s = dt;
        else if (Hmid > 0)
            pc.pressure_s = BS_MIN(dQ, dt);
        /* stall = min(1, tau * ((S/D)^alpha * Lg + p_host * Lh)) */
        double tau = c->touch_rate, alpha = c->locality;
        double Lg = bs_time_to_s(c->swap_latency), Lh = bs_time_to_s(h->cfg->swap_latency);
        double p_bar = dt > 0 ? dP / dt : 0;
        double cst = tau * p_bar * Lh; /* host part, constant over the piece */
        double k = tau * Lg;           /* guest part: k (S/D)^alpha */
        double stall_int, fault_int;
        if (D <= 0 || (S0 <= 0 && S1 <= 0) || k <= 0) {
            double v = BS_MIN(1.0, cst);
            stall_int = v * dt;
            fault_int = 0;
            stall_time(E, vm, stall_bin(v), dt);
        } else if (fabs(S1 - S0) < EPS) {
            double g = k * powa(S0 / D, alpha);
            double v = BS_MIN(1.0, cst + g);
            stall_int = v * dt;
            fault_int = tau * powa(S0 / D, alpha) * dt;
            stall_time(E, vm, stall_bin(v), dt);
        } else {
            /* S is linear in time: integrate over S instead. */
            double Slo = BS_MIN(S0, S1), Shi = BS_MAX(S0, S1), per_S = dt / (Shi - Slo);
            double Sstar = Shi; /* where the clamp at 1 starts */
            if (cst >= 1)
                Sstar = Slo;
            else if (k * powa(Shi / D, alpha) + cst > 1)
                Sstar = D * pow((1 - cst) / k, 1 / alpha);
            if (Sstar < Slo) Sstar = Slo;
            double ap1 = alpha + 1;
            double gint = k * (1.0 / powa(D, alpha)) * (powa(Sstar, ap1) - powa(Slo, ap1)) / ap1;
            stall_int = per_S * (cst * (Sstar - Slo) + gint + (Shi - Sstar));
            fault_int = per_S * tau * (1.0 / powa(D, alpha)) * (powa(Shi, ap1) - powa(Slo, ap1)) / ap1;
            /* time in each 0.001 stall bin, by inverting the monotone stall(S) */
            int blo = stall_bin(BS_MIN(1.0, cst + k * powa(Slo / D, alpha)));
            int bhi = stall_bin(BS_MIN(1.0, cst + k * powa(Shi / D, alpha)));
            double s_prev = Slo;
            for (int b = blo; b <= bhi; b++) {
                double s_edge;
                if (b == bhi) {
                    s_edge = Shi;
                } else {
                    double v = (double)b / 1000.0;
                    s_edge = v <= cst ? Slo : D * pow((v - cst) / k, 1 / alpha);
                    if (s_edge > Shi) s_edge = Shi;
                    if (s_edge < s_prev) s_edge = s_prev;
                }
                stall_time(E, vm, b, (s_edge - s_prev) * per_S);
                s_prev = s_edge;
            }
        }
        pc.stall_s = stall_int;
        vm->c_faults += fault_int;
        /* satisfaction (D - S - X_i)/D, X_i = p_host * H_i */
        if (D <= 0) {
            pc.sat_s = dt;
        } else {
            double miss = 0.5 * (S0 + S1) * dt + dP * Hmid;
            double sat = dt - miss / D;
            pc.sat_s = sat > 0 ? sat : 0;
        }
    }
    piece_commit(E, vm, &pc);
    vm->A = A1;
    vm->H = H1;
    vm->t0 = t;
    vm->P_at_t0 = h->P;
    vm->Q_at_t0 = h->Q;
    vm->R0_at_t0 = h->R0;
    vm->R1_at_t0 = h->R1;
}

/* Linux hv_balloon's compute_balloon_floor(): a continuous piecewise-linear
 * function of the guest's RAM (MiB -> MiB: 128 -> 72, 512 -> 168, 2048 -> 360,
 * 8192 -> 744), in 4 KiB pages.  The guest refuses to balloon once its
 * available memory would fall below it.  Its RAM is totalram_pages(), which
 * shrinks as the balloon fills, so the lowest actual size A the guest accepts
 * solves A - D = floor(A): found segment by segment (A - D - floor(A) grows
 * with A, every slope of floor() being below 1). */
static double hyperv_lowest_actual(double D)
{
    static const struct {
        double below_mib, base_mib;
        int shift;
    } seg[] = {{128, 8, 1}, {512, 40, 2}, {2048, 104, 3}, {8192, 232, 4}, {INFINITY, 488, 5}};
    const double per_mib = 256; /* pages */
    double lo = 0;
    for (size_t i = 0; i < sizeof seg / sizeof *seg; i++) {
        double hi = seg[i].below_mib * per_mib, k = 1.0 / (double)(1 << seg[i].shift);
        double b = seg[i].base_mib * per_mib;
        /* A - D - (b + A k) >= 0  <=>  A >= (D + b) / (1 - k) */
        double a = (D + b) / (1 - k);
        if (a < hi) return BS_MAX(a, lo);
        lo = hi;
    }
    return lo;
}

/* Floor below which the driver cannot inflate now (pages). */
static double inflate_floor(const vm_run *vm)
{
    const scen_vm *c = vm->cfg;
    double L = (double)vm->T;
    double swap_floor = (double)vm->D - (double)c->swap;
    if (swap_floor > L) L = swap_floor;
    if (c->balloon.max_balloon_fraction < 1.0) {
        double most = floor(c->balloon.max_balloon_fraction * (double)c->memory);
        double f = (double)c->memory - most;
        if (f > L) L = f;
    }
    if (c->balloon.hyperv_floor) {
        double hv = vm->A < (double)vm->D ? vm->A /* no available memory: refuses */
                                          : hyperv_lowest_actual((double)vm->D);
        if (hv > L) L = hv;
    }
    return L;
}

/* ------------------------------------------------------ VM state changes */

static void vm_begin(eng *E, vm_run *vm, bs_time t)
{
    host_advance(E, vm->host, t);
    vm_advance(E, vm, t);
    vm->H_mark = vm->H;
    vm->hrate_mark = vm->h_rate;
}

static void episode_close(eng *E, vm_run *vm, bs_time t)
{
    if (!vm->pressured) return;
    vm->pressured = false;
    double d = bs_time_to_s(t - vm->episode_start);
    if (!dur_push(&vm->acc.relief, d)) E->rc = BS_ERR_INTERNAL;
    WIN_EACH(E, vm, vm->episode_start, a) /* a duration belongs to the window it starts in */
        if (!dur_push(&a->relief, d)) E->rc = BS_ERR_INTERNAL;
}

static void vm_end(eng *E, vm_run *vm, bs_time t)
{
    host_run *h = vm->host;
    if (vm->H > vm->A) vm->H = vm->A;
    if (vm->H < 0) vm->H = 0;
    h->SH += vm->H - vm->H_mark;
    h->sh += vm->h_rate - vm->hrate_mark;
    if (h->SH < 0) h->SH = 0;
    vm->H_mark = vm->H;
    vm->hrate_mark = vm->h_rate;

    bool up = vm->on && !vm->wl_down;
    double D = (double)vm->D;
    vm->guest_pressured =
        up && D > 0 && (D - vm->A > EPS || (vm->a_rate < 0 && D - vm->A > -EPS));
    bool host_part = up && h->swapping && (vm->H > EPS || vm->h_rate > 0);
    bool pressured = vm->guest_pressured || host_part;
    if (pressured && !vm->pressured) {
        vm->pressured = true;
        vm->episode_start = t;
    } else if (!pressured && vm->pressured) {
        episode_close(E, vm, t);
    }
    /* free page reporting: backed but free guest memory returns after a delay */
    const scen_balloon *b = &vm->cfg->balloon;
    if (b->free_page_reporting && vm->on && !vm->report_pending &&
        vm->H - vm_R(vm, vm->A) >= REPORT_BLOCK) {
        vm->report_pending = true;
        evq_schedule(&E->q, &vm->ev_report, t + b->reporting_delay, EVQ_DRIVER);
    }
}

static void vm_reached(eng *E, vm_run *vm, bs_time t)
{
    vm->A = (double)vm->T;
    vm->a_rate = 0; /* a redirect can land here in mid-move: stop the motion */
    vm->h_rate = 0;
    if (vm->H > vm->A) vm->H = vm->A;
    vm->phase = DRV_IDLE;
    vm->blocked = false;
    evq_cancel(&E->q, &vm->ev_driver);
    emit(E, t, vm, NULL, "reached", bs_pages_to_bytes(vm->T));
    if (vm->reach_open) {
        vm->reach_open = false;
        double d = bs_time_to_s(t - vm->target_set_at);
        if (!dur_push(&vm->acc.reach, d)) E->rc = BS_ERR_INTERNAL;
        WIN_EACH(E, vm, vm->target_set_at, a)
            if (!dur_push(&a->reach, d)) E->rc = BS_ERR_INTERNAL;
    }
}

/* Set the driver's rates and its next breakpoint from the state at t.  A
 * blocked driver only tries again on its own retry (`driver_wakes`); other
 * changes leave it waiting for that retry. */
static void vm_replan(eng *E, vm_run *vm, bs_time t, bool driver_wakes)
{
    vm->a_rate = 0;
    vm->h_rate = 0;
    if (!vm->on || vm->phase != DRV_ACTIVE) return;
    if (vm->stuck) {
        evq_cancel(&E->q, &vm->ev_driver);
        return;
    }
    const scen_balloon *b = &vm->cfg->balloon;
    double A = vm->A, T = (double)vm->T, D = (double)vm->D, DK = D + (double)vm->K;
    if (fabs(A - T) < EPS) {
        vm_reached(E, vm, t);
        return;
    }
    double bp, bytes_rate;
    if (T < A) {
        if (vm->blocked && !driver_wakes) return;
        double L = inflate_floor(vm);
        if (L > A - EPS) {
            /* The guest cannot give pages now: retry every retry_delay.  Retries
             * only change anything after demand changed, so they are scheduled
             * from vm_wake_blocked() on the retry grid instead of firing idly. */
            if (!vm->blocked) {
                vm->blocked = true;
                vm->blocked_since = t;
            }
            evq_cancel(&E->q, &vm->ev_driver);
            return;
        }
        vm->blocked = false;
        bytes_rate = A > DK + EPS ? b->inflate_rate : b->reclaim_rate;
        bp = L;
        if (DK < A - EPS && DK > bp) bp = DK;
        if (D < A - EPS && D > bp) bp = D;
        if (vm->H < A - EPS && vm->H > bp) bp = vm->H;
        double r = rate_pages_per_ns(bytes_rate);
        vm->a_rate = -r;
        vm->h_rate = vm->H >= A - EPS ? -r : 0;
        vm->goal = bp;
        evq_schedule(&E->q, &vm->ev_driver, t + move_time(A - bp, bytes_rate), EVQ_DRIVER);
    } else {
        vm->blocked = false;
        bytes_rate = b->deflate_rate;
        bp = T;
        if (D > A + EPS && D < bp) bp = D;
        if (DK > A + EPS && DK < bp) bp = DK;
        double r = rate_pages_per_ns(bytes_rate);
        vm->a_rate = r;
        vm->h_rate = (A < DK - EPS && vm->H >= A - EPS) ? r : 0;
        vm->goal = bp;
        evq_schedule(&E->q, &vm->ev_driver, t + move_time(bp - A, bytes_rate), EVQ_DRIVER);
    }
}

/* A blocked driver retries on its retry_delay grid; schedule the first retry
 * that can make progress now that demand changed. */
static void vm_wake_blocked(eng *E, vm_run *vm, bs_time t)
{
    if (!vm->on || vm->phase != DRV_ACTIVE || !vm->blocked || vm->stuck) return;
    if (inflate_floor(vm) > vm->A - EPS) return;
    bs_time rd = vm->cfg->balloon.retry_delay > 0 ? vm->cfg->balloon.retry_delay : 1;
    bs_time k = (t - vm->blocked_since + rd - 1) / rd;
    evq_schedule(&E->q, &vm->ev_driver, vm->blocked_since + k * rd, EVQ_DRIVER);
}

static void vm_guest_kill(eng *E, vm_run *vm, bs_time t)
{
    if (measuring(E, t)) {
        vm->acc.guest_oom++;
        WIN_EACH(E, vm, t, a) a->guest_oom++;
    }
    emit(E, t, vm, NULL, "guest_oom", bs_pages_to_bytes(vm->D));
    episode_close(E, vm, t);
    vm->wl_down = true;
    vm->D = 0;
    evq_schedule(&E->q, &vm->ev_restart, t + vm->cfg->restart_delay, EVQ_LIFECYCLE);
}

/* D > A + guest swap: deflate on OOM if the driver may, else OOM-kill. */
static void vm_check_oom(eng *E, vm_run *vm, bs_time t)
{
    if (!vm->on || vm->wl_down) return;
    const scen_vm *c = vm->cfg;
    double over = (double)vm->D - (vm->A + (double)c->swap);
    if (over <= EPS) return;
    if (c->balloon.enabled && c->balloon.deflate_on_oom && vm->A < (double)c->memory) {
        double give = BS_MIN(over, (double)c->memory - vm->A);
        vm->A += give;
        vm->acc.traffic += give;
        WIN_EACH(E, vm, t, a) a->traffic += give;
        emit(E, t, vm, NULL, "deflate_on_oom", pages_to_bytes_d(give));
        /* T is unchanged: the driver inflates again later, as the real one does */
        if (vm->phase == DRV_IDLE && (double)vm->T < vm->A - EPS) {
            vm->phase = DRV_ACTIVE;
            vm->blocked = true;
            vm->blocked_since = t;
        }
        over = (double)vm->D - (vm->A + (double)c->swap);
    }
    if (over > EPS) vm_guest_kill(E, vm, t);
}

/* New effective demand: OOM, swap accounting, residency.  The swap-out is
 * counted after the OOM check: pages that a kill frees, or that deflate on OOM
 * keeps in memory, never went to swap. */
static void vm_apply_demand(eng *E, vm_run *vm, bs_time t, bs_pages D, bs_pages K)
{
    double S_old = BS_MAX(0.0, (double)vm->D - vm->A);
    vm->D = D;
    vm->K = K;
    vm_check_oom(E, vm, t);
    double S_new = BS_MAX(0.0, (double)vm->D - vm->A);
    if (S_new > S_old) {
        vm->acc.swap_out += S_new - S_old;
        WIN_EACH(E, vm, t, a) a->swap_out += S_new - S_old;
        vm->c_swap_out += S_new - S_old;
    }
    double R = vm_R(vm, vm->A);
    if (R > vm->H) vm->H = BS_MIN(vm->A, R);
}

static void vm_boot(eng *E, vm_run *vm, bs_time t)
{
    const scen_vm *c = vm->cfg;
    vm->on = true;
    vm->booting = false;
    vm->wl_down = false;
    bs_pages start = c->balloon.enabled ? c->start_memory : c->memory;
    vm->A = (double)start;
    vm->T = start;
    vm->H = 0;
    vm->phase = DRV_IDLE;
    vm->blocked = false;
    vm->reach_open = false;
    vm->wl_D = wl_advance(vm->wl, t, &vm->wl_next);
    bs_pages K = 0;
    vm->cache_next = BS_TIME_NEVER;
    if (vm->wl_cache) K = wl_advance(vm->wl_cache, t, &vm->cache_next);
    vm->D = 0;
    vm_apply_demand(E, vm, t, vm->wl_D, K);
    bs_time next = BS_MIN(vm->wl_next, vm->cache_next);
    if (next != BS_TIME_NEVER) evq_schedule(&E->q, &vm->ev_demand, next, EVQ_DEMAND);
}

static void vm_power_off(eng *E, vm_run *vm)
{
    vm->on = false;
    vm->wl_down = false;
    vm->A = 0;
    vm->T = 0;
    vm->H = 0;
    vm->D = 0;
    vm->K = 0;
    vm->a_rate = vm->h_rate = 0;
    vm->phase = DRV_IDLE;
    vm->blocked = false;
    vm->reach_open = false;
    vm->report_pending = false;
    evq_cancel(&E->q, &vm->ev_driver);
    evq_cancel(&E->q, &vm->ev_report);
    evq_cancel(&E->q, &vm->ev_demand);
}

static void vm_host_kill(eng *E, vm_run *vm, bs_time t)
{
    vm_begin(E, vm, t);
    if (measuring(E, t)) {
        vm->acc.host_oom++;
        WIN_EACH(E, vm, t, a) a->host_oom++;
    }
    emit(E, t, vm, NULL, "host_oom", pages_to_bytes_d(vm->H));
    episode_close(E, vm, t);
    vm_power_off(E, vm);
    vm->booting = true;
    evq_schedule(&E->q, &vm->ev_restart, t + vm->cfg->restart_delay, EVQ_LIFECYCLE);
    vm_end(E, vm, t);
}

static void vm_set_target(eng *E, vm_run *vm, bs_pages Tn, bs_time t)
{
    if (Tn == vm->T) return;
    vm_begin(E, vm, t);
    int dir = Tn > vm->T ? 1 : -1;
    if (vm->last_dir != 0 && dir != vm->last_dir && measuring(E, t)) {
        vm->acc.reversals++;
        WIN_EACH(E, vm, t, a) a->reversals++;
    }
    vm->last_dir = dir;
    vm->T = Tn;
    emit(E, t, vm, NULL, "target", bs_pages_to_bytes(Tn));
    vm->target_set_at = t;
    vm->reach_open = measuring(E, t);
    if (fabs(vm->A - (double)Tn) < EPS) {
        vm_reached(E, vm, t);
    } else if (vm->phase == DRV_ACTIVE) {
        vm_replan(E, vm, t, true); /* redirect without a second latency */
    } else if (vm->phase == DRV_IDLE) {
        vm->phase = DRV_PENDING;
        evq_schedule(&E->q, &vm->ev_driver, t + vm->cfg->balloon.latency, EVQ_DRIVER);
    } /* DRV_PENDING: the driver will read the newest target when it acts */
    vm_end(E, vm, t);
    host_check(E, vm->host, t);
}

/* --------------------------------------------------------- event handlers */

static void on_life(eng *E, vm_run *vm, bs_time t)
{
    vm_begin(E, vm, t);
    if (!vm->on && !vm->booting && !vm->stopped) {
        vm_boot(E, vm, t);
        emit(E, t, vm, NULL, "start", pages_to_bytes_d(vm->A));
        if (vm->cfg->stop != BS_TIME_NEVER)
            evq_schedule(&E->q, &vm->ev_life, vm->cfg->stop, EVQ_LIFECYCLE);
    } else if (!vm->stopped) {
        emit(E, t, vm, NULL, "stop", pages_to_bytes_d(vm->A));
        episode_close(E, vm, t);
        vm_power_off(E, vm);
        vm->booting = false;
        vm->stopped = true;
        evq_cancel(&E->q, &vm->ev_restart);
    }
    vm_end(E, vm, t);
    host_check(E, vm->host, t);
}

static void on_restart(eng *E, vm_run *vm, bs_time t)
{
    if (vm->stopped) return;
    vm_begin(E, vm, t);
    if (vm->booting) {
        vm_boot(E, vm, t);
        emit(E, t, vm, NULL, "restart", pages_to_bytes_d(vm->A));
    } else if (vm->wl_down) {
        vm->wl_down = false;
        emit(E, t, vm, NULL, "restart", pages_to_bytes_d(vm->A));
        vm_apply_demand(E, vm, t, vm->wl_D, vm->K);
        vm_replan(E, vm, t, false);
        vm_wake_blocked(E, vm, t);
    }
    vm_end(E, vm, t);
    host_check(E, vm->host, t);
}

static void on_demand(eng *E, vm_run *vm, bs_time t)
{
    if (!vm->on) return;
    vm_begin(E, vm, t);
    if (vm->wl_next <= t) vm->wl_D = wl_advance(vm->wl, t, &vm->wl_next);
    bs_pages K = vm->K;
    if (vm->wl_cache && vm->cache_next <= t) K = wl_advance(vm->wl_cache, t, &vm->cache_next);
    vm_apply_demand(E, vm, t, vm->wl_down ? 0 : vm->wl_D, K);
    vm_replan(E, vm, t, false);
    vm_wake_blocked(E, vm, t);
    vm_end(E, vm, t);
    host_check(E, vm->host, t);
    bs_time next = BS_MIN(vm->wl_next, vm->cache_next);
    if (next != BS_TIME_NEVER) evq_schedule(&E->q, &vm->ev_demand, next, EVQ_DEMAND);
}

static void on_driver(eng *E, vm_run *vm, bs_time t)
{
    if (!vm->on) return;
    vm_begin(E, vm, t);
    if (vm->phase == DRV_PENDING) {
        vm->phase = DRV_ACTIVE;
    } else if (vm->phase == DRV_ACTIVE && !vm->blocked && vm->a_rate != 0) {
        /* landed on the planned breakpoint: remove rounding */
        bool tracking = vm->h_rate != 0;
        vm->A = vm->goal;
        if (tracking) vm->H = vm->goal;
    }
    vm_replan(E, vm, t, true);
    vm_end(E, vm, t);
    host_check(E, vm->host, t);
}

static void on_report(eng *E, vm_run *vm, bs_time t)
{
    vm->report_pending = false;
    if (!vm->on) return;
    vm_begin(E, vm, t);
    double gap = vm->H - vm_R(vm, vm->A);
    if (gap >= REPORT_BLOCK) {
        vm->H -= floor(gap / REPORT_BLOCK) * REPORT_BLOCK;
        if (vm->h_rate != 0 && vm->H < vm->A - EPS) vm->h_rate = 0; /* no longer tracking */
    }
    vm_end(E, vm, t);
    host_check(E, vm->host, t);
}

static void on_stuck(eng *E, vm_run *vm, bs_time t)
{
    const scen_balloon *b = &vm->cfg->balloon;
    if (vm->next_stuck >= b->n_stuck) return;
    const scen_stuck *w = &b->stuck[vm->next_stuck];
    vm_begin(E, vm, t);
    if (!vm->stuck_open) {
        vm->stuck_open = true;
        vm->stuck = true;
        if (vm->on) emit(E, t, vm, NULL, "stuck_begin", 0);
        evq_schedule(&E->q, &vm->ev_stuck, w->at + w->len, EVQ_DRIVER);
        vm_replan(E, vm, t, false);
    } else {
        vm->stuck_open = false;
        vm->stuck = false;
        vm->next_stuck++;
        if (vm->on) emit(E, t, vm, NULL, "stuck_end", 0);
        if (vm->next_stuck < b->n_stuck)
            evq_schedule(&E->q, &vm->ev_stuck, b->stuck[vm->next_stuck].at, EVQ_DRIVER);
        /* the driver wakes and acts on whatever target is current */
        if (vm->on && vm->phase == DRV_IDLE && fabs(vm->A - (double)vm->T) >= EPS)
            vm->phase = DRV_ACTIVE;
        vm_replan(E, vm, t, true);
    }
    vm_end(E, vm, t);
    host_check(E, vm->host, t);
}

static void on_cross(eng *E, host_run *h, bs_time t)
{
    host_advance(E, h, t);
    host_check(E, h, t);
}

/* The guest-side view of one VM at t (docs/model.md "What a policy sees"). */
/* The fields that never change (name, bounds, shares) are filled only when
 * the view slot held another VM at the previous report: reading the scenario's
 * VM records for every VM at every report costs more than the rest of it. */
static void vm_view(const vm_run *vm, bool same_slot, double A_now, double swap_out,
                    double swap_in, double faults, pol_vm_view *v)
{
    if (!same_slot) {
        const scen_vm *c = vm->cfg;
        v->name = c->name;
        v->vm = c->index;
        v->max = bs_pages_to_bytes(c->memory);
        v->min = bs_pages_to_bytes(c->min);
        v->shares = c->shares;
        v->balloon = c->balloon.enabled;
        v->locked = false;
        v->active = -1;
    }
    double A = floor(A_now + EPS), D = (double)vm->D;
    double ws = BS_MIN(D, A), C = BS_MIN((double)vm->K, A - ws), F = A - ws - C;
    v->actual = bs_pages_to_bytes((bs_pages)A);
    v->target = bs_pages_to_bytes(vm->T);
    v->free = pages_to_bytes_d(F);
    v->available = pages_to_bytes_d(F + C);
    v->cache = pages_to_bytes_d(C);
    v->committed = bs_pages_to_bytes(vm->D);
    v->swap_in = pages_to_bytes_d(swap_in - vm->r_swap_in);
    v->swap_out = pages_to_bytes_d(swap_out - vm->r_swap_out);
    v->major_faults = (int64_t)(faults - vm->r_faults + 0.5);
}

static void schedule_stats_for_tick(eng *E, host_run *h)
{
    if (h->next_tick == BS_TIME_NEVER || h->next_tick >= E->sc->duration) return;
    bs_time si = E->sc->policy.stats_interval;
    bs_time r = (h->next_tick / si) * si;
    if (r > h->last_report) evq_schedule(&E->q, &h->ev_stats, r, EVQ_STATS);
}

/* Guest counters of the current piece up to t, without closing the piece:
 * stats reports read them for every VM, and must stay cheaper than an event. */
static void vm_peek_counters(const vm_run *vm, bs_time t, double *swap_out, double *swap_in,
                             double *faults)
{
    *swap_out = vm->c_swap_out;
    *swap_in = vm->c_swap_in;
    *faults = vm->c_faults;
    if (!vm->on || vm->wl_down || t <= vm->t0 || vm->D <= 0) return;
    double dt_ns = (double)(t - vm->t0), dt = dt_ns / (double)BS_NS_PER_S;
    double D = (double)vm->D, A1 = BS_MAX(0.0, vm->A + vm->a_rate * dt_ns);
    double S0 = BS_MAX(0.0, D - vm->A), S1 = BS_MAX(0.0, D - A1);
    if (S1 > S0) *swap_out += S1 - S0;
    if (S0 > S1) *swap_in += S0 - S1;
    if (S0 <= 0 && S1 <= 0) return;
    double tau = vm->tau, alpha = vm->alpha;
    if (fabs(S1 - S0) < EPS) {
        *faults += tau * powa(S0 / D, alpha) * dt;
    } else {
        double Slo = BS_MIN(S0, S1), Shi = BS_MAX(S0, S1), ap1 = alpha + 1;
        *faults += dt / (Shi - Slo) * tau * (1.0 / powa(D, alpha)) * (powa(Shi, ap1) - powa(Slo, ap1)) / ap1;
    }
}

static void on_stats(eng *E, host_run *h, bs_time t)
{
    host_advance(E, h, t);
    size_t n = 0;
    double SH = 0;
    for (size_t i = 0; i < h->n; i++) {
        vm_run *vm = &h->vms[i];
        if (!vm->on) continue;
        /* re-sum H now and then, so that rounding never accumulates */
        SH += vm_H_at(vm, t);
        pol_vm_view *v = &h->views[n];
        bool same = h->view_src[n] == vm;
        h->view_src[n] = vm;
        h->known_T[n] = vm->T;
        n++;
        /* Nothing happened to this VM since the last report (a policy tick at
         * that instant can only have changed its target), it does not move and
         * does not page: its report is the last one with no new traffic.  Most
         * VMs at most reports, so this is worth the test. */
        if (same && vm->t0 <= h->last_report && vm->a_rate == 0 &&
            v->target == bs_pages_to_bytes(vm->T) && (vm->wl_down || vm->D <= vm->A)) {
            v->swap_in = v->swap_out = v->major_faults = 0;
            continue;
        }
        double A = vm_A_at(vm, t);
        double so, si, faults;
        vm_peek_counters(vm, t, &so, &si, &faults);
        vm_view(vm, same, A, so, si, faults, v);
        vm->r_swap_out = so;
        vm->r_swap_in = si;
        vm->r_faults = faults;
    }
    h->SH = SH;
    h->n_views = n;
    h->last_report = t;
    host_check(E, h, t);
}

static void host_view(const eng *E, const host_run *h, pol_host_view *v)
{
    (void)E;
    double X = host_X(h, h->SH);
    double used = BS_MIN(host_U(h, h->SH), (double)h->cfg->memory);
    v->name = h->cfg->name;
    v->host = h->index;
    v->memory = bs_pages_to_bytes(h->cfg->memory);
    v->reserved = bs_pages_to_bytes(h->cfg->reserved);
    v->free = pages_to_bytes_d((double)h->cfg->memory - used);
    v->available = v->free;
    v->swap_used = pages_to_bytes_d(X);
    v->swap_total = bs_pages_to_bytes(h->cfg->swap);
    v->request = 0;
    v->truth = NULL;
}

/* ----------------- the oracle's look-ahead: future demand, for policies that see it */

static bool la_push(lookahead *la, bs_time t, bs_pages v)
{
    if (la->head > 0 && la->head + la->n == la->cap) { /* reclaim the consumed front */
        memmove(la->t, la->t + la->head, la->n * sizeof *la->t);
        memmove(la->v, la->v + la->head, la->n * sizeof *la->v);
        la->head = 0;
    }
    if (la->head + la->n == la->cap) {
        size_t cap = la->cap ? 2 * la->cap : 16;
        bs_time *nt = realloc(la->t, cap * sizeof *nt);
        if (!nt) return false;
        la->t = nt;
        bs_pages *nv = realloc(la->v, cap * sizeof *nv);
        if (!nv) return false;
        la->v = nv;
        la->cap = cap;
    }
    la->t[la->head + la->n] = t;
    la->v[la->head + la->n] = v;
    la->n++;
    return true;
}

/* Highest value over [from, to]; `from` never decreases between calls. */
static bs_pages la_peak(lookahead *la, bs_time from, bs_time to)
{
    if (!la || !la->gen) return 0;
    if (!la->started) {
        bs_pages v = wl_advance(la->gen, from, &la->next);
        la->started = true;
        if (!la_push(la, from, v)) return 0;
    }
    while (la->next != BS_TIME_NEVER && la->next <= to) {
        bs_time at = la->next;
        bs_pages v = wl_advance(la->gen, at, &la->next);
        if (!la_push(la, at, v)) return 0;
    }
    while (la->n > 1 && la->t[la->head + 1] <= from) {
        la->head++;
        la->n--;
    }
    bs_pages peak = 0;
    for (size_t i = 0; i < la->n && la->t[la->head + i] <= to; i++)
        peak = BS_MAX(peak, la->v[la->head + i]);
    return peak;
}

static int64_t truth_peak_demand(const void *ctx, size_t vm, bs_time from, bs_time to)
{
    const eng *E = ctx;
    if (vm >= E->sc->n_vms || !E->la_demand) return 0;
    return bs_pages_to_bytes(la_peak(&E->la_demand[vm], from, to));
}

static int64_t truth_peak_cache(const void *ctx, size_t vm, bs_time from, bs_time to)
{
    const eng *E = ctx;
    if (vm >= E->sc->n_vms || !E->la_cache) return 0;
    return bs_pages_to_bytes(la_peak(&E->la_cache[vm], from, to));
}

static void la_free(lookahead *la)
{
    if (la->gen) wl_gen_free(la->gen);
    free(la->t);
    free(la->v);
}

static bs_rc truth_setup(eng *E)
{
    const scen *sc = E->sc;
    E->la_demand = calloc(sc->n_vms ? sc->n_vms : 1, sizeof *E->la_demand);
    E->la_cache = calloc(sc->n_vms ? sc->n_vms : 1, sizeof *E->la_cache);
    if (!E->la_demand || !E->la_cache) return BS_ERR_INTERNAL;
    for (size_t i = 0; i < sc->n_vms; i++) {
        const scen_vm *c = &sc->vms[i];
        wl_vm_info info = {c->name, sc->seed, c->memory, "demand", c->entry_index, c->entry_count};
        bs_rc rc = wl_instantiate(c->demand, &info, &E->la_demand[i].gen);
        if (rc != BS_OK) return rc;
        if (c->cache) {
            info.purpose = "cache";
            rc = wl_instantiate(c->cache, &info, &E->la_cache[i].gen);
            if (rc != BS_OK) return rc;
        }
    }
    E->truth.ctx = E;
    E->truth.peak_demand = truth_peak_demand;
    E->truth.peak_cache = truth_peak_cache;
    return BS_OK;
}

static void on_tick(eng *E, host_run *h, bs_time t)
{
    const scen_policy *p = &E->sc->policy;
    if (h->n_views > 0) {
        pol_host_view hv;
        host_advance(E, h, t);
        host_view(E, h, &hv);
        hv.truth = E->la_demand ? &E->truth : NULL;
        bs_rc rc = pol_decide_all(p->type, p->cfg, h->pol_state, t, &hv, h->views, h->n_views,
                                  h->targets);
        if (rc != BS_OK) {
            E->rc = rc;
            return;
        }
        for (size_t i = 0; i < h->n_views; i++) {
            const pol_vm_view *v = &h->views[i];
            if (h->targets[i] == POL_LEAVE || h->targets[i] < 0) continue;
            if (!v->balloon || v->shares == 0) continue;
            bs_pages Tn = bs_bytes_to_pages(h->targets[i]);
            Tn = BS_MAX(Tn, bs_bytes_to_pages(v->min));
            Tn = BS_MIN(Tn, bs_bytes_to_pages(v->max));
            /* Most ticks repeat the current target: with a report taken at this
             * very instant, skip those without touching the VM (a tick is
             * O(VMs), keep its constant small).  A stale report may predate a
             * reboot, so then the VM itself is asked. */
            if (h->last_report == t && Tn == h->known_T[i]) continue;
            vm_run *vm = &E->vms[v->vm];
            if (!vm->on) continue;
            vm_set_target(E, vm, Tn, t);
        }
    }
    h->next_tick = p->type->next_tick
                       ? p->type->next_tick(p->cfg, h->pol_state, h->index, t, p->interval)
                       : t + p->interval;
    if (h->next_tick != BS_TIME_NEVER && h->next_tick < E->sc->duration) {
        evq_schedule(&E->q, &h->ev_tick, h->next_tick, EVQ_POLICY);
        schedule_stats_for_tick(E, h);
    }
}

static void take_sample(eng *E, bs_time t)
{
    if (!E->sink || E->rc) return;
    for (size_t hi = 0; hi < E->sc->n_hosts && !E->rc; hi++) {
        host_run *h = &E->hosts[hi];
        double dt_ns = (double)(t - h->t0);
        double SH = BS_MAX(0.0, h->SH + h->sh * dt_ns);
        double X = host_X(h, SH);
        double one_minus_s = 1.0 - h->cfg->ksm_sharing;
        double resident_sum = 0;
        for (size_t i = 0; i < h->n && !E->rc; i++) {
            vm_run *vm = &h->vms[i];
            double A = vm_A_at(vm, t), H = vm_H_at(vm, t);
            double D = vm->on ? (double)vm->D : 0;
            double ws = BS_MIN(D, A), C = BS_MIN((double)vm->K, A - ws);
            if (!vm->on) C = 0;
            double S = BS_MAX(0.0, D - A);
            double Xi = (SH > 0 && vm->on) ? X * H / SH : 0;
            int64_t resident = pages_to_bytes_d(H);
            resident_sum += (double)resident;
            double stall = 0;
            if (vm->booting || (vm->on && vm->wl_down)) {
                stall = 1;
            } else if (vm->on) {
                const scen_vm *c = vm->cfg;
                double g = D > 0 ? powa(S / D, c->locality) : 0;
                double ph = H > 0 ? Xi / H : 0;
                stall = BS_MIN(1.0, c->touch_rate * (g * bs_time_to_s(c->swap_latency) +
                                                     ph * bs_time_to_s(h->cfg->swap_latency)));
            }
            if (E->sink->vm_sample) {
                eng_vm_sample row = {t,
                                     h->cfg->name,
                                     vm->cfg->name,
                                     bs_pages_to_bytes(vm->on ? (vm->wl_down ? 0 : vm->D) : 0),
                                     pages_to_bytes_d(C),
                                     pages_to_bytes_d(A),
                                     vm->on ? bs_pages_to_bytes(vm->T) : 0,
                                     resident,
                                     pages_to_bytes_d(S),
                                     pages_to_bytes_d(Xi),
                                     stall};
                E->rc = E->sink->vm_sample(E->sink->ctx, &row);
            }
        }
        if (E->sink->host_sample && !E->rc) {
            double U = (double)bs_pages_to_bytes(h->cfg->reserved) + one_minus_s * resident_sum;
            double mem = (double)bs_pages_to_bytes(h->cfg->memory);
            int64_t used = (int64_t)llround(BS_MIN(U, mem));
            int64_t swapped = (int64_t)llround(BS_MAX(0.0, U - mem));
            eng_host_sample row = {t, h->cfg->name, used, bs_pages_to_bytes(h->cfg->memory) - used,
                                   swapped};
            E->rc = E->sink->host_sample(E->sink->ctx, &row);
        }
    }
}

static void acc_reset(vm_acc *acc)
{
    double *hist = acc->hist;
    dur_list reach = acc->reach, relief = acc->relief;
    memset(acc, 0, sizeof *acc);
    if (hist) memset(hist, 0, MET_STALL_BINS * sizeof *hist);
    acc->hist = hist;
    reach.n = 0;
    relief.n = 0;
    acc->reach = reach;
    acc->relief = relief;
}

/* Which windows are open from t on; a closing one adds its time. */
static void win_refresh_open(eng *E, bs_time t)
{
    E->n_open = 0;
    for (size_t w = 0; w < E->n_win; w++) {
        win_run *W = &E->win[w];
        bool open = t >= E->sc->warmup && t < E->sc->duration && scen_window_contains(W->cfg, t);
        if (open && !W->open) W->opened_at = t;
        if (!open && W->open) W->measured_s += bs_time_to_s(t - W->opened_at);
        W->open = open;
        if (open) E->open[E->n_open++] = w;
    }
}

/* A window opens or closes: every piece ends here, so that what came before
 * and what comes after are integrated apart.  O(VMs) per edge; edges are few. */
static void on_window(eng *E, win_run *W, bs_time t)
{
    for (size_t hi = 0; hi < E->sc->n_hosts; hi++) host_advance(E, &E->hosts[hi], t);
    for (size_t i = 0; i < E->sc->n_vms; i++) vm_advance(E, &E->vms[i], t);
    win_refresh_open(E, t);
    bs_time next = scen_window_next_edge(W->cfg, t);
    if (next < E->sc->duration) evq_schedule(&E->q, &W->ev_edge, next, EVQ_LIFECYCLE);
}

static void on_warmup(eng *E, bs_time t)
{
    E->measure_from = t;
    for (size_t hi = 0; hi < E->sc->n_hosts; hi++) {
        host_run *h = &E->hosts[hi];
        host_advance(E, h, t);
        h->acc.used_int_s = 0;
        h->acc.swap_out = 0;
        h->acc.free_min = (double)h->cfg->memory - BS_MIN(host_U(h, h->SH), (double)h->cfg->memory);
    }
    for (size_t i = 0; i < E->sc->n_vms; i++) {
        vm_run *vm = &E->vms[i];
        vm_begin(E, vm, t);
        acc_reset(&vm->acc);
        vm->episode_start = t;
        vm->reach_open = false;
        vm_end(E, vm, t);
    }
    win_refresh_open(E, t);
}

/* ----------------------------------------------------------------- results */

/* The metrics over the accumulators accs[0..n) (VMs) and, when nh > 0,
 * hacc[0..nh) of the hosts hcfg[0..nh) measured for `measured` seconds.
 * vm_mem: the VMs' memory (overcommit). */
static void group_metrics(const vm_acc *const *accs, size_t n, const host_acc *const *hacc,
                          const scen_host *const *hcfg, size_t nh, double vm_mem, double measured,
                          met_values *out, double *scratch_hist)
{
    memset(out, 0, sizeof *out);
    double exist = 0, up = 0, down = 0, stall = 0, pressure = 0, so = 0, si = 0, hso = 0,
           traffic = 0;
    uint64_t goom = 0, hoom = 0, rev = 0;
    size_t n_reach = 0, n_relief = 0, n_exist = 0;
    memset(scratch_hist, 0, MET_STALL_BINS * sizeof *scratch_hist);
    for (size_t i = 0; i < n; i++) {
        const vm_acc *a = accs[i];
        exist += a->exist_s;
        up += a->up_s;
        down += a->down_s;
        stall += a->stall_s;
        pressure += a->pressure_s;
        so += a->swap_out;
        si += a->swap_in;
        hso += a->host_swap_out;
        traffic += a->traffic;
        goom += a->guest_oom;
        hoom += a->host_oom;
        rev += a->reversals;
        n_reach += a->reach.n;
        n_relief += a->relief.n;
        if (a->exist_s > 0) n_exist++;
        scratch_hist[0] += a->zero_stall_s;
        if (a->hist)
            for (int k = 1; k < MET_STALL_BINS; k++) scratch_hist[k] += a->hist[k];
    }
#define SET(id, val)                                                                      \
    do {                                                                                  \
        out->v[id] = (val);                                                               \
        out->present[id] = !isnan(out->v[id]);                                            \
    } while (0)
    double page = (double)BS_PAGE_SIZE;
    SET(MET_GUEST_OOM_KILLS, (double)goom);
    SET(MET_HOST_OOM_KILLS, (double)hoom);
    SET(MET_DOWNTIME_S, down);
    SET(MET_STALL_S, stall);
    SET(MET_STALL_P50, exist > 0 ? met_hist_quantile(scratch_hist, 0.50) : NAN);
    SET(MET_STALL_P95, exist > 0 ? met_hist_quantile(scratch_hist, 0.95) : NAN);
    SET(MET_STALL_P99, exist > 0 ? met_hist_quantile(scratch_hist, 0.99) : NAN);
    SET(MET_PRESSURE_FRACTION, up > 0 ? BS_MIN(1.0, pressure / up) : NAN);
    /* durations: gather, then nearest-rank */
    size_t cap = BS_MAX(n_reach, n_relief);
    double *buf = cap ? malloc(cap * sizeof *buf) : NULL;
    if (cap && !buf) {
        SET(MET_RELIEF_P50, NAN);
        SET(MET_RELIEF_P95, NAN);
        SET(MET_RELIEF_MAX, NAN);
        SET(MET_REACH_P50, NAN);
        SET(MET_REACH_P95, NAN);
    } else {
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < accs[i]->relief.n; j++) buf[k++] = accs[i]->relief.v[j];
        SET(MET_RELIEF_P50, met_nearest_rank(buf, k, 0.50));
        SET(MET_RELIEF_P95, met_nearest_rank(buf, k, 0.95));
        SET(MET_RELIEF_MAX, k ? buf[k - 1] : NAN); /* sorted by the calls above */
        k = 0;
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < accs[i]->reach.n; j++) buf[k++] = accs[i]->reach.v[j];
        SET(MET_REACH_P50, met_nearest_rank(buf, k, 0.50));
        SET(MET_REACH_P95, met_nearest_rank(buf, k, 0.95));
    }
    free(buf);
    SET(MET_GUEST_SWAP_OUT_BYTES, round(so * page));
    SET(MET_GUEST_SWAP_IN_BYTES, round(si * page));
    SET(MET_BALLOON_TRAFFIC_BYTES, round(traffic * page));
    SET(MET_TARGET_REVERSALS_PER_VM_HOUR, exist > 0 ? (double)rev / (exist / 3600.0) : 0);
    /* fairness: Jain over the VMs that existed of their mean satisfaction */
    double *sat = n_exist ? malloc(n_exist * sizeof *sat) : NULL;
    if (sat) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
            if (accs[i]->exist_s > 0) sat[k++] = accs[i]->sat_s / accs[i]->exist_s;
        SET(MET_FAIRNESS, met_jain(sat, k));
        free(sat);
    } else {
        SET(MET_FAIRNESS, NAN);
    }
    if (nh == 0) {
        SET(MET_HOST_SWAP_OUT_BYTES, round(hso * page));
        SET(MET_HOST_FREE_MIN_BYTES, NAN);
        SET(MET_MEAN_HOST_USED_FRACTION, NAN);
        SET(MET_OVERCOMMIT_RATIO, NAN);
        return;
    }
    double host_so = 0, used_int = 0, mem = 0, avail = 0, free_min = INFINITY;
    for (size_t i = 0; i < nh; i++) {
        host_so += hacc[i]->swap_out;
        used_int += hacc[i]->used_int_s;
        mem += (double)hcfg[i]->memory;
        avail += (double)(hcfg[i]->memory - hcfg[i]->reserved);
        if (hacc[i]->free_min < free_min) free_min = hacc[i]->free_min;
    }
    SET(MET_HOST_SWAP_OUT_BYTES, round(host_so * page));
    SET(MET_HOST_FREE_MIN_BYTES, isinf(free_min) ? NAN : floor(free_min) * page);
    SET(MET_MEAN_HOST_USED_FRACTION, mem > 0 && measured > 0 ? used_int / (mem * measured) : NAN);
    SET(MET_OVERCOMMIT_RATIO, avail > 0 ? vm_mem / avail : NAN);
#undef SET
}

void eng_result_free(eng_result *res)
{
    if (!res) return;
    free(res->hosts);
    free(res->vms);
    met_set_free(&res->scopes);
    memset(res, 0, sizeof *res);
}

/* Scratch of build_result: pointer arrays for one group_metrics() call. */
typedef struct gather {
    const vm_acc **accs;
    const host_acc **hacc;
    const scen_host **hcfg;
    double *hist;
} gather;

/* The VMs `idx[0..n)` (all when idx is NULL) of accumulator array `accs`
 * (stride bytes apart), with every host's `hacc` when hosts are wanted. */
static void metrics_of(const eng *E, const gather *G, const void *accs, size_t stride,
                       const size_t *idx, size_t n, const host_acc *hacc, size_t hstride, size_t nh,
                       double measured, met_values *out)
{
    const scen *sc = E->sc;
    double vm_mem = 0;
    for (size_t k = 0; k < n; k++) {
        size_t i = idx ? idx[k] : k;
        G->accs[k] = (const vm_acc *)((const char *)accs + i * stride);
        vm_mem += (double)sc->vms[i].memory;
    }
    for (size_t h = 0; h < nh; h++) {
        G->hacc[h] = (const host_acc *)((const char *)hacc + h * hstride);
        G->hcfg[h] = &sc->hosts[h];
    }
    group_metrics(G->accs, n, G->hacc, G->hcfg, nh, vm_mem, measured, out, G->hist);
}

static bs_rc build_result(const eng *E, eng_result *res)
{
    const scen *sc = E->sc;
    memset(res, 0, sizeof *res);
    res->hosts = calloc(sc->n_hosts ? sc->n_hosts : 1, sizeof *res->hosts);
    res->vms = calloc(sc->n_vms ? sc->n_vms : 1, sizeof *res->vms);
    size_t nv = sc->n_vms ? sc->n_vms : 1, nh = sc->n_hosts ? sc->n_hosts : 1;
    gather G = {malloc(nv * sizeof *G.accs), malloc(nh * sizeof *G.hacc), malloc(nh * sizeof *G.hcfg),
                malloc(MET_STALL_BINS * sizeof *G.hist)};
    bs_rc rc = BS_OK;
    if (!res->hosts || !res->vms || !G.accs || !G.hacc || !G.hcfg || !G.hist) rc = BS_ERR_INTERNAL;
    if (rc == BS_OK) {
        res->n_hosts = sc->n_hosts;
        res->n_vms = sc->n_vms;
        res->events = E->events;
        double measured = bs_time_to_s(sc->duration - E->measure_from);
        const size_t vstride = sizeof(vm_run), hs = sizeof(host_run);
        const void *vacc = &E->vms[0].acc;
        const host_acc *hacc = &E->hosts[0].acc;
        metrics_of(E, &G, vacc, vstride, NULL, sc->n_vms, hacc, hs, sc->n_hosts, measured, &res->run);
        for (size_t h = 0; h < sc->n_hosts; h++) {
            const host_run *hr = &E->hosts[h];
            double vm_mem = 0;
            for (size_t k = 0; k < hr->n; k++) {
                G.accs[k] = &hr->vms[k].acc;
                vm_mem += (double)hr->vms[k].cfg->memory;
            }
            const host_acc *ha = &hr->acc;
            const scen_host *hc = hr->cfg;
            group_metrics(G.accs, hr->n, &ha, &hc, 1, vm_mem, measured, &res->hosts[h], G.hist);
        }
        for (size_t i = 0; i < sc->n_vms; i++) {
            size_t one = i;
            metrics_of(E, &G, vacc, vstride, &one, 1, NULL, 0, 0, measured, &res->vms[i]);
        }
        /* scopes, in summary.json's order: run, groups, then each window and its groups */
        rc = met_set_add(&res->scopes, NULL, NULL, &res->run);
        met_values v;
        for (size_t g = 0; rc == BS_OK && g < sc->n_groups; g++) {
            metrics_of(E, &G, vacc, vstride, sc->groups[g].vms, sc->groups[g].n_vms, NULL, 0, 0, measured, &v);
            rc = met_set_add(&res->scopes, sc->groups[g].name, NULL, &v);
        }
        for (size_t w = 0; rc == BS_OK && w < E->n_win; w++) {
            const win_run *W = &E->win[w];
            metrics_of(E, &G, W->acc, sizeof *W->acc, NULL, sc->n_vms, W->hacc, sizeof *W->hacc, sc->n_hosts,
                       W->measured_s, &v);
            rc = met_set_add(&res->scopes, NULL, W->cfg->name, &v);
            for (size_t g = 0; rc == BS_OK && g < sc->n_groups; g++) {
                metrics_of(E, &G, W->acc, sizeof *W->acc, sc->groups[g].vms, sc->groups[g].n_vms, NULL, 0, 0,
                           W->measured_s, &v);
                rc = met_set_add(&res->scopes, sc->groups[g].name, W->cfg->name, &v);
            }
        }
        if (rc != BS_OK) rc = BS_ERR_INTERNAL;
    }
    free(G.accs);
    free(G.hacc);
    free(G.hcfg);
    free(G.hist);
    if (rc != BS_OK) eng_result_free(res);
    return rc;
}

/* ------------------------------------------------------------------- setup */

static void eng_cleanup(eng *E)
{
    const scen *sc = E->sc;
    if (E->vms) {
        for (size_t i = 0; i < sc->n_vms; i++) {
            vm_run *vm = &E->vms[i];
            if (vm->wl) wl_gen_free(vm->wl);
            if (vm->wl_cache) wl_gen_free(vm->wl_cache);
            free(vm->acc.reach.v);
            free(vm->acc.relief.v);
        }
    }
    if (E->hosts) {
        for (size_t h = 0; h < sc->n_hosts; h++) {
            host_run *hr = &E->hosts[h];
            if (hr->pol_state && sc->policy.type->free_state)
                sc->policy.type->free_state(hr->pol_state);
            free(hr->views);
            free(hr->targets);
            free(hr->known_T);
            free(hr->view_src);
        }
    }
    for (size_t i = 0; E->la_demand && i < sc->n_vms; i++) la_free(&E->la_demand[i]);
    for (size_t i = 0; E->la_cache && i < sc->n_vms; i++) la_free(&E->la_cache[i]);
    free(E->la_demand);
    free(E->la_cache);
    for (size_t w = 0; E->win && w < E->n_win; w++) {
        win_run *W = &E->win[w];
        for (size_t i = 0; W->acc && i < sc->n_vms; i++) {
            free(W->acc[i].reach.v);
            free(W->acc[i].relief.v);
        }
        free(W->acc);
        free(W->hacc);
        if (W->hist_arena) munmap(W->hist_arena, E->hist_bytes);
    }
    free(E->win);
    free(E->open);
    free(E->hits);
    if (E->hist_arena) munmap(E->hist_arena, E->hist_bytes);
    if (E->vms) munmap(E->vms, E->vms_bytes);
    free(E->hosts);
    evq_free(&E->q);
}

/* Event nodes per owner.  A queue never holds more buckets than nodes, so
 * these counts size the bucket pool exactly; the assertions tie each count to
 * the struct's consecutive evq_node fields, so adding a node without
 * counting it fails to compile instead of overflowing the pool at run time. */
#define ENG_VM_EVENTS 6
#define ENG_HOST_EVENTS 3
#define ENG_RUN_EVENTS 2
#define ENG_POOL_SLACK 2 /* kept from the old sizing (6v + 3h + 4); costs two buckets */
_Static_assert(offsetof(vm_run, ev_stuck) - offsetof(vm_run, ev_life) ==
                   (ENG_VM_EVENTS - 1) * sizeof(evq_node),
               "ENG_VM_EVENTS counts vm_run's evq_node fields ev_life..ev_stuck");
_Static_assert(offsetof(host_run, ev_tick) - offsetof(host_run, ev_cross) ==
                   (ENG_HOST_EVENTS - 1) * sizeof(evq_node),
               "ENG_HOST_EVENTS counts host_run's evq_node fields ev_cross..ev_tick");
_Static_assert(offsetof(eng, ev_warmup) - offsetof(eng, ev_sample) ==
                   (ENG_RUN_EVENTS - 1) * sizeof(evq_node),
               "ENG_RUN_EVENTS counts eng's evq_node fields ev_sample..ev_warmup");

/* Per window: accumulators for every VM and host (O(VMs + hosts) each), a
 * lazily touched histogram arena like the run's, and its first edge. */
static bs_rc win_setup(eng *E)
{
    const scen *sc = E->sc;
    E->n_win = sc->n_windows;
    if (E->n_win == 0) return BS_OK;
    E->win = calloc(E->n_win, sizeof *E->win);
    E->open = calloc(E->n_win, sizeof *E->open);
    E->hits = calloc(E->n_win, sizeof *E->hits);
    if (!E->win || !E->open || !E->hits) return BS_ERR_INTERNAL;
    for (size_t w = 0; w < E->n_win; w++) {
        win_run *W = &E->win[w];
        W->cfg = &sc->windows[w];
        W->acc = calloc(sc->n_vms ? sc->n_vms : 1, sizeof *W->acc);
        W->hacc = calloc(sc->n_hosts ? sc->n_hosts : 1, sizeof *W->hacc);
        if (!W->acc || !W->hacc) return BS_ERR_INTERNAL;
        for (size_t h = 0; h < sc->n_hosts; h++) W->hacc[h].free_min = INFINITY;
        void *arena = mmap(NULL, E->hist_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (arena == MAP_FAILED) return BS_ERR_INTERNAL;
        W->hist_arena = arena;
        evq_node_init(&W->ev_edge, K_WINDOW);
        /* before every VM's start at the same instant: an edge only splits pieces */
        if (W->cfg->start < sc->duration) evq_schedule(&E->q, &W->ev_edge, W->cfg->start, EVQ_LIFECYCLE);
    }
    return BS_OK;
}

static bs_rc eng_setup(eng *E)
{
    const scen *sc = E->sc;
    bs_rc rc = evq_init(&E->q, ENG_VM_EVENTS * sc->n_vms + ENG_HOST_EVENTS * sc->n_hosts +
                                    ENG_RUN_EVENTS + sc->n_windows + ENG_POOL_SLACK);
    E->hist_bytes = (sc->n_vms ? sc->n_vms : 1) * MET_STALL_BINS * sizeof(double);
    void *arena = mmap(NULL, E->hist_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (arena == MAP_FAILED) return BS_ERR_INTERNAL;
#ifdef MADV_HUGEPAGE
    madvise(arena, E->hist_bytes, MADV_HUGEPAGE); /* fewer TLB misses; a hint only */
#endif
    E->hist_arena = arena;
    /* page-aligned (so cache-line aligned: a VM's hot fields share as few
     * lines as can be), zeroed, and on huge pages where the kernel allows */
    E->vms_bytes = (sc->n_vms ? sc->n_vms : 1) * sizeof *E->vms;
    void *vms = mmap(NULL, E->vms_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (vms == MAP_FAILED) return BS_ERR_INTERNAL;
#ifdef MADV_HUGEPAGE
    madvise(vms, E->vms_bytes, MADV_HUGEPAGE);
#endif
    E->vms = vms;
    E->hosts = calloc(sc->n_hosts ? sc->n_hosts : 1, sizeof *E->hosts);
    if (rc != BS_OK || !E->vms || !E->hosts) return BS_ERR_INTERNAL;
    evq_node_init(&E->ev_sample, K_SAMPLE);
    evq_node_init(&E->ev_warmup, K_WARMUP);
    E->measure_from = 0;
    if (sc->warmup > 0) {
        E->measure_from = sc->warmup; /* counts before warmup are discarded then */
        evq_schedule(&E->q, &E->ev_warmup, sc->warmup, EVQ_LIFECYCLE);
    }
    rc = win_setup(E);
    if (rc != BS_OK) return rc;
    const scen_policy *p = &sc->policy;
    if (p->type->needs_truth) {
        rc = truth_setup(E);
        if (rc != BS_OK) return rc;
    }
    for (size_t hi = 0; hi < sc->n_hosts; hi++) {
        host_run *h = &E->hosts[hi];
        h->cfg = &sc->hosts[hi];
        h->index = hi;
        h->vms = &E->vms[h->cfg->first_vm];
        h->n = h->cfg->n_vms;
        h->acc.free_min = (double)(h->cfg->memory - h->cfg->reserved);
        h->last_report = -1;
        evq_node_init(&h->ev_cross, K_HOST_CROSS);
        evq_node_init(&h->ev_stats, K_HOST_STATS);
        evq_node_init(&h->ev_tick, K_HOST_TICK);
        h->views = calloc(h->n ? h->n : 1, sizeof *h->views);
        h->targets = calloc(h->n ? h->n : 1, sizeof *h->targets);
        h->known_T = calloc(h->n ? h->n : 1, sizeof *h->known_T);
        h->view_src = calloc(h->n ? h->n : 1, sizeof *h->view_src);
        if (!h->views || !h->targets || !h->known_T || !h->view_src) return BS_ERR_INTERNAL;
        if (p->type->state_new) {
            rc = p->type->state_new(p->cfg, hi, &h->pol_state);
            if (rc != BS_OK) return rc;
        }
        h->next_tick = p->type->next_tick
                           ? p->type->next_tick(p->cfg, h->pol_state, hi, -1, p->interval)
                           : p->interval;
        if (h->next_tick != BS_TIME_NEVER && h->next_tick < sc->duration) {
            evq_schedule(&E->q, &h->ev_tick, h->next_tick, EVQ_POLICY);
            schedule_stats_for_tick(E, h);
        }
    }
    for (size_t i = 0; i < sc->n_vms; i++) {
        vm_run *vm = &E->vms[i];
        const scen_vm *c = &sc->vms[i];
        vm->cfg = c;
        vm->tau = c->touch_rate;
        vm->alpha = c->locality;
        vm->host = &E->hosts[c->host];
        evq_node_init(&vm->ev_life, K_VM_LIFE);
        evq_node_init(&vm->ev_restart, K_VM_RESTART);
        evq_node_init(&vm->ev_demand, K_VM_DEMAND);
        evq_node_init(&vm->ev_driver, K_VM_DRIVER);
        evq_node_init(&vm->ev_report, K_VM_REPORT);
        evq_node_init(&vm->ev_stuck, K_VM_STUCK);
        wl_vm_info info = {c->name, sc->seed, c->memory, "demand", c->entry_index, c->entry_count};
        rc = wl_instantiate(c->demand, &info, &vm->wl);
        if (rc != BS_OK) return rc;
        if (c->cache) {
            info.purpose = "cache";
            rc = wl_instantiate(c->cache, &info, &vm->wl_cache);
            if (rc != BS_OK) return rc;
        }
        if (c->start < sc->duration) evq_schedule(&E->q, &vm->ev_life, c->start, EVQ_LIFECYCLE);
        if (c->balloon.n_stuck > 0 && c->balloon.stuck[0].at < sc->duration)
            evq_schedule(&E->q, &vm->ev_stuck, c->balloon.stuck[0].at, EVQ_DRIVER);
    }
    evq_schedule(&E->q, &E->ev_sample, 0, EVQ_SAMPLE);
    return BS_OK;
}

static void dispatch(eng *E, evq_node *node)
{
    bs_time t = node->time;
    switch ((enum node_kind)node->kind) {
    case K_VM_LIFE: on_life(E, BS_CONTAINER_OF(node, vm_run, ev_life), t); break;
    case K_VM_RESTART: on_restart(E, BS_CONTAINER_OF(node, vm_run, ev_restart), t); break;
    case K_VM_DEMAND: on_demand(E, BS_CONTAINER_OF(node, vm_run, ev_demand), t); break;
    case K_VM_DRIVER: on_driver(E, BS_CONTAINER_OF(node, vm_run, ev_driver), t); break;
    case K_VM_REPORT: on_report(E, BS_CONTAINER_OF(node, vm_run, ev_report), t); break;
    case K_VM_STUCK: on_stuck(E, BS_CONTAINER_OF(node, vm_run, ev_stuck), t); break;
    case K_HOST_CROSS: on_cross(E, BS_CONTAINER_OF(node, host_run, ev_cross), t); break;
    case K_HOST_STATS: on_stats(E, BS_CONTAINER_OF(node, host_run, ev_stats), t); break;
    case K_HOST_TICK: on_tick(E, BS_CONTAINER_OF(node, host_run, ev_tick), t); break;
    case K_SAMPLE: {
        take_sample(E, t);
        bs_time next = t + E->sc->sample_interval;
        if (next < E->sc->duration) evq_schedule(&E->q, &E->ev_sample, next, EVQ_SAMPLE);
        break;
    }
    case K_WARMUP: on_warmup(E, t); break;
    case K_WINDOW: on_window(E, BS_CONTAINER_OF(node, win_run, ev_edge), t); break;
    }
}

bs_rc eng_run(const scen *sc, const eng_sink *sink, eng_result *res)
{
    assert(sc && res);
    eng E;
    memset(&E, 0, sizeof E);
    E.sc = sc;
    E.sink = sink;
    bs_rc rc = eng_setup(&E);
    while (rc == BS_OK && E.rc == BS_OK) {
        const evq_node *top = evq_peek(&E.q);
        if (!top || top->time >= sc->duration) break;
        evq_node *node = evq_pop(&E.q);
        E.events++;
        dispatch(&E, node);
        if (evq_exhausted(&E.q)) {
            fprintf(stderr, "balloonsim: internal error: event queue pool exhausted "
                            "(%zu buckets) at t=%lld ns\n", E.q.cap, (long long)node->time);
            rc = BS_ERR_INTERNAL;
        }
    }
    if (rc == BS_OK) rc = E.rc;
    if (rc == BS_OK) {
        bs_time end = sc->duration;
        for (size_t hi = 0; hi < sc->n_hosts; hi++) host_advance(&E, &E.hosts[hi], end);
        for (size_t i = 0; i < sc->n_vms; i++) {
            vm_run *vm = &E.vms[i];
            vm_advance(&E, vm, end);
            episode_close(&E, vm, end); /* an episode cut by the end counts as it was */
        }
        win_refresh_open(&E, end); /* closes them all: t = duration is outside */
        if (sc->duration % sc->sample_interval == 0) take_sample(&E, end);
        rc = E.rc;
    }
    if (rc == BS_OK) rc = build_result(&E, res);
    eng_cleanup(&E);
    return rc;
}
