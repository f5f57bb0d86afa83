/*
 * acl_test.c - mosquitto acl_file rules: the groups and their order,
 * patterns, deny, $SYS, subscription checks, malformed files, allocation
 * failures, and the matchers against topic_match() and a brute-force
 * model.
 *
 * "Verified" below means the same file and client gave the same answer
 * from Debian 12's mosquitto 2.0.11 (MQTT 5 PUBACK 0x87 for a refused
 * PUBLISH, or the messages a subscriber was sent).
 */
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "acl.h"
#include "base/alloc.h"
#include "base/err.h"
#include "base/test.h"
#include "codec/mqtt.h"

#define ERRLEN 512

static struct span
sp(const char *s)
{
	return s != NULL ? span_str(s) : span_make(NULL, 0);
}

static int
parse(const char *text, struct acl **a, char *err)
{
	return acl_parse(text, strlen(text), "acl", a, err, ERRLEN);
}

/* 0 or TERN_EDENIED for client @id as @user (NULL: anonymous). */
static int
check(const struct acl *a, const char *id, const char *user, const char *topic,
      enum acl_access access)
{
	return acl_check(a, sp(id), sp(user), sp(topic), access);
}

static int
can_read(const struct acl *a, const char *id, const char *user,
         const char *topic)
{
	return check(a, id, user, topic, ACL_READ) == 0;
}

static int
can_write(const struct acl *a, const char *id, const char *user,
          const char *topic)
{
	return check(a, id, user, topic, ACL_WRITE) == 0;
}

static int
can_sub(const struct acl *a, const char *id, const char *user,
        const char *filter)
{
	return check(a, id, user, filter, ACL_SUBSCRIBE) == 0;
}

/* Verified: the first block is for anonymous clients only. */
static void
test_anonymous(void)
{
	static const char text[] = "# anonymous\n"
	                           "topic read anon/r\n"
	                           "topic write anon/w\n"
	                           "topic anon/rw\n"
	                           "\n"
	                           "user alice\n"
	                           "topic alice/#\n";
	struct acl *a = NULL;
	char err[ERRLEN];

	T_CHECK_INT(parse(text, &a, err), 0);
	T_CHECK(can_read(a, "c", NULL, "anon/r"));
	T_CHECK(!can_write(a, "c", NULL, "anon/r"));
	T_CHECK(can_write(a, "c", NULL, "anon/w"));
	T_CHECK(!can_read(a, "c", NULL, "anon/w"));
	T_CHECK(can_read(a, "c", NULL, "anon/rw"));
	T_CHECK(can_write(a, "c", NULL, "anon/rw"));
	T_CHECK(!can_write(a, "c", NULL, "anon/rw/x"));
	T_CHECK(!can_write(a, "c", NULL, "alice/x"));
	/* A user with a block, and one without: no anonymous rules. */
	T_CHECK(!can_write(a, "c", "alice", "anon/w"));
	T_CHECK(!can_write(a, "c", "carol", "anon/w"));
	T_CHECK(can_write(a, "c", "alice", "alice/x"));
	/* Verified: a zero-length user name is anonymous in mosquitto. */
	T_CHECK(can_write(a, "c", "", "anon/w"));
	T_CHECK(!can_write(a, "c", "", "alice/x"));
	acl_free(a);
}

/* Verified: blocks of one user merge; names are exact bytes. */
static void
test_user_blocks(void)
{
	static const char text[] = "user bob\n"
	                           "topic write one\n"
	                           "user carol\n"
	                           "topic read c/#\n"
	                           "user bob\n"
	                           "topic write two\n"
	                           "user   bob smith  \n"
	                           "topic   read   with  spaces  \n";
	struct acl *a = NULL;
	char err[ERRLEN];

	T_CHECK_INT(parse(text, &a, err), 0);
	T_CHECK(can_write(a, "c", "bob", "one"));
	T_CHECK(can_write(a, "c", "bob", "two"));
	T_CHECK(!can_read(a, "c", "bob", "two"));
	T_CHECK(!can_write(a, "c", "bob", "c/x"));
	T_CHECK(can_read(a, "c", "carol", "c/x"));
	T_CHECK(!can_write(a, "c", "carol", "c/x"));
	T_CHECK(!can_write(a, "c", "Bob", "one"));
	T_CHECK(!can_write(a, "c", "bo", "one"));
	T_CHECK(!can_write(a, "c", "bob ", "one"));
	T_CHECK(can_read(a, "c", "bob smith", "with  spaces"));
	T_CHECK(!can_read(a, "c", "bob smith", "with spaces"));
	T_CHECK(!can_write(a, "c", NULL, "one"));
	acl_free(a);
}

