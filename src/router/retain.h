/*
 * retain.h - the retained-message store, keyed by topic name.
 *
 * Thread-safe: any worker may set or match. One message per topic. One
 * mutex guards it: it is off the ordinary publish path (only retained
 * publishes and subscription replay use it).
 */
#ifndef TERN_ROUTER_RETAIN_H
#define TERN_ROUTER_RETAIN_H

#include "../codec/msg.h"

struct retain;

/* retain_new() - empty store, NULL on ENOMEM. Thread: any. */
struct retain *retain_new(void);
/* retain_free() - drops every message reference. NULL ok. */
void retain_free(struct retain *t);

/*
 * retain_set() - store @m (takes a reference on it) under its topic,
 * replacing and releasing any previous one; a message with an empty
 * payload clears the topic instead and is not stored
 * [MQTT-3.3.1-10/11]. 0, TERN_ETOPIC (empty topic) or TERN_ENOMEM (store
 * unchanged). Thread: any.
 */
int retain_set(struct retain *t, struct msg *m);

/* Called for each retained message that matches; @m is borrowed. */
typedef void retain_match_fn(void *arg, struct msg *m);

/*
 * retain_match() - call @fn for every retained message whose topic matches
 * the filter @filter (same rules as topic_match()). @fn runs with the
 * store locked, so it must not call back into it. Thread: any.
 */
void retain_match(struct retain *t, struct span filter, retain_match_fn *fn,
                  void *arg);

/* retain_count() - number of retained messages. Thread: any. */
size_t retain_count(struct retain *t);

#endif
