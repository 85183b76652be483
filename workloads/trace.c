/* trace.c -- readers for recorded memory traces (see trace.h for the formats).
 *
 * All four formats go through one loader: read a line, split it, pick the time
 * and the value, append a row; then one finishing pass shifts times to start
 * at 0, converts them to integer ns, fills missing values and checks what must
 * hold for every format.  Keeping the per-format code down to "where are the
 * time and the value in this line" keeps the error messages uniform: every
 * problem names the trace file and line ("x.csv:17: expected a number in
 * column 'mem_mib', found 'abc'").  Parsing stops at the first error of a file:
 * a garbage file would otherwise bury the scenario's other errors.
 * Loading happens at configure time, so allocation here is fine. */
#include "workloads/trace.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct row {
    double t;      /* as written, in the file's time unit */
    double v;      /* as written, in the column's unit */
    bool missing;
    size_t line;
} row;

typedef struct loader {
    cfg_ctx *cx;
    const char *path;
    size_t lineno;
    char **fields; /* split of the current line (points into it) */
    size_t nf, capf;
    row *rows;
    size_t n, capr;
    double t_ns;    /* ns per time unit */
    double v_unit;  /* bytes (or fraction) per value unit */
    bool fraction;
    char *column;   /* name for messages and the series */
} loader;

static const char *const format_names[] = {"csv", "bitbrains", "alibaba", "dommemstat"};

bs_rc wl_trace_format_parse(const char *name, wl_trace_format *out)
{
    for (size_t i = 0; i < sizeof format_names / sizeof *format_names; i++)
        if (name && strcmp(name, format_names[i]) == 0) {
            *out = (wl_trace_format)i;
            return BS_OK;
        }
    return BS_ERR_INPUT;
}

const char *wl_trace_format_name(wl_trace_format fmt)
{
    if ((size_t)fmt >= sizeof format_names / sizeof *format_names) return "?";
    return format_names[fmt];
}

/* ---- errors ---- */

static bs_rc lerr(loader *ld, size_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static bs_rc lerr(loader *ld, size_t line, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cfg_error_at(ld->cx, ld->path, (int)line, 0, NULL, "%s", msg);
    return BS_ERR_INPUT;
}

/* Text of a field for a message: quoted, shortened. */
static const char *shown(const char *s, char buf[64])
{
    size_t len = strlen(s);
    if (len < 56) {
        snprintf(buf, 64, "'%s'", s);
    } else {
        snprintf(buf, 64, "'%.52s...'", s);
    }
    return buf;
}

/* ---- small parsing helpers ---- */

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    size_t len = strlen(s);
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t')) s[--len] = '\0';
    return s;
}

static bool parse_num(const char *s, double *out)
{
    if (!*s) return false;
    errno = 0;
    char *end = NULL;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || !isfinite(v)) return false;
    *out = v;
    return true;
}

static bool is_blank(const char *s)
{
    for (; *s; s++)
        if (!isspace((unsigned char)*s)) return false;
    return true;
}

static bs_rc split(loader *ld, char *line, char sep, bool unquote)
{
    ld->nf = 0;
    for (char *p = line;;) {
        char *e = strchr(p, sep);
        if (e) *e = '\0';
        if (ld->nf == ld->capf) {
            size_t cap = ld->capf ? 2 * ld->capf : 16;
            char **f = realloc(ld->fields, cap * sizeof *f);
            if (!f) return BS_ERR_INTERNAL;
            ld->fields = f;
            ld->capf = cap;
        }
        char *s = trim(p);
        size_t len = strlen(s);
        if (unquote && len >= 2 && s[0] == '"' && s[len - 1] == '"') {
            s[len - 1] = '\0';
            s++;
        }
        ld->fields[ld->nf++] = s;
        if (!e) break;
        p = e + 1;
    }
    return BS_OK;
}

static bs_rc push(loader *ld, double t, double v, bool missing)
{
    if (ld->n == ld->capr) {
        size_t cap = ld->capr ? 2 * ld->capr : 1024;
        row *r = realloc(ld->rows, cap * sizeof *r);
        if (!r) return BS_ERR_INTERNAL;
        ld->rows = r;
        ld->capr = cap;
    }
    ld->rows[ld->n++] = (row){t, v, missing, ld->lineno};
    return BS_OK;
}

