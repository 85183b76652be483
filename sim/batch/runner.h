/* runner.h -- many simulations at once: the engine of compare, sweep and plan.
 *
 * A batch is a list of self-contained jobs (scenario file, policy, seed,
 * --set overrides, where to write).  run_batch() runs them `parallel` at a
 * time, each in its own child process (fork + waitpid: a crash or a leak in one
 * run cannot take the others down, and nothing is shared), and fills
 * outcomes[i] for job i whatever order they finish in, so results never depend
 * on -j.  parallel == 1 runs the jobs one after the other in this process.
 * Children report their metrics (run and scopes) through a pipe. */
#ifndef BS_RUNNER_H
#define BS_RUNNER_H

#include "sim/base/bs.h"
#include "sim/base/metrics.h"
#include "sim/engine.h"
#include "sim/scenario.h"

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
    met_set scopes;             /* every scope (eng_result.scopes); run_outcome_free() */
    uint64_t events;
    char message[1024];         /* the errors, on failure (truncated) */
} run_outcome;

typedef void (*run_progress_fn)(void *ctx, size_t done, size_t total);

/* The progress bar of a batch on a terminal: a run_progress_fn (ctx: a
 * run_bar) drawing "[####....] done/total runs" on stderr, with the time left
 * at the pace so far when `eta` is set.  Off, it draws nothing. */
typedef struct run_bar {
    bool on, eta, shown;
    double t0;
} run_bar;
run_bar run_bar_start(bool on, bool eta);
void run_bar_draw(void *ctx, size_t done, size_t total);
/* Erase the bar, if one was drawn. */
void run_bar_clear(const run_bar *b);

/* Runs every job.  Returns BS_OK when the batch itself ran (individual
 * failures are in outcomes[i].rc), BS_ERR_INTERNAL when processes could not
 * be made.  `progress` (may be NULL) is called after each job ends.  A SIGINT
 * stops scheduling new jobs; finished ones keep their outcomes and the batch
 * returns BS_ERR_INTERNAL with the unfinished jobs' rc set to
 * BS_ERR_INTERNAL and message "interrupted". */
bs_rc run_batch(const run_job *jobs, size_t n, int parallel, run_outcome *outcomes,
                run_progress_fn progress, void *ctx);
/* Frees what an outcome owns (its scopes); the struct itself stays. */
void run_outcome_free(run_outcome *o);

/* One job in this process (what each child does). */
void run_one(const run_job *job, run_outcome *out);
/* How run_one_to_dir() differs between `run` and a batch job: who speaks
 * in warnings, and a sink in front of the output's (a progress bar, the
 * SIGINT poll). */
typedef struct run_dir_opts {
    const char *command_line;  /* for run.json (may be NULL) */
    bool plots;                /* render the plots, not only their scripts */
    bool say_skipped;          /* say so when gnuplot is missing */
    const char *who;           /* prefix of warnings: "balloonsim run" */
    const eng_sink *(*wrap)(void *ctx, const eng_sink *inner); /* NULL: none */
    void (*unwrap)(void *ctx, const eng_sink *used);           /* after the run; may be NULL */
    void *ctx;
} run_dir_opts;

/* One loaded scenario into a full run directory (as `run -o`): open the
 * outputs, run, finish, write the plot scripts (and render them).  On BS_OK
 * res is filled (caller frees); on failure nothing is left to free and
 * *sim_failed says whether the simulation itself failed (rather than its
 * directory).  Plot problems are warnings on stderr, not failures. */
bs_rc run_one_to_dir(const scen *sc, const char *dir, const run_dir_opts *opts, eng_result *res,
                     bool *sim_failed);
/* Number of online CPUs (the default of -j). */
int run_default_parallelism(void);

#endif
