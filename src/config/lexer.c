/*
 * lexer.c - mosquitto.conf as lines: files, include_dir, comments, errors.
 *
 * A line is "NAME VALUE...": blanks around it are dropped, a line whose
 * first non-blank character is '#' is a comment, and a blank line is
 * skipped. NAME ends at the first blank; VALUE is the rest of the line
 * with surrounding blanks removed, and directives.c decides how to read
 * it. Line numbers count from 1 in each file, and every message names the
 * file it is about. include_dir nests at most CONFIG_INCLUDE_MAX_DEPTH
 * deep, which also stops a directory that includes itself.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/file.h"
#include "parse.h"

static const char BLANKS[] = " \t\r\v\f";

int
cfg_nomem(const struct cfg_ctx *x)
{
	(void)file_error(&x->at, "out of memory");
	return TERN_ENOMEM;
}

int
cfg_warn(const struct cfg_ctx *x, const char *fmt, ...)
{
	char msg[512];
	struct file_pos at = {x->at.name, x->at.line, msg, sizeof msg};
	size_t old, add;
	char *p;
	va_list ap;

	va_start(ap, fmt);
	/* A warning: the TERN_ECONFIG that comes back does not apply. */
	(void)file_verror(&at, fmt, ap);
	va_end(ap);
	old = x->c->warnings != NULL ? strlen(x->c->warnings) : 0;
	add = strlen(msg);
	p = tern_realloc(x->c->warnings, old + add + 2);
	if (p == NULL) {
		return cfg_nomem(x);
	}
	memcpy(p + old, msg, add);
	p[old + add] = '\n';
	p[old + add + 1] = '\0';
	x->c->warnings = p;
	return 0;
}

/* Split a trimmed, non-comment line into name and value and apply it. */
static int
apply_line(struct cfg_ctx *x, char *s)
{
	size_t n, end;
	char *value;

	s += strspn(s, BLANKS);
	end = strlen(s);
	while (end > 0 && strchr(BLANKS, s[end - 1]) != NULL) {
		end--;
	}
	s[end] = '\0';
	if (s[0] == '\0' || s[0] == '#') {
		return 0;
	}
	n = strcspn(s, BLANKS);
	value = s + n;
	if (*value != '\0') {
		*value++ = '\0';
		value += strspn(value, BLANKS);
	}
	return cfg_directive(x, s, value);
}

int
cfg_parse_text(struct cfg_ctx *x, const char *text, size_t len)
{
	char line[CONFIG_LINE_MAX + 1];
	size_t pos = 0;
	int err;

	/* A UTF-8 byte order mark, as some editors write, is not text. */
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
		pos = 3;
	}
	for (x->at.line = 1; pos < len; x->at.line++) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl != NULL ? (size_t)(nl - (text + pos)) : len - pos;

		if (n > CONFIG_LINE_MAX) {
			return file_error(&x->at, "line longer than %d bytes",
			                  CONFIG_LINE_MAX);
		}
		if (memchr(text + pos, '\0', n) != NULL) {
			return file_error(&x->at, "NUL byte in line");
		}
		memcpy(line, text + pos, n);
		line[n] = '\0';
		err = apply_line(x, line);
		if (err != 0) {
			return err;
		}
		pos += n + 1;
	}
	return 0;
}

/*
 * Report a file_read_all() failure of @path: as a message of @parent (the
 * include_dir line) when there is one, else as "PATH: what".
 */
static int
read_error(const struct cfg_ctx *parent, const char *path, int err, int sys,
           char *errbuf, size_t errlen)
{
	struct file_pos whole = {path, 0, errbuf, errlen};
	char what[128];

	if (err == TERN_ENOMEM) {
		(void)snprintf(what, sizeof what, "out of memory");
	} else if (err == TERN_ETOOBIG) {
		(void)snprintf(what, sizeof what, "larger than %u bytes",
		               CONFIG_FILE_MAX);
	} else {
		(void)snprintf(what, sizeof what, "cannot read: %s",
		               strerror(sys));
	}
	if (parent != NULL) {
		(void)file_error(&parent->at, "%s: %s", path, what);
	} else {
		(void)file_error(&whole, "%s", what);
	}
	return err == TERN_ENOMEM ? TERN_ENOMEM : TERN_ECONFIG;
}

/* Apply the file at @path in a fresh context at @depth. */
static int
load_file(const struct cfg_ctx *parent, struct config *c, const char *path,
          int depth, char *errbuf, size_t errlen)
{
	struct cfg_ctx x = {c, {path, 0, errbuf, errlen}, depth, NULL};
	struct buf b;
	int err, sys = 0;

	buf_init(&b);
	err = file_read_all(path, CONFIG_FILE_MAX, &b, &sys);
	if (err == 0) {
		err = cfg_parse_text(&x, (const char *)b.p, b.len);
	} else {
		err = read_error(parent, path, err, sys, errbuf, errlen);
	}
	buf_fini(&b);
	return err;
}

