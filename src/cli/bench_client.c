/*
 * bench_client.c - one `tern bench` connection: a non-blocking socket and
 * the MQTT state machine that drives it, through the codec.
 *
 *   IDLE -> TCP (connect() in progress) -> CONNACK (CONNECT sent)
 *        -> SUBACK (subscribers: SUBSCRIBE sent) -> READY -> CLOSED
 *
 * Output is queued in the client's buffer and written once per loop turn
 * by the worker. Input is read in large pieces and every whole packet in
 * it is handled before the next read; when the output buffer has no room
 * for a reply, the rest of the input waits (rx_held) until it has.
 *
 * Publishers take a packet id from a free stack for each QoS 1/2 message
 * and give it back on PUBACK / PUBCOMP, so at most --inflight (or the
 * broker's Receive Maximum) flows are open. A token bucket paces them when
 * --rate is set. Subscribers account every message with a bench header:
 * latency, and per publisher, duplicates and order.
 *
 * Thread: the worker that owns the client, for all of it.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../base/clock.h"
#include "bench.h"

/* Room kept free for the reply to one incoming packet (an ack). */
#define REPLY_MAX 16u

enum note { NOTE_NEW, NOTE_LATE, NOTE_OLD, NOTE_DUP, NOTE_UNTRACKED };

struct bench_hdr {
	uint64_t ts;
	uint32_t pub;
	uint32_t seq;
};

static void
client_id(const struct bench_client *c, char *buf, size_t cap)
{
	/* (void): the prefix is at most 40 bytes, the buffer 64. */
	(void)snprintf(buf, cap, "%s%c%u", c->w->b->id_prefix, "cps"[c->role],
	               c -> idx);
}

/* fail() - bench_client_fail() for handlers: returns TERN_ECLOSED. */
static int
fail(struct bench_client *c, const char *why)
{
	bench_client_fail(c, why);
	return TERN_ECLOSED;
}

static void
fail_errno(struct bench_client *c, const char *what, int err)
{
	char msg[128], buf[96];

	/* GNU strerror_r: returns the message, maybe not in @buf. */
	(void)snprintf(msg, sizeof msg, "%s: %s", what,
	               strerror_r(err, buf, sizeof buf));
	bench_client_fail(c, msg);
}

void
bench_client_fail(struct bench_client *c, const char *why)
{
	struct bench_worker *w = c->w;

	if (c->state == ST_CLOSED) {
		return;
	}
	if (w->first_err[0] == '\0') {
		char id[64];

		client_id(c, id, sizeof id);
		/* (void): a truncated message is still a message. */
		(void)snprintf(w->first_err, sizeof w->first_err,
		               "%s (%.80s): %.100s", id, c->target->name, why);
	}
	if (c->state == ST_READY) {
		bench_ctr_add(&w->ctr.lost, 1);
	} else {
		bench_ctr_add(&w->ctr.failed, 1);
		bench_ctr_add(&w->ctr.resolved, 1);
	}
	bench_client_close(c, false);
}

/* Output room once what was written is moved out of the way. */
static size_t
out_room(const struct bench_client *c)
{
	return c->out_cap - (c->out_len - c->out_off);
}

