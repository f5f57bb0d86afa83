/*
 * broker.h - the broker's internal objects and the functions that pass
 * them between the files of broker/. Not a public interface.
 *
 * Ownership in one paragraph: struct server is made in main() and shared
 * read-mostly by all threads. Each struct worker is one thread with its
 * own epoll loop; a client (connection) and the session attached to it
 * belong to exactly one worker. Sessions never move between workers: a
 * CONNECT that lands on another worker than the one holding its session
 * hands the *connection* to the session's worker through that worker's
 * inbox (see connect.c). Other workers name a session only by
 * (worker, slot, generation) - the sub_ref the router stores - and pass
 * deliveries through inboxes; the owner checks the generation before use.
 */
#ifndef TERN_BROKER_BROKER_H
#define TERN_BROKER_BROKER_H

#include <pthread.h>
#include <stdatomic.h>

#include "../auth/acl.h"
#include "../auth/auth.h"
#include "../base/list.h"
#include "../base/mpsc.h"
#include "../base/pool.h"
#include "../codec/msg.h"
#include "../codec/pubhead.h"
#include "../config/config.h"
#include "../net/conn.h"
#include "../net/listener.h"
#include "../net/loop.h"
#include "../router/retain.h"
#include "../router/router.h"
#include "pidmap.h"

/* Output bytes queued on a connection above which new messages wait in
 * the session queue instead (so a slow reader only grows its own queue,
 * bounded by max_queued_messages / max_queued_bytes). */
#define CLIENT_OUT_HIGH (256 * 1024)
/* Deliveries per cross-worker batch (one allocation, one push). */
#define BATCH_MAX 256
/* Empty batches a worker keeps for reuse. */
#define BATCH_POOL_KEEP 8
/* A connection may be handed between workers at most this often. */
#define CLIENT_MAX_HOPS 4
/* Worker housekeeping period (keep-alive, connect timeout, expiry). */
#define TICK_MS     250
#define SCRATCH_LEN 65536
/* Session flow bits (flow.c): chunks of this many slots, never moved. */
#define FLOW_CHUNK      4096
#define FLOW_MAX_CHUNKS 4096
#define FLOW_BUSY       1 /* progressing, queue past its mark: hold publishers */
#define FLOW_FULL       2 /* any new message would be dropped (drop_newest) */
/* Largest CONNECT accepted: a 3.1.1 CONNECT with every field at its
 * maximum is about 320 KiB; the rest is room for MQTT 5 properties. An
 * unauthenticated peer can make us buffer no more than this. */
#define CONNECT_MAX (1024 * 1024)

struct worker;
struct session;
struct match_seen;

/* ---- server ---------------------------------------------------------- */

/* Counters, per worker; relaxed atomics so $SYS can sum them. */
struct stats {
	atomic_ulong msgs_recv;
	atomic_ulong msgs_sent;
	atomic_ulong bytes_recv;
	atomic_ulong bytes_sent;
	atomic_ulong dropped;
	atomic_long connected;    /* clients with an accepted CONNECT */
	atomic_long disconnected; /* persistent sessions with no client */
};

/*
 * stat_add() - add @n to one of the calling worker's own counters. Only
 * that worker writes them (sys.c reads them from worker 0), so a relaxed
 * load and store do, without the locked read-modify-write that cost a
 * few percent per message.
 */
static inline void
stat_add(atomic_ulong *counter, unsigned long n)
{
	atomic_store_explicit(
	        counter,
	        atomic_load_explicit(counter, memory_order_relaxed) + n,
	        memory_order_relaxed);
}

/* The client-id registry: id -> (worker, slot, gen), under a mutex,
 * touched only on CONNECT and session end. */
struct reg_entry {
	struct reg_entry *next;
	uint32_t worker, slot, gen;
	size_t len;
	char id[];
};

struct registry {
	pthread_mutex_t lock;
	struct reg_entry **buckets;
	size_t n_buckets;
	size_t count;
};

struct listen_slot {
	const struct config_listener *cfg;
	atomic_long count; /* open connections on this listener */
};

