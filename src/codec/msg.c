/*
 * msg.c - the one allocating file of codec/: struct msg.
 */
#include "msg.h"

#include "../base/alloc.h"

struct msg *
msg_new(struct span topic, struct span payload, struct span props, uint8_t qos,
        bool retain)
{
	struct msg *m;
	size_t n;

	if (topic.len > 0xffff || payload.len > MQTT_MAX_PACKET ||
	    props.len > MQTT_MAX_PACKET) {
		return NULL;
	}
	n = topic.len + payload.len + props.len;
	m = tern_malloc(sizeof(*m) + n);
	if (m == NULL) {
		return NULL;
	}
	atomic_init(&m->refs, 1);
	m->qos = qos;
	m->retain = retain;
	m->has_expiry = false;
	m->expiry = 0;
	m->received_ms = 0;
	memcpy(m->data, topic.p, topic.len);
	m->topic = span_make(m->data, topic.len);
	if (payload.len != 0) {
		memcpy(m->data + topic.len, payload.p, payload.len);
	}
	m->payload = span_make(m->data + topic.len, payload.len);
	if (props.len != 0) {
		memcpy(m->data + topic.len + payload.len, props.p, props.len);
	}
	m->props = span_make(m->data + topic.len + payload.len, props.len);
	return m;
}

void
msg_unref(struct msg *m)
{
	if (m == NULL) {
		return;
	}
	/* acq_rel: the release orders this owner's reads before the
	 * decrement; the acquire in the last owner orders the free after
	 * every other owner's decrement. (A release decrement plus an
	 * acquire fence would do, but ThreadSanitizer does not model
	 * fences.) */
	if (atomic_fetch_sub_explicit(&m->refs, 1, memory_order_acq_rel) == 1) {
		tern_free(m);
	}
}
