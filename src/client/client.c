/*
 * client.c - the client object: options, creation and destruction,
 * locking, the event-loop entry points (tern_fd, tern_io, tern_loop), the
 * library's own loop thread, and the getters.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <unistd.h>

#include "../base/alloc.h"
#include "../base/clock.h"
#include "../base/utf8.h"
#include "client.h"

void
tern_options_init(struct tern_options *o)
{
	memset(o, 0, sizeof(*o));
	o->host = "localhost";
	o->port = 1883;
	o->version = TERN_MQTT311;
	o->clean = true;
	o->keepalive = 60;
	o->connect_timeout_ms = 10000;
	o->op_timeout_ms = 30000;
	o->tcp_nodelay = true;
	o->reconnect_min_ms = 500;
	o->reconnect_max_ms = 30000;
}

void
client_lock(struct tern_client *c)
{
	/* (void): a recursive mutex we own cannot fail to lock. */
	(void)pthread_mutex_lock(&c->mu);
}

void
client_unlock(struct tern_client *c)
{
	(void)pthread_mutex_unlock(&c->mu);
}

void
client_wake(struct tern_client *c)
{
	uint64_t one = 1;

	if (c->wake_fd >= 0) {
		/* (void): a full counter already means "wake up". */
		(void)!write(c->wake_fd, &one, sizeof one);
	}
}

bool
client_on_loop_thread(struct tern_client *c)
{
	return c->thread_running && pthread_equal(pthread_self(), c->thread);
}

/* dup_str() - copy of @s (NULL stays NULL); *err set on ENOMEM. */
static char *
dup_str(const char *s, int *err)
{
	char *d;

	if (s == NULL) {
		return NULL;
	}
	d = tern_strndup(s, strlen(s));
	if (d == NULL) {
		*err = TERN_ENOMEM;
	}
	return d;
}

static uint8_t *
dup_bytes(const void *p, size_t n, int *err)
{
	uint8_t *d = tern_malloc(n);

	if (d == NULL) {
		*err = TERN_ENOMEM;
		return NULL;
	}
	if (n > 0) {
		memcpy(d, p, n);
	}
	return d;
}

/* random_id() - "tern-" and 12 random letters and digits (3.1: <= 23). */
static char *
random_id(int *err)
{
	static const char abc[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	uint8_t r[12];
	char id[18] = "tern-";

	if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
		uint64_t t = clock_mono_us() ^ (uint64_t)getpid() << 20;

		for (size_t i = 0; i < sizeof r; i++) {
			r[i] = (uint8_t)(t >> (i * 5));
		}
	}
	for (size_t i = 0; i < sizeof r; i++) {
		id[5 + i] = abc[r[i] % (sizeof abc - 1)];
	}
	id[17] = '\0';
	return dup_str(id, err);
}

/* encode_conf_props() - check and encode @p for @where into *@out. */
static int
encode_conf_props(const struct tern_props *p, unsigned where, uint8_t **out,
                  size_t *len)
{
	size_t n;
	struct wr w;
	int err = client_props_size(p, where, &n);

	if (err != 0) {
		return err;
	}
	*out = tern_malloc(n);
	if (*out == NULL) {
		return TERN_ENOMEM;
	}
	w = wr_make(*out, n);
	client_props_encode(p, &w);
	*len = n;
	return 0;
}

/* read_connect_props() - the CONNECT properties libtern acts on. */
static int
read_connect_props(struct client_conf *f, const struct tern_props *p)
{
	const struct tern_prop *e;

	e = tern_props_find(p, TERN_PROP_SESSION_EXPIRY, NULL);
	f->session_expiry = e != NULL ? e->num : 0;
	e = tern_props_find(p, TERN_PROP_MAX_PACKET_SIZE, NULL);
	f->max_packet_in = e != NULL ? e->num : 0;
	e = tern_props_find(p, TERN_PROP_TOPIC_ALIAS_MAX, NULL);
	f->topic_alias_in = e != NULL ? (uint16_t)e->num : 0;
	return encode_conf_props(p, MQTT_CONNECT, &f->connect_props,
	                         &f->connect_props_len);
}

