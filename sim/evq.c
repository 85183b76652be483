/* evq.c -- heap of instants with FIFO buckets; see evq.h for why.
 *
 * The heap is 4-ary: half the depth of a binary heap, and a bucket's four
 * children are compared with their keys read through one pointer each. */
#include "sim/evq.h"

#include <assert.h>
#include <stdlib.h>

#define ARITY 4

static bool bucket_before(const evq_bucket *a, const evq_bucket *b)
{
    if (a->time != b->time) return a->time < b->time;
    return a->cls < b->cls;
}

static void place(evq *q, size_t slot, evq_bucket *b)
{
    q->heap[slot] = b;
    b->slot = slot;
}

static void sift_up(evq *q, size_t slot)
{
    evq_bucket *b = q->heap[slot];
    while (slot > 0) {
        size_t parent = (slot - 1) / ARITY;
        if (!bucket_before(b, q->heap[parent])) break;
        place(q, slot, q->heap[parent]);
        slot = parent;
    }
    place(q, slot, b);
}

static void sift_down(evq *q, size_t slot)
{
    evq_bucket *b = q->heap[slot];
    for (;;) {
        size_t first = ARITY * slot + 1;
        if (first >= q->n) break;
        size_t last = BS_MIN(first + ARITY, q->n), child = first;
        for (size_t c = first + 1; c < last; c++)
            if (bucket_before(q->heap[c], q->heap[child])) child = c;
        if (!bucket_before(q->heap[child], b)) break;
        place(q, slot, q->heap[child]);
        slot = child;
    }
    place(q, slot, b);
}

static size_t hash_of(const evq *q, bs_time t, uint32_t cls)
{
    uint64_t h = ((uint64_t)t ^ ((uint64_t)cls << 59)) * 0x9e3779b97f4a7c15ULL;
    return (size_t)(h >> 32) & q->mask;
}

static uint32_t index_of(const evq *q, const evq_bucket *b) { return (uint32_t)(b - q->pool); }

bs_rc evq_init(evq *q, size_t capacity)
{
    q->n = 0;
    q->queued = 0;
    q->cap = capacity ? capacity : 1;
    q->next_seq = 0;
    q->exhausted = false;
    size_t tsize = 16;
    while (tsize < 2 * q->cap) tsize *= 2;
    q->mask = tsize - 1;
    q->heap = calloc(q->cap, sizeof *q->heap);
    q->pool = calloc(q->cap, sizeof *q->pool);
    q->table = calloc(tsize, sizeof *q->table);
    if (!q->heap || !q->pool || !q->table || q->cap >= UINT32_MAX) {
        evq_free(q);
        return BS_ERR_INTERNAL;
    }
    for (size_t i = 0; i < q->cap; i++) q->pool[i].chain = i + 1 < q->cap ? (uint32_t)(i + 2) : 0;
    q->free_list = 1;
    return BS_OK;
}

void evq_free(evq *q)
{
    free(q->heap);
    free(q->pool);
    free(q->table);
    q->heap = NULL;
    q->pool = NULL;
    q->table = NULL;
    q->n = q->cap = 0;
}

void evq_node_init(evq_node *node, uint32_t kind)
{
    node->time = 0;
    node->cls = 0;
    node->kind = kind;
    node->seq = 0;
    node->next = node->prev = NULL;
    node->bucket = NULL;
}

/* The bucket of (t, cls), made (and put in the heap) when there is none. */
static evq_bucket *bucket_for(evq *q, bs_time t, uint32_t cls)
{
    size_t h = hash_of(q, t, cls);
    for (uint32_t i = q->table[h]; i; i = q->pool[i - 1].chain)
        if (q->pool[i - 1].time == t && q->pool[i - 1].cls == cls) return &q->pool[i - 1];
    if (q->free_list == 0) { /* sized too small at setup: a bug, reported by the caller */
        q->exhausted = true;
        return NULL;
    }
    evq_bucket *b = &q->pool[q->free_list - 1];
    q->free_list = b->chain;
    b->time = t;
    b->cls = cls;
    b->head = b->tail = NULL;
    b->chain = q->table[h];
    q->table[h] = index_of(q, b) + 1;
    place(q, q->n, b);
    q->n++;
    sift_up(q, b->slot);
    return b;
}

static void bucket_release(evq *q, evq_bucket *b)
{
    /* out of the heap */
    size_t slot = b->slot;
    q->n--;
    if (slot != q->n) {
        place(q, slot, q->heap[q->n]);
        if (slot > 0 && bucket_before(q->heap[slot], q->heap[(slot - 1) / ARITY]))
            sift_up(q, slot);
        else
            sift_down(q, slot);
    }
    /* out of its hash chain */
    size_t h = hash_of(q, b->time, b->cls);
    uint32_t me = index_of(q, b) + 1;
    if (q->table[h] == me) {
        q->table[h] = b->chain;
    } else {
        uint32_t i = q->table[h];
        while (q->pool[i - 1].chain != me) i = q->pool[i - 1].chain;
        q->pool[i - 1].chain = b->chain;
    }
    /* back to the pool */
    b->chain = q->free_list;
    q->free_list = me;
}

void evq_cancel(evq *q, evq_node *node)
{
    evq_bucket *b = node->bucket;
    if (!b) return;
    if (node->prev) node->prev->next = node->next;
    else b->head = node->next;
    if (node->next) node->next->prev = node->prev;
    else b->tail = node->prev;
    node->next = node->prev = NULL;
    node->bucket = NULL;
    q->queued--;
    if (!b->head) bucket_release(q, b);
}

void evq_schedule(evq *q, evq_node *node, bs_time t, evq_class cls)
{
    evq_cancel(q, node);
    evq_bucket *b = bucket_for(q, t, (uint32_t)cls);
    if (b == NULL) return; /* the node stays idle; evq_exhausted() tells */
    node->time = t;
    node->cls = (uint32_t)cls;
    node->seq = ++q->next_seq; /* from 1: 0 means "not queued" */
    node->prev = b->tail;
    node->next = NULL;
    if (b->tail) b->tail->next = node;
    else b->head = node;
    b->tail = node;
    node->bucket = b;
    q->queued++;
}

evq_node *evq_pop(evq *q)
{
    if (q->n == 0) return NULL;
    evq_node *top = q->heap[0]->head;
    evq_cancel(q, top);
    return top;
}
