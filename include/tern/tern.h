/*
 * tern.h - libtern, the Tern MQTT client library (MQTT 3.1, 3.1.1, 5.0
 * over TCP).
 *
 * Two ways to drive a client, over one state machine:
 *
 *   Blocking: tern_connect(), tern_publish() (waits for PUBACK / PUBCOMP
 *   at QoS 1 / 2), tern_subscribe(), tern_recv(), tern_disconnect(). Each
 *   call runs the connection itself (keep-alive, acknowledgements) while
 *   it waits, so a program that only does these needs nothing else.
 *
 *   Event loop: set callbacks with tern_set_callbacks(), start with
 *   tern_connect_async(), queue work with tern_publish_async() and the
 *   other *_async() calls, and either
 *     - put tern_fd() into your own poll/epoll set with the events of
 *       tern_events(), wake at the latest after tern_timeout() ms, and call
 *       tern_io() with what poll returned; or
 *     - call tern_loop(c, ms) in a loop of your own; or
 *     - call tern_loop_start() and libtern runs the connection on a thread
 *       of its own until tern_loop_stop().
 *
 * Errors: every function that can fail returns 0 (or a documented
 * non-negative value) or a negative TERN_E* code; tern_strerror() names
 * it. MQTT reason codes (CONNACK, PUBACK..., SUBACK, DISCONNECT) are data:
 * they reach the callbacks and tern_last_reason() as numbers, and
 * tern_reason_string() names them.
 *
 * THREAD-SAFETY RULES
 *
 *  1. A client may be used from any thread, but without tern_loop_start()
 *     only from one thread at a time (the library does not serialise two
 *     threads that both drive I/O).
 *  2. With tern_loop_start(), the library's thread owns the socket and runs
 *     every callback. Other threads may then call any function except
 *     tern_io(), tern_loop() and tern_client_free(); calls are serialised by
 *     a mutex in the client. Blocking calls from other threads wait for the
 *     library's thread to complete them.
 *  3. Callbacks run with that mutex held. From inside a callback, call only
 *     non-blocking functions (the *_async() calls, getters); a blocking call
 *     made inside a callback returns TERN_EBUSY. Never free the client from
 *     a callback.
 *  4. Pointers handed to a callback (messages, properties, reason codes)
 *     are valid until the callback returns; copy what you keep. A message
 *     from tern_recv() is yours until tern_message_free().
 *  5. tern_client_free() must be called with no other thread using the
 *     client; it stops the library's thread first if it runs.
 *  6. Distinct clients share nothing; use as many as you like on as many
 *     threads as you like.
 *
 * All strings passed in are copied or used before the call returns unless
 * a comment says otherwise.
 */
#ifndef TERN_TERN_H
#define TERN_TERN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef TERN_BASE_ERR_H
/*
 * The error codes. These are the definitions of Tern's internal
 * base/err.h, which uses the same include guard, so a file that sees both
 * gets one copy; tern_err_sync_test checks that the two lists agree.
 */
#define TERN_BASE_ERR_H
enum tern_err {
	TERN_OK = 0,
	TERN_EAGAIN = -1,     /* incomplete input or would block */
	TERN_EMALFORMED = -2, /* bytes violate the wire format */
	TERN_EPROTO = -3,     /* well-formed but breaks the protocol rules */
	TERN_ETOOBIG = -4,    /* over a configured or protocol size limit */
	TERN_ENOMEM = -5,     /* allocation failed or memory budget spent */
	TERN_EIO = -6,        /* an I/O call failed */
	TERN_ECLOSED = -7,    /* the peer closed the connection */
	TERN_EINVAL = -8,     /* bad argument or value */
	TERN_ENOTFOUND = -9,  /* no such item */
	TERN_EFULL = -10,     /* a queue or table reached its cap */
	TERN_ETOPIC = -11,    /* invalid topic name or filter */
	TERN_EVERSION = -12,  /* unsupported protocol level */
	TERN_EBUSY = -13,     /* temporarily unable, try later */
	TERN_ETIMEOUT = -14,  /* a deadline passed */
	TERN_EAUTH = -15,     /* bad user name or password */
	TERN_EDENIED = -16,   /* not authorised */
	TERN_EEXIST = -17,    /* already present */
	TERN_ECONFIG = -18,   /* bad configuration */
	TERN_EIDENT = -19,    /* client identifier rejected */
	TERN_ERR_MIN = -19
};

