/*
 * pool.h - blocks of one size owned by one thread, given back from any.
 *
 * A worker allocates messages and cross-worker batches that other workers
 * free. Freeing into another thread's malloc arena takes that arena's lock,
 * and at millions of messages a second the two workers wait on each other
 * in futex(). Instead a block goes back to the pool it came from: the
 * owner's own frees go to its free list, other threads push the block on
 * the pool's return queue (one atomic exchange), and the owner takes
 * returned blocks when its free list is empty. Blocks are counted by
 * alloc.c while they exist, free or not; pool_trim() bounds the free ones.
 */
#ifndef TERN_BASE_POOL_H
#define TERN_BASE_POOL_H

#include <stddef.h>

#include "mpsc.h"

struct pool_free;

struct pool {
	struct mpsc returned;   /* any thread pushes, the owner pops */
	struct pool_free *free; /* owner only */
	size_t n_free;          /* blocks on `free` */
	size_t block;           /* bytes per block */
	size_t keep;            /* free blocks kept by pool_put/pool_trim */
	size_t gets;            /* pool_get() calls since the last trim */
};

/* pool_init() - an empty pool of @block-byte blocks (at least a pointer's
 * size) that keeps up to @keep free ones. Allocates nothing. */
void pool_init(struct pool *p, size_t block, size_t keep);

/* pool_get() - a block, reused or new (tern_malloc); NULL on ENOMEM.
 * Thread: the owner. */
void *pool_get(struct pool *p);

/* pool_put() - take back @blk, which came from @p. Thread: the owner. */
void pool_put(struct pool *p, void *blk);

/* pool_give_back() - return @blk, which came from @p, to its owner.
 * Thread: any. */
void pool_give_back(struct pool *p, void *blk);

/* pool_release() - return @blk to @p, the pool it came from, from a thread
 * whose own pool of that kind is @mine (NULL: none): pool_put() when they
 * are the same, else pool_give_back(). Thread: any. */
void pool_release(struct pool *p, const struct pool *mine, void *blk);

/* pool_trim() - free what the owner will not need: returned blocks past
 * @keep free ones, and every free block if nothing was taken since the
 * last trim (an idle pool holds no memory). Call it periodically.
 * Thread: the owner. */
void pool_trim(struct pool *p);

/* pool_fini() - free every free and returned block. The blocks still in
 * use are the caller's. Thread: any, once no thread uses @p. */
void pool_fini(struct pool *p);

#endif
