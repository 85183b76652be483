/* test_scenario.c -- loading scenario files (docs/scenarios.md): defaults, names
 * and counts, vm_defaults, includes, overrides, policy and sweep blocks, and
 * every careless input with its file:line:col and key path, all errors of a
 * file in one pass. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/base/rng.h"
#include "sim/scenario.h"

#include <gsl/gsl_randist.h>

#define GiB (1024LL * 1024 * 1024)
#define MiB (1024LL * 1024)
#define PAGES(bytes) ((bs_pages)((bytes) / BS_PAGE_SIZE))
#define SEC BS_NS_PER_S
#define MS 1000000LL

#define WL "workload: {type: constant, size: 1GiB}"

typedef struct fx {
    char dir[64];
    char path[256];
    cfg_errs errs;
    scen *sc;
} fx;

static int setup(void **state) {
    fx *f = calloc(1, sizeof *f);
    if (!f) return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/scen-test-XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fx *f = *state;
    scen_free(f->sc);
    cfg_errs_free(&f->errs);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd) != 0) return -1;
    free(f);
    return 0;
}

static const char *write_file(fx *f, const char *name, const char *text) {
    snprintf(f->path, sizeof f->path, "%s/%s", f->dir, name);
    FILE *fp = fopen(f->path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
    return f->path;
}

static bs_rc load_ov(fx *f, const char *name, const char *text, const scen_overrides *ov) {
    const char *p = write_file(f, name, text);
    scen_free(f->sc);
    f->sc = NULL;
    cfg_errs_free(&f->errs);
    bs_rc rc = scen_load(p, ov, &f->errs, &f->sc);
    if (rc != BS_OK) assert_null(f->sc);
    return rc;
}

static scen *load_ok(fx *f, const char *text) {
    bs_rc rc = load_ov(f, "s.yaml", text, NULL);
    if (rc != BS_OK) cfg_errs_print(&f->errs, stderr);
    assert_int_equal(rc, BS_OK);
    assert_int_equal(f->errs.n, 0);
    return f->sc;
}

/* Loading fails and some error message is exactly FILE:`rest` (FILE = the
 * temp file's path). */
static void expect_error(fx *f, const char *rest) {
    char want[1024];
    snprintf(want, sizeof want, "%s:%s", f->path, rest);
    for (size_t i = 0; i < f->errs.n; i++)
        if (strcmp(f->errs.msgs[i], want) == 0) return;
    cfg_errs_print(&f->errs, stderr);
    fail_msg("no error: %s", want);
}

static void load_bad(fx *f, const char *text, const char *rest) {
    assert_int_equal(load_ov(f, "s.yaml", text, NULL), BS_ERR_INPUT);
    expect_error(f, rest);
}

static bool has_error(fx *f, const char *needle) {
    for (size_t i = 0; i < f->errs.n; i++)
        if (strstr(f->errs.msgs[i], needle)) return true;
    return false;
}

/* ---- defaults and structure ---- */

static void test_defaults(void **state) {
    fx *f = *state;
    assert_int_equal(load_ov(f, "peak-hour.yaml",
                             "duration: 24h\nhosts:\n  - memory: 64GiB\n    vms:\n      - memory: 8GiB\n        " WL "\n",
                             NULL),
                     BS_OK);
    scen *sc = f->sc;
    assert_string_equal(sc->name, "peak-hour"); /* file name without .yaml */
    assert_null(sc->description);
    assert_int_equal(sc->duration, 24 * 3600 * SEC);
    assert_int_equal(sc->seed, 1);
    assert_int_equal(sc->warmup, 0);
    assert_int_equal(sc->sample_interval, 60 * SEC);
    assert_string_equal(sc->policy.type->name, "static");
    assert_int_equal(sc->policy.stats_interval, 5 * SEC);
    assert_null(sc->sweep);
    assert_int_equal(sc->n_hosts, 1);
    const scen_host *h = &sc->hosts[0];
    assert_string_equal(h->name, "host");
    assert_int_equal(h->memory, PAGES(64 * GiB));
    assert_int_equal(h->reserved, 0);
    assert_int_equal(h->swap, 0);
    assert_int_equal(h->swap_latency, 8 * MS);
    assert_true(h->ksm_sharing == 0);
    assert_int_equal(h->first_vm, 0);
    assert_int_equal(h->n_vms, 1);
    assert_int_equal(sc->n_vms, 1);
    const scen_vm *v = &sc->vms[0];
    assert_string_equal(v->name, "vm");
    assert_int_equal(v->host, 0);
    assert_int_equal(v->memory, PAGES(8 * GiB));
    assert_int_equal(v->min, 0);
    assert_int_equal(v->start_memory, v->memory);
    assert_int_equal(v->shares, 1000);
    assert_int_equal(v->swap, 0);
    assert_int_equal(v->swap_latency, 1 * MS);
    assert_int_equal(v->start, 0);
    assert_true(v->stop == BS_TIME_NEVER);
    assert_int_equal(v->restart_delay, 60 * SEC);
    assert_true(v->balloon.enabled);
    assert_int_equal(v->balloon.preset, PRESET_VIRTIO);
    assert_int_equal(v->balloon.latency, 100 * MS);
    assert_true(v->balloon.inflate_rate == 256.0 * MiB);
    assert_true(v->balloon.reclaim_rate == 256.0 * MiB);
    assert_true(v->balloon.deflate_rate == 1.0 * GiB);
    assert_int_equal(v->balloon.retry_delay, 200 * MS);
    assert_false(v->balloon.deflate_on_oom);
    assert_false(v->balloon.free_page_reporting);
    assert_int_equal(v->balloon.reporting_delay, 2 * SEC);
    assert_int_equal(v->balloon.n_stuck, 0);
    assert_non_null(v->demand);
    assert_null(v->cache);
    assert_true(v->locality == 2.0);
    assert_true(v->touch_rate == 20000);
    assert_int_equal(sc->n_specs, 1);
    assert_int_equal(scen_find_vm(sc, "vm"), 0);
    assert_int_equal(scen_find_vm(sc, "nope"), SIZE_MAX);
}

