/*
 * directives.c - the mosquitto.conf directives Tern knows, as one table.
 *
 * Each entry names a directive, the syntax of its value, where it lands in
 * struct config (or in the current struct config_listener), its range, and
 * what Tern does with it: apply it, check and ignore it (documented in
 * docs/COMPATIBILITY.md, with a warning where the difference could
 * surprise), accept only mosquitto's default value, or refuse it as "not
 * supported yet". A directive that is not in the table is an error, so
 * nothing in a file passes unnoticed.
 *
 * Value syntax follows mosquitto: booleans are exactly "true" or "false";
 * numbers are decimal and must be the whole word (mosquitto reads "10kB"
 * as 10, Tern refuses it); strings and paths are the rest of the line and
 * may hold blanks. After a one-word value, a word starting with '#' begins
 * a comment.
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/err.h"
#include "parse.h"

/* Defaults that are strings live here; config_fini() never frees them. */
static const char DEF_LOG_DEST[] = "stderr";
static const char DEF_PERSISTENCE_LOCATION[] = "./tern-data/";

#define MQTT_MAX_PAYLOAD 268435455LL            /* remaining length max */
#define MQTT_MAX_PACKET  (MQTT_MAX_PAYLOAD + 5) /* plus the fixed header */
#define DURATION_MAX     (1000LL * 365 * 86400) /* a thousand years */

enum dir_type {
	DT_BOOL,     /* true | false -> bool */
	DT_INT,      /* decimal in [min, max] -> long */
	DT_SIZE,     /* bytes, decimal in [min, max] -> long long */
	DT_DURATION, /* N{h,d,w,m,y} -> long long seconds */
	DT_STRING,   /* rest of the line -> char * */
	DT_PATH,     /* rest of the line, a file or directory -> char * */
	DT_SPECIAL,  /* read by the entry's own setter */
};

#define DF_LISTENER 0x01 /* the current listener's field if there is one */
#define DF_DEFAULT  0x02 /* sets up the default listener */
#define DF_ZERO     0x04 /* 0 is accepted besides [min, max] */
#define DF_IGNORED  0x08 /* checked, then ignored */
#define DF_WARN     0x10 /* ... with a warning that says why */
#define DF_ONLY     0x20 /* only the value min is accepted; else refused */
#define DF_REFUSED  0x40 /* refused: "NAME: note" */
#define DF_PREFIX   0x80 /* name is a prefix (auth_opt_*) */

struct directive;
typedef int dir_set_fn(struct cfg_ctx *x, const struct directive *d,
                       char *value);

struct directive {
	const char *name;
	enum dir_type type;
	unsigned flags;
	size_t off;  /* into struct config */
	size_t loff; /* into struct config_listener, with DF_LISTENER */
	long long min, max;
	dir_set_fn *set;  /* NULL: the generic setter for the type */
	const char *note; /* why ignored or refused */
};

/* A parsed value: numbers and booleans in n, text in s (borrowed). */
struct dir_val {
	long long n;
	const char *s;
};

static void
free_str(char *s)
{
	if (s != DEF_LOG_DEST && s != DEF_PERSISTENCE_LOCATION) {
		tern_free(s);
	}
}

/* Replace *@field by a copy of @s. 0 or TERN_ENOMEM. */
static int
set_str(char **field, const char *s)
{
	char *d = tern_strndup(s, strlen(s));

	if (d == NULL) {
		return TERN_ENOMEM;
	}
	free_str(*field);
	*field = d;
	return 0;
}

/*
 * The next blank-separated word of *@p, NUL-terminated in place; NULL at
 * the end of the line or at a word starting with '#' (a comment).
 */
static char *
next_word(char **p)
{
	char *w = *p + strspn(*p, " \t\r\v\f");
	char *e;

	if (*w == '\0' || *w == '#') {
		*p = w;
		return NULL;
	}
	e = w + strcspn(w, " \t\r\v\f");
	*p = e;
	if (*e != '\0') {
		*e = '\0';
		*p = e + 1;
	}
	return w;
}

/* The one word of @value; an error if there is none or more. */
static int
one_word(struct cfg_ctx *x, const char *name, char *value, char **out)
{
	char *p = value;
	char *w = next_word(&p);
	char *extra;

	if (w == NULL) {
		(void)file_error(&x->at, "%s: missing value", name);
		return TERN_ECONFIG;
	}
	extra = next_word(&p);
	if (extra != NULL) {
		(void)file_error(&x->at, "%s: unexpected '%s' after the value",
		                 name, extra);
		return TERN_ECONFIG;
	}
	*out = w;
	return 0;
}

static int
parse_bool(struct cfg_ctx *x, const struct directive *d, const char *w,
           struct dir_val *v)
{
	if (strcmp(w, "true") == 0 || strcmp(w, "false") == 0) {
		v->n = w[0] == 't';
		return 0;
	}
	return file_error(&x->at, "%s: expected true or false, got '%s'",
	                  d->name, w);
}

