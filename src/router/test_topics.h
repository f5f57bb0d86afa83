/*
 * test_topics.h - random topic names and filters for the router's and the
 * retained store's unit tests, which check both against topic_match().
 *
 * A seeded xorshift generator keeps every run the same.
 */
#ifndef TERN_ROUTER_TEST_TOPICS_H
#define TERN_ROUTER_TEST_TOPICS_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define NAME_MAX_LEN 64 /* buffers for random names */

/* rnd() - the next number of the generator whose state is *@s. */
static inline uint32_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (uint32_t)(*s >> 16);
}

/* Append @w to the NUL-terminated @out (NAME_MAX_LEN bytes). */
static inline void
append(char *out, const char *w)
{
	size_t at = strlen(out), n = strlen(w);

	if (at + n < NAME_MAX_LEN) {
		memcpy(out + at, w, n + 1);
	}
}

/*
 * random_name() - into @out, a topic name (or, with @filter, a filter that
 * may hold + and #) of 1..5 levels over a small alphabet with an empty
 * level and a $ level; never empty.
 */
static inline void
random_name(uint64_t *s, char *out, bool filter)
{
	static const char *const words[] = {"a", "b", "", "$s", "cc", "+", "#"};
	size_t levels = 1 + rnd(s) % 5;

	out[0] = '\0';
	for (size_t i = 0; i < levels; i++) {
		uint32_t k = rnd(s) % (filter ? 7 : 5);

		if (i != 0) {
			append(out, "/");
		}
		append(out, words[k]);
		if (k == 6) {
			break; /* # ends a filter */
		}
	}
	if (out[0] == '\0') { /* names and filters are never empty */
		append(out, "cc");
	}
}

#endif
