/* test_decide.c -- `balloonsim decide POLICY SNAPSHOT [--set PARAM=VALUE]...`.
 *
 * Two levels: the dec_ functions on trees parsed from strings and files (every
 * snapshot key, defaults, error messages with FILE:LINE:COL, --set, output
 * layout, policy_state through test-local policies), and the built binary
 * ($BALLOONSIM, else ./balloonsim) for exit codes and stdout/stderr.
 * Expected targets come from hand calculations next to each case, never from
 * the code under test. */
#define _XOPEN_SOURCE 700 /* realpath */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policies/pol.h"
#include "sim/base/cfg.h"
#include "sim/decide.h"
#include "tests/helpers.h"

/* Policies under test, defined in policies/NAME.c (not in pol.h: callers
 * elsewhere find them by name through the registry). */
extern const pol_type pol_static;
extern const pol_type pol_proportional;
extern const pol_type pol_scripted;

#define KiB 1024LL
#define MiB (1024LL * KiB)
#define GiB (1024LL * MiB)
#define DATA "tests/data/decide/"

static char bin[PATH_MAX];

/* ------------------------------------------------------------------ */
/* fixtures                                                            */

typedef struct fx {
    cfg_doc *doc;
    cfg_errs errs;
    cfg_ctx cx;
    cfg_node *root;
    dec_snapshot snap;
    bs_rc rc; /* of dec_snapshot_read */
} fx;

static void fx_init(fx *f) {
    memset(f, 0, sizeof *f);
    assert_int_equal(cfg_doc_new(&f->doc), BS_OK);
    f->cx = (cfg_ctx){.errs = &f->errs, .doc = f->doc};
}

/* Parse `yaml` (named snap.yaml in messages) and read it as a snapshot. */
static void fx_load(fx *f, const char *yaml) {
    fx_init(f);
    assert_int_equal(cfg_parse_string(f->doc, "snap.yaml", yaml, &f->errs, &f->root), BS_OK);
    assert_non_null(f->root);
    f->rc = dec_snapshot_read(&f->cx, f->root, &f->snap);
}

static void fx_load_file(fx *f, const char *path) {
    fx_init(f);
    assert_int_equal(cfg_parse_file(f->doc, path, &f->errs, &f->root), BS_OK);
    f->rc = dec_snapshot_read(&f->cx, f->root, &f->snap);
}

static void fx_free(fx *f) {
    dec_snapshot_free(&f->snap);
    cfg_errs_free(&f->errs);
    cfg_doc_free(f->doc);
}

static void print_errs(const fx *f) {
    for (size_t i = 0; i < f->errs.n; i++) fprintf(stderr, "  got: %s\n", f->errs.msgs[i]);
}

/* The message `msg` was recorded, exactly. */
static void expect_err(const fx *f, const char *msg) {
    for (size_t i = 0; i < f->errs.n; i++)
        if (strcmp(f->errs.msgs[i], msg) == 0) return;
    fprintf(stderr, "missing error: %s\n", msg);
    print_errs(f);
    fail();
}

static void expect_ok(const fx *f) {
    if (f->rc != BS_OK || f->errs.n != 0) print_errs(f);
    assert_int_equal(f->rc, BS_OK);
    assert_int_equal(f->errs.n, 0);
}

static const pol_vm_view *vm_named(const fx *f, const char *name) {
    for (size_t i = 0; i < f->snap.n_vms; i++)
        if (f->snap.vms[i].name && strcmp(f->snap.vms[i].name, name) == 0) return &f->snap.vms[i];
    fail_msg("no VM %s", name);
    return NULL;
}

/* dec_params + dec_decide into a string; *rc gets dec_decide's result (or
 * dec_params' when that failed). */
static char *decide(fx *f, const pol_type *type, const char *const *sets, size_t n, bs_rc *rc) {
    cfg_node *params = NULL;
    *rc = dec_params(&f->cx, sets, n, &params);
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    assert_non_null(m);
    bs_rc r = dec_decide(&f->cx, type, &f->snap, params, m);
    if (*rc == BS_OK) *rc = r;
    assert_int_equal(fclose(m), 0);
    return buf;
}

/* ------------------------------------------------------------------ */
/* reading                                                             */

