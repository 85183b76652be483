/* cmd_tracestats.c -- `balloonsim trace-stats FILE...` (see cmd_tracestats.h).
 *
 * Why it is shaped like this:
 * - Every file is loaded before anything is printed, and every file's error is
 *   reported (FILE:LINE: what), so a typo in one of 200 paths costs one run.
 * - The provisioned memory is what makes levels comparable across VMs and with
 *   the `fleet` generator (which is relative to the VM's memory).  Bitbrains
 *   files carry it ("Memory capacity provisioned [KB]", the largest value of
 *   the file is taken), alibaba values are already fractions of the limit;
 *   csv and dommemstat files do not say, and their statistics that need it
 *   print as n/a (null in JSON).
 * - Hours of day are those of the file's clock (UTC for Unix times); the
 *   simulator's own output (timeseries.csv) starts at midnight of day 0.
 * - text is for reading; json has every number at full precision for scripts
 *   (NaN, a statistic without data, is null). */
#include "sim/cli/cmd_tracestats.h"
#include "sim/base/text.h"
#include "sim/cli/commands.h"
#include "sim/cli/opts.h"

#include "sim/report/output.h"
#include "sim/base/units.h"

#include "workloads/trace.h"
#include "workloads/tracestats.h"

#include <ctype.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A per-file guess looks at this many lines at most. */
#define GUESS_LINES 20

/* ---------------------------------------------------------------- guessing */

static bool numeric(const char *s, const char *end)
{
    if (s == end) return false;
    char buf[64];
    size_t len = (size_t)(end - s);
    if (len >= sizeof buf) return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *e = NULL;
    strtod(buf, &e);
    return e && *e == '\0' && e != buf;
}

/* "name value" with an identifier and a number (virsh dommemstat). */
static bool dommemstat_line(const char *s)
{
    const char *p = s;
    while (isalnum((unsigned char)*p) || *p == '_') p++;
    if (p == s || (*p != ' ' && *p != '\t' && *p != ':')) return false;
    if (*p == ':') p++;
    while (*p == ' ' || *p == '\t') p++;
    const char *v = p;
    while (*p && !isspace((unsigned char)*p)) p++;
    const char *vend = p;
    while (isspace((unsigned char)*p)) p++;
    return *p == '\0' && numeric(v, vend);
}

static bool alibaba_line(const char *s)
{
    if (strncmp(s, "container_id", 12) == 0) return true;
    return s[0] == 'c' && s[1] == '_' && strstr(s, ",m_") != NULL;
}

int cli_trace_guess_format(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return WL_TRACE_CSV;
    char *line = NULL;
    size_t cap = 0;
    int seen = 0, fmt = WL_TRACE_CSV;
    while (seen < GUESS_LINES && getline(&line, &cap, f) >= 0) {
        char *s = line;
        while (*s == ' ' || *s == '\t') s++;
        s[strcspn(s, "\r\n")] = '\0';
        if (*s == '\0') continue;
        if (strchr(s, ';')) {
            fmt = WL_TRACE_BITBRAINS;
            break;
        }
        if (alibaba_line(s)) {
            fmt = WL_TRACE_ALIBABA;
            break;
        }
        if (!strchr(s, ',') && dommemstat_line(s)) {
            fmt = WL_TRACE_DOMMEMSTAT;
            break;
        }
        if (strchr(s, ',')) break; /* a csv header or row */
        seen++;
    }
    free(line);
    fclose(f);
    return fmt;
}

/* ---------------------------------------------------------------- loading */

typedef struct vm {
    const char *path;
    wl_trace_format fmt;
    wl_series *s;
    double *t_s;
    wl_tstats st;
} vm;

static double provisioned_of(const char *path, wl_trace_format fmt, const wl_series *s)
{
    if (s->fraction) return 1.0;
    if (fmt != WL_TRACE_BITBRAINS) return 0;
    /* A file without the column (a custom header) just leaves it unknown. */
    cfg_errs ignore = {0};
    wl_series *p = NULL;
    double most = 0;
    if (wl_trace_load(path, fmt, "Memory capacity provisioned [KB]", &ignore, &p) == BS_OK) {
        for (size_t i = 0; i < p->n; i++)
            if (p->v[i] > most) most = p->v[i];
        wl_series_free(p);
    }
    cfg_errs_free(&ignore);
    return most;
}

