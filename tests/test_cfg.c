/* test_cfg.c -- the YAML tree: positions, limits, duplicates, merge, key
 * paths, typed getters and the exact error text of docs/scenarios.md. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sim/base/cfg.h"

typedef struct fx {
    cfg_doc *doc;
    cfg_errs errs;
    cfg_ctx cx;
    cfg_node *root;
} fx;

static int setup(void **state) {
    fx *f = calloc(1, sizeof *f);
    if (!f || cfg_doc_new(&f->doc) != BS_OK) return -1;
    f->cx.errs = &f->errs;
    f->cx.doc = f->doc;
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fx *f = *state;
    cfg_errs_free(&f->errs);
    cfg_doc_free(f->doc);
    free(f);
    return 0;
}

static bs_rc parse(fx *f, const char *text) {
    return cfg_parse_string(f->doc, "t.yaml", text, &f->errs, &f->root);
}

static void parse_ok(fx *f, const char *text) {
    bs_rc rc = parse(f, text);
    if (rc != BS_OK) cfg_errs_print(&f->errs, stderr);
    assert_int_equal(rc, BS_OK);
    assert_non_null(f->root);
    assert_int_equal(f->errs.n, 0);
}

/* The only error recorded is exactly `msg`. */
static void only_error(fx *f, const char *msg) {
    if (f->errs.n != 1 || strcmp(f->errs.msgs[0], msg) != 0) {
        cfg_errs_print(&f->errs, stderr);
        fail_msg("expected exactly: %s", msg);
    }
}

static bool has_error(fx *f, const char *needle) {
    for (size_t i = 0; i < f->errs.n; i++)
        if (strstr(f->errs.msgs[i], needle)) return true;
    return false;
}

/* ---- parsing ---- */

static void test_positions_are_one_based(void **state) {
    fx *f = *state;
    parse_ok(f, "a: 1\nb:\n  c: [x, 'y']\n");
    cfg_entry *b = cfg_map_entry(f->root, "b");
    assert_non_null(b);
    assert_int_equal(b->line, 2);
    assert_int_equal(b->col, 1);
    cfg_node *c = cfg_lookup(f->root, "b.c");
    assert_non_null(c);
    assert_int_equal(c->kind, CFG_SEQ);
    assert_int_equal(c->line, 3);
    assert_int_equal(c->col, 6);
    cfg_node *y = cfg_lookup(f->root, "b.c[1]");
    assert_string_equal(y->value, "y");
    assert_true(y->quoted);
    assert_int_equal(y->col, 10);
    assert_false(cfg_lookup(f->root, "b.c[0]")->quoted);
    assert_string_equal(y->file, "t.yaml");
}

static void test_empty_file_is_empty_map(void **state) {
    fx *f = *state;
    parse_ok(f, "");
    assert_int_equal(f->root->kind, CFG_MAP);
    assert_int_equal(f->root->n, 0);
    assert_int_equal(f->root->line, 1);
    assert_int_equal(f->root->col, 1);
    /* Comments only: the same. */
    cfg_node *r2;
    assert_int_equal(cfg_parse_string(f->doc, "c.yaml", "# nothing\n\n", &f->errs, &r2), BS_OK);
    assert_int_equal(r2->kind, CFG_MAP);
    assert_int_equal(r2->n, 0);
}

static void test_root_must_be_map(void **state) {
    fx *f = *state;
    assert_int_equal(parse(f, "- a\n- b\n"), BS_ERR_INPUT);
    assert_null(f->root);
    only_error(f, "t.yaml:1:1: (top level): expected a mapping, found a sequence");
}

static void test_root_scalar(void **state) {
    fx *f = *state;
    assert_int_equal(parse(f, "hello\n"), BS_ERR_INPUT);
    only_error(f, "t.yaml:1:1: (top level): expected a mapping, found 'hello'");
}

static void test_multiple_documents(void **state) {
    fx *f = *state;
    assert_int_equal(parse(f, "a: 1\n---\nb: 2\n"), BS_ERR_INPUT);
    assert_null(f->root);
    only_error(f, "t.yaml:2:1: expected a single YAML document, found a second one");
}