static void test_every_key(void **state) {
    (void)state;
    fx f;
    fx_load_file(&f, DATA "full.yaml");
    expect_ok(&f);
    const pol_host_view *h = &f.snap.host;
    assert_int_equal(h->host, SIZE_MAX);
    assert_int_equal(h->memory, 64 * GiB);
    assert_int_equal(h->reserved, 2 * GiB);
    assert_int_equal(h->free, 10 * GiB);
    assert_int_equal(h->available, 12 * GiB);
    assert_int_equal(h->swap_used, 512 * MiB);
    assert_int_equal(h->swap_total, 8 * GiB);
    assert_int_equal(h->request, 1 * GiB);
    assert_non_null(f.snap.policy_state);
    assert_int_equal(f.snap.policy_state->kind, CFG_MAP);
    assert_int_equal(f.snap.policy_state->n, 0);

    assert_int_equal(f.snap.n_vms, 2);
    const pol_vm_view *v = &f.snap.vms[0];
    assert_string_equal(v->name, "web-1");
    assert_int_equal(v->vm, SIZE_MAX);
    assert_int_equal(v->max, 8 * GiB);
    assert_int_equal(v->min, 3 * GiB / 2);
    assert_int_equal(v->actual, 6 * GiB);
    assert_int_equal(v->target, 5 * GiB);
    assert_int_equal(v->free, 100000000); /* MB is decimal, and no page rounding */
    assert_int_equal(v->available, 300000000);
    assert_int_equal(v->cache, 200000000);
    assert_int_equal(v->shares, 2500);
    assert_false(v->balloon);
    assert_int_equal(v->committed, 4 * GiB);
    assert_int_equal(v->active, 3 * GiB);
    assert_true(v->locked);
    assert_int_equal(v->swap_in, 4 * KiB);
    assert_int_equal(v->swap_out, 8192);
    assert_int_equal(v->major_faults, 17);

    /* 2^53 + 1 bytes: a double would read 2^53; the snapshot keeps every byte. */
    v = &f.snap.vms[1];
    assert_string_equal(v->name, "db");
    assert_int_equal(v->max, (1LL << 53) + 1);
    assert_int_equal(v->actual, 4000000000LL);
    fx_free(&f);
}

static void test_defaults(void **state) {
    (void)state;
    fx f;
    fx_load(&f, "host: {memory: 16GiB}\n"
                "vms:\n"
                "  - {name: a, memory: 4GiB, actual: 3GiB}\n"
                "  - {name: b, memory: 4GiB, actual: 1GiB}\n");
    expect_ok(&f);
    const pol_host_view *h = &f.snap.host;
    assert_string_equal(h->name, "host");
    assert_int_equal(h->reserved, 0);
    assert_int_equal(h->swap_used, 0);
    assert_int_equal(h->swap_total, 0);
    assert_int_equal(h->request, 0);
    /* Neither free nor available: what the guests leave, 16 - 3 - 1 GiB. */
    assert_int_equal(h->free, 12 * GiB);
    assert_int_equal(h->available, 12 * GiB);
    assert_null(f.snap.policy_state);

    const pol_vm_view *v = vm_named(&f, "a");
    assert_int_equal(v->vm, SIZE_MAX);
    assert_int_equal(v->min, 0);
    assert_int_equal(v->target, 3 * GiB); /* = actual */
    assert_int_equal(v->free, 0);
    assert_int_equal(v->available, 0);
    assert_int_equal(v->cache, 0);
    assert_int_equal(v->shares, 1000);
    assert_true(v->balloon);
    assert_int_equal(v->committed, -1);
    assert_int_equal(v->active, -1);
    assert_false(v->locked);
    assert_int_equal(v->swap_in, 0);
    assert_int_equal(v->swap_out, 0);
    assert_int_equal(v->major_faults, 0);
    fx_free(&f);
}

/* free / available: a missing one follows from the other (and cache). */
static void test_derived_defaults(void **state) {
    (void)state;
    fx f;
    fx_load(&f, "host: {memory: 16GiB, free: 5GiB}\n"
                "vms:\n"
                "  - {name: a, memory: 4GiB, actual: 3GiB, free: 1GiB, cache: 512MiB}\n"
                "  - {name: b, memory: 4GiB, actual: 3GiB, available: 1GiB, cache: 256MiB}\n"
                "  - {name: c, memory: 4GiB, actual: 3GiB, available: 1GiB, cache: 2GiB}\n");
    expect_ok(&f);
    assert_int_equal(f.snap.host.free, 5 * GiB);
    assert_int_equal(f.snap.host.available, 5 * GiB);
    assert_int_equal(vm_named(&f, "a")->available, 1536 * MiB);
    assert_int_equal(vm_named(&f, "b")->free, 768 * MiB);
    assert_int_equal(vm_named(&f, "c")->free, 0); /* not negative */
    fx_free(&f);

    fx_load(&f, "host: {memory: 16GiB, reserved: 1GiB, available: 7GiB}\nvms: []\n");
    expect_ok(&f);
    assert_int_equal(f.snap.host.free, 7 * GiB);
    assert_int_equal(f.snap.host.available, 7 * GiB);
    assert_int_equal(f.snap.n_vms, 0);
    fx_free(&f);

    /* Guests asking for more than the host has: free is 0, not negative. */
    fx_load(&f, "host: {memory: 4GiB, reserved: 1GiB}\n"
                "vms: [{name: a, memory: 4GiB, actual: 4GiB}]\n");
    expect_ok(&f);
    assert_int_equal(f.snap.host.free, 0);
    fx_free(&f);
}

static void test_sizes_are_exact_bytes(void **state) {
    (void)state;
    fx f;
    fx_load(&f, "host: {memory: 1000001, free: 0.3KiB, available: 1.5G}\n"
                "vms: [{name: a, memory: 2000MB, min: 1000MB, actual: 1000000001, "
                "target: 1GB, swap_in: 1 KiB, swap_out: 3kib}]\n");
    expect_ok(&f);
    assert_int_equal(f.snap.host.memory, 1000001);   /* not a whole page */
    assert_int_equal(f.snap.host.free, 307);         /* 307.2 rounded down */
    assert_int_equal(f.snap.host.available, 3 * GiB / 2);
    const pol_vm_view *v = vm_named(&f, "a");
    assert_int_equal(v->max, 2000000000);
    assert_int_equal(v->min, 1000000000);
    assert_int_equal(v->actual, 1000000001);
    assert_int_equal(v->target, 1000000000);
    assert_int_equal(v->swap_in, 1024);
    assert_int_equal(v->swap_out, 3072);
    fx_free(&f);
}

