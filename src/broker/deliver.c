/*
 * deliver.c - getting a message to one session: straight onto the
 * connection when it can take it, else into the session's queue; the
 * outbound QoS 1/2 window (packet ids, inflight list) and redelivery.
 *
 * Order: a session's messages leave in the order they reached it. Once
 * anything waits in the queue, new messages queue behind it, whatever
 * their QoS; session_pump() drains the queue in order as the window and
 * the connection allow ([MQTT-4.6.0-6]).
 * Bounds: the connection holds at most about CLIENT_OUT_HIGH bytes of
 * unsent output; beyond that messages wait in the queue, which is capped
 * by max_queued_messages and max_queued_bytes. When it is full the new
 * message is dropped (counted in $SYS/broker/publish/messages/dropped).
 */
#include "broker.h"

#include "../base/alloc.h"
#include "../base/log.h"

static void
release_msg(void *obj)
{
	msg_unref(obj);
}

void
qent_free(struct qent *q)
{
	list_del(&q->link);
	msg_unref(q->m);
	tern_free(q);
}

static bool
client_ready(const struct client *c)
{
	return c != NULL && c->state == CS_ACTIVE;
}

static bool
has_room(const struct client *c)
{
	return c->conn.out_bytes < CLIENT_OUT_HIGH;
}

static bool
window_open(const struct worker *w, const struct session *s)
{
	long max = w->srv->cfg->max_inflight_messages;

	if (max <= 0 || max > 65534) {
		max = 65534;
	}
	return s->n_inflight < (size_t)max;
}

/* A head too long for the worker's cache (codec/pubhead.h): encoded
 * here, for this one send. */
static int
queue_long_head(struct client *c, struct msg *m, const struct qent *q, bool dup)
{
	struct mqtt_publish p = {
	        .qos = q->qos,
	        .dup = dup,
	        .retain = q->retain,
	        .topic = m->topic,
	        .pid = q->pid,
	        .payload = m->payload,
	};
	size_t n = codec_publish_head_size(&p, (enum mqtt_ver)c->ver);
	uint8_t *b = tern_malloc(n);
	struct wr w;
	int err;

	if (n == 0 || b == NULL) {
		tern_free(b);
		return TERN_ENOMEM;
	}
	w = wr_make(b, n);
	codec_write_publish_head(&w, &p, (enum mqtt_ver)c->ver);
	err = conn_queue_copy(&c->conn, span_make(b, n));
	tern_free(b);
	return err;
}

/* One PUBLISH for @c: the head (encoded once per message and protocol
 * version by the worker's cache), then the shared payload. */
static void
send_publish(struct client *c, struct msg *m, const struct qent *q, bool dup)
{
	struct span head = pub_head_get(&c->w->heads, m, (enum mqtt_ver)c->ver,
	                                q->qos, q->retain, dup, q->pid);
	int err = head.len != 0 ? conn_queue_copy(&c->conn, head)
	                        : queue_long_head(c, m, q, dup);

	if (err == 0 && m->payload.len < CONN_REF_MIN) {
		err = conn_queue_copy(&c->conn, m->payload);
	} else if (err == 0) {
		err = conn_queue_ref(&c->conn, m->payload, msg_ref(m),
		                     release_msg);
	}
	if (err != 0) {
		client_close(c, "out of memory");
		return;
	}
	stat_add(&c->w->stats.msgs_sent, 1);
	client_want_write(c);
}

static void
send_pubrel(struct client *c, uint16_t pid)
{
	struct mqtt_packet p = {.type = MQTT_PUBREL};

	p.u.ack.pid = pid;
	if (client_send_packet(c, &p) != 0) {
		client_close(c, "out of memory");
	}
}

/* Move @q (not on any list, next in line) into the window and send it.
 * False when there is no memory for its packet id: @q is then first in
 * the queue again, and waits for the next session_pump(). */
