/*
 * retain.c - the retained-message store behind retain.h.
 *
 * A tree with one node per topic level; a node holds at most one retained
 * message (a reference), and nodes with neither a message nor children
 * are pruned. Children are found by name through one hash index for the
 * whole store, keyed by (parent, level name), and listed through sibling
 * links so that '+' and '#' can visit them.
 *
 * One mutex guards everything. That is deliberate: the store is off the
 * ordinary publish path. Only a PUBLISH with the retain flag (set or
 * clear) and a new subscription (replay by retain_match) touch it, and
 * both are rare next to plain publishes, which go through the router's
 * lock-free trie only.
 *
 * retain_match() walks the tree by filter levels without a stack: a
 * literal level is one index lookup, '+' follows sibling links, '#'
 * visits the subtree, and the way back up uses parent pointers and the
 * filter's previous '/'. Deep topics cannot overflow the C stack.
 */
#include "retain.h"

#include <pthread.h>
#include <string.h>

#include "../base/alloc.h"
#include "../base/err.h"

#define POS_END   SIZE_MAX /* past the last level */
#define INDEX_MIN 16       /* smallest index, in slots */

struct rnode {
	struct rnode *parent;
	struct rnode *child; /* first child */
	struct rnode *next;  /* siblings */
	struct rnode *prev;
	struct msg *msg; /* the retained message, a reference, or NULL */
	uint64_t hash;   /* of (parent, name): the index key */
	size_t len;
	uint8_t name[];
};

struct retain {
	pthread_mutex_t lock; /* guards everything below */
	struct rnode *root;   /* the empty path; never in the index */
	struct rnode **slot;  /* index: open addressing, linear probing */
	size_t mask;          /* slots - 1, slots a power of two */
	size_t used;          /* nodes in the index */
	size_t count;         /* retained messages */
};

static uint64_t
key_hash(const struct rnode *parent, struct span lv)
{
	uint64_t h = 14695981039346656037ULL ^
	             ((uint64_t)(uintptr_t)parent * 0x9e3779b97f4a7c15ULL);

	for (size_t i = 0; i < lv.len; i++) {
		h = (h ^ lv.p[i]) * 1099511628211ULL;
	}
	return h ^ (h >> 32);
}

static struct rnode *
index_find(const struct retain *t, const struct rnode *parent, struct span lv)
{
	uint64_t h = key_hash(parent, lv);
	struct rnode *c;

	for (size_t i = h & t->mask;; i = (i + 1) & t->mask) {
		c = t->slot[i];
		if (c == NULL) {
			return NULL;
		}
		if (c->hash == h && c->parent == parent && c->len == lv.len &&
		    memcmp(c->name, lv.p, lv.len) == 0) {
			return c;
		}
	}
}

static void
index_put(struct rnode **slot, size_t mask, struct rnode *n)
{
	size_t i = n->hash & mask;

	while (slot[i] != NULL) {
		i = (i + 1) & mask;
	}
	slot[i] = n;
}

/* Rebuild the index with @slots slots; 0 or TERN_ENOMEM (unchanged). */
static int
index_resize(struct retain *t, size_t slots)
{
	struct rnode **slot = tern_calloc(slots, sizeof(struct rnode *));

	if (slot == NULL) {
		return TERN_ENOMEM;
	}
	for (size_t i = 0; i <= t->mask; i++) {
		if (t->slot[i] != NULL) {
			index_put(slot, slots - 1, t->slot[i]);
		}
	}
	tern_free(t->slot);
	t->slot = slot;
	t->mask = slots - 1;
	return 0;
}

/* Make room for one more node (load at most 3/4). */
static int
index_reserve(struct retain *t)
{
	size_t slots = t->mask + 1;

	if ((t->used + 1) * 4 <= slots * 3) {
		return 0;
	}
	if (slots > SIZE_MAX / 2 / sizeof(struct rnode *)) {
		return TERN_ENOMEM;
	}
	return index_resize(t, slots * 2);
}

/* Remove @n by backward shift, so no tombstones build up. */
static void
index_delete(struct retain *t, const struct rnode *n)
{
	size_t i = n->hash & t->mask, j, home;

	while (t->slot[i] != n) {
		i = (i + 1) & t->mask;
	}
	t->slot[i] = NULL;
	for (j = (i + 1) & t->mask; t->slot[j] != NULL; j = (j + 1) & t->mask) {
		home = t->slot[j]->hash & t->mask;
		/* Stay if home lies cyclically in (i, j]. */
		if (i <= j ? (home > i && home <= j)
		           : (home > i || home <= j)) {
			continue;
		}
		t->slot[i] = t->slot[j];
		t->slot[j] = NULL;
		i = j;
	}
	t->used--;
	if (t->mask + 1 > INDEX_MIN && t->used * 8 < t->mask + 1) {
		/* Shrinking is only space: on ENOMEM keep the big one. */
		(void)index_resize(t, (t->mask + 1) / 2);
	}
}

