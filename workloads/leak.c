/* leak.c -- demand that grows steadily, optionally reset periodically.
 *
 * A memory leak (or a cache that never shrinks) is the case ballooning handles
 * worst: the guest keeps asking for more.  value(t) = start + rate * (t - r),
 * where r is the last multiple of `reset_every` (a restart of the leaking
 * service) or 0.  Stepped every WL_STEP (60 s) counted from the last reset,
 * each step holding the value at its start, so demand is piecewise constant
 * and a reset is always a change point.  No randomness, so no state beyond
 * the configuration: the value is a pure function of t. */
#include "workloads/wl.h"

#include <stdlib.h>

typedef struct leak_cfg {
    bs_pages start;
    double rate;       /* pages per ns */
    bs_time reset;     /* 0: never */
} leak_cfg;

static bs_rc leak_configure(cfg_ctx *cx, const cfg_node *node, const char *path,
                            const char *base_dir, void **out)
{
    (void)base_dir;
    leak_cfg *c = calloc(1, sizeof *c);
    if (!c) return BS_ERR_INTERNAL;
    double bps = 0;
    bs_rc rc = cfg_get_size(cx, node, path, "start", false, 0, &c->start);
    rc = wl_rc_worse(rc, cfg_get_rate(cx, node, path, "rate", true, 0, &bps));
    bs_rc r = cfg_get_time(cx, node, path, "reset_every", false, 0, &c->reset);
    if (r == BS_OK && cfg_map_entry(node, "reset_every") && c->reset <= 0) {
        char kpath[CFG_PATH_MAX];
        cfg_path_key(kpath, path, "reset_every");
        cfg_error_expected(cx, cfg_map_entry(node, "reset_every")->val, kpath, "a time above 0");
        r = BS_ERR_INPUT;
    }
    rc = wl_rc_worse(rc, r);
    if (rc != BS_OK) {
        free(c);
        return rc;
    }
    c->rate = bps / (double)BS_PAGE_SIZE / (double)BS_NS_PER_S;
    *out = c;
    return BS_OK;
}

static bs_rc leak_instantiate(const void *cfg, const wl_vm_info *vm, gsl_rng *rng, void **out)
{
    (void)vm;
    (void)rng;
    *out = (void *)cfg; /* stateless: the config is all it needs */
    return BS_OK;
}

static bs_pages leak_advance(void *state, bs_time t, bs_time *next)
{
    const leak_cfg *c = state;
    bs_time r0 = c->reset > 0 ? t / c->reset * c->reset : 0;
    bs_time el = (t - r0) / WL_STEP * WL_STEP; /* start of this step, from r0 */
    bs_time nx = wl_time_add(r0 + el, WL_STEP);
    if (c->reset > 0) nx = BS_MIN(nx, wl_time_add(r0, c->reset));
    *next = nx;
    return wl_pages_clamp((double)c->start + c->rate * (double)el);
}

const wl_type wl_type_leak = {
    .name = "leak",
    .description = "grows from start at rate (e.g. 10MiB/h), optionally reset every so often",
    .keys = "start, rate, reset_every",
    .configure = leak_configure,
    .free_config = free,
    .instantiate = leak_instantiate,
    .free_state = NULL,
    .advance = leak_advance,
};
