/*
 * rcbuf.c - reference-counted immutable bytes.
 */
#include "rcbuf.h"

#include "alloc.h"

struct rcbuf *
rcbuf_new(size_t len)
{
	struct rcbuf *b = tern_malloc(sizeof(*b) + len);

	if (b == NULL) {
		return NULL;
	}
	atomic_init(&b->refs, 1);
	b->len = len;
	return b;
}

void
rcbuf_unref(struct rcbuf *b)
{
	if (b == NULL) {
		return;
	}
	/* Release pairs with the acquire fence below in the last owner, so
	 * every thread's reads of the bytes happen before the free. */
	if (atomic_fetch_sub_explicit(&b->refs, 1, memory_order_release) == 1) {
		atomic_thread_fence(memory_order_acquire);
		tern_free(b);
	}
}
