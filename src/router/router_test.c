/*
 * router_test.c - the subscription trie: exact match sets against a
 * reference matcher, the '$' rules, replace and unsubscribe semantics,
 * pruning back to zero bytes, deep and wide tries, allocation failure at
 * every step, and readers matching while a writer changes the trie.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include "../base/alloc.h"
#include "../base/err.h"
#include "../base/test.h"
#include "router.h"
#include "test_topics.h"

#define MAX_HITS 4096

struct hits {
	size_t n;
	struct sub_ref ref[MAX_HITS];
};

/* Hits of the test in progress (one test runs at a time). */
static struct hits scratch;

static void
collect(void *arg, const struct sub_ref *ref)
{
	struct hits *h = arg;

	if (h->n < MAX_HITS) {
		h->ref[h->n] = *ref;
	}
	h->n++;
}

static struct sub_ref
sref(uint32_t slot)
{
	struct sub_ref r = {0, slot, 1, slot, 1, 0};
	return r;
}

static int
sub(struct router *r, const char *f, uint32_t slot)
{
	struct sub_ref ref = sref(slot);

	return router_subscribe(r, span_str(f), &ref, NULL);
}

static int
unsub(struct router *r, const char *f, uint32_t slot)
{
	struct sub_ref ref = sref(slot);

	return router_unsubscribe(r, span_str(f), &ref);
}

static int
cmp_slot(const void *a, const void *b)
{
	const struct sub_ref *x = a, *y = b;

	return x->slot < y->slot ? -1 : x->slot > y->slot;
}

/* Match @topic as reader 0 and return the hits sorted by slot. */
static void
match(struct router *r, const char *topic, struct hits *h)
{
	h->n = 0;
	router_match(r, 0, span_str(topic), collect, h);
	if (h->n <= MAX_HITS) {
		qsort(h->ref, h->n, sizeof(h->ref[0]), cmp_slot);
	}
}

/* Reference: does filter @f match topic @t? Straight from [MQTT-4.7]. */
static bool
ref_match(const char *f, const char *t)
{
	if ((f[0] == '+' || f[0] == '#') && t[0] == '$') {
		return false;
	}
	for (;;) {
		size_t fl = strcspn(f, "/"), tl = strcspn(t, "/");

		if (fl == 1 && f[0] == '#') {
			return true;
		}
		if (!(fl == 1 && f[0] == '+') &&
		    (fl != tl || memcmp(f, t, fl) != 0)) {
			return false;
		}
		if (t[tl] == '\0') {
			return f[fl] == '\0' || strcmp(f + fl, "/#") == 0;
		}
		if (f[fl] == '\0') {
			return false;
		}
		f += fl + 1;
		t += tl + 1;
	}
}

/* The test's reference agrees with the codec's topic_match(). */
static bool
references_agree(const char *const *filters_, size_t n, const char *topic)
{
	for (size_t i = 0; i < n; i++) {
		if (ref_match(filters_[i], topic) !=
		    topic_match(span_str(filters_[i]), span_str(topic))) {
			(void)fprintf(stderr, "'%s' '%s': references differ\n",
			              filters_[i], topic);
			return false;
		}
	}
	return true;
}

/* The hits for @topic are exactly the filters[i] (slot i) that match. */
static bool
hits_are_reference(struct router *r, const char *const *filters,
                   size_t n_filters, const char *topic)
{
	static struct hits h;
	size_t k = 0;

	match(r, topic, &h);
	for (size_t i = 0; i < n_filters; i++) {
		if (!ref_match(filters[i], topic)) {
			continue;
		}
		if (k >= h.n || h.ref[k].slot != i) {
			(void)fprintf(stderr,
			              "topic '%s': missing filter '%s'\n",
			              topic, filters[i]);
			return false;
		}
		k++;
	}
	if (k != h.n) {
		(void)fprintf(stderr, "topic '%s': %zu hits, expected %zu\n",
		              topic, h.n, k);
		return false;
	}
	return true;
}

