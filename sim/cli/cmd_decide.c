/* cmd_decide.c -- `balloonsim decide POLICY SNAPSHOT [--set PARAM=VALUE]...`.
 *
 * Why it looks like this: the snapshot reader and the decision are a
 * library (sim/decide.c) that tests drive directly; this file is only the
 * command around them -- options, the policy lookup and where the errors
 * go -- so the library never prints on its own.  With a bad snapshot the
 * policy still checks --set and policy_state, so one run shows every error. */
#include "sim/cli/commands.h"
#include "sim/cli/opts.h"

#include "policies/pol.h"
#include "sim/decide.h"

#include <assert.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { OPT_SET = 256 };

/* The worse of two codes (BS_OK < BS_ERR_INPUT < BS_ERR_INTERNAL). */
static bs_rc worst(bs_rc a, bs_rc b) { return a > b ? a : b; }

static void unknown_policy(FILE *err, const char *name) {
    fprintf(err, "balloonsim decide: unknown policy '%s' (expected one of: ", name);
    const pol_type *const *t = pol_types();
    for (size_t i = 0; t[i] != NULL; i++) fprintf(err, "%s%s", i ? ", " : "", t[i]->name);
    fputs(")\n", err);
}

/* Find POLICY (an unknown name lists the valid ones), parse SNAPSHOT, build
 * params from `sets`, decide, print the JSON to `out` and every error to
 * `err`.  Returns the exit code (0, 2 bad policy/snapshot/--set, 3). */
static int decide(const char *policy, const char *snapshot, const char *const *sets,
                  size_t n_sets, FILE *out, FILE *err) {
    assert(policy != NULL && snapshot != NULL && out != NULL && err != NULL);
    const pol_type *type = pol_find(policy);
    if (type == NULL) unknown_policy(err, policy);
    cfg_errs errs = {0};
    cfg_doc *doc = NULL;
    if (cfg_doc_new(&doc) != BS_OK) {
        fputs("balloonsim decide: out of memory\n", err);
        return BS_ERR_INTERNAL;
    }
    cfg_ctx cx = {.errs = &errs, .doc = doc};
    bs_rc rc = type != NULL ? BS_OK : BS_ERR_INPUT;

    cfg_node *root = NULL;
    rc = worst(rc, cfg_parse_file(doc, snapshot, &errs, &root));
    dec_snapshot snap = {.host = {.name = "host", .host = SIZE_MAX}};
    if (root != NULL) rc = worst(rc, dec_snapshot_read(&cx, root, &snap));
    cfg_node *params = NULL;
    if (rc != BS_ERR_INTERNAL) rc = worst(rc, dec_params(&cx, sets, n_sets, &params));
    /* With a bad snapshot the policy still checks --set and policy_state
     * (out NULL: no decision), so every error shows in one run. */
    if (type != NULL && rc != BS_ERR_INTERNAL)
        rc = worst(rc, dec_decide(&cx, type, &snap, params, rc == BS_OK ? out : NULL));

    cfg_errs_print(&errs, err);
    if (rc == BS_ERR_INTERNAL && errs.n == 0)
        fputs("balloonsim decide: internal error (out of memory or output failed)\n", err);
    cfg_errs_free(&errs);
    dec_snapshot_free(&snap);
    cfg_doc_free(doc);
    return (int)rc;
}

int cmd_decide(const cli_ctx *cx, int argc, char **argv)
{
    static const struct option longs[] = {{"set", required_argument, NULL, OPT_SET},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    const cli_cmd *cmd = cx->cmd;
    const char **sets = calloc((size_t)argc + 1, sizeof *sets);
    if (sets == NULL)
        return BS_ERR_INTERNAL;
    size_t n_sets = 0;
    int rc = BS_OK, c;
    cli_getopt_reset();
    while (rc == BS_OK && (c = getopt_long(argc, argv, ":h", longs, NULL)) != -1) {
        if (c == 'h') {
            free(sets);
            return cli_print_cmd_help(cmd);
        }
        if (c != OPT_SET) {
            rc = cli_option_error(cmd, c, argv, longs);
        } else if (strchr(optarg, '=') == NULL || optarg[0] == '=') {
            rc = cli_usage_error(cmd, "bad --set '%s' (expected PARAM=VALUE)", optarg);
        } else {
            sets[n_sets++] = optarg;
        }
    }
    if (rc == BS_OK && argc - optind < 2)
        rc = cli_usage_error(cmd, argc == optind ? "missing POLICY and SNAPSHOT"
                                                 : "missing SNAPSHOT");
    else if (rc == BS_OK && argc - optind > 2)
        rc = cli_usage_error(cmd, "unexpected argument '%s'", argv[optind + 2]);
    if (rc == BS_OK)
        rc = decide(argv[optind], argv[optind + 1], sets, n_sets, stdout, stderr);
    free(sets);
    return rc;
}
