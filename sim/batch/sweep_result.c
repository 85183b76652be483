/* sweep_result.c -- a sweep's result: runs read back and ordered into
 * points, its tables in every format, and the files of a sweep directory
 * (sweep.h).
 *
 * Every table and plot is built from run directories (see sweep.h), and
 * ordered by the values, never by completion order or -j. */
#include "sim/batch/sweep.h"
#include "sim/base/fsutil.h"
#include "sim/base/text.h"
#include "sim/base/strutil.h"
#include "plots/plot.h"
#include "plots/sweep_plot.h"

#include "sim/batch/compare.h"
#include "sim/report/output.h"
#include "sim/base/units.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL
#define DEC_MAX_DIGITS 18 /* decimal digits that fit an int64 with room */
/* ---------------------------------------------------------------- results */

/* How an axis's values compare: as numbers when all of them read as one kind. */
static swp_axis_kind axis_kind(char *const *values, size_t n, double *parsed)
{
    static const struct {
        swp_axis_kind kind;
        unit_kind unit;
    } kinds[] = {{SWP_NUMBER, UNIT_NUMBER},
                 {SWP_SIZE, UNIT_SIZE},
                 {SWP_TIME, UNIT_TIME},
                 {SWP_FRACTION, UNIT_FRACTION}};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        bool all = n > 0;
        for (size_t i = 0; i < n && all; i++)
            all = unit_parse(kinds[k].unit, values[i], &parsed[i], NULL) == BS_OK &&
                  isfinite(parsed[i]);
        if (all)
            return kinds[k].kind;
    }
    return SWP_TEXT;
}


/* One distinct value of an axis while it is being ordered. */
typedef struct val_order {
    const char *text;
    size_t rank;  /* smallest place in an axis list it had */
    double num;
    bool numeric;
} val_order;

static int cmp_val_text(const void *a, const void *b)
{
    const val_order *x = a, *y = b;
    int c = strcmp(x->text, y->text);
    if (c)
        return c;
    return x->rank < y->rank ? -1 : x->rank > y->rank;
}

static int cmp_val_order(const void *a, const void *b)
{
    const val_order *x = a, *y = b;
    if (x->numeric) {
        if (x->num != y->num)
            return x->num < y->num ? -1 : 1;
    } else if (x->rank != y->rank) {
        return x->rank < y->rank ? -1 : 1;
    }
    return strcmp(x->text, y->text);
}

/* A run on its way into a point; carries its own axis count so that the
 * comparators need no context. */
typedef struct run_ref {
    const swp_run *run;
    size_t *pos;   /* per axis: index into the ordered distinct values */
    size_t n_axes;
    size_t input;  /* place in the caller's array (ties) */
} run_ref;

static int cmp_ref_id(const void *a, const void *b)
{
    const run_ref *x = a, *y = b;
    int c = strcmp(x->run->id, y->run->id);
    return c ? c : (x->input < y->input ? -1 : x->input > y->input);
}

static int cmp_ref_point(const void *a, const void *b)
{
    const run_ref *x = a, *y = b;
    for (size_t i = 0; i < x->n_axes; i++)
        if (x->pos[i] != y->pos[i])
            return x->pos[i] < y->pos[i] ? -1 : 1;
    if (x->run->seed != y->run->seed)
        return x->run->seed < y->run->seed ? -1 : 1;
    return x->input < y->input ? -1 : x->input > y->input;
}

static bool same_list(char *const *a, size_t na, char *const *b, size_t nb)
{
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++)
        if (strcmp(a[i], b[i]) != 0)
            return false;
    return true;
}

