/* registry.c -- workload types by name, and the generic spec/generator shell.
 *
 * Every type is a const vtable (wl.h); this file is the one place that knows
 * them all, so adding a type is one line in `types`.  The shell owns what is
 * the same for every type: finding the type from `type:`, checking unknown
 * keys of nested mappings (sum parts, a `cache:` workload -- nobody else sees
 * those), giving each generator its own random stream keyed by VM name and
 * purpose (common random numbers, docs/model.md), and clamping demand to >= 0. */
#include "workloads/wl.h"

#include "sim/base/rng.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct wl_spec {
    const wl_type *type;
    void *cfg;
};

struct wl_gen {
    const wl_type *type;
    void *state;
    gsl_rng *rng; /* owned; the state borrows it */
    bs_time last_t; /* t never decreases (asserted) */
};

/* Each defined in workloads/NAME.c: adding a type is its file plus its
 * name here and in `types`. */
extern const wl_type wl_type_constant, wl_type_steps, wl_type_diurnal, wl_type_onoff,
    wl_type_spikes, wl_type_randomwalk, wl_type_leak, wl_type_trace, wl_type_sum,
    wl_type_fleet;

static const wl_type *const types[] = {
    &wl_type_constant, &wl_type_steps,   &wl_type_diurnal, &wl_type_onoff, &wl_type_spikes,
    &wl_type_randomwalk, &wl_type_leak,  &wl_type_trace,   &wl_type_sum,   &wl_type_fleet,
    NULL,
};

const wl_type *wl_find(const char *name)
{
    if (!name) return NULL;
    for (size_t i = 0; types[i]; i++)
        if (strcmp(types[i]->name, name) == 0) return types[i];
    return NULL;
}

const wl_type *const *wl_types(void) { return types; }

static void type_names(char *buf, size_t len)
{
    size_t at = 0;
    buf[0] = '\0';
    for (size_t i = 0; types[i] && at < len; i++) {
        int w = snprintf(buf + at, len - at, "%s%s", i ? ", " : "", types[i]->name);
        if (w < 0) break;
        at += (size_t)w;
    }
}

static bs_rc spec_new(const wl_type *type, void *cfg, wl_spec **out)
{
    wl_spec *s = malloc(sizeof *s);
    if (!s) {
        type->free_config(cfg);
        return BS_ERR_INTERNAL;
    }
    s->type = type;
    s->cfg = cfg;
    *out = s;
    return BS_OK;
}

bs_rc wl_configure(cfg_ctx *cx, const cfg_node *node, const char *path, const char *base_dir,
                   wl_spec **out)
{
    *out = NULL;
    if (cfg_expect_map(cx, node, path) != BS_OK) return BS_ERR_INPUT;
    const char *name = NULL;
    bs_rc rc = cfg_get_string(cx, node, path, "type", true, NULL, &name);
    if (rc != BS_OK) return rc;
    const wl_type *type = wl_find(name);
    if (!type) {
        char names[256], what[300], kpath[CFG_PATH_MAX];
        type_names(names, sizeof names);
        snprintf(what, sizeof what, "a workload type (one of: %s)", names);
        cfg_path_key(kpath, path, "type");
        cfg_error_expected(cx, cfg_map_get(node, "type"), kpath, what);
        return BS_ERR_INPUT;
    }
    void *cfg = NULL;
    rc = type->configure(cx, node, path, base_dir ? base_dir : ".", &cfg);
    if (rc != BS_OK) return rc;
    return spec_new(type, cfg, out);
}

bs_rc wl_configure_nested(cfg_ctx *cx, const cfg_node *node, const char *path,
                          const char *base_dir, wl_spec **out)
{
    bs_rc rc = wl_configure(cx, node, path, base_dir, out);
    if (!node || node->kind != CFG_MAP) return rc;
    const cfg_entry *te = cfg_map_entry(node, "type");
    const wl_type *type =
        te && te->val && te->val->kind == CFG_SCALAR ? wl_find(te->val->value) : NULL;
    if (!type) return rc; /* listing keys of an unknown type would only add noise */
    char allowed[512];
    snprintf(allowed, sizeof allowed, "type, %s", type->keys);
    size_t before = cx->errs ? cx->errs->n : 0;
    cfg_check_unknown(cx, node, path, allowed);
    if (cx->errs && cx->errs->n > before && rc == BS_OK) {
        wl_spec_free(*out);
        *out = NULL;
        rc = BS_ERR_INPUT;
    }
    return rc;
}

bs_rc wl_configure_cache(cfg_ctx *cx, const cfg_node *node, const char *path,
                         const char *base_dir, wl_spec **out)
{
    *out = NULL;
    if (node && node->kind == CFG_MAP) return wl_configure_nested(cx, node, path, base_dir, out);
    if (!node || node->kind != CFG_SCALAR) {
        cfg_error_expected(cx, node, path, "a size such as 4GiB or a workload mapping");
        return BS_ERR_INPUT;
    }
    void *cfg = NULL;
    bs_rc rc = wl_constant_configure_scalar(cx, node, path, &cfg);
    if (rc != BS_OK) return rc;
    return spec_new(&wl_type_constant, cfg, out);
}

void wl_spec_free(wl_spec *spec)
{
    if (!spec) return;
    spec->type->free_config(spec->cfg);
    free(spec);
}

bs_rc wl_check_instances(cfg_ctx *cx, const wl_spec *spec, size_t instances)
{
    if (!spec || !spec->type->check_instances) return BS_OK;
    return spec->type->check_instances(cx, spec->cfg, instances);
}

bs_rc wl_instantiate(const wl_spec *spec, const wl_vm_info *vm, wl_gen **out)
{
    assert(spec && vm && vm->name);
    *out = NULL;
    wl_gen *g = calloc(1, sizeof *g);
    if (!g) return BS_ERR_INTERNAL;
    g->type = spec->type;
    g->last_t = 0;
    g->rng = rng_stream_new(vm->seed, vm->name, vm->purpose ? vm->purpose : "demand");
    if (!g->rng) {
        free(g);
        return BS_ERR_INTERNAL;
    }
    bs_rc rc = spec->type->instantiate(spec->cfg, vm, g->rng, &g->state);
    if (rc != BS_OK) {
        gsl_rng_free(g->rng);
        free(g);
        return rc;
    }
    *out = g;
    return BS_OK;
}

bs_pages wl_advance(wl_gen *g, bs_time t, bs_time *next)
{
    assert(t >= g->last_t && t >= 0);
    g->last_t = t;
    bs_time nx = BS_TIME_NEVER;
    bs_pages v = g->type->advance(g->state, t, &nx);
    assert(nx > t);
    *next = nx;
    return v < 0 ? 0 : v;
}

void wl_gen_free(wl_gen *g)
{
    if (!g) return;
    if (g->type->free_state) g->type->free_state(g->state);
    gsl_rng_free(g->rng);
    free(g);
}
