/* sweep_plot.c -- the plots of a sweep directory.
 *
 * The script carries its data as datablocks ($s1, $s2, ...: one per line of
 * the picture) rather than reading sweep.csv: the CSV holds every metric in
 * raw units, while a picture wants one metric scaled (GiB, minutes) and its
 * points grouped by the other axes, which is easy here and awkward in
 * gnuplot.  The look is the template plots/sweep.gp: the header written
 * here holds only this sweep's data, titles and ranges. */
#include "plots/sweep_plot.h"
#include "sim/base/text.h"
#include "sim/base/fsutil.h"

#include "plots/gp_template.h"
#include "plots/plot.h"
#include "sim/base/units.h"
#include "sim/report/output.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>

/* The axis on x: the first one with numeric values that is not the policy
 * (a capacity plot has the VM count on x and a line per policy), else the
 * first one. */
static size_t x_axis(const swp_result *r)
{
    for (size_t a = 0; a < r->n_axes; a++)
        if (r->kinds[a] != SWP_TEXT && strcmp(r->axes[a], "policy.name") != 0)
            return a;
    return 0;
}

/* x values in plot units and the axis label's unit. */
static void x_scale(const swp_result *r, size_t a, double *x, const char **unit)
{
    size_t n = r->n_values[a];
    *unit = "";
    if (r->kinds[a] == SWP_TEXT) {
        for (size_t i = 0; i < n; i++)
            x[i] = (double)i;
        return;
    }
    static const unit_kind uk[] = {[SWP_NUMBER] = UNIT_NUMBER, [SWP_SIZE] = UNIT_SIZE,
                                   [SWP_TIME] = UNIT_TIME, [SWP_FRACTION] = UNIT_FRACTION};
    double max = 0;
    for (size_t i = 0; i < n; i++) {
        if (unit_parse(uk[r->kinds[a]], r->values[a][i], &x[i], NULL) != BS_OK)
            x[i] = NAN;
        max = fmax(max, fabs(x[i]));
    }
    double div = 1;
    if (r->kinds[a] == SWP_SIZE) {
        if (max >= 1073741824.0)
            div = 1073741824.0, *unit = " (GiB)";
        else if (max >= 1048576.0)
            div = 1048576.0, *unit = " (MiB)";
        else
            *unit = " (bytes)";
    } else if (r->kinds[a] == SWP_TIME) {
        double s = max / (double)BS_NS_PER_S;
        div = (double)BS_NS_PER_S;
        if (s >= 2 * 86400.0)
            div *= 86400, *unit = " (d)";
        else if (s >= 2 * 3600.0)
            div *= 3600, *unit = " (h)";
        else if (s >= 120.0)
            div *= 60, *unit = " (min)";
        else
            *unit = " (s)";
    }
    for (size_t i = 0; i < n; i++)
        x[i] /= div;
}

static void y_scale(met_id id, double *div, const char **unit)
{
    const char *u = met_info_get(id)->unit;
    *div = 1;
    if (strcmp(u, "bytes") == 0) {
        *div = 1073741824.0;
        *unit = "GiB";
    } else {
        *unit = u;
    }
}

static void gp_number(FILE *f, double v)
{
    char buf[40];
    if (!isfinite(v)) {
        fputs("NaN", f);
        return;
    }
    txt_format_double(buf, v);
    fputs(buf, f);
}

typedef struct plot_ctx {
    const swp_result *r;
    const met_ref *ref;  /* the metric and its scope */
    const char *name;    /* the name as given: "db.stall_s@peak" */
    const char *file;    /* the script's name without .gp */
} plot_ctx;

static const tab_cell no_cell = {.mean = NAN, .ci95 = NAN, .n = 0};

/* The point's cell of the plotted name (empty when the scope is absent). */
static const tab_cell *cell_at(const plot_ctx *c, const swp_point *pt)
{
    const tab_cell *cell = swp_point_cell(c->r, pt, c->ref);
    return cell ? cell : &no_cell;
}

/* A script's file name from a metric name: '.', '@', '-' and '_' stay
 * (db.stall_s@peak.gp), anything a shell or a path would mind becomes '_'. */
static void file_stem(const char *name, char *buf, size_t len)
{
    size_t n = 0;
    for (const char *p = name; *p && n + 1 < len; p++) {
        char ch = *p;
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || strchr("._@-", ch) != NULL;
        buf[n++] = ok ? ch : '_';
    }
    buf[n] = '\0';
    if (n == 0)
        snprintf(buf, len, "_");
    else if (buf[0] == '.') /* no hidden files */
        buf[0] = '_';
}

