/* decide.c -- `balloonsim decide`: one policy decision on one stats snapshot.
 *
 * Why it looks like this:
 * - The snapshot is read into the very pol_host_view / pol_vm_view structs
 *   the engine fills, and the decision goes through pol_decide_all(), so
 *   `decide` answers with the code that runs in simulations, not a copy.
 * - Sizes are exact bytes, not pages (docs/decide.md: "whole bytes ... exactly as the
 *   policy computed them"; the simulator rounds only when it applies a
 *   target).  A bare integer is read with strtoll because a double loses
 *   bytes above 2^53; sizes with a unit go through unit_parse_size and are
 *   rounded down to a whole byte.
 * - Every error is collected (cfg_ctx) and printed at the end with
 *   FILE:LINE:COL: KEYPATH, like scenario errors: the snapshot, the --set
 *   params and policy_state are all checked in one go, even when an earlier
 *   part is bad, so one run shows everything to fix.
 * - The JSON answer is built in memory and written only when everything
 *   succeeded: stdout gets either the whole line or nothing, which is what a
 *   script piping it into jq needs.
 * - Only targets that the engine would apply are printed (not for VMs with
 *   the balloon off, shares 0 or locked): "what the policy would set". */
#include "sim/decide.h"
#include "sim/base/text.h"

#include "sim/report/output.h"
#include "sim/base/units.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TOP_KEYS "host, policy_state, vms"
#define HOST_KEYS "memory, reserved, free, available, swap_used, swap_total, request"
#define VM_KEYS                                                                                    \
    "name, memory, min, actual, target, free, available, cache, shares, balloon, committed, "      \
    "active, locked, swap_in, swap_out, major_faults"
#define DEFAULT_SHARES 1000
#define PARAMS_PATH "params"
#define STATE_PATH "policy_state"

/* Threaded through the readers: a bad value does not stop reading, it only
 * remembers that the snapshot cannot be used. */
typedef struct reader {
    cfg_ctx *cx;
    bs_rc rc; /* worst so far: BS_OK, BS_ERR_INPUT or BS_ERR_INTERNAL */
} reader;

/* The more serious of two outcomes (a function, not BS_MAX: arguments are
 * calls that must run once). */
static bs_rc worst(bs_rc a, bs_rc b) { return a > b ? a : b; }

static void note(reader *r, bs_rc rc) { r->rc = worst(r->rc, rc); }

/* ---------------------------------------------------------------- values */

/* `key` of `map` as exact whole bytes; *out = dflt when absent (and not
 * required).  *at is the value's node (NULL when absent), for later checks. */
static void read_bytes(reader *r, const cfg_node *map, const char *path, const char *key,
                       bool required, int64_t dflt, int64_t *out, const cfg_node **at) {
    *out = dflt;
    *at = cfg_map_get(map, key);
    if (*at == NULL) {
        if (required) {
            cfg_error(r->cx, map, path, "missing required key '%s'", key);
            note(r, BS_ERR_INPUT);
        }
        return;
    }
    char vp[CFG_PATH_MAX];
    cfg_path_key(vp, path, key);
    double b;
    if (cfg_as_value(r->cx, *at, vp, UNIT_SIZE, &b) != BS_OK) {
        note(r, BS_ERR_INPUT);
        *at = NULL; /* no value to check against */
        return;
    }
    /* Digits only: exact (cfg_as_value has checked the 2^62 limit). */
    const char *t = (*at)->value;
    if (*t == '+') t++;
    if (*t != '\0' && strspn(t, "0123456789") == strlen(t)) {
        errno = 0;
        long long v = strtoll(t, NULL, 10);
        if (errno == 0) {
            *out = v;
            return;
        }
    }
    *out = (int64_t)floor(b);
}

static void read_uint(reader *r, const cfg_node *map, const char *path, const char *key,
                      int64_t dflt, int64_t *out) {
    note(r, cfg_get_uint(r->cx, map, path, key, false, dflt, out));
}

