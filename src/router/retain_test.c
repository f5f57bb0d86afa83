/*
 * retain_test.c - the retained-message store: set, replace, clear, match
 * with wildcards and the '$' rule, counts, message references, deep
 * topics, pruning back to zero bytes, and allocation failure.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "../base/alloc.h"
#include "../base/err.h"
#include "../base/test.h"
#include "retain.h"
#include "test_topics.h"

#define MAX_SEEN 256

struct seen {
	size_t n;
	struct msg *m[MAX_SEEN];
};

static void
collect(void *arg, struct msg *m)
{
	struct seen *s = arg;

	if (s->n < MAX_SEEN) {
		s->m[s->n] = m;
	}
	s->n++;
}

static struct msg *
mk(const char *topic, const char *payload)
{
	return msg_new(span_str(topic), span_str(payload), span_make("", 0), 1,
	               true);
}

static unsigned
refs(struct msg *m)
{
	return atomic_load(&m->refs);
}

static int
cmp_topic(const void *x, const void *y)
{
	struct span a = (*(struct msg *const *)x)->topic;
	struct span b = (*(struct msg *const *)y)->topic;
	int c = memcmp(a.p, b.p, a.len < b.len ? a.len : b.len);

	return c != 0 ? c : (a.len > b.len) - (a.len < b.len);
}

/* The topics matching @filter, sorted, joined by spaces. */
static const char *
matched(struct retain *t, const char *filter)
{
	static char out[4096];
	static struct seen s;
	size_t at = 0;

	s.n = 0;
	retain_match(t, span_str(filter), collect, &s);
	out[0] = '\0';
	if (s.n > MAX_SEEN) {
		return "(too many)";
	}
	qsort(s.m, s.n, sizeof(struct msg *), cmp_topic);
	for (size_t i = 0; i < s.n; i++) {
		struct span tp = s.m[i]->topic;

		if (at + tp.len + 2 > sizeof out) {
			return "(too long)";
		}
		if (i != 0) {
			out[at++] = ' ';
		}
		memcpy(out + at, tp.p, tp.len);
		at += tp.len;
		out[at] = '\0';
	}
	return out;
}

/* clang-format off */
static const char *const topics[] = {
	"a",    "a/b",    "a/b/c",    "a/c",  "a//c",    "a/", "/", "/a",
	"b",    "b/b",    "$SYS",     "$SYS/x",          "$SYS/x/y",
	"c/$x", "x/y/z/w",
};
/* clang-format on */
#define N_TOPICS (sizeof topics / sizeof topics[0])

static struct retain *
store_with_topics(struct msg **ms)
{
	struct retain *t = retain_new();

	if (t == NULL) {
		return NULL;
	}
	for (size_t i = 0; i < N_TOPICS; i++) {
		ms[i] = mk(topics[i], "v");
		if (ms[i] == NULL || retain_set(t, ms[i]) != 0) {
			return NULL;
		}
	}
	return t;
}

static void
unref_all(struct msg **ms, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		msg_unref(ms[i]);
	}
}

#define T_MATCH(t, f, want) T_CHECK(strcmp(matched(t, f), want) == 0)

