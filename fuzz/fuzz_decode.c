/*
 * fuzz_decode.c - codec_decode() over a stream of packets, and a
 * differential round trip through the encoder.
 *
 * Input: the first byte picks the connection's protocol level (3, 4 or 5
 * for byte % 3 == 0, 1, 2); the rest is a byte stream cut into packets by
 * codec_frame(). A successful CONNECT switches the level to its own, as a
 * connection does. For every packet decoded:
 *   - a failure is one of the documented errors and leaves *out untouched;
 *   - every span points into the packet body, and the leading fields of
 *     each type agree with the bytes read directly;
 *   - the SUBSCRIBE / UNSUBSCRIBE iterators yield exactly @count entries,
 *     and the property block walks cleanly (fuzz_props_walk());
 *   - the packet re-encodes (codec_size() is not 0), the encoding frames
 *     and decodes to the same fields, and encoding that decode again
 *     gives the same bytes (the encoder's output is a fixed point);
 *   - for PUBLISH, codec_write_publish_head() writes the prefix of the
 *     full encoding.
 * Any difference is a bug in the codec: abort().
 */
#include <string.h>

#include "codec/proptab.h"
#include "fuzz_mqtt.h"

/* The property block of @p's type, or NULL for PINGREQ / PINGRESP. */
static struct mqtt_props *
packet_props(struct mqtt_packet *p)
{
	switch (p->type) {
	case MQTT_CONNECT:
		return &p->u.connect.props;
	case MQTT_CONNACK:
		return &p->u.connack.props;
	case MQTT_PUBLISH:
		return &p->u.publish.props;
	case MQTT_PUBACK:
	case MQTT_PUBREC:
	case MQTT_PUBREL:
	case MQTT_PUBCOMP:
		return &p->u.ack.props;
	case MQTT_SUBSCRIBE:
		return &p->u.subscribe.props;
	case MQTT_SUBACK:
	case MQTT_UNSUBACK:
		return &p->u.suback.props;
	case MQTT_UNSUBSCRIBE:
		return &p->u.unsubscribe.props;
	case MQTT_DISCONNECT:
	case MQTT_AUTH:
		return &p->u.disconnect.props;
	default:
		return NULL;
	}
}

/* @s lies inside @body (an empty span anywhere, or nowhere, is fine). */
static bool
in_body(struct span s, struct span body)
{
	return s.len == 0 ||
	       (s.p >= body.p && (size_t)(s.p - body.p) <= body.len &&
	        s.len <= body.len - (size_t)(s.p - body.p));
}

static void
check_spans(const struct mqtt_packet *p, struct span body)
{
	struct mqtt_packet q = *p;
	const struct mqtt_connect *c = &p->u.connect;
	const struct mqtt_props *props = packet_props(&q);

	FUZZ_CHECK(props == NULL || in_body(props->raw, body));
	if (p->type == MQTT_CONNECT) {
		FUZZ_CHECK(in_body(c->proto_name, body) &&
		           in_body(c->client_id, body) &&
		           in_body(c->will.topic, body) &&
		           in_body(c->will.payload, body) &&
		           in_body(c->will.props.raw, body) &&
		           in_body(c->username, body) &&
		           in_body(c->password, body));
	} else if (p->type == MQTT_PUBLISH) {
		FUZZ_CHECK(in_body(p->u.publish.topic, body) &&
		           in_body(p->u.publish.payload, body));
	} else if (p->type == MQTT_SUBSCRIBE) {
		FUZZ_CHECK(in_body(p->u.subscribe.payload, body));
	} else if (p->type == MQTT_UNSUBSCRIBE) {
		FUZZ_CHECK(in_body(p->u.unsubscribe.payload, body));
	} else if (p->type == MQTT_SUBACK || p->type == MQTT_UNSUBACK) {
		FUZZ_CHECK(in_body(p->u.suback.rcs, body));
	}
}

