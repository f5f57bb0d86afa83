/*
 * config_test.c - mosquitto.conf parsing: every directive, messages with
 * file and line, listeners, include_dir, defaults, allocation failures.
 */
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/test.h"
#include "config.h"

#define ERRLEN 512

static int
parse(struct config *c, const char *text, char *err)
{
	config_init(c);
	return config_parse(c, text, strlen(text), "t.conf", err, ERRLEN);
}

/* Parse @text and finish; the error of whichever failed. */
static int
parse_finish(struct config *c, const char *text, char *err)
{
	int e = parse(c, text, err);

	return e != 0 ? e : config_finish(c, err, ERRLEN);
}

static void
test_defaults(void)
{
	struct config c;

	config_init(&c);
	T_CHECK_INT(c.n_listeners, 0);
	T_CHECK_INT(c.port, 1883);
	T_CHECK(c.bind_address == NULL);
	T_CHECK_INT(c.max_connections, -1);
	T_CHECK(!c.allow_anonymous_set);
	T_CHECK(c.password_file == NULL);
	T_CHECK(c.acl_file == NULL);
	T_CHECK_INT(c.max_inflight_messages, 20);
	T_CHECK_INT(c.max_queued_messages, 1000);
	T_CHECK_INT(c.max_queued_bytes, 0);
	T_CHECK(!c.queue_qos0_messages);
	T_CHECK_INT(c.message_size_limit, 0);
	T_CHECK_INT(c.max_packet_size, 0);
	T_CHECK_INT(c.max_keepalive, 65535);
	T_CHECK(c.retain_available);
	T_CHECK_INT(c.persistent_client_expiration, 0);
	T_CHECK_INT(c.sys_interval, 10);
	T_CHECK_INT(c.log_type, CONFIG_LOG_ERR | CONFIG_LOG_WARN |
	                                CONFIG_LOG_NOTICE | CONFIG_LOG_INFO);
	T_CHECK(strcmp(c.log_dest, "stderr") == 0);
	T_CHECK(c.log_timestamp);
	T_CHECK_INT(c.workers, 0);
	T_CHECK_INT(c.connect_timeout, 10);
	T_CHECK(!c.persistence);
	T_CHECK(strcmp(c.persistence_location, "./tern-data/") == 0);
	T_CHECK(c.warnings == NULL);
	config_fini(&c);
}

/* A value that lands in a field: what it is and what it must read. */
struct good_case {
	const char *text;
	size_t off;
	char kind; /* 'b' bool, 'l' long, 'L' long long, 's' string */
	long long want;
	const char *want_s;
};

#define OFF(f) offsetof(struct config, f)

static const struct good_case good_cases[] = {
        {"allow_anonymous true", OFF(allow_anonymous), 'b', 1, NULL},
        {"allow_anonymous false", OFF(allow_anonymous), 'b', 0, NULL},
        {"password_file /etc/tern/passwd", OFF(password_file), 's', 0,
         "/etc/tern/passwd"},
        {"password_file /a b/pw file", OFF(password_file), 's', 0,
         "/a b/pw file"},
        {"acl_file /etc/tern/acl", OFF(acl_file), 's', 0, "/etc/tern/acl"},
        {"bind_address 10.1.2.3", OFF(bind_address), 's', 0, "10.1.2.3"},
        {"max_connections 100", OFF(max_connections), 'l', 100, NULL},
        {"max_connections -1", OFF(max_connections), 'l', -1, NULL},
        {"max_inflight_messages 0", OFF(max_inflight_messages), 'l', 0, NULL},
        {"max_inflight_messages 65535", OFF(max_inflight_messages), 'l', 65535,
         NULL},
        {"max_queued_messages 0", OFF(max_queued_messages), 'l', 0, NULL},
        {"max_queued_messages 5000", OFF(max_queued_messages), 'l', 5000, NULL},
        {"max_queued_bytes 1048576", OFF(max_queued_bytes), 'L', 1048576, NULL},
        {"max_queued_bytes 9000000000", OFF(max_queued_bytes), 'L',
         9000000000LL, NULL},
        {"queue_qos0_messages true", OFF(queue_qos0_messages), 'b', 1, NULL},
        {"message_size_limit 0", OFF(message_size_limit), 'L', 0, NULL},
        {"message_size_limit 268435455", OFF(message_size_limit), 'L',
         268435455, NULL},
        {"max_packet_size 0", OFF(max_packet_size), 'L', 0, NULL},
        {"max_packet_size 20", OFF(max_packet_size), 'L', 20, NULL},
        {"max_packet_size 268435460", OFF(max_packet_size), 'L', 268435460,
         NULL},
        {"max_keepalive 0", OFF(max_keepalive), 'l', 0, NULL},
        {"max_keepalive 10", OFF(max_keepalive), 'l', 10, NULL},
        {"max_keepalive 65535", OFF(max_keepalive), 'l', 65535, NULL},
        {"retain_available false", OFF(retain_available), 'b', 0, NULL},
        {"persistent_client_expiration 90s", OFF(persistent_client_expiration),
         'L', 90, NULL},
        {"persistent_client_expiration 1h", OFF(persistent_client_expiration),
         'L', 3600, NULL},
        {"persistent_client_expiration 2d", OFF(persistent_client_expiration),
         'L', 2LL * 86400, NULL},
        {"persistent_client_expiration 3w", OFF(persistent_client_expiration),
         'L', 3LL * 7 * 86400, NULL},
        {"persistent_client_expiration 1m", OFF(persistent_client_expiration),
         'L', 30LL * 86400, NULL},
        {"persistent_client_expiration 1y", OFF(persistent_client_expiration),
         'L', 365LL * 86400, NULL},
        {"persistent_client_expiration 1000y",
         OFF(persistent_client_expiration), 'L', 1000LL * 365 * 86400, NULL},
        {"sys_interval 0", OFF(sys_interval), 'l', 0, NULL},
        {"sys_interval 65535", OFF(sys_interval), 'l', 65535, NULL},
        {"log_timestamp false", OFF(log_timestamp), 'b', 0, NULL},
        {"persistence true", OFF(persistence), 'b', 1, NULL},
        {"persistence_location /var/lib/tern/", OFF(persistence_location), 's',
         0, "/var/lib/tern/"},
        {"workers 0", OFF(workers), 'l', 0, NULL},
        {"workers 16", OFF(workers), 'l', 16, NULL},
        {"connect_timeout 1", OFF(connect_timeout), 'l', 1, NULL},
        {"connect_timeout 3600", OFF(connect_timeout), 'l', 3600, NULL},
        /* A comment after a one-word value. */
        {"max_inflight_messages 5 # five", OFF(max_inflight_messages), 'l', 5,
         NULL},
        {"max_inflight_messages\t7", OFF(max_inflight_messages), 'l', 7, NULL},
        {"port 8883", OFF(port), 'p', 8883, NULL},
        {"port 1", OFF(port), 'p', 1, NULL},
        {"port 65535", OFF(port), 'p', 65535, NULL},
};

