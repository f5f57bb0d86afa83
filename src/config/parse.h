/*
 * parse.h - what lexer.c and directives.c share; private to config/.
 *
 * lexer.c turns files into (name, value) pairs with a file name and a line
 * number; directives.c looks the name up in its table and applies the value
 * to the struct config. Errors are "FILE:LINE: what", written once, by the
 * function that finds them.
 */
#ifndef TERN_CONFIG_PARSE_H
#define TERN_CONFIG_PARSE_H

#include <stddef.h>

#include "base/file.h"
#include "config.h"

/* Nesting limit for include_dir (the main file is depth 0). */
#define CONFIG_INCLUDE_MAX_DEPTH 8
/* Longest line accepted, without its newline. */
#define CONFIG_LINE_MAX 4096
/* Largest file accepted. */
#define CONFIG_FILE_MAX (4u << 20)

/* One file being read. */
struct cfg_ctx {
	struct config *c;
	struct file_pos at; /* file and line messages name; where they go */
	int depth;          /* include depth, 0 = main file */
	/* The listener that per-listener directives apply to. NULL until a
	 * `listener` line in this file: as in mosquitto, each file starts
	 * out configuring the default listener. */
	struct config_listener *cur;
};

/* cfg_nomem() - the out-of-memory message; returns TERN_ENOMEM. */
int cfg_nomem(const struct cfg_ctx *x);

/*
 * cfg_warn() - append "FILE:LINE: message\n" to c->warnings, for problems
 * that do not stop the broker. 0 or TERN_ENOMEM (message in x->err).
 */
FILE_PRINTF(2, 3) int cfg_warn(const struct cfg_ctx *x, const char *fmt, ...);

/*
 * cfg_parse_text() - apply every line of @text (@len bytes) in the file
 * context @x. 0 or a negative tern_err with the message in x->err.
 */
int cfg_parse_text(struct cfg_ctx *x, const char *text, size_t len);

/*
 * cfg_include_dir() - apply DIR/ *.conf in mosquitto's order, one level
 * deeper than @x. 0 or a negative tern_err.
 */
int cfg_include_dir(const struct cfg_ctx *x, const char *dir);

/*
 * cfg_directive() - apply one line: @name is the first word, @value the
 * rest of the line with surrounding blanks removed ("" when absent). The
 * setter may modify @value in place. 0 or a negative tern_err.
 */
int cfg_directive(struct cfg_ctx *x, const char *name, char *value);

#endif
