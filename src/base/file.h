/*
 * file.h - reading a whole (configuration-sized) file, and the
 * "FILE:LINE: message" errors of the parsers that read one.
 */
#ifndef TERN_BASE_FILE_H
#define TERN_BASE_FILE_H

#include <stdarg.h>
#include <stddef.h>

#include "buf.h"

#if defined(__GNUC__)
#define FILE_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define FILE_PRINTF(a, b)
#endif

/*
 * Where a parser's messages point (file and line) and where they go. A
 * parser keeps one in its context and moves @line as it reads.
 */
struct file_pos {
	const char *name; /* the file as messages name it */
	int line;         /* 1-based; 0 = the file as a whole */
	char *err;        /* NULL or @errlen bytes for the message */
	size_t errlen;
};

/*
 * file_read_all() - append all of @path to @b, followed by a NUL byte that
 * b->len does not count (so the text may be used as a C string when it
 * holds no NUL of its own). Returns 0; TERN_ETOOBIG past @max bytes;
 * TERN_ENOMEM; or TERN_EIO with the errno in *sys. On failure @b may hold
 * part of the file; the caller frees it either way. Thread: any.
 */
int file_read_all(const char *path, size_t max, struct buf *b, int *sys);

/*
 * file_load() - file_read_all() for a parser that reports errors as
 * strings: on failure it writes "PATH: out of memory", "PATH: file too
 * large" or "PATH: <the system's reason>" into @err (@errlen bytes, may be
 * NULL) and returns TERN_ENOMEM or TERN_ECONFIG. The caller frees @b
 * either way. Thread: any.
 */
int file_load(const char *path, size_t max, struct buf *b, char *err,
              size_t errlen);

/*
 * file_error() - write "NAME:LINE: message" into at->err, or "NAME:
 * message" when at->line is 0, cut to fit at->errlen and always
 * NUL-terminated. Writes nothing when at->err is NULL or at->errlen is 0.
 * Returns TERN_ECONFIG, so a parser may `return file_error(...)`.
 * Thread: any.
 */
FILE_PRINTF(2, 3)
int file_error(const struct file_pos *at, const char *fmt, ...);

/* file_verror() - file_error() with a va_list. */
FILE_PRINTF(2, 0)
int file_verror(const struct file_pos *at, const char *fmt, va_list ap);

#endif
