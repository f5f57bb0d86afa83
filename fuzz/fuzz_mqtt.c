/*
 * fuzz_mqtt.c - property checks shared by the codec fuzz targets.
 *
 * A decoded property block is read only through the codec's own
 * iterators, so whatever these checks find is about the codec: an
 * iterator that fails on a block the decoder accepted, a @present that
 * disagrees with the block, or an encoder that does not write back what
 * was read.
 */
#include "fuzz_mqtt.h"

#include <string.h>

#include "codec/proptab.h"

/* The entries that may repeat (a mask for the filter functions). */
#define FUZZ_REPEATABLE                           \
	(MQTT_PROP_BIT(MQTT_PROP_USER_PROPERTY) | \
	 MQTT_PROP_BIT(MQTT_PROP_SUBSCRIPTION_ID))

void *
fuzz_alloc(struct fuzz_arena *a, size_t n)
{
	void *p;

	FUZZ_CHECK(a->n < FUZZ_ARENA_MAX);
	p = malloc(n != 0 ? n : 1);
	FUZZ_CHECK(p != NULL);
	a->p[a->n++] = p;
	return p;
}

void
fuzz_arena_free(struct fuzz_arena *a)
{
	for (size_t i = 0; i < a->n; i++) {
		free(a->p[i]);
	}
	a->n = 0;
}

/* codec_props_filter_copy() of everything gives back @raw itself. */
static void
props_copy_all(struct span raw)
{
	struct fuzz_arena a = {0};
	uint8_t *buf = fuzz_alloc(&a, raw.len);
	struct wr w = wr_make(buf, raw.len);

	codec_props_filter_copy(raw, ~(uint64_t)0, &w);
	FUZZ_CHECK(w.pos == raw.len);
	FUZZ_CHECK(raw.len == 0 || memcmp(buf, raw.p, raw.len) == 0);
	fuzz_arena_free(&a);
}

void
fuzz_props_walk(const struct mqtt_props *p, unsigned where)
{
	struct rd r = rd_make(p->raw);
	struct mqtt_prop e;
	uint64_t seen = 0;
	size_t start = 0, kept = 0;
	int got;

	while ((got = codec_prop_next(&r, &e)) == 1) {
		FUZZ_CHECK(proptab_allowed(e.id, where));
		seen |= MQTT_PROP_BIT(e.id);
		if ((FUZZ_REPEATABLE & MQTT_PROP_BIT(e.id)) != 0) {
			kept += r.pos - start;
		}
		start = r.pos;
	}
	/* A validated block walks to its end without an error. */
	FUZZ_CHECK(got == 0 && r.pos == p->raw.len);
	FUZZ_CHECK(seen == p->present);
	FUZZ_CHECK(codec_props_filter_size(p->raw, 0) == 0);
	FUZZ_CHECK(codec_props_filter_size(p->raw, FUZZ_REPEATABLE) == kept);
	FUZZ_CHECK(codec_props_filter_size(p->raw, ~(uint64_t)0) == p->raw.len);
	props_copy_all(p->raw);
}

/* The Subscription Identifiers of @raw in a block of @a; their number. */
static size_t
sub_ids_of(struct span raw, struct fuzz_arena *a, uint32_t **out)
{
	/* The shortest entry, a Subscription Identifier of 1..127, takes
	 * two bytes. */
	uint32_t *v = fuzz_alloc(a, (raw.len / 2 + 1) * sizeof *v);
	struct rd r = rd_make(raw);
	struct mqtt_prop e;
	size_t n = 0;

	while (codec_prop_next(&r, &e) == 1) {
		if (e.id == MQTT_PROP_SUBSCRIPTION_ID) {
			v[n++] = e.num;
		}
	}
	*out = v;
	return n;
}

/*
 * User properties travel in @verbatim. Subscription Identifiers take each
 * of the encoder's other two ways: one stays in its typed field, several
 * go in @sub_ids.
 */
struct mqtt_props
fuzz_props_encodable(const struct mqtt_props *in, struct fuzz_arena *a)
{
	const uint64_t user = MQTT_PROP_BIT(MQTT_PROP_USER_PROPERTY);
	struct mqtt_props q = *in;
	size_t n = codec_props_filter_size(in->raw, user);
	uint8_t *buf = fuzz_alloc(a, n);
	struct wr w = wr_make(buf, n);
	uint32_t *ids;
	size_t n_ids = sub_ids_of(in->raw, a, &ids);

	codec_props_filter_copy(in->raw, user, &w);
	FUZZ_CHECK(w.pos == n);
	q.verbatim = span_make(buf, n);
	q.raw = span_make(NULL, 0);
	q.sub_ids = NULL;
	q.n_sub_ids = 0;
	if (n_ids > 1) {
		/* The typed field holds only the first: not written too. */
		q.present &= ~MQTT_PROP_BIT(MQTT_PROP_SUBSCRIPTION_ID);
		q.sub_ids = ids;
		q.n_sub_ids = n_ids;
	}
	return q;
}

/* One entry of a block and where it was, for a stable sort by id. */
struct entry {
	struct mqtt_prop p;
	size_t idx;
};

static int
entry_cmp(const void *pa, const void *pb)
{
	const struct entry *a = pa, *b = pb;

	if (a->p.id != b->p.id) {
		return a->p.id < b->p.id ? -1 : 1;
	}
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* The entries of @raw sorted by id, in *out; returns their number. */
static size_t
entries_sorted(struct span raw, struct fuzz_arena *a, struct entry **out)
{
	/* The shortest entry, a byte property, takes two bytes. */
	struct entry *v = fuzz_alloc(a, (raw.len / 2 + 1) * sizeof *v);
	struct rd r = rd_make(raw);
	size_t n = 0;

	while (codec_prop_next(&r, &v[n].p) == 1) {
		FUZZ_CHECK(n < raw.len / 2 + 1);
		v[n].idx = n;
		n++;
	}
	qsort(v, n, sizeof *v, entry_cmp);
	*out = v;
	return n;
}

void
fuzz_props_same(const struct mqtt_props *a, const struct mqtt_props *b)
{
	struct fuzz_arena ar = {0};
	struct entry *ea, *eb;
	size_t na, nb;

	FUZZ_CHECK(a->present == b->present);
	na = entries_sorted(a->raw, &ar, &ea);
	nb = entries_sorted(b->raw, &ar, &eb);
	FUZZ_CHECK(na == nb);
	for (size_t i = 0; i < na; i++) {
		FUZZ_CHECK(ea[i].p.id == eb[i].p.id);
		FUZZ_CHECK(ea[i].p.num == eb[i].p.num);
		FUZZ_CHECK(span_eq(ea[i].p.str, eb[i].p.str));
		FUZZ_CHECK(span_eq(ea[i].p.val, eb[i].p.val));
	}
	fuzz_arena_free(&ar);
}
