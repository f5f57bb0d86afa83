/*
 * decode_test.c - codec_decode() for every packet type and version, the
 * SUBSCRIBE/UNSUBSCRIBE iterators, and a robustness run over truncated and
 * mutated packets.
 */
#include <stdlib.h>

#include "base/test.h"
#include "codec/mqtt.h"

/* The heap copy of the last packet decoded: spans in the result point
 * into it until the next decode. */
static uint8_t *held;

/*
 * Builds the packet @b0, Remaining Length, @body in a heap block of exactly
 * its size (so ASan sees any read past it), frames it with codec_frame()
 * and decodes it. Returns the first error, or 1 if the frame is not the
 * whole packet.
 */
static int
dec_body(uint8_t b0, const uint8_t *body, size_t n, enum mqtt_ver ver,
         struct mqtt_packet *out)
{
	uint8_t hdr[5];
	struct wr w = wr_make(hdr, sizeof(hdr));
	struct codec_limits lim = {0};
	struct mqtt_fixed fh;
	int err;

	wr_u8(&w, b0);
	wr_varint(&w, (uint32_t)n);
	free(held);
	held = malloc(w.pos + n);
	if (held == NULL) {
		abort();
	}
	memcpy(held, hdr, w.pos);
	if (n != 0) {
		memcpy(held + w.pos, body, n);
	}
	err = codec_frame(held, w.pos + n, &lim, &fh);
	if (err != 0) {
		return err;
	}
	if (fh.hdr_len != w.pos || fh.body_len != n) {
		return 1;
	}
	return codec_decode(&fh, span_make(held + w.pos, n), ver, out);
}

#define DEC(b0, body, ver, out) dec_body(b0, body, sizeof(body), ver, out)
#define DEC0(b0, ver, out)      dec_body(b0, NULL, 0, ver, out)

/* ---- CONNECT ---- */

static const uint8_t connect_v311[] = {
        0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 60, 0, 3, 'a', 'b', 'c',
};

static void
test_connect_v311_minimal(void)
{
	struct mqtt_packet pk;
	struct mqtt_connect *c = &pk.u.connect;

	T_CHECK_INT(DEC(0x10, connect_v311, MQTT_V311, &pk), 0);
	T_CHECK_INT(pk.type, MQTT_CONNECT);
	T_CHECK_INT(c->ver, MQTT_V311);
	T_CHECK(span_eq_str(c->proto_name, "MQTT"));
	T_CHECK(c->clean);
	T_CHECK_INT(c->keepalive, 60);
	T_CHECK(span_eq_str(c->client_id, "abc"));
	T_CHECK(!c->has_will);
	T_CHECK(!c->has_username);
	T_CHECK(!c->has_password);
	T_CHECK_INT(c->props.present, 0);
	/* The level comes from the packet, not from @ver. */
	T_CHECK_INT(DEC(0x10, connect_v311, MQTT_V5, &pk), 0);
	T_CHECK_INT(c->ver, MQTT_V311);
	T_CHECK_INT(DEC(0x10, connect_v311, (enum mqtt_ver)0, &pk), 0);
}

static void
test_connect_v311_will_user_password(void)
{
	static const uint8_t b[] = {
	        0,    4,    'M',  'Q', 'T', 'T', 4,   0xf4, /* user, password,
	                                                       retain, qos 2,
	                                                       will; not clean
	                                                     */
	        0xff, 0xff, 0,    1,   'c', 0,   3,   'w',  '/', 't',  0,    3,
	        0x00, 0xff, 0x80, 0,   2,   'u', 's', 0,    2,   0xc0, 0x00,
	};
	struct mqtt_packet pk;
	struct mqtt_connect *c = &pk.u.connect;

	T_CHECK_INT(DEC(0x10, b, MQTT_V311, &pk), 0);
	T_CHECK(!c->clean);
	T_CHECK_INT(c->keepalive, 65535);
	T_CHECK(c->has_will);
	T_CHECK_INT(c->will.qos, 2);
	T_CHECK(c->will.retain);
	T_CHECK(span_eq_str(c->will.topic, "w/t"));
	T_CHECK_INT(c->will.payload.len, 3);
	T_CHECK_MEM(c->will.payload.p, "\x00\xff\x80", 3);
	T_CHECK(c->has_username);
	T_CHECK(span_eq_str(c->username, "us"));
	T_CHECK(c->has_password);
	T_CHECK_INT(c->password.len, 2);
	T_CHECK_MEM(c->password.p, "\xc0\x00", 2);
	T_CHECK_INT(c->will.props.present, 0);
}

static void
test_connect_v31(void)
{
	static const uint8_t b[] = {
	        0, 6, 'M', 'Q', 'I', 's', 'd', 'p', 3, 0x02, 0, 10, 0, 1, 'x',
	};
	struct mqtt_packet pk;

	T_CHECK_INT(DEC(0x10, b, MQTT_V311, &pk), 0);
	T_CHECK_INT(pk.u.connect.ver, MQTT_V31);
	T_CHECK(span_eq_str(pk.u.connect.proto_name, "MQIsdp"));
	T_CHECK(span_eq_str(pk.u.connect.client_id, "x"));
}

static const uint8_t connect_v5[] = {
        0, 4,  'M',  'Q',  'T', 'T',  5, 0xee, /* user, password, retain, qos 1,
                                                  will, clean */
        0, 30, 8,    0x11, 0,   0,    0, 10,   0x21, 0, 20, /* session expiry,
                                                               receive max */
        0, 2,  'c',  '1',  5,   0x18, 0, 0,    0,    7,     /* will delay */
        0, 3,  'w',  '/',  't', 0,    2, 0xff, 0x00, 0, 1,  'u',
        0, 2,  0x00, 0xfe,
};

static void
test_connect_v5_full(void)
{
	struct mqtt_packet pk;
	struct mqtt_connect *c = &pk.u.connect;

	T_CHECK_INT(DEC(0x10, connect_v5, MQTT_V311, &pk), 0);
	T_CHECK_INT(c->ver, MQTT_V5);
	T_CHECK(c->clean);
	T_CHECK_INT(c->keepalive, 30);
	T_CHECK_INT(c->props.session_expiry, 10);
	T_CHECK_INT(c->props.receive_max, 20);
	T_CHECK_INT(c->props.raw.len, 8);
	T_CHECK(span_eq_str(c->client_id, "c1"));
	T_CHECK(c->has_will);
	T_CHECK_INT(c->will.qos, 1);
	T_CHECK(c->will.retain);
	T_CHECK_INT(c->will.props.will_delay, 7);
	T_CHECK_INT(c->will.props.present, MQTT_PROP_BIT(MQTT_PROP_WILL_DELAY));
	T_CHECK(span_eq_str(c->will.topic, "w/t"));
	T_CHECK_MEM(c->will.payload.p, "\xff\x00", 2);
	T_CHECK(span_eq_str(c->username, "u"));
	T_CHECK_INT(c->password.len, 2);
}

static void
test_connect_empty_client_id(void)
{
	static const uint8_t b[] = {
	        0, 4, 'M', 'Q', 'T', 'T', 4, 0x00, 0, 0, 0, 0,
	};
	struct mqtt_packet pk;

	T_CHECK_INT(DEC(0x10, b, MQTT_V311, &pk), 0);
	T_CHECK_INT(pk.u.connect.client_id.len, 0);
	T_CHECK(!pk.u.connect.clean);
}

static void
test_mqtt_3_1_2_1_bad_protocol_name(void)
{
	static const uint8_t mqtx[] = {
	        0, 4, 'M', 'Q', 'T', 'X', 4, 0x02, 0, 0, 0, 0,
	};
	static const uint8_t lower[] = {
	        0, 4, 'm', 'q', 't', 't', 4, 0x02, 0, 0, 0, 0,
	};
	static const uint8_t longer[] = {
	        0, 5, 'M', 'Q', 'T', 'T', 'T', 4, 0x02, 0, 0, 0, 0,
	};
	struct mqtt_packet pk;

	T_CHECK_INT(DEC(0x10, mqtx, MQTT_V311, &pk), TERN_EPROTO);
	T_CHECK_INT(DEC(0x10, lower, MQTT_V311, &pk), TERN_EPROTO);
	T_CHECK_INT(DEC(0x10, longer, MQTT_V311, &pk), TERN_EPROTO);
}

static void
test_mqtt_3_1_2_2_unsupported_level(void)
{
	static const uint8_t six[] = {
	        0, 4, 'M', 'Q', 'T', 'T', 6, 0x02, 0, 0, 0, 0,
	};
	static const uint8_t mqtt3[] = {
	        0, 4, 'M', 'Q', 'T', 'T', 3, 0x02, 0, 0, 0, 0,
	};
	static const uint8_t mqisdp4[] = {
	        0, 6, 'M', 'Q', 'I', 's', 'd', 'p', 4, 0x02, 0, 0, 0, 0,
	};
	/* Only name and level are read: the rest may be anything. */
	static const uint8_t junk[] = {0, 4, 'M', 'Q', 'T', 'T', 0x84, 0xff};
	struct mqtt_packet pk;

	T_CHECK_INT(DEC(0x10, six, MQTT_V311, &pk), TERN_EVERSION);
	T_CHECK_INT(pk.type, MQTT_CONNECT);
	T_CHECK_INT(pk.u.connect.ver, 6);
	T_CHECK_INT(DEC(0x10, mqtt3, MQTT_V311, &pk), TERN_EVERSION);
	T_CHECK_INT(pk.u.connect.ver, 3);
	T_CHECK_INT(DEC(0x10, mqisdp4, MQTT_V311, &pk), TERN_EVERSION);
	T_CHECK_INT(pk.u.connect.ver, 4);
	T_CHECK(span_eq_str(pk.u.connect.proto_name, "MQIsdp"));
	T_CHECK_INT(DEC(0x10, junk, MQTT_V311, &pk), TERN_EVERSION);
	T_CHECK_INT(pk.u.connect.ver, 0x84);
}

/*
 * CONNECT at @level ("MQIsdp" for 3, else "MQTT") with connect flags @cf,
 * keep-alive 0, empty properties in 5.0, client id "c", then @tail.
 */
