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

#include "../base/pool.h"
#include "mqtt.h"

/* Messages whose struct and data fit in this many bytes come from the
 * allocating thread's pool (msg_pool_attach), the others from malloc. */
#define MSG_POOL_BLOCK 512
/* Free pooled messages a thread keeps for reuse (128 KiB). */
#define MSG_POOL_KEEP 256

struct msg {
	atomic_uint refs;
	uint64_t id;          /* unique among the messages made; never 0 */
	uint8_t qos;          /* as published */
	bool retain;          /* as published */
	bool has_expiry;      /* v5 Message Expiry Interval was given */
	uint32_t expiry;      /* seconds, when has_expiry */
	uint64_t received_ms; /* monotonic ms at receipt */
	struct span topic;    /* into data */
	struct span payload;  /* into data */
	struct span props;    /* forwardable v5 property entries, into data */
	struct pool *home;    /* the pool it came from, or NULL (malloc) */
	uint8_t data[];
};

/*
 * msg_pool_attach() - take messages that fit MSG_POOL_BLOCK from @p in this
 * thread, and give them back to it when their last reference goes away,
 * whichever thread drops it. @p is borrowed; it must outlive every message
 * taken from it (pool_fini once no thread holds one). NULL detaches.
 * Thread: the one that owns @p (see pool.h).
 */
void msg_pool_attach(struct pool *p);

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
