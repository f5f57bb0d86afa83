/*
 * tern_client.c - the parts of pub, sub and rr that are the same: making
 * a client from the command line, connecting with clear errors, reading
 * the message to send, debug output, signals.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "tern_cli.h"

void
cli_log(struct tern_client *c, void *arg, const char *line)
{
	(void)c;
	(void)arg;
	printf("%s\n", line);
	/* (void): the -d trace is best effort. */
	(void)fflush(stdout);
}

/* add_session_expiry() - -x / -c as a CONNECT property (MQTT 5). */
static int
add_session_expiry(struct cli_opts *o)
{
	struct prop_list *l = &o->p_connect;
	struct tern_prop *v;
	struct tern_props have = {l->v, l->n};

	if (o->version != TERN_MQTT5 || !o->session_expiry_set ||
	    tern_props_find(&have, TERN_PROP_SESSION_EXPIRY, NULL) != NULL) {
		return 0;
	}
	v = realloc(l->v, (l->n + 1) * sizeof(*v));
	if (v == NULL) {
		return -1;
	}
	memset(&v[l->n], 0, sizeof(v[l->n]));
	v[l->n].id = TERN_PROP_SESSION_EXPIRY;
	v[l->n].num = o->session_expiry;
	l->v = v;
	l->n++;
	l->cap = l->n;
	return 0;
}

static void
fill_options(struct cli_opts *o, struct tern_options *t)
{
	tern_options_init(t);
	t->host = o->host;
	t->port = (uint16_t)o->port;
	t->bind_address = o->bind_address;
	t->version = o->version;
	if (o->id == NULL && o->version != TERN_MQTT5) {
		(void)snprintf(o->id_buf, sizeof o->id_buf, "tern-%s-%d",
		               o->name, (int)getpid());
		o->id = o->id_buf;
	}
	t->client_id = o->id;
	t->clean = o->clean;
	t->keepalive = (uint16_t)o->keepalive;
	t->username = o->username;
	t->password = o->password;
	if (o->will_topic != NULL) {
		t->will_topic = o->will_topic;
		t->will_payload =
		        o->will_payload != NULL ? o->will_payload : "";
		t->will_payload_len =
		        o->will_payload != NULL ? strlen(o->will_payload) : 0;
		t->will_qos = o->will_qos;
		t->will_retain = o->will_retain;
		t->will_props.v = o->p_will.v;
		t->will_props.n = o->p_will.n;
	}
	t->connect_props.v = o->p_connect.v;
	t->connect_props.n = o->p_connect.n;
	/* sub keeps going across broker restarts, as mosquitto_sub does. */
	t->auto_reconnect = o->cmd == CMD_SUB;
	t->reconnect_min_ms = 1000;
	t->reconnect_max_ms = 10000;
}

struct tern_client *
cli_client(struct cli_opts *o, const struct tern_callbacks *cb, void *arg)
{
	struct tern_callbacks all = {0};
	struct tern_options t;
	struct tern_client *c = NULL;
	int err;

	if (add_session_expiry(o) != 0) {
		cli_error(o, "out of memory");
		return NULL;
	}
	fill_options(o, &t);
	err = tern_client_new(&t, &c);
	if (err != 0) {
		cli_error(NULL, "invalid connection settings: %s",
		          tern_strerror(err));
		return NULL;
	}
	if (cb != NULL) {
		all = *cb;
	}
	if (o->debug) {
		all.on_log = cli_log;
	}
	tern_set_callbacks(c, &all, arg);
	return c;
}

int
cli_connect(struct cli_opts *o, struct tern_client *c)
{
	int err = tern_connect(c);
	int rc = tern_last_reason(c);

	if (err == 0) {
		return 0;
	}
	if (rc > 0) {
		cli_error(o, "connection refused by %s:%d: %s (CONNACK %s %d)",
		          o->host, o->port, tern_reason_string(o->version, rc),
		          o->version == TERN_MQTT5 ? "reason code"
		                                   : "return code",
		          rc);
		return rc;
	}
	return cli_fail(o, c, "cannot connect", err);
}

int
cli_fail(const struct cli_opts *o, struct tern_client *c, const char *what,
         int err)
{
	const char *detail = c != NULL ? tern_error_detail(c) : "";

	if (detail[0] != '\0') {
		cli_error(o, "%s: %s", what, detail);
	} else {
		cli_error(o, "%s: %s", what, tern_strerror(err));
	}
	return err == TERN_ETIMEOUT ? CLI_TIMEOUT : CLI_ERR;
}

/* read_all() - everything from @f into a malloc'd buffer. */
static int
read_all(FILE *f, char **out, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *b = malloc(cap);

	while (b != NULL) {
		size_t r = fread(b + n, 1, cap - n, f);

		n += r;
		if (r == 0) {
			break;
		}
		if (n == cap) {
			char *nb =
			        cap > SIZE_MAX / 2 ? NULL : realloc(b, cap * 2);

			if (nb == NULL) {
				free(b);
				return -1;
			}
			b = nb;
			cap *= 2;
		}
	}
	if (b == NULL || ferror(f)) {
		free(b);
		return -1;
	}
	*out = b;
	*len = n;
	return 0;
}

int
cli_read_message(const struct cli_opts *o, char **out, size_t *len)
{
	FILE *f;
	int rc;

	switch (o->src) {
	case SRC_MESSAGE:
		*len = strlen(o->message);
		*out = strdup(o->message);
		return *out != NULL ? 0 : -1;
	case SRC_FILE:
		f = fopen(o->message, "rb");
		if (f == NULL) {
			cli_error(NULL, "Unable to read file \"%s\": %s.",
			          o->message, strerror(errno));
			return -1;
		}
		rc = read_all(f, out, len);
		/* (void): the file was only read; nothing is lost. */
		(void)fclose(f);
		if (rc != 0) {
			cli_error(NULL, "Unable to read file \"%s\".",
			          o->message);
		}
		return rc;
	case SRC_STDIN:
		rc = read_all(stdin, out, len);
		if (rc != 0) {
			cli_error(NULL, "Unable to read from stdin.");
		}
		return rc;
	default: /* -n */
		*out = strdup("");
		*len = 0;
		return *out != NULL ? 0 : -1;
	}
}

int
cli_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &set, NULL) != 0) {
		return -1;
	}
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}
