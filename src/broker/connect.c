/*
 * connect.c - CONNECT / CONNACK, authentication, session take-over and the
 * hand-over of a connection to the worker that owns its session; the end
 * of a connection (DISCONNECT, will, close).
 *
 * Sessions stay on the worker that created them. When a CONNECT arrives on
 * worker B for a client id whose session lives on worker A, B hands the
 * whole connection (socket, unread bytes, the CONNECT itself) to A through
 * A's inbox; A then handles the CONNECT as if it had accepted the socket,
 * so take-over, session resumption and redelivery are always local and
 * the per-session message order never has to survive a move.
 */
#include "broker.h"

#include <stdio.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "../base/alloc.h"
#include "../base/log.h"

void
client_adopt(struct worker *w, struct client *c)
{
	c->w = w;
	c->migrate_to = UINT32_MAX;
	c->progress_ms = 0; /* no progress until it takes a message */
	list_init(&c->wlink);
	list_init(&c->tlink);
	list_insert_tail(&w->clients, &c->link);
	if (loop_add(&w->loop, &c->conn.watch, EPOLLIN) != 0) {
		client_close(c, "epoll_ctl failed");
	}
}

static int
refuse(struct client *c, uint8_t rc, const char *why)
{
	struct mqtt_packet p = {.type = MQTT_CONNACK};

	p.u.connack.rc = rc;
	/* (void): the connection closes either way. */
	(void)client_send_packet(c, &p);
	c->why = why;
	return TERN_EDENIED;
}

/* [MQTT-3.1.3-6/8] and MQTT 3.1's 1..23 character ids. */
static int
check_client_id(struct client *c, const struct mqtt_connect *cn)
{
	if (cn->ver == MQTT_V31 &&
	    (cn->client_id.len == 0 || cn->client_id.len > 23)) {
		return refuse(c, MQTT_CONNACK_ID_REJECTED,
		              "MQTT 3.1 client id must be 1 to 23 characters");
	}
	if (cn->client_id.len > (size_t)c->w->srv->cfg->max_client_id_length) {
		return refuse(c, MQTT_CONNACK_ID_REJECTED,
		              "client id longer than max_client_id_length");
	}
	if (cn->client_id.len == 0 && !cn->clean) {
		return refuse(c, MQTT_CONNACK_ID_REJECTED,
		              "empty client id without clean session");
	}
	return 0;
}

static int
authenticate(struct client *c, const struct mqtt_connect *cn)
{
	const struct server *srv = c->w->srv;

	if (cn->has_username && srv->passwd != NULL) {
		struct span pw =
		        cn->has_password ? cn->password : span_make("", 0);
		if (passwd_check(srv->passwd, cn->username, pw) == 0) {
			return 0;
		}
		return refuse(c, MQTT_CONNACK_BAD_AUTH,
		              "bad user name or password");
	}
	if (!srv->cfg->allow_anonymous) {
		return refuse(c, MQTT_CONNACK_NOT_AUTHORIZED,
		              "anonymous access not allowed");
	}
	return 0;
}

/* The will's topic must be writable by this client. The ACL and the
 * client's identity cannot change during the connection, so checking at
 * CONNECT gives the answer a check at publish time would; like mosquitto,
 * the connection is accepted and the will is never published. */
static bool
will_allowed(const struct client *c, const struct mqtt_connect *cn,
             struct span id)
{
	const struct acl *acl = c->w->srv->acl;
	struct span user = cn->has_username ? cn->username : span_make("", 0);

	return acl == NULL ||
	       acl_check(acl, id, user, cn->will.topic, ACL_WRITE) == 0;
}

static int
set_will(struct client *c, const struct mqtt_connect *cn)
{
	struct session *s = c->session;

	if (!cn->has_will) {
		return 0;
	}
	if (!will_allowed(c, cn, span_make(s->id, s->id_len))) {
		log_msg(LOG_INFO, "Will of %.*s on %.*s denied by the ACL.",
		        (int)s->id_len, s->id, (int)cn->will.topic.len,
		        cn->will.topic.p);
		return 0;
	}
	c->will = msg_new(cn->will.topic, cn->will.payload, span_make("", 0),
	                  cn->will.qos, cn->will.retain);
	return c->will == NULL ? TERN_ENOMEM : 0;
}

/*
 * Find or make the session for @id on this worker. Returns 0 with *out and
 * *present set; 1 when the connection was handed to another worker;
 * or a negative error.
 */
static int
claim_session(struct client *c, struct span id, bool clean,
              struct session **out, bool *present)
{
	struct worker *w = c->w;
	struct registry *reg = &w->srv->reg;
	struct reg_entry found;
	struct session *s, *old;
	int err;

