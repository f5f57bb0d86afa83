/*
 * tern_passwd.c - `tern passwd`: manage a password file in the format of
 * mosquitto_passwd ("user:$7$iterations$salt$hash", PBKDF2-SHA512), with
 * its flags: -c create, -D delete, -b password on the command line, -U
 * hash a file of plain "user:password" lines, -H sha512-pbkdf2, -I
 * iterations. The file is rewritten through a temporary file and
 * rename(), so a reader never sees half of it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "../auth/auth.h"
#include "tern_cli.h"

#define PW_MAX     1024 /* longest password read from a terminal */
#define HASH_MAX   256  /* "$7$" + iterations + salt + hash, base64 */
#define ITERATIONS 101  /* mosquitto_passwd's default */

struct pw_opts {
	bool create;
	bool delete;
	bool batch;
	bool upgrade;
	unsigned iterations;
	const char *file;
	const char *user;
	const char *password;
};

/* The lines of a password file, held while it is edited. */
struct lines {
	char **v;
	size_t n;
	size_t cap;
};

static void
pw_usage(FILE *f)
{
	/* (void): a failed usage text is not worth a second error. */
	(void)fputs(
	        "Usage: tern passwd [-H sha512-pbkdf2] [-I iterations] "
	        "[-c | -D] file user\n"
	        "       tern passwd [-H sha512-pbkdf2] [-I iterations] [-c] "
	        "-b file user password\n"
	        "       tern passwd -U file\n"
	        " -b  the password is on the command line\n"
	        " -c  create the file (replacing one that exists)\n"
	        " -D  delete the user\n"
	        " -H  hash: sha512-pbkdf2 (the only one written)\n"
	        " -I  PBKDF2 iterations (101)\n"
	        " -U  hash the plain-text passwords of a file in place\n",
	        f);
}

static int
parse_flag(struct pw_opts *o, int argc, char **argv, int *i)
{
	const char *a = argv[*i];

	if (strcmp(a, "-c") == 0 || strcmp(a, "-D") == 0 ||
	    strcmp(a, "-b") == 0 || strcmp(a, "-U") == 0) {
		o->create |= a[1] == 'c';
		o->delete |= a[1] == 'D';
		o->batch |= a[1] == 'b';
		o->upgrade |= a[1] == 'U';
		return 0;
	}
	if ((strcmp(a, "-H") != 0 && strcmp(a, "-I") != 0) || *i + 1 >= argc) {
		cli_error(NULL, "Unknown option or missing value: '%s'.", a);
		return -1;
	}
	a = argv[++*i];
	if (argv[*i - 1][1] == 'H') {
		if (strcmp(a, "sha512-pbkdf2") != 0) {
			cli_error(NULL,
			          "Unsupported hash '%s' (only "
			          "sha512-pbkdf2 is written).",
			          a);
			return -1;
		}
		return 0;
	}
	o->iterations = (unsigned)strtoul(a, NULL, 10);
	if (o->iterations == 0 || o->iterations > 10000000) {
		cli_error(NULL, "Invalid iteration count '%s'.", a);
		return -1;
	}
	return 0;
}

static int
parse(struct pw_opts *o, int argc, char **argv)
{
	int i, rest, want;

	memset(o, 0, sizeof(*o));
	o->iterations = ITERATIONS;
	for (i = 0; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
		if (strcmp(argv[i], "--help") == 0) {
			pw_usage(stdout);
			return -2;
		}
		if (parse_flag(o, argc, argv, &i) != 0) {
			return -1;
		}
	}
	rest = argc - i;
	want = o->upgrade ? 1 : o->batch ? 3 : 2;
	if (rest != want || (o->create && o->delete) ||
	    (o->upgrade && (o->create || o->delete || o->batch)) ||
	    (o->batch && o->delete)) {
		pw_usage(stderr);
		return -1;
	}
	o->file = argv[i];
	o->user = rest > 1 ? argv[i + 1] : NULL;
	o->password = rest > 2 ? argv[i + 2] : NULL;
	if (o->user != NULL &&
	    (o->user[0] == '\0' || strchr(o->user, ':') != NULL)) {
		cli_error(NULL, "Username must not be empty or contain ':'.");
		return -1;
	}
	return 0;
}

/* read_password() - from the terminal without echo, or a line of stdin. */
static int
read_password(const char *prompt, char *buf, size_t len)
{
	struct termios old, quiet;
	bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
	char *ok;

	if (tty) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		(void)tcsetattr(STDIN_FILENO, TCSAFLUSH,
		                &quiet);     /* best effort */
		(void)fputs(prompt, stderr); /* a prompt; nothing to check */
	}
	ok = fgets(buf, (int)len, stdin);
	if (tty) {
		(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &old); /* restore */
		(void)fputc('\n', stderr);
	}
	if (ok == NULL) {
		return -1;
	}
	buf[strcspn(buf, "\r\n")] = '\0';
	return 0;
}

static int
ask_password(char *pw, size_t len)
{
	char again[PW_MAX];

	if (read_password("Password: ", pw, len) != 0 ||
	    read_password("Reenter password: ", again, sizeof again) != 0) {
		cli_error(NULL, "No password given.");
		return -1;
	}
	if (strcmp(pw, again) != 0) {
		cli_error(NULL, "Passwords do not match.");
		return -1;
	}
	return 0;
}

