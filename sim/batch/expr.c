/* expr.c -- recursive-descent parser and evaluator for expr.h's conditions.
 *
 * Grammar (whitespace anywhere between tokens):
 *   or      := and ('||' and)*
 *   and     := unary ('&&' unary)*
 *   unary   := '!' unary | '(' or ')' | compare
 *   compare := METRIC OP VALUE          OP: == != < <= > >=
 *   VALUE   := ['+'|'-'] NUMBER '%'     relative to the baseline (+10% = 1.1 x)
 *            | a value in the metric's unit (5m, 2GiB, 0.05, 5%, 12)
 * The tree is tiny and evaluated a handful of times, so nodes are plain
 * mallocs; the parser reports the column of the first thing it cannot read. */
#include "sim/batch/expr.h"

#include "sim/base/units.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

typedef enum node_kind { N_OR, N_AND, N_NOT, N_CMP } node_kind;
typedef enum cmp_op { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE } cmp_op;

struct expr {
    node_kind kind;
    expr *a, *b;
    /* N_CMP */
    met_ref ref;     /* [GROUP.]METRIC[@WINDOW] */
    cmp_op op;
    bool relative;   /* threshold = baseline * (1 + value) */
    double value;    /* absolute threshold in the metric's base unit, or the fraction */
    char *text;      /* the threshold as written, for messages */
};

typedef struct parser {
    const char *s;
    size_t pos;
    char *err;
    size_t err_len;
    bool failed;
} parser;

static const char *op_text[] = {"==", "!=", "<", "<=", ">", ">="};

static void fail(parser *p, size_t at, const char *fmt, ...)
{
    if (p->failed) return;
    p->failed = true;
    int k = snprintf(p->err, p->err_len, "column %zu: ", at + 1);
    if (k < 0 || (size_t)k >= p->err_len) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err + k, p->err_len - (size_t)k, fmt, ap);
    va_end(ap);
}

static void skip_ws(parser *p)
{
    while (isspace((unsigned char)p->s[p->pos])) p->pos++;
}

static bool eat(parser *p, const char *tok)
{
    skip_ws(p);
    size_t n = strlen(tok);
    if (strncmp(p->s + p->pos, tok, n) != 0) return false;
    p->pos += n;
    return true;
}

/* What stands at the current position, for "found ..." messages. */
static void found(parser *p, char *buf, size_t len)
{
    skip_ws(p);
    if (!p->s[p->pos]) {
        snprintf(buf, len, "the end");
        return;
    }
    size_t n = 0;
    while (p->s[p->pos + n] && !isspace((unsigned char)p->s[p->pos + n]) && n < 16) n++;
    snprintf(buf, len, "'%.*s'", (int)n, p->s + p->pos);
}

static expr *node_new(node_kind kind, expr *a, expr *b)
{
    expr *e = calloc(1, sizeof *e);
    if (!e) return NULL;
    e->kind = kind;
    e->a = a;
    e->b = b;
    return e;
}

static expr *parse_or(parser *p);

/* The unit a threshold of this metric is written in. */
static unit_kind metric_unit(met_id id)
{
    const char *u = met_info_get(id)->unit;
    if (strcmp(u, "s") == 0) return UNIT_TIME;
    if (strcmp(u, "bytes") == 0) return UNIT_SIZE;
    if (strcmp(u, "fraction") == 0 || strcmp(u, "0-1") == 0) return UNIT_FRACTION;
    return UNIT_NUMBER;
}

