/*
 * fuzz_conn.c - the broker's connection state machine: several clients
 * over in-memory sockets, CONNECT and then anything (conn_driver.h).
 *
 * Input: a script of client actions, as conn_driver.h describes. Checks:
 * no crash, no sanitizer report; what the broker sends frames and decodes
 * as server packets, CONNACK first; no bytes left allocated once the
 * server is freed.
 */
#include "conn_driver.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	conn_run(data, size, -1);
	return 0;
}
