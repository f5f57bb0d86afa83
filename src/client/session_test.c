/*
 * session_test.c - what outlives one packet: resends with DUP when a
 * session resumes [MQTT-4.4.0-1], requeueing when it does not, packet
 * identifiers never reused while in flight, the send window (Receive
 * Maximum), keep-alive, automatic reconnect over real TCP, and the
 * library's loop thread serving blocking calls from another thread.
 */
#include <netinet/in.h>
#include <pthread.h>

#include "../base/clock.h"
#include "test_peer.h"

#define CONNECT_V311_PERSIST                                                \
	0x10, 0x0E, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x00, 0x00, 0x3C, \
	        0x00, 0x02, 'c', '1'

/* Three flows in three states: QoS 1 sent, QoS 2 released, QoS 1 sent. */
static struct tern_client *
three_in_flight(int *peer, struct seen *s)
{
	struct tern_options o;
	struct tern_client *c;

	base_opts(&o, TERN_MQTT311);
	o.clean = false;
	c = peer_start(&o, peer);
	if (c == NULL) {
		return NULL;
	}
	seen_install(c, s);
	PEER_SEND(*peer, 0x20, 0x02, 0x00, 0x00);
	if (step(c) != 0 || pub_async(c, "a", "1", 1, NULL) != 0 ||
	    pub_async(c, "b", "2", 2, NULL) != 0) {
		return c;
	}
	PEER_SEND(*peer, 0x50, 0x02, 0x00, 0x02);
	if (step(c) != 0 || pub_async(c, "c", "3", 1, NULL) != 0) {
		return c;
	}
	return c;
}

static void
test_resume_resends_dup(void)
{
	struct tern_client *c;
	struct seen s;
	int peer;

	c = three_in_flight(&peer, &s);
	T_CHECK(c != NULL);
	PEER_EXPECT(peer, CONNECT_V311_PERSIST, 0x32, 0x06, 0x00, 0x01, 'a',
	            0x00, 0x01, '1', 0x34, 0x06, 0x00, 0x01, 'b', 0x00, 0x02,
	            '2', 0x62, 0x02, 0x00, 0x02, 0x32, 0x06, 0x00, 0x01, 'c',
	            0x00, 0x03, '3');
	close(peer);
	T_CHECK_INT(step(c), TERN_ECLOSED);
	T_CHECK_INT(s.disconnects, 1);
	peer = peer_reattach(c);
	T_CHECK(peer >= 0);
	PEER_EXPECT(peer, CONNECT_V311_PERSIST);
	PEER_SEND(peer, 0x20, 0x02, 0x01, 0x00);
	T_CHECK_INT(step(c), 0);
	T_CHECK(tern_session_present(c));
	/* In the original order, PUBLISH with DUP, PUBREL as it was. */
	PEER_EXPECT(peer, 0x3A, 0x06, 0x00, 0x01, 'a', 0x00, 0x01, '1', 0x62,
	            0x02, 0x00, 0x02, 0x3A, 0x06, 0x00, 0x01, 'c', 0x00, 0x03,
	            '3');
	PEER_SEND(peer, 0x40, 0x02, 0x00, 0x01, 0x70, 0x02, 0x00, 0x02, 0x40,
	          0x02, 0x00, 0x03);
	T_CHECK_INT(step(c), 0);
	T_CHECK_INT(s.publishes, 3);
	T_CHECK_INT(s.pub_mid[0], 1);
	T_CHECK_INT(s.pub_mid[1], 2);
	T_CHECK_INT(s.pub_mid[2], 3);
	T_CHECK_INT(s.pub_err[0] | s.pub_err[1] | s.pub_err[2], 0);
	T_CHECK(list_empty(&c->inflight) && list_empty(&c->queued));
	tern_client_free(c);
	close(peer);
}

