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
 * the row for t when t leaves it, so a VM that starts late costs nothing.
 *
 * `directory:` instead of `file:` replays a folder of per-VM traces (one file
 * per VM, as Bitbrains and most monitoring exports ship them): the regular
 * files whose names match `pattern` (fnmatch, default "*"; a leading dot is
 * only matched explicitly) are sorted by name in byte order -- the same on
 * every machine, unlike readdir order or a locale's collation -- and the
 * entry's instance k (0-based, wl_vm_info.instance) replays file k.  Every
 * file is loaded at configure time, so a bad one is reported with the
 * scenario's errors, by file and line.  Fewer files than instances is an
 * error (caught by check_instances when the scenario is expanded: a silent
 * reuse would make "100 real VMs" quietly become 10 VMs replayed ten times);
 * `loop_files: true` asks for the reuse (instance k replays file k mod n).
 * The other keys (format, column, scale, offset, ...) apply to every file. */
#include "workloads/wl.h"

#include "workloads/trace.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* One trace file, mapped to scenario time. */
typedef struct replay_track {
    wl_series *s;
    bs_time *T;     /* row times in scenario ns (scaled); T[0] = 0 */
    bs_time period; /* loop period; 0 = no loop */
} replay_track;

typedef struct replay_cfg {
    replay_track *tracks; /* one (`file:`) or one per file of `directory:` */
    size_t n_tracks;
    bool directory;
    bool loop_files;
    bs_time offset;
    double scale;
    bool linear;
    /* Where `directory:` was written, for the too-few-files error. */
    char *dir_name, *at_file, *at_path;
    int at_line, at_col;
} replay_cfg;

typedef struct replay_state {
    const replay_cfg *c;
    const replay_track *k;
    double mult;   /* pages per series unit, scale included */
    bs_time next;  /* the cached value holds on [.., next) */
    bs_pages value;
} replay_state;

static void replay_free_config(void *p)
{
    replay_cfg *c = p;
    if (!c) return;
    for (size_t i = 0; i < c->n_tracks; i++) {
        wl_series_free(c->tracks[i].s);
        free(c->tracks[i].T);
    }
    free(c->tracks);
    free(c->dir_name);
    free(c->at_file);
    free(c->at_path);
    free(c);
}

static int cmp_time(const void *a, const void *b)
{
    bs_time x = *(const bs_time *)a, y = *(const bs_time *)b;
    return (x > y) - (x < y);
}

/* Scaled row times and the loop period; errors point at `time_scale`. */
static bs_rc scale_times(cfg_ctx *cx, const cfg_node *node, const char *path, double ts,
                         bool loop, replay_track *c)
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

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
}

/* The regular files of `dir` whose names match `pattern`, sorted by name.
 * Errors (cannot open, nothing matches) are reported at `at`. */
