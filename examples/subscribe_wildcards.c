/*
 * subscribe_wildcards.c - subscribe with wildcards and print what
 * arrives, driving libtern from an application's own poll() loop (the
 * event API).
 *
 *   subscribe_wildcards [host [port [count]]]
 *
 * '+' matches one topic level, '#' the rest of the tree:
 *   sensors/+/temperature  matches sensors/kitchen/temperature
 *   alerts/#               matches alerts, alerts/fire, alerts/a/b/c
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>

#include <tern/tern.h>

struct app {
	int wanted;
	int seen;
	int failed;
};

/* Subscribe from on_connect, so a reconnect subscribes again. */
static void
on_connect(struct tern_client *c, void *arg, int reason, bool sp,
           const struct tern_props *props)
{
	struct tern_sub subs[] = {
	        {.filter = "sensors/+/temperature", .qos = 1},
	        {.filter = "alerts/#", .qos = 1},
	};
	struct app *a = arg;

	(void)sp;
	(void)props;
	if (reason != 0 || tern_subscribe_async(c, subs, 2, NULL, NULL) != 0) {
		a->failed = 1;
	}
}

static void
on_subscribe(struct tern_client *c, void *arg, uint16_t mid, const uint8_t *rcs,
             size_t n, const struct tern_props *props)
{
	(void)c;
	(void)arg;
	(void)mid;
	(void)props;
	for (size_t i = 0; i < n; i++) {
		/* 0..2: the QoS granted; 0x80 and up: refused. */
		printf("filter %zu granted: %u\n", i, rcs[i]);
	}
	fflush(stdout);
}

static void
on_message(struct tern_client *c, void *arg, const struct tern_message *m)
{
	struct app *a = arg;

	(void)c;
	printf("%s: %.*s\n", m->topic, (int)m->payload_len,
	       (const char *)m->payload);
	fflush(stdout);
	a->seen++;
}

int
main(int argc, char **argv)
{
	struct app a = {argc > 3 ? atoi(argv[3]) : 3, 0, 0};
	struct tern_callbacks cb = {0};
	struct tern_options o;
	struct tern_client *c;

	tern_options_init(&o);
	o.host = argc > 1 ? argv[1] : "localhost";
	o.port = (uint16_t)(argc > 2 ? atoi(argv[2]) : 1883);
	if (tern_client_new(&o, &c) != 0) {
		return 1;
	}
	cb.on_connect = on_connect;
	cb.on_subscribe = on_subscribe;
	cb.on_message = on_message;
	tern_set_callbacks(c, &cb, &a);
	if (tern_connect_async(c) != 0) {
		fprintf(stderr, "cannot connect\n");
		tern_client_free(c);
		return 1;
	}

	/* The loop an application would have anyway: tern_fd() may change
	 * across reconnects, so ask for it every turn. */
	while (a.seen < a.wanted && !a.failed) {
		struct pollfd p = {tern_fd(c), tern_events(c), 0};

		poll(&p, p.fd >= 0 ? 1 : 0, tern_timeout(c));
		if (tern_io(c, p.revents) != 0) {
			a.failed = 1;
		}
	}
	tern_disconnect(c);
	tern_client_free(c);
	return a.failed;
}
