/*
 * qos_levels.c - the three qualities of service side by side. The client
 * subscribes to its own topic at QoS 2 and publishes one message at each
 * level; libtern's own thread runs the connection while main() waits.
 *
 *   qos_levels [host [port]]
 *
 *   QoS 0  PUBLISH                              at most once
 *   QoS 1  PUBLISH, PUBACK                      at least once
 *   QoS 2  PUBLISH, PUBREC, PUBREL, PUBCOMP     exactly once
 */
#include <stdio.h>
#include <stdlib.h>

#include <tern/tern.h>

/* on_publish runs on libtern's thread when a QoS 1/2 flow completes. */
static void
on_publish(struct tern_client *c, void *arg, uint16_t mid, int err, int reason,
           const struct tern_props *props)
{
	(void)c;
	(void)arg;
	(void)props;
	printf("flow of message %u complete: %s (reason %d)\n", mid,
	       tern_strerror(err), reason);
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	struct tern_callbacks cb = {.on_publish = on_publish};
	struct tern_options o;
	struct tern_client *c;
	int got = 0;

	tern_options_init(&o);
	o.host = argc > 1 ? argv[1] : "localhost";
	o.port = (uint16_t)(argc > 2 ? atoi(argv[2]) : 1883);
	o.version = TERN_MQTT5;
	if (tern_client_new(&o, &c) != 0) {
		return 1;
	}
	tern_set_callbacks(c, &cb, NULL);

	/* From here on libtern's thread owns the socket; the blocking calls
	 * below wait for it. */
	if (tern_loop_start(c) != 0 || tern_connect(c) != 0 ||
	    tern_subscribe(c, "example/qos", 2) != 2) {
		fprintf(stderr, "setup failed\n");
		tern_client_free(c);
		return 1;
	}
	for (int qos = 0; qos <= 2; qos++) {
		char text[32];
		int n = snprintf(text, sizeof text, "sent at QoS %d", qos);

		/* Returns once the flow of this QoS is complete. */
		if (tern_publish(c, "example/qos", text, (size_t)n, qos,
		                 false) != 0) {
			fprintf(stderr, "publish at QoS %d failed\n", qos);
		}
	}
	/* The broker delivers at min(published QoS, subscribed QoS). */
	while (got < 3) {
		struct tern_message *m;

		if (tern_recv(c, 5000, &m) != 0) {
			break;
		}
		printf("received '%s' at QoS %u\n", (const char *)m->payload,
		       m->qos);
		tern_message_free(m);
		got++;
	}
	tern_disconnect(c);
	tern_loop_stop(c);
	tern_client_free(c);
	return got == 3 ? 0 : 1;
}
