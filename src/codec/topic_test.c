/*
 * topic_test.c - topic name and filter syntax, and filter matching
 * (MQTT 3.1.1 and 5.0 section 4.7), with the spec's own examples.
 */
#include <stdlib.h>

#include "../base/test.h"
#include "mqtt.h"

/* One syntax case: is @s a valid name (or filter)? */
struct valid_case {
	const char *s;
	bool ok;
};

/* One matching case: does filter @f match name @n? */
struct match_case {
	const char *f;
	const char *n;
	bool want;
};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* Every case of the table is checked; each failure is reported. */
static bool
all_valid(const struct valid_case *c, size_t n, int (*check)(struct span))
{
	bool ok = true;

	for (size_t i = 0; i < n; i++) {
		int err = check(span_str(c[i].s));

		if ((err == 0) != c[i].ok || (err != 0 && err != TERN_ETOPIC)) {
			/* Diagnostics only. */
			(void)fprintf(stderr, "\"%s\": got %d\n", c[i].s, err);
			ok = false;
		}
	}
	return ok;
}

static bool
all_match(const struct match_case *c, size_t n)
{
	bool ok = true;

	for (size_t i = 0; i < n; i++) {
		bool got = topic_match(span_str(c[i].f), span_str(c[i].n));

		if (got != c[i].want) {
			/* Diagnostics only. */
			(void)fprintf(stderr, "\"%s\" vs \"%s\": got %d\n",
			              c[i].f, c[i].n, got);
			ok = false;
		}
	}
	return ok;
}

#define CHECK_NAMES(tab) T_CHECK(all_valid((tab), N_OF(tab), topic_check_name))
#define CHECK_FILTERS(tab) \
	T_CHECK(all_valid((tab), N_OF(tab), topic_check_filter))
#define CHECK_MATCHES(tab) T_CHECK(all_match((tab), N_OF(tab)))

/* A @len-byte buffer of @c; the caller frees it. */
static char *
filled(size_t len, char c)
{
	char *p = malloc(len + 1);

	if (p != NULL) {
		memset(p, c, len);
		p[len] = '\0';
	}
	return p;
}

static void
test_name_valid(void)
{
	static const struct valid_case c[] = {
	        {"a", true},
	        {"sport/tennis/player1", true},
	        {"/", true},
	        {"//", true},
	        {"/finance", true},
	        {"finance/", true},
	        {"a//b", true},
	        {"$SYS/broker/uptime", true},
	        {"Accounts payable", true},
	        {" ", true},
	        {"caf\xc3\xa9", true},
	};

	CHECK_NAMES(c);
}

/* [MQTT-3.3.2-2] [MQTT-4.7.1-1] No wildcard characters in a topic name. */
static void
test_mqtt_4_7_1_1_name_without_wildcards(void)
{
	static const struct valid_case c[] = {
	        {"+", false},       {"#", false},      {"sport/+", false},
	        {"sport/#", false}, {"sport+", false}, {"a#b", false},
	        {"a/b/c+", false},  {"+/a", false},    {"$SYS/#", false},
	};

	CHECK_NAMES(c);
}

/* [MQTT-4.7.3-1] Topic names and filters are at least one character. */
static void
test_mqtt_4_7_3_1_empty(void)
{
	T_CHECK_INT(topic_check_name(span_make("", 0)), TERN_ETOPIC);
	T_CHECK_INT(topic_check_filter(span_make("", 0)), TERN_ETOPIC);
	T_CHECK_INT(topic_check_name(span_make(NULL, 0)), TERN_ETOPIC);
	T_CHECK_INT(topic_check_filter(span_make(NULL, 0)), TERN_ETOPIC);
}

/* [MQTT-4.7.3-3] At most 65,535 bytes; exactly 65,535 is valid. */
static void
test_mqtt_4_7_3_3_length_limit(void)
{
	char *p = filled(65536, 'a');
	bool ok;

	T_CHECK(p != NULL);
	ok = topic_check_name(span_make(p, 65535)) == 0 &&
	     topic_check_name(span_make(p, 65536)) == TERN_ETOPIC &&
	     topic_check_filter(span_make(p, 65535)) == 0 &&
	     topic_check_filter(span_make(p, 65536)) == TERN_ETOPIC;
	p[65534] = '#';
	p[65533] = '/';
	ok = ok && topic_check_filter(span_make(p, 65535)) == 0 &&
	     topic_check_name(span_make(p, 65535)) == TERN_ETOPIC;
	free(p);
	T_CHECK(ok);
}

