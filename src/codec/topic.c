/*
 * topic.c - topic names and topic filters (MQTT 3.1.1 and 5.0 section 4.7).
 *
 * A topic is a sequence of levels separated by '/'; a level may be empty,
 * so "/" has two empty levels and "a//b" three. Filters add '+' (one whole
 * level) and '#' (the last level: the parent and any number of children).
 * Every function here makes one pass over its input: no allocation, no
 * recursion, time linear in the lengths.
 */
#include <string.h>

#include "levels.h"
#include "mqtt.h"

#define TOPIC_MAX 65535u

int
topic_check_name(struct span t)
{
	/* [MQTT-4.7.3-1] [MQTT-4.7.3-3] 1..65,535 bytes. */
	if (t.len == 0 || t.len > TOPIC_MAX) {
		return TERN_ETOPIC;
	}
	/* [MQTT-3.3.2-2] [MQTT-4.7.1-1] No wildcards in a topic name. One
	 * branch-free pass the compiler vectorises: this runs for every
	 * PUBLISH, and two memchr() calls cost more on short topics. */
	unsigned wild = 0;
	for (size_t i = 0; i < t.len; i++) {
		wild |= (unsigned)(t.p[i] == '+') | (unsigned)(t.p[i] == '#');
	}
	return wild != 0 ? TERN_ETOPIC : 0;
}

int
topic_check_filter(struct span f)
{
	/* [MQTT-4.7.3-1] At least one character. [MQTT-4.7.3-3] At most
	 * 65,535 bytes. */
	if (f.len == 0 || f.len > TOPIC_MAX) {
		return TERN_ETOPIC;
	}
	for (size_t i = 0; i < f.len; i++) {
		uint8_t c = f.p[i];
		bool starts = i == 0 || f.p[i - 1] == '/';
		bool ends = i + 1 == f.len || f.p[i + 1] == '/';

		/* [MQTT-4.7.1-3] '+' fills its whole level. */
		if (c == '+' && !(starts && ends)) {
			return TERN_ETOPIC;
		}
		/* [MQTT-4.7.1-2] '#' fills the last level. */
		if (c == '#' && !(starts && i + 1 == f.len)) {
			return TERN_ETOPIC;
		}
	}
	return 0;
}

/*
 * [MQTT-4.7.2-1] A filter that starts with a wildcard does not match a
 * name that starts with '$' ("#" and "+/x" do not match "$SYS/x").
 */
static bool
is_dollar_guarded(struct span f, struct span n)
{
	return n.len != 0 && n.p[0] == '$' && f.len != 0 &&
	       (f.p[0] == '+' || f.p[0] == '#');
}

bool
topic_match(struct span f, struct span n)
{
	struct level_it fi = level_it_make(f);
	struct level_it ni = level_it_make(n);

	if (is_dollar_guarded(f, n)) {
		return false;
	}
	while (!level_it_done(&fi)) {
		struct span fl = level_it_next(&fi);

		/* [MQTT-4.7.1-2] '#' matches the parent level and any number
		 * of child levels: "sport/#" matches "sport". */
		if (level_is(fl, '#')) {
			return true;
		}
		if (level_it_done(&ni)) {
			return false;
		}
		struct span nl = level_it_next(&ni);
		/* [MQTT-4.7.1-3] '+' matches exactly one level, empty too. */
		if (!level_is(fl, '+') && !span_eq(fl, nl)) {
			return false;
		}
	}
	return level_it_done(&ni);
}

size_t
topic_levels(struct span t)
{
	/* One more level than separators; a branch-free count the compiler
	 * vectorises (this runs for every PUBLISH). */
	size_t n = 1;

	for (size_t i = 0; i < t.len; i++) {
		n += (size_t)(t.p[i] == '/');
	}
	return n;
}