static int
parse_number(struct cfg_ctx *x, const struct directive *d, const char *w,
             struct dir_val *v)
{
	char *end;
	long long n;

	errno = 0;
	n = strtoll(w, &end, 10);
	if (end == w || *end != '\0') {
		return file_error(&x->at,
		                  "%s: expected a whole number, got '%s'",
		                  d->name, w);
	}
	if (errno == ERANGE) {
		return file_error(&x->at, "%s: %s is out of range", d->name, w);
	}
	v->n = n;
	return 0;
}

/* mosquitto's units for persistent_client_expiration. */
static const struct {
	char unit;
	long long seconds;
} duration_units[] = {
        {'s', 1LL}, {'h', 3600LL}, {'d', 86400LL}, {'w', 7LL * 86400},
        {'m', 30LL * 86400}, {'y', 365LL * 86400},
};

static int
parse_duration(struct cfg_ctx *x, const struct directive *d, const char *w,
               struct dir_val *v)
{
	char *end;
	long long n;

	errno = 0;
	n = strtoll(w, &end, 10);
	if (end == w || n <= 0 || end[0] == '\0' || end[1] != '\0') {
		goto bad;
	}
	for (size_t i = 0; i < sizeof duration_units / sizeof duration_units[0];
	     i++) {
		if (duration_units[i].unit != end[0]) {
			continue;
		}
		if (errno == ERANGE || n > d->max / duration_units[i].seconds) {
			return file_error(&x->at, "%s: %s is too long", d->name,
			                  w);
		}
		v->n = n * duration_units[i].seconds;
		return 0;
	}
bad:
	return file_error(&x->at,
	                  "%s: expected a count and a unit h, d, w, m or y "
	                  "(as in 14d), got '%s'",
	                  d->name, w);
}

typedef int dir_parse_fn(struct cfg_ctx *x, const struct directive *d,
                         const char *w, struct dir_val *v);

static dir_parse_fn *const word_parsers[] = {
        [DT_BOOL] = parse_bool,
        [DT_INT] = parse_number,
        [DT_SIZE] = parse_number,
        [DT_DURATION] = parse_duration,
};

/* Read @value by the type of @d, without range checks. */
static int
parse_value(struct cfg_ctx *x, const struct directive *d, char *value,
            struct dir_val *v)
{
	char *w = NULL;
	int err;

	v->n = 0;
	v->s = value;
	if (d->type == DT_STRING || d->type == DT_PATH) {
		if (*value == '\0') {
			return file_error(&x->at, "%s: missing value", d->name);
		}
		return 0;
	}
	err = one_word(x, d->name, value, &w);
	if (err != 0) {
		return err;
	}
	v->s = w;
	return word_parsers[d->type](x, d, w, v);
}

static int
check_range(struct cfg_ctx *x, const struct directive *d, long long n)
{
	if ((d->flags & DF_ZERO) != 0 && n == 0) {
		return 0;
	}
	if (n >= d->min && n <= d->max) {
		return 0;
	}
	if (d->type == DT_DURATION) {
		return file_error(&x->at, "%s: longer than 1000 years",
		                  d->name);
	}
	return file_error(&x->at, "%s: %lld is out of range (%s%lld..%lld)",
	                  d->name, n, (d->flags & DF_ZERO) != 0 ? "0 or " : "",
	                  d->min, d->max);
}

/* Where @d's value goes: the current listener's field or the config's. */
static void *
field_of(struct cfg_ctx *x, const struct directive *d)
{
	if ((d->flags & DF_LISTENER) != 0 && x->cur != NULL) {
		return (char *)x->cur + d->loff;
	}
	if ((d->flags & (DF_LISTENER | DF_DEFAULT)) != 0) {
		x->c->default_listener_set = true;
	}
	return (char *)x->c + d->off;
}

static int
store(struct cfg_ctx *x, const struct directive *d, const struct dir_val *v)
{
	void *f = field_of(x, d);

	switch (d->type) {
	case DT_BOOL:
		*(bool *)f = v->n != 0;
		return 0;
	case DT_INT:
		*(long *)f = (long)v->n;
		return 0;
	case DT_SIZE:
	case DT_DURATION:
		*(long long *)f = v->n;
		return 0;
	case DT_STRING:
	case DT_PATH:
		return set_str(f, v->s) == 0 ? 0 : cfg_nomem(x);
	case DT_SPECIAL:
		break;
	}
	return file_error(&x->at, "%s: internal error: no setter", d->name);
}

