/* spikes.c -- a base demand plus random bursts (Poisson arrivals).
 *
 * Each spike adds `size` pages for `length`; spikes that overlap add up.  The
 * rate is a count per time, written "3/h", "1/30m", "0.5/d" (COUNT/UNIT with a
 * bare unit s, m, h, d, ... or COUNT/TIME with any time of docs/scenarios.md).
 *
 * Active spikes sit in a binary min-heap on their end time whose capacity is
 * fixed at instantiate (the hot path must not allocate): the mean number in
 * flight rate * E[length] plus ten standard deviations plus 64, at most 2^20.
 * A spike arriving when the heap is full is dropped (practically never).
 * Draws happen in time order, catching up through time nobody observed, so a
 * VM's spikes depend only on the seed and its name.  Per arrival the stream
 * gives size, then length, then the gap to the next arrival. */
#include "workloads/wl.h"

#include "sim/base/dist.h"

#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct spikes_cfg {
    bs_pages base;
    double rate;       /* arrivals per ns; 0 = none */
    dist size, length; /* bytes, ns */
} spikes_cfg;

typedef struct spike {
    bs_time end;
    bs_pages pages;
} spike;

typedef struct spikes_state {
    const spikes_cfg *c;
    gsl_rng *rng;
    bs_time next_arrival;
    bs_pages active; /* sum of the pages of the spikes in the heap */
    size_t n, cap;
    spike *heap;
} spikes_state;

static void spikes_free_config(void *p)
{
    spikes_cfg *c = p;
    if (!c) return;
    dist_free(&c->size);
    dist_free(&c->length);
    free(c);
}

/* "3/h", "1/30m", "0.5/d" -> arrivals per ns.  A bare number is refused: the
 * unit of a count per time is too easy to get wrong silently. */
static bool parse_event_rate(const char *text, double *per_ns)
{
    const char *slash = strchr(text, '/');
    if (!slash || slash == text || strchr(slash + 1, '/')) return false;
    char num[64], den[64];
    size_t nl = (size_t)(slash - text);
    size_t dl = strlen(slash + 1);
    if (nl >= sizeof num || dl == 0 || dl + 2 > sizeof den) return false;
    memcpy(num, text, nl);
    num[nl] = '\0';
    /* "h" means "1h": a leading digit or dot says a count is already there. */
    const char *d = slash + 1;
    bool has_count = (*d >= '0' && *d <= '9') || *d == '.';
    snprintf(den, sizeof den, "%s%s", has_count ? "" : "1", d);
    double count = 0, ns = 0;
    if (unit_parse_number(num, &count, NULL) != BS_OK || !(count >= 0)) return false;
    if (unit_parse_time(den, &ns, NULL) != BS_OK || !(ns > 0)) return false;
    *per_ns = count / ns;
    return isfinite(*per_ns);
}

static bs_rc spikes_configure(cfg_ctx *cx, const cfg_node *node, const char *path,
                              const char *base_dir, void **out)
{
    (void)base_dir;
    spikes_cfg *c = calloc(1, sizeof *c);
    if (!c) return BS_ERR_INTERNAL;
    bs_rc rc = cfg_get_size(cx, node, path, "base", true, 0, &c->base);
    const char *rt = NULL;
    bs_rc r = cfg_get_string(cx, node, path, "rate", true, NULL, &rt);
    if (r == BS_OK && !parse_event_rate(rt, &c->rate)) {
        char rpath[CFG_PATH_MAX];
        cfg_path_key(rpath, path, "rate");
        cfg_error_expected(cx, cfg_map_entry(node, "rate")->val, rpath,
                           "a count per time such as 3/h or 1/30m");
        r = BS_ERR_INPUT;
    }
    rc = wl_rc_worse(rc, r);
    rc = wl_rc_worse(rc, dist_get(cx, node, path, "size", true, 0, UNIT_SIZE, &c->size));
    rc = wl_rc_worse(rc, dist_get(cx, node, path, "length", true, 0, UNIT_TIME, &c->length));
    if (rc != BS_OK) {
        spikes_free_config(c);
        return rc;
    }
    *out = c;
    return BS_OK;
}

