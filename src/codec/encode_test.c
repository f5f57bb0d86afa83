/*
 * encode_test.c - exact bytes for every packet type in every version it
 * exists in, written out by hand from the MQTT 3.1, 3.1.1 and 5.0
 * specifications; codec_size() against the bytes codec_write() produces;
 * the zero-copy PUBLISH head; packets that cannot be encoded.
 */
#include <stdlib.h>

#include "../base/test.h"
#include "mqtt.h"

static uint8_t enc_buf[4096];

/* Diagnostics only: a failed write to stderr changes no result. */
static void
dump_hex(const char *label, const uint8_t *p, size_t n)
{
	(void)fprintf(stderr, "%s", label);
	for (size_t i = 0; i < n; i++) {
		(void)fprintf(stderr, " %02x", p[i]);
	}
	(void)fprintf(stderr, "\n");
}

/* Report both byte strings in hex when they differ. */
static bool
same_bytes(const uint8_t *got, const uint8_t *want, size_t n)
{
	if (n == 0 || memcmp(got, want, n) == 0) {
		return true;
	}
	dump_hex("got: ", got, n);
	dump_hex("want:", want, n);
	return false;
}

/*
 * Encode @p for @ver into a buffer of exactly codec_size() bytes (the
 * writer asserts on any byte past it) and compare with @want: codec_size()
 * must equal both the bytes written and @n.
 */
static bool
encodes_to(const struct mqtt_packet *p, enum mqtt_ver ver, const uint8_t *want,
           size_t n)
{
	size_t size = codec_size(p, ver);
	struct wr w;

	if (size != n || size > sizeof enc_buf) {
		(void)fprintf(stderr, "codec_size %zu, want %zu\n", size, n);
		return false;
	}
	w = wr_make(enc_buf, size);
	codec_write(&w, p, ver);
	if (w.pos != size) {
		(void)fprintf(stderr, "wrote %zu of %zu\n", w.pos, size);
		return false;
	}
	return same_bytes(enc_buf, want, n);
}

#define CHECK_ENC(pkt, ver, want) \
	T_CHECK(encodes_to((pkt), (ver), (want), sizeof(want)))

#define S(lit) span_make((lit), sizeof(lit) - 1)

static const enum mqtt_ver all_vers[] = {MQTT_V31, MQTT_V311, MQTT_V5};
static const enum mqtt_ver v3_vers[] = {MQTT_V31, MQTT_V311};

/* CONNECT */

static void
test_connect_v311_minimal(void)
{
	struct mqtt_packet p = {.type = MQTT_CONNECT};
	static const uint8_t want[] = {
	        0x10, 0x0f,                            /* CONNECT, 15 */
	        0x00, 0x04, 'M',  'Q', 'T', 'T', 0x04, /* "MQTT", level 4 */
	        0x02, 0x00, 0x3c,            /* clean, keep alive 60 */
	        0x00, 0x03, 'a',  'b', 'c'}; /* client id */

	p.u.connect.clean = true;
	p.u.connect.keepalive = 60;
	p.u.connect.client_id = S("abc");
	CHECK_ENC(&p, MQTT_V311, want);
}

/* MQTT 3.1 names itself "MQIsdp", level 3. */
static void
test_connect_v31_protocol_name(void)
{
	struct mqtt_packet p = {.type = MQTT_CONNECT};
	static const uint8_t want[] = {0x10, 0x11, 0x00, 0x06, 'M',  'Q',  'I',
	                               's',  'd',  'p',  0x03, 0x02, 0x00, 0x3c,
	                               0x00, 0x03, 'a',  'b',  'c'};

	p.u.connect.clean = true;
	p.u.connect.keepalive = 60;
	p.u.connect.client_id = S("abc");
	/* The version argument decides; connect.ver is not read. */
	p.u.connect.ver = MQTT_V5;
	CHECK_ENC(&p, MQTT_V31, want);
}

static void
fill_full_connect(struct mqtt_connect *c)
{
	c->keepalive = 10;
	c->client_id = S("c1");
	c->has_will = true;
	c->will.qos = 1;
	c->will.retain = true;
	c->will.topic = S("w/t");
	c->will.payload = S("bye");
	c->has_username = true;
	c->username = S("u");
	c->has_password = true;
	c->password = S("pw");
}

static void
test_connect_v311_will_user_password(void)
{
	struct mqtt_packet p = {.type = MQTT_CONNECT};
	static const uint8_t want[] = {
	        0x10, 0x1f, 0x00, 0x04, 'M',  'Q',  'T',
	        'T',  0x04, 0xec, /* user, password, will retain, will QoS 1,
	                             will */
	        0x00, 0x0a,       /* keep alive 10 */
	        0x00, 0x02, 'c',  '1',  0x00, 0x03, 'w',
	        '/',  't',  0x00, 0x03, 'b',  'y',  'e',
	        0x00, 0x01, 'u',  0x00, 0x02, 'p',  'w'};

	fill_full_connect(&p.u.connect);
	CHECK_ENC(&p, MQTT_V311, want);
}

static void
test_connect_v31_will_user_password(void)
{
	struct mqtt_packet p = {.type = MQTT_CONNECT};
	static const uint8_t want[] = {
	        0x10, 0x21, 0x00, 0x06, 'M',  'Q', 'I',  's',
	        'd',  'p',  0x03, 0xd4, /* user, password, will QoS 2, will */
	        0x00, 0x0a, 0x00, 0x02, 'c',  '1', 0x00, 0x03,
	        'w',  '/',  't',  0x00, 0x03, 'b', 'y',  'e',
	        0x00, 0x01, 'u',  0x00, 0x02, 'p', 'w'};

	fill_full_connect(&p.u.connect);
	p.u.connect.will.qos = 2;
	p.u.connect.will.retain = false;
	CHECK_ENC(&p, MQTT_V31, want);
}

/* Will QoS and Will Retain stay 0 without a will (3.1.2.6, 3.1.2.7). */
static void
test_connect_will_bits_only_with_will(void)
{
	struct mqtt_packet p = {.type = MQTT_CONNECT};
	static const uint8_t want[] = {0x10, 0x0c, 0x00, 0x04, 'M',
	                               'Q',  'T',  'T',  0x04, 0x00,
	                               0x00, 0x00, 0x00, 0x00};

	p.u.connect.will.qos = 2;
	p.u.connect.will.retain = true;
	p.u.connect.will.topic = S("ignored");
	CHECK_ENC(&p, MQTT_V311, want);
}

