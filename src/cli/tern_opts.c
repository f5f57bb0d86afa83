/*
 * tern_opts.c - the command line of `tern pub`, `tern sub` and `tern rr`:
 * one table of flags (those of mosquitto_pub / mosquitto_sub /
 * mosquitto_rr), their setters, and the checks that need all of them.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../codec/mqtt.h"
#include "tern_cli.h"

typedef int flag_fn(struct cli_opts *o, const char *arg);

struct flag {
	const char *shrt;
	const char *lng;
	unsigned cmds; /* enum cli_cmd bits */
	bool arg;
	flag_fn *set;
};

/* parse_long() - @s as a whole decimal number in [lo, hi]. */
static int
parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
		return -1;
	}
	*out = v;
	return 0;
}

static int
bad(const char *what, const char *arg)
{
	cli_error(NULL, "Invalid %s given: %s", what, arg);
	return CLI_ERR;
}

static int
set_host(struct cli_opts *o, const char *a)
{
	o->host = a;
	return 0;
}

static int
set_port(struct cli_opts *o, const char *a)
{
	long v;

	if (parse_long(a, 1, 65535, &v) != 0) {
		return bad("port", a);
	}
	o->port = (int)v;
	return 0;
}

static int
set_bind(struct cli_opts *o, const char *a)
{
	o->bind_address = a;
	return 0;
}

static int
set_version(struct cli_opts *o, const char *a)
{
	static const struct {
		const char *name;
		int ver;
	} names[] = {{"mqttv31", TERN_MQTT31},   {"31", TERN_MQTT31},
	             {"mqttv311", TERN_MQTT311}, {"311", TERN_MQTT311},
	             {"mqttv5", TERN_MQTT5},     {"5", TERN_MQTT5}};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (strcmp(a, names[i].name) == 0) {
			o->version = names[i].ver;
			o->version_set = true;
			return 0;
		}
	}
	return bad("protocol version", a);
}

static int
set_id(struct cli_opts *o, const char *a)
{
	if (o->id_prefix != NULL) {
		cli_error(NULL, "-i and -I argument cannot be used together.");
		return CLI_ERR;
	}
	o->id = a;
	return 0;
}

static int
set_id_prefix(struct cli_opts *o, const char *a)
{
	if (o->id != NULL) {
		cli_error(NULL, "-i and -I argument cannot be used together.");
		return CLI_ERR;
	}
	o->id_prefix = a;
	return 0;
}

static int
set_user(struct cli_opts *o, const char *a)
{
	o->username = a;
	return 0;
}

static int
set_password(struct cli_opts *o, const char *a)
{
	o->password = a;
	return 0;
}

static int
set_keepalive(struct cli_opts *o, const char *a)
{
	long v;

	if (parse_long(a, 0, 65535, &v) != 0) {
		return bad("keepalive", a);
	}
	o->keepalive = (int)v;
	return 0;
}

static int
set_no_clean(struct cli_opts *o, const char *a)
{
	(void)a;
	o->clean = false;
	return 0;
}

static int
set_session_expiry(struct cli_opts *o, const char *a)
{
	long v;

	if (strcmp(a, "-1") == 0 || strcmp(a, "\u221e") == 0) {
		o->session_expiry = UINT32_MAX;
	} else if (parse_long(a, 0, UINT32_MAX, &v) == 0) {
		o->session_expiry = (uint32_t)v;
	} else {
		return bad("session expiry interval", a);
	}
	o->session_expiry_set = true;
	return 0;
}

static int
set_qos(struct cli_opts *o, const char *a)
{
	long v;

	if (parse_long(a, 0, 2, &v) != 0) {
		return bad("QoS", a);
	}
	o->qos = (int)v;
	return 0;
}

static int
set_retain(struct cli_opts *o, const char *a)
{
	(void)a;
	o->retain = true;
	return 0;
}

static int
set_debug(struct cli_opts *o, const char *a)
{
	(void)a;
	o->debug = true;
	return 0;
}

static int
set_quiet(struct cli_opts *o, const char *a)
{
	(void)a;
	o->quiet = true;
	return 0;
}

static int
set_will_topic(struct cli_opts *o, const char *a)
{
	o->will_topic = a;
	return 0;
}

static int
set_will_payload(struct cli_opts *o, const char *a)
{
	o->will_payload = a;
	return 0;
}

