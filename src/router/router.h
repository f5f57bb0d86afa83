/*
 * router.h - "who matches this topic": the subscription trie.
 *
 * The router stores subscriptions as struct sub_ref values and hands them
 * back on a match; it does not know sessions, check ACLs or send anything
 * (broker/deliver.c does). Readers (router_match) take no lock: they run
 * on worker threads that announce quiescent states to the router's QSBR
 * domain once per loop turn, and go offline around epoll_wait. Writers
 * (subscribe, unsubscribe) serialise on one mutex, build changed nodes
 * copy-on-write, publish them with release stores and retire old versions,
 * which are freed after every online reader has passed a quiescent state.
 */
#ifndef TERN_ROUTER_ROUTER_H
#define TERN_ROUTER_ROUTER_H

#include "../codec/mqtt.h"

/* Subscription option flags in sub_ref.flags. */
#define SUB_NO_LOCAL 0x01 /* v5: not to the publishing session */
#define SUB_RAP 0x02      /* v5: retain as published */

/*
 * A subscriber, as the router stores it. (worker, slot, gen) names a
 * session: the owning worker checks gen against the slot before using it,
 * so a reference that outlives its session is detected and dropped.
 */
struct sub_ref {
	uint32_t worker;  /* index of the worker that owns the session */
	uint32_t slot;    /* session slot in that worker's table */
	uint32_t gen;     /* generation of the slot when subscribed */
	uint32_t sub_id;  /* v5 subscription identifier, 0 = none */
	uint8_t qos;      /* granted QoS */
	uint8_t flags;    /* SUB_* */
};

static inline bool
sub_ref_same_session(const struct sub_ref *a, const struct sub_ref *b)
{
	return a->worker == b->worker && a->slot == b->slot &&
	       a->gen == b->gen;
}

struct router;

/*
 * router_new() - an empty router for @n_readers reader threads, numbered
 * 0..n_readers-1 (0 is allowed: then only writers use it). Readers start
 * offline. NULL on ENOMEM. Thread: any.
 */
struct router *router_new(unsigned n_readers);

/* router_free() - frees everything; no reader may be inside. NULL ok. */
void router_free(struct router *r);

/*
 * router_subscribe() - add @ref under the validated filter @filter, or
 * replace the options of the same session's existing subscription to it.
 * *replaced (if not NULL) says which. 0, TERN_ETOPIC (@filter is not a
 * valid filter after all) or TERN_ENOMEM (nothing changed). Costs
 * O(levels + subscribers of that one filter): its array is copied.
 * Thread: any (takes the writer mutex).
 */
int router_subscribe(struct router *r, struct span filter,
                     const struct sub_ref *ref, bool *replaced);

/*
 * router_unsubscribe() - remove the subscription of @ref's session to
 * @filter. 0, TERN_ENOTFOUND when there was none, TERN_ETOPIC for an
 * invalid filter, or TERN_ENOMEM (nothing changed: removing one of
 * several subscribers of a filter copies its array). Thread: any.
 */
int router_unsubscribe(struct router *r, struct span filter,
                       const struct sub_ref *ref);

/* Called once per matching subscription; @ref is valid during the call. */
typedef void router_match_fn(void *arg, const struct sub_ref *ref);

/*
 * router_match() - call @fn for every subscription whose filter matches
 * the topic name @topic, following [MQTT-4.7] (a '$' first level is not
 * matched by a leading wildcard). A session with several matching
 * filters is reported once per filter; the caller merges. Iterative, so
 * deep topics cannot overflow the stack. Lock-free; never allocates.
 * Thread: reader @reader, which must be online.
 */
void router_match(struct router *r, unsigned reader, struct span topic,
                  router_match_fn *fn, void *arg);

/* router_count() - number of subscriptions. Thread: any. */
size_t router_count(struct router *r);

/*
 * QSBR. A reader is online while it may call router_match(); it calls
 * router_quiescent() between loop turns (holding no router pointers), and
 * goes offline before blocking so it never delays reclamation.
 */
void router_online(struct router *r, unsigned reader);
void router_quiescent(struct router *r, unsigned reader);
void router_offline(struct router *r, unsigned reader);

#endif