static void read_bool(reader *r, const cfg_node *map, const char *path, const char *key,
                      bool dflt, bool *out) {
    note(r, cfg_get_bool(r->cx, map, path, key, false, dflt, out));
}

/* A size that must be above 0 (memory of a host or VM). */
static void check_positive(reader *r, const cfg_node *at, const char *path, const char *key,
                           int64_t v, const char *example) {
    if (at == NULL || v > 0) return;
    char vp[CFG_PATH_MAX], what[64];
    cfg_path_key(vp, path, key);
    snprintf(what, sizeof what, "a size above 0, such as %s", example);
    cfg_error_expected(r->cx, at, vp, what);
    note(r, BS_ERR_INPUT);
}

/* `key` (at `at`, value v) must not exceed `memory` (written as mem_at's text). */
static void check_le_memory(reader *r, const cfg_node *at, const char *path, const char *key,
                            int64_t v, const cfg_node *mem_at, int64_t memory) {
    if (at == NULL || mem_at == NULL || v <= memory) return;
    char vp[CFG_PATH_MAX], what[CFG_PATH_MAX];
    cfg_path_key(vp, path, key);
    snprintf(what, sizeof what, "a%s %s no larger than memory (%.64s)",
             strchr("aeiou", key[0]) ? "n" : "", key, mem_at->value);
    cfg_error_expected(r->cx, at, vp, what);
    note(r, BS_ERR_INPUT);
}

/* ---------------------------------------------------------------- host */

typedef struct host_given {
    const cfg_node *memory, *free, *available;
} host_given;

static void read_host(reader *r, const cfg_node *hn, pol_host_view *h, host_given *g) {
    const char *p = "host";
    const cfg_node *at;
    read_bytes(r, hn, p, "memory", true, 0, &h->memory, &g->memory);
    check_positive(r, g->memory, p, "memory", h->memory, "16GiB");
    read_bytes(r, hn, p, "reserved", false, 0, &h->reserved, &at);
    if (at != NULL && g->memory != NULL && h->memory > 0 && h->reserved >= h->memory) {
        char what[128];
        snprintf(what, sizeof what, "a reserved below memory (%.64s)", g->memory->value);
        cfg_error_expected(r->cx, at, "host.reserved", what);
        note(r, BS_ERR_INPUT);
    }
    read_bytes(r, hn, p, "free", false, 0, &h->free, &g->free);
    read_bytes(r, hn, p, "available", false, 0, &h->available, &g->available);
    read_bytes(r, hn, p, "swap_used", false, 0, &h->swap_used, &at);
    read_bytes(r, hn, p, "swap_total", false, 0, &h->swap_total, &at);
    read_bytes(r, hn, p, "request", false, 0, &h->request, &at);
    cfg_check_unknown(r->cx, hn, p, HOST_KEYS);
}

/* Host free/available left out: each defaults to the other; with neither,
 * what the guests leave of memory - reserved (the engine's host view without
 * overhead), so a minimal snapshot still describes a consistent host. */
static void host_defaults(pol_host_view *h, const host_given *g, const pol_vm_view *vms,
                          size_t n) {
    if (g->free == NULL && g->available == NULL) {
        int64_t left = h->memory - h->reserved; /* both in [0, 2^62] */
        for (size_t i = 0; i < n && left > 0; i++) left -= BS_MIN(vms[i].actual, left);
        h->free = h->available = BS_MAX(left, 0);
    } else if (g->free == NULL) {
        h->free = h->available;
    } else if (g->available == NULL) {
        h->available = h->free;
    }
}

/* ---------------------------------------------------------------- VMs */

