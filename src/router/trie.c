/*
 * trie.c - the subscription trie behind router.h.
 *
 * One node per filter level. A node holds:
 *   kids   named children, in an open-addressing hash table (linear
 *          probing) of atomic node pointers, looked up by level name;
 *   plus   the '+' child;
 *   subs   the immutable subscriber array of the filters ending here;
 *   multi  the immutable subscriber array of the filters ending in '#'
 *          right below this level ("a/#" lives in node "a"'s multi, "#"
 *          in the root's), so '#' costs no node and no lookup.
 * The root stands for "no level consumed".
 *
 * Readers take no lock. They load every shared pointer with acquire, so a
 * node, table or array published by a release store is seen whole. They
 * never write; nodes, tables and arrays stay valid until the reader's next
 * quiescent state (QSBR, base/qsbr.h).
 *
 * Writers hold r->lock. Subscriber arrays are copy-on-write: a change
 * builds a new array, publishes it with one release store and retires the
 * old one (so a change to a filter with n subscribers costs O(n); fine for
 * the usual few, the known limit for one filter shared by 10^5 sessions,
 * which would want chunked arrays and a session index). A new branch is
 * built privately and published by one release store of its top node.
 * Child tables are copied (rehashed) only to grow or shrink; in between,
 * the single writer fills an empty slot in place (release) and deletes by
 * storing a tombstone, so a wide level ("devices/<id>") costs O(1) per
 * subscribe, not a copy of every sibling. A slot is never emptied in
 * place, and the table is kept under 3/4 full of nodes and tombstones, so
 * a reader's probe always ends at an empty slot. Everything a change
 * needs (nodes, tables, arrays, retire-list room) is allocated before the
 * first store, so an ENOMEM leaves the trie as it was. Nodes left with
 * nothing are unlinked and retired (pruned).
 *
 * Matching walks the trie depth-first without a stack: a node's parent
 * pointer and is_plus flag say where to resume, and the level to resume at
 * is found again in the topic by scanning back to the previous '/'. Nodes
 * are never moved or replaced, only unlinked, so the parent of a node a
 * reader stands on is the node it came from, still valid under QSBR. So a
 * match never allocates and never copies the topic, however many levels
 * or '+' branches there are, and each node is visited at most once, which
 * reports each (filter, subscriber) once.
 */
#include "router.h"

#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "../base/alloc.h"
#include "../base/err.h"
#include "../base/qsbr.h"

/* A deleted table slot. Never dereferenced; not a valid node address. */
#define TOMB ((struct node *)(uintptr_t)1)

/* Position past the last level (distinct from len: "a/" has 2 levels). */
#define POS_END SIZE_MAX

#define CTAB_MIN 4 /* smallest table, in slots */

/*
 * The writer's loads of shared fields. Relaxed: only writers store them,
 * and r->lock orders each writer after the previous one (router_free()
 * and private branches have no concurrent writer at all).
 */
#define WR_LOAD(p) atomic_load_explicit((p), memory_order_relaxed)

/*
 * Stores into a branch no reader can reach yet. Relaxed: the release
 * store that links the branch's top into the trie publishes them.
 */
#define PRIV_STORE(p, v) atomic_store_explicit((p), (v), memory_order_relaxed)

struct subs {
	size_t n;
	struct sub_ref ref[];
};

struct ctab {
	uint32_t mask; /* slots - 1, slots a power of two; immutable */
	uint32_t live; /* children; writer only */
	uint32_t used; /* children and tombstones; writer only */
	_Atomic(struct node *) slot[];
};

struct node {
	_Atomic(struct ctab *) kids;
	_Atomic(struct node *) plus;
	_Atomic(struct subs *) subs;
	_Atomic(struct subs *) multi;
	struct node *parent; /* immutable; NULL for the root */
	uint32_t hash;       /* of the name; immutable */
	uint32_t len;        /* of the name; immutable */
	bool is_plus;        /* the '+' child of its parent; immutable */
	uint8_t name[];
};

struct router {
	pthread_mutex_t lock; /* writers */
	struct qsbr *qsbr;
	struct node *root;
	atomic_size_t count;
};