/*
 * is_mqtt_string() - may @s (NULL: absent) go out as a UTF-8 Encoded
 * String: at most 65535 bytes [MQTT-1.5.3], well-formed [MQTT-1.5.3-1]?
 */
static bool
is_mqtt_string(const char *s)
{
	struct span t;

	if (s == NULL) {
		return true;
	}
	t = span_str(s);
	return t.len <= 0xffff && utf8_check(t) == 0;
}

static int
check_will(const struct tern_options *o)
{
	struct span t;

	if (o->will_topic == NULL) {
		return 0;
	}
	t = span_str(o->will_topic);
	if (o->will_qos < 0 || o->will_qos > 2 || t.len == 0 ||
	    !is_mqtt_string(o->will_topic) || topic_check_name(t) != 0 ||
	    (o->will_payload == NULL && o->will_payload_len != 0) ||
	    o->will_payload_len > 0xffff) {
		return TERN_EINVAL;
	}
	return 0;
}

static int
check_options(const struct tern_options *o)
{
	bool v5 = o->version == TERN_MQTT5;

	if (o->version != TERN_MQTT31 && o->version != TERN_MQTT311 && !v5) {
		return TERN_EINVAL;
	}
	if (!v5 && (o->will_props.n > 0 || o->connect_props.n > 0)) {
		return TERN_EINVAL;
	}
	/* [MQTT-3.1.2-22]: in 3.x a password needs a user name. */
	if (!v5 && o->password != NULL && o->username == NULL) {
		return TERN_EINVAL;
	}
	if (o->host == NULL || o->connect_timeout_ms <= 0 ||
	    o->op_timeout_ms <= 0 || o->reconnect_min_ms <= 0 ||
	    o->reconnect_max_ms < o->reconnect_min_ms) {
		return TERN_EINVAL;
	}
	if (!is_mqtt_string(o->client_id) || !is_mqtt_string(o->username)) {
		return TERN_EINVAL;
	}
	/* [MQTT-3.1.3-7]: a 3.1.1 client without an id must ask for a clean
	 * session (3.1 gets a random id, 5 an assigned one). */
	if (o->version == TERN_MQTT311 && !o->clean &&
	    (o->client_id == NULL || o->client_id[0] == '\0')) {
		return TERN_EINVAL;
	}
	return check_will(o);
}

static int
copy_conf(struct client_conf *f, const struct tern_options *o)
{
	int err = 0;
	size_t pwlen = o->password_len != 0 || o->password == NULL
	                       ? o->password_len
	                       : strlen(o->password);

	f->host = dup_str(o->host, &err);
	f->bind_address = dup_str(o->bind_address, &err);
	f->username = dup_str(o->username, &err);
	if (o->client_id != NULL && o->client_id[0] != '\0') {
		f->client_id = dup_str(o->client_id, &err);
	} else if (o->version == TERN_MQTT31) {
		f->client_id = random_id(&err);
	} else {
		f->client_id = dup_str("", &err);
	}
	if (o->password != NULL) {
		f->has_password = true;
		f->password = dup_bytes(o->password, pwlen, &err);
		f->password_len = pwlen;
	}
	if (o->will_topic != NULL) {
		f->will_topic = dup_str(o->will_topic, &err);
		f->will_payload =
		        dup_bytes(o->will_payload, o->will_payload_len, &err);
		f->will_payload_len = o->will_payload_len;
		f->will_qos = (uint8_t)o->will_qos;
		f->will_retain = o->will_retain;
	}
	if (err != 0) {
		return err;
	}
	err = encode_conf_props(&o->will_props, 0, &f->will_props,
	                        &f->will_props_len);
	if (err != 0) {
		return err;
	}
	return read_connect_props(f, &o->connect_props);
}