	s = session_new(w, id);
	if (s == NULL) {
		return TERN_ENOMEM;
	}
	err = registry_insert(reg, id, w->idx, s->slot, s->gen, &found);
	if (err == 0) {
		*out = s;
		*present = false;
		return 0;
	}
	if (err != TERN_EEXIST) {
		session_destroy(w, s, false);
		return err;
	}
	if (found.worker != w->idx) {
		session_destroy(w, s, false);
		if (c->hops >= CLIENT_MAX_HOPS) {
			return TERN_EBUSY;
		}
		client_migrate(c, found.worker);
		return 1;
	}
	old = session_lookup(w, found.slot, found.gen);
	if (old != NULL && old->client != NULL) {
		/* [MQTT-3.1.4-2] take-over: the old connection closes, and
		 * its will is published since it did not DISCONNECT. */
		struct client *prev = old->client;
		client_close(prev, "session taken over");
		prev->session = NULL;
		old->client = NULL;
		session_set_idle(w, old, true);
	}
	if (old != NULL && !clean) {
		session_destroy(w, s, false);
		*out = old;
		*present = true;
		return 0;
	}
	registry_replace(reg, id, w->idx, s->slot, s->gen);
	if (old != NULL) {
		session_destroy(w, old, false);
	}
	*out = s;
	*present = false;
	return 0;
}

static void
attach(struct client *c, struct session *s, bool clean)
{
	struct worker *w = c->w;
	struct server *srv = w->srv;
	long now_connected;

	session_set_idle(w, s, false);
	s->client = c;
	s->persistent = !clean;
	c->session = s;
	c->state = CS_ACTIVE;
	c->counted = true;
	if (c->pending) {
		c->pending = false;
		atomic_fetch_sub(&w->srv->n_pending, 1);
	}
	atomic_fetch_add(&w->stats.connected, 1);
	now_connected = 0;
	for (unsigned i = 0; i < srv->n_workers; i++) {
		now_connected +=
		        atomic_load_explicit(&srv->workers[i]->stats.connected,
		                             memory_order_relaxed);
	}
	long max = atomic_load(&srv->clients_max);
	while (now_connected > max &&
	       !atomic_compare_exchange_weak(&srv->clients_max, &max,
	                                     now_connected)) {
	}
}

static struct span
assign_id(struct client *c, const struct mqtt_connect *cn, char *buf,
          size_t len)
{
	unsigned long seq;

	if (cn->client_id.len != 0) {
		return cn->client_id;
	}
	/* [MQTT-3.1.3-6] a unique id for an empty one (clean session): a
	 * client may have picked the same text itself, so skip ids in use. */
	do {
		seq = atomic_fetch_add(&c->w->srv->id_seq, 1);
		snprintf(buf, len, "auto-%llx-%lx",
		         (unsigned long long)c->w->srv->start_ms, seq);
	} while (registry_contains(&c->w->srv->reg, span_str(buf)));
	return span_str(buf);
}

static int
connack(struct client *c, bool present)
{
	struct mqtt_packet p = {.type = MQTT_CONNACK};

	/* [MQTT-3.2.2-1] session present is 0 with clean session; MQTT 3.1
	 * has no such flag. */
	p.u.connack.session_present = present && c->ver != MQTT_V31;
	p.u.connack.rc = MQTT_CONNACK_ACCEPTED;
	return client_send_packet(c, &p);
}

static int
check_connect(struct client *c, const struct mqtt_packet *p, int derr)
{
	if (derr == TERN_EVERSION) {
		/* [MQTT-3.1.2-2] answer 0x01 in the 3.1.1 layout, then close.
		 */
		c->ver = MQTT_V311;
		return refuse(c, MQTT_CONNACK_BAD_VERSION,
		              "unsupported protocol version");
	}
	if (derr != 0) {
		c->why = derr == TERN_EPROTO ? "bad protocol name in CONNECT"
		                             : "malformed CONNECT";
		return derr;
	}
	c->ver = (uint8_t)p->u.connect.ver;
	if (p->u.connect.ver == MQTT_V5) {
		/* MQTT 5 behaviours are not served yet: refuse cleanly. */
		return refuse(c, MQTT_RC_UNSUPPORTED_VERSION,
		              "MQTT 5 is not supported yet");
	}
	return 0;
}

