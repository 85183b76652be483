/* plot.c -- gnuplot scripts for a run directory, and drawing them.
 *
 * Why it looks like this:
 * - The scripts are plain gnuplot text next to the data, reading
 *   ../timeseries.csv and ../hosts.csv relative to DIR/plots, so a user can
 *   tweak one and re-run `gnuplot memory.gp` in that directory (or
 *   `balloonsim plot DIR` from anywhere: gnuplot runs with cwd DIR/plots).
 * - Rows of one VM are picked with strcol() in gnuplot rather than by
 *   writing per-VM data files: the run directory holds each number once.
 *   Rows of other VMs evaluate to NaN, and `set datafile missing NaN` makes
 *   gnuplot skip them without breaking the line (otherwise, as VMs' rows
 *   interleave, no segment would ever be drawn).  `every ::1` skips the
 *   header, which matters when a VM is literally called "vm".
 * - Pictures are drawn under a temporary name passed in the gnuplot variable
 *   `out` and renamed after gnuplot exits with 0, like every other output; a
 *   script run by hand falls back to NAME.png.
 * - gnuplot is an optional dependency: without it in PATH nothing is drawn
 *   and the caller says so; the run itself still succeeds. */
#include "plots/plot.h"
#include "sim/base/fsutil.h"

#include "plots/gp_template.h"

#include "sim/report/output.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define GP_MAX_SCRIPTS 256

static char *join3(const char *a, const char *b, const char *c)
{
    size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
    char *p = malloc(la + lb + lc + 1);
    if (p == NULL)
        return NULL;
    memcpy(p, a, la);
    memcpy(p + la, b, lb);
    memcpy(p + la + lb, c, lc + 1);
    return p;
}

/* DIR + "/plots" without doubling a trailing slash. */
static char *plots_dir(const char *dir)
{
    size_t n = strlen(dir);
    return join3(dir, n > 0 && dir[n - 1] == '/' ? "" : "/", "plots");
}

/* A gnuplot single-quoted string: no escapes inside except '' for a quote.
 * Control characters (a newline would end the command) become '?'. */
void plot_gp_string(FILE *f, const char *s)
{
    putc('\'', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '\'')
            fputs("''", f);
        else if (*p < 0x20 || *p == 0x7f)
            putc('?', f);
        else
            putc(*p, f);
    }
    putc('\'', f);
}

/* Time axis unit chosen from the scenario's length so that ticks read well. */
void plot_time_unit(bs_time duration, const char **name, double *seconds)
{
    if (duration >= 2 * 86400 * BS_NS_PER_S) {
        *name = "d";
        *seconds = 86400;
    } else if (duration >= 2 * 3600 * BS_NS_PER_S) {
        *name = "h";
        *seconds = 3600;
    } else if (duration >= 2 * 60 * BS_NS_PER_S) {
        *name = "min";
        *seconds = 60;
    } else {
        *name = "s";
        *seconds = 1;
    }
}

void plot_layout(size_t n, size_t *rows, size_t *cols)
{
    size_t c = 1;
    while (c * c < n)
        c++;
    *cols = c;
    *rows = n == 0 ? 1 : (n + c - 1) / c;
}

/* The generated header of a run script: every per-run value the template
 * (plots/NAME.gp) reads, as gnuplot variables.  pick(s) is a chain of
 * comparisons rather than a loop over name[]: it runs once per CSV row. */
static void header(FILE *f, const scen *sc, const char *name, const char *what,
                   const char *const *names, size_t n, const char *note)
{
    const char *tname;
    double tsec;
    plot_time_unit(sc->duration, &tname, &tsec);
    fprintf(f, "# %s.gp -- written by balloonsim %s: %s\n", name, BS_VERSION, what);
    fprintf(f, "# Run inside this directory: gnuplot %s.gp (draws %s.png unless\n", name, name);
    fputs("# -e \"out='FILE'\" says otherwise).  The variables below are this run's;\n", f);
    fprintf(f, "# the rest is the template %s.gp (docs/plots.md).\n", name);
    fprintf(f, "if (!exists(\"out\")) out = '%s.png'\n", name);
    fprintf(f, "tu = %g  # seconds per unit of the x axis\n", tsec);
    fprintf(f, "tunit = '%s'\n", tname);
    fprintf(f, "xmax = %.10g\n", bs_time_to_s(sc->duration) / tsec);
    fputs("title_run = ", f);
    plot_gp_string(f, sc->name);
    fprintf(f, ".' / %s / seed %" PRIu64 "'\n", sc->policy.type ? sc->policy.type->name : "",
            sc->seed);
    fputs("title_note = ", f);
    plot_gp_string(f, note);
    fputc('\n', f);
    size_t rows, cols;
    plot_layout(n, &rows, &cols);
    fprintf(f, "rows = %zu\ncols = %zu\nn = %zu\narray name[%zu] = [", rows, cols, n, n);
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            fputs(", ", f);
        plot_gp_string(f, names[i]);
    }
    fputs("]\npick(s) = ", f);
    for (size_t i = 0; i < n; i++) {
        fputs("s eq ", f);
        plot_gp_string(f, names[i]);
        fprintf(f, " ? %zu : ", i + 1);
    }
    fputs("0\n", f);
}

