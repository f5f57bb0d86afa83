/*
 * flow.c - the end of a flow: a QoS 1/2 publish, a SUBSCRIBE or an
 * UNSUBSCRIBE finished (or failed). Frees the packet identifier, wakes the
 * blocking call that waits for it, calls the application's callback.
 */
#include "../base/alloc.h"
#include "client.h"

static struct waiter *
find_waiter(struct tern_client *c, uint8_t type, uint16_t pid)
{
	struct list *pos;

	list_for_each (pos, &c->waiters) {
		struct waiter *w = LIST_ENTRY(pos, struct waiter, link);

		if (w->type == type && w->pid == pid) {
			return w;
		}
	}
	return NULL;
}

static void
wake_waiter(struct waiter *w, int err, int reason)
{
	list_del(&w->link);
	w->done = true;
	w->err = err;
	w->reason = reason;
}

void
client_flow_publish_done(struct tern_client *c, struct out_msg *m, int err,
                         int reason, const struct tern_props *props)
{
	uint16_t pid = m->pid;
	struct waiter *w;

	list_del(&m->link);
	if (m->state != OUT_QUEUED) {
		c->sent_unacked--;
	}
	client_pid_free(c, pid);
	tern_free(m);
	w = find_waiter(c, MQTT_PUBLISH, pid);
	if (w != NULL) {
		wake_waiter(w, err, reason);
	}
	if (c->cb.on_publish != NULL) {
		c->in_cb++;
		c->cb.on_publish(c, c->cb_arg, pid, err, reason, props);
		c->in_cb--;
	}
}

void
client_flow_req_done(struct tern_client *c, struct out_req *r, int err,
                     const uint8_t *rcs, size_t n,
                     const struct tern_props *props)
{
	uint16_t pid = r->pid;
	uint8_t type = r->type;
	struct waiter *w = find_waiter(c, type, pid);
	tern_subscribe_fn *fn = type == MQTT_SUBSCRIBE ? c->cb.on_subscribe
	                                               : c->cb.on_unsubscribe;
	struct tern_props none = {NULL, 0};

	list_del(&r->link);
	client_pid_free(c, pid);
	tern_free(r);
	if (w != NULL) {
		for (size_t i = 0; i < n && i < w->n && w->rcs != NULL; i++) {
			w->rcs[i] = rcs[i];
		}
		wake_waiter(w, err, n > 0 ? rcs[0] : -1);
	}
	if (fn != NULL) {
		c->in_cb++;
		fn(c, c->cb_arg, pid, rcs, n, props != NULL ? props : &none);
		c->in_cb--;
	}
}

void
client_flow_conn_lost(struct tern_client *c, int err, bool final)
{
	struct list *pos, *tmp;

	/* Requests do not survive the connection; the caller may redo them. */
	list_for_each_safe (pos, tmp, &c->reqs) {
		client_flow_req_done(c, LIST_ENTRY(pos, struct out_req, link),
		                     err, NULL, 0, NULL);
	}
	/* [MQTT-3.3.2-7]: topic aliases end with the connection. */
	client_aliases_clear(c);
	if (!final) {
		return;
	}
	/* Nobody will reconnect for them: wake whoever waits on a publish. */
	list_for_each_safe (pos, tmp, &c->waiters) {
		struct waiter *w = LIST_ENTRY(pos, struct waiter, link);

		if (w->type == MQTT_PUBLISH) {
			wake_waiter(w, err, -1);
		}
	}
}