/* Do points p and q lie on the same line (equal on every axis but x)? */
static bool same_series(const swp_result *r, size_t xa, const swp_point *p, const swp_point *q)
{
    for (size_t a = 0; a < r->n_axes; a++)
        if (a != xa && p->pos[a] != q->pos[a])
            return false;
    return true;
}

static bs_rc fill_plot(FILE *f, void *vctx)
{
    const plot_ctx *c = vctx;
    const swp_result *r = c->r;
    size_t xa = x_axis(r), nx = r->n_values[xa];
    double *x = malloc((nx ? nx : 1) * sizeof *x);
    size_t *series = calloc(r->n_points ? r->n_points : 1, sizeof *series); /* first point of each */
    if (x == NULL || series == NULL) {
        free(x);
        free(series);
        return BS_ERR_INTERNAL;
    }
    const char *xunit, *yunit;
    double ydiv;
    x_scale(r, xa, x, &xunit);
    y_scale(c->ref->id, &ydiv, &yunit);
    /* Lines in table order of their first point. */
    size_t ns = 0;
    for (size_t p = 0; p < r->n_points; p++) {
        bool seen = false;
        for (size_t s = 0; s < ns && !seen; s++)
            seen = same_series(r, xa, &r->points[series[s]], &r->points[p]);
        if (!seen)
            series[ns++] = p;
    }
    fprintf(f, "# %s.gp -- written by balloonsim %s: %s against %s, mean and 95 %% band\n",
            c->file, BS_VERSION, c->name, r->axes[xa]);
    fprintf(f, "# Run inside this directory: gnuplot %s.gp (draws %s.png unless\n", c->file,
            c->file);
    fputs("# -e \"out='FILE'\" says otherwise).  The variables below are this sweep's;\n", f);
    fputs("# the rest is the template sweep.gp (docs/plots.md).\n", f);
    char outname[300];
    snprintf(outname, sizeof outname, "%s.png", c->file);
    fputs("if (!exists(\"out\")) out = ", f);
    plot_gp_string(f, outname);
    putc('\n', f);
    for (size_t s = 0; s < ns; s++) {
        fprintf(f, "$s%zu << EOD\n# x mean low high\n", s + 1);
        for (size_t p = 0; p < r->n_points; p++) {
            const swp_point *pt = &r->points[p];
            if (!same_series(r, xa, &r->points[series[s]], pt))
                continue;
            const tab_cell *cell = cell_at(c, pt);
            double mean = cell->n > 0 ? cell->mean / ydiv : NAN;
            double half = cell->n > 1 && isfinite(cell->ci95) ? cell->ci95 / ydiv : 0;
            gp_number(f, x[pt->pos[xa]]);
            putc(' ', f);
            gp_number(f, mean);
            putc(' ', f);
            /* Every metric is >= 0: a band below 0 (a wide t interval of
             * few seeds) would only hide the axis.  The table keeps it. */
            gp_number(f, fmax(mean - half, 0));
            putc(' ', f);
            gp_number(f, mean + half);
            putc('\n', f);
        }
        fputs("EOD\n", f);
    }
    fprintf(f, "ns = %zu\n", ns);
    fputs("title_plot = ", f);
    char title[512];
    snprintf(title, sizeof title, "%s: %s (mean and 95 %% confidence band over the seeds)",
             r->scenario, c->name);
    plot_gp_string(f, title);
    fputs("\nxlabel_text = ", f);
    snprintf(title, sizeof title, "%s%s", r->axes[xa], xunit);
    plot_gp_string(f, title);
    fputs("\nylabel_text = ", f);
    snprintf(title, sizeof title, "%s (%s)", c->name, yunit);
    plot_gp_string(f, title);
    /* With two axes the lines are the values of the other one. */
    fputs("\nkey_title = ", f);
    plot_gp_string(f, r->n_axes == 2 ? r->axes[xa == 0 ? 1 : 0] : "");
    putc('\n', f);
    /* A flat metric (no OOM kill anywhere) would give gnuplot an empty y
     * range and a warning: centre it in one of its own. */
    double ymin = INFINITY, ymax = -INFINITY;
    for (size_t p = 0; p < r->n_points; p++) {
        const tab_cell *cell = cell_at(c, &r->points[p]);
        if (cell->n == 0 || !isfinite(cell->mean))
            continue;
        double half = cell->n > 1 && isfinite(cell->ci95) ? cell->ci95 : 0;
        ymin = fmin(ymin, fmax(cell->mean - half, 0) / ydiv);
        ymax = fmax(ymax, (cell->mean + half) / ydiv);
    }
    if (!(ymax > ymin)) {
        double mid = isfinite(ymin) ? ymin : 0;
        fputs("y_lo = ", f);
        gp_number(f, mid - 1);
        fputs("\ny_hi = ", f);
        gp_number(f, mid + 1);
        putc('\n', f);
    }
    if (r->kinds[xa] == SWP_TEXT && nx > 0) {
        fprintf(f, "nxt = %zu\narray xtic[%zu] = [", nx, nx);
        for (size_t i = 0; i < nx; i++) {
            fputs(i ? ", " : "", f);
            plot_gp_string(f, r->values[xa][i]);
        }
        fprintf(f, "]\nx_lo = -0.5\nx_hi = %zu.5\n", nx - 1);
    } else {
        fputs("nxt = 0\n", f);
        if (r->kinds[xa] != SWP_TEXT && (nx < 2 || !(x[nx - 1] > x[0]))) {
            /* one value: give it room */
            double mid = nx && isfinite(x[0]) ? x[0] : 0;
            fputs("x_lo = ", f);
            gp_number(f, mid - 1);
            fputs("\nx_hi = ", f);
            gp_number(f, mid + 1);
            putc('\n', f);
        }
    }
    /* The lines' names: the values of the other axes. */
    fprintf(f, "array sname[%zu] = [", ns ? ns : 1);
    for (size_t s = 0; s < ns; s++) {
        char name[512] = "";
        size_t used = 0;
        const swp_point *first = &r->points[series[s]];
        size_t others = r->n_axes > 0 ? r->n_axes - 1 : 0;
        for (size_t a = 0; a < r->n_axes && used < sizeof name; a++) {
            if (a == xa)
                continue;
            const char *v = r->values[a][first->pos[a]];
            int w = others == 1 ? snprintf(name + used, sizeof name - used, "%s", v)
                                : snprintf(name + used, sizeof name - used, "%s%s=%s",
                                           used ? ", " : "", r->axes[a], v);
            used += w > 0 ? (size_t)w : 0;
        }
        if (others == 0)
            snprintf(name, sizeof name, "%s", c->name);
        fputs(s ? ", " : "", f);
        plot_gp_string(f, name);
    }
    fputs(ns ? "]\n" : "'']\n", f);
    bs_rc rc = plot_gp_put_template(f, "sweep");
    free(x);
    free(series);
    if (rc == BS_OK && ferror(f))
        rc = BS_ERR_INTERNAL;
    return rc;
}

