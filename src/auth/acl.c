/*
 * acl.c - mosquitto's acl_file: parser and matcher.
 *
 * A file is a list of rules in three groups: the anonymous block (topic
 * lines before the first "user" line), one block per user name (blocks
 * for the same name are merged, as mosquitto does), and the patterns
 * (pattern lines, wherever they stand). Each group keeps its deny rules
 * apart from its allow rules, because a deny that matches decides before
 * any allow of the same group. docs/ACL.md gives the rules a client sees;
 * where they differ from mosquitto 2.0.11 is in docs/COMPATIBILITY.md.
 *
 * A check is (mosquitto 2.0.11's order, verified against it):
 *   1. the client's own group: the anonymous block for a client without a
 *      user name, else its user's block (none if the file has none);
 *      a matching deny refuses, a matching allow with the access grants;
 *   2. the patterns, the same way, unless the client id or user name holds
 *      '+' or '#', which refuses (CVE-2017-7650);
 *   3. otherwise refused.
 *
 * Invariants: once built a struct acl never changes, so checks need no
 * lock; a check allocates nothing and walks each rule once (no recursion),
 * and %c and %u are compared in place, one topic level at a time, so a
 * client id or user name can only ever stand for one whole level's worth
 * of text and never for a separator or a wildcard.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "acl.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/file.h"
#include "codec/levels.h"
#include "codec/mqtt.h"

#define ACL_NAME_MAX  65535u      /* an MQTT string */
#define ACL_FILE_MAX  (64u << 20) /* refuse larger files */
#define ACL_SHOW_MAX  80          /* bytes of a bad value quoted back */
#define ACL_NO_USER   SIZE_MAX    /* the anonymous block */
#define ACL_ACCESS_RW (ACL_READ | ACL_WRITE)

/* Placeholders a pattern holds; also which one opens it (rule.lead). */
enum {
	SUBST_C = 1, /* %c, the client id */
	SUBST_U = 2, /* %u, the user name */
};

struct acl_rule {
	char *topic; /* owned, NUL-terminated, a valid topic filter */
	size_t len;
	uint8_t access; /* ACL_READ | ACL_WRITE; 0 in a deny rule */
	uint8_t subst;  /* SUBST_* found in the text (patterns only) */
	uint8_t lead;   /* the SUBST_* the text starts with, or 0 */
};

struct rule_vec {
	struct acl_rule *v;
	size_t n, cap;
};

/* One group: a matching deny decides before any allow. */
struct rule_set {
	struct rule_vec deny, allow;
};

struct acl_user {
	char *name; /* owned */
	size_t name_len;
	uint64_t hash;
	struct rule_set rules;
};

struct acl {
	struct rule_set anon;
	struct rule_set patterns;
	struct acl_user *users;
	size_t n_users, cap_users;
	/* Open addressing over users: slot holds index + 1, 0 is empty. */
	size_t *slots;
	size_t n_slots; /* 0 or a power of two, at least twice n_users */
};

/* Parser state. */
struct acl_ctx {
	struct file_pos at; /* where messages point, and where they go */
	struct acl *acl;
	size_t user; /* index into acl->users, or ACL_NO_USER */
};

static int
acl_nomem(const struct acl_ctx *x)
{
	(void)file_error(&x->at, "out of memory");
	return TERN_ENOMEM;
}

/* How many bytes of @s to quote in a message. */
static int
show_len(struct span s)
{
	return s.len > ACL_SHOW_MAX ? ACL_SHOW_MAX : (int)s.len;
}

/* ---- Lines and words ---- */

static bool
is_blank(uint8_t ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' ||
	       ch == '\f';
}

static struct span
trim(struct span s)
{
	while (s.len > 0 && is_blank(s.p[0])) {
		s.p++;
		s.len--;
	}
	while (s.len > 0 && is_blank(s.p[s.len - 1])) {
		s.len--;
	}
	return s;
}

/* The first word of trimmed @s; *rest gets what follows, trimmed. */
static struct span
next_word(struct span s, struct span *rest)
{
	size_t n = 0;

	while (n < s.len && !is_blank(s.p[n])) {
		n++;
	}
	*rest = trim(span_make(s.p + n, s.len - n));
	return span_make(s.p, n);
}

/* ---- Building ---- */