static void test_duplicate_keys(void **state) {
    fx *f = *state;
    assert_int_equal(parse(f, "a: 1\nb:\n  x: 1\n  x: 2\na: 3\n"), BS_ERR_INPUT);
    /* The tree stays usable (first value kept) so validation can go on. */
    assert_non_null(f->root);
    assert_int_equal(f->errs.n, 2);
    assert_string_equal(f->errs.msgs[0], "t.yaml:4:3: b.x: duplicate key 'x' (first at line 3)");
    assert_string_equal(f->errs.msgs[1], "t.yaml:5:1: a: duplicate key 'a' (first at line 1)");
    assert_string_equal(cfg_lookup(f->root, "a")->value, "1");
    assert_string_equal(cfg_lookup(f->root, "b.x")->value, "1");
    assert_int_equal(f->root->n, 2);
}

static void test_duplicate_keys_large_map(void **state) {
    fx *f = *state;
    /* Many keys: the sort-based check still finds the one repeat. */
    size_t n = 5000, cap = n * 16 + 64, len = 0;
    char *text = malloc(cap);
    for (size_t i = 0; i < n; i++) len += (size_t)snprintf(text + len, cap - len, "k%zu: %zu\n", i, i);
    snprintf(text + len, cap - len, "k1234: again\n");
    assert_int_equal(parse(f, text), BS_ERR_INPUT);
    only_error(f, "t.yaml:5001:1: k1234: duplicate key 'k1234' (first at line 1235)");
    free(text);
}

/* The root map (depth 1) holding `levels` nested flow mappings. */
static void nested(char *buf, size_t cap, int levels) {
    size_t len = (size_t)snprintf(buf, cap, "a: ");
    for (int i = 0; i < levels; i++) len += (size_t)snprintf(buf + len, cap - len, "{a: ");
    len += (size_t)snprintf(buf + len, cap - len, "1");
    for (int i = 0; i < levels; i++) len += (size_t)snprintf(buf + len, cap - len, "}");
    snprintf(buf + len, cap - len, "\n");
}

static void test_depth_limit(void **state) {
    fx *f = *state;
    char buf[1024];
    nested(buf, sizeof buf, 63); /* 1 + 63 = 64 levels: allowed */
    parse_ok(f, buf);
    nested(buf, sizeof buf, 64); /* 65 levels */
    assert_int_equal(parse(f, buf), BS_ERR_INPUT);
    assert_null(f->root);
    assert_int_equal(f->errs.n, 1);
    assert_non_null(strstr(f->errs.msgs[0], "nesting deeper than 64 levels"));
    assert_non_null(strstr(f->errs.msgs[0], "t.yaml:1:"));
}

static void test_syntax_error_tab(void **state) {
    fx *f = *state;
    assert_int_equal(parse(f, "a:\n\tb: 1\n"), BS_ERR_INPUT);
    assert_null(f->root);
    assert_int_equal(f->errs.n, 1);
    assert_non_null(strstr(f->errs.msgs[0], "t.yaml:2:1: syntax error: "));
    assert_non_null(strstr(f->errs.msgs[0], "tabs"));
}

static void test_syntax_error_missing_colon(void **state) {
    fx *f = *state;
    assert_int_equal(parse(f, "a: 1\nseed 42\nb: 2\n"), BS_ERR_INPUT);
    /* Reported at the key that lacks its ':' (libyaml notices a line later). */
    only_error(f, "t.yaml:2:1: syntax error: could not find expected ':' (while scanning a simple key)");
}

static void test_syntax_error_flow(void **state) {
    fx *f = *state;
    assert_int_equal(parse(f, "a: [1, 2\n"), BS_ERR_INPUT);
    assert_true(has_error(f, "syntax error: did not find expected ',' or ']'"));
}

static void test_invalid_utf8(void **state) {
    fx *f = *state;
    assert_int_equal(parse(f, "a: 1\nb: \xff\n"), BS_ERR_INPUT);
    assert_true(has_error(f, "t.yaml:2:4: syntax error: invalid leading UTF-8 octet"));
}

static void test_anchors_and_aliases(void **state) {
    fx *f = *state;
    parse_ok(f, "base: &b {memory: 4GiB, min: 1GiB}\nvm: *b\nother:\n  <<: *b\n  min: 2GiB\n");
    cfg_node *vm = cfg_lookup(f->root, "vm");
    assert_int_equal(vm->kind, CFG_MAP);
    assert_string_equal(cfg_lookup(f->root, "vm.memory")->value, "4GiB");
    /* A copy, not a shared node: editing one leaves the other alone. */
    assert_ptr_not_equal(vm, cfg_lookup(f->root, "base"));
    assert_int_equal(vm->line, 2);
    /* Merge key: own keys win, merged keys fill in; `<<` itself is gone. */
    assert_string_equal(cfg_lookup(f->root, "other.min")->value, "2GiB");
    assert_string_equal(cfg_lookup(f->root, "other.memory")->value, "4GiB");
    assert_null(cfg_lookup(f->root, "other.<<"));
    assert_int_equal(cfg_lookup(f->root, "other")->n, 2);
}

