/* trace.h -- reading recorded memory traces into a time series.
 *
 * The `trace` workload (workloads/replay.c) and a `trace-stats` command both
 * need the same parsed series, so the readers live apart from the workload.
 * A series is the file's rows after parsing: times shifted so the first row is
 * 0, in integer ns, strictly increasing; values in bytes, or for alibaba a
 * fraction of the VM's memory.  Scaling, looping and interpolation belong to
 * the workload, not here.
 *
 * Formats (details and every choice in docs; summary):
 *   csv        header row; time column `t`/`time`/`timestamp` (seconds) or with
 *              a unit suffix (`time_ms`, `t_s`, `time_min`, `time_h`, ...); value
 *              column `column` (a header name or 1-based index; default the first
 *              non-time column), bytes unless its name ends in _kib/_kb, _mib/_mb,
 *              _gib/_gb, _tib/_tb (all binary: KB = KiB as in /proc/meminfo and
 *              the Bitbrains header) or _pages (4 KiB); `#` lines and blank
 *              lines skipped; fields may be padded with blanks or "quoted".
 *   bitbrains  GWA-T-12: ";" plus blanks between fields, a header line, time =
 *              Unix seconds (despite "[ms]"); default column "Memory usage [KB]";
 *              units from the header's [KB]/[MB]/[GB]; a 0 in a "Memory ..."
 *              column means missing.
 *   alibaba    cluster-trace-v2018 container_usage.csv (no header); `column`
 *              picks the container_id (default the first in the file); value =
 *              mem_util_percent / 100; rows sorted by time (a repeated time keeps
 *              the row that comes last in the file); an empty value is missing.
 *   dommemstat blocks of `virsh dommemstat` output, each after a timestamp line
 *              (ISO 8601 such as 2024-05-01T12:00:00Z -- UTC when no zone is
 *              given --, "# t=SECONDS", or a bare Unix time); values KiB;
 *              `column` picks a field; default demand = available - usable.
 * A missing value holds the previous row's value (the first present value for
 * rows before it).  Parsing stops at the first error of a file. */
#ifndef BS_TRACE_H
#define BS_TRACE_H

#include "sim/base/bs.h"
#include "sim/base/cfg.h"

typedef enum wl_trace_format {
    WL_TRACE_CSV,
    WL_TRACE_BITBRAINS,
    WL_TRACE_ALIBABA,
    WL_TRACE_DOMMEMSTAT
} wl_trace_format;

typedef struct wl_series {
    size_t n;       /* rows, >= 1 */
    bs_time *t;     /* ns since the first row: t[0] = 0, strictly increasing */
    double *v;      /* bytes (>= 0 unless the file says otherwise); alibaba: fraction */
    bool fraction;  /* v is a fraction of the VM's configured memory (alibaba) */
    double t0_s;    /* first row's time as written, in seconds (Unix time when the
                     * format's clock is Unix time) */
    char *column;   /* where the values come from: header name, field, container */
    size_t missing; /* rows whose value was missing and held */
} wl_series;

/* "csv" | "bitbrains" | "alibaba" | "dommemstat". */
bs_rc wl_trace_format_parse(const char *name, wl_trace_format *out);
const char *wl_trace_format_name(wl_trace_format fmt);
#define WL_TRACE_FORMATS "csv, bitbrains, alibaba, dommemstat"

/* Read and parse `path`.  `column` NULL = the format's default.  Errors, as
 * "PATH:LINE: what" (or "PATH: what"), are added to `errs`. */
bs_rc wl_trace_load(const char *path, wl_trace_format fmt, const char *column, cfg_errs *errs,
                    wl_series **out);
/* The same, for a scenario: errors join cx; when the file cannot be opened the
 * error is reported at `at` (the `file:` node, with its key path at_path) when
 * given, so the user sees which VM names it. */
bs_rc wl_trace_load_cx(cfg_ctx *cx, const cfg_node *at, const char *at_path, const char *path,
                       wl_trace_format fmt, const char *column, wl_series **out);
void wl_series_free(wl_series *s);

#endif
