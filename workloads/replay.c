/* replay.c -- the `trace` workload: demand replayed from a recorded trace.
 *
 * The file is parsed once at configure (trace.c), so a bad trace is reported
 * with the scenario's other errors and every VM instance of the entry shares
 * the rows.  Mapping (all in scenario time, ns):
 *   - row times are shifted so the first row is 0, then multiplied by
 *     `time_scale`;
 *   - the demand at scenario time t is the trace at position t + `offset`
 *     (offset counts in scaled time);
 *   - without `loop` the last row's value holds forever; with `loop` the trace
 *     repeats with period = last scaled time + the median scaled row spacing
 *     (so the last row lasts as long as a typical row);
 *   - values are multiplied by `scale` (bytes -> pages rounded down; alibaba's
 *     fraction is of the VM's configured memory).
 * `interpolate: step` holds each row until the next.  `linear` interpolates
 * between rows (and from the last row back to the first when looping); the
 * result is stepped at every row and at every multiple of 60 s of scenario
 * time, each step holding the interpolated value at its start -- the finer of
 * the two, and never worse than the rows themselves.
 * Per instance there is only a cached current segment: a binary search finds
 * the row for t when t leaves it, so a VM that starts late costs nothing. */
#include "wl.h"

#include "trace.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct replay_cfg {
    wl_series *s;
    bs_time *T;     /* row times in scenario ns (scaled); T[0] = 0 */
    bs_time period; /* loop period; 0 = no loop */
    bs_time offset;
    double scale;
    bool linear;
} replay_cfg;

typedef struct replay_state {
    const replay_cfg *c;
    double mult;   /* pages per series unit, scale included */
    bs_time next;  /* the cached value holds on [.., next) */
    bs_pages value;
} replay_state;

static void replay_free_config(void *p)
{
    replay_cfg *c = p;
    if (!c) return;
    wl_series_free(c->s);
    free(c->T);
    free(c);
}

static int cmp_time(const void *a, const void *b)
{
    bs_time x = *(const bs_time *)a, y = *(const bs_time *)b;
    return (x > y) - (x < y);
}

/* Scaled row times and the loop period; errors point at `time_scale`. */
static bs_rc scale_times(cfg_ctx *cx, const cfg_node *node, const char *path, double ts,
                         bool loop, replay_cfg *c)
{
    const wl_series *s = c->s;
    char kpath[CFG_PATH_MAX];
    cfg_path_key(kpath, path, "time_scale");
    const cfg_entry *e = cfg_map_entry(node, "time_scale");
    const cfg_node *at = e ? e->val : node;
    if ((double)s->t[s->n - 1] * ts > (double)UNIT_MAX_TIME_NS / 2) {
        cfg_error(cx, at, kpath, "expected a time_scale that keeps the trace under 18250 days, "
                                 "found %g", ts);
        return BS_ERR_INPUT;
    }
    c->T = malloc(s->n * sizeof *c->T);
    if (!c->T) return BS_ERR_INTERNAL;
    for (size_t i = 0; i < s->n; i++) {
        c->T[i] = (bs_time)llround((double)s->t[i] * ts);
        if (i && c->T[i] <= c->T[i - 1]) {
            cfg_error(cx, at, kpath, "expected a time_scale that keeps rows at least 1 ns apart, "
                                     "found %g", ts);
            return BS_ERR_INPUT;
        }
    }
    c->period = 0;
    if (loop && s->n > 1) {
        size_t m = s->n - 1;
        bs_time *d = malloc(m * sizeof *d);
        if (!d) return BS_ERR_INTERNAL;
        for (size_t i = 0; i < m; i++) d[i] = c->T[i + 1] - c->T[i];
        qsort(d, m, sizeof *d, cmp_time);
        bs_time med = m % 2 ? d[m / 2] : d[m / 2 - 1] + (d[m / 2] - d[m / 2 - 1]) / 2;
        free(d);
        c->period = c->T[s->n - 1] + med;
    }
    return BS_OK;
}

static char *resolve(const char *base_dir, const char *file)
{
    size_t need = strlen(base_dir) + strlen(file) + 2;
    char *p = malloc(need);
    if (!p) return NULL;
    if (file[0] == '/' || !base_dir[0] || strcmp(base_dir, ".") == 0)
        snprintf(p, need, "%s", file);
    else
        snprintf(p, need, "%s/%s", base_dir, file);
    return p;
}

