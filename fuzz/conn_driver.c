/*
 * conn_driver.c - the broker under a script of client actions; see
 * conn_driver.h for the script and what is checked.
 *
 * Everything the broker does happens in this thread, in worker_turn(),
 * with a clock that moves only when the script says: a run depends on
 * its input alone, so a crash reproduces from its file.
 */
#include "conn_driver.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/log.h"
#include "broker/broker.h"
#include "codec/mqtt.h"
#include "fuzz.h"

/* Small caps so that a few records reach them: two messages in flight,
 * 32 queued (a queue of 16 already asks publishers to slow down, see
 * flow.c), one short keep-alive and expiry. memory_limit is a little
 * above what an idle server holds, so load shedding is reachable too.
 * The password and ACL files are made at start (auth_files()). */
static const char CONFIG_TEXT[] = "allow_anonymous true\n"
                                  "workers 1\n"
                                  "max_inflight_messages 2\n"
                                  "max_queued_messages 32\n"
                                  "max_queued_bytes 8192\n"
                                  "queue_qos0_messages true\n"
                                  "max_keepalive 10\n"
                                  "connect_timeout 2\n"
                                  "persistent_client_expiration 5s\n"
                                  "sys_interval 3\n"
                                  "max_pending_connections 3\n"
                                  "max_client_id_length 32\n"
                                  "max_topic_levels 8\n"
                                  "max_subscriptions_per_client 4\n"
                                  "max_packet_size 2048\n"
                                  "memory_limit 1000000\n";

/* alice, password "secret" (mosquitto_passwd's PBKDF2, 101 rounds). */
static const char PASSWD_TEXT[] =
        "alice:$7$101$K9gGyX8OAK8aH8My$XhFdvdQ5Wozzxtk4Msfv28iqtpRC+gbownW9"
        "PVzapYe6E4+woCaHYNoBQjPqurmQ6ZGeZm9Q2CH+VqbB+reifw==\n";

/* Anonymous clients may do nearly anything, alice reads everything and
 * writes under her names: both allowed and denied paths are near. */
static const char ACL_TEXT[] = "topic readwrite #\n"
                               "topic deny secret/#\n"
                               "topic read $SYS/#\n"
                               "user alice\n"
                               "topic read #\n"
                               "pattern readwrite c/%c/#\n"
                               "pattern write u/%u/#\n";

/* Bytes the broker side of a socket buffers before it is full: small,
 * so that a client not read from soon makes the broker queue. */
#define BROKER_SNDBUF 4096
/* Bytes a run may write in all (REPEAT makes inputs large cheaply). */
#define WRITE_BUDGET (1024 * 1024)
/* Loop turns after a step at most (each turn ends with its writes out,
 * so a step rarely needs more than three). */
#define SETTLE_TURNS 64
/* Retries of a write the broker is not reading, turning the loop. */
#define WRITE_RETRIES 4

static const size_t piece_len[8] = {1, 2, 3, 5, 8, 16, 64, 256};

enum action {
	ACT_CLOSE = 4,
	ACT_READ = 5,
	ACT_TIME = 6,
	ACT_REPEAT = 7,
};

struct peer {
	int fd;       /* the client's end; -1 when not connected */
	bool paused;  /* its output is left unread */
	bool connack; /* the first packet from the broker was a CONNACK */
	uint8_t ver;  /* enum mqtt_ver of the broker's packets */
	const uint8_t *last; /* its last WRITE, for REPEAT */
	size_t last_len;
	uint8_t *in; /* output of the broker not yet a whole packet */
	size_t in_len;
	size_t in_cap;
	size_t sent, packets; /* bytes to and packets from the broker */
};

struct run {
	struct worker *w;
	struct peer peers[CONN_PEERS];
	size_t budget; /* bytes still to write */
};

static struct config cfg;
static uint64_t manual_now_ms;
static bool verbose;