static bs_rc check_alike(const swp_run *runs, size_t n, char *err, size_t len)
{
    const swp_run *a = &runs[0];
    for (size_t i = 1; i < n; i++) {
        const swp_run *b = &runs[i];
        if (strcmp(a->scenario, b->scenario) != 0) {
            bs_errf(err, len, "runs of different scenarios (%s and %s) cannot be one table",
                 a->scenario, b->scenario);
            return BS_ERR_INPUT;
        }
        if (a->content != b->content) {
            bs_errf(err, len,
                 "runs %s and %s were made from different versions of scenario %s "
                 "(the file changed between them)",
                 a->id, b->id, a->scenario);
            return BS_ERR_INPUT;
        }
        if (!same_list(a->paths, a->n_axes, b->paths, b->n_axes)) {
            bs_errf(err, len, "runs %s and %s vary different key paths", a->id, b->id);
            return BS_ERR_INPUT;
        }
        if (!same_list(a->fixed, a->n_fixed, b->fixed, b->n_fixed)) {
            bs_errf(err, len, "runs %s and %s were made with different --set/-p", a->id, b->id);
            return BS_ERR_INPUT;
        }
    }
    return BS_OK;
}

static char **dup_strings(char *const *src, size_t n)
{
    char **d = calloc(n + 1, sizeof *d);
    for (size_t i = 0; d && i < n; i++) {
        d[i] = strdup(src[i]);
        if (d[i] == NULL) {
            for (size_t j = 0; j < i; j++)
                free(d[j]);
            free(d);
            return NULL;
        }
    }
    return d;
}

/* Order the distinct values of axis `a` and give every ref its position. */
static bs_rc order_axis(swp_result *r, size_t a, run_ref *refs, size_t n)
{
    val_order *all = malloc(n * sizeof *all);
    if (all == NULL)
        return BS_ERR_INTERNAL;
    for (size_t i = 0; i < n; i++)
        all[i] = (val_order){.text = refs[i].run->values[a], .rank = refs[i].run->ranks[a]};
    qsort(all, n, sizeof *all, cmp_val_text);
    size_t d = 0; /* distinct, keeping the smallest rank (first after the sort) */
    for (size_t i = 0; i < n; i++)
        if (d == 0 || strcmp(all[d - 1].text, all[i].text) != 0)
            all[d++] = all[i];
    char **texts = malloc(d * sizeof *texts);
    double *num = malloc(d * sizeof *num);
    bs_rc rc = texts && num ? BS_OK : BS_ERR_INTERNAL;
    if (rc == BS_OK) {
        for (size_t i = 0; i < d; i++)
            texts[i] = (char *)all[i].text;
        r->kinds[a] = axis_kind(texts, d, num);
        for (size_t i = 0; i < d; i++) {
            all[i].numeric = r->kinds[a] != SWP_TEXT;
            all[i].num = num[i];
        }
        qsort(all, d, sizeof *all, cmp_val_order);
        for (size_t i = 0; i < d; i++)
            texts[i] = (char *)all[i].text;
        r->values[a] = dup_strings(texts, d);
        r->n_values[a] = d;
        if (r->values[a] == NULL)
            rc = BS_ERR_INTERNAL;
    }
    /* Position of each ref's value: a binary search over a text-sorted copy
     * of (text, position). */
    if (rc == BS_OK) {
        for (size_t i = 0; i < d; i++) {
            all[i].text = r->values[a][i];
            all[i].rank = i;
        }
        qsort(all, d, sizeof *all, cmp_val_text);
        for (size_t i = 0; i < n; i++) {
            val_order key = {.text = refs[i].run->values[a], .rank = 0};
            size_t lo = 0, hi = d;
            while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if (strcmp(all[mid].text, key.text) < 0)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            assert(lo < d && strcmp(all[lo].text, key.text) == 0);
            refs[i].pos[a] = all[lo].rank;
        }
    }
    free(all);
    free(texts);
    free(num);
    return rc;
}