/* Formats other than alibaba must be in time order already. */
static bs_rc push_ordered(loader *ld, double t, const char *ttext, double v, bool missing)
{
    if (ld->n && !(t > ld->rows[ld->n - 1].t)) {
        char b[64];
        return lerr(ld, ld->lineno, "expected a time after the previous row's (line %zu), found %s",
                    ld->rows[ld->n - 1].line, shown(ttext, b));
    }
    return push(ld, t, v, missing);
}

static bool all_digits(const char *s)
{
    if (!*s) return false;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s)) return false;
    return true;
}

typedef struct unit_name {
    const char *name;
    double mult;
} unit_name;

/* Sizes named in a column: binary multiples also for KB/MB/GB, as trace
 * tools write them (/proc/meminfo "kB", the Bitbrains "[KB]" header). */
static const unit_name size_units[] = {
    {"b", 1},
    {"bytes", 1},
    {"kib", 1024.0},
    {"kb", 1024.0},
    {"mib", 1048576.0},
    {"mb", 1048576.0},
    {"gib", 1073741824.0},
    {"gb", 1073741824.0},
    {"tib", 1099511627776.0},
    {"tb", 1099511627776.0},
    {"pages", (double)BS_PAGE_SIZE},
    {NULL, 0},
};

static const unit_name time_units[] = {
    {"ns", 1.0},      {"us", 1e3},   {"ms", 1e6},     {"s", 1e9},       {"sec", 1e9},
    {"m", 60e9},      {"min", 60e9}, {"h", 3600e9},   {"d", 86400e9},   {NULL, 0},
};

static double unit_lookup(const unit_name *table, const char *s, size_t len)
{
    for (size_t i = 0; table[i].name; i++)
        if (strlen(table[i].name) == len && strncasecmp(table[i].name, s, len) == 0)
            return table[i].mult;
    return 0;
}

/* Unit from "mem_mib" or "Memory usage [KB]"; 1 (bytes, or as written) if none. */
static double size_unit_of(const char *name)
{
    size_t len = strlen(name);
    if (len && name[len - 1] == ']') {
        const char *open = strrchr(name, '[');
        if (open) {
            double m = unit_lookup(size_units, open + 1, (size_t)(name + len - 1 - (open + 1)));
            if (m > 0) return m;
        }
    }
    const char *us = strrchr(name, '_');
    if (us) {
        double m = unit_lookup(size_units, us + 1, strlen(us + 1));
        if (m > 0) return m;
    }
    return 1.0;
}

/* ns per unit when `name` names a time column ("t", "time_ms", ...), else 0. */
static double time_unit_of(const char *name)
{
    static const char *const bases[] = {"t", "time", "timestamp", NULL};
    for (size_t i = 0; bases[i]; i++) {
        size_t bl = strlen(bases[i]);
        if (strncasecmp(name, bases[i], bl) != 0) continue;
        if (name[bl] == '\0') return 1e9;
        if (name[bl] == '_') {
            double m = unit_lookup(time_units, name + bl + 1, strlen(name + bl + 1));
            if (m > 0) return m;
        }
    }
    return 0;
}

static void list_fields(char *const *names, size_t n, char *buf, size_t len)
{
    size_t at = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && at + 1 < len; i++) {
        int w = snprintf(buf + at, len - at, "%s%s", i ? ", " : "", names[i]);
        if (w < 0) break;
        at += (size_t)w;
    }
}

/* The value column: a header name (exact, then ignoring case) or a 1-based
 * index; never the time column.  Leaves ld->column set. */
static bs_rc pick_column(loader *ld, char *const *names, size_t nf, const char *column,
                         size_t tcol, size_t *out)
{
    size_t idx = SIZE_MAX;
    if (!column) {
        for (size_t i = 0; i < nf && idx == SIZE_MAX; i++)
            if (i != tcol) idx = i;
        if (idx == SIZE_MAX)
            return lerr(ld, ld->lineno, "expected a value column besides the time column '%s'",
                        names[tcol]);
    } else if (all_digits(column)) {
        unsigned long long k = strtoull(column, NULL, 10);
        if (k < 1 || k > nf || k - 1 == tcol) {
            char list[512];
            list_fields(names, nf, list, sizeof list);
            return lerr(ld, ld->lineno,
                        "expected column %s to be a value column from 1 to %zu other than the "
                        "time column %zu (header: %s)",
                        column, nf, tcol + 1, list);
        }
        idx = (size_t)(k - 1);
    } else {
        for (size_t i = 0; i < nf && idx == SIZE_MAX; i++)
            if (strcmp(names[i], column) == 0) idx = i;
        for (size_t i = 0; i < nf && idx == SIZE_MAX; i++)
            if (strcasecmp(names[i], column) == 0) idx = i;
        if (idx == SIZE_MAX || idx == tcol) {
            char list[512];
            list_fields(names, nf, list, sizeof list);
            return lerr(ld, ld->lineno, "expected a column named '%s' in the header, found: %s",
                        column, list);
        }
    }
    ld->column = strdup(names[idx]);
    if (!ld->column) return BS_ERR_INTERNAL;
    *out = idx;
    return BS_OK;
}

