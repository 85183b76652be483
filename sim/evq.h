/* evq.h -- the event queue: an intrusive binary min-heap.
 *
 * Nodes live inside the structs they belong to (a VM's driver node, a host's
 * tick node), libuv style: scheduling never allocates, and cancelling is
 * O(log n) because each node knows its heap slot.  The heap array is sized once
 * at setup for every node that can ever be queued (a node is queued at most
 * once).  Order: time, then event class (model.md "Order of simultaneous
 * events"), then the sequence number given at scheduling, so equal events run
 * in the order they were scheduled and every run is deterministic.  The sort
 * key is copied into the heap slot next to the node pointer, so sifting reads
 * one contiguous array instead of chasing nodes all over memory. */
#ifndef BS_EVQ_H
#define BS_EVQ_H

#include "bs.h"

/* Event classes, in the order model.md prescribes for equal instants.
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

#define EVQ_NOT_QUEUED SIZE_MAX

typedef struct evq_node {
    bs_time time;
    uint32_t cls;
    uint32_t kind; /* owner's dispatch tag */
    size_t slot;   /* heap index, EVQ_NOT_QUEUED when idle */
} evq_node;

typedef struct evq_slot {
    bs_time time;
    uint64_t order; /* class in the top 8 bits, then the sequence number */
    evq_node *node;
} evq_slot;

typedef struct evq {
    evq_slot *heap;
    size_t n, cap;
    uint64_t next_seq;
} evq;

bs_rc evq_init(evq *q, size_t capacity);
void evq_free(evq *q);
void evq_node_init(evq_node *node, uint32_t kind);
/* Queue `node` at time t in class cls; a node already queued is moved (and gets
 * a new sequence number, as a fresh scheduling). */
void evq_schedule(evq *q, evq_node *node, bs_time t, evq_class cls);
void evq_cancel(evq *q, evq_node *node);
/* The earliest node, removed; NULL when empty. */
evq_node *evq_pop(evq *q);
static inline const evq_node *evq_peek(const evq *q) { return q->n ? q->heap[0].node : NULL; }
static inline bool evq_queued(const evq_node *node) { return node->slot != EVQ_NOT_QUEUED; }
/* The sequence number a node got when it was last scheduled (tests). */
static inline uint64_t evq_node_seq(const evq *q, const evq_node *node)
{
    return evq_queued(node) ? (q->heap[node->slot].order & ((1ULL << 56) - 1)) : 0;
}

#endif