static void test_unknown_keys(void **state) {
    (void)state;
    fx f;
    fx_load(&f, "host: {memory: 16GiB, colour: blue}\n"
                "vms:\n"
                "  - name: a\n"
                "    memory: 1GiB\n"
                "    actual: 1GiB\n"
                "    balon: false\n"
                "extra: 1\n");
    assert_int_equal(f.rc, BS_ERR_INPUT);
    expect_err(&f, "snap.yaml:1:23: host.colour: unknown key 'colour' (expected one of: memory, "
                   "reserved, free, available, swap_used, swap_total, request)");
    expect_err(&f, "snap.yaml:6:5: vms[0].balon: unknown key 'balon' (expected one of: name, "
                   "memory, min, actual, target, free, available, cache, shares, balloon, "
                   "committed, active, locked, swap_in, swap_out, major_faults)");
    expect_err(&f, "snap.yaml:7:1: extra: unknown key 'extra' (expected one of: host, "
                   "policy_state, vms)");
    assert_int_equal(f.errs.n, 3);
    fx_free(&f);
}

static void test_missing_keys(void **state) {
    (void)state;
    fx f;
    fx_load(&f, "policy_state: {}\n");
    assert_int_equal(f.rc, BS_ERR_INPUT);
    expect_err(&f, "snap.yaml:1:1: (top level): missing required key 'host'");
    expect_err(&f, "snap.yaml:1:1: (top level): missing required key 'vms'");
    fx_free(&f);

    fx_load(&f, "host: {free: 1GiB}\n"
                "vms:\n"
                "  - {memory: 1GiB, actual: 1GiB}\n"
                "  - {name: b, actual: 1GiB}\n"
                "  - {name: c, memory: 1GiB}\n");
    assert_int_equal(f.rc, BS_ERR_INPUT);
    expect_err(&f, "snap.yaml:1:7: host: missing required key 'memory'");
    expect_err(&f, "snap.yaml:3:5: vms[0]: missing required key 'name'");
    expect_err(&f, "snap.yaml:4:5: vms[1]: missing required key 'memory'");
    expect_err(&f, "snap.yaml:5:5: vms[2]: missing required key 'actual'");
    assert_int_equal(f.errs.n, 4);
    fx_free(&f);
}

static void test_bad_values(void **state) {
    (void)state;
    fx f;
    fx_load(&f, "host: {memory: lots, swap_used: -1GiB, request: 8EiB}\n"
                "vms:\n"
                "  - {name: a, memory: 1GiB, actual: 1.5, shares: -3, balloon: yes}\n"
                "  - {name: b, memory: 1GiB, actual: 1GiB, locked: 'true', major_faults: 2.5}\n"
                "  - {name: c, memory: 1GiB, actual: 1GiB, committed: ~}\n");
    assert_int_equal(f.rc, BS_ERR_INPUT);
    expect_err(&f, "snap.yaml:1:16: host.memory: expected a size such as 4GiB, found 'lots'");
    /* Prefixes: the "expected" part is units.c's wording. */
    const char *const prefixes[] = {
        "snap.yaml:1:33: host.swap_used: expected ",
        "snap.yaml:1:49: host.request: expected ",
        "snap.yaml:3:37: vms[0].actual: expected ",
        "snap.yaml:3:50: vms[0].shares: expected a whole number >= 0, found '-3'",
        "snap.yaml:3:63: vms[0].balloon: expected true or false, found 'yes'",
        "snap.yaml:4:51: vms[1].locked: expected true or false (without quotes), found 'true'",
        "snap.yaml:4:73: vms[1].major_faults: expected a whole number >= 0, found '2.5'",
        "snap.yaml:5:54: vms[2].committed: expected a size such as 4GiB, found nothing",
    };
    for (size_t k = 0; k < sizeof prefixes / sizeof prefixes[0]; k++) {
        bool found = false;
        for (size_t i = 0; i < f.errs.n && !found; i++)
            found = strncmp(f.errs.msgs[i], prefixes[k], strlen(prefixes[k])) == 0;
        if (!found) {
            fprintf(stderr, "missing error: %s...\n", prefixes[k]);
            print_errs(&f);
        }
        assert_true(found);
    }
    assert_int_equal(f.errs.n, 9);
    fx_free(&f);
}

