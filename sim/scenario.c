/* scenario.c -- load, check and expand a scenario file (docs/scenarios.md).
 *
 * The work happens on the cfg tree in a fixed order, because each step may
 * change what the next one sees:
 *   1. parse the file and merge its includes UNDER it (recursively; a cycle
 *      is an error);
 *   2. apply command-line overrides: every --set, then -p, then -s;
 *   3. read and validate every key, collecting all errors in one pass;
 *      vm_defaults is deep-merged under each VM entry first (the VM wins);
 *   4. expand counts into host and VM instances with their final names and
 *      draw per-instance distributions from streams keyed by instance name
 *      (so adding a VM never changes another VM's draws);
 *   5. configure the policy last: `scripted` checks VM names against the
 *      expanded instances.
 * A scen is immutable afterwards and owns its cfg_doc (the wl_specs may keep
 * pointers into the tree). */
#include "sim/scenario.h"

#include "sim/base/dist.h"
#include "sim/base/rng.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define SCEN_MAX_VMS 1000000 /* VM instances in one scenario */
#define SCEN_MAX_HOSTS 1000000
#define SCEN_MAX_INCLUDE_DEPTH 32

#define TOP_KEYS "name, description, duration, seed, warmup, sample_interval, policy, hosts, host, vm_defaults, include, sweep, windows"
#define WINDOW_KEYS "name, start, end, every"
#define POLICY_KEYS "name, interval, stats_interval, params"
#define HOST_KEYS "name, count, memory, reserved, swap, swap_latency, ksm, vms"
#define KSM_KEYS "enabled, sharing"
#define VM_KEYS "name, count, memory, min, start_memory, shares, swap, swap_latency, start, stop, restart_delay, balloon, workload"
#define BALLOON_KEYS "enabled, driver, latency, inflate_rate, reclaim_rate, deflate_rate, retry_delay, deflate_on_oom, free_page_reporting, reporting_delay, max_balloon_fraction, hyperv_floor, stuck"
#define STUCK_KEYS "at, for"
#define SWEEP_KEYS "vary, seeds"
#define PRESET_NAMES "virtio, vmware, hyperv, xen"

#define MiB (1024.0 * 1024.0)
#define GiB (1024.0 * MiB)
#define MS (1000000LL)
#define SEC BS_NS_PER_S

/* ------------------------------------------------------------------ */
/* presets                                                              */

/* One row per driver, indexed by scen_preset: adding a driver is one row
 * here (and its enum value), and the name, the rates and the parser's list
 * of accepted names cannot drift apart. */
typedef struct scen_preset_row {
    const char *name;
    bs_time latency, retry_delay;
    double inflate_rate, reclaim_rate, deflate_rate;
    double max_balloon_fraction;
    bool hyperv_floor;
} scen_preset_row;

static const scen_preset_row preset_rows[] = {
    [PRESET_VIRTIO] = {"virtio", 100 * MS, 200 * MS, 256 * MiB, 256 * MiB, 1 * GiB, 1.0, false},
    [PRESET_VMWARE] = {"vmware", 1 * SEC, 1 * SEC, 64 * MiB, 8 * MiB, 64 * MiB, 0.65, false},
    [PRESET_HYPERV] = {"hyperv", 1 * SEC, 1 * SEC, 128 * MiB, 64 * MiB, 512 * MiB, 1.0, true},
    [PRESET_XEN] = {"xen", 1 * SEC, 1 * SEC, 100 * MiB, 50 * MiB, 1 * GiB, 1.0, false},
};
#define N_PRESETS (sizeof preset_rows / sizeof preset_rows[0])
_Static_assert(sizeof preset_rows / sizeof preset_rows[0] == PRESET_XEN + 1, "one row per scen_preset");

void scen_balloon_preset(scen_preset preset, scen_balloon *out) {
    assert((size_t)preset < N_PRESETS);
    const scen_preset_row *row = &preset_rows[preset];
    memset(out, 0, sizeof *out);
    out->enabled = true;
    out->preset = preset;
    out->deflate_on_oom = false;
    out->free_page_reporting = false;
    out->reporting_delay = 2 * SEC;
    out->latency = row->latency;
    out->inflate_rate = row->inflate_rate;
    out->reclaim_rate = row->reclaim_rate;
    out->deflate_rate = row->deflate_rate;
    out->retry_delay = row->retry_delay;
    out->max_balloon_fraction = row->max_balloon_fraction;
    out->hyperv_floor = row->hyperv_floor;
}

const char *scen_preset_name(scen_preset preset) {
    assert((size_t)preset < N_PRESETS);
    return preset_rows[preset].name;
}

size_t scen_find_vm(const scen *sc, const char *name) {
    if (!sc || !name) return SIZE_MAX;
    for (size_t i = 0; i < sc->n_vms; i++)
        if (sc->vms[i].name && strcmp(sc->vms[i].name, name) == 0) return i;
    return SIZE_MAX;
}

/* ------------------------------------------------------------------ */
/* loading state                                                        */

/* One `vms:` entry, read once and expanded into its instances. */
typedef struct vm_entry {
    char path[CFG_PATH_MAX];
    const cfg_node *node;      /* merged mapping */
    const cfg_node *name_node; /* for duplicate-name messages (the entry when absent) */
    const char *name;
    int64_t count;
    dist memory;
    const cfg_node *memory_node, *min_node, *start_memory_node;
    bool has_start_memory;
    scen_vm proto; /* every field but name, host, index, memory, start_memory */
} vm_entry;

typedef struct host_entry {
    char path[CFG_PATH_MAX];
    const cfg_node *node;
    const cfg_node *name_node;
    const char *name;
    int64_t count;
    scen_host proto;
    vm_entry *vms;
    size_t n_vms;
} host_entry;

typedef struct loader {
    cfg_ctx cx;
    scen *sc;
    bool bad;      /* some validation failed */
    bool internal; /* out of memory */
    host_entry *hosts;
    size_t n_hosts;
} loader;

static void note(loader *L, bs_rc rc) {
    if (rc == BS_ERR_INTERNAL) L->internal = true;
    else if (rc != BS_OK) L->bad = true;
}

static char *xstrdup(loader *L, const char *s) {
    char *d = strdup(s ? s : "");
    if (!d) L->internal = true;
    return d;
}

static void fmt_size(char *buf, size_t len, bs_pages p) { unit_format_size(buf, len, (double)bs_pages_to_bytes(p)); }

/* ------------------------------------------------------------------ */
/* includes                                                             */

static void dir_of(char *out, size_t len, const char *file) {
    const char *slash = file ? strrchr(file, '/') : NULL;
    if (!slash) snprintf(out, len, ".");
    else if (slash == file) snprintf(out, len, "/");
    else snprintf(out, len, "%.*s", (int)(slash - file), file);
}

static bs_rc apply_includes(cfg_doc *doc, cfg_node *root, const char *path, cfg_errs *errs, char **chain,
                            size_t depth, cfg_node **out);

/* Parse one included file and its own includes. */
static bs_rc load_included(cfg_doc *doc, const char *path, cfg_errs *errs, char **chain, size_t depth,
                           cfg_node **out) {
    cfg_node *root = NULL;
    bs_rc rc = cfg_parse_file(doc, path, errs, &root);
    *out = NULL;
    if (!root) return rc;
    bs_rc r2 = apply_includes(doc, root, path, errs, chain, depth, out);
    return rc != BS_OK ? rc : r2;
}

/* Merge the files named by root's `include:` under root (later includes over
 * earlier ones, root over all), and drop the key.  chain[0..depth) are the
 * canonical paths of the files being included, for cycle detection. */
