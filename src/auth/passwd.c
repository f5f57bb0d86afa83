/*
 * passwd.c - the password file of mosquitto_passwd.
 *
 * A line is "USER:HASH" with blanks around either part ignored; blank
 * lines and lines whose first non-blank character is '#' are skipped.
 * HASH is one of mosquitto's two formats:
 *   $7$ITERATIONS$SALT$HASH  PBKDF2-HMAC-SHA512 (mosquitto 2.0, the default)
 *   $6$SALT$HASH             SHA-512 over password then salt (mosquitto 1.x)
 * SALT is 12 or 64 bytes and HASH 64 bytes, both in padded base64. Where
 * mosquitto drops a line it cannot read and carries on, Tern refuses the
 * file with FILE:LINE, so that a typo never locks a user out unnoticed.
 *
 * The database is sorted by user name and read-only once built, so any
 * thread may check passwords at once. A check for an unknown user costs
 * the same hash as a known one and answers the same TERN_EAUTH.
 */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "auth.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/file.h"

#define PW_HASH_LEN   64    /* SHA-512 */
#define PW_SALT_LEN   12    /* what mosquitto_passwd writes */
#define PW_SALT_MAX   64    /* what newer mosquitto may write */
#define PW_B64_MAX    128   /* longest base64 field read */
#define PW_ITERATIONS 101   /* mosquitto 2.0's default */
#define PW_USER_MAX   65535 /* an MQTT string */
#define PW_FILE_MAX   (64u << 20)

enum pw_kind {
	PW_SHA512 = 6,
	PW_PBKDF2 = 7,
};

struct passwd_entry {
	char *user; /* owned, NUL-terminated */
	size_t user_len;
	int line;
	enum pw_kind kind;
	unsigned iterations;
	size_t salt_len;
	uint8_t salt[PW_SALT_MAX];
	uint8_t hash[PW_HASH_LEN];
};

struct passwd_db {
	struct passwd_entry *v; /* sorted by user */
	size_t n, cap;
	/* Hashed for unknown users, so they cost what known ones do. */
	struct passwd_entry dummy;
};

static int
pw_nomem(const struct file_pos *x)
{
	(void)file_error(x, "out of memory");
	return TERN_ENOMEM;
}

static bool
is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' ||
	       ch == '\f';
}

/* @s without blanks at either end. */
static struct span
trim(struct span s)
{
	while (s.len > 0 && is_blank((char)s.p[0])) {
		s.p++;
		s.len--;
	}
	while (s.len > 0 && is_blank((char)s.p[s.len - 1])) {
		s.len--;
	}
	return s;
}

static bool
is_b64_char(uint8_t ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
	       (ch >= '0' && ch <= '9') || ch == '+' || ch == '/';
}

/*
 * Decode padded base64 @s into @out, which must take exactly @want bytes
 * (or, with @want2 nonzero, @want2 bytes). Sets *len. 0 or TERN_EINVAL.
 */
static int
b64_decode(struct span s, uint8_t *out, size_t want, size_t want2, size_t *len)
{
	uint8_t tmp[PW_B64_MAX / 4 * 3];
	size_t pad = 0, n;

	if (s.len == 0 || s.len % 4 != 0 || s.len > PW_B64_MAX) {
		return TERN_EINVAL;
	}
	while (pad < 2 && s.p[s.len - 1 - pad] == '=') {
		pad++;
	}
	for (size_t i = 0; i < s.len - pad; i++) {
		if (!is_b64_char(s.p[i])) {
			return TERN_EINVAL;
		}
	}
	n = s.len / 4 * 3 - pad;
	if (n != want && (want2 == 0 || n != want2)) {
		return TERN_EINVAL;
	}
	if (EVP_DecodeBlock(tmp, s.p, (int)s.len) < 0) {
		return TERN_EINVAL;
	}
	memcpy(out, tmp, n);
	*len = n;
	return 0;
}

/* The field of @s up to the next '$' (or the end); @s moves past it. */
static struct span
next_field(struct span *s)
{
	const uint8_t *d = memchr(s->p, '$', s->len);
	struct span f =
	        span_make(s->p, d != NULL ? (size_t)(d - s->p) : s->len);

	s->p += f.len;
	s->len -= f.len;
	if (d != NULL) {
		s->p++;
		s->len--;
	}
	return f;
}

