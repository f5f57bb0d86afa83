/*
 * proptab.h - what each MQTT 5 property is: its value type and the
 * packets it may appear in (MQTT 5.0 section 2.2.2.2). One table, used by
 * the decoder and the encoder alike.
 */
#ifndef TERN_CODEC_PROPTAB_H
#define TERN_CODEC_PROPTAB_H

#include <stdint.h>

enum prop_kind {
	PROP_NONE = 0, /* not a property id */
	PROP_BYTE,
	PROP_U16,
	PROP_U32,
	PROP_VARINT,
	PROP_UTF8,
	PROP_BIN,
	PROP_PAIR /* two UTF-8 strings: user property */
};

/* Where a property block sits: a packet type 1..15, or this for a will. */
#define PROP_IN_WILL 0

/* proptab_kind() - the value type of property @id, PROP_NONE if unknown. */
enum prop_kind proptab_kind(uint8_t id);

/*
 * proptab_allowed() - may property @id appear in the block of @where
 * (an enum mqtt_type, or PROP_IN_WILL)?
 */
int proptab_allowed(uint8_t id, unsigned where);

#endif
