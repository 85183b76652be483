/* cmd_plan.c -- `balloonsim plan` (cmd_plan.h).
 *
 * Why it looks like this:
 * - Bisection over whole values, not a scan: capacity questions span wide
 *   ranges (8 to 200 VMs) and every value costs N seeds of a full run.  The
 *   price is an assumption -- the SLO is monotone in the value -- which is
 *   stated in the report and checked where it is cheap: at the ends of the
 *   range, evaluated together in one batch before the bisection starts.
 * - "Meets" means every seed meets the SLO (the worst case over the seeds,
 *   not the mean): a host that breaks its promise on one seed in five breaks
 *   it one day in five.
 * - Each evaluation is a one-value sweep grid, run and read back exactly as
 *   `sweep` does (cmd_sweep.h): same run ids, same directories, same
 *   validation before anything runs, --resume for free.
 * - The margins say how robust the answer is: for each comparison of the
 *   SLO, the worst seed's value and its distance to the threshold at the
 *   answer and at answer + 1 (where it fails). */
#include "sim/cli/cmd_plan.h"
#include "sim/base/fsutil.h"
#include "sim/base/text.h"
#include "sim/cli/commands.h"
#include "sim/cli/opts.h"

#include "sim/cli/cmd_sweep.h"
#include "sim/report/output.h"
#include "plots/plan_plot.h"
#include "plots/plot.h"
#include "sim/report/table.h"

#include <assert.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PLAN_MAX_CMPS 32 /* comparisons of an SLO shown in margins and plots */

enum { OPT_VARY = 256, OPT_SLO, OPT_SEEDS, OPT_FORMAT, OPT_SET, OPT_RESUME, OPT_NO_PLOTS };

/* ---------------------------------------------------------------- state */

typedef struct plan {
    swp_exec x;
    char *path, *suffix;
    int64_t lo, hi;
    uint64_t seeds;
    const char *slo_text;
    expr *slo;
    expr_cmp cmps[PLAN_MAX_CMPS];
    size_t n_cmps;
    plan_eval *evals; /* in evaluation order */
    size_t n_evals, cap_evals;
    int format;
    bool plots;
} plan;

static void value_text(const plan *p, int64_t v, char *buf, size_t len)
{
    snprintf(buf, len, "%" PRId64 "%s", v, p->suffix);
}

static const plan_eval *find_eval(const plan *p, int64_t v)
{
    for (size_t i = 0; i < p->n_evals; i++)
        if (p->evals[i].value == v)
            return &p->evals[i];
    return NULL;
}