static struct rnode *
node_new(struct rnode *parent, struct span lv)
{
	struct rnode *n = tern_malloc(sizeof(*n) + lv.len);

	if (n == NULL) {
		return NULL;
	}
	n->parent = parent;
	n->child = NULL;
	n->prev = NULL;
	n->next = NULL;
	n->msg = NULL;
	n->hash = key_hash(parent, lv);
	n->len = lv.len;
	if (lv.len != 0) {
		memcpy(n->name, lv.p, lv.len);
	}
	return n;
}

/* Add @lv below @parent; 0 or TERN_ENOMEM (nothing changed). */
static int
node_add(struct retain *t, struct rnode *parent, struct span lv,
         struct rnode **out)
{
	struct rnode *n;

	if (index_reserve(t) != 0) {
		return TERN_ENOMEM;
	}
	n = node_new(parent, lv);
	if (n == NULL) {
		return TERN_ENOMEM;
	}
	index_put(t->slot, t->mask, n);
	t->used++;
	n->next = parent->child;
	if (n->next != NULL) {
		n->next->prev = n;
	}
	parent->child = n;
	*out = n;
	return 0;
}

/* Unlink and free @n and every ancestor left with nothing. */
static void
prune(struct retain *t, struct rnode *n)
{
	struct rnode *up;

	while (n != t->root && n->msg == NULL && n->child == NULL) {
		up = n->parent;
		if (n->prev != NULL) {
			n->prev->next = n->next;
		} else {
			up->child = n->next;
		}
		if (n->next != NULL) {
			n->next->prev = n->prev;
		}
		index_delete(t, n);
		tern_free(n);
		n = up;
	}
}

/* The level of @s starting at @p; *next is where the next one starts. */
static struct span
level_at(struct span s, size_t p, size_t *next)
{
	const uint8_t *slash = memchr(s.p + p, '/', s.len - p);
	size_t e = slash != NULL ? (size_t)(slash - s.p) : s.len;

	*next = slash != NULL ? e + 1 : POS_END;
	return span_make(s.p + p, e - p);
}

static bool
level_is(struct span lv, char c)
{
	return lv.len == 1 && lv.p[0] == (uint8_t)c;
}

/* The node for @topic, created if @make; NULL if absent or ENOMEM. */
static struct rnode *
path_find(struct retain *t, struct span topic, bool make)
{
	struct rnode *n = t->root, *c;
	size_t p = 0, next;
	struct span lv;

	while (p != POS_END) {
		lv = level_at(topic, p, &next);
		c = index_find(t, n, lv);
		if (c == NULL && (!make || node_add(t, n, lv, &c) != 0)) {
			prune(t, n); /* drop what this call created */
			return NULL;
		}
		n = c;
		p = next;
	}
	return n;
}

/* Clear @topic; returns the message to release, or NULL. */
static struct msg *
clear_locked(struct retain *t, struct span topic)
{
	struct rnode *n = path_find(t, topic, false);
	struct msg *old;

	if (n == NULL || n->msg == NULL) {
		return NULL;
	}
	old = n->msg;
	n->msg = NULL;
	t->count--;
	prune(t, n);
	return old;
}

int
retain_set(struct retain *t, struct msg *m)
{
	struct msg *old;
	struct rnode *n;

	if (m->topic.len == 0) {
		return TERN_ETOPIC;
	}
	pthread_mutex_lock(&t->lock);
	if (m->payload.len == 0) {
		/* [MQTT-3.3.1-10] an empty retained payload clears;
		 * [MQTT-3.3.1-11] and is not stored. */
		old = clear_locked(t, m->topic);
	} else {
		n = path_find(t, m->topic, true);
		if (n == NULL) {
			pthread_mutex_unlock(&t->lock);
			return TERN_ENOMEM;
		}
		old = n->msg;
		n->msg = msg_ref(m);
		t->count += old == NULL;
	}
	pthread_mutex_unlock(&t->lock);
	msg_unref(old); /* outside the lock: the last reference frees */
	return 0;
}

/* ---- matching ---- */

struct rwalk {
	const struct retain *t;
	struct span f; /* the filter */
	retain_match_fn *fn;
	void *arg;
	struct rnode *n; /* current node */
	size_t p;        /* next filter level for n, or POS_END */
};