static int
check_good(const struct good_case *g)
{
	char err[ERRLEN];
	struct config c;
	const char *f;
	int ok;

	if (parse(&c, g->text, err) != 0) {
		fprintf(stderr, "%s: %s\n", g->text, err);
		config_fini(&c);
		return 0;
	}
	f = (const char *)&c + g->off;
	switch (g->kind) {
	case 'b':
		ok = *(const bool *)f == (g->want != 0);
		break;
	case 'l':
		ok = *(const long *)f == g->want;
		break;
	case 'L':
		ok = *(const long long *)f == g->want;
		break;
	case 'p':
		ok = *(const uint16_t *)f == g->want;
		break;
	default:
		ok = strcmp(*(char *const *)f, g->want_s) == 0;
		break;
	}
	if (!ok) {
		fprintf(stderr, "%s: wrong value\n", g->text);
	}
	config_fini(&c);
	return ok;
}

static void
test_good_values(void)
{
	for (size_t i = 0; i < sizeof good_cases / sizeof good_cases[0]; i++) {
		T_CHECK(check_good(&good_cases[i]));
	}
}

/* Text and the exact message it must produce. */
struct bad_case {
	const char *text;
	const char *msg;
};

static const struct bad_case bad_cases[] = {
        {"foo bar", "t.conf:1: unknown directive 'foo'"},
        {"\n\n  Listener 1883", "t.conf:3: unknown directive 'Listener'"},
        {"allow_anonymous yes",
         "t.conf:1: allow_anonymous: expected true or false, got 'yes'"},
        {"allow_anonymous TRUE",
         "t.conf:1: allow_anonymous: expected true or false, got 'TRUE'"},
        {"allow_anonymous", "t.conf:1: allow_anonymous: missing value"},
        {"allow_anonymous true false",
         "t.conf:1: allow_anonymous: unexpected 'false' after the value"},
        {"password_file", "t.conf:1: password_file: missing value"},
        {"acl_file", "t.conf:1: acl_file: missing value"},
        {"bind_address", "t.conf:1: bind_address: missing value"},
        {"port 0", "t.conf:1: port: port 0 is out of range (1..65535)"},
        {"port 65536", "t.conf:1: port: port 65536 is out of range (1..65535)"},
        {"port http", "t.conf:1: port: expected a whole number, got 'http'"},
        {"port", "t.conf:1: port: missing value"},
        {"max_connections -2",
         "t.conf:1: max_connections: -2 is out of range (-1..2147483647)"},
        {"max_connections many",
         "t.conf:1: max_connections: expected a whole number, got 'many'"},
        {"max_inflight_messages -1",
         "t.conf:1: max_inflight_messages: -1 is out of range (0..65535)"},
        {"max_inflight_messages 65536",
         "t.conf:1: max_inflight_messages: 65536 is out of range (0..65535)"},
        {"max_inflight_messages 20 30",
         "t.conf:1: max_inflight_messages: unexpected '30' after the value"},
        {"max_inflight_messages", "t.conf:1: max_inflight_messages: missing "
                                  "value"},
        {"max_queued_messages -5",
         "t.conf:1: max_queued_messages: -5 is out of range (0..2147483647)"},
        {"max_queued_bytes -1", "t.conf:1: max_queued_bytes: -1 is out of "
                                "range (0..9223372036854775807)"},
        {"max_queued_bytes 1kb",
         "t.conf:1: max_queued_bytes: expected a whole number, got '1kb'"},
        {"max_queued_bytes 99999999999999999999",
         "t.conf:1: max_queued_bytes: 99999999999999999999 is out of range"},
        {"queue_qos0_messages 1",
         "t.conf:1: queue_qos0_messages: expected true or false, got '1'"},
        {"message_size_limit 268435456", "t.conf:1: message_size_limit: "
                                         "268435456 is out of range "
                                         "(0..268435455)"},
        {"message_size_limit 10kB",
         "t.conf:1: message_size_limit: expected a whole number, got '10kB'"},
        {"max_packet_size 19", "t.conf:1: max_packet_size: 19 is out of range "
                               "(0 or 20..268435460)"},
        {"max_packet_size 268435461", "t.conf:1: max_packet_size: 268435461 "
                                      "is out of range (0 or 20..268435460)"},
        {"max_keepalive 5",
         "t.conf:1: max_keepalive: 5 is out of range (0 or 10..65535)"},
        {"max_keepalive 70000",
         "t.conf:1: max_keepalive: 70000 is out of range (0 or 10..65535)"},
        {"retain_available no",
         "t.conf:1: retain_available: expected true or false, got 'no'"},
        {"persistent_client_expiration 2",
         "t.conf:1: persistent_client_expiration: expected a count and a unit "
         "h, d, w, m or y (as in 14d), got '2'"},
        {"persistent_client_expiration 2x",
         "t.conf:1: persistent_client_expiration: expected a count and a unit "
         "h, d, w, m or y (as in 14d), got '2x'"},
        {"persistent_client_expiration 0d",
         "t.conf:1: persistent_client_expiration: expected a count and a unit "
         "h, d, w, m or y (as in 14d), got '0d'"},
        {"persistent_client_expiration 1H",
         "t.conf:1: persistent_client_expiration: expected a count and a unit "
         "h, d, w, m or y (as in 14d), got '1H'"},
        {"persistent_client_expiration 1d2",
         "t.conf:1: persistent_client_expiration: expected a count and a unit "
         "h, d, w, m or y (as in 14d), got '1d2'"},
        {"persistent_client_expiration 1001y",
         "t.conf:1: persistent_client_expiration: 1001y is too long"},
        {"persistent_client_expiration 99999999999999999999h",
         "t.conf:1: persistent_client_expiration: 99999999999999999999h is "
         "too long"},
        {"sys_interval -1",
         "t.conf:1: sys_interval: -1 is out of range (0..65535)"},
        {"sys_interval 65536",
         "t.conf:1: sys_interval: 65536 is out of range (0..65535)"},
        {"log_timestamp 0",
         "t.conf:1: log_timestamp: expected true or false, got '0'"},
        {"persistence on",
         "t.conf:1: persistence: expected true or false, got 'on'"},
        {"persistence_location", "t.conf:1: persistence_location: missing "
                                 "value"},
        {"workers -1", "t.conf:1: workers: -1 is out of range (0..1024)"},
        {"workers 1025", "t.conf:1: workers: 1025 is out of range (0..1024)"},
        {"connect_timeout 0",
         "t.conf:1: connect_timeout: 0 is out of range (1..3600)"},
        {"connect_timeout 3601",
         "t.conf:1: connect_timeout: 3601 is out of range (1..3600)"},
        {"log_type bogus",
         "t.conf:1: log_type: expected error, warning, notice, information, "
         "debug, subscribe, unsubscribe, websockets, all or none, got 'bogus'"},
        {"log_type", "t.conf:1: log_type: missing value"},
        {"log_dest bogus",
         "t.conf:1: log_dest: expected stderr, stdout, file PATH, syslog, "
         "topic, dlt or none, got 'bogus'"},
        {"log_dest", "t.conf:1: log_dest: missing value"},
        {"log_dest file", "t.conf:1: log_dest file: missing path"},
        {"log_dest file  ", "t.conf:1: log_dest file: missing path"},
        {"log_dest stdout stderr",
         "t.conf:1: log_dest stdout: unexpected words after it"},
        {"log_dest file /a\nlog_dest file /b",
         "t.conf:2: log_dest file: only one file may be given"},
        {"include_dir", "t.conf:1: include_dir: missing directory"},
        {"protocol websockets", "t.conf:1: protocol websockets: not supported "
                                "yet"},
        {"protocol mqttsn",
         "t.conf:1: protocol: expected mqtt or websockets, got 'mqttsn'"},
        {"listener", "t.conf:1: listener: missing port"},
        {"listener 0", "t.conf:1: listener: port 0 is out of range (1..65535)"},
        {"listener 65536",
         "t.conf:1: listener: port 65536 is out of range (1..65535)"},
        {"listener 0 /run/tern.sock",
         "t.conf:1: listener: unix sockets are not supported yet"},
        {"listener 1883 127.0.0.1 extra",
         "t.conf:1: listener: unexpected 'extra' after the address"},
        {"listener 1883\nlistener 1883",
         "t.conf:2: listener 1883: the address is already taken by the "
         "listener declared at line 1"},
        {"listener 1883 127.0.0.1\n\nlistener 1883",
         "t.conf:3: listener 1883: the address is already taken by the "
         "listener declared at line 1"},
        {"listener 1883 ::1\nlistener 1883 ::1",
         "t.conf:2: listener 1883: the address is already taken by the "
         "listener declared at line 1"},
        /* Only mosquitto's default value. */
        {"per_listener_settings true",
         "t.conf:1: per_listener_settings true: per-listener security "
         "settings are not supported yet"},
        {"upgrade_outgoing_qos true",
         "t.conf:1: upgrade_outgoing_qos true: upgrading QoS is not "
         "supported (MQTT forbids it)"},
        {"max_inflight_bytes 100",
         "t.conf:1: max_inflight_bytes 100: a byte limit on inflight "
         "messages is not supported yet"},
        {"max_qos 1", "t.conf:1: max_qos 1: limiting QoS is not supported "
                      "yet"},
        {"memory_limit -5", "t.conf:1: memory_limit: -5 is out of range "
                            "(0..9223372036854775807)"},
        {"max_client_id_length 22",
         "t.conf:1: max_client_id_length: 22 is out of range (23..65535)"},
        {"max_topic_levels 0",
         "t.conf:1: max_topic_levels: 0 is out of range (1..65535)"},
        {"max_pending_connections 0",
         "t.conf:1: max_pending_connections: 0 is out of range "
         "(1..2147483647)"},
        {"queue_full_action drop_random",
         "t.conf:1: queue_full_action: expected drop_newest or drop_oldest, "
         "got 'drop_random'"},
        {"use_username_as_clientid true",
         "t.conf:1: use_username_as_clientid true: not supported yet"},
        {"require_certificate true",
         "t.conf:1: require_certificate true: TLS is not supported yet"},
        {"use_identity_as_username true",
         "t.conf:1: use_identity_as_username true: TLS is not supported yet"},
        {"use_subject_as_username true",
         "t.conf:1: use_subject_as_username true: TLS is not supported yet"},
        /* Ignored ones still check their value. */
        {"autosave_interval soon",
         "t.conf:1: autosave_interval: expected a whole number, got 'soon'"},
        {"log_facility 8", "t.conf:1: log_facility: 8 is out of range (0..7)"},
        {"pid_file", "t.conf:1: pid_file: missing value"},
        {"user", "t.conf:1: user: missing value"},
        /* Refused. */
        {"cafile /etc/ca.pem", "t.conf:1: cafile: TLS is not supported yet"},
        {"certfile /c", "t.conf:1: certfile: TLS is not supported yet"},
        {"keyfile /k", "t.conf:1: keyfile: TLS is not supported yet"},
        {"psk_hint x", "t.conf:1: psk_hint: TLS is not supported yet"},
        {"connection br", "t.conf:1: connection: bridges are not supported "
                          "yet"},
        {"bridge_insecure true",
         "t.conf:1: bridge_insecure: bridges are not supported yet"},
        {"topic # both", "t.conf:1: topic: bridges are not supported yet"},
        {"auth_plugin /x.so", "t.conf:1: auth_plugin: plugins are not "
                              "supported yet"},
        {"auth_opt_db x", "t.conf:1: auth_opt_db: plugins are not supported "
                          "yet"},
        {"plugin_opt_x y", "t.conf:1: plugin_opt_x: plugins are not "
                           "supported yet"},
        {"mount_point a/", "t.conf:1: mount_point: not supported yet"},
        {"allow_zero_length_clientid true",
         "t.conf:1: allow_zero_length_clientid: not supported yet"},
        {"http_dir /www", "t.conf:1: http_dir: websockets are not supported "
                          "yet"},
        /* Lines. */
        {"listener 1883\nmax_connections 5\nfoo",
         "t.conf:3: unknown directive 'foo'"},
};

