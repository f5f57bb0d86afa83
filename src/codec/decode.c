/*
 * decode.c - one decoder per packet type, for MQTT 3.1, 3.1.1 and 5.0.
 *
 * Every field is read through struct rd over the packet body, so nothing
 * past the body is read; spans in the result point into the body. Nothing
 * here allocates, logs or recurses. A decoder reads its fields in wire
 * order and stops at the first error; codec_decode() then rejects any
 * bytes left over, so each decoder only reads what it expects.
 *
 * Which error: where MQTT 5.0 names the class of a violation ("is a
 * Malformed Packet", "is a Protocol Error") we return TERN_EMALFORMED or
 * TERN_EPROTO to match. Where it does not, we follow its definitions in
 * section 4.13.1: bytes that cannot be parsed as the packet (lengths,
 * reserved bits, flag combinations, ill-formed strings) are malformed;
 * bytes that parse but carry a value the protocol forbids (a zero packet
 * identifier, an unknown reason code, a missing entry) are a protocol
 * error. 3.1 and 3.1.1 close the connection either way, so the same
 * choice serves them.
 */
#include "mqtt.h"

#include <stddef.h>
#include <string.h>

#include "../base/utf8.h"
#include "props.h"

typedef int decode_fn(struct rd *r, uint8_t flags, enum mqtt_ver ver,
                      struct mqtt_packet *out);

/* Connect Flags (MQTT 3.1.1 section 3.1.2.3, MQTT 5.0 section 3.1.2.3). */
#define CF_RESERVED    0x01u
#define CF_CLEAN       0x02u
#define CF_WILL        0x04u
#define CF_WILL_QOS    0x18u
#define CF_WILL_RETAIN 0x20u
#define CF_PASSWORD    0x40u
#define CF_USERNAME    0x80u

/* PUBLISH fixed header flags (section 3.3.1). */
#define PF_DUP    0x08u
#define PF_RETAIN 0x01u

/* Subscription Options (MQTT 5.0 section 3.8.3.1). */
#define SO_QOS         0x03u
#define SO_NO_LOCAL    0x04u
#define SO_RAP         0x08u
#define SO_RH_SHIFT    4
#define SO_V5_RESERVED 0xc0u
#define SO_V3_RESERVED 0xfcu

/*
 * A set of reason codes. Every code MQTT defines is below 0x40 or in
 * 0x80..0xBF, so two words cover them.
 */
struct rc_set {
	uint64_t lo; /* codes 0x00..0x3F */
	uint64_t hi; /* codes 0x80..0xBF */
};

#define LO(c)         ((uint64_t)1 << (c))
#define HI(c)         ((uint64_t)1 << ((c)-0x80))
#define HI_ERR_COMMON (HI(0x80) | HI(0x83) | HI(0x87))

/*
 * The reason codes each MQTT 5 packet may carry: tables 3.1 (CONNACK), 3.4
 * to 3.7 (PUBACK, PUBREC, PUBREL, PUBCOMP), 3.8 (SUBACK), 3.9 (UNSUBACK),
 * 3.10 (DISCONNECT) and 3.11 (AUTH). A sender "MUST use one of" them
 * [MQTT-3.2.2-8] [MQTT-3.4.2-1] [MQTT-3.5.2-1] [MQTT-3.6.2-1]
 * [MQTT-3.7.2-1] [MQTT-3.9.3-2] [MQTT-3.11.3-2] [MQTT-3.14.2-1]
 * [MQTT-3.15.2-1]; any other is a protocol error.
 */
