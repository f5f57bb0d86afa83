/*
 * fuzz_passwd.c - the mosquitto_passwd file parser, passwd_parse(), then
 * passwd_check() for a fixed user and password and for an unknown user.
 *
 * Input: the text of a password file. Checks: an error comes with a
 * message; a check answers 0 or TERN_EAUTH, and 0 only for a user the
 * file names; passwd_free() returns every byte allocated through
 * base/alloc.h.
 *
 * A "$7$" hash costs its iteration count in PBKDF2 rounds on every check,
 * and the parser takes up to INT_MAX: one input could make a run last
 * minutes, which says nothing about the parser. Inputs with an iteration
 * count over FUZZ_MAX_ITERATIONS anywhere are rejected before parsing;
 * the parser's own range check is still reached by counts of 0 and by
 * fields that are not numbers, and passwd_test.c covers the upper bound.
 */
#include <string.h>

#include "auth/auth.h"
#include "base/alloc.h"
#include "base/err.h"
#include "fuzz.h"

/* mosquitto_passwd writes 101; a few times that is still fast. */
#define FUZZ_MAX_ITERATIONS 1000u

/* The value of the digits at @p (at most 12 of them), saturating. */
static unsigned long
digits_value(const uint8_t *p, size_t left)
{
	unsigned long v = 0;

	for (size_t i = 0; i < left && i < 12 && p[i] >= '0' && p[i] <= '9';
	     i++) {
		v = v * 10 + (unsigned long)(p[i] - '0');
	}
	return v;
}

/* Does any "$7$N" in the input have N over the bound? */
static bool
too_many_iterations(const uint8_t *data, size_t size)
{
	for (size_t i = 0; i + 3 <= size; i++) {
		if (memcmp(data + i, "$7$", 3) == 0 &&
		    digits_value(data + i + 3, size - i - 3) >
		            FUZZ_MAX_ITERATIONS) {
			return true;
		}
	}
	return false;
}

static bool
mentions(const uint8_t *data, size_t size, const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; i + n <= size; i++) {
		if (memcmp(data + i, s, n) == 0) {
			return true;
		}
	}
	return false;
}

static void
check_db(const struct passwd_db *db, const uint8_t *data, size_t size)
{
	int rc = passwd_check(db, span_str("alice"), span_str("secret"));

	FUZZ_CHECK(rc == 0 || rc == TERN_EAUTH);
	FUZZ_CHECK(rc != 0 || mentions(data, size, "alice"));
	/* An unknown user goes through the same hash, and fails. */
	rc = passwd_check(db, span_make("\0", 1), span_str("secret"));
	FUZZ_CHECK(rc == TERN_EAUTH);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t none[1];
	/* libFuzzer may pass NULL for an empty input. */
	const uint8_t *in = data != NULL ? data : none;
	const char *text = (const char *)in;
	size_t before = alloc_in_use();
	struct passwd_db *db = NULL;
	char err[256];
	int rc;

	if (too_many_iterations(in, size)) {
		return -1; /* see the comment at the top */
	}
	err[0] = '\0';
	rc = passwd_parse(text, size, "fuzz.passwd", &db, err, sizeof err);
	if (rc == 0) {
		FUZZ_CHECK(db != NULL);
		check_db(db, in, size);
	} else {
		FUZZ_CHECK(rc == TERN_ECONFIG || rc == TERN_ENOMEM);
		FUZZ_CHECK(db == NULL && err[0] != '\0');
	}
	passwd_free(db);
	FUZZ_CHECK(alloc_in_use() == before);
	return 0;
}
