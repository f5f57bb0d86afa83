/*
 * msg.c - the one allocating file of codec/: struct msg.
 */
#include "msg.h"

#include "../base/alloc.h"

struct msg *
msg_new(struct span topic, struct span payload, struct span props,
        uint8_t qos, bool retain)
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
	/* Release pairs with the acquire fence of the last owner, so every
	 * reader's loads happen before the free. */
	if (atomic_fetch_sub_explicit(&m->refs, 1, memory_order_release) == 1) {
		atomic_thread_fence(memory_order_acquire);
		tern_free(m);
	}
}
