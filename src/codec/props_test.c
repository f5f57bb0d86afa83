/*
 * props_test.c - MQTT 5 property blocks: validation per packet type,
 * iteration, filtering.
 */
#include <stdlib.h>

#include "base/test.h"
#include "codec/mqtt.h"
#include "codec/props.h"

/* The heap copy of the last block parsed: spans in the result point into
 * it until the next parse(). */
static uint8_t *held;

/*
 * Parses @n bytes (a property block with its length) from a heap copy of
 * exactly that size, so ASan sees any read past the end, and checks the
 * reader ends at the end on success.
 */
static int
parse(const uint8_t *b, size_t n, unsigned where, struct mqtt_props *out)
{
	struct rd r;
	int err;

	free(held);
	held = malloc(n);
	if (held == NULL) {
		abort();
	}
	memcpy(held, b, n);
	r = rd_make(span_make(held, n));
	err = props_parse(&r, where, out);
	if (err == 0 && rd_left(&r) != 0) {
		err = 1;
	}
	return err;
}

#define PARSE(arr, where, out) parse(arr, sizeof(arr), where, out)

static void
test_props_empty_block(void)
{
	static const uint8_t b[] = {0x00};
	struct mqtt_props p;

	T_CHECK_INT(PARSE(b, MQTT_PUBLISH, &p), 0);
	T_CHECK_INT(p.present, 0);
	T_CHECK_INT(p.raw.len, 0);
}

static void
test_props_publish_fields(void)
{
	static const uint8_t b[] = {
	        41,                                      /* length */
	        0x01, 0x01,                              /* payload format 1 */
	        0x02, 0x00, 0x00, 0x0e, 0x10,            /* expiry 3600 */
	        0x03, 0x00, 0x04, 't',  'e',  'x',  't', /* content type */
	        0x08, 0x00, 0x03, 'r',  '/',  's',       /* response topic */
	        0x09, 0x00, 0x02, 0x00, 0xff,            /* correlation data */
	        0x0b, 0x81, 0x01, /* subscription id 129 */
	        0x0b, 0x05,       /* subscription id 5 */
	        0x23, 0x00, 0x07, /* topic alias 7 */
	        0x26, 0x00, 0x01, 'k',  0x00, 0x02, 'v', '1', /* user prop */
	};
	struct mqtt_props p;

	T_CHECK_INT(sizeof(b), 42);
	T_CHECK_INT(PARSE(b, MQTT_PUBLISH, &p), 0);
	T_CHECK_INT(p.present,
	            MQTT_PROP_BIT(0x01) | MQTT_PROP_BIT(0x02) |
	                    MQTT_PROP_BIT(0x03) | MQTT_PROP_BIT(0x08) |
	                    MQTT_PROP_BIT(0x09) | MQTT_PROP_BIT(0x0b) |
	                    MQTT_PROP_BIT(0x23) | MQTT_PROP_BIT(0x26));
	T_CHECK_INT(p.payload_format, 1);
	T_CHECK_INT(p.message_expiry, 3600);
	T_CHECK(span_eq_str(p.content_type, "text"));
	T_CHECK(span_eq_str(p.response_topic, "r/s"));
	T_CHECK_INT(p.correlation_data.len, 2);
	T_CHECK_MEM(p.correlation_data.p, "\x00\xff", 2);
	T_CHECK_INT(p.subscription_id, 129); /* the first one */
	T_CHECK_INT(p.topic_alias, 7);
	T_CHECK_INT(p.raw.len, 41);
	T_CHECK_MEM(p.raw.p, b + 1, 41);
}

