/*
 * flow_test.c - the flow bits one worker publishes and another reads, and
 * the inbox limit that keeps acknowledged QoS 1/2 messages within a busy
 * session's room (flow.c, docs/ARCHITECTURE.md "Backpressure").
 */
#include <stdlib.h>

#include "../base/test.h"
#include "broker.h"

/* Two workers on one server, default caps; the session lives on worker 1
 * and worker 0 reads its bits, as a publisher's worker would. */
struct rig {
	struct config cfg;
	struct server srv;
	struct worker *w[2];
	struct worker *wp[2];
	struct client c;
	struct session s;
};

static struct rig *
rig_new(void)
{
	struct rig *r = calloc(1, sizeof(*r));

	config_init(&r->cfg);
	r->srv.cfg = &r->cfg;
	r->srv.n_workers = 2;
	r->srv.workers = r->wp;
	for (unsigned i = 0; i < 2; i++) {
		r->w[i] = calloc(1, sizeof(*r->w[i]));
		r->w[i]->srv = &r->srv;
		r->w[i]->idx = i;
		r->w[i]->now_ms = 10000;
		r->wp[i] = r->w[i];
		list_init(&r->w[i]->throttled);
		list_init(&r->w[i]->busy);
		(void)flow_reserve(r->w[i], 8);
	}
	r->c.w = r->w[1];
	r->c.state = CS_ACTIVE;
	r->c.session = &r->s;
	r->s.client = &r->c;
	r->s.slot = 5;
	list_init(&r->s.blink);
	return r;
}

static void
rig_free(struct rig *r)
{
	for (unsigned i = 0; i < 2; i++) {
		flow_fini(r->w[i]);
		free(r->w[i]);
	}
	config_fini(&r->cfg);
	free(r);
}

/* The bits of the session as worker 0 sees them after its worker
 * updated them with @queued messages in its queue. */
static uint8_t
seen(struct rig *r, size_t queued)
{
	r->s.n_queued = queued;
	flow_update(r->w[1], &r->s);
	return flow_state(&r->srv, 1, r->s.slot);
}

/* max_queued_messages 1000: busy from 250 (a quarter) while progressing,
 * until the queue is back under 62; never full while busy, below 2,000. */
static void
test_progressing_session_is_busy_with_hysteresis(void)
{
	struct rig *r = rig_new();

	flow_progress(&r->c);
	T_CHECK_INT(seen(r, 249), 0);
	T_CHECK_INT(seen(r, 250), FLOW_BUSY);
	T_CHECK_INT(seen(r, 100), FLOW_BUSY);
	T_CHECK_INT(seen(r, 62), FLOW_BUSY);
	T_CHECK_INT(seen(r, 61), 0);
	T_CHECK_INT(seen(r, 1500), FLOW_BUSY);
	T_CHECK_INT(seen(r, 2000), FLOW_BUSY | FLOW_FULL);
	rig_free(r);
}

/* A subscriber that stopped taking messages is never busy: its queue
 * fills to the cap and then it is full, so publishers' workers drop for
 * it instead of handing messages over. */
static void
test_stuck_session_is_full_never_busy(void)
{
	struct rig *r = rig_new();

	flow_progress(&r->c);
	r->w[1]->now_ms += 1001;
	T_CHECK_INT(seen(r, 500), 0);
	T_CHECK_INT(seen(r, 999), 0);
	T_CHECK_INT(seen(r, 1000), FLOW_FULL);
	/* A trickle leaves its socket: it has room for one more, but it
	 * does not hold anyone until it has caught up. */
	flow_progress(&r->c);
	T_CHECK_INT(seen(r, 999), 0);
	T_CHECK_INT(seen(r, 300), 0);
	T_CHECK_INT(seen(r, 61), 0);
	T_CHECK_INT(seen(r, 250), FLOW_BUSY);
	rig_free(r);
}

/* A subscriber that took everything and then had nothing to take for
 * longer than the progress window (its publishers held elsewhere) is not
 * stuck: a message arriving while it is caught up restarts the window, so
 * the burst that follows makes it busy instead of dropping at its cap. A
 * client with anything outstanding is left as it was. */
