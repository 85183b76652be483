/* table.c -- writes result tables (table.h) in four formats.
 *
 * Why it looks like this:
 * - Widths are counted in characters, not bytes ("±" and UTF-8 names are one
 *   column wide), and padding is emitted lazily, only before something that
 *   is not blank: lines never end in spaces, which keeps golden files and
 *   pasted tables clean.
 * - Text and markdown put "mean ± ci" in one cell but align the two numbers
 *   separately (means right-aligned, ± signs in one column), so a reader can
 *   scan either.  csv splits them into NAME_mean and NAME_ci95 so that a
 *   spreadsheet or pandas gets plain numbers.
 * - Exact numbers (csv, json) come from txt_format_double, the run
 *   directory's formatter, so a value reads the same everywhere. */
#include "sim/report/table.h"

#include "sim/base/text.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PM "\xc2\xb1" /* U+00B1 PLUS-MINUS SIGN in UTF-8 */

void tab_format_number(char buf[40], double v)
{
    if (isnan(v)) {
        strcpy(buf, "nan");
    } else if (isinf(v)) {
        strcpy(buf, v < 0 ? "-inf" : "inf");
    } else if (v == 0) {
        strcpy(buf, "0"); /* also -0 */
    } else if (fabs(v) >= 999999.5) {
        snprintf(buf, 40, "%.0f", v);
    } else {
        snprintf(buf, 40, "%.6g", v);
        char *comma = strchr(buf, ','); /* a locale with a decimal comma */
        if (comma)
            *comma = '.';
    }
}

/* Characters (UTF-8 sequences) in s. */
static size_t width(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        n += (*p & 0xc0) != 0x80;
    return n;
}

static const char *key_at(const tab *t, size_t r, size_t k)
{
    const char *s = t->keys[r * t->n_keys + k];
    return s ? s : "";
}

static const tab_cell *cell_at(const tab *t, size_t r, size_t c)
{
    return &t->cells[r * t->n_cols + c];
}

static bool numeric_key(const tab *t, size_t k)
{
    return t->key_numeric != NULL && t->key_numeric[k];
}

static bool has_ci(const tab_cell *c)
{
    return c->n > 0 && isfinite(c->ci95);
}

/* ---------------------------------------------------------------- layout */

typedef struct col_layout {
    size_t wm, wc; /* widths of the means and of the intervals (0: none) */
    size_t w;      /* whole column */
} col_layout;

typedef struct layout {
    size_t *wk;       /* key column widths */
    col_layout *cols; /* value columns */
} layout;

/* `escape`: markdown, where '|' in a key takes two characters. */
static size_t key_width(const char *s, bool escape)
{
    size_t w = width(s);
    if (escape)
        for (const char *p = s; *p; p++)
            w += *p == '|';
    return w;
}

static bool make_layout(const tab *t, bool escape, layout *L)
{
    L->wk = calloc(t->n_keys ? t->n_keys : 1, sizeof *L->wk);
    L->cols = calloc(t->n_cols ? t->n_cols : 1, sizeof *L->cols);
    if (L->wk == NULL || L->cols == NULL) {
        free(L->wk);
        free(L->cols);
        return false;
    }
    for (size_t k = 0; k < t->n_keys; k++) {
        L->wk[k] = key_width(t->key_names[k], escape);
        for (size_t r = 0; r < t->n_rows; r++)
            L->wk[k] = BS_MAX(L->wk[k], key_width(key_at(t, r, k), escape));
    }
    for (size_t c = 0; c < t->n_cols; c++) {
        col_layout *cl = &L->cols[c];
        char buf[40];
        cl->wm = 1; /* "-" */
        for (size_t r = 0; r < t->n_rows; r++) {
            const tab_cell *x = cell_at(t, r, c);
            if (x->n == 0)
                continue;
            tab_format_number(buf, x->mean);
            cl->wm = BS_MAX(cl->wm, strlen(buf));
            if (has_ci(x)) {
                tab_format_number(buf, x->ci95);
                cl->wc = BS_MAX(cl->wc, strlen(buf));
            }
        }
        size_t content = cl->wm + (cl->wc ? 3 + cl->wc : 0);
        cl->w = BS_MAX(key_width(t->col_names[c], escape), content);
    }
    return true;
}

static void free_layout(layout *L)
{
    free(L->wk);
    free(L->cols);
}

/* ---------------------------------------------------------------- lines */

