/*
 * fuzz_props.c - the MQTT 5 property block validator (codec/props.h) for
 * every place a block can sit: the will and each packet type 1..15.
 *
 * Input: a property block, Property Length first, as it appears in a
 * packet. For each place it goes through props_parse(); the same bytes
 * also go through props_check() as bare entries. A failure must be one of
 * the documented errors, and the answer (accepted or not) must be the
 * one of a reference validator written here from the specification. A
 * block accepted:
 *   - walks cleanly with codec_prop_next() and the filter functions
 *     (fuzz_props_walk());
 *   - is accepted again by props_check() over its own entries, with the
 *     same result;
 *   - survives the encoder: placed in a minimal MQTT 5 packet of that
 *     type, encoded, framed and decoded, it comes back with the same
 *     entries (fuzz_props_same()).
 */
#include <string.h>

#include "base/utf8.h"
#include "codec/props.h"
#include "fuzz_mqtt.h"

#define S(lit) span_make((lit), sizeof(lit) - 1)

static bool
is_props_error(int err)
{
	return err == TERN_EMALFORMED || err == TERN_EPROTO ||
	       err == TERN_ETOPIC;
}

static const struct mqtt_sub_entry one_sub = {
        .filter = {(const uint8_t *)"t", 1}};
static const struct span one_filter = {(const uint8_t *)"t", 1};

/*
 * The smallest valid MQTT 5 packet that carries @props in the place
 * @where, or false for PINGREQ and PINGRESP, which carry none.
 */
static bool
carrier(unsigned where, const struct mqtt_props *props, struct mqtt_packet *p)
{
	memset(p, 0, sizeof *p);
	p->type = (uint8_t)(where == PROP_IN_WILL ? MQTT_CONNECT : where);
	switch (where) {
	case PROP_IN_WILL:
		p->u.connect.ver = MQTT_V5;
		p->u.connect.has_will = true;
		p->u.connect.will.topic = S("w");
		p->u.connect.will.props = *props;
		return true;
	case MQTT_CONNECT:
		p->u.connect.ver = MQTT_V5;
		p->u.connect.props = *props;
		return true;
	case MQTT_CONNACK:
		p->u.connack.props = *props;
		return true;
	case MQTT_PUBLISH:
		p->u.publish.topic = S("t");
		p->u.publish.props = *props;
		return true;
	case MQTT_PUBACK:
	case MQTT_PUBREC:
	case MQTT_PUBREL:
	case MQTT_PUBCOMP:
		p->u.ack.pid = 1;
		p->u.ack.props = *props;
		return true;
	case MQTT_SUBSCRIBE:
		p->u.subscribe.pid = 1;
		p->u.subscribe.count = 1;
		p->u.subscribe.entries = &one_sub;
		p->u.subscribe.props = *props;
		return true;
	case MQTT_UNSUBSCRIBE:
		p->u.unsubscribe.pid = 1;
		p->u.unsubscribe.count = 1;
		p->u.unsubscribe.filters = &one_filter;
		p->u.unsubscribe.props = *props;
		return true;
	case MQTT_SUBACK:
	case MQTT_UNSUBACK:
		p->u.suback.pid = 1;
		p->u.suback.rcs = span_make("", 1); /* one code: 0x00 */
		p->u.suback.props = *props;
		return true;
	case MQTT_DISCONNECT:
	case MQTT_AUTH:
		p->u.disconnect.props = *props;
		return true;
	default: /* PINGREQ, PINGRESP */
		return false;
	}
}