static void
test_idle_subscriber_is_not_taken_for_stuck(void)
{
	struct rig *r = rig_new();

	flow_progress(&r->c);
	r->w[1]->now_ms += 5000;
	r->s.n_inflight = 1;
	flow_arrival(&r->c, &r->s);
	T_CHECK_INT(seen(r, 300), 0);
	r->s.n_inflight = 0;
	r->s.n_queued = 0;
	flow_arrival(&r->c, &r->s);
	T_CHECK_INT(seen(r, 300), FLOW_BUSY);
	T_CHECK_INT(seen(r, 1500), FLOW_BUSY);
	rig_free(r);
}

/* The bits of the session after its worker's clock moved @ms on and
 * flow_expire() ran, its client having taken something meanwhile if
 * @took. */
static uint8_t
after(struct rig *r, uint64_t ms, bool took)
{
	r->w[1]->now_ms += ms;
	if (took) {
		flow_progress(&r->c);
	}
	flow_expire(r->w[1]);
	return flow_state(&r->srv, 1, r->s.slot);
}

/* A busy session whose client takes nothing for 200 ms (one that stopped
 * reading once its socket buffers were full) stops holding its
 * publishers and gets its caps, though it progressed a moment ago. */
static void
test_busy_spell_ends_after_200_ms_without_progress(void)
{
	struct rig *r = rig_new();

	flow_progress(&r->c);
	T_CHECK_INT(seen(r, 300), FLOW_BUSY);
	T_CHECK_INT(after(r, 199, false), FLOW_BUSY);
	/* at the worker's next look, at most 50 ms late */
	T_CHECK_INT(after(r, 50, false), 0);
	T_CHECK(list_empty(&r->w[1]->busy));
	T_CHECK_INT(seen(r, 999), 0);
	T_CHECK_INT(seen(r, 1000), FLOW_FULL);
	rig_free(r);
}

/* One that keeps taking messages, but has not caught up after a second
 * (a reader slower than its publishers), does the same. */
static void
test_busy_spell_lasts_at_most_a_second(void)
{
	struct rig *r = rig_new();

	flow_progress(&r->c);
	T_CHECK_INT(seen(r, 300), FLOW_BUSY);
	for (int i = 0; i < 6; i++) {
		T_CHECK_INT(after(r, 150, true), FLOW_BUSY);
	}
	T_CHECK_INT(after(r, 99, true), FLOW_BUSY);
	T_CHECK_INT(after(r, 50, true), 0);
	T_CHECK_INT(seen(r, 1000), FLOW_FULL);
	rig_free(r);
}

/* Without queue caps there is nothing to apply instead of holding the
 * publishers: a spell lasts as long as the session stays busy, and ends
 * only when its client stops progressing for the usual second. */
static void
test_spell_without_caps_has_no_time_limit(void)
{
	struct rig *r = rig_new();

	r->cfg.max_queued_messages = 0;
	flow_progress(&r->c);
	T_CHECK_INT(seen(r, 300), FLOW_BUSY);
	T_CHECK_INT(after(r, 600, true), FLOW_BUSY);
	T_CHECK_INT(after(r, 1000, false), FLOW_BUSY);
	T_CHECK_INT(after(r, 50, false), 0);
	rig_free(r);
}

/* After @ms more, in which the client took something and its session
 * caught up (61 queued), does the session hold its publishers again when
 * its queue passes the mark? */
static bool
holds_again(struct rig *r, uint64_t ms)
{
	r->w[1]->now_ms += ms;
	flow_progress(&r->c);
	(void)seen(r, 61);
	return seen(r, 300) == FLOW_BUSY;
}

/* After a spell that timed out, a session holds no one again until it has
 * caught up and 2 s have passed; each further spell that times out
 * doubles that, and one that ends by catching up starts it over. */
static void
test_stall_cooldown_doubles_until_a_spell_catches_up(void)
{
	struct rig *r = rig_new();

	flow_progress(&r->c);
	T_CHECK_INT(seen(r, 300), FLOW_BUSY);
	T_CHECK_INT(after(r, 200, false), 0);
	T_CHECK(!holds_again(r, 1999));
	T_CHECK(holds_again(r, 1));
	T_CHECK_INT(after(r, 200, false), 0);
	T_CHECK(!holds_again(r, 3999));
	T_CHECK(holds_again(r, 1));
	T_CHECK(holds_again(r, 0)); /* this spell caught up */
	T_CHECK_INT(after(r, 200, false), 0);
	T_CHECK(holds_again(r, 2000));
	rig_free(r);
}

/* While any session is busy its worker wakes every 50 ms to look at it;
 * with none, it sleeps as long as it was going to. */
