/*
 * wait.c - the blocking API. Each call queues its request like the
 * *_async() calls, then waits for the end of that flow: without the loop
 * thread it runs the connection itself (poll + client_conn_io); with it, it
 * sleeps on c->cv, which the loop thread signals after every turn.
 */
#include <errno.h>
#include <time.h>

#include "../base/alloc.h"
#include "../base/clock.h"
#include "client.h"

/*
 * may_block() - 0 if the caller may wait here, else TERN_EBUSY: a
 * callback, or the loop thread, would wait for itself.
 */
static int
may_block(struct tern_client *c)
{
	return c->in_cb > 0 || client_on_loop_thread(c) ? TERN_EBUSY : 0;
}

/* cv_wait_until() - sleep on c->cv until @deadline (ms, monotonic). */
static void
cv_wait_until(struct tern_client *c, uint64_t deadline)
{
	struct timespec ts;

	if (deadline == UINT64_MAX) {
		/* (void): spurious wake-ups are handled by the caller. */
		(void)pthread_cond_wait(&c->cv, &c->mu);
		return;
	}
	ts.tv_sec = (time_t)(deadline / 1000u);
	ts.tv_nsec = (long)(deadline % 1000u) * 1000000L;
	(void)pthread_cond_timedwait(&c->cv, &c->mu, &ts);
}

int
client_wait(struct tern_client *c, wait_done_fn *done, void *arg,
            int timeout_ms)
{
	uint64_t deadline = timeout_ms < 0
	                            ? UINT64_MAX
	                            : clock_mono_ms() + (uint64_t)timeout_ms;
	int err = may_block(c);

	if (err != 0) {
		return err;
	}
	while (!done(c, arg)) {
		uint64_t now = clock_mono_ms();

		if (now >= deadline) {
			return TERN_ETIMEOUT;
		}
		if (c->thread_running) {
			cv_wait_until(c, deadline);
			continue;
		}
		if (c->state == CS_IDLE) {
			return c->last_err;
		}
		err = client_poll_once(
		        c, deadline == UINT64_MAX ? -1 : (int)(deadline - now));
		if (err != 0 && !done(c, arg)) {
			return err;
		}
	}
	return 0;
}

static bool
connect_done(struct tern_client *c, void *arg)
{
	(void)arg;
	/* CS_RECONNECT: the CONNACK came, then the connection was lost
	 * and the reconnect took over (see client_close_now()). */
	return c->state == CS_CONNECTED || c->state == CS_IDLE ||
	       c->state == CS_RECONNECT;
}

int
tern_connect(struct tern_client *c)
{
	int err;

	client_lock(c);
	err = may_block(c);
	if (err != 0) {
		client_unlock(c);
		return err;
	}
	c->blocking_connect = true;
	err = tern_connect_async(c);
	if (err == 0) {
		/* The connect timer of conn.c ends the wait; this is a guard.
		 */
		err = client_wait(c, connect_done, NULL,
		                  c->opt.connect_timeout_ms + 1000);
	}
	c->blocking_connect = false;
	if (err == 0 && c->state == CS_IDLE) {
		err = c->last_err;
	}
	if (err != 0 && c->state != CS_IDLE) {
		client_close_now(c, err);
	}
	client_unlock(c);
	return err;
}

static bool
waiter_done(struct tern_client *c, void *arg)
{
	struct waiter *w = arg;

	if (!w->done && c->state == CS_IDLE) {
		w->err = c->last_err;
		return true;
	}
	return w->done;
}

static bool
out_written(struct tern_client *c, void *arg)
{
	(void)arg;
	return c->out.len == 0 || c->state != CS_CONNECTED;
}

/* wait_flow() - wait for @w (type and pid set) to finish. */
static int
wait_flow(struct tern_client *c, struct waiter *w)
{
	int err;

	w->done = false;
	w->err = 0;
	w->reason = -1;
	list_insert_tail(&c->waiters, &w->link);
	err = client_wait(c, waiter_done, w, c->opt.op_timeout_ms);
	list_del(&w->link);
	if (err == 0) {
		err = w->err;
	}
	if (w->reason >= 0) {
		c->last_reason = w->reason;
	}
	return err;
}