static int
ascii_upper(int ch)
{
	return ch >= 'a' && ch <= 'z' ? ch - 'a' + 'A' : ch;
}

/*
 * mosquitto's include_dir order: letters compare without case first, and
 * at the first place two names differ only in case, upper case comes
 * first (00.conf 01.conf A.conf a.conf B.conf b.conf).
 */
static int
name_cmp(const void *pa, const void *pb)
{
	const unsigned char *a = *(const unsigned char *const *)pa;
	const unsigned char *b = *(const unsigned char *const *)pb;

	for (; *a != '\0' && *b != '\0'; a++, b++) {
		int d = ascii_upper(*a) - ascii_upper(*b);

		if (d == 0) {
			d = *a - *b;
		}
		if (d != 0) {
			return d;
		}
	}
	return *a - *b;
}

static bool
is_conf_name(const char *name)
{
	size_t n = strlen(name);

	return n > 5 && strcmp(name + n - 5, ".conf") == 0;
}

struct name_list {
	char **v;
	size_t n, cap;
};

static void
name_list_fini(struct name_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		tern_free(l->v[i]);
	}
	tern_free(l->v);
}

static int
name_list_add(struct name_list *l, const char *name)
{
	char *s;

	if (l->n == l->cap) {
		size_t cap = l->cap == 0 ? 16 : l->cap * 2;
		char **v = tern_realloc(l->v, cap * sizeof *v);

		if (v == NULL) {
			return TERN_ENOMEM;
		}
		l->v = v;
		l->cap = cap;
	}
	s = tern_strndup(name, strlen(name));
	if (s == NULL) {
		return TERN_ENOMEM;
	}
	l->v[l->n++] = s;
	return 0;
}

/* The *.conf names in @dir, sorted. 0, TERN_EIO (errno in *sys), ENOMEM. */
static int
list_conf_files(const char *dir, struct name_list *l, int *sys)
{
	struct dirent *de;
	DIR *d;
	int err = 0;

	d = opendir(dir);
	if (d == NULL) {
		*sys = errno;
		return TERN_EIO;
	}
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (de == NULL) {
			*sys = errno;
			err = errno != 0 ? TERN_EIO : 0;
			break;
		}
		if (is_conf_name(de->d_name)) {
			err = name_list_add(l, de->d_name);
			if (err != 0) {
				break;
			}
		}
	}
	(void)closedir(d); /* a directory read to the end: nothing to lose */
	if (err == 0 && l->n > 1) {
		qsort(l->v, l->n, sizeof l->v[0], name_cmp);
	}
	return err;
}

/* Apply @dir/@name unless it is not a regular file. */
static int
include_one(const struct cfg_ctx *x, const char *dir, const char *name)
{
	size_t len = strlen(dir) + 1 + strlen(name) + 1;
	struct stat st;
	char *path;
	int err;

	path = tern_malloc(len);
	if (path == NULL) {
		return cfg_nomem(x);
	}
	(void)snprintf(path, len, "%s/%s", dir, name); /* sized above */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		tern_free(path);
		return 0;
	}
	/* Bounded recursion: cfg_include_dir() stops at
	 * CONFIG_INCLUDE_MAX_DEPTH. */
	err = load_file(x, x->c, path, x->depth + 1, x->at.err, x->at.errlen);
	tern_free(path);
	return err;
}

int
cfg_include_dir(const struct cfg_ctx *x, const char *dir)
{
	struct name_list l = {NULL, 0, 0};
	int err, sys = 0;

	if (x->depth >= CONFIG_INCLUDE_MAX_DEPTH) {
		return file_error(&x->at,
		                  "include_dir: nested more than %d deep",
		                  CONFIG_INCLUDE_MAX_DEPTH);
	}
	err = list_conf_files(dir, &l, &sys);
	if (err == TERN_ENOMEM) {
		err = cfg_nomem(x);
	} else if (err != 0) {
		err = file_error(&x->at, "include_dir %s: %s", dir,
		                 strerror(sys));
	}
	for (size_t i = 0; err == 0 && i < l.n; i++) {
		err = include_one(x, dir, l.v[i]);
	}
	name_list_fini(&l);
	return err;
}

int
config_load(struct config *c, const char *path, char *err, size_t errlen)
{
	if (err != NULL && errlen > 0) {
		err[0] = '\0';
	}
	return load_file(NULL, c, path, 0, err, errlen);
}

int
config_parse(struct config *c, const char *text, size_t len, const char *name,
             char *err, size_t errlen)
{
	struct cfg_ctx x = {c, {name, 0, err, errlen}, 0, NULL};

	if (err != NULL && errlen > 0) {
		err[0] = '\0';
	}
	return cfg_parse_text(&x, text, len);
}
