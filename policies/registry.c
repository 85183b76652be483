/* registry.c -- the table of built-in policies, and what every caller of a
 * policy shares.
 *
 * Policies are found by name in one const table, in the order that
 * `balloonsim policies` lists them; adding a policy is one line here and one
 * declaration in pol.h, nothing else to register.  The listing is generated
 * from the same pol_type/pol_param records that the scenario loader checks
 * params against, so what users read cannot drift from what is accepted.
 * pol_decide_all() is the single path into decide() for the engine and for
 * `balloonsim decide`, so a decision tested on a snapshot is the decision
 * that runs. */
#include "policies/pol.h"
#include "sim/base/text.h"
#include "sim/scenario.h"
#include "sim/report/output.h"
#include "sim/base/units.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* Each defined in policies/NAME.c. */
extern const pol_type pol_static;
extern const pol_type pol_proportional;
extern const pol_type pol_scripted;
extern const pol_type pol_mom;
extern const pol_type pol_proxmox;
extern const pol_type pol_squeeze;
extern const pol_type pol_esx;
extern const pol_type pol_hyperv;
extern const pol_type pol_qmemman;
extern const pol_type pol_selfballoon;
extern const pol_type pol_feedback;
extern const pol_type pol_oracle;

/* Listing order is part of the output. */
static const pol_type *const types[] = {
    &pol_static,
    &pol_proportional,
    &pol_scripted,
    &pol_mom,
    &pol_proxmox,
    &pol_squeeze,
    &pol_esx,
    &pol_hyperv,
    &pol_qmemman,
    &pol_selfballoon,
    &pol_feedback,
    &pol_oracle,
    NULL,
};

const pol_type *pol_find(const char *name) {
    if (name == NULL) return NULL;
    for (size_t i = 0; types[i] != NULL; i++)
        if (strcmp(types[i]->name, name) == 0) return types[i];
    return NULL;
}

const pol_type *const *pol_types(void) { return types; }

bs_rc pol_decide_all(const pol_type *type, const void *cfg, void *state, bs_time now,
                     const pol_host_view *host, const pol_vm_view *vms, size_t n,
                     int64_t *targets) {
    assert(type != NULL && host != NULL);
    assert(n == 0 || (vms != NULL && targets != NULL));
    for (size_t i = 0; i < n; i++) targets[i] = POL_LEAVE;
    if (type->decide == NULL) return BS_OK; /* default: leave everything alone */
    return type->decide(cfg, state, now, host, vms, n, targets);
}

/* ---- host ranges ---- */

bs_rc pol_hosts_init(pol_hosts *h, const struct scen *sc) {
    memset(h, 0, sizeof *h);
    if (sc == NULL) return BS_OK;
    size_t n = sc->n_hosts ? sc->n_hosts : 1;
    h->first = calloc(n, sizeof *h->first);
    h->count = calloc(n, sizeof *h->count);
    if (h->first == NULL || h->count == NULL) {
        pol_hosts_free(h);
        return BS_ERR_INTERNAL;
    }
    h->n = sc->n_hosts;
    for (size_t i = 0; i < sc->n_hosts; i++) {
        h->first[i] = sc->hosts[i].first_vm;
        h->count[i] = sc->hosts[i].n_vms;
    }
    return BS_OK;
}

void pol_hosts_free(pol_hosts *h) {
    free(h->first);
    free(h->count);
    memset(h, 0, sizeof *h);
}

bool pol_hosts_range(const pol_hosts *h, size_t host, size_t *first, size_t *count) {
    if (h == NULL || host >= h->n) return false;
    *first = h->first[host];
    *count = h->count[host];
    return true;
}

/* ---- listing ---- */

static size_t count_params(const pol_type *t) {
    size_t n = 0;
    if (t->params != NULL)
        while (t->params[n].name != NULL) n++;
    return n;
}

/* Laid out as Python's json.dumps(indent=2) would: easy to read and to diff. */
static void print_json(FILE *f) {
    fputs("[", f);
    for (size_t i = 0; types[i] != NULL; i++) {
        const pol_type *t = types[i];
        fputs(i ? ",\n  {\n" : "\n  {\n", f);
        fputs("    \"name\": ", f);
        txt_json_string(f, t->name);
        fputs(",\n    \"description\": ", f);
        txt_json_string(f, t->description);
        fputs(",\n    \"params\": [", f);
        size_t np = count_params(t);
        for (size_t k = 0; k < np; k++) {
            const pol_param *p = &t->params[k];
            fputs(k ? ",\n      {\n" : "\n      {\n", f);
            fputs("        \"name\": ", f);
            txt_json_string(f, p->name);
            fputs(",\n        \"default\": ", f);
            txt_json_string(f, p->dflt);
            fputs(",\n        \"unit\": ", f);
            txt_json_string(f, p->unit);
            fputs(",\n        \"description\": ", f);
            txt_json_string(f, p->description);
            fputs("\n      }", f);
        }
        fputs(np ? "\n    ]\n  }" : "]\n  }", f);
    }
    fputs(types[0] != NULL ? "\n]\n" : "]\n", f);
}

static size_t width(const char *s) { return s != NULL ? strlen(s) : 0; }

static void print_text(FILE *f) {
    for (size_t i = 0; types[i] != NULL; i++) {
        const pol_type *t = types[i];
        if (i) fputc('\n', f);
        fprintf(f, "%s\n  %s\n", t->name, t->description);
        if (t->ticks != NULL) {
            fprintf(f, "  interval: - (%s)\n", t->ticks);
        } else {
            char buf[64];
            unit_format_time(buf, sizeof buf, t->default_interval);
            fprintf(f, "  interval: %s\n", buf);
        }
        size_t np = count_params(t);
        if (np == 0) {
            fputs("  params: none\n", f);
            continue;
        }
        /* Column widths from this policy's own rows, header included. */
        size_t wn = strlen("name"), wd = strlen("default"), wu = strlen("unit");
        for (size_t k = 0; k < np; k++) {
            const pol_param *p = &t->params[k];
            wn = BS_MAX(wn, width(p->name));
            wd = BS_MAX(wd, p->dflt != NULL ? width(p->dflt) : strlen("(required)"));
            wu = BS_MAX(wu, width(p->unit));
        }
        fputs("  params:\n", f);
        fprintf(f, "    %-*s  %-*s  %-*s  %s\n", (int)wn, "name", (int)wd, "default",
                (int)wu, "unit", "description");
        for (size_t k = 0; k < np; k++) {
            const pol_param *p = &t->params[k];
            fprintf(f, "    %-*s  %-*s  %-*s  %s\n", (int)wn, p->name, (int)wd,
                    p->dflt != NULL ? p->dflt : "(required)", (int)wu,
                    p->unit != NULL ? p->unit : "", p->description != NULL ? p->description : "");
        }
    }
}

void pol_print_list(FILE *f, bool json) {
    assert(f != NULL);
    if (json) print_json(f);
    else print_text(f);
}
