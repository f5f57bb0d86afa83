/*
 * alloc.h - the allocation wrappers every long-lived byte goes through.
 *
 * They count live bytes process-wide (alloc_in_use()) so the broker can
 * report memory and shed load before a budget is spent, and they carry a
 * fault-injection hook so tests can make allocation number k fail.
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

/* alloc_in_use() - bytes currently allocated through these wrappers. */
size_t alloc_in_use(void);

/*
 * alloc_fail_after() - make the (@k+1)-th allocation from now fail, and all
 * after it until reset; a negative @k turns injection off. For tests only.
 */
void alloc_fail_after(long k);

#endif
