/*
 * qsbr.c - quiescent-state-based reclamation.
 *
 * A global epoch counter starts at 1 and is bumped by every retire; the
 * retired object is tagged with the bumped value E. Each reader owns one
 * cache line holding the epoch it read at its last quiescent point, or 0
 * while offline. An object tagged E is freed once every reader's record is
 * 0 or >= E: such a reader read the epoch after the retire bumped it, so
 * the unlink that preceded the retire is visible to it, and whatever it
 * read of the object before that point happened before its release store.
 *
 * Invariants: the retire list is items[head..len), in increasing epoch
 * order (tags are taken under the list lock); reclaim frees a prefix.
 * "pending" mirrors len - head for the readers' lock-free fast path.
 */
#include "qsbr.h"

#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "alloc.h"
#include "err.h"

#define QSBR_LINE    64 /* cache line size assumed for padding */
#define QSBR_MIN_CAP 16 /* retire slots kept even when the list is empty */

struct qsbr_reader {
	/* 0 while offline, else the global epoch at the last quiescent
	 * point. Written only by its reader; read by reclaimers. */
	atomic_uint_least64_t seen;
	char pad[QSBR_LINE - sizeof(atomic_uint_least64_t)];
};

struct qsbr_item {
	void *p;
	qsbr_free_fn *fn;
	uint64_t epoch;
};

struct qsbr {
	atomic_uint_least64_t epoch; /* global epoch, starts at 1 */
	atomic_size_t pending;       /* len - head, a hint for readers */
	pthread_mutex_t lock;        /* guards the fields below */
	struct qsbr_item *items;
	size_t head, len, cap;
	size_t reserved; /* retires promised by qsbr_reserve() */
	unsigned n_readers;
	struct qsbr_reader *readers; /* in this allocation, line-aligned */
};

struct qsbr *
qsbr_new(unsigned n_readers)
{
	size_t size = sizeof(struct qsbr) + QSBR_LINE +
	              (size_t)n_readers * sizeof(struct qsbr_reader);
	struct qsbr *q;
	uintptr_t at;

	q = tern_calloc(1, size);
	if (q == NULL) {
		return NULL;
	}
	q->items = tern_malloc(QSBR_MIN_CAP * sizeof(struct qsbr_item));
	if (q->items == NULL || pthread_mutex_init(&q->lock, NULL) != 0) {
		tern_free(q->items);
		tern_free(q);
		return NULL;
	}
	q->cap = QSBR_MIN_CAP;
	q->n_readers = n_readers;
	at = (uintptr_t)(q + 1);
	at = (at + QSBR_LINE - 1) & ~(uintptr_t)(QSBR_LINE - 1);
	q->readers = (struct qsbr_reader *)at;
	for (unsigned i = 0; i < n_readers; i++) {
		atomic_init(&q->readers[i].seen, 0);
	}
	atomic_init(&q->epoch, 1);
	atomic_init(&q->pending, 0);
	return q;
}

void
qsbr_free(struct qsbr *q)
{
	if (q == NULL) {
		return;
	}
	for (size_t i = q->head; i < q->len; i++) {
		q->items[i].fn(q->items[i].p);
	}
	tern_free(q->items);
	pthread_mutex_destroy(&q->lock);
	tern_free(q);
}

void
qsbr_online(struct qsbr *q, unsigned i)
{
	struct qsbr_reader *r = &q->readers[i];
	uint64_t e;

	assert(i < q->n_readers);
	/* Acquire pairs with the seq_cst fetch_add in qsbr_retire(). */
	e = atomic_load_explicit(&q->epoch, memory_order_acquire);
	/* Relaxed: published by the release half of the RMW below. */
	atomic_store_explicit(&r->seen, e, memory_order_relaxed);
	/*
	 * An RMW on the epoch (adding 0) pairs with the fetch_add of every
	 * qsbr_retire(): RMWs on one object are totally ordered. If this one
	 * comes after a retire's, its acquire makes the unlink before that
	 * retire visible, so this reader cannot reach the retired object.
	 * If it comes before, that retire's acquire makes the store above
	 * visible to the reclaimer, which then waits for this reader. No
	 * standalone fence needed (ThreadSanitizer does not model those).
	 */
	(void)atomic_fetch_add_explicit(&q->epoch, 0, memory_order_acq_rel);
}

void
qsbr_offline(struct qsbr *q, unsigned i)
{
	assert(i < q->n_readers);
	/* Release pairs with the acquire loads in reclaim_locked(): reads of
	 * shared data made while online happen before any free. */
	atomic_store_explicit(&q->readers[i].seen, 0, memory_order_release);
}

bool
qsbr_is_online(struct qsbr *q, unsigned i)
{
	/* Relaxed: the reader reads its own record. */
	return i < q->n_readers &&
	       atomic_load_explicit(&q->readers[i].seen,
	                            memory_order_relaxed) != 0;
}

