/*
 * props.c - MQTT 5 properties between the public list form (struct
 * tern_props) and the wire.
 *
 * Outgoing lists are checked against the property table of codec/ (is the
 * id known, may it appear in this packet, does the value fit its type) and
 * encoded as pre-built entries for mqtt_props.verbatim. Incoming blocks
 * were validated by the decoder; they are turned into lists whose strings
 * point into the block.
 */
#include <string.h>

#include "../base/utf8.h"
#include "../codec/proptab.h"
#include "client.h"

struct prop_name {
	uint8_t id;
	const char *name;
};

static const struct prop_name prop_names[] = {
        {TERN_PROP_PAYLOAD_FORMAT, "payload-format-indicator"},
        {TERN_PROP_MESSAGE_EXPIRY, "message-expiry-interval"},
        {TERN_PROP_CONTENT_TYPE, "content-type"},
        {TERN_PROP_RESPONSE_TOPIC, "response-topic"},
        {TERN_PROP_CORRELATION_DATA, "correlation-data"},
        {TERN_PROP_SUBSCRIPTION_ID, "subscription-identifier"},
        {TERN_PROP_SESSION_EXPIRY, "session-expiry-interval"},
        {TERN_PROP_ASSIGNED_CLIENT_ID, "assigned-client-identifier"},
        {TERN_PROP_SERVER_KEEP_ALIVE, "server-keep-alive"},
        {TERN_PROP_AUTH_METHOD, "authentication-method"},
        {TERN_PROP_AUTH_DATA, "authentication-data"},
        {TERN_PROP_REQUEST_PROBLEM_INFO, "request-problem-information"},
        {TERN_PROP_WILL_DELAY, "will-delay-interval"},
        {TERN_PROP_REQUEST_RESPONSE_INFO, "request-response-information"},
        {TERN_PROP_RESPONSE_INFO, "response-information"},
        {TERN_PROP_SERVER_REFERENCE, "server-reference"},
        {TERN_PROP_REASON_STRING, "reason-string"},
        {TERN_PROP_RECEIVE_MAX, "receive-maximum"},
        {TERN_PROP_TOPIC_ALIAS_MAX, "topic-alias-maximum"},
        {TERN_PROP_TOPIC_ALIAS, "topic-alias"},
        {TERN_PROP_MAX_QOS, "maximum-qos"},
        {TERN_PROP_RETAIN_AVAILABLE, "retain-available"},
        {TERN_PROP_USER_PROPERTY, "user-property"},
        {TERN_PROP_MAX_PACKET_SIZE, "maximum-packet-size"},
        {TERN_PROP_WILDCARD_SUB_AVAILABLE, "wildcard-subscription-available"},
        {TERN_PROP_SUB_ID_AVAILABLE, "subscription-identifier-available"},
        {TERN_PROP_SHARED_SUB_AVAILABLE, "shared-subscription-available"},
};

#define N_PROP_NAMES (sizeof prop_names / sizeof prop_names[0])

int
tern_prop_by_name(const char *name)
{
	for (size_t i = 0; i < N_PROP_NAMES; i++) {
		if (strcmp(prop_names[i].name, name) == 0) {
			return prop_names[i].id;
		}
	}
	return TERN_ENOTFOUND;
}

const char *
tern_prop_name(uint8_t id)
{
	for (size_t i = 0; i < N_PROP_NAMES; i++) {
		if (prop_names[i].id == id) {
			return prop_names[i].name;
		}
	}
	return NULL;
}

const struct tern_prop *
tern_props_find(const struct tern_props *p, uint8_t id, size_t *pos)
{
	size_t i = pos != NULL ? *pos : 0;

	if (p == NULL) {
		return NULL;
	}
	for (; i < p->n; i++) {
		if (p->v[i].id == id) {
			if (pos != NULL) {
				*pos = i + 1;
			}
			return &p->v[i];
		}
	}
	return NULL;
}

