/*
 * publish.c - publish one message at QoS 1 and wait for the broker's
 * PUBACK; with MQTT 5 properties attached.
 *
 *   publish [host [port [topic [message]]]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tern/tern.h>

int
main(int argc, char **argv)
{
	const char *topic = argc > 3 ? argv[3] : "example/greeting";
	const char *text = argc > 4 ? argv[4] : "hello from libtern";
	struct tern_options o;
	struct tern_client *c;
	int err;

	/* Properties are a plain array: a content type, a user property. */
	struct tern_prop pv[] = {
	        {.id = TERN_PROP_CONTENT_TYPE,
	         .str = "text/plain",
	         .str_len = 10},
	        {.id = TERN_PROP_USER_PROPERTY,
	         .str = "sender",
	         .str_len = 6,
	         .val = "publish.c",
	         .val_len = 9},
	};

	tern_options_init(&o);
	o.host = argc > 1 ? argv[1] : "localhost";
	o.port = (uint16_t)(argc > 2 ? atoi(argv[2]) : 1883);
	o.version = TERN_MQTT5;

	if (tern_client_new(&o, &c) != 0 || tern_connect(c) != 0) {
		fprintf(stderr, "cannot connect\n");
		return 1;
	}

	/* Blocks until PUBACK (QoS 1); a refusal comes back as an error.
	 * tern_publish() is the short form for messages without properties. */
	struct tern_pub m = {.topic = topic,
	                     .payload = text,
	                     .len = strlen(text),
	                     .qos = 1,
	                     .props = {pv, 2}};

	err = tern_publish_ex(c, &m);
	if (err != 0) {
		fprintf(stderr, "publish failed: %s (reason %d)\n",
		        tern_strerror(err), tern_last_reason(c));
	} else {
		printf("published '%s' to %s\n", text, topic);
	}
	tern_disconnect(c);
	tern_client_free(c);
	return err == 0 ? 0 : 1;
}