static expr *parse_compare(parser *p)
{
    skip_ws(p);
    size_t start = p->pos, n = 0;
    /* a name: [GROUP.]METRIC[@WINDOW]; groups may hold '-' and '.' */
    while (isalnum((unsigned char)p->s[start + n]) || strchr("_-.@", p->s[start + n]) != NULL) {
        if (p->s[start + n] == '\0') break;
        n++;
    }
    if (n == 0) {
        char f[32];
        found(p, f, sizeof f);
        fail(p, start, "expected a metric name, found %s", f);
        return NULL;
    }
    char name[256];
    snprintf(name, sizeof name, "%.*s", (int)BS_MIN(n, sizeof name - 1), p->s + start);
    met_ref ref;
    char rerr[192];
    bs_rc rrc = met_ref_parse(p->s + start, n, &ref, rerr, sizeof rerr);
    if (rrc != BS_OK) {
        if (rrc == BS_ERR_INPUT && strstr(rerr, "unknown metric"))
            fail(p, start, "%s (see docs/outputs.md for the names)", rerr);
        else
            fail(p, start, "%s", rrc == BS_ERR_INPUT ? rerr : "out of memory");
        return NULL;
    }
    p->pos = start + n;
    skip_ws(p);
    size_t op_at = p->pos;
    cmp_op op;
    if (eat(p, "==")) op = OP_EQ;
    else if (eat(p, "!=")) op = OP_NE;
    else if (eat(p, "<=")) op = OP_LE;
    else if (eat(p, ">=")) op = OP_GE;
    else if (eat(p, "<")) op = OP_LT;
    else if (eat(p, ">")) op = OP_GT;
    else {
        char f[32];
        found(p, f, sizeof f);
        fail(p, op_at, "expected a comparison (== != < <= > >=) after '%s', found %s", name, f);
        met_ref_free(&ref);
        return NULL;
    }
    skip_ws(p);
    size_t v_at = p->pos, m = 0;
    /* a value runs up to the next operator, parenthesis or space */
    while (p->s[v_at + m] && !isspace((unsigned char)p->s[v_at + m]) && !strchr("&|()!<>=", p->s[v_at + m]))
        m++;
    if (m == 0) {
        char f[32];
        found(p, f, sizeof f);
        fail(p, v_at, "expected a value after '%s', found %s", op_text[op], f);
        met_ref_free(&ref);
        return NULL;
    }
    char text[64];
    if (m >= sizeof text) {
        fail(p, v_at, "value too long");
        met_ref_free(&ref);
        return NULL;
    }
    memcpy(text, p->s + v_at, m);
    text[m] = '\0';
    expr *e = node_new(N_CMP, NULL, NULL);
    if (!e) {
        fail(p, v_at, "out of memory");
        met_ref_free(&ref);
        return NULL;
    }
    e->ref = ref;
    met_id id = ref.id;
    e->op = op;
    e->text = strdup(text);
    const char *why = NULL;
    bool signed_pct = (text[0] == '+' || text[0] == '-') && text[m - 1] == '%';
    if (signed_pct) {
        double pct;
        char num[64];
        snprintf(num, sizeof num, "%.*s", (int)(m - 2), text + 1);
        if (unit_parse_number(num, &pct, &why) != BS_OK) {
            fail(p, v_at, "expected a relative change such as +10%%, found '%s'", text);
            expr_free(e);
            return NULL;
        }
        e->relative = true;
        e->value = (text[0] == '-' ? -pct : pct) / 100.0;
    } else {
        unit_kind uk = metric_unit(id);
        double v;
        if (unit_parse(uk, text, &v, &why) != BS_OK) {
            fail(p, v_at, "expected %s for %s, found '%s'", unit_kind_name(uk), name, text);
            expr_free(e);
            return NULL;
        }
        e->value = uk == UNIT_TIME ? v / (double)BS_NS_PER_S : v;
    }
    p->pos = v_at + m;
    return e;
}

static expr *parse_unary(parser *p)
{
    skip_ws(p);
    if (eat(p, "!")) {
        if (p->s[p->pos] == '=') { /* "!=" cannot start a term */
            fail(p, p->pos - 1, "expected a metric name, '!' or '(', found '!='");
            return NULL;
        }
        expr *a = parse_unary(p);
        return a ? node_new(N_NOT, a, NULL) : NULL;
    }
    size_t at = p->pos;
    if (eat(p, "(")) {
        expr *a = parse_or(p);
        if (!a) return NULL;
        if (!eat(p, ")")) {
            char f[32];
            found(p, f, sizeof f);
            fail(p, p->pos, "expected ')' to close the '(' at column %zu, found %s", at + 1, f);
            expr_free(a);
            return NULL;
        }
        return a;
    }
    return parse_compare(p);
}

static expr *parse_and(parser *p)
{
    expr *a = parse_unary(p);
    while (a && eat(p, "&&")) {
        expr *b = parse_unary(p);
        if (!b) {
            expr_free(a);
            return NULL;
        }
        a = node_new(N_AND, a, b);
    }
    return a;
}

