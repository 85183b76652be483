/* tracestats.c -- statistics of memory-usage series (definitions in tracestats.h).
 *
 * Why these statistics: they are the ones a ballooning policy is sensitive to
 * and the ones the `fleet` generator is calibrated on -- how full VMs are, how
 * fast and how far usage moves in one sampling step, how often and how high it
 * bursts, whether the day shows, and how much multiplexing many VMs on a host
 * buys (pooling).  GSL does the standard parts (mean, sd, quantiles, lag-1
 * autocorrelation, least squares); what is left is counting runs and bins.
 * Everything here runs once per trace, so it allocates freely. */
#include "workloads/tracestats.h"

#include <assert.h>

#include <gsl/gsl_fit.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const double wl_change_levels[WL_CHANGE_LEVELS] = {0.01, 0.05, 0.10};

#define DAY_S 86400.0
#define HOUR_S 3600.0
/* Resolution of the trough / peak search on the fitted daily curve: 1 minute. */
#define FIT_POINTS 1440
/* Harmonics of the daily fit: three follow a lopsided day (9 h up, 15 h down)
 * to within 0.3 h; fewer move its trough and peak by an hour. */
#define FIT_HARMONICS 3
/* The fleet's aggregate grid never gets more points than this (the step grows
 * instead): a fleet of traces with very different spans must not exhaust memory. */
#define GRID_MAX 20000000.0
/* Times closer than this (seconds) are the same instant on the grid. */
#define TIME_EPS 1e-6

/* ---------------------------------------------------------------- daily */

static int hour_of(double t_s)
{
    double d = fmod(t_s, DAY_S);
    if (d < 0) d += DAY_S;
    int h = (int)(d / HOUR_S);
    return h < 0 ? 0 : h > 23 ? 23 : h;
}

/* FIT_HARMONICS harmonics fitted to 24 equally spaced hourly means (centres at
 * h + 0.5): with equal spacing the sines and cosines are orthogonal, so the
 * least-squares coefficients are plain projections. */
static void fit_daily(wl_daily *d)
{
    double a0 = 0, a[FIT_HARMONICS + 1] = {0}, b[FIT_HARMONICS + 1] = {0};
    for (int h = 0; h < 24; h++) {
        double x = 2.0 * M_PI * (h + 0.5) / 24.0;
        a0 += d->hourly[h] / 24.0;
        for (int k = 1; k <= FIT_HARMONICS; k++) {
            a[k] += d->hourly[h] * cos(k * x) / 12.0;
            b[k] += d->hourly[h] * sin(k * x) / 12.0;
        }
    }
    double lo = INFINITY, hi = -INFINITY;
    int jlo = 0, jhi = 0;
    for (int j = 0; j < FIT_POINTS; j++) {
        double x = 2.0 * M_PI * j / FIT_POINTS;
        double f = a0;
        for (int k = 1; k <= FIT_HARMONICS; k++) f += a[k] * cos(k * x) + b[k] * sin(k * x);
        if (f < lo) lo = f, jlo = j;
        if (f > hi) hi = f, jhi = j;
    }
    d->trough_h = 24.0 * jlo / FIT_POINTS;
    d->peak_h = 24.0 * jhi / FIT_POINTS;
    d->amplitude = a0 > 0 ? (hi - lo) / a0 : NAN;
}

bs_rc wl_daily_compute(const double *v, const double *t_s, size_t n, wl_daily *out)
{
    *out = (wl_daily){.valid = false, .trough_h = NAN, .peak_h = NAN, .amplitude = NAN,
                      .r2 = NAN};
    for (int h = 0; h < 24; h++) out->hourly[h] = NAN;
    if (n < 2) return BS_OK;
    double mean = gsl_stats_mean(v, 1, n);
    if (!(mean > 0)) return BS_OK;
    double sum[24] = {0};
    size_t cnt[24] = {0};
    for (size_t i = 0; i < n; i++) {
        int h = hour_of(t_s[i]);
        sum[h] += v[i];
        cnt[h]++;
    }
    for (int h = 0; h < 24; h++)
        if (cnt[h] == 0) return BS_OK;
    double ss_between = 0;
    for (int h = 0; h < 24; h++) {
        double m = sum[h] / (double)cnt[h];
        out->hourly[h] = m / mean;
        ss_between += (double)cnt[h] * (m - mean) * (m - mean);
    }
    double ss_total = gsl_stats_tss_m(v, 1, n, mean);
    out->r2 = ss_total > 0 ? ss_between / ss_total : NAN;
    out->valid = true;
    fit_daily(out);
    return BS_OK;
}