static const struct rc_set v5_rcs[16] = {
        [MQTT_CONNACK] = {LO(0x00),
                          HI_ERR_COMMON | HI(0x81) | HI(0x82) | HI(0x84) |
                                  HI(0x85) | HI(0x86) | HI(0x88) | HI(0x89) |
                                  HI(0x8A) | HI(0x8C) | HI(0x90) | HI(0x95) |
                                  HI(0x97) | HI(0x99) | HI(0x9A) | HI(0x9B) |
                                  HI(0x9C) | HI(0x9D) | HI(0x9F)},
        [MQTT_PUBACK] = {LO(0x00) | LO(0x10), HI_ERR_COMMON | HI(0x90) |
                                                      HI(0x91) | HI(0x97) |
                                                      HI(0x99)},
        [MQTT_PUBREC] = {LO(0x00) | LO(0x10), HI_ERR_COMMON | HI(0x90) |
                                                      HI(0x91) | HI(0x97) |
                                                      HI(0x99)},
        [MQTT_PUBREL] = {LO(0x00), HI(0x92)},
        [MQTT_PUBCOMP] = {LO(0x00), HI(0x92)},
        [MQTT_SUBACK] = {LO(0x00) | LO(0x01) | LO(0x02),
                         HI_ERR_COMMON | HI(0x8F) | HI(0x91) | HI(0x97) |
                                 HI(0x9E) | HI(0xA1) | HI(0xA2)},
        [MQTT_UNSUBACK] = {LO(0x00) | LO(0x11),
                           HI_ERR_COMMON | HI(0x8F) | HI(0x91)},
        [MQTT_DISCONNECT] = {LO(0x00) | LO(0x04),
                             HI_ERR_COMMON | HI(0x81) | HI(0x82) | HI(0x89) |
                                     HI(0x8B) | HI(0x8D) | HI(0x8E) | HI(0x8F) |
                                     HI(0x90) | HI(0x93) | HI(0x94) | HI(0x95) |
                                     HI(0x96) | HI(0x97) | HI(0x98) | HI(0x99) |
                                     HI(0x9A) | HI(0x9B) | HI(0x9C) | HI(0x9D) |
                                     HI(0x9E) | HI(0x9F) | HI(0xA0) | HI(0xA1) |
                                     HI(0xA2)},
        [MQTT_AUTH] = {LO(0x00) | LO(0x18) | LO(0x19), 0},
};

/* [MQTT-3.9.3-2] (3.1.1): SUBACK return codes are 0x00..0x02 and 0x80. */
static const struct rc_set v3_suback_rcs = {LO(0x00) | LO(0x01) | LO(0x02),
                                            HI(0x80)};

/* [MQTT-2.2.2-1] [MQTT-2.2.2-2]: the flags every type but PUBLISH needs. */
static const uint8_t fixed_flags[16] = {
        [MQTT_PUBREL] = 0x2,
        [MQTT_SUBSCRIBE] = 0x2,
        [MQTT_UNSUBSCRIBE] = 0x2,
};

static bool
rc_valid(const struct rc_set *s, uint8_t rc)
{
	if (rc < 0x40) {
		return ((s->lo >> rc) & 1u) != 0;
	}
	if (rc >= 0x80 && rc < 0xc0) {
		return ((s->hi >> (rc - 0x80)) & 1u) != 0;
	}
	return false;
}

/*
 * A Packet Identifier where one is required. [MQTT-2.3.1-1] (3.1.1),
 * [MQTT-2.2.1-3] (5.0): it is non-zero. The spec names no class for a
 * zero; it parses, so it is a protocol error (4.13.1).
 */
static int
read_pid(struct rd *r, uint16_t *pid)
{
	uint16_t v;
	int err = rd_u16(r, &v);

	if (err != 0) {
		return err;
	}
	if (v == 0) {
		return TERN_EPROTO;
	}
	*pid = v;
	return 0;
}

/* A length-prefixed UTF-8 string [MQTT-1.5.3-1] [MQTT-1.5.3-2]. */
static int
read_utf8(struct rd *r, struct span *out)
{
	int err = rd_bin(r, out);

	if (err == 0) {
		err = utf8_check(*out);
	}
	return err;
}

/*
 * The optional tail of MQTT 5 acknowledgements, DISCONNECT and AUTH: a
 * reason code, absent when nothing is left (meaning 0x00), then a property
 * block, absent when nothing is left after the code (3.4.2.1, 3.14.2.1,
 * 3.15.2.1: "If the Remaining Length is less than ..., the value of 0 is
 * used").
 */
static int
read_reason_props(struct rd *r, uint8_t type, uint8_t *rc,
                  struct mqtt_props *props)
{
	int err;

	*rc = 0;
	if (rd_left(r) == 0) {
		return 0;
	}
	(void)rd_u8(r, rc); /* cannot fail: a byte is left */
	if (rd_left(r) != 0) {
		err = props_parse(r, type, props);
		if (err != 0) {
			return err;
		}
	}
	return rc_valid(&v5_rcs[type], *rc) ? 0 : TERN_EPROTO;
}

