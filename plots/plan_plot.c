/* plan_plot.c -- plots/plan.gp of a plan directory.
 *
 * Moved from sim/cli/cmd_plan.c so that every picture lives in plots/; the
 * command hands over a plain description (plot_plan) instead of its private
 * state, so the two can change independently.  The data is inlined as
 * datablocks ($c1, ...: one per comparison of the SLO), each value's worst
 * seed and mean, already scaled (GiB for bytes). */
#include "plots/plan_plot.h"
#include "sim/base/text.h"

#include "sim/base/metrics.h"
#include "sim/report/output.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void cmp_text(const expr_cmp *c, char *buf, size_t len)
{
    snprintf(buf, len, "%s%s%s", met_info_get(c->metric)->name, c->op, c->text);
}

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
          "# -e \"out='FILE'\" says otherwise).\n"
          "if (!exists(\"out\")) out = 'plan.png'\n"
          "set datafile missing NaN\n",
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
            for (size_t s = 0; s < order[i]->n_runs; s++)
                if (order[i]->runs[s].present[p->cmps[k].metric]) {
                    sum += order[i]->runs[s].v[p->cmps[k].metric];
                    n++;
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
    fprintf(f, "set terminal pngcairo size 1000,%zu noenhanced font ',10'\n",
            (size_t)BS_MAX(350, 300 * (int)nc));
    fputs("set output out\n", f);
    fprintf(f, "set multiplot layout %zu,1 title ", nc ? nc : 1);
    char title[512];
    snprintf(title, sizeof title, "plan %s: %s (every seed must meet: %s)", p->scenario,
             p->path, p->slo_text);
    fputs("'", f);
    for (const char *s = title; *s; s++) {
        if (*s == '\'')
            fputs("''", f);
        else
            putc((unsigned char)*s < 0x20 ? '?' : *s, f);
    }
    fputs("'\nset grid\nset key outside right top\n", f);
    /* Panels share the x axis: the same margins line them up. */
    fputs("set lmargin at screen 0.1\nset rmargin at screen 0.75\n", f);
    fprintf(f, "set xlabel '%s%s%s%s'\n", p->path, *p->suffix ? " (" : "", p->suffix,
            *p->suffix ? ")" : "");
    fprintf(f, "set xrange [%" PRId64 ":%" PRId64 "]\n", p->lo, p->hi > p->lo ? p->hi : p->lo + 1);
    if (p->found)
        fprintf(f, "set arrow 1 from %" PRId64 ", graph 0 to %" PRId64
                   ", graph 1 nohead dashtype 2 lc rgb '#2ca02c'\n"
                   "set label 1 'answer %" PRId64 "' at %" PRId64 ", graph 0.95 offset 0.5,0 "
                   "textcolor rgb '#2ca02c'\n",
                p->answer, p->answer, p->answer, p->answer);
    for (size_t k = 0; k < nc; k++) {
        const expr_cmp *cm = &p->cmps[k];
        const met_info *info = met_info_get(cm->metric);
        bool bytes = strcmp(info->unit, "bytes") == 0;
        double t = cm->threshold / (bytes ? 1073741824.0 : 1);
        char tb[40], name[160];
        txt_format_double(tb, t);
        cmp_text(cm, name, sizeof name);
        fprintf(f, "set ylabel '%s (%s)'\n", info->name, bytes ? "GiB" : info->unit);
        double ymin = cm->relative ? INFINITY : t, ymax = cm->relative ? -INFINITY : t;
        for (size_t i = 0; i < p->n_evals; i++)
            for (size_t s = 0; s < p->evals[i].n_runs; s++)
                if (p->evals[i].runs[s].present[cm->metric]) {
                    double v = p->evals[i].runs[s].v[cm->metric] / (bytes ? 1073741824.0 : 1);
                    ymin = fmin(ymin, v);
                    ymax = fmax(ymax, v);
                }
        if (!(ymax > ymin)) { /* flat: give gnuplot a range around it */
            double mid = isfinite(ymin) ? ymin : 0;
            char lo[40], hi[40];
            txt_format_double(lo, mid - 1);
            txt_format_double(hi, mid + 1);
            fprintf(f, "set yrange [%s:%s]\n", lo, hi);
        } else {
            fputs("set yrange [*:*]\n", f);
        }
        fprintf(f, "plot $c%zu using 1:2 with linespoints lw 2 pt 7 lc rgb '#d62728' "
                   "title 'worst seed', \\\n"
                   "  $c%zu using 1:3 with linespoints dashtype 3 pt 6 lc rgb '#1f77b4' "
                   "title 'mean', \\\n"
                   "  %s with lines lc rgb 'black' dashtype 2 title '",
                k + 1, k + 1, cm->relative ? "NaN" : tb);
        for (const char *s = name; *s; s++) {
            if (*s == '\'')
                fputs("''", f);
            else
                putc(*s, f);
        }
        fputs("'\n", f);
    }
    fputs("unset multiplot\n", f);
    free(order);
    return ferror(f) ? BS_ERR_INTERNAL : BS_OK;
}

