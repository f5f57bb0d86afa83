/*
 * passwd_test.c - mosquitto_passwd files: real fixtures, passwd_hash()
 * round trips, malformed lines, allocation failures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "auth.h"
#include "base/alloc.h"
#include "base/err.h"
#include "base/test.h"

#define ERRLEN 512

/*
 * Written by Debian's mosquitto_passwd 2.0.11:
 *   mosquitto_passwd -c -b pw alice secret
 *   mosquitto_passwd -b pw bob hunter2
 *   mosquitto_passwd -H sha512 -b pw carol 'p@ss:word'
 *   mosquitto_passwd -b pw dave ''
 *   mosquitto_passwd -H sha512 -b pw eve 'longer password with spaces'
 */
#define ALICE                                                                  \
	"alice:$7$101$axsUPjWK4xEwdWUc$BRNayIJgt0UxPbzUgxMn7EW6FYHVQTkqr1UoBX" \
	"0bqD748JwvCyQHRhWbpcox79zZbapPwG66on2OyHxhravlpw=="
#define BOB                                                                    \
	"bob:$7$101$ctHBQRTAltnq5CF9$2Azsy0dEb2PDSjxFKncqZxFCWl8n71UOM70axL1G" \
	"k1dnPjtmK2NLl88Kw2CMIRX+dvNDOCOix726ps8CFyyHOw=="
#define CAROL_HASH                                                             \
	"$6$YSAe20RzrO2zLKHa$CfJZTFS1KM4oj3afeMFUe996Xs/JzHvWBRoLzEJKV66mebMT" \
	"f/yz7kxHy3m+ANpLvVO0kEO7OU9e1V9mauXBKQ=="
#define CAROL "carol:" CAROL_HASH
#define DAVE                                                                   \
	"dave:$7$101$IrUNEr6l6hFGANLR$ZvI53eltdjrD+P4wJBu+Jp2175MfSzEWBDeeUXJ" \
	"FxNCEwPOcXqj9k2RelQw0m07/xuiHFkK6XSaHueY6h4JpPQ=="
#define EVE                                                                    \
	"eve:$6$s5Xc/2OpszgLWS7j$HHNmh9lSZ/sI/6AYhObuOAxiSObF+BLIuPQNpXI2qRBG" \
	"ftZooiEbL+HBcyk//reMkaffA1dguPnDvv8NzAHQYQ=="
/*
 * The 64-byte salt and the iteration count newer mosquitto may write,
 * made with Python's hashlib.pbkdf2_hmac('sha512', b'long salt',
 * bytes(range(64)), 1000).
 */
#define FRANK                                                                  \
	"frank:$7$1000$AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJy" \
	"gpKissLS4vMDEyMzQ1Njc4OTo7PD0+Pw==$n+V9SCsiO+gwA/qjdjQMMw7MwGYSwyA29" \
	"DHs/gIKEAHGcxsim2Cn/dWUam7T2Rni4QEEwPvg22OiDMZDREfxaQ=="

static const char fixture[] =
        ALICE "\n" BOB "\n" CAROL "\n" DAVE "\n" EVE "\n" FRANK "\n";

static int
check(const struct passwd_db *db, const char *user, const char *password)
{
	return passwd_check(db, span_str(user), span_str(password));
}