/* Tables read better in columns. */
/* clang-format off */
static const char *const filters[] = {
	"#",         "+",         "+/+",       "+/#",       "a",
	"a/#",       "a/+",       "a/b",       "a/b/c",     "a/+/c",
	"a/b/#",     "+/b/+",     "+/+/+",     "a//c",      "a/+/+/#",
	"/",         "/#",        "+/",        "/+",        "//",
	"$SYS",      "$SYS/#",    "$SYS/+",    "$SYS/b",    "+/$SYS",
	"a/$x",      "$x/+/c",    "b/+",       "b/#",       "x/y/z/w/v",
	"x/+/z/+/v", "x/#",       "+/+/+/+/+", "a/b/c/d",   "a/b/c/#",
	"sport/tennis/player1/#", "sport/+",   "sport/tennis/+",
};
#define N_FILTERS (sizeof filters / sizeof filters[0])

static const char *const topics[] = {
	"a",         "a/b",       "a/b/c",     "a/b/c/d",   "a/b/c/d/e",
	"a/",        "a//",       "a//c",      "/",         "//",
	"/a",        "$SYS",      "$SYS/b",    "$SYS/b/c",  "$SYS/",
	"$x/b/c",    "a/$x",      "b",         "b/$SYS",    "$",
	"x/y/z/w/v", "x/q/z/q/v", "x/y",       "c/b/d",     "sport",
	"sport/tennis/player1",   "sport/tennis/player1/ranking",
	"sport/tennis",           "sport/",    "ab",        "a/bc",
};
/* clang-format on */
#define N_TOPICS (sizeof topics / sizeof topics[0])

static struct router *
router_with_table(void)
{
	struct router *r = router_new(1);

	if (r == NULL) {
		return NULL;
	}
	for (size_t i = 0; i < N_FILTERS; i++) {
		if (sub(r, filters[i], (uint32_t)i) != 0) {
			router_free(r);
			return NULL;
		}
	}
	return r;
}

static void
test_reference_table(void)
{
	struct router *r = router_with_table();

	T_CHECK(r != NULL);
	T_CHECK_INT(router_count(r), N_FILTERS);
	router_online(r, 0);
	for (size_t t = 0; t < N_TOPICS; t++) {
		T_CHECK(hits_are_reference(r, filters, N_FILTERS, topics[t]));
	}
	router_offline(r, 0);
	router_free(r);
}

/* Spot checks written out by hand, independent of ref_match(). */
static bool
hits_equal(struct router *r, const char *topic, const char *const *want)
{
	static struct hits h;
	size_t n = 0;

	match(r, topic, &h);
	for (; want[n] != NULL; n++) {
		if (n >= h.n || strcmp(filters[h.ref[n].slot], want[n]) != 0) {
			(void)fprintf(stderr, "topic '%s': want '%s'\n", topic,
			              want[n]);
			return false;
		}
	}
	return n == h.n;
}

#define WANT(...) ((const char *const[]){__VA_ARGS__, NULL})

static void
test_spec_examples(void)
{
	struct router *r = router_with_table();

	T_CHECK(r != NULL);
	router_online(r, 0);
	/* [MQTT-4.7.2-1] no leading wildcard for '$' topics. */
	T_CHECK(hits_equal(r, "$SYS", WANT("$SYS", "$SYS/#")));
	T_CHECK(hits_equal(r, "$SYS/b", WANT("$SYS/#", "$SYS/+", "$SYS/b")));
	T_CHECK(hits_equal(r, "$SYS/", WANT("$SYS/#", "$SYS/+")));
	T_CHECK(hits_equal(r, "$", WANT(NULL)));
	T_CHECK(hits_equal(r, "$x/b/c", WANT("$x/+/c")));
	/* Only the first level counts. */
	T_CHECK(hits_equal(r, "b/$SYS",
	                   WANT("#", "+/+", "+/#", "+/$SYS", "b/+", "b/#")));
	/* "a/#" matches "a" [MQTT-4.7.1-2]. */
	T_CHECK(hits_equal(r, "a", WANT("#", "+", "+/#", "a", "a/#")));
	/* '+' matches an empty level. */
	T_CHECK(hits_equal(r, "/",
	                   WANT("#", "+/+", "+/#", "/", "/#", "+/", "/+")));
	T_CHECK(hits_equal(
	        r, "a//c",
	        WANT("#", "+/#", "a/#", "a/+/c", "+/+/+", "a//c", "a/+/+/#")));
	T_CHECK(hits_equal(r, "sport/tennis/player1",
	                   WANT("#", "+/#", "+/+/+", "sport/tennis/player1/#",
	                        "sport/tennis/+")));
	T_CHECK(hits_equal(r, "sport", WANT("#", "+", "+/#")));
	T_CHECK(hits_equal(r, "sport/",
	                   WANT("#", "+/+", "+/#", "+/", "sport/+")));
	router_offline(r, 0);
	router_free(r);
}