static void
test_props_connect_fields(void)
{
	static const uint8_t b[] = {
	        31,   0x11, 0x00, 0x00, 0x00, 0x3c, /* session expiry 60 */
	        0x21, 0x00, 0x0a,                   /* receive max 10 */
	        0x27, 0x00, 0x01, 0x00, 0x00,       /* max packet 65536 */
	        0x22, 0x00, 0x05,                   /* topic alias max 5 */
	        0x19, 0x01,                         /* request response info */
	        0x17, 0x00,                         /* request problem info */
	        0x15, 0x00, 0x02, 'g',  's',        /* auth method */
	        0x16, 0x00, 0x03, 1,    2,    3,    /* auth data */
	};
	struct mqtt_props p;

	T_CHECK_INT(PARSE(b, MQTT_CONNECT, &p), 0);
	T_CHECK_INT(p.session_expiry, 60);
	T_CHECK_INT(p.receive_max, 10);
	T_CHECK_INT(p.max_packet_size, 65536);
	T_CHECK_INT(p.topic_alias_max, 5);
	T_CHECK_INT(p.request_response_info, 1);
	T_CHECK_INT(p.request_problem_info, 0);
	T_CHECK(mqtt_props_has(&p, MQTT_PROP_REQUEST_PROBLEM_INFO));
	T_CHECK(span_eq_str(p.auth_method, "gs"));
	T_CHECK_INT(p.auth_data.len, 3);
	T_CHECK_MEM(p.auth_data.p, "\x01\x02\x03", 3);
}

static void
test_props_connack_fields(void)
{
	static const uint8_t b[] = {
	        42,   0x12, 0x00, 0x02, 'i',  'd', /* assigned client id */
	        0x13, 0x00, 0x1e,                  /* server keep alive 30 */
	        0x1a, 0x00, 0x01, 'r',             /* response info */
	        0x1c, 0x00, 0x01, 's',             /* server reference */
	        0x1f, 0x00, 0x02, 'o',  'k',       /* reason string */
	        0x24, 0x01,                        /* max qos 1 */
	        0x25, 0x00,                        /* retain available 0 */
	        0x28, 0x01,                        /* wildcard available */
	        0x29, 0x00,                        /* sub ids available */
	        0x2a, 0x01,                        /* shared available */
	        0x21, 0xff, 0xff,                  /* receive max */
	        0x11, 0xff, 0xff, 0xff, 0xff,      /* session expiry */
	        0x22, 0x00, 0x00, /* topic alias max 0 is fine */
	};
	struct mqtt_props p;

	T_CHECK_INT(sizeof(b), 43);
	T_CHECK_INT(PARSE(b, MQTT_CONNACK, &p), 0);
	T_CHECK(span_eq_str(p.assigned_client_id, "id"));
	T_CHECK_INT(p.server_keep_alive, 30);
	T_CHECK(span_eq_str(p.response_info, "r"));
	T_CHECK(span_eq_str(p.server_reference, "s"));
	T_CHECK(span_eq_str(p.reason_string, "ok"));
	T_CHECK_INT(p.max_qos, 1);
	T_CHECK_INT(p.retain_available, 0);
	T_CHECK_INT(p.wildcard_sub_available, 1);
	T_CHECK_INT(p.sub_id_available, 0);
	T_CHECK_INT(p.shared_sub_available, 1);
	T_CHECK_INT(p.receive_max, 65535);
	T_CHECK_INT(p.session_expiry, 0xffffffffu);
	T_CHECK_INT(p.topic_alias_max, 0);
	T_CHECK(mqtt_props_has(&p, MQTT_PROP_TOPIC_ALIAS_MAX));
}

static void
test_props_will_fields(void)
{
	static const uint8_t b[] = {
	        10,   0x18, 0x00, 0x00, 0x00, 0x05, /* will delay 5 */
	        0x01, 0x00,                         /* payload format 0 */
	        0x02, 0x00, 0x00, /* truncated expiry: see below */
	};
	static const uint8_t ok[] = {
	        7, 0x18, 0x00, 0x00, 0x00, 0x05, 0x01, 0x00,
	};
	struct mqtt_props p;

	T_CHECK_INT(PARSE(b, PROP_IN_WILL, &p), TERN_EMALFORMED);
	T_CHECK_INT(PARSE(ok, PROP_IN_WILL, &p), 0);
	T_CHECK_INT(p.will_delay, 5);
	T_CHECK_INT(p.payload_format, 0);
	T_CHECK(mqtt_props_has(&p, MQTT_PROP_PAYLOAD_FORMAT));
	/* Will Delay Interval belongs to the will, not to CONNECT. */
	T_CHECK_INT(PARSE(ok, MQTT_CONNECT, &p), TERN_EMALFORMED);
}