static void
test_resume_without_session(void)
{
	struct tern_client *c;
	struct seen s;
	uint8_t junk[256];
	int peer;

	c = three_in_flight(&peer, &s);
	T_CHECK(c != NULL);
	T_CHECK(peer_read(peer, junk, sizeof junk) > 0);
	close(peer);
	T_CHECK_INT(step(c), TERN_ECLOSED);
	peer = peer_reattach(c);
	T_CHECK(peer >= 0);
	PEER_EXPECT(peer, CONNECT_V311_PERSIST);
	PEER_SEND(peer, 0x20, 0x02, 0x00, 0x00);
	T_CHECK_INT(step(c), 0);
	/* The server forgot: QoS 1 starts over without DUP; the QoS 2
	 * message whose PUBREC came is delivered, so it is done. */
	T_CHECK_INT(s.publishes, 1);
	T_CHECK_INT(s.pub_mid[0], 2);
	T_CHECK_INT(s.pub_err[0], 0);
	PEER_EXPECT(peer, 0x32, 0x06, 0x00, 0x01, 'a', 0x00, 0x01, '1', 0x32,
	            0x06, 0x00, 0x01, 'c', 0x00, 0x03, '3');
	tern_client_free(c);
	close(peer);
}

static void
test_v5_reconnect_resumes(void)
{
	struct tern_prop cp[] = {{.id = TERN_PROP_SESSION_EXPIRY, .num = 60}};
	struct tern_options o;
	struct tern_client *c;
	int peer;

	base_opts(&o, TERN_MQTT5);
	o.connect_props.v = cp;
	o.connect_props.n = 1;
	c = peer_start(&o, &peer);
	T_CHECK(c != NULL);
	/* First connect: Clean Start as asked. */
	PEER_EXPECT(peer, 0x10, 0x14, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05,
	            0x02, 0x00, 0x3C, 0x05, 0x11, 0x00, 0x00, 0x00, 0x3C, 0x00,
	            0x02, 'c', '1');
	PEER_SEND(peer, 0x20, 0x03, 0x00, 0x00, 0x00);
	T_CHECK_INT(step(c), 0);
	close(peer);
	T_CHECK_INT(step(c), TERN_ECLOSED);
	/* Reconnect: the session outlives the connection, so resume it. */
	peer = peer_reattach(c);
	T_CHECK(peer >= 0);
	PEER_EXPECT(peer, 0x10, 0x14, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05,
	            0x00, 0x00, 0x3C, 0x05, 0x11, 0x00, 0x00, 0x00, 0x3C, 0x00,
	            0x02, 'c', '1');
	/* Session Present after we asked for a clean start would be bad;
	 * here it is fine. */
	PEER_SEND(peer, 0x20, 0x03, 0x01, 0x00, 0x00);
	T_CHECK_INT(step(c), 0);
	T_CHECK(tern_session_present(c));
	tern_client_free(c);
	close(peer);
}

static void
test_receive_maximum(void)
{
	struct tern_options o;
	struct tern_client *c;
	int peer;

	base_opts(&o, TERN_MQTT5);
	c = peer_start(&o, &peer);
	T_CHECK(c != NULL);
	PEER_SEND(peer, 0x20, 0x06, 0x00, 0x00, 0x03, 0x21, 0x00, 0x02);
	T_CHECK_INT(step(c), 0);
	for (int i = 0; i < 3; i++) {
		T_CHECK_INT(pub_async(c, "t", "", 1, NULL), 0);
	}
	PEER_EXPECT(peer, 0x10, 0x0F, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05,
	            0x02, 0x00, 0x3C, 0x00, 0x00, 0x02, 'c', '1', 0x32, 0x06,
	            0x00, 0x01, 't', 0x00, 0x01, 0x00, 0x32, 0x06, 0x00, 0x01,
	            't', 0x00, 0x02, 0x00);
	PEER_SEND(peer, 0x40, 0x02, 0x00, 0x01);
	T_CHECK_INT(step(c), 0);
	PEER_EXPECT(peer, 0x32, 0x06, 0x00, 0x01, 't', 0x00, 0x03, 0x00);
	tern_client_free(c);
	close(peer);
}

