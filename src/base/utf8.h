/*
 * utf8.h - the MQTT rules for UTF-8 encoded strings ([MQTT-1.5.3-1..3]).
 */
#ifndef TERN_BASE_UTF8_H
#define TERN_BASE_UTF8_H

#include "span.h"

/*
 * utf8_check() - 0 if @s is well-formed UTF-8 with no U+0000, no surrogate
 * code points (U+D800..U+DFFF), no overlong forms and nothing past U+10FFFF;
 * TERN_EMALFORMED otherwise. Pure. Thread: any.
 */
int utf8_check(struct span s);

#endif
