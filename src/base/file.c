/*
 * file.c - read a whole file into a buffer (config, password, ACL files),
 * and say where in it something is wrong.
 */
#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "err.h"

int
file_read_all(const char *path, size_t max, struct buf *b, int *sys)
{
	int fd, err = 0;
	ssize_t n;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*sys = errno;
		return TERN_EIO;
	}
	for (;;) {
		err = buf_reserve(b, 4096);
		if (err != 0) {
			break;
		}
		/* One byte of room always stays for the NUL. */
		n = read(fd, buf_tail(b), buf_room(b) - 1);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			*sys = errno;
			err = n < 0 ? TERN_EIO : 0;
			break;
		}
		b->len += (size_t)n;
		if (b->len > max) {
			err = TERN_ETOOBIG;
			break;
		}
	}
	(void)close(fd); /* read-only: nothing to lose */
	if (err == 0) {
		*buf_tail(b) = '\0';
	}
	return err;
}

int
file_load(const char *path, size_t max, struct buf *b, char *err, size_t errlen)
{
	struct file_pos whole = {path, 0, err, errlen};
	int e, sys = 0;

	e = file_read_all(path, max, b, &sys);
	if (e == 0) {
		return 0;
	}
	(void)file_error(&whole, "%s",
	                 e == TERN_ENOMEM    ? "out of memory"
	                 : e == TERN_ETOOBIG ? "file too large"
	                                     : strerror(sys));
	return e == TERN_ENOMEM ? TERN_ENOMEM : TERN_ECONFIG;
}

int
file_verror(const struct file_pos *at, const char *fmt, va_list ap)
{
	int n;

	if (at->err == NULL || at->errlen == 0) {
		return TERN_ECONFIG;
	}
	if (at->line > 0) {
		n = snprintf(at->err, at->errlen, "%s:%d: ", at->name,
		             at->line);
	} else {
		n = snprintf(at->err, at->errlen, "%s: ", at->name);
	}
	if (n < 0 || (size_t)n >= at->errlen) {
		return TERN_ECONFIG;
	}
	/* A message cut to fit is still the right message. */
	(void)vsnprintf(at->err + n, at->errlen - (size_t)n, fmt, ap);
	return TERN_ECONFIG;
}

int
file_error(const struct file_pos *at, const char *fmt, ...)
{
	va_list ap;
	int err;

	va_start(ap, fmt);
	err = file_verror(at, fmt, ap);
	va_end(ap);
	return err;
}
