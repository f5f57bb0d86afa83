/*
 * file_test.c - file_read_all(), file_load() and the "FILE:LINE: message"
 * errors.
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "err.h"
#include "file.h"
#include "test.h"

static void
test_error_names_file_and_line(void)
{
	char err[64];
	struct file_pos at = {"tern.conf", 12, err, sizeof err};

	T_CHECK_INT(file_error(&at, "%s: expected %d", "port", 7),
	            TERN_ECONFIG);
	T_CHECK(strcmp(err, "tern.conf:12: port: expected 7") == 0);
}

static void
test_error_line_zero_is_whole_file(void)
{
	char err[64];
	struct file_pos at = {"acl", 0, err, sizeof err};

	T_CHECK_INT(file_error(&at, "out of memory"), TERN_ECONFIG);
	T_CHECK(strcmp(err, "acl: out of memory") == 0);
}

static void
test_error_cut_to_fit(void)
{
	char err[16];
	struct file_pos at = {"f", 3, err, 10};

	memset(err, 'x', sizeof err);
	T_CHECK_INT(file_error(&at, "%s", "abcdefgh"), TERN_ECONFIG);
	T_CHECK(strcmp(err, "f:3: abcd") == 0);
	T_CHECK_INT(err[10], 'x');
}

static void
test_error_prefix_longer_than_buffer(void)
{
	char err[8];
	struct file_pos at = {"a-long-file-name", 1, err, 6};

	memset(err, 'x', sizeof err);
	T_CHECK_INT(file_error(&at, "msg"), TERN_ECONFIG);
	T_CHECK(strcmp(err, "a-lon") == 0);
	T_CHECK_INT(err[6], 'x');
}

static void
test_error_without_buffer(void)
{
	char err[4] = "abc";
	struct file_pos none = {"f", 1, NULL, 32};
	struct file_pos empty = {"f", 1, err, 0};

	T_CHECK_INT(file_error(&none, "msg"), TERN_ECONFIG);
	T_CHECK_INT(file_error(&empty, "msg"), TERN_ECONFIG);
	T_CHECK(strcmp(err, "abc") == 0);
}

/* Writes @len bytes of @text to a new temporary file named in @path. */
static int
make_file(char *path, const char *text, size_t len)
{
	int fd = mkstemp(path);

	if (fd < 0) {
		return -1;
	}
	if (write(fd, text, len) != (ssize_t)len) {
		(void)close(fd);
		return -1;
	}
	return close(fd);
}

static void
test_read_all_appends_nul(void)
{
	char path[] = "/tmp/tern-file-test-XXXXXX";
	struct buf b;
	int err, sys = 0;

	T_CHECK_INT(make_file(path, "a b\nc", 5), 0);
	buf_init(&b);
	err = file_read_all(path, 5, &b, &sys);
	(void)unlink(
	        path); /* the test's own file; its result does not matter */
	T_CHECK_INT(err, 0);
	T_CHECK_INT(b.len, 5);
	T_CHECK(strcmp((const char *)b.p, "a b\nc") == 0);
	buf_fini(&b);
}

static void
test_read_all_limits(void)
{
	char path[] = "/tmp/tern-file-test-XXXXXX";
	struct buf b;
	int err, sys = 0;

	T_CHECK_INT(make_file(path, "123456", 6), 0);
	buf_init(&b);
	err = file_read_all(path, 5, &b, &sys);
	buf_fini(&b);
	(void)unlink(
	        path); /* the test's own file; its result does not matter */
	T_CHECK_INT(err, TERN_ETOOBIG);

	buf_init(&b);
	err = file_read_all(path, 5, &b, &sys);
	buf_fini(&b);
	T_CHECK_INT(err, TERN_EIO);
	T_CHECK_INT(sys, ENOENT);
}

static void
test_load_says_why(void)
{
	char path[] = "/tmp/tern-file-test-XXXXXX";
	char err[96], want[96];
	struct buf b;
	int e;

	T_CHECK_INT(make_file(path, "123456", 6), 0);
	buf_init(&b);
	e = file_load(path, 5, &b, err, sizeof err);
	buf_fini(&b);
	(void)unlink(
	        path); /* the test's own file; its result does not matter */
	T_CHECK_INT(e, TERN_ECONFIG);
	(void)snprintf(want, sizeof want, "%s: file too large", path);
	T_CHECK(strcmp(err, want) == 0);

	buf_init(&b);
	e = file_load(path, 5, &b, err, sizeof err);
	buf_fini(&b);
	T_CHECK_INT(e, TERN_ECONFIG);
	(void)snprintf(want, sizeof want, "%s: No such file or directory",
	               path);
	T_CHECK(strcmp(err, want) == 0);
}

T_MAIN(T_CASE(test_error_names_file_and_line),
       T_CASE(test_error_line_zero_is_whole_file),
       T_CASE(test_error_cut_to_fit),
       T_CASE(test_error_prefix_longer_than_buffer),
       T_CASE(test_error_without_buffer), T_CASE(test_read_all_appends_nul),
       T_CASE(test_read_all_limits), T_CASE(test_load_says_why))
