/* units.h -- the value syntax of docs/scenarios.md: sizes, times, rates, fractions.
 *
 * Parsing is strict and pure (no allocation, no global state) so that the same
 * text always gives the same value, and errors can be reported by the caller with
 * the node's position.  Limits: sizes up to 2^62 bytes, times up to 36500 days. */
#ifndef BS_UNITS_H
#define BS_UNITS_H

#include "sim/base/bs.h"

typedef enum unit_kind {
    UNIT_SIZE,     /* bytes: 4GiB 512MiB 4G 4GB; bare integer = bytes */
    UNIT_TIME,     /* ns: 250ms 30s 5m 2h 1d 100us 10ns; bare number = seconds */
    UNIT_RATE,     /* bytes per second: 256MiB/s, /m, /h */
    UNIT_FRACTION, /* 0.2 or 20% */
    UNIT_NUMBER,   /* plain finite number */
    UNIT_COUNT     /* whole number */
} unit_kind;

#define UNIT_MAX_BYTES (1LL << 62)
#define UNIT_MAX_TIME_NS (36500LL * 86400LL * BS_NS_PER_S)

/* Each returns BS_OK or BS_ERR_INPUT; on error *why (if not NULL) is a static
 * description of what was expected, e.g. "a size such as 4GiB", and the
 * output is untouched.  Unit suffixes are case-insensitive (4gib, 4Gb = 4GB);
 * one space may separate number and unit ("4 GB").  Sizes also take P/PiB/PB.
 * Times may be compound, largest unit first ("1h30m", "1h 30m").  A rate is
 * SIZE/UNIT or SIZE/TIME ("10MiB/30m"); its size may be a fractional bare
 * number, so counts per time ("3/h") parse too.  Fractions and rates are not
 * range-checked here (150% parses as 1.5): the cfg getters do that. */
bs_rc unit_parse_size(const char *text, double *bytes, const char **why);   /* exact, not rounded */
bs_rc unit_parse_time(const char *text, double *ns, const char **why);
bs_rc unit_parse_rate(const char *text, double *bytes_per_s, const char **why);
bs_rc unit_parse_fraction(const char *text, double *frac, const char **why);
bs_rc unit_parse_number(const char *text, double *value, const char **why);
bs_rc unit_parse(unit_kind kind, const char *text, double *value, const char **why);
const char *unit_kind_name(unit_kind kind); /* "a size such as 4GiB", ... */

/* Formatting for outputs and messages: "4GiB", "1.5GiB", "30s", "250ms",
 * "1h30m" (compound, so that the text parses back to the same value;
 * BS_TIME_NEVER is "never"). */
void unit_format_size(char *buf, size_t len, double bytes);
void unit_format_time(char *buf, size_t len, bs_time ns);

#endif