/* Enough users to grow the index a few times; each sees only its own. */
static void
test_many_users(void)
{
	static char text[3000 * 40];
	char user[32], topic[32];
	struct acl *a = NULL;
	char err[ERRLEN];
	size_t n = 0;

	for (int i = 0; i < 3000; i++) {
		n += (size_t)snprintf(text + n, sizeof text - n,
		                      "user u%d\ntopic t%d\n", i, i);
	}
	T_CHECK_INT(acl_parse(text, n, "acl", &a, err, ERRLEN), 0);
	for (int i = 0; i < 3000; i += 7) {
		(void)snprintf(user, sizeof user, "u%d", i);
		(void)snprintf(topic, sizeof topic, "t%d", i);
		T_CHECK(can_write(a, "c", user, topic));
		(void)snprintf(topic, sizeof topic, "t%d", i + 1);
		T_CHECK(!can_write(a, "c", user, topic));
	}
	T_CHECK(!can_write(a, "c", "u3000", "t3000"));
	acl_free(a);
}

/* Verified: %c and %u are only read in pattern lines. */
static void
test_topic_is_literal(void)
{
	static const char text[] = "topic write x/%c\n"
	                           "user bob\n"
	                           "topic write y/%u\n";
	struct acl *a = NULL;
	char err[ERRLEN];

	T_CHECK_INT(parse(text, &a, err), 0);
	T_CHECK(!can_write(a, "c", NULL, "x/c"));
	T_CHECK(can_write(a, "c", NULL, "x/%c"));
	T_CHECK(!can_write(a, "c", "bob", "y/bob"));
	T_CHECK(can_write(a, "c", "bob", "y/%u"));
	acl_free(a);
}

/* Verified: readwrite is the default; read and write are apart. */
static void
test_access_words(void)
{
	static const char text[] = "topic r\n"
	                           "topic read ro\n"
	                           "topic write wo\n"
	                           "topic readwrite rw\n";
	struct acl *a = NULL;
	char err[ERRLEN];

	T_CHECK_INT(parse(text, &a, err), 0);
	T_CHECK(can_read(a, "c", NULL, "r") && can_write(a, "c", NULL, "r"));
	T_CHECK(can_read(a, "c", NULL, "ro") && !can_write(a, "c", NULL, "ro"));
	T_CHECK(!can_read(a, "c", NULL, "wo") && can_write(a, "c", NULL, "wo"));
	T_CHECK(can_read(a, "c", NULL, "rw") && can_write(a, "c", NULL, "rw"));
	T_CHECK_INT(check(a, "c", NULL, "r", (enum acl_access)8), TERN_EDENIED);
	T_CHECK_INT(check(a, "c", NULL, "", ACL_WRITE), TERN_EDENIED);
	T_CHECK_INT(acl_check(NULL, sp("c"), sp(NULL), sp("r"), ACL_READ),
	            TERN_EDENIED);
	acl_free(a);
}

/* Verified: deny decides within a group, wherever it stands. */
static void
test_deny(void)
{
	static const char text[] = "topic anon/rw/#\n"
	                           "topic deny anon/rw/secret\n"
	                           "user alice\n"
	                           "topic alice/#\n"
	                           "topic deny alice/private\n"
	                           "topic deny alice/ro/#\n"
	                           "topic read alice/ro/#\n";
	struct acl *a = NULL;
	char err[ERRLEN];

	T_CHECK_INT(parse(text, &a, err), 0);
	T_CHECK(can_write(a, "c", NULL, "anon/rw/x"));
	T_CHECK(!can_write(a, "c", NULL, "anon/rw/secret"));
	T_CHECK(!can_read(a, "c", NULL, "anon/rw/secret"));
	T_CHECK(can_write(a, "c", NULL, "anon/rw/secret/x"));
	T_CHECK(can_write(a, "c", "alice", "alice/x"));
	T_CHECK(!can_read(a, "c", "alice", "alice/private"));
	T_CHECK(!can_read(a, "c", "alice", "alice/ro/x"));
	acl_free(a);
}

/*
 * Verified: the user's block is decided before the patterns, so a user's
 * allow beats a pattern deny and a user's deny beats a pattern allow.
 */
static void
test_group_order(void)
{
	static const char text[] = "user carol\n"
	                           "topic readwrite shared/#\n"
	                           "topic deny shared/carol-no\n"
	                           "topic write pd/carol\n"
	                           "pattern deny pd/%u\n"
	                           "pattern readwrite shared/carol-no\n";
	struct acl *a = NULL;
	char err[ERRLEN];

	T_CHECK_INT(parse(text, &a, err), 0);
	T_CHECK(can_write(a, "c", "carol", "pd/carol"));
	T_CHECK(!can_write(a, "c", "alice", "pd/alice"));
	T_CHECK(!can_write(a, "c", "carol", "shared/carol-no"));
	T_CHECK(can_write(a, "c", "alice", "shared/carol-no"));
	T_CHECK(can_write(a, "c", NULL, "shared/carol-no"));
	acl_free(a);
}