static void
free_conf(struct client_conf *f)
{
	tern_free(f->host);
	tern_free(f->bind_address);
	tern_free(f->client_id);
	tern_free(f->username);
	tern_free(f->password);
	tern_free(f->will_topic);
	tern_free(f->will_payload);
	tern_free(f->will_props);
	tern_free(f->connect_props);
}

static int
init_sync(struct tern_client *c)
{
	pthread_mutexattr_t ma;
	pthread_condattr_t ca;
	int rc;

	if (pthread_mutexattr_init(&ma) != 0) {
		return TERN_ENOMEM;
	}
	(void)pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
	rc = pthread_mutex_init(&c->mu, &ma);
	(void)pthread_mutexattr_destroy(&ma);
	if (rc != 0) {
		return TERN_ENOMEM;
	}
	if (pthread_condattr_init(&ca) != 0) {
		(void)pthread_mutex_destroy(&c->mu);
		return TERN_ENOMEM;
	}
	(void)pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	rc = pthread_cond_init(&c->cv, &ca);
	(void)pthread_condattr_destroy(&ca);
	if (rc != 0) {
		(void)pthread_mutex_destroy(&c->mu);
		return TERN_ENOMEM;
	}
	return 0;
}

static void
init_state(struct tern_client *c, const struct tern_options *o)
{
	c->opt = *o;
	/* The copies in c->conf are the ones to use; no dangling pointers. */
	c->opt.host = NULL;
	c->opt.bind_address = NULL;
	c->opt.client_id = NULL;
	c->opt.username = NULL;
	c->opt.password = NULL;
	c->opt.will_topic = NULL;
	c->opt.will_payload = NULL;
	c->opt.will_props.v = NULL;
	c->opt.connect_props.v = NULL;
	c->ver = (enum mqtt_ver)o->version;
	c->state = CS_IDLE;
	c->fd = -1;
	c->wake_fd = -1;
	c->pending_reason = -1;
	c->last_err = TERN_ECLOSED;
	c->last_reason = -1;
	c->next_pid = 1;
	c->recv_max_out = 65535;
	c->max_qos = 2;
	c->retain_available = true;
	c->keepalive = o->keepalive;
	c->backoff_ms = (uint32_t)o->reconnect_min_ms;
	buf_init(&c->in);
	buf_init(&c->out);
	list_init(&c->inflight);
	list_init(&c->queued);
	list_init(&c->reqs);
	list_init(&c->waiters);
	list_init(&c->msgq);
}

int
tern_client_new(const struct tern_options *o, struct tern_client **out)
{
	struct tern_client *c;
	int err = check_options(o);

	if (err != 0) {
		return err;
	}
	c = tern_calloc(1, sizeof(*c));
	if (c == NULL) {
		return TERN_ENOMEM;
	}
	err = copy_conf(&c->conf, o);
	if (err == 0 && c->conf.topic_alias_in > 0) {
		c->topic_alias = tern_calloc(c->conf.topic_alias_in,
		                             sizeof(*c->topic_alias));
		err = c->topic_alias == NULL ? TERN_ENOMEM : 0;
	}
	if (err == 0) {
		err = init_sync(c);
	}
	if (err != 0) {
		free_conf(&c->conf);
		tern_free(c->topic_alias);
		tern_free(c);
		return err;
	}
	init_state(c, o);
	*out = c;
	return 0;
}

static void
free_list(struct list *head, size_t link_off)
{
	while (!list_empty(head)) {
		struct list *n = list_first(head);

		list_del(n);
		tern_free((char *)n - link_off);
	}
}