/* tern_strerror() - a short phrase for @err. Static string. Thread: any. */
const char *tern_strerror(int err);
#endif

/* Protocol levels, as in the CONNECT packet. */
enum tern_version { TERN_MQTT31 = 3, TERN_MQTT311 = 4, TERN_MQTT5 = 5 };

/* MQTT 5 property identifiers (MQTT 5.0 section 2.2.2.2). */
enum tern_prop_id {
	TERN_PROP_PAYLOAD_FORMAT = 0x01,         /* byte */
	TERN_PROP_MESSAGE_EXPIRY = 0x02,         /* four-byte integer */
	TERN_PROP_CONTENT_TYPE = 0x03,           /* UTF-8 string */
	TERN_PROP_RESPONSE_TOPIC = 0x08,         /* UTF-8 string */
	TERN_PROP_CORRELATION_DATA = 0x09,       /* binary */
	TERN_PROP_SUBSCRIPTION_ID = 0x0B,        /* variable byte integer */
	TERN_PROP_SESSION_EXPIRY = 0x11,         /* four-byte integer */
	TERN_PROP_ASSIGNED_CLIENT_ID = 0x12,     /* UTF-8 string */
	TERN_PROP_SERVER_KEEP_ALIVE = 0x13,      /* two-byte integer */
	TERN_PROP_AUTH_METHOD = 0x15,            /* UTF-8 string */
	TERN_PROP_AUTH_DATA = 0x16,              /* binary */
	TERN_PROP_REQUEST_PROBLEM_INFO = 0x17,   /* byte */
	TERN_PROP_WILL_DELAY = 0x18,             /* four-byte integer */
	TERN_PROP_REQUEST_RESPONSE_INFO = 0x19,  /* byte */
	TERN_PROP_RESPONSE_INFO = 0x1A,          /* UTF-8 string */
	TERN_PROP_SERVER_REFERENCE = 0x1C,       /* UTF-8 string */
	TERN_PROP_REASON_STRING = 0x1F,          /* UTF-8 string */
	TERN_PROP_RECEIVE_MAX = 0x21,            /* two-byte integer */
	TERN_PROP_TOPIC_ALIAS_MAX = 0x22,        /* two-byte integer */
	TERN_PROP_TOPIC_ALIAS = 0x23,            /* two-byte integer */
	TERN_PROP_MAX_QOS = 0x24,                /* byte */
	TERN_PROP_RETAIN_AVAILABLE = 0x25,       /* byte */
	TERN_PROP_USER_PROPERTY = 0x26,          /* UTF-8 string pair */
	TERN_PROP_MAX_PACKET_SIZE = 0x27,        /* four-byte integer */
	TERN_PROP_WILDCARD_SUB_AVAILABLE = 0x28, /* byte */
	TERN_PROP_SUB_ID_AVAILABLE = 0x29,       /* byte */
	TERN_PROP_SHARED_SUB_AVAILABLE = 0x2A    /* byte */
};

/*
 * One MQTT 5 property. Integer properties use @num; strings and binary
 * data use @str/@str_len; a user property is the pair (@str, @val). The
 * bytes need not be NUL-terminated. Received properties point into the
 * packet they came with.
 */
struct tern_prop {
	uint8_t id; /* enum tern_prop_id */
	uint32_t num;
	const char *str;
	size_t str_len;
	const char *val;
	size_t val_len;
};

/* A list of properties, in wire order. Repeats (user properties) allowed. */
struct tern_props {
	const struct tern_prop *v;
	size_t n;
};

/*
 * tern_props_find() - the first property with @id in @p at index >= *@pos,
 * or NULL. On a hit *@pos is set past it, so a loop finds every repeat;
 * @pos may be NULL to get the first one. Thread: any.
 */
const struct tern_prop *tern_props_find(const struct tern_props *p, uint8_t id,
                                        size_t *pos);