/* Verified: %c and %u, whole levels or inside one; for every client. */
static void
test_patterns(void)
{
	static const char text[] = "topic anon\n"
	                           "user alice\n"
	                           "topic alice\n"
	                           "pattern readwrite p/%c/#\n"
	                           "pattern write u/%u\n"
	                           "pattern read a%c/x\n"
	                           "pattern write w/%c%u/x\n"
	                           "pattern write lit/%%c/%x/%\n"
	                           "pattern read fixed\n";
	struct acl *a = NULL;
	char err[ERRLEN];

	T_CHECK_INT(parse(text, &a, err), 0);
	T_CHECK(can_write(a, "c1", NULL, "p/c1/x"));
	T_CHECK(can_write(a, "c1", NULL, "p/c1"));
	T_CHECK(can_write(a, "c1", "alice", "p/c1/x/y"));
	T_CHECK(!can_write(a, "c1", NULL, "p/c2/x"));
	T_CHECK(!can_write(a, "c1", NULL, "p/c/x"));
	T_CHECK(!can_write(a, "c1", NULL, "p/c12/x"));
	T_CHECK(!can_write(a, "c1", NULL, "p/%c/x"));
	T_CHECK(can_write(a, "c", "alice", "u/alice"));
	T_CHECK(can_write(a, "c", "carol", "u/carol"));
	T_CHECK(!can_read(a, "c", "carol", "u/carol"));
	T_CHECK(!can_write(a, "c", "carol", "u/alice"));
	/* %u never matches for an anonymous client, not even "u/". */
	T_CHECK(!can_write(a, "c", NULL, "u/"));
	T_CHECK(!can_write(a, "c", NULL, "u/%u"));
	T_CHECK(can_read(a, "c", NULL, "ac/x"));
	T_CHECK(!can_read(a, "c", NULL, "a%c/x"));
	T_CHECK(!can_read(a, "c", NULL, "a/x"));
	T_CHECK(can_write(a, "id", "bob", "w/idbob/x"));
	T_CHECK(!can_write(a, "id", "bob", "w/bobid/x"));
	T_CHECK(!can_write(a, "id", NULL, "w/id/x"));
	/* "%%c" is '%' then the id; a '%' before anything else is itself. */
	T_CHECK(can_write(a, "c", NULL, "lit/%c/%x/%"));
	T_CHECK(!can_write(a, "c", NULL, "lit/%%c/%x/%"));
	/* A pattern without placeholders is a rule for everyone. */
	T_CHECK(can_read(a, "c", NULL, "fixed"));
	T_CHECK(can_read(a, "c", "alice", "fixed"));
	T_CHECK(can_read(a, "c", "zed", "fixed"));
	acl_free(a);
}

/*
 * A client id or user name must not widen a pattern. With '+' or '#' in
 * either, no pattern applies at all (verified, as mosquitto's fix for
 * CVE-2017-7650), but the user's own block still does (verified). A '/'
 * makes the placeholder match nothing: mosquitto 2.0.11 lets client
 * "x/y" write "p/x/y/z" through "p/%c/#" (verified); Tern does not.
 */
static void
test_special_ids(void)
{
	static const char text[] = "user carol\n"
	                           "topic shared/#\n"
	                           "pattern readwrite p/%c/#\n"
	                           "pattern readwrite q/%u/#\n"
	                           "pattern readwrite fixed\n"
	                           "pattern read %c/#\n";
	struct acl *a = NULL;
	char err[ERRLEN];

	T_CHECK_INT(parse(text, &a, err), 0);
	T_CHECK(!can_write(a, "+", NULL, "p/z/x"));
	T_CHECK(!can_write(a, "#", NULL, "p/z/x"));
	T_CHECK(!can_write(a, "a+b", NULL, "fixed"));
	T_CHECK(!can_write(a, "c", "x#", "fixed"));
	T_CHECK(!can_write(a, "c", "x#", "p/c/x"));
	T_CHECK(!can_write(a, "a+b", "carol", "q/carol/x"));
	T_CHECK(can_write(a, "a+b", "carol", "shared/x"));
	T_CHECK(!can_sub(a, "+", NULL, "p/+/x"));

	T_CHECK(!can_write(a, "x/y", NULL, "p/x/y/z"));
	T_CHECK(!can_write(a, "x/y", NULL, "p/x/y"));
	T_CHECK(!can_write(a, "x/y", NULL, "p/x"));
	T_CHECK(!can_read(a, "x/y", NULL, "x/y"));
	T_CHECK(can_write(a, "x/y", NULL, "fixed"));
	T_CHECK(!can_write(a, "c", "p/q", "q/p/q/x"));
	T_CHECK(!can_write(a, "c", "p/q", "q/p"));
	T_CHECK(can_write(a, "p/q", "u", "q/u/x"));
	T_CHECK(!can_sub(a, "x/y", NULL, "p/x/#"));
	T_CHECK(!can_sub(a, "x/y", NULL, "p/+/y"));

	/* Verified: mosquitto gives client "$SYS" $SYS through "%c/#";
	 * Tern lets only the file's own text start a '$' level. */
	T_CHECK(!can_read(a, "$SYS", NULL, "$SYS/broker/uptime"));
	T_CHECK(!can_sub(a, "$SYS", NULL, "$SYS/#"));
	T_CHECK(can_read(a, "x$", NULL, "x$/a"));
	/* An empty id stands for nothing. */
	T_CHECK(!can_write(a, "", NULL, "p//x"));
	T_CHECK(!can_read(a, "", NULL, "/x"));
	acl_free(a);
}

