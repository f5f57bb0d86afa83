/*
 * mqtt.h - MQTT packets as plain data, and the codec that reads and writes
 * them, for MQTT 3.1 (level 3), 3.1.1 (level 4) and 5.0 (level 5).
 *
 * The codec is pure: it never reads past buf+len, never allocates, never
 * logs and never sees a socket, so a fuzzer can call it with a byte array.
 * Decoded spans point into the caller's bytes and live as long as they do.
 * Encoders come in pairs: codec_size() says how many bytes, the caller
 * provides them, codec_write() fills them exactly.
 */
#ifndef TERN_CODEC_MQTT_H
#define TERN_CODEC_MQTT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"
#include "../base/rd.h"
#include "../base/span.h"
#include "../base/wr.h"

enum mqtt_ver {
	MQTT_V31 = 3,  /* protocol name "MQIsdp" */
	MQTT_V311 = 4, /* protocol name "MQTT" */
	MQTT_V5 = 5    /* protocol name "MQTT" */
};

enum mqtt_type {
	MQTT_CONNECT = 1,
	MQTT_CONNACK = 2,
	MQTT_PUBLISH = 3,
	MQTT_PUBACK = 4,
	MQTT_PUBREC = 5,
	MQTT_PUBREL = 6,
	MQTT_PUBCOMP = 7,
	MQTT_SUBSCRIBE = 8,
	MQTT_SUBACK = 9,
	MQTT_UNSUBSCRIBE = 10,
	MQTT_UNSUBACK = 11,
	MQTT_PINGREQ = 12,
	MQTT_PINGRESP = 13,
	MQTT_DISCONNECT = 14,
	MQTT_AUTH = 15 /* MQTT 5 only */
};

/* Largest Remaining Length a Variable Byte Integer can carry. */
#define MQTT_MAX_REMAINING 268435455u
/* Largest whole packet: fixed header byte + 4 length bytes + body. */
#define MQTT_MAX_PACKET (MQTT_MAX_REMAINING + 5u)

/* CONNACK return codes of 3.1 / 3.1.1. */
enum mqtt_connack_v3 {
	MQTT_CONNACK_ACCEPTED = 0,
	MQTT_CONNACK_BAD_VERSION = 1,
	MQTT_CONNACK_ID_REJECTED = 2,
	MQTT_CONNACK_UNAVAILABLE = 3,
	MQTT_CONNACK_BAD_AUTH = 4,
	MQTT_CONNACK_NOT_AUTHORIZED = 5
};

