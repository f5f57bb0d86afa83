/*
 * tern_rr.c - `tern rr`: request / response as mosquitto_rr does it.
 * Subscribe to the response topic (-e), publish the request to -t with
 * that Response Topic (MQTT 5, the default), print the first response,
 * exit. -W bounds the wait (exit 27 on timeout).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/clock.h"
#include "tern_cli.h"

/* request_props() - -D publish properties plus the Response Topic. */
static struct tern_prop *
request_props(const struct cli_opts *o, size_t *n)
{
	struct tern_prop *v = calloc(o->p_publish.n + 1, sizeof(*v));

	if (v == NULL) {
		return NULL;
	}
	if (o->p_publish.n > 0) {
		memcpy(v, o->p_publish.v, o->p_publish.n * sizeof(*v));
	}
	*n = o->p_publish.n;
	if (o->version == TERN_MQTT5) {
		v[*n].id = TERN_PROP_RESPONSE_TOPIC;
		v[*n].str = o->response_topic;
		v[*n].str_len = strlen(o->response_topic);
		(*n)++;
	}
	return v;
}

static int
send_request(const struct cli_opts *o, struct tern_client *c)
{
	struct tern_pub m = {o->topics.v[0], NULL,      0,
	                     o->qos,         o->retain, {NULL, 0}};
	char *msg = NULL;
	size_t len = 0;
	int err;

	if (cli_read_message(o, &msg, &len) != 0) {
		return CLI_ERR;
	}
	m.props.v = request_props(o, &m.props.n);
	if (m.props.v == NULL) {
		free(msg);
		return CLI_ERR;
	}
	m.payload = msg;
	m.len = len;
	err = tern_publish_ex(c, &m);
	free((void *)m.props.v);
	free(msg);
	return err == 0 ? 0 : cli_fail(o, c, "request not sent", err);
}

static int
subscribe_response(const struct cli_opts *o, struct tern_client *c)
{
	struct tern_sub s = {o->response_topic, o->qos, false, false, 0};
	struct tern_props props = {o->p_subscribe.v, o->p_subscribe.n};
	uint8_t rc = 0x80;
	int err = tern_subscribe_many(c, &s, 1, &props, &rc);

	if (err != 0) {
		return cli_fail(o, c, "subscribe failed", err);
	}
	if (rc >= 0x80) {
		cli_error(o, "subscription to '%s' refused: %s (0x%02x)",
		          o->response_topic, tern_reason_string(o->version, rc),
		          rc);
		return CLI_ERR;
	}
	return 0;
}

/* await_response() - print the first (fresh, with -R) response. */
static int
await_response(const struct cli_opts *o, struct tern_client *c)
{
	uint64_t end = o->timeout > 0 ? clock_mono_ms() + 1000u * o->timeout
	                              : UINT64_MAX;

	for (;;) {
		struct tern_message *m = NULL;
		uint64_t now = clock_mono_ms();
		int err = now >= end ? TERN_ETIMEOUT : 0;

		if (err == 0) {
			err = tern_recv(
			        c, end == UINT64_MAX ? -1 : (int)(end - now),
			        &m);
		}
		if (err == TERN_ETIMEOUT) {
			if (!o->quiet) {
				/* (void): the exit code (27) says it too. */
				(void)fputs("Timed out\n", stderr);
			}
			return CLI_TIMEOUT;
		}
		if (err != 0) {
			return cli_fail(o, c, "connection lost", err);
		}
		if (o->no_retained && m->retain) {
			tern_message_free(m);
			continue;
		}
		err = cli_print(o, m);
		tern_message_free(m);
		return err == 0 ? 0 : CLI_ERR;
	}
}

int
tern_rr_main(int argc, char **argv)
{
	struct cli_opts o;
	struct tern_client *c;
	struct tern_props dprops;
	int rc = cli_parse(&o, CMD_RR, "rr", argc, argv);

	if (rc != 0) {
		cli_opts_free(&o);
		return rc < 0 ? 0 : rc;
	}
	c = cli_client(&o, NULL, NULL);
	if (c == NULL) {
		cli_opts_free(&o);
		return CLI_ERR;
	}
	rc = cli_connect(&o, c);
	if (rc == 0) {
		rc = subscribe_response(&o, c);
	}
	if (rc == 0) {
		rc = send_request(&o, c);
	}
	if (rc == 0) {
		rc = await_response(&o, c);
	}
	dprops.v = o.p_disconnect.v;
	dprops.n = o.p_disconnect.n;
	if (tern_is_connected(c)) {
		(void)tern_disconnect_ex(c, 0, &dprops);
	}
	tern_client_free(c);
	cli_opts_free(&o);
	return rc;
}
