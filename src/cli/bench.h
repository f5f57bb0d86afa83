/*
 * bench.h - `tern bench`, a load generator in the spirit of emqtt-bench.
 *
 * T worker threads each run an epoll loop over their share of the
 * clients. A client is a non-blocking socket and a small state machine
 * that speaks MQTT through the codec directly: CONNECT, SUBSCRIBE,
 * PUBLISH and the acks are encoded into the client's output buffer, and
 * what arrives is framed and decoded in place, many packets per read().
 * Each client with output is written once per loop turn. Buffers, inflight
 * windows and histograms are allocated before the run; the per-message
 * path allocates nothing.
 *
 * The main thread only steers: it moves the run through its phases
 * (connect, run, drain, stop), prints a progress line every second, and
 * reports at the end. Workers publish their counters as relaxed atomics
 * (one writer each) so the progress line can read them while they run.
 *
 * Every payload of 16 bytes or more starts with a header: send time
 * (monotonic microseconds), publisher id and sequence number, each
 * big-endian. Subscribers use it for latency, and per publisher for
 * duplicate, order and loss accounting.
 */
#ifndef TERN_CLI_BENCH_H
#define TERN_CLI_BENCH_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "../codec/mqtt.h"

/* Exit codes beyond cli_exit's 0 (clean) and 1 (usage, setup). */
enum bench_exit {
	BENCH_EXIT_DELIVERY = 2, /* QoS 1/2 loss or QoS 2 duplicate */
	BENCH_EXIT_CONN = 3      /* connections failed or were lost */
};

enum bench_scn {
	SCN_CONN,   /* N connections, held */
	SCN_PUB,    /* P publishers */
	SCN_SUB,    /* S subscribers */
	SCN_PAIRS,  /* K publisher -> subscriber pairs, a topic each */
	SCN_FANIN,  /* P publishers -> 1 wildcard subscriber */
	SCN_FANOUT, /* 1 publisher -> S subscribers */
	SCN_SHARED  /* P publishers -> a $share group of S subscribers */
};

/* The bytes of the payload header; the minimum payload size. */
#define BENCH_HDR 16u

struct bench_opts {
	enum bench_scn scn;
	const char *scn_name;
	long clients; /* -c: the scenario's own count */
	long pubs;    /* publishers (resolved from -c, --pubs) */
	long subs;    /* subscribers (resolved from -c, --subs) */
	long track;   /* sub: publishers of another process to follow */
	long qos;
	long size; /* payload bytes */
	const char *topic;
	const char *group;
	double rate;     /* msgs/s per publisher; 0 = window-bound */
	long inflight;   /* QoS 1/2 window per publisher */
	double duration; /* seconds measured (hold time for conn) */
	double warmup;   /* seconds before measuring */
	double drain;    /* longest wait for stragglers after the run */
	double connect_timeout;
	long count; /* messages per publisher; 0 = run for duration */
	enum mqtt_ver ver;
	bool clean;
	const char *hosts;   /* comma-separated */
	const char *ports;   /* comma-separated */
	double connect_rate; /* new connections per second, all threads */
	long threads;
	bool json;
	const char *user;
	const char *pass;
	long keepalive;
	const char *id_prefix;
	bool duration_set;
	bool pubs_set;
	bool subs_set;
};

/* A broker address clients are spread over. */
struct bench_target {
	struct sockaddr_storage addr;
	socklen_t addr_len;
	char name[280]; /* host:port */
};

/*
 * A fixed-memory latency histogram in microseconds, HDR style: values
 * below 256 have a bucket each; above, every power of two is split into
 * 128 buckets, so a bucket is at most 0.8 % wide. Values up to 2^40 us.
 */
#define HIST_LINEAR 256u
#define HIST_SUB    128u
#define HIST_TOP    40u
#define HIST_N      (HIST_LINEAR + (HIST_TOP - 8u) * HIST_SUB)

struct bench_hist {
	uint64_t count;
	uint64_t sum;
	uint64_t min;
	uint64_t max;
	uint64_t b[HIST_N];
};

/* bench_hist_add() - count one value (clamped to the top bucket). */
void bench_hist_add(struct bench_hist *h, uint64_t v);
/* bench_hist_merge() - add @src's counts into @dst. */
void bench_hist_merge(struct bench_hist *dst, const struct bench_hist *src);
/* bench_hist_pct() - the value at quantile @q (0..1): the top of its
 * bucket, never above the exact maximum; 0 for an empty histogram. */
uint64_t bench_hist_pct(const struct bench_hist *h, double q);

/*
 * Duplicate and order state of one publisher as one receiver sees it:
 * the highest sequence number seen and which of the BENCH_WIN numbers
 * below it were seen (a ring indexed by seq % BENCH_WIN).
 */
#define BENCH_WIN 1024u

