/*
 * frame_test.c - codec_frame(): fixed header and Remaining Length.
 */
#include <stdlib.h>

#include "base/test.h"
#include "codec/mqtt.h"

static const struct codec_limits no_limit = {0};

/* Frames @n bytes copied to a heap block of exactly @n bytes, so that
 * ASan reports any read past the end. */
static int
frame_exact(const uint8_t *b, size_t n, const struct codec_limits *lim,
            struct mqtt_fixed *out)
{
	uint8_t *copy = malloc(n != 0 ? n : 1);
	int err;

	if (copy == NULL) {
		abort();
	}
	if (n != 0) {
		memcpy(copy, b, n);
	}
	err = codec_frame(copy, n, lim, out);
	free(copy);
	return err;
}

static void
test_frame_empty_is_eagain(void)
{
	struct mqtt_fixed fh;
	uint8_t b[1] = {0x30};

	T_CHECK_INT(codec_frame(b, 0, &no_limit, &fh), TERN_EAGAIN);
	T_CHECK_INT(frame_exact(b, 1, &no_limit, &fh), TERN_EAGAIN);
}

static void
test_frame_pingreq(void)
{
	static const uint8_t b[] = {0xc0, 0x00};
	struct mqtt_fixed fh;

	T_CHECK_INT(frame_exact(b, sizeof(b), &no_limit, &fh), 0);
	T_CHECK_INT(fh.type, MQTT_PINGREQ);
	T_CHECK_INT(fh.flags, 0);
	T_CHECK_INT(fh.hdr_len, 2);
	T_CHECK_INT(fh.body_len, 0);
}

static void
test_frame_flags_passed_through(void)
{
	static const uint8_t b[] = {0x3d, 0x02, 0xaa, 0xbb};
	struct mqtt_fixed fh;

	T_CHECK_INT(frame_exact(b, sizeof(b), &no_limit, &fh), 0);
	T_CHECK_INT(fh.type, MQTT_PUBLISH);
	T_CHECK_INT(fh.flags, 0x0d);
	T_CHECK_INT(fh.hdr_len, 2);
	T_CHECK_INT(fh.body_len, 2);
}

static void
test_frame_type_zero_malformed(void)
{
	static const uint8_t b[] = {0x00, 0x00};
	static const uint8_t c[] = {0x0f, 0x00};
	struct mqtt_fixed fh;

	T_CHECK_INT(frame_exact(b, sizeof(b), &no_limit, &fh), TERN_EMALFORMED);
	T_CHECK_INT(frame_exact(c, sizeof(c), &no_limit, &fh), TERN_EMALFORMED);
	/* Known from the first byte alone. */
	T_CHECK_INT(frame_exact(b, 1, &no_limit, &fh), TERN_EMALFORMED);
}

static void
test_frame_type_15_framed(void)
{
	/* AUTH / reserved: whether it is allowed depends on the version,
	 * which codec_decode() knows. */
	static const uint8_t b[] = {0xf0, 0x00};
	struct mqtt_fixed fh;

	T_CHECK_INT(frame_exact(b, sizeof(b), &no_limit, &fh), 0);
	T_CHECK_INT(fh.type, MQTT_AUTH);
}

/* Checks that @len encodes as @enc (@n bytes) and frames back exactly. */
static int
length_roundtrip(size_t len, const uint8_t *enc, size_t n)
{
	uint8_t *b = calloc(1, 1 + n + len);
	struct mqtt_fixed fh;
	int ok;

	if (b == NULL) {
		abort();
	}
	b[0] = 0x30;
	memcpy(b + 1, enc, n);
	ok = codec_frame(b, 1 + n + len, &no_limit, &fh) == 0 &&
	     fh.hdr_len == 1 + n && fh.body_len == len &&
	     codec_frame(b, n + len, &no_limit, &fh) == TERN_EAGAIN;
	free(b);
	return ok;
}

static void
test_frame_remaining_length_boundaries(void)
{
	static const uint8_t l0[] = {0x00};
	static const uint8_t l127[] = {0x7f};
	static const uint8_t l128[] = {0x80, 0x01};
	static const uint8_t l16383[] = {0xff, 0x7f};
	static const uint8_t l16384[] = {0x80, 0x80, 0x01};
	static const uint8_t l2097151[] = {0xff, 0xff, 0x7f};
	static const uint8_t l2097152[] = {0x80, 0x80, 0x80, 0x01};

	T_CHECK(length_roundtrip(0, l0, 1));
	T_CHECK(length_roundtrip(127, l127, 1));
	T_CHECK(length_roundtrip(128, l128, 2));
	T_CHECK(length_roundtrip(16383, l16383, 2));
	T_CHECK(length_roundtrip(16384, l16384, 3));
	T_CHECK(length_roundtrip(2097151, l2097151, 3));
	T_CHECK(length_roundtrip(2097152, l2097152, 4));
}

static void
test_frame_remaining_length_max(void)
{
	/* 268,435,455: the whole packet is 268,435,460 bytes. */
	static const uint8_t b[] = {0x30, 0xff, 0xff, 0xff, 0x7f};
	struct codec_limits at = {MQTT_MAX_PACKET};
	struct codec_limits below = {MQTT_MAX_PACKET - 1};
	struct mqtt_fixed fh;

	T_CHECK_INT(MQTT_MAX_PACKET, 268435460u);
	T_CHECK_INT(frame_exact(b, sizeof(b), &no_limit, &fh), TERN_EAGAIN);
	T_CHECK_INT(frame_exact(b, sizeof(b), &at, &fh), TERN_EAGAIN);
	T_CHECK_INT(frame_exact(b, sizeof(b), &below, &fh), TERN_ETOOBIG);
}

