/* plan_plot.c -- plots/plan.gp of a plan directory.
 *
 * Moved from sim/cli/cmd_plan.c so that every picture lives in plots/; the
 * command hands over a plain description (plot_plan) instead of its private
 * state, so the two can change independently.  The data is inlined as
 * datablocks ($c1, ...: one per comparison of the SLO), each value's worst
 * seed and mean, already scaled (GiB for bytes); the look is the template
 * plots/plan.gp. */
#include "plots/plan_plot.h"
#include "plots/gp_template.h"
#include "plots/plot.h"
#include "sim/base/text.h"

#include "sim/base/metrics.h"
#include "sim/report/output.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_eval_value(const void *a, const void *b)
{
    const plan_eval *x = *(const plan_eval *const *)a, *y = *(const plan_eval *const *)b;
    return x->value < y->value ? -1 : x->value > y->value;
}

/* Per comparison of the SLO, the worst seed's value and the
 * mean against the value, the threshold, and the answer. */
bs_rc plot_write_plan(FILE *f, const plot_plan *p)
{
    const plan_eval **order = malloc((p->n_evals ? p->n_evals : 1) * sizeof *order);
    if (order == NULL)
        return BS_ERR_INTERNAL;
    for (size_t i = 0; i < p->n_evals; i++)
        order[i] = &p->evals[i];
    qsort(order, p->n_evals, sizeof *order, cmp_eval_value);
    size_t nc = p->n_cmps;
    fputs("# plan.gp -- written by balloonsim " BS_VERSION ": the SLO's metrics against the\n"
          "# planned value (worst seed and mean), thresholds and the answer.\n"
          "# Run inside this directory: gnuplot plan.gp (draws plan.png unless\n"
          "# -e \"out='FILE'\" says otherwise).  The variables below are this plan's;\n"
          "# the rest is the template plan.gp (docs/plots.md).\n"
          "if (!exists(\"out\")) out = 'plan.png'\n",
          f);
    for (size_t k = 0; k < nc; k++) {
        const met_info *info = met_info_get(p->cmps[k].metric);
        bool bytes = strcmp(info->unit, "bytes") == 0;
        double div = bytes ? 1073741824.0 : 1;
        fprintf(f, "$c%zu << EOD\n# value worst mean meets\n", k + 1);
        for (size_t i = 0; i < p->n_evals; i++) {
            plan_margin m;
            plan_margin_of(&p->cmps[k], order[i], &m);
            double sum = 0;
            size_t n = 0;
            for (size_t s = 0; s < order[i]->n_runs; s++) {
                double v = plan_run_value(&p->cmps[k], order[i], s);
                if (isfinite(v)) {
                    sum += v;
                    n++;
                }
            }
            char b[40];
            fprintf(f, "%" PRId64 " ", order[i]->value);
            if (isfinite(m.worst)) {
                txt_format_double(b, m.worst / div);
                fputs(b, f);
            } else {
                fputs("NaN", f);
            }
            putc(' ', f);
            if (n > 0) {
                txt_format_double(b, sum / (double)n / div);
                fputs(b, f);
            } else {
                fputs("NaN", f);
            }
            fprintf(f, " %d\n", order[i]->meets ? 1 : 0);
        }
        fputs("EOD\n", f);
    }
    fprintf(f, "nc = %zu\nheight = %zu\nrows = %zu\n", nc, (size_t)BS_MAX(350, 300 * (int)nc),
            nc ? nc : 1);
    char title[512];
    snprintf(title, sizeof title, "plan %s: %s (every seed must meet: %s)", p->scenario,
             p->path, p->slo_text);
    fputs("title_plan = ", f);
    plot_gp_string(f, title);
    snprintf(title, sizeof title, "%s%s%s%s", p->path, *p->suffix ? " (" : "", p->suffix,
             *p->suffix ? ")" : "");
    fputs("\nxlabel_text = ", f);
    plot_gp_string(f, title);
    fprintf(f, "\nx_lo = %" PRId64 "\nx_hi = %" PRId64 "\n", p->lo,
            p->hi > p->lo ? p->hi : p->lo + 1);
    fprintf(f, "found = %d\nanswer = %" PRId64 "\n", p->found ? 1 : 0,
            p->found ? p->answer : 0);
    /* Per panel: labels, threshold and, for a flat metric, a y range around
     * it (gnuplot warns on an empty one).  Arrays have at least one
     * element: gnuplot has no empty array. */
    size_t na = nc ? nc : 1;
    char (*lo)[40] = calloc(na, sizeof *lo), (*hi)[40] = calloc(na, sizeof *hi);
    char (*tb)[40] = calloc(na, sizeof *tb);
    bool *fix = calloc(na, sizeof *fix);
    if (lo == NULL || hi == NULL || tb == NULL || fix == NULL) {
        free(lo);
        free(hi);
        free(tb);
        free(fix);
        free(order);
        return BS_ERR_INTERNAL;
    }
    for (size_t k = 0; k < na; k++) {
        strcpy(lo[k], "NaN");
        strcpy(hi[k], "NaN");
        strcpy(tb[k], "NaN");
    }
    fprintf(f, "array ylabel_k[%zu]\narray cname[%zu]\n", na, na);
    for (size_t k = 0; k < nc; k++) {
        const expr_cmp *cm = &p->cmps[k];
        const met_info *info = met_info_get(cm->metric);
        bool bytes = strcmp(info->unit, "bytes") == 0;
        double t = cm->threshold / (bytes ? 1073741824.0 : 1);
        char name[256], metric[192];
        if (!cm->relative)
            txt_format_double(tb[k], t);
        plan_cmp_text(cm, name, sizeof name);
        plan_cmp_name(cm, metric, sizeof metric);
        snprintf(title, sizeof title, "%s (%s)", metric, bytes ? "GiB" : info->unit);
        fprintf(f, "ylabel_k[%zu] = ", k + 1);
        plot_gp_string(f, title);
        fprintf(f, "\ncname[%zu] = ", k + 1);
        plot_gp_string(f, name);
        putc('\n', f);
        double ymin = cm->relative ? INFINITY : t, ymax = cm->relative ? -INFINITY : t;
        for (size_t i = 0; i < p->n_evals; i++)
            for (size_t s = 0; s < p->evals[i].n_runs; s++) {
                double v = plan_run_value(cm, &p->evals[i], s);
                if (isfinite(v)) {
                    v /= bytes ? 1073741824.0 : 1;
                    ymin = fmin(ymin, v);
                    ymax = fmax(ymax, v);
                }
            }
        if (!(ymax > ymin)) { /* flat: give gnuplot a range around it */
            double mid = isfinite(ymin) ? ymin : 0;
            fix[k] = true;
            txt_format_double(lo[k], mid - 1);
            txt_format_double(hi[k], mid + 1);
        }
    }
    fputs("array thr[", f);
    fprintf(f, "%zu] = [", na);
    for (size_t k = 0; k < na; k++)
        fprintf(f, "%s%s", k ? ", " : "", tb[k]);
    fprintf(f, "]\narray yfix[%zu] = [", na);
    for (size_t k = 0; k < na; k++)
        fprintf(f, "%s%d", k ? ", " : "", fix[k] ? 1 : 0);
    fprintf(f, "]\narray y_lo[%zu] = [", na);
    for (size_t k = 0; k < na; k++)
        fprintf(f, "%s%s", k ? ", " : "", lo[k]);
    fprintf(f, "]\narray y_hi[%zu] = [", na);
    for (size_t k = 0; k < na; k++)
        fprintf(f, "%s%s", k ? ", " : "", hi[k]);
    fputs("]\n", f);
    free(lo);
    free(hi);
    free(tb);
    free(fix);
    bs_rc rc = plot_gp_put_template(f, "plan");
    free(order);
    if (rc == BS_OK && ferror(f))
        rc = BS_ERR_INTERNAL;
    return rc;
}