static int
set_will_qos(struct cli_opts *o, const char *a)
{
	long v;

	if (parse_long(a, 0, 2, &v) != 0) {
		return bad("will QoS", a);
	}
	o->will_qos = (int)v;
	return 0;
}

static int
set_will_retain(struct cli_opts *o, const char *a)
{
	(void)a;
	o->will_retain = true;
	return 0;
}

static int
str_add(struct str_list *l, const char *s)
{
	if (l->n == l->cap) {
		size_t cap = l->cap == 0 ? 8 : l->cap * 2;
		const char **v = realloc(l->v, cap * sizeof(*v));

		if (v == NULL) {
			return CLI_ERR;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = s;
	return 0;
}

static int
set_topic(struct cli_opts *o, const char *a)
{
	if (o->cmd != CMD_SUB && o->topics.n > 0) {
		cli_error(NULL, "Only one topic may be given.");
		return CLI_ERR;
	}
	return str_add(&o->topics, a);
}

static int
set_filter_out(struct cli_opts *o, const char *a)
{
	return str_add(&o->filter_out, a);
}

static int
set_unsubscribe(struct cli_opts *o, const char *a)
{
	return str_add(&o->unsubscribe, a);
}

static int
set_src(struct cli_opts *o, enum msg_src src, const char *a)
{
	if (o->src != SRC_NONE) {
		cli_error(NULL,
		          "Only one type of message can be sent at once.");
		return CLI_ERR;
	}
	o->src = src;
	o->message = a;
	return 0;
}

static int
set_message(struct cli_opts *o, const char *a)
{
	return set_src(o, SRC_MESSAGE, a);
}

static int
set_file(struct cli_opts *o, const char *a)
{
	return set_src(o, SRC_FILE, a);
}

static int
set_stdin_file(struct cli_opts *o, const char *a)
{
	return set_src(o, SRC_STDIN, a);
}

static int
set_stdin_line(struct cli_opts *o, const char *a)
{
	return set_src(o, SRC_LINES, a);
}

static int
set_null(struct cli_opts *o, const char *a)
{
	return set_src(o, SRC_NULL, a);
}

static int
set_repeat(struct cli_opts *o, const char *a)
{
	if (parse_long(a, 1, INT_MAX, &o->repeat) != 0) {
		return bad("repeat count", a);
	}
	return 0;
}

static int
set_repeat_delay(struct cli_opts *o, const char *a)
{
	char *end;

	o->repeat_delay = strtod(a, &end);
	if (end == a || *end != '\0' || !(o->repeat_delay >= 0) ||
	    !isfinite(o->repeat_delay)) {
		return bad("repeat delay", a);
	}
	return 0;
}

static int
set_count(struct cli_opts *o, const char *a)
{
	if (parse_long(a, 1, LONG_MAX, &o->count) != 0) {
		return bad("message count", a);
	}
	return 0;
}

static int
set_timeout(struct cli_opts *o, const char *a)
{
	if (parse_long(a, 1, 3600L * 24 * 365, &o->timeout) != 0) {
		return bad("timeout", a);
	}
	return 0;
}

static int
set_verbose(struct cli_opts *o, const char *a)
{
	(void)a;
	o->verbose = true;
	return 0;
}

static int
set_no_eol(struct cli_opts *o, const char *a)
{
	(void)a;
	o->no_eol = true;
	return 0;
}

static int
set_format(struct cli_opts *o, const char *a)
{
	o->format = a;
	return 0;
}

static int
set_pretty(struct cli_opts *o, const char *a)
{
	(void)a;
	o->pretty = true;
	return 0;
}

static int
set_no_retained(struct cli_opts *o, const char *a)
{
	(void)a;
	o->no_retained = true;
	return 0;
}

static int
set_retained_only(struct cli_opts *o, const char *a)
{
	(void)a;
	o->retained_only = true;
	return 0;
}

static int
set_remove_retained(struct cli_opts *o, const char *a)
{
	(void)a;
	o->remove_retained = true;
	return 0;
}

static int
set_rap(struct cli_opts *o, const char *a)
{
	(void)a;
	o->retain_as_published = true;
	return 0;
}

static int
set_no_local(struct cli_opts *o, const char *a)
{
	(void)a;
	o->no_local = true;
	return 0;
}

static int
set_exit_after_sub(struct cli_opts *o, const char *a)
{
	(void)a;
	o->exit_after_sub = true;
	return 0;
}

static int
set_response_topic(struct cli_opts *o, const char *a)
{
	o->response_topic = a;
	return 0;
}

static int
set_nothing(struct cli_opts *o, const char *a)
{
	(void)o; /* --nodelay: TCP_NODELAY is always on */
	(void)a;
	return 0;
}

static const struct flag flags[] = {
        {"-h", "--host", CMD_ALL, true, set_host},
        {"-p", "--port", CMD_ALL, true, set_port},
        {"-A", NULL, CMD_ALL, true, set_bind},
        {"-V", "--protocol-version", CMD_ALL, true, set_version},
        {"-i", "--id", CMD_ALL, true, set_id},
        {"-I", "--id-prefix", CMD_ALL, true, set_id_prefix},
        {"-u", "--username", CMD_ALL, true, set_user},
        {"-P", "--pw", CMD_ALL, true, set_password},
        {"-k", "--keepalive", CMD_ALL, true, set_keepalive},
        {"-c", "--disable-clean-session", CMD_ALL, false, set_no_clean},
        {"-x", NULL, CMD_ALL, true, set_session_expiry},
        {"-q", "--qos", CMD_ALL, true, set_qos},
        {"-r", "--retain", CMD_PUB | CMD_RR, false, set_retain},
        {"-d", "--debug", CMD_ALL, false, set_debug},
        {NULL, "--quiet", CMD_ALL, false, set_quiet},
        {NULL, "--will-topic", CMD_ALL, true, set_will_topic},
        {NULL, "--will-payload", CMD_ALL, true, set_will_payload},
        {NULL, "--will-qos", CMD_ALL, true, set_will_qos},
        {NULL, "--will-retain", CMD_ALL, false, set_will_retain},
        {"-t", "--topic", CMD_ALL, true, set_topic},
        {"-T", "--filter-out", CMD_SUB, true, set_filter_out},
        {"-U", "--unsubscribe", CMD_SUB, true, set_unsubscribe},
        {"-m", "--message", CMD_PUB | CMD_RR, true, set_message},
        {"-f", "--file", CMD_PUB | CMD_RR, true, set_file},
        {"-s", "--stdin-file", CMD_PUB | CMD_RR, false, set_stdin_file},
        {"-l", "--stdin-line", CMD_PUB, false, set_stdin_line},
        {"-n", "--null-message", CMD_PUB | CMD_RR, false, set_null},
        {NULL, "--repeat", CMD_PUB, true, set_repeat},
        {NULL, "--repeat-delay", CMD_PUB, true, set_repeat_delay},
        {"-C", NULL, CMD_SUB, true, set_count},
        {"-W", NULL, CMD_SUB | CMD_RR, true, set_timeout},
        {"-v", "--verbose", CMD_SUB | CMD_RR, false, set_verbose},
        {"-N", NULL, CMD_SUB | CMD_RR, false, set_no_eol},
        {"-F", NULL, CMD_SUB | CMD_RR, true, set_format},
        {NULL, "--pretty", CMD_SUB | CMD_RR, false, set_pretty},
        {"-R", NULL, CMD_SUB | CMD_RR, false, set_no_retained},
        {NULL, "--retained-only", CMD_SUB, false, set_retained_only},
        {NULL, "--remove-retained", CMD_SUB, false, set_remove_retained},
        {NULL, "--retain-as-published", CMD_SUB, false, set_rap},
        {NULL, "--no-local", CMD_SUB, false, set_no_local},
        {"-E", NULL, CMD_SUB, false, set_exit_after_sub},
        {"-e", NULL, CMD_RR, true, set_response_topic},
        {NULL, "--nodelay", CMD_ALL, false, set_nothing},
};

static const struct flag *
find_flag(const char *s, enum cli_cmd cmd)
{
	for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
		const struct flag *f = &flags[i];

		if ((f->cmds & cmd) == 0) {
			continue;
		}
		if ((f->shrt != NULL && strcmp(s, f->shrt) == 0) ||
		    (f->lng != NULL && strcmp(s, f->lng) == 0)) {
			return f;
		}
	}
	return NULL;
}

void
cli_error(const struct cli_opts *o, const char *fmt, ...)
{
	va_list ap;

	if (o != NULL && o->quiet) {
		return;
	}
	/* (void): if stderr fails there is nowhere left to say so. */
	(void)fputs("Error: ", stderr);
	va_start(ap, fmt);
	(void)vfprintf(stderr, fmt, ap);
	va_end(ap);
	(void)fputc('\n', stderr);
}

static void
defaults(struct cli_opts *o, enum cli_cmd cmd, const char *name)
{
	memset(o, 0, sizeof(*o));
	o->cmd = cmd;
	o->name = name;
	o->host = "localhost";
	o->port = 1883;
	o->version = cmd == CMD_RR ? TERN_MQTT5 : TERN_MQTT311;
	o->keepalive = 60;
	o->clean = true;
	o->repeat = 1;
}

/* parse_args() - walk argv through the flag table. */
static int
parse_args(struct cli_opts *o, int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		const struct flag *f;
		int rc;

		if (strcmp(argv[i], "--help") == 0) {
			cli_usage(o->cmd, o->name);
			return -1;
		}
		if (strcmp(argv[i], "-D") == 0 ||
		    strcmp(argv[i], "--property") == 0) {
			rc = cli_prop_add(o, argc, argv, i);
			if (rc < 0) {
				return CLI_ERR;
			}
			i += rc - 1;
			continue;
		}
		f = find_flag(argv[i], o->cmd);
		if (f == NULL) {
			cli_error(NULL, "Unknown option '%s'.", argv[i]);
			return CLI_ERR;
		}
		if (f->arg && i + 1 >= argc) {
			cli_error(NULL,
			          "%s argument given but no value "
			          "specified.",
			          argv[i]);
			return CLI_ERR;
		}
		rc = f->set(o, f->arg ? argv[++i] : NULL);
		if (rc != 0) {
			return rc;
		}
	}
	return 0;
}