/* Wildcards in rules match as in subscriptions. */
static void
test_wildcards(void)
{
	static const char text[] = "topic a/+/c\n"
	                           "topic b/#\n"
	                           "topic write +\n"
	                           "topic e//f\n"
	                           "topic read r/+/#\n";
	struct acl *a = NULL;
	char err[ERRLEN];

	T_CHECK_INT(parse(text, &a, err), 0);
	T_CHECK(can_write(a, "c", NULL, "a/b/c"));
	T_CHECK(can_write(a, "c", NULL, "a//c"));
	T_CHECK(!can_write(a, "c", NULL, "a/b/c/d"));
	T_CHECK(!can_write(a, "c", NULL, "a/c"));
	T_CHECK(can_write(a, "c", NULL, "b"));
	T_CHECK(can_write(a, "c", NULL, "b/x/y/z"));
	T_CHECK(!can_write(a, "c", NULL, "bb/x"));
	T_CHECK(can_write(a, "c", NULL, "single"));
	T_CHECK(!can_write(a, "c", NULL, "two/levels"));
	T_CHECK(can_write(a, "c", NULL, "e//f"));
	T_CHECK(!can_write(a, "c", NULL, "e/f"));
	T_CHECK(can_read(a, "c", NULL, "r/x"));
	T_CHECK(can_read(a, "c", NULL, "r/x/y"));
	T_CHECK(!can_read(a, "c", NULL, "r"));
	acl_free(a);
}

/*
 * Verified: "#" and "+/..." do not reach $SYS; only rules that start
 * with "$SYS" do. (mosquitto itself also refuses every client PUBLISH to
 * $SYS whatever the file says; that is the broker's rule, not the file's.)
 */
static void
test_sys(void)
{
	static const char text[] = "user sysreader\n"
	                           "topic read $SYS/broker/uptime\n"
	                           "topic read +/broker/#\n"
	                           "user hashreader\n"
	                           "topic read #\n"
	                           "user sysall\n"
	                           "topic $SYS/#\n"
	                           "pattern read $SYS/clients/%c\n";
	struct acl *a = NULL;
	char err[ERRLEN];

	T_CHECK_INT(parse(text, &a, err), 0);
	T_CHECK(can_read(a, "c", "sysreader", "$SYS/broker/uptime"));
	T_CHECK(!can_read(a, "c", "sysreader", "$SYS/broker/load"));
	T_CHECK(can_read(a, "c", "sysreader", "x/broker/load"));
	T_CHECK(!can_read(a, "c", "hashreader", "$SYS/broker/uptime"));
	T_CHECK(can_read(a, "c", "hashreader", "pub/a"));
	T_CHECK(can_read(a, "c", "sysall", "$SYS/broker/uptime"));
	T_CHECK(can_write(a, "c", "sysall", "$SYS/x"));
	T_CHECK(can_read(a, "c", "sysall", "$SYS"));
	T_CHECK(!can_read(a, "c", "sysall", "$SYSX"));
	T_CHECK(can_read(a, "c9", NULL, "$SYS/clients/c9"));
	T_CHECK(!can_read(a, "c9", NULL, "$SYS/clients/c8"));
	T_CHECK(can_sub(a, "c", "sysreader", "$SYS/#"));
	T_CHECK(can_sub(a, "c", "sysreader", "$SYS/broker/+"));
	T_CHECK(can_sub(a, "c", "sysreader", "$SYS/clients/#"));
	T_CHECK(!can_sub(a, "c", "sysreader", "$SYS/other/#"));
	T_CHECK(!can_sub(a, "c", "hashreader", "$SYS/broker/#"));
	T_CHECK(can_sub(a, "c", "hashreader", "#"));
	T_CHECK(can_sub(a, "c9", NULL, "$SYS/clients/+"));
	T_CHECK(!can_sub(a, "c9", NULL, "$SYS/broker/#"));
	acl_free(a);
}