bs_rc swp_result_build(const swp_run *runs, size_t n, swp_result *out, char *err, size_t err_len)
{
    *out = (swp_result){0};
    if (n == 0) {
        bs_errf(err, err_len, "no finished runs");
        return BS_ERR_INPUT;
    }
    bs_rc rc = check_alike(runs, n, err, err_len);
    if (rc != BS_OK)
        return rc;
    size_t na = runs[0].n_axes;
    run_ref *refs = calloc(n, sizeof *refs);
    size_t *pos = calloc(n * (na ? na : 1), sizeof *pos);
    out->scenario = strdup(runs[0].scenario);
    out->content = runs[0].content;
    out->n_axes = na;
    out->axes = dup_strings(runs[0].paths, na);
    out->fixed = dup_strings(runs[0].fixed, runs[0].n_fixed);
    out->n_fixed = runs[0].n_fixed;
    out->kinds = calloc(na + 1, sizeof *out->kinds);
    out->values = calloc(na + 1, sizeof *out->values);
    out->n_values = calloc(na + 1, sizeof *out->n_values);
    if (!refs || !pos || !out->scenario || !out->axes || !out->fixed || !out->kinds ||
        !out->values || !out->n_values)
        rc = BS_ERR_INTERNAL;
    size_t m = 0;
    if (rc == BS_OK) {
        for (size_t i = 0; i < n; i++)
            refs[i] = (run_ref){.run = &runs[i], .pos = pos + i * (na ? na : 1), .n_axes = na,
                                .input = i};
        /* The same run found twice (two copies of a shard): count it once. */
        qsort(refs, n, sizeof *refs, cmp_ref_id);
        for (size_t i = 0; i < n; i++)
            if (m == 0 || strcmp(refs[m - 1].run->id, refs[i].run->id) != 0)
                refs[m++] = refs[i];
        out->n_runs = m;
    }
    for (size_t a = 0; rc == BS_OK && a < na; a++)
        rc = order_axis(out, a, refs, m);
    if (rc == BS_OK) {
        qsort(refs, m, sizeof *refs, cmp_ref_point);
        out->points = calloc(m, sizeof *out->points);
        if (out->points == NULL)
            rc = BS_ERR_INTERNAL;
    }
    for (size_t i = 0; rc == BS_OK && i < m;) {
        size_t j = i + 1;
        while (j < m && memcmp(refs[j].pos, refs[i].pos, na * sizeof *pos) == 0)
            j++;
        swp_point *p = &out->points[out->n_points++];
        p->n_runs = j - i;
        p->pos = malloc((na ? na : 1) * sizeof *p->pos);
        p->seeds = malloc(p->n_runs * sizeof *p->seeds);
        p->runs = malloc(p->n_runs * sizeof *p->runs);
        if (p->pos == NULL || p->seeds == NULL || p->runs == NULL) {
            rc = BS_ERR_INTERNAL;
            break;
        }
        memcpy(p->pos, refs[i].pos, na * sizeof *pos);
        for (size_t k = i; k < j; k++) {
            p->seeds[k - i] = refs[k].run->seed;
            p->runs[k - i] = refs[k].run->m;
        }
        cmp_aggregate(p->runs, p->n_runs, p->m);
        i = j;
    }
    free(refs);
    free(pos);
    if (rc != BS_OK)
        swp_result_free(out);
    return rc;
}

void swp_result_free(swp_result *r)
{
    for (size_t p = 0; r->points && p < r->n_points; p++) {
        free(r->points[p].pos);
        free(r->points[p].seeds);
        free(r->points[p].runs);
    }
    free(r->points);
    for (size_t a = 0; a < r->n_axes; a++) {
        free(r->axes ? r->axes[a] : NULL);
        for (size_t i = 0; r->values && r->values[a] && i < r->n_values[a]; i++)
            free(r->values[a][i]);
        free(r->values ? r->values[a] : NULL);
    }
    free(r->axes);
    free(r->values);
    free(r->n_values);
    free(r->kinds);
    for (size_t i = 0; r->fixed && i < r->n_fixed; i++)
        free(r->fixed[i]);
    free(r->fixed);
    free(r->scenario);
    *r = (swp_result){0};
}

/* ---------------------------------------------------------------- tables */

