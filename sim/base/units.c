/* units.c -- parsing and formatting of the value syntax of docs/scenarios.md.
 *
 * Why a hand-written scanner instead of strtod() alone: strtod accepts hex,
 * "inf", "nan" and leading blanks, none of which a scenario may contain, and
 * it cannot tell us where the number ends in "1h30m".  We therefore scan the
 * decimal syntax ourselves and hand only the scanned span to strtod (the C
 * locale is never changed, so '.' is the decimal point).
 *
 * Unit suffixes are matched case-insensitively (4gib, 4Gb): users copy sizes
 * from tools that disagree on case, and no two units of one kind differ only
 * by case ("m" is MiB in a size and minutes in a time; the kind decides).
 * Decimal units (KB, MB, GB) are powers of ten, as in docs/scenarios.md.
 *
 * Everything here is pure: no allocation, no global state. */
#include "sim/base/units.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct unit_def {
    const char *name;
    double mult;
} unit_def;

static const unit_def size_units[] = {
    {"b", 1.0},
    {"k", 1024.0}, {"kib", 1024.0}, {"kb", 1e3},
    {"m", 1048576.0}, {"mib", 1048576.0}, {"mb", 1e6},
    {"g", 1073741824.0}, {"gib", 1073741824.0}, {"gb", 1e9},
    {"t", 1099511627776.0}, {"tib", 1099511627776.0}, {"tb", 1e12},
    {"p", 1125899906842624.0}, {"pib", 1125899906842624.0}, {"pb", 1e15},
    {NULL, 0.0},
};

/* Ordered from the largest unit down: `rank` enforces that a compound time
 * such as 1h30m lists its parts from large to small (and each unit once). */
typedef struct time_def {
    const char *name;
    double ns;
    int rank;
} time_def;

static const time_def time_units[] = {
    {"d", 86400e9, 7},  {"h", 3600e9, 6}, {"m", 60e9, 5}, {"min", 60e9, 5},
    {"s", 1e9, 4},      {"ms", 1e6, 3},   {"us", 1e3, 2}, {"\xc2\xb5s", 1e3, 2},
    {"ns", 1.0, 1},     {NULL, 0.0, 0},
};

static const char why_size[] = "a size such as 4GiB";
static const char why_size_neg[] = "a size that is not negative, such as 4GiB";
static const char why_size_big[] = "a size of at most 4EiB (2^62 bytes)";
static const char why_size_whole[] = "a whole number of bytes, or a size with a unit such as 1.5GiB";
static const char why_time[] = "a time such as 30s";
static const char why_time_neg[] = "a time that is not negative, such as 30s";
static const char why_time_big[] = "a time of at most 36500d";
static const char why_rate[] = "a rate such as 256MiB/s";
static const char why_rate_neg[] = "a rate that is not negative, such as 256MiB/s";
static const char why_fraction[] = "a fraction such as 0.2 or 20%";
static const char why_number[] = "a number";
static const char why_count[] = "a whole number";

static void set_why(const char **why, const char *text) {
    if (why) *why = text;
}

/* Scan a decimal number at s: [+-]digits[.digits][e[+-]digits] (".5" and "5."
 * allowed).  Returns the end of the number, or NULL when there is none.
 * *integral is true when neither '.' nor an exponent was written. */
static const char *scan_number(const char *s, double *v, bool *integral) {
    const char *p = s;
    char buf[80];
    size_t digits = 0;

    if (*p == '+' || *p == '-') p++;
    while (isdigit((unsigned char)*p)) p++, digits++;
    *integral = true;
    if (*p == '.') {
        *integral = false;
        p++;
        while (isdigit((unsigned char)*p)) p++, digits++;
    }
    if (digits == 0) return NULL;
    if (*p == 'e' || *p == 'E') {
        const char *q = p + 1;
        if (*q == '+' || *q == '-') q++;
        if (isdigit((unsigned char)*q)) {
            while (isdigit((unsigned char)*q)) q++;
            p = q;
            *integral = false;
        }
    }
    if ((size_t)(p - s) >= sizeof buf) return NULL; /* absurdly long: not a value we accept */
    memcpy(buf, s, (size_t)(p - s));
    buf[p - s] = '\0';
    *v = strtod(buf, NULL);
    if (!isfinite(*v)) return NULL;
    return p;
}

/* Products such as 0.3 * 1e9 can land a hair off the whole number the user
 * meant; snap when the difference is far below one part in 10^12. */
static double snap_whole(double x) {
    double r = nearbyint(x);
    if (fabs(x - r) <= 1e-12 * fabs(x)) return r;
    return x;
}

/* Length of the run of unit characters at s (letters and the UTF-8 micro sign). */
static size_t unit_run(const char *s) {
    size_t n = 0;
    for (;;) {
        if (isalpha((unsigned char)s[n])) n++;
        else if ((unsigned char)s[n] == 0xc2 && (unsigned char)s[n + 1] == 0xb5) n += 2;
        else return n;
    }
}

static bool unit_eq(const char *s, size_t n, const char *name) {
    return strlen(name) == n && strncasecmp(s, name, n) == 0;
}