static void
test_connect_v5_minimal(void)
{
	struct mqtt_packet p = {.type = MQTT_CONNECT};
	static const uint8_t want[] = {
	        0x10, 0x10, 0x00, 0x04, 'M',  'Q',  'T',
	        'T',  0x05, 0x02, 0x00, 0x3c, 0x00, /* no properties */
	        0x00, 0x03, 'a',  'b',  'c'};

	p.u.connect.clean = true;
	p.u.connect.keepalive = 60;
	p.u.connect.client_id = S("abc");
	CHECK_ENC(&p, MQTT_V5, want);
}

static void
test_connect_v5_properties_and_will(void)
{
	struct mqtt_packet p = {.type = MQTT_CONNECT};
	struct mqtt_connect *c = &p.u.connect;
	static const uint8_t user[] = {0x26, 0x00, 0x01, 'k', 0x00, 0x01, 'v'};
	static const uint8_t want[] = {
	        0x10, 0x2f, 0x00, 0x04, 'M',  'Q',  'T',
	        'T',  0x05, 0x86, /* user name, will QoS 0, will, clean start */
	        0x00, 0x1e,       /* keep alive 30 */
	        0x0f,             /* properties: 15 bytes */
	        0x11, 0x00, 0x00, 0x00, 0x0a, /* session expiry 10 */
	        0x21, 0x00, 0x14,             /* receive maximum 20 */
	        0x26, 0x00, 0x01, 'k',  0x00, 0x01, 'v', /* user property */
	        0x00, 0x02, 'i',  'd',                   /* client id */
	        0x07,                                    /* will properties */
	        0x01, 0x01,                              /* payload format 1 */
	        0x18, 0x00, 0x00, 0x00, 0x05,            /* will delay 5 */
	        0x00, 0x01, 't',  0x00, 0x01, 'x', /* will topic, payload */
	        0x00, 0x01, 'u'};                  /* user name */

	c->clean = true;
	c->keepalive = 30;
	c->client_id = S("id");
	c->props.present = MQTT_PROP_BIT(MQTT_PROP_RECEIVE_MAX) |
	                   MQTT_PROP_BIT(MQTT_PROP_SESSION_EXPIRY);
	c->props.session_expiry = 10;
	c->props.receive_max = 20;
	c->props.verbatim = span_make(user, sizeof user);
	c->has_will = true;
	c->will.topic = S("t");
	c->will.payload = S("x");
	c->will.props.present = MQTT_PROP_BIT(MQTT_PROP_WILL_DELAY) |
	                        MQTT_PROP_BIT(MQTT_PROP_PAYLOAD_FORMAT);
	c->will.props.will_delay = 5;
	c->will.props.payload_format = 1;
	c->has_username = true;
	c->username = S("u");
	CHECK_ENC(&p, MQTT_V5, want);
}

/* CONNACK */

static void
test_connack_v311(void)
{
	struct mqtt_packet p = {.type = MQTT_CONNACK};
	static const uint8_t want[] = {0x20, 0x02, 0x01, 0x00};
	static const uint8_t refused[] = {0x20, 0x02, 0x00, 0x05};

	p.u.connack.session_present = true;
	CHECK_ENC(&p, MQTT_V311, want);
	p.u.connack.session_present = false;
	p.u.connack.rc = MQTT_CONNACK_NOT_AUTHORIZED;
	CHECK_ENC(&p, MQTT_V311, refused);
}

/* MQTT 3.1 has no Session Present flag: the byte is reserved, 0. */
static void
test_connack_v31_no_session_present(void)
{
	struct mqtt_packet p = {.type = MQTT_CONNACK};
	static const uint8_t want[] = {0x20, 0x02, 0x00, 0x02};

	p.u.connack.session_present = true;
	p.u.connack.rc = MQTT_CONNACK_ID_REJECTED;
	CHECK_ENC(&p, MQTT_V31, want);
}

static void
test_connack_v5(void)
{
	struct mqtt_packet p = {.type = MQTT_CONNACK};
	struct mqtt_props *pr = &p.u.connack.props;
	static const uint8_t bare[] = {0x20, 0x03, 0x01, 0x00, 0x00};
	static const uint8_t want[] = {
	        0x20, 0x0d, 0x00, 0x00, 0x0a, /* properties: 10 bytes */
	        0x12, 0x00, 0x02, 'a',  'b',  /* assigned client id */
	        0x22, 0x00, 0x0a,             /* topic alias max 10 */
	        0x24, 0x01};                  /* maximum QoS 1 */

	p.u.connack.session_present = true;
	CHECK_ENC(&p, MQTT_V5, bare);
	p.u.connack.session_present = false;
	pr->present = MQTT_PROP_BIT(MQTT_PROP_MAX_QOS) |
	              MQTT_PROP_BIT(MQTT_PROP_TOPIC_ALIAS_MAX) |
	              MQTT_PROP_BIT(MQTT_PROP_ASSIGNED_CLIENT_ID);
	pr->max_qos = 1;
	pr->topic_alias_max = 10;
	pr->assigned_client_id = S("ab");
	CHECK_ENC(&p, MQTT_V5, want);
}

/* PUBLISH */

static void
test_publish_qos0_v3(void)
{
	struct mqtt_packet p = {.type = MQTT_PUBLISH};
	static const uint8_t want[] = {0x30, 0x07, 0x00, 0x03, 'a',
	                               '/',  'b',  'h',  'i'};

	p.u.publish.topic = S("a/b");
	p.u.publish.payload = S("hi");
	p.u.publish.pid = 77; /* [MQTT-2.3.1-5] no packet id at QoS 0 */
	for (size_t i = 0; i < 2; i++) {
		CHECK_ENC(&p, v3_vers[i], want);
	}
}

