/*
 * publish.c - inbound PUBLISH and the QoS 1/2 receiver flow, and routing a
 * message to every matching session, wherever it lives.
 *
 * Routing: the router lists matching subscriptions, and a session with
 * overlapping subscriptions is kept once, at the highest granted QoS
 * ([MQTT-3.3.5-1] allows either; one copy is what subscribers expect).
 * Before a client's PUBLISH is taken, the flow bits of its matches are
 * read (flow.c): a busy session holds it back, a full one is dropped
 * here. Sessions on this worker are served at once; the rest go into one
 * batch per destination worker, pushed at the end of the loop turn.
 */
#include "broker.h"

#include <string.h>

#include "../base/alloc.h"
#include "../base/log.h"

static void
collect(void *arg, const struct sub_ref *ref)
{
	struct worker *w = arg;

	if (w->n_matches == w->cap_matches) {
		size_t cap = w->cap_matches == 0 ? 64 : w->cap_matches * 2;
		struct sub_ref *m = tern_realloc(w->matches, cap * sizeof(*m));
		if (m == NULL) {
			count_drop(w, 1);
			return;
		}
		w->matches = m;
		w->cap_matches = cap;
	}
	w->matches[w->n_matches++] = *ref;
}

/* Where a session's first match went in w->matches, for dedup(); valid
 * only when stamp is the worker's current one, so the table is never
 * cleared between messages. */
struct match_seen {
	uint32_t stamp;
	uint32_t at;
};

static size_t
seen_hash(const struct sub_ref *r)
{
	return (size_t)(r->slot * 2654435761u) ^ r->worker;
}

/* A table of at least 2 * @n entries, stamped afresh; false on ENOMEM. */
static bool
seen_reset(struct worker *w, size_t n)
{
	size_t size = w->cap_seen == 0 ? 64 : w->cap_seen;

	while (size < 2 * n) {
		size *= 2;
	}
	if (size != w->cap_seen) {
		struct match_seen *t = tern_calloc(size, sizeof(*t));
		if (t == NULL) {
			return false;
		}
		tern_free(w->seen);
		w->seen = t;
		w->cap_seen = size;
		w->seen_stamp = 0;
	}
	if (++w->seen_stamp == 0) {
		memset(w->seen, 0, w->cap_seen * sizeof(*w->seen));
		w->seen_stamp = 1;
	}
	return true;
}

/*
 * One match per session in w->matches, at the highest QoS it was granted
 * ([MQTT-3.3.5-1]): a session's overlapping subscriptions all match. A
 * hash of (worker, slot) keeps this linear: sorting the matches of a
 * topic with hundreds of subscribers cost more than the rest of routing.
 * Without memory for the table the matches stay as they are, and a
 * session with overlapping subscriptions gets one copy per match.
 */
static void
dedup(struct worker *w)
{
	size_t n = w->n_matches, kept = 0, mask;

	if (n < 2 || !seen_reset(w, n)) {
		return;
	}
	mask = w->cap_seen - 1;
	for (size_t i = 0; i < n; i++) {
		struct sub_ref r = w->matches[i];
		size_t h = seen_hash(&r) & mask;

		for (;; h = (h + 1) & mask) {
			struct match_seen *e = &w->seen[h];
			struct sub_ref *first;

			if (e->stamp != w->seen_stamp) {
				e->stamp = w->seen_stamp;
				e->at = (uint32_t)kept;
				w->matches[kept++] = r;
				break;
			}
			first = &w->matches[e->at];
			if (sub_ref_same_session(first, &r)) {
				if (r.qos > first->qos) {
					first->qos = r.qos;
				}
				break;
			}
		}
	}
	w->n_matches = kept;
}

/* Every session @topic goes to into w->matches, once each. */
static void
route_match(struct worker *w, struct span topic)
{
	w->n_matches = 0;
	router_match(w->srv->router, w->idx, topic, collect, w);
	dedup(w);
}

/* Drop at this worker what the session's worker would drop anyway
 * (flow.c); a busy session is never "full" for this. */