static void
test_bad_values(void)
{
	for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
		const struct bad_case *b = &bad_cases[i];
		char err[ERRLEN] = "";
		struct config c;
		int e = parse(&c, b->text, err);

		config_fini(&c);
		if (e != TERN_ECONFIG || strcmp(err, b->msg) != 0) {
			fprintf(stderr, "case %zu: %d '%s'\n", i, e, err);
		}
		T_CHECK_INT(e, TERN_ECONFIG);
		T_CHECK(strcmp(err, b->msg) == 0);
	}
}

/* Every directive mosquitto 2.0.11 knows is known here too. */
static void
test_every_mosquitto_directive(void)
{
	static const char *const names[] = {
	        "acl_file",
	        "address",
	        "addresses",
	        "allow_anonymous",
	        "allow_duplicate_messages",
	        "allow_zero_length_clientid",
	        "auth_opt_db",
	        "auth_plugin",
	        "auth_plugin_deny_special_chars",
	        "auto_id_prefix",
	        "autosave_interval",
	        "autosave_on_changes",
	        "bind_address",
	        "bind_interface",
	        "bridge_alpn",
	        "bridge_attempt_unsubscribe",
	        "bridge_bind_address",
	        "bridge_cafile",
	        "bridge_capath",
	        "bridge_certfile",
	        "bridge_identity",
	        "bridge_insecure",
	        "bridge_keyfile",
	        "bridge_max_packet_size",
	        "bridge_outgoing_retain",
	        "bridge_protocol_version",
	        "bridge_psk",
	        "bridge_require_ocsp",
	        "bridge_tls_version",
	        "cafile",
	        "capath",
	        "certfile",
	        "check_retain_source",
	        "ciphers",
	        "ciphers_tls1.3",
	        "cleansession",
	        "clientid",
	        "clientid_prefixes",
	        "connection",
	        "connection_messages",
	        "crlfile",
	        "dhparamfile",
	        "http_dir",
	        "idle_timeout",
	        "include_dir",
	        "keepalive_interval",
	        "keyfile",
	        "listener",
	        "local_cleansession",
	        "local_clientid",
	        "local_password",
	        "local_username",
	        "log_dest",
	        "log_facility",
	        "log_timestamp",
	        "log_timestamp_format",
	        "log_type",
	        "max_connections",
	        "max_inflight_bytes",
	        "max_inflight_messages",
	        "max_keepalive",
	        "max_packet_size",
	        "max_qos",
	        "max_queued_bytes",
	        "max_queued_messages",
	        "max_topic_alias",
	        "memory_limit",
	        "message_size_limit",
	        "mount_point",
	        "notification_topic",
	        "notifications",
	        "notifications_local_only",
	        "password",
	        "password_file",
	        "per_listener_settings",
	        "persistence",
	        "persistence_file",
	        "persistence_location",
	        "persistent_client_expiration",
	        "pid_file",
	        "plugin",
	        "plugin_opt_x",
	        "port",
	        "protocol",
	        "psk_file",
	        "psk_hint",
	        "queue_qos0_messages",
	        "remote_clientid",
	        "remote_password",
	        "remote_username",
	        "require_certificate",
	        "restart_timeout",
	        "retain_available",
	        "retry_interval",
	        "round_robin",
	        "set_tcp_nodelay",
	        "socket_domain",
	        "start_type",
	        "sys_interval",
	        "threshold",
	        "tls_engine",
	        "tls_engine_kpass_sha1",
	        "tls_keyform",
	        "tls_version",
	        "topic",
	        "try_private",
	        "upgrade_outgoing_qos",
	        "use_identity_as_username",
	        "use_subject_as_username",
	        "use_username_as_clientid",
	        "user",
	        "username",
	        "websockets_headers_size",
	        "websockets_log_level",
	};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		char text[64], err[ERRLEN] = "";
		struct config c;

		(void)snprintf(text, sizeof text, "%s\n", names[i]);
		(void)parse(&c, text, err); /* most want a value */
		config_fini(&c);
		if (strstr(err, "unknown directive") != NULL) {
			fprintf(stderr, "%s\n", err);
		}
		T_CHECK(strstr(err, "unknown directive") == NULL);
	}
}