static void
test_publish_qos1_dup_retain_v3(void)
{
	struct mqtt_packet p = {.type = MQTT_PUBLISH};
	static const uint8_t want[] = {0x3b, 0x09, 0x00, 0x03, 'a', '/',
	                               'b',  0x00, 0x0a, 'h',  'i'};

	p.u.publish.qos = 1;
	p.u.publish.dup = true;
	p.u.publish.retain = true;
	p.u.publish.pid = 10;
	p.u.publish.topic = S("a/b");
	p.u.publish.payload = S("hi");
	for (size_t i = 0; i < 2; i++) {
		CHECK_ENC(&p, v3_vers[i], want);
	}
}

static void
test_publish_qos2_empty_payload(void)
{
	struct mqtt_packet p = {.type = MQTT_PUBLISH};
	static const uint8_t v3[] = {0x34, 0x05, 0x00, 0x01, 't', 0x12, 0x34};
	static const uint8_t v5[] = {0x34, 0x06, 0x00, 0x01,
	                             't',  0x12, 0x34, 0x00};

	p.u.publish.qos = 2;
	p.u.publish.pid = 0x1234;
	p.u.publish.topic = S("t");
	CHECK_ENC(&p, MQTT_V311, v3);
	CHECK_ENC(&p, MQTT_V5, v5);
}

/* [MQTT-3.3.1-2] DUP is 0 for every QoS 0 message. */
static void
test_mqtt_3_3_1_2_no_dup_at_qos0(void)
{
	struct mqtt_packet p = {.type = MQTT_PUBLISH};
	static const uint8_t v3[] = {0x31, 0x03, 0x00, 0x01, 't'};
	static const uint8_t v5[] = {0x31, 0x04, 0x00, 0x01, 't', 0x00};

	p.u.publish.dup = true;
	p.u.publish.retain = true;
	p.u.publish.topic = S("t");
	CHECK_ENC(&p, MQTT_V311, v3);
	CHECK_ENC(&p, MQTT_V5, v5);
}

/* [MQTT-2.2.1-2] A QoS 0 PUBLISH has no packet id, in MQTT 5 too. */
static void
test_mqtt_2_2_1_2_publish_v5_qos0(void)
{
	struct mqtt_packet p = {.type = MQTT_PUBLISH};
	static const uint8_t want[] = {0x30, 0x08, 0x00, 0x03, 'a',
	                               '/',  'b',  0x00, 'h',  'i'};

	p.u.publish.topic = S("a/b");
	p.u.publish.payload = S("hi");
	p.u.publish.pid = 9;
	CHECK_ENC(&p, MQTT_V5, want);
}

static const uint8_t user_k_v1[] = {0x26, 0x00, 0x01, 'k',
                                    0x00, 0x02, 'v',  '1'};
static const uint32_t two_sub_ids[] = {1, 300};
static const uint8_t corr[] = {0x00, 0xff};

static void
fill_v5_publish(struct mqtt_publish *pub)
{
	struct mqtt_props *pr = &pub->props;

	pub->qos = 1;
	pub->pid = 1;
	pub->topic = S("t");
	pub->payload = S("hello");
	pr->present = MQTT_PROP_BIT(MQTT_PROP_PAYLOAD_FORMAT) |
	              MQTT_PROP_BIT(MQTT_PROP_MESSAGE_EXPIRY) |
	              MQTT_PROP_BIT(MQTT_PROP_CONTENT_TYPE) |
	              MQTT_PROP_BIT(MQTT_PROP_RESPONSE_TOPIC) |
	              MQTT_PROP_BIT(MQTT_PROP_CORRELATION_DATA) |
	              MQTT_PROP_BIT(MQTT_PROP_TOPIC_ALIAS);
	pr->payload_format = 1;
	pr->message_expiry = 3600;
	pr->content_type = S("json");
	pr->response_topic = S("r");
	pr->correlation_data = span_make(corr, sizeof corr);
	pr->topic_alias = 5;
	pr->verbatim = span_make(user_k_v1, sizeof user_k_v1);
	pr->sub_ids = two_sub_ids;
	pr->n_sub_ids = 2;
}

static const uint8_t v5_publish_bytes[] = {
        0x32, 0x32,                                   /* PUBLISH QoS 1, 50 */
        0x00, 0x01, 't',  0x00, 0x01,                 /* topic, packet id 1 */
        0x27,                                         /* properties: 39 bytes */
        0x01, 0x01,                                   /* payload format 1 */
        0x02, 0x00, 0x00, 0x0e, 0x10,                 /* message expiry 3600 */
        0x03, 0x00, 0x04, 'j',  's',  'o',  'n',      /* content type */
        0x08, 0x00, 0x01, 'r',                        /* response topic */
        0x09, 0x00, 0x02, 0x00, 0xff,                 /* correlation data */
        0x23, 0x00, 0x05,                             /* topic alias 5 */
        0x26, 0x00, 0x01, 'k',  0x00, 0x02, 'v', '1', /* verbatim */
        0x0b, 0x01,                                   /* subscription id 1 */
        0x0b, 0xac, 0x02,                             /* subscription id 300 */
        'h',  'e',  'l',  'l',  'o'};

/* Typed properties by id, then verbatim bytes, then subscription ids. */
static void
test_publish_v5_properties(void)
{
	struct mqtt_packet p = {.type = MQTT_PUBLISH};

	fill_v5_publish(&p.u.publish);
	CHECK_ENC(&p, MQTT_V5, v5_publish_bytes);
}

/* Properties exist only in MQTT 5: 3.x ignores them. */
static void
test_publish_v3_ignores_properties(void)
{
	struct mqtt_packet p = {.type = MQTT_PUBLISH};
	static const uint8_t want[] = {0x32, 0x0a, 0x00, 0x01, 't', 0x00,
	                               0x01, 'h',  'e',  'l',  'l', 'o'};

	fill_v5_publish(&p.u.publish);
	p.u.publish.props.reason_string.len = 70000; /* not even looked at */
	for (size_t i = 0; i < 2; i++) {
		CHECK_ENC(&p, v3_vers[i], want);
	}
}

/* A Remaining Length of 205 takes two bytes: 0xcd 0x01. */
static void
test_publish_two_byte_remaining_length(void)
{
	struct mqtt_packet p = {.type = MQTT_PUBLISH};
	uint8_t payload[200];
	uint8_t want[208] = {0x30, 0xcd, 0x01, 0x00, 0x03, 'a', '/', 'b'};

	memset(payload, 0x5a, sizeof payload);
	memcpy(want + 8, payload, sizeof payload);
	p.u.publish.topic = S("a/b");
	p.u.publish.payload = span_make(payload, sizeof payload);
	CHECK_ENC(&p, MQTT_V311, want);
}

