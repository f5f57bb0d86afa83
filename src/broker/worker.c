/*
 * worker.c - one worker thread: its loop turn, accepting, the inbox, the
 * cross-worker batches, and the deferred work done at the end of a turn.
 *
 * A loop turn: announce sleep, go offline (QSBR), epoll_wait, come back
 * online, dispatch I/O, drain the inbox, run housekeeping if due, then the
 * before-sleep work: push batches to other workers (one atomic exchange
 * each, one wake-up at most), flush every connection with pending output
 * (one sendmsg each), close what must close, and hand over connections
 * that belong to another worker. Deferring closes and hand-overs to the
 * end of the turn keeps every watch valid while the turn's events are
 * dispatched.
 */
#include "broker.h"

#include <stdio.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "../base/alloc.h"
#include "../base/log.h"

/*
 * accept() failed for want of descriptors (EMFILE/ENFILE) or memory: the
 * pending connection stays queued and the listener stays readable, so
 * stop watching the listeners until the next tick instead of spinning.
 */
static void
pause_accepting(struct worker *w)
{
	for (size_t i = 0; i < w->n_lw; i++) {
		loop_del(&w->loop, &w->lw[i].watch);
	}
	w->accept_resume_ms = w->now_ms + TICK_MS;
	log_msg(LOG_WARN,
	        "accept failed (out of file descriptors?); not "
	        "accepting for %d ms.",
	        TICK_MS);
}

static void
resume_accepting(struct worker *w)
{
	if (w->accept_resume_ms == 0 || w->now_ms < w->accept_resume_ms) {
		return;
	}
	w->accept_resume_ms = 0;
	for (size_t i = 0; i < w->n_lw; i++) {
		if (loop_add(&w->loop, &w->lw[i].watch, EPOLLIN) != 0) {
			log_msg(LOG_ERR, "cannot watch a listener again");
		}
	}
}

/* Why a new connection cannot be taken, or NULL. The counts are read
 * without a lock, so a cap may be passed by one per worker at most. */
static const char *
accept_refusal(struct server *srv, const struct listen_slot *ls)
{
	const struct config *cfg = srv->cfg;

	if (ls->cfg->max_connections >= 0 &&
	    atomic_load(&ls->count) >= ls->cfg->max_connections) {
		return "listener at max_connections";
	}
	if (cfg->max_connections_total >= 0 &&
	    atomic_load(&srv->n_conns) >= cfg->max_connections_total) {
		return "max_connections_total reached";
	}
	if (atomic_load(&srv->n_pending) >= cfg->max_pending_connections) {
		return "too many connections waiting for CONNECT";
	}
	if (server_mem_pressure(srv) == MEM_FULL) {
		return "memory_limit reached";
	}
	return NULL;
}

int
worker_accept_fd(struct worker *w, int fd, uint8_t listener)
{
	struct listen_slot *ls = &w->srv->listeners[listener];
	const char *full = accept_refusal(w->srv, ls);
	struct client *c;

	if (full != NULL) {
		close(fd);
		log_msg(LOG_NOTICE, "Connection refused on port %u: %s.",
		        (unsigned)ls->cfg->port, full);
		return TERN_EDENIED;
	}
	c = tern_calloc(1, sizeof(*c));
	if (c == NULL) {
		close(fd);
		return TERN_ENOMEM;
	}
	conn_init(&c->conn, fd, client_on_event);
	conn_peer_record(&c->conn);
	c->listener = listener;
	c->accepted_ms = w->now_ms;
	c->last_rx_ms = w->now_ms;
	c->state = CS_NEW;
	c->pending = true;
	atomic_fetch_add(&ls->count, 1);
	atomic_fetch_add(&w->srv->n_conns, 1);
	atomic_fetch_add(&w->srv->n_pending, 1);
	client_adopt(w, c);
	log_msg(LOG_INFO, "new connection from %s on port %u",
	        conn_peer_name(&c->conn).s, (unsigned)ls->cfg->port);
	return 0;
}

static void
on_accept(struct loop_watch *watch, uint32_t events)
{
	struct worker_listen *wl = (struct worker_listen *)(void *)watch;
	struct worker *w = wl->w;

	(void)events;
	/* A budget per event keeps one busy listener from starving the
	 * connections already open on this worker. */
	for (int i = 0; i < 64; i++) {
		int fd = listener_accept(watch->fd);

		if (fd < 0) {
			if (fd != TERN_EAGAIN) {
				pause_accepting(w);
			}
			return;
		}
		/* (void): a refused connection is closed and logged there. */
		(void)worker_accept_fd(w, fd, wl->listener);
	}
}

