/*
 * send.c - everything the client puts on the wire: CONNECT, PUBLISH and
 * its acknowledgements, SUBSCRIBE, UNSUBSCRIBE, DISCONNECT; the packet
 * identifier allocator; the send window (Receive Maximum) and resends
 * when a session resumes.
 *
 * Packets are encoded into c->out and flushed by client_flush(); QoS 1/2
 * PUBLISHes are encoded once into their struct out_msg so a resend is a
 * copy with the DUP bit set [MQTT-3.3.1-1].
 */
#include <stdarg.h>
#include <stdio.h>

#include "../base/alloc.h"
#include "../base/clock.h"
#include "../base/utf8.h"
#include "client.h"

const char *
client_type_name(uint8_t type)
{
	static const char *const names[] = {
	        "RESERVED",  "CONNECT",  "CONNACK",     "PUBLISH",
	        "PUBACK",    "PUBREC",   "PUBREL",      "PUBCOMP",
	        "SUBSCRIBE", "SUBACK",   "UNSUBSCRIBE", "UNSUBACK",
	        "PINGREQ",   "PINGRESP", "DISCONNECT",  "AUTH"};

	return names[type & 15];
}

void
client_log(struct tern_client *c, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	if (c->cb.on_log == NULL) {
		return;
	}
	n = snprintf(line, sizeof line, "Client %s ", tern_client_id(c));
	if (n < 0 || (size_t)n >= sizeof line) {
		n = 0;
	}
	va_start(ap, fmt);
	/* (void): a trace line cut short is still a useful trace line. */
	(void)vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
	va_end(ap);
	c->in_cb++;
	c->cb.on_log(c, c->cb_arg, line);
	c->in_cb--;
}

static void
log_packet(struct tern_client *c, const struct mqtt_packet *p)
{
	const struct mqtt_publish *pub = &p->u.publish;

	if (c->cb.on_log == NULL) {
		return;
	}
	if (p->type == MQTT_PUBLISH) {
		client_log(c,
		           "sending PUBLISH (d%d, q%d, r%d, m%u, '%.*s', ... "
		           "(%zu bytes))",
		           pub->dup, pub->qos, pub->retain, pub->pid,
		           (int)pub->topic.len, (const char *)pub->topic.p,
		           pub->payload.len);
	} else if (p->type >= MQTT_PUBACK && p->type <= MQTT_PUBCOMP) {
		client_log(c, "sending %s (m%u, rc%u)",
		           client_type_name(p->type), p->u.ack.pid,
		           p->u.ack.rc);
	} else {
		client_log(c, "sending %s", client_type_name(p->type));
	}
}

/* reserve_out() - room for @n bytes at the end of c->out, as a writer. */
static int
reserve_out(struct tern_client *c, size_t n, struct wr *w)
{
	int err = buf_reserve(&c->out, n);

	if (err != 0) {
		return err;
	}
	*w = wr_make(buf_tail(&c->out), n);
	return 0;
}

int
client_send_packet(struct tern_client *c, const struct mqtt_packet *p)
{
	size_t n = codec_size(p, c->ver);
	struct wr w;
	int err;

	if (c->state == CS_CLOSING) {
		/* [MQTT-3.14.4-1]: nothing may follow our DISCONNECT. */
		return 0;
	}
	if (n == 0) {
		return TERN_ETOOBIG;
	}
	if (c->max_packet_out != 0 && n > c->max_packet_out) {
		return TERN_ETOOBIG;
	}
	err = reserve_out(c, n, &w);
	if (err != 0) {
		return err;
	}
	codec_write(&w, p, c->ver);
	assert(w.pos == n);
	c->out.len += n;
	c->last_out_ms = clock_mono_ms();
	log_packet(c, p);
	return 0;
}

int
client_send_ack(struct tern_client *c, uint8_t type, uint16_t pid, uint8_t rc)
{
	struct mqtt_packet p;

	memset(&p, 0, sizeof p);
	p.type = type;
	p.u.ack.pid = pid;
	p.u.ack.rc = rc;
	return client_send_packet(c, &p);
}