static void
rule_vec_fini(struct rule_vec *rv)
{
	for (size_t i = 0; i < rv->n; i++) {
		tern_free(rv->v[i].topic);
	}
	tern_free(rv->v);
}

static void
rule_set_fini(struct rule_set *rs)
{
	rule_vec_fini(&rs->deny);
	rule_vec_fini(&rs->allow);
}

/* Room for one more rule in @rv. 0 or TERN_ENOMEM. */
static int
rule_vec_reserve(struct rule_vec *rv)
{
	struct acl_rule *v;
	size_t cap;

	if (rv->n < rv->cap) {
		return 0;
	}
	cap = rv->cap == 0 ? 4 : rv->cap * 2;
	v = tern_realloc(rv->v, cap * sizeof *v);
	if (v == NULL) {
		return TERN_ENOMEM;
	}
	rv->v = v;
	rv->cap = cap;
	return 0;
}

/* Which placeholder, if any, starts at @i of @t. */
static uint8_t
subst_at(struct span t, size_t i)
{
	if (t.p[i] != '%' || i + 1 >= t.len) {
		return 0;
	}
	return t.p[i + 1] == 'c' ? SUBST_C : t.p[i + 1] == 'u' ? SUBST_U : 0;
}

/*
 * The placeholders in @t, read left to right as mosquitto substitutes
 * them ("%%c" is a '%' then the client id). Across a '/' nothing pairs.
 */
static uint8_t
find_subst(struct span t, uint8_t *lead)
{
	uint8_t found = 0;

	*lead = t.len > 0 ? subst_at(t, 0) : 0;
	for (size_t i = 0; i < t.len; i++) {
		uint8_t s = subst_at(t, i);

		if (s != 0) {
			found |= s;
			i++;
		}
	}
	return found;
}

/* Add a rule for @topic to @rs. 0 or TERN_ENOMEM. */
static int
rule_set_add(struct rule_set *rs, struct span topic, uint8_t access,
             bool pattern)
{
	struct rule_vec *rv = access == 0 ? &rs->deny : &rs->allow;
	struct acl_rule r = {NULL, topic.len, access, 0, 0};

	if (rule_vec_reserve(rv) != 0) {
		return TERN_ENOMEM;
	}
	r.topic = tern_strndup((const char *)topic.p, topic.len);
	if (r.topic == NULL) {
		return TERN_ENOMEM;
	}
	if (pattern) {
		r.subst = find_subst(topic, &r.lead);
	}
	rv->v[rv->n++] = r;
	return 0;
}

/* FNV-1a: user names come from the trusted file, lookups are short. */
static uint64_t
name_hash(struct span s)
{
	uint64_t h = 14695981039346656037u;

	for (size_t i = 0; i < s.len; i++) {
		h = (h ^ s.p[i]) * 1099511628211u;
	}
	return h;
}

/* The slot where @name is, or the empty slot where it would go. */
static size_t *
find_slot(const struct acl *a, struct span name, uint64_t h)
{
	size_t mask = a->n_slots - 1;

	for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
		size_t *slot = &a->slots[i];
		const struct acl_user *u;

		if (*slot == 0) {
			return slot;
		}
		u = &a->users[*slot - 1];
		if (u->hash == h &&
		    span_eq(span_make(u->name, u->name_len), name)) {
			return slot;
		}
	}
}

/* Keep at least one slot in two empty, for one more user. */
static int
grow_slots(struct acl *a)
{
	size_t n = a->n_slots == 0 ? 16 : a->n_slots * 2;
	size_t *old = a->slots;
	size_t *slots;

	if ((a->n_users + 1) * 2 <= a->n_slots) {
		return 0;
	}
	slots = tern_calloc(n, sizeof *slots);
	if (slots == NULL) {
		return TERN_ENOMEM;
	}
	a->slots = slots;
	a->n_slots = n;
	for (size_t i = 0; i < a->n_users; i++) {
		const struct acl_user *u = &a->users[i];

		*find_slot(a, span_make(u->name, u->name_len), u->hash) = i + 1;
	}
	tern_free(old);
	return 0;
}

static int
grow_users(struct acl *a)
{
	struct acl_user *v;
	size_t cap;

	if (a->n_users < a->cap_users) {
		return 0;
	}
	cap = a->cap_users == 0 ? 8 : a->cap_users * 2;
	v = tern_realloc(a->users, cap * sizeof *v);
	if (v == NULL) {
		return TERN_ENOMEM;
	}
	a->users = v;
	a->cap_users = cap;
	return 0;
}