static int
connect_flags_v(uint8_t level, uint8_t cf, const uint8_t *tail, size_t n)
{
	static const uint8_t v31[] = {0, 6, 'M', 'Q', 'I', 's', 'd', 'p'};
	static const uint8_t v311[] = {0, 4, 'M', 'Q', 'T', 'T'};
	uint8_t b[64];
	size_t len = level == MQTT_V31 ? sizeof(v31) : sizeof(v311);
	struct mqtt_packet pk;

	memcpy(b, level == MQTT_V31 ? v31 : v311, len);
	b[len++] = level;
	b[len++] = cf;
	b[len++] = 0;
	b[len++] = 0;

	if (level == MQTT_V5) {
		b[len++] = 0; /* no properties */
	}
	b[len++] = 0;
	b[len++] = 1;
	b[len++] = 'c';
	if (n != 0) {
		memcpy(b + len, tail, n);
	}
	return dec_body(0x10, b, len + n, MQTT_V311, &pk);
}

static void
test_mqtt_3_1_2_3_reserved_flag(void)
{
	T_CHECK_INT(connect_flags_v(4, 0x03, NULL, 0), TERN_EMALFORMED);
	T_CHECK_INT(connect_flags_v(5, 0x01, NULL, 0), TERN_EMALFORMED);
	T_CHECK_INT(connect_flags_v(3, 0x01, NULL, 0), TERN_EMALFORMED);
	T_CHECK_INT(connect_flags_v(4, 0x02, NULL, 0), 0);
}

static void
test_mqtt_3_1_2_11_will_qos_without_will(void)
{
	T_CHECK_INT(connect_flags_v(4, 0x08, NULL, 0), TERN_EMALFORMED);
	T_CHECK_INT(connect_flags_v(4, 0x10, NULL, 0), TERN_EMALFORMED);
	T_CHECK_INT(connect_flags_v(5, 0x08, NULL, 0), TERN_EMALFORMED);
}

/* [MQTT-3.1.2-15] in 3.1.1, [MQTT-3.1.2-13] in 5.0. */
static void
test_mqtt_3_1_2_13_will_retain_without_will(void)
{
	T_CHECK_INT(connect_flags_v(4, 0x20, NULL, 0), TERN_EMALFORMED);
	T_CHECK_INT(connect_flags_v(5, 0x20, NULL, 0), TERN_EMALFORMED);
	T_CHECK_INT(connect_flags_v(3, 0x22, NULL, 0), TERN_EMALFORMED);
}

static void
test_mqtt_3_1_2_14_will_qos_3(void)
{
	static const uint8_t will[] = {0, 1, 't', 0, 0};
	static const uint8_t will5[] = {0, 0, 1, 't', 0, 0};

	T_CHECK_INT(connect_flags_v(4, 0x1c, will, sizeof(will)),
	            TERN_EMALFORMED);
	T_CHECK_INT(connect_flags_v(5, 0x1c, will5, sizeof(will5)),
	            TERN_EMALFORMED);
	T_CHECK_INT(connect_flags_v(4, 0x14, will, sizeof(will)), 0);
	T_CHECK_INT(connect_flags_v(5, 0x14, will5, sizeof(will5)), 0);
}

/* [MQTT-3.1.2-22] of 3.1.1; MQTT 5 allows a password alone. */
static void
test_mqtt_3_1_2_22_password_without_username(void)
{
	static const uint8_t pw[] = {0, 2, 'p', 'w'};
	static const uint8_t b[] = {
	        0, 4, 'M', 'Q', 'T', 'T', 5,   0x40, 0,
	        0, 0, 0,   0,   0,   2,   'p', 'w',
	};
	struct mqtt_packet pk;

	T_CHECK_INT(connect_flags_v(4, 0x42, pw, sizeof(pw)), TERN_EMALFORMED);
	T_CHECK_INT(connect_flags_v(3, 0x42, pw, sizeof(pw)), TERN_EMALFORMED);
	T_CHECK_INT(connect_flags_v(5, 0x42, pw, sizeof(pw)), 0);
	T_CHECK_INT(DEC(0x10, b, MQTT_V5, &pk), 0);
	T_CHECK(!pk.u.connect.has_username);
	T_CHECK(pk.u.connect.has_password);
	T_CHECK(span_eq_str(pk.u.connect.password, "pw"));
}

static void
test_mqtt_1_5_3_1_client_id_bad_utf8(void)
{
	static const uint8_t bad[] = {
	        0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 0, 0, 2, 0xc3, 0x28,
	};
	static const uint8_t surrogate[] = {
	        0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 0, 0, 3, 0xed, 0xbf, 0xbf,
	};
	struct mqtt_packet pk;

	T_CHECK_INT(DEC(0x10, bad, MQTT_V311, &pk), TERN_EMALFORMED);
	T_CHECK_INT(DEC(0x10, surrogate, MQTT_V311, &pk), TERN_EMALFORMED);
}

static void
test_mqtt_1_5_3_2_client_id_nul(void)
{
	static const uint8_t b[] = {
	        0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 0, 0, 2, 'a', 0x00,
	};
	struct mqtt_packet pk;

	T_CHECK_INT(DEC(0x10, b, MQTT_V311, &pk), TERN_EMALFORMED);
}

/* [MQTT-3.1.3-10] (3.1.1) / [MQTT-3.1.3-11] (5.0): will topic UTF-8. */
static void
test_mqtt_3_1_3_10_will_topic_bad_utf8(void)
{
	static const uint8_t will[] = {0, 2, 'a', 0x00, 0, 0};
	static const uint8_t will5[] = {0, 0, 1, 0xfe, 0, 0};

	T_CHECK_INT(connect_flags_v(4, 0x06, will, sizeof(will)),
	            TERN_EMALFORMED);
	T_CHECK_INT(connect_flags_v(5, 0x06, will5, sizeof(will5)),
	            TERN_EMALFORMED);
}

static void
test_mqtt_3_3_2_2_will_topic_wildcard(void)
{
	static const uint8_t plus[] = {0, 3, 'a', '/', '+', 0, 0};
	static const uint8_t hash5[] = {0, 0, 1, '#', 0, 0};

	T_CHECK_INT(connect_flags_v(4, 0x06, plus, sizeof(plus)), TERN_ETOPIC);
	T_CHECK_INT(connect_flags_v(5, 0x06, hash5, sizeof(hash5)),
	            TERN_ETOPIC);
}

static void
test_mqtt_4_7_3_1_will_topic_empty(void)
{
	static const uint8_t empty[] = {0, 0, 0, 0};

	T_CHECK_INT(connect_flags_v(4, 0x06, empty, sizeof(empty)),
	            TERN_ETOPIC);
}

/* [MQTT-3.1.3-11] (3.1.1) / [MQTT-3.1.3-12] (5.0): user name UTF-8. */
static void
test_mqtt_3_1_3_11_username_bad_utf8(void)
{
	static const uint8_t user[] = {0, 1, 0x80};

	T_CHECK_INT(connect_flags_v(4, 0x82, user, sizeof(user)),
	            TERN_EMALFORMED);
	T_CHECK_INT(connect_flags_v(5, 0x82, user, sizeof(user)),
	            TERN_EMALFORMED);
}

static void
test_connect_missing_fields(void)
{
	static const uint8_t user[] = {0, 1, 'u'};

	/* Flags promise a will, a user name, a password that is absent. */
	T_CHECK_INT(connect_flags_v(4, 0x06, NULL, 0), TERN_EMALFORMED);
	T_CHECK_INT(connect_flags_v(4, 0x82, NULL, 0), TERN_EMALFORMED);
	T_CHECK_INT(connect_flags_v(4, 0xc2, user, sizeof(user)),
	            TERN_EMALFORMED);
	/* A password length that runs past the end. */
	{
		static const uint8_t pw[] = {0, 1, 'u', 0, 5, 'p'};

		T_CHECK_INT(connect_flags_v(4, 0xc2, pw, sizeof(pw)),
		            TERN_EMALFORMED);
	}
}

static void
test_connect_trailing_bytes_malformed(void)
{
	static const uint8_t extra[] = {0x00};
	/* A user name the flags do not announce. */
	static const uint8_t user[] = {0, 1, 'u'};

	T_CHECK_INT(connect_flags_v(4, 0x02, extra, sizeof(extra)),
	            TERN_EMALFORMED);
	T_CHECK_INT(connect_flags_v(4, 0x02, user, sizeof(user)),
	            TERN_EMALFORMED);
	T_CHECK_INT(connect_flags_v(5, 0x02, extra, sizeof(extra)),
	            TERN_EMALFORMED);
}

static void
test_connect_every_truncation_malformed(void)
{
	struct mqtt_packet pk;

	for (size_t n = 0; n < sizeof(connect_v5); n++) {
		int err = dec_body(0x10, connect_v5, n, MQTT_V5, &pk);

		T_CHECK_INT(err, TERN_EMALFORMED);
	}
	for (size_t n = 0; n < sizeof(connect_v311); n++) {
		int err = dec_body(0x10, connect_v311, n, MQTT_V311, &pk);

		T_CHECK_INT(err, TERN_EMALFORMED);
	}
}

static void
test_connect_v5_properties(void)
{
	/* Topic Alias may not be in CONNECT; Will Delay not outside a will;
	 * Receive Maximum 0 is a protocol error. */
	static const uint8_t alias[] = {
	        0, 4, 'M', 'Q', 'T', 'T', 5, 0x02, 0, 0, 3, 0x23, 0, 1, 0, 0,
	};
	static const uint8_t delay[] = {
	        0, 4, 'M',  'Q', 'T', 'T', 5, 0x02, 0,
	        0, 5, 0x18, 0,   0,   0,   1, 0,    0,
	};
	static const uint8_t rmax0[] = {
	        0, 4, 'M', 'Q', 'T', 'T', 5, 0x02, 0, 0, 3, 0x21, 0, 0, 0, 0,
	};
	/* Properties longer than the packet. */
	static const uint8_t past[] = {
	        0, 4, 'M', 'Q', 'T', 'T', 5, 0x02, 0, 0, 9, 0, 0,
	};
	struct mqtt_packet pk;

	T_CHECK_INT(DEC(0x10, alias, MQTT_V5, &pk), TERN_EMALFORMED);
	T_CHECK_INT(DEC(0x10, delay, MQTT_V5, &pk), TERN_EMALFORMED);
	T_CHECK_INT(DEC(0x10, rmax0, MQTT_V5, &pk), TERN_EPROTO);
	T_CHECK_INT(DEC(0x10, past, MQTT_V5, &pk), TERN_EMALFORMED);
}

