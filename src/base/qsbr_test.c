/*
 * qsbr_test.c - quiescent-state reclamation: the grace-period rules one
 * step at a time, reservations and allocation failure, and readers racing
 * a writer (run under ASan and TSan).
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <unistd.h>

#include "alloc.h"
#include "err.h"
#include "qsbr.h"
#include "test.h"

#define OBJ_MAGIC 0x7165736272ULL

struct obj {
	uint64_t magic;
	uint64_t val;
	atomic_size_t *freed;
};

static struct obj *
obj_new(atomic_size_t *freed, uint64_t val)
{
	struct obj *o = tern_malloc(sizeof(*o));

	if (o != NULL) {
		o->magic = OBJ_MAGIC;
		o->val = val;
		o->freed = freed;
	}
	return o;
}

static void
obj_free(void *p)
{
	struct obj *o = p;

	/* A reader that still looked at it would see the poison (and
	 * ASan/TSan would report the access). */
	o->magic = 0;
	atomic_fetch_add(o->freed, 1);
	tern_free(o);
}

static size_t
freed_count(atomic_size_t *freed)
{
	return atomic_load(freed);
}

static void
test_new_free(void)
{
	size_t base = alloc_in_use();
	struct qsbr *q;

	q = qsbr_new(0);
	T_CHECK(q != NULL);
	qsbr_free(q);
	q = qsbr_new(3);
	T_CHECK(q != NULL);
	T_CHECK(!qsbr_is_online(q, 0));
	qsbr_online(q, 2);
	T_CHECK(qsbr_is_online(q, 2));
	qsbr_offline(q, 2);
	T_CHECK(!qsbr_is_online(q, 2));
	qsbr_free(q);
	qsbr_free(NULL);
	T_CHECK_INT(alloc_in_use(), base);
}

static void
test_offline_readers_never_hold(void)
{
	atomic_size_t freed = 0;
	struct qsbr *q = qsbr_new(2);

	T_CHECK(q != NULL);
	T_CHECK_INT(qsbr_retire(q, obj_new(&freed, 1), obj_free), 0);
	T_CHECK_INT(qsbr_pending(q), 1);
	T_CHECK_INT(qsbr_reclaim(q), 1);
	T_CHECK_INT(freed_count(&freed), 1);
	T_CHECK_INT(qsbr_pending(q), 0);
	qsbr_free(q);
}

static void
test_quiescent_frees(void)
{
	atomic_size_t freed = 0;
	struct qsbr *q = qsbr_new(1);

	T_CHECK(q != NULL);
	qsbr_online(q, 0);
	T_CHECK_INT(qsbr_retire(q, obj_new(&freed, 1), obj_free), 0);
	T_CHECK_INT(qsbr_reclaim(q), 0);
	T_CHECK_INT(freed_count(&freed), 0);
	/* The quiescent point both reports and reclaims. */
	qsbr_quiescent(q, 0);
	T_CHECK_INT(freed_count(&freed), 1);
	T_CHECK_INT(qsbr_pending(q), 0);
	qsbr_offline(q, 0);
	qsbr_free(q);
}

static void
test_every_online_reader_must_pass(void)
{
	atomic_size_t freed = 0;
	struct qsbr *q = qsbr_new(3);

	T_CHECK(q != NULL);
	qsbr_online(q, 0);
	qsbr_online(q, 1);
	/* Reader 2 stays offline throughout. */
	T_CHECK_INT(qsbr_retire(q, obj_new(&freed, 1), obj_free), 0);
	qsbr_quiescent(q, 0);
	qsbr_quiescent(q, 0);
	T_CHECK_INT(freed_count(&freed), 0);
	qsbr_quiescent(q, 1);
	T_CHECK_INT(freed_count(&freed), 1);

	/* A reader going offline releases what it held up. */
	T_CHECK_INT(qsbr_retire(q, obj_new(&freed, 2), obj_free), 0);
	qsbr_quiescent(q, 0);
	T_CHECK_INT(freed_count(&freed), 1);
	qsbr_offline(q, 1);
	T_CHECK_INT(qsbr_reclaim(q), 1);
	T_CHECK_INT(freed_count(&freed), 2);
	qsbr_offline(q, 0);
	qsbr_free(q);
}