static void test_consistency_checks(void **state) {
    (void)state;
    fx f;
    fx_load(&f, "host: {memory: 8GiB, reserved: 8GiB}\n"
                "vms:\n"
                "  - {name: a, memory: 2000MB, min: 3GiB, actual: 2001MB, target: 2GiB}\n"
                "  - {name: b, memory: 0, actual: 0}\n"
                "  - {name: a, memory: 1GiB, actual: 1GiB}\n"
                "  - {name: '', memory: 1GiB, actual: 1GiB}\n"
                "  - [not, a, mapping]\n"
                "  - {name: a, memory: 1GiB, actual: 1GiB}\n");
    assert_int_equal(f.rc, BS_ERR_INPUT);
    expect_err(&f, "snap.yaml:1:32: host.reserved: expected a reserved below memory (8GiB), "
                   "found '8GiB'");
    expect_err(&f, "snap.yaml:3:36: vms[0].min: expected a min no larger than memory (2000MB), "
                   "found '3GiB'");
    expect_err(&f, "snap.yaml:3:50: vms[0].actual: expected an actual no larger than memory "
                   "(2000MB), found '2001MB'");
    expect_err(&f, "snap.yaml:3:66: vms[0].target: expected a target no larger than memory "
                   "(2000MB), found '2GiB'");
    expect_err(&f, "snap.yaml:4:23: vms[1].memory: expected a size above 0, such as 4GiB, "
                   "found '0'");
    expect_err(&f, "snap.yaml:5:12: vms[2].name: duplicate VM name 'a' (vms[0], line 3, has it "
                   "too)");
    expect_err(&f, "snap.yaml:6:12: vms[3].name: expected a non-empty name, found ''");
    expect_err(&f, "snap.yaml:7:5: vms[4]: expected a mapping, found a sequence");
    expect_err(&f, "snap.yaml:8:12: vms[5].name: duplicate VM name 'a' (vms[0], line 3, has it "
                   "too)");
    assert_int_equal(f.errs.n, 9);
    fx_free(&f);

    fx_load(&f, "host: [1]\npolicy_state: [1]\nvms: {a: 1}\n");
    assert_int_equal(f.rc, BS_ERR_INPUT);
    expect_err(&f, "snap.yaml:1:7: host: expected a mapping, found a sequence");
    expect_err(&f, "snap.yaml:2:15: policy_state: expected a mapping, found a sequence");
    expect_err(&f, "snap.yaml:3:6: vms: expected a sequence, found a mapping");
    fx_free(&f);

    /* The parser itself rejects a root that is not a mapping; the reader
     * does too, should it ever get one. */
    fx_init(&f);
    f.root = cfg_new_seq(f.doc, "snap.yaml", 1, 1);
    assert_int_equal(dec_snapshot_read(&f.cx, f.root, &f.snap), BS_ERR_INPUT);
    expect_err(&f, "snap.yaml:1:1: (top level): expected a mapping, found an empty sequence");
    fx_free(&f);

    /* policy_state: ~ is the same as leaving it out. */
    fx_load(&f, "host: {memory: 1GiB}\npolicy_state: ~\nvms: []\n");
    expect_ok(&f);
    assert_null(f.snap.policy_state);
    fx_free(&f);
}

/* ------------------------------------------------------------------ */
/* --set                                                               */

static void test_params(void **state) {
    (void)state;
    fx f;
    fx_init(&f);
    cfg_node *p = (cfg_node *)1;
    assert_int_equal(dec_params(&f.cx, NULL, 0, &p), BS_OK);
    assert_null(p); /* no --set: configure sees NULL, as for a scenario without params */

    const char *const sets[] = {"maxchange=100MB", "target=80%", "maxchange=200MB",
                                "list=[1, 2]", "empty="};
    assert_int_equal(dec_params(&f.cx, sets, 5, &p), BS_OK);
    assert_int_equal(f.errs.n, 0);
    assert_non_null(p);
    assert_int_equal(p->kind, CFG_MAP);
    assert_int_equal(p->n, 4); /* maxchange once: the last one wins */
    assert_string_equal(p->file, "--set");
    assert_string_equal(cfg_map_entry(p, "maxchange")->val->value, "200MB");
    assert_string_equal(cfg_map_entry(p, "target")->val->value, "80%");
    const cfg_node *list = cfg_map_entry(p, "list")->val;
    assert_int_equal(list->kind, CFG_SEQ);
    assert_int_equal(list->n, 2);
    assert_true(cfg_is_null(cfg_map_entry(p, "empty")->val));
    assert_false(cfg_map_entry(p, "target")->used); /* the policy marks what it reads */

    const char *const bad[] = {"noequals", "=1", "ok=1"};
    assert_int_equal(dec_params(&f.cx, bad, 3, &p), BS_ERR_INPUT);
    expect_err(&f, "--set: 'noequals': expected PARAM=VALUE");
    expect_err(&f, "--set: '=1': expected PARAM=VALUE");
    assert_int_equal(f.errs.n, 2);
    fx_free(&f);
}

static const char *const SMALL = "host: {memory: 8GiB}\n"
                                 "vms: [{name: a, memory: 4GiB, actual: 2GiB}]\n";

