/* cmd_import.c -- `balloonsim import mom-simulator FILE.csv`.
 *
 * The MoM simulator (github.com/mpavlase/mom-simulator, a fake hypervisor
 * interface for oVirt's Memory Overcommitment Manager) reads a plain text
 * file, fakeInterface._parse_sample_file():
 *   - lines are stripped; blank lines and lines starting with '#' are skipped;
 *     values are split at ',' (blanks around them allowed);
 *   - the first line is the host: its total memory in KiB, then the memory
 *     the host itself uses, one value per interval;
 *   - every further line is a VM (fake-vm-1, fake-vm-2, ... in file order):
 *     its maximum memory in KiB ('c' before it, "c4000000", marks a guest
 *     without a balloon driver), its initial balloon size (the memory it has
 *     at start, balloon_cur; ignored for 'c' guests, which keep their maximum),
 *     then its used memory per interval, -1 while the VM is off;
 *   - sample i of every line belongs to the same interval; the simulator stops
 *     when the shortest line runs out.  Every MoM interval in its
 *     mom.fake.conf is 2 s, one sample each.
 * The mapping (docs/import.md): one host (memory = total, reserved = the
 * largest host-use sample: constant in balloonsim, and never giving guests
 * what the host needed at its peak), one VM per line with its samples as a
 * `steps` workload (self-contained: the scenario needs no side file),
 * `start`/`stop` at its first and after its last sample that is not -1.  A
 * -1 between two running samples cannot be said with one start/stop: the VM
 * stays up with demand 0 there (its working set is gone, as after a reboot),
 * and a comment and a note say so.  A VM off in every sample is left out.
 * Policy `mom` with the simulator's configuration (mom.fake.conf: policy,
 * monitors and guest stats every interval, sample-history-length 5); the
 * scenario samples every interval too.
 *
 * Everything is parsed and checked before anything is written, so a bad file
 * prints errors only; all errors are collected (one per line at most -- the
 * first one of a line usually explains the rest of it). */
#include "sim/cli/cmd_import.h"
#include "sim/cli/commands.h"
#include "sim/cli/opts.h"

#include "sim/base/units.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Values above this many KiB would overflow the 2^62-byte size limit. */
#define KIB_MAX (INT64_C(1) << 52)

typedef struct mom_line {
    size_t lineno;
    bool no_balloon;   /* 'c' prefix */
    int64_t max_kib;   /* host: total memory */
    int64_t start_kib; /* initial balloon; -1 for the host */
    int64_t *samples;  /* host: host use; VM: used memory or -1 */
    size_t n;
} mom_line;

typedef struct mom_file {
    const char *path;
    cfg_ctx cx;
    mom_line *lines; /* [0] is the host */
    size_t n, cap;
} mom_file;

static void file_free(mom_file *f)
{
    for (size_t i = 0; i < f->n; i++) free(f->lines[i].samples);
    free(f->lines);
}