static void
test_mosquitto_fixtures(void)
{
	struct passwd_db *db = NULL;
	char err[ERRLEN];

	T_CHECK_INT(
	        passwd_parse(fixture, strlen(fixture), "pw", &db, err, ERRLEN),
	        0);
	T_CHECK_INT(check(db, "alice", "secret"), 0);
	T_CHECK_INT(check(db, "bob", "hunter2"), 0);
	T_CHECK_INT(check(db, "carol", "p@ss:word"), 0);
	T_CHECK_INT(check(db, "dave", ""), 0);
	T_CHECK_INT(check(db, "eve", "longer password with spaces"), 0);
	T_CHECK_INT(check(db, "frank", "long salt"), 0);

	T_CHECK_INT(check(db, "alice", "Secret"), TERN_EAUTH);
	T_CHECK_INT(check(db, "alice", "secret "), TERN_EAUTH);
	T_CHECK_INT(check(db, "alice", ""), TERN_EAUTH);
	T_CHECK_INT(check(db, "alice", "hunter2"), TERN_EAUTH);
	T_CHECK_INT(check(db, "bob", "secret"), TERN_EAUTH);
	T_CHECK_INT(check(db, "carol", "p@ss"), TERN_EAUTH);
	T_CHECK_INT(check(db, "dave", "x"), TERN_EAUTH);
	T_CHECK_INT(check(db, "eve", "longer password with space"), TERN_EAUTH);
	T_CHECK_INT(check(db, "frank", "long salt!"), TERN_EAUTH);

	T_CHECK_INT(check(db, "mallory", "secret"), TERN_EAUTH);
	T_CHECK_INT(check(db, "Alice", "secret"), TERN_EAUTH);
	T_CHECK_INT(check(db, "alic", "secret"), TERN_EAUTH);
	T_CHECK_INT(check(db, "alice2", "secret"), TERN_EAUTH);
	T_CHECK_INT(check(db, "", ""), TERN_EAUTH);
	T_CHECK_INT(passwd_check(db, span_make(NULL, 0), span_make(NULL, 0)),
	            TERN_EAUTH);
	T_CHECK_INT(passwd_check(NULL, span_str("alice"), span_str("secret")),
	            TERN_EAUTH);
	passwd_free(db);
}

/*
 * A password is bytes, NUL included. (PBKDF2 pads its HMAC key with zero
 * bytes, so trailing NULs are the one thing that does not change a $7$
 * hash, as in every PBKDF2-HMAC implementation.)
 */
static void
test_password_bytes(void)
{
	static const char text[] = ALICE "\n" CAROL "\n";
	struct passwd_db *db = NULL;
	char err[ERRLEN];

	T_CHECK_INT(passwd_parse(text, strlen(text), "pw", &db, err, ERRLEN),
	            0);
	T_CHECK_INT(
	        passwd_check(db, span_str("alice"), span_make("sec\0ret", 7)),
	        TERN_EAUTH);
	T_CHECK_INT(passwd_check(db, span_str("carol"),
	                         span_make("p@ss:word\0", 10)),
	            TERN_EAUTH);
	T_CHECK_INT(
	        passwd_check(db, span_make("alice\0", 6), span_str("secret")),
	        TERN_EAUTH);
	passwd_free(db);
}

static void
test_layout(void)
{
	static const char text[] = "# users\r\n"
	                           "\n"
	                           "   # indented comment\n"
	                           "  " ALICE "  \r\n"
	                           "\t\n"
	                           " carol \t: " CAROL_HASH;
	struct passwd_db *db = NULL;
	char err[ERRLEN];

	T_CHECK_INT(passwd_parse(text, strlen(text), "pw", &db, err, ERRLEN),
	            0);
	T_CHECK_INT(check(db, "alice", "secret"), 0);
	T_CHECK_INT(check(db, "carol", "p@ss:word"), 0);
	passwd_free(db);

	T_CHECK_INT(passwd_parse("", 0, "pw", &db, err, ERRLEN), 0);
	T_CHECK_INT(check(db, "alice", "secret"), TERN_EAUTH);
	passwd_free(db);
	passwd_free(NULL);
}

static void
test_hash_round_trip(void)
{
	char hash[256], line[300], other[256], err[ERRLEN];
	struct passwd_db *db = NULL;

	T_CHECK_INT(passwd_hash(span_str("s3cret"), 101, hash, sizeof hash), 0);
	T_CHECK(strncmp(hash, "$7$101$", 7) == 0);
	T_CHECK_INT(strlen(hash), 7 + 16 + 1 + 88);
	T_CHECK(hash[7 + 16] == '$');
	T_CHECK_INT(passwd_hash(span_str("s3cret"), 101, other, sizeof other),
	            0);
	T_CHECK(strcmp(hash, other) != 0); /* a fresh salt each time */

	(void)snprintf(line, sizeof line, "zoe:%s\n", hash);
	T_CHECK_INT(passwd_parse(line, strlen(line), "pw", &db, err, ERRLEN),
	            0);
	T_CHECK_INT(check(db, "zoe", "s3cret"), 0);
	T_CHECK_INT(check(db, "zoe", "s3cre"), TERN_EAUTH);
	passwd_free(db);

	T_CHECK_INT(passwd_hash(span_make(NULL, 0), 1000, hash, sizeof hash),
	            0);
	T_CHECK(strncmp(hash, "$7$1000$", 8) == 0);
	(void)snprintf(line, sizeof line, "zoe:%s", hash);
	T_CHECK_INT(passwd_parse(line, strlen(line), "pw", &db, err, ERRLEN),
	            0);
	T_CHECK_INT(check(db, "zoe", ""), 0);
	T_CHECK_INT(check(db, "zoe", "x"), TERN_EAUTH);
	passwd_free(db);
}

