/* strutil.h -- small string helpers every layer needs: joining an argv
 * into one shell-pasteable line, and formatting an error into a caller's
 * buffer.
 *
 * A leaf module so the batch layer (run.json of every job) and the command
 * line (run.json of `run`) quote arguments the same way without the batch
 * layer reaching up into the CLI. */
#ifndef BS_STRUTIL_H
#define BS_STRUTIL_H

#include <stddef.h>

/* argv joined with spaces, each argument quoted for a POSIX shell when it
 * needs it (so the line can be pasted back).  Caller frees; NULL when out of
 * memory. */
char *bs_join_argv(int argc, char *const *argv);

/* printf into err[len] (nothing when len is 0): the one way a function that
 * fills an error buffer formats it. */
void bs_errf(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
