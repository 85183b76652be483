/* evq.c -- intrusive heap; see evq.h for why it is shaped this way.
 *
 * The heap is 4-ary rather than binary: half the depth, and the four children
 * of a slot sit in two adjacent cache lines, which measured ~25 % faster on
 * the benchmark than a binary heap of the same slots. */
#include "evq.h"

#include <assert.h>
#include <stdlib.h>

#define ARITY 4

static bool slot_before(const evq_slot *a, const evq_slot *b)
{
    if (a->time != b->time) return a->time < b->time;
    return a->order < b->order;
}

static void place(evq *q, size_t slot, evq_slot entry)
{
    q->heap[slot] = entry;
    entry.node->slot = slot;
}

static void sift_up(evq *q, size_t slot)
{
    evq_slot entry = q->heap[slot];
    while (slot > 0) {
        size_t parent = (slot - 1) / ARITY;
        if (!slot_before(&entry, &q->heap[parent])) break;
        place(q, slot, q->heap[parent]);
        slot = parent;
    }
    place(q, slot, entry);
}

static void sift_down(evq *q, size_t slot)
{
    evq_slot entry = q->heap[slot];
    for (;;) {
        size_t first = ARITY * slot + 1;
        if (first >= q->n) break;
        size_t last = BS_MIN(first + ARITY, q->n), child = first;
        for (size_t c = first + 1; c < last; c++)
            if (slot_before(&q->heap[c], &q->heap[child])) child = c;
        if (!slot_before(&q->heap[child], &entry)) break;
        place(q, slot, q->heap[child]);
        slot = child;
    }
    place(q, slot, entry);
}

static void resift(evq *q, size_t slot)
{
    if (slot > 0 && slot_before(&q->heap[slot], &q->heap[(slot - 1) / ARITY]))
        sift_up(q, slot);
    else
        sift_down(q, slot);
}

bs_rc evq_init(evq *q, size_t capacity)
{
    q->n = 0;
    q->cap = capacity;
    q->next_seq = 0;
    q->heap = calloc(capacity ? capacity : 1, sizeof *q->heap);
    return q->heap ? BS_OK : BS_ERR_INTERNAL;
}

void evq_free(evq *q)
{
    free(q->heap);
    q->heap = NULL;
    q->n = q->cap = 0;
}

void evq_node_init(evq_node *node, uint32_t kind)
{
    node->time = 0;
    node->cls = 0;
    node->kind = kind;
    node->slot = EVQ_NOT_QUEUED;
}

void evq_cancel(evq *q, evq_node *node)
{
    if (!evq_queued(node)) return;
    size_t slot = node->slot;
    assert(slot < q->n && q->heap[slot].node == node);
    node->slot = EVQ_NOT_QUEUED;
    q->n--;
    if (slot == q->n) return;
    place(q, slot, q->heap[q->n]);
    resift(q, slot);
}

void evq_schedule(evq *q, evq_node *node, bs_time t, evq_class cls)
{
    node->time = t;
    node->cls = (uint32_t)cls;
    evq_slot entry = {t, ((uint64_t)cls << 56) | q->next_seq++, node};
    assert(q->next_seq < (1ULL << 56));
    if (evq_queued(node)) {
        /* moved in place: one sift instead of a removal and an insertion */
        q->heap[node->slot] = entry;
        resift(q, node->slot);
        return;
    }
    assert(q->n < q->cap && "event queue sized too small at setup");
    place(q, q->n, entry);
    q->n++;
    sift_up(q, q->n - 1);
}

evq_node *evq_pop(evq *q)
{
    if (q->n == 0) return NULL;
    evq_node *top = q->heap[0].node;
    evq_cancel(q, top);
    return top;
}
