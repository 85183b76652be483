/* metrics.c -- the metric table of docs/outputs.md and the order statistics over it.
 *
 * The table is the single place that names metrics: summary.json keys, text
 * tables, and (later) --fail-if/--slo expressions all read it, so a metric
 * cannot be spelt two ways. */
#include "sim/base/metrics.h"

#include <assert.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALL (MET_SCOPE_RUN | MET_SCOPE_HOST | MET_SCOPE_VM)
#define NOT_VM (MET_SCOPE_RUN | MET_SCOPE_HOST)

static const met_info table[MET_COUNT] = {
    [MET_GUEST_OOM_KILLS] = {"guest_oom_kills", "count", true, ALL,
                             "workloads killed by a guest OOM"},
    [MET_HOST_OOM_KILLS] = {"host_oom_kills", "count", true, ALL,
                            "VMs killed by the host OOM killer"},
    [MET_DOWNTIME_S] = {"downtime_s", "s", false, ALL, "VM-time spent killed or restarting"},
    [MET_STALL_S] = {"stall_s", "s", false, ALL, "integral of stall fraction, summed over VMs"},
    [MET_STALL_P50] = {"stall_p50", "fraction", false, ALL, "time-weighted median stall"},
    [MET_STALL_P95] = {"stall_p95", "fraction", false, ALL, "time-weighted 95th percentile stall"},
    [MET_STALL_P99] = {"stall_p99", "fraction", false, ALL, "time-weighted 99th percentile stall"},
    [MET_PRESSURE_FRACTION] = {"pressure_fraction", "fraction", false, ALL,
                               "share of up VM-time with guest or host swapping"},
    [MET_RELIEF_P50] = {"relief_p50", "s", false, ALL, "median pressure episode duration"},
    [MET_RELIEF_P95] = {"relief_p95", "s", false, ALL, "95th percentile pressure episode duration"},
    [MET_RELIEF_MAX] = {"relief_max", "s", false, ALL, "longest pressure episode"},
    [MET_REACH_P50] = {"reach_p50", "s", false, ALL, "median time from target change to A = T"},
    [MET_REACH_P95] = {"reach_p95", "s", false, ALL,
                       "95th percentile time from target change to A = T"},
    [MET_GUEST_SWAP_OUT_BYTES] = {"guest_swap_out_bytes", "bytes", true, ALL,
                                  "pages moved to guest swap"},
    [MET_GUEST_SWAP_IN_BYTES] = {"guest_swap_in_bytes", "bytes", true, ALL,
                                 "pages moved back from guest swap"},
    [MET_HOST_SWAP_OUT_BYTES] = {"host_swap_out_bytes", "bytes", true, ALL,
                                 "pages the host paged out"},
    [MET_BALLOON_TRAFFIC_BYTES] = {"balloon_traffic_bytes", "bytes", true, ALL,
                                   "total movement of actual memory"},
    [MET_TARGET_REVERSALS_PER_VM_HOUR] = {"target_reversals_per_vm_hour", "1/h", false, ALL,
                                          "target direction reversals per VM-hour"},
    [MET_FAIRNESS] = {"fairness", "0-1", false, ALL,
                      "Jain's index over VMs of time-averaged satisfaction"},
    [MET_HOST_FREE_MIN_BYTES] = {"host_free_min_bytes", "bytes", true, NOT_VM,
                                 "lowest host free memory"},
    [MET_MEAN_HOST_USED_FRACTION] = {"mean_host_used_fraction", "fraction", false, NOT_VM,
                                     "time-average of used / memory over hosts"},
    [MET_OVERCOMMIT_RATIO] = {"overcommit_ratio", "ratio", false, NOT_VM,
                              "sum of VM memory / sum of host memory minus reserved"},
};

const met_info *met_info_get(met_id id)
{
    assert(id < MET_COUNT);
    return &table[id];
}