typedef struct rank {
    size_t index;
    double stall;
} rank;

static int cmp_stall(const void *a, const void *b)
{
    const rank *x = a, *y = b;
    if (x->stall != y->stall)
        return x->stall > y->stall ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

static int cmp_index(const void *a, const void *b)
{
    const rank *x = a, *y = b;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* The VMs to show, in scenario order; returns how many (<= PLOT_MAX_VMS). */
static size_t pick_vms(const scen *sc, const eng_result *res, size_t pick[PLOT_MAX_VMS])
{
    size_t n = sc->n_vms, k = BS_MIN(n, (size_t)PLOT_MAX_VMS);
    if (n <= PLOT_MAX_VMS || res == NULL || res->n_vms != n) {
        for (size_t i = 0; i < k; i++)
            pick[i] = i;
        return k;
    }
    rank *r = malloc(n * sizeof *r);
    if (r == NULL) {
        for (size_t i = 0; i < k; i++)
            pick[i] = i;
        return k;
    }
    for (size_t i = 0; i < n; i++) {
        const met_values *mv = &res->vms[i];
        r[i].index = i;
        r[i].stall = mv->present[MET_STALL_S] && isfinite(mv->v[MET_STALL_S])
                         ? mv->v[MET_STALL_S] : -1.0;
    }
    qsort(r, n, sizeof *r, cmp_stall);
    qsort(r, k, sizeof *r, cmp_index);
    for (size_t i = 0; i < k; i++)
        pick[i] = r[i].index;
    free(r);
    return k;
}

static bs_rc write_script(FILE *f, const scen *sc, int which, const char *const *names,
                          size_t n)
{
    static const char *const what[] = {"guest memory per VM over time", "host memory over time",
                                       "stall fraction per VM over time"};
    static const char *const gp[] = {"memory", "host", "stall"};
    char note[128] = "";
    if (which == 1 && n < sc->n_hosts)
        snprintf(note, sizeof note, " (the first %zu of %zu hosts)", n, sc->n_hosts);
    else if (which != 1 && n < sc->n_vms)
        snprintf(note, sizeof note, " (the %zu of %zu VMs with the most stall)", n, sc->n_vms);
    header(f, sc, gp[which], what[which], names, n, note);
    return plot_gp_put_template(f, gp[which]);
}

enum { GP_MEMORY, GP_HOST, GP_STALL, GP_N };
static const char *const gp_names[GP_N] = {"memory", "host", "stall"};

bs_rc plot_write_run_scripts(const char *dir, const scen *sc, const eng_result *res)
{
    assert(dir != NULL && sc != NULL);
    char *pdir = plots_dir(dir);
    if (pdir == NULL)
        return BS_ERR_INTERNAL;
    bs_rc rc = fs_mkdirs(pdir);
    size_t pick[PLOT_MAX_VMS];
    size_t n = pick_vms(sc, res, pick);
    const char *vm_names[PLOT_MAX_VMS], *host_names[PLOT_MAX_HOSTS];
    for (size_t k = 0; k < n; k++)
        vm_names[k] = sc->vms[pick[k]].name;
    size_t nh = BS_MIN(sc->n_hosts, (size_t)PLOT_MAX_HOSTS);
    for (size_t h = 0; h < nh; h++)
        host_names[h] = sc->hosts[h].name;
    for (int s = 0; s < GP_N && rc == BS_OK; s++) {
        char *final = join3(pdir, "/", gp_names[s]);
        char *gp = final ? join3(final, ".gp", "") : NULL;
        char *tmpname = join3(".", gp_names[s], ".gp.tmp");
        char *tmp = tmpname ? join3(pdir, "/", tmpname) : NULL;
        bool empty = (s != GP_HOST && n == 0) || (s == GP_HOST && nh == 0);
        FILE *f = NULL;
        if (gp == NULL || tmp == NULL) {
            rc = BS_ERR_INTERNAL;
        } else if (empty) {
            unlink(gp); /* nothing to draw; gnuplot would fail on an empty plot */
        } else if ((f = fopen(tmp, "w")) == NULL) {
            fprintf(stderr, "balloonsim: cannot create %s: %s\n", tmp, strerror(errno));
            rc = BS_ERR_INTERNAL;
        } else {
            bs_rc wrc = s == GP_HOST ? write_script(f, sc, s, host_names, nh)
                                     : write_script(f, sc, s, vm_names, n);
            bool bad = ferror(f) != 0;
            if (wrc != BS_OK) {
                fclose(f);
                unlink(tmp);
                rc = wrc;
            } else if (fclose(f) != 0 || bad || rename(tmp, gp) != 0) {
                fprintf(stderr, "balloonsim: cannot write %s: %s\n", gp, strerror(errno));
                unlink(tmp);
                rc = BS_ERR_INTERNAL;
            }
        }
        free(final);
        free(gp);
        free(tmpname);
        free(tmp);
    }
    free(pdir);
    return rc;
}

/* ---------------------------------------------------------------- render */

static bool is_script(const char *name)
{
    size_t n = strlen(name);
    return name[0] != '.' && n > 3 && strcmp(name + n - 3, ".gp") == 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Script names in DIR/plots, sorted so that drawing order is stable. */
static size_t list_scripts(const char *pdir, char **names, size_t max)
{
    DIR *d = opendir(pdir);
    if (d == NULL)
        return 0;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < max) {
        if (is_script(e->d_name)) {
            names[n] = strdup(e->d_name);
            if (names[n] != NULL)
                n++;
        }
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    return n;
}

size_t plot_count_scripts(const char *dir)
{
    char *pdir = plots_dir(dir);
    if (pdir == NULL)
        return 0;
    char *names[GP_MAX_SCRIPTS];
    size_t n = list_scripts(pdir, names, GP_MAX_SCRIPTS);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(pdir);
    return n;
}

/* Full path of gnuplot from PATH, or NULL. */
static char *find_gnuplot(void)
{
    const char *path = getenv("PATH");
    if (path == NULL || *path == '\0')
        return NULL;
    const char *p = path;
    while (true) {
        const char *end = strchr(p, ':');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char *dirpart = strndup(p, len);
        if (dirpart == NULL)
            return NULL;
        char *cand = join3(len ? dirpart : ".", "/", "gnuplot");
        free(dirpart);
        struct stat st;
        if (cand && stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0)
            return cand;
        free(cand);
        if (end == NULL)
            return NULL;
        p = end + 1;
    }
}

/* gnuplot SCRIPT in `pdir` with out='TMP'; true when it exited with 0. */
static bool run_gnuplot(const char *gnuplot, const char *pdir, const char *script,
                        const char *tmp_png)
{
    /* -e "out='...'" : the name is ours (".NAME.png.tmp"); double any quote. */
    size_t len = strlen(tmp_png);
    char *assign = malloc(2 * len + 8);
    if (assign == NULL)
        return false;
    char *o = assign;
    o += sprintf(o, "out='");
    for (const char *s = tmp_png; *s; s++) {
        if (*s == '\'')
            *o++ = '\'';
        *o++ = *s;
    }
    strcpy(o, "'");
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        free(assign);
        return false;
    }
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0) {
            dup2(devnull, STDIN_FILENO);
            close(devnull);
        }
        if (chdir(pdir) != 0)
            _exit(126);
        char *argv[] = {(char *)"gnuplot", (char *)"-e", assign, (char *)script, NULL};
        execv(gnuplot, argv);
        _exit(127);
    }
    free(assign);
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return false;
    }
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