int
worker_listen(struct worker *w, char *err, size_t errlen)
{
	struct server *srv = w->srv;

	w->lw = tern_calloc(srv->n_listeners * LISTENER_MAX_FDS,
	                    sizeof(*w->lw));
	if (w->lw == NULL) {
		snprintf(err, errlen, "out of memory");
		return TERN_ENOMEM;
	}
	for (size_t i = 0; i < srv->n_listeners; i++) {
		const struct config_listener *cl = srv->listeners[i].cfg;
		int fds[LISTENER_MAX_FDS];
		size_t n = 0;

		if (listener_open(cl->bind_address, cl->port, fds, &n, err,
		                  errlen) != 0) {
			return TERN_EIO;
		}
		for (size_t k = 0; k < n; k++) {
			struct worker_listen *wl = &w->lw[w->n_lw++];
			wl->watch.fd = fds[k];
			wl->watch.fn = on_accept;
			wl->w = w;
			wl->listener = (uint8_t)i;
			if (loop_add(&w->loop, &wl->watch, EPOLLIN) != 0) {
				snprintf(err, errlen, "epoll_ctl failed");
				return TERN_EIO;
			}
		}
	}
	return 0;
}

int
worker_init(struct worker *w, struct server *srv, unsigned idx, char *err,
            size_t errlen)
{
	w->srv = srv;
	w->idx = idx;
	mpsc_init(&w->inbox);
	atomic_init(&w->sleeping, 0);
	list_init(&w->clients);
	list_init(&w->pending_write);
	list_init(&w->closing);
	list_init(&w->throttled);
	list_init(&w->busy);
	w->free_slot = UINT32_MAX;
	pool_init(&w->msg_pool, MSG_POOL_BLOCK, MSG_POOL_KEEP);
	pool_init(&w->batch_pool, sizeof(struct batch), BATCH_POOL_KEEP);
	w->now_ms = srv->clock();
	w->next_tick_ms = w->now_ms + TICK_MS;
	w->next_sys_ms = w->now_ms + 1000u * (uint64_t)srv->cfg->sys_interval;
	w->out = tern_calloc(srv->n_workers, sizeof(*w->out));
	if (w->out == NULL || loop_init(&w->loop) != 0) {
		snprintf(err, errlen, "out of memory or descriptors");
		tern_free(w->out);
		w->out = NULL;
		return TERN_ENOMEM;
	}
	return 0;
}

/* Back to the worker that made it, so that no worker frees into another's
 * malloc arena. */
static void
free_batch(struct worker *w, struct batch *b)
{
	for (uint32_t i = 0; i < b->n; i++) {
		msg_unref(b->d[i].m);
	}
	pool_release(b->home, &w->batch_pool, b);
}

static void
free_inbox_item(struct worker *w, struct inbox_item *it)
{
	if (it->kind == INBOX_BATCH) {
		free_batch(w, (struct batch *)(void *)it);
	} else {
		struct client *c = LIST_ENTRY(it, struct client, item);
		close(c->conn.watch.fd);
		conn_fini(&c->conn);
		msg_unref(c->will);
		client_release_counts(c);
		tern_free(c);
	}
}

/* Frees everything the worker still holds. Runs after every worker has
 * stopped, so inboxes are final. */
void
worker_fini(struct worker *w)
{
	struct list *pos, *tmp;
	struct mpsc_node *n;

	list_for_each_safe (pos, tmp, &w->clients) {
		struct client *c = LIST_ENTRY(pos, struct client, link);
		c->graceful = true; /* shutting down is not a client failure */
		client_finish_close(c);
	}
	while ((n = mpsc_pop(&w->inbox)) != NULL) {
		free_inbox_item(w, (struct inbox_item *)(void *)n);
	}
	for (unsigned i = 0; w->out != NULL && i < w->srv->n_workers; i++) {
		if (w->out[i] != NULL) {
			free_batch(w, w->out[i]);
		}
	}
	for (uint32_t i = 0; i < w->n_slots; i++) {
		if (w->slots[i].s != NULL) {
			session_destroy(w, w->slots[i].s, false);
		}
	}
	for (size_t i = 0; i < w->n_lw; i++) {
		close(w->lw[i].watch.fd);
	}
	tern_free(w->lw);
	tern_free(w->slots);
	tern_free(w->matches);
	tern_free(w->seen);
	tern_free(w->out);
	flow_fini(w);
	loop_fini(&w->loop);
}

void
worker_fini_pools(struct worker *w)
{
	pool_fini(&w->msg_pool);
	pool_fini(&w->batch_pool);
}