static void
test_lines(void)
{
	static const char text[] = "\xef\xbb\xbf# a comment\n"
	                           "\n"
	                           "   # an indented comment\n"
	                           "\t listener   1884  \t\r\n"
	                           "max_connections 9\r\n"
	                           "password_file   /etc/pw file  \n"
	                           "sys_interval 3";
	char err[ERRLEN];
	struct config c;

	T_CHECK_INT(parse(&c, text, err), 0);
	T_CHECK_INT(c.n_listeners, 1);
	T_CHECK_INT(c.listeners[0].port, 1884);
	T_CHECK_INT(c.listeners[0].line, 4);
	T_CHECK_INT(c.listeners[0].max_connections, 9);
	T_CHECK(strcmp(c.password_file, "/etc/pw file") == 0);
	T_CHECK_INT(c.sys_interval, 3);
	config_fini(&c);
}

static void
test_line_limits(void)
{
	char err[ERRLEN];
	struct config c;
	char *text;
	size_t n = 5000;

	config_init(&c);
	T_CHECK_INT(config_parse(&c, "sys_interval 1\nx\0y\n", 18, "t.conf",
	                         err, ERRLEN),
	            TERN_ECONFIG);
	T_CHECK(strcmp(err, "t.conf:2: NUL byte in line") == 0);
	config_fini(&c);

	text = malloc(n + 1);
	T_CHECK(text != NULL);
	memset(text, 'a', n);
	text[n] = '\0';
	T_CHECK_INT(parse(&c, text, err), TERN_ECONFIG);
	free(text);
	T_CHECK(strcmp(err, "t.conf:1: line longer than 4096 bytes") == 0);
	config_fini(&c);
}

static void
test_small_err_buffer(void)
{
	char err[8];
	struct config c;

	config_init(&c);
	T_CHECK_INT(config_parse(&c, "foo", 3, "t.conf", err, sizeof err),
	            TERN_ECONFIG);
	T_CHECK(strcmp(err, "t.conf:") == 0);
	T_CHECK_INT(config_parse(&c, "foo", 3, "t.conf", NULL, 0),
	            TERN_ECONFIG);
	config_fini(&c);
}