static void
test_packet_ids_never_reused(void)
{
	static uint8_t used[8192];
	struct tern_options o;
	struct tern_client *c;
	uint16_t mid = 0;
	uint8_t junk[256];
	int peer;

	memset(used, 0, sizeof used);
	base_opts(&o, TERN_MQTT5);
	c = peer_start(&o, &peer);
	T_CHECK(c != NULL);
	/* Receive Maximum 1: everything but the first waits, ids held. */
	PEER_SEND(peer, 0x20, 0x06, 0x00, 0x00, 0x03, 0x21, 0x00, 0x01);
	T_CHECK_INT(step(c), 0);
	for (unsigned i = 0; i < 65535; i++) {
		T_CHECK_INT(pub_async(c, "t", "", 1, &mid), 0);
		T_CHECK(mid != 0);
		T_CHECK((used[mid >> 3] & (1u << (mid & 7))) == 0);
		used[mid >> 3] |= (uint8_t)(1u << (mid & 7));
	}
	T_CHECK_INT(pub_async(c, "t", "", 1, &mid), TERN_EFULL);
	T_CHECK(peer_read(peer, junk, sizeof junk) > 0);
	PEER_SEND(peer, 0x40, 0x02, 0x00, 0x01);
	T_CHECK_INT(step(c), 0);
	PEER_EXPECT(peer, 0x32, 0x06, 0x00, 0x01, 't', 0x00, 0x02, 0x00);
	/* Exactly one id is free now: the one just acknowledged. */
	T_CHECK_INT(pub_async(c, "t", "", 1, &mid), 0);
	T_CHECK_INT(mid, 1);
	tern_client_free(c);
	close(peer);
}

/* loop_until_peer() - run the client until @peer has bytes or @ms pass. */
static int
loop_until_peer(struct tern_client *c, int peer, int ms)
{
	uint64_t end = clock_mono_ms() + (uint64_t)ms;

	while (clock_mono_ms() < end) {
		struct pollfd p = {peer, POLLIN, 0};
		int err;

		if (poll(&p, 1, 0) > 0) {
			return 0;
		}
		err = tern_loop(c, 20);
		if (err != 0) {
			return err;
		}
	}
	return TERN_ETIMEOUT;
}

static void
test_keepalive(void)
{
	struct tern_options o;
	struct tern_client *c;
	uint64_t t0;
	int peer, err = 0;

	base_opts(&o, TERN_MQTT311);
	o.keepalive = 1;
	c = peer_start(&o, &peer);
	T_CHECK(c != NULL);
	PEER_EXPECT(peer, 0x10, 0x0E, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04,
	            0x02, 0x00, 0x01, 0x00, 0x02, 'c', '1');
	PEER_SEND(peer, 0x20, 0x02, 0x00, 0x00);
	t0 = clock_mono_ms();
	T_CHECK_INT(loop_until_peer(c, peer, 2000), 0);
	T_CHECK(clock_mono_ms() - t0 >= 900);
	PEER_EXPECT(peer, 0xC0, 0x00);
	PEER_SEND(peer, 0xD0, 0x00);
	T_CHECK_INT(loop_until_peer(c, peer, 2000), 0);
	PEER_EXPECT(peer, 0xC0, 0x00);
	/* No PINGRESP this time: the client gives up. */
	t0 = clock_mono_ms();
	while (err == 0 && clock_mono_ms() - t0 < 3000) {
		err = tern_loop(c, 50);
	}
	T_CHECK_INT(err, TERN_ETIMEOUT);
	T_CHECK(!tern_is_connected(c));
	tern_client_free(c);
	close(peer);
}

/* listener() - a TCP socket listening on 127.0.0.1; *port gets its port. */
static int
listener(uint16_t *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
	    listen(fd, 4) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
		abort();
	}
	*port = ntohs(a.sin_port);
	return fd;
}

/* tcp_opts() - base_opts() for a server on 127.0.0.1:@port. */
static void
tcp_opts(struct tern_options *o, int ver, uint16_t port)
{
	base_opts(o, ver);
	o->host = "127.0.0.1";
	o->port = port;
}

/* fast_reconnect() - reconnect automatically, 50 to 200 ms apart. */
static void
fast_reconnect(struct tern_options *o)
{
	o->auto_reconnect = true;
	o->reconnect_min_ms = 50;
	o->reconnect_max_ms = 200;
}

/* accept_while_looping() - run the client until @lfd has a connection. */
static int
accept_while_looping(struct tern_client *c, int lfd)
{
	uint64_t end = clock_mono_ms() + 3000;

	while (clock_mono_ms() < end) {
		struct pollfd p = {lfd, POLLIN, 0};

		if (poll(&p, 1, 0) > 0) {
			return accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		}
		if (tern_loop(c, 20) != 0) {
			return -1;
		}
	}
	return -1;
}

