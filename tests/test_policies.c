/* test_policies.c -- the policy registry and the built-in policies of the core
 * (static, proportional, scripted).
 *
 * Expected targets come from hand calculations written next to each case, or
 * (for the randomized proportional cases) from the optimality conditions of
 * water-filling checked directly, never from the code under test. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policies/pol.h"
#include "sim/base/cfg.h"
#include "sim/scenario.h"

/* Policies under test, defined in policies/NAME.c (not in pol.h: callers
 * elsewhere find them by name through the registry). */
extern const pol_type pol_static;
extern const pol_type pol_proportional;
extern const pol_type pol_scripted;

#define KiB 1024LL
#define MiB (1024LL * KiB)
#define GiB (1024LL * MiB)
#define SEC BS_NS_PER_S

/* ------------------------------------------------------------------ */
/* helpers                                                             */

static char *capture_list(bool json) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    pol_print_list(f, json);
    assert_int_equal(fclose(f), 0);
    return buf;
}

static pol_vm_view vm(const char *name, int64_t min, int64_t max, int64_t shares, int64_t actual) {
    return (pol_vm_view){.name = name, .vm = SIZE_MAX, .actual = actual, .target = actual,
                         .max = max, .min = min, .shares = shares, .committed = -1,
                         .active = -1, .balloon = true};
}

static pol_host_view host(int64_t memory, int64_t reserved) {
    return (pol_host_view){.name = "h", .host = SIZE_MAX, .memory = memory, .reserved = reserved};
}

/* Runs proportional as the engine would: configure, per-host state, decide. */
static void run_prop(const pol_host_view *h, const pol_vm_view *vms, size_t n, int64_t *targets) {
    const pol_type *t = &pol_proportional;
    cfg_errs errs = {0};
    cfg_ctx cx = {.errs = &errs};
    void *cfg = NULL, *state = NULL;
    assert_int_equal(t->configure(&cx, NULL, "policy.params", NULL, &cfg), BS_OK);
    assert_int_equal(t->state_new(cfg, 0, &state), BS_OK);
    assert_int_equal(pol_decide_all(t, cfg, state, 10 * SEC, h, vms, n, targets), BS_OK);
    t->free_state(state);
    t->free_config(cfg);
    assert_int_equal(errs.n, 0);
}

/* ------------------------------------------------------------------ */
/* registry                                                            */

static void test_find(void **s) {
    (void)s;
    assert_ptr_equal(pol_find("static"), &pol_static);
    assert_ptr_equal(pol_find("proportional"), &pol_proportional);
    assert_ptr_equal(pol_find("scripted"), &pol_scripted);
    assert_null(pol_find("Static"));
    assert_null(pol_find("stati"));
    assert_null(pol_find(""));
    assert_null(pol_find(NULL));
}

static void test_types_order(void **s) {
    (void)s;
    const pol_type *const *t = pol_types();
    assert_ptr_equal(t[0], &pol_static);
    assert_ptr_equal(t[1], &pol_proportional);
    assert_ptr_equal(t[2], &pol_scripted);
    size_t n = 0;
    for (; t[n] != NULL; n++) {
        /* every type can be found by its own name and is described */
        assert_ptr_equal(pol_find(t[n]->name), t[n]);
        assert_non_null(t[n]->description);
        assert_true(t[n]->default_interval > 0);
        for (const pol_param *p = t[n]->params; p != NULL && p->name != NULL; p++) {
            assert_non_null(p->unit);
            assert_non_null(p->description);
        }
    }
    assert_true(n >= 3);
}

static int64_t decide_seen[4];
static bs_rc spy_decide(const void *cfg, void *state, bs_time now, const pol_host_view *h,
                        const pol_vm_view *vms, size_t n, int64_t *targets) {
    (void)cfg, (void)state, (void)now, (void)h, (void)vms;
    for (size_t i = 0; i < n; i++) decide_seen[i] = targets[i];
    targets[1] = 5 * GiB;
    return BS_OK;
}

static void test_decide_all_presets_leave(void **s) {
    (void)s;
    pol_type spy = {.name = "spy", .decide = spy_decide};
    pol_host_view h = host(16 * GiB, 0);
    pol_vm_view v[3] = {vm("a", 0, GiB, 1, GiB), vm("b", 0, GiB, 1, GiB), vm("c", 0, GiB, 1, GiB)};
    int64_t targets[3] = {7, 8, 9};
    assert_int_equal(pol_decide_all(&spy, NULL, NULL, 0, &h, v, 3, targets), BS_OK);
    for (int i = 0; i < 3; i++) assert_int_equal(decide_seen[i], POL_LEAVE);
    assert_int_equal(targets[0], POL_LEAVE);
    assert_int_equal(targets[1], 5 * GiB);
    assert_int_equal(targets[2], POL_LEAVE);

    /* NULL decide: the default leaves everything alone */
    pol_type none = {.name = "none"};
    int64_t t2[2] = {7, 8};
    assert_int_equal(pol_decide_all(&none, NULL, NULL, 0, &h, v, 2, t2), BS_OK);
    assert_int_equal(t2[0], POL_LEAVE);
    assert_int_equal(t2[1], POL_LEAVE);
}

/* ---- a minimal JSON reader, enough to check the listing's shape ---- */

typedef struct jv {
    char type; /* 'o' object, 'a' array, 's' string, 'n' null, 'l' other literal */
    char *str; /* string value */
    size_t n;
    char **keys;      /* object keys */
    struct jv **kids; /* object values / array items */
} jv;

