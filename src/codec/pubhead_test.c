/*
 * pubhead_test.c - the cached PUBLISH head is byte for byte what
 * codec_write_publish_head() writes, for every version, QoS, RETAIN, DUP
 * and packet id, however the calls interleave.
 */
#include "pubhead.h"

#include "../base/alloc.h"
#include "../base/test.h"

/* What the encoder writes for the same delivery. */
static size_t
expected(const struct msg *m, enum mqtt_ver ver, uint8_t qos, bool retain,
         bool dup, uint16_t pid, uint8_t *out, size_t cap)
{
	struct mqtt_publish p = {
	        .qos = qos,
	        .dup = dup,
	        .retain = retain,
	        .topic = m->topic,
	        .pid = pid,
	        .payload = m->payload,
	};
	size_t n = codec_publish_head_size(&p, ver);
	struct wr w;

	if (n == 0 || n > cap) {
		return 0;
	}
	w = wr_make(out, n);
	codec_write_publish_head(&w, &p, ver);
	return n;
}

static bool
same_head(struct pub_head_cache *c, const struct msg *m, enum mqtt_ver ver,
          uint8_t qos, bool retain, bool dup, uint16_t pid)
{
	uint8_t want[PUB_HEAD_MAX];
	size_t n = expected(m, ver, qos, retain, dup, pid, want, sizeof want);
	struct span got = pub_head_get(c, m, ver, qos, retain, dup, pid);

	return n != 0 && got.len == n && memcmp(got.p, want, n) == 0;
}

static struct msg *
make(const char *topic, size_t payload_len)
{
	static const uint8_t zeros[300];

	return msg_new(span_str(topic), span_make(zeros, payload_len),
	               span_make("", 0), 2, false);
}

/* Every combination, for one message, in an order that alternates
 * versions (3.1 and 3.1.1 share a slot) and packet ids. */
static void
test_every_combination_matches_the_encoder(void)
{
	static const enum mqtt_ver vers[] = {MQTT_V31, MQTT_V311, MQTT_V5};
	static const uint16_t pids[] = {1, 0x1234, 0xffff, 7};
	struct pub_head_cache c = {0};
	struct msg *m = make("sensors/kitchen/temp", 64);

	T_CHECK(m != NULL);
	for (uint8_t qos = 0; qos <= 2; qos++) {
		for (int retain = 0; retain <= 1; retain++) {
			for (size_t k = 0; k < 4; k++) {
				for (size_t v = 0; v < 3; v++) {
					bool dup = qos > 0 && k % 2 == 1;
					T_CHECK(same_head(&c, m, vers[v], qos,
					                  retain != 0, dup,
					                  qos > 0 ? pids[k]
					                          : 0));
				}
			}
		}
	}
	msg_unref(m);
}

/* QoS 1 and 2 subscribers of one message get their own packet ids, and a
 * QoS 0 one between them gets none; in the order of the table. */
static const struct head_case {
	enum mqtt_ver ver;
	uint8_t qos;
	bool retain, dup;
	uint16_t pid;
	const char *want;
	size_t len;
} head_cases[] = {
        /* 0x32, RL 2+3+2+10 = 17, topic "a/b", id 0x0102 */
        {MQTT_V311, 1, false, false, 0x0102, "\x32\x11\0\003a/b\x01\x02", 9},
        {MQTT_V311, 1, false, true, 0x0304, "\x3a\x11\0\003a/b\x03\x04", 9},
        {MQTT_V311, 0, false, false, 0, "\x30\x0f\0\003a/b", 7},
        {MQTT_V311, 2, true, false, 9, "\x35\x11\0\003a/b\0\x09", 9},
        /* 5.0: the Property Length (0) follows the id; RL one more. */
        {MQTT_V5, 1, false, false, 0x0506, "\x32\x12\0\003a/b\x05\x06\0", 10},
        /* 3.1 after 3.1.1 and 5.0: the same bytes as 3.1.1. */
        {MQTT_V31, 1, false, false, 0x0708, "\x32\x11\0\003a/b\x07\x08", 9},
};

static void
test_packet_ids_per_subscriber(void)
{
	struct pub_head_cache c = {0};
	struct msg *m = make("a/b", 10);

	T_CHECK(m != NULL);
	for (size_t i = 0; i < sizeof head_cases / sizeof head_cases[0]; i++) {
		const struct head_case *k = &head_cases[i];
		struct span h = pub_head_get(&c, m, k->ver, k->qos, k->retain,
		                             k->dup, k->pid);
		T_CHECK_INT(h.len, k->len);
		T_CHECK_MEM(h.p, k->want, k->len);
	}
	msg_unref(m);
}

/* A new message in the block of a freed one (pools reuse addresses) is
 * not served the old head. */
static void
test_new_message_at_the_same_address(void)
{
	struct pub_head_cache c = {0};
	struct pool p;
	struct msg *a, *b;

	pool_init(&p, MSG_POOL_BLOCK, 4);
	msg_pool_attach(&p);
	a = make("old/topic", 5);
	T_CHECK(a != NULL);
	T_CHECK(same_head(&c, a, MQTT_V311, 0, false, false, 0));
	msg_unref(a);
	b = make("new", 5);
	T_CHECK(b == a);
	T_CHECK(same_head(&c, b, MQTT_V311, 0, false, false, 0));
	msg_unref(b);
	msg_pool_attach(NULL);
	pool_fini(&p);
}

/* A head over PUB_HEAD_MAX is left to the caller. */
static void
test_long_topic_is_not_cached(void)
{
	char topic[PUB_HEAD_MAX + 1];
	struct pub_head_cache c = {0};
	struct msg *m;

	memset(topic, 't', sizeof topic - 1);
	topic[sizeof topic - 1] = '\0';
	m = make(topic, 1);
	T_CHECK(m != NULL);
	T_CHECK_INT(pub_head_get(&c, m, MQTT_V311, 0, false, false, 0).len, 0);
	msg_unref(m);
	/* The cache still serves the next message. */
	m = make("x", 1);
	T_CHECK(m != NULL);
	T_CHECK(same_head(&c, m, MQTT_V311, 0, false, false, 0));
	msg_unref(m);
}

T_MAIN(T_CASE(test_every_combination_matches_the_encoder),
       T_CASE(test_packet_ids_per_subscriber),
       T_CASE(test_new_message_at_the_same_address),
       T_CASE(test_long_topic_is_not_cached))
