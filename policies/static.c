/* static.c -- the "no ballooning" baseline.
 *
 * Every comparison needs the answer to "what if nobody touched the balloons":
 * each VM keeps the target it started with (start_memory, or M when its
 * balloon is disabled).  The policy never ticks at all, so a static run costs
 * no policy events and cannot change a target even by accident (docs/model.md
 * property 5). */
#include "policies/pol.h"

/* Leave every VM alone: the caller preset all targets to POL_LEAVE. */
static bs_rc static_decide(const void *cfg, void *state, bs_time now, const pol_host_view *host,
                           const pol_vm_view *vms, size_t n, int64_t *targets) {
    (void)cfg, (void)state, (void)now, (void)host, (void)vms, (void)n, (void)targets;
    return BS_OK;
}

static bs_time static_next_tick(const void *cfg, void *state, size_t host, bs_time now,
                                bs_time interval) {
    (void)cfg, (void)state, (void)host, (void)now, (void)interval;
    return BS_TIME_NEVER;
}

const pol_type pol_static = {
    .name = "static",
    .description = "never changes a target (A stays at start_memory): no ballooning at all",
    .params = NULL,
    .default_interval = 10 * BS_NS_PER_S, /* unused: never ticks */
    .decide = static_decide,
    .next_tick = static_next_tick,
    .ticks = "never ticks",
};