/* Parse, check, then store, ignore or refuse, as the flags of @d say. */
static int
set_generic(struct cfg_ctx *x, const struct directive *d, char *value)
{
	struct dir_val v = {0, NULL};
	int err;

	err = parse_value(x, d, value, &v);
	if (err != 0) {
		return err;
	}
	if ((d->flags & DF_ONLY) != 0) {
		if (v.n != d->min) {
			return file_error(&x->at, "%s %s: %s", d->name, v.s,
			                  d->note);
		}
		return 0;
	}
	if (d->type != DT_STRING && d->type != DT_PATH) {
		err = check_range(x, d, v.n);
		if (err != 0) {
			return err;
		}
	}
	if ((d->flags & DF_IGNORED) == 0) {
		return store(x, d, &v);
	}
	if ((d->flags & DF_WARN) != 0) {
		return cfg_warn(x, "%s is ignored: %s", d->name, d->note);
	}
	return 0;
}

static int
set_allow_anonymous(struct cfg_ctx *x, const struct directive *d, char *value)
{
	int err = set_generic(x, d, value);

	if (err == 0) {
		x->c->allow_anonymous_set = true;
	}
	return err;
}

/* A port word in 1..65535; @what names it in messages. */
static int
parse_port(struct cfg_ctx *x, const char *what, const char *w, uint16_t *out)
{
	static const struct directive port = {
	        .name = "port", .type = DT_INT, .min = 1, .max = 65535};
	struct dir_val v = {0, NULL};
	int err;

	err = parse_number(x, &port, w, &v);
	if (err != 0) {
		return err;
	}
	if (v.n < port.min || v.n > port.max) {
		return file_error(&x->at,
		                  "%s: port %lld is out of range (1..65535)",
		                  what, v.n);
	}
	*out = (uint16_t)v.n;
	return 0;
}

static int
set_port(struct cfg_ctx *x, const struct directive *d, char *value)
{
	char *w = NULL;
	int err;

	err = one_word(x, d->name, value, &w);
	if (err == 0) {
		err = parse_port(x, d->name, w, &x->c->port);
	}
	if (err == 0) {
		x->c->default_listener_set = true;
	}
	return err;
}

/* Two listeners clash on one port when either binds every address. */
static bool
listeners_clash(const struct config_listener *a,
                const struct config_listener *b)
{
	if (a->port != b->port) {
		return false;
	}
	return a->bind_address == NULL || b->bind_address == NULL ||
	       strcmp(a->bind_address, b->bind_address) == 0;
}

/* The index of a listener in @c that clashes with @l, or -1. */
static long
find_clash(const struct config *c, const struct config_listener *l)
{
	for (size_t i = 0; i < c->n_listeners; i++) {
		if (listeners_clash(&c->listeners[i], l)) {
			return (long)i;
		}
	}
	return -1;
}

static int
add_listener(struct cfg_ctx *x, uint16_t port, const char *addr)
{
	struct config_listener l = {NULL, port, -1, x->at.line};
	long clash;

	if (x->c->n_listeners == CONFIG_MAX_LISTENERS) {
		return file_error(&x->at, "listener: more than %d listeners",
		                  CONFIG_MAX_LISTENERS);
	}
	l.bind_address = (char *)addr;
	clash = find_clash(x->c, &l);
	if (clash >= 0) {
		return file_error(
		        &x->at,
		        "listener %u: the address is already taken by "
		        "the listener declared at line %d",
		        port, x->c->listeners[clash].line);
	}
	l.bind_address = NULL;
	if (addr != NULL && set_str(&l.bind_address, addr) != 0) {
		return cfg_nomem(x);
	}
	x->cur = &x->c->listeners[x->c->n_listeners++];
	*x->cur = l;
	return 0;
}

static int
set_listener(struct cfg_ctx *x, const struct directive *d, char *value)
{
	char *p = value;
	char *port_w = next_word(&p);
	char *addr = next_word(&p);
	char *extra = next_word(&p);
	uint16_t port = 0;
	int err;

	if (port_w == NULL) {
		return file_error(&x->at, "%s: missing port", d->name);
	}
	if (extra != NULL) {
		return file_error(&x->at,
		                  "%s: unexpected '%s' after the address",
		                  d->name, extra);
	}
	if (strcmp(port_w, "0") == 0 && addr != NULL) {
		return file_error(&x->at,
		                  "%s: unix sockets are not supported yet",
		                  d->name);
	}
	err = parse_port(x, d->name, port_w, &port);
	if (err != 0) {
		return err;
	}
	return add_listener(x, port, addr);
}

static int
set_protocol(struct cfg_ctx *x, const struct directive *d, char *value)
{
	char *w = NULL;
	int err;

	err = one_word(x, d->name, value, &w);
	if (err != 0) {
		return err;
	}
	if (strcmp(w, "mqtt") == 0) {
		return 0;
	}
	if (strcmp(w, "websockets") == 0) {
		return file_error(&x->at, "%s websockets: not supported yet",
		                  d->name);
	}
	return file_error(&x->at, "%s: expected mqtt or websockets, got '%s'",
	                  d->name, w);
}

