/*
 * bench_report.c - the numbers of a `tern bench` run: the workers'
 * counters and histograms summed, loss and exit code worked out, printed
 * as text or as one JSON object on stdout.
 *
 * Called after the workers are joined, so everything is plain reading.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "tern_cli.h"

#define CPU_WARN 0.9 /* share of the bench's cores that means "busy" */

struct totals {
	uint64_t sent, sent_all, expected, acked, nacked, unacked;
	uint64_t received, recv_all, dups, ooo, untracked;
	uint64_t connected, ready, failed, lost, last_rx;
	uint64_t unique, loss, ooo_pubs;
	bool known;  /* expected deliveries are known */
	double secs; /* measured window */
	double rx_secs;
	double cores; /* CPU capacity the bench had */
	double cpu_pct;
	double thread_pct; /* the busiest worker thread, % of a core */
	bool busy;
	const char *first_err;
	struct bench_hist lat, ack_lat, conn_lat;
};

uint64_t
bench_sum(const struct bench *b, size_t field)
{
	uint64_t s = 0;

	for (size_t i = 0; i < b->n_w; i++) {
		_Atomic uint64_t *c =
		        (_Atomic uint64_t *)((char *)&b->w[i].ctr + field);

		/* Pairs with the relaxed stores of bench_ctr_add(). */
		s += atomic_load_explicit(c, memory_order_relaxed);
	}
	return s;
}

static void
sum_counters(const struct bench *b, struct totals *t)
{
	t->sent = bench_sum(b, BENCH_CTR(sent));
	t->sent_all = bench_sum(b, BENCH_CTR(sent_all));
	t->expected = bench_sum(b, BENCH_CTR(expected));
	t->acked = bench_sum(b, BENCH_CTR(acked));
	t->nacked = bench_sum(b, BENCH_CTR(nacked));
	t->unacked = bench_sum(b, BENCH_CTR(unacked));
	t->received = bench_sum(b, BENCH_CTR(received));
	t->recv_all = bench_sum(b, BENCH_CTR(recv_all));
	t->dups = bench_sum(b, BENCH_CTR(dups));
	t->ooo = bench_sum(b, BENCH_CTR(ooo));
	t->untracked = bench_sum(b, BENCH_CTR(untracked));
	t->connected = bench_sum(b, BENCH_CTR(connected));
	t->ready = bench_sum(b, BENCH_CTR(ready));
	t->failed = bench_sum(b, BENCH_CTR(failed));
	t->lost = bench_sum(b, BENCH_CTR(lost));
	for (size_t i = 0; i < b->n_w; i++) {
		const struct bench_worker *w = &b->w[i];
		uint64_t rx = atomic_load_explicit(&b->w[i].ctr.last_rx_us,
		                                   memory_order_relaxed);

		t->last_rx = rx > t->last_rx ? rx : t->last_rx;
		bench_hist_merge(&t->lat, &w->lat);
		bench_hist_merge(&t->ack_lat, &w->ack_lat);
		bench_hist_merge(&t->conn_lat, &w->conn_lat);
		if (t->first_err == NULL && w->first_err[0] != '\0') {
			t->first_err = w->first_err;
		}
	}
}

/* Publishers some receiver saw out of order. */
static uint64_t
ooo_publishers(const struct bench *b)
{
	size_t n = (size_t)(b->o.pubs > b->o.track ? b->o.pubs : b->o.track);
	uint8_t *hit = calloc(n + 1, 1);
	uint64_t count = 0;

	if (hit == NULL) {
		return 0;
	}
	for (size_t i = 0; i < b->n_streams; i++) {
		const struct bench_stream *s = &b->streams[i];

		if (s->ooo > 0 && s->pub < n && !hit[s->pub]) {
			hit[s->pub] = 1;
			count++;
		}
	}
	free(hit);
	return count;
}