static bs_rc apply_includes(cfg_doc *doc, cfg_node *root, const char *path, cfg_errs *errs, char **chain,
                            size_t depth, cfg_node **out) {
    cfg_ctx cx = {errs, doc};
    cfg_entry *inc = cfg_map_entry(root, "include");
    bs_rc rc = BS_OK;

    *out = root;
    if (!inc) return BS_OK;
    const cfg_node *iv = inc->val;
    size_t n_items = iv->kind == CFG_SEQ ? iv->n : 1;
    if (iv->kind == CFG_MAP || (iv->kind == CFG_SCALAR && cfg_is_null(iv))) {
        cfg_error_expected(&cx, iv, "include", "a file name or a list of file names");
        n_items = 0;
        rc = BS_ERR_INPUT;
    }
    cfg_node *under = NULL;
    char dir[PATH_MAX];
    dir_of(dir, sizeof dir, path);
    for (size_t i = 0; i < n_items; i++) {
        const cfg_node *item = iv->kind == CFG_SEQ ? iv->entries[i].val : iv;
        char ipath[CFG_PATH_MAX];
        if (iv->kind == CFG_SEQ) cfg_path_index(ipath, "include", i);
        else snprintf(ipath, sizeof ipath, "include");
        if (item->kind != CFG_SCALAR || cfg_is_null(item)) {
            cfg_error_expected(&cx, item, ipath, "a file name");
            rc = BS_ERR_INPUT;
            continue;
        }
        char file[PATH_MAX];
        int w;
        if (item->value[0] == '/' || strcmp(dir, ".") == 0) w = snprintf(file, sizeof file, "%s", item->value);
        else w = snprintf(file, sizeof file, "%s/%s", dir, item->value);
        if (w < 0 || (size_t)w >= sizeof file) {
            cfg_error(&cx, item, ipath, "file name too long");
            rc = BS_ERR_INPUT;
            continue;
        }
        char *canon = realpath(file, NULL);
        if (!canon) {
            cfg_error(&cx, item, ipath, "cannot open '%s': %s", file, strerror(errno));
            rc = BS_ERR_INPUT;
            continue;
        }
        bool cycle = false;
        for (size_t c = 0; c < depth; c++)
            if (strcmp(chain[c], canon) == 0) cycle = true;
        if (cycle || depth >= SCEN_MAX_INCLUDE_DEPTH) {
            if (cycle)
                cfg_error(&cx, item, ipath, "include cycle: '%s' includes '%s', which is already being read", path,
                          file);
            else
                cfg_error(&cx, item, ipath, "includes nested deeper than %d files", SCEN_MAX_INCLUDE_DEPTH);
            free(canon);
            rc = BS_ERR_INPUT;
            continue;
        }
        chain[depth] = canon;
        cfg_node *sub = NULL;
        bs_rc r = load_included(doc, file, errs, chain, depth + 1, &sub);
        chain[depth] = NULL;
        free(canon);
        if (r != BS_OK) rc = r;
        if (!sub) continue;
        if (under) {
            under = cfg_merge(doc, under, sub);
            if (!under) return BS_ERR_INTERNAL;
        } else {
            under = sub;
        }
    }
    cfg_map_remove(root, "include");
    if (under) {
        under = cfg_merge(doc, under, root);
        if (!under) return BS_ERR_INTERNAL;
        *out = under;
    }
    return rc;
}

/* ------------------------------------------------------------------ */
/* overrides                                                            */

/* `policy: mom` becomes `policy: {name: mom}` so that --set policy.name and
 * -p work on one shape. */
static bs_rc normalize_policy(cfg_doc *doc, cfg_node *root, bool *short_form) {
    cfg_entry *e = cfg_map_entry(root, "policy");
    if (!e || e->val->kind != CFG_SCALAR || cfg_is_null(e->val)) return BS_OK;
    cfg_node *m = cfg_new_map(doc, e->val->file, e->val->line, e->val->col);
    if (!m || cfg_map_set(doc, m, "name", e->val) != BS_OK) return BS_ERR_INTERNAL;
    e->val = m;
    *short_form = true;
    return BS_OK;
}

static bs_rc apply_overrides(loader *L, cfg_node *root, const scen_overrides *ov, bool *short_form) {
    cfg_doc *doc = L->cx.doc;
    bs_rc rc = BS_OK;

    for (size_t i = 0; ov && i < ov->n_sets; i++) {
        const char *s = ov->sets[i];
        const char *eq = s ? strchr(s, '=') : NULL;
        if (!eq || eq == s) {
            cfg_error_at(&L->cx, "--set", 0, 0, NULL, "'%s': expected PATH=VALUE", s ? s : "");
            rc = BS_ERR_INPUT;
            continue;
        }
        char path[CFG_PATH_MAX];
        if ((size_t)(eq - s) >= sizeof path) {
            cfg_error_at(&L->cx, "--set", 0, 0, NULL, "'%.40s...': key path too long", s);
            rc = BS_ERR_INPUT;
            continue;
        }
        memcpy(path, s, (size_t)(eq - s));
        path[eq - s] = '\0';
        bs_rc r = cfg_set_path(doc, root, path, eq + 1, "--set", L->cx.errs);
        if (r != BS_OK) rc = r;
        /* `--set policy=mom` replaces the mapping: keep the one shape. */
        if (normalize_policy(doc, root, short_form) != BS_OK) return BS_ERR_INTERNAL;
    }
    if (ov && ov->policy) {
        cfg_entry *pe = cfg_map_entry(root, "policy");
        cfg_node *name = cfg_new_scalar(doc, "-p", 0, 0, ov->policy);
        if (!name) return BS_ERR_INTERNAL;
        if (!pe || pe->val->kind != CFG_MAP) {
            cfg_node *m = cfg_new_map(doc, "-p", 0, 0);
            if (!m || cfg_map_set(doc, m, "name", name) != BS_OK || cfg_map_set(doc, root, "policy", m) != BS_OK)
                return BS_ERR_INTERNAL;
        } else {
            const cfg_entry *ne = cfg_map_entry(pe->val, "name");
            /* Another policy's params would only be "unknown params", and its
             * intervals were chosen for it: -p runs POLICY with its own
             * defaults (hyperv ticks every second, proxmox every 10 s). */
            if (!ne || ne->val->kind != CFG_SCALAR || strcmp(ne->val->value, ov->policy) != 0) {
                cfg_map_remove(pe->val, "params");
                cfg_map_remove(pe->val, "interval");
                cfg_map_remove(pe->val, "stats_interval");
            }
            if (cfg_map_set(doc, pe->val, "name", name) != BS_OK) return BS_ERR_INTERNAL;
        }
        *short_form = false;
    }
    return rc;
}

/* ------------------------------------------------------------------ */
/* top level                                                            */

static void read_top(loader *L, cfg_node *root, const char *path) {
    cfg_ctx *cx = &L->cx;
    scen *sc = L->sc;
    const char *name = NULL, *desc = NULL;

    note(L, cfg_get_string(cx, root, "", "name", false, NULL, &name));
    if (name) {
        sc->name = xstrdup(L, name);
    } else {
        /* Default: the file name without its directory and .yaml/.yml. */
        const char *base = strrchr(path, '/');
        base = base ? base + 1 : path;
        size_t len = strlen(base);
        if (len > 5 && strcmp(base + len - 5, ".yaml") == 0) len -= 5;
        else if (len > 4 && strcmp(base + len - 4, ".yml") == 0) len -= 4;
        sc->name = malloc(len + 1);
        if (!sc->name) L->internal = true;
        else memcpy(sc->name, base, len), sc->name[len] = '\0';
    }
    note(L, cfg_get_string(cx, root, "", "description", false, NULL, &desc));
    if (desc) sc->description = xstrdup(L, desc);

    bs_rc r = cfg_get_time(cx, root, "", "duration", true, 0, &sc->duration);
    note(L, r);
    if (r == BS_OK && sc->duration <= 0) {
        cfg_error_expected(cx, cfg_map_get(root, "duration"), "duration", "a duration above 0, such as 24h");
        L->bad = true;
    }
    int64_t seed = 1;
    note(L, cfg_get_uint(cx, root, "", "seed", false, 1, &seed));
    sc->seed = (uint64_t)seed;

    r = cfg_get_time(cx, root, "", "warmup", false, 0, &sc->warmup);
    note(L, r);
    if (r == BS_OK && sc->duration > 0 && sc->warmup >= sc->duration) {
        char d[64], what[128];
        unit_format_time(d, sizeof d, sc->duration);
        snprintf(what, sizeof what, "a warmup shorter than the duration (%s)", d);
        cfg_error_expected(cx, cfg_map_get(root, "warmup"), "warmup", what);
        L->bad = true;
    }
    r = cfg_get_time(cx, root, "", "sample_interval", false, 60 * SEC, &sc->sample_interval);
    note(L, r);
    if (r == BS_OK && sc->sample_interval <= 0) {
        cfg_error_expected(cx, cfg_map_get(root, "sample_interval"), "sample_interval",
                           "a sample interval above 0, such as 60s");
        L->bad = true;
        sc->sample_interval = 60 * SEC;
    }
}

