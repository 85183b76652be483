/* cmp_plot.c -- gnuplot scripts of a compare directory (cmp_plot.h).
 *
 * Why it looks like this:
 * - Bars and CDFs are a few hundred numbers: they are written into the
 *   scripts as datablocks, so a script is self-contained and its picture is
 *   exactly the report's numbers (no second reading of CSVs that could
 *   disagree).  Memory over time is long: that script reads the run
 *   directory's timeseries.csv, copying the one VM's rows into a datablock in
 *   one pass (`with table if`), as a run's memory.gp does.
 * - The stall CDF is computed here, in one streaming pass per run over
 *   timeseries.csv into a 0.001-wide histogram (the resolution of the stall
 *   quantiles of docs/outputs.md), so memory stays constant however big the fleet.
 *   Rows before warmup and rows of a VM that is off (no demand, no memory,
 *   no stall) are left out: they are not time a VM existed.
 * - Policies appear in -p order in every script (a policy keeps its colour
 *   across scenarios and plots), whatever the ranking.
 * - The look is in the templates plots/compare-metrics.gp, -stall-cdf.gp,
 *   -memory.gp and -groups.gp; the header written here holds only this
 *   scenario's numbers, names and files (docs/plots.md).
 * - Per-group bars are a picture of their own (SCENARIO-groups.gp), not
 *   more bars in SCENARIO-metrics.gp: that one stays as it was for every
 *   scenario, and a scenario with one group (whose bars would be the
 *   run's) gets none. */
#include "plots/compare_plot.h"
#include "sim/base/fsutil.h"
#include "sim/base/text.h"
#include "plots/gp_template.h"
#include "plots/plot.h"

#include "sim/base/cfg.h"
#include "sim/report/output.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CDF_BINS 1001 /* stall in ((k-1)/1000, k/1000], bin 0: no stall */
#define GIB 1073741824.0

/* ---------------------------------------------------------------- helpers */

/* A datablock string: double quotes, which gnuplot reads as one column;
 * a double quote inside becomes a single one. */
