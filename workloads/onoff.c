/* onoff.c -- alternating low and high phases of random lengths.
 *
 * Batch jobs, backups, a build server: demand is either idle or busy.  The VM
 * starts low; each phase's length is drawn from its distribution when it
 * begins, from the VM's own stream, always in time order (catching up through
 * phases nobody observed), so a VM's timeline depends only on seed and name.
 * A phase drawn as 0 ns is skipped; both distributions must have a mean above
 * 0 so the alternation always moves forward. */
#include "workloads/wl.h"

#include "sim/base/dist.h"

#include <stdlib.h>

typedef struct onoff_cfg {
    bs_pages low, high;
    dist low_for, high_for; /* ns */
} onoff_cfg;

typedef struct onoff_state {
    const onoff_cfg *c;
    gsl_rng *rng;
    bool high;
    bs_time end; /* end of the current phase */
} onoff_state;

static void onoff_free_config(void *p)
{
    onoff_cfg *c = p;
    if (!c) return;
    dist_free(&c->low_for);
    dist_free(&c->high_for);
    free(c);
}

/* A duration distribution whose mean is 0 would stall the alternation. */
static bs_rc positive_mean(cfg_ctx *cx, const cfg_node *node, const char *path, const char *key,
                           const dist *d)
{
    if (dist_mean(d) > 0) return BS_OK;
    char kpath[CFG_PATH_MAX];
    cfg_path_key(kpath, path, key);
    const cfg_node *n = cfg_map_entry(node, key)->val;
    if (n->kind == CFG_SCALAR)
        cfg_error_expected(cx, n, kpath, "a duration above 0");
    else
        cfg_error(cx, n, kpath, "expected a duration with a mean above 0, found a "
                                "distribution with mean 0");
    return BS_ERR_INPUT;
}

static bs_rc onoff_configure(cfg_ctx *cx, const cfg_node *node, const char *path,
                             const char *base_dir, void **out)
{
    (void)base_dir;
    onoff_cfg *c = calloc(1, sizeof *c);
    if (!c) return BS_ERR_INTERNAL;
    bs_rc rc = cfg_get_size(cx, node, path, "low", true, 0, &c->low);
    rc = wl_rc_worse(rc, cfg_get_size(cx, node, path, "high", true, 0, &c->high));
    bs_rc r = dist_get(cx, node, path, "high_for", true, 0, UNIT_TIME, &c->high_for);
    if (r == BS_OK) r = positive_mean(cx, node, path, "high_for", &c->high_for);
    rc = wl_rc_worse(rc, r);
    r = dist_get(cx, node, path, "low_for", true, 0, UNIT_TIME, &c->low_for);
    if (r == BS_OK) r = positive_mean(cx, node, path, "low_for", &c->low_for);
    rc = wl_rc_worse(rc, r);
    if (rc != BS_OK) {
        onoff_free_config(c);
        return rc;
    }
    *out = c;
    return BS_OK;
}

static bs_time draw_len(const dist *d, gsl_rng *rng)
{
    double ns = dist_draw(d, rng);
    if (!(ns > 0)) return 0;
    if (ns >= (double)UNIT_MAX_TIME_NS) return UNIT_MAX_TIME_NS;
    return (bs_time)ns;
}

static bs_rc onoff_instantiate(const void *cfg, const wl_vm_info *vm, gsl_rng *rng, void **out)
{
    (void)vm;
    onoff_state *s = malloc(sizeof *s);
    if (!s) return BS_ERR_INTERNAL;
    s->c = cfg;
    s->rng = rng;
    s->high = false;
    s->end = draw_len(&s->c->low_for, rng);
    *out = s;
    return BS_OK;
}

static bs_pages onoff_advance(void *state, bs_time t, bs_time *next)
{
    onoff_state *s = state;
    while (s->end <= t) {
        s->high = !s->high;
        s->end = wl_time_add(s->end, draw_len(s->high ? &s->c->high_for : &s->c->low_for, s->rng));
    }
    *next = s->end;
    return s->high ? s->c->high : s->c->low;
}

const wl_type wl_type_onoff = {
    .name = "onoff",
    .description = "alternates low and high for random durations, starting low",
    .keys = "low, high, high_for, low_for",
    .configure = onoff_configure,
    .free_config = onoff_free_config,
    .instantiate = onoff_instantiate,
    .free_state = free,
    .advance = onoff_advance,
};