static void
test_hash_errors(void)
{
	char hash[256];

	T_CHECK_INT(passwd_hash(span_str("x"), 0, hash, sizeof hash),
	            TERN_EINVAL);
	T_CHECK_INT(passwd_hash(span_str("x"), 101, hash, 112), TERN_EINVAL);
	T_CHECK(hash[0] == '\0');
	T_CHECK_INT(passwd_hash(span_str("x"), 101, hash, 113), 0);
	T_CHECK_INT(passwd_hash(span_str("x"), 101, NULL, 0), TERN_EINVAL);
}

#define SALT "axsUPjWK4xEwdWUc"
#define HASH                                                                   \
	"BRNayIJgt0UxPbzUgxMn7EW6FYHVQTkqr1UoBX0bqD748JwvCyQHRhWbpcox79zZbapP" \
	"wG66on2OyHxhravlpw=="

struct bad_case {
	const char *text;
	const char *msg;
};

static const struct bad_case bad_cases[] = {
        {"alice", "pw:1: expected USER:HASH"},
        {"# c\n\nalice secret", "pw:3: expected USER:HASH"},
        {":$7$101$" SALT "$" HASH, "pw:1: empty user name"},
        {"  \t:x", "pw:1: empty user name"},
        {"alice:secret",
         "pw:1: user 'alice': not a mosquitto_passwd hash ($7$ or $6$); a "
         "plain-text file must be converted with mosquitto_passwd -U"},
        {"alice:", "pw:1: user 'alice': not a mosquitto_passwd hash ($7$ or "
                   "$6$); a plain-text file must be converted with "
                   "mosquitto_passwd -U"},
        {"alice:$5$" SALT "$" HASH,
         "pw:1: user 'alice': not a mosquitto_passwd hash ($7$ or $6$); a "
         "plain-text file must be converted with mosquitto_passwd -U"},
        {"alice:$argon2id$v=19$m=65536,t=3,p=1$c2FsdA$aGFzaA",
         "pw:1: user 'alice': argon2id hashes are not supported yet"},
        {"alice:$7$0$" SALT "$" HASH,
         "pw:1: user 'alice': bad iteration count (1..2147483647)"},
        {"alice:$7$2147483648$" SALT "$" HASH,
         "pw:1: user 'alice': bad iteration count (1..2147483647)"},
        {"alice:$7$-1$" SALT "$" HASH,
         "pw:1: user 'alice': bad iteration count (1..2147483647)"},
        {"alice:$7$x$" SALT "$" HASH,
         "pw:1: user 'alice': bad iteration count (1..2147483647)"},
        {"alice:$7$$" SALT "$" HASH,
         "pw:1: user 'alice': bad iteration count (1..2147483647)"},
        {"alice:$7$101$axsUPjWK4xEw$" HASH,
         "pw:1: user 'alice': the salt is not 12 or 64 bytes of base64"},
        {"alice:$7$101$axsUPjWK4xEwdWU*$" HASH,
         "pw:1: user 'alice': the salt is not 12 or 64 bytes of base64"},
        {"alice:$7$101$$" HASH,
         "pw:1: user 'alice': the salt is not 12 or 64 bytes of base64"},
        {"alice:$7$101$" SALT,
         "pw:1: user 'alice': the hash is not 64 bytes of base64"},
        {"alice:$7$101$" SALT "$",
         "pw:1: user 'alice': the hash is not 64 bytes of base64"},
        {"alice:$7$101$" SALT "$" HASH "$",
         "pw:1: user 'alice': the hash is not 64 bytes of base64"},
        {"alice:$7$101$" SALT "$" HASH "AAAA",
         "pw:1: user 'alice': the hash is not 64 bytes of base64"},
        {"alice:$7$101$" SALT "$" SALT,
         "pw:1: user 'alice': the hash is not 64 bytes of base64"},
        {"alice:$7$101$" SALT "$=" HASH,
         "pw:1: user 'alice': the hash is not 64 bytes of base64"},
        {"alice:$6$" SALT,
         "pw:1: user 'alice': the hash is not 64 bytes of base64"},
        {"alice:$6$" SALT "$" HASH " x",
         "pw:1: user 'alice': the hash is not 64 bytes of base64"},
        {ALICE "\n" BOB "\n" ALICE,
         "pw:3: user 'alice' is already defined at line 1"},
        {BOB "\n" ALICE "\n#\n" CAROL "\n  alice :$6$" SALT "$" HASH,
         "pw:5: user 'alice' is already defined at line 2"},
};