/* A property block over 127 bytes has a two-byte length too. */
static void
test_puback_v5_long_reason_string(void)
{
	struct mqtt_packet p = {.type = MQTT_PUBACK};
	char reason[200];
	uint8_t want[211] = {0x40, 0xd0, 0x01,  /* PUBACK, 208 */
	                     0x00, 0x07, 0x80,  /* packet id 7, rc 0x80 */
	                     0xcb, 0x01,        /* properties: 203 bytes */
	                     0x1f, 0x00, 0xc8}; /* reason string, 200 */

	memset(reason, 'r', sizeof reason);
	memset(want + 11, 'r', sizeof reason);
	p.u.ack.pid = 7;
	p.u.ack.rc = MQTT_RC_UNSPECIFIED;
	p.u.ack.props.present = MQTT_PROP_BIT(MQTT_PROP_REASON_STRING);
	p.u.ack.props.reason_string = span_make(reason, sizeof reason);
	CHECK_ENC(&p, MQTT_V5, want);
}

/* PUBACK, PUBREC, PUBREL, PUBCOMP */

/* [MQTT-3.6.1-1] PUBREL carries flags 0010; the other acks 0000. */
static void
test_mqtt_3_6_1_1_acks_v3(void)
{
	static const uint8_t types[] = {MQTT_PUBACK, MQTT_PUBREC, MQTT_PUBREL,
	                                MQTT_PUBCOMP};
	static const uint8_t first[] = {0x40, 0x50, 0x62, 0x70};

	for (size_t t = 0; t < 4; t++) {
		struct mqtt_packet p = {.type = types[t]};
		uint8_t want[] = {first[t], 0x02, 0xbe, 0xef};

		p.u.ack.pid = 0xbeef;
		p.u.ack.rc = 0x80; /* no reason codes before MQTT 5 */
		for (size_t i = 0; i < 2; i++) {
			CHECK_ENC(&p, v3_vers[i], want);
		}
	}
}

/* MQTT 5 acks in their shortest form (3.4.2.1, 3.4.2.2.1). */
static void
test_acks_v5_shortest_form(void)
{
	static const uint8_t types[] = {MQTT_PUBACK, MQTT_PUBREC, MQTT_PUBREL,
	                                MQTT_PUBCOMP};
	static const uint8_t first[] = {0x40, 0x50, 0x62, 0x70};

	for (size_t t = 0; t < 4; t++) {
		struct mqtt_packet p = {.type = types[t]};
		uint8_t ok[] = {first[t], 0x02, 0x00, 0x0a};
		uint8_t rc[] = {first[t], 0x03, 0x00, 0x0a, 0x92};

		p.u.ack.pid = 10;
		CHECK_ENC(&p, MQTT_V5, ok);
		p.u.ack.rc = MQTT_RC_PACKET_ID_NOT_FOUND;
		CHECK_ENC(&p, MQTT_V5, rc);
	}
}

static void
test_acks_v5_with_properties(void)
{
	struct mqtt_packet p = {.type = MQTT_PUBREC};
	static const uint8_t want[] = {0x50, 0x09, 0x00, 0x0a, 0x00, 0x05,
	                               0x1f, 0x00, 0x02, 'o',  'k'};
	static const uint8_t user[] = {0x26, 0x00, 0x00, 0x00, 0x00};
	static const uint8_t want_user[] = {0x62, 0x09, 0x00, 0x0a, 0x10, 0x05,
	                                    0x26, 0x00, 0x00, 0x00, 0x00};

	p.u.ack.pid = 10;
	p.u.ack.props.present = MQTT_PROP_BIT(MQTT_PROP_REASON_STRING);
	p.u.ack.props.reason_string = S("ok");
	CHECK_ENC(&p, MQTT_V5, want);

	/* Verbatim-only properties count as properties. */
	memset(&p, 0, sizeof p);
	p.type = MQTT_PUBREL;
	p.u.ack.pid = 10;
	p.u.ack.rc = MQTT_RC_NO_MATCHING_SUBSCRIBERS;
	p.u.ack.props.verbatim = span_make(user, sizeof user);
	CHECK_ENC(&p, MQTT_V5, want_user);
}

/* SUBSCRIBE */

/* [MQTT-3.8.1-1] SUBSCRIBE carries flags 0010. */
static void
test_mqtt_3_8_1_1_subscribe_v3(void)
{
	struct mqtt_packet p = {.type = MQTT_SUBSCRIBE};
	static const struct mqtt_sub_entry e[] = {
	        {.filter = {(const uint8_t *)"a/b", 3}, .qos = 1},
	        /* MQTT 5 options are dropped before version 5. */
	        {.filter = {(const uint8_t *)"c/#", 3},
	         .qos = 2,
	         .no_local = true,
	         .retain_as_published = true,
	         .retain_handling = 3}};
	static const uint8_t want[] = {0x82, 0x0e, 0x00, 0x01, 0x00, 0x03,
	                               'a',  '/',  'b',  0x01, 0x00, 0x03,
	                               'c',  '/',  '#',  0x02};

	p.u.subscribe.pid = 1;
	p.u.subscribe.entries = e;
	p.u.subscribe.count = 2;
	for (size_t i = 0; i < 2; i++) {
		CHECK_ENC(&p, v3_vers[i], want);
	}
}

static void
test_subscribe_v5_options(void)
{
	struct mqtt_packet p = {.type = MQTT_SUBSCRIBE};
	static const struct mqtt_sub_entry e[] = {
	        {.filter = {(const uint8_t *)"a", 1},
	         .qos = 1,
	         .no_local = true},
	        {.filter = {(const uint8_t *)"b", 1},
	         .retain_as_published = true,
	         .retain_handling = 2},
	        {.filter = {(const uint8_t *)"c", 1},
	         .qos = 2,
	         .retain_handling = 1}};
	static const uint8_t want[] = {
	        0x82, 0x11, 0x00, 0x02,  /* packet id 2 */
	        0x02, 0x0b, 0x07,        /* subscription id 7 */
	        0x00, 0x01, 'a',  0x05,  /* QoS 1, no local */
	        0x00, 0x01, 'b',  0x28,  /* retain as published, handling 2 */
	        0x00, 0x01, 'c',  0x12}; /* QoS 2, handling 1 */

	p.u.subscribe.pid = 2;
	p.u.subscribe.props.present = MQTT_PROP_BIT(MQTT_PROP_SUBSCRIPTION_ID);
	p.u.subscribe.props.subscription_id = 7;
	p.u.subscribe.entries = e;
	p.u.subscribe.count = 3;
	CHECK_ENC(&p, MQTT_V5, want);
}

