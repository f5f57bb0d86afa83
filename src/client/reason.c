/*
 * reason.c - names of MQTT reason codes, and what each means as an error.
 * Two tables: the CONNACK return codes of 3.1 / 3.1.1, and the reason
 * codes of MQTT 5 (section 2.4).
 */
#include "client.h"

static const char *const v3_names[] = {
        "connection accepted",       "unacceptable protocol version",
        "identifier rejected",       "server unavailable",
        "bad user name or password", "not authorized",
};

struct reason_def {
	uint8_t rc;
	int err;
	const char *name;
};

static const struct reason_def v5_defs[] = {
        {0x00, 0, "success"},
        {0x01, 0, "granted QoS 1"},
        {0x02, 0, "granted QoS 2"},
        {0x04, 0, "disconnect with will message"},
        {0x10, 0, "no matching subscribers"},
        {0x11, 0, "no subscription existed"},
        {0x18, 0, "continue authentication"},
        {0x19, 0, "re-authenticate"},
        {0x80, TERN_EPROTO, "unspecified error"},
        {0x81, TERN_EMALFORMED, "malformed packet"},
        {0x82, TERN_EPROTO, "protocol error"},
        {0x83, TERN_EPROTO, "implementation specific error"},
        {0x84, TERN_EVERSION, "unsupported protocol version"},
        {0x85, TERN_EIDENT, "client identifier not valid"},
        {0x86, TERN_EAUTH, "bad user name or password"},
        {0x87, TERN_EDENIED, "not authorized"},
        {0x88, TERN_EBUSY, "server unavailable"},
        {0x89, TERN_EBUSY, "server busy"},
        {0x8A, TERN_EDENIED, "banned"},
        {0x8B, TERN_EBUSY, "server shutting down"},
        {0x8C, TERN_EAUTH, "bad authentication method"},
        {0x8D, TERN_ETIMEOUT, "keep alive timeout"},
        {0x8E, TERN_ECLOSED, "session taken over"},
        {0x8F, TERN_ETOPIC, "topic filter invalid"},
        {0x90, TERN_ETOPIC, "topic name invalid"},
        {0x91, TERN_EPROTO, "packet identifier in use"},
        {0x92, TERN_EPROTO, "packet identifier not found"},
        {0x93, TERN_EFULL, "receive maximum exceeded"},
        {0x94, TERN_ETOPIC, "topic alias invalid"},
        {0x95, TERN_ETOOBIG, "packet too large"},
        {0x96, TERN_EFULL, "message rate too high"},
        {0x97, TERN_EFULL, "quota exceeded"},
        {0x98, TERN_ECLOSED, "administrative action"},
        {0x99, TERN_EINVAL, "payload format invalid"},
        {0x9A, TERN_EINVAL, "retain not supported"},
        {0x9B, TERN_EINVAL, "QoS not supported"},
        {0x9C, TERN_EBUSY, "use another server"},
        {0x9D, TERN_EBUSY, "server moved"},
        {0x9E, TERN_EINVAL, "shared subscriptions not supported"},
        {0x9F, TERN_EBUSY, "connection rate exceeded"},
        {0xA0, TERN_ECLOSED, "maximum connect time"},
        {0xA1, TERN_EINVAL, "subscription identifiers not supported"},
        {0xA2, TERN_EINVAL, "wildcard subscriptions not supported"},
};

static const int v3_errs[] = {0,          TERN_EVERSION, TERN_EIDENT,
                              TERN_EBUSY, TERN_EAUTH,    TERN_EDENIED};

static const struct reason_def *
v5_find(int reason)
{
	for (size_t i = 0; i < sizeof v5_defs / sizeof v5_defs[0]; i++) {
		if (v5_defs[i].rc == reason) {
			return &v5_defs[i];
		}
	}
	return NULL;
}

const char *
tern_reason_string(int version, int reason)
{
	const struct reason_def *d;

	if (version < TERN_MQTT5 && reason >= 0 && reason <= 5) {
		return v3_names[reason];
	}
	d = v5_find(reason);
	return d != NULL ? d->name : "unknown reason code";
}

int
client_reason_err(enum mqtt_ver ver, int reason)
{
	const struct reason_def *d;

	if (ver < MQTT_V5 && reason >= 0 && reason <= 5) {
		return v3_errs[reason];
	}
	d = v5_find(reason);
	if (d != NULL) {
		return d->err;
	}
	return reason >= 0x80 ? TERN_EPROTO : 0;
}

int
tern_reason_err(int version, int reason)
{
	return client_reason_err((enum mqtt_ver)version, reason);
}