struct bench_stream {
	int64_t top; /* highest sequence seen; -1 before the first */
	uint64_t seen[BENCH_WIN / 64];
	uint64_t ooo;  /* arrived after a higher sequence number */
	uint64_t dups; /* seen before */
	uint32_t pub;  /* publisher id */
};

/* Counters of one worker. One writer (the worker); the main thread reads
 * them while the run goes on: relaxed loads and stores, no ordering with
 * anything else (the final report reads them after pthread_join()). */
struct bench_ctr {
	_Atomic uint64_t sent;     /* PUBLISH queued, measured window */
	_Atomic uint64_t sent_all; /* PUBLISH queued, warm-up included */
	_Atomic uint64_t expected; /* deliveries due for @sent */
	_Atomic uint64_t acked;    /* QoS 1/2 flows completed */
	_Atomic uint64_t nacked;   /* MQTT 5 acks with a failure code */
	_Atomic uint64_t unacked;  /* in flight when the connection died */
	_Atomic uint64_t inflight; /* QoS 1/2 flows open now */
	_Atomic uint64_t received; /* deliveries, measured window */
	_Atomic uint64_t recv_all; /* deliveries, warm-up included */
	_Atomic uint64_t dups;
	_Atomic uint64_t ooo;
	_Atomic uint64_t untracked; /* no header, or an unknown publisher */
	_Atomic uint64_t connected; /* CONNACK accepted */
	_Atomic uint64_t ready;     /* connected (and subscribed) */
	_Atomic uint64_t failed;    /* never became ready */
	_Atomic uint64_t lost;      /* ready, then the connection ended */
	_Atomic uint64_t resolved;  /* ready + failed */
	_Atomic uint64_t pubs_done; /* publishers finished or dead */
	_Atomic uint64_t last_rx_us;
};

enum bench_role { ROLE_CONN, ROLE_PUB, ROLE_SUB };

enum bench_state {
	ST_IDLE,    /* not started */
	ST_TCP,     /* connect() in progress */
	ST_CONNACK, /* CONNECT sent */
	ST_SUBACK,  /* SUBSCRIBE sent */
	ST_READY,
	ST_CLOSED /* failed, lost, or closed at the end */
};

struct bench_worker;

struct bench_client {
	struct bench_worker *w;
	struct bench_client *next_run;   /* run queue */
	struct bench_client *next_timer; /* timer wheel slot */
	struct bench_client *next_dirty; /* output to write this turn */
	const struct bench_target *target;
	uint32_t idx; /* publisher id, subscriber or connection number */
	uint8_t role;
	uint8_t state;
	bool in_run;
	bool in_timer;
	bool dirty;
	bool rx_held;  /* input left unparsed: no room for the replies */
	bool done;     /* publisher: counted in pubs_done */
	bool want_out; /* publisher: waits for output room */
	bool in_epoll;
	int fd;
	uint32_t events; /* armed in epoll */
	uint8_t *in;
	size_t in_len;
	size_t in_cap;
	uint8_t *out;
	size_t out_off;
	size_t out_len;
	size_t out_cap;
	uint64_t t_start; /* connect() called, us */
	uint64_t t_tx;    /* last packet queued, us */
	char *topic;      /* publish topic or subscription filter */
	size_t topic_len;

	/* Publishers. */
	uint32_t seq;     /* next sequence number */
	uint32_t matches; /* subscribers due each message */
	uint64_t sent;    /* measured window */
	uint64_t due;     /* when the next token is there, us */
	double tokens;
	uint64_t t_fill; /* tokens last refilled, us */
	size_t pub_len;  /* a whole PUBLISH */
	uint16_t window;
	uint16_t n_free;
	uint16_t *free_pids; /* packet ids not in flight */
	uint64_t *slot_t;    /* send time by packet id - 1 */

	/* Subscribers: streams for publishers first_pub .. + n_pub. */
	struct bench_stream *streams;
	uint32_t first_pub;
	uint32_t n_pub;
};

struct bench;

struct bench_worker {
	struct bench *b;
	pthread_t thread;
	int epfd;
	int evfd; /* the main thread's wake-up */
	struct bench_client **cl;
	size_t n_cl;
	size_t next_connect;
	double connect_rate; /* this worker's share */
	uint64_t now;        /* us, once per turn and after each read */
	int phase;           /* the last phase acted on */
	uint64_t last_sweep;
	struct bench_client *run; /* run queue (LIFO; order is not needed) */
	struct bench_client *dirty;
	struct bench_client **wheel; /* BENCH_WHEEL slots of 1 ms */
	size_t n_timers;
	uint64_t wheel_ms; /* next slot to expire */
	struct bench_ctr ctr;
	struct bench_hist lat;      /* publish -> delivery */
	struct bench_hist ack_lat;  /* publish -> PUBACK / PUBCOMP */
	struct bench_hist conn_lat; /* connect() -> CONNACK */
	char first_err[256];
	double cpu0;  /* thread CPU seconds when the load window opened */
	double cpu_s; /* thread CPU seconds in the load window */
};