static const met_id default_metrics[] = {
    MET_GUEST_OOM_KILLS,       MET_HOST_OOM_KILLS, MET_STALL_S,
    MET_STALL_P99,             MET_BALLOON_TRAFFIC_BYTES, MET_MEAN_HOST_USED_FRACTION,
    MET_OVERCOMMIT_RATIO,
};

size_t swp_default_metrics(met_id out[MET_COUNT])
{
    size_t n = sizeof default_metrics / sizeof default_metrics[0];
    memcpy(out, default_metrics, sizeof default_metrics);
    return n;
}

bs_rc swp_parse_metrics(const char *text, met_id out[MET_COUNT], size_t *n, char *err,
                        size_t err_len)
{
    *n = 0;
    const char *p = text;
    while (true) {
        const char *c = strchr(p, ',');
        size_t k = c ? (size_t)(c - p) : strlen(p);
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)BS_MIN(k, sizeof name - 1), p);
        met_id id = k < sizeof name ? met_find(name) : MET_COUNT;
        if (id == MET_COUNT) {
            bs_errf(err, err_len, "unknown metric '%.*s' (see docs/outputs.md for the names)",
                 (int)BS_MIN(k, (size_t)200), p);
            return BS_ERR_INPUT;
        }
        bool dup = false;
        for (size_t i = 0; i < *n; i++)
            dup = dup || out[i] == id;
        if (!dup)
            out[(*n)++] = id;
        if (c == NULL)
            break;
        p = c + 1;
    }
    return BS_OK;
}

/* A JSON number as the grammar of RFC 8259 has it (so that a numeric key
 * can be written bare). */
static bool json_number_text(const char *s)
{
    const char *p = s;
    if (*p == '-')
        p++;
    if (*p == '0')
        p++;
    else if (*p >= '1' && *p <= '9')
        while (*p >= '0' && *p <= '9')
            p++;
    else
        return false;
    if (*p == '.') {
        p++;
        if (!(*p >= '0' && *p <= '9'))
            return false;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!(*p >= '0' && *p <= '9'))
            return false;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    return *p == '\0';
}

/* The table of r with the given metric columns (all when cols is NULL). */
typedef struct tab_store {
    const char *key_names[SWP_MAX_AXES + 1];
    bool key_numeric[SWP_MAX_AXES + 1];
    const char *col_names[MET_COUNT];
    const char **keys;
    char (*runs)[24];
    tab_cell *cells;
} tab_store;

static bool make_table(const swp_result *r, const met_id *cols, size_t n_cols, tab_store *st,
                       tab *t)
{
    static const met_id all[MET_COUNT] = {
        0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10,
        11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21,
    };
    _Static_assert(MET_COUNT == 22, "all lists every metric");
    if (cols == NULL) {
        cols = all;
        n_cols = MET_COUNT;
    }
    assert(r->n_axes <= SWP_MAX_AXES);
    size_t nk = r->n_axes + 1, np = r->n_points;
    st->keys = calloc((np ? np : 1) * nk, sizeof *st->keys);
    st->runs = calloc(np ? np : 1, sizeof *st->runs);
    st->cells = calloc((np ? np : 1) * (n_cols ? n_cols : 1), sizeof *st->cells);
    if (st->keys == NULL || st->runs == NULL || st->cells == NULL)
        return false;
    for (size_t a = 0; a + 1 < nk; a++) {
        st->key_names[a] = r->axes[a];
        bool num = r->kinds[a] == SWP_NUMBER;
        for (size_t i = 0; num && i < r->n_values[a]; i++)
            num = json_number_text(r->values[a][i]);
        st->key_numeric[a] = num;
    }
    st->key_names[nk - 1] = "runs";
    st->key_numeric[nk - 1] = true;
    for (size_t c = 0; c < n_cols; c++)
        st->col_names[c] = met_info_get(cols[c])->name;
    for (size_t p = 0; p < np; p++) {
        const swp_point *pt = &r->points[p];
        for (size_t a = 0; a + 1 < nk; a++)
            st->keys[p * nk + a] = r->values[a][pt->pos[a]];
        snprintf(st->runs[p], sizeof st->runs[p], "%zu", pt->n_runs);
        st->keys[p * nk + nk - 1] = st->runs[p];
        for (size_t c = 0; c < n_cols; c++)
            st->cells[p * n_cols + c] = pt->m[cols[c]];
    }
    *t = (tab){.n_keys = nk,
               .n_cols = n_cols,
               .n_rows = np,
               .key_names = st->key_names,
               .key_numeric = st->key_numeric,
               .col_names = st->col_names,
               .keys = st->keys,
               .cells = st->cells};
    return true;
}