static void test_unknown_alias(void **state) {
    fx *f = *state;
    assert_int_equal(parse(f, "a: *nope\n"), BS_ERR_INPUT);
    assert_true(has_error(f, "t.yaml:1:4: a: unknown alias '*nope'"));
}

static void test_alias_bomb(void **state) {
    fx *f = *state;
    /* Each level holds ten copies of the previous: 10^9 nodes if expanded. */
    const char *bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
                       "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                       "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                       "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                       "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
                       "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
                       "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
                       "h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
                       "i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]\n";
    clock_t t0 = clock();
    assert_int_equal(parse(f, bomb), BS_ERR_INPUT);
    assert_null(f->root);
    assert_true(has_error(f, "too many nodes"));
    assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 20.0);
}

static void test_bytes_are_exact(void **state) {
    fx *f = *state;
    parse_ok(f, "a: 413762560\nb: 1.5KiB\nc: 100MB\nd: 4GiB\n");
    int64_t b = 0;
    assert_int_equal(cfg_get_bytes(&f->cx, f->root, "", "a", true, 0, &b), BS_OK);
    assert_int_equal(b, 413762560); /* not floored to pages (413761536) */
    assert_int_equal(cfg_get_bytes(&f->cx, f->root, "", "b", true, 0, &b), BS_OK);
    assert_int_equal(b, 1536);
    assert_int_equal(cfg_get_bytes(&f->cx, f->root, "", "c", true, 0, &b), BS_OK);
    assert_int_equal(b, 100000000);
    assert_int_equal(cfg_get_bytes(&f->cx, f->root, "", "e", false, 42, &b), BS_OK);
    assert_int_equal(b, 42);
    bs_pages p = 0;
    assert_int_equal(cfg_get_size(&f->cx, f->root, "", "a", true, 0, &p), BS_OK);
    assert_int_equal(p, 413761536 / 4096); /* sizes of the scenario are pages */
}

static void test_null_values_are_present(void **state) {
    fx *f = *state;
    parse_ok(f, "a:\nb: ~\nc: null\nd: ''\n");
    assert_true(cfg_is_null(cfg_lookup(f->root, "a")));
    assert_true(cfg_is_null(cfg_lookup(f->root, "b")));
    assert_true(cfg_is_null(cfg_lookup(f->root, "c")));
    assert_false(cfg_is_null(cfg_lookup(f->root, "d"))); /* quoted: an empty string */
    bs_pages p;
    assert_int_equal(cfg_get_size(&f->cx, f->root, "", "a", true, 7, &p), BS_ERR_INPUT);
    assert_int_equal(p, 7);
    assert_int_equal(cfg_get_size(&f->cx, f->root, "", "b", false, 7, &p), BS_ERR_INPUT);
    assert_int_equal(f->errs.n, 2);
    /* The empty value points at its key. */
    assert_string_equal(f->errs.msgs[0], "t.yaml:1:1: a: expected a size such as 4GiB, found nothing");
    assert_string_equal(f->errs.msgs[1], "t.yaml:2:4: b: expected a size such as 4GiB, found nothing");
}

static void test_parse_file_errors(void **state) {
    fx *f = *state;
    cfg_node *r = (cfg_node *)1;
    assert_int_equal(cfg_parse_file(f->doc, "/nonexistent/x.yaml", &f->errs, &r), BS_ERR_INPUT);
    assert_null(r);
    only_error(f, "/nonexistent/x.yaml: cannot open: No such file or directory");
}

static void test_parse_file_too_large(void **state) {
    fx *f = *state;
    char path[] = "/tmp/cfg-big-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (64LL << 20) + 1), 0); /* sparse: costs no disk */
    close(fd);
    cfg_node *r;
    assert_int_equal(cfg_parse_file(f->doc, path, &f->errs, &r), BS_ERR_INPUT);
    unlink(path);
    assert_null(r);
    assert_int_equal(f->errs.n, 1);
    assert_non_null(strstr(f->errs.msgs[0], "64 MiB"));
    assert_int_equal(strncmp(f->errs.msgs[0], path, strlen(path)), 0);
}

static void test_parse_file_reads(void **state) {
    fx *f = *state;
    char path[] = "/tmp/cfg-ok-XXXXXX";
    int fd = mkstemp(path);
    const char *text = "memory: 2GiB\n";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    cfg_node *r;
    assert_int_equal(cfg_parse_file(f->doc, path, &f->errs, &r), BS_OK);
    unlink(path);
    assert_string_equal(cfg_lookup(r, "memory")->value, "2GiB");
    assert_string_equal(r->file, path);
}

