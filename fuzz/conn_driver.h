/*
 * conn_driver.h - a whole broker driven by a script of client actions,
 * shared by the fuzz targets conn and conn_oom.
 *
 * conn_run() builds a fresh struct server with one worker (no listening
 * socket, no thread, a manual clock), connects up to CONN_PEERS clients
 * to it over AF_UNIX socket pairs through worker_accept_fd(), plays the
 * script and turns the worker's loop after every step until nothing more
 * happens, then closes everything and frees the server.
 *
 * The script is a sequence of records; the first byte of each says what
 * and to whom: bits 0-1 the client (0..3), bits 2-4 the action, bits 5-7
 * a parameter P.
 *
 *   action 0..3  WRITE: a length byte N and N bytes, written to the
 *                client's socket in pieces of piece_len[P] bytes, the
 *                worker turned after each piece. Writing to a client that
 *                has no connection opens one first.
 *   action 4     CLOSE: close the client's end (the slot may reconnect).
 *   action 5     READ: toggle whether the client's output is read; a
 *                client not read from fills its socket (slow consumer).
 *   action 6     TIME: a byte T; the clock moves T * 100 ms + P ms.
 *   action 7     REPEAT: a byte K; the client's last WRITE again K * 8
 *                times back to back (the loop turns only when the socket
 *                is full, and after), to reach the sizes where queues and
 *                socket buffers fill, as a flood would.
 *
 * What the broker sends to a client that is read from is framed and
 * decoded as server packets; a frame or packet the codec rejects, or a
 * type a server may not send, is a failed check.
 */
#ifndef TERN_FUZZ_CONN_DRIVER_H
#define TERN_FUZZ_CONN_DRIVER_H

#include <stddef.h>
#include <stdint.h>

#define CONN_PEERS 4

/*
 * conn_run() - play @data (@size bytes) against a fresh broker. With
 * @fail_after >= 0, allocation number @fail_after + 1 from the start
 * (server_new() included) and every later one fails. Aborts on a broken
 * invariant or when the broker leaves bytes allocated.
 */
void conn_run(const uint8_t *data, size_t size, long fail_after);

#endif
