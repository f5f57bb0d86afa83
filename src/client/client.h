/*
 * client.h - the inside of libtern: one client state machine shared by
 * the blocking API, the event API and the library's own loop thread.
 *
 * Invariants:
 *  - Every public entry point takes c->mu (recursive) before it touches
 *    the client; callbacks run with it held.
 *  - The connection is torn down only at the top of tern_io() (or of a
 *    blocking call's wait), never while packets of the read buffer are
 *    being handled: a failure deeper down only records c->pending_err.
 *  - A packet identifier is marked in c->pid_used from allocation until
 *    its flow ends, so an id in flight is never reused.
 *  - c->inflight holds QoS 1/2 PUBLISHes that were sent and await an
 *    acknowledgement, in send order; c->queued holds the ones not yet
 *    sent, in submission order. Resends walk c->inflight in order.
 */
#ifndef TERN_CLIENT_CLIENT_H
#define TERN_CLIENT_CLIENT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "../../include/tern/tern.h"
#include "../base/buf.h"
#include "../base/list.h"
#include "../codec/mqtt.h"

struct addrinfo;

enum cstate {
	CS_IDLE,       /* no socket, nothing scheduled */
	CS_CONNECTING, /* TCP connect in progress */
	CS_CONNACK,    /* CONNECT queued, waiting for CONNACK */
	CS_CONNECTED,  /* CONNACK accepted */
	CS_CLOSING,    /* DISCONNECT queued; close when written */
	CS_RECONNECT   /* no socket; reconnect at c->reconnect_at */
};

/* Where a QoS 1/2 outgoing PUBLISH is in its flow. */
enum out_state {
	OUT_QUEUED,   /* not sent yet */
	OUT_WAIT_ACK, /* QoS 1: PUBLISH sent, PUBACK due */
	OUT_WAIT_REC, /* QoS 2: PUBLISH sent, PUBREC due */
	OUT_WAIT_COMP /* QoS 2: PUBREL sent, PUBCOMP due */
};

/* One outgoing QoS 1/2 PUBLISH and its encoded bytes (for resends). */
struct out_msg {
	struct list link;
	uint16_t pid;
	uint16_t topic_alias; /* its Topic Alias property, 0 = none */
	uint8_t qos;
	uint8_t state; /* enum out_state */
	size_t len;
	uint8_t pkt[];
};

/* A SUBSCRIBE or UNSUBSCRIBE waiting for its acknowledgement. */
struct out_req {
	struct list link;
	uint16_t pid;
	uint8_t type; /* MQTT_SUBSCRIBE or MQTT_UNSUBSCRIBE */
	size_t count; /* entries in the request */
};

/*
 * A blocking call waiting for the end of one flow; lives on the caller's
 * stack and on c->waiters while it waits.
 */
struct waiter {
	struct list link;
	uint8_t type; /* MQTT_PUBLISH, MQTT_SUBSCRIBE, MQTT_UNSUBSCRIBE */
	uint16_t pid;
	bool done;
	int err;
	int reason;
	uint8_t *rcs; /* caller storage for n reason codes, or NULL */
	size_t n;
};

/* A received message waiting for tern_recv(). */
struct queued_msg {
	struct list link;
	struct tern_message *m;
};

/* Everything the client owns, as tern_client_new() copied it. */
struct client_conf {
	char *host;
	char *bind_address;
	char *client_id;
	char *username;
	uint8_t *password;
	size_t password_len;
	bool has_password;
	char *will_topic;
	uint8_t *will_payload;
	size_t will_payload_len;
	uint8_t will_qos;
	bool will_retain;
	uint8_t *will_props; /* encoded will properties */
	size_t will_props_len;
	uint8_t *connect_props; /* encoded CONNECT properties */
	size_t connect_props_len;
	uint32_t session_expiry;
	uint32_t max_packet_in; /* 0 = protocol maximum */
	uint16_t topic_alias_in;
};