void
tern_client_free(struct tern_client *c)
{
	if (c == NULL) {
		return;
	}
	if (c->thread_running) {
		/* (void): the thread is ours; stopping it cannot fail here. */
		(void)tern_loop_stop(c);
	}
	c->user_disconnect = true;
	if (c->fd >= 0) {
		(void)close(c->fd);
	}
	while (!list_empty(&c->msgq)) {
		struct queued_msg *q = LIST_ENTRY(list_first(&c->msgq),
		                                  struct queued_msg, link);

		list_del(&q->link);
		tern_message_free(q->m);
		tern_free(q);
	}
	free_list(&c->inflight, offsetof(struct out_msg, link));
	free_list(&c->queued, offsetof(struct out_msg, link));
	free_list(&c->reqs, offsetof(struct out_req, link));
	client_aliases_clear(c);
	tern_free(c->topic_alias);
	if (c->ai_list != NULL) {
		freeaddrinfo(c->ai_list);
	}
	tern_free(c->assigned_id);
	tern_free(c->connack_raw);
	tern_free(c->connack_props);
	tern_free(c->disc_raw);
	buf_fini(&c->in);
	buf_fini(&c->out);
	free_conf(&c->conf);
	(void)pthread_cond_destroy(&c->cv);
	(void)pthread_mutex_destroy(&c->mu);
	tern_free(c);
}

void
tern_set_callbacks(struct tern_client *c, const struct tern_callbacks *cb,
                   void *arg)
{
	client_lock(c);
	if (cb != NULL) {
		c->cb = *cb;
	} else {
		memset(&c->cb, 0, sizeof c->cb);
	}
	c->cb_arg = arg;
	client_unlock(c);
}

int
tern_fd(struct tern_client *c)
{
	int fd;

	client_lock(c);
	fd = c->fd;
	client_unlock(c);
	return fd;
}

short
tern_events(struct tern_client *c)
{
	short ev;

	client_lock(c);
	ev = client_events(c);
	client_unlock(c);
	return ev;
}

uint64_t
tern_deadline(struct tern_client *c)
{
	uint64_t d;

	client_lock(c);
	d = client_deadline(c);
	client_unlock(c);
	return d;
}

/* ms_until() - poll timeout for deadline @d: -1 none, else >= 0. */
static int
ms_until(uint64_t d)
{
	uint64_t now = clock_mono_ms();

	if (d == UINT64_MAX) {
		return -1;
	}
	if (d <= now) {
		return 0;
	}
	return d - now > INT32_MAX ? INT32_MAX : (int)(d - now);
}

int
tern_timeout(struct tern_client *c)
{
	return ms_until(tern_deadline(c));
}

int
tern_io(struct tern_client *c, short revents)
{
	int err;

	client_lock(c);
	if (c->in_cb > 0 || (c->thread_running && !client_on_loop_thread(c))) {
		client_unlock(c);
		return TERN_EBUSY;
	}
	err = client_conn_io(c, revents);
	(void)pthread_cond_broadcast(&c->cv);
	client_unlock(c);
	return err;
}

/* min_timeout() - the smaller of two poll timeouts (-1 = infinite). */
static int
min_timeout(int a, int b)
{
	if (a < 0) {
		return b;
	}
	if (b < 0) {
		return a;
	}
	return a < b ? a : b;
}

int
client_poll_once(struct tern_client *c, int timeout_ms)
{
	struct pollfd pfd = {c->fd, client_events(c), 0};
	int t = min_timeout(timeout_ms, ms_until(client_deadline(c)));
	int n;

	if (c->state == CS_IDLE) {
		return c->last_err;
	}
	n = poll(&pfd, pfd.fd >= 0 ? 1 : 0, t);
	if (n < 0 && errno != EINTR) {
		return TERN_EIO;
	}
	if (n <= 0) {
		pfd.revents = 0;
	}
	return client_conn_io(c, pfd.revents);
}