static void test_all_keys_read(void **state) {
    fx *f = *state;
    scen *sc = load_ok(f, "name: custom\n"
                          "description: text here\n"
                          "duration: 10h\n"
                          "seed: 42\n"
                          "warmup: 1h\n"
                          "sample_interval: 30s\n"
                          "policy: {name: proportional, interval: 20s, stats_interval: 2s}\n"
                          "hosts:\n"
                          "  - name: big\n"
                          "    memory: 64GiB\n"
                          "    reserved: 2GiB\n"
                          "    swap: 16GiB\n"
                          "    swap_latency: 4ms\n"
                          "    ksm: {enabled: true, sharing: 20%}\n"
                          "    vms:\n"
                          "      - name: db\n"
                          "        memory: 8GiB\n"
                          "        min: 2GiB\n"
                          "        start_memory: 4GiB\n"
                          "        shares: 0\n"
                          "        swap: 2GiB\n"
                          "        swap_latency: 2ms\n"
                          "        start: 10m\n"
                          "        stop: 5h\n"
                          "        restart_delay: 30s\n"
                          "        balloon:\n"
                          "          driver: xen\n"
                          "          latency: 250ms\n"
                          "          inflate_rate: 1GiB/s\n"
                          "          reclaim_rate: 60MiB/m\n"
                          "          deflate_rate: 2GiB/s\n"
                          "          retry_delay: 3s\n"
                          "          deflate_on_oom: true\n"
                          "          free_page_reporting: true\n"
                          "          reporting_delay: 5s\n"
                          "          max_balloon_fraction: 50%\n"
                          "          hyperv_floor: true\n"
                          "          stuck: [{at: 2h, for: 10m}, {at: 30m, for: 5m}]\n"
                          "        workload: {type: constant, size: 1GiB, cache: 512MiB, locality: 1.5, touch_rate: 100}\n");
    assert_string_equal(sc->name, "custom");
    assert_string_equal(sc->description, "text here");
    assert_int_equal(sc->seed, 42);
    assert_int_equal(sc->warmup, 3600 * SEC);
    assert_int_equal(sc->sample_interval, 30 * SEC);
    assert_string_equal(sc->policy.type->name, "proportional");
    assert_int_equal(sc->policy.interval, 20 * SEC);
    assert_int_equal(sc->policy.stats_interval, 2 * SEC);
    const scen_host *h = &sc->hosts[0];
    assert_string_equal(h->name, "big");
    assert_int_equal(h->reserved, PAGES(2 * GiB));
    assert_int_equal(h->swap, PAGES(16 * GiB));
    assert_int_equal(h->swap_latency, 4 * MS);
    assert_true(h->ksm_sharing == 0.2);
    const scen_vm *v = &sc->vms[0];
    assert_string_equal(v->name, "db");
    assert_int_equal(v->min, PAGES(2 * GiB));
    assert_int_equal(v->start_memory, PAGES(4 * GiB));
    assert_int_equal(v->shares, 0);
    assert_int_equal(v->swap, PAGES(2 * GiB));
    assert_int_equal(v->swap_latency, 2 * MS);
    assert_int_equal(v->start, 600 * SEC);
    assert_int_equal(v->stop, 5 * 3600 * SEC);
    assert_int_equal(v->restart_delay, 30 * SEC);
    const scen_balloon *b = &v->balloon;
    assert_int_equal(b->preset, PRESET_XEN);
    assert_int_equal(b->latency, 250 * MS);
    assert_true(b->inflate_rate == 1.0 * GiB);
    assert_true(b->reclaim_rate == 1.0 * MiB);
    assert_true(b->deflate_rate == 2.0 * GiB);
    assert_int_equal(b->retry_delay, 3 * SEC);
    assert_true(b->deflate_on_oom);
    assert_true(b->free_page_reporting);
    assert_int_equal(b->reporting_delay, 5 * SEC);
    assert_true(b->max_balloon_fraction == 0.5);
    assert_true(b->hyperv_floor);
    /* stuck windows sorted by `at` */
    assert_int_equal(b->n_stuck, 2);
    assert_int_equal(b->stuck[0].at, 1800 * SEC);
    assert_int_equal(b->stuck[0].len, 300 * SEC);
    assert_int_equal(b->stuck[1].at, 7200 * SEC);
    assert_non_null(v->cache);
    assert_true(v->locality == 1.5);
    assert_true(v->touch_rate == 100);
    assert_int_equal(sc->n_specs, 2);
}

static void test_presets(void **state) {
    (void)state;
    scen_balloon b;
    scen_balloon_preset(PRESET_VMWARE, &b);
    assert_int_equal(b.latency, 1 * SEC);
    assert_true(b.inflate_rate == 16384.0 * 4096); /* 16384 pages/s */
    assert_true(b.reclaim_rate == 2048.0 * 4096);  /* 2048 pages/s */
    assert_true(b.deflate_rate == 64.0 * MiB);
    assert_int_equal(b.retry_delay, 1 * SEC);
    assert_true(b.max_balloon_fraction == 0.65);
    assert_false(b.hyperv_floor);
    scen_balloon_preset(PRESET_HYPERV, &b);
    assert_true(b.inflate_rate == 128.0 * MiB && b.reclaim_rate == 64.0 * MiB && b.deflate_rate == 512.0 * MiB);
    assert_true(b.hyperv_floor);
    assert_true(b.max_balloon_fraction == 1.0);
    scen_balloon_preset(PRESET_XEN, &b);
    assert_true(b.inflate_rate == 100.0 * MiB && b.reclaim_rate == 50.0 * MiB && b.deflate_rate == 1.0 * GiB);
    assert_int_equal(b.latency, 1 * SEC);
    scen_balloon_preset(PRESET_VIRTIO, &b);
    assert_int_equal(b.latency, 100 * MS);
    assert_true(b.enabled);
    assert_string_equal(scen_preset_name(PRESET_VIRTIO), "virtio");
    assert_string_equal(scen_preset_name(PRESET_VMWARE), "vmware");
    assert_string_equal(scen_preset_name(PRESET_HYPERV), "hyperv");
    assert_string_equal(scen_preset_name(PRESET_XEN), "xen");
}