static bool
send_in_window(struct session *s, struct qent *q)
{
	/* [MQTT-2.3.1-2] a packet id is not reused while its exchange is
	 * open; window_open() keeps the window under 65,535, so one is free. */
	q->pid = pidmap_alloc(&s->out_pids, &s->next_pid);
	if (pidmap_put(&s->out_pids, q->pid, q) != 0) {
		/* Inserted before the first entry: at the head, so the
		 * session's order holds [MQTT-4.6.0-6]. */
		list_insert_tail(s->queue.next, &q->link);
		s->n_queued++;
		s->queued_bytes += q->m->payload.len;
		return false;
	}
	q->state = q->qos == 1 ? QS_WAIT_PUBACK : QS_WAIT_PUBREC;
	list_insert_tail(&s->inflight, &q->link);
	s->n_inflight++;
	send_publish(s->client, q->m, q, false);
	return true;
}

static struct qent *
qent_new(struct msg *m, uint8_t qos, bool retain)
{
	struct qent *q = tern_malloc(sizeof(*q));

	if (q == NULL) {
		return NULL;
	}
	list_init(&q->link);
	q->m = msg_ref(m);
	q->qos = qos;
	q->retain = retain;
	q->pid = 0;
	q->state = QS_QUEUED;
	return q;
}

/* @n deliveries dropped, for $SYS/broker/publish/messages/dropped. */
void
count_drop(struct worker *w, unsigned long n)
{
	stat_add(&w->stats.dropped, n);
}

/*
 * Is the queue at its cap? A busy session (flow.c: its client is taking
 * messages, and its queue passed a quarter of the cap) has asked its
 * publishers to slow down, but messages they sent before noticing are
 * still arriving; for QoS 1 and 2 such a session may go up to twice its
 * caps, so what was acknowledged is not dropped for want of room. A stuck
 * or absent client gets the caps as they are.
 */
static bool
queue_full(const struct worker *w, const struct session *s, uint8_t qos,
           size_t more)
{
	const struct config *cfg = w->srv->cfg;
	size_t k = qos > 0 && s->busy && flow_progressing(w, s) ? 2 : 1;

	return (cfg->max_queued_messages > 0 &&
	        s->n_queued >= k * (size_t)cfg->max_queued_messages) ||
	       (cfg->max_queued_bytes > 0 &&
	        s->queued_bytes + more > k * (size_t)cfg->max_queued_bytes);
}

static void
unqueue(struct session *s, struct qent *q)
{
	s->n_queued--;
	s->queued_bytes -= q->m->payload.len;
	qent_free(q);
}

/* queue_full_action drop_oldest: the oldest queued QoS 0 message gives
 * way. QoS 1/2 messages are never dropped once queued. */
static bool
drop_oldest_qos0(struct worker *w, struct session *s)
{
	struct list *pos;

	list_for_each (pos, &s->queue) {
		struct qent *q = LIST_ENTRY(pos, struct qent, link);
		if (q->qos == 0) {
			unqueue(s, q);
			count_drop(w, 1);
			return true;
		}
	}
	return false;
}

static void
enqueue(struct worker *w, struct session *s, struct msg *m, uint8_t qos,
        bool retain)
{
	const struct config *cfg = w->srv->cfg;
	struct qent *q;

	/* Under memory pressure QoS 0 to a backed-up or absent subscriber
	 * is the first thing shed. */
	if (qos == 0 && server_mem_pressure(w->srv) != MEM_OK) {
		count_drop(w, 1);
		return;
	}
	while (queue_full(w, s, qos, m->payload.len)) {
		if (cfg->queue_full_action != CONFIG_QUEUE_DROP_OLDEST ||
		    !drop_oldest_qos0(w, s)) {
			count_drop(w, 1);
			return;
		}
	}
	q = qent_new(m, qos, retain);
	if (q == NULL) {
		count_drop(w, 1);
		return;
	}
	list_insert_tail(&s->queue, &q->link);
	s->n_queued++;
	s->queued_bytes += m->payload.len;
	flow_update(w, s);
}

