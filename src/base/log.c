/*
 * log.c - levelled logging, one write() per line.
 *
 * The settings are the one piece of process-wide configuration outside
 * struct server: log_setup() writes them before threads start, and they
 * are read-only afterwards.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static struct log_settings settings = {LOG_ERR | LOG_WARN | LOG_NOTICE, 2,
                                       true};

void
log_setup(const struct log_settings *s)
{
	settings = *s;
}

bool
log_enabled(enum log_level level)
{
	return (settings.mask & (unsigned)level) != 0;
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	static _Thread_local char line[1024];
	size_t n = 0;
	int k;
	va_list ap;

	if (!log_enabled(level)) {
		return;
	}
	if (settings.timestamp) {
		k = snprintf(line, sizeof line,
		             "%lld: ", (long long)time(NULL));
		n = k > 0 ? (size_t)k : 0;
	}
	va_start(ap, fmt);
	k = vsnprintf(line + n, sizeof line - n, fmt, ap);
	va_end(ap);
	if (k > 0) {
		n += (size_t)k;
	}
	if (n > sizeof line - 2) {
		n = sizeof line - 2;
	}
	line[n++] = '\n';
	/* (void): nowhere to report a failure to log. */
	(void)!write(settings.fd, line, n);
}
