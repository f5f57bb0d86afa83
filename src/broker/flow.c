/*
 * flow.c - backpressure from subscribers to publishers, and dropping at
 * the publisher's worker what the subscriber's worker would drop anyway.
 *
 * A session whose client is connected and keeps taking messages (bytes
 * went out, or acknowledgements came in, within FLOW_PROGRESS_MS) but
 * whose queue has grown past its busy mark is "busy". A session whose
 * queue is at its cap, so that under queue_full_action drop_newest any
 * new message would be dropped, is "full". Each worker publishes its
 * sessions' flow bits (FLOW_BUSY, FLOW_FULL) in chunks that never move, so
 * any worker can read the bits of any session by (worker, slot) without a
 * lock.
 *
 * A PUBLISH whose matches include a busy session, or a worker with too
 * many deliveries waiting in its inbox, is not taken: it stays in the
 * publisher's input buffer, the publisher is not read for
 * FLOW_THROTTLE_MS, and TCP's own flow control slows it down. Nothing is
 * routed (so nothing acknowledged) past a busy session; what can still
 * reach it is what was already on its way, which the inbox limit bounds
 * (flow_inbox_limit(), and docs/ARCHITECTURE.md "Backpressure").
 *
 * A full session gets nothing handed to it: the publishing worker counts
 * the drop and allocates, queues and wakes nothing for it.
 *
 * A subscriber that has stopped reading makes no progress, so it is never
 * busy: publishers are not slowed for it, its queue fills to its caps and
 * queue_full_action applies (a stuck consumer must not slow others).
 *
 * Bytes leaving for a subscriber that has just stopped reading still look
 * like progress while the kernel's socket buffers fill, and a subscriber
 * that reads, but slowly, does progress. Either would hold every publisher
 * it shares a topic with for as long as it stays busy, so with queue caps
 * a busy spell ends after FLOW_IDLE_MS without progress or FLOW_HOLD_MS in
 * all: a session that has not caught up (back under a quarter of its
 * mark) by then is stalled, and its caps apply instead, for a cooldown
 * that doubles with each spell in a row that timed out.
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
/* The longest a session may hold its publishers in one busy spell, and
 * without taking anything meanwhile. A subscriber that keeps up catches
 * up within a few ms, taking messages all along; one that needs a second
 * is slower than its publishers, and one that takes nothing for 200 ms
 * while they wait for it has stopped reading: each gets its caps rather
 * than setting their pace. */
#define FLOW_HOLD_MS 1000
#define FLOW_IDLE_MS 200
/* How often a worker looks at its busy sessions for the above. */
#define FLOW_CHECK_MS 50
/* Spells in a row that timed out, past which the cooldown stops growing
 * (FLOW_HOLD_MS << 4: 16 s). */
#define FLOW_MAX_STRIKES 4
/* Deliveries waiting in a worker's inbox above which it is behind. */
#define FLOW_INBOX_MAX 65536
/* ... and the least the QoS 1/2 limit derived from the caps goes to. */
#define FLOW_INBOX_MIN BATCH_MAX

int
flow_reserve(struct worker *w, uint32_t n_slots)
{
	uint32_t chunks = (n_slots + FLOW_CHUNK - 1) / FLOW_CHUNK;

	if (chunks > FLOW_MAX_CHUNKS) {
		return TERN_ENOMEM;
	}
	for (uint32_t i = 0; i < chunks; i++) {
		uint8_t *c;

		if (atomic_load_explicit(&w->flow[i], memory_order_relaxed)) {
			continue;
		}
		c = tern_calloc(FLOW_CHUNK, 1);
		if (c == NULL) {
			return TERN_ENOMEM;
		}
		/* Release pairs with the acquire in flow_state(). */
		atomic_store_explicit(&w->flow[i], c, memory_order_release);
	}
	return 0;
}

void
flow_fini(struct worker *w)
{
	for (uint32_t i = 0; i < FLOW_MAX_CHUNKS; i++) {
		tern_free(atomic_load_explicit(&w->flow[i],
		                               memory_order_relaxed));
	}
}

static size_t
busy_mark(const struct config *cfg)
{
	long cap = cfg->max_queued_messages;
	size_t mark = cap > 0 ? (size_t)cap / 4 : FLOW_BUSY_MAX;

	if (mark < FLOW_BUSY_MIN) {
		return FLOW_BUSY_MIN;
	}
	return mark > FLOW_BUSY_MAX ? FLOW_BUSY_MAX : mark;
}

/* Back under a quarter of the mark: what ends a busy spell or a stall. */
static bool
caught_up(const struct config *cfg, const struct session *s)
{
	return s->n_queued < busy_mark(cfg) / 4;
}

