/*
 * worker_test.c - a server without listeners, driven in this thread:
 * connections handed in with worker_accept_fd(), loop turns with
 * worker_turn() on a manual clock (the way fuzz/conn_driver.c drives it).
 */
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../base/alloc.h"
#include "../base/log.h"
#include "../base/test.h"
#include "broker.h"

static uint64_t now_ms = 5000;

static uint64_t
manual_clock(void)
{
	return now_ms;
}

static const char CONF[] = "allow_anonymous true\n"
                           "workers 1\n"
                           "connect_timeout 2\n"
                           "max_pending_connections 1\n";

/* A 3.1.1 CONNECT, client id "t", clean session, keep-alive 0. */
static const uint8_t CONNECT[] = {0x10, 13, 0, 4, 'M', 'Q', 'T', 'T',
                                  4,    2,  0, 0, 0,   1,   't'};
static const uint8_t CONNACK_OK[] = {0x20, 2, 0, 0};

static void
quiet(void)
{
	struct log_settings s = {.mask = 0, .fd = 2};

	log_setup(&s);
}

static int
make_config(struct config *cfg)
{
	char err[256];

	config_init(cfg);
	if (config_parse(cfg, CONF, sizeof CONF - 1, "test.conf", err,
	                 sizeof err) != 0 ||
	    config_finish(cfg, err, sizeof err) != 0) {
		(void)fprintf(stderr, "%s\n", err);
		return -1;
	}
	return 0;
}

/* A connection handed to @w; our end in *peer. worker_accept_fd()'s
 * result. */
static int
connect_peer(struct worker *w, int *peer)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) != 0) {
		return -1;
	}
	*peer = sv[0];
	return worker_accept_fd(w, sv[1], 0);
}

/* Turn @w a few times; what the broker sent @peer, or 0 at EOF, or -1
 * when nothing came. */
static ssize_t
turn_and_read(struct worker *w, int peer, uint8_t *buf, size_t len)
{
	for (int i = 0; i < 8; i++) {
		ssize_t n;

		(void)worker_turn(w, 0);
		n = read(peer, buf, len);
		if (n >= 0) {
			return n;
		}
	}
	return -1;
}

static void
test_accept_connect_and_pending_cap(void)
{
	size_t before = alloc_in_use();
	struct config cfg;
	struct server *srv;
	struct worker *w;
	uint8_t buf[64];
	char err[256];
	int a, b, c;

	quiet();
	T_CHECK_INT(make_config(&cfg), 0);
	srv = server_new(&cfg, manual_clock, err, sizeof err);
	T_CHECK(srv != NULL);
	w = srv->workers[0];
	T_CHECK_INT(w->n_lw, 0); /* no listening socket */
	router_online(srv->router, 0);

	T_CHECK_INT(connect_peer(w, &a), 0);
	/* max_pending_connections 1: refused, and closed. */
	T_CHECK_INT(connect_peer(w, &b), TERN_EDENIED);
	T_CHECK_INT(read(b, buf, sizeof buf), 0);
	T_CHECK_INT(write(a, CONNECT, sizeof CONNECT), sizeof CONNECT);
	T_CHECK_INT(turn_and_read(w, a, buf, sizeof buf), sizeof CONNACK_OK);
	T_CHECK_MEM(buf, CONNACK_OK, sizeof CONNACK_OK);
	/* Its CONNECT accepted, it no longer counts as pending. */
	T_CHECK_INT(connect_peer(w, &c), 0);

	/* connect_timeout 2 on the manual clock: the silent one goes, the
	 * connected one (keep-alive 0) stays. */
	now_ms += 2000;
	T_CHECK_INT(turn_and_read(w, c, buf, sizeof buf), 0);
	T_CHECK_INT(turn_and_read(w, a, buf, sizeof buf), -1);
	T_CHECK_INT(errno, EAGAIN);

	router_offline(srv->router, 0);
	server_free(srv);
	close(a);
	close(b);
	close(c);
	config_fini(&cfg);
	T_CHECK_INT(alloc_in_use(), before);
}

/* Every allocation of server_new() may fail: NULL, and nothing held. */
static void
test_server_new_out_of_memory(void)
{
	size_t start = alloc_in_use(), before;
	struct config cfg;
	char err[256];
	long k;

	quiet();
	T_CHECK_INT(make_config(&cfg), 0);
	before = alloc_in_use();
	for (k = 0; k < 1000; k++) {
		struct server *srv;

		alloc_fail_after(k);
		srv = server_new(&cfg, manual_clock, err, sizeof err);
		alloc_fail_after(-1);
		if (srv != NULL) {
			server_free(srv);
			break;
		}
		T_CHECK_INT(alloc_in_use(), before);
	}
	T_CHECK(k > 0 && k < 1000);
	T_CHECK_INT(alloc_in_use(), before);
	config_fini(&cfg);
	T_CHECK_INT(alloc_in_use(), start);
}

T_MAIN(T_CASE(test_accept_connect_and_pending_cap),
       T_CASE(test_server_new_out_of_memory))
