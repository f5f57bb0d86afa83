/*
 * encode.c - MQTT packets to bytes, every packet type in every version.
 *
 * Each packet type has a *_body() that returns its Remaining Length and a
 * *_put() that writes the bytes after the fixed header; the fixed header
 * is shared. Sizes saturate at TOO_BIG (one past MQTT_MAX_REMAINING): a
 * sum of parts can neither overflow a size_t nor hide an oversized part,
 * and a packet that cannot be encoded has a body of TOO_BIG, which
 * codec_size() reports as 0. Writers trust the sizes: writing past the
 * end of the caller's buffer is an assert in wr.h, never a silent overrun.
 *
 * Invariant: for every packet, *_put() writes exactly *_body() bytes.
 */
#include <stddef.h>

#include "mqtt.h"
#include "proptab.h"

#define TOO_BIG ((size_t)MQTT_MAX_REMAINING + 1)
#define STR_MAX 65535u

/* Bits of the CONNECT flags byte (MQTT 3.1.1 / 5.0 section 3.1.2.3). */
#define CF_USERNAME    0x80u
#define CF_PASSWORD    0x40u
#define CF_WILL_RETAIN 0x20u
#define CF_WILL        0x04u
#define CF_CLEAN       0x02u

typedef size_t body_fn(const struct mqtt_packet *p, enum mqtt_ver ver);
typedef void put_fn(struct wr *w, const struct mqtt_packet *p,
                    enum mqtt_ver ver);

/* Saturating sum: TOO_BIG as soon as either part or the total is. */
static size_t
add(size_t a, size_t b)
{
	if (a >= TOO_BIG || b >= TOO_BIG || a + b >= TOO_BIG) {
		return TOO_BIG;
	}
	return a + b;
}

/* A UTF-8 string or binary field: two length bytes, then the bytes. */
static size_t
str_size(struct span s)
{
	return s.len > STR_MAX ? TOO_BIG : 2 + s.len;
}

/* A length as a Variable Byte Integer followed by that many bytes. */
static size_t
block_size(size_t len)
{
	if (len >= TOO_BIG) {
		return TOO_BIG;
	}
	return add(varint_size((uint32_t)len), len);
}

static bool
is_sub_id(uint32_t v)
{
	/* Subscription Identifier: 1..268,435,455 (MQTT 5.0 3.3.2.3.8). */
	return v != 0 && v <= MQTT_MAX_REMAINING;
}

/*
 * Where each typed property lives in struct mqtt_props. No field sits at
 * offset 0 (that is @present), so 0 marks an id without a typed field:
 * unknown ids and the User Property, which travels in @verbatim.
 */