void
worker_push(struct worker *from, struct worker *to, struct inbox_item *item)
{
	(void)from;
	mpsc_push(&to->inbox, &item->node);
	/* seq_cst load after the seq_cst exchange in mpsc_push(): pairs with
	 * the sleeper's seq_cst store of `sleeping` before it checks the
	 * inbox. In the single total order either the sleeper sees our push
	 * or we see it sleeping and wake it. */
	if (atomic_load(&to->sleeping)) {
		loop_wake(&to->loop);
	}
}

void
worker_queue_delivery(struct worker *w, uint32_t dest, const struct delivery *d)
{
	struct batch *b = w->out[dest];

	if (b == NULL) {
		b = pool_get(&w->batch_pool);
		if (b == NULL) {
			msg_unref(d->m);
			count_drop(w, 1);
			return;
		}
		b->item.kind = INBOX_BATCH;
		b->home = &w->batch_pool;
		b->n = 0;
		w->out[dest] = b;
	}
	b->d[b->n++] = *d;
	if (b->n == BATCH_MAX) {
		atomic_fetch_add_explicit(&w->srv->workers[dest]->inbox_pending,
		                          (long)b->n, memory_order_relaxed);
		w->out[dest] = NULL;
		worker_push(w, w->srv->workers[dest], &b->item);
	}
}

static void
push_batches(struct worker *w)
{
	for (unsigned i = 0; i < w->srv->n_workers; i++) {
		struct batch *b = w->out[i];
		if (b != NULL) {
			w->out[i] = NULL;
			atomic_fetch_add_explicit(
			        &w->srv->workers[i]->inbox_pending, (long)b->n,
			        memory_order_relaxed);
			worker_push(w, w->srv->workers[i], &b->item);
		}
	}
}

static void
drain_inbox(struct worker *w)
{
	struct mpsc_node *n;

	while ((n = mpsc_pop(&w->inbox)) != NULL) {
		struct inbox_item *it = (struct inbox_item *)(void *)n;

		if (it->kind == INBOX_BATCH) {
			struct batch *b = (struct batch *)(void *)it;
			for (uint32_t i = 0; i < b->n; i++) {
				deliver_local(w, &b->d[i]);
			}
			atomic_fetch_sub_explicit(&w->inbox_pending, (long)b->n,
			                          memory_order_relaxed);
			pool_release(b->home, &w->batch_pool, b);
		} else {
			struct client *c = LIST_ENTRY(it, struct client, item);
			client_adopt(w, c);
			client_process_input(c);
		}
	}
}

void
client_want_write(struct client *c)
{
	if (!list_linked(&c->wlink) && c->state != CS_CLOSING) {
		list_insert_tail(&c->w->pending_write, &c->wlink);
	}
}

void
client_close(struct client *c, const char *why)
{
	if (c->state == CS_CLOSING || c->state == CS_MIGRATING) {
		return;
	}
	c->state = CS_CLOSING;
	if (c->why == NULL) {
		c->why = why;
	}
	if (list_linked(&c->wlink)) {
		list_del(&c->wlink);
	}
	list_insert_tail(&c->w->closing, &c->wlink);
}

static void
flush_one(struct client *c)
{
	uint64_t before = c->conn.bytes_out;
	int err = conn_flush(&c->conn);
	uint32_t want = 0;

	atomic_fetch_add_explicit(&c->w->stats.bytes_sent,
	                          c->conn.bytes_out - before,
	                          memory_order_relaxed);
	/* A client that does not read what it asked for (acks, PINGRESP)
	 * is not read from either until its output drains: its requests
	 * stay in the kernel's buffers, not in ours. */
	if (c->conn.out_bytes < CLIENT_OUT_HIGH && !c->throttled) {
		want |= EPOLLIN;
	}
	/* Output leaving counts as progress only while nothing awaits an
	 * acknowledgement: a QoS 1/2 subscriber progresses by acking. */
	if (c->conn.bytes_out != before &&
	    (c->session == NULL || c->session->n_inflight == 0)) {
		flow_progress(c);
	}
	if (err == TERN_EAGAIN) {
		want |= EPOLLOUT;
	} else if (err != 0) {
		client_close(c, "write failed");
		return;
	}
	if (loop_mod(&c->w->loop, &c->conn.watch, want) != 0) {
		client_close(c, "epoll_ctl failed");
		return;
	}
	c->out_armed = (want & EPOLLOUT) != 0;
	/* Room again: let waiting messages out. */
	if (err == 0 && c->session != NULL && c->session->n_queued != 0) {
		session_pump(c->w, c->session);
	}
}

static void
flush_pending(struct worker *w)
{
	/* session_pump() may queue more output and re-link the client, so
	 * loop until the list stays empty (bounded: a client re-links only
	 * when the kernel took everything it had). */
	for (int round = 0; round < 4 && !list_empty(&w->pending_write);
	     round++) {
		struct list todo;
		struct list *pos;

		/* Move the whole list aside so re-links go to a fresh one. */
		list_take_all(&todo, &w->pending_write);
		while ((pos = list_first(&todo)) != NULL) {
			struct client *c =
			        LIST_ENTRY(pos, struct client, wlink);
			list_del(pos);
			flush_one(c);
		}
	}
}