/*
 * Protocol name and level (3.1.2.1, 3.1.2.2). "MQTT" goes with levels 4
 * and 5, "MQIsdp" with 3. A known name with another level is
 * TERN_EVERSION, so the broker can answer 0x01 / 0x84 [MQTT-3.1.2-2]; an
 * unknown name is TERN_EPROTO [MQTT-3.1.2-1].
 */
static int
connect_proto(struct rd *r, struct mqtt_connect *c)
{
	uint8_t level;
	int err = rd_bin(r, &c->proto_name);

	if (err == 0) {
		err = rd_u8(r, &level);
	}
	if (err != 0) {
		return err;
	}
	/* Holds any byte: on TERN_EVERSION the caller reads the level. */
	c->ver = (enum mqtt_ver)level;
	if (span_eq_str(c->proto_name, "MQTT")) {
		return level == MQTT_V311 || level == MQTT_V5 ? 0
		                                              : TERN_EVERSION;
	}
	if (span_eq_str(c->proto_name, "MQIsdp")) {
		return level == MQTT_V31 ? 0 : TERN_EVERSION;
	}
	return TERN_EPROTO;
}

static int
connect_flags(uint8_t cf, struct mqtt_connect *c)
{
	uint8_t will_qos = (uint8_t)((cf & CF_WILL_QOS) >> 3);

	/* [MQTT-3.1.2-3] The reserved flag is 0; 5.0 3.1.2.3: malformed. */
	if ((cf & CF_RESERVED) != 0) {
		return TERN_EMALFORMED;
	}
	/* [MQTT-3.1.2-11] [MQTT-3.1.2-13] (5.0), [MQTT-3.1.2-11]
	 * [MQTT-3.1.2-15] (3.1.1): no will, no will QoS or retain. These
	 * bits describe a will that is not there: malformed. */
	if ((cf & CF_WILL) == 0 && (cf & (CF_WILL_QOS | CF_WILL_RETAIN)) != 0) {
		return TERN_EMALFORMED;
	}
	/* [MQTT-3.1.2-14] (3.1.1); 5.0 3.1.2.6: "A value of 3 (0x03) is a
	 * Malformed Packet." */
	if (will_qos == 3) {
		return TERN_EMALFORMED;
	}
	/* [MQTT-3.1.2-22] (3.1.1, and 3.1): a password needs a user name.
	 * MQTT 5 dropped the rule (3.1.2.9). */
	if (c->ver != MQTT_V5 && (cf & CF_PASSWORD) != 0 &&
	    (cf & CF_USERNAME) == 0) {
		return TERN_EMALFORMED;
	}
	c->clean = (cf & CF_CLEAN) != 0;
	c->has_will = (cf & CF_WILL) != 0;
	c->will.qos = will_qos;
	c->will.retain = (cf & CF_WILL_RETAIN) != 0;
	c->has_username = (cf & CF_USERNAME) != 0;
	c->has_password = (cf & CF_PASSWORD) != 0;
	return 0;
}

/* Will Properties (5.0), Will Topic, Will Payload [MQTT-3.1.3-1]. */
static int
connect_will(struct rd *r, struct mqtt_connect *c)
{
	int err = 0;

	if (c->ver == MQTT_V5) {
		err = props_parse(r, PROP_IN_WILL, &c->will.props);
	}
	/* [MQTT-3.1.3-10] (3.1.1) / [MQTT-3.1.3-11] (5.0): UTF-8; and it is
	 * a topic name, so no wildcards and not empty [MQTT-3.3.2-2]
	 * [MQTT-4.7.3-1]. */
	if (err == 0) {
		err = read_utf8(r, &c->will.topic);
	}
	if (err == 0) {
		err = topic_check_name(c->will.topic);
	}
	if (err == 0) {
		err = rd_bin(r, &c->will.payload); /* binary data */
	}
	return err;
}

/*
 * Client Identifier, will, User Name, Password, in that order
 * [MQTT-3.1.3-1]. The client id may be empty: whether to accept that is
 * the broker's decision [MQTT-3.1.3-6] [MQTT-3.1.3-7].
 */