/* The block of @where in a decoded packet from carrier(). */
static const struct mqtt_props *
carried(unsigned where, const struct mqtt_packet *p)
{
	switch (where) {
	case PROP_IN_WILL:
		return &p->u.connect.will.props;
	case MQTT_CONNECT:
		return &p->u.connect.props;
	case MQTT_CONNACK:
		return &p->u.connack.props;
	case MQTT_PUBLISH:
		return &p->u.publish.props;
	case MQTT_SUBSCRIBE:
		return &p->u.subscribe.props;
	case MQTT_UNSUBSCRIBE:
		return &p->u.unsubscribe.props;
	case MQTT_SUBACK:
	case MQTT_UNSUBACK:
		return &p->u.suback.props;
	case MQTT_DISCONNECT:
	case MQTT_AUTH:
		return &p->u.disconnect.props;
	default: /* the four acknowledgements */
		return &p->u.ack.props;
	}
}

/* Encode @props in a packet for @where, decode it, compare. */
static void
roundtrip(const struct mqtt_props *props, unsigned where)
{
	struct fuzz_arena a = {0};
	struct mqtt_props enc = fuzz_props_encodable(props, &a);
	struct mqtt_packet p, r;
	struct mqtt_fixed fh;
	uint8_t *buf;
	struct wr w;
	size_t n;

	if (!carrier(where, &enc, &p)) {
		fuzz_arena_free(&a);
		return;
	}
	n = codec_size(&p, MQTT_V5);
	FUZZ_CHECK(n != 0);
	buf = fuzz_alloc(&a, n);
	w = wr_make(buf, n);
	codec_write(&w, &p, MQTT_V5);
	FUZZ_CHECK(w.pos == n);
	FUZZ_CHECK(codec_frame(buf, n, NULL, &fh) == 0 &&
	           fh.hdr_len + fh.body_len == n);
	FUZZ_CHECK(codec_decode(&fh, span_make(buf + fh.hdr_len, fh.body_len),
	                        MQTT_V5, &r) == 0);
	fuzz_props_same(props, carried(where, &r));
	fuzz_arena_free(&a);
}

/*
 * A reference validator written from MQTT 5.0 section 2.2.2.2 (table
 * 2-4) and the property descriptions of chapter 3, sharing no code with
 * codec/props.c but utf8_check() and topic_check_name(). It answers only
 * "accepted or not": which error comes first is the codec's choice.
 */

enum ref_kind { R_NONE, R_BYTE, R_U16, R_U32, R_VAR, R_UTF8, R_BIN, R_PAIR };

#define IN(t) (1u << (t))
#define R_ACKS \
	(IN(MQTT_PUBACK) | IN(MQTT_PUBREC) | IN(MQTT_PUBREL) | IN(MQTT_PUBCOMP))

struct ref_prop {
	uint16_t where; /* IN(type), IN(PROP_IN_WILL) for a will */
	uint8_t kind;   /* enum ref_kind */
	bool nonzero;   /* 0 is a Protocol Error */
};

