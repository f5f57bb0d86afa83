/*
 * utf8.c - strict UTF-8 validation for MQTT strings.
 *
 * [MQTT-1.5.3-1] ill-formed UTF-8 and surrogates are malformed.
 * [MQTT-1.5.3-2] U+0000 is malformed.
 */
#include "utf8.h"

#include "err.h"

/* Length of the sequence that starts with @b, or 0 if @b cannot start one. */
static size_t
seq_len(uint8_t b)
{
	if (b < 0x80) {
		return 1;
	}
	if (b >= 0xc2 && b <= 0xdf) {
		return 2;
	}
	if (b >= 0xe0 && b <= 0xef) {
		return 3;
	}
	if (b >= 0xf0 && b <= 0xf4) {
		return 4;
	}
	return 0;
}

/* Bounds on the second byte that rule out overlongs, surrogates, > U+10FFFF. */
static int
second_ok(uint8_t lead, uint8_t b)
{
	uint8_t lo = 0x80, hi = 0xbf;

	if (lead == 0xe0) {
		lo = 0xa0;
	} else if (lead == 0xed) {
		hi = 0x9f;
	} else if (lead == 0xf0) {
		lo = 0x90;
	} else if (lead == 0xf4) {
		hi = 0x8f;
	}
	return b >= lo && b <= hi;
}

int
utf8_check(struct span s)
{
	size_t i = 0;

	while (i < s.len) {
		uint8_t b = s.p[i];
		size_t n = seq_len(b);

		if (b == 0 || n == 0 || s.len - i < n) {
			return TERN_EMALFORMED;
		}
		if (n > 1 && !second_ok(b, s.p[i + 1])) {
			return TERN_EMALFORMED;
		}
		for (size_t k = 2; k < n; k++) {
			if ((s.p[i + k] & 0xc0) != 0x80) {
				return TERN_EMALFORMED;
			}
		}
		i += n;
	}
	return 0;
}