/*
 * tern_prop_by_name() - the id of the property called @name in the
 * spelling of the specification with '-' between words
 * ("message-expiry-interval", "user-property", "receive-maximum"), or
 * TERN_ENOTFOUND. tern_prop_name() is the reverse (NULL if unknown).
 */
int tern_prop_by_name(const char *name);
const char *tern_prop_name(uint8_t id);

/* A received application message. */
struct tern_message {
	const char *topic; /* NUL-terminated */
	size_t topic_len;
	const void *payload; /* followed by a NUL byte for convenience */
	size_t payload_len;
	uint8_t qos;
	bool retain;
	bool dup;
	uint16_t mid;            /* packet identifier; 0 at QoS 0 */
	struct tern_props props; /* MQTT 5 only; empty otherwise */
};

/* tern_message_free() - free a message from tern_recv(). NULL is a no-op. */
void tern_message_free(struct tern_message *m);

/*
 * Client settings. Fill with tern_options_init(), change what you need,
 * pass to tern_client_new(), which copies everything (the strings too).
 */
struct tern_options {
	const char *host;         /* "localhost" */
	uint16_t port;            /* 1883 */
	const char *bind_address; /* local address to bind, or NULL */
	int version;              /* enum tern_version; TERN_MQTT311 */
	/*
	 * NULL or "": let the server assign one (3.1.1 with clean session
	 * only, and 5); for 3.1, which needs one, libtern makes a random id.
	 */
	const char *client_id;
	bool clean;         /* Clean Session (3.x) / Clean Start (5); true */
	uint16_t keepalive; /* seconds, 0 = off; 60 */
	const char *username;
	const char *password; /* @password_len bytes; binary allowed */
	size_t password_len;  /* 0 with a password: strlen(password) */

	/* Will: sent by the server if the connection ends without DISCONNECT.
	 */
	const char *will_topic; /* NULL = no will */
	const void *will_payload;
	size_t will_payload_len;
	int will_qos;
	bool will_retain;
	struct tern_props will_props; /* MQTT 5 will properties */

	/*
	 * MQTT 5 CONNECT properties: session-expiry-interval, receive-maximum,
	 * maximum-packet-size, topic-alias-maximum, user-property, ... libtern
	 * reads the ones it must honour (maximum-packet-size bounds what it
	 * accepts, topic-alias-maximum makes it resolve incoming aliases,
	 * session-expiry-interval decides whether a reconnect resumes).
	 */
	struct tern_props connect_props;

	int connect_timeout_ms; /* TCP connect + CONNACK; 10000 */
	int op_timeout_ms;      /* blocking calls wait at most this; 30000 */
	/*
	 * Our cap on QoS 1/2 PUBLISHes sent and not yet acknowledged; the
	 * smaller of this and the server's Receive Maximum applies. Messages
	 * over it wait in order. 0 = only the server's limit.
	 */
	unsigned max_inflight;
	bool tcp_nodelay; /* true */

	/*
	 * Reconnect automatically when a connection attempt fails or a
	 * connection is lost (not after tern_disconnect(), not when the
	 * connect call itself fails at once, and never during a blocking
	 * tern_connect()): first after reconnect_min_ms, doubling up to
	 * reconnect_max_ms, reset by a successful CONNACK. A reconnect
	 * resumes the session (Clean Start 0) when the session outlives the
	 * connection: 3.x without clean session, 5 with a session expiry.
	 */
	bool auto_reconnect;  /* false */
	int reconnect_min_ms; /* 500 */
	int reconnect_max_ms; /* 30000 */
};

/* tern_options_init() - the defaults written above. */
void tern_options_init(struct tern_options *o);

struct tern_client;

/*
 * Callbacks for the event API. Any may be NULL. @arg is the pointer given
 * to tern_set_callbacks(). See the thread-safety rules above.
 */

/*
 * CONNACK arrived. @reason is its return code (3.x: 0..5) or reason code
 * (5); not 0 means refused, and the connection is closed after the call.
 * @props are the CONNACK's properties (assigned client id, server keep
 * alive, receive maximum, ...).
 */
typedef void tern_connect_fn(struct tern_client *c, void *arg, int reason,
                             bool session_present,
                             const struct tern_props *props);

