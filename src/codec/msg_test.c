/*
 * msg_test.c - struct msg: copies, reference counts, and the pool a message
 * goes back to whichever thread drops its last reference.
 */
#include "msg.h"

#include <pthread.h>

#include "../base/alloc.h"
#include "../base/test.h"

static struct msg *
small_msg(void)
{
	return msg_new(span_str("a/b"), span_str("payload"), span_make("", 0),
	               1, false);
}

static void
test_copies_and_frees_without_pool(void)
{
	size_t base = alloc_in_use();
	struct msg *m = small_msg();

	T_CHECK(m != NULL);
	T_CHECK(m->home == NULL);
	T_CHECK(span_eq(m->topic, span_str("a/b")));
	T_CHECK(span_eq(m->payload, span_str("payload")));
	T_CHECK_INT(m->qos, 1);
	msg_ref(m);
	msg_unref(m);
	T_CHECK(alloc_in_use() > base);
	msg_unref(m);
	T_CHECK_INT(alloc_in_use(), base);
	msg_unref(NULL);
}

static void
test_small_messages_come_from_the_pool(void)
{
	size_t base = alloc_in_use();
	uint8_t big[MSG_POOL_BLOCK];
	struct pool p;
	struct msg *m, *again, *large;

	memset(big, 'x', sizeof big);
	pool_init(&p, MSG_POOL_BLOCK, 4);
	msg_pool_attach(&p);
	m = small_msg();
	T_CHECK(m != NULL && m->home == &p);
	msg_unref(m);
	T_CHECK_INT(p.n_free, 1);
	again = small_msg();
	T_CHECK(again == m); /* the same block, reused */
	T_CHECK(span_eq(again->payload, span_str("payload")));
	/* Too big for a block: malloc, and freed, not pooled. */
	large = msg_new(span_str("t"), span_make(big, sizeof big),
	                span_make("", 0), 0, false);
	T_CHECK(large != NULL && large->home == NULL);
	msg_unref(large);
	T_CHECK_INT(p.n_free, 0);
	msg_unref(again);
	msg_pool_attach(NULL);
	pool_fini(&p);
	T_CHECK_INT(alloc_in_use(), base);
}

struct drop_job {
	struct msg *m[32];
	size_t n;
};

static void *
drop_all(void *arg)
{
	struct drop_job *job = arg;

	for (size_t i = 0; i < job->n; i++) {
		msg_unref(job->m[i]);
	}
	return NULL;
}

/* The subscriber's worker drops the last reference: the message goes back
 * to the pool of the thread that made it, and is made again from there
 * without a new allocation. Both threads drop concurrently (TSan). */
static void
test_last_reference_on_another_thread_returns_home(void)
{
	size_t base = alloc_in_use(), before;
	struct drop_job job = {.n = 32};
	struct pool p;
	pthread_t t;

	pool_init(&p, MSG_POOL_BLOCK, 64);
	msg_pool_attach(&p);
	for (size_t i = 0; i < job.n; i++) {
		job.m[i] = small_msg();
		T_CHECK(job.m[i] != NULL);
		msg_ref(job.m[i]); /* one for us, one for the other thread */
	}
	before = alloc_in_use();
	T_CHECK_INT(pthread_create(&t, NULL, drop_all, &job), 0);
	for (size_t i = 0; i < job.n; i++) {
		msg_unref(job.m[i]);
	}
	T_CHECK_INT(pthread_join(t, NULL), 0);
	for (size_t i = 0; i < job.n; i++) {
		job.m[i] = small_msg(); /* reused, whichever side freed */
		T_CHECK(job.m[i] != NULL);
	}
	T_CHECK_INT(alloc_in_use(), before);
	for (size_t i = 0; i < job.n; i++) {
		msg_unref(job.m[i]);
	}
	msg_pool_attach(NULL);
	pool_fini(&p);
	T_CHECK_INT(alloc_in_use(), base);
}

T_MAIN(T_CASE(test_copies_and_frees_without_pool),
       T_CASE(test_small_messages_come_from_the_pool),
       T_CASE(test_last_reference_on_another_thread_returns_home))