/* ------------------------------------------------------------------ */
/* balloon                                                              */

static int cmp_stuck(const void *a, const void *b) {
    const scen_stuck *x = a, *y = b;
    return (x->at > y->at) - (x->at < y->at);
}

static void read_stuck(loader *L, const cfg_node *seq, const char *path, scen_balloon *b) {
    cfg_ctx *cx = &L->cx;
    if (cfg_expect_seq(cx, seq, path) != BS_OK) {
        L->bad = true;
        return;
    }
    if (seq->n == 0) return;
    scen_stuck *w = calloc(seq->n, sizeof *w);
    size_t *line = calloc(seq->n, sizeof *line);
    if (!w || !line) {
        free(w), free(line);
        L->internal = true;
        return;
    }
    size_t n = 0;
    for (size_t i = 0; i < seq->n; i++) {
        const cfg_node *it = seq->entries[i].val;
        char ip[CFG_PATH_MAX];
        cfg_path_index(ip, path, i);
        if (cfg_expect_map(cx, it, ip) != BS_OK) {
            L->bad = true;
            continue;
        }
        bs_time at = 0, len = 0;
        bs_rc ra = cfg_get_time(cx, it, ip, "at", true, 0, &at);
        bs_rc rl = cfg_get_time(cx, it, ip, "for", true, 0, &len);
        note(L, ra), note(L, rl);
        if (rl == BS_OK && len <= 0) {
            char fp[CFG_PATH_MAX];
            cfg_path_key(fp, ip, "for");
            cfg_error_expected(cx, cfg_map_get(it, "for"), fp, "a length above 0, such as 10m");
            L->bad = true;
            rl = BS_ERR_INPUT;
        }
        cfg_check_unknown(cx, it, ip, STUCK_KEYS);
        if (ra == BS_OK && rl == BS_OK) {
            /* Keep the file index beside the window for messages: stable
             * order for equal `at` comes from sorting (at, index). */
            w[n] = (scen_stuck){at, len};
            line[n] = i;
            n++;
        }
    }
    /* Insertion sort: stable, and stuck lists are short. */
    for (size_t i = 1; i < n; i++) {
        scen_stuck x = w[i];
        size_t xi = line[i], j = i;
        while (j > 0 && cmp_stuck(&w[j - 1], &x) > 0) {
            w[j] = w[j - 1];
            line[j] = line[j - 1];
            j--;
        }
        w[j] = x;
        line[j] = xi;
    }
    for (size_t i = 1; i < n; i++) {
        if (w[i].at < w[i - 1].at + w[i - 1].len) {
            char ip[CFG_PATH_MAX], a[64], l[64], a2[64];
            cfg_path_index(ip, path, line[i]);
            unit_format_time(a, sizeof a, w[i - 1].at);
            unit_format_time(l, sizeof l, w[i - 1].len);
            unit_format_time(a2, sizeof a2, w[i].at);
            cfg_error(cx, seq->entries[line[i]].val, ip,
                      "stuck window at %s overlaps the window at %s for %s (%s[%zu])", a2, a, l, path, line[i - 1]);
            L->bad = true;
        }
    }
    free(line);
    b->stuck = w;
    b->n_stuck = n;
}

static void read_balloon(loader *L, const cfg_node *vm, const char *vpath, scen_balloon *b) {
    cfg_ctx *cx = &L->cx;
    char path[CFG_PATH_MAX];
    const cfg_node *bn = cfg_map_get(vm, "balloon");

    scen_balloon_preset(PRESET_VIRTIO, b);
    if (!bn) return;
    cfg_path_key(path, vpath, "balloon");
    if (cfg_expect_map(cx, bn, path) != BS_OK) {
        L->bad = true;
        return;
    }
    const char *driver = "virtio";
    bs_rc r = cfg_get_string(cx, bn, path, "driver", false, "virtio", &driver);
    note(L, r);
    scen_preset preset = PRESET_VIRTIO;
    if (r == BS_OK) {
        bool found = false;
        for (size_t i = 0; i < N_PRESETS; i++)
            if (strcmp(driver, preset_rows[i].name) == 0) preset = (scen_preset)i, found = true;
        if (!found) {
            char dp[CFG_PATH_MAX];
            cfg_path_key(dp, path, "driver");
            cfg_error_expected(cx, cfg_map_get(bn, "driver"), dp, "a driver preset (one of: " PRESET_NAMES ")");
            L->bad = true;
        }
    }
    scen_balloon_preset(preset, b);
    note(L, cfg_get_bool(cx, bn, path, "enabled", false, true, &b->enabled));
    note(L, cfg_get_time(cx, bn, path, "latency", false, b->latency, &b->latency));
    note(L, cfg_get_rate(cx, bn, path, "inflate_rate", false, b->inflate_rate, &b->inflate_rate));
    note(L, cfg_get_rate(cx, bn, path, "reclaim_rate", false, b->reclaim_rate, &b->reclaim_rate));
    note(L, cfg_get_rate(cx, bn, path, "deflate_rate", false, b->deflate_rate, &b->deflate_rate));
    bs_time retry = b->retry_delay;
    r = cfg_get_time(cx, bn, path, "retry_delay", false, b->retry_delay, &retry);
    note(L, r);
    if (r == BS_OK && retry <= 0) {
        /* A zero back-off would retry forever at one instant. */
        char rp[CFG_PATH_MAX];
        cfg_path_key(rp, path, "retry_delay");
        cfg_error_expected(cx, cfg_map_get(bn, "retry_delay"), rp, "a retry delay above 0, such as 200ms");
        L->bad = true;
    } else {
        b->retry_delay = retry;
    }
    note(L, cfg_get_bool(cx, bn, path, "deflate_on_oom", false, b->deflate_on_oom, &b->deflate_on_oom));
    note(L, cfg_get_bool(cx, bn, path, "free_page_reporting", false, b->free_page_reporting,
                         &b->free_page_reporting));
    note(L, cfg_get_time(cx, bn, path, "reporting_delay", false, b->reporting_delay, &b->reporting_delay));
    note(L, cfg_get_fraction(cx, bn, path, "max_balloon_fraction", false, b->max_balloon_fraction,
                             &b->max_balloon_fraction));
    note(L, cfg_get_bool(cx, bn, path, "hyperv_floor", false, b->hyperv_floor, &b->hyperv_floor));
    const cfg_node *st = cfg_map_get(bn, "stuck");
    if (st) {
        char sp[CFG_PATH_MAX];
        cfg_path_key(sp, path, "stuck");
        read_stuck(L, st, sp, b);
    }
    cfg_check_unknown(cx, bn, path, BALLOON_KEYS);
}

/* ------------------------------------------------------------------ */
/* workload                                                             */

static bs_rc add_spec(loader *L, wl_spec *s) {
    scen *sc = L->sc;
    wl_spec **n = realloc(sc->specs, (sc->n_specs + 1) * sizeof *n);
    if (!n) {
        wl_spec_free(s);
        L->internal = true;
        return BS_ERR_INTERNAL;
    }
    sc->specs = n;
    sc->specs[sc->n_specs++] = s;
    return BS_OK;
}