static void gp_word(FILE *f, const char *s)
{
    putc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        putc(*p == '"' ? '\'' : *p < 0x20 ? '?' : *p, f);
    putc('"', f);
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

/* The path of a run's file as the script sees it (cwd DIR/plots). */
static void rel_run_file(char *buf, size_t len, const char *scenario, const char *policy,
                         uint64_t seed, const char *file)
{
    char s[256], p[128];
    cmp_safe_name(s, sizeof s, scenario);
    cmp_safe_name(p, sizeof p, policy);
    snprintf(buf, len, "../%s/%s-s%" PRIu64 "/%s", s, p, seed, file);
}

/* The start of every compare script: what it is, out and the scenario; the
 * look follows in the template compare-KIND.gp (docs/plots.md). */
static void header(FILE *f, const char *name, const char *what, const char *scenario)
{
    fprintf(f, "# %s.gp -- written by balloonsim %s compare: %s\n", name, BS_VERSION, what);
    fprintf(f, "# Run inside this directory: gnuplot %s.gp (draws %s.png unless\n", name, name);
    fputs("# -e \"out='FILE'\" says otherwise).  The variables below are this scenario's;\n", f);
    fputs("# the rest is a template compare-*.gp (docs/plots.md).\n", f);
    fputs("if (!exists(\"out\")) out = ", f);
    plot_gp_string(f, name);
    fputs(".'.png'\n", f);
    fputs("scenario = ", f);
    plot_gp_string(f, scenario);
    fputc('\n', f);
}

/* array NAME[n] = ['a', 'b', ...]; gnuplot has no empty array, so n = 0
 * writes one empty string that no loop of the template reaches. */
static void gp_string_array(FILE *f, const char *name, const char *const *v, size_t n)
{
    fprintf(f, "array %s[%zu] = [", name, n ? n : 1);
    for (size_t i = 0; i < n; i++) {
        fputs(i ? ", " : "", f);
        plot_gp_string(f, v[i]);
    }
    fputs(n ? "]\n" : "'']\n", f);
}

/* ---------------------------------------------------------------- bars */

/* One bar of a data block: " MEAN CI95" (a missing value is NaN, no
 * interval 0), in the column's plotted unit. */
static void put_bar(FILE *f, const tab_cell *x, double scale)
{
    bool has = x && x->n > 0;
    putc(' ', f);
    gp_number(f, has ? x->mean / scale : NAN);
    putc(' ', f);
    gp_number(f, has && isfinite(x->ci95) ? x->ci95 / scale : 0.0);
}

static bs_rc write_metrics(FILE *f, const char *name, const cmp_report *r, const cmp_scenario *sc)
{
    met_id cols[MET_COUNT];
    size_t n = cmp_shown_metrics(r, cols);
    header(f, name, "each metric per policy, mean and 95 % confidence interval", sc->name);
    /* one row per policy: name, then mean and ci95 of each shown metric
     * (sizes in GiB); a missing interval is drawn as none */
    fputs("$data << EOD\n", f);
    for (size_t p = 0; p < r->n_policies; p++) {
        const cmp_result *res = cmp_find_result(sc, r->policies[p]);
        gp_word(f, r->policies[p]);
        for (size_t c = 0; c < n; c++) {
            const met_info *info = met_info_get(cols[c]);
            double scale = strcmp(info->unit, "bytes") == 0 ? GIB : 1.0;
            put_bar(f, res ? &res->m[cols[c]] : NULL, scale);
        }
        putc('\n', f);
    }
    fputs("EOD\n", f);
    size_t rows, ncols;
    plot_layout(n, &rows, &ncols);
    /* x_hi as text: the same number the axis always had, no float sum */
    fprintf(f, "np = %zu\nnseeds = %zu\nnm = %zu\nrows = %zu\ncols = %zu\nx_hi = %zu.6\n",
            r->n_policies, r->n_seeds, n, rows, ncols, r->n_policies ? r->n_policies - 1 : 0);
    char titles[MET_COUNT][128];
    const char *tp[MET_COUNT];
    fprintf(f, "array ytop[%zu] = [", n ? n : 1);
    for (size_t c = 0; c < n; c++) {
        const met_info *info = met_info_get(cols[c]);
        const char *unit = strcmp(info->unit, "bytes") == 0 ? "GiB" : info->unit;
        snprintf(titles[c], sizeof titles[c], "%s (%s)", info->name, unit);
        tp[c] = titles[c];
        /* gnuplot's autoscale leaves error bars out, and an all-zero
         * metric would have an empty range: the top is set here */
        double top = 0;
        for (size_t p = 0; p < r->n_policies; p++) {
            const cmp_result *res = cmp_find_result(sc, r->policies[p]);
            const tab_cell *x = res ? &res->m[cols[c]] : NULL;
            if (x && x->n > 0 && isfinite(x->mean))
                top = BS_MAX(top, x->mean + (isfinite(x->ci95) ? x->ci95 : 0.0));
        }
        double scale = strcmp(info->unit, "bytes") == 0 ? GIB : 1.0;
        top = top > 0 ? top / scale * 1.05 : 1.0;
        /* a share cannot exceed 1, whatever a wide interval says */
        if (strcmp(info->unit, "fraction") == 0 || strcmp(info->unit, "0-1") == 0)
            top = BS_MIN(top, 1.05);
        fputs(c ? ", " : "", f);
        gp_number(f, top);
    }
    fputs(n ? "]\n" : "1]\n", f);
    gp_string_array(f, "mtitle", tp, n);
    return plot_gp_put_template(f, "compare-metrics");
}

/* ---------------------------------------------------------------- groups */

/* The metrics of the group bars: the text table's that groups have (not
 * the host's: host_free_min_bytes and the like are absent there). */
static size_t group_metrics(const cmp_report *r, met_id out[MET_COUNT])
{
    met_id cols[MET_COUNT];
    size_t n = cmp_shown_metrics(r, cols), k = 0;
    for (size_t c = 0; c < n; c++)
        if (met_info_get(cols[c])->scopes & MET_SCOPE_VM)
            out[k++] = cols[c];
    return k;
}

static bs_rc write_groups(FILE *f, const char *name, const cmp_report *r, const cmp_scenario *sc,
                          const cmp_names *nm)
{
    met_id cols[MET_COUNT];
    size_t n = group_metrics(r, cols), ng = nm->n_groups;
    header(f, name, "each metric per policy and group, mean and 95 % confidence interval",
           sc->name);
    fputs("$data << EOD\n", f);
    for (size_t p = 0; p < r->n_policies; p++) {
        const cmp_result *res = cmp_find_result(sc, r->policies[p]);
        gp_word(f, r->policies[p]);
        for (size_t c = 0; c < n; c++) {
            const met_info *info = met_info_get(cols[c]);
            double scale = strcmp(info->unit, "bytes") == 0 ? GIB : 1.0;
            for (size_t g = 0; g < ng; g++) {
                const tab_cell *m = res ? cmp_cells_of(res, nm->groups[g], NULL) : NULL;
                put_bar(f, m ? &m[cols[c]] : NULL, scale);
            }
        }
        putc('\n', f);
    }
    fputs("EOD\n", f);
    size_t rows, ncols;
    plot_layout(n, &rows, &ncols);
    fprintf(f, "np = %zu\nnseeds = %zu\nnm = %zu\nng = %zu\nrows = %zu\ncols = %zu\nx_hi = %zu.6\n",
            r->n_policies, r->n_seeds, n, ng, rows, ncols, r->n_policies ? r->n_policies - 1 : 0);
    char titles[MET_COUNT][128];
    const char *tp[MET_COUNT];
    fprintf(f, "array ytop[%zu] = [", n ? n : 1);
    for (size_t c = 0; c < n; c++) {
        const met_info *info = met_info_get(cols[c]);
        const char *unit = strcmp(info->unit, "bytes") == 0 ? "GiB" : info->unit;
        snprintf(titles[c], sizeof titles[c], "%s (%s)", info->name, unit);
        tp[c] = titles[c];
        double top = 0;
        for (size_t p = 0; p < r->n_policies; p++) {
            const cmp_result *res = cmp_find_result(sc, r->policies[p]);
            for (size_t g = 0; res && g < ng; g++) {
                const tab_cell *m = cmp_cells_of(res, nm->groups[g], NULL);
                const tab_cell *x = m ? &m[cols[c]] : NULL;
                if (x && x->n > 0 && isfinite(x->mean))
                    top = BS_MAX(top, x->mean + (isfinite(x->ci95) ? x->ci95 : 0.0));
            }
        }
        double scale = strcmp(info->unit, "bytes") == 0 ? GIB : 1.0;
        top = top > 0 ? top / scale * 1.05 : 1.0;
        if (strcmp(info->unit, "fraction") == 0 || strcmp(info->unit, "0-1") == 0)
            top = BS_MIN(top, 1.05);
        fputs(c ? ", " : "", f);
        gp_number(f, top);
    }
    fputs(n ? "]\n" : "1]\n", f);
    gp_string_array(f, "mtitle", tp, n);
    gp_string_array(f, "gname", nm->groups, ng);
    return plot_gp_put_template(f, "compare-groups");
}

/* ---------------------------------------------------------------- stall CDF */

/* Split one CSV line in place into at most max fields (RFC 4180 quotes
 * honoured); returns the number of fields. */
static size_t csv_split(char *s, char **fields, size_t max)
{
    size_t n = 0;
    char *p = s;
    while (n < max) {
        fields[n++] = p;
        char *o = p;
        bool quoted = *p == '"';
        if (quoted)
            p++;
        while (*p) {
            if (quoted && *p == '"') {
                if (p[1] == '"') {
                    *o++ = '"';
                    p += 2;
                    continue;
                }
                quoted = false;
                p++;
                continue;
            }
            if (!quoted && (*p == ',' || *p == '\n' || *p == '\r'))
                break;
            *o++ = *p++;
        }
        char end = *p;
        *o = '\0';
        if (end != ',')
            break;
        p++;
    }
    return n;
}

/* Add one run's stall samples to hist; false when the file cannot be read. */
static bool add_stall(const char *path, bs_time warmup, double *hist)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return false;
    char *line = NULL;
    size_t cap = 0;
    bool first = true;
    double warm_s = bs_time_to_s(warmup);
    while (getline(&line, &cap, f) > 0) {
        if (first) { /* the header */
            first = false;
            continue;
        }
        char *fl[11];
        if (csv_split(line, fl, 11) != 11)
            continue;
        double t = strtod(fl[0], NULL), demand = strtod(fl[3], NULL);
        double actual = strtod(fl[5], NULL), stall = strtod(fl[10], NULL);
        if (t < warm_s || !isfinite(stall))
            continue;
        if (demand == 0 && actual == 0 && stall == 0) /* the VM is off */
            continue;
        long k = (long)ceil(stall * 1000.0 - 1e-9);
        k = BS_MAX(0L, BS_MIN((long)CDF_BINS - 1, k));
        hist[k] += 1;
    }
    free(line);
    bool ok = !ferror(f);
    fclose(f);
    return ok;
}