/* ---- tree editing ---- */

static void test_merge_deep_over_wins(void **state) {
    fx *f = *state;
    cfg_node *u, *o;
    assert_int_equal(cfg_parse_string(f->doc, "u", "a: 1\nb: {x: 1, y: 2}\nc: [1]\n", &f->errs, &u), BS_OK);
    assert_int_equal(cfg_parse_string(f->doc, "o", "b: {y: 3, z: 4}\nc: [9, 8]\nd: 5\n", &f->errs, &o), BS_OK);
    cfg_node *m = cfg_merge(f->doc, u, o);
    assert_string_equal(cfg_lookup(m, "a")->value, "1");
    assert_string_equal(cfg_lookup(m, "b.x")->value, "1");
    assert_string_equal(cfg_lookup(m, "b.y")->value, "3");
    assert_string_equal(cfg_lookup(m, "b.z")->value, "4");
    assert_int_equal(cfg_lookup(m, "c")->n, 2); /* sequences are replaced, not merged */
    assert_string_equal(cfg_lookup(m, "c[0]")->value, "9");
    assert_string_equal(cfg_lookup(m, "d")->value, "5");
    assert_string_equal(cfg_lookup(m, "b.y")->file, "o");
    assert_string_equal(cfg_lookup(m, "b.x")->file, "u");
    /* Inputs untouched. */
    assert_string_equal(cfg_lookup(u, "b.y")->value, "2");
    assert_null(cfg_lookup(u, "d"));
    assert_int_equal(cfg_lookup(o, "b")->n, 2);
}

static void test_clone_is_deep(void **state) {
    fx *f = *state;
    parse_ok(f, "a: {b: [1, 2]}\n");
    cfg_node *c = cfg_clone(f->doc, f->root);
    assert_int_equal(cfg_set_path(f->doc, c, "a.b[0]", "7", "--set", &f->errs), BS_OK);
    assert_string_equal(cfg_lookup(c, "a.b[0]")->value, "7");
    assert_string_equal(cfg_lookup(f->root, "a.b[0]")->value, "1");
}

static void test_lookup_paths(void **state) {
    fx *f = *state;
    parse_ok(f, "hosts:\n  - vms:\n      - {memory: 1GiB}\n      - {memory: 2GiB}\npolicy: {name: mom}\n");
    assert_string_equal(cfg_lookup(f->root, "hosts[0].vms[1].memory")->value, "2GiB");
    assert_string_equal(cfg_lookup(f->root, "policy.name")->value, "mom");
    assert_ptr_equal(cfg_lookup(f->root, ""), f->root);
    assert_null(cfg_lookup(f->root, "hosts[1]"));
    assert_null(cfg_lookup(f->root, "hosts.vms"));
    assert_null(cfg_lookup(f->root, "policy[0]"));
    assert_null(cfg_lookup(f->root, "hosts[0]..vms"));
    assert_null(cfg_lookup(f->root, "hosts[x]"));
    assert_null(cfg_lookup(f->root, "nope"));
}

static void test_set_path(void **state) {
    fx *f = *state;
    parse_ok(f, "hosts:\n  - memory: 1GiB\npolicy: {name: mom}\n");
    assert_int_equal(cfg_set_path(f->doc, f->root, "hosts[0].memory", "8GiB", "--set", &f->errs), BS_OK);
    cfg_node *m = cfg_lookup(f->root, "hosts[0].memory");
    assert_string_equal(m->value, "8GiB");
    assert_string_equal(m->file, "--set");
    assert_false(m->quoted);
    /* Missing map keys are created on the way. */
    assert_int_equal(cfg_set_path(f->doc, f->root, "hosts[0].ksm.sharing", "20%", "--set", &f->errs), BS_OK);
    assert_string_equal(cfg_lookup(f->root, "hosts[0].ksm.sharing")->value, "20%");
    assert_int_equal(cfg_set_path(f->doc, f->root, "seed", "9", "--set", &f->errs), BS_OK);
    assert_string_equal(cfg_lookup(f->root, "seed")->value, "9");
    /* A flow value becomes a subtree. */
    assert_int_equal(cfg_set_path(f->doc, f->root, "hosts[0].memory", "{dist: uniform, min: 1GiB, max: 2GiB}",
                                  "--set", &f->errs),
                     BS_OK);
    assert_string_equal(cfg_lookup(f->root, "hosts[0].memory.max")->value, "2GiB");
    assert_int_equal(f->errs.n, 0);
    /* Messages from a value set on the command line name the origin. */
    bs_pages p;
    assert_int_equal(cfg_set_path(f->doc, f->root, "hosts[0].reserved", "lots", "--set", &f->errs), BS_OK);
    assert_int_equal(cfg_get_size(&f->cx, cfg_lookup(f->root, "hosts[0]"), "hosts[0]", "reserved", false, 0, &p),
                     BS_ERR_INPUT);
    only_error(f, "--set: hosts[0].reserved: expected a size such as 4GiB, found 'lots'");
}