/* SUBACK */

static void
test_suback(void)
{
	struct mqtt_packet p = {.type = MQTT_SUBACK};
	static const uint8_t rcs[] = {0x01, 0x02, 0x80};
	static const uint8_t v3[] = {0x90, 0x05, 0x00, 0x01, 0x01, 0x02, 0x80};
	static const uint8_t v5[] = {0x90, 0x06, 0x00, 0x01,
	                             0x00, 0x01, 0x02, 0x80};
	static const uint8_t v5_reason[] = {0x90, 0x0b, 0x00, 0x01, 0x05,
	                                    0x1f, 0x00, 0x02, 'n',  'o',
	                                    0x01, 0x02, 0x80};

	p.u.suback.pid = 1;
	p.u.suback.rcs = span_make(rcs, sizeof rcs);
	for (size_t i = 0; i < 2; i++) {
		CHECK_ENC(&p, v3_vers[i], v3);
	}
	CHECK_ENC(&p, MQTT_V5, v5);
	p.u.suback.props.present = MQTT_PROP_BIT(MQTT_PROP_REASON_STRING);
	p.u.suback.props.reason_string = S("no");
	CHECK_ENC(&p, MQTT_V5, v5_reason);
}

/* UNSUBSCRIBE */

static const struct span unsub_filters[] = {{(const uint8_t *)"a/b", 3},
                                            {(const uint8_t *)"#", 1}};

/* [MQTT-3.10.1-1] UNSUBSCRIBE carries flags 0010. */
static void
test_mqtt_3_10_1_1_unsubscribe(void)
{
	struct mqtt_packet p = {.type = MQTT_UNSUBSCRIBE};
	static const uint8_t v3[] = {0xa2, 0x0a, 0x00, 0x03, 0x00, 0x03,
	                             'a',  '/',  'b',  0x00, 0x01, '#'};
	static const uint8_t v5[] = {0xa2, 0x0b, 0x00, 0x03, 0x00, 0x00, 0x03,
	                             'a',  '/',  'b',  0x00, 0x01, '#'};

	p.u.unsubscribe.pid = 3;
	p.u.unsubscribe.filters = unsub_filters;
	p.u.unsubscribe.count = 2;
	for (size_t i = 0; i < 2; i++) {
		CHECK_ENC(&p, v3_vers[i], v3);
	}
	CHECK_ENC(&p, MQTT_V5, v5);
}

static void
test_unsubscribe_v5_user_property(void)
{
	struct mqtt_packet p = {.type = MQTT_UNSUBSCRIBE};
	static const uint8_t user[] = {0x26, 0x00, 0x01, 'k', 0x00, 0x01, 'v'};
	static const uint8_t want[] = {0xa2, 0x12, 0x00, 0x03, 0x07, 0x26, 0x00,
	                               0x01, 'k',  0x00, 0x01, 'v',  0x00, 0x03,
	                               'a',  '/',  'b',  0x00, 0x01, '#'};

	p.u.unsubscribe.pid = 3;
	p.u.unsubscribe.filters = unsub_filters;
	p.u.unsubscribe.count = 2;
	p.u.unsubscribe.props.verbatim = span_make(user, sizeof user);
	/* A user property bit in @present adds nothing: the entries
	 * travel in @verbatim. */
	p.u.unsubscribe.props.present = MQTT_PROP_BIT(MQTT_PROP_USER_PROPERTY);
	CHECK_ENC(&p, MQTT_V5, want);
}

/* UNSUBACK */

static void
test_unsuback(void)
{
	struct mqtt_packet p = {.type = MQTT_UNSUBACK};
	static const uint8_t rcs[] = {0x00, 0x11};
	static const uint8_t v3[] = {0xb0, 0x02, 0x00, 0x03};
	static const uint8_t v5[] = {0xb0, 0x05, 0x00, 0x03, 0x00, 0x00, 0x11};
	static const uint8_t v5_reason[] = {0xb0, 0x09, 0x00, 0x03, 0x04, 0x1f,
	                                    0x00, 0x01, 'x',  0x00, 0x11};

	p.u.suback.pid = 3;
	p.u.suback.rcs = span_make(rcs, sizeof rcs);
	for (size_t i = 0; i < 2; i++) {
		CHECK_ENC(&p, v3_vers[i], v3);
	}
	CHECK_ENC(&p, MQTT_V5, v5);
	p.u.suback.props.present = MQTT_PROP_BIT(MQTT_PROP_REASON_STRING);
	p.u.suback.props.reason_string = S("x");
	CHECK_ENC(&p, MQTT_V5, v5_reason);
}

/* The 3.x UNSUBACK may be filled in through u.ack: same storage. */
static void
test_unsuback_v3_through_ack(void)
{
	struct mqtt_packet p = {.type = MQTT_UNSUBACK};
	static const uint8_t v3[] = {0xb0, 0x02, 0x12, 0x34};

	p.u.ack.pid = 0x1234;
	CHECK_ENC(&p, MQTT_V311, v3);
}

/* PINGREQ, PINGRESP */

static void
test_ping(void)
{
	struct mqtt_packet req = {.type = MQTT_PINGREQ};
	struct mqtt_packet resp = {.type = MQTT_PINGRESP};
	static const uint8_t want_req[] = {0xc0, 0x00};
	static const uint8_t want_resp[] = {0xd0, 0x00};

	for (size_t i = 0; i < 3; i++) {
		CHECK_ENC(&req, all_vers[i], want_req);
		CHECK_ENC(&resp, all_vers[i], want_resp);
	}
}

/* DISCONNECT */

