/*
 * props.c - MQTT 5 properties: validation of a block for one packet type,
 * iteration, and extraction of entries for forwarding.
 *
 * Invariants: a block is read only through struct rd, so nothing reads
 * past it; a block that props_check() accepted has only known identifiers,
 * each entry complete, so codec_prop_next() and the filter functions never
 * fail on it. Errors follow MQTT 5.0 section 2.2.2.2 and the property
 * descriptions of chapter 3: an identifier that is unknown or not valid
 * for the packet, or a value not of its data type, is a Malformed Packet;
 * a duplicate or a value out of its range is a Protocol Error.
 */
#include "props.h"

#include <stddef.h>

#include "../base/utf8.h"

/* Offset of the typed field of each property in struct mqtt_props; 0
 * (the offset of @present) for the user property, which has none. */
#define SLOT(field) offsetof(struct mqtt_props, field)

static const size_t prop_slot[64] = {
        [MQTT_PROP_PAYLOAD_FORMAT] = SLOT(payload_format),
        [MQTT_PROP_MESSAGE_EXPIRY] = SLOT(message_expiry),
        [MQTT_PROP_CONTENT_TYPE] = SLOT(content_type),
        [MQTT_PROP_RESPONSE_TOPIC] = SLOT(response_topic),
        [MQTT_PROP_CORRELATION_DATA] = SLOT(correlation_data),
        [MQTT_PROP_SUBSCRIPTION_ID] = SLOT(subscription_id),
        [MQTT_PROP_SESSION_EXPIRY] = SLOT(session_expiry),
        [MQTT_PROP_ASSIGNED_CLIENT_ID] = SLOT(assigned_client_id),
        [MQTT_PROP_SERVER_KEEP_ALIVE] = SLOT(server_keep_alive),
        [MQTT_PROP_AUTH_METHOD] = SLOT(auth_method),
        [MQTT_PROP_AUTH_DATA] = SLOT(auth_data),
        [MQTT_PROP_REQUEST_PROBLEM_INFO] = SLOT(request_problem_info),
        [MQTT_PROP_WILL_DELAY] = SLOT(will_delay),
        [MQTT_PROP_REQUEST_RESPONSE_INFO] = SLOT(request_response_info),
        [MQTT_PROP_RESPONSE_INFO] = SLOT(response_info),
        [MQTT_PROP_SERVER_REFERENCE] = SLOT(server_reference),
        [MQTT_PROP_REASON_STRING] = SLOT(reason_string),
        [MQTT_PROP_RECEIVE_MAX] = SLOT(receive_max),
        [MQTT_PROP_TOPIC_ALIAS_MAX] = SLOT(topic_alias_max),
        [MQTT_PROP_TOPIC_ALIAS] = SLOT(topic_alias),
        [MQTT_PROP_MAX_QOS] = SLOT(max_qos),
        [MQTT_PROP_RETAIN_AVAILABLE] = SLOT(retain_available),
        [MQTT_PROP_MAX_PACKET_SIZE] = SLOT(max_packet_size),
        [MQTT_PROP_WILDCARD_SUB_AVAILABLE] = SLOT(wildcard_sub_available),
        [MQTT_PROP_SUB_ID_AVAILABLE] = SLOT(sub_id_available),
        [MQTT_PROP_SHARED_SUB_AVAILABLE] = SLOT(shared_sub_available),
};

/*
 * Properties whose value 0 is a Protocol Error: Receive Maximum
 * (3.1.2.11.3, 3.2.2.3.3), Maximum Packet Size (3.1.2.11.4, 3.2.2.3.6),
 * Topic Alias [MQTT-3.3.2-8] and Subscription Identifier (3.8.2.1.2).
 */
#define NONZERO_PROPS                               \
	(MQTT_PROP_BIT(MQTT_PROP_RECEIVE_MAX) |     \
	 MQTT_PROP_BIT(MQTT_PROP_MAX_PACKET_SIZE) | \
	 MQTT_PROP_BIT(MQTT_PROP_TOPIC_ALIAS) |     \
	 MQTT_PROP_BIT(MQTT_PROP_SUBSCRIPTION_ID))