/* [MQTT-4.7.2-1] a wildcard in the first level skips '$' topics. */
static bool
hidden(const struct rwalk *w, const struct rnode *c)
{
	return c->parent == w->t->root && c->len != 0 && c->name[0] == '$';
}

/* The first of @c and its later siblings a wildcard may visit. */
static struct rnode *
visible_from(const struct rwalk *w, struct rnode *c)
{
	while (c != NULL && hidden(w, c)) {
		c = c->next;
	}
	return c;
}

static void
report(struct rwalk *w, const struct rnode *n)
{
	if (n->msg != NULL) {
		w->fn(w->arg, n->msg);
	}
}

/* Every message strictly below @base, depth-first, without a stack. */
static void
report_below(struct rwalk *w, struct rnode *base)
{
	struct rnode *n = visible_from(w, base->child);

	while (n != NULL) {
		report(w, n);
		if (n->child != NULL) {
			n = n->child;
			continue;
		}
		while (n != base && visible_from(w, n->next) == NULL) {
			n = n->parent;
		}
		n = n != base ? visible_from(w, n->next) : NULL;
	}
}

enum rstep { RSTEP_ARRIVE, RSTEP_UP };

static enum rstep
rstep_arrive(struct rwalk *w)
{
	struct rnode *c;
	struct span lv;
	size_t next;

	if (w->p == POS_END) {
		report(w, w->n);
		return RSTEP_UP;
	}
	lv = level_at(w->f, w->p, &next);
	if (level_is(lv, '#')) {
		/* [MQTT-4.7.1-2] '#' also matches the parent level. */
		report(w, w->n);
		report_below(w, w->n);
		return RSTEP_UP;
	}
	c = level_is(lv, '+') ? visible_from(w, w->n->child)
	                      : index_find(w->t, w->n, lv);
	if (c == NULL) {
		return RSTEP_UP;
	}
	w->n = c;
	w->p = next;
	return RSTEP_ARRIVE;
}

/* Done with w->n: its next sibling if it came by '+', else go up. */
static enum rstep
rstep_up(struct rwalk *w)
{
	struct rnode *c = w->n, *s;
	const uint8_t *slash;
	size_t e, start;

	if (c->parent == NULL) {
		w->n = NULL;
		return RSTEP_UP;
	}
	e = w->p == POS_END ? w->f.len : w->p - 1;
	slash = memrchr(w->f.p, '/', e);
	start = slash != NULL ? (size_t)(slash - w->f.p) + 1 : 0;
	if (e - start == 1 && w->f.p[start] == '+') {
		s = visible_from(w, c->next);
		if (s != NULL) {
			w->n = s; /* same filter position */
			return RSTEP_ARRIVE;
		}
	}
	w->n = c->parent;
	w->p = start;
	return RSTEP_UP;
}

void
retain_match(struct retain *t, struct span filter, retain_match_fn *fn,
             void *arg)
{
	struct rwalk w = {t, filter, fn, arg, t->root, 0};
	enum rstep s = RSTEP_ARRIVE;

	if (filter.len == 0) {
		return;
	}
	pthread_mutex_lock(&t->lock);
	while (w.n != NULL) {
		s = s == RSTEP_ARRIVE ? rstep_arrive(&w) : rstep_up(&w);
	}
	pthread_mutex_unlock(&t->lock);
}

/* ---- life cycle ---- */

struct retain *
retain_new(void)
{
	struct retain *t = tern_calloc(1, sizeof(*t));

	if (t == NULL) {
		return NULL;
	}
	t->root = node_new(NULL, span_make("", 0));
	t->slot = tern_calloc(INDEX_MIN, sizeof(struct rnode *));
	if (t->root == NULL || t->slot == NULL ||
	    pthread_mutex_init(&t->lock, NULL) != 0) {
		tern_free(t->root);
		tern_free(t->slot);
		tern_free(t);
		return NULL;
	}
	t->mask = INDEX_MIN - 1;
	return t;
}

void
retain_free(struct retain *t)
{
	if (t == NULL) {
		return;
	}
	/* Every node but the root is in the index: no tree walk needed. */
	for (size_t i = 0; i <= t->mask; i++) {
		if (t->slot[i] != NULL) {
			msg_unref(t->slot[i]->msg);
			tern_free(t->slot[i]);
		}
	}
	tern_free(t->slot);
	tern_free(t->root);
	pthread_mutex_destroy(&t->lock);
	tern_free(t);
}

size_t
retain_count(struct retain *t)
{
	size_t n;

	pthread_mutex_lock(&t->lock);
	n = t->count;
	pthread_mutex_unlock(&t->lock);
	return n;
}
