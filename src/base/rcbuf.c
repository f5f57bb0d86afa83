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
	/* acq_rel: the release orders this owner's reads before the
	 * decrement; the acquire in the last owner orders the free after
	 * every other owner's decrement. (A release decrement plus an
	 * acquire fence would do, but ThreadSanitizer does not model
	 * fences.) */
	if (atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) == 1) {
		tern_free(b);
	}
}