static int
set_queue_full_action(struct cfg_ctx *x, const struct directive *d, char *value)
{
	static const struct {
		const char *name;
		int action;
	} actions[] = {
	        {"drop_newest", CONFIG_QUEUE_DROP_NEWEST},
	        {"drop_oldest", CONFIG_QUEUE_DROP_OLDEST},
	};
	char *w = NULL;
	int err = one_word(x, d->name, value, &w);

	if (err != 0) {
		return err;
	}
	for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++) {
		if (strcmp(w, actions[i].name) == 0) {
			x->c->queue_full_action = actions[i].action;
			return 0;
		}
	}
	return file_error(&x->at,
	                  "%s: expected drop_newest or drop_oldest, got '%s'",
	                  d->name, w);
}

static const struct {
	const char *name;
	unsigned bits;
	bool reset; /* clears what earlier lines chose */
} log_types[] = {
        {"error", CONFIG_LOG_ERR, false},
        {"warning", CONFIG_LOG_WARN, false},
        {"notice", CONFIG_LOG_NOTICE, false},
        {"information", CONFIG_LOG_INFO, false},
        {"debug", CONFIG_LOG_DEBUG, false},
        {"all", 0x1f, false},
        {"none", 0, true},
        /* mosquitto's message categories: Tern has no such logs. */
        {"subscribe", 0, false},
        {"unsubscribe", 0, false},
        {"websockets", 0, false},
};

static int
apply_log_type(struct cfg_ctx *x, const char *w)
{
	for (size_t i = 0; i < sizeof log_types / sizeof log_types[0]; i++) {
		if (strcmp(log_types[i].name, w) != 0) {
			continue;
		}
		if (log_types[i].reset) {
			x->c->log_type = 0;
		}
		x->c->log_type |= log_types[i].bits;
		return 0;
	}
	return file_error(&x->at,
	                  "log_type: expected error, warning, notice, "
	                  "information, debug, subscribe, unsubscribe, "
	                  "websockets, all or none, got '%s'",
	                  w);
}

/* log_type may repeat and take several words; the first replaces the
 * default set, the next ones add to it, as in mosquitto. */
static int
set_log_type(struct cfg_ctx *x, const struct directive *d, char *value)
{
	char *p = value;
	char *w = next_word(&p);
	int err = 0;

	if (w == NULL) {
		return file_error(&x->at, "%s: missing value", d->name);
	}
	if (!x->c->log_type_set) {
		x->c->log_type = 0;
		x->c->log_type_set = true;
	}
	for (; w != NULL && err == 0; w = next_word(&p)) {
		err = apply_log_type(x, w);
	}
	return err;
}

/* log_dest words; "file" is handled apart. */
static const struct {
	const char *name;
	const char *dest; /* what struct config stores */
	const char *note; /* a warning: why not the real thing */
} log_dests[] = {
        {"stderr", "stderr", NULL},
        {"stdout", "stdout", NULL},
        {"none", "none", NULL},
        {"syslog", "stderr", "syslog is not supported yet; logging to stderr"},
        {"topic", "stderr",
         "$SYS/broker/log topics are not supported yet; logging to stderr"},
        {"dlt", "stderr", "DLT is not supported yet; logging to stderr"},
};

/* How much a destination wins when several are given. */
static int
dest_rank(const char *dest)
{
	static const char *const order[] = {"none", "stderr", "stdout"};

	for (int i = 0; i < 3; i++) {
		if (strcmp(dest, order[i]) == 0) {
			return i;
		}
	}
	return 3; /* "file PATH" */
}

/*
 * Record @dest (borrowed). Tern logs to one place: the first log_dest
 * replaces the default, "none" clears, and of several the file wins over
 * stdout over stderr, with a warning.
 */
static int
choose_log_dest(struct cfg_ctx *x, const char *dest)
{
	struct config *c = x->c;
	int have = dest_rank(c->log_dest);
	int want = dest_rank(dest);

	if (c->log_dest_set && have == 3 && want == 3) {
		return file_error(&x->at,
		                  "log_dest file: only one file may be given");
	}
	if (c->log_dest_set && have != 0 && want != 0 && have != want) {
		int err = cfg_warn(x,
		                   "log_dest: Tern logs to one destination; "
		                   "using %s, not %s",
		                   have > want ? c->log_dest : dest,
		                   have > want ? dest : c->log_dest);

		if (err != 0 || have > want) {
			return err;
		}
	}
	c->log_dest_set = true;
	return set_str(&c->log_dest, dest) == 0 ? 0 : cfg_nomem(x);
}

/* `log_dest file PATH` is kept as "file PATH". */
static int
set_log_dest_file(struct cfg_ctx *x, const char *path)
{
	size_t n = strlen(path) + sizeof "file ";
	char *dest;
	int err;

	if (*path == '\0') {
		return file_error(&x->at, "log_dest file: missing path");
	}
	dest = tern_malloc(n);
	if (dest == NULL) {
		return cfg_nomem(x);
	}
	(void)snprintf(dest, n, "file %s", path); /* sized above */
	err = choose_log_dest(x, dest);
	tern_free(dest);
	return err;
}

