/*
 * base_test.c - span readers/writers, UTF-8 rules, buffers, MPSC queue.
 */
#include "alloc.h"

#include <pthread.h>
#include <stdbool.h>

#include "buf.h"
#include "mpsc.h"
#include "rd.h"
#include "test.h"
#include "utf8.h"
#include "wr.h"

static void
test_varint_roundtrip(void)
{
	static const uint32_t vals[] = {0,     127,     128,     16383,
	                                16384, 2097151, 2097152, 268435455};
	for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
		uint8_t b[4];
		struct wr w = wr_make(b, sizeof b);
		wr_varint(&w, vals[i]);
		T_CHECK_INT(w.pos, varint_size(vals[i]));
		struct rd r = rd_make(span_make(b, w.pos));
		uint32_t v = 1;
		T_CHECK_INT(rd_varint(&r, &v), 0);
		T_CHECK_INT(v, vals[i]);
		T_CHECK_INT(rd_left(&r), 0);
	}
}

static void
test_varint_five_bytes_malformed(void)
{
	static const uint8_t b[] = {0xff, 0xff, 0xff, 0xff, 0x7f};
	struct rd r = rd_make(span_make(b, sizeof b));
	uint32_t v = 7;

	T_CHECK_INT(rd_varint(&r, &v), TERN_EMALFORMED);
	T_CHECK_INT(v, 7);
	T_CHECK_INT(r.pos, 0);
}

static void
test_varint_truncated(void)
{
	static const uint8_t b[] = {0x80, 0x80};
	struct rd r = rd_make(span_make(b, sizeof b));
	uint32_t v;

	T_CHECK_INT(rd_varint(&r, &v), TERN_EMALFORMED);
}

static void
test_rd_bin_bounds(void)
{
	static const uint8_t b[] = {0x00, 0x03, 'a', 'b'};
	struct rd r = rd_make(span_make(b, sizeof b));
	struct span s = {0};

	T_CHECK_INT(rd_bin(&r, &s), TERN_EMALFORMED);
	T_CHECK_INT(r.pos, 0);
	T_CHECK(s.p == NULL);
}

static void
test_utf8_rules(void)
{
	T_CHECK_INT(utf8_check(span_str("a/b/c")), 0);
	T_CHECK_INT(utf8_check(span_str("\xc3\xa9t\xc3\xa9")), 0);
	T_CHECK_INT(utf8_check(span_str("\xf0\x9f\x90\xa6")), 0);
	T_CHECK_INT(utf8_check(span_make("a\0b", 3)), TERN_EMALFORMED);
	T_CHECK_INT(utf8_check(span_str("\xed\xa0\x80")), TERN_EMALFORMED);
	T_CHECK_INT(utf8_check(span_str("\xc0\xaf")), TERN_EMALFORMED);
	T_CHECK_INT(utf8_check(span_str("\xe0\x80\xaf")), TERN_EMALFORMED);
	T_CHECK_INT(utf8_check(span_str("\xf4\x90\x80\x80")), TERN_EMALFORMED);
	T_CHECK_INT(utf8_check(span_str("\xc3")), TERN_EMALFORMED);
	T_CHECK_INT(utf8_check(span_str("\x80")), TERN_EMALFORMED);
	T_CHECK_INT(utf8_check(span_str("\xe2\x82")), TERN_EMALFORMED);
}

static void
test_buf_grow_consume(void)
{
	struct buf b;

	buf_init(&b);
	T_CHECK_INT(buf_append(&b, span_str("hello")), 0);
	T_CHECK_INT(buf_append(&b, span_str(" world")), 0);
	buf_consume(&b, 6);
	T_CHECK(span_eq_str(buf_span(&b), "world"));
	for (int i = 0; i < 100; i++) {
		T_CHECK_INT(buf_append(&b, span_str("0123456789")), 0);
	}
	T_CHECK_INT(b.len, 1005);
	buf_consume(&b, b.len);
	T_CHECK_INT(b.off, 0);
	buf_fini(&b);
}

