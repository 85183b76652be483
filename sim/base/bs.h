/* bs.h -- types and constants shared by every balloonsim module.
 *
 * Memory is counted in 4 KiB pages (bs_pages) and time in integer nanoseconds
 * (bs_time), as docs/model.md requires: integer time never drifts over a long run and
 * page counts keep host accounting exact.  Fallible functions return a bs_rc and
 * callers thread it (SQLite style); nothing below main() calls exit(). */
#ifndef BS_H
#define BS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BS_VERSION "0.1.0"

typedef int64_t bs_time;  /* nanoseconds since scenario start */
typedef int64_t bs_pages; /* 4 KiB pages */

#define BS_PAGE_SIZE 4096LL
#define BS_NS_PER_S 1000000000LL
#define BS_TIME_NEVER INT64_MAX

/* Return codes double as the process exit codes of docs/outputs.md. */
typedef enum bs_rc {
    BS_OK = 0,
    BS_FAIL_CONDITION = 1, /* --fail-if held, or plan found nothing */
    BS_ERR_INPUT = 2,      /* bad usage or bad input */
    BS_ERR_INTERNAL = 3    /* out of memory, I/O failure, broken invariant */
} bs_rc;

static inline int64_t bs_pages_to_bytes(bs_pages p) { return p * BS_PAGE_SIZE; }
static inline bs_pages bs_bytes_to_pages(int64_t b) { return b / BS_PAGE_SIZE; }
static inline double bs_time_to_s(bs_time t) { return (double)t / (double)BS_NS_PER_S; }

#define BS_MIN(a, b) ((a) < (b) ? (a) : (b))
#define BS_MAX(a, b) ((a) > (b) ? (a) : (b))
#define BS_CONTAINER_OF(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

#endif
