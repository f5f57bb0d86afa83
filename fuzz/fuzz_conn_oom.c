/*
 * fuzz_conn_oom.c - fuzz_conn with allocation failures: the input's first
 * two bytes (big-endian) say after how many allocations, counted from the
 * server's creation, every allocation fails; the rest is the script of
 * conn_driver.h. Every ENOMEM path the script reaches runs, and must
 * neither crash nor leak.
 */
#include "conn_driver.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2) {
		return -1; /* no count: fuzz_conn covers it */
	}
	conn_run(data + 2, size - 2, (long)data[0] << 8 | data[1]);
	return 0;
}