static bs_rc replay_configure(cfg_ctx *cx, const cfg_node *node, const char *path,
                              const char *base_dir, void **out)
{
    const char *file = NULL, *fmt = "csv", *column = NULL, *interp = "step";
    double scale = 1, ts = 1;
    bs_time offset = 0;
    bool loop = false;
    wl_trace_format format = WL_TRACE_CSV;
    char kpath[CFG_PATH_MAX];

    bs_rc rc = cfg_get_string(cx, node, path, "file", true, NULL, &file);
    bs_rc rf = cfg_get_string(cx, node, path, "format", false, "csv", &fmt);
    if (rf == BS_OK && wl_trace_format_parse(fmt, &format) != BS_OK) {
        cfg_path_key(kpath, path, "format");
        cfg_error_expected(cx, cfg_map_entry(node, "format")->val, kpath,
                           "a trace format (one of: " WL_TRACE_FORMATS ")");
        rf = BS_ERR_INPUT;
    }
    rc = wl_rc_worse(rc, rf);
    rc = wl_rc_worse(rc, cfg_get_string(cx, node, path, "column", false, NULL, &column));
    bs_rc r = cfg_get_number(cx, node, path, "scale", false, 1.0, &scale);
    if (r == BS_OK && scale < 0) {
        cfg_path_key(kpath, path, "scale");
        cfg_error_expected(cx, cfg_map_entry(node, "scale")->val, kpath, "a number of 0 or more");
        r = BS_ERR_INPUT;
    }
    rc = wl_rc_worse(rc, r);
    r = cfg_get_number(cx, node, path, "time_scale", false, 1.0, &ts);
    if (r == BS_OK && !(ts > 0)) {
        cfg_path_key(kpath, path, "time_scale");
        cfg_error_expected(cx, cfg_map_entry(node, "time_scale")->val, kpath, "a number above 0");
        r = BS_ERR_INPUT;
    }
    rc = wl_rc_worse(rc, r);
    rc = wl_rc_worse(rc, cfg_get_time(cx, node, path, "offset", false, 0, &offset));
    rc = wl_rc_worse(rc, cfg_get_bool(cx, node, path, "loop", false, false, &loop));
    r = cfg_get_string(cx, node, path, "interpolate", false, "step", &interp);
    if (r == BS_OK && strcmp(interp, "step") != 0 && strcmp(interp, "linear") != 0) {
        cfg_path_key(kpath, path, "interpolate");
        cfg_error_expected(cx, cfg_map_entry(node, "interpolate")->val, kpath, "step or linear");
        r = BS_ERR_INPUT;
    }
    rc = wl_rc_worse(rc, r);
    if (rc != BS_OK || rf != BS_OK || !file) return rc;

    replay_cfg *c = calloc(1, sizeof *c);
    char *full = resolve(base_dir, file);
    if (!c || !full) {
        free(c);
        free(full);
        return BS_ERR_INTERNAL;
    }
    c->scale = scale;
    c->offset = offset;
    c->linear = strcmp(interp, "linear") == 0;
    cfg_path_key(kpath, path, "file");
    rc = wl_trace_load_cx(cx, cfg_map_entry(node, "file")->val, kpath, full, format, column,
                          &c->s);
    free(full);
    if (rc == BS_OK) rc = scale_times(cx, node, path, ts, loop, c);
    if (rc != BS_OK) {
        replay_free_config(c);
        return rc;
    }
    *out = c;
    return BS_OK;
}

static bs_rc replay_instantiate(const void *cfg, const wl_vm_info *vm, gsl_rng *rng, void **out)
{
    (void)rng;
    const replay_cfg *c = cfg;
    replay_state *s = calloc(1, sizeof *s);
    if (!s) return BS_ERR_INTERNAL;
    s->c = c;
    s->mult = c->s->fraction ? c->scale * (double)vm->memory : c->scale / (double)BS_PAGE_SIZE;
    s->next = 0; /* nothing cached */
    *out = s;
    return BS_OK;
}

/* Largest i with T[i] <= w (T[0] = 0 <= w). */
static size_t row_at(const replay_cfg *c, bs_time w)
{
    size_t lo = 0, hi = c->s->n; /* T[lo] <= w < T[hi] (T[n] = +inf) */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->T[mid] <= w) lo = mid;
        else hi = mid;
    }
    return lo;
}

static bs_pages replay_advance(void *state, bs_time t, bs_time *next)
{
    replay_state *s = state;
    const replay_cfg *c = s->c;
    if (t < s->next) {
        *next = s->next;
        return s->value;
    }
    const double *v = c->s->v;
    size_t n = c->s->n;
    bs_time w = t + c->offset; /* position in the (scaled) trace */
    if (c->period > 0) w %= c->period;
    bs_time base = t - w; /* scenario time of this cycle's position 0 */
    size_t i = row_at(c, w);
    /* The segment [T[i], end) with end value `ve` (linear) */
    bs_time end;
    double ve;
    if (i + 1 < n) {
        end = c->T[i + 1];
        ve = v[i + 1];
    } else if (c->period > 0) {
        end = c->period;
        ve = v[0];
    } else {
        end = BS_TIME_NEVER;
        ve = v[i];
    }
    bs_time seg_end = end == BS_TIME_NEVER ? BS_TIME_NEVER : base + end;
    double val = v[i];
    bs_time nx = seg_end;
    if (c->linear && end != BS_TIME_NEVER) {
        bs_time grid = t / WL_STEP * WL_STEP;
        bs_time cp = BS_MAX(grid, base + c->T[i]); /* the last change point <= t */
        double f = (double)(cp - base - c->T[i]) / (double)(end - c->T[i]);
        val = v[i] + (ve - v[i]) * f;
        nx = BS_MIN(seg_end, grid + WL_STEP);
    }
    s->value = wl_pages_clamp(val * s->mult);
    s->next = nx;
    *next = nx;
    return s->value;
}

const wl_type wl_type_trace = {
    .name = "trace",
    .description = "replays a recorded trace (csv, bitbrains, alibaba, dommemstat)",
    .keys = "file, format, column, scale, time_scale, offset, loop, interpolate",
    .configure = replay_configure,
    .free_config = replay_free_config,
    .instantiate = replay_instantiate,
    .free_state = free,
    .advance = replay_advance,
};
