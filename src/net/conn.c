/*
 * conn.c - byte-level connection: partial input kept, output as chunks
 * flushed with one sendmsg() of many iovecs.
 *
 * Memory: an idle conn holds no buffers; `in` keeps only a partial packet
 * and `inl` only unwritten bytes, and both are released once empty.
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
#define CONN_KEEP_BUF 4096

void
conn_init(struct conn *c, int fd, loop_fn *fn)
{
	memset(c, 0, sizeof(*c));
	c->watch.fd = fd;
	c->watch.fn = fn;
	buf_init(&c->in);
	buf_init(&c->inl);
}

static struct conn_chunk *
chunk_at(struct conn *c, uint32_t i)
{
	return &c->chunks[(c->chunk_head + i) % c->chunk_cap];
}

static void
release_chunk(struct conn_chunk *ch)
{
	if (ch->release != NULL) {
		ch->release(ch->obj);
		ch->release = NULL;
	}
}

void
conn_fini(struct conn *c)
{
	for (uint32_t i = 0; i < c->chunk_count; i++) {
		release_chunk(chunk_at(c, i));
	}
	tern_free(c->chunks);
	c->chunks = NULL;
	c->chunk_count = 0;
	c->chunk_cap = 0;
	buf_fini(&c->in);
	buf_fini(&c->inl);
	c->out_bytes = 0;
}

static int
grow_chunks(struct conn *c)
{
	uint32_t cap = c->chunk_cap == 0 ? 8 : c->chunk_cap * 2;
	struct conn_chunk *n = tern_malloc(cap * sizeof(*n));

	if (n == NULL) {
		return TERN_ENOMEM;
	}
	for (uint32_t i = 0; i < c->chunk_count; i++) {
		n[i] = *chunk_at(c, i);
	}
	tern_free(c->chunks);
	c->chunks = n;
	c->chunk_cap = cap;
	c->chunk_head = 0;
	return 0;
}

static struct conn_chunk *
push_chunk(struct conn *c)
{
	if (c->chunk_count == c->chunk_cap && grow_chunks(c) != 0) {
		return NULL;
	}
	c->chunk_count++;
	return chunk_at(c, c->chunk_count - 1);
}

int
conn_queue_copy(struct conn *c, struct span s)
{
	struct conn_chunk *last;

	if (s.len == 0) {
		return 0;
	}
	if (buf_append(&c->inl, s) != 0) {
		return TERN_ENOMEM;
	}
	last = c->chunk_count != 0 ? chunk_at(c, c->chunk_count - 1) : NULL;
	if (last == NULL || last->p != NULL) {
		last = push_chunk(c);
		if (last == NULL) {
			c->inl.len -= s.len;
			return TERN_ENOMEM;
		}
		*last = (struct conn_chunk){NULL, 0, NULL, NULL};
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
gather(struct conn *c, struct iovec *iov)
{
	size_t inl_off = 0;
	int n = 0;

	for (uint32_t i = 0; i < c->chunk_count && n < CONN_IOV_MAX; i++) {
		struct conn_chunk *ch = chunk_at(c, i);
		if (ch->p != NULL) {
			iov[n].iov_base = (void *)ch->p;
		} else {
			iov[n].iov_base = c->inl.p + c->inl.off + inl_off;
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
	c->out_bytes -= n;
	c->bytes_out += n;
	while (n > 0) {
		struct conn_chunk *ch = chunk_at(c, 0);
		size_t k = n < ch->len ? n : ch->len;

		if (ch->p == NULL) {
			buf_consume(&c->inl, k);
		} else {
			ch->p += k;
		}
		ch->len -= k;
		n -= k;
		if (ch->len != 0) {
			break;
		}
		release_chunk(ch);
		c->chunk_head = (c->chunk_head + 1) % c->chunk_cap;
		c->chunk_count--;
	}
}

int
conn_flush(struct conn *c)
{
	struct iovec iov[CONN_IOV_MAX];

	while (c->chunk_count != 0) {
		struct msghdr mh = {0};
		ssize_t n;

		mh.msg_iov = iov;
		mh.msg_iovlen = (size_t)gather(c, iov);
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
	buf_shrink(&c->inl, CONN_KEEP_BUF);
	if (c->chunk_cap > 64) {
		tern_free(c->chunks);
		c->chunks = NULL;
		c->chunk_cap = 0;
		c->chunk_head = 0;
	}
	return 0;
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
	c->bytes_in += (uint64_t)n;
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
conn_peer_name(struct conn *c)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (getpeername(c->watch.fd, (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET) {
			struct sockaddr_in *a = (struct sockaddr_in *)&ss;
			inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
			port = ntohs(a->sin_port);
		} else if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
			inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
			port = ntohs(a->sin6_port);
		}
	}
	snprintf(c->peer, sizeof c->peer, "%s:%u", host, port);
}