/* MQTT 5 reason codes (also SUBACK granted QoS 0..2 and 0x80 in 3.1.1). */
enum mqtt_rc {
	MQTT_RC_SUCCESS = 0x00,
	MQTT_RC_GRANTED_QOS1 = 0x01,
	MQTT_RC_GRANTED_QOS2 = 0x02,
	MQTT_RC_DISCONNECT_WITH_WILL = 0x04,
	MQTT_RC_NO_MATCHING_SUBSCRIBERS = 0x10,
	MQTT_RC_NO_SUBSCRIPTION_EXISTED = 0x11,
	MQTT_RC_CONTINUE_AUTH = 0x18,
	MQTT_RC_REAUTHENTICATE = 0x19,
	MQTT_RC_UNSPECIFIED = 0x80,
	MQTT_RC_MALFORMED = 0x81,
	MQTT_RC_PROTOCOL_ERROR = 0x82,
	MQTT_RC_IMPL_SPECIFIC = 0x83,
	MQTT_RC_UNSUPPORTED_VERSION = 0x84,
	MQTT_RC_CLIENT_ID_INVALID = 0x85,
	MQTT_RC_BAD_AUTH = 0x86,
	MQTT_RC_NOT_AUTHORIZED = 0x87,
	MQTT_RC_SERVER_UNAVAILABLE = 0x88,
	MQTT_RC_SERVER_BUSY = 0x89,
	MQTT_RC_BANNED = 0x8A,
	MQTT_RC_SERVER_SHUTTING_DOWN = 0x8B,
	MQTT_RC_BAD_AUTH_METHOD = 0x8C,
	MQTT_RC_KEEPALIVE_TIMEOUT = 0x8D,
	MQTT_RC_SESSION_TAKEN_OVER = 0x8E,
	MQTT_RC_TOPIC_FILTER_INVALID = 0x8F,
	MQTT_RC_TOPIC_NAME_INVALID = 0x90,
	MQTT_RC_PACKET_ID_IN_USE = 0x91,
	MQTT_RC_PACKET_ID_NOT_FOUND = 0x92,
	MQTT_RC_RECEIVE_MAX_EXCEEDED = 0x93,
	MQTT_RC_TOPIC_ALIAS_INVALID = 0x94,
	MQTT_RC_PACKET_TOO_LARGE = 0x95,
	MQTT_RC_MESSAGE_RATE_TOO_HIGH = 0x96,
	MQTT_RC_QUOTA_EXCEEDED = 0x97,
	MQTT_RC_ADMIN_ACTION = 0x98,
	MQTT_RC_PAYLOAD_FORMAT_INVALID = 0x99,
	MQTT_RC_RETAIN_NOT_SUPPORTED = 0x9A,
	MQTT_RC_QOS_NOT_SUPPORTED = 0x9B,
	MQTT_RC_USE_ANOTHER_SERVER = 0x9C,
	MQTT_RC_SERVER_MOVED = 0x9D,
	MQTT_RC_SHARED_SUB_NOT_SUPPORTED = 0x9E,
	MQTT_RC_CONNECTION_RATE_EXCEEDED = 0x9F,
	MQTT_RC_MAX_CONNECT_TIME = 0xA0,
	MQTT_RC_SUB_IDS_NOT_SUPPORTED = 0xA1,
	MQTT_RC_WILDCARD_SUBS_NOT_SUPPORTED = 0xA2
};

/* MQTT 5 property identifiers. All are below 64 (see mqtt_props.present). */
enum mqtt_prop_id {
	MQTT_PROP_PAYLOAD_FORMAT = 0x01,       /* byte */
	MQTT_PROP_MESSAGE_EXPIRY = 0x02,       /* u32 */
	MQTT_PROP_CONTENT_TYPE = 0x03,         /* utf8 */
	MQTT_PROP_RESPONSE_TOPIC = 0x08,       /* utf8 */
	MQTT_PROP_CORRELATION_DATA = 0x09,     /* binary */
	MQTT_PROP_SUBSCRIPTION_ID = 0x0B,      /* varint 1..268435455 */
	MQTT_PROP_SESSION_EXPIRY = 0x11,       /* u32 */
	MQTT_PROP_ASSIGNED_CLIENT_ID = 0x12,   /* utf8 */
	MQTT_PROP_SERVER_KEEP_ALIVE = 0x13,    /* u16 */
	MQTT_PROP_AUTH_METHOD = 0x15,          /* utf8 */
	MQTT_PROP_AUTH_DATA = 0x16,            /* binary */
	MQTT_PROP_REQUEST_PROBLEM_INFO = 0x17, /* byte 0/1 */
	MQTT_PROP_WILL_DELAY = 0x18,           /* u32 */
	MQTT_PROP_REQUEST_RESPONSE_INFO = 0x19, /* byte 0/1 */
	MQTT_PROP_RESPONSE_INFO = 0x1A,        /* utf8 */
	MQTT_PROP_SERVER_REFERENCE = 0x1C,     /* utf8 */
	MQTT_PROP_REASON_STRING = 0x1F,        /* utf8 */
	MQTT_PROP_RECEIVE_MAX = 0x21,          /* u16, not 0 */
	MQTT_PROP_TOPIC_ALIAS_MAX = 0x22,      /* u16 */
	MQTT_PROP_TOPIC_ALIAS = 0x23,          /* u16, not 0 */
	MQTT_PROP_MAX_QOS = 0x24,              /* byte 0/1 */
	MQTT_PROP_RETAIN_AVAILABLE = 0x25,     /* byte 0/1 */
	MQTT_PROP_USER_PROPERTY = 0x26,        /* utf8 pair, may repeat */
	MQTT_PROP_MAX_PACKET_SIZE = 0x27,      /* u32, not 0 */
	MQTT_PROP_WILDCARD_SUB_AVAILABLE = 0x28, /* byte 0/1 */
	MQTT_PROP_SUB_ID_AVAILABLE = 0x29,     /* byte 0/1 */
	MQTT_PROP_SHARED_SUB_AVAILABLE = 0x2A  /* byte 0/1 */
};

