/* evq.c -- intrusive binary heap; see evq.h for why it is shaped this way. */
#include "evq.h"

#include <assert.h>
#include <stdlib.h>

static bool node_before(const evq_node *a, const evq_node *b)
{
    if (a->time != b->time) return a->time < b->time;
    if (a->cls != b->cls) return a->cls < b->cls;
    return a->seq < b->seq;
}

static void place(evq *q, size_t slot, evq_node *node)
{
    q->heap[slot] = node;
    node->slot = slot;
}

static void sift_up(evq *q, size_t slot)
{
    evq_node *node = q->heap[slot];
    while (slot > 0) {
        size_t parent = (slot - 1) / 2;
        if (!node_before(node, q->heap[parent])) break;
        place(q, slot, q->heap[parent]);
        slot = parent;
    }
    place(q, slot, node);
}

static void sift_down(evq *q, size_t slot)
{
    evq_node *node = q->heap[slot];
    for (;;) {
        size_t child = 2 * slot + 1;
        if (child >= q->n) break;
        if (child + 1 < q->n && node_before(q->heap[child + 1], q->heap[child])) child++;
        if (!node_before(q->heap[child], node)) break;
        place(q, slot, q->heap[child]);
        slot = child;
    }
    place(q, slot, node);
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
    node->seq = 0;
    node->cls = 0;
    node->kind = kind;
    node->slot = EVQ_NOT_QUEUED;
}

void evq_cancel(evq *q, evq_node *node)
{
    if (!evq_queued(node)) return;
    size_t slot = node->slot;
    assert(slot < q->n && q->heap[slot] == node);
    node->slot = EVQ_NOT_QUEUED;
    q->n--;
    if (slot == q->n) return;
    evq_node *last = q->heap[q->n];
    place(q, slot, last);
    if (slot > 0 && node_before(last, q->heap[(slot - 1) / 2]))
        sift_up(q, slot);
    else
        sift_down(q, slot);
}

void evq_schedule(evq *q, evq_node *node, bs_time t, evq_class cls)
{
    evq_cancel(q, node);
    assert(q->n < q->cap && "event queue sized too small at setup");
    node->time = t;
    node->cls = (uint32_t)cls;
    node->seq = q->next_seq++;
    place(q, q->n, node);
    q->n++;
    sift_up(q, node->slot);
}

evq_node *evq_pop(evq *q)
{
    if (q->n == 0) return NULL;
    evq_node *top = q->heap[0];
    evq_cancel(q, top);
    return top;
}
