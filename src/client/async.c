/*
 * async.c - the non-blocking requests of the public API: connect,
 * publish, subscribe, unsubscribe, disconnect. Each checks its arguments,
 * encodes the packet, queues it and tries one non-blocking write; the
 * rest happens in tern_io().
 */
#include "../base/alloc.h"
#include "../base/clock.h"
#include "../base/utf8.h"
#include "client.h"

/* kick() - write what can be written now and tell the loop thread. */
static void
kick(struct tern_client *c)
{
	client_flush(c);
	client_wake(c);
}

int
tern_connect_async(struct tern_client *c)
{
	int err;

	client_lock(c);
	if (c->state != CS_IDLE) {
		client_unlock(c);
		return TERN_EBUSY;
	}
	c->user_disconnect = false;
	c->backoff_ms = (uint32_t)c->opt.reconnect_min_ms;
	err = client_conn_start(c, false);
	if (err != 0) {
		client_close_now(c, err);
		c->state = CS_IDLE; /* a failed first attempt is the caller's */
		c->last_err = err;
	}
	client_wake(c);
	client_unlock(c);
	return err;
}

/* encode_props() - @p checked for packet @where and encoded; caller frees. */
static int
encode_props(const struct tern_client *c, const struct tern_props *p,
             unsigned where, struct span *out)
{
	size_t n;
	uint8_t *b;
	struct wr w;
	int err;

	*out = span_make(NULL, 0);
	if (p == NULL || p->n == 0) {
		return 0;
	}
	if (c->ver != MQTT_V5) {
		return TERN_EINVAL;
	}
	err = client_props_size(p, where, &n);
	if (err != 0) {
		return err;
	}
	b = tern_malloc(n);
	if (b == NULL) {
		return TERN_ENOMEM;
	}
	w = wr_make(b, n);
	client_props_encode(p, &w);
	*out = span_make(b, n);
	return 0;
}

static int
check_topic(const struct tern_client *c, const char *topic,
            const struct tern_props *props)
{
	struct span t;

	if (topic == NULL) {
		return TERN_ETOPIC;
	}
	t = span_str(topic);
	if (t.len == 0) {
		/* Empty only with a Topic Alias that names a known topic. */
		return c->ver == MQTT_V5 &&
		                       tern_props_find(props,
		                                       TERN_PROP_TOPIC_ALIAS,
		                                       NULL) != NULL
		               ? 0
		               : TERN_ETOPIC;
	}
	if (t.len > 0xffff || utf8_check(t) != 0 || topic_check_name(t) != 0) {
		return TERN_ETOPIC;
	}
	return 0;
}

/* topic_alias_of() - the Topic Alias in @props, or 0 for none. */
static uint16_t
topic_alias_of(const struct tern_props *props)
{
	const struct tern_prop *e =
	        tern_props_find(props, TERN_PROP_TOPIC_ALIAS, NULL);

	return e != NULL ? (uint16_t)e->num : 0;
}

static int
check_publish(const struct tern_client *c, const struct tern_pub *m)
{
	int err = check_topic(c, m->topic, &m->props);

	if (err != 0) {
		return err;
	}
	if (m->qos < 0 || m->qos > 2 || (m->payload == NULL && m->len != 0)) {
		return TERN_EINVAL;
	}
	/* What the server allows; a queued message is checked as it leaves. */
	if (c->state == CS_CONNECTED &&
	    (m->qos > c->max_qos || (m->retain && !c->retain_available) ||
	     topic_alias_of(&m->props) > c->topic_alias_max_out)) {
		return TERN_EINVAL;
	}
	if (c->state == CS_IDLE || (m->qos == 0 && c->state != CS_CONNECTED)) {
		return TERN_ECLOSED;
	}
	return 0;
}

/* queue_qos12() - encode into a struct out_msg and queue it. */
static int
queue_qos12(struct tern_client *c, const struct mqtt_packet *p,
            uint16_t topic_alias)
{
	size_t n = codec_size(p, c->ver);
	struct out_msg *m;
	struct wr w;

	if (n == 0) {
		return TERN_ETOOBIG;
	}
	if (c->state == CS_CONNECTED && c->max_packet_out != 0 &&
	    n > c->max_packet_out) {
		return TERN_ETOOBIG;
	}
	m = tern_malloc(sizeof(*m) + n);
	if (m == NULL) {
		return TERN_ENOMEM;
	}
	w = wr_make(m->pkt, n);
	codec_write(&w, p, c->ver);
	m->pid = p->u.publish.pid;
	m->topic_alias = topic_alias;
	m->qos = p->u.publish.qos;
	m->state = OUT_QUEUED;
	m->len = n;
	list_insert_tail(&c->queued, &m->link);
	client_send_pump(c);
	return 0;
}

