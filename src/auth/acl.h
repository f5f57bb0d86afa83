/*
 * acl.h - what a client may do: mosquitto's acl_file.
 *
 * The file is read once into a struct acl that never changes after; any
 * number of threads may then call acl_check() on it at once. The rules
 * and how they are matched are described in docs/ACL.md.
 */
#ifndef TERN_AUTH_ACL_H
#define TERN_AUTH_ACL_H

#include <stddef.h>

#include "../base/span.h"

struct acl;

/* The access asked for; the values are bits, as in the file's rules. */
enum acl_access {
	ACL_READ = 1,      /* a message on this topic is delivered to us */
	ACL_WRITE = 2,     /* we publish on this topic */
	ACL_SUBSCRIBE = 4, /* we subscribe with this filter */
};

/*
 * acl_load() - read the acl_file at @path: '#' comment lines and blank
 * lines, "topic [read|write|readwrite|deny] TOPIC" (before the first
 * "user" line: for anonymous clients), "user NAME" (the rules after it
 * are NAME's), "pattern [read|write|readwrite|deny] TOPIC" (for every
 * client, %c and %u standing for its client id and user name).
 * On success *out owns the rules (free them with acl_free()). On error
 * nothing stays allocated, *out is untouched and @err (if not NULL) holds
 * "FILE:LINE: what" (or "FILE: what" when the file cannot be read);
 * returns TERN_ECONFIG, or TERN_ENOMEM. Thread: any.
 */
int acl_load(const char *path, struct acl **out, char *err, size_t errlen);

/*
 * acl_parse() - the same from the @len bytes at @text (which may hold no
 * NUL byte); @name is the file name used in messages. Thread: any.
 */
int acl_parse(const char *text, size_t len, const char *name, struct acl **out,
              char *err, size_t errlen);

/* acl_free() - release what acl_load() or acl_parse() made; NULL ok. */
void acl_free(struct acl *a);

/*
 * acl_check() - may the client @client_id, logged in as @username, have
 * @access to @topic? A @username of length 0 is an anonymous client.
 * For ACL_READ and ACL_WRITE @topic is a valid topic name; for
 * ACL_SUBSCRIBE it is a valid topic filter, without any "$share/GROUP/"
 * prefix. The subscribe check only refuses a filter that no delivery
 * could pass, so the broker must still check every message it delivers
 * with ACL_READ. Returns 0 (allowed) or TERN_EDENIED (also for a NULL
 * @a). Allocates nothing; all arguments are borrowed.
 * Thread: any, concurrently (@a is read-only).
 */
int acl_check(const struct acl *a, struct span client_id, struct span username,
              struct span topic, enum acl_access access);

#endif
