/* sweep_exec.c -- running the jobs of a sweep or plan grid (sweep_exec.h).
 *
 * Every job is loaded and checked before the first one runs, so a bad
 * point costs nothing; runs go through the runner (parallel children,
 * SIGINT-safe) and are read back from their directories, never from what a
 * child reported, so a resumed or sharded sweep reads the same bytes. */
#include "sim/batch/sweep_exec.h"

#include "sim/base/fsutil.h"
#include "sim/batch/runner.h"
#include "sim/scenario.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

bs_rc swp_exec_open(swp_exec *x)
{
    cfg_errs errs = {0};
    bs_rc rc = swp_load_point(x->scenario, x->fixed, x->n_fixed, 1, &errs, &x->base);
    if (rc == BS_OK)
        rc = swp_ident_load(x->scenario, x->base, &x->ident, &errs);
    if (rc != BS_OK) {
        if (errs.n)
            cfg_errs_print(&errs, stderr);
        else
            fprintf(stderr, "%s: cannot load the scenario%s\n", x->scenario,
                    rc == BS_ERR_INTERNAL ? " (internal error)" : "");
    } else {
        x->sweep = x->base->sweep;
    }
    cfg_errs_free(&errs);
    return rc;
}

void swp_exec_close(swp_exec *x)
{
    for (size_t i = 0; i < x->n_fixed; i++)
        if (strcmp(x->fixed[i].origin, "--set") == 0)
            free((char *)(uintptr_t)x->fixed[i].path);
    free(x->fixed);
    free(x->dir);
    swp_ident_free(&x->ident);
    scen_free(x->base);
    *x = (swp_exec){0};
}

/* The fixed assignments, then one per axis for job k. */
static void job_sets(const swp_exec *x, const swp_grid *g, size_t k, swp_set *sets, uint64_t *seed)
{
    size_t idx[SWP_MAX_AXES];
    swp_grid_job(g, k, idx, seed);
    for (size_t i = 0; i < x->n_fixed; i++)
        sets[i] = x->fixed[i];
    for (size_t a = 0; a < g->n_axes; a++) {
        const swp_axis *ax = &g->axes[a];
        sets[x->n_fixed + a] = (swp_set){.path = ax->path,
                                         .value = ax->values[idx[a]],
                                         .origin = ax->origin,
                                         .line = ax->lines[idx[a]],
                                         .col = ax->cols[idx[a]]};
    }
}

char *swp_exec_run_dir(const swp_exec *x, const swp_grid *g, size_t k)
{
    size_t n = x->n_fixed + g->n_axes;
    swp_set *sets = malloc((n ? n : 1) * sizeof *sets);
    if (sets == NULL)
        return NULL;
    uint64_t seed;
    job_sets(x, g, k, sets, &seed);
    char id[SWP_ID_LEN + 1], rel[SWP_ID_LEN + 8];
    swp_run_id(&x->ident, sets, n, seed, id);
    free(sets);
    snprintf(rel, sizeof rel, "runs/%s", id);
    return fs_path_join(x->dir, rel);
}

bs_rc swp_exec_validate(const swp_exec *x, const swp_grid *g, const size_t *which, size_t n)
{
    /* Points, not jobs: the seed does not change what is valid. */
    bool *seen = calloc(g->points, sizeof *seen);
    size_t ns = x->n_fixed + g->n_axes;
    swp_set *sets = malloc((ns ? ns : 1) * sizeof *sets);
    cfg_errs errs = {0};
    bs_rc rc = seen && sets ? BS_OK : BS_ERR_INTERNAL;
    for (size_t i = 0; rc != BS_ERR_INTERNAL && i < n; i++) {
        size_t p = which[i] % g->points;
        if (seen[p])
            continue;
        seen[p] = true;
        uint64_t seed;
        job_sets(x, g, p, sets, &seed);
        scen *sc = NULL;
        bs_rc r = swp_load_point(x->scenario, sets, ns, 1, &errs, &sc);
        scen_free(sc);
        rc = BS_MAX(rc, r);
    }
    if (rc != BS_OK) {
        if (errs.n)
            cfg_errs_print(&errs, stderr);
        else if (rc == BS_ERR_INTERNAL)
            fprintf(stderr, "balloonsim %s: out of memory\n", x->cmd);
    }
    cfg_errs_free(&errs);
    free(sets);
    free(seen);
    return rc;
}

