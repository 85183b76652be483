/* sum.c -- the sum of several workloads.
 *
 * Composition keeps every other type simple: "diurnal plus spikes plus a leak"
 * is a sum, not a new type.  Each part is a full nested workload with its own
 * `type`; its random stream is keyed by the parent's purpose plus its index
 * ("demand/parts[1]"), so parts draw independently and adding a part leaves
 * the draws of the others unchanged.  The value is the sum of the parts; the
 * next change is the earliest next change of any part. */
#include "workloads/wl.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct sum_cfg {
    size_t n;
    wl_spec **parts;
} sum_cfg;

typedef struct sum_state {
    size_t n;
    wl_gen **parts;
} sum_state;

static void sum_free_config(void *p)
{
    sum_cfg *c = p;
    if (!c) return;
    for (size_t i = 0; i < c->n; i++) wl_spec_free(c->parts[i]);
    free(c->parts);
    free(c);
}

static bs_rc sum_configure(cfg_ctx *cx, const cfg_node *node, const char *path,
                           const char *base_dir, void **out)
{
    char ppath[CFG_PATH_MAX];
    cfg_path_key(ppath, path, "parts");
    const cfg_node *seq = cfg_map_get(node, "parts");
    if (!seq) {
        cfg_error(cx, node, path, "missing required key 'parts'");
        return BS_ERR_INPUT;
    }
    if (cfg_expect_seq(cx, seq, ppath) != BS_OK) return BS_ERR_INPUT;
    if (seq->n == 0) {
        cfg_error(cx, seq, ppath, "expected at least one workload, found an empty sequence");
        return BS_ERR_INPUT;
    }
    sum_cfg *c = calloc(1, sizeof *c);
    if (!c) return BS_ERR_INTERNAL;
    c->parts = calloc(seq->n, sizeof *c->parts);
    if (!c->parts) {
        free(c);
        return BS_ERR_INTERNAL;
    }
    c->n = seq->n;
    bs_rc rc = BS_OK;
    for (size_t i = 0; i < seq->n; i++) {
        char ipath[CFG_PATH_MAX];
        cfg_path_index(ipath, ppath, i);
        rc = wl_rc_worse(rc, wl_configure_nested(cx, seq->entries[i].val, ipath, base_dir,
                                                 &c->parts[i]));
    }
    if (rc != BS_OK) {
        sum_free_config(c);
        return rc;
    }
    *out = c;
    return BS_OK;
}

static void sum_free_state(void *p)
{
    sum_state *s = p;
    if (!s) return;
    for (size_t i = 0; i < s->n; i++) wl_gen_free(s->parts[i]);
    free(s->parts);
    free(s);
}

static bs_rc sum_instantiate(const void *cfg, const wl_vm_info *vm, gsl_rng *rng, void **out)
{
    (void)rng; /* each part has its own stream */
    const sum_cfg *c = cfg;
    sum_state *s = calloc(1, sizeof *s);
    if (!s) return BS_ERR_INTERNAL;
    s->parts = calloc(c->n, sizeof *s->parts);
    if (!s->parts) {
        free(s);
        return BS_ERR_INTERNAL;
    }
    s->n = c->n;
    for (size_t i = 0; i < c->n; i++) {
        char purpose[CFG_PATH_MAX];
        snprintf(purpose, sizeof purpose, "%s/parts[%zu]", vm->purpose ? vm->purpose : "demand",
                 i);
        wl_vm_info sub = *vm;
        sub.purpose = purpose; /* only used during wl_instantiate */
        bs_rc rc = wl_instantiate(c->parts[i], &sub, &s->parts[i]);
        if (rc != BS_OK) {
            sum_free_state(s);
            return rc;
        }
    }
    *out = s;
    return BS_OK;
}

static bs_pages sum_advance(void *state, bs_time t, bs_time *next)
{
    sum_state *s = state;
    bs_pages total = 0;
    bs_time nx = BS_TIME_NEVER;
    for (size_t i = 0; i < s->n; i++) {
        bs_time pn = BS_TIME_NEVER;
        total += wl_advance(s->parts[i], t, &pn);
        nx = BS_MIN(nx, pn);
    }
    *next = nx;
    return total;
}

/* A part may be a trace directory: every part must serve every instance. */
static bs_rc sum_check_instances(cfg_ctx *cx, const void *cfg, size_t instances)
{
    const sum_cfg *c = cfg;
    bs_rc rc = BS_OK;
    for (size_t i = 0; i < c->n; i++)
        rc = wl_rc_worse(rc, wl_check_instances(cx, c->parts[i], instances));
    return rc;
}

const wl_type wl_type_sum = {
    .name = "sum",
    .description = "the sum of nested workloads: parts: [{type: ...}, ...]",
    .keys = "parts",
    .configure = sum_configure,
    .free_config = sum_free_config,
    .instantiate = sum_instantiate,
    .free_state = sum_free_state,
    .advance = sum_advance,
    .check_instances = sum_check_instances,
};
