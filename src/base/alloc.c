/*
 * alloc.c - counted malloc wrappers.
 *
 * Live bytes are counted per thread: each thread owns one slot that only it
 * writes (a plain load and store, no locked instruction, and the cache line
 * stays with that thread), and alloc_in_use() sums the slots. A block freed
 * by another thread than the one that allocated it makes one slot go down
 * and another up; only the sum means anything. A thread's slot is folded
 * into `retired` when the thread exits, so the sum stays exact once the
 * threads that allocated are gone or quiet.
 *
 * For the broker's per-message memory check, summing slots under a lock is
 * too slow, so each thread also adds what its slot moved to one shared
 * counter, `folded`, once the move reaches ALLOC_FOLD_BYTES: one atomic add
 * per 64 KiB of net allocation instead of one per call, and the counter's
 * cache line stays shared between readers in between.
 *
 * The slot list and the fault-injection countdown are process-wide by
 * nature (one heap), so this is the one file with static mutable state.
 */
#include "alloc.h"

#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct alloc_slot {
	/* Written by its thread only (relaxed load + store); read by
	 * alloc_in_use() under slots_lock, which tolerates a stale value. */
	_Atomic long bytes;
	long published; /* the part of `bytes` added to `folded`; owner only */
	struct alloc_slot *next, *prev; /* under slots_lock */
};

static pthread_mutex_t slots_lock = PTHREAD_MUTEX_INITIALIZER;
static struct alloc_slot *slots; /* under slots_lock */
static _Atomic long retired;     /* exited threads' and slotless bytes */
static _Atomic long folded;      /* what the slots published + retired */
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static pthread_key_t slot_key; /* runs retire_slot() at thread exit */
static bool key_ok;            /* written once under key_once */
static _Thread_local struct alloc_slot *my_slot;
static _Thread_local bool my_slot_failed; /* no slot: use `retired` */
static atomic_long fail_countdown = -1;

static void
retire_slot(void *arg)
{
	struct alloc_slot *s = arg;

	pthread_mutex_lock(&slots_lock);
	if (s->prev != NULL) {
		s->prev->next = s->next;
	} else {
		slots = s->next;
	}
	if (s->next != NULL) {
		s->next->prev = s->prev;
	}
	/* Relaxed counters; alloc_in_use() is ordered by slots_lock. */
	atomic_fetch_add_explicit(&retired, s->bytes, memory_order_relaxed);
	atomic_fetch_add_explicit(&folded, s->bytes - s->published,
	                          memory_order_relaxed);
	pthread_mutex_unlock(&slots_lock);
	my_slot = NULL;
	my_slot_failed = true; /* frees during later destructors */
	free(s);
}

static void
make_key(void)
{
	key_ok = pthread_key_create(&slot_key, retire_slot) == 0;
}

/* The calling thread's slot, made on first use; NULL if none can be. The
 * slot itself is not counted: it is bookkeeping, like malloc's own. */
static struct alloc_slot *
thread_slot(void)
{
	struct alloc_slot *s;

	if (my_slot != NULL || my_slot_failed) {
		return my_slot;
	}
	my_slot_failed = true;
	(void)pthread_once(&key_once, make_key); /* cannot fail here */
	s = calloc(1, sizeof(*s));
	if (s == NULL || !key_ok || pthread_setspecific(slot_key, s) != 0) {
		free(s);
		return NULL;
	}
	pthread_mutex_lock(&slots_lock);
	s->next = slots;
	if (slots != NULL) {
		slots->prev = s;
	}
	slots = s;
	pthread_mutex_unlock(&slots_lock);
	my_slot = s;
	my_slot_failed = false;
	return s;
}

static void
count(long delta)
{
	struct alloc_slot *s = thread_slot();
	long now;

	if (s == NULL) {
		/* Relaxed counters: nothing is published through them. */
		atomic_fetch_add_explicit(&retired, delta,
		                          memory_order_relaxed);
		atomic_fetch_add_explicit(&folded, delta, memory_order_relaxed);
		return;
	}
	/* Only this thread writes the slot: no read-modify-write needed. */
	now = atomic_load_explicit(&s->bytes, memory_order_relaxed) + delta;
	atomic_store_explicit(&s->bytes, now, memory_order_relaxed);
	if (now - s->published >= ALLOC_FOLD_BYTES ||
	    s->published - now >= ALLOC_FOLD_BYTES) {
		atomic_fetch_add_explicit(&folded, now - s->published,
		                          memory_order_relaxed);
		s->published = now;
	}
}

static long
usable(void *p)
{
	return p != NULL ? (long)malloc_usable_size(p) : 0;
}

static int
injected_failure(void)
{
	long left = atomic_load_explicit(&fail_countdown, memory_order_relaxed);

	if (left < 0) {
		return 0;
	}
	if (left == 0) {
		return 1;
	}
	atomic_fetch_sub_explicit(&fail_countdown, 1, memory_order_relaxed);
	return 0;
}

void *
tern_malloc(size_t n)
{
	void *p;

	if (injected_failure()) {
		return NULL;
	}
	p = malloc(n == 0 ? 1 : n);
	count(usable(p));
	return p;
}

void *
tern_calloc(size_t count_, size_t size)
{
	void *p;

	if (injected_failure()) {
		return NULL;
	}
	p = calloc(count_ == 0 ? 1 : count_, size == 0 ? 1 : size);
	count(usable(p));
	return p;
}

void *
tern_realloc(void *p, size_t n)
{
	long old = usable(p);
	void *q;

	if (injected_failure()) {
		return NULL;
	}
	q = realloc(p, n == 0 ? 1 : n);
	if (q == NULL) {
		return NULL;
	}
	count(usable(q) - old);
	return q;
}

void
tern_free(void *p)
{
	if (p == NULL) {
		return;
	}
	count(-usable(p));
	free(p);
}

char *
tern_strndup(const char *s, size_t n)
{
	char *d = tern_malloc(n + 1);

	if (d != NULL) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

size_t
alloc_in_use(void)
{
	long sum;

	pthread_mutex_lock(&slots_lock);
	sum = atomic_load_explicit(&retired, memory_order_relaxed);
	for (const struct alloc_slot *s = slots; s != NULL; s = s->next) {
		sum += atomic_load_explicit(&s->bytes, memory_order_relaxed);
	}
	pthread_mutex_unlock(&slots_lock);
	/* Slots read at different moments may run ahead of one another. */
	return sum > 0 ? (size_t)sum : 0;
}

size_t
alloc_in_use_approx(void)
{
	long sum = atomic_load_explicit(&folded, memory_order_relaxed);

	return sum > 0 ? (size_t)sum : 0;
}

void
alloc_fail_after(long k)
{
	atomic_store_explicit(&fail_countdown, k < 0 ? -1 : k,
	                      memory_order_relaxed);
}