static void jfree(jv *v) {
    if (v == NULL) return;
    for (size_t i = 0; i < v->n; i++) {
        if (v->keys) free(v->keys[i]);
        jfree(v->kids[i]);
    }
    free(v->keys);
    free(v->kids);
    free(v->str);
    free(v);
}

static void jws(const char **p) {
    while (**p == ' ' || **p == '\n' || **p == '\t' || **p == '\r') (*p)++;
}

static char *jstring(const char **p) {
    if (**p != '"') return NULL;
    (*p)++;
    char *out = malloc(strlen(*p) + 1);
    size_t k = 0;
    while (**p != '"') {
        unsigned char c = (unsigned char)**p;
        if (c == '\0' || c < 0x20) {
            free(out);
            return NULL;
        }
        if (c == '\\') {
            (*p)++;
            switch (**p) {
            case '"': out[k++] = '"'; break;
            case '\\': out[k++] = '\\'; break;
            case '/': out[k++] = '/'; break;
            case 'n': out[k++] = '\n'; break;
            case 't': out[k++] = '\t'; break;
            case 'r': out[k++] = '\r'; break;
            case 'b': out[k++] = '\b'; break;
            case 'f': out[k++] = '\f'; break;
            case 'u': out[k++] = '?'; *p += 4; break;
            default: free(out); return NULL;
            }
            (*p)++;
        } else {
            out[k++] = (char)c;
            (*p)++;
        }
    }
    (*p)++;
    out[k] = '\0';
    return out;
}

static jv *jvalue(const char **p);

static jv *jcontainer(const char **p, char type) {
    jv *v = calloc(1, sizeof *v);
    v->type = type;
    char close = type == 'o' ? '}' : ']';
    (*p)++;
    jws(p);
    if (**p == close) {
        (*p)++;
        return v;
    }
    for (;;) {
        v->kids = realloc(v->kids, (v->n + 1) * sizeof *v->kids);
        if (type == 'o') {
            v->keys = realloc(v->keys, (v->n + 1) * sizeof *v->keys);
            jws(p);
            v->keys[v->n] = jstring(p);
            v->kids[v->n] = NULL;
            v->n++;
            if (v->keys[v->n - 1] == NULL) goto bad;
            jws(p);
            if (**p != ':') goto bad;
            (*p)++;
            v->kids[v->n - 1] = jvalue(p);
            if (v->kids[v->n - 1] == NULL) goto bad;
        } else {
            v->kids[v->n++] = jvalue(p);
            if (v->kids[v->n - 1] == NULL) goto bad;
        }
        jws(p);
        if (**p == ',') {
            (*p)++;
            continue;
        }
        if (**p == close) {
            (*p)++;
            return v;
        }
        goto bad;
    }
bad:
    jfree(v);
    return NULL;
}

static jv *jvalue(const char **p) {
    jws(p);
    if (**p == '{') return jcontainer(p, 'o');
    if (**p == '[') return jcontainer(p, 'a');
    if (**p == '"') {
        char *s = jstring(p);
        if (s == NULL) return NULL;
        jv *v = calloc(1, sizeof *v);
        v->type = 's';
        v->str = s;
        return v;
    }
    if (strncmp(*p, "null", 4) == 0) {
        *p += 4;
        jv *v = calloc(1, sizeof *v);
        v->type = 'n';
        return v;
    }
    return NULL; /* the listing has no numbers or booleans */
}

static const jv *jget(const jv *o, const char *key) {
    for (size_t i = 0; i < o->n; i++)
        if (strcmp(o->keys[i], key) == 0) return o->kids[i];
    return NULL;
}

static void assert_keys(const jv *o, const char *const *keys, size_t n) {
    assert_int_equal(o->type, 'o');
    assert_int_equal(o->n, n);
    for (size_t i = 0; i < n; i++) assert_string_equal(o->keys[i], keys[i]);
}

static void test_list_json(void **s) {
    (void)s;
    char *out = capture_list(true);
    size_t len = strlen(out);
    /* exactly one trailing newline */
    assert_true(len >= 2);
    assert_int_equal(out[len - 1], '\n');
    assert_true(out[len - 2] != '\n');

    const char *p = out;
    jv *root = jvalue(&p);
    assert_non_null(root);
    jws(&p);
    assert_int_equal(*p, '\0'); /* nothing after the array */
    assert_int_equal(root->type, 'a');

    const pol_type *const *types = pol_types();
    size_t nt = 0;
    while (types[nt] != NULL) nt++;
    assert_int_equal(root->n, nt);
    static const char *const pkeys[] = {"name", "description", "params"};
    static const char *const qkeys[] = {"name", "default", "unit", "description"};
    for (size_t i = 0; i < nt; i++) {
        const jv *o = root->kids[i];
        assert_keys(o, pkeys, 3);
        assert_string_equal(jget(o, "name")->str, types[i]->name);
        assert_string_equal(jget(o, "description")->str, types[i]->description);
        const jv *params = jget(o, "params");
        assert_int_equal(params->type, 'a');
        for (size_t k = 0; k < params->n; k++) assert_keys(params->kids[k], qkeys, 4);
    }
    assert_string_equal(jget(root->kids[0], "name")->str, "static");
    assert_string_equal(jget(root->kids[1], "name")->str, "proportional");
    assert_string_equal(jget(root->kids[2], "name")->str, "scripted");
    assert_int_equal(jget(root->kids[0], "params")->n, 0);
    assert_int_equal(jget(root->kids[1], "params")->n, 0);
    const jv *sp = jget(root->kids[2], "params");
    assert_int_equal(sp->n, 1);
    assert_string_equal(jget(sp->kids[0], "name")->str, "targets");
    assert_int_equal(jget(sp->kids[0], "default")->type, 'n'); /* required: no default */
    assert_string_equal(jget(sp->kids[0], "unit")->str, "list");

    /* deterministic */
    char *again = capture_list(true);
    assert_string_equal(out, again);
    free(again);
    jfree(root);
    free(out);
}

