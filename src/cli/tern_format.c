/*
 * tern_format.c - printing received messages as mosquitto_sub does:
 * payload only, "topic payload" (-v), or the -F format with its % codes
 * (with 0 and - flags, field width and maximum width), @ time codes
 * (strftime, @N for nanoseconds) and \ escapes; %j / %J print JSON.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tern_cli.h"

/* The text of one message, built in memory and written with one call. */
struct out {
	char *p;
	size_t len;
	size_t cap;
	bool failed; /* out of memory */
};

static bool
out_room(struct out *w, size_t n)
{
	size_t cap = w->cap == 0 ? 256 : w->cap;
	char *p;

	if (w->failed || n > SIZE_MAX / 4 - w->len) {
		w->failed = true;
		return false;
	}
	if (w->len + n <= w->cap) {
		return true;
	}
	while (cap < w->len + n) {
		cap *= 2;
	}
	p = realloc(w->p, cap);
	if (p == NULL) {
		w->failed = true;
		return false;
	}
	w->p = p;
	w->cap = cap;
	return true;
}

static void
out_write(struct out *w, const void *p, size_t n)
{
	if (n > 0 && out_room(w, n)) {
		memcpy(w->p + w->len, p, n);
		w->len += n;
	}
}

static void
out_putc(struct out *w, char ch)
{
	out_write(w, &ch, 1);
}