/*
 * The leading fields of each packet read straight from the bytes: a
 * second opinion on the decoder, which the round trip alone cannot give
 * (a decoder and an encoder that agree on a wrong value pass it).
 */

static uint16_t
be16(struct span b, size_t at)
{
	FUZZ_CHECK(at <= b.len && b.len - at >= 2);
	return (uint16_t)((unsigned)b.p[at] << 8 | b.p[at + 1]);
}

/* Non-empty @s is the last thing in @body. */
static bool
ends_body(struct span s, struct span body)
{
	return s.len == 0 || s.p + s.len == body.p + body.len;
}

/* The last field a CONNECT has, which must end its body. */
static struct span
connect_last(const struct mqtt_connect *c)
{
	if (c->has_password) {
		return c->password;
	}
	if (c->has_username) {
		return c->username;
	}
	return c->has_will ? c->will.payload : c->client_id;
}

static void
wire_connect(const struct mqtt_connect *c, struct span body)
{
	size_t at = 2 + (size_t)be16(body, 0); /* past the protocol name */
	uint8_t cf;

	FUZZ_CHECK(body.len >= at + 4 && body.p[at] == (uint8_t)c->ver);
	cf = body.p[at + 1];
	FUZZ_CHECK(c->clean == ((cf & 0x02) != 0) &&
	           c->has_will == ((cf & 0x04) != 0) &&
	           c->will.qos == ((cf >> 3) & 3) &&
	           c->will.retain == ((cf & 0x20) != 0) &&
	           c->has_password == ((cf & 0x40) != 0) &&
	           c->has_username == ((cf & 0x80) != 0));
	FUZZ_CHECK(c->keepalive == be16(body, at + 2));
	/* Before 5 the client id follows at once (no properties). */
	FUZZ_CHECK(c->ver == MQTT_V5 || c->client_id.len == be16(body, at + 4));
	FUZZ_CHECK(ends_body(connect_last(c), body));
}

static void
wire_publish(const struct mqtt_publish *p, enum mqtt_ver ver, uint8_t flags,
             struct span body)
{
	size_t topic_len = be16(body, 0);
	size_t head = 2 + topic_len + (p->qos > 0 ? 2 : 0);

	FUZZ_CHECK(p->qos == ((flags >> 1) & 3) &&
	           p->dup == ((flags & 0x08) != 0) &&
	           p->retain == ((flags & 0x01) != 0));
	FUZZ_CHECK(p->topic.len == topic_len &&
	           (topic_len == 0 || p->topic.p == body.p + 2));
	FUZZ_CHECK(p->qos == 0 || p->pid == be16(body, 2 + topic_len));
	FUZZ_CHECK(ends_body(p->payload, body));
	FUZZ_CHECK(ver == MQTT_V5 || p->payload.len == body.len - head);
}

/* The optional reason code of MQTT 5 acks, DISCONNECT and AUTH. */
static uint8_t
wire_rc(struct span body, size_t at, enum mqtt_ver ver)
{
	return ver == MQTT_V5 && body.len > at ? body.p[at] : 0;
}

static void
wire_fields(const struct mqtt_packet *p, enum mqtt_ver ver, uint8_t flags,
            struct span body)
{
	switch (p->type) {
	case MQTT_CONNECT:
		wire_connect(&p->u.connect, body);
		break;
	case MQTT_CONNACK:
		FUZZ_CHECK(p->u.connack.session_present == (body.p[0] & 1) &&
		           p->u.connack.rc == body.p[1]);
		break;
	case MQTT_PUBLISH:
		wire_publish(&p->u.publish, ver, flags, body);
		break;
	case MQTT_PUBACK:
	case MQTT_PUBREC:
	case MQTT_PUBREL:
	case MQTT_PUBCOMP:
		FUZZ_CHECK(p->u.ack.pid == be16(body, 0) &&
		           p->u.ack.rc == wire_rc(body, 2, ver));
		break;
	case MQTT_SUBSCRIBE:
	case MQTT_UNSUBSCRIBE:
	case MQTT_SUBACK:
	case MQTT_UNSUBACK:
		/* The packet identifier is the first member of all four. */
		FUZZ_CHECK(p->u.subscribe.pid == be16(body, 0));
		break;
	case MQTT_DISCONNECT:
	case MQTT_AUTH:
		FUZZ_CHECK(p->u.disconnect.rc == wire_rc(body, 0, ver));
		break;
	default:
		FUZZ_CHECK(body.len == 0);
		break;
	}
}