int
tern_publish_ex(struct tern_client *c, const struct tern_pub *m)
{
	struct waiter w = {.type = MQTT_PUBLISH};
	int err;

	client_lock(c);
	err = may_block(c);
	if (err == 0) {
		err = tern_publish_async(c, m, &w.pid);
	}
	if (err == 0 && m->qos == 0) {
		/* Done once the bytes are with the kernel. */
		err = client_wait(c, out_written, NULL, c->opt.op_timeout_ms);
	} else if (err == 0) {
		err = wait_flow(c, &w);
	}
	client_unlock(c);
	return err;
}

int
tern_publish(struct tern_client *c, const char *topic, const void *payload,
             size_t len, int qos, bool retain)
{
	struct tern_pub m = {topic, payload, len, qos, retain, {NULL, 0}};

	return tern_publish_ex(c, &m);
}

int
tern_subscribe_many(struct tern_client *c, const struct tern_sub *subs,
                    size_t n, const struct tern_props *props,
                    uint8_t *rcs) /* NOLINT(readability-non-const-parameter):
                                     written through the waiter */
{
	struct waiter w = {.type = MQTT_SUBSCRIBE, .rcs = rcs, .n = n};
	int err;

	client_lock(c);
	err = may_block(c);
	if (err == 0) {
		err = tern_subscribe_async(c, subs, n, props, &w.pid);
	}
	if (err == 0) {
		err = wait_flow(c, &w);
	}
	client_unlock(c);
	return err;
}

int
tern_subscribe(struct tern_client *c, const char *filter, int qos)
{
	struct tern_sub s = {filter, qos, false, false, 0};
	uint8_t rc = 0x80;
	int err = tern_subscribe_many(c, &s, 1, NULL, &rc);

	if (err != 0) {
		return err;
	}
	return rc < 0x80 ? rc : TERN_EDENIED;
}

int
tern_unsubscribe_many(struct tern_client *c, const char *const *filters,
                      size_t n, const struct tern_props *props,
                      uint8_t *rcs) /* NOLINT(readability-non-const-parameter):
                                       written through the waiter */
{
	struct waiter w = {.type = MQTT_UNSUBSCRIBE, .rcs = rcs, .n = n};
	int err;

	client_lock(c);
	err = may_block(c);
	if (err == 0) {
		err = tern_unsubscribe_async(c, filters, n, props, &w.pid);
	}
	if (err == 0) {
		err = wait_flow(c, &w);
	}
	client_unlock(c);
	return err;
}

int
tern_unsubscribe(struct tern_client *c, const char *filter)
{
	uint8_t rc = 0;
	int err = tern_unsubscribe_many(c, &filter, 1, NULL, &rc);

	if (err == 0 && rc >= 0x80) {
		err = client_reason_err(c->ver, rc);
	}
	return err;
}

static bool
msg_ready(struct tern_client *c, void *arg)
{
	(void)arg;
	return !list_empty(&c->msgq) || c->state == CS_IDLE;
}

int
tern_recv(struct tern_client *c, int timeout_ms, struct tern_message **out)
{
	struct queued_msg *q;
	int err;

	client_lock(c);
	err = client_wait(c, msg_ready, NULL, timeout_ms);
	if (err == 0 && list_empty(&c->msgq)) {
		err = c->last_err;
	}
	if (err == 0) {
		q = LIST_ENTRY(list_first(&c->msgq), struct queued_msg, link);
		list_del(&q->link);
		*out = q->m;
		tern_free(q);
	}
	client_unlock(c);
	return err;
}

static bool
idle_done(struct tern_client *c, void *arg)
{
	(void)arg;
	return c->state == CS_IDLE;
}

int
tern_disconnect_ex(struct tern_client *c, int reason,
                   const struct tern_props *props)
{
	int err;

	client_lock(c);
	err = may_block(c);
	if (err != 0) {
		client_unlock(c);
		return err;
	}
	err = tern_disconnect_async(c, reason, props);
	if (err == 0) {
		err = client_wait(c, idle_done, NULL, c->opt.op_timeout_ms);
	}
	if (c->state != CS_IDLE) {
		c->user_disconnect = true;
		client_close_now(c, 0);
	}
	if (err == TERN_ECLOSED) {
		err = 0; /* idle after the close we asked for */
	}
	client_unlock(c);
	return err;
}

int
tern_disconnect(struct tern_client *c)
{
	return tern_disconnect_ex(c, 0, NULL);
}