static void
test_match_wildcards(void)
{
	struct msg *ms[N_TOPICS];
	struct retain *t = store_with_topics(ms);

	T_CHECK(t != NULL);
	T_CHECK_INT(retain_count(t), N_TOPICS);
	T_MATCH(t, "a", "a");
	T_MATCH(t, "a/b", "a/b");
	T_MATCH(t, "a/+", "a/ a/b a/c");
	T_MATCH(t, "a/#", "a a/ a//c a/b a/b/c a/c");
	T_MATCH(t, "a/+/c", "a//c a/b/c");
	T_MATCH(t, "+", "a b");
	T_MATCH(t, "+/+", "/ /a a/ a/b a/c b/b c/$x");
	T_MATCH(t, "+/b", "a/b b/b");
	T_MATCH(t, "/+", "/ /a");
	T_MATCH(t, "+/#", "/ /a a a/ a//c a/b a/b/c a/c b b/b c/$x x/y/z/w");
	T_MATCH(t, "#", "/ /a a a/ a//c a/b a/b/c a/c b b/b c/$x x/y/z/w");
	T_MATCH(t, "x/+/z/+", "x/y/z/w");
	T_MATCH(t, "x/+/z", "");
	T_MATCH(t, "nothing/#", "");
	T_MATCH(t, "a/b/c/d", "");
	/* [MQTT-4.7.2-1] '$' topics only through a literal first level. */
	T_MATCH(t, "$SYS/#", "$SYS $SYS/x $SYS/x/y");
	T_MATCH(t, "$SYS/+", "$SYS/x");
	T_MATCH(t, "$SYS", "$SYS");
	T_MATCH(t, "+/x", "");
	T_MATCH(t, "c/+", "c/$x");
	unref_all(ms, N_TOPICS);
	retain_free(t);
}

static void
test_replace_clear_and_refs(void)
{
	size_t base = alloc_in_use();
	struct retain *t = retain_new();
	struct msg *a1 = mk("s/t", "one"), *a2 = mk("s/t", "two");
	struct msg *clr = mk("s/t", ""), *b = mk("s", "b");

	T_CHECK(t != NULL && a1 != NULL && a2 != NULL && clr != NULL);
	T_CHECK(b != NULL);
	T_CHECK_INT(retain_set(t, a1), 0);
	T_CHECK_INT(refs(a1), 2);
	T_CHECK_INT(retain_set(t, a2), 0); /* replaces, releases a1 */
	T_CHECK_INT(refs(a1), 1);
	T_CHECK_INT(refs(a2), 2);
	T_CHECK_INT(retain_count(t), 1);
	T_MATCH(t, "s/t", "s/t");
	T_CHECK_INT(retain_set(t, b), 0);
	T_CHECK_INT(retain_count(t), 2);
	/* [MQTT-3.3.1-10] an empty payload clears, [MQTT-3.3.1-11] and
	 * is not stored itself. */
	T_CHECK_INT(retain_set(t, clr), 0);
	T_CHECK_INT(refs(a2), 1);
	T_CHECK_INT(refs(clr), 1);
	T_CHECK_INT(retain_count(t), 1);
	T_MATCH(t, "s/#", "s");
	T_CHECK_INT(retain_set(t, clr), 0); /* clearing nothing is fine */
	T_CHECK_INT(retain_count(t), 1);
	T_CHECK_INT(retain_set(t, a1), 0);
	T_CHECK_INT(refs(a1), 2);
	retain_free(t); /* drops every reference */
	T_CHECK_INT(refs(a1), 1);
	T_CHECK_INT(refs(b), 1);
	msg_unref(a1);
	msg_unref(a2);
	msg_unref(clr);
	msg_unref(b);
	retain_free(NULL);
	T_CHECK_INT(alloc_in_use(), base);
}

static void
test_clear_prunes_to_zero(void)
{
	size_t base = alloc_in_use(), empty;
	struct retain *t = retain_new();
	struct msg *ms[N_TOPICS], *m;
	char topic[64];

	T_CHECK(t != NULL);
	empty = alloc_in_use() - base;
	retain_free(t);
	t = store_with_topics(ms);
	T_CHECK(t != NULL);
	/* Widen one level so the index grows, then clear everything. */
	for (unsigned i = 0; i < 500; i++) {
		(void)snprintf(topic, sizeof topic, "w/%u/x", i);
		m = mk(topic, "p");
		T_CHECK(m != NULL);
		T_CHECK_INT(retain_set(t, m), 0);
		msg_unref(m);
	}
	T_CHECK_INT(retain_count(t), N_TOPICS + 500);
	for (unsigned i = 0; i < 500; i++) {
		(void)snprintf(topic, sizeof topic, "w/%u/x", i);
		m = mk(topic, "");
		T_CHECK(m != NULL);
		T_CHECK_INT(retain_set(t, m), 0);
		msg_unref(m);
	}
	for (size_t i = 0; i < N_TOPICS; i++) {
		m = mk(topics[i], "");
		T_CHECK(m != NULL);
		T_CHECK_INT(retain_set(t, m), 0);
		msg_unref(m);
		T_CHECK_INT(refs(ms[i]), 1);
	}
	T_CHECK_INT(retain_count(t), 0);
	T_MATCH(t, "#", "");
	unref_all(ms, N_TOPICS);
	/* Nodes pruned, index shrunk: the size of an empty store. */
	T_CHECK_INT(alloc_in_use() - base, empty);
	retain_free(t);
}