void
client_migrate(struct client *c, uint32_t dest)
{
	c->state = CS_MIGRATING;
	c->migrate_to = dest;
	c->hops++;
	if (list_linked(&c->wlink)) {
		list_del(&c->wlink);
	}
	list_insert_tail(&c->w->closing, &c->wlink);
}

static void
migrate(struct worker *w, struct client *c)
{
	struct worker *to = w->srv->workers[c->migrate_to];

	loop_del(&w->loop, &c->conn.watch);
	list_del(&c->link);
	c->state = CS_NEW;
	c->item.kind = INBOX_CLIENT;
	worker_push(w, to, &c->item);
}

static void
process_closing(struct worker *w)
{
	struct list *pos;

	while ((pos = list_first(&w->closing)) != NULL) {
		struct client *c = LIST_ENTRY(pos, struct client, wlink);

		list_del(pos);
		if (c->state == CS_MIGRATING) {
			migrate(w, c);
		} else {
			client_finish_close(c);
		}
	}
}

static void
tick(struct worker *w)
{
	const struct config *cfg = w->srv->cfg;
	struct list *pos;
	uint64_t connect_ms = 1000u * (uint64_t)cfg->connect_timeout;

	list_for_each (pos, &w->clients) {
		struct client *c = LIST_ENTRY(pos, struct client, link);
		uint64_t idle = w->now_ms - c->last_rx_ms;

		conn_trim(&c->conn);
		if (c->state == CS_NEW && connect_ms != 0 &&
		    w->now_ms - c->accepted_ms >= connect_ms) {
			client_close(c, "no CONNECT in time");
		} else if (c->state == CS_ACTIVE && c->keepalive != 0 &&
		           idle * 2 >= 3000u * (uint64_t)c->keepalive) {
			/* [MQTT-3.1.2-24] 1.5 times the keep-alive. */
			client_close(c, "keep-alive expired");
		}
	}
	session_sweep(w);
}

static int
next_timeout(const struct worker *w)
{
	uint64_t next = w->next_tick_ms;

	if (w->idx == 0 && w->srv->cfg->sys_interval > 0 &&
	    w->next_sys_ms < next) {
		next = w->next_sys_ms;
	}
	return flow_timeout(w, next > w->now_ms ? (int)(next - w->now_ms) : 0);
}

static void
housekeeping(struct worker *w)
{
	if (w->now_ms >= w->next_tick_ms) {
		w->next_tick_ms = w->now_ms + TICK_MS;
		tick(w);
		resume_accepting(w);
		pool_trim(&w->msg_pool);
		pool_trim(&w->batch_pool);
	}
	if (w->idx == 0 && w->srv->cfg->sys_interval > 0 &&
	    w->now_ms >= w->next_sys_ms) {
		w->next_sys_ms =
		        w->now_ms + 1000u * (uint64_t)w->srv->cfg->sys_interval;
		sys_publish(w);
	}
}

int
worker_turn(struct worker *w, int max_wait_ms)
{
	struct router *r = w->srv->router;
	int timeout = next_timeout(w);
	int n;

	if (max_wait_ms >= 0 && max_wait_ms < timeout) {
		timeout = max_wait_ms;
	}
	/* seq_cst: pairs with the load in worker_push(). */
	atomic_store(&w->sleeping, 1);
	if (!mpsc_empty(&w->inbox)) {
		timeout = 0;
	}
	router_offline(r, w->idx);
	n = loop_poll(&w->loop, timeout);
	router_online(r, w->idx);
	atomic_store_explicit(&w->sleeping, 0, memory_order_relaxed);
	w->now_ms = w->srv->clock();
	loop_dispatch(&w->loop);
	drain_inbox(w);
	flow_release(w);
	flow_expire(w);
	housekeeping(w);
	/* Before sleeping: batches out first, then our own writes. */
	push_batches(w);
	flush_pending(w);
	process_closing(w);
	push_batches(w);
	flush_pending(w);
	router_quiescent(r, w->idx);
	return n;
}

void *
worker_main(void *arg)
{
	struct worker *w = arg;

	msg_pool_attach(&w->msg_pool);
	router_online(w->srv->router, w->idx);
	while (!atomic_load_explicit(&w->srv->stopping, memory_order_acquire)) {
		(void)worker_turn(w, -1); /* the count is for tests */
	}
	push_batches(w);
	router_offline(w->srv->router, w->idx);
	return NULL;
}
