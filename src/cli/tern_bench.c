/*
 * tern_bench.c - `tern bench`: a load generator. -c publishers each send
 * -n messages of -m bytes at QoS -q to TOPIC/<i>; -s subscribers take
 * TOPIC/#. It reports publish and delivery rates and end-to-end latency
 * (each payload starts with its send time). All clients run on one
 * thread, on libtern's event API, from a single poll loop.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../base/clock.h"
#include "tern_cli.h"

struct bench_opts {
	struct cli_opts base; /* connection flags, parsed by cli_parse() */
	long pubs;
	long subs;
	long count;
	long size;
	long inflight;
	const char *prefix;
};

struct bench;

struct bclient {
	struct bench *b;
	struct tern_client *c;
	long sent;     /* publishes queued */
	long acked;    /* QoS 1/2 flows complete */
	long inflight; /* queued and not complete */
	char topic[128];
};

struct bench {
	struct bench_opts *o;
	struct bclient *cl; /* publishers first, then subscribers */
	size_t n;
	long expected; /* deliveries in all */
	long received;
	long errors;
	uint64_t *lat_us; /* one per delivery */
	uint64_t t0_us;
	uint64_t pub_done_us;
	uint64_t last_rx_us;
};

static void
on_publish(struct tern_client *c, void *arg, uint16_t mid, int err, int reason,
           const struct tern_props *props)
{
	struct bclient *k = arg;

	(void)c;
	(void)mid;
	(void)reason;
	(void)props;
	k->acked++;
	k->inflight--;
	if (err != 0) {
		k->b->errors++;
	}
}

static void
on_message(struct tern_client *c, void *arg, const struct tern_message *m)
{
	struct bclient *k = arg;
	struct bench *b = k->b;
	uint64_t now = clock_mono_us(), sent = 0;

	(void)c;
	if (m->payload_len >= sizeof sent) {
		memcpy(&sent, m->payload, sizeof sent);
	}
	if (b->received < b->expected) {
		b->lat_us[b->received] = now >= sent ? now - sent : 0;
	}
	b->received++;
	b->last_rx_us = now;
}

/* bench_flags() - take the bench flags out of argv; the rest is left. */
static int
bench_flags(struct bench_opts *o, int *argc, char **argv)
{
	static const struct {
		const char *flag;
		size_t off;
		long lo, hi;
	} nums[] = {
	        {"-c", offsetof(struct bench_opts, pubs), 1, 10000},
	        {"-s", offsetof(struct bench_opts, subs), 0, 10000},
	        {"-n", offsetof(struct bench_opts, count), 1, 100000000},
	        {"-m", offsetof(struct bench_opts, size), 8, 100000000},
	        {"--inflight", offsetof(struct bench_opts, inflight), 1, 65535},
	};
	int out = 0;

	for (int i = 0; i < *argc; i++) {
		size_t k = 0;

		while (k < sizeof nums / sizeof nums[0] &&
		       strcmp(argv[i], nums[k].flag) != 0) {
			k++;
		}
		if (k < sizeof nums / sizeof nums[0] && i + 1 < *argc) {
			long *v = (long *)((char *)o + nums[k].off);
			char *end;

			*v = strtol(argv[++i], &end, 10);
			if (*end != '\0' || *v < nums[k].lo ||
			    *v > nums[k].hi) {
				cli_error(NULL, "Invalid value for %s.",
				          nums[k].flag);
				return CLI_ERR;
			}
			continue;
		}
		argv[out++] = argv[i];
	}
	*argc = out;
	return 0;
}

static const char bench_usage[] =
        "Usage: tern bench [-c publishers] [-s subscribers] [-n messages] "
        "[-m bytes]\n"
        "                  [-q qos] [-t topic-prefix] [--inflight n] "
        "[connection options]\n"
        "  -c n           publishing clients (1)\n"
        "  -s n           subscribing clients (1), on prefix/#\n"
        "  -n n           messages per publisher (10000)\n"
        "  -m bytes       payload size, at least 8 (64)\n"
        "  -t prefix      publisher i sends to prefix/i (tern/bench)\n"
        "  --inflight n   QoS 1/2 messages in flight per publisher (100)\n"
        "  Connection options are those of tern pub (-h -p -V -u -P -k "
        "...).\n";

static bool
has_arg(int argc, char **argv, const char *a, const char *b)
{
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], a) == 0 || strcmp(argv[i], b) == 0) {
			return true;
		}
	}
	return false;
}