static bs_rc write_stall_cdf(FILE *f, const char *name, const char *dir, const cmp_report *r,
                             const cmp_scenario *sc, const cmp_plot_scen *info, double *hist)
{
    header(f, name, "distribution of the stall fraction per policy", sc->name);
    size_t drawn = 0;
    bool *has = calloc(r->n_policies ? r->n_policies : 1, sizeof *has);
    const char **drawn_names = calloc(r->n_policies ? r->n_policies : 1, sizeof *drawn_names);
    if (has == NULL || drawn_names == NULL) {
        free(has);
        free(drawn_names);
        return BS_ERR_INTERNAL;
    }
    for (size_t p = 0; p < r->n_policies; p++) {
        memset(hist, 0, CDF_BINS * sizeof *hist);
        for (size_t s = 0; s < r->n_seeds; s++) {
            char rel[1024];
            rel_run_file(rel, sizeof rel, sc->name, r->policies[p], r->seeds[s], "timeseries.csv");
            char *path = fs_path_join(dir, rel + 3); /* without "../" */
            if (path == NULL || !add_stall(path, info->warmup, hist))
                fprintf(stderr, "balloonsim compare: warning: cannot read %s; the stall CDF of "
                                "%s leaves it out\n", path ? path : rel, sc->name);
            free(path);
        }
        double total = 0;
        for (size_t k = 0; k < CDF_BINS; k++)
            total += hist[k];
        if (total <= 0)
            continue;
        has[p] = true;
        drawn++;
        fprintf(f, "# %s: cumulative share of the sampled VM-time with stall <= x\n",
                r->policies[p]);
        fprintf(f, "$cdf%zu << EOD\n", p + 1);
        double cum = 0;
        for (size_t k = 0; k < CDF_BINS; k++) {
            if (hist[k] <= 0)
                continue;
            cum += hist[k];
            gp_number(f, (double)k / 1000.0);
            putc(' ', f);
            gp_number(f, cum / total);
            putc('\n', f);
        }
        fputs("1 1\nEOD\n", f);
    }
    fprintf(f, "nseeds = %zu\nncdf = %zu\narray cdf_id[%zu] = [", r->n_seeds, drawn,
            drawn ? drawn : 1);
    size_t k = 0;
    for (size_t p = 0; p < r->n_policies; p++) {
        if (!has[p])
            continue;
        fprintf(f, "%s%zu", k ? ", " : "", p + 1);
        drawn_names[k++] = r->policies[p];
    }
    fputs(drawn ? "]\n" : "0]\n", f);
    gp_string_array(f, "cdf_name", drawn_names, drawn);
    free(has);
    free(drawn_names);
    return plot_gp_put_template(f, "compare-stall-cdf");
}