static int
set_log_dest(struct cfg_ctx *x, const struct directive *d, char *value)
{
	char *p = value;
	char *w = next_word(&p);
	int err;

	if (w == NULL) {
		return file_error(&x->at, "%s: missing value", d->name);
	}
	if (strcmp(w, "file") == 0) {
		return set_log_dest_file(x, p + strspn(p, " \t\r\v\f"));
	}
	for (size_t i = 0; i < sizeof log_dests / sizeof log_dests[0]; i++) {
		if (strcmp(log_dests[i].name, w) != 0) {
			continue;
		}
		if (next_word(&p) != NULL) {
			return file_error(&x->at,
			                  "%s %s: unexpected words after it",
			                  d->name, w);
		}
		err = choose_log_dest(x, log_dests[i].dest);
		if (err == 0 && log_dests[i].note != NULL) {
			err = cfg_warn(x, "log_dest %s: %s", w,
			               log_dests[i].note);
		}
		return err;
	}
	return file_error(&x->at,
	                  "%s: expected stderr, stdout, file PATH, syslog, "
	                  "topic, dlt or none, got '%s'",
	                  d->name, w);
}

static int
set_include_dir(struct cfg_ctx *x, const struct directive *d, char *value)
{
	if (*value == '\0') {
		return file_error(&x->at, "%s: missing directory", d->name);
	}
	return cfg_include_dir(x, value);
}

#define OFF(f)  offsetof(struct config, f)
#define LOFF(f) offsetof(struct config_listener, f)

#define NO_TLS    "TLS is not supported yet"
#define NO_BRIDGE "bridges are not supported yet"
#define NO_PLUGIN "plugins are not supported yet"
#define NOT_YET   "not supported yet"

/*
 * Fields left out are 0: no flags, no setter (the generic one), no note.
 * Every number gives its range; a refused entry needs no type.
 */
