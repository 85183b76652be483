/* test_fsutil.c -- sim/base/fsutil: path joining and mkdir -p (nested,
 * existing, a file in the way, recording what was made). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/base/fsutil.h"

static void expect_join(const char *a, const char *b, const char *want) {
    char *p = fs_path_join(a, b);
    assert_non_null(p);
    assert_string_equal(p, want);
    free(p);
}

static void path_join(void **state) {
    (void)state;
    expect_join("out", "plots", "out/plots");
    expect_join("out/", "plots", "out/plots");
    expect_join("/", "tmp", "/tmp");
    expect_join("", "x", "/x");
    expect_join("a", "", "a/");
}

static bool is_dir(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int make_tmp(void **state) {
    char *t = strdup("/tmp/bs_fsutil_XXXXXX");
    if (t == NULL || mkdtemp(t) == NULL) return -1;
    *state = t;
    return 0;
}

static int rm_tmp(void **state) {
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", (char *)*state);
    int rc = system(cmd);
    free(*state);
    return rc == 0 ? 0 : -1;
}

static void mkdirs_nested_and_existing(void **state) {
    char p[512];
    snprintf(p, sizeof p, "%s/a/b//c/", (char *)*state);
    assert_int_equal(fs_mkdirs(p), BS_OK);
    assert_true(is_dir(p));
    assert_int_equal(fs_mkdirs(p), BS_OK); /* existing: fine */
    assert_int_equal(fs_mkdirs(*state), BS_OK);
    assert_int_equal(fs_mkdirs(""), BS_ERR_INTERNAL);
}

static void mkdirs_file_in_the_way(void **state) {
    char f[512], p[600];
    snprintf(f, sizeof f, "%s/file", (char *)*state);
    FILE *fp = fopen(f, "w");
    assert_non_null(fp);
    fclose(fp);
    assert_int_equal(fs_mkdirs(f), BS_ERR_INTERNAL);
    snprintf(p, sizeof p, "%s/sub", f);
    assert_int_equal(fs_mkdirs(p), BS_ERR_INTERNAL);
}

static void mkdirs_records_what_it_made(void **state) {
    char p[512];
    snprintf(p, sizeof p, "%s/x/y", (char *)*state);
    char *made[4] = {0};
    size_t n = 0;
    assert_int_equal(fs_mkdirs_record(p, made, &n, 4), BS_OK);
    assert_int_equal(n, 2); /* x and x/y; the temporary directory existed */
    assert_non_null(strstr(made[0], "/x"));
    assert_string_equal(made[1], p);
    for (size_t i = 0; i < n; i++) free(made[i]);
    n = 0;
    assert_int_equal(fs_mkdirs_record(p, made, &n, 4), BS_OK);
    assert_int_equal(n, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(path_join),
        cmocka_unit_test_setup_teardown(mkdirs_nested_and_existing, make_tmp, rm_tmp),
        cmocka_unit_test_setup_teardown(mkdirs_file_in_the_way, make_tmp, rm_tmp),
        cmocka_unit_test_setup_teardown(mkdirs_records_what_it_made, make_tmp, rm_tmp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
