/*
 * clock.h - monotonic and wall clocks.
 */
#ifndef TERN_BASE_CLOCK_H
#define TERN_BASE_CLOCK_H

#include <stdint.h>

/* clock_mono_ms() - milliseconds on the monotonic clock. Thread: any. */
uint64_t clock_mono_ms(void);
/* clock_mono_us() - microseconds on the monotonic clock. Thread: any. */
uint64_t clock_mono_us(void);
/* clock_wall_s() - seconds since the Unix epoch. Thread: any. */
int64_t clock_wall_s(void);

#endif
