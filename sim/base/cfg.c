/* cfg.c -- YAML scenario documents as a tree, and validation with positions.
 *
 * Why an own tree instead of libyaml's document API: we need per-node file,
 * line and column after merging several files (includes, vm_defaults,
 * --set), "used" marks for unknown-key detection, and hard limits (depth,
 * node count against alias bombs) enforced while parsing.  libyaml's event
 * parser gives us all the positions; the tree is built from its events.
 *
 * Memory: nodes come from blocks owned by the cfg_doc and are never freed one
 * by one (a replaced subtree just stays in the doc until cfg_doc_free), which
 * keeps cfg_merge / cfg_set_path free of ownership bookkeeping.
 *
 * Errors are collected (never printed here) so a user sees every problem of a
 * file in one run.  Identical messages are recorded once, so a getter called
 * on the same bad node twice does not repeat itself. */
#include "sim/base/cfg.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#define CFG_MAX_FILE_BYTES (64LL << 20) /* docs/scenarios.md limits */
#define CFG_MAX_DEPTH 64
#define CFG_MAX_NODES 10000000 /* per doc */
#define CFG_MAX_ALIAS_NODES 1000000 /* nodes made by expanding aliases, per doc */
#define CFG_MAX_ERRORS 1000
#define CFG_FOUND_MAX 60 /* scalar text quoted in messages is cut here */
#define NODE_BLOCK 512

typedef struct node_block {
    struct node_block *next;
    size_t used;
    cfg_node nodes[NODE_BLOCK];
} node_block;

struct cfg_doc {
    node_block *blocks;
    size_t n_nodes;
    size_t alias_nodes;
    char **files;
    size_t n_files, cap_files;
};

/* ------------------------------------------------------------------ */
/* documents and nodes                                                  */

bs_rc cfg_doc_new(cfg_doc **out) {
    *out = calloc(1, sizeof **out);
    return *out ? BS_OK : BS_ERR_INTERNAL;
}

void cfg_doc_free(cfg_doc *doc) {
    if (!doc) return;
    node_block *b = doc->blocks;
    while (b) {
        node_block *next = b->next;
        for (size_t i = 0; i < b->used; i++) {
            cfg_node *n = &b->nodes[i];
            free(n->value);
            for (size_t j = 0; j < n->n; j++) free(n->entries[j].key);
            free(n->entries);
        }
        free(b);
        b = next;
    }
    for (size_t i = 0; i < doc->n_files; i++) free(doc->files[i]);
    free(doc->files);
    free(doc);
}

const char *cfg_intern(cfg_doc *doc, const char *name) {
    if (!name) name = "";
    for (size_t i = 0; i < doc->n_files; i++)
        if (doc->files[i] == name || strcmp(doc->files[i], name) == 0) return doc->files[i];
    if (doc->n_files == doc->cap_files) {
        size_t cap = doc->cap_files ? doc->cap_files * 2 : 8;
        char **f = realloc(doc->files, cap * sizeof *f);
        if (!f) return NULL;
        doc->files = f;
        doc->cap_files = cap;
    }
    char *s = strdup(name);
    if (!s) return NULL;
    doc->files[doc->n_files++] = s;
    return s;
}

static cfg_node *node_alloc(cfg_doc *doc, cfg_kind kind, const char *file, int line, int col) {
    if (doc->n_nodes >= CFG_MAX_NODES) return NULL;
    if (!doc->blocks || doc->blocks->used == NODE_BLOCK) {
        node_block *b = malloc(sizeof *b);
        if (!b) return NULL;
        b->next = doc->blocks;
        b->used = 0;
        doc->blocks = b;
    }
    const char *f = cfg_intern(doc, file);
    if (!f) return NULL;
    cfg_node *n = &doc->blocks->nodes[doc->blocks->used++];
    memset(n, 0, sizeof *n);
    n->kind = kind;
    n->file = f;
    n->line = line;
    n->col = col;
    doc->n_nodes++;
    return n;
}

cfg_node *cfg_new_scalar(cfg_doc *doc, const char *file, int line, int col, const char *text) {
    char *v = strdup(text ? text : "");
    if (!v) return NULL;
    cfg_node *n = node_alloc(doc, CFG_SCALAR, file, line, col);
    if (!n) {
        free(v);
        return NULL;
    }
    n->value = v;
    return n;
}

cfg_node *cfg_new_map(cfg_doc *doc, const char *file, int line, int col) {
    return node_alloc(doc, CFG_MAP, file, line, col);
}

cfg_node *cfg_new_seq(cfg_doc *doc, const char *file, int line, int col) {
    return node_alloc(doc, CFG_SEQ, file, line, col);
}

/* Append an entry; takes ownership of `key` (NULL in sequences). */
static bs_rc entry_append(cfg_node *n, char *key, int line, int col, cfg_node *val) {
    if (n->n == n->cap) {
        size_t cap = n->cap ? n->cap * 2 : 4;
        cfg_entry *e = realloc(n->entries, cap * sizeof *e);
        if (!e) {
            free(key);
            return BS_ERR_INTERNAL;
        }
        n->entries = e;
        n->cap = cap;
    }
    n->entries[n->n++] = (cfg_entry){.key = key, .line = line, .col = col, .used = false, .val = val};
    return BS_OK;
}

bs_rc cfg_map_set(cfg_doc *doc, cfg_node *map, const char *key, cfg_node *val) {
    (void)doc;
    assert(map && map->kind == CFG_MAP && key && val);
    cfg_entry *e = cfg_map_entry(map, key);
    if (e) {
        e->val = val;
        e->used = false;
        return BS_OK;
    }
    char *k = strdup(key);
    if (!k) return BS_ERR_INTERNAL;
    return entry_append(map, k, val->line, val->col, val);
}

bool cfg_map_remove(cfg_node *map, const char *key) {
    cfg_entry *e = cfg_map_entry(map, key);
    if (!e) return false;
    size_t i = (size_t)(e - map->entries);
    free(e->key);
    memmove(&map->entries[i], &map->entries[i + 1], (map->n - i - 1) * sizeof *e);
    map->n--;
    return true;
}

bs_rc cfg_seq_append(cfg_doc *doc, cfg_node *seq, cfg_node *val) {
    (void)doc;
    assert(seq && seq->kind == CFG_SEQ && val);
    return entry_append(seq, NULL, val->line, val->col, val);
}

