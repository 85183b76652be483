/* strutil.c -- string helpers shared by every layer (strutil.h).
 *
 * Why it looks like this: quoting is deliberately minimal (single quotes,
 * with '\'' for a quote inside) and only applied when an argument has a
 * character outside a conservative plain set, so ordinary command lines in
 * run.json stay readable and pasting one back into a shell repeats the run. */
#include "sim/base/strutil.h"

#include <stdarg.h>
#include <stdio.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Shell-safe characters: an argument made only of these needs no quotes. */
static bool shell_plain(const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s; s++)
        if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_@%+=:,./-",
                    *s))
            return false;
    return true;
}

char *bs_join_argv(int argc, char *const *argv)
{
    size_t len = 1;
    for (int i = 0; i < argc; i++)
        len += 4 * strlen(argv[i]) + 3; /* worst case: every char a quote ('\'') */
    char *s = malloc(len), *o = s;
    if (s == NULL)
        return NULL;
    for (int i = 0; i < argc; i++) {
        if (i)
            *o++ = ' ';
        if (shell_plain(argv[i])) {
            size_t n = strlen(argv[i]);
            memcpy(o, argv[i], n);
            o += n;
            continue;
        }
        *o++ = '\'';
        for (const char *p = argv[i]; *p; p++) {
            if (*p == '\'') {
                memcpy(o, "'\\''", 4);
                o += 4;
            } else {
                *o++ = *p;
            }
        }
        *o++ = '\'';
    }
    *o = '\0';
    return s;
}

void bs_errf(char *err, size_t len, const char *fmt, ...)
{
    if (len == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, len, fmt, ap);
    va_end(ap);
}