static void
test_connect_v5_will_properties(void)
{
	/* Session Expiry belongs to CONNECT, not to the will. */
	static const uint8_t sess[] = {5, 0x11, 0, 0, 0, 1, 0, 1, 't', 0, 0};
	static const uint8_t resp[] = {
	        11, 0x08, 0, 3, 'r', '/', 's', 0x01, 0x01, 0x02, 0, 0,
	};
	static const uint8_t ok[] = {
	        12,   0x08, 0, 3,   'r', '/', 's', 0x01, 0x01,
	        0x09, 0,    1, 'z', 0,   1,   't', 0,    0,
	};
	static const uint8_t bad_topic[] = {
	        6, 0x08, 0, 3, 'r', '/', '#', 0, 1, 't', 0, 0,
	};

	T_CHECK_INT(connect_flags_v(5, 0x06, sess, sizeof(sess)),
	            TERN_EMALFORMED);
	T_CHECK_INT(connect_flags_v(5, 0x06, resp, sizeof(resp)),
	            TERN_EMALFORMED);
	T_CHECK_INT(connect_flags_v(5, 0x06, ok, sizeof(ok)), 0);
	T_CHECK_INT(connect_flags_v(5, 0x06, bad_topic, sizeof(bad_topic)),
	            TERN_ETOPIC);
}

/* ---- CONNACK ---- */

static void
test_connack_v311(void)
{
	static const uint8_t ok[] = {0x01, 0x00};
	static const uint8_t refused[] = {0x00, 0x05};
	struct mqtt_packet pk;

	T_CHECK_INT(DEC(0x20, ok, MQTT_V311, &pk), 0);
	T_CHECK_INT(pk.type, MQTT_CONNACK);
	T_CHECK(pk.u.connack.session_present);
	T_CHECK_INT(pk.u.connack.rc, 0);
	T_CHECK_INT(DEC(0x20, refused, MQTT_V31, &pk), 0);
	T_CHECK(!pk.u.connack.session_present);
	T_CHECK_INT(pk.u.connack.rc, MQTT_CONNACK_NOT_AUTHORIZED);
}

static void
test_connack_v311_length(void)
{
	static const uint8_t one[] = {0x00};
	static const uint8_t three[] = {0x00, 0x00, 0x00};
	struct mqtt_packet pk;

	T_CHECK_INT(DEC(0x20, one, MQTT_V311, &pk), TERN_EMALFORMED);
	T_CHECK_INT(DEC(0x20, three, MQTT_V311, &pk), TERN_EMALFORMED);
	T_CHECK_INT(DEC0(0x20, MQTT_V311, &pk), TERN_EMALFORMED);
}

static void
test_mqtt_3_2_2_1_connack_reserved_flags(void)
{
	static const uint8_t b[] = {0x02, 0x00};
	static const uint8_t b5[] = {0x80, 0x00, 0x00};
	struct mqtt_packet pk;

	T_CHECK_INT(DEC(0x20, b, MQTT_V311, &pk), TERN_EMALFORMED);
	T_CHECK_INT(DEC(0x20, b5, MQTT_V5, &pk), TERN_EMALFORMED);
}

/* [MQTT-3.2.2-4] (3.1.1), [MQTT-3.2.2-6] (5.0). */
static void
test_mqtt_3_2_2_4_session_present_on_refusal(void)
{
	static const uint8_t b[] = {0x01, 0x02};
	static const uint8_t b5[] = {0x01, 0x87, 0x00};
	struct mqtt_packet pk;

	T_CHECK_INT(DEC(0x20, b, MQTT_V311, &pk), TERN_EPROTO);
	T_CHECK_INT(DEC(0x20, b5, MQTT_V5, &pk), TERN_EPROTO);
}

static void
test_connack_reserved_return_codes(void)
{
	static const uint8_t six[] = {0x00, 0x06};
	static const uint8_t v5_one[] = {0x00, 0x01, 0x00};
	static const uint8_t v5_8b[] = {0x00, 0x8b, 0x00};
	static const uint8_t v5_9f[] = {0x00, 0x9f, 0x00};
	struct mqtt_packet pk;

	T_CHECK_INT(DEC(0x20, six, MQTT_V311, &pk), TERN_EPROTO);
	T_CHECK_INT(DEC(0x20, v5_one, MQTT_V5, &pk), TERN_EPROTO);
	/* 0x8B Server shutting down is a DISCONNECT code only. */
	T_CHECK_INT(DEC(0x20, v5_8b, MQTT_V5, &pk), TERN_EPROTO);
	T_CHECK_INT(DEC(0x20, v5_9f, MQTT_V5, &pk), 0);
	T_CHECK_INT(pk.u.connack.rc, MQTT_RC_CONNECTION_RATE_EXCEEDED);
}

static void
test_connack_v5(void)
{
	static const uint8_t b[] = {
	        0x00, 0x00, 10, 0x12, 0, 2, 'i', 'd', 0x24, 0x01, 0x13, 0, 5,
	};
	static const uint8_t no_props[] = {0x00, 0x84};
	static const uint8_t bad_prop[] = {0x00, 0x00, 2, 0x0b, 1};
	struct mqtt_packet pk;

	T_CHECK_INT(DEC(0x20, b, MQTT_V5, &pk), 0);
	T_CHECK_INT(pk.u.connack.rc, 0);
	T_CHECK(span_eq_str(pk.u.connack.props.assigned_client_id, "id"));
	T_CHECK_INT(pk.u.connack.props.max_qos, 1);
	T_CHECK_INT(pk.u.connack.props.server_keep_alive, 5);
	/* Two bytes: as from a server that does not speak 5.0. */
	T_CHECK_INT(DEC(0x20, no_props, MQTT_V5, &pk), 0);
	T_CHECK_INT(pk.u.connack.rc, MQTT_RC_UNSUPPORTED_VERSION);
	T_CHECK_INT(pk.u.connack.props.present, 0);
	T_CHECK_INT(DEC(0x20, bad_prop, MQTT_V5, &pk), TERN_EMALFORMED);
}

/* ---- PUBLISH ---- */

static void
test_publish_qos0(void)
{
	static const uint8_t b[] = {0, 3, 'a', '/', 'b', 'h', 'i'};
	struct mqtt_packet pk;
	struct mqtt_publish *p = &pk.u.publish;

	T_CHECK_INT(DEC(0x31, b, MQTT_V311, &pk), 0);
	T_CHECK_INT(pk.type, MQTT_PUBLISH);
	T_CHECK_INT(p->qos, 0);
	T_CHECK(p->retain);
	T_CHECK(!p->dup);
	T_CHECK(span_eq_str(p->topic, "a/b"));
	T_CHECK_INT(p->pid, 0);
	T_CHECK(span_eq_str(p->payload, "hi"));
}

static void
test_publish_qos1_qos2(void)
{
	static const uint8_t b[] = {0, 1, 't', 0x12, 0x34, 'x'};
	struct mqtt_packet pk;
	struct mqtt_publish *p = &pk.u.publish;

	T_CHECK_INT(DEC(0x3a, b, MQTT_V311, &pk), 0); /* dup, qos 1 */
	T_CHECK_INT(p->qos, 1);
	T_CHECK(p->dup);
	T_CHECK(!p->retain);
	T_CHECK_INT(p->pid, 0x1234);
	T_CHECK(span_eq_str(p->payload, "x"));
	T_CHECK_INT(DEC(0x34, b, MQTT_V31, &pk), 0);
	T_CHECK_INT(p->qos, 2);
	T_CHECK_INT(p->pid, 0x1234);
}

static void
test_publish_empty_payload(void)
{
	static const uint8_t b[] = {0, 1, 't'};
	static const uint8_t b5[] = {0, 1, 't', 0};
	struct mqtt_packet pk;

	T_CHECK_INT(DEC(0x30, b, MQTT_V311, &pk), 0);
	T_CHECK_INT(pk.u.publish.payload.len, 0);
	T_CHECK_INT(DEC(0x30, b5, MQTT_V5, &pk), 0);
	T_CHECK_INT(pk.u.publish.payload.len, 0);
}

static void
test_publish_v5_properties(void)
{
	static const uint8_t b[] = {
	        0, 1, 't',  0, 9, 10, 0x01, 0x01, 0x23,
	        0, 4, 0x26, 0, 0, 0,  0,    '{',  '}',
	};
	struct mqtt_packet pk;
	struct mqtt_publish *p = &pk.u.publish;

	T_CHECK_INT(DEC(0x32, b, MQTT_V5, &pk), 0);
	T_CHECK_INT(p->pid, 9);
	T_CHECK_INT(p->props.payload_format, 1);
	T_CHECK_INT(p->props.topic_alias, 4);
	T_CHECK(mqtt_props_has(&p->props, MQTT_PROP_USER_PROPERTY));
	T_CHECK_INT(p->props.raw.len, 10);
	T_CHECK(span_eq_str(p->payload, "{}"));
	/* The same bytes in 3.1.1: no properties, all payload. */
	T_CHECK_INT(DEC(0x32, b, MQTT_V311, &pk), 0);
	T_CHECK_INT(p->payload.len, sizeof(b) - 5);
}

static void
test_mqtt_3_3_1_4_qos3(void)
{
	static const uint8_t b[] = {0, 1, 't', 0, 1};
	struct mqtt_packet pk;

	T_CHECK_INT(DEC(0x36, b, MQTT_V311, &pk), TERN_EMALFORMED);
	T_CHECK_INT(DEC(0x36, b, MQTT_V5, &pk), TERN_EMALFORMED);
	T_CHECK_INT(DEC(0x3f, b, MQTT_V31, &pk), TERN_EMALFORMED);
}

static void
test_mqtt_3_3_1_2_dup_qos0(void)
{
	static const uint8_t b[] = {0, 1, 't'};
	static const uint8_t b5[] = {0, 1, 't', 0};
	struct mqtt_packet pk;

	T_CHECK_INT(DEC(0x38, b, MQTT_V311, &pk), TERN_EMALFORMED);
	T_CHECK_INT(DEC(0x38, b5, MQTT_V5, &pk), TERN_EMALFORMED);
}