/* Spaces are owed, not written, until something visible follows. */
typedef struct line {
    FILE *f;
    size_t owed;
} line;

static void pad(line *l, size_t n)
{
    l->owed += n;
}

static void put(line *l, const char *s, bool escape)
{
    if (*s == '\0')
        return;
    for (; l->owed > 0; l->owed--)
        putc(' ', l->f);
    for (; *s; s++) {
        if (escape && *s == '|')
            putc('\\', l->f);
        putc(*s, l->f);
    }
}

static void end_line(line *l)
{
    l->owed = 0;
    putc('\n', l->f);
}

/* A key cell: left-aligned, or right-aligned when numeric. */
static void put_key(line *l, const char *s, size_t w, bool right, bool escape)
{
    size_t sw = key_width(s, escape);
    if (right)
        pad(l, w - sw);
    put(l, s, escape);
    if (!right)
        pad(l, w - sw);
}

static void put_value(line *l, const tab_cell *x, const col_layout *cl)
{
    char m[40] = "-", c[40] = "";
    if (x->n > 0)
        tab_format_number(m, x->mean);
    if (has_ci(x))
        tab_format_number(c, x->ci95);
    size_t content = cl->wm + (cl->wc ? 3 + cl->wc : 0);
    pad(l, cl->w - content + cl->wm - strlen(m));
    put(l, m, false);
    if (cl->wc == 0)
        return;
    if (c[0]) {
        pad(l, 1);
        put(l, PM, false);
        pad(l, 1);
        put(l, c, false);
        pad(l, cl->wc - strlen(c));
    } else {
        pad(l, 3 + cl->wc);
    }
}

/* ---------------------------------------------------------------- text */

void tab_write_text(FILE *f, const tab *t)
{
    layout L;
    if (!make_layout(t, false, &L)) {
        fputs("(table omitted: out of memory)\n", f);
        return;
    }
    line l = {f, 0};
    for (size_t k = 0; k < t->n_keys; k++) {
        if (k)
            pad(&l, 2);
        put_key(&l, t->key_names[k], L.wk[k], numeric_key(t, k), false);
    }
    for (size_t c = 0; c < t->n_cols; c++) {
        if (t->n_keys || c)
            pad(&l, 2);
        put_key(&l, t->col_names[c], L.cols[c].w, true, false);
    }
    end_line(&l);
    for (size_t r = 0; r < t->n_rows; r++) {
        for (size_t k = 0; k < t->n_keys; k++) {
            if (k)
                pad(&l, 2);
            put_key(&l, key_at(t, r, k), L.wk[k], numeric_key(t, k), false);
        }
        for (size_t c = 0; c < t->n_cols; c++) {
            if (t->n_keys || c)
                pad(&l, 2);
            put_value(&l, cell_at(t, r, c), &L.cols[c]);
        }
        end_line(&l);
    }
    free_layout(&L);
}

/* ---------------------------------------------------------------- markdown */

static void md_rule(FILE *f, size_t w, bool right)
{
    /* at least three dashes, as GFM requires */
    size_t n = BS_MAX(w, (size_t)3);
    for (size_t i = 0; i + 1 < n; i++)
        putc('-', f);
    putc(right ? ':' : '-', f);
}

void tab_write_markdown(FILE *f, const tab *t)
{
    layout L;
    if (!make_layout(t, true, &L)) {
        fputs("(table omitted: out of memory)\n", f);
        return;
    }
    for (size_t k = 0; k < t->n_keys; k++)
        L.wk[k] = BS_MAX(L.wk[k], (size_t)3);
    for (size_t c = 0; c < t->n_cols; c++)
        L.cols[c].w = BS_MAX(L.cols[c].w, (size_t)3);
    line l = {f, 0};
    put(&l, "|", false);
    for (size_t k = 0; k < t->n_keys; k++) {
        pad(&l, 1);
        put_key(&l, t->key_names[k], L.wk[k], numeric_key(t, k), true);
        pad(&l, 1);
        put(&l, "|", false);
    }
    for (size_t c = 0; c < t->n_cols; c++) {
        pad(&l, 1);
        put_key(&l, t->col_names[c], L.cols[c].w, true, true);
        pad(&l, 1);
        put(&l, "|", false);
    }
    end_line(&l);
    putc('|', f);
    for (size_t k = 0; k < t->n_keys; k++) {
        md_rule(f, L.wk[k] + 2, numeric_key(t, k));
        putc('|', f);
    }
    for (size_t c = 0; c < t->n_cols; c++) {
        md_rule(f, L.cols[c].w + 2, true);
        putc('|', f);
    }
    putc('\n', f);
    for (size_t r = 0; r < t->n_rows; r++) {
        put(&l, "|", false);
        for (size_t k = 0; k < t->n_keys; k++) {
            pad(&l, 1);
            put_key(&l, key_at(t, r, k), L.wk[k], numeric_key(t, k), true);
            pad(&l, 1);
            put(&l, "|", false);
        }
        for (size_t c = 0; c < t->n_cols; c++) {
            pad(&l, 1);
            put_value(&l, cell_at(t, r, c), &L.cols[c]);
            pad(&l, 1);
            put(&l, "|", false);
        }
        end_line(&l);
    }
    free_layout(&L);
}