#define RAND_FILTERS 400

static void
test_random_against_reference(void)
{
	static char fbuf[RAND_FILTERS][NAME_MAX_LEN];
	static const char *fl[RAND_FILTERS];
	struct router *r = router_new(1);
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	char topic[NAME_MAX_LEN];

	T_CHECK(r != NULL);
	for (size_t i = 0; i < RAND_FILTERS; i++) {
		random_name(&seed, fbuf[i], true);
		fl[i] = fbuf[i];
		T_CHECK_INT(sub(r, fl[i], (uint32_t)i), 0);
	}
	router_online(r, 0);
	for (int round = 0; round < 3; round++) {
		for (int k = 0; k < 2000; k++) {
			random_name(&seed, topic, false);
			T_CHECK(references_agree(fl, RAND_FILTERS, topic));
			T_CHECK(hits_are_reference(r, fl, RAND_FILTERS, topic));
		}
		/* Drop a third and check again: pruning keeps the rest. */
		for (size_t i = (size_t)round; i < RAND_FILTERS; i += 3) {
			T_CHECK_INT(unsub(r, fl[i], (uint32_t)i), 0);
			fl[i] = "never/matches/\x01";
		}
		router_quiescent(r, 0);
	}
	T_CHECK_INT(router_count(r), 0);
	router_offline(r, 0);
	router_free(r);
}

static void
test_replace_and_overlap(void)
{
	struct router *r = router_new(1);
	struct sub_ref a = sref(7), b = sref(8);
	struct hits *h = &scratch;
	bool replaced = true;

	T_CHECK(r != NULL);
	T_CHECK_INT(router_subscribe(r, span_str("x/+"), &a, &replaced), 0);
	T_CHECK(!replaced);
	a.qos = 2;
	a.sub_id = 99;
	T_CHECK_INT(router_subscribe(r, span_str("x/+"), &a, &replaced), 0);
	T_CHECK(replaced);
	T_CHECK_INT(router_count(r), 1);
	/* Another generation of the same slot is another session. */
	b.slot = 7;
	b.gen = 2;
	T_CHECK_INT(router_subscribe(r, span_str("x/+"), &b, &replaced), 0);
	T_CHECK(!replaced);
	/* Overlapping filters of one session: once per filter. */
	T_CHECK_INT(router_subscribe(r, span_str("x/#"), &a, &replaced), 0);
	T_CHECK_INT(router_count(r), 3);
	router_online(r, 0);
	match(r, "x/y", h);
	T_CHECK_INT(h->n, 3);
	T_CHECK_INT(h->ref[0].slot + h->ref[1].slot + h->ref[2].slot, 21);
	for (size_t i = 0; i < 3; i++) {
		if (h->ref[i].gen == 1) {
			T_CHECK_INT(h->ref[i].qos, 2);
			T_CHECK_INT(h->ref[i].sub_id, 99);
		}
	}
	router_offline(r, 0);
	router_free(r);
}

static void
test_unsubscribe(void)
{
	struct router *r = router_new(1);
	struct hits *h = &scratch;

	T_CHECK(r != NULL);
	T_CHECK_INT(unsub(r, "a/b", 1), TERN_ENOTFOUND);
	T_CHECK_INT(sub(r, "a/b", 1), 0);
	T_CHECK_INT(sub(r, "a/b", 2), 0);
	T_CHECK_INT(sub(r, "a/#", 1), 0);
	T_CHECK_INT(unsub(r, "a/b", 3), TERN_ENOTFOUND);
	T_CHECK_INT(unsub(r, "a", 1), TERN_ENOTFOUND);
	T_CHECK_INT(unsub(r, "a/+", 1), TERN_ENOTFOUND);
	T_CHECK_INT(unsub(r, "a/b/#", 1), TERN_ENOTFOUND);
	T_CHECK_INT(unsub(r, "a/b", 1), 0);
	T_CHECK_INT(unsub(r, "a/b", 1), TERN_ENOTFOUND);
	T_CHECK_INT(router_count(r), 2);
	router_online(r, 0);
	match(r, "a/b", h);
	T_CHECK_INT(h->n, 2);
	T_CHECK_INT(h->ref[0].slot, 1); /* a/# */
	T_CHECK_INT(h->ref[1].slot, 2); /* a/b */
	T_CHECK_INT(unsub(r, "a/#", 1), 0);
	match(r, "a", h);
	T_CHECK_INT(h->n, 0);
	router_offline(r, 0);
	router_free(r);
}

