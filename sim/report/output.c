/* output.c -- writes the run directory of docs/outputs.md.
 *
 * Why it looks like this:
 * - Every file goes to a dot-named temporary (".timeseries.csv.tmp") in the
 *   run directory and is renamed only in out_finish(), summary.json last: a
 *   crashed or interrupted run never leaves a half-written file under a final
 *   name, and the presence of summary.json means the directory is complete.
 *   rename() within one directory is atomic on POSIX file systems.
 * - Rows arrive through eng_sink callbacks for every sample of every VM, which
 *   is the hot path of big runs: each CSV has a 1 MiB stdio buffer allocated
 *   once in out_open(), and a row is formatted into stack buffers (no malloc).
 *   Write errors are caught per row with ferror() so a full disk stops the run
 *   at once instead of simulating hours for nothing.
 * - Numbers must be byte-identical across runs and machines: integers print as
 *   integers, times as exact decimal seconds of the integer nanoseconds, and
 *   other doubles as the shortest decimal that reads back to the same double
 *   (binary search over the precision of "%.*e", then the decimal point is
 *   placed by hand so the locale's decimal point never leaks in). */
#include "sim/report/output.h"

#include "sim/base/fsutil.h"
#include "sim/base/metrics.h"
#include "sim/base/text.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define OUT_BUF_SIZE (1 << 20)
#define OUT_MAX_CREATED 64 /* directories out_open may create (path depth) */
#define OUT_TEXT_MAX_VMS 50

enum { OUT_TS, OUT_HOSTS, OUT_EVENTS, OUT_NCSV };

typedef struct out_file_desc {
    const char *final;
    const char *tmp;
    const char *header;
} out_file_desc;

static const out_file_desc csv_files[OUT_NCSV] = {
    {"timeseries.csv", ".timeseries.csv.tmp",
     "time_s,host,vm,demand_bytes,cache_bytes,actual_bytes,target_bytes,resident_bytes,"
     "guest_swapped_bytes,host_swapped_bytes,stall_fraction\n"},
    {"hosts.csv", ".hosts.csv.tmp", "time_s,host,used_bytes,free_bytes,swapped_bytes\n"},
    {"events.csv", ".events.csv.tmp", "time_s,host,vm,event,value\n"},
};
static const out_file_desc summary_file = {"summary.json", ".summary.json.tmp", NULL};
static const out_file_desc runinfo_file = {"run.json", ".run.json.tmp", NULL};

struct out_run {
    char *dir;
    char *path_tmp[OUT_NCSV];
    FILE *f[OUT_NCSV];
    char *buf[OUT_NCSV];
    eng_sink sink;
    char *created[OUT_MAX_CREATED]; /* directories made by out_open, outermost first */
    size_t n_created;
};

/* ---------------------------------------------------------------- numbers */

/* ---------------------------------------------------------------- JSON */

/* A metric value as JSON: null when absent or not finite (JSON has no NaN),
 * integers without a fraction, others in the shortest round-trip form. */
static void json_metric(FILE *f, const met_info *info, bool present, double v)
{
    char buf[40];
    if (!present || !isfinite(v)) {
        fputs("null", f);
    } else if (info->integer) {
        if (fabs(v) < 9.0e18)
            fprintf(f, "%lld", llround(v));
        else
            fprintf(f, "%.0f", v);
    } else {
        txt_format_double(buf, v);
        fputs(buf, f);
    }
}

static void json_metrics(FILE *f, const met_values *mv, unsigned scope, const char *indent)
{
    bool first = true;
    fputs("{", f);
    for (int id = 0; id < MET_COUNT; id++) {
        const met_info *info = met_info_get((met_id)id);
        assert(info != NULL);
        if (scope != 0 && !(info->scopes & scope))
            continue;
        fprintf(f, "%s\n%s  ", first ? "" : ",", indent);
        txt_json_string(f, info->name);
        fputs(": ", f);
        json_metric(f, info, mv->present[id], mv->v[id]);
        first = false;
    }
    if (first)
        fputs("}", f);
    else
        fprintf(f, "\n%s}", indent);
}

