/*
 * conn_test.c - output buffer lifecycle of struct conn: an idle conn holds
 * no output memory, a busy one keeps it between flushes, bytes leave in
 * queue order across free and regrow, and allocation failures leave the
 * queue intact. Also the peer name.
 */
#include "conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../base/alloc.h"
#include "../base/err.h"
#include "../base/test.h"

#define BIG 1500 /* above CONN_REF_MIN: queued by reference */

static void
no_events(struct loop_watch *w, uint32_t events)
{
	(void)w;
	(void)events;
}

/* conn @c writes to the returned fd. */
static int
conn_pair(struct conn *c)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
		return -1;
	}
	(void)fcntl(sv[0], F_SETFL, O_NONBLOCK);
	(void)fcntl(sv[1], F_SETFL, O_NONBLOCK);
	conn_init(c, sv[0], no_events);
	return sv[1];
}

static void
conn_close(struct conn *c, int peer)
{
	conn_fini(c);
	close(c->watch.fd);
	close(peer);
}

static void
count_release(void *obj)
{
	(*(int *)obj)++;
}

static int
queue_str(struct conn *c, const char *s)
{
	return conn_queue_copy(c, span_make((const uint8_t *)s, strlen(s)));
}

#define RIG_MAX (512 * 1024)

/* A conn, the socket the test reads its output from, and what the test
 * expects to read. want/got use plain malloc, out of alloc_fail_after()'s
 * reach. */
struct rig {
	struct conn c;
	int peer;
	uint8_t *want; /* every piece the conn accepted, in order */
	uint8_t *got;  /* every byte the peer read */
	size_t want_len, got_len;
	int released; /* references given back */
	int refs;     /* references handed over, accepted or not */
};

static int
rig_open(struct rig *r)
{
	memset(r, 0, sizeof(*r));
	r->want = malloc(RIG_MAX);
	r->got = malloc(RIG_MAX);
	r->peer = conn_pair(&r->c);
	return r->want != NULL && r->got != NULL && r->peer >= 0 ? 0 : -1;
}

static void
rig_close(struct rig *r)
{
	conn_close(&r->c, r->peer);
	free(r->want);
	free(r->got);
}

/* Queue @s by copy or by reference; remember it if the conn took it. */
static int
rig_queue(struct rig *r, struct span s, bool by_ref)
{
	int err;

	if (by_ref) {
		r->refs++;
		err = conn_queue_ref(&r->c, s, &r->released, count_release);
	} else {
		err = conn_queue_copy(&r->c, s);
	}
	if (err == 0 && r->want_len + s.len <= RIG_MAX) {
		memcpy(r->want + r->want_len, s.p, s.len);
		r->want_len += s.len;
	}
	return err;
}

static void
rig_read(struct rig *r)
{
	ssize_t n;

	while (r->got_len < RIG_MAX && (n = read(r->peer, r->got + r->got_len,
	                                         RIG_MAX - r->got_len)) > 0) {
		r->got_len += (size_t)n;
	}
}

/* Flush until the queue is empty, reading the peer meanwhile. */
static int
rig_drain(struct rig *r)
{
	int err;

	while ((err = conn_flush(&r->c)) == TERN_EAGAIN) {
		rig_read(r);
	}
	rig_read(r);
	return err;
}

/* The peer read exactly what was accepted, and every reference handed
 * over was released once. */
static bool
rig_got_all(const struct rig *r)
{
	return r->got_len == r->want_len &&
	       memcmp(r->got, r->want, r->want_len) == 0 &&
	       r->released == r->refs;
}

/* Drain, check rig_got_all(), close (also when the check fails). */
static bool
rig_finish(struct rig *r)
{
	bool ok = rig_drain(r) == 0 && rig_got_all(r);

	rig_close(r);
	return ok;
}