struct server {
	const struct config *cfg;
	/* Milliseconds the workers read time from: clock_mono_ms, or a
	 * manual clock that a test or fuzzer advances itself. */
	uint64_t (*clock)(void);
	struct router *router;
	struct retain *retain;
	struct passwd_db *passwd;
	struct acl *acl; /* NULL: no acl_file, everything allowed */
	struct registry reg;
	bool reg_ready;
	struct worker **workers;
	unsigned n_workers;
	struct listen_slot listeners[CONFIG_MAX_LISTENERS];
	size_t n_listeners;
	atomic_bool stopping;
	atomic_long n_conns;     /* open connections, all listeners */
	atomic_long n_pending;   /* of those, CONNECT not yet accepted */
	size_t mem_budget;       /* memory_limit resolved; SIZE_MAX = none */
	atomic_long clients_max; /* highest `connected` seen */
	atomic_ulong id_seq;     /* for server-assigned client ids */
	uint64_t start_ms;
	struct codec_limits limits;
	struct codec_limits connect_limits; /* before CONNECT is accepted */
	size_t max_payload;                 /* message_size_limit, 0 = none */
};

/* ---- inbox items ------------------------------------------------------ */

enum inbox_kind {
	INBOX_BATCH = 1, /* struct batch: deliveries for sessions here */
	INBOX_CLIENT,    /* struct client handed over, CONNECT unread */
};

struct inbox_item {
	struct mpsc_node node; /* first: the queue links items by it */
	uint8_t kind;
};

/* One message for one session: what a match becomes. */
struct delivery {
	struct msg *m; /* one reference held */
	uint32_t slot;
	uint32_t gen;
	uint8_t qos;    /* min(published, granted) */
	uint8_t retain; /* RETAIN flag to send */
};

struct batch {
	struct inbox_item item;
	struct pool *home; /* the producer's batch pool: it goes back there */
	uint32_t n;
	struct delivery d[BATCH_MAX];
};

/* ---- clients and sessions -------------------------------------------- */

enum client_state {
	CS_NEW,       /* accepted, waiting for CONNECT */
	CS_ACTIVE,    /* CONNACK 0 sent */
	CS_MIGRATING, /* CONNECT belongs to another worker's session */
	CS_CLOSING    /* closed at the end of this loop turn */
};

struct client {
	struct conn conn;       /* first: watch callbacks cast back */
	struct inbox_item item; /* for hand-over between workers */
	struct worker *w;
	struct list link;  /* w->clients */
	struct list wlink; /* w->pending_write or w->closing */
	struct session *session;
	struct msg *will; /* NULL when none */
	uint64_t accepted_ms;
	uint64_t last_rx_ms;
	uint16_t keepalive;
	uint8_t ver;      /* enum mqtt_ver, once CONNECT is read */
	uint8_t state;    /* enum client_state */
	uint8_t listener; /* index into srv->listeners */
	uint8_t hops;
	bool out_armed;       /* EPOLLOUT requested */
	bool graceful;        /* DISCONNECT received: no will */
	bool counted;         /* included in stats.connected */
	bool pending;         /* included in srv->n_pending */
	bool throttled;       /* not read from: see flow.c */
	uint32_t migrate_to;  /* beside the flags: fills their padding */
	struct list tlink;    /* w->throttled */
	uint64_t progress_ms; /* last time it took output or acked */
	const char *why;      /* reason for closing, for the log */
};

enum qent_state {
	QS_QUEUED,       /* not sent yet */
	QS_WAIT_PUBACK,  /* QoS 1 sent */
	QS_WAIT_PUBREC,  /* QoS 2 sent */
	QS_WAIT_PUBCOMP, /* QoS 2, PUBREL sent */
};

/* One outbound message of a session, queued or in flight. */
struct qent {
	struct list link;
	struct msg *m; /* NULL once PUBREC released it */
	uint16_t pid;
	uint8_t qos;
	uint8_t retain;
	uint8_t state; /* enum qent_state */
};

/* One subscription, kept by the session to undo it at session end. */
struct sub {
	struct sub *next;
	uint8_t qos;
	uint16_t len;
	char filter[];
};

struct session {
	char *id;
	size_t id_len;
	char *username; /* of the last connection; NULL = anonymous */
	size_t username_len;
	uint32_t slot;
	uint32_t gen;
	struct client *client; /* NULL while disconnected */
	bool persistent;       /* clean session 0 */
	bool idle;             /* counted in stats.disconnected */
	bool busy;             /* its FLOW_BUSY bit is set (flow.c) */
	bool full;             /* its FLOW_FULL bit is set */
	bool stalled;          /* holds no one, dropping by its caps */
	uint8_t strikes;       /* busy spells in a row that timed out */
	uint16_t next_pid;     /* beside the flags: fills their padding */
	struct sub *subs;
	size_t n_subs;
	struct list queue; /* struct qent, QS_QUEUED, FIFO */
	size_t n_queued;
	size_t queued_bytes;
	struct list inflight; /* struct qent, in send order */
	size_t n_inflight;
	struct pidmap out_pids; /* pid -> struct qent in inflight */
	struct pidmap rx_qos2;  /* inbound QoS 2 ids awaiting PUBREL */
	struct list blink;      /* w->busy, while busy */
	/* One or the other: a client coming back finds its stall's
	 * cooldown over (flow.c). */
	union {
		uint64_t disconnected_ms; /* while client == NULL */
		uint64_t flow_since_ms;   /* start of its busy spell or stall */
	};
};

