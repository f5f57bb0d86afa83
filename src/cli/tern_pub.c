/*
 * tern_pub.c - `tern pub`: publish one message (-m, -f, -s, -n), possibly
 * repeated, or one message per line of stdin (-l), with the flags and
 * exit codes of mosquitto_pub.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/clock.h"
#include "tern_cli.h"

/* publish_one() - blocking publish; 0 or an exit code after a message. */
static int
publish_one(const struct cli_opts *o, struct tern_client *c, const char *p,
            size_t len)
{
	struct tern_pub m = {
	        o->topics.v[0], p,         len,
	        o->qos,         o->retain, {o->p_publish.v, o->p_publish.n}};
	int err = tern_publish_ex(c, &m);
	int rc = tern_last_reason(c);

	if (err == 0) {
		return 0;
	}
	if (rc >= 0x80) {
		cli_error(o, "publish to '%s' refused: %s (reason code 0x%02x)",
		          o->topics.v[0], tern_reason_string(TERN_MQTT5, rc),
		          rc);
		return CLI_ERR;
	}
	return cli_fail(o, c, "publish failed", err);
}

/* idle_for() - keep the connection serviced for @seconds. */
static int
idle_for(struct tern_client *c, double seconds)
{
	uint64_t end = clock_mono_ms() + (uint64_t)(seconds * 1000.0);

	while (clock_mono_ms() < end) {
		int err = tern_loop(c, (int)(end - clock_mono_ms()));

		if (err != 0) {
			return err;
		}
	}
	return 0;
}

static int
pub_repeat(const struct cli_opts *o, struct tern_client *c)
{
	char *msg = NULL;
	size_t len = 0;
	int rc = 0;

	if (cli_read_message(o, &msg, &len) != 0) {
		return CLI_ERR;
	}
	for (long i = 0; i < o->repeat && rc == 0; i++) {
		if (i > 0 && o->repeat_delay > 0) {
			int err = idle_for(c, o->repeat_delay);

			if (err != 0) {
				rc = cli_fail(o, c, "connection lost", err);
				break;
			}
		}
		rc = publish_one(o, c, msg, len);
	}
	free(msg);
	return rc;
}

/* pub_lines() - -l: each line of stdin, without its newline, a message. */
static int
pub_lines(const struct cli_opts *o, struct tern_client *c)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc = 0;

	while (rc == 0 && (n = getline(&line, &cap, stdin)) >= 0) {
		if (n > 0 && line[n - 1] == '\n') {
			n--;
		}
		rc = publish_one(o, c, line, (size_t)n);
	}
	free(line);
	return rc;
}

int
tern_pub_main(int argc, char **argv)
{
	struct cli_opts o;
	struct tern_client *c;
	struct tern_props dprops;
	int rc = cli_parse(&o, CMD_PUB, "pub", argc, argv);

	if (rc != 0) {
		cli_opts_free(&o);
		return rc < 0 ? 0 : rc;
	}
	c = cli_client(&o, NULL, NULL);
	if (c == NULL) {
		cli_opts_free(&o);
		return CLI_ERR;
	}
	/* -l may wait on stdin for long: a thread keeps the connection up. */
	if (o.src == SRC_LINES && tern_loop_start(c) != 0) {
		rc = cli_fail(&o, c, "cannot start the network thread",
		              TERN_EIO);
	}
	if (rc == 0) {
		rc = cli_connect(&o, c);
	}
	if (rc == 0) {
		rc = o.src == SRC_LINES ? pub_lines(&o, c) : pub_repeat(&o, c);
		dprops.v = o.p_disconnect.v;
		dprops.n = o.p_disconnect.n;
		/* (void): the messages are out; a failed goodbye changes
		 * nothing for the caller. */
		(void)tern_disconnect_ex(c, 0, &dprops);
	}
	tern_client_free(c);
	cli_opts_free(&o);
	return rc;
}