struct tern_client {
	pthread_mutex_t mu; /* recursive; see the rules in tern.h */
	pthread_cond_t cv;  /* signalled after each tern_io() turn */
	struct tern_options opt;
	struct client_conf conf;
	struct tern_callbacks cb;
	void *cb_arg;
	enum mqtt_ver ver;

	enum cstate state;
	int fd;
	struct addrinfo *ai_list; /* addresses still to try */
	struct addrinfo *ai_next;
	struct buf in;
	struct buf out;
	int pending_err;      /* recorded failure, acted on at the top */
	int pending_reason;   /* server DISCONNECT reason, -1 none */
	int last_err;         /* why the client went idle */
	bool user_disconnect; /* the application asked to close */
	bool blocking_connect;
	bool reconnecting;  /* this attempt is an automatic reconnect */
	bool connect_clean; /* the Clean flag this attempt sent */
	int in_cb;          /* callback nesting depth */
	unsigned fd_gen;    /* bumped whenever c->fd changes */
	char detail[160];   /* the system's words for the last failure */
	uint8_t *disc_raw;  /* properties of the server's DISCONNECT */
	size_t disc_raw_len;

	/* Session state, kept across reconnects. */
	struct list inflight; /* struct out_msg, sent */
	struct list queued;   /* struct out_msg, not sent */
	struct list reqs;     /* struct out_req */
	struct list waiters;  /* struct waiter */
	struct list msgq;     /* struct queued_msg, for tern_recv() */
	uint8_t pid_used[8192];
	uint8_t qos2_in[8192]; /* incoming QoS 2 ids awaiting PUBREL */
	uint16_t next_pid;
	size_t sent_unacked; /* counts against the send quota */
	bool ever_connected;

	/* What the last CONNACK said. */
	int last_reason;
	bool session_present;
	uint16_t recv_max_out;   /* server's Receive Maximum */
	uint32_t max_packet_out; /* server's Maximum Packet Size, 0 none */
	uint8_t max_qos;
	uint16_t topic_alias_max_out; /* server's Topic Alias Maximum */
	bool retain_available;
	uint16_t keepalive; /* in effect (Server Keep Alive wins) */
	char *assigned_id;
	uint8_t *connack_raw;
	struct tern_prop *connack_props;
	size_t n_connack_props;

	/* Incoming topic aliases: alias i is topic_alias[i - 1]. */
	char **topic_alias;

	/* Timers, CLOCK_MONOTONIC ms; 0 = not armed. */
	uint64_t last_out_ms;
	uint64_t ping_sent_ms;
	uint64_t connect_deadline;
	uint64_t close_deadline;
	uint64_t reconnect_at;
	uint32_t backoff_ms;

	/* The library's loop thread. */
	pthread_t thread;
	bool thread_running;
	bool thread_stop;
	int wake_fd; /* eventfd, -1 until tern_loop_start() */
};

/* Locking (client.c). */
void client_lock(struct tern_client *c);
void client_unlock(struct tern_client *c);
/* client_wake() - make the loop thread, if any, look at the client. */
void client_wake(struct tern_client *c);
/* client_on_loop_thread() - is the caller the library's loop thread? */
bool client_on_loop_thread(struct tern_client *c);

/* Connection (conn.c). Thread: the caller holds c->mu. */
/* client_conn_start() - resolve and start connecting; @reconnect: may resume.
 */
int client_conn_start(struct tern_client *c, bool reconnect);
int client_conn_io(struct tern_client *c, short revents);
/*
 * client_attach() - use the connected stream socket @fd (taking ownership
 * of it) instead of resolving and connecting, then send CONNECT; a client
 * that was connected before resumes as on a reconnect. For tests, which
 * pass one end of a socketpair. Thread: any; takes c->mu.
 */