/* Run the seeds of every value in vals (one batch) and record how each did. */
static bs_rc evaluate(plan *p, const int64_t *vals, size_t n)
{
    swp_grid g = {0};
    swp_axis a = {0};
    char err[1024];
    a.path = strdup(p->path);
    a.origin = strdup("--vary");
    a.values = calloc(n, sizeof *a.values);
    a.lines = calloc(n, sizeof *a.lines);
    a.cols = calloc(n, sizeof *a.cols);
    bs_rc rc = a.path && a.origin && a.values && a.lines && a.cols ? BS_OK : BS_ERR_INTERNAL;
    size_t speclen = 1;
    for (size_t i = 0; rc == BS_OK && i < n; i++) {
        char t[64];
        value_text(p, vals[i], t, sizeof t);
        a.values[i] = strdup(t);
        if (a.values[i] == NULL)
            rc = BS_ERR_INTERNAL;
        else
            a.n = i + 1;
        speclen += strlen(t) + 1;
    }
    if (rc == BS_OK) {
        a.spec = calloc(speclen, 1);
        for (size_t i = 0; a.spec && i < n; i++) {
            if (i)
                strcat(a.spec, ",");
            strcat(a.spec, a.values[i]);
        }
        if (a.spec == NULL)
            rc = BS_ERR_INTERNAL;
    }
    if (rc == BS_OK)
        rc = swp_grid_add(&g, &a, err, sizeof err);
    swp_axis_free(&a);
    if (rc == BS_OK)
        rc = swp_grid_finish(&g, p->seeds, err, sizeof err);
    size_t *which = rc == BS_OK ? malloc(g.jobs * sizeof *which) : NULL;
    if (rc == BS_OK && which == NULL)
        rc = BS_ERR_INTERNAL;
    for (size_t k = 0; rc == BS_OK && k < g.jobs; k++)
        which[k] = k;
    if (rc == BS_OK)
        rc = swp_exec_validate(&p->x, &g, which, g.jobs);
    size_t ran = 0;
    if (rc == BS_OK)
        rc = swp_exec_run(&p->x, &g, which, g.jobs, &ran);
    swp_run *runs = NULL;
    if (rc == BS_OK)
        rc = swp_exec_collect(&p->x, &g, which, g.jobs, &runs);
    for (size_t i = 0; rc == BS_OK && i < n; i++) {
        if (p->n_evals == p->cap_evals) {
            size_t cap = p->cap_evals ? 2 * p->cap_evals : 16;
            plan_eval *e = realloc(p->evals, cap * sizeof *e);
            if (e == NULL) {
                rc = BS_ERR_INTERNAL;
                break;
            }
            p->evals = e;
            p->cap_evals = cap;
        }
        plan_eval *ev = &p->evals[p->n_evals];
        *ev = (plan_eval){.value = vals[i], .n_runs = (size_t)p->seeds};
        ev->runs = calloc((size_t)p->seeds, sizeof *ev->runs);
        ev->sets = calloc((size_t)p->seeds, sizeof *ev->sets);
        p->n_evals++;
        if (ev->runs == NULL || ev->sets == NULL) {
            rc = BS_ERR_INTERNAL;
            break;
        }
        /* job k of a one-axis grid: seed k / n + 1 at value k % n.  The SLO
         * reads every scope of the run (db.host_oom_kills, stall_p99@peak). */
        for (size_t s = 0; rc == BS_OK && s < (size_t)p->seeds; s++) {
            const swp_run *r = &runs[s * n + i];
            ev->runs[s] = r->m;
            rc = met_set_copy(&r->scopes, &ev->sets[s]);
            if (rc == BS_OK)
                ev->n_meeting += expr_eval(p->slo, &ev->sets[s], NULL, NULL);
        }
        if (rc != BS_OK)
            break;
        ev->meets = ev->n_meeting == ev->n_runs;
        if (!p->x.quiet) {
            char t[64];
            value_text(p, vals[i], t, sizeof t);
            fprintf(stderr, "plan: %s=%s: %s (%zu of %zu seeds meet the SLO)\n", p->path, t,
                    ev->meets ? "meets" : "fails", ev->n_meeting, ev->n_runs);
        }
    }
    for (size_t k = 0; runs && k < g.jobs; k++)
        swp_run_free(&runs[k]);
    free(runs);
    free(which);
    swp_grid_free(&g);
    return rc;
}

static bs_rc meets_cb(void *ctx, int64_t v, bool *meets)
{
    plan *p = ctx;
    const plan_eval *ev = find_eval(p, v);
    if (ev == NULL) {
        bs_rc rc = evaluate(p, &v, 1);
        if (rc != BS_OK)
            return rc;
        ev = find_eval(p, v);
    }
    *meets = ev->meets;
    return BS_OK;
}

static void plan_free(plan *p)
{
    for (size_t i = 0; i < p->n_evals; i++) {
        free(p->evals[i].runs);
        for (size_t s = 0; p->evals[i].sets && s < p->evals[i].n_runs; s++)
            met_set_free(&p->evals[i].sets[s]);
        free(p->evals[i].sets);
    }
    free(p->evals);
    free(p->path);
    free(p->suffix);
    expr_free(p->slo);
    swp_exec_close(&p->x);
}

/* ---------------------------------------------------------------- report */

static void cmp_text(const expr_cmp *c, char *buf, size_t len)
{
    plan_cmp_text(c, buf, len);
}