static void read_workload(loader *L, const cfg_node *vm, const char *vpath, scen_vm *proto) {
    cfg_ctx *cx = &L->cx;
    char path[CFG_PATH_MAX], dir[PATH_MAX];
    const cfg_node *w = cfg_map_get(vm, "workload");

    proto->locality = 2.0;
    proto->touch_rate = 20000;
    if (!w) {
        cfg_error(cx, vm, vpath, "missing required key 'workload'");
        L->bad = true;
        return;
    }
    cfg_path_key(path, vpath, "workload");
    if (cfg_expect_map(cx, w, path) != BS_OK) {
        L->bad = true;
        return;
    }
    /* Paths inside (traces) are relative to the file that wrote the workload. */
    dir_of(dir, sizeof dir, w->file);
    wl_spec *spec = NULL;
    bs_rc r = wl_configure(cx, w, path, dir, &spec);
    note(L, r);
    if (spec && add_spec(L, spec) == BS_OK) proto->demand = spec;

    const cfg_node *cache = cfg_map_get(w, "cache");
    if (cache) {
        char cp[CFG_PATH_MAX];
        cfg_path_key(cp, path, "cache");
        wl_spec *cs = NULL;
        r = wl_configure_cache(cx, cache, cp, dir, &cs);
        note(L, r);
        if (cs && add_spec(L, cs) == BS_OK) proto->cache = cs;
    }
    r = cfg_get_number(cx, w, path, "locality", false, 2.0, &proto->locality);
    note(L, r);
    if (r == BS_OK && !(proto->locality > 0)) {
        char lp[CFG_PATH_MAX];
        cfg_path_key(lp, path, "locality");
        cfg_error_expected(cx, cfg_map_get(w, "locality"), lp, "a locality above 0, such as 2.0");
        L->bad = true;
    }
    r = cfg_get_number(cx, w, path, "touch_rate", false, 20000, &proto->touch_rate);
    note(L, r);
    if (r == BS_OK && proto->touch_rate < 0) {
        char tp[CFG_PATH_MAX];
        cfg_path_key(tp, path, "touch_rate");
        cfg_error_expected(cx, cfg_map_get(w, "touch_rate"), tp, "a touch rate >= 0 (pages per second)");
        L->bad = true;
    }
    /* Unknown keys of a known type; an unknown type was reported already. */
    const cfg_entry *te = cfg_map_entry(w, "type");
    const wl_type *type = te && te->val->kind == CFG_SCALAR ? wl_find(te->val->value) : NULL;
    if (type) {
        char allowed[1024];
        snprintf(allowed, sizeof allowed, "type, %s%scache, locality, touch_rate", type->keys ? type->keys : "",
                 type->keys && type->keys[0] ? ", " : "");
        size_t before = cx->errs->n;
        cfg_check_unknown(cx, w, path, allowed);
        if (cx->errs->n > before) L->bad = true;
    }
}

/* ------------------------------------------------------------------ */
/* VMs and hosts                                                        */

static void read_vm(loader *L, const cfg_node *vm, vm_entry *e) {
    cfg_ctx *cx = &L->cx;
    const char *path = e->path;
    scen_vm *p = &e->proto;
    bs_rc r;

    e->node = vm;
    e->name_node = vm;
    const cfg_entry *ne = cfg_map_entry(vm, "name");
    if (ne) e->name_node = ne->val;
    note(L, cfg_get_string(cx, vm, path, "name", false, "vm", &e->name));
    note(L, cfg_get_count(cx, vm, path, "count", false, 1, &e->count));

    r = dist_get(cx, vm, path, "memory", true, 0, UNIT_SIZE, &e->memory);
    note(L, r);
    e->memory_node = cfg_map_entry(vm, "memory") ? cfg_map_entry(vm, "memory")->val : vm;
    if (r == BS_OK && e->memory.kind == DIST_CONSTANT && bs_bytes_to_pages((int64_t)e->memory.a) < 1) {
        char mp[CFG_PATH_MAX];
        cfg_path_key(mp, path, "memory");
        cfg_error_expected(cx, e->memory_node, mp, "a memory of at least one page (4KiB)");
        L->bad = true;
    }
    note(L, cfg_get_size(cx, vm, path, "min", false, 0, &p->min));
    e->min_node = cfg_map_entry(vm, "min") ? cfg_map_entry(vm, "min")->val : NULL;
    e->has_start_memory = cfg_map_entry(vm, "start_memory") != NULL;
    e->start_memory_node = e->has_start_memory ? cfg_map_entry(vm, "start_memory")->val : NULL;
    r = cfg_get_size(cx, vm, path, "start_memory", false, 0, &p->start_memory);
    note(L, r);
    if (r != BS_OK) e->has_start_memory = false;

    int64_t shares = 1000;
    note(L, cfg_get_uint(cx, vm, path, "shares", false, 1000, &shares));
    p->shares = shares;
    note(L, cfg_get_size(cx, vm, path, "swap", false, 0, &p->swap));
    note(L, cfg_get_time(cx, vm, path, "swap_latency", false, 1 * MS, &p->swap_latency));
    note(L, cfg_get_time(cx, vm, path, "start", false, 0, &p->start));
    r = cfg_get_time(cx, vm, path, "stop", false, BS_TIME_NEVER, &p->stop);
    note(L, r);
    if (r == BS_OK && p->stop != BS_TIME_NEVER && p->stop <= p->start) {
        char sp[CFG_PATH_MAX], s[64], what[128];
        cfg_path_key(sp, path, "stop");
        unit_format_time(s, sizeof s, p->start);
        snprintf(what, sizeof what, "a stop time after start (%s)", s);
        cfg_error_expected(cx, cfg_map_get(vm, "stop"), sp, what);
        L->bad = true;
    }
    note(L, cfg_get_time(cx, vm, path, "restart_delay", false, 60 * SEC, &p->restart_delay));
    read_balloon(L, vm, path, &p->balloon);
    read_workload(L, vm, path, p);
    cfg_check_unknown(cx, vm, path, VM_KEYS);
}

static const char *workload_type(const cfg_node *vm) {
    const cfg_entry *w = cfg_map_entry(vm, "workload");
    const cfg_entry *t = w ? cfg_map_entry(w->val, "type") : NULL;
    return t && t->val->kind == CFG_SCALAR ? t->val->value : NULL;
}

/* vm_defaults deep-merged under a VM entry (the VM wins).  One refinement:
 * when the VM names a different workload `type` than the defaults, the
 * defaults' workload is left out entirely -- its keys (a constant's `size`)
 * mean nothing to the other type and would only be "unknown keys". */
static cfg_node *merge_defaults(cfg_doc *doc, const cfg_node *defaults, const cfg_node *vm) {
    const char *dt = workload_type(defaults), *vt = workload_type(vm);
    if (!dt || !vt || strcmp(dt, vt) == 0) return cfg_merge(doc, defaults, vm);
    cfg_node *d = cfg_clone(doc, defaults);
    if (!d) return NULL;
    cfg_map_remove(d, "workload");
    return cfg_merge(doc, d, vm);
}