static bs_rc err_at(mom_file *f, size_t line, size_t col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static bs_rc err_at(mom_file *f, size_t line, size_t col, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cfg_error_at(&f->cx, f->path, (int)line, (int)col, NULL, "%s", msg);
    return BS_ERR_INPUT;
}

/* A field as found, quoted and cut for a message. */
static const char *shown(const char *s, char buf[48])
{
    if (!*s) return "nothing";
    if (strlen(s) < 40) snprintf(buf, 48, "'%s'", s);
    else snprintf(buf, 48, "'%.36s...'", s);
    return buf;
}

/* [+-]digits, as Python's int() takes them here; false on anything else. */
static bool parse_int(const char *s, int64_t *out)
{
    const char *p = s;
    if (*p == '+' || *p == '-') p++;
    if (*p < '0' || *p > '9') return false;
    for (const char *q = p; *q; q++)
        if (*q < '0' || *q > '9') return false;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (errno || *end) return false;
    *out = v;
    return true;
}

/* Python's str.strip() blanks (the simulator strips lines and int() fields). */
static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

/* One value of a line: its text (blanks trimmed, cut out of the line in
 * place) and the 1-based column where it starts, for messages. */
typedef struct field {
    char *text;
    size_t col;
} field;

/* Split `s` (the whole line, stripped) at commas; fields point into s. */
static bs_rc split(char *line, char *s, field **fs, size_t *nf, size_t *cap)
{
    *nf = 0;
    for (char *p = s;;) {
        char *comma = strchr(p, ',');
        if (comma) *comma = '\0';
        while (is_blank(*p)) p++;
        size_t len = strlen(p);
        while (len && is_blank(p[len - 1])) p[--len] = '\0';
        if (*nf == *cap) {
            size_t nc = *cap ? 2 * *cap : 64;
            field *g = realloc(*fs, nc * sizeof *g);
            if (!g) return BS_ERR_INTERNAL;
            *fs = g;
            *cap = nc;
        }
        (*fs)[(*nf)++] = (field){p, (size_t)(p - line) + 1};
        if (!comma) break;
        p = comma + 1;
    }
    return BS_OK;
}

/* A size in KiB: a whole number from `lo` up. */
static bool kib_field(mom_file *f, size_t ln, const field *fd, int64_t lo, const char *what,
                      int64_t *out)
{
    char b[48];
    if (!parse_int(fd->text, out) || *out < lo || *out > KIB_MAX) {
        err_at(f, ln, fd->col, "expected %s, found %s", what, shown(fd->text, b));
        return false;
    }
    return true;
}

/* Parse one data line into f->lines[f->n]; false (with one error) if bad. */
static bool parse_line(mom_file *f, size_t ln, char *line, char *s, field **fs, size_t *capf,
                       bs_rc *rc)
{
    size_t nf = 0;
    if ((*rc = split(line, s, fs, &nf, capf)) != BS_OK) return false;
    field *fd = *fs;
    bool host = f->n == 0;
    size_t need = host ? 2 : 3;
    if (nf < need) {
        size_t end = (size_t)(fd[nf - 1].text - line) + strlen(fd[nf - 1].text) + 1;
        err_at(f, ln, end,
               host ? "expected the host line: total memory in KiB, then the host's own use "
                      "per interval, found %zu value%s"
                    : "expected a VM line: maximum memory in KiB, initial balloon, then the "
                      "used memory per interval, found %zu value%s",
               nf, nf == 1 ? "" : "s");
        return false;
    }
    mom_line L = {.lineno = ln, .start_kib = -1};
    const char *max_text = fd[0].text;
    if (!host && max_text[0] == 'c') {
        L.no_balloon = true;
        fd[0].text++;
        fd[0].col++;
    }
    if (!kib_field(f, ln, &fd[0], 1,
                   host ? "the host's total memory in KiB (a whole number above 0)"
                        : "the VM's maximum memory in KiB (a whole number above 0, 'c' before "
                          "it for a guest without a balloon driver)",
                   &L.max_kib))
        return false;
    if (L.max_kib < BS_PAGE_SIZE / 1024) {
        char b[48];
        err_at(f, ln, fd[0].col, "expected at least 4 KiB (one page), found %s",
               shown(fd[0].text, b));
        return false;
    }
    size_t first = 1;
    if (!host) {
        first = 2;
        int64_t v;
        if (!kib_field(f, ln, &fd[1], 0, "the initial balloon size in KiB (0 or more)", &v))
            return false;
        if (!L.no_balloon && v > L.max_kib) {
            char b[48];
            err_at(f, ln, fd[1].col,
                   "expected an initial balloon size no larger than the maximum memory "
                   "(%" PRId64 " KiB), found %s",
                   L.max_kib, shown(fd[1].text, b));
            return false;
        }
        L.start_kib = L.no_balloon ? L.max_kib : v;
    }
    L.n = nf - first;
    L.samples = malloc(L.n * sizeof *L.samples);
    if (!L.samples) {
        *rc = BS_ERR_INTERNAL;
        return false;
    }
    for (size_t i = 0; i < L.n; i++) {
        const field *x = &fd[first + i];
        int64_t v;
        bool ok = host ? kib_field(f, ln, x, 0, "the host's own use in KiB (0 or more)", &v)
                       : parse_int(x->text, &v) && v >= -1 && v <= KIB_MAX;
        if (ok && host && v > L.max_kib) {
            char b[48];
            err_at(f, ln, x->col,
                   "expected the host's own use to fit its memory (%" PRId64 " KiB), found %s",
                   L.max_kib, shown(x->text, b));
            ok = false;
        } else if (!ok && !host) {
            char b[48];
            err_at(f, ln, x->col,
                   "expected the used memory in KiB (0 or more) or -1 for a VM that is off, "
                   "found %s",
                   shown(x->text, b));
        }
        if (!ok) {
            free(L.samples);
            return false;
        }
        L.samples[i] = v;
    }
    if (f->n == f->cap) {
        size_t nc = f->cap ? 2 * f->cap : 16;
        mom_line *g = realloc(f->lines, nc * sizeof *g);
        if (!g) {
            free(L.samples);
            *rc = BS_ERR_INTERNAL;
            return false;
        }
        f->lines = g;
        f->cap = nc;
    }
    f->lines[f->n++] = L;
    return true;
}

static bs_rc read_file(mom_file *f)
{
    FILE *in = fopen(f->path, "r");
    if (!in) {
        cfg_error_at(&f->cx, f->path, 0, 0, NULL, "cannot open: %s", strerror(errno));
        return BS_ERR_INPUT;
    }
    char *line = NULL;
    size_t cap = 0, ln = 0, capf = 0;
    field *fs = NULL;
    bs_rc rc = BS_OK, worst = BS_OK;
    ssize_t len;
    errno = 0;
    while ((len = getline(&line, &cap, in)) >= 0) {
        ln++;
        if (memchr(line, '\0', (size_t)len)) {
            worst = err_at(f, ln, 0, "expected text, found a NUL byte (a binary file?)");
            break;
        }
        char *s = line;
        while (is_blank(*s)) s++;
        size_t n = strlen(s);
        while (n && is_blank(s[n - 1])) s[--n] = '\0';
        if (!*s || *s == '#') continue;
        if (!parse_line(f, ln, line, s, &fs, &capf, &rc)) {
            if (rc == BS_ERR_INTERNAL) break;
            worst = BS_ERR_INPUT;
            /* The host line is the frame of everything after it: with a bad
             * one, the VM lines would be read as hosts.  Keep a stand-in. */
            if (f->n == 0) {
                mom_line stub = {.lineno = ln, .max_kib = -1};
                mom_line *g = malloc(sizeof *g);
                if (!g) {
                    rc = BS_ERR_INTERNAL;
                    break;
                }
                *g = stub;
                f->lines = g;
                f->n = f->cap = 1;
            }
        }
    }
    if (rc == BS_OK && ferror(in)) /* a directory, an I/O error: the user's to fix */
        worst = err_at(f, ln + 1, 0, "cannot read: %s", strerror(errno ? errno : EIO));
    fclose(in);
    free(line);
    free(fs);
    if (rc != BS_OK) return rc;
    if (worst == BS_OK && f->n == 0)
        return err_at(f, ln ? ln : 1, 0,
                      "expected the host line (total memory in KiB, then the host's own use "
                      "per interval), found no data");
    if (worst == BS_OK && f->n == 1)
        return err_at(f, f->lines[0].lineno, 0,
                      "expected VM lines after the host line, found none");
    return worst;
}

/* ---- writing ---- */

/* A time as the scenario format reads it, exactly (integer ns inside). */
static void fmt_time(char *buf, size_t len, bs_time ns)
{
    static const struct {
        int64_t div;
        const char *unit;
    } units[] = {{BS_NS_PER_S, "s"}, {1000000, "ms"}, {1000, "us"}, {1, "ns"}};
    for (size_t i = 0; i < sizeof units / sizeof *units; i++)
        if (ns % units[i].div == 0) {
            snprintf(buf, len, "%" PRId64 "%s", ns / units[i].div, units[i].unit);
            return;
        }
}

/* A YAML double-quoted scalar (names come from file names). */
static void yaml_str(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') fprintf(out, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f) fprintf(out, "\\x%02x", *p);
        else fputc(*p, out);
    }
    fputc('"', out);
}