static void
test_props_unknown_id_malformed(void)
{
	static const uint8_t id0[] = {2, 0x00, 0x00};
	static const uint8_t id4[] = {2, 0x04, 0x00};
	static const uint8_t id7f[] = {2, 0x7f, 0x00};
	static const uint8_t id2b[] = {2, 0x2b, 0x00};
	/* 0x81 0x01 is identifier 129. */
	static const uint8_t id129[] = {3, 0x81, 0x01, 0x00};
	/* An identifier that never ends. */
	static const uint8_t idrun[] = {4, 0x81, 0x81, 0x81, 0x81};
	struct mqtt_props p;

	T_CHECK_INT(PARSE(id0, MQTT_PUBLISH, &p), TERN_EMALFORMED);
	T_CHECK_INT(PARSE(id4, MQTT_PUBLISH, &p), TERN_EMALFORMED);
	T_CHECK_INT(PARSE(id7f, MQTT_PUBLISH, &p), TERN_EMALFORMED);
	T_CHECK_INT(PARSE(id2b, MQTT_CONNACK, &p), TERN_EMALFORMED);
	T_CHECK_INT(PARSE(id129, MQTT_PUBLISH, &p), TERN_EMALFORMED);
	T_CHECK_INT(PARSE(idrun, MQTT_PUBLISH, &p), TERN_EMALFORMED);
}

static void
test_props_not_allowed_in_packet_malformed(void)
{
	static const uint8_t alias[] = {3, 0x23, 0x00, 0x01};
	static const uint8_t expiry[] = {5, 0x11, 0, 0, 0, 1};
	static const uint8_t reason[] = {4, 0x1f, 0x00, 0x01, 'x'};
	static const uint8_t user[] = {5, 0x26, 0, 0, 0, 0};
	struct mqtt_props p;

	T_CHECK_INT(PARSE(alias, MQTT_CONNECT, &p), TERN_EMALFORMED);
	T_CHECK_INT(PARSE(alias, PROP_IN_WILL, &p), TERN_EMALFORMED);
	T_CHECK_INT(PARSE(expiry, MQTT_PUBLISH, &p), TERN_EMALFORMED);
	T_CHECK_INT(PARSE(expiry, PROP_IN_WILL, &p), TERN_EMALFORMED);
	T_CHECK_INT(PARSE(reason, MQTT_PUBLISH, &p), TERN_EMALFORMED);
	T_CHECK_INT(PARSE(reason, MQTT_SUBSCRIBE, &p), TERN_EMALFORMED);
	T_CHECK_INT(PARSE(reason, MQTT_PUBACK, &p), 0);
	T_CHECK_INT(PARSE(user, MQTT_PINGREQ, &p), TERN_EMALFORMED);
	T_CHECK_INT(PARSE(user, MQTT_UNSUBSCRIBE, &p), 0);
	T_CHECK_INT(PARSE(user, PROP_IN_WILL, &p), 0);
}

static void
test_props_duplicate_is_protocol_error(void)
{
	static const uint8_t ct[] = {8, 0x03, 0, 1, 'a', 0x03, 0, 1, 'b'};
	static const uint8_t rs[] = {6, 0x1f, 0, 0, 0x1f, 0, 0};
	static const uint8_t pf[] = {4, 0x01, 0, 0x01, 0};
	static const uint8_t am[] = {8, 0x15, 0, 1, 'a', 0x15, 0, 1, 'a'};
	struct mqtt_props p;

	T_CHECK_INT(PARSE(ct, MQTT_PUBLISH, &p), TERN_EPROTO);
	T_CHECK_INT(PARSE(rs, MQTT_DISCONNECT, &p), TERN_EPROTO);
	T_CHECK_INT(PARSE(pf, PROP_IN_WILL, &p), TERN_EPROTO);
	T_CHECK_INT(PARSE(am, MQTT_AUTH, &p), TERN_EPROTO);
}

static void
test_props_user_property_repeats(void)
{
	static const uint8_t b[] = {
	        14, 0x26, 0, 1, 'a', 0, 1, '1', 0x26, 0, 1, 'a', 0, 1, '2',
	};
	struct mqtt_props p;

	T_CHECK_INT(PARSE(b, MQTT_PUBLISH, &p), 0);
	T_CHECK_INT(p.present, MQTT_PROP_BIT(MQTT_PROP_USER_PROPERTY));
	T_CHECK_INT(PARSE(b, MQTT_CONNECT, &p), 0);
	T_CHECK_INT(PARSE(b, MQTT_AUTH, &p), 0);
}

