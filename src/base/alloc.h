/*
 * alloc.h - the allocation wrappers every long-lived byte goes through.
 *
 * They count live bytes process-wide (kept per thread, summed on demand) so
 * the broker can report memory and shed load before a budget is spent, and
 * they carry a fault-injection hook so tests can make allocation number k
 * fail.
 */
#ifndef TERN_BASE_ALLOC_H
#define TERN_BASE_ALLOC_H

#include <stddef.h>

/* Thread: any. Return NULL on failure (or injected failure). */
void *tern_malloc(size_t n);
void *tern_calloc(size_t count, size_t size);
void *tern_realloc(void *p, size_t n);
void tern_free(void *p);
char *tern_strndup(const char *s, size_t n);

/*
 * alloc_in_use() - bytes currently allocated through these wrappers: exact
 * once the threads that allocate are quiet (or gone). Takes a lock and
 * visits every thread's counter: for tests and statistics, not per message.
 */
size_t alloc_in_use(void);

/* A thread publishes its count to alloc_in_use_approx() when it has moved
 * by this much since it last did. */
#define ALLOC_FOLD_BYTES 65536

/*
 * alloc_in_use_approx() - alloc_in_use() within ALLOC_FOLD_BYTES per live
 * thread, for one relaxed load of a counter written once per
 * ALLOC_FOLD_BYTES of net allocation per thread: the per-message check.
 */
size_t alloc_in_use_approx(void);

/*
 * alloc_fail_after() - make the (@k+1)-th allocation from now fail, and all
 * after it until reset; a negative @k turns injection off. For tests only.
 */
void alloc_fail_after(long k);

#endif
