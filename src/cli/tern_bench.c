/*
 * tern_bench.c - `tern bench SCENARIO [options]`: set the clients up, run
 * the workers, steer the phases, report.
 *
 * Phases: CONNECT (workers open their connections at the connect rate;
 * subscribers subscribe) -> RUN (once every connection is up or has
 * failed, or the connect deadline passed: publishers start; the first
 * --warmup seconds are not counted) -> DRAIN (publishing has stopped;
 * wait for acks and late deliveries, at most --drain seconds) -> STOP
 * (every connection sends DISCONNECT and closes). `conn` holds its
 * connections through RUN and skips DRAIN.
 *
 * The main thread sleeps in poll() on a signalfd (SIGINT/SIGTERM end the
 * run early, with a report) and wakes ten times a second to check the
 * phase and once a second to print progress on stderr.
 */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "../base/clock.h"
#include "bench.h"
#include "tern_cli.h"

#define BUF_BUDGET (64u << 20) /* input + output buffers, all clients */
#define BUF_MIN    4096u
#define BUF_MAX    65536u
#define QUIET_US   1000000u /* drain: no delivery for this long ends it */

static size_t
max_sz(size_t a, size_t b)
{
	return a > b ? a : b;
}

/* Per-client buffer size: a share of the budget, within limits. */
static size_t
buf_share(const struct bench *b)
{
	size_t share = BUF_BUDGET / (b->n_cl > 0 ? b->n_cl : 1);

	return share < BUF_MIN ? BUF_MIN : share > BUF_MAX ? BUF_MAX : share;
}

/* The topic a publisher sends to, or the filter a subscriber takes. */
static char *
client_topic(const struct bench *b, const struct bench_client *c, size_t *len)
{
	const struct bench_opts *o = &b->o;
	char prefix[300];
	char *t = NULL;

	if (c->role == ROLE_PUB || o->scn == SCN_PAIRS || o->scn == SCN_SUB) {
		return bench_topic(o->topic, c->idx, len);
	}
	if (o->scn == SCN_FANOUT) {
		return bench_topic(o->topic, 0, len);
	}
	/* (void): the group name is checked to fit in setup_clients(). */
	(void)snprintf(prefix, sizeof prefix, "$share/%s/", o->group);
	t = bench_wildcard(o->scn == SCN_SHARED ? prefix : "", o->topic);
	if (t != NULL) {
		*len = strlen(t);
	}
	return t;
}

static int
check_topic(const struct bench_client *c)
{
	struct span t = span_make(c->topic, c->topic_len);
	int err = c->role == ROLE_PUB ? topic_check_name(t)
	                              : topic_check_filter(t);

	if (err != 0 || c->topic_len > 65535) {
		cli_error(NULL, "Invalid %s '%s' (from -t).",
		          c->role == ROLE_PUB ? "topic" : "topic filter",
		          c->topic);
		return CLI_ERR;
	}
	return 0;
}

/* Buffers and the packet-id window of one client. */
static int
client_buffers(struct bench *b, struct bench_client *c)
{
	const struct bench_opts *o = &b->o;
	size_t ctl = 256 + c->topic_len + (o->user ? strlen(o->user) : 0) +
	             (o->pass ? strlen(o->pass) : 0);
	size_t share = buf_share(b);

	c->in_cap = c->role == ROLE_SUB   ? max_sz(share, 2 * (size_t)o->size)
	            : c->role == ROLE_PUB ? BUF_MIN
	                                  : 256;
	c->out_cap =
	        ctl + (c->role == ROLE_SUB   ? BUF_MIN
	               : c->role == ROLE_PUB ? max_sz(share, 2 * c->pub_len)
	                                     : 0);
	c->in = malloc(c->in_cap);
	c->out = malloc(c->out_cap);
	if (c->in == NULL || c->out == NULL) {
		return CLI_ERR;
	}
	if (c->role == ROLE_PUB && o->qos > 0) {
		c->free_pids = calloc((size_t)o->inflight, sizeof(uint16_t));
		c->slot_t = calloc((size_t)o->inflight, sizeof(uint64_t));
		if (c->free_pids == NULL || c->slot_t == NULL) {
			return CLI_ERR;
		}
	}
	return 0;
}