static bs_rc list_dir(cfg_ctx *cx, const cfg_node *at, const char *kpath, const char *dir,
                      const char *shown, const char *pattern, char ***out, size_t *n_out)
{
    *out = NULL;
    *n_out = 0;
    DIR *d = opendir(dir);
    if (!d) {
        cfg_error(cx, at, kpath, "cannot open trace directory '%s': %s", shown, strerror(errno));
        return BS_ERR_INPUT;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    bs_rc rc = BS_OK;
    struct dirent *e;
    while (rc == BS_OK && (e = readdir(d))) {
        /* FNM_PERIOD: "*" skips hidden files (editor and VCS droppings). */
        if (fnmatch(pattern, e->d_name, FNM_PERIOD) != 0) continue;
        char *full = resolve(dir, e->d_name);
        if (!full) {
            rc = BS_ERR_INTERNAL;
            break;
        }
        struct stat st;
        bool regular = stat(full, &st) == 0 && S_ISREG(st.st_mode); /* symlinks followed */
        free(full);
        if (!regular) continue;
        if (n == cap) {
            size_t nc = cap ? 2 * cap : 16;
            char **g = realloc(names, nc * sizeof *g);
            if (!g) {
                rc = BS_ERR_INTERNAL;
                break;
            }
            names = g;
            cap = nc;
        }
        if (!(names[n] = strdup(e->d_name))) {
            rc = BS_ERR_INTERNAL;
            break;
        }
        n++;
    }
    closedir(d);
    if (rc == BS_OK && n == 0) {
        cfg_error(cx, at, kpath, "expected trace files matching '%s' in '%s', found none",
                  pattern, shown);
        rc = BS_ERR_INPUT;
    }
    if (rc != BS_OK) {
        free_names(names, n);
        return rc;
    }
    qsort(names, n, sizeof *names, cmp_name);
    *out = names;
    *n_out = n;
    return BS_OK;
}

/* `pattern` and `loop_files` mean something only with `directory`. */
static bs_rc only_with_directory(cfg_ctx *cx, const cfg_node *node, const char *path,
                                 const char *key)
{
    const cfg_entry *e = cfg_map_entry(node, key);
    if (!e) return BS_OK;
    cfg_map_get(node, key); /* a known key: not "unknown" on top of this error */
    char kpath[CFG_PATH_MAX];
    cfg_path_key(kpath, path, key);
    cfg_error(cx, e->val, kpath, "'%s' applies only to 'directory', not to 'file'", key);
    return BS_ERR_INPUT;
}

static bs_rc replay_configure(cfg_ctx *cx, const cfg_node *node, const char *path,
                              const char *base_dir, void **out)
{
    const char *file = NULL, *dir = NULL, *pattern = "*", *fmt = "csv", *column = NULL,
               *interp = "step";
    double scale = 1, ts = 1;
    bs_time offset = 0;
    bool loop = false, loop_files = false;
    wl_trace_format format = WL_TRACE_CSV;
    char kpath[CFG_PATH_MAX];

    bs_rc rc = BS_OK;
    const cfg_entry *fe = cfg_map_entry(node, "file"), *de = cfg_map_entry(node, "directory");
    if (fe && de) {
        cfg_map_get(node, "file");
        cfg_map_get(node, "directory");
        cfg_path_key(kpath, path, "directory");
        cfg_error(cx, de->val, kpath, "expected either 'file' or 'directory', found both");
        rc = BS_ERR_INPUT;
    } else if (de) {
        rc = cfg_get_string(cx, node, path, "directory", true, NULL, &dir);
        rc = wl_rc_worse(rc, cfg_get_string(cx, node, path, "pattern", false, "*", &pattern));
        rc = wl_rc_worse(rc, cfg_get_bool(cx, node, path, "loop_files", false, false,
                                          &loop_files));
    } else if (fe) {
        rc = cfg_get_string(cx, node, path, "file", true, NULL, &file);
        rc = wl_rc_worse(rc, only_with_directory(cx, node, path, "pattern"));
        rc = wl_rc_worse(rc, only_with_directory(cx, node, path, "loop_files"));
    } else {
        cfg_error(cx, node, path, "missing required key 'file' (or 'directory')");
        rc = BS_ERR_INPUT;
    }
    /* After the errors above, these are known keys whatever their value. */
    cfg_map_get(node, "pattern");
    cfg_map_get(node, "loop_files");
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
    if (rc != BS_OK || (!file && !dir)) return rc;

    replay_cfg *c = calloc(1, sizeof *c);
    if (!c) return BS_ERR_INTERNAL;
    c->scale = scale;
    c->offset = offset;
    c->linear = strcmp(interp, "linear") == 0;
    c->directory = dir != NULL;
    c->loop_files = loop_files;
    cfg_path_key(kpath, path, dir ? "directory" : "file");
    const cfg_node *at = (dir ? de : fe)->val;

    char **names = NULL;
    size_t n = 1;
    char *full_dir = NULL;
    if (dir) {
        full_dir = resolve(base_dir, dir);
        c->dir_name = strdup(dir);
        c->at_file = strdup(at->file ? at->file : "");
        c->at_path = strdup(kpath);
        c->at_line = at->line;
        c->at_col = at->col;
        if (!full_dir || !c->dir_name || !c->at_file || !c->at_path) rc = BS_ERR_INTERNAL;
        if (rc == BS_OK) rc = list_dir(cx, at, kpath, full_dir, dir, pattern, &names, &n);
    }
    if (rc == BS_OK && !(c->tracks = calloc(n, sizeof *c->tracks))) rc = BS_ERR_INTERNAL;
    if (rc == BS_OK) c->n_tracks = n;
    /* Every file, even after a bad one: all errors in one pass. */
    for (size_t i = 0; rc != BS_ERR_INTERNAL && i < c->n_tracks; i++) {
        char *full = dir ? resolve(full_dir, names[i]) : resolve(base_dir, file);
        if (!full) {
            rc = BS_ERR_INTERNAL;
            break;
        }
        bs_rc ri = wl_trace_load_cx(cx, at, kpath, full, format, column, &c->tracks[i].s);
        free(full);
        if (ri == BS_OK) ri = scale_times(cx, node, path, ts, loop, &c->tracks[i]);
        rc = wl_rc_worse(rc, ri);
    }
    free_names(names, dir ? n : 0);
    free(full_dir);
    if (rc != BS_OK) {
        replay_free_config(c);
        return rc;
    }
    *out = c;
    return BS_OK;
}

static bs_rc replay_check_instances(cfg_ctx *cx, const void *cfg, size_t instances)
{
    const replay_cfg *c = cfg;
    if (!c->directory || c->loop_files || instances <= c->n_tracks) return BS_OK;
    cfg_error_at(cx, c->at_file, c->at_line, c->at_col, c->at_path,
                 "expected at least %zu trace files (one per VM instance of this entry), found "
                 "%zu in '%s' (loop_files: true reuses them)",
                 instances, c->n_tracks, c->dir_name);
    return BS_ERR_INPUT;
}

static bs_rc replay_instantiate(const void *cfg, const wl_vm_info *vm, gsl_rng *rng, void **out)
{
    (void)rng;
    const replay_cfg *c = cfg;
    size_t k = c->directory ? vm->instance % c->n_tracks : 0;
    /* check_instances ran when the scenario was expanded. */
    assert(!c->directory || c->loop_files || vm->instance < c->n_tracks);
    replay_state *s = calloc(1, sizeof *s);
    if (!s) return BS_ERR_INTERNAL;
    s->c = c;
    s->k = &c->tracks[k];
    s->mult = s->k->s->fraction ? c->scale * (double)vm->memory
                                : c->scale / (double)BS_PAGE_SIZE;
    s->next = 0; /* nothing cached */
    *out = s;
    return BS_OK;
}

/* Largest i with T[i] <= w (T[0] = 0 <= w). */
static size_t row_at(const replay_track *c, bs_time w)
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
    const replay_track *k = s->k;
    if (t < s->next) {
        *next = s->next;
        return s->value;
    }
    const double *v = k->s->v;
    size_t n = k->s->n;
    bs_time w = t + c->offset; /* position in the (scaled) trace */
    if (k->period > 0) w %= k->period;
    bs_time base = t - w; /* scenario time of this cycle's position 0 */
    size_t i = row_at(k, w);
    /* The segment [T[i], end) with end value `ve` (linear) */
    bs_time end;
    double ve;
    if (i + 1 < n) {
        end = k->T[i + 1];
        ve = v[i + 1];
    } else if (k->period > 0) {
        end = k->period;
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
        bs_time cp = BS_MAX(grid, base + k->T[i]); /* the last change point <= t */
        double f = (double)(cp - base - k->T[i]) / (double)(end - k->T[i]);
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
    .description = "replays a recorded trace, or one per VM from a directory (csv, bitbrains, "
                   "alibaba, dommemstat)",
    .keys = "file, directory, pattern, loop_files, format, column, scale, time_scale, offset, "
            "loop, interpolate",
    .configure = replay_configure,
    .free_config = replay_free_config,
    .instantiate = replay_instantiate,
    .free_state = free,
    .advance = replay_advance,
    .check_instances = replay_check_instances,
};
