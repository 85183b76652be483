/* fsutil.c -- mkdir -p and path joining.
 *
 * Why it looks like this: a path component that exists but is not a
 * directory is reported as such (mkdir's EEXIST alone would hide it), and
 * the directories made are optionally recorded so a failed run can remove
 * exactly what it created. */
#include "sim/base/fsutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

char *fs_path_join(const char *dir, const char *name)
{
    size_t ld = strlen(dir), ln = strlen(name);
    char *p = malloc(ld + ln + 2);
    if (p == NULL)
        return NULL;
    memcpy(p, dir, ld);
    size_t at = ld;
    if (at == 0 || p[at - 1] != '/')
        p[at++] = '/';
    memcpy(p + at, name, ln + 1);
    return p;
}

/* created may be NULL: then nothing is recorded. */
bs_rc fs_mkdirs_record(const char *dir, char **created, size_t *n_created, size_t cap)
{
    size_t len = strlen(dir);
    if (len == 0)
        return BS_ERR_INTERNAL;
    char *p = malloc(len + 1);
    if (p == NULL)
        return BS_ERR_INTERNAL;
    memcpy(p, dir, len + 1);
    bs_rc rc = BS_OK;
    for (size_t i = 1; i <= len && rc == BS_OK; i++) {
        if (p[i] != '/' && p[i] != '\0')
            continue;
        if (p[i - 1] == '/') /* "a//b" or a trailing slash */
            continue;
        char save = p[i];
        p[i] = '\0';
        if (mkdir(p, 0777) == 0) {
            if (created && *n_created < cap) {
                created[*n_created] = strdup(p);
                if (created[*n_created] != NULL)
                    (*n_created)++;
            }
        } else {
            struct stat st;
            int err = errno;
            if (err != EEXIST || stat(p, &st) != 0 || !S_ISDIR(st.st_mode)) {
                fprintf(stderr, "balloonsim: cannot create directory %s: %s\n", p,
                        err == EEXIST ? "exists and is not a directory" : strerror(err));
                rc = BS_ERR_INTERNAL;
            }
        }
        p[i] = save;
    }
    free(p);
    return rc;
}

bs_rc fs_mkdirs(const char *dir)
{
    return fs_mkdirs_record(dir, NULL, NULL, 0);
}

