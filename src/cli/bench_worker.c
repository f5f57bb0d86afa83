/*
 * bench_worker.c - one `tern bench` worker thread: an epoll loop over its
 * share of the clients.
 *
 * A loop turn: wait for events (not at all when the run queue has work),
 * handle reads and writability, act on a phase change, open the next
 * connections the connect rate allows, move due publishers from the timer
 * wheel to the run queue, run the queue (publishers fill their output
 * buffers), then write every client with output once. Every second it
 * also sweeps its clients for keep-alive and connect timeouts.
 *
 * Everything here belongs to the worker's thread; the main thread only
 * reads the counters (relaxed) and writes the wake-up eventfd.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "../base/clock.h"
#include "bench.h"

#define EVENTS      256
#define SWEEP_US    1000000u
#define CONNECT_MAX 256u /* connect() calls per turn */

void
bench_ctr_add(_Atomic uint64_t *ctr, uint64_t n)
{
	/* Single writer: a relaxed load and store suffice; the main thread's
	 * relaxed loads (bench_sum) pair with this store. */
	atomic_store_explicit(
	        ctr, atomic_load_explicit(ctr, memory_order_relaxed) + n,
	        memory_order_relaxed);
}

void
bench_ctr_sub(_Atomic uint64_t *ctr, uint64_t n)
{
	/* As bench_ctr_add(). */
	atomic_store_explicit(
	        ctr, atomic_load_explicit(ctr, memory_order_relaxed) - n,
	        memory_order_relaxed);
}

int
bench_phase(const struct bench *b)
{
	/* Pairs with the store-release in the main thread's set_phase(): the
	 * times and matches written before it are visible after this. */
	return atomic_load_explicit(&b->phase, memory_order_acquire);
}

void
bench_run_add(struct bench_client *c)
{
	if (!c->in_run) {
		c->in_run = true;
		c->next_run = c->w->run;
		c->w->run = c;
	}
}

void
bench_dirty_add(struct bench_client *c)
{
	if (!c->dirty) {
		c->dirty = true;
		c->next_dirty = c->w->dirty;
		c->w->dirty = c;
	}
}

void
bench_timer_add(struct bench_client *c)
{
	struct bench_worker *w = c->w;
	uint64_t ms = c->due / 1000;
	size_t slot;

	if (c->in_timer) {
		return;
	}
	/* Past: the next slot to expire. Beyond the wheel: its last slot,
	 * and the expiry looks again. */
	if (ms < w->wheel_ms) {
		ms = w->wheel_ms;
	} else if (ms >= w->wheel_ms + BENCH_WHEEL) {
		ms = w->wheel_ms + BENCH_WHEEL - 1;
	}
	slot = (size_t)(ms % BENCH_WHEEL);
	c->in_timer = true;
	c->next_timer = w->wheel[slot];
	w->wheel[slot] = c;
	w->n_timers++;
}

bool
bench_epoll_set(struct bench_client *c, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = c};
	int op = c->in_epoll ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;

	if (c->in_epoll && c->events == events) {
		return true;
	}
	if (epoll_ctl(c->w->epfd, op, c->fd, &ev) != 0) {
		return false;
	}
	c->in_epoll = true;
	c->events = events;
	return true;
}

/* Expire the wheel up to now: due clients go to the run queue. */
static void
worker_timers(struct bench_worker *w)
{
	uint64_t now_ms = w->now / 1000;
	unsigned steps = 0;

	while (w->n_timers > 0 && w->wheel_ms <= now_ms &&
	       steps++ < BENCH_WHEEL) {
		size_t slot = (size_t)(w->wheel_ms % BENCH_WHEEL);
		struct bench_client *c = w->wheel[slot];

		w->wheel[slot] = NULL;
		w->wheel_ms++;
		while (c != NULL) {
			struct bench_client *next = c->next_timer;

			c->in_timer = false;
			w->n_timers--;
			if (c->due <= w->now) {
				bench_run_add(c);
			} else {
				bench_timer_add(c);
			}
			c = next;
		}
	}
	if (w->wheel_ms <= now_ms) {
		w->wheel_ms = now_ms + 1; /* every slot was visited */
	}
}

static void
worker_run(struct bench_worker *w)
{
	struct bench_client *c = w->run;

	/* Clients that queue themselves again run in the next turn. */
	w->run = NULL;
	while (c != NULL) {
		struct bench_client *next = c->next_run;

		c->in_run = false;
		bench_client_work(c);
		c = next;
	}
}

