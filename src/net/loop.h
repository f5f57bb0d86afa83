/*
 * loop.h - one epoll event loop per worker thread.
 *
 * A watch couples a file descriptor with a callback. The loop also owns an
 * eventfd so other threads can wake it (loop_wake) without a lock.
 * Thread: everything but loop_wake() belongs to the loop's own thread.
 */
#ifndef TERN_NET_LOOP_H
#define TERN_NET_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct epoll_event;

struct loop_watch;
typedef void loop_fn(struct loop_watch *w, uint32_t events);

struct loop_watch {
	int fd;
	uint32_t events; /* EPOLLIN / EPOLLOUT currently armed */
	loop_fn *fn;
};

#define LOOP_BATCH 256

struct loop {
	int epfd;
	int wakefd;
	struct loop_watch wake;
	int n_ready;
	struct epoll_event *ready; /* LOOP_BATCH entries */
};

/* loop_init() - 0, or TERN_EIO with nothing left open. */
int loop_init(struct loop *l);
/* loop_fini() - closes the epoll and wake descriptors. */
void loop_fini(struct loop *l);

/* loop_add() / loop_mod() / loop_del() - watch @w->fd for @events. */
int loop_add(struct loop *l, struct loop_watch *w, uint32_t events);
int loop_mod(struct loop *l, struct loop_watch *w, uint32_t events);
void loop_del(struct loop *l, struct loop_watch *w);

/*
 * loop_poll() - wait up to @timeout_ms (-1 forever) for ready watches and
 * remember them; returns how many. Waiting and dispatching are separate so
 * the worker can go offline (QSBR) only around the wait.
 */
int loop_poll(struct loop *l, int timeout_ms);

/* loop_dispatch() - call the callbacks of the watches loop_poll() found. */
void loop_dispatch(struct loop *l);

/* loop_wake() - make a loop_run_once() in progress return. Thread: any. */
void loop_wake(struct loop *l);

#endif
