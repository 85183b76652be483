/* helpers.c -- see helpers.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
