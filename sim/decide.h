/* decide.h -- `balloonsim decide POLICY SNAPSHOT [--set PARAM=VALUE]...`.
 *
 * One policy decision on one stats snapshot (docs/decide.md "The snapshot"),
 * outside any simulation: the snapshot's host and VMs become the same
 * pol_host_view / pol_vm_view the engine hands a policy, the decision goes
 * through pol_decide_all() like every engine tick, and the answer is printed
 * as JSON.  So a snapshot test checks exactly the code that runs, and an
 * operator can ask "what would proxmox do with my host right now".
 *
 * The steps are separate functions so that tests can drive each with a tree
 * parsed from a string and with policies that are not registered. */
#ifndef BS_DECIDE_H
#define BS_DECIDE_H

#include "sim/base/bs.h"
#include "sim/base/cfg.h"
#include "policies/pol.h"

#include <stdio.h>

/* A snapshot read into policy views.  Names point into the cfg tree it was
 * read from: the tree's doc must outlive it. */
typedef struct dec_snapshot {
    pol_host_view host;           /* host index SIZE_MAX, name "host" */
    pol_vm_view *vms;             /* in file order; vm index SIZE_MAX */
    size_t n_vms;
    const cfg_node *policy_state; /* the `policy_state:` mapping; NULL when absent or null */
} dec_snapshot;

/* Read a parsed snapshot (root of the file) into *out, which owns its VM
 * array afterwards (dec_snapshot_free).  Every problem is recorded in cx
 * (FILE:LINE:COL: KEYPATH: message): missing or unknown keys, bad sizes,
 * duplicate VM names, min or actual above memory.  Returns BS_ERR_INPUT if
 * there was any, BS_ERR_INTERNAL when out of memory; *out is usable (and must
 * be freed) in every case. */
bs_rc dec_snapshot_read(cfg_ctx *cx, const cfg_node *root, dec_snapshot *out);
void dec_snapshot_free(dec_snapshot *s);

/* The params mapping for configure() from "PARAM=VALUE" strings, built in
 * cx->doc with origin "--set" (cfg_set_path: a value starting with '{' or
 * '[' is YAML flow, `--set 'targets=[{at: 0s, vm: a, target: 1GiB}]'`; a
 * repeated PARAM keeps the last value).  *params is NULL when n == 0.  A
 * string without '=' or with an empty PARAM is an error recorded in cx. */
bs_rc dec_params(cfg_ctx *cx, const char *const *sets, size_t n, cfg_node **params);

/* Configure `type` with `params` (NULL: none; the path in messages is
 * "params"), report unknown params, make the state and load
 * snap->policy_state into it, decide at now = 0 and, only if all of that
 * succeeded, write one line to `out`:
 *   {"targets": {"vm100": 1104857600}, "policy_state": {...}}\n
 * Targets are whole bytes exactly as the policy computed them, in snapshot
 * order, for the VMs whose target the engine would apply (not POL_LEAVE, not
 * negative, balloon on, shares > 0, not locked); "policy_state" is the
 * policy's state_dump, or {} when it carries none.  Errors go to cx; the
 * return is BS_ERR_INPUT after any recorded error, BS_ERR_INTERNAL when out
 * of memory, writing fails or the policy does. */
bs_rc dec_decide(cfg_ctx *cx, const pol_type *type, const dec_snapshot *snap,
                 const cfg_node *params, FILE *out);

#endif