#define DEEP 10000

static char *
deep_name(const char *level, size_t n)
{
	size_t ll = strlen(level);
	char *s = malloc(n * (ll + 1)), *p = s;

	if (s == NULL) {
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		memcpy(p, level, ll);
		p += ll;
		*p++ = '/';
	}
	p[-1] = '\0';
	return s;
}

static void
test_deep_topic(void)
{
	size_t base = alloc_in_use();
	struct retain *t = retain_new();
	char *topic = deep_name("a", DEEP), *plus = deep_name("+", DEEP);
	struct msg *m = NULL, *clr = NULL;
	static struct seen s;

	T_CHECK(t != NULL && topic != NULL && plus != NULL);
	m = msg_new(span_str(topic), span_str("x"), span_make("", 0), 0, true);
	clr = msg_new(span_str(topic), span_make("", 0), span_make("", 0), 0,
	              true);
	T_CHECK(m != NULL && clr != NULL);
	T_CHECK_INT(retain_set(t, m), 0);
	s.n = 0;
	retain_match(t, span_str(plus), collect, &s);
	T_CHECK_INT(s.n, 1);
	s.n = 0;
	retain_match(t, span_str("#"), collect, &s);
	T_CHECK_INT(s.n, 1);
	s.n = 0;
	retain_match(t, span_str(topic), collect, &s);
	T_CHECK_INT(s.n, 1);
	plus[2 * DEEP - 2] = '#'; /* "+/+/.../+/#" */
	s.n = 0;
	retain_match(t, span_str(plus), collect, &s);
	T_CHECK_INT(s.n, 1);
	T_CHECK_INT(retain_set(t, clr), 0);
	T_CHECK_INT(retain_count(t), 0);
	T_CHECK_INT(refs(m), 1);
	T_CHECK_INT(retain_set(t, m), 0);
	retain_free(t); /* iterative over a 10,000-level chain */
	msg_unref(m);
	msg_unref(clr);
	free(topic);
	free(plus);
	T_CHECK_INT(alloc_in_use(), base);
}

static void
test_out_of_memory(void)
{
	size_t base = alloc_in_use(), count;
	struct msg *ms[N_TOPICS];
	struct retain *t = store_with_topics(ms);
	struct msg *m = mk("new/deep/topic/x", "v");
	int err = TERN_ENOMEM;

	T_CHECK(t != NULL && m != NULL);
	for (long k = 0; err != 0 && k < 64; k++) {
		count = retain_count(t);
		alloc_fail_after(k);
		err = retain_set(t, m);
		alloc_fail_after(-1);
		if (err != 0) {
			/* Unchanged (the index may have grown: only space). */
			T_CHECK_INT(err, TERN_ENOMEM);
			T_CHECK_INT(retain_count(t), count);
			T_CHECK_INT(refs(m), 1);
			T_MATCH(t, "new/#", "");
			T_MATCH(t, "#",
			        "/ /a a a/ a//c a/b a/b/c a/c b b/b "
			        "c/$x x/y/z/w");
		}
	}
	T_CHECK_INT(err, 0);
	T_MATCH(t, "new/#", "new/deep/topic/x");
	T_CHECK_INT(refs(m), 2);
	retain_free(t);
	unref_all(ms, N_TOPICS);
	msg_unref(m);
	T_CHECK_INT(alloc_in_use(), base);
	for (long k = 0; k < 3; k++) {
		alloc_fail_after(k);
		t = retain_new();
		alloc_fail_after(-1);
		T_CHECK(t == NULL);
		T_CHECK_INT(alloc_in_use(), base);
	}
}

