/* steps.c -- a piecewise-constant demand written out by hand.
 *
 * The simplest way to script a scenario ("6 GiB from 1h"): each step holds
 * until the next one; before the first step (if it is after 0) demand is 0.
 * `at` must be strictly increasing so the file reads as a timeline and two
 * steps can never fight over one instant. */
#include "workloads/wl.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct steps_cfg {
    size_t n;
    bs_time *at;
    bs_pages *size;
} steps_cfg;

typedef struct steps_state {
    const steps_cfg *c;
    size_t i; /* steps with at <= the last t */
} steps_state;

static void steps_free_config(void *p)
{
    steps_cfg *c = p;
    if (!c) return;
    free(c->at);
    free(c->size);
    free(c);
}

static bs_rc steps_configure(cfg_ctx *cx, const cfg_node *node, const char *path,
                             const char *base_dir, void **out)
{
    (void)base_dir;
    char spath[CFG_PATH_MAX];
    cfg_path_key(spath, path, "steps");
    const cfg_node *seq = cfg_map_get(node, "steps");
    if (!seq) {
        cfg_error(cx, node, path, "missing required key 'steps'");
        return BS_ERR_INPUT;
    }
    if (cfg_expect_seq(cx, seq, spath) != BS_OK) return BS_ERR_INPUT;
    if (seq->n == 0) {
        cfg_error(cx, seq, spath, "expected at least one step such as {at: 0s, size: 1GiB}, "
                                  "found an empty sequence");
        return BS_ERR_INPUT;
    }
    steps_cfg *c = calloc(1, sizeof *c);
    if (!c) return BS_ERR_INTERNAL;
    c->n = seq->n;
    c->at = calloc(c->n, sizeof *c->at);
    c->size = calloc(c->n, sizeof *c->size);
    if (!c->at || !c->size) {
        steps_free_config(c);
        return BS_ERR_INTERNAL;
    }
    bs_rc rc = BS_OK;
    bool have_prev = false;
    bs_time prev = 0;
    for (size_t i = 0; i < seq->n; i++) {
        const cfg_node *item = seq->entries[i].val;
        char ipath[CFG_PATH_MAX];
        cfg_path_index(ipath, spath, i);
        if (cfg_expect_map(cx, item, ipath) != BS_OK) {
            rc = BS_ERR_INPUT;
            have_prev = false;
            continue;
        }
        bs_rc r1 = cfg_get_time(cx, item, ipath, "at", true, 0, &c->at[i]);
        bs_rc r2 = cfg_get_size(cx, item, ipath, "size", true, 0, &c->size[i]);
        size_t before = cx->errs ? cx->errs->n : 0;
        cfg_check_unknown(cx, item, ipath, "at, size");
        if (cx->errs && cx->errs->n > before) rc = wl_rc_worse(rc, BS_ERR_INPUT);
        rc = wl_rc_worse(rc, wl_rc_worse(r1, r2));
        if (r1 != BS_OK) {
            have_prev = false;
            continue;
        }
        if (have_prev && c->at[i] <= prev) {
            char apath[CFG_PATH_MAX], was[64], what[128];
            cfg_path_key(apath, ipath, "at");
            unit_format_time(was, sizeof was, prev);
            snprintf(what, sizeof what, "a time after the previous step's %s", was);
            cfg_error_expected(cx, cfg_map_entry(item, "at")->val, apath, what);
            rc = wl_rc_worse(rc, BS_ERR_INPUT);
        }
        have_prev = true;
        prev = c->at[i];
    }
    if (rc != BS_OK) {
        steps_free_config(c);
        return rc;
    }
    *out = c;
    return BS_OK;
}

static bs_rc steps_instantiate(const void *cfg, const wl_vm_info *vm, gsl_rng *rng, void **out)
{
    (void)vm;
    (void)rng;
    steps_state *s = malloc(sizeof *s);
    if (!s) return BS_ERR_INTERNAL;
    s->c = cfg;
    s->i = 0;
    *out = s;
    return BS_OK;
}

static bs_pages steps_advance(void *state, bs_time t, bs_time *next)
{
    steps_state *s = state;
    const steps_cfg *c = s->c;
    while (s->i < c->n && c->at[s->i] <= t) s->i++;
    *next = s->i < c->n ? c->at[s->i] : BS_TIME_NEVER;
    return s->i ? c->size[s->i - 1] : 0;
}

const wl_type wl_type_steps = {
    .name = "steps",
    .description = "sizes held from given times: steps: [{at: 0s, size: 1GiB}, ...]",
    .keys = "steps",
    .configure = steps_configure,
    .free_config = steps_free_config,
    .instantiate = steps_instantiate,
    .free_state = free,
    .advance = steps_advance,
};
