/*
 * err.c - names for enum tern_err, one table.
 */
#include "err.h"

static const char *const err_names[] = {
        [0] = "ok",
        [-TERN_EAGAIN] = "incomplete or would block",
        [-TERN_EMALFORMED] = "malformed packet",
        [-TERN_EPROTO] = "protocol error",
        [-TERN_ETOOBIG] = "too large",
        [-TERN_ENOMEM] = "out of memory",
        [-TERN_EIO] = "I/O error",
        [-TERN_ECLOSED] = "connection closed",
        [-TERN_EINVAL] = "invalid argument",
        [-TERN_ENOTFOUND] = "not found",
        [-TERN_EFULL] = "queue full",
        [-TERN_ETOPIC] = "invalid topic",
        [-TERN_EVERSION] = "unsupported protocol version",
        [-TERN_EBUSY] = "busy",
        [-TERN_ETIMEOUT] = "timed out",
        [-TERN_EAUTH] = "bad user name or password",
        [-TERN_EDENIED] = "not authorised",
        [-TERN_EEXIST] = "already exists",
        [-TERN_ECONFIG] = "bad configuration",
        [-TERN_EIDENT] = "client identifier rejected",
};

const char *
tern_strerror(int err)
{
	if (err > 0 || err < TERN_ERR_MIN) {
		return "unknown error";
	}
	return err_names[-err];
}