static void
test_log_type(void)
{
	char err[ERRLEN];
	struct config c;

	T_CHECK_INT(parse(&c, "log_type error\nlog_type debug", err), 0);
	T_CHECK(c.log_type_set);
	T_CHECK_INT(c.log_type, CONFIG_LOG_ERR | CONFIG_LOG_DEBUG);
	config_fini(&c);

	T_CHECK_INT(parse(&c, "log_type all", err), 0);
	T_CHECK_INT(c.log_type, 0x1f);
	config_fini(&c);

	T_CHECK_INT(parse(&c, "log_type none", err), 0);
	T_CHECK_INT(c.log_type, 0);
	config_fini(&c);

	T_CHECK_INT(
	        parse(&c, "log_type all\nlog_type none\nlog_type warning", err),
	        0);
	T_CHECK_INT(c.log_type, CONFIG_LOG_WARN);
	config_fini(&c);

	T_CHECK_INT(parse(&c,
	                  "log_type notice information\n"
	                  "log_type subscribe\nlog_type unsubscribe\n"
	                  "log_type websockets # noisy",
	                  err),
	            0);
	T_CHECK_INT(c.log_type, CONFIG_LOG_NOTICE | CONFIG_LOG_INFO);
	config_fini(&c);
}

static void
test_log_dest(void)
{
	char err[ERRLEN];
	struct config c;

	T_CHECK_INT(parse(&c, "log_dest stdout", err), 0);
	T_CHECK(strcmp(c.log_dest, "stdout") == 0);
	T_CHECK(c.warnings == NULL);
	config_fini(&c);

	T_CHECK_INT(parse(&c, "log_dest none", err), 0);
	T_CHECK(strcmp(c.log_dest, "none") == 0);
	config_fini(&c);

	T_CHECK_INT(parse(&c, "log_dest file /var/log/tern/tern.log", err), 0);
	T_CHECK(strcmp(c.log_dest, "file /var/log/tern/tern.log") == 0);
	config_fini(&c);

	T_CHECK_INT(parse(&c, "log_dest file stdout", err), 0);
	T_CHECK(strcmp(c.log_dest, "file stdout") == 0);
	config_fini(&c);

	/* The file wins over stdout, whatever the order. */
	T_CHECK_INT(parse(&c, "log_dest stdout\nlog_dest file /l", err), 0);
	T_CHECK(strcmp(c.log_dest, "file /l") == 0);
	T_CHECK(strcmp(c.warnings,
	               "t.conf:2: log_dest: Tern logs to one "
	               "destination; using file /l, not stdout\n") == 0);
	config_fini(&c);

	T_CHECK_INT(parse(&c, "log_dest file /l\nlog_dest stderr", err), 0);
	T_CHECK(strcmp(c.log_dest, "file /l") == 0);
	T_CHECK(strcmp(c.warnings,
	               "t.conf:2: log_dest: Tern logs to one "
	               "destination; using file /l, not stderr\n") == 0);
	config_fini(&c);

	/* none clears what came before. */
	T_CHECK_INT(parse(&c,
	                  "log_dest file /l\nlog_dest none\nlog_dest "
	                  "stdout",
	                  err),
	            0);
	T_CHECK(strcmp(c.log_dest, "stdout") == 0);
	T_CHECK(c.warnings == NULL);
	config_fini(&c);

	T_CHECK_INT(parse(&c, "log_dest syslog", err), 0);
	T_CHECK(strcmp(c.log_dest, "stderr") == 0);
	T_CHECK(strcmp(c.warnings, "t.conf:1: log_dest syslog: syslog is not "
	                           "supported yet; logging to stderr\n") == 0);
	config_fini(&c);

	T_CHECK_INT(parse(&c, "log_dest topic\nlog_dest dlt", err), 0);
	T_CHECK(strcmp(c.log_dest, "stderr") == 0);
	T_CHECK(strstr(c.warnings, "t.conf:1: log_dest topic:") != NULL);
	T_CHECK(strstr(c.warnings, "t.conf:2: log_dest dlt:") != NULL);
	config_fini(&c);
}

static void
test_ignored(void)
{
	static const char text[] = "allow_duplicate_messages false\n"
	                           "autosave_interval 1800\n"
	                           "autosave_on_changes false\n"
	                           "connection_messages true\n"
	                           "log_facility 5\n"
	                           "log_timestamp_format %Y-%m-%dT%H:%M:%S\n"
	                           "set_tcp_nodelay true\n"
	                           "websockets_log_level 255\n"
	                           "websockets_headers_size 4096\n"
	                           "per_listener_settings false\n"
	                           "upgrade_outgoing_qos false\n"
	                           "max_inflight_bytes 0\n"
	                           "max_qos 2\n"
	                           "use_username_as_clientid false\n"
	                           "require_certificate false\n"
	                           "use_identity_as_username false\n"
	                           "use_subject_as_username false\n";
	char err[ERRLEN];
	struct config c;

	T_CHECK_INT(parse(&c, text, err), 0);
	T_CHECK(c.warnings == NULL);
	config_fini(&c);

	T_CHECK_INT(parse(&c,
	                  "pid_file /run/mosquitto/mosquitto.pid\n"
	                  "user mosquitto\nretry_interval 20\n"
	                  "persistence_file mosquitto.db\n",
	                  err),
	            0);
	T_CHECK(strcmp(c.warnings,
	               "t.conf:1: pid_file is ignored: Tern writes no pid "
	               "file\n"
	               "t.conf:2: user is ignored: Tern does not change user; "
	               "start it as the user it should run as\n"
	               "t.conf:3: retry_interval is ignored: no longer "
	               "available (as in mosquitto 2)\n"
	               "t.conf:4: persistence_file is ignored: the store names "
	               "its own file in persistence_location\n") == 0);
	config_fini(&c);
}

/* Debian's /etc/mosquitto/mosquitto.conf, as installed. */
static void
test_debian_default_file(void)
{
	static const char text[] =
	        "# Place your local configuration in /etc/mosquitto/conf.d/\n"
	        "#\n"
	        "# A full description of the configuration file is at\n"
	        "# /usr/share/doc/mosquitto/examples/mosquitto.conf.example\n"
	        "\n"
	        "pid_file /run/mosquitto/mosquitto.pid\n"
	        "\n"
	        "persistence true\n"
	        "persistence_location /var/lib/mosquitto/\n"
	        "\n"
	        "log_dest file /var/log/mosquitto/mosquitto.log\n"
	        "\n"
	        "include_dir /nonexistent-tern-test-dir\n";
	char err[ERRLEN];
	struct config c;

	T_CHECK_INT(parse(&c, text, err), TERN_ECONFIG);
	T_CHECK(strcmp(err, "t.conf:13: include_dir /nonexistent-tern-test-dir"
	                    ": No such file or directory") == 0);
	T_CHECK(c.persistence);
	T_CHECK(strcmp(c.persistence_location, "/var/lib/mosquitto/") == 0);
	T_CHECK(strcmp(c.log_dest, "file /var/log/mosquitto/mosquitto.log") ==
	        0);
	config_fini(&c);
}