static uint64_t
manual_clock(void)
{
	return manual_now_ms;
}

static char passwd_path[64], acl_path[64];

/* @text in an anonymous in-memory file that stays open for the process,
 * named by a /proc path the broker can open like any file: nothing is
 * left on disk, however the process ends. */
static void
memory_file(const char *name, const char *text, char *path, size_t len)
{
	int fd = memfd_create(name, MFD_CLOEXEC);
	size_t n = strlen(text);

	FUZZ_CHECK(fd >= 0);
	FUZZ_CHECK(write(fd, text, n) == (ssize_t)n);
	(void)snprintf(path, len, "/proc/self/fd/%d", fd);
}

/* The password and ACL files; the configuration lines naming them in
 * @out. */
static void
auth_files(char *out, size_t len)
{
	memory_file("passwd", PASSWD_TEXT, passwd_path, sizeof passwd_path);
	memory_file("acl", ACL_TEXT, acl_path, sizeof acl_path);
	(void)snprintf(out, len, "password_file %s\nacl_file %s\n", passwd_path,
	               acl_path);
}

static void
setup_once(void)
{
	static bool done;
	/* FUZZ_CONN_LOG=1 shows the broker's log, to read what a crashing
	 * input did. */
	const char *env = getenv("FUZZ_CONN_LOG");
	struct log_settings quiet = {.mask = 0, .fd = 2};
	char auth[200], err[256];

	if (done) {
		return;
	}
	done = true;
	verbose = env != NULL && env[0] == '1';
	quiet.mask = verbose ? LOG_ALL : 0;
	log_setup(&quiet);
	config_init(&cfg);
	auth_files(auth, sizeof auth);
	FUZZ_CHECK(config_parse(&cfg, CONFIG_TEXT, sizeof CONFIG_TEXT - 1,
	                        "fuzz.conf", err, sizeof err) == 0);
	FUZZ_CHECK(config_parse(&cfg, auth, strlen(auth), "fuzz-auth.conf", err,
	                        sizeof err) == 0);
	FUZZ_CHECK(config_finish(&cfg, err, sizeof err) == 0);
}

/* A server may send these; a client-only type is a broker bug. */
static bool
server_may_send(uint8_t type)
{
	return type == MQTT_CONNACK || type == MQTT_PUBLISH ||
	       type == MQTT_PUBACK || type == MQTT_PUBREC ||
	       type == MQTT_PUBREL || type == MQTT_PUBCOMP ||
	       type == MQTT_SUBACK || type == MQTT_UNSUBACK ||
	       type == MQTT_PINGRESP;
}

static void
check_packet(struct peer *p, const struct mqtt_fixed *fh, struct span body)
{
	struct mqtt_packet pkt;

	FUZZ_CHECK(server_may_send(fh->type));
	/* [MQTT-3.2.0-1] CONNACK first, and once. */
	FUZZ_CHECK((fh->type == MQTT_CONNACK) == !p->connack);
	p->connack = true;
	p->packets++;
	/* 3.1 and 3.1.1 server packets have one encoding. An MQTT 5
	 * CONNECT is refused in the MQTT 5 layout, which is what it is
	 * read as when the 3.1.1 one does not fit. */
	if (fh->type == MQTT_CONNACK &&
	    codec_decode(fh, body, MQTT_V311, &pkt) != 0) {
		p->ver = MQTT_V5;
	}
	FUZZ_CHECK(codec_decode(fh, body, (enum mqtt_ver)p->ver, &pkt) == 0);
}