static const uint16_t prop_field[64] = {
        [MQTT_PROP_PAYLOAD_FORMAT] =
                offsetof(struct mqtt_props, payload_format),
        [MQTT_PROP_MESSAGE_EXPIRY] =
                offsetof(struct mqtt_props, message_expiry),
        [MQTT_PROP_CONTENT_TYPE] = offsetof(struct mqtt_props, content_type),
        [MQTT_PROP_RESPONSE_TOPIC] =
                offsetof(struct mqtt_props, response_topic),
        [MQTT_PROP_CORRELATION_DATA] =
                offsetof(struct mqtt_props, correlation_data),
        [MQTT_PROP_SUBSCRIPTION_ID] =
                offsetof(struct mqtt_props, subscription_id),
        [MQTT_PROP_SESSION_EXPIRY] =
                offsetof(struct mqtt_props, session_expiry),
        [MQTT_PROP_ASSIGNED_CLIENT_ID] =
                offsetof(struct mqtt_props, assigned_client_id),
        [MQTT_PROP_SERVER_KEEP_ALIVE] =
                offsetof(struct mqtt_props, server_keep_alive),
        [MQTT_PROP_AUTH_METHOD] = offsetof(struct mqtt_props, auth_method),
        [MQTT_PROP_AUTH_DATA] = offsetof(struct mqtt_props, auth_data),
        [MQTT_PROP_REQUEST_PROBLEM_INFO] =
                offsetof(struct mqtt_props, request_problem_info),
        [MQTT_PROP_WILL_DELAY] = offsetof(struct mqtt_props, will_delay),
        [MQTT_PROP_REQUEST_RESPONSE_INFO] =
                offsetof(struct mqtt_props, request_response_info),
        [MQTT_PROP_RESPONSE_INFO] = offsetof(struct mqtt_props, response_info),
        [MQTT_PROP_SERVER_REFERENCE] =
                offsetof(struct mqtt_props, server_reference),
        [MQTT_PROP_REASON_STRING] = offsetof(struct mqtt_props, reason_string),
        [MQTT_PROP_RECEIVE_MAX] = offsetof(struct mqtt_props, receive_max),
        [MQTT_PROP_TOPIC_ALIAS_MAX] =
                offsetof(struct mqtt_props, topic_alias_max),
        [MQTT_PROP_TOPIC_ALIAS] = offsetof(struct mqtt_props, topic_alias),
        [MQTT_PROP_MAX_QOS] = offsetof(struct mqtt_props, max_qos),
        [MQTT_PROP_RETAIN_AVAILABLE] =
                offsetof(struct mqtt_props, retain_available),
        [MQTT_PROP_MAX_PACKET_SIZE] =
                offsetof(struct mqtt_props, max_packet_size),
        [MQTT_PROP_WILDCARD_SUB_AVAILABLE] =
                offsetof(struct mqtt_props, wildcard_sub_available),
        [MQTT_PROP_SUB_ID_AVAILABLE] =
                offsetof(struct mqtt_props, sub_id_available),
        [MQTT_PROP_SHARED_SUB_AVAILABLE] =
                offsetof(struct mqtt_props, shared_sub_available),
};

/*
 * The field of property @id. The pointer is cast back to the member's own
 * type by the readers below, so no object is read through another type.
 */
static const void *
prop_ptr(const struct mqtt_props *p, uint8_t id)
{
	return (const unsigned char *)p + prop_field[id];
}

/* The numeric value of property @id, read as its table type says. */
static uint32_t
prop_num(const struct mqtt_props *p, uint8_t id, enum prop_kind k)
{
	switch (k) {
	case PROP_BYTE:
		return *(const uint8_t *)prop_ptr(p, id);
	case PROP_U16:
		return *(const uint16_t *)prop_ptr(p, id);
	default:
		return *(const uint32_t *)prop_ptr(p, id);
	}
}

static struct span
prop_span(const struct mqtt_props *p, uint8_t id)
{
	return *(const struct span *)prop_ptr(p, id);
}

/*
 * Bytes of one typed property entry, identifier included. @id is one that
 * proptab_allowed() accepts, other than the User Property: it has a typed
 * field.
 */
static size_t
prop_entry_size(const struct mqtt_props *p, uint8_t id)
{
	enum prop_kind k = proptab_kind(id);
	uint32_t v;

	assert(prop_field[id] != 0);
	/* Every identifier is below 128: a one-byte Variable Byte Integer. */
	switch (k) {
	case PROP_BYTE:
		return 2;
	case PROP_U16:
		return 3;
	case PROP_U32:
		return 5;
	case PROP_VARINT:
		v = prop_num(p, id, k);
		return is_sub_id(v) ? 1 + varint_size(v) : TOO_BIG;
	default: /* PROP_UTF8, PROP_BIN */
		return add(1, str_size(prop_span(p, id)));
	}
}

/* The typed properties to write: @present less the User Property bit. */
static uint64_t
typed_bits(const struct mqtt_props *p)
{
	return p->present & ~MQTT_PROP_BIT(MQTT_PROP_USER_PROPERTY);
}

/*
 * Length of the property block of @p (without its own length) in the
 * packet @where (an enum mqtt_type or PROP_IN_WILL). TOO_BIG when it
 * cannot be encoded: a property not allowed there, an unknown bit in
 * @present, a subscription identifier out of range, an oversized string.
 */