static void test_set_errors(void **state) {
    (void)state;
    fx f;
    bs_rc rc;
    fx_load(&f, SMALL);
    const char *const one[] = {"foo=1"};
    char *out = decide(&f, &pol_proportional, one, 1, &rc);
    assert_int_equal(rc, BS_ERR_INPUT);
    assert_string_equal(out, ""); /* nothing printed on error */
    expect_err(&f, "--set: params.foo: unknown key 'foo' (no keys are allowed here)");
    free(out);
    fx_free(&f);

    /* A policy without configure accepts no params either. */
    fx_load(&f, SMALL);
    out = decide(&f, &pol_static, one, 1, &rc);
    assert_int_equal(rc, BS_ERR_INPUT);
    assert_string_equal(out, "");
    expect_err(&f, "--set: params.foo: unknown key 'foo' (no keys are allowed here)");
    free(out);
    fx_free(&f);

    /* The policy's own checks see "params" as the path; unknown ones list the
     * policy's params. */
    fx_load(&f, SMALL);
    const char *const scr[] = {"targets=[{at: 0s, vm: a, target: lots}]", "tagets=1"};
    out = decide(&f, &pol_scripted, scr, 2, &rc);
    assert_int_equal(rc, BS_ERR_INPUT);
    assert_string_equal(out, "");
    expect_err(&f, "--set:1:26: params.targets[0].target: expected a size such as 4GiB, found "
                   "'lots'");
    expect_err(&f, "--set: params.tagets: unknown key 'tagets' (expected one of: targets)");
    free(out);
    fx_free(&f);

    /* A required param that is absent. */
    fx_load(&f, SMALL);
    out = decide(&f, &pol_scripted, NULL, 0, &rc);
    assert_int_equal(rc, BS_ERR_INPUT);
    assert_non_null(strstr(f.errs.msgs[0], "params: missing required key 'targets'"));
    free(out);
    fx_free(&f);
}

/* ------------------------------------------------------------------ */
/* decisions and output                                                */

/* proportional on split.yaml, worked out by hand:
 * pool = 16 GiB - 1 GiB reserved - 3 GiB (off: balloon disabled) - 1 GiB
 * (moving: locked) = 11 GiB among a (1000 shares, [512MiB, 8GiB]), b (3000,
 * [1, 3] GiB), c (4000, [1, 6] GiB), tiny (7, [2, 4] GiB).  Guess: tiny at its
 * min, b at its max, a and c free: they share 11 - 2 - 3 = 6 GiB as 1:4.
 * The guess is right when the level lambda = 6 GiB / 5000 per share puts b
 * above its max and tiny below its min, and a and c inside their bounds
 * (checked below). */
static char *expected_split(void) {
    int64_t rest = 11 * GiB - 2 * GiB - 3 * GiB, s_free = 1000 + 4000;
    assert_true(rest * 3000 / s_free >= 3 * GiB);        /* b clamped at max */
    assert_true(rest * 7 / s_free <= 2 * GiB);           /* tiny clamped at min */
    int64_t a = rest * 1000 / s_free, c = rest * 4000 / s_free; /* rounded down */
    assert_true(a >= 512 * MiB && a <= 8 * GiB);
    assert_true(c >= 1 * GiB && c <= 6 * GiB);
    assert_int_equal(a, 1288490188); /* 1.2 GiB = 1288490188.8 */
    char *s = malloc(256);
    assert_non_null(s);
    snprintf(s, 256,
             "{\"targets\": {\"a\": %" PRId64 ", \"b\": %" PRId64 ", \"c\": %" PRId64
             ", \"tiny\": %" PRId64 "}, \"policy_state\": {}}\n",
             a, (int64_t)(3 * GiB), c, (int64_t)(2 * GiB));
    return s;
}

static void test_proportional_output(void **state) {
    (void)state;
    fx f;
    bs_rc rc;
    fx_load_file(&f, DATA "split.yaml");
    expect_ok(&f);
    char *out = decide(&f, &pol_proportional, NULL, 0, &rc);
    assert_int_equal(rc, BS_OK);
    char *want = expected_split();
    assert_string_equal(out, want);
    free(out);
    free(want);
    fx_free(&f);
}

static void test_static_and_empty(void **state) {
    (void)state;
    fx f;
    bs_rc rc;
    fx_load_file(&f, DATA "split.yaml");
    char *out = decide(&f, &pol_static, NULL, 0, &rc);
    assert_int_equal(rc, BS_OK);
    assert_string_equal(out, "{\"targets\": {}, \"policy_state\": {}}\n");
    free(out);
    fx_free(&f);

    fx_load(&f, "host: {memory: 8GiB}\nvms: []\n");
    out = decide(&f, &pol_proportional, NULL, 0, &rc);
    assert_int_equal(rc, BS_OK);
    assert_string_equal(out, "{\"targets\": {}, \"policy_state\": {}}\n");
    free(out);
    fx_free(&f);

    /* scripted through --set: the entry at 0 applies (decide runs at now = 0),
     * the one at 1h does not; exact bytes, no page rounding (1GB). */
    fx_load_file(&f, DATA "split.yaml");
    const char *const sets[] = {"targets=[{at: 0s, vm: c, target: 1GB}, {at: 1h, vm: a, "
                                "target: 1GiB}]"};
    out = decide(&f, &pol_scripted, sets, 1, &rc);
    assert_int_equal(rc, BS_OK);
    assert_string_equal(out, "{\"targets\": {\"c\": 1000000000}, \"policy_state\": {}}\n");
    free(out);
    fx_free(&f);
}

/* ---- test-local policies ---- */

/* Targets every VM, even those the output must leave out, and leaves one
 * alone by name; names needing JSON escapes come through escaped. */
static bs_rc greedy_decide(const void *cfg, void *state, bs_time now, const pol_host_view *host,
                           const pol_vm_view *vms, size_t n, int64_t *targets) {
    (void)cfg, (void)state, (void)host;
    assert_int_equal(now, 0);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(vms[i].vm, SIZE_MAX);
        if (strcmp(vms[i].name, "leave") == 0) continue; /* stays POL_LEAVE */
        targets[i] = strcmp(vms[i].name, "neg") == 0 ? -7 : vms[i].actual + 1;
    }
    return BS_OK;
}