/* A decimal iteration count in 1..INT_MAX. */
static int
parse_iterations(struct span f, unsigned *out)
{
	unsigned long v = 0;

	if (f.len == 0 || f.len > 10) {
		return TERN_EINVAL;
	}
	for (size_t i = 0; i < f.len; i++) {
		if (f.p[i] < '0' || f.p[i] > '9') {
			return TERN_EINVAL;
		}
		v = v * 10 + (unsigned long)(f.p[i] - '0');
	}
	if (v == 0 || v > INT_MAX) {
		return TERN_EINVAL;
	}
	*out = (unsigned)v;
	return 0;
}

/* "SALT$HASH", the tail of both formats. */
static int
parse_salt_hash(const struct file_pos *x, struct span s, struct passwd_entry *e)
{
	struct span salt = next_field(&s);
	size_t n;

	if (b64_decode(salt, e->salt, PW_SALT_LEN, PW_SALT_MAX, &e->salt_len) !=
	    0) {
		return file_error(x,
		                  "user '%s': the salt is not 12 or 64 bytes "
		                  "of base64",
		                  e->user);
	}
	if (memchr(s.p, '$', s.len) != NULL ||
	    b64_decode(s, e->hash, PW_HASH_LEN, 0, &n) != 0) {
		return file_error(x,
		                  "user '%s': the hash is not 64 bytes of "
		                  "base64",
		                  e->user);
	}
	return 0;
}

/* The hash part of a line, after "USER:". */
static int
parse_hash(const struct file_pos *x, struct span s, struct passwd_entry *e)
{
	if (s.len >= 3 && memcmp(s.p, "$7$", 3) == 0) {
		s.p += 3;
		s.len -= 3;
		e->kind = PW_PBKDF2;
		if (parse_iterations(next_field(&s), &e->iterations) != 0) {
			return file_error(x,
			                  "user '%s': bad iteration count "
			                  "(1..%d)",
			                  e->user, INT_MAX);
		}
		return parse_salt_hash(x, s, e);
	}
	if (s.len >= 3 && memcmp(s.p, "$6$", 3) == 0) {
		s.p += 3;
		s.len -= 3;
		e->kind = PW_SHA512;
		return parse_salt_hash(x, s, e);
	}
	if (s.len >= 10 && memcmp(s.p, "$argon2id$", 10) == 0) {
		return file_error(x,
		                  "user '%s': argon2id hashes are not "
		                  "supported yet",
		                  e->user);
	}
	return file_error(x,
	                  "user '%s': not a mosquitto_passwd hash ($7$ or "
	                  "$6$); a plain-text file must be converted with "
	                  "mosquitto_passwd -U",
	                  e->user);
}

static void
entry_fini(struct passwd_entry *e)
{
	tern_free(e->user);
	e->user = NULL;
}

/* Read "USER:HASH" (trimmed, not a comment) into @e. */
static int
parse_entry(const struct file_pos *x, struct span line, struct passwd_entry *e)
{
	const uint8_t *colon = memchr(line.p, ':', line.len);
	struct span user, hash;
	int err;

	memset(e, 0, sizeof *e);
	if (colon == NULL) {
		return file_error(x, "expected USER:HASH");
	}
	user = trim(span_make(line.p, (size_t)(colon - line.p)));
	hash = trim(span_make(colon + 1,
	                      (size_t)(line.p + line.len - (colon + 1))));
	if (user.len == 0) {
		return file_error(x, "empty user name");
	}
	if (user.len > PW_USER_MAX) {
		return file_error(x, "user name longer than %d bytes",
		                  PW_USER_MAX);
	}
	e->user = tern_strndup((const char *)user.p, user.len);
	if (e->user == NULL) {
		return pw_nomem(x);
	}
	e->user_len = user.len;
	e->line = x->line;
	err = parse_hash(x, hash, e);
	if (err != 0) {
		entry_fini(e);
	}
	return err;
}

