/*
 * span.h - a borrowed view of bytes. Never owns; never NUL-terminated.
 */
#ifndef TERN_BASE_SPAN_H
#define TERN_BASE_SPAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct span {
	const uint8_t *p;
	size_t len;
};

static inline struct span
span_make(const void *p, size_t len)
{
	struct span s = {(const uint8_t *)p, len};
	return s;
}

/* span_str() - a view of a NUL-terminated string, without the NUL. */
static inline struct span
span_str(const char *s)
{
	return span_make(s, strlen(s));
}

static inline bool
span_eq(struct span a, struct span b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

static inline bool
span_eq_str(struct span a, const char *s)
{
	return span_eq(a, span_str(s));
}

#endif