static bool
topic_ok(const char *t, bool filter)
{
	struct span s = span_str(t);

	if (s.len == 0 || s.len > 0xffff) {
		return false;
	}
	return filter ? topic_check_filter(s) == 0 : topic_check_name(s) == 0;
}

static int
check_filters(const struct cli_opts *o)
{
	for (size_t i = 0; i < o->topics.n; i++) {
		if (!topic_ok(o->topics.v[i], true)) {
			cli_error(NULL,
			          "Invalid subscription topic '%s', are all "
			          "'+' and '#' wildcards correct?",
			          o->topics.v[i]);
			return CLI_ERR;
		}
	}
	for (size_t i = 0; i < o->filter_out.n; i++) {
		if (!topic_ok(o->filter_out.v[i], true)) {
			cli_error(NULL,
			          "Invalid filter topic '%s', are all '+' "
			          "and '#' wildcards correct?",
			          o->filter_out.v[i]);
			return CLI_ERR;
		}
	}
	for (size_t i = 0; i < o->unsubscribe.n; i++) {
		if (!topic_ok(o->unsubscribe.v[i], true)) {
			cli_error(NULL,
			          "Invalid unsubscribe topic '%s', are all "
			          "'+' and '#' wildcards correct?",
			          o->unsubscribe.v[i]);
			return CLI_ERR;
		}
	}
	return 0;
}

