/* text.c -- deterministic number formats, JSON strings and CSV fields.
 *
 * Why it looks like this: numbers must be byte-identical across runs and
 * machines: times print as exact decimal seconds of the integer nanoseconds,
 * and other doubles as the shortest decimal that reads back to the same
 * double (binary search over the precision of "%.*e", then the decimal point
 * is placed by hand so the locale's decimal point never leaks in). */
#include "sim/base/text.h"

#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

void txt_format_seconds(char buf[40], bs_time t)
{
    /* Unsigned magnitude so that INT64_MIN does not overflow on negation. */
    uint64_t mag = t < 0 ? (uint64_t)0 - (uint64_t)t : (uint64_t)t;
    uint64_t s = mag / (uint64_t)BS_NS_PER_S, ns = mag % (uint64_t)BS_NS_PER_S;
    int n = snprintf(buf, 40, "%s%" PRIu64, t < 0 ? "-" : "", s);
    if (ns == 0)
        return;
    char frac[16];
    snprintf(frac, sizeof frac, "%09" PRIu64, ns);
    size_t len = 9;
    while (len > 0 && frac[len - 1] == '0')
        len--;
    frac[len] = '\0';
    snprintf(buf + n, (size_t)(40 - n), ".%s", frac);
}

/* Digits and decimal exponent of v at `prec` significant digits.  Returns
 * whether they read back as exactly v (strtod sees the same locale as
 * snprintf, so the check holds in any locale). */
static bool sci_digits(double v, int prec, char digits[24], int *exp10)
{
    char tmp[48];
    snprintf(tmp, sizeof tmp, "%.*e", prec - 1, v);
    bool exact = strtod(tmp, NULL) == v;
    size_t nd = 0;
    const char *p = tmp;
    if (*p == '-')
        p++;
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9' && nd < 23)
            digits[nd++] = *p;
    digits[nd] = '\0';
    *exp10 = *p == 'e' ? (int)strtol(p + 1, NULL, 10) : 0;
    return exact;
}

void txt_format_double(char buf[40], double v)
{
    if (isnan(v)) {
        strcpy(buf, "nan");
        return;
    }
    if (isinf(v)) {
        strcpy(buf, v < 0 ? "-inf" : "inf");
        return;
    }
    if (v == 0) { /* also -0: "-0" would be a surprise in a table of stalls */
        strcpy(buf, "0");
        return;
    }
    /* Round-tripping is monotonic in the precision and 17 digits always
     * suffice for a binary64, so a binary search finds the shortest. */
    int lo = 1, hi = 17;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        char d[24];
        int e;
        if (sci_digits(v, mid, d, &e))
            hi = mid;
        else
            lo = mid + 1;
    }
    char d[24];
    int e;
    sci_digits(v, lo, d, &e);
    int nd = (int)strlen(d);
    /* Rounding up can leave trailing zeros ("1.0e+02" at 2 digits never
     * happens at the shortest precision, but be safe). */
    while (nd > 1 && d[nd - 1] == '0')
        nd--;
    char *o = buf;
    if (v < 0)
        *o++ = '-';
    if (e >= -5 && e <= 16) {
        if (e < 0) {
            *o++ = '0';
            *o++ = '.';
            for (int i = 0; i < -e - 1; i++)
                *o++ = '0';
            memcpy(o, d, (size_t)nd);
            o += nd;
        } else {
            for (int i = 0; i <= e; i++)
                *o++ = i < nd ? d[i] : '0';
            if (nd > e + 1) {
                *o++ = '.';
                memcpy(o, d + e + 1, (size_t)(nd - e - 1));
                o += nd - e - 1;
            }
        }
        *o = '\0';
    } else {
        *o++ = d[0];
        if (nd > 1) {
            *o++ = '.';
            memcpy(o, d + 1, (size_t)(nd - 1));
            o += nd - 1;
        }
        snprintf(o, (size_t)(buf + 40 - o), "e%c%d", e < 0 ? '-' : '+', e < 0 ? -e : e);
    }
}

void txt_json_string(FILE *f, const char *s)
{
    if (s == NULL) { /* an absent string: JSON's null */
        fputs("null", f);
        return;
    }
    putc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        case '\b': fputs("\\b", f); break;
        case '\f': fputs("\\f", f); break;
        default:
            if (*p < 0x20)
                fprintf(f, "\\u%04x", *p);
            else
                putc(*p, f); /* UTF-8 passes through as JSON allows */
        }
    }
    putc('"', f);
}

/* A CSV field, quoted per RFC 4180 only when it holds a comma, quote or
 * line break. */
void txt_csv_field(FILE *f, const char *s)
{
    if (s == NULL)
        return;
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, f);
        return;
    }
    putc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            putc('"', f);
        putc(*s, f);
    }
    putc('"', f);
}


void txt_json_number(FILE *f, double v)
{
    if (!isfinite(v)) {
        fputs("null", f);
        return;
    }
    char buf[40];
    txt_format_double(buf, v);
    fputs(buf, f);
}