static size_t
props_len(const struct mqtt_props *p, unsigned where)
{
	uint64_t bits = typed_bits(p);
	size_t n = add(0, p->verbatim.len);

	for (uint8_t id = 0; id < 64 && n < TOO_BIG; id++) {
		if ((bits & MQTT_PROP_BIT(id)) == 0) {
			continue;
		}
		if (!proptab_allowed(id, where)) {
			return TOO_BIG;
		}
		n = add(n, prop_entry_size(p, id));
	}
	if (p->n_sub_ids != 0 &&
	    !proptab_allowed(MQTT_PROP_SUBSCRIPTION_ID, where)) {
		return TOO_BIG;
	}
	for (size_t i = 0; i < p->n_sub_ids && n < TOO_BIG; i++) {
		if (!is_sub_id(p->sub_ids[i])) {
			return TOO_BIG;
		}
		n = add(n, 1 + varint_size(p->sub_ids[i]));
	}
	return n;
}

/* The whole property block (length + entries); nothing before MQTT 5. */
static size_t
props_size(const struct mqtt_props *p, unsigned where, enum mqtt_ver ver)
{
	if (ver != MQTT_V5) {
		return 0;
	}
	return block_size(props_len(p, where));
}

static void
prop_put(struct wr *w, const struct mqtt_props *p, uint8_t id)
{
	enum prop_kind k = proptab_kind(id);
	uint32_t v = 0;

	wr_u8(w, id);
	if (k == PROP_UTF8 || k == PROP_BIN) {
		wr_bin(w, prop_span(p, id));
		return;
	}
	v = prop_num(p, id, k);
	switch (k) {
	case PROP_BYTE:
		wr_u8(w, (uint8_t)v);
		break;
	case PROP_U16:
		wr_u16(w, (uint16_t)v);
		break;
	case PROP_U32:
		wr_u32(w, v);
		break;
	default:
		wr_varint(w, v);
		break;
	}
}

/*
 * Write a property block of content length @len (from props_len()):
 * typed properties in identifier order, then @verbatim, then one
 * Subscription Identifier per entry of @sub_ids.
 */
static void
props_put_len(struct wr *w, const struct mqtt_props *p, size_t len)
{
	uint64_t bits = typed_bits(p);
	size_t start;

	assert(len < TOO_BIG);
	wr_varint(w, (uint32_t)len);
	start = w->pos;
	for (uint8_t id = 0; id < 64; id++) {
		if ((bits & MQTT_PROP_BIT(id)) != 0) {
			prop_put(w, p, id);
		}
	}
	wr_bytes(w, p->verbatim);
	for (size_t i = 0; i < p->n_sub_ids; i++) {
		wr_u8(w, MQTT_PROP_SUBSCRIPTION_ID);
		wr_varint(w, p->sub_ids[i]);
	}
	assert(w->pos - start == len);
	(void)start; /* read only by the assert */
}

static void
props_put(struct wr *w, const struct mqtt_props *p, unsigned where,
          enum mqtt_ver ver)
{
	if (ver == MQTT_V5) {
		props_put_len(w, p, props_len(p, where));
	}
}

/* CONNECT: MQTT 3.1 section 3.1, 3.1.1 and 5.0 section 3.1. */

static struct span
proto_name(enum mqtt_ver ver)
{
	/* 3.1 says "MQIsdp"; 3.1.1 and 5 say "MQTT" [MQTT-3.1.2-1]. */
	return ver == MQTT_V31 ? span_make("MQIsdp", 6) : span_make("MQTT", 4);
}

static uint8_t
connect_flags(const struct mqtt_connect *c)
{
	unsigned f = c->clean ? CF_CLEAN : 0;

	/* Without a will, Will QoS and Will Retain stay 0 (3.1.2.6/7). */
	if (c->has_will) {
		f |= CF_WILL | (unsigned)c->will.qos << 3;
		f |= c->will.retain ? CF_WILL_RETAIN : 0;
	}
	f |= c->has_username ? CF_USERNAME : 0;
	f |= c->has_password ? CF_PASSWORD : 0;
	return (uint8_t)f;
}

