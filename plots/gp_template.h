/* gp_template.h -- the gnuplot templates (plots/NAME.gp) a written script is
 * made of.
 *
 * Every script balloonsim writes is a short generated header (gnuplot
 * variables: titles, counts, names, datablocks) followed by the text of one
 * template.  The templates are the .gp files of the source tree's plots/,
 * embedded in the binary by the Makefile (build/plots/gp_embedded.c) so the
 * binary stays self-contained; BALLOONSIM_PLOTS=DIR reads DIR/NAME.gp
 * instead, so that a user can restyle every picture from a copy of plots/.
 * A template missing from DIR falls back to the embedded copy: a user may
 * copy only the files he changes, and a newer balloonsim with a new kind of
 * picture still draws it (docs/plots.md). */
#ifndef BS_GP_TEMPLATE_H
#define BS_GP_TEMPLATE_H

#include "sim/base/bs.h"

#include <stddef.h>
#include <stdio.h>

/* One embedded template: plots/NAME.gp. */
typedef struct plot_gp_file {
    const char *name; /* "memory" for plots/memory.gp */
    const unsigned char *text;
    size_t len;
} plot_gp_file;

/* Defined in the generated build/plots/gp_embedded.c, sorted by name. */
extern const plot_gp_file plot_gp_files[];
extern const size_t plot_gp_n_files;

/* The embedded template NAME, or NULL. */
const plot_gp_file *plot_gp_embedded(const char *name);
/* The text of template NAME (malloc'd in *text, *len bytes, NUL-terminated):
 * $BALLOONSIM_PLOTS/NAME.gp when that variable is set and the file exists,
 * else the embedded copy.  BS_ERR_INPUT (with a message on stderr) when the
 * override file exists but cannot be read, or no template NAME exists. */
bs_rc plot_gp_template(const char *name, char **text, size_t *len);
/* Append template NAME to f (after the caller's header). */
bs_rc plot_gp_put_template(FILE *f, const char *name);

#endif