static void test_preset_field_override(void **state) {
    fx *f = *state;
    scen *sc = load_ok(f, "duration: 1h\nhosts:\n  - memory: 8GiB\n    vms:\n      - memory: 1GiB\n"
                          "        balloon: {driver: vmware, latency: 2s}\n        " WL "\n");
    const scen_balloon *b = &sc->vms[0].balloon;
    assert_int_equal(b->preset, PRESET_VMWARE);
    assert_int_equal(b->latency, 2 * SEC);           /* overridden */
    assert_true(b->reclaim_rate == 8.0 * MiB);       /* the rest from vmware */
    assert_true(b->max_balloon_fraction == 0.65);
}

static void test_names_and_counts(void **state) {
    fx *f = *state;
    scen *sc = load_ok(f, "duration: 1h\n"
                          "hosts:\n"
                          "  - name: node\n"
                          "    count: 2\n"
                          "    memory: 32GiB\n"
                          "    vms:\n"
                          "      - {name: web, count: 3, memory: 2GiB, " WL "}\n"
                          "      - {name: db, memory: 4GiB, " WL "}\n"
                          "  - name: edge\n"
                          "    memory: 8GiB\n"
                          "    vms:\n"
                          "      - {name: cache, count: 2, memory: 1GiB, " WL "}\n");
    const char *want[] = {"node-1.web-1", "node-1.web-2", "node-1.web-3", "node-1.db",
                          "node-2.web-1", "node-2.web-2", "node-2.web-3", "node-2.db",
                          "cache-1",      "cache-2"};
    const size_t want_host[] = {0, 0, 0, 0, 1, 1, 1, 1, 2, 2};
    assert_int_equal(sc->n_vms, 10);
    for (size_t i = 0; i < 10; i++) {
        assert_string_equal(sc->vms[i].name, want[i]);
        assert_int_equal(sc->vms[i].host, want_host[i]);
        assert_int_equal(sc->vms[i].index, i);
    }
    assert_int_equal(sc->n_hosts, 3);
    assert_string_equal(sc->hosts[0].name, "node-1");
    assert_string_equal(sc->hosts[1].name, "node-2");
    assert_string_equal(sc->hosts[2].name, "edge");
    assert_int_equal(sc->hosts[1].first_vm, 4);
    assert_int_equal(sc->hosts[1].n_vms, 4);
    assert_int_equal(sc->hosts[2].first_vm, 8);
    assert_int_equal(sc->hosts[2].n_vms, 2);
    /* One spec per VM entry, shared by its instances across host instances. */
    assert_int_equal(sc->n_specs, 3);
    assert_ptr_equal(sc->vms[0].demand, sc->vms[6].demand);
    assert_ptr_not_equal(sc->vms[0].demand, sc->vms[3].demand);
    assert_int_equal(scen_find_vm(sc, "node-2.db"), 7);
}

static void test_host_shorthand(void **state) {
    fx *f = *state;
    scen *sc = load_ok(f, "duration: 1h\nhost: {memory: 8GiB, vms: [{name: a, memory: 1GiB, " WL "}]}\n");
    assert_int_equal(sc->n_hosts, 1);
    assert_string_equal(sc->vms[0].name, "a");
    load_bad(f,
             "duration: 1h\nhost: {memory: 8GiB, vms: [{memory: 1GiB, " WL "}]}\n"
             "hosts: [{memory: 8GiB, vms: [{memory: 1GiB, " WL "}]}]\n",
             "2:7: host: use either 'hosts' (a list) or 'host' (one mapping), not both");
}

static void test_vm_defaults_deep_merge(void **state) {
    fx *f = *state;
    scen *sc = load_ok(f, "duration: 1h\n"
                          "vm_defaults:\n"
                          "  min: 1GiB\n"
                          "  balloon: {driver: vmware, latency: 5s}\n"
                          "  " WL "\n"
                          "hosts:\n"
                          "  - memory: 32GiB\n"
                          "    vms:\n"
                          "      - {name: a, memory: 4GiB, balloon: {latency: 2s}}\n"
                          "      - {name: b, memory: 4GiB, min: 2GiB, workload: {size: 2GiB}}\n"
                          "      - {name: c, memory: 4GiB, workload: {type: diurnal, base: 1GiB, peak: 2GiB}}\n");
    const scen_vm *a = &sc->vms[0], *b = &sc->vms[1];
    assert_int_equal(a->min, PAGES(1 * GiB));
    assert_int_equal(a->balloon.preset, PRESET_VMWARE); /* from the defaults */
    assert_int_equal(a->balloon.latency, 2 * SEC);      /* the VM wins, key by key */
    assert_int_equal(b->min, PAGES(2 * GiB));
    assert_int_equal(b->balloon.latency, 5 * SEC);
    assert_non_null(b->demand);
    /* A different workload type replaces the defaults' workload (no stray `size`). */
    assert_non_null(sc->vms[2].demand);
    assert_ptr_not_equal(sc->vms[2].demand, b->demand);
}