/* Values in the metric's unit as the report writes them: 6 significant digits. */
static void num_text(double v, char *buf)
{
    tab_format_number(buf, v);
}

static void margin_text(const expr_cmp *c, const plan_eval *ev, char *buf, size_t len)
{
    if (ev == NULL) {
        snprintf(buf, len, "not evaluated");
        return;
    }
    plan_margin m;
    plan_margin_of(c, ev, &m);
    if (!m.present || !isfinite(m.worst)) {
        snprintf(buf, len, "no value (null) in %s", m.present ? "every run" : "a run");
        return;
    }
    char w[40], g[40];
    num_text(m.worst, w);
    num_text(m.margin, g);
    if (c->threshold != 0 && isfinite(m.margin))
        snprintf(buf, len, "worst %s, margin %s (%+.0f%%)", w, g,
                 100.0 * m.margin / fabs(c->threshold));
    else
        snprintf(buf, len, "worst %s, margin %s", w, g);
}

static int cmp_eval_value(const void *a, const void *b)
{
    const plan_eval *x = *(const plan_eval *const *)a, *y = *(const plan_eval *const *)b;
    return x->value < y->value ? -1 : x->value > y->value;
}

static bs_rc write_text(FILE *f, const plan *p, bool found, int64_t answer)
{
    char lo[64], hi[64], a[64], a1[64];
    value_text(p, p->lo, lo, sizeof lo);
    value_text(p, p->hi, hi, sizeof hi);
    fprintf(f, "balloonsim plan: %s, %s from %s to %s, %" PRIu64 " seed%s per value\n",
            p->x.ident.name, p->path, lo, hi, p->seeds, p->seeds == 1 ? "" : "s");
    for (size_t i = 0; i < p->x.n_fixed; i++) {
        const swp_set *s = &p->x.fixed[i];
        fputs(i ? "" : "Every run with", f);
        if (strcmp(s->origin, "-p") == 0)
            fprintf(f, " -p %s", s->value);
        else
            fprintf(f, " --set %s=%s", s->path, s->value);
        fputs(i + 1 == p->x.n_fixed ? ".\n" : "", f);
    }
    fprintf(f, "SLO (must hold for every seed): %s\n", p->slo_text);
    const plan_eval *at = NULL, *above = NULL;
    if (found) {
        value_text(p, answer, a, sizeof a);
        value_text(p, answer + 1, a1, sizeof a1);
        fprintf(f, "answer: %s = %s\n", p->path, a);
        at = find_eval(p, answer);
        above = answer < p->hi ? find_eval(p, answer + 1) : NULL;
        if (answer == p->hi)
            fprintf(f, "note: the SLO holds at HI = %s already: the capacity may be higher "
                       "(raise HI)\n",
                    hi);
    } else {
        fprintf(f, "answer: none: the SLO fails at LO = %s already\n", lo);
        above = find_eval(p, p->lo);
        snprintf(a1, sizeof a1, "%s", lo);
    }
    /* margins */
    char h1[96], h2[96];
    if (found)
        snprintf(h1, sizeof h1, "at %s (meets)", a);
    else
        snprintf(h1, sizeof h1, "(no value meets)");
    if (found && answer == p->hi)
        snprintf(h2, sizeof h2, "at %s (above HI)", a1);
    else
        snprintf(h2, sizeof h2, "at %s (fails)", a1);
    size_t w0 = strlen("condition"), w1 = strlen(h1);
    char cells[PLAN_MAX_CMPS][3][160];
    for (size_t i = 0; i < p->n_cmps && i < PLAN_MAX_CMPS; i++) {
        cmp_text(&p->cmps[i], cells[i][0], sizeof cells[i][0]);
        margin_text(&p->cmps[i], at, cells[i][1], sizeof cells[i][1]);
        if (!found)
            snprintf(cells[i][1], sizeof cells[i][1], "-");
        margin_text(&p->cmps[i], above, cells[i][2], sizeof cells[i][2]);
        w0 = BS_MAX(w0, strlen(cells[i][0]));
        w1 = BS_MAX(w1, strlen(cells[i][1]));
    }
    fprintf(f, "\n%-*s  %-*s  %s\n", (int)w0, "condition", (int)w1, h1, h2);
    for (size_t i = 0; i < p->n_cmps && i < PLAN_MAX_CMPS; i++)
        fprintf(f, "%-*s  %-*s  %s\n", (int)w0, cells[i][0], (int)w1, cells[i][1], cells[i][2]);
    /* evaluations, by value */
    const plan_eval **order = malloc((p->n_evals ? p->n_evals : 1) * sizeof *order);
    if (order == NULL)
        return BS_ERR_INTERNAL;
    for (size_t i = 0; i < p->n_evals; i++)
        order[i] = &p->evals[i];
    qsort(order, p->n_evals, sizeof *order, cmp_eval_value);
    fputs("\nevaluated (value: seeds meeting the SLO):\n", f);
    for (size_t i = 0; i < p->n_evals; i++) {
        char v[64];
        value_text(p, order[i]->value, v, sizeof v);
        fprintf(f, "  %s: %zu/%zu %s\n", v, order[i]->n_meeting, order[i]->n_runs,
                order[i]->meets ? "meets" : "fails");
    }
    free(order);
    fprintf(f, "\nBisection assumes the SLO is monotone in %s: when it holds at a value it\n"
               "holds at every smaller one.  Checked at the ends of the range only.\n",
            p->path);
    return ferror(f) ? BS_ERR_INTERNAL : BS_OK;
}