/* FNV-1a, folded into the level scan of the matcher. */
#define HASH_SEED  2166136261u
#define HASH_PRIME 16777619u

static uint32_t
level_hash(const uint8_t *p, size_t n)
{
	uint32_t h = HASH_SEED;

	for (size_t i = 0; i < n; i++) {
		h = (h ^ p[i]) * HASH_PRIME;
	}
	return h;
}

static bool
is_root(const struct node *n)
{
	return n->parent == NULL;
}

/* Lookup by name. Thread: readers and the writer. */
static struct node *
ctab_find(const struct ctab *t, const uint8_t *name, size_t len, uint32_t h)
{
	for (uint32_t i = h & t->mask;; i = (i + 1) & t->mask) {
		/* Acquire pairs with the writer's release store of the slot:
		 * the node's fields are initialised before. */
		struct node *c =
		        atomic_load_explicit(&t->slot[i], memory_order_acquire);
		if (c == NULL) {
			return NULL;
		}
		if (c != TOMB && c->hash == h && c->len == len &&
		    memcmp(c->name, name, len) == 0) {
			return c;
		}
	}
}

static struct node *
find_named(const struct node *n, const uint8_t *name, size_t len, uint32_t h)
{
	/* Acquire pairs with the release stores of n->kids. */
	const struct ctab *t =
	        atomic_load_explicit(&n->kids, memory_order_acquire);

	return t != NULL ? ctab_find(t, name, len, h) : NULL;
}

/* ---- matching (readers) ---- */

struct walk {
	const uint8_t *t; /* topic */
	size_t len;
	bool dollar; /* [MQTT-4.7.2-1] no leading wildcard for '$' topics */
	router_match_fn *fn;
	void *arg;
	struct node *n; /* current node */
	size_t p;       /* start of the next level to consume, or POS_END */
	size_t e;       /* end of that level (when p != POS_END) */
};

enum step { STEP_ARRIVE, STEP_PLUS, STEP_UP };

static void
report(struct walk *w, _Atomic(struct subs *) *set)
{
	/* Acquire pairs with the writer's release store of the array. */
	const struct subs *s = atomic_load_explicit(set, memory_order_acquire);

	if (s == NULL) {
		return;
	}
	for (size_t i = 0; i < s->n; i++) {
		w->fn(w->arg, &s->ref[i]);
	}
}

/* Just arrived at w->n: report, then try the named child of level p. */
static enum step
step_arrive(struct walk *w)
{
	uint32_t h = HASH_SEED;
	struct node *c;
	size_t i;

	if (!(w->dollar && is_root(w->n))) {
		report(w, &w->n->multi);
	}
	if (w->p == POS_END) {
		report(w, &w->n->subs);
		return STEP_UP;
	}
	for (i = w->p; i < w->len && w->t[i] != '/'; i++) {
		h = (h ^ w->t[i]) * HASH_PRIME;
	}
	w->e = i;
	c = find_named(w->n, w->t + w->p, i - w->p, h);
	if (c == NULL) {
		return STEP_PLUS;
	}
	w->n = c;
	w->p = i == w->len ? POS_END : i + 1;
	return STEP_ARRIVE;
}

/* The named branch of level p is done: try the '+' child. */
static enum step
step_plus(struct walk *w)
{
	struct node *c = NULL;

	if (!(w->dollar && is_root(w->n))) {
		/* Acquire pairs with the release store of ->plus. */
		c = atomic_load_explicit(&w->n->plus, memory_order_acquire);
	}
	if (c == NULL) {
		return STEP_UP;
	}
	w->n = c;
	w->p = w->e == w->len ? POS_END : w->e + 1;
	return STEP_ARRIVE;
}

/* Everything below w->n is done: back to its parent's level. */
static enum step
step_up(struct walk *w)
{
	struct node *n = w->n;
	const uint8_t *slash;

	w->n = n->parent;
	if (w->n == NULL) {
		return STEP_UP;
	}
	w->e = w->p == POS_END ? w->len : w->p - 1;
	slash = memrchr(w->t, '/', w->e);
	w->p = slash != NULL ? (size_t)(slash - w->t) + 1 : 0;
	return n->is_plus ? STEP_UP : STEP_PLUS;
}