static void
test_mqtt_3_3_2_2_topic_wildcard(void)
{
	static const uint8_t plus[] = {0, 3, 'a', '/', '+'};
	static const uint8_t hash[] = {0, 1, '#'};
	static const uint8_t mid[] = {0, 3, 'a', '#', 'b'};
	static const uint8_t plus5[] = {0, 1, '+', 0};
	struct mqtt_packet pk;

	T_CHECK_INT(DEC(0x30, plus, MQTT_V311, &pk), TERN_ETOPIC);
	T_CHECK_INT(DEC(0x30, hash, MQTT_V31, &pk), TERN_ETOPIC);
	T_CHECK_INT(DEC(0x30, mid, MQTT_V311, &pk), TERN_ETOPIC);
	T_CHECK_INT(DEC(0x30, plus5, MQTT_V5, &pk), TERN_ETOPIC);
}

static void
test_mqtt_4_7_3_1_publish_empty_topic(void)
{
	static const uint8_t b[] = {0, 0, 'x'};
	struct mqtt_packet pk;

	T_CHECK_INT(DEC(0x30, b, MQTT_V311, &pk), TERN_ETOPIC);
	T_CHECK_INT(DEC(0x30, b, MQTT_V31, &pk), TERN_ETOPIC);
}

static void
test_publish_v5_empty_topic_needs_alias(void)
{
	static const uint8_t none[] = {0, 0, 0, 'x'};
	static const uint8_t alias[] = {0, 0, 3, 0x23, 0, 2, 'x'};
	struct mqtt_packet pk;

	T_CHECK_INT(DEC(0x30, none, MQTT_V5, &pk), TERN_EPROTO);
	T_CHECK_INT(DEC(0x30, alias, MQTT_V5, &pk), 0);
	T_CHECK_INT(pk.u.publish.topic.len, 0);
	T_CHECK_INT(pk.u.publish.props.topic_alias, 2);
	T_CHECK(span_eq_str(pk.u.publish.payload, "x"));
}

static void
test_mqtt_3_3_2_8_topic_alias_zero(void)
{
	static const uint8_t b[] = {0, 1, 't', 3, 0x23, 0, 0};
	struct mqtt_packet pk;

	T_CHECK_INT(DEC(0x30, b, MQTT_V5, &pk), TERN_EPROTO);
}

static void
test_mqtt_2_3_1_1_publish_pid_zero(void)
{
	static const uint8_t b[] = {0, 1, 't', 0, 0, 'x'};
	static const uint8_t b5[] = {0, 1, 't', 0, 0, 0};
	struct mqtt_packet pk;

	T_CHECK_INT(DEC(0x32, b, MQTT_V311, &pk), TERN_EPROTO);
	T_CHECK_INT(DEC(0x34, b, MQTT_V31, &pk), TERN_EPROTO);
	T_CHECK_INT(DEC(0x32, b5, MQTT_V5, &pk), TERN_EPROTO);
	/* QoS 0 has no packet identifier: those bytes are payload. */
	T_CHECK_INT(DEC(0x30, b, MQTT_V311, &pk), 0);
	T_CHECK_INT(pk.u.publish.payload.len, 3);
}

static void
test_mqtt_3_3_2_1_topic_bad_utf8(void)
{
	static const uint8_t b[] = {0, 2, 0xc0, 0xaf};
	static const uint8_t nul[] = {0, 2, 'a', 0x00};
	struct mqtt_packet pk;

	T_CHECK_INT(DEC(0x30, b, MQTT_V311, &pk), TERN_EMALFORMED);
	T_CHECK_INT(DEC(0x30, nul, MQTT_V311, &pk), TERN_EMALFORMED);
}

static void
test_publish_truncated(void)
{
	static const uint8_t topic[] = {0, 5, 'a', 'b'};
	static const uint8_t pid[] = {0, 1, 't', 0x00};
	static const uint8_t props[] = {0, 1, 't', 5, 0x01};
	struct mqtt_packet pk;

	T_CHECK_INT(DEC(0x30, topic, MQTT_V311, &pk), TERN_EMALFORMED);
	T_CHECK_INT(DEC(0x32, pid, MQTT_V311, &pk), TERN_EMALFORMED);
	T_CHECK_INT(DEC(0x30, props, MQTT_V5, &pk), TERN_EMALFORMED);
	T_CHECK_INT(DEC0(0x30, MQTT_V311, &pk), TERN_EMALFORMED);
}

/* ---- PUBACK PUBREC PUBREL PUBCOMP ---- */

static void
test_acks_v311(void)
{
	static const uint8_t b[] = {0xab, 0xcd};
	static const uint8_t b0[] = {0x40, 0x50, 0x62, 0x70};
	struct mqtt_packet pk;

	for (size_t i = 0; i < sizeof(b0); i++) {
		T_CHECK_INT(DEC(b0[i], b, MQTT_V311, &pk), 0);
		T_CHECK_INT(pk.type, b0[i] >> 4);
		T_CHECK_INT(pk.u.ack.pid, 0xabcd);
		T_CHECK_INT(pk.u.ack.rc, 0);
	}
}

static void
test_acks_v311_length(void)
{
	static const uint8_t three[] = {0, 1, 0};
	static const uint8_t one[] = {1};
	struct mqtt_packet pk;

	T_CHECK_INT(DEC(0x40, three, MQTT_V311, &pk), TERN_EMALFORMED);
	T_CHECK_INT(DEC(0x62, three, MQTT_V31, &pk), TERN_EMALFORMED);
	T_CHECK_INT(DEC(0x50, one, MQTT_V311, &pk), TERN_EMALFORMED);
	T_CHECK_INT(DEC0(0x70, MQTT_V311, &pk), TERN_EMALFORMED);
	T_CHECK_INT(DEC(0x40, one, MQTT_V5, &pk), TERN_EMALFORMED);
}

static void
test_acks_pid_zero(void)
{
	static const uint8_t b[] = {0, 0};
	struct mqtt_packet pk;

	T_CHECK_INT(DEC(0x40, b, MQTT_V311, &pk), TERN_EPROTO);
	T_CHECK_INT(DEC(0x62, b, MQTT_V5, &pk), TERN_EPROTO);
}

static void
test_mqtt_3_6_1_1_pubrel_flags(void)
{
	static const uint8_t b[] = {0, 1};
	struct mqtt_packet pk;

	T_CHECK_INT(DEC(0x60, b, MQTT_V311, &pk), TERN_EMALFORMED);
	T_CHECK_INT(DEC(0x63, b, MQTT_V5, &pk), TERN_EMALFORMED);
	T_CHECK_INT(DEC(0x42, b, MQTT_V311, &pk), TERN_EMALFORMED);
	T_CHECK_INT(DEC(0x52, b, MQTT_V5, &pk), TERN_EMALFORMED);
	T_CHECK_INT(DEC(0x72, b, MQTT_V31, &pk), TERN_EMALFORMED);
}

static void
test_acks_v5_short_forms(void)
{
	static const uint8_t two[] = {0, 7};
	static const uint8_t three[] = {0, 7, 0x10};
	static const uint8_t four[] = {0, 7, 0x80, 0};
	static const uint8_t props[] = {0, 7, 0x92, 4, 0x1f, 0, 1, 'r'};
	struct mqtt_packet pk;

	T_CHECK_INT(DEC(0x40, two, MQTT_V5, &pk), 0);
	T_CHECK_INT(pk.u.ack.pid, 7);
	T_CHECK_INT(pk.u.ack.rc, 0);
	T_CHECK_INT(DEC(0x40, three, MQTT_V5, &pk), 0);
	T_CHECK_INT(pk.u.ack.rc, MQTT_RC_NO_MATCHING_SUBSCRIBERS);
	T_CHECK_INT(pk.u.ack.props.present, 0);
	T_CHECK_INT(DEC(0x50, four, MQTT_V5, &pk), 0);
	T_CHECK_INT(pk.u.ack.rc, MQTT_RC_UNSPECIFIED);
	T_CHECK_INT(DEC(0x62, props, MQTT_V5, &pk), 0);
	T_CHECK_INT(pk.u.ack.rc, MQTT_RC_PACKET_ID_NOT_FOUND);
	T_CHECK(span_eq_str(pk.u.ack.props.reason_string, "r"));
}

/* [MQTT-3.4.2-1] [MQTT-3.5.2-1] [MQTT-3.6.2-1] [MQTT-3.7.2-1] */
static void
test_mqtt_3_4_2_1_ack_reason_codes(void)
{
	static const uint8_t r92[] = {0, 7, 0x92};
	static const uint8_t r10[] = {0, 7, 0x10};
	static const uint8_t r01[] = {0, 7, 0x01};
	static const uint8_t rff[] = {0, 7, 0xff, 0};
	struct mqtt_packet pk;

	T_CHECK_INT(DEC(0x40, r92, MQTT_V5, &pk), TERN_EPROTO);
	T_CHECK_INT(DEC(0x50, r92, MQTT_V5, &pk), TERN_EPROTO);
	T_CHECK_INT(DEC(0x62, r92, MQTT_V5, &pk), 0);
	T_CHECK_INT(DEC(0x70, r92, MQTT_V5, &pk), 0);
	T_CHECK_INT(DEC(0x50, r10, MQTT_V5, &pk), 0);
	T_CHECK_INT(DEC(0x62, r10, MQTT_V5, &pk), TERN_EPROTO);
	T_CHECK_INT(DEC(0x40, r01, MQTT_V5, &pk), TERN_EPROTO);
	T_CHECK_INT(DEC(0x70, rff, MQTT_V5, &pk), TERN_EPROTO);
}

static void
test_acks_v5_bad_properties(void)
{
	static const uint8_t alias[] = {0, 7, 0, 3, 0x23, 0, 1};
	static const uint8_t twice[] = {0, 7, 0, 6, 0x1f, 0, 0, 0x1f, 0, 0};
	static const uint8_t past[] = {0, 7, 0, 3, 0x1f, 0};
	static const uint8_t after[] = {0, 7, 0, 0, 0};
	struct mqtt_packet pk;

	T_CHECK_INT(DEC(0x40, alias, MQTT_V5, &pk), TERN_EMALFORMED);
	T_CHECK_INT(DEC(0x50, twice, MQTT_V5, &pk), TERN_EPROTO);
	T_CHECK_INT(DEC(0x62, past, MQTT_V5, &pk), TERN_EMALFORMED);
	T_CHECK_INT(DEC(0x70, after, MQTT_V5, &pk), TERN_EMALFORMED);
}