static void
test_props_subscription_id_repeat(void)
{
	static const uint8_t b[] = {4, 0x0b, 0x01, 0x0b, 0x02};
	struct mqtt_props p;

	/* Several in a PUBLISH to a client (3.3.4); one in SUBSCRIBE. */
	T_CHECK_INT(PARSE(b, MQTT_PUBLISH, &p), 0);
	T_CHECK_INT(p.subscription_id, 1);
	T_CHECK_INT(PARSE(b, MQTT_SUBSCRIBE, &p), TERN_EPROTO);
}

static void
test_props_subscription_id_range(void)
{
	static const uint8_t max[] = {5, 0x0b, 0xff, 0xff, 0xff, 0x7f};
	static const uint8_t zero[] = {2, 0x0b, 0x00};
	static const uint8_t five[] = {6, 0x0b, 0xff, 0xff, 0xff, 0xff, 0x01};
	struct mqtt_props p;

	T_CHECK_INT(PARSE(max, MQTT_SUBSCRIBE, &p), 0);
	T_CHECK_INT(p.subscription_id, 268435455);
	T_CHECK_INT(PARSE(zero, MQTT_SUBSCRIBE, &p), TERN_EPROTO);
	T_CHECK_INT(PARSE(zero, MQTT_PUBLISH, &p), TERN_EPROTO);
	T_CHECK_INT(PARSE(five, MQTT_SUBSCRIBE, &p), TERN_EMALFORMED);
}

/* A two-byte block: one byte property @id with value @v. */
static int
byte_prop(uint8_t id, uint8_t v, unsigned where)
{
	uint8_t b[3] = {2, id, v};
	struct mqtt_props p;

	return parse(b, sizeof(b), where, &p);
}

static void
test_props_boolean_values(void)
{
	static const struct {
		uint8_t id;
		unsigned where;
	} bools[] = {
	        {MQTT_PROP_PAYLOAD_FORMAT, MQTT_PUBLISH},
	        {MQTT_PROP_REQUEST_PROBLEM_INFO, MQTT_CONNECT},
	        {MQTT_PROP_REQUEST_RESPONSE_INFO, MQTT_CONNECT},
	        {MQTT_PROP_MAX_QOS, MQTT_CONNACK},
	        {MQTT_PROP_RETAIN_AVAILABLE, MQTT_CONNACK},
	        {MQTT_PROP_WILDCARD_SUB_AVAILABLE, MQTT_CONNACK},
	        {MQTT_PROP_SUB_ID_AVAILABLE, MQTT_CONNACK},
	        {MQTT_PROP_SHARED_SUB_AVAILABLE, MQTT_CONNACK},
	};

	for (size_t i = 0; i < sizeof(bools) / sizeof(bools[0]); i++) {
		T_CHECK_INT(byte_prop(bools[i].id, 0, bools[i].where), 0);
		T_CHECK_INT(byte_prop(bools[i].id, 1, bools[i].where), 0);
		T_CHECK_INT(byte_prop(bools[i].id, 2, bools[i].where),
		            TERN_EPROTO);
		T_CHECK_INT(byte_prop(bools[i].id, 0xff, bools[i].where),
		            TERN_EPROTO);
	}
}

static void
test_props_zero_values_protocol_error(void)
{
	static const uint8_t rmax[] = {3, 0x21, 0, 0};
	static const uint8_t mps[] = {5, 0x27, 0, 0, 0, 0};
	static const uint8_t alias[] = {3, 0x23, 0, 0};
	static const uint8_t mps1[] = {5, 0x27, 0, 0, 0, 1};
	struct mqtt_props p;

	T_CHECK_INT(PARSE(rmax, MQTT_CONNECT, &p), TERN_EPROTO);
	T_CHECK_INT(PARSE(rmax, MQTT_CONNACK, &p), TERN_EPROTO);
	T_CHECK_INT(PARSE(mps, MQTT_CONNECT, &p), TERN_EPROTO);
	T_CHECK_INT(PARSE(mps, MQTT_CONNACK, &p), TERN_EPROTO);
	/* [MQTT-3.3.2-8] */
	T_CHECK_INT(PARSE(alias, MQTT_PUBLISH, &p), TERN_EPROTO);
	T_CHECK_INT(PARSE(mps1, MQTT_CONNECT, &p), 0);
	T_CHECK_INT(p.max_packet_size, 1);
}