static void json_num(FILE *f, double v)
{
    char buf[40];
    if (!isfinite(v)) {
        fputs("null", f);
        return;
    }
    txt_format_double(buf, v);
    fputs(buf, f);
}

static void json_margins(FILE *f, const plan *p, const plan_eval *ev)
{
    if (ev == NULL) {
        fputs("null", f);
        return;
    }
    fprintf(f, "{\"value\": %" PRId64 ", \"meets\": %s, \"conditions\": [", ev->value,
            ev->meets ? "true" : "false");
    for (size_t i = 0; i < p->n_cmps && i < PLAN_MAX_CMPS; i++) {
        char t[160];
        plan_margin m;
        plan_margin_of(&p->cmps[i], ev, &m);
        cmp_text(&p->cmps[i], t, sizeof t);
        fprintf(f, "%s\n      {\"condition\": ", i ? "," : "");
        txt_json_string(f, t);
        char name[192];
        plan_cmp_name(&p->cmps[i], name, sizeof name);
        fputs(", \"metric\": ", f);
        txt_json_string(f, name);
        fputs(", \"threshold\": ", f);
        json_num(f, p->cmps[i].threshold);
        fputs(", \"worst\": ", f);
        json_num(f, m.worst);
        fputs(", \"margin\": ", f);
        json_num(f, m.margin);
        fputs("}", f);
    }
    fputs(p->n_cmps ? "\n    ]}" : "]}", f);
}