/* ---- line reading ---- */

typedef struct reader {
    FILE *f;
    char *buf;
    size_t cap;
} reader;

/* Next line without its end-of-line; NULL at the end.  *rc set on errors. */
static char *next_line(reader *r, loader *ld, bs_rc *rc)
{
    errno = 0;
    ssize_t len = getline(&r->buf, &r->cap, r->f);
    if (len < 0) {
        if (ferror(r->f)) {
            lerr(ld, ld->lineno + 1, "cannot read: %s", strerror(errno ? errno : EIO));
            *rc = BS_ERR_INPUT;
        }
        return NULL;
    }
    ld->lineno++;
    if ((size_t)len != strlen(r->buf)) {
        *rc = lerr(ld, ld->lineno, "expected text, found a NUL byte (is this a binary file?)");
        return NULL;
    }
    while (len && (r->buf[len - 1] == '\n' || r->buf[len - 1] == '\r')) r->buf[--len] = '\0';
    return r->buf;
}

/* ---- csv ---- */

static bs_rc read_csv(loader *ld, reader *r, const char *column)
{
    bs_rc rc = BS_OK;
    char *line;
    size_t tcol = SIZE_MAX, vcol = SIZE_MAX, need = 0;
    while ((line = next_line(r, ld, &rc))) {
        char *s = trim(line);
        if (!*s || *s == '#') continue;
        if ((rc = split(ld, s, ',', true)) != BS_OK) return rc;
        if (tcol == SIZE_MAX) { /* the header */
            for (size_t i = 0; i < ld->nf && tcol == SIZE_MAX; i++) {
                double m = time_unit_of(ld->fields[i]);
                if (m > 0) {
                    tcol = i;
                    ld->t_ns = m;
                }
            }
            if (tcol == SIZE_MAX) {
                char names[512], b[64];
                list_fields(ld->fields, ld->nf, names, sizeof names);
                return lerr(ld, ld->lineno,
                            "expected a header with a time column such as t, time_s or time_ms, "
                            "found %s",
                            shown(names, b));
            }
            if ((rc = pick_column(ld, ld->fields, ld->nf, column, tcol, &vcol)) != BS_OK) return rc;
            ld->v_unit = size_unit_of(ld->column);
            need = BS_MAX(tcol, vcol) + 1;
            continue;
        }
        if (ld->nf < need)
            return lerr(ld, ld->lineno, "expected at least %zu fields as in the header, found %zu",
                        need, ld->nf);
        double t, v;
        char b[64];
        if (!parse_num(ld->fields[tcol], &t))
            return lerr(ld, ld->lineno, "expected a number in time column, found %s",
                        shown(ld->fields[tcol], b));
        if (!parse_num(ld->fields[vcol], &v))
            return lerr(ld, ld->lineno, "expected a number in column '%s', found %s", ld->column,
                        shown(ld->fields[vcol], b));
        if ((rc = push_ordered(ld, t, ld->fields[tcol], v, false)) != BS_OK) return rc;
    }
    if (rc == BS_OK && tcol == SIZE_MAX) rc = lerr(ld, 0, "expected a header row, found none");
    return rc;
}

/* ---- bitbrains ---- */

static const char *const bitbrains_header[] = {
    "Timestamp [ms]",
    "CPU cores",
    "CPU capacity provisioned [MHZ]",
    "CPU usage [MHZ]",
    "CPU usage [%]",
    "Memory capacity provisioned [KB]",
    "Memory usage [KB]",
    "Disk read throughput [KB/s]",
    "Disk write throughput [KB/s]",
    "Network received throughput [KB/s]",
    "Network transmitted throughput [KB/s]",
};
#define BITBRAINS_COLS (sizeof bitbrains_header / sizeof *bitbrains_header)

