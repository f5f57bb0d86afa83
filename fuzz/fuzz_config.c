/*
 * fuzz_config.c - the mosquitto.conf parser: config_parse(), then
 * config_finish() when the text was accepted, then config_fini().
 *
 * Input: the text of a configuration file. Checks: an error comes with a
 * message; an accepted file gives at least one and at most
 * CONFIG_MAX_LISTENERS listeners; and config_fini() returns every byte
 * allocated through base/alloc.h (alloc_in_use() is back where it was),
 * so a leak is caught even in a build without LeakSanitizer.
 *
 * include_dir reads directories and files named by the input. A fuzzer
 * must not wander over the file system (it could read anything the user
 * can, or block on a FIFO or a device), so inputs that contain
 * "include_dir" anywhere are rejected before parsing. Directive names are
 * matched exactly (the only prefix directives, auth_opt_ and bridge_, are
 * refused), so no other spelling reaches it. config_test.c covers
 * include_dir with real directories.
 */
#include <string.h>

#include "base/alloc.h"
#include "base/err.h"
#include "config/config.h"
#include "fuzz.h"

#define FUZZ_INCLUDE "include_dir"

static bool
mentions_include(const uint8_t *data, size_t size)
{
	size_t n = sizeof(FUZZ_INCLUDE) - 1;

	for (size_t i = 0; i + n <= size; i++) {
		if (memcmp(data + i, FUZZ_INCLUDE, n) == 0) {
			return true;
		}
	}
	return false;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t none[1];
	/* libFuzzer may pass NULL for an empty input. */
	const uint8_t *in = data != NULL ? data : none;
	const char *text = (const char *)in;
	size_t before = alloc_in_use();
	struct config c;
	char err[256];
	int rc;

	if (mentions_include(in, size)) {
		return -1; /* see the comment at the top */
	}
	config_init(&c);
	err[0] = '\0';
	rc = config_parse(&c, text, size, "fuzz.conf", err, sizeof err);
	if (rc == 0) {
		rc = config_finish(&c, err, sizeof err);
	}
	if (rc == 0) {
		FUZZ_CHECK(c.n_listeners >= 1 &&
		           c.n_listeners <= CONFIG_MAX_LISTENERS);
	} else {
		FUZZ_CHECK(rc == TERN_ECONFIG || rc == TERN_ENOMEM);
		FUZZ_CHECK(memchr(err, '\0', sizeof err) != NULL &&
		           err[0] != '\0');
	}
	config_fini(&c);
	FUZZ_CHECK(alloc_in_use() == before);
	return 0;
}
