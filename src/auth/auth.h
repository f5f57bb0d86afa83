/*
 * auth.h - who may connect: the mosquitto password file.
 */
#ifndef TERN_AUTH_AUTH_H
#define TERN_AUTH_AUTH_H

#include <stddef.h>

#include "../base/span.h"

struct passwd_db;

/*
 * passwd_load() - read a mosquitto_passwd file: lines "user:$7$..."
 * (PBKDF2-SHA512, "$7$ITERATIONS$SALT_B64$HASH_B64"), "user:$6$..."
 * (SHA512 salted, mosquitto 1.x) ; blank lines and '#' comments skipped.
 * On error returns TERN_ECONFIG with "FILE:LINE: what" in @err.
 * On success *out owns the database. Thread: any.
 */
int passwd_load(const char *path, struct passwd_db **out, char *err,
                size_t errlen);

/* passwd_parse() - the same from memory (@name for messages). */
int passwd_parse(const char *text, size_t len, const char *name,
                 struct passwd_db **out, char *err, size_t errlen);

/* passwd_free() - NULL ok. */
void passwd_free(struct passwd_db *db);

/*
 * passwd_check() - 0 if @user exists and @password matches, TERN_EAUTH
 * otherwise (unknown user and wrong password are not distinguished, and
 * the comparison is constant-time). Thread: any (the db is read-only).
 */
int passwd_check(const struct passwd_db *db, struct span user,
                 struct span password);

/*
 * passwd_hash() - a "$7$" line's hash part for @password with @iterations
 * and a fresh random salt, NUL-terminated in @out. For `tern passwd`.
 * 0, TERN_EINVAL (no room) or TERN_EIO (no randomness).
 */
int passwd_hash(struct span password, unsigned iterations, char *out,
                size_t outlen);

#endif