/* Deep copy; *budget (if not NULL) limits how many nodes may be made. */
static cfg_node *clone_limited(cfg_doc *doc, const cfg_node *n, size_t *budget) {
    if (budget) {
        if (*budget == 0) return NULL;
        (*budget)--;
    }
    cfg_node *c = n->kind == CFG_SCALAR ? cfg_new_scalar(doc, n->file, n->line, n->col, n->value)
                                        : node_alloc(doc, n->kind, n->file, n->line, n->col);
    if (!c) return NULL;
    c->quoted = n->quoted;
    for (size_t i = 0; i < n->n; i++) {
        const cfg_entry *e = &n->entries[i];
        cfg_node *v = clone_limited(doc, e->val, budget);
        if (!v) return NULL;
        char *k = NULL;
        if (e->key && !(k = strdup(e->key))) return NULL;
        if (entry_append(c, k, e->line, e->col, v) != BS_OK) return NULL;
    }
    return c;
}

cfg_node *cfg_clone(cfg_doc *doc, const cfg_node *n) {
    return n ? clone_limited(doc, n, NULL) : NULL;
}

cfg_node *cfg_merge(cfg_doc *doc, const cfg_node *under, const cfg_node *over) {
    if (!over) return under ? cfg_clone(doc, under) : NULL;
    if (!under || under->kind != CFG_MAP || over->kind != CFG_MAP) return cfg_clone(doc, over);
    cfg_node *res = cfg_new_map(doc, over->file, over->line, over->col);
    if (!res) return NULL;
    for (size_t i = 0; i < under->n; i++) {
        const cfg_entry *e = &under->entries[i];
        const cfg_entry *o = cfg_map_entry(over, e->key);
        cfg_node *v = o ? cfg_merge(doc, e->val, o->val) : cfg_clone(doc, e->val);
        char *k = strdup(e->key);
        if (!v || !k) {
            free(k);
            return NULL;
        }
        /* A key the upper map sets is positioned where the upper map says. */
        if (entry_append(res, k, o ? o->line : e->line, o ? o->col : e->col, v) != BS_OK) return NULL;
    }
    for (size_t i = 0; i < over->n; i++) {
        const cfg_entry *o = &over->entries[i];
        if (cfg_map_entry(under, o->key)) continue;
        cfg_node *v = cfg_clone(doc, o->val);
        char *k = strdup(o->key);
        if (!v || !k) {
            free(k);
            return NULL;
        }
        if (entry_append(res, k, o->line, o->col, v) != BS_OK) return NULL;
    }
    return res;
}

/* ------------------------------------------------------------------ */
/* lookup                                                               */

cfg_entry *cfg_map_entry(const cfg_node *map, const char *key) {
    if (!map || map->kind != CFG_MAP || !key) return NULL;
    for (size_t i = 0; i < map->n; i++)
        if (strcmp(map->entries[i].key, key) == 0) return &map->entries[i];
    return NULL;
}

const cfg_node *cfg_map_get(const cfg_node *map, const char *key) {
    cfg_entry *e = cfg_map_entry(map, key);
    if (!e) return NULL;
    e->used = true;
    return e->val;
}

const char *cfg_kind_name(const cfg_node *n) {
    if (!n) return "nothing";
    switch (n->kind) {
    case CFG_MAP: return "a mapping";
    case CFG_SEQ: return "a sequence";
    case CFG_SCALAR: return "a scalar";
    }
    return "a scalar";
}

bool cfg_is_null(const cfg_node *n) {
    if (!n) return true;
    if (n->kind != CFG_SCALAR || n->quoted) return false;
    const char *v = n->value;
    return v[0] == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 || strcmp(v, "Null") == 0 ||
           strcmp(v, "NULL") == 0;
}

/* "'text'", "a mapping", "a sequence", "nothing": the "found" half of messages. */
static void describe(char *buf, size_t len, const cfg_node *n) {
    if (!n || cfg_is_null(n)) {
        snprintf(buf, len, "nothing");
    } else if (n->kind != CFG_SCALAR) {
        snprintf(buf, len, "%s%s", n->n ? "" : "an empty ", n->n ? cfg_kind_name(n) : cfg_kind_name(n) + 2);
    } else if (strlen(n->value) > CFG_FOUND_MAX) {
        snprintf(buf, len, "'%.*s...'", CFG_FOUND_MAX, n->value);
    } else {
        snprintf(buf, len, "'%s'", n->value);
    }
}

/* One step of a key path: a key ("vms") or an index ("[2]"). */
typedef struct path_seg {
    bool is_index;
    size_t index;
    const char *key;
    size_t key_len;
} path_seg;

/* Returns 1 with a segment, 0 at the end, -1 when the path is malformed. */
static int next_seg(const char **pp, bool first, path_seg *s) {
    const char *p = *pp;
    if (*p == '\0') return 0;
    if (*p == '[') {
        char *end;
        if (first || p[1] < '0' || p[1] > '9') return -1;
        errno = 0;
        unsigned long long v = strtoull(p + 1, &end, 10);
        if (errno || *end != ']') return -1;
        s->is_index = true;
        s->index = (size_t)v;
        *pp = end + 1;
        return 1;
    }
    if (*p == '.') {
        if (first) return -1;
        p++;
    } else if (!first) {
        return -1;
    }
    const char *k = p;
    while (*p && *p != '.' && *p != '[') p++;
    if (p == k) return -1;
    s->is_index = false;
    s->key = k;
    s->key_len = (size_t)(p - k);
    *pp = p;
    return 1;
}

static cfg_entry *map_entry_n(const cfg_node *map, const char *key, size_t len) {
    for (size_t i = 0; i < map->n; i++)
        if (strlen(map->entries[i].key) == len && memcmp(map->entries[i].key, key, len) == 0)
            return &map->entries[i];
    return NULL;
}

cfg_node *cfg_lookup(cfg_node *root, const char *path) {
    const char *p = path ? path : "";
    cfg_node *n = root;
    path_seg s;
    int r;
    bool first = true;

    while (n && (r = next_seg(&p, first, &s)) != 0) {
        if (r < 0) return NULL;
        first = false;
        if (s.is_index) {
            if (n->kind != CFG_SEQ || s.index >= n->n) return NULL;
            n = n->entries[s.index].val;
        } else {
            if (n->kind != CFG_MAP) return NULL;
            cfg_entry *e = map_entry_n(n, s.key, s.key_len);
            n = e ? e->val : NULL;
        }
    }
    return n;
}

/* ------------------------------------------------------------------ */
/* errors                                                               */

