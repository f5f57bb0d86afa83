/*
 * session.c - sessions and the client-id registry.
 *
 * Each worker keeps its sessions in a slot table; (worker, slot, gen) is a
 * session's name everywhere else (router entries, deliveries). A slot's
 * generation changes when it is reused, so a stale name is recognised and
 * dropped. The registry maps client ids to those names under one mutex; it
 * is touched only on CONNECT and at session end.
 */
#include "broker.h"

#include "../base/alloc.h"
#include "../base/log.h"

#define REG_MIN_BUCKETS 1024

static int
grow_slots(struct worker *w)
{
	uint32_t n = w->n_slots == 0 ? 64 : w->n_slots * 2;
	struct session_slot *s;

	if (n <= w->n_slots || flow_reserve(w, n) != 0) {
		return TERN_ENOMEM;
	}
	s = tern_realloc(w->slots, n * sizeof(*s));
	if (s == NULL) {
		return TERN_ENOMEM;
	}
	for (uint32_t i = w->n_slots; i < n; i++) {
		s[i].s = NULL;
		s[i].gen = 0;
		s[i].next_free = i + 1 < n ? i + 1 : w->free_slot;
	}
	w->free_slot = w->n_slots;
	w->slots = s;
	w->n_slots = n;
	return 0;
}

struct session *
session_new(struct worker *w, struct span id)
{
	struct session *s;
	uint32_t slot;

	if (w->free_slot == UINT32_MAX && grow_slots(w) != 0) {
		return NULL;
	}
	s = tern_calloc(1, sizeof(*s));
	if (s == NULL) {
		return NULL;
	}
	s->id = tern_strndup((const char *)id.p, id.len);
	if (s->id == NULL) {
		tern_free(s);
		return NULL;
	}
	s->id_len = id.len;
	slot = w->free_slot;
	w->free_slot = w->slots[slot].next_free;
	w->slots[slot].s = s;
	w->slots[slot].gen++;
	s->slot = slot;
	s->gen = w->slots[slot].gen;
	s->next_pid = 1;
	list_init(&s->queue);
	list_init(&s->inflight);
	list_init(&s->blink);
	return s;
}

struct session *
session_lookup(struct worker *w, uint32_t slot, uint32_t gen)
{
	if (slot >= w->n_slots || w->slots[slot].gen != gen) {
		return NULL;
	}
	return w->slots[slot].s;
}

void
session_set_idle(struct worker *w, struct session *s, bool idle)
{
	if (s->idle == idle) {
		return;
	}
	s->idle = idle;
	atomic_fetch_add(&w->stats.disconnected, idle ? 1 : -1);
}

static void
free_entries(struct list *l)
{
	struct list *pos, *tmp;

	list_for_each_safe (pos, tmp, l) {
		qent_free(LIST_ENTRY(pos, struct qent, link));
	}
}

void
session_destroy(struct worker *w, struct session *s, bool unregister)
{
	struct sub *sub, *next;
	struct sub_ref ref = {.worker = w->idx, .slot = s->slot, .gen = s->gen};

	for (sub = s->subs; sub != NULL; sub = next) {
		next = sub->next;
		/* (void): ENOTFOUND cannot happen for our own list. */
		(void)router_unsubscribe(
		        w->srv->router, span_make(sub->filter, sub->len), &ref);
		tern_free(sub);
	}
	if (unregister) {
		registry_remove(&w->srv->reg, span_make(s->id, s->id_len),
		                w->idx, s->slot, s->gen);
	}
	session_set_idle(w, s, false);
	s->client = NULL;
	flow_update(w, s); /* clears its busy bit */
	free_entries(&s->queue);
	free_entries(&s->inflight);
	w->slots[s->slot].s = NULL;
	w->slots[s->slot].gen++;
	w->slots[s->slot].next_free = w->free_slot;
	w->free_slot = s->slot;
	pidmap_fini(&s->rx_qos2);
	tern_free(s->username);
	pidmap_fini(&s->out_pids);
	tern_free(s->id);
	tern_free(s);
}

int
session_set_username(struct session *s, const struct mqtt_connect *cn)
{
	char *u = NULL;

	if (cn->has_username && cn->username.len != 0) {
		u = tern_strndup((const char *)cn->username.p,
		                 cn->username.len);
		if (u == NULL) {
			return TERN_ENOMEM;
		}
	}
	tern_free(s->username);
	s->username = u;
	s->username_len = u != NULL ? cn->username.len : 0;
	return 0;
}

bool
session_may(const struct worker *w, const struct session *s, struct span topic,
            enum acl_access access)
{
	const struct acl *acl = w->srv->acl;

	if (acl == NULL) {
		return true;
	}
	return acl_check(acl, span_make(s->id, s->id_len),
	                 span_make(s->username, s->username_len), topic,
	                 access) == 0;
}

/* Persistent sessions disconnected for longer than
 * persistent_client_expiration are removed. */
