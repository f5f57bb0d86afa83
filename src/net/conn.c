/*
 * conn.c - byte-level connection: partial input kept, output as chunks
 * flushed with one sendmsg() of many iovecs.
 *
 * Memory: the output storage (`struct conn_out`: the chunk ring and the
 * copy buffer `inl`) is allocated when output is queued. When the queue
 * drains it is freed, unless this is the second drain since the last
 * conn_trim(): a connection with steady output keeps its storage between
 * loop turns, so it is not regrown (realloc, memmove) every turn, and
 * gives it back after a trim period without output. So an idle conn holds
 * no output memory, and `in` only while it holds a partial packet.
 */
#include "conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "../base/alloc.h"
#include "../base/err.h"

#define CONN_IOV_MAX  64
#define CONN_KEEP_BUF 4096 /* input buffer kept while empty */
/* Output storage: ring entries to start with (a power of two), and the
 * largest ring and copy buffer a busy conn keeps once drained; a burst
 * beyond these is given back at once. One 64 KiB read of publishes can
 * queue about as much for one subscriber in one turn, so the copy buffer
 * kept is larger than that. */
#define CONN_RING_MIN  8
#define CONN_RING_KEEP 64
#define CONN_INL_KEEP  (256 * 1024)

struct conn_out {
	struct buf inl; /* copied output bytes, in chunk order */
	uint32_t head;  /* ring of cap (a power of two) chunks */
	uint32_t count;
	uint32_t cap;
	struct conn_chunk ring[];
};

void
conn_init(struct conn *c, int fd, loop_fn *fn)
{
	memset(c, 0, sizeof(*c));
	c->watch.fd = fd;
	c->watch.fn = fn;
	buf_init(&c->in);
}

static struct conn_chunk *
chunk_at(struct conn_out *o, uint32_t i)
{
	return &o->ring[(o->head + i) & (o->cap - 1)];
}

static void
release_chunk(struct conn_chunk *ch)
{
	if (ch->release != NULL) {
		ch->release(ch->obj);
		ch->release = NULL;
	}
}

/* Frees the output storage; its queue must be empty. */
static void
out_free(struct conn *c)
{
	if (c->out != NULL) {
		buf_fini(&c->out->inl);
		tern_free(c->out);
		c->out = NULL;
	}
}

void
conn_fini(struct conn *c)
{
	if (c->out != NULL) {
		for (uint32_t i = 0; i < c->out->count; i++) {
			release_chunk(chunk_at(c->out, i));
		}
		c->out->count = 0;
	}
	out_free(c);
	buf_fini(&c->in);
	c->out_bytes = 0;
}

/* Allocates the output storage, or moves it to a ring twice as large. */
static int
grow_ring(struct conn *c)
{
	struct conn_out *o = c->out;
	uint32_t cap = o == NULL ? CONN_RING_MIN : o->cap * 2;
	struct conn_out *n = tern_malloc(sizeof(*n) + cap * sizeof(n->ring[0]));

	if (n == NULL) {
		return TERN_ENOMEM;
	}
	buf_init(&n->inl);
	n->head = 0;
	n->count = 0;
	n->cap = cap;
	if (o != NULL) {
		n->inl = o->inl;
		for (uint32_t i = 0; i < o->count; i++) {
			n->ring[i] = *chunk_at(o, i);
		}
		n->count = o->count;
		tern_free(o);
	}
	c->out = n;
	return 0;
}

static struct conn_chunk *
push_chunk(struct conn *c)
{
	if ((c->out == NULL || c->out->count == c->out->cap) &&
	    grow_ring(c) != 0) {
		return NULL;
	}
	c->out->count++;
	return chunk_at(c->out, c->out->count - 1);
}

/* The last chunk if it is a copy chunk that can take more bytes. */
static struct conn_chunk *
last_copy_chunk(struct conn *c)
{
	struct conn_chunk *last;

	if (c->out == NULL || c->out->count == 0) {
		return NULL;
	}
	last = chunk_at(c->out, c->out->count - 1);
	return last->p == NULL ? last : NULL;
}

int
conn_queue_copy(struct conn *c, struct span s)
{
	struct conn_chunk *last;

	if (s.len == 0) {
		return 0;
	}
	last = last_copy_chunk(c);
	if (last == NULL) {
		last = push_chunk(c);
		if (last == NULL) {
			return TERN_ENOMEM;
		}
		*last = (struct conn_chunk){NULL, 0, NULL, NULL};
	}
	if (buf_append(&c->out->inl, s) != 0) {
		if (last->len == 0) {
			c->out->count--; /* an empty chunk would never drain */
		}
		return TERN_ENOMEM;
	}
	last->len += s.len;
	c->out_bytes += s.len;
	return 0;
}

int
conn_queue_ref(struct conn *c, struct span s, void *obj,
               conn_release_fn *release)
{
	struct conn_chunk *ch;
	int err;

	if (s.len < CONN_REF_MIN) {
		err = conn_queue_copy(c, s);
		release(obj);
		return err;
	}
	ch = push_chunk(c);
	if (ch == NULL) {
		release(obj);
		return TERN_ENOMEM;
	}
	*ch = (struct conn_chunk){s.p, s.len, obj, release};
	c->out_bytes += s.len;
	return 0;
}