static void
derive(const struct bench *b, struct totals *t)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	double cpu = b->cpu_s[0] + b->cpu_s[1];

	/* Expected deliveries are known when both ends are in this run. */
	t->known = b->o.pubs > 0 && b->o.subs > 0;
	t->unique = t->received - t->dups;
	t->loss = t->known && t->expected > t->unique ? t->expected - t->unique
	                                              : 0;
	t->ooo_pubs = ooo_publishers(b);
	t->secs = b->t_end > b->t_measure
	                  ? (double)(b->t_end - b->t_measure) / 1e6
	                  : 0;
	t->rx_secs = t->last_rx > b->t_end && b->t_end > b->t_measure
	                     ? (double)(t->last_rx - b->t_measure) / 1e6
	                     : t->secs;
	t->cores = (double)((long)b->n_w < ncpu ? (long)b->n_w : ncpu);
	t->cores = t->cores < 1 ? 1 : t->cores;
	t->cpu_pct = b->cpu_wall > 0 ? cpu / b->cpu_wall * 100 : 0;
	for (size_t i = 0; i < b->n_w && b->cpu_wall > 0; i++) {
		double pct = b->w[i].cpu_s / b->cpu_wall * 100;

		t->thread_pct = pct > t->thread_pct ? pct : t->thread_pct;
	}
	/* All cores busy, or one worker thread: its clients wait for it. */
	t->busy = t->cpu_pct > CPU_WARN * 100 * t->cores ||
	          t->thread_pct > CPU_WARN * 100;
}

static int
exit_code(const struct bench *b, const struct totals *t)
{
	if ((b->o.qos > 0 && (t->loss > 0 || t->nacked > 0)) ||
	    (b->o.qos == 2 && t->dups > 0)) {
		return BENCH_EXIT_DELIVERY;
	}
	if (t->failed > 0 || t->lost > 0) {
		return BENCH_EXIT_CONN;
	}
	return 0;
}

static const char *
ver_name(enum mqtt_ver v)
{
	return v == MQTT_V5 ? "5" : v == MQTT_V311 ? "3.1.1" : "3.1";
}

static double
per_s(uint64_t n, double secs)
{
	return secs > 0 ? (double)n / secs : 0;
}

static void
text_hist(const char *label, const struct bench_hist *h)
{
	if (h->count == 0) {
		return;
	}
	printf("%-13sp50 %llu  p90 %llu  p99 %llu  p99.9 %llu  max %llu  "
	       "(mean %.0f, n %llu)\n",
	       label, (unsigned long long)bench_hist_pct(h, 0.5),
	       (unsigned long long)bench_hist_pct(h, 0.9),
	       (unsigned long long)bench_hist_pct(h, 0.99),
	       (unsigned long long)bench_hist_pct(h, 0.999),
	       (unsigned long long)h->max, (double)h->sum / (double)h->count,
	       (unsigned long long)h->count);
}

static void
text_head(const struct bench *b)
{
	const struct bench_opts *o = &b->o;

	printf("tern bench %s: ", o->scn_name);
	if (o->scn == SCN_CONN) {
		printf("%zu connections", b->n_cl);
	} else {
		printf("%ld publisher%s, %ld subscriber%s; QoS %ld, %ld bytes",
		       o->pubs, o->pubs == 1 ? "" : "s", o->subs,
		       o->subs == 1 ? "" : "s", o->qos, o->size);
	}
	printf(", MQTT %s, %zu threads, %zu broker address%s\n",
	       ver_name(o->ver), b->n_w, b->n_targets,
	       b->n_targets == 1 ? "" : "es");
	printf("%-13s%.2f s measured (warm-up %.2f s, drain %.2f s)%s\n",
	       "time", (double)(b->t_end - b->t_measure) / 1e6, o->warmup,
	       (double)(b->t_stop - b->t_end) / 1e6,
	       b->interrupted ? ", interrupted" : "");
}