static void read_vm(reader *r, const cfg_node *vn, const char *p, pol_vm_view *v,
                    const cfg_node **name_at) {
    const cfg_node *mem, *min, *actual, *target, *free, *avail, *at;
    *v = (pol_vm_view){.vm = SIZE_MAX, .committed = -1, .active = -1};
    *name_at = cfg_map_get(vn, "name"); /* before the getter: it marks, we keep the node */
    bs_rc rc = cfg_get_string(r->cx, vn, p, "name", true, NULL, &v->name);
    note(r, rc);
    if (rc == BS_OK && v->name[0] == '\0') {
        char np[CFG_PATH_MAX];
        cfg_path_key(np, p, "name");
        cfg_error_expected(r->cx, *name_at, np, "a non-empty name");
        note(r, BS_ERR_INPUT);
    }
    if (rc != BS_OK || v->name[0] == '\0') *name_at = NULL;

    read_bytes(r, vn, p, "memory", true, 0, &v->max, &mem);
    check_positive(r, mem, p, "memory", v->max, "4GiB");
    read_bytes(r, vn, p, "min", false, 0, &v->min, &min);
    check_le_memory(r, min, p, "min", v->min, mem, v->max);
    read_bytes(r, vn, p, "actual", true, 0, &v->actual, &actual);
    check_le_memory(r, actual, p, "actual", v->actual, mem, v->max);
    read_bytes(r, vn, p, "target", false, v->actual, &v->target, &target);
    check_le_memory(r, target, p, "target", v->target, mem, v->max);
    read_bytes(r, vn, p, "free", false, 0, &v->free, &free);
    read_bytes(r, vn, p, "available", false, 0, &v->available, &avail);
    read_bytes(r, vn, p, "cache", false, 0, &v->cache, &at);
    /* available = F + C (docs/model.md): a missing one follows from the others. */
    if (avail == NULL && cfg_map_entry(vn, "available") == NULL)
        v->available = v->free + v->cache;
    else if (free == NULL && cfg_map_entry(vn, "free") == NULL)
        v->free = BS_MAX(v->available - v->cache, 0);
    read_uint(r, vn, p, "shares", DEFAULT_SHARES, &v->shares);
    read_bool(r, vn, p, "balloon", true, &v->balloon);
    read_bytes(r, vn, p, "committed", false, -1, &v->committed, &at);
    read_bytes(r, vn, p, "active", false, -1, &v->active, &at);
    read_bool(r, vn, p, "locked", false, &v->locked);
    read_bytes(r, vn, p, "swap_in", false, 0, &v->swap_in, &at);
    read_bytes(r, vn, p, "swap_out", false, 0, &v->swap_out, &at);
    read_uint(r, vn, p, "major_faults", 0, &v->major_faults);
    cfg_check_unknown(r->cx, vn, p, VM_KEYS);
}

typedef struct name_ref {
    const char *name;
    size_t i; /* position in the file */
} name_ref;

static int name_ref_cmp(const void *a, const void *b) {
    const name_ref *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c != 0) return c;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* Every VM whose name an earlier VM already has, in file order, pointing at
 * the first one.  Sorting keeps this O(n log n) for big hosts. */
static void check_duplicates(reader *r, const dec_snapshot *s, const cfg_node *const *name_at,
                             const cfg_node *list) {
    name_ref *refs = malloc((s->n_vms + 1) * sizeof *refs);
    size_t *first = malloc((s->n_vms + 1) * sizeof *first); /* first VM with my name */
    if (refs == NULL || first == NULL) {
        free(refs);
        free(first);
        note(r, BS_ERR_INTERNAL);
        return;
    }
    size_t n = 0;
    for (size_t i = 0; i < s->n_vms; i++) {
        first[i] = i;
        if (name_at[i] != NULL) refs[n++] = (name_ref){s->vms[i].name, i};
    }
    qsort(refs, n, sizeof *refs, name_ref_cmp);
    for (size_t k = 1; k < n; k++)
        if (strcmp(refs[k].name, refs[k - 1].name) == 0) first[refs[k].i] = first[refs[k - 1].i];
    for (size_t i = 0; i < s->n_vms; i++) {
        if (first[i] == i) continue;
        char p[CFG_PATH_MAX], fp[CFG_PATH_MAX], np[CFG_PATH_MAX];
        cfg_path_index(p, "vms", i);
        cfg_path_key(np, p, "name");
        cfg_path_index(fp, "vms", first[i]);
        cfg_error(r->cx, name_at[i], np, "duplicate VM name '%s' (%s, line %d, has it too)",
                  s->vms[i].name, fp, list->entries[first[i]].line);
        note(r, BS_ERR_INPUT);
    }
    free(refs);
    free(first);
}