static void
out_puts(struct out *w, const char *s)
{
	out_write(w, s, strlen(s));
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void
out_printf(struct out *w, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n <= 0 || !out_room(w, (size_t)n + 1)) {
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(w->p + w->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	if (n > 0) {
		w->len += (size_t)n;
	}
}

/* One % code as written: flags, width, precision. */
struct spec {
	bool zero;
	bool left;
	int width;
	int prec; /* -1: none */
};

static void
put_num(struct out *w, const struct spec *s, long long v)
{
	if (s->left) {
		out_printf(w, "%-*lld", s->width, v);
	} else if (s->zero) {
		out_printf(w, "%0*lld", s->width, v);
	} else {
		out_printf(w, "%*lld", s->width, v);
	}
}

static void
put_str(struct out *w, const struct spec *s, const char *p, size_t len)
{
	int n = len > 0x7fffffff ? 0x7fffffff : (int)len;

	if (s->prec >= 0 && s->prec < n) {
		n = s->prec;
	}
	if (s->left) {
		out_printf(w, "%-*.*s", s->width, n, p);
	} else {
		out_printf(w, "%*.*s", s->width, n, p);
	}
}

static void
put_hex(struct out *w, const struct tern_message *m, bool upper)
{
	static const char lower_digits[] = "0123456789abcdef";
	static const char upper_digits[] = "0123456789ABCDEF";
	const char *d = upper ? upper_digits : lower_digits;
	const unsigned char *p = m->payload;

	for (size_t i = 0; i < m->payload_len; i++) {
		out_putc(w, d[p[i] >> 4]);
		out_putc(w, d[p[i] & 15]);
	}
}

static const struct tern_prop *
prop(const struct tern_message *m, uint8_t id)
{
	return tern_props_find(&m->props, id, NULL);
}

static void
put_prop(struct out *w, const struct spec *s, const struct tern_message *m,
         uint8_t id)
{
	const struct tern_prop *p = prop(m, id);

	if (p == NULL) {
		return;
	}
	if (p->str != NULL || p->str_len != 0) {
		put_str(w, s, p->str, p->str_len);
	} else {
		put_num(w, s, p->num);
	}
}

static void
put_user_props(struct out *w, const struct tern_message *m)
{
	const struct tern_prop *p;
	size_t pos = 0;
	bool first = true;

	while ((p = tern_props_find(&m->props, TERN_PROP_USER_PROPERTY,
	                            &pos)) != NULL) {
		if (!first) {
			out_putc(w, ' ');
		}
		out_write(w, p->str, p->str_len);
		out_putc(w, ':');
		out_write(w, p->val, p->val_len);
		first = false;
	}
}

static void
put_time(struct out *w, const char *fmt, const struct timespec *ts, bool utc)
{
	char buf[128];
	struct tm tm;
	size_t n;

	if ((utc ? gmtime_r(&ts->tv_sec, &tm)
	         : localtime_r(&ts->tv_sec, &tm)) == NULL) {
		return;
	}
	/* The @ codes of -F pass one conversion to strftime by design. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	n = strftime(buf, sizeof buf, fmt, &tm);
#pragma GCC diagnostic pop
	out_write(w, buf, n);
}

/* JSON ---------------------------------------------------------------- */

static void
json_str(struct out *w, const char *p, size_t len)
{
	out_putc(w, '"');
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)p[i];

		if (ch == '"' || ch == '\\') {
			out_putc(w, '\\');
			out_putc(w, (char)ch);
		} else if (ch == '\n') {
			out_puts(w, "\\n");
		} else if (ch == '\t') {
			out_puts(w, "\\t");
		} else if (ch == '\r') {
			out_puts(w, "\\r");
		} else if (ch < 0x20) {
			out_printf(w, "\\u%04x", ch);
		} else {
			out_putc(w, (char)ch);
		}
	}
	out_putc(w, '"');
}

/* JSON layout: compact, or with --pretty the tabs and newlines of
 * mosquitto_sub's. */
struct json {
	struct out *w;
	bool pretty;
};

static void
json_indent(const struct json *j, int depth)
{
	if (j->pretty) {
		out_putc(j->w, '\n');
		for (int i = 0; i < depth; i++) {
			out_putc(j->w, '\t');
		}
	}
}

/* json_key() - the separator, then "key": at @depth. */
static void
json_key(const struct json *j, int depth, bool *first, const char *key)
{
	if (!*first) {
		out_putc(j->w, ',');
	}
	*first = false;
	json_indent(j, depth);
	json_str(j->w, key, strlen(key));
	out_puts(j->w, j->pretty ? ":\t" : ":");
}

static void
json_close(const struct json *j, int depth)
{
	json_indent(j, depth);
	out_putc(j->w, '}');
}

static void
json_user_props(const struct json *j, const struct tern_message *m, bool *first)
{
	const struct tern_prop *p;
	size_t pos = 0;
	bool f2 = true;

	if (prop(m, TERN_PROP_USER_PROPERTY) == NULL) {
		return;
	}
	json_key(j, 2, first, "user-properties");
	out_putc(j->w, '{');
	while ((p = tern_props_find(&m->props, TERN_PROP_USER_PROPERTY,
	                            &pos)) != NULL) {
		if (!f2) {
			out_putc(j->w, ',');
		}
		f2 = false;
		json_indent(j, 3);
		json_str(j->w, p->str, p->str_len);
		out_puts(j->w, j->pretty ? ":\t" : ":");
		json_str(j->w, p->val, p->val_len);
	}
	json_close(j, 2);
}

static void
json_props(const struct json *j, const struct tern_message *m)
{
	static const struct {
		uint8_t id;
		bool str;
		const char *key;
	} order[] = {
	        {TERN_PROP_CONTENT_TYPE, true, "content-type"},
	        {TERN_PROP_RESPONSE_TOPIC, true, "response-topic"},
	        {TERN_PROP_CORRELATION_DATA, true, "correlation-data"},
	        {TERN_PROP_PAYLOAD_FORMAT, false, "payload-format-indicator"},
	        {TERN_PROP_MESSAGE_EXPIRY, false, "message-expiry-interval"},
	        {TERN_PROP_TOPIC_ALIAS, false, "topic-alias"},
	        {TERN_PROP_SUBSCRIPTION_ID, false, "subscription-identifier"},
	};
	bool first = true;

	out_putc(j->w, '{');
	json_user_props(j, m, &first);
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
		const struct tern_prop *p = prop(m, order[i].id);

		if (p == NULL) {
			continue;
		}
		json_key(j, 2, &first, order[i].key);
		if (order[i].str) {
			json_str(j->w, p->str, p->str_len);
		} else {
			out_printf(j->w, "%u", p->num);
		}
	}
	json_close(j, 1);
}