void
deliver_to_session(struct worker *w, struct session *s, struct msg *m,
                   uint8_t qos, bool retain)
{
	struct client *c = s->client;

	if (!session_may(w, s, m->topic, ACL_READ)) {
		return;
	}
	if (!client_ready(c)) {
		if (qos > 0 || w->srv->cfg->queue_qos0_messages) {
			enqueue(w, s, m, qos, retain);
		}
		return;
	}
	flow_arrival(c, s);
	if (s->n_queued == 0 && has_room(c)) {
		if (qos == 0) {
			struct qent q = {.qos = 0, .retain = retain};
			send_publish(c, m, &q, false);
			return;
		}
		if (window_open(w, s)) {
			struct qent *q = qent_new(m, qos, retain);
			if (q != NULL) {
				/* (void): when it fails, q is queued. */
				(void)send_in_window(s, q);
				return;
			}
		}
	}
	enqueue(w, s, m, qos, retain);
}

void
deliver_local(struct worker *w, const struct delivery *d)
{
	struct session *s = session_lookup(w, d->slot, d->gen);

	if (s != NULL) {
		deliver_to_session(w, s, d->m, d->qos, d->retain);
	}
	msg_unref(d->m);
}

void
session_pump(struct worker *w, struct session *s)
{
	struct client *c = s->client;
	struct list *pos;

	while (client_ready(c) && has_room(c) &&
	       (pos = list_first(&s->queue)) != NULL) {
		struct qent *q = LIST_ENTRY(pos, struct qent, link);

		if (q->qos > 0 && !window_open(w, s)) {
			break;
		}
		list_del(&q->link);
		s->n_queued--;
		s->queued_bytes -= q->m->payload.len;
		if (q->qos == 0) {
			send_publish(c, q->m, q, false);
			msg_unref(q->m);
			tern_free(q);
		} else if (!send_in_window(s, q)) {
			break; /* no memory: retrying now would spin */
		}
	}
	flow_update(w, s);
}

/* [MQTT-4.4.0-1] on resumption, unacknowledged PUBLISH (DUP=1) and PUBREL
 * packets go again, in their original order, with their packet ids. */
void
session_resend(struct worker *w, struct session *s)
{
	struct list *pos;

	(void)w;
	list_for_each (pos, &s->inflight) {
		struct qent *q = LIST_ENTRY(pos, struct qent, link);

		if (q->state == QS_WAIT_PUBCOMP) {
			send_pubrel(s->client, q->pid);
		} else {
			send_publish(s->client, q->m, q, true);
		}
	}
}

/* ---- acknowledgements of what we sent ---------------------------------- */

static struct qent *
find_inflight(struct session *s, uint16_t pid, enum qent_state state)
{
	void *v;

	if (!pidmap_get(&s->out_pids, pid, &v)) {
		return NULL;
	}
	return ((struct qent *)v)->state == state ? v : NULL;
}

static void
complete(struct client *c, struct qent *q)
{
	struct session *s = c->session;

	pidmap_del(&s->out_pids, q->pid);
	qent_free(q);
	s->n_inflight--;
	flow_progress(c);
	session_pump(c->w, s);
}

int
handle_puback(struct client *c, const struct mqtt_packet *p)
{
	struct qent *q =
	        find_inflight(c->session, p->u.ack.pid, QS_WAIT_PUBACK);

	if (q != NULL) {
		complete(c, q);
	}
	return 0;
}

int
handle_pubrec(struct client *c, const struct mqtt_packet *p)
{
	struct session *s = c->session;
	struct qent *q = find_inflight(s, p->u.ack.pid, QS_WAIT_PUBREC);

	if (q == NULL) {
		q = find_inflight(s, p->u.ack.pid, QS_WAIT_PUBCOMP);
	}
	if (q == NULL) {
		return 0;
	}
	/* The payload is no longer needed: only PUBREL may be resent. */
	q->state = QS_WAIT_PUBCOMP;
	msg_unref(q->m);
	q->m = NULL;
	send_pubrel(c, q->pid);
	return 0;
}

int
handle_pubcomp(struct client *c, const struct mqtt_packet *p)
{
	struct qent *q =
	        find_inflight(c->session, p->u.ack.pid, QS_WAIT_PUBCOMP);

	if (q != NULL) {
		complete(c, q);
	}
	return 0;
}