static void
test_frame_five_length_bytes_malformed(void)
{
	static const uint8_t b[] = {0x30, 0xff, 0xff, 0xff, 0xff, 0x7f};
	static const uint8_t c[] = {0x30, 0x80, 0x80, 0x80, 0x80, 0x00};
	struct mqtt_fixed fh;

	T_CHECK_INT(frame_exact(b, sizeof(b), &no_limit, &fh), TERN_EMALFORMED);
	T_CHECK_INT(frame_exact(c, sizeof(c), &no_limit, &fh), TERN_EMALFORMED);
	/* Decided as soon as the fourth length byte is seen. */
	T_CHECK_INT(frame_exact(b, 5, &no_limit, &fh), TERN_EMALFORMED);
	T_CHECK_INT(frame_exact(b, 4, &no_limit, &fh), TERN_EAGAIN);
}

static void
test_frame_partial_length_eagain(void)
{
	static const uint8_t b[] = {0x30, 0x80, 0x80, 0x01};
	struct mqtt_fixed fh;

	for (size_t n = 1; n < sizeof(b); n++) {
		T_CHECK_INT(frame_exact(b, n, &no_limit, &fh), TERN_EAGAIN);
	}
}

static void
test_frame_partial_body_eagain(void)
{
	static const uint8_t b[] = {0x30, 0x05, 0x00, 0x01, 'a', 'x', 'y'};
	struct mqtt_fixed fh;

	for (size_t n = 0; n < sizeof(b); n++) {
		T_CHECK_INT(frame_exact(b, n, &no_limit, &fh), TERN_EAGAIN);
	}
	T_CHECK_INT(frame_exact(b, sizeof(b), &no_limit, &fh), 0);
	T_CHECK_INT(fh.body_len, 5);
}

static void
test_frame_out_untouched_unless_whole(void)
{
	static const uint8_t b[] = {0x30, 0x05, 0x00};
	struct mqtt_fixed fh = {0xee, 0xee, 77, 88};

	T_CHECK_INT(frame_exact(b, sizeof(b), &no_limit, &fh), TERN_EAGAIN);
	T_CHECK_INT(fh.type, 0xee);
	T_CHECK_INT(fh.flags, 0xee);
	T_CHECK_INT(fh.hdr_len, 77);
	T_CHECK_INT(fh.body_len, 88);
}

static void
test_frame_only_first_packet(void)
{
	/* Two PINGREQs and the start of a third. */
	static const uint8_t b[] = {0xc0, 0x00, 0xc0, 0x00, 0x30};
	struct mqtt_fixed fh;

	T_CHECK_INT(frame_exact(b, sizeof(b), &no_limit, &fh), 0);
	T_CHECK_INT(fh.hdr_len + fh.body_len, 2);
}

static void
test_frame_too_big_before_body(void)
{
	/* PUBLISH of 100 body bytes: 102 in all. */
	static const uint8_t b[] = {0x30, 100};
	struct codec_limits lim = {101};
	struct codec_limits exact = {102};
	struct mqtt_fixed fh;

	T_CHECK_INT(frame_exact(b, sizeof(b), &lim, &fh), TERN_ETOOBIG);
	T_CHECK_INT(frame_exact(b, sizeof(b), &exact, &fh), TERN_EAGAIN);
	T_CHECK_INT(frame_exact(b, sizeof(b), &no_limit, &fh), TERN_EAGAIN);
}

static void
test_frame_limit_counts_header(void)
{
	static const uint8_t b[] = {0xc0, 0x00};
	struct codec_limits one = {1};
	struct codec_limits two = {2};
	struct mqtt_fixed fh;

	T_CHECK_INT(frame_exact(b, sizeof(b), &one, &fh), TERN_ETOOBIG);
	T_CHECK_INT(frame_exact(b, sizeof(b), &two, &fh), 0);
}

static void
test_frame_null_limits_is_no_limit(void)
{
	static const uint8_t b[] = {0xc0, 0x00};
	struct mqtt_fixed fh;

	T_CHECK_INT(frame_exact(b, sizeof(b), NULL, &fh), 0);
}

static void
test_frame_overlong_length_accepted(void)
{
	/* 0x80 0x00 is 0 in two bytes; like rd_varint(), accepted. */
	static const uint8_t b[] = {0xc0, 0x80, 0x00};
	struct mqtt_fixed fh;

	T_CHECK_INT(frame_exact(b, sizeof(b), &no_limit, &fh), 0);
	T_CHECK_INT(fh.hdr_len, 3);
	T_CHECK_INT(fh.body_len, 0);
}

T_MAIN(T_CASE(test_frame_empty_is_eagain), T_CASE(test_frame_pingreq),
       T_CASE(test_frame_flags_passed_through),
       T_CASE(test_frame_type_zero_malformed),
       T_CASE(test_frame_type_15_framed),
       T_CASE(test_frame_remaining_length_boundaries),
       T_CASE(test_frame_remaining_length_max),
       T_CASE(test_frame_five_length_bytes_malformed),
       T_CASE(test_frame_partial_length_eagain),
       T_CASE(test_frame_partial_body_eagain),
       T_CASE(test_frame_out_untouched_unless_whole),
       T_CASE(test_frame_only_first_packet),
       T_CASE(test_frame_too_big_before_body),
       T_CASE(test_frame_limit_counts_header),
       T_CASE(test_frame_null_limits_is_no_limit),
       T_CASE(test_frame_overlong_length_accepted))
