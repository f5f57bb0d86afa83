/*
 * replay.c - a main() that runs LLVMFuzzerTestOneInput() over files, so
 * every fuzz target is also a plain program any compiler can build.
 *
 * Usage: replay_NAME PATH...   Each PATH is a file or a directory whose
 * regular files (not those starting with '.') are run in name order.
 * Each input is copied into a buffer of exactly its size, so a read past
 * the end is caught by AddressSanitizer as it is under libFuzzer. Exits 0
 * when every input ran, 1 if a path could not be read (a missing corpus
 * is a broken test, not an empty one); a failed check aborts.
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

/* Diagnostics: a failed write to stderr changes no result. */
#define SAY(...) (void)fprintf(stderr, __VA_ARGS__)

/* All of @path in a fresh buffer of exactly its size (*len). NULL on error. */
static uint8_t *
read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p = NULL;
	struct stat st;
	size_t n;

	if (f == NULL) {
		return NULL;
	}
	if (fstat(fileno(f), &st) != 0 || st.st_size < 0) {
		goto fail;
	}
	n = (size_t)st.st_size;
	/* At least one byte, so that an empty input has a pointer too. */
	p = malloc(n != 0 ? n : 1);
	if (p == NULL || fread(p, 1, n, f) != n) {
		goto fail;
	}
	(void)fclose(f); /* read-only: nothing to lose */
	*len = n;
	return p;
fail:
	(void)fclose(f);
	free(p);
	return NULL;
}

static int
run_file(const char *path)
{
	size_t len = 0;
	uint8_t *data = read_all(path, &len);

	if (data == NULL) {
		SAY("replay: %s: cannot read it\n", path);
		return -1;
	}
	/* Named first, so a crash report says which input it was. */
	SAY("replay: %s (%zu bytes)\n", path, len);
	/* The return value only steers libFuzzer's corpus. */
	(void)LLVMFuzzerTestOneInput(data, len);
	free(data);
	return 0;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The names in @dir, sorted, in *out (*n of them; the caller frees each
 * and the array, also on error). 0 or -1.
 */
static int
list_dir(const char *dir, char ***out, size_t *n)
{
	DIR *d = opendir(dir);
	char **v = NULL;
	size_t cap = 0;
	struct dirent *e;
	int err = 0;

	*n = 0;
	if (d == NULL) {
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.') {
			continue;
		}
		if (*n == cap) {
			char **nv = realloc(v, (cap + 64) * sizeof *v);

			if (nv == NULL) {
				err = -1;
				break;
			}
			v = nv;
			cap += 64;
		}
		v[*n] = strdup(e->d_name);
		if (v[*n] == NULL) {
			err = -1;
			break;
		}
		(*n)++;
	}
	(void)closedir(d); /* read-only: nothing to lose */
	if (*n > 1) {
		qsort(v, *n, sizeof *v, cmp_names);
	}
	*out = v;
	return err;
}

/* Every regular file of @dir; the number run in *count. 0 or -1. */
static int
run_dir(const char *dir, size_t *count)
{
	char **names = NULL;
	size_t n = 0;
	int err = list_dir(dir, &names, &n);

	for (size_t i = 0; i < n; i++) {
		char path[4096];
		struct stat st;
		int w = snprintf(path, sizeof path, "%s/%s", dir, names[i]);

		if (err == 0 && w > 0 && (size_t)w < sizeof path &&
		    stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			err = run_file(path);
			*count += err == 0 ? 1 : 0;
		}
		free(names[i]);
	}
	free(names);
	return err;
}

int
main(int argc, char **argv)
{
	size_t count = 0;
	int bad = 0;

	if (argc < 2) {
		SAY("usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		struct stat st;
		int err = stat(argv[i], &st) != 0 ? errno : 0;

		if (err != 0) {
			SAY("replay: %s: %s\n", argv[i], strerror(err));
			bad = 1;
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			err = run_dir(argv[i], &count);
		} else {
			err = run_file(argv[i]);
			count += err == 0 ? 1 : 0;
		}
		bad |= err != 0;
	}
	printf("replayed %zu inputs\n", count);
	return bad;
}
