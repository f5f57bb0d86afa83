/*
 * clock.c - clocks.
 */
#define _POSIX_C_SOURCE 200809L
#include "clock.h"

#include <time.h>

uint64_t
clock_mono_us(void)
{
	struct timespec ts;

	/* (void): CLOCK_MONOTONIC cannot fail on Linux. */
	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t
clock_mono_ms(void)
{
	return clock_mono_us() / 1000u;
}

int64_t
clock_wall_s(void)
{
	return (int64_t)time(NULL);
}