static void test_memory_distribution_drawn_per_instance(void **state) {
    fx *f = *state;
    scen *sc = load_ok(f, "duration: 1h\nseed: 11\nhosts:\n  - memory: 256GiB\n    vms:\n"
                          "      - {name: web, count: 4, memory: {dist: uniform, min: 1GiB, max: 3GiB}, " WL "}\n");
    for (size_t i = 0; i < 4; i++) {
        /* Independent replay of the documented stream: (seed, instance, "memory"). */
        gsl_rng *r = rng_stream_new(11, sc->vms[i].name, "memory");
        double x = gsl_ran_flat(r, 1.0 * GiB, 3.0 * GiB);
        gsl_rng_free(r);
        assert_int_equal(sc->vms[i].memory, (bs_pages)floor(x / 4096));
        assert_int_equal(sc->vms[i].start_memory, sc->vms[i].memory);
    }
    assert_true(sc->vms[0].memory != sc->vms[1].memory);
    bs_pages web3 = sc->vms[2].memory;
    /* Common random numbers: another VM in front changes nothing for web-3. */
    sc = load_ok(f, "duration: 1h\nseed: 11\nhosts:\n  - memory: 256GiB\n    vms:\n"
                    "      - {name: db, memory: {dist: uniform, min: 1GiB, max: 3GiB}, " WL "}\n"
                    "      - {name: web, count: 4, memory: {dist: uniform, min: 1GiB, max: 3GiB}, " WL "}\n");
    assert_int_equal(sc->vms[scen_find_vm(sc, "web-3")].memory, web3);
}

static void test_disabled_balloon_starts_full(void **state) {
    fx *f = *state;
    scen *sc = load_ok(f, "duration: 1h\nhosts:\n  - memory: 8GiB\n    vms:\n"
                          "      - {memory: 4GiB, min: 1GiB, start_memory: 2GiB, balloon: {enabled: false}, " WL "}\n");
    assert_false(sc->vms[0].balloon.enabled);
    assert_int_equal(sc->vms[0].start_memory, PAGES(4 * GiB));
}

static void test_ksm_disabled_is_zero(void **state) {
    fx *f = *state;
    scen *sc = load_ok(f, "duration: 1h\nhosts:\n  - memory: 8GiB\n    ksm: {sharing: 30%}\n    vms:\n"
                          "      - {memory: 4GiB, " WL "}\n  - name: other\n    memory: 8GiB\n    ksm: {enabled: true}\n    vms:\n"
                          "      - {name: b, memory: 4GiB, " WL "}\n");
    assert_true(sc->hosts[0].ksm_sharing == 0);
    assert_true(sc->hosts[1].ksm_sharing == 0.10);
}

/* ---- includes ---- */

static void test_include(void **state) {
    fx *f = *state;
    scen_overrides ov = {0};
    assert_int_equal(scen_load("tests/data/scenario/with_include.yaml", &ov, &f->errs, &f->sc), BS_OK);
    scen *sc = f->sc;
    assert_int_equal(sc->seed, 5);                  /* this file over base.yaml */
    assert_int_equal(sc->duration, 2 * 3600 * SEC); /* from base.yaml */
    assert_string_equal(sc->vms[0].name, "web");
    assert_string_equal(sc->policy.type->name, "proportional");   /* parts/policy.yaml */
    assert_int_equal(sc->policy.interval, 30 * SEC);              /* parts/interval.yaml, via parts/ */
    assert_string_equal(sc->description, "from interval");        /* later include over earlier */
    assert_string_equal(sc->name, "with_include");
}

static void test_include_cycle(void **state) {
    fx *f = *state;
    scen_overrides ov = {0};
    assert_int_equal(scen_load("tests/data/scenario/cycle_a.yaml", &ov, &f->errs, &f->sc), BS_ERR_INPUT);
    assert_null(f->sc);
    assert_true(has_error(f, "tests/data/scenario/cycle_b.yaml:1:10: include: include cycle: "));
}

static void test_include_missing_file(void **state) {
    fx *f = *state;
    assert_int_equal(load_ov(f, "s.yaml", "include: [nothere.yaml]\nduration: 1h\n", NULL), BS_ERR_INPUT);
    char want[512];
    snprintf(want, sizeof want, "%s:1:11: include[0]: cannot open '%s/nothere.yaml': No such file or directory", f->path,
             f->dir);
    assert_true(has_error(f, want));
}

/* ---- overrides ---- */

static const char *SCRIPTED =
    "duration: 1h\n"
    "seed: 4\n"
    "policy:\n"
    "  name: scripted\n"
    "  interval: 7s\n"
    "  params: {targets: [{at: 1m, vm: web-2, target: 1GiB}]}\n"
    "hosts:\n"
    "  - memory: 16GiB\n"
    "    vms:\n"
    "      - {name: web, count: 2, memory: 2GiB, " WL "}\n";

static void test_overrides_set_policy_seed(void **state) {
    fx *f = *state;
    const char *sets[] = {"hosts[0].vms[0].count=3", "hosts[0].reserved=1GiB", "description=set here"};
    scen_overrides ov = {.sets = sets, .n_sets = 3, .policy = "proportional", .has_seed = true, .seed = 99};
    assert_int_equal(load_ov(f, "s.yaml", SCRIPTED, &ov), BS_OK);
    scen *sc = f->sc;
    assert_int_equal(sc->n_vms, 3);
    assert_int_equal(sc->hosts[0].reserved, PAGES(1 * GiB));
    assert_string_equal(sc->description, "set here");
    assert_int_equal(sc->seed, 99);
    /* -p with another name: scripted's params and intervals are dropped, the
     * new policy runs with its own defaults. */
    assert_string_equal(sc->policy.type->name, "proportional");
    assert_int_equal(sc->policy.interval, sc->policy.type->default_interval);
}