static const struct directive directives[] = {
        /* Listeners. */
        {.name = "listener", .type = DT_SPECIAL, .set = set_listener},
        {.name = "port", .type = DT_SPECIAL, .set = set_port},
        {.name = "bind_address",
         .type = DT_STRING,
         .flags = DF_DEFAULT,
         .off = OFF(bind_address)},
        {.name = "max_connections",
         .type = DT_INT,
         .flags = DF_LISTENER,
         .off = OFF(max_connections),
         .loff = LOFF(max_connections),
         .min = -1,
         .max = INT_MAX},
        {.name = "protocol", .type = DT_SPECIAL, .set = set_protocol},
        /* Security. */
        {.name = "allow_anonymous",
         .type = DT_BOOL,
         .off = OFF(allow_anonymous),
         .max = 1,
         .set = set_allow_anonymous},
        {.name = "password_file", .type = DT_PATH, .off = OFF(password_file)},
        {.name = "acl_file", .type = DT_PATH, .off = OFF(acl_file)},
        /* Limits. */
        {.name = "max_inflight_messages",
         .type = DT_INT,
         .off = OFF(max_inflight_messages),
         .max = 65535},
        {.name = "max_queued_messages",
         .type = DT_INT,
         .off = OFF(max_queued_messages),
         .max = INT_MAX},
        {.name = "max_queued_bytes",
         .type = DT_SIZE,
         .off = OFF(max_queued_bytes),
         .max = LLONG_MAX},
        {.name = "queue_qos0_messages",
         .type = DT_BOOL,
         .off = OFF(queue_qos0_messages),
         .max = 1},
        {.name = "message_size_limit",
         .type = DT_SIZE,
         .off = OFF(message_size_limit),
         .max = MQTT_MAX_PAYLOAD},
        {.name = "max_packet_size",
         .type = DT_SIZE,
         .flags = DF_ZERO,
         .off = OFF(max_packet_size),
         .min = 20,
         .max = MQTT_MAX_PACKET},
        {.name = "max_keepalive",
         .type = DT_INT,
         .flags = DF_ZERO,
         .off = OFF(max_keepalive),
         .min = 10,
         .max = 65535},
        {.name = "retain_available",
         .type = DT_BOOL,
         .off = OFF(retain_available),
         .max = 1},
        {.name = "persistent_client_expiration",
         .type = DT_DURATION,
         .off = OFF(persistent_client_expiration),
         .min = 1,
         .max = DURATION_MAX},
        {.name = "sys_interval",
         .type = DT_INT,
         .off = OFF(sys_interval),
         .max = 65535},
        /* Logging. */
        {.name = "log_type", .type = DT_SPECIAL, .set = set_log_type},
        {.name = "log_dest", .type = DT_SPECIAL, .set = set_log_dest},
        {.name = "log_timestamp",
         .type = DT_BOOL,
         .off = OFF(log_timestamp),
         .max = 1},
        /* Persistence. */
        {.name = "persistence",
         .type = DT_BOOL,
         .off = OFF(persistence),
         .max = 1},
        {.name = "persistence_location",
         .type = DT_PATH,
         .off = OFF(persistence_location)},
        /* Tern's own. */
        {.name = "workers", .type = DT_INT, .off = OFF(workers), .max = 1024},
        {.name = "connect_timeout",
         .type = DT_INT,
         .off = OFF(connect_timeout),
         .min = 1,
         .max = 3600},
        /* Limits. */
        {.name = "memory_limit",
         .type = DT_SIZE,
         .off = OFF(memory_limit),
         .max = LLONG_MAX},
        {.name = "max_connections_total",
         .type = DT_INT,
         .off = OFF(max_connections_total),
         .min = -1,
         .max = INT_MAX},
        {.name = "max_pending_connections",
         .type = DT_INT,
         .off = OFF(max_pending_connections),
         .min = 1,
         .max = INT_MAX},
        {.name = "max_client_id_length",
         .type = DT_INT,
         .off = OFF(max_client_id_length),
         .min = 23,
         .max = 65535},
        {.name = "max_topic_levels",
         .type = DT_INT,
         .off = OFF(max_topic_levels),
         .min = 1,
         .max = 65535},
        {.name = "max_subscriptions_per_client",
         .type = DT_INT,
         .off = OFF(max_subscriptions_per_client),
         .max = INT_MAX},
        {.name = "queue_full_action",
         .type = DT_SPECIAL,
         .set = set_queue_full_action},
        /* Files. */
        {.name = "include_dir", .type = DT_PATH, .set = set_include_dir},

        /* Checked, then ignored (docs/COMPATIBILITY.md says why). */
        {.name = "allow_duplicate_messages",
         .type = DT_BOOL,
         .flags = DF_IGNORED,
         .max = 1},
        {.name = "autosave_interval",
         .type = DT_INT,
         .flags = DF_IGNORED,
         .max = INT_MAX},
        {.name = "autosave_on_changes",
         .type = DT_BOOL,
         .flags = DF_IGNORED,
         .max = 1},
        {.name = "connection_messages",
         .type = DT_BOOL,
         .flags = DF_IGNORED,
         .max = 1},
        {.name = "log_facility", .type = DT_INT, .flags = DF_IGNORED, .max = 7},
        {.name = "log_timestamp_format",
         .type = DT_STRING,
         .flags = DF_IGNORED},
        {.name = "set_tcp_nodelay",
         .type = DT_BOOL,
         .flags = DF_IGNORED,
         .max = 1},
        {.name = "websockets_log_level",
         .type = DT_INT,
         .flags = DF_IGNORED,
         .min = INT_MIN,
         .max = INT_MAX},
        {.name = "websockets_headers_size",
         .type = DT_INT,
         .flags = DF_IGNORED,
         .max = INT_MAX},
        /* ... with a warning, as the difference could surprise. */
        {.name = "persistence_file",
         .type = DT_STRING,
         .flags = DF_IGNORED | DF_WARN,
         .note = "the store names its own file in persistence_location"},
        {.name = "pid_file",
         .type = DT_PATH,
         .flags = DF_IGNORED | DF_WARN,
         .note = "Tern writes no pid file"},
        {.name = "retry_interval",
         .type = DT_INT,
         .flags = DF_IGNORED | DF_WARN,
         .min = LLONG_MIN,
         .max = LLONG_MAX,
         .note = "no longer available (as in mosquitto 2)"},
        {.name = "user",
         .type = DT_STRING,
         .flags = DF_IGNORED | DF_WARN,
         .note = "Tern does not change user; start it as the user it should "
                 "run as"},

        /* Only mosquitto's default value (min) is accepted. */
        {.name = "max_inflight_bytes",
         .type = DT_SIZE,
         .flags = DF_ONLY,
         .note = "a byte limit on inflight messages is not supported yet"},
        {.name = "max_qos",
         .type = DT_INT,
         .flags = DF_ONLY,
         .min = 2,
         .note = "limiting QoS is not supported yet"},
        {.name = "per_listener_settings",
         .type = DT_BOOL,
         .flags = DF_ONLY,
         .note = "per-listener security settings are not supported yet"},
        {.name = "require_certificate",
         .type = DT_BOOL,
         .flags = DF_ONLY,
         .note = NO_TLS},
        {.name = "upgrade_outgoing_qos",
         .type = DT_BOOL,
         .flags = DF_ONLY,
         .note = "upgrading QoS is not supported (MQTT forbids it)"},
        {.name = "use_identity_as_username",
         .type = DT_BOOL,
         .flags = DF_ONLY,
         .note = NO_TLS},
        {.name = "use_subject_as_username",
         .type = DT_BOOL,
         .flags = DF_ONLY,
         .note = NO_TLS},
        {.name = "use_username_as_clientid",
         .type = DT_BOOL,
         .flags = DF_ONLY,
         .note = NOT_YET},

        /* Refused: not supported yet. */
        {.name = "accept_protocol_versions",
         .flags = DF_REFUSED,
         .note = NOT_YET},
        {.name = "allow_zero_length_clientid",
         .flags = DF_REFUSED,
         .note = NOT_YET},
        {.name = "auto_id_prefix", .flags = DF_REFUSED, .note = NOT_YET},
        {.name = "bind_interface", .flags = DF_REFUSED, .note = NOT_YET},
        {.name = "check_retain_source", .flags = DF_REFUSED, .note = NOT_YET},
        {.name = "clientid_prefixes", .flags = DF_REFUSED, .note = NOT_YET},
        {.name = "http_dir",
         .flags = DF_REFUSED,
         .note = "websockets are not supported yet"},
        {.name = "max_topic_alias", .flags = DF_REFUSED, .note = NOT_YET},
        {.name = "mount_point", .flags = DF_REFUSED, .note = NOT_YET},
        {.name = "socket_domain", .flags = DF_REFUSED, .note = NOT_YET},
        {.name = "cafile", .flags = DF_REFUSED, .note = NO_TLS},
        {.name = "capath", .flags = DF_REFUSED, .note = NO_TLS},
        {.name = "certfile", .flags = DF_REFUSED, .note = NO_TLS},
        {.name = "keyfile", .flags = DF_REFUSED, .note = NO_TLS},
        {.name = "ciphers", .flags = DF_REFUSED, .note = NO_TLS},
        {.name = "ciphers_tls1.3", .flags = DF_REFUSED, .note = NO_TLS},
        {.name = "crlfile", .flags = DF_REFUSED, .note = NO_TLS},
        {.name = "dhparamfile", .flags = DF_REFUSED, .note = NO_TLS},
        {.name = "tls_engine", .flags = DF_REFUSED, .note = NO_TLS},
        {.name = "tls_engine_kpass_sha1", .flags = DF_REFUSED, .note = NO_TLS},
        {.name = "tls_keyform", .flags = DF_REFUSED, .note = NO_TLS},
        {.name = "tls_version", .flags = DF_REFUSED, .note = NO_TLS},
        {.name = "psk_file", .flags = DF_REFUSED, .note = NO_TLS},
        {.name = "psk_hint", .flags = DF_REFUSED, .note = NO_TLS},
        {.name = "auth_plugin", .flags = DF_REFUSED, .note = NO_PLUGIN},
        {.name = "auth_plugin_deny_special_chars",
         .flags = DF_REFUSED,
         .note = NO_PLUGIN},
        {.name = "plugin", .flags = DF_REFUSED, .note = NO_PLUGIN},
        {.name = "auth_opt_",
         .flags = DF_REFUSED | DF_PREFIX,
         .note = NO_PLUGIN},
        {.name = "plugin_opt_",
         .flags = DF_REFUSED | DF_PREFIX,
         .note = NO_PLUGIN},
        {.name = "connection", .flags = DF_REFUSED, .note = NO_BRIDGE},
        {.name = "bridge_", .flags = DF_REFUSED | DF_PREFIX, .note = NO_BRIDGE},
        {.name = "address", .flags = DF_REFUSED, .note = NO_BRIDGE},
        {.name = "addresses", .flags = DF_REFUSED, .note = NO_BRIDGE},
        {.name = "cleansession", .flags = DF_REFUSED, .note = NO_BRIDGE},
        {.name = "clientid", .flags = DF_REFUSED, .note = NO_BRIDGE},
        {.name = "idle_timeout", .flags = DF_REFUSED, .note = NO_BRIDGE},
        {.name = "keepalive_interval", .flags = DF_REFUSED, .note = NO_BRIDGE},
        {.name = "local_cleansession", .flags = DF_REFUSED, .note = NO_BRIDGE},
        {.name = "local_clientid", .flags = DF_REFUSED, .note = NO_BRIDGE},
        {.name = "local_password", .flags = DF_REFUSED, .note = NO_BRIDGE},
        {.name = "local_username", .flags = DF_REFUSED, .note = NO_BRIDGE},
        {.name = "notification_topic", .flags = DF_REFUSED, .note = NO_BRIDGE},
        {.name = "notifications", .flags = DF_REFUSED, .note = NO_BRIDGE},
        {.name = "notifications_local_only",
         .flags = DF_REFUSED,
         .note = NO_BRIDGE},
        {.name = "password", .flags = DF_REFUSED, .note = NO_BRIDGE},
        {.name = "remote_clientid", .flags = DF_REFUSED, .note = NO_BRIDGE},
        {.name = "remote_password", .flags = DF_REFUSED, .note = NO_BRIDGE},
        {.name = "remote_username", .flags = DF_REFUSED, .note = NO_BRIDGE},
        {.name = "restart_timeout", .flags = DF_REFUSED, .note = NO_BRIDGE},
        {.name = "round_robin", .flags = DF_REFUSED, .note = NO_BRIDGE},
        {.name = "start_type", .flags = DF_REFUSED, .note = NO_BRIDGE},
        {.name = "threshold", .flags = DF_REFUSED, .note = NO_BRIDGE},
        {.name = "topic", .flags = DF_REFUSED, .note = NO_BRIDGE},
        {.name = "try_private", .flags = DF_REFUSED, .note = NO_BRIDGE},
        {.name = "username", .flags = DF_REFUSED, .note = NO_BRIDGE},
};

