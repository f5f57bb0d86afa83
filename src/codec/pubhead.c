/*
 * pubhead.c - per-thread cache of encoded PUBLISH heads (see pubhead.h).
 */
#include "pubhead.h"

/* Encode @m's head into @h with Packet Identifier 0 and DUP 0. */
static bool
encode(struct pub_head *h, const struct msg *m, enum mqtt_ver ver, uint8_t qos,
       bool retain)
{
	struct mqtt_publish p = {
	        .qos = qos,
	        .retain = retain,
	        .topic = m->topic,
	        .payload = m->payload,
	};
	size_t n = codec_publish_head_size(&p, ver);
	struct wr w;

	h->msg_id = 0;
	if (n == 0 || n > sizeof h->b) {
		return false;
	}
	w = wr_make(h->b, n);
	codec_write_publish_head(&w, &p, ver);
	h->len = n;
	/* The Packet Identifier closes the 3.x head; in 5.0 the Property
	 * Length (one byte: no properties are forwarded) follows it. */
	h->pid_at = n - 2 - (ver == MQTT_V5 ? 1u : 0u);
	h->msg_id = m->id;
	h->qos = qos;
	h->retain = retain;
	return true;
}

struct span
pub_head_get(struct pub_head_cache *c, const struct msg *m, enum mqtt_ver ver,
             uint8_t qos, bool retain, bool dup, uint16_t pid)
{
	struct pub_head *h = ver == MQTT_V5 ? &c->v5 : &c->v3;

	if ((h->msg_id != m->id || h->qos != qos || h->retain != retain) &&
	    !encode(h, m, ver, qos, retain)) {
		return span_make(NULL, 0);
	}
	if (qos > 0) {
		/* [MQTT-3.3.1-1] DUP: a re-delivery; [MQTT-3.3.1-2] 0 at
		 * QoS 0, which has no Packet Identifier to patch either. */
		h->b[0] = dup ? (uint8_t)(h->b[0] | 0x08u)
		              : (uint8_t)(h->b[0] & ~0x08u);
		h->b[h->pid_at] = (uint8_t)(pid >> 8);
		h->b[h->pid_at + 1] = (uint8_t)(pid & 0xffu);
	}
	return span_make(h->b, h->len);
}
