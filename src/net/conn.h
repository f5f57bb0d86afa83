/*
 * conn.h - a non-blocking TCP connection as bytes in and bytes out.
 *
 * net/ knows nothing of MQTT: the owner reads complete units out of the
 * bytes it is handed and queues encoded bytes back. Output is a FIFO of
 * chunks: small pieces are copied into one contiguous buffer (so many small
 * packets leave in one iovec), large bodies are referenced in place with a
 * release callback (zero copy). conn_flush() writes everything queued with
 * one sendmsg() per call.
 * Thread: a conn belongs to one worker; nothing else touches it.
 */
#ifndef TERN_NET_CONN_H
#define TERN_NET_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/buf.h"
#include "../base/span.h"
#include "loop.h"

/* Bodies at least this long are referenced rather than copied. */
#define CONN_REF_MIN 1024

typedef void conn_release_fn(void *obj);

struct conn_chunk {
	const uint8_t *p; /* NULL: the next len bytes of out.inline */
	size_t len;
	void *obj; /* released when the chunk is written */
	conn_release_fn *release;
};

struct conn {
	struct loop_watch watch;
	struct buf in;             /* unconsumed input (a partial packet) */
	struct buf inl;            /* copied output bytes, in chunk order */
	struct conn_chunk *chunks; /* ring of output chunks */
	uint32_t chunk_head;
	uint32_t chunk_count;
	uint32_t chunk_cap;
	size_t out_bytes; /* queued and not yet written */
	uint64_t bytes_in;
	uint64_t bytes_out;
	char peer[64]; /* "address:port" for logs */
};

/* conn_init() - adopt connected non-blocking socket @fd. */
void conn_init(struct conn *c, int fd, loop_fn *fn);

/* conn_fini() - release queued chunks and buffers; does not close fd. */
void conn_fini(struct conn *c);

/* conn_queue_copy() - copy @s to the output. 0 or TERN_ENOMEM. */
int conn_queue_copy(struct conn *c, struct span s);

/*
 * conn_queue_ref() - queue @s by reference; @release(@obj) runs once the
 * bytes are written or the conn is finalised. Bodies shorter than
 * CONN_REF_MIN are copied and released at once. On failure (TERN_ENOMEM)
 * @release(@obj) has run too, so the caller gives up @obj either way.
 */
int conn_queue_ref(struct conn *c, struct span s, void *obj,
                   conn_release_fn *release);

/*
 * conn_flush() - write as much queued output as the socket takes.
 * 0 when everything was written, TERN_EAGAIN when the socket is full
 * (arm EPOLLOUT), TERN_EIO / TERN_ECLOSED on a dead socket.
 */
int conn_flush(struct conn *c);

/*
 * conn_read() - one read() into @scratch, or into the conn's own buffer
 * when it holds a partial packet. *data is set to all unconsumed input.
 * Returns bytes read (> 0), TERN_EAGAIN, TERN_ECLOSED or TERN_EIO.
 */
long conn_read(struct conn *c, uint8_t *scratch, size_t scratch_len,
               struct span *data);

/*
 * conn_consumed() - after conn_read(): the owner used @used bytes of the
 * span it was given; keep the rest (a partial packet) for next time.
 * 0 or TERN_ENOMEM.
 */
int conn_consumed(struct conn *c, struct span data, size_t used);

/* conn_peer_name() - fill c->peer from the socket's peer address. */
void conn_peer_name(struct conn *c);

#endif