static void errs_add(cfg_errs *errs, char *msg) {
    if (!msg) return;
    for (size_t i = 0; i < errs->n; i++) {
        if (strcmp(errs->msgs[i], msg) == 0) {
            free(msg);
            return;
        }
    }
    if (errs->n >= CFG_MAX_ERRORS) {
        free(msg);
        return;
    }
    if (errs->n == errs->cap) {
        size_t cap = errs->cap ? errs->cap * 2 : 16;
        char **m = realloc(errs->msgs, cap * sizeof *m);
        if (!m) {
            free(msg);
            return;
        }
        errs->msgs = m;
        errs->cap = cap;
    }
    errs->msgs[errs->n++] = msg;
    if (errs->n == CFG_MAX_ERRORS) {
        char *more = strdup("too many errors: only the first ones are shown");
        if (more) {
            errs->msgs[errs->n - 1] = more;
            free(msg);
        }
    }
}

static void verror(cfg_errs *errs, const char *file, int line, int col, const char *path,
                   const char *fmt, va_list ap) {
    char prefix[CFG_PATH_MAX + 600];
    char body[1024];
    size_t used = 0;

    if (!errs) return;
    prefix[0] = '\0';
    if (file) {
        if (line > 0 && col > 0) used = (size_t)snprintf(prefix, sizeof prefix, "%s:%d:%d: ", file, line, col);
        else if (line > 0) used = (size_t)snprintf(prefix, sizeof prefix, "%s:%d: ", file, line);
        else used = (size_t)snprintf(prefix, sizeof prefix, "%s: ", file);
    }
    if (used >= sizeof prefix) used = sizeof prefix - 1;
    if (path) snprintf(prefix + used, sizeof prefix - used, "%s: ", path[0] ? path : "(top level)");
    vsnprintf(body, sizeof body, fmt, ap);
    size_t len = strlen(prefix) + strlen(body) + 1;
    char *msg = malloc(len);
    if (!msg) return;
    snprintf(msg, len, "%s%s", prefix, body);
    errs_add(errs, msg);
}

void cfg_error(cfg_ctx *cx, const cfg_node *at, const char *path, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    verror(cx->errs, at ? at->file : NULL, at ? at->line : 0, at ? at->col : 0, path, fmt, ap);
    va_end(ap);
}

void cfg_error_at(cfg_ctx *cx, const char *file, int line, int col, const char *path,
                  const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    verror(cx->errs, file, line, col, path, fmt, ap);
    va_end(ap);
}