/*
 * MQTT 5 properties of one packet (or of a will).
 *
 * Decoding: @present has bit (1 << id) for every property seen, the typed
 * field holds its value, and @raw is the whole property block (without its
 * length) for codec_prop_next() - the way to read repeated properties
 * (user properties, several subscription identifiers).
 *
 * Encoding: every property whose bit is in @present is written from its
 * field; then @verbatim is written as it is (pre-encoded property entries,
 * such as the user properties codec_props_filter_copy() extracts from a
 * received block); then one subscription identifier per entry of
 * @sub_ids. @raw is ignored. A property should be either in @present or in
 * @verbatim, not both.
 */
struct mqtt_props {
	uint64_t present;
	struct span raw;
	struct span verbatim;
	const uint32_t *sub_ids;
	size_t n_sub_ids;

	uint32_t message_expiry;
	uint32_t subscription_id; /* decode: the first one seen */
	uint32_t session_expiry;
	uint32_t will_delay;
	uint32_t max_packet_size;
	uint16_t server_keep_alive;
	uint16_t receive_max;
	uint16_t topic_alias_max;
	uint16_t topic_alias;
	uint8_t payload_format;
	uint8_t request_problem_info;
	uint8_t request_response_info;
	uint8_t max_qos;
	uint8_t retain_available;
	uint8_t wildcard_sub_available;
	uint8_t sub_id_available;
	uint8_t shared_sub_available;
	struct span content_type;
	struct span response_topic;
	struct span correlation_data;
	struct span assigned_client_id;
	struct span auth_method;
	struct span auth_data;
	struct span response_info;
	struct span server_reference;
	struct span reason_string;
};

#define MQTT_PROP_BIT(id) ((uint64_t)1 << (id))

static inline bool
mqtt_props_has(const struct mqtt_props *p, enum mqtt_prop_id id)
{
	return (p->present & MQTT_PROP_BIT(id)) != 0;
}

/* One property as codec_prop_next() yields it. */
struct mqtt_prop {
	uint8_t id;
	uint32_t num;    /* byte, u16, u32 and varint values */
	struct span str; /* utf8 / binary value; user property key */
	struct span val; /* user property value */
};

struct mqtt_will {
	struct span topic;
	struct span payload;
	uint8_t qos;
	bool retain;
	struct mqtt_props props; /* v5 will properties */
};

struct mqtt_connect {
	enum mqtt_ver ver;
	struct span proto_name; /* decode: as sent */
	bool clean;             /* Clean Session (3.x) / Clean Start (5) */
	uint16_t keepalive;
	struct span client_id;
	bool has_will;
	struct mqtt_will will;
	bool has_username;
	bool has_password;
	struct span username;
	struct span password;
	struct mqtt_props props;
};

struct mqtt_connack {
	bool session_present;
	uint8_t rc; /* enum mqtt_connack_v3 for 3.x, enum mqtt_rc for 5 */
	struct mqtt_props props;
};

struct mqtt_publish {
	uint8_t qos;
	bool dup;
	bool retain;
	struct span topic;
	uint16_t pid; /* present when qos > 0 */
	struct mqtt_props props;
	struct span payload;
};

/* PUBACK, PUBREC, PUBREL, PUBCOMP. (UNSUBACK, in every version, is a
 * struct mqtt_suback: 3.x uses only its @pid.) */
struct mqtt_ack {
	uint16_t pid;
	uint8_t rc; /* v5; 0 when absent */
	struct mqtt_props props;
};