static int
client_init(struct bench *b, struct bench_client *c, size_t i)
{
	const struct bench_opts *o = &b->o;
	size_t subs = (size_t)o->subs, pubs = (size_t)o->pubs;

	c->fd = -1;
	c->target = &b->targets[i % b->n_targets];
	c->role = i < subs ? ROLE_SUB : i < subs + pubs ? ROLE_PUB : ROLE_CONN;
	c->idx = (uint32_t)(i < subs          ? i
	                    : i < subs + pubs ? i - subs
	                                      : i - subs - pubs);
	if (c->role != ROLE_CONN) {
		c->topic = client_topic(b, c, &c->topic_len);
		if (c->topic == NULL || check_topic(c) != 0) {
			return CLI_ERR;
		}
	}
	if (c->role == ROLE_PUB) {
		struct mqtt_publish p = {0};

		p.qos = (uint8_t)o->qos;
		p.pid = 1;
		p.topic = span_make(c->topic, c->topic_len);
		p.payload.len = (size_t)o->size;
		c->pub_len = codec_publish_head_size(&p, o->ver);
		if (c->pub_len == 0) {
			cli_error(NULL, "A message of %ld bytes is too large.",
			          o->size);
			return CLI_ERR;
		}
		c->pub_len += (size_t)o->size;
	}
	return client_buffers(b, c);
}

/* Which streams (publishers) subscriber @c follows. */
static void
sub_streams(struct bench *b, struct bench_client *c)
{
	switch (b->o.scn) {
	case SCN_PAIRS:
		c->streams = &b->streams[c->idx];
		c->first_pub = c->idx;
		c->n_pub = 1;
		break;
	case SCN_FANOUT:
		c->streams = &b->streams[c->idx];
		c->n_pub = 1;
		break;
	case SCN_SUB:
		c->streams = &b->streams[(size_t)c->idx * (size_t)b->o.track];
		c->n_pub = (uint32_t)b->o.track;
		break;
	default: /* fanin, shared: every publisher */
		c->streams = b->streams;
		c->n_pub = (uint32_t)b->o.pubs;
		break;
	}
}

static int
setup_streams(struct bench *b)
{
	const struct bench_opts *o = &b->o;

	b->n_streams = o->scn == SCN_PAIRS || o->scn == SCN_FANOUT
	                       ? (size_t)o->subs
	               : o->scn == SCN_SUB ? (size_t)(o->subs * o->track)
	                                   : (size_t)o->pubs;
	b->streams = calloc(b->n_streams + 1, sizeof(*b->streams));
	if (b->streams == NULL) {
		return CLI_ERR;
	}
	for (size_t i = 0; i < b->n_streams; i++) {
		struct bench_stream *s = &b->streams[i];

		s->top = -1;
		s->pub = o->scn == SCN_PAIRS    ? (uint32_t)i
		         : o->scn == SCN_FANOUT ? 0
		         : o->scn == SCN_SUB ? (uint32_t)(i % (size_t)o->track)
		                             : (uint32_t)i;
	}
	if (o->scn == SCN_SHARED) {
		b->stream_mu = calloc(b->n_streams + 1, sizeof(*b->stream_mu));
		if (b->stream_mu == NULL) {
			return CLI_ERR;
		}
		for (size_t i = 0; i < b->n_streams; i++) {
			pthread_mutex_init(&b->stream_mu[i], NULL);
		}
	}
	return 0;
}

static int
setup_clients(struct bench *b)
{
	const struct bench_opts *o = &b->o;

	if (strlen(o->group) > 200 || strchr(o->group, '/') != NULL) {
		cli_error(NULL, "Invalid group name '%s'.", o->group);
		return CLI_ERR;
	}
	b->n_cl = (size_t)(o->subs + o->pubs) +
	          (o->scn == SCN_CONN ? (size_t)o->clients : 0);
	b->cl = calloc(b->n_cl + 1, sizeof(*b->cl));
	b->sub_ok = calloc((size_t)o->subs + 1, sizeof(*b->sub_ok));
	b->matches = calloc((size_t)o->pubs + 1, sizeof(*b->matches));
	b->filler = malloc((size_t)o->size);
	if (b->cl == NULL || b->sub_ok == NULL || b->matches == NULL ||
	    b->filler == NULL || setup_streams(b) != 0) {
		cli_error(NULL, "out of memory");
		return CLI_ERR;
	}
	memset(b->filler, 'x', (size_t)o->size);
	b->subs = b->cl;
	b->pubs = b->cl + o->subs;
	for (size_t i = 0; i < b->n_cl; i++) {
		if (client_init(b, &b->cl[i], i) != 0) {
			return CLI_ERR;
		}
		if (b->cl[i].role == ROLE_SUB) {
			sub_streams(b, &b->cl[i]);
		}
	}
	return 0;
}