static void errs_printf(cfg_errs *errs, const char *file, int line, int col, const char *path,
                        const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static void errs_printf(cfg_errs *errs, const char *file, int line, int col, const char *path,
                        const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    verror(errs, file, line, col, path, fmt, ap);
    va_end(ap);
}

void cfg_error_expected(cfg_ctx *cx, const cfg_node *n, const char *path, const char *what) {
    char found[CFG_FOUND_MAX + 16];
    describe(found, sizeof found, n);
    cfg_error(cx, n, path, "expected %s, found %s", what, found);
}

void cfg_errs_free(cfg_errs *errs) {
    if (!errs) return;
    for (size_t i = 0; i < errs->n; i++) free(errs->msgs[i]);
    free(errs->msgs);
    errs->msgs = NULL;
    errs->n = errs->cap = 0;
}

void cfg_errs_print(const cfg_errs *errs, FILE *to) {
    for (size_t i = 0; i < errs->n; i++) fprintf(to, "%s\n", errs->msgs[i]);
}

/* Paths longer than CFG_PATH_MAX are cut: they only ever appear in messages.
 * (Built by hand: snprintf would make GCC warn about the truncation we want.) */
static void path_join(char out[CFG_PATH_MAX], const char *a, const char *sep, const char *b) {
    size_t used = 0;
    const char *parts[3] = {a, sep, b};
    for (int i = 0; i < 3; i++) {
        size_t len = strlen(parts[i]);
        if (len > CFG_PATH_MAX - 1 - used) len = CFG_PATH_MAX - 1 - used;
        memmove(out + used, parts[i], len);
        used += len;
    }
    out[used] = '\0';
}

void cfg_path_key(char out[CFG_PATH_MAX], const char *parent, const char *key) {
    if (!parent || !parent[0] || strcmp(parent, "(top level)") == 0) path_join(out, "", "", key);
    else path_join(out, parent, ".", key);
}

void cfg_path_index(char out[CFG_PATH_MAX], const char *parent, size_t index) {
    char idx[32];
    snprintf(idx, sizeof idx, "[%zu]", index);
    path_join(out, parent ? parent : "", "", idx);
}

/* ------------------------------------------------------------------ */
/* parsing                                                              */

typedef struct frame {
    cfg_node *node;
    char *anchor; /* registered when the node is complete: no self-reference */
    char *key;    /* map: key waiting for its value */
    int key_line, key_col;
    bool have_key, key_is_merge;
    cfg_node **merges; /* values of `<<` keys (YAML 1.1 merge) */
    size_t n_merges, cap_merges;
    char path[CFG_PATH_MAX];
} frame;

typedef struct anchor_def {
    char *name;
    cfg_node *node;
} anchor_def;

typedef struct parser {
    cfg_doc *doc;
    cfg_errs *errs;
    const char *file; /* interned */
    const char *text;
    size_t len;
    frame *stack; /* CFG_MAX_DEPTH frames */
    size_t depth;
    anchor_def *anchors;
    size_t n_anchors, cap_anchors;
    cfg_node *root;
    int docs;
    bool fatal;  /* the tree is unusable */
    bool errors; /* errors that leave a usable tree (duplicate keys, ...) */
} parser;

static void perr(parser *ps, int line, int col, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void perr(parser *ps, int line, int col, const char *path, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    verror(ps->errs, ps->file, line, col, path, fmt, ap);
    va_end(ap);
}

static void oom(parser *ps) {
    if (!ps->fatal) perr(ps, 0, 0, NULL, "out of memory while reading the file");
    ps->fatal = true;
}

static void too_many_nodes(parser *ps, int line, int col) {
    if (!ps->fatal)
        perr(ps, line, col, NULL, "too many nodes (more than %d, or %d made by aliases)", CFG_MAX_NODES,
             CFG_MAX_ALIAS_NODES);
    ps->fatal = true;
}

static void node_fail(parser *ps, int line, int col) {
    if (ps->doc->n_nodes >= CFG_MAX_NODES) too_many_nodes(ps, line, col);
    else oom(ps);
}

/* Byte offset of 0-based (line, column in characters) in the text. */
static size_t mark_offset(const parser *ps, size_t line, size_t column) {
    size_t off = 0;
    for (size_t l = 0; l < line && off < ps->len; off++)
        if (ps->text[off] == '\n') l++;
    for (size_t c = 0; c < column && off < ps->len; c++) {
        off++;
        while (off < ps->len && ((unsigned char)ps->text[off] & 0xc0) == 0x80) off++;
    }
    return off;
}

static void report_yaml_error(parser *ps, const yaml_parser_t *yp) {
    if (yp->error == YAML_MEMORY_ERROR) {
        oom(ps);
        return;
    }
    ps->fatal = true;
    const char *problem = yp->problem ? yp->problem : "malformed YAML";
    if (yp->error == YAML_READER_ERROR) {
        size_t off = yp->problem_offset < ps->len ? yp->problem_offset : ps->len;
        int line = 1, col = 1;
        for (size_t i = 0; i < off; i++) {
            if (ps->text[i] == '\n') line++, col = 1;
            else if (((unsigned char)ps->text[i] & 0xc0) != 0x80) col++;
        }
        if (yp->problem_value != -1)
            perr(ps, line, col, NULL, "syntax error: %s (byte 0x%02x)", problem, (unsigned)yp->problem_value & 0xffu);
        else
            perr(ps, line, col, NULL, "syntax error: %s", problem);
        return;
    }
    /* For a key lacking its ':' libyaml notices only on a later line; the key
     * itself (the context mark) is where the user has to look. */
    yaml_mark_t mark = yp->problem_mark;
    if (yp->context && strstr(yp->context, "simple key")) mark = yp->context_mark;
    size_t off = mark_offset(ps, yp->problem_mark.line, yp->problem_mark.column);
    bool tab = off < ps->len && ps->text[off] == '\t';
    perr(ps, (int)mark.line + 1, (int)mark.column + 1, NULL, "syntax error: %s%s%s%s%s", problem,
         yp->context ? " (" : "", yp->context ? yp->context : "", yp->context ? ")" : "",
         tab ? "; tabs cannot be used for indentation, use spaces" : "");
}

static frame *top(parser *ps) { return ps->depth ? &ps->stack[ps->depth - 1] : NULL; }

/* Path of the node about to be attached to the current container. */
static void child_path(parser *ps, char out[CFG_PATH_MAX]) {
    frame *f = top(ps);
    if (!f) out[0] = '\0';
    else if (f->node->kind == CFG_SEQ) cfg_path_index(out, f->path, f->node->n);
    else if (f->have_key) cfg_path_key(out, f->path, f->key);
    else snprintf(out, CFG_PATH_MAX, "%s", f->path);
}

static bs_rc add_anchor(parser *ps, const char *name, cfg_node *node) {
    if (ps->n_anchors == ps->cap_anchors) {
        size_t cap = ps->cap_anchors ? ps->cap_anchors * 2 : 8;
        anchor_def *a = realloc(ps->anchors, cap * sizeof *a);
        if (!a) return BS_ERR_INTERNAL;
        ps->anchors = a;
        ps->cap_anchors = cap;
    }
    char *n = strdup(name);
    if (!n) return BS_ERR_INTERNAL;
    ps->anchors[ps->n_anchors++] = (anchor_def){n, node};
    return BS_OK;
}

static cfg_node *find_anchor(parser *ps, const char *name) {
    for (size_t i = ps->n_anchors; i-- > 0;) /* a redefined anchor means its latest node */
        if (strcmp(ps->anchors[i].name, name) == 0) return ps->anchors[i].node;
    return NULL;
}

/* Hang a new node (scalar, container at its start, or alias copy) under the
 * current container; a scalar may be a map key instead. */
static void attach(parser *ps, cfg_node *node, bool plain) {
    frame *f = top(ps);
    if (!f) {
        if (!ps->root) ps->root = node;
        return;
    }
    if (f->node->kind == CFG_SEQ) {
        if (entry_append(f->node, NULL, node->line, node->col, node) != BS_OK) oom(ps);
        return;
    }
    if (!f->have_key) {
        if (node->kind != CFG_SCALAR) {
            perr(ps, node->line, node->col, f->path[0] ? f->path : "", "expected a scalar key, found %s",
                 cfg_kind_name(node));
            ps->fatal = true;
            return;
        }
        f->key = strdup(node->value);
        if (!f->key) {
            oom(ps);
            return;
        }
        f->have_key = true;
        f->key_is_merge = plain && strcmp(node->value, "<<") == 0;
        f->key_line = node->line;
        f->key_col = node->col;
        return;
    }
    /* An empty value has no text to point at; its key is where to look. */
    if (node->kind == CFG_SCALAR && plain && node->value[0] == '\0') {
        node->line = f->key_line;
        node->col = f->key_col;
    }
    f->have_key = false;
    if (f->key_is_merge) {
        free(f->key);
        f->key = NULL;
        if (f->n_merges == f->cap_merges) {
            size_t cap = f->cap_merges ? f->cap_merges * 2 : 2;
            cfg_node **m = realloc(f->merges, cap * sizeof *m);
            if (!m) {
                oom(ps);
                return;
            }
            f->merges = m;
            f->cap_merges = cap;
        }
        f->merges[f->n_merges++] = node;
        return;
    }
    char *key = f->key;
    f->key = NULL;
    if (entry_append(f->node, key, f->key_line, f->key_col, node) != BS_OK) oom(ps);
}

typedef struct key_idx {
    const char *key;
    size_t idx;
} key_idx;

static int cmp_key_idx(const void *a, const void *b) {
    const key_idx *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    if (c) return c;
    return (x->idx > y->idx) - (x->idx < y->idx);
}

static int cmp_size(const void *a, const void *b) {
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

/* Report every repeated key at its second (third, ...) occurrence naming the
 * line of the first, and keep only the first.  Sorting keeps huge maps
 * O(n log n). */
static void check_duplicates(parser *ps, frame *f) {
    cfg_node *m = f->node;
    if (m->n < 2) return;
    key_idx *ki = malloc(m->n * sizeof *ki);
    size_t *dups = malloc(m->n * sizeof *dups);
    size_t *first_of = malloc(m->n * sizeof *first_of);
    if (!ki || !dups || !first_of) {
        free(ki), free(dups), free(first_of);
        oom(ps);
        return;
    }
    for (size_t i = 0; i < m->n; i++) ki[i] = (key_idx){m->entries[i].key, i};
    qsort(ki, m->n, sizeof *ki, cmp_key_idx);
    size_t nd = 0;
    for (size_t i = 1; i < m->n; i++) {
        size_t g = i;
        while (g > 0 && strcmp(ki[g - 1].key, ki[i].key) == 0) g--;
        if (g != i) {
            dups[nd++] = ki[i].idx;
            first_of[ki[i].idx] = ki[g].idx;
        }
    }
    if (nd) {
        qsort(dups, nd, sizeof *dups, cmp_size);
        for (size_t d = 0; d < nd; d++) {
            cfg_entry *e = &m->entries[dups[d]];
            char path[CFG_PATH_MAX];
            cfg_path_key(path, f->path, e->key);
            perr(ps, e->line, e->col, path, "duplicate key '%s' (first at line %d)", e->key,
                 m->entries[first_of[dups[d]]].line);
            free(e->key);
            e->key = NULL;
        }
        size_t w = 0;
        for (size_t i = 0; i < m->n; i++)
            if (m->entries[i].key) m->entries[w++] = m->entries[i];
        m->n = w;
        ps->errors = true;
    }
    free(ki), free(dups), free(first_of);
}

/* `<<: *base` (or a list of them): keys the map does not set itself come from
 * the merged maps, earlier ones first. */
static void apply_merges(parser *ps, frame *f) {
    for (size_t i = 0; i < f->n_merges; i++) {
        cfg_node *src = f->merges[i];
        size_t n_src = src->kind == CFG_SEQ ? src->n : 1;
        for (size_t s = 0; s < n_src; s++) {
            cfg_node *m = src->kind == CFG_SEQ ? src->entries[s].val : src;
            if (m->kind != CFG_MAP) {
                char path[CFG_PATH_MAX], found[CFG_FOUND_MAX + 16];
                cfg_path_key(path, f->path, "<<");
                describe(found, sizeof found, m);
                perr(ps, m->line, m->col, path, "expected a mapping or a list of mappings to merge, found %s",
                     found);
                ps->errors = true;
                continue;
            }
            for (size_t j = 0; j < m->n; j++) {
                cfg_entry *e = &m->entries[j];
                if (cfg_map_entry(f->node, e->key)) continue;
                char *k = strdup(e->key);
                if (!k || entry_append(f->node, k, e->line, e->col, e->val) != BS_OK) {
                    oom(ps);
                    return;
                }
            }
        }
    }
}

static void frame_release(frame *f) {
    free(f->anchor);
    free(f->key);
    free(f->merges);
    memset(f, 0, sizeof *f);
}

static void push(parser *ps, cfg_node *node, const char *anchor, const char *path) {
    frame *f = &ps->stack[ps->depth++];
    memset(f, 0, sizeof *f);
    f->node = node;
    snprintf(f->path, sizeof f->path, "%s", path);
    if (anchor && !(f->anchor = strdup(anchor))) oom(ps);
}

static void pop(parser *ps) {
    frame *f = top(ps);
    assert(f);
    if (f->node->kind == CFG_MAP) {
        check_duplicates(ps, f);
        apply_merges(ps, f);
    }
    if (f->anchor && add_anchor(ps, f->anchor, f->node) != BS_OK) oom(ps);
    frame_release(f);
    ps->depth--;
}

static bool scalar_is_str_tagged(const yaml_event_t *ev) {
    const char *tag = (const char *)ev->data.scalar.tag;
    return tag && (strcmp(tag, YAML_STR_TAG) == 0 || strcmp(tag, "!!str") == 0);
}

static void handle_event(parser *ps, yaml_event_t *ev) {
    int line = (int)ev->start_mark.line + 1, col = (int)ev->start_mark.column + 1;
    char path[CFG_PATH_MAX];

    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (++ps->docs > 1) {
            perr(ps, line, col, NULL, "expected a single YAML document, found a second one");
            ps->fatal = true;
        }
        break;
    case YAML_SCALAR_EVENT: {
        cfg_node *n = cfg_new_scalar(ps->doc, ps->file, line, col, (const char *)ev->data.scalar.value);
        if (!n) {
            node_fail(ps, line, col);
            return;
        }
        bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !scalar_is_str_tagged(ev);
        n->quoted = !plain;
        attach(ps, n, plain);
        if (ev->data.scalar.anchor && add_anchor(ps, (const char *)ev->data.scalar.anchor, n) != BS_OK)
            oom(ps);
        break;
    }
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
        bool is_map = ev->type == YAML_MAPPING_START_EVENT;
        child_path(ps, path);
        if (ps->depth >= CFG_MAX_DEPTH) {
            perr(ps, line, col, path, "nesting deeper than %d levels", CFG_MAX_DEPTH);
            ps->fatal = true;
            return;
        }
        cfg_node *n = is_map ? cfg_new_map(ps->doc, ps->file, line, col) : cfg_new_seq(ps->doc, ps->file, line, col);
        if (!n) {
            node_fail(ps, line, col);
            return;
        }
        attach(ps, n, false);
        if (ps->fatal) return;
        const yaml_char_t *anchor = is_map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
        push(ps, n, (const char *)anchor, path);
        break;
    }
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        pop(ps);
        break;
    case YAML_ALIAS_EVENT: {
        const char *name = (const char *)ev->data.alias.anchor;
        cfg_node *src = find_anchor(ps, name);
        child_path(ps, path);
        if (!src) {
            perr(ps, line, col, path, "unknown alias '*%s' (no complete node has the anchor '&%s')", name, name);
            ps->fatal = true;
            return;
        }
        size_t budget = ps->doc->alias_nodes < CFG_MAX_ALIAS_NODES ? CFG_MAX_ALIAS_NODES - ps->doc->alias_nodes : 0;
        size_t before = budget;
        cfg_node *n = clone_limited(ps->doc, src, &budget);
        ps->doc->alias_nodes += before - budget;
        if (!n) {
            if (budget == 0) too_many_nodes(ps, line, col);
            else node_fail(ps, line, col);
            return;
        }
        /* The copy as a whole is where the alias is; its insides stay where
         * the anchored node wrote them. */
        n->line = line;
        n->col = col;
        attach(ps, n, !n->quoted);
        break;
    }
    default:
        break;
    }
}

/* Parse text; `any_root` accepts any node as the root (values of --set). */
static bs_rc parse_text(cfg_doc *doc, const char *name, const char *text, size_t len, cfg_errs *errs,
                        bool any_root, cfg_node **root) {
    parser ps = {.doc = doc, .errs = errs, .text = text, .len = len};
    yaml_parser_t yp;
    bs_rc rc = BS_OK;

    *root = NULL;
    ps.file = cfg_intern(doc, name);
    ps.stack = calloc(CFG_MAX_DEPTH, sizeof *ps.stack);
    if (!ps.file || !ps.stack) {
        free(ps.stack);
        errs_printf(errs, name, 0, 0, NULL, "out of memory while reading the file");
        return BS_ERR_INTERNAL;
    }
    if (!yaml_parser_initialize(&yp)) {
        free(ps.stack);
        errs_printf(errs, name, 0, 0, NULL, "out of memory while reading the file");
        return BS_ERR_INTERNAL;
    }
    yaml_parser_set_input_string(&yp, (const unsigned char *)text, len);
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&yp, &ev)) {
            report_yaml_error(&ps, &yp);
            break;
        }
        bool end = ev.type == YAML_STREAM_END_EVENT;
        handle_event(&ps, &ev);
        yaml_event_delete(&ev);
        if (end || ps.fatal) break;
    }
    yaml_parser_delete(&yp);
    while (ps.depth) frame_release(&ps.stack[--ps.depth]);
    free(ps.stack);
    for (size_t i = 0; i < ps.n_anchors; i++) free(ps.anchors[i].name);
    free(ps.anchors);

    if (!ps.fatal && !any_root) {
        cfg_node *r = ps.root;
        if (!r || cfg_is_null(r)) {
            /* An empty file is an empty mapping: the caller then reports the
             * keys it lacks at line 1. */
            r = cfg_new_map(doc, ps.file, 1, 1);
            if (!r) oom(&ps);
            ps.root = r;
        } else if (r->kind != CFG_MAP) {
            char found[CFG_FOUND_MAX + 16];
            describe(found, sizeof found, r);
            perr(&ps, r->line, r->col, "", "expected a mapping, found %s", found);
            ps.fatal = true;
        }
    }
    if (ps.fatal) {
        rc = BS_ERR_INPUT;
    } else {
        *root = ps.root;
        if (ps.errors) rc = BS_ERR_INPUT;
    }
    return rc;
}