static void
test_invalid_filters(void)
{
	static const char *const bad[] = {"",     "a/#/b", "#/",   "a#",
	                                  "a/b+", "++",    "+a/b", "a/##"};
	struct router *r = router_new(1);

	T_CHECK(r != NULL);
	T_CHECK_INT(sub(r, "a/#", 1), 0);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		T_CHECK_INT(sub(r, bad[i], 1), TERN_ETOPIC);
		T_CHECK_INT(unsub(r, bad[i], 1), TERN_ETOPIC);
	}
	T_CHECK_INT(router_count(r), 1);
	router_free(r);
}

static void
test_prune_to_zero(void)
{
	struct router *r = router_new(2);
	size_t base = alloc_in_use();
	char f[64];

	T_CHECK(r != NULL);
	/* A reader online keeps retired memory until it is quiescent. */
	router_online(r, 1);
	for (uint32_t i = 0; i < 3000; i++) {
		(void)snprintf(f, sizeof f, "dev/%u/%s", i,
		               i % 3 == 0   ? "cmd"
		               : i % 3 == 1 ? "+"
		                            : "#");
		T_CHECK_INT(sub(r, f, i), 0);
		T_CHECK_INT(sub(r, f, i + 100000), 0);
	}
	for (size_t i = 0; i < N_FILTERS; i++) {
		T_CHECK_INT(sub(r, filters[i], (uint32_t)i), 0);
	}
	T_CHECK_INT(router_count(r), 6000 + N_FILTERS);
	for (uint32_t i = 0; i < 3000; i++) {
		(void)snprintf(f, sizeof f, "dev/%u/%s", i,
		               i % 3 == 0   ? "cmd"
		               : i % 3 == 1 ? "+"
		                            : "#");
		T_CHECK_INT(unsub(r, f, i + 100000), 0);
		T_CHECK_INT(unsub(r, f, i), 0);
	}
	for (size_t i = 0; i < N_FILTERS; i++) {
		T_CHECK_INT(unsub(r, filters[i], (uint32_t)i), 0);
	}
	T_CHECK_INT(router_count(r), 0);
	T_CHECK(alloc_in_use() > base); /* retired, not yet freed */
	router_quiescent(r, 1);
	T_CHECK_INT(alloc_in_use(), base);
	router_offline(r, 1);
	router_free(r);
}

static void
test_wide_level(void)
{
	struct router *r = router_new(1);
	size_t base = alloc_in_use();
	struct hits *h = &scratch;
	char f[64];

	T_CHECK(r != NULL);
	for (uint32_t i = 0; i < 20000; i++) {
		(void)snprintf(f, sizeof f, "devices/%u/cmd", i);
		T_CHECK_INT(sub(r, f, i), 0);
	}
	T_CHECK_INT(sub(r, "devices/+/cmd", 1000000), 0);
	router_online(r, 0);
	for (uint32_t i = 0; i < 20000; i += 997) {
		(void)snprintf(f, sizeof f, "devices/%u/cmd", i);
		match(r, f, h);
		T_CHECK_INT(h->n, 2);
		T_CHECK_INT(h->ref[0].slot, i);
	}
	/* Remove all but a few: the table shrinks as it empties. */
	for (uint32_t i = 0; i < 20000; i++) {
		if (i % 5000 != 0) {
			(void)snprintf(f, sizeof f, "devices/%u/cmd", i);
			T_CHECK_INT(unsub(r, f, i), 0);
		}
	}
	router_quiescent(r, 0);
	T_CHECK(alloc_in_use() - base < 4096);
	match(r, "devices/5000/cmd", h);
	T_CHECK_INT(h->n, 2);
	match(r, "devices/5001/cmd", h);
	T_CHECK_INT(h->n, 1);
	router_offline(r, 0);
	router_free(r);
}

#define DEEP 10000

/* "a/a/.../a" or "+/+/.../+" with @n levels, then @tail. */
static char *
deep_name(const char *level, size_t n, const char *tail)
{
	size_t ll = strlen(level), tl = strlen(tail);
	char *s = malloc(n * (ll + 1) + tl + 1), *p = s;

	if (s == NULL) {
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		memcpy(p, level, ll);
		p += ll;
		*p++ = '/';
	}
	if (tl != 0) {
		memcpy(p, tail, tl + 1);
	} else {
		p[-1] = '\0';
	}
	return s;
}

