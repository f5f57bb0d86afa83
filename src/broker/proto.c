/*
 * proto.c - bytes to packets to handlers, and packets back to bytes.
 *
 * Input is read once per readiness event (up to SCRATCH_LEN bytes, many
 * packets at a time) into the worker's scratch buffer; whole packets are
 * decoded in place and handled at once, and only a trailing partial
 * packet is copied into the connection. Any decode error or protocol
 * violation closes the connection with a log line saying why.
 */
#include "broker.h"

#include <sys/epoll.h>

#include "../base/alloc.h"
#include "../base/log.h"

typedef int handler_fn(struct client *c, const struct mqtt_packet *p);

static int
handle_unexpected(struct client *c, const struct mqtt_packet *p)
{
	(void)p;
	c->why = "packet type a client may not send";
	return TERN_EPROTO;
}

/* Handlers for an established connection, by packet type. */
static handler_fn *const handlers[16] = {
        [MQTT_CONNECT] = handle_unexpected, /* [MQTT-3.1.0-2], see below */
        [MQTT_CONNACK] = handle_unexpected,
        [MQTT_PUBLISH] = handle_publish,
        [MQTT_PUBACK] = handle_puback,
        [MQTT_PUBREC] = handle_pubrec,
        [MQTT_PUBREL] = handle_pubrel,
        [MQTT_PUBCOMP] = handle_pubcomp,
        [MQTT_SUBSCRIBE] = handle_subscribe,
        [MQTT_SUBACK] = handle_unexpected,
        [MQTT_UNSUBSCRIBE] = handle_unsubscribe,
        [MQTT_UNSUBACK] = handle_unexpected,
        [MQTT_PINGREQ] = handle_pingreq,
        [MQTT_PINGRESP] = handle_unexpected,
        [MQTT_DISCONNECT] = handle_disconnect,
        [MQTT_AUTH] = handle_unexpected,
};

static const char *
decode_reason(int err)
{
	switch (err) {
	case TERN_ETOPIC:
		return "invalid topic";
	case TERN_ETOOBIG:
		return "packet too large";
	case TERN_EPROTO:
		return "protocol error";
	default:
		return "malformed packet";
	}
}

/* One framed packet: decode and hand to its handler. */
static int
dispatch(struct client *c, const struct mqtt_fixed *fh, struct span body)
{
	struct mqtt_packet pkt;
	enum mqtt_ver ver =
	        c->state == CS_NEW ? MQTT_V311 : (enum mqtt_ver)c->ver;
	int derr = codec_decode(fh, body, ver, &pkt);

	if (c->state == CS_NEW) {
		if (fh->type != MQTT_CONNECT) {
			/* [MQTT-3.1.0-1] CONNECT must come first. */
			c->why = "first packet was not CONNECT";
			return TERN_EPROTO;
		}
		return handle_connect(c, &pkt, derr);
	}
	if (fh->type == MQTT_CONNECT) {
		/* [MQTT-3.1.0-2] a second CONNECT is a protocol violation. */
		c->why = "second CONNECT";
		return TERN_EPROTO;
	}
	if (derr != 0) {
		c->why = decode_reason(derr);
		return derr;
	}
	return handlers[fh->type](c, &pkt);
}

/*
 * [MQTT-3.1.0-1] Before CONNECT, the first byte already tells: anything
 * else closes the connection before its body is buffered (a peer cannot
 * make us hold an unauthenticated 256 MiB "PUBLISH").
 */
static bool
connect_first(struct client *c, struct span data, size_t used)
{
	if (used >= data.len || data.p[used] >> 4 == MQTT_CONNECT) {
		return true;
	}
	client_close(c, "first packet was not CONNECT");
	return false;
}