static void
text_messages(const struct bench *b, const struct totals *t)
{
	printf("%-13s%llu  %.1f/s  (acked %llu, refused %llu, unacked %llu)\n",
	       "sent", (unsigned long long)t->sent, per_s(t->sent, t->secs),
	       (unsigned long long)t->acked, (unsigned long long)t->nacked,
	       (unsigned long long)t->unacked);
	printf("%-13s%llu  %.1f/s", "received", (unsigned long long)t->received,
	       per_s(t->received, t->rx_secs));
	if (t->known) {
		printf("  (expected %llu)", (unsigned long long)t->expected);
	}
	printf("\n");
	if (t->known) {
		printf("%-13s%llu%s%s\n", "lost", (unsigned long long)t->loss,
		       b->o.qos == 0 && t->loss > 0 ? "  (QoS 0: permitted)"
		                                    : "",
		       b->drain_cut && t->loss > 0
		               ? "  (still arriving when --drain ran out)"
		               : "");
	}
	printf("%-13s%llu%s\n", "duplicates", (unsigned long long)t->dups,
	       b->o.qos == 1 && t->dups > 0 ? "  (QoS 1: permitted)" : "");
	printf("%-13s%llu  (publishers affected: %llu)\n", "out of order",
	       (unsigned long long)t->ooo, (unsigned long long)t->ooo_pubs);
	if (t->untracked > 0) {
		printf("%-13s%llu  (no bench header or unknown publisher)\n",
		       "untracked", (unsigned long long)t->untracked);
	}
	text_hist("latency us", &t->lat);
	text_hist("ack us", &t->ack_lat);
}

static void
text_report(const struct bench *b, const struct totals *t)
{
	text_head(b);
	printf("%-13s%llu of %zu connected, %llu failed, %llu lost\n",
	       "connections", (unsigned long long)t->connected, b->n_cl,
	       (unsigned long long)t->failed, (unsigned long long)t->lost);
	text_hist("connect us", &t->conn_lat);
	if (b->o.scn != SCN_CONN) {
		text_messages(b, t);
	}
	printf("%-13s%.2f s user + %.2f s sys in %.2f s: %.0f%% of one core, "
	       "%.0f%% of %.0f; busiest thread %.0f%%\n",
	       "bench cpu", b->cpu_s[0], b->cpu_s[1], b->cpu_wall, t->cpu_pct,
	       t->cpu_pct / t->cores, t->cores, t->thread_pct);
	if (t->first_err != NULL) {
		printf("%-13s%s\n", "first error", t->first_err);
	}
	if (t->busy) {
		printf("warning: the bench used %.0f%% of its %.0f cores "
		       "(busiest "
		       "thread %.0f%%); the numbers may show its limit, not "
		       "the "
		       "broker's\n",
		       t->cpu_pct / t->cores, t->cores, t->thread_pct);
	}
}

static void
json_hist(const char *name, const struct bench_hist *h, bool comma)
{
	printf("\"%s\":{\"count\":%llu,\"min\":%llu,\"p50\":%llu,\"p90\":%llu,"
	       "\"p99\":%llu,\"p999\":%llu,\"max\":%llu,\"mean\":%.1f}%s",
	       name, (unsigned long long)h->count, (unsigned long long)h->min,
	       (unsigned long long)bench_hist_pct(h, 0.5),
	       (unsigned long long)bench_hist_pct(h, 0.9),
	       (unsigned long long)bench_hist_pct(h, 0.99),
	       (unsigned long long)bench_hist_pct(h, 0.999),
	       (unsigned long long)h->max,
	       h->count > 0 ? (double)h->sum / (double)h->count : 0.0,
	       comma ? "," : "");
}

/* A JSON string: quotes, backslashes and control bytes escaped. */
static void
json_str(const char *s)
{
	putchar('"');
	for (; s != NULL && *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\') {
			printf("\\%c", ch);
		} else if (ch < 0x20) {
			printf("\\u%04x", ch);
		} else {
			putchar(ch);
		}
	}
	putchar('"');
}