bs_rc cfg_parse_string(cfg_doc *doc, const char *name, const char *text, cfg_errs *errs,
                       cfg_node **root) {
    return parse_text(doc, name, text, strlen(text), errs, false, root);
}

bs_rc cfg_parse_file(cfg_doc *doc, const char *path, cfg_errs *errs, cfg_node **root) {
    struct stat st;
    *root = NULL;
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        errs_printf(errs, path, 0, 0, NULL, "cannot open: %s", strerror(errno));
        return BS_ERR_INPUT;
    }
    if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
        errs_printf(errs, path, 0, 0, NULL, "cannot open: %s", S_ISDIR(st.st_mode) ? strerror(EISDIR) : strerror(errno));
        close(fd);
        return BS_ERR_INPUT;
    }
    if (S_ISREG(st.st_mode) && st.st_size > CFG_MAX_FILE_BYTES) {
        errs_printf(errs, path, 0, 0, NULL, "file too large (%lld bytes; the limit is 64 MiB)",
                    (long long)st.st_size);
        close(fd);
        return BS_ERR_INPUT;
    }
    /* Read up to one byte past the limit: pipes have no size to check. */
    size_t cap = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : 65536, len = 0;
    char *buf = malloc(cap + 1);
    bs_rc rc = BS_OK;
    while (buf) {
        if (len == cap) {
            if (cap > (size_t)CFG_MAX_FILE_BYTES) break;
            char *b = realloc(buf, cap * 2 + 1);
            if (!b) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = b;
            cap *= 2;
        }
        ssize_t r = read(fd, buf + len, cap - len);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            errs_printf(errs, path, 0, 0, NULL, "cannot read: %s", strerror(errno));
            rc = BS_ERR_INPUT;
            break;
        }
        if (r == 0) break;
        len += (size_t)r;
    }
    close(fd);
    if (!buf) {
        errs_printf(errs, path, 0, 0, NULL, "out of memory while reading the file");
        return BS_ERR_INTERNAL;
    }
    if (rc == BS_OK && len > (size_t)CFG_MAX_FILE_BYTES) {
        errs_printf(errs, path, 0, 0, NULL, "file too large (more than 64 MiB)");
        rc = BS_ERR_INPUT;
    }
    if (rc == BS_OK) {
        buf[len] = '\0';
        rc = parse_text(doc, path, buf, len, errs, false, root);
    }
    free(buf);
    return rc;
}