/*
 * A message arrived (QoS 1/2: exactly once per delivery; the client sends
 * PUBACK / PUBREC after the callback returns).
 */
typedef void tern_message_fn(struct tern_client *c, void *arg,
                             const struct tern_message *m);

/*
 * A QoS 1/2 publish finished: PUBACK or PUBCOMP arrived, or a PUBREC with
 * a failure reason code. @err is 0 on success, else the TERN_E* that the
 * reason code means (or why the message was dropped); @reason is the
 * reason code of the final acknowledgement (0 in 3.x).
 */
typedef void tern_publish_fn(struct tern_client *c, void *arg, uint16_t mid,
                             int err, int reason,
                             const struct tern_props *props);

/*
 * SUBACK / UNSUBACK: one reason code per filter, in request order
 * (SUBACK: granted QoS 0..2 or >= 0x80 failure; UNSUBACK in 3.x carries
 * none, and @rcs then holds one 0 per filter). If the request was lost
 * with the connection, @n is 0 and @rcs NULL.
 */
typedef void tern_subscribe_fn(struct tern_client *c, void *arg, uint16_t mid,
                               const uint8_t *rcs, size_t n,
                               const struct tern_props *props);

/*
 * The connection ended. @err is 0 after tern_disconnect*(), else why
 * (TERN_ECLOSED, TERN_EIO, TERN_ETIMEOUT, TERN_EPROTO, ...). @reason is
 * the server's DISCONNECT reason code (5) or -1 if it sent none. If
 * auto_reconnect is on and @err is not 0, a reconnect is scheduled.
 */
typedef void tern_disconnect_fn(struct tern_client *c, void *arg, int err,
                                int reason, const struct tern_props *props);

/* One line of protocol trace ("sending PUBLISH (d0, q1, r0, m1, ...)"). */
typedef void tern_log_fn(struct tern_client *c, void *arg, const char *line);

struct tern_callbacks {
	tern_connect_fn *on_connect;
	tern_message_fn *on_message; /* NULL: messages queue for tern_recv() */
	tern_publish_fn *on_publish;
	tern_subscribe_fn *on_subscribe;
	tern_subscribe_fn *on_unsubscribe;
	tern_disconnect_fn *on_disconnect;
	tern_log_fn *on_log;
};

/*
 * tern_client_new() - a client with options @o (copied). Nothing is sent
 * until a connect call. Returns 0 and sets *out, or TERN_EINVAL (bad
 * option: version, will QoS, a property not allowed in CONNECT or will,
 * a client id or user name that is not a well-formed UTF-8 string of at
 * most 65535 bytes, 3.1.1 without a client id and without clean session),
 * or TERN_ENOMEM.
 */
int tern_client_new(const struct tern_options *o, struct tern_client **out);

/*
 * tern_client_free() - close the socket (without DISCONNECT: call
 * tern_disconnect() first for a clean end), stop the loop thread, drop
 * queued messages, free everything. NULL is a no-op.
 */
void tern_client_free(struct tern_client *c);

/* tern_set_callbacks() - copy @cb (NULL clears them); @arg goes to each. */
void tern_set_callbacks(struct tern_client *c, const struct tern_callbacks *cb,
                        void *arg);

/* One SUBSCRIBE entry. The options other than @qos are MQTT 5 only. */
struct tern_sub {
	const char *filter;
	int qos;
	bool no_local;
	bool retain_as_published;
	int retain_handling; /* 0 send retained, 1 only if new, 2 never */
};

/* ---- Blocking API ------------------------------------------------------ */

/*
 * tern_connect() - connect and wait for CONNACK (connect_timeout_ms).
 * Returns 0 when accepted; when refused, the error the reason code means
 * (TERN_EAUTH, TERN_EDENIED, TERN_EIDENT, TERN_EVERSION, TERN_EBUSY,
 * TERN_EPROTO...) with the code in tern_last_reason(); TERN_ETIMEOUT;
 * TERN_EIO when the TCP connection failed.
 */
int tern_connect(struct tern_client *c);