/*
 * How many deliveries may wait in a worker's inbox before publishers of
 * a message of @qos feeding it are held. QoS 0 may be dropped, so only
 * memory matters: FLOW_INBOX_MAX. For QoS 1/2 under max_queued_messages
 * (cap), a busy session may hold 2 * cap; it became busy at its mark, and
 * after that only what was already on its way can reach it: at most this
 * limit, plus up to two batches per other worker (one being filled and
 * one pushed after the last check). So the limit is
 *     2 * cap - mark - 2 * (workers - 1) * BATCH_MAX
 * (1,238 with the defaults and 2 workers), never below FLOW_INBOX_MIN: a
 * cap too small for that has no guarantee. See ARCHITECTURE.md.
 */
long
flow_inbox_limit(const struct server *srv, uint8_t qos)
{
	long cap = srv->cfg->max_queued_messages;
	long limit;

	if (qos == 0 || cap <= 0) {
		return FLOW_INBOX_MAX;
	}
	limit = 2 * cap - (long)busy_mark(srv->cfg) -
	        2 * (long)(srv->n_workers - 1) * BATCH_MAX;
	if (limit > FLOW_INBOX_MAX) {
		return FLOW_INBOX_MAX;
	}
	return limit < FLOW_INBOX_MIN ? FLOW_INBOX_MIN : limit;
}

/*
 * Another worker that has more deliveries waiting in its inbox than
 * @limit (flow_inbox_limit()) is behind: publishers feeding it are held
 * too, so cross-worker queues (which no session cap covers) stay bounded.
 */
bool
flow_worker_behind(const struct server *srv, uint32_t worker, long limit)
{
	return atomic_load_explicit(&srv->workers[worker]->inbox_pending,
	                            memory_order_relaxed) > limit;
}

static void
set_state(struct worker *w, uint32_t slot, uint8_t state)
{
	uint8_t *c = atomic_load_explicit(&w->flow[slot / FLOW_CHUNK],
	                                  memory_order_relaxed);

	if (c != NULL) {
		atomic_store_explicit((_Atomic uint8_t *)&c[slot % FLOW_CHUNK],
		                      state, memory_order_relaxed);
	}
}

void
flow_progress(struct client *c)
{
	c->progress_ms = c->w->now_ms;
}

/*
 * A client with nothing queued, in flight or unsent has taken all it was
 * given, so it counts as progressing from this moment. Without this, a
 * subscriber left idle for FLOW_PROGRESS_MS (its publishers held by
 * another, busy session) would be taken for a stuck one when the burst
 * arrives: its caps would apply and it would lose what was acknowledged.
 */
void
flow_arrival(struct client *c, const struct session *s)
{
	if (s->n_queued == 0 && s->n_inflight == 0 && c->conn.out_bytes == 0) {
		flow_progress(c);
	}
}

bool
flow_progressing(const struct worker *w, const struct session *s)
{
	const struct client *c = s->client;

	return c != NULL && c->state == CS_ACTIVE && c->progress_ms != 0 &&
	       w->now_ms - c->progress_ms <= FLOW_PROGRESS_MS;
}

/* Busy: progressing, and the queue passed the mark (until it falls below
 * a quarter of it). */
static bool
compute_busy(const struct worker *w, const struct session *s)
{
	if (!flow_progressing(w, s)) {
		return false;
	}
	if (s->n_queued >= busy_mark(w->srv->cfg)) {
		return true;
	}
	return s->busy && !caught_up(w->srv->cfg, s);
}

/* Full: connected, drop_newest, and at the message cap that applies to
 * every QoS (twice the cap while busy, see queue_full() in deliver.c),
 * so the session's worker would drop whatever comes. drop_oldest lets a
 * new message in by dropping a queued QoS 0 one, so it is never "full"
 * here; nor is an absent client, which silently skips QoS 0. */
static bool
compute_full(const struct worker *w, const struct session *s, bool busy)
{
	const struct config *cfg = w->srv->cfg;
	size_t cap = cfg->max_queued_messages > 0
	                     ? (size_t)cfg->max_queued_messages
	                     : 0;

	return cap != 0 && s->client != NULL &&
	       cfg->queue_full_action == CONFIG_QUEUE_DROP_NEWEST &&
	       s->n_queued >= (busy ? 2 : 1) * cap;
}

/* Whether busy spells have time limits: only with caps to apply instead,
 * since without any, holding its publishers is all that bounds a
 * session's queue. */
static bool
spells_limited(const struct config *cfg)
{
	return cfg->max_queued_messages > 0 || cfg->max_queued_bytes > 0;
}

static bool
held_too_long(const struct worker *w, const struct session *s)
{
	return s->busy && s->client != NULL && spells_limited(w->srv->cfg) &&
	       (w->now_ms - s->flow_since_ms >= FLOW_HOLD_MS ||
	        w->now_ms - s->client->progress_ms >= FLOW_IDLE_MS);
}