/* The index of @name's block, made empty if it is new. */
static int
user_block(struct acl *a, struct span name, size_t *index)
{
	uint64_t h = name_hash(name);
	struct acl_user *u;
	size_t *slot;

	if (grow_slots(a) != 0 || grow_users(a) != 0) {
		return TERN_ENOMEM;
	}
	slot = find_slot(a, name, h);
	if (*slot != 0) {
		*index = *slot - 1;
		return 0;
	}
	u = &a->users[a->n_users];
	memset(u, 0, sizeof *u);
	u->name = tern_strndup((const char *)name.p, name.len);
	if (u->name == NULL) {
		return TERN_ENOMEM;
	}
	u->name_len = name.len;
	u->hash = h;
	*slot = a->n_users + 1;
	*index = a->n_users++;
	return 0;
}

/* ---- Parsing ---- */

struct access_word {
	const char *word;
	uint8_t access;
};

static const struct access_word access_words[] = {
        {"read", ACL_READ},
        {"write", ACL_WRITE},
        {"readwrite", ACL_ACCESS_RW},
        {"deny", 0},
};

static const struct access_word *
find_access(struct span w)
{
	for (size_t i = 0; i < sizeof access_words / sizeof access_words[0];
	     i++) {
		if (span_eq_str(w, access_words[i].word)) {
			return &access_words[i];
		}
	}
	return NULL;
}

/*
 * "[ACCESS] TOPIC" after "topic" or "pattern". With one word, the word is
 * the topic; with more, the first is the access and the rest (spaces and
 * all) the topic, as in mosquitto.
 */
static int
parse_rule_args(const struct acl_ctx *x, const char *kw, struct span args,
                struct span *topic, uint8_t *access)
{
	struct span rest, w = next_word(args, &rest);
	const struct access_word *aw = find_access(w);

	if (w.len == 0) {
		return file_error(&x->at, "%s: missing topic", kw);
	}
	if (rest.len == 0 && aw != NULL) {
		/* mosquitto would read "topic read" as the topic "read" with
		 * readwrite access; that is far likelier a missing topic. */
		return file_error(&x->at,
		                  "%s %s: missing topic (for a topic named "
		                  "'%s', write '%s readwrite %s')",
		                  kw, aw->word, aw->word, kw, aw->word);
	}
	if (rest.len == 0) {
		*topic = w;
		*access = ACL_ACCESS_RW;
		return 0;
	}
	if (aw == NULL) {
		return file_error(&x->at,
		                  "%s: unknown access '%.*s' (expected read, "
		                  "write, readwrite or deny)",
		                  kw, show_len(w), (const char *)w.p);
	}
	*topic = rest;
	*access = aw->access;
	return 0;
}

static int
parse_rule(struct acl_ctx *x, const char *kw, struct span args, bool pattern)
{
	struct rule_set *rs;
	struct span topic = {NULL, 0};
	uint8_t access = 0;
	int err;

	err = parse_rule_args(x, kw, args, &topic, &access);
	if (err != 0) {
		return err;
	}
	if (topic_check_filter(topic) != 0) {
		return file_error(&x->at, "%s: invalid topic filter '%.*s'", kw,
		                  show_len(topic), (const char *)topic.p);
	}
	if (pattern) {
		rs = &x->acl->patterns;
	} else if (x->user == ACL_NO_USER) {
		rs = &x->acl->anon;
	} else {
		rs = &x->acl->users[x->user].rules;
	}
	if (rule_set_add(rs, topic, access, pattern) != 0) {
		return acl_nomem(x);
	}
	return 0;
}

static int
parse_topic(struct acl_ctx *x, struct span args)
{
	return parse_rule(x, "topic", args, false);
}

static int
parse_pattern(struct acl_ctx *x, struct span args)
{
	return parse_rule(x, "pattern", args, true);
}

/* "user NAME": the rest of the line, spaces and all, is the name. */
static int
parse_user(struct acl_ctx *x, struct span args)
{
	if (args.len == 0) {
		return file_error(&x->at, "user: missing user name");
	}
	if (args.len > ACL_NAME_MAX) {
		return file_error(&x->at, "user: name longer than %u bytes",
		                  ACL_NAME_MAX);
	}
	if (user_block(x->acl, args, &x->user) != 0) {
		return acl_nomem(x);
	}
	return 0;
}