static void test_override_same_policy_keeps_params(void **state) {
    fx *f = *state;
    scen_overrides ov = {.policy = "scripted"};
    assert_int_equal(load_ov(f, "s.yaml", SCRIPTED, &ov), BS_OK);
    assert_non_null(f->sc->policy.cfg);
    /* ... and the params are still checked: web-2 must exist. */
    const char *sets[] = {"hosts[0].vms[0].count=1"};
    scen_overrides ov2 = {.sets = sets, .n_sets = 1, .policy = "scripted"};
    assert_int_equal(load_ov(f, "s.yaml", SCRIPTED, &ov2), BS_ERR_INPUT);
    assert_true(has_error(f, "policy.params.targets[0].vm"));
}

static void test_override_policy_name_of_short_form(void **state) {
    fx *f = *state;
    const char *sets[] = {"policy.name=proportional"};
    scen_overrides ov = {.sets = sets, .n_sets = 1};
    assert_int_equal(load_ov(f, "s.yaml",
                             "duration: 1h\npolicy: static\nhosts: [{memory: 8GiB, vms: [{memory: 1GiB, " WL "}]}]\n",
                             &ov),
                     BS_OK);
    assert_string_equal(f->sc->policy.type->name, "proportional");
    assert_int_equal(f->sc->policy.interval, f->sc->policy.type->default_interval);
}

static void test_override_errors(void **state) {
    fx *f = *state;
    const char *sets[] = {"nonsense", "hosts[0].memory=lots", "hosts[5].memory=1GiB"};
    scen_overrides ov = {.sets = sets, .n_sets = 3};
    assert_int_equal(load_ov(f, "s.yaml", SCRIPTED, &ov), BS_ERR_INPUT);
    assert_true(has_error(f, "--set: 'nonsense': expected PATH=VALUE"));
    assert_true(has_error(f, "--set: hosts[0].memory: expected a size such as 4GiB, found 'lots'"));
    assert_true(has_error(f, "--set: hosts[5].memory: index 5 is out of range (hosts has 1 item)"));
}

/* ---- policy ---- */

static void test_policy_errors(void **state) {
    fx *f = *state;
    const char *hosts = "hosts: [{memory: 8GiB, vms: [{memory: 1GiB, " WL "}]}]\n";
    char buf[512];
    snprintf(buf, sizeof buf, "duration: 1h\npolicy: nosuch\n%s", hosts);
    /* the message lists every registered policy, in listing order */
    char want[1024] = "2:9: policy: expected a policy (one of: ";
    const pol_type *const *types = pol_types();
    for (size_t i = 0; types[i]; i++) {
        if (i) strcat(want, ", ");
        strcat(want, types[i]->name);
    }
    strcat(want, "), found 'nosuch'");
    assert_non_null(strstr(want, "static, proportional, scripted"));
    load_bad(f, buf, want);
    snprintf(buf, sizeof buf, "duration: 1h\npolicy: {name: static, params: {x: 1}, every: 2s}\n%s", hosts);
    assert_int_equal(load_ov(f, "s.yaml", buf, NULL), BS_ERR_INPUT);
    expect_error(f, "2:33: policy.params.x: unknown key 'x' (no keys are allowed here)");
    expect_error(f, "2:40: policy.every: unknown key 'every' (expected one of: name, interval, stats_interval, params)");
    snprintf(buf, sizeof buf, "duration: 1h\npolicy: {interval: 2s}\n%s", hosts);
    load_bad(f, buf, "2:9: policy: missing required key 'name'");
    snprintf(buf, sizeof buf, "duration: 1h\npolicy: {name: proportional, stats_interval: 0s}\n%s", hosts);
    load_bad(f, buf, "2:46: policy.stats_interval: expected an interval above 0, such as 2s, found '0s'");
}

/* ---- sweep ---- */

static void test_sweep(void **state) {
    fx *f = *state;
    const char *base = "duration: 1h\npolicy: static\nhosts:\n  - memory: 8GiB\n    vms:\n      - {memory: 1GiB, " WL "}\n";
    char buf[1024];
    snprintf(buf, sizeof buf,
             "%ssweep:\n  vary:\n    hosts[0].vms[0].memory: [1GiB, 2GiB]\n    policy.name: [static, proportional]\n"
             "  seeds: 3\n",
             base);
    scen *sc = load_ok(f, buf);
    assert_non_null(sc->sweep);
    assert_int_equal(sc->sweep->kind, CFG_MAP);
    snprintf(buf, sizeof buf,
             "%ssweep:\n  vary:\n    hosts[0].vms[0].memroy: [1GiB]\n    hosts[0].memory: 8GiB\n  seeds: 0\n  step: 1\n",
             base);
    assert_int_equal(load_ov(f, "s.yaml", buf, NULL), BS_ERR_INPUT);
    expect_error(f, "9:5: sweep.vary.hosts[0].vms[0].memroy: 'hosts[0].vms[0].memroy' does not name a scalar of the "
                    "scenario (expected a key path such as hosts[0].vms[0].count)");
    expect_error(f, "10:22: sweep.vary.hosts[0].memory: expected a non-empty list of values, found '8GiB'");
    expect_error(f, "11:10: sweep.seeds: expected a whole number from 1 to 1000000, found '0'");
    expect_error(f, "12:3: sweep.step: unknown key 'step' (expected one of: vary, seeds)");
}