static size_t
connect_body(const struct mqtt_packet *p, enum mqtt_ver ver)
{
	const struct mqtt_connect *c = &p->u.connect;
	/* Protocol name, level, flags, keep alive. */
	size_t n = str_size(proto_name(ver)) + 4;

	n = add(n, props_size(&c->props, MQTT_CONNECT, ver));
	n = add(n, str_size(c->client_id));
	if (c->has_will) {
		if (c->will.qos > 2) {
			return TOO_BIG;
		}
		n = add(n, props_size(&c->will.props, PROP_IN_WILL, ver));
		n = add(n, str_size(c->will.topic));
		n = add(n, str_size(c->will.payload));
	}
	if (c->has_username) {
		n = add(n, str_size(c->username));
	}
	if (c->has_password) {
		n = add(n, str_size(c->password));
	}
	return n;
}

static void
connect_put(struct wr *w, const struct mqtt_packet *p, enum mqtt_ver ver)
{
	const struct mqtt_connect *c = &p->u.connect;

	wr_bin(w, proto_name(ver));
	wr_u8(w, (uint8_t)ver);
	wr_u8(w, connect_flags(c));
	wr_u16(w, c->keepalive);
	props_put(w, &c->props, MQTT_CONNECT, ver);
	wr_bin(w, c->client_id);
	if (c->has_will) {
		props_put(w, &c->will.props, PROP_IN_WILL, ver);
		wr_bin(w, c->will.topic);
		wr_bin(w, c->will.payload);
	}
	if (c->has_username) {
		wr_bin(w, c->username);
	}
	if (c->has_password) {
		wr_bin(w, c->password);
	}
}

/* CONNACK: acknowledge flags, return / reason code, v5 properties. */

static size_t
connack_body(const struct mqtt_packet *p, enum mqtt_ver ver)
{
	return add(2, props_size(&p->u.connack.props, MQTT_CONNACK, ver));
}

static void
connack_put(struct wr *w, const struct mqtt_packet *p, enum mqtt_ver ver)
{
	const struct mqtt_connack *a = &p->u.connack;

	/* 3.1 has no Session Present flag: the whole byte is reserved. */
	wr_u8(w, ver != MQTT_V31 && a->session_present ? 1 : 0);
	wr_u8(w, a->rc);
	props_put(w, &a->props, MQTT_CONNACK, ver);
}

/* PUBLISH: topic, packet id when QoS > 0, v5 properties, payload. */

static uint8_t
publish_flags(const struct mqtt_publish *pub)
{
	unsigned f = (unsigned)pub->qos << 1;

	/* [MQTT-3.3.1-2] DUP is 0 in every QoS 0 message. */
	if (pub->dup && pub->qos > 0) {
		f |= 0x08;
	}
	if (pub->retain) {
		f |= 0x01;
	}
	return (uint8_t)f;
}

/* Remaining Length less the payload bytes. */
static size_t
publish_head_body(const struct mqtt_publish *pub, enum mqtt_ver ver)
{
	size_t n;

	/* [MQTT-3.3.1-4] QoS 3 would make a malformed packet. */
	if (pub->qos > 2) {
		return TOO_BIG;
	}
	n = str_size(pub->topic);
	if (pub->qos > 0) {
		n = add(n, 2);
	}
	return add(n, props_size(&pub->props, MQTT_PUBLISH, ver));
}

static void
publish_head_put(struct wr *w, const struct mqtt_publish *pub,
                 enum mqtt_ver ver)
{
	wr_bin(w, pub->topic);
	/* [MQTT-2.2.1-2] No Packet Identifier at QoS 0. */
	if (pub->qos > 0) {
		wr_u16(w, pub->pid);
	}
	props_put(w, &pub->props, MQTT_PUBLISH, ver);
}

static size_t
publish_body(const struct mqtt_packet *p, enum mqtt_ver ver)
{
	const struct mqtt_publish *pub = &p->u.publish;

	return add(publish_head_body(pub, ver), pub->payload.len);
}