/* ---------------------------------------------------------------- memory */

/* The name of the VM with the most stall_s in a run's summary.json; false
 * when it cannot be read or has no VM. */
static bool most_stalled(const char *summary, char *name, size_t len)
{
    cfg_doc *doc = NULL;
    cfg_errs errs = {0};
    cfg_node *root = NULL;
    bool found = false;
    if (cfg_doc_new(&doc) != BS_OK)
        return false;
    if (cfg_parse_file(doc, summary, &errs, &root) == BS_OK && root && root->kind == CFG_MAP) {
        const cfg_entry *vms = cfg_map_entry(root, "vms");
        double best = -1;
        for (size_t i = 0; vms && vms->val->kind == CFG_SEQ && i < vms->val->n; i++) {
            const cfg_node *vm = vms->val->entries[i].val;
            if (vm->kind != CFG_MAP)
                continue;
            const cfg_entry *ne = cfg_map_entry(vm, "name"), *me = cfg_map_entry(vm, "metrics");
            const cfg_entry *se = me && me->val->kind == CFG_MAP ? cfg_map_entry(me->val, "stall_s")
                                                                  : NULL;
            if (ne == NULL || ne->val->kind != CFG_SCALAR || ne->val->value == NULL)
                continue;
            double v = se && se->val->kind == CFG_SCALAR && !cfg_is_null(se->val)
                           ? strtod(se->val->value, NULL) : 0;
            if (!found || v > best) { /* ties: the first in scenario order */
                best = v;
                snprintf(name, len, "%s", ne->val->value);
                found = true;
            }
        }
    }
    cfg_errs_free(&errs);
    cfg_doc_free(doc);
    return found;
}