/* Room for @n more bytes at c->out + c->out_len, or NULL. */
static uint8_t *
out_reserve(struct bench_client *c, size_t n)
{
	if (c->out_cap - c->out_len < n && c->out_off > 0) {
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	if (c->out_cap - c->out_len < n) {
		return NULL;
	}
	return c->out + c->out_len;
}

/* Encode @p into the output buffer; false when it does not fit. */
static bool
queue_packet(struct bench_client *c, const struct mqtt_packet *p)
{
	enum mqtt_ver ver = c->w->b->o.ver;
	size_t n = codec_size(p, ver);
	uint8_t *dst = n != 0 ? out_reserve(c, n) : NULL;
	struct wr wr;

	if (dst == NULL) {
		return false;
	}
	wr = wr_make(dst, n);
	codec_write(&wr, p, ver);
	c->out_len += n;
	c->t_tx = c->w->now;
	bench_dirty_add(c);
	return true;
}

static int
reply(struct bench_client *c, uint8_t type, uint16_t pid)
{
	struct mqtt_packet p = {.type = type};

	p.u.ack.pid = pid;
	/* parse() keeps REPLY_MAX bytes free for this. */
	return queue_packet(c, &p) ? 0 : fail(c, "output buffer full");
}

static bool
queue_connect(struct bench_client *c)
{
	const struct bench_opts *o = &c->w->b->o;
	struct mqtt_packet p = {.type = MQTT_CONNECT};
	struct mqtt_connect *k = &p.u.connect;
	char id[64];

	client_id(c, id, sizeof id);
	k->ver = o->ver;
	k->clean = o->clean;
	k->keepalive = (uint16_t)o->keepalive;
	k->client_id = span_str(id);
	k->has_username = o->user != NULL;
	k->username = span_str(o->user != NULL ? o->user : "");
	k->has_password = o->pass != NULL;
	k->password = span_str(o->pass != NULL ? o->pass : "");
	if (o->ver == MQTT_V5 && !o->clean) {
		/* A session that outlives the connection needs an expiry. */
		k->props.present = MQTT_PROP_BIT(MQTT_PROP_SESSION_EXPIRY);
		k->props.session_expiry = 3600;
	}
	return queue_packet(c, &p);
}

static bool
queue_subscribe(struct bench_client *c)
{
	struct mqtt_packet p = {.type = MQTT_SUBSCRIBE};
	struct mqtt_sub_entry e = {0};

	e.filter = span_make(c->topic, c->topic_len);
	e.qos = (uint8_t)c->w->b->o.qos;
	p.u.subscribe.pid = 1;
	p.u.subscribe.count = 1;
	p.u.subscribe.entries = &e;
	return queue_packet(c, &p);
}

void
bench_client_connect(struct bench_client *c)
{
	const struct bench_target *t = c->target;
	int one = 1, err;

	c->t_start = c->w->now;
	c->state = ST_TCP;
	c->fd = socket(t->addr.ss_family,
	               SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		fail_errno(c, "socket", errno);
		return;
	}
	/* (void): without it, writes are batched a little later; harmless. */
	(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (connect(c->fd, (const struct sockaddr *)&t->addr, t->addr_len) !=
	            0 &&
	    errno != EINPROGRESS) {
		err = errno;
		fail_errno(c, "connect", err);
		return;
	}
	if (!bench_epoll_set(c, EPOLLOUT)) {
		fail_errno(c, "epoll", errno);
	}
}

/* The TCP connection is up (or failed): send CONNECT. */
static void
tcp_done(struct bench_client *c)
{
	int err = 0;
	socklen_t len = sizeof err;

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
		err = errno;
	}
	if (err != 0) {
		fail_errno(c, "connect", err);
		return;
	}
	c->state = ST_CONNACK;
	if (!bench_epoll_set(c, EPOLLIN)) {
		fail_errno(c, "epoll", errno);
		return;
	}
	if (!queue_connect(c)) {
		bench_client_fail(c, "CONNECT does not fit the buffer");
	}
}

/* Connected (and subscribed): count it, and tell the main thread. */
static void
ready(struct bench_client *c)
{
	struct bench_worker *w = c->w;

	c->state = ST_READY;
	bench_ctr_add(&w->ctr.ready, 1);
	bench_ctr_add(&w->ctr.resolved, 1);
	if (c->role == ROLE_SUB) {
		/* Pairs with the load-acquire in the main thread's
		 * compute_matches(). */
		atomic_store_explicit(&w->b->sub_ok[c->idx], 1,
		                      memory_order_release);
	}
}

/* The QoS 1/2 window: --inflight, or less if the broker says so. */
static void
pub_window(struct bench_client *c, const struct mqtt_connack *a)
{
	const struct bench_opts *o = &c->w->b->o;
	long win = o->qos > 0 ? o->inflight : 0;

	if (o->ver == MQTT_V5 && o->qos > 0 &&
	    mqtt_props_has(&a->props, MQTT_PROP_RECEIVE_MAX) &&
	    a->props.receive_max < win) {
		win = a->props.receive_max; /* [MQTT-3.3.4-9] */
	}
	c->window = (uint16_t)win;
	c->n_free = c->window;
	for (uint16_t i = 0; i < c->window; i++) {
		c->free_pids[i] = (uint16_t)(c->window - i);
		c->slot_t[i] = 0;
	}
}

static int
on_connack(struct bench_client *c, const struct mqtt_connack *a)
{
	struct bench_worker *w = c->w;
	char why[64];

	if (c->state != ST_CONNACK) {
		return fail(c, "CONNACK out of turn");
	}
	if (a->rc != 0) {
		(void)snprintf(why, sizeof why,
		               "connection refused (CONNACK code 0x%02x)",
		               a->rc);
		return fail(c, why);
	}
	bench_ctr_add(&w->ctr.connected, 1);
	bench_hist_add(&w->conn_lat, w->now - c->t_start);
	if (c->role == ROLE_PUB) {
		pub_window(c, a);
	}
	if (c->role != ROLE_SUB) {
		ready(c);
		return 0;
	}
	c->state = ST_SUBACK;
	return queue_subscribe(c) ? 0 : fail(c, "SUBSCRIBE does not fit");
}

static int
on_suback(struct bench_client *c, const struct mqtt_suback *a)
{
	struct rd r = rd_make(a->rcs);
	uint8_t rc = 0x80;
	char why[64];

	if (c->state != ST_SUBACK || a->pid != 1) {
		return fail(c, "SUBACK out of turn");
	}
	if (rd_u8(&r, &rc) != 0 || rc >= 0x80) {
		(void)snprintf(why, sizeof why,
		               "subscription refused (SUBACK code 0x%02x)", rc);
		return fail(c, why);
	}
	ready(c);
	return 0;
}

static bool
read_hdr(struct span payload, struct bench_hdr *h)
{
	struct rd r = rd_make(payload);
	uint32_t hi, lo;

	if (rd_u32(&r, &hi) != 0 || rd_u32(&r, &lo) != 0 ||
	    rd_u32(&r, &h->pub) != 0 || rd_u32(&r, &h->seq) != 0) {
		return false;
	}
	h->ts = (uint64_t)hi << 32 | lo;
	return true;
}

/* Note sequence number @seq in @s: new, late (out of order), too old to
 * tell, or a duplicate. */
static int
stream_see(struct bench_stream *s, uint32_t seq, bool counted)
{
	int64_t q = seq;
	uint64_t bit = (uint64_t)1 << (seq % 64);
	size_t word = (size_t)(seq % BENCH_WIN) / 64;

	if (q > s->top) {
		if (q - s->top >= (int64_t)BENCH_WIN) {
			memset(s->seen, 0, sizeof s->seen);
		}
		for (int64_t k = s->top + 1; k < q && q - k < BENCH_WIN; k++) {
			s->seen[(size_t)(k % BENCH_WIN) / 64] &=
			        ~((uint64_t)1 << (k % 64));
		}
		s->seen[word] |= bit;
		s->top = q;
		return NOTE_NEW;
	}
	if (s->top - q >= (int64_t)BENCH_WIN) {
		s->ooo += counted;
		return NOTE_OLD;
	}
	if ((s->seen[word] & bit) != 0) {
		s->dups += counted;
		return NOTE_DUP;
	}
	s->seen[word] |= bit;
	s->ooo += counted;
	return NOTE_LATE;
}

static int
stream_note(struct bench_client *c, const struct bench_hdr *h, bool counted)
{
	struct bench *b = c->w->b;
	struct bench_stream *s;
	int note;

	if (h->pub < c->first_pub || h->pub - c->first_pub >= c->n_pub) {
		return NOTE_UNTRACKED;
	}
	s = &c->streams[h->pub - c->first_pub];
	if (b->stream_mu == NULL) {
		return stream_see(s, h->seq, counted);
	}
	/* Shared streams: the group's members may be on other workers. */
	pthread_mutex_lock(&b->stream_mu[s - b->streams]);
	note = stream_see(s, h->seq, counted);
	pthread_mutex_unlock(&b->stream_mu[s - b->streams]);
	return note;
}

/*
 * Was a message sent at @ts by this run (not by an earlier run whose
 * messages the broker still delivers), and inside the measured window?
 * A message without a header is judged by its arrival: @ts is then now.
 */
static void
judge(const struct bench_worker *w, uint64_t ts, bool *ours, bool *counted)
{
	/* A publisher on another worker may have started before this one
	 * saw the phase change: ask the shared phase then. */
	int ph = w->phase >= PH_RUN ? w->phase : bench_phase(w->b);

	*ours = ph >= PH_RUN && ts >= w->b->t_go;
	*counted = *ours && ts >= w->b->t_measure;
}

static void
account(struct bench_client *c, struct span payload)
{
	struct bench_worker *w = c->w;
	struct bench_hdr h = {0};
	bool tagged = read_hdr(payload, &h), ours, counted;
	int note = NOTE_UNTRACKED;

	judge(w, tagged ? h.ts : w->now, &ours, &counted);
	bench_ctr_add(&w->ctr.recv_all, 1);
	if (!ours) {
		return;
	}
	if (tagged) {
		note = stream_note(c, &h, counted);
	}
	if (!counted) {
		return;
	}
	bench_ctr_add(&w->ctr.received, 1);
	if (w->now >
	    atomic_load_explicit(&w->ctr.last_rx_us, memory_order_relaxed)) {
		atomic_store_explicit(&w->ctr.last_rx_us, w->now,
		                      memory_order_relaxed);
	}
	if (note == NOTE_DUP) {
		bench_ctr_add(&w->ctr.dups, 1);
		return;
	}
	if (note == NOTE_LATE || note == NOTE_OLD) {
		bench_ctr_add(&w->ctr.ooo, 1);
	} else if (note == NOTE_UNTRACKED) {
		bench_ctr_add(&w->ctr.untracked, 1);
	}
	if (tagged) {
		bench_hist_add(&w->lat, w->now >= h.ts ? w->now - h.ts : 0);
	}
}

static int
on_publish(struct bench_client *c, const struct mqtt_publish *p)
{
	account(c, p->payload);
	if (p->qos == 1) {
		return reply(c, MQTT_PUBACK, p->pid);
	}
	if (p->qos == 2) {
		return reply(c, MQTT_PUBREC, p->pid);
	}
	return 0;
}

/* A publisher has sent all it will and nothing is in flight. */
static void
pub_check_done(struct bench_client *c)
{
	const struct bench_opts *o = &c->w->b->o;
	bool finished = (o->count != 0 && c->seq >= (uint64_t)o->count) ||
	                c->w->phase >= PH_DRAIN;

	if (!c->done && finished && c->n_free == c->window) {
		c->done = true;
		bench_ctr_add(&c->w->ctr.pubs_done, 1);
	}
}

/* The flow of packet id @pid is complete; false if it was not open. */
static bool
slot_release(struct bench_client *c, uint16_t pid, uint8_t rc)
{
	struct bench_worker *w = c->w;
	uint64_t t;

	if (pid == 0 || pid > c->window || c->slot_t[pid - 1] == 0) {
		return false;
	}
	t = c->slot_t[pid - 1];
	bench_hist_add(&w->ack_lat, w->now >= t ? w->now - t : 0);
	c->slot_t[pid - 1] = 0;
	c->free_pids[c->n_free++] = pid;
	bench_ctr_add(&w->ctr.acked, 1);
	bench_ctr_sub(&w->ctr.inflight, 1);
	if (rc >= 0x80) {
		bench_ctr_add(&w->ctr.nacked, 1);
	}
	if (w->phase == PH_RUN) {
		bench_run_add(c);
	} else {
		pub_check_done(c);
	}
	return true;
}

/* PUBACK (QoS 1) or PUBCOMP (QoS 2). */
static int
on_done(struct bench_client *c, uint8_t type, const struct mqtt_ack *a)
{
	long qos = c->w->b->o.qos;

	if (c->role != ROLE_PUB || (type == MQTT_PUBACK) != (qos == 1)) {
		return fail(c, "acknowledgement of the wrong kind");
	}
	if (!slot_release(c, a->pid, a->rc)) {
		return fail(c, "acknowledgement for a packet id not in flight");
	}
	return 0;
}

static int
on_pubrec(struct bench_client *c, const struct mqtt_ack *a)
{
	if (c->role != ROLE_PUB || c->w->b->o.qos != 2 || a->pid == 0 ||
	    a->pid > c->window || c->slot_t[a->pid - 1] == 0) {
		return fail(c, "PUBREC for a packet id not in flight");
	}
	if (a->rc >= 0x80) {
		/* MQTT 5: refused; the flow ends here. (void): the id was
		 * checked to be in flight just above. */
		(void)slot_release(c, a->pid, a->rc);
		return 0;
	}
	return reply(c, MQTT_PUBREL, a->pid);
}

static int
handle(struct bench_client *c, const struct mqtt_fixed *fh, struct span body)
{
	struct mqtt_packet p;

	if (codec_decode(fh, body, c->w->b->o.ver, &p) != 0) {
		return fail(c, "undecodable packet from the broker");
	}
	switch (p.type) {
	case MQTT_CONNACK:
		return on_connack(c, &p.u.connack);
	case MQTT_SUBACK:
		return on_suback(c, &p.u.suback);
	case MQTT_PUBLISH:
		return on_publish(c, &p.u.publish);
	case MQTT_PUBACK:
	case MQTT_PUBCOMP:
		return on_done(c, p.type, &p.u.ack);
	case MQTT_PUBREC:
		return on_pubrec(c, &p.u.ack);
	case MQTT_PUBREL:
		return reply(c, MQTT_PUBCOMP, p.u.ack.pid);
	case MQTT_PINGRESP:
		return 0;
	case MQTT_DISCONNECT:
		return fail(c, "DISCONNECT from the broker");
	default:
		return fail(c, "unexpected packet from the broker");
	}
}

/* Stop parsing until the output buffer has room for replies. */
static void
hold(struct bench_client *c)
{
	c->rx_held = true;
	if (!bench_epoll_set(c, c->events & ~(uint32_t)EPOLLIN)) {
		fail_errno(c, "epoll", errno);
	}
}

/* Handle every whole packet in the input buffer. */
static void
parse(struct bench_client *c)
{
	const struct codec_limits *lim = &c->w->b->lim;
	size_t off = 0;

	while (c->state != ST_CLOSED && off < c->in_len) {
		struct mqtt_fixed fh;
		int err = codec_frame(c->in + off, c->in_len - off, lim, &fh);

		if (err == TERN_EAGAIN) {
			break;
		}
		if (err != 0) {
			bench_client_fail(c, "bad packet from the broker");
			return;
		}
		if (out_room(c) < REPLY_MAX) {
			hold(c);
			break;
		}
		if (handle(c, &fh,
		           span_make(c->in + off + fh.hdr_len, fh.body_len)) !=
		    0) {
			return;
		}
		off += fh.hdr_len + fh.body_len;
	}
	if (c->state != ST_CLOSED && off > 0) {
		memmove(c->in, c->in + off, c->in_len - off);
		c->in_len -= off;
	}
}

/* A packet larger than the input buffer: make room (once per size). */
static bool
in_grow(struct bench_client *c)
{
	size_t max = c->w->b->lim.max_packet;
	size_t cap = c->in_cap * 2 < max ? c->in_cap * 2 : max;
	uint8_t *p;

	if (cap <= c->in_cap) {
		return false;
	}
	p = realloc(c->in, cap);
	if (p == NULL) {
		return false;
	}
	c->in = p;
	c->in_cap = cap;
	return true;
}

static void
client_read(struct bench_client *c)
{
	ssize_t n;

	if (c->rx_held) {
		return;
	}
	if (c->in_len == c->in_cap && !in_grow(c)) {
		bench_client_fail(c, "packet too large for the input buffer");
		return;
	}
	n = read(c->fd, c->in + c->in_len, c->in_cap - c->in_len);
	if (n == 0) {
		bench_client_fail(c, "connection closed by the broker");
		return;
	}
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR) {
			fail_errno(c, "read", errno);
		}
		return;
	}
	c->in_len += (size_t)n;
	c->w->now = clock_mono_us();
	parse(c);
}