static void
test_malformed(void)
{
	for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
		const struct bad_case *b = &bad_cases[i];
		struct passwd_db *db = NULL;
		char err[ERRLEN] = "";
		int e = passwd_parse(b->text, strlen(b->text), "pw", &db, err,
		                     ERRLEN);

		if (e != TERN_ECONFIG || strcmp(err, b->msg) != 0) {
			fprintf(stderr, "case %zu: %d '%s'\n", i, e, err);
		}
		T_CHECK_INT(e, TERN_ECONFIG);
		T_CHECK(strcmp(err, b->msg) == 0);
		T_CHECK(db == NULL);
	}
}

static void
test_nul_byte(void)
{
	static const char text[] = "alice:x\0y\n";
	struct passwd_db *db = NULL;
	char err[ERRLEN];

	T_CHECK_INT(passwd_parse(text, sizeof text - 1, "pw", &db, err, ERRLEN),
	            TERN_ECONFIG);
	T_CHECK(strcmp(err, "pw:1: NUL byte in line") == 0);
}

static void
test_load_file(void)
{
	char path[] = "/tmp/tern-passwd-test-XXXXXX";
	struct passwd_db *db = NULL;
	char err[ERRLEN], want[ERRLEN];
	FILE *f;
	int fd;

	fd = mkstemp(path);
	T_CHECK(fd >= 0);
	f = fdopen(fd, "w");
	T_CHECK(f != NULL);
	fputs(fixture, f);
	T_CHECK_INT(fclose(f), 0);
	T_CHECK_INT(passwd_load(path, &db, err, ERRLEN), 0);
	T_CHECK_INT(check(db, "bob", "hunter2"), 0);
	T_CHECK_INT(check(db, "bob", "hunter3"), TERN_EAUTH);
	passwd_free(db);
	db = NULL;

	f = fopen(path, "a");
	T_CHECK(f != NULL);
	fputs("bob\n", f);
	T_CHECK_INT(fclose(f), 0);
	T_CHECK_INT(passwd_load(path, &db, err, ERRLEN), TERN_ECONFIG);
	(void)snprintf(want, sizeof want, "%s:7: expected USER:HASH", path);
	T_CHECK(strcmp(err, want) == 0);
	T_CHECK(db == NULL);

	T_CHECK_INT(unlink(path), 0);
	T_CHECK_INT(passwd_load(path, &db, err, ERRLEN), TERN_ECONFIG);
	(void)snprintf(want, sizeof want, "%s: No such file or directory",
	               path);
	T_CHECK(strcmp(err, want) == 0);
	T_CHECK(db == NULL);
}

/* Every allocation failing in turn: a clean error, nothing leaked. */
static void
test_alloc_failures(void)
{
	size_t base = alloc_in_use();
	char err[ERRLEN];
	int e = TERN_ENOMEM;

	for (long k = 0; e == TERN_ENOMEM && k < 1000; k++) {
		struct passwd_db *db = NULL;

		alloc_fail_after(k);
		e = passwd_parse(fixture, strlen(fixture), "pw", &db, err,
		                 ERRLEN);
		alloc_fail_after(-1);
		if (e == TERN_ENOMEM) {
			T_CHECK(strstr(err, "out of memory") != NULL);
			T_CHECK(db == NULL);
		} else {
			T_CHECK_INT(
			        check(db, "eve", "longer password with spaces"),
			        0);
		}
		passwd_free(db);
		T_CHECK_INT(alloc_in_use(), base);
	}
	T_CHECK_INT(e, 0);
}

T_MAIN(T_CASE(test_mosquitto_fixtures), T_CASE(test_password_bytes),
       T_CASE(test_layout), T_CASE(test_hash_round_trip),
       T_CASE(test_hash_errors), T_CASE(test_malformed), T_CASE(test_nul_byte),
       T_CASE(test_load_file), T_CASE(test_alloc_failures))
