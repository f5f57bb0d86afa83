/*
 * test_peer.h - a hand-driven broker for the client's unit tests.
 *
 * The client gets one end of a socketpair (client_attach()); the test
 * holds the other, writes the broker's bytes with PEER_SEND() and checks
 * the client's bytes, exactly, with PEER_EXPECT(). step() lets the client
 * handle what is waiting without blocking.
 */
#ifndef TERN_CLIENT_TEST_PEER_H
#define TERN_CLIENT_TEST_PEER_H

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../base/test.h"
#include "client.h"

/* peer_start() - a client with options @o on a socketpair; *peer = ours. */
static inline struct tern_client *
peer_start(const struct tern_options *o, int *peer)
{
	struct tern_client *c = NULL;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		return NULL;
	}
	if (tern_client_new(o, &c) != 0) {
		close(sv[0]);
		close(sv[1]);
		return NULL;
	}
	if (client_attach(c, sv[0]) != 0) {
		tern_client_free(c);
		close(sv[1]);
		return NULL;
	}
	*peer = sv[1];
	return c;
}

/* peer_reattach() - a new socketpair for the same client (a reconnect). */
static inline int
peer_reattach(struct tern_client *c)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		return -1;
	}
	if (client_attach(c, sv[0]) != 0) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	return sv[1];
}

/* peer_read() - all the client wrote, waiting up to 200 ms for a byte. */
static inline size_t
peer_read(int fd, uint8_t *buf, size_t cap)
{
	struct pollfd p = {fd, POLLIN, 0};
	size_t n = 0;

	if (poll(&p, 1, 200) <= 0) {
		return 0;
	}
	while (n < cap) {
		ssize_t r = recv(fd, buf + n, cap - n, MSG_DONTWAIT);

		if (r <= 0) {
			break;
		}
		n += (size_t)r;
	}
	return n;
}

static inline void
peer_send(int fd, const uint8_t *b, size_t n)
{
	if (write(fd, b, n) != (ssize_t)n) {
		abort();
	}
}

#define PEER_SEND(fd, ...)                                 \
	do {                                               \
		static const uint8_t b_[] = {__VA_ARGS__}; \
		peer_send((fd), b_, sizeof b_);            \
	} while (0)

#define PEER_EXPECT(fd, ...)                                    \
	do {                                                    \
		static const uint8_t want_[] = {__VA_ARGS__};   \
		uint8_t got_[4096];                             \
		size_t n_ = peer_read((fd), got_, sizeof got_); \
		T_CHECK_INT(n_, sizeof want_);                  \
		T_CHECK_MEM(got_, want_, sizeof want_);         \
	} while (0)

#define PEER_SILENT(fd)                                             \
	do {                                                        \
		uint8_t got_[64];                                   \
		T_CHECK_INT(peer_read((fd), got_, sizeof got_), 0); \
	} while (0)

/* pub_async() - tern_publish_async() of a NUL-terminated payload. */
static inline int
pub_async(struct tern_client *c, const char *topic, const char *payload,
          int qos, uint16_t *mid)
{
	struct tern_pub m = {topic, payload, strlen(payload),
	                     qos,   false,   {NULL, 0}};

	return tern_publish_async(c, &m, mid);
}

/* step() - let the client handle what is waiting; tern_io()'s result. */
static inline int
step(struct tern_client *c)
{
	return tern_io(c, POLLIN | POLLOUT);
}

/* Records of what the callbacks saw. */
struct seen {
	int connects;
	int connect_reason;
	int publishes;
	uint16_t pub_mid[16];
	int pub_err[16];
	int pub_reason[16];
	int disconnects;
	int disc_err;
	int disc_reason;
	char disc_string[64];
	int subs;
	uint8_t sub_rcs[8];
	size_t sub_n;
};

static inline void
seen_connect(struct tern_client *c, void *arg, int reason, bool sp,
             const struct tern_props *props)
{
	struct seen *s = arg;

	(void)c;
	(void)sp;
	(void)props;
	s->connects++;
	s->connect_reason = reason;
}

static inline void
seen_publish(struct tern_client *c, void *arg, uint16_t mid, int err,
             int reason, const struct tern_props *props)
{
	struct seen *s = arg;

	(void)c;
	(void)props;
	if (s->publishes < 16) {
		s->pub_mid[s->publishes] = mid;
		s->pub_err[s->publishes] = err;
		s->pub_reason[s->publishes] = reason;
	}
	s->publishes++;
}

static inline void
seen_disconnect(struct tern_client *c, void *arg, int err, int reason,
                const struct tern_props *props)
{
	struct seen *s = arg;
	const struct tern_prop *p =
	        tern_props_find(props, TERN_PROP_REASON_STRING, NULL);

	(void)c;
	s->disconnects++;
	s->disc_err = err;
	s->disc_reason = reason;
	if (p != NULL && p->str_len < sizeof s->disc_string) {
		memcpy(s->disc_string, p->str, p->str_len);
		s->disc_string[p->str_len] = '\0';
	}
}

static inline void
seen_subscribe(struct tern_client *c, void *arg, uint16_t mid,
               const uint8_t *rcs, size_t n, const struct tern_props *props)
{
	struct seen *s = arg;

	(void)c;
	(void)mid;
	(void)props;
	s->subs++;
	s->sub_n = n;
	for (size_t i = 0; i < n && i < sizeof s->sub_rcs; i++) {
		s->sub_rcs[i] = rcs[i];
	}
}

static inline void
seen_install(struct tern_client *c, struct seen *s)
{
	struct tern_callbacks cb = {0};

	memset(s, 0, sizeof(*s));
	s->connect_reason = -1;
	cb.on_connect = seen_connect;
	cb.on_publish = seen_publish;
	cb.on_disconnect = seen_disconnect;
	cb.on_subscribe = seen_subscribe;
	cb.on_unsubscribe = seen_subscribe;
	tern_set_callbacks(c, &cb, s);
}

/* base_opts() - protocol @ver, client id "c1", the rest default. */
static inline void
base_opts(struct tern_options *o, int ver)
{
	tern_options_init(o);
	o->version = ver;
	o->client_id = "c1";
}

#endif