static void read_host(loader *L, const cfg_node *hn, const cfg_node *vm_defaults, host_entry *h) {
    cfg_ctx *cx = &L->cx;
    const char *path = h->path;
    scen_host *p = &h->proto;
    bs_rc r;

    h->node = hn;
    h->name_node = cfg_map_entry(hn, "name") ? cfg_map_entry(hn, "name")->val : hn;
    note(L, cfg_get_string(cx, hn, path, "name", false, "host", &h->name));
    note(L, cfg_get_count(cx, hn, path, "count", false, 1, &h->count));
    r = cfg_get_size(cx, hn, path, "memory", true, 0, &p->memory);
    note(L, r);
    if (r == BS_OK && p->memory < 1) {
        char mp[CFG_PATH_MAX];
        cfg_path_key(mp, path, "memory");
        cfg_error_expected(cx, cfg_map_get(hn, "memory"), mp, "a memory of at least one page (4KiB)");
        L->bad = true;
    }
    r = cfg_get_size(cx, hn, path, "reserved", false, 0, &p->reserved);
    note(L, r);
    if (r == BS_OK && p->memory > 0 && p->reserved >= p->memory) {
        char rp[CFG_PATH_MAX], m[64], what[128];
        cfg_path_key(rp, path, "reserved");
        fmt_size(m, sizeof m, p->memory);
        snprintf(what, sizeof what, "a reserved size below the host's memory (%s)", m);
        cfg_error_expected(cx, cfg_map_get(hn, "reserved"), rp, what);
        L->bad = true;
    }
    note(L, cfg_get_size(cx, hn, path, "swap", false, 0, &p->swap));
    note(L, cfg_get_time(cx, hn, path, "swap_latency", false, 8 * MS, &p->swap_latency));

    const cfg_node *ksm = cfg_map_get(hn, "ksm");
    p->ksm_sharing = 0;
    if (ksm) {
        char kp[CFG_PATH_MAX];
        cfg_path_key(kp, path, "ksm");
        if (cfg_expect_map(cx, ksm, kp) != BS_OK) {
            L->bad = true;
        } else {
            bool enabled = false;
            double sharing = 0.10;
            note(L, cfg_get_bool(cx, ksm, kp, "enabled", false, false, &enabled));
            r = cfg_get_fraction(cx, ksm, kp, "sharing", false, 0.10, &sharing);
            note(L, r);
            if (r == BS_OK && sharing >= 1.0) {
                char sp[CFG_PATH_MAX];
                cfg_path_key(sp, kp, "sharing");
                cfg_error_expected(cx, cfg_map_get(ksm, "sharing"), sp, "a sharing fraction below 1 (100%)");
                L->bad = true;
            }
            p->ksm_sharing = enabled ? sharing : 0;
            cfg_check_unknown(cx, ksm, kp, KSM_KEYS);
        }
    }

    const cfg_node *vms = cfg_map_get(hn, "vms");
    char vp[CFG_PATH_MAX];
    cfg_path_key(vp, path, "vms");
    if (!vms) {
        cfg_error(cx, hn, path, "missing required key 'vms'");
        L->bad = true;
    } else if (vms->kind != CFG_SEQ || vms->n == 0) {
        cfg_error_expected(cx, vms, vp, "a non-empty sequence of VMs");
        L->bad = true;
    } else {
        h->vms = calloc(vms->n, sizeof *h->vms);
        if (!h->vms) {
            L->internal = true;
            return;
        }
        for (size_t j = 0; j < vms->n; j++) {
            const cfg_node *v = vms->entries[j].val;
            vm_entry *e = &h->vms[h->n_vms];
            cfg_path_index(e->path, vp, j);
            if (cfg_expect_map(cx, v, e->path) != BS_OK) {
                L->bad = true;
                continue;
            }
            if (vm_defaults) {
                v = merge_defaults(cx->doc, vm_defaults, v);
                if (!v) {
                    L->internal = true;
                    return;
                }
            }
            read_vm(L, v, e);
            h->n_vms++;
        }
    }
    cfg_check_unknown(cx, hn, path, HOST_KEYS);
}

static void free_entries(loader *L) {
    for (size_t i = 0; i < L->n_hosts; i++) {
        host_entry *h = &L->hosts[i];
        for (size_t j = 0; j < h->n_vms; j++) {
            dist_free(&h->vms[j].memory);
            free(h->vms[j].proto.balloon.stuck);
        }
        free(h->vms);
    }
    free(L->hosts);
    L->hosts = NULL;
    L->n_hosts = 0;
}

static void read_hosts(loader *L, cfg_node *root) {
    cfg_ctx *cx = &L->cx;
    const cfg_node *hosts = cfg_map_get(root, "hosts");
    const cfg_node *host = cfg_map_get(root, "host");
    const cfg_node *defaults = cfg_map_get(root, "vm_defaults");

    if (defaults && cfg_expect_map(cx, defaults, "vm_defaults") != BS_OK) {
        L->bad = true;
        defaults = NULL;
    }
    if (hosts && host) {
        cfg_error(cx, host, "host", "use either 'hosts' (a list) or 'host' (one mapping), not both");
        L->bad = true;
        host = NULL;
    }
    if (!hosts && !host) {
        cfg_error(cx, root, "", "missing required key 'hosts'");
        L->bad = true;
        return;
    }
    size_t n = 1;
    if (hosts) {
        if (hosts->kind != CFG_SEQ || hosts->n == 0) {
            cfg_error_expected(cx, hosts, "hosts", "a non-empty sequence of hosts");
            L->bad = true;
            return;
        }
        n = hosts->n;
    }
    L->hosts = calloc(n, sizeof *L->hosts);
    if (!L->hosts) {
        L->internal = true;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const cfg_node *hn = hosts ? hosts->entries[i].val : host;
        host_entry *h = &L->hosts[L->n_hosts];
        if (hosts) cfg_path_index(h->path, "hosts", i);
        else snprintf(h->path, sizeof h->path, "host");
        if (cfg_expect_map(cx, hn, h->path) != BS_OK) {
            L->bad = true;
            continue;
        }
        L->n_hosts++;
        read_host(L, hn, defaults, h);
        if (L->internal) return;
    }
}

/* ------------------------------------------------------------------ */
/* expansion                                                            */

static char *instance_name(loader *L, const char *base, int64_t count, int64_t k) {
    char buf[CFG_PATH_MAX + 32];
    if (count == 1) snprintf(buf, sizeof buf, "%s", base);
    else snprintf(buf, sizeof buf, "%s-%lld", base, (long long)k);
    return xstrdup(L, buf);
}

/* Per-instance values: memory drawn from the instance's own stream, then the
 * checks that depend on it. */
static void finish_vm(loader *L, const vm_entry *e, scen_vm *v) {
    cfg_ctx *cx = &L->cx;
    char p[CFG_PATH_MAX], m[64], what[256];
    bool drawn = e->memory.kind != DIST_CONSTANT;

    if (!drawn) {
        v->memory = bs_bytes_to_pages((int64_t)e->memory.a);
    } else {
        gsl_rng *r = rng_stream_new(L->sc->seed, v->name, "memory");
        if (!r) {
            L->internal = true;
            return;
        }
        v->memory = (bs_pages)floor(dist_draw(&e->memory, r) / (double)BS_PAGE_SIZE);
        gsl_rng_free(r);
        if (v->memory < 1) {
            cfg_path_key(p, e->path, "memory");
            snprintf(what, sizeof what, "a distribution that gives at least one page (%s drew 0)", v->name);
            cfg_error_expected(cx, e->memory_node, p, what);
            L->bad = true;
        }
    }
    fmt_size(m, sizeof m, v->memory);
    if (v->min > v->memory && v->memory >= 1) {
        cfg_path_key(p, e->path, "min");
        if (drawn) snprintf(what, sizeof what, "a min no larger than the memory of %s (%s)", v->name, m);
        else snprintf(what, sizeof what, "a min no larger than memory (%s)", m);
        cfg_error_expected(cx, e->min_node, p, what);
        L->bad = true;
    }
    if (e->has_start_memory) {
        if ((v->start_memory < v->min || v->start_memory > v->memory) && v->min <= v->memory) {
            char lo[64];
            fmt_size(lo, sizeof lo, v->min);
            cfg_path_key(p, e->path, "start_memory");
            if (drawn)
                snprintf(what, sizeof what, "a start_memory from min (%s) to the memory of %s (%s)", lo, v->name, m);
            else
                snprintf(what, sizeof what, "a start_memory from min (%s) to memory (%s)", lo, m);
            cfg_error_expected(cx, e->start_memory_node, p, what);
            L->bad = true;
        }
    } else {
        v->start_memory = v->memory;
    }
    /* docs/model.md: a disabled balloon keeps A = T = M; start_memory does not apply. */
    if (!v->balloon.enabled) v->start_memory = v->memory;
}

