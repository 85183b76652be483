/* test_import.c -- `balloonsim import mom-simulator` (sim/cmd_import.c).
 *
 * The fixture tests/data/import/small.csv is a MoM simulator input written by
 * hand (its comments say what each line is); the expected hosts, VMs and steps
 * below are worked out from its numbers: KiB / 4 = pages, sample i at i x 2 s,
 * the shortest line (6 samples) ends the run.  The YAML is checked by loading
 * it with scen_load and by running its workloads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/cli/cli.h"
#include "sim/cli/cmd_import.h"
#include "sim/scenario.h"
#include "workloads/wl.h"
#include "tests/helpers.h"

#define SMALL "tests/data/import/small.csv"
#define SEC BS_NS_PER_S

static char tmpdir[64];

static int make_tmpdir(void **state)
{
    (void)state;
    char *d = th_make_tmpdir("import");
    snprintf(tmpdir, sizeof tmpdir, "%s", d);
    free(d);
    return 0;
}

static int remove_tmpdir(void **state)
{
    (void)state;
    return th_rm_rf(tmpdir) == 0 ? 0 : -1;
}

static const char *tmp_path(const char *name)
{
    static char path[2][160];
    static int which;
    which ^= 1;
    snprintf(path[which], sizeof path[which], "%s/%s", tmpdir, name);
    return path[which];
}

static const char *write_tmp(const char *name, const char *text)
{
    const char *p = tmp_path(name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return p;
}

/* Import `in`; returns the YAML text (caller frees); asserts success. */
static char *import_ok(const char *in, bs_time interval)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    assert_non_null(m);
    cfg_errs errs = {0};
    cli_import_opts o = {.interval = interval};
    bs_rc rc = cli_import_mom(in, &o, m, &errs);
    if (rc != BS_OK) cfg_errs_print(&errs, stderr);
    assert_int_equal(rc, BS_OK);
    assert_int_equal(errs.n, 0);
    cfg_errs_free(&errs);
    fclose(m);
    return buf;
}

/* Load YAML text as a scenario (as `balloonsim validate` would). */
static scen *load_yaml(const char *yaml)
{
    const char *p = write_tmp("imported.yaml", yaml);
    cfg_errs errs = {0};
    scen *sc = NULL;
    bs_rc rc = scen_load(p, NULL, &errs, &sc);
    if (rc != BS_OK) cfg_errs_print(&errs, stderr);
    assert_int_equal(rc, BS_OK);
    cfg_errs_free(&errs);
    return sc;
}

/* Demand in pages of VM `i` at time t (fresh generator each call). */
static bs_pages demand_at(const scen *sc, size_t i, bs_time t)
{
    wl_vm_info vm = {.name = sc->vms[i].name, .seed = 1, .memory = sc->vms[i].memory,
                     .purpose = "demand"};
    wl_gen *g = NULL;
    assert_int_equal(wl_instantiate(sc->vms[i].demand, &vm, &g), BS_OK);
    bs_time nx;
    bs_pages v = wl_advance(g, t, &nx);
    wl_gen_free(g);
    return v;
}

static void test_small_file_maps_host_vms_and_samples(void **state)
{
    (void)state;
    char *yaml = import_ok(SMALL, 0);
    /* The policy is MoM's, configured as the simulator's mom.fake.conf. */
    assert_non_null(strstr(yaml, "\npolicy:\n  name: mom\n  interval: 2s\n  stats_interval: 2s\n"
                                 "  params: {sample_history_length: 5, monitor_interval: 2s}\n"));
    scen *sc = load_yaml(yaml);
    assert_string_equal(sc->policy.type->name, "mom");
    assert_int_equal(sc->policy.interval, 2 * SEC);
    assert_int_equal(sc->policy.stats_interval, 2 * SEC);

    /* Six samples per line are common to all: 6 x 2 s. */
    assert_int_equal(sc->duration, 12 * SEC);
    assert_int_equal(sc->sample_interval, 2 * SEC);
    assert_string_equal(sc->name, "small");
    assert_int_equal(sc->n_hosts, 1);
    assert_int_equal(sc->hosts[0].memory, 8388608 / 4);
    /* The largest host-use sample among the six: 1100000 KiB. */
    assert_int_equal(sc->hosts[0].reserved, 1100000 / 4);
    assert_int_equal(sc->n_vms, 3);

    const scen_vm *v1 = &sc->vms[0], *v2 = &sc->vms[1], *v3 = &sc->vms[2];
    assert_string_equal(v1->name, "fake-vm-1");
    assert_string_equal(v2->name, "fake-vm-2");
    assert_string_equal(v3->name, "fake-vm-3");

    /* fake-vm-1: balloon at its maximum, up all the time. */
    assert_int_equal(v1->memory, 2097152 / 4);
    assert_int_equal(v1->start_memory, 2097152 / 4);
    assert_true(v1->balloon.enabled);
    assert_int_equal(v1->start, 0);
    assert_int_equal(v1->stop, BS_TIME_NEVER);
    const int64_t s1[6] = {1000000, 1000000, 1200000, 1500000, 1500000, 1400000};
    for (int i = 0; i < 6; i++)
        assert_int_equal(demand_at(sc, 0, i * 2 * SEC), s1[i] / 4);

    /* fake-vm-2: 'c' = no balloon driver; -1 for two samples = starts at 4 s. */
    assert_int_equal(v2->memory, 1048576 / 4);
    assert_false(v2->balloon.enabled);
    assert_int_equal(v2->start, 4 * SEC);
    assert_int_equal(v2->stop, BS_TIME_NEVER);
    assert_int_equal(demand_at(sc, 1, 4 * SEC), 500000 / 4);
    assert_int_equal(demand_at(sc, 1, 9 * SEC), 600000 / 4);

    /* fake-vm-3: balloon at 512 MiB; off at the end = stops after sample 4;
     * off in the middle = demand 0 while up. */
    assert_int_equal(v3->start_memory, 524288 / 4);
    assert_int_equal(v3->start, 0);
    assert_int_equal(v3->stop, 10 * SEC);
    assert_int_equal(demand_at(sc, 2, 2 * SEC), 300000 / 4);
    assert_int_equal(demand_at(sc, 2, 4 * SEC), 0);
    assert_int_equal(demand_at(sc, 2, 7 * SEC), 0);
    assert_int_equal(demand_at(sc, 2, 8 * SEC), 400000 / 4);

    scen_free(sc);
    free(yaml);
}