static bool
dest_full(uint8_t state)
{
	return (state & (FLOW_FULL | FLOW_BUSY)) == FLOW_FULL;
}

/*
 * What happens to a message of @qos for each session in w->matches
 * (flow.c). A full session is dropped here, as its worker would drop it.
 * With @may_hold (a client's PUBLISH, not taken yet), a busy session, or
 * one whose worker is behind, holds the message back instead: -1.
 * Otherwise w->matches keeps the sessions that take it, w->n_full says how
 * many were dropped (counted once the message is taken), and the number
 * of those left is returned (0: nothing to allocate a message for).
 */
static int
route_plan(struct worker *w, uint8_t qos, bool may_hold)
{
	long limit = flow_inbox_limit(w->srv, qos);
	size_t n = w->n_matches, kept = 0;

	for (size_t i = 0; i < n; i++) {
		const struct sub_ref *ref = &w->matches[i];
		uint8_t st = flow_state(w->srv, ref->worker, ref->slot);

		if (dest_full(st)) {
			continue;
		}
		if (may_hold &&
		    ((st & FLOW_BUSY) != 0 ||
		     (ref->worker != w->idx &&
		      flow_worker_behind(w->srv, ref->worker, limit)))) {
			return -1;
		}
		w->matches[kept++] = *ref;
	}
	w->n_matches = kept;
	w->n_full = n - kept;
	return (int)kept;
}

/* @m, a reference of its own, to one session. */
static void
deliver_match(struct worker *w, struct msg *m, const struct sub_ref *ref)
{
	struct delivery d = {
	        .m = m,
	        .slot = ref->slot,
	        .gen = ref->gen,
	        /* [MQTT-3.8.4-6] never above the granted QoS. */
	        .qos = m->qos < ref->qos ? m->qos : ref->qos,
	        /* [MQTT-3.3.1-9] live deliveries carry RETAIN=0. */
	        .retain = 0,
	};

	if (ref->worker == w->idx) {
		deliver_local(w, &d);
	} else {
		worker_queue_delivery(w, ref->worker, &d);
	}
}

/*
 * @m, now taken, to each session left in w->matches by route_plan(),
 * taking over the caller's reference: the last session gets it and the
 * others new ones, so a message with one subscriber costs no locked add
 * at all here.
 */
static void
route_deliver(struct worker *w, struct msg *m)
{
	size_t n = w->n_matches;

	if (w->n_full != 0) {
		count_drop(w, w->n_full);
	}
	if (n == 0) {
		msg_unref(m);
		return;
	}
	for (size_t i = 0; i + 1 < n; i++) {
		deliver_match(w, msg_ref(m), &w->matches[i]);
	}
	deliver_match(w, m, &w->matches[n - 1]);
}

static void
store_retained(struct worker *w, struct msg *m)
{
	struct server *srv = w->srv;

	if (m->retain && srv->cfg->retain_available &&
	    retain_set(srv->retain, m) != 0) {
		log_msg(LOG_WARN, "out of memory storing a retained message");
	}
}

/* A message the broker makes itself (a will, $SYS): never held. */
void
route_message(struct worker *w, struct msg *m)
{
	store_retained(w, m);
	route_match(w, m->topic);
	(void)route_plan(w, m->qos, false); /* never -1 without holding */
	route_deliver(w, msg_ref(m));
}

static int
send_ack(struct client *c, uint8_t type, uint16_t pid)
{
	struct mqtt_packet p = {.type = type};

	p.u.ack.pid = pid;
	return client_send_packet(c, &p);
}

static bool
is_sys_topic(struct span t)
{
	return t.len >= 4 && memcmp(t.p, "$SYS", 4) == 0 &&
	       (t.len == 4 || t.p[4] == '/');
}

