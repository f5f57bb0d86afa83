/*
 * frame.c - the fixed header: is a whole packet at the start of a buffer,
 * and how long is it?
 *
 * Invariant: no byte at or past buf[len] is read. The Remaining Length
 * (MQTT 3.1.1 section 2.2.3, MQTT 5.0 section 1.5.5) is read here rather
 * than with rd_varint() because a short buffer must give TERN_EAGAIN, not
 * TERN_EMALFORMED. The flags of the fixed header depend on the packet type
 * and are checked by codec_decode().
 */
#include "mqtt.h"

/* A Variable Byte Integer has at most four bytes. */
#define FRAME_MAX_LEN_BYTES 4u

/*
 * Reads the Remaining Length that starts at buf[1]. Returns 0 with
 * *hdr_len (type byte included) and *body_len set, TERN_EAGAIN if the
 * buffer ends inside it, or TERN_EMALFORMED on a fifth length byte.
 */
static int
frame_length(const uint8_t *buf, size_t len, size_t *hdr_len, size_t *body_len)
{
	size_t v = 0;

	for (size_t i = 0; i < FRAME_MAX_LEN_BYTES; i++) {
		uint8_t b;

		if (1 + i >= len) {
			return TERN_EAGAIN;
		}
		b = buf[1 + i];
		v |= (size_t)(b & 0x7fu) << (7 * i);
		if ((b & 0x80u) == 0) {
			*hdr_len = 2 + i;
			*body_len = v;
			return 0;
		}
	}
	/* The fourth byte has its continuation bit set: whatever follows,
	 * this cannot be a valid length, so do not wait for more bytes. */
	return TERN_EMALFORMED;
}

int
codec_frame(const uint8_t *buf, size_t len, const struct codec_limits *lim,
            struct mqtt_fixed *out)
{
	size_t hdr_len, body_len;
	uint8_t type;
	int err;

	if (len == 0) {
		return TERN_EAGAIN;
	}
	/* Packet type 0 is reserved (MQTT 3.1.1 table 2.1, MQTT 5.0 table
	 * 2-1); no valid stream contains it. */
	type = (uint8_t)(buf[0] >> 4);
	if (type == 0) {
		return TERN_EMALFORMED;
	}
	err = frame_length(buf, len, &hdr_len, &body_len);
	if (err != 0) {
		return err;
	}
	/* The size is known before the body arrives: refuse at once rather
	 * than buffer up to the limit. body_len < 2^28, so no overflow. */
	if (lim != NULL && lim->max_packet != 0 &&
	    hdr_len + body_len > lim->max_packet) {
		return TERN_ETOOBIG;
	}
	if (len - hdr_len < body_len) {
		return TERN_EAGAIN;
	}
	out->type = type;
	out->flags = (uint8_t)(buf[0] & 0x0fu);
	out->hdr_len = hdr_len;
	out->body_len = body_len;
	return 0;
}
