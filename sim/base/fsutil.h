/* fsutil.h -- file-system helpers: mkdir -p and path joining.
 *
 * Why here: the run directory, compare, sweep, plan and merge all build
 * paths and create directory trees; one copy keeps the error messages and the
 * separator rules the same everywhere. */
#ifndef BS_FSUTIL_H
#define BS_FSUTIL_H

#include "sim/base/bs.h"

#include <stddef.h>

/* "dir/name" in malloc'd memory (one '/' added unless dir ends in one);
 * NULL when out of memory. */
char *fs_path_join(const char *dir, const char *name);
/* `mkdir -p`: create dir and its missing parents (mode 0777 & ~umask).
 * Failures print a message naming the path to stderr and return
 * BS_ERR_INTERNAL. */
bs_rc fs_mkdirs(const char *dir);
/* fs_mkdirs that also records (strdup'd, outermost first) up to `cap`
 * directories it made in created[*n_created...], so a caller can remove them
 * again after a failure. */
bs_rc fs_mkdirs_record(const char *dir, char **created, size_t *n_created, size_t cap);

#endif