static void
test_deep_levels(void)
{
	struct router *r = router_new(1);
	size_t base = alloc_in_use();
	char *topic = deep_name("a", DEEP, "");
	char *plus = deep_name("+", DEEP, "");
	char *lit = deep_name("a", DEEP, "");
	char *plus_hash = deep_name("+", DEEP - 1, "#");
	char *short_plus = deep_name("+", DEEP - 1, "");
	struct hits *h = &scratch;

	T_CHECK(r != NULL && topic != NULL && plus != NULL && lit != NULL);
	T_CHECK(plus_hash != NULL && short_plus != NULL);
	T_CHECK_INT(sub(r, plus, 1), 0);
	T_CHECK_INT(sub(r, lit, 2), 0);
	T_CHECK_INT(sub(r, plus_hash, 3), 0);
	T_CHECK_INT(sub(r, short_plus, 4), 0);
	T_CHECK_INT(sub(r, "a/#", 5), 0);
	T_CHECK_INT(sub(r, "+/+/#", 6), 0);
	router_online(r, 0);
	match(r, topic, h);
	T_CHECK_INT(h->n, 5); /* not the DEEP-1 levels of '+' */
	for (size_t i = 0; i < 5; i++) {
		T_CHECK(h->ref[i].slot != 4);
	}
	/* A deep topic against a trie with no deep filters. */
	T_CHECK_INT(unsub(r, plus, 1), 0);
	T_CHECK_INT(unsub(r, lit, 2), 0);
	T_CHECK_INT(unsub(r, plus_hash, 3), 0);
	T_CHECK_INT(unsub(r, short_plus, 4), 0);
	match(r, topic, h);
	T_CHECK_INT(h->n, 2);
	T_CHECK_INT(unsub(r, "a/#", 5), 0);
	T_CHECK_INT(unsub(r, "+/+/#", 6), 0);
	router_quiescent(r, 0);
	router_offline(r, 0);
	T_CHECK_INT(alloc_in_use(), base);
	free(topic);
	free(plus);
	free(lit);
	free(plus_hash);
	free(short_plus);
	router_free(r);
}

static void
test_free_with_contents(void)
{
	size_t base = alloc_in_use();
	struct router *r = router_with_table();
	char *deep = deep_name("+", DEEP, "x");

	T_CHECK(r != NULL && deep != NULL);
	T_CHECK_INT(sub(r, deep, 1), 0);
	free(deep);
	router_free(r); /* iterative: a deep trie does not recurse */
	router_free(NULL);
	T_CHECK_INT(alloc_in_use(), base);
}

/* Every match result of the table topics, as one comparable number. */
static uint64_t
fingerprint(struct router *r)
{
	static struct hits h;
	uint64_t fp = 1469598103934665603ULL;

	router_online(r, 0);
	for (size_t t = 0; t < N_TOPICS; t++) {
		match(r, topics[t], &h);
		for (size_t i = 0; i < h.n; i++) {
			fp = (fp ^ (h.ref[i].slot * 31u + h.ref[i].qos)) *
			     1099511628211ULL;
		}
		fp = (fp ^ 0xff) * 1099511628211ULL;
	}
	router_offline(r, 0);
	return fp;
}

/* Run @op with allocation k failing for each k: either it succeeds, or
 * the trie, its count and its memory are exactly as before. */
static bool
fails_cleanly(struct router *r, const char *f, struct sub_ref ref, bool add)
{
	for (long k = 0; k < 64; k++) {
		uint64_t fp = fingerprint(r);
		size_t count = router_count(r), mem = alloc_in_use();
		int err;

		alloc_fail_after(k);
		err = add ? router_subscribe(r, span_str(f), &ref, NULL)
		          : router_unsubscribe(r, span_str(f), &ref);
		alloc_fail_after(-1);
		if (err == 0) {
			return true;
		}
		if (err != TERN_ENOMEM || fp != fingerprint(r) ||
		    count != router_count(r) || mem != alloc_in_use()) {
			(void)fprintf(stderr, "'%s' k=%ld err=%d\n", f, k, err);
			return false;
		}
	}
	return false;
}

