/*
 * msg.h - an application message: one immutable PUBLISH shared by every
 * subscriber it goes to.
 *
 * Topic, payload and forwardable MQTT 5 properties are copied once out of
 * the read buffer into one allocation; after msg_new() returns, nothing in
 * it changes but the reference count, so any thread may read it.
 */
#ifndef TERN_CODEC_MSG_H
#define TERN_CODEC_MSG_H

#include <stdatomic.h>

#include "mqtt.h"

struct msg {
	atomic_uint refs;
	uint8_t qos;          /* as published */
	bool retain;          /* as published */
	bool has_expiry;      /* v5 Message Expiry Interval was given */
	uint32_t expiry;      /* seconds, when has_expiry */
	uint64_t received_ms; /* monotonic ms at receipt */
	struct span topic;    /* into data */
	struct span payload;  /* into data */
	struct span props;    /* forwardable v5 property entries, into data */
	uint8_t data[];
};

/*
 * msg_new() - copy @topic, @payload and @props (pre-encoded property
 * entries, see codec_props_filter_copy) into a new message with one
 * reference. NULL on ENOMEM. Thread: any.
 */
struct msg *msg_new(struct span topic, struct span payload, struct span props,
                    uint8_t qos, bool retain);

static inline struct msg *
msg_ref(struct msg *m)
{
	/* Relaxed: a new reference is made from one the caller holds. */
	atomic_fetch_add_explicit(&m->refs, 1, memory_order_relaxed);
	return m;
}

/* msg_unref() - drop one reference; frees on the last. NULL is a no-op. */
void msg_unref(struct msg *m);

#endif