int client_attach(struct tern_client *c, int fd);
void client_flush(struct tern_client *c);
/* client_fail() - record @err (and v5 DISCONNECT @rc if >= 0) for the top. */
void client_fail(struct tern_client *c, int err, int rc);
/* client_close_now() - drop the socket at once; state becomes CS_IDLE. */
void client_close_now(struct tern_client *c, int err);
short client_events(const struct tern_client *c);
uint64_t client_deadline(const struct tern_client *c);

/* Sending (send.c). */
int client_send_packet(struct tern_client *c, const struct mqtt_packet *p);
int client_send_ack(struct tern_client *c, uint8_t type, uint16_t pid,
                    uint8_t rc);
int client_send_connect(struct tern_client *c, bool reconnect);
/* client_send_pump() - send queued PUBLISHes while the quota allows. */
void client_send_pump(struct tern_client *c);
/* client_send_resume() - after CONNACK: resend or requeue the session's flows.
 */
void client_send_resume(struct tern_client *c);
int client_pid_alloc(struct tern_client *c, uint16_t *out);
void client_pid_free(struct tern_client *c, uint16_t pid);
/* client_type_name() - "PUBLISH"... for packet type @type, for traces. */
const char *client_type_name(uint8_t type);
void client_log(struct tern_client *c, const char *fmt, ...)
#if defined(__GNUC__)
        __attribute__((format(printf, 2, 3)))
#endif
        ;

/* Receiving (recv.c). */
int client_recv_packet(struct tern_client *c, const struct mqtt_fixed *fh,
                       struct span body);
/* client_aliases_clear() - forget the server's topic aliases. */
void client_aliases_clear(struct tern_client *c);

/* Flow completion (flow.c). */
void client_flow_publish_done(struct tern_client *c, struct out_msg *m, int err,
                              int reason, const struct tern_props *props);
/* client_flow_req_done() - @rcs may be NULL with @n 0 when the request failed.
 */
void client_flow_req_done(struct tern_client *c, struct out_req *r, int err,
                          const uint8_t *rcs, size_t n,
                          const struct tern_props *props);
/*
 * client_flow_conn_lost() - fail what cannot survive the loss of a connection;
 * @final: no reconnect follows, so publish waiters give up too.
 */
void client_flow_conn_lost(struct tern_client *c, int err, bool final);

/* Properties (props.c). */
/* The most properties of one received packet that a callback sees. */
#define CLIENT_PROPS_SHOWN 32
/*
 * client_props_view() - the validated block @raw as a list in the caller's
 * @v[CLIENT_PROPS_SHOWN]; pointers go into @raw. Empty when @raw holds
 * more properties than that.
 */
struct tern_props client_props_view(struct span raw, struct tern_prop *v);
/*
 * client_props_size() - bytes of @p on the wire, after checking that each
 * property may appear in @where (an enum mqtt_type, or 0 for a will) and
 * that values fit their types. 0 and *out set, or TERN_EINVAL.
 */
int client_props_size(const struct tern_props *p, unsigned where, size_t *out);
void client_props_encode(const struct tern_props *p, struct wr *w);
/* client_props_count() - properties in a validated block. */
size_t client_props_count(struct span raw);
/* client_props_parse() - fill @v (client_props_count() entries) from @raw. */
void client_props_parse(struct span raw, struct tern_prop *v);

/* Waiting for blocking calls (wait.c). */
typedef bool wait_done_fn(struct tern_client *c, void *arg);
/*
 * client_wait() - run the connection (or, with the loop thread, sleep on
 * c->cv) until @done says so or @timeout_ms passes (-1: no limit).
 * Returns 0 when done, TERN_ETIMEOUT, or TERN_EBUSY from a callback.
 */
int client_wait(struct tern_client *c, wait_done_fn *done, void *arg,
                int timeout_ms);
/*
 * client_poll_once() - one poll of the socket (at most @timeout_ms, or the
 * next timer) and client_conn_io(). Returns as tern_io(). Not with the thread.
 */
int client_poll_once(struct tern_client *c, int timeout_ms);

/* Reason codes (reason.c). */
int client_reason_err(enum mqtt_ver ver, int reason);

#endif
