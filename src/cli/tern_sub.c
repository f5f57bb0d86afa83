/*
 * tern_sub.c - `tern sub`: subscribe and print, with the flags and exit
 * codes of mosquitto_sub. It runs on libtern's event API from its own
 * poll loop, which also watches a signalfd (SIGINT / SIGTERM end it
 * cleanly) and the -W deadline. Subscriptions are made in on_connect,
 * so they are made again after an automatic reconnect.
 */
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "../base/clock.h"
#include "../codec/mqtt.h"
#include "tern_cli.h"

struct sub_state {
	struct cli_opts *o;
	long received;
	bool done;
	int rc;
	bool sub_acked;
	bool unsub_acked;
};

static void
finish(struct sub_state *s, int rc)
{
	if (!s->done) {
		s->done = true;
		s->rc = rc;
	}
}

static void
on_connect(struct tern_client *c, void *arg, int reason, bool sp,
           const struct tern_props *props)
{
	struct sub_state *s = arg;
	struct cli_opts *o = s->o;
	struct tern_sub subs[64];
	struct tern_props sp_props = {o->p_subscribe.v, o->p_subscribe.n};
	struct tern_props up_props = {o->p_unsubscribe.v, o->p_unsubscribe.n};
	int err = 0;

	(void)sp;
	(void)props;
	if (reason != 0) {
		return; /* cli_connect() or the reconnect reports it */
	}
	for (size_t i = 0; i < o->topics.n && err == 0; i += 64) {
		size_t n = o->topics.n - i < 64 ? o->topics.n - i : 64;

		for (size_t k = 0; k < n; k++) {
			subs[k] = (struct tern_sub){o->topics.v[i + k], o->qos,
			                            o->no_local,
			                            o->retain_as_published, 0};
		}
		err = tern_subscribe_async(c, subs, n, &sp_props, NULL);
	}
	if (err == 0 && o->unsubscribe.n > 0) {
		err = tern_unsubscribe_async(c, o->unsubscribe.v,
		                             o->unsubscribe.n, &up_props, NULL);
	}
	if (err != 0) {
		cli_error(o, "subscribe failed: %s", tern_strerror(err));
		finish(s, CLI_ERR);
	}
	s->sub_acked = o->topics.n == 0;
	s->unsub_acked = o->unsubscribe.n == 0;
}

/* on_subscribe() - report refused filters; -E ends here. */
static void
on_subscribe(struct tern_client *c, void *arg, uint16_t mid, const uint8_t *rcs,
             size_t n, const struct tern_props *props)
{
	struct sub_state *s = arg;
	struct cli_opts *o = s->o;
	size_t refused = 0;

	(void)c;
	(void)props;
	if (o->debug && n > 0) {
		printf("Subscribed (mid: %u):", mid);
		for (size_t i = 0; i < n; i++) {
			printf(" %u", rcs[i]);
		}
		printf("\n");
		/* (void): the -d trace is best effort. */
		(void)fflush(stdout);
	}
	for (size_t i = 0; i < n; i++) {
		if (rcs[i] >= 0x80) {
			refused++;
			cli_error(
			        o, "subscription to '%s' refused: %s (0x%02x)",
			        i < o->topics.n ? o->topics.v[i] : "?",
			        tern_reason_string(o->version, rcs[i]), rcs[i]);
		}
	}
	if (n > 0 && refused == n) {
		finish(s, CLI_ERR);
	}
	s->sub_acked = n > 0;
	if (o->exit_after_sub && s->sub_acked && s->unsub_acked) {
		finish(s, 0);
	}
}

static void
on_unsubscribe(struct tern_client *c, void *arg, uint16_t mid,
               const uint8_t *rcs, size_t n, const struct tern_props *props)
{
	struct sub_state *s = arg;

	(void)c;
	(void)mid;
	(void)rcs;
	(void)props;
	s->unsub_acked = n > 0;
	if (s->o->exit_after_sub && s->sub_acked && s->unsub_acked) {
		finish(s, 0);
	}
}