/* ------------------------------------------------------------------ */
/* editing by key path                                                  */

bs_rc cfg_set_path(cfg_doc *doc, cfg_node *root, const char *path, const char *value,
                   const char *origin, cfg_errs *errs) {
    const char *p = path ? path : "";
    const char *org = origin ? origin : "--set";
    cfg_node *n = root, *parent = NULL;
    cfg_entry *slot = NULL; /* the entry holding n (NULL for the root) */
    path_seg s;
    int r;
    bool first = true;
    char done[CFG_PATH_MAX] = "";

    assert(root && value);
    if (!*p || next_seg(&(const char *){p}, true, &s) < 0) {
        errs_printf(errs, org, 0, 0, NULL, "'%s': expected a key path such as hosts[0].vms[1].memory", p);
        return BS_ERR_INPUT;
    }
    while ((r = next_seg(&p, first, &s)) != 0) {
        char next[CFG_PATH_MAX];
        if (r < 0) {
            errs_printf(errs, org, 0, 0, NULL, "'%s': expected a key path such as hosts[0].vms[1].memory", path);
            return BS_ERR_INPUT;
        }
        first = false;
        if (s.is_index) {
            cfg_path_index(next, done, s.index);
            if (!n || n->kind != CFG_SEQ) {
                errs_printf(errs, org, 0, 0, path, "cannot index %s: it is %s, not a sequence",
                            done[0] ? done : "(top level)", n ? cfg_kind_name(n) : "absent");
                return BS_ERR_INPUT;
            }
            if (s.index >= n->n) {
                errs_printf(errs, org, 0, 0, path, "index %zu is out of range (%s has %zu item%s)", s.index, done,
                            n->n, n->n == 1 ? "" : "s");
                return BS_ERR_INPUT;
            }
            parent = n;
            slot = &n->entries[s.index];
            n = slot->val;
        } else {
            char key[CFG_PATH_MAX];
            snprintf(key, sizeof key, "%.*s", (int)s.key_len, s.key);
            cfg_path_key(next, done, key);
            if (n->kind != CFG_MAP) {
                if (!cfg_is_null(n)) {
                    char found[CFG_FOUND_MAX + 16];
                    describe(found, sizeof found, n);
                    errs_printf(errs, org, 0, 0, path, "cannot set key '%s': %s is %s, not a mapping", key,
                                done[0] ? done : "(top level)", found);
                    return BS_ERR_INPUT;
                }
                /* `x:` with nothing becomes a mapping to hold the new key. */
                cfg_node *m = cfg_new_map(doc, org, 0, 0);
                if (!m) return BS_ERR_INTERNAL;
                assert(slot);
                slot->val = m;
                n = m;
            }
            cfg_entry *e = map_entry_n(n, s.key, s.key_len);
            if (!e) {
                cfg_node *m = cfg_new_map(doc, org, 0, 0);
                if (!m || cfg_map_set(doc, n, key, m) != BS_OK) return BS_ERR_INTERNAL;
                e = cfg_map_entry(n, key);
                e->line = 0;
                e->col = 0;
            }
            parent = n;
            slot = e;
            n = e->val;
        }
        snprintf(done, sizeof done, "%s", next);
    }
    (void)parent;
    assert(slot);
    cfg_node *v;
    if (value[0] == '{' || value[0] == '[') {
        /* A flow value (--set 'x.memory={dist: uniform, min: 1GiB, max: 2GiB}'). */
        bs_rc rc = parse_text(doc, org, value, strlen(value), errs, true, &v);
        if (rc != BS_OK) return rc;
        if (!v) return BS_ERR_INPUT;
    } else {
        v = cfg_new_scalar(doc, org, 0, 0, value);
        if (!v) return BS_ERR_INTERNAL;
    }
    slot->val = v;
    slot->used = false;
    return BS_OK;
}