static void
test_idle_conn_holds_no_output_memory(void)
{
	struct rig r;

	T_CHECK_INT(rig_open(&r), 0);
	T_CHECK(r.c.out == NULL);
	T_CHECK_INT(rig_queue(&r, span_make((uint8_t *)"connack", 7), false),
	            0);
	T_CHECK(r.c.out != NULL);
	T_CHECK_INT(r.c.out_bytes, 7);
	/* One drain (a CONNACK, a PINGRESP): nothing is kept. */
	T_CHECK_INT(rig_drain(&r), 0);
	T_CHECK(r.c.out == NULL);
	T_CHECK_INT(r.c.out_bytes, 0);
	T_CHECK_INT(r.c.bytes_out, 7);
	T_CHECK(rig_got_all(&r));
	/* Flushing nothing allocates nothing. */
	T_CHECK_INT(conn_flush(&r.c), 0);
	T_CHECK(r.c.out == NULL);
	rig_close(&r);
}

static void
test_busy_conn_keeps_output_until_idle_trim(void)
{
	struct conn c;
	struct conn_out *kept;
	int peer = conn_pair(&c);

	T_CHECK(peer >= 0);
	T_CHECK_INT(queue_str(&c, "a"), 0);
	T_CHECK_INT(conn_flush(&c), 0);
	T_CHECK(c.out == NULL);
	/* A second drain before a trim: the conn is busy, storage stays. */
	T_CHECK_INT(queue_str(&c, "b"), 0);
	T_CHECK_INT(conn_flush(&c), 0);
	kept = c.out;
	T_CHECK(kept != NULL);
	for (int turn = 0; turn < 5; turn++) {
		T_CHECK_INT(queue_str(&c, "more"), 0);
		T_CHECK_INT(conn_flush(&c), 0);
		T_CHECK(c.out == kept); /* reused, not regrown */
	}
	/* A trim period with output keeps it ... */
	conn_trim(&c);
	T_CHECK(c.out == kept);
	T_CHECK_INT(queue_str(&c, "x"), 0);
	T_CHECK_INT(conn_flush(&c), 0);
	conn_trim(&c);
	T_CHECK(c.out == kept);
	/* ... one without output frees it, and the next drain frees again. */
	conn_trim(&c);
	T_CHECK(c.out == NULL);
	T_CHECK_INT(queue_str(&c, "y"), 0);
	T_CHECK_INT(conn_flush(&c), 0);
	T_CHECK(c.out == NULL);
	conn_close(&c, peer);
}

static void
test_trim_frees_empty_input_buffer(void)
{
	struct conn c;
	uint8_t scratch[10] = "0123456789";
	int peer = conn_pair(&c);

	T_CHECK(peer >= 0);
	/* A partial packet is kept ... */
	T_CHECK_INT(conn_consumed(&c, span_make(scratch, 10), 6), 0);
	T_CHECK_INT(c.in.len, 4);
	conn_trim(&c);
	conn_trim(&c);
	T_CHECK_INT(c.in.len, 4);
	T_CHECK_MEM(c.in.p + c.in.off, "6789", 4);
	/* ... and once consumed its small buffer goes at the next trim. */
	T_CHECK_INT(conn_consumed(&c, buf_span(&c.in), 4), 0);
	T_CHECK(c.in.cap != 0);
	conn_trim(&c);
	T_CHECK(c.in.cap == 0);
	conn_close(&c, peer);
}

/*
 * Queues @rounds of [copy "<i>;", big ref, copy "|"] and checks that the
 * peer got exactly that stream. The socket fills up on the way, and the
 * conn is trimmed while blocked and after draining.
 */
static void
check_order(int rounds)
{
	struct rig r;
	static uint8_t big[BIG];
	int sndbuf = 4096;

	T_CHECK_INT(rig_open(&r), 0);
	(void)setsockopt(r.c.watch.fd, SOL_SOCKET, SO_SNDBUF, &sndbuf,
	                 sizeof sndbuf);
	for (int i = 0; i < rounds; i++) {
		char tag[16];
		int n = snprintf(tag, sizeof tag, "%d;", i);

		memset(big, 'a' + i % 26, sizeof big);
		T_CHECK_INT(rig_queue(&r, span_make((uint8_t *)tag, (size_t)n),
		                      false),
		            0);
		T_CHECK_INT(rig_queue(&r, span_make(big, BIG), true), 0);
		T_CHECK_INT(rig_queue(&r, span_make((uint8_t *)"|", 1), false),
		            0);
		/* The reference must be written before @big changes. */
		while (conn_flush(&r.c) == TERN_EAGAIN) {
			conn_trim(&r.c); /* queued output is never touched */
			T_CHECK(r.c.out != NULL);
			rig_read(&r);
		}
		if (i % 7 == 6) {
			conn_trim(&r.c);
			conn_trim(&r.c);
			T_CHECK(r.c.out == NULL);
		}
	}
	rig_read(&r);
	T_CHECK(rig_got_all(&r));
	T_CHECK_INT(r.c.bytes_out, r.want_len);
	rig_close(&r);
}