typedef int acl_keyword_fn(struct acl_ctx *x, struct span args);

static const struct {
	const char *word;
	acl_keyword_fn *fn;
} keywords[] = {
        {"topic", parse_topic},
        {"pattern", parse_pattern},
        {"user", parse_user},
};

/* One line, without its '\n'. */
static int
parse_line(struct acl_ctx *x, struct span line)
{
	struct span args, kw;

	if (line.len > 0 && memchr(line.p, '\0', line.len) != NULL) {
		return file_error(&x->at, "NUL byte in line");
	}
	line = trim(line);
	if (line.len == 0 || line.p[0] == '#') {
		return 0;
	}
	kw = next_word(line, &args);
	for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++) {
		if (span_eq_str(kw, keywords[i].word)) {
			return keywords[i].fn(x, args);
		}
	}
	return file_error(&x->at,
	                  "unknown keyword '%.*s' (expected topic, pattern "
	                  "or user)",
	                  show_len(kw), (const char *)kw.p);
}

static int
parse_lines(struct acl_ctx *x, const char *text, size_t len)
{
	size_t pos = 0;
	int err = 0;

	for (x->at.line = 1; pos < len && err == 0; x->at.line++) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl != NULL ? (size_t)(nl - (text + pos)) : len - pos;

		err = parse_line(x, span_make(text + pos, n));
		pos += n + 1;
	}
	return err;
}

void
acl_free(struct acl *a)
{
	if (a == NULL) {
		return;
	}
	rule_set_fini(&a->anon);
	rule_set_fini(&a->patterns);
	for (size_t i = 0; i < a->n_users; i++) {
		tern_free(a->users[i].name);
		rule_set_fini(&a->users[i].rules);
	}
	tern_free(a->users);
	tern_free(a->slots);
	tern_free(a);
}

int
acl_parse(const char *text, size_t len, const char *name, struct acl **out,
          char *err, size_t errlen)
{
	struct acl_ctx x = {{name, 0, err, errlen}, NULL, ACL_NO_USER};
	int e;

	if (err != NULL && errlen > 0) {
		err[0] = '\0';
	}
	x.acl = tern_calloc(1, sizeof *x.acl);
	if (x.acl == NULL) {
		return acl_nomem(&x);
	}
	e = parse_lines(&x, text, len);
	if (e != 0) {
		acl_free(x.acl);
		return e;
	}
	*out = x.acl;
	return 0;
}

int
acl_load(const char *path, struct acl **out, char *err, size_t errlen)
{
	struct buf b;
	int e;

	buf_init(&b);
	e = file_load(path, ACL_FILE_MAX, &b, err, errlen);
	if (e == 0) {
		struct span s = buf_span(&b);

		e = acl_parse((const char *)s.p, s.len, path, out, err, errlen);
	}
	buf_fini(&b);
	return e;
}

/* ---- Matching ---- */

static bool
is_wild(struct span level)
{
	return level_is(level, '+') || level_is(level, '#');
}

/* [MQTT-4.7.2-1] Does the first level of @t start with '$'? */
static bool
is_dollar(struct span t)
{
	return t.len > 0 && t.p[0] == '$';
}

/* Is the first level of filter @t a wildcard? */
static bool
starts_wild(struct span t)
{
	return t.len > 0 && t.p != NULL && (t.p[0] == '+' || t.p[0] == '#');
}

/* The client, as the patterns see it. */
struct who {
	struct span id, user;
	uint8_t usable; /* SUBST_* whose value can stand for a level */
	uint8_t dollar; /* SUBST_* whose value starts with '$' */
};

static bool
has_byte(struct span s, int c)
{
	return s.len > 0 && memchr(s.p, c, s.len) != NULL;
}

/*
 * A value stands for (part of) one level, so it must be non-empty and
 * hold no '/'. ('+' and '#' are refused before any pattern is tried.)
 */
