/*
 * retained.c - retained messages: the broker keeps the last retained
 * message of a topic and gives it to every new subscriber at once, with
 * the retain flag set. An empty retained message clears it.
 *
 *   retained [host [port]]
 */
#include <stdio.h>
#include <stdlib.h>

#include <tern/tern.h>

static struct tern_client *
connect_to(const char *host, uint16_t port)
{
	struct tern_options o;
	struct tern_client *c;

	tern_options_init(&o);
	o.host = host;
	o.port = port;
	if (tern_client_new(&o, &c) != 0) {
		return NULL;
	}
	if (tern_connect(c) != 0) {
		tern_client_free(c);
		return NULL;
	}
	return c;
}

int
main(int argc, char **argv)
{
	const char *host = argc > 1 ? argv[1] : "localhost";
	uint16_t port = (uint16_t)(argc > 2 ? atoi(argv[2]) : 1883);
	const char *topic = "example/status";
	struct tern_client *pub, *sub;
	struct tern_message *m;
	int rc = 1;

	pub = connect_to(host, port);
	if (pub == NULL) {
		return 1;
	}
	/* The last known value, kept by the broker (retain = true). */
	tern_publish(pub, topic, "online", 6, 1, true);

	/* A subscriber that arrives later still gets it, flagged retained. */
	sub = connect_to(host, port);
	if (sub != NULL && tern_subscribe(sub, topic, 1) >= 0 &&
	    tern_recv(sub, 5000, &m) == 0) {
		printf("late subscriber got '%s', retain flag %d\n",
		       (const char *)m->payload, m->retain);
		rc = m->retain ? 0 : 1;
		tern_message_free(m);
	}

	/* An empty retained message removes it. */
	tern_publish(pub, topic, NULL, 0, 1, true);
	printf("retained message cleared\n");

	if (sub != NULL) {
		tern_disconnect(sub);
		tern_client_free(sub);
	}
	tern_disconnect(pub);
	tern_client_free(pub);
	return rc;
}