/*
 * Subscriptions: refused only when no delivery could pass, that is when
 * no readable rule shares a topic with the filter or a deny covers it.
 * (mosquitto 2.0.11 grants every SUBSCRIBE, verified, and relies on the
 * delivery check alone; the delivery check stays the rule here too.)
 */
static void
test_subscribe(void)
{
	static const char text[] = "topic read sensors/+/temp\n"
	                           "topic write cmd/#\n"
	                           "topic read news/#\n"
	                           "topic deny news/secret/#\n"
	                           "user bob\n"
	                           "topic read a/#\n"
	                           "topic deny a/b\n"
	                           "pattern read own/%u/#\n"
	                           "pattern deny a/%u/#\n";
	struct acl *a = NULL;
	char err[ERRLEN];

	T_CHECK_INT(parse(text, &a, err), 0);
	T_CHECK(can_sub(a, "c", NULL, "sensors/+/temp"));
	T_CHECK(can_sub(a, "c", NULL, "sensors/kitchen/temp"));
	T_CHECK(can_sub(a, "c", NULL, "sensors/#"));
	T_CHECK(can_sub(a, "c", NULL, "#"));
	T_CHECK(can_sub(a, "c", NULL, "+/+/temp"));
	T_CHECK(can_sub(a, "c", NULL, "sensors/+/+"));
	T_CHECK(!can_sub(a, "c", NULL, "sensors/+"));
	T_CHECK(!can_sub(a, "c", NULL, "sensors/+/temp/x"));
	T_CHECK(!can_sub(a, "c", NULL, "sensors"));
	T_CHECK(!can_sub(a, "c", NULL, "cmd/#"));
	T_CHECK(!can_sub(a, "c", NULL, "other/#"));
	T_CHECK(can_sub(a, "c", NULL, "news/#"));
	T_CHECK(can_sub(a, "c", NULL, "news/+/x"));
	T_CHECK(!can_sub(a, "c", NULL, "news/secret/#"));
	T_CHECK(!can_sub(a, "c", NULL, "news/secret/+"));
	T_CHECK(!can_sub(a, "c", NULL, "news/secret"));
	T_CHECK(!can_sub(a, "c", NULL, "$SYS/#"));
	/* Invalid filters are refused. */
	T_CHECK(!can_sub(a, "c", NULL, "news/#/x"));
	T_CHECK(!can_sub(a, "c", NULL, ""));

	T_CHECK(can_sub(a, "c", "bob", "a/#"));
	T_CHECK(can_sub(a, "c", "bob", "a/+"));
	T_CHECK(!can_sub(a, "c", "bob", "a/b"));
	/* bob's own allow decides before the pattern deny on a/bob/#. */
	T_CHECK(can_sub(a, "c", "bob", "a/bob/#"));
	T_CHECK(can_sub(a, "c", "bob", "own/bob/x"));
	T_CHECK(can_sub(a, "c", "bob", "own/+/x"));
	T_CHECK(!can_sub(a, "c", "bob", "own/carol/x"));
	T_CHECK(can_sub(a, "c", "carol", "own/#"));
	T_CHECK(!can_sub(a, "c", "carol", "a/carol/#"));
	T_CHECK(!can_sub(a, "c", "carol", "a/carol"));
	T_CHECK(!can_sub(a, "c", NULL, "own/#"));
	acl_free(a);
}

/* Verified: an empty file (or one of comments) refuses everything. */
static void
test_empty(void)
{
	static const char text[] = "# nothing here\n\n   \n\t# indented\n";
	struct acl *a = NULL;
	char err[ERRLEN];

	T_CHECK_INT(parse(text, &a, err), 0);
	T_CHECK(!can_read(a, "c", NULL, "x"));
	T_CHECK(!can_write(a, "c", "alice", "x"));
	T_CHECK(!can_sub(a, "c", NULL, "#"));
	acl_free(a);
	a = NULL;
	T_CHECK_INT(acl_parse(NULL, 0, "acl", &a, err, ERRLEN), 0);
	T_CHECK(!can_read(a, "c", NULL, "x"));
	acl_free(a);
	acl_free(NULL);
}