/* Where the entries of SUBSCRIBE, UNSUBSCRIBE and the codes of SUBACK and
 * UNSUBACK sit: at the end of the body, right after the packet id before
 * MQTT 5 (no properties). */
static void
wire_tail(const struct mqtt_packet *p, enum mqtt_ver ver, struct span body)
{
	struct span tail;

	if (p->type == MQTT_SUBSCRIBE) {
		tail = p->u.subscribe.payload;
	} else if (p->type == MQTT_UNSUBSCRIBE) {
		tail = p->u.unsubscribe.payload;
	} else if (p->type == MQTT_SUBACK ||
	           (p->type == MQTT_UNSUBACK && ver == MQTT_V5)) {
		tail = p->u.suback.rcs;
	} else {
		FUZZ_CHECK(p->type != MQTT_UNSUBACK || body.len == 2);
		return;
	}
	FUZZ_CHECK(tail.len != 0 && ends_body(tail, body));
	FUZZ_CHECK(ver == MQTT_V5 || tail.len == body.len - 2);
}

/* Each SUBSCRIBE entry as codec_sub_next() gives it, against its bytes. */
static void
wire_sub_entries(const struct mqtt_subscribe *s, enum mqtt_ver ver)
{
	struct rd r = rd_make(s->payload);
	struct mqtt_sub_entry e;
	size_t at = 0;

	while (codec_sub_next(&r, ver, &e)) {
		size_t len = be16(s->payload, at);
		uint8_t o;

		FUZZ_CHECK(s->payload.len - at >= 3 + len);
		o = s->payload.p[at + 2 + len];
		FUZZ_CHECK(e.filter.len == len &&
		           (len == 0 || e.filter.p == s->payload.p + at + 2));
		FUZZ_CHECK(e.qos == (o & 3));
		FUZZ_CHECK(ver != MQTT_V5 ||
		           (e.no_local == ((o & 0x04) != 0) &&
		            e.retain_as_published == ((o & 0x08) != 0) &&
		            e.retain_handling == ((o >> 4) & 3)));
		at += 3 + len;
	}
	FUZZ_CHECK(at == s->payload.len);
}

/* The entries of a decoded SUBSCRIBE, in a block of @a; NULL if none. */
static struct mqtt_sub_entry *
sub_entries(const struct mqtt_subscribe *s, enum mqtt_ver ver,
            struct fuzz_arena *a)
{
	struct mqtt_sub_entry *v = fuzz_alloc(a, (s->count + 1) * sizeof *v);
	struct rd r = rd_make(s->payload);
	size_t n = 0;

	while (n <= s->count && codec_sub_next(&r, ver, &v[n])) {
		FUZZ_CHECK(v[n].qos <= 2 && v[n].retain_handling <= 2);
		FUZZ_CHECK(ver == MQTT_V5 ||
		           (!v[n].no_local && !v[n].retain_as_published &&
		            v[n].retain_handling == 0));
		n++;
	}
	FUZZ_CHECK(n == s->count && rd_left(&r) == 0);
	return v;
}

/* The filters of a decoded UNSUBSCRIBE, in a block of @a. */
static struct span *
unsub_filters(const struct mqtt_unsubscribe *u, struct fuzz_arena *a)
{
	struct span *v = fuzz_alloc(a, (u->count + 1) * sizeof *v);
	struct rd r = rd_make(u->payload);
	size_t n = 0;

	while (n <= u->count && codec_unsub_next(&r, &v[n])) {
		n++;
	}
	FUZZ_CHECK(n == u->count && rd_left(&r) == 0);
	return v;
}