static void test_list_text(void **s) {
    (void)s;
    char *out = capture_list(false);
    const char *st = strstr(out, "static\n");
    const char *pr = strstr(out, "proportional\n");
    const char *sc = strstr(out, "scripted\n");
    assert_true(st == out);
    assert_non_null(pr);
    assert_non_null(sc);
    assert_true(st < pr && pr < sc);
    assert_non_null(strstr(pr, "interval: 10s\n")); /* proportional's default */
    assert_non_null(strstr(out, "never ticks"));
    const char *tg = strstr(sc, "targets");
    assert_non_null(tg);
    assert_non_null(strstr(sc, "(required)"));
    assert_non_null(strstr(sc, "list"));
    assert_int_equal(out[strlen(out) - 1], '\n');
    free(out);
}

/* ------------------------------------------------------------------ */
/* static                                                              */

static void test_static(void **s) {
    (void)s;
    const pol_type *t = &pol_static;
    pol_host_view h = host(4 * GiB, 0); /* heavily overcommitted: still nothing */
    pol_vm_view v[2] = {vm("a", 0, 8 * GiB, 1000, 8 * GiB), vm("b", GiB, 8 * GiB, 1000, 2 * GiB)};
    int64_t targets[2] = {1, 2};
    for (bs_time now = 0; now < 100 * SEC; now += 10 * SEC) {
        assert_int_equal(pol_decide_all(t, NULL, NULL, now, &h, v, 2, targets), BS_OK);
        assert_int_equal(targets[0], POL_LEAVE);
        assert_int_equal(targets[1], POL_LEAVE);
    }
    assert_null(t->params);
    assert_non_null(t->next_tick);
    assert_int_equal(t->next_tick(NULL, NULL, 0, -1, 10 * SEC), BS_TIME_NEVER);
    assert_int_equal(t->next_tick(NULL, NULL, 3, 0, 10 * SEC), BS_TIME_NEVER);
    assert_int_equal(t->next_tick(NULL, NULL, 0, 3600 * SEC, SEC), BS_TIME_NEVER);
}

/* ------------------------------------------------------------------ */
/* proportional                                                        */

static void test_prop_equal_shares(void **s) {
    (void)s;
    pol_host_view h = host(16 * GiB, 0);
    pol_vm_view v[4];
    for (int i = 0; i < 4; i++) v[i] = vm("x", 0, 8 * GiB, 1000, 2 * GiB);
    int64_t t[4];
    run_prop(&h, v, 4, t);
    for (int i = 0; i < 4; i++) assert_int_equal(t[i], 16 * GiB / 4);
}

static void test_prop_two_to_one(void **s) {
    (void)s;
    pol_host_view h = host(10 * GiB, GiB); /* pool 9 GiB */
    pol_vm_view v[2] = {vm("a", 0, 16 * GiB, 2000, GiB), vm("b", 0, 16 * GiB, 1000, GiB)};
    int64_t t[2];
    run_prop(&h, v, 2, t);
    assert_int_equal(t[0], 6 * GiB);
    assert_int_equal(t[1], 3 * GiB);
}

static void test_prop_clamp_max_resplits(void **s) {
    (void)s;
    pol_host_view h = host(12 * GiB, 0);
    /* equal share 4 GiB; a is capped at 2, the other two share 10: 5 each */
    pol_vm_view v[3] = {vm("a", 0, 2 * GiB, 1000, GiB), vm("b", 0, 16 * GiB, 1000, GiB),
                        vm("c", 0, 16 * GiB, 1000, GiB)};
    int64_t t[3];
    run_prop(&h, v, 3, t);
    assert_int_equal(t[0], 2 * GiB);
    assert_int_equal(t[1], 5 * GiB);
    assert_int_equal(t[2], 5 * GiB);

    /* cascade: 4 each -> a capped at 1; 11 / 2 = 5.5 -> b capped at 3; c gets 8 */
    pol_vm_view w[3] = {vm("a", 0, 1 * GiB, 1000, GiB), vm("b", 0, 3 * GiB, 1000, GiB),
                        vm("c", 0, 100 * GiB, 1000, GiB)};
    run_prop(&h, w, 3, t);
    assert_int_equal(t[0], 1 * GiB);
    assert_int_equal(t[1], 3 * GiB);
    assert_int_equal(t[2], 8 * GiB);
}

static void test_prop_clamp_min(void **s) {
    (void)s;
    pol_host_view h = host(10 * GiB, 0);
    /* by shares 1:1:8 -> 1, 1, 8 GiB; a and b are held at their min of 2 GiB,
     * c gets what is left: 6 GiB */
    pol_vm_view v[3] = {vm("a", 2 * GiB, 8 * GiB, 1000, GiB), vm("b", 2 * GiB, 8 * GiB, 1000, GiB),
                        vm("c", 2 * GiB, 8 * GiB, 8000, GiB)};
    int64_t t[3];
    run_prop(&h, v, 3, t);
    assert_int_equal(t[0], 2 * GiB);
    assert_int_equal(t[1], 2 * GiB);
    assert_int_equal(t[2], 6 * GiB);
}