static void test_output_is_deterministic_and_interval_option(void **state)
{
    (void)state;
    char *a = import_ok(SMALL, 0), *b = import_ok(SMALL, 0);
    assert_string_equal(a, b);
    /* --interval rescales every time: 500 ms per sample. */
    char *c = import_ok(SMALL, 500 * 1000000LL);
    scen *sc = load_yaml(c);
    assert_int_equal(sc->duration, 3 * SEC);
    assert_int_equal(sc->sample_interval, 500 * 1000000LL);
    assert_int_equal(sc->vms[1].start, 1 * SEC);
    assert_int_equal(sc->vms[2].stop, 2500 * 1000000LL);
    assert_non_null(strstr(c, "  interval: 500ms\n"));
    scen_free(sc);
    free(a);
    free(b);
    free(c);
}

static void test_vm_off_everywhere_is_left_out(void **state)
{
    (void)state;
    const char *p = write_tmp("off.csv", "1000000, 100000, 100000, 100000\n"
                                         "400000, 400000, -1, -1, -1\n"
                                         "400000, 400000, 200000, 250000, 100000\n");
    char *yaml = import_ok(p, 0);
    scen *sc = load_yaml(yaml);
    assert_int_equal(sc->n_vms, 1);
    /* Numbering follows the file: the second VM line is still fake-vm-2. */
    assert_string_equal(sc->vms[0].name, "fake-vm-2");
    assert_int_equal(sc->duration, 6 * SEC);
    assert_non_null(strstr(yaml, "# fake-vm-1 (line 2) is off (-1) in every sample: left out."));
    /* A constant host use needs no comment about its range. */
    assert_null(strstr(yaml, "varies"));
    assert_int_equal(sc->hosts[0].reserved, 100000 / 4);
    scen_free(sc);
    free(yaml);
}

/* Every bad line is reported with file, line and column; nothing is printed. */
static void test_errors_name_file_line_col(void **state)
{
    (void)state;
    const char *p = write_tmp("bad.csv", "# header comment\n"
                                         "1000000, 100000, 100000\n"
                                         "400000, 300000, 200000, abc\n"
                                         "400000, 500000, 200000, 200000\n"
                                         "x400000, 300000, 1\n"
                                         "400000, 300000, -2\n"
                                         "400000, 300000\n"
                                         "400000, 300000, 1,, 2\n");
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    cfg_errs errs = {0};
    assert_int_equal(cli_import_mom(p, NULL, m, &errs), BS_ERR_INPUT);
    fclose(m);
    assert_int_equal(len, 0);
    const char *want[] = {
        ":3:25: expected the used memory in KiB (0 or more) or -1 for a VM that is off, found "
        "'abc'",
        ":4:9: expected an initial balloon size no larger than the maximum memory (400000 KiB), "
        "found '500000'",
        ":5:1: expected the VM's maximum memory in KiB (a whole number above 0, 'c' before it "
        "for a guest without a balloon driver), found 'x400000'",
        ":6:17: expected the used memory in KiB (0 or more) or -1 for a VM that is off, found "
        "'-2'",
        ":7:15: expected a VM line: maximum memory in KiB, initial balloon, then the used memory "
        "per interval, found 2 values",
        ":8:19: expected the used memory in KiB (0 or more) or -1 for a VM that is off, found "
        "nothing",
    };
    assert_int_equal(errs.n, sizeof want / sizeof *want);
    for (size_t i = 0; i < errs.n; i++) {
        char full[512];
        snprintf(full, sizeof full, "%s%s", p, want[i]);
        assert_string_equal(errs.msgs[i], full);
    }
    cfg_errs_free(&errs);
    free(buf);
}

