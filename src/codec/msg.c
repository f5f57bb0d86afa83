/*
 * msg.c - the one allocating file of codec/: struct msg.
 *
 * A message is usually freed by another worker than the one that made it
 * (the subscriber's), so small messages come from the maker's pool and go
 * back to it (pool.h says why). Which pool a thread takes from is the one
 * piece of thread-local state here: msg_new() and msg_unref() are called
 * from code that has no worker at hand.
 */
#include "msg.h"

#include "../base/alloc.h"

static _Thread_local struct pool *thread_pool;

/* Message ids: each thread takes a block of them at a time, so making a
 * message costs no shared write. Blocks start at 1: 0 means none. */
#define MSG_ID_BLOCK (1u << 20)
static _Atomic uint64_t next_id_block = 1;
static _Thread_local uint64_t id_next, id_end;

static uint64_t
new_msg_id(void)
{
	if (id_next == id_end) {
		/* Relaxed: only uniqueness matters, which the RMW gives. */
		id_next = atomic_fetch_add_explicit(
		        &next_id_block, MSG_ID_BLOCK, memory_order_relaxed);
		id_end = id_next + MSG_ID_BLOCK;
	}
	return id_next++;
}

void
msg_pool_attach(struct pool *p)
{
	thread_pool = p;
}

/* Room for a message of @n data bytes: from this thread's pool when it
 * fits, else from malloc. */
static struct msg *
msg_alloc(size_t n)
{
	struct msg *m;

	if (thread_pool != NULL && sizeof(*m) + n <= MSG_POOL_BLOCK) {
		m = pool_get(thread_pool);
		if (m != NULL) {
			m->home = thread_pool;
		}
		return m;
	}
	m = tern_malloc(sizeof(*m) + n);
	if (m != NULL) {
		m->home = NULL;
	}
	return m;
}

static void
msg_release(struct msg *m)
{
	if (m->home == NULL) {
		tern_free(m);
	} else {
		pool_release(m->home, thread_pool, m);
	}
}

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
	m = msg_alloc(n);
	if (m == NULL) {
		return NULL;
	}
	atomic_init(&m->refs, 1);
	m->id = new_msg_id();
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
	/* The sole reference (the common case for a message that went to
	 * one local subscriber or none) needs no read-modify-write: nobody
	 * else holds one, so nobody can make another. The acquire pairs
	 * with the release of the other owners' decrements. */
	if (atomic_load_explicit(&m->refs, memory_order_acquire) == 1 ||
	    atomic_fetch_sub_explicit(&m->refs, 1, memory_order_acq_rel) == 1) {
		msg_release(m);
	}
}