/* Debian's /usr/share/doc/mosquitto/examples/aclfile.example. */
static void
test_mosquitto_example(void)
{
	static const char text[] =
	        "# This affects access control for clients with no "
	        "username.\n"
	        "topic read $SYS/#\n"
	        "\n"
	        "# This only affects clients with username \"roger\".\n"
	        "user roger\n"
	        "topic foo/bar\n"
	        "\n"
	        "# This affects all clients.\n"
	        "pattern write $SYS/broker/connection/%c/state\n";
	struct acl *a = NULL;
	char err[ERRLEN];

	T_CHECK_INT(parse(text, &a, err), 0);
	T_CHECK(can_read(a, "c", NULL, "$SYS/broker/uptime"));
	T_CHECK(!can_read(a, "c", "roger", "$SYS/broker/uptime"));
	T_CHECK(can_write(a, "c", "roger", "foo/bar"));
	T_CHECK(can_read(a, "c", "roger", "foo/bar"));
	T_CHECK(!can_write(a, "c", NULL, "foo/bar"));
	T_CHECK(can_write(a, "br1", "roger",
	                  "$SYS/broker/connection/br1/state"));
	T_CHECK(!can_write(a, "br1", NULL, "$SYS/broker/connection/br2/state"));
	acl_free(a);
}

/* Separators and line ends mosquitto reads, and a few it refuses. */
static void
test_layout(void)
{
	static const char text[] = "topic read crlf\r\n"
	                           "   topic   read   lead  \n"
	                           "topic\tread\ttabs\n"
	                           "topic read with space\n"
	                           "user #notacomment\n"
	                           "topic mine\n"
	                           "\ttopic read last";
	struct acl *a = NULL;
	char err[ERRLEN];

	T_CHECK_INT(parse(text, &a, err), 0);
	T_CHECK(can_read(a, "c", NULL, "crlf"));
	T_CHECK(can_read(a, "c", NULL, "lead"));
	T_CHECK(can_read(a, "c", NULL, "tabs"));
	T_CHECK(!can_write(a, "c", NULL, "tabs"));
	T_CHECK(can_read(a, "c", NULL, "with space"));
	T_CHECK(can_read(a, "c", "#notacomment", "mine"));
	T_CHECK(can_read(a, "c", "#notacomment", "last"));
	T_CHECK(!can_read(a, "c", NULL, "last"));
	acl_free(a);
}

static const struct {
	const char *text;
	const char *msg;
} malformed[] = {
        {"bogus line\n", "acl:1: unknown keyword 'bogus'"},
        {"Topic read foo\n", "acl:1: unknown keyword 'Topic'"},
        {"# ok\n\ntopic\n", "acl:3: topic: missing topic"},
        {"pattern   \n", "acl:1: pattern: missing topic"},
        {"topic a b\n", "acl:1: topic: unknown access 'a'"},
        {"topic READ foo\n", "acl:1: topic: unknown access 'READ'"},
        {"topic read\n", "acl:1: topic read: missing topic (for a topic "
                         "named 'read', write 'topic readwrite read')"},
        {"topic deny\n", "acl:1: topic deny: missing topic"},
        {"pattern write  \n", "acl:1: pattern write: missing topic"},
        {"topic a/#/b\n", "acl:1: topic: invalid topic filter 'a/#/b'"},
        {"topic read a+\n", "acl:1: topic: invalid topic filter 'a+'"},
        {"topic read #foo\n", "acl:1: topic: invalid topic filter '#foo'"},
        {"pattern p/%c#\n", "acl:1: pattern: invalid topic filter"},
        {"topic a\nuser\n", "acl:2: user: missing user name"},
        {"user \t \n", "acl:1: user: missing user name"},
        {"topic a\n\n\nfoo", "acl:4: unknown keyword 'foo'"},
};

static void
test_malformed(void)
{
	for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++) {
		struct acl *a = NULL;
		char err[ERRLEN];

		T_CHECK_INT(parse(malformed[i].text, &a, err), TERN_ECONFIG);
		T_CHECK(a == NULL);
		if (strncmp(err, malformed[i].msg, strlen(malformed[i].msg)) !=
		    0) {
			(void)fprintf(stderr, "got '%s' for '%s'\n", err,
			              malformed[i].text);
			T_CHECK(0);
		}
	}
}

static void
test_malformed_bytes(void)
{
	static const char nul[] = "topic a\ntopic b\0c\n";
	static char big[70000];
	struct acl *a = NULL;
	char err[ERRLEN];
	char tiny[8];

	T_CHECK_INT(acl_parse(nul, sizeof nul - 1, "f", &a, err, ERRLEN),
	            TERN_ECONFIG);
	T_CHECK(strcmp(err, "f:2: NUL byte in line") == 0);
	/* "user " and 65536 zeros; "topic " and as many. */
	T_CHECK_INT(snprintf(big, sizeof big, "user %0*d", 65536, 0), 65541);
	T_CHECK_INT(acl_parse(big, 65541, "f", &a, err, ERRLEN), TERN_ECONFIG);
	T_CHECK(strcmp(err, "f:1: user: name longer than 65535 bytes") == 0);
	T_CHECK_INT(snprintf(big, sizeof big, "topic %0*d", 65536, 0), 65542);
	T_CHECK_INT(acl_parse(big, 65542, "f", &a, err, ERRLEN), TERN_ECONFIG);
	/* A long value is quoted in part. */
	T_CHECK(strncmp(err, "f:1: topic: invalid topic filter '000", 37) == 0);
	T_CHECK(strlen(err) < 150);
	/* No room for the message, or none at all: the error still comes. */
	T_CHECK_INT(acl_parse("x", 1, "file", &a, tiny, sizeof tiny),
	            TERN_ECONFIG);
	T_CHECK(strlen(tiny) < sizeof tiny);
	T_CHECK_INT(acl_parse("x", 1, "file", &a, NULL, 0), TERN_ECONFIG);
	T_CHECK(a == NULL);
}