static expr *parse_or(parser *p)
{
    expr *a = parse_and(p);
    while (a && eat(p, "||")) {
        expr *b = parse_and(p);
        if (!b) {
            expr_free(a);
            return NULL;
        }
        a = node_new(N_OR, a, b);
    }
    return a;
}

bs_rc expr_parse(const char *text, expr **out, char *err, size_t err_len)
{
    parser p = {text ? text : "", 0, err, err_len, false};
    if (err_len) err[0] = '\0';
    *out = NULL;
    expr *e = parse_or(&p);
    skip_ws(&p);
    if (e && p.s[p.pos]) {
        char f[32];
        found(&p, f, sizeof f);
        fail(&p, p.pos, "expected '&&', '||' or the end, found %s", f);
        expr_free(e);
        e = NULL;
    }
    if (!e) {
        if (!p.failed) fail(&p, p.pos, "out of memory");
        return BS_ERR_INPUT;
    }
    *out = e;
    return BS_OK;
}

void expr_free(expr *e)
{
    if (!e) return;
    expr_free(e->a);
    expr_free(e->b);
    met_ref_free(&e->ref);
    free(e->text);
    free(e);
}

static bool compare(double x, cmp_op op, double y)
{
    switch (op) {
    case OP_EQ: return x == y;
    case OP_NE: return x != y;
    case OP_LT: return x < y;
    case OP_LE: return x <= y;
    case OP_GT: return x > y;
    case OP_GE: return x >= y;
    }
    return false;
}

bool expr_eval(const expr *e, const met_set *values, const met_set *baseline, FILE *why)
{
    switch (e->kind) {
    case N_OR: {
        bool a = expr_eval(e->a, values, baseline, why);
        bool b = expr_eval(e->b, values, baseline, why);
        return a || b;
    }
    case N_AND: {
        /* both sides are evaluated so that `why` lists every comparison that held */
        bool a = expr_eval(e->a, values, baseline, why);
        bool b = expr_eval(e->b, values, baseline, why);
        return a && b;
    }
    case N_NOT: return !expr_eval(e->a, values, baseline, NULL);
    case N_CMP: break;
    }
    double x = met_ref_value(&e->ref, values), threshold = e->value, base = NAN;
    if (isnan(x)) return false;
    if (e->relative) {
        base = baseline ? met_ref_value(&e->ref, baseline) : NAN;
        if (isnan(base)) return false;
        threshold = base * (1.0 + e->value);
    }
    bool held = compare(x, e->op, threshold);
    if (held && why) {
        char name[256];
        met_ref_text(&e->ref, name, sizeof name);
        if (e->relative)
            fprintf(why, "%s = %.6g %s %.6g (baseline %.6g %s)\n", name, x, op_text[e->op], threshold,
                    base, e->text);
        else
            fprintf(why, "%s = %.6g %s %s\n", name, x, op_text[e->op], e->text);
    }
    return held;
}

bool expr_uses_baseline(const expr *e)
{
    if (!e) return false;
    if (e->kind == N_CMP) return e->relative;
    return expr_uses_baseline(e->a) || expr_uses_baseline(e->b);
}

static size_t collect_cmps(const expr *e, expr_cmp *out, size_t max, size_t n)
{
    if (e == NULL)
        return n;
    if (e->kind != N_CMP)
        return collect_cmps(e->b, out, max, collect_cmps(e->a, out, max, n));
    if (n < max)
        out[n] = (expr_cmp){.metric = e->ref.id,
                            .ref = &e->ref,
                            .op = op_text[e->op],
                            .threshold = e->value,
                            .relative = e->relative,
                            .text = e->text};
    return n + 1;
}

size_t expr_comparisons(const expr *e, expr_cmp *out, size_t max)
{
    return collect_cmps(e, out, max, 0);
}

bs_rc expr_check_names(const expr *e, const char *const *groups, size_t n_groups,
                       const char *const *windows, size_t n_windows, char *err, size_t err_len)
{
    if (!e) return BS_OK;
    if (e->kind == N_CMP)
        return met_ref_check(&e->ref, groups, n_groups, windows, n_windows, err, err_len);
    bs_rc rc = expr_check_names(e->a, groups, n_groups, windows, n_windows, err, err_len);
    if (rc == BS_OK) rc = expr_check_names(e->b, groups, n_groups, windows, n_windows, err, err_len);
    return rc;
}
