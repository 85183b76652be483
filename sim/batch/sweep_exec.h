/* sweep_exec.h -- running the jobs of a grid: what `sweep` and `plan` share.
 *
 * A swp_exec is what every run of one sweep or plan has in common (the
 * scenario with its fixed assignments, the output directory, -j, --resume);
 * the commands fill it from their options and call these in order: open,
 * validate every job before anything runs (bad input: exit 2, nothing
 * made), run into DIR/runs/<id>/, collect the run directories, close. */
#ifndef BS_SWEEP_EXEC_H
#define BS_SWEEP_EXEC_H

#include "sim/base/bs.h"
#include "sim/batch/sweep.h"

/* What every run of one sweep or plan has in common. */
typedef struct swp_exec {
    const char *cmd;        /* "sweep", "plan": names messages */
    const char *scenario;   /* path as given */
    char *dir;              /* output directory */
    swp_ident ident;
    swp_set *fixed;         /* --set and -p, in order */
    size_t n_fixed;
    int parallel;
    bool resume;            /* keep complete runs */
    bool bar;               /* progress bar on stderr */
    bool quiet;
    const cfg_node *sweep;  /* the scenario's sweep: block (in `base`), NULL: none */
    scen *base;             /* the scenario with the fixed assignments */
} swp_exec;

/* Load the scenario with the fixed assignments and compute its identity;
 * prints the errors (exit 2). */
bs_rc swp_exec_open(swp_exec *x);
void swp_exec_close(swp_exec *x);
/* Load the point of every job in `which`, printing every error (exit 2). */
bs_rc swp_exec_validate(const swp_exec *x, const swp_grid *g, const size_t *which, size_t n);
/* Run the jobs in `which` into DIR/runs/<id>/ (skipping complete ones with
 * resume; *ran counts the others).  BS_OK when every run finished;
 * otherwise the failures are on stderr. */
bs_rc swp_exec_run(const swp_exec *x, const swp_grid *g, const size_t *which, size_t n,
                   size_t *ran);
/* Read the run directories of the jobs in `which` (all must be complete). */
bs_rc swp_exec_collect(const swp_exec *x, const swp_grid *g, const size_t *which, size_t n,
                       swp_run **runs);
/* DIR/runs/<id> of job k. */
char *swp_exec_run_dir(const swp_exec *x, const swp_grid *g, size_t k);

#endif
