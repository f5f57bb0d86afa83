/*
 * fuzz_topic.c - topic_check_name(), topic_check_filter(), topic_match()
 * and topic_levels() against a small reference written from the spec.
 *
 * Input: FILTER NUL NAME (split at the first NUL byte); without a NUL the
 * whole input is both, which adds a property: a valid name is a valid
 * filter that matches itself. The reference splits both into arrays of
 * levels and states the rules of MQTT 3.1.1 / 5.0 section 4.7 over the
 * arrays, which is a different way from the codec's single pass; the
 * two must agree on every filter and name they both call valid.
 */
#include <string.h>

#include "codec/mqtt.h"
#include "fuzz.h"

#define TOPIC_MAX 65535u

/* @t as an array of levels (one more than its '/' count). */
struct levels {
	struct span *v;
	size_t n;
};

static struct levels
split(struct span t)
{
	struct levels l = {calloc(t.len + 1, sizeof(struct span)), 0};
	size_t start = 0;

	FUZZ_CHECK(l.v != NULL);
	for (size_t i = 0; i <= t.len; i++) {
		if (i == t.len || t.p[i] == '/') {
			l.v[l.n++] = span_make(t.p + start, i - start);
			start = i + 1;
		}
	}
	return l;
}

static bool
level_is(struct span l, const char *s)
{
	return span_eq_str(l, s);
}

static bool
has_byte(struct span s, uint8_t c)
{
	return s.len != 0 && memchr(s.p, c, s.len) != NULL;
}

/* [MQTT-4.7.3-1] [MQTT-4.7.3-3] 1..65535 bytes; [MQTT-4.7.1-1] no
 * wildcard characters at all. */
static bool
ref_name_ok(struct span t)
{
	return t.len >= 1 && t.len <= TOPIC_MAX && !has_byte(t, '+') &&
	       !has_byte(t, '#');
}

/* 1..65535 bytes; a level holding '+' or '#' is exactly that character
 * [MQTT-4.7.1-3]; "#" only as the last level [MQTT-4.7.1-2]. */
static bool
ref_filter_ok(struct span t, const struct levels *l)
{
	if (t.len < 1 || t.len > TOPIC_MAX) {
		return false;
	}
	for (size_t i = 0; i < l->n; i++) {
		struct span v = l->v[i];

		if ((has_byte(v, '+') || has_byte(v, '#')) &&
		    !level_is(v, "+") && !level_is(v, "#")) {
			return false;
		}
		if (level_is(v, "#") && i + 1 != l->n) {
			return false;
		}
	}
	return true;
}

/*
 * Filter F matches name N when, with k levels in F: if F ends in "#",
 * N has at least k - 1 levels and the first k - 1 match ("a/#" matches
 * "a"); otherwise N has exactly k levels and all match. A level matches
 * when it is "+" or equal. [MQTT-4.7.2-1] A first level that is a
 * wildcard never matches a name starting with '$'.
 */
static bool
ref_match(const struct levels *f, const struct levels *n, struct span name)
{
	bool multi = level_is(f->v[f->n - 1], "#");
	size_t fixed = multi ? f->n - 1 : f->n;

	if (name.len != 0 && name.p[0] == '$' &&
	    (level_is(f->v[0], "+") || level_is(f->v[0], "#"))) {
		return false;
	}
	if (multi ? n->n < fixed : n->n != fixed) {
		return false;
	}
	for (size_t i = 0; i < fixed; i++) {
		if (!level_is(f->v[i], "+") && !span_eq(f->v[i], n->v[i])) {
			return false;
		}
	}
	return true;
}

static void
check_pair(struct span f, struct span n)
{
	struct levels lf = split(f), ln = split(n);
	bool name_ok = topic_check_name(n) == 0;
	bool filter_ok = topic_check_filter(f) == 0;

	FUZZ_CHECK(name_ok == ref_name_ok(n));
	FUZZ_CHECK(filter_ok == ref_filter_ok(f, &lf));
	FUZZ_CHECK(topic_levels(f) == lf.n && topic_levels(n) == ln.n);
	if (name_ok && filter_ok) {
		FUZZ_CHECK(topic_match(f, n) == ref_match(&lf, &ln, n));
	} else {
		/* Undefined for invalid input, but it must return. */
		(void)topic_match(f, n);
	}
	if (name_ok) {
		/* A name is a filter without wildcards, matching itself. */
		FUZZ_CHECK(topic_check_filter(n) == 0 && topic_match(n, n));
		/* "#" matches every name but those starting with '$'. */
		FUZZ_CHECK(topic_match(span_make("#", 1), n) ==
		           (n.p[0] != '$'));
	}
	free(lf.v);
	free(ln.v);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t none[1];
	const uint8_t *nul = size != 0 ? memchr(data, 0, size) : NULL;
	/* Never offsets from NULL (undefined behaviour). */
	struct span all = span_make(data != NULL ? data : none, size);

	if (nul == NULL) {
		check_pair(all, all);
		return 0;
	}
	check_pair(span_make(all.p, (size_t)(nul - data)),
	           span_make(nul + 1, size - (size_t)(nul - data) - 1));
	return 0;
}