void
bench_client_io(struct bench_client *c, uint32_t events)
{
	if (c->state == ST_CLOSED || c->fd < 0) {
		return;
	}
	if (c->state == ST_TCP) {
		tcp_done(c);
		return;
	}
	if ((events & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0) {
		client_read(c);
	}
	if (c->state != ST_CLOSED && (events & EPOLLOUT) != 0) {
		bench_client_flush(c);
	}
}

void
bench_client_flush(struct bench_client *c)
{
	uint32_t ev = c->events & ~(uint32_t)EPOLLOUT;

	if (c->state == ST_CLOSED || c->state == ST_TCP) {
		return;
	}
	if (c->out_len > c->out_off) {
		ssize_t n = send(c->fd, c->out + c->out_off,
		                 c->out_len - c->out_off, MSG_NOSIGNAL);

		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			fail_errno(c, "write", errno);
			return;
		}
		c->out_off += n > 0 ? (size_t)n : 0;
	}
	if (c->out_off == c->out_len) {
		c->out_off = 0;
		c->out_len = 0;
		if (c->want_out) {
			c->want_out = false;
			bench_run_add(c);
		}
	} else {
		ev |= EPOLLOUT; /* the kernel's buffer is full: wait */
	}
	if (c->rx_held && out_room(c) >= REPLY_MAX) {
		bench_run_add(c);
	}
	if (!bench_epoll_set(c, ev)) {
		fail_errno(c, "epoll", errno);
	}
}