static bs_rc write_memory(FILE *f, const char *name, const char *dir, const cmp_report *r,
                          const cmp_scenario *sc, const cmp_plot_scen *info)
{
    header(f, name, "memory of each policy's most-stalled VM over time", sc->name);
    const char *tname;
    double tsec;
    plot_time_unit(info->duration, &tname, &tsec);
    uint64_t seed = r->n_seeds ? r->seeds[0] : 0;
    size_t n = r->n_policies, na = n ? n : 1;
    bool *has = calloc(na, sizeof *has);
    char (*vm)[256] = calloc(na, sizeof *vm);
    char (*csv)[1024] = calloc(na, sizeof *csv);
    const char **vp = calloc(na, sizeof *vp), **cp = calloc(na, sizeof *cp);
    if (has == NULL || vm == NULL || csv == NULL || vp == NULL || cp == NULL) {
        free(has);
        free(vm);
        free(csv);
        free(vp);
        free(cp);
        return BS_ERR_INTERNAL;
    }
    for (size_t p = 0; p < n; p++) {
        char rel[1024];
        rel_run_file(rel, sizeof rel, sc->name, r->policies[p], seed, "summary.json");
        char *path = fs_path_join(dir, rel + 3);
        has[p] = path && most_stalled(path, vm[p], sizeof vm[p]);
        if (!has[p])
            fprintf(stderr, "balloonsim compare: warning: cannot read the VMs of %s; the memory "
                            "plot of %s leaves %s out\n", path ? path : rel, sc->name,
                    r->policies[p]);
        free(path);
        rel_run_file(csv[p], sizeof csv[p], sc->name, r->policies[p], seed, "timeseries.csv");
        vp[p] = vm[p];
        cp[p] = csv[p];
    }
    size_t rows, cols;
    plot_layout(n, &rows, &cols);
    fprintf(f, "tu = %g  # seconds per unit of the x axis\n", tsec);
    fprintf(f, "tunit = '%s'\nxmax = %.10g\n", tname, bs_time_to_s(info->duration) / tsec);
    /* text: a seed is a uint64_t, beyond gnuplot's integers */
    fprintf(f, "seed = '%" PRIu64 "'\nnp = %zu\nrows = %zu\ncols = %zu\n", seed, n, rows, cols);
    gp_string_array(f, "pname", (const char *const *)r->policies, n);
    fprintf(f, "array has[%zu] = [", na);
    for (size_t p = 0; p < na; p++)
        fprintf(f, "%s%d", p ? ", " : "", p < n && has[p] ? 1 : 0);
    fputs("]\n", f);
    gp_string_array(f, "vmname", vp, n);
    gp_string_array(f, "csvfile", cp, n);
    free(has);
    free(vm);
    free(csv);
    free(vp);
    free(cp);
    return plot_gp_put_template(f, "compare-memory");
}

