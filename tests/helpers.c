/* helpers.c -- see helpers.h. */
#define _XOPEN_SOURCE 700 /* nftw, setenv */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/helpers.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

bs_rc th_try_load(const char *yaml, cfg_errs *errs, scen **out)
{
    char path[] = "/tmp/balloonsim-test-XXXXXX.yaml";
    int fd = mkstemps(path, 5);
    assert_true(fd >= 0);
    size_t len = strlen(yaml);
    assert_int_equal(write(fd, yaml, len), (ssize_t)len);
    close(fd);
    scen_overrides ov = {0};
    bs_rc rc = scen_load(path, &ov, errs, out);
    unlink(path);
    return rc;
}

scen *th_load(const char *yaml)
{
    cfg_errs errs = {0};
    scen *sc = NULL;
    bs_rc rc = th_try_load(yaml, &errs, &sc);
    if (rc != BS_OK) cfg_errs_print(&errs, stderr);
    cfg_errs_free(&errs);
    assert_int_equal(rc, BS_OK);
    assert_non_null(sc);
    return sc;
}

#define GROW(arr, n, cap)                                                                  \
    do {                                                                                   \
        if ((n) == (cap)) {                                                                \
            (cap) = (cap) ? 2 * (cap) : 64;                                                \
            (arr) = realloc((arr), (cap) * sizeof *(arr));                                 \
            if (!(arr)) return BS_ERR_INTERNAL;                                            \
        }                                                                                  \
    } while (0)

static bs_rc cap_vm(void *ctx, const eng_vm_sample *row)
{
    th_capture *c = ctx;
    GROW(c->vm_rows, c->n_vm_rows, c->cap_vm_rows);
    c->vm_rows[c->n_vm_rows++] = *row;
    return BS_OK;
}

static bs_rc cap_host(void *ctx, const eng_host_sample *row)
{
    th_capture *c = ctx;
    GROW(c->host_rows, c->n_host_rows, c->cap_host_rows);
    c->host_rows[c->n_host_rows++] = *row;
    return BS_OK;
}

static bs_rc cap_event(void *ctx, const eng_event *ev)
{
    th_capture *c = ctx;
    GROW(c->events, c->n_events, c->cap_events);
    c->events[c->n_events++] = *ev;
    return BS_OK;
}

eng_sink th_capture_sink(th_capture *c)
{
    memset(c, 0, sizeof *c);
    eng_sink s = {c, cap_vm, cap_host, cap_event};
    return s;
}

void th_capture_free(th_capture *c)
{
    free(c->vm_rows);
    free(c->host_rows);
    free(c->events);
    memset(c, 0, sizeof *c);
}

size_t th_find_events(const th_capture *c, const char *vm, const char *what, const eng_event **out,
                      size_t max)
{
    size_t k = 0;
    for (size_t i = 0; i < c->n_events; i++) {
        const eng_event *e = &c->events[i];
        if (strcmp(e->event, what) != 0) continue;
        if (vm && (!e->vm || strcmp(e->vm, vm) != 0)) continue;
        if (k < max) out[k] = e;
        k++;
    }
    return k;
}

void th_run(const scen *sc, th_capture *cap, eng_result *res)
{
    eng_sink sink = th_capture_sink(cap);
    bs_rc rc = eng_run(sc, &sink, res);
    assert_int_equal(rc, BS_OK);
}

/* ---- scratch directories and files ------------------------------------ */

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

int th_rm_rf(const char *path)
{
    return nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

char *th_make_tmpdir(const char *tag)
{
    char tmpl[128];
    snprintf(tmpl, sizeof tmpl, "/tmp/bs_test_%.64s_XXXXXX", tag);
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    d = strdup(d);
    assert_non_null(d);
    return d;
}

char *th_path(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *p = malloc(n);
    assert_non_null(p);
    snprintf(p, n, "%s/%s", a, b);
    return p;
}

char *th_read_fd(int fd)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    assert_non_null(m);
    char chunk[4096];
    ssize_t n;
    lseek(fd, 0, SEEK_SET);
    while ((n = read(fd, chunk, sizeof chunk)) > 0)
        fwrite(chunk, 1, (size_t)n, m);
    fclose(m);
    return buf;
}

char *th_read_file(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return NULL;
    char *s = th_read_fd(fd);
    close(fd);
    return s;
}

char *th_slurp(const char *dir, const char *name)
{
    char *p = th_path(dir, name);
    char *s = th_read_file(p);
    free(p);
    return s;
}