static void test_windows_and_groups(void **state) {
    fx *f = *state;
    const char *base = "duration: 2d\npolicy: static\nhosts:\n  - name: n\n    count: 2\n    memory: 8GiB\n    vms:\n"
                       "      - {name: db, memory: 1GiB, " WL "}\n      - {name: web, count: 2, memory: 1GiB, " WL "}\n";
    char buf[2048];
    snprintf(buf, sizeof buf,
             "%swindows:\n  - {name: peak, start: 12h, end: 16h, every: 1d}\n  - {name: first-hour, start: 0, end: 1h}\n",
             base);
    scen *sc = load_ok(f, buf);
    /* groups: one per vms: item name, across host instances, in order */
    assert_int_equal(sc->n_groups, 2);
    assert_string_equal(sc->groups[0].name, "db");
    assert_int_equal(sc->groups[0].n_vms, 2);
    assert_string_equal(sc->vms[sc->groups[0].vms[1]].name, "n-2.db");
    assert_int_equal(sc->groups[1].n_vms, 4);
    for (size_t i = 0; i < sc->n_vms; i++)
        assert_string_equal(sc->groups[sc->vms[i].group].name, i % 3 == 0 ? "db" : "web");
    assert_int_equal(sc->n_windows, 2);
    const scen_window *w = &sc->windows[0];
    assert_string_equal(w->name, "peak");
    assert_int_equal(w->every, 24 * 3600 * BS_NS_PER_S);
    /* membership: [start + k every, end + k every) */
    const bs_time H = 3600 * BS_NS_PER_S;
    assert_false(scen_window_contains(w, 12 * H - 1));
    assert_true(scen_window_contains(w, 12 * H));
    assert_true(scen_window_contains(w, 16 * H - 1));
    assert_false(scen_window_contains(w, 16 * H));
    assert_true(scen_window_contains(w, 36 * H));
    assert_false(scen_window_contains(w, 41 * H));
    assert_int_equal(scen_window_next_edge(w, 0), 12 * H);
    assert_int_equal(scen_window_next_edge(w, 12 * H), 16 * H);
    assert_int_equal(scen_window_next_edge(w, 16 * H), 36 * H);
    const scen_window *once = &sc->windows[1];
    assert_int_equal(once->every, 0);
    assert_true(scen_window_contains(once, 0));
    assert_false(scen_window_contains(once, 25 * H));
    assert_int_equal(scen_window_next_edge(once, 0), H);
    assert_int_equal(scen_window_next_edge(once, H), BS_TIME_NEVER);

    /* a careless user's windows: every problem, with its place */
    snprintf(buf, sizeof buf,
             "%swindows:\n"
             "  - {name: peak, start: 16h, end: 12h}\n"
             "  - {name: wide, start: 0, end: 5h, every: 4h}\n"
             "  - {name: web, start: 0, end: 1h}\n"
             "  - {name: 'a b', start: 0, end: 1h}\n"
             "  - {name: x, start: 0, end: 1h, evry: 1d}\n"
             "  - {name: x, start: 0, end: 1h}\n"
             "  - {start: 0, end: 1h}\n"
             "  - {name: z, start: 0, end: 1h, every: 0}\n",
             base);
    assert_int_equal(load_ov(f, "s.yaml", buf, NULL), BS_ERR_INPUT);
    expect_error(f, "11:35: windows[0].end: expected an end after the window's start, found '12h'");
    expect_error(f, "12:44: windows[1].every: expected a period at least as long as the window (end - start), found '4h'");
    expect_error(f, "13:12: windows[2].name: 'web' is already the name of a VM group: a window needs a name of its own");
    expect_error(f, "14:12: windows[3].name: expected a name made of letters, digits, '-' and '_', such as peak, found 'a b'");
    expect_error(f, "15:34: windows[4].evry: unknown key 'evry' (expected one of: name, start, end, every)");
    expect_error(f, "16:12: windows[5].name: window 'x' is defined twice (also windows[4])");
    expect_error(f, "17:5: windows[6]: missing required key 'name'");
    expect_error(f, "18:41: windows[7].every: expected a period above 0, such as 1d, found '0'");
    load_bad(f, "duration: 1h\nwindows: {name: peak}\nhosts: [{memory: 8GiB, vms: [{memory: 1GiB, " WL "}]}]\n",
             "2:10: windows: expected a sequence, found a mapping");
}

/* ---- careless inputs: each error with its position and key path ---- */

#define ONE_VM(extra) "duration: 1h\nhosts:\n  - memory: 16GiB\n    vms:\n      - name: web\n" extra

static void test_error_tabs(void **state) {
    fx *f = *state;
    scen_overrides ov = {0};
    assert_int_equal(scen_load("tests/data/scenario/tabs.yaml", &ov, &f->errs, &f->sc), BS_ERR_INPUT);
    assert_int_equal(f->errs.n, 1);
    assert_non_null(strstr(f->errs.msgs[0], "tests/data/scenario/tabs.yaml:5:1: syntax error: "));
    assert_non_null(strstr(f->errs.msgs[0], "tabs"));
}

static void test_error_missing_colon(void **state) {
    fx *f = *state;
    assert_int_equal(load_ov(f, "s.yaml", "duration: 1h\nseed 4\nhosts: []\n", NULL), BS_ERR_INPUT);
    expect_error(f, "2:1: syntax error: could not find expected ':' (while scanning a simple key)");
    assert_int_equal(f->errs.n, 1);
}

static void test_size_with_space_is_decimal(void **state) {
    fx *f = *state;
    scen *sc = load_ok(f, ONE_VM("        memory: 4 GB\n        " WL "\n"));
    assert_int_equal(sc->vms[0].memory, (bs_pages)(4000000000LL / 4096)); /* rounded down */
}

static void test_error_negative_memory(void **state) {
    fx *f = *state;
    load_bad(f, ONE_VM("        memory: -1GiB\n        " WL "\n"),
             "6:17: hosts[0].vms[0].memory: expected a size that is not negative, such as 4GiB, found '-1GiB'");
}

static void test_error_min_above_memory(void **state) {
    fx *f = *state;
    load_bad(f, ONE_VM("        memory: 4GiB\n        min: 5GiB\n        " WL "\n"),
             "7:14: hosts[0].vms[0].min: expected a min no larger than memory (4GiB), found '5GiB'");
    load_bad(f, ONE_VM("        memory: 4GiB\n        min: 1GiB\n        start_memory: 512MiB\n        " WL "\n"),
             "8:23: hosts[0].vms[0].start_memory: expected a start_memory from min (1GiB) to memory (4GiB), found "
             "'512MiB'");
}