/* Handle every whole packet in @data; returns the bytes used. */
static size_t
process(struct client *c, struct span data)
{
	struct worker *w = c->w;
	size_t used = 0;

	while (c->state == CS_NEW || c->state == CS_ACTIVE) {
		struct mqtt_fixed fh;
		size_t total;
		int err;

		if (c->state == CS_NEW && !connect_first(c, data, used)) {
			break;
		}
		err = codec_frame(data.p + used, data.len - used,
		                  c->state == CS_NEW ? &w->srv->connect_limits
		                                     : &w->srv->limits,
		                  &fh);

		if (err == TERN_EAGAIN) {
			break;
		}
		if (err != 0) {
			client_close(c, decode_reason(err));
			break;
		}
		total = fh.hdr_len + fh.body_len;
		c->last_rx_ms = w->now_ms;
		err = dispatch(
		        c, &fh,
		        span_make(data.p + used + fh.hdr_len, fh.body_len));
		if (c->state == CS_MIGRATING ||
		    (err == TERN_EBUSY && fh.type == MQTT_PUBLISH)) {
			/* The CONNECT stays unread for the session's worker;
			 * a held PUBLISH for when the publisher is read again
			 * (flow.c). */
			break;
		}
		used += total;
		atomic_fetch_add_explicit(&w->stats.bytes_recv, total,
		                          memory_order_relaxed);
		if (err != 0) {
			client_close(c, c->why != NULL ? c->why
			                               : decode_reason(err));
			break;
		}
	}
	return used;
}

static void
consume(struct client *c, struct span data)
{
	size_t used = process(c, data);

	if (conn_consumed(&c->conn, data, used) != 0) {
		client_close(c, "out of memory");
	}
}

void
client_process_input(struct client *c)
{
	if (c->conn.in.len != 0) {
		consume(c, buf_span(&c->conn.in));
	}
}

/* Near the memory budget a connection in the middle of a very large
 * packet (over 1 MiB) goes first; at the budget, any with more than one
 * read's worth of partial packet. */
static bool
holds_too_much(const struct client *c)
{
	size_t partial = c->conn.in.len;

	if (partial <= SCRATCH_LEN) {
		return false;
	}
	switch (server_mem_pressure(c->w->srv)) {
	case MEM_FULL:
		return true;
	case MEM_HIGH:
		return partial > CONNECT_MAX;
	default:
		return false;
	}
}

static void
on_readable(struct client *c)
{
	struct span data;
	long n = conn_read(&c->conn, c->w->scratch, SCRATCH_LEN, &data);

	if (n == TERN_EAGAIN) {
		return;
	}
	if (n < 0) {
		client_close(c, n == TERN_ECLOSED ? "closed by client"
		                                  : "read error");
		return;
	}
	/* A large packet still arriving is held in memory; near the budget
	 * the connection carrying it goes first, before the shedding that
	 * would touch well-behaved clients at 100%. */
	if (holds_too_much(c)) {
		client_close(c, "memory_limit reached");
		return;
	}
	consume(c, data);
}

void
client_on_event(struct loop_watch *watch, uint32_t events)
{
	struct client *c = (struct client *)(void *)watch;

	if (c->state == CS_CLOSING || c->state == CS_MIGRATING) {
		return;
	}
	if ((events & EPOLLOUT) != 0) {
		client_want_write(c);
	}
	/* With output backed up, input waits (see flush_one()). */
	if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0 &&
	    c->conn.out_bytes < CLIENT_OUT_HIGH && !c->throttled) {
		on_readable(c);
	}
}

int
client_send_packet(struct client *c, const struct mqtt_packet *p)
{
	uint8_t small[256];
	uint8_t *b = small;
	size_t n = codec_size(p, (enum mqtt_ver)c->ver);
	struct wr w;
	int err;

	if (n == 0) {
		return TERN_EINVAL;
	}
	if (n > sizeof small) {
		b = tern_malloc(n);
		if (b == NULL) {
			return TERN_ENOMEM;
		}
	}
	w = wr_make(b, n);
	codec_write(&w, p, (enum mqtt_ver)c->ver);
	err = conn_queue_copy(&c->conn, span_make(b, n));
	if (b != small) {
		tern_free(b);
	}
	if (err == 0) {
		client_want_write(c);
	}
	return err;
}
