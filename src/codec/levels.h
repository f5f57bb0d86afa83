/*
 * levels.h - walking the '/'-separated levels of a topic name or filter,
 * without copying. Shared by topic.c and the ACL matcher.
 */
#ifndef TERN_CODEC_LEVELS_H
#define TERN_CODEC_LEVELS_H

#include <stdbool.h>
#include <string.h>

#include "../base/span.h"

/*
 * A cursor over the levels of a topic. @pos is the start of the next
 * level; it passes @len by one once the last level has been taken, which
 * tells "no more levels" apart from "one more empty level".
 */
struct level_it {
	const uint8_t *p;
	size_t len;
	size_t pos;
};

static inline struct level_it
level_it_make(struct span t)
{
	/* An empty span may have no pointer; offsets from NULL are UB. */
	static const uint8_t none[1];
	struct level_it it = {t.p != NULL ? t.p : none, t.len, 0};
	return it;
}

static inline bool
level_it_done(const struct level_it *it)
{
	return it->pos > it->len;
}

/* The next level; only called when !level_it_done(). */
static inline struct span
level_it_next(struct level_it *it)
{
	size_t left = it->len - it->pos;
	const uint8_t *start = it->p + it->pos;
	const uint8_t *sep = left != 0 ? memchr(start, '/', left) : NULL;
	size_t n = sep != NULL ? (size_t)(sep - start) : left;

	it->pos += n + 1;
	return span_make(start, n);
}

static inline bool
level_is(struct span level, char c)
{
	return level.len == 1 && level.p[0] == (uint8_t)c;
}

#endif
