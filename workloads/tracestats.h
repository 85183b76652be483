/* tracestats.h -- statistics of memory-usage series: one VM, or a fleet.
 *
 * `balloonsim trace-stats` prints them for real traces, and the `fleet`
 * generator's test measures its own output with the very same functions, so
 * "the generator is calibrated on Bitbrains" means one thing: these numbers
 * agree.  Definitions (docs/workloads-fleet.md has the long form):
 *   - levels: mean, median, p95, p99, max (GSL, linear interpolation between
 *     order statistics), as a fraction of the provisioned memory when known;
 *   - variation: coefficient of variation (sample sd / mean), lag-1
 *     autocorrelation, and an AR(1) fit of ln(usage) by least squares over
 *     consecutive pairs of positive samples (phi = slope, sigma = residual sd);
 *   - bursts: maximal runs of consecutive samples above 1.5 x the median;
 *     share of samples in a run, share of runs one sample long, the Hill
 *     estimate of the Pareto tail index of run peaks over the threshold
 *     (runs / sum ln(peak / threshold)), mean number of samples between runs;
 *   - changes: share of consecutive steps whose |change| exceeds 1, 5, 10 % of
 *     the provisioned memory;
 *   - daily cycle: mean per hour of day (of the series' own clock: UTC for
 *     Unix times, scenario time for simulator output), relative to the mean;
 *     trough and peak hour, and (peak - trough) / mean, from a three-harmonic
 *     least-squares fit of those 24 means (raw hourly extremes are too noisy);
 *     share of variance explained by the hour of day.  Needs every hour of
 *     the day to have samples.
 *   - fleet: per-VM statistics summarised by their median over VMs, ln(mean /
 *     provisioned) over VMs (mean, sd), the mix of provisioned sizes, and the
 *     aggregate (sum of all VMs on a common time grid, over the time they all
 *     have data): its daily cycle and the pooling ratio, sum of per-VM peaks /
 *     peak of the sum.
 * A statistic without data (no bursts, provisioned unknown, < 1 day) is NaN. */
#ifndef BS_TRACESTATS_H
#define BS_TRACESTATS_H

#include "sim/base/bs.h"

#include <stddef.h>

/* Bursts are samples above this multiple of the series' median. */
#define WL_BURST_THRESHOLD 1.5

/* Change thresholds, as fractions of the provisioned memory. */
#define WL_CHANGE_LEVELS 3
extern const double wl_change_levels[WL_CHANGE_LEVELS]; /* 0.01, 0.05, 0.10 */

/* One series as the statistics see it. */
typedef struct wl_tseries {
    const double *v;    /* usage: bytes, or a fraction of the memory (alibaba) */
    const double *t_s;  /* time of each sample in seconds, increasing; the hour of
                         * day is floor(t_s mod 86400 / 3600) */
    size_t n;
    double provisioned; /* same unit as v; 0 = unknown */
} wl_tseries;

typedef struct wl_daily {
    bool valid;         /* every hour of the day had samples and the mean was > 0 */
    double hourly[24];  /* mean of hour h / overall mean */
    double trough_h, peak_h; /* of the fitted curve, in [0, 24) */
    double amplitude;   /* (fit max - fit min) / mean */
    double r2;          /* between-hour sum of squares / total sum of squares */
} wl_daily;

typedef struct wl_tstats {
    size_t n;
    double step_s;      /* median interval between samples */
    double span_s;      /* last time - first time */
    double provisioned; /* copied from the series; 0 = unknown */
    /* levels, in the series' unit */
    double mean, median, p95, p99, max;
    double cv, lag1;
    double ar_phi, ar_sigma;
    /* bursts */
    double burst_fraction;
    size_t bursts;
    double burst_one;   /* share of bursts one sample long */
    double burst_alpha; /* Hill estimate */
    double burst_gap;   /* mean samples between bursts */
    double change[WL_CHANGE_LEVELS];
    wl_daily daily;
} wl_tstats;

/* A provisioned size and how many VMs have it. */
typedef struct wl_size_count {
    double size;
    size_t count;
} wl_size_count;

typedef struct wl_fleet_stats {
    size_t vms;
    /* Each numeric field of wl_tstats: the median over VMs of the VMs where it
     * is defined (NaN when none); `n`, `bursts` are medians too (rounded down). */
    wl_tstats median;
    /* ln(mean / provisioned) over VMs with both known and mean > 0. */
    size_t ratio_vms;
    double log_ratio_mean, log_ratio_sd;
    /* Distinct provisioned sizes, most common first (ties: smaller first). */
    wl_size_count *sizes;
    size_t n_sizes;
    /* The sum of all VMs on a grid of the median step (over VMs) covering the
     * time every VM has data: from the latest first sample to the earliest last
     * one.  Each VM adds its latest sample at or before the grid time.  No
     * common time: grid_n 0, the rest NaN / invalid. */
    size_t grid_n;
    double grid_step_s;
    double sum_mean, sum_peak;
    double peaks_sum;   /* sum over VMs of each VM's peak on the same grid */
    double pooling;     /* peaks_sum / sum_peak */
    wl_daily daily;     /* of the sum */
} wl_fleet_stats;

/* Statistics of one series (n >= 1).  BS_ERR_INTERNAL when out of memory. */
bs_rc wl_tstats_compute(const wl_tseries *s, wl_tstats *out);
/* Statistics of a fleet from its series and their wl_tstats_compute results.
 * Free with wl_fleet_stats_free. */
bs_rc wl_fleet_compute(const wl_tseries *vms, const wl_tstats *per_vm, size_t n_vms,
                       wl_fleet_stats *out);
void wl_fleet_stats_free(wl_fleet_stats *f);

/* The daily cycle alone (used for a VM and for a fleet's sum). */
bs_rc wl_daily_compute(const double *v, const double *t_s, size_t n, wl_daily *out);

#endif