/* send_publish() - QoS 0 goes out now; QoS 1/2 gets an id and a queue. */
static int
send_publish(struct tern_client *c, struct mqtt_packet *p, uint16_t topic_alias)
{
	uint16_t *pid = &p->u.publish.pid;
	int err;

	if (p->u.publish.qos == 0) {
		return client_send_packet(c, p);
	}
	err = client_pid_alloc(c, pid);
	if (err != 0) {
		return err;
	}
	err = queue_qos12(c, p, topic_alias);
	if (err != 0) {
		client_pid_free(c, *pid);
	}
	return err;
}

static int
publish_locked(struct tern_client *c, const struct tern_pub *m, uint16_t *mid)
{
	struct mqtt_packet p;
	struct mqtt_publish *pub = &p.u.publish;
	struct span praw;
	int err;

	err = check_publish(c, m);
	if (err == 0) {
		err = encode_props(c, &m->props, MQTT_PUBLISH, &praw);
	}
	if (err != 0) {
		return err;
	}
	memset(&p, 0, sizeof p);
	p.type = MQTT_PUBLISH;
	pub->qos = (uint8_t)m->qos;
	pub->retain = m->retain;
	pub->topic = span_str(m->topic);
	pub->payload = span_make(m->payload, m->len);
	pub->props.verbatim = praw;
	err = send_publish(c, &p, topic_alias_of(&m->props));
	tern_free((void *)praw.p);
	if (err == 0 && mid != NULL) {
		*mid = pub->pid;
	}
	return err;
}

int
tern_publish_async(struct tern_client *c, const struct tern_pub *m,
                   uint16_t *mid)
{
	int err;

	client_lock(c);
	err = publish_locked(c, m, mid);
	if (err == 0) {
		kick(c);
	}
	client_unlock(c);
	return err;
}

static int
check_filter(const struct tern_client *c, const struct tern_sub *s)
{
	struct span f;

	if (s->filter == NULL) {
		return TERN_ETOPIC;
	}
	f = span_str(s->filter);
	if (f.len > 0xffff || utf8_check(f) != 0 ||
	    topic_check_filter(f) != 0) {
		return TERN_ETOPIC;
	}
	if (s->qos < 0 || s->qos > 2 || s->retain_handling < 0 ||
	    s->retain_handling > 2) {
		return TERN_EINVAL;
	}
	if (c->ver != MQTT_V5 &&
	    (s->no_local || s->retain_as_published || s->retain_handling)) {
		return TERN_EINVAL;
	}
	return 0;
}

/*
 * send_request() - give @p, a SUBSCRIBE or UNSUBSCRIBE of @count entries,
 * a packet identifier (written to *@pid, the packet's own field), send it
 * and remember it until its acknowledgement. *@mid (may be NULL) is set
 * to the identifier on success.
 */
static int
send_request(struct tern_client *c, struct mqtt_packet *p, uint16_t *pid,
             size_t count, uint16_t *mid)
{
	struct out_req *r;
	int err = client_pid_alloc(c, pid);

	if (err != 0) {
		return err;
	}
	r = tern_malloc(sizeof(*r));
	err = r == NULL ? TERN_ENOMEM : client_send_packet(c, p);
	if (err != 0) {
		tern_free(r);
		client_pid_free(c, *pid);
		return err;
	}
	r->pid = *pid;
	r->type = p->type;
	r->count = count;
	list_insert_tail(&c->reqs, &r->link);
	if (mid != NULL) {
		*mid = *pid;
	}
	return 0;
}

/*
 * request_props() - a SUBSCRIBE or UNSUBSCRIBE may go out only while
 * connected; @props checked for it and encoded into *@praw (caller frees).
 */
static int
request_props(struct tern_client *c, const struct tern_props *props,
              unsigned where, struct span *praw)
{
	if (c->state != CS_CONNECTED) {
		return TERN_ECLOSED;
	}
	return encode_props(c, props, where, praw);
}

static int
subscribe_locked(struct tern_client *c, const struct tern_sub *subs, size_t n,
                 struct span praw, uint16_t *mid)
{
	struct mqtt_sub_entry *e = tern_calloc(n, sizeof(*e));
	struct mqtt_packet p;
	int err;