static const struct ref_prop ref_table[64] = {
        [0x01] = {.kind = R_BYTE, .where = IN(MQTT_PUBLISH) | IN(PROP_IN_WILL)},
        [0x02] = {.kind = R_U32, .where = IN(MQTT_PUBLISH) | IN(PROP_IN_WILL)},
        [0x03] = {.kind = R_UTF8, .where = IN(MQTT_PUBLISH) | IN(PROP_IN_WILL)},
        [0x08] = {.kind = R_UTF8, .where = IN(MQTT_PUBLISH) | IN(PROP_IN_WILL)},
        [0x09] = {.kind = R_BIN, .where = IN(MQTT_PUBLISH) | IN(PROP_IN_WILL)},
        [0x0B] = {.kind = R_VAR,
                  .where = IN(MQTT_PUBLISH) | IN(MQTT_SUBSCRIBE),
                  .nonzero = true},
        [0x11] = {.kind = R_U32,
                  .where = IN(MQTT_CONNECT) | IN(MQTT_CONNACK) |
                           IN(MQTT_DISCONNECT)},
        [0x12] = {.kind = R_UTF8, .where = IN(MQTT_CONNACK)},
        [0x13] = {.kind = R_U16, .where = IN(MQTT_CONNACK)},
        [0x15] = {.kind = R_UTF8,
                  .where = IN(MQTT_CONNECT) | IN(MQTT_CONNACK) | IN(MQTT_AUTH)},
        [0x16] = {.kind = R_BIN,
                  .where = IN(MQTT_CONNECT) | IN(MQTT_CONNACK) | IN(MQTT_AUTH)},
        [0x17] = {.kind = R_BYTE, .where = IN(MQTT_CONNECT)},
        [0x18] = {.kind = R_U32, .where = IN(PROP_IN_WILL)},
        [0x19] = {.kind = R_BYTE, .where = IN(MQTT_CONNECT)},
        [0x1A] = {.kind = R_UTF8, .where = IN(MQTT_CONNACK)},
        [0x1C] = {.kind = R_UTF8,
                  .where = IN(MQTT_CONNACK) | IN(MQTT_DISCONNECT)},
        [0x1F] = {.kind = R_UTF8,
                  .where = IN(MQTT_CONNACK) | R_ACKS | IN(MQTT_SUBACK) |
                           IN(MQTT_UNSUBACK) | IN(MQTT_DISCONNECT) |
                           IN(MQTT_AUTH)},
        [0x21] = {.kind = R_U16,
                  .where = IN(MQTT_CONNECT) | IN(MQTT_CONNACK),
                  .nonzero = true},
        [0x22] = {.kind = R_U16, .where = IN(MQTT_CONNECT) | IN(MQTT_CONNACK)},
        [0x23] = {.kind = R_U16, .where = IN(MQTT_PUBLISH), .nonzero = true},
        [0x24] = {.kind = R_BYTE, .where = IN(MQTT_CONNACK)},
        [0x25] = {.kind = R_BYTE, .where = IN(MQTT_CONNACK)},
        [0x26] = {.kind = R_PAIR,
                  .where = IN(MQTT_CONNECT) | IN(MQTT_CONNACK) |
                           IN(MQTT_PUBLISH) | IN(PROP_IN_WILL) | R_ACKS |
                           IN(MQTT_SUBSCRIBE) | IN(MQTT_SUBACK) |
                           IN(MQTT_UNSUBSCRIBE) | IN(MQTT_UNSUBACK) |
                           IN(MQTT_DISCONNECT) | IN(MQTT_AUTH)},
        [0x27] = {.kind = R_U32,
                  .where = IN(MQTT_CONNECT) | IN(MQTT_CONNACK),
                  .nonzero = true},
        [0x28] = {.kind = R_BYTE, .where = IN(MQTT_CONNACK)},
        [0x29] = {.kind = R_BYTE, .where = IN(MQTT_CONNACK)},
        [0x2A] = {.kind = R_BYTE, .where = IN(MQTT_CONNACK)},
};

/* A Variable Byte Integer at b[*at] (at most 4 bytes); false if cut. */
static bool
ref_varint(struct span b, size_t *at, uint32_t *out)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < 4 && *at < b.len; i++) {
		uint8_t c = b.p[(*at)++];

		v |= (uint32_t)(c & 0x7f) << (7 * i);
		if ((c & 0x80) == 0) {
			*out = v;
			return true;
		}
	}
	return false;
}

/* A two-byte length and its bytes at b[*at]; false if cut. */
static bool
ref_string(struct span b, size_t *at, struct span *out)
{
	size_t n;

	if (b.len - *at < 2) {
		return false;
	}
	n = (size_t)b.p[*at] << 8 | b.p[*at + 1];
	if (b.len - *at - 2 < n) {
		return false;
	}
	*out = span_make(b.p + *at + 2, n);
	*at += 2 + n;
	return true;
}

/* A fixed-size value of @n bytes (big endian) at b[*at]. */
static bool
ref_fixed(struct span b, size_t *at, size_t n, uint32_t *out)
{
	uint32_t v = 0;

	if (b.len - *at < n) {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		v = v << 8 | b.p[*at + i];
	}
	*at += n;
	*out = v;
	return true;
}