static int
check_pub(struct cli_opts *o)
{
	if (o->topics.n == 0 || o->src == SRC_NONE) {
		cli_error(NULL, "Both topic and message must be supplied.");
		return CLI_ERR;
	}
	if (!topic_ok(o->topics.v[0], false)) {
		cli_error(NULL,
		          "Invalid publish topic '%s', does it contain "
		          "'+' or '#'?",
		          o->topics.v[0]);
		return CLI_ERR;
	}
	if (o->src == SRC_LINES && o->repeat > 1) {
		cli_error(NULL, "--repeat cannot be used with -l.");
		return CLI_ERR;
	}
	return 0;
}

static int
check_sub(struct cli_opts *o)
{
	if (o->topics.n == 0 && o->unsubscribe.n == 0) {
		cli_error(NULL, "You must specify a topic to subscribe to.");
		return CLI_ERR;
	}
	if (o->no_retained && o->retained_only) {
		cli_error(NULL, "-R and --retained-only cannot be used "
		                "together.");
		return CLI_ERR;
	}
	return check_filters(o);
}

static int
check_rr(struct cli_opts *o)
{
	if (o->topics.n == 0 || o->response_topic == NULL) {
		cli_error(NULL, "Both a request topic (-t) and a response "
		                "topic (-e) must be supplied.");
		return CLI_ERR;
	}
	if (o->src == SRC_NONE) {
		cli_error(NULL, "A request message must be supplied (-m, -f, "
		                "-s or -n).");
		return CLI_ERR;
	}
	if (!topic_ok(o->topics.v[0], false) ||
	    !topic_ok(o->response_topic, true)) {
		cli_error(NULL, "Invalid request or response topic.");
		return CLI_ERR;
	}
	return 0;
}