void
router_match(struct router *r, unsigned reader, struct span topic,
             router_match_fn *fn, void *arg)
{
	struct walk w = {topic.p, topic.len, false, fn, arg, r->root, 0, 0};
	enum step s = STEP_ARRIVE;

	assert(qsbr_is_online(r->qsbr, reader));
	(void)reader; /* only checked: QSBR records are the caller's */
	if (topic.len == 0) {
		return;
	}
	w.dollar = topic.p[0] == '$';
	while (w.n != NULL) {
		switch (s) {
		case STEP_ARRIVE:
			s = step_arrive(&w);
			break;
		case STEP_PLUS:
			s = step_plus(&w);
			break;
		case STEP_UP:
			s = step_up(&w);
			break;
		}
	}
}

/* ---- nodes, tables and arrays (writer) ---- */

static struct node *
node_new(struct node *parent, struct span name, bool is_plus)
{
	struct node *n;

	if (name.len > UINT32_MAX) {
		return NULL;
	}
	n = tern_malloc(sizeof(*n) + name.len);
	if (n == NULL) {
		return NULL;
	}
	atomic_init(&n->kids, NULL);
	atomic_init(&n->plus, NULL);
	atomic_init(&n->subs, NULL);
	atomic_init(&n->multi, NULL);
	n->parent = parent;
	n->hash = level_hash(name.p, name.len);
	n->len = (uint32_t)name.len;
	n->is_plus = is_plus;
	if (name.len != 0) {
		memcpy(n->name, name.p, name.len);
	}
	return n;
}

static size_t
ctab_slots(const struct ctab *t)
{
	return (size_t)t->mask + 1;
}

static struct ctab *
ctab_new(size_t live)
{
	size_t slots = CTAB_MIN;
	struct ctab *t;

	while (slots < 2 * live) {
		slots *= 2;
	}
	if (slots > UINT32_MAX / 2) {
		return NULL;
	}
	t = tern_malloc(sizeof(*t) + slots * sizeof(t->slot[0]));
	if (t == NULL) {
		return NULL;
	}
	t->mask = (uint32_t)(slots - 1);
	t->live = 0;
	t->used = 0;
	for (size_t i = 0; i < slots; i++) {
		atomic_init(&t->slot[i], NULL);
	}
	return t;
}

/* Room for one more child without a rehash? */
static bool
ctab_has_room(const struct ctab *t)
{
	return ((size_t)t->used + 1) * 4 <= ctab_slots(t) * 3;
}

/* Insert @c (not present): in place, visible to readers at once. */
static void
ctab_put(struct ctab *t, struct node *c)
{
	uint32_t i = c->hash & t->mask;
	struct node *s;

	assert(ctab_has_room(t));
	for (;; i = (i + 1) & t->mask) {
		s = WR_LOAD(&t->slot[i]);
		if (s == NULL || s == TOMB) {
			break;
		}
	}
	t->used += s == NULL;
	t->live++;
	/* Release pairs with the acquire load in ctab_find(). */
	atomic_store_explicit(&t->slot[i], c, memory_order_release);
}

/* A private copy of @old's children (NULL: none), sized for one more. */
static struct ctab *
ctab_rehash(const struct ctab *old)
{
	size_t live = old != NULL ? old->live : 0;
	struct ctab *t = ctab_new(live + 1);
	struct node *c;

	if (t == NULL || old == NULL) {
		return t;
	}
	for (size_t i = 0; i < ctab_slots(old); i++) {
		c = WR_LOAD(&old->slot[i]);
		if (c != NULL && c != TOMB) {
			ctab_put(t, c);
		}
	}
	return t;
}

static void
ctab_delete(struct ctab *t, const struct node *c)
{
	uint32_t i = c->hash & t->mask;

	while (WR_LOAD(&t->slot[i]) != c) {
		i = (i + 1) & t->mask;
	}
	t->live--;
	/* Release pairs with the acquire load in ctab_find(). */
	atomic_store_explicit(&t->slot[i], TOMB, memory_order_release);
}

