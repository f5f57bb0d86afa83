/*
 * buf.h - growable byte buffer (read buffers, scratch).
 *
 * Bytes live in p[off .. off+len); consuming from the front moves off, and
 * the buffer compacts lazily when it needs room.
 */
#ifndef TERN_BASE_BUF_H
#define TERN_BASE_BUF_H

#include "span.h"

struct buf {
	uint8_t *p;
	size_t off; /* start of live bytes */
	size_t len; /* live bytes */
	size_t cap;
};

/* buf_init() - an empty buffer; allocates nothing. */
void buf_init(struct buf *b);
/* buf_fini() - frees the storage; @b is empty and reusable after. */
void buf_fini(struct buf *b);
/* buf_reserve() - room for @n more bytes after the live ones. 0 or TERN_ENOMEM.
 */
int buf_reserve(struct buf *b, size_t n);
/* buf_append() - copy @s to the end. 0 or TERN_ENOMEM. */
int buf_append(struct buf *b, struct span s);
/* buf_consume() - drop @n bytes from the front (@n <= len). */
void buf_consume(struct buf *b, size_t n);
/* buf_shrink() - release storage when empty and larger than @keep. */
void buf_shrink(struct buf *b, size_t keep);

static inline uint8_t *
buf_tail(struct buf *b)
{
	return b->p + b->off + b->len;
}

static inline size_t
buf_room(const struct buf *b)
{
	return b->cap - b->off - b->len;
}

static inline struct span
buf_span(const struct buf *b)
{
	return span_make(b->p + b->off, b->len);
}

#endif