char *th_slurp_or_fail(const char *dir, const char *name)
{
    char *s = th_slurp(dir, name);
    if (s == NULL)
        fail_msg("cannot read %s/%s", dir, name);
    return s;
}

bool th_exists(const char *dir, const char *name)
{
    char *p = th_path(dir, name);
    bool e = access(p, F_OK) == 0;
    free(p);
    return e;
}

int th_count_entries(const char *dir, const char *part)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strstr(e->d_name, part))
            n++;
    closedir(d);
    return n;
}

/* ---- a program as a child process --------------------------------------- */

void th_proc_free(th_proc *p)
{
    free(p->out);
    free(p->err);
}

void th_tmp_fds(int *out, int *err)
{
    char o[] = "/tmp/bs_test_out_XXXXXX", e[] = "/tmp/bs_test_err_XXXXXX";
    *out = mkstemp(o);
    *err = mkstemp(e);
    assert_true(*out >= 0 && *err >= 0);
    unlink(o);
    unlink(e);
}

pid_t th_start(const char *cwd, const char *path, const char *const *argv, int out, int err)
{
    /* what we buffered must not be written twice, by us and by the child */
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int in = open("/dev/null", O_RDONLY);
        dup2(in, 0);
        dup2(out, 1);
        dup2(err, 2);
        if (cwd && chdir(cwd) != 0)
            _exit(126);
        if (path)
            setenv("PATH", path, 1);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    return pid;
}

th_proc th_finish(pid_t pid, int out, int err)
{
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    th_proc p = {.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status)};
    p.out = th_read_fd(out);
    p.err = th_read_fd(err);
    close(out);
    close(err);
    return p;
}

th_proc th_exec(const char *prog, const char *cwd, const char *path, const char *const *args)
{
    const char *argv[64] = {prog};
    size_t n = 1;
    for (; args[n - 1] && n < 63; n++)
        argv[n] = args[n - 1];
    argv[n] = NULL;
    int out, err;
    th_tmp_fds(&out, &err);
    return th_finish(th_start(cwd, path, argv, out, err), out, err);
}

void th_policy_setup(th_policy *p, const pol_type *type, const char *params_yaml, size_t host)
{
    memset(p, 0, sizeof *p);
    p->type = type;
    cfg_errs errs = {0};
    assert_int_equal(cfg_doc_new(&p->doc), BS_OK);
    cfg_ctx cx = {.errs = &errs, .doc = p->doc};
    cfg_node *params = NULL;
    if (params_yaml != NULL)
        assert_int_equal(cfg_parse_string(p->doc, "params", params_yaml, &errs, &params), BS_OK);
    if (type->configure) assert_int_equal(type->configure(&cx, params, "params", NULL, &p->cfg), BS_OK);
    if (params != NULL) cfg_check_unknown(&cx, params, "params", "");
    if (errs.n) cfg_errs_print(&errs, stderr);
    assert_int_equal(errs.n, 0);
    cfg_errs_free(&errs);
    if (type->state_new) assert_int_equal(type->state_new(p->cfg, host, &p->state), BS_OK);
}

void th_policy_teardown(th_policy *p)
{
    if (p->type->free_state) p->type->free_state(p->state);
    if (p->type->free_config) p->type->free_config(p->cfg);
    cfg_doc_free(p->doc);
    memset(p, 0, sizeof *p);
}

void th_expect_one_error(const pol_type *type, const char *params_yaml, const char *at,
                         const char *needle)
{
    cfg_doc *doc = NULL;
    cfg_errs errs = {0};
    assert_int_equal(cfg_doc_new(&doc), BS_OK);
    cfg_ctx cx = {.errs = &errs, .doc = doc};
    /* Under a key, as in a scenario, so that any node (a scalar, a list) can
     * stand for the params. */
    char *text = malloc(strlen(params_yaml) + 16);
    assert_non_null(text);
    sprintf(text, "{params: %s}", params_yaml);
    cfg_node *root = NULL;
    assert_int_equal(cfg_parse_string(doc, "params", text, &errs, &root), BS_OK);
    free(text);
    void *cfg = NULL;
    assert_int_equal(type->configure(&cx, cfg_map_get(root, "params"), at, NULL, &cfg), BS_ERR_INPUT);
    assert_null(cfg);
    assert_true(errs.n >= 1);
    if (strstr(errs.msgs[0], needle) == NULL)
        fprintf(stderr, "expected '%s' in: %s\n", needle, errs.msgs[0]);
    assert_non_null(strstr(errs.msgs[0], needle));
    cfg_errs_free(&errs);
    cfg_doc_free(doc);
}