/* The group of a `vms:` entry's name, made at its first instance.  Groups
 * are few (one per distinct entry name), so a linear search is enough. */
static size_t group_of(loader *L, const char *name) {
    scen *sc = L->sc;
    for (size_t g = 0; g < sc->n_groups; g++)
        if (strcmp(sc->groups[g].name, name) == 0) return g;
    scen_group *ng = realloc(sc->groups, (sc->n_groups + 1) * sizeof *ng);
    if (!ng) {
        L->internal = true;
        return 0;
    }
    sc->groups = ng;
    ng[sc->n_groups] = (scen_group){.name = xstrdup(L, name)};
    return sc->n_groups++;
}

/* Each group's VM indices, ascending, once every instance exists. */
static void fill_groups(loader *L) {
    scen *sc = L->sc;
    assert(sc->n_vms == 0 || sc->n_groups > 0);
    for (size_t i = 0; i < sc->n_vms; i++) sc->groups[sc->vms[i].group].n_vms++;
    for (size_t g = 0; g < sc->n_groups; g++) {
        sc->groups[g].vms = calloc(sc->groups[g].n_vms ? sc->groups[g].n_vms : 1, sizeof(size_t));
        if (!sc->groups[g].vms) {
            L->internal = true;
            return;
        }
        sc->groups[g].n_vms = 0;
    }
    for (size_t i = 0; i < sc->n_vms; i++) {
        scen_group *g = &sc->groups[sc->vms[i].group];
        g->vms[g->n_vms++] = i;
    }
}

static void expand(loader *L) {
    scen *sc = L->sc;
    size_t n_hosts = 0, n_vms = 0;

    for (size_t i = 0; i < L->n_hosts; i++) {
        const host_entry *h = &L->hosts[i];
        size_t per = 0;
        for (size_t j = 0; j < h->n_vms; j++) per += (size_t)h->vms[j].count;
        n_hosts += (size_t)h->count;
        n_vms += (size_t)h->count * per;
        if (n_hosts > SCEN_MAX_HOSTS || n_vms > SCEN_MAX_VMS) {
            cfg_error(&L->cx, h->node, h->path, "too many instances: at most %d hosts and %d VMs in a scenario",
                      SCEN_MAX_HOSTS, SCEN_MAX_VMS);
            L->bad = true;
            return;
        }
    }
    /* Workloads that map instances onto something finite (the files of a
     * trace directory) must have enough for every instance of the entry. */
    for (size_t i = 0; i < L->n_hosts; i++) {
        const host_entry *h = &L->hosts[i];
        for (size_t j = 0; j < h->n_vms; j++) {
            const vm_entry *e = &h->vms[j];
            size_t inst = (size_t)h->count * (size_t)e->count;
            note(L, wl_check_instances(&L->cx, e->proto.demand, inst));
            note(L, wl_check_instances(&L->cx, e->proto.cache, inst));
        }
    }
    sc->hosts = calloc(n_hosts ? n_hosts : 1, sizeof *sc->hosts);
    sc->vms = calloc(n_vms ? n_vms : 1, sizeof *sc->vms);
    if (!sc->hosts || !sc->vms) {
        L->internal = true;
        return;
    }
    for (size_t i = 0; i < L->n_hosts; i++) {
        const host_entry *h = &L->hosts[i];
        for (int64_t k = 1; k <= h->count; k++) {
            scen_host *hi = &sc->hosts[sc->n_hosts];
            *hi = h->proto;
            hi->index = sc->n_hosts;
            hi->name = instance_name(L, h->name, h->count, k);
            hi->first_vm = sc->n_vms;
            hi->n_vms = 0;
            sc->n_hosts++;
            if (!hi->name) return;
            for (size_t j = 0; j < h->n_vms; j++) {
                const vm_entry *e = &h->vms[j];
                for (int64_t c = 1; c <= e->count; c++) {
                    scen_vm *v = &sc->vms[sc->n_vms];
                    char *base = instance_name(L, e->name, e->count, c);
                    if (!base) return;
                    *v = e->proto;
                    v->balloon.stuck = NULL;
                    v->balloon.n_stuck = 0;
                    sc->n_vms++;
                    if (h->count > 1) {
                        size_t len = strlen(hi->name) + 1 + strlen(base) + 1;
                        v->name = malloc(len);
                        if (v->name) snprintf(v->name, len, "%s.%s", hi->name, base);
                        free(base);
                    } else {
                        v->name = base;
                    }
                    if (!v->name) {
                        L->internal = true;
                        return;
                    }
                    v->host = hi->index;
                    v->index = sc->n_vms - 1;
                    v->entry_index = (size_t)(k - 1) * (size_t)e->count + (size_t)(c - 1);
                    v->entry_count = (size_t)h->count * (size_t)e->count;
                    v->group = group_of(L, e->name);
                    if (L->internal) return;
                    if (e->proto.balloon.n_stuck) {
                        size_t nb = e->proto.balloon.n_stuck * sizeof *v->balloon.stuck;
                        v->balloon.stuck = malloc(nb);
                        if (!v->balloon.stuck) {
                            L->internal = true;
                            return;
                        }
                        memcpy(v->balloon.stuck, e->proto.balloon.stuck, nb);
                        v->balloon.n_stuck = e->proto.balloon.n_stuck;
                    }
                    finish_vm(L, e, v);
                    if (L->internal) return;
                    hi->n_vms++;
                }
            }
        }
    }
}

/* Which entry made each instance, for duplicate-name messages. */
typedef struct name_ref {
    const char *name;
    size_t order;            /* instance order */
    const cfg_node *at;      /* the entry's name node */
    const char *entry_path;  /* the entry's key path */
} name_ref;

static int cmp_name_ref(const void *a, const void *b) {
    const name_ref *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->order > y->order) - (x->order < y->order);
}

/* Sort by name; report each later instance whose name an earlier one has,
 * once per pair of entries (two entries `web` with count 8 collide 8 times;
 * one message says it). */
static void check_names(loader *L, name_ref *refs, size_t n, const char *what) {
    if (n < 2) return;
    qsort(refs, n, sizeof *refs, cmp_name_ref);
    const cfg_node **seen = NULL; /* pairs (later entry, earlier entry) reported */
    size_t n_seen = 0;
    for (size_t i = 1; i < n; i++) {
        if (strcmp(refs[i].name, refs[i - 1].name) != 0) continue;
        size_t f = i - 1;
        while (f > 0 && strcmp(refs[f - 1].name, refs[i].name) == 0) f--;
        L->bad = true;
        bool dup = false;
        for (size_t s = 0; s < n_seen && !dup; s++)
            dup = seen[2 * s] == refs[i].at && seen[2 * s + 1] == refs[f].at;
        if (dup) continue;
        const cfg_node **ns = realloc(seen, 2 * (n_seen + 1) * sizeof *ns);
        if (!ns) {
            L->internal = true;
            break;
        }
        seen = ns;
        seen[2 * n_seen] = refs[i].at;
        seen[2 * n_seen + 1] = refs[f].at;
        n_seen++;
        char path[CFG_PATH_MAX];
        cfg_path_key(path, refs[i].entry_path, "name");
        if (refs[i].at == refs[f].at)
            cfg_error(&L->cx, refs[i].at, path, "duplicate %s name '%s'", what, refs[i].name);
        else
            cfg_error(&L->cx, refs[i].at, path, "duplicate %s name '%s' (%s, line %d, has it too)", what,
                      refs[i].name, refs[f].entry_path, refs[f].at->line);
    }
    free(seen);
}

