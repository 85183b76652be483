/* gp_template.c -- looking up the gnuplot templates.
 *
 * The override directory is read per call, not cached: no global state, and
 * a test (or a user between runs) may change BALLOONSIM_PLOTS at any time.
 * Reading a template is a few kB per script, nothing next to a run. */
#include "plots/gp_template.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const plot_gp_file *plot_gp_embedded(const char *name)
{
    for (size_t i = 0; i < plot_gp_n_files; i++)
        if (strcmp(plot_gp_files[i].name, name) == 0)
            return &plot_gp_files[i];
    return NULL;
}

/* DIR/NAME.gp into *text; a missing file is not an error but *found = false,
 * so that the caller falls back to the embedded copy. */
static bs_rc read_override(const char *dir, const char *name, char **text, size_t *len,
                           bool *found)
{
    *found = false;
    size_t ld = strlen(dir), ln = strlen(name);
    char *path = malloc(ld + ln + 5);
    if (path == NULL)
        return BS_ERR_INTERNAL;
    memcpy(path, dir, ld);
    path[ld] = '/';
    memcpy(path + ld + 1, name, ln);
    memcpy(path + ld + 1 + ln, ".gp", 4);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        bs_rc rc = BS_OK;
        if (errno != ENOENT) {
            fprintf(stderr, "balloonsim: cannot read %s: %s\n", path, strerror(errno));
            rc = BS_ERR_INPUT;
        }
        free(path);
        return rc;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    bs_rc rc = buf ? BS_OK : BS_ERR_INTERNAL;
    while (rc == BS_OK) {
        if (n + 1 >= cap) {
            char *nb = realloc(buf, cap * 2);
            if (nb == NULL) {
                rc = BS_ERR_INTERNAL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    if (rc == BS_OK && ferror(f)) {
        fprintf(stderr, "balloonsim: cannot read %s: %s\n", path, strerror(errno));
        rc = BS_ERR_INPUT;
    }
    fclose(f);
    free(path);
    if (rc != BS_OK) {
        free(buf);
        return rc;
    }
    buf[n] = '\0';
    *text = buf;
    *len = n;
    *found = true;
    return BS_OK;
}

bs_rc plot_gp_template(const char *name, char **text, size_t *len)
{
    const char *dir = getenv("BALLOONSIM_PLOTS");
    if (dir != NULL && *dir != '\0') {
        bool found;
        bs_rc rc = read_override(dir, name, text, len, &found);
        if (rc != BS_OK || found)
            return rc;
    }
    const plot_gp_file *e = plot_gp_embedded(name);
    if (e == NULL) {
        fprintf(stderr, "balloonsim: no gnuplot template %s.gp\n", name);
        return BS_ERR_INPUT;
    }
    char *buf = malloc(e->len + 1);
    if (buf == NULL)
        return BS_ERR_INTERNAL;
    memcpy(buf, e->text, e->len);
    buf[e->len] = '\0';
    *text = buf;
    *len = e->len;
    return BS_OK;
}

bs_rc plot_gp_put_template(FILE *f, const char *name)
{
    char *text;
    size_t len;
    bs_rc rc = plot_gp_template(name, &text, &len);
    if (rc != BS_OK)
        return rc;
    if (fwrite(text, 1, len, f) != len)
        rc = BS_ERR_INTERNAL;
    free(text);
    return rc;
}