static int
connect_payload(struct rd *r, struct mqtt_connect *c)
{
	int err = read_utf8(r, &c->client_id); /* [MQTT-3.1.3-4] */

	if (err == 0 && c->has_will) {
		err = connect_will(r, c);
	}
	/* [MQTT-3.1.3-11] (3.1.1) / [MQTT-3.1.3-12] (5.0): UTF-8. */
	if (err == 0 && c->has_username) {
		err = read_utf8(r, &c->username);
	}
	if (err == 0 && c->has_password) {
		err = rd_bin(r, &c->password); /* binary data */
	}
	return err;
}

static int
decode_connect(struct rd *r, uint8_t flags, enum mqtt_ver ver,
               struct mqtt_packet *out)
{
	struct mqtt_connect *c = &out->u.connect;
	uint8_t cf;
	int err;

	(void)flags; /* checked by codec_decode() */
	(void)ver;   /* CONNECT brings its own level */
	err = connect_proto(r, c);
	if (err == 0) {
		err = rd_u8(r, &cf);
	}
	if (err == 0) {
		err = connect_flags(cf, c);
	}
	if (err == 0) {
		err = rd_u16(r, &c->keepalive);
	}
	if (err == 0 && c->ver == MQTT_V5) {
		err = props_parse(r, MQTT_CONNECT, &c->props);
	}
	if (err == 0) {
		err = connect_payload(r, c);
	}
	return err;
}

/*
 * CONNACK: acknowledge flags, return / reason code, and in 5.0 properties.
 * A 5.0 CONNACK of two bytes is taken as having no properties: a server
 * that does not speak 5.0 answers a 5.0 CONNECT that way.
 */
static int
decode_connack(struct rd *r, uint8_t flags, enum mqtt_ver ver,
               struct mqtt_packet *out)
{
	struct mqtt_connack *a = &out->u.connack;
	uint8_t af;
	int err;

	(void)flags;
	err = rd_u8(r, &af);
	if (err == 0) {
		err = rd_u8(r, &a->rc);
	}
	if (err == 0 && ver == MQTT_V5 && rd_left(r) != 0) {
		err = props_parse(r, MQTT_CONNACK, &a->props);
	}
	if (err != 0) {
		return err;
	}
	/* [MQTT-3.2.2-1] (5.0; 3.1.1 section 3.2.2.1): bits 7..1 are
	 * reserved; 5.0 calls other values malformed. */
	if ((af & 0xfeu) != 0) {
		return TERN_EMALFORMED;
	}
	a->session_present = (af & 1u) != 0;
	if (ver == MQTT_V5 ? !rc_valid(&v5_rcs[MQTT_CONNACK], a->rc)
	                   : a->rc > MQTT_CONNACK_NOT_AUTHORIZED) {
		return TERN_EPROTO; /* 3.1.1 3.2.2.3: 6..255 are reserved */
	}
	/* [MQTT-3.2.2-4] (3.1.1) / [MQTT-3.2.2-6] (5.0): a refusal has
	 * Session Present 0. */
	if (a->session_present && a->rc != 0) {
		return TERN_EPROTO;
	}
	return 0;
}

/* The topic of a PUBLISH, once its properties are known. */
static int
publish_topic_check(const struct mqtt_publish *p, enum mqtt_ver ver)
{
	if (p->topic.len != 0) {
		return topic_check_name(p->topic); /* [MQTT-3.3.2-2] */
	}
	if (ver != MQTT_V5) {
		return TERN_ETOPIC; /* [MQTT-4.7.3-1] */
	}
	/* 5.0 3.3.2.1: "It is a Protocol Error if the Topic Name is zero
	 * length and there is no Topic Alias." */
	return mqtt_props_has(&p->props, MQTT_PROP_TOPIC_ALIAS) ? 0
	                                                        : TERN_EPROTO;
}

static int
decode_publish(struct rd *r, uint8_t flags, enum mqtt_ver ver,
               struct mqtt_packet *out)
{
	struct mqtt_publish *p = &out->u.publish;
	int err;

