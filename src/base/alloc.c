/*
 * alloc.c - counted malloc wrappers.
 *
 * The counters are process-wide by nature (one heap), so they are the one
 * place with static mutable state; they are atomics, safe from any thread.
 */
#include "alloc.h"

#include <malloc.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static atomic_size_t in_use; /* pairs with itself: relaxed counters */
static atomic_long fail_countdown = -1;

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

static void
count(void *p, int sign)
{
	size_t n = p != NULL ? malloc_usable_size(p) : 0;

	if (sign > 0) {
		atomic_fetch_add_explicit(&in_use, n, memory_order_relaxed);
	} else {
		atomic_fetch_sub_explicit(&in_use, n, memory_order_relaxed);
	}
}

void *
tern_malloc(size_t n)
{
	void *p;

	if (injected_failure()) {
		return NULL;
	}
	p = malloc(n == 0 ? 1 : n);
	count(p, 1);
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
	count(p, 1);
	return p;
}

void *
tern_realloc(void *p, size_t n)
{
	size_t old = p != NULL ? malloc_usable_size(p) : 0;
	void *q;

	if (injected_failure()) {
		return NULL;
	}
	q = realloc(p, n == 0 ? 1 : n);
	if (q == NULL) {
		return NULL;
	}
	atomic_fetch_sub_explicit(&in_use, old, memory_order_relaxed);
	count(q, 1);
	return q;
}

void
tern_free(void *p)
{
	if (p == NULL) {
		return;
	}
	count(p, -1);
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
	return atomic_load_explicit(&in_use, memory_order_relaxed);
}

void
alloc_fail_after(long k)
{
	atomic_store_explicit(&fail_countdown, k < 0 ? -1 : k,
	                      memory_order_relaxed);
}