static void
test_disconnect_v3(void)
{
	struct mqtt_packet p = {.type = MQTT_DISCONNECT};
	static const uint8_t want[] = {0xe0, 0x00};

	p.u.disconnect.rc = MQTT_RC_SESSION_TAKEN_OVER; /* 3.x: no rc */
	p.u.disconnect.props.present = MQTT_PROP_BIT(MQTT_PROP_REASON_STRING);
	p.u.disconnect.props.reason_string = S("gone");
	for (size_t i = 0; i < 2; i++) {
		CHECK_ENC(&p, v3_vers[i], want);
	}
}

static void
test_disconnect_v5(void)
{
	struct mqtt_packet p = {.type = MQTT_DISCONNECT};
	struct mqtt_props *pr = &p.u.disconnect.props;
	static const uint8_t normal[] = {0xe0, 0x00};
	static const uint8_t with_will[] = {0xe0, 0x01, 0x04};
	static const uint8_t taken[] = {0xe0, 0x0d, 0x8e, 0x0b, 0x11, 0x00,
	                                0x00, 0x00, 0x00, /* expiry 0 */
	                                0x1f, 0x00, 0x03, 'b',  'y',  'e'};
	static const uint8_t moved[] = {0xe0, 0x06, 0x00, 0x04,
	                                0x1c, 0x00, 0x01, 's'};

	CHECK_ENC(&p, MQTT_V5, normal);
	p.u.disconnect.rc = MQTT_RC_DISCONNECT_WITH_WILL;
	CHECK_ENC(&p, MQTT_V5, with_will);
	p.u.disconnect.rc = MQTT_RC_SESSION_TAKEN_OVER;
	pr->present = MQTT_PROP_BIT(MQTT_PROP_SESSION_EXPIRY) |
	              MQTT_PROP_BIT(MQTT_PROP_REASON_STRING);
	pr->reason_string = S("bye");
	CHECK_ENC(&p, MQTT_V5, taken);
	p.u.disconnect.rc = 0;
	pr->present = MQTT_PROP_BIT(MQTT_PROP_SERVER_REFERENCE);
	pr->server_reference = S("s");
	CHECK_ENC(&p, MQTT_V5, moved);
}

/* AUTH */

static void
test_auth_v5(void)
{
	struct mqtt_packet p = {.type = MQTT_AUTH};
	struct mqtt_props *pr = &p.u.disconnect.props;
	static const uint8_t auth_data[] = {0x01, 0x02};
	static const uint8_t success[] = {0xf0, 0x00};
	static const uint8_t reauth[] = {0xf0, 0x02, 0x19, 0x00};
	static const uint8_t cont[] = {0xf0, 0x0f, 0x18, 0x0d, 0x15, 0x00,
	                               0x05, 'S',  'C',  'R',  'A',  'M',
	                               0x16, 0x00, 0x02, 0x01, 0x02};

	CHECK_ENC(&p, MQTT_V5, success);
	p.u.disconnect.rc = MQTT_RC_REAUTHENTICATE;
	CHECK_ENC(&p, MQTT_V5, reauth);
	p.u.disconnect.rc = MQTT_RC_CONTINUE_AUTH;
	pr->present = MQTT_PROP_BIT(MQTT_PROP_AUTH_METHOD) |
	              MQTT_PROP_BIT(MQTT_PROP_AUTH_DATA);
	pr->auth_method = S("SCRAM");
	pr->auth_data = span_make(auth_data, sizeof auth_data);
	CHECK_ENC(&p, MQTT_V5, cont);
}

/* AUTH does not exist before MQTT 5. */
static void
test_auth_not_in_v3(void)
{
	struct mqtt_packet p = {.type = MQTT_AUTH};

	for (size_t i = 0; i < 2; i++) {
		T_CHECK_INT(codec_size(&p, v3_vers[i]), 0);
	}
}

/* The zero-copy PUBLISH head: head + payload == the whole packet. */

static void
check_head(const struct mqtt_publish *pub, enum mqtt_ver ver)
{
	struct mqtt_packet p = {.type = MQTT_PUBLISH};
	static uint8_t whole[4096];
	static uint8_t head[4096];
	struct mqtt_publish no_bytes = *pub;
	size_t n;
	size_t h;

	p.u.publish = *pub;
	n = codec_size(&p, ver);
	T_CHECK(n != 0 && n <= sizeof whole);
	struct wr w = wr_make(whole, n);
	codec_write(&w, &p, ver);

	/* payload.p is never read by the head functions. */
	no_bytes.payload.p = NULL;
	h = codec_publish_head_size(&no_bytes, ver);
	T_CHECK_INT(h + pub->payload.len, n);
	struct wr wh = wr_make(head, h);
	codec_write_publish_head(&wh, &no_bytes, ver);
	T_CHECK_INT(wh.pos, h);
	T_CHECK(same_bytes(head, whole, h));
	T_CHECK(same_bytes(pub->payload.p, whole + h, pub->payload.len));
}

static void
test_publish_head_plus_payload(void)
{
	struct mqtt_publish pub = {0};
	uint8_t big[300];

	memset(big, 7, sizeof big);
	pub.topic = S("a/b");
	pub.payload = S("hi");
	for (size_t i = 0; i < 3; i++) {
		check_head(&pub, all_vers[i]);
		if (t_case_failed) {
			return;
		}
	}
	fill_v5_publish(&pub);
	for (size_t i = 0; i < 3; i++) {
		check_head(&pub, all_vers[i]);
		if (t_case_failed) {
			return;
		}
	}
	pub.payload = span_make(big, sizeof big);
	pub.dup = true;
	pub.retain = true;
	for (size_t i = 0; i < 3; i++) {
		check_head(&pub, all_vers[i]);
		if (t_case_failed) {
			return;
		}
	}
}

/* Packets that cannot be encoded: codec_size() is 0. */

/* A topic of 65,536 bytes does not fit a UTF-8 string's length. */
static void
test_topic_over_65535_not_encodable(void)
{
	struct mqtt_packet p = {.type = MQTT_PUBLISH};
	uint8_t *topic = malloc(65536);

	T_CHECK(topic != NULL);
	memset(topic, 'a', 65536);
	p.u.publish.topic = span_make(topic, 65536);
	for (size_t i = 0; i < 3; i++) {
		T_CHECK_INT(codec_size(&p, all_vers[i]), 0);
		T_CHECK_INT(codec_publish_head_size(&p.u.publish, all_vers[i]),
		            0);
	}
	p.u.publish.topic.len = 65535;
	T_CHECK_INT(codec_size(&p, MQTT_V311), 1 + 3 + 2 + 65535);
	free(topic);
}