static void
worker_flush(struct bench_worker *w)
{
	struct bench_client *c = w->dirty;

	w->dirty = NULL;
	while (c != NULL) {
		struct bench_client *next = c->next_dirty;

		c->dirty = false;
		bench_client_flush(c);
		c = next;
	}
}

/* Open the connections the connect rate allows by now. */
static void
worker_connect(struct bench_worker *w)
{
	const struct bench *b = w->b;
	size_t allowed = w->n_cl;
	unsigned started = 0;

	if (w->connect_rate > 0) {
		double due =
		        (double)(w->now - b->t_begin) / 1e6 * w->connect_rate +
		        1;

		if (due < (double)w->n_cl) {
			allowed = (size_t)due;
		}
	}
	while (w->next_connect < allowed && started++ < CONNECT_MAX) {
		bench_client_connect(w->cl[w->next_connect++]);
	}
}

/* Publishing starts: publishers that made it begin; the rest are done.
 * Connections the connect rate never reached count as failed. */
static void
worker_go(struct bench_worker *w)
{
	while (w->next_connect < w->n_cl) {
		bench_client_fail(w->cl[w->next_connect++],
		                  "not started before the connect deadline");
	}
	for (size_t i = 0; i < w->n_cl; i++) {
		struct bench_client *c = w->cl[i];

		if (c->role != ROLE_PUB) {
			continue;
		}
		if (c->state == ST_READY) {
			bench_client_start(c);
		} else if (!c->done) {
			c->done = true;
			bench_ctr_add(&w->ctr.pubs_done, 1);
		}
	}
}

static void
worker_phase(struct bench_worker *w)
{
	int ph = bench_phase(w->b);

	if (ph == w->phase) {
		return;
	}
	if (w->phase < PH_RUN && (ph == PH_RUN || ph == PH_DRAIN)) {
		w->phase = PH_RUN;
		worker_go(w);
	}
	w->phase = ph;
	if (ph == PH_DRAIN) {
		/* Publishers notice the phase when they next run; those
		 * waiting for nothing else must be told. */
		for (size_t i = 0; i < w->n_cl; i++) {
			if (w->cl[i]->role == ROLE_PUB) {
				bench_run_add(w->cl[i]);
			}
		}
	}
}

static void
worker_sweep(struct bench_worker *w)
{
	if (w->now - w->last_sweep < SWEEP_US) {
		return;
	}
	w->last_sweep = w->now;
	for (size_t i = 0; i < w->n_cl; i++) {
		bench_client_tick(w->cl[i]);
	}
}

static int
worker_timeout(const struct bench_worker *w)
{
	if (w->run != NULL || w->dirty != NULL) {
		return 0;
	}
	if (w->n_timers > 0 ||
	    (w->phase == PH_CONNECT && w->next_connect < w->n_cl)) {
		return 1;
	}
	return 100; /* sweeps; phase changes come through the eventfd */
}

static void
worker_events(struct bench_worker *w, const struct epoll_event *ev, int n)
{
	for (int i = 0; i < n; i++) {
		if (ev[i].data.ptr == NULL) {
			uint64_t v;

			/* (void): EAGAIN only means no wake-up is pending. */
			(void)!read(w->evfd, &v, sizeof v);
			continue;
		}
		bench_client_io(ev[i].data.ptr, ev[i].events);
	}
}

/* The end: every connection says DISCONNECT (once, best effort). */
static void
worker_stop(struct bench_worker *w)
{
	for (size_t i = 0; i < w->n_cl; i++) {
		bench_client_close(w->cl[i], true);
	}
}

void *
bench_worker_main(void *arg)
{
	struct bench_worker *w = arg;
	struct epoll_event ev[EVENTS];

	w->now = clock_mono_us();
	w->wheel_ms = w->now / 1000;
	w->last_sweep = w->now;
	while (w->phase != PH_STOP) {
		int n = epoll_wait(w->epfd, ev, EVENTS, worker_timeout(w));

		w->now = clock_mono_us();
		worker_events(w, ev, n > 0 ? n : 0);
		worker_phase(w);
		if (w->phase == PH_CONNECT) {
			worker_connect(w);
		}
		worker_timers(w);
		worker_run(w);
		worker_flush(w);
		worker_sweep(w);
	}
	worker_stop(w);
	return NULL;
}
