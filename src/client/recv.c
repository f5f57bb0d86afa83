/*
 * recv.c - what the client does with each packet the server sends:
 * CONNACK (server limits, resume), PUBLISH at QoS 0/1/2 as a receiver
 * (topic aliases, exactly-once by remembering QoS 2 ids until PUBREL),
 * the acknowledgements of our own flows, PINGRESP and DISCONNECT.
 *
 * Decoded spans point into c->in and die when the handler returns;
 * whatever must outlive it is copied.
 */
#include <stdio.h>

#include "../base/alloc.h"
#include "../base/clock.h"
#include "client.h"

static int
save_connack(struct tern_client *c, const struct mqtt_connack *k)
{
	const struct mqtt_props *pr = &k->props;
	size_t n = client_props_count(pr->raw);
	uint8_t *raw = NULL;
	struct tern_prop *v = NULL;

	if (pr->raw.len > 0) {
		raw = tern_malloc(pr->raw.len);
		v = tern_calloc(n, sizeof(*v));
		if (raw == NULL || v == NULL) {
			tern_free(raw);
			tern_free(v);
			return TERN_ENOMEM;
		}
		memcpy(raw, pr->raw.p, pr->raw.len);
		client_props_parse(span_make(raw, pr->raw.len), v);
	}
	tern_free(c->connack_raw);
	tern_free(c->connack_props);
	c->connack_raw = raw;
	c->connack_props = v;
	c->n_connack_props = raw != NULL ? n : 0;
	return 0;
}

/* apply_connack() - the server's limits for this connection. */
static int
apply_connack(struct tern_client *c, const struct mqtt_connack *k)
{
	const struct mqtt_props *pr = &k->props;
	int err = save_connack(c, k);

	if (err != 0) {
		return err;
	}
	c->recv_max_out = mqtt_props_has(pr, MQTT_PROP_RECEIVE_MAX)
	                          ? pr->receive_max
	                          : 65535;
	c->max_packet_out = mqtt_props_has(pr, MQTT_PROP_MAX_PACKET_SIZE)
	                            ? pr->max_packet_size
	                            : 0;
	c->max_qos = mqtt_props_has(pr, MQTT_PROP_MAX_QOS) ? pr->max_qos : 2;
	/* [MQTT-3.2.2-17], [MQTT-3.2.2-18]: absent means no alias at all. */
	c->topic_alias_max_out = mqtt_props_has(pr, MQTT_PROP_TOPIC_ALIAS_MAX)
	                                 ? pr->topic_alias_max
	                                 : 0;
	c->retain_available = !mqtt_props_has(pr, MQTT_PROP_RETAIN_AVAILABLE) ||
	                      pr->retain_available != 0;
	c->keepalive = mqtt_props_has(pr, MQTT_PROP_SERVER_KEEP_ALIVE)
	                       ? pr->server_keep_alive
	                       : c->opt.keepalive;
	if (mqtt_props_has(pr, MQTT_PROP_ASSIGNED_CLIENT_ID)) {
		char *id = tern_strndup((const char *)pr->assigned_client_id.p,
		                        pr->assigned_client_id.len);

		if (id == NULL) {
			return TERN_ENOMEM;
		}
		tern_free(c->assigned_id);
		c->assigned_id = id;
	}
	return 0;
}

static void
call_connect(struct tern_client *c, int rc, bool sp, struct span raw)
{
	struct tern_prop v[CLIENT_PROPS_SHOWN];
	struct tern_props props = client_props_view(raw, v);

	if (c->cb.on_connect != NULL) {
		c->in_cb++;
		c->cb.on_connect(c, c->cb_arg, rc, sp, &props);
		c->in_cb--;
	}
}

