/*
 * sys.c - $SYS/broker/... topics: the broker's own counters, published as
 * retained messages every sys_interval seconds from worker 0, through the
 * same routing as any other message. Names follow mosquitto's, so
 * dashboards built for it keep working.
 */
#include "broker.h"

#include <stdio.h>

#include "../base/alloc.h"
#include "../base/log.h"

struct totals {
	unsigned long msgs_recv, msgs_sent, bytes_recv, bytes_sent, dropped;
	long connected, disconnected;
};

static void
sum(const struct server *srv, struct totals *t)
{
	memset(t, 0, sizeof(*t));
	for (unsigned i = 0; i < srv->n_workers; i++) {
		const struct stats *s = &srv->workers[i]->stats;
		t->msgs_recv += atomic_load_explicit(&s->msgs_recv,
		                                     memory_order_relaxed);
		t->msgs_sent += atomic_load_explicit(&s->msgs_sent,
		                                     memory_order_relaxed);
		t->bytes_recv += atomic_load_explicit(&s->bytes_recv,
		                                      memory_order_relaxed);
		t->bytes_sent += atomic_load_explicit(&s->bytes_sent,
		                                      memory_order_relaxed);
		t->dropped +=
		        atomic_load_explicit(&s->dropped, memory_order_relaxed);
		t->connected += atomic_load_explicit(&s->connected,
		                                     memory_order_relaxed);
		t->disconnected += atomic_load_explicit(&s->disconnected,
		                                        memory_order_relaxed);
	}
}

static void
publish(struct worker *w, const char *topic, const char *value)
{
	struct msg *m = msg_new(span_str(topic), span_str(value),
	                        span_make("", 0), 0, true);

	if (m == NULL) {
		log_msg(LOG_WARN, "out of memory publishing %s", topic);
		return;
	}
	m->received_ms = w->now_ms;
	route_message(w, m);
	msg_unref(m);
}

static void
publish_num(struct worker *w, const char *topic, unsigned long long v)
{
	char buf[32];

	snprintf(buf, sizeof buf, "%llu", v);
	publish(w, topic, buf);
}

void
sys_publish(struct worker *w)
{
	struct server *srv = w->srv;
	struct totals t;
	char buf[64];

	sum(srv, &t);
	publish(w, "$SYS/broker/version", "tern version " TERN_VERSION);
	snprintf(buf, sizeof buf, "%llu seconds",
	         (unsigned long long)((w->now_ms - srv->start_ms) / 1000u));
	publish(w, "$SYS/broker/uptime", buf);
	publish_num(w, "$SYS/broker/clients/connected",
	            (unsigned long long)t.connected);
	publish_num(w, "$SYS/broker/clients/active",
	            (unsigned long long)t.connected);
	publish_num(w, "$SYS/broker/clients/disconnected",
	            (unsigned long long)t.disconnected);
	publish_num(w, "$SYS/broker/clients/inactive",
	            (unsigned long long)t.disconnected);
	publish_num(w, "$SYS/broker/clients/total",
	            (unsigned long long)(t.connected + t.disconnected));
	publish_num(w, "$SYS/broker/clients/maximum",
	            (unsigned long long)atomic_load(&srv->clients_max));
	publish_num(w, "$SYS/broker/messages/received", t.msgs_recv);
	publish_num(w, "$SYS/broker/messages/sent", t.msgs_sent);
	publish_num(w, "$SYS/broker/publish/messages/received", t.msgs_recv);
	publish_num(w, "$SYS/broker/publish/messages/sent", t.msgs_sent);
	publish_num(w, "$SYS/broker/publish/messages/dropped", t.dropped);
	publish_num(w, "$SYS/broker/bytes/received", t.bytes_recv);
	publish_num(w, "$SYS/broker/bytes/sent", t.bytes_sent);
	publish_num(w, "$SYS/broker/subscriptions/count",
	            router_count(srv->router));
	publish_num(w, "$SYS/broker/retained messages/count",
	            retain_count(srv->retain));
	publish_num(w, "$SYS/broker/heap/current", alloc_in_use());
}