/* Value rules beyond the type: [MQTT-3.1.2-*] and section 3.3.2.3. */
static bool
num_ok(const struct tern_prop *p)
{
	switch (p->id) {
	case TERN_PROP_RECEIVE_MAX:
	case TERN_PROP_MAX_PACKET_SIZE:
	case TERN_PROP_TOPIC_ALIAS:
	case TERN_PROP_SUBSCRIPTION_ID:
		return p->num != 0;
	case TERN_PROP_PAYLOAD_FORMAT:
	case TERN_PROP_REQUEST_PROBLEM_INFO:
	case TERN_PROP_REQUEST_RESPONSE_INFO:
		return p->num <= 1;
	default:
		return true;
	}
}

static bool
str_ok(const char *s, size_t len, bool utf8)
{
	if (len > 0xffff || (len != 0 && s == NULL)) {
		return false;
	}
	return !utf8 || utf8_check(span_make(s, len)) == 0;
}

/* one_size() - wire bytes of @p, id included; 0 if it cannot be sent. */
static size_t
one_size(const struct tern_prop *p)
{
	switch (proptab_kind(p->id)) {
	case PROP_BYTE:
		return p->num <= 0xff ? 2 : 0;
	case PROP_U16:
		return p->num <= 0xffff ? 3 : 0;
	case PROP_U32:
		return 5;
	case PROP_VARINT:
		return p->num <= MQTT_MAX_REMAINING ? 1 + varint_size(p->num)
		                                    : 0;
	case PROP_UTF8:
		return str_ok(p->str, p->str_len, true) ? 3 + p->str_len : 0;
	case PROP_BIN:
		return str_ok(p->str, p->str_len, false) ? 3 + p->str_len : 0;
	case PROP_PAIR:
		if (!str_ok(p->str, p->str_len, true) ||
		    !str_ok(p->val, p->val_len, true)) {
			return 0;
		}
		return 5 + p->str_len + p->val_len;
	default:
		return 0;
	}
}

int
client_props_size(const struct tern_props *p, unsigned where, size_t *out)
{
	size_t total = 0;

	for (size_t i = 0; p != NULL && i < p->n; i++) {
		const struct tern_prop *e = &p->v[i];
		size_t n;

		if (!proptab_allowed(e->id, where) || !num_ok(e)) {
			return TERN_EINVAL;
		}
		n = one_size(e);
		if (n == 0 || total + n > MQTT_MAX_REMAINING) {
			return TERN_EINVAL;
		}
		total += n;
	}
	*out = total;
	return 0;
}

void
client_props_encode(const struct tern_props *p, struct wr *w)
{
	for (size_t i = 0; p != NULL && i < p->n; i++) {
		const struct tern_prop *e = &p->v[i];

		wr_u8(w, e->id);
		switch (proptab_kind(e->id)) {
		case PROP_BYTE:
			wr_u8(w, (uint8_t)e->num);
			break;
		case PROP_U16:
			wr_u16(w, (uint16_t)e->num);
			break;
		case PROP_U32:
			wr_u32(w, e->num);
			break;
		case PROP_VARINT:
			wr_varint(w, e->num);
			break;
		case PROP_PAIR:
			wr_bin(w, span_make(e->str, e->str_len));
			wr_bin(w, span_make(e->val, e->val_len));
			break;
		default: /* UTF8, BIN */
			wr_bin(w, span_make(e->str, e->str_len));
			break;
		}
	}
}

size_t
client_props_count(struct span raw)
{
	struct rd r = rd_make(raw);
	struct mqtt_prop p;
	size_t n = 0;

	while (codec_prop_next(&r, &p) == 1) {
		n++;
	}
	return n;
}

void
client_props_parse(struct span raw, struct tern_prop *v)
{
	struct rd r = rd_make(raw);
	struct mqtt_prop p;
	size_t i = 0;

	while (codec_prop_next(&r, &p) == 1) {
		v[i].id = p.id;
		v[i].num = p.num;
		v[i].str = (const char *)p.str.p;
		v[i].str_len = p.str.len;
		v[i].val = (const char *)p.val.p;
		v[i].val_len = p.val.len;
		i++;
	}
}

struct tern_props
client_props_view(struct span raw, struct tern_prop *v)
{
	struct tern_props p = {v, 0};
	size_t n = client_props_count(raw);

	if (raw.len > 0 && n <= CLIENT_PROPS_SHOWN) {
		p.n = n;
		client_props_parse(raw, v);
	}
	return p;
}