/* Checks that end the connection or drop the message; 1 = drop. */
static int
screen(struct client *c, const struct mqtt_publish *pub)
{
	const struct server *srv = c->w->srv;

	if (server_mem_pressure(srv) == MEM_FULL) {
		if (pub->qos == 0) {
			count_drop(c->w, 1);
			return 1;
		}
		/* Not acknowledged, so the client keeps the message and
		 * sends it again after reconnecting. */
		c->why = "memory_limit reached";
		return TERN_ENOMEM;
	}
	if (topic_levels(pub->topic) > (size_t)srv->cfg->max_topic_levels) {
		log_msg(LOG_INFO,
		        "Dropped a message from %.*s: topic has more "
		        "than max_topic_levels levels.",
		        (int)c->session->id_len, c->session->id);
		count_drop(c->w, 1);
		return 1;
	}
	if (pub->retain && !srv->cfg->retain_available) {
		c->why = "retained PUBLISH while retain_available is false";
		return TERN_EPROTO;
	}
	if (is_sys_topic(pub->topic) ||
	    !session_may(c->w, c->session, pub->topic, ACL_WRITE)) {
		/* Acknowledged as usual but not delivered ([MQTT-3.3.5-2]
		 * allows either); $SYS/ belongs to the broker. */
		log_msg(LOG_DEBUG, "Denied PUBLISH from %.*s to %.*s.",
		        (int)c->session->id_len, c->session->id,
		        (int)pub->topic.len, pub->topic.p);
		return 1;
	}
	if (srv->max_payload != 0 && pub->payload.len > srv->max_payload) {
		log_msg(LOG_INFO,
		        "Dropped a %zu-byte message from %.*s: over "
		        "message_size_limit.",
		        pub->payload.len, (int)c->session->id_len,
		        c->session->id);
		count_drop(c->w, 1);
		return 1;
	}
	return 0;
}

/*
 * Route @pub, or leave it unread (TERN_EBUSY, the publisher held for
 * FLOW_THROTTLE_MS) when a session it goes to is busy or that session's
 * worker is behind: it is acknowledged only once taken (flow.c).
 */
static int
take_publish(struct client *c, const struct mqtt_publish *pub)
{
	struct worker *w = c->w;
	struct msg *m = NULL;
	int live;

	route_match(w, pub->topic);
	live = route_plan(w, pub->qos, true);
	if (live < 0) {
		flow_throttle(c);
		return TERN_EBUSY;
	}
	if (live > 0 || pub->retain) {
		m = msg_new(pub->topic, pub->payload, span_make("", 0),
		            pub->qos, pub->retain);
		if (m == NULL) {
			c->why = "out of memory";
			return TERN_ENOMEM;
		}
		m->received_ms = w->now_ms;
		store_retained(w, m);
	}
	route_deliver(w, m);
	return 0;
}

int
handle_publish(struct client *c, const struct mqtt_packet *p)
{
	const struct mqtt_publish *pub = &p->u.publish;
	struct session *s = c->session;
	int err = screen(c, pub);

	/* [MQTT-4.3.3-2] a QoS 2 id already received is not delivered
	 * again until its PUBREL. */
	if (err == 0 &&
	    !(pub->qos == 2 && pidmap_get(&s->rx_qos2, pub->pid, NULL))) {
		err = take_publish(c, pub);
		if (err == TERN_EBUSY) {
			return err; /* read again later, counted then */
		}
		if (err == 0 && pub->qos == 2 &&
		    pidmap_put(&s->rx_qos2, pub->pid, NULL) == TERN_ENOMEM) {
			c->why = "out of memory";
			err = TERN_ENOMEM;
		}
	}
	stat_add(&c->w->stats.msgs_recv, 1);
	if (err < 0) {
		return err;
	}
	if (pub->qos == 1) {
		return send_ack(c, MQTT_PUBACK, pub->pid);
	}
	if (pub->qos == 2) {
		return send_ack(c, MQTT_PUBREC, pub->pid);
	}
	return 0;
}

int
handle_pubrel(struct client *c, const struct mqtt_packet *p)
{
	/* [MQTT-4.3.3-2] PUBREL ends the exchange; answer PUBCOMP even for
	 * an id we no longer hold (a resent PUBREL). */
	pidmap_del(&c->session->rx_qos2, p->u.ack.pid);
	return send_ack(c, MQTT_PUBCOMP, p->u.ack.pid);
}