static void test_error_duration_zero(void **state) {
    fx *f = *state;
    load_bad(f, "duration: 0\nhosts: [{memory: 1GiB, vms: [{memory: 1GiB, " WL "}]}]\n",
             "1:11: duration: expected a duration above 0, such as 24h, found '0'");
    load_bad(f, "duration: 1h\nwarmup: 1h\nhosts: [{memory: 1GiB, vms: [{memory: 1GiB, " WL "}]}]\n",
             "2:9: warmup: expected a warmup shorter than the duration (1h), found '1h'");
}

static void test_error_unknown_key(void **state) {
    fx *f = *state;
    load_bad(f, ONE_VM("        memroy: 4GiB\n        " WL "\n"),
             "6:9: hosts[0].vms[0].memroy: unknown key 'memroy' (expected one of: name, count, memory, min, "
             "start_memory, shares, swap, swap_latency, start, stop, restart_delay, balloon, workload)");
    expect_error(f, "5:9: hosts[0].vms[0]: missing required key 'memory'");
}

static void test_error_bool_yes(void **state) {
    fx *f = *state;
    load_bad(f, ONE_VM("        memory: 4GiB\n        balloon: {enabled: yes}\n        " WL "\n"),
             "7:28: hosts[0].vms[0].balloon.enabled: expected true or false, found 'yes'");
}

static void test_error_sequence_for_mapping(void **state) {
    fx *f = *state;
    load_bad(f, ONE_VM("        memory: 4GiB\n        balloon: [virtio]\n        " WL "\n"),
             "7:18: hosts[0].vms[0].balloon: expected a mapping, found a sequence");
    load_bad(f, ONE_VM("        memory: 4GiB\n        workload: [constant]\n"),
             "7:19: hosts[0].vms[0].workload: expected a mapping, found a sequence");
}

static void test_error_empty_file(void **state) {
    fx *f = *state;
    assert_int_equal(load_ov(f, "s.yaml", "", NULL), BS_ERR_INPUT);
    expect_error(f, "1:1: (top level): missing required key 'duration'");
    expect_error(f, "1:1: (top level): missing required key 'hosts'");
    assert_int_equal(f->errs.n, 2);
}

static void test_error_no_file(void **state) {
    fx *f = *state;
    scen_overrides ov = {0};
    assert_int_equal(scen_load("/nonexistent/dir/s.yaml", &ov, &f->errs, &f->sc), BS_ERR_INPUT);
    assert_null(f->sc);
    assert_int_equal(f->errs.n, 1);
    assert_string_equal(f->errs.msgs[0], "/nonexistent/dir/s.yaml: cannot open: No such file or directory");
}

static void test_error_duplicate_keys_and_more(void **state) {
    fx *f = *state;
    /* A duplicate key leaves a usable tree: later errors are reported too. */
    assert_int_equal(load_ov(f, "s.yaml", ONE_VM("        memory: 4GiB\n        memory: 8GiB\n        min: 5GiB\n        " WL "\n"), NULL),
                     BS_ERR_INPUT);
    expect_error(f, "7:9: hosts[0].vms[0].memory: duplicate key 'memory' (first at line 6)");
    expect_error(f, "8:14: hosts[0].vms[0].min: expected a min no larger than memory (4GiB), found '5GiB'");
}

static void test_error_depth(void **state) {
    fx *f = *state;
    char buf[1024];
    size_t len = (size_t)snprintf(buf, sizeof buf, "duration: 1h\nx: ");
    for (int i = 0; i < 64; i++) len += (size_t)snprintf(buf + len, sizeof buf - len, "[");
    for (int i = 0; i < 64; i++) len += (size_t)snprintf(buf + len, sizeof buf - len, "]");
    snprintf(buf + len, sizeof buf - len, "\n");
    assert_int_equal(load_ov(f, "s.yaml", buf, NULL), BS_ERR_INPUT);
    expect_error(f, "2:67: x[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]"
                    "[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]"
                    "[0][0]: nesting deeper than 64 levels");
}

static void test_error_duplicate_names(void **state) {
    fx *f = *state;
    assert_int_equal(load_ov(f, "s.yaml",
                             "duration: 1h\nhosts:\n  - memory: 16GiB\n    vms:\n"
                             "      - {name: web, count: 2, memory: 1GiB, " WL "}\n"
                             "      - {name: web-2, memory: 1GiB, " WL "}\n"
                             "      - {name: web, count: 2, memory: 1GiB, " WL "}\n"
                             "  - {name: host, memory: 1GiB, vms: [{name: x, memory: 1GiB, " WL "}]}\n",
                             NULL),
                     BS_ERR_INPUT);
    expect_error(f, "6:16: hosts[0].vms[1].name: duplicate VM name 'web-2' (hosts[0].vms[0], line 5, has it too)");
    /* entry 2 collides with entry 0 twice (web-1, web-2): said once */
    expect_error(f, "7:16: hosts[0].vms[2].name: duplicate VM name 'web-1' (hosts[0].vms[0], line 5, has it too)");
    assert_false(has_error(f, "hosts[0].vms[2].name: duplicate VM name 'web-2' (hosts[0].vms[0]"));
    /* hosts: both default to / are named "host" */
    expect_error(f, "8:12: hosts[1].name: duplicate host name 'host' (hosts[0], line 3, has it too)");
}

static void test_error_stuck_overlap(void **state) {
    fx *f = *state;
    load_bad(f, ONE_VM("        memory: 4GiB\n        balloon:\n          stuck:\n            - {at: 2h, for: 10m}\n"
                       "            - {at: 1h, for: 65m}\n        " WL "\n"),
             "9:15: hosts[0].vms[0].balloon.stuck[0]: stuck window at 2h overlaps the window at 1h for 1h5m "
             "(hosts[0].vms[0].balloon.stuck[1])");
}