static void free_table(tab_store *st)
{
    free(st->keys);
    free(st->runs);
    free(st->cells);
}

/* "12 points x 3 seeds (1-3)" when every point has the same seeds, else
 * "12 points, 35 runs". */
static void size_text(const swp_result *r, char *buf, size_t len)
{
    bool same = r->n_points > 0;
    const swp_point *p0 = same ? &r->points[0] : NULL;
    for (size_t p = 1; same && p < r->n_points; p++) {
        const swp_point *q = &r->points[p];
        same = q->n_runs == p0->n_runs &&
               memcmp(q->seeds, p0->seeds, q->n_runs * sizeof *q->seeds) == 0;
    }
    int k = snprintf(buf, len, "%zu point%s", r->n_points, r->n_points == 1 ? "" : "s");
    if (k < 0 || (size_t)k >= len)
        return;
    if (!same) {
        snprintf(buf + k, len - (size_t)k, ", %zu runs (not the same seeds at every point)",
                 r->n_runs);
        return;
    }
    bool consecutive = true;
    for (size_t i = 1; i < p0->n_runs; i++)
        consecutive = consecutive && p0->seeds[i] == p0->seeds[i - 1] + 1;
    k += snprintf(buf + k, len - (size_t)k, " x %zu seed%s (", p0->n_runs,
                  p0->n_runs == 1 ? "" : "s");
    if (consecutive && p0->n_runs > 1) {
        k += snprintf(buf + k, len - (size_t)k, "%" PRIu64 "-%" PRIu64, p0->seeds[0],
                      p0->seeds[p0->n_runs - 1]);
    } else {
        for (size_t i = 0; i < p0->n_runs && (size_t)k < len; i++)
            k += snprintf(buf + k, len - (size_t)k, "%s%" PRIu64, i ? ", " : "", p0->seeds[i]);
    }
    if ((size_t)k < len)
        snprintf(buf + k, len - (size_t)k, ")");
}

static void md_escaped(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (strchr("\\`*_[]#<>|", *s))
            putc('\\', f);
        putc(*s, f);
    }
}

static bs_rc write_text_or_md(FILE *f, const swp_result *r, bool md, const met_id *shown,
                              size_t n_shown)
{
    char size[256];
    size_text(r, size, sizeof size);
    if (md) {
        fputs("## balloonsim sweep: ", f);
        md_escaped(f, r->scenario);
        fprintf(f, "\n\n%s. ", size);
    } else {
        fprintf(f, "balloonsim sweep: %s, %s\n", r->scenario, size);
    }
    fputs("Each cell: mean \xc2\xb1 half-width of its 95 % confidence interval over the seeds "
          "(Student t).\n",
          f);
    if (r->n_fixed) {
        fputs(md ? "\nEvery run with" : "Every run with", f);
        for (size_t i = 0; i < r->n_fixed; i++)
            fprintf(f, md ? " `--set %s`" : " --set %s", r->fixed[i]);
        fputs(".\n", f);
    }
    fputs("\n", f);
    tab_store st = {0};
    tab t;
    bool ok = make_table(r, shown, n_shown, &st, &t);
    if (ok && md)
        tab_write_markdown(f, &t);
    else if (ok)
        tab_write_text(f, &t);
    free_table(&st);
    return !ok ? BS_ERR_INTERNAL : ferror(f) ? BS_ERR_INTERNAL : BS_OK;
}