/* Append @n bytes of broker output and check each whole packet. */
static void
take_output(struct peer *p, const uint8_t *b, size_t n)
{
	size_t used = 0;

	if (p->in_len + n > p->in_cap) {
		size_t cap = p->in_len + n + 4096;
		uint8_t *in = realloc(p->in, cap);

		FUZZ_CHECK(in != NULL);
		p->in = in;
		p->in_cap = cap;
	}
	memcpy(p->in + p->in_len, b, n);
	p->in_len += n;
	for (;;) {
		struct mqtt_fixed fh;
		int e = codec_frame(p->in + used, p->in_len - used, NULL, &fh);

		if (e == TERN_EAGAIN) {
			break;
		}
		FUZZ_CHECK(e == 0);
		check_packet(p, &fh,
		             span_make(p->in + used + fh.hdr_len, fh.body_len));
		used += fh.hdr_len + fh.body_len;
	}
	memmove(p->in, p->in + used, p->in_len - used);
	p->in_len -= used;
}

static void
peer_close(struct peer *p)
{
	if (p->fd >= 0) {
		close(p->fd);
	}
	p->fd = -1;
	p->connack = false;
	p->in_len = 0; /* a close may cut the last packet short */
}

/* Read everything the broker sent @p; bytes read. At EOF the client's
 * end is closed too, so its next WRITE connects again. */
static size_t
peer_drain(struct peer *p)
{
	uint8_t buf[16384];
	size_t total = 0;

	while (p->fd >= 0 && !p->paused) {
		ssize_t n = read(p->fd, buf, sizeof buf);

		if (n > 0) {
			take_output(p, buf, (size_t)n);
			total += (size_t)n;
		} else if (n == 0 || errno == ECONNRESET) {
			peer_close(p);
			total++; /* something happened */
		} else {
			break;
		}
	}
	return total;
}

/* Between turns the broker's counters agree with its lists: a count
 * that drifts would, in time, refuse every client (max_connections,
 * max_pending_connections) or misreport $SYS. */
static void
check_counts(const struct worker *w)
{
	const struct server *srv = w->srv;
	long conns = 0, pending = 0, connected = 0, idle = 0;
	const struct list *pos;

	list_for_each (pos, &w->clients) {
		const struct client *c = LIST_ENTRY(pos, struct client, link);

		conns++;
		pending += c->pending ? 1 : 0;
		connected += c->counted ? 1 : 0;
		FUZZ_CHECK(c->session == NULL || c->session->client == c);
	}
	for (uint32_t i = 0; i < w->n_slots; i++) {
		const struct session *se = w->slots[i].s;

		idle += se != NULL && se->idle ? 1 : 0;
	}
	FUZZ_CHECK(list_empty(&w->closing));
	FUZZ_CHECK(atomic_load(&srv->n_conns) == conns);
	FUZZ_CHECK(atomic_load(&srv->listeners[0].count) == conns);
	FUZZ_CHECK(atomic_load(&srv->n_pending) == pending);
	FUZZ_CHECK(atomic_load(&w->stats.connected) == connected);
	FUZZ_CHECK(atomic_load(&w->stats.disconnected) == idle);
}

/* Turn the loop and read the output until neither does anything. */
static void
settle(struct run *r)
{
	for (int i = 0; i < SETTLE_TURNS; i++) {
		size_t got = 0;
		int events = worker_turn(r->w, 0);

		for (int k = 0; k < CONN_PEERS; k++) {
			got += peer_drain(&r->peers[k]);
		}
		if (events == 0 && got == 0) {
			break;
		}
	}
	check_counts(r->w);
}

/* A new connection for @p, handed to the worker as an accept would. */
static void
peer_open(struct run *r, struct peer *p)
{
	int sv[2];
	int small = BROKER_SNDBUF;

	FUZZ_CHECK(socketpair(AF_UNIX,
	                      SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
	                      sv) == 0);
	(void)setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
	p->fd = sv[0];
	p->connack = false;
	p->ver = MQTT_V311;
	p->in_len = 0;
	/* Refused (a limit, or memory): sv[1] is closed and the client
	 * reads EOF at the next drain. */
	(void)worker_accept_fd(r->w, sv[1], 0);
}

/* Write @n bytes, turning the loop while the broker is not reading.
 * False when not all of them went: the broker closed, or stopped reading
 * (it throttles a client that does not read its own responses). */