static bs_rc read_bitbrains(loader *ld, reader *r, const char *column)
{
    bs_rc rc = BS_OK;
    char *line;
    bool have_header = false, zero_missing = false;
    size_t vcol = 0;
    ld->t_ns = 1e9; /* Unix seconds despite the header's "[ms]" */
    while ((line = next_line(r, ld, &rc))) {
        if (is_blank(line)) continue;
        if ((rc = split(ld, line, ';', false)) != BS_OK) return rc;
        double t, v;
        char b[64];
        if (!have_header) {
            have_header = true;
            /* A file cut from the middle has no header: the standard layout. */
            bool headerless = parse_num(ld->fields[0], &t);
            char *const *names = headerless ? (char *const *)bitbrains_header : ld->fields;
            size_t nf = headerless ? BITBRAINS_COLS : ld->nf;
            rc = pick_column(ld, names, nf, column ? column : "Memory usage [KB]", 0, &vcol);
            if (rc != BS_OK) return rc;
            ld->v_unit = size_unit_of(ld->column);
            zero_missing = strncasecmp(ld->column, "memory", 6) == 0;
            if (!headerless) continue;
        }
        if (ld->nf <= vcol)
            return lerr(ld, ld->lineno, "expected at least %zu fields separated by ';', found %zu",
                        vcol + 1, ld->nf);
        if (!parse_num(ld->fields[0], &t))
            return lerr(ld, ld->lineno, "expected a Unix time in seconds in column 1, found %s",
                        shown(ld->fields[0], b));
        if (!parse_num(ld->fields[vcol], &v))
            return lerr(ld, ld->lineno, "expected a number in column '%s', found %s", ld->column,
                        shown(ld->fields[vcol], b));
        if ((rc = push_ordered(ld, t, ld->fields[0], v, zero_missing && v == 0)) != BS_OK)
            return rc;
    }
    if (rc == BS_OK && !have_header) rc = lerr(ld, 0, "expected a header line, found none");
    return rc;
}

/* ---- alibaba ---- */

static int row_cmp(const void *a, const void *b)
{
    const row *x = a, *y = b;
    if (x->t != y->t) return x->t < y->t ? -1 : 1;
    return x->line < y->line ? -1 : x->line > y->line;
}

static bs_rc read_alibaba(loader *ld, reader *r, const char *column)
{
    bs_rc rc = BS_OK;
    char *line;
    ld->t_ns = 1e9;
    ld->fraction = true;
    ld->v_unit = 0.01; /* percent */
    if (column && !(ld->column = strdup(column))) return BS_ERR_INTERNAL;
    while ((line = next_line(r, ld, &rc))) {
        if (is_blank(line)) continue;
        if ((rc = split(ld, line, ',', false)) != BS_OK) return rc;
        if (ld->lineno == 1 && strcmp(ld->fields[0], "container_id") == 0) continue;
        if (ld->nf < 5)
            return lerr(ld, ld->lineno,
                        "expected 11 fields (container_id,machine_id,time_stamp,cpu_util_percent,"
                        "mem_util_percent,...), found %zu",
                        ld->nf);
        if (!ld->column && !(ld->column = strdup(ld->fields[0]))) return BS_ERR_INTERNAL;
        if (strcmp(ld->fields[0], ld->column) != 0) continue;
        double t, v = 0;
        char b[64];
        if (!parse_num(ld->fields[2], &t))
            return lerr(ld, ld->lineno, "expected a number in time_stamp, found %s",
                        shown(ld->fields[2], b));
        bool missing = ld->fields[4][0] == '\0';
        if (!missing && (!parse_num(ld->fields[4], &v) || v < 0))
            return lerr(ld, ld->lineno, "expected a percentage in mem_util_percent, found %s",
                        shown(ld->fields[4], b));
        if ((rc = push(ld, t, v, missing)) != BS_OK) return rc;
    }
    if (rc != BS_OK) return rc;
    if (ld->n == 0 && column) return lerr(ld, 0, "no rows for container '%s'", column);
    /* The dataset is not sorted; a repeated time keeps the row last in the file. */
    qsort(ld->rows, ld->n, sizeof *ld->rows, row_cmp);
    size_t k = 0;
    for (size_t i = 0; i < ld->n; i++) {
        if (k && ld->rows[k - 1].t == ld->rows[i].t) k--;
        ld->rows[k++] = ld->rows[i];
    }
    ld->n = k;
    return BS_OK;
}