static bs_rc write_json(FILE *f, const plan *p, bool found, int64_t answer)
{
    char v[64];
    fputs("{\n  \"scenario\": ", f);
    txt_json_string(f, p->x.ident.name);
    fputs(",\n  \"path\": ", f);
    txt_json_string(f, p->path);
    fprintf(f, ",\n  \"lo\": %" PRId64 ",\n  \"hi\": %" PRId64 ",\n  \"unit\": ", p->lo, p->hi);
    txt_json_string(f, p->suffix);
    fprintf(f, ",\n  \"seeds\": %" PRIu64 ",\n  \"fixed\": [", p->seeds);
    for (size_t i = 0; i < p->x.n_fixed; i++) {
        char s[CFG_PATH_MAX + 512];
        snprintf(s, sizeof s, "%s=%s", swp_canonical_path(p->x.fixed[i].path), p->x.fixed[i].value);
        fputs(i ? ", " : "", f);
        txt_json_string(f, s);
    }
    fputs("],\n  \"slo\": ", f);
    txt_json_string(f, p->slo_text);
    if (found) {
        value_text(p, answer, v, sizeof v);
        fprintf(f, ",\n  \"answer\": %" PRId64 ",\n  \"answer_value\": ", answer);
        txt_json_string(f, v);
    } else {
        fputs(",\n  \"answer\": null,\n  \"answer_value\": null", f);
    }
    fputs(",\n  \"at_answer\": ", f);
    json_margins(f, p, found ? find_eval(p, answer) : NULL);
    fputs(",\n  \"above_answer\": ", f);
    json_margins(f, p, found ? (answer < p->hi ? find_eval(p, answer + 1) : NULL)
                             : find_eval(p, p->lo));
    fputs(",\n  \"evaluations\": [", f);
    for (size_t i = 0; i < p->n_evals; i++) {
        const plan_eval *ev = &p->evals[i];
        fprintf(f, "%s\n    {\"value\": %" PRId64 ", \"meets\": %s, \"seeds_meeting\": %zu, "
                   "\"runs\": %zu}",
                i ? "," : "", ev->value, ev->meets ? "true" : "false", ev->n_meeting, ev->n_runs);
    }
    fprintf(f, "%s],\n  \"assumption\": \"monotone: the SLO holds at every value below one "
               "where it holds; checked at lo and hi\"\n}\n",
            p->n_evals ? "\n  " : "");
    return ferror(f) ? BS_ERR_INTERNAL : BS_OK;
}

typedef struct report_ctx {
    const plan *p;
    bool found, json;
    int64_t answer;
} report_ctx;

static bs_rc fill_report(FILE *f, void *vctx)
{
    const report_ctx *c = vctx;
    return c->json ? write_json(f, c->p, c->found, c->answer)
                   : write_text(f, c->p, c->found, c->answer);
}

/* plots/plan.gp (plots/plan_plot.c). */
static bs_rc fill_plot(FILE *f, void *vctx)
{
    const report_ctx *c = vctx;
    const plan *p = c->p;
    plot_plan pp = {p->x.ident.name, p->path, p->suffix, p->slo_text, p->lo, p->hi,
                    p->cmps, BS_MIN(p->n_cmps, (size_t)PLAN_MAX_CMPS), p->evals, p->n_evals,
                    c->found, c->answer};
    return plot_write_plan(f, &pp);
}

static bs_rc write_files(const plan *p, bool found, int64_t answer)
{
    static const char *const names[] = {"plan.txt", "plan.json"};
    bs_rc rc = BS_OK;
    for (int i = 0; rc == BS_OK && i < 2; i++) {
        size_t len = strlen(p->x.dir) + 16;
        char *path = malloc(len);
        if (path == NULL)
            return BS_ERR_INTERNAL;
        snprintf(path, len, "%s/%s", p->x.dir, names[i]);
        report_ctx c = {p, found, i == 1, answer};
        rc = swp_write_file(path, fill_report, &c);
        free(path);
    }
    if (rc == BS_OK && p->n_cmps > 0) {
        size_t len = strlen(p->x.dir) + 32;
        char *pdir = malloc(len), *path = malloc(len);
        if (pdir == NULL || path == NULL) {
            free(pdir);
            free(path);
            return BS_ERR_INTERNAL;
        }
        snprintf(pdir, len, "%s/plots", p->x.dir);
        snprintf(path, len, "%s/plots/plan.gp", p->x.dir);
        report_ctx c = {p, found, false, answer};
        rc = fs_mkdirs(pdir);
        if (rc == BS_OK)
            rc = swp_write_file(path, fill_plot, &c);
        if (rc == BS_OK && p->plots) {
            bool skipped = false;
            bs_rc prc = plot_render(p->x.dir, &skipped);
            if (prc == BS_OK && skipped && !p->x.quiet)
                fputs("plots skipped: gnuplot not found\n", stderr);
            if (prc != BS_OK)
                fprintf(stderr, "balloonsim plan: warning: the plot in %s/plots is incomplete\n",
                        p->x.dir);
        }
        free(pdir);
        free(path);
    }
    return rc;
}

