/*
 * rcbuf.h - immutable reference-counted bytes, shared across threads.
 *
 * Written once by its creator before it is shared; after the first
 * rcbuf_ref() that crosses a thread, the bytes are read-only.
 */
#ifndef TERN_BASE_RCBUF_H
#define TERN_BASE_RCBUF_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct rcbuf {
	atomic_uint refs;
	size_t len;
	uint8_t data[];
};

/* rcbuf_new() - @len bytes, one reference, contents unset. NULL on ENOMEM. */
struct rcbuf *rcbuf_new(size_t len);

static inline struct rcbuf *
rcbuf_ref(struct rcbuf *b)
{
	/* Relaxed: a new reference is made from an existing one. */
	atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed);
	return b;
}

/* rcbuf_unref() - drop one reference; frees on the last. NULL is a no-op. */
void rcbuf_unref(struct rcbuf *b);

#endif