/* ------------------------------------------------------------------ */
/* typed getters                                                        */

/* The entry `key` of `map`, marked used; NULL when absent (after recording
 * "missing required key" when required). */
static cfg_entry *get_entry(cfg_ctx *cx, const cfg_node *map, const char *path, const char *key,
                            bool required) {
    assert(key);
    if (!map || map->kind != CFG_MAP) {
        cfg_error_expected(cx, map, path, "a mapping");
        return NULL;
    }
    cfg_entry *e = cfg_map_entry(map, key);
    if (e) {
        e->used = true;
        return e;
    }
    if (required) cfg_error(cx, map, path, "missing required key '%s'", key);
    return NULL;
}

static bool getter_missing_ok(const cfg_node *map, bool required) {
    return map && map->kind == CFG_MAP && !required;
}

bs_rc cfg_as_value(cfg_ctx *cx, const cfg_node *n, const char *path, unit_kind kind, double *out) {
    const char *why = unit_kind_name(kind);
    if (!n) {
        cfg_error_expected(cx, n, path, why);
        return BS_ERR_INPUT;
    }
    if (n->kind != CFG_SCALAR || cfg_is_null(n) || unit_parse(kind, n->value, out, &why) != BS_OK) {
        if (n->kind != CFG_SCALAR || cfg_is_null(n)) why = unit_kind_name(kind);
        cfg_error_expected(cx, n, path, why);
        return BS_ERR_INPUT;
    }
    return BS_OK;
}

bs_rc cfg_as_size(cfg_ctx *cx, const cfg_node *n, const char *path, bs_pages *out) {
    double b;
    if (cfg_as_value(cx, n, path, UNIT_SIZE, &b) != BS_OK) return BS_ERR_INPUT;
    *out = (bs_pages)floor(b / (double)BS_PAGE_SIZE);
    return BS_OK;
}

bs_rc cfg_as_time(cfg_ctx *cx, const cfg_node *n, const char *path, bs_time *out) {
    double ns;
    if (cfg_as_value(cx, n, path, UNIT_TIME, &ns) != BS_OK) return BS_ERR_INPUT;
    *out = (bs_time)llround(ns);
    return BS_OK;
}

bs_rc cfg_as_number(cfg_ctx *cx, const cfg_node *n, const char *path, double *out) {
    return cfg_as_value(cx, n, path, UNIT_NUMBER, out);
}

/* Shared body of the getters that convert through cfg_as_value. */
static bs_rc get_value(cfg_ctx *cx, const cfg_node *map, const char *path, const char *key, bool required,
                       unit_kind kind, double *out, const cfg_node **node, char vpath[CFG_PATH_MAX]) {
    cfg_entry *e = get_entry(cx, map, path, key, required);
    *node = NULL;
    if (!e) return getter_missing_ok(map, required) ? BS_OK : BS_ERR_INPUT;
    cfg_path_key(vpath, path, key);
    *node = e->val;
    return cfg_as_value(cx, e->val, vpath, kind, out);
}

bs_rc cfg_get_size(cfg_ctx *cx, const cfg_node *map, const char *path, const char *key, bool required,
                   bs_pages dflt, bs_pages *out) {
    double b;
    const cfg_node *n;
    char vp[CFG_PATH_MAX];
    *out = dflt;
    bs_rc rc = get_value(cx, map, path, key, required, UNIT_SIZE, &b, &n, vp);
    if (rc == BS_OK && n) *out = (bs_pages)floor(b / (double)BS_PAGE_SIZE);
    return rc;
}

bs_rc cfg_get_bytes(cfg_ctx *cx, const cfg_node *map, const char *path, const char *key, bool required,
                    int64_t dflt, int64_t *out) {
    double b;
    const cfg_node *n;
    char vp[CFG_PATH_MAX];
    *out = dflt;
    bs_rc rc = get_value(cx, map, path, key, required, UNIT_SIZE, &b, &n, vp);
    if (rc == BS_OK && n) *out = (int64_t)floor(b);
    return rc;
}

bs_rc cfg_get_time(cfg_ctx *cx, const cfg_node *map, const char *path, const char *key, bool required,
                   bs_time dflt, bs_time *out) {
    double ns;
    const cfg_node *n;
    char vp[CFG_PATH_MAX];
    *out = dflt;
    bs_rc rc = get_value(cx, map, path, key, required, UNIT_TIME, &ns, &n, vp);
    if (rc == BS_OK && n) *out = (bs_time)llround(ns);
    return rc;
}

/* A double in the field's unit, within [lo, hi] (lo excluded when lo_open);
 * outside it, "expected EXPECTED, found ...". */
static bs_rc get_checked(cfg_ctx *cx, const cfg_node *map, const char *path, const char *key,
                         bool required, unit_kind kind, double dflt, double *out, double lo,
                         bool lo_open, double hi, const char *expected) {
    double v;
    const cfg_node *n;
    char vp[CFG_PATH_MAX];
    *out = dflt;
    bs_rc rc = get_value(cx, map, path, key, required, kind, &v, &n, vp);
    if (rc != BS_OK || !n) return rc;
    if ((lo_open ? !(v > lo) : !(v >= lo)) || !(v <= hi)) {
        cfg_error_expected(cx, n, vp, expected);
        return BS_ERR_INPUT;
    }
    *out = v;
    return BS_OK;
}

