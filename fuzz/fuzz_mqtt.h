/*
 * fuzz_mqtt.h - checks on decoded MQTT data shared by fuzz_decode.c and
 * fuzz_props.c: walking a property block every way the codec offers,
 * turning decoded properties into encodable ones, and comparing two
 * decodes of the same properties.
 */
#ifndef TERN_FUZZ_FUZZ_MQTT_H
#define TERN_FUZZ_FUZZ_MQTT_H

#include "codec/mqtt.h"
#include "fuzz.h"

/* A handful of heap blocks freed together (the harness may allocate). */
#define FUZZ_ARENA_MAX 16

struct fuzz_arena {
	void *p[FUZZ_ARENA_MAX];
	size_t n;
};

/* fuzz_alloc() - @n bytes (at least 1) owned by @a; aborts on failure. */
void *fuzz_alloc(struct fuzz_arena *a, size_t n);

/* fuzz_arena_free() - free every block of @a; @a may be reused after. */
void fuzz_arena_free(struct fuzz_arena *a);

/*
 * fuzz_props_walk() - @p came from a successful decode of a block for
 * @where (an enum mqtt_type or PROP_IN_WILL). Checks that
 * codec_prop_next() walks @p->raw to its end without an error, that every
 * id is allowed in @where and has its bit in @present (and no other bit
 * is set), and that codec_props_filter_size()/copy() agree with the walk.
 */
void fuzz_props_walk(const struct mqtt_props *p, unsigned where);

/*
 * fuzz_props_encodable() - @in (decoded) as properties the encoder
 * writes back to the same entries: typed fields from @present, user
 * properties verbatim, Subscription Identifiers in their typed field
 * (one) or in @sub_ids (several), each kind in its order. Storage lives
 * in @a.
 */
struct mqtt_props fuzz_props_encodable(const struct mqtt_props *in,
                                       struct fuzz_arena *a);

/*
 * fuzz_props_same() - aborts unless @a and @b (both decoded) hold the
 * same entries: the same @present, and the same (id, value) entries once
 * sorted by id, repeated ids kept in their order.
 */
void fuzz_props_same(const struct mqtt_props *a, const struct mqtt_props *b);

#endif