static void
who_init(struct who *w, struct span id, struct span user)
{
	w->id = id;
	w->user = user;
	w->usable = 0;
	w->dollar = 0;
	if (id.len > 0 && !has_byte(id, '/')) {
		w->usable |= SUBST_C;
	}
	if (user.len > 0 && !has_byte(user, '/')) {
		w->usable |= SUBST_U;
	}
	w->dollar |= is_dollar(id) ? SUBST_C : 0;
	w->dollar |= is_dollar(user) ? SUBST_U : 0;
}

/*
 * Can @r match anything for @w? Not when a placeholder it holds has no
 * usable value (an anonymous client has no %u), nor when the rule opens
 * with a placeholder whose value starts with '$': a topic's leading '$'
 * must come from the file, never from the client ([MQTT-4.7.2-1] in
 * spirit: a client id "$SYS" does not turn "%c/#" into "$SYS/#").
 */
static bool
rule_usable(const struct acl_rule *r, const struct who *w)
{
	return (r->subst & w->usable) == r->subst && (r->lead & w->dollar) == 0;
}

/*
 * Does level @p of a rule equal literal level @l, reading %c and %u in
 * @p as the client's values? Only called for usable rules.
 */
static bool
level_eq(struct span p, struct span l, const struct acl_rule *r,
         const struct who *w)
{
	size_t i = 0, j = 0;

	if (r->subst == 0) {
		return span_eq(p, l);
	}
	while (i < p.len) {
		uint8_t s = subst_at(p, i);
		struct span v = s == SUBST_C ? w->id : w->user;

		if (s == 0) {
			if (j == l.len || l.p[j] != p.p[i]) {
				return false;
			}
			i++;
			j++;
			continue;
		}
		if (v.len > l.len - j || memcmp(l.p + j, v.p, v.len) != 0) {
			return false;
		}
		i += 2;
		j += v.len;
	}
	return j == l.len;
}

static struct span
rule_span(const struct acl_rule *r)
{
	return span_make(r->topic, r->len);
}

/* Does rule @r match topic name @t? As topic_match(), with %c and %u. */
static bool
rule_match(const struct acl_rule *r, struct span t, const struct who *w)
{
	struct level_it ri = level_it_make(rule_span(r));
	struct level_it ti = level_it_make(t);

	/* Most rules hold no placeholder: the codec's matcher decides. */
	if (r->subst == 0) {
		return topic_match(rule_span(r), t);
	}
	if (is_dollar(t) && starts_wild(rule_span(r))) {
		return false;
	}
	while (!level_it_done(&ri)) {
		struct span rl = level_it_next(&ri), tl;

		if (level_is(rl, '#')) {
			return true;
		}
		if (level_it_done(&ti)) {
			return false;
		}
		tl = level_it_next(&ti);
		if (!level_is(rl, '+') && !level_eq(rl, tl, r, w)) {
			return false;
		}
	}
	return level_it_done(&ti);
}

/*
 * [MQTT-4.7.2-1] Filters @a and @b cannot share a topic when one starts
 * with a wildcard level and the other with a '$' level.
 */
static bool
dollar_apart(struct span a, struct span b)
{
	return (is_dollar(a) && starts_wild(b)) ||
	       (is_dollar(b) && starts_wild(a));
}

/* After one of two filters ran out: does the other match the parent? */
static bool
ends_together(struct level_it *a, struct level_it *b)
{
	struct level_it *rest = level_it_done(a) ? b : a;

	return level_it_done(rest) || level_is(level_it_next(rest), '#');
}

/* Is there a topic both rule @r and filter @f match? */
static bool
rule_overlaps(const struct acl_rule *r, struct span f, const struct who *w)
{
	struct level_it ri = level_it_make(rule_span(r));
	struct level_it fi = level_it_make(f);

	if (dollar_apart(rule_span(r), f)) {
		return false;
	}
	while (!level_it_done(&ri) && !level_it_done(&fi)) {
		struct span rl = level_it_next(&ri);
		struct span fl = level_it_next(&fi);

		if (level_is(rl, '#') || level_is(fl, '#')) {
			return true;
		}
		if (!is_wild(rl) && !is_wild(fl) && !level_eq(rl, fl, r, w)) {
			return false;
		}
	}
	return ends_together(&ri, &fi);
}

