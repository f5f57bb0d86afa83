/*
 * conn.c - the client's connection: name resolution, non-blocking TCP
 * connect (trying each address in turn), reads and packet framing,
 * flushing c->out, the keep-alive / connect / close timers, teardown and
 * automatic reconnect with backoff.
 *
 * errno is turned into TERN_E* here, with the system's wording kept in
 * c->detail for messages; nothing above this file sees errno.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../base/alloc.h"
#include "../base/clock.h"
#include "client.h"

/* Bytes read per call, and reads per tern_io() turn (then writes run). */
#define READ_CHUNK     16384
#define READS_PER_TURN 16

static void
set_detail(struct tern_client *c, const char *what, int errnum)
{
	/* (void): a truncated message is still a message. */
	(void)snprintf(c->detail, sizeof c->detail, "%s: %s", what,
	               strerror(errnum));
}

static int
errno_to_err(int errnum)
{
	switch (errnum) {
	case EAGAIN:
	case EINPROGRESS:
		return TERN_EAGAIN;
	case ENOMEM:
	case ENOBUFS:
		return TERN_ENOMEM;
	case ETIMEDOUT:
		return TERN_ETIMEOUT;
	case EPIPE:
	case ECONNRESET:
		return TERN_ECLOSED;
	default:
		return TERN_EIO;
	}
}

static void
close_fd(struct tern_client *c)
{
	if (c->fd >= 0) {
		/* (void): nothing useful to do if close fails. */
		(void)close(c->fd);
		c->fd = -1;
		c->fd_gen++;
	}
}

static void
free_addrs(struct tern_client *c)
{
	if (c->ai_list != NULL) {
		freeaddrinfo(c->ai_list);
		c->ai_list = NULL;
		c->ai_next = NULL;
	}
}

static int
resolve(struct tern_client *c)
{
	struct addrinfo hints;
	char port[8];
	int rc;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG;
	(void)snprintf(port, sizeof port, "%u", c->opt.port);
	free_addrs(c);
	rc = getaddrinfo(c->conf.host, port, &hints, &c->ai_list);
	if (rc != 0) {
		(void)snprintf(c->detail, sizeof c->detail,
		               "cannot resolve %s: %s", c->conf.host,
		               gai_strerror(rc));
		c->ai_list = NULL;
		return TERN_EIO;
	}
	c->ai_next = c->ai_list;
	return 0;
}

static int
bind_local(struct tern_client *c, int fd, int family)
{
	struct addrinfo hints, *ai = NULL;
	int rc, e;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	rc = getaddrinfo(c->conf.bind_address, NULL, &hints, &ai);
	if (rc != 0) {
		(void)snprintf(c->detail, sizeof c->detail,
		               "cannot resolve %s: %s", c->conf.bind_address,
		               gai_strerror(rc));
		return TERN_EIO;
	}
	rc = bind(fd, ai->ai_addr, ai->ai_addrlen);
	e = errno;
	freeaddrinfo(ai);
	if (rc != 0) {
		set_detail(c, "bind", e);
		return errno_to_err(e);
	}
	return 0;
}