/* ---- SUBSCRIBE ---- */

static void
test_subscribe_v311(void)
{
	static const uint8_t b[] = {
	        0, 10, 0, 3, 'a', '/', '#', 0x01, 0, 1, '+', 0x02,
	};
	struct mqtt_packet pk;
	struct mqtt_sub_entry e;
	struct rd r;

	T_CHECK_INT(DEC(0x82, b, MQTT_V311, &pk), 0);
	T_CHECK_INT(pk.type, MQTT_SUBSCRIBE);
	T_CHECK_INT(pk.u.subscribe.pid, 10);
	T_CHECK_INT(pk.u.subscribe.count, 2);
	T_CHECK_INT(pk.u.subscribe.payload.len, 10);
	r = rd_make(pk.u.subscribe.payload);
	T_CHECK(codec_sub_next(&r, MQTT_V311, &e));
	T_CHECK(span_eq_str(e.filter, "a/#"));
	T_CHECK_INT(e.qos, 1);
	T_CHECK(!e.no_local);
	T_CHECK(!e.retain_as_published);
	T_CHECK_INT(e.retain_handling, 0);
	T_CHECK(codec_sub_next(&r, MQTT_V311, &e));
	T_CHECK(span_eq_str(e.filter, "+"));
	T_CHECK_INT(e.qos, 2);
	T_CHECK(!codec_sub_next(&r, MQTT_V311, &e));
	/* 3.1 has the same layout. */
	T_CHECK_INT(DEC(0x82, b, MQTT_V31, &pk), 0);
	T_CHECK_INT(pk.u.subscribe.count, 2);
}

static void
test_subscribe_v5_options(void)
{
	static const uint8_t b[] = {
	        0, 1, 2,   0x0b, 42,  0,   1,   'a', 0x2e, /* rh 2, rap, no
	                                                      local, qos 2 */
	        0, 1, 'b', 0x10,                           /* rh 1 */
	        0, 9, '$', 's',  'h', 'a', 'r', 'e', '/',  'g', '/', 0x01,
	};
	struct mqtt_packet pk;
	struct mqtt_sub_entry e;
	struct rd r;

	T_CHECK_INT(DEC(0x82, b, MQTT_V5, &pk), 0);
	T_CHECK_INT(pk.u.subscribe.props.subscription_id, 42);
	T_CHECK_INT(pk.u.subscribe.count, 3);
	r = rd_make(pk.u.subscribe.payload);
	T_CHECK(codec_sub_next(&r, MQTT_V5, &e));
	T_CHECK(span_eq_str(e.filter, "a"));
	T_CHECK_INT(e.qos, 2);
	T_CHECK(e.no_local);
	T_CHECK(e.retain_as_published);
	T_CHECK_INT(e.retain_handling, 2);
	T_CHECK(codec_sub_next(&r, MQTT_V5, &e));
	T_CHECK_INT(e.qos, 0);
	T_CHECK(!e.no_local);
	T_CHECK(!e.retain_as_published);
	T_CHECK_INT(e.retain_handling, 1);
	T_CHECK(codec_sub_next(&r, MQTT_V5, &e));
	T_CHECK(span_eq_str(e.filter, "$share/g/"));
	T_CHECK_INT(e.qos, 1);
	T_CHECK(!codec_sub_next(&r, MQTT_V5, &e));
}

static void
test_mqtt_3_8_1_1_subscribe_flags(void)
{
	static const uint8_t b[] = {0, 1, 0, 1, 'a', 0};
	struct mqtt_packet pk;

	T_CHECK_INT(DEC(0x80, b, MQTT_V311, &pk), TERN_EMALFORMED);
	T_CHECK_INT(DEC(0x83, b, MQTT_V311, &pk), TERN_EMALFORMED);
	T_CHECK_INT(DEC(0x8a, b, MQTT_V31, &pk), TERN_EMALFORMED);
}

/* [MQTT-3.8.3-3] (3.1.1); [MQTT-3.8.3-2] (5.0). */
static void
test_mqtt_3_8_3_3_subscribe_no_entries(void)
{
	static const uint8_t b[] = {0, 1};
	static const uint8_t b5[] = {0, 1, 0};
	struct mqtt_packet pk;

	T_CHECK_INT(DEC(0x82, b, MQTT_V311, &pk), TERN_EPROTO);
	T_CHECK_INT(DEC(0x82, b5, MQTT_V5, &pk), TERN_EPROTO);
}

/* [MQTT-3-8.3-4] of 3.1.1: reserved bits and QoS 3 are malformed. */
static void
test_mqtt_3_8_3_4_reserved_option_bits_v311(void)
{
	static const uint8_t b[] = {0, 1, 0, 1, 'a', 0x04};
	static const uint8_t hi[] = {0, 1, 0, 1, 'a', 0x80};
	static const uint8_t q3[] = {0, 1, 0, 1, 'a', 0x03};
	struct mqtt_packet pk;

	T_CHECK_INT(DEC(0x82, b, MQTT_V311, &pk), TERN_EMALFORMED);
	T_CHECK_INT(DEC(0x82, hi, MQTT_V31, &pk), TERN_EMALFORMED);
	T_CHECK_INT(DEC(0x82, q3, MQTT_V311, &pk), TERN_EMALFORMED);
}

static void
test_mqtt_3_8_3_5_reserved_option_bits_v5(void)
{
	static const uint8_t b6[] = {0, 1, 0, 0, 1, 'a', 0x40};
	static const uint8_t b7[] = {0, 1, 0, 0, 1, 'a', 0x80};
	struct mqtt_packet pk;

	T_CHECK_INT(DEC(0x82, b6, MQTT_V5, &pk), TERN_EMALFORMED);
	T_CHECK_INT(DEC(0x82, b7, MQTT_V5, &pk), TERN_EMALFORMED);
}

/* 5.0 3.8.3.1: QoS 3 and Retain Handling 3 are protocol errors. */
static void
test_subscribe_v5_qos3_retain_handling3(void)
{
	static const uint8_t q3[] = {0, 1, 0, 0, 1, 'a', 0x03};
	static const uint8_t rh3[] = {0, 1, 0, 0, 1, 'a', 0x30};
	struct mqtt_packet pk;

	T_CHECK_INT(DEC(0x82, q3, MQTT_V5, &pk), TERN_EPROTO);
	T_CHECK_INT(DEC(0x82, rh3, MQTT_V5, &pk), TERN_EPROTO);
}

/* [MQTT-3.8.3-4] of 5.0: No Local on a shared subscription. */
static void
test_mqtt_3_8_3_4_no_local_shared(void)
{
	static const uint8_t b[] = {
	        0,   1,   0,   0,   9,   '$', 's',  'h',
	        'a', 'r', 'e', '/', 'g', '/', 0x04,
	};
	static const uint8_t unshared[] = {
	        0, 1, 0, 0, 7, '$', 's', 'h', 'a', 'r', 'e', 'x', 0x04,
	};
	struct mqtt_packet pk;

	T_CHECK_INT(DEC(0x82, b, MQTT_V5, &pk), TERN_EPROTO);
	T_CHECK_INT(DEC(0x82, unshared, MQTT_V5, &pk), 0);
}

static void
test_mqtt_3_8_3_1_filter_bad_utf8(void)
{
	static const uint8_t b[] = {0, 1, 0, 2, 'a', 0xff, 0};
	static const uint8_t nul[] = {0, 1, 0, 0, 1, 0x00, 0};
	struct mqtt_packet pk;

	T_CHECK_INT(DEC(0x82, b, MQTT_V311, &pk), TERN_EMALFORMED);
	T_CHECK_INT(DEC(0x82, nul, MQTT_V5, &pk), TERN_EMALFORMED);
}

static void
test_subscribe_bad_filter_syntax_passes(void)
{
	/* Wildcard placement and empty filters are the broker's to answer
	 * (0x8F per entry in 5.0), so they decode. */
	static const uint8_t b[] = {
	        0, 1, 0, 5, 'a', '/', '#', '/', 'b',
	        0, 0, 0, 0, 0,   2,   'a', '+', 0,
	};
	struct mqtt_packet pk;

	T_CHECK_INT(DEC(0x82, b, MQTT_V311, &pk), 0);
	T_CHECK_INT(pk.u.subscribe.count, 3);
	T_CHECK_INT(DEC(0x82, b, MQTT_V31, &pk), 0);
}

static void
test_subscribe_pid_zero(void)
{
	static const uint8_t b[] = {0, 0, 0, 1, 'a', 0};
	struct mqtt_packet pk;

	T_CHECK_INT(DEC(0x82, b, MQTT_V311, &pk), TERN_EPROTO);
}

static void
test_subscribe_v5_subscription_id(void)
{
	static const uint8_t two[] = {0, 1, 4, 0x0b, 1, 0x0b, 2, 0, 1, 'a', 0};
	static const uint8_t zero[] = {0, 1, 2, 0x0b, 0, 0, 1, 'a', 0};
	static const uint8_t alias[] = {0, 1, 3, 0x23, 0, 1, 0, 1, 'a', 0};
	struct mqtt_packet pk;

	T_CHECK_INT(DEC(0x82, two, MQTT_V5, &pk), TERN_EPROTO);
	T_CHECK_INT(DEC(0x82, zero, MQTT_V5, &pk), TERN_EPROTO);
	T_CHECK_INT(DEC(0x82, alias, MQTT_V5, &pk), TERN_EMALFORMED);
}

static void
test_subscribe_truncated_entry(void)
{
	static const uint8_t no_opts[] = {0, 1, 0, 1, 'a'};
	static const uint8_t short_filter[] = {0, 1, 0, 3, 'a', 0};
	static const uint8_t second[] = {0, 1, 0, 1, 'a', 0, 0};
	struct mqtt_packet pk;

	T_CHECK_INT(DEC(0x82, no_opts, MQTT_V311, &pk), TERN_EMALFORMED);
	T_CHECK_INT(DEC(0x82, short_filter, MQTT_V311, &pk), TERN_EMALFORMED);
	T_CHECK_INT(DEC(0x82, second, MQTT_V311, &pk), TERN_EMALFORMED);
}