/* ---------------------------------------------------------------- main */

static int parse_opts(const cli_ctx *cx, int argc, char **argv, plan *p, const char **dir)
{
    static const struct option longs[] = {{"vary", required_argument, NULL, OPT_VARY},
                                          {"slo", required_argument, NULL, OPT_SLO},
                                          {"seeds", required_argument, NULL, OPT_SEEDS},
                                          {"format", required_argument, NULL, OPT_FORMAT},
                                          {"jobs", required_argument, NULL, 'j'},
                                          {"output", required_argument, NULL, 'o'},
                                          {"set", required_argument, NULL, OPT_SET},
                                          {"policy", required_argument, NULL, 'p'},
                                          {"resume", no_argument, NULL, OPT_RESUME},
                                          {"no-plots", no_argument, NULL, OPT_NO_PLOTS},
                                          {"quiet", no_argument, NULL, 'q'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    static const char *const formats[] = {"text", "json", NULL};
    const cli_cmd *cmd = cx->cmd;
    char err[1024];
    int rc = BS_OK, c;
    cli_getopt_reset();
    while (rc == BS_OK && (c = getopt_long(argc, argv, ":j:o:p:qh", longs, NULL)) != -1) {
        switch (c) {
        case OPT_VARY:
            if (p->path != NULL) {
                rc = cli_usage_error(cmd, "one --vary only (plan sizes one key path)");
                break;
            }
            if (swp_parse_range(optarg, &p->path, &p->lo, &p->hi, &p->suffix, err, sizeof err) !=
                BS_OK)
                rc = cli_usage_error(cmd, "bad --vary: %s", err);
            break;
        case OPT_SLO:
            p->slo_text = optarg;
            expr_free(p->slo);
            p->slo = NULL;
            if (expr_parse(optarg, &p->slo, err, sizeof err) != BS_OK) {
                fprintf(stderr, "balloonsim plan: --slo: %s\n", err);
                rc = BS_ERR_INPUT;
            } else if (expr_uses_baseline(p->slo)) {
                rc = cli_usage_error(cmd, "--slo: a relative threshold (such as +10%%) needs a "
                                          "baseline; plan has none: give absolute thresholds");
            }
            break;
        case OPT_SEEDS:
            if (cli_parse_uint(optarg, SWP_MAX_SEEDS, &p->seeds) != BS_OK || p->seeds == 0)
                rc = cli_usage_error(cmd, "bad --seeds '%s' (expected a whole number from 1 to %d)",
                                     optarg, SWP_MAX_SEEDS);
            break;
        case OPT_FORMAT:
            p->format = cli_parse_format(cmd, optarg, formats);
            if (p->format < 0)
                rc = BS_ERR_INPUT;
            break;
        case 'j': {
            uint64_t j;
            if (cli_parse_uint(optarg, 4096, &j) != BS_OK || j == 0)
                rc = cli_usage_error(cmd, "bad -j '%s' (expected a whole number from 1 to 4096)",
                                     optarg);
            else
                p->x.parallel = (int)j;
            break;
        }
        case 'o':
            if (*optarg == '\0')
                rc = cli_usage_error(cmd, "-o needs a directory name");
            *dir = optarg;
            break;
        case OPT_SET: rc = swp_exec_add_fixed(&p->x, cmd, optarg, false); break;
        case 'p': rc = swp_exec_add_fixed(&p->x, cmd, optarg, true); break;
        case OPT_RESUME: p->x.resume = true; break;
        case OPT_NO_PLOTS: p->plots = false; break;
        case 'q': p->x.quiet = true; break;
        case 'h': return -1;
        default: rc = cli_option_error(cmd, c, argv, longs); break;
        }
    }
    if (rc == BS_OK && argc - optind == 0)
        rc = cli_usage_error(cmd, "missing SCENARIO");
    else if (rc == BS_OK && argc - optind > 1)
        rc = cli_usage_error(cmd, "one SCENARIO only (got '%s' too)", argv[optind + 1]);
    else if (rc == BS_OK && p->path == NULL)
        rc = cli_usage_error(cmd, "missing --vary PATH=LO:HI");
    else if (rc == BS_OK && p->slo == NULL)
        rc = cli_usage_error(cmd, "missing --slo EXPR");
    if (rc == BS_OK)
        p->x.scenario = argv[optind];
    return rc;
}

int cmd_plan(const cli_ctx *cx, int argc, char **argv)
{
    const cli_cmd *cmd = cx->cmd;
    plan p = {.x = {.cmd = "plan", .parallel = run_default_parallelism()}, .plots = true};
    const char *dir = NULL;
    int rc = parse_opts(cx, argc, argv, &p, &dir);
    if (rc < 0) {
        printf("usage: balloonsim %s\n\n%s.\n\noptions:\n%s", cmd->usage, cmd->summary, cmd->help);
        plan_free(&p);
        return fflush(stdout) == 0 ? BS_OK : BS_ERR_INTERNAL;
    }
    p.x.bar = !p.x.quiet;
    if (rc == BS_OK)
        rc = swp_exec_open(&p.x);
    if (rc == BS_OK) {
        for (size_t i = 0; i < p.x.n_fixed; i++)
            if (strcmp(swp_canonical_path(p.x.fixed[i].path), p.path) == 0)
                rc = cli_usage_error(cmd, "%s is both planned (--vary) and set with %s", p.path,
                                     p.x.fixed[i].origin);
    }
    if (rc == BS_OK && p.seeds == 0) {
        p.seeds = 1;
        const cfg_entry *se = p.x.sweep ? cfg_map_entry(p.x.sweep, "seeds") : NULL;
        if (se != NULL && se->val->kind == CFG_SCALAR)
            p.seeds = strtoull(se->val->value, NULL, 10);
    }
    /* Groups and windows the SLO names must be the scenario's: bad usage
     * before any run. */
    if (rc == BS_OK) {
        const char **g = NULL, **w = NULL;
        size_t ng = 0, nw = 0;
        char err[1024];
        rc = swp_scen_names(p.x.base, &g, &ng, &w, &nw);
        if (rc == BS_OK && expr_check_names(p.slo, g, ng, w, nw, err, sizeof err) != BS_OK)
            rc = cli_usage_error(cmd, "--slo: %s", err);
        free(g);
        free(w);
    }
    if (rc == BS_OK) {
        p.n_cmps = expr_comparisons(p.slo, p.cmps, PLAN_MAX_CMPS);
        p.x.dir = dir ? strdup(dir) : swp_default_dir(PLAN_DEFAULT_DIR, p.x.ident.name);
        if (p.x.dir == NULL)
            rc = BS_ERR_INTERNAL;
    }
    /* Both ends in one batch: the bracket check, and -j has 2N runs to share. */
    if (rc == BS_OK) {
        int64_t ends[2] = {p.lo, p.hi};
        rc = evaluate(&p, ends, p.lo == p.hi ? 1 : 2);
    }
    bool found = false;
    int64_t answer = 0;
    if (rc == BS_OK)
        rc = plan_bisect(p.lo, p.hi, meets_cb, &p, &found, &answer);
    if (rc == BS_OK)
        rc = write_files(&p, found, answer);
    if (rc == BS_OK) {
        report_ctx c = {&p, found, p.format == 1, answer};
        rc = fill_report(stdout, &c);
        if (fflush(stdout) != 0)
            rc = BS_ERR_INTERNAL;
        if (!p.x.quiet)
            fprintf(stderr, "plan directory: %s\n", p.x.dir);
        if (rc == BS_OK && !found)
            rc = BS_FAIL_CONDITION;
    }
    plan_free(&p);
    return rc;
}