static void
test_online_after_retire_does_not_hold(void)
{
	atomic_size_t freed = 0;
	struct qsbr *q = qsbr_new(2);

	T_CHECK(q != NULL);
	qsbr_online(q, 0);
	T_CHECK_INT(qsbr_retire(q, obj_new(&freed, 1), obj_free), 0);
	/* Reader 1 comes online after the retire: it cannot reach it. */
	qsbr_online(q, 1);
	qsbr_quiescent(q, 0);
	T_CHECK_INT(freed_count(&freed), 1);
	qsbr_offline(q, 0);
	qsbr_offline(q, 1);
	qsbr_free(q);
}

static void
test_frees_in_retire_order(void)
{
	atomic_size_t freed = 0;
	struct qsbr *q = qsbr_new(2);

	T_CHECK(q != NULL);
	qsbr_online(q, 0);
	qsbr_online(q, 1);
	T_CHECK_INT(qsbr_retire(q, obj_new(&freed, 1), obj_free), 0);
	qsbr_quiescent(q, 0);
	T_CHECK_INT(qsbr_retire(q, obj_new(&freed, 2), obj_free), 0);
	qsbr_quiescent(q, 1);
	/* The first is past both readers; the second is not past 0. */
	T_CHECK_INT(freed_count(&freed), 1);
	T_CHECK_INT(qsbr_pending(q), 1);
	qsbr_quiescent(q, 0);
	T_CHECK_INT(freed_count(&freed), 2);
	qsbr_offline(q, 0);
	qsbr_offline(q, 1);
	qsbr_free(q);
}

static void
test_free_releases_pending(void)
{
	atomic_size_t freed = 0;
	size_t base = alloc_in_use();
	struct qsbr *q = qsbr_new(1);

	T_CHECK(q != NULL);
	qsbr_online(q, 0);
	for (uint64_t i = 0; i < 100; i++) {
		T_CHECK_INT(qsbr_retire(q, obj_new(&freed, i), obj_free), 0);
	}
	T_CHECK_INT(qsbr_pending(q), 100);
	qsbr_offline(q, 0);
	qsbr_free(q);
	T_CHECK_INT(freed_count(&freed), 100);
	T_CHECK_INT(alloc_in_use(), base);
}

static void
test_reserve_then_no_allocation(void)
{
	atomic_size_t freed = 0;
	struct obj *objs[200];
	struct qsbr *q = qsbr_new(1);
	struct obj *extra;

	T_CHECK(q != NULL);
	for (size_t i = 0; i < 200; i++) {
		objs[i] = obj_new(&freed, i);
		T_CHECK(objs[i] != NULL);
	}
	extra = obj_new(&freed, 999);
	T_CHECK(extra != NULL);
	qsbr_online(q, 0);
	T_CHECK_INT(qsbr_reserve(q, 200), 0);
	alloc_fail_after(0);
	for (size_t i = 0; i < 200; i++) {
		T_CHECK_INT(qsbr_retire(q, objs[i], obj_free), 0);
	}
	/* Past the reservation the list must grow, and growth fails. */
	T_CHECK_INT(qsbr_retire(q, extra, obj_free), TERN_ENOMEM);
	T_CHECK_INT(qsbr_reserve(q, 1000), TERN_ENOMEM);
	alloc_fail_after(-1);
	T_CHECK_INT(qsbr_pending(q), 200);
	obj_free(extra);
	qsbr_offline(q, 0);
	T_CHECK_INT(qsbr_reclaim(q), 200);
	T_CHECK_INT(freed_count(&freed), 201);
	qsbr_free(q);
}

static void
test_memory_returns_after_burst(void)
{
	atomic_size_t freed = 0;
	struct qsbr *q = qsbr_new(1);
	size_t base;

	T_CHECK(q != NULL);
	base = alloc_in_use();
	for (uint64_t i = 0; i < 5000; i++) {
		T_CHECK_INT(qsbr_retire(q, obj_new(&freed, i), obj_free), 0);
	}
	T_CHECK_INT(qsbr_reclaim(q), 5000);
	T_CHECK_INT(alloc_in_use(), base);
	qsbr_free(q);
}

static void
test_new_out_of_memory(void)
{
	size_t base = alloc_in_use();

	for (long k = 0; k < 2; k++) {
		alloc_fail_after(k);
		T_CHECK(qsbr_new(4) == NULL);
		alloc_fail_after(-1);
		T_CHECK_INT(alloc_in_use(), base);
	}
}

/* Readers follow one shared pointer while a writer replaces it. */
#define MT_READERS 3
#define MT_WRITES  20000

struct mt {
	struct qsbr *q;
	_Atomic(struct obj *) cur;
	atomic_bool stop;
	atomic_size_t freed;
	atomic_size_t bad;
	atomic_size_t reads;
};