/* One SUBSCRIBE entry. Options other than qos are MQTT 5 only. */
struct mqtt_sub_entry {
	struct span filter;
	uint8_t qos;
	bool no_local;
	bool retain_as_published;
	uint8_t retain_handling; /* 0, 1 or 2 */
};

/*
 * SUBSCRIBE. Decode: @payload holds the validated entries, @count their
 * number; read them with codec_sub_next(). Encode: @entries[0..count).
 */
struct mqtt_subscribe {
	uint16_t pid;
	struct mqtt_props props;
	size_t count;
	struct span payload;
	const struct mqtt_sub_entry *entries;
};

/* UNSUBSCRIBE. Decode: codec_unsub_next() over @payload. Encode: @filters. */
struct mqtt_unsubscribe {
	uint16_t pid;
	struct mqtt_props props;
	size_t count;
	struct span payload;
	const struct span *filters;
};

/* SUBACK and UNSUBACK (v5): one reason code byte per filter in @rcs. */
struct mqtt_suback {
	uint16_t pid;
	struct mqtt_props props;
	struct span rcs;
};

/* DISCONNECT (v5 reason and properties; 3.x has neither) and AUTH. */
struct mqtt_disconnect {
	uint8_t rc;
	struct mqtt_props props;
};

struct mqtt_packet {
	uint8_t type; /* enum mqtt_type */
	union {
		struct mqtt_connect connect;
		struct mqtt_connack connack;
		struct mqtt_publish publish;
		struct mqtt_ack ack; /* PUBACK PUBREC PUBREL PUBCOMP */
		struct mqtt_subscribe subscribe;
		struct mqtt_suback suback; /* SUBACK and UNSUBACK */
		struct mqtt_unsubscribe unsubscribe;
		struct mqtt_disconnect disconnect; /* DISCONNECT and AUTH */
	} u;
};

/* The fixed header of one packet, as codec_frame() finds it. */
struct mqtt_fixed {
	uint8_t type;    /* high nibble of byte 1 */
	uint8_t flags;   /* low nibble of byte 1 */
	size_t hdr_len;  /* 2..5: type byte + Remaining Length bytes */
	size_t body_len; /* Remaining Length */
};

struct codec_limits {
	size_t max_packet; /* largest whole packet accepted; 0 = protocol max */
};

/*
 * codec_frame() - is a whole packet at the start of @buf?
 * Returns 0 and fills *out when all hdr_len + body_len bytes are present;
 * TERN_EAGAIN when more bytes are needed (and could still make a valid
 * frame); TERN_EMALFORMED when the Remaining Length uses more than 4 bytes
 * or the type is 0; TERN_ETOOBIG when the packet would exceed
 * @lim->max_packet (known as soon as the length is read, before the body
 * arrives). @lim may be NULL (no limit). Pure; thread: any.
 */
int codec_frame(const uint8_t *buf, size_t len, const struct codec_limits *lim,
                struct mqtt_fixed *out);

/*
 * codec_decode() - decode the body of one framed packet.
 * @ver is the connection's protocol level; it is ignored for CONNECT, whose
 * level is read from the packet and stored in out->u.connect.ver.
 * Checks everything that can be checked from the bytes alone: fixed header
 * flags [MQTT-2.2.2-1/2], QoS 3 [MQTT-3.3.1-4], lengths, UTF-8 rules
 * [MQTT-1.5.3-1/2], reserved bits, will flag rules, zero packet ids where
 * one is needed, property ids allowed for the packet, duplicate properties,
 * property value ranges, SUBSCRIBE/UNSUBSCRIBE with no entries
 * [MQTT-3.8.3-3] [MQTT-3.10.3-2], wildcards in a PUBLISH topic
 * [MQTT-3.3.2-2], packet types that do not exist in @ver (AUTH before 5).
 * Topic filter syntax is NOT checked here: the broker answers a bad filter
 * per entry (v5) or by closing (3.x), so it calls topic_check_filter().
 * Returns 0; TERN_EMALFORMED or TERN_EPROTO (the MQTT 5 distinction between
 * 0x81 and 0x82); TERN_ETOPIC for a bad topic name or filter; for CONNECT,
 * TERN_EVERSION when the protocol name is right but the level is not one we
 * speak (out->u.connect.ver then holds the level byte received, which may
 * be outside enum mqtt_ver) and
 * TERN_EPROTO when the protocol name is wrong.
 * Spans in *out point into @body. Pure; thread: any.
 */