static void
test_auto_reconnect_tcp(void)
{
	struct tern_prop cp[] = {{.id = TERN_PROP_SESSION_EXPIRY, .num = 60}};
	struct tern_options o;
	struct tern_client *c;
	struct seen s;
	uint8_t got[256];
	uint16_t port;
	int lfd = listener(&port), peer;

	tcp_opts(&o, TERN_MQTT5, port);
	o.connect_props.v = cp;
	o.connect_props.n = 1;
	fast_reconnect(&o);
	T_CHECK_INT(tern_client_new(&o, &c), 0);
	seen_install(c, &s);
	T_CHECK_INT(tern_connect_async(c), 0);
	peer = accept_while_looping(c, lfd);
	T_CHECK(peer >= 0);
	T_CHECK_INT(loop_until_peer(c, peer, 2000), 0);
	T_CHECK_INT(peer_read(peer, got, sizeof got), 22);
	T_CHECK_INT(got[9], 0x02); /* Clean Start the first time */
	PEER_SEND(peer, 0x20, 0x03, 0x00, 0x00, 0x00);
	T_CHECK_INT(tern_loop(c, 100), 0);
	T_CHECK(tern_is_connected(c));
	T_CHECK_INT(pub_async(c, "t", "", 1, NULL), 0);
	PEER_EXPECT(peer, 0x32, 0x06, 0x00, 0x01, 't', 0x00, 0x01, 0x00);
	close(peer);
	peer = accept_while_looping(c, lfd);
	T_CHECK(peer >= 0);
	T_CHECK_INT(s.disconnects, 1);
	T_CHECK_INT(s.disc_err, TERN_ECLOSED);
	T_CHECK_INT(loop_until_peer(c, peer, 2000), 0);
	T_CHECK_INT(peer_read(peer, got, sizeof got), 22);
	T_CHECK_INT(got[9], 0x00); /* resume */
	PEER_SEND(peer, 0x20, 0x03, 0x01, 0x00, 0x00);
	T_CHECK_INT(loop_until_peer(c, peer, 2000), 0);
	PEER_EXPECT(peer, 0x3A, 0x06, 0x00, 0x01, 't', 0x00, 0x01, 0x00);
	T_CHECK_INT(s.connects, 2);
	tern_client_free(c);
	close(peer);
	close(lfd);
}

/* A minimal broker on its own thread for the loop-thread test. */
struct mini {
	int lfd;
	int ok;
};

static int
read_full(int fd, uint8_t *b, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, b + got, n - got);

		if (r <= 0) {
			return -1;
		}
		got += (size_t)r;
	}
	return 0;
}

/* read_pkt() - one packet: its first byte, body in @b (<= 256 bytes). */
static int
read_pkt(int fd, uint8_t *type, uint8_t *b, size_t *len)
{
	uint8_t x;
	size_t n = 0;
	unsigned shift = 0;

	if (read_full(fd, type, 1) != 0) {
		return -1;
	}
	do {
		if (read_full(fd, &x, 1) != 0) {
			return -1;
		}
		n |= (size_t)(x & 0x7f) << shift;
		shift += 7;
	} while ((x & 0x80) != 0 && shift < 28);
	if (n > 256 || read_full(fd, b, n) != 0) {
		return -1;
	}
	*len = n;
	return 0;
}

static void
mini_reply(int fd, uint8_t type, const uint8_t *b)
{
	static const uint8_t connack[] = {0x20, 0x02, 0x00, 0x00};
	static const uint8_t msg[] = {0x30, 0x04, 0x00, 0x01, 't', 'm'};
	uint8_t ack[5] = {0x40, 0x02, b[0], b[1], 0x00};

	switch (type >> 4) {
	case MQTT_CONNECT:
		peer_send(fd, connack, sizeof connack);
		break;
	case MQTT_PUBLISH: /* QoS 1 with a one-byte topic: id at 3..4 */
		ack[2] = b[3];
		ack[3] = b[4];
		peer_send(fd, ack, 4);
		break;
	case MQTT_SUBSCRIBE:
		ack[0] = 0x90;
		ack[1] = 0x03;
		peer_send(fd, ack, 5);
		peer_send(fd, msg, sizeof msg);
		break;
	default:
		break;
	}
}

static void *
mini_main(void *arg)
{
	struct mini *m = arg;
	int fd = accept4(m->lfd, NULL, NULL, SOCK_CLOEXEC);
	uint8_t type, b[256];
	size_t len;

	while (fd >= 0 && read_pkt(fd, &type, b, &len) == 0) {
		if (type >> 4 == MQTT_DISCONNECT) {
			m->ok = 1;
			break;
		}
		mini_reply(fd, type, b);
	}
	if (fd >= 0) {
		close(fd);
	}
	return NULL;
}

