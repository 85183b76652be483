/* text.h -- deterministic text encodings shared by every writer.
 *
 * Why here: the run directory, the result tables, sweeps, plans and policy
 * state dumps all write JSON strings, CSV fields and numbers; one copy of
 * each keeps their outputs agreeing byte for byte, with no locale leaking in. */
#ifndef BS_TEXT_H
#define BS_TEXT_H

#include "sim/base/bs.h"

#include <stdio.h>

/* Exact decimal seconds of integer nanoseconds: "12", "0.25", "4.1". */
void txt_format_seconds(char buf[40], bs_time t);
/* Shortest decimal that strtod() reads back as exactly v; plain notation for
 * decimal exponents -5..16 ("0.25", "100", "0.3333333333333333"), otherwise
 * "1e-7" / "1.5e+20"; -0 prints "0"; non-finite values "nan", "inf", "-inf".
 * Always '.' as the decimal point, whatever the locale. */
void txt_format_double(char buf[40], double v);
/* A JSON string literal, quotes included, escaped per RFC 8259. */
void txt_json_string(FILE *f, const char *s); /* NULL prints null */
/* A number as txt_format_double writes it; NaN and infinities print null. */
void txt_json_number(FILE *f, double v);
/* A CSV field, quoted per RFC 4180 only when it holds a comma, quote or line
 * break.  NULL prints nothing (an empty field). */
void txt_csv_field(FILE *f, const char *s);

#endif