static void
test_mqtt_1_5_4_1_property_string_bad_utf8(void)
{
	/* 0xc0 0x80 is an overlong NUL; 0xed 0xa0 0x80 a surrogate. */
	static const uint8_t ct[] = {5, 0x03, 0, 2, 0xc0, 0x80};
	static const uint8_t rs[] = {6, 0x1f, 0, 3, 0xed, 0xa0, 0x80};
	static const uint8_t key[] = {7, 0x26, 0, 1, 0xff, 0, 1, 'v'};
	static const uint8_t val[] = {7, 0x26, 0, 1, 'k', 0, 1, 0x80};
	struct mqtt_props p;

	T_CHECK_INT(PARSE(ct, MQTT_PUBLISH, &p), TERN_EMALFORMED);
	T_CHECK_INT(PARSE(rs, MQTT_PUBACK, &p), TERN_EMALFORMED);
	T_CHECK_INT(PARSE(key, MQTT_PUBLISH, &p), TERN_EMALFORMED);
	T_CHECK_INT(PARSE(val, MQTT_PUBLISH, &p), TERN_EMALFORMED);
}

static void
test_mqtt_1_5_4_2_property_string_nul(void)
{
	static const uint8_t ct[] = {5, 0x03, 0, 2, 'a', 0x00};
	static const uint8_t val[] = {7, 0x26, 0, 1, 'k', 0, 1, 0x00};
	struct mqtt_props p;

	T_CHECK_INT(PARSE(ct, MQTT_PUBLISH, &p), TERN_EMALFORMED);
	T_CHECK_INT(PARSE(val, MQTT_CONNECT, &p), TERN_EMALFORMED);
}

static void
test_props_binary_values_unchecked(void)
{
	/* Correlation and authentication data are binary. */
	static const uint8_t cd[] = {5, 0x09, 0, 2, 0x00, 0xff};
	static const uint8_t ad[] = {
	        10, 0x15, 0, 1, 'm', 0x16, 0, 3, 0xc0, 0x80, 0x00,
	};
	struct mqtt_props p;

	T_CHECK_INT(PARSE(cd, MQTT_PUBLISH, &p), 0);
	T_CHECK_INT(PARSE(ad, MQTT_AUTH, &p), 0);
	T_CHECK_INT(p.auth_data.len, 3);
	T_CHECK_MEM(p.auth_data.p, "\xc0\x80\x00", 3);
	/* One byte short: the block length runs past the end. */
	T_CHECK_INT(parse(ad, 10, MQTT_AUTH, &p), TERN_EMALFORMED);
}

static void
test_mqtt_3_3_2_14_response_topic_wildcard(void)
{
	static const uint8_t plus[] = {6, 0x08, 0, 3, 'a', '/', '+'};
	static const uint8_t hash[] = {4, 0x08, 0, 1, '#'};
	static const uint8_t empty[] = {3, 0x08, 0, 0};
	static const uint8_t ok[] = {6, 0x08, 0, 3, 'a', '/', 'b'};
	struct mqtt_props p;

	T_CHECK_INT(PARSE(plus, MQTT_PUBLISH, &p), TERN_ETOPIC);
	T_CHECK_INT(PARSE(hash, PROP_IN_WILL, &p), TERN_ETOPIC);
	T_CHECK_INT(PARSE(empty, MQTT_PUBLISH, &p), TERN_ETOPIC);
	T_CHECK_INT(PARSE(ok, MQTT_PUBLISH, &p), 0);
}

static void
test_props_block_length_past_end(void)
{
	static const uint8_t b[] = {4, 0x01, 0x01};
	static const uint8_t big[] = {0xff, 0xff, 0xff, 0x7f, 0x01, 0x01};
	static const uint8_t none[] = {0x80};
	struct mqtt_props p;
	struct rd r = rd_make(span_make(NULL, 0));

	T_CHECK_INT(PARSE(b, MQTT_PUBLISH, &p), TERN_EMALFORMED);
	T_CHECK_INT(PARSE(big, MQTT_PUBLISH, &p), TERN_EMALFORMED);
	T_CHECK_INT(PARSE(none, MQTT_PUBLISH, &p), TERN_EMALFORMED);
	/* No length at all: the block is not optional where it is read. */
	T_CHECK_INT(props_parse(&r, MQTT_PUBLISH, &p), TERN_EMALFORMED);
}