/*
 * Reads the value of an entry of type @kind, which is not PROP_NONE (the
 * caller has looked the identifier up).
 */
static int
prop_read_value(struct rd *r, enum prop_kind kind, struct mqtt_prop *out)
{
	uint8_t b = 0;
	uint16_t h = 0;
	int err;

	switch (kind) {
	case PROP_BYTE:
		err = rd_u8(r, &b);
		out->num = b;
		return err;
	case PROP_U16:
		err = rd_u16(r, &h);
		out->num = h;
		return err;
	case PROP_U32:
		return rd_u32(r, &out->num);
	case PROP_VARINT:
		return rd_varint(r, &out->num);
	case PROP_UTF8:
	case PROP_BIN:
		return rd_bin(r, &out->str);
	default: /* PROP_PAIR */
		err = rd_bin(r, &out->str);
		if (err == 0) {
			err = rd_bin(r, &out->val);
		}
		return err;
	}
}

int
codec_prop_next(struct rd *r, struct mqtt_prop *out)
{
	struct mqtt_prop p = {0};
	enum prop_kind kind;
	uint32_t id;
	int err;

	if (rd_left(r) == 0) {
		return 0;
	}
	err = rd_varint(r, &id);
	if (err != 0) {
		return err;
	}
	/* 2.2.2.2: an identifier that is not in the table is malformed. */
	kind = id < 64 ? proptab_kind((uint8_t)id) : PROP_NONE;
	if (kind == PROP_NONE) {
		return TERN_EMALFORMED;
	}
	p.id = (uint8_t)id;
	err = prop_read_value(r, kind, &p);
	if (err != 0) {
		return err;
	}
	*out = p;
	return 1;
}

/* The range and format rules of one value; 0 when it is acceptable. */
static int
prop_check_value(const struct mqtt_prop *p)
{
	enum prop_kind kind = proptab_kind(p->id);
	int err = 0;

	/* Every byte property is a boolean: "It is a Protocol Error ... to
	 * have a value other than 0 or 1" (3.1.2.11.6, 3.1.2.11.7,
	 * 3.2.2.3.4, 3.2.2.3.5, 3.2.2.3.11 to 3.2.2.3.13); the Payload
	 * Format Indicator (3.3.2.3.2) defines only 0 and 1 as well. */
	if (kind == PROP_BYTE && p->num > 1) {
		return TERN_EPROTO;
	}
	if ((NONZERO_PROPS & MQTT_PROP_BIT(p->id)) != 0 && p->num == 0) {
		return TERN_EPROTO;
	}
	/* [MQTT-1.5.4-1] [MQTT-1.5.4-2]: ill-formed strings are malformed. */
	if (kind == PROP_UTF8 || kind == PROP_PAIR) {
		err = utf8_check(p->str);
	}
	if (err == 0 && kind == PROP_PAIR) {
		err = utf8_check(p->val);
	}
	/* [MQTT-3.3.2-14] The Response Topic is a topic name: no wildcards
	 * (and, as any topic name, not empty [MQTT-4.7.3-1]). */
	if (err == 0 && p->id == MQTT_PROP_RESPONSE_TOPIC) {
		err = topic_check_name(p->str);
	}
	return err;
}

/* Whether @id may appear more than once in the block of @where. */
static bool
prop_may_repeat(uint8_t id, unsigned where)
{
	/* 3.3.2.3.7 and 3.3.4: a PUBLISH from the Server carries one
	 * Subscription Identifier per matching subscription; elsewhere
	 * (SUBSCRIBE, 3.8.2.1.2) a second one is a Protocol Error. User
	 * Properties may always repeat. */
	return id == MQTT_PROP_USER_PROPERTY ||
	       (id == MQTT_PROP_SUBSCRIPTION_ID && where == MQTT_PUBLISH);
}