static void
test_string_over_65535_not_encodable(void)
{
	struct mqtt_packet p = {.type = MQTT_CONNECT};
	uint8_t *big = calloc(1, 65536);

	T_CHECK(big != NULL);
	p.u.connect.client_id = span_make(big, 65536);
	T_CHECK_INT(codec_size(&p, MQTT_V311), 0);
	p.u.connect.client_id = S("c");
	p.u.connect.has_password = true;
	p.u.connect.password = span_make(big, 65536);
	T_CHECK_INT(codec_size(&p, MQTT_V5), 0);
	p.u.connect.password.len = 65535;
	T_CHECK(codec_size(&p, MQTT_V5) != 0);

	memset(&p, 0, sizeof p);
	p.type = MQTT_PUBACK;
	p.u.ack.props.present = MQTT_PROP_BIT(MQTT_PROP_REASON_STRING);
	p.u.ack.props.reason_string = span_make(big, 65536);
	T_CHECK_INT(codec_size(&p, MQTT_V5), 0);
	T_CHECK_INT(codec_size(&p, MQTT_V311), 4); /* props not written */
	free(big);
}

/* Remaining Length up to 268,435,455 and not one byte more. */
static void
test_remaining_length_limit(void)
{
	struct mqtt_packet p = {.type = MQTT_PUBLISH};

	/* Sizes only: neither function reads the payload bytes. */
	p.u.publish.topic = S("t");
	p.u.publish.payload = span_make(NULL, MQTT_MAX_REMAINING - 3);
	T_CHECK_INT(codec_size(&p, MQTT_V311), MQTT_MAX_PACKET);
	T_CHECK_INT(codec_publish_head_size(&p.u.publish, MQTT_V311), 8);
	p.u.publish.payload.len++;
	T_CHECK_INT(codec_size(&p, MQTT_V311), 0);
	T_CHECK_INT(codec_publish_head_size(&p.u.publish, MQTT_V311), 0);
	p.u.publish.payload.len = (size_t)-1;
	T_CHECK_INT(codec_size(&p, MQTT_V311), 0);
	/* The v5 empty property block is one more byte. */
	p.u.publish.payload.len = MQTT_MAX_REMAINING - 3;
	T_CHECK_INT(codec_size(&p, MQTT_V5), 0);
}

/* [MQTT-3.3.1-4] No QoS 3, in PUBLISH, will or SUBSCRIBE. */
static void
test_mqtt_3_3_1_4_qos3_not_encodable(void)
{
	struct mqtt_packet p = {.type = MQTT_PUBLISH};
	struct mqtt_sub_entry e = {.filter = {(const uint8_t *)"a", 1}};

	p.u.publish.topic = S("t");
	p.u.publish.qos = 3;
	T_CHECK_INT(codec_size(&p, MQTT_V311), 0);
	T_CHECK_INT(codec_publish_head_size(&p.u.publish, MQTT_V5), 0);

	memset(&p, 0, sizeof p);
	p.type = MQTT_CONNECT;
	p.u.connect.has_will = true;
	p.u.connect.will.qos = 3;
	T_CHECK_INT(codec_size(&p, MQTT_V311), 0);

	memset(&p, 0, sizeof p);
	p.type = MQTT_SUBSCRIBE;
	p.u.subscribe.entries = &e;
	p.u.subscribe.count = 1;
	e.qos = 3;
	T_CHECK_INT(codec_size(&p, MQTT_V311), 0);
	e.qos = 0;
	e.retain_handling = 3; /* a protocol error in MQTT 5 (3.8.3.1) */
	T_CHECK_INT(codec_size(&p, MQTT_V5), 0);
	T_CHECK_INT(codec_size(&p, MQTT_V311), 8);
}

/* Only properties the packet may carry (MQTT 5.0 2.2.2.2). */
static void
test_property_not_allowed_not_encodable(void)
{
	struct mqtt_packet p = {.type = MQTT_CONNACK};
	static const uint32_t ids[] = {5};

	p.u.connack.props.present = MQTT_PROP_BIT(MQTT_PROP_TOPIC_ALIAS);
	p.u.connack.props.topic_alias = 1;
	T_CHECK_INT(codec_size(&p, MQTT_V5), 0);
	T_CHECK_INT(codec_size(&p, MQTT_V311), 4);

	/* Bit 0 is not a property. */
	p.u.connack.props.present = 1;
	T_CHECK_INT(codec_size(&p, MQTT_V5), 0);

	/* Will Delay is a will property, not a CONNECT one. */
	memset(&p, 0, sizeof p);
	p.type = MQTT_CONNECT;
	p.u.connect.props.present = MQTT_PROP_BIT(MQTT_PROP_WILL_DELAY);
	T_CHECK_INT(codec_size(&p, MQTT_V5), 0);

	/* Subscription identifiers only in PUBLISH and SUBSCRIBE. */
	memset(&p, 0, sizeof p);
	p.type = MQTT_PUBACK;
	p.u.ack.props.sub_ids = ids;
	p.u.ack.props.n_sub_ids = 1;
	T_CHECK_INT(codec_size(&p, MQTT_V5), 0);
}

/* A Subscription Identifier is 1..268,435,455 (3.3.2.3.8). */
static void
test_subscription_id_range(void)
{
	struct mqtt_packet p = {.type = MQTT_PUBLISH};
	static const uint32_t zero[] = {0};
	static const uint32_t big[] = {MQTT_MAX_REMAINING + 1};
	static const uint32_t max[] = {MQTT_MAX_REMAINING};

	p.u.publish.topic = S("t");
	p.u.publish.props.n_sub_ids = 1;
	p.u.publish.props.sub_ids = zero;
	T_CHECK_INT(codec_size(&p, MQTT_V5), 0);
	p.u.publish.props.sub_ids = big;
	T_CHECK_INT(codec_size(&p, MQTT_V5), 0);
	p.u.publish.props.sub_ids = max;
	/* 3 topic + 1 length + 1 id + 4 value */
	T_CHECK_INT(codec_size(&p, MQTT_V5), 2 + 9);

	memset(&p, 0, sizeof p);
	p.type = MQTT_SUBSCRIBE;
	p.u.subscribe.props.present = MQTT_PROP_BIT(MQTT_PROP_SUBSCRIPTION_ID);
	T_CHECK_INT(codec_size(&p, MQTT_V5), 0);
}