static void
test_alloc_injection(void)
{
	size_t before = alloc_in_use();
	void *p = tern_malloc(100);

	T_CHECK(p != NULL);
	T_CHECK(alloc_in_use() >= before + 100);
	tern_free(p);
	T_CHECK_INT(alloc_in_use(), before);
	alloc_fail_after(1);
	p = tern_malloc(1);
	T_CHECK(p != NULL);
	T_CHECK(tern_malloc(1) == NULL);
	alloc_fail_after(-1);
	tern_free(p);
}

/* The other thread allocates, the caller frees: the sum must be exact. */
struct alloc_job {
	void *blocks[64];
	size_t n;
	bool free_one_here;
};

static void *
alloc_blocks(void *arg)
{
	struct alloc_job *job = arg;

	for (size_t i = 0; i < job->n; i++) {
		job->blocks[i] = tern_malloc(1000);
	}
	if (job->free_one_here) {
		tern_free(job->blocks[--job->n]);
	}
	return NULL;
}

static void
test_alloc_count_across_threads(void)
{
	size_t before = alloc_in_use(), approx = alloc_in_use_approx();
	struct alloc_job job = {.n = 64, .free_one_here = true};
	pthread_t t;

	T_CHECK_INT(pthread_create(&t, NULL, alloc_blocks, &job), 0);
	T_CHECK_INT(pthread_join(t, NULL), 0);
	/* The thread's count outlives it, and its unfolded rest is folded
	 * at its exit. */
	T_CHECK(alloc_in_use() >= before + 63 * 1000);
	T_CHECK(alloc_in_use() < before + 63 * 1100);
	T_CHECK(alloc_in_use_approx() + ALLOC_FOLD_BYTES >= approx + 63 * 1000);
	for (size_t i = 0; i < job.n; i++) {
		tern_free(job.blocks[i]);
	}
	T_CHECK_INT(alloc_in_use(), before);
}

static void
test_alloc_approx_follows_large_blocks(void)
{
	size_t approx = alloc_in_use_approx();
	void *p = tern_malloc(1u << 20);

	T_CHECK(p != NULL);
	T_CHECK(alloc_in_use_approx() + ALLOC_FOLD_BYTES >=
	        approx + (1u << 20));
	T_CHECK(alloc_in_use_approx() <=
	        approx + (1u << 20) + ALLOC_FOLD_BYTES);
	tern_free(p);
	T_CHECK(alloc_in_use_approx() <= approx + ALLOC_FOLD_BYTES);
	T_CHECK(alloc_in_use_approx() + ALLOC_FOLD_BYTES >= approx);
}

struct item {
	struct mpsc_node node;
	int v;
};

static void
test_mpsc_fifo(void)
{
	struct mpsc q;
	struct item it[3];

	mpsc_init(&q);
	T_CHECK(mpsc_empty(&q));
	T_CHECK(mpsc_pop(&q) == NULL);
	for (int i = 0; i < 3; i++) {
		it[i].v = i;
		mpsc_push(&q, &it[i].node);
	}
	T_CHECK(!mpsc_empty(&q));
	for (int i = 0; i < 3; i++) {
		struct mpsc_node *n = mpsc_pop(&q);
		T_CHECK(n != NULL);
		T_CHECK_INT(((struct item *)(void *)n)->v, i);
	}
	T_CHECK(mpsc_pop(&q) == NULL);
	T_CHECK(mpsc_empty(&q));
	mpsc_push(&q, &it[0].node);
	T_CHECK(mpsc_pop(&q) == &it[0].node);
	T_CHECK(mpsc_empty(&q));
}

T_MAIN(T_CASE(test_varint_roundtrip), T_CASE(test_varint_five_bytes_malformed),
       T_CASE(test_varint_truncated), T_CASE(test_rd_bin_bounds),
       T_CASE(test_utf8_rules), T_CASE(test_buf_grow_consume),
       T_CASE(test_alloc_injection), T_CASE(test_alloc_count_across_threads),
       T_CASE(test_alloc_approx_follows_large_blocks), T_CASE(test_mpsc_fifo))