/* Copies the value of @p into its typed field of @out, if it has one. */
static void
prop_store(struct mqtt_props *out, const struct mqtt_prop *p)
{
	size_t off = prop_slot[p->id];
	unsigned char *field = (unsigned char *)out + off;

	if (off == 0) {
		return;
	}
	switch (proptab_kind(p->id)) {
	case PROP_BYTE:
		*field = (uint8_t)p->num;
		break;
	case PROP_U16:
		*(uint16_t *)(void *)field = (uint16_t)p->num;
		break;
	case PROP_U32:
	case PROP_VARINT:
		*(uint32_t *)(void *)field = p->num;
		break;
	default: /* PROP_UTF8, PROP_BIN: only pairs have no field */
		*(struct span *)(void *)field = p->str;
		break;
	}
}

/* Validates one entry in the context of the entries before it. */
static int
prop_accept(struct mqtt_props *out, const struct mqtt_prop *p, unsigned where)
{
	uint64_t bit = MQTT_PROP_BIT(p->id);
	int err;

	/* 2.2.2.2: "A Control Packet which contains an Identifier which is
	 * not valid for its packet type ... is a Malformed Packet." */
	if (!proptab_allowed(p->id, where)) {
		return TERN_EMALFORMED;
	}
	/* "It is a Protocol Error to include <property> more than once." */
	if ((out->present & bit) != 0 && !prop_may_repeat(p->id, where)) {
		return TERN_EPROTO;
	}
	err = prop_check_value(p);
	if (err != 0) {
		return err;
	}
	/* A repeated Subscription Identifier keeps the first in the typed
	 * field; codec_prop_next() yields all of them. */
	if ((out->present & bit) == 0) {
		prop_store(out, p);
	}
	out->present |= bit;
	return 0;
}

int
props_check(struct span block, unsigned where, struct mqtt_props *out)
{
	struct rd r = rd_make(block);
	struct mqtt_prop p;
	int rc;

	*out = (struct mqtt_props){0};
	out->raw = block;
	while ((rc = codec_prop_next(&r, &p)) == 1) {
		int err = prop_accept(out, &p, where);

		if (err != 0) {
			return err;
		}
	}
	if (rc != 0) {
		return rc;
	}
	/* 3.1.2.11.10, 3.2.2.3.18: "It is a Protocol Error to include
	 * Authentication Data if there is no Authentication Method." */
	if (mqtt_props_has(out, MQTT_PROP_AUTH_DATA) &&
	    !mqtt_props_has(out, MQTT_PROP_AUTH_METHOD)) {
		return TERN_EPROTO;
	}
	return 0;
}

int
props_parse(struct rd *r, unsigned where, struct mqtt_props *out)
{
	struct span block;
	uint32_t len;
	int err;

	/* 2.2.2.1: the Property Length is a Variable Byte Integer; a block
	 * longer than what is left of the packet is malformed. */
	err = rd_varint(r, &len);
	if (err == 0) {
		err = rd_bytes(r, len, &block);
	}
	if (err != 0) {
		return err;
	}
	return props_check(block, where, out);
}

/*
 * Walks a validated block and calls nothing: each kept entry is either
 * counted (@w NULL) or copied into @w. Returns the bytes kept.
 */
static size_t
props_filter(struct span raw, uint64_t keep, struct wr *w)
{
	struct rd r = rd_make(raw);
	struct mqtt_prop p = {0};
	size_t start = 0;
	size_t n = 0;

	while (codec_prop_next(&r, &p) == 1) {
		if ((keep & MQTT_PROP_BIT(p.id)) != 0) {
			n += r.pos - start;
			if (w != NULL) {
				wr_bytes(w, span_make(raw.p + start,
				                      r.pos - start));
			}
		}
		start = r.pos;
	}
	return n;
}

size_t
codec_props_filter_size(struct span raw, uint64_t keep)
{
	return props_filter(raw, keep, NULL);
}

void
codec_props_filter_copy(struct span raw, uint64_t keep, struct wr *out)
{
	(void)props_filter(raw, keep, out); /* the size is known to caller */
}