static bool
filtered_out(const struct cli_opts *o, const struct tern_message *m)
{
	struct span t = span_make(m->topic, m->topic_len);

	for (size_t i = 0; i < o->filter_out.n; i++) {
		if (topic_match(span_str(o->filter_out.v[i]), t)) {
			return true;
		}
	}
	return false;
}

static void
on_message(struct tern_client *c, void *arg, const struct tern_message *m)
{
	struct sub_state *s = arg;
	struct cli_opts *o = s->o;

	if (s->done || filtered_out(o, m)) {
		return;
	}
	if (o->remove_retained && m->retain) {
		struct tern_pub clear = {m->topic, "", 0, 1, true, {NULL, 0}};

		/* (void): best effort, as mosquitto_sub does it. */
		(void)tern_publish_async(c, &clear, NULL);
	}
	if (o->retained_only && !m->retain) {
		finish(s, 0); /* the first fresh message ends the stale ones */
		return;
	}
	if (o->no_retained && m->retain) {
		return;
	}
	if (cli_print(o, m) != 0) {
		finish(s, CLI_ERR); /* stdout is gone: nobody to print for */
		return;
	}
	s->received++;
	if (o->count > 0 && s->received >= o->count) {
		finish(s, 0);
	}
}

static void
on_disconnect(struct tern_client *c, void *arg, int err, int reason,
              const struct tern_props *props)
{
	struct sub_state *s = arg;

	(void)props;
	if (err != 0 && s->o->debug) {
		printf("Connection lost: %s%s%s\n", tern_strerror(err),
		       reason >= 0 ? ", " : "",
		       reason >= 0 ? tern_reason_string(TERN_MQTT5, reason)
		                   : "");
		/* (void): the -d trace is best effort. */
		(void)fflush(stdout);
	}
	(void)c;
}

/* run() - the poll loop: socket, signals, -W. Returns the exit code. */
static int
run(struct sub_state *s, struct tern_client *c, int sfd)
{
	uint64_t end = s->o->timeout > 0
	                       ? clock_mono_ms() + 1000u * s->o->timeout
	                       : UINT64_MAX;

	while (!s->done) {
		struct pollfd p[2] = {{sfd, POLLIN, 0},
		                      {tern_fd(c), tern_events(c), 0}};
		uint64_t now = clock_mono_ms();
		int t = tern_timeout(c);
		int err;

		if (now >= end) {
			if (!s->o->quiet) {
				/* (void): the exit code (27) says it too. */
				(void)fputs("Timed out\n", stderr);
			}
			return CLI_TIMEOUT;
		}
		if (end != UINT64_MAX && (t < 0 || (uint64_t)t > end - now)) {
			t = (int)(end - now);
		}
		if (poll(p, 2, t) < 0) {
			continue; /* EINTR */
		}
		if ((p[0].revents & POLLIN) != 0) {
			return 0;
		}
		err = tern_io(c, p[1].revents);
		if (err != 0 && !s->done) {
			return cli_fail(s->o, c, "connection lost", err);
		}
	}
	return s->rc;
}

int
tern_sub_main(int argc, char **argv)
{
	struct cli_opts o;
	struct sub_state s = {0};
	struct tern_callbacks cb = {0};
	struct tern_props dprops;
	struct tern_client *c;
	int sfd, rc = cli_parse(&o, CMD_SUB, "sub", argc, argv);

	if (rc != 0) {
		cli_opts_free(&o);
		return rc < 0 ? 0 : rc;
	}
	s.o = &o;
	cb.on_connect = on_connect;
	cb.on_message = on_message;
	cb.on_subscribe = on_subscribe;
	cb.on_unsubscribe = on_unsubscribe;
	cb.on_disconnect = on_disconnect;
	sfd = cli_signals();
	c = cli_client(&o, &cb, &s);
	rc = c == NULL || sfd < 0 ? CLI_ERR : cli_connect(&o, c);
	if (rc == 0) {
		rc = run(&s, c, sfd);
		dprops.v = o.p_disconnect.v;
		dprops.n = o.p_disconnect.n;
		(void)tern_disconnect_ex(c, 0, &dprops);
	}
	tern_client_free(c);
	if (sfd >= 0) {
		close(sfd);
	}
	cli_opts_free(&o);
	return rc;
}
