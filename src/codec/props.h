/*
 * props.h - validation of MQTT 5 property blocks (private to codec/).
 *
 * A property block is a Variable Byte Integer length followed by that many
 * bytes of entries; each entry is an identifier (a Variable Byte Integer)
 * and a value whose type proptab.h gives. The decoder validates a block
 * once, here; afterwards codec_prop_next() and codec_props_filter_*() walk
 * it without checking again.
 */
#ifndef TERN_CODEC_PROPS_H
#define TERN_CODEC_PROPS_H

#include "mqtt.h"
#include "proptab.h"

/*
 * props_parse() - read the property block at @r's position (length and
 * entries) and validate it for @where, an enum mqtt_type or PROP_IN_WILL.
 * On success @r is just past the block and *out holds the typed values,
 * @present and @raw (the entries, without the length, pointing into @r's
 * bytes). Returns 0, TERN_EMALFORMED (length past the end of @r, truncated
 * entry, unknown identifier, identifier not allowed in @where, ill-formed
 * UTF-8), TERN_EPROTO (duplicate, value out of range, Authentication Data
 * without Authentication Method) or TERN_ETOPIC (a Response Topic that is
 * not a valid topic name). On failure *out and @r's position are
 * unspecified. Pure; thread: any.
 */
int props_parse(struct rd *r, unsigned where, struct mqtt_props *out);

/*
 * props_check() - as props_parse(), for a block whose length has already
 * been taken off: @block is exactly the entries.
 */
int props_check(struct span block, unsigned where, struct mqtt_props *out);

#endif