static void
publish_put(struct wr *w, const struct mqtt_packet *p, enum mqtt_ver ver)
{
	publish_head_put(w, &p->u.publish, ver);
	wr_bytes(w, p->u.publish.payload);
}

/*
 * PUBACK, PUBREC, PUBREL, PUBCOMP. In MQTT 5 the shortest form is used:
 * the Property Length is left out when there are no properties, and the
 * Reason Code too when it is Success (MQTT 5.0 3.4.2.1, 3.4.2.2.1).
 */

static size_t
ack_body(const struct mqtt_packet *p, enum mqtt_ver ver)
{
	const struct mqtt_ack *a = &p->u.ack;
	size_t len;

	if (ver != MQTT_V5) {
		return 2;
	}
	len = props_len(&a->props, p->type);
	if (len == 0) {
		return a->rc == 0 ? 2 : 3;
	}
	return add(3, block_size(len));
}

static void
ack_put(struct wr *w, const struct mqtt_packet *p, enum mqtt_ver ver)
{
	const struct mqtt_ack *a = &p->u.ack;
	size_t len;

	wr_u16(w, a->pid);
	if (ver != MQTT_V5) {
		return;
	}
	len = props_len(&a->props, p->type);
	if (len == 0 && a->rc == 0) {
		return;
	}
	wr_u8(w, a->rc);
	if (len != 0) {
		props_put_len(w, &a->props, len);
	}
}

/* SUBSCRIBE: packet id, v5 properties, (filter, options) entries. */

static size_t
subscribe_body(const struct mqtt_packet *p, enum mqtt_ver ver)
{
	const struct mqtt_subscribe *s = &p->u.subscribe;
	size_t n = add(2, props_size(&s->props, MQTT_SUBSCRIBE, ver));

	for (size_t i = 0; i < s->count && n < TOO_BIG; i++) {
		const struct mqtt_sub_entry *e = &s->entries[i];

		/* QoS 3 and Retain Handling 3 are malformed / a protocol
		 * error (3.8.3.1): not encodable. */
		if (e->qos > 2 || (ver == MQTT_V5 && e->retain_handling > 2)) {
			return TOO_BIG;
		}
		n = add(n, add(str_size(e->filter), 1));
	}
	return n;
}

static uint8_t
sub_options(const struct mqtt_sub_entry *e, enum mqtt_ver ver)
{
	unsigned o = e->qos;

	/* The other options exist only in MQTT 5 (3.8.3.1). */
	if (ver == MQTT_V5) {
		o |= e->no_local ? 0x04u : 0;
		o |= e->retain_as_published ? 0x08u : 0;
		o |= (unsigned)e->retain_handling << 4;
	}
	return (uint8_t)o;
}

static void
subscribe_put(struct wr *w, const struct mqtt_packet *p, enum mqtt_ver ver)
{
	const struct mqtt_subscribe *s = &p->u.subscribe;

	wr_u16(w, s->pid);
	props_put(w, &s->props, MQTT_SUBSCRIBE, ver);
	for (size_t i = 0; i < s->count; i++) {
		wr_bin(w, s->entries[i].filter);
		wr_u8(w, sub_options(&s->entries[i], ver));
	}
}

/* SUBACK: packet id, v5 properties, one return / reason code a filter. */

static size_t
suback_body(const struct mqtt_packet *p, enum mqtt_ver ver)
{
	const struct mqtt_suback *s = &p->u.suback;

	return add(add(2, props_size(&s->props, p->type, ver)), s->rcs.len);
}

static void
suback_put(struct wr *w, const struct mqtt_packet *p, enum mqtt_ver ver)
{
	const struct mqtt_suback *s = &p->u.suback;

	wr_u16(w, s->pid);
	props_put(w, &s->props, p->type, ver);
	wr_bytes(w, s->rcs);
}

/* UNSUBSCRIBE: packet id, v5 properties, filters. */