static int
on_connack(struct tern_client *c, const struct mqtt_connack *k)
{
	int err;

	if (c->state != CS_CONNACK) {
		return TERN_EPROTO;
	}
	client_log(c, "received CONNACK (%u)", k->rc);
	c->last_reason = k->rc;
	c->session_present = k->session_present;
	if (k->rc != 0) {
		/* Refused: the server closes; no DISCONNECT from us. */
		(void)snprintf(c->detail, sizeof c->detail,
		               "connection refused: %s",
		               tern_reason_string(c->ver, k->rc));
		call_connect(c, k->rc, false, k->props.raw);
		err = client_reason_err(c->ver, k->rc);
		client_fail(c, err != 0 ? err : TERN_EPROTO, -1);
		return 0;
	}
	/* [MQTT-3.2.2-4]: no session can be present after a clean start. */
	if (k->session_present && c->connect_clean) {
		return TERN_EPROTO;
	}
	err = apply_connack(c, k);
	if (err != 0) {
		return err;
	}
	c->state = CS_CONNECTED;
	c->ever_connected = true;
	c->backoff_ms = (uint32_t)c->opt.reconnect_min_ms;
	client_send_resume(c);
	call_connect(c, 0, k->session_present, k->props.raw);
	return 0;
}

void
client_aliases_clear(struct tern_client *c)
{
	for (size_t i = 0; c->topic_alias != NULL && i < c->conf.topic_alias_in;
	     i++) {
		tern_free(c->topic_alias[i]);
		c->topic_alias[i] = NULL;
	}
}

/* resolve_alias() - [MQTT-3.3.2-*] topic aliases chosen by the server. */
static int
resolve_alias(struct tern_client *c, struct mqtt_publish *p)
{
	uint16_t a = p->props.topic_alias;
	char *t;

	if (!mqtt_props_has(&p->props, MQTT_PROP_TOPIC_ALIAS)) {
		return p->topic.len > 0 ? 0 : TERN_EPROTO;
	}
	if (a == 0 || a > c->conf.topic_alias_in || c->topic_alias == NULL) {
		return TERN_ETOPIC;
	}
	if (p->topic.len == 0) {
		t = c->topic_alias[a - 1];
		if (t == NULL) {
			return TERN_EPROTO;
		}
		p->topic = span_str(t);
		return 0;
	}
	t = tern_strndup((const char *)p->topic.p, p->topic.len);
	if (t == NULL) {
		return TERN_ENOMEM;
	}
	tern_free(c->topic_alias[a - 1]);
	c->topic_alias[a - 1] = t;
	return 0;
}

/* make_message() - one allocation holding the message and its bytes. */
static struct tern_message *
make_message(const struct mqtt_publish *p)
{
	struct span raw = p->props.raw;
	size_t np = client_props_count(raw);
	size_t head =
	        sizeof(struct tern_message) + np * sizeof(struct tern_prop);
	struct tern_message *m;
	char *d;

	m = tern_malloc(head + p->topic.len + 1 + p->payload.len + 1 + raw.len);
	if (m == NULL) {
		return NULL;
	}
	d = (char *)m + head;
	memcpy(d, p->topic.p, p->topic.len);
	d[p->topic.len] = '\0';
	m->topic = d;
	m->topic_len = p->topic.len;
	d += p->topic.len + 1;
	if (p->payload.len > 0) {
		memcpy(d, p->payload.p, p->payload.len);
	}
	d[p->payload.len] = '\0';
	m->payload = d;
	m->payload_len = p->payload.len;
	d += p->payload.len + 1;
	if (raw.len > 0) {
		memcpy(d, raw.p, raw.len);
	}
	m->props.v = (const struct tern_prop *)(m + 1);
	m->props.n = np;
	client_props_parse(span_make(d, raw.len), (struct tern_prop *)(m + 1));
	m->qos = p->qos;
	m->retain = p->retain;
	m->dup = p->dup;
	m->mid = p->pid;
	return m;
}

static int
deliver(struct tern_client *c, const struct mqtt_publish *p)
{
	struct tern_message *m = make_message(p);
	struct queued_msg *q;

	if (m == NULL) {
		return TERN_ENOMEM;
	}
	if (c->cb.on_message != NULL) {
		c->in_cb++;
		c->cb.on_message(c, c->cb_arg, m);
		c->in_cb--;
		tern_message_free(m);
		return 0;
	}
	q = tern_malloc(sizeof(*q));
	if (q == NULL) {
		tern_message_free(m);
		return TERN_ENOMEM;
	}
	q->m = m;
	list_insert_tail(&c->msgq, &q->link);
	return 0;
}

