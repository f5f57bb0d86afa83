/*
 * log.h - levelled logging.
 *
 * log_setup() runs once in main() before any thread starts; after that the
 * settings are read-only and log_msg() is safe from any thread (each line
 * is formatted in a per-thread buffer and written with one write()).
 */
#ifndef TERN_BASE_LOG_H
#define TERN_BASE_LOG_H

#include <stdbool.h>

enum log_level {
	LOG_ERR = 1 << 0,
	LOG_WARN = 1 << 1,
	LOG_NOTICE = 1 << 2,
	LOG_INFO = 1 << 3,
	LOG_DEBUG = 1 << 4,
	LOG_ALL = 0x1f
};

struct log_settings {
	unsigned mask;  /* which levels are written */
	int fd;         /* where to (2 = stderr) */
	bool timestamp; /* prefix lines with the Unix time */
};

void log_setup(const struct log_settings *s);
bool log_enabled(enum log_level level);

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
void
log_msg(enum log_level level, const char *fmt, ...);

#endif
