/* runner.h -- many simulations at once: the engine of compare, sweep and plan.
 *
 * A batch is a list of self-contained jobs (scenario file, policy, seed,
 * --set overrides, where to write).  run_batch() runs them `parallel` at a
 * time, each in its own child process (fork + waitpid: a crash or a leak in one
 * run cannot take the others down, and nothing is shared), and fills
 * outcomes[i] for job i whatever order they finish in, so results never depend
 * on -j.  parallel == 1 runs the jobs one after the other in this process.
 * Children report their run-level metrics through a pipe. */
#ifndef BS_RUNNER_H
#define BS_RUNNER_H

#include "sim/base/bs.h"
#include "sim/base/metrics.h"

typedef struct run_job {
    const char *scenario;       /* path of the scenario file */
    const char *policy;         /* NULL: the scenario's policy */
    bool has_seed;
    uint64_t seed;
    const char *const *sets;    /* "PATH=VALUE" overrides, applied before policy and seed */
    size_t n_sets;
    const char *out_dir;        /* run directory to write (as `run -o`), NULL: none */
    bool summary_only;          /* with out_dir: write only summary.json and run.json */
    bool plots;                 /* with a full out_dir: draw the plots too */
} run_job;

typedef struct run_outcome {
    bs_rc rc;                   /* BS_OK, BS_ERR_INPUT (bad scenario...), BS_ERR_INTERNAL */
    met_values run;             /* run-level metrics (valid when rc == BS_OK) */
    uint64_t events;
    char message[1024];         /* the errors, on failure (truncated) */
} run_outcome;

typedef void (*run_progress_fn)(void *ctx, size_t done, size_t total);

/* Runs every job.  Returns BS_OK when the batch itself ran (individual
 * failures are in outcomes[i].rc), BS_ERR_INTERNAL when processes could not
 * be made.  `progress` (may be NULL) is called after each job ends.  A SIGINT
 * stops scheduling new jobs; finished ones keep their outcomes and the batch
 * returns BS_ERR_INTERNAL with the unfinished jobs' rc set to
 * BS_ERR_INTERNAL and message "interrupted". */
bs_rc run_batch(const run_job *jobs, size_t n, int parallel, run_outcome *outcomes,
                run_progress_fn progress, void *ctx);
/* One job in this process (what each child does). */
void run_one(const run_job *job, run_outcome *out);
/* Number of online CPUs (the default of -j). */
int run_default_parallelism(void);

#endif