/* A message to publish, for tern_publish_ex() and tern_publish_async(). */
struct tern_pub {
	const char *topic;
	const void *payload;
	size_t len;
	int qos;
	bool retain;
	struct tern_props props; /* MQTT 5 PUBLISH properties */
};

/*
 * tern_publish() - publish and, at QoS 1/2, wait until the flow completes
 * (op_timeout_ms); at QoS 0, until the bytes are written. Returns 0, or
 * the error the reason code of the acknowledgement means (code in
 * tern_last_reason()), TERN_ETIMEOUT (the message stays queued and will
 * still be sent), TERN_ETOPIC, TERN_ETOOBIG (over the server's Maximum
 * Packet Size), TERN_EINVAL (QoS, retain or a property the server or the
 * packet does not allow), TERN_ECLOSED (not connected).
 * tern_publish_ex() does the same for @m, properties included.
 */
int tern_publish(struct tern_client *c, const char *topic, const void *payload,
                 size_t len, int qos, bool retain);
int tern_publish_ex(struct tern_client *c, const struct tern_pub *m);

/*
 * tern_subscribe() - subscribe to one filter and wait for SUBACK.
 * Returns the granted QoS (0..2), or TERN_EDENIED with the failure code in
 * tern_last_reason(), or an error.
 */
int tern_subscribe(struct tern_client *c, const char *filter, int qos);

/*
 * tern_subscribe_many() - one SUBSCRIBE with @n entries; waits for SUBACK
 * and writes its @n reason codes to @rcs (may be NULL). Returns 0 when the
 * SUBACK arrived (check @rcs for per-filter failures), or an error.
 */
int tern_subscribe_many(struct tern_client *c, const struct tern_sub *subs,
                        size_t n, const struct tern_props *props, uint8_t *rcs);

/* tern_unsubscribe() / _many() - UNSUBSCRIBE and wait for UNSUBACK. */
int tern_unsubscribe(struct tern_client *c, const char *filter);
int tern_unsubscribe_many(struct tern_client *c, const char *const *filters,
                          size_t n, const struct tern_props *props,
                          uint8_t *rcs);

/*
 * tern_recv() - the next message that arrived while on_message is NULL,
 * waiting up to @timeout_ms (-1: forever). Returns 0 and sets *out (free
 * it with tern_message_free()), TERN_ETIMEOUT, or the error that ended
 * the connection (with auto_reconnect, it keeps waiting across
 * reconnects).
 */
int tern_recv(struct tern_client *c, int timeout_ms, struct tern_message **out);

/*
 * tern_disconnect() - send DISCONNECT (reason 0), wait until every queued
 * byte is written (op_timeout_ms), close. tern_disconnect_ex() sends
 * @reason and @props (MQTT 5; e.g. 0x04 "disconnect with will message",
 * or a new session expiry interval). Returns 0 or an error; the client is
 * disconnected either way and may connect again.
 */
int tern_disconnect(struct tern_client *c);
int tern_disconnect_ex(struct tern_client *c, int reason,
                       const struct tern_props *props);

/* ---- Event API --------------------------------------------------------- */

/*
 * tern_connect_async() - resolve the host (this blocks, as getaddrinfo
 * does), start a non-blocking TCP connect, and return. CONNECT goes out
 * when the socket is writable; on_connect reports the CONNACK.
 */
int tern_connect_async(struct tern_client *c);

/*
 * tern_publish_async() - queue the PUBLISH of @m. *@mid (may be NULL)
 * gets its packet identifier (0 at QoS 0), the one on_publish reports.
 * QoS 1/2 messages may be queued while connecting or reconnecting and are
 * sent in order as the server's Receive Maximum allows; QoS 0 needs a
 * connection. Returns 0, TERN_EFULL (65,535 identifiers in use), or as
 * tern_publish().
 */
int tern_publish_async(struct tern_client *c, const struct tern_pub *m,
                       uint16_t *mid);

/* tern_subscribe_async() / tern_unsubscribe_async() - queue the request. */
int tern_subscribe_async(struct tern_client *c, const struct tern_sub *subs,
                         size_t n, const struct tern_props *props,
                         uint16_t *mid);
