/* helpers.h -- shared test fixtures: scenarios from inline YAML, an
 * in-memory sink that records what a run emits, scratch directories and
 * files, and the balloonsim binary run as a child process.  They live here
 * once so that every test file cleans up, reads files and captures a child's
 * output the same way. */
#ifndef BS_TEST_HELPERS_H
#define BS_TEST_HELPERS_H

#include <stdbool.h>
#include <sys/types.h>

#include "sim/engine.h"
#include "sim/scenario.h"
#include "policies/pol.h"

/* Write `yaml` to a temporary file and load it; fails the test on errors
 * (printing them). */
scen *th_load(const char *yaml);
/* Same, but returns the rc and leaves errors in *errs (for error tests). */
bs_rc th_try_load(const char *yaml, cfg_errs *errs, scen **out);

typedef struct th_capture {
    eng_vm_sample *vm_rows;
    size_t n_vm_rows, cap_vm_rows;
    eng_host_sample *host_rows;
    size_t n_host_rows, cap_host_rows;
    eng_event *events; /* names point to static strings or the scen */
    size_t n_events, cap_events;
} th_capture;

eng_sink th_capture_sink(th_capture *c);
void th_capture_free(th_capture *c);
/* Events named `what` for VM `vm` (NULL: any), in order; returns count, fills
 * up to max into out. */
size_t th_find_events(const th_capture *c, const char *vm, const char *what, const eng_event **out,
                      size_t max);
/* Run the scenario capturing everything. */
void th_run(const scen *sc, th_capture *cap, eng_result *res);

/* ---- scratch directories and files ------------------------------------ */

/* Remove `path` and everything below it (links are not followed); returns
 * nftw's result, 0 when all went. */
int th_rm_rf(const char *path);
/* A fresh directory /tmp/bs_test_<tag>_XXXXXX (fails the test if it cannot
 * be made); caller frees. */
char *th_make_tmpdir(const char *tag);
/* "a/b", malloc'd. */
char *th_path(const char *a, const char *b);
/* Everything readable from `fd`, from offset 0 on, as a NUL-terminated
 * string; caller frees. */
char *th_read_fd(int fd);
/* The whole file at `path` (NULL if it cannot be opened); caller frees. */
char *th_read_file(const char *path);
/* th_read_file of dir/name. */
char *th_slurp(const char *dir, const char *name);
/* Same, but a file that cannot be read fails the test. */
char *th_slurp_or_fail(const char *dir, const char *name);
/* Whether dir/name exists. */
bool th_exists(const char *dir, const char *name);
/* Entries of `dir` (besides . and ..) whose name contains `part`; -1 when
 * `dir` cannot be opened. */
int th_count_entries(const char *dir, const char *part);

/* ---- a program as a child process --------------------------------------- */

/* A finished child: exit code (128 + signal when killed), stdout, stderr. */
typedef struct th_proc {
    int code;
    char *out, *err;
} th_proc;

void th_proc_free(th_proc *p);
/* Two anonymous (already unlinked) temporary files for a child's stdout and
 * stderr. */
void th_tmp_fds(int *out, int *err);
/* Start argv (argv[0] is the program's path, NULL-terminated) with stdin
 * from /dev/null, stdout and stderr to `out` and `err`, in `cwd` (NULL: ours)
 * and with PATH = `path` (NULL: ours).  Exit code 126: chdir failed, 127:
 * exec failed. */
pid_t th_start(const char *cwd, const char *path, const char *const *argv, int out, int err);
/* Wait for `pid` and collect what it wrote to `out` and `err` (closes them). */
th_proc th_finish(pid_t pid, int out, int err);
/* Run `prog` with `args` (NULL-terminated, without argv[0]; at most 62) in
 * `cwd` with PATH = `path` (NULL: unchanged), wait and capture. */
th_proc th_exec(const char *prog, const char *cwd, const char *path, const char *const *args);

#define TH_GIB (1024LL * 1024 * 1024)
#define TH_MIB (1024LL * 1024)
#define TH_S(x) ((bs_time)((x) * 1e9 + 0.5))

/* A policy as the engine and `decide` make it: configured from params given
 * as YAML flow text (NULL: none, all defaults; any error fails the test) and
 * its state for host `host` (SIZE_MAX: no scenario, as in `decide`). */
typedef struct th_policy {
    const pol_type *type;
    cfg_doc *doc;
    void *cfg, *state;
} th_policy;

void th_policy_setup(th_policy *p, const pol_type *type, const char *params_yaml, size_t host);
void th_policy_teardown(th_policy *p);

/* Configuring `type` from params given as YAML flow text, at key path `at`,
 * must fail with BS_ERR_INPUT, leave no config, and its first error must
 * contain `needle` (the test fails otherwise). */
void th_expect_one_error(const pol_type *type, const char *params_yaml, const char *at,
                         const char *needle);

#endif