static size_t
reclaim_locked(struct qsbr *q)
{
	uint64_t min = UINT64_MAX;
	size_t k, freed;

	if (q->head == q->len) {
		return 0;
	}
	/* The list lock orders this after the retires of the items. */
	for (unsigned i = 0; i < q->n_readers; i++) {
		/* Acquire pairs with the release stores of qsbr_quiescent()
		 * and qsbr_offline() (and the RMW of qsbr_online()). */
		uint64_t s = atomic_load_explicit(&q->readers[i].seen,
		                                  memory_order_acquire);
		if (s != 0 && s < min) {
			min = s;
		}
	}
	for (k = q->head; k < q->len && q->items[k].epoch <= min; k++) {
		q->items[k].fn(q->items[k].p);
	}
	freed = k - q->head;
	q->head = k;
	if (q->head == q->len) {
		q->head = 0;
		q->len = 0;
	}
	/* Relaxed: a hint for the readers' fast path; the list itself is
	 * only read under the lock. */
	atomic_store_explicit(&q->pending, q->len - q->head,
	                      memory_order_relaxed);
	return freed;
}

/* Give memory back after a burst, keeping QSBR_MIN_CAP slots. */
static void
shrink_locked(struct qsbr *q)
{
	struct qsbr_item *items;

	if (q->len != 0 || q->reserved != 0 || q->cap <= QSBR_MIN_CAP) {
		return;
	}
	/* A fresh block: realloc may keep a large mapping in place. */
	items = tern_malloc(QSBR_MIN_CAP * sizeof(struct qsbr_item));
	if (items != NULL) {
		tern_free(q->items);
		q->items = items;
		q->cap = QSBR_MIN_CAP;
	}
}

size_t
qsbr_reclaim(struct qsbr *q)
{
	size_t n;

	pthread_mutex_lock(&q->lock);
	n = reclaim_locked(q);
	shrink_locked(q);
	pthread_mutex_unlock(&q->lock);
	return n;
}

void
qsbr_quiescent(struct qsbr *q, unsigned i)
{
	struct qsbr_reader *r = &q->readers[i];
	uint64_t e;

	assert(i < q->n_readers);
	/* Acquire pairs with the seq_cst fetch_add in qsbr_retire(): seeing
	 * epoch E means the unlinks before the retire tagged E are visible
	 * to every load this reader makes from now on. */
	e = atomic_load_explicit(&q->epoch, memory_order_acquire);
	/* Relaxed: only this thread writes the record. */
	if (atomic_load_explicit(&r->seen, memory_order_relaxed) != e) {
		/* Release pairs with the acquire loads in reclaim_locked(). */
		atomic_store_explicit(&r->seen, e, memory_order_release);
	}
	/* Relaxed: a hint (see reclaim_locked()); a miss waits a turn. */
	if (atomic_load_explicit(&q->pending, memory_order_relaxed) == 0) {
		return;
	}
	if (pthread_mutex_trylock(&q->lock) == 0) {
		(void)reclaim_locked(q); /* the count is only informative */
		shrink_locked(q);
		pthread_mutex_unlock(&q->lock);
	}
}

/* Make room for @n more items; 0 or TERN_ENOMEM. Under the lock. */
static int
room_locked(struct qsbr *q, size_t n)
{
	struct qsbr_item *items;
	size_t cap;

	if (q->head != 0) {
		memmove(q->items, q->items + q->head,
		        (q->len - q->head) * sizeof(struct qsbr_item));
		q->len -= q->head;
		q->head = 0;
	}
	if (n <= q->cap - q->len) {
		return 0;
	}
	if (n > SIZE_MAX / sizeof(struct qsbr_item) / 2 - q->len) {
		return TERN_ENOMEM;
	}
	cap = q->cap * 2;
	if (cap < q->len + n) {
		cap = q->len + n;
	}
	items = tern_realloc(q->items, cap * sizeof(struct qsbr_item));
	if (items == NULL) {
		return TERN_ENOMEM;
	}
	q->items = items;
	q->cap = cap;
	return 0;
}

int
qsbr_reserve(struct qsbr *q, size_t n)
{
	int err;

	pthread_mutex_lock(&q->lock);
	err = room_locked(q, n);
	if (err == 0) {
		q->reserved = n;
	}
	pthread_mutex_unlock(&q->lock);
	return err;
}

int
qsbr_retire(struct qsbr *q, void *p, qsbr_free_fn *fn)
{
	struct qsbr_item *it;
	int err = 0;

	pthread_mutex_lock(&q->lock);
	if (q->len == q->cap) {
		err = room_locked(q, 1);
	}
	if (err == 0) {
		if (q->reserved != 0) {
			q->reserved--;
		}
		it = &q->items[q->len++];
		it->p = p;
		it->fn = fn;
		/* seq_cst (acquire and release) pairs with the acquire loads
		 * of the epoch in qsbr_quiescent() and qsbr_online(), and with
		 * the RMW in qsbr_online(). */
		it->epoch = atomic_fetch_add(&q->epoch, 1) + 1;
		/* Relaxed: see reclaim_locked(). */
		atomic_store_explicit(&q->pending, q->len - q->head,
		                      memory_order_relaxed);
	}
	pthread_mutex_unlock(&q->lock);
	return err;
}

size_t
qsbr_pending(struct qsbr *q)
{
	/* Relaxed: a snapshot. */
	return atomic_load_explicit(&q->pending, memory_order_relaxed);
}