/* @p (decoded) as a packet the encoder takes; storage in @a. */
static struct mqtt_packet
encodable(const struct mqtt_packet *p, enum mqtt_ver ver, struct fuzz_arena *a)
{
	struct mqtt_packet q = *p;
	struct mqtt_props *props = packet_props(&q);

	if (props != NULL) {
		*props = fuzz_props_encodable(props, a);
	}
	if (q.type == MQTT_CONNECT && q.u.connect.has_will) {
		q.u.connect.will.props =
		        fuzz_props_encodable(&q.u.connect.will.props, a);
	}
	if (q.type == MQTT_SUBSCRIBE) {
		q.u.subscribe.entries = sub_entries(&q.u.subscribe, ver, a);
	}
	if (q.type == MQTT_UNSUBSCRIBE) {
		q.u.unsubscribe.filters = unsub_filters(&q.u.unsubscribe, a);
	}
	return q;
}

/* Both decodes of a CONNECT carry the same fields. */
static void
same_connect(const struct mqtt_connect *a, const struct mqtt_connect *b)
{
	FUZZ_CHECK(a->ver == b->ver && span_eq(a->proto_name, b->proto_name));
	FUZZ_CHECK(a->clean == b->clean && a->keepalive == b->keepalive);
	FUZZ_CHECK(span_eq(a->client_id, b->client_id));
	FUZZ_CHECK(a->has_will == b->has_will);
	FUZZ_CHECK(span_eq(a->will.topic, b->will.topic) &&
	           span_eq(a->will.payload, b->will.payload) &&
	           a->will.qos == b->will.qos &&
	           a->will.retain == b->will.retain);
	fuzz_props_same(&a->will.props, &b->will.props);
	FUZZ_CHECK(a->has_username == b->has_username &&
	           a->has_password == b->has_password);
	FUZZ_CHECK(span_eq(a->username, b->username) &&
	           span_eq(a->password, b->password));
}

static void
same_publish(const struct mqtt_publish *a, const struct mqtt_publish *b)
{
	FUZZ_CHECK(a->qos == b->qos && a->dup == b->dup &&
	           a->retain == b->retain && a->pid == b->pid);
	FUZZ_CHECK(span_eq(a->topic, b->topic));
	FUZZ_CHECK(span_eq(a->payload, b->payload));
}

static void
same_subscribe(const struct mqtt_subscribe *a, const struct mqtt_subscribe *b,
               enum mqtt_ver ver)
{
	struct rd ra = rd_make(a->payload), rb = rd_make(b->payload);
	struct mqtt_sub_entry ea, eb;

	FUZZ_CHECK(a->pid == b->pid && a->count == b->count);
	while (codec_sub_next(&ra, ver, &ea)) {
		FUZZ_CHECK(codec_sub_next(&rb, ver, &eb));
		FUZZ_CHECK(span_eq(ea.filter, eb.filter) && ea.qos == eb.qos &&
		           ea.no_local == eb.no_local &&
		           ea.retain_as_published == eb.retain_as_published &&
		           ea.retain_handling == eb.retain_handling);
	}
	FUZZ_CHECK(rd_left(&rb) == 0);
}

static void
same_unsubscribe(const struct mqtt_unsubscribe *a,
                 const struct mqtt_unsubscribe *b)
{
	struct rd ra = rd_make(a->payload), rb = rd_make(b->payload);
	struct span fa, fb;

	FUZZ_CHECK(a->pid == b->pid && a->count == b->count);
	while (codec_unsub_next(&ra, &fa)) {
		FUZZ_CHECK(codec_unsub_next(&rb, &fb) && span_eq(fa, fb));
	}
	FUZZ_CHECK(rd_left(&rb) == 0);
}

