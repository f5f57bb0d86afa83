/*
 * fuzz_acl.c - the acl_file parser, acl_parse(), then acl_check() for a
 * client, a topic filter and a topic name taken from the input.
 *
 * Input: ACL TEXT, a NUL byte, then "CLIENT_ID\nUSERNAME\nFILTER\nNAME"
 * (missing parts are empty). Without a NUL the whole input is the file
 * and fixed queries are asked. Checks: an error comes with a message; a
 * check answers 0 or TERN_EDENIED; acl_free() returns every byte
 * allocated through base/alloc.h; and the promise of acl.h about
 * subscriptions: a filter is refused only when no delivery could pass,
 * so if the client may read a name that the filter matches, it may
 * subscribe to the filter.
 */
#include <string.h>

#include "auth/acl.h"
#include "base/alloc.h"
#include "base/err.h"
#include "codec/mqtt.h"
#include "fuzz.h"

struct query {
	struct span client_id, username, filter, name;
};

/* The next line of *@rest (without its '\n'); *@rest moves past it. */
static struct span
next_line(struct span *rest)
{
	const uint8_t *nl =
	        rest->len != 0 ? memchr(rest->p, '\n', rest->len) : NULL;
	size_t n = nl != NULL ? (size_t)(nl - rest->p) : rest->len;
	struct span line = span_make(rest->p, n);

	rest->p += n < rest->len ? n + 1 : n;
	rest->len -= n < rest->len ? n + 1 : n;
	return line;
}

static int
check(const struct acl *a, const struct query *q, struct span topic,
      enum acl_access access)
{
	int rc = acl_check(a, q->client_id, q->username, topic, access);

	FUZZ_CHECK(rc == 0 || rc == TERN_EDENIED);
	return rc;
}

/* Every access for @q, and the subscribe promise. */
static void
ask(const struct acl *a, const struct query *q)
{
	bool name_ok = topic_check_name(q->name) == 0;
	bool filter_ok = topic_check_filter(q->filter) == 0;
	int read = TERN_EDENIED;

	if (name_ok) {
		read = check(a, q, q->name, ACL_READ);
		(void)check(a, q, q->name, ACL_WRITE);
		/* A name is a filter matching itself. */
		FUZZ_CHECK(read != 0 ||
		           check(a, q, q->name, ACL_SUBSCRIBE) == 0);
	}
	if (filter_ok) {
		int sub = check(a, q, q->filter, ACL_SUBSCRIBE);

		FUZZ_CHECK(!name_ok || read != 0 ||
		           !topic_match(q->filter, q->name) || sub == 0);
	}
}

static const struct query fixed[] = {
        {{(const uint8_t *)"c1", 2},
         {(const uint8_t *)"alice", 5},
         {(const uint8_t *)"#", 1},
         {(const uint8_t *)"alice/x", 7}},
        {{(const uint8_t *)"dev-7", 5},
         {NULL, 0},
         {(const uint8_t *)"clients/+/x", 11},
         {(const uint8_t *)"clients/dev-7/x", 15}},
        {{(const uint8_t *)"c2", 2},
         {(const uint8_t *)"bob", 3},
         {(const uint8_t *)"$SYS/#", 6},
         {(const uint8_t *)"$SYS/broker/load", 16}},
};

/* The queries of the input after its NUL (@rest), or the fixed ones. */
static void
ask_all(const struct acl *a, const uint8_t *nul, struct span rest)
{
	struct query q;

	if (nul == NULL) {
		for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
			ask(a, &fixed[i]);
		}
		return;
	}
	q.client_id = next_line(&rest);
	q.username = next_line(&rest);
	q.filter = next_line(&rest);
	q.name = next_line(&rest);
	ask(a, &q);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t none[1];
	const uint8_t *in = data != NULL ? data : none;
	const uint8_t *nul = memchr(in, 0, size);
	size_t text_len = nul != NULL ? (size_t)(nul - in) : size;
	size_t before = alloc_in_use();
	struct acl *a = NULL;
	char err[256];
	int rc;

	err[0] = '\0';
	rc = acl_parse((const char *)in, text_len, "fuzz.acl", &a, err,
	               sizeof err);
	if (rc == 0) {
		ask_all(a, nul,
		        nul != NULL ? span_make(nul + 1, size - text_len - 1)
		                    : span_make(in, 0));
	} else {
		FUZZ_CHECK(rc == TERN_ECONFIG || rc == TERN_ENOMEM);
		FUZZ_CHECK(a == NULL && err[0] != '\0');
	}
	acl_free(a);
	FUZZ_CHECK(alloc_in_use() == before);
	return 0;
}