/* addr_text() - "host:port" of @ai for messages. */
static void
addr_text(const struct addrinfo *ai, char *out, size_t len)
{
	char host[NI_MAXHOST], serv[NI_MAXSERV];

	if (getnameinfo(ai->ai_addr, ai->ai_addrlen, host, sizeof host, serv,
	                sizeof serv, NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		(void)snprintf(out, len, "?");
		return;
	}
	(void)snprintf(out, len,
	               ai->ai_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host,
	               serv);
}

/*
 * try_addr() - start a connect to @ai. 0 when connected at once,
 * TERN_EAGAIN when in progress, else an error (c->detail says why).
 */
static int
try_addr(struct tern_client *c, const struct addrinfo *ai)
{
	char where[80], what[120];
	int fd, e, err;

	fd = socket(ai->ai_family,
	            ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
	            ai->ai_protocol);
	if (fd < 0) {
		e = errno;
		set_detail(c, "socket", e);
		return errno_to_err(e);
	}
	c->fd = fd;
	c->fd_gen++;
	if (c->conf.bind_address != NULL) {
		err = bind_local(c, fd, ai->ai_family);
		if (err != 0) {
			close_fd(c);
			return err;
		}
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
		return 0;
	}
	e = errno;
	if (e == EINPROGRESS) {
		return TERN_EAGAIN;
	}
	addr_text(ai, where, sizeof where);
	(void)snprintf(what, sizeof what, "connect to %s", where);
	set_detail(c, what, e);
	close_fd(c);
	err = errno_to_err(e);
	/* EAGAIN from connect() (no free local port) is a failure here. */
	return err == TERN_EAGAIN ? TERN_EIO : err;
}

/* tcp_ready() - the TCP connection is up: send CONNECT. */
static int
tcp_ready(struct tern_client *c)
{
	int one = 1;

	free_addrs(c);
	if (c->opt.tcp_nodelay) {
		/* (void): Nagle on is slower, not wrong. */
		(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one,
		                 sizeof one);
	}
	c->state = CS_CONNACK;
	buf_consume(&c->in, c->in.len);
	return client_send_connect(c, c->reconnecting);
}

/* next_addr() - try the remaining addresses until one starts. */
static int
next_addr(struct tern_client *c)
{
	int err = TERN_EIO;

	while (c->ai_next != NULL) {
		const struct addrinfo *ai = c->ai_next;

		c->ai_next = ai->ai_next;
		err = try_addr(c, ai);
		if (err == TERN_EAGAIN) {
			c->state = CS_CONNECTING;
			return 0;
		}
		if (err == 0) {
			return tcp_ready(c);
		}
	}
	free_addrs(c);
	return err;
}

int
client_conn_start(struct tern_client *c, bool reconnect)
{
	int err;

	c->reconnecting = reconnect;
	c->pending_err = 0;
	c->pending_reason = -1;
	c->detail[0] = '\0';
	c->connect_deadline =
	        clock_mono_ms() + (uint64_t)c->opt.connect_timeout_ms;
	err = resolve(c);
	if (err == 0) {
		err = next_addr(c);
	}
	if (err == 0) {
		client_flush(c);
	}
	return err;
}

int
client_attach(struct tern_client *c, int fd)
{
	int fl = fcntl(fd, F_GETFL);
	int err;

	client_lock(c);
	if (c->state != CS_IDLE || fl < 0 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0) {
		client_unlock(c);
		return c->state != CS_IDLE ? TERN_EBUSY : TERN_EIO;
	}
	c->user_disconnect = false;
	c->pending_err = 0;
	c->pending_reason = -1;
	c->detail[0] = '\0';
	c->reconnecting = c->ever_connected;
	c->fd = fd;
	c->fd_gen++;
	c->connect_deadline =
	        clock_mono_ms() + (uint64_t)c->opt.connect_timeout_ms;
	err = tcp_ready(c);
	if (err == 0) {
		client_flush(c);
	}
	client_unlock(c);
	return err;
}

/* finish_connect() - the socket of a connect in progress became ready. */
static void
finish_connect(struct tern_client *c)
{
	char what[80];
	socklen_t len = sizeof(int);
	int soerr = 0, err;

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0) {
		soerr = errno;
	}
	if (soerr == 0) {
		err = tcp_ready(c);
	} else {
		(void)snprintf(what, sizeof what, "connect to %s:%u",
		               c->conf.host, c->opt.port);
		set_detail(c, what, soerr);
		close_fd(c);
		err = next_addr(c);
		if (err != 0 && c->detail[0] == '\0') {
			set_detail(c, what, soerr);
		}
	}
	if (err != 0) {
		client_fail(c, err, -1);
	}
}

/*
 * io_failed() - a read or write failed: record @err for the top. Unlike
 * client_fail() it sends nothing, so the flush path never calls itself.
 */
static void
io_failed(struct tern_client *c, int err)
{
	if (c->pending_err == 0) {
		c->pending_err = err;
	}
}

void
client_flush(struct tern_client *c)
{
	while (c->out.len > 0 && c->fd >= 0 && c->state != CS_CONNECTING) {
		ssize_t n = send(c->fd, c->out.p + c->out.off, c->out.len,
		                 MSG_NOSIGNAL | MSG_DONTWAIT);
		int e = errno;

		if (n > 0) {
			buf_consume(&c->out, (size_t)n);
			continue;
		}
		if (n < 0 && e == EINTR) {
			continue;
		}
		if (n < 0 && (e == EAGAIN || e == EWOULDBLOCK)) {
			return;
		}
		set_detail(c, "send", e);
		io_failed(c, errno_to_err(e));
		return;
	}
	buf_shrink(&c->out, 65536);
}

