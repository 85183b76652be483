/* constant.c -- a demand that never changes, possibly drawn once per VM.
 *
 * `size` may be a distribution: a fleet of "web" VMs rarely all use the same
 * amount, and drawing once per instance from the VM's own stream gives each its
 * own level while keeping it reproducible.  The draw happens at instantiate, so
 * the hot path only returns a number. */
#include "workloads/wl.h"

#include "sim/base/dist.h"

#include <stdlib.h>

typedef struct constant_cfg {
    dist size; /* bytes */
} constant_cfg;

typedef struct constant_state {
    bs_pages value;
} constant_state;

static void constant_free_config(void *p)
{
    constant_cfg *c = p;
    if (!c) return;
    dist_free(&c->size);
    free(c);
}

static bs_rc constant_configure(cfg_ctx *cx, const cfg_node *node, const char *path,
                                const char *base_dir, void **out)
{
    (void)base_dir;
    constant_cfg *c = calloc(1, sizeof *c);
    if (!c) return BS_ERR_INTERNAL;
    bs_rc rc = dist_get(cx, node, path, "size", true, 0, UNIT_SIZE, &c->size);
    if (rc != BS_OK) {
        constant_free_config(c);
        return rc;
    }
    *out = c;
    return BS_OK;
}

bs_rc wl_constant_configure_scalar(cfg_ctx *cx, const cfg_node *n, const char *path, void **out)
{
    constant_cfg *c = calloc(1, sizeof *c);
    if (!c) return BS_ERR_INTERNAL;
    bs_rc rc = dist_parse(cx, n, path, UNIT_SIZE, &c->size);
    if (rc != BS_OK) {
        constant_free_config(c);
        return rc;
    }
    *out = c;
    return BS_OK;
}

static bs_rc constant_instantiate(const void *cfg, const wl_vm_info *vm, gsl_rng *rng,
                                  void **out)
{
    (void)vm;
    const constant_cfg *c = cfg;
    constant_state *s = malloc(sizeof *s);
    if (!s) return BS_ERR_INTERNAL;
    s->value = wl_pages_clamp(dist_draw(&c->size, rng) / (double)BS_PAGE_SIZE);
    *out = s;
    return BS_OK;
}

static bs_pages constant_advance(void *state, bs_time t, bs_time *next)
{
    (void)t;
    *next = BS_TIME_NEVER;
    return ((const constant_state *)state)->value;
}

const wl_type wl_type_constant = {
    .name = "constant",
    .description = "a fixed size (a distribution is drawn once per VM)",
    .keys = "size",
    .configure = constant_configure,
    .free_config = constant_free_config,
    .instantiate = constant_instantiate,
    .free_state = free,
    .advance = constant_advance,
};