static void
test_props_entry_past_block_end(void)
{
	/* The block says 3 bytes but its u32 needs 5; the packet goes on
	 * with bytes that must not be read as the value. */
	static const uint8_t b[] = {3, 0x02, 0x00, 0x00, 0x00, 0x01};
	static const uint8_t s[] = {3, 0x03, 0x00, 0x02, 'a', 'b'};
	static const uint8_t pair[] = {5, 0x26, 0, 1, 'k', 0, 1, 'v'};
	struct mqtt_props p;
	struct rd r = rd_make(span_make(b, sizeof(b)));

	T_CHECK_INT(props_parse(&r, MQTT_PUBLISH, &p), TERN_EMALFORMED);
	r = rd_make(span_make(s, sizeof(s)));
	T_CHECK_INT(props_parse(&r, MQTT_PUBLISH, &p), TERN_EMALFORMED);
	r = rd_make(span_make(pair, sizeof(pair)));
	T_CHECK_INT(props_parse(&r, MQTT_PUBLISH, &p), TERN_EMALFORMED);
}

static void
test_props_auth_data_without_method(void)
{
	static const uint8_t b[] = {4, 0x16, 0, 1, 'x'};
	struct mqtt_props p;

	T_CHECK_INT(PARSE(b, MQTT_CONNECT, &p), TERN_EPROTO);
	T_CHECK_INT(PARSE(b, MQTT_AUTH, &p), TERN_EPROTO);
	T_CHECK_INT(PARSE(b, MQTT_CONNACK, &p), TERN_EPROTO);
}

static void
test_props_check_without_length(void)
{
	static const uint8_t b[] = {0x23, 0x00, 0x09};
	struct mqtt_props p;

	T_CHECK_INT(props_check(span_make(b, sizeof(b)), MQTT_PUBLISH, &p), 0);
	T_CHECK_INT(p.topic_alias, 9);
	T_CHECK(p.raw.p == b);
	T_CHECK_INT(p.raw.len, 3);
}

static void
test_prop_next_in_order(void)
{
	static const uint8_t b[] = {
	        0x26, 0, 1, 'a', 0,    1,    '1',  0x0b, 0x81, 0x01,
	        0x26, 0, 0, 0,   2,    'x',  'y',  0x01, 0x01, 0x02,
	        0,    0, 1, 0,   0x23, 0x01, 0x00, 0x09, 0,    0,
	};
	struct rd r = rd_make(span_make(b, sizeof(b)));
	struct mqtt_prop p;

	T_CHECK_INT(codec_prop_next(&r, &p), 1);
	T_CHECK_INT(p.id, MQTT_PROP_USER_PROPERTY);
	T_CHECK(span_eq_str(p.str, "a"));
	T_CHECK(span_eq_str(p.val, "1"));
	T_CHECK_INT(codec_prop_next(&r, &p), 1);
	T_CHECK_INT(p.id, MQTT_PROP_SUBSCRIPTION_ID);
	T_CHECK_INT(p.num, 129);
	T_CHECK_INT(codec_prop_next(&r, &p), 1);
	T_CHECK_INT(p.str.len, 0);
	T_CHECK(span_eq_str(p.val, "xy"));
	T_CHECK_INT(codec_prop_next(&r, &p), 1);
	T_CHECK_INT(p.id, MQTT_PROP_PAYLOAD_FORMAT);
	T_CHECK_INT(p.num, 1);
	T_CHECK_INT(codec_prop_next(&r, &p), 1);
	T_CHECK_INT(p.num, 256);
	T_CHECK_INT(codec_prop_next(&r, &p), 1);
	T_CHECK_INT(p.id, MQTT_PROP_TOPIC_ALIAS);
	T_CHECK_INT(p.num, 256);
	T_CHECK_INT(codec_prop_next(&r, &p), 1);
	T_CHECK_INT(p.id, MQTT_PROP_CORRELATION_DATA);
	T_CHECK_INT(p.str.len, 0);
	T_CHECK_INT(codec_prop_next(&r, &p), 0);
	T_CHECK_INT(codec_prop_next(&r, &p), 0);
}