static void
json_message(const struct json *j, const struct tern_message *m,
             const struct timespec *ts, bool raw)
{
	bool first = true;

	out_putc(j->w, '{');
	json_key(j, 1, &first, "tst");
	out_putc(j->w, '"');
	put_time(j->w, "%Y-%m-%dT%H:%M:%S", ts, true);
	out_printf(j->w, ".%06ldZ", ts->tv_nsec / 1000);
	put_time(j->w, "%z", ts, true);
	out_putc(j->w, '"');
	json_key(j, 1, &first, "topic");
	json_str(j->w, m->topic, m->topic_len);
	json_key(j, 1, &first, "qos");
	out_printf(j->w, "%u", m->qos);
	json_key(j, 1, &first, "retain");
	out_printf(j->w, "%d", m->retain);
	json_key(j, 1, &first, "payloadlen");
	out_printf(j->w, "%zu", m->payload_len);
	if (m->props.n > 0) {
		json_key(j, 1, &first, "properties");
		json_props(j, m);
	}
	json_key(j, 1, &first, "payload");
	if (m->payload_len == 0) {
		out_puts(j->w, "null");
	} else if (raw) {
		out_write(j->w, m->payload, m->payload_len);
	} else {
		json_str(j->w, m->payload, m->payload_len);
	}
	json_close(j, 0);
}

/* The -F interpreter ---------------------------------------------------- */

/* parse_spec() - flags, width, precision after a '%'; returns the end. */
static const char *
parse_spec(const char *f, struct spec *s)
{
	memset(s, 0, sizeof(*s));
	s->prec = -1;
	for (; *f == '0' || *f == '-'; f++) {
		if (*f == '0') {
			s->zero = true;
		} else {
			s->left = true;
		}
	}
	for (; *f >= '0' && *f <= '9' && s->width < 10000; f++) {
		s->width = s->width * 10 + (*f - '0');
	}
	if (*f == '.') {
		s->prec = 0;
		for (f++; *f >= '0' && *f <= '9' && s->prec < 10000; f++) {
			s->prec = s->prec * 10 + (*f - '0');
		}
	}
	return f;
}

/* The % codes that print a property, and which one. */
static const struct {
	char code;
	uint8_t id;
} prop_codes[] = {
        {'A', TERN_PROP_TOPIC_ALIAS},      {'C', TERN_PROP_CONTENT_TYPE},
        {'D', TERN_PROP_CORRELATION_DATA}, {'E', TERN_PROP_MESSAGE_EXPIRY},
        {'F', TERN_PROP_PAYLOAD_FORMAT},   {'R', TERN_PROP_RESPONSE_TOPIC},
        {'S', TERN_PROP_SUBSCRIPTION_ID},
};

/* What one % code prints; everything needed to print it. */
struct fmt_ctx {
	struct out *w;
	const struct cli_opts *o;
	const struct tern_message *m;
	struct timespec ts;
};

/* percent_message() - the codes about the message itself. */
static bool
percent_message(const struct fmt_ctx *x, const struct spec *s, char c)
{
	const struct tern_message *m = x->m;

	switch (c) {
	case 'l':
		put_num(x->w, s, (long long)m->payload_len);
		return true;
	case 'm':
		put_num(x->w, s, m->mid);
		return true;
	case 'p':
		out_write(x->w, m->payload, m->payload_len);
		return true;
	case 'q':
		put_num(x->w, s, m->qos);
		return true;
	case 'r':
		put_num(x->w, s, m->retain);
		return true;
	case 't':
		put_str(x->w, s, m->topic, m->topic_len);
		return true;
	case 'x':
	case 'X':
		put_hex(x->w, m, c == 'X');
		return true;
	case 'P':
		put_user_props(x->w, m);
		return true;
	default:
		return false;
	}
}

