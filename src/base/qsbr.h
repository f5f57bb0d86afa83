/*
 * qsbr.h - quiescent-state-based reclamation (QSBR) for read-mostly data.
 *
 * A domain has a fixed number of reader threads, numbered 0..n-1. Readers
 * follow shared pointers without locks while they are online; between two
 * units of work (an event-loop turn) they announce a quiescent state: a
 * point where they hold no pointer into the shared data. A writer that
 * unlinks an object retires it here instead of freeing it; the object is
 * freed once every reader that was online at the retire has passed a
 * quiescent state (or gone offline) since. Offline readers never hold up
 * reclamation, so a reader goes offline before it blocks.
 *
 * Costs: qsbr_quiescent() is two uncontended atomic operations on the
 * reader's own cache line, plus a reclaim attempt (a try-lock, never a
 * wait) when something is pending. Retiring is a short critical section on
 * the domain's list lock.
 */
#ifndef TERN_BASE_QSBR_H
#define TERN_BASE_QSBR_H

#include <stdbool.h>
#include <stddef.h>

struct qsbr;

/* Frees one retired object. Must not call back into the same domain. */
typedef void qsbr_free_fn(void *p);

/*
 * qsbr_new() - a domain for @n_readers readers, all offline (with none,
 * every retired object is freed by the next reclaim). NULL on ENOMEM.
 * Thread: any.
 */
struct qsbr *qsbr_new(unsigned n_readers);

/*
 * qsbr_free() - free every object still retired, then the domain. No
 * reader may be online and no writer active. NULL is a no-op.
 */
void qsbr_free(struct qsbr *q);

/*
 * qsbr_online() - reader @i may from now on read shared data. Objects
 * retired before this call may already be freed, and @i cannot reach
 * them. Thread: reader @i, which is offline.
 */
void qsbr_online(struct qsbr *q, unsigned i);

/*
 * qsbr_offline() - reader @i holds no shared pointer and will not read
 * shared data until qsbr_online(). Thread: reader @i, online.
 */
void qsbr_offline(struct qsbr *q, unsigned i);

/*
 * qsbr_quiescent() - reader @i holds no shared pointer at this point; then
 * try to free what has become safe (never waits for the list lock).
 * Thread: reader @i, online.
 */
void qsbr_quiescent(struct qsbr *q, unsigned i);

/* qsbr_is_online() - for assertions. Thread: reader @i. */
bool qsbr_is_online(struct qsbr *q, unsigned i);

/*
 * qsbr_reserve() - make room so that the next @n calls of qsbr_retire()
 * cannot fail; a later call replaces the reservation (0 drops it). This
 * lets a writer allocate everything before it changes shared data, and
 * commit without a failure path. Meant for a domain with one writer at a
 * time (other writers' retires would consume the reservation).
 * 0 or TERN_ENOMEM (reservation unchanged). Thread: the writer.
 */
int qsbr_reserve(struct qsbr *q, size_t n);

/*
 * qsbr_retire() - takes ownership of @p, already unreachable for readers
 * that go online or pass a quiescent state from now on, and calls
 * @fn(@p) once every online reader has passed a quiescent state. 0, or
 * TERN_ENOMEM when nothing was reserved and the list could not grow (then
 * @p stays the caller's). Thread: any (serialised inside).
 */
int qsbr_retire(struct qsbr *q, void *p, qsbr_free_fn *fn);

/*
 * qsbr_reclaim() - free every retired object that is now safe to free;
 * returns how many were freed. Waits for the list lock. Thread: any; a
 * writer calls it after an update, outside its own locks if @fn may need
 * them.
 */
size_t qsbr_reclaim(struct qsbr *q);

/* qsbr_pending() - objects retired and not yet freed. Thread: any. */
size_t qsbr_pending(struct qsbr *q);

#endif