/* ---------------------------------------------------------------- one series */

static double median_step(const double *t_s, size_t n, double *scratch)
{
    if (n < 2) return NAN;
    for (size_t i = 1; i < n; i++) scratch[i - 1] = t_s[i] - t_s[i - 1];
    gsl_sort(scratch, 1, n - 1);
    return gsl_stats_median_from_sorted_data(scratch, 1, n - 1);
}

/* AR(1) of ln(v) over consecutive pairs of positive samples. */
static void fit_ar1(const double *v, size_t n, double *x, double *y, wl_tstats *st)
{
    size_t m = 0;
    for (size_t i = 1; i < n; i++) {
        if (!(v[i - 1] > 0 && v[i] > 0)) continue;
        x[m] = log(v[i - 1]);
        y[m] = log(v[i]);
        m++;
    }
    st->ar_phi = st->ar_sigma = NAN;
    if (m < 3 || !(gsl_stats_variance(x, 1, m) > 0)) return;
    double c0, c1, cov00, cov01, cov11, sumsq;
    gsl_fit_linear(x, 1, y, 1, m, &c0, &c1, &cov00, &cov01, &cov11, &sumsq);
    st->ar_phi = c1;
    st->ar_sigma = sqrt(sumsq / (double)(m - 2));
}

static void bursts(const double *v, size_t n, wl_tstats *st)
{
    st->burst_fraction = st->burst_one = st->burst_alpha = st->burst_gap = NAN;
    st->bursts = 0;
    if (!(st->median > 0)) return;
    const double thr = WL_BURST_THRESHOLD * st->median;
    size_t above = 0, runs = 0, ones = 0, len = 0, gaps = 0, gap_sum = 0, below = 0;
    double peak = 0, log_sum = 0;
    for (size_t i = 0; i <= n; i++) {
        bool in = i < n && v[i] > thr;
        if (in) {
            if (len == 0) {
                if (runs > 0) {
                    gaps++;
                    gap_sum += below;
                }
                peak = v[i];
            }
            len++;
            above++;
            peak = GSL_MAX_DBL(peak, v[i]);
            continue;
        }
        if (len > 0) {
            runs++;
            ones += len == 1;
            log_sum += log(peak / thr);
            len = 0;
            below = 0;
        }
        below++;
    }
    st->burst_fraction = (double)above / (double)n;
    st->bursts = runs;
    if (runs > 0) {
        st->burst_one = (double)ones / (double)runs;
        st->burst_alpha = (double)runs / log_sum; /* log_sum > 0: peaks exceed thr */
    }
    if (gaps > 0) st->burst_gap = (double)gap_sum / (double)gaps;
}

static void changes(const double *v, size_t n, wl_tstats *st)
{
    for (int k = 0; k < WL_CHANGE_LEVELS; k++) st->change[k] = NAN;
    if (!(st->provisioned > 0) || n < 2) return;
    size_t over[WL_CHANGE_LEVELS] = {0};
    for (size_t i = 1; i < n; i++) {
        double d = fabs(v[i] - v[i - 1]);
        for (int k = 0; k < WL_CHANGE_LEVELS; k++)
            over[k] += d > wl_change_levels[k] * st->provisioned;
    }
    for (int k = 0; k < WL_CHANGE_LEVELS; k++) st->change[k] = (double)over[k] / (double)(n - 1);
}

bs_rc wl_tstats_compute(const wl_tseries *s, wl_tstats *out)
{
    assert(s->n >= 1 && s->v && s->t_s);
    const size_t n = s->n;
    double *work = malloc(3 * n * sizeof *work);
    if (!work) return BS_ERR_INTERNAL;
    double *sorted = work, *x = work + n, *y = work + 2 * n;
    wl_tstats st = {.n = n, .provisioned = s->provisioned > 0 ? s->provisioned : 0};
    st.step_s = median_step(s->t_s, n, x);
    st.span_s = s->t_s[n - 1] - s->t_s[0];
    memcpy(sorted, s->v, n * sizeof *sorted);
    gsl_sort(sorted, 1, n);
    st.mean = gsl_stats_mean(s->v, 1, n);
    st.median = gsl_stats_median_from_sorted_data(sorted, 1, n);
    st.p95 = gsl_stats_quantile_from_sorted_data(sorted, 1, n, 0.95);
    st.p99 = gsl_stats_quantile_from_sorted_data(sorted, 1, n, 0.99);
    st.max = sorted[n - 1];
    double sd = n > 1 ? gsl_stats_sd_m(s->v, 1, n, st.mean) : NAN;
    st.cv = st.mean > 0 ? sd / st.mean : NAN;
    st.lag1 = n > 1 && sd > 0 ? gsl_stats_lag1_autocorrelation_m(s->v, 1, n, st.mean) : NAN;
    fit_ar1(s->v, n, x, y, &st);
    bursts(s->v, n, &st);
    changes(s->v, n, &st);
    free(work);
    bs_rc rc = wl_daily_compute(s->v, s->t_s, n, &st.daily);
    *out = st;
    return rc;
}