static const unit_def *find_size_unit(const char *s, size_t n) {
    for (const unit_def *u = size_units; u->name; u++)
        if (unit_eq(s, n, u->name)) return u;
    return NULL;
}

static const time_def *find_time_unit(const char *s, size_t n) {
    for (const time_def *u = time_units; u->name; u++)
        if (unit_eq(s, n, u->name)) return u;
    return NULL;
}

/* Size without the final range check; `bare_whole` demands a unit-less number
 * be whole (sizes) or lets it be fractional (the left side of a rate). */
static bs_rc parse_size(const char *text, bool bare_whole, double *bytes, const char **why) {
    double v;
    bool integral;
    const char *p = scan_number(text, &v, &integral);

    if (!p) return set_why(why, why_size), BS_ERR_INPUT;
    if (*p == ' ') p++;
    size_t n = unit_run(p);
    if (p[n] != '\0') return set_why(why, why_size), BS_ERR_INPUT;
    if (n == 0) {
        if (p != text && p[-1] == ' ') return set_why(why, why_size), BS_ERR_INPUT;
        if (v < 0) return set_why(why, why_size_neg), BS_ERR_INPUT;
        if (bare_whole && !integral && v != floor(v)) return set_why(why, why_size_whole), BS_ERR_INPUT;
        *bytes = v;
    } else {
        const unit_def *u = find_size_unit(p, n);
        if (!u) return set_why(why, why_size), BS_ERR_INPUT;
        if (v < 0) return set_why(why, why_size_neg), BS_ERR_INPUT;
        *bytes = snap_whole(v * u->mult);
        if (bare_whole && u->mult == 1.0 && *bytes != floor(*bytes))
            return set_why(why, why_size_whole), BS_ERR_INPUT;
    }
    if (*bytes == 0) *bytes = 0; /* no -0 */
    return BS_OK;
}

bs_rc unit_parse_size(const char *text, double *bytes, const char **why) {
    double b = 0;
    if (!text) return set_why(why, why_size), BS_ERR_INPUT;
    if (parse_size(text, true, &b, why) != BS_OK) return BS_ERR_INPUT;
    if (b > (double)UNIT_MAX_BYTES) return set_why(why, why_size_big), BS_ERR_INPUT;
    *bytes = b;
    return BS_OK;
}

bs_rc unit_parse_time(const char *text, double *ns, const char **why) {
    const char *p = text;
    double total = 0;
    int last_rank = 1000;
    bool first = true;

    if (!text || !*text) return set_why(why, why_time), BS_ERR_INPUT;
    while (*p) {
        double v;
        bool integral;
        const char *q = scan_number(p, &v, &integral);
        if (!q) return set_why(why, why_time), BS_ERR_INPUT;
        if (v < 0 || (!first && (*p == '-' || *p == '+')))
            return set_why(why, v < 0 ? why_time_neg : why_time), BS_ERR_INPUT;
        const char *num_end = q;
        if (*q == ' ') q++;
        size_t n = unit_run(q);
        if (n == 0) {
            /* A bare number is seconds, but only when it is all there is. */
            if (!first || *q != '\0' || q != num_end) return set_why(why, why_time), BS_ERR_INPUT;
            total = v * 1e9;
            break;
        }
        const time_def *u = find_time_unit(q, n);
        if (!u || u->rank >= last_rank) return set_why(why, why_time), BS_ERR_INPUT;
        last_rank = u->rank;
        total += v * u->ns;
        q += n;
        if (*q == ' ' && q[1] != '\0') q++;
        p = q;
        first = false;
        if (*p && !(isdigit((unsigned char)*p) || *p == '.')) return set_why(why, why_time), BS_ERR_INPUT;
    }
    total = snap_whole(total);
    if (total > (double)UNIT_MAX_TIME_NS) return set_why(why, why_time_big), BS_ERR_INPUT;
    *ns = total == 0 ? 0 : total;
    return BS_OK;
}

bs_rc unit_parse_rate(const char *text, double *bytes_per_s, const char **why) {
    char left[80];
    double bytes, per_ns;

    if (!text) return set_why(why, why_rate), BS_ERR_INPUT;
    const char *slash = strrchr(text, '/');
    if (!slash || slash == text || (size_t)(slash - text) >= sizeof left)
        return set_why(why, why_rate), BS_ERR_INPUT;
    memcpy(left, text, (size_t)(slash - text));
    left[slash - text] = '\0';
    if (left[0] == '-') return set_why(why, why_rate_neg), BS_ERR_INPUT;
    if (parse_size(left, false, &bytes, NULL) != BS_OK) return set_why(why, why_rate), BS_ERR_INPUT;
    const char *per = slash + 1;
    const time_def *u = find_time_unit(per, unit_run(per));
    if (u && per[unit_run(per)] == '\0') {
        per_ns = u->ns; /* "/s", "/m", "/h": one unit */
    } else if (unit_parse_time(per, &per_ns, NULL) != BS_OK || per_ns <= 0) {
        return set_why(why, why_rate), BS_ERR_INPUT;
    }
    double r = bytes / (per_ns / 1e9);
    if (!isfinite(r) || r > (double)UNIT_MAX_BYTES * 1e9) return set_why(why, why_rate), BS_ERR_INPUT;
    *bytes_per_s = r;
    return BS_OK;
}

