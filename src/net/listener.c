/*
 * listener.c - bind/listen with SO_REUSEPORT, accept with TCP_NODELAY.
 */
#include "listener.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../base/err.h"

static int
probe_one(const struct addrinfo *ai, char *err, size_t errlen)
{
	int one = 1, rc = 0;
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
	                ai->ai_protocol);

	if (fd < 0) {
		return 0; /* an unavailable family is reported by bind later */
	}
	/* (void): only the address-in-use answer matters here. */
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (ai->ai_family == AF_INET6) {
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
		                 sizeof one);
	}
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno == EADDRINUSE) {
		snprintf(err, errlen, "bind: %s", strerror(EADDRINUSE));
		rc = TERN_EIO;
	}
	close(fd);
	return rc;
}

int
listener_probe(const char *addr, uint16_t port, char *err, size_t errlen)
{
	struct addrinfo hints, *res = NULL, *ai;
	char portstr[8];
	int rc = 0;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(portstr, sizeof portstr, "%u", (unsigned)port);
	if (getaddrinfo(addr, portstr, &hints, &res) != 0) {
		return 0; /* listener_open() reports resolution errors */
	}
	for (ai = res; ai != NULL && rc == 0; ai = ai->ai_next) {
		rc = probe_one(ai, err, errlen);
	}
	freeaddrinfo(res);
	return rc;
}

static int
open_one(const struct addrinfo *ai, char *err, size_t errlen)
{
	int one = 1;
	int fd = socket(ai->ai_family,
	                ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
	                ai->ai_protocol);
	int e;

	if (fd < 0) {
		e = errno;
		snprintf(err, errlen, "socket: %s", strerror(e));
		return TERN_EIO;
	}
	/* (void): these options only tune behaviour; bind reports real
	 * failures. */
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
	if (ai->ai_family == AF_INET6) {
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
		                 sizeof one);
	}
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
	    listen(fd, 1024) != 0) {
		e = errno;
		snprintf(err, errlen, "bind: %s", strerror(e));
		close(fd);
		return TERN_EIO;
	}
	return fd;
}

int
listener_open(const char *addr, uint16_t port, int *fds, size_t *n, char *err,
              size_t errlen)
{
	struct addrinfo hints, *res = NULL, *ai;
	char portstr[8];
	int rc;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(portstr, sizeof portstr, "%u", (unsigned)port);
	rc = getaddrinfo(addr, portstr, &hints, &res);
	if (rc != 0) {
		snprintf(err, errlen, "%s: %s", addr ? addr : "*",
		         gai_strerror(rc));
		return TERN_EIO;
	}
	*n = 0;
	for (ai = res; ai != NULL && *n < LISTENER_MAX_FDS; ai = ai->ai_next) {
		int fd = open_one(ai, err, errlen);
		if (fd < 0) {
			/* An address family the host lacks (no IPv6) is not
			 * fatal as long as one socket opens. */
			if (addr == NULL && ai->ai_family == AF_INET6) {
				continue;
			}
			goto fail;
		}
		fds[(*n)++] = fd;
	}
	freeaddrinfo(res);
	if (*n == 0) {
		snprintf(err, errlen, "no usable address");
		return TERN_EIO;
	}
	return 0;
fail:
	freeaddrinfo(res);
	while (*n > 0) {
		close(fds[--*n]);
	}
	return TERN_EIO;
}

int
listener_accept(int lfd)
{
	int one = 1;
	int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0) {
		int e = errno;
		if (e == EAGAIN || e == EWOULDBLOCK || e == EINTR ||
		    e == ECONNABORTED) {
			return TERN_EAGAIN;
		}
		return TERN_EIO;
	}
	/* (void): Nagle off is an optimisation; the socket works without. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return fd;
}
