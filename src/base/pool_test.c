/*
 * pool_test.c - block pools: reuse, the keep bound, blocks given back by
 * another thread, trim and fini leaving nothing allocated.
 */
#include "pool.h"

#include <pthread.h>

#include "alloc.h"
#include "test.h"

static void
test_put_then_get_reuses_the_block(void)
{
	size_t base = alloc_in_use();
	struct pool p;
	void *a, *b;

	pool_init(&p, 100, 4);
	a = pool_get(&p);
	T_CHECK(a != NULL);
	pool_put(&p, a);
	b = pool_get(&p);
	T_CHECK(b == a);
	T_CHECK_INT(p.n_free, 0);
	pool_put(&p, b);
	pool_fini(&p);
	T_CHECK_INT(alloc_in_use(), base);
}

static void
test_put_frees_past_keep(void)
{
	size_t base = alloc_in_use();
	struct pool p;
	void *blk[6];

	pool_init(&p, 100, 2);
	for (int i = 0; i < 6; i++) {
		blk[i] = pool_get(&p);
		T_CHECK(blk[i] != NULL);
	}
	for (int i = 0; i < 6; i++) {
		pool_put(&p, blk[i]);
	}
	T_CHECK_INT(p.n_free, 2);
	T_CHECK(alloc_in_use() - base < 2 * 200);
	pool_fini(&p);
	T_CHECK_INT(alloc_in_use(), base);
}

static void
test_get_fails_cleanly_without_memory(void)
{
	struct pool p;

	pool_init(&p, 100, 2);
	alloc_fail_after(0);
	T_CHECK(pool_get(&p) == NULL);
	alloc_fail_after(-1);
	pool_fini(&p);
}

/* The owner's release keeps the block at hand; another pool's owner
 * sends it back through the return queue. */
static void
test_release_picks_the_way_back(void)
{
	size_t base = alloc_in_use();
	struct pool p, other;
	void *a, *b;

	pool_init(&p, 100, 4);
	pool_init(&other, 100, 4);
	a = pool_get(&p);
	b = pool_get(&p);
	T_CHECK(a != NULL && b != NULL);
	pool_release(&p, &p, a);
	T_CHECK_INT(p.n_free, 1);
	pool_release(&p, &other, b);
	T_CHECK_INT(p.n_free, 1);
	T_CHECK_INT(other.n_free, 0);
	T_CHECK(pool_get(&p) == a);
	T_CHECK(pool_get(&p) == b); /* from the return queue */
	pool_release(&p, NULL, a);
	pool_release(&p, NULL, b);
	pool_fini(&p);
	pool_fini(&other);
	T_CHECK_INT(alloc_in_use(), base);
}

/* Trim keeps @keep free blocks while the pool is in use, none once a
 * whole period passed without a pool_get(). */
static void
test_idle_pool_holds_nothing(void)
{
	size_t base = alloc_in_use();
	struct pool p;
	void *blk[3];

	pool_init(&p, 100, 4);
	for (int i = 0; i < 3; i++) {
		blk[i] = pool_get(&p);
		T_CHECK(blk[i] != NULL);
	}
	for (int i = 0; i < 3; i++) {
		pool_put(&p, blk[i]);
	}
	pool_trim(&p); /* busy since the last trim: keeps them */
	T_CHECK_INT(p.n_free, 3);
	pool_trim(&p); /* idle for a period: lets them go */
	T_CHECK_INT(p.n_free, 0);
	T_CHECK_INT(alloc_in_use(), base);
	pool_fini(&p);
}

enum { N_BLOCKS = 64, ROUNDS = 200 };

struct give_job {
	struct pool *p;
	void *blk[N_BLOCKS];
};

static void *
give_all_back(void *arg)
{
	struct give_job *job = arg;

	for (int i = 0; i < N_BLOCKS; i++) {
		/* Write to the block as a message's last owner would. */
		((unsigned char *)job->blk[i])[99] = (unsigned char)i;
		pool_give_back(job->p, job->blk[i]);
	}
	return NULL;
}

/* Blocks freed by another thread come back to the owner: after the first
 * round no allocation is new. */
static void
test_blocks_given_back_are_reused(void)
{
	size_t base = alloc_in_use(), after_first = 0;
	struct give_job job;
	struct pool p;

	pool_init(&p, 100, 8);
	job.p = &p;
	for (int r = 0; r < ROUNDS; r++) {
		pthread_t t;

		for (int i = 0; i < N_BLOCKS; i++) {
			job.blk[i] = pool_get(&p);
			T_CHECK(job.blk[i] != NULL);
		}
		if (r == 1) {
			after_first = alloc_in_use();
		}
		T_CHECK_INT(pthread_create(&t, NULL, give_all_back, &job), 0);
		T_CHECK_INT(pthread_join(t, NULL), 0);
	}
	T_CHECK_INT(alloc_in_use(), after_first);
	pool_trim(&p);
	T_CHECK_INT(p.n_free, 8);
	T_CHECK(alloc_in_use() - base < 8 * 200);
	pool_fini(&p);
	T_CHECK_INT(alloc_in_use(), base);
}

struct race {
	struct pool *p;
	struct mpsc hand; /* owner -> other thread */
	_Atomic int done;
};

static void *
return_while_owner_allocates(void *arg)
{
	struct race *r = arg;
	int got = 0;

	while (got < N_BLOCKS * ROUNDS) {
		struct mpsc_node *n = mpsc_pop(&r->hand);
		if (n != NULL) {
			pool_give_back(r->p, n);
			got++;
		}
	}
	atomic_store(&r->done, 1);
	return NULL;
}

/* Owner and returner at the same time (run under ThreadSanitizer). */
static void
test_concurrent_give_back(void)
{
	size_t base = alloc_in_use();
	struct race r = {0};
	struct pool p;
	pthread_t t;

	pool_init(&p, sizeof(struct mpsc_node) + 32, 16);
	r.p = &p;
	mpsc_init(&r.hand);
	T_CHECK_INT(pthread_create(&t, NULL, return_while_owner_allocates, &r),
	            0);
	for (int i = 0; i < N_BLOCKS * ROUNDS; i++) {
		struct mpsc_node *n = pool_get(&p);
		T_CHECK(n != NULL);
		mpsc_push(&r.hand, n);
	}
	T_CHECK_INT(pthread_join(t, NULL), 0);
	T_CHECK(atomic_load(&r.done));
	pool_fini(&p);
	T_CHECK_INT(alloc_in_use(), base);
}

T_MAIN(T_CASE(test_put_then_get_reuses_the_block),
       T_CASE(test_put_frees_past_keep),
       T_CASE(test_get_fails_cleanly_without_memory),
       T_CASE(test_release_picks_the_way_back),
       T_CASE(test_idle_pool_holds_nothing),
       T_CASE(test_blocks_given_back_are_reused),
       T_CASE(test_concurrent_give_back))