/* Does rule @r match every topic filter @f matches? */
static bool
rule_covers(const struct acl_rule *r, struct span f, const struct who *w)
{
	struct level_it ri = level_it_make(rule_span(r));
	struct level_it fi = level_it_make(f);

	if (is_dollar(f) && starts_wild(rule_span(r))) {
		return false;
	}
	/* "#" alone has no parent level to match, so "+/#" covers it. */
	if (span_eq_str(f, "#")) {
		return span_eq_str(rule_span(r), "#") ||
		       span_eq_str(rule_span(r), "+/#");
	}
	while (!level_it_done(&fi)) {
		struct span fl = level_it_next(&fi), rl;

		if (level_it_done(&ri)) {
			return false;
		}
		rl = level_it_next(&ri);
		if (level_is(rl, '#')) {
			return true;
		}
		if (level_is(rl, '+') && level_is(fl, '#')) {
			return false;
		}
		if (!level_is(rl, '+') &&
		    (is_wild(fl) || !level_eq(rl, fl, r, w))) {
			return false;
		}
	}
	return level_it_done(&ri) || level_is(level_it_next(&ri), '#');
}

/* What one group says about a request: nothing, allowed or denied. */
enum verdict {
	V_NONE,
	V_ALLOW,
	V_DENY,
};

struct request {
	struct span topic;
	enum acl_access access;
};

/*
 * For a topic: a matching deny denies; a matching allow with the access
 * allows. For a subscription: a deny that covers the whole filter
 * denies; a readable rule that shares any topic with it allows.
 */
static bool
rule_hits(const struct acl_rule *r, const struct request *q,
          const struct who *w, bool deny)
{
	if (!rule_usable(r, w)) {
		return false;
	}
	if (q->access != ACL_SUBSCRIBE) {
		return (deny || (r->access & q->access) != 0) &&
		       rule_match(r, q->topic, w);
	}
	if (deny) {
		return rule_covers(r, q->topic, w);
	}
	return (r->access & ACL_READ) != 0 && rule_overlaps(r, q->topic, w);
}

static enum verdict
rule_set_check(const struct rule_set *rs, const struct request *q,
               const struct who *w)
{
	for (size_t i = 0; i < rs->deny.n; i++) {
		if (rule_hits(&rs->deny.v[i], q, w, true)) {
			return V_DENY;
		}
	}
	for (size_t i = 0; i < rs->allow.n; i++) {
		if (rule_hits(&rs->allow.v[i], q, w, false)) {
			return V_ALLOW;
		}
	}
	return V_NONE;
}

static const struct rule_set *
find_user(const struct acl *a, struct span user)
{
	size_t *slot;

	if (a->n_slots == 0) {
		return NULL;
	}
	slot = find_slot(a, user, name_hash(user));
	return *slot != 0 ? &a->users[*slot - 1].rules : NULL;
}

static bool
is_valid_request(struct span topic, enum acl_access access)
{
	switch (access) {
	case ACL_READ:
	case ACL_WRITE:
		return topic.len > 0;
	case ACL_SUBSCRIBE:
		return topic_check_filter(topic) == 0;
	}
	return false;
}

int
acl_check(const struct acl *a, struct span client_id, struct span username,
          struct span topic, enum acl_access access)
{
	/* The blocks hold no placeholders: nobody's values are needed. */
	static const struct who nobody;
	const struct request q = {topic, access};
	const struct rule_set *own;
	enum verdict v = V_NONE;
	struct who w;

	if (a == NULL || !is_valid_request(topic, access)) {
		return TERN_EDENIED;
	}
	/* A zero-length user name is anonymous, as in mosquitto 2.0.11
	 * (verified: it gets the anonymous block). */
	own = username.len == 0 ? &a->anon : find_user(a, username);
	if (own != NULL) {
		v = rule_set_check(own, &q, &nobody);
	}
	if (v != V_NONE || a->patterns.deny.n + a->patterns.allow.n == 0) {
		return v == V_ALLOW ? 0 : TERN_EDENIED;
	}
	/* CVE-2017-7650: with '+' or '#' in either value no pattern may
	 * apply, whether or not it holds %c or %u (as mosquitto). */
	if (has_byte(client_id, '+') || has_byte(client_id, '#') ||
	    has_byte(username, '+') || has_byte(username, '#')) {
		return TERN_EDENIED;
	}
	who_init(&w, client_id, username);
	v = rule_set_check(&a->patterns, &q, &w);
	return v == V_ALLOW ? 0 : TERN_EDENIED;
}