static void test_error_host_limits(void **state) {
    fx *f = *state;
    assert_int_equal(load_ov(f, "s.yaml",
                             "duration: 1h\nhosts:\n  - memory: 4GiB\n    reserved: 4GiB\n    ksm: {enabled: true, sharing: 100%}\n"
                             "    vms: []\n",
                             NULL),
                     BS_ERR_INPUT);
    expect_error(f, "4:15: hosts[0].reserved: expected a reserved size below the host's memory (4GiB), found '4GiB'");
    expect_error(f, "5:35: hosts[0].ksm.sharing: expected a sharing fraction below 1 (100%), found '100%'");
    expect_error(f, "6:10: hosts[0].vms: expected a non-empty sequence of VMs, found an empty sequence");
}

static void test_error_vm_fields(void **state) {
    fx *f = *state;
    assert_int_equal(load_ov(f, "s.yaml",
                             ONE_VM("        memory: 4GiB\n        count: 0\n        shares: -5\n        start: 2h\n"
                                    "        stop: 1h\n        balloon: {driver: kvm, retry_delay: 0s}\n"
                                    "        workload: {type: nosuch, locality: 0}\n"),
                             NULL),
                     BS_ERR_INPUT);
    expect_error(f, "7:16: hosts[0].vms[0].count: expected a whole number from 1 to 1000000, found '0'");
    expect_error(f, "8:17: hosts[0].vms[0].shares: expected a whole number >= 0, found '-5'");
    expect_error(f, "10:15: hosts[0].vms[0].stop: expected a stop time after start (2h), found '1h'");
    expect_error(f, "11:27: hosts[0].vms[0].balloon.driver: expected a driver preset (one of: virtio, vmware, hyperv, "
                    "xen), found 'kvm'");
    expect_error(f, "11:45: hosts[0].vms[0].balloon.retry_delay: expected a retry delay above 0, such as 200ms, found "
                    "'0s'");
    assert_true(has_error(f, "12:26: hosts[0].vms[0].workload.type: expected a workload type (one of: constant"));
    expect_error(f, "12:44: hosts[0].vms[0].workload.locality: expected a locality above 0, such as 2.0, found '0'");
}

static void test_all_errors_in_one_pass(void **state) {
    fx *f = *state;
    assert_int_equal(load_ov(f, "s.yaml",
                             "duration: 0\n"
                             "sead: 4\n"
                             "hosts:\n"
                             "  - memory: 4GiB\n"
                             "    vms:\n"
                             "      - {name: a, memory: 1GiB, balloon: {enabled: no}, " WL "}\n"
                             "      - {name: b, memory: x, " WL "}\n"
                             "  - memory: -1\n"
                             "    vms: [{name: c, memory: 1GiB, " WL "}]\n",
                             NULL),
                     BS_ERR_INPUT);
    expect_error(f, "1:11: duration: expected a duration above 0, such as 24h, found '0'");
    expect_error(f, "2:1: sead: unknown key 'sead' (expected one of: name, description, duration, seed, warmup, "
                    "sample_interval, policy, hosts, host, vm_defaults, include, sweep, windows)");
    expect_error(f, "6:52: hosts[0].vms[0].balloon.enabled: expected true or false, found 'no'");
    expect_error(f, "7:27: hosts[0].vms[1].memory: expected a size such as 4GiB, found 'x'");
    expect_error(f, "8:13: hosts[1].memory: expected a size that is not negative, such as 4GiB, found '-1'");
    expect_error(f, "8:5: hosts[1].name: duplicate host name 'host' (hosts[0], line 4, has it too)");
    assert_int_equal(f->errs.n, 6);
}

static void test_load_tree_owns_doc(void **state) {
    fx *f = *state;
    cfg_doc *doc;
    cfg_node *root;
    assert_int_equal(cfg_doc_new(&doc), BS_OK);
    assert_int_equal(cfg_parse_string(doc, "mem.yaml",
                                      "duration: 1h\nhosts: [{memory: 8GiB, vms: [{name: z, memory: 1GiB, " WL "}]}]\n",
                                      &f->errs, &root),
                     BS_OK);
    assert_int_equal(scen_load_tree(doc, root, "mem.yaml", NULL, &f->errs, &f->sc), BS_OK);
    assert_ptr_equal(f->sc->doc, doc);
    assert_string_equal(f->sc->name, "mem");
    assert_string_equal(f->sc->vms[0].name, "z");
}

int main(void) {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_defaults),
        T(test_all_keys_read),
        T(test_presets),
        T(test_preset_field_override),
        T(test_names_and_counts),
        T(test_host_shorthand),
        T(test_vm_defaults_deep_merge),
        T(test_memory_distribution_drawn_per_instance),
        T(test_disabled_balloon_starts_full),
        T(test_ksm_disabled_is_zero),
        T(test_include),
        T(test_include_cycle),
        T(test_include_missing_file),
        T(test_overrides_set_policy_seed),
        T(test_override_same_policy_keeps_params),
        T(test_override_policy_name_of_short_form),
        T(test_override_errors),
        T(test_policy_errors),
        T(test_sweep),
        T(test_windows_and_groups),
        T(test_error_tabs),
        T(test_error_missing_colon),
        T(test_size_with_space_is_decimal),
        T(test_error_negative_memory),
        T(test_error_min_above_memory),
        T(test_error_duration_zero),
        T(test_error_unknown_key),
        T(test_error_bool_yes),
        T(test_error_sequence_for_mapping),
        T(test_error_empty_file),
        T(test_error_no_file),
        T(test_error_duplicate_keys_and_more),
        T(test_error_depth),
        T(test_error_duplicate_names),
        T(test_error_stuck_overlap),
        T(test_error_host_limits),
        T(test_error_vm_fields),
        T(test_all_errors_in_one_pass),
        T(test_load_tree_owns_doc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