/*
 * A server that accepts a CONNECT and, in the same segment as its
 * CONNACK, sends a reserved packet type: the client takes the CONNACK and
 * loses the connection inside one read, while tern_connect() still waits.
 * The second connection is answered normally.
 */
struct flaky {
	int lfd;
	int accepted;
};

static void *
flaky_main(void *arg)
{
	static const uint8_t bad[] = {0x20, 0x02, 0x00, 0x00, 0x00, 0x00};
	static const uint8_t connack[] = {0x20, 0x02, 0x00, 0x00};
	struct flaky *f = arg;
	uint8_t type, b[256];
	size_t len;

	for (int i = 0; i < 2; i++) {
		int fd = accept4(f->lfd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0 || read_pkt(fd, &type, b, &len) != 0) {
			break;
		}
		f->accepted++;
		if (i == 0) {
			peer_send(fd, bad, sizeof bad);
		} else {
			peer_send(fd, connack, sizeof connack);
			/* Until the client's DISCONNECT or close. */
			(void)read_pkt(fd, &type, b, &len);
		}
		close(fd);
	}
	return NULL;
}

/* A loss right after the CONNACK is a loss like any other: tern_connect()
 * succeeded, and the automatic reconnect takes over. */
static void
test_loss_after_connack_in_blocking_connect(void)
{
	struct flaky f = {0};
	struct tern_options o;
	struct tern_client *c;
	struct seen s;
	pthread_t t;
	uint16_t port;
	uint64_t end;

	f.lfd = listener(&port);
	T_CHECK_INT(pthread_create(&t, NULL, flaky_main, &f), 0);
	tcp_opts(&o, TERN_MQTT311, port);
	fast_reconnect(&o);
	T_CHECK_INT(tern_client_new(&o, &c), 0);
	seen_install(c, &s);
	T_CHECK_INT(tern_connect(c), 0);
	end = clock_mono_ms() + 3000;
	while (s.connects < 2 && clock_mono_ms() < end) {
		(void)tern_loop(c, 20);
	}
	T_CHECK_INT(s.connects, 2);
	T_CHECK_INT(s.disconnects, 1);
	T_CHECK(tern_is_connected(c));
	T_CHECK_INT(tern_disconnect(c), 0);
	tern_client_free(c);
	T_CHECK_INT(pthread_join(t, NULL), 0);
	T_CHECK_INT(f.accepted, 2);
	close(f.lfd);
}

static void
test_loop_thread(void)
{
	struct mini m = {0};
	struct tern_options o;
	struct tern_client *c;
	struct tern_message *msg = NULL;
	pthread_t t;
	uint16_t port;

	m.lfd = listener(&port);
	T_CHECK_INT(pthread_create(&t, NULL, mini_main, &m), 0);
	tcp_opts(&o, TERN_MQTT311, port);
	T_CHECK_INT(tern_client_new(&o, &c), 0);
	T_CHECK_INT(tern_loop_start(c), 0);
	T_CHECK_INT(tern_loop_start(c), TERN_EBUSY);
	T_CHECK_INT(tern_connect(c), 0);
	T_CHECK_INT(tern_publish(c, "t", "x", 1, 1, false), 0);
	T_CHECK_INT(tern_subscribe(c, "t", 0), 0);
	T_CHECK_INT(tern_recv(c, 2000, &msg), 0);
	T_CHECK(strcmp(msg->payload, "m") == 0);
	tern_message_free(msg);
	T_CHECK_INT(tern_io(c, 0), TERN_EBUSY); /* the thread owns the socket */
	T_CHECK_INT(tern_disconnect(c), 0);
	T_CHECK_INT(tern_loop_stop(c), 0);
	tern_client_free(c);
	T_CHECK_INT(pthread_join(t, NULL), 0);
	T_CHECK_INT(m.ok, 1);
	close(m.lfd);
}

T_MAIN(T_CASE(test_resume_resends_dup), T_CASE(test_resume_without_session),
       T_CASE(test_v5_reconnect_resumes), T_CASE(test_receive_maximum),
       T_CASE(test_packet_ids_never_reused), T_CASE(test_keepalive),
       T_CASE(test_auto_reconnect_tcp), T_CASE(test_loop_thread),
       T_CASE(test_loss_after_connack_in_blocking_connect))