/* connect_clean() - Clean Session / Clean Start for this attempt. */
static bool
connect_clean(const struct tern_client *c, bool reconnect)
{
	if (!reconnect) {
		return c->opt.clean;
	}
	if (c->ver == MQTT_V5) {
		return c->conf.session_expiry == 0 && c->opt.clean;
	}
	return c->opt.clean;
}

static void
fill_will(const struct tern_client *c, struct mqtt_connect *k)
{
	const struct client_conf *f = &c->conf;

	if (f->will_topic == NULL) {
		return;
	}
	k->has_will = true;
	k->will.topic = span_str(f->will_topic);
	k->will.payload = span_make(f->will_payload, f->will_payload_len);
	k->will.qos = f->will_qos;
	k->will.retain = f->will_retain;
	k->will.props.verbatim = span_make(f->will_props, f->will_props_len);
}

int
client_send_connect(struct tern_client *c, bool reconnect)
{
	const struct client_conf *f = &c->conf;
	struct mqtt_packet p;
	struct mqtt_connect *k = &p.u.connect;

	memset(&p, 0, sizeof p);
	p.type = MQTT_CONNECT;
	k->ver = c->ver;
	k->proto_name = span_str(c->ver == MQTT_V31 ? "MQIsdp" : "MQTT");
	k->clean = connect_clean(c, reconnect);
	c->connect_clean = k->clean;
	k->keepalive = c->opt.keepalive;
	k->client_id = span_str(tern_client_id(c));
	fill_will(c, k);
	if (f->username != NULL) {
		k->has_username = true;
		k->username = span_str(f->username);
	}
	if (f->has_password) {
		k->has_password = true;
		k->password = span_make(f->password, f->password_len);
	}
	k->props.verbatim = span_make(f->connect_props, f->connect_props_len);
	return client_send_packet(c, &p);
}

int
client_pid_alloc(struct tern_client *c, uint16_t *out)
{
	for (unsigned i = 0; i < 65535; i++) {
		uint16_t pid = c->next_pid;

		c->next_pid = (uint16_t)(pid == 65535 ? 1 : pid + 1);
		if ((c->pid_used[pid >> 3] & (1u << (pid & 7))) == 0) {
			c->pid_used[pid >> 3] |= (uint8_t)(1u << (pid & 7));
			*out = pid;
			return 0;
		}
	}
	return TERN_EFULL;
}

void
client_pid_free(struct tern_client *c, uint16_t pid)
{
	c->pid_used[pid >> 3] &= (uint8_t) ~(1u << (pid & 7));
}

static size_t
send_window(const struct tern_client *c)
{
	size_t limit = c->recv_max_out;

	if (c->opt.max_inflight != 0 && c->opt.max_inflight < limit) {
		limit = c->opt.max_inflight;
	}
	return limit;
}

/* can_send() - 0 if the server accepts @m as it stands, else why not. */
static int
can_send(const struct tern_client *c, const struct out_msg *m)
{
	if (c->max_packet_out != 0 && m->len > c->max_packet_out) {
		return TERN_ETOOBIG;
	}
	if (m->qos > c->max_qos || ((m->pkt[0] & 1) && !c->retain_available) ||
	    m->topic_alias > c->topic_alias_max_out) {
		return TERN_EINVAL;
	}
	return 0;
}

/*
 * out_describe() - topic and payload size of @m's encoded PUBLISH, for
 * the trace (the bytes were written by the codec, so they parse).
 */
static struct span
out_describe(const struct tern_client *c, const struct out_msg *m,
             size_t *payload_len)
{
	struct rd r = rd_make(span_make(m->pkt, m->len));
	struct span t = {NULL, 0}, skip;
	uint32_t n = 0;
	uint16_t pid;
	uint8_t b0;

	*payload_len = 0;
	if (rd_u8(&r, &b0) != 0 || rd_varint(&r, &n) != 0 ||
	    rd_bin(&r, &t) != 0 || rd_u16(&r, &pid) != 0) {
		return span_make("?", 1);
	}
	n = 0;
	if (c->ver == MQTT_V5 &&
	    (rd_varint(&r, &n) != 0 || rd_bytes(&r, n, &skip) != 0)) {
		return t;
	}
	*payload_len = rd_left(&r);
	return t;
}