static void test_set_path_errors(void **state) {
    fx *f = *state;
    parse_ok(f, "hosts:\n  - memory: 1GiB\npolicy: mom\n");
    assert_int_equal(cfg_set_path(f->doc, f->root, "hosts[3].memory", "1", "--set", &f->errs), BS_ERR_INPUT);
    only_error(f, "--set: hosts[3].memory: index 3 is out of range (hosts has 1 item)");
    cfg_errs_free(&f->errs);
    assert_int_equal(cfg_set_path(f->doc, f->root, "policy.name", "x", "--set", &f->errs), BS_ERR_INPUT);
    only_error(f, "--set: policy.name: cannot set key 'name': policy is 'mom', not a mapping");
    cfg_errs_free(&f->errs);
    assert_int_equal(cfg_set_path(f->doc, f->root, "hosts.x", "1", "--set", &f->errs), BS_ERR_INPUT);
    assert_true(has_error(f, "not a mapping"));
    cfg_errs_free(&f->errs);
    assert_int_equal(cfg_set_path(f->doc, f->root, "policy[0]", "1", "--set", &f->errs), BS_ERR_INPUT);
    assert_true(has_error(f, "not a sequence"));
    cfg_errs_free(&f->errs);
    assert_int_equal(cfg_set_path(f->doc, f->root, "a..b", "1", "--set", &f->errs), BS_ERR_INPUT);
    assert_true(has_error(f, "expected a key path"));
    cfg_errs_free(&f->errs);
    assert_int_equal(cfg_set_path(f->doc, f->root, "", "1", "sweep", &f->errs), BS_ERR_INPUT);
    assert_true(has_error(f, "sweep: "));
    /* Nothing changed. */
    assert_string_equal(cfg_lookup(f->root, "policy")->value, "mom");
}

/* ---- getters ---- */

static void test_get_size_rounds_down_to_pages(void **state) {
    fx *f = *state;
    parse_ok(f, "a: 4097\nb: 4095\nc: 4GiB\nd: \"1GiB\"\ne: 1.5KiB\n");
    bs_pages p;
    assert_int_equal(cfg_get_size(&f->cx, f->root, "", "a", true, 0, &p), BS_OK);
    assert_int_equal(p, 1);
    assert_int_equal(cfg_get_size(&f->cx, f->root, "", "b", true, 0, &p), BS_OK);
    assert_int_equal(p, 0);
    assert_int_equal(cfg_get_size(&f->cx, f->root, "", "c", true, 0, &p), BS_OK);
    assert_int_equal(p, 4LL * 1024 * 1024 * 1024 / 4096);
    assert_int_equal(cfg_get_size(&f->cx, f->root, "", "d", true, 0, &p), BS_OK); /* quoted still a size */
    assert_int_equal(p, 1024 * 1024 * 1024 / 4096);
    assert_int_equal(cfg_get_size(&f->cx, f->root, "", "e", true, 0, &p), BS_OK);
    assert_int_equal(p, 0);
    assert_int_equal(cfg_get_size(&f->cx, f->root, "", "zz", false, 42, &p), BS_OK);
    assert_int_equal(p, 42);
    assert_int_equal(f->errs.n, 0);
}

static void test_get_time_rounds_to_ns(void **state) {
    fx *f = *state;
    parse_ok(f, "a: 1.5\nb: 0.4ns\nc: 0.6ns\nd: 1h30m\n");
    bs_time t;
    assert_int_equal(cfg_get_time(&f->cx, f->root, "", "a", true, 0, &t), BS_OK);
    assert_int_equal(t, 1500000000LL);
    assert_int_equal(cfg_get_time(&f->cx, f->root, "", "b", true, 0, &t), BS_OK);
    assert_int_equal(t, 0);
    assert_int_equal(cfg_get_time(&f->cx, f->root, "", "c", true, 0, &t), BS_OK);
    assert_int_equal(t, 1);
    assert_int_equal(cfg_get_time(&f->cx, f->root, "", "d", true, 0, &t), BS_OK);
    assert_int_equal(t, 5400LL * BS_NS_PER_S);
}