bs_rc cfg_get_rate(cfg_ctx *cx, const cfg_node *map, const char *path, const char *key, bool required,
                   double dflt, double *out) {
    return get_checked(cx, map, path, key, required, UNIT_RATE, dflt, out, 0, true, INFINITY,
                       "a rate above 0, such as 256MiB/s");
}

bs_rc cfg_get_fraction(cfg_ctx *cx, const cfg_node *map, const char *path, const char *key, bool required,
                       double dflt, double *out) {
    return get_checked(cx, map, path, key, required, UNIT_FRACTION, dflt, out, 0, false, 1,
                       "a fraction from 0 to 1, such as 0.2 or 20%");
}

bs_rc cfg_get_number(cfg_ctx *cx, const cfg_node *map, const char *path, const char *key, bool required,
                     double dflt, double *out) {
    return get_checked(cx, map, path, key, required, UNIT_NUMBER, dflt, out, -INFINITY, false,
                       INFINITY, "a number");
}

/* Whole numbers are read exactly (strtoll) when written as plain digits, so
 * that large seeds survive; other spellings (1e3) go through a double. */
static bool parse_whole(const char *text, int64_t *out) {
    const char *p = text;
    if (*p == '+') p++;
    if (*p >= '0' && *p <= '9' && strspn(p, "0123456789") == strlen(p)) {
        errno = 0;
        long long v = strtoll(p, NULL, 10);
        if (errno) return false;
        *out = v;
        return true;
    }
    double d;
    if (unit_parse_number(text, &d, NULL) != BS_OK || d != floor(d) || d < -9.2e18 || d > 9.2e18) return false;
    *out = (int64_t)d;
    return true;
}

static bs_rc get_whole(cfg_ctx *cx, const cfg_node *map, const char *path, const char *key, bool required,
                       int64_t lo, int64_t hi, const char *what, int64_t dflt, int64_t *out) {
    *out = dflt;
    cfg_entry *e = get_entry(cx, map, path, key, required);
    if (!e) return getter_missing_ok(map, required) ? BS_OK : BS_ERR_INPUT;
    char vp[CFG_PATH_MAX];
    cfg_path_key(vp, path, key);
    int64_t v;
    if (e->val->kind != CFG_SCALAR || cfg_is_null(e->val) || !parse_whole(e->val->value, &v) || v < lo || v > hi) {
        cfg_error_expected(cx, e->val, vp, what);
        return BS_ERR_INPUT;
    }
    *out = v;
    return BS_OK;
}

bs_rc cfg_get_count(cfg_ctx *cx, const cfg_node *map, const char *path, const char *key, bool required,
                    int64_t dflt, int64_t *out) {
    return get_whole(cx, map, path, key, required, 1, 1000000, "a whole number from 1 to 1000000", dflt, out);
}

bs_rc cfg_get_uint(cfg_ctx *cx, const cfg_node *map, const char *path, const char *key, bool required,
                   int64_t dflt, int64_t *out) {
    return get_whole(cx, map, path, key, required, 0, INT64_MAX, "a whole number >= 0", dflt, out);
}

bs_rc cfg_get_bool(cfg_ctx *cx, const cfg_node *map, const char *path, const char *key, bool required,
                   bool dflt, bool *out) {
    *out = dflt;
    cfg_entry *e = get_entry(cx, map, path, key, required);
    if (!e) return getter_missing_ok(map, required) ? BS_OK : BS_ERR_INPUT;
    const cfg_node *n = e->val;
    /* YAML 1.2 core spellings only: yes/no/on/off are typos waiting to happen. */
    if (n->kind == CFG_SCALAR && !n->quoted) {
        if (!strcmp(n->value, "true") || !strcmp(n->value, "True") || !strcmp(n->value, "TRUE")) {
            *out = true;
            return BS_OK;
        }
        if (!strcmp(n->value, "false") || !strcmp(n->value, "False") || !strcmp(n->value, "FALSE")) {
            *out = false;
            return BS_OK;
        }
    }
    char vp[CFG_PATH_MAX];
    cfg_path_key(vp, path, key);
    cfg_error_expected(cx, n, vp, n->quoted ? "true or false (without quotes)" : "true or false");
    return BS_ERR_INPUT;
}

bs_rc cfg_get_string(cfg_ctx *cx, const cfg_node *map, const char *path, const char *key, bool required,
                     const char *dflt, const char **out) {
    *out = dflt;
    cfg_entry *e = get_entry(cx, map, path, key, required);
    if (!e) return getter_missing_ok(map, required) ? BS_OK : BS_ERR_INPUT;
    if (e->val->kind != CFG_SCALAR || cfg_is_null(e->val)) {
        char vp[CFG_PATH_MAX];
        cfg_path_key(vp, path, key);
        cfg_error_expected(cx, e->val, vp, "a string");
        return BS_ERR_INPUT;
    }
    *out = e->val->value;
    return BS_OK;
}

bs_rc cfg_expect_map(cfg_ctx *cx, const cfg_node *n, const char *path) {
    if (n && n->kind == CFG_MAP) return BS_OK;
    cfg_error_expected(cx, n, path, "a mapping");
    return BS_ERR_INPUT;
}

bs_rc cfg_expect_seq(cfg_ctx *cx, const cfg_node *n, const char *path) {
    if (n && n->kind == CFG_SEQ) return BS_OK;
    cfg_error_expected(cx, n, path, "a sequence");
    return BS_ERR_INPUT;
}

void cfg_check_unknown(cfg_ctx *cx, const cfg_node *map, const char *path, const char *allowed) {
    if (!map || map->kind != CFG_MAP) return;
    for (size_t i = 0; i < map->n; i++) {
        const cfg_entry *e = &map->entries[i];
        if (e->used) continue;
        char kp[CFG_PATH_MAX];
        cfg_path_key(kp, path, e->key);
        if (allowed && allowed[0])
            cfg_error_at(cx, e->val->file, e->line, e->col, kp, "unknown key '%s' (expected one of: %s)", e->key,
                         allowed);
        else
            cfg_error_at(cx, e->val->file, e->line, e->col, kp, "unknown key '%s' (no keys are allowed here)",
                         e->key);
    }
}