static size_t
subs_find(const struct subs *s, const struct sub_ref *ref)
{
	size_t i = 0;

	if (s == NULL) {
		return 0;
	}
	while (i < s->n && !sub_ref_same_session(&s->ref[i], ref)) {
		i++;
	}
	return i;
}

/* @old with @ref added, or replacing the same session's entry. */
static struct subs *
subs_with(const struct subs *old, const struct sub_ref *ref, bool *replaced)
{
	size_t n = old != NULL ? old->n : 0, i = subs_find(old, ref);
	size_t m = i < n ? n : n + 1;
	struct subs *s = tern_malloc(sizeof(*s) + m * sizeof(s->ref[0]));

	if (s == NULL) {
		return NULL;
	}
	if (n != 0) {
		memcpy(s->ref, old->ref, n * sizeof(s->ref[0]));
	}
	s->n = m;
	s->ref[i] = *ref;
	*replaced = i < n;
	return s;
}

/* @old without entry @i; @old has at least two. */
static struct subs *
subs_without(const struct subs *old, size_t i)
{
	size_t m = old->n - 1;
	struct subs *s = tern_malloc(sizeof(*s) + m * sizeof(s->ref[0]));

	if (s == NULL) {
		return NULL;
	}
	memcpy(s->ref, old->ref, i * sizeof(s->ref[0]));
	memcpy(s->ref + i, old->ref + i + 1, (m - i) * sizeof(s->ref[0]));
	s->n = m;
	return s;
}

/*
 * Free a subtree no reader can reach (a private branch, or the whole trie
 * at router_free()). Iterative: the parent field links the to-do list.
 */
static void
tree_free(struct node *top)
{
	struct node *todo = top, *n, *c;
	struct ctab *t;

	top->parent = NULL;
	while (todo != NULL) {
		n = todo;
		todo = n->parent;
		c = WR_LOAD(&n->plus);
		if (c != NULL) {
			c->parent = todo;
			todo = c;
		}
		t = WR_LOAD(&n->kids);
		for (size_t i = 0; t != NULL && i < ctab_slots(t); i++) {
			c = WR_LOAD(&t->slot[i]);
			if (c != NULL && c != TOMB) {
				c->parent = todo;
				todo = c;
			}
		}
		tern_free(t);
		tern_free(WR_LOAD(&n->subs));
		tern_free(WR_LOAD(&n->multi));
		tern_free(n);
	}
}

/* ---- filter paths (writer) ---- */

static bool
level_is(struct span lv, char c)
{
	return lv.len == 1 && lv.p[0] == (uint8_t)c;
}

/* The level of @f starting at @p; *next is where the next one starts. */
static struct span
level_at(struct span f, size_t p, size_t *next)
{
	const uint8_t *slash = memchr(f.p + p, '/', f.len - p);
	size_t e = slash != NULL ? (size_t)(slash - f.p) : f.len;

	*next = slash != NULL ? e + 1 : POS_END;
	return span_make(f.p + p, e - p);
}

/*
 * [MQTT-4.7.1-2] '#' alone and last; [MQTT-4.7.1-3] '+' alone in its
 * level. Callers validate filters already; the writer checks again
 * because a misread filter ("a/#/b" taken as "a/#") would be silently
 * wrong, and the check costs one pass.
 */
static bool
filter_is_valid(struct span f)
{
	size_t p = 0, next;
	struct span lv;

	if (f.len == 0 || f.len > UINT16_MAX) {
		return false;
	}
	while (p != POS_END) {
		lv = level_at(f, p, &next);
		if (lv.len > 1 && (memchr(lv.p, '+', lv.len) != NULL ||
		                   memchr(lv.p, '#', lv.len) != NULL)) {
			return false;
		}
		if (level_is(lv, '#') && next != POS_END) {
			return false;
		}
		p = next;
	}
	return true;
}

/* The writer's view of a child. */
static struct node *
child_of(const struct node *n, struct span lv)
{
	if (level_is(lv, '+')) {
		return WR_LOAD(&n->plus);
	}
	return find_named(n, lv.p, lv.len, level_hash(lv.p, lv.len));
}