	p->qos = (uint8_t)((flags >> 1) & 3u);
	p->dup = (flags & PF_DUP) != 0;
	p->retain = (flags & PF_RETAIN) != 0;
	/* [MQTT-3.3.1-4] Both QoS bits set; 5.0 3.3.1.2: malformed. */
	if (p->qos == 3) {
		return TERN_EMALFORMED;
	}
	/* [MQTT-3.3.1-2] DUP is 0 for QoS 0. A flag combination the fixed
	 * header may not carry: malformed, like other invalid flags
	 * [MQTT-2.2.2-2]. */
	if (p->dup && p->qos == 0) {
		return TERN_EMALFORMED;
	}
	err = read_utf8(r, &p->topic); /* [MQTT-3.3.2-1] */
	if (err == 0 && p->qos > 0) {
		err = read_pid(r, &p->pid);
	}
	if (err == 0 && ver == MQTT_V5) {
		err = props_parse(r, MQTT_PUBLISH, &p->props);
	}
	if (err == 0) {
		err = publish_topic_check(p, ver);
	}
	if (err == 0) {
		err = rd_bytes(r, rd_left(r), &p->payload); /* may be empty */
	}
	return err;
}

/*
 * PUBACK, PUBREC, PUBREL, PUBCOMP: the packet identifier of a QoS > 0
 * PUBLISH, so never 0; in 5.0 an optional reason code and properties.
 */
static int
decode_ack(struct rd *r, uint8_t flags, enum mqtt_ver ver,
           struct mqtt_packet *out)
{
	struct mqtt_ack *a = &out->u.ack;
	int err;

	(void)flags;
	err = read_pid(r, &a->pid);
	if (err == 0 && ver == MQTT_V5) {
		err = read_reason_props(r, out->type, &a->rc, &a->props);
	}
	return err;
}

static bool
is_shared_filter(struct span f)
{
	static const char prefix[] = "$share/";
	size_t n = sizeof(prefix) - 1;

	return f.len >= n && memcmp(f.p, prefix, n) == 0;
}

/* The options byte of one SUBSCRIBE entry for 5.0 (3.8.3.1). */
static int
sub_options_v5(struct span filter, uint8_t o)
{
	/* [MQTT-3.8.3-5] Reserved bits: malformed. */
	if ((o & SO_V5_RESERVED) != 0) {
		return TERN_EMALFORMED;
	}
	/* "It is a Protocol Error if the Maximum QoS field has the value
	 * 3"; "It is a Protocol Error to send a Retain Handling value of
	 * 3." */
	if ((o & SO_QOS) == 3 || (o >> SO_RH_SHIFT) == 3) {
		return TERN_EPROTO;
	}
	/* [MQTT-3.8.3-4] No Local on a shared subscription. */
	if ((o & SO_NO_LOCAL) != 0 && is_shared_filter(filter)) {
		return TERN_EPROTO;
	}
	return 0;
}

/*
 * One SUBSCRIBE entry: filter and options. The filter must be UTF-8
 * [MQTT-3.8.3-1]; its wildcard syntax is left to the broker, which in
 * 5.0 answers a bad filter with a SUBACK reason code, not a disconnect.
 */
static int
sub_entry_check(struct rd *r, enum mqtt_ver ver)
{
	struct span filter;
	uint8_t o;
	int err = read_utf8(r, &filter);

	if (err == 0) {
		err = rd_u8(r, &o);
	}
	if (err != 0) {
		return err;
	}
	if (ver == MQTT_V5) {
		return sub_options_v5(filter, o);
	}
	/* [MQTT-3-8.3-4] (3.1.1): reserved bits or QoS 3 are malformed. */
	if ((o & SO_V3_RESERVED) != 0 || (o & SO_QOS) == 3) {
		return TERN_EMALFORMED;
	}
	return 0;
}

static int
decode_subscribe(struct rd *r, uint8_t flags, enum mqtt_ver ver,
                 struct mqtt_packet *out)
{
	struct mqtt_subscribe *s = &out->u.subscribe;
	int err;

	(void)flags;
	err = read_pid(r, &s->pid);
	if (err == 0 && ver == MQTT_V5) {
		err = props_parse(r, MQTT_SUBSCRIBE, &s->props);
	}
	if (err != 0) {
		return err;
	}
	s->payload = rd_rest(r);
	while (rd_left(r) != 0) {
		err = sub_entry_check(r, ver);
		if (err != 0) {
			return err;
		}
		s->count++;
	}
	/* [MQTT-3.8.3-3] (3.1.1) "a protocol violation"; [MQTT-3.8.3-2]
	 * (5.0) "a Protocol Error". */
	return s->count != 0 ? 0 : TERN_EPROTO;
}

