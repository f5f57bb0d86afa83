/*
 * pubhead.h - the PUBLISH head of a message, encoded once per protocol
 * version and reused for every subscriber of that version.
 *
 * Fan-out sends one message to many sessions, and their PUBLISH heads
 * (fixed header, topic, packet id, properties: everything but the payload)
 * differ only in the DUP flag and the Packet Identifier once QoS and
 * RETAIN are the same. A cache belongs to one thread (a worker) and keeps
 * the last head it encoded per version class: 3.1 and 3.1.1 encode
 * PUBLISH alike, 5.0 adds the properties.
 */
#ifndef TERN_CODEC_PUBHEAD_H
#define TERN_CODEC_PUBHEAD_H

#include "msg.h"

/* Heads longer than this (long topics) are not cached. */
#define PUB_HEAD_MAX 320

struct pub_head {
	uint64_t msg_id; /* struct msg id; 0 = empty */
	uint8_t qos;
	bool retain;
	size_t len;
	size_t pid_at; /* offset of the Packet Identifier, when qos > 0 */
	uint8_t b[PUB_HEAD_MAX];
};

struct pub_head_cache {
	struct pub_head v3; /* 3.1 and 3.1.1 */
	struct pub_head v5;
};

/*
 * pub_head_get() - the PUBLISH head of @m as sent to a @ver client with
 * @qos (already capped by the grant), @retain, @dup and, for QoS 1 and 2,
 * @pid: a span into @c, valid until the next call on @c. Encodes only when
 * the message, QoS or RETAIN differ from the last call for that version.
 * An empty span if the head does not fit PUB_HEAD_MAX or cannot be
 * encoded; the caller then encodes it itself. Thread: @c's owner.
 */
struct span pub_head_get(struct pub_head_cache *c, const struct msg *m,
                         enum mqtt_ver ver, uint8_t qos, bool retain, bool dup,
                         uint16_t pid);

#endif
