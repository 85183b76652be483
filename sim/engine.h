/* engine.h -- runs one scenario under its policy.
 *
 * The engine owns all run state (VMs, hosts, drivers, the event queue) and
 * advances piecewise-linear state analytically from event to event.  What it
 * observes leaves through an eng_sink (Redis-style struct of callbacks, NULL
 * meaning "not interested"): the output module writes files from it, tests
 * capture it in memory, benchmarks and sweeps pass none. */
#ifndef BS_ENGINE_H
#define BS_ENGINE_H

#include "sim/base/bs.h"
#include "sim/base/metrics.h"
#include "sim/scenario.h"

typedef struct eng_vm_sample {
    bs_time t;
    const char *host, *vm;
    int64_t demand, cache, actual, target, resident, guest_swapped, host_swapped; /* bytes */
    double stall;
} eng_vm_sample;

typedef struct eng_host_sample {
    bs_time t;
    const char *host;
    int64_t used, free, swapped; /* bytes */
} eng_host_sample;

typedef struct eng_event {
    bs_time t;
    const char *host;
    const char *vm;    /* NULL for host-level events */
    const char *event; /* start stop restart target reached guest_oom host_oom
                          stuck_begin stuck_end deflate_on_oom */
    int64_t value;     /* bytes, or 0 */
} eng_event;

typedef struct eng_sink {
    void *ctx;
    bs_rc (*vm_sample)(void *ctx, const eng_vm_sample *row);
    bs_rc (*host_sample)(void *ctx, const eng_host_sample *row);
    bs_rc (*event)(void *ctx, const eng_event *ev);
} eng_sink;

typedef struct eng_result {
    met_values run;
    met_values *hosts; /* sc->n_hosts entries */
    met_values *vms;   /* sc->n_vms entries */
    size_t n_hosts, n_vms;
    /* The run, every group, and per window the window and its groups, in
     * summary.json's order (met_set in sim/base/metrics.h).  scopes.s[0] is
     * the run (equal to `run`). */
    met_set scopes;
    uint64_t events;   /* events processed */
} eng_result;

/* Run `sc` to completion.  `sink` may be NULL.  On success *res is filled and
 * must be released with eng_result_free().  A sink callback's error stops the
 * run and is returned. */
bs_rc eng_run(const scen *sc, const eng_sink *sink, eng_result *res);
void eng_result_free(eng_result *res);

#endif