static int
setup_worker(struct bench *b, struct bench_worker *w, size_t per)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};

	w->b = b;
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	w->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	w->cl = calloc(per, sizeof(struct bench_client *));
	w->wheel = calloc(BENCH_WHEEL, sizeof(struct bench_client *));
	w->connect_rate = b->o.connect_rate / (double)b->n_w;
	if (w->epfd < 0 || w->evfd < 0 || w->cl == NULL || w->wheel == NULL ||
	    epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->evfd, &ev) != 0) {
		cli_error(NULL, "cannot set up worker threads");
		return CLI_ERR;
	}
	return 0;
}

static int
setup_workers(struct bench *b)
{
	size_t per;

	b->n_w =
	        (size_t)b->o.threads < b->n_cl ? (size_t)b->o.threads : b->n_cl;
	b->n_w = b->n_w > 0 ? b->n_w : 1;
	per = b->n_cl / b->n_w + 1;
	b->w = calloc(b->n_w, sizeof(*b->w));
	if (b->w == NULL) {
		return CLI_ERR;
	}
	for (size_t i = 0; i < b->n_w; i++) {
		b->w[i].epfd = -1;
		b->w[i].evfd = -1;
		if (setup_worker(b, &b->w[i], per) != 0) {
			return CLI_ERR;
		}
	}
	for (size_t k = 0; k < b->n_cl; k++) {
		struct bench_worker *w = &b->w[k % b->n_w];

		b->cl[k].w = w;
		w->cl[w->n_cl++] = &b->cl[k];
	}
	return 0;
}

/* Room for every connection in the descriptor table, if we may. */
static void
raise_nofile(size_t need)
{
	struct rlimit r;

	if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < need + 64) {
		r.rlim_cur = r.rlim_max;
		/* (void): without it, the connections past the limit fail
		 * and are reported. */
		(void)setrlimit(RLIMIT_NOFILE, &r);
	}
}

static int
setup(struct bench *b)
{
	const struct bench_opts *o = &b->o;

	if (bench_targets(b) != 0) {
		return CLI_ERR;
	}
	if (o->id_prefix != NULL) {
		(void)snprintf(b->id_prefix, sizeof b->id_prefix, "%s",
		               o->id_prefix);
	} else {
		(void)snprintf(b->id_prefix, sizeof b->id_prefix, "tb%ld-",
		               (long)getpid());
	}
	b->lim.max_packet = max_sz((size_t)16 << 20, 2 * (size_t)o->size);
	if (b->lim.max_packet > MQTT_MAX_PACKET) {
		b->lim.max_packet = MQTT_MAX_PACKET;
	}
	if (setup_clients(b) != 0 || setup_workers(b) != 0) {
		return CLI_ERR;
	}
	raise_nofile(b->n_cl);
	return 0;
}

static void
teardown(struct bench *b)
{
	for (size_t i = 0; i < b->n_cl; i++) {
		struct bench_client *c = &b->cl[i];

		free(c->in);
		free(c->out);
		free(c->topic);
		free(c->free_pids);
		free(c->slot_t);
	}
	for (size_t i = 0; b->w != NULL && i < b->n_w; i++) {
		if (b->w[i].epfd >= 0) {
			close(b->w[i].epfd);
		}
		if (b->w[i].evfd >= 0) {
			close(b->w[i].evfd);
		}
		free(b->w[i].cl);
		free(b->w[i].wheel);
	}
	for (size_t i = 0; b->stream_mu != NULL && i < b->n_streams; i++) {
		pthread_mutex_destroy(&b->stream_mu[i]);
	}
	free(b->stream_mu);
	free(b->streams);
	free(b->w);
	free(b->cl);
	free((void *)b->sub_ok);
	free(b->matches);
	free(b->filler);
	free(b->targets);
}

/* The phase control of the main thread. */

struct ctl {
	int sigfd;
	uint64_t connect_deadline;
	uint64_t next_progress;
	uint64_t last_sent;
	uint64_t last_recv;
	uint64_t quiet_recv; /* recv_all when it last changed */
	uint64_t quiet_since;
	struct rusage r0;
};

static void
set_phase(struct bench *b, int ph)
{
	uint64_t one = 1;

	/* Pairs with the load-acquire in bench_phase(): the times and
	 * matches written before this are visible to a worker that sees the
	 * new phase. */
	atomic_store_explicit(&b->phase, ph, memory_order_release);
	for (size_t i = 0; i < b->n_w; i++) {
		/* (void): a full counter means a wake-up is pending. */
		(void)!write(b->w[i].evfd, &one, sizeof one);
	}
}