/* ---------------------------------------------------------------- fleet */

/* Median over VMs of the double at `off` in wl_tstats, NaNs left out. */
static double median_of(const wl_tstats *per_vm, size_t n_vms, size_t off, double *scratch)
{
    size_t m = 0;
    for (size_t i = 0; i < n_vms; i++) {
        double v;
        memcpy(&v, (const char *)&per_vm[i] + off, sizeof v);
        if (!isnan(v)) scratch[m++] = v;
    }
    if (m == 0) return NAN;
    gsl_sort(scratch, 1, m);
    return gsl_stats_median_from_sorted_data(scratch, 1, m);
}

static void fleet_medians(const wl_tstats *per_vm, size_t n_vms, double *scratch,
                          wl_tstats *med)
{
#define MED(field) med->field = median_of(per_vm, n_vms, offsetof(wl_tstats, field), scratch)
    MED(step_s);
    MED(span_s);
    MED(mean);
    MED(median);
    MED(p95);
    MED(p99);
    MED(max);
    MED(cv);
    MED(lag1);
    MED(ar_phi);
    MED(ar_sigma);
    MED(burst_fraction);
    MED(burst_one);
    MED(burst_alpha);
    MED(burst_gap);
    MED(daily.amplitude);
    MED(daily.r2);
    for (int k = 0; k < WL_CHANGE_LEVELS; k++)
        med->change[k] =
            median_of(per_vm, n_vms, offsetof(wl_tstats, change) + (size_t)k * sizeof(double),
                      scratch);
#undef MED
    /* A median of hours of day is meaningless: the fleet's cycle is the sum's. */
    med->daily.valid = false;
    med->daily.trough_h = med->daily.peak_h = NAN;
    for (int h = 0; h < 24; h++) med->daily.hourly[h] = NAN;
    /* Counts and the provisioned size: medians as well. */
    for (size_t i = 0; i < n_vms; i++) scratch[i] = (double)per_vm[i].n;
    gsl_sort(scratch, 1, n_vms);
    med->n = (size_t)gsl_stats_median_from_sorted_data(scratch, 1, n_vms);
    for (size_t i = 0; i < n_vms; i++) scratch[i] = (double)per_vm[i].bursts;
    gsl_sort(scratch, 1, n_vms);
    med->bursts = (size_t)gsl_stats_median_from_sorted_data(scratch, 1, n_vms);
    size_t m = 0;
    for (size_t i = 0; i < n_vms; i++)
        if (per_vm[i].provisioned > 0) scratch[m++] = per_vm[i].provisioned;
    gsl_sort(scratch, 1, m);
    med->provisioned = m ? gsl_stats_median_from_sorted_data(scratch, 1, m) : 0;
}

static int size_count_cmp(const void *a, const void *b)
{
    const wl_size_count *x = a, *y = b;
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    return (x->size > y->size) - (x->size < y->size);
}

static bs_rc size_mix(const wl_tstats *per_vm, size_t n_vms, double *scratch, wl_fleet_stats *f)
{
    size_t m = 0;
    for (size_t i = 0; i < n_vms; i++)
        if (per_vm[i].provisioned > 0) scratch[m++] = per_vm[i].provisioned;
    f->n_sizes = 0;
    f->sizes = NULL;
    if (m == 0) return BS_OK;
    gsl_sort(scratch, 1, m);
    f->sizes = malloc(m * sizeof *f->sizes);
    if (!f->sizes) return BS_ERR_INTERNAL;
    for (size_t i = 0; i < m; i++) {
        if (f->n_sizes && f->sizes[f->n_sizes - 1].size == scratch[i]) {
            f->sizes[f->n_sizes - 1].count++;
            continue;
        }
        f->sizes[f->n_sizes++] = (wl_size_count){scratch[i], 1};
    }
    qsort(f->sizes, f->n_sizes, sizeof *f->sizes, size_count_cmp);
    return BS_OK;
}

