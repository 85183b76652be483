/* helpers.h -- shared test fixtures: scenarios from inline YAML, and an
 * in-memory sink that records what a run emits. */
#ifndef BS_TEST_HELPERS_H
#define BS_TEST_HELPERS_H

#include "sim/engine.h"
#include "sim/scenario.h"

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

#define TH_GIB (1024LL * 1024 * 1024)
#define TH_MIB (1024LL * 1024)
#define TH_S(x) ((bs_time)((x) * 1e9 + 0.5))

#endif