static void test_prop_disabled_balloon_subtracted(void **s) {
    (void)s;
    pol_host_view h = host(16 * GiB, 2 * GiB);
    pol_vm_view v[3] = {vm("fixed", 4 * GiB, 4 * GiB, 1000, 4 * GiB), vm("a", 0, 16 * GiB, 1000, GiB),
                        vm("b", 0, 16 * GiB, 1000, GiB)};
    v[0].balloon = false;
    int64_t t[3];
    run_prop(&h, v, 3, t);
    /* pool = 16 - 2 - 4 = 10 GiB */
    assert_int_equal(t[0], POL_LEAVE);
    assert_int_equal(t[1], 5 * GiB);
    assert_int_equal(t[2], 5 * GiB);
}

static void test_prop_zero_shares_left_alone(void **s) {
    (void)s;
    pol_host_view h = host(16 * GiB, 0);
    pol_vm_view v[3] = {vm("a", 0, 16 * GiB, 1000, GiB), vm("never", 0, 8 * GiB, 0, 3 * GiB),
                        vm("b", 0, 16 * GiB, 3000, GiB)};
    int64_t t[3];
    run_prop(&h, v, 3, t);
    /* pool = 16 - 3 (actual of the unmanaged VM) = 13 GiB, split 1:3 */
    assert_int_equal(t[1], POL_LEAVE);
    assert_int_equal(t[0], 13 * GiB / 4);
    assert_int_equal(t[2], 13 * GiB * 3 / 4);
}

static void test_prop_locked_left_alone(void **s) {
    (void)s;
    pol_host_view h = host(8 * GiB, 0);
    pol_vm_view v[2] = {vm("moving", 0, 8 * GiB, 1000, 2 * GiB), vm("a", 0, 8 * GiB, 1000, GiB)};
    v[0].locked = true;
    int64_t t[2];
    run_prop(&h, v, 2, t);
    assert_int_equal(t[0], POL_LEAVE);
    assert_int_equal(t[1], 6 * GiB);
}

static void test_prop_pool_below_mins(void **s) {
    (void)s;
    pol_host_view h = host(6 * GiB, 0);
    pol_vm_view v[3] = {vm("a", 4 * GiB, 8 * GiB, 1000, GiB), vm("b", 3 * GiB, 8 * GiB, 5000, GiB),
                        vm("c", 1 * GiB, 8 * GiB, 1, GiB)};
    int64_t t[3];
    run_prop(&h, v, 3, t); /* sum of mins 8 GiB > pool 6 GiB: everyone at min */
    assert_int_equal(t[0], 4 * GiB);
    assert_int_equal(t[1], 3 * GiB);
    assert_int_equal(t[2], 1 * GiB);

    /* reserved beyond memory: a negative pool, still everyone at min */
    pol_host_view neg = host(GiB, 2 * GiB);
    run_prop(&neg, v, 3, t);
    assert_int_equal(t[0], 4 * GiB);
    assert_int_equal(t[1], 3 * GiB);
    assert_int_equal(t[2], 1 * GiB);
}

static void test_prop_pool_above_maxes(void **s) {
    (void)s;
    pol_host_view h = host(64 * GiB, 0);
    pol_vm_view v[2] = {vm("a", 0, 8 * GiB, 1000, GiB), vm("b", GiB, 4 * GiB, 9000, GiB)};
    int64_t t[2];
    run_prop(&h, v, 2, t);
    assert_int_equal(t[0], 8 * GiB);
    assert_int_equal(t[1], 4 * GiB);
}

static void test_prop_rounds_down(void **s) {
    (void)s;
    /* 1 GiB + 1 byte in three equal parts: 357913941.67 -> 357913941 */
    pol_host_view h = host(GiB + 1, 0);
    pol_vm_view v[3];
    for (int i = 0; i < 3; i++) v[i] = vm("x", 0, 8 * GiB, 1000, 0);
    int64_t t[3];
    run_prop(&h, v, 3, t);
    for (int i = 0; i < 3; i++) assert_int_equal(t[i], 357913941);

    /* 1000 bytes split 1:2 -> 333.33 and 666.67 -> 333 and 666 */
    pol_host_view small = host(1000, 0);
    pol_vm_view w[2] = {vm("a", 0, GiB, 1, 0), vm("b", 0, GiB, 2, 0)};
    run_prop(&small, w, 2, t);
    assert_int_equal(t[0], 333);
    assert_int_equal(t[1], 666);
}

static void test_prop_no_managed_vms(void **s) {
    (void)s;
    pol_host_view h = host(8 * GiB, 0);
    pol_vm_view v[1] = {vm("a", 0, 8 * GiB, 0, GiB)};
    int64_t t[1];
    run_prop(&h, v, 1, t);
    assert_int_equal(t[0], POL_LEAVE);
    run_prop(&h, NULL, 0, NULL);
}

static void test_prop_without_state(void **s) {
    (void)s;
    /* a caller that made no state gets the same answer (temporary scratch) */
    pol_host_view h = host(12 * GiB, 0);
    pol_vm_view v[3] = {vm("a", 0, 2 * GiB, 1000, GiB), vm("b", 0, 16 * GiB, 1000, GiB),
                        vm("c", 0, 16 * GiB, 1000, GiB)};
    int64_t t[3];
    assert_int_equal(pol_decide_all(&pol_proportional, NULL, NULL, 0, &h, v, 3, t), BS_OK);
    assert_int_equal(t[0], 2 * GiB);
    assert_int_equal(t[1], 5 * GiB);
    assert_int_equal(t[2], 5 * GiB);
}