static bs_time gap(const spikes_state *s)
{
    if (!(s->c->rate > 0)) return BS_TIME_NEVER;
    double ns = gsl_ran_exponential(s->rng, 1.0 / s->c->rate);
    if (ns >= (double)UNIT_MAX_TIME_NS) return UNIT_MAX_TIME_NS;
    return (bs_time)ns;
}

static void spikes_free_state(void *p)
{
    spikes_state *s = p;
    if (!s) return;
    free(s->heap);
    free(s);
}

static bs_rc spikes_instantiate(const void *cfg, const wl_vm_info *vm, gsl_rng *rng, void **out)
{
    (void)vm;
    const spikes_cfg *c = cfg;
    spikes_state *s = calloc(1, sizeof *s);
    if (!s) return BS_ERR_INTERNAL;
    s->c = c;
    s->rng = rng;
    double mu = c->rate * dist_mean(&c->length);
    double cap = isfinite(mu) ? mu + 10.0 * sqrt(mu) + 64.0 : (double)(1 << 20);
    s->cap = cap > (double)(1 << 20) ? (size_t)1 << 20 : (size_t)cap;
    s->heap = malloc(s->cap * sizeof *s->heap);
    if (!s->heap) {
        spikes_free_state(s);
        return BS_ERR_INTERNAL;
    }
    s->next_arrival = gap(s);
    *out = s;
    return BS_OK;
}

static void heap_push(spikes_state *s, spike x)
{
    size_t i = s->n++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (s->heap[p].end <= x.end) break;
        s->heap[i] = s->heap[p];
        i = p;
    }
    s->heap[i] = x;
}

static spike heap_pop(spikes_state *s)
{
    spike top = s->heap[0], last = s->heap[--s->n];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        bs_time me = last.end;
        if (l < s->n && s->heap[l].end < me) m = l, me = s->heap[l].end;
        if (l + 1 < s->n && s->heap[l + 1].end < me) m = l + 1;
        if (m == i) break;
        s->heap[i] = s->heap[m];
        i = m;
    }
    if (s->n) s->heap[i] = last;
    return top;
}

static bs_pages spikes_advance(void *state, bs_time t, bs_time *next)
{
    spikes_state *s = state;
    for (;;) {
        bs_time end = s->n ? s->heap[0].end : BS_TIME_NEVER;
        if (end <= t && end <= s->next_arrival) {
            s->active -= heap_pop(s).pages;
            continue;
        }
        if (s->next_arrival > t) break;
        bs_time at = s->next_arrival;
        bs_pages pages = wl_pages_clamp(dist_draw(&s->c->size, s->rng) / (double)BS_PAGE_SIZE);
        double len = dist_draw(&s->c->length, s->rng);
        bs_time ln = len >= (double)UNIT_MAX_TIME_NS ? UNIT_MAX_TIME_NS : (bs_time)len;
        if (pages > 0 && ln > 0 && s->n < s->cap) {
            heap_push(s, (spike){wl_time_add(at, ln), pages});
            s->active += pages;
        }
        s->next_arrival = wl_time_add(at, gap(s));
    }
    bs_time end = s->n ? s->heap[0].end : BS_TIME_NEVER;
    *next = BS_MIN(end, s->next_arrival);
    return s->c->base + s->active;
}

const wl_type wl_type_spikes = {
    .name = "spikes",
    .description = "base plus random spikes (Poisson arrivals, e.g. rate: 3/h) that add up",
    .keys = "base, rate, size, length",
    .configure = spikes_configure,
    .free_config = spikes_free_config,
    .instantiate = spikes_instantiate,
    .free_state = spikes_free_state,
    .advance = spikes_advance,
};