static void read_vms(reader *r, const cfg_node *list, dec_snapshot *s) {
    s->vms = calloc(list->n + 1, sizeof *s->vms);
    const cfg_node **name_at = calloc(list->n + 1, sizeof *name_at);
    if (s->vms == NULL || name_at == NULL) {
        free(name_at);
        note(r, BS_ERR_INTERNAL);
        return;
    }
    for (size_t i = 0; i < list->n; i++) {
        char p[CFG_PATH_MAX];
        cfg_path_index(p, "vms", i);
        const cfg_node *vn = list->entries[i].val;
        s->n_vms = i + 1; /* positions stay those of the file */
        if (cfg_expect_map(r->cx, vn, p) != BS_OK) {
            note(r, BS_ERR_INPUT);
            s->vms[i] = (pol_vm_view){.vm = SIZE_MAX, .committed = -1, .active = -1};
            continue;
        }
        read_vm(r, vn, p, &s->vms[i], &name_at[i]);
    }
    check_duplicates(r, s, name_at, list);
    free(name_at);
}

/* ---------------------------------------------------------------- snapshot */

bs_rc dec_snapshot_read(cfg_ctx *cx, const cfg_node *root, dec_snapshot *out) {
    assert(cx != NULL && out != NULL);
    *out = (dec_snapshot){.host = {.name = "host", .host = SIZE_MAX}};
    reader r = {.cx = cx, .rc = BS_OK};
    if (cfg_expect_map(cx, root, "") != BS_OK) return BS_ERR_INPUT;

    host_given given = {0};
    const cfg_node *hn = cfg_map_get(root, "host");
    if (hn == NULL) {
        cfg_error(cx, root, "", "missing required key 'host'");
        note(&r, BS_ERR_INPUT);
    } else if (cfg_expect_map(cx, hn, "host") != BS_OK) {
        note(&r, BS_ERR_INPUT);
    } else {
        read_host(&r, hn, &out->host, &given);
    }

    const cfg_node *ps = cfg_map_get(root, STATE_PATH);
    if (ps != NULL && !cfg_is_null(ps)) {
        if (cfg_expect_map(cx, ps, STATE_PATH) == BS_OK) out->policy_state = ps;
        else note(&r, BS_ERR_INPUT);
    }

    const cfg_node *list = cfg_map_get(root, "vms");
    if (list == NULL) {
        cfg_error(cx, root, "", "missing required key 'vms'");
        note(&r, BS_ERR_INPUT);
    } else if (cfg_expect_seq(cx, list, "vms") != BS_OK) {
        note(&r, BS_ERR_INPUT);
    } else {
        read_vms(&r, list, out);
    }
    if (hn != NULL && hn->kind == CFG_MAP) host_defaults(&out->host, &given, out->vms, out->n_vms);
    cfg_check_unknown(cx, root, "", TOP_KEYS);
    for (size_t i = 0; i < root->n; i++)
        if (!root->entries[i].used) note(&r, BS_ERR_INPUT);
    return r.rc;
}

void dec_snapshot_free(dec_snapshot *s) {
    if (s == NULL) return;
    free(s->vms);
    s->vms = NULL;
    s->n_vms = 0;
}

/* ---------------------------------------------------------------- params */