static void test_prop_huge_shares(void **s) {
    (void)s;
    /* shares whose sum overflows 64 bits are scaled, keeping their ratio */
    pol_host_view h = host(9 * GiB, 0);
    pol_vm_view v[3] = {vm("a", 0, 16 * GiB, INT64_MAX, 0), vm("b", 0, 16 * GiB, INT64_MAX, 0),
                        vm("c", 0, 16 * GiB, INT64_MAX, 0)};
    int64_t t[3];
    run_prop(&h, v, 3, t);
    for (int i = 0; i < 3; i++) assert_int_equal(t[i], 3 * GiB);
}

/* Deterministic pseudo-random numbers for the property test. */
static uint64_t lcg(uint64_t *x) {
    *x = *x * 6364136223846793005ULL + 1442695040888963407ULL;
    return *x >> 33;
}

/* On random hosts, check the defining properties of water-filling directly:
 * every target within [min, max]; when the pool lies between the sums of mins
 * and maxes, the targets use all of it except less than a byte per VM; and
 * the level is consistent: no VM held at its max would be below the level of
 * a VM between its bounds, none held at its min above it. */
static void test_prop_properties_random(void **s) {
    (void)s;
    uint64_t seed = 42;
    enum { N = 12 };
    int between = 0; /* rounds where the pool lies strictly between the sums */
    for (int round = 0; round < 2000; round++) {
        size_t n = 1 + lcg(&seed) % N;
        pol_vm_view v[N];
        __int128 sum_lo = 0, sum_hi = 0, unmanaged = 0;
        for (size_t i = 0; i < n; i++) {
            int64_t max = (int64_t)(lcg(&seed) % (64 * GiB)) + 1;
            int64_t min = (int64_t)(lcg(&seed) % (uint64_t)max);
            if (lcg(&seed) % 4 == 0) min = 0;
            int64_t shares = (int64_t)(lcg(&seed) % 5000);
            v[i] = vm("x", min, max, shares, (int64_t)(lcg(&seed) % (uint64_t)max));
            if (lcg(&seed) % 10 == 0) v[i].balloon = false;
            if (!v[i].balloon || shares == 0) {
                unmanaged += v[i].actual;
            } else {
                sum_lo += min;
                sum_hi += max;
            }
        }
        /* The pool: mostly between the sums of mins and maxes, sometimes
         * below or above. */
        int64_t reserved = (int64_t)(lcg(&seed) % (4 * GiB)), want;
        uint64_t r = lcg(&seed) % 10;
        if (r == 0) want = (int64_t)(sum_lo / 2);
        else if (r == 1) want = (int64_t)sum_hi + GiB;
        else want = (int64_t)sum_lo + (int64_t)(lcg(&seed) % (uint64_t)(sum_hi - sum_lo + 1));
        pol_host_view h = host(reserved + (int64_t)unmanaged + want, reserved);
        __int128 pool = (__int128)h.memory - h.reserved - unmanaged;
        int64_t t[N];
        run_prop(&h, v, n, t);
        __int128 sum = 0;
        for (size_t i = 0; i < n; i++) {
            if (!v[i].balloon || v[i].shares == 0) {
                assert_int_equal(t[i], POL_LEAVE);
                continue;
            }
            assert_in_range(t[i], v[i].min, v[i].max);
            sum += t[i];
        }
        if (pool <= sum_lo) {
            for (size_t i = 0; i < n; i++)
                if (v[i].balloon && v[i].shares > 0) assert_int_equal(t[i], v[i].min);
            continue;
        }
        if (pool >= sum_hi) {
            for (size_t i = 0; i < n; i++)
                if (v[i].balloon && v[i].shares > 0) assert_int_equal(t[i], v[i].max);
            continue;
        }
        between++;
        assert_true(sum <= pool);
        assert_true(pool - sum <= (__int128)n); /* < 1 byte lost per VM to rounding */
        /* level: for j strictly inside its bounds, level_j in [t_j/s_j, (t_j+1)/s_j) */
        for (size_t j = 0; j < n; j++) {
            if (!v[j].balloon || v[j].shares == 0 || t[j] <= v[j].min || t[j] >= v[j].max) continue;
            for (size_t i = 0; i < n; i++) {
                if (i == j || !v[i].balloon || v[i].shares == 0) continue;
                __int128 si = v[i].shares, sj = v[j].shares;
                if (t[i] == v[i].max && t[i] > v[i].min) /* max_i/s_i <= level */
                    assert_true((__int128)v[i].max * sj <= ((__int128)t[j] + 1) * si);
                if (t[i] == v[i].min && t[i] < v[i].max) /* (min_i+1)/s_i > level */
                    assert_true(((__int128)v[i].min + 1) * sj > (__int128)t[j] * si);
                if (t[i] > v[i].min && t[i] < v[i].max) /* same level, up to rounding */
                    assert_true((__int128)t[i] * sj < ((__int128)t[j] + 1) * si);
            }
        }
    }
    assert_true(between > 1000); /* the interesting case is well covered */
}

/* ------------------------------------------------------------------ */
/* scripted                                                            */

/* Two hosts: h1 runs web-1 and web-2, h2 runs db. */
typedef struct fixture {
    scen sc;
    scen_host hosts[2];
    scen_vm vms[3];
    cfg_doc *doc;
    cfg_errs errs;
    cfg_ctx cx;
} fixture;

