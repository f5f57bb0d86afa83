/*
 * pool.c - per-owner block pools with a return queue (see pool.h).
 */
#include "pool.h"

#include "alloc.h"

/* A block while it is free: the link lives in its first bytes. */
struct pool_free {
	union {
		struct pool_free *next;
		struct mpsc_node node;
	};
};

void
pool_init(struct pool *p, size_t block, size_t keep)
{
	mpsc_init(&p->returned);
	p->free = NULL;
	p->n_free = 0;
	p->block = block < sizeof(struct pool_free) ? sizeof(struct pool_free)
	                                            : block;
	p->keep = keep;
	p->gets = 0;
}

static void
push_free(struct pool *p, struct pool_free *f)
{
	f->next = p->free;
	p->free = f;
	p->n_free++;
}

void *
pool_get(struct pool *p)
{
	struct pool_free *f = p->free;

	p->gets++;
	if (f != NULL) {
		p->free = f->next;
		p->n_free--;
		return f;
	}
	f = (struct pool_free *)(void *)mpsc_pop(&p->returned);
	if (f != NULL) {
		return f;
	}
	return tern_malloc(p->block);
}

void
pool_put(struct pool *p, void *blk)
{
	if (p->n_free >= p->keep) {
		tern_free(blk);
		return;
	}
	push_free(p, blk);
}

void
pool_give_back(struct pool *p, void *blk)
{
	struct pool_free *f = blk;

	mpsc_push(&p->returned, &f->node);
}

void
pool_release(struct pool *p, const struct pool *mine, void *blk)
{
	if (p == mine) {
		pool_put(p, blk);
	} else {
		pool_give_back(p, blk);
	}
}

static void
free_all_free(struct pool *p)
{
	while (p->free != NULL) {
		struct pool_free *f = p->free;
		p->free = f->next;
		tern_free(f);
	}
	p->n_free = 0;
}

void
pool_trim(struct pool *p)
{
	struct mpsc_node *n;

	while ((n = mpsc_pop(&p->returned)) != NULL) {
		pool_put(p, n);
	}
	if (p->gets == 0) {
		free_all_free(p);
	}
	p->gets = 0;
}

void
pool_fini(struct pool *p)
{
	p->keep = 0;
	pool_trim(p);
	free_all_free(p);
}