struct session_slot {
	struct session *s; /* NULL when free */
	uint32_t gen;
	uint32_t next_free;
};

/* ---- worker ----------------------------------------------------------- */

struct worker_listen {
	struct loop_watch watch;
	struct worker *w;
	uint8_t listener; /* index into srv->listeners */
};

struct worker {
	struct server *srv;
	unsigned idx;
	pthread_t thread;
	struct loop loop;
	struct mpsc inbox;
	atomic_int sleeping; /* pairs with the producers' fence in push */
	struct batch **out;  /* per destination worker, pending this turn */
	/* Messages and batches this worker makes, given back by whichever
	 * worker frees them (base/pool.h). */
	struct pool msg_pool;
	struct pool batch_pool;
	/* deliver.c: PUBLISH heads, encoded once */
	struct pub_head_cache heads;
	struct worker_listen *lw;
	size_t n_lw;
	uint64_t accept_resume_ms; /* 0 = accepting */
	/* flow.c: this worker's sessions' flow bits, written by this worker
	 * only (release on a new chunk), read by every worker. */
	_Atomic(uint8_t *) flow[FLOW_MAX_CHUNKS];
	/* Deliveries pushed to this worker's inbox and not yet handled:
	 * producers add, this worker subtracts (relaxed counters; a stale
	 * value only delays or hastens one throttle). */
	atomic_long inbox_pending;
	struct list throttled; /* clients not read from for now */
	uint64_t throttle_until_ms;
	struct list busy;       /* sessions holding publishers (flow.c) */
	uint64_t flow_check_ms; /* when flow_expire() next looks at them */
	struct list clients;
	struct list pending_write;
	struct list closing;
	struct session_slot *slots;
	uint32_t n_slots;
	uint32_t free_slot;      /* head of the free list, UINT32_MAX = none */
	struct sub_ref *matches; /* scratch for router_match */
	size_t n_matches;
	size_t cap_matches;
	size_t n_full;           /* matches route_plan() found full */
	struct match_seen *seen; /* publish.c: sessions among the matches */
	size_t cap_seen;
	uint32_t seen_stamp;
	uint64_t now_ms;
	uint64_t next_tick_ms;
	uint64_t next_sys_ms;
	struct stats stats;
	uint8_t scratch[SCRATCH_LEN];
};

/* ---- functions, by file ----------------------------------------------- */

enum mem_pressure {
	MEM_OK,   /* under 90% of memory_limit */
	MEM_HIGH, /* 90%: shed QoS 0 to queues, refuse new clients */
	MEM_FULL  /* 100%: refuse new messages */
};

/* server.c */
enum mem_pressure server_mem_pressure(const struct server *srv);
/* server_new() - everything but the listening sockets: a server that
 * only takes connections handed to worker_accept_fd(). */
struct server *server_new(const struct config *cfg, uint64_t (*clock)(void),
                          char *err, size_t errlen);
/* server_listen() - open every configured listener on every worker.
 * 0, or an error with a message in @err; server_free() either way. */
int server_listen(struct server *srv, char *err, size_t errlen);
int server_run(struct server *srv, int signal_fd);
void server_free(struct server *srv);

/* worker.c */
int worker_init(struct worker *w, struct server *srv, unsigned idx, char *err,
                size_t errlen);
void worker_fini(struct worker *w);
int worker_listen(struct worker *w, char *err, size_t errlen);
/*
 * worker_accept_fd() - adopt the accepted non-blocking socket @fd as a new
 * connection on listener @listener, unless a limit (connections, pending
 * CONNECTs, memory) refuses it. 0, or TERN_EDENIED / TERN_ENOMEM with @fd
 * closed.
 */
int worker_accept_fd(struct worker *w, int fd, uint8_t listener);
/*
 * worker_turn() - one loop turn: wait for events until the next timer,
 * or at most @max_wait_ms (-1: no cap), then handle everything due.
 * Returns the number of ready watches. The caller is a router reader
 * (router_online) on @w->idx; worker_main() is the turns of a thread.
 */
int worker_turn(struct worker *w, int max_wait_ms);
/* worker_fini_pools() - free the pools of messages and batches the worker
 * made. Last: after every worker's worker_fini() and everything else that
 * may hold a message (retained ones). */