static void
test_sub_next_unvalidated(void)
{
	static const uint8_t no_opts[] = {0, 1, 'a'};
	static const uint8_t short_filter[] = {0, 2, 'a'};
	struct mqtt_sub_entry e = {{NULL, 0}, 3, true, true, 2};
	struct span f = {NULL, 9};
	struct rd r = rd_make(span_make(no_opts, sizeof(no_opts)));

	T_CHECK(!codec_sub_next(&r, MQTT_V5, &e));
	T_CHECK_INT(e.qos, 3); /* untouched */
	r = rd_make(span_make(short_filter, sizeof(short_filter)));
	T_CHECK(!codec_sub_next(&r, MQTT_V311, &e));
	r = rd_make(span_make(short_filter, sizeof(short_filter)));
	T_CHECK(!codec_unsub_next(&r, &f));
	T_CHECK_INT(f.len, 9);
}

/* ---- UNSUBSCRIBE ---- */

static void
test_unsubscribe(void)
{
	static const uint8_t b[] = {0, 3, 0, 1, 'a', 0, 3, 'b', '/', '#'};
	static const uint8_t b5[] = {
	        0, 3, 5, 0x26, 0, 0, 0, 0, 0, 1, 'a', 0, 0,
	};
	struct mqtt_packet pk;
	struct span f;
	struct rd r;

	T_CHECK_INT(DEC(0xa2, b, MQTT_V311, &pk), 0);
	T_CHECK_INT(pk.type, MQTT_UNSUBSCRIBE);
	T_CHECK_INT(pk.u.unsubscribe.pid, 3);
	T_CHECK_INT(pk.u.unsubscribe.count, 2);
	r = rd_make(pk.u.unsubscribe.payload);
	T_CHECK(codec_unsub_next(&r, &f));
	T_CHECK(span_eq_str(f, "a"));
	T_CHECK(codec_unsub_next(&r, &f));
	T_CHECK(span_eq_str(f, "b/#"));
	T_CHECK(!codec_unsub_next(&r, &f));
	T_CHECK_INT(DEC(0xa2, b5, MQTT_V5, &pk), 0);
	T_CHECK_INT(pk.u.unsubscribe.count, 2);
	T_CHECK_INT(pk.u.unsubscribe.props.raw.len, 5);
	r = rd_make(pk.u.unsubscribe.payload);
	T_CHECK(codec_unsub_next(&r, &f));
	T_CHECK(codec_unsub_next(&r, &f));
	T_CHECK_INT(f.len, 0);
	T_CHECK(!codec_unsub_next(&r, &f));
}

static void
test_mqtt_3_10_1_1_unsubscribe_flags(void)
{
	static const uint8_t b[] = {0, 3, 0, 1, 'a'};
	struct mqtt_packet pk;

	T_CHECK_INT(DEC(0xa0, b, MQTT_V311, &pk), TERN_EMALFORMED);
	T_CHECK_INT(DEC(0xa6, b, MQTT_V5, &pk), TERN_EMALFORMED);
}

static void
test_mqtt_3_10_3_2_unsubscribe_no_filters(void)
{
	static const uint8_t b[] = {0, 3};
	static const uint8_t b5[] = {0, 3, 0};
	struct mqtt_packet pk;

	T_CHECK_INT(DEC(0xa2, b, MQTT_V311, &pk), TERN_EPROTO);
	T_CHECK_INT(DEC(0xa2, b5, MQTT_V5, &pk), TERN_EPROTO);
}

static void
test_mqtt_3_10_3_1_unsubscribe_bad_utf8(void)
{
	static const uint8_t b[] = {0, 3, 0, 1, 0xc1};
	static const uint8_t trunc[] = {0, 3, 0, 2, 'a'};
	static const uint8_t pid0[] = {0, 0, 0, 1, 'a'};
	struct mqtt_packet pk;

	T_CHECK_INT(DEC(0xa2, b, MQTT_V311, &pk), TERN_EMALFORMED);
	T_CHECK_INT(DEC(0xa2, trunc, MQTT_V311, &pk), TERN_EMALFORMED);
	T_CHECK_INT(DEC(0xa2, pid0, MQTT_V311, &pk), TERN_EPROTO);
}

/* ---- SUBACK UNSUBACK ---- */

static void
test_suback(void)
{
	static const uint8_t b[] = {0, 5, 0x00, 0x01, 0x02, 0x80};
	static const uint8_t b5[] = {0, 5, 0, 0x02, 0x8f, 0xa2};
	struct mqtt_packet pk;

	T_CHECK_INT(DEC(0x90, b, MQTT_V311, &pk), 0);
	T_CHECK_INT(pk.type, MQTT_SUBACK);
	T_CHECK_INT(pk.u.suback.pid, 5);
	T_CHECK_INT(pk.u.suback.rcs.len, 4);
	T_CHECK_MEM(pk.u.suback.rcs.p, "\x00\x01\x02\x80", 4);
	T_CHECK_INT(DEC(0x90, b5, MQTT_V5, &pk), 0);
	T_CHECK_INT(pk.u.suback.rcs.len, 3);
	T_CHECK_MEM(pk.u.suback.rcs.p, "\x02\x8f\xa2", 3);
}

/* [MQTT-3.9.3-2]: SUBACK codes the packet may not carry. */
static void
test_mqtt_3_9_3_2_suback_reason_codes(void)
{
	static const uint8_t b[] = {0, 5, 0x03};
	static const uint8_t b81[] = {0, 5, 0x81};
	static const uint8_t b5[] = {0, 5, 0, 0x11};
	static const uint8_t b5ok[] = {0, 5, 0, 0x9e};
	struct mqtt_packet pk;

	T_CHECK_INT(DEC(0x90, b, MQTT_V311, &pk), TERN_EPROTO);
	T_CHECK_INT(DEC(0x90, b81, MQTT_V311, &pk), TERN_EPROTO);
	T_CHECK_INT(DEC(0x90, b5, MQTT_V5, &pk), TERN_EPROTO);
	T_CHECK_INT(DEC(0x90, b5ok, MQTT_V5, &pk), 0);
}

static void
test_suback_no_codes(void)
{
	static const uint8_t b[] = {0, 5};
	static const uint8_t b5[] = {0, 5, 0};
	struct mqtt_packet pk;

	T_CHECK_INT(DEC(0x90, b, MQTT_V311, &pk), TERN_EPROTO);
	T_CHECK_INT(DEC(0x90, b5, MQTT_V5, &pk), TERN_EPROTO);
	T_CHECK_INT(DEC(0xb0, b5, MQTT_V5, &pk), TERN_EPROTO);
}

static void
test_unsuback(void)
{
	static const uint8_t b[] = {0, 6};
	static const uint8_t b3[] = {0, 6, 0};
	static const uint8_t b5[] = {0, 6, 0, 0x00, 0x11, 0x8f};
	static const uint8_t b5bad[] = {0, 6, 0, 0x01};
	struct mqtt_packet pk;

	T_CHECK_INT(DEC(0xb0, b, MQTT_V311, &pk), 0);
	T_CHECK_INT(pk.type, MQTT_UNSUBACK);
	T_CHECK_INT(pk.u.suback.pid, 6);
	T_CHECK_INT(pk.u.ack.pid, 6);
	T_CHECK_INT(pk.u.suback.rcs.len, 0);
	T_CHECK_INT(DEC(0xb0, b3, MQTT_V311, &pk), TERN_EMALFORMED);
	T_CHECK_INT(DEC(0xb0, b5, MQTT_V5, &pk), 0);
	T_CHECK_INT(pk.u.suback.rcs.len, 3);
	T_CHECK_MEM(pk.u.suback.rcs.p, "\x00\x11\x8f", 3);
	T_CHECK_INT(DEC(0xb0, b5bad, MQTT_V5, &pk), TERN_EPROTO);
	T_CHECK_INT(DEC(0xb2, b, MQTT_V311, &pk), TERN_EMALFORMED);
}

/* ---- PINGREQ PINGRESP DISCONNECT AUTH ---- */

static void
test_ping(void)
{
	static const uint8_t one[] = {0};
	struct mqtt_packet pk;

	T_CHECK_INT(DEC0(0xc0, MQTT_V311, &pk), 0);
	T_CHECK_INT(pk.type, MQTT_PINGREQ);
	T_CHECK_INT(DEC0(0xd0, MQTT_V5, &pk), 0);
	T_CHECK_INT(pk.type, MQTT_PINGRESP);
	T_CHECK_INT(DEC(0xc0, one, MQTT_V311, &pk), TERN_EMALFORMED);
	T_CHECK_INT(DEC(0xd0, one, MQTT_V5, &pk), TERN_EMALFORMED);
	T_CHECK_INT(DEC0(0xc1, MQTT_V311, &pk), TERN_EMALFORMED);
}

static void
test_disconnect_v311(void)
{
	static const uint8_t one[] = {0};
	struct mqtt_packet pk;

	T_CHECK_INT(DEC0(0xe0, MQTT_V311, &pk), 0);
	T_CHECK_INT(pk.type, MQTT_DISCONNECT);
	T_CHECK_INT(pk.u.disconnect.rc, 0);
	T_CHECK_INT(DEC(0xe0, one, MQTT_V311, &pk), TERN_EMALFORMED);
	T_CHECK_INT(DEC(0xe0, one, MQTT_V31, &pk), TERN_EMALFORMED);
}

static void
test_mqtt_3_14_1_1_disconnect_flags(void)
{
	struct mqtt_packet pk;

	T_CHECK_INT(DEC0(0xe1, MQTT_V311, &pk), TERN_EMALFORMED);
	T_CHECK_INT(DEC0(0xe8, MQTT_V5, &pk), TERN_EMALFORMED);
}

static void
test_disconnect_v5(void)
{
	static const uint8_t rc[] = {0x04};
	static const uint8_t props[] = {0x8e, 5, 0x11, 0, 0, 0, 9};
	static const uint8_t bad_rc[] = {0x01};
	static const uint8_t bad_prop[] = {0x00, 2, 0x01, 0};
	static const uint8_t after[] = {0x00, 0, 1};
	struct mqtt_packet pk;

	T_CHECK_INT(DEC0(0xe0, MQTT_V5, &pk), 0);
	T_CHECK_INT(pk.u.disconnect.rc, 0);
	T_CHECK_INT(DEC(0xe0, rc, MQTT_V5, &pk), 0);
	T_CHECK_INT(pk.u.disconnect.rc, MQTT_RC_DISCONNECT_WITH_WILL);
	T_CHECK_INT(DEC(0xe0, props, MQTT_V5, &pk), 0);
	T_CHECK_INT(pk.u.disconnect.rc, MQTT_RC_SESSION_TAKEN_OVER);
	T_CHECK_INT(pk.u.disconnect.props.session_expiry, 9);
	/* [MQTT-3.14.2-1] */
	T_CHECK_INT(DEC(0xe0, bad_rc, MQTT_V5, &pk), TERN_EPROTO);
	T_CHECK_INT(DEC(0xe0, bad_prop, MQTT_V5, &pk), TERN_EMALFORMED);
	T_CHECK_INT(DEC(0xe0, after, MQTT_V5, &pk), TERN_EMALFORMED);
}