static int
decode_unsubscribe(struct rd *r, uint8_t flags, enum mqtt_ver ver,
                   struct mqtt_packet *out)
{
	struct mqtt_unsubscribe *u = &out->u.unsubscribe;
	struct span filter;
	int err;

	(void)flags;
	err = read_pid(r, &u->pid);
	if (err == 0 && ver == MQTT_V5) {
		err = props_parse(r, MQTT_UNSUBSCRIBE, &u->props);
	}
	if (err != 0) {
		return err;
	}
	u->payload = rd_rest(r);
	while (rd_left(r) != 0) {
		err = read_utf8(r, &filter); /* [MQTT-3.10.3-1] */
		if (err != 0) {
			return err;
		}
		u->count++;
	}
	/* [MQTT-3.10.3-2] At least one filter; "a protocol violation"
	 * (3.1.1), "a Protocol Error" (5.0). */
	return u->count != 0 ? 0 : TERN_EPROTO;
}

/* Every code of a SUBACK or 5.0 UNSUBACK is one the packet may carry. */
static int
ack_codes_check(struct span rcs, const struct rc_set *set)
{
	struct rd r = rd_make(rcs);
	uint8_t rc;

	/* One code per filter of a SUBSCRIBE or UNSUBSCRIBE [MQTT-3.8.4-5]
	 * [MQTT-3.10.4-5 (5.0)], which has at least one. */
	if (rcs.len == 0) {
		return TERN_EPROTO;
	}
	while (rd_u8(&r, &rc) == 0) {
		if (!rc_valid(set, rc)) {
			return TERN_EPROTO;
		}
	}
	return 0;
}

/*
 * SUBACK, and UNSUBACK. A 3.x UNSUBACK is only the packet identifier; the
 * result goes to u.suback for every version (u.ack.pid reads the same
 * identifier, as both structs begin with it).
 */
static int
decode_suback(struct rd *r, uint8_t flags, enum mqtt_ver ver,
              struct mqtt_packet *out)
{
	struct mqtt_suback *s = &out->u.suback;
	int err;

	(void)flags;
	err = read_pid(r, &s->pid);
	if (err != 0 || (ver != MQTT_V5 && out->type == MQTT_UNSUBACK)) {
		return err;
	}
	if (ver == MQTT_V5) {
		err = props_parse(r, out->type, &s->props);
	}
	if (err == 0) {
		err = rd_bytes(r, rd_left(r), &s->rcs);
	}
	if (err != 0) {
		return err;
	}
	return ack_codes_check(s->rcs, ver == MQTT_V5 ? &v5_rcs[out->type]
	                                              : &v3_suback_rcs);
}

/* PINGREQ, PINGRESP: no body (3.12, 3.13); codec_decode() checks it. */
static int
decode_empty(struct rd *r, uint8_t flags, enum mqtt_ver ver,
             struct mqtt_packet *out)
{
	(void)r;
	(void)flags;
	(void)ver;
	(void)out;
	return 0;
}

/* DISCONNECT: no body before 5.0 (3.14); then reason code, properties. */
static int
decode_disconnect(struct rd *r, uint8_t flags, enum mqtt_ver ver,
                  struct mqtt_packet *out)
{
	struct mqtt_disconnect *d = &out->u.disconnect;

	(void)flags;
	if (ver != MQTT_V5) {
		return 0;
	}
	return read_reason_props(r, MQTT_DISCONNECT, &d->rc, &d->props);
}

/* AUTH: 5.0 only; before 5.0 type 15 is reserved (3.1.1 table 2.1). */
static int
decode_auth(struct rd *r, uint8_t flags, enum mqtt_ver ver,
            struct mqtt_packet *out)
{
	struct mqtt_disconnect *d = &out->u.disconnect;

	(void)flags;
	if (ver != MQTT_V5) {
		return TERN_EMALFORMED;
	}
	return read_reason_props(r, MQTT_AUTH, &d->rc, &d->props);
}

static decode_fn *const decoders[16] = {
        [MQTT_CONNECT] = decode_connect,
        [MQTT_CONNACK] = decode_connack,
        [MQTT_PUBLISH] = decode_publish,
        [MQTT_PUBACK] = decode_ack,
        [MQTT_PUBREC] = decode_ack,
        [MQTT_PUBREL] = decode_ack,
        [MQTT_PUBCOMP] = decode_ack,
        [MQTT_SUBSCRIBE] = decode_subscribe,
        [MQTT_SUBACK] = decode_suback,
        [MQTT_UNSUBSCRIBE] = decode_unsubscribe,
        [MQTT_UNSUBACK] = decode_suback,
        [MQTT_PINGREQ] = decode_empty,
        [MQTT_PINGRESP] = decode_empty,
        [MQTT_DISCONNECT] = decode_disconnect,
        [MQTT_AUTH] = decode_auth,
};