/* percent() - one % code; false if @c is not one. */
static bool
percent(const struct fmt_ctx *x, const struct spec *s, char c)
{
	struct json j = {x->w, x->o->pretty};

	for (size_t i = 0; i < sizeof prop_codes / sizeof prop_codes[0]; i++) {
		if (prop_codes[i].code == c) {
			put_prop(x->w, s, x->m, prop_codes[i].id);
			return true;
		}
	}
	switch (c) {
	case '%':
		out_putc(x->w, '%');
		return true;
	case 'I':
		put_time(x->w, "%Y-%m-%dT%H:%M:%S%z", &x->ts, false);
		return true;
	case 'j':
	case 'J':
		json_message(&j, x->m, &x->ts, c == 'J');
		return true;
	case 'U':
		out_printf(x->w, "%lld.%09ld", (long long)x->ts.tv_sec,
		           x->ts.tv_nsec);
		return true;
	default:
		return percent_message(x, s, c);
	}
}

/* escape() - the character \@c stands for, or -1. */
static int
escape(char c)
{
	static const char from[] = "\\0aenrtv";
	static const char to[] = {'\\', '\0', '\a', 27, '\n', '\r', '\t', '\v'};
	const char *p = c != '\0' ? strchr(from, c) : NULL;

	return p != NULL ? to[p - from] : -1;
}

static void
at_code(struct out *w, char c, const struct timespec *ts)
{
	char fmt[3] = {'%', c, '\0'};

	if (c == '@') {
		out_putc(w, '@');
	} else if (c == 'N') {
		out_printf(w, "%09ld", ts->tv_nsec);
	} else {
		put_time(w, fmt, ts, false);
	}
}

/* run_format() - print with @x, or (x->m NULL) only check the format. */
static int
run_format(const struct fmt_ctx *x, const char *f)
{
	struct spec s;

	while (*f != '\0') {
		if (*f == '%') {
			f = parse_spec(f + 1, &s);
			if (*f == '\0' || !percent(x, &s, *f)) {
				return -1;
			}
			f++;
		} else if (*f == '@' && f[1] != '\0') {
			at_code(x->w, f[1], &x->ts);
			f += 2;
		} else if (*f == '\\' && escape(f[1]) >= 0) {
			out_putc(x->w, (char)escape(f[1]));
			f += 2;
		} else {
			out_putc(x->w, *f++);
		}
	}
	return 0;
}

int
cli_format_check(const char *format)
{
	static const struct tern_message empty = {.topic = "", .payload = ""};
	struct cli_opts o = {0};
	struct out w = {0};
	struct fmt_ctx x = {&w, &o, &empty, {0, 0}};
	int rc = run_format(&x, format);

	free(w.p);
	return rc;
}

/* build() - the text for @m as -v / -N / -F say. */
static int
build(const struct cli_opts *o, const struct tern_message *m, struct out *w)
{
	struct fmt_ctx x = {w, o, m, {0, 0}};

	if (o->format != NULL) {
		/* (void): CLOCK_REALTIME cannot fail on Linux. */
		(void)clock_gettime(CLOCK_REALTIME, &x.ts);
		if (run_format(&x, o->format) != 0) {
			return -1;
		}
	} else {
		if (o->verbose) {
			out_write(w, m->topic, m->topic_len);
			out_putc(w, ' ');
		}
		if (o->verbose && m->payload_len == 0) {
			out_puts(w, "(null)");
		}
		out_write(w, m->payload, m->payload_len);
	}
	if (!o->no_eol) {
		out_putc(w, '\n');
	}
	return w->failed ? -1 : 0;
}

int
cli_print(const struct cli_opts *o, const struct tern_message *m)
{
	struct out w = {0};
	int rc = build(o, m, &w);

	if (rc == 0 && w.len > 0 &&
	    (fwrite(w.p, 1, w.len, stdout) != w.len || fflush(stdout) != 0)) {
		rc = -1;
	}
	free(w.p);
	return rc;
}