	if (e == NULL) {
		return TERN_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		e[i].filter = span_str(subs[i].filter);
		e[i].qos = (uint8_t)subs[i].qos;
		e[i].no_local = subs[i].no_local;
		e[i].retain_as_published = subs[i].retain_as_published;
		e[i].retain_handling = (uint8_t)subs[i].retain_handling;
	}
	memset(&p, 0, sizeof p);
	p.type = MQTT_SUBSCRIBE;
	p.u.subscribe.count = n;
	p.u.subscribe.entries = e;
	p.u.subscribe.props.verbatim = praw;
	err = send_request(c, &p, &p.u.subscribe.pid, n, mid);
	tern_free(e);
	return err;
}

int
tern_subscribe_async(struct tern_client *c, const struct tern_sub *subs,
                     size_t n, const struct tern_props *props, uint16_t *mid)
{
	struct span praw = {NULL, 0};
	int err = n == 0 || subs == NULL ? TERN_EINVAL : 0;

	client_lock(c);
	for (size_t i = 0; err == 0 && i < n; i++) {
		err = check_filter(c, &subs[i]);
	}
	if (err == 0) {
		err = request_props(c, props, MQTT_SUBSCRIBE, &praw);
	}
	if (err == 0) {
		err = subscribe_locked(c, subs, n, praw, mid);
		tern_free((void *)praw.p);
	}
	if (err == 0) {
		kick(c);
	}
	client_unlock(c);
	return err;
}

static int
unsubscribe_locked(struct tern_client *c, const char *const *filters, size_t n,
                   struct span praw, uint16_t *mid)
{
	struct span *f = tern_calloc(n, sizeof(*f));
	struct mqtt_packet p;
	int err;

	if (f == NULL) {
		return TERN_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		f[i] = span_str(filters[i]);
	}
	memset(&p, 0, sizeof p);
	p.type = MQTT_UNSUBSCRIBE;
	p.u.unsubscribe.count = n;
	p.u.unsubscribe.filters = f;
	p.u.unsubscribe.props.verbatim = praw;
	err = send_request(c, &p, &p.u.unsubscribe.pid, n, mid);
	tern_free(f);
	return err;
}

int
tern_unsubscribe_async(struct tern_client *c, const char *const *filters,
                       size_t n, const struct tern_props *props, uint16_t *mid)
{
	struct span praw = {NULL, 0};
	int err = n == 0 || filters == NULL ? TERN_EINVAL : 0;

	client_lock(c);
	for (size_t i = 0; err == 0 && i < n; i++) {
		struct tern_sub s = {filters[i], 0, false, false, 0};

		err = check_filter(c, &s);
	}
	if (err == 0) {
		err = request_props(c, props, MQTT_UNSUBSCRIBE, &praw);
	}
	if (err == 0) {
		err = unsubscribe_locked(c, filters, n, praw, mid);
		tern_free((void *)praw.p);
	}
	if (err == 0) {
		kick(c);
	}
	client_unlock(c);
	return err;
}

static int
queue_disconnect(struct tern_client *c, int reason,
                 const struct tern_props *props)
{
	struct mqtt_packet p;
	struct span praw;
	int err;

	if (reason < 0 || reason > 255 || (c->ver != MQTT_V5 && reason != 0)) {
		return TERN_EINVAL;
	}
	err = encode_props(c, props, MQTT_DISCONNECT, &praw);
	if (err != 0) {
		return err;
	}
	memset(&p, 0, sizeof p);
	p.type = MQTT_DISCONNECT;
	p.u.disconnect.rc = (uint8_t)reason;
	p.u.disconnect.props.verbatim = praw;
	err = client_send_packet(c, &p);
	tern_free((void *)praw.p);
	return err;
}

int
tern_disconnect_async(struct tern_client *c, int reason,
                      const struct tern_props *props)
{
	int err = 0;

	client_lock(c);
	if (c->state == CS_CONNECTED) {
		err = queue_disconnect(c, reason, props);
		if (err == 0) {
			c->state = CS_CLOSING;
			c->close_deadline = clock_mono_ms() +
			                    (uint64_t)c->opt.op_timeout_ms;
		}
	}
	if (err == 0) {
		c->user_disconnect = true;
		if (c->state != CS_CLOSING && c->state != CS_IDLE) {
			/* Not connected yet: just stop, at the top of tern_io.
			 */
			c->pending_err = TERN_ECLOSED;
		}
		kick(c);
	}
	client_unlock(c);
	return err;
}
