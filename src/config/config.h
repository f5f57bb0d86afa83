/*
 * config.h - struct config: the broker's settings as plain data.
 *
 * config_init() fills the embedded defaults; config_load() applies a file
 * in mosquitto.conf syntax on top. Nothing here knows sockets or MQTT
 * state: the broker reads the struct.
 */
#ifndef TERN_CONFIG_CONFIG_H
#define TERN_CONFIG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONFIG_DEFAULT_PORT  1883
#define CONFIG_MAX_LISTENERS 32

struct config_listener {
	char *bind_address; /* NULL = all addresses */
	uint16_t port;
	long max_connections; /* -1 = unlimited */
	int line; /* where it was declared, for messages; 0 = the default */
};

/* What a full session queue does with one more message. */
#define CONFIG_QUEUE_DROP_NEWEST 0 /* the new message is dropped */
#define CONFIG_QUEUE_DROP_OLDEST                  \
	1 /* the oldest QoS 0 message makes room; \
	     with none queued, the new one goes */

/* Log levels for log_type, as bits (same values as base/log.h). */
#define CONFIG_LOG_ERR    0x01
#define CONFIG_LOG_WARN   0x02
#define CONFIG_LOG_NOTICE 0x04
#define CONFIG_LOG_INFO   0x08
#define CONFIG_LOG_DEBUG  0x10

struct config {
	/* Listeners, after config_finish() all of them: those declared,
	 * then the default listener made from port, bind_address and
	 * max_connections when the file declares none or sets those. */
	struct config_listener listeners[CONFIG_MAX_LISTENERS];
	size_t n_listeners;
	uint16_t port;        /* default listener port (1883) */
	char *bind_address;   /* default listener address */
	long max_connections; /* default listener cap, -1 = unlimited */
	bool local_only;      /* no listener configured: bind 127.0.0.1 */
	/* port, bind_address or max_connections (before any listener) was
	 * given: config_finish() adds the default listener even when others
	 * are declared, as mosquitto does. */
	bool default_listener_set;

	bool allow_anonymous;     /* see docs/CONFIG.md for the default */
	bool allow_anonymous_set; /* was it given in the file? */
	char *password_file;
	char *acl_file;

	long max_inflight_messages;   /* per client outbound QoS 1/2 window */
	long max_queued_messages;     /* per session, 0 = unlimited */
	long long max_queued_bytes;   /* per session, 0 = unlimited */
	bool queue_qos0_messages;     /* queue QoS 0 for offline sessions */
	long long message_size_limit; /* payload bytes, 0 = protocol max */
	long long max_packet_size;    /* whole packet bytes, 0 = protocol max */
	long max_keepalive;           /* seconds, 0 (no limit) or 10..65535 */
	bool retain_available;
	long long persistent_client_expiration; /* seconds, 0 = never */
	long sys_interval;                      /* seconds, 0 = no $SYS */

	unsigned log_type; /* CONFIG_LOG_* bits */
	bool log_type_set;
	/* One destination: "stderr", "stdout", "none", or "file PATH". */
	char *log_dest;
	bool log_dest_set;
	bool log_timestamp;

	long workers;         /* worker threads, 0 = one per core */
	long connect_timeout; /* seconds a socket has to send CONNECT */

	/* Limits (Tern's own directives; docs/CONFIG.md "Limits"). */
	long long memory_limit;       /* bytes; -1 = 3/4 of RAM, 0 = none */
	long max_connections_total;   /* all listeners, -1 = unlimited */
	long max_pending_connections; /* accepted, CONNECT not yet read */
	long max_client_id_length;    /* bytes */
	long max_topic_levels;        /* in topic names and filters */
	long max_subscriptions_per_client; /* 0 = unlimited */
	int queue_full_action;             /* CONFIG_QUEUE_DROP_* */
	bool persistence;
	char *persistence_location;

	/* "FILE:LINE: text\n" lines about accepted-but-ignored directives and
	 * fallbacks, for the caller to log once logging is set up; or NULL. */
	char *warnings;
};

/* config_init() - the embedded defaults. Allocates nothing. */
void config_init(struct config *c);

/* config_fini() - frees the strings; @c may be re-initialised after. */
void config_fini(struct config *c);

/*
 * config_load() - apply the file at @path (and the files it includes).
 * On error returns TERN_ECONFIG (TERN_ENOMEM when memory ran out) and
 * writes "FILE:LINE: what" to @err; @c may then hold part of the file and
 * must only be finalised. Thread: any (@c is the caller's).
 */
int config_load(struct config *c, const char *path, char *err, size_t errlen);

/*
 * config_parse() - the same for text in memory; @name stands for the file
 * name in messages. Used by tests and the fuzzer.
 */
int config_parse(struct config *c, const char *text, size_t len,
                 const char *name, char *err, size_t errlen);

/*
 * config_finish() - after all files, once: add the default listener (made
 * from port, bind_address and max_connections) when no listener was
 * declared or when one of those was given; with nothing at all declared
 * it binds 127.0.0.1 only (local_only). Then defaults that depend on what
 * was set: allow_anonymous is true in local-only mode, false otherwise,
 * unless the file said. 0, TERN_ECONFIG (two listeners on one address) or
 * TERN_ENOMEM, with a message in @err.
 */
int config_finish(struct config *c, char *err, size_t errlen);

#endif
