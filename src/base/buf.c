/*
 * buf.c - growable byte buffer.
 */
#include "buf.h"

#include "alloc.h"
#include "err.h"

void
buf_init(struct buf *b)
{
	b->p = NULL;
	b->off = 0;
	b->len = 0;
	b->cap = 0;
}

void
buf_fini(struct buf *b)
{
	tern_free(b->p);
	buf_init(b);
}

int
buf_reserve(struct buf *b, size_t n)
{
	size_t need, cap;
	uint8_t *p;

	if (buf_room(b) >= n) {
		return 0;
	}
	if (b->off != 0) {
		memmove(b->p, b->p + b->off, b->len);
		b->off = 0;
		if (buf_room(b) >= n) {
			return 0;
		}
	}
	if (n > SIZE_MAX / 2 - b->len) {
		return TERN_ENOMEM;
	}
	need = b->len + n;
	cap = b->cap < 64 ? 64 : b->cap;
	while (cap < need) {
		cap *= 2;
	}
	p = tern_realloc(b->p, cap);
	if (p == NULL) {
		return TERN_ENOMEM;
	}
	b->p = p;
	b->cap = cap;
	return 0;
}

int
buf_append(struct buf *b, struct span s)
{
	int err = buf_reserve(b, s.len);

	if (err != 0) {
		return err;
	}
	if (s.len != 0) {
		memcpy(buf_tail(b), s.p, s.len);
	}
	b->len += s.len;
	return 0;
}

void
buf_consume(struct buf *b, size_t n)
{
	b->off += n;
	b->len -= n;
	if (b->len == 0) {
		b->off = 0;
	}
}

void
buf_shrink(struct buf *b, size_t keep)
{
	if (b->len == 0 && b->cap > keep) {
		buf_fini(b);
	}
}