void
client_fail(struct tern_client *c, int err, int rc)
{
	if (c->pending_err != 0) {
		return;
	}
	c->pending_err = err;
	if (rc >= 0 && c->ver == MQTT_V5 && c->state == CS_CONNECTED) {
		struct mqtt_packet p;

		memset(&p, 0, sizeof p);
		p.type = MQTT_DISCONNECT;
		p.u.disconnect.rc = (uint8_t)rc;
		/* (void): the connection is going anyway. */
		(void)client_send_packet(c, &p);
		client_flush(c);
	}
}

/* err_to_rc() - the MQTT 5 reason code our DISCONNECT gives for @err. */
static int
err_to_rc(int err)
{
	switch (err) {
	case TERN_EMALFORMED:
		return MQTT_RC_MALFORMED;
	case TERN_ETOOBIG:
		return MQTT_RC_PACKET_TOO_LARGE;
	case TERN_ETOPIC:
		return MQTT_RC_TOPIC_ALIAS_INVALID;
	case TERN_ENOMEM:
		return MQTT_RC_UNSPECIFIED;
	default:
		return MQTT_RC_PROTOCOL_ERROR;
	}
}

/* handle_input() - every whole packet at the front of c->in. */
static void
handle_input(struct tern_client *c)
{
	struct codec_limits lim = {c->conf.max_packet_in};

	while (c->pending_err == 0 && c->in.len > 0) {
		struct span s = buf_span(&c->in);
		struct mqtt_fixed fh;
		int err = codec_frame(s.p, s.len, &lim, &fh);

		if (err == TERN_EAGAIN) {
			return;
		}
		if (err == 0) {
			err = client_recv_packet(
			        c, &fh,
			        span_make(s.p + fh.hdr_len, fh.body_len));
		}
		if (err != 0) {
			client_fail(c, err, err_to_rc(err));
			return;
		}
		buf_consume(&c->in, fh.hdr_len + fh.body_len);
	}
}

static void
conn_read(struct tern_client *c)
{
	for (int i = 0; i < READS_PER_TURN && c->pending_err == 0; i++) {
		ssize_t n;
		int e;

		if (buf_reserve(&c->in, READ_CHUNK) != 0) {
			client_fail(c, TERN_ENOMEM, MQTT_RC_UNSPECIFIED);
			return;
		}
		n = recv(c->fd, buf_tail(&c->in), buf_room(&c->in), 0);
		e = errno;
		if (n == 0) {
			(void)snprintf(c->detail, sizeof c->detail,
			               "connection closed by the server");
			client_fail(c, TERN_ECLOSED, -1);
			return;
		}
		if (n < 0) {
			if (e == EINTR) {
				continue;
			}
			if (e != EAGAIN && e != EWOULDBLOCK) {
				set_detail(c, "recv", e);
				client_fail(c, errno_to_err(e), -1);
			}
			return;
		}
		c->in.len += (size_t)n;
		handle_input(c);
	}
	/* One large packet should not pin its buffer for good. */
	buf_shrink(&c->in, 65536);
}

static void
keepalive_timer(struct tern_client *c, uint64_t now)
{
	uint64_t ka = (uint64_t)c->keepalive * 1000u;

	if (ka == 0) {
		return;
	}
	if (c->ping_sent_ms != 0) {
		if (now >= c->ping_sent_ms + ka) {
			(void)snprintf(c->detail, sizeof c->detail,
			               "no PINGRESP within the keep-alive");
			client_fail(c, TERN_ETIMEOUT,
			            MQTT_RC_KEEPALIVE_TIMEOUT);
		}
		return;
	}
	if (now >= c->last_out_ms + ka) {
		struct mqtt_packet p;

		memset(&p, 0, sizeof p);
		p.type = MQTT_PINGREQ;
		if (client_send_packet(c, &p) == 0) {
			c->ping_sent_ms = now;
			client_flush(c);
		}
	}
}

static void
run_timers(struct tern_client *c, uint64_t now)
{
	switch (c->state) {
	case CS_CONNECTING:
	case CS_CONNACK:
		if (now >= c->connect_deadline) {
			(void)snprintf(c->detail, sizeof c->detail,
			               "no CONNACK within %d ms",
			               c->opt.connect_timeout_ms);
			client_fail(c, TERN_ETIMEOUT, -1);
		}
		break;
	case CS_CONNECTED:
		keepalive_timer(c, now);
		break;
	case CS_CLOSING:
		if (now >= c->close_deadline) {
			close_fd(c); /* give up on the unsent bytes */
			buf_consume(&c->out, c->out.len);
		}
		break;
	default:
		break;
	}
}

/*
 * call_disconnect() - tell the application the connection ended, with the
 * properties of the server's DISCONNECT if one came.
 */