static size_t
unsubscribe_body(const struct mqtt_packet *p, enum mqtt_ver ver)
{
	const struct mqtt_unsubscribe *u = &p->u.unsubscribe;
	size_t n = add(2, props_size(&u->props, MQTT_UNSUBSCRIBE, ver));

	for (size_t i = 0; i < u->count && n < TOO_BIG; i++) {
		n = add(n, str_size(u->filters[i]));
	}
	return n;
}

static void
unsubscribe_put(struct wr *w, const struct mqtt_packet *p, enum mqtt_ver ver)
{
	const struct mqtt_unsubscribe *u = &p->u.unsubscribe;

	wr_u16(w, u->pid);
	props_put(w, &u->props, MQTT_UNSUBSCRIBE, ver);
	for (size_t i = 0; i < u->count; i++) {
		wr_bin(w, u->filters[i]);
	}
}

/*
 * UNSUBACK: 3.x has only the packet id; MQTT 5 is shaped like SUBACK.
 * The packet id is read from u.suback; u.ack.pid is the same storage
 * (the structs' common initial member), so either way of filling in a
 * 3.x UNSUBACK works.
 */

static size_t
unsuback_body(const struct mqtt_packet *p, enum mqtt_ver ver)
{
	return ver == MQTT_V5 ? suback_body(p, ver) : 2;
}

static void
unsuback_put(struct wr *w, const struct mqtt_packet *p, enum mqtt_ver ver)
{
	if (ver == MQTT_V5) {
		suback_put(w, p, ver);
	} else {
		wr_u16(w, p->u.suback.pid);
	}
}

/* PINGREQ and PINGRESP: no body. */

static size_t
empty_body(const struct mqtt_packet *p, enum mqtt_ver ver)
{
	(void)p; /* nothing to read: the fixed header is the packet */
	(void)ver;
	return 0;
}

static void
empty_put(struct wr *w, const struct mqtt_packet *p, enum mqtt_ver ver)
{
	(void)w; /* nothing to write after the fixed header */
	(void)p;
	(void)ver;
}

/*
 * DISCONNECT and AUTH. 3.x DISCONNECT is empty; AUTH is MQTT 5 only. In
 * MQTT 5 both drop the Reason Code and Property Length when the code is
 * Success and there are no properties (3.14.2.1, 3.15.2.1). DISCONNECT
 * may also end after the Reason Code (3.14.2.2.1: "If the Remaining
 * Length is less than 2, a value of 0 is used"); AUTH has no such
 * sentence, so it keeps a zero Property Length after a Reason Code.
 */

static size_t
disconnect_body(const struct mqtt_packet *p, enum mqtt_ver ver)
{
	const struct mqtt_disconnect *d = &p->u.disconnect;
	size_t len;

	if (ver != MQTT_V5) {
		return p->type == MQTT_DISCONNECT ? 0 : TOO_BIG;
	}
	len = props_len(&d->props, p->type);
	if (len == 0 && d->rc == 0) {
		return 0;
	}
	if (len == 0 && p->type == MQTT_DISCONNECT) {
		return 1;
	}
	return add(1, block_size(len));
}

static void
disconnect_put(struct wr *w, const struct mqtt_packet *p, enum mqtt_ver ver)
{
	const struct mqtt_disconnect *d = &p->u.disconnect;
	size_t len;

	if (ver != MQTT_V5) {
		return;
	}
	len = props_len(&d->props, p->type);
	if (len == 0 && d->rc == 0) {
		return;
	}
	wr_u8(w, d->rc);
	if (len != 0 || p->type == MQTT_AUTH) {
		props_put_len(w, &d->props, len);
	}
}

struct enc_ops {
	body_fn *body;
	put_fn *put;
	uint8_t flags; /* low nibble of the first byte; PUBLISH computes it */
};

/*
 * [MQTT-3.6.1-1] [MQTT-3.8.1-1] [MQTT-3.10.1-1] PUBREL, SUBSCRIBE and
 * UNSUBSCRIBE carry the reserved flags 0010; all others 0000.
 */