/* The values of one scope of the run, or all-absent values when the engine
 * did not compute that scope (a result built by hand, say): every metric then
 * prints as null rather than the key disappearing, so the file's shape never
 * depends on how it was produced. */
static const met_values *scope_values(const eng_result *res, const char *group,
                                      const char *window)
{
    static const met_values none; /* read-only: all absent */
    const met_values *v = met_set_find(&res->scopes, group, window);
    return v ? v : &none;
}

/* "groups": every `vms:` item name, with its instances and its VM metrics
 * (cli.md "Groups and windows"). */
static void json_groups(FILE *f, const scen *sc, const eng_result *res)
{
    fputs(",\n  \"groups\": [", f);
    for (size_t g = 0; g < sc->n_groups; g++) {
        const scen_group *gr = &sc->groups[g];
        fprintf(f, "%s\n    {\n      \"name\": ", g ? "," : "");
        txt_json_string(f, gr->name);
        fputs(",\n      \"vms\": [", f);
        for (size_t k = 0; k < gr->n_vms; k++) {
            assert(gr->vms[k] < sc->n_vms);
            fputs(k ? ", " : "", f);
            txt_json_string(f, sc->vms[gr->vms[k]].name);
        }
        fputs("],\n      \"metrics\": ", f);
        json_metrics(f, scope_values(res, gr->name, NULL), MET_SCOPE_VM, "      ");
        fputs("\n    }", f);
    }
    fputs(sc->n_groups ? "\n  ]" : "]", f);
}

/* "windows": every metric over the window's time, then its groups (VM
 * metrics over the group's VMs and the window's time). */
static void json_windows(FILE *f, const scen *sc, const eng_result *res)
{
    fputs(",\n  \"windows\": [", f);
    for (size_t w = 0; w < sc->n_windows; w++) {
        const char *wn = sc->windows[w].name;
        fprintf(f, "%s\n    {\n      \"name\": ", w ? "," : "");
        txt_json_string(f, wn);
        fputs(",\n      \"metrics\": ", f);
        json_metrics(f, scope_values(res, NULL, wn), 0, "      ");
        fputs(",\n      \"groups\": [", f);
        for (size_t g = 0; g < sc->n_groups; g++) {
            const char *gn = sc->groups[g].name;
            fprintf(f, "%s\n        {\n          \"name\": ", g ? "," : "");
            txt_json_string(f, gn);
            fputs(",\n          \"metrics\": ", f);
            json_metrics(f, scope_values(res, gn, wn), MET_SCOPE_VM, "          ");
            fputs("\n        }", f);
        }
        fputs(sc->n_groups ? "\n      ]\n    }" : "]\n    }", f);
    }
    fputs(sc->n_windows ? "\n  ]" : "]", f);
}

bs_rc out_write_summary_json(FILE *f, const scen *sc, const eng_result *res)
{
    char buf[40];
    assert(res->n_hosts == sc->n_hosts && res->n_vms == sc->n_vms);
    fputs("{\n  \"scenario\": ", f);
    txt_json_string(f, sc->name);
    fputs(",\n  \"policy\": ", f);
    txt_json_string(f, sc->policy.type ? sc->policy.type->name : "");
    fprintf(f, ",\n  \"seed\": %" PRIu64, sc->seed);
    txt_format_seconds(buf, sc->duration);
    fprintf(f, ",\n  \"duration_s\": %s,\n  \"metrics\": ", buf);
    /* The run carries every metric (all have a meaning for a whole run). */
    json_metrics(f, &res->run, 0, "  ");
    fputs(",\n  \"hosts\": [", f);
    for (size_t h = 0; h < res->n_hosts; h++) {
        fprintf(f, "%s\n    {\n      \"name\": ", h ? "," : "");
        txt_json_string(f, sc->hosts[h].name);
        fputs(",\n      \"metrics\": ", f);
        json_metrics(f, &res->hosts[h], MET_SCOPE_HOST, "      ");
        fputs("\n    }", f);
    }
    fputs(res->n_hosts ? "\n  ]" : "]", f);
    /* cli.md's order: hosts, groups, windows, then the VMs. */
    json_groups(f, sc, res);
    json_windows(f, sc, res);
    fputs(",\n  \"vms\": [", f);
    for (size_t i = 0; i < res->n_vms; i++) {
        const scen_vm *vm = &sc->vms[i];
        assert(vm->host < sc->n_hosts);
        fprintf(f, "%s\n    {\n      \"name\": ", i ? "," : "");
        txt_json_string(f, vm->name);
        fputs(",\n      \"host\": ", f);
        txt_json_string(f, sc->hosts[vm->host].name);
        fputs(",\n      \"metrics\": ", f);
        json_metrics(f, &res->vms[i], MET_SCOPE_VM, "      ");
        fputs("\n    }", f);
    }
    fprintf(f, "%s]\n}\n", res->n_vms ? "\n  " : "");
    return ferror(f) ? BS_ERR_INTERNAL : BS_OK;
}