static void check_duplicate_names(loader *L) {
    scen *sc = L->sc;
    name_ref *refs = calloc(BS_MAX(sc->n_vms, sc->n_hosts) + 1, sizeof *refs);
    if (!refs) {
        L->internal = true;
        return;
    }
    /* Walk the entries in expansion order: instance i came from this entry. */
    size_t n = 0, hi = 0, vi = 0;
    for (size_t i = 0; i < L->n_hosts; i++) {
        const host_entry *h = &L->hosts[i];
        for (int64_t k = 0; k < h->count && hi < sc->n_hosts; k++, hi++)
            refs[n++] = (name_ref){sc->hosts[hi].name, hi, h->name_node, h->path};
    }
    check_names(L, refs, n, "host");
    n = 0;
    for (size_t i = 0; i < L->n_hosts; i++) {
        const host_entry *h = &L->hosts[i];
        for (int64_t k = 0; k < h->count; k++)
            for (size_t j = 0; j < h->n_vms; j++)
                for (int64_t c = 0; c < h->vms[j].count && vi < sc->n_vms; c++, vi++)
                    refs[n++] = (name_ref){sc->vms[vi].name, vi, h->vms[j].name_node, h->vms[j].path};
    }
    check_names(L, refs, n, "VM");
    free(refs);
}

/* ------------------------------------------------------------------ */
/* policy and sweep                                                     */

static void policy_names(char *buf, size_t len) {
    const pol_type *const *t = pol_types();
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; t[i] && used < len; i++) {
        int w = snprintf(buf + used, len - used, "%s%s", i ? ", " : "", t[i]->name);
        if (w < 0) break;
        used += (size_t)w;
    }
}

static void read_policy(loader *L, cfg_node *root, bool short_form) {
    cfg_ctx *cx = &L->cx;
    scen *sc = L->sc;
    const cfg_node *pn = cfg_map_get(root, "policy");
    const char *name = "static";
    const char *name_path = short_form ? "policy" : "policy.name";

    /* No policy anywhere: static (documented default). */
    if (pn && cfg_expect_map(cx, pn, "policy") != BS_OK) {
        L->bad = true;
        return;
    }
    if (pn) {
        bs_rc r = cfg_get_string(cx, pn, "policy", "name", true, NULL, &name);
        note(L, r);
        if (r != BS_OK) return;
    }
    const pol_type *type = pol_find(name);
    if (!type) {
        char names[512], what[600];
        policy_names(names, sizeof names);
        snprintf(what, sizeof what, "a policy (one of: %s)", names);
        cfg_error_expected(cx, pn ? cfg_map_get(pn, "name") : NULL, name_path, what);
        L->bad = true;
        return;
    }
    sc->policy.type = type;
    sc->policy.interval = type->default_interval;
    sc->policy.stats_interval = type->default_stats_interval ? type->default_stats_interval : 5 * SEC;
    const cfg_node *params = NULL;
    if (pn) {
        bs_rc r = cfg_get_time(cx, pn, "policy", "interval", false, sc->policy.interval, &sc->policy.interval);
        note(L, r);
        if (r == BS_OK && sc->policy.interval <= 0 && cfg_map_entry(pn, "interval")) {
            cfg_error_expected(cx, cfg_map_get(pn, "interval"), "policy.interval", "an interval above 0, such as 10s");
            L->bad = true;
        }
        r = cfg_get_time(cx, pn, "policy", "stats_interval", false, sc->policy.stats_interval,
                         &sc->policy.stats_interval);
        note(L, r);
        if (r == BS_OK && sc->policy.stats_interval <= 0) {
            cfg_error_expected(cx, cfg_map_get(pn, "stats_interval"), "policy.stats_interval",
                               "an interval above 0, such as 2s");
            L->bad = true;
        }
        params = cfg_map_get(pn, "params");
        if (params && cfg_is_null(params)) params = NULL;
        if (params && cfg_expect_map(cx, params, "policy.params") != BS_OK) {
            L->bad = true;
            params = NULL;
        }
        cfg_check_unknown(cx, pn, "policy", POLICY_KEYS);
    }
    if (type->configure) {
        size_t before = cx->errs->n;
        bs_rc r = type->configure(cx, params, "policy.params", sc, &sc->policy.cfg);
        note(L, r);
        if (cx->errs->n > before) L->bad = true;
    }
    if (params) {
        char allowed[1024];
        size_t used = 0;
        allowed[0] = '\0';
        for (const pol_param *pp = type->params; pp && pp->name && used < sizeof allowed; pp++) {
            int w = snprintf(allowed + used, sizeof allowed - used, "%s%s", used ? ", " : "", pp->name);
            if (w < 0) break;
            used += (size_t)w;
        }
        size_t before = cx->errs->n;
        cfg_check_unknown(cx, params, "policy.params", allowed);
        if (cx->errs->n > before) L->bad = true;
    }
}

static void read_sweep(loader *L, cfg_node *root) {
    cfg_ctx *cx = &L->cx;
    const cfg_node *sw = cfg_map_get(root, "sweep");
    if (!sw) return;
    if (cfg_expect_map(cx, sw, "sweep") != BS_OK) {
        L->bad = true;
        return;
    }
    int64_t seeds = 1;
    note(L, cfg_get_count(cx, sw, "sweep", "seeds", false, 1, &seeds));
    const cfg_node *vary = cfg_map_get(sw, "vary");
    if (vary) {
        if (cfg_expect_map(cx, vary, "sweep.vary") != BS_OK) {
            L->bad = true;
        } else {
            for (size_t i = 0; i < vary->n; i++) {
                cfg_entry *e = &vary->entries[i];
                char kp[CFG_PATH_MAX];
                cfg_path_key(kp, "sweep.vary", e->key);
                e->used = true;
                const cfg_node *target = cfg_lookup(root, e->key);
                bool ok = strcmp(e->key, "policy.name") == 0 || strcmp(e->key, "policy") == 0 ||
                          (target && target->kind == CFG_SCALAR);
                if (!ok) {
                    cfg_error_at(cx, e->val->file, e->line, e->col, kp,
                                 "'%s' does not name a scalar of the scenario (expected a key path such as "
                                 "hosts[0].vms[0].count)",
                                 e->key);
                    L->bad = true;
                }
                const cfg_node *vals = e->val;
                bool vals_ok = vals->kind == CFG_SEQ && vals->n > 0;
                for (size_t j = 0; vals_ok && j < vals->n; j++)
                    if (vals->entries[j].val->kind != CFG_SCALAR) vals_ok = false;
                if (!vals_ok) {
                    cfg_error_expected(cx, vals, kp, "a non-empty list of values");
                    L->bad = true;
                }
            }
        }
    }
    cfg_check_unknown(cx, sw, "sweep", SWEEP_KEYS);
    L->sc->sweep = sw;
}

/* ------------------------------------------------------------------ */
/* windows                                                              */

bool scen_window_contains(const scen_window *w, bs_time t) {
    if (t < w->start) return false;
    if (w->every <= 0) return t < w->end;
    return (t - w->start) % w->every < w->end - w->start;
}

bs_time scen_window_next_edge(const scen_window *w, bs_time t) {
    if (t < w->start) return w->start;
    if (w->every <= 0) return t < w->end ? w->end : BS_TIME_NEVER;
    bs_time k = (t - w->start) / w->every, base = w->start + k * w->every;
    bs_time close = base + (w->end - w->start);
    if (t < close) return close;
    if (base > BS_TIME_NEVER - w->every) return BS_TIME_NEVER;
    return base + w->every;
}