static void test_error_text_format(void **state) {
    fx *f = *state;
    parse_ok(f, "hosts:\n  - vms:\n      - memory: -1GiB\n        swap: [1]\n        min: {a: 1}\n");
    cfg_node *vm = cfg_lookup(f->root, "hosts[0].vms[0]");
    bs_pages p;
    assert_int_equal(cfg_get_size(&f->cx, vm, "hosts[0].vms[0]", "memory", true, 0, &p), BS_ERR_INPUT);
    assert_int_equal(cfg_get_size(&f->cx, vm, "hosts[0].vms[0]", "swap", true, 0, &p), BS_ERR_INPUT);
    assert_int_equal(cfg_get_size(&f->cx, vm, "hosts[0].vms[0]", "min", true, 0, &p), BS_ERR_INPUT);
    assert_int_equal(cfg_get_size(&f->cx, vm, "hosts[0].vms[0]", "start_memory", true, 0, &p), BS_ERR_INPUT);
    assert_int_equal(f->errs.n, 4);
    assert_string_equal(f->errs.msgs[0],
                        "t.yaml:3:17: hosts[0].vms[0].memory: expected a size that is not negative, such as 4GiB, "
                        "found '-1GiB'");
    assert_string_equal(f->errs.msgs[1], "t.yaml:4:15: hosts[0].vms[0].swap: expected a size such as 4GiB, found a sequence");
    assert_string_equal(f->errs.msgs[2], "t.yaml:5:14: hosts[0].vms[0].min: expected a size such as 4GiB, found a mapping");
    assert_string_equal(f->errs.msgs[3], "t.yaml:3:9: hosts[0].vms[0]: missing required key 'start_memory'");
}

static void test_missing_key_at_root(void **state) {
    fx *f = *state;
    parse_ok(f, "");
    bs_time t;
    assert_int_equal(cfg_get_time(&f->cx, f->root, "", "duration", true, 0, &t), BS_ERR_INPUT);
    only_error(f, "t.yaml:1:1: (top level): missing required key 'duration'");
}

static void test_unknown_keys(void **state) {
    fx *f = *state;
    parse_ok(f, "memory: 1GiB\nmemroy: 2GiB\nswap: 0\n");
    bs_pages p;
    assert_int_equal(cfg_get_size(&f->cx, f->root, "", "memory", true, 0, &p), BS_OK);
    assert_non_null(cfg_map_get(f->root, "swap"));
    cfg_check_unknown(&f->cx, f->root, "", "memory, swap");
    only_error(f, "t.yaml:2:1: memroy: unknown key 'memroy' (expected one of: memory, swap)");
    cfg_errs_free(&f->errs);
    cfg_node *n;
    assert_int_equal(cfg_parse_string(f->doc, "u.yaml", "vm:\n  memroy: 1\n", &f->errs, &n), BS_OK);
    cfg_check_unknown(&f->cx, cfg_lookup(n, "vm"), "hosts[0].vms[2]", "memory");
    only_error(f, "u.yaml:2:3: hosts[0].vms[2].memroy: unknown key 'memroy' (expected one of: memory)");
}

static void test_bool(void **state) {
    fx *f = *state;
    parse_ok(f, "a: true\nb: false\nc: yes\nd: \"true\"\ne: on\nf: True\n");
    bool v = false;
    assert_int_equal(cfg_get_bool(&f->cx, f->root, "", "a", true, false, &v), BS_OK);
    assert_true(v);
    assert_int_equal(cfg_get_bool(&f->cx, f->root, "", "b", true, true, &v), BS_OK);
    assert_false(v);
    assert_int_equal(cfg_get_bool(&f->cx, f->root, "", "f", true, false, &v), BS_OK);
    assert_true(v);
    assert_int_equal(cfg_get_bool(&f->cx, f->root, "", "c", true, true, &v), BS_ERR_INPUT);
    assert_true(v); /* default on error */
    assert_int_equal(cfg_get_bool(&f->cx, f->root, "", "d", true, false, &v), BS_ERR_INPUT);
    assert_int_equal(cfg_get_bool(&f->cx, f->root, "", "e", true, false, &v), BS_ERR_INPUT);
    assert_int_equal(f->errs.n, 3);
    assert_string_equal(f->errs.msgs[0], "t.yaml:3:4: c: expected true or false, found 'yes'");
    assert_string_equal(f->errs.msgs[1], "t.yaml:4:4: d: expected true or false (without quotes), found 'true'");
    assert_string_equal(f->errs.msgs[2], "t.yaml:5:4: e: expected true or false, found 'on'");
}

