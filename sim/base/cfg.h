/* cfg.h -- scenario documents as a tree of nodes, and validation helpers.
 *
 * libyaml's event stream is turned into a small tree once (cfg_parse_*); every
 * later step works on the tree: include merging, vm_defaults deep merge,
 * `--set PATH=VALUE`, sweep variations, then typed reading with validation.
 * Each node remembers file, line and column so that every error can name them.
 *
 * Validation collects errors instead of stopping at the first (docs/scenarios.md):
 * typed getters record a message in cfg_ctx.errs and return BS_ERR_INPUT, the
 * caller carries on.  Getters mark the entries they read as used;
 * cfg_check_unknown() then reports every key nobody read (typos must not pass).
 *
 * Error text: "FILE:LINE:COL: KEYPATH: expected WHAT, found WHAT". */
#ifndef BS_CFG_H
#define BS_CFG_H

#include "sim/base/bs.h"
#include "sim/base/units.h"

#include <stdarg.h>
#include <stdio.h>

typedef enum cfg_kind { CFG_SCALAR, CFG_MAP, CFG_SEQ } cfg_kind;

typedef struct cfg_node cfg_node;

typedef struct cfg_entry {
    char *key; /* map key; NULL in a sequence */
    int line, col; /* of the key (of the item in a sequence) */
    bool used;     /* read by some getter (for unknown-key detection) */
    cfg_node *val;
} cfg_entry;

struct cfg_node {
    cfg_kind kind;
    const char *file; /* interned, owned by the cfg_doc */
    int line, col;    /* 1-based start of the node */
    char *value;      /* scalar text, NULL otherwise */
    bool quoted;      /* scalar was quoted (or !!str): never a bool or null; still read as a
                       * number or size (memory: "4GiB" means 4GiB) */
    size_t n, cap;
    cfg_entry *entries; /* map entries or sequence items, in file order */
};

/* Owns every node and interned file name of one loaded document set. */
typedef struct cfg_doc cfg_doc;

typedef struct cfg_errs {
    char **msgs;
    size_t n, cap;
} cfg_errs;

typedef struct cfg_ctx {
    cfg_errs *errs;
    cfg_doc *doc;
} cfg_ctx;

#define CFG_PATH_MAX 512

/* ---- documents ---- */
bs_rc cfg_doc_new(cfg_doc **out);
void cfg_doc_free(cfg_doc *doc);
/* The doc's copy of a file name (or "--set"-like origin); NULL when out of
 * memory.  Node file pointers are always interned. */
const char *cfg_intern(cfg_doc *doc, const char *name);
/* Parse a file (limits of docs/scenarios.md: 64 MiB, depth 64, duplicate keys are
 * errors).  An empty file yields an empty map and an error at line 1 is left
 * to the caller (scenario.c reports missing keys at the root map). */
bs_rc cfg_parse_file(cfg_doc *doc, const char *path, cfg_errs *errs, cfg_node **root);
/* On BS_ERR_INPUT, *root is still set when the errors leave a usable tree
 * (duplicate keys: the first one is kept), so callers can go on validating
 * and report everything in one pass; it is NULL after syntax errors.
 * Anchors and aliases are expanded by copying (capped against alias bombs);
 * YAML 1.1 merge keys (`<<: *base`) are applied. */
/* Parse text held in memory; `name` stands for the file in messages. */
bs_rc cfg_parse_string(cfg_doc *doc, const char *name, const char *text, cfg_errs *errs,
                       cfg_node **root);

/* ---- tree editing (nodes live in the doc's arena) ---- */
cfg_node *cfg_new_scalar(cfg_doc *doc, const char *file, int line, int col, const char *text);
cfg_node *cfg_new_map(cfg_doc *doc, const char *file, int line, int col);
cfg_node *cfg_new_seq(cfg_doc *doc, const char *file, int line, int col);
bs_rc cfg_map_set(cfg_doc *doc, cfg_node *map, const char *key, cfg_node *val); /* replace or append */
bs_rc cfg_seq_append(cfg_doc *doc, cfg_node *seq, cfg_node *val);
/* Remove `key` from a map (its value stays in the doc); false when absent. */
bool cfg_map_remove(cfg_node *map, const char *key);
cfg_node *cfg_clone(cfg_doc *doc, const cfg_node *n);
/* Deep merge: keys of `over` win; maps merge recursively; anything else is
 * replaced.  Returns a new tree; inputs are untouched. */
cfg_node *cfg_merge(cfg_doc *doc, const cfg_node *under, const cfg_node *over);
/* Find a node by key path ("hosts[0].vms[2].memory", "policy.name").  NULL if
 * absent. */
cfg_node *cfg_lookup(cfg_node *root, const char *path);
/* Set the scalar at a key path, creating missing map keys (not sequence items).
 * Used by --set and sweeps; `origin` names the source in messages
 * (for example "--set"). */
bs_rc cfg_set_path(cfg_doc *doc, cfg_node *root, const char *path, const char *value,
                   const char *origin, cfg_errs *errs);