bs_rc unit_parse_fraction(const char *text, double *frac, const char **why) {
    double v;
    bool integral;
    const char *p = text ? scan_number(text, &v, &integral) : NULL;

    if (!p) return set_why(why, why_fraction), BS_ERR_INPUT;
    if (*p == ' ' && p[1] == '%') p++;
    if (*p == '%') {
        v /= 100.0;
        p++;
    }
    if (*p != '\0') return set_why(why, why_fraction), BS_ERR_INPUT;
    *frac = v == 0 ? 0 : v;
    return BS_OK;
}

bs_rc unit_parse_number(const char *text, double *value, const char **why) {
    double v;
    bool integral;
    const char *p = text ? scan_number(text, &v, &integral) : NULL;

    if (!p || *p != '\0') return set_why(why, why_number), BS_ERR_INPUT;
    *value = v == 0 ? 0 : v;
    return BS_OK;
}

static bs_rc parse_count(const char *text, double *value, const char **why) {
    double v;
    if (unit_parse_number(text, &v, NULL) != BS_OK || v != floor(v))
        return set_why(why, why_count), BS_ERR_INPUT;
    *value = v;
    return BS_OK;
}

bs_rc unit_parse(unit_kind kind, const char *text, double *value, const char **why) {
    switch (kind) {
    case UNIT_SIZE: return unit_parse_size(text, value, why);
    case UNIT_TIME: return unit_parse_time(text, value, why);
    case UNIT_RATE: return unit_parse_rate(text, value, why);
    case UNIT_FRACTION: return unit_parse_fraction(text, value, why);
    case UNIT_NUMBER: return unit_parse_number(text, value, why);
    case UNIT_COUNT: return parse_count(text, value, why);
    }
    set_why(why, why_number);
    return BS_ERR_INPUT;
}

const char *unit_kind_name(unit_kind kind) {
    switch (kind) {
    case UNIT_SIZE: return why_size;
    case UNIT_TIME: return why_time;
    case UNIT_RATE: return why_rate;
    case UNIT_FRACTION: return why_fraction;
    case UNIT_NUMBER: return why_number;
    case UNIT_COUNT: return why_count;
    }
    return why_number;
}

/* Largest binary unit in which the value is exact to two decimals, so that
 * the text parses back to the same number of bytes ("1.5GiB", "976562.5KiB"). */
void unit_format_size(char *buf, size_t len, double bytes) {
    static const unit_def units[] = {
        {"PiB", 1125899906842624.0}, {"TiB", 1099511627776.0}, {"GiB", 1073741824.0},
        {"MiB", 1048576.0},          {"KiB", 1024.0},          {NULL, 0.0},
    };
    const char *sign = bytes < 0 ? "-" : "";
    double b = fabs(bytes);

    if (!isfinite(b)) {
        snprintf(buf, len, "%s", bytes < 0 ? "-inf" : "inf");
        return;
    }
    for (const unit_def *u = units; u->name; u++) {
        double v = b / u->mult;
        if (v < 1.0 || v * 100.0 != floor(v * 100.0)) continue;
        char num[64];
        snprintf(num, sizeof num, "%.2f", v);
        char *end = num + strlen(num);
        while (end[-1] == '0') *--end = '\0';
        if (end[-1] == '.') *--end = '\0';
        snprintf(buf, len, "%s%s%s", sign, num, u->name);
        return;
    }
    if (b == floor(b)) snprintf(buf, len, "%s%.0fB", sign, b);
    else snprintf(buf, len, "%s%gB", sign, b);
}

/* Compound form (1h30m, 1s500ms) so that the text parses back exactly. */
void unit_format_time(char *buf, size_t len, bs_time ns) {
    static const struct { const char *name; int64_t ns; } parts[] = {
        {"d", 86400LL * BS_NS_PER_S}, {"h", 3600LL * BS_NS_PER_S}, {"m", 60LL * BS_NS_PER_S},
        {"s", BS_NS_PER_S},           {"ms", 1000000LL},           {"us", 1000LL},
        {"ns", 1LL},
    };
    size_t used = 0;

    if (len == 0) return;
    buf[0] = '\0';
    if (ns == BS_TIME_NEVER) {
        snprintf(buf, len, "never");
        return;
    }
    if (ns == 0) {
        snprintf(buf, len, "0s");
        return;
    }
    uint64_t rest;
    if (ns < 0) {
        used += (size_t)snprintf(buf, len, "-");
        rest = (uint64_t)0 - (uint64_t)ns;
    } else {
        rest = (uint64_t)ns;
    }
    for (size_t i = 0; i < sizeof parts / sizeof parts[0] && rest > 0; i++) {
        uint64_t q = rest / (uint64_t)parts[i].ns;
        if (q == 0) continue;
        rest -= q * (uint64_t)parts[i].ns;
        if (used < len)
            used += (size_t)snprintf(buf + used, len - used, "%llu%s", (unsigned long long)q,
                                     parts[i].name);
    }
}