static void log_ratios(const wl_tstats *per_vm, size_t n_vms, double *scratch, wl_fleet_stats *f)
{
    size_t m = 0;
    for (size_t i = 0; i < n_vms; i++)
        if (per_vm[i].provisioned > 0 && per_vm[i].mean > 0)
            scratch[m++] = log(per_vm[i].mean / per_vm[i].provisioned);
    f->ratio_vms = m;
    f->log_ratio_mean = m ? gsl_stats_mean(scratch, 1, m) : NAN;
    f->log_ratio_sd = m > 1 ? gsl_stats_sd(scratch, 1, m) : NAN;
}

/* The sum of the VMs on a common grid over the time they all have data, its
 * daily cycle and the pooling ratio (both sides over that same time: a VM's
 * peak outside it has no sum to be compared with). */
static bs_rc aggregate(const wl_tseries *vms, const wl_tstats *per_vm, size_t n_vms,
                       double *scratch, wl_fleet_stats *f)
{
    double start = -INFINITY, end = INFINITY;
    size_t m = 0;
    for (size_t i = 0; i < n_vms; i++) {
        start = GSL_MAX_DBL(start, vms[i].t_s[0]);
        end = GSL_MIN_DBL(end, vms[i].t_s[vms[i].n - 1]);
        if (per_vm[i].step_s > 0) scratch[m++] = per_vm[i].step_s;
    }
    f->grid_n = 0;
    f->grid_step_s = NAN;
    f->sum_mean = f->sum_peak = f->peaks_sum = f->pooling = NAN;
    wl_daily_compute(NULL, NULL, 0, &f->daily); /* invalid until there is a sum */
    if (end < start - TIME_EPS) return BS_OK;   /* the traces do not overlap */
    double step = 0;
    if (m) {
        gsl_sort(scratch, 1, m);
        step = gsl_stats_median_from_sorted_data(scratch, 1, m);
    }
    size_t gn = 1;
    if (step > 0 && end > start) {
        step = GSL_MAX_DBL(step, (end - start) / GRID_MAX);
        gn = (size_t)floor((end - start) / step + 1e-9) + 1;
    }
    double *sum = calloc(gn, sizeof *sum), *gt = malloc(gn * sizeof *gt);
    if (!sum || !gt) {
        free(sum);
        free(gt);
        return BS_ERR_INTERNAL;
    }
    for (size_t j = 0; j < gn; j++) gt[j] = start + (double)j * step;
    double peaks = 0;
    for (size_t i = 0; i < n_vms; i++) {
        const wl_tseries *s = &vms[i];
        size_t k = 0;
        double peak = -INFINITY;
        for (size_t j = 0; j < gn; j++) {
            while (k + 1 < s->n && s->t_s[k + 1] <= gt[j] + TIME_EPS) k++;
            sum[j] += s->v[k];
            peak = GSL_MAX_DBL(peak, s->v[k]);
        }
        peaks += peak;
    }
    f->grid_n = gn;
    f->grid_step_s = step > 0 ? step : NAN;
    f->sum_mean = gsl_stats_mean(sum, 1, gn);
    f->sum_peak = gsl_stats_max(sum, 1, gn);
    f->peaks_sum = peaks;
    f->pooling = f->sum_peak > 0 ? peaks / f->sum_peak : NAN;
    bs_rc rc = wl_daily_compute(sum, gt, gn, &f->daily);
    free(sum);
    free(gt);
    return rc;
}

bs_rc wl_fleet_compute(const wl_tseries *vms, const wl_tstats *per_vm, size_t n_vms,
                       wl_fleet_stats *out)
{
    assert(n_vms >= 1);
    *out = (wl_fleet_stats){.vms = n_vms};
    double *scratch = malloc(n_vms * sizeof *scratch);
    if (!scratch) return BS_ERR_INTERNAL;
    fleet_medians(per_vm, n_vms, scratch, &out->median);
    log_ratios(per_vm, n_vms, scratch, out);
    bs_rc rc = size_mix(per_vm, n_vms, scratch, out);
    if (rc == BS_OK) rc = aggregate(vms, per_vm, n_vms, scratch, out);
    free(scratch);
    if (rc != BS_OK) wl_fleet_stats_free(out);
    return rc;
}

void wl_fleet_stats_free(wl_fleet_stats *f)
{
    if (!f) return;
    free(f->sizes);
    f->sizes = NULL;
    f->n_sizes = 0;
}