static void
test_out_of_memory(void)
{
	size_t base = alloc_in_use();
	struct router *r = router_with_table();
	struct sub_ref q2 = sref(7);
	char f[32];

	T_CHECK(r != NULL);
	q2.qos = 2;
	/* The reader is offline during each change: everything retired is
	 * freed at once, so the memory comparison is exact. */
	T_CHECK(fails_cleanly(r, "new/branch/+/of/levels", sref(500), true));
	T_CHECK(fails_cleanly(r, "a/b", q2, true)); /* replace */
	T_CHECK(fails_cleanly(r, "+/new/#", sref(501), true));
	for (uint32_t i = 0; i < 40; i++) { /* table growth at the root */
		(void)snprintf(f, sizeof f, "w%u/x", i);
		T_CHECK(fails_cleanly(r, f, sref(600 + i), true));
	}
	T_CHECK(fails_cleanly(r, "a/b", q2, false));
	T_CHECK(fails_cleanly(r, "new/branch/+/of/levels", sref(500), false));
	T_CHECK(fails_cleanly(r, "+/new/#", sref(501), false));
	for (uint32_t i = 0; i < 40; i++) { /* pruning, table shrink */
		(void)snprintf(f, sizeof f, "w%u/x", i);
		T_CHECK(fails_cleanly(r, f, sref(600 + i), false));
	}
	T_CHECK_INT(router_count(r), N_FILTERS - 1);
	router_free(r);
	T_CHECK_INT(alloc_in_use(), base);
	for (long k = 0; k < 4; k++) {
		alloc_fail_after(k);
		r = router_new(2);
		alloc_fail_after(-1);
		T_CHECK(r == NULL);
		T_CHECK_INT(alloc_in_use(), base);
	}
}

/*
 * Two readers match continuously while a writer subscribes and
 * unsubscribes. Stable subscriptions must be reported exactly once on
 * every match; every reported entry must be intact (sub_id = slot * 3).
 */
#define MT_READERS 2
#define MT_OPS     20000

struct mt {
	struct router *r;
	atomic_bool stop;
	atomic_size_t bad;
	atomic_size_t matches;
};

struct mt_reader {
	struct mt *mt;
	unsigned idx;
};

struct mt_hits {
	size_t stable;
	size_t bad;
};

static void
mt_collect(void *arg, const struct sub_ref *ref)
{
	struct mt_hits *h = arg;

	if (ref->sub_id != ref->slot * 3 || ref->gen != 1) {
		h->bad++;
	}
	h->stable += ref->slot < 16;
}

/* Topics, and how many stable subscriptions each must always match. */
static const struct {
	const char *topic;
	size_t stable;
} mt_topics[] = {{"s/a/b", 2},   {"s/x/y/z", 2}, {"d/1/cmd", 0},
                 {"d/2/cmd", 0}, {"d/3/x/y", 0}, {"$SYS/s/a", 0},
                 {"w/17/x", 1},  {"w/200/x", 1}, {"w/q/x", 1}};

static void
mt_match_all(struct mt *mt, unsigned idx)
{
	for (size_t t = 0; t < sizeof mt_topics / sizeof mt_topics[0]; t++) {
		struct mt_hits h = {0, 0};
		const char *topic = mt_topics[t].topic;
		size_t want = mt_topics[t].stable;

		router_match(mt->r, idx, span_str(topic), mt_collect, &h);
		if (h.bad != 0 || h.stable != want) {
			atomic_fetch_add(&mt->bad, 1);
		}
	}
	atomic_fetch_add_explicit(&mt->matches, 1, memory_order_relaxed);
}

static void *
mt_reader_main(void *arg)
{
	struct mt_reader *rd = arg;
	unsigned long turn = 0;

	router_online(rd->mt->r, rd->idx);
	while (!atomic_load(&rd->mt->stop)) {
		mt_match_all(rd->mt, rd->idx);
		router_quiescent(rd->mt->r, rd->idx);
		if (++turn % 100 == 0) {
			router_offline(rd->mt->r, rd->idx);
			sched_yield();
			router_online(rd->mt->r, rd->idx);
		}
	}
	router_offline(rd->mt->r, rd->idx);
	return NULL;
}

static const char *const mt_filters[] = {
        "d/+/cmd", "d/#",     "d/1/cmd", "d/2/+", "+/+/cmd", "d/3/#", "#",
        "+/3/x/y", "d/3/x/+", "s/a/b",   "s/+/b", "d/+/+/+", "$SYS/#"};