static bool window_name_ok(const char *n) {
    if (!*n) return false;
    for (const char *p = n; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_') return false;
    return true;
}

static void read_windows(loader *L, cfg_node *root) {
    cfg_ctx *cx = &L->cx;
    scen *sc = L->sc;
    const cfg_node *seq = cfg_map_get(root, "windows");
    if (!seq) return;
    if (cfg_expect_seq(cx, seq, "windows") != BS_OK) {
        L->bad = true;
        return;
    }
    if (seq->n == 0) return;
    sc->windows = calloc(seq->n, sizeof *sc->windows);
    if (!sc->windows) {
        L->internal = true;
        return;
    }
    for (size_t i = 0; i < seq->n; i++) {
        const cfg_node *it = seq->entries[i].val;
        char ip[CFG_PATH_MAX], kp[CFG_PATH_MAX];
        cfg_path_index(ip, "windows", i);
        if (cfg_expect_map(cx, it, ip) != BS_OK) {
            L->bad = true;
            continue;
        }
        const char *name = NULL;
        bs_time start = 0, end = 0, every = 0;
        bs_rc rn = cfg_get_string(cx, it, ip, "name", true, NULL, &name);
        bs_rc rs = cfg_get_time(cx, it, ip, "start", true, 0, &start);
        bs_rc re = cfg_get_time(cx, it, ip, "end", true, 0, &end);
        bs_rc rv = cfg_get_time(cx, it, ip, "every", false, 0, &every);
        note(L, rn), note(L, rs), note(L, re), note(L, rv);
        cfg_check_unknown(cx, it, ip, WINDOW_KEYS);
        bool ok = rn == BS_OK && rs == BS_OK && re == BS_OK && rv == BS_OK;
        if (rn == BS_OK && !window_name_ok(name)) {
            cfg_path_key(kp, ip, "name");
            cfg_error_expected(cx, cfg_map_get(it, "name"), kp,
                               "a name made of letters, digits, '-' and '_', such as peak");
            L->bad = true;
            ok = false;
        }
        if (rn == BS_OK && ok) {
            for (size_t j = 0; j < i; j++) {
                const cfg_node *prev = seq->entries[j].val;
                const cfg_node *pn = prev->kind == CFG_MAP ? cfg_map_get(prev, "name") : NULL;
                if (pn && pn->kind == CFG_SCALAR && pn->value && strcmp(pn->value, name) == 0) {
                    cfg_path_key(kp, ip, "name");
                    cfg_error(cx, cfg_map_get(it, "name"), kp, "window '%s' is defined twice (also windows[%zu])",
                              name, j);
                    L->bad = true;
                    ok = false;
                    break;
                }
            }
            for (size_t g = 0; g < sc->n_groups; g++)
                if (strcmp(sc->groups[g].name, name) == 0) {
                    cfg_path_key(kp, ip, "name");
                    cfg_error(cx, cfg_map_get(it, "name"), kp,
                              "'%s' is already the name of a VM group: a window needs a name of its own", name);
                    L->bad = true;
                    ok = false;
                }
        }
        if (rs == BS_OK && re == BS_OK && end <= start) {
            cfg_path_key(kp, ip, "end");
            cfg_error_expected(cx, cfg_map_get(it, "end"), kp, "an end after the window's start");
            L->bad = true;
            ok = false;
        }
        if (rv == BS_OK && cfg_map_get(it, "every")) {
            cfg_path_key(kp, ip, "every");
            if (every <= 0) {
                cfg_error_expected(cx, cfg_map_get(it, "every"), kp, "a period above 0, such as 1d");
                L->bad = true;
                ok = false;
            } else if (rs == BS_OK && re == BS_OK && end > start && end - start > every) {
                cfg_error_expected(cx, cfg_map_get(it, "every"), kp,
                                   "a period at least as long as the window (end - start)");
                L->bad = true;
                ok = false;
            }
        }
        if (!ok) continue;
        scen_window *w = &sc->windows[sc->n_windows];
        *w = (scen_window){.name = xstrdup(L, name), .start = start, .end = end, .every = every};
        if (!w->name) return;
        sc->n_windows++;
    }
}

/* ------------------------------------------------------------------ */
/* entry points                                                         */

void scen_free(scen *sc) {
    if (!sc) return;
    for (size_t i = 0; i < sc->n_vms; i++) {
        free(sc->vms[i].name);
        free(sc->vms[i].balloon.stuck);
    }
    free(sc->vms);
    for (size_t i = 0; i < sc->n_hosts; i++) free(sc->hosts[i].name);
    free(sc->hosts);
    for (size_t g = 0; g < sc->n_groups; g++) {
        free(sc->groups[g].name);
        free(sc->groups[g].vms);
    }
    free(sc->groups);
    for (size_t w = 0; w < sc->n_windows; w++) free(sc->windows[w].name);
    free(sc->windows);
    if (sc->policy.type && sc->policy.cfg && sc->policy.type->free_config) sc->policy.type->free_config(sc->policy.cfg);
    for (size_t i = 0; i < sc->n_specs; i++) wl_spec_free(sc->specs[i]);
    free(sc->specs);
    free(sc->file);
    free(sc->name);
    free(sc->description);
    cfg_doc_free(sc->doc);
    free(sc);
}

bs_rc scen_load_tree(cfg_doc *doc, cfg_node *root, const char *path, const scen_overrides *ov, cfg_errs *errs,
                     scen **out) {
    assert(doc && root && errs && out);
    *out = NULL;
    scen *sc = calloc(1, sizeof *sc);
    if (!sc) {
        cfg_doc_free(doc);
        return BS_ERR_INTERNAL;
    }
    sc->doc = doc;
    loader L = {.cx = {errs, doc}, .sc = sc};
    size_t errs_before = errs->n;
    const char *file = path ? path : root->file;
    sc->file = xstrdup(&L, file);

    /* 1. includes */
    char *chain[SCEN_MAX_INCLUDE_DEPTH + 1] = {0};
    chain[0] = realpath(file, NULL);
    cfg_node *merged = root;
    note(&L, apply_includes(doc, root, file, errs, chain, chain[0] ? 1 : 0, &merged));
    free(chain[0]);
    root = merged;

    /* 2. overrides */
    bool short_form = false;
    if (root->kind != CFG_MAP) {
        cfg_error_expected(&L.cx, root, "", "a mapping");
        L.bad = true;
    } else if (normalize_policy(doc, root, &short_form) != BS_OK) {
        L.internal = true;
    } else {
        note(&L, apply_overrides(&L, root, ov, &short_form));
    }

    /* 3-5. validation, expansion, policy */
    if (!L.internal && root->kind == CFG_MAP) {
        read_top(&L, root, file);
        if (ov && ov->has_seed) sc->seed = ov->seed;
        if (!L.internal) read_hosts(&L, root);
        if (!L.internal) expand(&L);
        if (!L.internal) fill_groups(&L);
        if (!L.internal) check_duplicate_names(&L);
        if (!L.internal) read_windows(&L, root);
        if (!L.internal) read_policy(&L, root, short_form);
        if (!L.internal) read_sweep(&L, root);
        cfg_check_unknown(&L.cx, root, "", TOP_KEYS);
    }
    free_entries(&L);
    if (errs->n > errs_before) L.bad = true;
    if (L.internal) {
        scen_free(sc);
        return BS_ERR_INTERNAL;
    }
    if (L.bad) {
        scen_free(sc);
        return BS_ERR_INPUT;
    }
    *out = sc;
    return BS_OK;
}

bs_rc scen_load(const char *path, const scen_overrides *ov, cfg_errs *errs, scen **out) {
    cfg_doc *doc = NULL;
    cfg_node *root = NULL;
    assert(path && errs && out);
    *out = NULL;
    if (cfg_doc_new(&doc) != BS_OK) return BS_ERR_INTERNAL;
    bs_rc rc = cfg_parse_file(doc, path, errs, &root);
    if (!root) {
        cfg_doc_free(doc);
        return rc != BS_OK ? rc : BS_ERR_INPUT;
    }
    /* Duplicate keys leave a usable tree: validate it too, so the user sees
     * every error at once, but never succeed. */
    bs_rc r2 = scen_load_tree(doc, root, path, ov, errs, out);
    if (rc != BS_OK && r2 == BS_OK) {
        scen_free(*out);
        *out = NULL;
        return rc;
    }
    return r2;
}