static void test_count_and_uint(void **state) {
    fx *f = *state;
    parse_ok(f, "a: 1\nb: 1000000\nc: 0\nd: 1000001\ne: 2.5\nf: 9007199254740993\ng: -1\nh: 1e3\n");
    int64_t v;
    assert_int_equal(cfg_get_count(&f->cx, f->root, "", "a", true, 0, &v), BS_OK);
    assert_int_equal(v, 1);
    assert_int_equal(cfg_get_count(&f->cx, f->root, "", "b", true, 0, &v), BS_OK);
    assert_int_equal(v, 1000000);
    assert_int_equal(cfg_get_count(&f->cx, f->root, "", "c", true, 0, &v), BS_ERR_INPUT);
    assert_int_equal(cfg_get_count(&f->cx, f->root, "", "d", true, 0, &v), BS_ERR_INPUT);
    assert_int_equal(cfg_get_count(&f->cx, f->root, "", "e", true, 0, &v), BS_ERR_INPUT);
    assert_string_equal(f->errs.msgs[0], "t.yaml:3:4: c: expected a whole number from 1 to 1000000, found '0'");
    assert_int_equal(f->errs.n, 3);
    /* uint reads plain digits exactly (2^53 + 1 is not a double). */
    assert_int_equal(cfg_get_uint(&f->cx, f->root, "", "f", true, 0, &v), BS_OK);
    assert_true(v == 9007199254740993LL);
    assert_int_equal(cfg_get_uint(&f->cx, f->root, "", "c", true, 5, &v), BS_OK);
    assert_int_equal(v, 0);
    assert_int_equal(cfg_get_uint(&f->cx, f->root, "", "h", true, 5, &v), BS_OK);
    assert_int_equal(v, 1000);
    assert_int_equal(cfg_get_uint(&f->cx, f->root, "", "g", true, 5, &v), BS_ERR_INPUT);
    assert_int_equal(v, 5);
    assert_true(has_error(f, "t.yaml:7:4: g: expected a whole number >= 0, found '-1'"));
}

static void test_fraction_rate_number(void **state) {
    fx *f = *state;
    parse_ok(f, "a: 20%\nb: 0.5\nc: 150%\nd: -0.1\ne: 256MiB/s\nf: 0MiB/s\ng: 2.5\nh: nan\n");
    double v;
    assert_int_equal(cfg_get_fraction(&f->cx, f->root, "", "a", true, 0, &v), BS_OK);
    assert_true(v == 0.2);
    assert_int_equal(cfg_get_fraction(&f->cx, f->root, "", "b", true, 0, &v), BS_OK);
    assert_true(v == 0.5);
    assert_int_equal(cfg_get_fraction(&f->cx, f->root, "", "c", true, 0, &v), BS_ERR_INPUT);
    assert_int_equal(cfg_get_fraction(&f->cx, f->root, "", "d", true, 0, &v), BS_ERR_INPUT);
    assert_true(has_error(f, "t.yaml:3:4: c: expected a fraction from 0 to 1, such as 0.2 or 20%, found '150%'"));
    /* cfg_as_value takes fractions above 1 for callers that allow them. */
    double big;
    assert_int_equal(cfg_as_value(&f->cx, cfg_lookup(f->root, "c"), "c", UNIT_FRACTION, &big), BS_OK);
    assert_true(big == 1.5);
    assert_int_equal(cfg_get_rate(&f->cx, f->root, "", "e", true, 0, &v), BS_OK);
    assert_true(v == 256.0 * 1024 * 1024);
    assert_int_equal(cfg_get_rate(&f->cx, f->root, "", "f", true, 0, &v), BS_ERR_INPUT);
    assert_true(has_error(f, "f: expected a rate above 0"));
    assert_int_equal(cfg_get_number(&f->cx, f->root, "", "g", true, 0, &v), BS_OK);
    assert_true(v == 2.5);
    assert_int_equal(cfg_get_number(&f->cx, f->root, "", "h", true, 0, &v), BS_ERR_INPUT);
    assert_true(has_error(f, "h: expected a number, found 'nan'"));
}