static fixture *fixture_new(void) {
    fixture *f = calloc(1, sizeof *f);
    static const char *const names[] = {"web-1", "web-2", "db"};
    for (size_t i = 0; i < 3; i++) {
        f->vms[i].name = (char *)names[i];
        f->vms[i].index = i;
        f->vms[i].host = i < 2 ? 0 : 1;
        f->vms[i].memory = 2 * GiB / BS_PAGE_SIZE;
        f->vms[i].shares = 1000;
        f->vms[i].stop = BS_TIME_NEVER;
    }
    f->hosts[0] = (scen_host){.name = "h1", .index = 0, .memory = 8 * GiB / BS_PAGE_SIZE,
                              .first_vm = 0, .n_vms = 2};
    f->hosts[1] = (scen_host){.name = "h2", .index = 1, .memory = 8 * GiB / BS_PAGE_SIZE,
                              .first_vm = 2, .n_vms = 1};
    f->sc.name = "fixture";
    f->sc.hosts = f->hosts;
    f->sc.n_hosts = 2;
    f->sc.vms = f->vms;
    f->sc.n_vms = 3;
    assert_int_equal(cfg_doc_new(&f->doc), BS_OK);
    f->cx = (cfg_ctx){.errs = &f->errs, .doc = f->doc};
    return f;
}

static void fixture_free(fixture *f) {
    cfg_errs_free(&f->errs);
    cfg_doc_free(f->doc);
    free(f);
}

/* Parse `yaml` as the params mapping and configure scripted with it. */
static bs_rc configure(fixture *f, const char *yaml, bool with_scen, void **cfg) {
    cfg_node *root = NULL;
    assert_int_equal(cfg_parse_string(f->doc, "script.yaml", yaml, &f->errs, &root), BS_OK);
    assert_int_equal(f->errs.n, 0);
    *cfg = NULL;
    return pol_scripted.configure(&f->cx, root, "policy.params", with_scen ? &f->sc : NULL, cfg);
}

static pol_vm_view svm(const fixture *f, size_t i) {
    pol_vm_view v = vm(f->vms[i].name, 0, 2 * GiB, 1000, 2 * GiB);
    v.vm = i;
    return v;
}

static const char *find_err(const fixture *f, const char *needle) {
    for (size_t i = 0; i < f->errs.n; i++)
        if (strstr(f->errs.msgs[i], needle) != NULL) return f->errs.msgs[i];
    return NULL;
}

static void print_errs(const fixture *f) {
    for (size_t i = 0; i < f->errs.n; i++) fprintf(stderr, "  err: %s\n", f->errs.msgs[i]);
}

static const char *const SCRIPT =
    "targets:\n"
    "  - {at: 2h, vm: web-2, target: 1GiB}\n"
    "  - {at: 0s, vm: web-1, target: 1536MiB}\n"
    "  - {at: 30m, vm: db, target: 1GiB}\n"
    "  - {at: 1h, vm: web-1, target: 1000}\n"
    "  - {at: 1h, vm: web-2, target: 1.5GiB}\n"
    "  - {at: 1h, vm: web-1, target: 512MiB}\n"
    "  - {at: 3h, vm: db, target: 2GiB}\n";

static void test_scripted_next_tick(void **s) {
    (void)s;
    fixture *f = fixture_new();
    void *cfg;
    assert_int_equal(configure(f, SCRIPT, true, &cfg), BS_OK);
    const pol_type *t = &pol_scripted;
    /* host h1 (web-1, web-2): 0, 1h, 2h, then never; equal times collapse */
    bs_time want1[] = {0, 3600 * SEC, 7200 * SEC, BS_TIME_NEVER};
    bs_time now = -1;
    for (size_t k = 0; k < 4; k++) {
        now = t->next_tick(cfg, NULL, 0, now, 10 * SEC);
        assert_int_equal(now, want1[k]);
    }
    /* host h2 (db): 30m, 3h only */
    bs_time want2[] = {1800 * SEC, 10800 * SEC, BS_TIME_NEVER};
    now = -1;
    for (size_t k = 0; k < 3; k++) {
        now = t->next_tick(cfg, NULL, 1, now, 10 * SEC);
        assert_int_equal(now, want2[k]);
    }
    /* from an arbitrary instant: the next one strictly after */
    assert_int_equal(t->next_tick(cfg, NULL, 0, 3600 * SEC - 1, SEC), 3600 * SEC);
    assert_int_equal(t->next_tick(cfg, NULL, 0, 3600 * SEC, SEC), 7200 * SEC);
    assert_int_equal(t->next_tick(cfg, NULL, 5, -1, SEC), BS_TIME_NEVER); /* no such host */
    t->free_config(cfg);
    fixture_free(f);
}