static void import_fails(const char *name, const char *text, const char *want_after_path)
{
    const char *p = text ? write_tmp(name, text) : name;
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    cfg_errs errs = {0};
    if (cli_import_mom(p, NULL, m, &errs) != BS_ERR_INPUT) fail_msg("%s was accepted", name);
    fclose(m);
    assert_int_equal(len, 0);
    char want[512];
    snprintf(want, sizeof want, "%s%s", p, want_after_path);
    if (errs.n != 1 || strncmp(errs.msgs[0], want, strlen(want)) != 0) {
        cfg_errs_print(&errs, stderr);
        fail_msg("expected one error starting: %s", want);
    }
    cfg_errs_free(&errs);
    free(buf);
}

static void test_whole_file_errors(void **state)
{
    (void)state;
    import_fails("empty.csv", "", ":1: expected the host line (total memory in KiB, then the "
                                  "host's own use per interval), found no data");
    import_fails("comments.csv", "# only\n\n# comments\n",
                 ":3: expected the host line");
    import_fails("hostonly.csv", "\n1000000, 1000\n",
                 ":2: expected VM lines after the host line, found none");
    import_fails("host1.csv", "1000000\n400000, 1, 1\n",
                 ":1:8: expected the host line: total memory in KiB, then the host's own use per "
                 "interval, found 1 value");
    import_fails("hostc.csv", "c1000000, 5\n400000, 1, 1\n",
                 ":1:1: expected the host's total memory in KiB");
    import_fails("hostuse.csv", "1000, 2000\n400000, 1, 1\n",
                 ":1:7: expected the host's own use to fit its memory (1000 KiB), found '2000'");
    import_fails("hostneg.csv", "1000000, -1\n400000, 1, 1\n",
                 ":1:10: expected the host's own use in KiB (0 or more), found '-1'");
    import_fails("tiny.csv", "1000000, 1\n2, 1, 1\n",
                 ":2:1: expected at least 4 KiB (one page), found '2'");
    /* The host line has one sample: fake-vm-1's 5 comes too late. */
    import_fails("alloff.csv", "1000000, 1\n400000, 1, -1, 5\n400000, 1, -1, -1\n",
                 ":2: expected a VM that is on (not -1) in the 1 sample all lines have, "
                 "found none");
    import_fails("huge.csv", "1000000, 1\n400000, 1, 99999999999999999999\n",
                 ":2:12: expected the used memory in KiB");
    import_fails(tmp_path("no-such.csv"), NULL, ": cannot open: No such file or directory");
    import_fails(tmpdir, NULL, ":1: cannot read: Is a directory");
    /* A NUL byte (fputs would stop at it: written by hand). */
    const char nul[] = "1000000, 1\n400000, 1, 1\0\n";
    FILE *f = fopen(tmp_path("nul.csv"), "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(nul, 1, sizeof nul - 1, f), sizeof nul - 1);
    fclose(f);
    import_fails(tmp_path("nul.csv"), NULL, ":2: expected text, found a NUL byte");
}

/* The command as users call it (in-process: exit codes and usage). */
static void test_command_line(void **state)
{
    (void)state;
    char a0[] = "balloonsim", a1[] = "import", a2[] = "mom-simulator", a3[] = "other",
         a4[] = "--interval", a5[] = "0s", a6[] = SMALL, a7[] = "extra";
    char *no_file[] = {a0, a1, a2, NULL};
    assert_int_equal(cli_main(3, no_file), BS_ERR_INPUT);
    char *bad_fmt[] = {a0, a1, a3, a6, NULL};
    assert_int_equal(cli_main(4, bad_fmt), BS_ERR_INPUT);
    char *bad_iv[] = {a0, a1, a2, a6, a4, a5, NULL};
    assert_int_equal(cli_main(6, bad_iv), BS_ERR_INPUT);
    char *two[] = {a0, a1, a2, a6, a7, NULL};
    assert_int_equal(cli_main(5, two), BS_ERR_INPUT);
    char bad[] = "tests/data/import/no-such-file.csv";
    char *missing[] = {a0, a1, a2, bad, NULL};
    assert_int_equal(cli_main(4, missing), BS_ERR_INPUT);
}

/* The built binary prints exactly what the library makes, and exits 0. */
static void test_binary_stdout(void **state)
{
    (void)state;
    const char *bin = getenv("BALLOONSIM");
    if (!bin) bin = "./balloonsim";
    if (access(bin, X_OK) != 0) skip();
    th_proc p =
        th_exec(bin, NULL, NULL, (const char *const[]){"import", "mom-simulator", SMALL, NULL});
    assert_int_equal(p.code, 0); /* exited, with 0 */
    char *want = import_ok(SMALL, 0);
    assert_string_equal(p.out, want);
    th_proc_free(&p);
    free(want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_file_maps_host_vms_and_samples),
        cmocka_unit_test(test_output_is_deterministic_and_interval_option),
        cmocka_unit_test(test_vm_off_everywhere_is_left_out),
        cmocka_unit_test(test_errors_name_file_line_col),
        cmocka_unit_test(test_whole_file_errors),
        cmocka_unit_test(test_command_line),
        cmocka_unit_test(test_binary_stdout),
    };
    return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