bs_rc dec_params(cfg_ctx *cx, const char *const *sets, size_t n, cfg_node **params) {
    assert(cx != NULL && params != NULL && (n == 0 || sets != NULL));
    *params = NULL;
    if (n == 0) return BS_OK;
    cfg_node *map = cfg_new_map(cx->doc, "--set", 0, 0);
    if (map == NULL) return BS_ERR_INTERNAL;
    bs_rc rc = BS_OK;
    for (size_t i = 0; i < n; i++) {
        const char *eq = strchr(sets[i], '=');
        if (eq == NULL || eq == sets[i]) {
            cfg_error_at(cx, "--set", 0, 0, NULL, "'%s': expected PARAM=VALUE", sets[i]);
            rc = worst(rc, BS_ERR_INPUT);
            continue;
        }
        char *key = strndup(sets[i], (size_t)(eq - sets[i]));
        if (key == NULL) return BS_ERR_INTERNAL;
        bs_rc r = cfg_set_path(cx->doc, map, key, eq + 1, "--set", cx->errs);
        free(key);
        if (r == BS_ERR_INTERNAL) return r;
        rc = worst(rc, r);
    }
    *params = map;
    return rc;
}

/* ---------------------------------------------------------------- decision */

/* "a, b, c": the names of type's params, as the scenario loader lists them. */
static void param_names(const pol_type *type, char *buf, size_t len) {
    size_t used = 0;
    buf[0] = '\0';
    for (const pol_param *pp = type->params; pp != NULL && pp->name != NULL; pp++) {
        int w = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", pp->name);
        if (w < 0 || (size_t)w >= len - used) break;
        used += (size_t)w;
    }
}

/* policy_state into the state; every key the policy did not read is an
 * error (a policy without state_load reads none: its state must be empty). */
static bs_rc load_state(cfg_ctx *cx, const pol_type *type, const cfg_node *ps, void *state) {
    bs_rc rc = BS_OK;
    bool loads = type->state_load != NULL && state != NULL;
    if (loads) rc = type->state_load(cx, ps, STATE_PATH, state);
    if (ps == NULL) return rc;
    for (size_t i = 0; i < ps->n; i++) {
        const cfg_entry *e = &ps->entries[i];
        if (e->used) continue;
        char kp[CFG_PATH_MAX];
        cfg_path_key(kp, STATE_PATH, e->key);
        if (loads)
            cfg_error_at(cx, e->val->file, e->line, e->col, kp,
                         "unknown key '%s' (not part of the state of policy '%s')", e->key,
                         type->name);
        else
            cfg_error_at(cx, e->val->file, e->line, e->col, kp,
                         "unknown key '%s' (policy '%s' carries no state)", e->key, type->name);
        rc = worst(rc, BS_ERR_INPUT);
    }
    return rc;
}

/* The engine applies a target only to a VM it may balloon (engine.c
 * on_tick); `locked` VMs are left alone as docs/decide.md requires of policies. */
static bool applies(const pol_vm_view *v, int64_t target) {
    return target != POL_LEAVE && target >= 0 && v->balloon && v->shares > 0 && !v->locked;
}

/* Copy JSON text onto one line: a newline and the indentation after it
 * become one space after ',' or ':' and nothing elsewhere.  Raw newlines
 * cannot occur inside JSON strings, so no token is changed. */
static void put_one_line(FILE *f, const char *s, size_t len) {
    while (len > 0 && strchr(" \t\r\n", s[len - 1]) != NULL) len--;
    size_t i = 0;
    while (i < len && strchr(" \t\r\n", s[i]) != NULL) i++;
    char prev = '\0';
    while (i < len) {
        if (s[i] == '\n' || s[i] == '\r') {
            while (i < len && strchr(" \t\r\n", s[i]) != NULL) i++;
            if (prev == ',' || prev == ':') putc(' ', f);
            continue;
        }
        if (s[i] != ' ' && s[i] != '\t') prev = s[i];
        putc(s[i++], f);
    }
}