static const pol_type greedy = {.name = "greedy", .description = "test", .decide = greedy_decide};

static void test_output_filters(void **state) {
    (void)state;
    fx f;
    bs_rc rc;
    fx_load(&f, "host: {memory: 64GiB}\n"
                "vms:\n"
                "  - {name: first, memory: 4GiB, actual: 1000}\n"
                "  - {name: 'q\"uote\\back', memory: 4GiB, actual: 2000}\n"
                "  - {name: off, memory: 4GiB, actual: 3000, balloon: false}\n"
                "  - {name: zero, memory: 4GiB, actual: 4000, shares: 0}\n"
                "  - {name: locked, memory: 4GiB, actual: 5000, locked: true}\n"
                "  - {name: leave, memory: 4GiB, actual: 6000}\n"
                "  - {name: neg, memory: 4GiB, actual: 7000}\n"
                "  - {name: last, memory: 4GiB, actual: 8000}\n");
    expect_ok(&f);
    char *out = decide(&f, &greedy, NULL, 0, &rc);
    assert_int_equal(rc, BS_OK);
    assert_string_equal(out, "{\"targets\": {\"first\": 1001, \"q\\\"uote\\\\back\": 2001, "
                             "\"last\": 8001}, \"policy_state\": {}}\n");
    free(out);
    fx_free(&f);
}

/* A policy with state: `step` (param, default 1) is added to `count` (state)
 * at every decision; the dump is pretty-printed over several lines, as a
 * policy may well do, and must come out on one line. */
typedef struct cnt_cfg {
    int64_t step;
} cnt_cfg;

typedef struct cnt_state {
    int64_t count;
    bool loaded_nothing; /* state_load saw node NULL */
    bool loaded;
} cnt_state;

static bs_rc cnt_configure(cfg_ctx *cx, const cfg_node *params, const char *path,
                           const struct scen *sc, void **cfg) {
    assert_null(sc);
    assert_string_equal(path, "params");
    cnt_cfg *c = calloc(1, sizeof *c);
    assert_non_null(c);
    c->step = 1;
    bs_rc rc = params ? cfg_get_uint(cx, params, path, "step", false, 1, &c->step) : BS_OK;
    *cfg = c;
    return rc;
}

static bs_rc cnt_state_new(const void *cfg, size_t host, void **state) {
    assert_non_null(cfg);
    assert_int_equal(host, SIZE_MAX);
    *state = calloc(1, sizeof(cnt_state));
    return *state ? BS_OK : BS_ERR_INTERNAL;
}

static bs_rc cnt_state_load(cfg_ctx *cx, const cfg_node *node, const char *path, void *state) {
    cnt_state *s = state;
    assert_string_equal(path, "policy_state");
    s->loaded = true;
    if (node == NULL) {
        s->loaded_nothing = true;
        return BS_OK;
    }
    return cfg_get_uint(cx, node, path, "count", false, 0, &s->count);
}

static void cnt_state_dump(FILE *f, const void *state) {
    const cnt_state *s = state;
    fprintf(f, "\n{\n  \"count\": %" PRId64 ",\n  \"from\": \"%s\",\n  \"list\": [\n    1,\n"
               "    2\n  ]\n}\n\n",
            s->count, !s->loaded ? "unloaded" : s->loaded_nothing ? "nothing" : "file");
}

static bs_rc cnt_decide(const void *cfg, void *state, bs_time now, const pol_host_view *host,
                        const pol_vm_view *vms, size_t n, int64_t *targets) {
    (void)now, (void)host, (void)vms, (void)n, (void)targets;
    ((cnt_state *)state)->count += ((const cnt_cfg *)cfg)->step;
    return BS_OK;
}

static const pol_param cnt_params[] = {{"step", "1", "count", "added per decision"},
                                       {NULL, NULL, NULL, NULL}};

static const pol_type counter = {
    .name = "counter",
    .description = "test",
    .params = cnt_params,
    .configure = cnt_configure,
    .free_config = free,
    .state_new = cnt_state_new,
    .free_state = free,
    .decide = cnt_decide,
    .state_load = cnt_state_load,
    .state_dump = cnt_state_dump,
};