static void
test_load_file(void)
{
	char path[] = "/tmp/acl_test_XXXXXX";
	static const char text[] = "topic read a\nbad\n";
	struct acl *a = NULL;
	char err[ERRLEN];
	int fd = mkstemp(path);
	int e;

	T_CHECK(fd >= 0);
	T_CHECK(write(fd, text, 13) == 13);
	T_CHECK_INT(acl_load(path, &a, err, ERRLEN), 0);
	T_CHECK(can_read(a, "c", NULL, "a"));
	acl_free(a);
	a = NULL;
	T_CHECK(write(fd, text + 13, 4) == 4);
	e = acl_load(path, &a, err, ERRLEN);
	(void)close(fd);
	(void)unlink(path);
	T_CHECK_INT(e, TERN_ECONFIG);
	T_CHECK(a == NULL);
	T_CHECK(strstr(err, ":2: unknown keyword 'bad'") != NULL);
	T_CHECK(strncmp(err, path, strlen(path)) == 0);
	T_CHECK_INT(acl_load("/nonexistent/acl", &a, err, ERRLEN),
	            TERN_ECONFIG);
	T_CHECK(strcmp(err, "/nonexistent/acl: No such file or directory") ==
	        0);
}

static void
test_alloc_failures(void)
{
	static const char text[] = "topic read a/#\n"
	                           "topic deny a/b\n"
	                           "user u1\ntopic x\nuser u2\ntopic y\n"
	                           "user u3\ntopic z\nuser u4\ntopic w\n"
	                           "user u5\ntopic v\nuser u6\ntopic t\n"
	                           "user u7\ntopic s\nuser u8\ntopic r\n"
	                           "user u9\ntopic q\nuser u1\ntopic p\n"
	                           "topic o\ntopic n\ntopic m\ntopic l\n"
	                           "pattern read p/%c\n"
	                           "pattern deny p/%u\n";
	size_t base = alloc_in_use();
	char err[ERRLEN];
	int e = TERN_ENOMEM;

	for (long k = 0; e == TERN_ENOMEM && k < 1000; k++) {
		struct acl *a = NULL;

		alloc_fail_after(k);
		e = parse(text, &a, err);
		alloc_fail_after(-1);
		if (e == TERN_ENOMEM) {
			T_CHECK(strstr(err, "out of memory") != NULL);
			T_CHECK(a == NULL);
		} else {
			T_CHECK(can_write(a, "c", "u1", "p"));
			T_CHECK(can_read(a, "c", "u9", "p/c"));
		}
		acl_free(a);
		T_CHECK_INT(alloc_in_use(), base);
	}
	T_CHECK_INT(e, 0);
}

