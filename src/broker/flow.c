/*
 * flow.c - backpressure from subscribers to publishers.
 *
 * A session whose client is connected and keeps taking messages (bytes
 * went out, or acknowledgements came in, within FLOW_PROGRESS_MS) but
 * whose queue has grown past FLOW_BUSY_QUEUED is "busy". Each worker
 * publishes its sessions' busy bits in chunks that never move, so any
 * worker can read the bit of any session by (worker, slot) without a lock.
 * A publisher whose message reached a busy session is throttled: its
 * socket is not read for FLOW_THROTTLE_MS, and TCP's own flow control
 * slows it down. Messages already read are kept, so nothing is lost for
 * want of queue space while the subscriber keeps up at its own pace.
 *
 * Cross-worker deliveries wait in the destination's inbox; a worker with
 * too many waiting counts as busy for everyone publishing to it.
 *
 * A subscriber that has stopped reading makes no progress, so it is never
 * busy: publishers are not slowed for it, its queue fills to its caps and
 * queue_full_action applies (issue: a stuck consumer must not slow others).
 */
#include "broker.h"

#include "../base/alloc.h"

/* Queue length from which a progressing session asks for backpressure
 * (a quarter of max_queued_messages, within these bounds), and stops
 * asking (a quarter of that). */
#define FLOW_BUSY_MIN    16
#define FLOW_BUSY_MAX    256
#define FLOW_PROGRESS_MS 1000
#define FLOW_THROTTLE_MS 2
#define FLOW_INBOX_MAX   65536

int
flow_reserve(struct worker *w, uint32_t n_slots)
{
	uint32_t chunks = (n_slots + FLOW_CHUNK - 1) / FLOW_CHUNK;

	if (chunks > FLOW_MAX_CHUNKS) {
		return TERN_ENOMEM;
	}
	for (uint32_t i = 0; i < chunks; i++) {
		uint8_t *c;

		if (atomic_load_explicit(&w->busy[i], memory_order_relaxed)) {
			continue;
		}
		c = tern_calloc(FLOW_CHUNK, 1);
		if (c == NULL) {
			return TERN_ENOMEM;
		}
		/* Release pairs with the acquire in flow_is_busy(). */
		atomic_store_explicit(&w->busy[i], c, memory_order_release);
	}
	return 0;
}

void
flow_fini(struct worker *w)
{
	for (uint32_t i = 0; i < FLOW_MAX_CHUNKS; i++) {
		tern_free(atomic_load_explicit(&w->busy[i],
		                               memory_order_relaxed));
	}
}

bool
flow_is_busy(const struct server *srv, uint32_t worker, uint32_t slot)
{
	const struct worker *w = srv->workers[worker];
	uint8_t *c;

	if (slot / FLOW_CHUNK >= FLOW_MAX_CHUNKS) {
		return false;
	}
	/* Acquire pairs with the release in flow_reserve(). */
	c = atomic_load_explicit(&w->busy[slot / FLOW_CHUNK],
	                         memory_order_acquire);
	/* Relaxed: a stale bit only delays or hastens one throttle. */
	return c != NULL &&
	       atomic_load_explicit((_Atomic uint8_t *)&c[slot % FLOW_CHUNK],
	                            memory_order_relaxed) != 0;
}

/*
 * Another worker that has more deliveries waiting in its inbox than
 * FLOW_INBOX_MAX is behind: publishers feeding it are throttled too, so
 * cross-worker queues (which no session cap covers) stay bounded.
 */
bool
flow_worker_behind(const struct server *srv, uint32_t worker)
{
	return atomic_load_explicit(&srv->workers[worker]->inbox_pending,
	                            memory_order_relaxed) > FLOW_INBOX_MAX;
}

static void
set_bit(struct worker *w, uint32_t slot, bool busy)
{
	uint8_t *c = atomic_load_explicit(&w->busy[slot / FLOW_CHUNK],
	                                  memory_order_relaxed);

	if (c != NULL) {
		atomic_store_explicit((_Atomic uint8_t *)&c[slot % FLOW_CHUNK],
		                      busy ? 1 : 0, memory_order_relaxed);
	}
}

void
flow_progress(struct client *c)
{
	c->progress_ms = c->w->now_ms;
}

static size_t
busy_mark(const struct worker *w)
{
	long cap = w->srv->cfg->max_queued_messages;
	size_t mark = cap > 0 ? (size_t)cap / 4 : FLOW_BUSY_MAX;

	if (mark < FLOW_BUSY_MIN) {
		return FLOW_BUSY_MIN;
	}
	return mark > FLOW_BUSY_MAX ? FLOW_BUSY_MAX : mark;
}

bool
flow_progressing(const struct worker *w, const struct session *s)
{
	const struct client *c = s->client;

	return c != NULL && c->state == CS_ACTIVE && c->progress_ms != 0 &&
	       w->now_ms - c->progress_ms <= FLOW_PROGRESS_MS;
}

void
flow_update(struct worker *w, struct session *s)
{
	size_t mark = busy_mark(w);
	bool busy = s->busy;

	if (!flow_progressing(w, s)) {
		busy = false;
	} else if (s->n_queued >= mark) {
		busy = true;
	} else if (s->n_queued < mark / 4) {
		busy = false;
	}
	if (busy != s->busy) {
		s->busy = busy;
		set_bit(w, s->slot, busy);
	}
}

void
flow_throttle(struct client *c)
{
	struct worker *w = c->w;

	if (c->throttled || c->state != CS_ACTIVE) {
		return;
	}
	c->throttled = true;
	if (list_empty(&w->throttled)) {
		w->throttle_until_ms = w->now_ms + FLOW_THROTTLE_MS;
	}
	list_insert_tail(&w->throttled, &c->tlink);
	/* flush_one() leaves EPOLLIN off while throttled. */
	client_want_write(c);
}

void
flow_release(struct worker *w)
{
	struct list *pos;

	if (list_empty(&w->throttled) || w->now_ms < w->throttle_until_ms) {
		return;
	}
	while ((pos = list_first(&w->throttled)) != NULL) {
		struct client *c = LIST_ENTRY(pos, struct client, tlink);

		list_del(pos);
		c->throttled = false;
		client_want_write(c);
		client_process_input(c);
	}
}

int
flow_timeout(const struct worker *w, int timeout)
{
	int left;

	if (list_empty(&w->throttled)) {
		return timeout;
	}
	left = w->throttle_until_ms > w->now_ms
	               ? (int)(w->throttle_until_ms - w->now_ms)
	               : 0;
	return timeout < 0 || left < timeout ? left : timeout;
}