static void
test_worker_wakes_while_a_session_is_busy(void)
{
	struct rig *r = rig_new();
	struct worker *w = r->w[1];

	T_CHECK_INT(flow_timeout(w, -1), -1);
	T_CHECK_INT(flow_timeout(w, 70), 70);
	flow_progress(&r->c);
	T_CHECK_INT(seen(r, 300), FLOW_BUSY);
	T_CHECK_INT(flow_timeout(w, -1), 50);
	w->now_ms += 30;
	T_CHECK_INT(flow_timeout(w, -1), 20);
	T_CHECK_INT(flow_timeout(w, 10), 10);
	T_CHECK_INT(after(r, 20, true), FLOW_BUSY);
	T_CHECK_INT(flow_timeout(w, -1), 50);
	T_CHECK_INT(seen(r, 61), 0);
	T_CHECK(list_empty(&w->busy));
	T_CHECK_INT(flow_timeout(w, 1000), 1000);
	rig_free(r);
}

/* drop_oldest lets a new message in by dropping a queued QoS 0 one, and
 * an absent client silently skips QoS 0: neither is ever "full". */
static void
test_full_only_under_drop_newest_and_connected(void)
{
	struct rig *r = rig_new();

	r->cfg.queue_full_action = CONFIG_QUEUE_DROP_OLDEST;
	T_CHECK_INT(seen(r, 1000), 0);
	r->cfg.queue_full_action = CONFIG_QUEUE_DROP_NEWEST;
	T_CHECK_INT(seen(r, 1000), FLOW_FULL);
	r->s.client = NULL;
	T_CHECK_INT(seen(r, 1000), 0);
	r->cfg.max_queued_messages = 0;
	r->s.client = &r->c;
	T_CHECK_INT(seen(r, 100000), 0);
	rig_free(r);
}

/* 2 * cap - mark - 2 * (workers - 1) * BATCH_MAX for QoS 1/2 under a cap;
 * the memory bound otherwise. */
static void
test_inbox_limit_keeps_a_busy_session_within_twice_its_cap(void)
{
	struct rig *r = rig_new();

	T_CHECK_INT(flow_inbox_limit(&r->srv, 1), 2000 - 250 - 2 * BATCH_MAX);
	T_CHECK_INT(flow_inbox_limit(&r->srv, 2), 2000 - 250 - 2 * BATCH_MAX);
	T_CHECK_INT(flow_inbox_limit(&r->srv, 0), 65536);
	r->srv.n_workers = 1;
	T_CHECK_INT(flow_inbox_limit(&r->srv, 1), 1750);
	r->cfg.max_queued_messages = 100;
	r->srv.n_workers = 2;
	T_CHECK_INT(flow_inbox_limit(&r->srv, 1), BATCH_MAX);
	r->cfg.max_queued_messages = 0;
	T_CHECK_INT(flow_inbox_limit(&r->srv, 1), 65536);
	r->cfg.max_queued_messages = 1000000;
	T_CHECK_INT(flow_inbox_limit(&r->srv, 1), 65536);
	rig_free(r);
}

static void
test_worker_behind_reads_the_other_workers_inbox(void)
{
	struct rig *r = rig_new();

	atomic_store(&r->w[1]->inbox_pending, 1238);
	T_CHECK(!flow_worker_behind(&r->srv, 1, 1238));
	atomic_store(&r->w[1]->inbox_pending, 1239);
	T_CHECK(flow_worker_behind(&r->srv, 1, 1238));
	T_CHECK(!flow_worker_behind(&r->srv, 1, 65536));
	rig_free(r);
}

T_MAIN(T_CASE(test_progressing_session_is_busy_with_hysteresis),
       T_CASE(test_idle_subscriber_is_not_taken_for_stuck),
       T_CASE(test_stuck_session_is_full_never_busy),
       T_CASE(test_busy_spell_ends_after_200_ms_without_progress),
       T_CASE(test_busy_spell_lasts_at_most_a_second),
       T_CASE(test_spell_without_caps_has_no_time_limit),
       T_CASE(test_stall_cooldown_doubles_until_a_spell_catches_up),
       T_CASE(test_worker_wakes_while_a_session_is_busy),
       T_CASE(test_full_only_under_drop_newest_and_connected),
       T_CASE(test_inbox_limit_keeps_a_busy_session_within_twice_its_cap),
       T_CASE(test_worker_behind_reads_the_other_workers_inbox))