static bool
peer_send(struct run *r, struct peer *p, const uint8_t *b, size_t n)
{
	int retries = 0;

	if (n > r->budget) {
		return false;
	}
	r->budget -= n;
	while (n > 0 && p->fd >= 0) {
		ssize_t k = send(p->fd, b, n, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (k > 0) {
			p->sent += (size_t)k;
			b += k;
			n -= (size_t)k;
		} else if (k < 0 && errno == EAGAIN &&
		           retries++ < WRITE_RETRIES) {
			settle(r);
		} else {
			return false;
		}
	}
	return n == 0;
}

static void
do_write(struct run *r, struct peer *p, const uint8_t *b, size_t n,
         unsigned param)
{
	size_t piece = piece_len[param];

	if (p->fd < 0) {
		peer_open(r, p);
	}
	p->last = b;
	p->last_len = n;
	for (size_t off = 0; off < n; off += piece) {
		size_t len = n - off < piece ? n - off : piece;

		/* (void): what a short write leaves out is input too. */
		(void)peer_send(r, p, b + off, len);
		settle(r);
	}
}

/* The repeats go back to back, as a flood would: the loop turns only
 * when the socket is full, and at the end. */
static void
do_repeat(struct run *r, struct peer *p, unsigned times)
{
	for (unsigned i = 0; i < times && p->fd >= 0; i++) {
		if (!peer_send(r, p, p->last, p->last_len)) {
			break;
		}
	}
	settle(r);
}

/* Play the script; returns when it ends. */
static void
play(struct run *r, const uint8_t *data, size_t size)
{
	size_t at = 0;

	while (at < size) {
		uint8_t op = data[at++];
		struct peer *p = &r->peers[op & 3];
		unsigned action = (op >> 2) & 7;
		unsigned param = op >> 5;
		size_t n = 0;

		if (action != ACT_CLOSE && action != ACT_READ) {
			if (at == size) {
				return; /* its byte is missing */
			}
			n = data[at++];
		}
		if (action < ACT_CLOSE) {
			n = n < size - at ? n : size - at;
			do_write(r, p, data + at, n, param);
			at += n;
		} else if (action == ACT_CLOSE) {
			peer_close(p);
			settle(r);
		} else if (action == ACT_READ) {
			p->paused = !p->paused;
			settle(r);
		} else if (action == ACT_TIME) {
			manual_now_ms += n * 100 + param;
			settle(r);
		} else {
			do_repeat(r, p, (unsigned)n * 8);
		}
	}
}

void
conn_run(const uint8_t *data, size_t size, long fail_after)
{
	struct run r = {.budget = WRITE_BUDGET};
	size_t before;
	struct server *srv;
	char err[256];

	setup_once();
	before = alloc_in_use();
	for (int i = 0; i < CONN_PEERS; i++) {
		r.peers[i].fd = -1;
	}
	manual_now_ms = 1000000;
	alloc_fail_after(fail_after);
	srv = server_new(&cfg, manual_clock, err, sizeof err);
	if (srv != NULL) {
		r.w = srv->workers[0];
		router_online(srv->router, 0);
		play(&r, data, size);
		/* Every client leaves; the broker sees EOF on those it still
		 * reads, and server_free() ends the others. */
		for (int i = 0; i < CONN_PEERS; i++) {
			peer_close(&r.peers[i]);
		}
		settle(&r);
		router_offline(srv->router, 0);
		server_free(srv);
	}
	alloc_fail_after(-1);
	for (int i = 0; i < CONN_PEERS; i++) {
		if (verbose) {
			(void)fprintf(stderr,
			              "client %d: %zu bytes sent, %zu packets "
			              "received\n",
			              i, r.peers[i].sent, r.peers[i].packets);
		}
		free(r.peers[i].in);
	}
	FUZZ_CHECK(alloc_in_use() == before);
}