static void
test_auth_reserved_before_v5(void)
{
	struct mqtt_packet pk;

	T_CHECK_INT(DEC0(0xf0, MQTT_V311, &pk), TERN_EMALFORMED);
	T_CHECK_INT(DEC0(0xf0, MQTT_V31, &pk), TERN_EMALFORMED);
}

static void
test_auth_v5(void)
{
	static const uint8_t cont[] = {
	        0x18, 10, 0x15, 0, 2, 'g', 's', 0x16, 0, 2, 0x01, 0x02,
	};
	static const uint8_t rc_only[] = {0x19};
	static const uint8_t bad_rc[] = {0x04};
	static const uint8_t no_method[] = {0x18, 4, 0x16, 0, 1, 'x'};
	struct mqtt_packet pk;

	T_CHECK_INT(DEC0(0xf0, MQTT_V5, &pk), 0);
	T_CHECK_INT(pk.type, MQTT_AUTH);
	T_CHECK_INT(pk.u.disconnect.rc, 0);
	T_CHECK_INT(DEC(0xf0, cont, MQTT_V5, &pk), 0);
	T_CHECK_INT(pk.u.disconnect.rc, MQTT_RC_CONTINUE_AUTH);
	T_CHECK(span_eq_str(pk.u.disconnect.props.auth_method, "gs"));
	T_CHECK_MEM(pk.u.disconnect.props.auth_data.p, "\x01\x02", 2);
	T_CHECK_INT(DEC(0xf0, rc_only, MQTT_V5, &pk), 0);
	T_CHECK_INT(pk.u.disconnect.rc, MQTT_RC_REAUTHENTICATE);
	/* [MQTT-3.15.2-1] */
	T_CHECK_INT(DEC(0xf0, bad_rc, MQTT_V5, &pk), TERN_EPROTO);
	T_CHECK_INT(DEC(0xf0, no_method, MQTT_V5, &pk), TERN_EPROTO);
	/* [MQTT-3.15.1-1] */
	T_CHECK_INT(DEC0(0xf1, MQTT_V5, &pk), TERN_EMALFORMED);
}

/* ---- General ---- */

/* [MQTT-2.2.2-2]: each non-PUBLISH type with any other flags value. */
static void
test_mqtt_2_2_2_2_reserved_flags(void)
{
	static const uint8_t need[16] = {[6] = 2, [8] = 2, [10] = 2};
	static const enum mqtt_ver vers[] = {MQTT_V31, MQTT_V311, MQTT_V5};
	uint8_t body[32] = {0};
	struct mqtt_packet pk;
	struct mqtt_fixed fh;

	for (uint8_t t = 1; t < 16; t++) {
		if (t == MQTT_PUBLISH) {
			continue;
		}
		for (uint8_t f = 0; f < 16; f++) {
			if (f == need[t]) {
				continue;
			}
			fh = (struct mqtt_fixed){t, f, 2, sizeof(body)};
			for (size_t v = 0; v < 3; v++) {
				T_CHECK_INT(
				        codec_decode(
				                &fh,
				                span_make(body, sizeof(body)),
				                vers[v], &pk),
				        TERN_EMALFORMED);
			}
		}
	}
}

static void
test_decode_type_zero(void)
{
	struct mqtt_fixed fh = {0, 0, 2, 0};
	struct mqtt_fixed big = {16, 0, 2, 0};
	struct mqtt_packet pk;

	T_CHECK_INT(codec_decode(&fh, span_make(NULL, 0), MQTT_V311, &pk),
	            TERN_EMALFORMED);
	T_CHECK_INT(codec_decode(&big, span_make(NULL, 0), MQTT_V311, &pk),
	            TERN_EMALFORMED);
}

static void
test_decode_bad_version_argument(void)
{
	struct mqtt_fixed fh = {MQTT_PINGREQ, 0, 2, 0};
	struct mqtt_packet pk;

	T_CHECK_INT(
	        codec_decode(&fh, span_make(NULL, 0), (enum mqtt_ver)6, &pk),
	        TERN_EINVAL);
}

static void
test_decode_out_untouched_on_error(void)
{
	static const uint8_t b[] = {0, 1, '#', 'x'};
	struct mqtt_packet pk, before;

	memset(&pk, 0xa5, sizeof(pk));
	before = pk;
	T_CHECK_INT(DEC(0x30, b, MQTT_V311, &pk), TERN_ETOPIC);
	T_CHECK_MEM(&pk, &before, sizeof(pk));
	/* A good decode, then a bad one: the first result stays. */
	T_CHECK_INT(DEC(0x10, connect_v311, MQTT_V311, &pk), 0);
	before = pk;
	T_CHECK_INT(dec_body(0x10, connect_v311, 5, MQTT_V311, &pk),
	            TERN_EMALFORMED);
	T_CHECK_MEM(&pk, &before, sizeof(pk));
}

/* ---- Robustness ---- */

/* xorshift64*: a fixed-seed generator, so a failure replays. */
static uint64_t
prng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static bool
is_tern_err(int err)
{
	return err == 0 || (err < 0 && err >= TERN_ERR_MIN);
}

/* The validated property blocks of a decoded packet. */
static size_t
packet_props(struct mqtt_packet *pk, struct mqtt_props *out[2])
{
	switch (pk->type) {
	case MQTT_CONNECT:
		out[0] = &pk->u.connect.props;
		out[1] = &pk->u.connect.will.props;
		return 2;
	case MQTT_CONNACK:
		out[0] = &pk->u.connack.props;
		return 1;
	case MQTT_PUBLISH:
		out[0] = &pk->u.publish.props;
		return 1;
	case MQTT_SUBSCRIBE:
		out[0] = &pk->u.subscribe.props;
		return 1;
	case MQTT_UNSUBSCRIBE:
		out[0] = &pk->u.unsubscribe.props;
		return 1;
	case MQTT_SUBACK:
	case MQTT_UNSUBACK:
		out[0] = &pk->u.suback.props;
		return 1;
	case MQTT_DISCONNECT:
	case MQTT_AUTH:
		out[0] = &pk->u.disconnect.props;
		return 1;
	case MQTT_PINGREQ:
	case MQTT_PINGRESP:
		return 0; /* nothing but the type is decoded */
	default:
		out[0] = &pk->u.ack.props;
		return 1;
	}
}

/* What a successful decode promises: iterators run clean to the end. */
static bool
decoded_consistent(struct mqtt_packet *pk, enum mqtt_ver ver)
{
	struct mqtt_props *props[2];
	size_t n = packet_props(pk, props);
	struct mqtt_sub_entry e;
	struct mqtt_prop p;
	struct span f;
	size_t count = 0;
	struct rd r;

	for (size_t i = 0; i < n; i++) {
		int rc;

		r = rd_make(props[i]->raw);
		while ((rc = codec_prop_next(&r, &p)) == 1) {
		}
		if (rc != 0 || codec_props_filter_size(props[i]->raw, ~0ull) !=
		                       props[i]->raw.len) {
			return false;
		}
	}
	if (pk->type == MQTT_SUBSCRIBE) {
		r = rd_make(pk->u.subscribe.payload);
		while (codec_sub_next(&r, ver, &e)) {
			count++;
		}
		return count == pk->u.subscribe.count && rd_left(&r) == 0;
	}
	if (pk->type == MQTT_UNSUBSCRIBE) {
		r = rd_make(pk->u.unsubscribe.payload);
		while (codec_unsub_next(&r, &f)) {
			count++;
		}
		return count == pk->u.unsubscribe.count && rd_left(&r) == 0;
	}
	return true;
}

/*
 * Frames and decodes @n bytes from an exact-size heap copy in each
 * version; also decodes the bytes after the first as a body, whatever the
 * frame said. Returns false if anything returns a value that is not 0 or
 * a tern_err, or a success breaks decoded_consistent().
 */
static bool
robust_one(const uint8_t *b, size_t n)
{
	static const enum mqtt_ver vers[] = {MQTT_V31, MQTT_V311, MQTT_V5};
	uint8_t *copy = malloc(n != 0 ? n : 1);
	struct codec_limits lim = {0};
	struct mqtt_packet pk;
	struct mqtt_fixed fh;
	bool ok = true;
	int err;

	if (copy == NULL) {
		abort();
	}
	if (n != 0) {
		memcpy(copy, b, n);
	}
	err = codec_frame(copy, n, &lim, &fh);
	ok = is_tern_err(err);
	for (size_t v = 0; ok && v < 3; v++) {
		if (err == 0) {
			int d = codec_decode(
			        &fh, span_make(copy + fh.hdr_len, fh.body_len),
			        vers[v], &pk);

			ok = is_tern_err(d) &&
			     (d != 0 || decoded_consistent(&pk, vers[v]));
		}
		if (ok && n != 0) {
			struct mqtt_fixed raw = {(uint8_t)(copy[0] >> 4),
			                         (uint8_t)(copy[0] & 15), 1,
			                         n - 1};
			int d = codec_decode(&raw, span_make(copy + 1, n - 1),
			                     vers[v], &pk);

			ok = is_tern_err(d) &&
			     (d != 0 || decoded_consistent(&pk, vers[v]));
		}
	}
	free(copy);
	return ok;
}

struct sample {
	uint8_t b0;
	const uint8_t *body;
	size_t len;
};