/* ---------------------------------------------------------------- csv */

static void csv_number(FILE *f, bool present, double v)
{
    if (present && isfinite(v)) {
        char buf[40];
        txt_format_double(buf, v);
        fputs(buf, f);
    }
}

void tab_write_csv(FILE *f, const tab *t, bool header, const char *const *lead_names,
                   const char *const *lead, size_t n_lead)
{
    if (header) {
        bool first = true;
        for (size_t i = 0; i < n_lead; i++, first = false) {
            if (!first)
                putc(',', f);
            txt_csv_field(f, lead_names[i]);
        }
        for (size_t k = 0; k < t->n_keys; k++, first = false) {
            if (!first)
                putc(',', f);
            txt_csv_field(f, t->key_names[k]);
        }
        for (size_t c = 0; c < t->n_cols; c++, first = false) {
            if (!first)
                putc(',', f);
            txt_csv_field(f, t->col_names[c]);
            fputs("_mean,", f);
            txt_csv_field(f, t->col_names[c]);
            fputs("_ci95", f);
        }
        putc('\n', f);
    }
    for (size_t r = 0; r < t->n_rows; r++) {
        bool first = true;
        for (size_t i = 0; i < n_lead; i++, first = false) {
            if (!first)
                putc(',', f);
            txt_csv_field(f, lead[i] ? lead[i] : "");
        }
        for (size_t k = 0; k < t->n_keys; k++, first = false) {
            if (!first)
                putc(',', f);
            txt_csv_field(f, key_at(t, r, k));
        }
        for (size_t c = 0; c < t->n_cols; c++, first = false) {
            const tab_cell *x = cell_at(t, r, c);
            if (!first)
                putc(',', f);
            csv_number(f, x->n > 0, x->mean);
            putc(',', f);
            csv_number(f, has_ci(x), x->ci95);
        }
        putc('\n', f);
    }
}

/* ---------------------------------------------------------------- json */


void tab_write_json(FILE *f, const tab *t, const char *indent)
{
    if (t->n_rows == 0) {
        fputs("[]", f);
        return;
    }
    fputs("[", f);
    for (size_t r = 0; r < t->n_rows; r++) {
        fprintf(f, "%s\n%s  {", r ? "," : "", indent);
        for (size_t k = 0; k < t->n_keys; k++) {
            fprintf(f, "\n%s    ", indent);
            txt_json_string(f, t->key_names[k]);
            fputs(": ", f);
            const char *v = key_at(t, r, k);
            if (numeric_key(t, k) && *v)
                fputs(v, f);
            else if (numeric_key(t, k))
                fputs("null", f);
            else
                txt_json_string(f, v);
            putc(',', f);
        }
        fprintf(f, "\n%s    \"metrics\": {", indent);
        for (size_t c = 0; c < t->n_cols; c++) {
            const tab_cell *x = cell_at(t, r, c);
            fprintf(f, "%s\n%s      ", c ? "," : "", indent);
            txt_json_string(f, t->col_names[c]);
            fputs(": {\"mean\": ", f);
            txt_json_number(f, x->n > 0 ? x->mean : NAN);
            fputs(", \"ci95\": ", f);
            txt_json_number(f, has_ci(x) ? x->ci95 : NAN);
            fprintf(f, ", \"n\": %zu}", x->n);
        }
        if (t->n_cols)
            fprintf(f, "\n%s    }", indent);
        else
            putc('}', f);
        fprintf(f, "\n%s  }", indent);
    }
    fprintf(f, "\n%s]", indent);
}