/* The fields of each type that are not properties. */
static void
same_fields(const struct mqtt_packet *a, const struct mqtt_packet *b,
            enum mqtt_ver ver)
{
	switch (a->type) {
	case MQTT_CONNECT:
		same_connect(&a->u.connect, &b->u.connect);
		break;
	case MQTT_CONNACK:
		/* 3.1 has no Session Present: the encoder writes 0 there,
		 * whatever the decoder accepted. */
		FUZZ_CHECK(a->u.connack.rc == b->u.connack.rc &&
		           (ver == MQTT_V31 ||
		            a->u.connack.session_present ==
		                    b->u.connack.session_present));
		break;
	case MQTT_PUBLISH:
		same_publish(&a->u.publish, &b->u.publish);
		break;
	case MQTT_PUBACK:
	case MQTT_PUBREC:
	case MQTT_PUBREL:
	case MQTT_PUBCOMP:
		FUZZ_CHECK(a->u.ack.pid == b->u.ack.pid &&
		           a->u.ack.rc == b->u.ack.rc);
		break;
	case MQTT_SUBSCRIBE:
		same_subscribe(&a->u.subscribe, &b->u.subscribe, ver);
		break;
	case MQTT_SUBACK:
	case MQTT_UNSUBACK:
		FUZZ_CHECK(a->u.suback.pid == b->u.suback.pid &&
		           span_eq(a->u.suback.rcs, b->u.suback.rcs));
		break;
	case MQTT_UNSUBSCRIBE:
		same_unsubscribe(&a->u.unsubscribe, &b->u.unsubscribe);
		break;
	case MQTT_DISCONNECT:
	case MQTT_AUTH:
		FUZZ_CHECK(a->u.disconnect.rc == b->u.disconnect.rc);
		break;
	default: /* PINGREQ, PINGRESP: nothing but the type */
		break;
	}
}

static void
same_packet(const struct mqtt_packet *a, const struct mqtt_packet *b,
            enum mqtt_ver ver)
{
	struct mqtt_packet qa = *a, qb = *b;
	const struct mqtt_props *pa = packet_props(&qa);

	FUZZ_CHECK(a->type == b->type);
	same_fields(a, b, ver);
	if (pa != NULL) {
		fuzz_props_same(pa, packet_props(&qb));
	}
}

/* @q encoded in a block of exactly codec_size() == @n bytes of @a. */
static uint8_t *
encode(const struct mqtt_packet *q, enum mqtt_ver ver, size_t n,
       struct fuzz_arena *a)
{
	uint8_t *buf = fuzz_alloc(a, n);
	struct wr w = wr_make(buf, n);

	codec_write(&w, q, ver);
	FUZZ_CHECK(w.pos == n);
	return buf;
}

/* The head writer gives the prefix of the whole PUBLISH in @buf. */
static void
check_publish_head(const struct mqtt_publish *p, enum mqtt_ver ver,
                   const uint8_t *buf, size_t n)
{
	struct fuzz_arena a = {0};
	size_t h = codec_publish_head_size(p, ver);
	uint8_t *head = fuzz_alloc(&a, h);
	struct wr w = wr_make(head, h);

	FUZZ_CHECK(h != 0 && h + p->payload.len == n);
	codec_write_publish_head(&w, p, ver);
	FUZZ_CHECK(w.pos == h && memcmp(head, buf, h) == 0);
	fuzz_arena_free(&a);
}

/*
 * Encode @p (decoded from a packet with fixed header flags @flags), decode
 * the bytes, compare; encode the new decode and compare the bytes.
 */