struct mt_reader {
	struct mt *mt;
	unsigned idx;
};

static void
mt_read_burst(struct mt *mt)
{
	uint64_t last = 0;

	for (int k = 0; k < 16; k++) {
		/* Acquire pairs with the writer's exchange. */
		struct obj *o =
		        atomic_load_explicit(&mt->cur, memory_order_acquire);
		if (o->magic != OBJ_MAGIC || o->val < last) {
			atomic_fetch_add(&mt->bad, 1);
		}
		last = o->val;
	}
	atomic_fetch_add_explicit(&mt->reads, 16, memory_order_relaxed);
}

static void *
mt_reader_main(void *arg)
{
	struct mt_reader *rd = arg;
	struct mt *mt = rd->mt;
	unsigned long turn = 0;

	qsbr_online(mt->q, rd->idx);
	while (!atomic_load(&mt->stop)) {
		mt_read_burst(mt);
		qsbr_quiescent(mt->q, rd->idx);
		if (++turn % 64 == 0) {
			/* Idle like a worker in epoll_wait. */
			qsbr_offline(mt->q, rd->idx);
			sched_yield();
			qsbr_online(mt->q, rd->idx);
		}
	}
	qsbr_offline(mt->q, rd->idx);
	return NULL;
}

static int
mt_write(struct mt *mt)
{
	for (uint64_t i = 1; i <= MT_WRITES; i++) {
		struct obj *o = obj_new(&mt->freed, i), *old;

		if (o == NULL) {
			return TERN_ENOMEM;
		}
		/* acq_rel: release publishes @o; acquire pairs with the
		 * previous exchange so we own the old object's contents. */
		old = atomic_exchange_explicit(&mt->cur, o,
		                               memory_order_acq_rel);
		if (qsbr_retire(mt->q, old, obj_free) != 0) {
			return TERN_ENOMEM;
		}
		if (i % 32 == 0) {
			qsbr_reclaim(mt->q);
		}
		if (i % 1024 == 0) {
			sched_yield();
		}
	}
	return 0;
}

static void
test_readers_race_writer(void)
{
	struct mt mt;
	struct mt_reader rd[MT_READERS];
	pthread_t th[MT_READERS];
	size_t base = alloc_in_use();
	int err;

	mt.q = qsbr_new(MT_READERS);
	T_CHECK(mt.q != NULL);
	atomic_init(&mt.stop, false);
	atomic_init(&mt.freed, 0);
	atomic_init(&mt.bad, 0);
	atomic_init(&mt.reads, 0);
	atomic_init(&mt.cur, obj_new(&mt.freed, 0));
	T_CHECK(atomic_load(&mt.cur) != NULL);
	for (unsigned i = 0; i < MT_READERS; i++) {
		rd[i].mt = &mt;
		rd[i].idx = i;
		T_CHECK_INT(
		        pthread_create(&th[i], NULL, mt_reader_main, &rd[i]),
		        0);
	}
	/* The race needs readers inside before the writer starts; a busy
	 * machine may not have scheduled them yet. */
	for (int spin = 0; spin < 5000 && atomic_load(&mt.reads) == 0;
	     spin++) {
		usleep(1000);
	}
	err = mt_write(&mt);
	atomic_store(&mt.stop, true);
	for (unsigned i = 0; i < MT_READERS; i++) {
		pthread_join(th[i], NULL);
	}
	T_CHECK_INT(err, 0);
	qsbr_reclaim(mt.q);
	T_CHECK_INT(qsbr_pending(mt.q), 0);
	T_CHECK_INT(atomic_load(&mt.freed), MT_WRITES);
	T_CHECK_INT(atomic_load(&mt.bad), 0);
	T_CHECK(atomic_load(&mt.reads) > 0);
	obj_free(atomic_load(&mt.cur));
	qsbr_free(mt.q);
	T_CHECK_INT(alloc_in_use(), base);
}

T_MAIN(T_CASE(test_new_free), T_CASE(test_offline_readers_never_hold),
       T_CASE(test_quiescent_frees), T_CASE(test_every_online_reader_must_pass),
       T_CASE(test_online_after_retire_does_not_hold),
       T_CASE(test_frees_in_retire_order), T_CASE(test_free_releases_pending),
       T_CASE(test_reserve_then_no_allocation),
       T_CASE(test_memory_returns_after_burst), T_CASE(test_new_out_of_memory),
       T_CASE(test_readers_race_writer))