static void test_policy_state(void **state) {
    (void)state;
    fx f;
    bs_rc rc;
    /* Absent: state_load gets NULL, the state starts from its own defaults. */
    fx_load(&f, SMALL);
    char *out = decide(&f, &counter, NULL, 0, &rc);
    assert_int_equal(rc, BS_OK);
    assert_string_equal(out, "{\"targets\": {}, \"policy_state\": {\"count\": 1, \"from\": "
                             "\"nothing\", \"list\": [1, 2]}}\n");
    free(out);
    fx_free(&f);

    /* Carried: 41 + step 5 = 46. */
    fx_load(&f, "host: {memory: 8GiB}\npolicy_state: {count: 41}\nvms: []\n");
    const char *const sets[] = {"step=5"};
    out = decide(&f, &counter, sets, 1, &rc);
    assert_int_equal(rc, BS_OK);
    assert_string_equal(out, "{\"targets\": {}, \"policy_state\": {\"count\": 46, \"from\": "
                             "\"file\", \"list\": [1, 2]}}\n");
    free(out);
    fx_free(&f);

    /* Keys the policy does not read, and bad values, are errors. */
    fx_load(&f, "host: {memory: 8GiB}\npolicy_state: {count: x, cuont: 3}\nvms: []\n");
    const char *const bad[] = {"stp=2"};
    out = decide(&f, &counter, bad, 1, &rc);
    assert_int_equal(rc, BS_ERR_INPUT);
    assert_string_equal(out, "");
    expect_err(&f, "--set: params.stp: unknown key 'stp' (expected one of: step)");
    expect_err(&f, "snap.yaml:2:23: policy_state.count: expected a whole number >= 0, found 'x'");
    expect_err(&f, "snap.yaml:2:26: policy_state.cuont: unknown key 'cuont' (not part of the "
                   "state of policy 'counter')");
    assert_int_equal(f.errs.n, 3);
    free(out);
    fx_free(&f);

    /* A stateless policy accepts policy_state only when it is empty. */
    fx_load(&f, "host: {memory: 8GiB}\npolicy_state: {}\nvms: []\n");
    out = decide(&f, &pol_proportional, NULL, 0, &rc);
    assert_int_equal(rc, BS_OK);
    free(out);
    fx_free(&f);
    fx_load(&f, "host: {memory: 8GiB}\npolicy_state: {avg: 1}\nvms: []\n");
    out = decide(&f, &pol_proportional, NULL, 0, &rc);
    assert_int_equal(rc, BS_ERR_INPUT);
    assert_string_equal(out, "");
    expect_err(&f, "snap.yaml:2:16: policy_state.avg: unknown key 'avg' (policy 'proportional' "
                   "carries no state)");
    free(out);
    fx_free(&f);

    /* out NULL: only checks (dec_main's mode for a bad snapshot). */
    fx_load(&f, "host: {memory: 8GiB}\npolicy_state: {count: 2}\nvms: []\n");
    assert_int_equal(dec_decide(&f.cx, &counter, &f.snap, NULL, NULL), BS_OK);
    assert_int_equal(f.errs.n, 0);
    fx_free(&f);
}

/* Every registered policy that carries state: what it dumps, it loads back to
 * the same state (same dump). */
static void test_registered_state_round_trip(void **state) {
    (void)state;
    size_t tested = 0;
    for (const pol_type *const *t = pol_types(); *t != NULL; t++) {
        const pol_type *type = *t;
        if (type->state_load == NULL || type->state_dump == NULL) continue;
        fx f;
        fx_load_file(&f, DATA "split.yaml");
        void *cfg = NULL, *st = NULL, *st2 = NULL;
        if (type->configure && type->configure(&f.cx, NULL, "params", NULL, &cfg) != BS_OK) {
            fx_free(&f); /* needs params: not this test's business */
            continue;
        }
        assert_int_equal(type->state_new(cfg, SIZE_MAX, &st), BS_OK);
        assert_int_equal(type->state_load(&f.cx, NULL, "policy_state", st), BS_OK);
        int64_t targets[16];
        assert_true(f.snap.n_vms <= 16);
        assert_int_equal(pol_decide_all(type, cfg, st, 0, &f.snap.host, f.snap.vms,
                                        f.snap.n_vms, targets),
                         BS_OK);
        char *d1 = NULL, *d2 = NULL;
        size_t l1 = 0, l2 = 0;
        FILE *m = open_memstream(&d1, &l1);
        type->state_dump(m, st);
        fclose(m);
        cfg_node *root = NULL;
        assert_int_equal(cfg_parse_string(f.doc, "dump", d1, &f.errs, &root), BS_OK);
        assert_int_equal(type->state_new(cfg, SIZE_MAX, &st2), BS_OK);
        assert_int_equal(type->state_load(&f.cx, root, "policy_state", st2), BS_OK);
        for (size_t i = 0; i < root->n; i++) assert_true(root->entries[i].used);
        m = open_memstream(&d2, &l2);
        type->state_dump(m, st2);
        fclose(m);
        assert_string_equal(d1, d2);
        assert_int_equal(f.errs.n, 0);
        free(d1);
        free(d2);
        if (type->free_state) type->free_state(st), type->free_state(st2);
        if (type->free_config) type->free_config(cfg);
        fx_free(&f);
        tested++;
    }
    if (tested == 0) skip(); /* no stateful policy registered yet */
}

/* ------------------------------------------------------------------ */
/* the binary                                                          */

/* The binary with ARGS, stdout/stderr/exit code captured. */
#define RUN(...) th_exec(bin, NULL, NULL, (const char *const[]){__VA_ARGS__, NULL})

static void test_binary_ok(void **state) {
    (void)state;
    char *want = expected_split();
    th_proc p = RUN("decide", "proportional", DATA "split.yaml");
    assert_int_equal(p.code, 0);
    assert_string_equal(p.out, want);
    assert_string_equal(p.err, "");
    /* Options may come anywhere; same bytes again. */
    th_proc q = RUN("decide", "--set=", "proportional", DATA "split.yaml");
    assert_int_equal(q.code, 2); /* "--set=" is an empty PARAM=VALUE */
    th_proc_free(&q);
    q = RUN("decide", "proportional", DATA "split.yaml");
    assert_string_equal(q.out, p.out);
    th_proc_free(&q);
    th_proc_free(&p);
    free(want);

    p = RUN("decide", "--help");
    assert_int_equal(p.code, 0);
    assert_non_null(strstr(p.out, "usage: balloonsim decide POLICY SNAPSHOT [--set PARAM=VALUE]..."));
    assert_null(strstr(p.out, "not implemented"));
    th_proc_free(&p);
}

