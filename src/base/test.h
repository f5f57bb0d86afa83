/*
 * test.h - the unit-test harness.
 *
 * A test file defines static void functions and ends with
 *   T_MAIN(T_CASE(test_a), T_CASE(test_b))
 * A failed T_CHECK reports file, line and expression, marks the case failed
 * and returns from it. The run ends with "N passed, N failed".
 */
#ifndef TERN_BASE_TEST_H
#define TERN_BASE_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct t_case {
	const char *name;
	void (*fn)(void);
};

static int t_case_failed;

#define T_CHECK(cond)                                                      \
	do {                                                               \
		if (!(cond)) {                                             \
			(void)fprintf(stderr, "%s:%d: check failed: %s\n", \
			              __FILE__, __LINE__, #cond);          \
			t_case_failed = 1;                                 \
			return;                                            \
		}                                                          \
	} while (0)

#define T_CHECK_INT(a, b)                                                      \
	do {                                                                   \
		long long t_a_ = (long long)(a), t_b_ = (long long)(b);        \
		if (t_a_ != t_b_) {                                            \
			(void)fprintf(stderr,                                  \
			              "%s:%d: %s == %s: %lld != %lld\n",       \
			              __FILE__, __LINE__, #a, #b, t_a_, t_b_); \
			t_case_failed = 1;                                     \
			return;                                                \
		}                                                              \
	} while (0)

#define T_CHECK_MEM(p, q, n)                                             \
	do {                                                             \
		if (memcmp((p), (q), (n)) != 0) {                        \
			(void)fprintf(stderr,                            \
			              "%s:%d: bytes differ: %s vs %s\n", \
			              __FILE__, __LINE__, #p, #q);       \
			t_case_failed = 1;                               \
			return;                                          \
		}                                                        \
	} while (0)

#define T_CASE(f)     \
	{             \
#f, f \
	}

static inline int
t_run(const struct t_case *cases, size_t n)
{
	size_t passed = 0, failed = 0;

	for (size_t i = 0; i < n; i++) {
		t_case_failed = 0;
		cases[i].fn();
		if (t_case_failed) {
			(void)fprintf(stderr, "FAIL %s\n", cases[i].name);
			failed++;
		} else {
			passed++;
		}
	}
	printf("%zu passed, %zu failed\n", passed, failed);
	return failed == 0 ? 0 : 1;
}

#define T_MAIN(...)                                                           \
	int main(void)                                                        \
	{                                                                     \
		static const struct t_case t_cases_[] = {__VA_ARGS__};        \
		return t_run(t_cases_, sizeof t_cases_ / sizeof t_cases_[0]); \
	}

#endif