/* ---- lookup without validation ---- */
cfg_entry *cfg_map_entry(const cfg_node *map, const char *key); /* does not mark used */
const cfg_node *cfg_map_get(const cfg_node *map, const char *key); /* marks used */
const char *cfg_kind_name(const cfg_node *n); /* "a mapping", "a sequence", "a scalar" */
/* An empty, `~` or `null` plain scalar: present, but "found nothing". */
bool cfg_is_null(const cfg_node *n);

/* ---- errors ---- */
void cfg_error(cfg_ctx *cx, const cfg_node *at, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void cfg_error_at(cfg_ctx *cx, const char *file, int line, int col, const char *path,
                  const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* "expected WHAT, found 'text'" (or a mapping / a sequence / nothing) at n. */
void cfg_error_expected(cfg_ctx *cx, const cfg_node *n, const char *path, const char *what);
/* Messages: "FILE:LINE:COL: PATH: text"; line 0 drops line and column (values
 * from --set), col 0 drops the column, a NULL path drops the path, and an
 * empty path reads "(top level)".  Identical messages are kept once. */
void cfg_errs_free(cfg_errs *errs);
void cfg_errs_print(const cfg_errs *errs, FILE *to);
void cfg_path_key(char out[CFG_PATH_MAX], const char *parent, const char *key);
void cfg_path_index(char out[CFG_PATH_MAX], const char *parent, size_t index);

/* ---- typed getters ----
 * Each looks up `key` in `map` (a CFG_MAP; path is the map's key path), marks it
 * used, and converts it.  A missing optional key leaves *out = dflt and returns
 * BS_OK.  A missing required key (the _req forms) records "missing required key
 * 'KEY'" at the map.  A bad value records an error naming the entry and returns
 * BS_ERR_INPUT; *out then holds dflt. */
bs_rc cfg_get_size(cfg_ctx *cx, const cfg_node *map, const char *path, const char *key,
                   bool required, bs_pages dflt, bs_pages *out); /* rounded down to pages */
/* A size in exact bytes (rounded down to a whole byte), for parameters an
 * original controller reads in bytes: `--set vm_min_mem=413762560` stays
 * 413762560, not a page multiple. */
bs_rc cfg_get_bytes(cfg_ctx *cx, const cfg_node *map, const char *path, const char *key,
                    bool required, int64_t dflt, int64_t *out);
bs_rc cfg_get_time(cfg_ctx *cx, const cfg_node *map, const char *path, const char *key,
                   bool required, bs_time dflt, bs_time *out);
bs_rc cfg_get_rate(cfg_ctx *cx, const cfg_node *map, const char *path, const char *key,
                   bool required, double dflt, double *out); /* bytes per second */
bs_rc cfg_get_fraction(cfg_ctx *cx, const cfg_node *map, const char *path, const char *key,
                       bool required, double dflt, double *out);
bs_rc cfg_get_number(cfg_ctx *cx, const cfg_node *map, const char *path, const char *key,
                     bool required, double dflt, double *out); /* plain finite number */
bs_rc cfg_get_count(cfg_ctx *cx, const cfg_node *map, const char *path, const char *key,
                    bool required, int64_t dflt, int64_t *out); /* 1..1,000,000 */
bs_rc cfg_get_uint(cfg_ctx *cx, const cfg_node *map, const char *path, const char *key,
                   bool required, int64_t dflt, int64_t *out); /* whole number >= 0 */
bs_rc cfg_get_bool(cfg_ctx *cx, const cfg_node *map, const char *path, const char *key,
                   bool required, bool dflt, bool *out);
/* Scalar text; *out points into the tree (valid while the doc lives). */
bs_rc cfg_get_string(cfg_ctx *cx, const cfg_node *map, const char *path, const char *key,
                     bool required, const char *dflt, const char **out);
/* Scalar conversions of a node already in hand (sequence items, ...). */
bs_rc cfg_as_size(cfg_ctx *cx, const cfg_node *n, const char *path, bs_pages *out);
bs_rc cfg_as_time(cfg_ctx *cx, const cfg_node *n, const char *path, bs_time *out);
bs_rc cfg_as_number(cfg_ctx *cx, const cfg_node *n, const char *path, double *out);
bs_rc cfg_as_value(cfg_ctx *cx, const cfg_node *n, const char *path, unit_kind kind, double *out);
/* Demand the node be a mapping / sequence; records "expected a mapping, found ..." */
bs_rc cfg_expect_map(cfg_ctx *cx, const cfg_node *n, const char *path);
bs_rc cfg_expect_seq(cfg_ctx *cx, const cfg_node *n, const char *path);
/* Report every entry of `map` that no getter marked used:
 * "unknown key 'KEY' (expected one of: a, b, c)" with `allowed` the list to show. */
void cfg_check_unknown(cfg_ctx *cx, const cfg_node *map, const char *path, const char *allowed);

#endif