void
bench_client_start(struct bench_client *c)
{
	const struct bench *b = c->w->b;
	double rate = b->o.rate;

	c->matches = b->matches[c->idx];
	if (rate <= 0) {
		bench_run_add(c);
		return;
	}
	/* Spread the publishers' first messages over one interval. */
	c->due = b->t_go +
	         (uint64_t)(1e6 / rate * (double)c->idx / (double)b->o.pubs);
	c->t_fill = c->due;
	c->tokens = 1;
	bench_timer_add(c);
}

/* Add the tokens earned since the last refill; at most 50 ms' worth (and
 * at least one) can be saved up. */
static void
refill(struct bench_client *c, uint64_t now)
{
	double rate = c->w->b->o.rate;
	double burst = rate / 20 > 1 ? rate / 20 : 1;

	if (now > c->t_fill) {
		c->tokens += (double)(now - c->t_fill) * rate / 1e6;
		c->t_fill = now;
	}
	if (c->tokens > burst) {
		c->tokens = burst;
	}
}

/* Queue one PUBLISH stamped @now. The room is reserved. */
static void
pub_one(struct bench_client *c, uint64_t now)
{
	struct bench_worker *w = c->w;
	const struct bench_opts *o = &w->b->o;
	struct mqtt_publish p = {0};
	struct wr wr = wr_make(c->out + c->out_len, c->pub_len);

	p.qos = (uint8_t)o->qos;
	p.topic = span_make(c->topic, c->topic_len);
	p.payload.len = (size_t)o->size;
	if (o->qos > 0) {
		p.pid = c->free_pids[--c->n_free];
		c->slot_t[p.pid - 1] = now;
		bench_ctr_add(&w->ctr.inflight, 1);
	}
	codec_write_publish_head(&wr, &p, o->ver);
	wr_u32(&wr, (uint32_t)(now >> 32));
	wr_u32(&wr, (uint32_t)now);
	wr_u32(&wr, c->idx);
	wr_u32(&wr, c->seq++);
	wr_bytes(&wr, span_make(w->b->filler, (size_t)o->size - BENCH_HDR));
	c->out_len += c->pub_len;
	c->t_tx = now;
	bench_ctr_add(&w->ctr.sent_all, 1);
	if (now >= w->b->t_measure) {
		c->sent++;
		bench_ctr_add(&w->ctr.sent, 1);
		bench_ctr_add(&w->ctr.expected, c->matches);
	}
}