static int
db_push(struct passwd_db *db, const struct passwd_entry *e)
{
	if (db->n == db->cap) {
		size_t cap = db->cap == 0 ? 16 : db->cap * 2;
		struct passwd_entry *v = tern_realloc(db->v, cap * sizeof *v);

		if (v == NULL) {
			return TERN_ENOMEM;
		}
		db->v = v;
		db->cap = cap;
	}
	db->v[db->n++] = *e;
	return 0;
}

/* One line of the file; blank lines and comments are fine. */
static int
parse_line(const struct file_pos *x, struct span line, struct passwd_db *db)
{
	struct passwd_entry e;
	int err;

	line = trim(line);
	if (line.len == 0 || line.p[0] == '#') {
		return 0;
	}
	if (memchr(line.p, '\0', line.len) != NULL) {
		return file_error(x, "NUL byte in line");
	}
	err = parse_entry(x, line, &e);
	if (err != 0) {
		return err;
	}
	if (db_push(db, &e) != 0) {
		entry_fini(&e);
		return pw_nomem(x);
	}
	return 0;
}

static int
entry_cmp_user(const struct passwd_entry *e, struct span user)
{
	size_t n = e->user_len < user.len ? e->user_len : user.len;
	int d = n > 0 ? memcmp(e->user, user.p, n) : 0;

	if (d != 0) {
		return d;
	}
	return e->user_len < user.len ? -1 : e->user_len > user.len;
}

static int
entry_cmp(const void *pa, const void *pb)
{
	const struct passwd_entry *a = pa, *b = pb;
	int d = entry_cmp_user(a, span_make(b->user, b->user_len));

	/* Equal names keep file order, so the later line is reported. */
	return d != 0 ? d : (a->line > b->line) - (a->line < b->line);
}

/* Sort by user; a name given twice is an error at its second line. */
static int
db_index(struct file_pos *x, struct passwd_db *db)
{
	if (db->n > 1) {
		qsort(db->v, db->n, sizeof db->v[0], entry_cmp);
	}
	for (size_t i = 1; i < db->n; i++) {
		const struct passwd_entry *a = &db->v[i - 1], *b = &db->v[i];

		if (entry_cmp_user(a, span_make(b->user, b->user_len)) == 0) {
			x->line = b->line;
			return file_error(x,
			                  "user '%s' is already defined at "
			                  "line %d",
			                  b->user, a->line);
		}
	}
	return 0;
}

/* The stand-in for unknown users, shaped like a real entry. */
static void
db_set_dummy(struct passwd_db *db)
{
	struct passwd_entry *d = &db->dummy;

	memset(d, 0, sizeof *d);
	d->kind = PW_PBKDF2;
	d->iterations = PW_ITERATIONS;
	d->salt_len = PW_SALT_LEN;
	if (db->n > 0) {
		d->kind = db->v[0].kind;
		d->iterations = db->v[0].iterations;
		d->salt_len = db->v[0].salt_len;
	}
}

void
passwd_free(struct passwd_db *db)
{
	if (db == NULL) {
		return;
	}
	for (size_t i = 0; i < db->n; i++) {
		entry_fini(&db->v[i]);
	}
	tern_free(db->v);
	tern_free(db);
}

static int
parse_lines(struct file_pos *x, const char *text, size_t len,
            struct passwd_db *db)
{
	size_t pos = 0;
	int err = 0;

	for (x->line = 1; pos < len && err == 0; x->line++) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl != NULL ? (size_t)(nl - (text + pos)) : len - pos;

		err = parse_line(x, span_make(text + pos, n), db);
		pos += n + 1;
	}
	return err;
}

int
passwd_parse(const char *text, size_t len, const char *name,
             struct passwd_db **out, char *err, size_t errlen)
{
	struct file_pos x = {name, 0, err, errlen};
	struct passwd_db *db;
	int e;

	if (err != NULL && errlen > 0) {
		err[0] = '\0';
	}
	db = tern_calloc(1, sizeof *db);
	if (db == NULL) {
		return pw_nomem(&x);
	}
	e = parse_lines(&x, text, len, db);
	if (e == 0) {
		e = db_index(&x, db);
	}
	if (e != 0) {
		passwd_free(db);
		return e;
	}
	db_set_dummy(db);
	*out = db;
	return 0;
}