/* "hosts[0].vms[0].count=12, policy.name=mom, seed 3" for messages. */
static void describe_job(const swp_exec *x, const swp_grid *g, size_t k, char *buf, size_t len)
{
    size_t idx[SWP_MAX_AXES];
    uint64_t seed;
    swp_grid_job(g, k, idx, &seed);
    size_t used = 0;
    buf[0] = '\0';
    for (size_t a = 0; a < g->n_axes && used < len; a++) {
        int w = snprintf(buf + used, len - used, "%s=%s, ", g->axes[a].path,
                         g->axes[a].values[idx[a]]);
        used += w > 0 ? (size_t)w : 0;
    }
    if (used < len)
        snprintf(buf + used, len - used, "seed %" PRIu64, seed);
    (void)x;
}

bs_rc swp_exec_run(const swp_exec *x, const swp_grid *g, const size_t *which, size_t n,
                   size_t *ran)
{
    size_t ns = x->n_fixed + g->n_axes;
    run_job *jobs = calloc(n ? n : 1, sizeof *jobs);
    size_t *job_of = calloc(n ? n : 1, sizeof *job_of);
    run_outcome *out = calloc(n ? n : 1, sizeof *out);
    swp_set *sets = malloc((ns ? ns : 1) * sizeof *sets);
    bs_rc rc = jobs && job_of && out && sets ? BS_OK : BS_ERR_INTERNAL;
    size_t m = 0;
    for (size_t i = 0; rc == BS_OK && i < n; i++) {
        size_t k = which[i];
        uint64_t seed;
        job_sets(x, g, k, sets, &seed);
        char id[SWP_ID_LEN + 1], rel[SWP_ID_LEN + 8];
        swp_run_id(&x->ident, sets, ns, seed, id);
        snprintf(rel, sizeof rel, "runs/%s", id);
        char *dir = fs_path_join(x->dir, rel);
        if (dir == NULL) {
            rc = BS_ERR_INTERNAL;
            break;
        }
        if (x->resume && swp_run_complete(dir)) {
            free(dir);
            continue;
        }
        rc = swp_write_params(dir, &x->ident, g, k, x->fixed, x->n_fixed, id);
        if (rc == BS_OK)
            rc = swp_job_make(x->scenario, sets, ns, seed, dir, &jobs[m]);
        free(dir);
        if (rc == BS_OK)
            job_of[m++] = k;
    }
    *ran = m;
    if (rc == BS_OK && m > 0) {
        run_bar b = run_bar_start(x->bar && isatty(STDERR_FILENO), true);
        bs_rc brc = run_batch(jobs, m, x->parallel, out, run_bar_draw, &b);
        run_bar_clear(&b);
        size_t finished = 0;
        for (size_t i = 0; i < m; i++)
            finished += out[i].rc == BS_OK;
        if (brc != BS_OK) {
            fprintf(stderr,
                    "balloonsim %s: stopped: %zu of %zu runs finished; they are kept in "
                    "%s/runs (the same command with --resume runs the rest)\n",
                    x->cmd, finished, m, x->dir);
            rc = BS_ERR_INTERNAL;
        } else {
            for (size_t i = 0; i < m; i++) {
                if (out[i].rc == BS_OK)
                    continue;
                char what[1024];
                describe_job(x, g, job_of[i], what, sizeof what);
                fprintf(stderr, "balloonsim %s: job %zu (%s) failed: %s\n", x->cmd, job_of[i], what,
                        out[i].message);
                rc = BS_MAX(rc, out[i].rc);
            }
        }
    }
    for (size_t i = 0; jobs && i < m; i++)
        swp_job_free(&jobs[i]);
    free(jobs);
    free(job_of);
    if (out)
        for (size_t i = 0; i < n; i++) run_outcome_free(&out[i]);
    free(out);
    free(sets);
    return rc;
}

bs_rc swp_exec_collect(const swp_exec *x, const swp_grid *g, const size_t *which, size_t n,
                       swp_run **runs)
{
    *runs = calloc(n ? n : 1, sizeof **runs);
    if (*runs == NULL)
        return BS_ERR_INTERNAL;
    bs_rc rc = BS_OK;
    for (size_t i = 0; rc == BS_OK && i < n; i++) {
        char *dir = swp_exec_run_dir(x, g, which[i]);
        char err[1024];
        rc = dir ? swp_read_run(dir, &(*runs)[i], err, sizeof err) : BS_ERR_INTERNAL;
        if (rc != BS_OK && dir != NULL)
            fprintf(stderr, "balloonsim %s: %s\n", x->cmd, err);
        free(dir);
    }
    if (rc != BS_OK) {
        for (size_t i = 0; i < n; i++)
            swp_run_free(&(*runs)[i]);
        free(*runs);
        *runs = NULL;
    }
    return rc;
}