void
session_sweep(struct worker *w)
{
	long long exp = w->srv->cfg->persistent_client_expiration;

	if (exp <= 0) {
		return;
	}
	for (uint32_t i = 0; i < w->n_slots; i++) {
		struct session *s = w->slots[i].s;
		if (s != NULL && s->client == NULL &&
		    w->now_ms - s->disconnected_ms >= 1000u * (uint64_t)exp) {
			log_msg(LOG_NOTICE, "Expiring client %s.", s->id);
			session_destroy(w, s, true);
		}
	}
}

/* ---- registry ---------------------------------------------------------- */

static uint64_t
hash_id(struct span id)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */

	for (size_t i = 0; i < id.len; i++) {
		h ^= id.p[i];
		h *= 1099511628211ull;
	}
	return h;
}

int
registry_init(struct registry *r)
{
	r->n_buckets = REG_MIN_BUCKETS;
	r->count = 0;
	r->buckets = tern_calloc(r->n_buckets, sizeof(*r->buckets));
	if (r->buckets == NULL) {
		return TERN_ENOMEM;
	}
	if (pthread_mutex_init(&r->lock, NULL) != 0) {
		tern_free(r->buckets);
		return TERN_ENOMEM;
	}
	return 0;
}

void
registry_fini(struct registry *r)
{
	for (size_t i = 0; i < r->n_buckets; i++) {
		struct reg_entry *e = r->buckets[i], *next;
		for (; e != NULL; e = next) {
			next = e->next;
			tern_free(e);
		}
	}
	tern_free(r->buckets);
	pthread_mutex_destroy(&r->lock);
}

static struct reg_entry **
find_locked(struct registry *r, struct span id)
{
	struct reg_entry **pp = &r->buckets[hash_id(id) % r->n_buckets];

	for (; *pp != NULL; pp = &(*pp)->next) {
		if ((*pp)->len == id.len &&
		    memcmp((*pp)->id, id.p, id.len) == 0) {
			return pp;
		}
	}
	return pp;
}

static void
grow_locked(struct registry *r)
{
	size_t n = r->n_buckets * 2;
	struct reg_entry **b = tern_calloc(n, sizeof(*b));

	if (b == NULL) {
		return; /* longer chains, still correct */
	}
	for (size_t i = 0; i < r->n_buckets; i++) {
		struct reg_entry *e = r->buckets[i], *next;
		for (; e != NULL; e = next) {
			size_t k = hash_id(span_make(e->id, e->len)) % n;
			next = e->next;
			e->next = b[k];
			b[k] = e;
		}
	}
	tern_free(r->buckets);
	r->buckets = b;
	r->n_buckets = n;
}

int
registry_insert(struct registry *r, struct span id, uint32_t worker,
                uint32_t slot, uint32_t gen, struct reg_entry *found)
{
	struct reg_entry **pp, *e;
	int err = 0;

	pthread_mutex_lock(&r->lock);
	pp = find_locked(r, id);
	if (*pp != NULL) {
		*found = **pp;
		err = TERN_EEXIST;
		goto out;
	}
	e = tern_malloc(sizeof(*e) + id.len);
	if (e == NULL) {
		err = TERN_ENOMEM;
		goto out;
	}
	e->next = NULL;
	e->worker = worker;
	e->slot = slot;
	e->gen = gen;
	e->len = id.len;
	memcpy(e->id, id.p, id.len);
	*pp = e;
	if (++r->count > r->n_buckets) {
		grow_locked(r);
	}
out:
	pthread_mutex_unlock(&r->lock);
	return err;
}

bool
registry_contains(struct registry *r, struct span id)
{
	bool found;

	pthread_mutex_lock(&r->lock);
	found = *find_locked(r, id) != NULL;
	pthread_mutex_unlock(&r->lock);
	return found;
}

int
registry_replace(struct registry *r, struct span id, uint32_t worker,
                 uint32_t slot, uint32_t gen)
{
	struct reg_entry **pp;
	struct reg_entry found;

	pthread_mutex_lock(&r->lock);
	pp = find_locked(r, id);
	if (*pp != NULL) {
		(*pp)->worker = worker;
		(*pp)->slot = slot;
		(*pp)->gen = gen;
		pthread_mutex_unlock(&r->lock);
		return 0;
	}
	pthread_mutex_unlock(&r->lock);
	return registry_insert(r, id, worker, slot, gen, &found);
}

void
registry_remove(struct registry *r, struct span id, uint32_t worker,
                uint32_t slot, uint32_t gen)
{
	struct reg_entry **pp, *e;

	pthread_mutex_lock(&r->lock);
	pp = find_locked(r, id);
	e = *pp;
	if (e != NULL && e->worker == worker && e->slot == slot &&
	    e->gen == gen) {
		*pp = e->next;
		r->count--;
		tern_free(e);
	}
	pthread_mutex_unlock(&r->lock);
}