int tern_unsubscribe_async(struct tern_client *c, const char *const *filters,
                           size_t n, const struct tern_props *props,
                           uint16_t *mid);

/*
 * tern_disconnect_async() - queue DISCONNECT; the socket closes once it is
 * written, then on_disconnect runs with err 0.
 */
int tern_disconnect_async(struct tern_client *c, int reason,
                          const struct tern_props *props);

/*
 * tern_fd() - the socket to watch, or -1 when there is none (then only the
 * timeout matters). The descriptor changes across reconnects: read it
 * again after every tern_io().
 * tern_events() - POLLIN, plus POLLOUT while bytes wait to be written or a
 * connect is in progress.
 * tern_timeout() - milliseconds until tern_io() must run even without
 * events (keep-alive, connect and reconnect timers), -1 for none.
 * tern_deadline() - the same moment on the CLOCK_MONOTONIC clock in
 * milliseconds, UINT64_MAX for none.
 */
int tern_fd(struct tern_client *c);
short tern_events(struct tern_client *c);
int tern_timeout(struct tern_client *c);
uint64_t tern_deadline(struct tern_client *c);

/*
 * tern_io() - do the work @revents (poll's revents for tern_fd(); 0 on a
 * timeout) calls for: read and handle packets, write, run timers, call
 * the callbacks. Returns 0 while the client is connected, connecting or
 * waiting to reconnect; TERN_ECLOSED once it is idle after a disconnect
 * the application asked for; otherwise the error that ended the
 * connection.
 */
int tern_io(struct tern_client *c, short revents);

/*
 * tern_loop() - poll the socket for at most @timeout_ms (-1: until the
 * next timer) and call tern_io(). Returns as tern_io().
 */
int tern_loop(struct tern_client *c, int timeout_ms);

/*
 * tern_loop_start() - run the connection on a new thread until
 * tern_loop_stop(). The thread reconnects as configured and otherwise
 * idles while disconnected. tern_loop_stop() asks it to end and joins it;
 * call tern_disconnect() first for a clean end. Returns 0, TERN_EBUSY
 * (already running / called from a callback), TERN_ENOMEM, TERN_EIO.
 */
int tern_loop_start(struct tern_client *c);
int tern_loop_stop(struct tern_client *c);

/* ---- Information ------------------------------------------------------- */

/* tern_is_connected() - CONNACK accepted and the connection is up. */
bool tern_is_connected(struct tern_client *c);

/*
 * tern_last_reason() - the reason code of the last CONNACK, PUBACK /
 * PUBREC / PUBCOMP, SUBACK or server DISCONNECT that a blocking call
 * waited for or that ended the connection; -1 if none yet.
 */
int tern_last_reason(struct tern_client *c);

/* tern_session_present() - the Session Present flag of the last CONNACK. */
bool tern_session_present(struct tern_client *c);

/*
 * tern_client_id() - the client id in use: the assigned one once the
 * server assigned one. Valid until the next connect or tern_client_free.
 */
const char *tern_client_id(struct tern_client *c);

/*
 * tern_error_detail() - the system's account of the last connection
 * failure ("connect to 127.0.0.1:1883: Connection refused", "no CONNACK
 * within 10000 ms", "connection refused: not authorized"), or "". Valid
 * until the next call on @c.
 */
const char *tern_error_detail(struct tern_client *c);

/* tern_version() - the protocol level of the client. */
int tern_version(struct tern_client *c);

/*
 * tern_connack_props() - the properties of the last accepted CONNACK,
 * copied into *@out (empty before one); the pointers stay valid until
 * the next connect or tern_client_free().
 */
void tern_connack_props(struct tern_client *c, struct tern_props *out);

/*
 * tern_reason_string() - the name of reason code @reason in protocol level
 * @version (CONNACK return codes for 3.x, the MQTT 5 reason codes
 * otherwise), e.g. "not authorized". Static string. Thread: any.
 */
const char *tern_reason_string(int version, int reason);

/*
 * tern_reason_err() - the TERN_E* that reason code @reason of a @version
 * CONNACK means (or any MQTT 5 reason code); 0 for success codes.
 */
int tern_reason_err(int version, int reason);

#ifdef __cplusplus
}
#endif

#endif