static bool
qos2_seen(const struct tern_client *c, uint16_t pid)
{
	return (c->qos2_in[pid >> 3] & (1u << (pid & 7))) != 0;
}

static int
on_publish(struct tern_client *c, struct mqtt_publish *p)
{
	int err = c->ver == MQTT_V5 ? resolve_alias(c, p) : 0;

	if (err != 0) {
		return err;
	}
	client_log(c,
	           "received PUBLISH (d%d, q%u, r%d, m%u, '%.*s', ... "
	           "(%zu bytes))",
	           p->dup, p->qos, p->retain, p->pid, (int)p->topic.len,
	           (const char *)p->topic.p, p->payload.len);
	if (p->qos == 2 && qos2_seen(c, p->pid)) {
		/* A resend of one we have: acknowledge, do not deliver again.
		 */
		return client_send_ack(c, MQTT_PUBREC, p->pid, 0);
	}
	err = deliver(c, p);
	if (err != 0 || p->qos == 0) {
		return err;
	}
	if (p->qos == 1) {
		return client_send_ack(c, MQTT_PUBACK, p->pid, 0);
	}
	c->qos2_in[p->pid >> 3] |= (uint8_t)(1u << (p->pid & 7));
	return client_send_ack(c, MQTT_PUBREC, p->pid, 0);
}

static struct out_msg *
find_inflight(struct tern_client *c, uint16_t pid)
{
	struct list *pos;

	list_for_each (pos, &c->inflight) {
		struct out_msg *m = LIST_ENTRY(pos, struct out_msg, link);

		if (m->pid == pid) {
			return m;
		}
	}
	return NULL;
}

static void
finish_publish(struct tern_client *c, struct out_msg *m,
               const struct mqtt_ack *a)
{
	struct tern_prop v[CLIENT_PROPS_SHOWN];
	struct tern_props props = client_props_view(a->props.raw, v);
	int err = a->rc >= 0x80 ? client_reason_err(MQTT_V5, a->rc) : 0;

	client_flow_publish_done(c, m, err, a->rc, &props);
	client_send_pump(c);
}

static int
on_ack(struct tern_client *c, uint8_t type, const struct mqtt_ack *a)
{
	struct out_msg *m = find_inflight(c, a->pid);
	uint8_t want = type == MQTT_PUBACK   ? OUT_WAIT_ACK
	               : type == MQTT_PUBREC ? OUT_WAIT_REC
	                                     : OUT_WAIT_COMP;

	client_log(c, "received %s (Mid: %u, RC:%u)", client_type_name(type),
	           a->pid, a->rc);
	if (type == MQTT_PUBREC && (m == NULL || m->state == OUT_WAIT_COMP)) {
		/* Unknown or repeated PUBREC: answer so the server can finish.
		 */
		return client_send_ack(c, MQTT_PUBREL, a->pid,
		                       m == NULL && c->ver == MQTT_V5
		                               ? MQTT_RC_PACKET_ID_NOT_FOUND
		                               : 0);
	}
	if (m == NULL || m->state != want) {
		return 0; /* late or repeated: nothing waits for it */
	}
	if (type == MQTT_PUBREC && a->rc < 0x80) {
		m->state = OUT_WAIT_COMP;
		return client_send_ack(c, MQTT_PUBREL, a->pid, 0);
	}
	finish_publish(c, m, a);
	return 0;
}

static int
on_pubrel(struct tern_client *c, const struct mqtt_ack *a)
{
	uint8_t rc = 0;

	client_log(c, "received PUBREL (Mid: %u)", a->pid);
	if (qos2_seen(c, a->pid)) {
		c->qos2_in[a->pid >> 3] &= (uint8_t) ~(1u << (a->pid & 7));
	} else if (c->ver == MQTT_V5) {
		rc = MQTT_RC_PACKET_ID_NOT_FOUND;
	}
	return client_send_ack(c, MQTT_PUBCOMP, a->pid, rc);
}