static void
test_finish_no_listener(void)
{
	char err[ERRLEN];
	struct config c;

	T_CHECK_INT(parse_finish(&c, "", err), 0);
	T_CHECK(c.local_only);
	T_CHECK(c.allow_anonymous);
	T_CHECK_INT(c.n_listeners, 1);
	T_CHECK_INT(c.listeners[0].port, 1883);
	T_CHECK(strcmp(c.listeners[0].bind_address, "127.0.0.1") == 0);
	T_CHECK_INT(c.listeners[0].max_connections, -1);
	config_fini(&c);

	/* Said explicitly, it holds even in local-only mode. */
	T_CHECK_INT(parse_finish(&c, "allow_anonymous false", err), 0);
	T_CHECK(c.local_only);
	T_CHECK(!c.allow_anonymous);
	config_fini(&c);
}

static void
test_finish_default_listener(void)
{
	char err[ERRLEN];
	struct config c;

	/* port alone: every address, and no anonymous clients. */
	T_CHECK_INT(parse_finish(&c, "port 1884", err), 0);
	T_CHECK(!c.local_only);
	T_CHECK(!c.allow_anonymous);
	T_CHECK_INT(c.n_listeners, 1);
	T_CHECK_INT(c.listeners[0].port, 1884);
	T_CHECK(c.listeners[0].bind_address == NULL);
	config_fini(&c);

	T_CHECK_INT(parse_finish(&c,
	                         "bind_address 10.0.0.1\nallow_anonymous "
	                         "true\nmax_connections 50",
	                         err),
	            0);
	T_CHECK(!c.local_only);
	T_CHECK(c.allow_anonymous);
	T_CHECK_INT(c.n_listeners, 1);
	T_CHECK_INT(c.listeners[0].port, 1883);
	T_CHECK(strcmp(c.listeners[0].bind_address, "10.0.0.1") == 0);
	T_CHECK_INT(c.listeners[0].max_connections, 50);
	config_fini(&c);
}

static void
test_several_listeners(void)
{
	static const char text[] = "listener 1883 127.0.0.1\n"
	                           "listener 1883 192.168.1.5\n"
	                           "max_connections 10\n"
	                           "protocol mqtt\n"
	                           "listener 8884 ::\n"
	                           "max_connections 20\n"
	                           "listener 9000\n";
	char err[ERRLEN];
	struct config c;

	T_CHECK_INT(parse_finish(&c, text, err), 0);
	T_CHECK(!c.local_only);
	T_CHECK(!c.allow_anonymous);
	T_CHECK_INT(c.n_listeners, 4);
	T_CHECK(strcmp(c.listeners[0].bind_address, "127.0.0.1") == 0);
	T_CHECK_INT(c.listeners[0].max_connections, -1);
	T_CHECK_INT(c.listeners[0].line, 1);
	T_CHECK(strcmp(c.listeners[1].bind_address, "192.168.1.5") == 0);
	T_CHECK_INT(c.listeners[1].max_connections, 10);
	T_CHECK_INT(c.listeners[2].port, 8884);
	T_CHECK(strcmp(c.listeners[2].bind_address, "::") == 0);
	T_CHECK_INT(c.listeners[2].max_connections, 20);
	T_CHECK_INT(c.listeners[3].port, 9000);
	T_CHECK(c.listeners[3].bind_address == NULL);
	T_CHECK_INT(c.listeners[3].line, 7);
	T_CHECK_INT(c.max_connections, -1);
	T_CHECK(!c.default_listener_set);
	config_fini(&c);

	T_CHECK_INT(
	        parse_finish(&c, "listener 1884\nallow_anonymous true", err),
	        0);
	T_CHECK(c.allow_anonymous);
	config_fini(&c);
}

static void
test_default_listener_beside_others(void)
{
	char err[ERRLEN];
	struct config c;

	/* As in mosquitto, max_connections before any listener, port or
	 * bind_address bring the default listener back. */
	T_CHECK_INT(parse_finish(&c, "max_connections 3\nlistener 1884", err),
	            0);
	T_CHECK_INT(c.n_listeners, 2);
	T_CHECK_INT(c.listeners[0].port, 1884);
	T_CHECK_INT(c.listeners[0].max_connections, -1);
	T_CHECK_INT(c.listeners[1].port, 1883);
	T_CHECK_INT(c.listeners[1].max_connections, 3);
	T_CHECK(c.listeners[1].bind_address == NULL);
	config_fini(&c);

	T_CHECK_INT(parse_finish(&c, "listener 1884\nport 1885", err), 0);
	T_CHECK_INT(c.n_listeners, 2);
	T_CHECK_INT(c.listeners[1].port, 1885);
	config_fini(&c);

	T_CHECK_INT(parse_finish(&c, "port 1883\nlistener 1883", err),
	            TERN_ECONFIG);
	T_CHECK(strcmp(err, "default listener (port 1883): the address is "
	                    "already taken by the listener declared at line "
	                    "2") == 0);
	config_fini(&c);

	T_CHECK_INT(parse_finish(&c,
	                         "bind_address 127.0.0.1\nlistener 1883 "
	                         "127.0.0.1",
	                         err),
	            TERN_ECONFIG);
	T_CHECK(strcmp(err, "default listener (port 1883, bind_address "
	                    "127.0.0.1): the address is already taken by the "
	                    "listener declared at line 2") == 0);
	config_fini(&c);
}

