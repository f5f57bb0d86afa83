/*
 * listener.h - listening sockets, one set per worker (SO_REUSEPORT), so the
 * kernel spreads new connections over the workers and no thread hands
 * sockets to another.
 */
#ifndef TERN_NET_LISTENER_H
#define TERN_NET_LISTENER_H

#include <stddef.h>
#include <stdint.h>

#define LISTENER_MAX_FDS 4

/*
 * listener_open() - bind and listen on @addr (NULL: every address, IPv4
 * and IPv6) port @port with SO_REUSEPORT; up to LISTENER_MAX_FDS sockets
 * (one per address family) in @fds, their count in *n. On failure closes
 * what it opened, returns TERN_EIO and writes the reason to @err.
 * Thread: any.
 */
int listener_open(const char *addr, uint16_t port, int *fds, size_t *n,
                  char *err, size_t errlen);

/*
 * listener_probe() - fail with TERN_EIO and a reason in @err if @addr:@port
 * is already bound by anyone: a plain bind (without SO_REUSEPORT) is
 * tried and released. Call it once per listener before the workers open
 * theirs, so a second broker on a busy port fails at start instead of
 * silently sharing the port through SO_REUSEPORT. Thread: any.
 */
int listener_probe(const char *addr, uint16_t port, char *err, size_t errlen);

/*
 * listener_accept() - accept one connection, non-blocking, close-on-exec,
 * TCP_NODELAY. Returns the fd, TERN_EAGAIN when none is waiting, or
 * TERN_EIO (e.g. out of descriptors).
 */
int listener_accept(int lfd);

#endif
