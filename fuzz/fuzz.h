/*
 * fuzz.h - what every fuzz target shares: the libFuzzer entry point and a
 * check that aborts with a message.
 *
 * Each fuzz/fuzz_NAME.c defines LLVMFuzzerTestOneInput(). Built with
 * -fsanitize=fuzzer it is driven by libFuzzer; linked with replay.c it is
 * a plain program that runs it over corpus files, so a broken invariant
 * must be an abort() (FUZZ_CHECK), never an assert() that NDEBUG removes.
 */
#ifndef TERN_FUZZ_FUZZ_H
#define TERN_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/*
 * LLVMFuzzerTestOneInput() - run one input of @size bytes at @data (which
 * may be NULL when @size is 0). Returns 0; -1 asks libFuzzer not to add
 * the input to the corpus (the target rejected it up front).
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

_Noreturn static inline void
fuzz_fail(const char *file, int line, const char *what)
{
	/* The process is about to abort: a lost message changes nothing. */
	(void)fprintf(stderr, "%s:%d: fuzz check failed: %s\n", file, line,
	              what);
	abort();
}

/* FUZZ_CHECK() - abort (a crash libFuzzer records) unless @cond holds. */
#define FUZZ_CHECK(cond)                                      \
	do {                                                  \
		if (!(cond)) {                                \
			fuzz_fail(__FILE__, __LINE__, #cond); \
		}                                             \
	} while (0)

#endif