/* Read and judge the value of one entry of kind @k for property @id. */
static bool
ref_value(struct span b, size_t *at, uint8_t id, const struct ref_prop *d)
{
	static const size_t fixed[] = {[R_BYTE] = 1, [R_U16] = 2, [R_U32] = 4};
	struct span s1, s2 = {NULL, 0};
	uint32_t v = 1;

	switch (d->kind) {
	case R_BYTE:
	case R_U16:
	case R_U32:
		if (!ref_fixed(b, at, fixed[d->kind], &v)) {
			return false;
		}
		/* Every byte property is 0 or 1. */
		return (d->kind != R_BYTE || v <= 1) && (!d->nonzero || v != 0);
	case R_VAR:
		return ref_varint(b, at, &v) && v != 0;
	case R_BIN:
		return ref_string(b, at, &s1);
	default: /* R_UTF8, R_PAIR */
		if (!ref_string(b, at, &s1) ||
		    (d->kind == R_PAIR && !ref_string(b, at, &s2))) {
			return false;
		}
		return utf8_check(s1) == 0 && utf8_check(s2) == 0 &&
		       (id != 0x08 || topic_check_name(s1) == 0);
	}
}

/* Does the spec accept @block (the entries) in the place @where? */
static bool
ref_accepts(struct span block, unsigned where)
{
	uint64_t seen = 0;
	size_t at = 0;

	while (at < block.len) {
		const struct ref_prop *d;
		uint32_t id;

		if (!ref_varint(block, &at, &id) || id >= 64) {
			return false;
		}
		d = &ref_table[id];
		if (d->kind == R_NONE || (d->where & IN(where)) == 0 ||
		    !ref_value(block, &at, (uint8_t)id, d)) {
			return false;
		}
		/* Only User Property repeats, and Subscription Identifier in
		 * a PUBLISH (3.3.2.3.8). */
		if ((seen & ((uint64_t)1 << id)) != 0 && id != 0x26 &&
		    !(id == 0x0B && where == MQTT_PUBLISH)) {
			return false;
		}
		seen |= (uint64_t)1 << id;
	}
	/* Authentication Data needs Authentication Method. */
	return (seen & ((uint64_t)1 << 0x16)) == 0 ||
	       (seen & ((uint64_t)1 << 0x15)) != 0;
}

/* The same, for a block with its Property Length in front. */
static bool
ref_accepts_block(struct span in, unsigned where)
{
	size_t at = 0;
	uint32_t len;

	if (!ref_varint(in, &at, &len) || in.len - at < len) {
		return false;
	}
	return ref_accepts(span_make(in.p + at, len), where);
}

/* Everything about one block in one place. */
static void
check_place(struct span in, unsigned where)
{
	struct rd r = rd_make(in);
	struct mqtt_props p, again;
	int err = props_parse(&r, where, &p);

	FUZZ_CHECK((err == 0) == ref_accepts_block(in, where));
	if (err != 0) {
		FUZZ_CHECK(is_props_error(err));
		return;
	}
	/* @raw is the block right before @r's position. */
	FUZZ_CHECK(r.pos <= in.len && p.raw.len <= r.pos &&
	           p.raw.p + p.raw.len == in.p + r.pos);
	fuzz_props_walk(&p, where);
	FUZZ_CHECK(props_check(p.raw, where, &again) == 0);
	fuzz_props_same(&p, &again);
	roundtrip(&p, where);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct span in = span_make(data, size);

	for (unsigned where = 0; where < 16; where++) {
		struct mqtt_props p;
		int err;

		check_place(in, where);
		/* The same bytes as bare entries. */
		err = props_check(in, where, &p);
		FUZZ_CHECK(err == 0 || is_props_error(err));
		FUZZ_CHECK((err == 0) == ref_accepts(in, where));
		if (err == 0) {
			fuzz_props_walk(&p, where);
		}
	}
	return 0;
}