static bs_rc write_run_json(FILE *f, const out_info *info)
{
    char buf[40];
    fputs("{\n  \"version\": ", f);
    txt_json_string(f, BS_VERSION);
    fputs(",\n  \"command_line\": ", f);
    txt_json_string(f, info && info->command_line ? info->command_line : "");
    txt_format_double(buf, info ? info->wall_s : 0.0);
    fprintf(f, ",\n  \"wall_time_s\": %s,\n  \"events\": %" PRIu64 "\n}\n", buf,
            info ? info->events : (uint64_t)0);
    return ferror(f) ? BS_ERR_INTERNAL : BS_OK;
}

/* ---------------------------------------------------------------- text */

/* Human-readable value: integers whole, others to 6 significant digits (the
 * exact values are in summary.json), nulls as "-". */
static void text_metric(char buf[40], const met_info *info, bool present, double v)
{
    if (!present || !isfinite(v)) {
        strcpy(buf, present ? "nan" : "-");
    } else if (info->integer) {
        if (fabs(v) < 9.0e18)
            snprintf(buf, 40, "%lld", llround(v));
        else
            snprintf(buf, 40, "%.0f", v);
    } else {
        snprintf(buf, 40, "%.6g", v);
        char *dp = strpbrk(buf, ",");
        if (dp) /* a locale with a decimal comma: keep the output stable */
            *dp = '.';
    }
}

typedef struct vm_rank {
    size_t index;
    double stall;
} vm_rank;