bs_rc plot_render(const char *dir, bool *skipped)
{
    *skipped = false;
    char *pdir = plots_dir(dir);
    if (pdir == NULL)
        return BS_ERR_INTERNAL;
    char *names[GP_MAX_SCRIPTS];
    size_t n = list_scripts(pdir, names, GP_MAX_SCRIPTS);
    if (n == 0) {
        fprintf(stderr, "balloonsim: no gnuplot scripts (*.gp) in %s\n", pdir);
        free(pdir);
        return BS_ERR_INPUT;
    }
    char *gnuplot = find_gnuplot();
    bs_rc rc = BS_OK;
    if (gnuplot == NULL) {
        *skipped = true;
        for (size_t i = 0; i < n; i++)
            free(names[i]);
        free(pdir);
        return BS_OK;
    }
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(names[i]);
        char *stem = strndup(names[i], len - 3);
        char *tmp_png = stem ? join3(".", stem, ".png.tmp") : NULL;
        char *tmp_path = tmp_png ? join3(pdir, "/", tmp_png) : NULL;
        char *png_path = stem ? join3(pdir, "/", stem) : NULL;
        char *png = png_path ? join3(png_path, ".png", "") : NULL;
        if (png == NULL || tmp_path == NULL) {
            rc = BS_ERR_INTERNAL;
        } else if (!run_gnuplot(gnuplot, pdir, names[i], tmp_png) ||
                   access(tmp_path, F_OK) != 0) {
            fprintf(stderr, "balloonsim: gnuplot failed on %s/%s\n", pdir, names[i]);
            unlink(tmp_path);
            rc = BS_ERR_INTERNAL;
        } else if (rename(tmp_path, png) != 0) {
            fprintf(stderr, "balloonsim: cannot rename %s to %s: %s\n", tmp_path, png,
                    strerror(errno));
            unlink(tmp_path);
            rc = BS_ERR_INTERNAL;
        }
        free(stem);
        free(tmp_png);
        free(tmp_path);
        free(png_path);
        free(png);
        free(names[i]);
    }
    free(gnuplot);
    free(pdir);
    return rc;
}