static const struct directive *
find_directive(const char *name)
{
	for (size_t i = 0; i < sizeof directives / sizeof directives[0]; i++) {
		const struct directive *d = &directives[i];
		size_t n = strlen(d->name);

		if ((d->flags & DF_PREFIX) != 0 ? strncmp(name, d->name, n) == 0
		                                : strcmp(name, d->name) == 0) {
			return d;
		}
	}
	return NULL;
}

int
cfg_directive(struct cfg_ctx *x, const char *name, char *value)
{
	const struct directive *d = find_directive(name);

	if (d == NULL) {
		return file_error(&x->at, "unknown directive '%s'", name);
	}
	if ((d->flags & DF_REFUSED) != 0) {
		return file_error(&x->at, "%s: %s", name, d->note);
	}
	if (d->set != NULL) {
		return d->set(x, d, value);
	}
	return set_generic(x, d, value);
}

void
config_init(struct config *c)
{
	memset(c, 0, sizeof *c);
	c->port = CONFIG_DEFAULT_PORT;
	c->max_connections = -1;
	c->max_inflight_messages = 20;
	c->max_queued_messages = 1000;
	c->max_keepalive = 65535;
	c->retain_available = true;
	c->sys_interval = 10;
	c->log_type = CONFIG_LOG_ERR | CONFIG_LOG_WARN | CONFIG_LOG_NOTICE |
	              CONFIG_LOG_INFO;
	/* Never written through: set_str() replaces, free_str() skips. */
	c->log_dest = (char *)DEF_LOG_DEST;
	c->log_timestamp = true;
	c->connect_timeout = 10;
	c->memory_limit = -1;
	c->max_connections_total = -1;
	c->max_pending_connections = 10000;
	c->max_client_id_length = 1024;
	c->max_topic_levels = 128;
	c->queue_full_action = CONFIG_QUEUE_DROP_NEWEST;
	c->persistence_location = (char *)DEF_PERSISTENCE_LOCATION;
}