int
handle_connect(struct client *c, const struct mqtt_packet *p, int derr)
{
	const struct mqtt_connect *cn = &p->u.connect;
	const struct config *cfg = c->w->srv->cfg;
	char idbuf[64];
	struct session *s = NULL;
	bool present = false;
	struct span id;
	int err;

	err = check_connect(c, p, derr);
	if (err == 0) {
		err = check_client_id(c, cn);
	}
	if (err == 0 && cfg->max_keepalive != 0 && cfg->max_keepalive < 65535 &&
	    (cn->keepalive == 0 || cn->keepalive > cfg->max_keepalive)) {
		err = refuse(c, MQTT_CONNACK_ID_REJECTED,
		             "keep-alive above max_keepalive");
	}
	if (err == 0) {
		err = authenticate(c, cn);
	}
	if (err == 0 && server_mem_pressure(c->w->srv) != MEM_OK) {
		/* Load shedding: keep serving the clients we have. */
		err = refuse(c, MQTT_CONNACK_UNAVAILABLE,
		             "memory_limit nearly reached");
	}
	if (err != 0) {
		return err;
	}
	id = assign_id(c, cn, idbuf, sizeof idbuf);
	err = claim_session(c, id, cn->clean, &s, &present);
	if (err == 1) {
		return 0; /* handed to the session's worker */
	}
	if (err != 0) {
		return refuse(c, MQTT_CONNACK_UNAVAILABLE, "server busy");
	}
	attach(c, s, cn->clean);
	c->keepalive = cn->keepalive;
	if (session_set_username(s, cn) != 0 || set_will(c, cn) != 0 ||
	    connack(c, present) != 0) {
		c->why = "out of memory";
		return TERN_ENOMEM;
	}
	log_msg(LOG_NOTICE,
	        "New client connected from %s as %.*s (p%d, c%d, k%u%s%.*s).",
	        conn_peer_name(&c->conn).s, (int)s->id_len, s->id, (int)c->ver,
	        cn->clean ? 1 : 0, (unsigned)cn->keepalive,
	        cn->has_username ? ", u'" : "",
	        cn->has_username ? (int)cn->username.len : 0,
	        cn->has_username ? (const char *)cn->username.p : "");
	if (present) {
		session_resend(c->w, s);
	}
	session_pump(c->w, s);
	return 0;
}

int
handle_disconnect(struct client *c, const struct mqtt_packet *p)
{
	(void)p;
	/* [MQTT-3.14.4-3] a DISCONNECT discards the will. */
	c->graceful = true;
	msg_unref(c->will);
	c->will = NULL;
	client_close(c, "client sent DISCONNECT");
	return 0;
}

static void
publish_will(struct client *c)
{
	struct msg *m = c->will;

	c->will = NULL;
	if (m == NULL) {
		return;
	}
	if (!c->graceful && !atomic_load(&c->w->srv->stopping)) {
		route_message(c->w, m);
	}
	msg_unref(m);
}

static void
detach_session(struct client *c)
{
	struct worker *w = c->w;
	struct session *s = c->session;

	c->session = NULL;
	if (s == NULL) {
		return;
	}
	s->client = NULL;
	if (!s->persistent) {
		session_destroy(w, s, true);
		return;
	}
	flow_update(w, s); /* an absent client is neither busy nor full */
	s->disconnected_ms = w->now_ms; /* after: it shares flow's time */
	session_set_idle(w, s, true);
}

void
client_finish_close(struct client *c)
{
	struct worker *w = c->w;
	const char *id = c->session != NULL ? c->session->id : NULL;
	int id_len = c->session != NULL ? (int)c->session->id_len : 0;

	if (id != NULL) {
		log_msg(LOG_NOTICE, "Client %.*s from %s disconnected: %s.",
		        id_len, id, conn_peer_name(&c->conn).s,
		        c->why != NULL ? c->why : "closed");
	} else if (c->why != NULL) {
		log_msg(LOG_NOTICE, "Connection from %s closed: %s.",
		        conn_peer_name(&c->conn).s, c->why);
	}
	/* Last chance for a CONNACK refusal or similar to leave. */
	if (c->conn.out_bytes != 0) {
		(void)conn_flush(&c->conn);
	}
	publish_will(c);
	detach_session(c);
	if (c->counted) {
		atomic_fetch_sub(&w->stats.connected, 1);
	}
	loop_del(&w->loop, &c->conn.watch);
	close(c->conn.watch.fd);
	list_del(&c->link);
	if (list_linked(&c->wlink)) {
		list_del(&c->wlink);
	}
	if (list_linked(&c->tlink)) {
		list_del(&c->tlink);
	}
	conn_fini(&c->conn);
	client_release_counts(c);
	tern_free(c);
}

void
client_release_counts(struct client *c)
{
	struct server *srv = c->w->srv;

	atomic_fetch_sub(&srv->listeners[c->listener].count, 1);
	atomic_fetch_sub(&srv->n_conns, 1);
	if (c->pending) {
		c->pending = false;
		atomic_fetch_sub(&srv->n_pending, 1);
	}
}