static void test_scripted_decide(void **s) {
    (void)s;
    fixture *f = fixture_new();
    void *cfg;
    assert_int_equal(configure(f, SCRIPT, true, &cfg), BS_OK);
    const pol_type *t = &pol_scripted;
    pol_host_view h = host(8 * GiB, 0);
    pol_vm_view v[2] = {svm(f, 0), svm(f, 1)};
    int64_t tg[2];

    assert_int_equal(pol_decide_all(t, cfg, NULL, 0, &h, v, 2, tg), BS_OK);
    assert_int_equal(tg[0], 1536 * MiB);
    assert_int_equal(tg[1], POL_LEAVE);

    /* 1h: web-1 twice (1000 then 512MiB: the later entry wins), web-2 1.5GiB */
    assert_int_equal(pol_decide_all(t, cfg, NULL, 3600 * SEC, &h, v, 2, tg), BS_OK);
    assert_int_equal(tg[0], 512 * MiB);
    assert_int_equal(tg[1], 1536 * MiB);

    /* between entries, nothing */
    assert_int_equal(pol_decide_all(t, cfg, NULL, 3600 * SEC + 1, &h, v, 2, tg), BS_OK);
    assert_int_equal(tg[0], POL_LEAVE);
    assert_int_equal(tg[1], POL_LEAVE);

    /* 30m is db's (other host): h1's VMs untouched */
    assert_int_equal(pol_decide_all(t, cfg, NULL, 1800 * SEC, &h, v, 2, tg), BS_OK);
    assert_int_equal(tg[0], POL_LEAVE);
    assert_int_equal(tg[1], POL_LEAVE);
    pol_vm_view d[1] = {svm(f, 2)};
    assert_int_equal(pol_decide_all(t, cfg, NULL, 1800 * SEC, &h, d, 1, tg), BS_OK);
    assert_int_equal(tg[0], GiB);

    /* web-2 not running at 2h (absent from the views): the entry is dropped */
    assert_int_equal(pol_decide_all(t, cfg, NULL, 7200 * SEC, &h, v, 1, tg), BS_OK);
    assert_int_equal(tg[0], POL_LEAVE);
    /* views in another order: matched by VM index, not position */
    pol_vm_view r[2] = {svm(f, 1), svm(f, 0)};
    assert_int_equal(pol_decide_all(t, cfg, NULL, 7200 * SEC, &h, r, 2, tg), BS_OK);
    assert_int_equal(tg[0], GiB);
    assert_int_equal(tg[1], POL_LEAVE);
    t->free_config(cfg);
    fixture_free(f);
}

static void test_scripted_exact_bytes(void **s) {
    (void)s;
    fixture *f = fixture_new();
    void *cfg;
    /* not page multiples: reported as written (the engine rounds to pages) */
    assert_int_equal(configure(f,
                               "targets:\n"
                               "  - {at: 0, vm: web-1, target: 1000}\n"
                               "  - {at: 0, vm: web-2, target: 1.5GB}\n",
                               true, &cfg),
                     BS_OK);
    pol_host_view h = host(8 * GiB, 0);
    pol_vm_view v[2] = {svm(f, 0), svm(f, 1)};
    int64_t tg[2];
    assert_int_equal(pol_decide_all(&pol_scripted, cfg, NULL, 0, &h, v, 2, tg), BS_OK);
    assert_int_equal(tg[0], 1000);
    assert_int_equal(tg[1], 1500000000);
    pol_scripted.free_config(cfg);
    fixture_free(f);
}

static void test_scripted_without_scenario(void **s) {
    (void)s;
    fixture *f = fixture_new();
    void *cfg;
    /* `decide`: no scenario, names cannot be checked, views carry names only */
    assert_int_equal(configure(f,
                               "targets:\n"
                               "  - {at: 10s, vm: vm100, target: 1GiB}\n"
                               "  - {at: 5s, vm: other, target: 2GiB}\n",
                               false, &cfg),
                     BS_OK);
    assert_int_equal(pol_scripted.next_tick(cfg, NULL, SIZE_MAX, -1, SEC), 5 * SEC);
    assert_int_equal(pol_scripted.next_tick(cfg, NULL, SIZE_MAX, 5 * SEC, SEC), 10 * SEC);
    assert_int_equal(pol_scripted.next_tick(cfg, NULL, SIZE_MAX, 10 * SEC, SEC), BS_TIME_NEVER);
    pol_host_view h = host(8 * GiB, 0);
    pol_vm_view v[2] = {vm("vm100", 0, 4 * GiB, 1000, GiB), vm("vm101", 0, 4 * GiB, 1000, GiB)};
    int64_t tg[2];
    assert_int_equal(pol_decide_all(&pol_scripted, cfg, NULL, 10 * SEC, &h, v, 2, tg), BS_OK);
    assert_int_equal(tg[0], GiB);
    assert_int_equal(tg[1], POL_LEAVE);
    pol_scripted.free_config(cfg);
    fixture_free(f);
}

static void test_scripted_unknown_vm(void **s) {
    (void)s;
    fixture *f = fixture_new();
    void *cfg = (void *)1;
    assert_int_equal(configure(f,
                               "targets:\n"
                               "  - at: 1h\n"
                               "    vm: web-9\n"
                               "    target: 1GiB\n",
                               true, &cfg),
                     BS_ERR_INPUT);
    assert_null(cfg);
    if (f->errs.n != 1) print_errs(f);
    assert_int_equal(f->errs.n, 1);
    const char *m = f->errs.msgs[0];
    assert_non_null(strstr(m, "script.yaml:3:9: policy.params.targets[0].vm: "));
    assert_non_null(strstr(m, "web-9"));
    assert_non_null(strstr(m, "web-1")); /* lists valid names */
    assert_non_null(strstr(m, "db"));
    fixture_free(f);
}

static void test_scripted_missing_at(void **s) {
    (void)s;
    fixture *f = fixture_new();
    void *cfg;
    assert_int_equal(configure(f,
                               "targets:\n"
                               "  - vm: web-1\n"
                               "    target: 1GiB\n",
                               true, &cfg),
                     BS_ERR_INPUT);
    assert_null(cfg);
    if (f->errs.n != 1) print_errs(f);
    assert_int_equal(f->errs.n, 1);
    /* reported at the mapping that lacks it */
    assert_non_null(strstr(f->errs.msgs[0], "script.yaml:2:5: policy.params.targets[0]: "
                                            "missing required key 'at'"));
    fixture_free(f);
}

