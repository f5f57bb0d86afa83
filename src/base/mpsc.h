/*
 * mpsc.h - intrusive multi-producer single-consumer queue (Vyukov).
 *
 * Producers push with one atomic exchange; the single consumer pops
 * without atomics read-modify-write. FIFO per producer. mpsc_pop() may
 * return NULL while a push is half done; mpsc_empty() looks at the
 * producers' end, so a half-linked push still counts as work.
 */
#ifndef TERN_BASE_MPSC_H
#define TERN_BASE_MPSC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

struct mpsc_node {
	_Atomic(struct mpsc_node *) next;
};

struct mpsc {
	_Atomic(struct mpsc_node *) head; /* producers' end */
	struct mpsc_node *tail;           /* consumer's end */
	struct mpsc_node stub;
};

static inline void
mpsc_init(struct mpsc *q)
{
	atomic_init(&q->stub.next, NULL);
	atomic_init(&q->head, &q->stub);
	q->tail = &q->stub;
}

/* mpsc_push() - append @n. Thread: any producer. */
static inline void
mpsc_push(struct mpsc *q, struct mpsc_node *n)
{
	struct mpsc_node *prev;

	atomic_store_explicit(&n->next, NULL, memory_order_relaxed);
	/* seq_cst (a full barrier on x86 anyway): publishes @n's contents to
	 * the consumer, orders us after the previous producer, and takes part
	 * in the wake-up protocol's total order with the sleeper's seq_cst
	 * store of its flag (see worker_push). */
	prev = atomic_exchange(&q->head, n);
	/* Release pairs with the consumer's acquire load of ->next. */
	atomic_store_explicit(&prev->next, n, memory_order_release);
}

/* mpsc_empty() - true if nothing was pushed and not popped. Any thread. */
static inline bool
mpsc_empty(struct mpsc *q)
{
	/* seq_cst: pairs with the producers' seq_cst exchange in the wake-up
	 * protocol (a sleeper stores its flag, then looks here). */
	return atomic_load(&q->head) == &q->stub;
}

/* mpsc_pop() - the oldest node, or NULL. Thread: the consumer only. */
static inline struct mpsc_node *
mpsc_pop(struct mpsc *q)
{
	struct mpsc_node *tail = q->tail;
	struct mpsc_node *next =
	        atomic_load_explicit(&tail->next, memory_order_acquire);

	if (tail == &q->stub) {
		if (next == NULL) {
			return NULL;
		}
		q->tail = next;
		tail = next;
		next = atomic_load_explicit(&tail->next, memory_order_acquire);
	}
	if (next != NULL) {
		q->tail = next;
		return tail;
	}
	/* Acquire pairs with the producers' exchange on head. */
	if (tail != atomic_load_explicit(&q->head, memory_order_acquire)) {
		return NULL; /* a producer is between its two steps */
	}
	mpsc_push(q, &q->stub);
	next = atomic_load_explicit(&tail->next, memory_order_acquire);
	if (next != NULL) {
		q->tail = next;
		return tail;
	}
	return NULL;
}

#endif
