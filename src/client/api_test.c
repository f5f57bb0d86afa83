/*
 * api_test.c - the parts of the public API that need no connection:
 * property names and lookup, reason code names and errors, and the copy
 * of the error list in include/tern/tern.h against base/err.h.
 */
#include <stdio.h>

#include "test_peer.h"

#ifndef TERN_SOURCE_DIR
#define TERN_SOURCE_DIR "."
#endif

static void
test_prop_names(void)
{
	T_CHECK_INT(tern_prop_by_name("user-property"),
	            TERN_PROP_USER_PROPERTY);
	T_CHECK_INT(tern_prop_by_name("message-expiry-interval"),
	            TERN_PROP_MESSAGE_EXPIRY);
	T_CHECK_INT(tern_prop_by_name("session-expiry-interval"),
	            TERN_PROP_SESSION_EXPIRY);
	T_CHECK_INT(tern_prop_by_name("no-such-thing"), TERN_ENOTFOUND);
	T_CHECK(strcmp(tern_prop_name(TERN_PROP_RECEIVE_MAX),
	               "receive-maximum") == 0);
	T_CHECK(tern_prop_name(0x7f) == NULL);
	/* Every name maps back to its own id. */
	for (unsigned id = 1; id < 64; id++) {
		const char *n = tern_prop_name((uint8_t)id);

		if (n != NULL) {
			T_CHECK_INT(tern_prop_by_name(n), id);
		}
	}
}

static void
test_props_find(void)
{
	struct tern_prop v[] = {
	        {.id = TERN_PROP_USER_PROPERTY, .str = "a", .str_len = 1},
	        {.id = TERN_PROP_CONTENT_TYPE, .str = "x", .str_len = 1},
	        {.id = TERN_PROP_USER_PROPERTY, .str = "b", .str_len = 1},
	};
	struct tern_props p = {v, 3};
	size_t pos = 0;
	const struct tern_prop *e;

	e = tern_props_find(&p, TERN_PROP_USER_PROPERTY, &pos);
	T_CHECK(e == &v[0]);
	e = tern_props_find(&p, TERN_PROP_USER_PROPERTY, &pos);
	T_CHECK(e == &v[2]);
	T_CHECK(tern_props_find(&p, TERN_PROP_USER_PROPERTY, &pos) == NULL);
	T_CHECK(tern_props_find(&p, TERN_PROP_CONTENT_TYPE, NULL) == &v[1]);
	T_CHECK(tern_props_find(NULL, TERN_PROP_CONTENT_TYPE, NULL) == NULL);
}

static void
test_props_encode_checks(void)
{
	struct tern_prop bad_utf8[] = {{.id = TERN_PROP_CONTENT_TYPE,
	                                .str = "\xc0\x80",
	                                .str_len = 2}};
	struct tern_prop zero_rm[] = {{.id = TERN_PROP_RECEIVE_MAX, .num = 0}};
	struct tern_prop big_byte[] = {
	        {.id = TERN_PROP_PAYLOAD_FORMAT, .num = 2}};
	struct tern_prop ok[] = {{.id = TERN_PROP_RECEIVE_MAX, .num = 10},
	                         {.id = TERN_PROP_USER_PROPERTY,
	                          .str = "k",
	                          .str_len = 1,
	                          .val = "",
	                          .val_len = 0}};
	struct tern_props p;
	size_t n = 0;

	p = (struct tern_props){bad_utf8, 1};
	T_CHECK_INT(client_props_size(&p, MQTT_PUBLISH, &n), TERN_EINVAL);
	p = (struct tern_props){zero_rm, 1};
	T_CHECK_INT(client_props_size(&p, MQTT_CONNECT, &n), TERN_EINVAL);
	p = (struct tern_props){big_byte, 1};
	T_CHECK_INT(client_props_size(&p, MQTT_PUBLISH, &n), TERN_EINVAL);
	p = (struct tern_props){ok, 2};
	T_CHECK_INT(client_props_size(&p, MQTT_CONNECT, &n), 0);
	T_CHECK_INT(n, 3 + 6);
	/* Receive Maximum is a CONNECT/CONNACK property only. */
	T_CHECK_INT(client_props_size(&p, MQTT_PUBLISH, &n), TERN_EINVAL);
}

static void
test_reasons(void)
{
	T_CHECK(strcmp(tern_reason_string(TERN_MQTT311, 5), "not authorized") ==
	        0);
	T_CHECK(strcmp(tern_reason_string(TERN_MQTT5, 0x86),
	               "bad user name or password") == 0);
	T_CHECK(strcmp(tern_reason_string(TERN_MQTT5, 0x10),
	               "no matching subscribers") == 0);
	T_CHECK_INT(tern_reason_err(TERN_MQTT311, 4), TERN_EAUTH);
	T_CHECK_INT(tern_reason_err(TERN_MQTT311, 2), TERN_EIDENT);
	T_CHECK_INT(tern_reason_err(TERN_MQTT5, 0x84), TERN_EVERSION);
	T_CHECK_INT(tern_reason_err(TERN_MQTT5, 0x10), 0);
	T_CHECK_INT(tern_reason_err(TERN_MQTT5, 0xFE), TERN_EPROTO);
}

/* enum_block() - the text of "enum tern_err {...};" in file @path. */
static int
enum_block(const char *path, char *out, size_t cap)
{
	char line[256];
	size_t n = 0;
	int in = 0;
	FILE *f = fopen(path, "r");

	if (f == NULL) {
		return -1;
	}
	while (fgets(line, sizeof line, f) != NULL) {
		if (strncmp(line, "enum tern_err {", 15) == 0) {
			in = 1;
		}
		if (in && n + strlen(line) < cap) {
			memcpy(out + n, line, strlen(line));
			n += strlen(line);
		}
		if (in && strncmp(line, "};", 2) == 0) {
			break;
		}
	}
	out[n] = '\0';
	fclose(f);
	return in ? 0 : -1;
}

static void
test_err_list_in_sync(void)
{
	static char pub[4096], base[4096];

	T_CHECK_INT(enum_block(TERN_SOURCE_DIR "/include/tern/tern.h", pub,
	                       sizeof pub),
	            0);
	T_CHECK_INT(enum_block(TERN_SOURCE_DIR "/src/base/err.h", base,
	                       sizeof base),
	            0);
	T_CHECK(strcmp(pub, base) == 0);
	T_CHECK(strcmp(tern_strerror(TERN_ERR_MIN), "unknown error") != 0);
	T_CHECK(strcmp(tern_strerror(TERN_ERR_MIN - 1), "unknown error") == 0);
}

T_MAIN(T_CASE(test_prop_names), T_CASE(test_props_find),
       T_CASE(test_props_encode_checks), T_CASE(test_reasons),
       T_CASE(test_err_list_in_sync))