struct path {
	struct node *n; /* deepest existing node on the filter's path */
	size_t p;       /* first level with no node, or POS_END: complete */
	bool multi;     /* the filter ends in '#' */
};

static void
path_walk(const struct router *r, struct span f, struct path *pa)
{
	size_t next;
	struct span lv;
	struct node *c;

	pa->n = r->root;
	pa->p = 0;
	pa->multi = false;
	while (pa->p != POS_END) {
		lv = level_at(f, pa->p, &next);
		if (level_is(lv, '#')) {
			pa->multi = true;
			pa->p = POS_END;
			return;
		}
		c = child_of(pa->n, lv);
		if (c == NULL) {
			return;
		}
		pa->n = c;
		pa->p = next;
	}
}

static _Atomic(struct subs *) *
target_of(struct node *n, bool multi)
{
	return multi ? &n->multi : &n->subs;
}

/* ---- subscribe ---- */

/* What a subscribe will change, all allocated before any store. */
struct plan {
	struct node *top;  /* new private branch under path.n, or NULL */
	struct node *leaf; /* owner of the target array */
	struct ctab *tab;  /* new table for path.n's kids, or NULL */
	struct subs *set;  /* the new array */
	bool multi;        /* the target is leaf->multi */
	bool replaced;
};

/* Link @c below @n, in a private branch. */
static int
link_private(struct node *n, struct node *c)
{
	struct ctab *t;

	if (c->is_plus) {
		PRIV_STORE(&n->plus, c);
		return 0;
	}
	t = ctab_new(1);
	if (t == NULL) {
		return TERN_ENOMEM;
	}
	ctab_put(t, c);
	PRIV_STORE(&n->kids, t);
	return 0;
}

/* Build the missing levels of @f below @pa->n as a private branch. */
static int
plan_branch(struct span f, struct path *pa, struct plan *pl)
{
	struct node *n = pa->n, *c;
	size_t next;
	struct span lv;

	while (pa->p != POS_END) {
		lv = level_at(f, pa->p, &next);
		if (level_is(lv, '#')) {
			pa->multi = true;
			break;
		}
		c = node_new(n, lv, level_is(lv, '+'));
		if (c == NULL) {
			return TERN_ENOMEM;
		}
		if (pl->top == NULL) {
			pl->top = c;
		} else if (link_private(n, c) != 0) {
			tern_free(c);
			return TERN_ENOMEM;
		}
		n = c;
		pa->p = next;
	}
	pl->leaf = n;
	return 0;
}

static int
plan_subscribe(struct router *r, struct span f, const struct sub_ref *ref,
               struct plan *pl)
{
	struct path pa;
	struct ctab *t;
	int err;

	path_walk(r, f, &pa);
	pl->leaf = pa.n;
	if (pa.p != POS_END) {
		err = plan_branch(f, &pa, pl);
		if (err != 0) {
			return err;
		}
	}
	if (pl->top != NULL && !pl->top->is_plus) {
		t = WR_LOAD(&pa.n->kids);
		if (t == NULL || !ctab_has_room(t)) {
			pl->tab = ctab_rehash(t);
			if (pl->tab == NULL) {
				return TERN_ENOMEM;
			}
		}
	}
	pl->multi = pa.multi;
	pl->set = subs_with(WR_LOAD(target_of(pl->leaf, pa.multi)), ref,
	                    &pl->replaced);
	if (pl->set == NULL) {
		return TERN_ENOMEM;
	}
	/* The old array and the old table. */
	return qsbr_reserve(r->qsbr, 2);
}

static void
plan_undo(struct plan *pl)
{
	tern_free(pl->set);
	tern_free(pl->tab);
	if (pl->top != NULL) {
		tree_free(pl->top);
	}
}

/* Retire; room was reserved, so this cannot fail. */
static void
retire(struct router *r, void *p)
{
	int err = qsbr_retire(r->qsbr, p, tern_free);

	assert(err == 0);
	(void)err; /* reserved by the caller: see qsbr_reserve() */
}