/* Is NAME (a file of pdir without its .gp or .png) the script or picture of
 * a metric name, and not one of `shown`? */
static bool stale(const char *stem, const met_ref *shown, size_t n_shown, bool with_axes)
{
    met_ref ref;
    char err[160];
    if (met_ref_parse(stem, strlen(stem), &ref, err, sizeof err) != BS_OK)
        return false; /* not a metric's: someone else's file */
    bool on = false;
    for (size_t m = 0; with_axes && !on && m < n_shown; m++) {
        char text[256], file[256];
        met_ref_text(&shown[m], text, sizeof text);
        file_stem(text, file, sizeof file);
        on = strcmp(file, stem) == 0;
    }
    met_ref_free(&ref);
    return !on;
}

bs_rc plot_write_sweep_scripts(const char *pdir, const swp_result *r, const met_ref *shown,
                               size_t n_shown)
{
    bs_rc rc = BS_OK;
    /* Scripts of metrics not shown this time would redraw old numbers. */
    DIR *d = opendir(pdir);
    while (d != NULL && rc == BS_OK) {
        struct dirent *e = readdir(d);
        if (e == NULL)
            break;
        size_t len = strlen(e->d_name);
        size_t ext = len > 3 && strcmp(e->d_name + len - 3, ".gp") == 0    ? 3
                     : len > 4 && strcmp(e->d_name + len - 4, ".png") == 0 ? 4
                                                                            : 0;
        if (ext == 0 || e->d_name[0] == '.')
            continue;
        char stem[256];
        snprintf(stem, sizeof stem, "%.*s", (int)BS_MIN(len - ext, sizeof stem - 1), e->d_name);
        if (!stale(stem, shown, n_shown, r->n_axes > 0))
            continue;
        char *path = fs_path_join(pdir, e->d_name);
        if (path == NULL)
            rc = BS_ERR_INTERNAL;
        else
            unlink(path);
        free(path);
    }
    if (d != NULL)
        closedir(d);
    /* Plots need something on x. */
    for (size_t m = 0; rc == BS_OK && r->n_axes > 0 && m < n_shown; m++) {
        char text[256], stem[256], name[300];
        met_ref_text(&shown[m], text, sizeof text);
        file_stem(text, stem, sizeof stem);
        snprintf(name, sizeof name, "%s.gp", stem);
        char *path = fs_path_join(pdir, name);
        plot_ctx c = {r, &shown[m], text, stem};
        rc = path ? swp_write_file(path, fill_plot, &c) : BS_ERR_INTERNAL;
        free(path);
    }
    return rc;
}