/* ---------------------------------------------------------------- files */

enum { P_METRICS, P_CDF, P_MEMORY, P_GROUPS, P_N };
static const char *const suffix[P_N] = {"metrics", "stall-cdf", "memory", "groups"};

bs_rc cmp_plot_write(const char *dir, const cmp_report *r, const cmp_plot_scen *scen)
{
    char *pdir = fs_path_join(dir, "plots");
    double *hist = malloc(CDF_BINS * sizeof *hist);
    bs_rc rc = pdir && hist ? fs_mkdirs(pdir) : BS_ERR_INTERNAL;
    for (size_t s = 0; s < r->n_scenarios && rc == BS_OK; s++) {
        const cmp_scenario *sc = &r->scenarios[s];
        char safe[256];
        cmp_safe_name(safe, sizeof safe, sc->name);
        cmp_names nm;
        if (cmp_scenario_names(sc, &nm) != BS_OK) {
            rc = BS_ERR_INTERNAL;
            break;
        }
        for (int k = 0; k < P_N && rc == BS_OK; k++) {
            if (k == P_GROUPS && nm.n_groups < 2) /* one group: the run's bars again */
                continue;
            char name[300], file[320], tmpname[330];
            snprintf(name, sizeof name, "%s-%s", safe, suffix[k]);
            snprintf(file, sizeof file, "%s.gp", name);
            snprintf(tmpname, sizeof tmpname, ".%s.gp.tmp", name);
            char *final = fs_path_join(pdir, file), *tmp = fs_path_join(pdir, tmpname);
            FILE *f = final && tmp ? fopen(tmp, "w") : NULL;
            if (f == NULL) {
                fprintf(stderr, "balloonsim: cannot create %s: %s\n", tmp ? tmp : file,
                        strerror(errno));
                rc = BS_ERR_INTERNAL;
            } else {
                bs_rc wrc = k == P_METRICS ? write_metrics(f, name, r, sc)
                            : k == P_CDF   ? write_stall_cdf(f, name, dir, r, sc, &scen[s], hist)
                            : k == P_GROUPS ? write_groups(f, name, r, sc, &nm)
                                           : write_memory(f, name, dir, r, sc, &scen[s]);
                bool bad = ferror(f) != 0;
                if (wrc != BS_OK) {
                    fclose(f);
                    unlink(tmp);
                    rc = wrc;
                } else if (fclose(f) != 0 || bad || rename(tmp, final) != 0) {
                    fprintf(stderr, "balloonsim: cannot write %s: %s\n", final, strerror(errno));
                    unlink(tmp);
                    rc = BS_ERR_INTERNAL;
                }
            }
            free(final);
            free(tmp);
        }
        cmp_names_free(&nm);
    }
    free(hist);
    free(pdir);
    return rc;
}
