/*
 * file.h - reading a whole (configuration-sized) file.
 */
#ifndef TERN_BASE_FILE_H
#define TERN_BASE_FILE_H

#include "buf.h"

/*
 * file_read_all() - append all of @path to @b, followed by a NUL byte that
 * b->len does not count (so the text may be used as a C string when it
 * holds no NUL of its own). Returns 0; TERN_ETOOBIG past @max bytes;
 * TERN_ENOMEM; or TERN_EIO with the errno in *sys. On failure @b may hold
 * part of the file; the caller frees it either way. Thread: any.
 */
int file_read_all(const char *path, size_t max, struct buf *b, int *sys);

#endif
