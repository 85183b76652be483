/* table.h -- result tables of batch commands (compare, sweep): rows x columns
 * of cells that each hold a mean and the half-width of its 95 % confidence
 * interval, written as text (a terminal), markdown (a pull-request comment),
 * csv or json (scripts).
 *
 * A table is plain data the caller lays out (keys and cells row-major), so
 * any command can build one from its own results without callbacks.  Each
 * row starts with `n_keys` string columns (policy, rank, a varied value...)
 * followed by `n_cols` value columns.
 *
 * Numbers: csv and json carry every value exactly (txt_format_double: the
 * shortest decimal that reads back as the same double); text and markdown
 * round for the eye with tab_format_number().  A cell with n == 0 is empty
 * (null in json), an interval that does not exist (fewer than two values) is
 * empty too.  Output is a function of the table alone: byte-identical for
 * the same table, whatever the locale. */
#ifndef BS_TABLE_H
#define BS_TABLE_H

#include "sim/base/bs.h"

#include <stdio.h>

typedef struct tab_cell {
    double mean; /* meaningful when n > 0 */
    double ci95; /* half-width of the 95 % interval; NAN: none */
    size_t n;    /* values behind the mean; 0: no value */
} tab_cell;

typedef struct tab {
    size_t n_keys, n_cols, n_rows;
    const char *const *key_names;  /* n_keys */
    const bool *key_numeric;       /* n_keys or NULL: right-aligned; bare numbers in json */
    const char *const *col_names;  /* n_cols */
    const char *const *keys;       /* n_rows x n_keys */
    const tab_cell *cells;         /* n_rows x n_cols */
} tab;

/* Aligned columns separated by two spaces, a header row, no trailing
 * blanks; a cell reads "mean ± ci95" with the ± signs of a column aligned. */
void tab_write_text(FILE *f, const tab *t);
/* A GitHub-flavoured markdown table ('|' in keys escaped), padded so that
 * the raw text lines up too. */
void tab_write_markdown(FILE *f, const tab *t);
/* Key columns, then NAME_mean,NAME_ci95 per value column (RFC 4180 quoting).
 * `lead` (may be NULL with n_lead 0) are extra leading columns, the same on
 * every row (for example the scenario), named by lead_names in the header. */
void tab_write_csv(FILE *f, const tab *t, bool header, const char *const *lead_names,
                   const char *const *lead, size_t n_lead);
/* A json array of row objects {"KEY": "value", ..., "metrics": {"COL":
 * {"mean": x, "ci95": y, "n": k}}}, each line after the first prefixed with
 * `indent`. */
void tab_write_json(FILE *f, const tab *t, const char *indent);

/* Text/markdown form of a number: 6 significant digits ("17054.3",
 * "0.355"), except that magnitudes of 10^6 and more are written whole
 * ("25769803776": byte counts stay readable); nan/inf as "nan"/"inf". */
void tab_format_number(char buf[40], double v);

#endif