/* Hang the new branch @c under @n: one release store makes it visible. */
static void
commit_branch(struct router *r, struct node *n, struct node *c,
              struct ctab *tab)
{
	struct ctab *old;

	if (c->is_plus) {
		/* Release pairs with the acquire load in step_plus(). */
		atomic_store_explicit(&n->plus, c, memory_order_release);
		return;
	}
	if (tab == NULL) {
		ctab_put(WR_LOAD(&n->kids), c);
		return;
	}
	ctab_put(tab, c);
	old = WR_LOAD(&n->kids);
	/* Release pairs with the acquire load in find_named(). */
	atomic_store_explicit(&n->kids, tab, memory_order_release);
	if (old != NULL) {
		retire(r, old);
	}
}

static int
subscribe_locked(struct router *r, struct span f, const struct sub_ref *ref,
                 bool *replaced)
{
	struct plan pl = {NULL, NULL, NULL, NULL, false, false};
	_Atomic(struct subs *) *target;
	struct subs *old;
	int err;

	err = plan_subscribe(r, f, ref, &pl);
	if (err != 0) {
		plan_undo(&pl);
		return err;
	}
	target = target_of(pl.leaf, pl.multi);
	old = WR_LOAD(target);
	/* Release pairs with the acquire load in report(). */
	atomic_store_explicit(target, pl.set, memory_order_release);
	if (pl.top != NULL) {
		commit_branch(r, pl.top->parent, pl.top, pl.tab);
	}
	if (old != NULL) {
		retire(r, old);
	}
	if (!pl.replaced) {
		/* Relaxed: a statistic; writers hold the mutex. */
		atomic_fetch_add_explicit(&r->count, 1, memory_order_relaxed);
	}
	if (replaced != NULL) {
		*replaced = pl.replaced;
	}
	return 0;
}

int
router_subscribe(struct router *r, struct span filter,
                 const struct sub_ref *ref, bool *replaced)
{
	int err;

	if (!filter_is_valid(filter)) {
		return TERN_ETOPIC;
	}
	pthread_mutex_lock(&r->lock);
	err = subscribe_locked(r, filter, ref, replaced);
	(void)qsbr_reserve(r->qsbr, 0); /* dropping a reservation cannot fail */
	pthread_mutex_unlock(&r->lock);
	(void)qsbr_reclaim(r->qsbr); /* the count is only informative */
	return err;
}

/* ---- unsubscribe and pruning ---- */

static bool
node_is_empty(const struct node *n)
{
	return WR_LOAD(&n->kids) == NULL && WR_LOAD(&n->plus) == NULL &&
	       WR_LOAD(&n->subs) == NULL && WR_LOAD(&n->multi) == NULL;
}

/* Would @n be empty once its only content, the child @c, is gone? */
static bool
empty_without(const struct node *n, const struct node *c)
{
	const struct ctab *t = WR_LOAD(&n->kids);
	const struct node *plus = WR_LOAD(&n->plus);

	if (WR_LOAD(&n->subs) != NULL || WR_LOAD(&n->multi) != NULL) {
		return false;
	}
	if (c->is_plus) {
		return t == NULL;
	}
	return plus == NULL && t != NULL && t->live == 1;
}

/* How many nodes pruning will unlink once @leaf is empty. */
static size_t
prune_count(const struct node *leaf)
{
	size_t k = 0;

	for (const struct node *n = leaf; !is_root(n); n = n->parent) {
		k++;
		if (!empty_without(n->parent, n)) {
			break;
		}
	}
	return k;
}

/* Copy a sparse table smaller; on ENOMEM keep it, it is only space. */
static void
ctab_maybe_shrink(struct router *r, struct node *n, struct ctab *t)
{
	struct ctab *small;

	if (ctab_slots(t) <= (size_t)CTAB_MIN * 4 ||
	    (size_t)t->live * 8 >= ctab_slots(t)) {
		return;
	}
	small = ctab_rehash(t);
	if (small == NULL) {
		return;
	}
	/* Release pairs with the acquire load in find_named(). */
	atomic_store_explicit(&n->kids, small, memory_order_release);
	retire(r, t);
}