int codec_decode(const struct mqtt_fixed *fh, struct span body,
                 enum mqtt_ver ver, struct mqtt_packet *out);

/* codec_sub_next() - next entry of a decoded SUBSCRIBE; false at the end. */
bool codec_sub_next(struct rd *r, enum mqtt_ver ver, struct mqtt_sub_entry *e);
/* codec_unsub_next() - next filter of a decoded UNSUBSCRIBE. */
bool codec_unsub_next(struct rd *r, struct span *filter);

/*
 * codec_prop_next() - the next property in a validated block, read with
 * rd_make(props.raw). Returns 1 with *out filled, 0 at the end, or
 * TERN_EMALFORMED (only possible on a block that was not validated).
 */
int codec_prop_next(struct rd *r, struct mqtt_prop *out);

/*
 * codec_props_filter_size() / codec_props_filter_copy() - the entries of a
 * validated property block whose id bit (MQTT_PROP_BIT(id)) is in @keep,
 * re-encoded as they were, ready for mqtt_props.verbatim. copy writes
 * exactly codec_props_filter_size() bytes.
 */
size_t codec_props_filter_size(struct span raw, uint64_t keep);
void codec_props_filter_copy(struct span raw, uint64_t keep, struct wr *out);

/*
 * codec_size() - bytes codec_write() will produce for @p in @ver, fixed
 * header included. Returns 0 if the packet cannot be encoded (Remaining
 * Length over the maximum, a string over 65,535 bytes).
 */
size_t codec_size(const struct mqtt_packet *p, enum mqtt_ver ver);

/*
 * codec_write() - encode @p into @out, which must have codec_size() bytes
 * of room. Properties are written only for MQTT 5. When codec_size() is 0
 * (the packet cannot be encoded) it writes nothing.
 */
void codec_write(struct wr *out, const struct mqtt_packet *p,
                 enum mqtt_ver ver);

/*
 * codec_publish_head_size() / codec_write_publish_head() - a PUBLISH
 * without its payload bytes: fixed header (whose Remaining Length counts
 * the payload), topic, packet id, properties. The caller sends the payload
 * after it (zero copy). @p->payload.len must be set; @p->payload.p is
 * not read.
 */
size_t codec_publish_head_size(const struct mqtt_publish *p, enum mqtt_ver ver);
void codec_write_publish_head(struct wr *out, const struct mqtt_publish *p,
                              enum mqtt_ver ver);

/* Topic names and filters ([MQTT-4.7]), in codec/topic.c. */

/*
 * topic_check_name() - 0 if @t is a valid topic name: 1..65535 bytes, no
 * '+' or '#' [MQTT-3.3.2-2] [MQTT-4.7.1-1]. UTF-8 is checked by the caller
 * (the decoder). TERN_ETOPIC otherwise.
 */
int topic_check_name(struct span t);

/*
 * topic_check_filter() - 0 if @f is a valid topic filter: not empty,
 * '#' only as the last level and alone in it [MQTT-4.7.1-2], '+' alone in
 * its level [MQTT-4.7.1-3]. TERN_ETOPIC otherwise.
 */
int topic_check_filter(struct span f);

/*
 * topic_match() - does filter @f match name @n? Wildcards in the first
 * level do not match names starting with '$' [MQTT-4.7.2-1]. "a/#"
 * matches "a" [MQTT-4.7.1-2]. No allocation, no recursion.
 */
bool topic_match(struct span f, struct span n);

/* topic_levels() - number of levels in @t (separators + 1). */
size_t topic_levels(struct span t);

#endif