#define BENCH_WHEEL 1024u

enum bench_phase { PH_CONNECT, PH_RUN, PH_DRAIN, PH_STOP };

struct bench {
	struct bench_opts o;
	struct bench_target *targets;
	size_t n_targets;
	struct bench_client *cl; /* subscribers, publishers, connections */
	size_t n_cl;
	struct bench_client *pubs; /* into @cl */
	struct bench_client *subs; /* into @cl */
	struct bench_worker *w;
	size_t n_w;
	struct bench_stream *streams;
	size_t n_streams;
	pthread_mutex_t *stream_mu; /* one per stream when shared */
	_Atomic uint8_t *sub_ok;    /* subscriber ready: worker -> main */
	uint32_t *matches;          /* per publisher, set before PH_RUN */
	uint8_t *filler;            /* payload bytes after the header */
	struct codec_limits lim;
	char id_prefix[48];
	_Atomic int phase;  /* store-release by main, load-acquire by workers */
	uint64_t t_begin;   /* workers start connecting */
	uint64_t t_go;      /* publishing starts */
	uint64_t t_measure; /* end of warm-up */
	uint64_t t_end;     /* publishing stops (planned, then actual) */
	uint64_t t_stop;    /* drain ends */
	double cpu_s[2];    /* user, sys over the load window */
	double cpu_wall;    /* the load window, seconds */
	bool interrupted;
	bool drain_cut; /* --drain ran out while deliveries still came */
};

/* bench_opts.c */

/*
 * bench_parse() - fill @o from argv (after "bench"). 0; -1 after --help
 * (exit 0); or CLI_ERR after printing the error. Strings in @o point into
 * argv.
 */
int bench_parse(struct bench_opts *o, int argc, char **argv);

/*
 * bench_topic() - expand %i in @pattern with @i into a new string of
 * *@len bytes (caller frees), or NULL when out of memory.
 */
char *bench_topic(const char *pattern, unsigned long i, size_t *len);

/*
 * bench_wildcard() - @pattern with every level that holds %i replaced by
 * "+", prefixed with @prefix (may be ""); caller frees. NULL on no memory.
 */
char *bench_wildcard(const char *prefix, const char *pattern);

/* bench_targets() - resolve -h x -p into b->targets; 0 or CLI_ERR. */
int bench_targets(struct bench *b);

/* bench_client.c: one connection's protocol, on its worker's thread. */

/* bench_client_connect() - open the socket and start connecting. */
void bench_client_connect(struct bench_client *c);
/* bench_client_io() - handle epoll @events for @c. */
void bench_client_io(struct bench_client *c, uint32_t events);
/* bench_client_work() - publish what tokens and window allow, and parse
 * held input; called from the run queue. */
void bench_client_work(struct bench_client *c);
/* bench_client_flush() - one write of what @c has queued. */
void bench_client_flush(struct bench_client *c);
/* bench_client_tick() - once a second: keep-alive and connect timeout. */
void bench_client_tick(struct bench_client *c);
/* bench_client_start() - publishing begins: arm @c (a publisher). */
void bench_client_start(struct bench_client *c);
/* bench_client_close() - end the connection (a DISCONNECT first when
 * @polite) and settle its counters. */
void bench_client_close(struct bench_client *c, bool polite);
/* bench_client_fail() - @c failed: count it, remember @why, close. */
void bench_client_fail(struct bench_client *c, const char *why);

/* bench_worker.c */

/* bench_worker_main() - the worker thread (arg: struct bench_worker). */
void *bench_worker_main(void *arg);
/* bench_run_add() - put @c on its worker's run queue. */
void bench_run_add(struct bench_client *c);
/* bench_dirty_add() - @c has output to write at the end of the turn. */
void bench_dirty_add(struct bench_client *c);
/* bench_timer_add() - run @c when c->due has come. */
void bench_timer_add(struct bench_client *c);
/* bench_epoll_set() - arm @events for @c's socket; false on failure. */
bool bench_epoll_set(struct bench_client *c, uint32_t events);
/* bench_ctr_add() - add @n to a counter of this worker (single writer). */
void bench_ctr_add(_Atomic uint64_t *ctr, uint64_t n);
/* bench_ctr_sub() - subtract @n from a gauge of this worker. */
void bench_ctr_sub(_Atomic uint64_t *ctr, uint64_t n);
/* bench_phase() - the current phase (acquire). */
int bench_phase(const struct bench *b);

/* bench_report.c */

/* bench_sum() - the sum of counter @field over every worker. */
uint64_t bench_sum(const struct bench *b, size_t field);
/*
 * bench_report() - print the final report (text or JSON) on stdout, after
 * the workers are joined. Returns the exit code the numbers call for.
 */
int bench_report(const struct bench *b);

#define BENCH_CTR(f) offsetof(struct bench_ctr, f)

#endif
