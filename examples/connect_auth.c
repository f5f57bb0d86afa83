/*
 * connect_auth.c - connect with a user name and password, report what the
 * broker said, disconnect.
 *
 *   connect_auth [host [port [username [password]]]]
 *
 * Uses the blocking API: tern_connect() returns once the CONNACK is in.
 */
#include <stdio.h>
#include <stdlib.h>

#include <tern/tern.h>

int
main(int argc, char **argv)
{
	struct tern_options o;
	struct tern_client *c;
	int err;

	/* Start from the defaults, then say what differs. */
	tern_options_init(&o);
	o.host = argc > 1 ? argv[1] : "localhost";
	o.port = (uint16_t)(argc > 2 ? atoi(argv[2]) : 1883);
	o.username = argc > 3 ? argv[3] : "demo";
	o.password = argc > 4 ? argv[4] : "secret";
	o.client_id = "example-connect";
	o.version = TERN_MQTT5;

	err = tern_client_new(&o, &c);
	if (err != 0) {
		fprintf(stderr, "bad options: %s\n", tern_strerror(err));
		return 1;
	}

	err = tern_connect(c);
	if (err != 0) {
		/*
		 * A refusal carries a reason code (e.g. 0x86 bad user name or
		 * password); anything else is a network problem.
		 */
		int rc = tern_last_reason(c);

		if (rc > 0) {
			fprintf(stderr, "refused: %s (0x%02x)\n",
			        tern_reason_string(TERN_MQTT5, rc), rc);
		} else {
			fprintf(stderr, "cannot connect: %s\n",
			        tern_error_detail(c));
		}
		tern_client_free(c);
		return 1;
	}
	printf("connected as %s, session present: %s\n", tern_client_id(c),
	       tern_session_present(c) ? "yes" : "no");

	/* A clean end: DISCONNECT, so the broker drops no will. */
	tern_disconnect(c);
	tern_client_free(c);
	return 0;
}