static void
test_filter_valid(void)
{
	static const struct valid_case c[] = {
	        {"sport/tennis/player1", true},
	        {"#", true},
	        {"+", true},
	        {"sport/#", true},
	        {"sport/tennis/#", true},
	        {"sport/tennis/+", true},
	        {"+/tennis/#", true},
	        {"sport/+/player1", true},
	        {"+/+", true},
	        {"/+", true},
	        {"+/", true},
	        {"/#", true},
	        {"+/#", true},
	        {"/", true},
	        {"//", true},
	        {"a//b", true},
	        {"+//+", true},
	        {"$SYS/#", true},
	        {"$SYS/monitor/+", true},
	        {"a/$/b", true},
	};

	CHECK_FILTERS(c);
}

/* [MQTT-4.7.1-2] '#' alone in the last level, and nowhere else. */
static void
test_mqtt_4_7_1_2_hash_placement(void)
{
	static const struct valid_case c[] = {
	        {"sport/tennis#", false},
	        {"sport/tennis/#/ranking", false},
	        {"a/#/b", false},
	        {"#/", false},
	        {"#/a", false},
	        {"##", false},
	        {"a#", false},
	        {"#a", false},
	        {"a/#b", false},
	        {"a/b#", false},
	        {"/#/", false},
	        {"#/#", false},
	};

	CHECK_FILTERS(c);
}

/* [MQTT-4.7.1-3] '+' fills a whole level, anywhere in the filter. */
static void
test_mqtt_4_7_1_3_plus_placement(void)
{
	static const struct valid_case c[] = {
	        {"sport+", false},
	        {"+sport", false},
	        {"sport/+tennis", false},
	        {"sport/tennis+/x", false},
	        {"++", false},
	        {"+/++", false},
	        {"+#", false},
	        {"a/+#", false},
	        {"+/+/+", true},
	        {"a/+/b/+/#", true},
	};

	CHECK_FILTERS(c);
}

/* The multi-level examples of 4.7.1.2: "sport/#" matches "sport". */
static void
test_mqtt_4_7_1_2_hash_examples(void)
{
	static const struct match_case c[] = {
	        {"sport/tennis/player1/#", "sport/tennis/player1", true},
	        {"sport/tennis/player1/#", "sport/tennis/player1/ranking",
	         true},
	        {"sport/tennis/player1/#",
	         "sport/tennis/player1/score/wimbledon", true},
	        {"sport/tennis/player1/#", "sport/tennis/player2", false},
	        {"sport/tennis/player1/#", "sport/tennis", false},
	        {"sport/#", "sport", true},
	        {"sport/#", "sport/", true},
	        {"sport/#", "sport/tennis/player1", true},
	        {"sport/#", "sports", false},
	        {"sport/#", "spor", false},
	        {"sport/#", "/sport", false},
	};

	CHECK_MATCHES(c);
}

/* The single-level examples of 4.7.1.3. */
static void
test_mqtt_4_7_1_3_plus_examples(void)
{
	static const struct match_case c[] = {
	        {"sport/tennis/+", "sport/tennis/player1", true},
	        {"sport/tennis/+", "sport/tennis/player2", true},
	        {"sport/tennis/+", "sport/tennis/player1/ranking", false},
	        {"sport/+", "sport", false},
	        {"sport/+", "sport/", true},
	        {"+/+", "/finance", true},
	        {"/+", "/finance", true},
	        {"+", "/finance", false},
	        {"+/tennis/#", "sport/tennis/player1/ranking", true},
	        {"+/tennis/#", "sport/tennis", true},
	        {"+/tennis/#", "sport/golf", false},
	};

	CHECK_MATCHES(c);
}

/* [MQTT-4.7.2-1] Wildcards in the first level never match '$' topics. */
static void
test_mqtt_4_7_2_1_dollar_topics(void)
{
	static const struct match_case c[] = {
	        {"#", "$SYS/monitor/Clients", false},
	        {"#", "$SYS", false},
	        {"#", "$", false},
	        {"+", "$SYS", false},
	        {"+/monitor/Clients", "$SYS/monitor/Clients", false},
	        {"+/#", "$SYS/x", false},
	        {"$SYS/#", "$SYS/monitor/Clients", true},
	        {"$SYS/#", "$SYS", true},
	        {"$SYS/monitor/+", "$SYS/monitor/Clients", true},
	        {"$SYS", "$SYS", true},
	        {"$SYS", "$sys", false},
	        /* Only the first character counts: '$' deeper is ordinary. */
	        {"a/+", "a/$SYS", true},
	        {"#", "a/$SYS", true},
	        {"#", "a$", true},
	        {"#", " $SYS", true},
	};

	CHECK_MATCHES(c);
}

/* "#" alone matches every name that does not start with '$'. */
static void
test_hash_alone(void)
{
	static const struct match_case c[] = {
	        {"#", "a", true},
	        {"#", "/", true},
	        {"#", "//", true},
	        {"#", "/a/b/", true},
	        {"#", "sport/tennis/player1", true},
	};

	CHECK_MATCHES(c);
}