/* The input's base name without its extension, for the scenario name. */
static void base_name(char *buf, size_t len, const char *path)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    snprintf(buf, len, "%s", b);
    char *dot = strrchr(buf, '.');
    if (dot && dot != buf) *dot = '\0';
    if (!buf[0]) snprintf(buf, len, "mom-simulator");
}

static void note(const cli_import_opts *o, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void note(const cli_import_opts *o, const char *path, const char *fmt, ...)
{
    if (!o || !o->notes) return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(o->notes, "%s: note: ", path);
    vfprintf(o->notes, fmt, ap);
    fputc('\n', o->notes);
    va_end(ap);
}

static void write_vm(FILE *out, const mom_file *f, size_t k, size_t n, bs_time iv,
                     const cli_import_opts *o)
{
    const mom_line *L = &f->lines[k];
    char t[32], name[32];
    snprintf(name, sizeof name, "fake-vm-%zu", k);
    size_t first = n, last = 0, gaps = 0;
    for (size_t i = 0; i < n; i++)
        if (L->samples[i] != -1) {
            if (first == n) first = i;
            last = i;
        }
    if (first == n) {
        fprintf(out, "      # %s (line %zu) is off (-1) in every sample: left out.\n", name,
                L->lineno);
        note(o, f->path, "%s (line %zu) is off in every sample; it is left out", name, L->lineno);
        return;
    }
    for (size_t i = first; i <= last; i++) gaps += L->samples[i] == -1;
    fprintf(out, "      - name: %s # line %zu\n", name, L->lineno);
    fprintf(out, "        memory: %" PRId64 "KiB\n", L->max_kib);
    if (!L->no_balloon && L->start_kib != L->max_kib)
        fprintf(out, "        start_memory: %" PRId64 "KiB\n", L->start_kib);
    if (first > 0) {
        fmt_time(t, sizeof t, (bs_time)first * iv);
        fprintf(out, "        start: %s\n", t);
    }
    if (last + 1 < n) {
        fmt_time(t, sizeof t, (bs_time)(last + 1) * iv);
        fprintf(out, "        stop: %s\n", t);
    }
    if (L->no_balloon)
        fputs("        balloon: {enabled: false} # 'c': no balloon driver\n", out);
    if (gaps) {
        fprintf(out,
                "        # Off (-1) in %zu sample%s between running ones: one start/stop cannot "
                "say that,\n"
                "        # so the VM stays up there with demand 0 (steps of size 0 below).\n",
                gaps, gaps == 1 ? "" : "s");
        note(o, f->path,
             "%s (line %zu) is off in %zu sample%s between running ones; it stays up with "
             "demand 0 there",
             name, L->lineno, gaps, gaps == 1 ? "" : "s");
    }
    fputs("        workload:\n          type: steps\n          steps:\n", out);
    int64_t prev = -2;
    for (size_t i = first; i <= last; i++) {
        int64_t v = L->samples[i] == -1 ? 0 : L->samples[i];
        if (v == prev) continue;
        prev = v;
        fmt_time(t, sizeof t, (bs_time)i * iv);
        fprintf(out, "            - {at: %s, size: %" PRId64 "KiB}\n", t, v);
    }
}

static void write_scenario(FILE *out, const mom_file *f, bs_time iv, const cli_import_opts *o)
{
    const mom_line *H = &f->lines[0];
    size_t n = H->n, on = 0;
    for (size_t k = 1; k < f->n; k++) n = BS_MIN(n, f->lines[k].n);
    for (size_t k = 1; k < f->n; k++) {
        const mom_line *L = &f->lines[k];
        for (size_t i = 0; i < n; i++)
            if (L->samples[i] != -1) {
                on++;
                break;
            }
    }
    int64_t lo = H->samples[0], hi = H->samples[0];
    for (size_t i = 0; i < n; i++) {
        lo = BS_MIN(lo, H->samples[i]);
        hi = BS_MAX(hi, H->samples[i]);
    }
    char name[256], t[32], d[32];
    base_name(name, sizeof name, f->path);
    const char *b = strrchr(f->path, '/');
    b = b ? b + 1 : f->path;
    fmt_time(t, sizeof t, iv);
    fmt_time(d, sizeof d, (bs_time)n * iv);

    fprintf(out,
            "# Imported by `balloonsim import mom-simulator` from %s, an input file of\n"
            "# the MoM simulator (github.com/mpavlase/mom-simulator). Sizes are the file's\n"
            "# KiB; sample i of every line is the interval starting at i x %s.\n"
            "# Differences to keep in mind (docs/import.md):\n"
            "# - the MoM simulator applies a balloon target at once; here the virtio driver\n"
            "#   moves at its rates after its latency (set balloon: to change that);\n"
            "# - it lets host free memory go negative; here host swap is 0, so touching\n"
            "#   more than the host has ends in a host OOM kill (add swap: to the host);\n"
            "# - guest used memory is the demand (working set), no page cache.\n",
            b, t);
    fputs("name: ", out);
    yaml_str(out, name);
    fputs("\ndescription: ", out);
    char desc[512];
    snprintf(desc, sizeof desc, "MoM simulator input %s: %zu VM%s, %zu samples of %s", b, on,
             on == 1 ? "" : "s", n, t);
    yaml_str(out, desc);
    fprintf(out, "\nduration: %s\nseed: 1\nsample_interval: %s\n", d, t);
    /* mom.fake.conf: every loop 2 s, sample-history-length 5. */
    fprintf(out,
            "policy:\n  name: mom\n  interval: %s\n  stats_interval: %s\n"
            "  params: {sample_history_length: 5, monitor_interval: %s}\n",
            t, t, t);
    fputs("hosts:\n  - name: host\n", out);
    fprintf(out, "    memory: %" PRId64 "KiB # line %zu\n", H->max_kib, H->lineno);
    if (lo != hi)
        fprintf(out,
                "    # The host's own use varies from %" PRId64 " to %" PRId64
                " KiB; reserved is constant: the largest.\n",
                lo, hi);
    fprintf(out, "    reserved: %" PRId64 "KiB\n", hi);
    fputs("    vms:\n", out);
    for (size_t k = 1; k < f->n; k++) {
        const mom_line *L = &f->lines[k];
        if (L->n > n) {
            fprintf(out,
                    "      # line %zu: %zu sample%s after the first %zu not used (the simulator "
                    "stops at the shortest line)\n",
                    L->lineno, L->n - n, L->n - n == 1 ? "" : "s", n);
            note(o, f->path, "line %zu: %zu sample%s after the first %zu are not used", L->lineno,
                 L->n - n, L->n - n == 1 ? "" : "s", n);
        }
        write_vm(out, f, k, n, iv, o);
    }
    if (H->n > n)
        note(o, f->path, "line %zu (host): %zu sample%s after the first %zu are not used",
             H->lineno, H->n - n, H->n - n == 1 ? "" : "s", n);
}

bs_rc cli_import_mom(const char *path, const cli_import_opts *opts, FILE *out, cfg_errs *errs)
{
    bs_time iv = opts && opts->interval > 0 ? opts->interval : CLI_MOM_INTERVAL;
    mom_file f = {.path = path, .cx = {.errs = errs, .doc = NULL}};
    size_t before = errs->n;
    bs_rc rc = read_file(&f);
    if (rc == BS_OK && errs->n > before) rc = BS_ERR_INPUT;
    if (rc == BS_OK) {
        size_t on = 0, n = f.lines[0].n;
        for (size_t k = 1; k < f.n; k++) n = BS_MIN(n, f.lines[k].n);
        for (size_t k = 1; k < f.n && !on; k++)
            for (size_t i = 0; i < n; i++) on += f.lines[k].samples[i] != -1;
        if (!on)
            rc = err_at(&f, f.lines[1].lineno, 0,
                        "expected a VM that is on (not -1) in the %zu sample%s all lines "
                        "have, found none",
                        n, n == 1 ? "" : "s");
        else if ((double)n * (double)iv > (double)UNIT_MAX_TIME_NS)
            rc = err_at(&f, f.lines[0].lineno, 0,
                        "expected at most 36500 days of samples, found %zu of %g s", n,
                        bs_time_to_s(iv));
    }
    if (rc == BS_OK) {
        write_scenario(out, &f, iv, opts);
        if (fflush(out) != 0 || ferror(out)) rc = BS_ERR_INTERNAL;
    }
    file_free(&f);
    return rc;
}

/* ---- the command ---- */

static int print_help(const cli_cmd *cmd)
{
    printf("usage: balloonsim %s\n\n%s.\n", cmd->usage, cmd->summary);
    if (cmd->help) printf("\noptions:\n%s", cmd->help);
    return fflush(stdout) == 0 ? BS_OK : BS_ERR_INTERNAL;
}

int cmd_import(const cli_ctx *cx, int argc, char **argv)
{
    enum { OPT_INTERVAL = 300 };
    static const struct option longs[] = {{"interval", required_argument, NULL, OPT_INTERVAL},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    const cli_cmd *cmd = cx->cmd;
    cli_import_opts o = {.interval = CLI_MOM_INTERVAL, .notes = stderr};
    int c;
    cli_getopt_reset();
    while ((c = getopt_long(argc, argv, ":h", longs, NULL)) != -1) {
        if (c == 'h') return print_help(cmd);
        if (c == OPT_INTERVAL) {
            double ns = 0;
            const char *why = NULL;
            if (unit_parse_time(optarg, &ns, &why) != BS_OK || !(ns >= 1) ||
                ns > (double)UNIT_MAX_TIME_NS)
                return cli_usage_error(cmd, "bad --interval '%s' (expected a time above 0, "
                                            "such as 2s)", optarg);
            o.interval = (bs_time)ns;
            continue;
        }
        const char *arg = optind > 0 && optind <= argc ? argv[optind - 1] : "";
        if (c == ':') return cli_usage_error(cmd, "option '%s' needs an argument", arg);
        if (strncmp(arg, "--", 2) != 0 && optopt > 0 && optopt < 128)
            return cli_usage_error(cmd, "unknown option '-%c'", optopt);
        return cli_usage_error(cmd, "unknown option '%s'", arg);
    }
    if (argc - optind < 1) return cli_usage_error(cmd, "missing FORMAT (mom-simulator)");
    if (strcmp(argv[optind], "mom-simulator") != 0)
        return cli_usage_error(cmd, "unknown format '%s' (expected: mom-simulator)",
                               argv[optind]);
    if (argc - optind < 2) return cli_usage_error(cmd, "missing FILE");
    if (argc - optind > 2)
        return cli_usage_error(cmd, "one FILE only (got '%s' too)", argv[optind + 2]);
    cfg_errs errs = {0};
    bs_rc rc = cli_import_mom(argv[optind + 1], &o, stdout, &errs);
    if (rc != BS_OK) {
        if (errs.n) cfg_errs_print(&errs, stderr);
        else fprintf(stderr, "balloonsim import: %s: internal error\n", argv[optind + 1]);
    }
    cfg_errs_free(&errs);
    return rc;
}