static void test_binary_errors(void **state) {
    (void)state;
    th_proc p = RUN("decide", "proportional", DATA "no-such-file.yaml");
    assert_int_equal(p.code, 2);
    assert_string_equal(p.out, "");
    assert_non_null(strstr(p.err, DATA "no-such-file.yaml: cannot open"));
    th_proc_free(&p);

    p = RUN("decide", "nosuch", DATA "split.yaml");
    assert_int_equal(p.code, 2);
    assert_string_equal(p.out, "");
    assert_non_null(strstr(p.err, "unknown policy 'nosuch' (expected one of: static, "
                                  "proportional, scripted"));
    th_proc_free(&p);

    p = RUN("decide", "proportional", DATA "bad.yaml");
    assert_int_equal(p.code, 2);
    assert_string_equal(p.out, "");
    const char *const lines[] = {
        DATA "bad.yaml:3:3: host.colour: unknown key 'colour'",
        DATA "bad.yaml:6:13: vms[0].memory: expected a size such as 4GiB, found 'lots'",
        DATA "bad.yaml:8:5: vms[1]: missing required key 'actual'",
        DATA "bad.yaml:12:10: vms[2].min: expected a min no larger than memory (2GiB), found "
             "'3GiB'",
        DATA "bad.yaml:10:11: vms[2].name: duplicate VM name 'a' (vms[0], line 5, has it too)",
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        if (strstr(p.err, lines[i]) == NULL) fprintf(stderr, "missing: %s\nin:\n%s", lines[i], p.err);
        assert_non_null(strstr(p.err, lines[i]));
    }
    th_proc_free(&p);

    p = RUN("decide", "proportional", DATA "split.yaml", "--set", "nokey");
    assert_int_equal(p.code, 2);
    assert_string_equal(p.out, "");
    assert_non_null(strstr(p.err, "bad --set 'nokey' (expected PARAM=VALUE)"));
    th_proc_free(&p);

    p = RUN("decide", "proportional", DATA "split.yaml", "--set", "foo=1");
    assert_int_equal(p.code, 2);
    assert_string_equal(p.out, "");
    assert_non_null(strstr(p.err, "--set: params.foo: unknown key 'foo'"));
    th_proc_free(&p);

    p = RUN("decide", "proportional");
    assert_int_equal(p.code, 2);
    assert_non_null(strstr(p.err, "missing SNAPSHOT"));
    th_proc_free(&p);

    p = RUN("decide", "proportional", DATA "split.yaml", "extra");
    assert_int_equal(p.code, 2);
    assert_non_null(strstr(p.err, "unexpected argument 'extra'"));
    th_proc_free(&p);

    p = RUN("decide", "proportional", DATA "split.yaml", "--frob");
    assert_int_equal(p.code, 2);
    assert_non_null(strstr(p.err, "unknown option '--frob'"));
    th_proc_free(&p);
}

/* docs/decide.md's example: proxmox on its snapshot.  Goal 80 % of 16 GiB = 12.8 GiB
 * used, 10 GiB used now: 2.8 GiB to hand out, one step of maxchange = 100 MiB:
 * 1000 MB + 100 MiB = 1000000000 + 104857600 = 1104857600. */
static void test_proxmox_example(void **state) {
    (void)state;
    if (pol_find("proxmox") == NULL) skip(); /* not registered yet */
    th_proc p = RUN("decide", "proxmox", DATA "proxmox.yaml");
    if (p.code != 0) fprintf(stderr, "%s", p.err);
    assert_int_equal(p.code, 0);
    const char *head = "{\"targets\": {\"vm100\": 1104857600}, \"policy_state\": {";
    assert_int_equal(strncmp(p.out, head, strlen(head)), 0);
    size_t len = strlen(p.out);
    assert_true(len >= 3 && strcmp(p.out + len - 3, "}}\n") == 0);
    assert_ptr_equal(strchr(p.out, '\n'), p.out + len - 1); /* one line */
    th_proc_free(&p);
}

int main(void) {
    const char *env = getenv("BALLOONSIM");
    const char *rel = env && *env ? env : "./balloonsim";
    if (realpath(rel, bin) == NULL) {
        fprintf(stderr, "test_decide: no balloonsim binary at %s (set BALLOONSIM)\n", rel);
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_key),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_derived_defaults),
        cmocka_unit_test(test_sizes_are_exact_bytes),
        cmocka_unit_test(test_unknown_keys),
        cmocka_unit_test(test_missing_keys),
        cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_consistency_checks),
        cmocka_unit_test(test_params),
        cmocka_unit_test(test_set_errors),
        cmocka_unit_test(test_proportional_output),
        cmocka_unit_test(test_static_and_empty),
        cmocka_unit_test(test_output_filters),
        cmocka_unit_test(test_policy_state),
        cmocka_unit_test(test_registered_state_round_trip),
        cmocka_unit_test(test_binary_ok),
        cmocka_unit_test(test_binary_errors),
        cmocka_unit_test(test_proxmox_example),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