met_id met_find(const char *name)
{
    for (int i = 0; i < MET_COUNT; i++)
        if (strcmp(table[i].name, name) == 0) return (met_id)i;
    return MET_COUNT;
}

double met_hist_quantile(const double *bins, double q)
{
    double total = 0;
    for (int k = 0; k < MET_STALL_BINS; k++) total += bins[k];
    if (total <= 0) return NAN;
    /* A relative slack absorbs rounding in the summed times, so that a quantile
     * sitting exactly on a bin edge is not pushed to the next bin. */
    double need = q * total * (1.0 - 1e-12);
    double cum = 0;
    for (int k = 0; k < MET_STALL_BINS; k++) {
        cum += bins[k];
        if (cum >= need && bins[k] > 0) return (double)k / 1000.0;
        if (cum >= need && cum > 0) return (double)k / 1000.0;
    }
    return 1.0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double met_nearest_rank(double *values, size_t n, double q)
{
    if (n == 0) return NAN;
    qsort(values, n, sizeof *values, cmp_double);
    /* nearest rank: the smallest value with at least q*n values at or below it */
    double rank = ceil(q * (double)n - 1e-9);
    size_t idx = rank < 1 ? 0 : (size_t)rank - 1;
    if (idx >= n) idx = n - 1;
    return values[idx];
}

double met_jain(const double *x, size_t n)
{
    if (n == 0) return NAN;
    double s = 0, s2 = 0;
    for (size_t i = 0; i < n; i++) {
        s += x[i];
        s2 += x[i] * x[i];
    }
    if (s2 <= 0) return 1.0;
    return (s * s) / ((double)n * s2);
}

void met_mean_ci95(const double *x, size_t n, double *mean, double *half_width)
{
    *mean = n ? gsl_stats_mean(x, 1, n) : NAN;
    if (n < 2) {
        *half_width = NAN;
        return;
    }
    double sd = gsl_stats_sd_m(x, 1, n, *mean);
    *half_width = gsl_cdf_tdist_Pinv(0.975, (double)(n - 1)) * sd / sqrt((double)n);
}

/* ------------------------------------------------------------ scoped sets */

static bool same_name(const char *a, const char *b)
{
    if (!a || !b) return a == b;
    return strcmp(a, b) == 0;
}

const met_values *met_set_find(const met_set *set, const char *group, const char *window)
{
    for (size_t i = 0; i < set->n; i++)
        if (same_name(set->s[i].group, group) && same_name(set->s[i].window, window))
            return &set->s[i].v;
    return NULL;
}

met_set met_set_view(met_scope *one, const met_values *v)
{
    one->group = one->window = NULL;
    one->v = *v;
    return (met_set){one, 1};
}

static char *dup_or_null(const char *s, bool *ok)
{
    if (!s) return NULL;
    char *d = strdup(s);
    if (!d) *ok = false;
    return d;
}

bs_rc met_set_add(met_set *set, const char *group, const char *window, const met_values *v)
{
    met_scope *ns = realloc(set->s, (set->n + 1) * sizeof *ns);
    if (!ns) return BS_ERR_INTERNAL;
    set->s = ns;
    bool ok = true;
    met_scope *sc = &ns[set->n];
    sc->group = dup_or_null(group, &ok);
    sc->window = dup_or_null(window, &ok);
    sc->v = *v;
    if (!ok) {
        free(sc->group);
        free(sc->window);
        return BS_ERR_INTERNAL;
    }
    set->n++;
    return BS_OK;
}

void met_set_free(met_set *set)
{
    if (!set) return;
    for (size_t i = 0; i < set->n; i++) {
        free(set->s[i].group);
        free(set->s[i].window);
    }
    free(set->s);
    set->s = NULL;
    set->n = 0;
}

bs_rc met_set_copy(const met_set *src, met_set *dst)
{
    met_set out = {0};
    for (size_t i = 0; i < src->n; i++) {
        if (met_set_add(&out, src->s[i].group, src->s[i].window, &src->s[i].v) != BS_OK) {
            met_set_free(&out);
            return BS_ERR_INTERNAL;
        }
    }
    *dst = out;
    return BS_OK;
}

/* --------------------------------------------------------------- references */

bs_rc met_ref_parse(const char *text, size_t len, met_ref *out, char *err, size_t err_len)
{
    memset(out, 0, sizeof *out);
    out->id = MET_COUNT;
    const char *end = text + len;
    const char *at = memchr(text, '@', len);
    const char *name_end = at ? at : end;
    const char *dot = NULL;
    for (const char *p = text; p < name_end; p++)
        if (*p == '.') dot = p;
    const char *metric = dot ? dot + 1 : text;
    size_t mlen = (size_t)(name_end - metric);
    if ((dot && dot == text) || (at && at + 1 == end) || mlen == 0) {
        snprintf(err, err_len, "'%.*s': expected [GROUP.]METRIC[@WINDOW]", (int)len, text);
        return BS_ERR_INPUT;
    }
    char mname[64];
    if (mlen >= sizeof mname) mlen = sizeof mname - 1;
    memcpy(mname, metric, mlen);
    mname[mlen] = '\0';
    met_id id = met_find(mname);
    if (id == MET_COUNT) {
        snprintf(err, err_len, "unknown metric '%s'", mname);
        return BS_ERR_INPUT;
    }
    out->id = id;
    if (dot) {
        out->group = strndup(text, (size_t)(dot - text));
        if (!out->group) return BS_ERR_INTERNAL;
    }
    if (at) {
        out->window = strndup(at + 1, (size_t)(end - at - 1));
        if (!out->window) {
            met_ref_free(out);
            return BS_ERR_INTERNAL;
        }
    }
    return BS_OK;
}

void met_ref_free(met_ref *r)
{
    if (!r) return;
    free(r->group);
    free(r->window);
    r->group = r->window = NULL;
}

bs_rc met_ref_copy(const met_ref *src, met_ref *dst)
{
    bool ok = true;
    dst->id = src->id;
    dst->group = dup_or_null(src->group, &ok);
    dst->window = dup_or_null(src->window, &ok);
    if (!ok) {
        met_ref_free(dst);
        return BS_ERR_INTERNAL;
    }
    return BS_OK;
}

void met_ref_text(const met_ref *r, char *buf, size_t len)
{
    snprintf(buf, len, "%s%s%s%s%s", r->group ? r->group : "", r->group ? "." : "",
             met_info_get(r->id)->name, r->window ? "@" : "", r->window ? r->window : "");
}

double met_ref_value(const met_ref *r, const met_set *set)
{
    const met_values *v = met_set_find(set, r->group, r->window);
    if (!v || !v->present[r->id]) return NAN;
    return v->v[r->id];
}

static bool among(const char *name, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0) return true;
    return false;
}

static void list_names(char *buf, size_t len, const char *what, const char *const *names, size_t n)
{
    size_t k = (size_t)snprintf(buf, len, n ? "%s: " : "no %s", what);
    for (size_t i = 0; i < n && k < len; i++)
        k += (size_t)snprintf(buf + k, len - k, "%s%s", i ? ", " : "", names[i]);
}

bs_rc met_ref_check(const met_ref *r, const char *const *groups, size_t n_groups,
                    const char *const *windows, size_t n_windows, char *err, size_t err_len)
{
    char text[256], names[512];
    met_ref_text(r, text, sizeof text);
    if (r->group && !among(r->group, groups, n_groups)) {
        list_names(names, sizeof names, "groups", groups, n_groups);
        snprintf(err, err_len, "unknown group '%s' in '%s' (%s)", r->group, text, names);
        return BS_ERR_INPUT;
    }
    if (r->window && !among(r->window, windows, n_windows)) {
        list_names(names, sizeof names, "windows", windows, n_windows);
        snprintf(err, err_len, "unknown window '%s' in '%s' (%s)", r->window, text, names);
        return BS_ERR_INPUT;
    }
    return BS_OK;
}