static void
call_disconnect(struct tern_client *c, int err, int reason)
{
	struct tern_prop v[CLIENT_PROPS_SHOWN];
	struct tern_props props = {v, 0};

	if (c->disc_raw != NULL) {
		props = client_props_view(
		        span_make(c->disc_raw, c->disc_raw_len), v);
	}
	if (c->cb.on_disconnect != NULL) {
		c->in_cb++;
		c->cb.on_disconnect(c, c->cb_arg, err, reason, &props);
		c->in_cb--;
	}
	tern_free(c->disc_raw);
	c->disc_raw = NULL;
	c->disc_raw_len = 0;
}

void
client_close_now(struct tern_client *c, int err)
{
	bool had_conn = c->state != CS_IDLE && c->state != CS_RECONNECT;
	bool was_up = c->state == CS_CONNECTED;
	int reason = c->pending_reason;
	bool retry;

	close_fd(c);
	free_addrs(c);
	buf_consume(&c->in, c->in.len);
	buf_consume(&c->out, c->out.len);
	buf_shrink(&c->in, 0);
	buf_shrink(&c->out, 0);
	c->ping_sent_ms = 0;
	c->pending_err = 0;
	c->pending_reason = -1;
	if (c->user_disconnect) {
		err = 0;
	}
	/* A blocking tern_connect() reports a failed attempt itself; once
	 * its CONNACK is in, a loss is like any other and is retried. */
	retry = err != 0 && c->opt.auto_reconnect &&
	        (!c->blocking_connect || was_up);
	c->state = retry ? CS_RECONNECT : CS_IDLE;
	c->last_err = err != 0 ? err : TERN_ECLOSED;
	if (retry) {
		c->reconnect_at = clock_mono_ms() + c->backoff_ms;
		c->backoff_ms =
		        c->backoff_ms * 2 > (uint32_t)c->opt.reconnect_max_ms
		                ? (uint32_t)c->opt.reconnect_max_ms
		                : c->backoff_ms * 2;
	}
	client_flow_conn_lost(c, c->last_err, !retry);
	if (had_conn) {
		call_disconnect(c, err, reason);
	}
}

/* settle() - act on what the turn recorded: failures, a finished close. */
static void
settle(struct tern_client *c)
{
	if (c->pending_err != 0) {
		client_close_now(c, c->pending_err);
	} else if (c->state == CS_CLOSING && (c->out.len == 0 || c->fd < 0)) {
		client_close_now(c, 0);
	}
}

static void
maybe_reconnect(struct tern_client *c, uint64_t now)
{
	int err;

	if (c->state != CS_RECONNECT || now < c->reconnect_at) {
		return;
	}
	client_log(c, "reconnecting");
	c->state = CS_IDLE;
	err = client_conn_start(c, true);
	if (err != 0) {
		c->state = CS_CONNECTING; /* so that the loss is reported */
		client_close_now(c, err);
	}
}

int
client_conn_io(struct tern_client *c, short revents)
{
	uint64_t now;

	if (c->state == CS_CONNECTING && c->fd >= 0 &&
	    (revents & (POLLOUT | POLLERR | POLLHUP)) != 0) {
		finish_connect(c);
	} else if (c->fd >= 0 && c->state != CS_CONNECTING) {
		if ((revents & (POLLIN | POLLERR | POLLHUP)) != 0) {
			conn_read(c);
		}
		client_flush(c);
	}
	now = clock_mono_ms();
	run_timers(c, now);
	settle(c);
	maybe_reconnect(c, now);
	settle(c);
	return c->state == CS_IDLE ? c->last_err : 0;
}

short
client_events(const struct tern_client *c)
{
	if (c->fd < 0) {
		return 0;
	}
	if (c->state == CS_CONNECTING || c->out.len > 0) {
		return (short)(POLLIN | POLLOUT);
	}
	return (short)POLLIN;
}

uint64_t
client_deadline(const struct tern_client *c)
{
	uint64_t ka = (uint64_t)c->keepalive * 1000u;

	if (c->pending_err != 0) {
		return 0;
	}
	switch (c->state) {
	case CS_CONNECTING:
	case CS_CONNACK:
		return c->connect_deadline;
	case CS_CONNECTED:
		if (ka == 0) {
			return UINT64_MAX;
		}
		return c->ping_sent_ms != 0 ? c->ping_sent_ms + ka
		                            : c->last_out_ms + ka;
	case CS_CLOSING:
		return c->close_deadline;
	case CS_RECONNECT:
		return c->reconnect_at;
	default:
		return UINT64_MAX;
	}
}