static struct out_req *
find_req(struct tern_client *c, uint8_t type, uint16_t pid)
{
	struct list *pos;

	list_for_each (pos, &c->reqs) {
		struct out_req *r = LIST_ENTRY(pos, struct out_req, link);

		if (r->pid == pid && r->type == type) {
			return r;
		}
	}
	return NULL;
}

static int
on_suback(struct tern_client *c, uint8_t type, const struct mqtt_suback *s)
{
	struct out_req *r = find_req(
	        c, type == MQTT_SUBACK ? MQTT_SUBSCRIBE : MQTT_UNSUBSCRIBE,
	        s->pid);
	struct tern_prop v[CLIENT_PROPS_SHOWN];
	struct tern_props props = client_props_view(s->props.raw, v);
	uint8_t *zeros;

	client_log(c, "received %s (Mid: %u)", client_type_name(type), s->pid);
	if (r == NULL) {
		return 0;
	}
	if (type == MQTT_SUBACK || c->ver == MQTT_V5) {
		if (s->rcs.len != r->count) {
			return TERN_EPROTO;
		}
		client_flow_req_done(c, r, 0, s->rcs.p, s->rcs.len, &props);
		return 0;
	}
	/* 3.x UNSUBACK has no reason codes: every filter succeeded. */
	zeros = tern_calloc(r->count, 1);
	if (zeros == NULL) {
		return TERN_ENOMEM;
	}
	client_flow_req_done(c, r, 0, zeros, r->count, &props);
	tern_free(zeros);
	return 0;
}

static int
on_disconnect(struct tern_client *c, const struct mqtt_disconnect *d)
{
	struct span raw = d->props.raw;
	int err = client_reason_err(MQTT_V5, d->rc);

	client_log(c, "received DISCONNECT (%u)", d->rc);
	c->pending_reason = d->rc;
	if (raw.len > 0) {
		tern_free(c->disc_raw);
		c->disc_raw = tern_malloc(raw.len);
		if (c->disc_raw != NULL) {
			memcpy(c->disc_raw, raw.p, raw.len);
			c->disc_raw_len = raw.len;
		}
	}
	(void)snprintf(c->detail, sizeof c->detail,
	               "disconnected by the server: %s",
	               tern_reason_string(MQTT_V5, d->rc));
	client_fail(c, err != 0 ? err : TERN_ECLOSED, -1);
	return 0;
}

static int
dispatch(struct tern_client *c, struct mqtt_packet *p)
{
	switch (p->type) {
	case MQTT_PUBLISH:
		return on_publish(c, &p->u.publish);
	case MQTT_PUBACK:
	case MQTT_PUBREC:
	case MQTT_PUBCOMP:
		return on_ack(c, p->type, &p->u.ack);
	case MQTT_PUBREL:
		return on_pubrel(c, &p->u.ack);
	case MQTT_SUBACK:
	case MQTT_UNSUBACK:
		return on_suback(c, p->type, &p->u.suback);
	case MQTT_PINGRESP:
		client_log(c, "received PINGRESP");
		c->ping_sent_ms = 0;
		return 0;
	case MQTT_DISCONNECT:
		return on_disconnect(c, &p->u.disconnect);
	default:
		/* CONNECT, SUBSCRIBE, PINGREQ... from a server; AUTH (not
		 * supported: we never send an Authentication Method). */
		return TERN_EPROTO;
	}
}

int
client_recv_packet(struct tern_client *c, const struct mqtt_fixed *fh,
                   struct span body)
{
	struct mqtt_packet p;
	int err = codec_decode(fh, body, c->ver, &p);

	if (err != 0) {
		return err;
	}
	if (p.type == MQTT_CONNACK) {
		return on_connack(c, &p.u.connack);
	}
	/* [MQTT-3.2.0-1]: the server's first packet is CONNACK. */
	if (c->state == CS_CONNACK) {
		return TERN_EPROTO;
	}
	return dispatch(c, &p);
}

void
tern_message_free(struct tern_message *m)
{
	tern_free(m);
}