/* The least time a stall lasts: none for a session whose last spell
 * caught up, then twice as long for each spell in a row that timed out. */
static uint64_t
cooldown_ms(const struct session *s)
{
	return s->strikes == 0 ? 0 : (uint64_t)FLOW_HOLD_MS << s->strikes;
}

static void
stall(const struct worker *w, struct session *s)
{
	s->stalled = true;
	s->flow_since_ms = w->now_ms;
}

/*
 * A session that reached its cap without being busy, or whose busy spell
 * ran out of time (held_too_long()), is stalled: it drops by policy and
 * holds no one until its queue is back under a quarter of the mark (so a
 * trickle of bytes leaving its socket, the kernel making a little room,
 * does not make it hold every publisher again) and its cooldown has
 * passed (so a reader that is merely slow, and catches up soon after its
 * caps apply, holds them for ever less of the time). Returns whether it
 * is busy.
 */
static bool
update_stalled(const struct worker *w, struct session *s, bool busy)
{
	long cap = w->srv->cfg->max_queued_messages;

	if (busy && held_too_long(w, s)) {
		if (s->strikes < FLOW_MAX_STRIKES) {
			s->strikes++;
		}
		stall(w, s);
		return false;
	}
	if (!busy && s->busy && caught_up(w->srv->cfg, s)) {
		s->strikes = 0; /* the spell ended by catching up */
	} else if (!busy && !s->stalled && cap > 0 && s->client != NULL &&
	           s->n_queued >= (size_t)cap) {
		stall(w, s);
	}
	return busy;
}

/* Keep w->busy for flow_expire(). */
static void
set_busy(struct worker *w, struct session *s, bool busy)
{
	if (busy) {
		if (list_empty(&w->busy)) {
			w->flow_check_ms = w->now_ms + FLOW_CHECK_MS;
		}
		s->flow_since_ms = w->now_ms;
		list_insert_tail(&w->busy, &s->blink);
	} else {
		list_del(&s->blink);
	}
	s->busy = busy;
}

void
flow_update(struct worker *w, struct session *s)
{
	bool busy, full;

	if (s->stalled && caught_up(w->srv->cfg, s) &&
	    w->now_ms - s->flow_since_ms >= cooldown_ms(s)) {
		s->stalled = false;
	}
	busy = update_stalled(w, s, !s->stalled && compute_busy(w, s));
	full = compute_full(w, s, busy);

	if (busy != s->busy || full != s->full) {
		if (busy != s->busy) {
			set_busy(w, s, busy);
		}
		s->full = full;
		set_state(w, s->slot,
		          (uint8_t)((busy ? FLOW_BUSY : 0) |
		                    (full ? FLOW_FULL : 0)));
	}
}

/*
 * Every FLOW_CHECK_MS, update each busy session: one whose spell ran out
 * of time, or whose client stopped progressing, stops holding its
 * publishers. Nothing else would update it: its publishers are held, so
 * nothing reaches it, and a stuck client makes no event.
 */
void
flow_expire(struct worker *w)
{
	struct list *pos, *next;

	if (list_empty(&w->busy) || w->now_ms < w->flow_check_ms) {
		return;
	}
	w->flow_check_ms = w->now_ms + FLOW_CHECK_MS;
	/* flow_update() may unlink the session at hand, never another. */
	for (pos = w->busy.next; pos != &w->busy; pos = next) {
		next = pos->next;
		flow_update(w, LIST_ENTRY(pos, struct session, blink));
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
	struct list due;
	struct list *pos;

	if (list_empty(&w->throttled) || w->now_ms < w->throttle_until_ms) {
		return;
	}
	/* Those held again while being read go onto a fresh list, for the
	 * next FLOW_THROTTLE_MS. */
	list_take_all(&due, &w->throttled);
	while ((pos = list_first(&due)) != NULL) {
		struct client *c = LIST_ENTRY(pos, struct client, tlink);

		list_del(pos);
		c->throttled = false;
		client_want_write(c);
		client_process_input(c);
	}
}

static int
sooner(const struct worker *w, int timeout, uint64_t at_ms)
{
	int left = at_ms > w->now_ms ? (int)(at_ms - w->now_ms) : 0;

	return timeout < 0 || left < timeout ? left : timeout;
}

int
flow_timeout(const struct worker *w, int timeout)
{
	if (!list_empty(&w->throttled)) {
		timeout = sooner(w, timeout, w->throttle_until_ms);
	}
	if (!list_empty(&w->busy)) {
		timeout = sooner(w, timeout, w->flow_check_ms);
	}
	return timeout;
}