static void
test_output_order_kept_across_free_and_regrow(void)
{
	check_order(40);
}

/* Many chunks queued before a flush: the ring grows past what a busy
 * conn keeps, and still drains in order. */
static void
test_large_ring_drains_in_order_and_is_not_kept(void)
{
	struct rig r;
	static uint8_t big[100][BIG];

	T_CHECK_INT(rig_open(&r), 0);
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 100; i++) {
			memset(big[i], i, BIG);
			T_CHECK_INT(rig_queue(&r, span_make(big[i], BIG), true),
			            0);
			T_CHECK_INT(rig_queue(&r, span_make((uint8_t *)"-", 1),
			                      false),
			            0);
		}
		T_CHECK_INT(rig_drain(&r), 0);
		/* The second drain makes the conn busy, but a ring of 256
		 * entries is a burst, not a working size. */
		T_CHECK(r.c.out == NULL);
	}
	T_CHECK_INT(r.released, 200);
	T_CHECK(rig_finish(&r));
}

static void
test_enomem_on_first_output_leaves_nothing(void)
{
	struct rig r;
	static uint8_t big[BIG];

	T_CHECK_INT(rig_open(&r), 0);
	alloc_fail_after(0);
	T_CHECK_INT(rig_queue(&r, span_make(big, 1), false), TERN_ENOMEM);
	T_CHECK_INT(rig_queue(&r, span_make(big, BIG), true), TERN_ENOMEM);
	alloc_fail_after(-1);
	T_CHECK_INT(r.released, 1); /* given up on failure too */
	T_CHECK(r.c.out == NULL);
	T_CHECK_INT(r.c.out_bytes, 0);
	T_CHECK(rig_finish(&r));
}

static void
test_enomem_on_copy_buffer_keeps_queue_flushable(void)
{
	struct rig r;

	T_CHECK_INT(rig_open(&r), 0);
	/* The ring is allocated, the copy buffer is not. */
	alloc_fail_after(1);
	T_CHECK_INT(rig_queue(&r, span_make((uint8_t *)"lost", 4), false),
	            TERN_ENOMEM);
	alloc_fail_after(-1);
	T_CHECK_INT(r.c.out_bytes, 0);
	/* No empty chunk was left behind: flushing ends. */
	T_CHECK_INT(rig_drain(&r), 0);
	T_CHECK_INT(rig_queue(&r, span_make((uint8_t *)"kept", 4), false), 0);
	T_CHECK(rig_finish(&r)); /* "kept" alone */
}

static void
test_enomem_on_ring_growth_keeps_queued_chunks(void)
{
	struct rig r;
	static uint8_t big[9][BIG];

	T_CHECK_INT(rig_open(&r), 0);
	for (int i = 0; i < 9; i++) {
		memset(big[i], 'A' + i, BIG);
	}
	for (int i = 0; i < 8; i++) { /* fills the first ring */
		T_CHECK_INT(rig_queue(&r, span_make(big[i], BIG), true), 0);
	}
	alloc_fail_after(0);
	T_CHECK_INT(rig_queue(&r, span_make(big[8], BIG), true), TERN_ENOMEM);
	T_CHECK_INT(rig_queue(&r, span_make(big[8], 2), false), TERN_ENOMEM);
	alloc_fail_after(-1);
	T_CHECK_INT(r.released, 1);
	T_CHECK_INT(r.c.out_bytes, 8 * BIG);
	T_CHECK(rig_finish(&r));
}