static bs_rc dump_state(FILE *m, const pol_type *type, const void *state) {
    if (type->state_dump == NULL || state == NULL) {
        fputs("{}", m);
        return BS_OK;
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *sm = open_memstream(&buf, &len);
    if (sm == NULL) return BS_ERR_INTERNAL;
    type->state_dump(sm, state);
    if (fclose(sm) != 0) {
        free(buf);
        return BS_ERR_INTERNAL;
    }
    size_t lead = strspn(buf, " \t\r\n");
    if (lead == len) fputs("{}", m); /* dumped nothing: carries nothing */
    else put_one_line(m, buf, len);
    free(buf);
    return BS_OK;
}

static bs_rc write_answer(FILE *out, const pol_type *type, const void *state,
                          const dec_snapshot *snap, const int64_t *targets) {
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (m == NULL) return BS_ERR_INTERNAL;
    fputs("{\"targets\": {", m);
    bool first = true;
    for (size_t i = 0; i < snap->n_vms; i++) {
        if (!applies(&snap->vms[i], targets[i])) continue;
        if (!first) fputs(", ", m);
        txt_json_string(m, snap->vms[i].name);
        fprintf(m, ": %" PRId64, targets[i]);
        first = false;
    }
    fputs("}, \"policy_state\": ", m);
    bs_rc rc = dump_state(m, type, state);
    fputs("}\n", m);
    if (fclose(m) != 0) rc = BS_ERR_INTERNAL;
    if (rc == BS_OK && (fwrite(buf, 1, len, out) != len || fflush(out) != 0))
        rc = BS_ERR_INTERNAL;
    free(buf);
    return rc;
}

bs_rc dec_decide(cfg_ctx *cx, const pol_type *type, const dec_snapshot *snap,
                 const cfg_node *params, FILE *out) {
    assert(cx != NULL && type != NULL && snap != NULL);
    /* A policy that loads state must be able to make one. */
    assert(type->state_load == NULL || type->state_new != NULL);
    size_t before = cx->errs->n;
    bs_rc rc = BS_OK;
    void *cfg = NULL, *state = NULL;

    if (type->configure != NULL)
        rc = type->configure(cx, params, PARAMS_PATH, NULL, &cfg);
    bool configured = rc == BS_OK && cx->errs->n == before;
    if (params != NULL) {
        char allowed[1024];
        allowed[0] = '\0';
        if (type->configure != NULL) param_names(type, allowed, sizeof allowed);
        size_t n = cx->errs->n;
        cfg_check_unknown(cx, params, PARAMS_PATH, allowed);
        if (cx->errs->n > n) rc = worst(rc, BS_ERR_INPUT);
    }
    /* The state needs a config; without one only the keys can be checked. */
    if (configured && type->state_new != NULL) {
        bs_rc r = type->state_new(cfg, SIZE_MAX, &state);
        if (r != BS_OK) state = NULL;
        rc = worst(rc, r);
    }
    if (rc != BS_ERR_INTERNAL && (configured || type->state_load == NULL))
        rc = worst(rc, load_state(cx, type, snap->policy_state, state));
    if (cx->errs->n > before) rc = worst(rc, BS_ERR_INPUT);

    if (rc == BS_OK && out != NULL) {
        int64_t *targets = malloc((snap->n_vms + 1) * sizeof *targets);
        if (targets == NULL) rc = BS_ERR_INTERNAL;
        if (rc == BS_OK)
            rc = pol_decide_all(type, cfg, state, 0, &snap->host, snap->vms, snap->n_vms, targets);
        if (rc != BS_OK)
            cfg_error_at(cx, NULL, 0, 0, NULL, "policy '%s' could not decide%s", type->name,
                         rc == BS_ERR_INTERNAL ? " (internal error)" : "");
        else
            rc = write_answer(out, type, state, snap, targets);
        free(targets);
    }
    if (state != NULL && type->free_state != NULL) type->free_state(state);
    if (cfg != NULL && type->free_config != NULL) type->free_config(cfg);
    return rc;
}
