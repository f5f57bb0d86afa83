/*
 * proptab.c - the MQTT 5 property table.
 */
#include "proptab.h"

#include "mqtt.h"

#define IN(t) (1u << (t))
#define W     IN(PROP_IN_WILL)
#define ACKS \
	(IN(MQTT_PUBACK) | IN(MQTT_PUBREC) | IN(MQTT_PUBREL) | IN(MQTT_PUBCOMP))

struct prop_def {
	uint8_t kind;   /* enum prop_kind */
	uint16_t where; /* IN() bits */
};

static const struct prop_def table[64] = {
        [MQTT_PROP_PAYLOAD_FORMAT] = {PROP_BYTE, IN(MQTT_PUBLISH) | W},
        [MQTT_PROP_MESSAGE_EXPIRY] = {PROP_U32, IN(MQTT_PUBLISH) | W},
        [MQTT_PROP_CONTENT_TYPE] = {PROP_UTF8, IN(MQTT_PUBLISH) | W},
        [MQTT_PROP_RESPONSE_TOPIC] = {PROP_UTF8, IN(MQTT_PUBLISH) | W},
        [MQTT_PROP_CORRELATION_DATA] = {PROP_BIN, IN(MQTT_PUBLISH) | W},
        [MQTT_PROP_SUBSCRIPTION_ID] = {PROP_VARINT,
                                       IN(MQTT_PUBLISH) | IN(MQTT_SUBSCRIBE)},
        [MQTT_PROP_SESSION_EXPIRY] = {PROP_U32, IN(MQTT_CONNECT) |
                                                        IN(MQTT_CONNACK) |
                                                        IN(MQTT_DISCONNECT)},
        [MQTT_PROP_ASSIGNED_CLIENT_ID] = {PROP_UTF8, IN(MQTT_CONNACK)},
        [MQTT_PROP_SERVER_KEEP_ALIVE] = {PROP_U16, IN(MQTT_CONNACK)},
        [MQTT_PROP_AUTH_METHOD] = {PROP_UTF8, IN(MQTT_CONNECT) |
                                                      IN(MQTT_CONNACK) |
                                                      IN(MQTT_AUTH)},
        [MQTT_PROP_AUTH_DATA] = {PROP_BIN, IN(MQTT_CONNECT) | IN(MQTT_CONNACK) |
                                                   IN(MQTT_AUTH)},
        [MQTT_PROP_REQUEST_PROBLEM_INFO] = {PROP_BYTE, IN(MQTT_CONNECT)},
        [MQTT_PROP_WILL_DELAY] = {PROP_U32, W},
        [MQTT_PROP_REQUEST_RESPONSE_INFO] = {PROP_BYTE, IN(MQTT_CONNECT)},
        [MQTT_PROP_RESPONSE_INFO] = {PROP_UTF8, IN(MQTT_CONNACK)},
        [MQTT_PROP_SERVER_REFERENCE] = {PROP_UTF8,
                                        IN(MQTT_CONNACK) | IN(MQTT_DISCONNECT)},
        [MQTT_PROP_REASON_STRING] = {PROP_UTF8, IN(MQTT_CONNACK) | ACKS |
                                                        IN(MQTT_SUBACK) |
                                                        IN(MQTT_UNSUBACK) |
                                                        IN(MQTT_DISCONNECT) |
                                                        IN(MQTT_AUTH)},
        [MQTT_PROP_RECEIVE_MAX] = {PROP_U16,
                                   IN(MQTT_CONNECT) | IN(MQTT_CONNACK)},
        [MQTT_PROP_TOPIC_ALIAS_MAX] = {PROP_U16,
                                       IN(MQTT_CONNECT) | IN(MQTT_CONNACK)},
        [MQTT_PROP_TOPIC_ALIAS] = {PROP_U16, IN(MQTT_PUBLISH)},
        [MQTT_PROP_MAX_QOS] = {PROP_BYTE, IN(MQTT_CONNACK)},
        [MQTT_PROP_RETAIN_AVAILABLE] = {PROP_BYTE, IN(MQTT_CONNACK)},
        [MQTT_PROP_USER_PROPERTY] = {PROP_PAIR, 0xfffeu | W},
        [MQTT_PROP_MAX_PACKET_SIZE] = {PROP_U32,
                                       IN(MQTT_CONNECT) | IN(MQTT_CONNACK)},
        [MQTT_PROP_WILDCARD_SUB_AVAILABLE] = {PROP_BYTE, IN(MQTT_CONNACK)},
        [MQTT_PROP_SUB_ID_AVAILABLE] = {PROP_BYTE, IN(MQTT_CONNACK)},
        [MQTT_PROP_SHARED_SUB_AVAILABLE] = {PROP_BYTE, IN(MQTT_CONNACK)},
};

enum prop_kind
proptab_kind(uint8_t id)
{
	return id < 64 ? (enum prop_kind)table[id].kind : PROP_NONE;
}

int
proptab_allowed(uint8_t id, unsigned where)
{
	if (id >= 64 || where > 15 || table[id].kind == PROP_NONE) {
		return 0;
	}
	/* User properties may not appear in PINGREQ/PINGRESP (no props). */
	if (where == MQTT_PINGREQ || where == MQTT_PINGRESP) {
		return 0;
	}
	return (table[id].where & (1u << where)) != 0;
}