/* Allocation k fails, for every k: what was accepted leaves in order,
 * every reference is released once, nothing leaks (ASan). */
static void
test_every_allocation_failure_is_clean(void)
{
	static uint8_t big[BIG];

	memset(big, 'z', sizeof big);
	for (long k = 0; k < 40; k++) {
		struct rig r;
		int accepted = 0;

		T_CHECK_INT(rig_open(&r), 0);
		alloc_fail_after(k);
		for (int i = 0; i < 20; i++, accepted++) {
			bool by_ref = i % 3 == 1;
			struct span s =
			        span_make(big, by_ref ? BIG : 5 + (size_t)i);
			int err = rig_queue(&r, s, by_ref);

			if (err != 0) {
				T_CHECK_INT(err, TERN_ENOMEM);
				break;
			}
		}
		alloc_fail_after(-1);
		T_CHECK(k != 0 || accepted == 0);
		T_CHECK(k < 10 || accepted == 20); /* every failure was tried */
		T_CHECK(rig_finish(&r));
	}
}

static void
test_peer_name_formats_the_recorded_address(void)
{
	struct sockaddr_in a = {0};
	socklen_t al = sizeof a;
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	int cfd = socket(AF_INET, SOCK_STREAM, 0);
	int afd;
	struct conn c;
	char want[CONN_PEER_STRLEN];

	T_CHECK(lfd >= 0 && cfd >= 0);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	T_CHECK_INT(bind(lfd, (struct sockaddr *)&a, sizeof a), 0);
	T_CHECK_INT(listen(lfd, 1), 0);
	T_CHECK_INT(getsockname(lfd, (struct sockaddr *)&a, &al), 0);
	T_CHECK_INT(connect(cfd, (struct sockaddr *)&a, sizeof a), 0);
	afd = accept(lfd, NULL, NULL);
	T_CHECK(afd >= 0);
	al = sizeof a;
	T_CHECK_INT(getsockname(cfd, (struct sockaddr *)&a, &al), 0);
	snprintf(want, sizeof want, "127.0.0.1:%u",
	         (unsigned)ntohs(a.sin_port));
	conn_init(&c, afd, no_events);
	conn_peer_record(&c);
	/* Closed sockets cannot be asked: the name outlives the peer. */
	close(cfd);
	T_CHECK(strcmp(conn_peer_name(&c).s, want) == 0);
	conn_fini(&c);
	close(afd);
	close(lfd);
}

static void
test_peer_name_of_unknown_address(void)
{
	struct conn c;
	int peer = conn_pair(&c); /* AF_UNIX: no address and port */

	T_CHECK(peer >= 0);
	conn_peer_record(&c);
	T_CHECK(strcmp(conn_peer_name(&c).s, "?:0") == 0);
	conn_close(&c, peer);
}

static void
test_peer_name_ipv6(void)
{
	struct conn c;

	memset(&c, 0, sizeof c);
	c.peer.family = 6;
	c.peer.addr[15] = 1;
	c.peer.port = 65535;
	T_CHECK(strcmp(conn_peer_name(&c).s, "::1:65535") == 0);
	memset(c.peer.addr, 0xff, sizeof c.peer.addr);
	T_CHECK(strcmp(conn_peer_name(&c).s,
	               "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff:65535") == 0);
}

T_MAIN(T_CASE(test_idle_conn_holds_no_output_memory),
       T_CASE(test_busy_conn_keeps_output_until_idle_trim),
       T_CASE(test_trim_frees_empty_input_buffer),
       T_CASE(test_output_order_kept_across_free_and_regrow),
       T_CASE(test_large_ring_drains_in_order_and_is_not_kept),
       T_CASE(test_enomem_on_first_output_leaves_nothing),
       T_CASE(test_enomem_on_copy_buffer_keeps_queue_flushable),
       T_CASE(test_enomem_on_ring_growth_keeps_queued_chunks),
       T_CASE(test_every_allocation_failure_is_clean),
       T_CASE(test_peer_name_formats_the_recorded_address),
       T_CASE(test_peer_name_of_unknown_address), T_CASE(test_peer_name_ipv6))