/* ---- dommemstat ---- */

static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static bool digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i])) return false;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return true;
}

/* YYYY-MM-DD[T ]HH:MM[:SS[.frac]][Z|+HH:MM|-HHMM] -> Unix seconds.  No zone
 * means UTC (virsh logs are usually written by scripts calling `date -u`). */
static bool parse_iso(const char *s, double *out)
{
    int y, mo, d, h, mi, sec = 0;
    double frac = 0;
    const char *p = s;
    if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) || *p++ != '-' ||
        !digits(&p, 2, &d))
        return false;
    if (*p != 'T' && *p != 't' && *p != ' ') return false;
    p++;
    if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi)) return false;
    if (*p == ':') {
        p++;
        if (!digits(&p, 2, &sec)) return false;
        if (*p == '.' || *p == ',') {
            double scale = 0.1;
            for (p++; isdigit((unsigned char)*p); p++, scale /= 10) frac += (*p - '0') * scale;
        }
    }
    int zone = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1, zh, zm = 0;
        if (!digits(&p, 2, &zh)) return false;
        if (*p == ':') p++;
        if (isdigit((unsigned char)*p) && !digits(&p, 2, &zm)) return false;
        if (zh > 23 || zm > 59) return false;
        zone = sign * (zh * 3600 + zm * 60);
    }
    while (*p == ' ' || *p == '\t') p++;
    if (*p) return false;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return false;
    *out = (double)(days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - zone) + frac;
    return true;
}

/* A timestamp line: ISO 8601, "# t=SECONDS" or a bare number (Unix seconds). */
static bool parse_stamp(char *s, double *out)
{
    if (*s == '#') {
        s = trim(s + 1);
        if (s[0] != 't' || s[1] != '=') return false;
        return parse_num(trim(s + 2), out);
    }
    return parse_iso(s, out) || parse_num(s, out);
}

typedef struct block {
    bool open;
    size_t line;
    double t;
    char ttext[64];
    bool have_sel, have_avail, have_usable;
    double sel, avail, usable;
} block;

static bs_rc close_block(loader *ld, block *b, const char *column)
{
    if (!b->open) return BS_OK;
    b->open = false;
    double v = 0;
    bool missing;
    if (column) {
        missing = !b->have_sel;
        v = b->sel;
    } else {
        missing = !(b->have_avail && b->have_usable);
        v = b->avail - b->usable;
    }
    size_t keep = ld->lineno;
    ld->lineno = b->line;
    bs_rc rc = push_ordered(ld, b->t, b->ttext, v, missing);
    ld->lineno = keep;
    return rc;
}

static bs_rc read_dommemstat(loader *ld, reader *r, const char *column)
{
    bs_rc rc = BS_OK;
    char *line;
    block b = {0};
    ld->t_ns = 1e9;
    ld->v_unit = 1024.0; /* virsh reports KiB */
    if (!(ld->column = strdup(column ? column : "available-usable"))) return BS_ERR_INTERNAL;
    while ((line = next_line(r, ld, &rc))) {
        char *s = trim(line);
        if (!*s) continue;
        double t;
        if (parse_stamp(s, &t)) {
            if ((rc = close_block(ld, &b, column)) != BS_OK) return rc;
            b = (block){.open = true, .line = ld->lineno, .t = t};
            snprintf(b.ttext, sizeof b.ttext, "%s", s);
            continue;
        }
        if (*s == '#') continue;
        /* "name value" */
        char bb[64];
        shown(s, bb); /* before the split below cuts the line */
        char *name = s, *sp = s;
        while (*sp && !isspace((unsigned char)*sp)) sp++;
        char *val = sp;
        if (*sp) {
            *sp = '\0';
            val = trim(sp + 1);
        }
        size_t nl = strlen(name);
        if (nl > 1 && name[nl - 1] == ':') name[--nl] = '\0';
        double v;
        bool name_ok = nl > 0;
        for (size_t i = 0; i < nl; i++)
            if (!isalnum((unsigned char)name[i]) && name[i] != '_') name_ok = false;
        if (!name_ok || !parse_num(val, &v))
            return lerr(ld, ld->lineno,
                        "expected a timestamp or a 'field value' line of virsh dommemstat, "
                        "found %s",
                        bb);
        if (!b.open)
            return lerr(ld, ld->lineno, "expected a timestamp line before the first field, found %s",
                        bb);
        if (column && strcmp(name, column) == 0) b.have_sel = true, b.sel = v;
        if (strcmp(name, "available") == 0) b.have_avail = true, b.avail = v;
        if (strcmp(name, "usable") == 0) b.have_usable = true, b.usable = v;
    }
    if (rc != BS_OK) return rc;
    return close_block(ld, &b, column);
}

