/*
 * subscribe.c - SUBSCRIBE / SUBACK with retained replay, UNSUBSCRIBE /
 * UNSUBACK, PINGREQ / PINGRESP.
 *
 * The router holds the subscriptions for matching; the session keeps its
 * own list of filters so they can be removed when the session ends.
 */
#include "broker.h"

#include "../base/alloc.h"
#include "../base/log.h"

#define RCS_ON_STACK 64

/* Remember @filter in the session's list, or update its QoS. */
static int
remember(const struct worker *w, struct session *s, struct span filter,
         uint8_t qos)
{
	long max = w->srv->cfg->max_subscriptions_per_client;
	struct sub *sub;

	for (sub = s->subs; sub != NULL; sub = sub->next) {
		if (span_eq(span_make(sub->filter, sub->len), filter)) {
			sub->qos = qos;
			return 0;
		}
	}
	if (max > 0 && s->n_subs >= (size_t)max) {
		return TERN_EFULL;
	}
	sub = tern_malloc(sizeof(*sub) + filter.len);
	if (sub == NULL) {
		return TERN_ENOMEM;
	}
	sub->qos = qos;
	sub->len = (uint16_t)filter.len;
	memcpy(sub->filter, filter.p, filter.len);
	sub->next = s->subs;
	s->subs = sub;
	s->n_subs++;
	return 0;
}

static void
forget(struct session *s, struct span filter)
{
	struct sub **pp;

	for (pp = &s->subs; *pp != NULL; pp = &(*pp)->next) {
		struct sub *sub = *pp;
		if (span_eq(span_make(sub->filter, sub->len), filter)) {
			*pp = sub->next;
			tern_free(sub);
			s->n_subs--;
			return;
		}
	}
}

/* Subscribe one entry; returns the SUBACK return code. */
static uint8_t
subscribe_one(struct client *c, const struct mqtt_sub_entry *e)
{
	struct worker *w = c->w;
	struct session *s = c->session;
	struct sub_ref ref = {
	        .worker = w->idx,
	        .slot = s->slot,
	        .gen = s->gen,
	        .qos = e->qos,
	};

	if (topic_levels(e->filter) > (size_t)w->srv->cfg->max_topic_levels) {
		return 0x80;
	}
	if (!session_may(w, s, e->filter, ACL_SUBSCRIBE)) {
		log_msg(LOG_INFO, "Denied subscription of %.*s to %.*s.",
		        (int)s->id_len, s->id, (int)e->filter.len, e->filter.p);
		return 0x80;
	}
	if (remember(w, s, e->filter, e->qos) != 0) {
		return 0x80;
	}
	if (router_subscribe(w->srv->router, e->filter, &ref, NULL) != 0) {
		forget(s, e->filter);
		return 0x80;
	}
	log_msg(LOG_DEBUG, "%.*s %u %.*s", (int)s->id_len, s->id,
	        (unsigned)e->qos, (int)e->filter.len, e->filter.p);
	/* [MQTT-3.9.3-1] the granted QoS; Tern serves QoS 2. */
	return e->qos;
}

struct replay {
	struct worker *w;
	struct session *s;
	uint8_t granted;
};

static void
replay_one(void *arg, struct msg *m)
{
	struct replay *r = arg;
	uint8_t qos = m->qos < r->granted ? m->qos : r->granted;

	/* [MQTT-3.3.1-8] a retained message sent for a new subscription
	 * carries RETAIN=1. */
	deliver_to_session(r->w, r->s, m, qos, true);
}

/* [MQTT-3.3.1-6] [MQTT-3.8.4-3] retained messages for each filter that
 * was (re)subscribed, after the SUBACK. */
static void
replay_retained(struct client *c, const struct mqtt_subscribe *sub,
                const uint8_t *rcs)
{
	struct rd r = rd_make(sub->payload);
	struct mqtt_sub_entry e;
	size_t i = 0;

	while (codec_sub_next(&r, (enum mqtt_ver)c->ver, &e)) {
		if (rcs[i++] < 0x80 && c->session != NULL) {
			struct replay rp = {c->w, c->session, e.qos};
			retain_match(c->w->srv->retain, e.filter, replay_one,
			             &rp);
		}
	}
}

static int
check_filters(struct client *c, const struct mqtt_subscribe *sub)
{
	struct rd r = rd_make(sub->payload);
	struct mqtt_sub_entry e;

	while (codec_sub_next(&r, (enum mqtt_ver)c->ver, &e)) {
		/* [MQTT-4.7.1-2/3] a bad filter is a protocol violation,
		 * and [MQTT-4.8.0-1] closes the connection. */
		if (topic_check_filter(e.filter) != 0) {
			c->why = "invalid topic filter in SUBSCRIBE";
			return TERN_ETOPIC;
		}
	}
	return 0;
}

int
handle_subscribe(struct client *c, const struct mqtt_packet *p)
{
	const struct mqtt_subscribe *sub = &p->u.subscribe;
	uint8_t small[RCS_ON_STACK];
	uint8_t *rcs = small;
	struct mqtt_packet ack = {.type = MQTT_SUBACK};
	struct rd r = rd_make(sub->payload);
	struct mqtt_sub_entry e;
	size_t n = 0;
	int err = check_filters(c, sub);

	if (err != 0) {
		return err;
	}
	if (sub->count > RCS_ON_STACK &&
	    (rcs = tern_malloc(sub->count)) == NULL) {
		c->why = "out of memory";
		return TERN_ENOMEM;
	}
	while (codec_sub_next(&r, (enum mqtt_ver)c->ver, &e)) {
		rcs[n++] = subscribe_one(c, &e);
	}
	/* [MQTT-3.8.4-1/2/5] one SUBACK, same packet id, a code per
	 * filter in order. */
	ack.u.suback.pid = sub->pid;
	ack.u.suback.rcs = span_make(rcs, n);
	err = client_send_packet(c, &ack);
	if (err == 0) {
		replay_retained(c, sub, rcs);
	}
	if (rcs != small) {
		tern_free(rcs);
	}
	return err;
}

int
handle_unsubscribe(struct client *c, const struct mqtt_packet *p)
{
	const struct mqtt_unsubscribe *un = &p->u.unsubscribe;
	struct session *s = c->session;
	struct sub_ref ref = {
	        .worker = c->w->idx, .slot = s->slot, .gen = s->gen};
	struct mqtt_packet ack = {.type = MQTT_UNSUBACK};
	struct rd r = rd_make(un->payload);
	struct span f;

	while (codec_unsub_next(&r, &f)) {
		if (topic_check_filter(f) != 0) {
			c->why = "invalid topic filter in UNSUBSCRIBE";
			return TERN_ETOPIC;
		}
	}
	r = rd_make(un->payload);
	while (codec_unsub_next(&r, &f)) {
		/* (void): ENOTFOUND still gets an UNSUBACK [MQTT-3.10.4-5]. */
		(void)router_unsubscribe(c->w->srv->router, f, &ref);
		forget(s, f);
	}
	/* [MQTT-3.10.4-4] UNSUBACK with the same packet id. */
	ack.u.suback.pid = un->pid;
	return client_send_packet(c, &ack);
}

int
handle_pingreq(struct client *c, const struct mqtt_packet *p)
{
	struct mqtt_packet resp = {.type = MQTT_PINGRESP};

	(void)p;
	/* [MQTT-3.12.4-1] */
	return client_send_packet(c, &resp);
}