void worker_fini_pools(struct worker *w);
void *worker_main(void *arg);
void worker_push(struct worker *from, struct worker *to,
                 struct inbox_item *item);
void worker_queue_delivery(struct worker *w, uint32_t dest,
                           const struct delivery *d);
void client_want_write(struct client *c);
void client_close(struct client *c, const char *why);
void client_migrate(struct client *c, uint32_t dest);

/* proto.c */
void client_on_event(struct loop_watch *watch, uint32_t events);
void client_process_input(struct client *c);
int client_send_packet(struct client *c, const struct mqtt_packet *p);

/* connect.c */
int handle_connect(struct client *c, const struct mqtt_packet *p, int derr);
int handle_disconnect(struct client *c, const struct mqtt_packet *p);
void client_adopt(struct worker *w, struct client *c);
void client_finish_close(struct client *c);
void client_release_counts(struct client *c);

/* publish.c */
int handle_publish(struct client *c, const struct mqtt_packet *p);
int handle_puback(struct client *c, const struct mqtt_packet *p);
int handle_pubrec(struct client *c, const struct mqtt_packet *p);
int handle_pubrel(struct client *c, const struct mqtt_packet *p);
int handle_pubcomp(struct client *c, const struct mqtt_packet *p);
void route_message(struct worker *w, struct msg *m);

/* deliver.c */
void count_drop(struct worker *w, unsigned long n);
void deliver_local(struct worker *w, const struct delivery *d);
void deliver_to_session(struct worker *w, struct session *s, struct msg *m,
                        uint8_t qos, bool retain);
void session_pump(struct worker *w, struct session *s);
void session_resend(struct worker *w, struct session *s);
void qent_free(struct qent *q);

/* subscribe.c */
int handle_subscribe(struct client *c, const struct mqtt_packet *p);
int handle_unsubscribe(struct client *c, const struct mqtt_packet *p);
int handle_pingreq(struct client *c, const struct mqtt_packet *p);

/* session.c */
struct session *session_new(struct worker *w, struct span id);
void session_destroy(struct worker *w, struct session *s, bool unregister);
void session_set_idle(struct worker *w, struct session *s, bool idle);
struct session *session_lookup(struct worker *w, uint32_t slot, uint32_t gen);
void session_sweep(struct worker *w);
int session_set_username(struct session *s, const struct mqtt_connect *cn);
bool session_may(const struct worker *w, const struct session *s,
                 struct span topic, enum acl_access access);
int registry_init(struct registry *r);
void registry_fini(struct registry *r);
int registry_insert(struct registry *r, struct span id, uint32_t worker,
                    uint32_t slot, uint32_t gen, struct reg_entry *found);
int registry_replace(struct registry *r, struct span id, uint32_t worker,
                     uint32_t slot, uint32_t gen);
bool registry_contains(struct registry *r, struct span id);
void registry_remove(struct registry *r, struct span id, uint32_t worker,
                     uint32_t slot, uint32_t gen);

/* flow.c */
int flow_reserve(struct worker *w, uint32_t n_slots);
void flow_fini(struct worker *w);
long flow_inbox_limit(const struct server *srv, uint8_t qos);
bool flow_worker_behind(const struct server *srv, uint32_t worker, long limit);
void flow_progress(struct client *c);
void flow_arrival(struct client *c, const struct session *s);
void flow_update(struct worker *w, struct session *s);
bool flow_progressing(const struct worker *w, const struct session *s);
void flow_throttle(struct client *c);
void flow_release(struct worker *w);
void flow_expire(struct worker *w);
int flow_timeout(const struct worker *w, int timeout);

/* The flow bits (FLOW_BUSY, FLOW_FULL) of a session of any worker, read
 * for every match of every message: inline. */
static inline uint8_t
flow_state(const struct server *srv, uint32_t worker, uint32_t slot)
{
	const struct worker *w = srv->workers[worker];
	uint8_t *c;

	if (slot / FLOW_CHUNK >= FLOW_MAX_CHUNKS) {
		return 0;
	}
	/* Acquire pairs with the release in flow_reserve(). */
	c = atomic_load_explicit(&w->flow[slot / FLOW_CHUNK],
	                         memory_order_acquire);
	/* Relaxed: a stale busy bit only delays or hastens one throttle; a
	 * stale full bit drops a message that raced with the queue draining,
	 * as if it had arrived a moment earlier. */
	return c == NULL ? 0
	                 : atomic_load_explicit(
	                           (_Atomic uint8_t *)&c[slot % FLOW_CHUNK],
	                           memory_order_relaxed);
}

/* sys.c */
void sys_publish(struct worker *w);

#endif