static void
test_too_many_listeners(void)
{
	char text[32 * 16 + 64] = "";
	char err[ERRLEN];
	struct config c;
	size_t n = 0;

	for (int i = 0; i < CONFIG_MAX_LISTENERS; i++) {
		n += (size_t)snprintf(text + n, sizeof text - n,
		                      "listener %d\n", 2000 + i);
	}
	T_CHECK_INT(parse(&c, text, err), 0);
	T_CHECK_INT(c.n_listeners, CONFIG_MAX_LISTENERS);
	T_CHECK_INT(config_finish(&c, err, ERRLEN), 0);
	config_fini(&c);

	T_CHECK_INT(parse_finish(&c, strcat(text, "port 1000\n"), err),
	            TERN_ECONFIG);
	T_CHECK(strcmp(err, "default listener: more than 32 listeners") == 0);
	config_fini(&c);

	T_CHECK_INT(parse(&c, strcat(text, "listener 3000\n"), err),
	            TERN_ECONFIG);
	T_CHECK(strcmp(err, "t.conf:34: listener: more than 32 listeners") ==
	        0);
	config_fini(&c);
}

/* A scratch directory with files, removed by rm_tree(). */
static char tmpdir[64];

static int
write_file(const char *rel, const char *text)
{
	char path[256];
	FILE *f;

	(void)snprintf(path, sizeof path, "%s/%s", tmpdir, rel);
	f = fopen(path, "w");
	if (f == NULL) {
		return -1;
	}
	fputs(text, f);
	return fclose(f);
}

static int
make_dir(const char *rel)
{
	char path[256];

	(void)snprintf(path, sizeof path, "%s/%s", tmpdir, rel);
	return mkdir(path, 0700);
}

static void
rm_tree(void)
{
	char cmd[128];

	(void)snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0) {
		fprintf(stderr, "could not remove %s\n", tmpdir);
	}
}

static int
setup_tree(void)
{
	strcpy(tmpdir, "/tmp/tern-config-test-XXXXXX");
	return mkdtemp(tmpdir) != NULL ? 0 : -1;
}

static int
load(struct config *c, const char *rel, char *err)
{
	char path[256];

	(void)snprintf(path, sizeof path, "%s/%s", tmpdir, rel);
	config_init(c);
	return config_load(c, path, err, ERRLEN);
}

static void
test_include_dir_order(void)
{
	static const char *const names[] = {"b.conf", "A.conf", "01.conf",
	                                    "a.conf", "B.conf", "00.conf"};
	static const int order[] = {5, 2, 1, 3, 4, 0}; /* by port offset */
	char text[128], err[ERRLEN];
	struct config c;

	T_CHECK_INT(setup_tree(), 0);
	T_CHECK_INT(make_dir("d"), 0);
	T_CHECK_INT(make_dir("d/sub.conf"), 0); /* a directory: skipped */
	T_CHECK_INT(write_file("d/notes.txt", "garbage\n"), 0);
	T_CHECK_INT(write_file("d/.conf", "garbage\n"), 0);
	for (int i = 0; i < 6; i++) {
		char rel[32];

		(void)snprintf(rel, sizeof rel, "d/%s", names[i]);
		(void)snprintf(text, sizeof text, "listener %d\n", 2000 + i);
		T_CHECK_INT(write_file(rel, text), 0);
	}
	(void)snprintf(text, sizeof text, "listener 1999\ninclude_dir %s/d\n",
	               tmpdir);
	T_CHECK_INT(write_file("main.conf", text), 0);
	T_CHECK_INT(load(&c, "main.conf", err), 0);
	T_CHECK_INT(c.n_listeners, 7);
	T_CHECK_INT(c.listeners[0].port, 1999);
	for (int i = 0; i < 6; i++) {
		T_CHECK_INT(c.listeners[i + 1].port, 2000 + order[i]);
		T_CHECK_INT(c.listeners[i + 1].line, 1);
	}
	config_fini(&c);
	rm_tree();
}

static void
test_include_dir_errors(void)
{
	char text[256], want[ERRLEN], err[ERRLEN];
	struct config c;

	T_CHECK_INT(setup_tree(), 0);
	T_CHECK_INT(make_dir("d"), 0);
	T_CHECK_INT(write_file("d/x.conf", "# fine\nsys_interval 5\nbad 1\n"),
	            0);
	(void)snprintf(text, sizeof text, "\ninclude_dir %s/d\n", tmpdir);
	T_CHECK_INT(write_file("main.conf", text), 0);
	T_CHECK_INT(load(&c, "main.conf", err), TERN_ECONFIG);
	(void)snprintf(want, sizeof want,
	               "%s/d/x.conf:3: unknown directive "
	               "'bad'",
	               tmpdir);
	T_CHECK(strcmp(err, want) == 0);
	T_CHECK_INT(c.sys_interval, 5);
	config_fini(&c);

	/* The main file itself. */
	T_CHECK_INT(load(&c, "missing.conf", err), TERN_ECONFIG);
	(void)snprintf(want, sizeof want,
	               "%s/missing.conf: cannot read: No such file or "
	               "directory",
	               tmpdir);
	T_CHECK(strcmp(err, want) == 0);
	config_fini(&c);

	T_CHECK_INT(load(&c, "d", err), TERN_ECONFIG);
	(void)snprintf(want, sizeof want, "%s/d: cannot read: Is a directory",
	               tmpdir);
	T_CHECK(strcmp(err, want) == 0);
	config_fini(&c);
	rm_tree();
}

static void
test_include_dir_nesting(void)
{
	char text[256], want[ERRLEN], err[ERRLEN];
	struct config c;

	T_CHECK_INT(setup_tree(), 0);
	T_CHECK_INT(make_dir("d"), 0);
	T_CHECK_INT(make_dir("e"), 0);
	/* Nested once: fine (mosquitto ignores it; Tern reads it). */
	(void)snprintf(text, sizeof text, "include_dir %s/e\n", tmpdir);
	T_CHECK_INT(write_file("d/a.conf", text), 0);
	T_CHECK_INT(write_file("e/a.conf", "sys_interval 7\n"), 0);
	(void)snprintf(text, sizeof text, "include_dir %s/d\n", tmpdir);
	T_CHECK_INT(write_file("main.conf", text), 0);
	T_CHECK_INT(load(&c, "main.conf", err), 0);
	T_CHECK_INT(c.sys_interval, 7);
	config_fini(&c);

	/* A directory that includes itself. */
	(void)snprintf(text, sizeof text, "include_dir %s/d\n", tmpdir);
	T_CHECK_INT(write_file("d/a.conf", text), 0);
	T_CHECK_INT(load(&c, "main.conf", err), TERN_ECONFIG);
	(void)snprintf(want, sizeof want,
	               "%s/d/a.conf:1: include_dir: nested more than 8 deep",
	               tmpdir);
	T_CHECK(strcmp(err, want) == 0);
	config_fini(&c);
	rm_tree();
}