static void test_string_and_expect(void **state) {
    fx *f = *state;
    parse_ok(f, "a: web\nb: 42\nc: [x]\nd: ''\n");
    const char *s;
    assert_int_equal(cfg_get_string(&f->cx, f->root, "", "a", true, NULL, &s), BS_OK);
    assert_string_equal(s, "web");
    assert_int_equal(cfg_get_string(&f->cx, f->root, "", "b", true, NULL, &s), BS_OK);
    assert_string_equal(s, "42");
    assert_int_equal(cfg_get_string(&f->cx, f->root, "", "d", true, NULL, &s), BS_OK);
    assert_string_equal(s, "");
    assert_int_equal(cfg_get_string(&f->cx, f->root, "", "c", true, "dflt", &s), BS_ERR_INPUT);
    assert_string_equal(s, "dflt");
    assert_int_equal(cfg_expect_seq(&f->cx, cfg_lookup(f->root, "c"), "c"), BS_OK);
    assert_int_equal(cfg_expect_map(&f->cx, cfg_lookup(f->root, "c"), "c"), BS_ERR_INPUT);
    assert_int_equal(f->errs.n, 2);
    assert_string_equal(f->errs.msgs[1], "t.yaml:3:4: c: expected a mapping, found a sequence");
}

static void test_errors_deduplicated_and_long_text_cut(void **state) {
    fx *f = *state;
    char text[256];
    snprintf(text, sizeof text, "a: %0100d\n", 7);
    parse_ok(f, text);
    double v;
    assert_int_equal(cfg_get_fraction(&f->cx, f->root, "", "a", true, 0, &v), BS_ERR_INPUT);
    assert_int_equal(cfg_get_fraction(&f->cx, f->root, "", "a", true, 0, &v), BS_ERR_INPUT);
    assert_int_equal(f->errs.n, 1);
    assert_non_null(strstr(f->errs.msgs[0], "...'"));
    assert_true(strlen(f->errs.msgs[0]) < 200);
}

static void test_path_helpers(void **state) {
    (void)state;
    char out[CFG_PATH_MAX];
    cfg_path_key(out, "", "duration");
    assert_string_equal(out, "duration");
    cfg_path_key(out, "hosts[0]", "vms");
    assert_string_equal(out, "hosts[0].vms");
    cfg_path_index(out, "hosts[0].vms", 2);
    assert_string_equal(out, "hosts[0].vms[2]");
    char longp[CFG_PATH_MAX + 100];
    memset(longp, 'x', sizeof longp - 1);
    longp[sizeof longp - 1] = '\0';
    cfg_path_key(out, longp, "k"); /* cut, never overflowed */
    assert_int_equal(strlen(out), CFG_PATH_MAX - 1);
}

static void test_error_at_forms(void **state) {
    fx *f = *state;
    cfg_error_at(&f->cx, "traces/x.csv", 17, 0, NULL, "expected a number in column '%s', found '%s'", "mem", "abc");
    cfg_error_at(&f->cx, "--set", 0, 0, "seed", "bad");
    cfg_error(&f->cx, NULL, "", "top");
    assert_int_equal(f->errs.n, 3);
    assert_string_equal(f->errs.msgs[0], "traces/x.csv:17: expected a number in column 'mem', found 'abc'");
    assert_string_equal(f->errs.msgs[1], "--set: seed: bad");
    assert_string_equal(f->errs.msgs[2], "(top level): top");
}

int main(void) {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_positions_are_one_based),
        T(test_empty_file_is_empty_map),
        T(test_root_must_be_map),
        T(test_root_scalar),
        T(test_multiple_documents),
        T(test_duplicate_keys),
        T(test_duplicate_keys_large_map),
        T(test_depth_limit),
        T(test_syntax_error_tab),
        T(test_syntax_error_missing_colon),
        T(test_syntax_error_flow),
        T(test_invalid_utf8),
        T(test_anchors_and_aliases),
        T(test_unknown_alias),
        T(test_alias_bomb),
        T(test_null_values_are_present),
        T(test_bytes_are_exact),
        T(test_parse_file_errors),
        T(test_parse_file_too_large),
        T(test_parse_file_reads),
        T(test_merge_deep_over_wins),
        T(test_clone_is_deep),
        T(test_lookup_paths),
        T(test_set_path),
        T(test_set_path_errors),
        T(test_get_size_rounds_down_to_pages),
        T(test_get_time_rounds_to_ns),
        T(test_error_text_format),
        T(test_missing_key_at_root),
        T(test_unknown_keys),
        T(test_bool),
        T(test_count_and_uint),
        T(test_fraction_rate_number),
        T(test_string_and_expect),
        T(test_errors_deduplicated_and_long_text_cut),
        T(test_path_helpers),
        T(test_error_at_forms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