static const struct enc_ops enc_ops[16] = {
        [MQTT_CONNECT] = {connect_body, connect_put, 0},
        [MQTT_CONNACK] = {connack_body, connack_put, 0},
        [MQTT_PUBLISH] = {publish_body, publish_put, 0},
        [MQTT_PUBACK] = {ack_body, ack_put, 0},
        [MQTT_PUBREC] = {ack_body, ack_put, 0},
        [MQTT_PUBREL] = {ack_body, ack_put, 2},
        [MQTT_PUBCOMP] = {ack_body, ack_put, 0},
        [MQTT_SUBSCRIBE] = {subscribe_body, subscribe_put, 2},
        [MQTT_SUBACK] = {suback_body, suback_put, 0},
        [MQTT_UNSUBSCRIBE] = {unsubscribe_body, unsubscribe_put, 2},
        [MQTT_UNSUBACK] = {unsuback_body, unsuback_put, 0},
        [MQTT_PINGREQ] = {empty_body, empty_put, 0},
        [MQTT_PINGRESP] = {empty_body, empty_put, 0},
        [MQTT_DISCONNECT] = {disconnect_body, disconnect_put, 0},
        [MQTT_AUTH] = {disconnect_body, disconnect_put, 0},
};

static bool
is_ver(enum mqtt_ver ver)
{
	return ver == MQTT_V31 || ver == MQTT_V311 || ver == MQTT_V5;
}

/* Remaining Length of @p, or TOO_BIG if it cannot be encoded. */
static size_t
packet_body(const struct mqtt_packet *p, enum mqtt_ver ver)
{
	if (!is_ver(ver) || p->type >= 16 || enc_ops[p->type].body == NULL) {
		return TOO_BIG;
	}
	return enc_ops[p->type].body(p, ver);
}

/* Fixed header byte, Remaining Length bytes, body. */
static size_t
packet_size(size_t body)
{
	if (body >= TOO_BIG) {
		return 0;
	}
	return 1 + varint_size((uint32_t)body) + body;
}

static void
fixed_put(struct wr *w, uint8_t type, uint8_t flags, size_t body)
{
	assert(body < TOO_BIG);
	wr_u8(w, (uint8_t)(type << 4 | flags));
	wr_varint(w, (uint32_t)body);
}

size_t
codec_size(const struct mqtt_packet *p, enum mqtt_ver ver)
{
	return packet_size(packet_body(p, ver));
}

/*
 * Writes exactly codec_size() bytes, so nothing at all for a packet that
 * cannot be encoded: a caller that ignored a 0 size still cannot overrun.
 */
void
codec_write(struct wr *out, const struct mqtt_packet *p, enum mqtt_ver ver)
{
	size_t body = packet_body(p, ver);
	size_t start = out->pos;
	uint8_t flags;

	/* codec_size() is 0 for this packet: write those 0 bytes. */
	if (body >= TOO_BIG) {
		return;
	}
	flags = p->type == MQTT_PUBLISH ? publish_flags(&p->u.publish)
	                                : enc_ops[p->type].flags;
	fixed_put(out, p->type, flags, body);
	enc_ops[p->type].put(out, p, ver);
	assert(out->pos - start == packet_size(body));
	(void)start; /* read only by the assert */
}

size_t
codec_publish_head_size(const struct mqtt_publish *p, enum mqtt_ver ver)
{
	size_t head;
	size_t body;

	if (!is_ver(ver)) {
		return 0;
	}
	head = publish_head_body(p, ver);
	body = add(head, p->payload.len);
	if (body >= TOO_BIG) {
		return 0;
	}
	return 1 + varint_size((uint32_t)body) + head;
}

/* As codec_write(): nothing for a head that cannot be encoded. */
void
codec_write_publish_head(struct wr *out, const struct mqtt_publish *p,
                         enum mqtt_ver ver)
{
	size_t body;

	/* codec_publish_head_size() is 0: write those 0 bytes. */
	if (codec_publish_head_size(p, ver) == 0) {
		return;
	}
	body = add(publish_head_body(p, ver), p->payload.len);
	fixed_put(out, MQTT_PUBLISH, publish_flags(p), body);
	publish_head_put(out, p, ver);
}
