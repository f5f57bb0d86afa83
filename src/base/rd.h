/*
 * rd.h - bounds-checked reader over a span.
 *
 * Every rd_*() checks rd_left() first and returns TERN_EMALFORMED when the
 * bytes run out; on failure the out-parameter is untouched. Wire bytes are
 * parsed only through these functions.
 */
#ifndef TERN_BASE_RD_H
#define TERN_BASE_RD_H

#include "err.h"
#include "span.h"

struct rd {
	const uint8_t *p;
	size_t len;
	size_t pos;
};

static inline struct rd
rd_make(struct span s)
{
	struct rd r = {s.p, s.len, 0};
	return r;
}

static inline size_t
rd_left(const struct rd *r)
{
	return r->len - r->pos;
}

static inline struct span
rd_rest(const struct rd *r)
{
	return span_make(r->p + r->pos, rd_left(r));
}

static inline int
rd_u8(struct rd *r, uint8_t *out)
{
	if (rd_left(r) < 1) {
		return TERN_EMALFORMED;
	}
	*out = r->p[r->pos++];
	return 0;
}

static inline int
rd_u16(struct rd *r, uint16_t *out)
{
	if (rd_left(r) < 2) {
		return TERN_EMALFORMED;
	}
	*out = (uint16_t)((unsigned)r->p[r->pos] << 8 | r->p[r->pos + 1]);
	r->pos += 2;
	return 0;
}

static inline int
rd_u32(struct rd *r, uint32_t *out)
{
	if (rd_left(r) < 4) {
		return TERN_EMALFORMED;
	}
	*out = (uint32_t)r->p[r->pos] << 24 | (uint32_t)r->p[r->pos + 1] << 16 |
	       (uint32_t)r->p[r->pos + 2] << 8 | (uint32_t)r->p[r->pos + 3];
	r->pos += 4;
	return 0;
}

/*
 * rd_varint() - MQTT Variable Byte Integer: at most 4 bytes, so at most
 * 268,435,455. A fifth continuation byte is malformed. Overlong encodings
 * (e.g. 0x80 0x00) are accepted, as the spec does not forbid them.
 */
static inline int
rd_varint(struct rd *r, uint32_t *out)
{
	uint32_t v = 0;
	size_t pos = r->pos;

	for (unsigned i = 0; i < 4; i++) {
		if (pos >= r->len) {
			return TERN_EMALFORMED;
		}
		uint8_t b = r->p[pos++];
		v |= (uint32_t)(b & 0x7f) << (7 * i);
		if ((b & 0x80) == 0) {
			r->pos = pos;
			*out = v;
			return 0;
		}
	}
	return TERN_EMALFORMED;
}

/* rd_bytes() - a view of the next @n bytes. */
static inline int
rd_bytes(struct rd *r, size_t n, struct span *out)
{
	if (rd_left(r) < n) {
		return TERN_EMALFORMED;
	}
	*out = span_make(r->p + r->pos, n);
	r->pos += n;
	return 0;
}

/* rd_bin() - a two-byte length followed by that many bytes. */
static inline int
rd_bin(struct rd *r, struct span *out)
{
	uint16_t n;
	size_t save = r->pos;
	int err = rd_u16(r, &n);

	if (err == 0) {
		err = rd_bytes(r, n, out);
	}
	if (err != 0) {
		r->pos = save;
	}
	return err;
}

#endif
