/* evq.h -- the event queue: a heap of instants, each with a FIFO of events.
 *
 * Nodes live inside the structs they belong to (a VM's driver node, a host's
 * tick node), libuv style: scheduling never allocates, and cancelling is
 * O(1) (plus O(log n) when an instant empties) because each node knows where
 * it is.  Order: time, then event class (docs/model.md "Order of simultaneous
 * events"), then the order of scheduling, so equal events run in the order
 * they were scheduled and every run is deterministic.
 *
 * Why buckets: simulations put many events on the same instant (every VM's
 * demand steps on the same minute grid).  Events of one (time, class) pair sit
 * in one bucket, a FIFO in scheduling order, and only buckets are kept in the
 * 4-ary heap: scheduling onto an instant that already has events is a hash
 * lookup and an append, with no sift at all.  Buckets come from a pool sized at
 * setup (at most one per node), found through a hash table of the same size. */
#ifndef BS_EVQ_H
#define BS_EVQ_H

#include "sim/base/bs.h"

/* Event classes, in the order docs/model.md prescribes for equal instants.
 * EVQ_HOST (host-level threshold crossings) is internal to the engine: it sits
 * after driver progress, whose consequences it checks, and before stats. */
typedef enum evq_class {
    EVQ_LIFECYCLE = 0, /* VM start, stop, restart */
    EVQ_DEMAND = 1,    /* workload demand changes */
    EVQ_DRIVER = 2,    /* balloon driver progress, retries, stuck windows, page reporting */
    EVQ_HOST = 3,      /* host swap / OOM thresholds crossed */
    EVQ_STATS = 4,     /* guest stats reports */
    EVQ_POLICY = 5,    /* policy ticks */
    EVQ_SAMPLE = 6     /* time-series samples */
} evq_class;

struct evq_bucket;

typedef struct evq_node {
    bs_time time;
    uint32_t cls;
    uint32_t kind;              /* owner's dispatch tag */
    uint64_t seq;               /* order of scheduling */
    struct evq_node *next, *prev; /* in its bucket's FIFO */
    struct evq_bucket *bucket;  /* NULL when idle */
} evq_node;

typedef struct evq_bucket {
    bs_time time;
    uint32_t cls;
    uint32_t chain;             /* next bucket in its hash chain: index + 1, 0 = none */
    evq_node *head, *tail;
    size_t slot;                /* heap index */
} evq_bucket;

typedef struct evq {
    evq_bucket **heap;          /* buckets ordered by (time, class) */
    size_t n;                   /* buckets in the heap */
    size_t queued;              /* nodes queued */
    evq_bucket *pool;           /* cap buckets */
    uint32_t free_list;         /* unused buckets: index + 1 chained through `chain` */
    uint32_t *table;            /* hash table: bucket index + 1, 0 = empty */
    size_t mask;                /* table size - 1 */
    size_t cap;
    uint64_t next_seq;
    bool exhausted;             /* a schedule found the pool empty (sticky) */
} evq;

bs_rc evq_init(evq *q, size_t capacity);
void evq_free(evq *q);
void evq_node_init(evq_node *node, uint32_t kind);
/* Queue `node` at time t in class cls; a node already queued is moved (and
 * goes to the end of its new instant, as a fresh scheduling). */
void evq_schedule(evq *q, evq_node *node, bs_time t, evq_class cls);
/* Whether a schedule found no free bucket (capacity too small at evq_init):
 * that node was left unqueued, and the run must stop with an error.  The
 * check is the caller's, once per dispatched event, so scheduling stays
 * void on the hot path. */
static inline bool evq_exhausted(const evq *q) { return q->exhausted; }
void evq_cancel(evq *q, evq_node *node);
/* The earliest node, removed; NULL when empty. */
evq_node *evq_pop(evq *q);
static inline const evq_node *evq_peek(const evq *q) { return q->n ? q->heap[0]->head : NULL; }
static inline bool evq_queued(const evq_node *node) { return node->bucket != NULL; }
/* The sequence number a node got when it was last scheduled (0 when idle). */
static inline uint64_t evq_node_seq(const evq *q, const evq_node *node)
{
    (void)q;
    return evq_queued(node) ? node->seq : 0;
}

#endif