static void
test_include_dir_listener_scope(void)
{
	char text[256], err[ERRLEN];
	struct config c;

	T_CHECK_INT(setup_tree(), 0);
	T_CHECK_INT(make_dir("d"), 0);
	/* Each file starts on the default listener, as in mosquitto. */
	T_CHECK_INT(write_file("d/a.conf", "max_connections 5\n"
	                                   "listener 9001\n"
	                                   "max_connections 6\n"),
	            0);
	(void)snprintf(text, sizeof text,
	               "listener 1884\ninclude_dir %s/d\nmax_connections 7\n",
	               tmpdir);
	T_CHECK_INT(write_file("main.conf", text), 0);
	T_CHECK_INT(load(&c, "main.conf", err), 0);
	T_CHECK_INT(config_finish(&c, err, ERRLEN), 0);
	T_CHECK_INT(c.n_listeners, 3);
	T_CHECK_INT(c.listeners[0].port, 1884);
	T_CHECK_INT(c.listeners[0].max_connections, 7);
	T_CHECK_INT(c.listeners[1].port, 9001);
	T_CHECK_INT(c.listeners[1].max_connections, 6);
	T_CHECK_INT(c.listeners[2].port, 1883);
	T_CHECK_INT(c.listeners[2].max_connections, 5);
	config_fini(&c);
	rm_tree();
}

/* Every allocation failing in turn: a clean error, nothing leaked. */
static void
test_alloc_failures(void)
{
	static const char text[] = "listener 1883 127.0.0.1\n"
	                           "password_file /etc/pw\n"
	                           "acl_file /etc/acl\n"
	                           "bind_address ::1\n"
	                           "log_dest stdout\n"
	                           "log_dest file stderr\n"
	                           "persistence_location /data\n"
	                           "pid_file /run/x.pid\n"
	                           "log_dest syslog\n";
	size_t base = alloc_in_use();
	char err[ERRLEN];
	int e = TERN_ENOMEM;

	for (long k = 0; e == TERN_ENOMEM && k < 1000; k++) {
		struct config c;

		config_init(&c);
		alloc_fail_after(k);
		e = config_parse(&c, text, strlen(text), "t.conf", err, ERRLEN);
		if (e == 0) {
			e = config_finish(&c, err, ERRLEN);
		}
		alloc_fail_after(-1);
		if (e == TERN_ENOMEM) {
			T_CHECK(strstr(err, "out of memory") != NULL);
		}
		config_fini(&c);
		T_CHECK_INT(alloc_in_use(), base);
	}
	T_CHECK_INT(e, 0);
}

static void
test_alloc_failures_include(void)
{
	size_t base = alloc_in_use();
	char text[128], err[ERRLEN];
	int e = TERN_ENOMEM;

	T_CHECK_INT(setup_tree(), 0);
	T_CHECK_INT(make_dir("d"), 0);
	T_CHECK_INT(write_file("d/a.conf", "acl_file /a\n"), 0);
	T_CHECK_INT(write_file("d/b.conf", "password_file /p\n"), 0);
	(void)snprintf(text, sizeof text, "include_dir %s/d\n", tmpdir);
	T_CHECK_INT(write_file("main.conf", text), 0);
	for (long k = 0; e == TERN_ENOMEM && k < 1000; k++) {
		struct config c;

		alloc_fail_after(k);
		e = load(&c, "main.conf", err);
		alloc_fail_after(-1);
		config_fini(&c);
		T_CHECK_INT(alloc_in_use(), base);
	}
	T_CHECK_INT(e, 0);
	rm_tree();
}

/* Tern's limit directives: defaults and every value applied. */
static void
test_limits(void)
{
	const char *text = "memory_limit 1048576\n"
	                   "max_connections_total 100\n"
	                   "max_pending_connections 5\n"
	                   "max_client_id_length 64\n"
	                   "max_topic_levels 8\n"
	                   "max_subscriptions_per_client 10\n"
	                   "queue_full_action drop_oldest\n";
	char err[ERRLEN];
	struct config c;

	config_init(&c);
	T_CHECK_INT(c.memory_limit, -1);
	T_CHECK_INT(c.max_connections_total, -1);
	T_CHECK_INT(c.max_pending_connections, 10000);
	T_CHECK_INT(c.max_client_id_length, 1024);
	T_CHECK_INT(c.max_topic_levels, 128);
	T_CHECK_INT(c.max_subscriptions_per_client, 0);
	T_CHECK_INT(c.queue_full_action, CONFIG_QUEUE_DROP_NEWEST);
	config_fini(&c);
	T_CHECK_INT(parse(&c, text, err), 0);
	T_CHECK_INT(c.memory_limit, 1048576);
	T_CHECK_INT(c.max_connections_total, 100);
	T_CHECK_INT(c.max_pending_connections, 5);
	T_CHECK_INT(c.max_client_id_length, 64);
	T_CHECK_INT(c.max_topic_levels, 8);
	T_CHECK_INT(c.max_subscriptions_per_client, 10);
	T_CHECK_INT(c.queue_full_action, CONFIG_QUEUE_DROP_OLDEST);
	config_fini(&c);
	T_CHECK_INT(parse(&c, "memory_limit 0\nqueue_full_action drop_newest\n",
	                  err),
	            0);
	T_CHECK_INT(c.memory_limit, 0);
	T_CHECK_INT(c.queue_full_action, CONFIG_QUEUE_DROP_NEWEST);
	config_fini(&c);
}

T_MAIN(T_CASE(test_defaults), T_CASE(test_good_values), T_CASE(test_limits),
       T_CASE(test_every_mosquitto_directive), T_CASE(test_bad_values),
       T_CASE(test_lines), T_CASE(test_line_limits),
       T_CASE(test_small_err_buffer), T_CASE(test_log_type),
       T_CASE(test_log_dest), T_CASE(test_ignored),
       T_CASE(test_debian_default_file), T_CASE(test_finish_no_listener),
       T_CASE(test_finish_default_listener), T_CASE(test_several_listeners),
       T_CASE(test_default_listener_beside_others),
       T_CASE(test_too_many_listeners), T_CASE(test_include_dir_order),
       T_CASE(test_include_dir_errors), T_CASE(test_include_dir_nesting),
       T_CASE(test_include_dir_listener_scope), T_CASE(test_alloc_failures),
       T_CASE(test_alloc_failures_include))
