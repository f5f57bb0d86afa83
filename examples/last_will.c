/*
 * last_will.c - a last will: a message the broker publishes for a client
 * whose connection ends without a DISCONNECT (a crash, a lost network).
 *
 *   last_will [host [port]]
 *
 * A watcher subscribes to the will topic; a worker connects with a will
 * and then vanishes (its socket closes without DISCONNECT); the broker
 * publishes the will to the watcher.
 */
#include <stdio.h>
#include <stdlib.h>

#include <tern/tern.h>

int
main(int argc, char **argv)
{
	struct tern_options o;
	struct tern_client *watcher, *worker;
	struct tern_message *m;
	int rc = 1;

	tern_options_init(&o);
	o.host = argc > 1 ? argv[1] : "localhost";
	o.port = (uint16_t)(argc > 2 ? atoi(argv[2]) : 1883);
	if (tern_client_new(&o, &watcher) != 0 || tern_connect(watcher) != 0 ||
	    tern_subscribe(watcher, "example/workers/+/status", 1) < 0) {
		fprintf(stderr, "watcher cannot start\n");
		return 1;
	}

	/* The will is part of the worker's CONNECT. */
	o.client_id = "worker-7";
	o.will_topic = "example/workers/7/status";
	o.will_payload = "worker 7 went away";
	o.will_payload_len = 18;
	o.will_qos = 1;
	if (tern_client_new(&o, &worker) != 0 || tern_connect(worker) != 0) {
		fprintf(stderr, "worker cannot connect\n");
		return 1;
	}
	printf("worker connected with a will\n");

	/* Freeing the client without tern_disconnect() just closes the
	 * socket: to the broker this is an unexpected end. */
	tern_client_free(worker);

	if (tern_recv(watcher, 5000, &m) == 0) {
		printf("watcher got will on %s: %s\n", m->topic,
		       (const char *)m->payload);
		tern_message_free(m);
		rc = 0;
	}
	tern_disconnect(watcher);
	tern_client_free(watcher);
	return rc;
}