/* How many subscribers each publisher's messages are due to. */
static void
compute_matches(struct bench *b)
{
	uint32_t ok = 0;

	for (long s = 0; s < b->o.subs; s++) {
		/* Pairs with the store-release in bench_client.c ready(). */
		ok += atomic_load_explicit(&b->sub_ok[s], memory_order_acquire);
	}
	for (long p = 0; p < b->o.pubs; p++) {
		switch (b->o.scn) {
		case SCN_PAIRS:
			b->matches[p] = atomic_load_explicit(
			        &b->sub_ok[p], memory_order_acquire);
			break;
		case SCN_FANOUT:
			b->matches[p] = ok;
			break;
		case SCN_FANIN:
		case SCN_SHARED:
			b->matches[p] = ok > 0;
			break;
		default:
			b->matches[p] = 0;
			break;
		}
	}
}

static void
cpu_mark(struct rusage *r)
{
	/* (void): RUSAGE_SELF with valid storage cannot fail. */
	(void)getrusage(RUSAGE_SELF, r);
}

static double
tv_s(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* CPU seconds worker @w's thread has used so far. */
static double
thread_cpu(const struct bench_worker *w)
{
	struct timespec ts;
	clockid_t id;

	if (pthread_getcpuclockid(w->thread, &id) != 0 ||
	    clock_gettime(id, &ts) != 0) {
		return 0;
	}
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
cpu_since(struct bench *b, const struct rusage *r0, uint64_t t0, uint64_t now)
{
	struct rusage r1;

	for (size_t i = 0; i < b->n_w; i++) {
		b->w[i].cpu_s = thread_cpu(&b->w[i]) - b->w[i].cpu0;
	}
	cpu_mark(&r1);
	b->cpu_s[0] = tv_s(r1.ru_utime) - tv_s(r0->ru_utime);
	b->cpu_s[1] = tv_s(r1.ru_stime) - tv_s(r0->ru_stime);
	b->cpu_wall = (double)(now - t0) / 1e6;
}

static void
go(struct bench *b, struct ctl *k, uint64_t now)
{
	compute_matches(b);
	b->t_go = now;
	b->t_measure = now + (uint64_t)(b->o.warmup * 1e6);
	b->t_end = b->t_measure + (uint64_t)(b->o.duration * 1e6);
	if (b->o.scn != SCN_CONN) {
		cpu_mark(&k->r0);
		for (size_t i = 0; i < b->n_w; i++) {
			b->w[i].cpu0 = thread_cpu(&b->w[i]);
		}
	}
	set_phase(b, PH_RUN);
}

static void
end_run(struct bench *b, struct ctl *k, uint64_t now)
{
	b->t_end = now;
	cpu_since(b, &k->r0, b->o.scn == SCN_CONN ? b->t_begin : b->t_go, now);
	k->quiet_recv = bench_sum(b, BENCH_CTR(recv_all));
	k->quiet_since = now;
	set_phase(b, b->o.scn == SCN_CONN ? PH_STOP : PH_DRAIN);
}

/* Is there nothing left to wait for? */
static bool
drained(const struct bench *b, struct ctl *k, uint64_t now)
{
	uint64_t recv_all = bench_sum(b, BENCH_CTR(recv_all));
	uint64_t expected = bench_sum(b, BENCH_CTR(expected));
	uint64_t unique = bench_sum(b, BENCH_CTR(received)) -
	                  bench_sum(b, BENCH_CTR(dups));

	if (recv_all != k->quiet_recv) {
		k->quiet_recv = recv_all;
		k->quiet_since = now;
	}
	if (bench_sum(b, BENCH_CTR(inflight)) > 0) {
		return false;
	}
	if (expected == 0 || unique >= expected) {
		return true;
	}
	return now - k->quiet_since >= QUIET_US;
}

static const char *const phase_names[] = {"connect", "run", "drain", "stop"};

static void
progress(const struct bench *b, struct ctl *k, uint64_t now)
{
	uint64_t sent = bench_sum(b, BENCH_CTR(sent_all));
	uint64_t recv = bench_sum(b, BENCH_CTR(recv_all));
	int ph = bench_phase(b);
	bool warm = ph == PH_RUN && now < b->t_measure;

	if (now < k->next_progress) {
		return;
	}
	k->next_progress += 1000000u;
	/* (void): progress lines are best effort. */
	(void)fprintf(stderr,
	              "bench %4.0fs %-7s sent %8llu/s  recv %8llu/s  conn "
	              "%llu/%zu  inflight %llu  err %llu\n",
	              (double)(now - b->t_begin) / 1e6,
	              warm ? "warmup" : phase_names[ph],
	              (unsigned long long)(sent - k->last_sent),
	              (unsigned long long)(recv - k->last_recv),
	              (unsigned long long)(bench_sum(b, BENCH_CTR(ready)) -
	                                   bench_sum(b, BENCH_CTR(lost))),
	              b->n_cl,
	              (unsigned long long)bench_sum(b, BENCH_CTR(inflight)),
	              (unsigned long long)(bench_sum(b, BENCH_CTR(failed)) +
	                                   bench_sum(b, BENCH_CTR(lost)) +
	                                   bench_sum(b, BENCH_CTR(nacked))));
	k->last_sent = sent;
	k->last_recv = recv;
}

/* One step of the phase machine; false once STOP is set. */
static bool
step(struct bench *b, struct ctl *k, uint64_t now, bool sig)
{
	int ph = bench_phase(b);
	bool count_done =
	        b->o.count != 0 &&
	        bench_sum(b, BENCH_CTR(pubs_done)) >= (uint64_t)b->o.pubs;

	if (ph == PH_CONNECT && sig) {
		b->t_go = b->t_measure = b->t_end = now;
		set_phase(b, PH_STOP);
	} else if (ph == PH_CONNECT &&
	           (bench_sum(b, BENCH_CTR(resolved)) >= b->n_cl ||
	            now >= k->connect_deadline)) {
		go(b, k, now);
	} else if (ph == PH_RUN && (sig || count_done || now >= b->t_end)) {
		end_run(b, k, now);
	} else if (ph == PH_DRAIN && (sig || drained(b, k, now))) {
		set_phase(b, PH_STOP);
	} else if (ph == PH_DRAIN &&
	           now >= b->t_end + (uint64_t)(b->o.drain * 1e6)) {
		b->drain_cut = true; /* deliveries were still coming */
		set_phase(b, PH_STOP);
	}
	return bench_phase(b) != PH_STOP;
}

static bool
got_signal(int sigfd)
{
	struct signalfd_siginfo si;

	return sigfd >= 0 && read(sigfd, &si, sizeof si) == (ssize_t)sizeof si;
}

static void
control(struct bench *b, struct ctl *k)
{
	bool more = true;

	while (more) {
		struct pollfd p = {.fd = k->sigfd, .events = POLLIN};
		bool sig;
		uint64_t now;

		/* (void): EINTR or a timeout both mean: look again. */
		(void)poll(&p, k->sigfd >= 0 ? 1 : 0, 100);
		sig = got_signal(k->sigfd);
		b->interrupted |= sig;
		now = clock_mono_us();
		progress(b, k, now);
		more = step(b, k, now, sig);
	}
	b->t_stop = clock_mono_us();
}

static int
run(struct bench *b)
{
	struct ctl k = {.sigfd = cli_signals()};
	size_t started = 0;

	b->t_begin = clock_mono_us();
	k.next_progress = b->t_begin + 1000000u;
	k.connect_deadline =
	        b->t_begin +
	        (uint64_t)((b->o.connect_timeout + 1 +
	                    (b->o.connect_rate > 0
	                             ? (double)b->n_cl / b->o.connect_rate
	                             : 0)) *
	                   1e6);
	cpu_mark(&k.r0);
	atomic_store_explicit(&b->phase, PH_CONNECT, memory_order_relaxed);
	while (started < b->n_w &&
	       pthread_create(&b->w[started].thread, NULL, bench_worker_main,
	                      &b->w[started]) == 0) {
		started++;
	}
	if (started == b->n_w) {
		control(b, &k);
	} else {
		cli_error(NULL, "cannot start worker threads");
		set_phase(b, PH_STOP);
	}
	for (size_t i = 0; i < started; i++) {
		pthread_join(b->w[i].thread, NULL);
	}
	if (k.sigfd >= 0) {
		close(k.sigfd);
	}
	return started == b->n_w ? 0 : CLI_ERR;
}

int
tern_bench_main(int argc, char **argv)
{
	struct bench *b = calloc(1, sizeof(*b));
	int rc;

	if (b == NULL) {
		cli_error(NULL, "out of memory");
		return CLI_ERR;
	}
	rc = bench_parse(&b->o, argc, argv);
	if (rc == 0) {
		rc = setup(b);
	}
	if (rc == 0) {
		rc = run(b);
	}
	if (rc == 0) {
		rc = bench_report(b);
	}
	teardown(b);
	free(b);
	return rc < 0 ? 0 : rc;
}
