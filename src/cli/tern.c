/*
 * tern.c - the `tern` command: subcommand dispatch and usage texts.
 *
 *   tern pub ...   publish (the flags of mosquitto_pub)
 *   tern sub ...   subscribe and print (the flags of mosquitto_sub)
 *   tern rr ...    request / response (the flags of mosquitto_rr)
 *   tern bench ... load generator
 *   tern passwd .. password files (the flags of mosquitto_passwd)
 */
#include <stdio.h>
#include <string.h>

#include "tern_cli.h"

struct subcmd {
	const char *name;
	int (*main)(int argc, char **argv);
	const char *what;
};

#if !defined(TERN_HAVE_BENCH) || !defined(TERN_HAVE_PASSWD)
static int
not_yet(int argc, char **argv)
{
	(void)argc;
	/* (void) on writes to stdout/stderr: nowhere left to report them. */
	(void)fprintf(stderr, "tern %s: not implemented yet\n", argv[-1]);
	return CLI_ERR;
}
#endif

static const struct subcmd subcmds[] = {
        {"pub", tern_pub_main, "publish a message"},
        {"sub", tern_sub_main, "subscribe to topics and print messages"},
        {"rr", tern_rr_main, "publish a request and wait for the response"},
#ifdef TERN_HAVE_BENCH
        {"bench", tern_bench_main, "measure a broker: throughput, latency"},
#else
        {"bench", not_yet, "measure a broker (not built)"},
#endif
#ifdef TERN_HAVE_PASSWD
        {"passwd", tern_passwd_main, "manage a mosquitto_passwd file"},
#else
        {"passwd", not_yet, "manage a password file (not built: no auth/)"},
#endif
};

static const char usage_common[] =
        "Connection:\n"
        "  -h host        broker host (localhost)\n"
        "  -p port        broker port (1883)\n"
        "  -A address     bind the local end of the connection\n"
        "  -V version     mqttv5 | mqttv311 | mqttv31 (or 5 | 311 | 31)\n"
        "  -i id          client id; -I prefix: prefix + process id\n"
        "  -u user        user name;  -P password\n"
        "  -k seconds     keep-alive (60)\n"
        "  -c             no clean session (needs -i); -x session expiry\n"
        "  -q qos         0, 1 or 2\n"
        "  -D command name value [value]\n"
        "                 MQTT 5 property for connect, publish, subscribe,\n"
        "                 unsubscribe, disconnect or will\n"
        "  --will-topic t --will-payload p --will-qos q --will-retain\n"
        "  -d             print the protocol exchange;  --quiet: no errors\n"
        "  --help         this text\n";

static const char usage_pub[] =
        "Usage: tern pub -t topic {-m message | -f file | -s | -l | -n}\n"
        "                [-r] [--repeat n [--repeat-delay s]] [options]\n"
        "  -t topic       topic to publish to\n"
        "  -m message     the message;  -f file: a file's contents\n"
        "  -s             all of stdin as one message;  -l: one per line\n"
        "  -n             a zero-length message\n"
        "  -r             retain\n";

static const char usage_sub[] =
        "Usage: tern sub -t filter... [-T filter...] [-U filter...] "
        "[options]\n"
        "  -t filter      subscribe (repeatable)\n"
        "  -T filter      do not print topics matching filter (repeatable)\n"
        "  -U filter      unsubscribe (repeatable)\n"
        "  -C count       exit after count messages\n"
        "  -W seconds     exit after seconds (exit code 27)\n"
        "  -E             exit once the subscriptions are acknowledged\n"
        "  -R             do not print retained (stale) messages\n"
        "  --retained-only  print retained messages only; exit at the "
        "first fresh one\n"
        "  --remove-retained  clear the retained messages received\n"
        "  --retain-as-published, --no-local  subscription options (5)\n"
        "  -v             print topic and payload;  -N: no newline\n"
        "  -F format      output format (%t topic, %p payload, %q, %r, %m,\n"
        "                 %l, %x, %X, %j, %J, %I, %U, %C, %D, %E, %F, %P,\n"
        "                 %R, %S, %A; @ strftime codes; \\ escapes)\n";

static const char usage_rr[] =
        "Usage: tern rr -t topic -e response-topic {-m msg | -f file | -s "
        "| -n}\n"
        "               [-W seconds] [-v] [-N] [-F format] [options]\n"
        "  -t topic       request topic;  -e topic: response topic\n"
        "  -W seconds     give up after seconds (exit code 27)\n"
        "  MQTT 5 is the default here; the request carries the response\n"
        "  topic as its Response Topic property.\n";

void
cli_usage(enum cli_cmd cmd, const char *name)
{
	(void)name;
	/* (void): a failed usage text is not worth a second error. */
	(void)fputs(cmd == CMD_PUB   ? usage_pub
	            : cmd == CMD_SUB ? usage_sub
	                             : usage_rr,
	            stdout);
	(void)fputs(usage_common, stdout);
	printf("\nExit status: 0 on success; the CONNACK code when the broker "
	       "refuses the\nconnection; 27 on a timeout; 1 otherwise.\n");
}

static void
usage(FILE *f)
{
	/* (void): as for cli_usage(). */
	(void)fprintf(f,
	              "tern %s - MQTT command-line client\n\n"
	              "Usage: tern <command> [options]   "
	              "(tern <command> --help for its options)\n\n",
	              TERN_VERSION);
	for (size_t i = 0; i < sizeof subcmds / sizeof subcmds[0]; i++) {
		(void)fprintf(f, "  %-8s %s\n", subcmds[i].name,
		              subcmds[i].what);
	}
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return CLI_ERR;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("tern %s\n", TERN_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof subcmds / sizeof subcmds[0]; i++) {
		if (strcmp(argv[1], subcmds[i].name) == 0) {
			return subcmds[i].main(argc - 2, argv + 2);
		}
	}
	/* (void): nowhere left to report a failed stderr. */
	(void)fprintf(stderr, "Error: unknown command '%s'.\n\n", argv[1]);
	usage(stderr);
	return CLI_ERR;
}