static void
json_head(const struct bench *b)
{
	const struct bench_opts *o = &b->o;

	printf("{\"scenario\":");
	json_str(o->scn_name);
	printf(",\"mqtt\":\"%s\",\"qos\":%ld,\"size\":%ld,\"publishers\":%ld,"
	       "\"subscribers\":%ld,\"clients\":%zu,\"threads\":%zu,"
	       "\"targets\":[",
	       ver_name(o->ver), o->qos, o->size, o->pubs, o->subs, b->n_cl,
	       b->n_w);
	for (size_t i = 0; i < b->n_targets; i++) {
		json_str(b->targets[i].name);
		printf("%s", i + 1 < b->n_targets ? "," : "");
	}
	printf("],\"rate\":%.3f,\"inflight\":%ld,\"count\":%ld,"
	       "\"measured_s\":%.3f,\"warmup_s\":%.3f,\"drain_s\":%.3f,"
	       "\"interrupted\":%s,\"drain_cut\":%s,",
	       o->rate, o->inflight, o->count,
	       (double)(b->t_end - b->t_measure) / 1e6, o->warmup,
	       (double)(b->t_stop - b->t_end) / 1e6,
	       b->interrupted ? "true" : "false",
	       b->drain_cut ? "true" : "false");
}

static void
json_messages(const struct bench *b, const struct totals *t)
{
	printf("\"sent\":%llu,\"sent_total\":%llu,\"sent_per_s\":%.1f,"
	       "\"acked\":%llu,\"refused\":%llu,\"unacked\":%llu,"
	       "\"received\":%llu,\"received_total\":%llu,"
	       "\"received_per_s\":%.1f,",
	       (unsigned long long)t->sent, (unsigned long long)t->sent_all,
	       per_s(t->sent, t->secs), (unsigned long long)t->acked,
	       (unsigned long long)t->nacked, (unsigned long long)t->unacked,
	       (unsigned long long)t->received, (unsigned long long)t->recv_all,
	       per_s(t->received, t->rx_secs));
	if (t->known) {
		printf("\"expected\":%llu,\"lost\":%llu,",
		       (unsigned long long)t->expected,
		       (unsigned long long)t->loss);
	} else {
		printf("\"expected\":null,\"lost\":null,");
	}
	printf("\"loss_permitted\":%s,\"duplicates\":%llu,"
	       "\"out_of_order\":%llu,\"out_of_order_publishers\":%llu,"
	       "\"untracked\":%llu,",
	       b->o.qos == 0 ? "true" : "false", (unsigned long long)t->dups,
	       (unsigned long long)t->ooo, (unsigned long long)t->ooo_pubs,
	       (unsigned long long)t->untracked);
	json_hist("latency_us", &t->lat, true);
	json_hist("ack_latency_us", &t->ack_lat, true);
}

static void
json_report(const struct bench *b, const struct totals *t, int code)
{
	json_head(b);
	printf("\"connections\":{\"requested\":%zu,\"connected\":%llu,"
	       "\"ready\":%llu,\"failed\":%llu,\"lost\":%llu,",
	       b->n_cl, (unsigned long long)t->connected,
	       (unsigned long long)t->ready, (unsigned long long)t->failed,
	       (unsigned long long)t->lost);
	json_hist("connect_us", &t->conn_lat, false);
	printf("},");
	json_messages(b, t);
	printf("\"cpu\":{\"user_s\":%.3f,\"sys_s\":%.3f,\"wall_s\":%.3f,"
	       "\"percent_of_core\":%.1f,\"cores\":%.0f,"
	       "\"busiest_thread_percent\":%.1f,\"saturated\":%s},",
	       b->cpu_s[0], b->cpu_s[1], b->cpu_wall, t->cpu_pct, t->cores,
	       t->thread_pct, t->busy ? "true" : "false");
	printf("\"first_error\":");
	if (t->first_err != NULL) {
		json_str(t->first_err);
	} else {
		printf("null");
	}
	printf(",\"exit_code\":%d}\n", code);
}

int
bench_report(const struct bench *b)
{
	struct totals *t = calloc(1, sizeof(*t));
	int code;

	if (t == NULL) {
		cli_error(NULL, "out of memory");
		return CLI_ERR;
	}
	sum_counters(b, t);
	derive(b, t);
	code = exit_code(b, t);
	if (b->o.json) {
		json_report(b, t, code);
	} else {
		text_report(b, t);
	}
	if (fflush(stdout) != 0) {
		code = code != 0 ? code : CLI_ERR;
	}
	if (t->busy) {
		/* (void): the report says it too; this is for a terminal. */
		(void)fprintf(stderr, "warning: the bench was CPU-bound\n");
	}
	free(t);
	return code;
}