static bs_rc load_vm(vm *m, cfg_errs *errs)
{
    bs_rc rc = wl_trace_load(m->path, m->fmt, NULL, errs, &m->s);
    if (rc != BS_OK) return rc;
    m->t_s = malloc(m->s->n * sizeof *m->t_s);
    if (!m->t_s) return BS_ERR_INTERNAL;
    for (size_t i = 0; i < m->s->n; i++)
        m->t_s[i] = m->s->t0_s + (double)m->s->t[i] / (double)BS_NS_PER_S;
    /* The seconds replace the ns: a fleet of long traces is big enough. */
    free(m->s->t);
    m->s->t = NULL;
    wl_tseries ts = {m->s->v, m->t_s, m->s->n, provisioned_of(m->path, m->fmt, m->s)};
    return wl_tstats_compute(&ts, &m->st);
}

/* ---------------------------------------------------------------- text */

static void pct(FILE *f, double v)
{
    if (isnan(v)) fputs("n/a", f);
    else fprintf(f, "%.1f %%", 100.0 * v);
}

static void num(FILE *f, const char *fmt, double v)
{
    if (isnan(v)) fputs("n/a", f);
    else fprintf(f, fmt, v);
}

/* 120.2 MiB: one decimal in the largest binary unit that keeps it >= 1. */
static void human_size(FILE *f, double bytes)
{
    static const char *const names[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    int u = 0;
    double v = bytes;
    while (u < 5 && fabs(v) >= 1024.0) v /= 1024.0, u++;
    if (u == 0) fprintf(f, "%.0f B", v);
    else fprintf(f, "%.1f %s", v, names[u]);
}

/* A level in the series' unit, and as a share of provisioned when known. */
static void level(FILE *f, const wl_tstats *st, bool fraction, double v)
{
    if (fraction) {
        pct(f, v);
        return;
    }
    if (st->provisioned > 0) {
        pct(f, v / st->provisioned);
        return;
    }
    human_size(f, v);
}

static void text_daily(FILE *f, const wl_daily *d, const char *indent)
{
    if (!d->valid) {
        fprintf(f, "%sdaily:     n/a (needs samples in every hour of the day)\n", indent);
        return;
    }
    fprintf(f, "%sdaily:     trough %.1f h, peak %.1f h, peak-to-trough ", indent, d->trough_h,
            d->peak_h);
    pct(f, d->amplitude);
    fputs(" of the mean, hour of day explains ", f);
    pct(f, d->r2);
    fputs(" of the variance\n", f);
    for (int row = 0; row < 2; row++) {
        fprintf(f, "%s%s", indent, row ? "           " : "hourly:    ");
        for (int h = 12 * row; h < 12 * row + 12; h++) fprintf(f, " %02d:%.2f", h, d->hourly[h]);
        fputs(row ? "\n" : "  (x mean)\n", f);
    }
}

static void text_stats(FILE *f, const wl_tstats *st, bool fraction, const char *indent)
{
    const char *of = fraction ? " of the limit" : st->provisioned > 0 ? " of provisioned" : "";
    fprintf(f, "%slevel:     mean ", indent);
    level(f, st, fraction, st->mean);
    fputs(", median ", f);
    level(f, st, fraction, st->median);
    fputs(", p95 ", f);
    level(f, st, fraction, st->p95);
    fputs(", p99 ", f);
    level(f, st, fraction, st->p99);
    fputs(", max ", f);
    level(f, st, fraction, st->max);
    fprintf(f, "%s", of);
    if (!fraction && st->provisioned > 0) {
        fputs(" (mean ", f);
        human_size(f, st->mean);
        fputs(")", f);
    }
    fprintf(f, "\n%svariation: cv ", indent);
    num(f, "%.2f", st->cv);
    fputs(", lag-1 autocorrelation ", f);
    num(f, "%.2f", st->lag1);
    fputs(", AR(1) of ln usage: phi ", f);
    num(f, "%.2f", st->ar_phi);
    fputs(" sigma ", f);
    num(f, "%.2f", st->ar_sigma);
    if (isnan(st->change[0])) {
        fprintf(f, "\n%schanges:   n/a (provisioned unknown)\n", indent);
    } else {
        fprintf(f, "\n%schanges:   steps over 1 %%: ", indent);
        pct(f, st->change[0]);
        fputs(", over 5 %: ", f);
        pct(f, st->change[1]);
        fputs(", over 10 %: ", f);
        pct(f, st->change[2]);
        fputs(" (of provisioned)\n", f);
    }
    fprintf(f, "%sbursts:    above %.1fx median ", indent, WL_BURST_THRESHOLD);
    pct(f, st->burst_fraction);
    fprintf(f, " of the time; %zu bursts, ", st->bursts);
    pct(f, st->burst_one);
    fputs(" one sample long, tail alpha ", f);
    num(f, "%.2f", st->burst_alpha);
    fputs(" (Hill), mean gap ", f);
    num(f, "%.1f", st->burst_gap);
    fputs(" samples\n", f);
}

static void text_vm(FILE *f, const vm *m)
{
    const wl_tstats *st = &m->st;
    fprintf(f, "%s (%s, %s): %zu samples", m->path, wl_trace_format_name(m->fmt), m->s->column,
            st->n);
    if (!isnan(st->step_s)) fprintf(f, " every %g s over %.2f d", st->step_s, st->span_s / 86400.0);
    if (m->s->missing) fprintf(f, ", %zu missing (held)", m->s->missing);
    if (m->s->fraction) {
        fputs(", values are fractions of the limit", f);
    } else if (st->provisioned > 0) {
        char b[64];
        unit_format_size(b, sizeof b, st->provisioned);
        fprintf(f, ", provisioned %s", b);
    } else {
        fputs(", provisioned unknown", f);
    }
    fputc('\n', f);
    text_stats(f, st, m->s->fraction, "  ");
    text_daily(f, &st->daily, "  ");
}

static void text_fleet(FILE *f, const wl_fleet_stats *fl, bool fraction)
{
    fprintf(f, "\nfleet: %zu VMs (one per file)\n", fl->vms);
    if (fl->n_sizes && !fraction) {
        fputs("  sizes:     ", f);
        size_t with = 0;
        for (size_t i = 0; i < fl->n_sizes; i++) with += fl->sizes[i].count;
        for (size_t i = 0; i < fl->n_sizes; i++) {
            char b[64];
            unit_format_size(b, sizeof b, fl->sizes[i].size);
            fprintf(f, "%s%s %.1f %%", i ? ", " : "", b,
                    100.0 * (double)fl->sizes[i].count / (double)with);
        }
        fputc('\n', f);
    }
    if (fl->ratio_vms == 0) {
        fputs("  spread:    n/a (provisioned unknown)\n", f);
    } else {
        fprintf(f, "  spread:    ln(mean / provisioned) over %zu VMs: mean ", fl->ratio_vms);
        num(f, "%.2f", fl->log_ratio_mean);
        fputs(", sd ", f);
        num(f, "%.2f", fl->log_ratio_sd);
        fputc('\n', f);
    }
    fputs("  per VM, median over VMs:\n", f);
    text_stats(f, &fl->median, fraction, "    ");
    if (fl->grid_n == 0) {
        fputs("  sum of all VMs: n/a (the traces have no time in common)\n", f);
        return;
    }
    fprintf(f, "  sum of all VMs, over the %.2f d they all have data:\n",
            isnan(fl->grid_step_s) ? 0.0 : fl->grid_step_s * (double)(fl->grid_n - 1) / 86400.0);
    text_daily(f, &fl->daily, "    ");
    fputs("  pooling:   sum of per-VM peaks / peak of the sum ", f);
    num(f, "%.2f", fl->pooling);
    fputc('\n', f);
}

/* ---------------------------------------------------------------- json */


static void jkey(FILE *f, const char *k, bool *first)
{
    fputs(*first ? "" : ", ", f);
    *first = false;
    txt_json_string(f, k);
    fputs(": ", f);
}

static void jfield(FILE *f, const char *k, double v, bool *first)
{
    jkey(f, k, first);
    txt_json_number(f, v);
}

static void json_daily(FILE *f, const wl_daily *d)
{
    if (!d->valid) {
        fputs("null", f);
        return;
    }
    bool first = true;
    fputc('{', f);
    jfield(f, "trough_h", d->trough_h, &first);
    jfield(f, "peak_h", d->peak_h, &first);
    jfield(f, "amplitude", d->amplitude, &first);
    jfield(f, "variance_explained", d->r2, &first);
    jkey(f, "hourly", &first);
    fputc('[', f);
    for (int h = 0; h < 24; h++) {
        fputs(h ? ", " : "", f);
        txt_json_number(f, d->hourly[h]);
    }
    fputs("]}", f);
}

/* The statistics both a VM and the fleet's medians have. */
static void json_stats(FILE *f, const wl_tstats *st, bool *first)
{
    double prov = st->provisioned > 0 ? st->provisioned : NAN;
    jkey(f, "level", first);
    bool lf = true;
    fputc('{', f);
    jfield(f, "mean", st->mean, &lf);
    jfield(f, "median", st->median, &lf);
    jfield(f, "p95", st->p95, &lf);
    jfield(f, "p99", st->p99, &lf);
    jfield(f, "max", st->max, &lf);
    fputc('}', f);
    jkey(f, "level_of_provisioned", first);
    if (isnan(prov)) {
        fputs("null", f);
    } else {
        lf = true;
        fputc('{', f);
        jfield(f, "mean", st->mean / prov, &lf);
        jfield(f, "median", st->median / prov, &lf);
        jfield(f, "p95", st->p95 / prov, &lf);
        jfield(f, "p99", st->p99 / prov, &lf);
        jfield(f, "max", st->max / prov, &lf);
        fputc('}', f);
    }
    jfield(f, "cv", st->cv, first);
    jfield(f, "lag1", st->lag1, first);
    jkey(f, "ar1_log", first);
    lf = true;
    fputc('{', f);
    jfield(f, "phi", st->ar_phi, &lf);
    jfield(f, "sigma", st->ar_sigma, &lf);
    fputc('}', f);
    jkey(f, "bursts", first);
    lf = true;
    fputc('{', f);
    jfield(f, "threshold", WL_BURST_THRESHOLD, &lf);
    jfield(f, "fraction", st->burst_fraction, &lf);
    jfield(f, "count", (double)st->bursts, &lf);
    jfield(f, "one_sample", st->burst_one, &lf);
    jfield(f, "tail_alpha", st->burst_alpha, &lf);
    jfield(f, "mean_gap", st->burst_gap, &lf);
    fputc('}', f);
    jkey(f, "changes", first);
    if (isnan(st->change[0])) {
        fputs("null", f);
    } else {
        lf = true;
        fputc('{', f);
        jfield(f, "over_1pct", st->change[0], &lf);
        jfield(f, "over_5pct", st->change[1], &lf);
        jfield(f, "over_10pct", st->change[2], &lf);
        fputc('}', f);
    }
}

static void json_vm(FILE *f, const vm *m)
{
    const wl_tstats *st = &m->st;
    bool first = true;
    fputc('{', f);
    jkey(f, "file", &first);
    txt_json_string(f, m->path);
    jkey(f, "format", &first);
    txt_json_string(f, wl_trace_format_name(m->fmt));
    jkey(f, "column", &first);
    txt_json_string(f, m->s->column ? m->s->column : "");
    jkey(f, "unit", &first);
    txt_json_string(f, m->s->fraction ? "fraction" : "bytes");
    jfield(f, "samples", (double)st->n, &first);
    jfield(f, "missing", (double)m->s->missing, &first);
    jfield(f, "start_s", m->s->t0_s, &first);
    jfield(f, "step_s", st->step_s, &first);
    jfield(f, "span_s", st->span_s, &first);
    jfield(f, "provisioned", st->provisioned > 0 ? st->provisioned : NAN, &first);
    json_stats(f, st, &first);
    jkey(f, "daily", &first);
    json_daily(f, &st->daily);
    fputc('}', f);
}

static void json_fleet(FILE *f, const wl_fleet_stats *fl)
{
    bool first = true;
    fputc('{', f);
    jfield(f, "vms", (double)fl->vms, &first);
    jkey(f, "sizes", &first);
    fputc('[', f);
    for (size_t i = 0; i < fl->n_sizes; i++) {
        bool sf = true;
        fputs(i ? ", {" : "{", f);
        jfield(f, "size", fl->sizes[i].size, &sf);
        jfield(f, "count", (double)fl->sizes[i].count, &sf);
        fputc('}', f);
    }
    fputc(']', f);
    jkey(f, "log_ratio", &first);
    bool lf = true;
    fputc('{', f);
    jfield(f, "vms", (double)fl->ratio_vms, &lf);
    jfield(f, "mean", fl->log_ratio_mean, &lf);
    jfield(f, "sd", fl->log_ratio_sd, &lf);
    fputc('}', f);
    jkey(f, "median", &first);
    lf = true;
    fputc('{', f);
    jfield(f, "provisioned", fl->median.provisioned > 0 ? fl->median.provisioned : NAN, &lf);
    json_stats(f, &fl->median, &lf);
    jkey(f, "daily", &lf);
    fputc('{', f);
    bool df = true;
    jfield(f, "amplitude", fl->median.daily.amplitude, &df);
    jfield(f, "variance_explained", fl->median.daily.r2, &df);
    fputs("}}", f);
    jkey(f, "sum", &first);
    lf = true;
    fputc('{', f);
    jfield(f, "step_s", fl->grid_step_s, &lf);
    jfield(f, "points", (double)fl->grid_n, &lf);
    jfield(f, "mean", fl->sum_mean, &lf);
    jfield(f, "peak", fl->sum_peak, &lf);
    jkey(f, "daily", &lf);
    json_daily(f, &fl->daily);
    fputc('}', f);
    jfield(f, "sum_of_peaks", fl->peaks_sum, &first);
    jfield(f, "pooling", fl->pooling, &first);
    fputc('}', f);
}

/* ---------------------------------------------------------------- command */

bs_rc cli_trace_stats(const char *const *paths, size_t n, const cli_tstats_opts *opts, FILE *out,
                      cfg_errs *errs)
{
    vm *vms = calloc(n, sizeof *vms);
    wl_tseries *ts = calloc(n, sizeof *ts);
    wl_tstats *sts = calloc(n, sizeof *sts);
    bs_rc rc = vms && ts && sts ? BS_OK : BS_ERR_INTERNAL;
    for (size_t i = 0; rc != BS_ERR_INTERNAL && i < n; i++) {
        vms[i].path = paths[i];
        vms[i].fmt = (wl_trace_format)(opts->guess ? cli_trace_guess_format(paths[i])
                                                   : opts->format);
        bs_rc r = load_vm(&vms[i], errs);
        if (r > rc) rc = r; /* keep going: report every file's error */
    }
    /* Fractions (alibaba) and bytes do not add up: a fleet is all of one kind. */
    bool fraction = rc == BS_OK && vms[0].s->fraction;
    for (size_t i = 1; rc == BS_OK && i < n; i++) {
        if (vms[i].s->fraction != fraction) {
            cfg_error_at(&(cfg_ctx){.errs = errs}, vms[i].path, 0, 0, NULL,
                         "expected values in %s like %s, found %s (mixing alibaba with "
                         "other formats)",
                         fraction ? "fractions" : "bytes", vms[0].path,
                         vms[i].s->fraction ? "fractions" : "bytes");
            rc = BS_ERR_INPUT;
        }
    }
    wl_fleet_stats fl = {0};
    bool have_fleet = false;
    if (rc == BS_OK && n > 1) {
        for (size_t i = 0; i < n; i++) {
            ts[i] = (wl_tseries){vms[i].s->v, vms[i].t_s, vms[i].s->n, vms[i].st.provisioned};
            sts[i] = vms[i].st;
        }
        rc = wl_fleet_compute(ts, sts, n, &fl);
        have_fleet = rc == BS_OK;
    }
    if (rc == BS_OK && opts->json) {
        fputs("{\"traces\": [", out);
        for (size_t i = 0; i < n; i++) {
            fputs(i ? ",\n  " : "\n  ", out);
            json_vm(out, &vms[i]);
        }
        fputs("\n],\n\"fleet\": ", out);
        if (have_fleet) json_fleet(out, &fl);
        else fputs("null", out);
        fputs("}\n", out);
    } else if (rc == BS_OK) {
        for (size_t i = 0; i < n; i++) {
            if (i) fputc('\n', out);
            text_vm(out, &vms[i]);
        }
        if (have_fleet) text_fleet(out, &fl, fraction);
    }
    if (have_fleet) wl_fleet_stats_free(&fl);
    for (size_t i = 0; vms && i < n; i++) {
        wl_series_free(vms[i].s);
        free(vms[i].t_s);
    }
    free(vms);
    free(ts);
    free(sts);
    return rc;
}

static int print_help(const cli_cmd *cmd)
{
    printf("usage: balloonsim %s\n\n%s.\n", cmd->usage, cmd->summary);
    if (cmd->help) printf("\noptions:\n%s", cmd->help);
    return fflush(stdout) == 0 ? BS_OK : BS_ERR_INTERNAL;
}

int cmd_trace_stats(const cli_ctx *cx, int argc, char **argv)
{
    enum { OPT_TRACE_FORMAT = 300, OPT_FORMAT };
    static const struct option longs[] = {
        {"trace-format", required_argument, NULL, OPT_TRACE_FORMAT},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    static const char *const formats[] = {"text", "json", NULL};
    const cli_cmd *cmd = cx->cmd;
    cli_tstats_opts o = {.guess = true};
    int c;
    cli_getopt_reset();
    while ((c = getopt_long(argc, argv, ":h", longs, NULL)) != -1) {
        if (c == 'h') return print_help(cmd);
        if (c == OPT_TRACE_FORMAT) {
            wl_trace_format fmt;
            if (wl_trace_format_parse(optarg, &fmt) != BS_OK)
                return cli_usage_error(cmd, "bad --trace-format '%s' (expected one of: %s)",
                                       optarg, WL_TRACE_FORMATS);
            o.guess = false;
            o.format = (int)fmt;
            continue;
        }
        if (c == OPT_FORMAT) {
            int k = cli_parse_format(cmd, optarg, formats);
            if (k < 0) return BS_ERR_INPUT;
            o.json = k == 1;
            continue;
        }
        const char *arg = optind > 0 && optind <= argc ? argv[optind - 1] : "";
        if (c == ':') return cli_usage_error(cmd, "option '%s' needs an argument", arg);
        if (strncmp(arg, "--", 2) != 0 && optopt > 0 && optopt < 128)
            return cli_usage_error(cmd, "unknown option '-%c'", optopt);
        return cli_usage_error(cmd, "unknown option '%s'", arg);
    }
    if (optind >= argc) return cli_usage_error(cmd, "missing FILE");
    cfg_errs errs = {0};
    bs_rc rc = cli_trace_stats((const char *const *)argv + optind, (size_t)(argc - optind), &o,
                               stdout, &errs);
    if (rc != BS_OK) {
        if (errs.n) cfg_errs_print(&errs, stderr);
        else fprintf(stderr, "balloonsim trace-stats: internal error (out of memory?)\n");
    }
    cfg_errs_free(&errs);
    if (rc == BS_OK && fflush(stdout) != 0) rc = BS_ERR_INTERNAL;
    return rc;
}