int
tern_loop(struct tern_client *c, int timeout_ms)
{
	int err;

	client_lock(c);
	if (c->in_cb > 0 || c->thread_running) {
		client_unlock(c);
		return TERN_EBUSY;
	}
	err = client_poll_once(c, timeout_ms);
	client_unlock(c);
	return err;
}

/* loop_turn() - one poll of the loop thread; called and returns locked. */
static void
loop_turn(struct tern_client *c)
{
	struct pollfd pfd[2] = {{c->wake_fd, POLLIN, 0},
	                        {c->fd, client_events(c), 0}};
	unsigned gen = c->fd_gen;
	int t = ms_until(client_deadline(c));
	uint64_t junk;
	int n;

	client_unlock(c);
	n = poll(pfd, pfd[1].fd >= 0 ? 2 : 1, t);
	client_lock(c);
	if (n > 0 && (pfd[0].revents & POLLIN) != 0) {
		(void)!read(c->wake_fd, &junk, sizeof junk);
	}
	/* The socket may have been replaced while we slept: then its events
	 * are stale, and a fresh poll will report the new one's. */
	if (n <= 0 || gen != c->fd_gen) {
		pfd[1].revents = 0;
	}
	(void)client_conn_io(c, pfd[1].revents);
	(void)pthread_cond_broadcast(&c->cv);
}

static void *
loop_main(void *arg)
{
	struct tern_client *c = arg;

	client_lock(c);
	while (!c->thread_stop) {
		loop_turn(c);
	}
	client_unlock(c);
	return NULL;
}

int
tern_loop_start(struct tern_client *c)
{
	int rc;

	client_lock(c);
	if (c->thread_running || c->in_cb > 0) {
		client_unlock(c);
		return TERN_EBUSY;
	}
	c->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->wake_fd < 0) {
		client_unlock(c);
		return TERN_EIO;
	}
	c->thread_stop = false;
	rc = pthread_create(&c->thread, NULL, loop_main, c);
	if (rc != 0) {
		(void)close(c->wake_fd);
		c->wake_fd = -1;
		client_unlock(c);
		return rc == EAGAIN ? TERN_ENOMEM : TERN_EIO;
	}
	c->thread_running = true;
	client_unlock(c);
	return 0;
}

int
tern_loop_stop(struct tern_client *c)
{
	pthread_t t;

	client_lock(c);
	if (!c->thread_running || client_on_loop_thread(c)) {
		client_unlock(c);
		return TERN_EBUSY;
	}
	c->thread_stop = true;
	t = c->thread;
	client_wake(c);
	client_unlock(c);
	(void)pthread_join(t, NULL);
	client_lock(c);
	c->thread_running = false;
	(void)close(c->wake_fd);
	c->wake_fd = -1;
	(void)pthread_cond_broadcast(&c->cv);
	client_unlock(c);
	return 0;
}

bool
tern_is_connected(struct tern_client *c)
{
	bool r;

	client_lock(c);
	r = c->state == CS_CONNECTED;
	client_unlock(c);
	return r;
}

int
tern_last_reason(struct tern_client *c)
{
	int r;

	client_lock(c);
	r = c->last_reason;
	client_unlock(c);
	return r;
}

bool
tern_session_present(struct tern_client *c)
{
	bool r;

	client_lock(c);
	r = c->session_present;
	client_unlock(c);
	return r;
}

const char *
tern_client_id(struct tern_client *c)
{
	const char *id;

	client_lock(c);
	id = c->assigned_id != NULL ? c->assigned_id : c->conf.client_id;
	client_unlock(c);
	return id;
}

int
tern_version(struct tern_client *c)
{
	return (int)c->ver;
}

void
tern_connack_props(struct tern_client *c, struct tern_props *out)
{
	client_lock(c);
	out->v = c->connack_props;
	out->n = c->n_connack_props;
	client_unlock(c);
}

const char *
tern_error_detail(struct tern_client *c)
{
	const char *d;

	client_lock(c);
	d = c->detail;
	client_unlock(c);
	return d;
}