/* Publish what the window, the tokens and the output buffer allow. */
static void
pub_fill(struct bench_client *c)
{
	const struct bench_opts *o = &c->w->b->o;
	uint64_t now = clock_mono_us();

	if (c->state != ST_READY || c->done || c->w->phase != PH_RUN) {
		pub_check_done(c);
		return;
	}
	c->w->now = now;
	if (o->rate > 0) {
		refill(c, now);
	}
	while (o->count == 0 || c->seq < (uint64_t)o->count) {
		if (o->qos > 0 && c->n_free == 0) {
			break; /* an ack queues us again */
		}
		if (o->rate > 0 && c->tokens < 1) {
			c->due = now +
			         (uint64_t)((1 - c->tokens) * 1e6 / o->rate) +
			         1;
			bench_timer_add(c);
			break;
		}
		if (out_reserve(c, c->pub_len) == NULL) {
			c->want_out = true; /* the flush queues us again */
			break;
		}
		pub_one(c, now);
		c->tokens -= o->rate > 0 ? 1 : 0;
	}
	if (c->out_len > c->out_off) {
		bench_dirty_add(c);
	}
	pub_check_done(c);
}

void
bench_client_work(struct bench_client *c)
{
	if (c->state == ST_CLOSED) {
		return;
	}
	if (c->rx_held && out_room(c) >= REPLY_MAX) {
		c->rx_held = false;
		if (!bench_epoll_set(c, c->events | EPOLLIN)) {
			fail_errno(c, "epoll", errno);
			return;
		}
		parse(c);
	}
	if (c->role == ROLE_PUB && c->state != ST_CLOSED) {
		pub_fill(c);
	}
}

