/*
 * pidmap.h - packet identifiers in use, with a value each: the outbound
 * QoS 1/2 window (pid -> struct qent) and inbound QoS 2 ids awaiting
 * PUBREL. Open addressing with linear probing over 16-bit keys; 0 marks an
 * empty slot (0 is never a valid packet id). Allocates nothing until the
 * first insert, so an idle session costs nothing here.
 */
#ifndef TERN_BROKER_PIDMAP_H
#define TERN_BROKER_PIDMAP_H

#include <stdbool.h>
#include <stdint.h>

struct pidmap {
	uint16_t *keys;
	void **vals;
	uint32_t cap; /* power of two, or 0 */
	uint32_t count;
};

/* pidmap_fini() - free the tables; the map is empty and reusable. */
void pidmap_fini(struct pidmap *m);

/*
 * pidmap_put() - map @pid (not 0) to @val. 0, TERN_EEXIST (unchanged) or
 * TERN_ENOMEM (unchanged).
 */
int pidmap_put(struct pidmap *m, uint16_t pid, void *val);

/* pidmap_get() - true and *val (if not NULL) when @pid is present. */
bool pidmap_get(const struct pidmap *m, uint16_t pid, void **val);

/* pidmap_del() - remove @pid if present. */
void pidmap_del(struct pidmap *m, uint16_t pid);

/*
 * pidmap_alloc() - the first id at or after *cursor (wrapping, skipping 0)
 * that is not in @m; advances *cursor past it. 0 when all 65,535 ids are
 * in use [MQTT-2.3.1-2]. Does not insert.
 */
uint16_t pidmap_alloc(const struct pidmap *m, uint16_t *cursor);

#endif