/* A small deterministic generator (xorshift). */
static uint32_t
next_rand(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Filters and topics in the models: at most 4 levels of 2 bytes. */
#define MODEL_MAX 32

/* Append level @level to the MODEL_MAX bytes at @out. */
static void
add_level(char *out, size_t i, const char *level)
{
	size_t n = strlen(out);

	(void)snprintf(out + n, MODEL_MAX - n, "%s%s", i > 0 ? "/" : "", level);
}

/* A random filter of 1..3 levels from @alphabet; valid or not. */
static void
random_filter(uint32_t *s, const char *const *alphabet, size_t n, char *out)
{
	size_t levels = 1 + next_rand(s) % 3;

	out[0] = '\0';
	for (size_t i = 0; i < levels; i++) {
		add_level(out, i, alphabet[next_rand(s) % n]);
	}
}

static const char *const filter_levels[] = {"a", "b", "", "$a", "+", "#"};
static const char *const name_levels[] = {"a", "b", "z", "", "$a"};

/* Every topic of 1..4 levels over name_levels, each once. */
static bool
next_topic(size_t *idx, char *out)
{
	size_t n = *idx, base = 5, levels = 1, count = 5;

	while (n >= count) {
		n -= count;
		count *= base;
		if (++levels > 4) {
			return false;
		}
	}
	out[0] = '\0';
	for (size_t i = 0; i < levels; i++) {
		add_level(out, i, name_levels[n % base]);
		n /= base;
	}
	(*idx)++;
	return true;
}

/* Brute force over the topic universe: share a topic; @r covers @f. */
static void
model(const char *r, const char *f, bool *overlap, bool *covers)
{
	char t[MODEL_MAX];
	size_t idx = 0;

	*overlap = false;
	*covers = true;
	while (next_topic(&idx, t)) {
		bool mr = topic_match(span_str(r), span_str(t));
		bool mf = topic_match(span_str(f), span_str(t));

		*overlap = *overlap || (mr && mf);
		*covers = *covers && (!mf || mr);
	}
}

/* ACL_SUBSCRIBE for a read rule @r and a deny @d against @f. */
static void
sub_answers(const char *r, const char *f, bool *overlap, bool *covers)
{
	char text[64];
	struct acl *a = NULL;
	char err[ERRLEN];

	(void)snprintf(text, sizeof text, "topic read %s\n", r);
	*overlap = parse(text, &a, err) == 0 && can_sub(a, "c", NULL, f);
	acl_free(a);
	a = NULL;
	/* @f reads itself unless @r, as a deny, covers it. */
	(void)snprintf(text, sizeof text, "topic deny %s\ntopic read %s\n", r,
	               f);
	*covers = parse(text, &a, err) == 0 && !can_sub(a, "c", NULL, f);
	acl_free(a);
}

/* Would "topic read @r" let a client subscribe to @f? */
static bool
can_sub_plain(const char *r, const char *f)
{
	bool overlap, covers;

	sub_answers(r, f, &overlap, &covers);
	return overlap;
}

/* The subscription matchers against the brute-force model. */
static void
test_subscribe_model(void)
{
	uint32_t s = 0x9e3779b9u;
	size_t tried = 0;

	for (int i = 0; i < 4000; i++) {
		char r[MODEL_MAX], f[MODEL_MAX];
		bool mo, mc, ao, ac;

		random_filter(&s, filter_levels, 6, r);
		random_filter(&s, filter_levels, 6, f);
		if (topic_check_filter(span_str(r)) != 0 ||
		    topic_check_filter(span_str(f)) != 0) {
			continue;
		}
		tried++;
		model(r, f, &mo, &mc);
		sub_answers(r, f, &ao, &ac);
		if (mo != ao || mc != ac) {
			(void)fprintf(stderr,
			              "rule '%s' filter '%s': overlap %d/%d, "
			              "covers %d/%d (model/acl)\n",
			              r, f, mo, ao, mc, ac);
			T_CHECK(0);
		}
	}
	T_CHECK(tried > 1000);
}

/*
 * Patterns are matched level by level, apart from topic_match(); with a
 * literal level of a rule replaced by %c, and the client id set to that
 * literal, the answers must not change.
 */
static void
test_pattern_model(void)
{
	uint32_t s = 0x12345678u;
	size_t tried = 0;

	for (int i = 0; i < 3000; i++) {
		char r[MODEL_MAX], f[MODEL_MAX], text[64], t[MODEL_MAX];
		const char *lit;
		size_t idx = 0;
		struct acl *a = NULL;
		char err[ERRLEN];

		random_filter(&s, filter_levels, 6, r);
		random_filter(&s, filter_levels, 6, f);
		lit = strstr(r, "b");
		if (topic_check_filter(span_str(r)) != 0 ||
		    topic_check_filter(span_str(f)) != 0 || lit == NULL) {
			continue;
		}
		tried++;
		(void)snprintf(text, sizeof text, "pattern read %.*s%%c%s\n",
		               (int)(lit - r), r, lit + 1);
		T_CHECK_INT(parse(text, &a, err), 0);
		while (next_topic(&idx, t)) {
			T_CHECK(can_read(a, "b", NULL, t) ==
			        topic_match(span_str(r), span_str(t)));
		}
		T_CHECK(can_sub(a, "b", NULL, f) == can_sub_plain(r, f));
		acl_free(a);
	}
	T_CHECK(tried > 500);
}

T_MAIN(T_CASE(test_anonymous), T_CASE(test_user_blocks),
       T_CASE(test_many_users), T_CASE(test_topic_is_literal),
       T_CASE(test_access_words), T_CASE(test_deny), T_CASE(test_group_order),
       T_CASE(test_patterns), T_CASE(test_special_ids), T_CASE(test_wildcards),
       T_CASE(test_sys), T_CASE(test_subscribe), T_CASE(test_empty),
       T_CASE(test_mosquitto_example), T_CASE(test_layout),
       T_CASE(test_malformed), T_CASE(test_malformed_bytes),
       T_CASE(test_load_file), T_CASE(test_alloc_failures),
       T_CASE(test_subscribe_model), T_CASE(test_pattern_model))