void
bench_client_tick(struct bench_client *c)
{
	const struct bench_opts *o = &c->w->b->o;
	uint64_t now = c->w->now;

	if (c->state == ST_CLOSED || c->state == ST_IDLE) {
		return;
	}
	if (c->state != ST_READY) {
		if ((double)(now - c->t_start) > o->connect_timeout * 1e6) {
			bench_client_fail(c, "timed out connecting");
		}
		return;
	}
	/* Ping at half the keep-alive: the broker allows one and a half. */
	if (o->keepalive > 0 &&
	    now - c->t_tx >= (uint64_t)o->keepalive * 500000u) {
		struct mqtt_packet p = {.type = MQTT_PINGREQ};

		/* (void): no room means output is pending anyway. */
		(void)queue_packet(c, &p);
	}
}

void
bench_client_close(struct bench_client *c, bool polite)
{
	struct bench_worker *w = c->w;

	if (c->role == ROLE_PUB) {
		uint16_t open = (uint16_t)(c->window - c->n_free);

		/* What was in flight will never be acknowledged. */
		bench_ctr_add(&w->ctr.unacked, open);
		bench_ctr_sub(&w->ctr.inflight, open);
		c->n_free = c->window;
		if (!c->done) {
			c->done = true;
			bench_ctr_add(&w->ctr.pubs_done, 1);
		}
	}
	if (c->fd >= 0) {
		struct mqtt_packet p = {.type = MQTT_DISCONNECT};

		if (polite && c->state == ST_READY && queue_packet(c, &p)) {
			/* (void): best effort; the socket closes next. */
			(void)!send(c->fd, c->out + c->out_off,
			            c->out_len - c->out_off,
			            MSG_NOSIGNAL | MSG_DONTWAIT);
		}
		close(c->fd);
	}
	c->fd = -1;
	c->state = ST_CLOSED;
	c->in_epoll = false;
}