/* Unlink the empty, non-root node @c from its parent and retire it. */
static void
unlink_node(struct router *r, struct node *c)
{
	struct node *n = c->parent;
	struct ctab *t;

	if (c->is_plus) {
		/* Release pairs with the acquire load in step_plus(). */
		atomic_store_explicit(&n->plus, NULL, memory_order_release);
	} else {
		t = WR_LOAD(&n->kids);
		ctab_delete(t, c);
		if (t->live == 0) {
			/* Release pairs with the acquire in find_named(). */
			atomic_store_explicit(&n->kids, NULL,
			                      memory_order_release);
			retire(r, t);
		} else {
			ctab_maybe_shrink(r, n, t);
		}
	}
	retire(r, c);
}

static int
unsubscribe_locked(struct router *r, struct span f, const struct sub_ref *ref)
{
	_Atomic(struct subs *) *target;
	struct subs *old, *set = NULL;
	struct path pa;
	size_t i;

	path_walk(r, f, &pa);
	if (pa.p != POS_END) {
		return TERN_ENOTFOUND;
	}
	target = target_of(pa.n, pa.multi);
	old = WR_LOAD(target);
	i = subs_find(old, ref);
	if (old == NULL || i == old->n) {
		return TERN_ENOTFOUND;
	}
	if (old->n > 1) {
		set = subs_without(old, i);
		if (set == NULL) {
			return TERN_ENOMEM;
		}
	}
	/* Old array, and per pruned node itself and maybe its parent's
	 * table; one table may shrink. */
	if (qsbr_reserve(r->qsbr,
	                 2 + 2 * (set == NULL ? prune_count(pa.n) : 0)) != 0) {
		tern_free(set);
		return TERN_ENOMEM;
	}
	/* Release pairs with the acquire load in report(). */
	atomic_store_explicit(target, set, memory_order_release);
	retire(r, old);
	for (struct node *n = pa.n; !is_root(n) && node_is_empty(n);) {
		struct node *up = n->parent;

		unlink_node(r, n);
		n = up;
	}
	/* Relaxed: a statistic; writers hold the mutex. */
	atomic_fetch_sub_explicit(&r->count, 1, memory_order_relaxed);
	return 0;
}

int
router_unsubscribe(struct router *r, struct span filter,
                   const struct sub_ref *ref)
{
	int err;

	if (!filter_is_valid(filter)) {
		return TERN_ETOPIC;
	}
	pthread_mutex_lock(&r->lock);
	err = unsubscribe_locked(r, filter, ref);
	(void)qsbr_reserve(r->qsbr, 0); /* dropping a reservation cannot fail */
	pthread_mutex_unlock(&r->lock);
	(void)qsbr_reclaim(r->qsbr); /* the count is only informative */
	return err;
}

/* ---- life cycle ---- */

struct router *
router_new(unsigned n_readers)
{
	struct router *r = tern_malloc(sizeof(*r));

	if (r == NULL) {
		return NULL;
	}
	r->qsbr = qsbr_new(n_readers);
	r->root = node_new(NULL, span_make("", 0), false);
	if (r->qsbr == NULL || r->root == NULL ||
	    pthread_mutex_init(&r->lock, NULL) != 0) {
		qsbr_free(r->qsbr);
		tern_free(r->root);
		tern_free(r);
		return NULL;
	}
	atomic_init(&r->count, 0);
	return r;
}

void
router_free(struct router *r)
{
	if (r == NULL) {
		return;
	}
	qsbr_free(r->qsbr);
	tree_free(r->root);
	pthread_mutex_destroy(&r->lock);
	tern_free(r);
}

size_t
router_count(struct router *r)
{
	/* Relaxed: a snapshot of the writers' counter. */
	return atomic_load_explicit(&r->count, memory_order_relaxed);
}

void
router_online(struct router *r, unsigned reader)
{
	qsbr_online(r->qsbr, reader);
}

void
router_quiescent(struct router *r, unsigned reader)
{
	qsbr_quiescent(r->qsbr, reader);
}

void
router_offline(struct router *r, unsigned reader)
{
	qsbr_offline(r->qsbr, reader);
}