static int
parse(struct bench_opts *o, int argc, char **argv)
{
	static char flag_t[] = "-t", prefix[] = "tern/bench", flag_n[] = "-n";
	char *args[256];
	int n = argc < 250 ? argc : 250, rc;

	memset(o, 0, sizeof(*o));
	o->pubs = 1;
	o->subs = 1;
	o->count = 10000;
	o->size = 64;
	o->inflight = 100;
	if (has_arg(argc, argv, "--help", "--help")) {
		/* (void): a failed usage text is not worth a second error. */
		(void)fputs(bench_usage, stdout);
		return -1;
	}
	memcpy(args, argv, (size_t)n * sizeof(*args));
	rc = bench_flags(o, &n, args);
	if (rc != 0) {
		return rc;
	}
	/* What is left are pub's flags; the messages are ours to make. */
	if (!has_arg(n, args, "-t", "--topic")) {
		args[n++] = flag_t;
		args[n++] = prefix;
	}
	args[n++] = flag_n;
	rc = cli_parse(&o->base, CMD_PUB, "bench", n, args);
	if (rc == 0) {
		o->prefix = o->base.topics.v[0];
	}
	return rc;
}

static int
start(struct bench *b, size_t i, bool is_pub)
{
	struct cli_opts *co = &b->o->base;
	struct tern_callbacks cb = {0};
	struct bclient *k = &b->cl[i];
	char id[64];
	int err;

	k->b = b;
	(void)snprintf(k->topic, sizeof k->topic, "%s/%zu", b->o->prefix, i);
	(void)snprintf(id, sizeof id, "tern-bench-%d-%zu", (int)getpid(), i);
	co->id = id;
	cb.on_publish = is_pub ? on_publish : NULL;
	cb.on_message = is_pub ? NULL : on_message;
	k->c = cli_client(co, &cb, k);
	co->id = NULL;
	if (k->c == NULL) {
		return CLI_ERR;
	}
	err = cli_connect(co, k->c);
	if (err == 0 && !is_pub) {
		char filter[140];

		(void)snprintf(filter, sizeof filter, "%s/#", b->o->prefix);
		err = tern_subscribe(k->c, filter, co->qos) < 0 ? CLI_ERR : 0;
		if (err != 0) {
			cli_error(co, "subscribe to %s failed", filter);
		}
	}
	return err;
}

/* feed() - queue what publisher @k may send now. */
static void
feed(struct bench *b, struct bclient *k, char *payload)
{
	struct bench_opts *o = b->o;
	struct tern_pub m = {k->topic,    payload, (size_t)o->size,
	                     o->base.qos, false,   {NULL, 0}};

	while (k->sent < o->count &&
	       (o->base.qos == 0 ? (tern_events(k->c) & POLLOUT) == 0
	                         : k->inflight < o->inflight)) {
		uint64_t now = clock_mono_us();

		memcpy(payload, &now, sizeof now);
		if (tern_publish_async(k->c, &m, NULL) != 0) {
			b->errors++;
			return;
		}
		k->sent++;
		if (o->base.qos > 0) {
			k->inflight++;
		}
	}
}

static bool
pubs_done(const struct bench *b)
{
	for (long i = 0; i < b->o->pubs; i++) {
		const struct bclient *k = &b->cl[i];

		if (k->sent < b->o->count ||
		    (b->o->base.qos > 0 && k->acked < k->sent) ||
		    (tern_events(k->c) & POLLOUT) != 0) {
			return false;
		}
	}
	return true;
}

/* turn() - one poll over every client; 0 or an exit code. */
static int
turn(struct bench *b, struct pollfd *p, char *payload)
{
	for (size_t i = 0; i < b->n; i++) {
		if (i < (size_t)b->o->pubs) {
			feed(b, &b->cl[i], payload);
		}
		p[i].fd = tern_fd(b->cl[i].c);
		p[i].events = tern_events(b->cl[i].c);
		p[i].revents = 0;
	}
	if (poll(p, b->n, 50) < 0) {
		return 0; /* EINTR: try again */
	}
	for (size_t i = 0; i < b->n; i++) {
		int err = tern_io(b->cl[i].c, p[i].revents);

		if (err != 0) {
			return cli_fail(&b->o->base, b->cl[i].c,
			                "connection lost", err);
		}
	}
	return 0;
}