static void json_list(FILE *f, char *const *l, size_t n)
{
    fputs("[", f);
    for (size_t i = 0; i < n; i++) {
        fputs(i ? ", " : "", f);
        txt_json_string(f, l[i]);
    }
    fputs("]", f);
}

static bs_rc write_json(FILE *f, const swp_result *r)
{
    tab_store st = {0};
    tab t;
    if (!make_table(r, NULL, 0, &st, &t)) {
        free_table(&st);
        return BS_ERR_INTERNAL;
    }
    fputs("{\n  \"scenario\": ", f);
    txt_json_string(f, r->scenario);
    fputs(",\n  \"axes\": ", f);
    json_list(f, r->axes, r->n_axes);
    fputs(",\n  \"fixed\": ", f);
    json_list(f, r->fixed, r->n_fixed);
    fprintf(f, ",\n  \"runs\": %zu,\n  \"points\": ", r->n_runs);
    tab_write_json(f, &t, "  ");
    fputs("\n}\n", f);
    free_table(&st);
    return ferror(f) ? BS_ERR_INTERNAL : BS_OK;
}

static bs_rc write_csv(FILE *f, const swp_result *r)
{
    static const char *const lead_names[] = {"scenario"};
    tab_store st = {0};
    tab t;
    if (!make_table(r, NULL, 0, &st, &t)) {
        free_table(&st);
        return BS_ERR_INTERNAL;
    }
    const char *lead[] = {r->scenario};
    tab_write_csv(f, &t, true, lead_names, lead, 1);
    free_table(&st);
    return ferror(f) ? BS_ERR_INTERNAL : BS_OK;
}

bs_rc swp_write_table(FILE *f, const swp_result *r, swp_format fmt, const met_id *shown,
                      size_t n_shown)
{
    switch (fmt) {
    case SWP_FMT_TEXT: return write_text_or_md(f, r, false, shown, n_shown);
    case SWP_FMT_MARKDOWN: return write_text_or_md(f, r, true, shown, n_shown);
    case SWP_FMT_JSON: return write_json(f, r);
    case SWP_FMT_CSV: return write_csv(f, r);
    }
    return BS_ERR_INTERNAL;
}

/* ---------------------------------------------------------------- plots */

typedef struct table_ctx {
    const swp_result *r;
    swp_format fmt;
    const met_id *shown;
    size_t n_shown;
} table_ctx;

static bs_rc fill_table(FILE *f, void *vctx)
{
    const table_ctx *c = vctx;
    return swp_write_table(f, c->r, c->fmt, c->shown, c->n_shown);
}

bs_rc swp_write_outputs(const char *dir, const swp_result *r, const met_id *shown,
                        size_t n_shown)
{
    static const struct {
        const char *name;
        swp_format fmt;
    } files[] = {{"sweep.txt", SWP_FMT_TEXT},
                 {"sweep.md", SWP_FMT_MARKDOWN},
                 {"sweep.json", SWP_FMT_JSON},
                 {"sweep.csv", SWP_FMT_CSV}};
    char *pdir = fs_path_join(dir, "plots");
    bs_rc rc = pdir ? fs_mkdirs(pdir) : BS_ERR_INTERNAL;
    for (size_t i = 0; rc == BS_OK && i < sizeof files / sizeof files[0]; i++) {
        char *path = fs_path_join(dir, files[i].name);
        table_ctx c = {r, files[i].fmt, shown, n_shown};
        rc = path ? swp_write_file(path, fill_table, &c) : BS_ERR_INTERNAL;
        free(path);
    }
    if (rc == BS_OK)
        rc = plot_write_sweep_scripts(pdir, r, shown, n_shown);
    free(pdir);
    return rc;
}
