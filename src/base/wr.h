/*
 * wr.h - writer into caller-sized storage.
 *
 * Encoders size first, allocate once, then write; running past the end is
 * a bug in the sizing, so it is an assert, not an error.
 */
#ifndef TERN_BASE_WR_H
#define TERN_BASE_WR_H

#include <assert.h>

#include "span.h"

struct wr {
	uint8_t *p;
	size_t cap;
	size_t pos;
};

static inline struct wr
wr_make(void *p, size_t cap)
{
	struct wr w = {(uint8_t *)p, cap, 0};
	return w;
}

static inline void
wr_u8(struct wr *w, uint8_t v)
{
	assert(w->cap - w->pos >= 1);
	w->p[w->pos++] = v;
}

static inline void
wr_u16(struct wr *w, uint16_t v)
{
	assert(w->cap - w->pos >= 2);
	w->p[w->pos++] = (uint8_t)(v >> 8);
	w->p[w->pos++] = (uint8_t)v;
}

static inline void
wr_u32(struct wr *w, uint32_t v)
{
	assert(w->cap - w->pos >= 4);
	w->p[w->pos++] = (uint8_t)(v >> 24);
	w->p[w->pos++] = (uint8_t)(v >> 16);
	w->p[w->pos++] = (uint8_t)(v >> 8);
	w->p[w->pos++] = (uint8_t)v;
}

/* varint_size() - bytes needed to encode @v as a Variable Byte Integer. */
static inline size_t
varint_size(uint32_t v)
{
	if (v < 128) {
		return 1;
	}
	if (v < 16384) {
		return 2;
	}
	if (v < 2097152) {
		return 3;
	}
	return 4;
}

static inline void
wr_varint(struct wr *w, uint32_t v)
{
	assert(v <= 268435455u);
	do {
		uint8_t b = (uint8_t)(v & 0x7f);
		v >>= 7;
		if (v != 0) {
			b |= 0x80;
		}
		wr_u8(w, b);
	} while (v != 0);
}

static inline void
wr_bytes(struct wr *w, struct span s)
{
	assert(w->cap - w->pos >= s.len);
	if (s.len != 0) {
		memcpy(w->p + w->pos, s.p, s.len);
	}
	w->pos += s.len;
}

/* wr_bin() - two-byte length then the bytes; @s.len must fit in 16 bits. */
static inline void
wr_bin(struct wr *w, struct span s)
{
	assert(s.len <= 0xffff);
	wr_u16(w, (uint16_t)s.len);
	wr_bytes(w, s);
}

#endif