/* ---- finishing ---- */

static bs_rc finish(loader *ld, wl_series **out)
{
    if (ld->n == 0) return lerr(ld, 0, "expected data rows, found none");
    size_t first = SIZE_MAX, missing = 0;
    for (size_t i = 0; i < ld->n; i++) {
        if (ld->rows[i].missing) missing++;
        else if (first == SIZE_MAX) first = i;
    }
    if (first == SIZE_MAX)
        return lerr(ld, 0, "expected data rows, found only missing values of '%s'",
                    ld->column ? ld->column : "");
    wl_series *s = calloc(1, sizeof *s);
    if (!s) return BS_ERR_INTERNAL;
    s->n = ld->n;
    s->t = malloc(ld->n * sizeof *s->t);
    s->v = malloc(ld->n * sizeof *s->v);
    s->column = ld->column;
    ld->column = NULL;
    if (!s->t || !s->v) {
        wl_series_free(s);
        return BS_ERR_INTERNAL;
    }
    s->fraction = ld->fraction;
    s->missing = missing;
    double t0 = ld->rows[0].t;
    s->t0_s = t0 * ld->t_ns / 1e9;
    double held = ld->rows[first].v;
    for (size_t i = 0; i < ld->n; i++) {
        const row *r = &ld->rows[i];
        /* Difference first: Unix times in ns do not fit a double exactly. */
        double ns = (r->t - t0) * ld->t_ns;
        if (!(ns <= (double)UNIT_MAX_TIME_NS)) {
            wl_series_free(s);
            return lerr(ld, r->line, "expected a time at most 36500 days after the first row's");
        }
        s->t[i] = (bs_time)llround(ns);
        if (i && s->t[i] <= s->t[i - 1]) {
            wl_series_free(s);
            return lerr(ld, r->line, "expected a time at least 1 ns after the previous row's");
        }
        if (!r->missing) held = r->v;
        s->v[i] = held * ld->v_unit;
    }
    *out = s;
    return BS_OK;
}

bs_rc wl_trace_load_cx(cfg_ctx *cx, const cfg_node *at, const char *at_path, const char *path,
                       wl_trace_format fmt, const char *column, wl_series **out)
{
    *out = NULL;
    loader ld = {.cx = cx, .path = path, .t_ns = 1e9, .v_unit = 1.0};
    reader r = {0};
    r.f = fopen(path, "r");
    if (!r.f) {
        if (at)
            cfg_error(cx, at, at_path, "cannot open trace '%s': %s", path, strerror(errno));
        else
            cfg_error_at(cx, path, 0, 0, NULL, "cannot open: %s", strerror(errno));
        return BS_ERR_INPUT;
    }
    bs_rc rc;
    switch (fmt) {
    case WL_TRACE_CSV: rc = read_csv(&ld, &r, column); break;
    case WL_TRACE_BITBRAINS: rc = read_bitbrains(&ld, &r, column); break;
    case WL_TRACE_ALIBABA: rc = read_alibaba(&ld, &r, column); break;
    case WL_TRACE_DOMMEMSTAT: rc = read_dommemstat(&ld, &r, column); break;
    default: rc = BS_ERR_INTERNAL; break;
    }
    fclose(r.f);
    free(r.buf);
    if (rc == BS_OK) rc = finish(&ld, out);
    free(ld.fields);
    free(ld.rows);
    free(ld.column);
    return rc;
}

bs_rc wl_trace_load(const char *path, wl_trace_format fmt, const char *column, cfg_errs *errs,
                    wl_series **out)
{
    cfg_ctx cx = {.errs = errs, .doc = NULL};
    return wl_trace_load_cx(&cx, NULL, NULL, path, fmt, column, out);
}

void wl_series_free(wl_series *s)
{
    if (!s) return;
    free(s->t);
    free(s->v);
    free(s->column);
    free(s);
}