#define RAND_TOPICS 300

static void
count_hit(void *arg, struct msg *m)
{
	unsigned char *hit = arg;
	uint32_t i;

	memcpy(&i, m->payload.p, sizeof i);
	hit[i]++;
}

/* retain_match() reports exactly the topics topic_match() accepts. */
static void
test_random_against_topic_match(void)
{
	static char tp[RAND_TOPICS][NAME_MAX_LEN];
	static unsigned char hit[RAND_TOPICS];
	struct retain *t = retain_new();
	uint64_t seed = 0x2545f4914f6cdd1dULL;
	char f[NAME_MAX_LEN];

	T_CHECK(t != NULL);
	for (uint32_t i = 0; i < RAND_TOPICS; i++) {
		struct msg *m;

		random_name(&seed, tp[i], false);
		m = msg_new(span_str(tp[i]), span_make(&i, sizeof i),
		            span_make("", 0), 0, true);
		T_CHECK(m != NULL);
		T_CHECK_INT(retain_set(t, m), 0);
		msg_unref(m);
	}
	for (int k = 0; k < 3000; k++) {
		random_name(&seed, f, true);
		memset(hit, 0, sizeof hit);
		retain_match(t, span_str(f), count_hit, hit);
		for (size_t i = 0; i < RAND_TOPICS; i++) {
			/* A later set of the same topic replaced this one. */
			bool live = true;

			for (size_t j = i + 1; j < RAND_TOPICS && live; j++) {
				live = strcmp(tp[i], tp[j]) != 0;
			}
			T_CHECK_INT(hit[i],
			            live && topic_match(span_str(f),
			                                span_str(tp[i])));
		}
	}
	retain_free(t);
}

/* A matcher thread reads payloads while the main thread sets and clears. */
struct mt {
	struct retain *t;
	atomic_bool stop;
	size_t bad;
	size_t seen;
};

static void
mt_check(void *arg, struct msg *m)
{
	struct mt *mt = arg;

	if (m->payload.len != 1 || m->payload.p[0] != 'p' ||
	    m->topic.p[0] != 't') {
		mt->bad++;
	}
	mt->seen++;
}

static void *
mt_matcher(void *arg)
{
	struct mt *mt = arg;

	while (!atomic_load(&mt->stop)) {
		retain_match(mt->t, span_str("t/#"), mt_check, mt);
		retain_match(mt->t, span_str("+/+/x"), mt_check, mt);
	}
	return NULL;
}

static void
test_threads(void)
{
	size_t base = alloc_in_use();
	struct mt mt = {retain_new(), false, 0, 0};
	struct msg *m;
	pthread_t th;
	char topic[32];

	T_CHECK(mt.t != NULL);
	T_CHECK_INT(pthread_create(&th, NULL, mt_matcher, &mt), 0);
	for (unsigned i = 0; i < 20000; i++) {
		(void)snprintf(topic, sizeof topic, "t/%u/x", i % 97);
		m = mk(topic, i % 3 == 2 ? "" : "p");
		if (m == NULL || retain_set(mt.t, m) != 0) {
			break;
		}
		msg_unref(m);
	}
	atomic_store(&mt.stop, true);
	pthread_join(th, NULL);
	T_CHECK_INT(mt.bad, 0);
	retain_free(mt.t);
	T_CHECK_INT(alloc_in_use(), base);
}

T_MAIN(T_CASE(test_match_wildcards), T_CASE(test_replace_clear_and_refs),
       T_CASE(test_clear_prunes_to_zero), T_CASE(test_deep_topic),
       T_CASE(test_out_of_memory), T_CASE(test_random_against_topic_match),
       T_CASE(test_threads))