/* The bytes of struct mqtt_packet that a packet type uses: its type and
 * its member of the union. */
#define USES(member)                       \
	(offsetof(struct mqtt_packet, u) + \
	 sizeof(((struct mqtt_packet *)NULL)->u.member))

static const size_t used_size[16] = {
        [MQTT_CONNECT] = USES(connect),
        [MQTT_CONNACK] = USES(connack),
        [MQTT_PUBLISH] = USES(publish),
        [MQTT_PUBACK] = USES(ack),
        [MQTT_PUBREC] = USES(ack),
        [MQTT_PUBREL] = USES(ack),
        [MQTT_PUBCOMP] = USES(ack),
        [MQTT_SUBSCRIBE] = USES(subscribe),
        [MQTT_SUBACK] = USES(suback),
        [MQTT_UNSUBSCRIBE] = USES(unsubscribe),
        [MQTT_UNSUBACK] = USES(suback),
        [MQTT_PINGREQ] = offsetof(struct mqtt_packet, u),
        [MQTT_PINGRESP] = offsetof(struct mqtt_packet, u),
        [MQTT_DISCONNECT] = USES(disconnect),
        [MQTT_AUTH] = USES(disconnect),
};

/*
 * @fh->body_len is not read: @body is the body. On TERN_EVERSION only
 * out->type, out->u.connect.ver and out->u.connect.proto_name are written;
 * on other errors *out is untouched. On success only the type and the
 * member of its type are written: the union is sized by CONNECT (over
 * 600 bytes), a PUBLISH needs half of it, and zeroing and copying the
 * whole of it was a measurable share of every PUBLISH.
 */
int
codec_decode(const struct mqtt_fixed *fh, struct span body, enum mqtt_ver ver,
             struct mqtt_packet *out)
{
	struct mqtt_packet pk;
	struct rd r = rd_make(body);
	size_t used;
	int err;

	/* Type 0 is reserved, in every version. */
	if (fh->type == 0 || fh->type > MQTT_AUTH) {
		return TERN_EMALFORMED;
	}
	if (fh->type != MQTT_CONNECT && ver != MQTT_V31 && ver != MQTT_V311 &&
	    ver != MQTT_V5) {
		return TERN_EINVAL;
	}
	/* [MQTT-2.2.2-1] [MQTT-2.2.2-2] Reserved flags: malformed. */
	if (fh->type != MQTT_PUBLISH && fh->flags != fixed_flags[fh->type]) {
		return TERN_EMALFORMED;
	}
	used = used_size[fh->type];
	memset(&pk, 0, used);
	pk.type = fh->type;
	err = decoders[fh->type](&r, fh->flags, ver, &pk);
	/* The fields end before the Remaining Length does. */
	if (err == 0 && rd_left(&r) != 0) {
		err = TERN_EMALFORMED;
	}
	if (err == TERN_EVERSION) {
		out->type = MQTT_CONNECT;
		out->u.connect.ver = pk.u.connect.ver;
		out->u.connect.proto_name = pk.u.connect.proto_name;
	}
	if (err == 0) {
		memcpy(out, &pk, used);
	}
	return err;
}

bool
codec_sub_next(struct rd *r, enum mqtt_ver ver, struct mqtt_sub_entry *e)
{
	struct mqtt_sub_entry v = {0};
	uint8_t o;

	if (rd_bin(r, &v.filter) != 0 || rd_u8(r, &o) != 0) {
		return false;
	}
	v.qos = o & SO_QOS;
	if (ver == MQTT_V5) {
		v.no_local = (o & SO_NO_LOCAL) != 0;
		v.retain_as_published = (o & SO_RAP) != 0;
		v.retain_handling = (uint8_t)((o >> SO_RH_SHIFT) & 3u);
	}
	*e = v;
	return true;
}

bool
codec_unsub_next(struct rd *r, struct span *filter)
{
	return rd_bin(r, filter) == 0;
}