static void test_scripted_bad_size(void **s) {
    (void)s;
    fixture *f = fixture_new();
    void *cfg;
    assert_int_equal(configure(f,
                               "targets:\n"
                               "  - {at: 1h, vm: web-1, target: 1GiB}\n"
                               "  - at: 2h\n"
                               "    vm: web-2\n"
                               "    target: lots\n",
                               true, &cfg),
                     BS_ERR_INPUT);
    assert_null(cfg);
    if (f->errs.n != 1) print_errs(f);
    assert_int_equal(f->errs.n, 1);
    const char *m = f->errs.msgs[0];
    assert_non_null(strstr(m, "script.yaml:5:13: policy.params.targets[1].target: expected "));
    assert_non_null(strstr(m, "lots"));
    fixture_free(f);
}

static void test_scripted_unknown_key(void **s) {
    (void)s;
    fixture *f = fixture_new();
    void *cfg;
    assert_int_equal(configure(f,
                               "targets:\n"
                               "  - at: 1h\n"
                               "    vm: web-1\n"
                               "    tagret: 1GiB\n"
                               "    target: 1GiB\n",
                               true, &cfg),
                     BS_ERR_INPUT);
    assert_null(cfg);
    if (f->errs.n != 1) print_errs(f);
    assert_int_equal(f->errs.n, 1);
    const char *m = f->errs.msgs[0];
    assert_non_null(strstr(m, "script.yaml:4:5: "));
    assert_non_null(strstr(m, "unknown key 'tagret'"));
    fixture_free(f);
}

static void test_scripted_collects_all_errors(void **s) {
    (void)s;
    fixture *f = fixture_new();
    void *cfg;
    assert_int_equal(configure(f,
                               "targets:\n"
                               "  - {at: 1h, vm: nope, target: 1GiB}\n"
                               "  - {at: soon, vm: web-1, target: 1GiB}\n"
                               "  - {at: 1h, vm: web-2}\n",
                               true, &cfg),
                     BS_ERR_INPUT);
    assert_null(cfg);
    if (f->errs.n != 3) print_errs(f);
    assert_int_equal(f->errs.n, 3);
    assert_non_null(find_err(f, "script.yaml:2:18: policy.params.targets[0].vm: "));
    assert_non_null(find_err(f, "script.yaml:3:10: policy.params.targets[1].at: "));
    assert_non_null(find_err(f, "policy.params.targets[2]: missing required key 'target'"));
    fixture_free(f);
}

static void test_scripted_targets_shape(void **s) {
    (void)s;
    void *cfg;
    fixture *f = fixture_new();
    assert_int_equal(configure(f, "targets: []\n", true, &cfg), BS_ERR_INPUT);
    assert_non_null(find_err(f, "script.yaml:1:10: policy.params.targets: expected a non-empty"));
    fixture_free(f);

    f = fixture_new();
    assert_int_equal(configure(f, "targets: {at: 1h}\n", true, &cfg), BS_ERR_INPUT);
    assert_non_null(find_err(f, "policy.params.targets: expected a sequence"));
    fixture_free(f);

    f = fixture_new();
    assert_int_equal(configure(f, "other: 1\n", true, &cfg), BS_ERR_INPUT);
    assert_non_null(find_err(f, "script.yaml:1:1: policy.params: missing required key 'targets'"));
    fixture_free(f);

    f = fixture_new();
    assert_int_equal(configure(f, "targets: [5]\n", true, &cfg), BS_ERR_INPUT);
    assert_non_null(find_err(f, "policy.params.targets[0]: expected a mapping"));
    fixture_free(f);

    /* no params at all */
    f = fixture_new();
    cfg = (void *)1;
    assert_int_equal(pol_scripted.configure(&f->cx, NULL, "policy.params", &f->sc, &cfg),
                     BS_ERR_INPUT);
    assert_null(cfg);
    assert_int_equal(f->errs.n, 1);
    assert_non_null(strstr(f->errs.msgs[0], "targets"));
    fixture_free(f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_types_order),
        cmocka_unit_test(test_decide_all_presets_leave),
        cmocka_unit_test(test_list_json),
        cmocka_unit_test(test_list_text),
        cmocka_unit_test(test_static),
        cmocka_unit_test(test_prop_equal_shares),
        cmocka_unit_test(test_prop_two_to_one),
        cmocka_unit_test(test_prop_clamp_max_resplits),
        cmocka_unit_test(test_prop_clamp_min),
        cmocka_unit_test(test_prop_disabled_balloon_subtracted),
        cmocka_unit_test(test_prop_zero_shares_left_alone),
        cmocka_unit_test(test_prop_locked_left_alone),
        cmocka_unit_test(test_prop_pool_below_mins),
        cmocka_unit_test(test_prop_pool_above_maxes),
        cmocka_unit_test(test_prop_rounds_down),
        cmocka_unit_test(test_prop_no_managed_vms),
        cmocka_unit_test(test_prop_without_state),
        cmocka_unit_test(test_prop_huge_shares),
        cmocka_unit_test(test_prop_properties_random),
        cmocka_unit_test(test_scripted_next_tick),
        cmocka_unit_test(test_scripted_decide),
        cmocka_unit_test(test_scripted_exact_bytes),
        cmocka_unit_test(test_scripted_without_scenario),
        cmocka_unit_test(test_scripted_unknown_vm),
        cmocka_unit_test(test_scripted_missing_at),
        cmocka_unit_test(test_scripted_bad_size),
        cmocka_unit_test(test_scripted_unknown_key),
        cmocka_unit_test(test_scripted_collects_all_errors),
        cmocka_unit_test(test_scripted_targets_shape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