int
passwd_load(const char *path, struct passwd_db **out, char *err, size_t errlen)
{
	struct buf b;
	int e;

	buf_init(&b);
	e = file_load(path, PW_FILE_MAX, &b, err, errlen);
	if (e == 0) {
		struct span s = buf_span(&b);

		e = passwd_parse((const char *)s.p, s.len, path, out, err,
		                 errlen);
	}
	buf_fini(&b);
	return e;
}

/* SHA-512 over @password then the salt of @e. */
static int
hash_sha512(const struct passwd_entry *e, struct span password,
            uint8_t out[PW_HASH_LEN])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned n = 0;
	int ok;

	if (ctx == NULL) {
		return TERN_ENOMEM;
	}
	ok = EVP_DigestInit_ex(ctx, EVP_sha512(), NULL) == 1 &&
	     EVP_DigestUpdate(ctx, password.p, password.len) == 1 &&
	     EVP_DigestUpdate(ctx, e->salt, e->salt_len) == 1 &&
	     EVP_DigestFinal_ex(ctx, out, &n) == 1 && n == PW_HASH_LEN;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : TERN_EIO;
}

/* The hash of @password under the scheme and salt of @e. */
static int
hash_password(const struct passwd_entry *e, struct span password,
              uint8_t out[PW_HASH_LEN])
{
	const char *p = password.p != NULL ? (const char *)password.p : "";

	if (password.len > INT_MAX) {
		return TERN_EINVAL;
	}
	if (e->kind == PW_SHA512) {
		return hash_sha512(e, span_make(p, password.len), out);
	}
	if (PKCS5_PBKDF2_HMAC(p, (int)password.len, e->salt, (int)e->salt_len,
	                      (int)e->iterations, EVP_sha512(), PW_HASH_LEN,
	                      out) != 1) {
		return TERN_EIO;
	}
	return 0;
}

static const struct passwd_entry *
find_user(const struct passwd_db *db, struct span user)
{
	size_t lo = 0, hi = db->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int d = entry_cmp_user(&db->v[mid], user);

		if (d == 0) {
			return &db->v[mid];
		}
		if (d < 0) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return NULL;
}

int
passwd_check(const struct passwd_db *db, struct span user, struct span password)
{
	const struct passwd_entry *e;
	uint8_t got[PW_HASH_LEN];
	bool known;
	int ok;

	if (db == NULL) {
		return TERN_EAUTH;
	}
	e = find_user(db, user);
	known = e != NULL;
	if (!known) {
		e = &db->dummy;
	}
	ok = hash_password(e, password, got) == 0 &&
	     CRYPTO_memcmp(got, e->hash, PW_HASH_LEN) == 0;
	OPENSSL_cleanse(got, sizeof got);
	return ok && known ? 0 : TERN_EAUTH;
}

int
passwd_hash(struct span password, unsigned iterations, char *out, size_t outlen)
{
	struct passwd_entry e;
	char salt64[PW_B64_MAX + 1], hash64[PW_B64_MAX + 1];
	int n, err;

	if (iterations == 0 || iterations > INT_MAX) {
		return TERN_EINVAL;
	}
	memset(&e, 0, sizeof e);
	e.kind = PW_PBKDF2;
	e.iterations = iterations;
	e.salt_len = PW_SALT_LEN;
	if (RAND_bytes(e.salt, (int)e.salt_len) != 1) {
		return TERN_EIO;
	}
	err = hash_password(&e, password, e.hash);
	if (err != 0) {
		return err;
	}
	/* The lengths are known; the buffers hold 96 bytes' worth. */
	(void)EVP_EncodeBlock((unsigned char *)salt64, e.salt, (int)e.salt_len);
	(void)EVP_EncodeBlock((unsigned char *)hash64, e.hash, PW_HASH_LEN);
	n = snprintf(out, outlen, "$7$%u$%s$%s", iterations, salt64, hash64);
	OPENSSL_cleanse(&e, sizeof e);
	if (n < 0 || (size_t)n >= outlen) {
		if (outlen > 0) {
			out[0] = '\0';
		}
		return TERN_EINVAL;
	}
	return 0;
}
