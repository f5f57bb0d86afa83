/*
 * bench_hist.c - fixed-memory latency histograms for `tern bench`.
 *
 * Log-linear buckets as in HdrHistogram: exact below HIST_LINEAR, then
 * HIST_SUB buckets per power of two, so the relative error of a reported
 * percentile is under 1 % however long the run. Each worker fills its own;
 * the report merges them.
 */
#include "bench.h"

static size_t
hist_index(uint64_t v)
{
	unsigned m, shift;

	if (v < HIST_LINEAR) {
		return (size_t)v;
	}
	if (v >= (uint64_t)1 << HIST_TOP) {
		v = ((uint64_t)1 << HIST_TOP) - 1;
	}
	m = 63u - (unsigned)__builtin_clzll(v); /* 8 .. HIST_TOP - 1 */
	shift = m - 7u;
	return HIST_LINEAR + (size_t)(m - 8u) * HIST_SUB +
	       (size_t)((v >> shift) - HIST_SUB);
}

/* The largest value that falls in bucket @i. */
static uint64_t
hist_top(size_t i)
{
	size_t k;
	unsigned m;

	if (i < HIST_LINEAR) {
		return i;
	}
	k = i - HIST_LINEAR;
	m = 8u + (unsigned)(k / HIST_SUB);
	return ((uint64_t)(HIST_SUB + k % HIST_SUB + 1) << (m - 7u)) - 1;
}

void
bench_hist_add(struct bench_hist *h, uint64_t v)
{
	if (h->count == 0 || v < h->min) {
		h->min = v;
	}
	if (v > h->max) {
		h->max = v;
	}
	h->count++;
	h->sum += v;
	h->b[hist_index(v)]++;
}

void
bench_hist_merge(struct bench_hist *dst, const struct bench_hist *src)
{
	if (src->count == 0) {
		return;
	}
	if (dst->count == 0 || src->min < dst->min) {
		dst->min = src->min;
	}
	if (src->max > dst->max) {
		dst->max = src->max;
	}
	dst->count += src->count;
	dst->sum += src->sum;
	for (size_t i = 0; i < HIST_N; i++) {
		dst->b[i] += src->b[i];
	}
}

uint64_t
bench_hist_pct(const struct bench_hist *h, double q)
{
	double r = q * (double)h->count;
	uint64_t rank = (uint64_t)r, seen = 0;

	if (h->count == 0) {
		return 0;
	}
	/* The smallest value with at least q * count values at or below. */
	if ((double)rank < r) {
		rank++; /* rounded up */
	}
	if (rank < 1) {
		rank = 1;
	}
	for (size_t i = 0; i < HIST_N; i++) {
		seen += h->b[i];
		if (seen >= rank) {
			uint64_t top = hist_top(i);

			return top < h->max ? top : h->max;
		}
	}
	return h->max;
}