void
config_fini(struct config *c)
{
	for (size_t i = 0; i < c->n_listeners; i++) {
		tern_free(c->listeners[i].bind_address);
	}
	tern_free(c->bind_address);
	tern_free(c->password_file);
	tern_free(c->acl_file);
	free_str(c->log_dest);
	free_str(c->persistence_location);
	tern_free(c->warnings);
	memset(c, 0, sizeof *c);
}

/* Append the listener made of port, bind_address and max_connections. */
static int
add_default_listener(struct config *c, char *err, size_t errlen)
{
	struct config_listener l = {NULL, c->port, c->max_connections, 0};
	const char *addr = c->local_only ? "127.0.0.1" : c->bind_address;
	long clash;

	l.bind_address = (char *)addr;
	clash = find_clash(c, &l);
	if (clash >= 0) {
		(void)snprintf(
		        err, errlen,
		        "default listener (port %u%s%s): the address is "
		        "already taken by the listener declared at line %d",
		        l.port, addr != NULL ? ", bind_address " : "",
		        addr != NULL ? addr : "", c->listeners[clash].line);
		return TERN_ECONFIG;
	}
	if (c->n_listeners == CONFIG_MAX_LISTENERS) {
		(void)snprintf(err, errlen,
		               "default listener: more than %d listeners",
		               CONFIG_MAX_LISTENERS);
		return TERN_ECONFIG;
	}
	l.bind_address = NULL;
	if (addr != NULL && set_str(&l.bind_address, addr) != 0) {
		(void)snprintf(err, errlen, "out of memory");
		return TERN_ENOMEM;
	}
	c->listeners[c->n_listeners++] = l;
	return 0;
}

int
config_finish(struct config *c, char *err, size_t errlen)
{
	bool declared = c->n_listeners > 0;
	int e = 0;

	if (err != NULL && errlen > 0) {
		err[0] = '\0';
	}
	c->local_only = !declared && !c->default_listener_set;
	if (!declared || c->default_listener_set) {
		e = add_default_listener(c, err, errlen);
	}
	if (e == 0 && !c->allow_anonymous_set) {
		/* mosquitto 2: anonymous only while nobody else can reach
		 * the broker. */
		c->allow_anonymous = c->local_only;
	}
	return e;
}
