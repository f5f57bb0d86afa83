/*
 * fuzz_frame.c - codec_frame() against a reference reading of the fixed
 * header, with and without a packet size limit.
 *
 * Input: a byte stream, cut into packets as a connection would. For each
 * position the reference below says what codec_frame() must answer:
 * TERN_EMALFORMED for type 0 or a fifth length byte, TERN_EAGAIN while
 * the header or the body is incomplete, TERN_ETOOBIG as soon as the
 * length says the packet is over the limit, else 0 with hdr_len in 2..5
 * and hdr_len + body_len <= len. Every prefix of a whole packet is
 * incomplete, never an error.
 */
#include "codec/mqtt.h"
#include "fuzz.h"

/* Small limits, so that TERN_ETOOBIG is reached with small inputs. */
static const size_t limits[] = {2, 5, 16, 127, 128, 200};

#define N_LIMITS (sizeof(limits) / sizeof(limits[0]))

/* What codec_frame() should say, computed the plain way. */
static int
reference(const uint8_t *buf, size_t len, size_t max, struct mqtt_fixed *out)
{
	size_t v = 0, i;

	if (len == 0) {
		return TERN_EAGAIN;
	}
	if ((buf[0] >> 4) == 0) {
		return TERN_EMALFORMED;
	}
	for (i = 1;; i++) {
		if (i == 5) {
			return TERN_EMALFORMED; /* a fifth length byte */
		}
		if (i >= len) {
			return TERN_EAGAIN;
		}
		v += (size_t)(buf[i] & 0x7f) << (7 * (i - 1));
		if ((buf[i] & 0x80) == 0) {
			break;
		}
	}
	if (max != 0 && i + 1 + v > max) {
		return TERN_ETOOBIG;
	}
	if (len < i + 1 + v) {
		return TERN_EAGAIN;
	}
	*out = (struct mqtt_fixed){(uint8_t)(buf[0] >> 4),
	                           (uint8_t)(buf[0] & 0x0f), i + 1, v};
	return 0;
}

/* codec_frame() and the reference agree on @buf[0..len) under @max. */
static int
frame_checked(const uint8_t *buf, size_t len, size_t max,
              struct mqtt_fixed *out)
{
	struct codec_limits lim = {max};
	struct mqtt_fixed got = {0}, want = {0};
	int err = codec_frame(buf, len, &lim, &got);

	FUZZ_CHECK(err == reference(buf, len, max, &want));
	if (err == 0) {
		FUZZ_CHECK(got.hdr_len >= 2 && got.hdr_len <= 5);
		FUZZ_CHECK(got.hdr_len + got.body_len <= len);
		FUZZ_CHECK(got.body_len <= MQTT_MAX_REMAINING);
		FUZZ_CHECK(max == 0 || got.hdr_len + got.body_len <= max);
		FUZZ_CHECK(got.type == want.type && got.flags == want.flags &&
		           got.hdr_len == want.hdr_len &&
		           got.body_len == want.body_len);
		*out = got;
	}
	return err;
}

/* A NULL limit is no limit: the same as max_packet 0. */
static void
check_null_limit(const uint8_t *buf, size_t len)
{
	struct codec_limits none = {0};
	struct mqtt_fixed a = {0}, b = {0};
	int ea = codec_frame(buf, len, NULL, &a);
	int eb = codec_frame(buf, len, &none, &b);

	FUZZ_CHECK(ea == eb);
	FUZZ_CHECK(ea != 0 ||
	           (a.hdr_len == b.hdr_len && a.body_len == b.body_len &&
	            a.type == b.type && a.flags == b.flags));
}

/* Every proper prefix of the whole packet at @buf is incomplete. */
static void
check_prefixes(const uint8_t *buf, size_t whole)
{
	for (size_t k = 0; k < whole; k++) {
		struct mqtt_fixed fh;

		FUZZ_CHECK(codec_frame(buf, k, NULL, &fh) == TERN_EAGAIN);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t pos = 0;

	while (pos < size) {
		const uint8_t *p = data + pos;
		struct mqtt_fixed fh = {0}, limited;

		check_null_limit(p, size - pos);
		for (size_t i = 0; i < N_LIMITS; i++) {
			/* The answer is checked inside; only 0 is used. */
			(void)frame_checked(p, size - pos, limits[i], &limited);
		}
		if (frame_checked(p, size - pos, 0, &fh) != 0) {
			break;
		}
		check_prefixes(p, fh.hdr_len + fh.body_len);
		pos += fh.hdr_len + fh.body_len;
	}
	return 0;
}