#define MT_N_FILTERS (sizeof mt_filters / sizeof mt_filters[0])
#define MT_WIDE      256 /* "w/<i>/x": grows and shrinks w's table */
#define MT_SESSIONS  8

static struct sub_ref
mt_ref(uint32_t slot)
{
	struct sub_ref r = {0, slot, 1, slot * 3, 1, 0};
	return r;
}

struct mt_writer {
	uint64_t seed;
	unsigned char on[MT_N_FILTERS + MT_WIDE][MT_SESSIONS];
};

/* Flip one random (filter, session) subscription. */
static int
mt_flip(struct router *r, struct mt_writer *w, size_t f, size_t s)
{
	struct sub_ref ref = mt_ref((uint32_t)(100 + s));
	char name[32];
	struct span fs;
	int err;

	if (f < MT_N_FILTERS) {
		fs = span_str(mt_filters[f]);
	} else {
		(void)snprintf(name, sizeof name, "w/%zu/x", f - MT_N_FILTERS);
		fs = span_str(name);
	}
	err = w->on[f][s] ? router_unsubscribe(r, fs, &ref)
	                  : router_subscribe(r, fs, &ref, NULL);
	if (err == 0) {
		w->on[f][s] = !w->on[f][s];
	}
	return err;
}

static int
mt_write(struct router *r, struct mt_writer *w)
{
	size_t n = MT_N_FILTERS + MT_WIDE;
	int err;

	for (int op = 0; op < MT_OPS; op++) {
		/* Bursts of wide subscriptions, then of removals. */
		size_t f = op % 4000 < 2000 ? rnd(&w->seed) % n
		                            : rnd(&w->seed) % MT_N_FILTERS;
		err = mt_flip(r, w, f, rnd(&w->seed) % MT_SESSIONS);
		if (err != 0) {
			return err;
		}
		if (op % 512 == 0) {
			sched_yield();
		}
	}
	for (size_t f = 0; f < n; f++) {
		for (size_t s = 0; s < MT_SESSIONS; s++) {
			err = w->on[f][s] ? mt_flip(r, w, f, s) : 0;
			if (err != 0) {
				return err;
			}
		}
	}
	return 0;
}

static const char *const mt_stable[] = {"s/#", "s/+/+", "s/x/y/z", "$SYS/x",
                                        "w/+/x"};

static void
test_readers_race_writer(void)
{
	size_t base = alloc_in_use();
	struct mt mt = {router_new(MT_READERS), false, 0, 0};
	static struct mt_writer wr;
	struct mt_writer *w = &wr;
	struct mt_reader rd[MT_READERS];
	pthread_t th[MT_READERS];
	int err;

	T_CHECK(mt.r != NULL);
	w->seed = 12345;
	for (uint32_t i = 0; i < 5; i++) {
		struct sub_ref ref = mt_ref(i);

		T_CHECK_INT(router_subscribe(mt.r, span_str(mt_stable[i]), &ref,
		                             NULL),
		            0);
	}
	for (unsigned i = 0; i < MT_READERS; i++) {
		rd[i].mt = &mt;
		rd[i].idx = i;
		T_CHECK_INT(
		        pthread_create(&th[i], NULL, mt_reader_main, &rd[i]),
		        0);
	}
	err = mt_write(mt.r, w);
	atomic_store(&mt.stop, true);
	for (unsigned i = 0; i < MT_READERS; i++) {
		pthread_join(th[i], NULL);
	}
	T_CHECK_INT(err, 0);
	T_CHECK_INT(atomic_load(&mt.bad), 0);
	T_CHECK(atomic_load(&mt.matches) > 0);
	T_CHECK_INT(router_count(mt.r), 5);
	router_free(mt.r);
	T_CHECK_INT(alloc_in_use(), base);
}

T_MAIN(T_CASE(test_reference_table), T_CASE(test_spec_examples),
       T_CASE(test_random_against_reference), T_CASE(test_replace_and_overlap),
       T_CASE(test_unsubscribe), T_CASE(test_invalid_filters),
       T_CASE(test_prune_to_zero), T_CASE(test_wide_level),
       T_CASE(test_deep_levels), T_CASE(test_free_with_contents),
       T_CASE(test_out_of_memory), T_CASE(test_readers_race_writer))