/* Empty levels are levels: '+' matches them, literals must agree. */
static void
test_empty_levels(void)
{
	static const struct match_case c[] = {
	        {"+/+", "/", true},      {"+", "/", false},
	        {"/", "/", true},        {"/", "//", false},
	        {"+/+/+", "//", true},   {"a/+/c", "a//c", true},
	        {"a/+/c", "a/c", false}, {"a//c", "a//c", true},
	        {"a//c", "a/c", false},  {"/#", "/", true},
	        {"/#", "/a/b", true},    {"/#", "a", false},
	        {"+/#", "a", true},      {"+/#", "/", true},
	};

	CHECK_MATCHES(c);
}

/* Leading and trailing separators make distinct topics. */
static void
test_leading_trailing_slash(void)
{
	static const struct match_case c[] = {
	        {"finance", "/finance", false}, {"/finance", "finance", false},
	        {"a/b", "a/b/", false},         {"a/b/", "a/b", false},
	        {"a/b/", "a/b/", true},         {"a/b/+", "a/b/", true},
	        {"a/b/#", "a/b/", true},        {"a/+/", "a/b/", true},
	        {"a/+/", "a/b", false},
	};

	CHECK_MATCHES(c);
}

/* Exact levels, and topics are case sensitive (4.7.3). */
static void
test_exact_and_case(void)
{
	static const struct match_case c[] = {
	        {"sport/tennis/player1", "sport/tennis/player1", true},
	        {"sport/tennis/player1", "sport/tennis/player", false},
	        {"sport/tennis/player", "sport/tennis/player1", false},
	        {"ACCOUNTS", "Accounts", false},
	        {"Accounts payable", "Accounts payable", true},
	        {"a/b/c", "a/b", false},
	        {"a/b", "a/b/c", false},
	        {"a/+", "a/b/c", false},
	        {"+/+/+", "a/b/c", true},
	        {"+/+/+", "a/b", false},
	        {"+/+", "a/b/c", false},
	};

	CHECK_MATCHES(c);
}

/*
 * Empty strings are never valid topics, so the decoder never passes one
 * here; the level model still gives an answer, without reading any byte.
 */
static void
test_empty_inputs(void)
{
	struct span empty = span_make(NULL, 0);

	T_CHECK(!topic_match(empty, span_str("$SYS")));
	T_CHECK(!topic_match(empty, span_str("a")));
	T_CHECK(topic_match(span_str("#"), empty));
	T_CHECK(topic_match(span_str("+"), empty));
	T_CHECK(!topic_match(span_str("a"), empty));
	T_CHECK(topic_match(empty, empty));
}

static void
test_levels(void)
{
	T_CHECK_INT(topic_levels(span_str("a")), 1);
	T_CHECK_INT(topic_levels(span_str("a/b/c")), 3);
	T_CHECK_INT(topic_levels(span_str("/")), 2);
	T_CHECK_INT(topic_levels(span_str("//")), 3);
	T_CHECK_INT(topic_levels(span_str("/a/")), 3);
	T_CHECK_INT(topic_levels(span_str("sport/#")), 2);
	T_CHECK_INT(topic_levels(span_make("", 0)), 1);
}

/* 65,536 empty levels: no recursion, no stack growth, one pass. */
static bool
many_levels_ok(char *n, char *f)
{
	struct span name = span_make(n, 65535);

	/* f becomes "+/+/.../+": 65,536 levels, like the name. */
	for (size_t i = 0; i < 65536; i++) {
		f[2 * i] = '+';
	}
	return topic_levels(name) == 65536 &&
	       topic_match(span_str("#"), name) &&
	       topic_check_filter(span_make(f, 65535)) == 0 &&
	       topic_match(span_make(f, 65536 * 2 - 1), name) &&
	       !topic_match(span_make(f, 65536 * 2 - 3), name);
}

static void
test_many_levels(void)
{
	char *n = filled(65535, '/');
	char *f = filled(65535 * 2 + 1, '/');
	bool ok = n != NULL && f != NULL && many_levels_ok(n, f);

	free(n);
	free(f);
	T_CHECK(ok);
}

T_MAIN(T_CASE(test_name_valid),
       T_CASE(test_mqtt_4_7_1_1_name_without_wildcards),
       T_CASE(test_mqtt_4_7_3_1_empty), T_CASE(test_mqtt_4_7_3_3_length_limit),
       T_CASE(test_filter_valid), T_CASE(test_mqtt_4_7_1_2_hash_placement),
       T_CASE(test_mqtt_4_7_1_3_plus_placement),
       T_CASE(test_mqtt_4_7_1_2_hash_examples),
       T_CASE(test_mqtt_4_7_1_3_plus_examples),
       T_CASE(test_mqtt_4_7_2_1_dollar_topics), T_CASE(test_hash_alone),
       T_CASE(test_empty_levels), T_CASE(test_leading_trailing_slash),
       T_CASE(test_exact_and_case), T_CASE(test_empty_inputs),
       T_CASE(test_levels), T_CASE(test_many_levels))