static int
lines_add(struct lines *l, char *s)
{
	if (l->n == l->cap) {
		size_t cap = l->cap == 0 ? 16 : l->cap * 2;
		char **v = realloc(l->v, cap * sizeof(*v));

		if (v == NULL) {
			return -1;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = s;
	return 0;
}

static void
lines_free(struct lines *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i]);
	}
	free(l->v);
}

/* load() - the file's lines, without their newlines. */
static int
load(const char *path, struct lines *l)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (f == NULL) {
		cli_error(NULL, "Unable to open password file %s: %s.", path,
		          strerror(errno));
		return -1;
	}
	while ((n = getline(&line, &cap, f)) >= 0) {
		line[strcspn(line, "\r\n")] = '\0';
		if (lines_add(l, line) != 0) {
			break;
		}
		line = NULL;
		cap = 0;
	}
	free(line);
	(void)fclose(f); /* read only: nothing is lost */
	return n >= 0 ? -1 : 0;
}

/* save() - write @l to a temporary file beside @path, then rename. */
static int
save(const char *path, const struct lines *l)
{
	char tmp[4096];
	struct stat st;
	FILE *f;
	bool ok = true;

	if (snprintf(tmp, sizeof tmp, "%s.tmp-%d", path, (int)getpid()) >=
	    (int)sizeof tmp) {
		return -1;
	}
	f = fopen(tmp, "w");
	if (f == NULL) {
		cli_error(NULL, "Unable to write %s: %s.", tmp,
		          strerror(errno));
		return -1;
	}
	if (stat(path, &st) == 0) {
		ok = fchmod(fileno(f), st.st_mode & 07777) == 0;
	}
	for (size_t i = 0; ok && i < l->n; i++) {
		ok = fprintf(f, "%s\n", l->v[i]) >= 0;
	}
	ok = fclose(f) == 0 && ok;
	if (!ok || rename(tmp, path) != 0) {
		cli_error(NULL, "Unable to write %s: %s.", path,
		          strerror(errno));
		(void)unlink(tmp); /* cleanup; the error is already reported */
		return -1;
	}
	return 0;
}

/* entry() - "user:$7$..." for @user and @password, malloc'd. */
static char *
entry(const struct pw_opts *o, const char *user, const char *password)
{
	char hash[HASH_MAX];
	size_t n;
	char *s;

	if (passwd_hash(span_str(password), o->iterations, hash, sizeof hash) !=
	    0) {
		cli_error(NULL, "Unable to hash the password.");
		return NULL;
	}
	n = strlen(user) + 1 + strlen(hash) + 1;
	s = malloc(n);
	if (s != NULL) {
		(void)snprintf(s, n, "%s:%s", user, hash); /* sized above */
	}
	return s;
}

/* find_user() - index of @user's line in @l, or l->n. */
static size_t
find_user(const struct lines *l, const char *user)
{
	size_t ulen = strlen(user);

	for (size_t i = 0; i < l->n; i++) {
		if (strncmp(l->v[i], user, ulen) == 0 && l->v[i][ulen] == ':') {
			return i;
		}
	}
	return l->n;
}

static int
upgrade(const struct pw_opts *o, struct lines *l)
{
	for (size_t i = 0; i < l->n; i++) {
		char *colon = strchr(l->v[i], ':');
		char *e;

		if (l->v[i][0] == '#' || colon == NULL) {
			continue;
		}
		*colon = '\0';
		e = entry(o, l->v[i], colon + 1);
		if (e == NULL) {
			return -1;
		}
		free(l->v[i]);
		l->v[i] = e;
	}
	return 0;
}

/* edit() - set or delete o->user in @l. */
static int
edit(const struct pw_opts *o, struct lines *l, const char *password)
{
	size_t i = find_user(l, o->user);
	char *e;

	if (o->delete) {
		if (i == l->n || l->v == NULL) {
			cli_error(NULL, "User %s not found in password file.",
			          o->user);
			return -1;
		}
		free(l->v[i]);
		memmove(&l->v[i], &l->v[i + 1],
		        (l->n - i - 1) * sizeof(char *));
		l->n--;
		return 0;
	}
	e = entry(o, o->user, password);
	if (e == NULL) {
		return -1;
	}
	if (i < l->n) {
		free(l->v[i]);
		l->v[i] = e;
		return 0;
	}
	if (lines_add(l, e) != 0) {
		free(e);
		return -1;
	}
	return 0;
}

int
tern_passwd_main(int argc, char **argv)
{
	struct pw_opts o;
	struct lines l = {0};
	char pw[PW_MAX] = "";
	int rc = parse(&o, argc, argv);

	if (rc != 0) {
		return rc == -2 ? CLI_OK : CLI_ERR;
	}
	if (!o.create && load(o.file, &l) != 0) {
		lines_free(&l);
		return CLI_ERR;
	}
	if (!o.upgrade && !o.delete &&!o.batch &&
	    ask_password(pw, sizeof pw) != 0) {
		rc = -1;
	} else if (o.upgrade) {
		rc = upgrade(&o, &l);
	} else {
		rc = edit(&o, &l, o.batch ? o.password : pw);
	}
	if (rc == 0) {
		rc = save(o.file, &l);
	}
	memset(pw, 0, sizeof pw);
	lines_free(&l);
	return rc == 0 ? CLI_OK : CLI_ERR;
}
