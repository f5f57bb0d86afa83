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
/* Room for "address:port" of any peer (IPv6 address, 5-digit port). */
#define CONN_PEER_STRLEN 56

typedef void conn_release_fn(void *obj);

struct conn_chunk {
	const uint8_t *p; /* NULL: the next len bytes of out->inl */
	size_t len;
	void *obj; /* released when the chunk is written */
	conn_release_fn *release;
};

/* Output storage (copy buffer and chunk ring), see conn.c. */
struct conn_out;

/* The peer's address, kept binary: formatted only for a log line. */
struct conn_peer {
	uint8_t addr[16]; /* IPv4: the first 4 bytes */
	uint16_t port;
	uint8_t family; /* 4, 6, or 0 when unknown */
};

/* A formatted peer name; see conn_peer_name(). */
struct conn_peer_str {
	char s[CONN_PEER_STRLEN];
};

/*
 * Memory: an idle conn holds no buffers. `out` exists while output is
 * queued; once the queue drains it is freed at once, unless output has
 * drained more than once since the last conn_trim() (a busy connection),
 * in which case it stays until a conn_trim() period passes without
 * output. `in` keeps only a partial packet.
 */
struct conn {
	struct loop_watch watch;
	struct buf in;        /* unconsumed input (a partial packet) */
	struct conn_out *out; /* NULL: nothing queued, nothing kept */
	size_t out_bytes;     /* queued and not yet written */
	uint64_t bytes_out;
	struct conn_peer peer;
	bool out_flowed; /* output drained since the last conn_trim() */
	bool out_keep;   /* busy: keep `out` when the queue drains */
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

/*
 * conn_trim() - call periodically (every few hundred ms): frees the output
 * storage and an empty input buffer of a conn that has had no output
 * since the previous call. Queued output is never touched.
 */
void conn_trim(struct conn *c);

/* conn_peer_record() - remember the socket's peer address, for logs. */
void conn_peer_record(struct conn *c);

/*
 * conn_peer_name() - "address:port" of the recorded peer ("?:0" when
 * unknown). The result is a value: use .s within the same expression,
 * e.g. as a log argument, or keep the struct.
 */
struct conn_peer_str conn_peer_name(const struct conn *c);

#endif