/* A size of 0 means 0 bytes written: nothing can overrun. */
static void
test_unencodable_writes_nothing(void)
{
	struct mqtt_packet p = {.type = MQTT_PUBLISH};
	uint8_t one;
	struct wr w = wr_make(&one, 0);

	p.u.publish.qos = 3;
	T_CHECK_INT(codec_size(&p, MQTT_V5), 0);
	codec_write(&w, &p, MQTT_V5);
	T_CHECK_INT(w.pos, 0);
	codec_write_publish_head(&w, &p.u.publish, MQTT_V5);
	T_CHECK_INT(w.pos, 0);
	p.type = MQTT_AUTH;
	codec_write(&w, &p, MQTT_V311);
	T_CHECK_INT(w.pos, 0);
}

/* One oversized entry among several makes the whole packet too big. */
static void
test_oversized_entry_not_encodable(void)
{
	struct mqtt_packet p = {.type = MQTT_SUBSCRIBE};
	struct mqtt_sub_entry e[3] = {{.filter = {(const uint8_t *)"a", 1}},
	                              {.filter = {NULL, 65536}},
	                              {.filter = {(const uint8_t *)"b", 1}}};
	struct span f[3] = {e[0].filter, e[1].filter, e[2].filter};

	p.u.subscribe.entries = e;
	p.u.subscribe.count = 3;
	T_CHECK_INT(codec_size(&p, MQTT_V311), 0);
	memset(&p, 0, sizeof p);
	p.type = MQTT_UNSUBSCRIBE;
	p.u.unsubscribe.filters = f;
	p.u.unsubscribe.count = 3;
	T_CHECK_INT(codec_size(&p, MQTT_V5), 0);
	f[1].len = 65535;
	T_CHECK_INT(codec_size(&p, MQTT_V5), 1 + 3 + (2 + 1 + 3 + 65537 + 3));
}

/* Verbatim bytes count towards the Remaining Length like the rest. */
static void
test_oversized_verbatim_not_encodable(void)
{
	struct mqtt_packet p = {.type = MQTT_PUBLISH};
	static const uint32_t ids[] = {1};

	p.u.publish.topic = S("t");
	/* Sizes only: the verbatim bytes are never read. */
	p.u.publish.props.verbatim = span_make(NULL, MQTT_MAX_REMAINING);
	T_CHECK_INT(codec_size(&p, MQTT_V5), 0);
	p.u.publish.props.present = MQTT_PROP_BIT(MQTT_PROP_TOPIC_ALIAS);
	p.u.publish.props.sub_ids = ids;
	p.u.publish.props.n_sub_ids = 1;
	T_CHECK_INT(codec_size(&p, MQTT_V5), 0);
	p.u.publish.props.verbatim.len = MQTT_MAX_REMAINING - 3 - 4 - 3 - 2;
	T_CHECK_INT(codec_size(&p, MQTT_V5), MQTT_MAX_PACKET);
}

static void
test_bad_type_or_version(void)
{
	struct mqtt_packet p = {.type = 0};

	T_CHECK_INT(codec_size(&p, MQTT_V311), 0);
	p.type = 16;
	T_CHECK_INT(codec_size(&p, MQTT_V311), 0);
	p.type = MQTT_PINGREQ;
	T_CHECK_INT(codec_size(&p, (enum mqtt_ver)6), 0);
	T_CHECK_INT(codec_size(&p, (enum mqtt_ver)2), 0);
	T_CHECK_INT(codec_publish_head_size(&p.u.publish, (enum mqtt_ver)0), 0);
}

T_MAIN(T_CASE(test_connect_v311_minimal),
       T_CASE(test_connect_v31_protocol_name),
       T_CASE(test_connect_v311_will_user_password),
       T_CASE(test_connect_v31_will_user_password),
       T_CASE(test_connect_will_bits_only_with_will),
       T_CASE(test_connect_v5_minimal),
       T_CASE(test_connect_v5_properties_and_will), T_CASE(test_connack_v311),
       T_CASE(test_connack_v31_no_session_present), T_CASE(test_connack_v5),
       T_CASE(test_publish_qos0_v3), T_CASE(test_publish_qos1_dup_retain_v3),
       T_CASE(test_publish_qos2_empty_payload),
       T_CASE(test_mqtt_3_3_1_2_no_dup_at_qos0),
       T_CASE(test_mqtt_2_2_1_2_publish_v5_qos0),
       T_CASE(test_publish_v5_properties),
       T_CASE(test_publish_v3_ignores_properties),
       T_CASE(test_publish_two_byte_remaining_length),
       T_CASE(test_puback_v5_long_reason_string),
       T_CASE(test_mqtt_3_6_1_1_acks_v3), T_CASE(test_acks_v5_shortest_form),
       T_CASE(test_acks_v5_with_properties),
       T_CASE(test_mqtt_3_8_1_1_subscribe_v3),
       T_CASE(test_subscribe_v5_options), T_CASE(test_suback),
       T_CASE(test_mqtt_3_10_1_1_unsubscribe),
       T_CASE(test_unsubscribe_v5_user_property), T_CASE(test_unsuback),
       T_CASE(test_unsuback_v3_through_ack), T_CASE(test_ping),
       T_CASE(test_disconnect_v3), T_CASE(test_disconnect_v5),
       T_CASE(test_auth_v5), T_CASE(test_auth_not_in_v3),
       T_CASE(test_publish_head_plus_payload),
       T_CASE(test_topic_over_65535_not_encodable),
       T_CASE(test_string_over_65535_not_encodable),
       T_CASE(test_remaining_length_limit),
       T_CASE(test_mqtt_3_3_1_4_qos3_not_encodable),
       T_CASE(test_property_not_allowed_not_encodable),
       T_CASE(test_subscription_id_range),
       T_CASE(test_unencodable_writes_nothing),
       T_CASE(test_oversized_entry_not_encodable),
       T_CASE(test_oversized_verbatim_not_encodable),
       T_CASE(test_bad_type_or_version))