static int
run(struct bench *b)
{
	struct pollfd *p = calloc(b->n > 0 ? b->n : 1, sizeof(*p));
	char *payload = malloc((size_t)b->o->size);
	uint64_t limit = (uint64_t)600 * 1000000u;
	int rc = p == NULL || payload == NULL ? CLI_ERR : 0;

	if (payload != NULL) {
		memset(payload, 'x', (size_t)b->o->size);
	}
	b->t0_us = clock_mono_us();
	b->last_rx_us = b->t0_us;
	while (rc == 0) {
		uint64_t now;

		rc = turn(b, p, payload);
		now = clock_mono_us(); /* after the turn: >= last_rx_us */
		if (b->pub_done_us == 0 && pubs_done(b)) {
			b->pub_done_us = clock_mono_us();
		}
		if (b->pub_done_us != 0 && (b->received >= b->expected ||
		                            now - b->last_rx_us > 2000000u)) {
			break; /* all in, or nothing for 2 s (QoS 0 losses) */
		}
		if (now - b->t0_us > limit) {
			rc = CLI_TIMEOUT;
		}
	}
	free(p);
	free(payload);
	return rc;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double
pct(const uint64_t *v, long n, double q)
{
	long i = (long)(q * (double)(n - 1) + 0.5);

	return (double)v[i] / 1000.0;
}

static void
report(struct bench *b)
{
	struct bench_opts *o = b->o;
	long published = o->pubs * o->count;
	double tp = (double)(b->pub_done_us - b->t0_us) / 1e6;
	double tr = (double)(b->last_rx_us - b->t0_us) / 1e6;
	long got = b->received < b->expected ? b->received : b->expected;

	printf("publishers %ld, subscribers %ld, %ld messages x %ld bytes, "
	       "QoS %d, MQTT %s\n",
	       o->pubs, o->subs, o->count, o->size, o->base.qos,
	       o->base.version == TERN_MQTT5     ? "5"
	       : o->base.version == TERN_MQTT311 ? "3.1.1"
	                                         : "3.1");
	printf("published %ld in %.3f s: %.0f msg/s\n", published, tp,
	       tp > 0 ? (double)published / tp : 0.0);
	printf("received  %ld of %ld in %.3f s: %.0f msg/s\n", b->received,
	       b->expected, tr, tr > 0 ? (double)b->received / tr : 0.0);
	if (got > 0) {
		qsort(b->lat_us, (size_t)got, sizeof(uint64_t), cmp_u64);
		printf("latency ms: min %.3f  p50 %.3f  p90 %.3f  p99 %.3f  "
		       "max %.3f\n",
		       pct(b->lat_us, got, 0), pct(b->lat_us, got, 0.5),
		       pct(b->lat_us, got, 0.9), pct(b->lat_us, got, 0.99),
		       pct(b->lat_us, got, 1));
	}
	if (b->received < b->expected) {
		printf("lost %ld: dropped by the broker (QoS 0, or over its "
		       "queue limit for a slow subscriber)\n",
		       b->expected - b->received);
	}
	if (b->errors > 0) {
		printf("errors: %ld\n", b->errors);
	}
}

static void
stop_all(struct bench *b)
{
	for (size_t i = 0; i < b->n; i++) {
		if (b->cl[i].c != NULL) {
			/* (void): the numbers are in; a failed goodbye is not
			 * a failed benchmark. */
			(void)tern_disconnect(b->cl[i].c);
			tern_client_free(b->cl[i].c);
		}
	}
	free(b->cl);
	free(b->lat_us);
}

int
tern_bench_main(int argc, char **argv)
{
	struct bench_opts o;
	struct bench b = {0};
	int rc = parse(&o, argc, argv);

	if (rc != 0) {
		cli_opts_free(&o.base);
		return rc < 0 ? 0 : rc;
	}
	b.o = &o;
	b.n = (size_t)(o.pubs + o.subs);
	b.expected = o.pubs * o.count * o.subs;
	b.cl = calloc(b.n > 0 ? b.n : 1, sizeof(*b.cl));
	b.lat_us = calloc(b.expected > 0 ? (size_t)b.expected : 1,
	                  sizeof(uint64_t));
	rc = b.cl == NULL || b.lat_us == NULL ? CLI_ERR : 0;
	/* Subscribers first, so they see every message. */
	for (size_t i = (size_t)o.pubs; rc == 0 && i < b.n; i++) {
		rc = start(&b, i, false);
	}
	for (size_t i = 0; rc == 0 && i < (size_t)o.pubs; i++) {
		rc = start(&b, i, true);
	}
	if (rc == 0) {
		rc = run(&b);
	}
	if (rc == 0) {
		report(&b);
	}
	stop_all(&b);
	cli_opts_free(&o.base);
	return rc;
}