static void
test_prop_next_unvalidated_block(void)
{
	static const uint8_t trunc[] = {0x02, 0x00, 0x00};
	static const uint8_t unknown[] = {0x05, 0x00};
	struct rd r = rd_make(span_make(trunc, sizeof(trunc)));
	struct mqtt_prop p = {0x77, 0, {NULL, 0}, {NULL, 0}};

	T_CHECK_INT(codec_prop_next(&r, &p), TERN_EMALFORMED);
	T_CHECK_INT(p.id, 0x77); /* untouched on failure */
	r = rd_make(span_make(unknown, sizeof(unknown)));
	T_CHECK_INT(codec_prop_next(&r, &p), TERN_EMALFORMED);
}

static void
test_props_filter_user_properties(void)
{
	static const uint8_t b[] = {
	        0x02, 0, 0, 0,   9,              /* expiry: dropped */
	        0x26, 0, 1, 'a', 0, 1, '1',      /* kept */
	        0x23, 0, 3,                      /* alias: dropped */
	        0x26, 0, 1, 'b', 0, 2, '2', '3', /* kept */
	        0x03, 0, 1, 't',                 /* content type: kept */
	};
	static const uint8_t want[] = {
	        0x26, 0, 1, 'a', 0,   1,    '1', 0x26, 0,   1,
	        'b',  0, 2, '2', '3', 0x03, 0,   1,    't',
	};
	uint64_t keep = MQTT_PROP_BIT(MQTT_PROP_USER_PROPERTY) |
	                MQTT_PROP_BIT(MQTT_PROP_CONTENT_TYPE);
	struct span raw = span_make(b, sizeof(b));
	uint8_t out[sizeof(want)];
	struct wr w = wr_make(out, sizeof(out));
	struct mqtt_props p;

	T_CHECK_INT(props_check(raw, MQTT_PUBLISH, &p), 0);
	T_CHECK_INT(codec_props_filter_size(raw, keep), sizeof(want));
	codec_props_filter_copy(raw, keep, &w);
	T_CHECK_INT(w.pos, sizeof(want));
	T_CHECK_MEM(out, want, sizeof(want));
}

static void
test_props_filter_none_and_all(void)
{
	static const uint8_t b[] = {0x0b, 0x81, 0x01, 0x01, 0x00};
	struct span raw = span_make(b, sizeof(b));
	uint8_t out[sizeof(b)];
	struct wr w = wr_make(out, sizeof(out));

	T_CHECK_INT(codec_props_filter_size(raw, 0), 0);
	T_CHECK_INT(codec_props_filter_size(span_make(NULL, 0), ~0ull), 0);
	T_CHECK_INT(codec_props_filter_size(raw, ~0ull), sizeof(b));
	codec_props_filter_copy(raw, ~0ull, &w);
	T_CHECK_INT(w.pos, sizeof(b));
	T_CHECK_MEM(out, b, sizeof(b));
}

T_MAIN(T_CASE(test_props_empty_block), T_CASE(test_props_publish_fields),
       T_CASE(test_props_connect_fields), T_CASE(test_props_connack_fields),
       T_CASE(test_props_will_fields), T_CASE(test_props_unknown_id_malformed),
       T_CASE(test_props_not_allowed_in_packet_malformed),
       T_CASE(test_props_duplicate_is_protocol_error),
       T_CASE(test_props_user_property_repeats),
       T_CASE(test_props_subscription_id_repeat),
       T_CASE(test_props_subscription_id_range),
       T_CASE(test_props_boolean_values),
       T_CASE(test_props_zero_values_protocol_error),
       T_CASE(test_mqtt_1_5_4_1_property_string_bad_utf8),
       T_CASE(test_mqtt_1_5_4_2_property_string_nul),
       T_CASE(test_props_binary_values_unchecked),
       T_CASE(test_mqtt_3_3_2_14_response_topic_wildcard),
       T_CASE(test_props_block_length_past_end),
       T_CASE(test_props_entry_past_block_end),
       T_CASE(test_props_auth_data_without_method),
       T_CASE(test_props_check_without_length), T_CASE(test_prop_next_in_order),
       T_CASE(test_prop_next_unvalidated_block),
       T_CASE(test_props_filter_user_properties),
       T_CASE(test_props_filter_none_and_all))
