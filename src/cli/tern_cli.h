/*
 * tern_cli.h - what the `tern` subcommands share: the parsed command line
 * (the flags of mosquitto_pub, mosquitto_sub and mosquitto_rr), making and
 * connecting a client from it, printing messages, and exit codes.
 */
#ifndef TERN_CLI_TERN_CLI_H
#define TERN_CLI_TERN_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../include/tern/tern.h"

/* Exit codes, as mosquitto's clients use them. A refused CONNACK exits
 * with its reason code. */
enum cli_exit { CLI_OK = 0, CLI_ERR = 1, CLI_TIMEOUT = 27 };

/* Which subcommand a flag belongs to (bits). */
enum cli_cmd { CMD_PUB = 1, CMD_SUB = 2, CMD_RR = 4, CMD_ALL = 7 };

/* Where the message of pub / rr comes from. */
enum msg_src {
	SRC_NONE,
	SRC_MESSAGE, /* -m */
	SRC_FILE,    /* -f */
	SRC_STDIN,   /* -s */
	SRC_LINES,   /* -l */
	SRC_NULL     /* -n */
};

/* A growable list of properties given with -D for one packet type. */
struct prop_list {
	struct tern_prop *v;
	size_t n;
	size_t cap;
};

/* A growable list of strings (-t, -T, -U). */
struct str_list {
	const char **v;
	size_t n;
	size_t cap;
};

struct cli_opts {
	enum cli_cmd cmd;
	const char *name; /* "pub", "sub", "rr" */

	const char *host;
	int port;
	const char *bind_address;
	int version;
	bool version_set;
	const char *id;
	const char *id_prefix;
	const char *username;
	const char *password;
	int keepalive;
	bool clean;
	bool session_expiry_set;
	uint32_t session_expiry;
	int qos;
	bool retain;
	bool debug;
	bool quiet;

	const char *will_topic;
	const char *will_payload;
	int will_qos;
	bool will_retain;

	struct prop_list p_connect;
	struct prop_list p_publish;
	struct prop_list p_subscribe;
	struct prop_list p_unsubscribe;
	struct prop_list p_disconnect;
	struct prop_list p_will;

	struct str_list topics;
	struct str_list filter_out;
	struct str_list unsubscribe;

	enum msg_src src;
	const char *message; /* -m text or -f path */
	long repeat;
	double repeat_delay;

	long count;   /* -C, 0 = no limit */
	long timeout; /* -W seconds, 0 = none */
	bool verbose;
	bool no_eol;
	const char *format;
	bool pretty;
	bool no_retained;   /* -R */
	bool retained_only; /* --retained-only */
	bool remove_retained;
	bool retain_as_published;
	bool no_local;
	bool exit_after_sub; /* -E */

	const char *response_topic; /* rr -e */

	char id_buf[64];
};

/* cli_parse() - fill @o from argv (after the subcommand). 0, or an exit
 * code after printing the error (or the help: then -1 for exit 0). */
int cli_parse(struct cli_opts *o, enum cli_cmd cmd, const char *name, int argc,
              char **argv);
void cli_opts_free(struct cli_opts *o);
void cli_usage(enum cli_cmd cmd, const char *name);

/* cli_prop_add() - parse "-D command name value [value2]" at argv[i..].
 * Returns how many arguments it used (3 or 4), or -1 after an error. */
int cli_prop_add(struct cli_opts *o, int argc, char **argv, int i);

/* cli_client() - a client from @o with @cb, or NULL after an error. */
struct tern_client *cli_client(struct cli_opts *o,
                               const struct tern_callbacks *cb, void *arg);

/* cli_connect() - blocking connect; 0 or an exit code after a message. */
int cli_connect(struct cli_opts *o, struct tern_client *c);

/* cli_error() - one line "Error: ..." on stderr unless --quiet. */
void cli_error(const struct cli_opts *o, const char *fmt, ...)
#if defined(__GNUC__)
        __attribute__((format(printf, 2, 3)))
#endif
        ;

/* cli_fail() - report tern error @err of @what on @c; returns the code. */
int cli_fail(const struct cli_opts *o, struct tern_client *c, const char *what,
             int err);

/* cli_log() - the on_log callback: prints -d lines on stdout. */
void cli_log(struct tern_client *c, void *arg, const char *line);

/*
 * cli_print() - print @m as -v / -N / -F say, in one write. 0, or -1 when
 * stdout fails (a closed pipe) or memory runs out.
 */
int cli_print(const struct cli_opts *o, const struct tern_message *m);

/* cli_format_check() - 0 if -F @format has only known codes, else -1. */
int cli_format_check(const char *format);

/* cli_read_message() - the payload of -m / -f / -s / -n; caller frees. */
int cli_read_message(const struct cli_opts *o, char **out, size_t *len);

/* cli_signals() - block SIGINT/SIGTERM; a signalfd reporting them. */
int cli_signals(void);

int tern_pub_main(int argc, char **argv);
int tern_sub_main(int argc, char **argv);
int tern_rr_main(int argc, char **argv);
int tern_passwd_main(int argc, char **argv);
int tern_bench_main(int argc, char **argv);

#endif
