/*
 * tern_format.c - printing received messages as mosquitto_sub does:
 * payload only, "topic payload" (-v), or the -F format with its % codes
 * (with 0 and - flags, field width and maximum width), @ time codes
 * (strftime, @N for nanoseconds) and \ escapes; %j / %J print JSON.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tern_cli.h"

/* One % code as written: flags, width, precision. */
struct spec {
	bool zero;
	bool left;
	int width;
	int prec; /* -1: none */
};

static void
put_num(const struct spec *s, long long v)
{
	if (s->left) {
		printf("%-*lld", s->width, v);
	} else if (s->zero) {
		printf("%0*lld", s->width, v);
	} else {
		printf("%*lld", s->width, v);
	}
}

static void
put_str(const struct spec *s, const char *p, size_t len)
{
	int n = len > 0x7fffffff ? 0x7fffffff : (int)len;

	if (s->prec >= 0 && s->prec < n) {
		n = s->prec;
	}
	printf(s->left ? "%-*.*s" : "%*.*s", s->width, n, p);
}

static void
put_hex(const struct tern_message *m, bool upper)
{
	const unsigned char *p = m->payload;

	for (size_t i = 0; i < m->payload_len; i++) {
		printf(upper ? "%02X" : "%02x", p[i]);
	}
}

static const struct tern_prop *
prop(const struct tern_message *m, uint8_t id)
{
	return tern_props_find(&m->props, id, NULL);
}

static void
put_prop_num(const struct spec *s, const struct tern_message *m, uint8_t id)
{
	const struct tern_prop *p = prop(m, id);

	if (p != NULL) {
		put_num(s, p->num);
	}
}

static void
put_prop_str(const struct spec *s, const struct tern_message *m, uint8_t id)
{
	const struct tern_prop *p = prop(m, id);

	if (p != NULL) {
		put_str(s, p->str, p->str_len);
	}
}

static void
put_user_props(const struct tern_message *m)
{
	const struct tern_prop *p;
	size_t pos = 0;
	bool first = true;

	while ((p = tern_props_find(&m->props, TERN_PROP_USER_PROPERTY,
	                            &pos)) != NULL) {
		printf("%s%.*s:%.*s", first ? "" : " ", (int)p->str_len, p->str,
		       (int)p->val_len, p->val);
		first = false;
	}
}

static void
put_time(const char *fmt, const struct timespec *ts, bool utc)
{
	char buf[128];
	struct tm tm;

	if ((utc ? gmtime_r(&ts->tv_sec, &tm)
	         : localtime_r(&ts->tv_sec, &tm)) == NULL) {
		return;
	}
	/* The @ codes of -F pass one conversion to strftime by design. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	if (strftime(buf, sizeof buf, fmt, &tm) > 0) {
		fputs(buf, stdout);
	}
#pragma GCC diagnostic pop
}

/* JSON ---------------------------------------------------------------- */

static void
json_str(const char *p, size_t len)
{
	putchar('"');
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)p[i];

		if (ch == '"' || ch == '\\') {
			printf("\\%c", ch);
		} else if (ch == '\n') {
			fputs("\\n", stdout);
		} else if (ch == '\t') {
			fputs("\\t", stdout);
		} else if (ch == '\r') {
			fputs("\\r", stdout);
		} else if (ch < 0x20) {
			printf("\\u%04x", ch);
		} else {
			putchar(ch);
		}
	}
	putchar('"');
}

/* json_sep() - between members: "," (and, pretty, a newline + indent). */
static void
json_key(bool pretty, int depth, bool *first, const char *key)
{
	if (!*first) {
		putchar(',');
	}
	*first = false;
	if (pretty) {
		putchar('\n');
		for (int i = 0; i < depth; i++) {
			putchar('\t');
		}
	}
	printf(pretty ? "\"%s\":\t" : "\"%s\":", key);
}

static void
json_close(bool pretty, int depth)
{
	if (pretty) {
		putchar('\n');
		for (int i = 0; i < depth; i++) {
			putchar('\t');
		}
	}
	putchar('}');
}

static void
json_user_props(const struct tern_message *m, bool pretty, bool *first)
{
	const struct tern_prop *p;
	size_t pos = 0;
	bool f2 = true;

	if (prop(m, TERN_PROP_USER_PROPERTY) == NULL) {
		return;
	}
	json_key(pretty, 2, first, "user-properties");
	putchar('{');
	while ((p = tern_props_find(&m->props, TERN_PROP_USER_PROPERTY,
	                            &pos)) != NULL) {
		if (!f2) {
			putchar(',');
		}
		f2 = false;
		if (pretty) {
			fputs("\n\t\t\t", stdout);
		}
		json_str(p->str, p->str_len);
		putchar(':');
		if (pretty) {
			putchar('\t');
		}
		json_str(p->val, p->val_len);
	}
	json_close(pretty, 2);
}

static void
json_props(const struct tern_message *m, bool pretty)
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

	putchar('{');
	json_user_props(m, pretty, &first);
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
		const struct tern_prop *p = prop(m, order[i].id);

		if (p == NULL) {
			continue;
		}
		json_key(pretty, 2, &first, order[i].key);
		if (order[i].str) {
			json_str(p->str, p->str_len);
		} else {
			printf("%u", p->num);
		}
	}
	json_close(pretty, 1);
}

