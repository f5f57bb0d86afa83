/*
 * pidmap.c - open-addressing map from packet id to pointer.
 */
#include "pidmap.h"

#include "../base/alloc.h"
#include "../base/err.h"

static uint32_t
home(const struct pidmap *m, uint16_t pid)
{
	/* Fibonacci hashing spreads sequential ids across the table. */
	return (uint32_t)((pid * 40503u) & (m->cap - 1));
}

static bool
find(const struct pidmap *m, uint16_t pid, uint32_t *at)
{
	uint32_t i = 0;

	if (m->cap == 0) {
		return false;
	}
	for (i = home(m, pid); m->keys[i] != 0; i = (i + 1) & (m->cap - 1)) {
		if (m->keys[i] == pid) {
			*at = i;
			return true;
		}
	}
	*at = i;
	return false;
}

static int
grow(struct pidmap *m)
{
	struct pidmap n = {0};

	n.cap = m->cap == 0 ? 8 : m->cap * 2;
	n.keys = tern_calloc(n.cap, sizeof(*n.keys));
	n.vals = tern_calloc(n.cap, sizeof(*n.vals));
	if (n.keys == NULL || n.vals == NULL) {
		tern_free(n.keys);
		tern_free(n.vals);
		return TERN_ENOMEM;
	}
	for (uint32_t i = 0; i < m->cap; i++) {
		uint32_t at = 0;
		if (m->keys[i] != 0 && !find(&n, m->keys[i], &at)) {
			n.keys[at] = m->keys[i];
			n.vals[at] = m->vals[i];
			n.count++;
		}
	}
	pidmap_fini(m);
	*m = n;
	return 0;
}

void
pidmap_fini(struct pidmap *m)
{
	tern_free(m->keys);
	tern_free(m->vals);
	m->keys = NULL;
	m->vals = NULL;
	m->cap = 0;
	m->count = 0;
}

int
pidmap_put(struct pidmap *m, uint16_t pid, void *val)
{
	uint32_t at = 0;

	if (find(m, pid, &at)) {
		return TERN_EEXIST;
	}
	/* Keep the load under 3/4 so probes stay short. */
	if ((m->count + 1) * 4 > m->cap * 3) {
		if (grow(m) != 0) {
			return TERN_ENOMEM;
		}
		find(m, pid, &at);
	}
	m->keys[at] = pid;
	m->vals[at] = val;
	m->count++;
	return 0;
}

bool
pidmap_get(const struct pidmap *m, uint16_t pid, void **val)
{
	uint32_t at = 0;

	if (!find(m, pid, &at)) {
		return false;
	}
	if (val != NULL) {
		*val = m->vals[at];
	}
	return true;
}

void
pidmap_del(struct pidmap *m, uint16_t pid)
{
	uint32_t hole = 0, i;

	if (!find(m, pid, &hole)) {
		return;
	}
	m->count--;
	/* Backward-shift deletion: move later members of the probe run
	 * into the hole when their home position allows it. */
	for (i = (hole + 1) & (m->cap - 1); m->keys[i] != 0;
	     i = (i + 1) & (m->cap - 1)) {
		uint32_t h = home(m, m->keys[i]);
		bool movable =
		        hole <= i ? (h <= hole || h > i) : (h <= hole && h > i);
		if (movable) {
			m->keys[hole] = m->keys[i];
			m->vals[hole] = m->vals[i];
			hole = i;
		}
	}
	m->keys[hole] = 0;
	m->vals[hole] = NULL;
}

uint16_t
pidmap_alloc(const struct pidmap *m, uint16_t *cursor)
{
	if (m->count >= 65535) {
		return 0;
	}
	for (;;) {
		uint16_t pid = *cursor == 0 ? 1 : *cursor;
		*cursor = pid == 65535 ? 1 : (uint16_t)(pid + 1);
		if (!pidmap_get(m, pid, NULL)) {
			return pid;
		}
	}
}