static const uint8_t s_publish5[] = {
        0,    3, 'a', '/', 'b', 0, 9,   14,   0x01, 0x01, 0x0b, 0x05,
        0x26, 0, 1,   'k', 0,   1, 'v', 0x23, 0,    2,    'p',  'l',
};
static const uint8_t s_subscribe5[] = {
        0, 1, 2, 0x0b, 42, 0, 1, 'a', 0x2e, 0, 3, 'b', '/', '+', 0x10,
};
static const uint8_t s_subscribe3[] = {0, 1, 0, 1, 'a', 1, 0, 1, '#', 2};
static const uint8_t s_unsubscribe5[] = {0, 3, 0, 0, 1, 'a', 0, 0};
static const uint8_t s_connack5[] = {0, 0, 5, 0x12, 0, 2, 'i', 'd'};
static const uint8_t s_ack5[] = {0, 7, 0x10, 4, 0x1f, 0, 1, 'r'};
static const uint8_t s_pubrel5[] = {0, 7, 0x92, 4, 0x1f, 0, 1, 'r'};
static const uint8_t s_suback5[] = {0, 5, 0, 0x02, 0x8f};
static const uint8_t s_disconnect5[] = {0x8e, 5, 0x11, 0, 0, 0, 9};
static const uint8_t s_auth5[] = {0x18, 5, 0x15, 0, 2, 'g', 's'};
static const uint8_t s_publish3[] = {0, 1, 't', 0x12, 0x34, 'x'};

static const struct sample samples[] = {
        {0x10, connect_v5, sizeof(connect_v5)},
        {0x10, connect_v311, sizeof(connect_v311)},
        {0x32, s_publish5, sizeof(s_publish5)},
        {0x3b, s_publish3, sizeof(s_publish3)},
        {0x82, s_subscribe5, sizeof(s_subscribe5)},
        {0x82, s_subscribe3, sizeof(s_subscribe3)},
        {0xa2, s_unsubscribe5, sizeof(s_unsubscribe5)},
        {0x20, s_connack5, sizeof(s_connack5)},
        {0x40, s_ack5, sizeof(s_ack5)},
        {0x62, s_pubrel5, sizeof(s_pubrel5)},
        {0x90, s_suback5, sizeof(s_suback5)},
        {0xe0, s_disconnect5, sizeof(s_disconnect5)},
        {0xf0, s_auth5, sizeof(s_auth5)},
};

#define N_SAMPLES (sizeof(samples) / sizeof(samples[0]))

/* The whole packet of sample @s into @out (at least 300 bytes). */
static size_t
sample_packet(const struct sample *s, uint8_t *out)
{
	struct wr w = wr_make(out, 300);

	wr_u8(&w, s->b0);
	wr_varint(&w, (uint32_t)s->len);
	wr_bytes(&w, span_make(s->body, s->len));
	return w.pos;
}

static void
test_robust_samples_decode(void)
{
	static const enum mqtt_ver want[N_SAMPLES] = {
	        MQTT_V5,   MQTT_V311, MQTT_V5, MQTT_V311, MQTT_V5,
	        MQTT_V311, MQTT_V5,   MQTT_V5, MQTT_V5,   MQTT_V5,
	        MQTT_V5,   MQTT_V5,   MQTT_V5,
	};
	struct mqtt_packet pk;

	/* The samples are valid, so the runs below start from good bytes. */
	for (size_t i = 0; i < N_SAMPLES; i++) {
		T_CHECK_INT(dec_body(samples[i].b0, samples[i].body,
		                     samples[i].len, want[i], &pk),
		            0);
		T_CHECK(decoded_consistent(&pk, want[i]));
	}
}

static void
test_robust_every_prefix(void)
{
	uint8_t b[300];

	for (size_t i = 0; i < N_SAMPLES; i++) {
		size_t n = sample_packet(&samples[i], b);

		for (size_t k = 0; k <= n; k++) {
			T_CHECK(robust_one(b, k));
		}
	}
}

/* Flips, overwrites, inserts or drops a few bytes of @b (@n of 300). */
static size_t
mutate(uint8_t *b, size_t n, uint64_t *seed)
{
	unsigned edits = 1 + (unsigned)(prng_next(seed) % 4);

	for (unsigned i = 0; i < edits && n != 0; i++) {
		uint64_t x = prng_next(seed);
		size_t at = (size_t)(x >> 8) % n;

		switch (x % 5) {
		case 0:
			b[at] ^= (uint8_t)(1u << ((x >> 40) % 8));
			break;
		case 1:
			b[at] = (uint8_t)(x >> 32);
			break;
		case 2:
			if (n < 300) {
				memmove(b + at + 1, b + at, n - at);
				b[at] = (uint8_t)(x >> 24);
				n++;
			}
			break;
		case 3:
			memmove(b + at, b + at + 1, n - at - 1);
			n--;
			break;
		default:
			n = at + 1;
			break;
		}
	}
	return n;
}

static void
test_robust_random_mutations(void)
{
	uint64_t seed = 0x7465726e636f6465ull;
	uint8_t b[300];

	for (unsigned it = 0; it < 20000; it++) {
		const struct sample *s = &samples[prng_next(&seed) % N_SAMPLES];
		size_t n = mutate(b, sample_packet(s, b), &seed);

		T_CHECK(robust_one(b, n));
	}
}

static void
test_robust_random_bytes(void)
{
	uint64_t seed = 42;
	uint8_t b[64];

	for (unsigned it = 0; it < 20000; it++) {
		size_t n = (size_t)(prng_next(&seed) % sizeof(b));

		for (size_t i = 0; i < n; i++) {
			b[i] = (uint8_t)prng_next(&seed);
		}
		T_CHECK(robust_one(b, n));
	}
}

T_MAIN(T_CASE(test_connect_v311_minimal),
       T_CASE(test_connect_v311_will_user_password), T_CASE(test_connect_v31),
       T_CASE(test_connect_v5_full), T_CASE(test_connect_empty_client_id),
       T_CASE(test_mqtt_3_1_2_1_bad_protocol_name),
       T_CASE(test_mqtt_3_1_2_2_unsupported_level),
       T_CASE(test_mqtt_3_1_2_3_reserved_flag),
       T_CASE(test_mqtt_3_1_2_11_will_qos_without_will),
       T_CASE(test_mqtt_3_1_2_13_will_retain_without_will),
       T_CASE(test_mqtt_3_1_2_14_will_qos_3),
       T_CASE(test_mqtt_3_1_2_22_password_without_username),
       T_CASE(test_mqtt_1_5_3_1_client_id_bad_utf8),
       T_CASE(test_mqtt_1_5_3_2_client_id_nul),
       T_CASE(test_mqtt_3_1_3_10_will_topic_bad_utf8),
       T_CASE(test_mqtt_3_3_2_2_will_topic_wildcard),
       T_CASE(test_mqtt_4_7_3_1_will_topic_empty),
       T_CASE(test_mqtt_3_1_3_11_username_bad_utf8),
       T_CASE(test_connect_missing_fields),
       T_CASE(test_connect_trailing_bytes_malformed),
       T_CASE(test_connect_every_truncation_malformed),
       T_CASE(test_connect_v5_properties),
       T_CASE(test_connect_v5_will_properties), T_CASE(test_connack_v311),
       T_CASE(test_connack_v311_length),
       T_CASE(test_mqtt_3_2_2_1_connack_reserved_flags),
       T_CASE(test_mqtt_3_2_2_4_session_present_on_refusal),
       T_CASE(test_connack_reserved_return_codes), T_CASE(test_connack_v5),
       T_CASE(test_publish_qos0), T_CASE(test_publish_qos1_qos2),
       T_CASE(test_publish_empty_payload), T_CASE(test_publish_v5_properties),
       T_CASE(test_mqtt_3_3_1_4_qos3), T_CASE(test_mqtt_3_3_1_2_dup_qos0),
       T_CASE(test_mqtt_3_3_2_2_topic_wildcard),
       T_CASE(test_mqtt_4_7_3_1_publish_empty_topic),
       T_CASE(test_publish_v5_empty_topic_needs_alias),
       T_CASE(test_mqtt_3_3_2_8_topic_alias_zero),
       T_CASE(test_mqtt_2_3_1_1_publish_pid_zero),
       T_CASE(test_mqtt_3_3_2_1_topic_bad_utf8), T_CASE(test_publish_truncated),
       T_CASE(test_acks_v311), T_CASE(test_acks_v311_length),
       T_CASE(test_acks_pid_zero), T_CASE(test_mqtt_3_6_1_1_pubrel_flags),
       T_CASE(test_acks_v5_short_forms),
       T_CASE(test_mqtt_3_4_2_1_ack_reason_codes),
       T_CASE(test_acks_v5_bad_properties), T_CASE(test_subscribe_v311),
       T_CASE(test_subscribe_v5_options),
       T_CASE(test_mqtt_3_8_1_1_subscribe_flags),
       T_CASE(test_mqtt_3_8_3_3_subscribe_no_entries),
       T_CASE(test_mqtt_3_8_3_4_reserved_option_bits_v311),
       T_CASE(test_mqtt_3_8_3_5_reserved_option_bits_v5),
       T_CASE(test_subscribe_v5_qos3_retain_handling3),
       T_CASE(test_mqtt_3_8_3_4_no_local_shared),
       T_CASE(test_mqtt_3_8_3_1_filter_bad_utf8),
       T_CASE(test_subscribe_bad_filter_syntax_passes),
       T_CASE(test_subscribe_pid_zero),
       T_CASE(test_subscribe_v5_subscription_id),
       T_CASE(test_subscribe_truncated_entry),
       T_CASE(test_sub_next_unvalidated), T_CASE(test_unsubscribe),
       T_CASE(test_mqtt_3_10_1_1_unsubscribe_flags),
       T_CASE(test_mqtt_3_10_3_2_unsubscribe_no_filters),
       T_CASE(test_mqtt_3_10_3_1_unsubscribe_bad_utf8), T_CASE(test_suback),
       T_CASE(test_mqtt_3_9_3_2_suback_reason_codes),
       T_CASE(test_suback_no_codes), T_CASE(test_unsuback), T_CASE(test_ping),
       T_CASE(test_disconnect_v311),
       T_CASE(test_mqtt_3_14_1_1_disconnect_flags), T_CASE(test_disconnect_v5),
       T_CASE(test_auth_reserved_before_v5), T_CASE(test_auth_v5),
       T_CASE(test_mqtt_2_2_2_2_reserved_flags), T_CASE(test_decode_type_zero),
       T_CASE(test_decode_bad_version_argument),
       T_CASE(test_decode_out_untouched_on_error),
       T_CASE(test_robust_samples_decode), T_CASE(test_robust_every_prefix),
       T_CASE(test_robust_random_mutations), T_CASE(test_robust_random_bytes))