static int cmp_rank(const void *a, const void *b)
{
    const vm_rank *x = a, *y = b;
    if (x->stall != y->stall)
        return x->stall > y->stall ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

static int cmp_index(const void *a, const void *b)
{
    const vm_rank *x = a, *y = b;
    return x->index < y->index ? -1 : x->index > y->index;
}

static const met_id text_vm_cols[] = {MET_STALL_S, MET_GUEST_OOM_KILLS, MET_PRESSURE_FRACTION,
                                      MET_DOWNTIME_S};
#define N_TEXT_VM_COLS (sizeof text_vm_cols / sizeof text_vm_cols[0])

/* The metrics a reader of one tenant or one hour looks at first (the rest
 * are in summary.json): is anything killed or down, how much and how bad is
 * the stall, how often under pressure, how fairly served. */
static const met_id text_scope_cols[] = {MET_GUEST_OOM_KILLS, MET_HOST_OOM_KILLS,
                                         MET_DOWNTIME_S,      MET_STALL_S,
                                         MET_STALL_P99,       MET_PRESSURE_FRACTION,
                                         MET_FAIRNESS};
#define N_TEXT_SCOPE_COLS (sizeof text_scope_cols / sizeof text_scope_cols[0])

/* One row per group (with its VM count), aligned like the per-VM table.
 * Only with two groups or more: a single group is the run itself. */
static void text_groups(FILE *f, const scen *sc, const eng_result *res)
{
    char buf[40];
    if (sc->n_groups < 2)
        return;
    int wname = (int)strlen("group"), wvms = (int)strlen("vms");
    int wcol[N_TEXT_SCOPE_COLS];
    for (size_t c = 0; c < N_TEXT_SCOPE_COLS; c++)
        wcol[c] = (int)strlen(met_info_get(text_scope_cols[c])->name);
    for (size_t g = 0; g < sc->n_groups; g++) {
        const met_values *mv = scope_values(res, sc->groups[g].name, NULL);
        wname = BS_MAX(wname, (int)strlen(sc->groups[g].name));
        wvms = BS_MAX(wvms, snprintf(buf, sizeof buf, "%zu", sc->groups[g].n_vms));
        for (size_t c = 0; c < N_TEXT_SCOPE_COLS; c++) {
            met_id id = text_scope_cols[c];
            text_metric(buf, met_info_get(id), mv->present[id], mv->v[id]);
            wcol[c] = BS_MAX(wcol[c], (int)strlen(buf));
        }
    }
    fprintf(f, "\n%-*s  %*s", wname, "group", wvms, "vms");
    for (size_t c = 0; c < N_TEXT_SCOPE_COLS; c++)
        fprintf(f, "  %*s", wcol[c], met_info_get(text_scope_cols[c])->name);
    fputc('\n', f);
    for (size_t g = 0; g < sc->n_groups; g++) {
        const met_values *mv = scope_values(res, sc->groups[g].name, NULL);
        fprintf(f, "%-*s  %*zu", wname, sc->groups[g].name, wvms, sc->groups[g].n_vms);
        for (size_t c = 0; c < N_TEXT_SCOPE_COLS; c++) {
            met_id id = text_scope_cols[c];
            text_metric(buf, met_info_get(id), mv->present[id], mv->v[id]);
            fprintf(f, "  %*s", wcol[c], buf);
        }
        fputc('\n', f);
    }
}

/* " metric value, metric value, ...\n" over text_scope_cols (after a lead
 * the caller printed). */
static void text_scope_line(FILE *f, const met_values *mv)
{
    char buf[40];
    for (size_t c = 0; c < N_TEXT_SCOPE_COLS; c++) {
        met_id id = text_scope_cols[c];
        const met_info *info = met_info_get(id);
        text_metric(buf, info, mv->present[id], mv->v[id]);
        fprintf(f, "%s%s %s", c ? ", " : " ", info->name, buf);
    }
    fputc('\n', f);
}

/* One line per window; with two groups or more, one indented line per group
 * under it (who suffers in that window), the metrics aligned after the
 * group names. */
static void text_windows(FILE *f, const scen *sc, const eng_result *res)
{
    if (sc->n_windows == 0)
        return;
    fputc('\n', f);
    int wg = 0;
    for (size_t g = 0; g < sc->n_groups; g++)
        wg = BS_MAX(wg, (int)strlen(sc->groups[g].name));
    for (size_t w = 0; w < sc->n_windows; w++) {
        const char *wn = sc->windows[w].name;
        fprintf(f, "window %s:", wn);
        text_scope_line(f, scope_values(res, NULL, wn));
        for (size_t g = 0; sc->n_groups >= 2 && g < sc->n_groups; g++) {
            const char *gn = sc->groups[g].name;
            fprintf(f, "  %s:%*s", gn, wg - (int)strlen(gn), "");
            text_scope_line(f, scope_values(res, gn, wn));
        }
    }
}

void out_print_summary_text(FILE *f, const scen *sc, const eng_result *res)
{
    char buf[40], wbuf[40];
    fprintf(f, "scenario  %s\n", sc->name);
    fprintf(f, "policy    %s\n", sc->policy.type ? sc->policy.type->name : "");
    fprintf(f, "seed      %" PRIu64 "\n", sc->seed);
    txt_format_seconds(buf, sc->duration);
    txt_format_seconds(wbuf, sc->warmup);
    fprintf(f, "duration  %s s (warmup %s s)\n", buf, wbuf);
    fprintf(f, "hosts     %zu, VMs %zu\n\n", sc->n_hosts, sc->n_vms);

    int wname = (int)strlen("metric"), wval = (int)strlen("value");
    for (int id = 0; id < MET_COUNT; id++) {
        const met_info *info = met_info_get((met_id)id);
        text_metric(buf, info, res->run.present[id], res->run.v[id]);
        wname = BS_MAX(wname, (int)strlen(info->name));
        wval = BS_MAX(wval, (int)strlen(buf));
    }
    fprintf(f, "%-*s  %*s  %s\n", wname, "metric", wval, "value", "unit");
    for (int id = 0; id < MET_COUNT; id++) {
        const met_info *info = met_info_get((met_id)id);
        text_metric(buf, info, res->run.present[id], res->run.v[id]);
        fprintf(f, "%-*s  %*s  %s\n", wname, info->name, wval, buf, info->unit);
    }
    text_groups(f, sc, res);
    text_windows(f, sc, res);
    if (res->n_vms == 0)
        return;

    /* Per VM: all of them when few, else the most stalled (the ones a reader
     * is looking for), shown in scenario order. */
    size_t n = res->n_vms, shown = BS_MIN(n, (size_t)OUT_TEXT_MAX_VMS);
    vm_rank *rank = malloc(n * sizeof *rank);
    if (rank == NULL) {
        fputs("(per-VM table omitted: out of memory)\n", f);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const met_values *mv = &res->vms[i];
        rank[i].index = i;
        rank[i].stall = mv->present[MET_STALL_S] && isfinite(mv->v[MET_STALL_S])
                            ? mv->v[MET_STALL_S] : -1.0;
    }
    if (shown < n)
        qsort(rank, n, sizeof *rank, cmp_rank);
    qsort(rank, shown, sizeof *rank, cmp_index);

    int wvm = (int)strlen("vm"), whost = (int)strlen("host");
    int wcol[N_TEXT_VM_COLS];
    for (size_t c = 0; c < N_TEXT_VM_COLS; c++)
        wcol[c] = (int)strlen(met_info_get(text_vm_cols[c])->name);
    for (size_t k = 0; k < shown; k++) {
        const scen_vm *vm = &sc->vms[rank[k].index];
        wvm = BS_MAX(wvm, (int)strlen(vm->name));
        whost = BS_MAX(whost, (int)strlen(sc->hosts[vm->host].name));
        for (size_t c = 0; c < N_TEXT_VM_COLS; c++) {
            met_id id = text_vm_cols[c];
            text_metric(buf, met_info_get(id), res->vms[rank[k].index].present[id],
                        res->vms[rank[k].index].v[id]);
            wcol[c] = BS_MAX(wcol[c], (int)strlen(buf));
        }
    }
    fputc('\n', f);
    if (shown < n)
        fprintf(f, "the %zu VMs with the most stall of %zu (all in summary.json):\n", shown, n);
    fprintf(f, "%-*s  %-*s", wvm, "vm", whost, "host");
    for (size_t c = 0; c < N_TEXT_VM_COLS; c++)
        fprintf(f, "  %*s", wcol[c], met_info_get(text_vm_cols[c])->name);
    fputc('\n', f);
    for (size_t k = 0; k < shown; k++) {
        const scen_vm *vm = &sc->vms[rank[k].index];
        fprintf(f, "%-*s  %-*s", wvm, vm->name, whost, sc->hosts[vm->host].name);
        for (size_t c = 0; c < N_TEXT_VM_COLS; c++) {
            met_id id = text_vm_cols[c];
            text_metric(buf, met_info_get(id), res->vms[rank[k].index].present[id],
                        res->vms[rank[k].index].v[id]);
            fprintf(f, "  %*s", wcol[c], buf);
        }
        fputc('\n', f);
    }
    free(rank);
}

/* ---------------------------------------------------------------- files */

static bs_rc write_error(const out_run *o, int k)
{
    fprintf(stderr, "balloonsim: cannot write %s: %s\n", o->path_tmp[k],
            errno ? strerror(errno) : "I/O error");
    return BS_ERR_INTERNAL;
}

static bs_rc sink_vm(void *ctx, const eng_vm_sample *r)
{
    out_run *o = ctx;
    FILE *f = o->f[OUT_TS];
    char t[40], st[40];
    txt_format_seconds(t, r->t);
    txt_format_double(st, r->stall);
    fputs(t, f);
    putc(',', f);
    txt_csv_field(f, r->host);
    putc(',', f);
    txt_csv_field(f, r->vm);
    fprintf(f, ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64
               ",%" PRId64 ",%s\n",
            r->demand, r->cache, r->actual, r->target, r->resident, r->guest_swapped,
            r->host_swapped, st);
    return ferror(f) ? write_error(o, OUT_TS) : BS_OK;
}

static bs_rc sink_host(void *ctx, const eng_host_sample *r)
{
    out_run *o = ctx;
    FILE *f = o->f[OUT_HOSTS];
    char t[40];
    txt_format_seconds(t, r->t);
    fputs(t, f);
    putc(',', f);
    txt_csv_field(f, r->host);
    fprintf(f, ",%" PRId64 ",%" PRId64 ",%" PRId64 "\n", r->used, r->free, r->swapped);
    return ferror(f) ? write_error(o, OUT_HOSTS) : BS_OK;
}

static bs_rc sink_event(void *ctx, const eng_event *ev)
{
    out_run *o = ctx;
    FILE *f = o->f[OUT_EVENTS];
    char t[40];
    txt_format_seconds(t, ev->t);
    fputs(t, f);
    putc(',', f);
    txt_csv_field(f, ev->host);
    putc(',', f);
    txt_csv_field(f, ev->vm); /* empty for host-level events */
    putc(',', f);
    txt_csv_field(f, ev->event);
    fprintf(f, ",%" PRId64 "\n", ev->value);
    return ferror(f) ? write_error(o, OUT_EVENTS) : BS_OK;
}

static void free_run(out_run *o)
{
    for (int k = 0; k < OUT_NCSV; k++) {
        free(o->path_tmp[k]);
        free(o->buf[k]);
    }
    for (size_t i = 0; i < o->n_created; i++)
        free(o->created[i]);
    free(o->dir);
    free(o);
}

/* Close every CSV still open (errors ignored: the caller is giving up). */
static void close_all(out_run *o)
{
    for (int k = 0; k < OUT_NCSV; k++) {
        if (o->f[k]) {
            fclose(o->f[k]);
            o->f[k] = NULL;
        }
    }
}

void out_abort(out_run *o)
{
    if (o == NULL)
        return;
    close_all(o);
    for (int k = 0; k < OUT_NCSV; k++)
        if (o->path_tmp[k])
            unlink(o->path_tmp[k]);
    /* Innermost first; rmdir fails harmlessly on a directory that holds
     * something of the user's. */
    for (size_t i = o->n_created; i-- > 0;)
        rmdir(o->created[i]);
    free_run(o);
}

bs_rc out_open(const char *dir, out_run **out)
{
    *out = NULL;
    out_run *o = calloc(1, sizeof *o);
    if (o == NULL)
        return BS_ERR_INTERNAL;
    o->dir = strdup(dir);
    char *plots = fs_path_join(dir, "plots");
    bs_rc rc = o->dir && plots ? BS_OK : BS_ERR_INTERNAL;
    if (rc == BS_OK)
        rc = fs_mkdirs_record(dir, o->created, &o->n_created, OUT_MAX_CREATED);
    if (rc == BS_OK)
        rc = fs_mkdirs_record(plots, o->created, &o->n_created, OUT_MAX_CREATED);
    free(plots);
    for (int k = 0; k < OUT_NCSV && rc == BS_OK; k++) {
        o->path_tmp[k] = fs_path_join(dir, csv_files[k].tmp);
        o->buf[k] = malloc(OUT_BUF_SIZE);
        if (o->path_tmp[k] == NULL || o->buf[k] == NULL) {
            rc = BS_ERR_INTERNAL;
            break;
        }
        o->f[k] = fopen(o->path_tmp[k], "w");
        if (o->f[k] == NULL) {
            fprintf(stderr, "balloonsim: cannot create %s: %s\n", o->path_tmp[k],
                    strerror(errno));
            rc = BS_ERR_INTERNAL;
            break;
        }
        setvbuf(o->f[k], o->buf[k], _IOFBF, OUT_BUF_SIZE);
        if (fputs(csv_files[k].header, o->f[k]) == EOF)
            rc = write_error(o, k);
    }
    if (rc != BS_OK) {
        out_abort(o);
        return rc;
    }
    o->sink = (eng_sink){.ctx = o,
                         .vm_sample = sink_vm,
                         .host_sample = sink_host,
                         .event = sink_event};
    *out = o;
    return BS_OK;
}

const eng_sink *out_sink(out_run *o)
{
    assert(o != NULL);
    return &o->sink;
}

/* Write one JSON file to its temporary; returns its path (caller frees). */
static bs_rc write_json_tmp(const out_run *o, const out_file_desc *d, const scen *sc,
                            const eng_result *res, const out_info *info, char **tmp)
{
    *tmp = fs_path_join(o->dir, d->tmp);
    if (*tmp == NULL)
        return BS_ERR_INTERNAL;
    FILE *f = fopen(*tmp, "w");
    if (f == NULL) {
        fprintf(stderr, "balloonsim: cannot create %s: %s\n", *tmp, strerror(errno));
        return BS_ERR_INTERNAL;
    }
    bs_rc rc = d == &summary_file ? out_write_summary_json(f, sc, res) : write_run_json(f, info);
    int err = errno;
    if (fclose(f) != 0 && rc == BS_OK) {
        err = errno;
        rc = BS_ERR_INTERNAL;
    }
    if (rc != BS_OK)
        fprintf(stderr, "balloonsim: cannot write %s: %s\n", *tmp, strerror(err));
    return rc;
}

bs_rc out_finish(out_run *o, const scen *sc, const eng_result *res, const out_info *info)
{
    assert(o != NULL && sc != NULL && res != NULL);
    bs_rc rc = BS_OK;
    for (int k = 0; k < OUT_NCSV; k++) {
        FILE *f = o->f[k];
        o->f[k] = NULL;
        bool bad = ferror(f) != 0;
        if (fclose(f) != 0 || bad) {
            if (rc == BS_OK)
                rc = write_error(o, k);
        }
    }
    char *jtmp[2] = {NULL, NULL};
    const out_file_desc *jd[2] = {&runinfo_file, &summary_file};
    for (int j = 0; j < 2 && rc == BS_OK; j++)
        rc = write_json_tmp(o, jd[j], sc, res, info, &jtmp[j]);

    /* CSVs, then run.json, then summary.json. */
    const char *from[OUT_NCSV + 2];
    const char *name[OUT_NCSV + 2];
    for (int k = 0; k < OUT_NCSV; k++) {
        from[k] = o->path_tmp[k];
        name[k] = csv_files[k].final;
    }
    for (int j = 0; j < 2; j++) {
        from[OUT_NCSV + j] = jtmp[j];
        name[OUT_NCSV + j] = jd[j]->final;
    }
    for (int k = 0; k < OUT_NCSV + 2 && rc == BS_OK; k++) {
        char *to = fs_path_join(o->dir, name[k]);
        if (to == NULL || rename(from[k], to) != 0) {
            fprintf(stderr, "balloonsim: cannot rename %s to %s: %s\n", from[k],
                    to ? to : name[k], to ? strerror(errno) : "out of memory");
            rc = BS_ERR_INTERNAL;
        }
        free(to);
    }
    if (rc != BS_OK) {
        /* Whatever was not renamed yet goes (unlink of a renamed one fails
         * harmlessly with ENOENT). */
        for (int k = 0; k < OUT_NCSV + 2; k++)
            if (from[k])
                unlink(from[k]);
    }
    free(jtmp[0]);
    free(jtmp[1]);
    free_run(o);
    return rc;
}