/* send_out_msg() - append @m's PUBLISH, with DUP as given. */
static int
send_out_msg(struct tern_client *c, struct out_msg *m, bool dup)
{
	int err;

	m->pkt[0] = (uint8_t)(dup ? m->pkt[0] | 0x08 : m->pkt[0] & ~0x08);
	err = buf_append(&c->out, span_make(m->pkt, m->len));
	if (err != 0) {
		return err;
	}
	c->last_out_ms = clock_mono_ms();
	if (c->cb.on_log != NULL) {
		size_t plen;
		struct span t = out_describe(c, m, &plen);

		client_log(c,
		           "sending PUBLISH (d%d, q%u, r%d, m%u, '%.*s', ... "
		           "(%zu bytes))",
		           dup, m->qos, m->pkt[0] & 1, m->pid, (int)t.len,
		           (const char *)t.p, plen);
	}
	return 0;
}

void
client_send_pump(struct tern_client *c)
{
	while (c->state == CS_CONNECTED && !list_empty(&c->queued) &&
	       c->sent_unacked < send_window(c)) {
		struct out_msg *m = LIST_ENTRY(list_first(&c->queued),
		                               struct out_msg, link);
		int err = can_send(c, m);

		if (err == 0) {
			err = send_out_msg(c, m, false);
		}
		if (err == TERN_ENOMEM) {
			client_fail(c, err, -1);
			return;
		}
		if (err != 0) {
			client_flow_publish_done(c, m, err, -1, NULL);
			continue;
		}
		list_del(&m->link);
		list_insert_tail(&c->inflight, &m->link);
		m->state = m->qos == 1 ? OUT_WAIT_ACK : OUT_WAIT_REC;
		c->sent_unacked++;
	}
}

/* requeue_fresh() - the session is gone: start the unfinished ones over. */
static void
requeue_fresh(struct tern_client *c)
{
	struct list *pos, *tmp;
	struct list head;

	list_init(&head);
	list_for_each_safe (pos, tmp, &c->inflight) {
		struct out_msg *m = LIST_ENTRY(pos, struct out_msg, link);

		if (m->state == OUT_WAIT_COMP) {
			/* The server had the message; its PUBREL is moot. */
			client_flow_publish_done(c, m, 0, 0, NULL);
			continue;
		}
		list_del(&m->link);
		m->state = OUT_QUEUED;
		list_insert_tail(&head, &m->link);
	}
	/* Put them in front of the never-sent ones, keeping the order. */
	while (!list_empty(&c->queued)) {
		struct list *n = list_first(&c->queued);

		list_del(n);
		list_insert_tail(&head, n);
	}
	while (!list_empty(&head)) {
		struct list *n = list_first(&head);

		list_del(n);
		list_insert_tail(&c->queued, n);
	}
	c->sent_unacked = 0;
	memset(c->qos2_in, 0, sizeof c->qos2_in);
}

/*
 * resend_inflight() - [MQTT-4.4.0-1]: on a resumed session, resend every
 * unacknowledged PUBLISH (DUP set) and PUBREL, in the original order.
 */
static void
resend_inflight(struct tern_client *c)
{
	struct list *pos;
	int err = 0;

	list_for_each (pos, &c->inflight) {
		struct out_msg *m = LIST_ENTRY(pos, struct out_msg, link);

		if (m->state == OUT_WAIT_COMP) {
			err = client_send_ack(c, MQTT_PUBREL, m->pid, 0);
		} else {
			err = send_out_msg(c, m, true);
		}
		if (err != 0) {
			client_fail(c, err, -1);
			return;
		}
	}
}

void
client_send_resume(struct tern_client *c)
{
	if (c->session_present) {
		resend_inflight(c);
	} else {
		requeue_fresh(c);
	}
	client_send_pump(c);
}