/* Fill @iov from the queued chunks; returns the count. */
static int
gather(struct conn_out *o, struct iovec *iov)
{
	size_t inl_off = 0;
	int n = 0;

	for (uint32_t i = 0; i < o->count && n < CONN_IOV_MAX; i++) {
		struct conn_chunk *ch = chunk_at(o, i);
		if (ch->p != NULL) {
			iov[n].iov_base = (void *)ch->p;
		} else {
			iov[n].iov_base = o->inl.p + o->inl.off + inl_off;
			inl_off += ch->len;
		}
		iov[n].iov_len = ch->len;
		n++;
	}
	return n;
}

/* Drop @n written bytes from the front of the chunk queue. */
static void
advance(struct conn *c, size_t n)
{
	struct conn_out *o = c->out;

	c->out_bytes -= n;
	c->bytes_out += n;
	while (n > 0) {
		struct conn_chunk *ch = chunk_at(o, 0);
		size_t k = n < ch->len ? n : ch->len;

		if (ch->p == NULL) {
			buf_consume(&o->inl, k);
		} else {
			ch->p += k;
		}
		ch->len -= k;
		n -= k;
		if (ch->len != 0) {
			break;
		}
		release_chunk(ch);
		o->head = (o->head + 1) & (o->cap - 1);
		o->count--;
	}
}

/* The queue is empty: keep the storage only for a busy conn. */
static void
on_drained(struct conn *c)
{
	/* A second drain before the next conn_trim() marks the conn busy. */
	if (c->out_flowed) {
		c->out_keep = true;
	}
	c->out_flowed = true;
	if (!c->out_keep || c->out->cap > CONN_RING_KEEP) {
		out_free(c);
		return;
	}
	buf_shrink(&c->out->inl, CONN_INL_KEEP);
}

int
conn_flush(struct conn *c)
{
	struct iovec iov[CONN_IOV_MAX];

	if (c->out == NULL || c->out->count == 0) {
		return 0;
	}
	while (c->out->count != 0) {
		struct msghdr mh = {0};
		ssize_t n;

		mh.msg_iov = iov;
		mh.msg_iovlen = (size_t)gather(c->out, iov);
		n = sendmsg(c->watch.fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			int e = errno;
			if (e == EAGAIN || e == EWOULDBLOCK) {
				return TERN_EAGAIN;
			}
			if (e == EINTR) {
				continue;
			}
			return e == EPIPE || e == ECONNRESET ? TERN_ECLOSED
			                                     : TERN_EIO;
		}
		advance(c, (size_t)n);
	}
	on_drained(c);
	return 0;
}

void
conn_trim(struct conn *c)
{
	if (!c->out_flowed) {
		c->out_keep = false;
		if (c->out != NULL && c->out->count == 0) {
			out_free(c);
		}
		buf_shrink(&c->in, 0);
	}
	c->out_flowed = false;
}

long
conn_read(struct conn *c, uint8_t *scratch, size_t scratch_len,
          struct span *data)
{
	uint8_t *dst = scratch;
	size_t room = scratch_len;
	ssize_t n;

	if (c->in.len != 0) {
		if (buf_reserve(&c->in, scratch_len) != 0) {
			return TERN_ENOMEM;
		}
		dst = buf_tail(&c->in);
		room = buf_room(&c->in);
	}
	n = read(c->watch.fd, dst, room);
	if (n < 0) {
		int e = errno;
		if (e == EAGAIN || e == EWOULDBLOCK || e == EINTR) {
			return TERN_EAGAIN;
		}
		return e == ECONNRESET ? TERN_ECLOSED : TERN_EIO;
	}
	if (n == 0) {
		return TERN_ECLOSED;
	}
	if (dst == scratch) {
		*data = span_make(scratch, (size_t)n);
	} else {
		c->in.len += (size_t)n;
		*data = buf_span(&c->in);
	}
	return n;
}

int
conn_consumed(struct conn *c, struct span data, size_t used)
{
	if (c->in.len != 0 && data.p == c->in.p + c->in.off) {
		buf_consume(&c->in, used);
		buf_shrink(&c->in, CONN_KEEP_BUF);
		return 0;
	}
	/* The bytes were in the worker's scratch: keep the partial tail. */
	return buf_append(&c->in, span_make(data.p + used, data.len - used));
}

void
conn_peer_record(struct conn *c)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;

	memset(&c->peer, 0, sizeof c->peer);
	if (getpeername(c->watch.fd, (struct sockaddr *)&ss, &sl) != 0) {
		return;
	}
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		memcpy(c->peer.addr, &a->sin_addr, sizeof a->sin_addr);
		c->peer.port = ntohs(a->sin_port);
		c->peer.family = 4;
	} else if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		memcpy(c->peer.addr, &a->sin6_addr, sizeof a->sin6_addr);
		c->peer.port = ntohs(a->sin6_port);
		c->peer.family = 6;
	}
}

struct conn_peer_str
conn_peer_name(const struct conn *c)
{
	struct conn_peer_str out;
	char host[INET6_ADDRSTRLEN] = "?";
	int af = c->peer.family == 4   ? AF_INET
	         : c->peer.family == 6 ? AF_INET6
	                               : AF_UNSPEC;

	if (af != AF_UNSPEC &&
	    inet_ntop(af, c->peer.addr, host, sizeof host) == NULL) {
		snprintf(host, sizeof host, "?");
	}
	snprintf(out.s, sizeof out.s, "%s:%u", host, (unsigned)c->peer.port);
	return out;
}