static void
json_message(const struct tern_message *m, const struct timespec *ts, bool raw,
             bool pretty)
{
	bool first = true;

	putchar('{');
	json_key(pretty, 1, &first, "tst");
	putchar('"');
	put_time("%Y-%m-%dT%H:%M:%S", ts, true);
	printf(".%06ldZ", ts->tv_nsec / 1000);
	put_time("%z", ts, true);
	putchar('"');
	json_key(pretty, 1, &first, "topic");
	json_str(m->topic, m->topic_len);
	json_key(pretty, 1, &first, "qos");
	printf("%u", m->qos);
	json_key(pretty, 1, &first, "retain");
	printf("%d", m->retain);
	json_key(pretty, 1, &first, "payloadlen");
	printf("%zu", m->payload_len);
	if (m->props.n > 0) {
		json_key(pretty, 1, &first, "properties");
		json_props(m, pretty);
	}
	json_key(pretty, 1, &first, "payload");
	if (m->payload_len == 0) {
		fputs("null", stdout);
	} else if (raw) {
		fwrite(m->payload, 1, m->payload_len, stdout);
	} else {
		json_str(m->payload, m->payload_len);
	}
	json_close(pretty, 0);
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

/* percent() - one % code; false if @c is not one. */
static bool
percent(const struct cli_opts *o, const struct tern_message *m,
        const struct timespec *ts, const struct spec *s, char c)
{
	switch (c) {
	case '%':
		putchar('%');
		break;
	case 'A':
		put_prop_num(s, m, TERN_PROP_TOPIC_ALIAS);
		break;
	case 'C':
		put_prop_str(s, m, TERN_PROP_CONTENT_TYPE);
		break;
	case 'D':
		put_prop_str(s, m, TERN_PROP_CORRELATION_DATA);
		break;
	case 'E':
		put_prop_num(s, m, TERN_PROP_MESSAGE_EXPIRY);
		break;
	case 'F':
		put_prop_num(s, m, TERN_PROP_PAYLOAD_FORMAT);
		break;
	case 'I':
		put_time("%Y-%m-%dT%H:%M:%S%z", ts, false);
		break;
	case 'j':
		json_message(m, ts, false, o->pretty);
		break;
	case 'J':
		json_message(m, ts, true, o->pretty);
		break;
	case 'l':
		put_num(s, (long long)m->payload_len);
		break;
	case 'm':
		put_num(s, m->mid);
		break;
	case 'P':
		put_user_props(m);
		break;
	case 'p':
		fwrite(m->payload, 1, m->payload_len, stdout);
		break;
	case 'q':
		put_num(s, m->qos);
		break;
	case 'R':
		put_prop_str(s, m, TERN_PROP_RESPONSE_TOPIC);
		break;
	case 'r':
		put_num(s, m->retain);
		break;
	case 'S':
		put_prop_num(s, m, TERN_PROP_SUBSCRIPTION_ID);
		break;
	case 't':
		put_str(s, m->topic, m->topic_len);
		break;
	case 'U':
		printf("%lld.%09ld", (long long)ts->tv_sec, ts->tv_nsec);
		break;
	case 'x':
		put_hex(m, false);
		break;
	case 'X':
		put_hex(m, true);
		break;
	default:
		return false;
	}
	return true;
}

static bool
escape(char c)
{
	static const char from[] = "\\0aenrtv";
	static const char to[] = {'\\', '\0', '\a', 27, '\n', '\r', '\t', '\v'};
	const char *p = c != '\0' ? strchr(from, c) : NULL;

	if (p == NULL) {
		return false;
	}
	putchar(to[p - from]);
	return true;
}

static void
at_code(char c, const struct timespec *ts)
{
	char fmt[3] = {'%', c, '\0'};

	if (c == '@') {
		putchar('@');
	} else if (c == 'N') {
		printf("%09ld", ts->tv_nsec);
	} else {
		put_time(fmt, ts, false);
	}
}

static int
format_message(const struct cli_opts *o, const struct tern_message *m)
{
	struct timespec ts;
	struct spec s;
	const char *f = o->format;

	(void)clock_gettime(CLOCK_REALTIME, &ts);
	while (*f != '\0') {
		if (*f == '%') {
			f = parse_spec(f + 1, &s);
			if (*f == '\0' || !percent(o, m, &ts, &s, *f)) {
				return -1;
			}
			f++;
		} else if (*f == '@' && f[1] != '\0') {
			at_code(f[1], &ts);
			f += 2;
		} else if (*f == '\\' && escape(f[1])) {
			f += 2;
		} else {
			putchar(*f++);
		}
	}
	return 0;
}

int
cli_print(const struct cli_opts *o, const struct tern_message *m)
{
	if (o->format != NULL) {
		if (format_message(o, m) != 0) {
			return -1;
		}
	} else {
		if (o->verbose) {
			fwrite(m->topic, 1, m->topic_len, stdout);
			putchar(' ');
		}
		if (o->verbose && m->payload_len == 0) {
			fputs("(null)", stdout);
		}
		fwrite(m->payload, 1, m->payload_len, stdout);
	}
	if (!o->no_eol) {
		putchar('\n');
	}
	fflush(stdout);
	return 0;
}