static int
check_settings(struct cli_opts *o)
{
	bool has_props = o->p_connect.n + o->p_publish.n + o->p_subscribe.n +
	                         o->p_unsubscribe.n + o->p_disconnect.n +
	                         o->p_will.n >
	                 0;

	if (has_props && o->version != TERN_MQTT5) {
		cli_error(NULL, "-D properties need MQTT v5 (-V 5).");
		return CLI_ERR;
	}
	if ((o->retain_as_published || o->no_local) &&
	    o->version != TERN_MQTT5) {
		cli_error(NULL, "--retain-as-published and --no-local need "
		                "MQTT v5 (-V 5).");
		return CLI_ERR;
	}
	if (o->will_topic == NULL &&
	    (o->will_payload != NULL || o->will_qos != 0 || o->will_retain)) {
		cli_error(NULL, "Will payload, QoS or retain given, but no "
		                "will topic given.");
		return CLI_ERR;
	}
	if (o->will_topic != NULL && !topic_ok(o->will_topic, false)) {
		cli_error(NULL,
		          "Invalid will topic '%s', does it contain '+' "
		          "or '#'?",
		          o->will_topic);
		return CLI_ERR;
	}
	if (!o->clean && o->id == NULL && o->id_prefix == NULL) {
		cli_error(NULL, "You must provide a client id if you are using "
		                "the -c option.");
		return CLI_ERR;
	}
	if (o->password != NULL && o->username == NULL &&
	    o->version != TERN_MQTT5) {
		cli_error(NULL, "A password needs a username in MQTT 3.1 and "
		                "3.1.1 (-u).");
		return CLI_ERR;
	}
	return 0;
}

static int
check_common(struct cli_opts *o)
{
	if (o->format != NULL && cli_format_check(o->format) != 0) {
		cli_error(NULL, "Invalid output format '%s'.", o->format);
		return CLI_ERR;
	}
	return check_settings(o);
}

/* finish() - defaults that depend on other flags. */
static void
finish(struct cli_opts *o)
{
	if (o->id_prefix != NULL) {
		(void)snprintf(o->id_buf, sizeof o->id_buf, "%s%d",
		               o->id_prefix, (int)getpid());
		o->id = o->id_buf;
	}
	/* As mosquitto's clients: -c alone keeps the session forever. */
	if (o->version == TERN_MQTT5 && !o->session_expiry_set && !o->clean) {
		o->session_expiry = UINT32_MAX;
		o->session_expiry_set = true;
	}
}

int
cli_parse(struct cli_opts *o, enum cli_cmd cmd, const char *name, int argc,
          char **argv)
{
	int rc;

	defaults(o, cmd, name);
	rc = parse_args(o, argc, argv);
	if (rc == 0) {
		rc = check_common(o);
	}
	if (rc == 0) {
		rc = cmd == CMD_PUB   ? check_pub(o)
		     : cmd == CMD_SUB ? check_sub(o)
		                      : check_rr(o);
	}
	if (rc > 0) {
		/* (void): as in cli_error(). */
		(void)fprintf(stderr, "\nUse 'tern %s --help' to see usage.\n",
		              name);
	}
	if (rc == 0) {
		finish(o);
	}
	return rc;
}

static void
prop_list_free(struct prop_list *l)
{
	free(l->v);
	l->v = NULL;
	l->n = 0;
	l->cap = 0;
}

void
cli_opts_free(struct cli_opts *o)
{
	prop_list_free(&o->p_connect);
	prop_list_free(&o->p_publish);
	prop_list_free(&o->p_subscribe);
	prop_list_free(&o->p_unsubscribe);
	prop_list_free(&o->p_disconnect);
	prop_list_free(&o->p_will);
	free(o->topics.v);
	free(o->filter_out.v);
	free(o->unsubscribe.v);
}
