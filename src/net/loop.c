/*
 * loop.c - epoll loop with an eventfd for cross-thread wake-ups.
 */
#include "loop.h"

#include <errno.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "../base/alloc.h"
#include "../base/err.h"

static void
drain_wake(struct loop_watch *w, uint32_t events)
{
	uint64_t v;

	(void)events;
	/* (void): EAGAIN means another drain got it; nothing to do. */
	(void)!read(w->fd, &v, sizeof v);
}

int
loop_init(struct loop *l)
{
	l->n_ready = 0;
	l->ready = tern_calloc(LOOP_BATCH, sizeof(struct epoll_event));
	if (l->ready == NULL) {
		return TERN_ENOMEM;
	}
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		tern_free(l->ready);
		return TERN_EIO;
	}
	l->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (l->wakefd < 0) {
		close(l->epfd);
		tern_free(l->ready);
		return TERN_EIO;
	}
	l->wake.fd = l->wakefd;
	l->wake.fn = drain_wake;
	if (loop_add(l, &l->wake, EPOLLIN) != 0) {
		close(l->wakefd);
		close(l->epfd);
		tern_free(l->ready);
		return TERN_EIO;
	}
	return 0;
}

void
loop_fini(struct loop *l)
{
	close(l->wakefd);
	close(l->epfd);
	tern_free(l->ready);
	l->ready = NULL;
}

int
loop_add(struct loop *l, struct loop_watch *w, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = w};

	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, w->fd, &ev) != 0) {
		return TERN_EIO;
	}
	w->events = events;
	return 0;
}

int
loop_mod(struct loop *l, struct loop_watch *w, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = w};

	if (w->events == events) {
		return 0;
	}
	if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, w->fd, &ev) != 0) {
		return TERN_EIO;
	}
	w->events = events;
	return 0;
}

void
loop_del(struct loop *l, struct loop_watch *w)
{
	/* (void): the descriptor is about to be closed or handed over; a
	 * failure leaves nothing to undo. */
	(void)epoll_ctl(l->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	w->events = 0;
}

int
loop_poll(struct loop *l, int timeout_ms)
{
	int n = epoll_wait(l->epfd, l->ready, LOOP_BATCH, timeout_ms);

	l->n_ready = n < 0 ? 0 : n; /* n < 0: EINTR */
	return l->n_ready;
}

void
loop_dispatch(struct loop *l)
{
	for (int i = 0; i < l->n_ready; i++) {
		struct loop_watch *w = l->ready[i].data.ptr;
		w->fn(w, l->ready[i].events);
	}
	l->n_ready = 0;
}

void
loop_wake(struct loop *l)
{
	uint64_t one = 1;

	/* (void): EAGAIN means the counter is already non-zero: awake. */
	(void)!write(l->wakefd, &one, sizeof one);
}