static void
roundtrip(const struct mqtt_packet *p, enum mqtt_ver ver, uint8_t flags)
{
	struct fuzz_arena a = {0};
	struct mqtt_packet q = encodable(p, ver, &a);
	struct mqtt_packet r;
	struct mqtt_fixed fh;
	size_t n = codec_size(&q, ver);
	uint8_t *buf;

	/* Whatever decodes, encodes. */
	FUZZ_CHECK(n != 0);
	buf = encode(&q, ver, n, &a);
	FUZZ_CHECK(codec_frame(buf, n, NULL, &fh) == 0);
	FUZZ_CHECK(fh.hdr_len + fh.body_len == n && fh.type == p->type &&
	           fh.flags == flags);
	FUZZ_CHECK(codec_decode(&fh, span_make(buf + fh.hdr_len, fh.body_len),
	                        ver, &r) == 0);
	same_packet(p, &r, ver);
	if (p->type == MQTT_PUBLISH) {
		check_publish_head(&q.u.publish, ver, buf, n);
	}
	q = encodable(&r, ver, &a);
	FUZZ_CHECK(codec_size(&q, ver) == n);
	FUZZ_CHECK(memcmp(encode(&q, ver, n, &a), buf, n) == 0);
	fuzz_arena_free(&a);
}

/* Everything there is to check on a packet that decoded. */
static void
check_decoded(const struct mqtt_packet *p, enum mqtt_ver ver, uint8_t flags)
{
	struct mqtt_packet q = *p;
	const struct mqtt_props *props = packet_props(&q);

	if (props != NULL) {
		fuzz_props_walk(props, p->type);
		FUZZ_CHECK(ver == MQTT_V5 || props->present == 0);
	}
	if (p->type == MQTT_CONNECT && p->u.connect.has_will) {
		fuzz_props_walk(&p->u.connect.will.props, PROP_IN_WILL);
	}
	roundtrip(p, ver, flags);
}

/* A failed decode: a documented error, and *out as it was. */
static void
check_error(int err, const struct mqtt_fixed *fh, const void *out,
            const void *before, struct span body)
{
	const struct mqtt_packet *p = out;

	if (err == TERN_EVERSION) {
		FUZZ_CHECK(fh->type == MQTT_CONNECT && p->type == MQTT_CONNECT);
		FUZZ_CHECK(in_body(p->u.connect.proto_name, body));
		return;
	}
	FUZZ_CHECK(err == TERN_EMALFORMED || err == TERN_EPROTO ||
	           err == TERN_ETOPIC);
	FUZZ_CHECK(memcmp(out, before, sizeof *p) == 0);
}

/* Decode one framed packet; a CONNECT sets the level in *ver. */
static void
decode_one(const struct mqtt_fixed *fh, struct span body, enum mqtt_ver *ver)
{
	struct mqtt_packet out, before;
	int err;

	memset(&out, 0xa5, sizeof out);
	memcpy(&before, &out, sizeof out);
	err = codec_decode(fh, body, *ver, &out);
	if (err != 0) {
		check_error(err, fh, &out, &before, body);
		return;
	}
	FUZZ_CHECK(out.type == fh->type);
	check_spans(&out, body);
	if (out.type == MQTT_CONNECT) {
		*ver = out.u.connect.ver;
	}
	wire_fields(&out, *ver, fh->flags, body);
	wire_tail(&out, *ver, body);
	if (out.type == MQTT_SUBSCRIBE) {
		wire_sub_entries(&out.u.subscribe, *ver);
	}
	check_decoded(&out, *ver, fh->flags);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum mqtt_ver ver;
	size_t pos = 1;

	if (size == 0) {
		return 0;
	}
	ver = (enum mqtt_ver)(MQTT_V31 + data[0] % 3);
	while (pos < size) {
		struct mqtt_fixed fh;

		if (codec_frame(data + pos, size - pos, NULL, &fh) != 0) {
			break;
		}
		FUZZ_CHECK(fh.hdr_len >= 2 && fh.hdr_len <= 5 &&
		           fh.hdr_len + fh.body_len <= size - pos);
		decode_one(&fh, span_make(data + pos + fh.hdr_len, fh.body_len),
		           &ver);
		pos += fh.hdr_len + fh.body_len;
	}
	return 0;
}
